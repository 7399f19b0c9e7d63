//! The headless commands on Vertex AI, run as a script would (assert_cmd) against the
//! emulator: `jobs list|get|cancel`, `tune --watch` (upload, create, follow with train and eval
//! loss), `watch`, `generate` on the tuned endpoint, `models delete`, `dataset convert`, and
//! the errors that name their fix.

mod common;
use assert_cmd::Command;
use std::path::Path;
use std::time::Duration;
use tunedeck::emulator::{EmulatorOptions, RunningEmulator};

fn bare(home: &Path) -> Command {
    let mut cmd = common::bare_command(home);
    cmd.timeout(Duration::from_secs(60));
    cmd
}

/// `tunedeck --endpoint EMU --vertex --project P ARGS`, run to the end.
async fn vertex(
    emu: &RunningEmulator,
    home: &Path,
    project: &str,
    args: &[&str],
) -> std::process::Output {
    let mut cmd = bare(home);
    cmd.args([
        "--endpoint",
        &emu.base_url(),
        "--vertex",
        "--project",
        project,
    ])
    .args(args);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn dataset(dir: &Path, n: usize) -> std::path::PathBuf {
    let path = dir.join("colors.jsonl");
    let lines: String = (0..n)
        .map(|i| {
            serde_json::json!({"text_input": format!("color {i}"), "output": format!("hue {}", i % 4)})
                .to_string()
                + "\n"
        })
        .collect();
    std::fs::write(&path, lines).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_list_and_get_show_the_vertex_demo_and_errors_name_their_fix() {
    let home = tempfile::tempdir().unwrap();
    let options = EmulatorOptions {
        demo: true,
        ..common::fast_options()
    };
    let emu = common::start(options).await;
    let out = vertex(&emu, home.path(), "tunedeck-demo", &["jobs", "list"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.starts_with("ID "), "{table}");
    assert!(
        table.contains("number-generator") && table.contains("SUCCEEDED"),
        "{table}"
    );
    assert!(table.contains("roman-numerals"), "{table}");
    let out = vertex(
        &emu,
        home.path(),
        "tunedeck-demo",
        &["jobs", "list", "--json"],
    )
    .await;
    let jobs: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(jobs.len(), 2);
    let finished = jobs
        .iter()
        .find(|j| j["state"] == "JOB_STATE_SUCCEEDED")
        .unwrap();
    let name = finished["name"].as_str().unwrap();
    let out = vertex(&emu, home.path(), "tunedeck-demo", &["jobs", "get", name]).await;
    let shown = text(&out.stdout);
    assert!(shown.contains("checkpoint 1 · epoch 1"), "{shown}");
    assert!(shown.contains("endpoint   projects/"), "{shown}");
    let id = name.rsplit('/').next().unwrap();
    let out = vertex(
        &emu,
        home.path(),
        "tunedeck-demo",
        &["jobs", "get", id, "--json"],
    )
    .await;
    let job: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(job["name"], name, "a bare id names the job in the project");
    let out = vertex(&emu, home.path(), "tunedeck-demo", &["jobs", "cancel", id]).await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "a finished job cannot be cancelled"
    );
    assert!(text(&out.stderr).contains("has already ended"));

    // Without Vertex AI chosen, or without a project: exit 2 and what to do.
    let mut cmd = bare(home.path());
    cmd.args(["--endpoint", &emu.base_url(), "jobs", "list"]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--vertex"),
        "{}",
        text(&out.stderr)
    );
    let mut cmd = bare(home.path());
    cmd.args(["--endpoint", &emu.base_url(), "jobs", "list"])
        .env("GOOGLE_GENAI_USE_VERTEXAI", "true");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("GOOGLE_GENAI_USE_VERTEXAI") && err.contains("--project"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tune_uploads_creates_and_watches_then_the_endpoint_answers_and_the_model_goes() {
    let home = tempfile::tempdir().unwrap();
    let emu = common::start(common::fast_options()).await;
    let data = dataset(home.path(), 24);
    let path = data.to_str().unwrap();
    let out = vertex(
        &emu,
        home.path(),
        "p",
        &["tune", "--dataset", path, "--epochs", "4"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "no bucket");
    assert!(text(&out.stderr).contains("--bucket"));
    let out = vertex(
        &emu,
        home.path(),
        "p",
        &[
            "tune",
            "--dataset",
            path,
            "--bucket",
            "bkt",
            "--held-out",
            "25",
            "--epochs",
            "6",
            "--adapter-size",
            "16",
            "--watch",
        ],
    )
    .await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("uploaded gs://bkt/tunedeck/colors-"), "{err}");
    assert!(
        err.contains("18 training examples, 6 for validation"),
        "{err}"
    );
    assert!(
        err.contains("eval loss"),
        "the progress line has the eval loss: {err}"
    );
    assert!(err.contains("SUCCEEDED"), "{err}");
    let endpoint = text(&out.stdout).trim().to_owned();
    assert!(endpoint.contains("/endpoints/"), "{endpoint}");
    // A training input (the held-out share is split off with the domain's fixed seed).
    let inputs: Vec<usize> = (0..24).collect();
    let (training, _) = tunedeck::domain::tuning::split_held_out(&inputs, 6);
    let trained = training[3];
    let prompt = format!("color {trained}");
    let out = vertex(&emu, home.path(), "p", &["generate", &endpoint, &prompt]).await;
    assert_eq!(
        text(&out.stdout).trim(),
        format!("hue {}", trained % 4),
        "{}",
        text(&out.stderr)
    );
    let out = vertex(
        &emu,
        home.path(),
        "p",
        &["eval", &endpoint, "--dataset", path],
    )
    .await;
    let report = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{report}{}", text(&out.stderr));
    assert!(report.contains("on 24 examples: exact"), "{report}");
    // A Vertex file of conversations: each sent up to its last model turn (the dashboard's
    // evaluation builds the same request: dataset::vertex::eval_request).
    let talk = home.path().join("talk.jsonl");
    std::fs::write(
        &talk,
        concat!(
            r#"{"systemInstruction":{"parts":[{"text":"Count on."}]},"contents":[{"role":"user","parts":[{"text":"1"}]},{"role":"model","parts":[{"text":"2"}]},{"role":"user","parts":[{"text":"3"}]},{"role":"model","parts":[{"text":"4"}]}]}"#,
            "\n",
            r#"{"contents":[{"role":"user","parts":[{"text":"5"}]},{"role":"model","parts":[{"text":"6"}]}]}"#,
            "\n"
        ),
    )
    .unwrap();
    let talk = talk.display().to_string();
    let out = vertex(
        &emu,
        home.path(),
        "p",
        &["eval", &endpoint, "--dataset", &talk],
    )
    .await;
    let report = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{report}{}", text(&out.stderr));
    assert!(report.contains("on 2 examples: exact"), "{report}");
    let jobs = vertex(&emu, home.path(), "p", &["jobs", "list", "--json"]).await;
    let jobs: Vec<serde_json::Value> = serde_json::from_slice(&jobs.stdout).unwrap();
    let model = jobs[0]["tunedModel"]["model"].as_str().unwrap().to_owned();
    let out = vertex(
        &emu,
        home.path(),
        "p",
        &["models", "delete", &model, "--yes"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = vertex(&emu, home.path(), "p", &["generate", &endpoint, &prompt]).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "the endpoint went with the model"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_started_without_watch_is_cancelled_and_watch_exits_4() {
    let home = tempfile::tempdir().unwrap();
    let options = EmulatorOptions {
        step_interval: Duration::from_millis(50),
        ..common::fast_options()
    };
    let emu = common::start(options).await;
    let data = dataset(home.path(), 40);
    let out = vertex(
        &emu,
        home.path(),
        "p",
        &[
            "tune",
            "--dataset",
            data.to_str().unwrap(),
            "--bucket",
            "b",
            "--epochs",
            "100",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let job = text(&out.stdout).trim().to_owned();
    assert!(job.contains("/tuningJobs/"), "{job}");
    let out = vertex(&emu, home.path(), "p", &["cancel", &job]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = vertex(
        &emu,
        home.path(),
        "p",
        &["watch", &job, "--interval", "0.1"],
    )
    .await;
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("CANCELLED"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dataset_convert_to_vertex_and_back_and_multi_turn_refuses_to_become_pairs() {
    let home = tempfile::tempdir().unwrap();
    let data = dataset(home.path(), 3);
    let vertex_file = home.path().join("v.jsonl");
    let run = |args: Vec<String>| {
        let mut cmd = bare(home.path());
        cmd.args(args);
        cmd.output().unwrap()
    };
    let out = run(vec![
        "dataset".into(),
        "convert".into(),
        data.display().to_string(),
        vertex_file.display().to_string(),
        "--to".into(),
        "vertex".into(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(&vertex_file).unwrap();
    assert!(
        written.starts_with("{\"contents\":[{\"role\":\"user\""),
        "{written}"
    );
    let back = home.path().join("back.jsonl");
    let out = run(vec![
        "dataset".into(),
        "convert".into(),
        vertex_file.display().to_string(),
        back.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(&back).unwrap(),
        std::fs::read_to_string(&data).unwrap(),
        "pairs → Vertex → pairs is the same file"
    );
    let multi = home.path().join("multi.jsonl");
    std::fs::write(
        &multi,
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"a\"}]},{\"role\":\"model\",\"parts\":[{\"text\":\"b\"}]},{\"role\":\"user\",\"parts\":[{\"text\":\"c\"}]},{\"role\":\"model\",\"parts\":[{\"text\":\"d\"}]}]}\n",
    )
    .unwrap();
    let csv = home.path().join("multi.csv");
    let out = run(vec![
        "dataset".into(),
        "convert".into(),
        multi.display().to_string(),
        csv.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("4 turns"),
        "{}",
        text(&out.stderr)
    );
    assert!(!csv.exists(), "nothing written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_checks_project_location_credentials_and_the_bucket_with_fixes() {
    let home = tempfile::tempdir().unwrap();
    let emu = common::start(common::fast_options()).await;
    let out = vertex(&emu, home.path(), "p", &["doctor", "--bucket", "bkt"]).await;
    let shown = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{shown}{}", text(&out.stderr));
    assert!(
        shown.contains("✓ backend: Vertex AI (chosen by --vertex)"),
        "{shown}"
    );
    assert!(shown.contains("✓ project: p"), "{shown}");
    assert!(shown.contains("✓ location: us-central1"), "{shown}");
    assert!(shown.contains("✓ tuningJobs.list"), "{shown}");
    assert!(
        shown.contains("✓ bucket: gs://bkt can be listed"),
        "{shown}"
    );
    // An emulator that wants a token, and none sent: the failure and its fix.
    let locked = common::start(EmulatorOptions {
        require_token: Some("right-token".to_owned().into()),
        ..common::fast_options()
    })
    .await;
    let out = vertex(&locked, home.path(), "p", &["doctor"]).await;
    let shown = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("✗ tuningJobs.list"), "{shown}");
    assert!(shown.contains("fix: log in again"), "{shown}");
    let mut cmd = bare(home.path());
    cmd.args(["--endpoint", &emu.base_url(), "--vertex", "doctor"]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("✗ project"),
        "{}",
        text(&out.stdout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validation_share_over_vertex_limit_is_refused_before_any_upload() {
    let home = tempfile::tempdir().unwrap();
    let emu = common::start(common::fast_options()).await;
    // 20,000 examples, half held out: 10,000 validation examples, over the 5,000 allowed.
    let data = dataset(home.path(), 20_000);
    let out = vertex(
        &emu,
        home.path(),
        "p",
        &[
            "tune",
            "--dataset",
            data.to_str().unwrap(),
            "--bucket",
            "b",
            "--held-out",
            "50",
        ],
    )
    .await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("10000 validation examples") && err.contains("at most 5000"),
        "{err}"
    );
    assert!(!err.contains("uploaded"), "{err}");
}

#[test]
fn dataset_lint_checks_vertex_limits_for_vertex_files_and_with_vertex_chosen() {
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| bare(home.path()).args(args).output().unwrap();
    // A pair with a 6,000-character output: over the Gemini API's 5,000, fine for Vertex AI.
    let pairs = home.path().join("long.jsonl");
    std::fs::write(
        &pairs,
        format!(
            "{}\n",
            serde_json::json!({"text_input": "tell", "output": "x".repeat(6_000)})
        ),
    )
    .unwrap();
    let file = pairs.display().to_string();
    let out = run(&["dataset", "lint", &file]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let out = run(&["--vertex", "dataset", "lint", &file]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    // A Vertex file: a multi-turn example read whole; one without a model turn named.
    let talk = home.path().join("talk.jsonl");
    std::fs::write(
        &talk,
        concat!(
            r#"{"contents":[{"role":"user","parts":[{"text":"Hi"}]},{"role":"model","parts":[{"text":"Argh"}]},{"role":"user","parts":[{"text":"?"}]},{"role":"model","parts":[{"text":"!"}]}]}"#,
            "\n",
            r#"{"contents":[{"role":"user","parts":[{"text":"alone"}]}]}"#,
            "\n"
        ),
    )
    .unwrap();
    let out = run(&["dataset", "lint", &talk.display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    let said = text(&out.stdout);
    assert!(said.contains("example 2: error: no model turn"), "{said}");
    assert!(!said.contains("example 1: error"), "{said}");
}

/// Issue 25 item 16: `models delete` on Vertex AI follows the Operation the delete answers and
/// reports the error it ends with (exit 1), instead of printing "deleted" for any 2xx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_delete_reports_the_error_its_operation_ends_with() {
    use axum::response::IntoResponse;
    let op = "projects/1/locations/us-central1/operations/42";
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| async move {
        let body = if req.method() == axum::http::Method::DELETE {
            serde_json::json!({"name": op, "done": false})
        } else {
            serde_json::json!({"name": op, "done": true, "error": {
                "code": 9, "message": "The Model is deployed to an Endpoint."}})
        };
        axum::Json(body).into_response()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let home = tempfile::tempdir().unwrap();
    let mut cmd = bare(home.path());
    cmd.args([
        "--endpoint",
        &base,
        "--vertex",
        "--project",
        "1",
        "models",
        "delete",
        "7",
        "--yes",
    ]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("deployed to an Endpoint"), "{stderr}");
    assert!(
        !text(&out.stdout).contains("deleted"),
        "{}",
        text(&out.stdout)
    );
}

/// Issue 26 item 4: `jobs rebase JOB --base-model M` makes a new job with the old one's data
/// and settings on the new base, and `--watch` follows it to SUCCEEDED; a job that is unknown,
/// made no model, or a base that is not tunable or is the same as before is refused, exit 2,
/// naming the models to choose from, before anything is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_rebase_retunes_on_a_new_base_and_refusals_name_the_choices() {
    let home = tempfile::tempdir().unwrap();
    let emu = common::start(EmulatorOptions {
        demo: true,
        ..common::fast_options()
    })
    .await;
    let out = vertex(
        &emu,
        home.path(),
        "tunedeck-demo",
        &["jobs", "list", "--json"],
    )
    .await;
    let jobs: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let old = jobs
        .iter()
        .find(|j| j["tunedModelDisplayName"] == "number-generator")
        .unwrap()
        .clone();
    let id = old["name"].as_str().unwrap().rsplit('/').next().unwrap();
    let out = vertex(
        &emu,
        home.path(),
        "tunedeck-demo",
        &[
            "jobs",
            "rebase",
            id,
            "--base-model",
            "gemini-2.5-pro",
            "--watch",
            "--json",
        ],
    )
    .await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("Rebasing number-generator from gemini-2.5-flash onto gemini-2.5-pro"),
        "{err}"
    );
    let done: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(done["state"], "JOB_STATE_SUCCEEDED", "{done}");
    assert_eq!(done["baseModel"], "gemini-2.5-pro");
    assert_ne!(done["name"], old["name"]);
    assert_eq!(
        done["supervisedTuningSpec"]["trainingDatasetUri"],
        old["supervisedTuningSpec"]["trainingDatasetUri"]
    );
    assert_eq!(
        done["supervisedTuningSpec"]["hyperParameters"],
        old["supervisedTuningSpec"]["hyperParameters"]
    );
    assert_ne!(done["tunedModel"]["model"], old["tunedModel"]["model"]);

    for (args, says) in [
        (
            vec!["jobs", "rebase", id, "--base-model", "gemini-2.5-flash"],
            "was tuned from gemini-2.5-flash already; choose another: gemini-3.5-flash",
        ),
        (
            vec!["jobs", "rebase", id, "--base-model", "gemini-9"],
            "--base-model gemini-9: Vertex AI does not tune it; choose one of gemini-3.5-flash",
        ),
        (
            vec!["jobs", "rebase", "123", "--base-model", "gemini-2.5-pro"],
            "no tuning job 123",
        ),
    ] {
        let out = vertex(&emu, home.path(), "tunedeck-demo", &args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    emu.shutdown().await;

    // A job still running made no model yet.
    let emu = common::start(EmulatorOptions {
        demo: true,
        step_interval: Duration::from_secs(3600),
        ..common::fast_options()
    })
    .await;
    let out = vertex(
        &emu,
        home.path(),
        "tunedeck-demo",
        &["jobs", "list", "--json"],
    )
    .await;
    let jobs: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let live = jobs
        .iter()
        .find(|j| j["tunedModelDisplayName"] == "roman-numerals")
        .unwrap();
    let name = live["name"].as_str().unwrap();
    let out = vertex(
        &emu,
        home.path(),
        "tunedeck-demo",
        &["jobs", "rebase", name, "--base-model", "gemini-2.5-pro"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("roman-numerals") && err.contains("made no tuned model"),
        "{err}"
    );
    let out = vertex(
        &emu,
        home.path(),
        "tunedeck-demo",
        &["jobs", "list", "--json"],
    )
    .await;
    let jobs: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(jobs.len(), 2, "nothing was created");
}
