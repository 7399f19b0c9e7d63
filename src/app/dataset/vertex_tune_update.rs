//! The Vertex AI start-tuning form's keys and outcome: open it (T), type and choose, submit
//! (upload both datasets, then create the job), follow the upload, and on success remember the
//! settings, save the validation examples beside the dataset and open the Monitor on the job.

use crate::app::dataset::{UploadProgress, VertexTuneForm};
use crate::app::form::Focus;
use crate::app::{App, Level, Pending, Tab};
use crate::protocol::{ApiCall, Cmd};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::time::Instant;

impl App {
    /// T with Vertex AI chosen: the form, filled from the last settings; the display name is
    /// the file's.
    pub(in crate::app) fn open_vertex_tune_form(&mut self, now: Instant) -> Vec<Cmd> {
        if let Some(form) = self.dataset.vertex_tune.as_mut() {
            // Hidden while uploading: shown again.
            form.hidden = false;
            return Vec::new();
        }
        if self.dataset.is_empty() {
            self.toast("Add examples before tuning", Level::Error, now);
            return Vec::new();
        }
        let last = self.last_tune.as_ref().and_then(|t| t.vertex.as_ref());
        // Preference examples make a preference (DPO) job; pairs and turns a supervised one.
        let mut form = VertexTuneForm::for_method(
            &self.jobs.jobs,
            last,
            self.dataset.is_preference(),
            self.clock.utc.date_naive(),
        );
        form.values.set(
            crate::app::dataset::VertexTuneField::DisplayName,
            self.dataset_stem(),
        );
        self.dataset.vertex_tune = Some(form);
        Vec::new()
    }

    /// The dataset file's name without its extension ("dataset" for one not saved yet).
    fn dataset_stem(&self) -> String {
        self.dataset
            .path
            .as_ref()
            .and_then(|p| p.file_stem())
            .map_or("dataset".to_owned(), |s| s.to_string_lossy().into_owned())
    }

    /// Keys while the Vertex AI form is open.
    pub(in crate::app) fn on_vertex_tune_input(&mut self, key: KeyEvent) -> Option<Vec<Cmd>> {
        let stem = self.dataset_stem();
        let utc = self.clock.utc;
        let pane = &mut self.dataset;
        let form = pane.vertex_tune.as_mut().filter(|f| !f.hidden)?;
        if form.upload.is_some() {
            // Uploading: the request runs to its end (a job half created is worse than a
            // wait); Esc puts the form out of the way until the outcome arrives.
            if key.code == KeyCode::Esc {
                form.hidden = true;
            }
            return Some(Vec::new());
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let confirm = ctrl && matches!(key.code, KeyCode::Enter | KeyCode::Char('s'));
        if form.review.is_some() {
            match key.code {
                KeyCode::Enter => return Some(self.start_vertex_tuning()),
                _ if confirm => return Some(self.start_vertex_tuning()),
                KeyCode::Esc | KeyCode::Backspace | KeyCode::BackTab | KeyCode::Up => {
                    form.review = None;
                    form.reviewed = None;
                }
                _ => {}
            }
            return Some(Vec::new());
        }
        match key.code {
            _ if confirm => return Some(self.start_vertex_tuning()),
            KeyCode::Esc => pane.vertex_tune = None,
            // After the last choice, enter opens the review of what will be created.
            KeyCode::Enter if form.focus == Focus::Choice(form.last_choice()) => {
                match form.review_rows(&pane.dataset.examples, &stem, utc) {
                    Ok((rows, start)) => {
                        form.review = Some(rows);
                        form.reviewed = Some(start);
                        form.error = None;
                    }
                    Err(problem) => form.error = Some(problem),
                }
            }
            KeyCode::Tab | KeyCode::Down | KeyCode::Enter => form.step_focus(true),
            KeyCode::BackTab | KeyCode::Up => form.step_focus(false),
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ') if form.focus.text().is_none() => {
                if let Focus::Choice(choice) = form.focus {
                    form.cycle(choice, key.code != KeyCode::Left);
                }
            }
            _ => {
                if let Some(field) = form.focus.text()
                    && crate::app::line_edit::edit_line(
                        form.values.get_mut(field),
                        &mut self.line_cursor,
                        &key,
                    )
                {
                    form.error = None;
                }
            }
        }
        Some(Vec::new())
    }

    /// The explicit confirm: upload both datasets, then create the job; or the first problem
    /// (the form then shows its fields again, with the reason).
    fn start_vertex_tuning(&mut self) -> Vec<Cmd> {
        let stem = self.dataset_stem();
        let utc = self.clock.utc;
        let pane = &mut self.dataset;
        let Some(form) = pane.vertex_tune.as_mut() else {
            return Vec::new();
        };
        // From the review: what it showed; from a field (ctrl-s): made now.
        let start = match (&form.review, &form.reviewed) {
            (Some(_), Some(start)) => Ok(start.clone()),
            _ => form.to_start(&pane.dataset.examples, &stem, utc),
        };
        match start {
            Err(problem) => {
                form.review = None;
                form.reviewed = None;
                form.error = Some(problem);
                Vec::new()
            }
            Ok(start) => {
                let total = start.uploads.iter().map(|(_, d)| d.len() as u64).sum();
                let (object, size) = start
                    .uploads
                    .first()
                    .map(|(o, d)| (o.clone(), d.len() as u64))
                    .unwrap_or_default();
                form.upload = Some(UploadProgress {
                    object,
                    done: 0,
                    size,
                    sent: 0,
                    total,
                });
                form.error = None;
                form.validation = start.validation;
                vec![self.request(
                    Pending::VertexTuneCreate,
                    ApiCall::StartVertexTuning {
                        bucket: start.bucket,
                        uploads: start.uploads,
                        job: Box::new(start.job),
                    },
                )]
            }
        }
    }

    /// An upload moved on: the bar follows, across both files.
    pub(in crate::app) fn vertex_upload_progress(&mut self, object: String, sent: u64, size: u64) {
        if let Some(upload) = self
            .dataset
            .vertex_tune
            .as_mut()
            .and_then(|f| f.upload.as_mut())
        {
            if upload.object != object {
                // The file before is done: its bytes stay counted.
                upload.done += upload.size;
                upload.object = object;
            }
            upload.size = size;
            upload.sent = sent;
        }
    }

    /// The job was created: follow it in the Monitor.
    pub(in crate::app) fn vertex_tuning_started(
        &mut self,
        job: crate::api::vertex::types::TuningJob,
        now: Instant,
    ) -> Vec<Cmd> {
        let mut cmds = Vec::new();
        if let Some(form) = self.dataset.vertex_tune.take() {
            let mut settings = self.last_tune.clone().unwrap_or_default();
            settings.vertex = Some(form.settings());
            if let Some(path) = self.tune_settings_file.clone() {
                let text = serde_json::to_string_pretty(&settings).unwrap_or_default();
                cmds.push(self.file_command(Pending::Settings, path, text));
            }
            self.last_tune = Some(settings);
            if !form.validation.is_empty() {
                let path = crate::dataset::held_out_path(self.dataset.path.as_deref());
                let count = form.validation.len();
                // Vertex lines when an example is more than a pair, so the evaluation sends
                // each conversation whole.
                let held_format = if form.preference {
                    crate::dataset::format::Format::Preference
                } else if form.validation.iter().any(|e| e.vertex.is_some()) {
                    crate::dataset::format::Format::Vertex
                } else {
                    crate::dataset::format::Format::Jsonl
                };
                let text = crate::dataset::format::write(&form.validation, held_format);
                cmds.push(self.file_command(Pending::Export, path.clone(), text));
                self.toast(
                    format!(
                        "{count} validation examples saved to {} for evaluation",
                        path.display()
                    ),
                    Level::Info,
                    now,
                );
            }
        }
        let label = crate::domain::vertex::job_label(&job);
        self.toast(format!("Tuning {label} on Vertex AI"), Level::Info, now);
        // Opening the Monitor closes whatever the Dataset tab had open over it.
        self.dataset.prompt = None;
        let name = job.name.clone();
        cmds.extend(self.track_vertex_jobs(vec![job]));
        self.monitor.select_job(&name);
        self.tab = Tab::Monitor;
        cmds.extend(self.refresh_list());
        cmds
    }
}
