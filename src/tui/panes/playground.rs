//! The Playground pane: the model and settings lines, the prompt editor, the answers (one, or
//! two side by side when comparing) with finish reason, safety, tokens and timings, and over
//! them the model picker, the settings form, the history, or a batch evaluation's table.

use crate::app::App;
use crate::app::form::{self, FormField};
use crate::app::playground::{Eval, Focus, PlaygroundPane, Run};
use crate::domain::generation::GenerationField;
use crate::tui::theme::Theme;
use crate::tui::widgets::{dialog, preview};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let pane = &app.playground;
    let title = match (&pane.model, &pane.compare) {
        (Some(m), Some(c)) => format!(" Playground · {} vs {} ", m.label, c.label),
        (Some(m), None) => format!(" Playground · {} ", m.label),
        _ => " Playground ".to_owned(),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let prompt_height = (inner.height / 3).max(5);
    let [model_line, settings_line, prompt, refused, answers] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(prompt_height),
        Constraint::Length(u16::from(pane.refused.is_some())),
        Constraint::Min(3),
    ])
    .areas(inner);
    render_model_line(frame, model_line, pane, theme);
    frame.render_widget(
        Line::from(vec![
            Span::styled(" Settings ", theme.muted),
            Span::raw(pane.settings.summary()),
        ]),
        settings_line,
    );
    render_prompt(frame, prompt, pane, theme);
    if let Some(reason) = &pane.refused {
        frame.render_widget(Line::styled(format!(" {reason}"), theme.error), refused);
    }
    match &pane.eval {
        Some(eval) => render_eval(frame, answers, eval, theme),
        None => render_answers(frame, answers, app, theme),
    }
    match pane.focus {
        Focus::Picker { compare } => render_picker(frame, area, pane, compare, theme),
        Focus::Settings => render_settings(frame, area, pane, app.line_cursor, theme),
        Focus::History => render_history(frame, area, pane, theme),
        Focus::Normal | Focus::Prompt => {}
    }
}

fn render_model_line(frame: &mut Frame, area: Rect, pane: &PlaygroundPane, theme: &Theme) {
    let line = match &pane.model {
        Some(m) => {
            let streaming = if pane.no_stream.contains(&m.name) {
                " · generateContent (streaming 404s here)"
            } else {
                ""
            };
            Line::from(vec![
                Span::styled(" Model ", theme.muted),
                Span::styled(
                    if m.short_name() == m.name {
                        m.name.clone()
                    } else {
                        format!("{} ({})", m.label, m.short_name())
                    },
                    theme.accent,
                ),
                Span::raw(format!(" · {}{streaming}", m.describe())),
            ])
        }
        None => Line::from(vec![
            Span::styled(" Model ", theme.muted),
            Span::styled("none yet: m chooses one", theme.warn),
        ]),
    };
    frame.render_widget(line, area);
}

fn render_prompt(frame: &mut Frame, area: Rect, pane: &PlaygroundPane, theme: &Theme) {
    let focused = pane.focus == Focus::Prompt;
    let chars: usize = pane
        .prompt
        .lines()
        .iter()
        .map(|l| l.chars().count() + 1)
        .sum::<usize>()
        .saturating_sub(1);
    let style = if focused { theme.key } else { theme.muted };
    let hint = if focused {
        "esc done · ctrl-s send"
    } else {
        "i edits · enter sends"
    };
    let mut editor = pane.prompt.clone();
    editor.set_block(
        Block::default()
            .borders(Borders::ALL)
            .border_style(style)
            .title(format!(" Prompt · {chars} chars · {hint} ")),
    );
    if !focused {
        editor.set_cursor_style(Style::default());
    }
    frame.render_widget(&editor, area);
}

fn render_answers(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let pane = &app.playground;
    if pane.runs.is_empty() {
        let text = vec![
            Line::raw("Type a prompt (i), then enter sends it; the answer streams in here."),
            Line::styled(
                "m chooses the model · M adds a second one to compare · s settings · h history · b evaluates the dataset's held-out examples",
                theme.muted,
            ),
        ];
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    }
    let columns = Layout::horizontal(vec![Constraint::Fill(1); pane.runs.len()]).split(area);
    for (run, column) in pane.runs.iter().zip(columns.iter()) {
        render_run(
            frame,
            *column,
            app,
            run,
            pane.candidate,
            pane.scroll_back,
            theme,
        );
    }
}

fn status(run: &Run) -> (String, bool) {
    if let Some(e) = &run.error {
        return (format!("failed: {e}"), true);
    }
    if run.cancelled {
        return ("cancelled".into(), false);
    }
    match run.total {
        Some(_) => ("done".into(), false),
        None => ("answering…".into(), false),
    }
}

fn render_run(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    run: &Run,
    candidate: usize,
    scroll_back: u16,
    theme: &Theme,
) {
    let chosen = app.playground.model.iter().chain(&app.playground.compare);
    let label = app
        .models
        .find(&run.model)
        .map(|m| m.display_name.clone())
        .or_else(|| {
            chosen
                .filter(|m| m.name == run.model && m.short_name() != m.name)
                .map(|m| format!("{} ({})", m.label, m.short_name()))
                .next()
        })
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| run.model.clone());
    let (state, failed) = status(run);
    let tabs = if run.candidates.len() > 1 {
        format!(
            " · candidate {} of {} ([ ])",
            candidate.min(run.candidates.len() - 1) + 1,
            run.candidates.len()
        )
    } else {
        String::new()
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if failed { theme.error } else { theme.muted })
        .title(format!(" {label} · {state}{tabs} "));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let info = run_info(run, candidate, theme);
    let info_height = dialog::wrapped_height(&info, inner.width + 2).min(inner.height / 2);
    let [text_area, info_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(info_height)]).areas(inner);
    let index = candidate.min(run.candidates.len().saturating_sub(1));
    let text = crate::domain::generation::display_text(run.text(index));
    // Keep the end of a long answer in view while it streams, unless scrolled back (pageup).
    let width = usize::from(text_area.width.max(1));
    let lines: usize = text
        .split('\n')
        .map(|l| l.chars().count().div_ceil(width).max(1))
        .sum();
    let scroll =
        (lines.saturating_sub(usize::from(text_area.height)) as u16).saturating_sub(scroll_back);
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        text_area,
    );
    frame.render_widget(Paragraph::new(info).wrap(Wrap { trim: true }), info_area);
}

/// finishReason, timings, tokens, blocking and safety below an answer.
fn run_info<'a>(run: &Run, candidate: usize, theme: &Theme) -> Vec<Line<'a>> {
    let mut first = Vec::new();
    let view = run.candidates.get(candidate);
    if let Some(reason) = view.and_then(|c| c.finish_reason.clone()) {
        let style = if reason == "STOP" {
            theme.ok
        } else {
            theme.warn
        };
        first.push(Span::styled(format!("finishReason {reason}"), style));
    }
    if let Some(t) = run.first_token {
        first.push(Span::raw(format!(
            "first token {:.1} ms",
            t.as_secs_f64() * 1000.0
        )));
    }
    if let Some(t) = run.total {
        first.push(Span::raw(format!(
            "total {:.1} ms",
            t.as_secs_f64() * 1000.0
        )));
    }
    if let Some(u) = &run.usage {
        first.push(Span::raw(format!(
            "tokens {} in / {} out / {} total",
            u.prompt_token_count, u.candidates_token_count, u.total_token_count
        )));
    }
    if run.fell_back {
        first.push(Span::styled(
            "via generateContent (streaming 404)",
            theme.warn,
        ));
    }
    let mut spans = Vec::new();
    for (i, span) in first.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", theme.muted));
        }
        spans.push(span);
    }
    let mut lines = vec![Line::from(spans)];
    if let Some(reason) = &run.block_reason {
        lines.push(Line::styled(
            format!("Prompt blocked: {reason}"),
            theme.error,
        ));
    }
    if let Some(view) = view
        && !view.safety.is_empty()
    {
        let notable: Vec<String> = view
            .safety
            .iter()
            .filter(|(_, p, blocked)| p != "NEGLIGIBLE" || *blocked)
            .map(|(c, p, blocked)| {
                format!(
                    "{} {p}{}",
                    c.trim_start_matches("HARM_CATEGORY_"),
                    if *blocked { " (blocked)" } else { "" }
                )
            })
            .collect();
        lines.push(if notable.is_empty() {
            Line::styled(
                format!("safety: all {} categories NEGLIGIBLE", view.safety.len()),
                theme.muted,
            )
        } else {
            Line::styled(format!("safety: {}", notable.join(", ")), theme.warn)
        });
    }
    lines
}

fn render_eval(frame: &mut Frame, area: Rect, eval: &Eval, theme: &Theme) {
    let (done, exact, normalized, errors) = eval.counts();
    let pct = |n: usize| {
        if done == 0 {
            0.0
        } else {
            n as f64 * 100.0 / done as f64
        }
    };
    let time = match eval.finished {
        Some(t) => format!("{:.1} s", t.as_secs_f64()),
        None => format!("{} in flight", eval.in_flight.len()),
    };
    let title = format!(
        " Evaluation on {} · {done}/{} · exact {exact} ({:.0}%) · normalized {normalized} ({:.0}%) · {errors} errors · {time} ",
        eval.source,
        eval.examples.len(),
        pct(exact),
        pct(normalized)
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = usize::from(inner.height.saturating_sub(1));
    let offset = crate::app::layout::table_offset(eval.selected, height);
    let width = usize::from(inner.width.saturating_sub(12)) / 3;
    let cut = |t: &str| preview(t, width);
    let rows = eval
        .examples
        .iter()
        .zip(&eval.results)
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, (example, result))| {
            let (mark, style, got) = match result {
                None => ("…", theme.muted, String::new()),
                Some(r) if r.error.is_some() => {
                    ("!", theme.error, r.error.clone().unwrap_or_default())
                }
                Some(r) if r.exact => ("=", theme.ok, r.got.clone()),
                Some(r) if r.normalized => ("≈", theme.ok, r.got.clone()),
                Some(r) => ("✗", theme.warn, r.got.clone()),
            };
            let row = Row::new(vec![
                Cell::from(format!("{}", i + 1)),
                Cell::from(mark).style(style),
                Cell::from(cut(&example.text_input)),
                Cell::from(cut(&example.output)),
                Cell::from(cut(&got)),
            ]);
            if i == eval.selected {
                row.style(theme.selected)
            } else {
                row
            }
        });
    let widths = [
        Constraint::Length(6),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Fill(1),
        Constraint::Fill(1),
    ];
    let header = Row::new(vec!["#", "", "TEXT_INPUT", "EXPECTED", "GOT"]).style(theme.title);
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        inner,
    );
}

fn render_picker(
    frame: &mut Frame,
    area: Rect,
    pane: &PlaygroundPane,
    compare: bool,
    theme: &Theme,
) {
    let mut lines = Vec::new();
    if pane.choices.is_empty() {
        lines.push(Line::styled(
            if pane.base_models.is_none() {
                "Loading models…"
            } else {
                "No ACTIVE tuned model and no base model that answers generateContent."
            },
            theme.muted,
        ));
    }
    if pane.picker_typing || !pane.picker_filter.is_empty() {
        let filter = if pane.picker_typing {
            format!("{}▏", pane.picker_filter)
        } else {
            pane.picker_filter.clone()
        };
        lines.push(Line::from(vec![
            Span::styled("filter /", theme.key),
            Span::raw(filter),
        ]));
    }
    let shown = pane.picker_visible();
    if shown.is_empty() && !pane.choices.is_empty() {
        lines.push(Line::styled(
            "No model matches; esc clears the filter.",
            theme.muted,
        ));
    }
    let rows = 14usize;
    let at = shown
        .iter()
        .position(|i| *i == pane.picker_selected)
        .unwrap_or(0);
    let offset = crate::app::layout::table_offset(at, rows);
    for &i in shown.iter().skip(offset).take(rows) {
        let choice = &pane.choices[i];
        let kind = if choice.tuned || choice.name.contains("/endpoints/") {
            "tuned"
        } else {
            "base "
        };
        let style = if i == pane.picker_selected {
            theme.selected
        } else {
            Style::default()
        };
        // The display name beside the id, when the model has one of its own.
        let id = choice.name.rsplit('/').next().unwrap_or(&choice.name);
        let label = if choice.label.is_empty() || choice.label == id {
            String::new()
        } else {
            preview(&choice.label, 40)
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{kind} "), theme.muted),
            Span::styled(format!("{:<44}", preview(&choice.short_name(), 44)), style),
            Span::raw(" "),
            Span::styled(label, theme.muted),
        ]));
        if i == pane.picker_selected {
            lines.push(Line::styled(
                format!("      {}", choice.describe()),
                theme.muted,
            ));
        }
    }
    let title = if compare {
        " Compare with "
    } else {
        " Choose a model "
    };
    dialog::render(frame, area, Span::styled(title, theme.title), lines, 96);
}

fn render_settings(
    frame: &mut Frame,
    area: Rect,
    pane: &PlaygroundPane,
    cursor: Option<usize>,
    theme: &Theme,
) {
    let mut lines = Vec::new();
    let tuned = pane.model.as_ref().is_some_and(|m| m.tuned);
    for (field, text) in pane.settings.values.iter() {
        let focused = pane.settings_focus == form::Focus::Text(field);
        let value = if focused {
            crate::app::line_edit::with_cursor(text, cursor)
        } else {
            text.to_owned()
        };
        let mut line = dialog::field(format!("{:<18}", field.label()), value, focused, theme);
        let hint = match field {
            GenerationField::StopSequences => "  comma-separated, at most 5",
            GenerationField::SystemInstruction if tuned => "  (tuned models refuse it)",
            GenerationField::ResponseMimeType if tuned => {
                "  (no application/json for tuned models)"
            }
            GenerationField::ResponseMimeType => "  text/plain, application/json, text/x.enum",
            _ => "",
        };
        line.spans.push(Span::styled(hint, theme.muted));
        lines.push(line);
    }
    lines.push(dialog::field(
        format!("{:<18}", "safety threshold"),
        format!("‹ {} ›", pane.settings.threshold_label()),
        pane.settings_focus == form::Focus::Choice(0),
        theme,
    ));
    lines.push(Line::styled(
        "Empty fields are not sent; the model's own defaults were filled in when it was chosen.",
        theme.muted,
    ));
    lines.push(dialog::keys_line(
        &[
            ("tab", "next field"),
            ("←/→", "safety"),
            ("enter/esc", "done"),
        ],
        theme,
    ));
    dialog::render(
        frame,
        area,
        Span::styled(" Generation settings ", theme.title),
        lines,
        84,
    );
}

fn render_history(frame: &mut Frame, area: Rect, pane: &PlaygroundPane, theme: &Theme) {
    let history = pane.model_history();
    let mut lines = Vec::new();
    if history.is_empty() {
        lines.push(Line::styled(
            "No prompts sent to this model yet.",
            theme.muted,
        ));
    }
    let visible = 12usize;
    let offset = crate::app::layout::table_offset(pane.history_selected, visible);
    for (i, entry) in history.iter().enumerate().skip(offset).take(visible) {
        let style = if i == pane.history_selected {
            theme.selected
        } else {
            Style::default()
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", entry.time), theme.muted),
            Span::styled(preview(&entry.prompt, 36), style),
            Span::styled(" → ", theme.muted),
            Span::raw(preview(&entry.answer, 36)),
        ]));
    }
    dialog::render(
        frame,
        area,
        Span::styled(" History (newest first) ", theme.title),
        lines,
        104,
    );
}
