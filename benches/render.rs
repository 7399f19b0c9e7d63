//! Render time of the dashboard (divan): the models pane with 10,000 tuned models at 200x60,
//! scrolled to the middle, and the detail of a model with 100,000 snapshots.
//! Also the Monitor chart of a job with 100,000 snapshots, raw and smoothed.
//!   cargo bench --bench render

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::Duration;
use tunedeck::api::serde_util::parse_timestamp;
use tunedeck::api::types::*;
use tunedeck::app::settings::UiConfig;
use tunedeck::app::{App, Connection, Msg, Now};
use tunedeck::config::{FileConfig, ThemeConfig};
use tunedeck::protocol::{ApiCall, Cmd, Reply, WorkerEvent};
use tunedeck::tui::theme::Theme;

fn main() {
    divan::main();
}

fn model(i: usize, snapshots: usize) -> TunedModel {
    let t = parse_timestamp("2026-11-01T10:00:00Z").unwrap() + chrono::Duration::minutes(i as i64);
    TunedModel {
        name: format!("tunedModels/model-{i:05}"),
        base_model: Some("models/gemini-1.5-flash-001-tuning".into()),
        display_name: format!("Model number {i}"),
        description: "a benchmark model".into(),
        state: if i % 7 == 0 {
            TunedModelState::Creating
        } else {
            TunedModelState::Active
        },
        create_time: Some(t),
        update_time: Some(t),
        tuning_task: Some(TuningTask {
            start_time: Some(t),
            snapshots: (1..=snapshots)
                .map(|s| TuningSnapshot {
                    step: s as i32,
                    epoch: (s / 100) as i32,
                    mean_loss: 7.0 / s as f64,
                    compute_time: Some(t),
                })
                .collect(),
            hyperparameters: Some(Hyperparameters {
                learning_rate: Some(0.001),
                epoch_count: Some(5),
                batch_size: Some(4),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn app_with(models: Vec<TunedModel>) -> App {
    let ui = UiConfig::load(&FileConfig::default()).unwrap();
    let connection = Connection {
        backend: "EMULATOR".into(),
        address: "127.0.0.1:1".into(),
        auth: "none".into(),
        healthy: Some(true),
        vertex: None,
    };
    let mut app = App::new(ui.keymap, connection, Duration::from_secs(3), Now::read());
    let cmds = app.start();
    let Some(Cmd::Call {
        id,
        call: ApiCall::ListTunedModels { .. },
    }) = cmds.into_iter().last()
    else {
        unreachable!()
    };
    app.update(
        Msg::Worker(WorkerEvent::Reply {
            id,
            reply: Reply::TunedModelsPage { models, last: true },
        }),
        Now::read(),
    );
    app.update(Msg::Resize(200, 60), Now::read());
    app
}

#[divan::bench]
fn models_pane_10k_at_200x60(bencher: divan::Bencher) {
    let mut app = app_with((0..10_000).map(|i| model(i, 3)).collect());
    app.models.selected = 5_000;
    let theme = Theme::new(&ThemeConfig::default(), false);
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    bencher.bench_local(|| {
        terminal
            .draw(|f| tunedeck::tui::ui::draw(f, &app, &theme))
            .unwrap();
    });
}

/// The Models tab with Vertex AI chosen: 10,000 tuning jobs (rows read once into summaries
/// when listed), the selection mid-list.
#[divan::bench]
fn vertex_jobs_pane_10k_at_200x60(bencher: divan::Bencher) {
    let mut app = app_with(Vec::new());
    app.choose_vertex();
    let cmds = app.start();
    let Some(Cmd::Call { id, .. }) = cmds.into_iter().last() else {
        unreachable!()
    };
    let jobs: Vec<tunedeck::api::vertex::types::TuningJob> = (0..10_000)
        .map(|i| {
            serde_json::from_value(serde_json::json!({
                "name": format!("projects/1/locations/us-central1/tuningJobs/{}", 1_000_000 + i),
                "tunedModelDisplayName": format!("job {i}"),
                "baseModel": "gemini-2.5-flash",
                "state": if i % 7 == 0 { "JOB_STATE_RUNNING" } else { "JOB_STATE_SUCCEEDED" },
                "createTime": format!("2026-11-{:02}T10:00:00Z", 1 + i % 28),
                "startTime": "2026-11-01T10:00:00Z",
                "endTime": "2026-11-01T10:09:00Z",
                "supervisedTuningSpec": {"hyperParameters": {"epochCount": "4", "adapterSize": "ADAPTER_SIZE_EIGHT"}},
            }))
            .unwrap()
        })
        .collect();
    app.update(
        Msg::Worker(WorkerEvent::Reply {
            id,
            reply: Reply::TuningJobs(jobs),
        }),
        Now::read(),
    );
    app.jobs.selected = 5_000;
    let theme = Theme::new(&ThemeConfig::default(), false);
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    bencher.bench_local(|| {
        terminal
            .draw(|f| tunedeck::tui::ui::draw(f, &app, &theme))
            .unwrap();
    });
}

#[divan::bench]
fn detail_with_100k_snapshots_at_200x60(bencher: divan::Bencher) {
    let mut app = app_with(vec![model(1, 100_000)]);
    app.models.detail = Some("tunedModels/model-00001".into());
    let theme = Theme::new(&ThemeConfig::default(), false);
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    bencher.bench_local(|| {
        terminal
            .draw(|f| tunedeck::tui::ui::draw(f, &app, &theme))
            .unwrap();
    });
}

#[divan::bench]
fn refresh_view_sort_10k(bencher: divan::Bencher) {
    let mut app = app_with((0..10_000).map(|i| model(i, 3)).collect());
    bencher.bench_local(|| {
        app.models.descending = !app.models.descending;
        app.models.refresh_view();
    });
}

#[divan::bench(args = [false, true])]
fn monitor_chart_100k_snapshots_at_200x60(bencher: divan::Bencher, smoothed: bool) {
    let mut app = app_with(vec![model(1, 3)]);
    let op = Operation {
        name: "tunedModels/model-00001/operations/op".into(),
        metadata: Some(
            serde_json::to_value(CreateTunedModelMetadata {
                total_steps: 200_000,
                completed_steps: 100_000,
                completed_percent: 50.0,
                snapshots: model(1, 100_000).snapshots().to_vec(),
                tuned_model: "tunedModels/model-00001".into(),
            })
            .unwrap(),
        ),
        ..Default::default()
    };
    app.track_operations(vec![op]);
    app.update(
        Msg::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char('2'),
        )),
        Now::read(),
    );
    app.monitor.smoothing = smoothed;
    let theme = Theme::new(&ThemeConfig::default(), false);
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    bencher.bench_local(|| {
        terminal
            .draw(|f| tunedeck::tui::ui::draw(f, &app, &theme))
            .unwrap();
    });
}

/// A Vertex AI job's Monitor: 10,000 train points and 10,000 eval points on one chart.
#[divan::bench]
fn monitor_chart_train_and_eval_10k_each_at_200x60(bencher: divan::Bencher) {
    use tunedeck::domain::progress::{Job, JobState, Point};
    let mut app = app_with(Vec::new());
    let point = |step: i32, value: f64| Point {
        step,
        epoch: step / 1000,
        value,
        time: None,
    };
    app.monitor.jobs.push(Job {
        name: "projects/1/locations/us-central1/tuningJobs/1".into(),
        model: "vertex-job".into(),
        total_steps: 20_000,
        epochs: Some(10),
        train_loss: (1..=10_000)
            .map(|s| point(s, 7.0 * 0.9997f64.powi(s)))
            .collect(),
        eval_loss: (1..=10_000)
            .map(|s| point(s, 7.2 * 0.9998f64.powi(s)))
            .collect(),
        state: JobState::Running,
        ..Default::default()
    });
    app.update(
        Msg::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char('2'),
        )),
        Now::read(),
    );
    let theme = Theme::new(&ThemeConfig::default(), false);
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    bencher.bench_local(|| {
        terminal
            .draw(|f| tunedeck::tui::ui::draw(f, &app, &theme))
            .unwrap();
    });
}
