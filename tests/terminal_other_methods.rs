//! Distillation and reinforcement tuning jobs (early access / pre-GA) in a real 80x24 terminal
//! (tests/common/tmux.rs): made through the emulator's REST API, as google-genai makes them,
//! then listed in the jobs table, opened in the detail, which names the method and its spec,
//! and followed in the Monitor, which charts the series they report.

mod common;
use common::tmux::{Tmux, have_tmux};
use serde_json::{Value, json};
use std::time::Duration;
use tunedeck::api::vertex::client::VertexClient;

const PROJECT: &str = "methods-project";

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

async fn create_and_follow(emu: &tunedeck::emulator::RunningEmulator, body: Value) {
    let url = format!(
        "{}/v1beta1/projects/{PROJECT}/locations/us-central1/tuningJobs",
        emu.base_url()
    );
    let answer = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let job: Value = answer.json().await.unwrap();
    let name = job["name"].as_str().unwrap().to_owned();
    let client = VertexClient::new(
        common::client_for(emu),
        common::client_for(emu),
        PROJECT,
        "us-central1",
    );
    for _ in 0..6000 {
        if client
            .get_tuning_job(&name)
            .await
            .unwrap()
            .state
            .is_terminal()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("{name} never ended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distillation_and_reinforcement_jobs_are_listed_shown_and_charted() {
    if !have_tmux() {
        return;
    }
    let emu = common::start(common::fast_options()).await;
    let client = VertexClient::new(
        common::client_for(&emu),
        common::client_for(&emu),
        PROJECT,
        "us-central1",
    );
    client
        .upload("methods", "prompts.jsonl", &prompts(), |_, _| {})
        .await
        .unwrap();
    create_and_follow(
        &emu,
        json!({
            "baseModel": "gemini-2.5-flash",
            "tunedModelDisplayName": "distilled",
            "distillationSpec": {
                "baseTeacherModel": "gemini-3.1-pro",
                "promptDatasetUri": "gs://methods/prompts.jsonl",
                "hyperParameters": {"epochCount": "2"}
            }
        }),
    )
    .await;
    create_and_follow(
        &emu,
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
                "hyperParameters": {"epochCount": "3"}
            }
        }),
    )
    .await;
    let args = format!("--endpoint {} --vertex --project {PROJECT}", emu.base_url());
    let tmux = Tmux::start_sized("methods", &args, (80, 24), |_| {});
    let tmux = tokio::task::spawn_blocking(move || {
        let table = tmux.wait_until("both jobs", |s| {
            s.contains("distilled") && s.contains("rewarded")
        });
        assert!(table.contains("SUCCEEDED"), "{table}");
        // The newest first: the reinforcement job, then the distillation one.
        tmux.keys(&["g", "Enter"]);
        // At 80 columns the method's name wraps after "tuning".
        let detail = tmux.wait_for("reinforcement tuning");
        assert!(
            detail.contains("┌ rewarded") && detail.contains("(pre-GA)"),
            "{detail}"
        );
        // Escape alone: sent with the next key, tmux would make it Alt+key.
        tmux.keys(&["Escape"]);
        tmux.wait_for("Tuning jobs ·");
        tmux.keys(&["G", "Enter"]);
        let detail = tmux.wait_for("Method          distillation");
        assert!(
            detail.contains("Teacher         gemini-3.1-pro"),
            "the detail names the teacher:\n{detail}"
        );
        // Further down, the prompts it was distilled on.
        for _ in 0..6 {
            tmux.keys(&["j"]);
        }
        tmux.wait_for("gs://methods/prompts.jsonl");
        // The Monitor charts what it reported.
        tmux.keys(&["w"]);
        let monitor = tmux.wait_for("┌ distilled ─");
        assert!(!monitor.contains("failed"), "{monitor}");
        tmux.wait_for("lowest");
        tmux.keys(&["q"]);
        tmux.assert_restored(0);
        tmux
    })
    .await
    .unwrap();
    drop(tmux);
    emu.shutdown().await;
}
