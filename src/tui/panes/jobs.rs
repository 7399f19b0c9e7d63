//! The Models tab with Vertex AI chosen: the table of tuning jobs, and the cancel and delete
//! questions over it (one job's detail is `job_detail.rs`).

use crate::app::App;
use crate::app::jobs::{JobColumn, JobDialog, JobsPane};
use crate::app::layout::table_offset;
use crate::app::models::Load;
use crate::domain::generation::preview;
use crate::tui::theme::Theme;
use crate::tui::widgets::{dialog, table};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let pane = &app.jobs;
    let place = app.place_label().unwrap_or_else(|| "Vertex AI".to_owned());
    let place = place.as_str();
    match pane.detail.as_deref().and_then(|n| pane.find(n)) {
        Some(job) => {
            let checkpoints = super::job_detail::Checkpoints {
                chosen: pane.checkpoint,
                default: pane.default_checkpoint(job),
            };
            let stage = pane
                .jobs
                .iter()
                .position(|j| j.name == job.name)
                .and_then(|i| pane.rows[i].stage);
            super::job_detail::render(
                frame,
                area,
                job,
                (stage, app.clock.utc.date_naive()),
                pane.detail_scroll,
                checkpoints,
                theme,
            )
        }
        None => {
            let view = View {
                place,
                all_locations: app.contexts.all_locations,
                region_errors: &app.contexts.region_errors,
            };
            let today = app.clock.utc.date_naive();
            render_table(frame, area, pane, &view, app.line_cursor, today, theme)
        }
    }
    if let Some(dialog) = &pane.dialog {
        render_dialog(frame, area, dialog, theme);
    }
}

fn title(pane: &JobsPane, place: &str, cursor: Option<usize>) -> String {
    let arrow = if pane.descending { "↓" } else { "↑" };
    let mut t = format!(
        " Tuning jobs · {place} ({}{}) · sort {} {arrow}",
        pane.visible.len(),
        if pane.visible.len() == pane.jobs.len() {
            String::new()
        } else {
            format!(" of {}", pane.jobs.len())
        },
        pane.sort.title().to_lowercase(),
    );
    t.push_str(&table::filter_and_marks(
        &pane.filter,
        pane.filter_editing,
        cursor,
        pane.marked.len(),
    ));
    if matches!(pane.load, Load::Loading { .. }) && !pane.jobs.is_empty() {
        t.push_str(" · refreshing…");
    }
    t + " "
}

/// Column widths in priority order; the last ones drop out on narrow screens, and what is left
/// widens the display name. The state column is as wide as its longest cell (a job's stage
/// beside its state, "PENDING · quota: 1 ahead", between 10 and 30 characters): while a job
/// waits or runs, where it stands matters more than the columns it pushes out.
/// The state column at its widest, in a table [`WIDE_TABLE`] cells wide or more: the whole
/// retirement mark fits ("SUCCEEDED · retired 2026-10-16: rebase").
const STATE_WIDEST: usize = 40;
const WIDE_TABLE: u16 = 150;

fn columns_for(width: u16, state_width: u16, all_locations: bool) -> Vec<(JobColumn, u16)> {
    let mut all = vec![
        (JobColumn::DisplayName, 22u16),
        (JobColumn::State, state_width.clamp(10, STATE_WIDEST as u16)),
        (JobColumn::Created, 16),
        (JobColumn::BaseModel, 22),
        (JobColumn::Steps, 6),
        (JobColumn::Duration, 9),
        (JobColumn::Epochs, 6),
        (JobColumn::Adapter, 7),
        (JobColumn::Id, 21),
    ];
    if all_locations {
        // Where each job lives is what that view is for: right after the name.
        all.insert(1, (JobColumn::Location, 16));
    }
    table::fit_columns(
        width,
        &all,
        &[JobColumn::DisplayName],
        // Display names are ids of up to 128 characters; a third more is room enough.
        &|_| 34,
        &JobColumn::ALL,
    )
}

/// What the table shows besides the jobs: where they are, and the regions that failed.
struct View<'a> {
    place: &'a str,
    all_locations: bool,
    region_errors: &'a [crate::app::contexts::RegionError],
}

fn render_table(
    frame: &mut Frame,
    area: Rect,
    pane: &JobsPane,
    view: &View,
    cursor: Option<usize>,
    today: chrono::NaiveDate,
    theme: &Theme,
) {
    let place = view.place;
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title(pane, place, cursor), theme.title));
    let mut inner = block.inner(area);
    frame.render_widget(block, area);
    if !view.region_errors.is_empty() {
        // Each region that could not be listed has its own row under the jobs of the others.
        let shown = u16::try_from(view.region_errors.len())
            .unwrap_or(u16::MAX)
            .min(inner.height / 2);
        let [jobs, errors] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(shown)]).areas(inner);
        let lines: Vec<Line> = view
            .region_errors
            .iter()
            .take(usize::from(shown))
            .map(|e| {
                Line::from(vec![
                    Span::styled(format!("  {:<18}", e.location), theme.key),
                    Span::styled(format!("✗ {}", e.error), theme.error),
                ])
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), errors);
        inner = jobs;
    }
    if pane.jobs.is_empty() {
        let lines = match &pane.load {
            Load::NotLoaded | Load::Loading { .. } => {
                vec![Line::styled("Loading tuning jobs…", theme.muted)]
            }
            Load::Failed(error) => {
                let mut lines = vec![
                    Line::styled("Could not list the tuning jobs", theme.error),
                    Line::raw(error.to_string()),
                ];
                if let Some(hint) = error.hint() {
                    lines.push(Line::styled(hint, theme.warn));
                }
                lines.push(Line::styled(
                    "Press r to try again; `tunedeck doctor` checks the set-up.",
                    theme.muted,
                ));
                lines
            }
            Load::Loaded => vec![
                Line::raw(format!("No tuning jobs in {place} yet.")),
                Line::styled(
                    "Build a dataset on the Dataset tab (3) and press T, or run `tunedeck tune`.",
                    theme.muted,
                ),
            ],
        };
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        return;
    }
    let area = if let Load::Failed(error) = &pane.load {
        let [table, last] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
        let hint = error.hint().map(|h| format!(" — {h}")).unwrap_or_default();
        frame.render_widget(
            Line::styled(format!("Refresh failed: {error}{hint}"), theme.error),
            last,
        );
        table
    } else {
        inner
    };
    render_rows(frame, area, pane, (view.all_locations, today), theme);
}

/// The rows; a succeeded job whose base model retires within 30 days of `today` (or has
/// retired) says so in its state cell, in the warning colour.
fn render_rows(
    frame: &mut Frame,
    area: Rect,
    pane: &JobsPane,
    (all_locations, today): (bool, chrono::NaiveDate),
    theme: &Theme,
) {
    if pane.visible.is_empty() {
        frame.render_widget(
            Paragraph::new(format!(
                "No job matches /{}. Esc clears the filter.",
                pane.filter
            )),
            area,
        );
        return;
    }
    // A wide table has room for the whole retirement mark; a narrower one says it short
    // (the detail says it whole), so that no other column is pushed out.
    let room = if area.width >= WIDE_TABLE {
        STATE_WIDEST
    } else {
        0
    };
    let state_width = pane
        .visible
        .iter()
        .map(|i| pane.rows[*i].state_with_life(today, room).chars().count())
        .max()
        .unwrap_or(0);
    let columns = columns_for(
        area.width,
        u16::try_from(state_width).unwrap_or(u16::MAX),
        all_locations,
    );
    let height = usize::from(area.height.saturating_sub(1));
    let offset = table_offset(pane.selected, height);
    let header =
        table::header(&columns, JobColumn::title, pane.sort, pane.descending).style(theme.title);
    let first = columns.first().map(|(c, _)| *c);
    let rows = pane
        .visible
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, index)| {
            let (job, row) = (&pane.jobs[*index], &pane.rows[*index]);
            let marked = pane.marked.contains(&job.name);
            let cells = columns.iter().map(|(c, w)| {
                let mut text = c.text(row);
                if Some(*c) == first {
                    text = format!("{}{text}", if marked { "● " } else { "  " });
                }
                let retiring = *c == JobColumn::State && row.base_mark(today).is_some();
                if retiring {
                    text = row.state_with_life(today, usize::from(*w));
                }
                let style = if retiring {
                    theme.warn
                } else if *c == JobColumn::State {
                    theme.job_state(&row.state)
                } else {
                    Style::default()
                };
                Cell::from(preview(&text, usize::from(*w))).style(style)
            });
            let row = Row::new(cells);
            if i == pane.selected {
                row.style(theme.selected)
            } else {
                row
            }
        });
    let widths: Vec<Constraint> = columns
        .iter()
        .map(|(_, w)| Constraint::Length(*w))
        .collect();
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        area,
    );
}

fn render_dialog(frame: &mut Frame, area: Rect, dialog: &JobDialog, theme: &Theme) {
    match dialog {
        JobDialog::Cancel { job, label } => {
            let lines = vec![
                Line::raw(format!("Cancel tuning job \"{label}\"?")),
                Line::styled(job.clone(), theme.muted),
                Line::raw(""),
                Line::styled(
                    "It stops at its next step and ends CANCELLED; checkpoints saved so far stay.",
                    theme.warn,
                ),
                dialog::keys_line(&[("y", "cancel the job"), ("n", "keep tuning")], theme),
            ];
            dialog::render(
                frame,
                area,
                Span::styled(" Cancel ", theme.error),
                lines,
                72,
            );
        }
        JobDialog::DeleteModels { models } => {
            let mut lines = Vec::new();
            if let [(model, label)] = models.as_slice() {
                lines.push(Line::raw(format!("Delete the tuned model of \"{label}\"?")));
                lines.push(Line::styled(model.clone(), theme.muted));
            } else {
                lines.push(Line::raw(format!("Delete {} tuned models?", models.len())));
                let named: Vec<String> = models
                    .iter()
                    .map(|(model, label)| format!("{label}: {model}"))
                    .collect();
                lines.extend(dialog::first_five(&named, theme));
            }
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "Its endpoints (checkpoints too) are deleted with it. This cannot be undone.",
                theme.warn,
            ));
            lines.push(dialog::keys_line(&[("y", "delete"), ("n", "keep")], theme));
            dialog::render(
                frame,
                area,
                Span::styled(" Delete ", theme.error),
                lines,
                76,
            );
        }
        JobDialog::SetDefaultCheckpoint {
            model,
            label,
            checkpoint,
            endpoint,
            current,
        } => {
            let at =
                |name: &str, v: Option<i64>| v.map(|v| format!(", {name} {v}")).unwrap_or_default();
            let mut lines = vec![
                Line::raw(format!(
                    "Make checkpoint {}{}{} the default of \"{label}\"?",
                    checkpoint.checkpoint_id,
                    at("epoch", checkpoint.epoch),
                    at("step", checkpoint.step)
                )),
                Line::styled(model.clone(), theme.muted),
                Line::raw(""),
                Line::raw("The model's endpoint then answers from this checkpoint:"),
                Line::styled(endpoint.clone(), theme.muted),
            ];
            if let Some(current) = current {
                lines.push(Line::raw(format!(
                    "The default now is checkpoint {current}; D on its row brings it back."
                )));
            }
            lines.push(dialog::keys_line(
                &[("y", "make it the default"), ("n", "keep")],
                theme,
            ));
            dialog::render(
                frame,
                area,
                Span::styled(" Default checkpoint ", theme.accent),
                lines,
                76,
            );
        }
        JobDialog::Rebase {
            job,
            label,
            old_base,
            targets,
            chosen,
            same_endpoint,
            endpoint,
        } => {
            let new = targets.get(*chosen).map_or("—", String::as_str);
            let short = endpoint.rsplit('/').next().unwrap_or_default();
            let (serves, then) = if *same_endpoint {
                (
                    format!("endpoint {short}, the old model's"),
                    "the new model replaces the old one on its endpoint once it succeeds.",
                )
            } else {
                (
                    "an endpoint of its own".to_owned(),
                    "the old model keeps serving.",
                )
            };
            let lines = vec![
                Line::raw(format!(
                    "Rebase the model of \"{label}\" onto a new base model?"
                )),
                Line::styled(job.clone(), theme.muted),
                Line::raw(""),
                Line::from(vec![
                    Span::raw("Base now   "),
                    Span::styled(old_base.clone(), theme.muted),
                ]),
                Line::from(vec![
                    Span::raw("New base ‹ "),
                    Span::styled(new.to_owned(), theme.accent),
                    Span::raw(format!(" ›  ({} of {})", chosen + 1, targets.len())),
                ]),
                Line::from(vec![
                    Span::raw("Serves on  "),
                    Span::styled(serves, theme.accent),
                ]),
                Line::raw(""),
                Line::raw(format!(
                    "A new tuning job trains on the same datasets and settings on the new base and makes a new model; {then}"
                )),
                dialog::keys_line(
                    &[
                        ("←/→", "base"),
                        ("e", "endpoint"),
                        ("y", "rebase"),
                        ("n", "keep"),
                    ],
                    theme,
                ),
            ];
            dialog::render(
                frame,
                area,
                Span::styled(" Rebase ", theme.accent),
                lines,
                76,
            );
        }
    }
}
