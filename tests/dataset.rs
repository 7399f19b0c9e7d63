//! Datasets: every format round-trips arbitrary text; every bad file fails whole with its file,
//! line, column and reason; every lint fires; undo and redo restore exactly.

mod common;
use proptest::prelude::*;
use std::path::Path;
use tunedeck::api::types::TuningExample;
use tunedeck::dataset::format::{self, Format, Mapping};
use tunedeck::dataset::lint::{self, Kind, Severity};
use tunedeck::dataset::{Dataset, Edit};

fn examples() -> impl Strategy<Value = Vec<TuningExample>> {
    // Any Unicode, with the characters formats trip on made likely.
    let text = prop_oneof![
        any::<String>(),
        "[a-z ,\"'\\n\\r\\t\\\\{}\\[\\]:;é漢字🙂]{0,40}",
    ];
    prop::collection::vec(
        (text.clone(), text).prop_map(|(i, o)| TuningExample::new(i, o)),
        0..20,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn jsonl_round_trips(data in examples()) {
        let text = format::write(&data, Format::Jsonl);
        prop_assert_eq!(format::parse("x.jsonl", &text, Format::Jsonl, None).unwrap(), data);
    }

    #[test]
    fn json_round_trips(data in examples()) {
        let text = format::write(&data, Format::Json);
        prop_assert_eq!(format::parse("x.json", &text, Format::Json, None).unwrap(), data);
    }

    #[test]
    fn csv_round_trips(data in examples()) {
        let text = format::write(&data, Format::Csv);
        prop_assert_eq!(format::parse("x.csv", &text, Format::Csv, None).unwrap(), data);
    }

    #[test]
    fn api_body_round_trips(data in examples()) {
        let body = serde_json::json!({"tuning_task": {"training_data": {"examples": {"examples":
            data.iter().map(|e| serde_json::json!({"text_input": e.text_input, "output": e.output})).collect::<Vec<_>>()}}}});
        let text = serde_json::to_string_pretty(&body).unwrap();
        prop_assert_eq!(format::parse("x.json", &text, Format::ApiBody, None).unwrap(), data);
    }

    #[test]
    fn undoing_every_edit_restores_the_original_and_redo_replays_them(
        start in examples(),
        ops in prop::collection::vec((0u8..5, 0usize..25, 0usize..25), 0..40),
    ) {
        let mut d = Dataset::new(start.clone());
        for (op, a, b) in ops {
            let len = d.examples.len();
            match op {
                0 => { d.insert(a.min(len), vec![TuningExample::new(format!("in {a}"), "out")]); }
                1 if len > 0 => { d.remove(a % len, 1 + b % (len - a % len)); }
                2 if len > 0 => { d.replace(a % len, TuningExample::new("changed", format!("{b}"))); }
                3 if len > 0 => { d.duplicate(a % len); }
                4 if len > 0 => { d.move_to(a % len, b % len); }
                _ => {}
            }
        }
        let end = d.examples.clone();
        while d.undo().is_some() {}
        prop_assert_eq!(&d.examples, &start);
        while d.redo().is_some() {}
        prop_assert_eq!(&d.examples, &end);
    }
}

fn err(file: &str, text: &str, f: Format) -> format::ImportError {
    format::parse(file, text, f, None).expect_err("the file is refused")
}

#[test]
fn a_bad_jsonl_line_names_its_line_and_column() {
    let e = err(
        "data.jsonl",
        "{\"text_input\": \"a\", \"output\": \"b\"}\n\n{\"text_input\": \"c\" \"output\": \"d\"}\n",
        Format::Jsonl,
    );
    assert_eq!((e.line, e.column), (3, 20));
    assert_eq!(
        e.to_string(),
        "data.jsonl:3:20: not valid JSON: expected `,` or `}`"
    );
    let e = err("data.jsonl", "{\"text_input\": \"a\"}\n", Format::Jsonl);
    assert_eq!(e.to_string(), "data.jsonl:1: missing output");
    let e = err(
        "data.jsonl",
        "{\"text_input\": 3, \"output\": [1]}\n",
        Format::Jsonl,
    );
    assert!(
        e.reason.contains("output must be text, not an array"),
        "{e}"
    );
}

#[test]
fn a_bad_json_array_names_the_line_of_the_broken_example() {
    let text = "[\n  {\"text_input\": \"a\", \"output\": \"b\"},\n  {\"text_input\": \"c\"}\n]\n";
    let e = err("d.json", text, Format::Json);
    // Numbered from 1, like the lines and the lint: the second item is example 2.
    assert_eq!(e.to_string(), "d.json:3: example 2: missing output");
    let e = err("d.json", "[\n {\"text_input\": \"a\",, }\n]", Format::Json);
    assert_eq!((e.line, e.column), (2, 21), "the second comma");
    let e = err("d.json", "{\"a\": 1}", Format::Json);
    assert!(e.reason.contains("expected a JSON array"));
    let pairs = format::parse("p.json", r#"[["1", "2"], ["3", "4"]]"#, Format::Json, None).unwrap();
    assert_eq!(
        pairs[1],
        TuningExample::new("3", "4"),
        "[input, output] pairs, as the SDK takes"
    );
}

#[test]
fn csv_errors_and_the_column_mapping() {
    let e = err("d.csv", "text_input,output\na,b\nc,d,e\n", Format::Csv);
    assert_eq!(e.to_string(), "d.csv:3: 3 fields where the header has 2");
    let e = err("d.csv", "question,answer\nq,a\n", Format::Csv);
    assert_eq!(
        e.csv_columns,
        Some(vec!["question".to_owned(), "answer".to_owned()]),
        "the columns to choose from"
    );
    assert!(e.reason.contains("question, answer"));
    let mapping = Mapping {
        input: "question".into(),
        output: "answer".into(),
    };
    let data = format::parse(
        "d.csv",
        "question,answer\n\"q, with comma\",\"multi\nline\"\n",
        Format::Csv,
        Some(&mapping),
    )
    .unwrap();
    assert_eq!(
        data,
        vec![TuningExample::new("q, with comma", "multi\nline")]
    );
}

#[test]
fn the_tutorial_body_with_trailing_commas_loads() {
    let text = common::fixture("tutorial-create-request.json");
    assert_eq!(
        format::detect(Path::new("request.json"), &text),
        Format::ApiBody
    );
    let data = format::parse("request.json", &text, Format::ApiBody, None).unwrap();
    assert_eq!(data.len(), 15);
    assert_eq!(data[3], TuningExample::new("twenty two", "twenty three"));
    let e = err("b.json", "{\"display_name\": \"x\"}", Format::ApiBody);
    assert!(
        e.reason
            .contains("no tuning_task.training_data.examples.examples")
    );
}

#[test]
fn files_are_read_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.jsonl");
    std::fs::write(
        &good,
        format::write(&[TuningExample::new("a", "b")], Format::Jsonl),
    )
    .unwrap();
    let (data, f) = format::read_file(&good, None, None).unwrap();
    assert_eq!((data.len(), f), (1, Format::Jsonl));
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, b"text_input,output\na,b\n\xff\xfe,c\n").unwrap();
    let e = format::read_file(&bad, None, None).unwrap_err();
    assert!(e.file.ends_with("bad.csv"));
    assert_eq!((e.line, e.reason.as_str()), (3, "not UTF-8 text"));
    let e = format::read_file(&dir.path().join("missing.json"), None, None).unwrap_err();
    assert!(e.to_string().contains("missing.json"));
}

fn kinds(data: &[TuningExample]) -> Vec<(Option<usize>, Kind)> {
    lint::lint(data)
        .into_iter()
        .map(|i| (i.index, i.kind))
        .collect()
}

fn many(n: usize) -> Vec<TuningExample> {
    (0..n)
        .map(|i| TuningExample::new(format!("Q: number {i}"), format!("{}", i + 1)))
        .collect()
}

#[test]
fn every_lint() {
    let mut data = many(25);
    assert!(kinds(&data).is_empty(), "{:?}", kinds(&data));
    data[0].text_input = "  ".into();
    data[1].output = String::new();
    data[2].text_input = "x".repeat(40_001);
    data[3].output = "y".repeat(5_001);
    data[4] = data[5].clone();
    data[6] = TuningExample::new("Q: NUMBER 7!", "8");
    data[8].output = " 9 ".into();
    data[9].text_input = "number 9 without the prefix".into();
    let found = kinds(&data);
    for expected in [
        (Some(0), Kind::EmptyInput),
        (Some(1), Kind::EmptyOutput),
        (Some(2), Kind::InputTooLong),
        (Some(3), Kind::OutputTooLong),
        (Some(5), Kind::Duplicate),
        (Some(7), Kind::NearDuplicate),
        (Some(8), Kind::Whitespace),
        (Some(9), Kind::InconsistentPrefix),
    ] {
        assert!(found.contains(&expected), "{expected:?} not in {found:?}");
    }
    let issues = lint::lint(&data);
    assert_eq!(issues[0].severity, Severity::Error, "errors first");
    assert!(!lint::submittable(&issues));
    assert!(kinds(&many(5)).contains(&(None, Kind::TooFew)));
    let signs = vec![TuningExample::new("3", "4"), TuningExample::new("-3", "-2")];
    assert!(
        !kinds(&signs).iter().any(|(_, k)| *k == Kind::NearDuplicate),
        "a sign is not noise"
    );
    let big: Vec<_> = (0..1000)
        .map(|i| TuningExample::new(format!("{i} {}", "z".repeat(4500)), "o"))
        .collect();
    assert!(kinds(&big).contains(&(None, Kind::TooLarge)));
    assert!(
        lint::submittable(&lint::lint(&big)),
        "warnings do not block"
    );
    // Over the service's 20 MiB request limit: an error that names the limit.
    let huge: Vec<_> = (0..5_000)
        .map(|i| TuningExample::new(format!("{i} {}", "z".repeat(4_500)), "o"))
        .collect();
    let issues = lint::lint(&huge);
    let too_large = issues.iter().find(|i| i.kind == Kind::TooLarge).unwrap();
    assert_eq!(too_large.severity, Severity::Error);
    assert!(
        too_large.message.contains("20971520 bytes"),
        "{}",
        too_large.message
    );
    assert!(!lint::submittable(&issues));
}

#[test]
fn stats_line() {
    let s = lint::stats(&[
        TuningExample::new("a", "bbb"),
        TuningExample::new("ccccc", "d"),
        TuningExample::new("ee", "ff"),
    ]);
    assert_eq!((s.count, s.input, s.output), (3, (1, 2, 5), (1, 2, 3)));
    assert!(s.json_bytes > 0);
}

#[test]
fn edits_outside_the_dataset_change_nothing() {
    let mut d = Dataset::new(many(3));
    assert!(!d.remove(2, 5));
    assert!(!d.replace(9, TuningExample::new("a", "b")));
    assert!(!d.edit(Edit::Move { from: 0, to: 7 }));
    assert!(!d.can_undo());
    assert!(d.duplicate(0));
    assert_eq!(d.examples[1], d.examples[0]);
    d.undo();
    assert_eq!(d.examples, many(3));
    assert!(d.can_redo());
    d.insert(0, vec![TuningExample::new("n", "m")]);
    assert!(!d.can_redo(), "a new edit clears redo");
}

#[test]
fn an_empty_file_is_no_examples_in_every_format_not_a_broken_csv_header() {
    for f in [Format::Jsonl, Format::Csv] {
        assert_eq!(
            format::parse("empty", "", f, None).map(|e| e.len()),
            Ok(0),
            "{f:?}"
        );
        assert_eq!(
            format::parse("blank", "\n  \n", f, None).map(|e| e.len()),
            Ok(0),
            "{f:?}"
        );
    }
}

/// The editor's view of a multi-turn Vertex line: the first user and last model turn are edited,
/// the rest (other turns, the system instruction, parts that are not text) is kept.
#[test]
fn the_editor_edits_the_first_and_last_turn_and_keeps_the_rest() {
    let line = r#"{"systemInstruction":{"role":"system","parts":[{"text":"Pirate."}]},"contents":[{"role":"user","parts":[{"text":"Hi"}]},{"role":"model","parts":[{"text":"Argh!"},{"fileData":{"fileUri":"gs://b/x.png","mimeType":"image/png"}}]},{"role":"user","parts":[{"text":"Name?"}]},{"role":"model","parts":[{"text":"Bark"}]}]}"#;
    let text = format!("{line}\n");
    let examples = format::parse("p.jsonl", &text, format::Format::Vertex, None).unwrap();
    let editor = &examples[0];
    assert_eq!(
        (editor.text_input.as_str(), editor.output.as_str()),
        ("Hi", "Bark")
    );
    assert_eq!(
        tunedeck::dataset::vertex::editor_tag(editor).as_deref(),
        Some("4 turns +sys")
    );
    assert_eq!(
        tunedeck::dataset::vertex::editor_note(editor).as_deref(),
        Some("4 turns · system instruction · parts that are not text")
    );
    // Unchanged: written back to the byte.
    assert_eq!(format::write(&examples, format::Format::Vertex), text);
    // The last model turn edited: only its parts change.
    let edited = TuningExample {
        output: "Barktholomew".into(),
        ..editor.clone()
    };
    let back = tunedeck::dataset::vertex::VertexExample::from_editor(&edited);
    assert_eq!(back.turns()[3].1, "Barktholomew");
    assert_eq!(back.turns()[1].1, "Argh!");
    assert_eq!(
        back.raw["contents"][1],
        serde_json::from_str::<serde_json::Value>(line).unwrap()["contents"][1],
        "the image part stays"
    );
    assert_eq!(back.system_instruction().as_deref(), Some("Pirate."));
    // A system instruction on a pair, and off again: a pair once more.
    let pair = TuningExample::new("sun", "day");
    let with = tunedeck::dataset::vertex::VertexExample::from_pair(&pair)
        .with_system_instruction(Some("Be brief."))
        .to_editor();
    assert_eq!(
        tunedeck::dataset::vertex::editor_tag(&with).as_deref(),
        Some("+sys")
    );
    let without = tunedeck::dataset::vertex::VertexExample::from_editor(&with)
        .with_system_instruction(None)
        .to_editor();
    assert_eq!(without, pair);
    // Pair formats cannot hold it; Vertex JSONL can.
    use tunedeck::dataset::format::first_unkept;
    assert_eq!(
        first_unkept(&[pair.clone(), with.clone()], Format::Jsonl),
        Some(2)
    );
    assert_eq!(first_unkept(&[pair, with], Format::Vertex), None);
}
