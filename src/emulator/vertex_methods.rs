//! Distillation and reinforcement tuning in the emulator, as a first stage before supervised
//! training of the small model: the request is checked (as the service words it), its
//! prompts are answered, and the answers to learn are written to Cloud Storage as a
//! supervised dataset, which the job then trains on (`vertex_tuning`).
//!
//! - Distillation: the teacher (a base model's emulated answer, or a tuned model's endpoint)
//!   answers each prompt; the student learns those answers.
//! - Reinforcement: for each prompt the candidates are the student's own (base) answer and
//!   the prompt's `references`; each is scored by the reward configs (string match only) and
//!   the best-rewarded one is learned when its reward is positive (best-of-n, reward-filtered
//!   fine-tuning). No policy gradient: the README's deviations table says so.
//!
//! The job keeps its `distillationSpec` or `reinforcementTuningSpec`; the supervised spec it
//! trains with is internal and not served.

use crate::api::error::Code;
use crate::api::vertex::types::{HyperParameters, SupervisedTuningSpec, TuningJob};
use crate::domain::vertex_methods::{
    DISTILLATION_TEACHERS, distillation_students, reward_configs, string_match, weighted,
};
use crate::emulator::cloud::{StoredObject, numeric_id, object_metadata};
use crate::emulator::core::Core;
use crate::emulator::journal::Entry;
use crate::emulator::vertex_dataset::split_gs_uri;
use crate::emulator::wire::Failure;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What answers a prompt as a model: `(model, prompt)` → text.
pub type Answerer<'a> = dyn Fn(&str, &str) -> Result<String, Failure> + 'a;

fn invalid(message: impl Into<String>) -> Failure {
    Failure::new(Code::InvalidArgument, message)
}

/// A prompt of a method's dataset: its user text and references.
struct Prompt {
    text: String,
    references: BTreeMap<String, String>,
}

/// A request for another method made into the supervised request the emulator trains with;
/// a supervised request as it is.
/// `answer(model, prompt)` is a model's answer: for `publishers/google/models/M` its emulated
/// one, for a tuned endpoint what it learned (the generation handler's, passed in so that this
/// module does not depend on the handlers).
pub fn lower(
    core: &Arc<Core>,
    mut request: TuningJob,
    answer: &Answerer,
) -> Result<TuningJob, Failure> {
    let methods = [
        request.supervised_tuning_spec.is_some(),
        request.distillation_spec.is_some(),
        request.reinforcement_tuning_spec.is_some(),
    ];
    if methods.iter().filter(|m| **m).count() > 1 {
        return Err(invalid(
            "supervised_tuning_spec, distillation_spec and reinforcement_tuning_spec are alternatives: set one.",
        ));
    }
    if let Some(spec) = request.distillation_spec.clone() {
        if request.base_model.is_empty() {
            request.base_model = spec.student_model.clone();
        }
        let student = request.base_model.clone();
        if !distillation_students().contains(&student.as_str()) {
            return Err(invalid(format!(
                "Base model {student:?} is not supported as a distillation student. Supported models: {}.",
                distillation_students().join(", ")
            )));
        }
        let teacher = teacher_endpoint(core, &spec)?;
        let uri = spec.prompts().to_owned();
        if uri.is_empty() {
            return Err(invalid("distillation_spec.prompt_dataset_uri is required."));
        }
        let prompts = read_prompts(core, &uri, "distillation_spec.prompt_dataset_uri")?;
        let mut lines = String::new();
        for p in &prompts {
            let answer = answer(&teacher, &p.text)?;
            lines.push_str(&example_line(&p.text, &answer));
        }
        let hp = spec.hyper_parameters.clone().unwrap_or_default();
        let written = write_dataset(core, &uri, "distillation", "teacher-answers.jsonl", lines)?;
        request.supervised_tuning_spec = Some(SupervisedTuningSpec {
            training_dataset_uri: written,
            validation_dataset_uri: spec.validation_dataset_uri.clone(),
            hyper_parameters: Some(HyperParameters {
                epoch_count: hp.epoch_count,
                learning_rate_multiplier: hp.learning_rate_multiplier,
                learning_rate: hp.learning_rate,
                adapter_size: hp.adapter_size,
                ..Default::default()
            }),
            export_last_checkpoint_only: false,
            ..Default::default()
        });
        return Ok(request);
    }
    if let Some(spec) = request.reinforcement_tuning_spec.clone() {
        if spec.training_dataset_uri.is_empty() {
            return Err(invalid(
                "reinforcement_tuning_spec.training_dataset_uri is required.",
            ));
        }
        if spec.single_reward_config.is_some() && spec.composite_reward_config.is_some() {
            return Err(invalid(
                "reinforcement_tuning_spec.single_reward_config and composite_reward_config are alternatives: set one.",
            ));
        }
        let configs = reward_configs(&spec);
        if configs.is_empty() {
            return Err(invalid(
                "reinforcement_tuning_spec needs a reward: single_reward_config or composite_reward_config.weighted_reward_configs.",
            ));
        }
        let mut scorers = Vec::new();
        for (i, (weight, config)) in configs.iter().enumerate() {
            let at = if spec.single_reward_config.is_some() {
                "reinforcement_tuning_spec.single_reward_config".to_owned()
            } else {
                format!(
                    "reinforcement_tuning_spec.composite_reward_config.weighted_reward_configs[{i}]"
                )
            };
            let scorer = string_match(config).map_err(|e| invalid(format!("{at}: {e}.")))?;
            if scorer.operation == crate::domain::vertex_methods::MatchOperation::RegexContains {
                return Err(invalid(format!(
                    "{at}: REGEX_CONTAINS is not evaluated by the emulator; use EXACT_MATCH or PARTIAL_MATCH."
                )));
            }
            if weight.is_some_and(|w| w.is_nan() || w < 0.0) {
                return Err(invalid(format!("{at}.weight must not be negative.")));
            }
            scorers.push((weight.unwrap_or(1.0), scorer));
        }
        if request.base_model.is_empty() {
            return Err(invalid("base_model is required."));
        }
        let uri = spec.training_dataset_uri.clone();
        let prompts = read_prompts(core, &uri, "reinforcement_tuning_spec.training_dataset_uri")?;
        let own = format!("publishers/google/models/{}", request.base_model);
        let mut lines = String::new();
        for p in &prompts {
            let mut candidates = vec![answer(&own, &p.text)?];
            candidates.extend(p.references.values().cloned());
            let best = candidates
                .iter()
                .map(|c| {
                    let scores: Vec<(f64, f64)> = scorers
                        .iter()
                        .map(|(w, s)| (*w, s.score(c, &p.references).unwrap_or(0.0)))
                        .collect();
                    (weighted(&scores), c)
                })
                .max_by(|a, b| a.0.total_cmp(&b.0));
            if let Some((reward, answer)) = best
                && reward > 0.0
            {
                lines.push_str(&example_line(&p.text, answer));
            }
        }
        if lines.is_empty() {
            return Err(invalid(format!(
                "No answer to any prompt of {uri} earns a positive reward: check the reward config's expression against the prompts' references."
            )));
        }
        let hp = spec.hyper_parameters.clone().unwrap_or_default();
        let written = write_dataset(core, &uri, "reinforcement", "rewarded-answers.jsonl", lines)?;
        request.supervised_tuning_spec = Some(SupervisedTuningSpec {
            training_dataset_uri: written,
            validation_dataset_uri: String::new(),
            hyper_parameters: Some(HyperParameters {
                epoch_count: hp.epoch_count,
                learning_rate_multiplier: hp.learning_rate_multiplier,
                learning_rate: None,
                adapter_size: hp.adapter_size,
                ..Default::default()
            }),
            export_last_checkpoint_only: false,
            ..Default::default()
        });
    }
    Ok(request)
}

/// The model that answers as the teacher: a publisher model or a tuned model's endpoint.
fn teacher_endpoint(
    core: &Core,
    spec: &crate::api::vertex::types::DistillationSpec,
) -> Result<String, Failure> {
    match (
        spec.base_teacher_model.as_str(),
        spec.tuned_teacher_model_source.as_str(),
    ) {
        ("", "") => Err(invalid(
            "distillation_spec.base_teacher_model or distillation_spec.tuned_teacher_model_source is required.",
        )),
        (b, t) if !b.is_empty() && !t.is_empty() => Err(invalid(
            "distillation_spec.base_teacher_model and tuned_teacher_model_source are alternatives: set one.",
        )),
        (b, "") => {
            if !DISTILLATION_TEACHERS.contains(&b) {
                return Err(invalid(format!(
                    "Base teacher model {b:?} is not supported for distillation. Supported models: {}.",
                    DISTILLATION_TEACHERS.join(", ")
                )));
            }
            Ok(format!("publishers/google/models/{b}"))
        }
        (_, t) => {
            let id = t
                .split("/models/")
                .nth(1)
                .map(|m| m.split('@').next().unwrap_or(m))
                .filter(|m| !m.is_empty() && t.starts_with("projects/"))
                .ok_or_else(|| {
                    invalid(format!(
                        "distillation_spec.tuned_teacher_model_source {t:?} is not projects/P/locations/L/models/M."
                    ))
                })?;
            let store = core.store();
            let endpoint = store
                .cloud
                .model(id, None)
                .and_then(|j| j.state.job.tuned_model.as_ref())
                .map(|m| m.endpoint.clone())
                .filter(|e| !e.is_empty());
            endpoint.ok_or_else(|| {
                Failure::new(
                    Code::NotFound,
                    format!("Model {t} was not found or has no endpoint to answer as the teacher."),
                )
            })
        }
    }
}

/// A supervised dataset line: the prompt, then the answer to learn.
fn example_line(prompt: &str, answer: &str) -> String {
    serde_json::json!({"contents": [
        {"role": "user", "parts": [{"text": prompt}]},
        {"role": "model", "parts": [{"text": answer}]}
    ]})
    .to_string()
        + "\n"
}

/// The prompts of a JSONL file in the emulator's Cloud Storage: each line's user text (every
/// user turn, joined) and its `references`. A problem names the field, the file and the line.
fn read_prompts(core: &Core, uri: &str, field: &str) -> Result<Vec<Prompt>, Failure> {
    let (bucket, object) = split_gs_uri(uri).ok_or_else(|| {
        invalid(format!(
            "{field} {uri:?} is not a Cloud Storage URI (gs://BUCKET/OBJECT)."
        ))
    })?;
    let data = {
        let store = core.store();
        store
            .cloud
            .object(bucket, object)
            .map(|o| Arc::clone(&o.data))
            .ok_or_else(|| invalid(format!("{field}: {uri} was not found.")))?
    };
    let text = String::from_utf8_lossy(&data);
    let mut prompts = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = |m: &str| invalid(format!("{uri} line {}: {m}", i + 1));
        let value: Value =
            serde_json::from_str(line).map_err(|e| at(&format!("not JSON ({e})")))?;
        let contents = value
            .get("contents")
            .and_then(Value::as_array)
            .ok_or_else(|| at("it has no \"contents\" list."))?;
        let user: Vec<String> = contents
            .iter()
            .filter(|c| c.get("role").and_then(Value::as_str).unwrap_or("user") == "user")
            .flat_map(|c| {
                c.get("parts")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            })
            .filter_map(|p| p.get("text").and_then(Value::as_str).map(str::to_owned))
            .collect();
        if user.is_empty() {
            return Err(at("it has no user text to answer."));
        }
        let references = value
            .get("references")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        prompts.push(Prompt {
            text: user.join("\n"),
            references,
        });
    }
    if prompts.is_empty() {
        return Err(invalid(format!("{field}: {uri} has no prompts.")));
    }
    Ok(prompts)
}

/// Writes the answers to learn beside the prompts (`gs://BUCKET/tunedeck-emulator/…`), durably,
/// and returns the object's URI.
fn write_dataset(
    core: &Core,
    prompts: &str,
    method: &str,
    file: &str,
    lines: String,
) -> Result<String, Failure> {
    let (bucket, _) = split_gs_uri(prompts).unwrap_or(("tunedeck-emulator", ""));
    let id = numeric_id(&format!(
        "{prompts}/{}",
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
    ));
    let name = format!("tunedeck-emulator/{method}-{id}/{file}");
    let data = lines.into_bytes();
    let object = StoredObject {
        meta: object_metadata(
            "http://127.0.0.1",
            bucket,
            &name,
            "application/jsonl",
            &data,
        ),
        data: Arc::new(data),
    };
    let mut store = core.store();
    core.commit(&[Entry::ObjectPut(Box::new(object.clone()))])?;
    store.cloud.put_object(object);
    Ok(format!("gs://{bucket}/{name}"))
}
