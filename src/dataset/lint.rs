//! The dataset lint (issue 6): problems the service would refuse (errors, which block
//! submission) and ones that make tuning worse (warnings), each naming the example.

use crate::api::types::TuningExample;
use std::collections::HashMap;

pub use crate::domain::limits::{
    MAX_INPUT_CHARS, MAX_OUTPUT_CHARS, MAX_REQUEST_BYTES,
    MAX_TRAINING_JSON_BYTES as MAX_JSON_BYTES, MIN_RECOMMENDED_EXAMPLES as MIN_EXAMPLES,
    REQUEST_OVERHEAD_BYTES,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    EmptyInput,
    EmptyOutput,
    InputTooLong,
    OutputTooLong,
    Duplicate,
    NearDuplicate,
    Whitespace,
    InconsistentPrefix,
    TooFew,
    TooLarge,
    /// No examples at all: the service refuses a tuning without training data.
    Empty,
    /// A line breaks its format's rules (a preference example without one preferred and one
    /// rejected answer, say).
    Format,
}

/// One finding. `index` is the example's position (0-based); `None` for the whole dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub index: Option<usize>,
    pub severity: Severity,
    pub kind: Kind,
    pub message: String,
}

pub use crate::domain::generation::{normalize, normalized};

/// A 64-bit fingerprint (foldhash, fixed seed): duplicates are found by fingerprint, so the
/// maps hold numbers, not every input, and a hit is confirmed against the text it matched.
fn fingerprint(parts: &[&str]) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0x7475_6e65).hash_one(parts)
}

/// A prompt prefix: the text up to and including the first ':' within the first 24 chars.
fn prefix(text: &str) -> Option<&str> {
    let head: usize = text.char_indices().nth(24).map_or(text.len(), |(i, _)| i);
    text[..head].find(':').map(|i| &text[..=i])
}

/// Every finding, errors first, then by example.
pub fn lint(examples: &[TuningExample]) -> Vec<Issue> {
    lint_sized(examples, json_size(examples))
}

/// The lint and the stats line together, measuring the JSON size once (both need it, and the
/// Dataset tab asks for both after every change).
pub fn lint_and_stats(examples: &[TuningExample]) -> (Vec<Issue>, Stats) {
    let stats = stats(examples);
    (lint_sized(examples, stats.json_bytes), stats)
}

fn lint_sized(examples: &[TuningExample], size: usize) -> Vec<Issue> {
    let mut issues = Vec::new();
    let mut push = |index: Option<usize>, severity, kind, message: String| {
        issues.push(Issue {
            index,
            severity,
            kind,
            message,
        });
    };
    let mut exact: HashMap<u64, usize, foldhash::fast::FixedState> = HashMap::default();
    let mut near: HashMap<u64, usize, foldhash::fast::FixedState> = HashMap::default();
    let (mut buffer, mut other) = (String::new(), String::new());
    let mut prefixes: HashMap<&str, usize> = HashMap::new();
    for ex in examples {
        if let Some(p) = prefix(&ex.text_input) {
            *prefixes.entry(p).or_default() += 1;
        }
    }
    // A prefix most inputs share (60% or more) is the dataset's convention.
    let convention = prefixes
        .iter()
        .max_by_key(|(_, n)| **n)
        .filter(|(_, n)| {
            examples.len() >= 5 && **n * 10 >= examples.len() * 6 && **n < examples.len()
        })
        .map(|(p, _)| *p);
    for (i, ex) in examples.iter().enumerate() {
        let at = Some(i);
        let (input_chars, output_chars) =
            (ex.text_input.chars().count(), ex.output.chars().count());
        if ex.text_input.trim().is_empty() {
            push(
                at,
                Severity::Error,
                Kind::EmptyInput,
                format!("example {}: the input is empty", i + 1),
            );
        }
        if ex.output.trim().is_empty() {
            push(
                at,
                Severity::Error,
                Kind::EmptyOutput,
                format!("example {}: the output is empty", i + 1),
            );
        }
        if input_chars > MAX_INPUT_CHARS {
            push(
                at,
                Severity::Error,
                Kind::InputTooLong,
                format!(
                    "example {}: the input is {input_chars} characters; the limit is {MAX_INPUT_CHARS}",
                    i + 1
                ),
            );
        }
        if output_chars > MAX_OUTPUT_CHARS {
            push(
                at,
                Severity::Error,
                Kind::OutputTooLong,
                format!(
                    "example {}: the output is {output_chars} characters; the limit is {MAX_OUTPUT_CHARS}",
                    i + 1
                ),
            );
        }
        let pair = fingerprint(&[&ex.text_input, &ex.output]);
        let repeats = exact.get(&pair).copied().filter(|&f| examples[f] == *ex);
        if let Some(first) = repeats {
            push(
                at,
                Severity::Warning,
                Kind::Duplicate,
                format!("example {} repeats example {}", i + 1, first + 1),
            );
        } else {
            exact.entry(pair).or_insert(i);
            let key = normalized(&ex.text_input, &mut buffer);
            if !key.is_empty() {
                let print = fingerprint(&[key]);
                let same = near
                    .get(&print)
                    .copied()
                    .filter(|&f| normalized(&examples[f].text_input, &mut other) == key);
                match same {
                    Some(first) => push(
                        at,
                        Severity::Warning,
                        Kind::NearDuplicate,
                        format!(
                            "example {}'s input is nearly the same as example {}'s",
                            i + 1,
                            first + 1
                        ),
                    ),
                    None => {
                        near.entry(print).or_insert(i);
                    }
                }
            }
        }
        let padded = |t: &str| !t.is_empty() && t.trim() != t;
        if padded(&ex.text_input) || padded(&ex.output) {
            let which = if padded(&ex.text_input) {
                "input"
            } else {
                "output"
            };
            push(
                at,
                Severity::Warning,
                Kind::Whitespace,
                format!(
                    "example {}: the {which} starts or ends with whitespace",
                    i + 1
                ),
            );
        }
        if let Some(conv) = convention
            && prefix(&ex.text_input) != Some(conv)
        {
            push(
                at,
                Severity::Warning,
                Kind::InconsistentPrefix,
                format!(
                    "example {}: most inputs start with {conv:?}, this one does not",
                    i + 1
                ),
            );
        }
    }
    if examples.is_empty() {
        push(
            None,
            Severity::Error,
            Kind::Empty,
            "no examples: the service needs at least one to tune".into(),
        );
    } else if examples.len() < MIN_EXAMPLES {
        push(
            None,
            Severity::Warning,
            Kind::TooFew,
            format!(
                "{} examples; the guide recommends at least {MIN_EXAMPLES} (100 to 500 is better)",
                examples.len()
            ),
        );
    }
    if size + REQUEST_OVERHEAD_BYTES > MAX_REQUEST_BYTES {
        push(
            None,
            Severity::Error,
            Kind::TooLarge,
            format!(
                "{:.1} MB as JSON; the service takes requests of at most {} MB (20971520 bytes), dataset included",
                size as f64 / 1_048_576.0,
                MAX_REQUEST_BYTES / 1_048_576
            ),
        );
    } else if size > MAX_JSON_BYTES {
        push(
            None,
            Severity::Warning,
            Kind::TooLarge,
            format!(
                "{:.1} MB as JSON; AI Studio and the SDK refuse files over 4 MB",
                size as f64 / 1_048_576.0
            ),
        );
    }
    issues.sort_by_key(|i| (std::cmp::Reverse(i.severity), i.index));
    issues
}

/// The dataset's size as the JSON the API would receive.
/// Bytes of `examples` as a JSON array (`[{"textInput":…,"output":…},…]`), counted without
/// writing it: serde_json's escaping, byte for byte (checked against it in the tests).
pub fn json_size(examples: &[TuningExample]) -> usize {
    // `{"textInput":` + `,"output":` + `}`, and a comma between examples.
    const PER_EXAMPLE: usize = 13 + 10 + 1;
    let strings: usize = examples
        .iter()
        .map(|e| json_string_len(&e.text_input) + json_string_len(&e.output))
        .sum();
    2 + examples.len() * PER_EXAMPLE + examples.len().saturating_sub(1) + strings
}

/// Bytes of a string as serde_json writes it, quotes included.
pub fn json_string_len(text: &str) -> usize {
    /// Bytes an escape adds: `\"`, `\\`, `\n` and friends add 1; other control characters
    /// become `\u00XX` and add 5.
    const EXTRA: [u8; 256] = {
        let mut table = [0u8; 256];
        let mut b = 0;
        while b < 0x20 {
            table[b] = 5;
            b += 1;
        }
        table[b'\n' as usize] = 1;
        table[b'\t' as usize] = 1;
        table[b'\r' as usize] = 1;
        table[0x08] = 1;
        table[0x0c] = 1;
        table[b'"' as usize] = 1;
        table[b'\\' as usize] = 1;
        table
    };
    2 + text.len()
        + text
            .bytes()
            .map(|b| usize::from(EXTRA[usize::from(b)]))
            .sum::<usize>()
}

/// Count, lengths and size, for the stats line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stats {
    pub count: usize,
    /// (min, median, max) characters.
    pub input: (usize, usize, usize),
    pub output: (usize, usize, usize),
    pub json_bytes: usize,
}

pub fn stats(examples: &[TuningExample]) -> Stats {
    fn spread(mut v: Vec<usize>) -> (usize, usize, usize) {
        if v.is_empty() {
            return (0, 0, 0);
        }
        v.sort_unstable();
        (v[0], v[v.len() / 2], v[v.len() - 1])
    }
    Stats {
        count: examples.len(),
        input: spread(
            examples
                .iter()
                .map(|e| e.text_input.chars().count())
                .collect(),
        ),
        output: spread(examples.iter().map(|e| e.output.chars().count()).collect()),
        json_bytes: json_size(examples),
    }
}

/// True when nothing blocks submission.
pub fn submittable(issues: &[Issue]) -> bool {
    issues.iter().all(|i| i.severity != Severity::Error)
}

#[cfg(test)]
mod size_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn json_size_matches_serde_json(
            pairs in prop::collection::vec((any::<String>(), "[\\x00-\\x1f\"\\\\a-z\u{7f}é😀]{0,12}"), 0..6)
        ) {
            let examples: Vec<TuningExample> =
                pairs.into_iter().map(|(a, b)| TuningExample::new(a, b)).collect();
            prop_assert_eq!(json_size(&examples), serde_json::to_vec(&examples).unwrap().len());
        }
    }

    #[test]
    fn normalized_folds_case_space_and_final_punctuation() {
        let mut buffer = String::new();
        assert_eq!(
            normalized("  What  is\t2+2 ?! ", &mut buffer),
            "what is 2+2"
        );
        assert_eq!(normalized("-3", &mut buffer), "-3");
        assert_eq!(normalized("ÉCOLE.", &mut buffer), "école");
    }
}
