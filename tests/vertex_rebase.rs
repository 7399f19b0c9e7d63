//! Rebasing a tuned model (`tuningJobs:rebaseTunedModel`, aiplatform v1 and v1beta1): the
//! emulator over HTTP, every request and answer checked against the discovery documents
//! (tests/fixtures/discovery), the new job trained to the end on the new base with the old one's
//! data and settings; the client following the Operation; the refusals.

mod common;
#[path = "common/schema.rs"]
mod schema;

use common::*;
use schema::Discovery;
use serde_json::{Value, json};
use std::time::Duration;
use tunedeck::api::vertex::client::VertexClient;
use tunedeck::api::vertex::types::{JobState, TuningJob};
use tunedeck::emulator::EmulatorOptions;

const PARENT: &str = "projects/tunedeck-demo/locations/us-central1";

async fn demo() -> tunedeck::emulator::RunningEmulator {
    start(EmulatorOptions {
        demo: true,
        ..fast_options()
    })
    .await
}

/// A request checked against its route's request schema, sent, and its answer checked against
/// the route's response schema (a 2xx) or returned as is (an error).
async fn call(emu: &tunedeck::emulator::RunningEmulator, path: &str, body: Value) -> (u16, Value) {
    let discovery = Discovery::load();
    let route = discovery
        .route("POST", path)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        route.id,
        "aiplatform.projects.locations.tuningJobs.rebaseTunedModel"
    );
    let request = route.request.clone().expect("a request schema");
    let problems = discovery.check(route.doc, &request, &body, false);
    assert!(problems.is_empty(), "request {body}: {problems:?}");
    let answer = reqwest::Client::new()
        .post(format!("{}{path}", emu.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    let value: Value = answer.json().await.unwrap();
    if status == 200 {
        let response = route.response.clone().expect("a response schema");
        let problems = discovery.check(route.doc, &response, &value, true);
        assert!(problems.is_empty(), "answer {value}: {problems:?}");
    }
    (status, value)
}

async fn get_job(emu: &tunedeck::emulator::RunningEmulator, name: &str) -> TuningJob {
    let url = format!("{}/v1beta1/{name}", emu.base_url());
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

async fn wait_ended(emu: &tunedeck::emulator::RunningEmulator, name: &str) -> TuningJob {
    for _ in 0..3000 {
        let job = get_job(emu, name).await;
        if job.state.is_terminal() {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{name} did not end");
}

/// The demo's jobs: the finished one (number-generator) and the live one.
async fn demo_jobs(emu: &tunedeck::emulator::RunningEmulator) -> (TuningJob, TuningJob) {
    let url = format!("{}/v1/{PARENT}/tuningJobs", emu.base_url());
    let list: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    let jobs: Vec<TuningJob> = serde_json::from_value(list["tuningJobs"].clone()).unwrap();
    let by = |name: &str| {
        jobs.iter()
            .find(|j| j.tuned_model_display_name == name)
            .cloned()
            .unwrap_or_else(|| panic!("the demo's {name}"))
    };
    (by("number-generator"), by("roman-numerals"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebase_answers_a_done_operation_whose_job_retrains_on_the_new_base() {
    let emu = demo().await;
    let (old, _) = demo_jobs(&emu).await;
    assert_eq!(old.state, JobState::Succeeded);
    let path = format!("/v1/{PARENT}/tuningJobs:rebaseTunedModel");
    let (status, op) = call(
        &emu,
        &path,
        json!({"tunedModelRef": {"tuningJob": old.name}, "tuningJob": {"baseModel": "gemini-2.5-pro"}}),
    )
    .await;
    assert_eq!(status, 200, "{op}");
    assert_eq!(op["done"], true, "{op}");
    assert_eq!(
        op["response"]["@type"],
        "type.googleapis.com/google.cloud.aiplatform.v1.TuningJob"
    );
    let mut response = op["response"].clone();
    response.as_object_mut().unwrap().remove("@type");
    let new: TuningJob = serde_json::from_value(response).unwrap();
    assert!(
        op["name"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/operations/", new.name)),
        "{op}"
    );
    assert_ne!(new.name, old.name);
    assert_eq!(new.base_model, "gemini-2.5-pro");
    assert_eq!(new.tuned_model_display_name, old.tuned_model_display_name);
    assert_eq!(new.labels, old.labels);
    // Listed at once: the job was stored before the answer.
    let url = format!("{}/v1/{PARENT}/tuningJobs", emu.base_url());
    let list: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    assert_eq!(list["tuningJobs"].as_array().unwrap().len(), 3, "{list}");
    let listed = get_job(&emu, &new.name).await;
    assert_eq!(listed.name, new.name);

    let done = wait_ended(&emu, &new.name).await;
    assert_eq!(done.state, JobState::Succeeded, "{:?}", done.error);
    let (spec, old_spec) = (
        done.supervised_tuning_spec.clone().unwrap(),
        old.supervised_tuning_spec.clone().unwrap(),
    );
    assert_eq!(spec.training_dataset_uri, old_spec.training_dataset_uri);
    assert_eq!(spec.validation_dataset_uri, old_spec.validation_dataset_uri);
    assert_eq!(spec.hyper_parameters, old_spec.hyper_parameters);
    assert_eq!(
        done.step_count(),
        old.step_count(),
        "the same data, the same steps"
    );
    let (model, old_model) = (
        done.tuned_model.clone().unwrap(),
        old.tuned_model.clone().unwrap(),
    );
    assert_ne!(
        model.model.split('@').next(),
        old_model.model.split('@').next(),
        "a new model"
    );
    assert_ne!(model.endpoint, old_model.endpoint, "with its own endpoint");
    // The old model stays, still served.
    let still = get_job(&emu, &old.name).await;
    assert_eq!(still.tuned_model, old.tuned_model);

    // v1beta1, by the model's name: its own @type.
    let path = format!("/v1beta1/{PARENT}/tuningJobs:rebaseTunedModel");
    let (status, op) = call(
        &emu,
        &path,
        json!({"tunedModelRef": {"tunedModel": old_model.model}, "tuningJob": {"baseModel": "gemini-3.5-flash", "tunedModelDisplayName": "numbers-on-3.5"}}),
    )
    .await;
    assert_eq!(status, 200, "{op}");
    assert_eq!(
        op["response"]["@type"],
        "type.googleapis.com/google.cloud.aiplatform.v1beta1.TuningJob"
    );
    assert_eq!(op["response"]["baseModel"], "gemini-3.5-flash");
    assert_eq!(op["response"]["tunedModelDisplayName"], "numbers-on-3.5");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebase_is_refused_with_the_reason_and_creates_nothing() {
    // Slow steps: the demo's live job is still running.
    let emu = start(EmulatorOptions {
        demo: true,
        step_interval: Duration::from_secs(3600),
        ..fast_options()
    })
    .await;
    let (old, live) = demo_jobs(&emu).await;
    let path = format!("/v1/{PARENT}/tuningJobs:rebaseTunedModel");
    let by_job = |job: &str, base: &str| json!({"tunedModelRef": {"tuningJob": job}, "tuningJob": {"baseModel": base}});
    let cases = [
        (
            by_job(&old.name, "gemini-2.5-flash"),
            400,
            "already based on gemini-2.5-flash",
        ),
        (
            by_job(&old.name, "gemini-1.0-pro-002"),
            400,
            "Supported models: gemini-3.5-flash",
        ),
        (
            by_job(&live.name, "gemini-2.5-pro"),
            400,
            "made no tuned model",
        ),
        (
            by_job(&format!("{PARENT}/tuningJobs/123"), "gemini-2.5-pro"),
            404,
            "123",
        ),
        (
            json!({"tunedModelRef": {"tuningJob": old.name}}),
            400,
            "base_model is required",
        ),
        (
            json!({"tuningJob": {"baseModel": "gemini-2.5-pro"}}),
            400,
            "tuned_model_ref is required",
        ),
        (
            json!({"tunedModelRef": {"tuningJob": old.name}, "tuningJob": {"baseModel": "gemini-2.5-pro"}, "artifactDestination": {"outputUriPrefix": "/tmp/out"}}),
            400,
            "not a Cloud Storage URI",
        ),
    ];
    for (body, want, says) in cases {
        let (status, answer) = call(&emu, &path, body.clone()).await;
        assert_eq!(status, want, "{body}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{body}: {message}");
    }
    // An unknown field is the front end's refusal (not checked against the schema: it is not in it).
    let answer = reqwest::Client::new()
        .post(format!("{}{path}", emu.base_url()))
        .json(&json!({"tunedModelRef": {"tuningJob": old.name}, "bogus": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 400);
    assert!(answer.text().await.unwrap().contains("bogus"));
    let url = format!("{}/v1/{PARENT}/tuningJobs", emu.base_url());
    let list: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    assert_eq!(
        list["tuningJobs"].as_array().unwrap().len(),
        2,
        "no job made"
    );
    emu.shutdown().await;
}

fn vertex(emu: &tunedeck::emulator::RunningEmulator) -> VertexClient {
    VertexClient::new(
        client_for(emu),
        client_for(emu),
        "tunedeck-demo",
        "us-central1",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_rebases_by_job_id_or_model_and_reports_a_refusal() {
    let emu = demo().await;
    let client = vertex(&emu);
    let (old, _) = demo_jobs(&emu).await;
    let new = client
        .rebase_tuned_model(old.id(), "gemini-2.5-pro", false)
        .await
        .unwrap();
    assert_eq!(new.base_model, "gemini-2.5-pro");
    assert_eq!(new.state, JobState::Pending);
    let model = old.tuned_model.clone().unwrap().model;
    let other = client
        .rebase_tuned_model(&model, "gemini-3.1-flash-lite", false)
        .await
        .unwrap();
    assert_eq!(other.base_model, "gemini-3.1-flash-lite");
    let err = client
        .rebase_tuned_model(old.id(), "gemini-2.5-flash", false)
        .await
        .unwrap_err();
    assert_eq!(err.http_status, Some(400));
    assert!(err.message.contains("already based on"), "{err}");
    emu.shutdown().await;
}

/// A server answering each request with the next of `answers`, recording `METHOD PATH`.
async fn operation_server(
    answers: Vec<Value>,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use axum::response::IntoResponse;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let answers = std::sync::Arc::new(std::sync::Mutex::new(
        answers
            .into_iter()
            .collect::<std::collections::VecDeque<_>>(),
    ));
    let log = std::sync::Arc::clone(&seen);
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let log = std::sync::Arc::clone(&log);
        let answers = std::sync::Arc::clone(&answers);
        async move {
            log.lock()
                .unwrap()
                .push(format!("{} {}", req.method(), req.uri().path()));
            match answers.lock().unwrap().pop_front() {
                Some(body) => axum::Json(body).into_response(),
                None => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "ran out").into_response(),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

fn quick_client(base: &str) -> VertexClient {
    let mut config = tunedeck::api::ClientConfig::new(base, tunedeck::api::Credentials::None);
    config.sleeper = std::sync::Arc::new(|_| Box::pin(async {}));
    let api = tunedeck::api::ApiClient::new(config).unwrap();
    VertexClient::new(api.clone(), api, "1", "us-central1")
}

/// An Operation not done at once is followed (GET on its name) until done; its response is the
/// new job, and its error is the call's.
#[tokio::test]
async fn the_client_follows_an_unfinished_operation_to_its_job_or_its_error() {
    let op = "projects/1/locations/us-central1/tuningJobs/9/operations/42";
    let job = json!({"name": "projects/1/locations/us-central1/tuningJobs/9", "baseModel": "gemini-2.5-pro", "state": "JOB_STATE_PENDING"});
    let mut response = job.clone();
    response["@type"] = "type.googleapis.com/google.cloud.aiplatform.v1.TuningJob".into();
    let (base, seen) = operation_server(vec![
        json!({"name": op}),
        json!({"name": op, "done": true, "response": response}),
    ])
    .await;
    let new = quick_client(&base)
        .rebase_tuned_model("5", "gemini-2.5-pro", true)
        .await
        .unwrap();
    assert_eq!(new.name, "projects/1/locations/us-central1/tuningJobs/9");
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "POST /v1/projects/1/locations/us-central1/tuningJobs:rebaseTunedModel".to_owned(),
            format!("GET /v1/{op}"),
        ]
    );
    let (base, _) = operation_server(vec![json!({"name": op, "done": true,
        "error": {"code": 9, "message": "The base model is retired."}})])
    .await;
    let err = quick_client(&base)
        .rebase_tuned_model("5", "gemini-2.5-pro", false)
        .await
        .unwrap_err();
    assert_eq!(err.code, tunedeck::api::Code::FailedPrecondition);
    assert!(err.to_string().contains("retired"), "{err}");
}

/// `deployToSameEndpoint`: the old model serves its endpoint until the new job succeeds, then
/// the new model does, and the old one has left it (a second rebase onto it is refused).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_to_same_endpoint_moves_the_endpoint_when_the_new_job_succeeds() {
    let emu = demo().await;
    let (old, _) = demo_jobs(&emu).await;
    let endpoint = old.tuned_model.clone().unwrap().endpoint;
    let path = format!("/v1/{PARENT}/tuningJobs:rebaseTunedModel");
    let body = json!({"tunedModelRef": {"tuningJob": old.name}, "tuningJob": {"baseModel": "gemini-2.5-pro"}, "deployToSameEndpoint": true});
    let (status, op) = call(&emu, &path, body.clone()).await;
    assert_eq!(status, 200, "{op}");
    let name = op["response"]["name"].as_str().unwrap().to_owned();
    let done = wait_ended(&emu, &name).await;
    assert_eq!(done.state, JobState::Succeeded, "{:?}", done.error);
    let model = done.tuned_model.clone().unwrap();
    assert_eq!(
        model.endpoint, endpoint,
        "the new model is on the old endpoint"
    );
    assert_eq!(
        model.checkpoints.last().map(|c| c.endpoint.clone()),
        Some(endpoint.clone()),
        "its last checkpoint shares it"
    );
    let answer = reqwest::Client::new()
        .post(format!("{}/v1/{endpoint}:generateContent", emu.base_url()))
        .json(&json!({"contents": [{"role": "user", "parts": [{"text": "1"}]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.status().as_u16(),
        200,
        "{}",
        answer.text().await.unwrap()
    );
    // The old model left it: rebasing it onto the same endpoint again has nothing to replace.
    let (status, again) = call(
        &emu,
        &path,
        json!({"tunedModelRef": {"tuningJob": old.name}, "tuningJob": {"baseModel": "gemini-3.5-flash"}, "deployToSameEndpoint": true}),
    )
    .await;
    assert_eq!(status, 400, "{again}");
    assert!(
        again["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no longer deployed"),
        "{again}"
    );
    emu.shutdown().await;
}

/// The 200 means the new job is on disk: after a restart right after the answer it is there,
/// still to take the old endpoint, and it trains to the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebased_job_survives_a_restart_right_after_the_answer() {
    let dir = tempfile::tempdir().unwrap();
    let options = EmulatorOptions {
        state_file: Some(dir.path().join("state.json")),
        demo: true,
        step_interval: Duration::from_millis(20),
        ..fast_options()
    };
    let emu = start(options.clone()).await;
    let (old, _) = demo_jobs(&emu).await;
    let endpoint = old.tuned_model.clone().unwrap().endpoint;
    let path = format!("/v1/{PARENT}/tuningJobs:rebaseTunedModel");
    let (status, op) = call(
        &emu,
        &path,
        json!({"tunedModelRef": {"tuningJob": old.name}, "tuningJob": {"baseModel": "gemini-2.5-pro"}, "deployToSameEndpoint": true}),
    )
    .await;
    assert_eq!(status, 200, "{op}");
    let name = op["response"]["name"].as_str().unwrap().to_owned();
    emu.shutdown().await;

    let emu = start(EmulatorOptions {
        step_interval: Duration::from_millis(2),
        ..options
    })
    .await;
    let done = wait_ended(&emu, &name).await;
    assert_eq!(done.state, JobState::Succeeded, "{:?}", done.error);
    assert_eq!(done.base_model, "gemini-2.5-pro");
    assert_eq!(done.tuned_model.unwrap().endpoint, endpoint);
    emu.shutdown().await;
}
