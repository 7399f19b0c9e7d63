//! Contexts and the all-locations list in the headless commands, run as a script would:
//! `jobs list --all-locations` lists the jobs of two locations of the emulator with their
//! location; `--context NAME` takes a `[[contexts]]` entry's project and location; an unknown
//! context and a broken entry are errors that name what to fix.

mod common;
use std::path::Path;
use std::time::Duration;
use tunedeck::api::vertex::client::VertexClient;
use tunedeck::api::vertex::types::{SupervisedTuningSpec, TuningJob};
use tunedeck::emulator::RunningEmulator;

async fn job_in(emu: &RunningEmulator, location: &str, display: &str) {
    let client = VertexClient::new(
        common::client_for(emu),
        common::client_for(emu),
        "ctx-project",
        location,
    );
    let line = serde_json::json!({"contents": [
        {"role": "user", "parts": [{"text": "q"}]},
        {"role": "model", "parts": [{"text": "a"}]}
    ]})
    .to_string()
        + "\n";
    client
        .upload("ctx-data", "t.jsonl", line.repeat(4).as_bytes(), |_, _| {})
        .await
        .unwrap();
    client
        .create_tuning_job(&TuningJob {
            base_model: "gemini-2.5-flash".into(),
            tuned_model_display_name: display.into(),
            supervised_tuning_spec: Some(SupervisedTuningSpec {
                training_dataset_uri: "gs://ctx-data/t.jsonl".into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap();
}

async fn run(emu: &RunningEmulator, home: &Path, args: &[&str]) -> (i32, String, String) {
    let mut cmd = common::bare_command(home);
    cmd.timeout(Duration::from_secs(60))
        .args(["--endpoint", &emu.base_url()])
        .args(args);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_locations_and_contexts_from_the_command_line() {
    let emu = common::start(common::fast_options()).await;
    job_in(&emu, "us-central1", "central-job").await;
    job_in(&emu, "europe-west4", "west4-job").await;
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("ctx.toml");
    std::fs::write(
        &config,
        "[[contexts]]\nname = \"west\"\nproject = \"ctx-project\"\nlocation = \"europe-west4\"\n",
    )
    .unwrap();
    let config = config.display().to_string();

    let (code, out, err) = run(
        &emu,
        home.path(),
        &[
            "--vertex",
            "--project",
            "ctx-project",
            "jobs",
            "list",
            "--all-locations",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(out.lines().next().unwrap().contains("LOCATION"), "{out}");
    let row = |name: &str| {
        out.lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name}:\n{out}"))
            .to_owned()
    };
    assert!(row("central-job").contains("us-central1"), "{out}");
    assert!(row("west4-job").contains("europe-west4"), "{out}");

    // --context: the entry's project and location (Vertex AI chosen by it).
    let (code, out, err) = run(
        &emu,
        home.path(),
        &["--config", &config, "--context", "west", "jobs", "list"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("west4-job") && !out.contains("central-job"),
        "{out}"
    );

    // An unknown context names the known ones; a filter does not go with every location.
    let (code, _, err) = run(
        &emu,
        home.path(),
        &["--config", &config, "--context", "east", "jobs", "list"],
    )
    .await;
    assert_ne!(code, 0);
    assert!(
        err.contains("--context east") && err.contains("known: west"),
        "{err}"
    );
    let (code, _, err) = run(
        &emu,
        home.path(),
        &[
            "--vertex",
            "--project",
            "ctx-project",
            "jobs",
            "list",
            "--all-locations",
            "--filter",
            "state=\"JOB_STATE_RUNNING\"",
        ],
    )
    .await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--all-locations"), "{err}");

    // A broken entry: the file, the line and the field.
    std::fs::write(
        &config,
        "[[contexts]]\nname = \"west\"\nproject = \"ctx-project\"\nlocation = \"Europe West\"\n",
    )
    .unwrap();
    let (code, _, err) = run(
        &emu,
        home.path(),
        &["--config", &config, "--context", "west", "jobs", "list"],
    )
    .await;
    assert_ne!(code, 0);
    assert!(
        err.contains("line 4: contexts[1].location \"Europe West\""),
        "{err}"
    );
    emu.shutdown().await;
}

/// A client moved to another location uses that location's Google host; an endpoint (the
/// emulator, a proxy) serves every location and is kept.
#[test]
fn a_client_moves_to_the_location_host_or_keeps_its_endpoint() {
    let config = tunedeck::api::ClientConfig::new("", tunedeck::api::Credentials::None);
    let google = VertexClient::connect(config.clone(), None, None, "p", "us-central1").unwrap();
    assert_eq!(
        google.base_url(),
        "https://us-central1-aiplatform.googleapis.com"
    );
    let moved = google.at("q", "europe-west4");
    assert_eq!(
        moved.base_url(),
        "https://europe-west4-aiplatform.googleapis.com"
    );
    assert_eq!(moved.parent(), "projects/q/locations/europe-west4");
    let local = VertexClient::connect(config, Some("http://127.0.0.1:9"), None, "p", "us-central1")
        .unwrap();
    assert_eq!(local.at("p", "asia-east1").base_url(), "http://127.0.0.1:9");
}
