//! One Vertex AI tuning job in full, over the Models tab: every field, what it made (model,
//! endpoint, checkpoints), a failed job's error, and its dataset statistics with token
//! histograms.

use crate::api::vertex::types::{Distribution, TuningJob};
use crate::domain::vertex::{JobStage, JobSummary, job_label};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

fn field(label: &str, value: impl Into<String>, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:<16}"), theme.muted),
        Span::raw(value.into()),
    ])
}

fn time(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "—".into())
}

/// The checkpoint rows' state: the one chosen with `[`/`]`, and the model's default checkpoint
/// when the Model Registry said it.
#[derive(Debug, Clone, Copy)]
pub struct Checkpoints<'a> {
    pub chosen: usize,
    pub default: Option<&'a str>,
}

pub fn render(
    frame: &mut Frame,
    area: Rect,
    job: &TuningJob,
    (stage, today): (Option<JobStage>, chrono::NaiveDate),
    scroll: u16,
    checkpoints: Checkpoints<'_>,
    theme: &Theme,
) {
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(format!(" {} ", job_label(job)), theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(inner);
    frame.render_widget(
        Paragraph::new(job_lines(job, stage, today, checkpoints, theme))
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        left,
    );
    let block = Block::default()
        .borders(Borders::LEFT)
        .title(Span::styled(" Dataset statistics ", theme.title));
    let stats_area = block.inner(right);
    frame.render_widget(block, right);
    let width = usize::from(stats_area.width.saturating_sub(1));
    frame.render_widget(
        Paragraph::new(stats_lines(job, width, theme))
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        stats_area,
    );
}

/// Every field of the job worth reading: where it stands, what it was asked, what it made.
/// `stage` is the job's as its row reads it (with the quota's queue, which one job alone
/// cannot tell).
fn job_lines(
    job: &TuningJob,
    stage: Option<JobStage>,
    today: chrono::NaiveDate,
    checkpoints: Checkpoints<'_>,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let row = JobSummary::of(job);
    let spec = crate::domain::preference::shared_spec(job).unwrap_or_default();
    let hp = spec.hyper_parameters.clone().unwrap_or_default();
    let opt = |v: Option<String>| v.unwrap_or_else(|| "—".into());
    let state = vec![
        Span::styled(format!("{:<16}", "State"), theme.muted),
        Span::styled(row.state.clone(), theme.job_state(&row.state)),
    ];
    let mut lines = vec![field("Job", job.name.clone(), theme), Line::from(state)];
    // Where it stands within its state, on a line of its own: the queue's sentence is long.
    if let Some(stage) = stage.or(row.stage) {
        let style = match stage {
            JobStage::WaitingForQuota { .. } | JobStage::WaitingForCapacity => theme.warn,
            _ => theme.muted,
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{:<16}", "Stage"), theme.muted),
            Span::styled(stage.text(), style),
        ]));
    }
    lines.push(field("Base model", row.base_model.clone(), theme));
    // The method: supervised and preference jobs with their settings in a line; the early
    // access methods with their spec's lines further down.
    let method = crate::domain::vertex_methods::TuningMethod::of(job);
    let own_spec = !matches!(
        method,
        crate::domain::vertex_methods::TuningMethod::Supervised
            | crate::domain::vertex_methods::TuningMethod::Preference
    );
    if !own_spec {
        lines.push(field(
            "Method",
            crate::domain::preference::method_text(job),
            theme,
        ));
    }
    // A base that retires (or has): the mark, and what R rebases onto.
    if let Some(mark) = row.base_mark(today) {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<16}", "Base's life"), theme.muted),
            Span::styled(mark, theme.warn),
        ]));
        lines.push(field(
            "Rebase with R",
            format!(
                "onto {}",
                crate::domain::models::suggested_base(&row.base_model, today)
            ),
            theme,
        ));
    }
    if let Some(open) = row.open_text() {
        lines.push(field("Open model", open, theme));
    }
    if let Some(pre) = &job.pre_tuned_model {
        let from = if pre.checkpoint_id.is_empty() {
            pre.tuned_model_name.clone()
        } else {
            format!("{} checkpoint {}", pre.tuned_model_name, pre.checkpoint_id)
        };
        lines.push(field("Continues", from, theme));
    }
    if !job.description.is_empty() {
        lines.push(field("Description", job.description.clone(), theme));
    }
    lines.extend([
        field("Created", time(job.create_time), theme),
        field("Started", time(job.start_time), theme),
        field("Ended", time(job.end_time), theme),
        field("Updated", time(job.update_time), theme),
        field("Duration", row.duration_text(), theme),
        field("Epochs", opt(row.epochs.map(|v| v.to_string())), theme),
        field(
            "LR multiplier",
            opt(hp.learning_rate_multiplier.map(|v| v.to_string())),
            theme,
        ),
        field(
            "Adapter size",
            opt(row.adapter_rank.map(|v| v.to_string())),
            theme,
        ),
        field("Steps", opt(row.steps.map(|v| v.to_string())), theme),
    ]);
    // v1beta1's progress counters, when the service sends them.
    if let Some(meta) = &job.tuning_job_metadata {
        lines.push(field(
            "Completed",
            format!(
                "{} epochs · {} steps",
                opt(meta.completed_epoch_count.map(|v| v.to_string())),
                opt(meta.completed_step_count.map(|v| v.to_string()))
            ),
            theme,
        ));
    }
    // Distillation and reinforcement jobs: the method and what its spec holds.
    if own_spec {
        lines.push(field("Method", method.label(), theme));
        for (label, value) in crate::domain::vertex_methods::spec_lines(job) {
            let mut label = label.to_owned();
            if let Some(first) = label.get_mut(..1) {
                first.make_ascii_uppercase();
            }
            lines.push(field(&label, value, theme));
        }
    } else {
        lines.push(field(
            "Training data",
            spec.training_dataset_uri.clone(),
            theme,
        ));
    }
    if !spec.validation_dataset_uri.is_empty() {
        lines.push(field(
            "Validation",
            spec.validation_dataset_uri.clone(),
            theme,
        ));
    }
    if spec.export_last_checkpoint_only {
        lines.push(field("Checkpoints", "the last only (asked)", theme));
    }
    for (key, value) in &job.labels {
        lines.push(field("Label", format!("{key}={value}"), theme));
    }
    if !job.experiment.is_empty() {
        lines.push(field("Experiment", job.experiment.clone(), theme));
    }
    if let Some(error) = &job.error {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!("Error (code {}): {}", error.code, error.message),
            theme.error,
        ));
    }
    if let Some(tuned) = &job.tuned_model {
        lines.push(Line::raw(""));
        lines.push(field("Tuned model", tuned.model.clone(), theme));
        lines.push(field("Endpoint", tuned.endpoint.clone(), theme));
        if !tuned.checkpoints.is_empty() {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("Checkpoints ({})", tuned.checkpoints.len()),
                    theme.title,
                ),
                Span::styled(": id · epoch · step · endpoint", theme.muted),
            ]));
            lines.push(Line::styled(
                "  [ ] choose one · D makes it the model's default",
                theme.muted,
            ));
            let chosen = checkpoints.chosen.min(tuned.checkpoints.len() - 1);
            for (i, c) in tuned.checkpoints.iter().enumerate() {
                let at = |v: Option<i64>| v.map_or("?".to_owned(), |v| v.to_string());
                let style = if i == chosen {
                    theme.selected
                } else {
                    ratatui::style::Style::default()
                };
                let mut spans = vec![Span::styled(
                    format!(
                        "{} {:>3} · epoch {:>3} · step {:>6}  ",
                        if i == chosen { "›" } else { " " },
                        c.checkpoint_id,
                        at(c.epoch),
                        at(c.step)
                    ),
                    style,
                )];
                // Before the endpoint, so a narrow column cuts the endpoint, not the mark.
                if checkpoints.default == Some(c.checkpoint_id.as_str()) {
                    spans.push(Span::styled("default  ", theme.ok));
                }
                spans.push(Span::styled(
                    c.endpoint
                        .rsplit_once("/endpoints/")
                        .map_or(c.endpoint.clone(), |(_, id)| id.to_owned()),
                    theme.muted,
                ));
                lines.push(Line::from(spans));
            }
        }
    }
    lines
}

/// The data statistics: counts, token totals, the two token distributions as histograms, and
/// what was truncated or dropped.
fn stats_lines(job: &TuningJob, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    if let Some(stats) = job
        .tuning_data_stats
        .as_ref()
        .and_then(|s| s.preference_optimization_data_stats.as_ref())
    {
        return preference_stats_lines(stats, theme);
    }
    let Some(stats) = job
        .tuning_data_stats
        .as_ref()
        .and_then(|s| s.supervised_tuning_data_stats.as_ref())
    else {
        // Distillation and reinforcement jobs report statistics of their own kinds
        // (`distillationDataStats`, `reinforcementTuningDataStats`), which are not read here.
        let text = if matches!(
            crate::domain::vertex_methods::TuningMethod::of(job),
            crate::domain::vertex_methods::TuningMethod::Supervised
                | crate::domain::vertex_methods::TuningMethod::Preference
        ) {
            " Not yet: the service reads the dataset first."
        } else {
            " This method's statistics are not shown here."
        };
        return vec![Line::styled(text, theme.muted)];
    };
    let n = |v: Option<i64>| {
        v.map_or("—".to_owned(), |v| {
            crate::app::playground::thousands(usize::try_from(v).unwrap_or(0))
        })
    };
    let mut lines = vec![
        field("Examples", n(stats.tuning_dataset_example_count), theme),
        field("Characters", n(stats.total_tuning_character_count), theme),
        field(
            "Billable tokens",
            n(stats.total_billable_token_count),
            theme,
        ),
        field("Steps", n(stats.tuning_step_count), theme),
    ];
    for (title, dist) in [
        ("Input tokens", &stats.user_input_token_distribution),
        ("Output tokens", &stats.user_output_token_distribution),
        ("Messages", &stats.user_message_per_example_distribution),
    ] {
        if let Some(dist) = dist {
            lines.push(Line::raw(""));
            lines.extend(histogram(title, dist, width, theme));
        }
    }
    let truncated = stats.total_truncated_example_count.unwrap_or(0);
    if truncated > 0 || !stats.truncated_example_indices.is_empty() {
        lines.push(Line::raw(""));
        let indices: Vec<String> = stats
            .truncated_example_indices
            .iter()
            .take(20)
            .map(|i| i.to_string())
            .collect();
        lines.push(Line::styled(
            format!(
                " Truncated examples: {truncated} (#{})",
                indices.join(", #")
            ),
            theme.warn,
        ));
    }
    if !stats.dropped_example_reasons.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!(" Dropped examples: {}", stats.dropped_example_reasons.len()),
            theme.warn,
        ));
        for reason in stats.dropped_example_reasons.iter().take(10) {
            lines.push(Line::raw(format!("   {reason}")));
        }
    }
    lines
}

/// A distribution as a few lines: its summary, then one bar a bucket.
fn histogram(title: &str, dist: &Distribution, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(vec![
        Span::styled(format!(" {title}"), theme.title),
        Span::styled(
            format!(
                "  min {} · median {} · mean {:.1} · p95 {} · max {}",
                dist.min, dist.median, dist.mean, dist.p95, dist.max
            ),
            theme.muted,
        ),
    ])];
    let most = dist.buckets.iter().map(|b| b.count).fold(0.0, f64::max);
    let labels: Vec<String> = dist
        .buckets
        .iter()
        .map(|b| format!("{:.0}–{:.0}", b.left, b.right))
        .collect();
    let label_width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let bar_room = width.saturating_sub(label_width + 12).max(4);
    for (bucket, label) in dist.buckets.iter().zip(labels) {
        let bar = if most > 0.0 {
            ((bucket.count / most) * bar_room as f64).round() as usize
        } else {
            0
        };
        lines.push(Line::from(vec![
            Span::styled(format!("  {label:>label_width$} "), theme.muted),
            Span::styled(
                "█".repeat(bar.max(usize::from(bucket.count > 0.0))),
                theme.accent,
            ),
            Span::raw(format!(" {}", bucket.count)),
        ]));
    }
    lines
}

/// A preference (DPO) job's dataset statistics: its counts and the examples it dropped.
fn preference_stats_lines(
    stats: &crate::api::vertex::types::PreferenceOptimizationDataStats,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let n = |v: Option<i64>| {
        v.map_or("—".to_owned(), |v| {
            crate::app::playground::thousands(usize::try_from(v).unwrap_or(0))
        })
    };
    let mut lines = vec![
        field(
            "Examples",
            format!("{} preference pairs", n(stats.tuning_dataset_example_count)),
            theme,
        ),
        field(
            "Billable tokens",
            n(stats.total_billable_token_count),
            theme,
        ),
        field("Steps", n(stats.tuning_step_count), theme),
    ];
    if !stats.dropped_example_indices.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!(" Dropped examples: {}", stats.dropped_example_indices.len()),
            theme.warn,
        ));
        for (i, reason) in stats
            .dropped_example_indices
            .iter()
            .zip(&stats.dropped_example_reasons)
            .take(10)
        {
            lines.push(Line::raw(format!("   example {i}: {reason}")));
        }
    }
    lines
}
