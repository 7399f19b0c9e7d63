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
            .filter(|m| !m.is_open())
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
    // A rebase re-tunes a Gemini model's data on another Gemini model.
    if tunable_model(new_base).is_none_or(|m| m.is_open()) {
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

/// The models a rebase may choose on `today`, the suggested one first: the Gemini models
/// supervised tuning takes that have not retired, other than the job's base, the one the model
/// table suggests for that base leading ([`crate::domain::models::suggested_base`]).
pub fn rebase_targets(job: &TuningJob, today: chrono::NaiveDate) -> Vec<&'static str> {
    use crate::domain::models::{Family, Method, current_models, suggested_base};
    let old = short(job_base_model(job)).to_owned();
    let suggested = suggested_base(&old, today);
    let mut targets: Vec<&'static str> = current_models(Method::Supervised, today)
        .into_iter()
        .filter(|m| m.family == Family::Gemini)
        .map(|m| m.id)
        .filter(|id| *id != old)
        .collect();
    if let Some(i) = targets.iter().position(|id| *id == suggested) {
        let first = targets.remove(i);
        targets.insert(0, first);
    }
    targets
}

/// The job among `jobs` whose tuned model (or one of its checkpoints) serves on `endpoint`.
pub fn job_serving<'a>(jobs: &'a [TuningJob], endpoint: &str) -> Option<&'a TuningJob> {
    jobs.iter().find(|j| {
        j.tuned_model.as_ref().is_some_and(|t| {
            t.endpoint == endpoint || t.checkpoints.iter().any(|c| c.endpoint == endpoint)
        })
    })
}

/// What a 404 from a tuned endpoint means when the job's base model has retired (or may have)
/// on `today`: the sentence that says so and names the rebase command; `None` otherwise.
pub fn retired_base_hint(job: &TuningJob, today: chrono::NaiveDate) -> Option<String> {
    use crate::domain::models::{Life, base_life, suggested_base};
    let base = short(job_base_model(job));
    let said = match base_life(base, today)? {
        Life::Retired { on } => format!("its base model {base} retired on {on}"),
        Life::MayHaveRetired { on } => format!("its base model {base} may have retired (due {on})"),
        Life::RetiresSoon { .. } => return None,
    };
    Some(format!(
        "{said}: rebase it with `tunedeck jobs rebase {} --base-model {}` (R on the job in the Jobs tab)",
        job.id(),
        suggested_base(base, today)
    ))
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
        // Before the 2.5 models retired, every other Gemini model; after, the current ones,
        // the table's suggestion first.
        let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
        let targets = rebase_targets(&job, day("2026-08-01"));
        assert!(!targets.contains(&"gemini-2.5-flash"));
        assert_eq!(targets.first(), Some(&"gemini-3.1-flash-lite"));
        assert_eq!(targets.len(), 4);
        assert_eq!(
            rebase_targets(&job, day("2026-12-04")),
            vec!["gemini-3.1-flash-lite", "gemini-3.5-flash"]
        );
        let named = TuningJob {
            name: "projects/1/locations/us-central1/tuningJobs/42".into(),
            ..job.clone()
        };
        assert_eq!(retired_base_hint(&named, day("2026-08-01")), None);
        assert_eq!(
            retired_base_hint(&named, day("2026-12-04")).unwrap(),
            "its base model gemini-2.5-flash retired on 2026-10-16: rebase it with `tunedeck jobs rebase 42 --base-model gemini-3.1-flash-lite` (R on the job in the Jobs tab)"
        );
    }
}
