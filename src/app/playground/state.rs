//! The Playground's state: which model (and which second model, to compare), the prompt being
//! written, the generation settings, the answers as they stream in, the history of earlier
//! runs, and a batch evaluation. Building the request, the tuned-model checks and the answer
//! bookkeeping are plain functions here, tested without a terminal.

use crate::api::types::{
    GenerateContentRequest, GenerateContentResponse, HarmBlockThreshold, TuningExample,
    UsageMetadata,
};
use crate::app::form::{self, Fields, FormField};
pub use crate::domain::generation::TargetModel;
use crate::domain::generation::{self, GenerationField, GenerationSettings, RequestProblem};
use crate::domain::limits::{MAX_CANDIDATES, MAX_STOP_SEQUENCES};
use crate::protocol::RequestId;
use ratatui_textarea::TextArea;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// How many evaluation requests run at once.
pub const EVAL_CONCURRENCY: usize = 4;

impl FormField for GenerationField {
    const ALL: &'static [Self] = &[
        GenerationField::Temperature,
        GenerationField::TopP,
        GenerationField::TopK,
        GenerationField::MaxOutputTokens,
        GenerationField::CandidateCount,
        GenerationField::StopSequences,
        GenerationField::SystemInstruction,
        GenerationField::ResponseMimeType,
    ];

    /// The wire names: the settings are what is sent.
    fn label(self) -> &'static str {
        self.wire_name()
    }
}

/// The safety thresholds offered, applied to the four Gemini harm categories; `None`: the
/// service's default (nothing sent).
pub const THRESHOLDS: [Option<HarmBlockThreshold>; 6] = [
    None,
    Some(HarmBlockThreshold::BlockNone),
    Some(HarmBlockThreshold::BlockOnlyHigh),
    Some(HarmBlockThreshold::BlockMediumAndAbove),
    Some(HarmBlockThreshold::BlockLowAndAbove),
    Some(HarmBlockThreshold::Off),
];

/// Generation settings as typed; an empty field is not sent.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Settings {
    pub values: Fields<GenerationField>,
    /// Index into [`THRESHOLDS`].
    pub safety: usize,
}

impl Settings {
    /// The model's own defaults.
    pub fn for_model(model: &TargetModel) -> Self {
        let mut s = Settings::default();
        let text = |v: Option<String>| v.unwrap_or_default();
        s.values.set(
            GenerationField::Temperature,
            text(model.temperature.map(|v| v.to_string())),
        );
        s.values.set(
            GenerationField::TopP,
            text(model.top_p.map(|v| v.to_string())),
        );
        s.values.set(
            GenerationField::TopK,
            text(model.top_k.map(|v| v.to_string())),
        );
        s
    }

    fn parse<T: std::str::FromStr>(
        &self,
        field: GenerationField,
    ) -> Result<Option<T>, RequestProblem> {
        let text = self.values.get(field).trim();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse()
            .map(Some)
            .map_err(|_| RequestProblem::NotANumber {
                field,
                text: text.to_owned(),
            })
    }

    /// The settings as typed values, or the first field that does not parse.
    pub fn typed(&self) -> Result<GenerationSettings, RequestProblem> {
        let text = |field| {
            let t = self.values.get(field).trim();
            (!t.is_empty()).then(|| t.to_owned())
        };
        Ok(GenerationSettings {
            temperature: self.parse(GenerationField::Temperature)?,
            top_p: self.parse(GenerationField::TopP)?,
            top_k: self.parse(GenerationField::TopK)?,
            max_output_tokens: self.parse(GenerationField::MaxOutputTokens)?,
            candidate_count: self.parse(GenerationField::CandidateCount)?,
            stop_sequences: self
                .values
                .get(GenerationField::StopSequences)
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            system_instruction: text(GenerationField::SystemInstruction),
            response_mime_type: text(GenerationField::ResponseMimeType),
            safety_threshold: THRESHOLDS.get(self.safety).cloned().flatten(),
        })
    }

    pub fn threshold_label(&self) -> &'static str {
        match THRESHOLDS.get(self.safety).cloned().flatten() {
            None => "service default",
            Some(HarmBlockThreshold::BlockNone) => "BLOCK_NONE",
            Some(HarmBlockThreshold::BlockOnlyHigh) => "BLOCK_ONLY_HIGH",
            Some(HarmBlockThreshold::BlockMediumAndAbove) => "BLOCK_MEDIUM_AND_ABOVE",
            Some(HarmBlockThreshold::BlockLowAndAbove) => "BLOCK_LOW_AND_ABOVE",
            Some(_) => "OFF",
        }
    }

    /// One line for the pane: what will be sent.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .values
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(f, v)| format!("{} {}", f.label(), v.trim()))
            .chain((self.safety > 0).then(|| format!("safety {}", self.threshold_label())))
            .collect();
        if parts.is_empty() {
            "service defaults".into()
        } else {
            parts.join(" · ")
        }
    }
}

/// The request for `prompt` to `model`, or why it would be refused, in the Playground's words.
pub fn build_request(
    model: &TargetModel,
    prompt: &str,
    settings: &Settings,
) -> Result<GenerateContentRequest, String> {
    settings
        .typed()
        .and_then(|typed| generation::build_request(model, prompt, &typed))
        .map_err(|p| describe_request_problem(&p))
}

/// A request problem with the Playground's keys: `i` edits the prompt, `s` the settings.
pub fn describe_request_problem(problem: &RequestProblem) -> String {
    match problem {
        RequestProblem::EmptyPrompt => "Type a prompt first (i edits it)".into(),
        RequestProblem::NotANumber { field, text } => {
            format!("{}: {text:?} is not a number", field.wire_name())
        }
        RequestProblem::PromptTooLong { chars, limit } => format!(
            "The prompt is {chars} characters; a tuned model takes at most {}",
            thousands(*limit)
        ),
        RequestProblem::SystemInstructionOnTunedModel => {
            "Tuned models take no system instruction: clear it in settings (s)".into()
        }
        RequestProblem::JsonModeOnTunedModel => {
            "JSON mode (responseMimeType application/json) is not supported for tuned models".into()
        }
        RequestProblem::UnknownMimeType { mime } => {
            format!("responseMimeType {mime:?}: use text/plain, application/json or text/x.enum")
        }
        RequestProblem::TemperatureOutOfRange { value, max } => {
            format!("temperature {value} is outside 0 to {max}")
        }
        RequestProblem::TopPOutOfRange { value } => format!("topP {value} is outside 0 to 1"),
        RequestProblem::TopKBelowOne => "topK must be at least 1".into(),
        RequestProblem::MaxOutputTokensOutOfRange { value, limit } => {
            format!("maxOutputTokens {value} is outside 1 to {limit}")
        }
        RequestProblem::CandidateCountOutOfRange { .. } => {
            format!("candidateCount must be between 1 and {MAX_CANDIDATES}")
        }
        RequestProblem::TooManyStopSequences { count } => format!(
            "stopSequences: {count} given, at most {MAX_STOP_SEQUENCES} (separate them with commas)"
        ),
    }
}

/// 40000 as "40,000".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The request as a curl command, with the key left to the shell as `$GEMINI_API_KEY`.
pub fn curl_command(base_url: &str, model: &str, request: &GenerateContentRequest) -> String {
    let body = serde_json::to_string(request).unwrap_or_default();
    format!(
        "curl -sS '{}/v1beta/{}:streamGenerateContent?alt=sse' \\\n  -H \"x-goog-api-key: $GEMINI_API_KEY\" \\\n  -H 'Content-Type: application/json' \\\n  -d '{}'",
        base_url.trim_end_matches('/'),
        model,
        body.replace('\'', "'\\''")
    )
}

/// The same request to a Vertex AI endpoint or publisher model, authorised with the caller's
/// gcloud token (never a token of ours: the command is pasted elsewhere).
pub fn curl_command_vertex(
    place: &crate::app::VertexPlace,
    model: &str,
    request: &GenerateContentRequest,
) -> String {
    let body = serde_json::to_string(request).unwrap_or_default();
    format!(
        "curl -sS '{}/v1/{}:streamGenerateContent?alt=sse' \\\n  -H \"Authorization: Bearer $(gcloud auth print-access-token)\" \\\n  -H 'Content-Type: application/json' \\\n  -d '{}'",
        place.base_url.trim_end_matches('/'),
        place.resource(model),
        body.replace('\'', "'\\''")
    )
}

/// One candidate's answer so far.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CandidateView {
    pub text: String,
    pub finish_reason: Option<String>,
    /// Category, probability, blocked.
    pub safety: Vec<(String, String, bool)>,
}

/// One model's answer to one send.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub model: String,
    pub prompt: String,
    pub request: RequestId,
    pub started: Instant,
    pub first_token: Option<Duration>,
    pub total: Option<Duration>,
    pub candidates: Vec<CandidateView>,
    pub block_reason: Option<String>,
    pub usage: Option<UsageMetadata>,
    pub error: Option<String>,
    /// Streaming answered 404 and generateContent answered instead.
    pub fell_back: bool,
    pub cancelled: bool,
}

impl Run {
    pub fn new(model: &str, prompt: &str, request: RequestId, started: Instant) -> Self {
        Run {
            model: model.to_owned(),
            prompt: prompt.to_owned(),
            request,
            started,
            first_token: None,
            total: None,
            candidates: Vec::new(),
            block_reason: None,
            usage: None,
            error: None,
            fell_back: false,
            cancelled: false,
        }
    }

    pub fn done(&self) -> bool {
        self.total.is_some() || self.error.is_some() || self.cancelled
    }

    /// Adds a streamed chunk (or a whole answer): text appends per candidate index; finish
    /// reasons, safety ratings and the (cumulative) usage replace what was there.
    pub fn absorb(&mut self, chunk: &GenerateContentResponse, now: Instant) {
        if self.first_token.is_none() && chunk.candidates.iter().any(|c| c.content.is_some()) {
            self.first_token = Some(now - self.started);
        }
        for (position, candidate) in chunk.candidates.iter().enumerate() {
            let index = candidate
                .index
                .and_then(|i| usize::try_from(i).ok())
                .unwrap_or(position);
            if self.candidates.len() <= index {
                self.candidates.resize(index + 1, CandidateView::default());
            }
            let view = &mut self.candidates[index];
            if let Some(content) = &candidate.content {
                for part in &content.parts {
                    if let Some(text) = &part.text {
                        view.text.push_str(text);
                    }
                }
            }
            if let Some(reason) = &candidate.finish_reason {
                view.finish_reason = Some(reason.to_string());
            }
            if !candidate.safety_ratings.is_empty() {
                view.safety = candidate
                    .safety_ratings
                    .iter()
                    .map(|r| (r.category.to_string(), r.probability.to_string(), r.blocked))
                    .collect();
            }
        }
        if let Some(feedback) = &chunk.prompt_feedback
            && let Some(reason) = &feedback.block_reason
        {
            self.block_reason = Some(reason.to_string());
        }
        if chunk.usage_metadata.is_some() {
            self.usage = chunk.usage_metadata.clone();
        }
    }

    pub fn finish(&mut self, now: Instant, fell_back: bool) {
        self.total = Some(now - self.started);
        self.fell_back = fell_back;
    }

    pub fn text(&self, candidate: usize) -> &str {
        self.candidates
            .get(candidate)
            .map_or("", |c| c.text.as_str())
    }
}

/// One remembered prompt and its answer, kept on disk per model.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HistoryEntry {
    pub time: String,
    pub model: String,
    pub prompt: String,
    pub answer: String,
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(default)]
    pub first_token_ms: Option<u64>,
    #[serde(default)]
    pub total_ms: Option<u64>,
}

/// The history file of a model: `tunedModels/x` → `tunedModels_x.jsonl`.
pub fn history_file_name(model: &str) -> String {
    format!("{}.jsonl", model.replace('/', "_"))
}

/// Reads a history file's lines; lines that do not parse are skipped.
pub fn parse_history(text: &str) -> Vec<HistoryEntry> {
    text.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

pub use crate::domain::generation::{EvalResult, normalize};

/// A batch evaluation: every example's input sent to one model, a few at a time.
#[derive(Debug, Clone, PartialEq)]
pub struct Eval {
    pub model: String,
    /// Where the examples came from, for the title.
    pub source: String,
    pub examples: Vec<TuningExample>,
    pub results: Vec<Option<EvalResult>>,
    /// The next example to send.
    pub next: usize,
    pub in_flight: HashMap<RequestId, usize>,
    pub selected: usize,
    pub started: Instant,
    pub finished: Option<Duration>,
}

impl Eval {
    pub fn new(model: &str, source: String, examples: Vec<TuningExample>, now: Instant) -> Self {
        Eval {
            model: model.to_owned(),
            source,
            results: vec![None; examples.len()],
            examples,
            next: 0,
            in_flight: HashMap::new(),
            selected: 0,
            started: now,
            finished: None,
        }
    }

    /// Done, exact matches, normalized matches, errors.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let done: Vec<&EvalResult> = self.results.iter().flatten().collect();
        (
            done.len(),
            done.iter().filter(|r| r.exact).count(),
            done.iter().filter(|r| r.normalized).count(),
            done.iter().filter(|r| r.error.is_some()).count(),
        )
    }

    /// The results as CSV: index, input, expected, got, exact, normalized, error.
    pub fn to_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let _ = writer.write_record([
            "index",
            "text_input",
            "expected",
            "got",
            "exact",
            "normalized",
            "error",
        ]);
        for (i, (example, result)) in self.examples.iter().zip(&self.results).enumerate() {
            let (got, exact, normalized, error) = match result {
                Some(r) => (
                    r.got.as_str(),
                    r.exact.to_string(),
                    r.normalized.to_string(),
                    r.error.clone().unwrap_or_default(),
                ),
                None => ("", String::new(), String::new(), "not run".into()),
            };
            let _ = writer.write_record([
                (i + 1).to_string().as_str(),
                &example.text_input,
                &example.output,
                got,
                &exact,
                &normalized,
                &error,
            ]);
        }
        String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}

/// Where keys go in the Playground.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    #[default]
    Normal,
    /// Typing the prompt.
    Prompt,
    /// The settings form.
    Settings,
    /// Choosing the model (`compare`: the second one).
    Picker { compare: bool },
    /// Browsing the history.
    History,
}

#[derive(Debug, Clone, Default)]
pub struct PlaygroundPane {
    /// Base models that answer generateContent (`None` until models.list answered).
    pub base_models: Option<Vec<TargetModel>>,
    /// The picker's entries when it was opened: ACTIVE tuned models, then base models.
    pub choices: Vec<TargetModel>,
    /// Index into `choices`; always one the filter shows.
    pub picker_selected: usize,
    /// Narrows the picker to names and display names containing it (ignoring case).
    pub picker_filter: String,
    /// `/` was pressed: keys type into the filter.
    pub picker_typing: bool,
    pub model: Option<TargetModel>,
    /// A second model to send the same prompt to, side by side.
    pub compare: Option<TargetModel>,
    pub prompt: TextArea<'static>,
    pub settings: Settings,
    /// A settings field, or the safety threshold (the form's choice).
    pub settings_focus: form::Focus<GenerationField>,
    pub focus: Focus,
    /// The last send's answers: one, or two when comparing.
    pub runs: Vec<Run>,
    /// Which candidate's tab is shown.
    pub candidate: usize,
    /// Why the last send was refused before it left.
    pub refused: Option<String>,
    /// Models whose streaming answered 404: sent with generateContent from then on.
    pub no_stream: HashSet<String>,
    /// Every model's history, oldest first.
    pub history: HashMap<String, Vec<HistoryEntry>>,
    pub history_selected: usize,
    pub eval: Option<Eval>,
    /// Lines scrolled back from the end of the answers (0 follows the end as it streams).
    pub scroll_back: u16,
}

impl PlaygroundPane {
    /// The choices the picker's filter lets through, as indices into `choices`.
    pub fn picker_visible(&self) -> Vec<usize> {
        let wanted = self.picker_filter.to_lowercase();
        self.choices
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                wanted.is_empty()
                    || c.name.to_lowercase().contains(&wanted)
                    || c.label.to_lowercase().contains(&wanted)
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// Keeps the selection on a visible choice: the same one if it still shows, else the first.
    pub fn settle_picker(&mut self) {
        let visible = self.picker_visible();
        if !visible.contains(&self.picker_selected) {
            self.picker_selected = visible.first().copied().unwrap_or(0);
        }
    }

    pub fn prompt_text(&self) -> String {
        self.prompt.lines().join("\n")
    }

    pub fn set_prompt(&mut self, text: &str) {
        self.prompt = TextArea::new(text.split('\n').map(str::to_owned).collect());
    }

    pub fn streaming(&self) -> bool {
        self.runs.iter().any(|r| !r.done())
    }

    /// The history of the current model, newest first.
    pub fn model_history(&self) -> Vec<&HistoryEntry> {
        self.model
            .as_ref()
            .and_then(|m| self.history.get(&m.name))
            .map(|h| h.iter().rev().collect())
            .unwrap_or_default()
    }
}
