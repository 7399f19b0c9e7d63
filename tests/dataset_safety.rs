//! The Dataset tab never loses work and never acts on a stray key (issue 24): update() tests
//! for recovery against a file changed outside, save-as, keys during a load, the export
//! prompt, `o` on a folder path, Vertex lines written back byte for byte, `i`/`I` on the
//! Gemini API, and `$EDITOR` edits undone as one step (the T forms' review: tune_review.rs).

mod common;
use common::app::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::PathBuf;
use tunedeck::api::types::TuningExample;
use tunedeck::app::dataset::DatasetPane;
use tunedeck::app::{App, Msg, Tab};
use tunedeck::dataset::format::Format;
use tunedeck::protocol::{Cmd, WorkerEvent};

fn type_text(a: &mut App, text: &str) {
    for c in text.chars() {
        a.update(key(c), clock());
    }
}

fn journal_writes(cmds: &[Cmd]) -> usize {
    cmds.iter()
        .filter(|c| matches!(c, Cmd::WriteFile { path, .. } if path.ends_with("journal.jsonl")))
        .count()
}

/// A journal made from `base`, with one example added.
fn journal_for(
    path: &std::path::Path,
    base: Option<FileBase>,
) -> (JournalHeader, Vec<TuningExample>) {
    let mut examples = numbers();
    examples.push(TuningExample::new("sixteen", "17"));
    let text =
        tunedeck::app::dataset::journal_text(Some(&path.to_path_buf()), base.as_ref(), &examples);
    tunedeck::app::dataset::parse_journal(&text).unwrap()
}

use tunedeck::app::dataset::JournalHeader;
use tunedeck::dataset::base::FileBase;

#[test]
fn a_recovery_over_an_unchanged_file_is_plain_and_over_a_changed_one_asks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ng.jsonl");
    let original = tunedeck::dataset::format::write(&numbers(), Format::Jsonl);
    std::fs::write(&path, &original).unwrap();
    let base = FileBase::read(&path);
    // Unchanged (even touched): the edits come back as unsaved changes, nothing asked.
    let (header, examples) = journal_for(&path, base.clone());
    let (pane, said) = tunedeck::app::dataset::recover(
        header,
        examples,
        Some(tunedeck::app::dataset::on_disk(&path)),
    );
    assert!(pane.conflict.is_none(), "{said}");
    assert!(
        said.starts_with("Recovered 26 examples with unsaved edits"),
        "{said}"
    );
    // Changed outside: the same edits, behind a question with both counts.
    std::fs::write(
        &path,
        original.clone() + "{\"text_input\":\"x\",\"output\":\"y\"}\n",
    )
    .unwrap();
    let (header, examples) = journal_for(&path, base.clone());
    let (pane, said) = tunedeck::app::dataset::recover(
        header,
        examples,
        Some(tunedeck::app::dataset::on_disk(&path)),
    );
    assert!(said.contains("but it changed on disk since"), "{said}");
    let conflict = pane.conflict.clone().expect("a question");
    assert_eq!(
        conflict.lines()[1],
        "Recovered edits: 26 examples · on disk now: 26 examples"
    );
    assert!(pane.dirty);
    // Removed outside.
    let gone = dir.path().join("gone.jsonl");
    let (header, examples) = journal_for(&gone, base.clone());
    let (pane, _) = tunedeck::app::dataset::recover(
        header,
        examples,
        Some(tunedeck::app::dataset::on_disk(&gone)),
    );
    assert!(pane.conflict.unwrap().lines()[0].contains("was removed"));
    // A journal from before bases were recorded (no base) over an existing file: asked too.
    let (header, examples) = journal_for(&path, None);
    let (pane, _) = tunedeck::app::dataset::recover(
        header,
        examples,
        Some(tunedeck::app::dataset::on_disk(&path)),
    );
    assert!(pane.conflict.is_some());
}

/// The app over recovered edits whose file changed outside.
fn conflicted(dir: &std::path::Path) -> App {
    let path = dir.join("ng.jsonl");
    let original = tunedeck::dataset::format::write(&numbers(), Format::Jsonl);
    std::fs::write(&path, &original).unwrap();
    let base = FileBase::read(&path);
    std::fs::write(
        &path,
        original + "{\"text_input\":\"x\",\"output\":\"y\"}\n",
    )
    .unwrap();
    let (header, examples) = journal_for(&path, base);
    let (pane, _) = tunedeck::app::dataset::recover(
        header,
        examples,
        Some(tunedeck::app::dataset::on_disk(&path)),
    );
    let mut a = app();
    a.dataset = pane;
    a.journal = Some(PathBuf::from("/state/journal.jsonl"));
    a.update(key('3'), clock());
    a
}

#[test]
fn recovered_edits_over_a_changed_file_are_saved_only_after_a_question() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = conflicted(dir.path());
    let shown = screen_at(&mut a, 80, 24);
    assert!(
        shown.contains("ng.jsonl changed on disk after these edits"),
        "{shown}"
    );
    assert!(shown.contains("on disk now: 26 examples"), "{shown}");
    // Keys other than the choices do nothing; ctrl-s writes nothing.
    assert!(a.update(key('j'), clock()).is_empty());
    a.update(code(KeyCode::Esc), clock());
    let cmds = a.update(ctrl('s'), clock());
    assert!(
        !cmds.iter().any(|c| matches!(c, Cmd::SaveFile { .. })),
        "{cmds:?}"
    );
    assert!(!a.dataset.conflict.as_ref().unwrap().hidden, "asked again");
    // From the quit question on another tab: ctrl-s shows the question there, writes nothing.
    a.update(code(KeyCode::Esc), clock());
    a.update(key('1'), clock());
    a.update(key('q'), clock());
    assert!(a.dataset.confirm_quit);
    let cmds = a.update(ctrl('s'), clock());
    assert!(
        !cmds.iter().any(|c| matches!(c, Cmd::SaveFile { .. })),
        "{cmds:?}"
    );
    assert_eq!(a.tab, Tab::Dataset);
    assert!(!a.dataset.conflict.as_ref().unwrap().hidden);
    assert!(!a.quit);
    // o, then n: still nothing; o, then y: overwritten.
    a.update(key('o'), clock());
    assert!(screen_at(&mut a, 120, 40).contains("What it holds now is lost"));
    assert!(a.update(key('n'), clock()).is_empty());
    a.update(key('o'), clock());
    let cmds = a.update(key('y'), clock());
    let [
        Cmd::SaveFile {
            path,
            unless_modified_since: None,
            ..
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    assert!(path.ends_with("ng.jsonl"));
    assert!(a.dataset.conflict.is_none());
}

#[test]
fn discarding_recovered_edits_reads_the_file_as_it_is_and_drops_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = conflicted(dir.path());
    let cmds = a.update(key('d'), clock());
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Cmd::RemoveFile { path } if path.ends_with("journal.jsonl")))
    );
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Cmd::ReadDataset { path, .. } if path.ends_with("ng.jsonl")))
    );
    assert!(a.dataset.conflict.is_none());
}

#[test]
fn a_dataset_with_no_file_is_saved_as_a_path_typed_with_completion() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sets")).unwrap();
    let mut a = app();
    a.journal = Some(PathBuf::from("/state/journal.jsonl"));
    a.update(key('3'), clock());
    a.update(key('a'), clock());
    type_text(&mut a, "one");
    a.update(code(KeyCode::Tab), clock());
    type_text(&mut a, "two");
    a.update(code(KeyCode::Esc), clock());
    assert!(a.dataset.dirty && a.dataset.path.is_none());
    // ctrl-s asks where.
    assert!(a.update(ctrl('s'), clock()).is_empty());
    let prompt = a.dataset.prompt.as_ref().expect("the save-as prompt");
    assert_eq!(prompt.kind, tunedeck::app::dataset::PromptKind::SaveAs);
    let typed = format!("{}/se", dir.path().display());
    type_text(&mut a, &typed);
    a.update(code(KeyCode::Tab), clock());
    assert_eq!(
        a.dataset.prompt.as_ref().unwrap().input,
        format!("{}/sets/", dir.path().display()),
        "tab completes as o's prompt does"
    );
    // A folder, or a name with no format, is refused with why.
    a.update(code(KeyCode::Enter), clock());
    assert!(
        a.dataset
            .prompt
            .as_ref()
            .unwrap()
            .error
            .as_deref()
            .unwrap()
            .contains("is a folder")
    );
    type_text(&mut a, "tiny.jsonl");
    let cmds = a.update(code(KeyCode::Enter), clock());
    let target = dir.path().join("sets/tiny.jsonl");
    let [
        Cmd::SaveFile {
            id, path, contents, ..
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(path, &target);
    assert_eq!(
        String::from_utf8(contents.clone()).unwrap(),
        "{\"text_input\":\"one\",\"output\":\"two\"}\n"
    );
    let cmds = a.update(
        Msg::Worker(WorkerEvent::FileSaved {
            id: *id,
            path: target.clone(),
            outcome: tunedeck::protocol::SaveOutcome::Saved(None),
        }),
        clock(),
    );
    assert_eq!(
        a.dataset.path.as_ref(),
        Some(&target),
        "the dataset is that file's now"
    );
    assert_eq!(a.dataset.format, Some(Format::Jsonl));
    assert!(!a.dataset.dirty);
    assert!(cmds.iter().any(|c| matches!(c, Cmd::RemoveFile { .. })));
    // The palette: :w PATH saves as PATH; an existing file is refused.
    let other = dir.path().join("other.csv");
    let cmds = a.run_command(&format!(":w {}", other.display()), clock().instant);
    assert!(matches!(cmds.as_slice(), [Cmd::SaveFile { path, .. }] if *path == other));
    std::fs::write(&other, "").unwrap();
    assert!(
        a.run_command(&format!(":saveas {}", other.display()), clock().instant)
            .is_empty()
    );
    assert!(
        a.dataset
            .prompt
            .as_ref()
            .unwrap()
            .error
            .as_deref()
            .unwrap()
            .contains("exists")
    );
}

#[test]
fn the_open_refusal_with_unsaved_changes_names_what_works() {
    let mut a = with_dataset();
    a.update(key('d'), clock());
    a.update(key('o'), clock());
    let error = a.dataset.prompt.as_ref().unwrap().error.clone().unwrap();
    assert!(
        error.contains("ctrl-s saves them (asking for a file name when there is none)"),
        "{error}"
    );
}

#[test]
fn keys_while_o_loads_a_file_change_nothing_and_journal_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.jsonl");
    std::fs::write(&big, "{\"text_input\":\"a\",\"output\":\"b\"}\n").unwrap();
    let mut a = with_dataset();
    a.update(key('o'), clock());
    type_text(&mut a, &big.display().to_string());
    let cmds = a.update(code(KeyCode::Enter), clock());
    let [Cmd::ReadDataset { id, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    let id = *id;
    for k in ['G', 'j', 'd', 'a', 'u', 'c', 'K'] {
        let cmds = a.update(key(k), clock());
        assert_eq!(journal_writes(&cmds), 0, "{k}: {cmds:?}");
    }
    assert_eq!(
        a.dataset.dataset.examples,
        numbers(),
        "the old dataset is untouched"
    );
    assert!(!a.dataset.dirty);
    assert!(a.toasts.last().unwrap().text.starts_with("Loading "));
    assert!(screen_at(&mut a, 120, 40).contains("loading "));
    // Loaded: the new file, unmodified, and editing works again.
    let file = tunedeck::worker::read_dataset(&big, None).unwrap();
    a.update(
        Msg::Worker(WorkerEvent::DatasetRead {
            id,
            path: big.clone(),
            result: Ok(file),
        }),
        clock(),
    );
    assert_eq!(a.dataset.len(), 1);
    assert!(!a.dataset.dirty);
    let cmds = a.update(key('d'), clock());
    assert_eq!(journal_writes(&cmds), 1);
    assert!(a.dataset.dirty);
}

#[test]
fn the_export_prompt_replaces_its_suggestion_and_asks_before_making_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = app();
    a.dataset = DatasetPane::new(
        numbers(),
        Some(dir.path().join("number-generator.jsonl")),
        Some(Format::Jsonl),
    );
    a.update(key('3'), clock());
    a.update(key('x'), clock());
    let prompt = a.dataset.prompt.as_ref().unwrap();
    assert!(prompt.suggested && prompt.input.ends_with("number-generator.csv"));
    let shown = screen_at(&mut a, 80, 24);
    assert!(shown.contains("typing replaces it"), "{shown}");
    let typed = format!("{}/exports/marked.csv", dir.path().display());
    type_text(&mut a, &typed);
    assert_eq!(
        a.dataset.prompt.as_ref().unwrap().input,
        typed,
        "replaced, not appended"
    );
    // The folder is missing: a question, nothing written.
    assert!(a.update(code(KeyCode::Enter), clock()).is_empty());
    let error = a.dataset.prompt.as_ref().unwrap().error.clone().unwrap();
    assert!(
        error.contains("there is no folder") && error.contains("enter again makes it"),
        "{error}"
    );
    assert!(!dir.path().join("exports").exists());
    let cmds = a.update(code(KeyCode::Enter), clock());
    assert!(
        matches!(cmds.as_slice(), [Cmd::WriteFile { path, .. }] if path.ends_with("exports/marked.csv"))
    );
    // Tab keeps the suggestion to edit.
    a.update(key('x'), clock());
    a.update(code(KeyCode::Tab), clock());
    a.update(code(KeyCode::Backspace), clock());
    assert!(
        a.dataset
            .prompt
            .as_ref()
            .unwrap()
            .input
            .ends_with("number-generator.cs")
    );
}

#[test]
fn o_refuses_a_missing_path_ending_in_a_slash() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = with_dataset();
    a.update(key('o'), clock());
    type_text(&mut a, &format!("{}/newdir/", dir.path().display()));
    assert!(a.update(code(KeyCode::Enter), clock()).is_empty());
    let error = a.dataset.prompt.as_ref().unwrap().error.clone().unwrap();
    assert!(
        error.contains("names a folder, and there is none"),
        "{error}"
    );
    assert_eq!(
        a.dataset.path,
        Some(PathBuf::from("numbers.jsonl")),
        "nothing replaced"
    );
}

#[test]
fn i_and_shift_i_say_why_and_change_nothing_where_no_instruction_fits() {
    // The Gemini API.
    let mut a = with_dataset();
    for k in ['i', 'I'] {
        assert!(a.update(key(k), clock()).is_empty());
        assert!(a.dataset.prompt.is_none());
        assert!(
            a.toasts
                .last()
                .unwrap()
                .text
                .contains("no system instruction: nothing changed")
        );
    }
    assert_eq!(a.dataset.dataset.examples, numbers());
    // Vertex AI, but a text_input/output file.
    a.choose_vertex();
    a.update(key('I'), clock());
    assert!(a.dataset.prompt.is_none());
    let said = &a.toasts.last().unwrap().text;
    assert!(
        said.contains("numbers.jsonl is JSONL, which cannot hold a system instruction"),
        "{said}"
    );
}

#[test]
fn ctrl_z_in_the_example_editor_undoes_an_external_edit_as_one_step() {
    let mut a = with_dataset();
    a.update(code(KeyCode::Enter), clock());
    type_text(&mut a, "0");
    a.update(ctrl('o'), clock());
    a.update(Msg::Edited(Ok("one\nuno".into())), clock());
    type_text(&mut a, "!");
    let input = |a: &App| a.dataset.editor.as_ref().unwrap().input.lines().join("\n");
    assert_eq!(input(&a), "one\nuno!");
    a.update(ctrl('z'), clock());
    assert_eq!(input(&a), "one\nuno", "typing after it first");
    a.update(ctrl('z'), clock());
    assert_eq!(
        input(&a),
        "10",
        "then the whole $EDITOR change, as one step"
    );
    a.update(ctrl('z'), clock());
    assert_eq!(input(&a), "1", "then the typing before it");
    a.update(code(KeyCode::Esc), clock());
    assert!(!a.dataset.dirty);
}

#[test]
fn saving_a_vertex_file_writes_the_lines_nobody_edited_back_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("talk.jsonl");
    let turn = |role: &str, text: &str| {
        format!(r#"{{"role": "{role}", "parts": [{{"text": "{text}"}}]}}"#)
    };
    let line = |a: &str, b: &str| {
        format!(
            r#"{{"contents": [{}, {}]}}"#,
            turn("user", a),
            turn("model", b)
        )
    };
    // Each line in a spacing of its own; the second has a system instruction.
    let first = line("sun", "day");
    let second = r#"{"systemInstruction": {"parts": [{"text": "Be brief."}]},   "contents": [{"role":"user","parts":[{"text":"moon"}]}, {"role": "model", "parts": [{"text": "night"}]}]}"#;
    let third = r#"{ "contents" : [ {"role":"user","parts":[{"text":"star"}]},{"role":"model","parts":[{"text":"sky"}]} ] }"#;
    let text = format!("{first}\n{second}\n{third}\n");
    std::fs::write(&path, &text).unwrap();
    let file = tunedeck::worker::read_dataset(&path, None).unwrap();
    assert_eq!(file.format, Format::Vertex);
    let mut a = app();
    a.choose_vertex();
    a.update(key('3'), clock());
    a.update(key('o'), clock());
    type_text(&mut a, &path.display().to_string());
    let cmds = a.update(code(KeyCode::Enter), clock());
    let [Cmd::ReadDataset { id, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    a.update(
        Msg::Worker(WorkerEvent::DatasetRead {
            id: *id,
            path: path.clone(),
            result: Ok(file),
        }),
        clock(),
    );
    assert_eq!(a.dataset.len(), 3);
    // Unedited: the file comes back exactly.
    a.update(key('d'), clock());
    a.update(key('u'), clock());
    let saved = |cmds: &[Cmd]| {
        cmds.iter()
            .find_map(|c| match c {
                Cmd::SaveFile { contents, .. } => {
                    Some(String::from_utf8(contents.clone()).unwrap())
                }
                _ => None,
            })
            .expect("a save")
    };
    assert_eq!(saved(&a.update(ctrl('s'), clock())), text);
    // The second example's output edited: only its line is written anew, in the file's style.
    a.update(key('j'), clock());
    a.update(code(KeyCode::Enter), clock());
    a.update(code(KeyCode::Tab), clock());
    type_text(&mut a, "fall");
    a.update(code(KeyCode::Esc), clock());
    let written = saved(&a.update(ctrl('s'), clock()));
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(lines[0], first);
    assert_eq!(lines[2], third);
    assert_eq!(
        lines[1],
        r#"{"systemInstruction": {"parts": [{"text": "Be brief."}]}, "contents": [{"role": "user", "parts": [{"text": "moon"}]}, {"role": "model", "parts": [{"text": "nightfall"}]}]}"#
    );
}

#[test]
fn recovered_edits_to_a_vertex_file_keep_its_unedited_lines_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("talk.jsonl");
    let first = r#"{"contents": [{"role": "user", "parts": [{"text": "sun"}]}, {"role": "model", "parts": [{"text": "day"}]}]}"#;
    let second = r#"{"systemInstruction":{"parts":[{"text":"Be brief."}]} , "contents":[{"role":"user","parts":[{"text":"moon"}]},{"role":"model","parts":[{"text":"night"}]}]}"#;
    std::fs::write(&path, format!("{first}\n{second}\n")).unwrap();
    let file = tunedeck::worker::read_dataset(&path, None).unwrap();
    let mut examples = file.examples.clone();
    examples.push(TuningExample::new("star", "sky"));
    let text = tunedeck::app::dataset::journal_text(Some(&path), file.base.as_ref(), &examples);
    let (header, examples) = tunedeck::app::dataset::parse_journal(&text).unwrap();
    let (pane, _) = tunedeck::app::dataset::recover(
        header,
        examples,
        Some(tunedeck::app::dataset::on_disk(&path)),
    );
    assert!(pane.conflict.is_none());
    assert_eq!(
        pane.format,
        Some(Format::Vertex),
        "read as the file is, not as it is named"
    );
    let mut a = app();
    a.choose_vertex();
    a.dataset = pane;
    a.update(key('3'), clock());
    let cmds = a.update(ctrl('s'), clock());
    let [Cmd::SaveFile { contents, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    let written = String::from_utf8(contents.clone()).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(&lines[..2], &[first, second]);
    assert!(
        lines[2].starts_with(r#"{"contents": [{"role": "user""#),
        "{written}"
    );
}

#[test]
fn a_chord_in_the_recovery_question_chooses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = conflicted(dir.path());
    let alt_s = Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::ALT));
    assert!(a.update(alt_s, clock()).is_empty());
    assert!(a.update(ctrl('s'), clock()).is_empty());
    assert!(a.update(ctrl('d'), clock()).is_empty());
    assert!(a.dataset.prompt.is_none(), "no save-as opened");
    let conflict = a.dataset.conflict.as_ref().expect("still asking");
    assert!(!conflict.hidden);
}
