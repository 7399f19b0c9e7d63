//! Generation: `generateContent` and `streamGenerateContent` on tuned and base models, the
//! legacy `generateText`, `countTokens`, and the base-model catalogue.
//!
//! A tuned model answers with what its training taught it (the trained classifier's best
//! outputs). A base model answers with a deterministic text that says it is emulated: the
//! emulator has no language model, and pretending otherwise would mislead.

use crate::api::error::Code;
use crate::api::sse::encode_event;
use crate::api::types::*;
use crate::domain::limits::MAX_INPUT_CHARS;
use crate::emulator::core::Core;
use crate::emulator::request::{Req, paging};
use crate::emulator::store::{Record, base_models, random_id};
use crate::emulator::wire::{Failure, OutputFormat, parse_body, sse_json, to_wire_value};
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;

/// Candidates a request may ask for.
pub const MAX_CANDIDATES: i32 = 8;

pub fn list_models(req: &Req) -> Result<Response, Failure> {
    let models = base_models();
    let (offset, size) = paging::window(req, 50, 1000, "models")?;
    let page: Vec<&Model> = models.iter().skip(offset).take(size).collect();
    let mut body = Map::new();
    body.insert(
        "models".into(),
        serde_json::to_value(&page).unwrap_or(Value::Null),
    );
    let next = paging::next_token(offset, size, models.len(), "models");
    if !next.is_empty() {
        body.insert("nextPageToken".into(), Value::String(next));
    }
    req.ok(&body)
}

pub fn get_model(req: &Req, name: &str) -> Result<Response, Failure> {
    match base_models().into_iter().find(|m| m.name == name) {
        Some(model) => req.ok(&model),
        None => Err(Failure::not_found(format!(
            "{name} is not found for API version {}, or is not supported for getModel. Call ListModels to see the list of available models and their supported methods.",
            req.version
        ))),
    }
}

/// Rough token count: the emulator has no tokenizer; about four characters a token.
pub fn approx_tokens(text: &str) -> i32 {
    i32::try_from(text.chars().count().div_ceil(4)).unwrap_or(i32::MAX)
}

pub fn count_tokens(req: &Req, model: &str) -> Result<Response, Failure> {
    if !base_models()
        .iter()
        .any(|m| m.name == model && m.supports("countTokens"))
    {
        return Err(not_supported(model, &req.version, "countTokens"));
    }
    let (body, _): (CountTokensRequest, Value) = parse_body(&req.body)?;
    let contents = body
        .generate_content_request
        .map(|r| r.contents)
        .unwrap_or(body.contents);
    let text: String = contents.iter().map(Content::text).collect();
    req.ok(&json!({ "totalTokens": approx_tokens(&text) }))
}

/// `CountTokensRequest`: the contents, or a whole generateContent request.
#[derive(Debug, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase", default)]
struct CountTokensRequest {
    contents: Vec<Content>,
    generate_content_request: Option<GenerateContentRequest>,
}

fn not_supported(model: &str, version: &str, method: &str) -> Failure {
    Failure::not_found(format!(
        "{model} is not found for API version {version}, or is not supported for {method}. Call ListModels to see the list of available models and their supported methods."
    ))
}

/// One generated answer before it is cut into chunks.
struct Answer {
    candidates: Vec<(String, FinishReason)>,
    prompt_tokens: i32,
    model_version: String,
    /// Vertex AI's answer: proto3 JSON without presence on `Candidate.index`, so the first
    /// candidate has none, and `promptFeedback` only when the prompt was blocked.
    vertex: bool,
}

impl Answer {
    /// A candidate's `index` as the service sends it: Vertex AI leaves out the default 0.
    fn index(&self, i: usize) -> Option<i32> {
        (!self.vertex || i > 0).then_some(i as i32)
    }
}

fn negligible_ratings() -> Vec<SafetyRating> {
    [
        HarmCategory::SexuallyExplicit,
        HarmCategory::HateSpeech,
        HarmCategory::Harassment,
        HarmCategory::DangerousContent,
    ]
    .into_iter()
    .map(|category| SafetyRating {
        category,
        probability: HarmProbability::Negligible,
        blocked: false,
    })
    .collect()
}

/// Checks a request and works out the answer.
fn answer(core: &Arc<Core>, req: &Req, model: &str) -> Result<Answer, Failure> {
    let vertex = model.starts_with("projects/");
    let (body, raw): (GenerateContentRequest, Value) = if vertex {
        parse_body(&vertex_body(&req.body)?)?
    } else {
        parse_body(&req.body)?
    };
    if req.version == "v1" && !vertex {
        for field in ["systemInstruction", "tools", "toolConfig", "cachedContent"] {
            if raw.get(field).is_some() {
                return Err(Failure::invalid(
                    field,
                    format!(
                        "Invalid JSON payload received. Unknown name \"{field}\": Cannot find field."
                    ),
                ));
            }
        }
    }
    if body.contents.is_empty() {
        return Err(Failure::invalid("contents", "contents is not specified"));
    }
    let config = body.generation_config.clone().unwrap_or_default();
    let count = config.candidate_count.unwrap_or(1);
    if !(1..=MAX_CANDIDATES).contains(&count) {
        return Err(Failure::invalid(
            "generation_config.candidate_count",
            format!("candidateCount must be between 1 and {MAX_CANDIDATES}, got {count}."),
        ));
    }
    if let Some(max) = config.max_output_tokens.filter(|m| *m < 0) {
        return Err(Failure::invalid(
            "generation_config.max_output_tokens",
            format!("max_output_tokens must be positive, got {max}."),
        ));
    }
    if config.stop_sequences.len() > 5 {
        return Err(Failure::invalid(
            "generation_config.stop_sequences",
            "At most 5 stop sequences are allowed.",
        ));
    }
    if let Some(t) = config.temperature.filter(|t| !(0.0..=2.0).contains(t)) {
        return Err(Failure::invalid(
            "generation_config.temperature",
            format!("temperature must be between 0 and 2, got {t}."),
        ));
    }
    let prompt: String = body
        .contents
        .iter()
        .rev()
        .find(|c| c.role.as_deref() != Some("model"))
        .map(Content::text)
        .unwrap_or_default();
    let all_text: String = body.contents.iter().map(Content::text).collect();

    let (texts, model_version) = if vertex {
        vertex_answer(core, model, &prompt, count as usize)?
    } else if let Some(id) = model.strip_prefix("tunedModels/") {
        let record = {
            let store = core.store();
            store.find_readable(id, req.caller).cloned()?
        };
        check_tuned_rules(&record, &body, &config, &all_text)?;
        let trainer = core.trainer(id).ok_or_else(|| {
            Failure::new(Code::Internal, format!("{model} has no training record."))
        })?;
        let texts: Vec<String> = trainer
            .predict(&prompt, count as usize)
            .into_iter()
            .map(|p| p.output)
            .collect();
        let version = record
            .model
            .source_model()
            .unwrap_or_default()
            .trim_start_matches("models/")
            .to_owned();
        (texts, version)
    } else {
        let base = base_models()
            .into_iter()
            .find(|m| m.name == model && m.supports("generateContent"))
            .ok_or_else(|| not_supported(model, &req.version, "generateContent"))?;
        let short = base.name.trim_start_matches("models/").to_owned();
        let texts = (0..count)
            .map(|i| emulated_base_answer(&short, &prompt, i))
            .collect();
        (texts, short)
    };
    let candidates = texts
        .into_iter()
        .map(|t| apply_limits(t, &config))
        .collect();
    Ok(Answer {
        candidates,
        prompt_tokens: approx_tokens(&all_text),
        model_version,
        vertex,
    })
}

/// A Vertex request body as the Gemini types read it: `parts` given as one object (which
/// Vertex accepts, and Google's own sample sends) becomes a list of one.
fn vertex_body(bytes: &[u8]) -> Result<Vec<u8>, Failure> {
    let mut value = crate::emulator::wire::parse_lenient(bytes)?;
    if let Some(contents) = value.get_mut("contents").and_then(|c| c.as_array_mut()) {
        for content in contents {
            if let Some(parts) = content.get_mut("parts")
                && parts.is_object()
            {
                *parts = Value::Array(vec![parts.take()]);
            }
            if let Some(role) = content.get_mut("role")
                && let Some(text) = role.as_str()
            {
                *role = Value::String(text.to_lowercase());
            }
        }
    }
    // Billing labels are Vertex's own; the answer does not depend on them.
    if let Some(map) = value.as_object_mut() {
        map.remove("labels");
    }
    serde_json::to_vec(&value).map_err(|e| Failure::new(Code::Internal, e.to_string()))
}

/// A Vertex model's answers: a tuned endpoint (or a checkpoint's) answers from its weights, a
/// publisher model with the emulated text; a Model Registry name is refused as the service
/// refuses it.
pub(crate) fn vertex_answer(
    core: &Arc<Core>,
    model: &str,
    prompt: &str,
    count: usize,
) -> Result<(Vec<String>, String), Failure> {
    if let Some((_, endpoint)) = model.split_once("/endpoints/") {
        let (job_id, steps, base) = {
            let store = core.store();
            let (job, steps) = store.cloud.endpoint(endpoint).ok_or_else(|| {
                Failure::new(Code::NotFound, format!("Endpoint `{model}` not found."))
            })?;
            (
                job.id().to_owned(),
                steps,
                crate::domain::vertex::job_base_model(&job.state.job).to_owned(),
            )
        };
        // A tuned model lives as long as its base: past the base's retirement (at the day the
        // emulator is told to read the lifecycle at) the endpoint answers as a retired
        // publisher model does.
        if let Some(today) = core.options.retire_models_at
            && crate::domain::models::tunable_model(&base).is_some_and(|m| m.retired(today))
        {
            return Err(Failure::new(
                Code::NotFound,
                format!(
                    "Publisher Model `publishers/google/models/{base}` was not found or your project does not have access to it."
                ),
            ));
        }
        let trainer =
            crate::emulator::vertex_tuning::trainer_at(core, &job_id, steps).ok_or_else(|| {
                Failure::new(Code::Internal, format!("{model} has no training record."))
            })?;
        let texts = trainer
            .predict(prompt, count)
            .into_iter()
            .map(|p| p.output)
            .collect();
        return Ok((texts, base));
    }
    if let Some((_, short)) = model.split_once("/publishers/google/models/") {
        let known = crate::domain::vertex::tunable_model(short).is_some()
            || base_models()
                .iter()
                .any(|m| m.name.trim_start_matches("models/") == short);
        if !known {
            return Err(Failure::new(
                Code::NotFound,
                format!(
                    "Publisher Model `{model}` was not found or your project does not have access to it."
                ),
            ));
        }
        let texts = (0..count)
            .map(|i| emulated_base_answer(short, prompt, i as i32))
            .collect();
        return Ok((texts, short.to_owned()));
    }
    Err(Failure::invalid(
        "model",
        format!(
            "The Model name {model} is malformed and it should be in form of projects/{{project}}/locations/{{location}}/publishers/google/models/{{model}}"
        ),
    ))
}

/// Tuned models take text only, no system instruction, no JSON mode, and at most 40,000
/// characters of input; and only once tuning has finished.
fn check_tuned_rules(
    record: &Record,
    body: &GenerateContentRequest,
    config: &GenerationConfig,
    all_text: &str,
) -> Result<(), Failure> {
    let name = &record.model.name;
    if record.model.state != TunedModelState::Active {
        return Err(Failure::new(
            Code::FailedPrecondition,
            format!(
                "Tuned model {name} is not ready for inference: its state is {}.",
                record.model.state
            ),
        ));
    }
    if body.system_instruction.is_some() {
        return Err(Failure::invalid(
            "system_instruction",
            format!("Developer instruction is not enabled for {name}"),
        ));
    }
    if config.response_mime_type.as_deref() == Some("application/json")
        || config.response_schema.is_some()
    {
        return Err(Failure::invalid(
            "generation_config.response_mime_type",
            format!("Json mode is not enabled for {name}"),
        ));
    }
    for (i, content) in body.contents.iter().enumerate() {
        for (j, part) in content.parts.iter().enumerate() {
            if !part.is_text_only() {
                return Err(Failure::invalid(
                    format!("contents[{i}].parts[{j}]"),
                    format!(
                        "{name} accepts text input only; contents[{i}].parts[{j}] is not text."
                    ),
                ));
            }
        }
    }
    let chars = all_text.chars().count();
    if chars > MAX_INPUT_CHARS {
        return Err(Failure::invalid(
            "contents",
            format!(
                "The input is {chars} characters; tuned models accept at most {MAX_INPUT_CHARS}."
            ),
        ));
    }
    Ok(())
}

/// A base model's deterministic, clearly emulated answer.
pub(crate) fn emulated_base_answer(model: &str, prompt: &str, candidate: i32) -> String {
    let preview: String = prompt.chars().take(80).collect();
    let more = if prompt.chars().count() > 80 {
        "…"
    } else {
        ""
    };
    let variant = if candidate > 0 {
        format!(" (candidate {})", candidate + 1)
    } else {
        String::new()
    };
    format!(
        "[tunedeck emulator] This is an emulated answer from {model}{variant}: the emulator has no language model, so base models reply with this fixed text. Your prompt ({} characters) was: \"{preview}{more}\". Tune a model to get answers learned from your examples.",
        prompt.chars().count()
    )
}

/// Stop sequences cut the text (STOP); maxOutputTokens truncates it (MAX_TOKENS).
fn apply_limits(mut text: String, config: &GenerationConfig) -> (String, FinishReason) {
    if let Some(cut) = config
        .stop_sequences
        .iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| text.find(s.as_str()))
        .min()
    {
        text.truncate(cut);
    }
    if let Some(max) = config.max_output_tokens.filter(|m| *m > 0) {
        let max_chars = max as usize * 4;
        if text.chars().count() > max_chars {
            text = text.chars().take(max_chars).collect();
            return (text, FinishReason::MaxTokens);
        }
    }
    (text, FinishReason::Stop)
}

fn usage(prompt_tokens: i32, texts: &[&str]) -> UsageMetadata {
    let out: i32 = texts.iter().map(|t| approx_tokens(t)).sum();
    UsageMetadata {
        prompt_token_count: prompt_tokens,
        candidates_token_count: out,
        total_token_count: prompt_tokens + out,
        ..Default::default()
    }
}

pub async fn generate(core: &Arc<Core>, req: &Req, model: &str) -> Result<Response, Failure> {
    let answer = answer(core, req, model)?;
    let texts: Vec<&str> = answer.candidates.iter().map(|(t, _)| t.as_str()).collect();
    let response = GenerateContentResponse {
        candidates: answer
            .candidates
            .iter()
            .enumerate()
            .map(|(i, (text, finish))| Candidate {
                content: Some(Content {
                    role: Some("model".into()),
                    parts: vec![Part::text(text.clone())],
                }),
                finish_reason: Some(finish.clone()),
                index: answer.index(i),
                safety_ratings: negligible_ratings(),
                ..Default::default()
            })
            .collect(),
        prompt_feedback: (!answer.vertex).then(|| PromptFeedback {
            block_reason: None,
            safety_ratings: negligible_ratings(),
            ..Default::default()
        }),
        usage_metadata: Some(usage(answer.prompt_tokens, &texts)),
        model_version: Some(answer.model_version),
        response_id: Some(random_id(20)),
    };
    req.ok(&response)
}

/// Splits a text into stream pieces of a few words, keeping every character.
fn pieces(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut words = 0;
    for (i, c) in text.char_indices() {
        current.push(c);
        if c.is_whitespace() && !text[..i].ends_with(char::is_whitespace) {
            words += 1;
            if words == 3 {
                out.push(std::mem::take(&mut current));
                words = 0;
            }
        }
    }
    if !current.is_empty() || out.is_empty() {
        out.push(current);
    }
    out
}

/// The chunks of a streamed answer: intermediate ones carry text only, the last one the finish
/// reason and safety ratings; all carry cumulative usage, the model version and the response id.
fn stream_chunks(answer: &Answer) -> Vec<GenerateContentResponse> {
    let split: Vec<Vec<String>> = answer.candidates.iter().map(|(t, _)| pieces(t)).collect();
    let steps = split.iter().map(Vec::len).max().unwrap_or(1);
    let response_id = random_id(20);
    let mut so_far: Vec<String> = vec![String::new(); split.len()];
    (0..steps)
        .map(|k| {
            let last = k + 1 == steps;
            let candidates = split
                .iter()
                .enumerate()
                .filter(|(_, p)| k < p.len() || last)
                .map(|(i, p)| {
                    let text = p.get(k).cloned().unwrap_or_default();
                    so_far[i].push_str(&text);
                    Candidate {
                        content: Some(Content {
                            role: Some("model".into()),
                            parts: vec![Part::text(text)],
                        }),
                        finish_reason: last.then(|| answer.candidates[i].1.clone()),
                        index: answer.index(i),
                        safety_ratings: if last {
                            negligible_ratings()
                        } else {
                            Vec::new()
                        },
                        ..Default::default()
                    }
                })
                .collect();
            let texts: Vec<&str> = so_far.iter().map(String::as_str).collect();
            GenerateContentResponse {
                candidates,
                usage_metadata: Some(usage(answer.prompt_tokens, &texts)),
                model_version: Some(answer.model_version.clone()),
                response_id: Some(response_id.clone()),
                ..Default::default()
            }
        })
        .collect()
}

pub async fn stream(core: &Arc<Core>, req: &Req, model: &str) -> Result<Response, Failure> {
    let answer = answer(core, req, model)?;
    let chunks = stream_chunks(&answer);
    let format = req.format.clone();
    let delay = core.options.stream_chunk_delay;
    let drop_after_first = core.should_drop_stream();
    let sse = format.sse;
    let count = chunks.len();
    let body = futures::stream::iter(chunks.into_iter().enumerate()).then(move |(i, chunk)| {
        let format = format.clone();
        async move {
            if i > 0 {
                if drop_after_first {
                    // Let the first chunk reach the client before the connection is cut.
                    tokio::time::sleep(delay.max(Duration::from_millis(50))).await;
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "emulator fault: stream dropped",
                    ));
                }
                tokio::time::sleep(delay).await;
            }
            Ok::<Bytes, std::io::Error>(Bytes::from(frame(&chunk, &format, i, count)))
        }
    });
    let mut response = (StatusCode::OK, Body::from_stream(body)).into_response();
    let content_type = if sse {
        "text/event-stream"
    } else {
        "application/json; charset=UTF-8"
    };
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(response)
}

/// One chunk on the wire: an SSE event, or an element of a streamed JSON array.
fn frame(
    chunk: &GenerateContentResponse,
    format: &OutputFormat,
    index: usize,
    count: usize,
) -> String {
    let value = to_wire_value(chunk, format);
    if format.sse {
        return encode_event(&sse_json(&value));
    }
    let pretty = serde_json::to_string_pretty(&value).unwrap_or_else(|_| "{}".into());
    let open = if index == 0 { "[" } else { ",\r\n" };
    let close = if index + 1 == count { "]" } else { "" };
    format!("{open}{pretty}{close}")
}

/// Legacy PaLM `generateText` on a tuned model.
pub async fn generate_text(core: &Arc<Core>, req: &Req, id: &str) -> Result<Response, Failure> {
    let (body, _): (GenerateTextRequest, Value) = parse_body(&req.body)?;
    let record = {
        let store = core.store();
        store.find_readable(id, req.caller).cloned()?
    };
    if record.model.state != TunedModelState::Active {
        return Err(Failure::new(
            Code::FailedPrecondition,
            format!(
                "Tuned model {} is not ready for inference: its state is {}.",
                record.model.name, record.model.state
            ),
        ));
    }
    let trainer = core
        .trainer(id)
        .ok_or_else(|| Failure::new(Code::Internal, "no training record"))?;
    let count = body.candidate_count.unwrap_or(1).clamp(1, MAX_CANDIDATES) as usize;
    let candidates: Vec<TextCompletion> = trainer
        .predict(&body.prompt.text, count)
        .into_iter()
        .map(|p| TextCompletion {
            output: p.output,
            safety_ratings: Vec::new(),
        })
        .collect();
    req.ok(&GenerateTextResponse { candidates })
}

/// How long between two streamed chunks, for the banner.
pub fn describe_pace(delay: Duration) -> String {
    format!("{} ms between streamed chunks", delay.as_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_keep_every_character() {
        for text in [
            "",
            "one",
            "one two three four five six seven",
            "  spaced   out  text ",
        ] {
            assert_eq!(pieces(text).concat(), text);
        }
        assert!(pieces("one two three four five six seven").len() >= 2);
    }

    #[test]
    fn limits_cut_the_text() {
        let config = GenerationConfig {
            stop_sequences: vec!["STOP".into()],
            ..Default::default()
        };
        assert_eq!(
            apply_limits("abc STOP def".into(), &config),
            ("abc ".into(), FinishReason::Stop)
        );
        let config = GenerationConfig {
            max_output_tokens: Some(1),
            ..Default::default()
        };
        assert_eq!(
            apply_limits("abcdefgh".into(), &config),
            ("abcd".into(), FinishReason::MaxTokens)
        );
    }
}
