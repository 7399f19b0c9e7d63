//! Vertex AI's `tuningJobs` and tuned-model deletion, v1 and v1beta1 (the aiplatform discovery
//! documents, tests/fixtures/discovery): JSON only, 200 on success, int64 as strings, camelCase or
//! snake_case accepted.

use crate::api::error::Code;
use crate::api::vertex::types::{ListTuningJobsResponse, TuningJob};
use crate::emulator::core::Core;
use crate::emulator::journal::Entry;
use crate::emulator::request::{Req, paging};
use crate::emulator::vertex_tuning::{self, Scope, job_not_found, served};
use crate::emulator::wire::{Failure, parse_body, parse_lenient};
use axum::response::Response;
use std::sync::Arc;

/// Fields of the service's `TuningJob` that the emulator's type does not hold, per version:
/// the service knows them, so they are accepted and change nothing here (output-only ones the
/// service ignores on input; the others pick features the emulator does not have).
fn unmodeled_fields(version: &str) -> &'static [&'static str] {
    const V1: &[&str] = &[
        "encryptionSpec",
        "evaluateDatasetRuns",
        "preferenceOptimizationSpec.evaluationConfig",
        "serviceAccount",
        "supervisedTuningSpec.evaluationConfig",
    ];
    const V1BETA1: &[&str] = &[
        "encryptionSpec",
        "evaluateDatasetRuns",
        "preferenceOptimizationSpec.evaluationConfig",
        "serviceAccount",
        "supervisedTuningSpec.evaluationConfig",
        "customBaseModel",
        "distillationSamplingSpec",
        "distillationSpec.evaluationConfig",
        "fullFineTuningSpec",
        "partnerModelTuningSpec",
        "pipelineJob",
        "satisfiesPzi",
        "satisfiesPzs",
        "veoTuningSpec",
    ];
    if version == "v1" { V1 } else { V1BETA1 }
}

/// Fields the emulator's type holds that v1's schema lacks (they are v1beta1's): unknown on v1,
/// as the service says.
const V1BETA1_ONLY: &[&str] = &[
    "tuningJobState",
    "tuningJobMetadata",
    "supervisedTuningSpec.hyperParameters.learningRate",
    "distillationSpec",
    "reinforcementTuningSpec",
    "supervisedTuningSpec.hyperParameters.batchSize",
    "supervisedTuningSpec.tuningMode",
    "outputUri",
];

/// Removes a dotted path (`supervisedTuningSpec.tuningMode`) from a camelCase request.
fn take_path(value: &mut serde_json::Value, path: &str) -> Option<serde_json::Value> {
    let (parent, last) = match path.rsplit_once('.') {
        Some((parent, last)) => (Some(parent), last),
        None => (None, path),
    };
    let mut at = value;
    for key in parent.into_iter().flat_map(|p| p.split('.')) {
        at = at.get_mut(key)?;
    }
    at.as_object_mut()?.remove(last)
}

/// The request's job: only the fields a caller sets (output-only ones are ignored, as the
/// service ignores them), read from camelCase or snake_case; label keys kept as written. A
/// field the version's schema does not have is refused as Google's front end refuses it:
/// 400 `Invalid JSON payload received. Unknown name "bogus": Cannot find field.`, as on the
/// Gemini API.
fn read_request(req: &Req) -> Result<TuningJob, Failure> {
    let raw = parse_lenient(&req.body)?;
    if !raw.is_object() {
        return Err(Failure::new(
            Code::InvalidArgument,
            "Invalid JSON payload received. Unknown name \"\": Root element must be a message.",
        ));
    }
    let labels = raw.get("labels").cloned();
    let mut value = crate::api::serde_util::camelize_keys(raw);
    for path in unmodeled_fields(&req.version) {
        take_path(&mut value, path);
    }
    if req.version == "v1" {
        for path in V1BETA1_ONLY {
            if take_path(&mut value.clone(), path).is_some() {
                return Err(unknown_name(path));
            }
        }
    }
    // A parsed JSON value always serializes (its keys are strings): the default is never used.
    let bytes = serde_json::to_vec(&value).unwrap_or_default();
    let (given, _): (TuningJob, _) = parse_body(&bytes)?;
    Ok(TuningJob {
        tuned_model_display_name: given.tuned_model_display_name,
        description: given.description,
        base_model: given.base_model,
        pre_tuned_model: given.pre_tuned_model.map(|mut p| {
            p.base_model.clear();
            p
        }),
        supervised_tuning_spec: given.supervised_tuning_spec,
        distillation_spec: given.distillation_spec,
        reinforcement_tuning_spec: given.reinforcement_tuning_spec,
        preference_optimization_spec: given.preference_optimization_spec,
        output_uri: given.output_uri,
        labels: labels
            .and_then(|l| serde_json::from_value(l).ok())
            .unwrap_or(given.labels),
        ..Default::default()
    })
}

/// `Unknown name "learningRate" at 'supervised_tuning_spec.hyper_parameters': Cannot find
/// field.` for a dotted camelCase path, with the field violation the front end adds.
fn unknown_name(path: &str) -> Failure {
    let snake: Vec<String> = path
        .split('.')
        .map(crate::api::serde_util::snake_case)
        .collect();
    let (name, parent) = match path.rsplit_once('.') {
        Some((_, name)) => (name, snake[..snake.len() - 1].join(".")),
        None => (path, String::new()),
    };
    let at = if parent.is_empty() {
        String::new()
    } else {
        format!(" at '{parent}'")
    };
    Failure::invalid(
        snake.join("."),
        format!("Invalid JSON payload received. Unknown name \"{name}\"{at}: Cannot find field."),
    )
}

/// `POST …/tuningJobs`: the job itself (not an operation), PENDING.
pub fn create(core: &Arc<Core>, req: &Req, scope: &Scope) -> Result<Response, Failure> {
    let request = read_request(req)?;
    let answer = |model: &str, prompt: &str| -> Result<String, Failure> {
        if let Some(id) = model.strip_prefix("publishers/google/models/") {
            return Ok(super::generate::emulated_base_answer(id, prompt, 0));
        }
        let (texts, _) = super::generate::vertex_answer(core, model, prompt, 1)?;
        Ok(texts.into_iter().next().unwrap_or_default())
    };
    let request = crate::emulator::vertex_methods::lower(core, request, &answer)?;
    let job = vertex_tuning::create(core, scope, request, chrono::Utc::now())?;
    req.ok(&served(&job, &req.version))
}

fn find(core: &Core, scope: &Scope, id: &str) -> Result<TuningJob, Failure> {
    let store = core.store();
    store
        .cloud
        .job(id)
        .filter(|j| {
            j.state
                .job
                .name
                .starts_with(&format!("{}/", scope.parent()))
        })
        .map(|j| j.state.job.clone())
        .ok_or_else(|| job_not_found(id))
}

pub fn get(core: &Arc<Core>, req: &Req, scope: &Scope, id: &str) -> Result<Response, Failure> {
    let job = find(core, scope, id)?;
    req.ok(&served(&job, &req.version))
}

/// A list filter: `state="JOB_STATE_…"` (also `!=`) and `labels.KEY="VALUE"` terms joined with
/// AND. The service documents only "the standard list filter"; these are the fields a person
/// filters tuning jobs by.
fn matches_filter(job: &TuningJob, filter: &str) -> Result<bool, Failure> {
    for term in filter
        .split(" AND ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let unquote = |s: &str| s.trim().trim_matches('"').to_owned();
        let ok = if let Some(v) = term.strip_prefix("state!=") {
            job.state.name() != unquote(v)
        } else if let Some(v) = term.strip_prefix("state=") {
            job.state.name() == unquote(v)
        } else if let Some((key, v)) = term
            .strip_prefix("labels.")
            .and_then(|rest| rest.split_once('='))
        {
            job.labels.get(key.trim()).map(String::as_str) == Some(unquote(v).as_str())
        } else {
            return Err(Failure::invalid(
                "filter",
                format!(
                    "Unsupported filter term {term:?}: the emulator filters on state=, state!= and labels.KEY=."
                ),
            ));
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `GET …/tuningJobs`: newest first, paged (50 a page by default, 1,000 at most).
pub fn list(core: &Arc<Core>, req: &Req, scope: &Scope) -> Result<Response, Failure> {
    let filter = req.query_value("filter").unwrap_or_default().to_owned();
    let mut jobs = Vec::new();
    for job in core.store().cloud.jobs.iter().rev() {
        if job
            .state
            .job
            .name
            .starts_with(&format!("{}/", scope.parent()))
            && matches_filter(&job.state.job, &filter)?
        {
            jobs.push(served(&job.state.job, &req.version));
        }
    }
    let fingerprint = format!("{}|{filter}", scope.parent());
    let (offset, size) = paging::window(req, 50, 1000, &fingerprint)?;
    let total = jobs.len();
    req.ok(&ListTuningJobsResponse {
        tuning_jobs: jobs.into_iter().skip(offset).take(size).collect(),
        next_page_token: paging::next_token(offset, size, total, &fingerprint),
    })
}

/// A request message with no body fields (`CancelTuningJobRequest`).
#[derive(serde::Deserialize, serde::Serialize)]
struct NoFields {}

/// `POST …/tuningJobs/{id}:cancel`: `{}`; the job ends CANCELLED at its next step.
pub fn cancel(core: &Arc<Core>, req: &Req, scope: &Scope, id: &str) -> Result<Response, Failure> {
    // `CancelTuningJobRequest` has no body fields: any field in it is unknown.
    if !req.body.iter().all(u8::is_ascii_whitespace) {
        let (_, _): (NoFields, _) = parse_body(&req.body)?;
    }
    find(core, scope, id)?;
    vertex_tuning::cancel(core, id, chrono::Utc::now())?;
    req.ok(&serde_json::json!({}))
}

/// `DELETE …/models/{id}`: the tuned model (every version) and its endpoints go; the jobs that
/// made it stay, as the service keeps them. The answer is the long-running Operation the method
/// returns (aiplatform discovery: `GoogleLongrunningOperation`), already done, as the deletion
/// is on disk before it leaves.
pub fn delete_model(
    core: &Arc<Core>,
    req: &Req,
    scope: &Scope,
    id: &str,
) -> Result<Response, Failure> {
    let model_id = id.split('@').next().unwrap_or(id);
    let mut store = core.store();
    let prefix = format!("{}/", scope.parent());
    let ids: Vec<String> = store
        .cloud
        .jobs
        .iter()
        .filter(|j| {
            j.state.model_id == model_id
                && !j.state.model_deleted
                && j.state.job.tuned_model.is_some()
                && j.state.job.name.starts_with(&prefix)
        })
        .map(|j| j.id().to_owned())
        .collect();
    if ids.is_empty() {
        return Err(Failure::new(
            Code::NotFound,
            format!("Model {}/models/{model_id} was not found.", scope.parent()),
        ));
    }
    let mut entries = Vec::new();
    for job_id in &ids {
        if let Some(job) = store.cloud.job(job_id) {
            let mut job = job.clone();
            job.state.model_deleted = true;
            job.state.endpoints.clear();
            entries.push(Entry::vertex_update(&job));
        }
    }
    core.commit(&entries)?;
    for job_id in &ids {
        if let Some(job) = store.cloud.job_mut(job_id) {
            job.state.model_deleted = true;
            job.state.endpoints.clear();
            job.mark_journaled();
        }
    }
    req.ok(&delete_operation(req, scope, chrono::Utc::now()))
}

/// The finished Operation of a delete: `projects/{number}/locations/{l}/operations/{id}` (a
/// 19-digit id, as the service's are), `DeleteOperationMetadata` of the request's version, and
/// an empty response.
fn delete_operation(
    req: &Req,
    scope: &Scope,
    now: chrono::DateTime<chrono::Utc>,
) -> crate::api::vertex::types::VertexOperation {
    use rand::Rng;
    let id: u64 = rand::rng().random_range(1_000_000_000_000_000_000..u64::MAX);
    let time = crate::api::serde_util::format_timestamp(&crate::emulator::wire::micros(now));
    crate::api::vertex::types::VertexOperation {
        name: format!("{}/operations/{id}", scope.parent()),
        done: true,
        error: None,
        metadata: Some(serde_json::json!({
            "@type": format!(
                "type.googleapis.com/google.cloud.aiplatform.{}.DeleteOperationMetadata",
                req.version
            ),
            "genericMetadata": {"createTime": time, "updateTime": time},
        })),
        response: Some(serde_json::json!({"@type": "type.googleapis.com/google.protobuf.Empty"})),
    }
}
