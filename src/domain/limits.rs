//! Every limit and default of the tuning service, each once (the Gemini API's tuning guide and API
//! reference; the test `limits_match_the_reference` in tests/architecture.rs pins them to that
//! text).

/// A tuned model's `displayName`, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 40;
/// A training example's `text_input`, and a tuned model's prompt, in characters.
pub const MAX_INPUT_CHARS: usize = 40_000;
/// A training example's `output`, in characters.
pub const MAX_OUTPUT_CHARS: usize = 5_000;
/// A `tunedModelId`, in characters (`[a-z]([a-z0-9-]{0,38}[a-z0-9])?`).
pub const MAX_MODEL_ID_CHARS: usize = crate::api::names::MAX_TUNED_MODEL_ID_CHARS;
/// The guide's defaults for an unset `epochCount`, `batchSize` and `learningRate`.
pub const DEFAULT_EPOCHS: u32 = 5;
pub const DEFAULT_BATCH_SIZE: u32 = 4;
pub const DEFAULT_LEARNING_RATE: f64 = 0.001;
/// The base model tunedeck offers first: the one Gemini model the service tuned.
pub const DEFAULT_BASE_MODEL: &str = "models/gemini-1.5-flash-001-tuning";
/// Fewer examples than this tune poorly (the guide recommends 100 to 500; 20 is the floor it
/// names).
pub const MIN_RECOMMENDED_EXAMPLES: usize = 20;
/// The largest request body the service's front end takes: 20 MiB, the "20 MB total request
/// size" of the Gemini API docs; above it the front end answers 400 "Request payload size
/// exceeds the limit: 20971520 bytes." A tuning request carries its dataset, so this bounds it.
pub const MAX_REQUEST_BYTES: usize = 20 * 1024 * 1024;
/// What a create request adds around its examples (names, settings): kept free below
/// [`MAX_REQUEST_BYTES`] when judging a dataset's size.
pub const REQUEST_OVERHEAD_BYTES: usize = 4 * 1024;
/// AI Studio and the SDK refuse training files over 4 MB.
pub const MAX_TRAINING_JSON_BYTES: usize = 4 * 1024 * 1024;
/// `generationConfig.candidateCount` range.
pub const MAX_CANDIDATES: i32 = 8;
/// `generationConfig.stopSequences`, at most.
pub const MAX_STOP_SEQUENCES: usize = 5;
/// A model's temperature ceiling when it does not state one.
pub const DEFAULT_MAX_TEMPERATURE: f64 = 2.0;
