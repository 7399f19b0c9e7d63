//! `y` (or enter) in a dialog, wherever it was asked: quit with unsaved changes, delete models
//! (the Gemini API's or a Vertex AI job's), cancel a job, remove a permission, transfer
//! ownership. Each question's answer goes to the one request it names.

use super::models::Dialog;
use super::{App, Pending, jobs};
use crate::protocol::{ApiCall, Cmd};

impl App {
    /// `y` in a dialog: delete models, remove a permission, transfer ownership, cancel a job.
    pub(super) fn confirm(&mut self) -> Vec<Cmd> {
        if self.dataset.confirm_quit {
            self.quit = true;
            return Vec::new();
        }
        if let Some(model) = self.monitor.offer_delete.take() {
            // A Vertex AI job's model is a resource of the project.
            if model.starts_with("projects/") {
                let label = self
                    .monitor
                    .jobs
                    .iter()
                    .find(|j| j.model == model)
                    .map_or(model.clone(), |j| j.display_name.clone());
                return vec![self.request(
                    Pending::DeleteVertexModel {
                        model: model.clone(),
                        label,
                    },
                    ApiCall::DeleteVertexModel { name: model },
                )];
            }
            return vec![self.request(
                Pending::Delete(model.clone()),
                ApiCall::DeleteTunedModel { name: model },
            )];
        }
        match self.jobs.dialog.take() {
            Some(jobs::JobDialog::Cancel { job, .. }) => {
                return vec![self.request(
                    Pending::CancelVertexJob(job.clone()),
                    ApiCall::CancelTuningJob { name: job },
                )];
            }
            Some(jobs::JobDialog::SetDefaultCheckpoint {
                model,
                label,
                checkpoint,
                ..
            }) => {
                let id = checkpoint.checkpoint_id;
                return vec![self.request(
                    Pending::SetDefaultCheckpoint {
                        label,
                        checkpoint: id.clone(),
                    },
                    ApiCall::SetDefaultCheckpoint {
                        model,
                        checkpoint: id,
                    },
                )];
            }
            Some(jobs::JobDialog::Rebase {
                job,
                label,
                targets,
                chosen,
                same_endpoint,
                ..
            }) => {
                let base = targets.get(chosen).cloned().unwrap_or_default();
                return vec![self.request(
                    Pending::Rebase {
                        label,
                        base: base.clone(),
                    },
                    ApiCall::RebaseTunedModel {
                        job,
                        base_model: base,
                        same_endpoint,
                    },
                )];
            }
            Some(jobs::JobDialog::DeleteModels { models }) => {
                self.jobs.marked.clear();
                return models
                    .into_iter()
                    .map(|(model, label)| {
                        self.request(
                            Pending::DeleteVertexModel {
                                model: model.clone(),
                                label,
                            },
                            ApiCall::DeleteVertexModel { name: model },
                        )
                    })
                    .collect();
            }
            None => {}
        }
        if let Some(operation) = self.monitor.confirm_cancel.take() {
            if operation.contains("/tuningJobs/") {
                return vec![self.request(
                    Pending::CancelVertexJob(operation.clone()),
                    ApiCall::CancelTuningJob { name: operation },
                )];
            }
            return vec![self.request(
                Pending::CancelJob(operation.clone()),
                ApiCall::CancelOperation { name: operation },
            )];
        }
        match self.models.dialog.take() {
            Some(Dialog::ConfirmDelete { names }) => {
                self.models.marked.clear();
                names
                    .into_iter()
                    .map(|name| {
                        self.request(
                            Pending::Delete(name.clone()),
                            ApiCall::DeleteTunedModel { name },
                        )
                    })
                    .collect()
            }
            Some(Dialog::Permissions(mut view)) => {
                let cmds = match view.confirm_remove.take() {
                    Some(name) => vec![self.request(
                        Pending::PermissionDeleted {
                            model: view.model.clone(),
                            name: name.clone(),
                        },
                        ApiCall::DeletePermission { name },
                    )],
                    None => Vec::new(),
                };
                self.models.dialog = Some(Dialog::Permissions(view));
                cmds
            }
            Some(Dialog::Transfer(form)) if form.confirming => {
                let email = form.email.trim().to_owned();
                let model = form.model.clone();
                vec![self.request(
                    Pending::Transfer {
                        model: model.clone(),
                        email: email.clone(),
                    },
                    ApiCall::TransferOwnership { name: model, email },
                )]
            }
            other => {
                self.models.dialog = other;
                Vec::new()
            }
        }
    }
}
