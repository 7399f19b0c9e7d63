//! The headless commands on Vertex AI: `jobs list|get|cancel|rebase` (rebase in vertex_rebase.rs), and `tune`, `watch`, `cancel`
//! when Vertex AI is chosen (upload the dataset to Cloud Storage, create the job, follow its
//! state and its train and eval loss).

use super::{CliError, CliResult, JsonFlag, exit, print_json, print_table};
use crate::api::vertex::client::{MetricsCache, VertexClient};
use crate::api::vertex::types::{AdapterSize, JobState, TuningJob};
use crate::dataset::lint::Severity;
use crate::dataset::vertex as vertex_jsonl;
use crate::domain::progress::{self as progress, Job};
use crate::domain::vertex::{
    JobStage, JobSummary, OpenSettings, TuningMode, VertexSource, VertexTuning,
    VertexTuningProblem, dataset_object, jobs_ahead,
};
use clap::Subcommand;
use std::io::IsTerminal;
use std::time::Duration;

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Every tuning job of the project and location, all pages, newest first.
    List {
        /// The service's list filter, e.g. 'state="JOB_STATE_RUNNING"'.
        #[arg(long, default_value = "")]
        filter: String,
        /// Every tuning region of the project at once (a few at a time), with a LOCATION
        /// column; a region that cannot be listed is said on stderr (exit 1) without hiding
        /// the others.
        #[arg(long)]
        all_locations: bool,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// One job, every field.
    Get {
        /// projects/…/tuningJobs/ID, or the ID.
        job: String,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Cancel a running job (it ends CANCELLED).
    Cancel { job: String },
    /// Tune a succeeded job's model again, same data and settings, on a new base model: a new
    /// job and a new model (`tuningJobs:rebaseTunedModel`).
    Rebase(super::vertex_rebase::RebaseArgs),
}

fn when(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "-".into())
}

/// A job as a row; its base model carries the retirement mark of `today`.
fn row(s: &JobSummary, today: chrono::NaiveDate) -> Vec<String> {
    let opt = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    vec![
        s.id.clone(),
        s.display_name.clone(),
        s.state_text(),
        match s.base_mark(today) {
            Some(mark) => format!("{} ({mark})", s.base_model),
            None => s.base_model.clone(),
        },
        when(s.created),
        s.duration_text(),
        opt(s.epochs.map(|e| e.to_string())),
        opt(s.adapter_rank.map(|r| r.to_string())),
        opt(s.steps.map(|n| n.to_string())),
    ]
}

pub async fn jobs(client: &VertexClient, command: JobsCommand) -> CliResult {
    match command {
        JobsCommand::List {
            all_locations: true,
            filter,
            json,
        } => list_everywhere(client, &filter, json.json).await,
        JobsCommand::List { filter, json, .. } => {
            let jobs = client.all_tuning_jobs(&filter).await?;
            if json.json {
                print_json(&jobs)?;
            } else {
                let today = chrono::Utc::now().date_naive();
                let rows: Vec<Vec<String>> = JobSummary::rows(&jobs)
                    .iter()
                    .map(|s| row(s, today))
                    .collect();
                print_table(
                    &[
                        "ID",
                        "DISPLAY NAME",
                        "STATE",
                        "BASE MODEL",
                        "CREATED",
                        "DURATION",
                        "EPOCHS",
                        "ADAPTER",
                        "STEPS",
                    ],
                    &rows,
                );
            }
            Ok(exit::OK)
        }
        JobsCommand::Get { job, json } => {
            let job = client.get_tuning_job(&job).await?;
            if json.json {
                print_json(&job)?;
            } else {
                describe(&job, stage(client, &job).await);
            }
            Ok(exit::OK)
        }
        JobsCommand::Cancel { job } => cancel(client, &job).await,
        JobsCommand::Rebase(args) => {
            let new = super::vertex_rebase::rebase(client, &args).await?;
            if args.watch {
                return follow(
                    client,
                    new,
                    Duration::from_secs(2),
                    args.patience,
                    args.json.json,
                )
                .await;
            }
            if args.json.json {
                print_json(&new)?;
            } else {
                outln!("{}", new.name);
            }
            Ok(exit::OK)
        }
    }
}

/// `jobs list --all-locations`: the jobs of every tuning region (and the chosen location),
/// newest first, each with its location; the regions that failed, each on its own stderr line.
async fn list_everywhere(client: &VertexClient, filter: &str, json: bool) -> CliResult {
    use crate::domain::regions::{ALL_LOCATIONS_AT_ONCE, TUNING_REGIONS};
    if !filter.is_empty() {
        return Err(CliError::usage(
            "--all-locations lists every job of each region; --filter goes with one location",
        ));
    }
    let mut locations: Vec<String> = TUNING_REGIONS.iter().map(|r| (*r).to_owned()).collect();
    if !locations.contains(&client.location) {
        locations.insert(0, client.location.clone());
    }
    let answers = client
        .tuning_jobs_in(&locations, ALL_LOCATIONS_AT_ONCE)
        .await;
    let mut jobs = Vec::new();
    let mut failed = Vec::new();
    for (location, answer) in answers {
        match answer {
            Ok(found) => jobs.extend(found),
            Err(e) => failed.push((location, e)),
        }
    }
    if failed.len() == locations.len()
        && let Some((_, e)) = failed.pop()
    {
        return Err(e.into());
    }
    if json {
        print_json(&jobs)?;
    } else {
        let today = chrono::Utc::now().date_naive();
        let rows: Vec<Vec<String>> = JobSummary::rows(&jobs)
            .iter()
            .map(|s| {
                let mut r = row(s, today);
                r.insert(2, s.location.clone());
                r
            })
            .collect();
        print_table(
            &[
                "ID",
                "DISPLAY NAME",
                "LOCATION",
                "STATE",
                "BASE MODEL",
                "CREATED",
                "DURATION",
                "EPOCHS",
                "ADAPTER",
                "STEPS",
            ],
            &rows,
        );
    }
    for (location, e) in &failed {
        eprintln!("{location}: could not list its tuning jobs: {e}");
    }
    Ok(if failed.is_empty() {
        exit::OK
    } else {
        exit::FAILED
    })
}

/// A job's stage, and while it waits for quota, how many of the project's jobs are ahead of
/// it: the jobs listed once more for that (only then, as no other stage needs them). A failed
/// list leaves the count out rather than fail the command.
async fn stage(client: &VertexClient, job: &TuningJob) -> Option<JobStage> {
    match JobStage::of(job, None)? {
        JobStage::WaitingForQuota { .. } => Some(JobStage::WaitingForQuota {
            ahead: client
                .all_tuning_jobs("")
                .await
                .ok()
                .map(|jobs| jobs_ahead(job, &jobs)),
        }),
        other => Some(other),
    }
}

/// A job for a person: what it is, where it stands, what it made.
fn describe(job: &TuningJob, stage: Option<JobStage>) {
    let summary = JobSummary::of(job);
    let today = chrono::Utc::now().date_naive();
    let r = row(&summary, today);
    outln!("{}  {}", job.name, r[1]);
    match stage {
        Some(stage) => outln!("state      {} · {}", job.state, stage.text()),
        None => outln!("state      {}", job.state),
    }
    outln!("base model {}", r[3]);
    if summary.base_mark(today).is_some() {
        outln!(
            "rebase     tunedeck jobs rebase {} --base-model {}",
            summary.id,
            crate::domain::models::suggested_base(&summary.base_model, today)
        );
    }
    outln!("created    {}  ·  duration {}", r[4], r[5]);
    outln!(
        "epochs     {}  ·  adapter {}  ·  steps {}",
        r[6],
        r[7],
        r[8]
    );
    if let Some(open) = summary.open_text() {
        outln!("open model {open}");
    }
    let method = crate::domain::vertex_methods::TuningMethod::of(job);
    match method {
        crate::domain::vertex_methods::TuningMethod::Supervised
        | crate::domain::vertex_methods::TuningMethod::Preference => {
            outln!("method     {}", crate::domain::preference::method_text(job));
        }
        _ => {
            outln!("method     {}", method.label());
            for (label, value) in crate::domain::vertex_methods::spec_lines(job) {
                outln!("{label:<10} {value}");
            }
        }
    }
    let uris = match (
        &job.supervised_tuning_spec,
        &job.preference_optimization_spec,
    ) {
        (Some(s), _) => Some((&s.training_dataset_uri, &s.validation_dataset_uri)),
        (None, Some(p)) => Some((&p.training_dataset_uri, &p.validation_dataset_uri)),
        (None, None) => None,
    };
    if let Some((training, validation)) = uris {
        outln!("training   {training}");
        if !validation.is_empty() {
            outln!("validation {validation}");
        }
    }
    if let Some(stats) = job
        .tuning_data_stats
        .as_ref()
        .and_then(|s| s.preference_optimization_data_stats.as_ref())
    {
        outln!(
            "data       {} preference examples · {} billable tokens{}",
            stats.tuning_dataset_example_count.unwrap_or(0),
            stats.total_billable_token_count.unwrap_or(0),
            match stats.dropped_example_indices.len() {
                0 => String::new(),
                n => format!(" · {n} dropped"),
            }
        );
        for reason in stats.dropped_example_reasons.iter().take(10) {
            outln!("dropped    {reason}");
        }
    }
    if let Some(stats) = job
        .tuning_data_stats
        .as_ref()
        .and_then(|s| s.supervised_tuning_data_stats.as_ref())
    {
        outln!(
            "data       {} examples · {} billable tokens{}",
            stats.tuning_dataset_example_count.unwrap_or(0),
            stats.total_billable_token_count.unwrap_or(0),
            stats
                .total_truncated_example_count
                .map_or(String::new(), |n| format!(" · {n} truncated"))
        );
        for reason in stats.dropped_example_reasons.iter().take(10) {
            outln!("dropped    {reason}");
        }
    }
    if let Some(model) = &job.tuned_model {
        outln!("model      {}", model.model);
        outln!("endpoint   {}", model.endpoint);
        for c in &model.checkpoints {
            outln!(
                "checkpoint {} · epoch {} · step {} · {}",
                c.checkpoint_id,
                c.epoch.unwrap_or(0),
                c.step.unwrap_or(0),
                c.endpoint
            );
        }
    }
    if let Some(error) = &job.error {
        outln!("error      {} (code {})", error.message, error.code);
    }
}

pub async fn cancel(client: &VertexClient, job: &str) -> CliResult {
    let job = client.get_tuning_job(job).await?;
    if job.state.is_terminal() {
        return Err(CliError::usage(format!(
            "{} has already ended ({}); nothing to cancel",
            job.name, job.state
        )));
    }
    client.cancel_tuning_job(&job.name).await?;
    eprintln!(
        "Cancelling {}; it ends CANCELLED at its next step",
        job.name
    );
    Ok(exit::OK)
}

/// `tunedeck tune` on Vertex AI: lint, split off the validation share, upload both files,
/// create the job, and follow it with `--watch` (`--method preference` goes to
/// `vertex_preference::tune` instead); `--dry-run` prints the plan and creates nothing.
pub async fn tune(
    client: &VertexClient,
    args: super::tuning::TuneArgs,
    plan: &super::tune_plan::PlanContext,
) -> CliResult {
    if args.vertex.beta.is_some() {
        return Err(CliError::usage(
            "--beta is preference tuning's; add --method preference (with a preference dataset)",
        ));
    }
    let bucket_flag = args.vertex.bucket.clone();
    if bucket_flag.is_none() && !args.vertex.dry_run {
        return Err(CliError::usage(
            "Vertex AI tunes from Cloud Storage: pass --bucket NAME (and --prefix PATH) for the upload",
        ));
    }
    // The check `dataset lint --vertex` runs: what it blocks is neither uploaded nor started.
    let checked = super::dataset_check::check(&args.dataset, true)?;
    if checked.format == crate::dataset::format::Format::Preference {
        // Supervised tuning would take its prompts and preferred answers as pairs.
        return Err(CliError::usage(format!(
            "{} is a preference (DPO) file; supervised tuning needs prompt-and-answer examples: add --method preference; nothing was uploaded or started",
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
            "the dataset breaks Vertex AI's limits; nothing was uploaded or started",
        ));
    }
    // A Vertex file is uploaded line for line as it is; a pair format is converted.
    let examples: Vec<vertex_jsonl::VertexExample> =
        if checked.format == crate::dataset::format::Format::Vertex {
            vertex_jsonl::parse(&checked.name, &checked.text)?
        } else {
            checked
                .examples
                .iter()
                .map(vertex_jsonl::VertexExample::from_pair)
                .collect()
        };
    let stem = args
        .dataset
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dataset".into());
    let source = source_of(&args);
    if let Some(rate) = args.learning_rate
        && !crate::domain::vertex::takes_learning_rate(&source)
    {
        return Err(CliError::usage(format!(
            "--learning-rate {rate}: Gemini models on Vertex AI take only a multiplier of the service's rate; use --learning-rate-multiplier (e.g. 1.0) instead"
        )));
    }
    let tuning_mode = match args.vertex.tuning_mode.as_deref() {
        None => None,
        Some(word) => Some(TuningMode::from_word(word).ok_or_else(|| {
            CliError::usage(format!("--tuning-mode {word}: use full or adapter"))
        })?),
    };
    if let Some(r) = args.vertex.adapter_size
        && AdapterSize::from_rank(r).is_none()
    {
        return Err(CliError::usage(format!(
            "--adapter-size {r}: use 1, 2, 4, 8 or 16"
        )));
    }
    let settings = VertexTuning {
        display_name: args.display_name.clone().unwrap_or_else(|| stem.clone()),
        description: args.description.clone(),
        source,
        epochs: args.epochs,
        multiplier: args.learning_rate_multiplier,
        adapter_rank: args.vertex.adapter_size,
        validation_percent: args.held_out,
        method: crate::domain::vertex::VertexMethod::Supervised,
        open: OpenSettings {
            tuning_mode,
            batch_size: args.batch_size,
            learning_rate: args.learning_rate,
            output_uri: args.vertex.output_uri.clone().unwrap_or_default(),
        },
    };
    settings.check_in(&client.location).map_err(flag_problem)?;
    let (train, validation) = settings.split(&examples).map_err(flag_problem)?;
    if args.vertex.dry_run {
        return super::tune_plan::dry_run(
            client,
            super::tune_plan::DryRun {
                settings: &settings,
                train: &train,
                validation: &validation,
                bucket: bucket_flag.as_deref(),
                prices: &plan.prices,
                quota: args.vertex.quota.unwrap_or(plan.quota),
                json: args.json.json,
            },
        )
        .await;
    }
    let bucket = bucket_flag.unwrap_or_default();
    let now = chrono::Utc::now();
    let object = |kind: &str| dataset_object(&args.vertex.prefix, &stem, now, kind);
    let train_uri = upload(client, &bucket, &object("train"), &train).await?;
    let validation_uri = if validation.is_empty() {
        String::new()
    } else {
        upload(client, &bucket, &object("validation"), &validation).await?
    };
    let request = settings.to_job(&train_uri, &validation_uri);
    start(client, &request, train.len(), validation.len(), &args).await
}

/// Creates the job and, with `--watch`, follows it; else prints its name (or it, `--json`).
pub(super) async fn start(
    client: &VertexClient,
    request: &TuningJob,
    training: usize,
    validation: usize,
    args: &super::tuning::TuneArgs,
) -> CliResult {
    let job = client.create_tuning_job_safely(request).await?;
    eprintln!(
        "Started {} ({training} training examples{})",
        job.name,
        if validation == 0 {
            String::new()
        } else {
            format!(", {validation} for validation")
        }
    );
    if !args.watch {
        if args.json.json {
            print_json(&job)?;
        } else {
            outln!("{}", job.name);
        }
        return Ok(exit::OK);
    }
    follow(
        client,
        job,
        Duration::from_secs(2),
        args.patience,
        args.json.json,
    )
    .await
}

/// The domain's problems in the flags' words.
pub(super) fn flag_problem(problem: VertexTuningProblem) -> CliError {
    let flag = match &problem {
        VertexTuningProblem::NotTunable { .. } => "--base-model",
        VertexTuningProblem::EpochsBelowOne => "--epochs",
        VertexTuningProblem::MultiplierNotPositive => "--learning-rate-multiplier",
        VertexTuningProblem::AdapterNotForModel { .. } => "--adapter-size",
        VertexTuningProblem::Share(_) | VertexTuningProblem::TooManyValidation { .. } => {
            "--held-out"
        }
        VertexTuningProblem::NoExamples => "the dataset",
        VertexTuningProblem::PreferenceNotForModel { .. } => "--method preference",
        VertexTuningProblem::BetaOutOfRange { .. } => "--beta",
        VertexTuningProblem::ModeNotForModel { .. } => "--tuning-mode",
        VertexTuningProblem::MultiplierOnOpenModel { .. } => "--learning-rate-multiplier",
        VertexTuningProblem::RateOnGemini { .. } | VertexTuningProblem::RateNotPositive => {
            "--learning-rate"
        }
        VertexTuningProblem::OpenSettingOnGemini { setting, .. } => match *setting {
            "tuning mode" => "--tuning-mode",
            "batch size" => "--batch-size",
            _ => "--output-uri",
        },
        VertexTuningProblem::OutputUriMissing { .. }
        | VertexTuningProblem::OutputUriNotGs { .. } => "--output-uri",
        VertexTuningProblem::BatchSizeBelowOne => "--batch-size",
        VertexTuningProblem::RegionNotForModel { .. } => "--location",
    };
    CliError::usage(format!("{flag}: {problem}"))
}

/// What `tune` tunes from: `--from` (a tuned model, optionally `--checkpoint`) or
/// `--base-model` (the Gemini API's default read as Vertex AI's).
pub(super) fn source_of(args: &super::tuning::TuneArgs) -> VertexSource {
    match &args.source_model {
        Some(m) => VertexSource::Tuned {
            model: m.clone(),
            checkpoint: args.vertex.checkpoint.clone(),
        },
        // The Gemini API's default names no Vertex model: the newest one that tunes today by
        // the method asked for.
        None if args.base_model == crate::domain::limits::DEFAULT_BASE_MODEL => VertexSource::Base(
            crate::domain::models::default_base_model(
                match args.vertex.method {
                    super::tuning::MethodFlag::Supervised => {
                        crate::domain::models::Method::Supervised
                    }
                    super::tuning::MethodFlag::Preference => {
                        crate::domain::models::Method::Preference
                    }
                },
                chrono::Utc::now().date_naive(),
            )
            .to_owned(),
        ),
        None => VertexSource::Base(args.base_model.clone()),
    }
}

async fn upload(
    client: &VertexClient,
    bucket: &str,
    object: &str,
    examples: &[vertex_jsonl::VertexExample],
) -> Result<String, CliError> {
    upload_bytes(
        client,
        bucket,
        object,
        vertex_jsonl::to_jsonl(examples).into_bytes(),
    )
    .await
}

/// Uploads a file's bytes with a progress bar on a terminal; the `gs://` URI.
pub(super) async fn upload_bytes(
    client: &VertexClient,
    bucket: &str,
    object: &str,
    data: Vec<u8>,
) -> Result<String, CliError> {
    let total = data.len() as u64;
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(total.max(1));
        bar.set_style(
            indicatif::ProgressStyle::with_template("upload {bar:30} {bytes}/{total_bytes} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message(format!("gs://{bucket}/{object}"));
        bar
    });
    client
        .upload(bucket, object, &data, |sent, _| {
            if let Some(bar) = &bar {
                bar.set_position(sent);
            }
        })
        .await?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let uri = format!("gs://{bucket}/{object}");
    eprintln!("uploaded {uri} ({total} bytes)");
    Ok(uri)
}

pub async fn watch(client: &VertexClient, args: super::tuning::WatchArgs) -> CliResult {
    let interval = Duration::from_secs_f64(args.interval.max(0.1));
    let job = super::tuning::first_read(args.patience, interval, &args.target, || {
        client.get_tuning_job(&args.target)
    })
    .await?;
    follow(client, job, interval, args.patience, args.json.json).await
}

/// One line of progress: step of total, epoch, train and eval loss, ETA.
pub fn progress_line(job: &Job) -> String {
    let total = if job.total_steps > 0 {
        job.total_steps.to_string()
    } else {
        "?".into()
    };
    let loss = |series: &[progress::Point]| {
        series
            .last()
            .map_or("-".to_owned(), |p| format!("{:.4}", p.value))
    };
    let eta = progress::eta(&job.train_loss, job.total_steps)
        .map_or("-".to_owned(), |d| format!("{}s", d.as_secs()));
    let state = match job.stage {
        Some(stage) if !job.is_done() => format!("{} ({})", job.state.label(), stage.text()),
        _ => job.state.label().to_owned(),
    };
    let mut line = format!(
        "{state} · step {}/{total} · train loss {}",
        job.completed_steps(),
        loss(&job.train_loss)
    );
    if !job.eval_loss.is_empty() {
        line.push_str(&format!(" · eval loss {}", loss(&job.eval_loss)));
    }
    line.push_str(&format!(" · ETA {eta}"));
    line
}

/// Polls a job and its metrics until it ends; exit 0 SUCCEEDED, 3 FAILED, 4 CANCELLED.
pub(super) async fn follow(
    client: &VertexClient,
    first: TuningJob,
    interval: Duration,
    patience: super::tuning::Patience,
    json: bool,
) -> CliResult {
    let give_up_after = Duration::from_secs_f64(patience.give_up_after.max(0.0));
    let mut last_success = std::time::Instant::now();
    let mut wait = interval;
    let mut cache = MetricsCache::default();
    let mut progress = Job::from_tuning_job(&first);
    progress.stage = stage(client, &first).await;
    let mut job = first;
    let mut last_line = String::new();
    loop {
        if matches!(job.state, JobState::Running) || job.state.is_terminal() {
            match client.read_metrics(&job, &mut cache).await {
                Ok(metrics) => progress.absorb_metrics(&job, &metrics),
                Err(e) if e.is_retryable() => {}
                Err(e) => eprintln!("metrics: {e}"),
            }
        }
        let line = progress_line(&progress);
        if line != last_line {
            eprintln!("{line}");
            last_line = line;
        }
        if job.state.is_terminal() {
            break;
        }
        tokio::time::sleep(wait).await;
        match client.get_tuning_job(&job.name).await {
            Ok(next) => {
                job = next;
                progress.absorb_tuning_job(&job);
                progress.stage = stage(client, &job).await;
                last_success = std::time::Instant::now();
                wait = interval;
            }
            Err(e) if e.is_retryable() => {
                let quiet = last_success.elapsed();
                if quiet >= give_up_after {
                    return Err(CliError::failed(format!(
                        "no successful poll for {} s (last: {e}); the job itself may still be running: `tunedeck watch {}` follows it again",
                        quiet.as_secs(),
                        job.name
                    )));
                }
                wait = super::tuning::backoff(wait, &e, interval);
                eprintln!(
                    "poll failed ({e}); trying again in {} s",
                    wait.as_secs_f64().ceil()
                );
            }
            Err(e) => return Err(e.into()),
        }
    }
    if json {
        print_json(&job)?;
    }
    match job.state {
        JobState::Succeeded => {
            let model = job.tuned_model.clone().unwrap_or_default();
            eprintln!(
                "{} SUCCEEDED: endpoint {} ({} checkpoints)",
                job.name,
                model.endpoint,
                model.checkpoints.len()
            );
            if !json {
                outln!("{}", model.endpoint);
            }
            Ok(exit::OK)
        }
        JobState::Cancelled => {
            eprintln!("{} was CANCELLED", job.name);
            Ok(exit::JOB_CANCELLED)
        }
        _ => {
            let why = job
                .error
                .as_ref()
                .map(|e| e.message.clone())
                .unwrap_or_default();
            eprintln!("{} ended {}: {why}", job.name, job.state);
            Ok(exit::JOB_FAILED)
        }
    }
}

/// `models delete` on Vertex AI: tuned models by name (projects/…/models/M[@v]) or id, with
/// every version and the endpoints that serve them (the jobs stay).
pub async fn delete_models(client: &VertexClient, names: Vec<String>, yes: bool) -> CliResult {
    let names: Vec<String> = names
        .iter()
        .map(|n| {
            if n.starts_with("projects/") {
                n.clone()
            } else {
                format!("{}/models/{n}", client.parent())
            }
        })
        .collect();
    if !super::models::confirm_delete(&names, yes)? {
        return Ok(exit::USAGE);
    }
    let mut failed = 0;
    for name in &names {
        match client.delete_model(name).await {
            Ok(()) => outln!("deleted {name}"),
            Err(e) => {
                failed += 1;
                eprintln!(
                    "error: {}",
                    crate::api::redact::redact(&format!("{name}: {e}"))
                );
            }
        }
    }
    Ok(if failed == 0 { exit::OK } else { exit::FAILED })
}
