//! Datasets at 100,000 examples (about 20 MB of JSONL): import time and memory (divan's
//! allocation profiler reports the bytes allocated, max alive included), the lint that runs
//! after every committed edit, and the Dataset pane's render at 200x60.
//!   cargo bench --bench dataset

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::PathBuf;
use std::time::Duration;
use tunedeck::api::types::TuningExample;
use tunedeck::app::dataset::DatasetPane;
use tunedeck::app::settings::UiConfig;
use tunedeck::app::{App, Connection, Msg, Now};
use tunedeck::config::{FileConfig, ThemeConfig};
use tunedeck::dataset::format::{self, Format};
use tunedeck::tui::theme::Theme;

#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

fn main() {
    divan::main();
}

/// 100,000 examples of about 200 bytes each as JSONL.
fn corpus() -> (Vec<TuningExample>, String) {
    let examples: Vec<TuningExample> = (0..100_000)
        .map(|i| {
            TuningExample::new(
                format!("Q: translate sentence number {i} into French, keeping its tone: \"the quick brown fox {i}\""),
                format!("A: la phrase numéro {i}, « le rapide renard brun {i} », traduite avec soin et fidélité"),
            )
        })
        .collect();
    let text = format::write(&examples, Format::Jsonl);
    (examples, text)
}

#[divan::bench(sample_count = 10)]
fn import_100k_jsonl(bencher: divan::Bencher) {
    let (_, text) = corpus();
    eprintln!("corpus: {:.1} MB", text.len() as f64 / 1_048_576.0);
    bencher.bench(|| {
        format::parse("bench.jsonl", divan::black_box(&text), Format::Jsonl, None).map(|v| v.len())
    });
}

#[divan::bench(sample_count = 10)]
fn lint_100k(bencher: divan::Bencher) {
    let (examples, _) = corpus();
    bencher.bench(|| tunedeck::dataset::lint::lint(divan::black_box(&examples)).len());
}

/// The Dataset tab's lint with Vertex AI chosen (the pair lint, then Vertex's limits measured
/// from the texts): what every edit costs on 100,000 examples.
#[divan::bench(sample_count = 10)]
fn vertex_editor_lint_100k(bencher: divan::Bencher) {
    let (examples, _) = corpus();
    bencher.bench(|| {
        let pair = tunedeck::dataset::lint::lint(divan::black_box(&examples));
        tunedeck::dataset::vertex::editor_lint(&examples, pair).len()
    });
}

/// The same on 100,000 multi-turn Vertex AI examples (four turns and a system instruction each,
/// kept as their lines).
#[divan::bench(sample_count = 10)]
fn vertex_editor_lint_100k_multi_turn(bencher: divan::Bencher) {
    let examples: Vec<TuningExample> = corpus()
        .0
        .iter()
        .map(|e| {
            let line = serde_json::json!({
                "systemInstruction": {"parts": [{"text": "Translate with care."}]},
                "contents": [
                    {"role": "user", "parts": [{"text": e.text_input}]},
                    {"role": "model", "parts": [{"text": "Which tone?"}]},
                    {"role": "user", "parts": [{"text": "Its own."}]},
                    {"role": "model", "parts": [{"text": e.output}]},
                ]
            });
            tunedeck::dataset::vertex::VertexExample { raw: line }.to_editor()
        })
        .collect();
    bencher.bench(|| {
        let pair = tunedeck::dataset::lint::lint(divan::black_box(&examples));
        tunedeck::dataset::vertex::editor_lint(&examples, pair).len()
    });
}

#[divan::bench(sample_count = 20)]
fn dataset_pane_100k_rows_at_200x60(bencher: divan::Bencher) {
    let (examples, _) = corpus();
    let ui = UiConfig::load(&FileConfig::default()).unwrap();
    let connection = Connection {
        backend: "EMULATOR".into(),
        address: "127.0.0.1:1".into(),
        auth: "none".into(),
        healthy: Some(true),
        vertex: None,
    };
    let mut app = App::new(ui.keymap, connection, Duration::from_secs(3), Now::read());
    app.dataset = DatasetPane::new(
        examples,
        Some(PathBuf::from("bench.jsonl")),
        Some(Format::Jsonl),
    );
    app.dataset.selected = 50_000;
    app.update(Msg::Resize(200, 60), Now::read());
    app.update(
        Msg::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char('3'),
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
