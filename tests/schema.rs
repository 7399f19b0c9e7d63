//! Every request the real client (`tunedeck::api`) sends and every answer the emulator gives,
//! along the main flows of both APIs, checked against Google's discovery documents in
//! tests/fixtures/discovery (and the googleapis protos for the v1beta methods newer than the
//! generativelanguage document): the route is bound (method and path template, for the version
//! used), every field is declared, every value has its declared JSON type and format, enums are
//! within their values, and answers carry no null and no empty list (Google omits both). A
//! recording proxy between the client and the emulator sees the bodies as they travel.

mod common;
#[path = "common/recorder.rs"]
mod recorder;
#[path = "common/schema.rs"]
mod schema;

use common::*;
use futures::StreamExt;
use recorder::Exchange;
use schema::Discovery;
use serde_json::{Value, json};
use std::sync::OnceLock;
use std::time::Duration;
use tunedeck::api::types::*;
use tunedeck::api::vertex::client::{MetricsCache, VertexClient};
use tunedeck::api::vertex::types as vx;
use tunedeck::domain::generation::{GenerationSettings, TargetModel, build_request};
use tunedeck::domain::tuning::{LearningRate, Source, TuningSettings};
use tunedeck::domain::vertex::{VertexSource, VertexTuning};
use tunedeck::emulator::EmulatorOptions;

fn discovery() -> &'static Discovery {
    static D: OnceLock<Discovery> = OnceLock::new();
    D.get_or_init(Discovery::load)
}

/// The `google.rpc.Code` names an error's `status` may take.
const CODES: &[&str] = &[
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

fn json_of(bytes: &[u8], what: &str, out: &mut Vec<String>) -> Option<Value> {
    match serde_json::from_slice(bytes) {
        Ok(v) => Some(v),
        Err(e) => {
            out.push(format!("{what} is not JSON: {e}"));
            None
        }
    }
}

/// Google's error body: `{"error": {code, message, status, details[@type…]}}` (Cloud
/// Storage's adds `errors`).
fn check_error(e: &Exchange, body: &Value, out: &mut Vec<String>) {
    let Some(error) = body.get("error").and_then(Value::as_object) else {
        return out.push(format!("an error without an `error` object: {body}"));
    };
    if body.as_object().map_or(0, |o| o.len()) != 1 {
        out.push(format!("an error body with more than `error`: {body}"));
    }
    let storage = e.path.contains("/storage/v1/");
    for (k, v) in error {
        let fits = match k.as_str() {
            "code" => v.as_u64() == Some(u64::from(e.status)),
            "message" => v.is_string(),
            "status" => v.as_str().is_some_and(|s| CODES.contains(&s)),
            "details" => v
                .as_array()
                .is_some_and(|d| !d.is_empty() && d.iter().all(|x| x["@type"].is_string())),
            "errors" if storage => v.is_array(),
            _ => false,
        };
        if !fits {
            out.push(format!("error.{k}: {v} does not fit"));
        }
    }
}

/// What is wrong with one exchange, each problem prefixed with its request line.
fn problems(e: &Exchange) -> Vec<String> {
    let d = discovery();
    let mut out = Vec::new();
    // A resumable upload's chunks go to the session URI the service handed out, a protocol of
    // its own that no discovery method describes; their last answer is the Object.
    let session = e.method == "PUT" && e.query.contains("upload_id=");
    let route = if session {
        d.route("POST", &e.path).ok()
    } else {
        match d.route(&e.method, &e.path) {
            Ok(r) => Some(r),
            Err(why) => {
                out.push(why);
                None
            }
        }
    };
    let media = e.query_has("uploadType=media") || session || e.query_has("alt=media");
    if let Some(route) = route {
        // The request.
        if !e.request.is_empty() && !media {
            match (&route.request, json_of(&e.request, "the request", &mut out)) {
                (Some(schema), Some(body)) => {
                    out.extend(d.check(route.doc, schema, &body, false));
                }
                (None, Some(body)) if body != json!({}) => {
                    out.push(format!("a body on a method that takes none: {body}"))
                }
                _ => {}
            }
        }
        // The answer.
        if (200..300).contains(&e.status) && !e.query_has("alt=media") {
            let schema = route.response.as_deref().unwrap_or("Empty");
            if e.response_type.contains("event-stream") {
                let text = String::from_utf8_lossy(&e.response);
                for data in text.lines().filter_map(|l| l.strip_prefix("data: ")) {
                    if let Some(chunk) = json_of(data.as_bytes(), "an SSE chunk", &mut out) {
                        out.extend(d.check(route.doc, schema, &chunk, true));
                    }
                }
            } else if !e.response.is_empty() {
                if let Some(body) = json_of(&e.response, "the answer", &mut out) {
                    out.extend(d.check(route.doc, schema, &body, true));
                }
            }
        }
    }
    if e.status >= 400
        && let Some(body) = json_of(&e.response, "the error", &mut out)
    {
        check_error(e, &body, &mut out);
    }
    out.into_iter()
        .map(|p| format!("{} {}: {p}", e.line(), e.status))
        .collect()
}

/// Fails with every problem of every exchange, and with the routes the flow was meant to use
/// but did not.
fn assert_conforms(exchanges: &[Exchange], expected: &[&str]) {
    let mut all: Vec<String> = exchanges.iter().flat_map(problems).collect();
    for route in expected {
        let (method, pattern) = route.split_once(' ').unwrap();
        if !exchanges
            .iter()
            .any(|e| e.method == method && schema::template_matches(pattern, &e.path))
        {
            all.push(format!("the flow never sent {route}"));
        }
    }
    all.dedup();
    assert!(
        all.is_empty(),
        "{} problems against the discovery documents:\n{}",
        all.len(),
        all.join("\n")
    );
}

fn options() -> EmulatorOptions {
    EmulatorOptions {
        step_interval: Duration::from_millis(2),
        ..fast_options()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gemini_api_flow_conforms_to_the_discovery_documents() {
    let emu = start(options()).await;
    let proxy = recorder::start(&emu.base_url()).await;
    let client = client_at(&proxy.base_url, tunedeck::api::Credentials::None);

    // An empty project first: the empty list.
    client.list_tuned_models(None, "", None).await.unwrap();
    let base = client
        .get_model("models/gemini-1.5-flash-001-tuning")
        .await
        .unwrap();
    client.list_models(Some(5), "").await.unwrap();
    // The create request as the dashboard's form and `tunedeck tune` build it.
    let settings = TuningSettings {
        display_name: "schema check".into(),
        model_id: Some("schema-check".into()),
        description: "checked against the discovery document".into(),
        source: Source::Base(base.name.clone()),
        epochs: 2,
        batch_size: 4,
        learning_rate: LearningRate::Multiplier(1.5),
        held_out_percent: 10.0,
    };
    let request = settings.to_request(&tutorial_examples()).unwrap().model;
    let op = client
        .create_tuned_model(&request, Some("schema-check"))
        .await
        .unwrap();
    client.get_operation(&op.name).await.unwrap();
    client
        .list_operations("tunedModels/schema-check", None, "")
        .await
        .unwrap();
    wait_done(&client, &op.name).await;
    let model = client.get_tuned_model("schema-check").await.unwrap();
    client.list_tuned_models(Some(10), "", None).await.unwrap();
    let mut edited = model.clone();
    edited.display_name = "schema checked".into();
    edited.description = "edited".into();
    client
        .update_tuned_model(&edited, &["displayName", "description"])
        .await
        .unwrap();
    // Prompts as the Playground and `tunedeck generate` build them.
    let tuned_settings = GenerationSettings {
        temperature: Some(0.5),
        top_p: Some(0.9),
        top_k: Some(20),
        max_output_tokens: Some(64),
        candidate_count: Some(1),
        stop_sequences: vec!["\n\n".into()],
        safety_threshold: Some(HarmBlockThreshold::BlockOnlyHigh),
        ..Default::default()
    };
    let prompt = build_request(&TargetModel::from_tuned(&model), "LXIII", &tuned_settings).unwrap();
    client.generate_content(&model.name, &prompt).await.unwrap();
    let mut stream = client
        .stream_generate_content(&model.name, &prompt)
        .await
        .unwrap();
    while let Some(chunk) = stream.next().await {
        chunk.unwrap();
    }
    let base_settings = GenerationSettings {
        system_instruction: Some("Answer in digits.".into()),
        response_mime_type: Some("text/plain".into()),
        ..tuned_settings.clone()
    };
    let base_prompt =
        build_request(&TargetModel::from_base(&base), "LXIII", &base_settings).unwrap();
    client
        .generate_content("models/gemini-1.5-flash-001-tuning", &base_prompt)
        .await
        .unwrap();
    client
        .count_tokens("models/gemini-1.5-flash-001-tuning", &prompt)
        .await
        .unwrap();
    // `--api-version v1` governs generation only.
    let mut v1 =
        tunedeck::api::ClientConfig::new(&proxy.base_url, tunedeck::api::Credentials::None);
    v1.api_version = "v1".into();
    let v1 = tunedeck::api::ApiClient::new(v1).unwrap();
    v1.generate_content(&model.name, &prompt).await.unwrap();
    let mut stream = v1
        .stream_generate_content(&model.name, &prompt)
        .await
        .unwrap();
    while let Some(chunk) = stream.next().await {
        chunk.unwrap();
    }
    // Sharing: a reader added, listed, read, made a writer, removed.
    let permission = client
        .create_permission(
            &model.name,
            &Permission {
                grantee_type: Some(GranteeType::User),
                email_address: Some("reader@example.com".into()),
                role: Role::Reader,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    client
        .list_permissions(&model.name, None, "")
        .await
        .unwrap();
    client.get_permission(&permission.name).await.unwrap();
    client
        .update_permission(&permission.name, Role::Writer)
        .await
        .unwrap();
    client.delete_permission(&permission.name).await.unwrap();
    // A second model, cancelled while it tunes.
    let mut long = tuning_request("cancelled", tutorial_examples(), 1, 200);
    long.display_name = "cancelled".into();
    let second = client
        .create_tuned_model(&long, Some("schema-cancel"))
        .await
        .unwrap();
    client.cancel_operation(&second.name).await.unwrap();
    wait_done(&client, &second.name).await;
    client.get_tuned_model("schema-cancel").await.unwrap();
    let missing = client.get_tuned_model("no-such-model").await.unwrap_err();
    assert_eq!(missing.http_status, Some(404));
    client.list_all_operations(None, "", None).await.unwrap();
    client.delete_tuned_model("schema-check").await.unwrap();
    // The cancelled one changes hands (the caller stays a writer, who cannot delete).
    client
        .transfer_ownership("schema-cancel", "new-owner@example.com")
        .await
        .unwrap();
    client.list_tuned_models(None, "", None).await.unwrap();

    assert_conforms(
        &proxy.take(),
        &[
            "POST /v1beta/tunedModels",
            "GET /v1beta/tunedModels/{id}",
            "GET /v1beta/tunedModels",
            "PATCH /v1beta/tunedModels/{id}",
            "DELETE /v1beta/tunedModels/{id}",
            "GET /v1/tunedModels/{id}/operations/{op}",
            "GET /v1/tunedModels/{id}/operations",
            "POST /v1/tunedModels/{id}/operations/{op}:cancel",
            "POST /v1beta/tunedModels/{id}:generateContent",
            "POST /v1beta/tunedModels/{id}:streamGenerateContent",
            "POST /v1/tunedModels/{id}:generateContent",
            "POST /v1/tunedModels/{id}:streamGenerateContent",
            "GET /v1beta/models/{id}",
            "POST /v1beta/models/{id}:countTokens",
            "POST /v1beta/tunedModels/{id}/permissions",
            "POST /v1beta/tunedModels/{id}:transferOwnership",
            "PATCH /v1beta/tunedModels/{id}/permissions/{p}",
        ],
    );
}

fn jsonl(pairs: &[(&str, &str)]) -> Vec<u8> {
    let line = |(q, a): &(&str, &str)| {
        json!({"contents": [
            {"role": "user", "parts": [{"text": q}]},
            {"role": "model", "parts": [{"text": a}]}
        ]})
        .to_string()
            + "\n"
    };
    pairs.iter().map(line).collect::<String>().into_bytes()
}

const PAIRS: [(&str, &str); 4] = [
    ("city france", "paris"),
    ("city italy", "rome"),
    ("city spain", "madrid"),
    ("city japan", "tokyo"),
];

/// The tuningJobs.create body as the Vertex form and `tunedeck tune --vertex` build it, with a
/// label as a person might add.
fn job(epochs: u32) -> vx::TuningJob {
    let tuning = VertexTuning {
        display_name: "capitals".into(),
        description: "schema check".into(),
        source: VertexSource::Base("gemini-2.5-flash".into()),
        epochs: Some(epochs),
        multiplier: Some(1.0),
        adapter_rank: Some(4),
        validation_percent: 0.0,
    };
    let mut job = tuning.to_job(
        "gs://schema-bucket/train.jsonl",
        "gs://schema-bucket/validation.jsonl",
    );
    job.labels.insert("team".into(), "schema".into());
    job
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vertex_ai_and_cloud_storage_flow_conforms_to_the_discovery_documents() {
    let emu = start(options()).await;
    let proxy = recorder::start(&emu.base_url()).await;
    let api = || client_at(&proxy.base_url, tunedeck::api::Credentials::None);
    let mut client = VertexClient::new(api(), api(), "schema-project", "us-central1");

    // Nothing yet: the empty list.
    client.list_tuning_jobs(None, "", "").await.unwrap();
    client
        .upload("schema-bucket", "train.jsonl", &jsonl(&PAIRS), |_, _| {})
        .await
        .unwrap();
    client
        .upload(
            "schema-bucket",
            "validation.jsonl",
            &jsonl(&PAIRS[..2]),
            |_, _| {},
        )
        .await
        .unwrap();
    // Above the one-request limit: the resumable protocol.
    let big: Vec<u8> = jsonl(&PAIRS).repeat(9 * 1024 * 1024 / 200);
    client
        .upload("schema-bucket", "big.jsonl", &big, |_, _| {})
        .await
        .unwrap();
    client
        .get_object("schema-bucket", "train.jsonl")
        .await
        .unwrap();
    client.list_objects("schema-bucket", "", 10).await.unwrap();
    client
        .read_object("schema-bucket", "train.jsonl")
        .await
        .unwrap();
    let created = client.create_tuning_job(&job(2)).await.unwrap();
    let finished = loop {
        let j = client.get_tuning_job(&created.name).await.unwrap();
        if j.state.is_terminal() {
            break j;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(
        finished.state,
        vx::JobState::Succeeded,
        "{:?}",
        finished.error
    );
    client
        .read_metrics(&finished, &mut MetricsCache::default())
        .await
        .unwrap();
    client.list_tuning_jobs(Some(10), "", "").await.unwrap();
    client
        .list_tuning_jobs(None, "", "state=\"JOB_STATE_FAILED\"")
        .await
        .unwrap();
    let tuned = finished.tuned_model.clone().unwrap();
    // The prompt as the Playground builds it for a Vertex endpoint, which takes what its base
    // model takes.
    let settings = GenerationSettings {
        temperature: Some(0.2),
        top_p: Some(0.8),
        top_k: Some(10),
        max_output_tokens: Some(32),
        stop_sequences: vec!["END".into()],
        system_instruction: Some("Answer with the city.".into()),
        response_mime_type: Some("text/plain".into()),
        safety_threshold: Some(HarmBlockThreshold::BlockMediumAndAbove),
        ..Default::default()
    };
    let target = TargetModel::from_tuning_job(&finished).unwrap();
    let prompt = build_request(&target, PAIRS[1].0, &settings).unwrap();
    client
        .generate_content(&tuned.endpoint, &prompt)
        .await
        .unwrap();
    let mut stream = client
        .stream_generate_content(&tuned.endpoint, &prompt)
        .await
        .unwrap();
    while let Some(chunk) = stream.next().await {
        chunk.unwrap();
    }
    client
        .generate_content("gemini-2.5-flash", &prompt)
        .await
        .unwrap();
    // A job continued from the tuned model's first checkpoint, cancelled while it runs.
    let mut continued = job(300);
    continued.base_model.clear();
    continued.pre_tuned_model = Some(vx::PreTunedModel {
        tuned_model_name: tuned.model.split('@').next().unwrap().to_owned(),
        checkpoint_id: tuned.checkpoints[0].checkpoint_id.clone(),
        ..Default::default()
    });
    let second = client.create_tuning_job(&continued).await.unwrap();
    client.cancel_tuning_job(&second.name).await.unwrap();
    loop {
        let j = client.get_tuning_job(&second.name).await.unwrap();
        if j.state.is_terminal() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // A job whose dataset is missing fails with a Status.
    let mut broken = job(1);
    if let Some(spec) = broken.supervised_tuning_spec.as_mut() {
        spec.training_dataset_uri = "gs://schema-bucket/missing.jsonl".into();
    }
    let broken = client.create_tuning_job(&broken).await.unwrap();
    let failed = loop {
        let j = client.get_tuning_job(&broken.name).await.unwrap();
        if j.state.is_terminal() {
            break j;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(failed.state, vx::JobState::Failed);
    // The same reads on v1beta1 (its own document).
    client.version = "v1beta1".into();
    client.get_tuning_job(&created.name).await.unwrap();
    client.list_tuning_jobs(None, "", "").await.unwrap();
    client.version = "v1".into();
    let missing = client
        .get_tuning_job(&format!("{}/tuningJobs/404", client.parent()))
        .await
        .unwrap_err();
    assert_eq!(missing.http_status, Some(404));
    client.delete_model(&tuned.model).await.unwrap();

    assert_conforms(
        &proxy.take(),
        &[
            "POST /upload/storage/v1/b/{b}/o",
            "GET /storage/v1/b/{b}/o/{o}",
            "GET /storage/v1/b/{b}/o",
            "POST /v1/projects/{p}/locations/{l}/tuningJobs",
            "GET /v1/projects/{p}/locations/{l}/tuningJobs/{j}",
            "GET /v1/projects/{p}/locations/{l}/tuningJobs",
            "POST /v1/projects/{p}/locations/{l}/tuningJobs/{j}:cancel",
            "GET /v1beta1/projects/{p}/locations/{l}/tuningJobs/{j}",
            "POST /v1/projects/{p}/locations/{l}/endpoints/{e}:generateContent",
            "POST /v1/projects/{p}/locations/{l}/endpoints/{e}:streamGenerateContent",
            "POST /v1/projects/{p}/locations/{l}/publishers/google/models/{m}:generateContent",
            "DELETE /v1/projects/{p}/locations/{l}/models/{m}",
            "GET /v1/projects/{p}/locations/{l}/tensorboards/{+t}",
        ],
    );
}

// ---- Where the emulator met the live service (issue 25, item 17) ----

async fn raw(method: &str, url: &str, body: Option<&str>) -> (u16, Value) {
    raw_with(&reqwest::Client::new(), method, url, body).await
}

async fn raw_with(
    client: &reqwest::Client,
    method: &str,
    url: &str,
    body: Option<&str>,
) -> (u16, Value) {
    let mut req = client.request(method.parse().unwrap(), url);
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_owned());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The `BadRequest` field violation of an error body.
fn violation(body: &Value) -> &str {
    body["error"]["details"]
        .as_array()
        .and_then(|d| {
            d.iter()
                .find(|x| x["@type"] == "type.googleapis.com/google.rpc.BadRequest")
        })
        .and_then(|d| d["fieldViolations"][0]["field"].as_str())
        .unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vertex_bodies_with_unknown_fields_are_refused_as_the_gemini_api_refuses_them() {
    let emu = start(options()).await;
    let base = emu.base_url();
    let storage = VertexClient::new(client_for(&emu), client_for(&emu), "p", "us-central1");
    for object in ["train.jsonl", "validation.jsonl"] {
        storage
            .upload("schema-bucket", object, &jsonl(&PAIRS), |_, _| {})
            .await
            .unwrap();
    }
    let jobs = format!("{base}/v1/projects/p/locations/us-central1/tuningJobs");
    let mut body = serde_json::to_value(job(1)).unwrap();
    body["bogus"] = json!(1);
    let (status, vertex) = raw("POST", &jobs, Some(&body.to_string())).await;
    assert_eq!(status, 400, "{vertex}");
    assert_eq!(
        vertex["error"]["message"],
        "Invalid JSON payload received. Unknown name \"bogus\": Cannot find field."
    );
    assert_eq!(vertex["error"]["status"], "INVALID_ARGUMENT");
    assert_eq!(violation(&vertex), "bogus");
    // The same shape as the Gemini API's refusal of the same mistake.
    let (_, gemini) = raw(
        "POST",
        &format!("{base}/v1beta/models/gemini-1.5-flash-001-tuning:generateContent"),
        Some(r#"{"contents": [{"parts": [{"text": "hi"}]}], "bogus": 1}"#),
    )
    .await;
    assert_eq!(gemini["error"]["message"], vertex["error"]["message"]);
    assert_eq!(gemini["error"]["details"], vertex["error"]["details"]);
    // Nested, and snake_case as the caller wrote it.
    let mut nested = serde_json::to_value(job(1)).unwrap();
    nested["supervised_tuning_spec"] = nested
        .as_object_mut()
        .unwrap()
        .remove("supervisedTuningSpec")
        .unwrap();
    nested["supervised_tuning_spec"]["hyperParameters"]["epochs"] = json!("3");
    let (status, error) = raw("POST", &jobs, Some(&nested.to_string())).await;
    assert_eq!(status, 400);
    assert_eq!(
        error["error"]["message"],
        "Invalid JSON payload received. Unknown name \"epochs\" at 'supervised_tuning_spec.hyper_parameters': Cannot find field."
    );
    assert_eq!(
        violation(&error),
        "supervised_tuning_spec.hyper_parameters.epochs"
    );
    // learningRate is v1beta1's: unknown on v1.
    let mut rate = serde_json::to_value(job(1)).unwrap();
    rate["supervisedTuningSpec"]["hyperParameters"]["learningRate"] = json!(0.001);
    let (status, error) = raw("POST", &jobs, Some(&rate.to_string())).await;
    assert_eq!(status, 400);
    assert_eq!(
        error["error"]["message"],
        "Invalid JSON payload received. Unknown name \"learningRate\" at 'supervised_tuning_spec.hyper_parameters': Cannot find field."
    );
    // Fields the service has and the emulator does not act on are still accepted, and a
    // v1beta1 field on v1beta1.
    let mut known = serde_json::to_value(job(300)).unwrap();
    known["serviceAccount"] = json!("tuner@p.iam.gserviceaccount.com");
    known["supervisedTuningSpec"]["evaluationConfig"] = json!({});
    let (status, created) = raw("POST", &jobs, Some(&known.to_string())).await;
    assert_eq!(status, 200, "{created}");
    let beta_jobs = jobs.replace("/v1/", "/v1beta1/");
    known["supervisedTuningSpec"]["tuningMode"] = json!("TUNING_MODE_FULL");
    let (status, _) = raw("POST", &beta_jobs, Some(&known.to_string())).await;
    assert_eq!(status, 200);
    let (status, _) = raw("POST", &jobs, Some(&known.to_string())).await;
    assert_eq!(status, 400, "tuningMode is v1beta1's");
    // :cancel takes an empty message.
    let name = created["name"].as_str().unwrap();
    let (status, error) = raw(
        "POST",
        &format!("{base}/v1/{name}:cancel"),
        Some(r#"{"force": true}"#),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        error["error"]["message"],
        "Invalid JSON payload received. Unknown name \"force\": Cannot find field."
    );
    let (status, answer) = raw("POST", &format!("{base}/v1/{name}:cancel"), Some("{}")).await;
    assert_eq!(status, 200, "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_lists_and_default_values_are_left_out_as_the_live_service_leaves_them() {
    let emu = start(options()).await;
    let base = emu.base_url();
    let parent = format!("{base}/v1/projects/empty/locations/us-central1");
    for url in [
        format!("{parent}/tuningJobs"),
        format!("{parent}/tuningJobs?filter=state%3D%22JOB_STATE_FAILED%22"),
        format!("{base}/v1beta1/projects/empty/locations/us-central1/tuningJobs"),
        format!("{base}/v1beta/tunedModels"),
    ] {
        let (status, body) = raw("GET", &url, None).await;
        assert_eq!((status, body), (200, json!({})), "{url}");
    }
    // Vertex AI sends no `index` for the first candidate (proto3 leaves out a 0), and no
    // promptFeedback when nothing was blocked; the Gemini API's index has presence.
    let prompt = r#"{"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]}"#;
    let (_, vertex) = raw(
        "POST",
        &format!("{parent}/publishers/google/models/gemini-2.5-flash:generateContent"),
        Some(prompt),
    )
    .await;
    assert!(vertex["candidates"][0].get("index").is_none(), "{vertex}");
    assert!(vertex.get("promptFeedback").is_none(), "{vertex}");
    let two = r#"{"contents": [{"role": "user", "parts": [{"text": "Hi"}]}], "generationConfig": {"candidateCount": 2}}"#;
    let (_, vertex) = raw(
        "POST",
        &format!("{parent}/publishers/google/models/gemini-2.5-flash:generateContent"),
        Some(two),
    )
    .await;
    assert_eq!(vertex["candidates"][1]["index"], 1, "{vertex}");
    let (_, gemini) = raw(
        "POST",
        &format!("{base}/v1beta/models/gemini-1.5-flash-001-tuning:generateContent"),
        Some(prompt),
    )
    .await;
    assert_eq!(gemini["candidates"][0]["index"], 0);
}

// ---- The validator itself: it accepts what Google sent and refuses each kind of mistake ----

fn recorded(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/recorded")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The problems of `body` as the answer to `method path`.
fn answer_problems(method: &str, path: &str, body: &Value) -> Vec<String> {
    let d = discovery();
    let route = d.route(method, path).unwrap();
    d.check(route.doc, route.response.as_deref().unwrap(), body, true)
}

#[test]
fn the_live_services_recorded_answers_pass_the_validator() {
    for (method, path, file) in [
        ("POST", "/v1beta/tunedModels", "create-operation.json"),
        ("GET", "/v1beta/tunedModels/x", "tuned-model-creating.json"),
        (
            "POST",
            "/v1beta/tunedModels/x:generateContent",
            "generate-content-tuned.json",
        ),
        (
            "GET",
            "/v1beta/models/gemini-1.5-flash-001-tuning",
            "model-gemini-1.5-flash-001-tuning.json",
        ),
    ] {
        assert_eq!(
            answer_problems(method, path, &recorded(file)),
            Vec::<String>::new(),
            "{file}"
        );
    }
    // Google's own sample request (the REST tutorial's curl body, trailing commas and all).
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/recorded/tutorial-create-request.json");
    let text = std::fs::read_to_string(path).unwrap();
    let request: Value = serde_json_lenient::from_str(&text).unwrap();
    let d = discovery();
    let route = d.route("POST", "/v1beta/tunedModels").unwrap();
    assert_eq!(route.request.as_deref(), Some("TunedModel"));
    assert_eq!(
        d.check(route.doc, "TunedModel", &request, false),
        Vec::<String>::new()
    );
}

#[test]
fn the_validator_refuses_unknown_fields_wrong_types_bad_enums_and_empty_lists() {
    let model = recorded("tuned-model-creating.json");
    let cases: [(&str, Value, &str); 8] = [
        (
            "/tuningTask/hyperparameters/bogus",
            json!(1),
            "$.tuningTask.hyperparameters.bogus: unknown field",
        ),
        (
            "/tuningTask/hyperparameters/epochCount",
            json!("3"),
            "$.tuningTask.hyperparameters.epochCount: \"3\" is not an int32 number",
        ),
        (
            "/state",
            json!("RUNNING"),
            "$.state: \"RUNNING\" is not one of the enum's values",
        ),
        (
            "/createTime",
            json!("yesterday"),
            "$.createTime: \"yesterday\" is not a google-datetime string",
        ),
        (
            "/temperature",
            json!("0.7"),
            "$.temperature: \"0.7\" is not a number",
        ),
        (
            "/tuningTask/snapshots",
            json!([]),
            "$.tuningTask.snapshots: an empty list (Google omits empty lists)",
        ),
        (
            "/description",
            json!(""),
            "$.description: \"\" is the default value (Google omits it)",
        ),
        (
            "/displayName",
            Value::Null,
            "$.displayName: null (Google omits unset fields)",
        ),
    ];
    for (pointer, value, want) in cases {
        let mut body = model.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        body.pointer_mut(parent)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .insert(key.into(), value);
        assert_eq!(
            answer_problems("GET", "/v1beta/tunedModels/x", &body),
            vec![want.to_owned()],
            "{pointer}"
        );
    }
    // An Any is checked as the message its @type names.
    let mut op = recorded("create-operation.json");
    op["metadata"]["totalSteps"] = json!("38");
    op["metadata"]["bogus"] = json!(true);
    assert_eq!(
        answer_problems("POST", "/v1beta/tunedModels", &op),
        vec![
            "$.metadata.totalSteps: \"38\" is not an int32 number".to_owned(),
            "$.metadata.bogus: unknown field".to_owned()
        ]
    );
    // Vertex AI: int64 as strings, the v1beta1 fields unknown on v1.
    let job = json!({"name": "projects/1/locations/l/tuningJobs/2", "state": "JOB_STATE_RUNNING",
        "supervisedTuningSpec": {"hyperParameters": {"epochCount": 3}},
        "tuningJobState": "TUNING_JOB_STATE_PROCESSING_DATASET"});
    assert_eq!(
        answer_problems("GET", "/v1/projects/1/locations/l/tuningJobs/2", &job),
        vec![
            "$.supervisedTuningSpec.hyperParameters.epochCount: 3 is not a string (int64)"
                .to_owned(),
            "$.tuningJobState: unknown field".to_owned()
        ]
    );
    assert_eq!(
        answer_problems("GET", "/v1beta1/projects/1/locations/l/tuningJobs/2", &job),
        vec![
            "$.supervisedTuningSpec.hyperParameters.epochCount: 3 is not a string (int64)"
                .to_owned()
        ]
    );
    // Cloud Storage: uint64 as a string, date-time.
    let object =
        json!({"name": "o", "bucket": "b", "size": 5, "timeCreated": "2026-01-01T00:00:00Z"});
    assert_eq!(
        answer_problems("GET", "/storage/v1/b/b/o/o", &object),
        vec!["$.size: 5 is not a string (uint64)".to_owned()]
    );
}

#[test]
fn the_validator_knows_which_routes_each_version_binds() {
    let d = discovery();
    for (method, path) in [
        ("GET", "/v1beta/tunedModels"),
        ("PATCH", "/v1beta/tunedModels/a"),
        ("POST", "/v1beta/tunedModels/a:streamGenerateContent"),
        ("GET", "/v1beta/tunedModels/a/operations"),
        ("GET", "/v1beta/tunedModels/a/operations/b"),
        ("GET", "/v1/tunedModels/a/operations/b"),
        ("POST", "/v1/tunedModels/a/operations/b:cancel"),
        ("POST", "/v1/models/gemini-2.0-flash:generateContent"),
        ("POST", "/v1/projects/p/locations/l/tuningJobs/j:cancel"),
        ("GET", "/v1beta1/projects/p/locations/l/tuningJobs"),
        ("DELETE", "/v1/projects/p/locations/l/models/m"),
        ("POST", "/upload/storage/v1/b/b/o"),
        ("GET", "/storage/v1/b/b/o/dir%2Fname.jsonl"),
    ] {
        assert!(d.route(method, path).is_ok(), "{method} {path} is bound");
    }
    // Each version's bodies are read against its own description.
    for (path, doc) in [
        (
            "/v1/tunedModels/a:generateContent",
            "generativelanguage.v1 (protos)",
        ),
        (
            "/v1beta/tunedModels/a:generateContent",
            "generativelanguage.v1beta.json",
        ),
        (
            "/v1/projects/p/locations/l/endpoints/e:generateContent",
            "aiplatform.v1.json",
        ),
        (
            "/v1beta1/projects/p/locations/l/endpoints/e:generateContent",
            "aiplatform.v1beta1.json",
        ),
    ] {
        assert_eq!(d.doc_name(d.route("POST", path).unwrap()), doc, "{path}");
    }
    for (method, path) in [
        ("POST", "/v1beta/tunedModels/a/operations/b:cancel"),
        ("GET", "/v1/tunedModels"),
        ("POST", "/v1beta/tunedModels/a:bogus"),
        ("DELETE", "/v1/projects/p/locations/l/tuningJobs/j"),
        ("GET", "/v1/projects/p/locations/l/tuningJob"),
        ("HEAD", "/v1beta/tunedModels"),
    ] {
        assert!(
            d.route(method, path).is_err(),
            "{method} {path} is not bound"
        );
    }
}

/// Every route the emulator serves (`tunedeck emulator --help` lists them), probed on each
/// version: whatever it does not answer with its no-such-route 404 must be bound by the live
/// service. (`POST /v1beta/tunedModels/*/operations/*:cancel` was served, issue 25.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_serves_no_route_the_live_service_lacks() {
    let emu = start(options()).await;
    let base = emu.base_url();
    let mut probes: Vec<(&str, String)> = Vec::new();
    for v in ["v1", "v1beta", "v1beta1"] {
        for (method, path) in [
            ("GET", "tunedModels"),
            ("POST", "tunedModels"),
            ("GET", "tunedModels/m"),
            ("PATCH", "tunedModels/m"),
            ("DELETE", "tunedModels/m"),
            ("POST", "tunedModels/m:transferOwnership"),
            ("POST", "tunedModels/m:generateContent"),
            ("POST", "tunedModels/m:streamGenerateContent"),
            ("POST", "tunedModels/m:generateText"),
            ("POST", "tunedModels/m:countTokens"),
            ("GET", "tunedModels/m/permissions"),
            ("POST", "tunedModels/m/permissions"),
            ("GET", "tunedModels/m/permissions/p"),
            ("PATCH", "tunedModels/m/permissions/p"),
            ("DELETE", "tunedModels/m/permissions/p"),
            ("GET", "tunedModels/m/operations"),
            ("GET", "tunedModels/m/operations/o"),
            ("POST", "tunedModels/m/operations/o:cancel"),
            ("DELETE", "tunedModels/m/operations/o"),
            ("GET", "operations"),
            ("DELETE", "operations/o"),
            ("GET", "models"),
            ("GET", "models/gemini-1.5-flash-001-tuning"),
            ("POST", "models/gemini-1.5-flash-001-tuning:generateContent"),
            (
                "POST",
                "models/gemini-1.5-flash-001-tuning:streamGenerateContent",
            ),
            ("POST", "models/gemini-1.5-flash-001-tuning:countTokens"),
            ("GET", "projects/p/locations/l/tuningJobs"),
            ("POST", "projects/p/locations/l/tuningJobs"),
            ("GET", "projects/p/locations/l/tuningJobs/1"),
            ("DELETE", "projects/p/locations/l/tuningJobs/1"),
            ("POST", "projects/p/locations/l/tuningJobs/1:cancel"),
            ("GET", "projects/p/locations/l/models/1"),
            ("DELETE", "projects/p/locations/l/models/1"),
            ("POST", "projects/p/locations/l/endpoints/1:generateContent"),
            (
                "POST",
                "projects/p/locations/l/endpoints/1:streamGenerateContent",
            ),
            ("POST", "projects/p/locations/l/models/1:generateContent"),
            (
                "POST",
                "projects/p/locations/l/publishers/google/models/g:generateContent",
            ),
            (
                "POST",
                "projects/p/locations/l/publishers/google/models/g:streamGenerateContent",
            ),
            (
                "GET",
                "projects/p/locations/l/metadataStores/default/contexts",
            ),
            (
                "GET",
                "projects/p/locations/l/metadataStores/default/contexts/c",
            ),
            ("GET", "projects/p/locations/l/tensorboards"),
            ("GET", "projects/p/locations/l/tensorboards/t"),
            ("GET", "projects/p/locations/l/tensorboards/t:batchRead"),
            ("GET", "projects/p/locations/l/tensorboards/t/experiments/x"),
            (
                "GET",
                "projects/p/locations/l/tensorboards/t/experiments/x/runs",
            ),
            (
                "GET",
                "projects/p/locations/l/tensorboards/t/experiments/x/runs/r",
            ),
            (
                "GET",
                "projects/p/locations/l/tensorboards/t/experiments/x/runs/r/timeSeries",
            ),
            (
                "GET",
                "projects/p/locations/l/tensorboards/t/experiments/x/runs/r/timeSeries/s",
            ),
            (
                "GET",
                "projects/p/locations/l/tensorboards/t/experiments/x/runs/r/timeSeries/s:read",
            ),
            (
                "POST",
                "projects/p/locations/l/tensorboards/t/experiments/x/runs/r/timeSeries/s:exportTensorboardTimeSeries",
            ),
        ] {
            probes.push((method, format!("/{v}/{path}")));
        }
    }
    for (method, path) in [
        ("POST", "/upload/storage/v1/b/b/o"),
        ("GET", "/storage/v1/b/b"),
        ("GET", "/storage/v1/b/b/o"),
        ("GET", "/storage/v1/b/b/o/x"),
        ("DELETE", "/storage/v1/b/b/o/x"),
        ("PATCH", "/storage/v1/b/b/o/x"),
    ] {
        probes.push((method, path.to_owned()));
    }
    let d = discovery();
    let http = reqwest::Client::new();
    let mut served_but_unbound = Vec::new();
    for (method, path) in &probes {
        let body = matches!(*method, "POST" | "PATCH").then_some("{}");
        let (status, answer) = raw_with(&http, method, &format!("{base}{path}"), body).await;
        let no_route = status == 404
            && answer["error"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("The requested URL"));
        if !no_route && d.route(method, path).is_err() {
            served_but_unbound.push(format!("{method} {path} -> {status}"));
        }
    }
    assert!(
        served_but_unbound.is_empty(),
        "the emulator serves routes the discovery documents lack:\n{}",
        served_but_unbound.join("\n")
    );
}

/// The demo a fresh emulator starts with (tuned models, a live job, Vertex jobs with metrics and
/// checkpoints) is what a new user's first requests read: it conforms too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demos_answers_conform_to_the_discovery_documents() {
    let emu = start(EmulatorOptions {
        demo: true,
        ..options()
    })
    .await;
    let proxy = recorder::start(&emu.base_url()).await;
    let api = || client_at(&proxy.base_url, tunedeck::api::Credentials::None);
    let gemini = api();
    for model in gemini
        .list_tuned_models(None, "", None)
        .await
        .unwrap()
        .tuned_models
    {
        gemini.get_tuned_model(&model.name).await.unwrap();
        gemini.list_operations(&model.name, None, "").await.unwrap();
    }
    let vertex = VertexClient::new(
        api(),
        api(),
        tunedeck::emulator::demo::VERTEX_DEMO_PROJECT,
        tunedeck::emulator::demo::VERTEX_DEMO_LOCATION,
    );
    let jobs = vertex.all_tuning_jobs("").await.unwrap();
    assert!(jobs.len() >= 2, "the Vertex demo has its jobs");
    for job in &jobs {
        let job = vertex.get_tuning_job(&job.name).await.unwrap();
        vertex
            .read_metrics(&job, &mut MetricsCache::default())
            .await
            .unwrap();
    }
    assert_conforms(
        &proxy.take(),
        &[
            "GET /v1beta/tunedModels/{id}",
            "GET /v1/projects/{p}/locations/{l}/tuningJobs/{j}",
        ],
    );
}

fn exchange(method: &str, path: &str, query: &str, request: &str, answer: &str) -> Exchange {
    Exchange {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        request_type: "application/json".into(),
        request: request.to_owned().into_bytes().into(),
        status: 200,
        response_type: if answer.starts_with("data: ") {
            "text/event-stream".into()
        } else {
            "application/json".into()
        },
        response: answer.to_owned().into_bytes().into(),
    }
}

#[test]
fn each_exchange_is_checked_by_route_request_answer_and_stream_chunk() {
    let upload = exchange(
        "POST",
        "/upload/storage/v1/b/b/o",
        "uploadType=media&name=x",
        "raw bytes, not JSON",
        r#"{"name": "x", "bucket": "b", "size": 5}"#,
    );
    assert_eq!(
        problems(&upload),
        vec!["POST /upload/storage/v1/b/b/o 200: $.size: 5 is not a string (uint64)"]
    );
    let request = exchange(
        "POST",
        "/v1/projects/p/locations/l/tuningJobs",
        "",
        r#"{"baseModel": "gemini-2.5-flash", "epochs": 3}"#,
        r#"{"name": "projects/p/locations/l/tuningJobs/1"}"#,
    );
    assert_eq!(
        problems(&request),
        vec!["POST /v1/projects/p/locations/l/tuningJobs 200: $.epochs: unknown field"]
    );
    let stream = exchange(
        "POST",
        "/v1beta/tunedModels/m:streamGenerateContent",
        "alt=sse",
        r#"{"contents": [{"parts": [{"text": "hi"}]}]}"#,
        "data: {\"candidates\": [{\"index\": 0}]}\r\n\r\ndata: {\"candidates\": [], \"x\": 1}\r\n\r\n",
    );
    assert_eq!(
        problems(&stream),
        vec![
            "POST /v1beta/tunedModels/m:streamGenerateContent 200: $.candidates: an empty list (Google omits empty lists)",
            "POST /v1beta/tunedModels/m:streamGenerateContent 200: $.x: unknown field",
        ]
    );
    let unbound = exchange(
        "POST",
        "/v1beta/tunedModels/m/operations/o:cancel",
        "",
        "{}",
        "{}",
    );
    assert_eq!(
        problems(&unbound),
        vec![
            "POST /v1beta/tunedModels/m/operations/o:cancel 200: no such route in the discovery documents: POST /v1beta/tunedModels/m/operations/o:cancel"
        ]
    );
    let mut error = exchange("GET", "/v1beta/tunedModels/m", "", "", "");
    error.status = 404;
    error.response = r#"{"error": {"code": 404, "message": "gone", "status": "GONE"}}"#.into();
    assert_eq!(
        problems(&error),
        vec!["GET /v1beta/tunedModels/m 404: error.status: \"GONE\" does not fit"]
    );
}
