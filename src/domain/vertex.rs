//! Vertex AI supervised tuning's rules, once: the dataset limits, the default location, how
//! tokens are estimated, and the settings of a job (a Gemini model's, or an open model's:
//! mode, batch size, learning rate, output folder) checked against the model table
//! ([`super::models`], which says which models tune, how, where and until when).
//! Source: Vertex AI's "About supervised fine-tuning for Gemini models" and "Prepare supervised
//! fine-tuning data" pages, as read on 2026-09-25; "Tune an open model", read 2026-12-04.

use crate::api::vertex::types::{TuningJob, TuningJobState};

/// The location used when none is configured (google-genai's and gcloud's default).
pub const DEFAULT_LOCATION: &str = "us-central1";

/// Input plus output tokens of one training example; longer examples are dropped.
pub const MAX_TOKENS_PER_EXAMPLE: usize = 131_072;

/// Validation examples, at most (or 30% of the training examples when there are more than
/// 1,000 validation examples).
pub const MAX_VALIDATION_EXAMPLES: usize = 5_000;

/// A training JSONL file, at most.
pub const MAX_TRAINING_FILE_BYTES: u64 = 1 << 30;

/// Examples the supervised-tuning guide suggests starting with (the guide: "start with
/// ~100 examples"; no minimum is documented).
pub const RECOMMENDED_EXAMPLES: usize = 100;

/// Text-only training examples, at most.
pub const MAX_TRAINING_EXAMPLES: usize = 10_000_000;

pub use super::models::{TUNABLE_MODELS, TunableModel, TuningMode, tunable_model};

/// Whether a tuning of this source takes a plain learning rate: the open models do (the model
/// table); Gemini models take only `learningRateMultiplier`. A tuned model's source is a
/// Gemini model.
pub fn takes_learning_rate(source: &VertexSource) -> bool {
    match source {
        VertexSource::Base(model) => tunable_model(model).is_some_and(TunableModel::is_open),
        VertexSource::Tuned { .. } => false,
    }
}

/// Tokens in a text, estimated (kept in `preference`, which `vertex` depends on, not the
/// other way round).
pub use super::preference::estimate_tokens;

/// The most validation examples the service takes beside `training` examples.
pub fn max_validation_examples(training: usize) -> usize {
    MAX_VALIDATION_EXAMPLES.max(if training > 0 { training * 3 / 10 } else { 0 })
}

/// True for a model name only Vertex AI answers: an endpoint (`projects/…/endpoints/…`) or a
/// publisher model (`publishers/google/models/…`); Gemini API names start `models/` or
/// `tunedModels/`.
pub fn is_vertex_model(name: &str) -> bool {
    name.starts_with("projects/") || name.starts_with("publishers/")
}

/// The name a person knows a job by: its tuned model's display name, else its id.
pub fn job_label(job: &TuningJob) -> String {
    if job.tuned_model_display_name.is_empty() {
        job.id().to_owned()
    } else {
        job.tuned_model_display_name.clone()
    }
}

/// The model a job tuned: its base, or for a job continuing a tuned model, that model's base.
pub fn job_base_model(job: &TuningJob) -> &str {
    match &job.pre_tuned_model {
        Some(p) if job.base_model.is_empty() => &p.base_model,
        _ => &job.base_model,
    }
}

/// A tuning job as one row of a list: what the dashboard's Models tab and `tunedeck jobs list`
/// both show, read once from the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSummary {
    pub id: String,
    pub display_name: String,
    /// `SUCCEEDED`, `RUNNING`… (the `JOB_STATE_` prefix dropped).
    pub state: String,
    /// The base model, or for a job continuing a tuned model, that model's base.
    pub base_model: String,
    pub created: Option<chrono::DateTime<chrono::Utc>>,
    /// Seconds from start to end; `None` until it started, and while it runs.
    pub duration_secs: Option<i64>,
    pub running: bool,
    pub epochs: Option<i64>,
    pub adapter_rank: Option<u32>,
    pub steps: Option<i64>,
    /// Where the job stands within its state, as the service reports it; `None` when the
    /// service says nothing (v1, or a job that has ended).
    pub stage: Option<JobStage>,
    /// The location the job lives in (its name says it): a column of the all-locations view.
    pub location: String,
    /// An open model's settings, as the job reports them; `None` for a Gemini job.
    pub open: Option<OpenJob>,
}

/// An open-model job's settings as read from the wire (v1beta1).
#[derive(Debug, Clone, PartialEq)]
pub struct OpenJob {
    /// `full` or `adapter` (or the wire's word for a mode this build does not know).
    pub mode: String,
    pub batch_size: Option<i64>,
    pub learning_rate: Option<f64>,
    pub output_uri: String,
}

impl OpenJob {
    fn of(job: &TuningJob) -> Option<OpenJob> {
        use crate::api::vertex::types::WireTuningMode;
        let spec = job.supervised_tuning_spec.as_ref();
        let hp = spec.and_then(|s| s.hyper_parameters.as_ref());
        let mode = spec.map_or(WireTuningMode::Unspecified, |s| s.tuning_mode.clone());
        if job.output_uri.is_empty() && mode == WireTuningMode::Unspecified {
            return None;
        }
        Some(OpenJob {
            mode: match mode {
                WireTuningMode::Full => "full".into(),
                WireTuningMode::PeftAdapter => "adapter".into(),
                other => other
                    .name()
                    .trim_start_matches("TUNING_MODE_")
                    .to_lowercase(),
            },
            batch_size: hp.and_then(|h| h.batch_size),
            learning_rate: hp.and_then(|h| h.learning_rate),
            output_uri: job.output_uri.clone(),
        })
    }
}

impl JobSummary {
    pub fn of(job: &TuningJob) -> JobSummary {
        let spec = super::preference::shared_spec(job);
        let hp = spec.as_ref().and_then(|s| s.hyper_parameters.as_ref());
        JobSummary {
            id: job.id().to_owned(),
            display_name: job.tuned_model_display_name.clone(),
            state: job.state.name().trim_start_matches("JOB_STATE_").to_owned(),
            base_model: job_base_model(job).to_owned(),
            created: job.create_time,
            duration_secs: match (job.start_time, job.end_time) {
                (Some(a), Some(b)) => Some((b - a).num_seconds().max(0)),
                _ => None,
            },
            running: job.start_time.is_some() && job.end_time.is_none(),
            epochs: job.epoch_count(),
            adapter_rank: hp.and_then(|h| h.adapter_size.rank()),
            steps: job.step_count(),
            stage: JobStage::of(job, None),
            location: crate::domain::regions::location_of(&job.name)
                .unwrap_or_default()
                .to_owned(),
            open: OpenJob::of(job),
        }
    }

    /// The rows of a listed project's jobs, each waiting job with the count of jobs ahead of
    /// it (see [`jobs_ahead`]; counted for the waiting ones only, as a poll redoes them all).
    pub fn rows(jobs: &[TuningJob]) -> Vec<JobSummary> {
        jobs.iter()
            .map(|job| {
                let mut row = JobSummary::of(job);
                if let Some(JobStage::WaitingForQuota { ahead }) = &mut row.stage {
                    *ahead = Some(jobs_ahead(job, jobs));
                }
                row
            })
            .collect()
    }

    /// The state as the jobs table shows it: `PENDING · quota: 1 ahead`,
    /// `RUNNING · tuning`.
    pub fn state_text(&self) -> String {
        match &self.stage {
            Some(stage) => format!("{} · {}", self.state, stage.short()),
            None => self.state.clone(),
        }
    }

    /// The retirement mark of the job's base model on `today` ("retired 2026-10-16: rebase"),
    /// for a job whose model is worth rebasing: one that succeeded.
    pub fn base_mark(&self, today: chrono::NaiveDate) -> Option<String> {
        if self.state != "SUCCEEDED" {
            return None;
        }
        super::models::base_life(&self.base_model, today).map(|life| life.mark())
    }

    /// The state cell with the base model's retirement mark after it, within `width`
    /// characters where it can: `SUCCEEDED · retired 2026-10-16: rebase`, else
    /// `SUCCEEDED · retired`.
    pub fn state_with_life(&self, today: chrono::NaiveDate, width: usize) -> String {
        let life = (self.state == "SUCCEEDED")
            .then(|| super::models::base_life(&self.base_model, today))
            .flatten();
        match life {
            Some(life) => {
                let full = format!("{} · {}", self.state_text(), life.mark());
                if full.chars().count() <= width {
                    full
                } else {
                    format!("{} · {}", self.state_text(), life.short_mark())
                }
            }
            None => self.state_text(),
        }
    }

    /// An open model's settings in a line: "full · batch 8 · learning rate 0.00001 · output
    /// gs://b/out"; `None` for a Gemini job.
    pub fn open_text(&self) -> Option<String> {
        let open = self.open.as_ref()?;
        let mut parts = vec![open.mode.clone()];
        if let Some(b) = open.batch_size {
            parts.push(format!("batch {b}"));
        }
        if let Some(r) = open.learning_rate {
            parts.push(format!("learning rate {r}"));
        }
        parts.push(format!("output {}", open.output_uri));
        Some(parts.join(" · "))
    }

    /// "12m05s", "running" or "-".
    pub fn duration_text(&self) -> String {
        match self.duration_secs {
            Some(s) => format!("{}m{:02}s", s / 60, s % 60),
            None if self.running => "running".into(),
            None => "-".into(),
        }
    }
}

/// A job's stage within its state: v1beta1's `tuningJobState` (the aiplatform v1beta1
/// discovery document), and for a job waiting for quota how many of the project's jobs are
/// ahead of it (when the jobs around it are known). The dashboard's table, detail and Monitor
/// and `tunedeck jobs list`/`get`/`watch` all word it from here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStage {
    /// PENDING: the project's concurrent-tuning-jobs quota is used up.
    WaitingForQuota { ahead: Option<usize> },
    /// RUNNING: the service reads and checks the dataset.
    ProcessingDataset,
    /// RUNNING: quota is granted, accelerators are not yet.
    WaitingForCapacity,
    /// RUNNING: training steps.
    Tuning,
    /// RUNNING: training is over; the model, checkpoints and endpoint are being made.
    PostProcessing,
}

impl JobStage {
    /// The stage a job reports (`None` when it reports none, or one this build does not know),
    /// with `ahead` for a job waiting for quota.
    pub fn of(job: &TuningJob, ahead: Option<usize>) -> Option<JobStage> {
        if job.state.is_terminal() {
            return None;
        }
        Some(match job.tuning_job_state {
            TuningJobState::WaitingForQuota => JobStage::WaitingForQuota { ahead },
            TuningJobState::ProcessingDataset => JobStage::ProcessingDataset,
            TuningJobState::WaitingForCapacity => JobStage::WaitingForCapacity,
            TuningJobState::Tuning => JobStage::Tuning,
            TuningJobState::PostProcessing => JobStage::PostProcessing,
            _ => return None,
        })
    }

    /// The whole sentence: "waiting for quota: 1 job ahead in this project".
    pub fn text(&self) -> String {
        match self {
            JobStage::WaitingForQuota { ahead: Some(n) } => format!(
                "waiting for quota: {n} job{} ahead in this project",
                if *n == 1 { "" } else { "s" }
            ),
            JobStage::WaitingForQuota { ahead: None } => "waiting for quota".into(),
            JobStage::ProcessingDataset => "processing the dataset".into(),
            other => other.short(),
        }
    }

    /// A table cell's worth: "quota: 1 ahead", "tuning".
    pub fn short(&self) -> String {
        match self {
            JobStage::WaitingForQuota { ahead: Some(n) } => format!("quota: {n} ahead"),
            JobStage::WaitingForQuota { ahead: None } => "waiting for quota".into(),
            JobStage::ProcessingDataset => "processing data".into(),
            JobStage::WaitingForCapacity => "waiting for capacity".into(),
            JobStage::Tuning => "tuning".into(),
            JobStage::PostProcessing => "post-processing".into(),
        }
    }
}

/// The project a job belongs to (`projects/P` of its name).
fn job_project(job: &TuningJob) -> &str {
    job.name.split("/locations/").next().unwrap_or(&job.name)
}

/// How many of `jobs` are ahead of `job` for the project's concurrent-tuning-jobs quota, which
/// the service shares across the project's locations and grants first come, first served by
/// create time: the project's other jobs that have not ended and either have started (they
/// hold a slot) or were created before it (they queue before it). The emulator starts a
/// pending job when this is below its quota; the dashboard and the CLI count the jobs they
/// listed, one location's, so for a project tuning in several locations it is a lower bound.
pub fn jobs_ahead<'a>(job: &TuningJob, jobs: impl IntoIterator<Item = &'a TuningJob>) -> usize {
    let project = job_project(job);
    let key = (job.create_time, job.name.as_str());
    jobs.into_iter()
        .filter(|j| {
            j.name != job.name
                && job_project(j) == project
                && !j.state.is_terminal()
                && (j.start_time.is_some() || (j.create_time, j.name.as_str()) < key)
        })
        .count()
}

/// What a Vertex AI job tunes from: a tunable base model, or a tuned model (optionally one of
/// its checkpoints) to continue.
#[derive(Debug, Clone, PartialEq)]
pub enum VertexSource {
    Base(String),
    Tuned {
        model: String,
        checkpoint: Option<String>,
    },
}

/// How a Vertex AI job tunes: supervised (prompt and answer) or preference (DPO: a prompt, a
/// preferred and a rejected answer), with DPO's `beta` (`None` leaves it to the service). The
/// rules of preference tuning live in [`super::preference`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum VertexMethod {
    #[default]
    Supervised,
    Preference {
        beta: Option<f64>,
    },
}

/// The settings of a Vertex AI tuning job, as the dashboard's form and `tunedeck tune` both
/// gather them; `None` leaves a value to the service.
#[derive(Debug, Clone, PartialEq)]
pub struct VertexTuning {
    pub display_name: String,
    pub description: String,
    pub source: VertexSource,
    pub epochs: Option<u32>,
    pub multiplier: Option<f64>,
    pub adapter_rank: Option<u32>,
    /// The share of examples split off (fixed seed) as the validation dataset.
    pub validation_percent: f64,
    /// Supervised or preference tuning.
    pub method: VertexMethod,
    /// An open model's settings (all unset for a Gemini model).
    pub open: OpenSettings,
}

/// What an open model's tuning takes beside a Gemini model's (v1beta1): the mode, a batch
/// size, a plain learning rate, and the Cloud Storage folder its weights are written to.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OpenSettings {
    /// `None`: the model's default mode (the adapter where it takes one).
    pub tuning_mode: Option<TuningMode>,
    pub batch_size: Option<u32>,
    pub learning_rate: Option<f64>,
    /// `gs://bucket/folder`; required for an open model.
    pub output_uri: String,
}

impl OpenSettings {
    /// Whether any open-model setting is given.
    pub fn any(&self) -> bool {
        self.tuning_mode.is_some()
            || self.batch_size.is_some()
            || self.learning_rate.is_some()
            || !self.output_uri.is_empty()
    }
}

/// Why Vertex AI would refuse the settings or the split; each front end words it.
#[derive(Debug, Clone, PartialEq)]
pub enum VertexTuningProblem {
    NotTunable {
        model: String,
    },
    EpochsBelowOne,
    MultiplierNotPositive,
    AdapterNotForModel {
        rank: u32,
        model: String,
        allowed: &'static [u32],
    },
    /// The validation share is outside 0–99, or leaves nothing to train on.
    Share(super::tuning::TuningProblem),
    TooManyValidation {
        validation: usize,
        most: usize,
        training: usize,
    },
    NoExamples,
    /// Preference tuning asked of a base model that does not take it.
    PreferenceNotForModel {
        model: String,
    },
    /// `beta` outside what tunedeck accepts.
    BetaOutOfRange {
        beta: f64,
    },
    /// The model does not take this tuning mode.
    ModeNotForModel {
        mode: TuningMode,
        model: String,
        allowed: &'static [TuningMode],
    },
    /// An open model is tuned with a learning rate, not a multiplier.
    MultiplierOnOpenModel {
        model: String,
    },
    /// A Gemini model is tuned with a multiplier, not a learning rate.
    RateOnGemini {
        model: String,
    },
    /// A Gemini model takes no tuning mode, batch size or output URI.
    OpenSettingOnGemini {
        setting: &'static str,
        model: String,
    },
    /// An open model's tuning needs a Cloud Storage folder for its weights.
    OutputUriMissing {
        model: String,
    },
    OutputUriNotGs {
        uri: String,
    },
    BatchSizeBelowOne,
    RateNotPositive,
    /// The model does not tune in this region.
    RegionNotForModel {
        model: String,
        location: String,
        regions: &'static [&'static str],
    },
}

impl std::fmt::Display for VertexTuningProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VertexTuningProblem::NotTunable { model } => write!(
                f,
                "{model} cannot be tuned on Vertex AI; it tunes {}",
                TUNABLE_MODELS
                    .iter()
                    .map(|m| m.id)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            VertexTuningProblem::EpochsBelowOne => write!(f, "epochs must be at least 1"),
            VertexTuningProblem::MultiplierNotPositive => {
                write!(f, "the learning-rate multiplier must be above 0")
            }
            VertexTuningProblem::AdapterNotForModel {
                rank,
                model,
                allowed,
            } => {
                if allowed.is_empty() {
                    write!(
                        f,
                        "adapter size {rank} is not offered for {model}; it takes no adapter size (the service picks the adapter's rank)"
                    )
                } else {
                    write!(
                        f,
                        "adapter size {rank} is not offered for {model}; it takes {allowed:?}"
                    )
                }
            }
            VertexTuningProblem::Share(problem) => match problem {
                super::tuning::TuningProblem::HeldOutOutOfRange { percent } => {
                    write!(f, "validation share {percent}% is outside 0 to 99")
                }
                super::tuning::TuningProblem::HeldOutLeavesNone { percent, examples } => write!(
                    f,
                    "validation share {percent}% of {examples} examples leaves none to train on"
                ),
                other => write!(f, "{other:?}"),
            },
            VertexTuningProblem::TooManyValidation {
                validation,
                most,
                training,
            } => write!(
                f,
                "{validation} validation examples; Vertex AI takes at most {most} beside {training} training examples"
            ),
            VertexTuningProblem::NoExamples => write!(f, "the dataset has no examples"),
            VertexTuningProblem::PreferenceNotForModel { model } => write!(
                f,
                "{model} does not take preference tuning; it is offered for {}",
                super::preference::preference_models().join(", ")
            ),
            VertexTuningProblem::BetaOutOfRange { beta } => write!(
                f,
                "beta {beta} is out of range; it must be above 0 and at most {}",
                super::preference::BETA_MAX
            ),
            VertexTuningProblem::ModeNotForModel {
                mode,
                model,
                allowed,
            } => write!(
                f,
                "{model} does not take {} tuning; it takes {}",
                mode.word(),
                allowed
                    .iter()
                    .map(|m| m.word())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            VertexTuningProblem::MultiplierOnOpenModel { model } => write!(
                f,
                "{model} is an open model: give a learning rate, not a learning-rate multiplier"
            ),
            VertexTuningProblem::RateOnGemini { model } => write!(
                f,
                "{model} takes a learning-rate multiplier, not a learning rate"
            ),
            VertexTuningProblem::OpenSettingOnGemini { setting, model } => write!(
                f,
                "{model} takes no {setting}; it is an open model's setting"
            ),
            VertexTuningProblem::OutputUriMissing { model } => write!(
                f,
                "{model} is an open model: its tuning needs an output URI (gs://bucket/folder) for the tuned weights"
            ),
            VertexTuningProblem::OutputUriNotGs { uri } => write!(
                f,
                "output URI {uri:?} is not a Cloud Storage folder (gs://bucket/folder)"
            ),
            VertexTuningProblem::BatchSizeBelowOne => {
                write!(f, "the batch size must be at least 1")
            }
            VertexTuningProblem::RateNotPositive => write!(f, "the learning rate must be above 0"),
            VertexTuningProblem::RegionNotForModel {
                model,
                location,
                regions,
            } => write!(
                f,
                "{model} does not tune in {location}; it tunes in {}",
                regions.join(", ")
            ),
        }
    }
}

impl VertexTuning {
    /// The settings checked against the service's rules, before anything is uploaded.
    pub fn check(&self) -> Result<(), VertexTuningProblem> {
        if self.epochs == Some(0) {
            return Err(VertexTuningProblem::EpochsBelowOne);
        }
        if self.multiplier.is_some_and(|m| m.is_nan() || m <= 0.0) {
            return Err(VertexTuningProblem::MultiplierNotPositive);
        }
        if let VertexMethod::Preference { beta } = self.method {
            if let Some(beta) = beta
                && !super::preference::beta_in_range(beta)
            {
                return Err(VertexTuningProblem::BetaOutOfRange { beta });
            }
            if let VertexSource::Base(model) = &self.source
                && !super::preference::takes_preference(model)
            {
                return Err(VertexTuningProblem::PreferenceNotForModel {
                    model: model.clone(),
                });
            }
        }
        if self.open.batch_size == Some(0) {
            return Err(VertexTuningProblem::BatchSizeBelowOne);
        }
        if self
            .open
            .learning_rate
            .is_some_and(|r| r.is_nan() || r <= 0.0)
        {
            return Err(VertexTuningProblem::RateNotPositive);
        }
        let tunable = match &self.source {
            VertexSource::Base(model) => {
                tunable_model(model).ok_or_else(|| VertexTuningProblem::NotTunable {
                    model: model.clone(),
                })?
            }
            // A tuned model continues on its Gemini base: no open-model setting applies.
            VertexSource::Tuned { model, .. } => {
                return match self.open.learning_rate {
                    Some(_) => Err(VertexTuningProblem::RateOnGemini {
                        model: model.clone(),
                    }),
                    None => gemini_settings(&self.open, model),
                };
            }
        };
        let model = tunable.id.to_owned();
        if tunable.is_open() {
            if self.multiplier.is_some() {
                return Err(VertexTuningProblem::MultiplierOnOpenModel { model });
            }
            let mode = self.open.tuning_mode.unwrap_or(tunable.default_mode());
            if !tunable.takes_mode(mode) {
                return Err(VertexTuningProblem::ModeNotForModel {
                    mode,
                    model,
                    allowed: tunable.modes,
                });
            }
            if self.open.output_uri.is_empty() {
                return Err(VertexTuningProblem::OutputUriMissing { model });
            }
            if !self.open.output_uri.starts_with("gs://") {
                return Err(VertexTuningProblem::OutputUriNotGs {
                    uri: self.open.output_uri.clone(),
                });
            }
        } else {
            if self.open.learning_rate.is_some() {
                return Err(VertexTuningProblem::RateOnGemini { model });
            }
            gemini_settings(&self.open, &model)?;
        }
        if let Some(rank) = self.adapter_rank
            && !tunable.adapter_ranks.contains(&rank)
        {
            return Err(VertexTuningProblem::AdapterNotForModel {
                rank,
                model,
                allowed: tunable.adapter_ranks,
            });
        }
        Ok(())
    }

    /// [`VertexTuning::check`], and that the model tunes in `location`.
    pub fn check_in(&self, location: &str) -> Result<(), VertexTuningProblem> {
        self.check()?;
        if let VertexSource::Base(model) = &self.source
            && let Some(tunable) = tunable_model(model)
            && !tunable.tunes_in(location)
        {
            return Err(VertexTuningProblem::RegionNotForModel {
                model: tunable.id.to_owned(),
                location: location.to_owned(),
                regions: tunable.regions,
            });
        }
        Ok(())
    }

    /// The tuning mode a job of these settings runs in: an open model's (given, else its
    /// default); `None` for a Gemini model.
    pub fn mode(&self) -> Option<TuningMode> {
        match &self.source {
            VertexSource::Base(model) => tunable_model(model)
                .filter(|m| m.is_open())
                .map(|m| self.open.tuning_mode.unwrap_or(m.default_mode())),
            VertexSource::Tuned { .. } => None,
        }
    }

    /// How many of `examples` train and how many validate, within the service's validation
    /// limit: the split's sizes without making it (the form shows them on every frame).
    pub fn split_sizes(&self, examples: usize) -> Result<(usize, usize), VertexTuningProblem> {
        if examples == 0 {
            return Err(VertexTuningProblem::NoExamples);
        }
        let validation = super::tuning::held_out_count(self.validation_percent, examples)
            .map_err(VertexTuningProblem::Share)?;
        let training = examples - validation;
        let most = max_validation_examples(training);
        if validation > most {
            return Err(VertexTuningProblem::TooManyValidation {
                validation,
                most,
                training,
            });
        }
        Ok((training, validation))
    }

    /// The training and validation examples: the share split off with the fixed seed, within
    /// the service's validation limit.
    pub fn split<T: Clone>(&self, examples: &[T]) -> Result<(Vec<T>, Vec<T>), VertexTuningProblem> {
        let (_, validation) = self.split_sizes(examples.len())?;
        Ok(super::tuning::split_held_out(examples, validation))
    }

    /// The tuningJobs.create body for datasets uploaded to these `gs://` URIs (an empty
    /// validation URI: none).
    pub fn to_job(&self, training_uri: &str, validation_uri: &str) -> TuningJob {
        use crate::api::vertex::types::{
            AdapterSize, HyperParameters, PreTunedModel, PreferenceHyperParameters,
            PreferenceOptimizationSpec, SupervisedTuningSpec, WireTuningMode,
        };
        let (base_model, pre_tuned_model) = match &self.source {
            VertexSource::Base(model) => (super::models::short_id(model), None),
            VertexSource::Tuned { model, checkpoint } => (
                String::new(),
                Some(PreTunedModel {
                    tuned_model_name: model.clone(),
                    checkpoint_id: checkpoint.clone().unwrap_or_default(),
                    ..Default::default()
                }),
            ),
        };
        let adapter_size = self
            .adapter_rank
            .and_then(AdapterSize::from_rank)
            .unwrap_or(AdapterSize::Unspecified);
        let (supervised_tuning_spec, preference_optimization_spec) = match self.method {
            VertexMethod::Supervised => (
                Some(SupervisedTuningSpec {
                    training_dataset_uri: training_uri.to_owned(),
                    validation_dataset_uri: validation_uri.to_owned(),
                    hyper_parameters: Some(HyperParameters {
                        epoch_count: self.epochs.map(i64::from),
                        learning_rate_multiplier: self.multiplier,
                        learning_rate: self.open.learning_rate,
                        batch_size: self.open.batch_size.map(i64::from),
                        adapter_size,
                    }),
                    tuning_mode: match self.mode() {
                        Some(TuningMode::Full) => WireTuningMode::Full,
                        Some(TuningMode::Adapter) => WireTuningMode::PeftAdapter,
                        None => WireTuningMode::Unspecified,
                    },
                    ..Default::default()
                }),
                None,
            ),
            VertexMethod::Preference { beta } => (
                None,
                Some(PreferenceOptimizationSpec {
                    training_dataset_uri: training_uri.to_owned(),
                    validation_dataset_uri: validation_uri.to_owned(),
                    hyper_parameters: Some(PreferenceHyperParameters {
                        epoch_count: self.epochs.map(i64::from),
                        learning_rate_multiplier: self.multiplier,
                        adapter_size,
                        beta,
                    }),
                    ..Default::default()
                }),
            ),
        };
        TuningJob {
            base_model,
            pre_tuned_model,
            tuned_model_display_name: self.display_name.clone(),
            description: self.description.clone(),
            supervised_tuning_spec,
            preference_optimization_spec,
            output_uri: self.open.output_uri.clone(),
            ..Default::default()
        }
    }
}

/// A Gemini model's settings hold no open-model one (the learning rate is checked apart).
fn gemini_settings(open: &OpenSettings, model: &str) -> Result<(), VertexTuningProblem> {
    let setting = if open.tuning_mode.is_some() {
        "tuning mode"
    } else if open.batch_size.is_some() {
        "batch size"
    } else if !open.output_uri.is_empty() {
        "output URI"
    } else {
        return Ok(());
    };
    Err(VertexTuningProblem::OpenSettingOnGemini {
        setting,
        model: model.to_owned(),
    })
}

/// The object a dataset is uploaded as: `prefix/stem-YYYYmmdd-HHMMSS-kind.jsonl` (`kind`:
/// train or validation), so uploads never overwrite one another.
pub fn dataset_object(
    prefix: &str,
    stem: &str,
    at: chrono::DateTime<chrono::Utc>,
    kind: &str,
) -> String {
    let name = format!("{stem}-{}-{kind}.jsonl", at.format("%Y%m%d-%H%M%S"));
    match prefix.trim_matches('/') {
        "" => name,
        prefix => format!("{prefix}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> VertexTuning {
        VertexTuning {
            display_name: "x".into(),
            description: String::new(),
            source: VertexSource::Base("gemini-2.5-pro".into()),
            epochs: None,
            multiplier: None,
            adapter_rank: Some(16),
            validation_percent: 20.0,
            method: VertexMethod::Supervised,
            open: OpenSettings::default(),
        }
    }

    #[test]
    fn preference_tuning_is_checked_and_sent_as_its_own_spec() {
        let dpo = VertexTuning {
            source: VertexSource::Base("gemini-2.5-flash".into()),
            method: VertexMethod::Preference { beta: Some(0.2) },
            epochs: Some(2),
            ..settings()
        };
        assert_eq!(dpo.check(), Ok(()));
        let job = dpo.to_job("gs://b/p.jsonl", "");
        assert!(job.supervised_tuning_spec.is_none());
        let spec = job.preference_optimization_spec.clone().unwrap();
        assert_eq!(spec.training_dataset_uri, "gs://b/p.jsonl");
        let hp = spec.hyper_parameters.unwrap();
        assert_eq!((hp.beta, hp.epoch_count), (Some(0.2), Some(2)));
        assert_eq!(job.epoch_count(), Some(2));
        let wire = serde_json::to_value(&job).unwrap();
        assert_eq!(
            wire["preferenceOptimizationSpec"]["hyperParameters"]["beta"],
            0.2
        );
        assert_eq!(
            wire["preferenceOptimizationSpec"]["hyperParameters"]["adapterSize"],
            "ADAPTER_SIZE_SIXTEEN"
        );
        let pro = VertexTuning {
            source: VertexSource::Base("gemini-2.5-pro".into()),
            adapter_rank: None,
            ..dpo.clone()
        };
        assert_eq!(
            pro.check().unwrap_err().to_string(),
            "gemini-2.5-pro does not take preference tuning; it is offered for gemini-2.5-flash, gemini-2.5-flash-lite"
        );
        let steep = VertexTuning {
            method: VertexMethod::Preference { beta: Some(0.0) },
            ..dpo.clone()
        };
        assert_eq!(
            steep.check().unwrap_err().to_string(),
            "beta 0 is out of range; it must be above 0 and at most 1"
        );
        // From a supervised-tuned model's checkpoint, as Google recommends.
        let from_sft = VertexTuning {
            source: VertexSource::Tuned {
                model: "projects/p/locations/l/models/1".into(),
                checkpoint: Some("3".into()),
            },
            ..dpo
        };
        assert_eq!(from_sft.check(), Ok(()));
        let job = from_sft.to_job("gs://b/p.jsonl", "gs://b/v.jsonl");
        assert!(job.base_model.is_empty());
        assert_eq!(job.pre_tuned_model.unwrap().checkpoint_id, "3");
        assert!(job.preference_optimization_spec.is_some());
    }

    #[test]
    fn adapter_sizes_are_checked_per_model_and_the_split_is_fixed() {
        let problem = settings().check().unwrap_err();
        assert_eq!(
            problem.to_string(),
            "adapter size 16 is not offered for gemini-2.5-pro; it takes [1, 2, 4, 8]"
        );
        let ok = VertexTuning {
            adapter_rank: Some(8),
            ..settings()
        };
        assert_eq!(ok.check(), Ok(()));
        let (train, validation) = ok.split(&(0..10).collect::<Vec<_>>()).unwrap();
        assert_eq!((train.len(), validation.len()), (8, 2));
        assert_eq!(
            ok.split(&(0..10).collect::<Vec<_>>()).unwrap().1,
            validation
        );
        let job = ok.to_job("gs://b/t.jsonl", "");
        assert_eq!(job.base_model, "gemini-2.5-pro");
        assert_eq!(job.epoch_count(), None);
        let continued = VertexTuning {
            source: VertexSource::Tuned {
                model: "projects/p/locations/l/models/1".into(),
                checkpoint: Some("2".into()),
            },
            ..ok
        };
        let job = continued.to_job("gs://b/t.jsonl", "gs://b/v.jsonl");
        assert!(job.base_model.is_empty());
        assert_eq!(job.pre_tuned_model.unwrap().checkpoint_id, "2");
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-30T06:00:01Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            dataset_object("/tunedeck/", "numbers", at, "train"),
            "tunedeck/numbers-20261130-060001-train.jsonl"
        );
    }

    #[test]
    fn models_and_estimates() {
        assert_eq!(
            tunable_model("publishers/google/models/gemini-2.5-pro").map(|m| m.adapter_ranks),
            Some(&[1u32, 2, 4, 8][..])
        );
        assert!(tunable_model("gemini-1.0-pro").is_none());
        assert_eq!(estimate_tokens("abcde"), 2);
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(max_validation_examples(100), 5_000);
        assert_eq!(max_validation_examples(100_000), 30_000);
    }

    /// A job of project `p` in `loc`, created `minute` minutes past the hour, in `state`
    /// (RUNNING ones have started).
    fn job(p: &str, loc: &str, id: &str, minute: u32, state: &str) -> TuningJob {
        let started = state == "JOB_STATE_RUNNING";
        serde_json::from_value(serde_json::json!({
            "name": format!("projects/{p}/locations/{loc}/tuningJobs/{id}"),
            "state": state,
            "createTime": format!("2026-12-03T10:{minute:02}:00Z"),
            "startTime": started.then(|| format!("2026-12-03T10:{minute:02}:30Z")),
            "tuningJobState": if started { "TUNING_JOB_STATE_TUNING" } else { "TUNING_JOB_STATE_WAITING_FOR_QUOTA" },
        }))
        .unwrap()
    }

    #[test]
    fn jobs_ahead_are_the_projects_running_jobs_and_its_earlier_waiting_ones() {
        let jobs = vec![
            job("1", "us-central1", "10", 1, "JOB_STATE_RUNNING"),
            job("1", "us-central1", "11", 2, "JOB_STATE_PENDING"),
            job("1", "europe-west4", "12", 3, "JOB_STATE_PENDING"),
            job("1", "us-central1", "13", 4, "JOB_STATE_PENDING"),
            // Ended, or another project's: never ahead.
            job("1", "us-central1", "14", 0, "JOB_STATE_SUCCEEDED"),
            job("2", "us-central1", "15", 0, "JOB_STATE_RUNNING"),
            job("2", "us-central1", "16", 0, "JOB_STATE_PENDING"),
        ];
        let ahead: Vec<usize> = jobs[..4].iter().map(|j| jobs_ahead(j, &jobs)).collect();
        // The running one, then each waiting job behind it and the ones created before it,
        // whatever their location.
        assert_eq!(ahead, vec![0, 1, 2, 3]);
        // A job that started after a later quota change still holds its slot.
        let mut late = job("1", "us-central1", "17", 59, "JOB_STATE_RUNNING");
        late.tuning_job_state = TuningJobState::Tuning;
        let mut with_late = jobs.clone();
        with_late.push(late);
        assert_eq!(jobs_ahead(&jobs[1], &with_late), 2);
    }

    #[test]
    fn the_stage_is_worded_once_with_the_queue() {
        let jobs = vec![
            job("1", "us-central1", "10", 1, "JOB_STATE_RUNNING"),
            job("1", "us-central1", "11", 2, "JOB_STATE_PENDING"),
            job("1", "us-central1", "12", 3, "JOB_STATE_PENDING"),
        ];
        let rows = JobSummary::rows(&jobs);
        assert_eq!(rows[0].state_text(), "RUNNING · tuning");
        assert_eq!(
            rows[1].stage.unwrap().text(),
            "waiting for quota: 1 job ahead in this project"
        );
        assert_eq!(
            rows[2].stage.unwrap().text(),
            "waiting for quota: 2 jobs ahead in this project"
        );
        assert_eq!(rows[2].state_text(), "PENDING · quota: 2 ahead");
        // One job alone knows no queue; an ended job reports no stage.
        assert_eq!(
            JobSummary::of(&jobs[1]).stage,
            Some(JobStage::WaitingForQuota { ahead: None })
        );
        let mut done = jobs[0].clone();
        done.state = crate::api::vertex::types::JobState::Succeeded;
        assert_eq!(JobStage::of(&done, None), None);
    }
}
