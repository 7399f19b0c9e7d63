//! The datasets a Vertex tuning job names, as the emulator reads them: the JSONL lines from its
//! Cloud Storage (each bad line an error naming it), the pairs the trainer learns from, and the
//! `tuningDataStats` the service reports (counts, token distributions, truncated examples), its
//! tokens counted by the emulator's tokenizer, as its `countTokens` counts them.
//! Split from `vertex_tuning`, which creates and runs the jobs, so each file stays one concern.

use super::core::Core;
use super::tokenizer;
use crate::api::types::{Content, Part, TuningExample};
use crate::api::vertex::types::{Bucket, Distribution, SupervisedTuningDataStats};
use crate::domain::vertex::MAX_TOKENS_PER_EXAMPLE;
use std::sync::Arc;

/// One line of a Vertex tuning file, read: its turns as (role, text), and the system text.
struct Line {
    turns: Vec<(String, String)>,
    system: String,
}

/// Reads a Vertex JSONL dataset: `contents` of `user`/`model` turns, an optional
/// `systemInstruction`. Bad lines are an error naming the line.
fn read_lines(uri: &str, bytes: &[u8]) -> Result<Vec<Line>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| format!("{uri} is not UTF-8 text."))?;
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        let at = |why: &str| format!("Failed to parse line {} of {uri}: {why}", i + 1);
        let value: serde_json::Value =
            serde_json::from_str(raw).map_err(|e| at(&format!("not JSON ({e}).")))?;
        let value = crate::api::serde_util::camelize_keys(value);
        let contents = value
            .get("contents")
            .and_then(|c| c.as_array())
            .ok_or_else(|| at("it has no \"contents\" list."))?;
        let mut turns = Vec::new();
        for (j, content) in contents.iter().enumerate() {
            let role = content
                .get("role")
                .and_then(|r| r.as_str())
                .unwrap_or("user")
                .to_lowercase();
            if role != "user" && role != "model" {
                return Err(at(&format!(
                    "contents[{j}].role is {role:?}; it must be \"user\" or \"model\"."
                )));
            }
            turns.push((role, parts_text(content.get("parts"))));
        }
        if !turns.iter().any(|(r, _)| r == "model") {
            return Err(at("it has no \"model\" turn to learn."));
        }
        let system = value
            .get("systemInstruction")
            .map(|s| parts_text(s.get("parts")))
            .unwrap_or_default();
        out.push(Line { turns, system });
    }
    if out.is_empty() {
        return Err(format!("{uri} has no examples."));
    }
    Ok(out)
}

/// The text of a `parts` list (or of one part given as an object, as the service accepts).
fn parts_text(parts: Option<&serde_json::Value>) -> String {
    let text_of = |p: &serde_json::Value| {
        p.get("text")
            .and_then(|t| t.as_str())
            .unwrap_or("")
            .to_owned()
    };
    match parts {
        Some(serde_json::Value::Array(list)) => list.iter().map(text_of).collect(),
        Some(part @ serde_json::Value::Object(_)) => text_of(part),
        _ => String::new(),
    }
}

/// The small model's training pairs of a line: each model turn, learned from the user turn
/// before it.
fn pairs(line: &Line) -> Vec<TuningExample> {
    line.turns
        .windows(2)
        .filter(|w| w[0].0 == "user" && w[1].0 == "model")
        .map(|w| TuningExample::new(w[0].1.clone(), w[1].1.clone()))
        .collect()
}

/// A dataset read: pairs to train on, the lines' token counts, and what was dropped.
pub(super) struct Dataset {
    pub(super) examples: Vec<TuningExample>,
    kept: Vec<Line>,
    truncated: Vec<(i64, String)>,
}

pub(super) fn read_dataset(core: &Core, uri: &str) -> Result<Dataset, String> {
    let (bucket, object) = split_gs_uri(uri).ok_or_else(|| format!("{uri} is not a gs:// URI"))?;
    let bytes = {
        let store = core.store();
        store
            .cloud
            .object(bucket, object)
            .map(|o| Arc::clone(&o.data))
            .ok_or_else(|| format!("Failed to read {uri}: No such object: {bucket}/{object}."))?
    };
    let lines = read_lines(uri, &bytes)?;
    let mut data = Dataset {
        examples: Vec::new(),
        kept: Vec::new(),
        truncated: Vec::new(),
    };
    for (i, line) in lines.into_iter().enumerate() {
        let tokens: usize = line
            .turns
            .iter()
            .map(|(_, t)| tokenizer::count(t))
            .sum::<usize>()
            + tokenizer::count(&line.system);
        if tokens > MAX_TOKENS_PER_EXAMPLE {
            data.truncated.push((
                i as i64 + 1,
                format!(
                    "Example has {tokens} tokens, more than the limit of {MAX_TOKENS_PER_EXAMPLE}."
                ),
            ));
            continue;
        }
        data.examples.extend(pairs(&line));
        data.kept.push(line);
    }
    if data.examples.is_empty() {
        return Err(format!("{uri} has no example within the limits."));
    }
    Ok(data)
}

/// `gs://bucket/object` split in two.
pub fn split_gs_uri(uri: &str) -> Option<(&str, &str)> {
    let rest = uri.strip_prefix("gs://")?;
    let (bucket, object) = rest.split_once('/')?;
    (!bucket.is_empty() && !object.is_empty()).then_some((bucket, object))
}

/// A summary and histogram of counts, as `SupervisedTuningDatasetDistribution`.
fn distribution(values: &[f64]) -> Distribution {
    if values.is_empty() {
        return Distribution::default();
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
    let sum: f64 = sorted.iter().sum();
    let buckets = 10usize.min(sorted.len());
    let width = ((max - min) / buckets as f64).max(1.0);
    let mut counts = vec![0usize; buckets];
    for v in &sorted {
        let b = (((v - min) / width) as usize).min(buckets - 1);
        counts[b] += 1;
    }
    Distribution {
        sum: Some(sum as i64),
        billable_sum: Some(sum as i64),
        min,
        max,
        mean: sum / sorted.len() as f64,
        median: at(0.5),
        p5: at(0.05),
        p95: at(0.95),
        buckets: counts
            .into_iter()
            .enumerate()
            .filter(|(_, c)| *c > 0)
            .map(|(b, c)| Bucket {
                count: c as f64,
                left: (min + b as f64 * width).floor(),
                right: (min + (b + 1) as f64 * width).floor().min(max),
            })
            .collect(),
    }
}

pub(super) fn data_stats(data: &Dataset, steps: u64) -> SupervisedTuningDataStats {
    let inputs: Vec<f64> = data
        .kept
        .iter()
        .map(|l| {
            (l.turns
                .iter()
                .filter(|(r, _)| r == "user")
                .map(|(_, t)| tokenizer::count(t))
                .sum::<usize>()
                + tokenizer::count(&l.system)) as f64
        })
        .collect();
    let outputs: Vec<f64> = data
        .kept
        .iter()
        .map(|l| {
            l.turns
                .iter()
                .filter(|(r, _)| r == "model")
                .map(|(_, t)| tokenizer::count(t))
                .sum::<usize>() as f64
        })
        .collect();
    let messages: Vec<f64> = data.kept.iter().map(|l| l.turns.len() as f64).collect();
    let characters: usize = data
        .kept
        .iter()
        .flat_map(|l| l.turns.iter().map(|(_, t)| t.chars().count()))
        .sum();
    let tokens = (inputs.iter().sum::<f64>() + outputs.iter().sum::<f64>()) as i64;
    let samples = data
        .kept
        .first()
        .map(|l| {
            l.turns
                .iter()
                .take(2)
                .map(|(role, text)| Content {
                    role: Some(role.clone()),
                    parts: vec![Part::text(text.chars().take(200).collect::<String>())],
                })
                .collect()
        })
        .unwrap_or_default();
    SupervisedTuningDataStats {
        tuning_dataset_example_count: Some(data.kept.len() as i64),
        total_tuning_character_count: Some(characters as i64),
        total_billable_token_count: Some(tokens),
        tuning_step_count: Some(steps as i64),
        user_input_token_distribution: Some(distribution(&inputs)),
        user_output_token_distribution: Some(distribution(&outputs)),
        user_message_per_example_distribution: Some(distribution(&messages)),
        user_dataset_examples: samples,
        total_truncated_example_count: (!data.truncated.is_empty())
            .then_some(data.truncated.len() as i64),
        truncated_example_indices: data.truncated.iter().map(|(i, _)| *i).collect(),
        dropped_example_reasons: data.truncated.iter().map(|(_, r)| r.clone()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataset_lines_are_read_or_refused_with_the_line() {
        let good = br#"{"systemInstruction": {"parts": [{"text": "be brief"}]}, "contents": [{"role": "user", "parts": [{"text": "1"}]}, {"role": "model", "parts": [{"text": "2"}]}, {"role": "USER", "parts": {"text": "3"}}, {"role": "model", "parts": [{"text": "4"}]}]}"#;
        let lines = read_lines("gs://b/t.jsonl", good).unwrap();
        assert_eq!(lines[0].system, "be brief");
        let learned = pairs(&lines[0]);
        assert_eq!(learned.len(), 2);
        assert_eq!(
            (learned[1].text_input.as_str(), learned[1].output.as_str()),
            ("3", "4")
        );
        let bad = b"{\"contents\": [{\"role\": \"user\", \"parts\": [{\"text\": \"1\"}]}, {\"role\": \"model\", \"parts\": [{\"text\": \"2\"}]}]}\n{\"contents\": []}\n";
        let e = read_lines("gs://b/t.jsonl", bad).err().unwrap();
        assert!(e.contains("line 2 of gs://b/t.jsonl"), "{e}");
        assert!(split_gs_uri("gs://b/").is_none());
        assert_eq!(split_gs_uri("gs://b/d/t.jsonl"), Some(("b", "d/t.jsonl")));
    }

    #[test]
    fn distributions_summarise_and_bucket() {
        let d = distribution(&[10.0, 20.0, 30.0, 40.0]);
        assert_eq!((d.min, d.max, d.mean, d.sum), (10.0, 40.0, 25.0, Some(100)));
        assert_eq!(d.buckets.iter().map(|b| b.count).sum::<f64>(), 4.0);
    }
}
