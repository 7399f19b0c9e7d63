//! The jobs view's keys (Vertex AI chosen): move, open, filter, sort, mark, cancel a job,
//! delete the models jobs made, copy names, open a job in the Monitor or its model in the
//! Playground, choose a checkpoint in a job's detail and make it the model's default.

use crate::api::vertex::types::TuningJob;
use crate::app::action::Action;
use crate::app::jobs::JobDialog;
use crate::app::{App, Level, Pending, Tab};
use crate::domain::vertex::{JobSummary, job_label};
use crate::protocol::{ApiCall, Cmd};
use std::time::Instant;

impl App {
    pub(in crate::app) fn on_jobs_action(&mut self, action: Action, now: Instant) -> Vec<Cmd> {
        let page = self.table_height().max(1) as isize;
        let pane = &mut self.jobs;
        let in_detail = pane.detail.is_some();
        match action {
            Action::Up if in_detail => pane.detail_scroll = pane.detail_scroll.saturating_sub(1),
            Action::Down if in_detail => pane.detail_scroll = pane.detail_scroll.saturating_add(1),
            Action::Up => pane.move_by(-1),
            Action::Down => pane.move_by(1),
            Action::PageUp => pane.move_by(-page),
            Action::PageDown => pane.move_by(page),
            Action::Top => pane.selected = 0,
            Action::Bottom => pane.move_by(isize::MAX / 2),
            Action::Open => {
                pane.detail = pane.selected_job().map(|j| j.name.clone());
                pane.detail_scroll = 0;
                pane.checkpoint = 0;
                return self.read_job_model();
            }
            Action::PrevCheckpoint | Action::NextCheckpoint if in_detail => {
                let count = pane
                    .target()
                    .and_then(|j| j.tuned_model.as_ref())
                    .map_or(0, |t| t.checkpoints.len());
                pane.checkpoint = match action {
                    Action::PrevCheckpoint => pane.checkpoint.saturating_sub(1),
                    _ => (pane.checkpoint + 1).min(count.saturating_sub(1)),
                };
            }
            Action::Rebase => return self.ask_rebase(now),
            Action::SetDefaultCheckpoint if in_detail => {
                return self.ask_set_default_checkpoint(now);
            }
            Action::Back => {
                if pane.detail.is_some() {
                    pane.detail = None;
                } else if !pane.filter.is_empty() {
                    pane.filter.clear();
                    pane.refresh_view();
                } else {
                    pane.marked.clear();
                }
            }
            Action::Filter => pane.filter_editing = true,
            Action::SortNext => {
                pane.sort = pane.sort.next();
                pane.refresh_view();
            }
            Action::SortReverse => {
                pane.descending = !pane.descending;
                pane.refresh_view();
            }
            Action::Mark => {
                if let Some(name) = pane.selected_job().map(|j| j.name.clone())
                    && !pane.marked.remove(&name)
                {
                    pane.marked.insert(name);
                }
                pane.move_by(1);
            }
            Action::CancelJob => return self.ask_cancel_job(now),
            Action::Delete => return self.ask_delete_job_models(now),
            Action::CopyName | Action::CopyModel | Action::CopyEndpoint => {
                return self.copy_job_name(action, now);
            }
            Action::OpenMonitor => {
                if let Some(job) = pane.target().cloned() {
                    self.tab = Tab::Monitor;
                    let cmds = self.track_vertex_jobs(vec![job.clone()]);
                    self.monitor.select_job(&job.name);
                    return cmds;
                }
            }
            Action::OpenPlayground => return self.open_job_in_playground(now),
            _ => return self.on_global_action(action, now),
        }
        Vec::new()
    }

    /// The Model Registry's view of the model the open job made, for its default checkpoint
    /// (nothing to read for a job that made none, or whose checkpoints are not exported).
    fn read_job_model(&mut self) -> Vec<Cmd> {
        let Some(model) = self
            .jobs
            .target()
            .and_then(|j| j.tuned_model.as_ref())
            .filter(|t| !t.model.is_empty() && !t.checkpoints.is_empty())
            .map(|t| t.model.clone())
        else {
            return Vec::new();
        };
        vec![self.request(
            Pending::VertexModel,
            ApiCall::GetVertexModel { name: model },
        )]
    }

    /// `D` on a checkpoint row: a question naming the checkpoint, the model and the endpoint
    /// that will answer from it.
    fn ask_set_default_checkpoint(&mut self, now: Instant) -> Vec<Cmd> {
        let pane = &self.jobs;
        let Some(job) = pane.target() else {
            return Vec::new();
        };
        let label = job_label(job);
        let Some(tuned) = job.tuned_model.as_ref().filter(|t| !t.model.is_empty()) else {
            let state = JobSummary::of(job).state;
            self.toast(
                format!("{label} made no tuned model (it is {state}): no checkpoint to promote"),
                Level::Info,
                now,
            );
            return Vec::new();
        };
        let Some(checkpoint) = tuned.checkpoints.get(pane.checkpoint).cloned() else {
            self.toast(
                format!("{label} exported only its last checkpoint: there is no other to make the default"),
                Level::Info,
                now,
            );
            return Vec::new();
        };
        let current = pane.default_checkpoint(job).map(str::to_owned);
        if current.as_deref() == Some(checkpoint.checkpoint_id.as_str()) {
            self.toast(
                format!(
                    "Checkpoint {} is already the default of {label}",
                    checkpoint.checkpoint_id
                ),
                Level::Info,
                now,
            );
            return Vec::new();
        }
        self.jobs.dialog = Some(JobDialog::SetDefaultCheckpoint {
            model: tuned.model.clone(),
            label,
            endpoint: tuned.endpoint.clone(),
            checkpoint,
            current,
        });
        Vec::new()
    }

    fn ask_cancel_job(&mut self, now: Instant) -> Vec<Cmd> {
        let Some(job) = self.jobs.target() else {
            return Vec::new();
        };
        let label = job_label(job);
        if job.state.is_terminal() {
            let state = JobSummary::of(job).state;
            self.toast(
                format!("{label} has already ended ({state}); nothing to cancel"),
                Level::Info,
                now,
            );
            return Vec::new();
        }
        self.jobs.dialog = Some(JobDialog::Cancel {
            job: job.name.clone(),
            label,
        });
        Vec::new()
    }

    /// `d`: the models the marked jobs (or the one in view) made, with a question naming them.
    fn ask_delete_job_models(&mut self, now: Instant) -> Vec<Cmd> {
        let pane = &self.jobs;
        let jobs: Vec<&TuningJob> = if pane.detail.is_none() && !pane.marked.is_empty() {
            pane.marked.iter().filter_map(|n| pane.find(n)).collect()
        } else {
            pane.target().into_iter().collect()
        };
        let models: Vec<(String, String)> = jobs
            .iter()
            .filter_map(|j| {
                let model = j.tuned_model.as_ref().map(|t| t.model.clone())?;
                (!model.is_empty()).then(|| (model, job_label(j)))
            })
            .collect();
        if models.is_empty() {
            if let Some(job) = jobs.first() {
                let text = format!(
                    "{} made no tuned model to delete (it is {})",
                    job_label(job),
                    JobSummary::of(job).state
                );
                self.toast(text, Level::Info, now);
            }
            return Vec::new();
        }
        self.jobs.dialog = Some(JobDialog::DeleteModels { models });
        Vec::new()
    }

    fn copy_job_name(&mut self, action: Action, now: Instant) -> Vec<Cmd> {
        let Some(job) = self.jobs.target() else {
            return Vec::new();
        };
        let tuned = job.tuned_model.as_ref();
        let (what, text) = match action {
            Action::CopyModel => ("model", tuned.map(|t| t.model.clone())),
            Action::CopyEndpoint => ("endpoint", tuned.map(|t| t.endpoint.clone())),
            _ => ("job", Some(job.name.clone())),
        };
        match text.filter(|t| !t.is_empty()) {
            Some(text) => {
                self.toast(format!("Copied {text}"), Level::Info, now);
                self.effects.push(Cmd::Copy(text));
            }
            None => {
                let label = job_label(job);
                self.toast(format!("{label} has no {what} yet"), Level::Info, now);
            }
        }
        Vec::new()
    }

    fn open_job_in_playground(&mut self, now: Instant) -> Vec<Cmd> {
        let Some(job) = self.jobs.target() else {
            return Vec::new();
        };
        match crate::domain::generation::TargetModel::from_tuning_job(job) {
            Some(target) => {
                self.choose_play_model(target);
                self.tab = Tab::Playground;
            }
            None => {
                let text = format!(
                    "{} has no endpoint to answer prompts yet (it is {})",
                    job_label(job),
                    JobSummary::of(job).state
                );
                self.toast(text, Level::Error, now);
            }
        }
        Vec::new()
    }
}
