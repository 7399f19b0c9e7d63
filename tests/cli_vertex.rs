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

/// Answers lost after the work is done, and 429s and 503s: `tune --watch` on Vertex AI exits 0
/// each time with exactly one job per run (the job carries a request label; after a lost answer
/// the jobs are listed by it before anything is created again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tune_survives_lost_answers_and_429_and_503_with_one_job_per_run() {
    let home = tempfile::tempdir().unwrap();
    let mut options = common::fast_options();
    options.seed = 4;
    options.faults = tunedeck::emulator::faults::Faults {
        rate_429: 0.1,
        rate_503: 0.1,
        retry_delay: Duration::from_millis(20),
        lose_answer_rate: 0.25,
        ..Default::default()
    };
    let emu = common::start(options).await;
    let data = dataset(home.path(), 16);
    let path = data.to_str().unwrap();
    let runs = 6;
    for round in 0..runs {
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
                "--epochs",
                "2",
                "--watch",
            ],
        )
        .await;
        assert_eq!(
            out.status.code(),
            Some(0),
            "round {round}: {}",
            text(&out.stderr)
        );
    }
    let mut jobs = None;
    for _ in 0..50 {
        let out = vertex(&emu, home.path(), "p", &["jobs", "list", "--json"]).await;
        if out.status.success() {
            jobs = Some(serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout).unwrap());
            break;
        }
    }
    let jobs = jobs.expect("the list answers");
    assert_eq!(jobs.len(), runs, "one job per run");
    for job in &jobs {
        let label = job["labels"]["tunedeck_request"].as_str().unwrap_or("");
        assert_eq!(label.len(), 32, "{job}");
    }
    let log = std::fs::read_to_string(home.path().join("state/tunedeck/tunedeck.log")).unwrap();
    assert!(
        log.contains("looking for the job by its label"),
        "no create answer was lost in {runs} runs: {log}"
    );
}

/// `watch` of a Vertex job, started while the service is down, waits for it past the client's
/// own retries (`--give-up-after` decides) and follows the job to its end; a service that
/// answers only 503 is given up on after the flag's seconds, not the client's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_rides_out_a_service_that_is_down_from_the_start() {
    let home = tempfile::tempdir().unwrap();
    let state = home.path().join("emulator.json");
    let options = EmulatorOptions {
        state_file: Some(state.clone()),
        step_interval: Duration::from_millis(50),
        ..common::fast_options()
    };
    let emu = common::start(options.clone()).await;
    let data = dataset(home.path(), 16);
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
            "2",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let job = text(&out.stdout).trim().to_owned();
    emu.shutdown().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut c = bare(home.path());
    c.args([
        "--endpoint",
        &format!("http://127.0.0.1:{port}"),
        "--vertex",
    ])
    .args(["--project", "p", "watch", &job, "--interval", "0.2"])
    .args(["--give-up-after", "60"])
    .timeout(Duration::from_secs(90));
    let watching = tokio::task::spawn_blocking(move || c.output().unwrap());
    tokio::time::sleep(Duration::from_secs(8)).await;
    let emu = tunedeck::emulator::start(options, format!("127.0.0.1:{port}").parse().unwrap())
        .await
        .unwrap();
    let out = watching.await.unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("poll failed"), "{err}");
    assert!(err.contains("SUCCEEDED"), "{err}");
    emu.shutdown().await;

    let mut options = common::fast_options();
    options.faults.rate_503 = 1.0;
    let emu = common::start(options).await;
    let out = vertex(
        &emu,
        home.path(),
        "p",
        &[
            "watch",
            "projects/p/locations/us-central1/tuningJobs/1",
            "--give-up-after",
            "9",
        ],
    )
    .await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let quiet: u64 = err
        .split("no successful poll for ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        quiet >= 9,
        "gave up after {quiet} s, before --give-up-after: {err}"
    );
}

/// `dataset lint --vertex` and `tune --vertex` run one check: an example with no text is
/// blocked by both, and tune uploads and starts nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lint_and_tune_block_the_same_vertex_file() {
    let home = tempfile::tempdir().unwrap();
    let emu = common::start(common::fast_options()).await;
    let file = home.path().join("empty-turn.jsonl");
    let mut lines = String::from(
        r#"{"contents":[{"role":"user","parts":[{"text":""}]},{"role":"model","parts":[{"text":"x"}]}]}"#,
    );
    lines.push('\n');
    for i in 0..20 {
        lines.push_str(&format!(
            "{{\"contents\":[{{\"role\":\"user\",\"parts\":[{{\"text\":\"q{i}\"}}]}},{{\"role\":\"model\",\"parts\":[{{\"text\":\"a{i}\"}}]}}]}}\n"
        ));
    }
    std::fs::write(&file, lines).unwrap();
    let path = file.to_str().unwrap();
    let lint = vertex(&emu, home.path(), "p", &["dataset", "lint", path]).await;
    assert_eq!(lint.status.code(), Some(2), "{}", text(&lint.stdout));
    let blocked = text(&lint.stdout);
    let finding = blocked
        .lines()
        .find(|l| l.contains("error"))
        .unwrap()
        .to_owned();
    let tune = vertex(
        &emu,
        home.path(),
        "p",
        &["tune", "--dataset", path, "--bucket", "b"],
    )
    .await;
    let err = text(&tune.stderr);
    assert_eq!(tune.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&finding),
        "tune reports lint's finding {finding:?}: {err}"
    );
    assert!(err.contains("nothing was uploaded or started"), "{err}");
    let jobs = vertex(&emu, home.path(), "p", &["jobs", "list", "--json"]).await;
    let jobs: Vec<serde_json::Value> = serde_json::from_slice(&jobs.stdout).unwrap();
    assert!(jobs.is_empty(), "{jobs:?}");
}

/// `tune --learning-rate` on Vertex AI is refused for Gemini models, which take only a
/// multiplier (it was dropped silently): nothing is uploaded or started.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_learning_rate_is_refused_for_gemini_models_on_vertex() {
    let home = tempfile::tempdir().unwrap();
    let emu = common::start(common::fast_options()).await;
    let data = dataset(home.path(), 16);
    let path = data.to_str().unwrap();
    for extra in [
        vec![],
        vec!["--base-model", "gemini-2.5-pro"],
        vec![
            "--source-model",
            "projects/p/locations/us-central1/models/9",
        ],
    ] {
        let mut args = vec![
            "tune",
            "--dataset",
            path,
            "--bucket",
            "b",
            "--learning-rate",
            "0.002",
        ];
        args.extend(extra);
        let out = vertex(&emu, home.path(), "p", &args).await;
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("--learning-rate 0.002: Gemini models on Vertex AI take only")
                && err.contains("--learning-rate-multiplier"),
            "{err}"
        );
        assert!(!err.contains("uploaded"), "{err}");
    }
    let jobs = vertex(&emu, home.path(), "p", &["jobs", "list", "--json"]).await;
    let jobs: Vec<serde_json::Value> = serde_json::from_slice(&jobs.stdout).unwrap();
    assert!(jobs.is_empty(), "{jobs:?}");
    // The multiplier is what they take.
    let out = vertex(
        &emu,
        home.path(),
        "p",
        &[
            "tune",
            "--dataset",
            path,
            "--bucket",
            "b",
            "--learning-rate-multiplier",
            "2",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
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
            "was tuned from gemini-2.5-flash already; choose another: gemini-3.1-flash-lite, gemini-3.5-flash",
        ),
        (
            vec!["jobs", "rebase", id, "--base-model", "gemini-9"],
            "--base-model gemini-9: Vertex AI does not tune it; choose one of gemini-3.1-flash-lite, gemini-3.5-flash",
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
