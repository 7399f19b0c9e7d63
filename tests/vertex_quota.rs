//! The emulator's concurrent-tuning-jobs quota over HTTP, as the client reads it (v1beta1's
//! `tuningJobState`): a job over the quota stays PENDING, WAITING_FOR_QUOTA, until an earlier
//! job ends, first come first served across the project's locations; a cancel ends it where it
//! waits; a restart keeps the order; `--concurrent-tuning-jobs` sets the quota; and the CLI's
//! `jobs list`, `jobs get` and `watch` say how many jobs are ahead.

mod common;
use common::*;
use std::time::Duration;
use tunedeck::api::vertex::client::VertexClient;
use tunedeck::api::vertex::types::*;
use tunedeck::emulator::{EmulatorOptions, RunningEmulator};

fn jsonl() -> Vec<u8> {
    (0..8)
        .map(|i| {
            serde_json::json!({"contents": [
                {"role": "user", "parts": [{"text": format!("city {i}")}]},
                {"role": "model", "parts": [{"text": format!("capital {i}")}]}
            ]})
            .to_string()
                + "\n"
        })
        .collect::<String>()
        .into_bytes()
}

fn at(emu: &RunningEmulator, location: &str) -> VertexClient {
    VertexClient::new(client_for(emu), client_for(emu), "quota-project", location)
}

/// A job of `epochs` over the 8 examples (2 steps an epoch).
fn request(name: &str, epochs: i64) -> TuningJob {
    TuningJob {
        base_model: "gemini-2.5-flash".into(),
        tuned_model_display_name: name.into(),
        supervised_tuning_spec: Some(SupervisedTuningSpec {
            training_dataset_uri: "gs://quota-test/train.jsonl".into(),
            hyper_parameters: Some(HyperParameters {
                epoch_count: Some(epochs),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

async fn started(options: EmulatorOptions) -> (RunningEmulator, VertexClient) {
    let emu = start(options).await;
    let client = at(&emu, "us-central1");
    client
        .upload("quota-test", "train.jsonl", &jsonl(), |_, _| {})
        .await
        .unwrap();
    (emu, client)
}

/// Polls until `pred` holds for the job, which must not end first.
async fn until(client: &VertexClient, name: &str, what: &str, pred: impl Fn(&TuningJob) -> bool) {
    for _ in 0..3000 {
        let job = client.get_tuning_job(name).await.unwrap();
        if pred(&job) {
            return;
        }
        assert!(
            !job.state.is_terminal(),
            "{name} ended before {what}: {job:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("{name} never {what}");
}

async fn ended(client: &VertexClient, name: &str) -> TuningJob {
    for _ in 0..6000 {
        let job = client.get_tuning_job(name).await.unwrap();
        if job.state.is_terminal() {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("{name} did not end");
}

fn waiting(job: &TuningJob) -> bool {
    job.state == JobState::Pending && job.tuning_job_state == TuningJobState::WaitingForQuota
}

fn running(job: &TuningJob) -> bool {
    job.state == JobState::Running
}

fn options(step_ms: u64) -> EmulatorOptions {
    EmulatorOptions {
        step_interval: Duration::from_millis(step_ms),
        ..fast_options()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_job_waits_for_quota_even_in_another_location_then_runs_when_the_first_ends() {
    assert_eq!(EmulatorOptions::default().concurrent_tuning_jobs, 1);
    let (_emu, client) = started(options(10)).await;
    let first = client
        .create_tuning_job(&request("first", 60))
        .await
        .unwrap();
    until(&client, &first.name, "ran", running).await;
    // The quota is the project's, whatever the location.
    let europe = at(&_emu, "europe-west4");
    let second = europe
        .create_tuning_job(&request("second", 1))
        .await
        .unwrap();
    until(&europe, &second.name, "waited for quota", waiting).await;
    let listed = client.get_tuning_job(&first.name).await.unwrap();
    assert!(running(&listed), "the first runs on: {listed:?}");
    let second_now = europe.get_tuning_job(&second.name).await.unwrap();
    assert!(second_now.start_time.is_none(), "{second_now:?}");
    // v1 has no stage to report: the job is PENDING there, nothing more.
    let v1: serde_json::Value = reqwest::get(format!("{}/v1/{}", _emu.base_url(), second.name))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v1["state"], "JOB_STATE_PENDING");
    assert!(v1.get("tuningJobState").is_none(), "{v1}");

    let first = ended(&client, &first.name).await;
    let second = ended(&europe, &second.name).await;
    assert_eq!(first.state, JobState::Succeeded, "{:?}", first.error);
    assert_eq!(second.state, JobState::Succeeded, "{:?}", second.error);
    assert!(
        second.start_time.unwrap() >= first.end_time.unwrap(),
        "the second started once the first ended: {:?} {:?}",
        second.start_time,
        first.end_time
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_waiting_for_quota_is_cancelled_where_it_waits() {
    let (_emu, client) = started(options(10)).await;
    let first = client
        .create_tuning_job(&request("first", 200))
        .await
        .unwrap();
    let second = client
        .create_tuning_job(&request("second", 1))
        .await
        .unwrap();
    until(&client, &second.name, "waited for quota", waiting).await;
    client.cancel_tuning_job(&second.name).await.unwrap();
    let second = ended(&client, &second.name).await;
    assert_eq!(second.state, JobState::Cancelled);
    assert!(second.start_time.is_none(), "it never ran: {second:?}");
    assert_eq!(second.tuning_job_state, TuningJobState::Unspecified);
    let first_now = client.get_tuning_job(&first.name).await.unwrap();
    assert!(
        !first_now.state.is_terminal(),
        "the running job is not touched: {first_now:?}"
    );
    client.cancel_tuning_job(&first.name).await.unwrap();
    assert_eq!(ended(&client, &first.name).await.state, JobState::Cancelled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_quota_of_two_two_jobs_run_at_once_and_a_third_waits_behind_both() {
    let (_emu, client) = started(EmulatorOptions {
        concurrent_tuning_jobs: 2,
        ..options(10)
    })
    .await;
    let a = client.create_tuning_job(&request("a", 60)).await.unwrap();
    let b = client.create_tuning_job(&request("b", 60)).await.unwrap();
    let c = client.create_tuning_job(&request("c", 1)).await.unwrap();
    until(&client, &a.name, "ran", running).await;
    until(&client, &b.name, "ran beside the first", running).await;
    until(&client, &c.name, "waited for quota", waiting).await;
    let jobs = client.all_tuning_jobs("").await.unwrap();
    let rows = tunedeck::domain::vertex::JobSummary::rows(&jobs);
    let c_row = rows.iter().find(|r| r.display_name == "c").unwrap();
    assert_eq!(
        c_row.stage.map(|s| s.text()).as_deref(),
        Some("waiting for quota: 2 jobs ahead in this project")
    );
    let (a, b, c) = (
        ended(&client, &a.name).await,
        ended(&client, &b.name).await,
        ended(&client, &c.name).await,
    );
    let first_end = a.end_time.unwrap().min(b.end_time.unwrap());
    assert!(c.start_time.unwrap() >= first_end);
    assert!(
        b.start_time.unwrap() < a.end_time.unwrap(),
        "a and b overlapped"
    );
    assert_eq!(c.state, JobState::Succeeded, "{:?}", c.error);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_the_waiting_jobs_and_their_order() {
    let dir = tempfile::tempdir().unwrap();
    let options = EmulatorOptions {
        state_file: Some(dir.path().join("state.json")),
        ..options(20)
    };
    let (emu, client) = started(options.clone()).await;
    let first = client
        .create_tuning_job(&request("first", 30))
        .await
        .unwrap();
    let second = client
        .create_tuning_job(&request("second", 2))
        .await
        .unwrap();
    let third = client
        .create_tuning_job(&request("third", 2))
        .await
        .unwrap();
    until(&client, &third.name, "waited for quota", waiting).await;
    emu.shutdown().await;

    let emu = start(options).await;
    let client = at(&emu, "us-central1");
    for name in [&second.name, &third.name] {
        let job = client.get_tuning_job(name).await.unwrap();
        assert!(
            waiting(&job) || job.state == JobState::Running,
            "{name} still queues (its WAITING_FOR_QUOTA was journalled): {job:?}"
        );
    }
    let first = ended(&client, &first.name).await;
    let second = ended(&client, &second.name).await;
    let third = ended(&client, &third.name).await;
    for job in [&first, &second, &third] {
        assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    }
    assert!(second.start_time.unwrap() >= first.end_time.unwrap());
    assert!(
        third.start_time.unwrap() >= second.end_time.unwrap(),
        "first come, first served after the restart"
    );
}

#[test]
fn the_concurrent_tuning_jobs_flag_sets_the_quota_and_refuses_zero() {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        emulator: tunedeck::emulator::EmulatorArgs,
    }
    let parsed = Cli::parse_from(["emulator", "--concurrent-tuning-jobs", "3"]);
    assert_eq!(parsed.emulator.options().concurrent_tuning_jobs, 3);
    let default = Cli::parse_from(["emulator"]);
    assert_eq!(default.emulator.options().concurrent_tuning_jobs, 1);
    let home = tempfile::tempdir().unwrap();
    let out = bare_command(home.path())
        .args(["emulator", "--ephemeral", "--concurrent-tuning-jobs", "0"])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--concurrent-tuning-jobs"), "{err}");
}

/// `tunedeck --endpoint EMU --vertex --project P ARGS`.
async fn cli(
    emu: &RunningEmulator,
    home: &std::path::Path,
    args: &[&str],
) -> (i32, String, String) {
    let mut cmd = bare_command(home);
    cmd.timeout(Duration::from_secs(60))
        .args([
            "--endpoint",
            &emu.base_url(),
            "--vertex",
            "--project",
            "quota-project",
        ])
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
async fn jobs_list_get_and_watch_say_how_many_jobs_are_ahead() {
    let home = tempfile::tempdir().unwrap();
    let (emu, client) = started(options(50)).await;
    let first = client
        .create_tuning_job(&request("first", 100))
        .await
        .unwrap();
    let second = client
        .create_tuning_job(&request("second", 1))
        .await
        .unwrap();
    until(&client, &second.name, "waited for quota", waiting).await;
    let (code, table, err) = cli(&emu, home.path(), &["jobs", "list"]).await;
    assert_eq!(code, 0, "{err}");
    let line = table.lines().find(|l| l.contains("second")).unwrap();
    assert!(line.contains("PENDING · quota: 1 ahead"), "{table}");
    let line = table.lines().find(|l| l.contains("first")).unwrap();
    assert!(line.contains("RUNNING · "), "{table}");
    let (code, shown, err) = cli(&emu, home.path(), &["jobs", "get", second.id()]).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        shown.contains("JOB_STATE_PENDING · waiting for quota: 1 job ahead in this project"),
        "{shown}"
    );
    // watch follows it while it waits; the first is cancelled so it runs, and watch ends.
    let watch = {
        let base = emu.base_url();
        let home = home.path().to_owned();
        let name = second.name.clone();
        tokio::task::spawn_blocking(move || {
            let mut cmd = bare_command(&home);
            cmd.timeout(Duration::from_secs(60)).args([
                "--endpoint",
                &base,
                "--vertex",
                "--project",
                "quota-project",
                "watch",
                &name,
                "--interval",
                "0.1",
            ]);
            cmd.output().unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(800)).await;
    client.cancel_tuning_job(&first.name).await.unwrap();
    let out = watch.await.unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("PENDING (waiting for quota: 1 job ahead in this project)"),
        "{err}"
    );
}
