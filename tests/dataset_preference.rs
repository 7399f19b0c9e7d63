//! Preference (DPO) files in the Dataset tab, driven by keys through `update()`: open from the
//! prompt, the prompt with the preferred and the rejected answer side by side (stacked at 80
//! columns), edit the rejected answer, swap the two with one key, undo and redo, save (lines
//! nobody edited back byte for byte, unknown fields kept), the journal and its recovery, the
//! lint naming the example, and the Vertex AI T form making a preference tuning job.

mod common;
use common::app::*;
use crossterm::event::KeyCode;
use std::path::{Path, PathBuf};
use tunedeck::api::vertex::types::TuningJob;
use tunedeck::app::{App, Msg, Tab, VertexPlace};
use tunedeck::dataset::format::Format;
use tunedeck::protocol::{ApiCall, Cmd, Reply, WorkerEvent};

/// Two examples: the first as Google's guide writes it (a system instruction, a field of the
/// user's own), the second in the spaced style, with an earlier exchange in its prompt.
const FIRST: &str = r#"{"system_instruction":{"parts":[{"text":"You are a chat bot."}]},"contents":[{"role":"user","parts":[{"text":"What is my favorite fruit?"}]}],"completions":[{"score":1,"completion":{"role":"model","parts":[{"text":"Apple! Apple! Apple!"}]}},{"score":0,"completion":{"role":"model","parts":[{"text":"Your favorite fruit is apple."}]}}],"my_tag":"fruit"}"#;
const SECOND: &str = r#"{"contents": [{"role": "user", "parts": [{"text": "Hi"}]}, {"role": "model", "parts": [{"text": "Hello!"}]}, {"role": "user", "parts": [{"text": "Say a color"}]}], "completions": [{"score": 1, "completion": {"role": "model", "parts": [{"text": "Blue!"}]}}, {"score": 0, "completion": {"role": "model", "parts": [{"text": "A color is a property of light."}]}}]}"#;

fn type_text(a: &mut App, text: &str) {
    for c in text.chars() {
        a.update(key(c), clock());
    }
}

fn write_file(dir: &Path) -> (PathBuf, String) {
    let path = dir.join("prefs.jsonl");
    let text = format!("{FIRST}\n{SECOND}\n");
    std::fs::write(&path, &text).unwrap();
    (path, text)
}

/// `o`, the path, enter; the worker's read handed back.
fn open(a: &mut App, path: &Path) {
    a.update(key('o'), clock());
    type_text(a, &path.display().to_string());
    let cmds = a.update(code(KeyCode::Enter), clock());
    let [Cmd::ReadDataset { id, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    let result = tunedeck::worker::read_dataset(path, None);
    a.update(
        Msg::Worker(WorkerEvent::DatasetRead {
            id: *id,
            path: path.to_owned(),
            result,
        }),
        clock(),
    );
}

fn saved(cmds: &[Cmd]) -> String {
    cmds.iter()
        .find_map(|c| match c {
            Cmd::SaveFile { contents, .. } => Some(String::from_utf8(contents.clone()).unwrap()),
            _ => None,
        })
        .expect("a save")
}

fn journal(cmds: &[Cmd]) -> String {
    cmds.iter()
        .find_map(|c| match c {
            Cmd::WriteFile { path, contents, .. } if path.ends_with("journal.jsonl") => {
                Some(String::from_utf8(contents.clone()).unwrap())
            }
            _ => None,
        })
        .expect("a journal write")
}

fn rejected(a: &App, i: usize) -> String {
    a.dataset.dataset.examples[i]
        .preference
        .as_ref()
        .expect("a preference example")
        .rejected
        .clone()
}

#[test]
fn a_preference_file_opens_with_its_prompt_and_both_answers_side_by_side_or_stacked() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_file(dir.path());
    let mut a = app();
    a.update(key('3'), clock());
    open(&mut a, &path);
    assert_eq!(a.dataset.format, Some(Format::Preference));
    assert_eq!(a.dataset.len(), 2);
    let wide = screen_at(&mut a, 120, 40);
    assert!(
        wide.contains("(Vertex AI preference JSONL) · 2 examples"),
        "{wide}"
    );
    assert!(wide.contains("PROMPT") && wide.contains("PREFERRED") && wide.contains("REJECTED"));
    assert!(wide.contains("system: You are a chat bot."), "{wide}");
    // Side by side: both answers' boxes start on the same row.
    let row = wide
        .lines()
        .find(|l| l.contains("PREFERRED (score 1)"))
        .expect("the preferred box");
    assert!(row.contains("REJECTED (score 0)"), "{wide}");
    // The footer, once the toast has gone, names the swap key.
    a.toasts.clear();
    let wide = screen_at(&mut a, 120, 40);
    assert!(wide.contains("s swap answers"), "{wide}");
    // The second example's earlier turns are shown above its last user turn.
    a.update(key('j'), clock());
    let wide = screen_at(&mut a, 120, 40);
    assert!(
        wide.contains("user: Hi") && wide.contains("model: Hello!"),
        "{wide}"
    );
    assert!(wide.contains("PROMPT · last user turn"), "{wide}");
    // At 80 columns the two answers stack, each readable.
    let narrow = screen_at(&mut a, 80, 24);
    let preferred_row = narrow
        .lines()
        .position(|l| l.contains("PREFERRED (score 1)"))
        .expect("the preferred box at 80x24");
    let rejected_row = narrow
        .lines()
        .position(|l| l.contains("REJECTED (score 0)"))
        .expect("the rejected box at 80x24");
    assert!(rejected_row > preferred_row, "{narrow}");
    assert!(narrow.contains("Blue!"), "{narrow}");
    assert!(
        narrow.contains("A color is a property of light."),
        "{narrow}"
    );
}

#[test]
fn edit_the_rejected_answer_swap_undo_redo_and_save_keeping_lines_and_fields() {
    let dir = tempfile::tempdir().unwrap();
    let (path, text) = write_file(dir.path());
    let mut a = app();
    a.journal = Some(dir.path().join("journal.jsonl"));
    a.update(key('3'), clock());
    open(&mut a, &path);
    // Unedited, the file comes back exactly.
    assert_eq!(saved(&a.update(ctrl('s'), clock())), text);
    // The first example: tab twice to the rejected answer, type, esc keeps it as one change.
    a.update(code(KeyCode::Enter), clock());
    a.update(code(KeyCode::Tab), clock());
    a.update(code(KeyCode::Tab), clock());
    assert_eq!(a.dataset.editor.as_ref().unwrap().focus(), 2);
    type_text(&mut a, " Meh.");
    let cmds = a.update(code(KeyCode::Esc), clock());
    assert_eq!(rejected(&a, 0), "Your favorite fruit is apple. Meh.");
    assert!(journal(&cmds).contains("Your favorite fruit is apple. Meh."));
    // The second: swapped with one key, undone, redone.
    a.update(key('j'), clock());
    a.update(key('s'), clock());
    assert_eq!(
        a.dataset.dataset.examples[1].output,
        "A color is a property of light."
    );
    assert_eq!(rejected(&a, 1), "Blue!");
    a.update(key('u'), clock());
    assert_eq!(a.dataset.dataset.examples[1].output, "Blue!");
    a.update(ctrl('r'), clock());
    assert_eq!(rejected(&a, 1), "Blue!");
    // `/` finds a rejected answer too (from the second example, the first's).
    assert_eq!(a.dataset.selected, 1);
    a.update(key('/'), clock());
    type_text(&mut a, "meh");
    a.update(code(KeyCode::Enter), clock());
    assert_eq!(a.dataset.selected, 0);
    a.update(key('j'), clock());
    let written = saved(&a.update(ctrl('s'), clock()));
    let lines: Vec<serde_json::Value> = written
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines[0]["my_tag"], "fruit",
        "a field of the user's own is kept"
    );
    assert_eq!(
        lines[0]["completions"][1]["completion"]["parts"][0]["text"],
        "Your favorite fruit is apple. Meh."
    );
    assert_eq!(
        lines[0]["system_instruction"]["parts"][0]["text"],
        "You are a chat bot."
    );
    // Swapped: the scores moved, each answer kept its text; the earlier turns stayed.
    assert_eq!(lines[1]["completions"][0]["score"], 0);
    assert_eq!(lines[1]["completions"][1]["score"], 1);
    assert_eq!(lines[1]["contents"].as_array().unwrap().len(), 3);
    // Undoing the swap brings its line back byte for byte.
    a.update(key('u'), clock());
    let written = saved(&a.update(ctrl('s'), clock()));
    assert_eq!(written.lines().nth(1), Some(SECOND));
}

#[test]
fn a_new_example_has_three_fields_and_the_journal_recovers_it_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_file(dir.path());
    let mut a = app();
    a.journal = Some(dir.path().join("journal.jsonl"));
    a.update(key('3'), clock());
    open(&mut a, &path);
    a.update(key('G'), clock());
    a.update(key('a'), clock());
    assert_eq!(a.dataset.len(), 3);
    type_text(&mut a, "Name a fruit");
    a.update(code(KeyCode::Tab), clock());
    type_text(&mut a, "Mango!");
    a.update(code(KeyCode::Tab), clock());
    type_text(&mut a, "I do not know.");
    let cmds = a.update(code(KeyCode::Esc), clock());
    let text = journal(&cmds);
    let (header, examples) = tunedeck::app::dataset::parse_journal(&text).unwrap();
    assert_eq!(header.source.as_deref(), Some(path.as_path()));
    assert_eq!(
        examples, a.dataset.dataset.examples,
        "every field, rejected answers too"
    );
    // A restart: the journal's edits come back as unsaved changes of the same file.
    let (pane, said) = tunedeck::app::dataset::recover(
        header,
        examples,
        Some(tunedeck::app::dataset::on_disk(&path)),
    );
    assert!(pane.conflict.is_none(), "{said}");
    assert!(pane.dirty);
    assert_eq!(pane.format, Some(Format::Preference));
    let mut b = app();
    b.dataset = pane;
    b.update(key('3'), clock());
    let written = saved(&b.update(ctrl('s'), clock()));
    assert_eq!(
        written.lines().next(),
        Some(FIRST),
        "unedited lines as they were"
    );
    let last: serde_json::Value = serde_json::from_str(written.lines().nth(2).unwrap()).unwrap();
    assert_eq!(last["contents"][0]["parts"][0]["text"], "Name a fruit");
    assert_eq!(
        last["completions"][0]["completion"]["parts"][0]["text"],
        "Mango!"
    );
    assert_eq!(last["completions"][1]["score"], 0);
    assert_eq!(
        last["completions"][1]["completion"]["parts"][0]["text"],
        "I do not know."
    );
}

#[test]
fn the_lint_names_the_example_and_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.jsonl");
    let both_preferred = FIRST.replace(r#""score":0"#, r#""score":1"#);
    let ends_with_model = r#"{"contents":[{"role":"user","parts":[{"text":"Hi"}]},{"role":"model","parts":[{"text":"Yo"}]}],"completions":[{"score":1,"completion":{"role":"model","parts":[{"text":"a"}]}},{"score":0,"completion":{"role":"model","parts":[{"text":"b"}]}}]}"#;
    std::fs::write(
        &path,
        format!("{FIRST}\n{both_preferred}\n{ends_with_model}\n"),
    )
    .unwrap();
    let mut a = app();
    a.update(key('3'), clock());
    open(&mut a, &path);
    assert_eq!(
        a.dataset.len(),
        3,
        "a rule broken is a finding, not a failed read"
    );
    let on = |a: &App, i: usize| -> Vec<String> {
        a.dataset
            .issues
            .iter()
            .filter(|x| x.index == Some(i))
            .map(|x| x.message.clone())
            .collect()
    };
    assert!(on(&a, 0).is_empty(), "{:?}", on(&a, 0));
    assert!(
        on(&a, 1)[0].contains("2 preferred and 0 rejected"),
        "{:?}",
        on(&a, 1)
    );
    assert!(
        on(&a, 2)[0].contains("must end with a user turn"),
        "{:?}",
        on(&a, 2)
    );
    a.update(key('j'), clock());
    let shown = screen_at(&mut a, 120, 40);
    assert!(shown.contains("2 preferred and 0 rejected"), "{shown}");
    assert!(shown.contains("2 errors"), "{shown}");
    // A broken line fails the read whole, naming the file, the line and the field.
    let broken = dir.path().join("broken.jsonl");
    std::fs::write(
        &broken,
        format!("{FIRST}\n{{\"contents\":[],\"completions\":[{{\"score\":\"high\"}}]}}\n"),
    )
    .unwrap();
    let error = tunedeck::worker::read_dataset(&broken, None).unwrap_err();
    assert_eq!(error.line, 2);
    assert!(error.reason.contains("completions[0].score"), "{error}");
}

#[test]
fn export_writes_preference_lines_to_a_jsonl_name_and_refuses_csv() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_file(dir.path());
    let mut a = app();
    a.update(key('3'), clock());
    open(&mut a, &path);
    a.update(key('x'), clock());
    let csv = dir.path().join("out.csv");
    type_text(&mut a, &csv.display().to_string());
    a.update(code(KeyCode::Enter), clock());
    let error = a.dataset.prompt.as_ref().unwrap().error.clone().unwrap();
    assert!(error.contains("preference example"), "{error}");
    a.update(code(KeyCode::Esc), clock());
    a.update(key('x'), clock());
    let out = dir.path().join("copy.jsonl");
    type_text(&mut a, &out.display().to_string());
    let cmds = a.update(code(KeyCode::Enter), clock());
    let [Cmd::WriteFile { contents, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    let text = String::from_utf8(contents.clone()).unwrap();
    assert!(
        tunedeck::dataset::preference::is_preference_jsonl(&text),
        "{text}"
    );
    assert_eq!(
        tunedeck::dataset::preference::parse("copy", &text)
            .unwrap()
            .len(),
        2
    );
}

const PARENT: &str = "projects/123/locations/us-central1";

/// A succeeded supervised job to continue from, with a checkpoint.
fn sft_job() -> TuningJob {
    serde_json::from_value(serde_json::json!({
        "name": format!("{PARENT}/tuningJobs/22"),
        "tunedModelDisplayName": "fruit-sft",
        "baseModel": "gemini-2.5-flash",
        "state": "JOB_STATE_SUCCEEDED",
        "createTime": "2026-11-21T09:00:00Z",
        "supervisedTuningSpec": {"trainingDatasetUri": "gs://b/t.jsonl"},
        "tunedModel": {
            "model": format!("{PARENT}/models/555@1"),
            "endpoint": format!("{PARENT}/endpoints/900"),
            "checkpoints": [{"checkpointId": "2", "epoch": "2", "step": "12"}]
        }
    }))
    .unwrap()
}

fn vertex_with_preferences(dir: &Path) -> App {
    let mut a = app();
    a.choose_vertex();
    a.connection.vertex = Some(VertexPlace {
        project: "demo".into(),
        location: "us-central1".into(),
        base_url: "http://127.0.0.1:8765".into(),
    });
    let cmds = a.start();
    let id = cmds
        .iter()
        .find_map(|c| match c {
            Cmd::Call {
                id,
                call: ApiCall::ListTuningJobs,
            } => Some(*id),
            _ => None,
        })
        .unwrap();
    a.update(
        Msg::Worker(WorkerEvent::Reply {
            id,
            reply: Reply::TuningJobs(vec![sft_job()]),
        }),
        clock(),
    );
    a.update(key('3'), clock());
    let (path, _) = write_file(dir);
    open(&mut a, &path);
    a
}

fn tab_to(a: &mut App, field: tunedeck::app::dataset::VertexTuneField) {
    use tunedeck::app::form::Focus;
    for _ in 0..20 {
        if a.dataset.vertex_tune.as_ref().unwrap().focus == Focus::Text(field) {
            return;
        }
        a.update(code(KeyCode::Tab), clock());
    }
    panic!("no field {field:?}");
}

#[test]
fn the_t_form_makes_a_preference_job_after_a_review_and_opens_it_in_the_monitor() {
    use tunedeck::app::dataset::VertexTuneField;
    use tunedeck::app::form::Focus;
    let dir = tempfile::tempdir().unwrap();
    let mut a = vertex_with_preferences(dir.path());
    a.update(key('T'), clock());
    let form = a.dataset.vertex_tune.as_ref().expect("the Vertex AI form");
    assert!(form.preference);
    let bases: Vec<&str> = form
        .sources
        .iter()
        .filter(|s| matches!(s.source, tunedeck::domain::vertex::VertexSource::Base(_)))
        .map(|s| s.label.as_str())
        .collect();
    assert_eq!(
        bases,
        ["gemini-2.5-flash", "gemini-2.5-flash-lite"],
        "only models that take DPO"
    );
    let shown = screen_at(&mut a, 120, 40);
    assert!(shown.contains("Method         preference (DPO)"), "{shown}");
    assert!(shown.contains("Beta"), "{shown}");
    assert!(
        shown.contains("Recommended: ←/→ a tuned model or checkpoint"),
        "{shown}"
    );
    tab_to(&mut a, VertexTuneField::Beta);
    type_text(&mut a, "0.2");
    tab_to(&mut a, VertexTuneField::Bucket);
    type_text(&mut a, "my-bucket");
    // To what to tune from: the supervised model's checkpoint, as Google recommends.
    while a.dataset.vertex_tune.as_ref().unwrap().focus != Focus::Choice(0) {
        a.update(code(KeyCode::Tab), clock());
    }
    while !a
        .dataset
        .vertex_tune
        .as_ref()
        .unwrap()
        .chosen_source()
        .unwrap()
        .label
        .contains("from checkpoint 2")
    {
        a.update(code(KeyCode::Right), clock());
    }
    a.update(code(KeyCode::Tab), clock());
    let cmds = a.update(code(KeyCode::Enter), clock());
    assert!(
        cmds.is_empty(),
        "the review first: nothing is sent: {cmds:?}"
    );
    let review = screen_at(&mut a, 120, 40);
    assert!(
        review.contains("Start tuning on Vertex AI: review"),
        "{review}"
    );
    assert!(review.contains("preference tuning (DPO)"), "{review}");
    assert!(review.contains("0.2"), "{review}");
    assert!(
        review.contains("continue fruit-sft from checkpoint 2"),
        "{review}"
    );
    assert!(
        review.contains("gs://my-bucket/tunedeck/prefs-"),
        "{review}"
    );
    let cmds = a.update(code(KeyCode::Enter), clock());
    let (id, job, uploads) = match cmds.as_slice() {
        [
            Cmd::Call {
                id,
                call: ApiCall::StartVertexTuning { job, uploads, .. },
            },
        ] => (*id, (**job).clone(), uploads.clone()),
        other => panic!("{other:?}"),
    };
    assert!(job.supervised_tuning_spec.is_none());
    let spec = job
        .preference_optimization_spec
        .clone()
        .expect("a DPO spec");
    assert_eq!(spec.hyper_parameters.as_ref().unwrap().beta, Some(0.2));
    assert_eq!(job.pre_tuned_model.as_ref().unwrap().checkpoint_id, "2");
    let uploaded = String::from_utf8(uploads[0].1.clone()).unwrap();
    let json = |text: &str| -> Vec<serde_json::Value> {
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    assert_eq!(
        json(&uploaded),
        json(&format!("{FIRST}\n{SECOND}\n")),
        "the lines, every field"
    );
    // Created: the Monitor follows the job, as for a supervised one.
    let mut created = job;
    created.name = format!("{PARENT}/tuningJobs/77");
    created.state = tunedeck::api::vertex::types::JobState::Pending;
    a.update(
        Msg::Worker(WorkerEvent::Reply {
            id,
            reply: Reply::TuningJob(Box::new(created)),
        }),
        clock(),
    );
    assert_eq!(a.tab, Tab::Monitor);
}

#[test]
fn a_beta_out_of_range_is_refused_in_the_forms_words() {
    use tunedeck::app::dataset::VertexTuneField;
    let dir = tempfile::tempdir().unwrap();
    let mut a = vertex_with_preferences(dir.path());
    a.update(key('T'), clock());
    tab_to(&mut a, VertexTuneField::Beta);
    type_text(&mut a, "3");
    tab_to(&mut a, VertexTuneField::Bucket);
    type_text(&mut a, "b");
    let cmds = a.update(ctrl('s'), clock());
    assert!(cmds.is_empty(), "{cmds:?}");
    let error = a
        .dataset
        .vertex_tune
        .as_ref()
        .unwrap()
        .error
        .clone()
        .unwrap();
    assert!(error.starts_with("Beta: "), "{error}");
}

#[test]
fn the_gemini_apis_t_refuses_preference_examples_and_says_where_they_tune() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_file(dir.path());
    let mut a = app();
    a.update(key('3'), clock());
    open(&mut a, &path);
    let cmds = a.update(key('T'), clock());
    assert!(cmds.is_empty(), "{cmds:?}");
    assert!(a.dataset.tune.is_none());
    let said = &a.toasts.last().unwrap().text;
    assert!(
        said.contains("preference (DPO) examples") && said.contains("--vertex"),
        "{said}"
    );
}
