//! The demo an empty emulator starts with, so a fresh install shows a working product: the
//! official tutorial's number-generator model already tuned, a Roman-numeral job tuning live,
//! and a community model shared with everyone (seen with the `readers:everyone` filter).
//! Every demo model says so in its description; `--empty` skips them.

use super::core::{Core, StepOutcome, record_step, spec_of};
use super::store::{Record, random_id};
use super::trainer::Trainer;
use super::tuning::{insert, prepare};
use super::wire::camelize_keys;
use crate::api::types::*;
use chrono::{Duration, Utc};
use std::sync::Arc;

pub const NUMBER_GENERATOR: &str = include_str!("../../assets/datasets/number-generator.jsonl");
pub const ROMAN_NUMERALS: &str = include_str!("../../assets/datasets/roman-numerals.jsonl");
pub const WORD_TO_EMOJI: &str = include_str!("../../assets/datasets/word-to-emoji.jsonl");

/// The id of the demo model that is already tuned.
pub const DEMO_TUNED_ID: &str = "number-generator-demo";
/// The id of the demo job that tunes live.
pub const DEMO_LIVE_ID: &str = "roman-numerals-demo";
pub const DEMO_PUBLIC_ID: &str = "word-to-emoji-community";

/// Reads a bundled JSONL dataset (`text_input`/`output` per line).
pub fn bundled_examples(jsonl: &str) -> Vec<TuningExample> {
    jsonl
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter_map(|v| serde_json::from_value(camelize_keys(v)).ok())
        .collect()
}

fn request(
    display_name: &str,
    description: &str,
    examples: Vec<TuningExample>,
    batch: i32,
    epochs: i32,
) -> TunedModel {
    TunedModel {
        display_name: display_name.into(),
        description: format!("Demo seeded by the tunedeck emulator: {description}"),
        base_model: Some("models/gemini-1.5-flash-001-tuning".into()),
        tuning_task: Some(TuningTask {
            training_data: Some(Dataset::from_examples(examples)),
            hyperparameters: Some(Hyperparameters {
                learning_rate: Some(0.001),
                epoch_count: Some(epochs),
                batch_size: Some(batch),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Trains a record to the end at once, stamping steps as if it ran `step_secs` apart from its
/// start time (in the past).
fn train_in_the_past(record: &mut Record, step_secs: f64) {
    let Some(job) = record.job.as_ref() else {
        return;
    };
    let mut trainer = Trainer::new(&record.examples, spec_of(job));
    let start = record
        .model
        .tuning_task
        .as_ref()
        .and_then(|t| t.start_time)
        .unwrap_or_else(Utc::now);
    loop {
        let loss = trainer.step();
        let at = start
            + Duration::milliseconds(
                (trainer.completed_steps() as f64 * step_secs * 1000.0) as i64,
            );
        if record_step(record, &trainer, loss, at) != StepOutcome::Running {
            break;
        }
    }
}

/// Seeds the demo into an empty store; returns the ids of jobs to start.
pub fn seed(core: &Arc<Core>) -> Vec<String> {
    let now = Utc::now();
    let mut live = Vec::new();

    let tuned = request(
        "Number generator (demo)",
        "the official tutorial's 15 examples (batch 2, 5 epochs), already tuned. Try the prompt 'seven'.",
        bundled_examples(NUMBER_GENERATOR),
        2,
        5,
    );
    if let Ok(new) = prepare(core, tuned, Some(DEMO_TUNED_ID), now - Duration::days(1)) {
        let Ok(mut record) = insert(core, new, super::store::CALLER_EMAIL) else {
            return live;
        };
        train_in_the_past(&mut record, 1.5);
        record.demo = true;
        replace(core, record);
    }

    let public = request(
        "Word to emoji (community demo)",
        "a model another user shared with everyone; list it with the readers:everyone filter.",
        bundled_examples(WORD_TO_EMOJI),
        4,
        20,
    );
    if let Ok(new) = prepare(core, public, Some(DEMO_PUBLIC_ID), now - Duration::days(3)) {
        let Ok(mut record) = insert(core, new, "community@example.com") else {
            return live;
        };
        train_in_the_past(&mut record, 2.0);
        record.demo = true;
        record.permissions.push(Permission {
            name: format!("{}/permissions/{}", record.model.name, random_id(12)),
            grantee_type: Some(GranteeType::Everyone),
            email_address: None,
            role: Role::Reader,
        });
        replace(core, record);
    }

    let running = request(
        "Roman numerals (demo)",
        "120 numerals and their successors, tuning live (batch 4, 5 epochs). Try 'LXIII' when it is done.",
        bundled_examples(ROMAN_NUMERALS),
        4,
        5,
    );
    if let Ok(new) = prepare(core, running, Some(DEMO_LIVE_ID), now) {
        let Ok(mut record) = insert(core, new, super::store::CALLER_EMAIL) else {
            return live;
        };
        record.demo = true;
        replace(core, record);
        live.push(DEMO_LIVE_ID.to_owned());
    }
    // The demo is on disk before the first request (its records are in the journal whatever
    // happens; a failed save only leaves the demo mark for a later compaction).
    if let Err(e) = core.compact() {
        tracing::warn!("saving the demo: {e}");
    }
    live
}

fn replace(core: &Core, record: Record) {
    let mut store = core.store();
    if let Some(slot) = store.get_mut(record.id()) {
        *slot = record;
    }
}

/// The project and location of the Vertex AI demo (`tunedeck --emulator --vertex` uses them).
pub const VERTEX_DEMO_PROJECT: &str = "tunedeck-demo";
pub const VERTEX_DEMO_LOCATION: &str = "us-central1";
pub const VERTEX_DEMO_BUCKET: &str = "tunedeck-demo";

/// Pairs as Vertex tuning lines.
fn vertex_lines(examples: &[TuningExample]) -> Vec<u8> {
    examples
        .iter()
        .map(|e| {
            serde_json::json!({"contents": [
                {"role": "user", "parts": [{"text": e.text_input}]},
                {"role": "model", "parts": [{"text": e.output}]},
            ]})
            .to_string()
                + "\n"
        })
        .collect::<String>()
        .into_bytes()
}

fn put_object(core: &Core, name: &str, data: Vec<u8>) {
    use super::cloud::{StoredObject, object_metadata};
    let meta = object_metadata(
        "http://127.0.0.1",
        VERTEX_DEMO_BUCKET,
        name,
        "application/jsonl",
        &data,
    );
    let object = StoredObject {
        meta,
        data: Arc::new(data),
    };
    let mut store = core.store();
    if let Err(e) = core.commit(&[super::journal::Entry::ObjectPut(Box::new(object.clone()))]) {
        tracing::warn!("seeding the Vertex demo: {}", e.message);
    }
    store.cloud.put_object(object);
}

/// The base model of the demo's live job: a current one, which no date in the model table
/// retires (its retirement is "or later").
pub const DEMO_CURRENT_BASE: &str = "gemini-3.5-flash";

fn vertex_request(
    display_name: &str,
    description: &str,
    train: &str,
    validation: &str,
    epochs: i64,
) -> crate::api::vertex::types::TuningJob {
    use crate::api::vertex::types::*;
    TuningJob {
        base_model: "gemini-2.5-flash".into(),
        tuned_model_display_name: display_name.into(),
        description: format!("Demo seeded by the tunedeck emulator: {description}"),
        labels: [("demo".to_owned(), "tunedeck".to_owned())].into(),
        supervised_tuning_spec: Some(SupervisedTuningSpec {
            training_dataset_uri: format!("gs://{VERTEX_DEMO_BUCKET}/{train}"),
            validation_dataset_uri: if validation.is_empty() {
                String::new()
            } else {
                format!("gs://{VERTEX_DEMO_BUCKET}/{validation}")
            },
            hyper_parameters: Some(HyperParameters {
                epoch_count: Some(epochs),
                adapter_size: AdapterSize::Eight,
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Seeds the Vertex AI demo: the datasets in Cloud Storage, the number generator tuned
/// (finished three hours ago, with checkpoints and an eval curve), and the Roman numerals
/// tuning live.
pub fn seed_vertex(core: &Arc<Core>) {
    use super::vertex_tuning::{Scope, complete_now, create_with};
    let numbers = bundled_examples(NUMBER_GENERATOR);
    let (train, validation) = numbers.split_at(numbers.len().saturating_sub(3));
    put_object(core, "number-generator/train.jsonl", vertex_lines(train));
    put_object(
        core,
        "number-generator/validation.jsonl",
        vertex_lines(validation),
    );
    put_object(
        core,
        "roman-numerals/train.jsonl",
        vertex_lines(&bundled_examples(ROMAN_NUMERALS)),
    );
    let scope = Scope::new(VERTEX_DEMO_PROJECT, VERTEX_DEMO_LOCATION);
    let started = Utc::now() - Duration::hours(3);
    let finished = vertex_request(
        "number-generator",
        "the official tutorial's number generator, tuned on Vertex AI with a validation set",
        "number-generator/train.jsonl",
        "number-generator/validation.jsonl",
        8,
    );
    match create_with(
        core,
        &scope,
        finished,
        started - Duration::minutes(2),
        false,
    ) {
        Ok((job, stats)) => complete_now(core, job.id(), stats, started, Duration::seconds(20)),
        Err(e) => tracing::warn!("seeding the Vertex demo: {}", e.message),
    }
    let live = vertex_request(
        "roman-numerals",
        "numbers to Roman numerals, tuning live",
        "roman-numerals/train.jsonl",
        "",
        6,
    );
    // The live job tunes a current model; the finished one keeps Gemini 2.5 Flash, retired
    // on 2026-10-16, so the dashboard shows its mark and offers the rebase (the emulator
    // still serves it unless told a day to retire models at).
    let live = crate::api::vertex::types::TuningJob {
        base_model: DEMO_CURRENT_BASE.into(),
        ..live
    };
    if let Err(e) = create_with(core, &scope, live, Utc::now(), true) {
        tracing::warn!("seeding the Vertex demo: {}", e.message);
    }
}
