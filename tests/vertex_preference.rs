//! Preference tuning (DPO) on Vertex AI through the client and the emulator, as Google
//! recommends it: supervised tuning first, then DPO from that model. The DPO job reads its
//! preference JSONL from Cloud Storage, runs to SUCCEEDED with its loss, reward accuracy and
//! reward margin series, and its endpoint then prefers the preferred answers, on prompts it
//! never trained on too. The service's refusals: a model that does not take DPO, beta out of
//! range, and a bad line named by its number.

mod common;
use common::*;
use std::time::Duration;
use tunedeck::api::types::GenerateContentRequest;
use tunedeck::api::vertex::client::{
    EVAL_LOSS, EVAL_REWARD_ACCURACY, EVAL_REWARD_MARGIN, MetricsCache, TRAIN_LOSS,
    TRAIN_REWARD_ACCURACY, TRAIN_REWARD_MARGIN, VertexClient,
};
use tunedeck::api::vertex::types::*;
use tunedeck::domain::vertex::{VertexMethod, VertexSource, VertexTuning};

const POLITE: &str = "Happy to help: here is what I know.";
const CURT: &str = "Look it up yourself.";
const TOPICS: [&str; 12] = [
    "rivers",
    "mountains",
    "volcanoes",
    "deserts",
    "glaciers",
    "oceans",
    "forests",
    "caves",
    "islands",
    "lakes",
    "canyons",
    "reefs",
];
const HELD: [&str; 3] = ["comets", "tides", "storms"];

fn vertex(emu: &tunedeck::emulator::RunningEmulator) -> VertexClient {
    VertexClient::new(
        client_for(emu),
        client_for(emu),
        "my-project",
        "us-central1",
    )
}

fn prompt(topic: &str) -> String {
    format!("Tell me about {topic}")
}

/// Supervised data that teaches the curt answer.
fn sft_jsonl() -> Vec<u8> {
    TOPICS
        .iter()
        .map(|t| {
            serde_json::json!({"contents": [
                {"role": "user", "parts": [{"text": prompt(t)}]},
                {"role": "model", "parts": [{"text": CURT}]}
            ]})
            .to_string()
                + "\n"
        })
        .collect::<String>()
        .into_bytes()
}

/// Preference lines in the docs' shape: the rejected completion first on odd lines, so the
/// scores, not the order, decide.
fn preference_jsonl(topics: &[&str]) -> Vec<u8> {
    topics
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let preferred = serde_json::json!({"score": 1, "completion": {"role": "model", "parts": [{"text": POLITE}]}});
            let rejected = serde_json::json!({"score": 0, "completion": {"role": "model", "parts": [{"text": CURT}]}});
            let completions = if i % 2 == 0 {
                vec![preferred, rejected]
            } else {
                vec![rejected, preferred]
            };
            serde_json::json!({
                "system_instruction": {"parts": [{"text": "You are a guide."}]},
                "contents": [{"role": "user", "parts": [{"text": prompt(t)}]}],
                "completions": completions,
            })
            .to_string()
                + "\n"
        })
        .collect::<String>()
        .into_bytes()
}

async fn wait_ended(client: &VertexClient, name: &str) -> TuningJob {
    for _ in 0..3000 {
        let job = client.get_tuning_job(name).await.expect("get");
        if job.state.is_terminal() {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{name} did not end");
}

async fn answer(client: &VertexClient, endpoint: &str, text: &str) -> String {
    let reply = client
        .generate_content(endpoint, &GenerateContentRequest::text(text))
        .await
        .unwrap();
    reply.text()
}

fn dpo_settings(source: VertexSource, beta: Option<f64>) -> VertexTuning {
    VertexTuning {
        display_name: "guide-dpo".into(),
        description: String::new(),
        source,
        epochs: Some(4),
        multiplier: None,
        adapter_rank: Some(4),
        validation_percent: 0.0,
        method: VertexMethod::Preference { beta },
        open: Default::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sft_then_dpo_from_its_model_makes_an_endpoint_that_prefers_the_preferred_answers() {
    let dir = tempfile::tempdir().unwrap();
    let options = tunedeck::emulator::EmulatorOptions {
        state_file: Some(dir.path().join("state.json")),
        ..fast_options()
    };
    let emu = start(options.clone()).await;
    let client = vertex(&emu);
    for (object, data) in [
        ("sft.jsonl", sft_jsonl()),
        ("pref.jsonl", preference_jsonl(&TOPICS)),
        ("pref-val.jsonl", preference_jsonl(&HELD)),
    ] {
        client
            .upload("guide", object, &data, |_, _| {})
            .await
            .unwrap();
    }
    // Supervised tuning first: it learns the curt answer.
    let sft = VertexTuning {
        display_name: "guide".into(),
        method: VertexMethod::Supervised,
        ..dpo_settings(VertexSource::Base("gemini-2.5-flash".into()), None)
    };
    let sft = client
        .create_tuning_job(&sft.to_job("gs://guide/sft.jsonl", ""))
        .await
        .unwrap();
    let sft = wait_ended(&client, &sft.name).await;
    assert_eq!(sft.state, JobState::Succeeded, "{:?}", sft.error);
    let sft_model = sft.tuned_model.clone().unwrap();
    assert_eq!(
        answer(&client, &sft_model.endpoint, &prompt(HELD[0])).await,
        CURT
    );

    // Then DPO from that model.
    let settings = dpo_settings(
        VertexSource::Tuned {
            model: sft_model.model.clone(),
            checkpoint: None,
        },
        Some(0.1),
    );
    assert_eq!(settings.check(), Ok(()));
    let created = client
        .create_tuning_job(&settings.to_job("gs://guide/pref.jsonl", "gs://guide/pref-val.jsonl"))
        .await
        .unwrap();
    assert!(created.supervised_tuning_spec.is_none());
    let spec = created.preference_optimization_spec.clone().unwrap();
    let hp = spec.hyper_parameters.unwrap();
    assert_eq!((hp.beta, hp.epoch_count), (Some(0.1), Some(4)));
    assert_eq!(hp.adapter_size, AdapterSize::Four);
    let job = wait_ended(&client, &created.name).await;
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    assert_eq!(
        job.pre_tuned_model.as_ref().unwrap().base_model,
        "gemini-2.5-flash"
    );
    let stats = job
        .tuning_data_stats
        .as_ref()
        .and_then(|s| s.preference_optimization_data_stats.clone())
        .expect("preferenceOptimizationDataStats");
    assert_eq!(stats.tuning_dataset_example_count, Some(12));
    assert_eq!(job.step_count(), Some(12), "12 pairs × 4 epochs / batch 4");

    // The series: DPO's loss starts at ln 2 and falls; the rewards rank the pairs right.
    let metrics = client
        .read_metrics(&job, &mut MetricsCache::default())
        .await
        .unwrap();
    for name in [
        TRAIN_LOSS,
        TRAIN_REWARD_ACCURACY,
        TRAIN_REWARD_MARGIN,
        EVAL_LOSS,
        EVAL_REWARD_ACCURACY,
        EVAL_REWARD_MARGIN,
    ] {
        assert!(
            metrics.get(name).is_some_and(|s| !s.is_empty()),
            "{name} in {:?}",
            metrics.keys()
        );
    }
    assert!(!metrics.contains_key("/train_num_predictions"));
    let loss = &metrics[TRAIN_LOSS];
    assert!(
        (loss[0].value - std::f64::consts::LN_2).abs() < 1e-3,
        "{loss:?}"
    );
    assert!(loss.last().unwrap().value < loss[0].value);
    assert_eq!(metrics[TRAIN_REWARD_ACCURACY][0].value, 0.0);
    assert_eq!(metrics[EVAL_REWARD_ACCURACY].last().unwrap().value, 1.0);
    assert!(metrics[EVAL_REWARD_MARGIN].last().unwrap().value > 0.0);

    // Checkpoints as for SFT: one per epoch; the endpoint now prefers the polite answer, on
    // the held prompts too.
    let tuned = job.tuned_model.clone().unwrap();
    assert_eq!(tuned.checkpoints.len(), 4);
    for topic in TOPICS.iter().chain(&HELD) {
        assert_eq!(
            answer(&client, &tuned.endpoint, &prompt(topic)).await,
            POLITE
        );
    }
    // The SFT model is untouched.
    assert_eq!(
        answer(&client, &sft_model.endpoint, &prompt(HELD[1])).await,
        CURT
    );

    // A restart keeps the preference data: the endpoint still answers from the DPO weights.
    emu.shutdown().await;
    let emu = start(options).await;
    let client = vertex(&emu);
    assert_eq!(
        answer(&client, &tuned.endpoint, &prompt(HELD[2])).await,
        POLITE
    );
    assert_eq!(
        client
            .get_tuning_job(&job.name)
            .await
            .unwrap()
            .preference_optimization_spec,
        job.preference_optimization_spec
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_refuses_dpo_where_it_does_not_apply_and_names_a_bad_line() {
    let emu = start(fast_options()).await;
    let client = vertex(&emu);
    client
        .upload("guide", "pref.jsonl", &preference_jsonl(&TOPICS), |_, _| {})
        .await
        .unwrap();
    let base = |m: &str| VertexSource::Base(m.into());

    // A model that does not take DPO: refused at create (the domain's check bypassed, as a
    // hand-written request would).
    let mut pro = dpo_settings(base("gemini-2.5-pro"), None);
    pro.adapter_rank = None;
    assert!(pro.check().is_err());
    let e = client
        .create_tuning_job(&pro.to_job("gs://guide/pref.jsonl", ""))
        .await
        .unwrap_err();
    assert_eq!(e.http_status, Some(400));
    assert!(
        e.to_string()
            .contains("gemini-2.5-pro is not supported for preference optimization"),
        "{e}"
    );
    assert!(e.to_string().contains("gemini-2.5-flash-lite"), "{e}");

    let steep = dpo_settings(base("gemini-2.5-flash-lite"), Some(2.0));
    let e = client
        .create_tuning_job(&steep.to_job("gs://guide/pref.jsonl", ""))
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("beta must be greater than 0 and at most 1, got 2"),
        "{e}"
    );

    // A supervised file given as preference data: the job fails naming the line.
    let mut bad = preference_jsonl(&TOPICS[..2]);
    bad.extend_from_slice(
        br#"{"contents": [{"role": "user", "parts": [{"text": "hi"}]}], "completions": [{"score": 1, "completion": {"role": "model", "parts": [{"text": "a"}]}}]}"#,
    );
    client
        .upload("guide", "bad.jsonl", &bad, |_, _| {})
        .await
        .unwrap();
    let ok = dpo_settings(base("gemini-2.5-flash"), None);
    let job = client
        .create_tuning_job(&ok.to_job("gs://guide/bad.jsonl", ""))
        .await
        .unwrap();
    let job = wait_ended(&client, &job.name).await;
    assert_eq!(job.state, JobState::Failed);
    let message = job.error.unwrap().message;
    assert!(
        message.contains("line 3 of gs://guide/bad.jsonl") && message.contains("1 completion;"),
        "{message}"
    );

    // exportLastCheckpointOnly: no intermediate checkpoints (as for a supervised job, the
    // emulator lists none; the model is the last). No beta: the emulator's 0.1.
    let mut last_only = ok.to_job("gs://guide/pref.jsonl", "");
    if let Some(spec) = last_only.preference_optimization_spec.as_mut() {
        spec.export_last_checkpoint_only = true;
    }
    let job = client.create_tuning_job(&last_only).await.unwrap();
    let beta = job
        .preference_optimization_spec
        .as_ref()
        .and_then(|s| s.hyper_parameters.as_ref())
        .and_then(|h| h.beta);
    assert_eq!(beta, Some(0.1));
    let job = wait_ended(&client, &job.name).await;
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    let tuned = job.tuned_model.unwrap();
    assert!(tuned.checkpoints.is_empty(), "{:?}", tuned.checkpoints);
    assert_eq!(
        answer(&client, &tuned.endpoint, &prompt(HELD[2])).await,
        POLITE
    );
    emu.shutdown().await;
}
