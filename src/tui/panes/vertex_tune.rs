//! The Vertex AI start-tuning form over the Dataset tab: its fields, the two ←/→ choices, what
//! the split will be, and the upload's progress bar.

use crate::app::dataset::{VertexTuneField, VertexTuneForm};
use crate::app::form::Focus;
use crate::tui::theme::Theme;
use crate::tui::widgets::dialog;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// Width of the progress bar, in cells.
const BAR: usize = 40;

pub fn render(
    frame: &mut Frame,
    area: Rect,
    form: &VertexTuneForm,
    examples: usize,
    cursor: Option<usize>,
    theme: &Theme,
) {
    if let Some(rows) = &form.review
        && form.upload.is_none()
    {
        dialog::render_review(
            frame,
            area,
            " Start tuning on Vertex AI: review ",
            "This uploads the datasets and creates a tuning job:",
            rows,
            form.error.as_deref(),
            true,
            theme,
        );
        return;
    }
    let mut lines = vec![method_line(form, theme)];
    let open = form.open_model().is_some();
    let default_output = form.default_output_uri();
    for (field, text) in form.values.iter() {
        if !form.offers(field) {
            continue;
        }
        let focused = form.focus == Focus::Text(field);
        let hint = match (field, text.trim().is_empty()) {
            (VertexTuneField::Multiplier, true) if open => "  (the service's choice)",
            (VertexTuneField::BatchSize, true) => "  (the service's choice)",
            (VertexTuneField::OutputUri, true) if default_output.is_empty() => {
                "  (required: gs://bucket/folder for the tuned weights)"
            }
            (VertexTuneField::OutputUri, true) => "  (empty: the bucket's tuned/ folder)",
            (VertexTuneField::Description, true) => "  (optional)",
            (VertexTuneField::Epochs, true) => "  (the service's choice)",
            (VertexTuneField::Multiplier, true) => "  (the service's choice, 1.0)",
            (VertexTuneField::Beta, true) => "  (the service's choice; above 0, at most 1)",
            (VertexTuneField::Validation, _) => "  (split off, uploaded as the validation set)",
            (VertexTuneField::Bucket, true) => "  (required: a Cloud Storage bucket you can write)",
            _ if form.is_remembered(field) => "  (remembered from the last job)",
            (VertexTuneField::Prefix, _) => "  (remembered with the bucket)",
            _ => "",
        };
        lines.push(dialog::text_field(
            form.label(field),
            text,
            focused,
            cursor,
            hint,
            theme,
        ));
    }
    let source = form
        .chosen_source()
        .map_or("—".to_owned(), |s| format!("‹ {} ›", s.label));
    lines.push(dialog::field(
        format!("{:<15}", "Tune from"),
        source,
        form.focus == Focus::Choice(0),
        theme,
    ));
    let sizes: Vec<String> = form
        .adapter_choices()
        .iter()
        .map(|a| a.map_or("service's choice".to_owned(), |r| r.to_string()))
        .collect();
    let adapter = format!(
        "‹ {} ›  of {}",
        sizes.get(form.adapter).cloned().unwrap_or_default(),
        sizes.join(", ")
    );
    lines.push(dialog::field(
        format!("{:<15}", "Adapter size"),
        adapter,
        form.focus == Focus::Choice(1),
        theme,
    ));
    if let Some(hint) = source_hint(form) {
        lines.push(Line::styled(hint, theme.muted));
    }
    if open {
        let modes: Vec<&str> = form.mode_choices().iter().map(|m| m.word()).collect();
        lines.push(dialog::field(
            format!("{:<15}", "Tuning mode"),
            format!(
                "‹ {} ›  of {}",
                form.tuning_mode().map_or("", |m| m.word()),
                modes.join(", ")
            ),
            form.focus == Focus::Choice(2),
            theme,
        ));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(split_line(form, examples), theme.accent));
    if let Some(upload) = &form.upload {
        let done = if upload.total == 0 {
            BAR
        } else {
            (upload.written() as f64 / upload.total as f64 * BAR as f64).round() as usize
        };
        lines.push(Line::from(vec![
            Span::styled("upload ", theme.muted),
            Span::styled("█".repeat(done.min(BAR)), theme.accent),
            Span::styled("░".repeat(BAR - done.min(BAR)), theme.muted),
            Span::raw(format!(" {} / {} bytes", upload.written(), upload.total)),
        ]));
        lines.push(Line::styled(
            format!("{} · then the job is created", upload.object),
            theme.muted,
        ));
    }
    if let Some(e) = &form.error {
        lines.push(Line::styled(e.clone(), theme.error));
    }
    let keys: &[(&str, &str)] = if form.upload.is_some() {
        &[("esc", "hide: the upload goes on, T shows it again")]
    } else {
        &[
            ("tab/enter", "next field"),
            ("←/→", "choose"),
            ("ctrl-s", "upload and start now"),
            ("esc", "cancel"),
        ]
    };
    lines.push(dialog::keys_line(keys, theme));
    dialog::render(
        frame,
        area,
        Span::styled(" Start tuning on Vertex AI ", theme.title),
        lines,
        92,
    );
}

/// The method, which the examples decide, and what the other one would need.
fn method_line(form: &VertexTuneForm, theme: &Theme) -> Line<'static> {
    let (method, note) = if form.preference {
        (
            "preference (DPO)",
            "  (supervised tuning needs prompt-and-answer data)",
        )
    } else {
        (
            "supervised",
            "  (preference tuning needs a preference file)",
        )
    };
    Line::from(vec![
        Span::styled(format!("{:<15}", "Method"), theme.muted),
        Span::styled(method, theme.accent),
        Span::styled(note, theme.muted),
    ])
}

/// For preference tuning from a base model: Google's advice, supervised tuning first and
/// preference tuning from that model or a checkpoint of it.
fn source_hint(form: &VertexTuneForm) -> Option<String> {
    use crate::domain::vertex::VertexSource;
    if !form.preference || !matches!(form.chosen_source()?.source, VertexSource::Base(_)) {
        return None;
    }
    let tuned = form
        .sources
        .iter()
        .any(|s| matches!(s.source, VertexSource::Tuned { .. }));
    Some(if tuned {
        "Recommended: ←/→ a tuned model or checkpoint (supervised first, then DPO)".into()
    } else {
        "Recommended: tune supervised first, then DPO from that model (Google's advice)".into()
    })
}

/// "N examples → T for training, V for validation", or why the share does not split.
fn split_line(form: &VertexTuneForm, examples: usize) -> String {
    match form
        .typed()
        .and_then(|s| s.split_sizes(examples).map_err(|p| p.to_string()))
    {
        Ok((_, 0)) => format!(
            "{examples} examples, all for training; no validation set, so no eval loss curve"
        ),
        Ok((train, validation)) => format!(
            "{examples} examples → {train} for training, {validation} for validation (eval loss)"
        ),
        Err(problem) => format!("{examples} examples; {problem}"),
    }
}
