//! In a real terminal (tmux), the model table's two faces: the T form with an open model chosen
//! offers only what that model takes (learning rate instead of the multiplier, batch size,
//! output URI prefilled from the bucket, its tuning modes) and its review says what will be
//! created; the jobs table marks the demo's job whose base model has retired, and its detail
//! names the rebase. Needs tmux (see tests/terminal.rs).

mod common;
use common::tmux::{Tmux, have_tmux};

#[test]
fn the_t_form_offers_what_an_open_model_takes_and_the_jobs_table_marks_a_retired_base() {
    if !have_tmux() {
        return;
    }
    let tmux = Tmux::start_sized(
        "open",
        "--emulator --vertex --dataset caps.jsonl",
        (120, 40),
        |home| {
            let line = r#"{"contents":[{"role":"user","parts":[{"text":"city italy"}]},{"role":"model","parts":[{"text":"rome"}]}]}"#;
            std::fs::write(home.join("caps.jsonl"), format!("{line}\n").repeat(6)).unwrap();
        },
    );
    tmux.wait_for("(Vertex AI JSONL) · 6 examples");
    tmux.keys(&["T"]);
    let form = tmux.wait_for("Start tuning on Vertex AI");
    // A Gemini model first: the multiplier, no open-model rows.
    assert!(form.contains("LR multiplier"), "{form}");
    assert!(
        !form.contains("Output URI") && !form.contains("Tuning mode"),
        "{form}"
    );
    // Up from the first field: the adapter size, then what to tune from; → five times: past
    // the Gemini models to Gemma 3 27B IT.
    tmux.keys(&["BTab", "BTab"]);
    for _ in 0..5 {
        tmux.keys(&["Right"]);
    }
    let form = tmux.wait_for("‹ google/gemma-3-27b-it ›");
    assert!(form.contains("Learning rate"), "{form}");
    assert!(!form.contains("LR multiplier"), "{form}");
    assert!(form.contains("Batch size"), "{form}");
    assert!(
        form.contains("Output URI       (required: gs://bucket/folder for the tuned weights)"),
        "{form}"
    );
    assert!(form.contains("‹ adapter ›  of adapter, full"), "{form}");
    // The bucket, then the output folder follows it; full mode; the review.
    tmux.keys(&["BTab", "BTab"]);
    tmux.run(&["send-keys", "-t", "t", "-l", "caps-bucket"]);
    tmux.wait_for("(empty: the bucket's tuned/ folder)");
    tmux.keys(&["Tab", "Tab", "Tab", "Tab", "Right"]);
    tmux.wait_for("‹ full ›");
    tmux.keys(&["Enter"]);
    let rows = [
        "Tune from      google/gemma-3-27b-it",
        "Tuning mode    full",
        "Output URI     gs://caps-bucket/tunedeck/tuned",
    ];
    // The whole review, not a frame caught while it is drawn.
    let review = tmux.wait_until("the review's rows", |s| {
        s.contains("Start tuning on Vertex AI: review") && rows.iter().all(|r| s.contains(r))
    });
    assert!(!review.contains("LR multiplier"), "{review}");
    tmux.keys(&["Enter"]);
    // The Monitor follows the new job; the jobs table lists it beside the demo's two, whose
    // finished job, on Gemini 2.5 Flash (retired 2026-10-16), is marked.
    tmux.wait_for("┌ caps ─");
    tmux.keys(&["1"]);
    let table = tmux.wait_for("tunedeck-demo/us-central1 (3)");
    let marked = table
        .lines()
        .find(|l| l.contains("number-generator"))
        .unwrap_or_default();
    assert!(marked.contains("SUCCEEDED · retired"), "{table}");
    // Its detail says when and what R rebases onto.
    tmux.keys(&["g"]);
    for _ in 0..10 {
        if tmux
            .screen()
            .lines()
            .any(|l| l.contains("number-generator") && l.contains("retired"))
        {
            break;
        }
        tmux.keys(&["j"]);
    }
    let table = tmux.screen();
    let row = table
        .lines()
        .position(|l| l.contains("number-generator"))
        .expect("the demo job");
    let chosen = table
        .lines()
        .position(|l| l.contains("caps") && l.contains("gemma"))
        .expect("the new job");
    // The new job is newest, the demo's finished job below it: down to it, then enter.
    for _ in 0..row.saturating_sub(chosen) {
        tmux.keys(&["j"]);
    }
    tmux.keys(&["Enter"]);
    let detail = tmux.wait_for("Base's life     retired 2026-10-16: rebase");
    assert!(
        detail.contains("Rebase with R   onto gemini-3.1-flash-lite"),
        "{detail}"
    );
}
