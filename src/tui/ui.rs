//! Draws the whole screen from the app state: header, the focused pane, footer, overlays.

use crate::app::{App, MIN_SIZE, Overlay, Tab, layout};
use crate::tui::panes;
use crate::tui::theme::Theme;
use crate::tui::widgets::{dialog, footer, header, overlays};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        let text = vec![
            Line::styled("tunedeck needs a larger terminal", theme.title),
            Line::raw(format!(
                "at least {}×{}; this one is {}×{}.",
                MIN_SIZE.0, MIN_SIZE.1, area.width, area.height
            )),
            Line::styled("Resize, or press q to quit.", theme.muted),
        ];
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    }
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(layout::HEADER_HEIGHT),
        Constraint::Min(1),
        Constraint::Length(layout::FOOTER_HEIGHT),
    ])
    .areas(area);
    header::render(frame, head, app, theme);
    match app.tab {
        Tab::Models if app.follows_vertex => panes::jobs::render(frame, body, app, theme),
        Tab::Models => panes::models::render(frame, body, app, theme),
        Tab::Monitor => panes::monitor::render(frame, body, app, theme),
        Tab::Dataset => panes::dataset::render(frame, body, app, theme),
        Tab::Playground => panes::playground::render(frame, body, app, theme),
    }
    footer::render(frame, foot, app, theme);
    match &app.overlay {
        Overlay::Help => overlays::render_help(frame, body, app, theme),
        Overlay::Palette { input } => {
            overlays::render_palette(frame, body, input, app.line_cursor, theme)
        }
        Overlay::None => {}
    }
    if let Some(picker) = &app.contexts.picker {
        panes::contexts::render(frame, body, app, picker, theme);
    }
    // Asked from any tab: the question must be seen wherever `q` was pressed.
    if app.dataset.confirm_quit {
        render_quit(frame, body, theme);
    }
    overlays::render_toasts(frame, foot, app, theme);
}

/// "Quit with unsaved dataset changes?"
fn render_quit(frame: &mut Frame, area: ratatui::layout::Rect, theme: &Theme) {
    let lines = vec![
        Line::raw("The dataset has unsaved changes."),
        Line::styled(
            "They stay in the autosave journal and come back next time.",
            theme.muted,
        ),
        dialog::keys_line(
            &[
                ("y", "quit anyway"),
                ("n", "stay"),
                ("ctrl-s", "save first"),
            ],
            theme,
        ),
    ];
    dialog::render(
        frame,
        area,
        ratatui::text::Span::styled(" Quit? ", theme.warn),
        lines,
        64,
    );
}
