//! The early-access tuning methods, once: which method a job uses and how its spec reads in
//! the detail and `jobs get`, the models distillation takes, and how a reinforcement job's
//! reward configs score an answer (the string-match scorer of google-genai 3.3.0's
//! `ReinforcementTuningStringMatchRewardScorer`; the other scorers need a model, Python or a
//! service and are named, not scored).

use crate::api::vertex::types::TuningJob;
use crate::api::vertex::types::{DistillationSpec, ReinforcementTuningSpec};
use serde_json::Value;
use std::collections::BTreeMap;

/// How a job tunes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TuningMethod {
    Supervised,
    /// Preference tuning (DPO): `preferenceOptimizationSpec` (src/domain/preference.rs).
    Preference,
    Distillation,
    Reinforcement,
    /// A spec tunedeck does not read (full fine-tuning, Veo…): shown as such.
    Other,
}

impl TuningMethod {
    pub fn of(job: &TuningJob) -> TuningMethod {
        if job.distillation_spec.is_some() {
            TuningMethod::Distillation
        } else if job.reinforcement_tuning_spec.is_some() {
            TuningMethod::Reinforcement
        } else if job.preference_optimization_spec.is_some() {
            TuningMethod::Preference
        } else if job.supervised_tuning_spec.is_some() {
            TuningMethod::Supervised
        } else {
            TuningMethod::Other
        }
    }

    /// As the detail names it, with the service's release stage.
    pub fn label(self) -> &'static str {
        match self {
            TuningMethod::Supervised => "supervised fine-tuning",
            TuningMethod::Preference => "preference tuning (DPO)",
            TuningMethod::Distillation => "distillation (early access)",
            TuningMethod::Reinforcement => "reinforcement tuning (pre-GA)",
            TuningMethod::Other => "another method (its spec is not shown here)",
        }
    }
}

/// Base teachers the docs name for distillation (early access, read 2026-12: "teacher
/// gemini-3.1-pro"); 2.5 Pro is accepted too, as the earlier preview took it (uncertain).
pub const DISTILLATION_TEACHERS: &[&str] = &["gemini-3.1-pro", "gemini-2.5-pro"];
/// The students distillation takes: the model table's (src/domain/models.rs, with the page
/// that names them).
pub fn distillation_students() -> Vec<&'static str> {
    super::models::TUNABLE_MODELS
        .iter()
        .filter(|m| m.takes(super::models::Method::Distillation))
        .map(|m| m.id)
        .collect()
}

/// `(label, value)` lines that say what a job's method-specific spec holds, for the detail
/// pane and `jobs get`; empty for supervised jobs (their lines are the tuning settings).
pub fn spec_lines(job: &TuningJob) -> Vec<(&'static str, String)> {
    if let Some(spec) = &job.distillation_spec {
        return distillation_lines(spec);
    }
    if let Some(spec) = &job.reinforcement_tuning_spec {
        return reinforcement_lines(spec);
    }
    Vec::new()
}

fn distillation_lines(spec: &DistillationSpec) -> Vec<(&'static str, String)> {
    let mut lines = vec![];
    if !spec.tuned_teacher_model_source.is_empty() {
        lines.push((
            "teacher",
            format!("{} (tuned)", spec.tuned_teacher_model_source),
        ));
    } else {
        lines.push(("teacher", spec.base_teacher_model.clone()));
    }
    lines.push(("prompts", spec.prompts().to_owned()));
    if !spec.validation_dataset_uri.is_empty() {
        lines.push(("validation", spec.validation_dataset_uri.clone()));
    }
    if !spec.tuning_mode.is_empty() {
        lines.push(("mode", spec.tuning_mode.clone()));
    }
    if let Some(hp) = &spec.hyper_parameters {
        let mut parts = Vec::new();
        if let Some(e) = hp.epoch_count {
            parts.push(format!("epochs {e}"));
        }
        if let Some(m) = hp.learning_rate_multiplier {
            parts.push(format!("learning-rate ×{m}"));
        }
        if let Some(r) = hp.adapter_size.rank() {
            parts.push(format!("adapter {r}"));
        }
        if !parts.is_empty() {
            lines.push(("settings", parts.join(" · ")));
        }
    }
    lines
}

fn reinforcement_lines(spec: &ReinforcementTuningSpec) -> Vec<(&'static str, String)> {
    let mut lines = vec![("prompts", spec.training_dataset_uri.clone())];
    if !spec.validation_dataset_uri.is_empty() {
        lines.push(("validation", spec.validation_dataset_uri.clone()));
    }
    for (weight, config) in reward_configs(spec) {
        let name = config
            .get("rewardName")
            .and_then(Value::as_str)
            .unwrap_or("reward");
        let weight = weight.map_or(String::new(), |w| format!(" × {w}"));
        lines.push(("reward", format!("{name}{weight}: {}", scorer_text(config))));
    }
    if let Some(hp) = &spec.hyper_parameters {
        let mut parts = Vec::new();
        if let Some(e) = hp.epoch_count {
            parts.push(format!("epochs {e}"));
        }
        if let Some(n) = hp.samples_per_prompt {
            parts.push(format!("{n} samples a prompt"));
        }
        if let Some(m) = hp.learning_rate_multiplier {
            parts.push(format!("learning-rate ×{m}"));
        }
        if !parts.is_empty() {
            lines.push(("settings", parts.join(" · ")));
        }
    }
    lines
}

/// The reward configs of a spec, each with its weight (`None` for a single config).
pub fn reward_configs(spec: &ReinforcementTuningSpec) -> Vec<(Option<f64>, &Value)> {
    if let Some(single) = &spec.single_reward_config {
        return vec![(None, single)];
    }
    spec.composite_reward_config
        .as_ref()
        .and_then(|c| c.get("weightedRewardConfigs"))
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|w| {
                    let config = w.get("rewardConfig")?;
                    Some((
                        Some(w.get("weight").and_then(Value::as_f64).unwrap_or(1.0)),
                        config,
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One line about a reward config's scorer.
fn scorer_text(config: &Value) -> String {
    if let Some(s) = config.get("stringMatchRewardScorer") {
        let expr = &s["stringMatchExpression"];
        let op = expr["matchOperation"].as_str().unwrap_or("?");
        let e = expr["expression"].as_str().unwrap_or("");
        return format!("string match {op} {e:?}");
    }
    for (key, what) in [
        ("autoraterScorer", "autorater"),
        ("codeExecutionRewardScorer", "Python code"),
        ("cloudRunRewardScorer", "Cloud Run service"),
    ] {
        if config.get(key).is_some() {
            return what.to_owned();
        }
    }
    "unknown scorer".to_owned()
}

/// A string-match scorer, read from a reward config.
#[derive(Debug, Clone, PartialEq)]
pub struct StringMatch {
    pub operation: MatchOperation,
    /// May hold `{{references.key}}` placeholders.
    pub expression: String,
    pub correct: f64,
    pub wrong: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOperation {
    Exact,
    Partial,
    /// Needs a regular-expression engine tunedeck does not carry: refused by the emulator.
    RegexContains,
}

/// A reward config as a [`StringMatch`], or what stands in the way, in the service's field
/// names.
pub fn string_match(config: &Value) -> Result<StringMatch, String> {
    let Some(scorer) = config.get("stringMatchRewardScorer") else {
        return Err(format!(
            "the emulator scores with stringMatchRewardScorer only, not {}",
            scorer_text(config)
        ));
    };
    if let Some(parse) = config.get("parseResponseConfig")
        && !matches!(
            parse.get("parseType").and_then(Value::as_str),
            None | Some("IDENTITY") | Some("RESPONSE_PARSE_TYPE_UNSPECIFIED")
        )
    {
        return Err("parse_response_config: the emulator takes IDENTITY only".into());
    }
    let Some(expr) = scorer.get("stringMatchExpression") else {
        return Err(
            "string_match_reward_scorer.string_match_expression is required (the emulator does not take json_match_expression)".into(),
        );
    };
    let operation = match expr.get("matchOperation").and_then(Value::as_str) {
        Some("EXACT_MATCH") => MatchOperation::Exact,
        Some("PARTIAL_MATCH") => MatchOperation::Partial,
        Some("REGEX_CONTAINS") => MatchOperation::RegexContains,
        other => {
            return Err(format!(
                "string_match_expression.match_operation must be EXACT_MATCH, PARTIAL_MATCH or REGEX_CONTAINS, got {}",
                other.unwrap_or("nothing")
            ));
        }
    };
    let reward = |k: &str, default: f64| scorer.get(k).and_then(Value::as_f64).unwrap_or(default);
    Ok(StringMatch {
        operation,
        expression: expr
            .get("expression")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        correct: reward("correctAnswerReward", 1.0),
        wrong: reward("wrongAnswerReward", 0.0),
    })
}

impl StringMatch {
    /// The reward of `answer` for a prompt with these references: clipped to [-1, 1] as the
    /// service clips it. `None` when the operation cannot be evaluated here.
    pub fn score(&self, answer: &str, references: &BTreeMap<String, String>) -> Option<f64> {
        let mut expression = self.expression.clone();
        for (k, v) in references {
            expression = expression.replace(&format!("{{{{references.{k}}}}}"), v);
        }
        let hit = match self.operation {
            MatchOperation::Exact => answer.trim() == expression.trim(),
            MatchOperation::Partial => answer.contains(&expression),
            MatchOperation::RegexContains => return None,
        };
        Some(if hit { self.correct } else { self.wrong }.clamp(-1.0, 1.0))
    }
}

/// The total reward of weighted scores: `Σ wᵢ·rᵢ / Σ wᵢ`, as the composite config defines it.
pub fn weighted(scores: &[(f64, f64)]) -> f64 {
    let total: f64 = scores.iter().map(|(w, _)| w).sum();
    if total == 0.0 {
        return 0.0;
    }
    scores.iter().map(|(w, r)| w * r).sum::<f64>() / total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_match_scores_with_references_substituted_and_clipped() {
        let config = serde_json::json!({"rewardName": "exact", "stringMatchRewardScorer": {
            "correctAnswerReward": 2.0, "wrongAnswerReward": -1.0,
            "stringMatchExpression": {"matchOperation": "EXACT_MATCH", "expression": "{{references.answer}}"}}});
        let s = string_match(&config).unwrap();
        let refs = BTreeMap::from([("answer".to_owned(), "Paris".to_owned())]);
        assert_eq!(s.score("Paris", &refs), Some(1.0));
        assert_eq!(s.score("Lyon", &refs), Some(-1.0));
        let code = serde_json::json!({"codeExecutionRewardScorer": {"pythonCodeSnippet": "def evaluate(e, r): return 1"}});
        assert!(string_match(&code).unwrap_err().contains("Python code"));
        assert_eq!(weighted(&[(1.0, 1.0), (3.0, 0.0)]), 0.25);
    }
}
