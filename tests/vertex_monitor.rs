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
    let followed = &a.monitor.jobs[0];
    assert_eq!(followed.state, Progress::Succeeded, "{:?}", followed.error);
    let done = loop {
        if let Ok(j) = client.get_tuning_job(&job.name).await {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_monitor_follows_a_vertex_job_to_the_end_with_the_emulators_series() {
    let options = EmulatorOptions {
        step_interval: Duration::from_millis(5),
        ..fast_options()
    };
    follow_to_the_end(
        options,
        tunedeck::api::ClientConfig::new("http://unused", tunedeck::api::Credentials::None),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_quarter_of_answers_429_or_503_the_series_still_end_complete() {
    let options = EmulatorOptions {
        step_interval: Duration::from_millis(5),
        seed: 7,
        faults: Faults {
            rate_429: 0.125,
            rate_503: 0.125,
            retry_delay: Duration::from_millis(2),
            ..Default::default()
        },
        ..fast_options()
    };
    let mut config =
        tunedeck::api::ClientConfig::new("http://unused", tunedeck::api::Credentials::None);
    config.retry.base_delay = Duration::from_millis(2);
    config.retry.max_retries = 2;
    follow_to_the_end(options, config).await;
}
