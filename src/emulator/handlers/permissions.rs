//! `tunedModels.permissions.*` (v1beta, the API reference): who may use, edit or own a tuned model.

use crate::api::error::Code;
use crate::api::types::{GranteeType, Permission, Role};
use crate::emulator::core::Core;
use crate::emulator::request::{Req, paging};
use crate::emulator::store::{Record, random_id};
use crate::emulator::wire::{Failure, parse_body_at};
use axum::response::Response;
use serde_json::{Map, Value, json};
use std::sync::Arc;

fn require_writer(record: &Record, req: &Req) -> Result<(), Failure> {
    match record.role_of(req.caller) {
        Some(Role::Owner | Role::Writer) => Ok(()),
        _ => Err(Failure::new(
            Code::PermissionDenied,
            format!(
                "You do not have permission to share tuned model {}",
                record.model.name
            ),
        )),
    }
}

/// A model can be shared with everyone for reading only.
fn everyone_reads_only(grantee: &GranteeType, role: &Role) -> Result<(), Failure> {
    if *grantee == GranteeType::Everyone && *role != Role::Reader {
        return Err(Failure::invalid(
            "permission.role",
            "EVERYONE can only be granted READER.",
        ));
    }
    Ok(())
}

fn find_permission<'a>(
    record: &'a Record,
    model_id: &str,
    pid: &str,
) -> Result<&'a Permission, Failure> {
    let name = format!("tunedModels/{model_id}/permissions/{pid}");
    record
        .permissions
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| Failure::not_found(format!("Permission {name} does not exist.")))
}

pub fn list(core: &Arc<Core>, req: &Req, model_id: &str) -> Result<Response, Failure> {
    let store = core.store();
    let record = store.find_readable(model_id, req.caller)?;
    let (offset, size) = paging::window(req, 10, 1000, model_id)?;
    let page: Vec<&Permission> = record.permissions.iter().skip(offset).take(size).collect();
    let mut body = Map::new();
    if !page.is_empty() {
        body.insert(
            "permissions".into(),
            serde_json::to_value(&page).unwrap_or(Value::Null),
        );
    }
    let next = paging::next_token(offset, size, record.permissions.len(), model_id);
    if !next.is_empty() {
        body.insert("nextPageToken".into(), Value::String(next));
    }
    req.ok(&body)
}

pub fn create(core: &Arc<Core>, req: &Req, model_id: &str) -> Result<Response, Failure> {
    let (body, _): (Permission, Value) = parse_body_at(&req.body, "permission")?;
    let email = body.email_address.clone().filter(|e| !e.trim().is_empty());
    let grantee = match body.grantee_type.clone() {
        Some(g) if g.is_known() && g != GranteeType::Unspecified => g,
        _ => {
            return Err(Failure::invalid(
                "permission.grantee_type",
                "granteeType is required: USER, GROUP or EVERYONE.",
            ));
        }
    };
    match (&grantee, &email) {
        (GranteeType::Everyone, Some(_)) => {
            return Err(Failure::invalid(
                "permission.email_address",
                "emailAddress must be unset when granteeType is EVERYONE.",
            ));
        }
        (GranteeType::User | GranteeType::Group, None) => {
            return Err(Failure::invalid(
                "permission.email_address",
                format!("emailAddress is required when granteeType is {grantee}."),
            ));
        }
        (_, Some(e)) if !e.contains('@') => {
            return Err(Failure::invalid(
                "permission.email_address",
                format!("{e:?} is not an email address."),
            ));
        }
        _ => {}
    }
    match body.role {
        Role::Reader | Role::Writer => {}
        Role::Owner => {
            return Err(Failure::invalid(
                "permission.role",
                "A permission cannot grant OWNER: use tunedModels.transferOwnership.",
            ));
        }
        _ => {
            return Err(Failure::invalid(
                "permission.role",
                "role is required: READER or WRITER.",
            ));
        }
    }
    everyone_reads_only(&grantee, &body.role)?;
    let mut store = core.store();
    let record = store.find_readable(model_id, req.caller)?;
    require_writer(record, req)?;
    let duplicate = record
        .permissions
        .iter()
        .any(|p| p.grantee_type.as_ref() == Some(&grantee) && p.email_address == email);
    if duplicate {
        return Err(Failure::new(
            Code::AlreadyExists,
            format!(
                "{} already has a permission on {}; update that one instead.",
                email.as_deref().unwrap_or("EVERYONE"),
                record.model.name
            ),
        ));
    }
    let before = record.clone();
    let Some(record) = store.get_mut(model_id) else {
        return Err(Failure::tuned_model_not_found(&format!(
            "tunedModels/{model_id}"
        )));
    };
    let permission = Permission {
        name: format!("{}/permissions/{}", record.model.name, random_id(12)),
        grantee_type: Some(grantee),
        email_address: email,
        role: body.role,
    };
    record.permissions.push(permission.clone());
    core.commit_update(&mut store, model_id, before)?;
    drop(store);
    req.ok(&permission)
}

pub fn get(core: &Arc<Core>, req: &Req, model_id: &str, pid: &str) -> Result<Response, Failure> {
    let store = core.store();
    let record = store.find_readable(model_id, req.caller)?;
    req.ok(find_permission(record, model_id, pid)?)
}

pub fn patch(core: &Arc<Core>, req: &Req, model_id: &str, pid: &str) -> Result<Response, Failure> {
    let (body, _): (Permission, Value) = parse_body_at(&req.body, "permission")?;
    let mask = req.query_value("updateMask").unwrap_or("");
    if !mask.split(',').any(|p| p.trim() == "role") {
        return Err(Failure::invalid(
            "update_mask",
            "updateMask is required and may only name role.",
        ));
    }
    if !matches!(body.role, Role::Reader | Role::Writer) {
        return Err(Failure::invalid(
            "permission.role",
            "role must be READER or WRITER; use transferOwnership to change the owner.",
        ));
    }
    let mut store = core.store();
    let record = store.find_readable(model_id, req.caller)?;
    require_writer(record, req)?;
    let existing = find_permission(record, model_id, pid)?;
    if existing.role == Role::Owner {
        return Err(Failure::invalid(
            "permission.role",
            "The owner's permission cannot be changed; use transferOwnership.",
        ));
    }
    if let Some(grantee) = &existing.grantee_type {
        everyone_reads_only(grantee, &body.role)?;
    }
    let name = existing.name.clone();
    let before = record.clone();
    let Some(record) = store.get_mut(model_id) else {
        return Err(Failure::tuned_model_not_found(&format!(
            "tunedModels/{model_id}"
        )));
    };
    let mut answer = None;
    for p in &mut record.permissions {
        if p.name == name {
            p.role = body.role.clone();
            answer = Some(p.clone());
        }
    }
    core.commit_update(&mut store, model_id, before)?;
    drop(store);
    req.ok(&answer)
}

pub fn delete(core: &Arc<Core>, req: &Req, model_id: &str, pid: &str) -> Result<Response, Failure> {
    let mut store = core.store();
    let record = store.find_readable(model_id, req.caller)?;
    require_writer(record, req)?;
    let existing = find_permission(record, model_id, pid)?;
    if existing.role == Role::Owner {
        return Err(Failure::invalid(
            "name",
            "The owner's permission cannot be deleted; use transferOwnership.",
        ));
    }
    let name = existing.name.clone();
    let before = record.clone();
    if let Some(record) = store.get_mut(model_id) {
        record.permissions.retain(|p| p.name != name);
    }
    core.commit_update(&mut store, model_id, before)?;
    drop(store);
    req.ok(&json!({}))
}
