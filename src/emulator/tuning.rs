//! Creating a tuning: a create request checked as the service checks it (the API reference's
//! tunedModels.create item 3) and stored with its job. Shared by the create handler and the demo
//! seeding.

use crate::api::error::Code;
use crate::api::serde_util::Timestamp;
use crate::api::types::*;
use crate::emulator::core::Core;
use crate::emulator::store::{
    BaseTraining, Job, Record, base_models, generate_model_id, micros, random_id, valid_model_id,
};
use crate::emulator::trainer::{stable_hash, total_steps};
use crate::emulator::wire::Failure;
use std::sync::Arc;

pub use crate::domain::limits::{
    DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, DEFAULT_LEARNING_RATE,
    MAX_DISPLAY_NAME_CHARS as MAX_DISPLAY_NAME, MAX_INPUT_CHARS, MAX_OUTPUT_CHARS,
};
/// Not documented by Google; the emulator's own bound, so one request cannot occupy it forever.
pub const MAX_TOTAL_STEPS: u64 = 1_000_000;

/// What a create request asks for, checked.
pub struct NewTuning {
    pub id: String,
    pub model: TunedModel,
    pub examples: Vec<TuningExample>,
    pub job: Job,
}

/// Validates a create request and builds the model, as the service does before answering.
pub fn prepare(
    core: &Core,
    body: TunedModel,
    requested_id: Option<&str>,
    now: Timestamp,
) -> Result<NewTuning, Failure> {
    let store = core.store();
    let id = match requested_id.filter(|s| !s.is_empty()) {
        Some(id) => {
            if !valid_model_id(id) {
                return Err(Failure::invalid(
                    "tuned_model_id",
                    format!(
                        "tunedModelId {id:?} is invalid: it must match [a-z]([a-z0-9-]{{0,38}}[a-z0-9])? (1 to 40 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen)."
                    ),
                ));
            }
            if store.contains(id) {
                return Err(Failure::new(
                    Code::AlreadyExists,
                    format!("Tuned model tunedModels/{id} already exists."),
                ));
            }
            id.to_owned()
        }
        None => loop {
            let candidate = generate_model_id(&body.display_name);
            if !store.contains(&candidate) {
                break candidate;
            }
        },
    };
    let name_chars = body.display_name.chars().count();
    if name_chars > MAX_DISPLAY_NAME {
        return Err(Failure::invalid(
            "tuned_model.display_name",
            format!(
                "displayName is {name_chars} characters long; the limit is {MAX_DISPLAY_NAME}."
            ),
        ));
    }

    // The source: a base model that can be tuned, or an ACTIVE tuned model.
    let source_tuned = body
        .tuned_model_source
        .as_ref()
        .and_then(|s| s.tuned_model.clone())
        .filter(|s| !s.is_empty());
    let (base_name, source) = match (
        body.base_model.clone().filter(|b| !b.is_empty()),
        source_tuned,
    ) {
        (Some(_), Some(_)) => {
            // The source is a oneof (TunedModel.source in the API reference): one or the other, as
            // the front end words a oneof set twice.
            return Err(Failure::invalid(
                "tuned_model",
                "Invalid value at 'tuned_model' (oneof), oneof field 'source_model' is already set. Cannot set 'tunedModelSource'",
            ));
        }
        (Some(base), None) => (base, None),
        (None, Some(tuned)) => {
            let tuned_id = tuned.strip_prefix("tunedModels/").unwrap_or(&tuned);
            let record = store.get(tuned_id).ok_or_else(|| {
                Failure::invalid(
                    "tuned_model.tuned_model_source.tuned_model",
                    format!("Tuned model tunedModels/{tuned_id} does not exist."),
                )
            })?;
            if record.model.state != TunedModelState::Active {
                return Err(Failure::invalid(
                    "tuned_model.tuned_model_source.tuned_model",
                    format!(
                        "Tuned model {} is {}; only an ACTIVE model can be a tuning source.",
                        record.model.name, record.model.state
                    ),
                ));
            }
            let base = record.model.source_model().unwrap_or_default().to_owned();
            (
                base,
                Some((record.model.name.clone(), BaseTraining::of(record))),
            )
        }
        (None, None) => {
            return Err(Failure::invalid(
                "tuned_model.base_model",
                "A source model is required: set baseModel (e.g. models/gemini-1.5-flash-001-tuning) or tunedModelSource.tunedModel.",
            ));
        }
    };
    let base_name = crate::api::client::model_path(&base_name);
    let base = base_models().into_iter().find(|m| m.name == base_name);
    let base = match base {
        Some(m) if m.is_tunable() => m,
        Some(m) => {
            return Err(Failure::invalid(
                "tuned_model.base_model",
                format!(
                    "Base model {} does not support createTunedModel; tunable models list createTunedModel in supportedGenerationMethods.",
                    m.name
                ),
            ));
        }
        None => {
            return Err(Failure::invalid(
                "tuned_model.base_model",
                format!(
                    "Base model {base_name} does not exist. Call ListModels to see the available models."
                ),
            ));
        }
    };

    let task = body.tuning_task.clone().unwrap_or_default();
    let examples: Vec<TuningExample> = task
        .training_data
        .as_ref()
        .map(|d| d.examples().to_vec())
        .unwrap_or_default();
    if examples.is_empty() {
        return Err(Failure::invalid(
            "tuned_model.tuning_task.training_data",
            "Training data is required: tuningTask.trainingData.examples.examples needs at least one example.",
        ));
    }
    for (i, ex) in examples.iter().enumerate() {
        let field =
            |f: &str| format!("tuned_model.tuning_task.training_data.examples.examples[{i}].{f}");
        let input = ex.text_input.chars().count();
        let output = ex.output.chars().count();
        if ex.text_input.is_empty() {
            return Err(Failure::invalid(
                field("text_input"),
                format!("Example {i} has no text_input."),
            ));
        }
        if ex.output.is_empty() {
            return Err(Failure::invalid(
                field("output"),
                format!("Example {i} has no output."),
            ));
        }
        if input > MAX_INPUT_CHARS {
            return Err(Failure::invalid(
                field("text_input"),
                format!(
                    "Example {i}: text_input is {input} characters; the limit is {MAX_INPUT_CHARS}."
                ),
            ));
        }
        if output > MAX_OUTPUT_CHARS {
            return Err(Failure::invalid(
                field("output"),
                format!(
                    "Example {i}: output is {output} characters; the limit is {MAX_OUTPUT_CHARS}."
                ),
            ));
        }
    }

    let hp = task.hyperparameters.clone().unwrap_or_default();
    let hp_field = |f: &str| format!("tuned_model.tuning_task.hyperparameters.{f}");
    let learning_rate = match hp.learning_rate_option() {
        Err(message) => {
            return Err(Failure::invalid(
                hp_field("learning_rate_multiplier"),
                message,
            ));
        }
        Ok(None) => DEFAULT_LEARNING_RATE,
        Ok(Some(LearningRateOption::LearningRate(r))) => r,
        Ok(Some(LearningRateOption::Multiplier(m))) => {
            if !(m.is_finite() && m > 0.0) {
                return Err(Failure::invalid(
                    hp_field("learning_rate_multiplier"),
                    "learningRateMultiplier must be greater than 0.",
                ));
            }
            m * DEFAULT_LEARNING_RATE
        }
    };
    if !(learning_rate.is_finite() && learning_rate > 0.0) {
        return Err(Failure::invalid(
            hp_field("learning_rate"),
            "learningRate must be greater than 0.",
        ));
    }
    let positive = |v: Option<i32>, default: u32, f: &str| -> Result<u32, Failure> {
        match v {
            None => Ok(default),
            Some(n) if n >= 1 => Ok(n as u32),
            Some(n) => Err(Failure::invalid(
                hp_field(f),
                format!("{f} must be at least 1, got {n}."),
            )),
        }
    };
    let epochs = positive(hp.epoch_count, DEFAULT_EPOCHS, "epoch_count")?;
    let batch_size = positive(hp.batch_size, DEFAULT_BATCH_SIZE, "batch_size")?;
    let total = total_steps(examples.len(), epochs, batch_size);
    if total > MAX_TOTAL_STEPS {
        return Err(Failure::invalid(
            hp_field("epoch_count"),
            format!(
                "This job would take {total} steps; the emulator allows at most {MAX_TOTAL_STEPS}. Use fewer epochs or a larger batch."
            ),
        ));
    }
    check_sampling(body.temperature, body.top_p, body.top_k)?;
    drop(store);

    let start = now + chrono::Duration::milliseconds(300 + (stable_hash(&id) % 400) as i64);
    let model = TunedModel {
        name: format!("tunedModels/{id}"),
        tuned_model_source: source.as_ref().map(|(tuned, _)| TunedModelSource {
            tuned_model: Some(tuned.clone()),
            base_model: Some(base.name.clone()),
        }),
        base_model: body.tuned_model_source.is_none().then(|| base.name.clone()),
        display_name: body.display_name,
        description: body.description,
        state: TunedModelState::Creating,
        // createTime and updateTime in microseconds, as the service reports them (completeTime,
        // which updateTime moves to, too); startTime and computeTime keep nanoseconds
        // (proto3 JSON, as the recorded bodies in tests/fixtures/recorded show).
        create_time: Some(micros(now)),
        update_time: Some(micros(now)),
        tuning_task: Some(TuningTask {
            start_time: Some(start),
            hyperparameters: Some(Hyperparameters {
                learning_rate: Some(learning_rate),
                learning_rate_multiplier: None,
                epoch_count: Some(epochs as i32),
                batch_size: Some(batch_size as i32),
            }),
            ..Default::default()
        }),
        temperature: body.temperature.or(base.temperature),
        top_p: body.top_p.or(base.top_p),
        top_k: body.top_k.or(base.top_k),
        reader_project_numbers: body.reader_project_numbers,
    };
    let job = Job {
        operation_id: random_id(12),
        total_steps: total,
        epochs,
        batch_size,
        learning_rate,
        seed: core.options.seed ^ stable_hash(&id),
        error: None,
        done: false,
        fail_at_step: core.job_failure_step(total),
        operation_deleted: false,
        base: source.and_then(|(_, base)| base).map(Box::new),
    };
    Ok(NewTuning {
        id,
        model,
        examples,
        job,
    })
}

pub fn check_sampling(
    temperature: Option<f64>,
    top_p: Option<f64>,
    top_k: Option<i32>,
) -> Result<(), Failure> {
    if let Some(t) = temperature.filter(|t| !(0.0..=2.0).contains(t)) {
        return Err(Failure::invalid(
            "tuned_model.temperature",
            format!("temperature must be between 0 and 2, got {t}."),
        ));
    }
    if let Some(p) = top_p.filter(|p| !(0.0..=1.0).contains(p)) {
        return Err(Failure::invalid(
            "tuned_model.top_p",
            format!("topP must be between 0 and 1, got {p}."),
        ));
    }
    if let Some(k) = top_k.filter(|k| *k < 0) {
        return Err(Failure::invalid(
            "tuned_model.top_k",
            format!("topK must not be negative, got {k}."),
        ));
    }
    Ok(())
}

/// The owner's permission on a new model.
pub fn owner_permission(model_name: &str, email: &str) -> Permission {
    Permission {
        name: format!("{model_name}/permissions/{}", random_id(12)),
        grantee_type: Some(GranteeType::User),
        email_address: Some(email.to_owned()),
        role: Role::Owner,
    }
}

/// Stores a prepared tuning once it is durable, and returns its record.
pub fn insert(core: &Core, new: NewTuning, owner: &str) -> Result<Record, Failure> {
    let record = Record {
        permissions: vec![owner_permission(&new.model.name, owner)],
        model: new.model,
        examples: Arc::new(new.examples),
        job: Some(new.job),
        demo: false,
    };
    core.commit_insert(&mut core.store(), record.clone())?;
    Ok(record)
}
