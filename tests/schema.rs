//! Every request the real client (`tunedeck::api`) sends and every answer the emulator gives,
//! along the main flows of both APIs, checked against Google's discovery documents in
//! tests/fixtures/discovery (and the googleapis protos for the v1beta methods newer than the
//! generativelanguage document): the route is bound (method and path template, for the version
//! used), every field is declared, every value has its declared JSON type and format, enums are
//! within their values, and answers carry no null and no empty list (Google omits both). A
//! recording proxy between the client and the emulator sees the bodies as they travel.

mod common;
#[path = "schema_tests/headless.rs"]
mod headless;
#[path = "schema_tests/live_service.rs"]
mod live_service;
#[path = "schema_tests/preference.rs"]
mod preference;
#[path = "common/recorder.rs"]
mod recorder;
#[path = "common/schema.rs"]
mod schema;
#[path = "schema_tests/validator.rs"]
mod validator;

use common::*;
use futures::StreamExt;
use recorder::Exchange;
use schema::Discovery;
use serde_json::{Value, json};
use std::sync::OnceLock;
use std::time::Duration;
use tunedeck::api::types::*;
use tunedeck::api::vertex::client::{MetricsCache, VertexClient};
use tunedeck::api::vertex::tokens as vx_tokens;
use tunedeck::api::vertex::types as vx;
use tunedeck::domain::generation::{GenerationSettings, TargetModel, build_request};
use tunedeck::domain::tuning::{LearningRate, Source, TuningSettings};
use tunedeck::domain::vertex::{OpenSettings, TuningMode, VertexSource, VertexTuning};
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
        // The query: only the parameters the method declares (a session's `upload_id` is the
        // resumable protocol's).
        if let Some(declared) = &route.parameters {
            for (key, _) in url::form_urlencoded::parse(e.query.as_bytes()) {
                let resumable = session && key == "upload_id";
                if !resumable && !declared.iter().any(|d| *d == key) {
                    out.push(format!("query parameter {key:?} is not declared"));
                }
            }
        }
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

/// An open model's tuningJobs.create body (v1beta1: mode, batch size, rate, output folder).
fn open_job(mode: TuningMode) -> vx::TuningJob {
    VertexTuning {
        display_name: "capitals-llama".into(),
        description: String::new(),
        source: VertexSource::Base("meta/llama3_1@llama-3.1-8b-instruct".into()),
        epochs: Some(2),
        multiplier: None,
        adapter_rank: None,
        validation_percent: 0.0,
        open: OpenSettings {
            tuning_mode: Some(mode),
            batch_size: Some(2),
            learning_rate: Some(2e-4),
            output_uri: "gs://schema-bucket/tuned".into(),
        },
        method: tunedeck::domain::vertex::VertexMethod::Supervised,
    }
    .to_job("gs://schema-bucket/train.jsonl", "")
}

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
        method: tunedeck::domain::vertex::VertexMethod::Supervised,
        open: OpenSettings::default(),
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
    // An open model's job, created on v1beta1, followed to its end, its endpoint asked; and
    // one the service refuses (no output folder).
    for mode in [TuningMode::Full, TuningMode::Adapter] {
        let open = client.create_tuning_job(&open_job(mode)).await.unwrap();
        let done = loop {
            let j = client.get_tuning_job(&open.name).await.unwrap();
            if j.state.is_terminal() {
                break j;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        assert_eq!(done.state, vx::JobState::Succeeded, "{:?}", done.error);
        let endpoint = done.tuned_model.unwrap().endpoint;
        client.generate_content(&endpoint, &prompt).await.unwrap();
    }
    let mut no_output = open_job(TuningMode::Full);
    no_output.output_uri.clear();
    no_output
        .supervised_tuning_spec
        .as_mut()
        .unwrap()
        .hyper_parameters
        .as_mut()
        .unwrap()
        .learning_rate = None;
    let refused = client.create_tuning_job(&no_output).await.unwrap_err();
    assert_eq!(refused.http_status, Some(400), "{refused}");
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
    // Jobs are read on v1beta1 (for their stage); the same reads on v1, its own document.
    client.job_reads_version = "v1".into();
    client.get_tuning_job(&created.name).await.unwrap();
    client.list_tuning_jobs(None, "", "").await.unwrap();
    client.job_reads_version = "v1beta1".into();
    let missing = client
        .get_tuning_job(&format!("{}/tuningJobs/404", client.parent()))
        .await
        .unwrap_err();
    assert_eq!(missing.http_status, Some(404));
    // Token counts before a job: on the base model, and on the tuned model's endpoint.
    let count = vx_tokens::CountTokensRequest {
        contents: vec![Content::user_text("How many tokens?")],
        system_instruction: Some(Content {
            role: None,
            parts: vec![Part::text("Count them.")],
        }),
    };
    client
        .count_tokens("gemini-2.5-flash", &count)
        .await
        .unwrap();
    client.count_tokens(&tuned.endpoint, &count).await.unwrap();
    // The Model Registry: read the tuned model, promote a checkpoint.
    let model = client.get_model(&tuned.model).await.unwrap();
    let first = model.checkpoints[0].checkpoint_id.clone();
    let promoted = client
        .set_default_checkpoint(&tuned.model, &first)
        .await
        .unwrap();
    assert_eq!(promoted.default_checkpoint_id, first);
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
            "GET /v1beta1/projects/{p}/locations/{l}/tuningJobs",
            "POST /v1/projects/{p}/locations/{l}/endpoints/{e}:generateContent",
            "POST /v1/projects/{p}/locations/{l}/endpoints/{e}:streamGenerateContent",
            "POST /v1/projects/{p}/locations/{l}/publishers/google/models/{m}:generateContent",
            "POST /v1/projects/{p}/locations/{l}/publishers/google/models/{m}:countTokens",
            "POST /v1/projects/{p}/locations/{l}/endpoints/{e}:countTokens",
            "DELETE /v1/projects/{p}/locations/{l}/models/{m}",
            "GET /v1/projects/{p}/locations/{l}/models/{m}",
            "PATCH /v1/projects/{p}/locations/{l}/models/{m}",
            "GET /v1/projects/{p}/locations/{l}/tensorboards/{+t}",
        ],
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
            "GET /v1beta1/projects/{p}/locations/{l}/tuningJobs/{j}",
        ],
    );
}

/// Distillation and reinforcement tuning (v1beta1, early access): the create bodies with the
/// fields google-genai 3.3.0 sends, and the jobs the emulator answers with, conform to the
/// v1beta1 document plus the SDK's fields it lacks (tests/fixtures/discovery/
/// aiplatform.v1beta1.sdk-additions.json).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distillation_and_reinforcement_jobs_conform_to_the_discovery_documents() {
    let emu = start(options()).await;
    let proxy = recorder::start(&emu.base_url()).await;
    let api = || client_at(&proxy.base_url, tunedeck::api::Credentials::None);
    let mut client = VertexClient::new(api(), api(), "schema-project", "us-central1");
    client.version = "v1beta1".into();
    let prompts: String = PAIRS
        .iter()
        .map(|(q, a)| {
            json!({"contents": [{"role": "user", "parts": [{"text": q}]}], "references": {"answer": a}})
                .to_string()
                + "\n"
        })
        .collect();
    client
        .upload(
            "schema-bucket",
            "prompts.jsonl",
            prompts.as_bytes(),
            |_, _| {},
        )
        .await
        .unwrap();
    let distillation: vx::TuningJob = serde_json::from_value(json!({
        "baseModel": "gemini-2.5-flash",
        "tunedModelDisplayName": "distilled",
        "distillationSpec": {
            "baseTeacherModel": "gemini-3.1-pro",
            "promptDatasetUri": "gs://schema-bucket/prompts.jsonl",
            "hyperParameters": {"epochCount": "2", "learningRateMultiplier": 1.0, "adapterSize": "ADAPTER_SIZE_FOUR"}
        }
    }))
    .unwrap();
    let reinforcement: vx::TuningJob = serde_json::from_value(json!({
        "baseModel": "gemini-2.5-flash",
        "tunedModelDisplayName": "rewarded",
        "reinforcementTuningSpec": {
            "trainingDatasetUri": "gs://schema-bucket/prompts.jsonl",
            "compositeRewardConfig": {"weightedRewardConfigs": [{
                "weight": 1.0,
                "rewardConfig": {"rewardName": "exact", "stringMatchRewardScorer": {
                    "correctAnswerReward": 1.0, "wrongAnswerReward": -1.0,
                    "stringMatchExpression": {"matchOperation": "EXACT_MATCH", "expression": "{{references.answer}}"}}}
            }]},
            "hyperParameters": {"epochCount": "2", "samplesPerPrompt": "4"}
        }
    }))
    .unwrap();
    for request in [distillation, reinforcement] {
        let created = client.create_tuning_job(&request).await.unwrap();
        loop {
            let j = client.get_tuning_job(&created.name).await.unwrap();
            if j.state.is_terminal() {
                assert_eq!(j.state, vx::JobState::Succeeded, "{j:?}");
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    client.list_tuning_jobs(None, "", "").await.unwrap();
    assert_conforms(
        &proxy.take(),
        &[
            "POST /v1beta1/projects/{p}/locations/{l}/tuningJobs",
            "GET /v1beta1/projects/{p}/locations/{l}/tuningJobs/{j}",
            "GET /v1beta1/projects/{p}/locations/{l}/tuningJobs",
        ],
    );
}
