//! `tunedeck tune --dry-run` against the emulator, run as a script would: the plan's tokens are
//! the emulator's `countTokens` counts, epochs left to the service say so with a suggestion, the
//! steps and time come from the project's past jobs, the cost from `[prices]` with its date, the
//! quota line counts running jobs, a bad bucket name exits 2 naming the rule, and nothing is
//! ever uploaded or created; on the Gemini API it plans steps with no price and creates nothing.

mod common;
use std::path::Path;
use std::time::Duration;
use tunedeck::api::vertex::client::VertexClient;
use tunedeck::dataset::vertex::VertexExample;
use tunedeck::dataset::vertex_tokens::count_request;
use tunedeck::emulator::{EmulatorOptions, RunningEmulator};

async fn run(
    emu: &RunningEmulator,
    home: &Path,
    vertex: bool,
    args: &[&str],
) -> std::process::Output {
    let mut cmd = common::bare_command(home);
    cmd.timeout(Duration::from_secs(60)).current_dir(home);
    cmd.args(["--endpoint", &emu.base_url()]);
    if vertex {
        cmd.args(["--vertex", "--project", "tunedeck-demo"]);
    }
    cmd.args(args);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn lines(n: usize) -> Vec<serde_json::Value> {
    (0..n)
        .map(|i| {
            serde_json::json!({"contents": [
                {"role": "user", "parts": [{"text": format!("What is {i} plus one? 東京")}]},
                {"role": "model", "parts": [{"text": format!("{}", i + 1)}]}
            ]})
        })
        .collect()
}

fn write(dir: &Path, n: usize) {
    let text: String = lines(n).iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.join("plus.jsonl"), text).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_prints_the_plan_with_the_services_counts_and_creates_nothing() {
    let home = tempfile::tempdir().unwrap();
    write(home.path(), 40);
    // The base model a run with no --base-model tunes (today's default), priced in [prices].
    let base = tunedeck::domain::models::default_base_model(
        tunedeck::domain::models::Method::Supervised,
        chrono::Utc::now().date_naive(),
    );
    std::fs::create_dir_all(home.path().join("config/tunedeck")).unwrap();
    std::fs::write(
        home.path().join("config/tunedeck/config.toml"),
        format!("[prices]\nas_of = \"2026-11-30\"\n\"{base}\" = 4.0\n"),
    )
    .unwrap();
    // Steps at the emulator's usual pace, so the demo's live job is still running (holding the
    // one slot of the service's default quota the plan counts with) while the plans are made;
    // the emulator itself runs two at once, so a short past job of ours runs beside it.
    let emu = common::start(EmulatorOptions {
        demo: true,
        concurrent_tuning_jobs: 2,
        ..EmulatorOptions::default()
    })
    .await;
    let client = VertexClient::new(
        common::client_for(&emu),
        common::client_for(&emu),
        "tunedeck-demo",
        "us-central1",
    );
    // A finished job on the default base model: its batch size and pace are the estimates'.
    let past: String = lines(8).iter().map(|l| format!("{l}\n")).collect();
    client
        .upload("plus-past", "train.jsonl", past.as_bytes(), |_, _| {})
        .await
        .unwrap();
    let job = client
        .create_tuning_job(&tunedeck::api::vertex::types::TuningJob {
            base_model: base.into(),
            tuned_model_display_name: "plus-past".into(),
            supervised_tuning_spec: Some(tunedeck::api::vertex::types::SupervisedTuningSpec {
                training_dataset_uri: "gs://plus-past/train.jsonl".into(),
                hyper_parameters: Some(tunedeck::api::vertex::types::HyperParameters {
                    epoch_count: Some(1),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap();
    loop {
        let j = client.get_tuning_job(&job.name).await.unwrap();
        if j.state.is_terminal() {
            assert_eq!(j.state, tunedeck::api::vertex::types::JobState::Succeeded);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let before = client.all_tuning_jobs("").await.unwrap().len();

    let out = run(
        &emu,
        home.path(),
        true,
        &[
            "tune",
            "--dry-run",
            "--json",
            "--dataset",
            "plus.jsonl",
            "--held-out",
            "10",
            "--bucket",
            "plus-data",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The counts are the emulator's, for exactly the examples that would be uploaded.
    let examples: Vec<VertexExample> = lines(40)
        .into_iter()
        .map(|raw| VertexExample { raw })
        .collect();
    let mut one_by_one = 0;
    for e in &examples {
        one_by_one += client
            .count_tokens("gemini-2.5-flash", &count_request(std::slice::from_ref(e)))
            .await
            .unwrap()
            .total_tokens;
    }
    let training = plan["training"]["tokens"].as_i64().unwrap();
    let validation = plan["validation"]["tokens"].as_i64().unwrap();
    assert_eq!(training + validation, one_by_one, "{plan:#}");
    assert_eq!(plan["training"]["examples"], 36);
    assert_eq!(plan["validation"]["examples"], 4);
    assert_eq!(plan["training"]["exact"], true);
    // Epochs were left to the service: the figures use the suggestion, and say so.
    assert_eq!(plan["epochs"], serde_json::Value::Null);
    let suggested = plan["epochs_suggested"].as_i64().unwrap();
    assert_eq!(suggested, 3);
    assert_eq!(
        plan["billed_training_tokens"].as_i64().unwrap(),
        training * suggested
    );
    // Our finished job on the same base model gives the batch size and the time.
    assert_eq!(plan["batch_size"], 4, "{plan:#}");
    assert_eq!(plan["steps"], (36 * 3_u64).div_ceil(4), "{plan:#}");
    assert!(plan["seconds_low"].as_f64().unwrap() > 0.0, "{plan:#}");
    // The configured price, with its date.
    assert_eq!(plan["price_usd_per_million"], 4.0);
    assert_eq!(plan["price_as_of"], "2026-11-30");
    let cost = plan["cost_usd"].as_f64().unwrap();
    assert!((cost - (training * suggested) as f64 / 1e6 * 4.0).abs() < 1e-12);
    // The service's default quota, one job, and the demo's live job holds it.
    assert_eq!(plan["quota"], 1);
    assert_eq!(plan["running_jobs"], 1);
    assert_eq!(plan["waits_for_quota"], true);
    assert_eq!(plan["problems"].as_array().unwrap().len(), 0);

    // The same as text, then a bucket Cloud Storage would refuse: exit 2, the rule named.
    let out = run(
        &emu,
        home.path(),
        true,
        &[
            "tune",
            "--dry-run",
            "--dataset",
            "plus.jsonl",
            "--epochs",
            "2",
            "--bucket",
            "Bad_Bucket!",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.contains("nothing is uploaded or created"), "{shown}");
    assert!(shown.contains("epochs    2"), "{shown}");
    assert!(shown.contains("prices as of 2026-11-30"), "{shown}");
    assert!(
        shown.contains("problem   --bucket \"Bad_Bucket!\": has 'B'"),
        "{shown}"
    );
    assert!(
        text(&out.stderr).contains("nothing was created"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        shown.contains("quota     this job will wait for quota: 1 job running"),
        "{shown}"
    );

    // Nothing was created, nothing uploaded.
    assert_eq!(client.all_tuning_jobs("").await.unwrap().len(), before);
    let uploaded = client.list_objects("plus-data", "", 10).await;
    assert!(
        uploaded.as_ref().map_or(true, |l| l.items.is_empty()),
        "{uploaded:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_gemini_api_a_dry_run_plans_steps_with_no_price_and_creates_nothing() {
    let home = tempfile::tempdir().unwrap();
    let pairs: String = (0..20)
        .map(|i| format!("{{\"text_input\": \"{i}\", \"output\": \"{}\"}}\n", i + 1))
        .collect();
    std::fs::write(home.path().join("pairs.jsonl"), pairs).unwrap();
    let emu = common::start(common::fast_options()).await;
    let out = run(
        &emu,
        home.path(),
        false,
        &[
            "tune",
            "--dry-run",
            "--dataset",
            "pairs.jsonl",
            "--epochs",
            "3",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        shown.contains("steps     15 (3 epochs, batch size 4)"),
        "{shown}"
    );
    assert!(
        shown.contains("tuning on the Gemini API was free"),
        "{shown}"
    );
    let client = common::client_for(&emu);
    assert!(common::listed_ids(&client).await.is_empty());
}
