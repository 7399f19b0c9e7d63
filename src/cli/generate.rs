//! `tunedeck generate` (print an answer, streamed or whole) and `tunedeck eval` (the
//! Playground's batch evaluation, headless).

use super::{CliError, CliResult, JsonFlag, exit, print_json, print_table};
use crate::api::ApiClient;
use crate::api::types::GenerateContentResponse;
use crate::api::vertex::client::VertexClient;
use crate::domain::generation::{
    EvalResult, GenerationSettings, RequestProblem, TargetModel, build_request, preview,
};
use clap::Args;
use futures::StreamExt;
use std::io::{Read, Write};
use std::path::PathBuf;

/// Generation settings shared by `generate` and `eval`.
#[derive(Debug, Clone, Args)]
pub struct GenerationFlags {
    #[arg(long)]
    pub temperature: Option<f64>,
    #[arg(long)]
    pub top_p: Option<f64>,
    #[arg(long)]
    pub top_k: Option<i32>,
    #[arg(long)]
    pub max_output_tokens: Option<i32>,
    /// Up to 5, repeat the flag for each.
    #[arg(long = "stop")]
    pub stop_sequences: Vec<String>,
}

impl GenerationFlags {
    fn settings(&self, candidates: Option<i32>) -> GenerationSettings {
        GenerationSettings {
            temperature: self.temperature,
            top_p: self.top_p,
            top_k: self.top_k,
            max_output_tokens: self.max_output_tokens,
            candidate_count: candidates,
            stop_sequences: self.stop_sequences.clone(),
            ..Default::default()
        }
    }
}

/// A request problem in the command line's words: its flags and arguments.
pub fn describe_request_problem(problem: &RequestProblem) -> String {
    match problem {
        RequestProblem::EmptyPrompt => {
            "the prompt is empty: give it as an argument, or on stdin with `-`".into()
        }
        RequestProblem::NotANumber { field, text } => {
            format!("--{}: {text:?} is not a number", flag_of(field.wire_name()))
        }
        RequestProblem::PromptTooLong { chars, limit } => {
            format!("the prompt is {chars} characters; a tuned model takes at most {limit}")
        }
        RequestProblem::SystemInstructionOnTunedModel => {
            "tuned models take no system instruction".into()
        }
        RequestProblem::JsonModeOnTunedModel => {
            "tuned models do not support JSON mode (responseMimeType application/json)".into()
        }
        RequestProblem::UnknownMimeType { mime } => {
            format!("responseMimeType {mime:?}: use text/plain, application/json or text/x.enum")
        }
        RequestProblem::TemperatureOutOfRange { value, max } => {
            format!("--temperature {value} is outside 0 to {max}")
        }
        RequestProblem::TopPOutOfRange { value } => format!("--top-p {value} is outside 0 to 1"),
        RequestProblem::TopKBelowOne => "--top-k must be at least 1".into(),
        RequestProblem::MaxOutputTokensOutOfRange { value, limit } => {
            format!("--max-output-tokens {value} is outside 1 to {limit}")
        }
        RequestProblem::CandidateCountOutOfRange { value } => format!(
            "--candidate-count {value} is outside 1 to {}",
            crate::domain::limits::MAX_CANDIDATES
        ),
        RequestProblem::TooManyStopSequences { count } => format!(
            "--stop given {count} times; at most {}",
            crate::domain::limits::MAX_STOP_SEQUENCES
        ),
    }
}

/// `topP` as its flag's name, `top-p`.
fn flag_of(wire: &str) -> String {
    crate::api::serde_util::snake_case(wire).replace('_', "-")
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Gemini API: tunedModels/ID, models/NAME, or a bare tuned model id. Vertex AI: an
    /// endpoint (projects/…/endpoints/ID, or its number) or a Google model (gemini-2.5-flash).
    pub model: String,
    /// The prompt; `-` or nothing reads it from stdin.
    pub prompt: Option<String>,
    /// Print the answer as it streams (streamGenerateContent?alt=sse).
    #[arg(long)]
    pub stream: bool,
    #[arg(long)]
    pub candidate_count: Option<i32>,
    #[command(flatten)]
    pub settings: GenerationFlags,
    /// Print the response JSON (one line per chunk with --stream).
    #[command(flatten)]
    pub json: JsonFlag,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    pub model: String,
    /// The examples whose inputs are sent and whose outputs are expected.
    #[arg(long)]
    pub dataset: PathBuf,
    /// Requests at once.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    #[command(flatten)]
    pub settings: GenerationFlags,
    #[command(flatten)]
    pub json: JsonFlag,
}

/// Who answers: the Gemini API, or Vertex AI (tuned endpoints and publisher models).
#[derive(Clone, Copy)]
pub enum Generator<'a> {
    Gemini(&'a ApiClient),
    Vertex(&'a VertexClient),
}

impl Generator<'_> {
    /// The model as the backend names it. Gemini API: `tunedModels/x` and `models/x` stay, a
    /// bare name is a tuned model's id. Vertex AI: a full name stays, a bare number is an
    /// endpoint of the project, anything else a Google model (`gemini-2.5-flash`).
    fn model_name(&self, name: &str) -> String {
        match self {
            Generator::Gemini(_) if name.contains('/') => name.to_owned(),
            Generator::Gemini(_) => format!("tunedModels/{name}"),
            Generator::Vertex(v)
                if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) =>
            {
                format!("{}/endpoints/{name}", v.parent())
            }
            Generator::Vertex(v) => v.model_resource(name),
        }
    }

    /// The model the domain's rules see: a Gemini tuned model has the tuned-model limits; a
    /// Vertex endpoint is served like its base model (system instructions and all).
    fn target(&self, name: &str) -> TargetModel {
        TargetModel {
            name: name.to_owned(),
            label: name.to_owned(),
            tuned: matches!(self, Generator::Gemini(_)) && name.starts_with("tunedModels/"),
            ..Default::default()
        }
    }

    async fn generate(
        &self,
        name: &str,
        request: &crate::api::types::GenerateContentRequest,
    ) -> Result<GenerateContentResponse, crate::api::ApiError> {
        match self {
            Generator::Gemini(c) => c.generate_content(name, request).await,
            Generator::Vertex(c) => c.generate_content(name, request).await,
        }
    }

    /// A failed call in the user's terms: a tuned Vertex endpoint that answers 404 while its
    /// base model has retired says so and names the rebase (the project's jobs are listed to
    /// find the one serving there; a failed list leaves the error as it was).
    async fn explain(&self, name: &str, error: crate::api::ApiError) -> CliError {
        let Generator::Vertex(v) = self else {
            return error.into();
        };
        if error.http_status != Some(404) || !name.contains("/endpoints/") {
            return error.into();
        }
        let Ok(jobs) = v.all_tuning_jobs("").await else {
            return error.into();
        };
        let today = chrono::Utc::now().date_naive();
        match crate::domain::rebase::job_serving(&jobs, name)
            .and_then(|job| crate::domain::rebase::retired_base_hint(job, today))
        {
            Some(hint) => CliError::failed(format!("{}; {hint}", error.message)),
            None => error.into(),
        }
    }

    async fn stream(
        &self,
        name: &str,
        request: &crate::api::types::GenerateContentRequest,
    ) -> Result<
        futures::stream::BoxStream<'static, Result<GenerateContentResponse, crate::api::ApiError>>,
        crate::api::ApiError,
    > {
        match self {
            Generator::Gemini(c) => c.stream_generate_content(name, request).await,
            Generator::Vertex(c) => c.stream_generate_content(name, request).await,
        }
    }
}

pub async fn generate(client: Generator<'_>, args: GenerateArgs) -> CliResult {
    let prompt = match args.prompt.as_deref() {
        Some(p) if p != "-" => p.to_owned(),
        _ => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| CliError::usage(format!("reading the prompt from stdin: {e}")))?;
            // `echo seven |` ends with a newline that is not part of the prompt.
            if text.ends_with('\n') {
                text.pop();
                if text.ends_with('\r') {
                    text.pop();
                }
            }
            text
        }
    };
    let name = client.model_name(&args.model);
    let request = build_request(
        &client.target(&name),
        &prompt,
        &args.settings.settings(args.candidate_count),
    )
    .map_err(|p| CliError::usage(describe_request_problem(&p)))?;
    let mut out = std::io::stdout().lock();
    let mut finish = None;
    let mut blocked = false;
    if args.stream {
        let stream = match client.stream(&name, &request).await {
            Ok(s) => Some(s),
            // Tuned-model streaming answered 404 before late 2024: answer whole instead.
            Err(e) if e.http_status == Some(404) && name.starts_with("tunedModels/") => {
                eprintln!("note: streaming answered 404; using generateContent");
                None
            }
            Err(e) => return Err(client.explain(&name, e).await),
        };
        if let Some(mut stream) = stream {
            while let Some(chunk) = stream.next().await {
                let chunk = chunk?;
                write_answer(&mut out, &chunk, args.json.json, &mut finish, &mut blocked)?;
            }
            return finished(&mut out, args.json.json, finish, blocked);
        }
    }
    let answer = match client.generate(&name, &request).await {
        Ok(answer) => answer,
        Err(e) => return Err(client.explain(&name, e).await),
    };
    write_answer(&mut out, &answer, args.json.json, &mut finish, &mut blocked)?;
    finished(&mut out, args.json.json, finish, blocked)
}

fn write_answer(
    out: &mut impl Write,
    response: &GenerateContentResponse,
    json: bool,
    finish: &mut Option<String>,
    blocked: &mut bool,
) -> Result<(), CliError> {
    let io = |e: std::io::Error| CliError::failed(format!("writing the answer: {e}"));
    if json {
        let line = serde_json::to_string(response).unwrap_or_default();
        writeln!(out, "{line}").map_err(io)?;
    } else {
        write!(out, "{}", response.text()).map_err(io)?;
    }
    out.flush().map_err(io)?;
    if let Some(reason) = response
        .candidates
        .first()
        .and_then(|c| c.finish_reason.as_ref())
    {
        *finish = Some(reason.to_string());
    }
    if let Some(feedback) = &response.prompt_feedback
        && let Some(reason) = &feedback.block_reason
    {
        *blocked = true;
        if feedback.block_reason_message.is_empty() {
            eprintln!("the prompt was blocked: {reason}");
        } else {
            eprintln!(
                "the prompt was blocked: {reason}: {}",
                feedback.block_reason_message
            );
        }
    }
    Ok(())
}

/// The end of an answer: its finish reason when not STOP, and exit 5 when the prompt was
/// blocked (there is no answer to use).
fn finished(out: &mut impl Write, json: bool, finish: Option<String>, blocked: bool) -> CliResult {
    if !json {
        let _ = writeln!(out);
    }
    match finish.as_deref() {
        Some("STOP") | None => {}
        Some(other) => eprintln!("finishReason {other}"),
    }
    Ok(if blocked { exit::BLOCKED } else { exit::OK })
}

pub async fn eval(client: Generator<'_>, args: EvalArgs) -> CliResult {
    let examples = super::read_dataset(&args.dataset)?;
    let name = client.model_name(&args.model);
    let model = client.target(&name);
    let settings = args.settings.settings(None);
    let started = std::time::Instant::now();
    let results: Vec<EvalResult> = futures::stream::iter(examples.iter())
        .map(|example| {
            let request = crate::dataset::vertex::eval_request(&model, example, &settings);
            let name = name.clone();
            async move {
                match request {
                    Err(p) => EvalResult::failed(describe_request_problem(&p)),
                    Ok(request) => match client.generate(&name, &request).await {
                        Ok(answer) => EvalResult::new(&example.output, answer.text()),
                        Err(e) => EvalResult::failed(e.to_string()),
                    },
                }
            }
        })
        .buffered(args.concurrency.max(1))
        .collect()
        .await;
    let n = results.len();
    let exact = results.iter().filter(|r| r.exact).count();
    let normalized = results.iter().filter(|r| r.normalized).count();
    let errors = results.iter().filter(|r| r.error.is_some()).count();
    let rate = |k: usize| if n == 0 { 0.0 } else { k as f64 / n as f64 };
    if args.json.json {
        let rows: Vec<serde_json::Value> = examples
            .iter()
            .zip(&results)
            .enumerate()
            .map(|(i, (e, r))| {
                serde_json::json!({
                    "index": i + 1,
                    "text_input": e.text_input,
                    "expected": e.output,
                    "got": r.got,
                    "exact": r.exact,
                    "normalized": r.normalized,
                    "error": r.error,
                })
            })
            .collect();
        print_json(&serde_json::json!({
            "model": name,
            "dataset": args.dataset.display().to_string(),
            "examples": n,
            "exact": exact,
            "normalized": normalized,
            "errors": errors,
            "exact_rate": rate(exact),
            "normalized_rate": rate(normalized),
            "seconds": started.elapsed().as_secs_f64(),
            "results": rows,
        }))?;
    } else {
        let cut = |t: &str| preview(t, 30);
        let rows: Vec<Vec<String>> = examples
            .iter()
            .zip(&results)
            .enumerate()
            .filter(|(_, (_, r))| !r.exact)
            .map(|(i, (e, r))| {
                vec![
                    (i + 1).to_string(),
                    if r.error.is_some() {
                        "!".into()
                    } else if r.normalized {
                        "≈".into()
                    } else {
                        "✗".into()
                    },
                    cut(&e.text_input),
                    cut(&e.output),
                    cut(r.error.as_deref().unwrap_or(&r.got)),
                ]
            })
            .collect();
        if !rows.is_empty() {
            print_table(&["#", "", "TEXT_INPUT", "EXPECTED", "GOT"], &rows);
        }
        outln!(
            "{name} on {n} examples: exact {exact} ({:.1}%), normalized {normalized} ({:.1}%), {errors} errors, {:.1} s",
            rate(exact) * 100.0,
            rate(normalized) * 100.0,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(if errors > 0 { exit::FAILED } else { exit::OK })
}
