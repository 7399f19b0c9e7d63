//! The Dataset tab: update() tests for editing, undo, autosave, save and the quit question; a
//! render snapshot; and in tmux, a kill mid-edit followed by a restart that recovers the edit.

mod common;
use common::app::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};
use tunedeck::api::types::TuningExample;
use tunedeck::app::dataset::{DatasetPane, parse_journal};
use tunedeck::app::{App, Msg, Tab};
use tunedeck::dataset::format::Format;
use tunedeck::worker::{Cmd, Event, SaveOutcome, save_file};

fn numbers() -> Vec<TuningExample> {
    (1..=25)
        .map(|i| TuningExample::new(format!("{i}"), format!("{}", i + 1)))
        .collect()
}

fn with_dataset() -> App {
    let mut a = app();
    a.dataset = DatasetPane::new(
        numbers(),
        Some(PathBuf::from("numbers.jsonl")),
        Some(Format::Jsonl),
    );
    a.journal = Some(PathBuf::from("/state/journal.jsonl"));
    a.update(key('3'), Instant::now());
    assert_eq!(a.tab, Tab::Dataset);
    a
}

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

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
    let now = Instant::now();
    a.update(key('j'), now);
    assert!(a.update(code(KeyCode::Enter), now).is_empty());
    a.update(code(KeyCode::End), now);
    for c in " two".chars() {
        a.update(key(c), now);
    }
    a.update(code(KeyCode::Tab), now);
    a.update(key('='), now);
    assert!(!a.dataset.dirty, "nothing is committed while typing");
    let cmds = a.update(code(KeyCode::Esc), now);
    assert_eq!(
        a.dataset.dataset.examples[1],
        TuningExample::new("2 two", "=3")
    );
    assert!(a.dataset.dirty);
    assert_eq!(journalled(&cmds)[1], TuningExample::new("2 two", "=3"));
    let cmds = a.update(key('u'), now);
    assert_eq!(a.dataset.dataset.examples[1], TuningExample::new("2", "3"));
    assert_eq!(journalled(&cmds), numbers(), "undo is journalled too");
    a.update(ctrl('r'), now);
    assert_eq!(a.dataset.dataset.examples[1].text_input, "2 two");
}

#[test]
fn add_duplicate_delete_and_move() {
    let mut a = with_dataset();
    let now = Instant::now();
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
    let now = Instant::now();
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
    let saved = Event::FileSaved {
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
    let now = Instant::now();
    a.update(key('d'), now);
    let cmds = a.update(ctrl('s'), now);
    let [Cmd::SaveFile { id, path, .. }] = cmds.as_slice() else {
        panic!()
    };
    let failed = Event::FileSaved {
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
    let now = Instant::now();
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
    let refused = Event::FileSaved {
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
    let now = Instant::now();
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
    a.update(key('j'), Instant::now());
    a.update(Msg::Resize(110, 30), Instant::now());
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
    let socket = format!("tunedeck-recover-{}", std::process::id());
    let tmux = |args: &[&str]| {
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
            "cd {home} && env -u GEMINI_API_KEY -u GOOGLE_API_KEY HOME={home} XDG_CONFIG_HOME={home}/c XDG_DATA_HOME={home}/d XDG_STATE_HOME={home}/s {bin} --dataset numbers.jsonl; sleep 30",
            home = h.display(),
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
    wait_for("Tuned models");
    tmux(&["send-keys", "-t", "t", "3"]);
    wait_for("numbers.jsonl");
    tmux(&["send-keys", "-t", "t", "Enter", "End"]);
    tmux(&["send-keys", "-t", "t", "-l", " edited before the crash"]);
    tmux(&["send-keys", "-t", "t", "Escape"]);
    wait_for("unsaved");
    // Give the worker a moment to write the journal, then kill without warning.
    let journal = h.join("s/tunedeck/dataset-journal.jsonl");
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
    start();
    let screen = wait_for("Recovered 25 examples");
    assert!(
        screen.contains("1 edited before th"),
        "the edit is back:\n{screen}"
    );
    tmux(&["kill-server"]);
}
