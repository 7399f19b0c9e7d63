//! Contexts in a real terminal: tmux runs the dashboard on Vertex AI against an emulator that
//! holds a job in us-central1 and one in europe-west4, with two `[[contexts]]` in the config
//! file. `:ctx` lists them and the tuning regions; choosing the other one changes the header
//! and the jobs; `:ctx all` lists the jobs of both locations at once, each with its location.
//!
//! Needs tmux; without it the test says so and passes, unless TUNEDECK_REQUIRE_TMUX_TEST is set.

mod common;
use common::tmux::{Tmux, have_tmux};
use std::time::Duration;
use tunedeck::api::vertex::client::VertexClient;
use tunedeck::api::vertex::types::{SupervisedTuningSpec, TuningJob};

/// Creates a small supervised job named `display` in `location` and waits for it to end.
async fn job_in(emu: &tunedeck::emulator::RunningEmulator, location: &str, display: &str) {
    let client = VertexClient::new(
        common::client_for(emu),
        common::client_for(emu),
        "ctx-project",
        location,
    );
    let lines: String = (0..4)
        .map(|i| {
            serde_json::json!({"contents": [
                {"role": "user", "parts": [{"text": format!("q{i}")}]},
                {"role": "model", "parts": [{"text": format!("a{i}")}]}
            ]})
            .to_string()
                + "\n"
        })
        .collect();
    let object = format!("{display}.jsonl");
    client
        .upload("ctx-data", &object, lines.as_bytes(), |_, _| {})
        .await
        .unwrap();
    let job = client
        .create_tuning_job(&TuningJob {
            base_model: "gemini-2.5-flash".into(),
            tuned_model_display_name: display.into(),
            supervised_tuning_spec: Some(SupervisedTuningSpec {
                training_dataset_uri: format!("gs://ctx-data/{object}"),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        job.name.contains(&format!("/locations/{location}/")),
        "{}",
        job.name
    );
    for _ in 0..3000 {
        if client
            .get_tuning_job(&job.name)
            .await
            .unwrap()
            .state
            .is_terminal()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{display} never ended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctx_switches_live_and_all_locations_lists_both_regions() {
    if !have_tmux() {
        return;
    }
    let emu = common::start(common::fast_options()).await;
    job_in(&emu, "us-central1", "central-job").await;
    job_in(&emu, "europe-west4", "west4-job").await;
    let config = "context = \"central\"\n\n[[contexts]]\nname = \"central\"\nproject = \"ctx-project\"\nlocation = \"us-central1\"\n\n[[contexts]]\nname = \"west\"\nproject = \"ctx-project\"\nlocation = \"europe-west4\"\n";
    let args = format!("--endpoint {} --config ctx.toml", emu.base_url());
    let tmux = Tmux::start_sized("ctx", &args, (120, 40), |home| {
        std::fs::write(home.join("ctx.toml"), config).unwrap();
    });
    let tmux = tokio::task::spawn_blocking(move || {
        let screen = tmux.wait_for("central-job");
        assert!(
            screen.contains("ctx central: ctx-project/us-central1"),
            "{screen}"
        );
        assert!(!screen.contains("west4-job"), "{screen}");
        // `:ctx` lists the contexts and the regions; Tab completes the command.
        tmux.keys(&[":", "ct", "Tab"]);
        tmux.wait_for(":ctx");
        tmux.keys(&["Enter"]);
        let list = tmux.wait_for("Contexts, then tuning regions (");
        for want in [
            "central",
            "west",
            "ctx-project/europe-west4",
            "all",
            "asia-east1",
        ] {
            assert!(list.contains(want), "{want} missing:\n{list}");
        }
        tmux.keys(&["Down", "Enter"]);
        let screen = tmux.wait_until("the west context's jobs", |s| {
            s.contains("west4-job") && !s.contains("central-job")
        });
        assert!(
            screen.contains("ctx west: ctx-project/europe-west4"),
            "{screen}"
        );
        // The all-locations view: both jobs, each with its location.
        tmux.keys(&[":", "ctx all", "Enter"]);
        let screen = tmux.wait_until("both jobs", |s| {
            s.contains("west4-job") && s.contains("central-job")
        });
        assert!(screen.contains("LOCATION"), "{screen}");
        assert!(screen.contains("ctx-project/all locations"), "{screen}");
        let row = |name: &str| {
            screen
                .lines()
                .find(|l| l.contains(name))
                .unwrap()
                .to_owned()
        };
        assert!(row("central-job").contains("us-central1"), "{screen}");
        assert!(row("west4-job").contains("europe-west4"), "{screen}");
        tmux
    })
    .await
    .unwrap();
    drop(tmux);
    emu.shutdown().await;
}
