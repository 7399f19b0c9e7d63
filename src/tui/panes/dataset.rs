//! The Dataset pane: the examples with their lint marks, the selected one in full (or open in
//! two editors), its findings and the set's, and a stats line.

use crate::app::App;
use crate::app::dataset::{DatasetPane, Prompt, PromptKind, TuneForm};
use crate::app::form::{Focus, FormField};
use crate::app::layout::table_offset;
use crate::dataset::lint::{MAX_INPUT_CHARS, MAX_OUTPUT_CHARS, Severity};
use crate::domain::tuning::TuningField;
use crate::tui::theme::Theme;
use crate::tui::widgets::{dialog, preview};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    render_body(frame, area, app, theme);
    if let Some(conflict) = app.dataset.conflict.as_ref().filter(|c| !c.hidden) {
        render_conflict(frame, area, conflict, theme);
    }
    // Drawn last, over the bottom of the pane, whatever else is shown.
    if let Some(prompt) = &app.dataset.prompt {
        let inner = Block::default().borders(Borders::ALL).inner(area);
        render_prompt_after(
            frame,
            inner,
            prompt,
            &app.dataset.last_search,
            app.line_cursor,
            theme,
        );
    }
}

fn render_body(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let pane = &app.dataset;
    let file = pane
        .path
        .as_ref()
        .map(|p| {
            format!(
                "{} ({})",
                p.display(),
                pane.format.map_or("new", |f| f.name())
            )
        })
        .unwrap_or_else(|| "no file".into());
    let unsaved = match (&pane.loading, pane.dirty) {
        (Some(next), _) => format!(" · loading {}…", next.display()),
        (None, true) => " · ● unsaved (journalled)".to_owned(),
        (None, false) => String::new(),
    };
    let marked = if pane.marked.is_empty() {
        String::new()
    } else {
        format!(" · {} marked", pane.marked.len())
    };
    let title = format!(
        " Dataset: {file} · {}{marked}{unsaved} ",
        crate::domain::words::count(pane.len() as u64, "example")
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if let Some(error) = &pane.load_error {
        let lines = vec![
            Line::styled(
                "The dataset could not be loaded; nothing was loaded from it.",
                theme.error,
            ),
            Line::raw(error.clone()),
            Line::styled(
                "Fix the file and start again, or press a to start a new dataset.",
                theme.muted,
            ),
        ];
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        if pane.is_empty() {
            return;
        }
    }
    let [stats, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(inner);
    render_stats(frame, stats, pane, theme);
    if pane.is_empty() {
        frame.render_widget(
            Paragraph::new(vec![
                Line::raw("No examples yet."),
                Line::styled(
                    "a adds one; ctrl-s saves them to a file you name; o opens a file.",
                    theme.muted,
                ),
            ]),
            body,
        );
        return;
    }
    if pane.is_preference() {
        super::preference::render_body(frame, body, pane, theme);
    } else {
        let [table, detail] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(body);
        render_table(frame, table, pane, theme);
        render_detail(frame, detail, pane, theme);
    }
    if let Some(form) = &pane.tune {
        render_tune_form(frame, area, pane, form, app.line_cursor, theme);
    }
    if let Some(form) = pane.vertex_tune.as_ref().filter(|f| !f.hidden) {
        super::vertex_tune::render(frame, area, form, pane.len(), app.line_cursor, theme);
    }
}

fn render_stats(frame: &mut Frame, area: Rect, pane: &DatasetPane, theme: &Theme) {
    let s = &pane.stats;
    let errors = pane
        .issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .count();
    let warnings = pane.issues.len() - errors;
    let mut spans = vec![Span::raw(format!(
        " {} · input {}/{}/{} · output {}/{}/{} chars (min/median/max) · {:.1} KB as JSON · ",
        crate::domain::words::count(s.count as u64, "example"),
        s.input.0,
        s.input.1,
        s.input.2,
        s.output.0,
        s.output.1,
        s.output.2,
        s.json_bytes as f64 / 1024.0
    ))];
    spans.push(Span::styled(
        crate::domain::words::count(errors as u64, "error"),
        if errors > 0 { theme.error } else { theme.ok },
    ));
    spans.push(Span::raw(" · "));
    spans.push(Span::styled(
        crate::domain::words::count(warnings as u64, "warning"),
        if warnings > 0 { theme.warn } else { theme.ok },
    ));
    frame.render_widget(Line::from(spans), area);
}

fn render_table(frame: &mut Frame, area: Rect, pane: &DatasetPane, theme: &Theme) {
    let height = usize::from(area.height.saturating_sub(1));
    let offset = table_offset(pane.selected, height);
    let text_width = usize::from(area.width.saturating_sub(20)) / 2;
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
            let row = Row::new(vec![
                Cell::from(marked).style(theme.accent),
                Cell::from(mark).style(style),
                Cell::from(format!("{}", i + 1)),
                Cell::from(match crate::dataset::vertex::editor_tag(ex) {
                    // A Vertex AI example: what it holds beyond its first and last turn.
                    Some(note) => preview(&format!("[{note}] {}", ex.text_input), text_width),
                    None => preview(&ex.text_input, text_width),
                }),
                Cell::from(preview(&ex.output, text_width)),
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
        Constraint::Percentage(50),
        Constraint::Percentage(50),
    ];
    let header = Row::new(vec!["", "", "#", "TEXT_INPUT", "OUTPUT"]).style(theme.title);
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        area,
    );
}

fn render_detail(frame: &mut Frame, area: Rect, pane: &DatasetPane, theme: &Theme) {
    // One line each, cut with … where the pane is too narrow.
    let selected = pane.dataset.examples.get(pane.selected);
    let vertex = selected.and_then(|ex| {
        let note = crate::dataset::vertex::editor_note(ex)?;
        let example = crate::dataset::vertex::VertexExample::from_editor(ex);
        let mut text = format!(
            "Vertex AI example: {note}; shown and edited: its first user turn and last model turn, the rest kept as it is"
        );
        if let Some(system) = example.system_instruction() {
            text.push_str(&format!(" · system: {system}"));
        }
        Some(Line::styled(preview(&text, usize::from(area.width)), theme.accent))
    });
    let findings: Vec<Line> = vertex
        .into_iter()
        .chain(pane.issues_here().take(6).map(|i| {
            let style = if i.severity == Severity::Error {
                theme.error
            } else {
                theme.warn
            };
            Line::styled(preview(&i.message, usize::from(area.width)), style)
        }))
        .collect();
    let findings_height = findings.len().min(7) as u16;
    // A Vertex AI example's pair is its first user turn and last model turn.
    let (input_label, output_label) = if selected.is_some_and(|e| e.vertex.is_some()) {
        ("first user turn", "last model turn")
    } else {
        ("text_input", "output")
    };
    let [fields, notes] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(findings_height)]).areas(area);
    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(fields);
    match &pane.editor {
        Some(editor) => {
            for (field, rect, focused, label, limit) in [
                (
                    &editor.input,
                    top,
                    !editor.on_output,
                    input_label,
                    MAX_INPUT_CHARS,
                ),
                (
                    &editor.output,
                    bottom,
                    editor.on_output,
                    output_label,
                    MAX_OUTPUT_CHARS,
                ),
            ] {
                let chars: usize = field
                    .lines()
                    .iter()
                    .map(|l| l.chars().count() + 1)
                    .sum::<usize>()
                    .saturating_sub(1);
                let style = if focused { theme.key } else { theme.muted };
                let over = if chars > limit { theme.error } else { style };
                let mut area_field = field.clone();
                area_field.set_block(
                    Block::default()
                        .borders(Borders::ALL)
                        .border_style(style)
                        .title(Span::styled(format!(" {label} · {chars}/{limit} "), over)),
                );
                if !focused {
                    area_field.set_cursor_style(Style::default());
                }
                frame.render_widget(&area_field, rect);
            }
        }
        None => {
            if let Some(ex) = pane.dataset.examples.get(pane.selected) {
                for (text, rect, label) in [
                    (&ex.text_input, top, input_label),
                    (&ex.output, bottom, output_label),
                ] {
                    let block = Block::default()
                        .borders(Borders::ALL)
                        .border_style(theme.muted)
                        .title(format!(" {label} · {} chars ", text.chars().count()));
                    frame.render_widget(
                        Paragraph::new(crate::domain::generation::display_text(text))
                            .block(block)
                            .wrap(Wrap { trim: false }),
                        rect,
                    );
                }
            }
        }
    }
    frame.render_widget(Paragraph::new(findings).wrap(Wrap { trim: true }), notes);
}

fn render_tune_form(
    frame: &mut Frame,
    area: Rect,
    pane: &DatasetPane,
    form: &TuneForm,
    cursor: Option<usize>,
    theme: &Theme,
) {
    if let Some(rows) = &form.review {
        crate::tui::widgets::dialog::render_review(
            frame,
            area,
            " Start tuning: review ",
            "This creates a tuned model on the service:",
            rows,
            form.error.as_deref(),
            !form.starting,
            theme,
        );
        return;
    }
    let mut lines = Vec::new();
    let multiplier = !form.values.get(TuningField::Multiplier).trim().is_empty();
    for (field, text) in form.values.iter() {
        let focused = form.focus == Focus::Text(field);
        let hint = match (field, text.is_empty()) {
            (TuningField::ModelId, true) => "  (optional: made from the display name)",
            (TuningField::Description, true) => "  (optional)",
            (TuningField::LearningRate, _) if multiplier => "  (not sent: the multiplier is)",
            (TuningField::Multiplier, true) => "  (optional: sent instead of the rate)",
            _ if form.is_remembered(field) => "  (remembered from the last job)",
            (TuningField::HeldOut, _) => "  (kept out of training, saved beside the dataset)",
            _ => "",
        };
        lines.push(dialog::text_field(
            field.label(),
            text,
            focused,
            cursor,
            hint,
            theme,
        ));
    }
    let base = match &form.bases {
        None => "loading models…".to_owned(),
        Some(b) if b.is_empty() => format!("{} (no tunable model listed)", form.base_model()),
        Some(_) if form.source_is_remembered() => {
            format!("‹ {} ›  (remembered)", form.base_model())
        }
        Some(_) => format!("‹ {} ›", form.base_model()),
    };
    lines.push(dialog::field(
        format!("{:<15}", "Tune from"),
        base,
        form.focus == Focus::Choice(0),
        theme,
    ));
    lines.push(Line::raw(""));
    let held = form.held_out_count(pane.len()).unwrap_or(0);
    let steps = match form.total_steps(pane.len()) {
        Some(n) if held > 0 => format!(
            "{} examples − {held} held out → totalSteps = ceil(N×E/B) = {n}",
            pane.len()
        ),
        Some(n) => format!("{} examples → totalSteps = ceil(N×E/B) = {n}", pane.len()),
        None => format!(
            "{} examples; epochs and batch size must be whole numbers of 1 or more",
            pane.len()
        ),
    };
    lines.push(Line::styled(steps, theme.accent));
    if let Some(e) = &form.error {
        lines.push(Line::styled(e.clone(), theme.error));
    }
    lines.push(dialog::keys_line(
        &[
            ("tab/enter", "next field"),
            ("←/→", "source model"),
            ("ctrl-s", "start now"),
            ("esc", "cancel"),
        ],
        theme,
    ));
    dialog::render(
        frame,
        area,
        Span::styled(" Start tuning ", theme.title),
        lines,
        84,
    );
}

/// Recovered edits over a file that changed outside: what happened, both counts, the choices.
fn render_conflict(
    frame: &mut Frame,
    area: Rect,
    conflict: &crate::app::dataset::RecoveryConflict,
    theme: &Theme,
) {
    let mut lines: Vec<Line> = conflict.lines().into_iter().map(Line::raw).collect();
    lines.push(Line::raw(""));
    let name = conflict
        .path
        .file_name()
        .map_or(String::new(), |n| n.to_string_lossy().into_owned());
    if conflict.asking_overwrite {
        lines.push(Line::styled(
            format!("Overwrite {name} with the recovered edits? What it holds now is lost."),
            theme.error,
        ));
        lines.push(dialog::keys_line(
            &[("y", "overwrite it"), ("n", "back")],
            theme,
        ));
    } else {
        lines.push(dialog::keys_line(
            &[("s", "save the recovered edits under a new name")],
            theme,
        ));
        lines.push(Line::from(vec![
            Span::styled("o", theme.key),
            Span::raw(format!(" overwrite {name} with them (asks again)")),
        ]));
        lines.push(dialog::keys_line(
            &[("d", "discard them and open the file as it is now")],
            theme,
        ));
        lines.push(dialog::keys_line(
            &[("esc", "decide later (saving asks again)")],
            theme,
        ));
    }
    dialog::render(
        frame,
        area,
        Span::styled(" Recovered edits: the file changed ", theme.title),
        lines,
        84,
    );
}

/// The one-line prompt (open, export, search, CSV columns) over the bottom of the pane, with
/// what Tab matched and the last problem.
fn render_prompt_after(
    frame: &mut Frame,
    inner: Rect,
    prompt: &Prompt,
    last_search: &str,
    cursor: Option<usize>,
    theme: &Theme,
) {
    let input = if prompt.suggested {
        // Shown selected: typing replaces it, tab keeps it to edit.
        Span::styled(prompt.input.clone(), theme.selected)
    } else {
        Span::raw(crate::app::line_edit::with_cursor(&prompt.input, cursor))
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{}: ", prompt.label()), theme.key),
        input,
    ])];
    if !prompt.candidates.is_empty() {
        lines.push(Line::styled(
            preview(&prompt.candidates.join("  "), usize::from(inner.width)),
            theme.muted,
        ));
    }
    if let Some(e) = &prompt.error {
        lines.push(Line::styled(e.clone(), theme.error));
    }
    let hint = match prompt.kind {
        _ if prompt.suggested => {
            "a suggestion: typing replaces it · tab keeps it to edit · enter · esc".to_owned()
        }
        PromptKind::Open | PromptKind::Export | PromptKind::SaveAs => {
            "tab completes · enter · esc".to_owned()
        }
        PromptKind::Search if !last_search.is_empty() => {
            format!("enter · enter on nothing finds {last_search:?} again · esc")
        }
        _ => "enter · esc".to_owned(),
    };
    lines.push(Line::styled(hint, theme.muted));
    // Counted once wrapped: a long path takes two rows, and the hint must still show.
    let height = (dialog::wrapped_height(&lines, inner.width) + 2).min(inner.height);
    let area = Rect {
        x: inner.x,
        y: inner.y + inner.height.saturating_sub(height),
        width: inner.width,
        height,
    };
    frame.render_widget(ratatui::widgets::Clear, area);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.key),
        ),
        area,
    );
}
