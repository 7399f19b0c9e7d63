//! The early-access tuning methods on the wire: distillation (v1beta1 `distillationSpec`: a
//! teacher model answers a prompt dataset and the student learns the answers) and
//! reinforcement tuning (`reinforcementTuningSpec`: the student's answers are scored by reward
//! configs). The discovery document of 2026-03 has `distillationSpec` without `promptDatasetUri`
//! and `tuningMode`, and no `reinforcementTuningSpec`; google-genai 3.3.0 sends both, so its
//! field names are the source here. Reward configs are kept as sent (JSON): there are many
//! scorer kinds, and a job is shown with whatever it holds.

use crate::api::serde_util::opt_int64;
use crate::api::vertex::types::AdapterSize;
use serde::{Deserialize, Serialize};

/// `distillationSpec`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DistillationSpec {
    /// The prompts the teacher answers (JSONL of `contents`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub prompt_dataset_uri: String,
    /// A publisher model as the teacher (`gemini-3.1-pro`), or …
    #[serde(skip_serializing_if = "String::is_empty")]
    pub base_teacher_model: String,
    /// … a tuned model (`projects/P/locations/L/models/M`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub tuned_teacher_model_source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hyper_parameters: Option<DistillationHyperParameters>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub validation_dataset_uri: String,
    /// Open models only: `TUNING_MODE_FULL` or `TUNING_MODE_PEFT_ADAPTER`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub tuning_mode: String,
    /// Deprecated fields the service still reads.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub student_model: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub training_dataset_uri: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pipeline_root_directory: String,
}

impl DistillationSpec {
    /// The teacher, whichever way it was named.
    pub fn teacher(&self) -> &str {
        if self.tuned_teacher_model_source.is_empty() {
            &self.base_teacher_model
        } else {
            &self.tuned_teacher_model_source
        }
    }

    /// The prompts: `promptDatasetUri`, else the deprecated `trainingDatasetUri`.
    pub fn prompts(&self) -> &str {
        if self.prompt_dataset_uri.is_empty() {
            &self.training_dataset_uri
        } else {
            &self.prompt_dataset_uri
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DistillationHyperParameters {
    #[serde(skip_serializing_if = "AdapterSize::is_unspecified")]
    pub adapter_size: AdapterSize,
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub epoch_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learning_rate_multiplier: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learning_rate: Option<f64>,
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<i64>,
    /// The teacher's sampling settings (temperature, topP, topK, candidateCount,
    /// thinkingConfig), as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation_config: Option<serde_json::Value>,
}

/// `reinforcementTuningSpec`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ReinforcementTuningSpec {
    /// Prompts with `references` the reward configs may name (`{{references.key}}`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub training_dataset_uri: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub validation_dataset_uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hyper_parameters: Option<ReinforcementHyperParameters>,
    /// One reward function …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub single_reward_config: Option<serde_json::Value>,
    /// … or several, weighted (`weightedRewardConfigs[{rewardConfig, weight}]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub composite_reward_config: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ReinforcementHyperParameters {
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub epoch_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learning_rate_multiplier: Option<f64>,
    #[serde(skip_serializing_if = "AdapterSize::is_unspecified")]
    pub adapter_size: AdapterSize,
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub samples_per_prompt: Option<i64>,
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<i64>,
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub evaluate_interval: Option<i64>,
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub checkpoint_interval: Option<i64>,
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<i64>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub thinking_level: String,
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub thinking_budget: Option<i64>,
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub step_count: Option<i64>,
}
