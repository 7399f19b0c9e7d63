//! Vertex AI's preference (DPO) tuning JSONL (the guide's "Prepare preference tuning data"): one
//! example a line, `contents` of text turns ending with a user turn (the prompt), an optional
//! `system_instruction`, and `completions`: two model turns scored 1 (preferred) and 0
//! (rejected). An example is kept as the JSON it was read from, so earlier turns and fields the
//! editor does not show are written back as they came; the editor holds its last user turn, its
//! preferred answer and its rejected answer.
//!
//! Reading fails only on what makes a line no preference example at all (not JSON, no
//! `contents` or `completions` list, a turn without parts, a score that is not a number); the
//! service's rules on a well-formed line (one answer of each score, ending with a user turn,
//! text only, the token limit) are the domain's (`crate::domain::preference::read_line`), run by
//! the lint.

use super::import_error::ImportError;
use super::lint::{Issue, Kind, Severity};
use super::vertex::parts_text;
use crate::api::types::{PreferenceParts, TuningExample};
use crate::domain::preference::{
    PREFERRED_SCORE as PREFERRED, REJECTED_SCORE as REJECTED, Refusal, read_line,
};
use serde_json::{Value, json};

/// One example of a preference tuning file.
#[derive(Debug, Clone, PartialEq)]
pub struct PreferenceExample {
    /// The line's JSON, as read (key order kept).
    pub raw: Value,
}

/// Every part is text only (no file, inline data or function call).
fn text_only(parts: Option<&Value>) -> bool {
    let is_text = |p: &Value| {
        p.as_object()
            .is_some_and(|o| o.len() == 1 && o.get("text").is_some_and(Value::is_string))
    };
    match parts {
        Some(Value::Array(list)) => list.iter().all(is_text),
        Some(part @ Value::Object(_)) => is_text(part),
        _ => true,
    }
}

/// A completion's score (`1`, `0`, `1.0`, …), when it is a number.
fn score_of(completion: &Value) -> Option<f64> {
    completion.get("score")?.as_f64()
}

/// A score as the file wrote it: `1` rather than `1.0` for a whole number.
fn score_json(score: f64) -> Value {
    if score.fract() == 0.0 && score.abs() < 1e15 {
        json!(score as i64)
    } else {
        json!(score)
    }
}

impl PreferenceExample {
    /// A new example: one user turn, a preferred and a rejected answer.
    pub fn new(prompt: &str, preferred: &str, rejected: &str) -> Self {
        let answer = |score: f64, text: &str| json!({"score": score_json(score), "completion": {"role": "model", "parts": [{"text": text}]}});
        PreferenceExample {
            raw: json!({
                "contents": [{"role": "user", "parts": [{"text": prompt}]}],
                "completions": [answer(PREFERRED, preferred), answer(REJECTED, rejected)],
            }),
        }
    }

    fn list(&self, key: &str) -> &[Value] {
        self.raw
            .get(key)
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// The prompt's turns as (role, text), roles lower-cased (`user` when none is given).
    pub fn turns(&self) -> Vec<(String, String)> {
        self.list("contents")
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

    /// The key the system instruction is under, if there is one.
    fn system_key(&self) -> Option<&'static str> {
        ["system_instruction", "systemInstruction"]
            .into_iter()
            .find(|k| self.raw.get(*k).is_some())
    }

    /// The system instruction's text, if any.
    pub fn system_instruction(&self) -> Option<String> {
        let key = self.system_key()?;
        Some(parts_text(self.raw.get(key).and_then(|s| s.get("parts"))))
    }

    /// Where the completion scored `score` is (the first, when several are).
    fn completion_at(&self, score: f64) -> Option<usize> {
        self.list("completions")
            .iter()
            .position(|c| score_of(c) == Some(score))
    }

    /// The text of the answer scored `score` (empty when there is none).
    pub fn answer(&self, score: f64) -> String {
        self.completion_at(score)
            .and_then(|i| self.list("completions").get(i))
            .map(|c| parts_text(c.get("completion").and_then(|m| m.get("parts"))))
            .unwrap_or_default()
    }

    /// The scores of the completions, in order (`None` for one that is not a whole number).
    pub fn scores(&self) -> Vec<Option<f64>> {
        self.list("completions").iter().map(score_of).collect()
    }

    /// Every turn of the prompt, the system instruction and every completion are text only.
    pub fn is_text_only(&self) -> bool {
        let system = self
            .system_key()
            .and_then(|k| self.raw.get(k))
            .is_none_or(|s| text_only(s.get("parts")));
        system
            && self
                .list("contents")
                .iter()
                .all(|c| text_only(c.get("parts")))
            && self
                .list("completions")
                .iter()
                .all(|c| text_only(c.get("completion").and_then(|m| m.get("parts"))))
    }

    /// Where the prompt's last user turn is.
    fn last_user(&self) -> Option<usize> {
        self.turns().iter().rposition(|(r, _)| r == "user")
    }

    /// The example as the editor holds it: the last user turn, the preferred answer, and the
    /// rejected answer with the whole line beside them.
    pub fn to_editor(&self) -> TuningExample {
        let turns = self.turns();
        let prompt = self
            .last_user()
            .map_or(String::new(), |i| turns[i].1.clone());
        TuningExample {
            preference: Some(Box::new(PreferenceParts {
                rejected: self.answer(REJECTED),
                line: self.to_line(),
            })),
            ..TuningExample::new(prompt, self.answer(PREFERRED))
        }
    }

    /// The example the editor holds: its kept line with the last user turn and the two answers
    /// set to the texts as edited (left as they were, parts and all, when unchanged). A pair
    /// (an example from another format) becomes a new example with an empty rejected answer.
    pub fn from_editor(example: &TuningExample) -> Self {
        let Some(parts) = &example.preference else {
            return PreferenceExample::new(&example.text_input, &example.output, "");
        };
        let Ok(raw) = serde_json::from_str::<Value>(&parts.line) else {
            return PreferenceExample::new(&example.text_input, &example.output, &parts.rejected);
        };
        let mut out = PreferenceExample { raw };
        out.set_prompt(&example.text_input);
        out.set_answer(PREFERRED, &example.output);
        out.set_answer(REJECTED, &parts.rejected);
        out
    }

    /// Sets the last user turn's text (adds a user turn when there is none and text is given).
    fn set_prompt(&mut self, text: &str) {
        let turns = self.turns();
        let at = self.last_user();
        if at.is_some_and(|i| turns[i].1 == text) || (at.is_none() && text.is_empty()) {
            return;
        }
        let Some(object) = self.raw.as_object_mut() else {
            return;
        };
        let contents = object.entry("contents").or_insert_with(|| json!([]));
        let Some(list) = contents.as_array_mut() else {
            return;
        };
        match at
            .and_then(|i| list.get_mut(i))
            .and_then(Value::as_object_mut)
        {
            Some(turn) => {
                turn.insert("parts".into(), json!([{"text": text}]));
            }
            None => list.push(json!({"role": "user", "parts": [{"text": text}]})),
        }
    }

    /// Sets the text of the answer scored `score` (adds one when there is none and text is
    /// given).
    fn set_answer(&mut self, score: f64, text: &str) {
        let at = self.completion_at(score);
        if (at.is_some() && self.answer(score) == text) || (at.is_none() && text.is_empty()) {
            return;
        }
        let Some(object) = self.raw.as_object_mut() else {
            return;
        };
        let completions = object.entry("completions").or_insert_with(|| json!([]));
        let Some(list) = completions.as_array_mut() else {
            return;
        };
        let slot = at
            .and_then(|i| list.get_mut(i))
            .and_then(Value::as_object_mut)
            .and_then(|c| c.get_mut("completion"))
            .and_then(Value::as_object_mut);
        match slot {
            Some(completion) => {
                completion.insert("parts".into(), json!([{"text": text}]));
            }
            None => list.push(
                json!({"score": score_json(score), "completion": {"role": "model", "parts": [{"text": text}]}}),
            ),
        }
    }

    /// The same example with the preferred and the rejected answer exchanged: the scores
    /// swap, each answer keeps its parts.
    pub fn swapped(&self) -> Self {
        let mut raw = self.raw.clone();
        if let Some(list) = raw.get_mut("completions").and_then(Value::as_array_mut) {
            for completion in list.iter_mut() {
                let swapped = match score_of(completion) {
                    Some(s) if s == PREFERRED => REJECTED,
                    Some(s) if s == REJECTED => PREFERRED,
                    _ => continue,
                };
                if let Some(c) = completion.as_object_mut() {
                    c.insert("score".into(), score_json(swapped));
                }
            }
        }
        PreferenceExample { raw }
    }

    /// The same example with this system instruction (`None` or blank: without one), under
    /// the key the line already uses (`system_instruction`, the guide's, for a new one).
    pub fn with_system_instruction(&self, text: Option<&str>) -> Self {
        let key = self.system_key().unwrap_or("system_instruction");
        let mut raw = self.raw.clone();
        if let Some(object) = raw.as_object_mut() {
            match text.map(str::trim).filter(|t| !t.is_empty()) {
                Some(text) => {
                    object.insert(key.into(), json!({"parts": [{"text": text}]}));
                }
                None => {
                    object.remove(key);
                }
            }
        }
        PreferenceExample { raw }
    }

    /// The line as written back.
    pub fn to_line(&self) -> String {
        serde_json::to_string(&self.raw).unwrap_or_default()
    }
}

/// The editor's example with its answers exchanged (undoable as any edit).
pub fn swap_in_editor(example: &TuningExample) -> TuningExample {
    PreferenceExample::from_editor(example)
        .swapped()
        .to_editor()
}

/// True when the text looks like a preference tuning file (its first example has
/// `completions`): checked before [`super::vertex::is_vertex_jsonl`], which a preference line
/// (it has `contents` too) would also pass.
pub fn is_preference_jsonl(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .and_then(|l| serde_json::from_str::<Value>(l).ok())
        .is_some_and(|v| v.get("completions").is_some())
}

/// Reads a preference JSONL file; the first bad line fails the whole read, naming the file,
/// the line and the field.
pub fn parse(file: &str, text: &str) -> Result<Vec<PreferenceExample>, ImportError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let fail = |column: usize, reason: String| ImportError {
            file: file.to_owned(),
            line: i + 1,
            column,
            reason,
            csv_columns: None,
        };
        let raw: Value = serde_json::from_str(line).map_err(|e| {
            let text = e.to_string();
            let reason = text
                .rfind(" at line ")
                .map_or(text.as_str(), |at| &text[..at]);
            fail(e.column(), format!("not valid JSON: {reason}"))
        })?;
        if !raw.is_object() {
            return Err(fail(0, "expected a JSON object a line".into()));
        }
        let Some(contents) = raw.get("contents").and_then(Value::as_array) else {
            return Err(fail(
                0,
                "no \"contents\" list: a preference example needs its prompt's turns".into(),
            ));
        };
        // Roles, scores of 1 and 0 and the rest are the domain's rules, which the lint runs:
        // here only what makes the line unreadable as a prompt and answers.
        for (j, content) in contents.iter().enumerate() {
            if content.get("parts").is_none() {
                return Err(fail(0, format!("contents[{j}] has no \"parts\"")));
            }
        }
        let Some(completions) = raw.get("completions").and_then(Value::as_array) else {
            return Err(fail(
                0,
                "no \"completions\" list: a preference example needs a preferred and a rejected answer".into(),
            ));
        };
        for (k, completion) in completions.iter().enumerate() {
            if !completion.get("score").is_some_and(Value::is_number) {
                return Err(fail(
                    0,
                    format!("completions[{k}].score must be a number (1 preferred, 0 rejected)"),
                ));
            }
            if completion
                .get("completion")
                .is_none_or(|c| c.get("parts").is_none())
            {
                return Err(fail(
                    0,
                    format!("completions[{k}].completion has no \"parts\""),
                ));
            }
        }
        out.push(PreferenceExample { raw });
    }
    Ok(out)
}

/// The examples as a preference JSONL file.
pub fn to_jsonl(examples: &[PreferenceExample]) -> String {
    examples.iter().map(|e| e.to_line() + "\n").collect()
}

/// The editor's examples as a preference JSONL file.
pub fn editor_to_jsonl(examples: &[TuningExample]) -> String {
    examples
        .iter()
        .map(|e| PreferenceExample::from_editor(e).to_line() + "\n")
        .collect()
}

/// Each example of a preference file as the editor holds it, with the line it was read from,
/// so saving writes the lines nobody edited back byte for byte.
pub fn kept_lines(text: &str) -> std::collections::HashMap<TuningExample, String> {
    super::kept_lines::kept_lines_with(text, |raw| PreferenceExample { raw }.to_editor())
}

impl PreferenceExample {
    /// The service's rules on this line, read as the emulator and `tunedeck tune` read it
    /// ([`read_line`], which runs [`crate::domain::preference::check_example`]).
    pub fn check(&self) -> Result<(), Refusal> {
        read_line(&self.to_line()).map(|_| ())
    }
}

/// The service's rules on every example (each finding names it by its index; the front ends
/// say "example N" or "line N") and Vertex AI's limits on the file, plus two warnings the
/// service does not give: an empty answer, and the same text preferred and rejected.
pub fn lint(examples: &[PreferenceExample], file_bytes: u64) -> Vec<Issue> {
    let mut issues = super::vertex::file_limit_issues(examples.len(), file_bytes);
    for (i, example) in examples.iter().enumerate() {
        if let Err(refusal) = example.check() {
            let kind = match refusal {
                // Over the token limit, the service drops the example and trains on the rest.
                Refusal::Dropped(_) => Kind::InputTooLong,
                Refusal::Bad(_) => Kind::Format,
            };
            issues.push(Issue {
                index: Some(i),
                severity: Severity::Error,
                kind,
                message: refusal.to_string(),
            });
            continue;
        }
        let (preferred, rejected) = (example.answer(PREFERRED), example.answer(REJECTED));
        let warn = |kind, message: &str| Issue {
            index: Some(i),
            severity: Severity::Warning,
            kind,
            message: message.to_owned(),
        };
        if preferred.trim().is_empty() || rejected.trim().is_empty() {
            issues.push(warn(
                Kind::EmptyOutput,
                "an answer is empty: the preferred and the rejected answer both need text",
            ));
        } else if preferred == rejected {
            issues.push(warn(
                Kind::Duplicate,
                "the preferred and the rejected answer are the same: nothing to learn from it",
            ));
        }
    }
    issues
}

/// [`lint`] on the editor's examples, its file's size estimated from the lines.
pub fn editor_lint(examples: &[TuningExample]) -> Vec<Issue> {
    let lines: Vec<PreferenceExample> = examples
        .iter()
        .map(PreferenceExample::from_editor)
        .collect();
    let bytes = lines.iter().map(|l| l.to_line().len() as u64 + 1).sum();
    lint(&lines, bytes)
}

/// What the editor says of an example beyond its prompt: `3 turns · system instruction`.
pub fn editor_note(example: &TuningExample) -> Option<String> {
    example.preference.as_ref()?;
    let example = PreferenceExample::from_editor(example);
    let mut parts = vec![crate::domain::words::count(
        example.turns().len() as u64,
        "turn",
    )];
    if example.system_instruction().is_some() {
        parts.push("system instruction".to_owned());
    }
    if !example.is_text_only() {
        parts.push("parts that are not text".to_owned());
    }
    Some(parts.join(" · "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRUIT: &str = r#"{"system_instruction":{"parts":[{"text":"You are a chat bot."}]},"contents":[{"role":"user","parts":[{"text":"What is my favorite fruit?"}]}],"completions":[{"score":1,"completion":{"role":"model","parts":[{"text":"Apple! Apple! Apple!"}]}},{"score":0,"completion":{"role":"model","parts":[{"text":"Your favorite fruit is apple."}]}}],"x_note":"kept"}"#;

    #[test]
    fn a_line_reads_as_prompt_preferred_and_rejected_and_goes_back_unchanged() {
        let read = parse("fruit.jsonl", &format!("{FRUIT}\n\n")).unwrap();
        assert_eq!(read.len(), 1);
        assert_eq!(to_jsonl(&read), format!("{FRUIT}\n"));
        let editor = read[0].to_editor();
        assert_eq!(editor.text_input, "What is my favorite fruit?");
        assert_eq!(editor.output, "Apple! Apple! Apple!");
        let parts = editor.preference.as_ref().unwrap();
        assert_eq!(parts.rejected, "Your favorite fruit is apple.");
        assert_eq!(PreferenceExample::from_editor(&editor).to_line(), FRUIT);
        assert_eq!(
            read[0].system_instruction().as_deref(),
            Some("You are a chat bot.")
        );
        assert!(is_preference_jsonl(&format!("\n{FRUIT}\n")));
        assert!(!is_preference_jsonl(
            r#"{"contents":[{"role":"user","parts":[{"text":"a"}]}]}"#
        ));
    }

    #[test]
    fn edits_change_only_their_text_and_keep_unknown_fields() {
        let editor = parse("f.jsonl", FRUIT).unwrap()[0].to_editor();
        let mut edited = editor.clone();
        edited.text_input = "And mine?".into();
        if let Some(parts) = edited.preference.as_mut() {
            parts.rejected = "Bananas.".into();
        }
        let back = PreferenceExample::from_editor(&edited);
        assert_eq!(back.raw["x_note"], "kept");
        assert_eq!(back.turns(), vec![("user".into(), "And mine?".into())]);
        assert_eq!(back.answer(PREFERRED), "Apple! Apple! Apple!");
        assert_eq!(back.answer(REJECTED), "Bananas.");
        assert_eq!(
            back.system_instruction().as_deref(),
            Some("You are a chat bot.")
        );
    }

    #[test]
    fn swapping_exchanges_the_scores_and_twice_is_the_same_line() {
        let editor = parse("f.jsonl", FRUIT).unwrap()[0].to_editor();
        let swapped = swap_in_editor(&editor);
        assert_eq!(swapped.output, "Your favorite fruit is apple.");
        assert_eq!(
            swapped.preference.as_ref().unwrap().rejected,
            "Apple! Apple! Apple!"
        );
        assert_eq!(
            PreferenceExample::from_editor(&swapped).scores(),
            vec![Some(0.0), Some(1.0)]
        );
        let back = swap_in_editor(&swapped);
        assert_eq!(PreferenceExample::from_editor(&back).to_line(), FRUIT);
    }

    #[test]
    fn a_bad_line_fails_the_read_naming_line_and_field() {
        let good = FRUIT;
        let cases = [
            ("{not json", "not valid JSON"),
            (r#"{"contents":[]}"#, "no \"completions\" list"),
            (r#"{"completions":[]}"#, "no \"contents\" list"),
            (
                r#"{"contents":[{"role":"user"}],"completions":[]}"#,
                "contents[0] has no \"parts\"",
            ),
            (
                r#"{"contents":[],"completions":[{"score":"1","completion":{"parts":[]}}]}"#,
                "completions[0].score",
            ),
            (
                r#"{"contents":[],"completions":[{"score":1,"completion":{"parts":[]}},{"score":0}]}"#,
                "completions[1].completion",
            ),
        ];
        for (bad, field) in cases {
            let text = format!("{good}\n\n{bad}\n");
            let error = parse("prefs.jsonl", &text).unwrap_err();
            assert_eq!(error.line, 3, "{bad}");
            assert!(error.reason.contains(field), "{bad}: {}", error.reason);
            assert!(error.to_string().starts_with("prefs.jsonl:3"), "{error}");
        }
    }

    #[test]
    fn the_lint_gives_the_domains_reasons_by_example_and_the_file_limits() {
        let good = parse("f.jsonl", FRUIT).unwrap().remove(0);
        let two_preferred = good.swapped().with_system_instruction(None);
        let mut two_preferred = two_preferred;
        two_preferred.raw["completions"][0]["score"] = json!(1);
        let mut bot = good.clone();
        bot.raw["contents"][0]["role"] = json!("bot");
        let mut image = good.clone();
        image.raw["contents"][0]["parts"] = json!([{"fileData": {"fileUri": "gs://b/x.png"}}]);
        let same = PreferenceExample::new("Hi", "Hello", "Hello");
        let examples = [good.clone(), two_preferred, bot, image, same];
        let issues = lint(&examples, 100);
        let at = |i: usize| -> Vec<&str> {
            issues
                .iter()
                .filter(|x| x.index == Some(i))
                .map(|x| x.message.as_str())
                .collect()
        };
        assert!(at(0).is_empty(), "{:?}", at(0));
        assert!(
            at(1)[0].contains("2 preferred and 0 rejected"),
            "{:?}",
            at(1)
        );
        assert!(at(2)[0].contains("role \"bot\""), "{:?}", at(2));
        assert!(at(3)[0].contains("text only"), "{:?}", at(3));
        assert!(at(4)[0].contains("are the same"), "{:?}", at(4));
        assert_eq!(
            issues.iter().find(|x| x.index == Some(4)).unwrap().severity,
            Severity::Warning
        );
        let long = PreferenceExample::new(&"x".repeat(4 * 131_072), "a", "bb");
        assert!(lint(&[long], 10)[0].message.contains("tokens"));
        assert_eq!(lint(&[], 0)[0].kind, Kind::Empty);
        assert!(
            lint(&[good], crate::domain::vertex::MAX_TRAINING_FILE_BYTES + 1)
                .iter()
                .any(|i| i.index.is_none() && i.message.contains("1 GB"))
        );
    }

    #[test]
    fn a_pair_and_an_empty_example_become_preference_lines() {
        let pair = TuningExample::new("Hi", "Hello!");
        let line = PreferenceExample::from_editor(&pair);
        assert_eq!(line.answer(PREFERRED), "Hello!");
        assert_eq!(line.answer(REJECTED), "");
        assert_eq!(line.scores(), vec![Some(1.0), Some(0.0)]);
        let blank = PreferenceExample::new("", "", "").to_editor();
        let mut typed = blank.clone();
        typed.text_input = "Q".into();
        assert_eq!(PreferenceExample::from_editor(&typed).turns().len(), 1);
        let text = editor_to_jsonl(&[typed]);
        let read = parse("new.jsonl", &text).unwrap();
        assert_eq!(read[0].to_editor().text_input, "Q");
    }

    #[test]
    fn system_instruction_is_set_under_the_key_in_use_and_removed() {
        let read = parse("f.jsonl", FRUIT).unwrap();
        let changed = read[0].with_system_instruction(Some("Be brief."));
        assert_eq!(
            changed.raw["system_instruction"]["parts"][0]["text"],
            "Be brief."
        );
        assert!(changed.raw.get("systemInstruction").is_none());
        let removed = changed.with_system_instruction(None);
        assert!(removed.system_instruction().is_none());
    }
}
