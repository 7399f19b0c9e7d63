//! The Playground's state: which model (and which second model, to compare), the prompt being
//! written, the generation settings, the answers as they stream in, the history of earlier
//! runs, and a batch evaluation. Building the request, the tuned-model checks and the answer
//! bookkeeping are plain functions here, tested without a terminal.

use crate::api::types::{
    GenerateContentRequest, GenerateContentResponse, GenerationConfig, HarmBlockThreshold,
    HarmCategory, Model, SafetySetting, TunedModel, TuningExample, UsageMetadata,
};
use crate::protocol::RequestId;
use ratatui_textarea::TextArea;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// The input limit of a tuned model, in characters (tuning guide).
pub const TUNED_INPUT_LIMIT: usize = 40_000;
/// How many evaluation requests run at once.
pub const EVAL_CONCURRENCY: usize = 4;

/// A model the playground can send to, with its limits and defaults.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlayModel {
    pub name: String,
    pub label: String,
    pub tuned: bool,
    pub input_token_limit: Option<i32>,
    pub output_token_limit: Option<i32>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub top_k: Option<i32>,
    pub max_temperature: Option<f64>,
}

impl PlayModel {
    pub fn from_tuned(model: &TunedModel) -> Self {
        PlayModel {
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
        PlayModel {
            name: model.name.clone(),
            label: model.display_name.clone(),
            tuned: false,
            input_token_limit: Some(model.input_token_limit).filter(|n| *n > 0),
            output_token_limit: Some(model.output_token_limit).filter(|n| *n > 0),
            temperature: model.temperature,
            top_p: model.top_p,
            top_k: model.top_k,
            max_temperature: model.max_temperature,
        }
    }

    /// One line of limits and defaults for the picker.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
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

/// The settings form's fields, in order.
pub const SETTING_LABELS: [&str; 8] = [
    "temperature",
    "topP",
    "topK",
    "maxOutputTokens",
    "candidateCount",
    "stopSequences",
    "systemInstruction",
    "responseMimeType",
];
/// The settings form's last field: the safety threshold, chosen with ←/→.
pub const SAFETY_FIELD: usize = 8;
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
    pub values: [String; 8],
    /// Index into [`THRESHOLDS`].
    pub safety: usize,
}

impl Settings {
    /// The model's own defaults.
    pub fn for_model(model: &PlayModel) -> Self {
        let mut s = Settings::default();
        s.values[0] = model.temperature.map(|v| v.to_string()).unwrap_or_default();
        s.values[1] = model.top_p.map(|v| v.to_string()).unwrap_or_default();
        s.values[2] = model.top_k.map(|v| v.to_string()).unwrap_or_default();
        s
    }

    fn parse<T: std::str::FromStr>(&self, i: usize) -> Result<Option<T>, String> {
        let text = self.values[i].trim();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse()
            .map(Some)
            .map_err(|_| format!("{}: {text:?} is not a number", SETTING_LABELS[i]))
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
        let parts: Vec<String> = SETTING_LABELS
            .iter()
            .zip(&self.values)
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(l, v)| format!("{l} {}", v.trim()))
            .chain((self.safety > 0).then(|| format!("safety {}", self.threshold_label())))
            .collect();
        if parts.is_empty() {
            "service defaults".into()
        } else {
            parts.join(" · ")
        }
    }
}

/// The request for `prompt` to `model`, or why it would be refused: the tuned-model rules
/// (text only, no system instruction, no JSON mode, at most 40,000 characters) and the
/// settings' ranges are checked here, before anything is sent.
pub fn build_request(
    model: &PlayModel,
    prompt: &str,
    settings: &Settings,
) -> Result<GenerateContentRequest, String> {
    if prompt.trim().is_empty() {
        return Err("Type a prompt first (i edits it)".into());
    }
    let system = settings.values[6].trim();
    let mime = settings.values[7].trim();
    if model.tuned {
        let chars = prompt.chars().count();
        if chars > TUNED_INPUT_LIMIT {
            return Err(format!(
                "The prompt is {chars} characters; a tuned model takes at most 40,000"
            ));
        }
        if !system.is_empty() {
            return Err("Tuned models take no system instruction: clear it in settings (s)".into());
        }
        if mime == "application/json" {
            return Err(
                "JSON mode (responseMimeType application/json) is not supported for tuned models"
                    .into(),
            );
        }
    }
    if !mime.is_empty() && !["text/plain", "application/json", "text/x.enum"].contains(&mime) {
        return Err(format!(
            "responseMimeType {mime:?}: use text/plain, application/json or text/x.enum"
        ));
    }
    let temperature: Option<f64> = settings.parse(0)?;
    let max_temperature = model.max_temperature.unwrap_or(2.0);
    if let Some(t) = temperature
        && !(0.0..=max_temperature).contains(&t)
    {
        return Err(format!("temperature {t} is outside 0 to {max_temperature}"));
    }
    let top_p: Option<f64> = settings.parse(1)?;
    if let Some(p) = top_p
        && !(0.0..=1.0).contains(&p)
    {
        return Err(format!("topP {p} is outside 0 to 1"));
    }
    let top_k: Option<i32> = settings.parse(2)?;
    if top_k.is_some_and(|k| k < 1) {
        return Err("topK must be at least 1".into());
    }
    let max_output_tokens: Option<i32> = settings.parse(3)?;
    if let Some(m) = max_output_tokens {
        let limit = model.output_token_limit.unwrap_or(i32::MAX);
        if m < 1 || m > limit {
            return Err(format!("maxOutputTokens {m} is outside 1 to {limit}"));
        }
    }
    let candidate_count: Option<i32> = settings.parse(4)?;
    if candidate_count.is_some_and(|c| !(1..=8).contains(&c)) {
        return Err("candidateCount must be between 1 and 8".into());
    }
    let stop_sequences: Vec<String> = settings.values[5]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if stop_sequences.len() > 5 {
        return Err(format!(
            "stopSequences: {} given, at most 5 (separate them with commas)",
            stop_sequences.len()
        ));
    }
    let mut request = GenerateContentRequest::text(prompt);
    let config = GenerationConfig {
        candidate_count,
        stop_sequences,
        max_output_tokens,
        temperature,
        top_p,
        top_k,
        response_mime_type: (!mime.is_empty()).then(|| mime.to_owned()),
        ..Default::default()
    };
    if config != GenerationConfig::default() {
        request.generation_config = Some(config);
    }
    if !system.is_empty() {
        request.system_instruction = Some(crate::api::types::Content {
            parts: vec![crate::api::types::Part::text(system)],
            role: None,
        });
    }
    if let Some(threshold) = THRESHOLDS.get(settings.safety).cloned().flatten() {
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

/// "Normalized match" folds both sides as the lint's near-duplicate check does: lowercase,
/// runs of space as one, final punctuation dropped.
pub use crate::dataset::lint::normalize;

/// One evaluated example.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalResult {
    pub got: String,
    pub exact: bool,
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
    pub base_models: Option<Vec<PlayModel>>,
    /// The picker's entries when it was opened: ACTIVE tuned models, then base models.
    pub choices: Vec<PlayModel>,
    pub picker_selected: usize,
    pub model: Option<PlayModel>,
    /// A second model to send the same prompt to, side by side.
    pub compare: Option<PlayModel>,
    pub prompt: TextArea<'static>,
    pub settings: Settings,
    pub settings_focus: usize,
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
