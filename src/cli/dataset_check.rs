//! The one check of a dataset file that `dataset lint` and `tune` share, so that they cannot
//! disagree: what lint passes, tune sends; what lint blocks, tune refuses. It reads the file
//! (or stdin) up to the largest file a service takes, parses it, runs the lint (with Vertex
//! AI's limits when Vertex AI is chosen or the file is Vertex JSONL), and notes every number the
//! reader turns into text, naming its line.

use super::CliError;
use crate::api::types::TuningExample;
use crate::dataset::format::{self, Format};
use crate::dataset::lint::{self, Issue, Severity, Stats};
use serde_json::Value;
use std::io::Read;
use std::path::Path;

/// The most read of a dataset: the largest training file Vertex AI takes (1 GB; the Gemini
/// API's request limit is far lower, and its lint says so). A device or a stream that goes on
/// (`/dev/zero`, `yes | …`) is refused there instead of filling memory.
pub const MAX_DATASET_BYTES: u64 = crate::domain::vertex::MAX_TRAINING_FILE_BYTES;

/// A number where text belongs (`"output": 5`): the reader sends it as the text `"5"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberAsText {
    /// `line 3` for JSONL, `example 3` for a JSON array or an API request body.
    pub place: String,
    /// The line (1-based) when the format has one example a line.
    pub line: Option<usize>,
    pub index: usize,
    pub field: String,
    pub number: String,
}

impl NumberAsText {
    pub fn message(&self) -> String {
        format!(
            "{} is the number {}; it is sent as the text \"{}\" (quote it in the file to mean that)",
            self.field, self.number, self.number
        )
    }
}

/// A dataset file as `lint` and `tune` see it.
#[derive(Debug)]
pub struct Checked {
    /// The file's name for messages (`stdin` for `-`).
    pub name: String,
    /// The whole text, as read (a byte-order mark dropped).
    pub text: String,
    pub format: Format,
    pub examples: Vec<TuningExample>,
    pub issues: Vec<Issue>,
    pub stats: Stats,
    pub numbers: Vec<NumberAsText>,
    /// The line (1-based) each example was read from, for the formats with one example a
    /// line whose findings are worded by line (preference JSONL); empty for the others.
    pub example_lines: Vec<usize>,
}

impl Checked {
    pub fn errors(&self) -> usize {
        self.issues
            .iter()
            .filter(|i| i.severity == Severity::Error)
            .count()
    }

    /// Where a finding is: `line 3` where examples are known by line, else `example 3` (or
    /// `dataset`).
    pub fn place(&self, issue: &Issue) -> String {
        match issue.index.and_then(|i| self.example_lines.get(i)) {
            Some(line) => format!("line {line}"),
            None => issue_place(issue),
        }
    }

    /// Warnings: the lint's, and each number read as text.
    pub fn warnings(&self) -> usize {
        self.issues.len() - self.errors() + self.numbers.len()
    }
}

/// `example 3` or `dataset`, for a finding.
pub fn issue_place(issue: &Issue) -> String {
    issue
        .index
        .map_or("dataset".to_owned(), |i| format!("example {}", i + 1))
}

/// Reads and checks `file` (`-`: stdin). `vertex`: Vertex AI was chosen, so its limits apply
/// (a Vertex JSONL file is checked against them in any case).
pub fn check(file: &Path, vertex: bool) -> Result<Checked, CliError> {
    let stdin = file == Path::new("-");
    let name = if stdin {
        "stdin".to_owned()
    } else {
        file.display().to_string()
    };
    let bytes = read_bounded(file, &name)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        CliError::usage(format!("nothing loaded: {name}:{line}: not UTF-8 text"))
    })?;
    // A byte-order mark (Windows editors, Excel) is not part of the first line.
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    };
    let format = format::detect(file, &text);
    let examples = format::parse(&name, &text, format, None)?;
    let (mut issues, stats) = lint::lint_and_stats(&examples);
    let mut example_lines = Vec::new();
    if format == Format::Preference {
        // Preference tuning's rules, on the lines as read (parsed above, so this cannot fail).
        let lines = crate::dataset::preference::parse(&name, &text)?;
        issues = crate::dataset::preference::lint(&lines, text.len() as u64);
        example_lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, _)| i + 1)
            .collect();
    } else if vertex || format == Format::Vertex {
        issues = crate::dataset::vertex::editor_lint(&examples, issues);
    }
    let numbers = numbers_as_text(&text, format);
    Ok(Checked {
        name,
        text,
        format,
        examples,
        issues,
        stats,
        numbers,
        example_lines,
    })
}

/// The file's bytes, up to [`MAX_DATASET_BYTES`]; a NUL byte (no text dataset has one) stops
/// the read at once.
fn read_bounded(file: &Path, name: &str) -> Result<Vec<u8>, CliError> {
    let failed = |e: std::io::Error| CliError::usage(format!("nothing loaded: {name}: {e}"));
    let too_big = || {
        CliError::usage(format!(
            "nothing loaded: {name}: over {MAX_DATASET_BYTES} bytes (1 GB), the largest dataset file the services take (Vertex AI's limit; the Gemini API's is lower); split it"
        ))
    };
    let mut reader: Box<dyn Read> = if file == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        let opened = std::fs::File::open(file).map_err(failed)?;
        if let Ok(meta) = opened.metadata()
            && meta.is_file()
            && meta.len() > MAX_DATASET_BYTES
        {
            return Err(too_big());
        }
        Box::new(opened)
    };
    let mut bytes = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => return Ok(bytes),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(failed(e)),
        };
        if let Some(at) = chunk[..n].iter().position(|b| *b == 0) {
            let line = bytes.iter().filter(|b| **b == b'\n').count()
                + chunk[..at].iter().filter(|b| **b == b'\n').count()
                + 1;
            return Err(CliError::usage(format!(
                "nothing loaded: {name}:{line}: a NUL byte (at byte {}): not a text dataset",
                bytes.len() + at + 1
            )));
        }
        if bytes.len() as u64 + n as u64 > MAX_DATASET_BYTES {
            return Err(too_big());
        }
        bytes.extend_from_slice(&chunk[..n]);
    }
}

/// The field names the reader takes for an example's input and output.
const FIELDS: &[&[&str]] = &[&["text_input", "textInput"], &["output"]];

/// Every number the reader turns into text, with its place. Only the JSON formats have
/// numbers; CSV is all text, and Vertex AI's parts are read as they are.
fn numbers_as_text(text: &str, format: Format) -> Vec<NumberAsText> {
    let in_object = |value: &Value, index: usize, line: Option<usize>| -> Vec<NumberAsText> {
        let Value::Object(map) = value else {
            return Vec::new();
        };
        FIELDS
            .iter()
            .filter_map(|keys| keys.iter().find_map(|k| map.get(*k).map(|v| (*k, v))))
            .filter_map(|(field, v)| match v {
                Value::Number(n) => Some(NumberAsText {
                    place: match line {
                        Some(l) => format!("line {l}"),
                        None => format!("example {}", index + 1),
                    },
                    line,
                    index,
                    field: field.to_owned(),
                    number: n.to_string(),
                }),
                _ => None,
            })
            .collect()
    };
    match format {
        Format::Jsonl => text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .enumerate()
            .flat_map(|(index, (i, line))| {
                serde_json::from_str::<Value>(line)
                    .map(|v| in_object(&v, index, Some(i + 1)))
                    .unwrap_or_default()
            })
            .collect(),
        Format::Json => match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(items)) => items
                .iter()
                .enumerate()
                .flat_map(|(i, v)| in_object(v, i, None))
                .collect(),
            _ => Vec::new(),
        },
        Format::ApiBody => {
            let mut de = serde_json_lenient::Deserializer::from_str(text);
            de.set_ignore_trailing_commas(true);
            let Ok(value) = <Value as serde::Deserialize>::deserialize(&mut de) else {
                return Vec::new();
            };
            let value = crate::api::serde_util::camelize_keys(value);
            let items = value
                .pointer("/tuningTask/trainingData/examples/examples")
                .or_else(|| value.pointer("/trainingData/examples/examples"))
                .or_else(|| value.pointer("/examples/examples"))
                .and_then(Value::as_array);
            // Keys are camelized: text_input reads as textInput.
            items
                .map(|items| {
                    items
                        .iter()
                        .enumerate()
                        .flat_map(|(i, v)| in_object(v, i, None))
                        .collect()
                })
                .unwrap_or_default()
        }
        Format::Csv | Format::Vertex | Format::Preference => Vec::new(),
    }
}

/// `FILE:LINE: warning: …` (or `FILE: example N: warning: …`) for each number read as text.
pub fn number_lines(checked: &Checked) -> Vec<String> {
    checked
        .numbers
        .iter()
        .map(|n| match n.line {
            Some(line) => format!("{}:{line}: warning: {}", checked.name, n.message()),
            None => format!("{}: {}: warning: {}", checked.name, n.place, n.message()),
        })
        .collect()
}
