//! The emulator's shared core: the store behind one lock, the tuning jobs that advance it, the
//! trained models that answer prompts, and the saver that persists it.

use super::faults::Faults;
use super::journal::{Entry, Journal};
use super::store::{BaseTraining, Job, Record, Store};
use super::trainer::{DIVERGENCE_LOSS, Trainer, TrainingSpec, epoch_of_step};
use super::wire::Failure;
use crate::api::serde_util::f32_to_wire;
use crate::api::types::TuningExample;
use crate::api::types::{Status, TunedModelState, TuningSnapshot};
use chrono::Utc;
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use secrecy::SecretString;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How the emulator behaves; see `tunedeck emulator --help`.
#[derive(Debug, Clone)]
pub struct EmulatorOptions {
    /// Where state is saved; `None` keeps it in memory only.
    pub state_file: Option<PathBuf>,
    /// Time between two tuning steps.
    pub step_interval: Duration,
    /// Seed for training and faults.
    pub seed: u64,
    /// When set, only requests carrying this key (header, `?key=` or bearer) are served.
    pub require_key: Option<SecretString>,
    /// When set, requests must carry this OAuth access token as a bearer token (or the key).
    pub require_token: Option<SecretString>,
    /// Tokens taken as a caller's identity without the tuning scope: answered 403
    /// ACCESS_TOKEN_SCOPE_INSUFFICIENT, so clients' hints for it can be tried.
    pub scopeless_tokens: Vec<SecretString>,
    /// Seed a demo into an empty state.
    pub demo: bool,
    pub faults: Faults,
    /// Pause between streamed chunks of an answer.
    pub stream_chunk_delay: Duration,
    /// A connection that has not sent a whole request head (or body) by then is closed.
    pub header_timeout: Duration,
    /// Vertex AI tuning jobs a project runs at once; later ones wait, PENDING with
    /// TUNING_JOB_STATE_WAITING_FOR_QUOTA, first come first served (the service's default
    /// "Global concurrent tuning jobs" quota is 1, shared across the project's locations).
    pub concurrent_tuning_jobs: usize,
    /// The day the model table's retirement dates are read at: a tuned endpoint whose base
    /// has retired by then answers 404 as the service does. `None` (the default): no model
    /// retires in the emulator, so the demo and every test work whatever today's date is.
    pub retire_models_at: Option<chrono::NaiveDate>,
}

impl Default for EmulatorOptions {
    fn default() -> Self {
        EmulatorOptions {
            state_file: None,
            step_interval: Duration::from_millis(500),
            seed: 0,
            require_key: None,
            require_token: None,
            scopeless_tokens: Vec::new(),
            demo: true,
            faults: Faults::default(),
            stream_chunk_delay: Duration::from_millis(40),
            header_timeout: Duration::from_secs(30),
            concurrent_tuning_jobs: 1,
            retire_models_at: None,
        }
    }
}

/// The journal is folded into the state file after this many entries or bytes.
const COMPACT_AFTER_ENTRIES: usize = 2_000;
const COMPACT_AFTER_BYTES: u64 = 32 * 1024 * 1024;
/// After a compaction fails (a full disk), it is tried again this often; the journal holds
/// everything meanwhile.
const COMPACT_RETRY: Duration = Duration::from_secs(30);
/// Training steps are appended to the journal at least every this many steps (and before any
/// answer that shows them).
const STEP_CHECKPOINT: usize = 16;

/// Trained models kept in memory at once.
pub const TRAINER_CACHE: usize = 64;

pub struct Core {
    store: Mutex<Store>,
    /// Where acknowledged changes go before their answer (None: ephemeral state).
    journal: Mutex<Option<Journal>>,
    /// Records whose newest training steps are not in the journal yet.
    unsaved_steps: Mutex<HashSet<String>>,
    pub options: EmulatorOptions,
    /// Trained models of finished jobs, rebuilt by replay on first use after a restart.
    trainers: Mutex<HashMap<String, Arc<Trainer>>>,
    dirty: Notify,
    /// How the last save at shutdown went (`None` until it ran).
    final_save: Mutex<Option<Result<(), String>>>,
    pub cancel: CancellationToken,
    pub tasks: TaskTracker,
    pub fault_rng: Mutex<ChaCha8Rng>,
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it: the store's
/// invariants hold between statements, so the data is still usable.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Core {
    pub fn new(store: Store, journal: Option<Journal>, options: EmulatorOptions) -> Arc<Core> {
        Arc::new(Core {
            store: Mutex::new(store),
            journal: Mutex::new(journal),
            unsaved_steps: Mutex::new(HashSet::new()),
            fault_rng: Mutex::new(ChaCha8Rng::seed_from_u64(options.seed ^ 0x5eed)),
            options,
            trainers: Mutex::new(HashMap::new()),
            dirty: Notify::new(),
            final_save: Mutex::new(None),
            cancel: CancellationToken::new(),
            tasks: TaskTracker::new(),
        })
    }

    pub fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    /// Asks the saver to fold the journal into the state file.
    fn touch(&self) {
        self.dirty.notify_one();
    }

    pub fn forget_trainer(&self, id: &str) {
        lock(&self.trainers).remove(id);
    }

    /// Appends entries to the journal and waits until they are on disk (nothing to do for an
    /// ephemeral emulator); a failure is the 503 the caller answers with.
    fn write(&self, entries: &[Entry]) -> Result<(), Failure> {
        let mut journal = lock(&self.journal);
        let Some(journal) = journal.as_mut() else {
            return Ok(());
        };
        if let Err(e) = journal.append(entries) {
            tracing::error!("writing {}: {e}", journal.path().display());
            return Err(Failure::not_saved(&e.to_string()));
        }
        if journal.entries >= COMPACT_AFTER_ENTRIES || journal.bytes >= COMPACT_AFTER_BYTES {
            self.touch();
        }
        Ok(())
    }

    /// Makes entries durable (the emulator's other surfaces write through this).
    pub fn commit(&self, entries: &[Entry]) -> Result<(), Failure> {
        self.write(entries)
    }

    /// Stores a new record once it is durable.
    pub fn commit_insert(&self, store: &mut Store, record: Record) -> Result<(), Failure> {
        self.write(&[Entry::Put(Box::new(record.clone()))])?;
        store.insert(record);
        Ok(())
    }

    /// Makes the change already made to record `id` durable; when that fails, the record is put
    /// back as it was (`before`) and the caller answers 503.
    pub fn commit_update(
        &self,
        store: &mut Store,
        id: &str,
        before: Record,
    ) -> Result<(), Failure> {
        let Some(record) = store.get(id) else {
            return Ok(());
        };
        if let Err(failure) = self.write(&[Entry::update(record)]) {
            if let Some(record) = store.get_mut(id) {
                *record = before;
            }
            return Err(failure);
        }
        lock(&self.unsaved_steps).remove(id);
        Ok(())
    }

    /// Removes record `id` once its removal is durable.
    pub fn commit_delete(&self, store: &mut Store, id: &str) -> Result<Option<Record>, Failure> {
        self.write(&[Entry::Delete { id: id.to_owned() }])?;
        lock(&self.unsaved_steps).remove(id);
        Ok(store.remove(id))
    }

    /// Makes every training step recorded so far durable: called before any answer that shows
    /// steps, so a restart never goes back behind what a client has seen.
    pub fn flush_steps(&self, store: &Store) -> Result<(), Failure> {
        let ids: Vec<String> = lock(&self.unsaved_steps).drain().collect();
        if ids.is_empty() {
            return Ok(());
        }
        let entries: Vec<Entry> = ids
            .iter()
            .filter_map(|id| store.get(id))
            .map(Entry::update)
            .collect();
        if let Err(failure) = self.write(&entries) {
            lock(&self.unsaved_steps).extend(ids);
            return Err(failure);
        }
        Ok(())
    }

    /// Folds the journal into the state file (written atomically) and empties it. The state
    /// file records the last entry it holds, so a crash before the journal is emptied leaves a
    /// journal whose entries replay skips. A failure (a full disk) changes nothing: the journal
    /// still holds every acknowledged change.
    pub fn compact(&self) -> Result<(), String> {
        let Some(path) = &self.options.state_file else {
            return Ok(());
        };
        let mut store = self.store();
        let mut journal = lock(&self.journal);
        if let Some(journal) = journal.as_ref() {
            store.journal_seq = journal.last_seq();
        }
        let faults = &self.options.faults;
        let saved = if faults.disk_full || faults.snapshot_full {
            Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "no space left on device (emulator fault injection)",
            ))
        } else {
            store.save_if_room(path)
        };
        if let Err(e) = saved {
            tracing::error!(
                "saving emulator state to {}: {e} (the journal still has every change)",
                path.display()
            );
            return Err(format!("{}: {e}", path.display()));
        }
        lock(&self.unsaved_steps).clear();
        for job in &mut store.cloud.jobs {
            job.mark_journaled();
        }
        if !faults.compact_pause.is_zero() {
            // Test knob: hold the window between the rename and the journal's truncation open.
            std::thread::sleep(faults.compact_pause);
        }
        if let Some(journal) = journal.as_mut()
            && let Err(e) = journal.reset()
        {
            // The state file holds everything; replay skips what the journal repeats.
            tracing::error!("emptying {}: {e}", journal.path().display());
        }
        Ok(())
    }

    /// Folds the journal into the state file when it has grown (at once when `backlog`: the
    /// start replayed a journal), every [`COMPACT_RETRY`] instead while that fails, and once at
    /// shutdown, whose outcome [`Core::final_save`] reports.
    pub fn spawn_saver(self: &Arc<Self>, backlog: bool) {
        if self.options.state_file.is_none() {
            return;
        }
        if backlog {
            self.touch();
        }
        let core = Arc::clone(self);
        self.tasks.spawn(async move {
            let mut failing = false;
            loop {
                if failing {
                    // Every write would ask again; wait for the retry instead, so a full disk
                    // does not cost a whole serialization of the state per request.
                    tokio::select! {
                        () = core.cancel.cancelled() => break,
                        () = tokio::time::sleep(COMPACT_RETRY) => {}
                    }
                } else {
                    tokio::select! {
                        () = core.cancel.cancelled() => break,
                        () = core.dirty.notified() => {}
                    }
                }
                let core2 = Arc::clone(&core);
                failing = tokio::task::spawn_blocking(move || core2.compact().is_err())
                    .await
                    .unwrap_or(true);
            }
            // In this task, not a blocking one: the runtime may be shutting down.
            let saved = core.compact();
            *lock(&core.final_save) = Some(saved);
        });
    }

    /// How the save at shutdown went; `Ok` for an ephemeral emulator.
    pub fn final_save(&self) -> Result<(), String> {
        lock(&self.final_save).clone().unwrap_or(Ok(()))
    }

    /// The trained model for a tuned model, replaying its training if needed.
    pub fn trainer(&self, id: &str) -> Option<Arc<Trainer>> {
        if let Some(t) = lock(&self.trainers).get(id) {
            return Some(Arc::clone(t));
        }
        let (examples, spec, steps, base) = {
            let store = self.store();
            let record = store.get(id)?;
            let job = record.job.as_ref()?;
            (
                Arc::clone(&record.examples),
                spec_of(job),
                record.model.snapshots().len(),
                job.base.clone(),
            )
        };
        let mut trainer = starting_trainer(&examples, spec, base.as_deref());
        for _ in 0..steps {
            trainer.step();
        }
        let trainer = Arc::new(trainer);
        self.cache_trainer(id, Arc::clone(&trainer));
        Some(trainer)
    }

    /// A trained model kept under `key`, built (by replaying its training) when not cached.
    pub fn cached_trainer(
        &self,
        key: &str,
        build: impl FnOnce() -> Option<Trainer>,
    ) -> Option<Arc<Trainer>> {
        if let Some(t) = lock(&self.trainers).get(key) {
            return Some(Arc::clone(t));
        }
        let trainer = Arc::new(build()?);
        self.cache_trainer(key, Arc::clone(&trainer));
        Some(trainer)
    }

    /// Keeps at most [`TRAINER_CACHE`] trained models in memory; the rest are rebuilt by
    /// replaying their training (milliseconds) when next asked for.
    fn cache_trainer(&self, id: &str, trainer: Arc<Trainer>) {
        let mut cache = lock(&self.trainers);
        if cache.len() >= TRAINER_CACHE
            && let Some(evict) = cache.keys().find(|k| k.as_str() != id).cloned()
        {
            cache.remove(&evict);
        }
        cache.insert(id.to_owned(), trainer);
    }

    /// Starts (or, after a restart, resumes) the job of a CREATING model.
    pub fn spawn_job(self: &Arc<Self>, id: String) {
        let core = Arc::clone(self);
        self.tasks.spawn(async move { core.run_job(id).await });
    }

    async fn run_job(self: Arc<Self>, id: String) {
        let Some((examples, spec, done_steps, start, base)) = ({
            let store = self.store();
            store.get(&id).and_then(|r| {
                let job = r.job.as_ref().filter(|j| !j.done)?;
                let start = r.model.tuning_task.as_ref().and_then(|t| t.start_time);
                Some((
                    Arc::clone(&r.examples),
                    spec_of(job),
                    r.model.snapshots().len(),
                    start,
                    job.base.clone(),
                ))
            })
        }) else {
            return;
        };
        // Tuning starts at the model's startTime (a moment after creation, as on the service).
        if let Some(wait) = start.and_then(|s| (s - Utc::now()).to_std().ok()) {
            tokio::select! {
                () = self.cancel.cancelled() => return,
                () = tokio::time::sleep(wait) => {}
            }
        }
        let mut trainer = starting_trainer(&examples, spec, base.as_deref());
        for _ in 0..done_steps {
            trainer.step();
        }
        loop {
            tokio::select! {
                () = self.cancel.cancelled() => return,
                () = tokio::time::sleep(self.options.step_interval) => {}
            }
            let loss = trainer.step();
            let finished = {
                let mut store = self.store();
                let Some(record) = store.get_mut(&id) else {
                    return; // deleted while tuning
                };
                if record.job.as_ref().is_none_or(|j| j.done) {
                    return; // cancelled
                }
                let outcome = record_step(record, &trainer, loss, Utc::now());
                let steps = record.model.snapshots().len();
                let finished = outcome != StepOutcome::Running;
                lock(&self.unsaved_steps).insert(id.clone());
                if (finished || steps % STEP_CHECKPOINT == 0)
                    && let Err(failure) = self.flush_steps(&store)
                {
                    // Kept in memory and retried at the next checkpoint or read.
                    tracing::warn!("checkpointing {id}: {}", failure.message);
                }
                finished
            };
            if finished {
                self.cache_trainer(&id, Arc::new(trainer));
                return;
            }
        }
    }
}

/// A job's trainer before its first step: fresh, or continuing from its source's training
/// (replayed, along the whole chain of sources).
pub fn starting_trainer(
    examples: &[TuningExample],
    spec: TrainingSpec,
    base: Option<&BaseTraining>,
) -> Trainer {
    match base {
        None => Trainer::new(examples, spec),
        Some(base) => {
            let base_spec = TrainingSpec {
                epochs: base.epochs,
                batch_size: base.batch_size,
                learning_rate: base.learning_rate,
                seed: base.seed,
            };
            let mut from = starting_trainer(&base.examples, base_spec, base.base.as_deref());
            if let Some(rank) = base.adapter_rank {
                from = from.with_adapter_rank(rank);
            }
            if let Some(run) = &base.preference {
                from = from.into_preference(&run.pairs, run.beta);
            }
            for _ in 0..base.steps {
                from.step();
            }
            Trainer::continuing(&from, examples, spec)
        }
    }
}

/// The training settings of a job.
pub fn spec_of(job: &Job) -> TrainingSpec {
    TrainingSpec {
        epochs: job.epochs,
        batch_size: job.batch_size,
        learning_rate: job.learning_rate,
        seed: job.seed,
    }
}

#[derive(Debug, PartialEq)]
pub enum StepOutcome {
    Running,
    Succeeded,
    Failed,
}

/// Records a finished step on the model: a snapshot, then success, divergence or a fault.
pub fn record_step(
    record: &mut Record,
    trainer: &Trainer,
    loss: Option<f32>,
    now: chrono::DateTime<Utc>,
) -> StepOutcome {
    let examples = record.examples.len();
    let Some(job) = record.job.as_mut() else {
        return StepOutcome::Failed;
    };
    let task = record
        .model
        .tuning_task
        .get_or_insert_with(Default::default);
    if let Some(loss) = loss {
        let step = trainer.completed_steps();
        task.snapshots.push(TuningSnapshot {
            step: i32::try_from(step).unwrap_or(i32::MAX),
            epoch: epoch_of_step(step, examples, job.epochs, job.batch_size) as i32,
            mean_loss: f32_to_wire(loss),
            compute_time: Some(now),
        });
        let failure = if !loss.is_finite() || loss > DIVERGENCE_LOSS {
            Some(format!(
                "Tuning diverged at step {step}: meanLoss {loss}. Lower the learning rate (it was {}).",
                job.learning_rate
            ))
        } else if job.fail_at_step == Some(step) {
            Some(format!(
                "Tuning failed at step {step}: an internal error occurred (emulator fault injection)."
            ))
        } else {
            None
        };
        if let Some(message) = failure {
            job.done = true;
            job.error = Some(Status {
                code: 13,
                message,
                ..Default::default()
            });
            record.model.state = TunedModelState::Failed;
            record.model.update_time = Some(super::store::micros(now));
            return StepOutcome::Failed;
        }
    }
    if trainer.is_done() {
        job.done = true;
        task.complete_time = Some(super::store::micros(now));
        record.model.state = TunedModelState::Active;
        record.model.update_time = Some(super::store::micros(now));
        return StepOutcome::Succeeded;
    }
    StepOutcome::Running
}

/// Fault injection: the dice are the core's, the rates are [`Faults`].
impl Core {
    fn roll(&self, rate: f64) -> bool {
        rate > 0.0 && lock(&self.fault_rng).random_bool(rate.clamp(0.0, 1.0))
    }

    /// Latency, then maybe a 429 or 503 instead of the real answer.
    pub async fn inject_request_fault(&self) -> Option<Failure> {
        let faults = &self.options.faults;
        if !faults.latency.is_zero() {
            tokio::time::sleep(faults.latency).await;
        }
        if self.roll(faults.rate_429) {
            return Some(Failure::quota(faults.retry_delay));
        }
        if self.roll(faults.rate_503) {
            return Some(Failure::unavailable());
        }
        None
    }

    pub fn should_lose_answer(&self) -> bool {
        self.roll(self.options.faults.lose_answer_rate)
    }

    pub fn should_drop_stream(&self) -> bool {
        self.roll(self.options.faults.drop_stream_rate)
    }

    /// The step at which a new job of `total` steps will fail, if the dice say so.
    pub fn job_failure_step(&self, total: u64) -> Option<u64> {
        if total == 0 || !self.roll(self.options.faults.fail_job_rate) {
            return None;
        }
        Some(lock(&self.fault_rng).random_range(1..=total))
    }
}
