//! The `:ctx` list: the configured contexts, the all-locations view and the tuning regions of
//! the current project, the current one marked; a box over the body, scrolled to the choice.

use crate::app::App;
use crate::app::contexts::{CtxEntry, CtxPicker};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub fn render(frame: &mut Frame, area: Rect, app: &App, picker: &CtxPicker, theme: &Theme) {
    let width = area.width.min(72);
    let height = area.height.min(picker.entries.len() as u16 + 2);
    let rect = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    );
    frame.render_widget(Clear, rect);
    let rows = usize::from(height.saturating_sub(2)).max(1);
    let first = picker.selected.saturating_sub(rows - 1);
    let project = app
        .connection
        .vertex
        .as_ref()
        .map(|v| v.project.clone())
        .unwrap_or_default();
    let lines: Vec<Line> = picker
        .entries
        .iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .map(|(i, entry)| {
            let current = if app.is_current(entry) { "●" } else { " " };
            let (name, what) = match entry {
                CtxEntry::Named(c) => (c.name.clone(), format!("{}/{}", c.project, c.location)),
                CtxEntry::AllLocations => (
                    "all".to_owned(),
                    format!("{project}: jobs of every tuning region at once"),
                ),
                CtxEntry::Region(r) => (r.clone(), format!("{project}/{r}")),
            };
            let style = if i == picker.selected {
                theme.selected
            } else {
                ratatui::style::Style::default()
            };
            Line::from(vec![
                Span::styled(format!(" {current} "), theme.ok),
                Span::styled(format!("{name:<24}"), theme.key),
                Span::styled(what, theme.muted),
            ])
            .style(style)
        })
        .collect();
    let title = format!(
        " Contexts, then tuning regions ({}/{}) ",
        picker.selected + 1,
        picker.entries.len()
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme.title));
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
