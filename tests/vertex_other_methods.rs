//! Distillation and reinforcement tuning jobs (early access / pre-GA) in the emulator, created
//! over HTTP with the bodies google-genai 3.3.0 sends, then listed, read and followed by the
//! client to SUCCEEDED with their loss series; the errors that name the field; and the CLI's
//! `jobs get`, which names the method and its spec.

mod common;
use common::*;
use serde_json::{Value, json};
use std::time::Duration;
use tunedeck::api::vertex::client::{MetricsCache, TRAIN_LOSS, VertexClient};
use tunedeck::api::vertex::types::{JobState, TuningJob};
use tunedeck::domain::vertex_methods::{TuningMethod, spec_lines};
use tunedeck::emulator::RunningEmulator;

const PROJECT: &str = "methods-project";
const LOCATION: &str = "us-central1";

fn client(emu: &RunningEmulator) -> VertexClient {
    VertexClient::new(client_for(emu), client_for(emu), PROJECT, LOCATION)
}

/// Prompts only (no model turn), each with a reference answer.
fn prompts() -> Vec<u8> {
    (0..6)
        .map(|i| {
            json!({"contents": [{"role": "user", "parts": [{"text": format!("capital of land {i}?")}]}],
                   "references": {"answer": format!("city {i}")}})
            .to_string()
                + "\n"
        })
        .collect::<String>()
        .into_bytes()
}

async fn create(emu: &RunningEmulator, body: &Value) -> (u16, Value) {
    let url = format!(
        "{}/v1beta1/projects/{PROJECT}/locations/{LOCATION}/tuningJobs",
        emu.base_url()
    );
    let answer = reqwest::Client::new()
        .post(url)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap())
}

async fn followed(client: &VertexClient, name: &str) -> TuningJob {
    for _ in 0..6000 {
        let job = client.get_tuning_job(name).await.unwrap();
        if job.state.is_terminal() {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("{name} never ended");
}

fn distillation() -> Value {
    json!({
        "baseModel": "gemini-2.5-flash",
        "tunedModelDisplayName": "distilled",
        "distillationSpec": {
            "baseTeacherModel": "gemini-3.1-pro",
            "promptDatasetUri": "gs://methods/prompts.jsonl",
            "hyperParameters": {"epochCount": "2", "learningRateMultiplier": 1.0}
        }
    })
}

fn reinforcement() -> Value {
    json!({
        "baseModel": "gemini-2.5-flash",
        "tunedModelDisplayName": "rewarded",
        "reinforcementTuningSpec": {
            "trainingDatasetUri": "gs://methods/prompts.jsonl",
            "singleRewardConfig": {
                "rewardName": "exact-answer",
                "stringMatchRewardScorer": {
                    "correctAnswerReward": 1.0,
                    "wrongAnswerReward": -1.0,
                    "stringMatchExpression": {"matchOperation": "EXACT_MATCH", "expression": "{{references.answer}}"}
                }
            },
            "hyperParameters": {"epochCount": "3", "samplesPerPrompt": "4"}
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distillation_and_reinforcement_jobs_are_created_listed_followed_and_report_series() {
    let emu = start(fast_options()).await;
    let client = client(&emu);
    client
        .upload("methods", "prompts.jsonl", &prompts(), |_, _| {})
        .await
        .unwrap();
    let (status, distilled) = create(&emu, &distillation()).await;
    assert_eq!(status, 200, "{distilled}");
    assert!(
        distilled.get("supervisedTuningSpec").is_none(),
        "{distilled}"
    );
    assert_eq!(
        distilled["distillationSpec"]["baseTeacherModel"],
        "gemini-3.1-pro"
    );
    let (status, rewarded) = create(&emu, &reinforcement()).await;
    assert_eq!(status, 200, "{rewarded}");

    // Listed, with the method each one is.
    let listed = client.all_tuning_jobs("").await.unwrap();
    assert_eq!(listed.len(), 2);
    let methods: Vec<TuningMethod> = listed.iter().map(TuningMethod::of).collect();
    assert!(methods.contains(&TuningMethod::Distillation), "{methods:?}");
    assert!(
        methods.contains(&TuningMethod::Reinforcement),
        "{methods:?}"
    );

    for name in [&distilled["name"], &rewarded["name"]] {
        let name = name.as_str().unwrap();
        let job = followed(&client, name).await;
        assert_eq!(job.state, JobState::Succeeded, "{job:?}");
        assert!(
            job.tuned_model
                .as_ref()
                .is_some_and(|m| !m.endpoint.is_empty())
        );
        // The series the Monitor charts: the student's training loss, one point a step.
        let mut cache = MetricsCache::default();
        let series = client.read_metrics(&job, &mut cache).await.unwrap();
        let loss = series.get(TRAIN_LOSS).cloned().unwrap_or_default();
        assert_eq!(
            loss.len() as i64,
            job.step_count().unwrap(),
            "{name}: {series:?}"
        );
        // The detail's lines name the spec.
        let lines = spec_lines(&job);
        assert!(!lines.is_empty(), "{job:?}");
    }
    let distilled = followed(&client, distilled["name"].as_str().unwrap()).await;
    let lines = spec_lines(&distilled);
    assert!(
        lines.contains(&("teacher", "gemini-3.1-pro".to_owned())),
        "{lines:?}"
    );
    assert_eq!(distilled.epoch_count(), Some(2));
    let rewarded = followed(&client, rewarded["name"].as_str().unwrap()).await;
    let lines = spec_lines(&rewarded);
    assert!(
        lines.iter().any(|(k, v)| *k == "reward"
            && v.contains("exact-answer")
            && v.contains("EXACT_MATCH")),
        "{lines:?}"
    );

    // The reinforced student learned the rewarded answers: its endpoint answers one of them.
    let endpoint = rewarded.tuned_model.unwrap().endpoint;
    let request: tunedeck::api::types::GenerateContentRequest = serde_json::from_value(json!({
        "contents": [{"role": "user", "parts": [{"text": "capital of land 3?"}]}]
    }))
    .unwrap();
    let answer = client.generate_content(&endpoint, &request).await.unwrap();
    let text = answer.text();
    assert!(text.contains("city"), "{text}");
    // The distilled student learned the teacher's (emulated) answers.
    let endpoint = distilled.tuned_model.unwrap().endpoint;
    let text = client
        .generate_content(&endpoint, &request)
        .await
        .unwrap()
        .text();
    assert!(text.contains("emulat"), "{text}");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_settings_are_refused_naming_the_field() {
    let emu = start(fast_options()).await;
    let client = client(&emu);
    client
        .upload("methods", "prompts.jsonl", &prompts(), |_, _| {})
        .await
        .unwrap();
    let refused = |mut body: Value, path: &[&str], value: Value| {
        let mut at = &mut body;
        for p in &path[..path.len() - 1] {
            at = at.get_mut(*p).unwrap();
        }
        if value.is_null() {
            at.as_object_mut().unwrap().remove(path[path.len() - 1]);
        } else {
            at[path[path.len() - 1]] = value;
        }
        body
    };
    let cases = [
        (
            refused(
                distillation(),
                &["distillationSpec", "baseTeacherModel"],
                Value::Null,
            ),
            "base_teacher_model or distillation_spec.tuned_teacher_model_source is required",
        ),
        (
            refused(
                distillation(),
                &["distillationSpec", "baseTeacherModel"],
                json!("gemini-9"),
            ),
            "Base teacher model \"gemini-9\" is not supported for distillation",
        ),
        (
            refused(distillation(), &["baseModel"], json!("gemini-2.5-pro")),
            "not supported as a distillation student",
        ),
        (
            refused(
                distillation(),
                &["distillationSpec", "tunedTeacherModelSource"],
                json!("projects/p/locations/l/models/404"),
            ),
            "alternatives",
        ),
        (
            refused(
                distillation(),
                &["distillationSpec", "promptDatasetUri"],
                json!("gs://methods/missing.jsonl"),
            ),
            "gs://methods/missing.jsonl was not found",
        ),
        (
            refused(
                reinforcement(),
                &["reinforcementTuningSpec", "singleRewardConfig"],
                json!({"codeExecutionRewardScorer": {"pythonCodeSnippet": "def evaluate(e, r): return 1.0"}}),
            ),
            "single_reward_config: the emulator scores with stringMatchRewardScorer only",
        ),
        (
            refused(
                reinforcement(),
                &["reinforcementTuningSpec", "singleRewardConfig"],
                Value::Null,
            ),
            "needs a reward",
        ),
        (
            refused(
                reinforcement(),
                &[
                    "reinforcementTuningSpec",
                    "singleRewardConfig",
                    "stringMatchRewardScorer",
                    "stringMatchExpression",
                    "expression",
                ],
                json!("never"),
            ),
            "earns a positive reward",
        ),
    ];
    for (body, want) in cases {
        let (status, answer) = create(&emu, &body).await;
        assert_eq!(status, 400, "{body}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(want), "{want:?} not in {message:?}");
        assert_eq!(answer["error"]["status"], "INVALID_ARGUMENT");
    }
    // Nothing was created by a refusal; v1 does not know the methods.
    assert!(client.all_tuning_jobs("").await.unwrap().is_empty());
    let url = format!(
        "{}/v1/projects/{PROJECT}/locations/{LOCATION}/tuningJobs",
        emu.base_url()
    );
    let answer = reqwest::Client::new()
        .post(url)
        .json(&distillation())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 400);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_get_names_the_method_and_its_spec() {
    let emu = start(fast_options()).await;
    let client = client(&emu);
    client
        .upload("methods", "prompts.jsonl", &prompts(), |_, _| {})
        .await
        .unwrap();
    let (_, distilled) = create(&emu, &distillation()).await;
    let name = distilled["name"].as_str().unwrap().to_owned();
    followed(&client, &name).await;
    let home = tempfile::tempdir().unwrap();
    let mut cmd = bare_command(home.path());
    cmd.timeout(Duration::from_secs(60)).args([
        "--endpoint",
        &emu.base_url(),
        "--vertex",
        "--project",
        PROJECT,
        "jobs",
        "get",
        &name,
    ]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("method     distillation (early access)"),
        "{text}"
    );
    assert!(text.contains("teacher    gemini-3.1-pro"), "{text}");
    assert!(
        text.contains("prompts    gs://methods/prompts.jsonl"),
        "{text}"
    );
    // `watch` follows a reinforcement job from its create to its end, with its loss.
    let (_, rewarded) = create(&emu, &reinforcement()).await;
    let name = rewarded["name"].as_str().unwrap().to_owned();
    let mut cmd = bare_command(home.path());
    cmd.timeout(Duration::from_secs(120)).args([
        "--endpoint",
        &emu.base_url(),
        "--vertex",
        "--project",
        PROJECT,
        "watch",
        &name,
        "--interval",
        "0.05",
    ]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{text}{err}");
    let both = format!("{text}{err}");
    assert!(
        both.contains("SUCCEEDED") && both.contains("loss"),
        "{both}"
    );
    emu.shutdown().await;
}
