//! Preference tuning (DPO) in the emulator's Vertex AI: which spec a create request carries and
//! what it asks for, the checks only preference tuning has (the models that take it, `beta`),
//! and the preference JSONL read from the emulator's Cloud Storage, each bad line refused with
//! its number and the domain's reason (`domain::preference::check_example`, the same rule the
//! dataset lint applies). Split from `vertex_tuning`, which creates and runs every job.

use super::core::Core;
use super::trainer::PreferencePair;
use super::wire::Failure;
use crate::api::error::Code;
use crate::api::types::TuningExample;
use crate::api::vertex::types::{
    HyperParameters, PreferenceOptimizationDataStats, PreferenceOptimizationSpec, TuningDataStats,
    TuningJob,
};
use crate::domain::preference::{
    BETA_MAX, Refusal, preference_models, read_line, takes_preference,
};
use std::sync::Arc;

/// What a create request asks for, whichever spec carries it.
pub(super) struct Asked {
    /// `supervised_tuning_spec` or `preference_optimization_spec`: named in errors.
    pub field: &'static str,
    pub training_dataset_uri: String,
    pub validation_dataset_uri: String,
    /// The hyper-parameters both methods share (a plain rate only for supervised tuning).
    pub hp: HyperParameters,
    /// Set for preference tuning, with the `beta` asked for (if any).
    pub preference: Option<Option<f64>>,
}

fn invalid(message: impl Into<String>) -> Failure {
    Failure::new(Code::InvalidArgument, message)
}

impl Asked {
    /// The request's spec: exactly one of the supervised and the preference one.
    pub fn of(request: &TuningJob) -> Result<Asked, Failure> {
        match (
            &request.supervised_tuning_spec,
            &request.preference_optimization_spec,
        ) {
            (Some(_), Some(_)) => Err(invalid(
                "supervised_tuning_spec and preference_optimization_spec are alternatives: set one.",
            )),
            (Some(s), None) => Ok(Asked {
                field: "supervised_tuning_spec",
                training_dataset_uri: s.training_dataset_uri.clone(),
                validation_dataset_uri: s.validation_dataset_uri.clone(),
                hp: s.hyper_parameters.clone().unwrap_or_default(),
                preference: None,
            }),
            (None, Some(p)) => {
                let hp = p.hyper_parameters.clone().unwrap_or_default();
                Ok(Asked {
                    field: "preference_optimization_spec",
                    training_dataset_uri: p.training_dataset_uri.clone(),
                    validation_dataset_uri: p.validation_dataset_uri.clone(),
                    hp: HyperParameters {
                        epoch_count: hp.epoch_count,
                        learning_rate_multiplier: hp.learning_rate_multiplier,
                        learning_rate: None,
                        batch_size: None,
                        adapter_size: hp.adapter_size,
                    },
                    preference: Some(hp.beta),
                })
            }
            (None, None) => Err(invalid(
                "A tuning spec is required: supervised_tuning_spec or preference_optimization_spec.",
            )),
        }
    }

    /// Preference tuning's own checks, once the base model is known (a tuned source's base).
    pub fn check_preference(&self, base_model: &str) -> Result<(), Failure> {
        let Some(beta) = self.preference else {
            return Ok(());
        };
        if !takes_preference(base_model) {
            return Err(invalid(format!(
                "Base model {base_model} is not supported for preference optimization. Supported models: {}.",
                preference_models().join(", ")
            )));
        }
        if let Some(b) = beta.filter(|b| !crate::domain::preference::beta_in_range(*b)) {
            return Err(invalid(format!(
                "preference_optimization_spec.hyper_parameters.beta must be greater than 0 and at most {BETA_MAX}, got {b}."
            )));
        }
        Ok(())
    }
}

/// The response's spec of a preference job: the request's, with the settings the emulator
/// chose filled in (as for supervised jobs).
pub(super) fn spec_out(
    request: &PreferenceOptimizationSpec,
    hp: &HyperParameters,
    beta: f64,
) -> PreferenceOptimizationSpec {
    use crate::api::vertex::types::PreferenceHyperParameters;
    PreferenceOptimizationSpec {
        hyper_parameters: Some(PreferenceHyperParameters {
            epoch_count: hp.epoch_count,
            adapter_size: hp.adapter_size.clone(),
            learning_rate_multiplier: hp.learning_rate_multiplier,
            beta: Some(beta),
        }),
        ..request.clone()
    }
}

/// A preference dataset read: the pairs, each prompt with its preferred answer (what steps
/// and checkpoints count), and the stats the job reports (without its steps).
pub(super) struct PreferenceData {
    pub pairs: Vec<PreferencePair>,
    pub chosen: Vec<TuningExample>,
    pub stats: PreferenceOptimizationDataStats,
}

/// Reads a preference JSONL file: every line a prompt (`contents` ending with a user turn) and
/// two completions scored 1 and 0. A bad line is an error naming it; a line over the token
/// limit is dropped and reported in the stats, as the service drops them.
pub(super) fn read_preference_dataset(core: &Core, uri: &str) -> Result<PreferenceData, String> {
    let (bucket, object) = super::vertex_dataset::split_gs_uri(uri)
        .ok_or_else(|| format!("{uri} is not a gs:// URI"))?;
    let bytes = {
        let store = core.store();
        store
            .cloud
            .object(bucket, object)
            .map(|o| Arc::clone(&o.data))
            .ok_or_else(|| format!("Failed to read {uri}: No such object: {bucket}/{object}."))?
    };
    parse_preference(uri, &bytes)
}

fn parse_preference(uri: &str, bytes: &[u8]) -> Result<PreferenceData, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| format!("{uri} is not UTF-8 text."))?;
    let mut data = PreferenceData {
        pairs: Vec::new(),
        chosen: Vec::new(),
        stats: PreferenceOptimizationDataStats::default(),
    };
    let mut tokens_total = 0usize;
    for (i, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        match read_line(raw) {
            Ok(line) => {
                tokens_total += line.tokens;
                let pair = PreferencePair {
                    prompt: line.prompt,
                    chosen: line.chosen,
                    rejected: line.rejected,
                };
                data.chosen
                    .push(TuningExample::new(pair.prompt.clone(), pair.chosen.clone()));
                data.pairs.push(pair);
            }
            Err(Refusal::Dropped(why)) => {
                data.stats.dropped_example_indices.push(i as i64 + 1);
                data.stats.dropped_example_reasons.push(why.to_string());
            }
            Err(Refusal::Bad(why)) => {
                return Err(format!(
                    "Failed to parse line {} of {uri} as a preference example: {why}",
                    i + 1
                ));
            }
        }
    }
    if data.pairs.is_empty() {
        return Err(format!(
            "{uri} has no preference example within the limits."
        ));
    }
    data.stats.tuning_dataset_example_count = Some(data.pairs.len() as i64);
    data.stats.total_billable_token_count = Some(tokens_total as i64);
    Ok(data)
}

/// Both datasets of a job, read by its method: what it trains and validates on, and the
/// stats it reports; or why it fails once it starts.
pub(super) struct Read {
    pub examples: Vec<TuningExample>,
    pub validation: Vec<TuningExample>,
    pub pairs: Vec<PreferencePair>,
    pub validation_pairs: Vec<PreferencePair>,
    pub error: Option<String>,
    source: Option<ReadStats>,
}

enum ReadStats {
    Supervised(super::vertex_dataset::Dataset),
    Preference(PreferenceOptimizationDataStats),
}

impl Read {
    /// The `tuningDataStats` the job shows once it has processed its data.
    pub fn stats(&self, steps: u64) -> Option<TuningDataStats> {
        Some(match self.source.as_ref()? {
            ReadStats::Supervised(d) => TuningDataStats {
                supervised_tuning_data_stats: Some(super::vertex_dataset::data_stats(d, steps)),
                ..Default::default()
            },
            ReadStats::Preference(p) => TuningDataStats {
                preference_optimization_data_stats: Some(PreferenceOptimizationDataStats {
                    tuning_step_count: Some(steps as i64),
                    ..p.clone()
                }),
                ..Default::default()
            },
        })
    }
}

/// Reads a job's training and (if named) validation dataset, as supervised or preference data.
pub(super) fn read_datasets(
    core: &Core,
    training_uri: &str,
    validation_uri: &str,
    preference: bool,
) -> Read {
    let mut read = Read {
        examples: Vec::new(),
        validation: Vec::new(),
        pairs: Vec::new(),
        validation_pairs: Vec::new(),
        error: None,
        source: None,
    };
    let result = if preference {
        let validation = if validation_uri.is_empty() {
            Ok(None)
        } else {
            read_preference_dataset(core, validation_uri).map(Some)
        };
        read_preference_dataset(core, training_uri).and_then(|t| {
            let v = validation?;
            read.examples = t.chosen;
            read.pairs = t.pairs;
            if let Some(v) = v {
                read.validation = v.chosen;
                read.validation_pairs = v.pairs;
            }
            read.source = Some(ReadStats::Preference(t.stats));
            Ok(())
        })
    } else {
        use super::vertex_dataset::read_dataset;
        let validation = if validation_uri.is_empty() {
            Ok(None)
        } else {
            read_dataset(core, validation_uri).map(Some)
        };
        read_dataset(core, training_uri).and_then(|t| {
            let v = validation?;
            read.examples = t.examples.clone();
            read.validation = v.map(|v| v.examples).unwrap_or_default();
            read.source = Some(ReadStats::Supervised(t));
            Ok(())
        })
    };
    if let Err(e) = result {
        read.error = Some(e);
    }
    read
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(contents: &str, completions: &str) -> String {
        format!(r#"{{"contents": {contents}, "completions": {completions}}}"#)
    }

    const USER: &str = r#"[{"role": "user", "parts": [{"text": "Favourite fruit?"}]}]"#;
    const PAIR: &str = r#"[{"score": 0, "completion": {"role": "model", "parts": [{"text": "Apple."}]}}, {"score": 1, "completion": {"role": "model", "parts": [{"text": "Apple! Apple!"}]}}]"#;

    #[test]
    fn preference_lines_are_read_and_bad_ones_named_with_their_number() {
        let good = line(USER, PAIR);
        let data = parse_preference("gs://b/p.jsonl", good.as_bytes()).unwrap();
        assert_eq!(
            data.pairs[0],
            PreferencePair {
                prompt: "Favourite fruit?".into(),
                chosen: "Apple! Apple!".into(),
                rejected: "Apple.".into(),
            }
        );
        let two_preferred = PAIR.replace("\"score\": 0", "\"score\": 1");
        let file = format!("{good}\n\n{}\n", line(USER, &two_preferred));
        let e = parse_preference("gs://b/p.jsonl", file.as_bytes())
            .err()
            .unwrap();
        assert_eq!(
            e,
            "Failed to parse line 3 of gs://b/p.jsonl as a preference example: 2 preferred and 0 rejected completions; a line needs one of each."
        );
        let ends_with_model = r#"[{"role": "user", "parts": [{"text": "hi"}]}, {"role": "model", "parts": [{"text": "yo"}]}]"#;
        let e = parse_preference("gs://b/p.jsonl", line(ends_with_model, PAIR).as_bytes())
            .err()
            .unwrap();
        assert!(
            e.contains("line 1") && e.contains("must end with a user turn"),
            "{e}"
        );
        let image = r#"[{"role": "user", "parts": [{"inlineData": {"mimeType": "image/png", "data": ""}}]}]"#;
        let e = parse_preference("gs://b/p.jsonl", line(image, PAIR).as_bytes())
            .err()
            .unwrap();
        assert!(e.contains("text only"), "{e}");
        let long = format!(
            r#"[{{"role": "user", "parts": [{{"text": "{}"}}]}}]"#,
            "x".repeat(4 * 131_073)
        );
        let file = format!("{}\n{good}\n", line(&long, PAIR));
        let data = parse_preference("gs://b/p.jsonl", file.as_bytes()).unwrap();
        assert_eq!(data.pairs.len(), 1);
        assert_eq!(data.stats.dropped_example_indices, vec![1]);
        assert!(data.stats.dropped_example_reasons[0].contains("at most 131072"));
    }
}
