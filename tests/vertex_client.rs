//! The Vertex AI client against the emulator over HTTP, every method: Cloud Storage uploads
//! (one request and resumable), reads and checks; tuning jobs created, followed, listed (every
//! page, by state), cancelled; metrics read whole and then incrementally while a job runs;
//! generation on the tuned endpoint, a checkpoint and a publisher model, whole and streamed;
//! a tuned model deleted; errors.

mod common;
use common::*;
use futures::StreamExt;
use std::time::Duration;
use tunedeck::api::types::{Content, GenerateContentRequest};
use tunedeck::api::vertex::client::{
    EVAL_LOSS, MetricsCache, TRAIN_LOSS, VertexClient, parse_gs_uri,
};
use tunedeck::api::vertex::types::*;
use tunedeck::emulator::EmulatorOptions;

const CAPITALS: [(&str, &str); 8] = [
    ("city france", "the capital is paris"),
    ("city italy", "the capital is rome"),
    ("city spain", "the capital is madrid"),
    ("city japan", "the capital is tokyo"),
    ("city kenya", "the capital is nairobi"),
    ("city peru", "the capital is lima"),
    ("city chile", "the capital is santiago"),
    ("city egypt", "the capital is cairo"),
];

fn jsonl(pairs: &[(&str, &str)]) -> Vec<u8> {
    pairs
        .iter()
        .map(|(q, a)| {
            serde_json::json!({"contents": [
                {"role": "user", "parts": [{"text": q}]},
                {"role": "model", "parts": [{"text": a}]}
            ]})
            .to_string()
                + "\n"
        })
        .collect::<String>()
        .into_bytes()
}

fn vertex(emu: &tunedeck::emulator::RunningEmulator) -> VertexClient {
    VertexClient::new(
        client_for(emu),
        client_for(emu),
        "my-project",
        "us-central1",
    )
}

fn job_request(epochs: i64, validation: bool) -> TuningJob {
    TuningJob {
        base_model: "gemini-2.5-flash".into(),
        tuned_model_display_name: "capitals".into(),
        supervised_tuning_spec: Some(SupervisedTuningSpec {
            training_dataset_uri: "gs://tunedeck-test/train.jsonl".into(),
            validation_dataset_uri: if validation {
                "gs://tunedeck-test/validation.jsonl".into()
            } else {
                String::new()
            },
            hyper_parameters: Some(HyperParameters {
                epoch_count: Some(epochs),
                adapter_size: AdapterSize::Sixteen,
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

async fn wait_ended(client: &VertexClient, name: &str) -> TuningJob {
    for _ in 0..2000 {
        let job = client.get_tuning_job(name).await.expect("get");
        if job.state.is_terminal() {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{name} did not end");
}

async fn upload_datasets(client: &VertexClient) {
    let mut events = Vec::new();
    let object = client
        .upload("tunedeck-test", "train.jsonl", &jsonl(&CAPITALS), |s, t| {
            events.push((s, t))
        })
        .await
        .expect("upload");
    assert_eq!(object.size, Some(jsonl(&CAPITALS).len() as i64));
    assert_eq!(
        events.last().map(|e| e.0),
        Some(object.size.unwrap() as u64)
    );
    client
        .upload(
            "tunedeck-test",
            "validation.jsonl",
            &jsonl(&CAPITALS[..3]),
            |_, _| {},
        )
        .await
        .expect("upload");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_uploads_small_and_resumable_files_and_reads_them_back() {
    let emu = start(fast_options()).await;
    let client = vertex(&emu);
    // 9 MiB: above the one-request limit, so it goes up in resumable chunks.
    let big: Vec<u8> = (0..9 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let mut events = Vec::new();
    let object = client
        .upload("bkt", "dir/big file.jsonl", &big, |sent, total| {
            events.push((sent, total))
        })
        .await
        .expect("resumable upload");
    assert_eq!(object.name, "dir/big file.jsonl");
    assert!(events.len() >= 2, "progress came in chunks: {events:?}");
    assert!(events.windows(2).all(|w| w[0].0 <= w[1].0), "{events:?}");
    assert_eq!(events.last(), Some(&(big.len() as u64, big.len() as u64)));
    assert_eq!(
        client
            .read_object("bkt", "dir/big file.jsonl")
            .await
            .unwrap(),
        big
    );
    let meta = client
        .get_object("bkt", "dir/big file.jsonl")
        .await
        .unwrap();
    assert_eq!(meta.size, Some(big.len() as i64));
    let missing = client.get_object("bkt", "nope.jsonl").await.unwrap_err();
    assert_eq!(missing.http_status, Some(404));
    assert_eq!(parse_gs_uri("gs://bkt/dir/x"), Some(("bkt", "dir/x")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_is_created_followed_listed_and_its_metrics_read_whole_and_incrementally() {
    let options = EmulatorOptions {
        step_interval: Duration::from_millis(15),
        ..fast_options()
    };
    let emu = start(options).await;
    let client = vertex(&emu);
    upload_datasets(&client).await;

    let created = client
        .create_tuning_job(&job_request(6, true))
        .await
        .expect("create");
    assert_eq!(created.state, JobState::Pending);
    assert!(created.name.contains("/tuningJobs/"));
    // Incremental reads while it runs add up to the whole series.
    let mut cache = MetricsCache::default();
    let mut merged: Vec<(i64, f64)> = Vec::new();
    let mut polls = 0;
    let job = loop {
        let job = client.get_tuning_job(&created.name).await.unwrap();
        if job.state == JobState::Running || job.state.is_terminal() {
            let before = cache.requests;
            let new = client
                .read_metrics(&job, &mut cache)
                .await
                .expect("metrics");
            if polls > 0 {
                assert!(
                    cache.requests - before <= cache.series.len() as u64,
                    "a warm poll costs a request a series"
                );
            }
            polls += 1;
            merged.extend(
                new.get(TRAIN_LOSS)
                    .into_iter()
                    .flatten()
                    .map(|p| (p.step, p.value)),
            );
        }
        if job.state.is_terminal() {
            break job;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    let steps = job.step_count().expect("tuningStepCount");
    assert!(polls >= 2, "the job was read while it ran");
    let fresh = client
        .read_metrics(&job, &mut MetricsCache::default())
        .await
        .unwrap();
    let whole: Vec<(i64, f64)> = fresh[TRAIN_LOSS]
        .iter()
        .map(|p| (p.step, p.value))
        .collect();
    assert_eq!(whole.len() as i64, steps, "one point per step");
    assert_eq!(merged, whole, "incremental reads equal one whole read");
    assert!(whole.last().unwrap().1 < whole[0].1, "the loss falls");
    assert!(
        !fresh[EVAL_LOSS].is_empty(),
        "a validation set gives eval points"
    );

    let tuned = job.tuned_model.clone().expect("tunedModel");
    assert_eq!(tuned.checkpoints.len(), 6);
    let request = |text: &str| GenerateContentRequest {
        contents: vec![Content::user_text(text)],
        ..Default::default()
    };
    let answer = client
        .generate_content(&tuned.endpoint, &request(CAPITALS[2].0))
        .await
        .unwrap();
    assert_eq!(answer.text(), CAPITALS[2].1);
    let mut stream = client
        .stream_generate_content(&tuned.checkpoints[4].endpoint, &request(CAPITALS[5].0))
        .await
        .unwrap();
    let mut streamed = String::new();
    while let Some(chunk) = stream.next().await {
        streamed.push_str(&chunk.unwrap().text());
    }
    assert_eq!(streamed, CAPITALS[5].1);
    let base = client
        .generate_content("gemini-2.5-flash", &request("Hi"))
        .await
        .unwrap();
    assert!(base.text().contains("emulat"));

    // A second job, cancelled; the list has both, every page, and filters by state.
    let second = client
        .create_tuning_job(&job_request(200, false))
        .await
        .unwrap();
    client.cancel_tuning_job(&second.name).await.unwrap();
    let second = wait_ended(&client, &second.name).await;
    assert_eq!(second.state, JobState::Cancelled);
    assert_eq!(second.error.as_ref().map(|e| e.code), Some(1));
    let page = client.list_tuning_jobs(Some(1), "", "").await.unwrap();
    assert_eq!(page.tuning_jobs.len(), 1);
    assert!(!page.next_page_token.is_empty());
    let all = client.all_tuning_jobs("").await.unwrap();
    assert_eq!(all.len(), 2);
    let done = client
        .all_tuning_jobs("state=\"JOB_STATE_SUCCEEDED\"")
        .await
        .unwrap();
    assert_eq!(
        done.iter().map(|j| j.name.as_str()).collect::<Vec<_>>(),
        vec![job.name.as_str()]
    );
    let again = client.cancel_tuning_job(&second.name).await.unwrap_err();
    assert_eq!(
        again.http_status,
        Some(400),
        "a finished job cannot be cancelled"
    );

    // Deleting the model takes its endpoints with it.
    client.delete_model(&tuned.model).await.unwrap();
    let gone = client
        .generate_content(&tuned.endpoint, &request(CAPITALS[2].0))
        .await
        .unwrap_err();
    assert_eq!(gone.http_status, Some(404));
    let missing = client
        .get_tuning_job(&format!("{}/tuningJobs/404", client.parent()))
        .await
        .unwrap_err();
    assert_eq!(missing.http_status, Some(404));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_rules_refuse_bad_jobs_and_bad_datasets_fail_the_job() {
    let emu = start(fast_options()).await;
    let client = vertex(&emu);
    upload_datasets(&client).await;
    let mut pro = job_request(1, false);
    pro.base_model = "gemini-2.5-pro".into();
    let e = client.create_tuning_job(&pro).await.unwrap_err();
    assert_eq!(e.http_status, Some(400));
    assert!(
        e.message.contains("adapter size is not supported"),
        "{}",
        e.message
    );
    let mut old = job_request(1, false);
    old.base_model = "gemini-1.0-pro".into();
    let e = client.create_tuning_job(&old).await.unwrap_err();
    assert!(e.message.contains("gemini-2.5-flash"), "{}", e.message);
    // A dataset that does not exist, or does not parse, fails the job, not the create.
    let mut missing = job_request(1, false);
    if let Some(spec) = missing.supervised_tuning_spec.as_mut() {
        spec.training_dataset_uri = "gs://tunedeck-test/none.jsonl".into();
    }
    let job = client.create_tuning_job(&missing).await.unwrap();
    let job = wait_ended(&client, &job.name).await;
    assert_eq!(job.state, JobState::Failed);
    assert!(
        job.error
            .as_ref()
            .unwrap()
            .message
            .contains("No such object"),
        "{:?}",
        job.error
    );
    client
        .upload(
            "tunedeck-test",
            "broken.jsonl",
            b"{\"contents\": [\n",
            |_, _| {},
        )
        .await
        .unwrap();
    let mut broken = job_request(1, false);
    if let Some(spec) = broken.supervised_tuning_spec.as_mut() {
        spec.training_dataset_uri = "gs://tunedeck-test/broken.jsonl".into();
    }
    let job = client.create_tuning_job(&broken).await.unwrap();
    let job = wait_ended(&client, &job.name).await;
    let message = &job.error.as_ref().unwrap().message;
    assert!(
        message.contains("line 1 of gs://tunedeck-test/broken.jsonl"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn continuing_from_a_tuned_model_starts_from_its_weights() {
    let options = EmulatorOptions {
        step_interval: Duration::from_millis(5),
        ..fast_options()
    };
    let emu = start(options).await;
    let client = vertex(&emu);
    upload_datasets(&client).await;
    let first = client
        .create_tuning_job(&job_request(8, false))
        .await
        .unwrap();
    let first = wait_ended(&client, &first.name).await;
    let model = first.tuned_model.clone().unwrap().model;
    let mut next = job_request(1, false);
    next.base_model.clear();
    next.pre_tuned_model = Some(PreTunedModel {
        tuned_model_name: model.clone(),
        ..Default::default()
    });
    let second = client.create_tuning_job(&next).await.unwrap();
    assert_eq!(
        second
            .pre_tuned_model
            .as_ref()
            .map(|p| p.base_model.as_str()),
        Some("gemini-2.5-flash")
    );
    let second = wait_ended(&client, &second.name).await;
    assert_eq!(second.state, JobState::Succeeded, "{:?}", second.error);
    let new_model = second.tuned_model.clone().unwrap().model;
    assert!(
        new_model.ends_with("@2") && new_model.split('@').next() == model.split('@').next(),
        "the same display name makes a new version: {model} then {new_model}"
    );
    let loss = |job: &TuningJob| {
        let client = client.clone();
        let job = job.clone();
        async move {
            client
                .read_metrics(&job, &mut MetricsCache::default())
                .await
                .unwrap()[TRAIN_LOSS]
                .clone()
        }
    };
    // From a checkpoint: the first epoch's weights, under a new name (a new model).
    let mut from_checkpoint = job_request(1, false);
    from_checkpoint.base_model.clear();
    from_checkpoint.tuned_model_display_name = "from-epoch-one".into();
    from_checkpoint.pre_tuned_model = Some(PreTunedModel {
        tuned_model_name: model.clone(),
        checkpoint_id: "1".into(),
        ..Default::default()
    });
    let third = client.create_tuning_job(&from_checkpoint).await.unwrap();
    let third = wait_ended(&client, &third.name).await;
    let third_model = third.tuned_model.clone().unwrap().model;
    assert!(
        third_model.ends_with("@1") && third_model.split('@').next() != model.split('@').next(),
        "a new name makes a new model: {third_model}"
    );
    let mut missing = from_checkpoint.clone();
    if let Some(p) = missing.pre_tuned_model.as_mut() {
        p.checkpoint_id = "99".into();
    }
    let e = client.create_tuning_job(&missing).await.unwrap_err();
    assert_eq!(e.http_status, Some(404), "{}", e.message);
    let (a, b) = (loss(&first).await, loss(&second).await);
    assert!(
        b[0].value < a[0].value / 2.0,
        "continued training starts low: {} vs {}",
        b[0].value,
        a[0].value
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_and_jobs_survive_a_restart_and_a_running_job_finishes_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let options = EmulatorOptions {
        state_file: Some(dir.path().join("state.json")),
        step_interval: Duration::from_millis(20),
        ..fast_options()
    };
    let emu = start(options.clone()).await;
    let client = vertex(&emu);
    upload_datasets(&client).await;
    let job = client
        .create_tuning_job(&job_request(30, true))
        .await
        .unwrap();
    // Stop it part-way.
    loop {
        let now = client.get_tuning_job(&job.name).await.unwrap();
        if now
            .tuning_job_metadata
            .as_ref()
            .and_then(|m| m.completed_step_count)
            .is_some_and(|s| s >= 3)
            || now.state.is_terminal()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    emu.shutdown().await;

    let emu = start(options).await;
    let client = vertex(&emu);
    assert_eq!(
        client
            .read_object("tunedeck-test", "train.jsonl")
            .await
            .unwrap(),
        jsonl(&CAPITALS),
        "an acknowledged upload is on disk"
    );
    let done = wait_ended(&client, &job.name).await;
    assert_eq!(done.state, JobState::Succeeded, "{:?}", done.error);
    let series = client
        .read_metrics(&done, &mut MetricsCache::default())
        .await
        .unwrap();
    let steps: Vec<i64> = series[TRAIN_LOSS].iter().map(|p| p.step).collect();
    assert_eq!(
        steps,
        (1..=done.step_count().unwrap()).collect::<Vec<_>>(),
        "no step lost or repeated across the restart"
    );
}

/// A server with the shapes the metrics recipe's fallbacks are for: an experiment context without
/// `backing_tensorboard_resource`, no ExperimentRun child, a default TensorBoard to find and a
/// run to list. The client must still read every point; the paths it asked for are returned.
async fn fallback_server() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use axum::response::IntoResponse;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let p = "projects/1/locations/us-central1";
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let log = log.clone();
        async move {
            let path = req.uri().path().to_owned();
            log.lock().unwrap().push(path.clone());
            let tb = format!("{p}/tensorboards/77");
            let run = format!("{tb}/experiments/exp-1/runs/only-run");
            let body = if path == format!("/v1/{p}/metadataStores/default/contexts/exp-1") {
                serde_json::json!({"name": format!("{p}/metadataStores/default/contexts/exp-1"), "metadata": {}})
            } else if path == format!("/v1/{p}/metadataStores/default/contexts") {
                serde_json::json!({})
            } else if path == format!("/v1/{p}/tensorboards") {
                serde_json::json!({"tensorboards": [
                    {"name": format!("{p}/tensorboards/5")},
                    {"name": tb, "isDefault": true}
                ]})
            } else if path == format!("/v1/{tb}/experiments/exp-1/runs") {
                serde_json::json!({"tensorboardRuns": [{"name": run}]})
            } else if path == format!("/v1/{run}/timeSeries") {
                serde_json::json!({"tensorboardTimeSeries": [
                    {"name": format!("{run}/timeSeries/9"), "displayName": "/train_total_loss"}
                ]})
            } else if path == format!("/v1/{run}/timeSeries/9:read") {
                // Out of order, as a sample may come.
                serde_json::json!({"timeSeriesData": {"tensorboardTimeSeriesId": "9", "values": [
                    {"step": "2", "scalar": {"value": 1.5}},
                    {"step": 1, "scalar": {"value": 2.5}, "wallTime": "2026-01-01T00:00:00Z"}
                ]}})
            } else {
                return (axum::http::StatusCode::NOT_FOUND, "{}").into_response();
            };
            axum::Json(body).into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

#[tokio::test]
async fn metrics_are_found_through_the_fallbacks_when_the_recipe_s_links_are_missing() {
    let (base, seen) = fallback_server().await;
    let api = client_at(&base, tunedeck::api::Credentials::None);
    let client = VertexClient::new(api.clone(), api, "1", "us-central1");
    let job = TuningJob {
        name: "projects/1/locations/us-central1/tuningJobs/3".into(),
        experiment: "projects/1/locations/us-central1/metadataStores/default/contexts/exp-1".into(),
        ..Default::default()
    };
    let metrics = client
        .read_metrics(&job, &mut MetricsCache::default())
        .await
        .expect("read through the fallbacks");
    let loss: Vec<(i64, f64)> = metrics[TRAIN_LOSS]
        .iter()
        .map(|p| (p.step, p.value))
        .collect();
    assert_eq!(loss, vec![(1, 2.5), (2, 1.5)], "sorted by step");
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.iter().any(|p| p.ends_with("/tensorboards")),
        "the default TensorBoard was looked up: {seen:?}"
    );
    assert!(
        seen.iter().any(|p| p.ends_with("/experiments/exp-1/runs")),
        "the run was listed: {seen:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beta_fields_are_served_on_v1beta1_only_and_last_checkpoint_only_keeps_none() {
    let options = EmulatorOptions {
        step_interval: Duration::from_millis(5),
        ..fast_options()
    };
    let emu = start(options).await;
    let client = vertex(&emu);
    upload_datasets(&client).await;
    let mut request = job_request(3, false);
    if let Some(spec) = request.supervised_tuning_spec.as_mut() {
        spec.export_last_checkpoint_only = true;
    }
    let job = client.create_tuning_job(&request).await.unwrap();
    let job = wait_ended(&client, &job.name).await;
    let tuned = job.tuned_model.clone().unwrap();
    assert!(tuned.checkpoints.is_empty(), "{:?}", tuned.checkpoints);
    assert!(!tuned.endpoint.is_empty());
    let http = reqwest::Client::new();
    let v1: serde_json::Value = http
        .get(format!("{}/v1/{}", emu.base_url(), job.name))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        v1.get("tuningJobMetadata").is_none(),
        "v1 has no tuningJobMetadata: {v1}"
    );
    assert_eq!(
        job.tuning_job_metadata
            .as_ref()
            .and_then(|m| m.completed_step_count),
        job.step_count(),
        "the client reads jobs on v1beta1, which has it"
    );
    let beta: serde_json::Value = http
        .get(format!("{}/v1beta1/{}", emu.base_url(), job.name))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        beta["tuningJobMetadata"]["completedStepCount"],
        job.step_count().unwrap().to_string(),
        "v1beta1 has it, as an int64 string"
    );
    // snake_case bodies are read too (Google's curl sample sends them).
    let snake: serde_json::Value = http
        .post(format!(
            "{}/v1/projects/my-project/locations/us-central1/tuningJobs",
            emu.base_url()
        ))
        .body(
            r#"{"base_model": "gemini-2.5-flash", "supervised_tuning_spec": {"training_dataset_uri": "gs://tunedeck-test/train.jsonl", "hyper_parameters": {"epoch_count": "2"}}, "tuned_model_display_name": "snake"}"#,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(snake["tunedModelDisplayName"], "snake");
    assert_eq!(
        snake["supervisedTuningSpec"]["hyperParameters"]["epochCount"],
        "2"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_copy_of_the_files_replays_to_contiguous_steps_and_a_small_journal() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let options = EmulatorOptions {
        state_file: Some(state.clone()),
        step_interval: Duration::from_millis(2),
        ..fast_options()
    };
    let emu = start(options.clone()).await;
    let client = vertex(&emu);
    upload_datasets(&client).await;
    let job = client
        .create_tuning_job(&job_request(60, true))
        .await
        .unwrap();
    let crash = tempfile::tempdir().unwrap();
    let (journal_bytes, copied_steps) = loop {
        let now = client.get_tuning_job(&job.name).await.unwrap();
        let steps = client
            .read_metrics(&now, &mut MetricsCache::default())
            .await
            .unwrap()
            .get(TRAIN_LOSS)
            .map_or(0, Vec::len);
        if steps >= 60 {
            // The files as a crash would leave them, copied while the job writes.
            for name in ["state.json", "state.json.journal"] {
                let _ = std::fs::copy(dir.path().join(name), crash.path().join(name));
            }
            let bytes =
                std::fs::metadata(crash.path().join("state.json.journal")).map_or(0, |m| m.len());
            break (bytes, steps as u64);
        }
        assert!(!now.state.is_terminal(), "the job ended before the copy");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    emu.shutdown().await;
    // An entry a step: the job (~2.5 KB here) and that step's points. Entries carrying whole
    // series (as they once did) made 64 steps ~9.7 KB a step, and growing.
    assert!(
        journal_bytes / copied_steps < 5_000,
        "the journal grows with the steps, not their square: {journal_bytes} bytes for {copied_steps} steps"
    );
    let options = EmulatorOptions {
        state_file: Some(crash.path().join("state.json")),
        ..options
    };
    let emu = start(options).await;
    let client = vertex(&emu);
    let done = wait_ended(&client, &job.name).await;
    assert_eq!(done.state, JobState::Succeeded, "{:?}", done.error);
    let series = client
        .read_metrics(&done, &mut MetricsCache::default())
        .await
        .unwrap();
    let steps: Vec<i64> = series[TRAIN_LOSS].iter().map(|p| p.step).collect();
    assert_eq!(steps, (1..=done.step_count().unwrap()).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_quarter_of_answers_429_or_503_uploads_reads_and_metrics_still_complete() {
    let options = EmulatorOptions {
        step_interval: Duration::from_millis(5),
        faults: tunedeck::emulator::faults::Faults {
            rate_429: 0.125,
            rate_503: 0.125,
            retry_delay: Duration::from_millis(1),
            ..Default::default()
        },
        ..fast_options()
    };
    let emu = start(options).await;
    // Waits are recorded, not slept, and a few more tries than the default allow for the rate.
    let mut config =
        tunedeck::api::ClientConfig::new(emu.base_url(), tunedeck::api::Credentials::None);
    config.sleeper = std::sync::Arc::new(|_| Box::pin(async {}));
    config.retry.max_retries = 12;
    let api = tunedeck::api::ApiClient::new(config).unwrap();
    let client = VertexClient::new(api.clone(), api, "p", "us-central1");
    let big: Vec<u8> = (0..9 * 1024 * 1024).map(|i| (i % 7) as u8).collect();
    for round in 0..3 {
        let name = format!("big-{round}.bin");
        client
            .upload("bkt", &name, &big, |_, _| {})
            .await
            .expect("upload");
        assert_eq!(client.read_object("bkt", &name).await.unwrap(), big);
    }
    client
        .upload("tunedeck-test", "train.jsonl", &jsonl(&CAPITALS), |_, _| {})
        .await
        .expect("upload");
    // create is never retried (no request id: a lost answer could mean a second job), so a
    // refused create is tried again here, by the caller, as a person would.
    let job = loop {
        match client.create_tuning_job(&job_request(4, false)).await {
            Ok(job) => break job,
            Err(e) => assert!(e.is_retryable(), "{e}"),
        }
    };
    let job = wait_ended(&client, &job.name).await;
    assert_eq!(job.state, JobState::Succeeded);
    let metrics = client
        .read_metrics(&job, &mut MetricsCache::default())
        .await
        .unwrap();
    assert_eq!(metrics[TRAIN_LOSS].len() as i64, job.step_count().unwrap());
}

/// A server whose second series fails (403) on the second poll, then recovers.
async fn flaky_series_server() -> String {
    use axum::response::IntoResponse;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let b_exports = std::sync::Arc::new(AtomicUsize::new(0));
    let p = "projects/1/locations/us-central1";
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let b_exports = b_exports.clone();
        async move {
            let path = req.uri().path().to_owned();
            let tb = format!("{p}/tensorboards/7");
            let run = format!("{tb}/experiments/exp-1/runs/r");
            let point = |step: i64| serde_json::json!({"step": step.to_string(), "scalar": {"value": step as f64}});
            let body = if path.ends_with("/contexts/exp-1") {
                serde_json::json!({"metadata": {"backing_tensorboard_resource": tb}})
            } else if path.ends_with("/metadataStores/default/contexts") {
                serde_json::json!({"contexts": [{"name": format!("{p}/metadataStores/default/contexts/exp-1-r")}]})
            } else if path.ends_with("/runs/r/timeSeries") {
                serde_json::json!({"tensorboardTimeSeries": [
                    {"name": format!("{run}/timeSeries/a"), "displayName": "/eval_total_loss"},
                    {"name": format!("{run}/timeSeries/b"), "displayName": "/train_total_loss"}
                ]})
            } else if path.ends_with(":read") {
                serde_json::json!({"timeSeriesData": {"values": [point(1), point(2)]}})
            } else if path.ends_with("/a:exportTensorboardTimeSeries") {
                serde_json::json!({"timeSeriesDataPoints": [point(3), point(4)]})
            } else if path.ends_with("/b:exportTensorboardTimeSeries") {
                if b_exports.fetch_add(1, Ordering::SeqCst) == 0 {
                    return (
                        axum::http::StatusCode::FORBIDDEN,
                        r#"{"error": {"code": 403, "message": "denied", "status": "PERMISSION_DENIED"}}"#,
                    )
                        .into_response();
                }
                serde_json::json!({"timeSeriesDataPoints": [point(3)]})
            } else {
                return (axum::http::StatusCode::NOT_FOUND, "{}").into_response();
            };
            axum::Json(body).into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_poll_that_fails_part_way_loses_no_points_for_the_next_one() {
    let base = flaky_series_server().await;
    let api = client_at(&base, tunedeck::api::Credentials::None);
    let client = VertexClient::new(api.clone(), api, "1", "us-central1");
    let job = TuningJob {
        experiment: "projects/1/locations/us-central1/metadataStores/default/contexts/exp-1".into(),
        ..Default::default()
    };
    let mut cache = MetricsCache::default();
    let cold = client.read_metrics(&job, &mut cache).await.unwrap();
    assert_eq!(cold[TRAIN_LOSS].len(), 2);
    // The eval series' new points arrive (it is read first), then the train series fails:
    // the poll fails, and keeps nothing.
    assert!(client.read_metrics(&job, &mut cache).await.is_err());
    let next = client.read_metrics(&job, &mut cache).await.unwrap();
    let steps: Vec<i64> = next[EVAL_LOSS].iter().map(|p| p.step).collect();
    assert_eq!(
        steps,
        vec![3, 4],
        "the eval points of the failed poll come again"
    );
    assert_eq!(
        next[TRAIN_LOSS].iter().map(|p| p.step).collect::<Vec<_>>(),
        vec![3]
    );
}

/// A server that answers each request with the next of `answers` (JSON bodies, status 200)
/// and records `METHOD PATH` of each.
async fn operation_server(
    answers: Vec<serde_json::Value>,
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

/// A client of `base` whose waits are recorded instead of slept.
fn quick_vertex_client(
    base: &str,
) -> (
    VertexClient,
    std::sync::Arc<std::sync::Mutex<Vec<Duration>>>,
) {
    let waits = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = std::sync::Arc::clone(&waits);
    let mut config = tunedeck::api::ClientConfig::new(base, tunedeck::api::Credentials::None);
    config.sleeper = std::sync::Arc::new(move |d| {
        record.lock().unwrap().push(d);
        Box::pin(async {})
    });
    let api = tunedeck::api::ApiClient::new(config).unwrap();
    (
        VertexClient::new(api.clone(), api, "1", "us-central1"),
        waits,
    )
}

/// Issue 25 item 16: `models.delete` answers a long-running Operation. The client follows one
/// that is not done (GET on its name, backing off) and reports the error it ends with; one
/// done at once is not polled; a success is `Ok`.
#[tokio::test]
async fn deleting_a_model_follows_its_operation_and_reports_its_error() {
    let op = "projects/1/locations/us-central1/operations/42";
    let (base, seen) = operation_server(vec![
        serde_json::json!({"name": op}),
        serde_json::json!({"name": op, "done": false}),
        serde_json::json!({"name": op, "done": true, "error": {
            "code": 9,
            "message": "The Model is deployed to Endpoint projects/1/locations/us-central1/endpoints/5."
        }}),
    ])
    .await;
    let (client, waits) = quick_vertex_client(&base);
    let err = client.delete_model("7").await.unwrap_err();
    assert_eq!(err.code, tunedeck::api::Code::FailedPrecondition, "{err}");
    assert!(err.to_string().contains("deployed to Endpoint"), "{err}");
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "DELETE /v1/projects/1/locations/us-central1/models/7".to_owned(),
            format!("GET /v1/{op}"),
            format!("GET /v1/{op}"),
        ]
    );
    assert_eq!(
        *waits.lock().unwrap(),
        [Duration::from_millis(500), Duration::from_secs(1)]
    );

    let (base, seen) = operation_server(vec![
        serde_json::json!({"name": op, "done": false}),
        serde_json::json!({"name": op, "done": true,
            "response": {"@type": "type.googleapis.com/google.protobuf.Empty"}}),
    ])
    .await;
    let (client, _) = quick_vertex_client(&base);
    client
        .delete_model("projects/1/locations/us-central1/models/7@2")
        .await
        .unwrap();
    assert_eq!(seen.lock().unwrap().len(), 2);

    let (base, seen) = operation_server(vec![serde_json::json!({"name": op, "done": true,
        "error": {"code": 13, "message": "internal"}})])
    .await;
    let (client, waits) = quick_vertex_client(&base);
    let err = client.delete_model("7").await.unwrap_err();
    assert_eq!(err.code, tunedeck::api::Code::Internal);
    assert_eq!(
        seen.lock().unwrap().len(),
        1,
        "a done operation is not polled"
    );
    assert!(waits.lock().unwrap().is_empty());
}
