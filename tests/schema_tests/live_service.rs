//! Where the emulator met the live service (issue 25, item 17): no route the live service lacks
//! (cancel is v1's), Vertex bodies with unknown fields refused in the Gemini API's words, and
//! empty lists and default values left out of answers.

use super::*;

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
    // An open model's fields (v1beta1's), on an open model: a Gemini model refuses them.
    known["supervisedTuningSpec"]["tuningMode"] = json!("TUNING_MODE_FULL");
    let (status, _) = raw("POST", &beta_jobs, Some(&known.to_string())).await;
    assert_eq!(status, 400, "a Gemini model takes no tuning mode");
    known["baseModel"] = json!("meta/llama3_1@llama-3.1-8b");
    known["outputUri"] = json!("gs://schema-bucket/out");
    let hp = &mut known["supervisedTuningSpec"]["hyperParameters"];
    hp.as_object_mut().unwrap().remove("learningRateMultiplier");
    hp.as_object_mut().unwrap().remove("adapterSize");
    let (status, answer) = raw("POST", &beta_jobs, Some(&known.to_string())).await;
    assert_eq!(status, 200, "{answer}");
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
