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
