//! A modal box over a pane: centred, sized to its wrapped text, cleared beneath. Every question
//! and form uses it, so they look and behave alike.

use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// Rows the lines take inside a box `width` wide, once wrapped.
pub fn wrapped_height(lines: &[Line], width: u16) -> u16 {
    let inner = usize::from(width.saturating_sub(2)).max(1);
    lines
        .iter()
        .map(|l| l.width().div_ceil(inner).max(1) as u16)
        .sum()
}

/// A `width` × `height` rectangle in the middle of `area` (clipped to it).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// `key label   key label` with the keys highlighted.
pub fn keys_line<'a>(pairs: &[(&'a str, &'a str)], theme: &Theme) -> Line<'a> {
    let mut spans = Vec::new();
    for (key, label) in pairs {
        spans.push(Span::styled(*key, theme.key));
        spans.push(Span::raw(format!(" {label}   ")));
    }
    Line::from(spans)
}

/// A form field: its label (padded by the caller) and value, highlighted when focused.
pub fn field<'a>(label: String, value: String, focused: bool, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(label, if focused { theme.key } else { theme.muted }),
        Span::styled(
            value,
            if focused {
                theme.title
            } else {
                Style::default()
            },
        ),
    ])
}

/// Draws a titled box of at most `width` columns holding `lines`, centred in `area`.
pub fn render(frame: &mut Frame, area: Rect, title: Span, lines: Vec<Line>, width: u16) {
    let rect = centered(
        area,
        width,
        wrapped_height(&lines, width.min(area.width)) + 2,
    );
    frame.render_widget(Clear, rect);
    let block = Block::default().borders(Borders::ALL).title(title);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}

/// A form's text field: its label (15 columns), the text with the cursor when focused, and a
/// muted hint after it.
pub fn text_field<'a>(
    label: &str,
    text: &str,
    focused: bool,
    cursor: Option<usize>,
    hint: &'a str,
    theme: &Theme,
) -> Line<'a> {
    let value = if focused {
        crate::app::line_edit::with_cursor(text, cursor)
    } else {
        text.to_owned()
    };
    let mut line = field(format!("{label:<15}"), value, focused, theme);
    line.spans.push(Span::styled(hint, theme.muted));
    line
}

/// The first five of many things a question is about, one a line, and how many more.
pub fn first_five(items: &[String], theme: &Theme) -> Vec<Line<'static>> {
    let mut lines: Vec<Line<'static>> = items
        .iter()
        .take(5)
        .map(|item| Line::styled(format!("  {item}"), theme.muted))
        .collect();
    if items.len() > 5 {
        lines.push(Line::styled(
            format!("  … and {} more", items.len() - 5),
            theme.muted,
        ));
    }
    lines
}

/// A form's last step, the same for every form that creates something that costs: what will be
/// created, row by row, the last problem, and the keys (none while the request is on its way).
#[allow(clippy::too_many_arguments)]
pub fn render_review(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    intro: &str,
    rows: &[(String, String)],
    error: Option<&str>,
    can_confirm: bool,
    theme: &Theme,
) {
    let mut lines = vec![Line::styled(intro.to_owned(), theme.muted)];
    lines.extend(rows.iter().map(|(label, value)| {
        Line::from(vec![
            Span::styled(format!("{label:<15}"), theme.muted),
            Span::raw(value.clone()),
        ])
    }));
    lines.push(Line::raw(""));
    if let Some(e) = error {
        lines.push(Line::styled(e.to_owned(), theme.error));
    }
    if can_confirm {
        lines.push(keys_line(
            &[
                ("enter", "confirm and start"),
                ("esc", "back to the fields"),
            ],
            theme,
        ));
    }
    render(
        frame,
        area,
        Span::styled(title.to_owned(), theme.title),
        lines,
        84,
    );
}
