//! Vertex AI supervised tuning's rules, once: which Gemini models can be tuned and with which
//! adapter sizes, the dataset limits, the default location, and how tokens are estimated.
//! Source: ../shared/api/VERTEX.md §3.2 (the supervised-tuning page as stored on 2026-09-25).

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
