//! Reading and writing datasets of `text_input`/`output` pairs: JSONL, a JSON array, the API's
//! create-request body (trailing commas tolerated, as the live service did), and CSV with a
//! header. A bad file fails whole, with the line, column and reason; nothing is half-loaded.

use crate::api::types::TuningExample;
use serde_json::Value;
use std::path::Path;

/// The file formats a dataset can be read from and written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// A JSON array of objects (or of `[input, output]` pairs).
    Json,
    /// A `tunedModels.create` body: `tuning_task.training_data.examples.examples`.
    ApiBody,
    /// CSV with a header row.
    Csv,
    /// Vertex AI's tuning JSONL: `contents` of user and model turns a line.
    Vertex,
    /// Vertex AI's preference (DPO) tuning JSONL: a prompt's `contents` and two scored
    /// `completions` a line.
    Preference,
}

impl Format {
    /// The format a path's extension names; `.json` may also be an API body (see [`detect`]).
    pub fn from_path(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        if name.ends_with(".vertex.jsonl") {
            return Some(Format::Vertex);
        }
        if name.ends_with(".preference.jsonl") {
            return Some(Format::Preference);
        }
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Jsonl => "JSONL",
            Format::Json => "JSON",
            Format::ApiBody => "API request body",
            Format::Csv => "CSV",
            Format::Vertex => "Vertex AI JSONL",
            Format::Preference => "Vertex AI preference JSONL",
        }
    }
}

pub use super::import_error::ImportError;

/// Which CSV (or JSON) fields hold the input and the output, like the SDK's
/// `input_key`/`output_key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub input: String,
    pub output: String,
}

const INPUT_KEYS: &[&str] = &["text_input", "textInput"];
const OUTPUT_KEYS: &[&str] = &["output"];

/// Guesses the format from the extension, and tells an API body from a JSON array by content.
pub fn detect(path: &Path, text: &str) -> Format {
    let by_name = Format::from_path(path);
    let trimmed = text.trim_start();
    // A preference line has `contents` too: asked first.
    if matches!(
        by_name,
        Some(Format::Jsonl | Format::Json | Format::Vertex) | None
    ) && super::preference::is_preference_jsonl(trimmed)
    {
        return Format::Preference;
    }
    if matches!(by_name, Some(Format::Jsonl | Format::Json) | None)
        && super::vertex::is_vertex_jsonl(trimmed)
    {
        return Format::Vertex;
    }
    match by_name {
        Some(Format::Json) | None if trimmed.starts_with('{') => {
            // One object on its first line and more lines of objects: JSONL named .json.
            let first_line_is_object = trimmed
                .lines()
                .next()
                .is_some_and(|l| serde_json::from_str::<Value>(l).is_ok_and(|v| v.is_object()));
            let several = trimmed.lines().filter(|l| !l.trim().is_empty()).count() > 1;
            // One line holding one example (text_input/output at its top) is JSONL too: an API
            // body holds its examples deeper.
            let one_example = first_line_is_object
                && trimmed.lines().next().is_some_and(|l| {
                    serde_json::from_str::<Value>(l).is_ok_and(|v| {
                        INPUT_KEYS
                            .iter()
                            .chain(OUTPUT_KEYS)
                            .any(|k| v.get(k).is_some())
                    })
                });
            if (first_line_is_object && several) || one_example {
                Format::Jsonl
            } else {
                Format::ApiBody
            }
        }
        Some(f) => f,
        None if trimmed.starts_with('[') => Format::Json,
        None => Format::Csv,
    }
}

/// Reads a dataset from text in the given format.
pub fn parse(
    file: &str,
    text: &str,
    format: Format,
    mapping: Option<&Mapping>,
) -> Result<Vec<TuningExample>, ImportError> {
    let error = |line: usize, column: usize, reason: String| ImportError {
        file: file.to_owned(),
        line,
        column,
        reason,
        csv_columns: None,
    };
    match format {
        Format::Vertex => Ok(super::vertex::parse(file, text)?
            .iter()
            .map(super::vertex::VertexExample::to_editor)
            .collect()),
        Format::Preference => Ok(super::preference::parse(file, text)?
            .iter()
            .map(super::preference::PreferenceExample::to_editor)
            .collect()),
        Format::Jsonl => {
            let mut out = Vec::new();
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let value: Value = serde_json::from_str(line).map_err(|e| {
                    error(
                        i + 1,
                        e.column(),
                        format!("not valid JSON: {}", strip_position(&e)),
                    )
                })?;
                out.push(
                    example_from_value(&value, mapping)
                        .map_err(|reason| error(i + 1, 0, reason))?,
                );
            }
            Ok(out)
        }
        Format::Json => {
            let value: Value = serde_json::from_str(text).map_err(|e| {
                error(
                    e.line(),
                    e.column(),
                    format!("not valid JSON: {}", strip_position(&e)),
                )
            })?;
            let Value::Array(items) = value else {
                return Err(error(0, 0, "expected a JSON array of examples".into()));
            };
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    example_from_value(item, mapping).map_err(|reason| {
                        error(
                            line_of_item(text, i),
                            0,
                            format!("example {}: {reason}", i + 1),
                        )
                    })
                })
                .collect()
        }
        Format::ApiBody => {
            let mut de = serde_json_lenient::Deserializer::from_str(text);
            de.set_ignore_trailing_commas(true);
            let value: Value = serde::Deserialize::deserialize(&mut de).map_err(|e| {
                error(
                    e.line(),
                    e.column(),
                    format!("not valid JSON: {}", strip_lenient_position(&e.to_string())),
                )
            })?;
            let value = crate::api::serde_util::camelize_keys(value);
            let examples = value
                .pointer("/tuningTask/trainingData/examples/examples")
                .or_else(|| value.pointer("/trainingData/examples/examples"))
                .or_else(|| value.pointer("/examples/examples"))
                .ok_or_else(|| {
                    error(
                        0,
                        0,
                        "no tuning_task.training_data.examples.examples in this request body"
                            .into(),
                    )
                })?;
            let Value::Array(items) = examples else {
                return Err(error(
                    0,
                    0,
                    "tuning_task.training_data.examples.examples is not an array".into(),
                ));
            };
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    example_from_value(item, mapping)
                        .map_err(|reason| error(0, 0, format!("example {}: {reason}", i + 1)))
                })
                .collect()
        }
        Format::Csv => parse_csv(file, text, mapping),
    }
}

/// serde_json puts " at line L column C" at the end of its messages; the error carries them.
fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

fn strip_lenient_position(text: &str) -> String {
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text.to_owned(),
    }
}

/// The line where the `index`-th element of a top-level JSON array starts (best effort).
fn line_of_item(text: &str, index: usize) -> usize {
    let mut depth = 0i32;
    let mut in_string = false;
    let mut escaped = false;
    let mut seen = 0usize;
    let mut line = 1usize;
    let mut expecting = false;
    for c in text.chars() {
        if c == '\n' {
            line += 1;
        }
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '[' | '{' => {
                if depth == 1 && expecting {
                    if seen == index {
                        return line;
                    }
                    seen += 1;
                    expecting = false;
                }
                depth += 1;
                if depth == 1 {
                    expecting = true;
                }
            }
            ']' | '}' => depth -= 1,
            ',' if depth == 1 => expecting = true,
            '"' => {
                if depth == 1 && expecting {
                    if seen == index {
                        return line;
                    }
                    seen += 1;
                    expecting = false;
                }
                in_string = true;
            }
            _ => {}
        }
    }
    0
}

fn example_from_value(value: &Value, mapping: Option<&Mapping>) -> Result<TuningExample, String> {
    match value {
        Value::Object(map) => {
            let pick = |keys: &[&str], wanted: Option<&str>| -> Result<String, String> {
                let found = match wanted {
                    Some(k) => map.get(k).map(|v| (k.to_owned(), v)),
                    None => keys
                        .iter()
                        .find_map(|k| map.get(*k).map(|v| ((*k).to_owned(), v))),
                };
                match found {
                    Some((_, Value::String(s))) => Ok(s.clone()),
                    Some((_, Value::Number(n))) => Ok(n.to_string()),
                    Some((k, other)) => Err(format!("{k} must be text, not {}", kind(other))),
                    None => Err(format!(
                        "missing {}",
                        wanted
                            .map(str::to_owned)
                            .unwrap_or_else(|| keys.join(" or "))
                    )),
                }
            };
            Ok(TuningExample::new(
                pick(INPUT_KEYS, mapping.map(|m| m.input.as_str()))?,
                pick(OUTPUT_KEYS, mapping.map(|m| m.output.as_str()))?,
            ))
        }
        Value::Array(pair) if pair.len() == 2 => match (&pair[0], &pair[1]) {
            (Value::String(i), Value::String(o)) => Ok(TuningExample::new(i.clone(), o.clone())),
            _ => Err("an [input, output] pair must hold two strings".into()),
        },
        other => Err(format!(
            "expected an object with text_input and output, found {}",
            kind(other)
        )),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn parse_csv(
    file: &str,
    text: &str,
    mapping: Option<&Mapping>,
) -> Result<Vec<TuningExample>, ImportError> {
    let error = |line: usize, reason: String, columns: Option<Vec<String>>| ImportError {
        file: file.to_owned(),
        line,
        column: 0,
        reason,
        csv_columns: columns,
    };
    // An empty file has no examples (as an empty JSONL file has none), not a broken header.
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    if let Some(line) = unclosed_quote(text) {
        return Err(error(
            line,
            "a quoted field opened on this line is never closed (a missing \")".into(),
            None,
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| error(1, format!("the header row cannot be read: {e}"), None))?
        .iter()
        .map(str::to_owned)
        .collect();
    let position = |name: &str| headers.iter().position(|h| h == name);
    let (input, output) = match mapping {
        Some(m) => (position(&m.input), position(&m.output)),
        None => (
            INPUT_KEYS.iter().find_map(|k| position(k)),
            OUTPUT_KEYS.iter().find_map(|k| position(k)),
        ),
    };
    let (Some(input), Some(output)) = (input, output) else {
        let wanted = mapping
            .map(|m| format!("columns {:?} and {:?}", m.input, m.output))
            .unwrap_or_else(|| "text_input and output columns".into());
        return Err(error(
            1,
            format!(
                "the header has no {wanted} (it has {}); choose which columns hold the input and the output",
                headers.join(", ")
            ),
            Some(headers.clone()),
        ));
    };
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            let reason = match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => {
                    format!("{len} fields where the header has {expected_len}")
                }
                _ => e.to_string(),
            };
            error(line, reason, None)
        })?;
        let field = |i: usize| record.get(i).unwrap_or_default().to_owned();
        out.push(TuningExample::new(field(input), field(output)));
    }
    Ok(out)
}

/// The line where a quoted CSV field opens and never closes, if one does. A quote opens a
/// field only at its start; inside one, `""` is a quote and `"` closes it (RFC 4180).
fn unclosed_quote(text: &str) -> Option<usize> {
    let mut line = 1;
    let mut opened_on = None;
    let mut at_field_start = true;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (opened_on.is_some(), c) {
            (false, '"') if at_field_start => opened_on = Some(line),
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
            }
            (true, '"') => opened_on = None,
            _ => {}
        }
        if c == '\n' {
            line += 1;
        }
        at_field_start = opened_on.is_none() && matches!(c, ',' | '\n' | '\r');
    }
    opened_on
}

/// The first example (from 1) that `format` cannot hold whole: a Vertex AI example with more
/// turns, a system instruction or other parts, in a text_input/output format.
pub fn first_unkept(examples: &[TuningExample], format: Format) -> Option<usize> {
    if matches!(format, Format::Vertex | Format::Preference) {
        return None;
    }
    examples
        .iter()
        .position(|e| e.vertex.is_some())
        .map(|i| i + 1)
}

/// The first preference example (from 1) that `format` cannot hold: every format but
/// [`Format::Preference`] lacks its rejected answer.
pub fn first_preference_unkept(examples: &[TuningExample], format: Format) -> Option<usize> {
    if format == Format::Preference {
        return None;
    }
    examples
        .iter()
        .position(|e| e.preference.is_some())
        .map(|i| i + 1)
}

/// The format to write `examples` in when the chosen file's name says `format`: a set of
/// preference examples written to a plain `.jsonl` name stays preference JSONL (the extension
/// cannot tell the two apart; the content can).
pub fn writing_format(examples: &[TuningExample], format: Format) -> Format {
    if format == Format::Jsonl && examples.iter().any(|e| e.preference.is_some()) {
        Format::Preference
    } else {
        format
    }
}

/// Writes a dataset in a format (not [`Format::ApiBody`], which is written as JSON).
pub fn write(examples: &[TuningExample], format: Format) -> String {
    write_styled(examples, format, false)
}

/// Whether a JSON-lines file writes a space after `:` and `,` (`{"text_input": "sun", …}`),
/// from its first line, so that saving keeps the file's look.
pub fn spaced_json_style(path: &Path) -> bool {
    use std::io::{BufRead, Read};
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let mut first = String::new();
    let _ = std::io::BufReader::new(file.take(64 * 1024)).read_line(&mut first);
    first.contains("\": ")
}

/// A Vertex file's lines by the example each was read as ([`super::kept_lines::kept_lines`]);
/// none for a file read as one of the pair formats.
pub fn read_kept_lines(
    path: &Path,
    format: Format,
) -> Option<std::collections::HashMap<TuningExample, String>> {
    let text = matches!(format, Format::Vertex | Format::Preference)
        .then(|| std::fs::read_to_string(path).ok())
        .flatten()?;
    Some(if format == Format::Preference {
        super::preference::kept_lines(&text)
    } else {
        super::kept_lines::kept_lines(&text)
    })
}

/// [`write`], with JSON lines spaced like `{"text_input": "sun", "output": "☀"}` when
/// `spaced` (the style the file had).
pub fn write_styled(examples: &[TuningExample], format: Format, spaced: bool) -> String {
    if format == Format::Vertex {
        return examples
            .iter()
            .map(|e| super::vertex::VertexExample::from_editor(e).to_line() + "\n")
            .collect();
    }
    if format == Format::Preference {
        return super::kept_lines::write_kept_with(
            examples,
            &std::collections::HashMap::new(),
            spaced,
            |e| super::preference::PreferenceExample::from_editor(e).raw,
        );
    }
    if format == Format::Jsonl && spaced {
        let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
        return examples
            .iter()
            .map(|e| {
                format!(
                    "{{\"text_input\": {}, \"output\": {}}}\n",
                    quote(&e.text_input),
                    quote(&e.output)
                )
            })
            .collect();
    }
    #[derive(serde::Serialize)]
    struct Row<'a> {
        text_input: &'a str,
        output: &'a str,
    }
    let rows = examples.iter().map(|e| Row {
        text_input: &e.text_input,
        output: &e.output,
    });
    match format {
        // Written above; here for the match to be whole.
        Format::Jsonl | Format::Vertex | Format::Preference => rows
            .map(|r| serde_json::to_string(&r).unwrap_or_default() + "\n")
            .collect(),
        Format::Json | Format::ApiBody => {
            serde_json::to_string_pretty(&rows.collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into())
                + "\n"
        }
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            let _ = writer.write_record(["text_input", "output"]);
            for e in examples {
                let _ = writer.write_record([&e.text_input, &e.output]);
            }
            String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
        }
    }
}

/// Reads a file: format from its extension and content (or `format`), all or nothing.
pub fn read_file(
    path: &Path,
    format: Option<Format>,
    mapping: Option<&Mapping>,
) -> Result<(Vec<TuningExample>, Format), ImportError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| ImportError {
        file: name.clone(),
        line: 0,
        column: 0,
        reason: e.to_string(),
        csv_columns: None,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        ImportError {
            file: name.clone(),
            line,
            column: 0,
            reason: "not UTF-8 text".into(),
            csv_columns: None,
        }
    })?;
    // A byte-order mark (Windows editors, Excel) is not part of the first line.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let format = format.unwrap_or_else(|| detect(path, text));
    parse(&name, text, format, mapping).map(|examples| (examples, format))
}
