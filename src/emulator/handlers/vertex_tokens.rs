//! Vertex AI's `countTokens` on a publisher model or an endpoint: the contents (and system
//! instruction) counted together with the emulator's tokenizer (src/emulator/tokenizer.rs), the
//! same one its tuning jobs bill with, so a count made before a job matches the job's
//! `tuningDataStats`.

use crate::api::error::Code;
use crate::api::types::{Content, Part};
use crate::api::vertex::tokens::{CountTokensRequest, CountTokensResponse, ModalityTokenCount};
use crate::emulator::core::Core;
use crate::emulator::request::Req;
use crate::emulator::store::base_models;
use crate::emulator::tokenizer;
use crate::emulator::wire::{Failure, parse_body};
use axum::response::Response;
use serde_json::Value;
use std::sync::Arc;

/// Tokens the emulator counts for a part that is not text (an image, a document): a fixed
/// figure, as the service counts an image at a fixed size (258 tokens for Gemini 2.x).
const NON_TEXT_PART_TOKENS: i64 = 258;

/// `POST …/{publishers/google/models/M | endpoints/E}:countTokens`.
pub fn count_tokens(core: &Arc<Core>, req: &Req, model: &str) -> Result<Response, Failure> {
    known_model(core, model)?;
    let (body, _): (CountTokensRequest, Value) = parse_body(&req.body)?;
    if body.contents.is_empty() {
        return Err(Failure::invalid("contents", "contents is not specified"));
    }
    let contents = body.contents.iter().chain(body.system_instruction.as_ref());
    let (mut text_tokens, mut other_tokens, mut characters) = (0i64, 0i64, 0i64);
    for part in contents.flat_map(|c: &Content| c.parts.iter()) {
        match part {
            Part { text: Some(t), .. } => {
                text_tokens += tokenizer::count(t) as i64;
                characters += tokenizer::billable_characters(t) as i64;
            }
            _ => other_tokens += NON_TEXT_PART_TOKENS,
        }
    }
    let mut details = vec![ModalityTokenCount {
        modality: "TEXT".into(),
        token_count: text_tokens,
    }];
    if other_tokens > 0 {
        details.push(ModalityTokenCount {
            modality: "IMAGE".into(),
            token_count: other_tokens,
        });
    }
    req.ok(&CountTokensResponse {
        total_tokens: text_tokens + other_tokens,
        total_billable_characters: Some(characters),
        prompt_tokens_details: details,
    })
}

/// The model must exist: an endpoint the emulator serves, or a Google model it knows.
fn known_model(core: &Arc<Core>, model: &str) -> Result<(), Failure> {
    if let Some((_, endpoint)) = model.split_once("/endpoints/") {
        let store = core.store();
        return match store.cloud.endpoint(endpoint) {
            Some(_) => Ok(()),
            None => Err(Failure::new(
                Code::NotFound,
                format!("Endpoint `{model}` not found."),
            )),
        };
    }
    let short = model
        .split_once("/publishers/google/models/")
        .map_or(model, |(_, short)| short);
    let known = crate::domain::vertex::tunable_model(short).is_some()
        || base_models()
            .iter()
            .any(|m| m.name.trim_start_matches("models/") == short);
    if known {
        Ok(())
    } else {
        Err(Failure::new(
            Code::NotFound,
            format!(
                "Publisher Model `{model}` was not found or your project does not have access to it."
            ),
        ))
    }
}
