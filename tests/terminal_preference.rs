//! The dashboard on a preference (DPO) job, in a real terminal: the test creates the job
//! through the emulator's HTTP API (upload the preference JSONL, `tuningJobs.create` with
//! `preferenceOptimizationSpec`), then tmux runs the binary against that emulator. The job
//! detail names the method and beta and shows the preference data's statistics; the Monitor
//! charts DPO's loss, and `a` cycles to the reward accuracy and the reward margin.
//!
//! Needs tmux; without it the test says so and passes, unless TUNEDECK_REQUIRE_TMUX_TEST is set.

mod common;
use common::tmux::{Tmux, have_tmux};
use std::time::Duration;
use tunedeck::api::vertex::client::VertexClient;
use tunedeck::api::vertex::types::JobState;
use tunedeck::domain::vertex::{VertexMethod, VertexSource, VertexTuning};

fn preference_jsonl() -> Vec<u8> {
    ["rivers", "mountains", "deserts", "oceans", "forests", "lakes", "caves", "reefs"]
        .iter()
        .map(|t| {
            serde_json::json!({
                "contents": [{"role": "user", "parts": [{"text": format!("Tell me about {t}")}]}],
                "completions": [
                    {"score": 0, "completion": {"role": "model", "parts": [{"text": "Look it up."}]}},
                    {"score": 1, "completion": {"role": "model", "parts": [{"text": "Gladly: here it is."}]}},
                ],
            })
            .to_string()
                + "\n"
        })
        .collect::<String>()
        .into_bytes()
}

/// A finished DPO job in a fresh emulator, created over HTTP as any client would.
async fn dpo_job(emu: &tunedeck::emulator::RunningEmulator) {
    let api = || common::client_for(emu);
    let client = VertexClient::new(api(), api(), "p", "us-central1");
    let data = preference_jsonl();
    // The first three lines, whole.
    let validation: Vec<u8> = String::from_utf8_lossy(&data)
        .lines()
        .take(3)
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .into_bytes();
    client
        .upload("guide", "pref.jsonl", &data, |_, _| {})
        .await
        .unwrap();
    client
        .upload("guide", "val.jsonl", &validation, |_, _| {})
        .await
        .unwrap();
    let settings = VertexTuning {
        display_name: "kind-guide".into(),
        description: String::new(),
        source: VertexSource::Base("gemini-2.5-flash".into()),
        epochs: Some(6),
        multiplier: None,
        adapter_rank: Some(4),
        validation_percent: 0.0,
        method: VertexMethod::Preference { beta: Some(0.25) },
        open: Default::default(),
    };
    let job = client
        .create_tuning_job(&settings.to_job("gs://guide/pref.jsonl", "gs://guide/val.jsonl"))
        .await
        .unwrap();
    for _ in 0..3000 {
        let job = client.get_tuning_job(&job.name).await.unwrap();
        if job.state.is_terminal() {
            assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the DPO job did not end");
}

#[test]
fn the_job_detail_and_the_monitor_show_a_preference_job_and_its_reward_series() {
    if !have_tmux() {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let emu = runtime.block_on(common::start(common::fast_options()));
    runtime.block_on(dpo_job(&emu));
    let args = format!("--endpoint {} --vertex --project p", emu.base_url());
    for (size, name) in [((120, 40), "dpo-wide"), ((80, 24), "dpo-small")] {
        let tmux = Tmux::start_sized(name, &args, size, |_| {});
        let screen = tmux.wait_for("kind-guide");
        assert!(screen.contains("SUCCEEDED"), "{screen}");
        tmux.keys(&["Enter"]);
        let detail = tmux.wait_for("Method          preference (DPO) · beta");
        assert!(detail.contains("0.25"), "{detail}");
        assert!(
            detail.contains("8 preference"),
            "the data's statistics: {detail}"
        );
        tmux.keys(&["w"]);
        let monitor = tmux.wait_for("DPO loss");
        assert!(monitor.contains("preference (DPO)"), "{monitor}");
        assert!(monitor.contains("reward accuracy 1.00"), "{monitor}");
        assert!(
            monitor.contains("0.693"),
            "DPO's loss starts at ln 2: {monitor}"
        );
        tmux.keys(&["a"]);
        tmux.wait_for("│reward accuracy");
        tmux.keys(&["a"]);
        let margin = tmux.wait_for("│reward margin");
        assert!(margin.contains("0.000"), "the margin starts at 0: {margin}");
        tmux.keys(&["a"]);
        tmux.wait_for("DPO loss");
        tmux.keys(&["q"]);
        tmux.wait_for("EXITED 0");
    }
    runtime.block_on(emu.shutdown());
}
