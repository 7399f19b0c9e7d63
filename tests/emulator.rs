//! The emulator over real HTTP: every route, the tutorial body, the recorded step formulas,
//! a full tuning run, persistence across a restart, each validation error, cancel, permissions,
//! filters, wire options and faults.

mod common;
use common::*;
use serde_json::{Value, json};
use std::time::Duration;
use tunedeck::api::types::*;
use tunedeck::emulator::EmulatorOptions;

/// Sends a raw request and returns the status and the JSON body.
async fn raw(method: &str, url: &str, body: Option<&str>) -> (u16, Value) {
    let client = reqwest::Client::new();
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

fn create_body(examples: &[(&str, &str)], batch: u32, epochs: u32) -> String {
    let ex: Vec<Value> = examples
        .iter()
        .map(|(i, o)| json!({"textInput": i, "output": o}))
        .collect();
    json!({
        "displayName": "test model",
        "baseModel": "models/gemini-1.5-flash-001-tuning",
        "tuningTask": {"hyperparameters": {"batchSize": batch, "epochCount": epochs, "learningRate": 0.001},
                       "trainingData": {"examples": {"examples": ex}}}
    })
    .to_string()
}

fn fifteen() -> Vec<(String, String)> {
    tutorial_examples()
        .into_iter()
        .map(|e| (e.text_input, e.output))
        .collect()
}

fn pairs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

/// The field named by the error's BadRequest detail.
fn violation_field(body: &Value) -> String {
    body["error"]["details"]
        .as_array()
        .and_then(|d| {
            d.iter()
                .find(|x| x["@type"] == "type.googleapis.com/google.rpc.BadRequest")
        })
        .and_then(|d| d["fieldViolations"][0]["field"].as_str())
        .unwrap_or("")
        .to_owned()
}

#[tokio::test]
async fn the_tutorial_curl_body_creates_a_model_like_the_live_service() {
    let emu = start(fast_options()).await;
    let (status, op) = raw(
        "POST",
        &format!("{}/v1beta/tunedModels", emu.base_url()),
        Some(&fixture("tutorial-create-request.json")),
    )
    .await;
    assert_eq!(status, 200, "{op}");
    let keys: Vec<&String> = op.as_object().unwrap().keys().collect();
    assert_eq!(keys, vec!["name", "metadata"], "no done, nothing else");
    let meta = op["metadata"].as_object().unwrap();
    assert_eq!(
        meta.keys().collect::<Vec<_>>(),
        vec!["@type", "totalSteps", "tunedModel"]
    );
    assert_eq!(op["metadata"]["@type"], CREATE_TUNED_MODEL_METADATA_TYPE);
    assert_eq!(op["metadata"]["totalSteps"], 38);
    let name = op["name"].as_str().unwrap();
    let (model, opid) = name.split_once("/operations/").unwrap();
    assert!(
        model.starts_with("tunedModels/number-generator-model-"),
        "{model}"
    );
    assert_eq!(opid.len(), 12);
    assert!(
        opid.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    );
    // The model exists at once, CREATING, and never echoes its training data.
    let (status, m) = raw("GET", &format!("{}/v1beta/{model}", emu.base_url()), None).await;
    assert_eq!(status, 200);
    assert_eq!(m["state"], "CREATING");
    assert_eq!(m["baseModel"], "models/gemini-1.0-pro-001");
    assert!(m["tuningTask"].get("trainingData").is_none());
    assert_eq!(
        m["tuningTask"]["hyperparameters"],
        json!({"learningRate": 0.001, "epochCount": 5, "batchSize": 2})
    );
    assert_eq!(
        (m["temperature"].clone(), m["topP"].clone()),
        (json!(0.9), json!(1)),
        "copied from the base model"
    );
}

#[tokio::test]
async fn total_steps_match_the_five_recorded_runs() {
    let emu = start(fast_options()).await;
    let data = fifteen();
    for (batch, epochs, recorded) in [
        (2, 5, 38),
        (4, 5, 19),
        (4, 100, 375),
        (2, 3, 23),
        (4, 50, 188),
    ] {
        let (status, op) = raw(
            "POST",
            &format!("{}/v1beta/tunedModels", emu.base_url()),
            Some(&create_body(&pairs(&data), batch, epochs)),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            op["metadata"]["totalSteps"], recorded,
            "batch {batch}, epochs {epochs}"
        );
    }
}

#[tokio::test]
async fn a_full_run_has_one_snapshot_per_step_with_the_recorded_epoch_formula() {
    let emu = start(fast_options()).await;
    let client = client_for(&emu);
    let op = client
        .create_tuned_model(
            &tuning_request("full run", tutorial_examples(), 2, 5),
            Some("full-run"),
        )
        .await
        .unwrap();
    let done = wait_done(&client, &op.name).await;
    let model = done.tuned_model().unwrap();
    let snaps = model.snapshots();
    assert_eq!(snaps.len(), 38);
    for (i, s) in snaps.iter().enumerate() {
        let step = i as i32 + 1;
        assert_eq!(s.step, step);
        assert_eq!(s.epoch, ((step * 2) / 15).min(5), "step {step}");
    }
    assert!(
        snaps.last().unwrap().mean_loss < snaps[0].mean_loss / 2.0,
        "the loss falls"
    );
    let meta = done.tuning_metadata().unwrap();
    assert_eq!((meta.completed_steps, meta.completed_percent), (38, 100.0));
    let task = model.tuning_task.as_ref().unwrap();
    assert!(model.create_time.unwrap() < task.start_time.unwrap());
    assert!(task.start_time.unwrap() <= snaps[0].compute_time.unwrap());
    assert_eq!(task.complete_time, model.update_time);
    // Raw JSON: epoch omitted while 0, the done operation carries the model with its @type.
    let (_, raw_op) = raw("GET", &format!("{}/v1/{}", emu.base_url(), op.name), None).await;
    assert!(raw_op["metadata"]["snapshots"][0].get("epoch").is_none());
    assert_eq!(raw_op["response"]["@type"], TUNED_MODEL_TYPE);
    assert_eq!(
        raw_op.as_object().unwrap().keys().collect::<Vec<_>>(),
        vec!["name", "metadata", "done", "response"]
    );
    // The tuned model answers every training input with its training output.
    for ex in tutorial_examples() {
        let answer = client
            .generate_content(
                "tunedModels/full-run",
                &GenerateContentRequest::text(&ex.text_input),
            )
            .await
            .unwrap();
        assert_eq!(answer.text(), ex.output, "prompt {:?}", ex.text_input);
    }
}

#[tokio::test]
async fn state_survives_a_restart_and_a_running_job_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let options = EmulatorOptions {
        state_file: Some(state.clone()),
        step_interval: Duration::from_millis(15),
        ..fast_options()
    };
    let emu = start(options.clone()).await;
    let client = client_for(&emu);
    let op = client
        .create_tuned_model(
            &tuning_request("survivor", tutorial_examples(), 1, 10),
            Some("survivor"),
        )
        .await
        .unwrap();
    let mut before = client.get_tuned_model("survivor").await.unwrap();
    for _ in 0..400 {
        if before.snapshots().len() >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        before = client.get_tuned_model("survivor").await.unwrap();
    }
    let steps_before = before.snapshots().len();
    assert!(
        steps_before > 0 && steps_before < 150,
        "{steps_before} steps before the restart"
    );
    emu.shutdown().await;

    let emu = start(options).await;
    let client = client_for(&emu);
    let after = client.get_tuned_model("survivor").await.unwrap();
    assert!(after.snapshots().len() >= steps_before);
    assert_eq!(
        &after.snapshots()[..steps_before],
        before.snapshots(),
        "history kept exactly"
    );
    let done = wait_done(&client, &op.name).await;
    let model = done.tuned_model().unwrap();
    let steps: Vec<i32> = model.snapshots().iter().map(|s| s.step).collect();
    assert_eq!(
        steps,
        (1..=150).collect::<Vec<_>>(),
        "the job resumed where it stopped"
    );
    let answer = client
        .generate_content(
            "tunedModels/survivor",
            &GenerateContentRequest::text("ninety nine"),
        )
        .await
        .unwrap();
    assert_eq!(
        answer.text(),
        "one hundred",
        "weights rebuilt by replay after the restart"
    );
}

#[tokio::test]
async fn each_validation_error_names_its_field() {
    let emu = start(fast_options()).await;
    let url = |q: &str| format!("{}/v1beta/tunedModels{q}", emu.base_url());
    let ok = create_body(&[("a", "b")], 1, 1);
    let long_input = "x".repeat(40_001);
    let long_output = "y".repeat(5_001);
    let both = json!({"baseModel": "models/gemini-1.5-flash-001-tuning",
        "tuningTask": {"hyperparameters": {"learningRate": 0.1, "learningRateMultiplier": 2},
                       "trainingData": {"examples": {"examples": [{"textInput": "a", "output": "b"}]}}}}).to_string();
    let not_tunable = ok.replace("gemini-1.5-flash-001-tuning", "gemini-2.5-flash");
    let long_name = ok.replace("test model", &"n".repeat(41));
    let none =
        json!({"baseModel": "models/gemini-1.5-flash-001-tuning", "tuningTask": {}}).to_string();
    let cases: Vec<(String, String, u16, &str)> = vec![
        (
            url("?tunedModelId=Bad_Id"),
            ok.clone(),
            400,
            "tuned_model_id",
        ),
        (url(""), long_name, 400, "tuned_model.display_name"),
        (url(""), none, 400, "tuned_model.tuning_task.training_data"),
        (
            url(""),
            create_body(&[("a", "b"), (&long_input, "c")], 1, 1),
            400,
            "tuned_model.tuning_task.training_data.examples.examples[1].text_input",
        ),
        (
            url(""),
            create_body(&[("a", &long_output)], 1, 1),
            400,
            "tuned_model.tuning_task.training_data.examples.examples[0].output",
        ),
        (
            url(""),
            both,
            400,
            "tuned_model.tuning_task.hyperparameters.learning_rate_multiplier",
        ),
        (url(""), not_tunable, 400, "tuned_model.base_model"),
    ];
    for (u, body, status, field) in cases {
        let (got, answer) = raw("POST", &u, Some(&body)).await;
        assert_eq!(got, status, "{field}: {answer}");
        assert_eq!(answer["error"]["status"], "INVALID_ARGUMENT");
        assert_eq!(violation_field(&answer), field, "{answer}");
    }
    let (s, _) = raw("POST", &url("?tunedModelId=dup"), Some(&ok)).await;
    assert_eq!(s, 200);
    let (s, answer) = raw("POST", &url("?tunedModelId=dup"), Some(&ok)).await;
    assert_eq!(
        (s, answer["error"]["status"].as_str()),
        (409, Some("ALREADY_EXISTS"))
    );
}

#[tokio::test]
async fn tuned_model_inference_rules() {
    let emu = start(fast_options()).await;
    let client = client_for(&emu);
    let op = client
        .create_tuned_model(
            &tuning_request("rules", tutorial_examples(), 4, 1),
            Some("rules"),
        )
        .await
        .unwrap();
    let url = format!(
        "{}/v1beta/tunedModels/rules:generateContent",
        emu.base_url()
    );
    // While CREATING it cannot answer.
    let (s, a) = raw(
        "POST",
        &url,
        Some(r#"{"contents": [{"parts": [{"text": "1"}]}]}"#),
    )
    .await;
    if s != 200 {
        assert_eq!(
            (s, a["error"]["status"].as_str()),
            (400, Some("FAILED_PRECONDITION"))
        );
    }
    wait_done(&client, &op.name).await;
    let big = "z".repeat(40_001);
    let cases = [
        (
            json!({"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": "AA=="}}]}]}),
            "contents[0].parts[0]",
        ),
        (
            json!({"contents": [{"parts": [{"text": "1"}]}], "systemInstruction": {"parts": [{"text": "be nice"}]}}),
            "system_instruction",
        ),
        (
            json!({"contents": [{"parts": [{"text": "1"}]}], "generationConfig": {"responseMimeType": "application/json"}}),
            "generation_config.response_mime_type",
        ),
        (
            json!({"contents": [{"parts": [{"text": big}]}]}),
            "contents",
        ),
    ];
    for (body, field) in cases {
        let (s, a) = raw("POST", &url, Some(&body.to_string())).await;
        assert_eq!(s, 400, "{field}: {a}");
        assert_eq!(violation_field(&a), field);
    }
    let (s, a) = raw(
        "POST",
        &url,
        Some(r#"{"contents": [{"parts": [{"text": "1"}]}]}"#),
    )
    .await;
    assert_eq!(
        (
            s,
            a["candidates"][0]["content"]["parts"][0]["text"].as_str()
        ),
        (200, Some("2"))
    );
}

#[tokio::test]
async fn cancel_is_bound_on_v1_only_and_ends_with_code_1() {
    let emu = start(EmulatorOptions {
        step_interval: Duration::from_millis(50),
        ..fast_options()
    })
    .await;
    let client = client_for(&emu);
    for id in ["cancel-a", "cancel-b"] {
        let op = client
            .create_tuned_model(&tuning_request(id, tutorial_examples(), 1, 50), Some(id))
            .await
            .unwrap();
        // The live v1beta binds CancelOperation for batches only: 404, and the job runs on.
        let (s, body) = raw(
            "POST",
            &format!("{}/v1beta/{}:cancel", emu.base_url(), op.name),
            Some("{}"),
        )
        .await;
        assert_eq!(s, 404, "{body}");
        assert_eq!(body["error"]["status"], "NOT_FOUND");
        assert!(!client.get_operation(&op.name).await.unwrap().is_cancelled());
        let (s, body) = raw(
            "POST",
            &format!("{}/v1/{}:cancel", emu.base_url(), op.name),
            Some("{}"),
        )
        .await;
        assert_eq!((s, body), (200, json!({})));
        let done = client.get_operation(&op.name).await.unwrap();
        assert!(done.is_cancelled(), "{done:?}");
        assert_eq!(done.error.unwrap().code, 1);
        let model = client.get_tuned_model(id).await.unwrap();
        assert_eq!(
            model.state,
            TunedModelState::Active,
            "usable with what it learned"
        );
        let steps = model.snapshots().len();
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(
            client.get_tuned_model(id).await.unwrap().snapshots().len(),
            steps,
            "no steps after cancel"
        );
    }
}

#[tokio::test]
async fn routes_versions_and_unknown_paths() {
    let emu = start(fast_options()).await;
    let b = emu.base_url();
    let client = client_for(&emu);
    let op = client
        .create_tuned_model(
            &tuning_request("routes", tutorial_examples(), 4, 1),
            Some("routes"),
        )
        .await
        .unwrap();
    wait_done(&client, &op.name).await;
    let generate = r#"{"contents": [{"parts": [{"text": "3"}]}]}"#;
    let expect = [
        ("GET", format!("{b}/v1beta/tunedModels"), None, 200),
        ("GET", format!("{b}/v1beta/tunedModels/routes"), None, 200),
        ("GET", format!("{b}/v1/tunedModels/routes"), None, 404),
        (
            "POST",
            format!("{b}/v1/tunedModels/routes:generateContent"),
            Some(generate),
            200,
        ),
        (
            "POST",
            format!("{b}/v1beta/tunedModels/routes:generateContent"),
            Some(generate),
            200,
        ),
        (
            "POST",
            format!("{b}/v1beta/tunedModels/routes:generateText"),
            Some(r#"{"prompt": {"text": "3"}}"#),
            200,
        ),
        (
            "POST",
            format!("{b}/v1beta/tunedModels/routes:countTokens"),
            Some(generate),
            404,
        ),
        (
            "POST",
            format!("{b}/v1beta/models/gemini-1.5-flash-001-tuning:countTokens"),
            Some(generate),
            200,
        ),
        ("GET", format!("{b}/v1/{}", op.name), None, 200),
        ("GET", format!("{b}/v1beta/{}", op.name), None, 200),
        (
            "GET",
            format!("{b}/v1/tunedModels/routes/operations"),
            None,
            200,
        ),
        (
            "GET",
            format!("{b}/v1beta/tunedModels/routes/operations"),
            None,
            200,
        ),
        ("GET", format!("{b}/v1/operations"), None, 200),
        ("GET", format!("{b}/v1beta/operations"), None, 404),
        ("GET", format!("{b}/v1/models"), None, 200),
        (
            "GET",
            format!("{b}/v1beta/models/gemini-1.0-pro-001"),
            None,
            200,
        ),
        ("GET", format!("{b}/v1beta/models/nope"), None, 404),
        (
            "GET",
            format!("{b}/v1beta/tunedModels/routes/permissions"),
            None,
            200,
        ),
        ("GET", format!("{b}/v2/tunedModels"), None, 404),
        (
            "PUT",
            format!("{b}/v1beta/tunedModels/routes"),
            Some("{}"),
            404,
        ),
        ("GET", format!("{b}/"), None, 404),
    ];
    for (method, url, body, status) in expect {
        let (got, answer) = raw(method, &url, body).await;
        assert_eq!(got, status, "{method} {url}: {answer}");
        if status == 404 {
            assert_eq!(
                answer["error"]["status"], "NOT_FOUND",
                "Google-style 404 JSON for {url}"
            );
        }
    }
    let (_, text) = raw(
        "POST",
        &format!("{b}/v1beta/tunedModels/routes:generateText"),
        Some(r#"{"prompt": {"text": "3"}}"#),
    )
    .await;
    assert_eq!(text["candidates"][0]["output"], "4");
    // DELETE /v1/operations/** forgets the operation, not the model.
    let (s, _) = raw("DELETE", &format!("{b}/v1/operations/{}", op.name), None).await;
    assert_eq!(s, 200);
    assert_eq!(
        raw("GET", &format!("{b}/v1/{}", op.name), None).await.0,
        404
    );
    assert_eq!(
        raw("GET", &format!("{b}/v1beta/tunedModels/routes"), None)
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn integer_enums_snake_case_input_and_both_stream_framings() {
    let emu = start(fast_options()).await;
    let b = emu.base_url();
    let client = client_for(&emu);
    let op = client
        .create_tuned_model(
            &tuning_request("frames", tutorial_examples(), 4, 1),
            Some("frames"),
        )
        .await
        .unwrap();
    wait_done(&client, &op.name).await;
    let (_, m) = raw(
        "GET",
        &format!("{b}/v1beta/tunedModels/frames?$alt=json;enum-encoding=int"),
        None,
    )
    .await;
    assert_eq!(m["state"], 2);
    assert_eq!(
        m["temperature"].to_string(),
        "1",
        "integral floats print without .0"
    );
    // GAPIC sends integer enums in requests.
    let (s, p) = raw(
        "POST",
        &format!("{b}/v1beta/tunedModels/frames/permissions?$alt=json;enum-encoding=int"),
        Some(r#"{"granteeType": 3, "role": 3}"#),
    )
    .await;
    assert_eq!(
        (s, p["granteeType"].clone(), p["role"].clone()),
        (200, json!(3), json!(3))
    );
    // snake_case bodies.
    let (s, _) = raw("POST", &format!("{b}/v1beta/tunedModels/frames:generateContent"), Some(r#"{"contents": [{"parts": [{"text": "1"}]}], "generation_config": {"max_output_tokens": 5}}"#)).await;
    assert_eq!(s, 200);
    // SSE: data: <json>\r\n\r\n, the last event with the finish reason.
    let sse = reqwest::Client::new()
        .post(format!(
            "{b}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
        ))
        .body(r#"{"contents": [{"parts": [{"text": "hi"}]}]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(sse.headers()["content-type"], "text/event-stream");
    let text = sse.text().await.unwrap();
    let events: Vec<&str> = text.split("\r\n\r\n").filter(|e| !e.is_empty()).collect();
    assert!(events.len() > 2);
    assert!(
        events
            .iter()
            .all(|e| e.starts_with("data: {") && !e.contains('\n'))
    );
    assert!(events.last().unwrap().contains(r#""finishReason": "STOP""#));
    assert!(!events[0].contains("finishReason"));
    // No alt: one JSON array, streamed.
    let (s, array) = raw(
        "POST",
        &format!("{b}/v1beta/tunedModels/frames:streamGenerateContent?$alt=json;enum-encoding=int"),
        Some(r#"{"contents": [{"parts": [{"text": "3"}]}]}"#),
    )
    .await;
    assert_eq!(s, 200);
    let chunks = array.as_array().expect("a JSON array");
    assert_eq!(chunks.last().unwrap()["candidates"][0]["finishReason"], 1);
}

#[tokio::test]
async fn patch_with_and_without_a_mask() {
    let emu = start(fast_options()).await;
    let b = emu.base_url();
    let client = client_for(&emu);
    client
        .create_tuned_model(
            &tuning_request("patchable", tutorial_examples(), 4, 1),
            Some("patchable"),
        )
        .await
        .unwrap();
    // google-generativeai: the whole model with a mask naming one field.
    let mut whole = client.get_tuned_model("patchable").await.unwrap();
    whole.description = "from the old SDK".into();
    whole.display_name = "ignored, not in the mask".into();
    let updated = client
        .update_tuned_model(&whole, &["description"])
        .await
        .unwrap();
    assert_eq!(
        (updated.description.as_str(), updated.display_name.as_str()),
        ("from the old SDK", "patchable")
    );
    // google-genai: no mask, only the fields it sets.
    let (s, m) = raw(
        "PATCH",
        &format!("{b}/v1beta/tunedModels/patchable"),
        Some(r#"{"displayName": "renamed"}"#),
    )
    .await;
    assert_eq!(
        (s, m["displayName"].as_str(), m["description"].as_str()),
        (200, Some("renamed"), Some("from the old SDK"))
    );
    let (s, e) = raw(
        "PATCH",
        &format!("{b}/v1beta/tunedModels/patchable?updateMask=baseModel"),
        Some("{}"),
    )
    .await;
    assert_eq!((s, violation_field(&e).as_str()), (400, "update_mask"));
    let (s, _) = raw(
        "PATCH",
        &format!("{b}/v1beta/tunedModels/patchable?updateMask=displayName"),
        Some(&json!({"displayName": "d".repeat(41)}).to_string()),
    )
    .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn permissions_transfer_and_list_filters() {
    let emu = start(EmulatorOptions {
        demo: true,
        ..fast_options()
    })
    .await;
    let client = client_for(&emu);
    let mine = client
        .list_tuned_models(None, "", None)
        .await
        .unwrap()
        .tuned_models;
    assert_eq!(
        mine.len(),
        2,
        "the public community demo is left out by default"
    );
    let public = client
        .list_tuned_models(None, "", Some("readers:everyone"))
        .await
        .unwrap()
        .tuned_models;
    assert_eq!(public.len(), 1);
    assert!(public[0].description.starts_with("Demo seeded"));
    let found = client
        .list_tuned_models(None, "", Some("roman"))
        .await
        .unwrap()
        .tuned_models;
    assert_eq!(found.len(), 1, "full-text search");

    let name = "tunedModels/number-generator-demo";
    let perms = client.all_permissions(name).await.unwrap();
    assert_eq!(perms.len(), 1);
    assert_eq!(perms[0].role, Role::Owner);
    let reader = client
        .create_permission(
            name,
            &Permission {
                grantee_type: Some(GranteeType::User),
                email_address: Some("ana@example.com".into()),
                role: Role::Reader,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        reader
            .name
            .rsplit('/')
            .next()
            .unwrap()
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    );
    let writer = client
        .update_permission(&reader.name, Role::Writer)
        .await
        .unwrap();
    assert_eq!(writer.role, Role::Writer);
    let err = client
        .create_permission(
            name,
            &Permission {
                grantee_type: Some(GranteeType::Everyone),
                email_address: Some("x@y.z".into()),
                role: Role::Reader,
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.http_status, Some(400));
    client.delete_permission(&reader.name).await.unwrap();
    assert_eq!(client.all_permissions(name).await.unwrap().len(), 1);

    // To the current owner: nothing changes, and the model stays found, listed and deletable
    // by its owner (it used to lose its owner and vanish).
    let before = client.all_permissions(name).await.unwrap();
    client
        .transfer_ownership(name, tunedeck::emulator::store::CALLER_EMAIL)
        .await
        .unwrap();
    assert_eq!(client.all_permissions(name).await.unwrap(), before);
    client.get_tuned_model(name).await.unwrap();
    let listed = client
        .list_tuned_models(None, "", Some("owner:me"))
        .await
        .unwrap()
        .tuned_models;
    assert!(listed.iter().any(|m| m.name == name));

    client
        .transfer_ownership(name, "boss@example.com")
        .await
        .unwrap();
    let perms = client.all_permissions(name).await.unwrap();
    let owner = perms.iter().find(|p| p.role == Role::Owner).unwrap();
    assert_eq!(owner.email_address.as_deref(), Some("boss@example.com"));
    assert!(perms.iter().any(|p| p.role == Role::Writer
        && p.email_address.as_deref() == Some(tunedeck::emulator::store::CALLER_EMAIL)));
    let owned = client
        .list_tuned_models(None, "", Some("owner:me"))
        .await
        .unwrap()
        .tuned_models;
    assert!(
        owned.iter().all(|m| m.name != name),
        "no longer mine to own"
    );
    let err = client.delete_tuned_model(name).await.unwrap_err();
    assert_eq!(err.http_status, Some(403), "a writer cannot delete");
}

#[tokio::test]
async fn demo_seed_and_base_models() {
    let emu = start(EmulatorOptions {
        demo: true,
        ..fast_options()
    })
    .await;
    let client = client_for(&emu);
    let demo = client
        .get_tuned_model("number-generator-demo")
        .await
        .unwrap();
    assert_eq!(demo.state, TunedModelState::Active);
    assert_eq!(demo.snapshots().len(), 38);
    assert_eq!(
        client
            .generate_content(&demo.name, &GenerateContentRequest::text("seven"))
            .await
            .unwrap()
            .text(),
        "eight"
    );
    let live = client.get_tuned_model("roman-numerals-demo").await.unwrap();
    assert_eq!(live.state, TunedModelState::Creating);
    let models = client.all_models().await.unwrap();
    let tunable: Vec<&str> = models
        .iter()
        .filter(|m| m.is_tunable())
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(
        tunable,
        vec![
            "models/gemini-1.5-flash-001-tuning",
            "models/gemini-1.0-pro-001"
        ]
    );
    assert!(models.len() > 2);
    assert_eq!(
        (demo.temperature, demo.top_p, demo.top_k),
        (Some(1.0), Some(0.95), Some(64))
    );
    let base = client
        .generate_content(
            "models/gemini-2.5-flash",
            &GenerateContentRequest::text("hello"),
        )
        .await
        .unwrap();
    assert!(
        base.text().contains("emulat"),
        "base models say they are emulated: {}",
        base.text()
    );
    let empty = start(fast_options()).await;
    assert!(
        client_for(&empty)
            .list_tuned_models(None, "", None)
            .await
            .unwrap()
            .tuned_models
            .is_empty()
    );
}

#[tokio::test]
async fn divergence_and_fault_injected_failures_end_failed() {
    let emu = start(fast_options()).await;
    let client = client_for(&emu);
    let mut request = tuning_request("diverge", tutorial_examples(), 2, 5);
    request.tuning_task.as_mut().unwrap().hyperparameters =
        Some(Hyperparameters::default().with_learning_rate(5.0));
    let op = client
        .create_tuned_model(&request, Some("diverge"))
        .await
        .unwrap();
    let done = wait_done(&client, &op.name).await;
    let error = done.error.expect("an error");
    assert!(error.message.contains("diverged"), "{}", error.message);
    assert_eq!(
        client.get_tuned_model("diverge").await.unwrap().state,
        TunedModelState::Failed
    );

    let faulty = start(EmulatorOptions {
        faults: tunedeck::emulator::faults::Faults {
            fail_job_rate: 1.0,
            ..Default::default()
        },
        ..fast_options()
    })
    .await;
    let client = client_for(&faulty);
    let op = client
        .create_tuned_model(
            &tuning_request("unlucky", tutorial_examples(), 2, 5),
            Some("unlucky"),
        )
        .await
        .unwrap();
    let done = wait_done(&client, &op.name).await;
    assert_eq!(done.error.unwrap().code, 13);
    assert_eq!(
        client.get_tuned_model("unlucky").await.unwrap().state,
        TunedModelState::Failed
    );
}

#[tokio::test]
async fn request_faults_and_the_required_key() {
    let emu = start(EmulatorOptions {
        faults: tunedeck::emulator::faults::Faults {
            rate_429: 1.0,
            retry_delay: Duration::from_millis(1500),
            ..Default::default()
        },
        ..fast_options()
    })
    .await;
    let (s, e) = raw(
        "GET",
        &format!("{}/v1beta/tunedModels", emu.base_url()),
        None,
    )
    .await;
    assert_eq!(
        (s, e["error"]["status"].as_str()),
        (429, Some("RESOURCE_EXHAUSTED"))
    );
    assert_eq!(e["error"]["details"][0]["retryDelay"], "1.5s");

    let keyed = start(EmulatorOptions {
        require_key: Some("k-123".to_owned().into()),
        ..fast_options()
    })
    .await;
    let b = keyed.base_url();
    let (s, e) = raw("GET", &format!("{b}/v1beta/tunedModels"), None).await;
    assert_eq!(s, 403);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unregistered callers")
    );
    assert_eq!(
        raw("GET", &format!("{b}/v1beta/tunedModels?key=k-123"), None)
            .await
            .0,
        200
    );
    assert_eq!(
        raw("GET", &format!("{b}/v1beta/tunedModels?key=nope"), None)
            .await
            .0,
        400
    );
    let bearer = reqwest::Client::new()
        .get(format!("{b}/v1beta/tunedModels"))
        .bearer_auth("k-123")
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), 200);
    // The scheme in any case (RFC 9110): bearer, BEARER.
    for scheme in ["bearer", "BEARER", "BeArEr"] {
        let answer = reqwest::Client::new()
            .get(format!("{b}/v1beta/tunedModels"))
            .header("authorization", format!("{scheme} k-123"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "{scheme}");
    }
}

#[tokio::test]
async fn a_quarter_of_answers_failing_still_completes_with_the_full_series() {
    let emu = start(EmulatorOptions {
        seed: 3,
        faults: tunedeck::emulator::faults::Faults {
            rate_429: 0.125,
            rate_503: 0.125,
            retry_delay: Duration::from_millis(5),
            ..Default::default()
        },
        ..fast_options()
    })
    .await;
    let mut config =
        tunedeck::api::ClientConfig::new(emu.base_url(), tunedeck::api::Credentials::None);
    config.retry.base_delay = Duration::from_millis(2);
    config.retry.max_retries = 10;
    let client = tunedeck::api::ApiClient::new(config).unwrap();
    // The create itself is never retried, so try it until one gets through.
    let mut op = None;
    for _ in 0..20 {
        if let Ok(o) = client
            .create_tuned_model(
                &tuning_request("flaky", tutorial_examples(), 2, 5),
                Some("flaky"),
            )
            .await
        {
            op = Some(o);
            break;
        }
    }
    let op = op.expect("a create got through");
    let done = wait_done(&client, &op.name).await;
    assert_eq!(done.tuned_model().unwrap().snapshots().len(), 38);
}

#[tokio::test]
async fn a_dropped_stream_fault_cuts_the_answer_after_the_first_chunk() {
    let emu = start(EmulatorOptions {
        faults: tunedeck::emulator::faults::Faults {
            drop_stream_rate: 1.0,
            ..Default::default()
        },
        ..fast_options()
    })
    .await;
    let client = client_for(&emu);
    let mut stream = client
        .stream_generate_content(
            "models/gemini-2.5-flash",
            &GenerateContentRequest::text("hello"),
        )
        .await
        .unwrap();
    use futures::StreamExt;
    let first = stream
        .next()
        .await
        .expect("a first chunk")
        .expect("it is whole");
    assert!(first.candidates[0].finish_reason.is_none());
    let rest: Vec<_> = stream.collect().await;
    let cut = rest
        .iter()
        .find_map(|r| r.as_ref().err())
        .unwrap_or_else(|| panic!("the connection drop surfaces as an error: {rest:?}"));
    assert!(
        cut.to_string().contains("connection was cut"),
        "it says what happened: {cut}"
    );
    assert!(
        rest.iter().all(|r| r
            .as_ref()
            .map(|c| c.candidates[0].finish_reason.is_none())
            .unwrap_or(true)),
        "no finish reason arrives"
    );
}

#[tokio::test]
async fn unknown_json_fields_are_refused_like_the_live_service() {
    let emu = start(fast_options()).await;
    let body = json!({"baseModel": "models/gemini-1.5-flash-001-tuning", "displayName": "x",
        "tuningTask": {"hyperparameters": {"epochCount": 1, "batchSize": 1, "learningRat": 0.1},
                       "trainingData": {"examples": {"examples": [{"textInput": "a", "output": "b"}]}}}})
    .to_string();
    let (status, error) = raw(
        "POST",
        &format!("{}/v1beta/tunedModels", emu.base_url()),
        Some(&body),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        error["error"]["message"],
        "Invalid JSON payload received. Unknown name \"learningRat\" at 'tuned_model.tuning_task.hyperparameters': Cannot find field."
    );
    assert_eq!(error["error"]["status"], "INVALID_ARGUMENT");
    assert_eq!(
        violation_field(&error),
        "tuned_model.tuning_task.hyperparameters.learning_rat"
    );
    // Top level of generateContent, and inside a list.
    let (status, error) = raw(
        "POST",
        &format!(
            "{}/v1beta/models/gemini-1.5-flash-001-tuning:generateContent",
            emu.base_url()
        ),
        Some(r#"{"contents": [{"parts": [{"text": "hi", "txt": 1}]}], "temprature": 1}"#),
    )
    .await;
    assert_eq!(status, 400);
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message
            == "Invalid JSON payload received. Unknown name \"txt\" at 'contents[0].parts[0]': Cannot find field."
            || message
                == "Invalid JSON payload received. Unknown name \"temprature\": Cannot find field.",
        "{message}"
    );
    // snake_case names of real fields are still accepted.
    let (status, _) = raw(
        "POST",
        &format!("{}/v1beta/models/gemini-1.5-flash-001-tuning:generateContent", emu.base_url()),
        Some(r#"{"contents": [{"parts": [{"text": "hi"}]}], "generation_config": {"max_output_tokens": 5}}"#),
    )
    .await;
    assert_eq!(status, 200);
}

/// Sends raw bytes to the emulator and returns what it answers (status, the JSON body).
fn raw_exchange(base_url: &str, request: &[u8]) -> (u16, serde_json::Value) {
    use std::io::{Read, Write};
    let addr = base_url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    // A refusal may come before everything is written; that is fine.
    let _ = stream.write_all(request);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let json = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {text:?}"));
    (status, json)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_http_layer_refusal_has_a_google_style_json_body() {
    let emu = start(fast_options()).await;
    let url = emu.base_url();
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("a bad request line", b"BLAH\r\n\r\n".to_vec(), 400, "could not be parsed"),
        (
            "a URI too long",
            format!(
                "GET /v1beta/tunedModels?x={} HTTP/1.1\r\nHost: x\r\n\r\n",
                "a".repeat(100_000)
            )
            .into_bytes(),
            414,
            "too long",
        ),
        (
            "a bad Content-Length",
            b"POST /v1beta/tunedModels HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n".to_vec(),
            400,
            "could not be parsed",
        ),
        (
            "a broken chunked body",
            b"POST /v1beta/tunedModels HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n".to_vec(),
            400,
            "",
        ),
    ];
    for (what, request, status, words) in cases {
        let url = url.clone();
        let (got, body) = tokio::task::spawn_blocking(move || raw_exchange(&url, &request))
            .await
            .unwrap();
        assert_eq!(got, status, "{what}: {body}");
        assert_eq!(body["error"]["code"], status, "{what}: {body}");
        assert!(body["error"]["status"].is_string(), "{what}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(words),
            "{what}: {body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_up_to_20_mib_are_read_and_larger_ones_refused_as_the_service_does() {
    let emu = start(fast_options()).await;
    let client = client_for(&emu);
    // 3 MB of examples: over axum's default 2 MiB, well under the service's 20 MiB.
    let examples: Vec<_> = (0..600)
        .map(|i| {
            tunedeck::api::types::TuningExample::new(
                format!("{i} {}", "x".repeat(4_990)),
                format!("{i}"),
            )
        })
        .collect();
    let op = client
        .create_tuned_model(&tuning_request("big", examples, 16, 1), Some("big"))
        .await
        .unwrap();
    assert!(op.name.starts_with("tunedModels/big/operations/"));
    let body = format!("{{\"displayName\": \"{}\"}}", "x".repeat(21 * 1024 * 1024));
    let (status, error) = raw(
        "POST",
        &format!("{}/v1beta/tunedModels", emu.base_url()),
        Some(&body),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        error["error"]["message"],
        "Request payload size exceeds the limit: 20971520 bytes."
    );
    assert_eq!(error["error"]["status"], "INVALID_ARGUMENT");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_sends_half_a_request_is_closed() {
    let emu = start(EmulatorOptions {
        header_timeout: std::time::Duration::from_secs(1),
        ..fast_options()
    })
    .await;
    let addr = emu.base_url().trim_start_matches("http://").to_owned();
    let closed = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        stream
            .write_all(b"GET /v1beta/tunedModels HTTP/1.1\r\nHost: x\r\n")
            .unwrap();
        let started = std::time::Instant::now();
        let mut answer = Vec::new();
        let result = stream.read_to_end(&mut answer);
        (result.is_ok(), started.elapsed())
    })
    .await
    .unwrap();
    assert!(
        closed.0,
        "the server closed the connection (not our 10 s read timeout)"
    );
    assert!(
        closed.1 < std::time::Duration::from_secs(8),
        "{:?}",
        closed.1
    );
}

#[tokio::test]
async fn oneofs_read_only_fields_and_malformed_json_are_answered_as_the_service_does() {
    let emu = start(fast_options()).await;
    let create = format!("{}/v1beta/tunedModels", emu.base_url());
    let message = |v: &Value| v["error"]["message"].as_str().unwrap_or("").to_owned();

    // Both members of the source oneof.
    let mut both: Value = serde_json::from_str(&create_body(&[("a", "b")], 1, 1)).unwrap();
    both["tunedModelSource"] = json!({"tunedModel": "tunedModels/number-generator-demo"});
    let (status, e) = raw("POST", &create, Some(&both.to_string())).await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(e["error"]["status"], "INVALID_ARGUMENT");
    assert!(
        message(&e).contains("oneof field 'source_model' is already set"),
        "{e}"
    );

    // Output-only fields in a create are ignored, as Google's APIs ignore them.
    let mut sneaky: Value = serde_json::from_str(&create_body(&[("a", "b")], 1, 1)).unwrap();
    sneaky["name"] = json!("tunedModels/hijacked");
    sneaky["state"] = json!("ACTIVE");
    sneaky["createTime"] = json!("2020-01-01T00:00:00Z");
    sneaky["tuningTask"]["snapshots"] = json!([{"step": 9, "meanLoss": 0.1}]);
    let (status, op) = raw(
        "POST",
        &format!("{create}?tunedModelId=honest"),
        Some(&sneaky.to_string()),
    )
    .await;
    assert_eq!(status, 200, "{op}");
    let client = client_for(&emu);
    let model = client.get_tuned_model("honest").await.unwrap();
    assert_eq!(model.name, "tunedModels/honest");
    assert_ne!(model.state, tunedeck::api::types::TunedModelState::Active);
    assert!(model.create_time.unwrap().timestamp() > 1_700_000_000);
    assert!(model.snapshots().iter().all(|s| s.step != 9));
    assert!(client.get_tuned_model("hijacked").await.is_err());

    // Malformed JSON: the front end's words, the line, and a caret under the position.
    for (body, reason, caret_at) in [
        (
            "{\"a\": 1 \"b\": 2}",
            "Expected , or } after key:value pair.",
            8,
        ),
        ("{\"displayName\": \"x\"} trailing", "Unexpected token.", 21),
        ("{1: 2}", "Expected an object key or }.", 1),
        ("{\"displayName\": \"x\"", "Unexpected end of string.", 19),
    ] {
        let (status, e) = raw("POST", &create, Some(body)).await;
        assert_eq!(status, 400, "{body}: {e}");
        let text = message(&e);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{body}: {text}");
        assert!(
            lines[0].starts_with("Invalid JSON payload received. ") && lines[0].contains(reason),
            "{body}: {text}"
        );
        assert_eq!(lines[1], body, "the offending line");
        assert_eq!(lines[2].find('^'), Some(caret_at), "{body}: {text}");
        assert!(!text.contains("line 1 column"), "{text}");
    }

    // A list where a message belongs is refused, not read field by field.
    let (status, e) = raw("POST", &create, Some("[{\"displayName\": \"x\"}]")).await;
    assert_eq!(status, 400);
    assert_eq!(
        message(&e),
        "Invalid JSON payload received. Unknown name \"\": Root element must be a message."
    );
    let listed = json!({"baseModel": "models/gemini-1.5-flash-001-tuning",
        "tuningTask": {"hyperparameters": [0.001, 5, 4],
                       "trainingData": {"examples": {"examples": [{"textInput": "a", "output": "b"}]}}}})
    .to_string();
    let (status, e) = raw("POST", &create, Some(&listed)).await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(
        message(&e),
        "Invalid JSON payload received. Unknown name \"hyperparameters\" at 'tuned_model.tuning_task': Proto field is not repeating, cannot start list."
    );

    // A negative maxOutputTokens.
    let (status, e) = raw(
        "POST",
        &format!(
            "{}/v1beta/models/gemini-1.5-flash-001-tuning:generateContent",
            emu.base_url()
        ),
        Some(r#"{"contents": [{"parts": [{"text": "hi"}]}], "generationConfig": {"maxOutputTokens": -5}}"#),
    )
    .await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(violation_field(&e), "generation_config.max_output_tokens");
}

#[tokio::test]
async fn tokens_are_checked_as_the_service_checks_them() {
    let emu = start(EmulatorOptions {
        require_token: Some("ya29.good-token".to_owned().into()),
        scopeless_tokens: vec!["ya29.no-tuning-scope".to_owned().into()],
        ..fast_options()
    })
    .await;
    let url = format!("{}/v1beta/tunedModels", emu.base_url());
    let with = |token: &str| {
        reqwest::Client::new()
            .get(&url)
            .header("authorization", format!("Bearer {token}"))
    };
    let body = |r: reqwest::Response| async move {
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    };
    assert_eq!(
        body(with("ya29.good-token").send().await.unwrap()).await.0,
        200
    );
    let (status, e) = body(with("ya29.someone-else").send().await.unwrap()).await;
    assert_eq!(status, 401, "{e}");
    assert_eq!(e["error"]["status"], "UNAUTHENTICATED");
    let (status, e) = body(with("ya29.no-tuning-scope").send().await.unwrap()).await;
    assert_eq!(status, 403, "{e}");
    assert_eq!(
        e["error"]["message"],
        "Request had insufficient authentication scopes."
    );
    assert_eq!(
        e["error"]["details"][0]["reason"],
        "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
    );
    assert_eq!(
        e["error"]["details"][0]["metadata"]["method"],
        "google.ai.generativelanguage.v1beta.ModelService.ListTunedModels"
    );
    // The recorded body's shape, field for field.
    let recorded: Value = serde_json::from_str(&fixture("error-insufficient-scopes.json")).unwrap();
    assert_eq!(
        e["error"]["details"][0]["domain"],
        recorded["error"]["details"][0]["domain"]
    );
    let (status, e) = raw("GET", &url, None).await;
    assert_eq!(
        status, 401,
        "no credentials where only tokens are taken: {e}"
    );

    // With a key required, a bearer token that is not the key is a bad token (401), a wrong key
    // is API_KEY_INVALID with the recorded details, LocalizedMessage included.
    let keyed = start(EmulatorOptions {
        require_key: Some("k-123".to_owned().into()),
        ..fast_options()
    })
    .await;
    let url = format!("{}/v1beta/tunedModels", keyed.base_url());
    let answer = reqwest::Client::new()
        .get(&url)
        .bearer_auth("ya29.an-oauth-token")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    let (status, e) = raw("GET", &format!("{url}?key=nope"), None).await;
    assert_eq!(status, 400);
    let recorded: Value = serde_json::from_str(&fixture("error-api-key-invalid.json")).unwrap();
    assert_eq!(e, recorded, "the recorded API_KEY_INVALID body");
}

#[tokio::test]
async fn a_state_file_with_an_unknown_state_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let emu = start(EmulatorOptions {
        state_file: Some(path.clone()),
        ..fast_options()
    })
    .await;
    client_for(&emu)
        .create_tuned_model(&tuning_request("x", tutorial_examples(), 4, 1), Some("x"))
        .await
        .unwrap();
    emu.shutdown().await;
    let text = std::fs::read_to_string(&path).unwrap();
    let state: Value = serde_json::from_str(&text).unwrap();
    let old = state["records"][0]["model"]["state"]
        .as_str()
        .unwrap()
        .to_owned();
    let bogus = text.replacen(&format!("\"state\":\"{old}\""), "\"state\":\"BOGUS\"", 1);
    assert_ne!(bogus, text, "the state was in the file");
    std::fs::write(&path, bogus).unwrap();
    let Err(e) = tunedeck::emulator::start(
        EmulatorOptions {
            state_file: Some(path.clone()),
            ..fast_options()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    else {
        panic!("an unknown state was loaded");
    };
    let e = format!("{e:#}");
    assert!(e.contains("BOGUS") && e.contains("state.json"), "{e}");
}

#[tokio::test]
async fn no_reported_time_lies_in_the_future_and_create_times_are_microseconds() {
    let emu = start(EmulatorOptions {
        step_interval: std::time::Duration::from_millis(50),
        ..fast_options()
    })
    .await;
    let (status, _) = raw(
        "POST",
        &format!("{}/v1beta/tunedModels?tunedModelId=timely", emu.base_url()),
        Some(&create_body(&[("a", "b"), ("c", "d")], 1, 3)),
    )
    .await;
    assert_eq!(status, 200);
    let mut saw_start = false;
    for _ in 0..40 {
        let (_, model) = raw(
            "GET",
            &format!("{}/v1beta/tunedModels/timely", emu.base_url()),
            None,
        )
        .await;
        let answered = chrono::Utc::now();
        for field in ["createTime", "updateTime"] {
            let t = model[field].as_str().unwrap();
            let fraction = t
                .split('.')
                .nth(1)
                .map_or(0, |f| f.trim_end_matches('Z').len());
            assert!(
                fraction <= 6,
                "{field} {t}: microseconds at most, as the service"
            );
        }
        if let Some(start) = model["tuningTask"]["startTime"].as_str() {
            saw_start = true;
            let start = tunedeck::api::serde_util::parse_timestamp(start).unwrap();
            assert!(
                start <= answered,
                "startTime {start} is after the answer ({answered})"
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(saw_start, "the job started within a second");
}

/// The tutorials' "tune a tuned model further": B starts from A's weights and outputs.
#[tokio::test]
async fn tuning_from_a_tuned_model_starts_from_what_it_learned() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let emu = start(EmulatorOptions {
        state_file: Some(state.clone()),
        ..fast_options()
    })
    .await;
    let client = client_for(&emu);
    let a = client
        .create_tuned_model(
            &tuning_request("A", tutorial_examples(), 2, 5),
            Some("model-a"),
        )
        .await
        .unwrap();
    let a = wait_done(&client, &a.name).await;
    let a_first = a.tuned_model().unwrap().snapshots()[0].mean_loss;
    // B: new numbers in the same style, and none of A's examples.
    let more: Vec<_> = [
        ("fifty", "fifty one"),
        ("sixty", "sixty one"),
        ("40", "41"),
        ("-7", "-6"),
    ]
    .into_iter()
    .map(|(i, o)| tunedeck::api::types::TuningExample::new(i, o))
    .collect();
    let mut request = tuning_request("B", more, 2, 5);
    request.base_model = None;
    request.tuned_model_source = Some(tunedeck::api::types::TunedModelSource {
        tuned_model: Some("tunedModels/model-a".into()),
        base_model: None,
    });
    let b = client
        .create_tuned_model(&request, Some("model-b"))
        .await
        .unwrap();
    let b = wait_done(&client, &b.name).await;
    let b_model = b.tuned_model().unwrap();
    let b_first = b_model.snapshots()[0].mean_loss;
    assert!(
        b_first < a_first / 2.0,
        "B starts near where A ended: first loss {b_first} vs A's first {a_first}"
    );
    // The source chain, as the service reports it.
    let b_model = client.get_tuned_model("model-b").await.unwrap();
    let source = b_model.tuned_model_source.as_ref().unwrap();
    assert_eq!(source.tuned_model.as_deref(), Some("tunedModels/model-a"));
    assert_eq!(
        source.base_model.as_deref(),
        Some("models/gemini-1.5-flash-001-tuning")
    );
    // B answers A's inputs as A did, and its own as it learned.
    let answer = |prompt: &'static str| {
        let client = client.clone();
        async move {
            client
                .generate_content(
                    "tunedModels/model-b",
                    &tunedeck::api::types::GenerateContentRequest::text(prompt),
                )
                .await
                .unwrap()
                .text()
        }
    };
    assert_eq!(answer("seven").await, "eight", "one of A's examples");
    assert_eq!(answer("fifty").await, "fifty one", "one of B's");
    // A deleted, then a restart: B's record carries A's training, so B is rebuilt by replay
    // and still answers as A taught it.
    client.delete_tuned_model("model-a").await.unwrap();
    emu.shutdown().await;
    let emu = start(EmulatorOptions {
        state_file: Some(state),
        ..fast_options()
    })
    .await;
    let answer = client_for(&emu)
        .generate_content(
            "tunedModels/model-b",
            &tunedeck::api::types::GenerateContentRequest::text("thirteen"),
        )
        .await
        .unwrap()
        .text();
    assert_eq!(answer, "fourteen");
}

/// One request over a fresh connection: the status, the headers (lower-cased names) and every
/// byte after them.
fn raw_head_and_body(
    base_url: &str,
    method: &str,
    path: &str,
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    use std::io::{Read, Write};
    let addr = base_url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a whole head");
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines.next().unwrap()[9..12].parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
        .collect();
    (status, headers, answer[split + 4..].to_vec())
}

/// Issue 25 item 5: HEAD is answered wherever GET is, as Google's front end does: GET's status
/// and headers, Content-Length included, and no body (it was an empty 404).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_is_answered_wherever_get_is_with_gets_headers_and_no_body() {
    let emu = start(EmulatorOptions {
        demo: true,
        ..fast_options()
    })
    .await;
    let url = emu.base_url();
    let paths = [
        "/v1beta/tunedModels",
        "/v1beta/tunedModels/number-generator-model",
        "/v1beta/models/gemini-1.5-flash-001-tuning",
        "/v1/projects/tunedeck-demo/locations/us-central1/tuningJobs",
        "/storage/v1/b/tunedeck-demo/o",
        "/v1beta/tunedModels/no-such-model",
    ];
    for path in paths {
        let get = {
            let url = url.clone();
            tokio::task::spawn_blocking(move || raw_head_and_body(&url, "GET", path))
        }
        .await
        .unwrap();
        let head = {
            let url = url.clone();
            tokio::task::spawn_blocking(move || raw_head_and_body(&url, "HEAD", path))
        }
        .await
        .unwrap();
        assert_eq!(head.0, get.0, "HEAD {path}: GET's status");
        assert!(!get.2.is_empty(), "GET {path} has a body");
        assert!(head.2.is_empty(), "HEAD {path} has no body: {:?}", head.2);
        let header = |h: &[(String, String)], name: &str| {
            h.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        };
        assert_eq!(
            header(&head.1, "content-type"),
            header(&get.1, "content-type"),
            "HEAD {path}"
        );
        assert_eq!(
            header(&head.1, "content-length"),
            Some(get.2.len().to_string()),
            "HEAD {path}: the length GET's body has"
        );
    }
    emu.shutdown().await;
}

/// The property names of a schema in the aiplatform v1 discovery document.
fn aiplatform_properties(schema: &str) -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/discovery/aiplatform.v1.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["schemas"][schema]["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("{schema} in the discovery document"))
        .keys()
        .cloned()
        .collect()
}

/// Issue 25 item 16: Vertex `models.delete` answers a GoogleLongrunningOperation (it was `{}`):
/// done, named `projects/N/locations/L/operations/ID`, with DeleteOperationMetadata of the
/// request's version and an empty response, every field one the discovery document has.
#[tokio::test]
async fn a_vertex_model_delete_answers_a_done_operation() {
    let emu = start(EmulatorOptions {
        demo: true,
        ..fast_options()
    })
    .await;
    let parent = "projects/tunedeck-demo/locations/us-central1";
    let (_, jobs) = raw(
        "GET",
        &format!("{}/v1/{parent}/tuningJobs", emu.base_url()),
        None,
    )
    .await;
    let model = jobs["tuningJobs"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|j| j["tunedModel"]["model"].as_str())
        .expect("the demo's finished job has a model")
        .to_owned();
    let (status, op) = raw(
        "DELETE",
        &format!("{}/v1beta1/{model}", emu.base_url()),
        None,
    )
    .await;
    assert_eq!(status, 200, "{op}");
    assert_eq!(op["done"], true, "{op}");
    let name = op["name"].as_str().unwrap();
    let project = model.split('/').nth(1).unwrap();
    let id = name
        .strip_prefix(&format!(
            "projects/{project}/locations/us-central1/operations/"
        ))
        .unwrap_or_else(|| panic!("{name}"));
    assert!(
        id.len() >= 19 && id.bytes().all(|b| b.is_ascii_digit()),
        "{name}"
    );
    assert_eq!(
        op["metadata"]["@type"],
        "type.googleapis.com/google.cloud.aiplatform.v1beta1.DeleteOperationMetadata"
    );
    assert_eq!(
        op["response"]["@type"],
        "type.googleapis.com/google.protobuf.Empty"
    );
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    let allowed = aiplatform_properties("GoogleLongrunningOperation");
    assert!(keys(&op).iter().all(|k| allowed.contains(k)), "{op}");
    let allowed = aiplatform_properties("GoogleCloudAiplatformV1DeleteOperationMetadata");
    assert!(
        keys(&op["metadata"])
            .iter()
            .all(|k| k == "@type" || allowed.contains(k)),
        "{op}"
    );
    let allowed = aiplatform_properties("GoogleCloudAiplatformV1GenericOperationMetadata");
    let generic = &op["metadata"]["genericMetadata"];
    assert!(keys(generic).iter().all(|k| allowed.contains(k)), "{op}");
    for time in ["createTime", "updateTime"] {
        chrono::DateTime::parse_from_rfc3339(generic[time].as_str().unwrap()).unwrap();
    }
    let (status, _) = raw("DELETE", &format!("{}/v1/{model}", emu.base_url()), None).await;
    assert_eq!(status, 404, "deleted once");
    emu.shutdown().await;
}
