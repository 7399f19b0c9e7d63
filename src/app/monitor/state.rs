//! The Monitor's view state: which jobs are followed, which is selected, the chart's modes and
//! cursor. The arithmetic over a job's snapshots is `domain::progress`.

pub use crate::domain::progress::Job;
use crate::domain::progress::*;
/// How the monitor shows its jobs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MonitorPane {
    pub jobs: Vec<Job>,
    pub selected: usize,
    /// Mean loss per epoch instead of per step.
    pub per_epoch: bool,
    pub smoothing: bool,
    pub log_scale: bool,
    /// The chart shows next-token accuracy instead of loss (jobs that report it: Vertex AI).
    pub accuracy: bool,
    /// The chart shows a preference (DPO) job's reward margin (`a` cycles loss, reward
    /// accuracy, reward margin for such a job).
    pub margin: bool,
    /// Index into the drawn series that the cursor reads.
    pub cursor: Option<usize>,
    /// The last poll failure per operation, shown until a poll succeeds.
    pub poll_errors: std::collections::HashMap<String, String>,
    /// An operation whose cancellation waits for y/n.
    pub confirm_cancel: Option<String>,
    /// A model whose job should be selected once it is known.
    pub select_model: Option<String>,
    /// A model the user is asked whether to delete: after cancelling its job (the docs advise
    /// it), or asked for with `d` on a finished job.
    pub offer_delete: Option<String>,
    /// The question follows a cancel (it says why deleting is advised).
    pub offer_after_cancel: bool,
    /// Operations whose runs are overlaid on the chart with the selected one.
    pub compare: std::collections::BTreeSet<String>,
}

impl MonitorPane {
    pub fn selected_job(&self) -> Option<&Job> {
        self.jobs.get(self.selected)
    }

    pub fn job_mut(&mut self, operation: &str) -> Option<&mut Job> {
        self.jobs.iter_mut().find(|j| j.name == operation)
    }

    pub fn tracks_model(&self, model: &str) -> bool {
        self.jobs.iter().any(|j| j.model == model)
    }

    /// The jobs the chart overlays: the compared ones and the selected one, in list order;
    /// empty when nothing is marked for comparison.
    pub fn compared_jobs(&self) -> Vec<&Job> {
        if self.compare.is_empty() {
            return Vec::new();
        }
        self.jobs
            .iter()
            .enumerate()
            .filter(|(i, j)| *i == self.selected || self.compare.contains(&j.name))
            .map(|(_, j)| j)
            .collect()
    }

    /// Selects the job named `name` (an operation or a Vertex AI tuning job) if it is followed.
    pub fn select_job(&mut self, name: &str) -> bool {
        match self.jobs.iter().position(|j| j.name == name) {
            Some(i) => {
                self.selected = i;
                self.cursor = None;
                true
            }
            None => false,
        }
    }

    /// Selects the job of `model` if there is one; true when it did.
    pub fn select_model(&mut self, model: &str) -> bool {
        match self.jobs.iter().position(|j| j.model == model) {
            Some(i) => {
                self.selected = i;
                self.cursor = None;
                true
            }
            None => false,
        }
    }

    /// The validation loss drawn beside the training loss: (step, loss), in the per-step view
    /// only (a job evaluates every few steps, so per-epoch means of it would mislead).
    pub fn eval_series(&self, job: &Job) -> Vec<(f64, f64)> {
        if self.per_epoch {
            return Vec::new();
        }
        let eval = if self.margin {
            &job.eval_margin
        } else if self.accuracy {
            &job.eval_accuracy
        } else {
            &job.eval_loss
        };
        eval.iter().map(|p| (f64::from(p.step), p.value)).collect()
    }

    /// The training series the chart draws: loss, or accuracy (or a DPO job's reward
    /// margin) when toggled.
    pub fn train_series<'a>(&self, job: &'a Job) -> &'a [crate::domain::progress::Point] {
        if self.margin {
            &job.train_margin
        } else if self.accuracy {
            &job.train_accuracy
        } else {
            &job.train_loss
        }
    }

    /// The points drawn for a job in the current mode: (x, loss), x a step or an epoch.
    /// What the chart draws, in words: (training series, validation series, axis), by the
    /// mode and the job's method and API.
    pub fn series_names(
        &self,
        job: &Job,
        has_eval: bool,
    ) -> (&'static str, &'static str, &'static str) {
        let vertex = job.name.contains("/tuningJobs/");
        let train = |alone: &'static str| if has_eval { "train" } else { alone };
        match (self.margin, self.accuracy, job.preference) {
            (true, _, _) => ("train reward margin", "eval reward margin", "reward margin"),
            (false, true, true) => (
                "train reward accuracy",
                "eval reward accuracy",
                "reward accuracy",
            ),
            (false, true, false) => ("train accuracy", "eval accuracy", "accuracy"),
            (false, false, true) => (train("DPO loss"), "eval", "DPO loss"),
            // The Gemini API calls its loss meanLoss; Vertex AI, train_total_loss.
            (false, false, false) if vertex => (train("train loss"), "eval", "loss"),
            (false, false, false) => (train("meanLoss"), "eval", "meanLoss"),
        }
    }

    pub fn series(&self, job: &Job, alpha: f64) -> Vec<(f64, f64)> {
        let train = self.train_series(job);
        let raw: Vec<(f64, f64)> = if self.per_epoch {
            epoch_means(train)
                .into_iter()
                .map(|(e, l)| (f64::from(e), l))
                .collect()
        } else {
            train.iter().map(|s| (f64::from(s.step), s.value)).collect()
        };
        if !self.smoothing {
            return raw;
        }
        let smoothed = ema(&raw.iter().map(|p| p.1).collect::<Vec<_>>(), alpha);
        raw.iter().zip(smoothed).map(|(p, y)| (p.0, y)).collect()
    }
}
