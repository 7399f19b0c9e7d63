//! A Vertex AI (or preference) JSONL file's lines kept as read: saving writes the examples nobody edited back
//! byte for byte, and an edited one in the file's own style (spaced or compact).

use super::vertex::VertexExample;
use crate::api::types::TuningExample;
use serde_json::Value;

/// Each example of a Vertex file as the editor holds it, with the line it was read from (the
/// first, for examples that repeat), so saving writes the lines nobody edited back as they were.
pub fn kept_lines(text: &str) -> std::collections::HashMap<TuningExample, String> {
    kept_lines_with(text, |raw| VertexExample { raw }.to_editor())
}

/// [`kept_lines`] for any JSON-lines format: `to_editor` reads a line's JSON as the editor's
/// example (a Vertex AI or a preference example).
pub fn kept_lines_with(
    text: &str,
    to_editor: impl Fn(Value) -> TuningExample,
) -> std::collections::HashMap<TuningExample, String> {
    let mut kept = std::collections::HashMap::new();
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        if let Ok(raw) = serde_json::from_str::<Value>(line) {
            kept.entry(to_editor(raw))
                .or_insert_with(|| line.to_owned());
        }
    }
    kept
}

/// JSON with a space after `:` and `,`, as `{"role": "user", "parts": [...]}`.
struct Spaced;

impl serde_json::ser::Formatter for Spaced {
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        writer.write_all(b": ")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }
}

/// The examples as a Vertex JSONL file: a line read from the file and not edited since goes
/// back byte for byte; an edited (or new) one is written in the file's style, spaced or not.
pub fn write_kept(
    examples: &[TuningExample],
    kept: &std::collections::HashMap<TuningExample, String>,
    spaced: bool,
) -> String {
    write_kept_with(examples, kept, spaced, |e| {
        VertexExample::from_editor(e).raw
    })
}

/// [`write_kept`] for any JSON-lines format: `to_raw` makes an edited example's JSON.
pub fn write_kept_with(
    examples: &[TuningExample],
    kept: &std::collections::HashMap<TuningExample, String>,
    spaced: bool,
    to_raw: impl Fn(&TuningExample) -> Value,
) -> String {
    let mut out = String::new();
    for example in examples {
        match kept.get(example) {
            Some(line) => out.push_str(line),
            None if spaced => {
                let raw = to_raw(example);
                let mut bytes = Vec::new();
                let mut ser = serde_json::Serializer::with_formatter(&mut bytes, Spaced);
                if serde::Serialize::serialize(&raw, &mut ser).is_ok() {
                    out.push_str(&String::from_utf8_lossy(&bytes));
                }
            }
            None => out.push_str(&serde_json::to_string(&to_raw(example)).unwrap_or_default()),
        }
        out.push('\n');
    }
    out
}
