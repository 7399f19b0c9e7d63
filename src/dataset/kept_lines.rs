//! A Vertex AI JSONL file's lines kept as read: saving writes the examples nobody edited back
//! byte for byte, and an edited one in the file's own style (spaced or compact).

use super::vertex::VertexExample;
use crate::api::types::TuningExample;
use serde_json::Value;

/// Each example of a Vertex file as the editor holds it, with the line it was read from (the
/// first, for examples that repeat), so saving writes the lines nobody edited back as they were.
pub fn kept_lines(text: &str) -> std::collections::HashMap<TuningExample, String> {
    let mut kept = std::collections::HashMap::new();
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        if let Ok(raw) = serde_json::from_str::<Value>(line) {
            kept.entry(VertexExample { raw }.to_editor())
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
    let mut out = String::new();
    for example in examples {
        match kept.get(example) {
            Some(line) => out.push_str(line),
            None if spaced => {
                let raw = VertexExample::from_editor(example).raw;
                let mut bytes = Vec::new();
                let mut ser = serde_json::Serializer::with_formatter(&mut bytes, Spaced);
                if serde::Serialize::serialize(&raw, &mut ser).is_ok() {
                    out.push_str(&String::from_utf8_lossy(&bytes));
                }
            }
            None => out.push_str(&VertexExample::from_editor(example).to_line()),
        }
        out.push('\n');
    }
    out
}
