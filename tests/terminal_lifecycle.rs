//! A tuned model's life on Vertex AI in a real 80x24 terminal (tests/common/tmux.rs), on the
//! embedded emulator's demo: promote a checkpoint to the model's default from the job detail,
//! rebase the model onto another base model, and see a job wait for the project's
//! concurrent-tuning-jobs quota (the embedded emulator runs two at once) in the jobs table and
//! the job's detail.

mod common;
use common::tmux::{Tmux, have_tmux};

#[test]
fn a_checkpoint_is_promoted_a_model_rebased_and_a_third_job_waits_for_quota() {
    if !have_tmux() {
        return;
    }
    let tmux = Tmux::start_sized("lifecycle", "--emulator --vertex", (80, 24), |_| {});
    // The demo's finished job is the oldest row: sorted by creation, newest first.
    tmux.wait_until("the demo's finished job", |s| {
        s.contains("number-generator") && s.contains("SUCCEEDED")
    });
    tmux.keys(&["G", "Enter"]);
    tmux.wait_for("Dataset statistics");
    // Scroll to the end (the detail stops there): the checkpoint rows.
    for _ in 0..40 {
        tmux.keys(&["j"]);
    }
    tmux.wait_for("Checkpoints (8)");

    // Promote: `]` chooses a checkpoint row, `D` asks, `y` makes it the default.
    tmux.keys(&["]"]);
    tmux.keys(&["D"]);
    let question = tmux.wait_for("Default checkpoint");
    assert!(
        question
            .contains("Make checkpoint 2, epoch 2, step 6 the default of \"number-generator\"?")
            && question.contains("The default now is checkpoint 8"),
        "the question names the checkpoint, the model and the default it replaces:\n{question}"
    );
    tmux.keys(&["y"]);
    let screen = tmux.wait_for("Checkpoint 2 is now the default of number-generator");
    assert!(
        screen.contains("step      6  default"),
        "the row is marked:\n{screen}"
    );

    // Rebase: `R` asks which base, `y` starts the new job, which the Monitor follows.
    tmux.keys(&["R"]);
    let question = tmux.wait_for("Rebase the model of \"number-generator\"");
    assert!(
        question.contains("Base now   gemini-") && question.contains("New base ‹"),
        "{question}"
    );
    tmux.keys(&["y"]);
    tmux.wait_for("┌ Jobs (2)");
    tmux.wait_for("┌ number-generator ─");

    // A second rebase makes three live jobs for a quota of two: the newest waits.
    tmux.keys(&["1", "Escape"]);
    tmux.wait_for("Tuning jobs · tunedeck-demo/us-central1 (3)");
    tmux.keys(&["G", "R"]);
    tmux.wait_for("Rebase the model of \"number-generator\"");
    tmux.keys(&["y"]);
    tmux.wait_for("┌ Jobs (3)");
    tmux.keys(&["1", "Escape"]);
    let table = tmux.wait_for("Tuning jobs · tunedeck-demo/us-central1 (4)");
    let waiting = tmux.wait_until("a job waiting for quota", |s| {
        s.lines()
            .any(|l| l.contains("number-generator") && l.contains("PENDING · quota: "))
    });
    assert!(waiting.contains(" ahead"), "{table}\n{waiting}");
    // Its detail says how many jobs hold it back.
    tmux.keys(&["g", "Enter"]);
    let detail = tmux.wait_for("waiting for quota: ");
    assert!(detail.contains("ahead in this project"), "{detail}");
    tmux.keys(&["q"]);
    tmux.assert_restored(0);
}
