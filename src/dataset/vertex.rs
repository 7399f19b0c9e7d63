//! Vertex AI's tuning JSONL (the guide's "Prepare supervised fine-tuning data"): one example a
//! line, `contents` of `user` and `model` turns with `parts`, an optional `systemInstruction`, and
//! whatever else the service takes (`tools`, …). An example is kept as the JSON it was read from,
//! so a multi-turn example, or one with parts the editor cannot show, is written back exactly as it
//! came; only an example that is one text turn each way reads as a `text_input`/`output` pair.

use super::import_error::ImportError;
use super::lint::{Issue, Kind, Severity};
use crate::api::types::TuningExample;
use crate::domain::vertex::{
    MAX_TOKENS_PER_EXAMPLE, MAX_TRAINING_EXAMPLES, MAX_TRAINING_FILE_BYTES, estimate_tokens,
};
use serde_json::{Value, json};

/// One example of a Vertex tuning file.
#[derive(Debug, Clone, PartialEq)]
pub struct VertexExample {
    /// The line's JSON, as read (key order kept).
    pub raw: Value,
}

/// The text of a `parts` value: a list of parts, or one part given as an object (preference
/// lines read their turns with it too).
pub(super) fn parts_text(parts: Option<&Value>) -> String {
    let text_of = |p: &Value| {
        p.get("text")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    match parts {
        Some(Value::Array(list)) => list.iter().map(text_of).collect(),
        Some(part @ Value::Object(_)) => text_of(part),
        _ => String::new(),
    }
}

/// A turn's parts are all text (no file, inline data or function call).
fn text_only(parts: Option<&Value>) -> bool {
    let is_text = |p: &Value| {
        p.as_object()
            .is_some_and(|o| o.len() == 1 && o.contains_key("text"))
    };
    match parts {
        Some(Value::Array(list)) => list.iter().all(is_text),
        Some(part @ Value::Object(_)) => is_text(part),
        _ => false,
    }
}

impl VertexExample {
    /// The example a pair makes: one user turn, one model turn.
    pub fn from_pair(example: &TuningExample) -> Self {
        VertexExample {
            raw: json!({"contents": [
                {"role": "user", "parts": [{"text": example.text_input}]},
                {"role": "model", "parts": [{"text": example.output}]},
            ]}),
        }
    }

    fn contents(&self) -> &[Value] {
        self.raw
            .get("contents")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// The turns as (role, text), roles lower-cased.
    pub fn turns(&self) -> Vec<(String, String)> {
        self.contents()
            .iter()
            .map(|c| {
                let role = c
                    .get("role")
                    .and_then(Value::as_str)
                    .unwrap_or("user")
                    .to_lowercase();
                (role, parts_text(c.get("parts")))
            })
            .collect()
    }

    /// The system instruction's text, if any.
    pub fn system_instruction(&self) -> Option<String> {
        self.raw
            .get("systemInstruction")
            .or_else(|| self.raw.get("system_instruction"))
            .map(|s| parts_text(s.get("parts")))
    }

    /// The pair this example is, when it is exactly one text turn each way with nothing else.
    pub fn as_pair(&self) -> Option<TuningExample> {
        let object = self.raw.as_object()?;
        if object.keys().any(|k| k != "contents") {
            return None;
        }
        let contents = self.contents();
        if contents.len() != 2 || !contents.iter().all(|c| text_only(c.get("parts"))) {
            return None;
        }
        match self.turns().as_slice() {
            [(u, input), (m, output)] if u == "user" && m == "model" => {
                Some(TuningExample::new(input.clone(), output.clone()))
            }
            _ => None,
        }
    }

    /// Estimated tokens of every turn and the system instruction (see `estimate_tokens`).
    pub fn tokens(&self) -> usize {
        self.turns()
            .iter()
            .map(|(_, t)| estimate_tokens(t))
            .sum::<usize>()
            + self.system_instruction().map_or(0, |s| estimate_tokens(&s))
    }

    /// The example as the dataset editor holds it: a pair when it is one, else its first
    /// user turn and last model turn with the whole line kept beside them.
    pub fn to_editor(&self) -> TuningExample {
        if let Some(pair) = self.as_pair() {
            return pair;
        }
        let turns = self.turns();
        let first_user = turns.iter().find(|(r, _)| r == "user");
        let last_model = turns.iter().rev().find(|(r, _)| r == "model");
        TuningExample {
            vertex: Some(self.to_line()),
            ..TuningExample::new(
                first_user.map_or("", |(_, t)| t.as_str()),
                last_model.map_or("", |(_, t)| t.as_str()),
            )
        }
    }

    /// The example the editor's holds: a pair becomes one user and one model turn; a kept
    /// line is written back with its first user turn and last model turn set to the texts as
    /// edited (left as they were, parts and all, when unchanged).
    pub fn from_editor(example: &TuningExample) -> Self {
        let Some(raw) = example
            .vertex
            .as_deref()
            .and_then(|line| serde_json::from_str::<Value>(line).ok())
        else {
            return VertexExample::from_pair(example);
        };
        let mut out = VertexExample { raw };
        let turns = out.turns();
        let first_user = turns.iter().position(|(r, _)| r == "user");
        let last_model = turns.iter().rposition(|(r, _)| r == "model");
        for (at, text) in [
            (first_user, &example.text_input),
            (last_model, &example.output),
        ] {
            if let Some(at) = at
                && turns[at].1 != *text
                && let Some(turn) = out
                    .raw
                    .get_mut("contents")
                    .and_then(|c| c.get_mut(at))
                    .and_then(Value::as_object_mut)
            {
                turn.insert("parts".into(), json!([{"text": text}]));
            }
        }
        out
    }

    /// What a model is asked to continue when this example is evaluated: every turn before the
    /// last model turn (whose text is the expected answer), and the system instruction.
    pub fn prompt(&self) -> (Vec<crate::api::types::Content>, Option<String>) {
        let contents = self.contents();
        let last_model = contents
            .iter()
            .rposition(|c| {
                c.get("role")
                    .and_then(Value::as_str)
                    .is_some_and(|r| r.eq_ignore_ascii_case("model"))
            })
            .unwrap_or(contents.len());
        let turns = contents[..last_model]
            .iter()
            .filter_map(|c| serde_json::from_value(c.clone()).ok())
            .collect();
        (turns, self.system_instruction())
    }

    /// The same example with this system instruction (`None` or blank: without one).
    pub fn with_system_instruction(&self, text: Option<&str>) -> Self {
        let mut raw = self.raw.clone();
        if let Some(object) = raw.as_object_mut() {
            object.remove("system_instruction");
            match text.map(str::trim).filter(|t| !t.is_empty()) {
                Some(text) => {
                    object.insert(
                        "systemInstruction".into(),
                        json!({"role": "system", "parts": [{"text": text}]}),
                    );
                }
                None => {
                    object.remove("systemInstruction");
                }
            }
        }
        VertexExample { raw }
    }

    /// The line as written back.
    pub fn to_line(&self) -> String {
        serde_json::to_string(&self.raw).unwrap_or_default()
    }
}

/// The Dataset tab's findings with Vertex AI chosen: the pair lint's findings about the
/// examples themselves (empty, duplicates, whitespace, prefixes) without the Gemini API's
/// limits, and Vertex AI's limits instead.
pub fn editor_lint(examples: &[TuningExample], pair_findings: Vec<Issue>) -> Vec<Issue> {
    let mut issues: Vec<Issue> = pair_findings
        .into_iter()
        .filter(|i| {
            !matches!(
                i.kind,
                Kind::InputTooLong
                    | Kind::OutputTooLong
                    | Kind::TooFew
                    | Kind::TooLarge
                    | Kind::Empty
            )
        })
        .collect();
    // Run after every edit, on the UI task: a pair is measured from its texts, a kept line
    // read without building a JSON tree (`editor_facts`).
    let facts: Vec<ExampleFacts> = examples.iter().map(editor_facts).collect();
    let bytes = estimated_jsonl_bytes(examples);
    if (1..crate::domain::vertex::RECOMMENDED_EXAMPLES).contains(&examples.len()) {
        issues.push(Issue {
            index: None,
            severity: Severity::Warning,
            kind: Kind::TooFew,
            message: format!(
                "{} examples; Vertex AI's guide suggests starting with about {}",
                examples.len(),
                crate::domain::vertex::RECOMMENDED_EXAMPLES
            ),
        });
    }
    issues.extend(limit_issues(examples.len(), bytes, facts.into_iter()));
    issues
}

/// The size of the examples as a Vertex JSONL file, without writing it: a kept line's length,
/// and for a pair its texts' lengths (exact unless they hold characters JSON escapes) and the
/// 91 bytes of `{"contents":[{"role":"user","parts":[{"text":""}]},…]}`; a newline each.
pub fn estimated_jsonl_bytes(examples: &[TuningExample]) -> u64 {
    const PAIR_LINE_BYTES: u64 = 91;
    examples
        .iter()
        .map(|e| match &e.vertex {
            Some(line) => line.len() as u64 + 1,
            None => (e.text_input.len() + e.output.len()) as u64 + PAIR_LINE_BYTES + 1,
        })
        .sum()
}

/// What the editor says of an example beyond its pair: `4 turns · system instruction`, or
/// `None` for a plain pair.
pub fn editor_note(example: &TuningExample) -> Option<String> {
    example.vertex.as_ref()?;
    let vertex = VertexExample::from_editor(example);
    let mut parts = vec![crate::domain::words::count(
        vertex.turns().len() as u64,
        "turn",
    )];
    if vertex.system_instruction().is_some() {
        parts.push("system instruction".to_owned());
    }
    if !vertex.contents().iter().all(|c| text_only(c.get("parts"))) {
        parts.push("parts that are not text".to_owned());
    }
    Some(parts.join(" · "))
}

/// [`editor_note`] short enough for a table cell: `4 turns +sys`.
pub fn editor_tag(example: &TuningExample) -> Option<String> {
    example.vertex.as_ref()?;
    let vertex = VertexExample::from_editor(example);
    let turns = vertex.turns().len();
    let mut tag = if turns == 2 {
        String::new()
    } else {
        format!("{turns} turns")
    };
    if vertex.system_instruction().is_some() {
        tag.push_str(if tag.is_empty() { "+sys" } else { " +sys" });
    }
    if tag.is_empty() {
        tag.push_str("+parts");
    }
    Some(tag)
}

/// The request that evaluates `model` on an example: its text_input as the prompt, or for a
/// Vertex AI example with more turns, its conversation up to the last model turn and its system
/// instruction (unless the settings give one). The dashboard's and `tunedeck eval`'s one way.
pub fn eval_request(
    model: &crate::domain::generation::TargetModel,
    example: &TuningExample,
    settings: &crate::domain::generation::GenerationSettings,
) -> Result<crate::api::types::GenerateContentRequest, crate::domain::generation::RequestProblem> {
    let mut request =
        crate::domain::generation::build_request(model, &example.text_input, settings)?;
    if example.vertex.is_some() {
        let (contents, system) = VertexExample::from_editor(example).prompt();
        if !contents.is_empty() {
            request.contents = contents;
        }
        if request.system_instruction.is_none() {
            request.system_instruction = system.map(|s| crate::api::types::Content {
                parts: vec![crate::api::types::Part::text(s)],
                role: None,
            });
        }
    }
    Ok(request)
}

/// True when the text looks like a Vertex tuning file (its first example has `contents`).
pub fn is_vertex_jsonl(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .and_then(|l| serde_json::from_str::<Value>(l).ok())
        .is_some_and(|v| v.get("contents").is_some())
}

/// Reads a Vertex JSONL file; the first bad line fails the whole read, naming it.
pub fn parse(file: &str, text: &str) -> Result<Vec<VertexExample>, ImportError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fail = |reason: String| ImportError {
            file: file.to_owned(),
            line: i + 1,
            column: 0,
            reason,
            csv_columns: None,
        };
        let raw: Value = serde_json::from_str(line).map_err(|e| fail(format!("not JSON: {e}")))?;
        let example = VertexExample { raw };
        let Some(contents) = example.raw.get("contents").and_then(Value::as_array) else {
            return Err(fail(
                "no \"contents\" list: not a Vertex tuning example".into(),
            ));
        };
        for (j, content) in contents.iter().enumerate() {
            match content
                .get("role")
                .and_then(Value::as_str)
                .map(str::to_lowercase)
            {
                None => {}
                Some(role) if role == "user" || role == "model" => {}
                Some(role) => {
                    return Err(fail(format!(
                        "contents[{j}].role is {role:?}; it must be \"user\" or \"model\""
                    )));
                }
            }
            if content.get("parts").is_none() {
                return Err(fail(format!("contents[{j}] has no \"parts\"")));
            }
        }
        out.push(example);
    }
    Ok(out)
}

/// The examples as a Vertex JSONL file.
pub fn to_jsonl(examples: &[VertexExample]) -> String {
    examples.iter().map(|e| e.to_line() + "\n").collect()
}

/// Pairs as a Vertex JSONL file.
pub fn pairs_to_jsonl(examples: &[TuningExample]) -> String {
    examples
        .iter()
        .map(|e| VertexExample::from_pair(e).to_line() + "\n")
        .collect()
}

/// The pairs of a Vertex file, or the first example that is not one (by line of the file's
/// examples, from 1), for converting to the pair formats.
pub fn to_pairs(examples: &[VertexExample]) -> Result<Vec<TuningExample>, (usize, String)> {
    examples
        .iter()
        .enumerate()
        .map(|(i, e)| {
            e.as_pair().ok_or_else(|| {
                let turns = e.turns().len();
                (
                    i + 1,
                    format!(
                        "example {} has {turns} turns{}; only one user turn and one model turn of text convert to a text_input/output pair",
                        i + 1,
                        if e.system_instruction().is_some() {
                            " and a system instruction"
                        } else {
                            ""
                        }
                    ),
                )
            })
        })
        .collect()
}

/// Vertex's limits (the supervised-tuning guide), each finding naming the example: no examples, too
/// many, an example over the token limit (estimated), an example with no model turn, a file over 1
/// GB.
pub fn lint(examples: &[VertexExample], file_bytes: u64) -> Vec<Issue> {
    let facts = examples.iter().map(|e| ExampleFacts {
        tokens: e.tokens(),
        has_model_turn: e.turns().iter().any(|(r, _)| r == "model"),
    });
    limit_issues(examples.len(), file_bytes, facts)
}

/// What Vertex AI's limits look at in one example.
#[derive(Debug, PartialEq)]
struct ExampleFacts {
    tokens: usize,
    has_model_turn: bool,
}

/// A kept line as the limits read it: turns and their parts' texts, borrowed from the line
/// where no escape forces a copy; anything else in it is skipped unread.
#[derive(serde::Deserialize)]
struct LineView<'a> {
    #[serde(borrow, default)]
    contents: Vec<TurnView<'a>>,
    #[serde(
        borrow,
        default,
        rename = "systemInstruction",
        alias = "system_instruction"
    )]
    system_instruction: Option<TurnView<'a>>,
}

#[derive(serde::Deserialize)]
struct TurnView<'a> {
    #[serde(borrow, default)]
    role: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    parts: Vec<PartView<'a>>,
}

#[derive(serde::Deserialize)]
struct PartView<'a> {
    #[serde(borrow, default)]
    text: Option<std::borrow::Cow<'a, str>>,
}

impl TurnView<'_> {
    fn chars(&self) -> usize {
        self.parts
            .iter()
            .filter_map(|p| p.text.as_deref())
            .map(|t| t.chars().count())
            .sum()
    }

    /// The role as `turns` reads it: `user` when none is given, any case.
    fn is(&self, role: &str) -> bool {
        self.role
            .as_deref()
            .unwrap_or("user")
            .eq_ignore_ascii_case(role)
    }
}

/// The facts of an example as the editor holds it, equal to those of
/// `VertexExample::from_editor(example)`: its first user turn and last model turn count as the
/// texts edited. A line the view cannot read (a part given as one object, say) is read whole.
fn editor_facts(example: &TuningExample) -> ExampleFacts {
    let tokens_of = |chars: usize| chars.div_ceil(4);
    let Some(line) = &example.vertex else {
        return ExampleFacts {
            tokens: estimate_tokens(&example.text_input) + estimate_tokens(&example.output),
            has_model_turn: true,
        };
    };
    let Ok(view) = serde_json::from_str::<LineView>(line) else {
        let vertex = VertexExample::from_editor(example);
        return ExampleFacts {
            tokens: vertex.tokens(),
            has_model_turn: vertex.turns().iter().any(|(r, _)| r == "model"),
        };
    };
    let first_user = view.contents.iter().position(|t| t.is("user"));
    let last_model = view.contents.iter().rposition(|t| t.is("model"));
    let turns: usize = view
        .contents
        .iter()
        .enumerate()
        .map(|(i, turn)| {
            if Some(i) == first_user {
                estimate_tokens(&example.text_input)
            } else if Some(i) == last_model {
                estimate_tokens(&example.output)
            } else {
                tokens_of(turn.chars())
            }
        })
        .sum();
    ExampleFacts {
        tokens: turns + view.system_instruction.map_or(0, |s| tokens_of(s.chars())),
        has_model_turn: last_model.is_some(),
    }
}

/// Vertex AI's limits on a whole training file of `count` examples and `file_bytes`: at least
/// one example, at most the example limit, at most 1 GB. The same for supervised and
/// preference files.
pub fn file_limit_issues(count: usize, file_bytes: u64) -> Vec<Issue> {
    let mut issues = Vec::new();
    let mut push = |kind, message: String| {
        issues.push(Issue {
            index: None,
            severity: Severity::Error,
            kind,
            message,
        });
    };
    if count == 0 {
        push(
            Kind::Empty,
            "no examples: Vertex AI needs at least one".into(),
        );
    }
    if count > MAX_TRAINING_EXAMPLES {
        push(
            Kind::TooLarge,
            format!(
                "{count} examples; Vertex AI takes at most {MAX_TRAINING_EXAMPLES} text examples"
            ),
        );
    }
    if file_bytes > MAX_TRAINING_FILE_BYTES {
        push(
            Kind::TooLarge,
            format!(
                "the file is {file_bytes} bytes; Vertex AI takes at most {MAX_TRAINING_FILE_BYTES} (1 GB)"
            ),
        );
    }
    issues
}

/// Vertex's limits on a set of `count` examples in a file of `file_bytes`.
fn limit_issues(
    count: usize,
    file_bytes: u64,
    examples: impl Iterator<Item = ExampleFacts>,
) -> Vec<Issue> {
    let mut issues = file_limit_issues(count, file_bytes);
    let mut push = |index: Option<usize>, kind, message: String| {
        issues.push(Issue {
            index,
            severity: Severity::Error,
            kind,
            message,
        });
    };
    for (i, example) in examples.enumerate() {
        let tokens = example.tokens;
        if tokens > MAX_TOKENS_PER_EXAMPLE {
            push(
                Some(i),
                Kind::InputTooLong,
                // The example's place is the issue's index; each front end says it its way.
                format!(
                    "about {tokens} tokens (a token per 4 characters); the limit is {MAX_TOKENS_PER_EXAMPLE}, and longer examples are dropped"
                ),
            );
        }
        if !example.has_model_turn {
            push(
                Some(i),
                Kind::EmptyOutput,
                "no model turn, so nothing to learn".to_owned(),
            );
        }
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn multi_turn_examples_survive_and_do_not_pretend_to_be_pairs() {
        let line = r#"{"systemInstruction":{"role":"system","parts":[{"text":"You are a pirate dog."}]},"contents":[{"role":"user","parts":[{"text":"Hi"}]},{"role":"model","parts":[{"text":"Argh!"}]},{"role":"user","parts":[{"text":"Name?"}]},{"role":"model","parts":[{"text":"Barktholomew"}]}]}"#;
        let examples = parse("pirate.jsonl", &format!("{line}\n")).unwrap();
        assert_eq!(
            to_jsonl(&examples),
            format!("{line}\n"),
            "written back unchanged"
        );
        assert_eq!(examples[0].turns().len(), 4);
        assert_eq!(
            examples[0].system_instruction().as_deref(),
            Some("You are a pirate dog.")
        );
        assert!(examples[0].as_pair().is_none());
        let (line_no, why) = to_pairs(&examples).unwrap_err();
        assert_eq!(line_no, 1);
        assert!(why.contains("4 turns and a system instruction"), "{why}");
        let bad = parse(
            "x.jsonl",
            "{\"contents\": []}\n{\"contents\": [{\"role\": \"bot\", \"parts\": []}]}\n",
        )
        .unwrap_err();
        assert_eq!(bad.line, 2);
        assert!(bad.reason.contains("\"bot\""));
        assert!(is_vertex_jsonl("\n{\"contents\": []}\n"));
        assert!(!is_vertex_jsonl(
            "{\"text_input\": \"a\", \"output\": \"b\"}\n"
        ));
    }

    #[test]
    fn the_lint_names_vertex_limits() {
        let long = TuningExample::new("x".repeat(4 * MAX_TOKENS_PER_EXAMPLE + 4), "y");
        let examples = vec![VertexExample::from_pair(&long)];
        let issues = lint(&examples, 10);
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].index, Some(0));
        assert!(
            issues[0].message.contains("131072"),
            "{}",
            issues[0].message
        );
        assert_eq!(lint(&[], 0)[0].kind, Kind::Empty);
        assert!(
            lint(&[], MAX_TRAINING_FILE_BYTES + 1)
                .iter()
                .any(|i| i.message.contains("1 GB"))
        );
    }

    #[test]
    fn the_size_estimate_is_the_files_size_for_plain_text() {
        let pirate = r#"{"contents":[{"role":"user","parts":[{"text":"Hi"}]},{"role":"model","parts":[{"text":"Argh"}]},{"role":"user","parts":[{"text":"?"}]},{"role":"model","parts":[{"text":"!"}]}]}"#;
        let examples = vec![
            TuningExample::new("sun", "day"),
            VertexExample {
                raw: serde_json::from_str(pirate).unwrap(),
            }
            .to_editor(),
            TuningExample::new("moon é", "night"),
        ];
        let lines: Vec<VertexExample> = examples.iter().map(VertexExample::from_editor).collect();
        assert_eq!(
            estimated_jsonl_bytes(&examples),
            to_jsonl(&lines).len() as u64
        );
    }

    #[test]
    fn the_editor_facts_equal_those_of_the_example_written_back() {
        let lines = [
            r#"{"systemInstruction":{"parts":[{"text":"Be kind, always."}]},"contents":[{"role":"user","parts":[{"text":"Hi there"}]},{"role":"model","parts":[{"text":"Argh!"},{"fileData":{"fileUri":"gs://b/x.png"}}]},{"role":"USER","parts":[{"text":"Name?"}]},{"role":"model","parts":[{"text":"Bark"}]}]}"#,
            r#"{"contents":[{"parts":[{"text":"no role: a user turn"}]},{"role":"user","parts":[{"text":"é\n\"quoted\""}]}]}"#,
            r#"{"contents":[{"role":"user","parts":{"text":"one part as an object"}},{"role":"model","parts":[{"text":"ok"}]}],"system_instruction":{"parts":[{"text":"snake"}]}}"#,
        ];
        for line in lines {
            let kept = VertexExample {
                raw: serde_json::from_str(line).unwrap(),
            }
            .to_editor();
            let edited = TuningExample {
                text_input: "a longer first turn than before".into(),
                output: "x".repeat(41),
                ..kept.clone()
            };
            for example in [kept, edited] {
                let written = VertexExample::from_editor(&example);
                let expected = ExampleFacts {
                    tokens: written.tokens(),
                    has_model_turn: written.turns().iter().any(|(r, _)| r == "model"),
                };
                assert_eq!(editor_facts(&example), expected, "{line}");
            }
        }
    }

    proptest! {
        #[test]
        fn pairs_round_trip_through_vertex_jsonl(
            pairs in proptest::collection::vec(("\\PC*", "\\PC*"), 0..20)
        ) {
            let examples: Vec<TuningExample> =
                pairs.iter().map(|(i, o)| TuningExample::new(i.clone(), o.clone())).collect();
            let file = pairs_to_jsonl(&examples);
            let read = parse("p.jsonl", &file).unwrap();
            prop_assert_eq!(to_pairs(&read).unwrap(), examples);
        }

        #[test]
        fn vertex_lines_are_written_back_unchanged(
            turns in proptest::collection::vec(("(user|model|USER)", "\\PC*"), 1..6),
            system in proptest::option::of("\\PC*"),
        ) {
            let contents: Vec<Value> = turns
                .iter()
                .map(|(role, text)| json!({"role": role, "parts": [{"text": text}]}))
                .collect();
            let mut raw = json!({"contents": contents});
            if let Some(s) = system {
                raw["systemInstruction"] = json!({"parts": [{"text": s}]});
            }
            let line = serde_json::to_string(&raw).unwrap();
            let read = parse("v.jsonl", &format!("{line}\n")).unwrap();
            prop_assert_eq!(to_jsonl(&read), format!("{line}\n"));
        }
    }
}
