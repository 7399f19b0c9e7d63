//! `R` on a succeeded job (the jobs table or its detail): a question naming the job, the base
//! its model has now and the tunable model it would be tuned on instead (←/→ choose), and `y`
//! rebases it (`tuningJobs:rebaseTunedModel`): a new job with the same data and settings, which
//! the Monitor then follows. Nothing is sent on `R` alone.

use super::{JobDialog, JobsPane};
use crate::api::vertex::types::TuningJob;
use crate::app::{App, Level, Tab};
use crate::domain::rebase::{RebaseProblem, check_rebase, rebase_targets};
use crate::domain::vertex::{job_base_model, job_label};
use crate::protocol::Cmd;
use std::time::Instant;

impl JobsPane {
    /// ←/→ in the rebase question: the previous or next model offered (not wrapping).
    pub fn choose_rebase_base(&mut self, delta: isize) {
        if let Some(JobDialog::Rebase {
            targets, chosen, ..
        }) = &mut self.dialog
        {
            let last = targets.len().saturating_sub(1);
            *chosen = chosen.saturating_add_signed(delta).min(last);
        }
    }
}

impl JobsPane {
    /// `e` in the rebase question: the old model's endpoint, or one of its own.
    pub fn toggle_rebase_endpoint(&mut self) {
        if let Some(JobDialog::Rebase { same_endpoint, .. }) = &mut self.dialog {
            *same_endpoint = !*same_endpoint;
        }
    }
}

impl App {
    /// `R`: asks, naming what will be created; a job that made no model is said instead.
    pub(in crate::app) fn ask_rebase(&mut self, now: Instant) -> Vec<Cmd> {
        let Some(job) = self.jobs.target().cloned() else {
            return Vec::new();
        };
        let label = job_label(&job);
        let targets = rebase_targets(&job, self.clock.utc.date_naive());
        // Any offered model passes the base check: only "no model" can stop the question.
        let problem = targets
            .first()
            .map_or(Ok(()), |first| check_rebase(&job, first));
        if let Err(RebaseProblem::NoModel { state }) = problem {
            self.toast(
                format!("{label} made no tuned model (it is {state}): only a succeeded job's model can be rebased"),
                Level::Info,
                now,
            );
            return Vec::new();
        }
        self.jobs.dialog = Some(JobDialog::Rebase {
            job: job.name.clone(),
            label,
            old_base: job_base_model(&job).to_owned(),
            targets: targets.into_iter().map(str::to_owned).collect(),
            chosen: 0,
            same_endpoint: false,
            endpoint: job
                .tuned_model
                .as_ref()
                .map(|t| t.endpoint.clone())
                .unwrap_or_default(),
        });
        Vec::new()
    }

    /// The rebase's new job: said, listed, and followed in the Monitor.
    pub(in crate::app) fn rebase_started(
        &mut self,
        label: &str,
        base: &str,
        job: TuningJob,
        now: Instant,
    ) -> Vec<Cmd> {
        self.toast(
            format!("Rebasing {label} onto {base}: new tuning job {}", job.id()),
            Level::Info,
            now,
        );
        let name = job.name.clone();
        let mut cmds = self.track_vertex_jobs(vec![job]);
        self.monitor.select_job(&name);
        self.tab = Tab::Monitor;
        cmds.extend(self.refresh_list());
        cmds
    }
}
