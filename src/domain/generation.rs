//! Generation: the settings a `generateContent` request carries, the rules a request must meet
//! before it is sent (a tuned model's limits, the settings' ranges), and how an answer is
//! scored against the expected output in an evaluation.

use super::limits::{DEFAULT_MAX_TEMPERATURE, MAX_CANDIDATES, MAX_INPUT_CHARS, MAX_STOP_SEQUENCES};
use crate::api::types::{
    Content, GenerateContentRequest, GenerationConfig, HarmBlockThreshold, HarmCategory, Model,
    Part, SafetySetting, TunedModel,
};
use crate::api::vertex::types::TuningJob;
use crate::domain::vertex::{job_base_model as vertex_base, job_label as vertex_label};

/// A model a prompt is sent to, with the limits and defaults its request is checked against.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TargetModel {
    pub name: String,
    pub label: String,
    pub tuned: bool,
    pub input_token_limit: Option<i32>,
    pub output_token_limit: Option<i32>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub top_k: Option<i32>,
    pub max_temperature: Option<f64>,
    /// What the picker says first about it (a Vertex AI endpoint's job, checkpoint, step).
    pub note: String,
}

impl TargetModel {
    /// A Vertex AI tuning job's tuned model, answered by its endpoint (`None` until the job
    /// made one). Vertex endpoints take what the base model takes (system instructions, JSON
    /// mode), so none of the Gemini API's tuned-model rules apply.
    pub fn from_tuning_job(job: &TuningJob) -> Option<Self> {
        let tuned = job
            .tuned_model
            .as_ref()
            .filter(|t| !t.endpoint.is_empty())?;
        Some(TargetModel {
            name: tuned.endpoint.clone(),
            label: vertex_label(job),
            note: format!(
                "Vertex AI · tuned from {} · final model",
                vertex_base(job).trim_start_matches("publishers/google/models/")
            ),
            ..Default::default()
        })
    }

    /// Every endpoint a Vertex AI job made: its tuned model, then each checkpoint's own
    /// endpoint (the last checkpoint shares the model's, so it is listed once).
    pub fn from_tuning_job_all(job: &TuningJob) -> Vec<Self> {
        let Some(final_model) = Self::from_tuning_job(job) else {
            return Vec::new();
        };
        let mut out = vec![final_model];
        for c in job.tuned_model.iter().flat_map(|t| &t.checkpoints) {
            if c.endpoint.is_empty() || out.iter().any(|m| m.name == c.endpoint) {
                continue;
            }
            let at = |v: Option<i64>| v.map_or("?".to_owned(), |v| v.to_string());
            out.push(TargetModel {
                name: c.endpoint.clone(),
                label: format!("{} · checkpoint {}", vertex_label(job), c.checkpoint_id),
                note: format!(
                    "Vertex AI · checkpoint at epoch {}, step {}",
                    at(c.epoch),
                    at(c.step)
                ),
                ..Default::default()
            });
        }
        out
    }

    /// A Gemini model Vertex AI serves as a publisher model (the tunable ones, as the base to
    /// compare a tuned endpoint against).
    pub fn vertex_base(id: &str) -> Self {
        TargetModel {
            name: format!("publishers/google/models/{id}"),
            label: id.to_owned(),
            note: "Vertex AI · base model".to_owned(),
            ..Default::default()
        }
    }

    pub fn from_tuned(model: &TunedModel) -> Self {
        TargetModel {
            name: model.name.clone(),
            label: if model.display_name.is_empty() {
                model.id().to_owned()
            } else {
                model.display_name.clone()
            },
            tuned: true,
            temperature: model.temperature,
            top_p: model.top_p,
            top_k: model.top_k,
            ..Default::default()
        }
    }

    pub fn from_base(model: &Model) -> Self {
        TargetModel {
            name: model.name.clone(),
            label: model.display_name.clone(),
            tuned: false,
            input_token_limit: Some(model.input_token_limit).filter(|n| *n > 0),
            output_token_limit: Some(model.output_token_limit).filter(|n| *n > 0),
            temperature: model.temperature,
            top_p: model.top_p,
            top_k: model.top_k,
            max_temperature: model.max_temperature,
            note: String::new(),
        }
    }

    /// The name, shortened where Vertex AI's are long: `endpoint 123…` for an endpoint, the
    /// model id for a publisher model.
    pub fn short_name(&self) -> String {
        if let Some((_, id)) = self.name.rsplit_once("/endpoints/") {
            format!("endpoint {id}")
        } else if let Some(id) = self.name.strip_prefix("publishers/google/models/") {
            id.to_owned()
        } else {
            self.name.clone()
        }
    }

    /// One line of limits and defaults for the picker.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.note.is_empty() {
            parts.push(self.note.clone());
        }
        if self.tuned {
            parts.push("tuned · text only · input ≤ 40,000 chars".to_owned());
        }
        if let (Some(i), Some(o)) = (self.input_token_limit, self.output_token_limit) {
            parts.push(format!("tokens in {i} / out {o}"));
        }
        let mut defaults = Vec::new();
        if let Some(t) = self.temperature {
            defaults.push(format!("temperature {t}"));
        }
        if let Some(p) = self.top_p {
            defaults.push(format!("topP {p}"));
        }
        if let Some(k) = self.top_k {
            defaults.push(format!("topK {k}"));
        }
        if !defaults.is_empty() {
            parts.push(defaults.join(", "));
        }
        parts.join(" · ")
    }
}

/// A generation setting, named for the problems that point at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenerationField {
    Temperature,
    TopP,
    TopK,
    MaxOutputTokens,
    CandidateCount,
    StopSequences,
    SystemInstruction,
    ResponseMimeType,
}

impl GenerationField {
    /// The field's name on the wire (`generationConfig.topP`, …).
    pub fn wire_name(self) -> &'static str {
        match self {
            GenerationField::Temperature => "temperature",
            GenerationField::TopP => "topP",
            GenerationField::TopK => "topK",
            GenerationField::MaxOutputTokens => "maxOutputTokens",
            GenerationField::CandidateCount => "candidateCount",
            GenerationField::StopSequences => "stopSequences",
            GenerationField::SystemInstruction => "systemInstruction",
            GenerationField::ResponseMimeType => "responseMimeType",
        }
    }
}

/// The response MIME types the service takes.
pub const RESPONSE_MIME_TYPES: [&str; 3] = ["text/plain", "application/json", "text/x.enum"];

/// Generation settings, typed; `None` and empty are not sent.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GenerationSettings {
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub top_k: Option<i32>,
    pub max_output_tokens: Option<i32>,
    pub candidate_count: Option<i32>,
    pub stop_sequences: Vec<String>,
    pub system_instruction: Option<String>,
    pub response_mime_type: Option<String>,
    /// Applied to the four Gemini harm categories; `None`: the service's default.
    pub safety_threshold: Option<HarmBlockThreshold>,
}

/// Why a request would be refused, before it is sent.
#[derive(Debug, Clone, PartialEq)]
pub enum RequestProblem {
    EmptyPrompt,
    /// A field's text is not a number (front ends that take text).
    NotANumber {
        field: GenerationField,
        text: String,
    },
    /// A tuned model takes at most `limit` characters.
    PromptTooLong {
        chars: usize,
        limit: usize,
    },
    SystemInstructionOnTunedModel,
    JsonModeOnTunedModel,
    UnknownMimeType {
        mime: String,
    },
    TemperatureOutOfRange {
        value: f64,
        max: f64,
    },
    TopPOutOfRange {
        value: f64,
    },
    TopKBelowOne,
    MaxOutputTokensOutOfRange {
        value: i32,
        limit: i32,
    },
    CandidateCountOutOfRange {
        value: i32,
    },
    TooManyStopSequences {
        count: usize,
    },
}

/// The request for `prompt` to `model`, or why it would be refused: the tuned-model rules
/// (text only, no system instruction, no JSON mode, at most 40,000 characters) and the
/// settings' ranges are checked here, before anything is sent.
pub fn build_request(
    model: &TargetModel,
    prompt: &str,
    settings: &GenerationSettings,
) -> Result<GenerateContentRequest, RequestProblem> {
    if prompt.trim().is_empty() {
        return Err(RequestProblem::EmptyPrompt);
    }
    let system = settings
        .system_instruction
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let mime = settings
        .response_mime_type
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if model.tuned {
        let chars = prompt.chars().count();
        if chars > MAX_INPUT_CHARS {
            return Err(RequestProblem::PromptTooLong {
                chars,
                limit: MAX_INPUT_CHARS,
            });
        }
        if system.is_some() {
            return Err(RequestProblem::SystemInstructionOnTunedModel);
        }
        if mime == Some("application/json") {
            return Err(RequestProblem::JsonModeOnTunedModel);
        }
    }
    if let Some(mime) = mime
        && !RESPONSE_MIME_TYPES.contains(&mime)
    {
        return Err(RequestProblem::UnknownMimeType {
            mime: mime.to_owned(),
        });
    }
    let max_temperature = model.max_temperature.unwrap_or(DEFAULT_MAX_TEMPERATURE);
    if let Some(t) = settings.temperature
        && !(0.0..=max_temperature).contains(&t)
    {
        return Err(RequestProblem::TemperatureOutOfRange {
            value: t,
            max: max_temperature,
        });
    }
    if let Some(p) = settings.top_p
        && !(0.0..=1.0).contains(&p)
    {
        return Err(RequestProblem::TopPOutOfRange { value: p });
    }
    if settings.top_k.is_some_and(|k| k < 1) {
        return Err(RequestProblem::TopKBelowOne);
    }
    if let Some(m) = settings.max_output_tokens {
        let limit = model.output_token_limit.unwrap_or(i32::MAX);
        if m < 1 || m > limit {
            return Err(RequestProblem::MaxOutputTokensOutOfRange { value: m, limit });
        }
    }
    if let Some(c) = settings.candidate_count
        && !(1..=MAX_CANDIDATES).contains(&c)
    {
        return Err(RequestProblem::CandidateCountOutOfRange { value: c });
    }
    let stop_sequences: Vec<String> = settings
        .stop_sequences
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if stop_sequences.len() > MAX_STOP_SEQUENCES {
        return Err(RequestProblem::TooManyStopSequences {
            count: stop_sequences.len(),
        });
    }
    let mut request = GenerateContentRequest::text(prompt);
    let config = GenerationConfig {
        candidate_count: settings.candidate_count,
        stop_sequences,
        max_output_tokens: settings.max_output_tokens,
        temperature: settings.temperature,
        top_p: settings.top_p,
        top_k: settings.top_k,
        response_mime_type: mime.map(str::to_owned),
        ..Default::default()
    };
    if config != GenerationConfig::default() {
        request.generation_config = Some(config);
    }
    if let Some(system) = system {
        request.system_instruction = Some(Content {
            parts: vec![Part::text(system)],
            role: None,
        });
    }
    if let Some(threshold) = &settings.safety_threshold {
        request.safety_settings = [
            HarmCategory::Harassment,
            HarmCategory::HateSpeech,
            HarmCategory::SexuallyExplicit,
            HarmCategory::DangerousContent,
        ]
        .into_iter()
        .map(|category| SafetySetting {
            category,
            threshold: threshold.clone(),
        })
        .collect();
    }
    Ok(request)
}

/// Lower-cased, whitespace folded, trailing sentence punctuation dropped: two inputs equal here
/// are near duplicates ("What is 2+2?" and "what is 2+2"), while "-3" and "3" stay apart.
/// Written into `buffer` (reused across examples: the lint runs after every edit, over up to
/// 100,000 examples, so it allocates nothing per example).
pub fn normalized<'a>(text: &str, buffer: &'a mut String) -> &'a str {
    buffer.clear();
    for word in text.split_whitespace() {
        if !buffer.is_empty() {
            buffer.push(' ');
        }
        if word.is_ascii() {
            let start = buffer.len();
            buffer.push_str(word);
            buffer[start..].make_ascii_lowercase();
        } else {
            buffer.extend(word.chars().flat_map(char::to_lowercase));
        }
    }
    buffer
        .trim_end_matches(['.', '!', '?', ',', ';', ':'])
        .trim_end()
}

/// [`normalized`] as a new string: what the evaluation's "normalized match" compares.
pub fn normalize(text: &str) -> String {
    normalized(text, &mut String::new()).to_owned()
}

/// One evaluated example: the answer, and how it compares with the expected output.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalResult {
    pub got: String,
    pub exact: bool,
    /// Equal after [`normalize`] on both sides.
    pub normalized: bool,
    pub error: Option<String>,
}

impl EvalResult {
    pub fn new(expected: &str, got: String) -> Self {
        EvalResult {
            exact: got == expected,
            normalized: normalize(&got) == normalize(expected),
            got,
            error: None,
        }
    }

    pub fn failed(error: String) -> Self {
        EvalResult {
            got: String::new(),
            exact: false,
            normalized: false,
            error: Some(error),
        }
    }
}

/// Text as the dashboard draws it: without variation selectors, whose width terminals
/// disagree on (see [`preview`]).
pub fn display_text(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '\u{FE0E}' | '\u{FE0F}'))
        .collect()
}

/// The terminal columns [`display_text`] of `text` takes, without building it.
pub fn display_width(text: &str) -> usize {
    use unicode_width::UnicodeWidthChar;
    text.chars()
        .filter(|c| !matches!(c, '\u{FE0E}' | '\u{FE0F}'))
        .map(|c| c.width().unwrap_or(0))
        .sum()
}

/// A text on one line of at most `width` terminal columns: newlines shown as ⏎, the rest cut
/// with an ellipsis. Tables, lists and the CLI's tables all preview text this way.
///
/// Width is measured as terminals draw it (wide CJK and emoji take two columns). Variation
/// selectors are dropped: terminals disagree on whether `☀️` (sun + VS16) takes one column or
/// two (tmux 3.3 draws one, unicode-width counts two), and a table whose idea of a width differs
/// from the terminal's shifts its right border; the plain `☀` is one column everywhere.
pub fn preview(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let flat = display_text(text)
        .chars()
        .map(|c| if c == '\n' { '⏎' } else { c })
        .collect::<Vec<_>>()
        .into_iter();
    let chars: Vec<char> = flat.collect();
    let total: usize = chars.iter().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return chars.into_iter().collect();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in chars {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    if width > 0 {
        out.push('…');
    }
    out
}
