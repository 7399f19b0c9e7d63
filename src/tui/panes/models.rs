//! The Models pane: the table of tuned models, a model's detail, and the delete and edit
//! dialogs over them.

use crate::api::serde_util::Timestamp;
use crate::api::types::TunedModel;
use crate::app::App;
use crate::app::form::FormField;
use crate::app::layout::table_offset;
use crate::app::models::{Column, Dialog, Load, ModelsPane};
use crate::domain::generation::{display_text, preview};
use crate::tui::theme::Theme;
use crate::tui::widgets::{dialog, table};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let pane = &app.models;
    match pane.detail.as_deref().and_then(|n| pane.find(n)) {
        Some(model) => render_detail(frame, area, model, theme),
        None => render_table(frame, area, pane, app.line_cursor, theme),
    }
    if let Some(dialog) = &pane.dialog {
        render_dialog(frame, area, dialog, pane, app.line_cursor, theme);
    }
}

fn short_time(t: Option<Timestamp>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "—".into())
}

fn cell_text(model: &TunedModel, column: Column) -> String {
    let hp = model.hyperparameters();
    let opt = |v: Option<String>| v.unwrap_or_else(|| "—".into());
    match column {
        Column::Id => model.id().to_owned(),
        Column::DisplayName => model.display_name.clone(),
        Column::State => match crate::domain::progress::gemini::stopped_early(model) {
            Some(_) => "ACTIVE*".to_owned(),
            None => model.state.name().to_owned(),
        },
        Column::BaseModel => model
            .source_model()
            .unwrap_or("—")
            .trim_start_matches("models/")
            .to_owned(),
        Column::Created => short_time(model.create_time),
        Column::Updated => short_time(model.update_time),
        Column::Epochs => opt(hp.and_then(|h| h.epoch_count).map(|v| v.to_string())),
        Column::Batch => opt(hp.and_then(|h| h.batch_size).map(|v| v.to_string())),
        Column::LearningRate => opt(hp
            .and_then(|h| {
                h.learning_rate
                    .or(h.learning_rate_multiplier.map(|m| m * 0.001))
            })
            .map(|v| format!("{v}"))),
    }
}

/// Column widths in priority order; the lowest-priority columns drop out on narrow screens, and
/// what is left over widens the columns whose text is longer (`wanted`: the widest text of each
/// column among the models listed).
fn columns_for(width: u16, wanted: &dyn Fn(Column) -> u16) -> Vec<(Column, u16)> {
    let all = [
        (Column::Id, 26u16),
        (Column::DisplayName, 20),
        (Column::State, 8),
        (Column::Created, 16),
        (Column::BaseModel, 22),
        (Column::Epochs, 6),
        (Column::Batch, 5),
        (Column::LearningRate, 7),
        (Column::Updated, 16),
    ];
    table::fit_columns(
        width,
        &all,
        &[Column::DisplayName, Column::Id, Column::BaseModel],
        wanted,
        &Column::ALL,
    )
}

fn title(pane: &ModelsPane, cursor: Option<usize>) -> String {
    let arrow = if pane.descending { "↓" } else { "↑" };
    let mut t = format!(
        " Tuned models ({}{}) · scope {} · sort {} {arrow}",
        pane.visible.len(),
        if pane.visible.len() == pane.models.len() {
            String::new()
        } else {
            format!(" of {}", pane.models.len())
        },
        pane.scope.label(),
        pane.sort.title().to_lowercase(),
    );
    t.push_str(&table::filter_and_marks(
        &pane.filter,
        pane.filter_editing,
        cursor,
        pane.marked.len(),
    ));
    // The table's one abbreviation, explained where it shows.
    if pane.visible.iter().any(|&i| {
        pane.models
            .get(i)
            .is_some_and(|m| crate::domain::progress::gemini::stopped_early(m).is_some())
    }) {
        t.push_str(" · ACTIVE* stopped early");
    }
    if let Load::Loading { pages, .. } = pane.load
        && !pane.models.is_empty()
    {
        t.push_str(&format!(" · loading page {}…", pages + 1));
    }
    t + " "
}

fn render_table(
    frame: &mut Frame,
    area: Rect,
    pane: &ModelsPane,
    cursor: Option<usize>,
    theme: &Theme,
) {
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title(pane, cursor), theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let message = |text: Vec<Line<'static>>| Paragraph::new(text).wrap(Wrap { trim: false });
    if pane.models.is_empty() {
        let lines = match &pane.load {
            Load::NotLoaded | Load::Loading { .. } => {
                vec![Line::styled("Loading tuned models…", theme.muted)]
            }
            Load::Failed(error) => {
                let mut lines = vec![
                    Line::styled("Could not list tuned models", theme.error),
                    Line::raw(error.to_string()),
                ];
                if let Some(hint) = error.hint() {
                    lines.push(Line::styled(hint, theme.warn));
                }
                lines.push(Line::styled("Press r to try again.", theme.muted));
                lines
            }
            Load::Loaded if pane.scope != crate::app::models::Scope::Mine => {
                vec![Line::raw(format!(
                    "No tuned models match {}. Press o to change the scope.",
                    pane.scope.label()
                ))]
            }
            Load::Loaded => vec![
                Line::raw("No tuned models yet."),
                Line::styled(
                    "Build a dataset and start tuning from the Dataset tab (3), or with the SDK.",
                    theme.muted,
                ),
            ],
        };
        frame.render_widget(message(lines), inner);
        return;
    }
    if let Load::Failed(error) = &pane.load {
        // Keep the rows we have; say the refresh failed on the last line.
        let [table_area, error_area] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
        let hint = error.hint().map(|h| format!(" — {h}")).unwrap_or_default();
        frame.render_widget(
            Line::styled(format!("Refresh failed: {error}{hint}"), theme.error),
            error_area,
        );
        render_rows(frame, table_area, pane, theme);
    } else {
        render_rows(frame, inner, pane, theme);
    }
}

fn render_rows(frame: &mut Frame, area: Rect, pane: &ModelsPane, theme: &Theme) {
    let widths = pane.text_widths;
    let wanted = |column: Column| match column {
        // The id column also holds the two-column mark.
        Column::Id => widths.id.saturating_add(2),
        Column::DisplayName => widths.display_name,
        Column::BaseModel => widths.base_model,
        _ => 0,
    };
    let columns = columns_for(area.width, &wanted);
    let height = usize::from(area.height.saturating_sub(1));
    if pane.visible.is_empty() {
        frame.render_widget(
            Paragraph::new(format!(
                "No model matches /{}. Esc clears the filter.",
                pane.filter
            )),
            area,
        );
        return;
    }
    let offset = table_offset(pane.selected, height);
    let header =
        table::header(&columns, Column::title, pane.sort, pane.descending).style(theme.title);
    let rows = pane
        .visible
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, index)| {
            let model = &pane.models[*index];
            let marked = pane.marked.contains(&model.name);
            let cells = columns.iter().map(|(c, w)| {
                let mut text = cell_text(model, *c);
                if *c == Column::Id {
                    text = format!("{}{text}", if marked { "● " } else { "  " });
                }
                // A cut is marked with …, and widths are the terminal's.
                let text = preview(&text, usize::from(*w));
                let style = if *c == Column::State {
                    theme.state(&model.state)
                } else {
                    Style::default()
                };
                Cell::from(text).style(style)
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

fn field<'a>(label: &'a str, value: String, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<16}"), theme.muted),
        Span::raw(value),
    ])
}

fn render_detail(frame: &mut Frame, area: Rect, model: &TunedModel, theme: &Theme) {
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(format!(" {} ", model.name), theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(inner);
    let hp = model.hyperparameters().cloned().unwrap_or_default();
    let task = model.tuning_task.clone().unwrap_or_default();
    let opt_num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_else(|| "—".into());
    let duration = match (task.start_time, task.complete_time) {
        (Some(s), Some(e)) => {
            let secs = (e - s).num_seconds().max(0);
            format!("{}m {:02}s", secs / 60, secs % 60)
        }
        (Some(_), None) => "still tuning".into(),
        _ => "—".into(),
    };
    let mut lines = vec![
        field("Display name", display_text(&model.display_name), theme),
        field("Description", display_text(&model.description), theme),
        Line::from(vec![
            Span::styled(format!("{:<16}", "State"), theme.muted),
            Span::styled(
                crate::domain::progress::gemini::state_label(model),
                theme.state(&model.state),
            ),
        ]),
        field(
            "Source",
            model.source_model().unwrap_or("—").to_owned(),
            theme,
        ),
        field("Created", short_time(model.create_time), theme),
        field("Updated", short_time(model.update_time), theme),
        field("Tuning started", short_time(task.start_time), theme),
        field("Tuning ended", short_time(task.complete_time), theme),
        field("Duration", duration, theme),
        field(
            "Epochs",
            hp.epoch_count
                .map(|v| v.to_string())
                .unwrap_or_else(|| "—".into()),
            theme,
        ),
        field(
            "Batch size",
            hp.batch_size
                .map(|v| v.to_string())
                .unwrap_or_else(|| "—".into()),
            theme,
        ),
        field("Learning rate", opt_num(hp.learning_rate), theme),
        field("Temperature", opt_num(model.temperature), theme),
        field("Top P", opt_num(model.top_p), theme),
        field(
            "Top K",
            model
                .top_k
                .map(|v| v.to_string())
                .unwrap_or_else(|| "—".into()),
            theme,
        ),
    ];
    if let Some(m) = hp.learning_rate_multiplier {
        lines.push(field("LR multiplier", m.to_string(), theme));
    }
    if !model.reader_project_numbers.is_empty() {
        let projects: Vec<String> = model
            .reader_project_numbers
            .iter()
            .map(|p| p.to_string())
            .collect();
        lines.push(field("Reader projects", projects.join(", "), theme));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), left);
    render_loss(frame, right, model, theme);
}

fn render_loss(frame: &mut Frame, area: Rect, model: &TunedModel, theme: &Theme) {
    let snaps = model.snapshots();
    let block = Block::default()
        .borders(Borders::LEFT)
        .title(Span::styled(" meanLoss ", theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if snaps.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled("No snapshots yet.", theme.muted)),
            inner,
        );
        return;
    }
    let first = &snaps[0];
    let last = &snaps[snaps.len() - 1];
    let lowest = snaps
        .iter()
        .min_by(|a, b| a.mean_loss.total_cmp(&b.mean_loss))
        .unwrap_or(first);
    // Epochs as a person counts them: the one each step ran in, from 1.
    let step_epochs =
        crate::domain::progress::epochs_of_steps(&crate::domain::progress::gemini::points(snaps));
    let epoch_of = |step: i32| {
        snaps
            .iter()
            .position(|s| s.step == step)
            .map_or(0, |i| step_epochs[i])
    };
    let [summary, chart] =
        Layout::vertical([Constraint::Length(4), Constraint::Min(1)]).areas(inner);
    let lines = vec![
        field(
            " First",
            format!("{:.4} (step {})", first.mean_loss, first.step),
            theme,
        ),
        field(
            " Lowest",
            format!(
                "{:.4} (step {}, epoch {})",
                lowest.mean_loss,
                lowest.step,
                epoch_of(lowest.step)
            ),
            theme,
        ),
        field(
            " Last",
            format!(
                "{:.4} (step {}, epoch {})",
                last.mean_loss,
                last.step,
                epoch_of(last.step)
            ),
            theme,
        ),
        field(" Steps", snaps.len().to_string(), theme),
    ];
    frame.render_widget(Paragraph::new(lines), summary);
    // A small line chart with axes, like the Monitor's: meanLoss per step, thinned to the
    // columns there are (drawing only; the data is kept).
    let points: Vec<(f64, f64)> = snaps
        .iter()
        .map(|s| (f64::from(s.step), s.mean_loss))
        .collect();
    let points = crate::domain::progress::downsample(&points, usize::from(chart.width) * 2);
    let (y_min, y_max) = points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
        (lo.min(p.1), hi.max(p.1))
    });
    let (y_min, y_max) = if y_max > y_min {
        (y_min, y_max)
    } else {
        (y_min - 0.5, y_max + 0.5)
    };
    let (x_min, x_max) = (
        f64::from(first.step),
        f64::from(last.step).max(f64::from(first.step) + 1.0),
    );
    let dataset = ratatui::widgets::Dataset::default()
        .marker(ratatui::symbols::Marker::Braille)
        .graph_type(ratatui::widgets::GraphType::Line)
        .style(theme.accent)
        .data(&points);
    let widget = ratatui::widgets::Chart::new(vec![dataset])
        .x_axis(
            ratatui::widgets::Axis::default()
                .bounds([x_min, x_max])
                .labels(vec![
                    Span::raw(format!("step {}", first.step)),
                    Span::raw(format!("{}", last.step)),
                ]),
        )
        .y_axis(
            ratatui::widgets::Axis::default()
                .bounds([y_min, y_max])
                .labels(vec![
                    Span::raw(format!("{y_min:.2}")),
                    Span::raw(format!("{y_max:.2}")),
                ]),
        );
    frame.render_widget(widget, chart);
}

fn render_dialog(
    frame: &mut Frame,
    area: Rect,
    dialog: &Dialog,
    pane: &ModelsPane,
    cursor: Option<usize>,
    theme: &Theme,
) {
    match dialog {
        Dialog::Permissions(view) => {
            super::permissions::render_permissions(frame, area, view, cursor, theme)
        }
        Dialog::Transfer(form) => {
            super::permissions::render_transfer(frame, area, form, cursor, theme)
        }
        Dialog::ConfirmDelete { names } => {
            let mut lines = Vec::new();
            if let [name] = names.as_slice() {
                let label = pane
                    .find(name)
                    .map(|m| m.display_name.clone())
                    .unwrap_or_default();
                lines.push(Line::raw(format!("Delete tuned model \"{label}\"?")));
                lines.push(Line::styled(name.clone(), theme.muted));
            } else {
                lines.push(Line::raw(format!("Delete {} tuned models?", names.len())));
                lines.extend(dialog::first_five(names, theme));
            }
            lines.push(Line::raw(""));
            lines.push(Line::styled("This cannot be undone.", theme.warn));
            lines.push(dialog::keys_line(&[("y", "delete"), ("n", "keep")], theme));
            dialog::render(
                frame,
                area,
                Span::styled(" Delete ", theme.error),
                lines,
                60,
            );
        }
        Dialog::Edit(form) => {
            let mut lines = Vec::new();
            for (field, text) in form.values.iter() {
                let focused = field == form.focus;
                let value = if focused {
                    crate::app::line_edit::with_cursor(text, cursor)
                } else {
                    text.to_owned()
                };
                let label = format!("{:<14}", field.label());
                lines.push(dialog::field(label, value, focused, theme));
            }
            lines.push(Line::raw(""));
            match &form.error {
                Some(e) => lines.push(Line::styled(e.clone(), theme.error)),
                None => lines.push(Line::styled(
                    "Display name ≤ 40 characters · temperature 0–2 · top P 0–1 · top K ≥ 0",
                    theme.muted,
                )),
            }
            lines.push(dialog::keys_line(
                &[("tab", "next field"), ("enter", "save"), ("esc", "cancel")],
                theme,
            ));
            let title = Span::styled(format!(" Edit {} ", form.name), theme.title);
            dialog::render(frame, area, title, lines, 76);
        }
    }
}
