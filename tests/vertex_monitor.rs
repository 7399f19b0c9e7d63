//! The Monitor following Vertex AI tuning jobs through the worker, against the emulator: the
//! train and eval series it ends with equal the emulator's TensorBoard series exactly, with and
//! without a quarter of answers failing 429/503.

mod common;
use common::app::*;
use common::*;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tunedeck::api::vertex::client::{EVAL_LOSS, MetricsCache, TRAIN_LOSS, VertexClient};
use tunedeck::api::vertex::types::*;
use tunedeck::app::{App, Msg};
use tunedeck::domain::progress::JobState as Progress;
use tunedeck::emulator::EmulatorOptions;
use tunedeck::emulator::faults::Faults;
use tunedeck::protocol::Cmd;
use tunedeck::worker::{self, WorkerOptions};

fn jsonl(n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| {
            serde_json::json!({"contents": [
                {"role": "user", "parts": [{"text": format!("word {i}")}]},
                {"role": "model", "parts": [{"text": format!("WORD {}", i % 5)}]}
            ]})
            .to_string()
                + "\n"
        })
        .collect::<String>()
        .into_bytes()
}

async fn follow_to_the_end(options: EmulatorOptions, mut config: tunedeck::api::ClientConfig) {
    let emu = start(options).await;
    config.base_url = emu.base_url();
    let api = tunedeck::api::ApiClient::new(config).unwrap();
    let client = VertexClient::new(api.clone(), api.clone(), "p", "us-central1");
    client
        .upload("b", "t.jsonl", &jsonl(20), |_, _| {})
        .await
        .unwrap();
    client
        .upload("b", "v.jsonl", &jsonl(5), |_, _| {})
        .await
        .unwrap();
    let request = TuningJob {
        base_model: "gemini-2.5-flash".into(),
        tuned_model_display_name: "followed".into(),
        supervised_tuning_spec: Some(SupervisedTuningSpec {
            training_dataset_uri: "gs://b/t.jsonl".into(),
            validation_dataset_uri: "gs://b/v.jsonl".into(),
            hyper_parameters: Some(HyperParameters {
                epoch_count: Some(4),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    // create is never retried by the client; a person would press the key again.
    let job = loop {
        if let Ok(job) = client.create_tuning_job(&request).await {
            break job;
        }
    };
    let opts = WorkerOptions {
        poll_min: Duration::from_millis(5),
        poll_default: Duration::from_millis(10),
        poll_max: Duration::from_millis(40),
        ..Default::default()
    };
    let (commands, mut events, _w) = worker::spawn_with_vertex(api, Some(client.clone()), opts);
    let mut a = app();
    let send = |a: &mut App, msg: Msg, commands: &mpsc::UnboundedSender<Cmd>| {
        for c in a.update(msg, clock()) {
            commands.send(c).unwrap();
        }
    };
    let cmds = a.track_vertex_jobs(vec![job.clone()]);
    assert!(
        matches!(cmds.as_slice(), [Cmd::WatchVertex { job: watched }] if *watched == job.name),
        "{cmds:?}"
    );
    for c in cmds {
        commands.send(c).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while !a.monitor.jobs[0].is_done() {
        assert!(Instant::now() < deadline, "the job did not finish");
        if let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(200), events.recv()).await {
            send(&mut a, Msg::Worker(e), &commands);
        }
    }
    assert_series_are_the_emulators(&client, &job.name, &a.monitor.jobs[0]).await;
}

/// The Monitor's job ended SUCCEEDED with the train and eval series the emulator's TensorBoard
/// holds, point for point.
async fn assert_series_are_the_emulators(
    client: &VertexClient,
    name: &str,
    followed: &tunedeck::domain::progress::Job,
) {
    assert_eq!(followed.state, Progress::Succeeded, "{:?}", followed.error);
    let done = loop {
        if let Ok(j) = client.get_tuning_job(name).await {
            break j;
        }
    };
    let truth = loop {
        if let Ok(m) = client
            .read_metrics(&done, &mut MetricsCache::default())
            .await
        {
            break m;
        }
    };
    let pairs = |points: &[tunedeck::domain::progress::Point]| -> Vec<(i64, f64)> {
        points
            .iter()
            .map(|p| (i64::from(p.step), p.value))
            .collect()
    };
    let wire =
        |name: &str| -> Vec<(i64, f64)> { truth[name].iter().map(|p| (p.step, p.value)).collect() };
    assert_eq!(
        pairs(&followed.train_loss),
        wire(TRAIN_LOSS),
        "the train series, exactly"
    );
    assert_eq!(
        pairs(&followed.eval_loss),
        wire(EVAL_LOSS),
        "the eval series, exactly"
    );
    assert_eq!(i64::from(followed.total_steps), done.step_count().unwrap());
    assert_eq!(followed.completed_steps(), followed.total_steps);
}

/// A fast emulator and a client for it, both without faults.
fn healthy() -> (EmulatorOptions, tunedeck::api::ClientConfig) {
    let options = EmulatorOptions {
        step_interval: Duration::from_millis(5),
        ..fast_options()
    };
    let config =
        tunedeck::api::ClientConfig::new("http://unused", tunedeck::api::Credentials::None);
    (options, config)
}

/// The same with a quarter of the emulator's answers 429 or 503 (seeded), and a client that
/// retries twice, quickly.
fn quarter_failing(seed: u64) -> (EmulatorOptions, tunedeck::api::ClientConfig) {
    let (options, mut config) = healthy();
    let options = EmulatorOptions {
        seed,
        faults: Faults {
            rate_429: 0.125,
            rate_503: 0.125,
            retry_delay: Duration::from_millis(2),
            ..Default::default()
        },
        ..options
    };
    config.retry.base_delay = Duration::from_millis(2);
    config.retry.max_retries = 2;
    (options, config)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_monitor_follows_a_vertex_job_to_the_end_with_the_emulators_series() {
    let (options, config) = healthy();
    follow_to_the_end(options, config).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_quarter_of_answers_429_or_503_the_series_still_end_complete() {
    let (options, config) = quarter_failing(7);
    follow_to_the_end(options, config).await;
}

/// A person's way in: the Dataset tab's `T` with Vertex AI chosen, the bucket and a validation
/// share typed, enter; the datasets upload, the job starts, the Monitor follows it to the end.
async fn tune_from_the_dataset_tab(
    options: EmulatorOptions,
    mut config: tunedeck::api::ClientConfig,
) {
    use crossterm::event::KeyCode;
    // With faults on, an answer may still fail after the client's retries: said per example.
    let faulty = options.faults.rate_429 + options.faults.rate_503 > 0.0;
    let emu = start(options).await;
    config.base_url = emu.base_url();
    let api = tunedeck::api::ApiClient::new(config).unwrap();
    let client = VertexClient::new(api.clone(), api.clone(), "p", "us-central1");
    let opts = WorkerOptions {
        poll_min: Duration::from_millis(5),
        poll_default: Duration::from_millis(10),
        poll_max: Duration::from_millis(40),
        ..Default::default()
    };
    let (commands, mut events, _w) = worker::spawn_with_vertex(api, Some(client.clone()), opts);
    let send = |a: &mut App, msg: Msg, commands: &mpsc::UnboundedSender<Cmd>| {
        for c in a.update(msg, clock()) {
            commands.send(c).unwrap();
        }
    };
    let mut a = app();
    a.follows_vertex = true;
    let examples: Vec<tunedeck::api::types::TuningExample> = (0..20)
        .map(|i| {
            tunedeck::api::types::TuningExample::new(format!("word {i}"), format!("WORD {}", i % 5))
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    a.dataset = tunedeck::app::dataset::DatasetPane::new(
        examples,
        Some(dir.path().join("words.jsonl")),
        None,
    );
    send(&mut a, key('3'), &commands);
    send(&mut a, key('T'), &commands);
    assert!(
        a.dataset.vertex_tune.is_some(),
        "T opens the Vertex AI form"
    );
    // Display name, description, epochs, multiplier, validation %, bucket.
    send(&mut a, code(KeyCode::Tab), &commands);
    send(&mut a, code(KeyCode::Tab), &commands);
    send(&mut a, key('4'), &commands);
    send(&mut a, code(KeyCode::Tab), &commands);
    send(&mut a, code(KeyCode::Tab), &commands);
    for c in "25".chars() {
        send(&mut a, key(c), &commands);
    }
    send(&mut a, code(KeyCode::Tab), &commands);
    for c in "words-bucket".chars() {
        send(&mut a, key(c), &commands);
    }
    send(&mut a, ctrl_s(), &commands);
    assert!(
        a.dataset
            .vertex_tune
            .as_ref()
            .is_some_and(|f| f.upload.is_some()),
        "uploading: {:?}",
        a.dataset.vertex_tune.as_ref().map(|f| &f.error)
    );
    let mut progress = 0;
    let deadline = Instant::now() + Duration::from_secs(90);
    while a.monitor.jobs.first().is_none_or(|j| !j.is_done()) {
        assert!(
            Instant::now() < deadline,
            "the job did not start and finish"
        );
        if let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(200), events.recv()).await {
            if matches!(e, tunedeck::protocol::WorkerEvent::UploadProgress { .. }) {
                progress += 1;
            }
            send(&mut a, Msg::Worker(e), &commands);
        }
        // A failed upload or create leaves the form as typed with the reason: enter again.
        if let Some(form) = &a.dataset.vertex_tune
            && form.upload.is_none()
        {
            assert!(
                form.error
                    .as_deref()
                    .is_some_and(|e| e.starts_with("Not started")),
                "{:?}",
                form.error
            );
            send(&mut a, ctrl_s(), &commands);
        }
    }
    assert!(progress >= 2, "the bar moved for both files");
    assert_eq!(a.tab, tunedeck::app::Tab::Monitor);
    let followed = &a.monitor.jobs[0];
    assert_eq!(followed.display_name, "words");
    // Reads here retry as a person would: faults may still be on.
    let job = loop {
        if let Ok(job) = client.get_tuning_job(&followed.name).await {
            break job;
        }
    };
    let spec = job.supervised_tuning_spec.clone().unwrap();
    assert_eq!(job.epoch_count(), Some(4));
    let read = |uri: String| {
        let client = client.clone();
        async move {
            let (bucket, object) = uri.trim_start_matches("gs://").split_once('/').unwrap();
            loop {
                if let Ok(bytes) = client.read_object(bucket, object).await {
                    break String::from_utf8(bytes).unwrap();
                }
            }
        }
    };
    let training = read(spec.training_dataset_uri.clone()).await;
    let validation = read(spec.validation_dataset_uri.clone()).await;
    assert!(
        spec.training_dataset_uri
            .starts_with("gs://words-bucket/tunedeck/words-")
    );
    assert_eq!(
        (training.lines().count(), validation.lines().count()),
        (15, 5)
    );
    assert!(
        training.starts_with("{\"contents\":[{\"role\":\"user\""),
        "{training}"
    );
    assert_series_are_the_emulators(&client, &followed.name, followed).await;
    // The Playground: the job's endpoint, evaluated on the validation file the form saved
    // beside the dataset.
    let name = followed.name.clone();
    let held_out = dir.path().join("words.heldout.jsonl");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !held_out.exists() || a.jobs.find(&name).is_none_or(|j| j.tuned_model.is_none()) {
        assert!(
            Instant::now() < deadline,
            "the list never showed the succeeded job"
        );
        if let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(50), events.recv()).await {
            send(&mut a, Msg::Worker(e), &commands);
        }
        // A listing that failed (faults) is asked again, as a person presses r.
        if a.jobs.find(&name).is_none()
            && !matches!(a.jobs.load, tunedeck::app::models::Load::Loading { .. })
        {
            send(&mut a, key('r'), &commands);
        }
    }
    assert_eq!(
        std::fs::read_to_string(&held_out).unwrap().lines().count(),
        5
    );
    send(&mut a, key('1'), &commands);
    send(&mut a, key('g'), &commands);
    while a.jobs.selected_job().map(|j| j.name.as_str()) != Some(name.as_str()) {
        send(&mut a, key('j'), &commands);
    }
    send(&mut a, key('P'), &commands);
    let endpoint = a
        .playground
        .model
        .clone()
        .expect("the endpoint is chosen")
        .name;
    assert!(endpoint.contains("/endpoints/"), "{endpoint}");
    send(&mut a, key('b'), &commands);
    let deadline = Instant::now() + Duration::from_secs(30);
    while a
        .playground
        .eval
        .as_ref()
        .is_none_or(|e| e.results.iter().any(Option::is_none))
    {
        assert!(Instant::now() < deadline, "the evaluation did not finish");
        if let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(200), events.recv()).await {
            send(&mut a, Msg::Worker(e), &commands);
        }
    }
    let eval = a.playground.eval.as_ref().unwrap();
    assert_eq!(eval.model, endpoint);
    assert_eq!(eval.results.len(), 5, "the validation examples");
    let (done, _, _, errors) = eval.counts();
    assert_eq!(done, 5);
    if !faulty {
        assert_eq!(errors, 0, "{:?}", eval.results);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_the_dataset_tab_to_a_succeeded_vertex_job_with_the_emulators_series() {
    let (options, config) = healthy();
    tune_from_the_dataset_tab(options, config).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_the_dataset_tab_with_a_quarter_of_answers_429_or_503() {
    let (options, config) = quarter_failing(11);
    tune_from_the_dataset_tab(options, config).await;
}

/// The Vertex form's explicit confirm from any field: upload and start.
fn ctrl_s() -> Msg {
    Msg::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char('s'),
        crossterm::event::KeyModifiers::CONTROL,
    ))
}
