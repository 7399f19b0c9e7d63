//! Wire types for the Gemini API's tuning surface (the Gemini API reference and the v1beta
//! discovery document, tests/fixtures/discovery), in the API's own names.
//!
//! Forward compatible by construction: every field has a default, unknown fields are ignored, enums
//! keep values they do not know. Output follows proto3 JSON: lowerCamelCase, fields equal to their
//! default omitted, `int64` as strings, timestamps in RFC 3339.

use super::serde_util::{
    Timestamp, int64_list, is_false, is_zero_f64, is_zero_i32, opt_timestamp, parse_duration,
};
use super::wire_enum::wire_enum;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

/// `@type` of the tuning operation's metadata. The old SDK rejects any other URL (§9.2).
pub const CREATE_TUNED_MODEL_METADATA_TYPE: &str =
    "type.googleapis.com/google.ai.generativelanguage.v1beta.CreateTunedModelMetadata";
/// `@type` of a finished tuning operation's response.
pub const TUNED_MODEL_TYPE: &str =
    "type.googleapis.com/google.ai.generativelanguage.v1beta.TunedModel";

wire_enum! {
    /// `TunedModel.state`.
    pub enum TunedModelState {
        Unspecified = 0 => "STATE_UNSPECIFIED",
        Creating = 1 => "CREATING",
        Active = 2 => "ACTIVE",
        Failed = 3 => "FAILED",
    }
}

wire_enum! {
    /// `Permission.granteeType`.
    pub enum GranteeType {
        Unspecified = 0 => "GRANTEE_TYPE_UNSPECIFIED",
        User = 1 => "USER",
        Group = 2 => "GROUP",
        Everyone = 3 => "EVERYONE",
    }
}

wire_enum! {
    /// `Permission.role`.
    pub enum Role {
        Unspecified = 0 => "ROLE_UNSPECIFIED",
        Owner = 1 => "OWNER",
        Writer = 2 => "WRITER",
        Reader = 3 => "READER",
    }
}

wire_enum! {
    /// `HarmCategory`; Gemini accepts 7 to 11.
    pub enum HarmCategory {
        Unspecified = 0 => "HARM_CATEGORY_UNSPECIFIED",
        Derogatory = 1 => "HARM_CATEGORY_DEROGATORY",
        Toxicity = 2 => "HARM_CATEGORY_TOXICITY",
        Violence = 3 => "HARM_CATEGORY_VIOLENCE",
        Sexual = 4 => "HARM_CATEGORY_SEXUAL",
        Medical = 5 => "HARM_CATEGORY_MEDICAL",
        Dangerous = 6 => "HARM_CATEGORY_DANGEROUS",
        Harassment = 7 => "HARM_CATEGORY_HARASSMENT",
        HateSpeech = 8 => "HARM_CATEGORY_HATE_SPEECH",
        SexuallyExplicit = 9 => "HARM_CATEGORY_SEXUALLY_EXPLICIT",
        DangerousContent = 10 => "HARM_CATEGORY_DANGEROUS_CONTENT",
        CivicIntegrity = 11 => "HARM_CATEGORY_CIVIC_INTEGRITY",
    }
}

wire_enum! {
    /// `SafetySetting.threshold`.
    pub enum HarmBlockThreshold {
        Unspecified = 0 => "HARM_BLOCK_THRESHOLD_UNSPECIFIED",
        BlockLowAndAbove = 1 => "BLOCK_LOW_AND_ABOVE",
        BlockMediumAndAbove = 2 => "BLOCK_MEDIUM_AND_ABOVE",
        BlockOnlyHigh = 3 => "BLOCK_ONLY_HIGH",
        BlockNone = 4 => "BLOCK_NONE",
        Off = 5 => "OFF",
    }
}

wire_enum! {
    /// `SafetyRating.probability`.
    pub enum HarmProbability {
        Unspecified = 0 => "HARM_PROBABILITY_UNSPECIFIED",
        Negligible = 1 => "NEGLIGIBLE",
        Low = 2 => "LOW",
        Medium = 3 => "MEDIUM",
        High = 4 => "HIGH",
    }
}

wire_enum! {
    /// `Candidate.finishReason`.
    pub enum FinishReason {
        Unspecified = 0 => "FINISH_REASON_UNSPECIFIED",
        Stop = 1 => "STOP",
        MaxTokens = 2 => "MAX_TOKENS",
        Safety = 3 => "SAFETY",
        Recitation = 4 => "RECITATION",
        Other = 5 => "OTHER",
        Language = 6 => "LANGUAGE",
        Blocklist = 7 => "BLOCKLIST",
        ProhibitedContent = 8 => "PROHIBITED_CONTENT",
        Spii = 9 => "SPII",
        MalformedFunctionCall = 10 => "MALFORMED_FUNCTION_CALL",
        ImageSafety = 11 => "IMAGE_SAFETY",
        UnexpectedToolCall = 12 => "UNEXPECTED_TOOL_CALL",
        TooManyToolCalls = 13 => "TOO_MANY_TOOL_CALLS",
        ImageProhibitedContent = 14 => "IMAGE_PROHIBITED_CONTENT",
        ImageOther = 15 => "IMAGE_OTHER",
        NoImage = 16 => "NO_IMAGE",
        ImageRecitation = 17 => "IMAGE_RECITATION",
    }
}

wire_enum! {
    /// `PromptFeedback.blockReason`.
    pub enum BlockReason {
        Unspecified = 0 => "BLOCK_REASON_UNSPECIFIED",
        Safety = 1 => "SAFETY",
        Other = 2 => "OTHER",
        Blocklist = 3 => "BLOCKLIST",
        ProhibitedContent = 4 => "PROHIBITED_CONTENT",
        ImageSafety = 5 => "IMAGE_SAFETY",
    }
}

/// The number for an enum value found under `key` in a response, for
/// `$alt=json;enum-encoding=int`. `None` when the key holds no enum or the name is not one of its
/// values (so `Content.role: "user"` stays a string).
pub fn enum_number_for_field(key: &str, name: &str) -> Option<i32> {
    fn find<T>(all: &[(T, &str, i32)], name: &str) -> Option<i32> {
        all.iter().find(|(_, n, _)| *n == name).map(|(_, _, v)| *v)
    }
    match key {
        "state" => find(TunedModelState::ALL, name),
        "granteeType" => find(GranteeType::ALL, name),
        "role" => find(Role::ALL, name),
        "category" => find(HarmCategory::ALL, name),
        "threshold" => find(HarmBlockThreshold::ALL, name),
        "probability" => find(HarmProbability::ALL, name),
        "finishReason" => find(FinishReason::ALL, name),
        "blockReason" => find(BlockReason::ALL, name),
        _ => None,
    }
}

/// A tuned model (`tunedModels/{id}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TunedModel {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tuned_model_source: Option<TunedModelSource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_model: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub display_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "is_unspecified_state")]
    pub state: TunedModelState,
    #[serde(with = "opt_timestamp", skip_serializing_if = "Option::is_none")]
    pub create_time: Option<Timestamp>,
    #[serde(with = "opt_timestamp", skip_serializing_if = "Option::is_none")]
    pub update_time: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tuning_task: Option<TuningTask>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<i32>,
    #[serde(with = "int64_list", skip_serializing_if = "Vec::is_empty")]
    pub reader_project_numbers: Vec<i64>,
}

fn is_unspecified_state(s: &TunedModelState) -> bool {
    *s == TunedModelState::Unspecified
}

impl TunedModel {
    /// The id after `tunedModels/`.
    pub fn id(&self) -> &str {
        self.name.strip_prefix("tunedModels/").unwrap_or(&self.name)
    }

    /// The model it was tuned from: `baseModel`, or the source's base model, or the source.
    pub fn source_model(&self) -> Option<&str> {
        self.base_model.as_deref().or_else(|| {
            self.tuned_model_source
                .as_ref()
                .and_then(|s| s.base_model.as_deref().or(s.tuned_model.as_deref()))
        })
    }

    /// The tuning snapshots, oldest first, or none.
    pub fn snapshots(&self) -> &[TuningSnapshot] {
        self.tuning_task
            .as_ref()
            .map(|t| t.snapshots.as_slice())
            .unwrap_or(&[])
    }

    pub fn hyperparameters(&self) -> Option<&Hyperparameters> {
        self.tuning_task
            .as_ref()
            .and_then(|t| t.hyperparameters.as_ref())
    }
}

/// `tunedModelSource`: tuning on top of another tuned model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TunedModelSource {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tuned_model: Option<String>,
    /// Output only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_model: Option<String>,
}

/// `tuningTask`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TuningTask {
    #[serde(with = "opt_timestamp", skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Timestamp>,
    #[serde(with = "opt_timestamp", skip_serializing_if = "Option::is_none")]
    pub complete_time: Option<Timestamp>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub snapshots: Vec<TuningSnapshot>,
    /// Input only: the server never returns it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_data: Option<Dataset>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hyperparameters: Option<Hyperparameters>,
}

/// `hyperparameters`. `learningRate` and `learningRateMultiplier` are a oneof on the wire: build
/// with [`Hyperparameters::with_learning_rate`] / [`Hyperparameters::with_multiplier`], which keep
/// only one; [`Hyperparameters::learning_rate_option`] reports a body that set both.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Hyperparameters {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learning_rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learning_rate_multiplier: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epoch_count: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<i32>,
}

/// Which member of the `learning_rate_option` oneof is set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LearningRateOption {
    LearningRate(f64),
    Multiplier(f64),
}

impl Hyperparameters {
    pub fn with_learning_rate(mut self, rate: f64) -> Self {
        self.learning_rate = Some(rate);
        self.learning_rate_multiplier = None;
        self
    }

    pub fn with_multiplier(mut self, multiplier: f64) -> Self {
        self.learning_rate_multiplier = Some(multiplier);
        self.learning_rate = None;
        self
    }

    /// The learning-rate option, or an error naming both fields when both are set.
    pub fn learning_rate_option(&self) -> Result<Option<LearningRateOption>, &'static str> {
        match (self.learning_rate, self.learning_rate_multiplier) {
            (Some(_), Some(_)) => Err(
                "learningRate and learningRateMultiplier are a oneof: set one or the other, not both",
            ),
            (Some(r), None) => Ok(Some(LearningRateOption::LearningRate(r))),
            (None, Some(m)) => Ok(Some(LearningRateOption::Multiplier(m))),
            (None, None) => Ok(None),
        }
    }
}

/// `trainingData`: a oneof whose only member is inline examples.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Dataset {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub examples: Option<TuningExamples>,
}

impl Dataset {
    pub fn from_examples(examples: Vec<TuningExample>) -> Self {
        Dataset {
            examples: Some(TuningExamples { examples }),
        }
    }

    pub fn examples(&self) -> &[TuningExample] {
        self.examples
            .as_ref()
            .map(|e| e.examples.as_slice())
            .unwrap_or(&[])
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TuningExamples {
    pub examples: Vec<TuningExample>,
}

/// One single-turn training pair.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TuningExample {
    pub text_input: String,
    pub output: String,
    /// Never on the Gemini wire: a Vertex AI example that is more than one text turn each way
    /// (more turns, a system instruction, parts that are not text), as its JSON line, so the
    /// dataset editor writes it back intact. `text_input` and `output` are then its first user
    /// turn and last model turn, and editing them edits those turns
    /// (`crate::dataset::vertex::VertexExample::from_editor`).
    #[serde(skip)]
    pub vertex: Option<String>,
    /// Never on the Gemini wire: a Vertex AI preference (DPO) example. `text_input` is then
    /// its prompt's last user turn and `output` its preferred answer; this holds the rejected
    /// answer and the whole line (`crate::dataset::preference`).
    #[serde(skip)]
    pub preference: Option<Box<PreferenceParts>>,
}

/// What a preference example holds beyond its prompt and preferred answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PreferenceParts {
    /// The rejected (score 0) answer's text, as edited.
    pub rejected: String,
    /// The example's JSON line as read (or as made for a new example), kept so that what the
    /// editor does not show (earlier turns, unknown fields) is written back as it was.
    pub line: String,
}

impl TuningExample {
    pub fn new(text_input: impl Into<String>, output: impl Into<String>) -> Self {
        TuningExample {
            text_input: text_input.into(),
            output: output.into(),
            vertex: None,
            preference: None,
        }
    }
}

/// One step of tuning. `epoch` is omitted on the wire when 0.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TuningSnapshot {
    pub step: i32,
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub epoch: i32,
    pub mean_loss: f64,
    #[serde(with = "opt_timestamp", skip_serializing_if = "Option::is_none")]
    pub compute_time: Option<Timestamp>,
}

/// `CreateTunedModelMetadata`, the tuning operation's metadata.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateTunedModelMetadata {
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub total_steps: i32,
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub completed_steps: i32,
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub completed_percent: f64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub snapshots: Vec<TuningSnapshot>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub tuned_model: String,
}

/// A `google.longrunning.Operation`. `metadata` and `response` are `Any` messages kept as JSON;
/// the typed accessors decode the tuning ones.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Operation {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    #[serde(skip_serializing_if = "is_false")]
    pub done: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Status>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<Value>,
}

impl Operation {
    /// The tuning metadata, when the operation carries it.
    pub fn tuning_metadata(&self) -> Option<CreateTunedModelMetadata> {
        self.metadata
            .as_ref()
            .and_then(|m| serde_json::from_value(m.clone()).ok())
    }

    /// The finished tuned model, when the operation succeeded.
    pub fn tuned_model(&self) -> Option<TunedModel> {
        self.response
            .as_ref()
            .and_then(|r| serde_json::from_value(r.clone()).ok())
    }

    /// The tuned model's name: from the metadata, or the operation name's prefix.
    pub fn tuned_model_name(&self) -> Option<String> {
        self.tuning_metadata()
            .map(|m| m.tuned_model)
            .filter(|n| !n.is_empty())
            .or_else(|| {
                self.name
                    .split_once("/operations/")
                    .map(|(model, _)| model.to_owned())
            })
    }

    /// Done with error code 1 (CANCELLED), as google-api-core's `cancelled()` checks.
    pub fn is_cancelled(&self) -> bool {
        self.done && self.error.as_ref().is_some_and(|e| e.code == 1)
    }
}

/// A `Permission` on a tuned model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Permission {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grantee_type: Option<GranteeType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_address: Option<String>,
    pub role: Role,
}

/// A base `Model` (`models/{id}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Model {
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub base_model_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub version: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub display_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub input_token_limit: i32,
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub output_token_limit: i32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub supported_generation_methods: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thinking: Option<bool>,
}

impl Model {
    pub fn supports(&self, method: &str) -> bool {
        self.supported_generation_methods
            .iter()
            .any(|m| m == method)
    }

    /// True for a base model that can be tuned.
    pub fn is_tunable(&self) -> bool {
        self.supports("createTunedModel")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListTunedModelsResponse {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tuned_models: Vec<TunedModel>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub next_page_token: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListPermissionsResponse {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<Permission>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub next_page_token: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListOperationsResponse {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<Operation>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub next_page_token: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListModelsResponse {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<Model>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub next_page_token: String,
}

/// One page of a list call, whatever it lists.
pub trait Page {
    type Item;
    fn into_parts(self) -> (Vec<Self::Item>, String);
}

macro_rules! page_impl {
    ($t:ty, $item:ty, $field:ident) => {
        impl Page for $t {
            type Item = $item;
            fn into_parts(self) -> (Vec<$item>, String) {
                (self.$field, self.next_page_token)
            }
        }
    };
}
page_impl!(ListTunedModelsResponse, TunedModel, tuned_models);
page_impl!(ListPermissionsResponse, Permission, permissions);
page_impl!(ListOperationsResponse, Operation, operations);
page_impl!(ListModelsResponse, Model, models);

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TransferOwnershipRequest {
    pub email_address: String,
}

// ---- generateContent ----

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GenerateContentRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub contents: Vec<Content>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_instruction: Option<Content>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_config: Option<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub safety_settings: Vec<SafetySetting>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation_config: Option<GenerationConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached_content: Option<String>,
}

impl GenerateContentRequest {
    /// A single-turn text prompt.
    pub fn text(prompt: impl Into<String>) -> Self {
        GenerateContentRequest {
            contents: vec![Content::user_text(prompt)],
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Content {
    pub parts: Vec<Part>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

impl Content {
    pub fn user_text(text: impl Into<String>) -> Self {
        Content {
            role: Some("user".into()),
            parts: vec![Part::text(text)],
        }
    }

    /// All text parts joined.
    pub fn text(&self) -> String {
        self.parts
            .iter()
            .filter_map(|p| p.text.as_deref())
            .collect()
    }
}

/// A `Part`: a oneof, of which only `text` matters for tuned models; the others are kept as JSON
/// so that a request with them can be recognised and refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Part {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inline_data: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_data: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_call: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_response: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executable_code: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_execution_result: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thought: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thought_signature: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_metadata: Option<Value>,
}

impl Part {
    pub fn text(text: impl Into<String>) -> Self {
        Part {
            text: Some(text.into()),
            ..Default::default()
        }
    }

    /// True when the part is text and nothing else.
    pub fn is_text_only(&self) -> bool {
        self.text.is_some()
            && self.inline_data.is_none()
            && self.file_data.is_none()
            && self.function_call.is_none()
            && self.function_response.is_none()
            && self.executable_code.is_none()
            && self.code_execution_result.is_none()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SafetySetting {
    pub category: HarmCategory,
    pub threshold: HarmBlockThreshold,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GenerationConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate_count: Option<i32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stop_sequences: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_mime_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_schema: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_json_schema: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f64>,
    // The rest of the v1beta proto's fields, kept as sent: tunedeck does not use them, but the
    // emulator refuses unknown names, so every real field must be known here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_logprobs: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_enhanced_civic_answers: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_modalities: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speech_config: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thinking_config: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_config: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_resolution: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GenerateContentResponse {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Candidate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_feedback: Option<PromptFeedback>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage_metadata: Option<UsageMetadata>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_id: Option<String>,
}

impl GenerateContentResponse {
    /// The first candidate's text, as the SDKs' `.text` gives it.
    pub fn text(&self) -> String {
        self.candidates
            .first()
            .and_then(|c| c.content.as_ref())
            .map(Content::text)
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Candidate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<Content>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<FinishReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finish_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<i32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub safety_ratings: Vec<SafetyRating>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub citation_metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_count: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avg_logprobs: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SafetyRating {
    pub category: HarmCategory,
    pub probability: HarmProbability,
    #[serde(skip_serializing_if = "is_false")]
    pub blocked: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PromptFeedback {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_reason: Option<BlockReason>,
    /// Vertex AI only (the Gemini API's PromptFeedback has no such field): why, in words.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub block_reason_message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub safety_ratings: Vec<SafetyRating>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UsageMetadata {
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub prompt_token_count: i32,
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub cached_content_token_count: i32,
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub candidates_token_count: i32,
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub thoughts_token_count: i32,
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub total_token_count: i32,
}

/// `countTokens` answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CountTokensResponse {
    pub total_tokens: i32,
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub cached_content_token_count: i32,
}

/// The legacy PaLM `generateText` request (tuned `text-bison-001` models).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GenerateTextRequest {
    pub prompt: TextPrompt,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate_count: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<i32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stop_sequences: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub safety_settings: Vec<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TextPrompt {
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GenerateTextResponse {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<TextCompletion>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TextCompletion {
    pub output: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub safety_ratings: Vec<SafetyRating>,
}

// ---- google.rpc.Status ----

/// The body of every error answer: `{"error": Status}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorEnvelope {
    pub error: Status,
}

/// `google.rpc.Status`. In an HTTP error body it also carries `status`, the canonical code name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Status {
    pub code: i32,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub status: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ErrorDetail>,
}

impl Status {
    pub fn error_info(&self) -> Option<&ErrorInfo> {
        self.details.iter().find_map(|d| match d {
            ErrorDetail::ErrorInfo(i) => Some(i),
            _ => None,
        })
    }

    pub fn retry_delay(&self) -> Option<Duration> {
        self.details.iter().find_map(|d| match d {
            ErrorDetail::RetryInfo(r) => parse_duration(&r.retry_delay),
            _ => None,
        })
    }

    pub fn field_violations(&self) -> impl Iterator<Item = &FieldViolation> {
        self.details.iter().flat_map(|d| match d {
            ErrorDetail::BadRequest(b) => b.field_violations.as_slice(),
            _ => &[],
        })
    }
}

/// A typed member of `Status.details`, chosen by its `@type`; unknown types are kept as JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum ErrorDetail {
    ErrorInfo(ErrorInfo),
    BadRequest(BadRequest),
    RetryInfo(RetryInfo),
    QuotaFailure(QuotaFailure),
    Help(Help),
    LocalizedMessage(LocalizedMessage),
    Other(Value),
}

const RPC_TYPE_PREFIX: &str = "type.googleapis.com/google.rpc.";

impl ErrorDetail {
    fn type_name(&self) -> Option<&'static str> {
        Some(match self {
            ErrorDetail::ErrorInfo(_) => "ErrorInfo",
            ErrorDetail::BadRequest(_) => "BadRequest",
            ErrorDetail::RetryInfo(_) => "RetryInfo",
            ErrorDetail::QuotaFailure(_) => "QuotaFailure",
            ErrorDetail::Help(_) => "Help",
            ErrorDetail::LocalizedMessage(_) => "LocalizedMessage",
            ErrorDetail::Other(_) => return None,
        })
    }
}

impl Serialize for ErrorDetail {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let body = match self {
            ErrorDetail::ErrorInfo(v) => serde_json::to_value(v),
            ErrorDetail::BadRequest(v) => serde_json::to_value(v),
            ErrorDetail::RetryInfo(v) => serde_json::to_value(v),
            ErrorDetail::QuotaFailure(v) => serde_json::to_value(v),
            ErrorDetail::Help(v) => serde_json::to_value(v),
            ErrorDetail::LocalizedMessage(v) => serde_json::to_value(v),
            ErrorDetail::Other(v) => return v.serialize(s),
        }
        .map_err(serde::ser::Error::custom)?;
        let mut map = serde_json::Map::new();
        if let Some(name) = self.type_name() {
            map.insert(
                "@type".into(),
                Value::String(format!("{RPC_TYPE_PREFIX}{name}")),
            );
        }
        if let Value::Object(fields) = body {
            map.extend(fields);
        }
        Value::Object(map).serialize(s)
    }
}

impl<'de> Deserialize<'de> for ErrorDetail {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        let type_url = value.get("@type").and_then(Value::as_str).unwrap_or("");
        let kind = type_url.strip_prefix(RPC_TYPE_PREFIX).unwrap_or("");
        fn typed<T: serde::de::DeserializeOwned>(
            v: &Value,
            wrap: fn(T) -> ErrorDetail,
        ) -> ErrorDetail {
            serde_json::from_value(v.clone())
                .map(wrap)
                .unwrap_or_else(|_| ErrorDetail::Other(v.clone()))
        }
        Ok(match kind {
            "ErrorInfo" => typed(&value, ErrorDetail::ErrorInfo),
            "BadRequest" => typed(&value, ErrorDetail::BadRequest),
            "RetryInfo" => typed(&value, ErrorDetail::RetryInfo),
            "QuotaFailure" => typed(&value, ErrorDetail::QuotaFailure),
            "Help" => typed(&value, ErrorDetail::Help),
            "LocalizedMessage" => typed(&value, ErrorDetail::LocalizedMessage),
            _ => ErrorDetail::Other(value),
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ErrorInfo {
    pub reason: String,
    pub domain: String,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub metadata: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BadRequest {
    pub field_violations: Vec<FieldViolation>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RetryInfo {
    pub retry_delay: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QuotaFailure {
    pub violations: Vec<QuotaViolation>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QuotaViolation {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subject: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub quota_metric: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub quota_id: String,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub quota_dimensions: std::collections::BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota_value: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Help {
    pub links: Vec<HelpLink>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HelpLink {
    pub description: String,
    pub url: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LocalizedMessage {
    pub locale: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_decode_from_names_numbers_and_unknowns() {
        let s: TunedModelState = serde_json::from_str("\"ACTIVE\"").unwrap();
        assert_eq!(s, TunedModelState::Active);
        let s: TunedModelState = serde_json::from_str("2").unwrap();
        assert_eq!(s, TunedModelState::Active);
        let s: TunedModelState = serde_json::from_str("\"PAUSED\"").unwrap();
        assert_eq!(s, TunedModelState::Unrecognized("PAUSED".into()));
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"PAUSED\"");
        assert_eq!(enum_number_for_field("role", "READER"), Some(3));
        assert_eq!(enum_number_for_field("role", "user"), None);
    }

    #[test]
    fn int64_lists_read_strings_and_numbers_and_write_strings() {
        let m: TunedModel =
            serde_json::from_str(r#"{"readerProjectNumbers": ["123", 456]}"#).unwrap();
        assert_eq!(m.reader_project_numbers, vec![123, 456]);
        let out = serde_json::to_value(&m).unwrap();
        assert_eq!(
            out["readerProjectNumbers"],
            serde_json::json!(["123", "456"])
        );
    }

    #[test]
    fn defaults_are_omitted_and_unknown_fields_ignored() {
        let snap: TuningSnapshot =
            serde_json::from_str(r#"{"step": 1, "meanLoss": 7.1, "future": {"x": 1}}"#).unwrap();
        assert_eq!(snap.epoch, 0);
        let out = serde_json::to_value(&snap).unwrap();
        assert!(out.get("epoch").is_none());
    }

    #[test]
    fn both_learning_rate_options_is_an_error() {
        let h = Hyperparameters {
            learning_rate: Some(0.1),
            learning_rate_multiplier: Some(1.0),
            ..Default::default()
        };
        assert!(h.learning_rate_option().is_err());
        let h = h.with_multiplier(2.0);
        assert_eq!(
            h.learning_rate_option(),
            Ok(Some(LearningRateOption::Multiplier(2.0)))
        );
    }
}
