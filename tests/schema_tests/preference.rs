//! Preference tuning (DPO): the create body with `preferenceOptimizationSpec` (from a base
//! model, and from a tuned model as Google recommends), the job as it is read while it runs
//! and once it succeeded (its `preferenceOptimizationDataStats`), its DPO series and its
//! endpoint's answers conform too, on v1 and v1beta1.

use super::*;
use tunedeck::domain::vertex::VertexMethod;

fn preference_jsonl(count: usize) -> Vec<u8> {
    (0..count)
        .map(|i| {
            json!({
                "systemInstruction": {"parts": [{"text": "Be kind."}]},
                "contents": [{"role": "user", "parts": [{"text": format!("question {i}")}]}],
                "completions": [
                    {"score": 1, "completion": {"role": "model", "parts": [{"text": "Gladly: here it is."}]}},
                    {"score": 0, "completion": {"role": "model", "parts": [{"text": "No."}]}},
                ],
            })
            .to_string()
                + "\n"
        })
        .collect::<String>()
        .into_bytes()
}

async fn ended(client: &VertexClient, name: &str) -> vx::TuningJob {
    loop {
        let j = client.get_tuning_job(name).await.unwrap();
        if j.state.is_terminal() {
            return j;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_preference_tuning_flow_conforms_to_the_discovery_documents() {
    let emu = start(options()).await;
    let proxy = recorder::start(&emu.base_url()).await;
    let api = || client_at(&proxy.base_url, tunedeck::api::Credentials::None);
    let mut client = VertexClient::new(api(), api(), "schema-project", "us-central1");
    for (object, data) in [
        ("pref.jsonl", preference_jsonl(8)),
        ("pref-val.jsonl", preference_jsonl(2)),
    ] {
        client
            .upload("schema-bucket", object, &data, |_, _| {})
            .await
            .unwrap();
    }
    let settings = VertexTuning {
        display_name: "kind".into(),
        description: "schema check".into(),
        source: VertexSource::Base("gemini-2.5-flash-lite".into()),
        epochs: Some(2),
        multiplier: Some(1.5),
        adapter_rank: Some(8),
        validation_percent: 0.0,
        method: VertexMethod::Preference { beta: Some(0.2) },
        open: Default::default(),
    };
    let mut request = settings.to_job(
        "gs://schema-bucket/pref.jsonl",
        "gs://schema-bucket/pref-val.jsonl",
    );
    if let Some(spec) = request.preference_optimization_spec.as_mut() {
        spec.export_last_checkpoint_only = false;
    }
    let created = client.create_tuning_job(&request).await.unwrap();
    let finished = ended(&client, &created.name).await;
    assert_eq!(
        finished.state,
        vx::JobState::Succeeded,
        "{:?}",
        finished.error
    );
    client
        .read_metrics(&finished, &mut MetricsCache::default())
        .await
        .unwrap();
    let tuned = finished.tuned_model.clone().unwrap();
    client
        .generate_content(&tuned.endpoint, &GenerateContentRequest::text("question 1"))
        .await
        .unwrap();
    // DPO from the tuned model's first checkpoint, with the last checkpoint only.
    let from_tuned = VertexTuning {
        source: VertexSource::Tuned {
            model: tuned.model.split('@').next().unwrap().to_owned(),
            checkpoint: Some(tuned.checkpoints[0].checkpoint_id.clone()),
        },
        method: VertexMethod::Preference { beta: None },
        ..settings
    };
    let mut request = from_tuned.to_job("gs://schema-bucket/pref.jsonl", "");
    if let Some(spec) = request.preference_optimization_spec.as_mut() {
        spec.export_last_checkpoint_only = true;
    }
    let second = client.create_tuning_job(&request).await.unwrap();
    ended(&client, &second.name).await;
    client.job_reads_version = "v1".into();
    client.get_tuning_job(&second.name).await.unwrap();
    client.list_tuning_jobs(None, "", "").await.unwrap();
    // A model that does not take DPO: the service's error body.
    let mut pro = from_tuned.to_job("gs://schema-bucket/pref.jsonl", "");
    pro.pre_tuned_model = None;
    pro.base_model = "gemini-2.5-pro".into();
    client.create_tuning_job(&pro).await.unwrap_err();

    assert_conforms(
        &proxy.take(),
        &[
            "POST /v1/projects/{p}/locations/{l}/tuningJobs",
            "GET /v1/projects/{p}/locations/{l}/tuningJobs/{j}",
            "GET /v1beta1/projects/{p}/locations/{l}/tuningJobs/{j}",
            "POST /v1/projects/{p}/locations/{l}/endpoints/{e}:generateContent",
            "GET /v1/projects/{p}/locations/{l}/tensorboards/{+t}",
        ],
    );
    emu.shutdown().await;
}
