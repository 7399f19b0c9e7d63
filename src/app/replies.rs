//! What the worker sends back, routed to the pane that asked: each reply is matched with the
//! [`Pending`] entry its request left, so a late or cancelled answer finds nothing and is dropped.

use super::models::Load;
use super::{App, Level, Pending, monitor, playground};
use crate::api::types::TunedModelState;
use crate::protocol::{Cmd, Reply, WorkerEvent};
use std::time::Instant;

impl App {
    /// Routes what the worker sends: replies to the request they answer (by its [`Pending`]),
    /// failures with their hint, polls to the Monitor, file outcomes to the Dataset tab.
    pub(super) fn on_worker(&mut self, event: WorkerEvent, now: Instant) -> Vec<Cmd> {
        self.dirty = true;
        match event {
            WorkerEvent::Reply { id, reply } => {
                let Some(pending) = self.pending.get(&id).cloned() else {
                    return Vec::new();
                };
                let finished = !matches!(
                    reply,
                    Reply::TunedModelsPage { last: false, .. } | Reply::Chunk(_)
                );
                if finished {
                    self.pending.remove(&id);
                }
                match (pending, reply) {
                    (Pending::List, Reply::TunedModelsPage { models, last }) => {
                        self.models.page_arrived(id, models, last, self.clock.utc);
                        self.connection.healthy = Some(true);
                        if last && self.models.any_creating() {
                            self.next_refresh = Some(now + self.list_refresh);
                        }
                        if last {
                            return self.find_new_jobs();
                        }
                    }
                    (Pending::Delete(name), _) => {
                        let label = self.label_of(&name);
                        self.models.remove(&name);
                        // Its job goes too (it read "epoch 0 of ?" forever), and is no longer
                        // polled.
                        let gone: Vec<String> = self
                            .monitor
                            .jobs
                            .iter()
                            .filter(|j| j.model == name)
                            .map(|j| j.name.clone())
                            .collect();
                        self.monitor.jobs.retain(|j| j.model != name);
                        self.monitor.compare.retain(|op| !gone.contains(op));
                        self.monitor.selected = self
                            .monitor
                            .selected
                            .min(self.monitor.jobs.len().saturating_sub(1));
                        self.toast(format!("Deleted {label}"), Level::Info, now);
                        return gone
                            .into_iter()
                            .map(|operation| Cmd::Unwatch { operation })
                            .collect();
                    }
                    (Pending::Permissions(model), Reply::Permissions(list)) => {
                        if let Some(view) = self.permissions_view(&model) {
                            view.permissions = Some(list);
                            view.selected = 0;
                        }
                    }
                    (Pending::PermissionCreated(model), Reply::Permission(permission)) => {
                        let who = permission
                            .email_address
                            .clone()
                            .unwrap_or_else(|| "Everyone".into());
                        let role = permission.role.to_string();
                        if let Some(view) = self.permissions_view(&model) {
                            view.permissions
                                .get_or_insert_with(Vec::new)
                                .push(*permission);
                        }
                        self.toast(
                            format!(
                                "{who} is now a {} of {}",
                                role.to_lowercase(),
                                self.label_of(&model)
                            ),
                            Level::Info,
                            now,
                        );
                    }
                    (Pending::PermissionDeleted { model, name }, _) => {
                        if let Some(view) = self.permissions_view(&model) {
                            if let Some(list) = view.permissions.as_mut() {
                                list.retain(|p| p.name != name);
                                view.selected = view.selected.min(list.len().saturating_sub(1));
                            }
                        }
                        self.toast("Permission removed", Level::Info, now);
                    }
                    (Pending::Transfer { model, email }, _) => {
                        let label = self.label_of(&model);
                        self.toast(
                            format!("{email} now owns {label}; you are a writer"),
                            Level::Info,
                            now,
                        );
                    }
                    (Pending::TuneBases, Reply::Models(models)) => {
                        // Base models that tune, then the tuned models ready to tune further.
                        let active = self
                            .models
                            .models
                            .iter()
                            .filter(|m| m.state == TunedModelState::Active)
                            .map(|m| m.name.clone());
                        let sources: Vec<String> = models
                            .into_iter()
                            .filter(|m| m.is_tunable())
                            .map(|m| m.name)
                            .chain(active)
                            .collect();
                        let remembered = self.last_tune.as_ref().and_then(|s| s.source.clone());
                        if let Some(form) = self.dataset.tune.as_mut() {
                            form.base = remembered
                                .and_then(|r| sources.iter().position(|s| *s == r))
                                .unwrap_or(0);
                            form.bases = Some(sources);
                        }
                    }
                    (Pending::Play, reply) => return self.play_reply(id, reply, now),
                    (Pending::Eval(index), Reply::Generated(answer)) => {
                        return self.eval_result(id, index, Ok(*answer), now);
                    }
                    (Pending::PlayModels, Reply::Models(models)) => {
                        self.playground.base_models = Some(
                            models
                                .iter()
                                .filter(|m| m.supports("generateContent"))
                                .map(playground::TargetModel::from_base)
                                .collect(),
                        );
                        if matches!(self.playground.focus, playground::Focus::Picker { .. }) {
                            let compare = self.playground.focus
                                == playground::Focus::Picker { compare: true };
                            self.open_picker(compare);
                        }
                    }
                    (Pending::TuneCreate, Reply::Operation(operation)) => {
                        return self.tuning_started(*operation, now);
                    }
                    (Pending::VertexTuneCreate, Reply::TuningJob(job)) => {
                        return self.vertex_tuning_started(*job, now);
                    }
                    (Pending::FindOperation(model), Reply::Operations(ops)) => {
                        self.finding.remove(&model);
                        let creating = self
                            .models
                            .find(&model)
                            .is_some_and(|m| m.state == TunedModelState::Creating);
                        if ops.is_empty() && creating {
                            // No operation to poll: follow the tuned model itself.
                            self.monitor.jobs.push(monitor::Job {
                                name: model.clone(),
                                model: model.clone(),
                                ..Default::default()
                            });
                            if let Some(m) = self.monitor.select_model.take() {
                                self.monitor.select_model(&m);
                            }
                            return vec![Cmd::Watch { operation: model }];
                        }
                        if ops.is_empty() && self.monitor.select_model.as_deref() == Some(&model) {
                            self.monitor.select_model = None;
                            let label = self.label_of(&model);
                            self.toast(
                                format!("{label} has no tuning operation to show"),
                                Level::Info,
                                now,
                            );
                        }
                        return self.track_operations(ops);
                    }
                    (Pending::VertexJobs, Reply::TuningJobs(jobs)) => {
                        self.vertex_list_failed = false;
                        self.connection.healthy = Some(true);
                        let running = jobs
                            .iter()
                            .filter(|j| !j.state.is_terminal())
                            .cloned()
                            .collect();
                        if matches!(self.jobs.load, Load::Loading { request, .. } if request == id)
                        {
                            self.jobs.loaded(jobs, self.clock.utc);
                        }
                        return self.track_vertex_jobs(running);
                    }
                    (Pending::VertexJobsEverywhere, Reply::TuningJobsByLocation(answers)) => {
                        self.vertex_list_failed = false;
                        return self.everywhere_arrived(id, answers);
                    }
                    (Pending::Rebase { label, base }, Reply::TuningJob(job)) => {
                        return self.rebase_started(&label, &base, *job, now);
                    }
                    (Pending::VertexModel, Reply::VertexModel(model)) => {
                        self.jobs.default_checkpoints.insert(
                            model.name.split('@').next().unwrap_or_default().to_owned(),
                            model.default_checkpoint_id.clone(),
                        );
                    }
                    (
                        Pending::SetDefaultCheckpoint { label, checkpoint },
                        Reply::VertexModel(model),
                    ) => {
                        self.jobs.default_checkpoints.insert(
                            model.name.split('@').next().unwrap_or_default().to_owned(),
                            model.default_checkpoint_id.clone(),
                        );
                        self.toast(
                            format!("Checkpoint {checkpoint} is now the default of {label}: its endpoint answers from it"),
                            Level::Info,
                            now,
                        );
                    }
                    (Pending::DeleteVertexModel { model, label }, _) => {
                        self.toast(
                            format!("Deleted the model of {label} ({model}) and its endpoints"),
                            Level::Info,
                            now,
                        );
                        return self.refresh_list();
                    }
                    (Pending::CancelVertexJob(name), _) => {
                        let label = self
                            .monitor
                            .job_mut(&name)
                            .map(|j| j.model.clone())
                            .unwrap_or(name);
                        self.toast(
                            format!("Cancelling {label}: it stops at its next step"),
                            Level::Info,
                            now,
                        );
                    }
                    (Pending::CancelJob(operation), _) => {
                        let model = operation
                            .split("/operations/")
                            .next()
                            .unwrap_or_default()
                            .to_owned();
                        // A cancelled model's quality is unpredictable; the docs advise deleting it.
                        self.monitor.offer_delete = Some(model);
                        self.monitor.offer_after_cancel = true;
                    }
                    (Pending::Update, Reply::TunedModel(model)) => {
                        let label = model.display_name.clone();
                        self.models.replace(*model);
                        self.toast(format!("Saved {label}"), Level::Info, now);
                    }
                    _ => {}
                }
            }
            WorkerEvent::Failed { id, error } => {
                let Some(pending) = self.pending.remove(&id) else {
                    return Vec::new();
                };
                let hint = error.hint().map(|h| format!(" — {h}")).unwrap_or_default();
                match pending {
                    // Read only to mark the default checkpoint in a job's detail: without it the
                    // detail shows no mark, and promoting still asks and reports for itself.
                    Pending::VertexModel => {}
                    Pending::List => {
                        self.connection.healthy = Some(false);
                        self.models.load = Load::Failed(error);
                    }
                    Pending::Delete(name) => {
                        let label = self.label_of(&name);
                        self.toast(
                            format!("Could not delete {label}: {error}{hint}"),
                            Level::Error,
                            now,
                        );
                    }
                    Pending::Update => {
                        self.toast(format!("Could not save: {error}{hint}"), Level::Error, now);
                    }
                    Pending::Permissions(model)
                    | Pending::PermissionCreated(model)
                    | Pending::PermissionDeleted { model, .. } => {
                        match self.permissions_view(&model) {
                            Some(view) => {
                                view.permissions.get_or_insert_with(Vec::new);
                                view.error = Some(format!("{error}{hint}"));
                            }
                            None => {
                                self.toast(format!("Permissions: {error}{hint}"), Level::Error, now)
                            }
                        }
                    }
                    Pending::FindOperation(model) => {
                        self.finding.remove(&model);
                        self.toast(
                            format!("Could not find the tuning job of {model}: {error}{hint}"),
                            Level::Error,
                            now,
                        );
                    }
                    Pending::Export
                    | Pending::SaveDataset
                    | Pending::Journal
                    | Pending::ReadDataset
                    | Pending::EvalHeldOut
                    | Pending::Settings => {}
                    Pending::Play => self.play_failed(id, format!("{error}{hint}")),
                    Pending::Eval(index) => {
                        return self.eval_result(id, index, Err(format!("{error}{hint}")), now);
                    }
                    Pending::PlayModels => {
                        self.playground.base_models = Some(Vec::new());
                        self.toast(
                            format!("Could not list base models: {error}{hint}"),
                            Level::Error,
                            now,
                        );
                    }
                    Pending::TuneBases => {
                        if let Some(form) = self.dataset.tune.as_mut() {
                            form.bases = Some(Vec::new());
                            form.error = Some(format!("Could not list base models: {error}{hint}"));
                        }
                    }
                    Pending::VertexTuneCreate => match self.dataset.vertex_tune.as_mut() {
                        // The form stays as typed: fix what the error says, enter again.
                        Some(form) => {
                            form.upload = None;
                            form.error = Some(format!("Not started: {error}{hint}"));
                            if form.hidden {
                                // Out of sight: said, and T shows the form as typed.
                                self.toast(
                                    format!("Tuning on Vertex AI did not start: {error}{hint} (T shows the form)"),
                                    Level::Error,
                                    now,
                                );
                            }
                        }
                        None => self.toast(
                            format!("Could not start tuning on Vertex AI: {error}{hint}"),
                            Level::Error,
                            now,
                        ),
                    },
                    Pending::TuneCreate => match self.dataset.tune.as_mut() {
                        // The review stays, with the reason: fix it (esc), or confirm again.
                        Some(form) => {
                            form.starting = false;
                            form.error = Some(format!("{error}{hint}"));
                        }
                        None => self.toast(
                            format!("Could not start tuning: {error}{hint}"),
                            Level::Error,
                            now,
                        ),
                    },
                    Pending::CancelJob(_) | Pending::CancelVertexJob(_) => {
                        self.toast(
                            format!("Could not cancel: {error}{hint}"),
                            Level::Error,
                            now,
                        );
                    }
                    Pending::Rebase { label, base } => {
                        self.toast(
                            format!("Could not rebase {label} onto {base}: {error}{hint}"),
                            Level::Error,
                            now,
                        );
                    }
                    Pending::SetDefaultCheckpoint { label, checkpoint } => {
                        self.toast(
                            format!("Could not make checkpoint {checkpoint} the default of {label}: {error}{hint}"),
                            Level::Error,
                            now,
                        );
                    }
                    Pending::DeleteVertexModel { label, .. } => {
                        self.toast(
                            format!("Could not delete the model of {label}: {error}{hint}"),
                            Level::Error,
                            now,
                        );
                    }
                    Pending::VertexJobs | Pending::VertexJobsEverywhere => {
                        self.connection.healthy = Some(false);
                        if matches!(self.jobs.load, Load::Loading { request, .. } if request == id)
                        {
                            self.jobs.load = Load::Failed(error.clone());
                        }
                        if !self.vertex_list_failed {
                            self.vertex_list_failed = true;
                            self.toast(
                                format!("Could not list Vertex AI tuning jobs: {error}{hint}"),
                                Level::Error,
                                now,
                            );
                        }
                    }
                    Pending::Transfer { .. } => {
                        self.toast(
                            format!("Could not transfer ownership: {error}{hint}"),
                            Level::Error,
                            now,
                        );
                    }
                }
            }
            WorkerEvent::Cancelled { id } => {
                self.pending.remove(&id);
            }
            WorkerEvent::OperationPolled { operation } => {
                self.monitor.poll_errors.remove(&operation.name);
                let Some(job) = self.monitor.job_mut(&operation.name) else {
                    return Vec::new();
                };
                let was_done = job.is_done();
                job.absorb(&operation);
                let finished = job.is_done() && !was_done;
                let (failed, model) = (job.error.clone(), job.model.clone());
                if finished {
                    self.announce_finished(&model, failed, now);
                    return self.refresh_list();
                }
            }
            WorkerEvent::VertexJobPolled {
                job: polled,
                metrics,
            } => {
                self.monitor.poll_errors.remove(&polled.name);
                self.jobs.replace(&polled);
                let Some(job) = self.monitor.job_mut(&polled.name) else {
                    return Vec::new();
                };
                let was_done = job.is_done();
                job.absorb_tuning_job(&polled);
                job.absorb_metrics(&polled, &metrics);
                if job.is_done() && !was_done {
                    let label = polled.tuned_model_display_name.clone();
                    let failed = job.error.clone();
                    self.announce_finished(&label, failed, now);
                }
            }
            WorkerEvent::FileSaved { id, path, outcome } => {
                self.pending.remove(&id);
                return self.dataset_save_outcome(&path, outcome, now);
            }
            WorkerEvent::DatasetRead { id, path, result } => match self.pending.remove(&id) {
                Some(Pending::EvalHeldOut) => match result {
                    Ok(file) => {
                        return self.begin_eval(path.display().to_string(), file.examples, now);
                    }
                    Err(e) => return self.eval_whole_dataset(Some(e.to_string()), now),
                },
                Some(_) => self.dataset_read(&path, result, now),
                None => {}
            },
            WorkerEvent::FileWritten { id, path, error } => {
                let pending = self.pending.remove(&id);
                match (pending, error) {
                    (Some(Pending::Journal | Pending::Settings), None) => {}
                    (Some(Pending::Settings), Some(e)) => self.toast(
                        format!(
                            "Could not remember the tuning settings in {}: {e}",
                            path.display()
                        ),
                        Level::Error,
                        now,
                    ),
                    (Some(Pending::Journal), Some(e)) => self.toast(
                        format!("Autosave to {} failed: {e}", path.display()),
                        Level::Error,
                        now,
                    ),
                    (_, None) => self.toast(format!("Wrote {}", path.display()), Level::Info, now),
                    (_, Some(e)) => self.toast(
                        format!("Could not write {}: {e}", path.display()),
                        Level::Error,
                        now,
                    ),
                }
            }
            WorkerEvent::UploadProgress {
                id,
                object,
                sent,
                total,
            } => {
                if self.pending.get(&id) == Some(&Pending::VertexTuneCreate) {
                    self.vertex_upload_progress(object, sent, total);
                }
            }
            WorkerEvent::PollFailed {
                operation,
                error,
                retry_in,
            } => {
                let hint = error.hint().map(|h| format!(" — {h}")).unwrap_or_default();
                self.monitor.poll_errors.insert(
                    operation,
                    format!(
                        "{error}{hint} (retrying in {} s)",
                        retry_in.as_secs().max(1)
                    ),
                );
            }
        }
        Vec::new()
    }
}

impl App {
    /// A followed job ended: a toast that says how (and the bell, when asked for).
    fn announce_finished(&mut self, name: &str, failed: Option<(i32, String)>, now: Instant) {
        let label = self.label_of(name);
        match failed {
            Some((1, _)) => {
                self.toast(format!("Tuning of {label} was cancelled"), Level::Info, now)
            }
            Some((_, message)) => self.toast(
                format!("Tuning of {label} failed: {message}"),
                Level::Error,
                now,
            ),
            None => self.toast(format!("Tuning of {label} finished"), Level::Info, now),
        }
        if self.bell_on_finish {
            self.effects.push(Cmd::Bell);
        }
    }
}
