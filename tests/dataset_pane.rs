//! The Dataset tab: update() tests for editing, undo, autosave, save and the quit question; a
//! render snapshot; and in tmux, a kill mid-edit followed by a restart that recovers the edit.

mod common;
use common::app::*;
use crossterm::event::KeyCode;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};
use tunedeck::api::types::TuningExample;
use tunedeck::app::dataset::parse_journal;
use tunedeck::app::{App, Msg, Now, Tab};
use tunedeck::dataset::format::Format;
use tunedeck::domain::tuning::TuningField;
use tunedeck::protocol::{Cmd, SaveOutcome, WorkerEvent};
use tunedeck::worker::save_file;

/// The journal write among the commands, decoded.
fn journalled(cmds: &[Cmd]) -> Vec<TuningExample> {
    let contents = cmds
        .iter()
        .find_map(|c| match c {
            Cmd::WriteFile { path, contents, .. } if path.ends_with("journal.jsonl") => {
                Some(contents.clone())
            }
            _ => None,
        })
        .expect("a journal write");
    let (header, examples) = parse_journal(&String::from_utf8(contents).unwrap()).unwrap();
    assert_eq!(header.source, Some(PathBuf::from("numbers.jsonl")));
    examples
}

#[test]
fn editing_an_example_is_one_undoable_journalled_change() {
    let mut a = with_dataset();
    let now = clock();
    a.update(key('j'), now);
    assert!(a.update(code(KeyCode::Enter), now).is_empty());
    a.update(code(KeyCode::End), now);
    for c in " two".chars() {
        a.update(key(c), now);
    }
    a.update(code(KeyCode::Tab), now);
    // The editor opens with the cursor at the end of each field.
    a.update(key('='), now);
    assert!(!a.dataset.dirty, "nothing is committed while typing");
    let cmds = a.update(code(KeyCode::Esc), now);
    assert_eq!(
        a.dataset.dataset.examples[1],
        TuningExample::new("2 two", "3=")
    );
    assert!(a.dataset.dirty);
    assert_eq!(journalled(&cmds)[1], TuningExample::new("2 two", "3="));
    let cmds = a.update(key('u'), now);
    assert_eq!(a.dataset.dataset.examples[1], TuningExample::new("2", "3"));
    // Back at the saved point: the journal goes, so a restart opens the file clean.
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Cmd::RemoveFile { path } if path.ends_with("journal.jsonl"))),
        "{cmds:?}"
    );
    assert!(
        !a.dataset.dirty,
        "undone back to the file's content: it reads as saved"
    );
    a.update(ctrl('r'), now);
    assert_eq!(a.dataset.dataset.examples[1].text_input, "2 two");
    assert!(a.dataset.dirty);
}

#[test]
fn the_example_editor_undoes_typing_discards_and_deletes_to_the_line_start() {
    let mut a = with_dataset();
    let now = clock();
    a.update(code(KeyCode::Enter), now);
    for c in "23".chars() {
        a.update(key(c), now);
    }
    a.update(ctrl('z'), now);
    assert_eq!(
        a.dataset.editor.as_ref().unwrap().example().text_input,
        "12"
    );
    a.update(ctrl('u'), now);
    assert_eq!(a.dataset.editor.as_ref().unwrap().example().text_input, "");
    // ctrl-g closes without keeping anything typed.
    a.update(ctrl('g'), now);
    assert!(a.dataset.editor.is_none());
    assert_eq!(a.dataset.dataset.examples[0], TuningExample::new("1", "2"));
    assert!(!a.dataset.dirty);
    // A new search starts empty; enter on nothing repeats the last one.
    a.update(key('/'), now);
    assert_eq!(a.dataset.prompt.as_ref().unwrap().input, "");
    for c in "1".chars() {
        a.update(key(c), now);
    }
    a.update(code(KeyCode::Enter), now);
    a.update(key('/'), now);
    assert_eq!(
        a.dataset.prompt.as_ref().unwrap().input,
        "",
        "not the old query"
    );
    a.update(code(KeyCode::Enter), now);
    assert_eq!(a.dataset.last_search, "1");
}

#[test]
fn add_duplicate_delete_and_move() {
    let mut a = with_dataset();
    let now = clock();
    a.update(key('c'), now);
    assert_eq!((a.dataset.len(), a.dataset.selected), (26, 1));
    assert_eq!(a.dataset.dataset.examples[1], a.dataset.dataset.examples[0]);
    a.update(key('d'), now);
    assert_eq!(a.dataset.len(), 25);
    assert!(a.toasts.last().unwrap().text.contains("u undoes"));
    a.update(key('J'), now);
    assert_eq!(
        (
            a.dataset.selected,
            a.dataset.dataset.examples[2].text_input.as_str()
        ),
        (2, "2")
    );
    a.update(key('K'), now);
    assert_eq!(a.dataset.dataset.examples[1].text_input, "2");
    a.update(key('a'), now);
    assert!(a.dataset.editor.is_some(), "a new example opens for typing");
    for c in "new".chars() {
        a.update(key(c), now);
    }
    a.update(code(KeyCode::Esc), now);
    assert_eq!(a.dataset.dataset.examples[2].text_input, "new");
    assert!(
        a.dataset
            .issues
            .iter()
            .any(|i| i.index == Some(2) && i.message.contains("output is empty")),
        "live lint"
    );
    // Undo walks back through all of it.
    while a.dataset.dataset.can_undo() {
        a.update(key('u'), now);
    }
    assert_eq!(a.dataset.dataset.examples, numbers());
}

#[test]
fn saving_writes_the_file_then_drops_the_journal() {
    let mut a = with_dataset();
    let now = clock();
    a.update(key('d'), now);
    let cmds = a.update(ctrl('s'), now);
    let [
        Cmd::SaveFile {
            id, path, contents, ..
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(path, &PathBuf::from("numbers.jsonl"));
    assert_eq!(
        String::from_utf8(contents.clone()).unwrap().lines().count(),
        24
    );
    let saved = WorkerEvent::FileSaved {
        id: *id,
        path: path.clone(),
        outcome: SaveOutcome::Saved(None),
    };
    let cmds = a.update(Msg::Worker(saved), now);
    assert!(!a.dataset.dirty);
    assert!(
        matches!(cmds.as_slice(), [Cmd::RemoveFile { path }] if path.ends_with("journal.jsonl"))
    );
}

#[test]
fn a_failed_save_keeps_the_changes_unsaved_and_says_why() {
    let mut a = with_dataset();
    let now = clock();
    a.update(key('d'), now);
    let cmds = a.update(ctrl('s'), now);
    let [Cmd::SaveFile { id, path, .. }] = cmds.as_slice() else {
        panic!()
    };
    let failed = WorkerEvent::FileSaved {
        id: *id,
        path: path.clone(),
        outcome: SaveOutcome::Failed("Permission denied".into()),
    };
    a.update(Msg::Worker(failed), now);
    assert!(a.dataset.dirty);
    assert!(a.toasts.last().unwrap().text.contains("Permission denied"));
}

#[test]
fn a_file_changed_on_disk_is_not_overwritten_without_a_second_save() {
    let mut a = with_dataset();
    let now = clock();
    let opened = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
    a.dataset.disk_modified = Some(opened);
    a.update(key('d'), now);
    let cmds = a.update(ctrl('s'), now);
    let [
        Cmd::SaveFile {
            id,
            path,
            unless_modified_since,
            ..
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(
        *unless_modified_since,
        Some(opened),
        "the first save guards against changes"
    );
    let refused = WorkerEvent::FileSaved {
        id: *id,
        path: path.clone(),
        outcome: SaveOutcome::ChangedOnDisk,
    };
    a.update(Msg::Worker(refused), now);
    assert!(a.dataset.dirty);
    assert!(a.toasts.last().unwrap().text.contains("changed on disk"));
    let cmds = a.update(ctrl('s'), now);
    assert!(
        matches!(
            cmds.as_slice(),
            [Cmd::SaveFile {
                unless_modified_since: None,
                ..
            }]
        ),
        "the second save overwrites"
    );
}

#[test]
fn save_file_refuses_a_file_changed_since_it_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.jsonl");
    std::fs::write(&path, "old\n").unwrap();
    let read_at = std::fs::metadata(&path).unwrap().modified().unwrap();
    let SaveOutcome::Saved(Some(saved_at)) = save_file(&path, b"mine\n", Some(read_at)) else {
        panic!()
    };
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine\n");
    // Someone else writes the file afterwards.
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(&path, "theirs\n").unwrap();
    assert_eq!(
        save_file(&path, b"mine again\n", Some(saved_at)),
        SaveOutcome::ChangedOnDisk
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "theirs\n",
        "their change is kept"
    );
    assert!(matches!(
        save_file(&path, b"mine again\n", None),
        SaveOutcome::Saved(_)
    ));
}

#[test]
fn quitting_with_unsaved_changes_asks() {
    let mut a = with_dataset();
    let now = clock();
    a.update(key('q'), now);
    assert!(a.quit, "nothing unsaved: q quits");
    let mut a = with_dataset();
    a.update(key('d'), now);
    a.update(key('q'), now);
    assert!(!a.quit && a.dataset.confirm_quit);
    a.update(key('n'), now);
    assert!(!a.quit && !a.dataset.confirm_quit);
    a.update(key('q'), now);
    a.update(key('y'), now);
    assert!(a.quit);
}

#[test]
fn renders() {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let mut a = with_dataset();
    a.dataset.dataset.examples[3].output = " 5 ".into();
    a.dataset.relint();
    a.update(key('j'), clock());
    a.update(Msg::Resize(110, 30), clock());
    let theme = tunedeck::tui::theme::Theme::new(&tunedeck::config::ThemeConfig::default(), true);
    let mut t = Terminal::new(TestBackend::new(110, 30)).unwrap();
    t.draw(|f| tunedeck::tui::ui::draw(f, &a, &theme)).unwrap();
    let b = t.backend().buffer().clone();
    let text: String = (2..30)
        .map(|y| {
            (0..110)
                .map(|x| b[(x, y)].symbol().to_owned())
                .collect::<String>()
                .trim_end()
                .to_owned()
                + "\n"
        })
        .collect();
    insta::assert_snapshot!(text);
}

#[test]
fn a_killed_session_comes_back_with_its_edits() {
    let has_tmux = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_tmux {
        assert!(
            std::env::var_os("TUNEDECK_REQUIRE_TMUX_TEST").is_none(),
            "tmux is required"
        );
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::fs::write(
        h.join("numbers.jsonl"),
        tunedeck::dataset::format::write(&numbers(), Format::Jsonl),
    )
    .unwrap();
    // The restart gets a server of its own: a new session on a server that is still exiting
    // can fail.
    let generation = std::cell::Cell::new(0);
    let tmux = |args: &[&str]| {
        let socket = format!(
            "tunedeck-recover-{}-{}",
            std::process::id(),
            generation.get()
        );
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&socket)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let start = || {
        let script = format!(
            "cd {home} && {env} {bin} --dataset numbers.jsonl; sleep 30",
            home = h.display(),
            env = common::clean_env_prefix(h),
            bin = env!("CARGO_BIN_EXE_tunedeck"),
        );
        tmux(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            "110",
            "-y",
            "30",
            &script,
        ]);
    };
    let wait_for = |text: &str| {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = tmux(&["capture-pane", "-t", "t", "-p"]);
            if screen.contains(text) {
                return screen;
            }
            assert!(Instant::now() < deadline, "never saw {text:?}:\n{screen}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    start();
    // --dataset opens on the Dataset tab.
    wait_for("numbers.jsonl");
    tmux(&["send-keys", "-t", "t", "Enter", "End"]);
    tmux(&["send-keys", "-t", "t", "-l", " edited before the crash"]);
    tmux(&["send-keys", "-t", "t", "Escape"]);
    wait_for("unsaved");
    // Give the worker a moment to write the journal, then kill without warning.
    let journal = h.join("state/tunedeck/dataset-journal.jsonl");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !journal.exists() {
        assert!(Instant::now() < deadline, "no journal written");
        std::thread::sleep(Duration::from_millis(50));
    }
    let shell = tmux(&["display-message", "-p", "-t", "t", "#{pane_pid}"]);
    let pid = String::from_utf8_lossy(
        &Command::new("pgrep")
            .args(["-P", shell.trim()])
            .output()
            .unwrap()
            .stdout,
    )
    .lines()
    .next()
    .unwrap_or("")
    .to_owned();
    Command::new("kill").args(["-KILL", &pid]).status().unwrap();
    tmux(&["kill-server"]);
    generation.set(1);
    start();
    let screen = wait_for("Recovered 25 examples");
    assert!(
        screen.contains("1 edited before th"),
        "the edit is back:\n{screen}"
    );
    tmux(&["kill-server"]);
}

#[test]
fn the_tune_form_validates_and_sends_the_exact_request() {
    use tunedeck::protocol::{ApiCall, Reply};
    let mut a = with_dataset();
    let now = clock();
    let cmds = a.update(key('T'), now);
    let [
        Cmd::Call {
            id,
            call: ApiCall::ListModels,
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    let form = a.dataset.tune.as_ref().expect("the form");
    assert_eq!(
        form.values.get(TuningField::DisplayName),
        "numbers",
        "the display name defaults to the file's name"
    );
    let models = vec![
        tunedeck::api::types::Model {
            name: "models/plain".into(),
            ..Default::default()
        },
        tunedeck::api::types::Model {
            name: "models/gemini-1.0-pro-001".into(),
            supported_generation_methods: vec!["createTunedModel".into()],
            ..Default::default()
        },
    ];
    a.update(
        Msg::Worker(WorkerEvent::Reply {
            id: *id,
            reply: Reply::Models(models),
        }),
        now,
    );
    assert_eq!(
        a.dataset.tune.as_ref().unwrap().bases,
        Some(vec!["models/gemini-1.0-pro-001".to_owned()]),
        "only tunable models"
    );
    // A bad id is refused with the pattern.
    a.update(code(KeyCode::Tab), now);
    for c in "Bad Id".chars() {
        a.update(key(c), now);
    }
    assert!(a.update(ctrl('s'), now).is_empty());
    assert!(
        a.dataset
            .tune
            .as_ref()
            .unwrap()
            .error
            .as_deref()
            .unwrap()
            .contains("Model id")
    );
    for _ in 0..6 {
        a.update(code(KeyCode::Backspace), now);
    }
    for c in "my-numbers".chars() {
        a.update(key(c), now);
    }
    // Epochs 3, batch 5: 25 examples → ceil(75/5) = 15 steps.
    a.update(code(KeyCode::Tab), now);
    a.update(code(KeyCode::Tab), now);
    a.update(code(KeyCode::Backspace), now);
    a.update(key('3'), now);
    a.update(code(KeyCode::Tab), now);
    a.update(code(KeyCode::Backspace), now);
    a.update(key('5'), now);
    assert_eq!(a.dataset.tune.as_ref().unwrap().total_steps(25), Some(15));
    // Enter walks the fields (to the learning rate, multiplier, held out, source), then
    // opens the review; nothing is sent on the way.
    for _ in 0..4 {
        assert!(a.update(code(KeyCode::Enter), now).is_empty());
        assert!(a.dataset.tune.as_ref().unwrap().review.is_none());
    }
    assert!(a.update(code(KeyCode::Enter), now).is_empty());
    let review = a
        .dataset
        .tune
        .as_ref()
        .unwrap()
        .review
        .clone()
        .expect("the review");
    assert!(
        review.contains(&("Total steps".to_owned(), "15 = ceil(25×3/5)".to_owned())),
        "{review:?}"
    );
    let cmds = a.update(code(KeyCode::Enter), now);
    let [
        Cmd::Call {
            id,
            call:
                ApiCall::CreateTunedModel {
                    model,
                    id: model_id,
                },
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(model_id.as_deref(), Some("my-numbers"));
    assert_eq!(
        model.base_model.as_deref(),
        Some("models/gemini-1.0-pro-001")
    );
    let task = model.tuning_task.as_ref().unwrap();
    assert_eq!(
        task.training_data.as_ref().unwrap().examples(),
        numbers().as_slice()
    );
    let hp = task.hyperparameters.as_ref().unwrap();
    assert_eq!(
        (hp.epoch_count, hp.batch_size, hp.learning_rate),
        (Some(3), Some(5), Some(0.001))
    );
    // A refusal stays in the form with the reason.
    let error = tunedeck::api::ApiError::from_response(409, br#"{"error": {"code": 409, "message": "Tuned model tunedModels/my-numbers already exists.", "status": "ALREADY_EXISTS"}}"#, None);
    a.update(Msg::Worker(WorkerEvent::Failed { id: *id, error }), now);
    assert!(
        a.dataset
            .tune
            .as_ref()
            .unwrap()
            .error
            .as_deref()
            .unwrap()
            .contains("already exists")
    );
}

#[test]
fn lint_errors_block_tuning() {
    let mut a = with_dataset();
    a.dataset.dataset.examples[0].output.clear();
    a.dataset.relint();
    assert!(a.update(key('T'), clock()).is_empty());
    assert!(a.dataset.tune.is_none());
    assert!(a.toasts.last().unwrap().text.contains("block tuning"));
}

#[tokio::test]
async fn tuning_from_the_dataset_tab_opens_the_job_in_the_monitor() {
    use tunedeck::app::models::Load;
    use tunedeck::worker::{self, WorkerOptions};
    let emu = common::start(common::fast_options()).await;
    let client = common::client_for(&emu);
    let (commands, mut events, _w) = worker::spawn(client.clone(), WorkerOptions::default());
    let mut a = with_dataset();
    a.journal = None;
    let send = |a: &mut App, msg: Msg| {
        for c in a.update(msg, clock()) {
            commands.send(c).unwrap();
        }
    };
    for c in a.start() {
        commands.send(c).unwrap();
    }
    send(&mut a, key('T'));
    let deadline = Instant::now() + Duration::from_secs(20);
    while a.dataset.tune.as_ref().is_some_and(|f| f.bases.is_none())
        || a.models.load != Load::Loaded
    {
        assert!(Instant::now() < deadline);
        if let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(200), events.recv()).await {
            send(&mut a, Msg::Worker(e));
        }
    }
    send(&mut a, ctrl('s'));
    while a.tab != Tab::Monitor {
        assert!(Instant::now() < deadline, "never reached the Monitor");
        if let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(200), events.recv()).await {
            send(&mut a, Msg::Worker(e));
        }
    }
    let job = a.monitor.selected_job().expect("the new job is selected");
    assert!(
        job.model.starts_with("tunedModels/numbers-"),
        "{}",
        job.model
    );
    assert_eq!(job.total_steps, 32, "ceil(25*5/4)");
    let server = client.get_tuned_model(&job.model).await.unwrap();
    assert_eq!(server.display_name, "numbers");
}

fn type_text(a: &mut App, text: &str, now: Now) {
    for c in text.chars() {
        a.update(key(c), now);
    }
}

#[test]
fn marked_examples_are_deleted_together_and_come_back_with_one_undo() {
    let mut a = with_dataset();
    let now = clock();
    a.update(code(KeyCode::Char(' ')), now);
    a.update(key('j'), now);
    a.update(code(KeyCode::Char(' ')), now);
    // Marking moves down, so these are examples 1 and 3.
    assert_eq!(a.dataset.marked.iter().copied().collect::<Vec<_>>(), [0, 2]);
    let cmds = a.update(key('d'), now);
    assert_eq!(a.dataset.len(), 23);
    assert_eq!(a.dataset.dataset.examples[0].text_input, "2");
    assert_eq!(a.dataset.dataset.examples[1].text_input, "4");
    assert!(a.dataset.marked.is_empty(), "marks go with the change");
    assert_eq!(journalled(&cmds).len(), 23);
    assert!(a.toasts.iter().any(|t| t.text.contains("Deleted 2 marked")));
    a.update(key('u'), now);
    assert_eq!(
        a.dataset.dataset.examples,
        numbers(),
        "one undo restores both"
    );
    a.update(ctrl('r'), now);
    assert_eq!(a.dataset.len(), 23);
}

#[test]
fn search_finds_the_next_match_and_n_and_shift_n_move_between_them() {
    let mut a = with_dataset();
    let now = clock();
    a.update(key('/'), now);
    type_text(&mut a, "2", now);
    a.update(code(KeyCode::Enter), now);
    // "1" → "2" at index 0 is behind the cursor; the next match after it is index 1 ("2").
    assert_eq!(a.dataset.selected, 1);
    a.update(key('n'), now);
    assert_eq!(a.dataset.selected, 10, "11 → 12 has a 2 in its output");
    a.update(key('N'), now);
    assert_eq!(a.dataset.selected, 1);
    a.update(key('/'), now);
    for _ in 0..3 {
        a.update(code(KeyCode::Backspace), now);
    }
    type_text(&mut a, "zebra", now);
    a.update(code(KeyCode::Enter), now);
    assert_eq!(a.dataset.selected, 1, "no match: the cursor stays");
    assert!(
        a.toasts
            .iter()
            .any(|t| t.text.contains("No example contains"))
    );
}

#[test]
fn opening_a_file_reads_it_in_the_worker_and_a_csv_with_other_columns_asks_which() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("pairs.csv");
    std::fs::write(&csv, "question,answer,notes\nseven,eight,x\n\"a, b\",c,y\n").unwrap();
    let mut a = app();
    a.tab = Tab::Dataset;
    let now = clock();
    a.update(key('o'), now);
    // Tab completes the path from the folder's listing.
    type_text(&mut a, &format!("{}/pa", dir.path().display()), now);
    a.update(code(KeyCode::Tab), now);
    assert_eq!(
        a.dataset.prompt.as_ref().unwrap().input,
        csv.display().to_string()
    );
    let cmds = a.update(code(KeyCode::Enter), now);
    let (id, path) = match cmds.as_slice() {
        [
            Cmd::ReadDataset {
                id,
                path,
                mapping: None,
            },
        ] => (*id, path.clone()),
        other => panic!("expected a read, got {other:?}"),
    };
    let result = tunedeck::worker::read_dataset(&path, None);
    a.update(
        Msg::Worker(WorkerEvent::DatasetRead { id, path, result }),
        now,
    );
    assert!(a.dataset.is_empty(), "nothing is loaded from it yet");
    let prompt = a.dataset.prompt.as_ref().expect("the columns question");
    assert!(
        prompt
            .error
            .as_ref()
            .unwrap()
            .contains("question, answer, notes")
    );
    type_text(&mut a, "question,nope", now);
    a.update(code(KeyCode::Enter), now);
    assert!(
        a.dataset
            .prompt
            .as_ref()
            .unwrap()
            .error
            .as_ref()
            .unwrap()
            .contains("no column \"nope\"")
    );
    for _ in 0.."nope".len() {
        a.update(code(KeyCode::Backspace), now);
    }
    type_text(&mut a, "answer", now);
    let cmds = a.update(code(KeyCode::Enter), now);
    let (id, path, mapping) = match cmds.as_slice() {
        [
            Cmd::ReadDataset {
                id,
                path,
                mapping: Some(m),
            },
        ] => (*id, path.clone(), m.clone()),
        other => panic!("expected a read with a mapping, got {other:?}"),
    };
    let result = tunedeck::worker::read_dataset(&path, Some(&mapping));
    a.update(
        Msg::Worker(WorkerEvent::DatasetRead { id, path, result }),
        now,
    );
    assert_eq!(
        a.dataset.dataset.examples,
        [
            TuningExample::new("seven", "eight"),
            TuningExample::new("a, b", "c")
        ]
    );
    assert_eq!(a.dataset.path.as_deref(), Some(csv.as_path()));
    assert!(!a.dataset.dirty);
}

#[test]
fn a_broken_file_opened_from_the_prompt_loads_nothing_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"text_input\":\"1\",\"output\":\"2\"}\n{\"text_input\":\n",
    )
    .unwrap();
    let mut a = with_dataset();
    let now = clock();
    a.update(key('o'), now);
    type_text(&mut a, &bad.display().to_string(), now);
    let cmds = a.update(code(KeyCode::Enter), now);
    let Cmd::ReadDataset { id, path, .. } = &cmds[0] else {
        panic!("{cmds:?}")
    };
    let result = tunedeck::worker::read_dataset(path, None);
    a.update(
        Msg::Worker(WorkerEvent::DatasetRead {
            id: *id,
            path: path.clone(),
            result,
        }),
        now,
    );
    assert_eq!(
        a.dataset.dataset.examples,
        numbers(),
        "the open dataset stays"
    );
    let toast = &a.toasts.last().unwrap().text;
    assert!(
        toast.contains("Nothing loaded") && toast.contains("bad.jsonl:2"),
        "{toast}"
    );
}

#[test]
fn opening_another_file_with_unsaved_changes_is_refused() {
    let mut a = with_dataset();
    let now = clock();
    a.update(key('d'), now);
    let left = a.dataset.dataset.examples.len();
    a.update(key('o'), now);
    // The prompt opens and says why it cannot open a file yet; a path typed into it is text,
    // not commands (a path starting with `d` used to delete an example).
    let prompt = a.dataset.prompt.as_ref().unwrap();
    assert!(prompt.error.as_deref().unwrap().contains("unsaved changes"));
    for c in "data.jsonl".chars() {
        a.update(key(c), now);
    }
    assert_eq!(a.dataset.dataset.examples.len(), left, "nothing deleted");
    let cmds = a.update(code(KeyCode::Enter), now);
    assert!(cmds.is_empty(), "still refused: {cmds:?}");
    assert!(a.dataset.prompt.as_ref().unwrap().error.is_some());
}

#[test]
fn export_writes_the_marked_examples_or_all_in_the_format_of_the_extension() {
    let mut a = with_dataset();
    let now = clock();
    a.update(key('x'), now);
    assert_eq!(a.dataset.prompt.as_ref().unwrap().input, "numbers.csv");
    let cmds = a.update(code(KeyCode::Enter), now);
    let [Cmd::WriteFile { path, contents, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(path, &PathBuf::from("numbers.csv"));
    let text = String::from_utf8(contents.clone()).unwrap();
    assert!(text.starts_with("text_input,output\n1,2\n"), "{text}");
    assert_eq!(text.lines().count(), 26);
    // With marks, only the marked ones; a name without a known extension is refused.
    a.update(code(KeyCode::Char(' ')), now);
    a.update(code(KeyCode::Char(' ')), now);
    a.update(key('x'), now);
    let prompt = a.dataset.prompt.as_mut().unwrap();
    prompt.input = "two.txt".into();
    assert!(a.update(code(KeyCode::Enter), now).is_empty());
    assert!(
        a.dataset
            .prompt
            .as_ref()
            .unwrap()
            .error
            .as_ref()
            .unwrap()
            .contains(".jsonl, .json, .csv or .vertex.jsonl")
    );
    a.dataset.prompt.as_mut().unwrap().input = "two.jsonl".into();
    let cmds = a.update(code(KeyCode::Enter), now);
    let [Cmd::WriteFile { contents, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    let text = String::from_utf8(contents.clone()).unwrap();
    assert_eq!(
        text,
        "{\"text_input\":\"1\",\"output\":\"2\"}\n{\"text_input\":\"2\",\"output\":\"3\"}\n"
    );
    assert!(!a.dataset.dirty, "exporting changes nothing");
}

#[test]
fn a_field_edited_in_the_external_editor_replaces_the_field() {
    let mut a = with_dataset();
    let now = clock();
    a.update(code(KeyCode::Enter), now);
    let cmds = a.update(ctrl('o'), now);
    assert!(
        matches!(cmds.as_slice(), [Cmd::EditExternally(text)] if text == "1"),
        "the loop gets the field's text: {cmds:?}"
    );
    a.update(Msg::Edited(Ok("one\nuno".into())), now);
    a.update(code(KeyCode::Esc), now);
    assert_eq!(
        a.dataset.dataset.examples[0],
        TuningExample::new("one\nuno", "2")
    );
    // A failed editor leaves the field as it was and says why.
    a.update(code(KeyCode::Enter), now);
    a.update(
        Msg::Edited(Err(
            "vi exited with exit status: 1; the field is unchanged".into()
        )),
        now,
    );
    a.update(code(KeyCode::Esc), now);
    assert_eq!(a.dataset.dataset.examples[0].text_input, "one\nuno");
    assert!(a.toasts.last().unwrap().text.contains("unchanged"));
}

#[test]
fn the_external_editor_round_trip_runs_the_editor_and_drops_its_final_newline() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("fake-editor.sh");
    std::fs::write(&script, "#!/bin/sh\nprintf 'edited\\n' > \"$1\"\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let editor = script.display().to_string();
    let edited = tunedeck::tui::terminal::edit_in_editor(&editor, "before").unwrap();
    assert_eq!(edited, "edited");
    std::fs::write(&script, "#!/bin/sh\nexit 3\n").unwrap();
    let err = tunedeck::tui::terminal::edit_in_editor(&editor, "before").unwrap_err();
    assert!(err.contains("exit status: 3"), "{err}");
}

#[test]
fn the_tune_form_sends_a_multiplier_holds_examples_out_tunes_a_tuned_model_and_remembers() {
    use tunedeck::api::types::TunedModelState;
    use tunedeck::app::dataset::TuneSettings;
    use tunedeck::protocol::{ApiCall, Reply};
    let mut a = with_dataset();
    a.tune_settings_file = Some(PathBuf::from("/state/tune-settings.json"));
    a.models.models = vec![
        model("ready", "Ready", TunedModelState::Active, 1),
        model("busy", "Busy", TunedModelState::Creating, 2),
    ];
    let now = clock();
    let cmds = a.update(key('T'), now);
    let [Cmd::Call { id, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    let base = tunedeck::api::types::Model {
        name: "models/gemini-1.5-flash-001-tuning".into(),
        supported_generation_methods: vec!["createTunedModel".into()],
        ..Default::default()
    };
    a.update(
        Msg::Worker(WorkerEvent::Reply {
            id: *id,
            reply: Reply::Models(vec![base]),
        }),
        now,
    );
    assert_eq!(
        a.dataset.tune.as_ref().unwrap().bases.as_deref().unwrap(),
        ["models/gemini-1.5-flash-001-tuning", "tunedModels/ready"],
        "only ACTIVE tuned models can be tuned further"
    );
    // Multiplier 2 (field 6), 20% held out (field 7), source: the tuned model.
    for _ in 0..6 {
        a.update(code(KeyCode::Tab), now);
    }
    a.update(key('2'), now);
    a.update(code(KeyCode::Tab), now);
    a.update(code(KeyCode::Backspace), now);
    a.update(key('2'), now);
    a.update(key('0'), now);
    a.update(code(KeyCode::Tab), now);
    a.update(code(KeyCode::Right), now);
    let form = a.dataset.tune.as_ref().unwrap();
    // 25 examples, 5 held out: ceil(20 × 5 / 4) = 25 steps.
    assert_eq!(form.held_out_count(25), Ok(5));
    assert_eq!(form.total_steps(25), Some(25));
    let cmds = a.update(ctrl('s'), now);
    let [
        Cmd::Call {
            id,
            call: ApiCall::CreateTunedModel { model, .. },
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(model.base_model, None);
    assert_eq!(
        model
            .tuned_model_source
            .as_ref()
            .unwrap()
            .tuned_model
            .as_deref(),
        Some("tunedModels/ready")
    );
    let task = model.tuning_task.as_ref().unwrap();
    let hp = task.hyperparameters.as_ref().unwrap();
    assert_eq!(
        (hp.learning_rate, hp.learning_rate_multiplier),
        (None, Some(2.0))
    );
    let training = task.training_data.as_ref().unwrap().examples().to_vec();
    assert_eq!(training.len(), 20);
    let held = a.dataset.tune.as_ref().unwrap().held_out.clone();
    assert_eq!(held.len(), 5);
    let mut all: Vec<_> = training.iter().chain(&held).cloned().collect();
    all.sort_by_key(|e| e.text_input.parse::<u32>().unwrap());
    assert_eq!(all, numbers(), "training and held out split the set");
    // Started: the held-out examples and the settings are written.
    let operation: tunedeck::api::types::Operation = serde_json::from_value(serde_json::json!({
        "name": "tunedModels/new-1/operations/op1",
        "metadata": {"@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.CreateTunedModelMetadata",
                     "tunedModel": "tunedModels/new-1", "totalSteps": 25}
    }))
    .unwrap();
    let cmds = a.update(
        Msg::Worker(WorkerEvent::Reply {
            id: *id,
            reply: Reply::Operation(Box::new(operation)),
        }),
        now,
    );
    let written: Vec<(&PathBuf, String)> = cmds
        .iter()
        .filter_map(|c| match c {
            Cmd::WriteFile { path, contents, .. } => {
                Some((path, String::from_utf8(contents.clone()).unwrap()))
            }
            _ => None,
        })
        .collect();
    let heldout = written
        .iter()
        .find(|(p, _)| p.ends_with("numbers.heldout.jsonl"))
        .expect("held-out file beside the dataset");
    assert_eq!(heldout.1.lines().count(), 5);
    let settings = written
        .iter()
        .find(|(p, _)| p.ends_with("tune-settings.json"))
        .expect("settings remembered");
    let saved: TuneSettings = serde_json::from_str(&settings.1).unwrap();
    assert_eq!(
        (
            saved.multiplier.as_str(),
            saved.held_out.as_str(),
            saved.source.as_deref()
        ),
        ("2", "20", Some("tunedModels/ready"))
    );
    // Next time the form starts from them.
    a.tab = Tab::Dataset;
    a.update(key('T'), now);
    let form = a.dataset.tune.as_ref().unwrap();
    assert_eq!(
        (
            form.values.get(TuningField::Multiplier),
            form.values.get(TuningField::HeldOut)
        ),
        ("2", "20")
    );
}

#[test]
fn held_out_share_is_checked() {
    let mut form = tunedeck::app::dataset::TuneForm::default();
    form.values.set(TuningField::HeldOut, "100");
    assert!(
        form.held_out_count(10)
            .unwrap_err()
            .contains("outside 0 to 99")
    );
    form.values.set(TuningField::HeldOut, "99");
    assert!(form.held_out_count(10).unwrap_err().contains("leaves none"));
    form.values.set(TuningField::HeldOut, "1");
    assert_eq!(
        form.held_out_count(10),
        Ok(1),
        "a share above 0 holds out at least one"
    );
    form.values.set(TuningField::HeldOut, "x");
    assert!(
        form.held_out_count(10)
            .unwrap_err()
            .contains("not a number")
    );
}
