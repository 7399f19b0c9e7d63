//! The App's handling of tuning jobs: finding the operation of CREATING models, following
//! operations, and the Monitor pane's actions.

use crate::api::types::TunedModelState;
use crate::app::action::Action;
use crate::app::monitor;
use crate::app::{App, Level, Pending, Tab};
use crate::protocol::{ApiCall, Cmd};
use std::time::Instant;

impl App {
    /// Asks for the operation of every CREATING model the monitor does not follow yet.
    pub(in crate::app) fn find_new_jobs(&mut self) -> Vec<Cmd> {
        let creating: Vec<String> = self
            .models
            .models
            .iter()
            .filter(|m| m.state == TunedModelState::Creating)
            .map(|m| m.name.clone())
            .filter(|n| !self.monitor.tracks_model(n) && !self.finding.contains(n))
            .collect();
        creating
            .into_iter()
            .map(|model| {
                self.finding.insert(model.clone());
                self.request(
                    Pending::FindOperation(model.clone()),
                    ApiCall::ListOperations { model },
                )
            })
            .collect()
    }

    /// Follows Vertex AI tuning jobs: a job each, its state and metrics polled until it ends
    /// (once, for one that has ended).
    pub fn track_vertex_jobs(
        &mut self,
        jobs: Vec<crate::api::vertex::types::TuningJob>,
    ) -> Vec<Cmd> {
        let mut cmds = Vec::new();
        for tuning_job in jobs {
            if self.monitor.job_mut(&tuning_job.name).is_some() {
                continue;
            }
            // A finished job is polled once too: its series live behind it, not in it.
            cmds.push(Cmd::WatchVertex {
                job: tuning_job.name.clone(),
            });
            self.monitor
                .jobs
                .push(monitor::Job::from_tuning_job(&tuning_job));
        }
        cmds
    }

    /// Follows tuning operations: a job each, watched until done.
    pub fn track_operations(&mut self, operations: Vec<crate::api::types::Operation>) -> Vec<Cmd> {
        let mut cmds = Vec::new();
        for op in operations {
            if self.monitor.job_mut(&op.name).is_some() {
                continue;
            }
            let job = monitor::Job::from_operation(&op);
            if !job.is_done() {
                cmds.push(Cmd::Watch {
                    operation: op.name.clone(),
                });
            }
            self.monitor.jobs.push(job);
        }
        if let Some(model) = self.monitor.select_model.clone()
            && self.monitor.select_model(&model)
        {
            self.monitor.select_model = None;
        }
        self.dirty = true;
        cmds
    }

    pub(in crate::app) fn on_monitor_action(&mut self, action: Action, now: Instant) -> Vec<Cmd> {
        let m = &mut self.monitor;
        let count = m.jobs.len();
        match action {
            Action::Up => {
                m.selected = m.selected.saturating_sub(1);
                m.cursor = None;
            }
            Action::Down => {
                m.selected = (m.selected + 1).min(count.saturating_sub(1));
                m.cursor = None;
            }
            Action::ToggleEpochs => {
                m.per_epoch = !m.per_epoch;
                m.cursor = None;
            }
            Action::ToggleSmoothing => m.smoothing = !m.smoothing,
            Action::ToggleLog => m.log_scale = !m.log_scale,
            Action::ToggleAccuracy => {
                // A DPO job cycles loss → reward accuracy → reward margin; others toggle.
                let preference = m.selected_job().is_some_and(|j| j.preference);
                (m.accuracy, m.margin) = match (m.accuracy, m.margin) {
                    (false, false) => (true, false),
                    (true, false) if preference => (false, true),
                    _ => (false, false),
                };
                m.cursor = None;
                let missing = m
                    .selected_job()
                    .is_some_and(|j| j.train_accuracy.is_empty() && !j.train_loss.is_empty());
                if m.accuracy && missing {
                    self.toast(
                        "This job reports no accuracy (the Gemini API reports loss only)",
                        Level::Info,
                        now,
                    );
                }
            }
            Action::CursorLeft | Action::CursorRight => {
                let len = m
                    .selected_job()
                    .map(|j| m.series(j, self.ema_alpha).len())
                    .unwrap_or(0);
                if len > 0 {
                    let at = m.cursor.unwrap_or(len - 1);
                    m.cursor = Some(if action == Action::CursorLeft {
                        at.saturating_sub(1)
                    } else {
                        (at + 1).min(len - 1)
                    });
                }
            }
            Action::Back => m.cursor = None,
            Action::Mark => {
                if let Some(op) = m.selected_job().map(|j| j.name.clone())
                    && !m.compare.remove(&op)
                {
                    m.compare.insert(op);
                }
            }
            Action::CancelJob => {
                if let Some(job) = m.selected_job().filter(|j| !j.is_done()) {
                    if job.name.contains("/operations/") || job.name.contains("/tuningJobs/") {
                        m.confirm_cancel = Some(job.name.clone());
                    } else {
                        let text =
                            "This job's operation is unknown, so it cannot be cancelled from here.";
                        self.toast(text, Level::Error, now);
                    }
                }
            }
            // The selected job's model, as in the Models tab.
            // A Vertex AI job opens as a job: its detail, its endpoint, its name.
            Action::Open | Action::OpenPlayground | Action::CopyName
                if m.selected_job()
                    .is_some_and(|j| j.name.contains("/tuningJobs/")) =>
            {
                let name = m.selected_job().map(|j| j.name.clone()).unwrap_or_default();
                if self.jobs.find(&name).is_none() {
                    self.toast(
                        "The job is not listed yet: r refreshes the list",
                        Level::Info,
                        now,
                    );
                    return Vec::new();
                }
                // The jobs view acts on the job its detail shows.
                let before = self.jobs.detail.replace(name);
                if action == Action::Open {
                    self.tab = Tab::Models;
                    self.jobs.detail_scroll = 0;
                    return Vec::new();
                }
                let cmds = self.on_jobs_action(action, now);
                self.jobs.detail = before;
                return cmds;
            }
            Action::Delete
                if m.selected_job().is_some_and(|j| {
                    j.is_done()
                        && j.name.contains("/tuningJobs/")
                        && !j.model.starts_with("projects/")
                }) =>
            {
                let label = m
                    .selected_job()
                    .map(|j| j.display_name.clone())
                    .unwrap_or_default();
                self.toast(
                    format!("{label} made no tuned model to delete"),
                    Level::Info,
                    now,
                );
            }
            Action::Open => {
                if let Some(model) = m.selected_job().map(|j| j.model.clone()) {
                    self.tab = Tab::Models;
                    self.models.detail = Some(model);
                }
            }
            Action::OpenPlayground => {
                if let Some(model) = m.selected_job().map(|j| j.model.clone()) {
                    return self.open_in_playground(&model, now);
                }
            }
            Action::CopyName => {
                if let Some(model) = m.selected_job().map(|j| j.model.clone()) {
                    self.toast(format!("Copied {model}"), Level::Info, now);
                    self.effects.push(Cmd::Copy(model));
                }
            }
            Action::Delete => match m.selected_job() {
                Some(job) if job.is_done() => {
                    m.offer_delete = Some(job.model.clone());
                    m.offer_after_cancel = false;
                }
                Some(_) => {
                    let text =
                        "The job is still tuning: cancel it first (c), then delete its model";
                    self.toast(text, Level::Error, now);
                }
                None => {}
            },
            Action::Export => {
                let Some(job) = m.selected_job() else {
                    return Vec::new();
                };
                // A Vertex AI job: every series, named by its display name (its model's name
                // is a resource path, not a file name).
                let files = if job.name.contains("/tuningJobs/") {
                    let stem = crate::dataset::safe_file_stem(if job.display_name.is_empty() {
                        job.name.rsplit('/').next().unwrap_or("job")
                    } else {
                        &job.display_name
                    });
                    [
                        (
                            format!("{stem}-metrics.csv"),
                            crate::domain::progress::vertex::metrics_csv(job),
                        ),
                        (
                            format!("{stem}-metrics.json"),
                            crate::domain::progress::vertex::metrics_json(job),
                        ),
                    ]
                } else {
                    let stem = job.model.trim_start_matches("tunedModels/").to_owned();
                    [
                        (
                            format!("{stem}-snapshots.csv"),
                            crate::domain::progress::gemini::snapshots_csv(&job.train_loss),
                        ),
                        (
                            format!("{stem}-snapshots.json"),
                            crate::domain::progress::gemini::snapshots_json(&job.train_loss),
                        ),
                    ]
                };
                return files
                    .into_iter()
                    .map(|(path, contents)| {
                        let id = self.next_request;
                        self.next_request += 1;
                        self.pending.insert(id, Pending::Export);
                        Cmd::WriteFile {
                            id,
                            path: path.into(),
                            contents: contents.into_bytes(),
                        }
                    })
                    .collect();
            }
            _ => return self.on_global_action(action, now),
        }
        Vec::new()
    }
}
