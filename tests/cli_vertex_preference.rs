//! `tunedeck tune --vertex --method preference` as a script runs it against the emulator: a
//! preference JSONL is checked line by line (a bad line named, nothing uploaded), a model that
//! does not take DPO and a beta out of range are refused with exit 2, a DPO job is created and
//! followed, `jobs get` names the method and its beta, and DPO continues from that model's
//! checkpoint with `--from MODEL --checkpoint ID`.

mod common;
use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tunedeck::emulator::RunningEmulator;

async fn vertex(emu: &RunningEmulator, home: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd: Command = common::bare_command(home);
    cmd.timeout(Duration::from_secs(60))
        .args(["--endpoint", &emu.base_url(), "--vertex", "--project", "p"])
        .args(args);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn line(prompt: &str, scores: (u8, u8)) -> String {
    serde_json::json!({
        "contents": [{"role": "user", "parts": [{"text": prompt}]}],
        "completions": [
            {"score": scores.0, "completion": {"role": "model", "parts": [{"text": "Gladly, here it is."}]}},
            {"score": scores.1, "completion": {"role": "model", "parts": [{"text": "No."}]}},
        ],
    })
    .to_string()
}

fn preference_file(dir: &Path, bad_line: Option<usize>) -> PathBuf {
    let path = dir.join("kind.jsonl");
    let lines: String = (1..=10)
        .map(|i| {
            let scores = if Some(i) == bad_line { (1, 1) } else { (1, 0) };
            line(&format!("question {i}"), scores) + "\n"
        })
        .collect();
    std::fs::write(&path, lines).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preference_tuning_from_the_cli_checks_refuses_creates_and_continues_from_a_checkpoint() {
    let home = tempfile::tempdir().unwrap();
    let emu = common::start(common::fast_options()).await;
    let bad = preference_file(home.path(), Some(4));
    let out = vertex(
        &emu,
        home.path(),
        &[
            "tune",
            "--method",
            "preference",
            "--dataset",
            bad.to_str().unwrap(),
            "--bucket",
            "b",
        ],
    )
    .await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("kind.jsonl:4: error: 2 preferred and 0 rejected completions"),
        "{err}"
    );
    assert!(err.contains("nothing was uploaded or started"), "{err}");
    let listed = vertex(&emu, home.path(), &["jobs", "list"]).await;
    assert!(!text(&listed.stdout).contains("kind"), "no job started");

    let good = preference_file(home.path(), None);
    let path = good.to_str().unwrap();
    for (extra, expected) in [
        (
            &["--base-model", "gemini-2.5-pro"][..],
            "--method preference: gemini-2.5-pro does not take preference tuning; it is offered for gemini-2.5-flash, gemini-2.5-flash-lite",
        ),
        (&["--beta", "1.5"][..], "--beta: beta 1.5 is out of range"),
    ] {
        let mut args = vec![
            "tune",
            "--method",
            "preference",
            "--dataset",
            path,
            "--bucket",
            "b",
        ];
        args.extend_from_slice(extra);
        let out = vertex(&emu, home.path(), &args).await;
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains(expected),
            "{}",
            text(&out.stderr)
        );
    }
    let out = vertex(
        &emu,
        home.path(),
        &["tune", "--dataset", path, "--bucket", "b", "--beta", "0.2"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("add --method preference"));

    // DPO from the base model, followed to the end.
    let out = vertex(
        &emu,
        home.path(),
        &[
            "tune",
            "--method",
            "preference",
            "--beta",
            "0.2",
            "--dataset",
            path,
            "--bucket",
            "b",
            "--epochs",
            "3",
            "--held-out",
            "20",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("8 training examples, 2 for validation"),
        "{}",
        text(&out.stderr)
    );
    let job = text(&out.stdout).trim().to_owned();
    let out = vertex(&emu, home.path(), &["watch", &job]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = vertex(&emu, home.path(), &["jobs", "get", &job]).await;
    let shown = text(&out.stdout);
    assert!(
        shown.contains("method     preference (DPO) · beta 0.2"),
        "{shown}"
    );
    assert!(
        shown.contains("data       8 preference examples"),
        "{shown}"
    );
    assert!(shown.contains("state      JOB_STATE_SUCCEEDED"), "{shown}");
    let model = shown
        .lines()
        .find_map(|l| l.strip_prefix("model      "))
        .expect("the model line")
        .to_owned();

    // Then DPO again from that model's first checkpoint.
    let out = vertex(
        &emu,
        home.path(),
        &[
            "tune",
            "--method",
            "preference",
            "--dataset",
            path,
            "--bucket",
            "b",
            "--from",
            &model,
            "--checkpoint",
            "1",
            "--watch",
        ],
    )
    .await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("SUCCEEDED"), "{err}");
    let endpoint = text(&out.stdout).trim().to_owned();
    let out = vertex(&emu, home.path(), &["generate", &endpoint, "question 3"]).await;
    assert_eq!(
        text(&out.stdout).trim(),
        "Gladly, here it is.",
        "{}",
        text(&out.stderr)
    );
    emu.shutdown().await;
}
