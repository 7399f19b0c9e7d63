//! The API client against the emulator and against a scripted server for exact failure
//! sequences: paging, retries and their waits, no retry of create, SSE parsing of split chunks,
//! cancelling a stream, and no secret in any error.

mod common;
use axum::Router;
use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use common::*;
use futures::StreamExt;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tunedeck::api::types::*;
use tunedeck::api::{ApiClient, ClientConfig, Code, Credentials, ErrorKind};

/// One scripted answer: status, extra headers, body.
type Scripted = (u16, Vec<(String, String)>, Body);

/// A server that answers each request with the next scripted response and logs what it got.
#[derive(Clone, Default)]
struct Script {
    answers: Arc<Mutex<VecDeque<Scripted>>>,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Script {
    fn push(&self, status: u16, body: &str) {
        self.push_with_headers(status, vec![], Body::from(body.to_owned()));
    }
    fn push_with_headers(&self, status: u16, headers: Vec<(String, String)>, body: Body) {
        self.answers
            .lock()
            .unwrap()
            .push_back((status, headers, body));
    }
    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
    async fn serve(&self) -> String {
        let script = self.clone();
        let app = Router::new().fallback(move |req: axum::extract::Request| {
            let script = script.clone();
            async move {
                let header_key = req
                    .headers()
                    .get("x-goog-api-key")
                    .map(|v| v.to_str().unwrap_or("").to_owned());
                let quota = req
                    .headers()
                    .get("x-goog-user-project")
                    .map(|v| v.to_str().unwrap_or("").to_owned());
                let bearer = req.headers().contains_key("authorization");
                script.seen.lock().unwrap().push(format!(
                    "{} {}{}{}{}",
                    req.method(),
                    req.uri(),
                    if bearer { " bearer" } else { "" },
                    quota.map(|p| format!(" project={p}")).unwrap_or_default(),
                    header_key.map(|k| format!(" key={k}")).unwrap_or_default()
                ));
                let next = script.answers.lock().unwrap().pop_front();
                let (status, headers, body) =
                    next.unwrap_or((500, vec![], Body::from("script ran out")));
                let mut response: Response =
                    (StatusCode::from_u16(status).unwrap(), body).into_response();
                for (k, v) in headers {
                    response.headers_mut().insert(
                        header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                        v.parse().unwrap(),
                    );
                }
                response
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}")
    }
}

/// A client whose retry waits are recorded instead of slept.
fn recording_client(
    base: &str,
    credentials: Credentials,
) -> (ApiClient, Arc<Mutex<Vec<Duration>>>) {
    let waits = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&waits);
    let mut config = ClientConfig::new(base, credentials);
    config.sleeper = Arc::new(move |d| {
        record.lock().unwrap().push(d);
        Box::pin(async {})
    });
    (ApiClient::new(config).unwrap(), waits)
}

const MODEL_JSON: &str = r#"{"name": "tunedModels/x", "state": "ACTIVE"}"#;

#[tokio::test]
async fn paging_walks_three_pages() {
    let emu = start(fast_options()).await;
    let client = client_for(&emu);
    for i in 0..25 {
        let request = tuning_request(&format!("model {i}"), tutorial_examples(), 4, 1);
        client
            .create_tuned_model(&request, Some(&format!("m{i:02}")))
            .await
            .unwrap();
    }
    let pages: Vec<Vec<TunedModel>> = client
        .tuned_model_pages(Some(10), None)
        .map(|p| p.unwrap())
        .collect()
        .await;
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![10, 10, 5]
    );
    let ids: Vec<String> = pages.concat().iter().map(|m| m.id().to_owned()).collect();
    let expected: Vec<String> = (0..25).map(|i| format!("m{i:02}")).collect();
    assert_eq!(ids, expected, "every model once, in order");
    // The default page is 10 and asking for more than 1000 is capped.
    assert_eq!(
        client
            .list_tuned_models(None, "", None)
            .await
            .unwrap()
            .tuned_models
            .len(),
        10
    );
}

#[tokio::test]
async fn a_503_then_success_is_retried() {
    let script = Script::default();
    script.push(
        503,
        r#"{"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}"#,
    );
    script.push(200, MODEL_JSON);
    let base = script.serve().await;
    let (client, waits) = recording_client(&base, Credentials::None);
    let model = client.get_tuned_model("x").await.unwrap();
    assert_eq!(model.state, TunedModelState::Active);
    assert_eq!(script.seen().len(), 2);
    assert_eq!(waits.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_429_with_retry_info_waits_as_told() {
    let script = Script::default();
    script.push(
        429,
        r#"{"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).", "status": "RESOURCE_EXHAUSTED",
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "47.174066935s"}]}}"#,
    );
    script.push_with_headers(
        429,
        vec![("retry-after".into(), "3".into())],
        Body::from(
            r#"{"error": {"code": 429, "message": "slow down", "status": "RESOURCE_EXHAUSTED"}}"#,
        ),
    );
    script.push(200, MODEL_JSON);
    let base = script.serve().await;
    let (client, waits) = recording_client(&base, Credentials::None);
    client.get_tuned_model("x").await.unwrap();
    assert_eq!(
        *waits.lock().unwrap(),
        vec![Duration::from_nanos(47_174_066_935), Duration::from_secs(3)],
        "RetryInfo.retryDelay, then Retry-After"
    );
}

#[tokio::test]
async fn retries_stop_after_the_policy_and_report_the_last_error() {
    let script = Script::default();
    for _ in 0..10 {
        script.push(
            500,
            r#"{"error": {"code": 500, "message": "boom", "status": "INTERNAL"}}"#,
        );
    }
    let base = script.serve().await;
    let (client, waits) = recording_client(&base, Credentials::None);
    let err = client.get_tuned_model("x").await.unwrap_err();
    assert_eq!(err.code, Code::Internal);
    assert_eq!(script.seen().len(), 5, "one try and four retries");
    let waits = waits.lock().unwrap();
    assert!(
        waits.windows(2).all(|w| w[1] >= w[0] / 2),
        "backoff grows: {waits:?}"
    );
}

#[tokio::test]
async fn a_create_is_never_retried() {
    let script = Script::default();
    script.push(
        503,
        r#"{"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}"#,
    );
    script.push(200, r#"{"name": "tunedModels/x/operations/y"}"#);
    let base = script.serve().await;
    let (client, waits) = recording_client(&base, Credentials::None);
    let err = client
        .create_tuned_model(&tuning_request("x", tutorial_examples(), 4, 1), None)
        .await
        .unwrap_err();
    assert_eq!(err.http_status, Some(503));
    assert_eq!(script.seen().len(), 1);
    assert!(waits.lock().unwrap().is_empty());
}

/// SSE bytes cut at awkward places, with both separators.
#[tokio::test]
async fn sse_chunks_split_across_reads_parse() {
    let events = [
        r#"{"candidates": [{"content": {"parts": [{"text": "1, 2"}],"role": "model"},"index": 0}]}"#,
        r#"{"candidates": [{"content": {"parts": [{"text": ", 3"}],"role": "model"},"finishReason": "STOP","index": 0}]}"#,
    ];
    let wire = format!("data: {}\r\n\r\ndata: {}\n\n", events[0], events[1]);
    let bytes = wire.into_bytes();
    let pieces: Vec<Result<axum::body::Bytes, std::io::Error>> = bytes
        .chunks(7)
        .map(|c| Ok(axum::body::Bytes::copy_from_slice(c)))
        .collect();
    let body = Body::from_stream(futures::stream::iter(pieces).then(|p| async {
        tokio::time::sleep(Duration::from_millis(2)).await;
        p
    }));
    let script = Script::default();
    script.push_with_headers(
        200,
        vec![("content-type".into(), "text/event-stream".into())],
        body,
    );
    let base = script.serve().await;
    let client = client_at(&base, Credentials::None);
    let chunks: Vec<GenerateContentResponse> = client
        .stream_generate_content("tunedModels/x", &GenerateContentRequest::text("count"))
        .await
        .unwrap()
        .map(|c| c.unwrap())
        .collect()
        .await;
    let text: String = chunks.iter().map(GenerateContentResponse::text).collect();
    assert_eq!(text, "1, 2, 3");
    assert_eq!(
        chunks[1].candidates[0].finish_reason,
        Some(FinishReason::Stop)
    );
    assert!(script.seen()[0].contains(":streamGenerateContent?alt=sse"));
}

#[tokio::test]
async fn streaming_against_the_emulator_returns_the_training_output() {
    let emu = start(fast_options()).await;
    let client = client_for(&emu);
    let op = client
        .create_tuned_model(
            &tuning_request("digits", tutorial_examples(), 2, 5),
            Some("digits"),
        )
        .await
        .unwrap();
    wait_done(&client, &op.name).await;
    let chunks: Vec<GenerateContentResponse> = client
        .stream_generate_content(
            "tunedModels/digits",
            &GenerateContentRequest::text("thirteen"),
        )
        .await
        .unwrap()
        .map(|c| c.unwrap())
        .collect()
        .await;
    let text: String = chunks.iter().map(GenerateContentResponse::text).collect();
    assert_eq!(text, "fourteen");
    let last = chunks.last().unwrap();
    assert_eq!(last.candidates[0].finish_reason, Some(FinishReason::Stop));
    assert!(last.usage_metadata.as_ref().unwrap().total_token_count > 0);
}

#[tokio::test]
async fn no_secret_in_errors_logs_or_debug_output() {
    let secret = "AIzaSyTOTALLYSECRETKEY1234";
    // A refused connection.
    let client = client_at("http://127.0.0.1:9", Credentials::api_key(secret));
    let err = client.get_tuned_model("x").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transport);
    // An error answer from a server that requires another key.
    let emu = start(tunedeck::emulator::EmulatorOptions {
        require_key: Some("the-right-key".to_owned().into()),
        ..fast_options()
    })
    .await;
    let wrong = client_at(&emu.base_url(), Credentials::api_key(secret));
    let refused = wrong.list_tuned_models(None, "", None).await.unwrap_err();
    assert_eq!(refused.reason(), Some("API_KEY_INVALID"));
    for shown in [
        err.to_string(),
        format!("{err:?}"),
        refused.to_string(),
        format!("{refused:?}"),
        refused.hint().unwrap_or_default(),
        format!("{client:?}"),
        format!("{:?}", Credentials::api_key(secret)),
    ] {
        assert!(!shown.contains("SECRET"), "secret leaked: {shown}");
    }
    // The key is sent in the header, never in the URL.
    let script = Script::default();
    script.push(200, MODEL_JSON);
    let base = script.serve().await;
    client_at(&base, Credentials::api_key(secret))
        .get_tuned_model("x")
        .await
        .unwrap();
    let seen = script.seen();
    assert!(seen[0].ends_with(&format!("key={secret}")), "{seen:?}");
    assert!(
        !seen[0].split(' ').nth(1).unwrap().contains(secret),
        "not in the URL"
    );
    let ok = client_at(&emu.base_url(), Credentials::api_key("the-right-key"));
    ok.list_tuned_models(None, "", None).await.unwrap();
}

/// A third of the answers are lost after the work is done: a create with an id is sent again, meets
/// 409 and returns the first job's operation, so each id has exactly one model; the lost answer
/// reads as a cut connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_with_an_id_survives_lost_answers_without_a_second_job() {
    let mut options = fast_options();
    options.seed = 3;
    options.faults.lose_answer_rate = 0.3;
    let emu = start(options).await;
    let (client, waits) = recording_client(&emu.base_url(), Credentials::None);
    for i in 0..12 {
        let id = format!("lossy-{i}");
        let op = client
            .create_tuned_model_safely(
                &tuning_request("lossy", tutorial_examples(), 4, 1),
                Some(&id),
            )
            .await
            .unwrap();
        assert!(
            op.name
                .starts_with(&format!("tunedModels/{id}/operations/")),
            "{}",
            op.name
        );
    }
    assert!(
        !waits.lock().unwrap().is_empty(),
        "some answers were lost and retried"
    );
    let ids = listed_ids(&client).await;
    let mut expected: Vec<String> = (0..12).map(|i| format!("lossy-{i}")).collect();
    expected.sort();
    assert_eq!(ids, expected, "one model per id");
    // Without an id the client makes one, so a lost answer is sent again just as safely:
    // every create gives exactly one model, named after the display name.
    for _ in 0..10 {
        let op = client
            .create_tuned_model_safely(&tuning_request("No id", tutorial_examples(), 4, 1), None)
            .await
            .unwrap();
        assert!(op.name.starts_with("tunedModels/no-id-"), "{}", op.name);
    }
    let ids = listed_ids(&client).await;
    assert_eq!(ids.len(), 22, "one model per create: {ids:?}");
    assert_eq!(ids.iter().filter(|i| i.starts_with("no-id-")).count(), 10);
}

/// A create answered 429 or 503 was not carried out: without an id too, it is sent again
/// (after the wait a 429 asks for) and starts exactly one job.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_refused_with_429_or_503_is_sent_again() {
    let mut options = fast_options();
    options.seed = 5;
    options.faults.rate_429 = 0.3;
    options.faults.rate_503 = 0.2;
    options.faults.retry_delay = Duration::from_millis(7);
    let emu = start(options).await;
    let (client, waits) = recording_client(&emu.base_url(), Credentials::None);
    for _ in 0..8 {
        client
            .create_tuned_model_safely(&tuning_request("busy", tutorial_examples(), 4, 1), None)
            .await
            .unwrap();
    }
    assert!(
        waits.lock().unwrap().contains(&Duration::from_millis(7)),
        "a 429's RetryInfo was honoured"
    );
    let ids = listed_ids(&client).await;
    assert_eq!(ids.len(), 8, "{ids:?}");
}

/// Nothing listens: the request never left, so even a create without an id is sent again.
#[tokio::test]
async fn a_create_that_never_reached_the_server_is_sent_again() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let (client, waits) = recording_client(&url, Credentials::None);
    let err = client
        .create_tuned_model_safely(&tuning_request("x", tutorial_examples(), 4, 1), None)
        .await
        .unwrap_err();
    assert!(err.unsent, "{err}");
    assert_eq!(waits.lock().unwrap().len(), 4, "the policy's four retries");
}

/// `--api-version v1` governs generation only: tuned models and their permissions exist only
/// in v1beta, so their management goes there whatever the version.
#[tokio::test]
async fn tuned_model_management_always_uses_v1beta() {
    let script = Script::default();
    for _ in 0..4 {
        script.push(200, MODEL_JSON);
    }
    script.push(200, r#"{"candidates": []}"#);
    script.push(200, r#"{"models": []}"#);
    let base = script.serve().await;
    let mut config = ClientConfig::new(&base, Credentials::None);
    config.api_version = "v1".into();
    let client = ApiClient::new(config).unwrap();
    client.get_tuned_model("x").await.unwrap();
    client.list_tuned_models(None, "", None).await.unwrap();
    client
        .create_tuned_model(&tuning_request("x", tutorial_examples(), 4, 1), Some("x"))
        .await
        .unwrap();
    client.list_permissions("x", None, "").await.unwrap();
    let request = GenerateContentRequest::text("hi");
    client
        .generate_content("tunedModels/x", &request)
        .await
        .unwrap();
    client.list_models(None, "").await.unwrap();
    let seen = script.seen();
    for line in &seen[..4] {
        assert!(line.contains(" /v1beta/tunedModels"), "{seen:?}");
    }
    assert!(
        seen[4].starts_with("POST /v1/tunedModels/x:generateContent"),
        "{seen:?}"
    );
    assert!(seen[5].starts_with("GET /v1/models"), "{seen:?}");
}

/// An access token with a project sends the project as x-goog-user-project, as user OAuth
/// credentials need on the Gemini API.
#[tokio::test]
async fn an_access_token_with_a_project_sends_x_goog_user_project() {
    let script = Script::default();
    script.push(200, MODEL_JSON);
    script.push(200, MODEL_JSON);
    let base = script.serve().await;
    let token = |project: Option<&str>| {
        Credentials::AccessToken("ya29.token".to_owned().into(), project.map(str::to_owned))
    };
    client_at(&base, token(Some("my-quota")))
        .get_tuned_model("x")
        .await
        .unwrap();
    client_at(&base, token(None))
        .get_tuned_model("x")
        .await
        .unwrap();
    let seen = script.seen();
    assert!(seen[0].ends_with(" bearer project=my-quota"), "{seen:?}");
    assert!(seen[1].ends_with(" bearer"), "{seen:?}");
}
