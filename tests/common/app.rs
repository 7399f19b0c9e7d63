//! Builders for dashboard tests: an app with the default keymap, models with fixed times, keys.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::time::{Duration, Instant};
use tunedeck::api::serde_util::parse_timestamp;
use tunedeck::api::types::*;
use tunedeck::app::settings::UiConfig;
use tunedeck::app::{App, Connection, Msg, Now};
use tunedeck::config::FileConfig;
use tunedeck::protocol::{Cmd, Reply, WorkerEvent};

/// The wall-clock time dashboard tests run at, whatever the machine's date: times in the test
/// data are written relative to it, so no test depends on when it runs.
pub const TEST_UTC: &str = "2026-11-22T10:01:21Z";

/// The moment a dashboard test hands to `update`: the real monotonic clock (deadlines still
/// pass), the fixed [`TEST_UTC`] wall clock.
pub fn clock() -> Now {
    Now::at(Instant::now(), parse_timestamp(TEST_UTC).unwrap())
}

pub fn app() -> App {
    let ui = UiConfig::load(&FileConfig::default()).unwrap();
    let mut app = App::new(
        ui.keymap,
        Connection {
            backend: "EMULATOR".into(),
            address: "http://127.0.0.1:8765".into(),
            auth: "no credentials".into(),
            healthy: None,
            vertex: None,
        },
        Duration::from_secs(3),
        clock(),
    );
    app.size = (120, 40);
    app
}

pub fn model(id: &str, display: &str, state: TunedModelState, day: u32) -> TunedModel {
    let created = parse_timestamp(&format!("2026-11-{day:02}T10:00:00Z")).unwrap();
    let snapshots: Vec<TuningSnapshot> = (1..=10)
        .map(|s| TuningSnapshot {
            step: s,
            // Two steps an epoch: the ten steps complete the model's five epochs.
            epoch: s / 2,
            mean_loss: 7.0 / f64::from(s),
            compute_time: Some(created + chrono::Duration::seconds(i64::from(s))),
        })
        .collect();
    TunedModel {
        name: format!("tunedModels/{id}"),
        base_model: Some("models/gemini-1.5-flash-001-tuning".into()),
        display_name: display.into(),
        description: format!("{display} description"),
        state,
        create_time: Some(created),
        update_time: Some(created + chrono::Duration::minutes(5)),
        tuning_task: Some(TuningTask {
            start_time: Some(created),
            complete_time: Some(created + chrono::Duration::minutes(5)),
            snapshots,
            training_data: None,
            hyperparameters: Some(Hyperparameters {
                learning_rate: Some(0.001),
                epoch_count: Some(5),
                batch_size: Some(4),
                ..Default::default()
            }),
        }),
        temperature: Some(1.0),
        top_p: Some(0.95),
        top_k: Some(64),
        ..Default::default()
    }
}

pub fn three() -> Vec<TunedModel> {
    vec![
        model("alpha-1", "Alpha", TunedModelState::Active, 1),
        model("bravo-2", "Bravo", TunedModelState::Creating, 2),
        model("charlie-3", "Charlie", TunedModelState::Failed, 3),
    ]
}

pub fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub fn code(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// The id of the list request the app sent at start.
pub fn list_request(cmds: &[Cmd]) -> u64 {
    cmds.iter()
        .find_map(|c| match c {
            Cmd::Call {
                id,
                call: tunedeck::protocol::ApiCall::ListTunedModels { .. },
            } => Some(*id),
            _ => None,
        })
        .expect("a list request")
}

/// Starts the app and feeds it one page of models as the last page.
pub fn loaded(models: Vec<TunedModel>) -> App {
    let mut app = app();
    let cmds = app.start();
    let id = list_request(&cmds);
    app.update(page(id, models, true), clock());
    app
}

pub fn page(id: u64, models: Vec<TunedModel>, last: bool) -> Msg {
    Msg::Worker(WorkerEvent::Reply {
        id,
        reply: Reply::TunedModelsPage { models, last },
    })
}

/// 25 examples `i` → `i + 1`, for the Dataset tab's tests.
pub fn numbers() -> Vec<TuningExample> {
    (1..=25)
        .map(|i| TuningExample::new(format!("{i}"), format!("{}", i + 1)))
        .collect()
}

/// An app on the Dataset tab with [`numbers`] open from `numbers.jsonl`, journalled.
pub fn with_dataset() -> App {
    let mut a = app();
    a.dataset = tunedeck::app::dataset::DatasetPane::new(
        numbers(),
        Some(std::path::PathBuf::from("numbers.jsonl")),
        Some(tunedeck::dataset::format::Format::Jsonl),
    );
    a.journal = Some(std::path::PathBuf::from("/state/journal.jsonl"));
    a.update(key('3'), clock());
    assert_eq!(a.tab, tunedeck::app::Tab::Dataset);
    a
}

pub fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// The screen at a size, as drawn (no colours), a line each with trailing spaces cut.
pub fn screen_at(a: &mut App, w: u16, h: u16) -> String {
    a.update(Msg::Resize(w, h), a.clock);
    let theme = tunedeck::tui::theme::Theme::new(&tunedeck::config::ThemeConfig::default(), true);
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    t.draw(|f| tunedeck::tui::ui::draw(f, a, &theme)).unwrap();
    let b = t.backend().buffer().clone();
    (0..h)
        .map(|y| {
            let line: String = (0..w).map(|x| b[(x, y)].symbol().to_owned()).collect();
            line.trim_end().to_owned() + "\n"
        })
        .collect()
}
