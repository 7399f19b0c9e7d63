//! Vertex AI's Model Registry for tuned models: `models.get` and `models.patch` (v1 and
//! v1beta1). A tuned model is what a succeeded tuning job made; patching its
//! `defaultCheckpointId` promotes a checkpoint, and the model's endpoint then answers from that
//! checkpoint's weights (`Cloud::endpoint`). Deleting a model is in `vertex.rs`.

use crate::api::error::Code;
use crate::api::vertex::model::{DeployedModelRef, Model, ModelCheckpoint, PATCHABLE_FIELDS};
use crate::emulator::cloud::{VertexJob, numeric_id};
use crate::emulator::core::Core;
use crate::emulator::journal::Entry;
use crate::emulator::request::Req;
use crate::emulator::vertex_tuning::Scope;
use crate::emulator::wire::{Failure, parse_lenient};
use axum::response::Response;
use std::sync::Arc;

/// The label google-genai reads a tuned model's base model from (`tuned_model_info.base_model`).
const BASE_MODEL_LABEL: &str = "google-vertex-llm-tuning-base-model-id";

/// `models/{id}` or `models/{id}@{version}`: the id and the version asked for.
fn parse_segment(segment: &str) -> Result<(&str, Option<u32>), Failure> {
    match segment.split_once('@') {
        None => Ok((segment, None)),
        Some((id, version)) => version.parse().map(|v| (id, Some(v))).map_err(|_| {
            Failure::new(
                Code::InvalidArgument,
                format!("Invalid model version {version:?}: a version is a number, as in {id}@1."),
            )
        }),
    }
}

fn not_found(scope: &Scope, segment: &str) -> Failure {
    Failure::new(
        Code::NotFound,
        format!("Model {}/models/{segment} was not found.", scope.parent()),
    )
}

/// The job whose model `segment` names, in this project and location.
fn model_job<'a>(
    jobs: &'a crate::emulator::cloud::Cloud,
    scope: &Scope,
    segment: &str,
) -> Result<&'a VertexJob, Failure> {
    let (id, version) = parse_segment(segment)?;
    jobs.model(id, version)
        .filter(|j| {
            j.state
                .job
                .name
                .starts_with(&format!("{}/", scope.parent()))
        })
        .ok_or_else(|| not_found(scope, segment))
}

/// The Model resource a job's model is, with what `models.patch` changed.
pub fn model_of(job: &VertexJob, scope: &Scope) -> Model {
    let t = &job.state.job;
    let changes = &job.state.model_changes;
    let tuned = t.tuned_model.as_ref();
    let checkpoints: Vec<ModelCheckpoint> = tuned
        .map(|m| {
            m.checkpoints
                .iter()
                .map(|c| ModelCheckpoint {
                    checkpoint_id: c.checkpoint_id.clone(),
                    epoch: c.epoch,
                    step: c.step,
                })
                .collect()
        })
        .unwrap_or_default();
    let default_checkpoint_id = changes
        .default_checkpoint_id
        .clone()
        .or_else(|| checkpoints.last().map(|c| c.checkpoint_id.clone()))
        .unwrap_or_default();
    let base = t
        .base_model
        .trim_start_matches("publishers/google/models/")
        .replace('.', "-");
    let mut labels = std::collections::BTreeMap::new();
    if !base.is_empty() {
        labels.insert(BASE_MODEL_LABEL.to_owned(), base);
    }
    let display_name = changes.display_name.clone().unwrap_or_else(|| {
        if t.tuned_model_display_name.is_empty() {
            job.state.model_id.clone()
        } else {
            t.tuned_model_display_name.clone()
        }
    });
    Model {
        name: format!("{}/models/{}", scope.parent(), job.state.model_id),
        display_name,
        description: changes
            .description
            .clone()
            .unwrap_or_else(|| t.description.clone()),
        version_id: job.state.model_version.to_string(),
        version_aliases: Vec::new(),
        create_time: t.end_time,
        update_time: t.update_time.or(t.end_time),
        labels,
        deployed_models: tuned
            .filter(|m| !m.endpoint.is_empty())
            .map(|m| DeployedModelRef {
                endpoint: m.endpoint.clone(),
                deployed_model_id: numeric_id(&format!("deployed/{}", m.endpoint)),
                checkpoint_id: default_checkpoint_id.clone(),
            })
            .into_iter()
            .collect(),
        default_checkpoint_id,
        checkpoints,
    }
}

/// `GET …/models/{id}[@version]`.
pub fn get(core: &Arc<Core>, req: &Req, scope: &Scope, segment: &str) -> Result<Response, Failure> {
    let store = core.store();
    let job = model_job(&store.cloud, scope, segment)?;
    req.ok(&model_of(job, scope))
}

/// The fields a patch changes: `updateMask` (camelCase or snake_case paths) when given, else
/// the fields the body sets, as google-genai's `models.update` sends no mask.
fn mask(
    req: &Req,
    body: &serde_json::Map<String, serde_json::Value>,
) -> Result<Vec<String>, Failure> {
    let paths: Vec<String> = match req
        .query_value("updateMask")
        .or(req.query_value("update_mask"))
    {
        Some(mask) => mask
            .split(',')
            .map(|p| crate::api::serde_util::camel_case(p.trim()))
            .filter(|p| !p.is_empty())
            .collect(),
        None => body
            .keys()
            .map(|k| crate::api::serde_util::camel_case(k))
            .collect(),
    };
    if paths.is_empty() {
        return Err(Failure::new(
            Code::InvalidArgument,
            "The update mask is empty: name the fields to change (updateMask=defaultCheckpointId).",
        ));
    }
    if let Some(other) = paths
        .iter()
        .find(|p| !PATCHABLE_FIELDS.contains(&p.as_str()))
    {
        return Err(Failure::new(
            Code::InvalidArgument,
            format!(
                "Update mask path {other:?} is not supported for a tuned model: the emulator changes {}.",
                PATCHABLE_FIELDS.join(", ")
            ),
        ));
    }
    Ok(paths)
}

/// `PATCH …/models/{id}[@version]`: display name, description or default checkpoint, on disk
/// before the answer.
pub fn patch(
    core: &Arc<Core>,
    req: &Req,
    scope: &Scope,
    segment: &str,
) -> Result<Response, Failure> {
    let raw = parse_lenient(&req.body)?;
    let body = crate::api::serde_util::camelize_keys(raw);
    let Some(body) = body.as_object() else {
        return Err(Failure::new(
            Code::InvalidArgument,
            "Invalid JSON payload received. The model must be a JSON object.",
        ));
    };
    let paths = mask(req, body)?;
    let text = |field: &str| -> Result<Option<String>, Failure> {
        match body.get(field) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(Failure::new(
                Code::InvalidArgument,
                format!("Invalid value at 'model.{field}' (TYPE_STRING), {other}"),
            )),
        }
    };
    let mut store = core.store();
    let mut job = model_job(&store.cloud, scope, segment)?.clone();
    for path in &paths {
        let value = text(path)?;
        let changes = &mut job.state.model_changes;
        match path.as_str() {
            "defaultCheckpointId" => {
                let id = value.unwrap_or_default();
                let known: Vec<String> = job
                    .state
                    .job
                    .tuned_model
                    .as_ref()
                    .map(|m| {
                        m.checkpoints
                            .iter()
                            .map(|c| c.checkpoint_id.clone())
                            .collect()
                    })
                    .unwrap_or_default();
                if !known.contains(&id) {
                    return Err(Failure::new(
                        Code::InvalidArgument,
                        if known.is_empty() {
                            format!(
                                "Checkpoint {id:?} does not exist: this model version has no checkpoints (its job exported the last one only)."
                            )
                        } else {
                            format!(
                                "Checkpoint {id:?} does not exist in this model version; its checkpoints are {}.",
                                known.join(", ")
                            )
                        },
                    ));
                }
                changes.default_checkpoint_id = Some(id);
            }
            "displayName" => {
                let name = value.unwrap_or_default();
                if name.trim().is_empty() {
                    return Err(Failure::new(
                        Code::InvalidArgument,
                        "A model's display name cannot be empty.",
                    ));
                }
                changes.display_name = Some(name);
            }
            _ => changes.description = Some(value.unwrap_or_default()),
        }
    }
    job.state.job.update_time = Some(chrono::Utc::now());
    core.commit(&[Entry::vertex_update(&job)])?;
    job.mark_journaled();
    let answer = model_of(&job, scope);
    store.cloud.put_job(job);
    req.ok(&answer)
}
