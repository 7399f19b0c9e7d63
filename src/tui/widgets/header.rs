//! The header: backend and address, connection, jobs tuning, last refresh, auth (never more
//! than a key's last four characters); then the tab bar. Pieces are added by priority while they
//! fit, so a narrow terminal loses the least useful ones, never a clipped half.

use crate::app::{App, Tab};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::app::layout::tab_width;

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
            "{} ",
            c.address
                .trim_start_matches("http://")
                .trim_start_matches("https://")
        )),
        Span::styled(dot, dot_style),
        Span::raw(format!(" {state}")),
    ];
    let mut used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let width = usize::from(area.width);
    let tuning = app.creating_count();
    let optional = [
        app.place_label()
            .map(|label| Span::styled(format!(" · VERTEX {label}"), theme.key)),
        (tuning > 0).then(|| Span::styled(format!(" · {tuning} tuning"), theme.warn)),
        app.last_refresh().map(|at| {
            Span::styled(
                format!(" · refreshed {}", at.format("%H:%M:%SZ")),
                theme.muted,
            )
        }),
        Some(Span::raw(format!(" · {}", c.auth))),
    ];
    for (i, span) in optional.into_iter().enumerate() {
        // Where the jobs live is never dropped for want of room: the context's name, else
        // the location, stands in for the whole label.
        let span = match span {
            Some(s) if used + s.content.chars().count() <= width => Some(s),
            _ if i == 0 => app
                .place_short()
                .map(|l| Span::styled(format!(" · {l}"), theme.key)),
            _ => None,
        };
        let Some(span) = span else { continue };
        let w = span.content.chars().count();
        if used + w <= width {
            used += w;
            spans.push(span);
        }
    }
    frame.render_widget(Line::from(spans), Rect { height: 1, ..area });
    if area.height < 2 {
        return;
    }
    let tab_row = Rect {
        y: area.y + 1,
        height: 1,
        ..area
    };
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
    frame.render_widget(Line::from(tabs), tab_row);
    if c.backend == "EMULATOR" {
        let tabs_width: usize = Tab::ALL.iter().map(|t| usize::from(tab_width(*t))).sum();
        let room = width.saturating_sub(tabs_width + 1);
        let notes = if c.vertex.is_some() {
            [
                "emulated · gcloud auth application-default login for Vertex AI ",
                "emulated Vertex AI ",
            ]
        } else {
            [
                "no credentials found · set GEMINI_API_KEY to use Google ",
                "set GEMINI_API_KEY to use Google ",
            ]
        };
        let note = notes.into_iter().find(|n| n.chars().count() <= room);
        if let Some(note) = note {
            frame.render_widget(Line::styled(note, theme.muted).right_aligned(), tab_row);
        }
    }
}
