//! A preference (DPO) file end to end in a real terminal against the emulator: tmux runs
//! `tunedeck --emulator --vertex --dataset prefs.jsonl`; the rejected answer is edited and
//! saved, then the T form makes a preference tuning job after its review and the Monitor shows
//! it. Also `tunedeck dataset check` on a preference file: its problems by line, exit 2.
//!
//! Needs tmux; without it the tmux test says so and passes, unless TUNEDECK_REQUIRE_TMUX_TEST is
//! set (as in tests/terminal.rs).

mod common;
use common::tmux::{Tmux, have_tmux};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn line(system: Option<&str>, prompt: &str, preferred: &str, rejected: &str) -> String {
    let mut value = serde_json::json!({
        "contents": [{"role": "user", "parts": [{"text": prompt}]}],
        "completions": [
            {"score": 1, "completion": {"role": "model", "parts": [{"text": preferred}]}},
            {"score": 0, "completion": {"role": "model", "parts": [{"text": rejected}]}},
        ],
    });
    if let Some(system) = system {
        value["system_instruction"] = serde_json::json!({"parts": [{"text": system}]});
    }
    serde_json::to_string(&value).unwrap()
}

fn write_prefs(home: &Path) {
    let text = [
        line(
            Some("You are a cheerful bot."),
            "Favorite fruit?",
            "Apple! Apple!",
            "Your favorite fruit is apple.",
        ),
        line(
            None,
            "Say a color",
            "Blue!",
            "A color is a property of light.",
        ),
        line(None, "Name a planet", "Mars!", "Planets orbit stars."),
    ]
    .join("\n")
        + "\n";
    std::fs::write(home.join("prefs.jsonl"), text).unwrap();
}

#[test]
fn a_preference_file_is_edited_saved_and_tuned_with_dpo_through_the_t_form() {
    if !have_tmux() {
        return;
    }
    let tmux = Tmux::start_sized(
        "preference",
        "--emulator --vertex --dataset prefs.jsonl",
        (80, 24),
        write_prefs,
    );
    let screen = tmux.wait_for("(Vertex AI preference JSONL) · 3 examples");
    assert!(screen.contains("PREFERRED"), "{screen}");
    // At 80 columns the answers stack: the rejected box below the preferred one.
    let preferred = screen
        .lines()
        .position(|l| l.contains("PREFERRED (score 1)"));
    let rejected = screen
        .lines()
        .position(|l| l.contains("REJECTED (score 0)"));
    assert!(preferred.is_some() && rejected > preferred, "{screen}");
    // The second example's rejected answer, edited and saved.
    tmux.keys(&["j", "Enter", "Tab", "Tab"]);
    tmux.type_text(" Boring.");
    tmux.keys(&["Escape"]);
    tmux.wait_for("● unsaved");
    tmux.keys(&["C-s"]);
    tmux.wait_for("Saved 3 examples to prefs.jsonl");
    let saved = std::fs::read_to_string(tmux.home().join("prefs.jsonl")).unwrap();
    let second: serde_json::Value = serde_json::from_str(saved.lines().nth(1).unwrap()).unwrap();
    assert_eq!(
        second["completions"][1]["completion"]["parts"][0]["text"],
        "A color is a property of light. Boring."
    );
    assert!(
        saved
            .lines()
            .next()
            .unwrap()
            .contains("You are a cheerful bot.")
    );
    // T: a preference job, a beta, the bucket; the review, then the job in the Monitor.
    tmux.keys(&["T"]);
    let form = tmux.wait_for("Start tuning on Vertex AI");
    assert!(form.contains("preference (DPO)"), "{form}");
    // Display name, description, epochs, multiplier, beta.
    tmux.keys(&["Tab", "Tab", "Tab", "Tab"]);
    tmux.type_text("0.2");
    tmux.wait_for("Beta           0.2");
    // Validation %, bucket.
    tmux.keys(&["Tab", "Tab"]);
    tmux.type_text("prefs-bucket");
    tmux.wait_for("Bucket         prefs-bucket");
    // Prefix, what to tune from, the adapter size; then the review.
    tmux.keys(&["Enter", "Enter", "Enter"]);
    tmux.wait_for("Adapter size");
    tmux.keys(&["Enter"]);
    let review = tmux.wait_for("Start tuning on Vertex AI: review");
    assert!(review.contains("preference tuning (DPO)"), "{review}");
    assert!(review.contains("Beta           0.2"), "{review}");
    assert!(
        review.contains("gs://prefs-bucket/tunedeck/prefs-"),
        "{review}"
    );
    tmux.keys(&["Enter"]);
    tmux.wait_for("Tuning prefs on Vertex AI");
    tmux.wait_for("┌ prefs ─");
}

#[test]
fn dataset_check_words_a_preference_files_problems_by_line() {
    let home = tempfile::tempdir().unwrap();
    let good = line(None, "Hi", "Hello!", "Go away.");
    let both = good.replace("\"score\":0", "\"score\":1");
    let path = home.path().join("prefs.jsonl");
    std::fs::write(&path, format!("{good}\n\n{both}\n")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tunedeck"))
        .args(["dataset", "check"])
        .arg(&path)
        .env("HOME", home.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "{}: line 3: error: 2 preferred and 0 rejected",
            path.display()
        )),
        "{stdout}"
    );
    assert!(stdout.contains("1 error"), "{stdout}");
    // Fixed, it passes.
    std::fs::write(&path, format!("{good}\n")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tunedeck"))
        .args(["dataset", "check"])
        .arg(&path)
        .env("HOME", home.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // A line that is not a preference example at all: nothing loaded, the line named.
    std::fs::write(
        &path,
        format!("{good}\n{{\"contents\": [], \"completions\": 3}}\n"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tunedeck"))
        .args(["dataset", "check"])
        .arg(&path)
        .env("HOME", home.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(":2: no \"completions\" list"), "{stderr}");
}

/// Supervised tuning (Vertex AI's without `--method preference`, and the Gemini API's) refuses
/// a preference file rather than tuning its prompts and preferred answers as pairs; nothing
/// reaches the service.
#[tokio::test(flavor = "multi_thread")]
async fn supervised_tune_refuses_a_preference_file_and_names_the_method() {
    let home = tempfile::tempdir().unwrap();
    let emu = common::start(common::fast_options()).await;
    let path = home.path().join("prefs.jsonl");
    std::fs::write(&path, line(None, "Hi", "Hello!", "Go away.") + "\n").unwrap();
    let file = path.display().to_string();
    for backend in [vec!["--vertex", "--project", "p"], Vec::<&str>::new()] {
        let mut cmd: assert_cmd::Command = common::bare_command(home.path());
        cmd.timeout(Duration::from_secs(60))
            .args(["--endpoint", &emu.base_url()])
            .args(&backend)
            .args(["tune", "--dataset", &file, "--bucket", "b"]);
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{backend:?}: {stderr}");
        assert!(
            stderr.contains("is a preference (DPO) file"),
            "{backend:?}: {stderr}"
        );
        assert!(stderr.contains("nothing was"), "{backend:?}: {stderr}");
    }
}
