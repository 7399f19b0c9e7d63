//! The Monitor pane: the tuning jobs beside the selected job's progress and its meanLoss chart
//! (per step or per epoch, smoothed or not, linear or log), with epoch boundaries, the lowest
//! loss marked and a cursor that reads any point.

use crate::app::App;
use crate::domain::progress::{
    Job, JobState, downsample, epoch_boundaries, epoch_in_progress, epochs_of_steps, eta,
    is_stalled, steps_per_minute,
};
use crate::domain::vertex::{JobStage, jobs_ahead};
use crate::tui::theme::Theme;
use crate::tui::widgets::dialog;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Block, Borders, Chart, Dataset, GraphType, LineGauge, Paragraph, Wrap,
};
use std::time::Duration;

fn human(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h {:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

/// A job as the list and the legend name it: its own display name, else its model's from the
/// models list, else the model's id.
fn job_label(app: &App, job: &Job) -> String {
    if !job.display_name.is_empty() {
        return job.display_name.clone();
    }
    app.models
        .find(&job.model)
        .map(|x| x.display_name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| job.model.trim_start_matches("tunedModels/").to_owned())
}

/// A job's stage with, while it waits for quota, the count of the project's jobs ahead of it
/// in the jobs list (when the list holds it).
fn queued(app: &App, job: &Job, stage: JobStage) -> JobStage {
    match stage {
        JobStage::WaitingForQuota { .. } => JobStage::WaitingForQuota {
            ahead: app
                .jobs
                .find(&job.name)
                .map(|listed| jobs_ahead(listed, &app.jobs.jobs)),
        },
        other => other,
    }
}

fn job_state(job: &Job, stalled: bool) -> &'static str {
    match job.state {
        JobState::Running if stalled => "STALLED",
        state => state.label(),
    }
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let m = &app.monitor;
    if m.jobs.is_empty() {
        let lines = vec![
            Line::raw("No tuning jobs yet."),
            Line::styled(
                "Models that are CREATING appear here and are followed live; finished jobs stay listed until you quit (w on a model in the Models tab brings any job back).",
                theme.muted,
            ),
        ];
        let block = Block::default().borders(Borders::ALL).title(" Monitor ");
        frame.render_widget(
            Paragraph::new(lines)
                .block(block)
                .wrap(Wrap { trim: false }),
            area,
        );
        return;
    }
    let [list, main] =
        Layout::horizontal([Constraint::Length(34), Constraint::Min(20)]).areas(area);
    render_jobs(frame, list, app, theme);
    if let Some(job) = m.selected_job() {
        render_job(frame, main, app, job, theme);
    }
    if let Some(model) = &m.offer_delete {
        let label = app.label_of(model);
        let lines = if m.offer_after_cancel {
            vec![
                Line::raw(format!("Tuning of {label} was cancelled.")),
                Line::styled(
                    "Its quality is unpredictable; the docs advise deleting it. Delete it now?",
                    theme.warn,
                ),
                dialog::keys_line(&[("y", "delete the model"), ("n", "keep it")], theme),
            ]
        } else {
            vec![
                Line::raw(format!("Delete {label}?")),
                Line::styled(
                    "The tuned model and its tuning history are deleted; this cannot be undone.",
                    theme.warn,
                ),
                dialog::keys_line(&[("y", "delete the model"), ("n", "keep it")], theme),
            ]
        };
        dialog::render(
            frame,
            area,
            Span::styled(" Delete? ", theme.warn),
            lines,
            80,
        );
    }
    if let Some(op) = &m.confirm_cancel {
        let model = op.split("/operations/").next().unwrap_or(op);
        let lines = vec![
            Line::raw(format!("Cancel tuning of {model}?")),
            Line::styled(
                "The model keeps what it learned so far; its quality is unpredictable.",
                theme.warn,
            ),
            dialog::keys_line(&[("y", "cancel the job"), ("n", "keep tuning")], theme),
        ];
        dialog::render(
            frame,
            area,
            Span::styled(" Cancel ", theme.error),
            lines,
            74,
        );
    }
}

fn render_jobs(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let m = &app.monitor;
    let now = app.clock.utc;
    let lines: Vec<Line> = m
        .jobs
        .iter()
        .enumerate()
        .map(|(i, job)| {
            let stalled = !job.is_done() && is_stalled(&job.train_loss, now, app.stall_factor);
            let state = job_state(job, stalled);
            let style = match state {
                "DONE" => theme.ok,
                "FAILED" => theme.error,
                "TUNING" => theme.warn,
                _ => theme.muted,
            };
            let name = job_label(app, job);
            let row = Line::from(vec![
                Span::raw(if m.compare.contains(&job.name) {
                    "◆"
                } else {
                    " "
                }),
                Span::styled(format!("{:>4.0}% ", job.percent()), style),
                Span::raw(name),
            ]);
            if i == m.selected {
                row.style(theme.selected)
            } else {
                row
            }
        })
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" Jobs ({}) ", m.jobs.len()));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn render_job(frame: &mut Frame, area: Rect, app: &App, job: &Job, theme: &Theme) {
    let m = &app.monitor;
    let block = Block::default().borders(Borders::ALL).title(Span::styled(
        format!(
            " {} ",
            if job.display_name.is_empty() {
                &job.model
            } else {
                &job.display_name
            }
        ),
        theme.title,
    ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [stats, chart_area] =
        Layout::vertical([Constraint::Length(5), Constraint::Min(3)]).areas(inner);
    let now = app.clock.utc;
    let stalled = !job.is_done() && is_stalled(&job.train_loss, now, app.stall_factor);
    let state = job_state(job, stalled);
    let hp = app
        .models
        .find(&job.model)
        .and_then(|x| x.hyperparameters().cloned());
    let epoch_count = job.epochs.or(hp.as_ref().and_then(|h| h.epoch_count));
    let epochs = epoch_count.map_or_else(|| "?".to_owned(), |e| e.to_string());
    let last = job.train_loss.last();
    let started = app
        .models
        .find(&job.model)
        .and_then(|x| x.tuning_task.as_ref().and_then(|t| t.start_time))
        .or_else(|| job.train_loss.first().and_then(|s| s.time));
    let end = if job.is_done() {
        last.and_then(|s| s.time).unwrap_or(now)
    } else {
        now
    };
    let elapsed = started.and_then(|s| (end - s).to_std().ok());
    let completed = last.map_or(0, |s| s.epoch);
    // A job that finished well ran every epoch it completed; one still running, or stopped,
    // was in the next.
    let current = if job.is_done() && job.error.is_none() {
        completed.max(1)
    } else {
        epoch_in_progress(completed, epoch_count)
    };
    let mut facts = vec![format!("epoch {current} of {epochs}")];
    // A preference (DPO) job: its method, and where its rewards stand.
    if job.preference {
        facts.insert(0, "preference (DPO)".to_owned());
        if let (Some(a), Some(m)) = (job.train_accuracy.last(), job.train_margin.last()) {
            facts.push(format!(
                "reward accuracy {:.2} · margin {:.3}",
                a.value, m.value
            ));
        }
    }
    if let Some(stage) = job.stage.filter(|_| !job.is_done()) {
        facts.insert(0, queued(app, job, stage).text());
    }
    if !job.checkpoints.is_empty() {
        facts.push(format!(
            "{} (marked on the chart)",
            crate::domain::words::count(job.checkpoints.len() as u64, "checkpoint")
        ));
    }
    if let Some(e) = elapsed {
        facts.push(format!("elapsed {}", human(e)));
    }
    if let Some(rate) = steps_per_minute(&job.train_loss) {
        facts.push(format!("{rate:.0} steps/min"));
    }
    if !job.is_done()
        && let Some(left) = eta(&job.train_loss, job.total_steps)
    {
        facts.push(format!("ETA {}", human(left)));
    }
    let lowest = job
        .train_loss
        .iter()
        .min_by(|a, b| a.value.total_cmp(&b.value));
    let step_epochs = epochs_of_steps(&job.train_loss);
    let epoch_of = |step: i32| {
        job.train_loss
            .iter()
            .position(|s| s.step == step)
            .map_or(0, |i| step_epochs[i])
    };
    let series = m.series(job, app.ema_alpha);
    let mode = format!(
        "{}{}{}",
        if m.per_epoch { "per epoch" } else { "per step" },
        if m.smoothing {
            format!(" · EMA α={}", app.ema_alpha)
        } else {
            String::new()
        },
        if m.log_scale { " · log scale" } else { "" },
    ) + match (m.margin, m.accuracy, job.preference) {
        (true, _, _) => " · reward margin",
        (false, true, true) => " · reward accuracy",
        (false, true, false) => " · accuracy",
        _ => "",
    };
    let state_style = match state {
        "DONE" => theme.ok,
        "FAILED" | "STALLED" => theme.error,
        "CANCELLED" => theme.muted,
        _ => theme.warn,
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{state}  "), state_style),
            Span::raw(facts.join(" · ")),
        ]),
        Line::from(vec![
            Span::styled("loss ", theme.muted),
            Span::raw(match (lowest, last) {
                (Some(lo), Some(la)) => format!(
                    "lowest {:.4} at step {} (epoch {}) · last {:.4}{} · {mode}",
                    lo.value,
                    lo.step,
                    epoch_of(lo.step),
                    la.value,
                    job.eval_loss
                        .last()
                        .map(|e| format!(" · eval {:.4} at step {}", e.value, e.step))
                        .unwrap_or_default(),
                ),
                _ => format!("no snapshots yet · {mode}"),
            }),
        ]),
    ];
    if let Some(i) = m.cursor
        && let Some((x, y)) = series.get(i)
    {
        let what = if m.per_epoch {
            format!("epoch {x}: mean loss {y:.4}")
        } else {
            let index = job.train_loss.iter().position(|s| f64::from(s.step) == *x);
            let at = index
                .and_then(|i| job.train_loss[i].time)
                .map(|t| t.format("%H:%M:%S%.3fZ").to_string())
                .unwrap_or_default();
            let epoch = index.map_or(0, |i| epochs_of_steps(&job.train_loss)[i]);
            format!("step {x} · epoch {epoch} · loss {y:.4} · {at}")
        };
        lines.push(Line::from(vec![
            Span::styled("cursor ", theme.key),
            Span::raw(what),
        ]));
    } else if let Some((code, message)) = &job.error {
        // The service's message may already say what to do (a diverged job names the rate).
        let hint = if *code == 1 || message.to_lowercase().contains("learning rate") {
            ""
        } else {
            " — lower the learning rate, or check the data"
        };
        lines.push(Line::styled(format!("{message}{hint}"), theme.error));
    } else if let Some(poll) = m.poll_errors.get(&job.name) {
        lines.push(Line::styled(format!("polling: {poll}"), theme.warn));
    } else if stalled {
        lines.push(Line::styled(
            format!(
                "no new step for over {}× the median step time",
                app.stall_factor
            ),
            theme.error,
        ));
    } else if job.truncated_examples > 0 {
        lines.push(Line::styled(
            format!(
                "{} truncated by the service{}",
                crate::domain::words::count(job.truncated_examples as u64, "example"),
                job.truncated_reason
                    .as_ref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
            theme.warn,
        ));
    }
    let [text, gauge] =
        Layout::vertical([Constraint::Length(4), Constraint::Length(1)]).areas(stats);
    // Long lines (a failure's message) wrap rather than run off the pane.
    frame.render_widget(
        Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: true }),
        text,
    );
    let ratio = (job.percent() / 100.0).clamp(0.0, 1.0);
    frame.render_widget(
        LineGauge::default()
            .filled_style(state_style)
            .ratio(ratio)
            .label(if job.total_steps > 0 {
                format!(
                    "step {} of {} · {:.1}%",
                    job.completed_steps(),
                    job.total_steps,
                    job.percent()
                )
            } else if job.name.contains("/tuningJobs/") {
                // A Vertex AI job learns its step count once the service has read its dataset.
                format!(
                    "step {} · total not known until the dataset is read",
                    job.completed_steps()
                )
            } else {
                format!(
                    "step {} · total unknown (no operation found: polling the model)",
                    job.completed_steps()
                )
            }),
        gauge,
    );
    render_chart(frame, chart_area, app, job, &series, theme);
}

fn render_chart(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    job: &Job,
    series: &[(f64, f64)],
    theme: &Theme,
) {
    let compared = app.monitor.compared_jobs();
    if !compared.is_empty() {
        render_compare(frame, area, app, &compared, theme);
        return;
    }
    let m = &app.monitor;
    if series.is_empty() {
        let text = if m.margin && !job.train_loss.is_empty() {
            "No reward margin for this job yet (a toggles back to loss)."
        } else if m.accuracy && !job.train_loss.is_empty() {
            "No accuracy series for this job (a toggles back to loss)."
        } else {
            "Waiting for the first step…"
        };
        frame.render_widget(Paragraph::new(Line::styled(text, theme.muted)), area);
        return;
    }
    let transform = |y: f64| if m.log_scale { y.max(1e-6).ln() } else { y };
    // Two braille dots per column: more points than that cannot be seen.
    let drawn: Vec<(f64, f64)> = downsample(series, usize::from(area.width) * 2)
        .into_iter()
        .map(|(x, y)| (x, transform(y)))
        .collect();
    let eval = m.eval_series(job);
    let names = m.series_names(job, !eval.is_empty());
    let eval_drawn: Vec<(f64, f64)> = downsample(&eval, usize::from(area.width) * 2)
        .into_iter()
        .map(|(x, y)| (x, transform(y)))
        .collect();
    let (x_min, x_max) = (
        series[0].0,
        series[series.len() - 1].0.max(series[0].0 + 1.0),
    );
    let y_values = series.iter().chain(&eval).map(|p| transform(p.1));
    let y_min = y_values.clone().fold(f64::MAX, f64::min);
    let y_max = y_values.fold(f64::MIN, f64::max);
    let (y_min, y_max) = if (y_max - y_min).abs() < 1e-9 {
        (y_min - 1.0, y_max + 1.0)
    } else {
        (y_min, y_max)
    };
    let boundary_steps = epoch_boundaries(&job.train_loss);
    // A line per epoch only while they stay apart on screen; past that they would fill it.
    let boundaries: Vec<Vec<(f64, f64)>> =
        if m.per_epoch || boundary_steps.len() > usize::from(area.width) / 4 {
            Vec::new()
        } else {
            boundary_steps
                .into_iter()
                .map(|s| vec![(f64::from(s), y_min), (f64::from(s), y_max)])
                .collect()
        };
    // The lowest loss is marked; accuracy has no "lowest" worth a mark.
    let lowest = series
        .iter()
        .copied()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .filter(|_| !m.accuracy && !m.margin)
        .map(|(x, y)| vec![(x, transform(y))])
        .unwrap_or_default();
    let cursor: Vec<(f64, f64)> = m
        .cursor
        .and_then(|i| series.get(i))
        .map(|(x, _)| vec![(*x, y_min), (*x, y_max)])
        .unwrap_or_default();
    // Checkpoints, per step: a mark on the chart's floor at each.
    let checkpoints: Vec<(f64, f64)> = if m.per_epoch {
        Vec::new()
    } else {
        job.checkpoints
            .iter()
            .map(|s| (f64::from(*s), y_min))
            .collect()
    };
    let mut datasets: Vec<Dataset> = boundaries
        .iter()
        .map(|b| {
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(theme.muted)
                .data(b)
        })
        .collect();
    datasets.push(
        Dataset::default()
            .name(names.0)
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme.accent)
            .data(&drawn),
    );
    if !eval_drawn.is_empty() {
        datasets.push(
            Dataset::default()
                .name(names.1)
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(theme.warn)
                .data(&eval_drawn),
        );
    }
    if !cursor.is_empty() {
        datasets.push(
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(theme.key)
                .data(&cursor),
        );
    }
    if !checkpoints.is_empty() {
        datasets.push(
            Dataset::default()
                .name("checkpoint")
                .marker(Marker::Dot)
                .graph_type(GraphType::Scatter)
                .style(theme.key)
                .data(&checkpoints),
        );
    }
    if !lowest.is_empty() {
        datasets.push(
            Dataset::default()
                .name("lowest")
                .marker(Marker::Dot)
                .graph_type(GraphType::Scatter)
                .style(theme.ok)
                .data(&lowest),
        );
    }
    let label = |y: f64| {
        let v = if m.log_scale { y.exp() } else { y };
        Span::raw(format!("{v:.3}"))
    };
    // The unit goes with the first label: an axis title is drawn over the chart's bottom
    // right corner, where the newest (lowest) points are.
    let x_title = if m.per_epoch { "epoch" } else { "step" };
    let chart = Chart::new(datasets)
        .x_axis(Axis::default().bounds([x_min, x_max]).labels(vec![
            Span::raw(format!("{x_title} {x_min}")),
            Span::raw(format!("{}", ((x_min + x_max) / 2.0).round())),
            Span::raw(format!("{x_max}")),
        ]))
        .y_axis(
            Axis::default()
                .title(Span::styled(
                    if m.log_scale {
                        format!("{} (log)", names.2)
                    } else {
                        names.2.to_owned()
                    },
                    theme.muted,
                ))
                .bounds([y_min, y_max])
                .labels(vec![
                    label(y_min),
                    label((y_min + y_max) / 2.0),
                    label(y_max),
                ]),
        )
        .style(Style::default());
    frame.render_widget(chart, area);
}

/// Several runs on one chart, each in its own style, named in the legend.
fn render_compare(frame: &mut Frame, area: Rect, app: &App, jobs: &[&Job], theme: &Theme) {
    let m = &app.monitor;
    let transform = |y: f64| if m.log_scale { y.max(1e-6).ln() } else { y };
    let width = usize::from(area.width) * 2;
    let runs: Vec<(String, Vec<(f64, f64)>)> = jobs
        .iter()
        .map(|job| {
            let name = job_label(app, job);
            let points = downsample(&m.series(job, app.ema_alpha), width)
                .into_iter()
                .map(|(x, y)| (x, transform(y)))
                .collect();
            (name, points)
        })
        .collect();
    let all = runs.iter().flat_map(|(_, p)| p.iter());
    let (mut x_min, mut x_max, mut y_min, mut y_max) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (x, y) in all {
        x_min = x_min.min(*x);
        x_max = x_max.max(*x);
        y_min = y_min.min(*y);
        y_max = y_max.max(*y);
    }
    if x_min > x_max {
        frame.render_widget(
            Paragraph::new(Line::styled(
                "The compared runs have no steps yet.",
                theme.muted,
            )),
            area,
        );
        return;
    }
    let x_max = x_max.max(x_min + 1.0);
    let (y_min, y_max) = if (y_max - y_min).abs() < 1e-9 {
        (y_min - 1.0, y_max + 1.0)
    } else {
        (y_min, y_max)
    };
    let datasets: Vec<Dataset> = runs
        .iter()
        .enumerate()
        .map(|(i, (name, points))| {
            Dataset::default()
                .name(name.clone())
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(theme.series[i % theme.series.len()])
                .data(points)
        })
        .collect();
    let label = |y: f64| Span::raw(format!("{:.3}", if m.log_scale { y.exp() } else { y }));
    let chart = Chart::new(datasets)
        .x_axis(Axis::default().bounds([x_min, x_max]).labels(vec![
            Span::raw(format!(
                "{} {x_min}",
                if m.per_epoch { "epoch" } else { "step" }
            )),
            Span::raw(format!("{x_max}")),
        ]))
        .y_axis(
            Axis::default()
                .title(Span::styled(
                    format!(
                        "meanLoss · {} run{}",
                        runs.len(),
                        if runs.len() == 1 { "" } else { "s" }
                    ),
                    theme.muted,
                ))
                .bounds([y_min, y_max])
                .labels(vec![
                    label(y_min),
                    label((y_min + y_max) / 2.0),
                    label(y_max),
                ]),
        )
        // Run names are long; let the legend take up to half the chart before it hides.
        .hidden_legend_constraints((Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)));
    frame.render_widget(chart, area);
}
