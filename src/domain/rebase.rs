//! Rebasing a tuned model (`tuningJobs:rebaseTunedModel`, aiplatform v1): the job that made the
//! model is tuned again, same data and settings, on a newer base model, which makes a new job and
//! a new model. What may be rebased and onto what, once, for the dashboard, the headless command
//! and the emulator. Each front end words a [`RebaseProblem`] itself.

use crate::api::vertex::types::{JobState, TuningJob};
use crate::domain::vertex::{TUNABLE_MODELS, job_base_model, tunable_model};

/// Why a job cannot be rebased onto a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RebaseProblem {
    /// The job made no tuned model (it has not succeeded, or its model was deleted): there is
    /// nothing to rebase. `state` without its `JOB_STATE_` prefix.
    NoModel { state: String },
    /// The new base is not one supervised tuning takes.
    NotTunable { model: String },
    /// The new base is the one the model was tuned from already.
    SameBase { model: String },
}

impl RebaseProblem {
    /// The models a job can be rebased onto, for the message that names them.
    pub fn tunable_ids() -> String {
        TUNABLE_MODELS
            .iter()
            .map(|m| m.id)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The short id of a model name (`publishers/google/models/gemini-2.5-flash` → `gemini-2.5-flash`).
fn short(model: &str) -> &str {
    model.rsplit('/').next().unwrap_or(model)
}

/// Whether `job` can be rebased onto `new_base`: it made a model, the new base is tunable, and
/// it is not the base the model has now.
pub fn check_rebase(job: &TuningJob, new_base: &str) -> Result<(), RebaseProblem> {
    let made_model = job.state == JobState::Succeeded
        && job
            .tuned_model
            .as_ref()
            .is_some_and(|t| !t.model.is_empty());
    if !made_model {
        return Err(RebaseProblem::NoModel {
            state: job.state.name().trim_start_matches("JOB_STATE_").to_owned(),
        });
    }
    check_base(job_base_model(job), new_base)
}

/// The base-model half of [`check_rebase`], for a caller that has the old base only.
pub fn check_base(old_base: &str, new_base: &str) -> Result<(), RebaseProblem> {
    if tunable_model(new_base).is_none() {
        return Err(RebaseProblem::NotTunable {
            model: new_base.to_owned(),
        });
    }
    if short(old_base) == short(new_base) {
        return Err(RebaseProblem::SameBase {
            model: short(new_base).to_owned(),
        });
    }
    Ok(())
}

/// The tunable models other than the job's base, newest first: what a rebase may choose.
pub fn rebase_targets(job: &TuningJob) -> Vec<&'static str> {
    let old = short(job_base_model(job)).to_owned();
    TUNABLE_MODELS
        .iter()
        .map(|m| m.id)
        .filter(|id| *id != old)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::vertex::types::TunedModelRef;

    fn succeeded(base: &str) -> TuningJob {
        TuningJob {
            base_model: base.into(),
            state: JobState::Succeeded,
            tuned_model: Some(TunedModelRef {
                model: "projects/1/locations/us-central1/models/7@1".into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_succeeded_job_rebases_onto_another_tunable_model_only() {
        let job = succeeded("gemini-2.5-flash");
        assert_eq!(check_rebase(&job, "gemini-2.5-pro"), Ok(()));
        assert_eq!(
            check_rebase(&job, "gemini-2.5-flash"),
            Err(RebaseProblem::SameBase {
                model: "gemini-2.5-flash".into()
            })
        );
        assert_eq!(
            check_rebase(&job, "gemini-1.0-pro"),
            Err(RebaseProblem::NotTunable {
                model: "gemini-1.0-pro".into()
            })
        );
        let running = TuningJob {
            state: JobState::Running,
            tuned_model: None,
            ..job.clone()
        };
        assert_eq!(
            check_rebase(&running, "gemini-2.5-pro"),
            Err(RebaseProblem::NoModel {
                state: "RUNNING".into()
            })
        );
        let targets = rebase_targets(&job);
        assert!(!targets.contains(&"gemini-2.5-flash"));
        assert_eq!(targets.len(), TUNABLE_MODELS.len() - 1);
    }
}
