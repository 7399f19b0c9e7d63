//! The header: backend and address, auth (never more than a key's last four characters),
//! connection, last refresh, jobs tuning; then the tab bar.

use crate::app::{App, Tab};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let c = &app.connection;
    let (dot, dot_style, state) = match c.healthy {
        Some(true) => ("●", theme.ok, "connected"),
        Some(false) => ("●", theme.error, "unreachable"),
        None => ("○", theme.muted, "connecting"),
    };
    let mut spans = vec![
        Span::styled(" tunedeck ", theme.title),
        Span::styled(format!(" {} ", c.backend), theme.key),
        Span::raw(format!(
            "{} · {} · ",
            c.address.trim_start_matches("http://"),
            c.auth
        )),
        Span::styled(dot, dot_style),
        Span::raw(format!(" {state}")),
    ];
    if let Some(at) = app.last_refresh() {
        spans.push(Span::styled(
            format!(" · refreshed {}", at.format("%H:%M:%SZ")),
            theme.muted,
        ));
    }
    let tuning = app.creating_count();
    if tuning > 0 {
        spans.push(Span::styled(format!(" · {tuning} tuning"), theme.warn));
    }
    let row = Rect { height: 1, ..area };
    frame.render_widget(Line::from(spans), row);
    let mut tabs = Vec::new();
    for (i, tab) in Tab::ALL.iter().enumerate() {
        let style = if *tab == app.tab {
            theme.selected
        } else {
            theme.muted
        };
        tabs.push(Span::styled(format!(" {} {} ", i + 1, tab.title()), style));
        tabs.push(Span::raw(" "));
    }
    if area.height > 1 {
        let tab_row = Rect {
            y: area.y + 1,
            height: 1,
            ..area
        };
        frame.render_widget(Line::from(tabs), tab_row);
        if c.backend == "EMULATOR" {
            let note = "no credentials found · set GEMINI_API_KEY to use Google ";
            frame.render_widget(Line::styled(note, theme.muted).right_aligned(), tab_row);
        }
    }
}
