//! Promoting a checkpoint on Vertex AI: `models.get` shows a tuned model's checkpoints and its
//! default, `models.patch` (defaultCheckpointId) changes the default, and the model's endpoint
//! then answers from that checkpoint's weights, across a restart; the CLI's `models
//! set-default` refuses a checkpoint that does not exist, naming the ones that do.

mod common;
use common::*;
use std::time::Duration;
use tunedeck::api::types::GenerateContentRequest;
use tunedeck::api::vertex::client::VertexClient;
use tunedeck::api::vertex::types::{JobState, TuningJob};
use tunedeck::emulator::EmulatorOptions;

fn vertex(emu: &tunedeck::emulator::RunningEmulator) -> VertexClient {
    VertexClient::new(
        client_for(emu),
        client_for(emu),
        "tunedeck-demo",
        "us-central1",
    )
}

/// The demo's finished job, number-generator, which exported a checkpoint per epoch (by name:
/// with fast steps the demo's live job may have finished too).
async fn succeeded_demo_job(client: &VertexClient) -> TuningJob {
    let jobs = client.all_tuning_jobs("").await.unwrap();
    jobs.into_iter()
        .find(|j| {
            j.state == JobState::Succeeded && j.tuned_model_display_name == "number-generator"
        })
        .expect("the demo has a succeeded number-generator job")
}

async fn answer(client: &VertexClient, endpoint: &str, prompt: &str) -> String {
    let request = GenerateContentRequest::text(prompt);
    let reply = client.generate_content(endpoint, &request).await.unwrap();
    reply.text()
}

const PROMPTS: [&str; 16] = [
    "1",
    "2",
    "3",
    "5",
    "7",
    "9",
    "12",
    "40",
    "99",
    "IX",
    "LXIII",
    "XX",
    "five",
    "twelve",
    "seven",
    "one hundred",
];

async fn answers(client: &VertexClient, endpoint: &str) -> Vec<String> {
    let mut out = Vec::new();
    for p in PROMPTS {
        out.push(answer(client, endpoint, p).await);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promoted_checkpoint_answers_on_the_models_endpoint_and_survives_a_restart() {
    // A checkpoint that answers some prompt differently from the final model (the demo trains
    // afresh each start, with a seed of its own, so which one varies, and on a rare start every
    // checkpoint has already learned what the last one knows): a fresh start until one does,
    // a few times at most. Promoting it must change what the endpoint says.
    let mut found = None;
    for _ in 0..6 {
        let dir = tempfile::tempdir().unwrap();
        let options = EmulatorOptions {
            state_file: Some(dir.path().join("state.json")),
            demo: true,
            ..fast_options()
        };
        let emu = start(options.clone()).await;
        let client = vertex(&emu);
        let job = succeeded_demo_job(&client).await;
        let tuned = job.tuned_model.clone().unwrap();
        assert!(tuned.checkpoints.len() >= 2, "{tuned:?}");
        let before = answers(&client, &tuned.endpoint).await;
        let mut first = None;
        for c in &tuned.checkpoints[..tuned.checkpoints.len() - 1] {
            let own = answers(&client, &c.endpoint).await;
            if own != before {
                first = Some((c.clone(), own));
                break;
            }
        }
        match first {
            Some(first) => {
                found = Some((dir, options, emu, client, job, tuned, first));
                break;
            }
            None => emu.shutdown().await,
        }
    }
    let (_dir, options, emu, client, job, tuned, (first, from_first)) =
        found.expect("an earlier checkpoint answers differently (else this test shows nothing)");

    let model = client.get_model(&tuned.model).await.unwrap();
    let last = tuned.checkpoints.last().unwrap();
    assert_eq!(
        model.default_checkpoint_id, last.checkpoint_id,
        "the last checkpoint by default"
    );
    assert_eq!(model.checkpoints.len(), tuned.checkpoints.len());
    assert_eq!(model.deployed_models[0].endpoint, tuned.endpoint);
    assert_eq!(model.display_name, job.tuned_model_display_name);
    let first = &first;

    let updated = client
        .set_default_checkpoint(&tuned.model, &first.checkpoint_id)
        .await
        .unwrap();
    assert_eq!(updated.default_checkpoint_id, first.checkpoint_id);
    let mut after = Vec::new();
    for p in PROMPTS {
        after.push(answer(&client, &tuned.endpoint, p).await);
    }
    assert_eq!(
        after, from_first,
        "the model's endpoint answers from checkpoint 1 now"
    );

    // A 2xx means it is on disk: a restart keeps the default.
    emu.shutdown().await;
    let emu = start(options).await;
    let client = vertex(&emu);
    let model = client.get_model(&tuned.model).await.unwrap();
    assert_eq!(model.default_checkpoint_id, first.checkpoint_id);
    assert_eq!(
        answer(&client, &tuned.endpoint, PROMPTS[1]).await,
        from_first[1]
    );

    // A checkpoint that does not exist is refused, naming those that do, and changes nothing.
    let err = client
        .set_default_checkpoint(&tuned.model, "99")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("\"99\" does not exist"), "{err}");
    assert!(err.to_string().contains("1, 2"), "{err}");
    let model = client.get_model(&tuned.model).await.unwrap();
    assert_eq!(model.default_checkpoint_id, first.checkpoint_id);
    emu.shutdown().await;
}

/// google-genai's `models.update` sends the fields with no `updateMask`; a mask naming a field
/// the emulator does not change is refused, naming the ones it does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_without_a_mask_changes_what_it_sets_and_an_unknown_mask_path_is_refused() {
    let emu = start(EmulatorOptions {
        demo: true,
        ..fast_options()
    })
    .await;
    let client = vertex(&emu);
    let job = succeeded_demo_job(&client).await;
    let model = job.tuned_model.unwrap().model;
    let url = format!("{}/v1/{}", emu.base_url(), model.split('@').next().unwrap());
    let http = reqwest::Client::new();
    let answer = http
        .patch(&url)
        .json(&serde_json::json!({"displayName": "renamed", "default_checkpoint_id": "2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["displayName"], "renamed");
    assert_eq!(body["defaultCheckpointId"], "2");
    assert_eq!(body["versionId"], "1");
    assert!(
        body["checkpoints"][0]["step"].is_string(),
        "int64 as a string: {body}"
    );

    let refused = http
        .patch(format!("{url}?updateMask=labels"))
        .json(&serde_json::json!({"labels": {"a": "b"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let text = refused.text().await.unwrap();
    assert!(text.contains("defaultCheckpointId"), "{text}");
    let missing = http
        .get(format!(
            "{}/v1/projects/tunedeck-demo/locations/us-central1/models/404",
            emu.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    emu.shutdown().await;
}

/// `tunedeck models set-default` against a separate emulator: a wrong checkpoint is a usage
/// error naming the checkpoints; a right one says which endpoint answers from it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_sets_the_default_checkpoint_and_names_the_checkpoints_when_one_is_wrong() {
    let emu = start(EmulatorOptions {
        demo: true,
        ..fast_options()
    })
    .await;
    let client = vertex(&emu);
    let job = succeeded_demo_job(&client).await;
    let tuned = job.tuned_model.unwrap();
    let home = tempfile::tempdir().unwrap();
    let base = emu.base_url();
    let run = |args: Vec<String>| {
        let home = home.path().to_owned();
        let base = base.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let mut cmd = bare_command(&home);
                cmd.args([
                    "--endpoint",
                    &base,
                    "--vertex",
                    "--project",
                    "tunedeck-demo",
                ])
                .args(args)
                .timeout(Duration::from_secs(30));
                cmd.output().unwrap()
            })
            .await
            .unwrap()
        }
    };
    let model_id = tuned
        .model
        .rsplit('/')
        .next()
        .unwrap()
        .split('@')
        .next()
        .unwrap()
        .to_owned();
    let wrong = run(vec![
        "models".into(),
        "set-default".into(),
        model_id.clone(),
        "99".into(),
    ])
    .await;
    assert_eq!(wrong.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        stderr.contains("no checkpoint \"99\": its checkpoints are 1, 2"),
        "{stderr}"
    );

    let ok = run(vec![
        "models".into(),
        "set-default".into(),
        model_id.clone(),
        "2".into(),
    ])
    .await;
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(stdout.contains("checkpoint 2, epoch 2"), "{stdout}");
    assert!(
        stdout.contains(&format!("{} answers from it", tuned.endpoint)),
        "{stdout}"
    );

    let shown = run(vec!["models".into(), "get".into(), model_id]).await;
    let stdout = String::from_utf8_lossy(&shown.stdout);
    let default_row = stdout
        .lines()
        .find(|l| l.ends_with("default"))
        .unwrap_or_default();
    assert!(default_row.starts_with("2 "), "{stdout}");
    emu.shutdown().await;
}
