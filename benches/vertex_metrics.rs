//! Reading a 10,000-step Vertex tuning job's metrics from the emulator, three ways:
//! - the notebook recipe (google-cloud-aiplatform's calls) as raw REST: context, runs, TensorBoard,
//!   run, series, `batchRead`: six calls, but at most 1,000 (sampled) points a series;
//! - tunedeck's client cold: the same resolution, then every point of each series
//!   (`:read?maxDataPoints=-1`);
//! - tunedeck's client warm, as a running job is polled: one export call a series for the points
//!   after the last one read (`step > N`).
//!
//! Prints requests, bytes, milliseconds and points for each, and the polling cost per minute of a
//! running job at one poll a minute. Run: `cargo bench --bench vertex_metrics`.

use std::time::{Duration, Instant};
use tunedeck::api::vertex::client::{MetricsCache, TRAIN_LOSS, VertexClient};
use tunedeck::api::vertex::types::*;
use tunedeck::api::{ApiClient, ClientConfig, Credentials};
use tunedeck::emulator::{EmulatorOptions, start};

const STEPS: i64 = 10_000;

fn jsonl(n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| {
            serde_json::json!({"contents": [
                {"role": "user", "parts": [{"text": format!("question {i}")}]},
                {"role": "model", "parts": [{"text": format!("answer {}", i % 50)}]}
            ]})
            .to_string()
                + "\n"
        })
        .collect::<String>()
        .into_bytes()
}

/// A GET counted in requests and bytes.
struct Raw {
    http: reqwest::Client,
    base: String,
    requests: u64,
    bytes: u64,
}

impl Raw {
    async fn get(&mut self, path: &str, query: &[(&str, String)]) -> serde_json::Value {
        let body = self
            .http
            .get(format!("{}/v1/{path}", self.base))
            .query(query)
            .send()
            .await
            .expect("send")
            .bytes()
            .await
            .expect("body");
        self.requests += 1;
        self.bytes += body.len() as u64;
        serde_json::from_slice(&body).expect("json")
    }

    async fn post(&mut self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let body = self
            .http
            .post(format!("{}/v1/{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("send")
            .bytes()
            .await
            .expect("body");
        self.requests += 1;
        self.bytes += body.len() as u64;
        serde_json::from_slice(&body).expect("json")
    }
}

#[tokio::main]
async fn main() {
    let emu = start(
        EmulatorOptions {
            step_interval: Duration::from_micros(200),
            demo: false,
            ..EmulatorOptions::default()
        },
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .expect("emulator");
    let base = emu.base_url();
    let api = ApiClient::new(ClientConfig::new(&base, Credentials::None)).expect("client");
    let client = VertexClient::new(api.clone(), api, "bench", "us-central1");
    // 2,000 examples, batch 16, 80 epochs: 10,000 steps.
    client
        .upload("bench", "train.jsonl", &jsonl(2000), |_, _| {})
        .await
        .expect("upload");
    client
        .upload("bench", "validation.jsonl", &jsonl(40), |_, _| {})
        .await
        .expect("upload");
    let job = client
        .create_tuning_job(&TuningJob {
            base_model: "gemini-2.5-flash".into(),
            supervised_tuning_spec: Some(SupervisedTuningSpec {
                training_dataset_uri: "gs://bench/train.jsonl".into(),
                validation_dataset_uri: "gs://bench/validation.jsonl".into(),
                hyper_parameters: Some(HyperParameters {
                    epoch_count: Some(80),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .expect("create");
    // Poll the running job as the Monitor does: after the first (cold) read, each poll reads
    // only new points. Keep each warm poll's cost.
    let mut warm_cache = MetricsCache::default();
    let mut warm: Vec<(u64, Duration, usize)> = Vec::new();
    let job = loop {
        let now = client.get_tuning_job(&job.name).await.expect("get");
        if now.state == JobState::Running || now.state.is_terminal() {
            let cold = warm_cache.series.is_empty();
            let before = warm_cache.requests;
            let t = Instant::now();
            let new = client
                .read_metrics(&now, &mut warm_cache)
                .await
                .expect("metrics");
            if !cold && !now.state.is_terminal() {
                warm.push((
                    warm_cache.requests - before + 1,
                    t.elapsed(),
                    new.values().map(Vec::len).sum::<usize>(),
                ));
            }
        }
        if now.state.is_terminal() {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(job.step_count(), Some(STEPS), "the job has 10,000 steps");

    // The notebook recipe, raw.
    let mut raw = Raw {
        http: reqwest::Client::new(),
        base: base.clone(),
        requests: 0,
        bytes: 0,
    };
    let t = Instant::now();
    let context = raw.get(&job.experiment, &[]).await;
    let tb = context["metadata"]["backing_tensorboard_resource"]
        .as_str()
        .expect("tb")
        .to_owned();
    let exp = job.experiment.rsplit('/').next().expect("id").to_owned();
    let parent = job
        .experiment
        .split("/metadataStores/")
        .next()
        .expect("parent");
    let runs = raw
        .get(
            &format!("{parent}/metadataStores/default/contexts"),
            &[(
                "filter",
                format!(
                    "schema_title=\"system.ExperimentRun\" AND parent_contexts:\"{}\"",
                    job.experiment
                ),
            )],
        )
        .await;
    let run_ctx = runs["contexts"][0]["name"]
        .as_str()
        .expect("run")
        .to_owned();
    let run_id = run_ctx.rsplit('/').next().expect("id")[exp.len() + 1..].to_owned();
    raw.get(&tb, &[]).await;
    let run = format!("{tb}/experiments/{exp}/runs/{run_id}");
    raw.get(&run, &[]).await;
    let series = raw.get(&format!("{run}/timeSeries"), &[]).await;
    let names: Vec<(String, String)> = series["tensorboardTimeSeries"]
        .as_array()
        .expect("series")
        .iter()
        .map(|s| {
            (
                s["displayName"].as_str().unwrap_or_default().to_owned(),
                s["name"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let query: Vec<(&str, String)> = names
        .iter()
        .map(|(_, n)| ("timeSeries", n.clone()))
        .collect();
    let batch = raw.get(&format!("{tb}:batchRead"), &query).await;
    let recipe_ms = t.elapsed();
    let recipe_points: usize = batch["timeSeriesData"]
        .as_array()
        .expect("data")
        .iter()
        .map(|d| d["values"].as_array().map_or(0, Vec::len))
        .sum();
    let recipe = (raw.requests, raw.bytes, recipe_ms, recipe_points);

    // The same resolution, then every point of each series, raw (for the bytes).
    let mut full = Raw {
        http: reqwest::Client::new(),
        base: base.clone(),
        requests: 0,
        bytes: 0,
    };
    full.get(&job.experiment, &[]).await;
    full.get(
        &format!("{parent}/metadataStores/default/contexts"),
        &[("filter", format!("parent_contexts:\"{}\"", job.experiment))],
    )
    .await;
    full.get(&format!("{run}/timeSeries"), &[]).await;
    let before_points = full.bytes;
    for (_, name) in &names {
        full.get(&format!("{name}:read"), &[("maxDataPoints", "-1".into())])
            .await;
    }
    // And the tunedeck client itself, cold, for its time and request count.
    let mut cold = MetricsCache::default();
    let t = Instant::now();
    let metrics = client.read_metrics(&job, &mut cold).await.expect("metrics");
    let client_ms = t.elapsed();
    let client_points: usize = metrics.values().map(Vec::len).sum();
    assert_eq!(metrics[TRAIN_LOSS].len() as i64, STEPS, "every point read");
    // A warm poll's bytes: one export a series after the last step (nothing new: the floor).
    let mut poll = Raw {
        http: reqwest::Client::new(),
        base,
        requests: 0,
        bytes: 0,
    };
    poll.get(&job.name, &[]).await;
    for (_, name) in &names {
        poll.post(
            &format!("{name}:exportTensorboardTimeSeries"),
            serde_json::json!({"filter": format!("step > {STEPS}")}),
        )
        .await;
    }

    println!(
        "Reading the metrics of a {STEPS}-step job ({} series) from the emulator:",
        names.len()
    );
    println!(
        "  notebook recipe (6 calls, batchRead): {} requests, {} KiB, {:.1} ms, {} points (sampled: at most 1,000 a series)",
        recipe.0,
        recipe.1 / 1024,
        recipe.2.as_secs_f64() * 1000.0,
        recipe.3
    );
    println!(
        "  tunedeck cold (:read maxDataPoints=-1): {} requests, {} KiB, {:.1} ms, {} points (all)",
        cold.requests,
        full.bytes / 1024,
        client_ms.as_secs_f64() * 1000.0,
        client_points
    );
    if !warm.is_empty() {
        warm.sort_by_key(|w| w.1);
        let (requests, took, points) = warm[warm.len() / 2];
        println!(
            "  tunedeck warm poll of the running job (get + export step > N), median of {}: {requests} requests, {:.1} ms, {points} new points",
            warm.len(),
            took.as_secs_f64() * 1000.0
        );
    }
    let per_point = (full.bytes - before_points) as f64 / client_points.max(1) as f64;
    println!(
        "  polling a running job once a minute: {} requests and {:.1} KiB a minute with no new step, plus {per_point:.0} bytes a new point",
        poll.requests,
        poll.bytes as f64 / 1024.0,
    );
    // google-cloud-aiplatform's recipe, when the SDK venv has it.
    let python = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches/vertex_metrics_aiplatform.py");
    let project = job.name.split('/').nth(1).unwrap_or_default().to_owned();
    let output = std::process::Command::new(&python)
        .arg(&script)
        .arg(emu.base_url())
        .arg(&job.experiment)
        .arg(&project)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .output();
    match output {
        Ok(out) if out.status.success() => {
            let line = String::from_utf8_lossy(&out.stdout);
            let fields: Vec<&str> = line.split_whitespace().collect();
            if let [requests, bytes, ms, points] = fields.as_slice() {
                println!(
                    "  google-cloud-aiplatform 1.91.0's recipe (REST): {requests} requests, {} KiB, {ms} ms, {points} points (batchRead: sampled)",
                    bytes.parse::<u64>().unwrap_or(0) / 1024
                );
            }
        }
        Ok(out) => println!(
            "  google-cloud-aiplatform's recipe failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(_) => println!("  google-cloud-aiplatform's recipe: no .venv (see the README's Tests)"),
    }
    emu.shutdown().await;
}
