//! The validator itself: it accepts what Google sent (the recorded bodies, the tutorial's
//! request) and refuses each kind of mistake, on each version's description.

use super::*;

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
    let typo = exchange(
        "GET",
        "/v1beta/tunedModels",
        "page_size=5&pageToken=x",
        "",
        "{}",
    );
    assert_eq!(
        problems(&typo),
        vec!["GET /v1beta/tunedModels 200: query parameter \"page_size\" is not declared"]
    );
    let mut error = exchange("GET", "/v1beta/tunedModels/m", "", "", "");
    error.status = 404;
    error.response = r#"{"error": {"code": 404, "message": "gone", "status": "GONE"}}"#.into();
    assert_eq!(
        problems(&error),
        vec!["GET /v1beta/tunedModels/m 404: error.status: \"GONE\" does not fit"]
    );
}
