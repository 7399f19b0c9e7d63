//! `POST …/tuningJobs:rebaseTunedModel` (aiplatform v1 and v1beta1): the job that made a tuned
//! model is run again, with the same datasets and hyperparameters, on a new base model. The new
//! job is created (and journalled) as `tuningJobs.create` creates one, so it trains and succeeds
//! like any other and makes a new model; the answer is the long-running Operation the method
//! returns, already done, with that new `TuningJob` as its `response`.
//!
//! The emulator's own choices where the service's documentation says nothing (README,
//! "Deviations"): the new job keeps the old one's display name, description and labels unless
//! the request's `tuningJob` sets them; `artifactDestination` must be a Cloud Storage URI and is
//! otherwise unused (the emulator writes no model artifacts); with `deployToSameEndpoint` the new
//! model takes the old model's endpoint when its job succeeds (the old model keeps serving until
//! then, and its checkpoint endpoints stay); the Operation carries no metadata (the discovery
//! document names no metadata type for this method).

use crate::api::error::Code;
use crate::api::vertex::rebase::{RebaseTunedModelRequest, tuning_job_type};
use crate::api::vertex::types::{TuningJob, VertexOperation};
use crate::domain::rebase::{RebaseProblem, check_rebase};
use crate::emulator::core::Core;
use crate::emulator::request::Req;
use crate::emulator::vertex_tuning::{self, Scope, job_not_found, served, split_gs_uri};
use crate::emulator::wire::{Failure, parse_body};
use axum::response::Response;
use std::sync::Arc;

/// The job a `tunedModelRef` names, as stored, with whether its model was deleted.
fn source_job(
    core: &Core,
    scope: &Scope,
    request: &RebaseTunedModelRequest,
) -> Result<(TuningJob, bool), Failure> {
    let reference = &request.tuned_model_ref;
    let in_scope = |project: &str, location: &str| Scope::new(project, location) == *scope;
    let store = core.store();
    if !reference.tuning_job.is_empty() {
        let name = &reference.tuning_job;
        let parts: Vec<&str> = name.split('/').collect();
        let ["projects", project, "locations", location, "tuningJobs", id] = parts.as_slice()
        else {
            return Err(Failure::invalid(
                "tuned_model_ref.tuning_job",
                format!("{name:?} is not projects/P/locations/L/tuningJobs/ID."),
            ));
        };
        return store
            .cloud
            .job(id)
            .filter(|_| in_scope(project, location))
            .map(|j| (j.state.job.clone(), j.state.model_deleted))
            .ok_or_else(|| job_not_found(id));
    }
    if !reference.tuned_model.is_empty() {
        let name = &reference.tuned_model;
        let parts: Vec<&str> = name.split('/').collect();
        let ["projects", project, "locations", location, "models", id] = parts.as_slice() else {
            return Err(Failure::invalid(
                "tuned_model_ref.tuned_model",
                format!("{name:?} is not projects/P/locations/L/models/M[@VERSION]."),
            ));
        };
        let (id, version) = match id.split_once('@') {
            Some((id, v)) => (id, v.parse().ok()),
            None => (*id, None),
        };
        return store
            .cloud
            .model(id, version)
            .filter(|_| in_scope(project, location))
            .map(|j| (j.state.job.clone(), false))
            .ok_or_else(|| Failure::new(Code::NotFound, format!("Model {name} was not found.")));
    }
    if !reference.pipeline_job.is_empty() {
        return Err(Failure::invalid(
            "tuned_model_ref.pipeline_job",
            "The emulator runs no pipeline jobs (they tuned PaLM models): name the tuned model or the tuning job.",
        ));
    }
    Err(Failure::invalid(
        "tuned_model_ref",
        "tuned_model_ref is required: set tuned_model, tuning_job or pipeline_job.",
    ))
}

/// The new job's request: the old job's data and settings on `new_base`, with the overrides the
/// request's `tuningJob` sets.
fn rebased_request(old: &TuningJob, overrides: TuningJob) -> TuningJob {
    let pick = |given: String, old: &String| if given.is_empty() { old.clone() } else { given };
    TuningJob {
        tuned_model_display_name: pick(
            overrides.tuned_model_display_name,
            &old.tuned_model_display_name,
        ),
        description: pick(overrides.description, &old.description),
        base_model: overrides.base_model,
        // The old job's spec (supervised or preference), unless the overrides name one.
        supervised_tuning_spec: match overrides.preference_optimization_spec {
            Some(_) => overrides.supervised_tuning_spec.clone(),
            None => overrides
                .supervised_tuning_spec
                .clone()
                .or_else(|| old.supervised_tuning_spec.clone()),
        },
        preference_optimization_spec: match overrides.supervised_tuning_spec {
            Some(_) => overrides.preference_optimization_spec,
            None => overrides
                .preference_optimization_spec
                .or_else(|| old.preference_optimization_spec.clone()),
        },
        labels: if overrides.labels.is_empty() {
            old.labels.clone()
        } else {
            overrides.labels
        },
        ..Default::default()
    }
}

pub fn rebase(core: &Arc<Core>, req: &Req, scope: &Scope) -> Result<Response, Failure> {
    let (request, _): (RebaseTunedModelRequest, _) = parse_body(&req.body)?;
    if let Some(uri) = request
        .artifact_destination
        .as_ref()
        .map(|d| &d.output_uri_prefix)
        .filter(|u| split_gs_uri(u).is_none())
    {
        return Err(Failure::invalid(
            "artifact_destination.output_uri_prefix",
            format!("{uri:?} is not a Cloud Storage URI (gs://BUCKET/PREFIX)."),
        ));
    }
    let (old, model_deleted) = source_job(core, scope, &request)?;
    let overrides = request.tuning_job.clone().unwrap_or_default();
    if overrides.base_model.is_empty() {
        return Err(Failure::invalid(
            "tuning_job.base_model",
            "tuning_job.base_model is required: the base model to rebase onto.",
        ));
    }
    if model_deleted {
        return Err(Failure::new(
            Code::FailedPrecondition,
            format!(
                "The model tuning job {} made was deleted: there is no model to rebase.",
                old.name
            ),
        ));
    }
    check_rebase(&old, &overrides.base_model).map_err(|problem| match problem {
        RebaseProblem::NoModel { state } => Failure::new(
            Code::FailedPrecondition,
            format!(
                "Tuning job {} is JOB_STATE_{state} and made no tuned model: only the model of a succeeded job can be rebased.",
                old.name
            ),
        ),
        RebaseProblem::NotTunable { model } => Failure::invalid(
            "tuning_job.base_model",
            format!(
                "Base model {model} is not supported for supervised tuning. Supported models: {}.",
                RebaseProblem::tunable_ids()
            ),
        ),
        RebaseProblem::SameBase { model } => Failure::invalid(
            "tuning_job.base_model",
            format!("The tuned model is already based on {model}: choose another base model."),
        ),
    })?;
    let now = chrono::Utc::now();
    let rebased = rebased_request(&old, overrides);
    let job = if request.deploy_to_same_endpoint {
        let endpoint = old
            .tuned_model
            .as_ref()
            .map(|t| t.endpoint.clone())
            .unwrap_or_default();
        let id = endpoint.rsplit('/').next().unwrap_or_default();
        let deployed = core
            .store()
            .cloud
            .job(old.id())
            .is_some_and(|j| j.state.endpoints.iter().any(|d| d.endpoint_id == id));
        if !deployed {
            return Err(Failure::new(
                Code::FailedPrecondition,
                format!(
                    "The model of {} is no longer deployed to {endpoint}: there is no endpoint to deploy the rebased model to.",
                    old.name
                ),
            ));
        }
        vertex_tuning::create_taking_endpoint(core, scope, rebased, now, endpoint)?
    } else {
        vertex_tuning::create(core, scope, rebased, now)?
    };
    let mut response = serde_json::to_value(served(&job, &req.version))
        .map_err(|e| Failure::new(Code::Internal, format!("serializing the job: {e}")))?;
    if let Some(object) = response.as_object_mut() {
        object.insert("@type".into(), tuning_job_type(&req.version).into());
    }
    use rand::Rng;
    let id: u64 = rand::rng().random_range(1_000_000_000_000_000_000..u64::MAX);
    req.ok(&VertexOperation {
        name: format!("{}/operations/{id}", job.name),
        done: true,
        error: None,
        metadata: None,
        response: Some(response),
    })
}
