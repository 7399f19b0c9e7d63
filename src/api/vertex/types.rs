//! Vertex AI supervised tuning on the wire (the aiplatform v1 discovery document's TuningJob,
//! tests/fixtures/discovery): `TuningJob` and what hangs off it, Cloud Storage objects, and the
//! Metadata and TensorBoard resources behind a job's loss curves. Fields are camelCase, int64
//! travel as strings (numbers are read too), defaults are omitted, unknown fields are ignored and
//! unknown enum values kept, so a v1beta1 payload (or a newer server) still decodes.

use crate::api::serde_util::{Timestamp, int64_list, opt_int64, opt_timestamp};
use crate::api::types::{Content, Status};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

crate::api::wire_enum::wire_enum! {
    /// `google.cloud.aiplatform.v1.JobState`.
    pub enum JobState {
        Unspecified = 0 => "JOB_STATE_UNSPECIFIED",
        Queued = 1 => "JOB_STATE_QUEUED",
        Pending = 2 => "JOB_STATE_PENDING",
        Running = 3 => "JOB_STATE_RUNNING",
        Succeeded = 4 => "JOB_STATE_SUCCEEDED",
        Failed = 5 => "JOB_STATE_FAILED",
        Cancelling = 6 => "JOB_STATE_CANCELLING",
        Cancelled = 7 => "JOB_STATE_CANCELLED",
        Paused = 8 => "JOB_STATE_PAUSED",
        Expired = 9 => "JOB_STATE_EXPIRED",
        Updating = 10 => "JOB_STATE_UPDATING",
        PartiallySucceeded = 11 => "JOB_STATE_PARTIALLY_SUCCEEDED",
    }
}

impl JobState {
    /// No further change will come (the states that set `endTime`, and PARTIALLY_SUCCEEDED).
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            JobState::Succeeded
                | JobState::Failed
                | JobState::Cancelled
                | JobState::Expired
                | JobState::PartiallySucceeded
        )
    }
}

crate::api::wire_enum::wire_enum! {
    /// The sub-state of a running job (v1beta1 `tuningJobState`).
    pub enum TuningJobState {
        Unspecified = 0 => "TUNING_JOB_STATE_UNSPECIFIED",
        WaitingForQuota = 1 => "TUNING_JOB_STATE_WAITING_FOR_QUOTA",
        ProcessingDataset = 2 => "TUNING_JOB_STATE_PROCESSING_DATASET",
        WaitingForCapacity = 3 => "TUNING_JOB_STATE_WAITING_FOR_CAPACITY",
        Tuning = 4 => "TUNING_JOB_STATE_TUNING",
        PostProcessing = 5 => "TUNING_JOB_STATE_POST_PROCESSING",
    }
}

crate::api::wire_enum::wire_enum! {
    /// `SupervisedHyperParameters.AdapterSize`: the LoRA rank, named as words.
    pub enum AdapterSize {
        Unspecified = 0 => "ADAPTER_SIZE_UNSPECIFIED",
        One = 1 => "ADAPTER_SIZE_ONE",
        Two = 6 => "ADAPTER_SIZE_TWO",
        Four = 2 => "ADAPTER_SIZE_FOUR",
        Eight = 3 => "ADAPTER_SIZE_EIGHT",
        Sixteen = 4 => "ADAPTER_SIZE_SIXTEEN",
        ThirtyTwo = 5 => "ADAPTER_SIZE_THIRTY_TWO",
    }
}

impl AdapterSize {
    /// The rank as a number (`ADAPTER_SIZE_FOUR` → 4); `None` when unspecified or unknown.
    pub fn rank(&self) -> Option<u32> {
        match self {
            AdapterSize::One => Some(1),
            AdapterSize::Two => Some(2),
            AdapterSize::Four => Some(4),
            AdapterSize::Eight => Some(8),
            AdapterSize::Sixteen => Some(16),
            AdapterSize::ThirtyTwo => Some(32),
            _ => None,
        }
    }

    /// The size of a rank (`4` → `ADAPTER_SIZE_FOUR`).
    pub fn from_rank(rank: u32) -> Option<AdapterSize> {
        [
            AdapterSize::One,
            AdapterSize::Two,
            AdapterSize::Four,
            AdapterSize::Eight,
            AdapterSize::Sixteen,
            AdapterSize::ThirtyTwo,
        ]
        .into_iter()
        .find(|a| a.rank() == Some(rank))
    }
}

crate::api::wire_enum::wire_enum! {
    /// v1beta1 `SupervisedTuningSpec.TuningMode`: an open model's weights all trained, or a
    /// LoRA adapter beside them.
    pub enum WireTuningMode {
        Unspecified = 0 => "TUNING_MODE_UNSPECIFIED",
        Full = 1 => "TUNING_MODE_FULL",
        PeftAdapter = 2 => "TUNING_MODE_PEFT_ADAPTER",
    }
}

impl WireTuningMode {
    fn is_unspecified(&self) -> bool {
        *self == WireTuningMode::Unspecified
    }
}

/// A supervised tuning job (`projects/*/locations/*/tuningJobs/*`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TuningJob {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub tuned_model_display_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub base_model: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre_tuned_model: Option<PreTunedModel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supervised_tuning_spec: Option<SupervisedTuningSpec>,
    /// Preference tuning (DPO): set instead of `supervised_tuning_spec`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preference_optimization_spec: Option<PreferenceOptimizationSpec>,
    /// Early access (v1beta1): see [`DistillationSpec`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distillation_spec: Option<DistillationSpec>,
    /// Pre-GA (v1beta1, google-genai 2.7+): see [`ReinforcementTuningSpec`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reinforcement_tuning_spec: Option<ReinforcementTuningSpec>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "JobState::is_unspecified")]
    pub state: JobState,
    /// v1beta1 only.
    #[serde(skip_serializing_if = "TuningJobState::is_unspecified")]
    pub tuning_job_state: TuningJobState,
    /// v1beta1 only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tuning_job_metadata: Option<TuningJobMetadata>,
    #[serde(with = "opt_timestamp", skip_serializing_if = "Option::is_none")]
    pub create_time: Option<Timestamp>,
    #[serde(with = "opt_timestamp", skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Timestamp>,
    #[serde(with = "opt_timestamp", skip_serializing_if = "Option::is_none")]
    pub end_time: Option<Timestamp>,
    #[serde(with = "opt_timestamp", skip_serializing_if = "Option::is_none")]
    pub update_time: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Status>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub experiment: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tuned_model: Option<TunedModelRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tuning_data_stats: Option<TuningDataStats>,
    /// v1beta1 only: the Cloud Storage folder an open model's tuning writes its weights to
    /// (required for open models, refused for Gemini).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub output_uri: String,
}

impl JobState {
    fn is_unspecified(&self) -> bool {
        *self == JobState::Unspecified
    }
}

impl TuningJobState {
    fn is_unspecified(&self) -> bool {
        *self == TuningJobState::Unspecified
    }
}

impl TuningJob {
    /// Whether the job sets a field only v1beta1 has (an open model's settings): it is then
    /// created on v1beta1.
    pub fn needs_v1beta1(&self) -> bool {
        let spec = self.supervised_tuning_spec.as_ref();
        let hp = spec.and_then(|s| s.hyper_parameters.as_ref());
        !self.output_uri.is_empty()
            || spec.is_some_and(|s| !s.tuning_mode.is_unspecified())
            || hp.is_some_and(|h| h.learning_rate.is_some() || h.batch_size.is_some())
    }

    /// The planned number of optimizer steps, once the dataset has been read.
    pub fn step_count(&self) -> Option<i64> {
        let stats = self.tuning_data_stats.as_ref()?;
        stats
            .supervised_tuning_data_stats
            .as_ref()
            .and_then(|s| s.tuning_step_count)
            .or_else(|| {
                stats
                    .preference_optimization_data_stats
                    .as_ref()
                    .and_then(|s| s.tuning_step_count)
            })
    }

    /// The epochs asked for (or filled in by the service).
    pub fn epoch_count(&self) -> Option<i64> {
        let supervised = self
            .supervised_tuning_spec
            .as_ref()
            .and_then(|s| s.hyper_parameters.as_ref())
            .and_then(|h| h.epoch_count);
        supervised
            .or_else(|| {
                self.preference_optimization_spec
                    .as_ref()
                    .and_then(|s| s.hyper_parameters.as_ref())
                    .and_then(|h| h.epoch_count)
            })
            .or_else(|| {
                self.distillation_spec
                    .as_ref()
                    .and_then(|s| s.hyper_parameters.as_ref())
                    .and_then(|h| h.epoch_count)
            })
            .or_else(|| {
                self.reinforcement_tuning_spec
                    .as_ref()
                    .and_then(|s| s.hyper_parameters.as_ref())
                    .and_then(|h| h.epoch_count)
            })
    }

    /// The job id: the last segment of its name.
    pub fn id(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or(&self.name)
    }
}

/// Continuous tuning: the tuned model (and optionally which of its checkpoints) to start from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PreTunedModel {
    /// `projects/P/locations/L/models/M[@version]`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub tuned_model_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub checkpoint_id: String,
    /// Output only: the base model the source was tuned from.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub base_model: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SupervisedTuningSpec {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub training_dataset_uri: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub validation_dataset_uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hyper_parameters: Option<HyperParameters>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub export_last_checkpoint_only: bool,
    /// v1beta1 only, open models only.
    #[serde(skip_serializing_if = "WireTuningMode::is_unspecified")]
    pub tuning_mode: WireTuningMode,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HyperParameters {
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub epoch_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learning_rate_multiplier: Option<f64>,
    /// Open-weight models only (v1beta1); refused beside a multiplier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learning_rate: Option<f64>,
    /// Open-weight models only (v1beta1).
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<i64>,
    #[serde(skip_serializing_if = "AdapterSize::is_unspecified")]
    pub adapter_size: AdapterSize,
}

/// `PreferenceOptimizationSpec` (v1 and v1beta1 alike): a preference (DPO) tuning job's
/// datasets and settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PreferenceOptimizationSpec {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub training_dataset_uri: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub validation_dataset_uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hyper_parameters: Option<PreferenceHyperParameters>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub export_last_checkpoint_only: bool,
}

/// `PreferenceOptimizationHyperParameters`: the supervised ones without a plain learning
/// rate, plus `beta`, the weight of the pull towards the starting model (KL regularization).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PreferenceHyperParameters {
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub epoch_count: Option<i64>,
    #[serde(skip_serializing_if = "AdapterSize::is_unspecified")]
    pub adapter_size: AdapterSize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learning_rate_multiplier: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta: Option<f64>,
}

impl AdapterSize {
    pub(crate) fn is_unspecified(&self) -> bool {
        *self == AdapterSize::Unspecified
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TuningJobMetadata {
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub completed_epoch_count: Option<i64>,
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub completed_step_count: Option<i64>,
}

/// What a job made: the model in the registry, the endpoint that serves it, its checkpoints.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TunedModelRef {
    /// `projects/P/locations/L/models/M@version`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub model: String,
    /// `projects/P/locations/L/endpoints/E`: what `generateContent` is called on.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub endpoint: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checkpoints: Vec<Checkpoint>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Checkpoint {
    pub checkpoint_id: String,
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub epoch: Option<i64>,
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub step: Option<i64>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub endpoint: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TuningDataStats {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supervised_tuning_data_stats: Option<SupervisedTuningDataStats>,
    /// A preference (DPO) job's stats, in place of the supervised ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preference_optimization_data_stats: Option<PreferenceOptimizationDataStats>,
}

/// `PreferenceOptimizationDataStats`: what the service read of a preference dataset.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PreferenceOptimizationDataStats {
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub tuning_dataset_example_count: Option<i64>,
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub total_billable_token_count: Option<i64>,
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub tuning_step_count: Option<i64>,
    /// 1-based indices of a sample of the dropped examples.
    #[serde(with = "int64_list", skip_serializing_if = "Vec::is_empty")]
    pub dropped_example_indices: Vec<i64>,
    /// For each of `dropped_example_indices`, why it was dropped.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dropped_example_reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SupervisedTuningDataStats {
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub tuning_dataset_example_count: Option<i64>,
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub total_tuning_character_count: Option<i64>,
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub total_billable_token_count: Option<i64>,
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub tuning_step_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_input_token_distribution: Option<Distribution>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_output_token_distribution: Option<Distribution>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_message_per_example_distribution: Option<Distribution>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub user_dataset_examples: Vec<Content>,
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub total_truncated_example_count: Option<i64>,
    #[serde(with = "int64_list", skip_serializing_if = "Vec::is_empty")]
    pub truncated_example_indices: Vec<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dropped_example_reasons: Vec<String>,
}

/// `SupervisedTuningDatasetDistribution`: a summary and a histogram.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Distribution {
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub sum: Option<i64>,
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub billable_sum: Option<i64>,
    #[serde(skip_serializing_if = "crate::api::serde_util::is_zero_f64")]
    pub min: f64,
    #[serde(skip_serializing_if = "crate::api::serde_util::is_zero_f64")]
    pub max: f64,
    #[serde(skip_serializing_if = "crate::api::serde_util::is_zero_f64")]
    pub mean: f64,
    #[serde(skip_serializing_if = "crate::api::serde_util::is_zero_f64")]
    pub median: f64,
    #[serde(skip_serializing_if = "crate::api::serde_util::is_zero_f64")]
    pub p5: f64,
    #[serde(skip_serializing_if = "crate::api::serde_util::is_zero_f64")]
    pub p95: f64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub buckets: Vec<Bucket>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Bucket {
    #[serde(skip_serializing_if = "crate::api::serde_util::is_zero_f64")]
    pub count: f64,
    #[serde(skip_serializing_if = "crate::api::serde_util::is_zero_f64")]
    pub left: f64,
    #[serde(skip_serializing_if = "crate::api::serde_util::is_zero_f64")]
    pub right: f64,
}

/// Like every answer of Vertex AI (proto3 JSON), an empty list is left out, never `[]`: the
/// emulator serves these types, so they skip empty lists and zero numbers.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListTuningJobsResponse {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tuning_jobs: Vec<TuningJob>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub next_page_token: String,
}

/// A Cloud Storage object's metadata (JSON API `Object`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StorageObject {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub bucket: String,
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub metageneration: Option<i64>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub content_type: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub storage_class: String,
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub md5_hash: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub crc32c: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub etag: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub self_link: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub media_link: String,
    #[serde(with = "opt_timestamp", skip_serializing_if = "Option::is_none")]
    pub time_created: Option<Timestamp>,
    #[serde(with = "opt_timestamp", skip_serializing_if = "Option::is_none")]
    pub updated: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListObjectsResponse {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<StorageObject>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub next_page_token: String,
}

/// A Vertex AI Metadata context (an Experiment or an ExperimentRun).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MetadataContext {
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub display_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub schema_title: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub schema_version: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parent_contexts: Vec<String>,
    /// For an experiment: `backing_tensorboard_resource` (snake_case, as the SDK writes it).
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub metadata: serde_json::Map<String, serde_json::Value>,
    #[serde(with = "opt_timestamp", skip_serializing_if = "Option::is_none")]
    pub create_time: Option<Timestamp>,
    #[serde(with = "opt_timestamp", skip_serializing_if = "Option::is_none")]
    pub update_time: Option<Timestamp>,
}

impl MetadataContext {
    /// The TensorBoard an experiment's runs are written to.
    pub fn backing_tensorboard(&self) -> Option<&str> {
        self.metadata
            .get("backing_tensorboard_resource")
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListContextsResponse {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contexts: Vec<MetadataContext>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub next_page_token: String,
}

/// A TensorBoard instance, or one of its experiments or runs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TensorboardResource {
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub display_name: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_default: bool,
    #[serde(with = "opt_timestamp", skip_serializing_if = "Option::is_none")]
    pub create_time: Option<Timestamp>,
    #[serde(with = "opt_timestamp", skip_serializing_if = "Option::is_none")]
    pub update_time: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListTensorboardsResponse {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tensorboards: Vec<TensorboardResource>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub next_page_token: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListRunsResponse {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tensorboard_runs: Vec<TensorboardResource>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub next_page_token: String,
}

/// A scalar series of a TensorBoard run (`/train_total_loss`, …): match on `displayName`, the
/// id is opaque.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TimeSeries {
    pub name: String,
    pub display_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub value_type: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub plugin_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<TimeSeriesMetadata>,
    #[serde(with = "opt_timestamp", skip_serializing_if = "Option::is_none")]
    pub create_time: Option<Timestamp>,
    #[serde(with = "opt_timestamp", skip_serializing_if = "Option::is_none")]
    pub update_time: Option<Timestamp>,
}

impl TimeSeries {
    /// The id: the last segment of the name.
    pub fn id(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or(&self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TimeSeriesMetadata {
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub max_step: Option<i64>,
    #[serde(with = "opt_timestamp", skip_serializing_if = "Option::is_none")]
    pub max_wall_time: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListTimeSeriesResponse {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tensorboard_time_series: Vec<TimeSeries>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub next_page_token: String,
}

/// One point of a scalar series.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TimeSeriesPoint {
    #[serde(with = "opt_timestamp", skip_serializing_if = "Option::is_none")]
    pub wall_time: Option<Timestamp>,
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub step: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scalar: Option<Scalar>,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Scalar {
    #[serde(skip_serializing_if = "crate::api::serde_util::is_zero_f64")]
    pub value: f64,
}

/// The points of one series, as `batchRead` and `:read` return them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TimeSeriesData {
    pub tensorboard_time_series_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub value_type: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<TimeSeriesPoint>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BatchReadResponse {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub time_series_data: Vec<TimeSeriesData>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ReadTimeSeriesResponse {
    pub time_series_data: TimeSeriesData,
}

/// `exportTensorboardTimeSeries`: every point, paged, optionally filtered.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ExportTimeSeriesRequest {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub filter: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_size: Option<i32>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub page_token: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub order_by: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ExportTimeSeriesResponse {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub time_series_data_points: Vec<TimeSeriesPoint>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub next_page_token: String,
}

// The early-access tuning methods on the wire: distillation (v1beta1 `distillationSpec`: a
// teacher model answers a prompt dataset and the student learns the answers) and
// reinforcement tuning (`reinforcementTuningSpec`: the student's answers are scored by reward
// configs). The discovery document of 2026-03 has `distillationSpec` without `promptDatasetUri`
// and `tuningMode`, and no `reinforcementTuningSpec`; google-genai 3.3.0 sends both, so its
// field names are the source here. Reward configs are kept as sent (JSON): there are many
// scorer kinds, and a job is shown with whatever it holds.

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
    /// How much the supervised part of the loss weighs (google-genai's
    /// `sft_loss_weight_multiplier`); kept, not used by the emulator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sft_loss_weight_multiplier: Option<f64>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int64_fields_read_strings_and_numbers_and_unknown_values_survive() {
        let job: TuningJob = serde_json::from_value(serde_json::json!({
            "name": "projects/1/locations/us-central1/tuningJobs/42",
            "state": "JOB_STATE_SOMETHING_NEW",
            "supervisedTuningSpec": {"hyperParameters": {"epochCount": 3, "adapterSize": "ADAPTER_SIZE_FOUR"}},
            "tuningDataStats": {"supervisedTuningDataStats": {"tuningStepCount": "30"}},
            "tunedModel": {"checkpoints": [{"checkpointId": "1", "epoch": "1", "step": 10}]},
            "someFieldFromTheFuture": {"x": 1}
        }))
        .unwrap();
        assert_eq!(job.epoch_count(), Some(3));
        assert_eq!(job.step_count(), Some(30));
        assert_eq!(job.id(), "42");
        assert_eq!(
            job.state,
            JobState::Unrecognized("JOB_STATE_SOMETHING_NEW".into())
        );
        let checkpoint = &job.tuned_model.as_ref().unwrap().checkpoints[0];
        assert_eq!((checkpoint.epoch, checkpoint.step), (Some(1), Some(10)));
        let wire = serde_json::to_value(&job).unwrap();
        assert_eq!(
            wire["supervisedTuningSpec"]["hyperParameters"]["epochCount"], "3",
            "int64 written as a string"
        );
        assert_eq!(AdapterSize::from_rank(16), Some(AdapterSize::Sixteen));
        assert_eq!(AdapterSize::Two.number(), Some(6));
    }
}

/// `google.longrunning.Operation`, as Vertex AI answers a delete: done at once or later, then
/// with `error` or `response` (`metadata` and `response` are kept as sent, with their `@type`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VertexOperation {
    pub name: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub done: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<serde_json::Value>,
}
