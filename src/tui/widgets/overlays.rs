//! Things drawn over the panes: the help overlay listing every binding, the command palette,
//! and the toasts.

use crate::app::action::Context;
use crate::app::{App, Level, PALETTE_COMMANDS};
use crate::domain::generation::preview;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub fn render_help(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    const COLUMN: u16 = 36;
    let rows = usize::from(area.height.saturating_sub(3)).max(2);
    // Each context's bindings under its heading; a section never starts a column without its
    // heading (a long one goes on under "… (continued)").
    let mut columns: Vec<Vec<Line>> = vec![Vec::new()];
    for context in Context::ALL {
        let bindings = app.keymap.bindings(context);
        // The Models tab shows tuned models or, with Vertex AI chosen, tuning jobs: only the
        // keys of the one shown are listed.
        let other_backend = if app.follows_vertex {
            matches!(
                context,
                Context::Models | Context::Detail | Context::Permissions
            )
        } else {
            matches!(context, Context::Jobs | Context::JobDetail)
        };
        if bindings.is_empty() || other_backend {
            continue;
        }
        let heading = format!("{} keys", context.name());
        let entries: Vec<Line> = bindings
            .iter()
            .map(|(action, keys)| {
                let keys: Vec<String> = keys.iter().map(|k| k.display()).collect();
                Line::from(vec![
                    Span::styled(format!(" {:<13}", keys.join(" ")), theme.key),
                    Span::raw(action.label()),
                ])
            })
            .collect();
        let mut column = columns.len() - 1;
        // A blank line between sections; a new column when the heading and at least two
        // entries (or the whole section) do not fit below what is there.
        let needed = (entries.len() + 1).min(3);
        let used = columns[column].len();
        let gap = usize::from(used > 0);
        if used > 0 && used + gap + needed > rows {
            columns.push(Vec::new());
            column += 1;
        } else if gap == 1 {
            columns[column].push(Line::raw(""));
        }
        columns[column].push(Line::styled(heading.clone(), theme.title));
        for entry in entries {
            if columns[column].len() >= rows {
                columns.push(vec![Line::styled(
                    format!("{heading} (continued)"),
                    theme.title,
                )]);
                column += 1;
            }
            columns[column].push(entry);
        }
    }
    let fit = usize::from(area.width.saturating_sub(2) / COLUMN).max(1);
    let pages = columns.len().div_ceil(fit).max(1);
    let page = app.help_page % pages;
    let shown = &columns[page * fit..((page + 1) * fit).min(columns.len())];
    let tallest = shown.iter().map(Vec::len).max().unwrap_or(0);
    let width = (shown.len() as u16 * COLUMN + 2).min(area.width);
    let height = (tallest as u16 + 3).min(area.height);
    let rect = Rect::new(area.x + (area.width - width) / 2, area.y, width, height);
    frame.render_widget(Clear, rect);
    let title = if pages > 1 {
        format!(
            " Help: every key binding · page {} of {pages} · ? next page ",
            page + 1
        )
    } else {
        " Help: every key binding ".to_owned()
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme.title));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    for (c, chunk) in shown.iter().enumerate() {
        let x = inner.x + c as u16 * COLUMN;
        if x >= inner.x + inner.width {
            break;
        }
        let column = Rect::new(
            x,
            inner.y,
            COLUMN.min(inner.x + inner.width - x),
            inner.height.saturating_sub(1),
        );
        frame.render_widget(Paragraph::new(chunk.clone()), column);
    }
    let foot = Rect::new(
        inner.x,
        inner.y + inner.height.saturating_sub(1),
        inner.width,
        1,
    );
    frame.render_widget(
        Line::styled(
            "Keys are set in [keys.CONTEXT] tables of the config file.",
            theme.muted,
        ),
        foot,
    );
}

pub fn render_palette(
    frame: &mut Frame,
    area: Rect,
    input: &str,
    cursor: Option<usize>,
    theme: &Theme,
) {
    let matches: Vec<&(&str, &str)> = PALETTE_COMMANDS
        .iter()
        .filter(|(name, _)| name.starts_with(input.trim()))
        .collect();
    let height = (matches.len() as u16 + 3).min(area.height);
    let rect = Rect::new(
        area.x,
        area.y + area.height - height,
        area.width.min(70),
        height,
    );
    frame.render_widget(Clear, rect);
    let mut lines: Vec<Line> = matches
        .iter()
        .map(|(name, what)| {
            Line::from(vec![
                Span::styled(format!(" {name:<14}"), theme.key),
                Span::styled(*what, theme.muted),
            ])
        })
        .collect();
    lines.push(Line::raw(format!(
        ":{}",
        crate::app::line_edit::with_cursor(input, cursor)
    )));
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(" Command ", theme.title));
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

/// The newest toast, over the footer (and, when it needs a second line, the row above it: the
/// pane's bottom border), so it never covers the data it talks about; `+N` counts the others.
pub fn render_toasts(frame: &mut Frame, footer: Rect, app: &App, theme: &Theme) {
    let Some(toast) = app.toasts.last() else {
        return;
    };
    let (mark, style) = match toast.level {
        Level::Info => ("✓ ", theme.ok),
        Level::Error => ("✗ ", theme.error),
    };
    let more = app.toasts.len() - 1;
    let suffix = if more > 0 {
        format!("  (+{more})")
    } else {
        String::new()
    };
    let width = usize::from(footer.width).saturating_sub(2);
    let text = format!("{mark}{}{suffix}", toast.text.replace('\n', " "));
    let chars: Vec<char> = text.chars().collect();
    // One line when it fits, else two (the second ends with … if it still does not).
    let lines: Vec<String> = if chars.len() <= width || footer.y == 0 {
        vec![preview(&text, width)]
    } else {
        let first: String = chars[..width].iter().collect();
        let rest: String = chars[width..].iter().collect();
        vec![first, preview(&rest, width)]
    };
    let height = lines.len() as u16;
    let area = Rect::new(footer.x, footer.y + 1 - height, footer.width, height);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(
            lines
                .into_iter()
                .map(|l| Line::styled(format!(" {l}"), style))
                .collect::<Vec<_>>(),
        ),
        area,
    );
}
