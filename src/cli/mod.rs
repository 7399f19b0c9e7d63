//! Headless commands for scripts and CI, with the conventions of gh and kubectl: human tables
//! on stdout by default, `--json` for machines, errors and progress on stderr, and exit codes a
//! script can branch on ([`exit`]). They use the same endpoint and auth resolution as the
//! dashboard, so they work against the real API, another emulator, or the embedded one.

/// `println!` that ignores a closed stdout (`tunedeck models list | head`) instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod dataset;
mod dataset_check;
mod doctor;
mod generate;
mod models;
mod tune_plan;
mod tuning;
mod vertex;
mod vertex_models;
mod vertex_preference;
mod vertex_rebase;

use crate::api::redact::redact;
use crate::api::{ApiClient, ApiError};
use crate::config::{self, Backend, GlobalArgs};
use crate::emulator::{self, RunningEmulator};
use clap::{Args, Subcommand};

/// Exit codes.
pub mod exit {
    /// Done.
    pub const OK: i32 = 0;
    /// The service or a file failed; stderr says why, with a hint when there is one.
    pub const FAILED: i32 = 1;
    /// Bad input: arguments, a dataset that does not parse or has lint errors, a refusal.
    pub const USAGE: i32 = 2;
    /// A watched tuning job ended FAILED.
    pub const JOB_FAILED: i32 = 3;
    /// A watched tuning job was CANCELLED.
    pub const JOB_CANCELLED: i32 = 4;
    /// `generate`: the prompt was blocked (`promptFeedback.blockReason`), so there is no
    /// answer; stderr gives the reason and, on Vertex AI, its message.
    pub const BLOCKED: i32 = 5;
}

/// An error for stderr, and the exit code that goes with it.
#[derive(Debug)]
pub struct CliError {
    pub code: i32,
    pub message: String,
    pub hint: Option<String>,
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            code: exit::USAGE,
            message: message.into(),
            hint: None,
        }
    }

    pub fn failed(message: impl Into<String>) -> Self {
        CliError {
            code: exit::FAILED,
            message: message.into(),
            hint: None,
        }
    }
}

impl From<ApiError> for CliError {
    fn from(e: ApiError) -> Self {
        CliError {
            // A name refused before anything was sent is bad input, like any other.
            code: if e.kind == crate::api::ErrorKind::Invalid {
                exit::USAGE
            } else {
                exit::FAILED
            },
            hint: e.hint(),
            message: e.to_string(),
        }
    }
}

impl From<crate::dataset::format::ImportError> for CliError {
    fn from(e: crate::dataset::format::ImportError) -> Self {
        CliError::usage(format!("nothing loaded: {e}"))
    }
}

pub type CliResult = Result<i32, CliError>;

// Parsed once per run and moved, never stored in bulk: `tune`'s many flags make its variant big,
// which costs nothing here.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Headless {
    /// List, show, delete and update tuned models.
    #[command(subcommand)]
    Models(models::ModelsCommand),
    /// Lint a dataset and start a tuning job from it (--watch follows it to the end).
    Tune(tuning::TuneArgs),
    /// Follow a tuning job (an operation, or a tuned model) until it ends.
    Watch(tuning::WatchArgs),
    /// Cancel a tuning job (an operation, or a tuned model's job).
    Cancel(tuning::CancelArgs),
    /// Generate an answer from a tuned or base model.
    Generate(generate::GenerateArgs),
    /// Run a dataset's inputs through a model and compare with the expected outputs.
    Eval(generate::EvalArgs),
    /// Vertex AI tuning jobs: list, show, cancel (needs Vertex AI: --vertex).
    #[command(subcommand)]
    Jobs(vertex::JobsCommand),
    /// Check or convert dataset files.
    #[command(subcommand)]
    Dataset(dataset::DatasetCommand),
    /// Which endpoint and credentials would be used and why, checked live.
    Doctor(doctor::DoctorArgs),
}

/// `--json` for machines.
#[derive(Debug, Clone, Copy, Args)]
pub struct JsonFlag {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// A client for the resolved backend, and the emulator behind it when none was configured.
pub struct Connected {
    pub client: ApiClient,
    pub embedded: Option<RunningEmulator>,
    /// Set when Vertex AI was chosen (`--vertex`, `backend = "vertex"`,
    /// GOOGLE_GENAI_USE_VERTEXAI).
    pub vertex: Option<crate::api::vertex::client::VertexClient>,
}

impl Connected {
    /// Who answers prompts: Vertex AI when it was chosen, else the Gemini API.
    pub fn generator(&self) -> generate::Generator<'_> {
        match &self.vertex {
            Some(v) => generate::Generator::Vertex(v),
            None => generate::Generator::Gemini(&self.client),
        }
    }

    pub async fn close(self) {
        if let Some(running) = self.embedded {
            running.shutdown().await;
        }
    }
}

/// Connects as the dashboard would; with no credentials, the emulator runs in-process on its
/// usual state file, and stderr says so.
pub async fn connect(flags: &GlobalArgs) -> Result<Connected, CliError> {
    let resolved = config::resolve_from_process(flags).map_err(CliError::usage)?;
    for warning in &resolved.warnings {
        eprintln!("warning: {}", redact(warning));
    }
    let (base_url, embedded) = match &resolved.backend {
        Backend::Gemini { base_url }
        | Backend::Vertex { base_url }
        | Backend::Endpoint { base_url, .. } => (base_url.clone(), None),
        Backend::EmbeddedEmulator => {
            let running = emulator::start_embedded()
                .await
                .map_err(|e| CliError::failed(format!("starting the embedded emulator: {e}")))?;
            if resolved.vertex.is_some() {
                eprintln!(
                    "note: using the embedded emulator's Vertex AI (for Google Cloud: `gcloud auth application-default login`, or --endpoint for another server)"
                );
            } else {
                eprintln!(
                    "note: no credentials found; using the embedded emulator (set GEMINI_API_KEY or --endpoint for another backend)"
                );
            }
            (running.base_url(), Some(running))
        }
    };
    let client = ApiClient::new(resolved.client_config(&base_url))?;
    let vertex = match &resolved.vertex {
        None => None,
        Some(target) => {
            let project = target.require_project().map_err(CliError::usage)?;
            // The live service's Cloud Storage, unless an endpoint or emulator stands in (or
            // STORAGE_EMULATOR_HOST names one, as for Google's own clients).
            let live = matches!(resolved.backend, Backend::Vertex { .. });
            let storage_emulator = std::env::var("STORAGE_EMULATOR_HOST").ok();
            Some(crate::api::vertex::client::VertexClient::connect(
                resolved.client_config(&base_url),
                (!live).then_some(base_url.as_str()),
                storage_emulator.as_deref(),
                project,
                &target.location,
            )?)
        }
    };
    Ok(Connected {
        client,
        embedded,
        vertex,
    })
}

/// When a secret is read from stdin (`--api-key-file -`) and the command reads stdin too (a
/// prompt, a dataset), the two cannot share it: say so instead of reading an empty prompt.
fn stdin_taken_twice(flags: &GlobalArgs, command: &Headless) -> Option<CliError> {
    let stdin = std::path::Path::new("-");
    let secret = [&flags.api_key_file, &flags.access_token_file]
        .into_iter()
        .find(|f| f.as_deref() == Some(stdin))?;
    let flag = if secret == &flags.api_key_file {
        "--api-key-file -"
    } else {
        "--access-token-file -"
    };
    let reads = match command {
        Headless::Generate(a) => a.prompt.as_deref().is_none_or(|p| p == "-"),
        Headless::Tune(a) => a.dataset.as_path() == stdin,
        Headless::Dataset(dataset::DatasetCommand::Lint { file, .. }) => file.as_path() == stdin,
        _ => false,
    };
    reads.then(|| {
        CliError::usage(format!(
            "{flag} reads the secret from stdin, so the command's input cannot come from it too: give the secret in a file or TUNEDECK_ACCESS_TOKEN/GEMINI_API_KEY"
        ))
    })
}

/// Runs a headless command; returns the exit code.
pub async fn run(flags: &GlobalArgs, command: Headless) -> i32 {
    if let Some(e) = stdin_taken_twice(flags, &command) {
        eprintln!("error: {}", e.message);
        return e.code;
    }
    let result = match command {
        Headless::Dataset(command) => dataset::run(command, flags.vertex),
        Headless::Doctor(args) => doctor::run(flags, args).await,
        other => match connect(flags).await {
            Err(e) => Err(e),
            Ok(connected) => {
                let vertex = connected.vertex.as_ref();
                let result = match (other, vertex) {
                    (Headless::Jobs(c), Some(v)) => vertex::jobs(v, c).await,
                    (Headless::Jobs(_), None) => Err(CliError::usage(
                        "`jobs` lists Vertex AI tuning jobs: add --vertex (with --project and --location), or set GOOGLE_GENAI_USE_VERTEXAI=true",
                    )),
                    (Headless::Models(models::ModelsCommand::Delete { names, yes }), Some(v)) => {
                        vertex::delete_models(v, names, yes).await
                    }
                    (Headless::Models(models::ModelsCommand::Get { name, json }), Some(v)) => {
                        vertex_models::get(v, &name, json.json).await
                    }
                    (
                        Headless::Models(models::ModelsCommand::SetDefault {
                            model,
                            checkpoint,
                            json,
                        }),
                        Some(v),
                    ) => vertex_models::set_default(v, &model, &checkpoint, json.json).await,
                    (Headless::Models(_), Some(_)) => Err(CliError::usage(
                        "on Vertex AI, `tunedeck jobs list` shows the tuning jobs and the models they made; `models get`, `models set-default` and `models delete` work on one",
                    )),
                    (Headless::Tune(a), Some(_))
                        if a.vertex.method == tuning::MethodFlag::Preference
                            && a.vertex.dry_run =>
                    {
                        Err(CliError::usage(
                            "--dry-run plans supervised jobs only for now; a preference job's plan is not made yet (nothing was created)",
                        ))
                    }
                    (Headless::Tune(a), Some(v))
                        if a.vertex.method == tuning::MethodFlag::Preference =>
                    {
                        vertex_preference::tune(v, a).await
                    }
                    (Headless::Tune(a), Some(v)) => {
                        match tune_plan::PlanContext::of(flags, connected.embedded.is_some()) {
                            Ok(plan) => vertex::tune(v, a, &plan).await,
                            Err(e) => Err(e),
                        }
                    }
                    (Headless::Watch(a), Some(v)) => vertex::watch(v, a).await,
                    (Headless::Cancel(a), Some(v)) => vertex::cancel(v, &a.target).await,
                    (Headless::Models(c), None) => models::run(&connected.client, c).await,
                    (Headless::Tune(a), None) => tuning::tune(&connected.client, a).await,
                    (Headless::Watch(a), None) => tuning::watch(&connected.client, a).await,
                    (Headless::Cancel(a), None) => tuning::cancel(&connected.client, a).await,
                    (Headless::Generate(a), _) => {
                        generate::generate(connected.generator(), a).await
                    }
                    (Headless::Eval(a), _) => generate::eval(connected.generator(), a).await,
                    (Headless::Dataset(_) | Headless::Doctor(_), _) => Ok(exit::OK),
                };
                connected.close().await;
                result
            }
        },
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // Whatever a message quotes (a name typed with a key in it), no credential shows.
            eprintln!("error: {}", redact(&e.message));
            if let Some(hint) = e.hint {
                eprintln!("hint: {}", redact(&hint));
            }
            e.code
        }
    }
}

/// Prints rows as left-aligned columns under a header.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  "));
            }
        }
        outln!("{}", out.trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

/// Prints a value as pretty JSON.
pub fn print_json(value: &impl serde::Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::failed(format!("encoding JSON: {e}")))?;
    outln!("{text}");
    Ok(())
}

/// A dataset file and where it is.
pub fn read_dataset(
    path: &std::path::Path,
) -> Result<Vec<crate::api::types::TuningExample>, CliError> {
    Ok(crate::dataset::format::read_file(path, None, None)?.0)
}
