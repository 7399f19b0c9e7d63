//! `tunedModels.*`: create (validated as the live service validates), get, list with filters and
//! paging, patch, delete, transferOwnership.

use crate::api::error::Code;
use crate::api::types::*;
use crate::domain::limits::MAX_DISPLAY_NAME_CHARS;
use crate::emulator::core::Core;
use crate::emulator::request::{Req, paging};
use crate::emulator::store::Record;
use crate::emulator::store::random_id;
use crate::emulator::tuning::{check_sampling, insert, prepare};
use crate::emulator::wire::{Failure, parse_body, parse_body_at};
use axum::response::Response;
use chrono::Utc;
use serde_json::{Value, json};
use std::sync::Arc;

pub fn create(core: &Arc<Core>, req: &Req) -> Result<Response, Failure> {
    let (body, _raw): (TunedModel, Value) = parse_body_at(&req.body, "tuned_model")?;
    let new = prepare(core, body, req.query_value("tunedModelId"), Utc::now())?;
    let id = new.id.clone();
    let record = insert(core, new, req.caller)?;
    core.spawn_job(id);
    req.ok(&crate::emulator::handlers::operations::operation_json(
        &record,
        crate::emulator::handlers::operations::Detail::Created,
    ))
}

fn require_role(record: &Record, req: &Req, allowed: &[Role], action: &str) -> Result<(), Failure> {
    match record.role_of(req.caller) {
        Some(role) if allowed.contains(&role) => Ok(()),
        _ => Err(Failure::new(
            Code::PermissionDenied,
            format!(
                "You do not have permission to {action} tuned model {}",
                record.model.name
            ),
        )),
    }
}

pub fn get(core: &Arc<Core>, req: &Req, id: &str) -> Result<Response, Failure> {
    let store = core.store();
    // What this answer shows of training must survive a crash.
    core.flush_steps(&store)?;
    let record = store.find_readable(id, req.caller)?;
    req.ok(&record.served(Utc::now()))
}

/// The `filter` of tunedModels.list: `owner:me`, `writers:me`, `readers:me`, `readers:everyone`
/// and words searched in displayName and description.
struct Filter {
    owner: bool,
    writers: bool,
    readers: bool,
    everyone: bool,
    words: Vec<String>,
}

impl Filter {
    fn parse(raw: &str) -> Result<Filter, Failure> {
        let mut f = Filter {
            owner: false,
            writers: false,
            readers: false,
            everyone: false,
            words: Vec::new(),
        };
        for token in raw.split_whitespace() {
            match token {
                "owner:me" => f.owner = true,
                "writers:me" => f.writers = true,
                "readers:me" => f.readers = true,
                "readers:everyone" => f.everyone = true,
                t if t.contains(':') => {
                    return Err(Failure::invalid(
                        "filter",
                        format!(
                            "Unsupported filter term {t:?}: use owner:me, writers:me, readers:me, readers:everyone, or words to search."
                        ),
                    ));
                }
                t => f.words.push(t.to_lowercase()),
            }
        }
        Ok(f)
    }

    fn matches(&self, record: &Record, me: &str) -> bool {
        let role = record.role_of(me);
        let visible = if self.owner || self.writers || self.readers || self.everyone {
            (self.owner && role == Some(Role::Owner))
                || (self.writers && matches!(role, Some(Role::Owner | Role::Writer)))
                || (self.readers && role.is_some())
                || (self.everyone && record.is_public())
        } else {
            // By default, models visible only because they are shared with everyone are left out.
            role.is_some()
        };
        visible
            && self.words.iter().all(|w| {
                record.model.display_name.to_lowercase().contains(w)
                    || record.model.description.to_lowercase().contains(w)
            })
    }
}

pub fn list(core: &Arc<Core>, req: &Req) -> Result<Response, Failure> {
    let filter_raw = req.query_value("filter").unwrap_or("").to_owned();
    let filter = Filter::parse(&filter_raw)?;
    let (offset, size) = paging::window(req, 10, 1000, &filter_raw)?;
    let store = core.store();
    // What this answer shows of training must survive a crash.
    core.flush_steps(&store)?;
    let matching: Vec<&Record> = store
        .records
        .iter()
        .filter(|r| filter.matches(r, req.caller))
        .collect();
    let now = Utc::now();
    let page: Vec<TunedModel> = matching
        .iter()
        .skip(offset)
        .take(size)
        .map(|r| r.served(now))
        .collect();
    let mut body = serde_json::Map::new();
    if !page.is_empty() {
        body.insert(
            "tunedModels".into(),
            serde_json::to_value(&page).unwrap_or(Value::Null),
        );
    }
    let next = paging::next_token(offset, size, matching.len(), &filter_raw);
    if !next.is_empty() {
        body.insert("nextPageToken".into(), Value::String(next));
    }
    req.ok(&body)
}

const MUTABLE: &[&str] = &[
    "displayName",
    "description",
    "temperature",
    "topP",
    "topK",
    "readerProjectNumbers",
];

pub fn patch(core: &Arc<Core>, req: &Req, id: &str) -> Result<Response, Failure> {
    let (body, raw): (TunedModel, Value) = parse_body_at(&req.body, "tuned_model")?;
    let paths: Vec<String> = match req.query_value("updateMask").filter(|m| !m.is_empty()) {
        Some(mask) => mask
            .split(',')
            .map(|p| crate::emulator::wire::camel_case(p.trim()))
            .collect(),
        // Since late 2024 the mask is optional: update the mutable fields the body carries.
        None => MUTABLE
            .iter()
            .filter(|f| raw.get(**f).is_some())
            .map(|f| (*f).to_owned())
            .collect(),
    };
    for path in &paths {
        if !MUTABLE.contains(&path.as_str()) {
            return Err(Failure::invalid(
                "update_mask",
                format!(
                    "{path} cannot be updated; updatable fields: {}.",
                    MUTABLE.join(", ")
                ),
            ));
        }
    }
    if paths.iter().any(|p| p == "displayName") {
        let n = body.display_name.chars().count();
        if n > MAX_DISPLAY_NAME_CHARS {
            return Err(Failure::invalid(
                "tuned_model.display_name",
                format!(
                    "displayName is {n} characters long; the limit is {MAX_DISPLAY_NAME_CHARS}."
                ),
            ));
        }
    }
    let has = |p: &str| paths.iter().any(|x| x == p);
    check_sampling(
        body.temperature.filter(|_| has("temperature")),
        body.top_p.filter(|_| has("topP")),
        body.top_k.filter(|_| has("topK")),
    )?;
    let mut store = core.store();
    let record = store.find_readable(id, req.caller)?;
    require_role(record, req, &[Role::Owner, Role::Writer], "update")?;
    let before = record.clone();
    let Some(record) = store.get_mut(id) else {
        return Err(Failure::tuned_model_not_found(&format!("tunedModels/{id}")));
    };
    let model = &mut record.model;
    for path in &paths {
        match path.as_str() {
            "displayName" => model.display_name = body.display_name.clone(),
            "description" => model.description = body.description.clone(),
            "temperature" => model.temperature = body.temperature,
            "topP" => model.top_p = body.top_p,
            "topK" => model.top_k = body.top_k,
            "readerProjectNumbers" => {
                model.reader_project_numbers = body.reader_project_numbers.clone()
            }
            _ => {}
        }
    }
    if !paths.is_empty() {
        model.update_time = Some(crate::emulator::store::micros(Utc::now()));
    }
    let answer = record.served(Utc::now());
    core.commit_update(&mut store, id, before)?;
    drop(store);
    req.ok(&answer)
}

pub fn delete(core: &Arc<Core>, req: &Req, id: &str) -> Result<Response, Failure> {
    let mut store = core.store();
    let record = store.find_readable(id, req.caller)?;
    require_role(record, req, &[Role::Owner], "delete")?;
    core.commit_delete(&mut store, id)?;
    drop(store);
    core.forget_trainer(id);
    req.ok(&json!({}))
}

pub fn transfer_ownership(core: &Arc<Core>, req: &Req, id: &str) -> Result<Response, Failure> {
    let (body, _): (TransferOwnershipRequest, Value) = parse_body(&req.body)?;
    let email = body.email_address.trim().to_owned();
    if email.is_empty() || !email.contains('@') {
        return Err(Failure::invalid(
            "email_address",
            "emailAddress must be the new owner's email address.",
        ));
    }
    let mut store = core.store();
    let record = store.find_readable(id, req.caller)?;
    require_role(record, req, &[Role::Owner], "transfer ownership of")?;
    let before = record.clone();
    let Some(record) = store.get_mut(id) else {
        return Err(Failure::tuned_model_not_found(&format!("tunedModels/{id}")));
    };
    let previous = record.owner().map(str::to_owned);
    if previous.as_deref() == Some(email.as_str()) {
        // Already the owner: what was asked holds, so nothing changes (the API reference is silent;
        // the README's deviations list says so).
        return req.ok(&json!({}));
    }
    record
        .permissions
        .retain(|p| p.email_address.as_deref() != Some(email.as_str()));
    for p in &mut record.permissions {
        if p.role == Role::Owner {
            p.email_address = Some(email.clone());
            p.grantee_type = Some(GranteeType::User);
        }
    }
    if let Some(previous) = previous.filter(|p| *p != email) {
        record.permissions.push(Permission {
            name: format!("{}/permissions/{}", record.model.name, random_id(12)),
            grantee_type: Some(GranteeType::User),
            email_address: Some(previous),
            role: Role::Writer,
        });
    }
    core.commit_update(&mut store, id, before)?;
    drop(store);
    req.ok(&json!({}))
}
