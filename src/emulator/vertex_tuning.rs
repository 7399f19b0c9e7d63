//! Vertex AI supervised tuning in the emulator (the aiplatform discovery documents and the
//! supervised-tuning guide): a create request checked as the service checks it, the datasets read
//! from the emulator's Cloud Storage, and the job run for real with the small model: PENDING
//! (waiting for quota while the project's concurrent-tuning-jobs quota is used up), then
//! RUNNING through its sub-states (processing the dataset, tuning, post-processing), then
//! SUCCEEDED, FAILED or CANCELLED, with the TensorBoard series, checkpoints and endpoints the
//! service makes.
//!
//! The emulator's own choices where the service decides (README, "Deviations"):
//! - epochs when unset: enough passes for about 1,000 examples seen, between 1 and 10;
//! - batch size: 4 below 64 examples, 8 below 512, else 16;
//! - base learning rate: 0.001 (the Gemini API's default), times `learningRateMultiplier`;
//! - adapter size: rank r folds features into `8 + 2·log2(r)` bits (more rank, more capacity);
//!   unset is rank 4;
//! - an evaluation on the validation set every `max(1, steps/10)` steps and at the last step;
//! - a checkpoint at the end of each epoch, each with its own endpoint; the last one shares the
//!   model's endpoint.

use super::cloud::{
    Deployed, METRICS, ScalarPoint, VertexJob, VertexJobState, VertexSpec, numeric_id,
    project_number,
};
use super::core::{Core, starting_trainer};
use super::journal::Entry;
use super::store::BaseTraining;
use super::trainer::PreferenceRun;
use super::trainer::{StepStats, Trainer, TrainingSpec, epoch_of_step, total_steps};
pub use super::vertex_dataset::split_gs_uri;
use super::vertex_preference::{Asked, read_datasets};
use super::wire::Failure;
use crate::api::error::Code;
use crate::api::serde_util::f32_to_wire;
use crate::api::types::Status;
use crate::api::vertex::types::{
    AdapterSize, Checkpoint, JobState, TunedModelRef, TuningDataStats, TuningJob,
    TuningJobMetadata, TuningJobState, WireTuningMode,
};
use crate::domain::models::TuningMode;
use crate::domain::vertex::{TUNABLE_MODELS, tunable_model};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// The base learning rate a multiplier scales.
pub const BASE_LEARNING_RATE: f64 = 0.001;
/// The adapter rank when none is asked for.
pub const DEFAULT_ADAPTER_RANK: u32 = 4;
/// Longest tuned model display name.
pub const MAX_DISPLAY_NAME_CHARS: usize = 128;

/// The project and location a request is addressed to.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    /// The project as a number (ids are mapped to numbers, as the service prints them).
    pub project: String,
    pub location: String,
}

impl Scope {
    pub fn new(project: &str, location: &str) -> Scope {
        Scope {
            project: project_number(project),
            location: location.to_owned(),
        }
    }

    pub fn parent(&self) -> String {
        format!("projects/{}/locations/{}", self.project, self.location)
    }
}

/// The epochs the emulator picks when the request leaves them out.
pub fn default_epochs(examples: usize) -> u32 {
    (1000usize.div_ceil(examples.max(1))).clamp(1, 10) as u32
}

/// The batch size the emulator picks (Vertex takes none for Gemini).
pub fn batch_size(examples: usize) -> u32 {
    match examples {
        0..64 => 4,
        64..512 => 8,
        _ => 16,
    }
}

/// Steps between two evaluations on the validation set.
pub fn eval_interval(total: u64) -> u64 {
    (total / 10).max(1)
}

/// A tuned model name, `projects/P/locations/L/models/M[@version]`, as (model id, version).
fn parse_model_name(name: &str) -> Option<(String, Option<u32>)> {
    let rest = name.split("/models/").nth(1)?;
    let (id, version) = match rest.split_once('@') {
        Some((id, v)) => (id, Some(v.parse().ok()?)),
        None => (rest, None),
    };
    (!id.is_empty()).then(|| (id.to_owned(), version))
}

fn invalid(message: impl Into<String>) -> Failure {
    Failure::new(Code::InvalidArgument, message)
}

/// Checks a create request and stores the job, PENDING; its run starts in the background.
pub fn create(
    core: &Arc<Core>,
    scope: &Scope,
    request: TuningJob,
    now: DateTime<Utc>,
) -> Result<TuningJob, Failure> {
    create_with(core, scope, request, now, true).map(|(job, _)| job)
}

/// [`create`], with the run started or not (the demo completes its job at once), and the
/// dataset statistics the job will show once it has processed its data.
pub fn create_with(
    core: &Arc<Core>,
    scope: &Scope,
    request: TuningJob,
    now: DateTime<Utc>,
    start: bool,
) -> Result<(TuningJob, Option<TuningDataStats>), Failure> {
    create_inner(core, scope, request, now, start, None)
}

/// [`create`] for a rebase with `deployToSameEndpoint`: when the job succeeds its model takes
/// over `endpoint` (the old model's), which the old model leaves at that moment.
pub fn create_taking_endpoint(
    core: &Arc<Core>,
    scope: &Scope,
    request: TuningJob,
    now: DateTime<Utc>,
    endpoint: String,
) -> Result<TuningJob, Failure> {
    create_inner(core, scope, request, now, true, Some(endpoint)).map(|(job, _)| job)
}

fn create_inner(
    core: &Arc<Core>,
    scope: &Scope,
    mut request: TuningJob,
    now: DateTime<Utc>,
    start: bool,
    takes_endpoint: Option<String>,
) -> Result<(TuningJob, Option<TuningDataStats>), Failure> {
    let asked = Asked::of(&request)?;
    let spec_field = asked.field;
    if asked.training_dataset_uri.is_empty() {
        return Err(invalid(format!(
            "{spec_field}.training_dataset_uri is required."
        )));
    }
    for (field, uri) in [
        ("training_dataset_uri", &asked.training_dataset_uri),
        ("validation_dataset_uri", &asked.validation_dataset_uri),
    ] {
        if !uri.is_empty() && split_gs_uri(uri).is_none() {
            return Err(invalid(format!(
                "{spec_field}.{field} {uri:?} is not a Cloud Storage URI (gs://BUCKET/OBJECT); the emulator does not serve Vertex datasets."
            )));
        }
    }
    let hp = asked.hp.clone();
    if hp.learning_rate.is_some() && hp.learning_rate_multiplier.is_some() {
        return Err(invalid(
            "learning_rate and learning_rate_multiplier cannot both be set.",
        ));
    }
    if let Some(m) = hp
        .learning_rate_multiplier
        .filter(|m| m.is_nan() || *m <= 0.0)
    {
        return Err(invalid(format!(
            "learning_rate_multiplier must be greater than 0, got {m}."
        )));
    }
    if let Some(e) = hp.epoch_count.filter(|e| *e <= 0) {
        return Err(invalid(format!(
            "epoch_count must be greater than 0, got {e}."
        )));
    }
    let chars = request.tuned_model_display_name.chars().count();
    if chars > MAX_DISPLAY_NAME_CHARS {
        return Err(invalid(format!(
            "tuned_model_display_name is {chars} characters; at most {MAX_DISPLAY_NAME_CHARS} are allowed."
        )));
    }
    for (k, v) in &request.labels {
        let ok = |s: &str, allow_empty: bool| {
            (allow_empty || !s.is_empty())
                && s.chars().count() <= 64
                && s.chars()
                    .all(|c| c.is_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        };
        if !ok(k, false) || !ok(v, true) {
            return Err(invalid(format!(
                "Label {k:?}: keys and values are at most 64 lowercase letters, digits, '_' or '-'."
            )));
        }
    }

    // The source: a base model, or a tuned model (and maybe one of its checkpoints).
    let mut base: Option<Box<BaseTraining>> = None;
    let mut model_id = String::new();
    let mut model_version = 1;
    let base_model = match (&request.base_model, &request.pre_tuned_model) {
        (b, Some(_)) if !b.is_empty() => {
            return Err(invalid(
                "base_model and pre_tuned_model are alternatives: set one.",
            ));
        }
        (_, Some(pre)) => {
            let (source_id, version) = parse_model_name(&pre.tuned_model_name).ok_or_else(|| {
                invalid(format!(
                    "pre_tuned_model.tuned_model_name {:?} is not projects/P/locations/L/models/M[@VERSION].",
                    pre.tuned_model_name
                ))
            })?;
            let store = core.store();
            let source = store.cloud.model(&source_id, version).ok_or_else(|| {
                Failure::new(
                    Code::NotFound,
                    format!("Model {} was not found.", pre.tuned_model_name),
                )
            })?;
            let steps = if pre.checkpoint_id.is_empty() {
                source.steps_done()
            } else {
                let index: usize = pre.checkpoint_id.parse().unwrap_or(0);
                source
                    .state
                    .job
                    .tuned_model
                    .as_ref()
                    .and_then(|m| m.checkpoints.get(index.wrapping_sub(1)))
                    .and_then(|c| c.step)
                    .ok_or_else(|| {
                        Failure::new(
                            Code::NotFound,
                            format!(
                                "Checkpoint {} of {} was not found.",
                                pre.checkpoint_id, pre.tuned_model_name
                            ),
                        )
                    })? as u64
            };
            base = Some(Box::new(BaseTraining {
                examples: Arc::clone(&source.examples),
                epochs: source.state.spec.epochs,
                batch_size: source.state.spec.batch_size,
                learning_rate: source.state.spec.learning_rate,
                seed: source.state.spec.seed,
                steps,
                base: source.state.base.clone(),
                adapter_rank: Some(source.state.spec.adapter_rank),
                preference: source.preference.clone(),
            }));
            // The same display name (or none) makes a new version of the same model.
            let source_name = &source.state.job.tuned_model_display_name;
            if request.tuned_model_display_name.is_empty()
                || request.tuned_model_display_name == *source_name
            {
                request.tuned_model_display_name = source_name.clone();
                model_id = source.state.model_id.clone();
                model_version = store
                    .cloud
                    .jobs
                    .iter()
                    .filter(|j| j.state.model_id == model_id)
                    .map(|j| j.state.model_version)
                    .max()
                    .unwrap_or(0)
                    + 1;
            }
            let mut pre = pre.clone();
            pre.base_model = source.state.job.base_model.clone();
            let short = pre.base_model.clone();
            request.pre_tuned_model = Some(pre);
            short
        }
        (b, None) if b.is_empty() => {
            return Err(invalid("base_model or pre_tuned_model is required."));
        }
        (b, None) => b.clone(),
    };
    let tunable = tunable_model(&base_model).ok_or_else(|| {
        invalid(format!(
            "Base model {base_model} is not supported for supervised tuning. Supported models: {}.",
            TUNABLE_MODELS
                .iter()
                .map(|m| m.id)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    asked.check_preference(&base_model)?;
    // Past a firm retirement date (at the day the emulator is told to read the lifecycle
    // at), a base model takes no new job.
    if let Some(today) = core.options.retire_models_at
        && tunable.retired(today)
    {
        return Err(invalid(format!(
            "Base model {} is not supported for tuning: it was retired on {}.",
            tunable.id,
            tunable.retires.map_or("", |r| r.on)
        )));
    }
    let open = if tunable.is_open() {
        Some(super::vertex_open::check(
            tunable,
            &scope.location,
            &request,
            &hp,
        )?)
    } else {
        super::vertex_open::refuse_open_fields(tunable.id, &request, &hp)?;
        if !tunable.tunes_in(&scope.location) {
            return Err(invalid(format!(
                "Base model {} is not supported for tuning in {}. Supported regions: {}.",
                tunable.id,
                scope.location,
                tunable.regions.join(", ")
            )));
        }
        None
    };
    let rank = match (open, hp.adapter_size.rank()) {
        // Full tuning trains every weight: no adapter (rank 0: nothing folded).
        (Some(run), _) if run.mode == TuningMode::Full => 0,
        (Some(_), _) => DEFAULT_ADAPTER_RANK,
        (None, None) if hp.adapter_size == AdapterSize::Unspecified => DEFAULT_ADAPTER_RANK,
        (None, Some(r)) if tunable.adapter_ranks.contains(&r) => r,
        _ => {
            return Err(invalid(
                "The adapter size is not supported for this base model.",
            ));
        }
    };

    // The datasets are read now; a problem with them fails the job once it starts.
    let read = read_datasets(
        core,
        &asked.training_dataset_uri,
        &asked.validation_dataset_uri,
        asked.preference.is_some(),
    );
    let (examples, validation, dataset_error) = (
        read.examples.clone(),
        read.validation.clone(),
        read.error.clone(),
    );
    let epochs = hp
        .epoch_count
        .map_or_else(|| default_epochs(examples.len()), |e| e.min(1000) as u32);
    let batch = open
        .and_then(|o| o.batch_size)
        .unwrap_or_else(|| batch_size(examples.len()));
    let multiplier = match open {
        Some(o) => o.learning_rate / super::vertex_open::OPEN_REFERENCE_RATE,
        None => hp.learning_rate_multiplier.unwrap_or(1.0),
    };
    let id = numeric_id(&format!(
        "{}{}",
        now.timestamp_nanos_opt().unwrap_or(0),
        rand_suffix()
    ));
    let spec = VertexSpec {
        epochs,
        batch_size: batch,
        learning_rate: BASE_LEARNING_RATE * multiplier,
        seed: core.options.seed ^ crate::emulator::trainer::stable_hash(&id),
        adapter_rank: rank,
    };
    if model_id.is_empty() {
        model_id = numeric_id(&format!("model/{id}"));
    }
    if request.tuned_model_display_name.is_empty() {
        request.tuned_model_display_name = format!("{base_model}-{}", &id[id.len() - 8..]);
    }
    let steps = total_steps(examples.len(), epochs, batch);
    let epoch_steps: Vec<u64> = (1..=steps)
        .filter(|s| {
            epoch_of_step(*s, examples.len(), epochs, batch)
                > epoch_of_step(s - 1, examples.len(), epochs, batch)
        })
        .collect();

    let mut hp_out = hp.clone();
    hp_out.epoch_count = Some(i64::from(epochs));
    let mut supervised_open = None;
    match open {
        Some(o) => {
            hp_out.learning_rate = Some(o.learning_rate);
            hp_out.batch_size = Some(i64::from(batch));
            supervised_open = Some(match o.mode {
                TuningMode::Full => WireTuningMode::Full,
                TuningMode::Adapter => WireTuningMode::PeftAdapter,
            });
        }
        None => {
            hp_out.learning_rate_multiplier = Some(multiplier);
            hp_out.adapter_size = AdapterSize::from_rank(rank).unwrap_or_default();
        }
    }
    let beta = asked
        .preference
        .map(|b| b.unwrap_or(crate::domain::preference::DEFAULT_BETA));
    let supervised_out = request.supervised_tuning_spec.clone().map(|mut s| {
        if let Some(mode) = supervised_open.clone() {
            s.tuning_mode = mode;
        }
        s.hyper_parameters = Some(hp_out.clone());
        s
    });
    let preference_out = request
        .preference_optimization_spec
        .as_ref()
        .zip(beta)
        .map(|(p, beta)| super::vertex_preference::spec_out(p, &hp_out, beta));
    let now = super::store::micros(now);
    let job = TuningJob {
        name: format!("{}/tuningJobs/{id}", scope.parent()),
        base_model: if request.pre_tuned_model.is_some() {
            String::new()
        } else {
            base_model.clone()
        },
        supervised_tuning_spec: supervised_out,
        preference_optimization_spec: preference_out,
        state: JobState::Pending,
        create_time: Some(now),
        update_time: Some(now),
        experiment: format!(
            "{}/metadataStores/default/contexts/tuning-experiment-{}",
            scope.parent(),
            now.format("%Y%m%d%H%M%S%6f")
        ),
        tuning_data_stats: None,
        ..request
    };
    let record = VertexJob {
        state: VertexJobState {
            job: job.clone(),
            dataset_error,
            spec,
            series: vec![Vec::new(); METRICS.len()],
            model_id,
            model_version,
            model_deleted: false,
            endpoints: Vec::new(),
            base,
            epoch_steps,
            cancel_requested: false,
            model_changes: Default::default(),
            takes_endpoint,
        },
        examples: Arc::new(examples),
        validation: Arc::new(validation),
        preference: beta.map(|beta| PreferenceRun {
            pairs: Arc::new(read.pairs.clone()),
            beta,
        }),
        preference_validation: read.validation_pairs.clone(),
        journaled: Vec::new(),
    };
    // Kept aside for the stats the job shows once it processes its dataset.
    let stats = read.stats(steps);
    {
        let mut store = core.store();
        core.commit(&[Entry::VertexPut(Box::new(record.clone()))])?;
        store.cloud.put_job(record);
    }
    if start {
        let core2 = Arc::clone(core);
        let job_id = job.id().to_owned();
        let stats = stats.clone();
        core.tasks
            .spawn(async move { run(core2, job_id, stats).await });
    }
    Ok((job, stats))
}

/// Runs a job (created without starting) to the end at once, its steps stamped `step` apart
/// from `started`: a finished job with a history, for the demo.
pub fn complete_now(
    core: &Core,
    id: &str,
    stats: Option<TuningDataStats>,
    started: DateTime<Utc>,
    step: chrono::Duration,
) {
    let Some(job) = core.store().cloud.job(id).cloned() else {
        return;
    };
    let started = super::store::micros(started);
    let mut trainer = fresh_trainer(&job);
    let total = trainer.total_steps();
    let every = eval_interval(total);
    update(core, id, |j| {
        let t = &mut j.state.job;
        t.state = JobState::Running;
        t.start_time = Some(started);
        t.tuning_data_stats = stats;
        let mut at = started;
        while let Some(stepped) = trainer.step_stats() {
            at += step;
            let n = trainer.completed_steps();
            let eval = (!j.validation.is_empty() && (n % every == 0 || n == total))
                .then(|| evaluate(&trainer, j));
            record_step(j, n, Some(stepped), eval, trainer.is_done(), at);
        }
        finish(j, at + step);
    });
}

fn rand_suffix() -> u64 {
    use rand::Rng;
    rand::rng().random()
}

/// Cancels a job that has not ended: it stops at its next step, CANCELLED.
pub fn cancel(core: &Core, id: &str, now: DateTime<Utc>) -> Result<(), Failure> {
    let mut store = core.store();
    let job = store.cloud.job_mut(id).ok_or_else(|| job_not_found(id))?;
    if job.state.job.state.is_terminal() {
        return Err(Failure::new(
            Code::FailedPrecondition,
            format!(
                "Tuning job {} is in state {} and cannot be cancelled.",
                job.state.job.name, job.state.job.state
            ),
        ));
    }
    let before = job.state.clone();
    job.state.cancel_requested = true;
    job.state.job.state = JobState::Cancelling;
    job.state.job.update_time = Some(super::store::micros(now));
    let entry = Entry::vertex_update(job);
    if let Err(f) = core.commit(&[entry]) {
        if let Some(job) = store.cloud.job_mut(id) {
            job.state = before;
        }
        return Err(f);
    }
    job_marked(&mut store, id);
    Ok(())
}

pub fn job_not_found(id: &str) -> Failure {
    Failure::new(
        Code::NotFound,
        format!("The TuningJob does not exist: tuningJobs/{id}."),
    )
}

/// Applies a change to a stored job and makes it durable (kept in memory when the disk fails,
/// and written with the next change). Returns whether the job has ended (`None`: it is gone);
/// the job itself is not copied out, as its series grow with every step.
pub(super) fn update(core: &Core, id: &str, change: impl FnOnce(&mut VertexJob)) -> Option<bool> {
    let mut store = core.store();
    let job = store.cloud.job_mut(id)?;
    change(job);
    let entry = Entry::vertex_update(job);
    match core.commit(&[entry]) {
        Ok(()) => job.mark_journaled(),
        Err(f) => tracing::warn!("saving tuning job {id}: {}", f.message),
    }
    Some(job.state.job.state.is_terminal())
}

/// Records that a job's points are on disk.
fn job_marked(store: &mut super::store::Store, id: &str) {
    if let Some(job) = store.cloud.job_mut(id) {
        job.mark_journaled();
    }
}

/// How a running job ends when asked to stop.
pub(super) fn end_cancelled(job: &mut VertexJob, now: DateTime<Utc>) {
    let t = &mut job.state.job;
    t.state = JobState::Cancelled;
    t.tuning_job_state = TuningJobState::Unspecified;
    t.end_time = Some(now);
    t.update_time = Some(now);
    t.error = Some(Status {
        code: 1,
        message: "The tuning job was cancelled.".into(),
        ..Default::default()
    });
}

/// The trainer of a job before its first step (its source's weights when continuing), with the
/// job's adapter.
pub fn fresh_trainer(job: &VertexJob) -> Trainer {
    let s = job.state.spec;
    let spec = TrainingSpec {
        epochs: s.epochs,
        batch_size: s.batch_size,
        learning_rate: s.learning_rate,
        seed: s.seed,
    };
    let trainer = starting_trainer(&job.examples, spec, job.state.base.as_deref());
    // Rank 0: an open model tuned in full, every weight trained (no adapter to fold into).
    let trainer = if s.adapter_rank == 0 {
        trainer
    } else {
        trainer.with_adapter_rank(s.adapter_rank)
    };
    match &job.preference {
        Some(run) => trainer.into_preference(&run.pairs, run.beta),
        None => trainer,
    }
}

/// A validation pass by the job's method: supervised tuning's loss and accuracy on its
/// examples, or DPO's loss, reward accuracy and margin on its pairs.
fn evaluate(trainer: &Trainer, job: &VertexJob) -> StepStats {
    if job.preference.is_some() {
        trainer.evaluate_preference(&job.preference_validation)
    } else {
        trainer.evaluate(&job.validation)
    }
}

/// An open model's tuning mode, from the job it runs as (`None` for a Gemini job).
fn open_mode(job: &TuningJob) -> Option<TuningMode> {
    if job.output_uri.is_empty() {
        return None;
    }
    Some(
        match job.supervised_tuning_spec.as_ref().map(|s| &s.tuning_mode) {
            Some(WireTuningMode::Full) => TuningMode::Full,
            _ => TuningMode::Adapter,
        },
    )
}

/// The job's trainer after `steps` steps (an endpoint's weights), replayed and cached.
pub fn trainer_at(core: &Core, job_id: &str, steps: u64) -> Option<Arc<Trainer>> {
    let key = format!("vertex/{job_id}@{steps}");
    core.cached_trainer(&key, || {
        let job = core.store().cloud.job(job_id).cloned()?;
        let mut trainer = fresh_trainer(&job);
        for _ in 0..steps {
            trainer.step();
        }
        Some(trainer)
    })
}

fn point(step: u64, value: f64, now: DateTime<Utc>) -> ScalarPoint {
    ScalarPoint {
        step: step as i64,
        value,
        wall_time: now,
    }
}

/// A step's (or an evaluation's) points: loss, accuracy, then the predicted tokens, or for
/// preference tuning the reward margin (the order of `METRICS` and `PREFERENCE_METRICS`).
fn push_stats(
    series: &mut [Vec<ScalarPoint>],
    first: usize,
    step: u64,
    s: StepStats,
    preference: bool,
    now: DateTime<Utc>,
) {
    series[first].push(point(step, f32_to_wire(s.loss), now));
    series[first + 1].push(point(step, f32_to_wire(s.accuracy), now));
    let third = if preference {
        f32_to_wire(s.margin)
    } else {
        s.predictions as f64
    };
    series[first + 2].push(point(step, third, now));
}

/// Waits one step interval; false when the emulator is shutting down.
pub(super) async fn tick(core: &Core) -> bool {
    tokio::select! {
        () = core.cancel.cancelled() => false,
        () = tokio::time::sleep(core.options.step_interval) => true,
    }
}

/// Holds a pending job while the project's concurrent-tuning-jobs quota is used up
/// (`vertex_quota::turn`), marked TUNING_JOB_STATE_WAITING_FOR_QUOTA (journalled, so a restart
/// shows it and keeps the order, which the create times give). A cancel ends it where it waits.
/// False when the job has ended, is gone, or the emulator is shutting down.
async fn wait_for_quota(core: &Core, id: &str) -> bool {
    use super::vertex_quota::{Turn, turn};
    loop {
        match turn(core, id) {
            Turn::Start => return true,
            Turn::Gone => return false,
            Turn::Cancel => {
                update(core, id, |j| {
                    end_cancelled(j, super::store::micros(Utc::now()))
                });
                return false;
            }
            Turn::Wait { marked: false } => {
                update(core, id, |j| {
                    let t = &mut j.state.job;
                    t.tuning_job_state = TuningJobState::WaitingForQuota;
                    t.update_time = Some(super::store::micros(Utc::now()));
                });
            }
            Turn::Wait { marked: true } => {}
        }
        if !tick(core).await {
            return false;
        }
    }
}

/// Runs a job from where it is (after a restart too) to its end.
pub async fn run(core: Arc<Core>, id: String, stats: Option<TuningDataStats>) {
    let Some(job) = core.store().cloud.job(&id).cloned() else {
        return;
    };
    if job.state.job.state.is_terminal() {
        return;
    }
    let stats = stats.or_else(|| job.state.job.tuning_data_stats.clone());
    if job.state.job.state == JobState::Pending {
        if !tick(&core).await || !wait_for_quota(&core, &id).await {
            return;
        }
        let failed = update(&core, &id, |j| {
            let now = super::store::micros(Utc::now());
            if j.state.cancel_requested {
                return end_cancelled(j, now);
            }
            let t = &mut j.state.job;
            t.state = JobState::Running;
            t.start_time = Some(now);
            t.update_time = Some(now);
            t.tuning_job_state = TuningJobState::ProcessingDataset;
            if let Some(message) = j.state.dataset_error.clone() {
                t.state = JobState::Failed;
                t.tuning_job_state = TuningJobState::Unspecified;
                t.end_time = Some(now);
                t.error = Some(Status {
                    code: 3,
                    message,
                    ..Default::default()
                });
            } else {
                t.tuning_data_stats = stats.clone();
            }
        })
        .unwrap_or(true);
        if failed || !tick(&core).await {
            return;
        }
    }
    let mut trainer = fresh_trainer(&job);
    for _ in 0..job.steps_done() {
        trainer.step();
    }
    let total = trainer.total_steps();
    let every = eval_interval(total);
    loop {
        let stepped = trainer.step_stats();
        let eval = stepped.is_some().then(|| {
            let step = trainer.completed_steps();
            (!job.validation.is_empty() && (step % every == 0 || step == total))
                .then(|| evaluate(&trainer, &job))
        });
        let done = trainer.is_done();
        let step = trainer.completed_steps();
        let Some(ended) = update(&core, &id, |j| {
            let now = super::store::micros(Utc::now());
            if j.state.cancel_requested {
                return end_cancelled(j, now);
            }
            record_step(j, step, stepped, eval.flatten(), done, now);
        }) else {
            return; // gone
        };
        if ended || !tick(&core).await {
            return;
        }
        if done {
            break;
        }
    }
    if !trainer.is_done() {
        return;
    }
    // Post-processing done: the model, its endpoints and checkpoints.
    let takes = core
        .store()
        .cloud
        .job(&id)
        .and_then(|j| j.state.takes_endpoint.clone());
    // An open model's weights are in its output folder before the job says SUCCEEDED.
    let job = core
        .store()
        .cloud
        .job(&id)
        .map(|j| (j.state.job.clone(), j.state.spec.adapter_rank));
    if let Some((job, rank)) = job
        && let Some(mode) = open_mode(&job)
    {
        super::vertex_open::write_artifacts(&core, &job, &trainer, mode, rank);
    }
    match takes {
        Some(endpoint) => take_endpoint(&core, &id, &endpoint),
        None => {
            update(&core, &id, |j| {
                let now = super::store::micros(Utc::now());
                if j.state.cancel_requested {
                    return end_cancelled(j, now);
                }
                finish(j, now);
            });
        }
    }
}

/// A rebased job that succeeds with `deployToSameEndpoint`: its model is served on `endpoint`,
/// and the model there before leaves it, in one journal commit (so a crash keeps either the old
/// model on it or the new one, never both).
fn take_endpoint(core: &Core, id: &str, endpoint: &str) {
    let endpoint_id = endpoint.rsplit('/').next().unwrap_or_default().to_owned();
    let mut store = core.store();
    let now = super::store::micros(Utc::now());
    let mut changed = Vec::new();
    if let Some(j) = store.cloud.job_mut(id) {
        if j.state.cancel_requested {
            end_cancelled(j, now);
        } else {
            finish(j, now);
        }
        changed.push(j.clone());
    }
    let succeeded = changed
        .first()
        .is_some_and(|j| j.state.job.state == JobState::Succeeded);
    if succeeded {
        for old in store.cloud.jobs.iter().filter(|j| {
            j.id() != id
                && j.state
                    .endpoints
                    .iter()
                    .any(|d| d.endpoint_id == endpoint_id)
        }) {
            let mut old = old.clone();
            old.state.endpoints.retain(|d| d.endpoint_id != endpoint_id);
            changed.push(old);
        }
    }
    let entries: Vec<Entry> = changed.iter().map(Entry::vertex_update).collect();
    if let Err(f) = core.commit(&entries) {
        tracing::warn!("saving tuning job {id}: {}", f.message);
        return;
    }
    for mut job in changed {
        job.mark_journaled();
        store.cloud.put_job(job);
    }
}

/// Records a finished step: its train points (and eval points when measured), the progress
/// counts, the sub-state.
fn record_step(
    j: &mut VertexJob,
    step: u64,
    stats: Option<StepStats>,
    eval: Option<StepStats>,
    done: bool,
    now: DateTime<Utc>,
) {
    let t = &mut j.state.job;
    t.tuning_job_state = if done {
        TuningJobState::PostProcessing
    } else {
        TuningJobState::Tuning
    };
    t.update_time = Some(now);
    if let Some(s) = stats {
        let preference = j.preference.is_some();
        push_stats(&mut j.state.series, 0, step, s, preference, now);
        if let Some(e) = eval {
            push_stats(&mut j.state.series, 3, step, e, preference, now);
        }
        let epochs_done = j.state.epoch_steps.iter().filter(|e| **e <= step).count();
        j.state.job.tuning_job_metadata = Some(TuningJobMetadata {
            completed_epoch_count: Some(epochs_done as i64),
            completed_step_count: Some(step as i64),
        });
    }
}

/// A job whose training ended: its model, endpoints and checkpoints, SUCCEEDED.
fn finish(j: &mut VertexJob, now: DateTime<Utc>) {
    let parent = j
        .state
        .job
        .name
        .split("/tuningJobs/")
        .next()
        .unwrap_or_default()
        .to_owned();
    let endpoint = |seed: &str| format!("{parent}/endpoints/{}", numeric_id(seed));
    let final_endpoint = j
        .state
        .takes_endpoint
        .clone()
        .unwrap_or_else(|| endpoint(&format!("endpoint/{}", j.id())));
    let job = &j.state.job;
    let last_only = job
        .supervised_tuning_spec
        .as_ref()
        .is_some_and(|s| s.export_last_checkpoint_only)
        || job
            .preference_optimization_spec
            .as_ref()
            .is_some_and(|s| s.export_last_checkpoint_only);
    let mut checkpoints = Vec::new();
    let mut deployed = Vec::new();
    let ends = j.state.epoch_steps.clone();
    for (k, step) in ends.iter().enumerate() {
        let last = k + 1 == ends.len();
        if last_only && !last {
            continue;
        }
        let name = if last {
            final_endpoint.clone()
        } else {
            endpoint(&format!("endpoint/{}/{}", j.id(), k + 1))
        };
        if !last {
            deployed.push(Deployed {
                endpoint_id: name.rsplit('/').next().unwrap_or_default().to_owned(),
                step: *step,
            });
        }
        if !last_only {
            checkpoints.push(Checkpoint {
                checkpoint_id: (k + 1).to_string(),
                epoch: Some(k as i64 + 1),
                step: Some(*step as i64),
                endpoint: name,
            });
        }
    }
    deployed.push(Deployed {
        endpoint_id: final_endpoint
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned(),
        step: ends.last().copied().unwrap_or(0),
    });
    j.state.endpoints = deployed;
    let t = &mut j.state.job;
    t.tuned_model = Some(TunedModelRef {
        model: format!(
            "{parent}/models/{}@{}",
            j.state.model_id, j.state.model_version
        ),
        endpoint: final_endpoint,
        checkpoints,
    });
    t.state = JobState::Succeeded;
    t.tuning_job_state = TuningJobState::Unspecified;
    t.end_time = Some(now);
    t.update_time = Some(now);
}

/// The job as a request in `version` sees it: v1 has no beta-only fields.
pub fn served(job: &TuningJob, version: &str) -> TuningJob {
    let mut job = job.clone();
    if version == "v1" {
        job.tuning_job_state = TuningJobState::Unspecified;
        job.tuning_job_metadata = None;
        // An open model's settings are v1beta1's fields: v1 shows the job without them.
        job.output_uri.clear();
        if let Some(spec) = job.supervised_tuning_spec.as_mut() {
            spec.tuning_mode = WireTuningMode::Unspecified;
            if let Some(hp) = spec.hyper_parameters.as_mut() {
                hp.learning_rate = None;
                hp.batch_size = None;
            }
        }
    }
    // Distillation and reinforcement train through an internal supervised spec
    // (`vertex_methods`): the job shows its own spec only, with the epochs chosen.
    if job.distillation_spec.is_some() || job.reinforcement_tuning_spec.is_some() {
        let epochs = job.epoch_count();
        job.supervised_tuning_spec = None;
        if let Some(hp) = job
            .distillation_spec
            .as_mut()
            .map(|s| s.hyper_parameters.get_or_insert_default())
        {
            hp.epoch_count = hp.epoch_count.or(epochs);
        }
        if let Some(hp) = job
            .reinforcement_tuning_spec
            .as_mut()
            .map(|s| s.hyper_parameters.get_or_insert_default())
        {
            hp.epoch_count = hp.epoch_count.or(epochs);
        }
        if version == "v1" {
            job.distillation_spec = None;
            job.reinforcement_tuning_spec = None;
        }
    }
    job
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_emulators_choices() {
        assert_eq!(default_epochs(15), 10);
        assert_eq!(default_epochs(400), 3);
        assert_eq!(default_epochs(100_000), 1);
        assert_eq!(
            (batch_size(10), batch_size(100), batch_size(1000)),
            (4, 8, 16)
        );
        assert_eq!(eval_interval(5), 1);
        assert_eq!(eval_interval(250), 25);
    }
}
