//! Vertex AI supervised tuning's rules, once: which Gemini models can be tuned and with which
//! adapter sizes, the dataset limits, the default location, and how tokens are estimated.
//! Source: ../shared/api/VERTEX.md §3.2 (the supervised-tuning page as stored on 2026-09-25).

use crate::api::vertex::types::TuningJob;

/// The location used when none is configured (google-genai's and gcloud's default).
pub const DEFAULT_LOCATION: &str = "us-central1";

/// Input plus output tokens of one training example; longer examples are dropped.
pub const MAX_TOKENS_PER_EXAMPLE: usize = 131_072;

/// Validation examples, at most (or 30% of the training examples when there are more than
/// 1,000 validation examples).
pub const MAX_VALIDATION_EXAMPLES: usize = 5_000;

/// A training JSONL file, at most.
pub const MAX_TRAINING_FILE_BYTES: u64 = 1 << 30;

/// Text-only training examples, at most.
pub const MAX_TRAINING_EXAMPLES: usize = 10_000_000;

/// A tunable Gemini model and the adapter sizes (LoRA ranks) it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TunableModel {
    pub id: &'static str,
    pub adapter_ranks: &'static [u32],
}

/// The Gemini models supervised tuning accepts, newest first (VERTEX.md §2.1, §3.2).
pub const TUNABLE_MODELS: &[TunableModel] = &[
    TunableModel {
        id: "gemini-3.5-flash",
        adapter_ranks: &[1, 2, 4, 8, 16],
    },
    TunableModel {
        id: "gemini-3.1-flash-lite",
        adapter_ranks: &[1, 2, 4, 8, 16],
    },
    TunableModel {
        id: "gemini-2.5-pro",
        adapter_ranks: &[1, 2, 4, 8],
    },
    TunableModel {
        id: "gemini-2.5-flash",
        adapter_ranks: &[1, 2, 4, 8, 16],
    },
    TunableModel {
        id: "gemini-2.5-flash-lite",
        adapter_ranks: &[1, 2, 4, 8, 16],
    },
];

/// The tunable model with this id (`gemini-2.5-flash`, or a `publishers/google/models/` name).
pub fn tunable_model(id: &str) -> Option<&'static TunableModel> {
    let short = id.rsplit('/').next().unwrap_or(id);
    TUNABLE_MODELS.iter().find(|m| m.id == short)
}

/// Tokens in a text, estimated as a quarter of its characters, rounded up (the usual rule for
/// English with Gemini's tokenizer; the service counts exactly, this is for checks ahead of it).
pub fn estimate_tokens(text: &str) -> usize {
    text.chars().count().div_ceil(4)
}

/// The most validation examples the service takes beside `training` examples.
pub fn max_validation_examples(training: usize) -> usize {
    MAX_VALIDATION_EXAMPLES.max(if training > 0 { training * 3 / 10 } else { 0 })
}

/// True for a model name only Vertex AI answers: an endpoint (`projects/…/endpoints/…`) or a
/// publisher model (`publishers/google/models/…`); Gemini API names start `models/` or
/// `tunedModels/`.
pub fn is_vertex_model(name: &str) -> bool {
    name.starts_with("projects/") || name.starts_with("publishers/")
}

/// The name a person knows a job by: its tuned model's display name, else its id.
pub fn job_label(job: &TuningJob) -> String {
    if job.tuned_model_display_name.is_empty() {
        job.id().to_owned()
    } else {
        job.tuned_model_display_name.clone()
    }
}

/// The model a job tuned: its base, or for a job continuing a tuned model, that model's base.
pub fn job_base_model(job: &TuningJob) -> &str {
    match &job.pre_tuned_model {
        Some(p) if job.base_model.is_empty() => &p.base_model,
        _ => &job.base_model,
    }
}

/// A tuning job as one row of a list: what the dashboard's Models tab and `tunedeck jobs list`
/// both show, read once from the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSummary {
    pub id: String,
    pub display_name: String,
    /// `SUCCEEDED`, `RUNNING`… (the `JOB_STATE_` prefix dropped).
    pub state: String,
    /// The base model, or for a job continuing a tuned model, that model's base.
    pub base_model: String,
    pub created: Option<chrono::DateTime<chrono::Utc>>,
    /// Seconds from start to end; `None` until it started, and while it runs.
    pub duration_secs: Option<i64>,
    pub running: bool,
    pub epochs: Option<i64>,
    pub adapter_rank: Option<u32>,
    pub steps: Option<i64>,
}

impl JobSummary {
    pub fn of(job: &TuningJob) -> JobSummary {
        let hp = job
            .supervised_tuning_spec
            .as_ref()
            .and_then(|s| s.hyper_parameters.as_ref());
        JobSummary {
            id: job.id().to_owned(),
            display_name: job.tuned_model_display_name.clone(),
            state: job.state.name().trim_start_matches("JOB_STATE_").to_owned(),
            base_model: job_base_model(job).to_owned(),
            created: job.create_time,
            duration_secs: match (job.start_time, job.end_time) {
                (Some(a), Some(b)) => Some((b - a).num_seconds().max(0)),
                _ => None,
            },
            running: job.start_time.is_some() && job.end_time.is_none(),
            epochs: job.epoch_count(),
            adapter_rank: hp.and_then(|h| h.adapter_size.rank()),
            steps: job.step_count(),
        }
    }

    /// "12m05s", "running" or "-".
    pub fn duration_text(&self) -> String {
        match self.duration_secs {
            Some(s) => format!("{}m{:02}s", s / 60, s % 60),
            None if self.running => "running".into(),
            None => "-".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_and_estimates() {
        assert_eq!(
            tunable_model("publishers/google/models/gemini-2.5-pro").map(|m| m.adapter_ranks),
            Some(&[1u32, 2, 4, 8][..])
        );
        assert!(tunable_model("gemini-1.0-pro").is_none());
        assert_eq!(estimate_tokens("abcde"), 2);
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(max_validation_examples(100), 5_000);
        assert_eq!(max_validation_examples(100_000), 30_000);
    }
}
