//! Open-model tuning (Gemma, Llama, Qwen; v1beta1) against the emulator over HTTP, with
//! tunedeck's own client: a job in full mode and one with an adapter trained to SUCCEEDED, the
//! tuned weights written under `outputUri` as safetensors files, the endpoint answering what it
//! learnt; the refusals (region, no output folder, a mode the model does not take, a
//! multiplier, open-model fields on a Gemini model or on v1); and a tuned endpoint on a retired
//! base answering 404 once the emulator is told a day to retire models at.

mod common;

use common::*;
use std::time::Duration;
use tunedeck::api::types::GenerateContentRequest;
use tunedeck::api::vertex::client::VertexClient;
use tunedeck::api::vertex::types::{JobState, TuningJob, WireTuningMode};
use tunedeck::domain::vertex::{
    OpenSettings, TuningMode, VertexSource, VertexTuning, takes_learning_rate,
};
use tunedeck::emulator::EmulatorOptions;

const PAIRS: [(&str, &str); 4] = [
    ("city france", "paris"),
    ("city italy", "rome"),
    ("city spain", "madrid"),
    ("city japan", "tokyo"),
];

fn jsonl() -> Vec<u8> {
    PAIRS
        .iter()
        .map(|(q, a)| {
            serde_json::json!({"contents": [
                {"role": "user", "parts": [{"text": q}]},
                {"role": "model", "parts": [{"text": a}]}
            ]})
            .to_string()
                + "\n"
        })
        .collect::<String>()
        .into_bytes()
}

fn settings(model: &str, open: OpenSettings) -> VertexTuning {
    VertexTuning {
        display_name: "capitals".into(),
        description: String::new(),
        source: VertexSource::Base(model.into()),
        epochs: Some(20),
        multiplier: None,
        adapter_rank: None,
        validation_percent: 0.0,
        open,
        method: tunedeck::domain::vertex::VertexMethod::Supervised,
    }
}

fn open(mode: Option<TuningMode>, output: &str) -> OpenSettings {
    OpenSettings {
        tuning_mode: mode,
        batch_size: Some(2),
        learning_rate: Some(3e-4),
        output_uri: output.into(),
    }
}

async fn vertex(emu: &tunedeck::emulator::RunningEmulator, location: &str) -> VertexClient {
    let api = || client_for(emu);
    let client = VertexClient::new(api(), api(), "open-project", location);
    client
        .upload("open-bucket", "train.jsonl", &jsonl(), |_, _| {})
        .await
        .unwrap();
    client
}

async fn finished(client: &VertexClient, name: &str) -> TuningJob {
    for _ in 0..3000 {
        let job = client.get_tuning_job(name).await.unwrap();
        if job.state.is_terminal() {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{name} did not end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_models_tune_in_full_and_with_an_adapter_and_write_their_weights() {
    let emu = start(EmulatorOptions {
        concurrent_tuning_jobs: 4,
        ..fast_options()
    })
    .await;
    let client = vertex(&emu, "europe-west4").await;
    let full = settings(
        "meta/llama3-2@llama-3.2-1b-instruct",
        open(None, "gs://open-bucket/out/full"),
    );
    // Llama 3.2 1B takes full tuning only: the mode when none is given.
    assert_eq!(full.mode(), Some(TuningMode::Full));
    let adapter = settings(
        "google/gemma-3-27b-it",
        open(Some(TuningMode::Adapter), "gs://open-bucket/out/adapter/"),
    );
    let mut names = Vec::new();
    for s in [&full, &adapter] {
        s.check_in(&client.location).unwrap();
        let request = s.to_job("gs://open-bucket/train.jsonl", "");
        assert!(request.needs_v1beta1());
        let created = client.create_tuning_job(&request).await.unwrap();
        assert_eq!(created.output_uri, request.output_uri);
        names.push(created.name);
    }
    let prompt = GenerateContentRequest::text("city italy");
    for (name, mode, weights, config) in [
        (
            &names[0],
            WireTuningMode::Full,
            "out/full/postprocess/node-0/checkpoints/final/model.safetensors",
            "out/full/postprocess/node-0/checkpoints/final/config.json",
        ),
        (
            &names[1],
            WireTuningMode::PeftAdapter,
            "out/adapter/postprocess/node-0/checkpoints/final/adapter_model.safetensors",
            "out/adapter/postprocess/node-0/checkpoints/final/adapter_config.json",
        ),
    ] {
        let job = finished(&client, name).await;
        assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
        let spec = job.supervised_tuning_spec.clone().unwrap();
        assert_eq!(spec.tuning_mode, mode);
        let hp = spec.hyper_parameters.unwrap();
        assert_eq!(
            (hp.batch_size, hp.learning_rate, hp.learning_rate_multiplier),
            (Some(2), Some(3e-4), None),
            "the open model's settings, as given, and no multiplier"
        );
        // The tuned weights: a safetensors file (length, JSON header, bytes) and its config.
        let file = client.read_object("open-bucket", weights).await.unwrap();
        let n = u64::from_le_bytes(file[..8].try_into().unwrap()) as usize;
        let header: serde_json::Value = serde_json::from_slice(&file[8..8 + n]).unwrap();
        assert_eq!(header["classifier.weight"]["dtype"], "F32");
        assert_eq!(header["__metadata__"]["tuning_job"], job.name.as_str());
        let end = header["classifier.bias"]["data_offsets"][1]
            .as_u64()
            .unwrap() as usize;
        assert_eq!(file.len(), 8 + n + end);
        let config: serde_json::Value =
            serde_json::from_slice(&client.read_object("open-bucket", config).await.unwrap())
                .unwrap();
        assert_eq!(config["base_model_name_or_path"], job.base_model.as_str());
        // The endpoint answers what it learnt.
        let endpoint = job.tuned_model.unwrap().endpoint;
        let answer = client.generate_content(&endpoint, &prompt).await.unwrap();
        assert_eq!(answer.text().trim(), "rome", "{}", job.base_model);
    }
    // On v1 the same job shows none of v1beta1's open-model fields.
    let mut v1 = client.clone();
    v1.job_reads_version = "v1".into();
    let seen = v1.get_tuning_job(&names[0]).await.unwrap();
    assert!(seen.output_uri.is_empty());
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_refuses_what_the_model_does_not_take() {
    let emu = start(fast_options()).await;
    let client = vertex(&emu, "us-central1").await;
    let out = "gs://open-bucket/out";
    let refused = |s: VertexTuning| {
        let client = client.clone();
        async move {
            let e = client
                .create_tuning_job(&s.to_job("gs://open-bucket/train.jsonl", ""))
                .await
                .unwrap_err();
            assert_eq!(e.http_status, Some(400), "{e}");
            e.message
        }
    };
    // No output folder.
    let mut no_output = settings("qwen/qwen3@qwen3-32b", open(None, out));
    no_output.open.output_uri.clear();
    assert_eq!(
        refused(no_output).await,
        "output_uri is required to tune open model qwen/qwen3@qwen3-32b."
    );
    // A mode the model does not take.
    assert_eq!(
        refused(settings(
            "meta/llama3-2@llama-3.2-3b-instruct",
            open(Some(TuningMode::Adapter), out)
        ))
        .await,
        "Tuning mode TUNING_MODE_PEFT_ADAPTER is not supported for base model meta/llama3-2@llama-3.2-3b-instruct."
    );
    // A multiplier on an open model.
    let mut multiplier = settings("meta/llama3_1@llama-3.1-8b", open(None, out));
    multiplier.open.learning_rate = None;
    multiplier.multiplier = Some(2.0);
    assert!(
        refused(multiplier)
            .await
            .starts_with("learning_rate_multiplier is not supported for open model")
    );
    // Open-model fields on a Gemini model.
    let mut gemini = settings("gemini-3.5-flash", open(None, out));
    gemini.open.learning_rate = None;
    gemini.open.batch_size = None;
    assert_eq!(
        refused(gemini).await,
        "output_uri is only available for open models; gemini-3.5-flash is a Gemini model."
    );
    // A region the open models do not tune in.
    let elsewhere = vertex(&emu, "asia-northeast1").await;
    let e = elsewhere
        .create_tuning_job(
            &settings("google/gemma-3-27b-it", open(None, out))
                .to_job("gs://open-bucket/train.jsonl", ""),
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "Base model google/gemma-3-27b-it is not supported for tuning in asia-northeast1. Supported regions: us-central1, europe-west4."
    );
    // On v1 the open-model fields do not exist.
    let url = format!(
        "{}/v1/projects/open-project/locations/us-central1/tuningJobs",
        emu.base_url()
    );
    let body = serde_json::json!({
        "baseModel": "google/gemma-3-27b-it",
        "outputUri": out,
        "supervisedTuningSpec": {"trainingDatasetUri": "gs://open-bucket/train.jsonl"}
    });
    let answer = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 400);
    let text = answer.text().await.unwrap();
    assert!(
        text.contains("Unknown name \\\"outputUri\\\"")
            || text.contains("Unknown name \"outputUri\""),
        "{text}"
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tuned_endpoint_on_a_retired_base_answers_404_from_the_day_it_is_told() {
    let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    // A model tuned on Gemini 2.5 Flash while the emulator retires nothing.
    let emu = start(EmulatorOptions {
        state_file: Some(state.clone()),
        ..fast_options()
    })
    .await;
    let client = vertex(&emu, "us-central1").await;
    let mut gemini = settings("gemini-2.5-flash", OpenSettings::default());
    gemini.multiplier = Some(1.0);
    let request = gemini.to_job("gs://open-bucket/train.jsonl", "");
    let created = client.create_tuning_job(&request).await.unwrap();
    let job = finished(&client, &created.name).await;
    let endpoint = job.tuned_model.unwrap().endpoint;
    emu.shutdown().await;
    // The same state read on the day before the retirement, then the day after.
    for (retire_at, answers) in [(day("2026-10-16"), true), (day("2026-10-17"), false)] {
        let emu = start(EmulatorOptions {
            state_file: Some(state.clone()),
            retire_models_at: Some(retire_at),
            ..fast_options()
        })
        .await;
        let client = vertex(&emu, "us-central1").await;
        let answer = client
            .generate_content(&endpoint, &GenerateContentRequest::text("city spain"))
            .await;
        let create = client.create_tuning_job(&request).await;
        if answers {
            assert!(answer.is_ok(), "{retire_at}: {answer:?}");
            assert!(create.is_ok(), "{retire_at}: {create:?}");
        } else {
            let e = answer.unwrap_err();
            assert_eq!(e.http_status, Some(404));
            assert_eq!(
                e.message,
                "Publisher Model `publishers/google/models/gemini-2.5-flash` was not found or your project does not have access to it."
            );
            let e = create.unwrap_err();
            assert_eq!(e.http_status, Some(400));
            assert_eq!(
                e.message,
                "Base model gemini-2.5-flash is not supported for tuning: it was retired on 2026-10-16."
            );
        }
        emu.shutdown().await;
    }
}

/// `tunedeck --endpoint EMU --vertex --project P [--location L] ARGS`, run to the end.
async fn cli(
    emu: &tunedeck::emulator::RunningEmulator,
    home: &std::path::Path,
    args: Vec<String>,
) -> (Option<i32>, String, String) {
    let mut cmd = common::bare_command(home);
    cmd.timeout(Duration::from_secs(60));
    cmd.args([
        "--endpoint",
        &emu.base_url(),
        "--vertex",
        "--project",
        "open-project",
    ])
    .args(args);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tunedeck_tune_takes_the_open_model_flags_and_refuses_what_the_model_does_not_take() {
    let emu = start(fast_options()).await;
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("caps.jsonl");
    let lines: String = PAIRS
        .iter()
        .map(|(q, a)| serde_json::json!({"text_input": q, "output": a}).to_string() + "\n")
        .collect();
    std::fs::write(&data, lines).unwrap();
    let tune = |extra: &[&str]| {
        let mut args: Vec<String> = [
            "tune",
            "--dataset",
            data.to_str().unwrap(),
            "--bucket",
            "open-bucket",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let llama = "meta/llama3_1@llama-3.1-8b";
    for (extra, says) in [
        (
            vec![
                "--base-model",
                llama,
                "--tuning-mode",
                "lora-ish",
                "--output-uri",
                "gs://open-bucket/o",
            ],
            "--tuning-mode lora-ish: use full or adapter",
        ),
        (
            vec!["--base-model", llama],
            "--output-uri: meta/llama3_1@llama-3.1-8b is an open model: its tuning needs an output URI",
        ),
        (
            vec![
                "--base-model",
                "meta/llama3-2@llama-3.2-1b-instruct",
                "--tuning-mode",
                "adapter",
                "--output-uri",
                "gs://open-bucket/o",
            ],
            "--tuning-mode: meta/llama3-2@llama-3.2-1b-instruct does not take adapter tuning; it takes full",
        ),
        (
            vec![
                "--base-model",
                llama,
                "--learning-rate-multiplier",
                "2",
                "--output-uri",
                "gs://open-bucket/o",
            ],
            "--learning-rate-multiplier: meta/llama3_1@llama-3.1-8b is an open model: give a learning rate",
        ),
        (
            vec![
                "--base-model",
                llama,
                "--output-uri",
                "gs://open-bucket/o",
                "--location",
                "asia-northeast1",
            ],
            "--location: meta/llama3_1@llama-3.1-8b does not tune in asia-northeast1; it tunes in us-central1, europe-west4",
        ),
        (
            vec!["--base-model", "gemini-3.1-flash-lite", "--batch-size", "8"],
            "--batch-size: gemini-3.1-flash-lite takes no batch size; it is an open model's setting",
        ),
    ] {
        let (code, _, err) = cli(&emu, home.path(), tune(&extra)).await;
        assert_eq!(code, Some(2), "{extra:?}: {err}");
        assert!(err.contains(says), "{extra:?}: {err}");
    }
    // Accepted: created on v1beta1, and `jobs get` shows the open model's settings.
    let (code, out, err) = cli(
        &emu,
        home.path(),
        tune(&[
            "--base-model",
            llama,
            "--tuning-mode",
            "full",
            "--batch-size",
            "2",
            "--learning-rate",
            "0.0002",
            "--output-uri",
            "gs://open-bucket/o",
            "--epochs",
            "3",
        ]),
    )
    .await;
    assert_eq!(code, Some(0), "{err}");
    let name = out.trim().to_owned();
    let (code, shown, err) = cli(&emu, home.path(), vec!["jobs".into(), "get".into(), name]).await;
    assert_eq!(code, Some(0), "{err}");
    assert!(
        shown.contains(
            "open model full · batch 2 · learning rate 0.0002 · output gs://open-bucket/o"
        ),
        "{shown}"
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_on_a_retired_bases_endpoint_says_so_and_names_the_rebase() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let emu = start(EmulatorOptions {
        state_file: Some(state.clone()),
        ..fast_options()
    })
    .await;
    let client = vertex(&emu, "us-central1").await;
    let mut gemini = settings("gemini-2.5-flash", OpenSettings::default());
    gemini.epochs = Some(2);
    let created = client
        .create_tuning_job(&gemini.to_job("gs://open-bucket/train.jsonl", ""))
        .await
        .unwrap();
    let job = finished(&client, &created.name).await;
    let endpoint = job.tuned_model.clone().unwrap().endpoint;
    emu.shutdown().await;
    // The same state, the emulator told to retire models as of 2026-10-17.
    let emu = start(EmulatorOptions {
        state_file: Some(state),
        retire_models_at: chrono::NaiveDate::from_ymd_opt(2026, 10, 17),
        ..fast_options()
    })
    .await;
    let home = tempfile::tempdir().unwrap();
    let mut cmd = common::bare_command(home.path());
    cmd.timeout(Duration::from_secs(60));
    cmd.args([
        "--endpoint",
        &emu.base_url(),
        "--vertex",
        "--project",
        "open-project",
    ])
    .args(["generate", &endpoint, "city spain"]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    // The base retired on 2026-10-16 by the model table, whatever today is after that.
    assert!(
        err.contains(&format!(
            "its base model gemini-2.5-flash retired on 2026-10-16: rebase it with `tunedeck jobs rebase {} --base-model gemini-3.1-flash-lite`",
            job.id()
        )),
        "{err}"
    );
    emu.shutdown().await;
}

/// A Gemini job's settings, as the vertex module's tests start from.
fn gemini_settings() -> VertexTuning {
    VertexTuning {
        display_name: "x".into(),
        description: String::new(),
        source: VertexSource::Base("gemini-2.5-pro".into()),
        epochs: None,
        multiplier: None,
        adapter_rank: Some(16),
        validation_percent: 20.0,
        open: OpenSettings::default(),
        method: tunedeck::domain::vertex::VertexMethod::Supervised,
    }
}

/// The settings' check reads this table: an open model takes its own settings, a Gemini
/// model refuses them.
#[test]
fn open_models_take_their_own_settings_and_gemini_refuses_them() {
    let llama = |open: OpenSettings| VertexTuning {
        source: VertexSource::Base("meta/llama3_1@llama-3.1-8b".into()),
        adapter_rank: None,
        open,
        ..gemini_settings()
    };
    let out = || "gs://b/out".to_owned();
    let words = |t: VertexTuning| t.check_in("us-central1").unwrap_err().to_string();
    assert_eq!(
        words(llama(OpenSettings::default())),
        "meta/llama3_1@llama-3.1-8b is an open model: its tuning needs an output URI (gs://bucket/folder) for the tuned weights"
    );
    let ok = llama(OpenSettings {
        tuning_mode: Some(TuningMode::Full),
        batch_size: Some(8),
        learning_rate: Some(1e-5),
        output_uri: out(),
    });
    assert_eq!(ok.check_in("europe-west4"), Ok(()));
    assert_eq!(
        ok.check_in("asia-northeast1").unwrap_err().to_string(),
        "meta/llama3_1@llama-3.1-8b does not tune in asia-northeast1; it tunes in us-central1, europe-west4"
    );
    let job = ok.to_job("gs://b/t.jsonl", "");
    assert!(job.needs_v1beta1());
    assert_eq!(job.base_model, "meta/llama3_1@llama-3.1-8b");
    assert_eq!(job.output_uri, "gs://b/out");
    let wire = serde_json::to_value(&job).unwrap();
    assert_eq!(
        wire["supervisedTuningSpec"]["tuningMode"],
        "TUNING_MODE_FULL"
    );
    assert_eq!(
        wire["supervisedTuningSpec"]["hyperParameters"]["batchSize"],
        "8"
    );
    // The adapter is the default mode where the model takes it; Llama 3.2 1B takes none.
    let small = VertexTuning {
        source: VertexSource::Base("meta/llama3-2@llama-3.2-1b-instruct".into()),
        ..llama(OpenSettings {
            tuning_mode: Some(TuningMode::Adapter),
            output_uri: out(),
            ..Default::default()
        })
    };
    assert_eq!(
        words(small),
        "meta/llama3-2@llama-3.2-1b-instruct does not take adapter tuning; it takes full"
    );
    let with_multiplier = VertexTuning {
        multiplier: Some(2.0),
        ..llama(OpenSettings {
            output_uri: out(),
            ..Default::default()
        })
    };
    assert_eq!(
        words(with_multiplier),
        "meta/llama3_1@llama-3.1-8b is an open model: give a learning rate, not a learning-rate multiplier"
    );
    let with_rank = VertexTuning {
        adapter_rank: Some(8),
        ..llama(OpenSettings {
            output_uri: out(),
            ..Default::default()
        })
    };
    assert!(words(with_rank).contains("takes no adapter size"));
    // A Gemini model takes none of them.
    let gemini = |open: OpenSettings| VertexTuning {
        adapter_rank: None,
        open,
        ..gemini_settings()
    };
    assert_eq!(
        words(gemini(OpenSettings {
            learning_rate: Some(0.1),
            ..Default::default()
        })),
        "gemini-2.5-pro takes a learning-rate multiplier, not a learning rate"
    );
    assert_eq!(
        words(gemini(OpenSettings {
            output_uri: out(),
            ..Default::default()
        })),
        "gemini-2.5-pro takes no output URI; it is an open model's setting"
    );
    assert!(
        !gemini(OpenSettings::default())
            .to_job("gs://b/t", "")
            .needs_v1beta1()
    );
    let flash35 = VertexTuning {
        source: VertexSource::Base("gemini-3.5-flash".into()),
        ..gemini(OpenSettings::default())
    };
    assert_eq!(flash35.check_in("us-central1"), Ok(()));
    assert!(flash35.check_in("asia-northeast1").is_err());
    assert!(takes_learning_rate(&VertexSource::Base(
        "qwen/qwen3@qwen3-32b".into()
    )));
    assert!(!takes_learning_rate(&VertexSource::Base(
        "gemini-3.5-flash".into()
    )));
}
