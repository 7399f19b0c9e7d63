//! End to end in a real terminal (tests/common/tmux.rs): tmux runs the binary with no
//! credentials, we read the screen with capture-pane, type with send-keys, and check that
//! quitting with `q` or being sent a signal gives the terminal back (no alternate screen, no
//! mouse reporting; exit status 0 after `q`, 130 after SIGINT, 143 after SIGTERM).
//!
//! Needs tmux; without it the test says so and passes, unless TUNEDECK_REQUIRE_TMUX_TEST is set
//! (CI sets it after installing tmux).

mod common;
use common::tmux::{Tmux, have_tmux};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn with_no_credentials_it_shows_the_emulators_demo_and_quits_cleanly() {
    if !have_tmux() {
        return;
    }
    let tmux = Tmux::start("quit");
    let screen = tmux.wait_for("number-generator-demo");
    assert!(screen.contains("EMULATOR"), "{screen}");
    assert!(screen.contains("roman-numerals-demo"), "{screen}");
    assert_eq!(tmux.flag("alternate_on"), "1");
    tmux.run(&["send-keys", "-t", "t", "j", "Enter"]);
    tmux.wait_for("meanLoss");
    tmux.run(&["send-keys", "-t", "t", "q"]);
    tmux.assert_restored(0);
}

#[test]
fn sigterm_restores_the_terminal() {
    if !have_tmux() {
        return;
    }
    let tmux = Tmux::start("term");
    tmux.wait_for("number-generator-demo");
    let pid = tmux.app_pid();
    assert!(!pid.is_empty(), "found the process");
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    // 128 + 15, as a shell reports a process ended by SIGTERM, so scripts can tell.
    tmux.assert_restored(143);
}

#[test]
fn sigint_restores_the_terminal_and_exits_130() {
    if !have_tmux() {
        return;
    }
    let tmux = Tmux::start("int");
    tmux.wait_for("number-generator-demo");
    let pid = tmux.app_pid();
    assert!(!pid.is_empty(), "found the process");
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    tmux.assert_restored(130);
}

#[test]
fn the_playground_streams_the_demo_models_answer() {
    if !have_tmux() {
        return;
    }
    let tmux = Tmux::start("play");
    tmux.wait_for("number-generator-demo");
    let keys = |k: &[&str]| {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(k);
        tmux.run(&args);
        std::thread::sleep(Duration::from_millis(300));
    };
    keys(&["4"]);
    keys(&["m"]);
    tmux.wait_for("Choose a model");
    keys(&["Enter"]);
    keys(&["i"]);
    keys(&["seven"]);
    keys(&["Escape"]);
    keys(&["Enter"]);
    let screen = tmux.wait_for("finishReason STOP");
    assert!(
        screen
            .lines()
            .any(|l| l.trim_matches(|c| c == '│' || c == ' ') == "eight"),
        "the tuned demo answers its training output:\n{screen}"
    );
    keys(&["q"]);
    tmux.assert_restored(0);
}

/// 5,000 characters typed at once, then a bracketed paste: each appears in full with no
/// further key (input used to stall at 1,024 characters until the next key, and a paste was
/// not drawn until the next event).
#[test]
fn fast_input_and_a_bracketed_paste_arrive_in_full() {
    if !have_tmux() {
        return;
    }
    let tmux = Tmux::start("paste");
    tmux.wait_for("number-generator-demo");
    tmux.run(&["send-keys", "-t", "t", "4"]);
    tmux.wait_for("Model none yet");
    tmux.run(&["send-keys", "-t", "t", "i"]);
    tmux.wait_for("Prompt · 0 chars");
    tmux.run(&["send-keys", "-t", "t", "-l", &"a".repeat(5_000)]);
    tmux.wait_for("Prompt · 5000 chars");
    tmux.run(&["set-buffer", &"b".repeat(100)]);
    tmux.run(&["paste-buffer", "-p", "-t", "t"]);
    tmux.wait_for("Prompt · 5100 chars");
    tmux.run(&["send-keys", "-t", "t", "Escape"]);
    tmux.run(&["send-keys", "-t", "t", "q"]);
    tmux.assert_restored(0);
}

/// Unsaved dataset edits, then `q` on the Models tab: the question is drawn there (it used to
/// change only the footer); `n` stays, `y` quits.
#[test]
fn the_quit_question_is_drawn_on_every_tab() {
    if !have_tmux() {
        return;
    }
    let tmux = Tmux::start_with("quit-question", "--dataset numbers.jsonl", |home| {
        let lines: String = (1..=5)
            .map(|i| format!("{{\"text_input\": \"{i}\", \"output\": \"{}\"}}\n", i + 1))
            .collect();
        std::fs::write(home.join("numbers.jsonl"), lines).unwrap();
    });
    // --dataset opens on the Dataset tab.
    let screen = tmux.wait_for("numbers.jsonl");
    assert!(!screen.contains("Tuned models"), "{screen}");
    tmux.run(&["send-keys", "-t", "t", "d"]);
    tmux.wait_for("unsaved");
    for tab in ["1", "2", "4"] {
        tmux.run(&["send-keys", "-t", "t", tab]);
        std::thread::sleep(Duration::from_millis(200));
        tmux.run(&["send-keys", "-t", "t", "q"]);
        let screen = tmux.wait_for("Quit?");
        assert!(
            screen.contains("The dataset has unsaved changes."),
            "tab {tab}:\n{screen}"
        );
        tmux.run(&["send-keys", "-t", "t", "n"]);
        std::thread::sleep(Duration::from_millis(200));
        assert!(!tmux.screen().contains("Quit?"), "n closes it");
    }
    tmux.run(&["send-keys", "-t", "t", "q"]);
    tmux.wait_for("Quit?");
    tmux.run(&["send-keys", "-t", "t", "y"]);
    tmux.assert_restored(0);
}

/// Saving keeps what the user's file looked like: its mode (0644 stays 0644, not 0600) and its
/// JSON-lines spacing.
#[test]
fn saving_keeps_the_files_mode_and_style() {
    use std::os::unix::fs::PermissionsExt;
    if !have_tmux() {
        return;
    }
    let tmux = Tmux::start_with("save-style", "--dataset numbers.jsonl", |home| {
        let path = home.join("numbers.jsonl");
        std::fs::write(
            &path,
            "{\"text_input\": \"sun\", \"output\": \"day\"}\n{\"text_input\": \"moon\", \"output\": \"night\"}\n",
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    });
    let path = tmux.home().join("numbers.jsonl");
    tmux.wait_for("numbers.jsonl");
    tmux.run(&["send-keys", "-t", "t", "d"]);
    tmux.wait_for("unsaved");
    tmux.run(&["send-keys", "-t", "t", "C-s"]);
    tmux.wait_for("Saved 1 example");
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, "{\"text_input\": \"moon\", \"output\": \"night\"}\n");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644);
    tmux.run(&["send-keys", "-t", "t", "q"]);
    tmux.assert_restored(0);
}

#[test]
fn with_vertex_ai_chosen_every_tab_shows_the_vertex_demo() {
    if !have_tmux() {
        return;
    }
    let tmux = Tmux::start_with("vertex", "--emulator --vertex", |_| {});
    tmux.wait_for("VERTEX tunedeck-demo/us-central1");
    // The Models tab: the demo project's tuning jobs.
    let screen = tmux.wait_for("Tuning jobs · tunedeck-demo/us-central1 (2)");
    assert!(screen.contains("roman-numerals"), "{screen}");
    let screen = tmux.wait_for("number-generator");
    assert!(screen.contains("SUCCEEDED"), "{screen}");
    // The finished job's detail: its data statistics, and (scrolled to) its checkpoints.
    tmux.run(&["send-keys", "-t", "t", "j", "Enter"]);
    tmux.wait_for("Dataset statistics");
    tmux.wait_for("Billable tokens 69");
    tmux.run(&[
        "send-keys",
        "-t",
        "t",
        "j",
        "j",
        "j",
        "j",
        "j",
        "j",
        "j",
        "j",
        "j",
        "j",
        // Three more: the detail's Method row, and the base's retirement and the rebase on
        // two lines.
        "j",
        "j",
        "j",
    ]);
    tmux.wait_for("Checkpoints (8)");
    // Its train and eval curves in the Monitor.
    tmux.run(&["send-keys", "-t", "t", "w"]);
    tmux.wait_for("┌ number-generator ─");
    let screen = tmux.wait_for("step 24 of 24");
    assert!(
        screen.contains("lowest") && screen.contains("· eval ") && screen.contains("at step 24"),
        "the train and the eval loss: {screen}"
    );
    // The running job is followed live: its planned steps come once the (emulated) service
    // has read the dataset.
    tmux.run(&["send-keys", "-t", "t", "k"]);
    tmux.wait_for("┌ roman-numerals ─");
    tmux.wait_for("of 90 ·");
    // The Playground answers from a checkpoint's endpoint.
    tmux.run(&["send-keys", "-t", "t", "4", "m", "/"]);
    tmux.run(&["send-keys", "-t", "t", "-l", "checkpoint 3"]);
    tmux.run(&["send-keys", "-t", "t", "Enter"]);
    tmux.run(&["send-keys", "-t", "t", "Enter"]);
    tmux.wait_for("Model number-generator · checkpoint 3 (endpoint");
    tmux.run(&["send-keys", "-t", "t", "i"]);
    tmux.run(&["send-keys", "-t", "t", "-l", "three"]);
    tmux.wait_for("Prompt · 5 chars");
    tmux.run(&["send-keys", "-t", "t", "Escape"]);
    tmux.wait_for("i edits");
    tmux.run(&["send-keys", "-t", "t", "Enter"]);
    tmux.wait_for("┌ number-generator · checkpoint 3 (endpoint");
    let screen = tmux.wait_for(") · done");
    assert!(!screen.contains("failed"), "{screen}");
    tmux.run(&["send-keys", "-t", "t", "q"]);
    tmux.assert_restored(0);
}

/// The Dataset tab's T with Vertex AI chosen: a multi-turn Vertex file, the bucket typed,
/// enter; the upload goes, the job starts, and the Monitor follows it.
#[test]
fn with_vertex_ai_chosen_t_uploads_a_vertex_file_and_the_monitor_follows_the_job() {
    if !have_tmux() {
        return;
    }
    let tmux = Tmux::start_with(
        "vertex-tune",
        "--emulator --vertex --dataset talk.jsonl",
        |home| {
            let turn = |role: &str, text: &str| {
                format!(r#"{{"role":"{role}","parts":[{{"text":"{text}"}}]}}"#)
            };
            let lines: String = (0..12)
                .map(|i| {
                    format!(
                        "{{\"contents\":[{},{},{},{}]}}\n",
                        turn("user", &format!("hello {i}")),
                        turn("model", "hi"),
                        turn("user", &format!("number {i}?")),
                        turn("model", &format!("{}", i + 1)),
                    )
                })
                .collect();
            std::fs::write(home.join("talk.jsonl"), lines).unwrap();
        },
    );
    let screen = tmux.wait_for("(Vertex AI JSONL) · 12 examples");
    assert!(screen.contains("[4 turns] hello 0"), "{screen}");
    tmux.run(&["send-keys", "-t", "t", "T"]);
    tmux.wait_for("Start tuning on Vertex AI");
    // Display name, description, epochs, multiplier, validation %, bucket.
    for _ in 0..4 {
        tmux.run(&["send-keys", "-t", "t", "Tab"]);
    }
    tmux.run(&["send-keys", "-t", "t", "-l", "25"]);
    tmux.wait_for("→ 9 for training, 3 for validation");
    tmux.run(&["send-keys", "-t", "t", "Tab"]);
    tmux.run(&["send-keys", "-t", "t", "-l", "talk-bucket"]);
    tmux.wait_for("Bucket         talk-bucket");
    // Enter walks the fields (prefix, what to tune from, the adapter size): nothing starts.
    for _ in 0..3 {
        tmux.run(&["send-keys", "-t", "t", "Enter"]);
    }
    tmux.wait_for("Adapter size");
    // One more: the review of what will be uploaded and created; only enter there starts.
    tmux.run(&["send-keys", "-t", "t", "Enter"]);
    let review = tmux.wait_for("Start tuning on Vertex AI: review");
    assert!(
        review.contains("9 for training, 3 for validation"),
        "{review}"
    );
    assert!(
        review.contains("gs://talk-bucket/tunedeck/talk-"),
        "{review}"
    );
    tmux.run(&["send-keys", "-t", "t", "Enter"]);
    // The Monitor on the new job, its steps counted as they come.
    tmux.wait_for("┌ talk ─");
    tmux.wait_for(" of 45 ·");
    // The Models tab lists it beside the demo's two.
    tmux.run(&["send-keys", "-t", "t", "1"]);
    let screen = tmux.wait_for("Tuning jobs · tunedeck-demo/us-central1 (3)");
    assert!(screen.contains("talk"), "{screen}");
    tmux.run(&["send-keys", "-t", "t", "q"]);
    tmux.assert_restored(0);
}

/// Waits until `check` holds for the file at `path` (the worker writes off the UI thread).
fn wait_until_file(path: &Path, what: &str, check: impl Fn(&Path) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check(path) {
        assert!(
            Instant::now() < deadline,
            "{}: never {what}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The tutorial's first fifteen pairs, as spaced JSON lines.
fn fifteen_pairs() -> String {
    (1..=15)
        .map(|i| format!("{{\"text_input\": \"{i}\", \"output\": \"{}\"}}\n", i + 1))
        .collect()
}

/// Issue 24 item 1: edits recovered after a crash are never saved over a file that changed
/// outside meanwhile; the question shows both counts, and saving them under a new name keeps
/// both.
#[test]
fn recovered_edits_never_overwrite_a_file_changed_outside() {
    if !have_tmux() {
        return;
    }
    let tmux = Tmux::start_with("recover-changed", "--dataset ng.jsonl", |home| {
        std::fs::write(home.join("ng.jsonl"), fifteen_pairs()).unwrap();
    });
    let h = tmux.home().to_owned();
    let journal = h.join("state/tunedeck/dataset-journal.jsonl");
    tmux.wait_for("15 examples");
    tmux.run(&["send-keys", "-t", "t", "G", "a"]);
    tmux.run(&["send-keys", "-t", "t", "-l", "sixteen"]);
    tmux.run(&["send-keys", "-t", "t", "Tab"]);
    tmux.run(&["send-keys", "-t", "t", "-l", "17"]);
    tmux.run(&["send-keys", "-t", "t", "Escape"]);
    tmux.wait_for("unsaved");
    wait_until_file(&journal, "held the edit", |p| {
        std::fs::read_to_string(p).is_ok_and(|t| t.contains("sixteen"))
    });
    // Someone else appends a line, then the crash.
    let outside = "{\"text_input\": \"outside\", \"output\": \"line\"}\n";
    let mut text = fifteen_pairs();
    text.push_str(outside);
    std::fs::write(h.join("ng.jsonl"), &text).unwrap();
    tmux.kill_and_restart("--dataset ng.jsonl");
    let screen = tmux.wait_for("Recovered edits: the file changed");
    assert!(screen.contains("ng.jsonl changed on disk"), "{screen}");
    assert!(
        screen.contains("Recovered edits: 16 examples · on disk now: 16 examples"),
        "{screen}"
    );
    // Put aside, then ctrl-s: the question again, nothing written.
    tmux.run(&["send-keys", "-t", "t", "Escape"]);
    tmux.wait_for("The recovered edits stay unsaved");
    tmux.run(&["send-keys", "-t", "t", "C-s"]);
    tmux.wait_for("Recovered edits: the file changed");
    assert_eq!(std::fs::read_to_string(h.join("ng.jsonl")).unwrap(), text);
    // Under a new name: both are kept, and the dataset is that file's.
    tmux.run(&["send-keys", "-t", "t", "s"]);
    tmux.wait_for("Save as");
    tmux.run(&["send-keys", "-t", "t", "-l", "ng-recovered.jsonl"]);
    tmux.run(&["send-keys", "-t", "t", "Enter"]);
    tmux.wait_for("Saved 16 examples to ng-recovered.jsonl");
    tmux.wait_for("Dataset: ng-recovered.jsonl");
    assert_eq!(std::fs::read_to_string(h.join("ng.jsonl")).unwrap(), text);
    let saved = std::fs::read_to_string(h.join("ng-recovered.jsonl")).unwrap();
    assert_eq!(saved.lines().count(), 16);
    assert!(
        saved.contains("sixteen") && !saved.contains("outside"),
        "{saved}"
    );
    wait_until_file(&journal, "removed", |p| !p.exists());
    tmux.run(&["send-keys", "-t", "t", "q"]);
    tmux.assert_restored(0);
}

/// Issue 24 item 2: undoing back to the saved point removes the journal, so a restart after a
/// crash opens the file clean.
#[test]
fn undoing_back_to_the_save_leaves_no_journal_to_recover() {
    if !have_tmux() {
        return;
    }
    let tmux = Tmux::start_with("undo-clean", "--dataset ng.jsonl", |home| {
        std::fs::write(home.join("ng.jsonl"), fifteen_pairs()).unwrap();
    });
    let journal = tmux.home().join("state/tunedeck/dataset-journal.jsonl");
    tmux.wait_for("15 examples");
    tmux.run(&["send-keys", "-t", "t", "d"]);
    tmux.wait_for("unsaved");
    wait_until_file(&journal, "written", |p| p.exists());
    tmux.run(&["send-keys", "-t", "t", "u"]);
    wait_until_file(&journal, "removed", |p| !p.exists());
    let screen = tmux.wait_for("15 examples");
    assert!(!screen.contains("unsaved"), "{screen}");
    tmux.kill_and_restart("--dataset ng.jsonl");
    tmux.wait_for("Dataset: ng.jsonl");
    std::thread::sleep(Duration::from_millis(500));
    let screen = tmux.screen();
    assert!(!screen.contains("Recovered"), "{screen}");
    assert!(!screen.contains("unsaved"), "{screen}");
    tmux.run(&["send-keys", "-t", "t", "q"]);
    tmux.assert_restored(0);
}

/// Issue 24 item 5: in the Gemini `T` form, enter walks the fields (a remembered 50 epochs is
/// marked as remembered) and opens a review; only enter there starts the job.
#[test]
fn enter_in_the_tune_form_reviews_before_anything_starts() {
    if !have_tmux() {
        return;
    }
    let tmux = Tmux::start_with("tune-review", "--dataset ng.jsonl", |home| {
        std::fs::write(home.join("ng.jsonl"), fifteen_pairs()).unwrap();
        std::fs::create_dir_all(home.join("state/tunedeck")).unwrap();
        std::fs::write(
            home.join("state/tunedeck/tune-settings.json"),
            r#"{"epochs": "50", "batch_size": "4", "learning_rate": "0.001"}"#,
        )
        .unwrap();
    });
    tmux.wait_for("15 examples");
    tmux.run(&["send-keys", "-t", "t", "T"]);
    let form = tmux.wait_for("‹ models/");
    assert!(
        form.contains("Epochs         50  (remembered from the last job)"),
        "{form}"
    );
    // Eight fields and the source model: enter on each moves on.
    for _ in 0..8 {
        tmux.run(&["send-keys", "-t", "t", "Enter"]);
    }
    std::thread::sleep(Duration::from_millis(300));
    let screen = tmux.screen();
    assert!(screen.contains("Start tuning"), "still the form:\n{screen}");
    assert!(!screen.contains("Jobs ("), "nothing started:\n{screen}");
    tmux.run(&["send-keys", "-t", "t", "Enter"]);
    let review = tmux.wait_for("Start tuning: review");
    assert!(
        review.contains("Epochs         50  (remembered)"),
        "{review}"
    );
    assert!(
        review.contains("Total steps    188 = ceil(15×50/4)"),
        "{review}"
    );
    tmux.run(&["send-keys", "-t", "t", "Enter"]);
    // The job runs (whatever step the screen shows when it is read).
    tmux.wait_for(" of 188 ·");
    tmux.run(&["send-keys", "-t", "t", "q"]);
    tmux.assert_restored(0);
}

/// Issue 24 item 3: a dataset typed in with no file is saved with ctrl-s, which asks for a
/// path; the dataset is then that file's.
#[test]
fn a_dataset_with_no_file_is_saved_where_ctrl_s_is_told() {
    if !have_tmux() {
        return;
    }
    let tmux = Tmux::start_with("save-as", "", |home| {
        std::fs::create_dir(home.join("sets")).unwrap();
    });
    tmux.wait_for("1 Models");
    tmux.run(&["send-keys", "-t", "t", "3"]);
    tmux.wait_for("Dataset: no file");
    tmux.run(&["send-keys", "-t", "t", "a"]);
    tmux.run(&["send-keys", "-t", "t", "-l", "one"]);
    tmux.run(&["send-keys", "-t", "t", "Tab"]);
    tmux.run(&["send-keys", "-t", "t", "-l", "two"]);
    tmux.run(&["send-keys", "-t", "t", "Escape"]);
    tmux.wait_for("unsaved");
    tmux.run(&["send-keys", "-t", "t", "C-s"]);
    tmux.wait_for("Save as");
    tmux.run(&["send-keys", "-t", "t", "-l", "se"]);
    tmux.run(&["send-keys", "-t", "t", "Tab"]);
    tmux.wait_for("Save as (.jsonl, .json, .csv, .vertex.jsonl): sets/");
    tmux.run(&["send-keys", "-t", "t", "-l", "tiny.jsonl"]);
    tmux.run(&["send-keys", "-t", "t", "Enter"]);
    tmux.wait_for("Saved 1 example to sets/tiny.jsonl");
    let screen = tmux.wait_for("Dataset: sets/tiny.jsonl (JSONL)");
    assert!(!screen.contains("unsaved"), "{screen}");
    let saved = std::fs::read_to_string(tmux.home().join("sets/tiny.jsonl")).unwrap();
    assert_eq!(saved, "{\"text_input\":\"one\",\"output\":\"two\"}\n");
    tmux.run(&["send-keys", "-t", "t", "q"]);
    tmux.assert_restored(0);
}

/// Issue 24 item 4: keys pressed while `o` reads a big file never edit (or journal) the
/// dataset being replaced: whatever the timing, a journal written names the new file.
#[test]
fn keys_during_a_load_never_reach_the_old_datasets_journal() {
    if !have_tmux() {
        return;
    }
    let tmux = Tmux::start_with("load-keys", "--dataset ng.jsonl", |home| {
        std::fs::write(home.join("ng.jsonl"), fifteen_pairs()).unwrap();
        let big: String = (0..200_000)
            .map(|i| format!("{{\"text_input\": \"question {i}\", \"output\": \"answer {i}\"}}\n"))
            .collect();
        std::fs::write(home.join("big.jsonl"), big).unwrap();
    });
    let h = tmux.home().to_owned();
    let journal = h.join("state/tunedeck/dataset-journal.jsonl");
    tmux.wait_for("15 examples");
    tmux.run(&["send-keys", "-t", "t", "o"]);
    tmux.wait_for("Open file");
    tmux.run(&["send-keys", "-t", "t", "-l", "big.jsonl"]);
    tmux.run(&["send-keys", "-t", "t", "Enter", "G", "j", "d"]);
    tmux.wait_for("Opened big.jsonl");
    std::thread::sleep(Duration::from_millis(500));
    if let Ok(text) = std::fs::read_to_string(&journal) {
        let header = text.lines().next().unwrap_or("");
        assert!(
            header.contains("\"source\":\"big.jsonl\""),
            "an edit journalled against the old dataset: {header}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(h.join("ng.jsonl")).unwrap(),
        fifteen_pairs()
    );
    tmux.kill_and_restart("--dataset ng.jsonl");
    tmux.wait_for("Dataset: ng.jsonl");
    std::thread::sleep(Duration::from_millis(300));
    let screen = tmux.screen();
    assert!(!screen.contains("Recovered"), "{screen}");
    assert!(screen.contains("15 examples"), "{screen}");
    tmux.run(&["send-keys", "-t", "t", "q"]);
    tmux.assert_restored(0);
}

/// Issue 24 item 6: the export's suggested name is replaced by what is typed, and a missing
/// folder is asked about before it is made.
#[test]
fn the_export_prompt_replaces_its_suggestion_and_asks_about_a_missing_folder() {
    if !have_tmux() {
        return;
    }
    let tmux = Tmux::start_with(
        "export-prompt",
        "--dataset number-generator.jsonl",
        |home| {
            std::fs::write(home.join("number-generator.jsonl"), fifteen_pairs()).unwrap();
        },
    );
    let h = tmux.home().to_owned();
    tmux.wait_for("15 examples");
    tmux.run(&["send-keys", "-t", "t", "x"]);
    tmux.wait_for("typing replaces it");
    tmux.run(&["send-keys", "-t", "t", "-l", "exports/marked.csv"]);
    tmux.wait_for("Export to (.jsonl, .json, .csv, .vertex.jsonl): exports/marked.csv");
    tmux.run(&["send-keys", "-t", "t", "Enter"]);
    tmux.wait_for("there is no folder exports");
    assert!(!h.join("exports").exists(), "no folder made without a yes");
    tmux.run(&["send-keys", "-t", "t", "Enter"]);
    wait_until_file(&h.join("exports/marked.csv"), "written", |p| p.exists());
    let csv = std::fs::read_to_string(h.join("exports/marked.csv")).unwrap();
    assert_eq!(csv.lines().count(), 16, "{csv}");
    assert!(!h.join("number-generator.csv").exists());
    tmux.run(&["send-keys", "-t", "t", "q"]);
    tmux.assert_restored(0);
}
