//! Things drawn over the panes: the help overlay listing every binding, the command palette,
//! and the toasts.

use crate::app::action::Context;
use crate::app::{App, Level, PALETTE_COMMANDS};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

pub fn render_help(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut lines = Vec::new();
    for context in Context::ALL {
        let bindings = app.keymap.bindings(context);
        if bindings.is_empty() {
            continue;
        }
        lines.push(Line::styled(format!("{} keys", context.name()), theme.title));
        for (action, keys) in bindings {
            let keys: Vec<String> = keys.iter().map(|k| k.display()).collect();
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<18}", keys.join(" ")), theme.key),
                Span::raw(action.label()),
            ]));
        }
    }
    lines.push(Line::styled("Keys are set in [keys.CONTEXT] tables of the config file.", theme.muted));
    let height = (lines.len() as u16 + 2).min(area.height);
    let width = 64.min(area.width);
    let rect = Rect::new(area.x + (area.width - width) / 2, area.y, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::default().borders(Borders::ALL).title(Span::styled(" Help ", theme.title));
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

pub fn render_palette(frame: &mut Frame, area: Rect, input: &str, theme: &Theme) {
    let matches: Vec<&(&str, &str)> = PALETTE_COMMANDS
        .iter()
        .filter(|(name, _)| name.starts_with(input.trim()))
        .collect();
    let height = (matches.len() as u16 + 3).min(area.height);
    let rect = Rect::new(area.x, area.y + area.height - height, area.width.min(70), height);
    frame.render_widget(Clear, rect);
    let mut lines: Vec<Line> = matches
        .iter()
        .map(|(name, what)| Line::from(vec![Span::styled(format!(" {name:<14}"), theme.key), Span::styled(*what, theme.muted)]))
        .collect();
    lines.push(Line::raw(format!(":{input}▏")));
    let block = Block::default().borders(Borders::ALL).title(Span::styled(" Command ", theme.title));
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

pub fn render_toasts(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut y = area.y;
    for toast in app.toasts.iter().rev().take(3) {
        let width = (toast.text.chars().count() as u16 + 4).min(area.width).min(70);
        let height = if toast.text.chars().count() as u16 + 4 > width { 4 } else { 3 };
        if y + height > area.y + area.height {
            break;
        }
        let rect = Rect::new(area.x + area.width - width, y, width, height);
        let style = match toast.level {
            Level::Info => theme.ok,
            Level::Error => theme.error,
        };
        frame.render_widget(Clear, rect);
        frame.render_widget(
            Paragraph::new(toast.text.clone())
                .wrap(Wrap { trim: true })
                .block(Block::default().borders(Borders::ALL).border_style(style)),
            rect,
        );
        y += height;
    }
}
