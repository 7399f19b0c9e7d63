//! The emulator as a process, the way a user runs it: signals end it cleanly after a final save,
//! and a `kill -9` right after an answer loses nothing that answer acknowledged.

mod common;
use common::*;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// `tunedeck emulator` on a free port with its state in `state`; returns the child and its URL.
fn spawn_emulator(state: &Path, extra: &[&str]) -> (Child, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tunedeck"));
    for var in MACHINE_VARS {
        cmd.env_remove(var);
    }
    let mut child = cmd
        .args(["emulator", "--bind", "127.0.0.1:0", "--state"])
        .arg(state)
        .args(extra)
        .env("HOME", state.parent().unwrap())
        .env("XDG_DATA_HOME", state.parent().unwrap().join("data"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("the emulator says where it listens")
            .unwrap();
        if let Some(rest) = line.split("emulator on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // Keep reading stderr so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait_exit(child: &mut Child) -> Option<i32> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the emulator did not exit"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_and_sigterm_end_the_emulator_with_exit_0_after_saving() {
    for sig in ["INT", "TERM"] {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        let (mut child, url) = spawn_emulator(&state, &["--empty"]);
        let client = client_at(&url, tunedeck::api::Credentials::None);
        client
            .create_tuned_model(
                &tuning_request("kept", tutorial_examples(), 4, 1),
                Some("kept"),
            )
            .await
            .unwrap();
        signal(&child, sig);
        assert_eq!(wait_exit(&mut child), Some(0), "SIG{sig} gives exit 0");
        let (mut again, url) = spawn_emulator(&state, &["--empty"]);
        let client = client_at(&url, tunedeck::api::Credentials::None);
        client.get_tuned_model("kept").await.unwrap();
        signal(&again, "KILL");
        let _ = wait_exit(&mut again);
    }
}

/// Every tuned model the emulator at `url` lists, by id, with its display name.
async fn listed(url: &str) -> std::collections::BTreeMap<String, String> {
    let client = client_at(url, tunedeck::api::Credentials::None);
    client
        .list_tuned_models(Some(1000), "", None)
        .await
        .unwrap()
        .tuned_models
        .into_iter()
        .map(|m| (m.id().to_owned(), m.display_name))
        .collect()
}

/// `kill -9` right after each acknowledged create, patch and delete, then a restart: what was
/// acknowledged is exactly what is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_acknowledged_is_lost_to_kill_9() {
    const N: usize = 20;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let mut expected = std::collections::BTreeMap::new();
    let crash_after = |child: &mut Child| {
        signal(child, "KILL");
        wait_exit(child);
    };
    for i in 0..N {
        let id = format!("m{i:02}");
        let (mut child, url) = spawn_emulator(&state, &["--empty", "--step-ms", "5"]);
        let client = client_at(&url, tunedeck::api::Credentials::None);
        client
            .create_tuned_model(
                &tuning_request(&format!("created {i}"), tutorial_examples(), 4, 1),
                Some(&id),
            )
            .await
            .unwrap();
        crash_after(&mut child);
        expected.insert(id.clone(), format!("created {i}"));

        let (mut child, url) = spawn_emulator(&state, &["--empty", "--step-ms", "5"]);
        let client = client_at(&url, tunedeck::api::Credentials::None);
        let patch = tunedeck::api::types::TunedModel {
            name: format!("tunedModels/{id}"),
            display_name: format!("patched {i}"),
            ..Default::default()
        };
        client
            .update_tuned_model(&patch, &["displayName"])
            .await
            .unwrap();
        crash_after(&mut child);
        expected.insert(id.clone(), format!("patched {i}"));

        if i % 2 == 1 {
            let (mut child, url) = spawn_emulator(&state, &["--empty", "--step-ms", "5"]);
            let client = client_at(&url, tunedeck::api::Credentials::None);
            let gone = format!("m{:02}", i - 1);
            client.delete_tuned_model(&gone).await.unwrap();
            crash_after(&mut child);
            expected.remove(&gone);
        }
    }
    let (mut child, url) = spawn_emulator(&state, &["--empty"]);
    assert_eq!(listed(&url).await, expected);
    crash_after(&mut child);
}

/// A job polled to step k, then `kill -9`: after the restart it shows at least k steps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_job_never_shows_fewer_steps_than_a_client_saw() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    for round in 0..5 {
        let (mut child, url) = spawn_emulator(&state, &["--empty", "--step-ms", "15"]);
        let client = client_at(&url, tunedeck::api::Credentials::None);
        let name = if round == 0 {
            let examples: Vec<_> = (0..200)
                .map(|i| {
                    tunedeck::api::types::TuningExample::new(format!("in {i}"), format!("out {i}"))
                })
                .collect();
            client
                .create_tuned_model(&tuning_request("long", examples, 1, 5), Some("long"))
                .await
                .unwrap()
                .name
        } else {
            let ops = client
                .list_operations("tunedModels/long", Some(10), "")
                .await
                .unwrap();
            ops.operations[0].name.clone()
        };
        // Poll until some steps beyond a checkpoint boundary are visible, then crash.
        let mut seen = 0;
        for _ in 0..200 {
            let op = client.get_operation(&name).await.unwrap();
            seen = op.tuning_metadata().map_or(0, |m| m.completed_steps);
            if seen > 0 && seen % 16 != 0 && seen > round * 20 + 5 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(7)).await;
        }
        signal(&child, "KILL");
        wait_exit(&mut child);
        let (mut again, url) = spawn_emulator(&state, &["--empty", "--step-ms", "100000"]);
        let client = client_at(&url, tunedeck::api::Credentials::None);
        let op = client.get_operation(&name).await.unwrap();
        let after = op.tuning_metadata().map_or(0, |m| m.completed_steps);
        assert!(
            after >= seen,
            "round {round}: a client saw step {seen}, the restarted job shows {after}"
        );
        signal(&again, "KILL");
        wait_exit(&mut again);
    }
}

/// With the disk full, a change answers 503 and changes nothing, on disk or in memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_write_answers_503_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let (mut child, url) = spawn_emulator(&state, &["--empty"]);
    let client = client_at(&url, tunedeck::api::Credentials::None);
    client
        .create_tuned_model(
            &tuning_request("before", tutorial_examples(), 4, 1),
            Some("kept"),
        )
        .await
        .unwrap();
    signal(&child, "TERM");
    wait_exit(&mut child);

    let (mut child, url) = spawn_emulator(&state, &["--empty", "--fault-disk-full"]);
    let mut config = tunedeck::api::ClientConfig::new(&url, tunedeck::api::Credentials::None);
    config.retry.max_retries = 0;
    let client = tunedeck::api::ApiClient::new(config).unwrap();
    let err = client
        .create_tuned_model(
            &tuning_request("lost", tutorial_examples(), 4, 1),
            Some("refused"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.http_status, Some(503), "{err}");
    assert!(err.to_string().contains("nothing was changed"), "{err}");
    let patch = tunedeck::api::types::TunedModel {
        name: "tunedModels/kept".into(),
        display_name: "renamed".into(),
        ..Default::default()
    };
    let err = client
        .update_tuned_model(&patch, &["displayName"])
        .await
        .unwrap_err();
    assert_eq!(err.http_status, Some(503));
    let err = client.delete_tuned_model("kept").await.unwrap_err();
    assert_eq!(err.http_status, Some(503));
    // Nothing changed in memory either.
    let now = listed(&url).await;
    assert_eq!(now.get("kept").map(String::as_str), Some("before"));
    assert!(!now.contains_key("refused"));
    signal(&child, "KILL");
    wait_exit(&mut child);
    let (mut child, url) = spawn_emulator(&state, &["--empty"]);
    let after = listed(&url).await;
    assert_eq!(after.keys().collect::<Vec<_>>(), vec!["kept"]);
    assert_eq!(after["kept"], "before");
    signal(&child, "KILL");
    wait_exit(&mut child);
}

/// A start-up failure is one clear line on stderr and exit 1: no report, no backtrace.
#[test]
fn start_up_errors_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let bad_state = dir.path().join("state.json");
    std::fs::write(&bad_state, "{bad").unwrap();
    let runs: [(&[&str], &str); 2] = [
        (
            &["emulator", "--ephemeral", "--bind", &addr],
            "Address already in use",
        ),
        (
            &[
                "emulator",
                "--bind",
                "127.0.0.1:0",
                "--state",
                bad_state.to_str().unwrap(),
            ],
            "not an emulator state file",
        ),
    ];
    for (args, words) in runs {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tunedeck"));
        for var in MACHINE_VARS {
            cmd.env_remove(var);
        }
        let out = cmd
            .args(args)
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE")
            .env("HOME", dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        let errors: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect();
        assert_eq!(errors.len(), 1, "{stderr}");
        assert!(errors[0].contains(words), "{stderr}");
        assert!(
            !stderr.contains("BACKTRACE") && !stderr.contains("Location"),
            "{stderr}"
        );
    }
}
