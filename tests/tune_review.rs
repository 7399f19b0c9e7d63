//! The start-tuning forms never start a job on a stray enter (issue 24 item 5): enter walks the
//! fields, a review shows what will be created, and only its confirm (or ctrl-s) starts it, in
//! the Gemini form and the Vertex AI form alike; remembered values are marked.

mod common;
use common::app::*;
use crossterm::event::KeyCode;
use std::path::PathBuf;
use tunedeck::api::types::TuningExample;
use tunedeck::app::dataset::{DatasetPane, TuneSettings};
use tunedeck::app::{App, Msg};
use tunedeck::domain::tuning::TuningField;
use tunedeck::protocol::{ApiCall, Cmd, Reply, WorkerEvent};

fn creates(cmds: &[Cmd]) -> bool {
    cmds.iter().any(|c| {
        matches!(
            c,
            Cmd::Call {
                call: ApiCall::CreateTunedModel { .. } | ApiCall::StartVertexTuning { .. },
                ..
            }
        )
    })
}

/// T with remembered settings (50 epochs), the base models listed.
fn gemini_form_with_50_remembered() -> App {
    let mut a = with_dataset();
    a.last_tune = Some(TuneSettings {
        epochs: "50".into(),
        batch_size: "4".into(),
        learning_rate: "0.001".into(),
        ..Default::default()
    });
    let cmds = a.update(key('T'), clock());
    let [Cmd::Call { id, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    let base = tunedeck::api::types::Model {
        name: "models/gemini-1.5-flash-001-tuning".into(),
        supported_generation_methods: vec!["createTunedModel".into()],
        ..Default::default()
    };
    a.update(
        Msg::Worker(WorkerEvent::Reply {
            id: *id,
            reply: Reply::Models(vec![base]),
        }),
        clock(),
    );
    a
}

#[test]
fn enter_in_the_gemini_tune_form_never_starts_a_job_only_the_reviews_confirm_does() {
    let mut a = gemini_form_with_50_remembered();
    let shown = screen_at(&mut a, 120, 40);
    assert!(
        shown.contains("50") && shown.contains("(remembered from the last job)"),
        "remembered values are marked:\n{shown}"
    );
    // Enter in every field (eight of them, then the source model) moves on; nothing is sent.
    for _ in 0..8 {
        let cmds = a.update(code(KeyCode::Enter), clock());
        assert!(!creates(&cmds), "{cmds:?}");
        assert!(a.dataset.tune.as_ref().unwrap().review.is_none());
    }
    assert!(!creates(&a.update(code(KeyCode::Enter), clock())));
    let review = a
        .dataset
        .tune
        .as_ref()
        .unwrap()
        .review
        .clone()
        .expect("the review");
    let row = |label: &str| {
        review
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(row("Source model"), "models/gemini-1.5-flash-001-tuning");
    assert_eq!(row("Examples"), "25");
    assert_eq!(row("Epochs"), "50  (remembered)");
    assert_eq!(row("Batch size"), "4  (remembered)");
    assert_eq!(row("Learning rate"), "0.001  (remembered)");
    assert_eq!(row("Total steps"), "313 = ceil(25×50/4)");
    assert_eq!(
        row("Model id"),
        "(made from the display name when it is sent)"
    );
    for (w, h) in [(80, 24), (120, 40)] {
        let shown = screen_at(&mut a, w, h);
        assert!(shown.contains("Start tuning: review"), "{shown}");
        assert!(shown.contains("50  (remembered)"), "{w}x{h}:\n{shown}");
        assert!(shown.contains("confirm and start"), "{w}x{h}:\n{shown}");
    }
    // Esc goes back to the fields, as typed; the form stays open.
    a.update(code(KeyCode::Esc), clock());
    let form = a.dataset.tune.as_ref().expect("still open");
    assert!(form.review.is_none());
    assert_eq!(form.values.get(TuningField::Epochs), "50");
    // Changed: no longer marked remembered.
    a.update(code(KeyCode::BackTab), clock()); // from the source up to held out …
    while a.dataset.tune.as_ref().unwrap().focus
        != tunedeck::app::form::Focus::Text(TuningField::Epochs)
    {
        a.update(code(KeyCode::BackTab), clock());
    }
    a.update(code(KeyCode::Backspace), clock());
    assert!(
        !a.dataset
            .tune
            .as_ref()
            .unwrap()
            .is_remembered(TuningField::Epochs)
    );
    // The review, then enter: this starts it, once.
    a.update(code(KeyCode::Tab), clock());
    while a.dataset.tune.as_ref().unwrap().review.is_none() {
        assert!(!creates(&a.update(code(KeyCode::Enter), clock())));
    }
    let cmds = a.update(code(KeyCode::Enter), clock());
    assert!(creates(&cmds), "{cmds:?}");
    assert!(
        a.update(code(KeyCode::Enter), clock()).is_empty(),
        "a second enter while it starts sends nothing"
    );
}

#[test]
fn ctrl_s_in_any_field_of_the_gemini_form_is_the_explicit_confirm() {
    let mut a = gemini_form_with_50_remembered();
    let cmds = a.update(ctrl('s'), clock());
    let [
        Cmd::Call {
            call: ApiCall::CreateTunedModel { model, .. },
            ..
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    let hp = model
        .tuning_task
        .as_ref()
        .unwrap()
        .hyperparameters
        .as_ref()
        .unwrap();
    assert_eq!(hp.epoch_count, Some(50));
}

/// The Vertex AI form with a remembered bucket, over ten examples.
fn vertex_form_with_remembered_bucket() -> App {
    let mut a = app();
    a.choose_vertex();
    a.connection.vertex = Some(tunedeck::app::VertexPlace {
        project: "demo".into(),
        location: "us-central1".into(),
        base_url: "http://127.0.0.1:8765".into(),
    });
    let examples = (0..10)
        .map(|i| TuningExample::new(format!("in {i}"), format!("out {i}")))
        .collect();
    a.dataset = DatasetPane::new(examples, Some(PathBuf::from("/data/words.jsonl")), None);
    a.choose_vertex();
    a.last_tune = Some(TuneSettings {
        vertex: Some(tunedeck::app::dataset::VertexTuneSettings {
            epochs: "50".into(),
            bucket: "kept-bucket".into(),
            prefix: "tunedeck".into(),
            base: "gemini-2.5-flash".into(),
            ..Default::default()
        }),
        ..Default::default()
    });
    a.update(key('3'), clock());
    a.update(key('T'), clock());
    assert!(a.dataset.vertex_tune.is_some());
    a
}

#[test]
fn enter_in_the_vertex_form_never_starts_a_job_only_the_reviews_confirm_does() {
    let mut a = vertex_form_with_remembered_bucket();
    let shown = screen_at(&mut a, 120, 40);
    assert!(
        shown.contains("kept-bucket  (remembered from the last job)"),
        "{shown}"
    );
    // Seven fields and the two choices: enter moves on, nothing is uploaded.
    for _ in 0..8 {
        assert!(!creates(&a.update(code(KeyCode::Enter), clock())));
        assert!(a.dataset.vertex_tune.as_ref().unwrap().review.is_none());
    }
    assert!(!creates(&a.update(code(KeyCode::Enter), clock())));
    let form = a.dataset.vertex_tune.as_ref().unwrap();
    assert!(form.upload.is_none());
    let review = form.review.clone().expect("the review");
    assert!(
        review.contains(&("Epochs".to_owned(), "50  (remembered)".to_owned())),
        "{review:?}"
    );
    assert!(
        review
            .iter()
            .any(|(l, v)| l == "Upload" && v.starts_with("gs://kept-bucket/tunedeck/words-")),
        "{review:?}"
    );
    for (w, h) in [(80, 24), (120, 40)] {
        let shown = screen_at(&mut a, w, h);
        assert!(shown.contains("Vertex AI: review"), "{w}x{h}:\n{shown}");
        assert!(shown.contains("confirm and start"), "{w}x{h}:\n{shown}");
    }
    a.update(code(KeyCode::Esc), clock());
    assert!(a.dataset.vertex_tune.as_ref().unwrap().review.is_none());
    assert!(
        a.dataset.vertex_tune.is_some(),
        "esc on the review keeps the form"
    );
    // ctrl-s from a field is the other explicit confirm.
    let cmds = a.update(ctrl('s'), clock());
    assert!(creates(&cmds), "{cmds:?}");
}

#[test]
fn the_vertex_reviews_confirm_uploads_exactly_the_objects_it_showed() {
    let mut a = vertex_form_with_remembered_bucket();
    while a.dataset.vertex_tune.as_ref().unwrap().review.is_none() {
        a.update(code(KeyCode::Enter), clock());
    }
    let review = a
        .dataset
        .vertex_tune
        .as_ref()
        .unwrap()
        .review
        .clone()
        .unwrap();
    let shown: Vec<String> = review
        .iter()
        .filter(|(l, _)| l == "Upload")
        .map(|(_, v)| v.clone())
        .collect();
    // Confirmed a minute later: the names are still the reviewed ones.
    let later = clock();
    let later = tunedeck::app::Now::at(later.instant, later.utc + chrono::Duration::minutes(1));
    let cmds = a.update(code(KeyCode::Enter), later);
    let [
        Cmd::Call {
            call: ApiCall::StartVertexTuning {
                bucket, uploads, ..
            },
            ..
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    let sent: Vec<String> = uploads
        .iter()
        .map(|(o, d)| format!("gs://{bucket}/{o} ({} bytes)", d.len()))
        .collect();
    assert_eq!(sent, shown);
}
