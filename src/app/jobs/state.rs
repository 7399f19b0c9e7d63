//! The jobs view's state: the tuning jobs as listed (domain data), each read once into a
//! [`JobSummary`] row, and how they are being looked at (filter, sort, selection, marks,
//! detail, the question asked).

use crate::api::vertex::types::{Checkpoint, TuningJob};
use crate::app::models::Load;
use crate::domain::vertex::JobSummary;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// A column of the jobs table, also a sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobColumn {
    Id,
    DisplayName,
    State,
    BaseModel,
    Created,
    Duration,
    Epochs,
    Adapter,
    Steps,
    /// Shown in the all-locations view only.
    Location,
}

impl JobColumn {
    pub const ALL: [JobColumn; 10] = [
        JobColumn::Id,
        JobColumn::DisplayName,
        JobColumn::State,
        JobColumn::BaseModel,
        JobColumn::Created,
        JobColumn::Duration,
        JobColumn::Epochs,
        JobColumn::Adapter,
        JobColumn::Steps,
        JobColumn::Location,
    ];

    pub fn title(self) -> &'static str {
        match self {
            JobColumn::Id => "JOB",
            JobColumn::DisplayName => "DISPLAY NAME",
            JobColumn::State => "STATE",
            JobColumn::BaseModel => "BASE MODEL",
            JobColumn::Created => "CREATED",
            JobColumn::Duration => "DURATION",
            JobColumn::Epochs => "EPOCHS",
            JobColumn::Adapter => "ADAPTER",
            JobColumn::Steps => "STEPS",
            JobColumn::Location => "LOCATION",
        }
    }

    pub fn next(self) -> JobColumn {
        let i = JobColumn::ALL.iter().position(|c| *c == self).unwrap_or(0);
        JobColumn::ALL[(i + 1) % JobColumn::ALL.len()]
    }

    /// The cell's text for a row.
    pub fn text(self, row: &JobSummary) -> String {
        let opt = |v: Option<String>| v.unwrap_or_else(|| "—".into());
        match self {
            JobColumn::Id => row.id.clone(),
            JobColumn::DisplayName => row.display_name.clone(),
            JobColumn::State => row.state_text(),
            JobColumn::BaseModel => row.base_model.clone(),
            JobColumn::Created => opt(row.created.map(|t| t.format("%Y-%m-%d %H:%M").to_string())),
            JobColumn::Duration => row.duration_text(),
            JobColumn::Epochs => opt(row.epochs.map(|v| v.to_string())),
            JobColumn::Adapter => opt(row.adapter_rank.map(|v| v.to_string())),
            JobColumn::Steps => opt(row.steps.map(|v| v.to_string())),
            JobColumn::Location => row.location.clone(),
        }
    }

    /// What rows sort by: text, then number (a missing number sorts first).
    fn key(self, row: &JobSummary) -> (String, i64) {
        let num = |v: Option<i64>| v.unwrap_or(i64::MIN);
        match self {
            JobColumn::Id => (String::new(), row.id.parse().unwrap_or(i64::MIN)),
            JobColumn::DisplayName => (row.display_name.to_lowercase(), 0),
            JobColumn::State => (row.state.clone(), 0),
            JobColumn::BaseModel => (row.base_model.clone(), 0),
            JobColumn::Created => (row.created.map(|t| t.to_rfc3339()).unwrap_or_default(), 0),
            JobColumn::Duration => (String::new(), num(row.duration_secs)),
            JobColumn::Epochs => (String::new(), num(row.epochs)),
            JobColumn::Adapter => (String::new(), num(row.adapter_rank.map(i64::from))),
            JobColumn::Steps => (String::new(), num(row.steps)),
            JobColumn::Location => (row.location.clone(), 0),
        }
    }
}

/// A question over the jobs view, answered with y or n.
#[derive(Debug, Clone, PartialEq)]
pub enum JobDialog {
    /// Cancel this running job (its resource name and display name).
    Cancel { job: String, label: String },
    /// Delete these tuned models: (model resource name, the display name of the job that made
    /// it). Their endpoints go with them.
    DeleteModels { models: Vec<(String, String)> },
    /// Make this checkpoint the default of the model the job made: its endpoint then answers
    /// from it.
    SetDefaultCheckpoint {
        /// The model (`projects/…/models/M@version`) and the job's display name.
        model: String,
        label: String,
        checkpoint: Checkpoint,
        /// The model's own endpoint, which will answer from the checkpoint.
        endpoint: String,
        /// The default now, when known.
        current: Option<String>,
    },
    /// Tune the model this job made again, same data and settings, on another base model:
    /// a new job and a new model (the old one stays).
    Rebase {
        /// The job's resource name and display name.
        job: String,
        label: String,
        /// The base the model has now, and the tunable models offered instead (←/→ choose).
        old_base: String,
        targets: Vec<String>,
        chosen: usize,
        /// Deploy the new model to the old model's endpoint (`e` toggles), replacing it there
        /// when the new job succeeds; else it gets an endpoint of its own.
        same_endpoint: bool,
        /// The old model's endpoint.
        endpoint: String,
    },
}

#[derive(Debug, Clone)]
pub struct JobsPane {
    pub jobs: Vec<TuningJob>,
    /// `jobs[i]` read as a row, kept beside it.
    pub rows: Vec<JobSummary>,
    pub load: Load,
    pub loaded_at: Option<DateTime<Utc>>,
    /// Indices into `jobs` after filter and sort.
    pub visible: Vec<usize>,
    /// Index into `visible`.
    pub selected: usize,
    pub filter: String,
    /// True while `/` is taking text.
    pub filter_editing: bool,
    pub sort: JobColumn,
    pub descending: bool,
    /// Marked jobs, by resource name.
    pub marked: BTreeSet<String>,
    /// The job whose detail is open.
    pub detail: Option<String>,
    /// Lines the detail is scrolled by.
    pub detail_scroll: u16,
    /// The checkpoint row chosen in the detail (`[`/`]`), an index into its checkpoints.
    pub checkpoint: usize,
    /// Each tuned model's default checkpoint, by model name without `@version`, as the Model
    /// Registry last said (read when a detail opens, and after a change).
    pub default_checkpoints: BTreeMap<String, String>,
    pub dialog: Option<JobDialog>,
}

impl Default for JobsPane {
    fn default() -> Self {
        JobsPane {
            jobs: Vec::new(),
            rows: Vec::new(),
            load: Load::NotLoaded,
            loaded_at: None,
            visible: Vec::new(),
            selected: 0,
            filter: String::new(),
            filter_editing: false,
            sort: JobColumn::Created,
            descending: true,
            marked: BTreeSet::new(),
            detail: None,
            detail_scroll: 0,
            checkpoint: 0,
            default_checkpoints: BTreeMap::new(),
            dialog: None,
        }
    }
}

impl JobsPane {
    /// The default checkpoint of the model `job` made, as the Model Registry last said.
    pub fn default_checkpoint(&self, job: &TuningJob) -> Option<&str> {
        let model = job.tuned_model.as_ref()?.model.split('@').next()?;
        self.default_checkpoints.get(model).map(String::as_str)
    }

    pub fn selected_job(&self) -> Option<&TuningJob> {
        self.visible
            .get(self.selected)
            .and_then(|i| self.jobs.get(*i))
    }

    pub fn find(&self, name: &str) -> Option<&TuningJob> {
        self.jobs.iter().find(|j| j.name == name)
    }

    /// The job the detail shows, else the selected one.
    pub fn target(&self) -> Option<&TuningJob> {
        match &self.detail {
            Some(name) => self.find(name),
            None => self.selected_job(),
        }
    }

    /// The list as answered: every page, replacing what was shown.
    pub fn loaded(&mut self, jobs: Vec<TuningJob>, now: DateTime<Utc>) {
        let keep = self.selected_job().map(|j| j.name.clone());
        self.rows = JobSummary::rows(&jobs);
        self.jobs = jobs;
        self.load = Load::Loaded;
        self.loaded_at = Some(now);
        let names: BTreeSet<&str> = self.jobs.iter().map(|j| j.name.as_str()).collect();
        self.marked.retain(|n| names.contains(n.as_str()));
        if self.detail.as_deref().is_some_and(|d| !names.contains(d)) {
            self.detail = None;
        }
        self.rebuild_view(keep);
    }

    /// A job as polled since: its row follows it live, and the others' places in the quota's
    /// queue with it (a job that ends lets the next one start).
    pub fn replace(&mut self, job: &TuningJob) {
        let keep = self.selected_job().map(|j| j.name.clone());
        if let Some(i) = self.jobs.iter().position(|j| j.name == job.name) {
            self.jobs[i] = job.clone();
            self.rows = JobSummary::rows(&self.jobs);
            self.rebuild_view(keep);
        }
    }

    /// Recomputes the rows shown after the filter or sort changed, keeping the selection on
    /// the same job.
    pub fn refresh_view(&mut self) {
        let keep = self.selected_job().map(|j| j.name.clone());
        self.rebuild_view(keep);
    }

    fn rebuild_view(&mut self, keep: Option<String>) {
        let needle = self.filter.to_lowercase();
        let mut visible: Vec<usize> = (0..self.jobs.len())
            .filter(|i| {
                let (job, row) = (&self.jobs[*i], &self.rows[*i]);
                needle.is_empty()
                    || [
                        &job.name,
                        &row.display_name,
                        &row.base_model,
                        &row.state_text(),
                    ]
                    .iter()
                    .any(|text| text.to_lowercase().contains(&needle))
            })
            .collect();
        let keys: Vec<(String, i64)> = self.rows.iter().map(|r| self.sort.key(r)).collect();
        crate::app::layout::sort_rows(&mut visible, &keys, Ord::cmp, self.descending);
        self.visible = visible;
        let jobs = &self.jobs;
        self.selected = crate::app::layout::reselect(
            &self.visible,
            |i| keep.as_deref() == Some(jobs[i].name.as_str()),
            self.selected,
        );
    }

    pub fn move_by(&mut self, delta: isize) {
        self.selected = crate::app::layout::moved(self.selected, self.visible.len(), delta);
    }
}
