//! The tabs whose panes are not built yet say so plainly, with what to use meanwhile.

use crate::app::Tab;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

pub fn render(frame: &mut Frame, area: Rect, tab: Tab, theme: &Theme) {
    let (what, meanwhile) = match tab {
        Tab::Monitor => (
            "The job monitor (live loss chart, progress, ETA, cancel) is not built yet.",
            "Meanwhile the Models tab refreshes while a model is CREATING, and its detail (enter) shows the loss so far.",
        ),
        _ => (
            "The prompt playground is not built yet.",
            "Meanwhile call generateContent with the SDK or curl against this backend.",
        ),
    };
    let lines = vec![
        Line::raw(what),
        Line::raw(""),
        Line::styled(meanwhile, theme.muted),
    ];
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {} ", tab.title()));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}
