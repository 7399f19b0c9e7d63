//! `tunedeck tune`, `watch` and `cancel`: start a job from a linted dataset, follow it with a
//! progress bar on stderr, and stop it.

use super::{CliError, CliResult, JsonFlag, exit, print_json};
use crate::api::client::tuned_model_name;
use crate::api::types::Operation;
use crate::api::{ApiClient, ApiError};
use crate::dataset::lint::Severity;
use crate::domain::limits::MAX_DISPLAY_NAME_CHARS;
use crate::domain::progress::{self as monitor, Job};
use crate::domain::tuning::{LearningRate, Source, TuningField, TuningProblem, TuningSettings};
use clap::Args;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct TuneArgs {
    /// The examples: JSONL, a JSON array, an API request body, or CSV with text_input,output.
    #[arg(long)]
    pub dataset: PathBuf,
    /// The base model to tune (one whose supportedGenerationMethods has createTunedModel).
    #[arg(long, default_value = crate::domain::limits::DEFAULT_BASE_MODEL, conflicts_with = "source_model")]
    pub base_model: String,
    /// Tune further from one of your ACTIVE tuned models instead (tunedModelSource; on Vertex
    /// AI a `projects/…/models/M` name, the source of DPO after supervised tuning).
    #[arg(long, visible_alias = "from")]
    pub source_model: Option<String>,
    /// At most 40 characters (default: the dataset file's name).
    #[arg(long)]
    pub display_name: Option<String>,
    /// The tuned model's id (lowercase letters, digits, hyphens; default: the display name and
    /// 12 random characters, as the service makes them). An id is always sent, so a create
    /// whose answer is lost is sent again safely: the retry meets 409 and reads the first job.
    #[arg(long)]
    pub id: Option<String>,
    #[arg(long, default_value = "")]
    pub description: String,
    /// Gemini API: default 5. Vertex AI: default the service's choice for the dataset's size.
    #[arg(long)]
    pub epochs: Option<u32>,
    /// Gemini API: default 4. Vertex AI: open models only (default the service's choice).
    #[arg(long)]
    pub batch_size: Option<u32>,
    /// Gemini API: default 0.001. Vertex AI: open models only; Gemini models take only
    /// --learning-rate-multiplier, so this is refused for them.
    #[arg(long, conflicts_with = "learning_rate_multiplier")]
    pub learning_rate: Option<f64>,
    /// Sent instead of --learning-rate.
    #[arg(long)]
    pub learning_rate_multiplier: Option<f64>,
    /// Keep this percentage of examples out of training, written to NAME.heldout.jsonl beside
    /// the dataset (for `tunedeck eval`); on Vertex AI, uploaded as the validation dataset.
    #[arg(long, default_value_t = 0.0)]
    pub held_out: f64,
    /// Follow the job until it ends (exit 3 when it fails, 4 when cancelled).
    #[arg(long)]
    pub watch: bool,
    #[command(flatten)]
    pub vertex: VertexTuneFlags,
    #[command(flatten)]
    pub patience: Patience,
    #[command(flatten)]
    pub json: JsonFlag,
}

/// The options `tune` takes on Vertex AI only.
#[derive(Debug, Clone, Args)]
pub struct VertexTuneFlags {
    /// Cloud Storage bucket the dataset is uploaded to (Vertex AI).
    #[arg(long)]
    pub bucket: Option<String>,
    /// Object name prefix in the bucket (Vertex AI), e.g. tunedeck/datasets.
    #[arg(long, default_value = "tunedeck")]
    pub prefix: String,
    /// Adapter size (LoRA rank: 1, 2, 4, 8, 16) (Vertex AI, Gemini models).
    #[arg(long)]
    pub adapter_size: Option<u32>,
    /// full or adapter: an open model's tuning mode (Vertex AI; default the adapter where the
    /// model takes one).
    #[arg(long)]
    pub tuning_mode: Option<String>,
    /// gs://bucket/folder the tuned weights are written to (Vertex AI, open models; required
    /// for them).
    #[arg(long)]
    pub output_uri: Option<String>,
    /// Print the job's plan and create nothing: tokens (countTokens), epochs, billed tokens,
    /// steps, cost, time and quota from the project's past jobs, and every problem (exit 2 on
    /// one) (Vertex AI).
    #[arg(long)]
    pub dry_run: bool,
    /// The project's concurrent tuning jobs quota, for --dry-run's quota line (default: the
    /// service's default, 1; the embedded emulator's, 2) (Vertex AI).
    #[arg(long)]
    pub quota: Option<usize>,
    /// How to tune (Vertex AI): supervised (prompt and answer) or preference (DPO: a prompt,
    /// a preferred and a rejected answer, on gemini-2.5-flash and gemini-2.5-flash-lite).
    #[arg(long, value_enum, default_value_t = MethodFlag::Supervised)]
    pub method: MethodFlag,
    /// Preference tuning's beta, above 0 and at most 1: how closely the tuned model stays to
    /// the model it starts from (default: the service's).
    #[arg(long)]
    pub beta: Option<f64>,
    /// Start from this checkpoint of the --from model (Vertex AI).
    #[arg(long, requires = "source_model")]
    pub checkpoint: Option<String>,
}

/// `--method`'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MethodFlag {
    Supervised,
    Preference,
}

/// The Gemini API's batch size when `--batch-size` is not given.
pub const GEMINI_API_BATCH_SIZE: u32 = 4;

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// tunedModels/ID/operations/OP, or a tuned model (its newest job).
    pub target: String,
    /// Seconds between polls.
    #[arg(long, default_value_t = 2.0)]
    pub interval: f64,
    #[command(flatten)]
    pub patience: Patience,
    #[command(flatten)]
    pub json: JsonFlag,
}

/// How long a follow loop rides out failures.
#[derive(Debug, Clone, Copy, Args)]
pub struct Patience {
    /// Stop following after this many seconds without one successful poll (429, 503, timeouts
    /// and dropped connections are waited out until then; the job itself goes on regardless).
    #[arg(long, default_value_t = 600.0)]
    pub give_up_after: f64,
}

#[derive(Debug, Args)]
pub struct CancelArgs {
    /// tunedModels/ID/operations/OP, or a tuned model (its running job).
    pub target: String,
}

pub async fn tune(client: &ApiClient, args: TuneArgs) -> CliResult {
    if args.vertex.method == MethodFlag::Preference || args.vertex.beta.is_some() {
        return Err(CliError::usage(
            "--method preference: preference tuning (DPO) is on Vertex AI only; add --vertex",
        ));
    }
    // The check `dataset lint` runs: what it passes is sent, what it blocks is refused.
    let checked = super::dataset_check::check(&args.dataset, false)?;
    if checked.format == crate::dataset::format::Format::Preference {
        // Its prompts and preferred answers would tune as pairs, the rejected ones lost.
        return Err(CliError::usage(format!(
            "{} is a preference (DPO) file; the Gemini API tunes text_input/output pairs only: preference tuning is Vertex AI's (--vertex); nothing was started",
            checked.name
        )));
    }
    for issue in &checked.issues {
        let level = if issue.severity == Severity::Error {
            "error"
        } else {
            "warning"
        };
        eprintln!(
            "{}: {}: {level}: {}",
            checked.name,
            super::dataset::issue_place(issue),
            issue.message
        );
    }
    for line in super::dataset_check::number_lines(&checked) {
        eprintln!("{line}");
    }
    if checked.errors() > 0 {
        return Err(CliError::usage(
            "the dataset has lint errors that the service would refuse; nothing was started",
        ));
    }
    let examples = checked.examples;
    let source = match &args.source_model {
        Some(m) => Source::Tuned(tuned_model_name(m)),
        None => Source::Base(crate::api::client::model_path(&args.base_model)),
    };
    let settings = TuningSettings {
        display_name: args.display_name.clone().unwrap_or_else(|| {
            args.dataset
                .file_stem()
                .map(|s| {
                    s.to_string_lossy()
                        .chars()
                        .take(MAX_DISPLAY_NAME_CHARS)
                        .collect()
                })
                .unwrap_or_default()
        }),
        model_id: args.id.clone(),
        description: args.description.clone(),
        source,
        epochs: i32::try_from(args.epochs.unwrap_or(crate::domain::limits::DEFAULT_EPOCHS))
            .unwrap_or(i32::MAX),
        batch_size: i32::try_from(args.batch_size.unwrap_or(GEMINI_API_BATCH_SIZE))
            .unwrap_or(i32::MAX),
        learning_rate: match args.learning_rate_multiplier {
            Some(m) => LearningRate::Multiplier(m),
            None => LearningRate::Rate(
                args.learning_rate
                    .unwrap_or(crate::domain::limits::DEFAULT_LEARNING_RATE),
            ),
        },
        held_out_percent: args.held_out,
    };
    let request = settings
        .to_request(&examples)
        .map_err(|p| CliError::usage(describe_tuning_problem(&p)))?;
    let steps = settings.total_steps(examples.len()).unwrap_or(0);
    if args.vertex.dry_run {
        // The Gemini API bills nothing for tuning: the plan is the examples and the steps.
        let tokens: usize = examples
            .iter()
            .map(|e| {
                crate::domain::token_count::estimate(&e.text_input)
                    + crate::domain::token_count::estimate(&e.output)
            })
            .sum();
        outln!(
            "Plan for {:?} on {} (a dry run: nothing is created)",
            settings.display_name,
            args.base_model
        );
        outln!(
            "examples  {} for tuning · {} held out",
            examples.len() - request.held_out.len(),
            request.held_out.len()
        );
        outln!("tokens    about {tokens} (estimated offline)");
        outln!(
            "steps     {steps} ({} epochs, batch size {})",
            settings.epochs,
            settings.batch_size
        );
        outln!("cost      none: tuning on the Gemini API was free");
        return Ok(exit::OK);
    }
    let operation = client
        .create_tuned_model_safely(&request.model, request.id.as_deref())
        .await?;
    if !request.held_out.is_empty() {
        let path = crate::dataset::held_out_path(Some(&args.dataset));
        let text =
            crate::dataset::format::write(&request.held_out, crate::dataset::format::Format::Jsonl);
        crate::atomic_file::write_atomically(&path, text.as_bytes())
            .map_err(|e| CliError::failed(format!("could not write {}: {e}", path.display())))?;
        eprintln!(
            "{} held-out examples written to {}",
            request.held_out.len(),
            path.display()
        );
    }
    let model = operation.tuned_model_name().unwrap_or_default();
    eprintln!(
        "Started {model}: {steps} steps ({} examples × {} epochs / batch {})",
        examples.len() - request.held_out.len(),
        args.epochs.unwrap_or(crate::domain::limits::DEFAULT_EPOCHS),
        args.batch_size.unwrap_or(GEMINI_API_BATCH_SIZE)
    );
    if !args.watch {
        if args.json.json {
            print_json(&operation)?;
        } else {
            outln!("{}", operation.name);
        }
        return Ok(exit::OK);
    }
    follow(
        client,
        operation,
        Duration::from_secs(2),
        args.patience,
        args.json.json,
    )
    .await
}

/// A tuning problem in the command line's words: its flags.
pub fn describe_tuning_problem(problem: &TuningProblem) -> String {
    let flag = |field: &TuningField| match field {
        TuningField::DisplayName => "--display-name",
        TuningField::ModelId => "--id",
        TuningField::Description => "--description",
        TuningField::Epochs => "--epochs",
        TuningField::BatchSize => "--batch-size",
        TuningField::LearningRate => "--learning-rate",
        TuningField::Multiplier => "--learning-rate-multiplier",
        TuningField::HeldOut => "--held-out",
    };
    match problem {
        TuningProblem::NotANumber { field, text } => {
            format!("{}: {text:?} is not a number", flag(field))
        }
        TuningProblem::DisplayNameTooLong { chars } => {
            format!("--display-name: {chars} characters; the limit is {MAX_DISPLAY_NAME_CHARS}")
        }
        TuningProblem::InvalidModelId { id } => format!(
            "--id {id:?}: lowercase letters, digits and hyphens, 1 to 40, starting with a letter and not ending with a hyphen"
        ),
        TuningProblem::EpochsOrBatchBelowOne => {
            "--epochs and --batch-size must be at least 1".into()
        }
        TuningProblem::RateNotPositive => "--learning-rate must be above 0".into(),
        TuningProblem::MultiplierNotPositive => "--learning-rate-multiplier must be above 0".into(),
        TuningProblem::NoExamples => "the dataset has no examples".into(),
        TuningProblem::HeldOutOutOfRange { percent } => {
            format!("--held-out {percent}: use a percentage from 0 to 99")
        }
        TuningProblem::HeldOutLeavesNone { percent, examples } => format!(
            "--held-out {percent}: {percent}% of {examples} examples leaves none to tune on"
        ),
    }
}

/// The wait before the next poll after a failure: what the service asked for, else twice the
/// last wait, between the interval and 30 s.
pub(super) fn backoff(wait: Duration, error: &ApiError, interval: Duration) -> Duration {
    error
        .retry_after
        .unwrap_or_else(|| wait.saturating_mul(2))
        .clamp(interval, Duration::from_secs(30).max(interval))
}

/// The first read of a followed job, with the follow loop's patience: 429, 503, timeouts and
/// cut connections are ridden out (on top of the client's own few retries) until
/// `--give-up-after` seconds have passed without an answer, so a service that is down from the
/// start is waited for as long as one that fails later.
pub(super) async fn first_read<T, F, Fut>(
    patience: Patience,
    interval: Duration,
    target: &str,
    mut read: F,
) -> Result<T, CliError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    let give_up_after = Duration::from_secs_f64(patience.give_up_after.max(0.0));
    let started = std::time::Instant::now();
    let mut wait = interval;
    loop {
        match read().await {
            Ok(value) => return Ok(value),
            Err(e) if e.is_retryable() => {
                let quiet = started.elapsed();
                if quiet >= give_up_after {
                    return Err(CliError::failed(format!(
                        "no successful poll for {} s (last: {e}); the job itself may still be running: `tunedeck watch {target}` follows it again",
                        quiet.as_secs()
                    )));
                }
                wait = backoff(wait, &e, interval).min(give_up_after.saturating_sub(quiet));
                eprintln!(
                    "poll failed ({e}); trying again in {} s",
                    wait.as_secs_f64().ceil()
                );
                tokio::time::sleep(wait).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// The operation to follow for a target: the operation itself, or a model's newest one (or,
/// when it has none, the model polled as if it were one).
async fn operation_of(client: &ApiClient, target: &str) -> Result<Operation, ApiError> {
    if target.contains("/operations/") {
        return client.get_operation(target).await;
    }
    let model = tuned_model_name(target);
    let ops = client.list_operations(&model, Some(100), "").await?;
    match ops.operations.into_iter().last() {
        Some(op) => Ok(op),
        None => Ok(crate::domain::progress::gemini::operation_from_model(
            client.get_tuned_model(&model).await?,
        )),
    }
}

pub async fn watch(client: &ApiClient, args: WatchArgs) -> CliResult {
    let interval = Duration::from_secs_f64(args.interval.max(0.1));
    let operation = first_read(args.patience, interval, &args.target, || {
        operation_of(client, &args.target)
    })
    .await?;
    follow(client, operation, interval, args.patience, args.json.json).await
}

pub async fn cancel(client: &ApiClient, args: CancelArgs) -> CliResult {
    let operation = operation_of(client, &args.target).await?;
    if operation.done {
        return Err(CliError::usage(format!(
            "{} has already ended; nothing to cancel",
            operation.name
        )));
    }
    if !operation.name.contains("/operations/") {
        return Err(CliError::failed(format!(
            "{} has no tuning operation to cancel",
            args.target
        )));
    }
    client.cancel_operation(&operation.name).await?;
    eprintln!(
        "Cancelled {}; a cancelled model's quality is unpredictable: `tunedeck models delete {}` removes it",
        operation.name,
        operation.tuned_model_name().unwrap_or_default()
    );
    Ok(exit::OK)
}

/// One line of progress: step, epoch, loss, ETA.
pub fn progress_line(job: &Job) -> String {
    let last = job.train_loss.last();
    // The epoch the job is in, from 1 (a snapshot's `epoch` counts completed ones); once it
    // is done, the epochs it completed.
    let completed = last.map_or(0, |s| s.epoch);
    let epoch = if job.is_done() && job.error.is_none() {
        completed.max(1)
    } else {
        monitor::epoch_in_progress(completed, None)
    };
    let loss = last.map_or("-".to_owned(), |s| format!("{:.4}", s.value));
    let eta = monitor::eta(&job.train_loss, job.total_steps)
        .map_or("-".to_owned(), |d| format!("{}s", d.as_secs()));
    let total = if job.total_steps > 0 {
        job.total_steps.to_string()
    } else {
        "?".into()
    };
    format!(
        "step {}/{total} · epoch {epoch} · loss {loss} · ETA {eta}",
        job.completed_steps()
    )
}

/// Polls until done, drawing progress on stderr (a bar on a terminal, a line per new step
/// otherwise); exit 0 when ACTIVE, 3 when FAILED, 4 when CANCELLED.
async fn follow(
    client: &ApiClient,
    first: Operation,
    interval: Duration,
    patience: Patience,
    json: bool,
) -> CliResult {
    let give_up_after = Duration::from_secs_f64(patience.give_up_after.max(0.0));
    let mut last_success = std::time::Instant::now();
    let mut wait = interval;
    let mut job = Job::from_operation(&first);
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(job.total_steps.max(1) as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {percent:>3}% {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let polls_model = !first.name.contains("/operations/");
    let mut last_step = -1;
    let mut operation = first;
    loop {
        let step = job.completed_steps();
        match &bar {
            Some(bar) => {
                bar.set_length(job.total_steps.max(step).max(1) as u64);
                bar.set_position(step as u64);
                bar.set_message(progress_line(&job));
            }
            None if step != last_step => eprintln!("{}", progress_line(&job)),
            None => {}
        }
        last_step = step;
        if job.is_done() {
            break;
        }
        tokio::time::sleep(wait).await;
        let polled = if polls_model {
            client
                .get_tuned_model(&job.model)
                .await
                .map(crate::domain::progress::gemini::operation_from_model)
        } else {
            client.get_operation(&job.name).await
        };
        match polled {
            Ok(op) => {
                operation = op;
                last_success = std::time::Instant::now();
                wait = interval;
                job.absorb(&operation);
            }
            // The client already retried a few times; a follow loop keeps going longer, since
            // the job runs whether or not we can see it.
            Err(e) if e.is_retryable() => {
                let quiet = last_success.elapsed();
                if quiet >= give_up_after {
                    let target = if polls_model { &job.model } else { &job.name };
                    return Err(CliError::failed(format!(
                        "no successful poll for {} s (last: {e}); the job itself may still be running: `tunedeck watch {target}` follows it again",
                        quiet.as_secs()
                    )));
                }
                wait = backoff(wait, &e, interval);
                let line = format!(
                    "poll failed ({e}); trying again in {} s",
                    wait.as_secs_f64().ceil()
                );
                match &bar {
                    Some(bar) => bar.println(line),
                    None => eprintln!("{line}"),
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(bar) = bar {
        bar.finish();
    }
    if json {
        print_json(&operation)?;
    }
    let first_loss = job.train_loss.first().map(|s| s.value);
    let last_loss = job.train_loss.last().map(|s| s.value);
    match &job.error {
        None => {
            if let (Some(a), Some(b)) = (first_loss, last_loss) {
                eprintln!(
                    "{} is ACTIVE: loss {a:.4} → {b:.4} over {} steps",
                    job.model,
                    job.completed_steps()
                );
            } else {
                eprintln!("{} is ACTIVE", job.model);
            }
            if !json {
                outln!("{}", job.model);
            }
            Ok(exit::OK)
        }
        Some((1, message)) => {
            eprintln!("{} was CANCELLED: {message}", job.model);
            Ok(exit::JOB_CANCELLED)
        }
        Some((_, message)) => {
            eprintln!("{} FAILED: {message}", job.model);
            Ok(exit::JOB_FAILED)
        }
    }
}
