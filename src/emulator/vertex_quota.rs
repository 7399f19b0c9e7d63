//! The emulator's concurrent-tuning-jobs quota for Vertex AI: a project runs at most
//! `EmulatorOptions::concurrent_tuning_jobs` tuning jobs at once (the service's default
//! "Global concurrent tuning jobs" quota is 1, shared across the project's locations); a later
//! job stays PENDING with TUNING_JOB_STATE_WAITING_FOR_QUOTA until enough earlier ones end.
//! Who is ahead of whom is the domain's rule ([`jobs_ahead`]), the one the dashboard and the
//! CLI count with.

use super::core::Core;
use crate::api::vertex::types::TuningJobState;
use crate::domain::vertex::jobs_ahead;

/// What a pending job does next under the project's concurrent-tuning-jobs quota.
pub(super) enum Turn {
    /// It may start now.
    Start,
    /// It waits; `marked` when it already says TUNING_JOB_STATE_WAITING_FOR_QUOTA.
    Wait { marked: bool },
    /// A cancel came while it waited.
    Cancel,
    /// The job is gone.
    Gone,
}

/// Whether a pending job may start: fewer than the quota of its project's jobs are ahead of it
/// ([`jobs_ahead`]: first come, first served by create time, across locations). The waiting
/// itself (marking the job, journalled, and ticking) is `vertex_tuning::wait_for_quota`'s, so
/// this module reads the store and nothing else.
pub(super) fn turn(core: &Core, id: &str) -> Turn {
    let store = core.store();
    let Some(me) = store.cloud.job(id) else {
        return Turn::Gone;
    };
    if me.state.cancel_requested {
        return Turn::Cancel;
    }
    let ahead = jobs_ahead(&me.state.job, store.cloud.jobs.iter().map(|j| &j.state.job));
    if ahead < core.options.concurrent_tuning_jobs.max(1) {
        Turn::Start
    } else {
        Turn::Wait {
            marked: me.state.job.tuning_job_state == TuningJobState::WaitingForQuota,
        }
    }
}
