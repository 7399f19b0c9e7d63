//! The emulator's concurrent-tuning-jobs quota for Vertex AI: a project runs at most
//! `EmulatorOptions::concurrent_tuning_jobs` tuning jobs at once (the service's default
//! "Global concurrent tuning jobs" quota is 1, shared across the project's locations); a later
//! job stays PENDING with TUNING_JOB_STATE_WAITING_FOR_QUOTA until enough earlier ones end.
//! Who is ahead of whom is the domain's rule ([`jobs_ahead`]), the one the dashboard and the
//! CLI count with.

use super::core::Core;
use super::store::micros;
use super::vertex_tuning::{end_cancelled, tick, update};
use crate::api::vertex::types::TuningJobState;
use crate::domain::vertex::jobs_ahead;
use chrono::Utc;

/// What a pending job does next under the project's concurrent-tuning-jobs quota.
enum Turn {
    Start,
    Wait { marked: bool },
    Cancel,
}

/// Holds a pending job until fewer than the quota of its project's jobs are ahead of it
/// ([`jobs_ahead`]: first come, first served by create time, across locations), marked
/// TUNING_JOB_STATE_WAITING_FOR_QUOTA (journalled, so a restart shows it and keeps the order,
/// which the create times give). A cancel ends it where it waits. False when the job has
/// ended, is gone, or the emulator is shutting down.
pub(super) async fn wait_for_quota(core: &Core, id: &str) -> bool {
    loop {
        let turn = {
            let store = core.store();
            let Some(me) = store.cloud.job(id) else {
                return false;
            };
            if me.state.cancel_requested {
                Turn::Cancel
            } else {
                let ahead =
                    jobs_ahead(&me.state.job, store.cloud.jobs.iter().map(|j| &j.state.job));
                if ahead < core.options.concurrent_tuning_jobs.max(1) {
                    Turn::Start
                } else {
                    Turn::Wait {
                        marked: me.state.job.tuning_job_state == TuningJobState::WaitingForQuota,
                    }
                }
            }
        };
        match turn {
            Turn::Start => return true,
            Turn::Cancel => {
                update(core, id, |j| end_cancelled(j, micros(Utc::now())));
                return false;
            }
            Turn::Wait { marked: false } => {
                update(core, id, |j| {
                    let t = &mut j.state.job;
                    t.tuning_job_state = TuningJobState::WaitingForQuota;
                    t.update_time = Some(micros(Utc::now()));
                });
            }
            Turn::Wait { marked: true } => {}
        }
        if !tick(core).await {
            return false;
        }
    }
}
