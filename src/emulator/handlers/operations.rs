//! Tuning operations (`google.longrunning`): get, list, cancel, delete. The JSON holds exactly
//! `name`, `metadata`, `done`, `error`, `response`, with v1beta `@type` URLs, because
//! google-api-core parses operations strictly (google-api-core's `Operation` from_dict).

use crate::api::serde_util::f32_to_wire;
use crate::api::types::{
    CREATE_TUNED_MODEL_METADATA_TYPE, Status, TUNED_MODEL_TYPE, TunedModelState,
};
use crate::emulator::core::Core;
use crate::emulator::request::{Req, paging};
use crate::emulator::store::Record;
use crate::emulator::wire::Failure;
use axum::response::Response;
use chrono::Utc;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// How much of the operation to show.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Detail {
    /// The answer to create: metadata with only totalSteps and tunedModel, no `done`.
    Created,
    Full,
}

/// `{"@type": url, ...fields}` for an `Any`.
fn any(type_url: &str, body: Value) -> Value {
    let mut map = Map::new();
    map.insert("@type".into(), Value::String(type_url.into()));
    if let Value::Object(fields) = body {
        map.extend(fields);
    }
    Value::Object(map)
}

/// The operation of a record's tuning job.
pub fn operation_json(record: &Record, detail: Detail) -> Value {
    let Some(job) = &record.job else {
        return Value::Null;
    };
    let snapshots = record.model.snapshots();
    let completed = snapshots.len() as u64;
    let mut metadata = Map::new();
    metadata.insert("totalSteps".into(), json!(job.total_steps));
    if detail == Detail::Full && completed > 0 {
        metadata.insert("completedSteps".into(), json!(completed));
        let percent = 100.0 * completed as f32 / job.total_steps.max(1) as f32;
        metadata.insert("completedPercent".into(), json!(f32_to_wire(percent)));
        metadata.insert(
            "snapshots".into(),
            serde_json::to_value(snapshots).unwrap_or(Value::Null),
        );
    }
    metadata.insert(
        "tunedModel".into(),
        Value::String(record.model.name.clone()),
    );
    let mut op = Map::new();
    op.insert(
        "name".into(),
        Value::String(record.operation_name().unwrap_or_default()),
    );
    op.insert(
        "metadata".into(),
        any(CREATE_TUNED_MODEL_METADATA_TYPE, Value::Object(metadata)),
    );
    if detail == Detail::Full && job.done {
        op.insert("done".into(), Value::Bool(true));
        match &job.error {
            Some(error) => {
                let status = Status {
                    code: error.code,
                    message: error.message.clone(),
                    ..Default::default()
                };
                op.insert(
                    "error".into(),
                    serde_json::to_value(status).unwrap_or(Value::Null),
                );
            }
            None => {
                let model = serde_json::to_value(record.served(Utc::now())).unwrap_or(Value::Null);
                op.insert("response".into(), any(TUNED_MODEL_TYPE, model));
            }
        }
    }
    Value::Object(op)
}

fn find_operation<'a>(
    store: &'a crate::emulator::store::Store,
    req: &Req,
    model_id: &str,
    op_id: &str,
) -> Result<&'a Record, Failure> {
    let name = format!("tunedModels/{model_id}/operations/{op_id}");
    let not_found = || Failure::not_found(format!("Operation {name} does not exist."));
    let record = store
        .find_readable(model_id, req.caller)
        .map_err(|_| not_found())?;
    match &record.job {
        Some(job) if job.operation_id == op_id && !job.operation_deleted => Ok(record),
        _ => Err(not_found()),
    }
}

pub fn get(core: &Arc<Core>, req: &Req, model_id: &str, op_id: &str) -> Result<Response, Failure> {
    let store = core.store();
    // What this answer shows of training must survive a crash.
    core.flush_steps(&store)?;
    let record = find_operation(&store, req, model_id, op_id)?;
    req.ok(&operation_json(record, Detail::Full))
}

fn page_of(req: &Req, records: Vec<&Record>, fingerprint: &str) -> Result<Response, Failure> {
    let (offset, size) = paging::window(req, 10, 1000, fingerprint)?;
    let ops: Vec<Value> = records
        .iter()
        .skip(offset)
        .take(size)
        .map(|r| operation_json(r, Detail::Full))
        .collect();
    let mut body = Map::new();
    if !ops.is_empty() {
        body.insert("operations".into(), Value::Array(ops));
    }
    let next = paging::next_token(offset, size, records.len(), fingerprint);
    if !next.is_empty() {
        body.insert("nextPageToken".into(), Value::String(next));
    }
    req.ok(&body)
}

fn has_operation(r: &Record) -> bool {
    r.job.as_ref().is_some_and(|j| !j.operation_deleted)
}

/// `done=true` / `done=false`, the one filter the emulator understands.
fn done_filter(req: &Req) -> Result<Option<bool>, Failure> {
    match req
        .query_value("filter")
        .map(str::trim)
        .filter(|f| !f.is_empty())
    {
        None => Ok(None),
        Some("done=true" | "done = true") => Ok(Some(true)),
        Some("done=false" | "done = false") => Ok(Some(false)),
        Some(other) => Err(Failure::invalid(
            "filter",
            format!(
                "Unsupported filter {other:?}: the emulator understands done=true and done=false."
            ),
        )),
    }
}

pub fn list_for_model(core: &Arc<Core>, req: &Req, model_id: &str) -> Result<Response, Failure> {
    let store = core.store();
    // What this answer shows of training must survive a crash.
    core.flush_steps(&store)?;
    let record = store.find_readable(model_id, req.caller)?;
    let done = done_filter(req)?;
    let records: Vec<&Record> = std::iter::once(record)
        .filter(|r| {
            has_operation(r) && done.is_none_or(|d| r.job.as_ref().is_some_and(|j| j.done == d))
        })
        .collect();
    page_of(req, records, &format!("{model_id}{done:?}"))
}

pub fn list_all(core: &Arc<Core>, req: &Req) -> Result<Response, Failure> {
    let store = core.store();
    // What this answer shows of training must survive a crash.
    core.flush_steps(&store)?;
    let done = done_filter(req)?;
    let records: Vec<&Record> = store
        .records
        .iter()
        .filter(|r| r.readable_by(req.caller) && r.role_of(req.caller).is_some())
        .filter(|r| {
            has_operation(r) && done.is_none_or(|d| r.job.as_ref().is_some_and(|j| j.done == d))
        })
        .collect();
    page_of(req, records, &format!("{done:?}"))
}

pub fn cancel(
    core: &Arc<Core>,
    req: &Req,
    model_id: &str,
    op_id: &str,
) -> Result<Response, Failure> {
    let mut store = core.store();
    find_operation(&store, req, model_id, op_id)?;
    let before = store.get(model_id).cloned();
    let Some(record) = store.get_mut(model_id) else {
        return Err(Failure::not_found("Operation does not exist."));
    };
    let now = Utc::now();
    if let Some(job) = record.job.as_mut().filter(|j| !j.done) {
        job.done = true;
        job.error = Some(Status {
            code: 1,
            message: "Operation cancelled by the caller.".into(),
            ..Default::default()
        });
        // The docs warn a cancelled job leaves a model of unpredictable quality, i.e. a usable
        // one: it becomes ACTIVE with what it learned so far.
        record.model.state = TunedModelState::Active;
        record.model.update_time = Some(crate::emulator::store::micros(now));
        if let Some(task) = record.model.tuning_task.as_mut() {
            task.complete_time = Some(crate::emulator::store::micros(now));
        }
    }
    if let Some(before) = before {
        core.commit_update(&mut store, model_id, before)?;
    }
    drop(store);
    core.forget_trainer(model_id);
    req.ok(&json!({}))
}

/// `DELETE /v1/operations/**`: forgets the operation; the tuned model stays.
pub fn delete(core: &Arc<Core>, req: &Req, name: &str) -> Result<Response, Failure> {
    let name = name.strip_prefix("operations/").unwrap_or(name);
    let mut store = core.store();
    let found = store.records.iter().position(|r| {
        r.role_of(req.caller).is_some()
            && has_operation(r)
            && r.operation_name().as_deref() == Some(name)
    });
    let Some(index) = found else {
        return Err(Failure::not_found(format!(
            "Operation {name} does not exist."
        )));
    };
    let before = store.records[index].clone();
    let id = before.id().to_owned();
    if let Some(job) = store.records[index].job.as_mut() {
        job.operation_deleted = true;
    }
    core.commit_update(&mut store, &id, before)?;
    drop(store);
    req.ok(&json!({}))
}
