//! The Dataset pane with preference (DPO) examples: the table of prompts with their preferred
//! and rejected answers, then the selected example whole: its prompt (system instruction and
//! turns), and the PREFERRED and the REJECTED answers side by side, or stacked where the pane
//! is too narrow for two readable columns (an 80-column terminal). Open, the three are
//! editors.

use crate::app::dataset::DatasetPane;
use crate::app::layout::table_offset;
use crate::dataset::lint::Severity;
use crate::dataset::preference::PreferenceExample;
use crate::tui::theme::Theme;
use crate::tui::widgets::preview;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};
use ratatui_textarea::TextArea;

/// Below this width the two answers are stacked, each then as wide as the pane.
const SIDE_BY_SIDE_WIDTH: u16 = 100;

/// The table above, the example below, both as wide as the pane (three texts a row need it).
pub fn render_body(frame: &mut Frame, body: Rect, pane: &DatasetPane, theme: &Theme) {
    // A header and a row an example, up to a third of the pane: the rest shows the example.
    let wanted = u16::try_from(pane.len() + 1).unwrap_or(u16::MAX);
    let table_rows = wanted.min(body.height / 3).clamp(2, 12);
    let [table, detail] =
        Layout::vertical([Constraint::Length(table_rows), Constraint::Min(6)]).areas(body);
    render_table(frame, table, pane, theme);
    render_detail(frame, detail, pane, theme);
}

fn render_table(frame: &mut Frame, area: Rect, pane: &DatasetPane, theme: &Theme) {
    let height = usize::from(area.height.saturating_sub(1));
    let offset = table_offset(pane.selected, height);
    let text_width = usize::from(area.width.saturating_sub(14)) / 3;
    let rows = pane
        .dataset
        .examples
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, ex)| {
            let (mark, style, marked) = crate::tui::widgets::table::row_marks(
                pane.marks.get(i).copied().flatten(),
                pane.marked.contains(&i),
                theme,
            );
            let rejected = ex.preference.as_ref().map_or("", |p| p.rejected.as_str());
            let row = Row::new(vec![
                Cell::from(marked).style(theme.accent),
                Cell::from(mark).style(style),
                Cell::from(format!("{}", i + 1)),
                Cell::from(preview(&ex.text_input, text_width)),
                Cell::from(preview(&ex.output, text_width)),
                Cell::from(preview(rejected, text_width)),
            ]);
            if i == pane.selected {
                row.style(theme.selected)
            } else {
                row
            }
        });
    let widths = [
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(6),
        Constraint::Ratio(1, 3),
        Constraint::Ratio(1, 3),
        Constraint::Ratio(1, 3),
    ];
    let header = Row::new(vec!["", "", "#", "PROMPT", "PREFERRED", "REJECTED"]).style(theme.title);
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        area,
    );
}

/// The prompt's context above its last user turn: the system instruction and earlier turns,
/// one line each.
fn context_lines(example: &PreferenceExample, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if let Some(system) = example.system_instruction() {
        lines.push(Line::styled(
            preview(&format!("system: {system}"), width),
            theme.accent,
        ));
    }
    let turns = example.turns();
    let last_user = turns.iter().rposition(|(r, _)| r == "user");
    for (i, (role, text)) in turns.iter().enumerate() {
        if Some(i) != last_user {
            lines.push(Line::styled(
                preview(&format!("{role}: {text}"), width),
                theme.muted,
            ));
        }
    }
    lines
}

fn render_detail(frame: &mut Frame, area: Rect, pane: &DatasetPane, theme: &Theme) {
    let Some(selected) = pane.dataset.examples.get(pane.selected) else {
        return;
    };
    let width = usize::from(area.width);
    let example = PreferenceExample::from_editor(selected);
    let findings: Vec<Line> = pane
        .issues_here()
        .take(4)
        .map(|i| {
            let style = if i.severity == Severity::Error {
                theme.error
            } else {
                theme.warn
            };
            Line::styled(preview(&i.message, width), style)
        })
        .collect();
    let context = context_lines(&example, width.saturating_sub(2), theme);
    let findings_height = findings.len().min(4) as u16;
    let context_height = context.len().min(3) as u16;
    let [prompt_area, answers, notes] = Layout::vertical([
        Constraint::Percentage(40),
        Constraint::Min(4),
        Constraint::Length(findings_height),
    ])
    .areas(area);
    let [preferred_area, rejected_area] = if area.width >= SIDE_BY_SIDE_WIDTH {
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(answers)
    } else {
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(answers)
    };
    let [context_area, prompt_area] =
        Layout::vertical([Constraint::Length(context_height), Constraint::Min(3)])
            .areas(prompt_area);
    frame.render_widget(Paragraph::new(context), context_area);
    let prompt_label = if example.turns().len() > 1 {
        "PROMPT · last user turn"
    } else {
        "PROMPT"
    };
    let rejected = selected
        .preference
        .as_ref()
        .map_or("", |p| p.rejected.as_str());
    match pane.editor.as_ref().filter(|e| e.index == pane.selected) {
        Some(editor) => {
            let focus = editor.focus();
            let fields: [(Option<&TextArea<'static>>, Rect, &str); 3] = [
                (Some(&editor.input), prompt_area, prompt_label),
                (Some(&editor.output), preferred_area, "PREFERRED (score 1)"),
                (
                    editor.rejected.as_ref().map(|(a, _)| a),
                    rejected_area,
                    "REJECTED (score 0)",
                ),
            ];
            for (n, (field, rect, label)) in fields.into_iter().enumerate() {
                let Some(field) = field else { continue };
                let focused = usize::from(focus) == n;
                let style = if focused { theme.key } else { theme.muted };
                let chars: usize = field
                    .lines()
                    .iter()
                    .map(|l| l.chars().count() + 1)
                    .sum::<usize>()
                    .saturating_sub(1);
                let mut shown = field.clone();
                shown.set_block(
                    Block::default()
                        .borders(Borders::ALL)
                        .border_style(style)
                        .title(Span::styled(format!(" {label} · {chars} chars "), style)),
                );
                if !focused {
                    shown.set_cursor_style(Style::default());
                }
                frame.render_widget(&shown, rect);
            }
        }
        None => {
            for (text, rect, label, style) in [
                (&selected.text_input, prompt_area, prompt_label, theme.muted),
                (
                    &selected.output,
                    preferred_area,
                    "PREFERRED (score 1)",
                    theme.ok,
                ),
                (
                    &rejected.to_owned(),
                    rejected_area,
                    "REJECTED (score 0)",
                    theme.error,
                ),
            ] {
                let block = Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.muted)
                    .title(Span::styled(
                        format!(" {label} · {} chars ", text.chars().count()),
                        style,
                    ));
                frame.render_widget(
                    Paragraph::new(crate::domain::generation::display_text(text))
                        .block(block)
                        .wrap(Wrap { trim: false }),
                    rect,
                );
            }
        }
    }
    frame.render_widget(Paragraph::new(findings).wrap(Wrap { trim: true }), notes);
}
