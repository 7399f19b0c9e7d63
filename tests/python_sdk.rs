//! The official Python SDKs, unmodified, against the emulator on a free loopback port:
//! google-generativeai 0.8.6's tuning quickstart (tests/python/sdk_quickstart.py) and what the
//! current google-genai 3.3.0 can do on the Gemini API (tests/python/genai_client.py).
//!
//! It needs a venv with the SDK at `.venv` in the repository (`.ci/run` makes one; see the
//! README). Without it the test says so and passes, unless TUNEDECK_REQUIRE_SDK_TEST is set, as
//! CI sets it, in which case a missing venv fails the test.

mod common;
use common::*;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;
use tunedeck::emulator::EmulatorOptions;

fn sdk_python() -> Option<PathBuf> {
    let python = std::env::var_os("TUNEDECK_SDK_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"));
    python.exists().then_some(python)
}

/// Runs `tests/python/SCRIPT BASE_URL` with the venv's python against an emulator with these
/// options, and asserts it printed `passed` (the scripts assert everything themselves). Without
/// a venv it skips, unless TUNEDECK_REQUIRE_SDK_TEST is set, as CI sets it.
async fn run_script(script: &str, options: EmulatorOptions, passed: &str) {
    let Some(python) = sdk_python() else {
        assert!(
            std::env::var_os("TUNEDECK_REQUIRE_SDK_TEST").is_none(),
            "TUNEDECK_REQUIRE_SDK_TEST is set but there is no SDK venv at .venv (make it with: python3 -m venv .venv && .venv/bin/pip install google-generativeai==0.8.6 google-genai==3.3.0 google-cloud-storage==2.19.0 google-cloud-aiplatform==1.91.0)"
        );
        eprintln!("skipped: no .venv with the SDKs; see the README to run the SDK tests");
        return;
    };
    let emu = start(options).await;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(script);
    let url = emu.base_url();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .arg(url)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env_remove("GOOGLE_GEMINI_BASE_URL")
            .env_remove("GOOGLE_GENAI_API_VERSION")
            // CI's shifted-clock run preloads libfaketime; CPython's time.sleep fails under it
            // (EINVAL), so the SDK runs on the real clock against an emulator that does not.
            .env_remove("LD_PRELOAD")
            .output()
            .expect("python runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains(passed),
        "the script failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_sdk_quickstart_runs_unmodified() {
    let options = EmulatorOptions {
        step_interval: Duration::from_millis(20),
        ..fast_options()
    };
    run_script("sdk_quickstart.py", options, "SDK quickstart passed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_current_google_genai_sdk_works_unmodified() {
    let mut options = fast_options();
    options.demo = true;
    run_script("genai_client.py", options, "google-genai client passed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn google_genai_tunes_on_vertex_and_google_cloud_storage_uploads_unmodified() {
    let options = EmulatorOptions {
        step_interval: Duration::from_millis(10),
        ..fast_options()
    };
    run_script("genai_vertex.py", options, "google-genai vertex passed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn google_genai_preference_tunes_from_a_checkpoint_and_promotes_one_unmodified() {
    let options = EmulatorOptions {
        step_interval: Duration::from_millis(10),
        ..fast_options()
    };
    run_script(
        "genai_vertex_dpo.py",
        options,
        "google-genai vertex dpo passed",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn google_genai_tunes_open_models_on_vertex_unmodified() {
    let options = EmulatorOptions {
        step_interval: Duration::from_millis(5),
        concurrent_tuning_jobs: 2,
        ..fast_options()
    };
    run_script(
        "genai_vertex_open.py",
        options,
        "google-genai vertex open models passed",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_notebooks_metrics_recipe_runs_with_google_cloud_aiplatform_unmodified() {
    let options = EmulatorOptions {
        step_interval: Duration::from_millis(10),
        ..fast_options()
    };
    run_script("aiplatform_metrics.py", options, "aiplatform recipe passed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn google_genai_creates_and_follows_distillation_and_reinforcement_jobs_unmodified() {
    let options = EmulatorOptions {
        step_interval: Duration::from_millis(5),
        ..fast_options()
    };
    run_script(
        "genai_other_methods.py",
        options,
        "google-genai other methods passed",
    )
    .await;
}
