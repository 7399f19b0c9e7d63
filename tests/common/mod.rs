//! Helpers shared by the integration tests: an emulator on a free loopback port, a client for
//! it, and the bodies the live service returned (tests/fixtures/recorded).
#![allow(dead_code)]

pub mod app;
pub mod tmux;

use std::path::PathBuf;
use std::time::Duration;
use tunedeck::api::{ApiClient, ClientConfig, Credentials};
use tunedeck::emulator::{self, EmulatorOptions, RunningEmulator};

/// Variables from the machine that change what the `tunedeck` binary does (credentials, config
/// file, backend, colours, editor, logging). Tests that run the binary unset them all, so a
/// developer's own setup cannot change a test's outcome.
pub const MACHINE_VARS: &[&str] = &[
    "TUNEDECK_CONFIG",
    "TUNEDECK_LOG",
    "TUNEDECK_EMULATOR_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "CLOUDSDK_CONFIG",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GOOGLE_GENAI_USE_ENTERPRISE",
    "TUNEDECK_ACCESS_TOKEN",
    "STORAGE_EMULATOR_HOST",
    "NO_COLOR",
    "VISUAL",
    "EDITOR",
];

/// The `tunedeck` binary with none of the machine's credentials, config or per-user folders
/// (those are inside `home`), for tests that run it as a script would.
pub fn bare_command(home: &std::path::Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("tunedeck").expect("the binary is built");
    for var in MACHINE_VARS {
        cmd.env_remove(var);
    }
    cmd.env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("HOME", home);
    cmd
}

/// `env -u … HOME=… XDG_…=…`: a shell prefix that runs a command with none of [`MACHINE_VARS`]
/// and with every per-user folder inside `home`, for tests that start the binary in tmux.
pub fn clean_env_prefix(home: &std::path::Path) -> String {
    let unset: String = MACHINE_VARS.iter().map(|v| format!("-u {v} ")).collect();
    let home = home.display();
    format!(
        "env {unset}HOME={home} XDG_CONFIG_HOME={home}/config XDG_DATA_HOME={home}/data XDG_STATE_HOME={home}/state"
    )
}

/// Options for a quick, in-memory emulator with no demo.
pub fn fast_options() -> EmulatorOptions {
    EmulatorOptions {
        step_interval: Duration::from_millis(2),
        demo: false,
        stream_chunk_delay: Duration::from_millis(1),
        ..Default::default()
    }
}

pub async fn start(options: EmulatorOptions) -> RunningEmulator {
    emulator::start(options, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("emulator starts on a free port")
}

pub fn client_for(emu: &RunningEmulator) -> ApiClient {
    client_at(&emu.base_url(), Credentials::None)
}

pub fn client_at(base_url: &str, credentials: Credentials) -> ApiClient {
    let mut config = ClientConfig::new(base_url, credentials);
    config.retry.base_delay = Duration::from_millis(5);
    ApiClient::new(config).unwrap()
}

/// `tests/fixtures/recorded/NAME`: a body the live service returned, read as text.
pub fn fixture(name: &str) -> String {
    let path = fixtures_dir().join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read the recorded body {}: {e}", path.display()))
}

/// The recorded bodies, kept in the repository (tests/fixtures/recorded/README.md says where each
/// comes from).
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/recorded")
}

/// The tutorial's 15 examples.
pub fn tutorial_examples() -> Vec<tunedeck::api::types::TuningExample> {
    tunedeck::emulator::demo::bundled_examples(tunedeck::emulator::demo::NUMBER_GENERATOR)
}

/// A create request for a base model with the given data and hyperparameters.
pub fn tuning_request(
    display_name: &str,
    examples: Vec<tunedeck::api::types::TuningExample>,
    batch: i32,
    epochs: i32,
) -> tunedeck::api::types::TunedModel {
    use tunedeck::api::types::*;
    TunedModel {
        display_name: display_name.into(),
        base_model: Some("models/gemini-1.5-flash-001-tuning".into()),
        tuning_task: Some(TuningTask {
            training_data: Some(Dataset::from_examples(examples)),
            hyperparameters: Some(
                Hyperparameters {
                    epoch_count: Some(epochs),
                    batch_size: Some(batch),
                    ..Default::default()
                }
                .with_learning_rate(0.001),
            ),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Polls an operation until it is done (bounded).
pub async fn wait_done(client: &ApiClient, operation: &str) -> tunedeck::api::types::Operation {
    for _ in 0..2000 {
        let op = client
            .get_operation(operation)
            .await
            .expect("operation polls");
        if op.done {
            return op;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("operation {operation} did not finish");
}

/// The ids of every tuned model `client` lists, sorted; asked again while injected faults
/// refuse the list.
pub async fn listed_ids(client: &ApiClient) -> Vec<String> {
    for _ in 0..50 {
        if let Ok(page) = client.list_tuned_models(Some(1000), "", None).await {
            let mut ids: Vec<String> = page
                .tuned_models
                .iter()
                .map(|m| m.id().to_owned())
                .collect();
            ids.sort();
            return ids;
        }
    }
    panic!("the list never answered")
}
