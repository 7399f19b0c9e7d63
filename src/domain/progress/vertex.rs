//! Vertex AI's wire read into job progress: a `TuningJob` gives the state and the planned steps,
//! its TensorBoard series give the train and eval loss (the TuningJob resource and the tuning
//! guide's metrics).

use super::{Job, JobState, Point, merge};
use crate::api::vertex::client::{
    EVAL_ACCURACY, EVAL_LOSS, EVAL_REWARD_ACCURACY, EVAL_REWARD_MARGIN, MetricPoint,
    TRAIN_ACCURACY, TRAIN_LOSS, TRAIN_REWARD_ACCURACY, TRAIN_REWARD_MARGIN,
};
use crate::api::vertex::types::{self, TuningJob};
use std::collections::BTreeMap;

/// A Vertex job state in the concept's words; an unknown one reads as running (new states keep
/// appearing, and polling on is the safe reading).
pub fn job_state(state: &types::JobState) -> JobState {
    use types::JobState as W;
    match state {
        W::Queued | W::Pending | W::Paused | W::Unspecified => JobState::Pending,
        W::Cancelling => JobState::Cancelling,
        W::Succeeded | W::PartiallySucceeded => JobState::Succeeded,
        W::Failed | W::Expired => JobState::Failed,
        W::Cancelled => JobState::Cancelled,
        W::Running | W::Updating | W::Unrecognized(_) => JobState::Running,
    }
}

/// Steps per epoch of a job, from its plan (`tuningStepCount` over `epochCount`).
fn steps_per_epoch(job: &TuningJob) -> Option<i64> {
    let steps = job.step_count()?;
    let epochs = job.epoch_count().filter(|e| *e > 0)?;
    Some((steps + epochs - 1) / epochs).filter(|s| *s > 0)
}

impl Job {
    /// A job followed through its `tuningJobs` resource.
    pub fn from_tuning_job(job: &TuningJob) -> Job {
        let mut out = Job {
            name: job.name.clone(),
            ..Default::default()
        };
        out.absorb_tuning_job(job);
        out
    }

    /// Folds a polled `TuningJob` in: state, planned steps, the model, the error.
    pub fn absorb_tuning_job(&mut self, job: &TuningJob) {
        self.state = job_state(&job.state);
        self.preference = job.preference_optimization_spec.is_some();
        self.stage = crate::domain::vertex::JobStage::of(job, None);
        if let Some(stats) = job
            .tuning_data_stats
            .as_ref()
            .and_then(|s| s.supervised_tuning_data_stats.as_ref())
        {
            self.truncated_examples = stats
                .total_truncated_example_count
                .unwrap_or(0)
                .max(stats.truncated_example_indices.len() as i64);
            self.truncated_reason = stats.dropped_example_reasons.first().cloned();
        }
        if let Some(steps) = job.step_count() {
            self.total_steps = i32::try_from(steps).unwrap_or(i32::MAX);
        }
        if let Some(epochs) = job.epoch_count() {
            self.epochs = i32::try_from(epochs).ok();
        }
        if let Some(tuned) = &job.tuned_model {
            self.checkpoints = tuned
                .checkpoints
                .iter()
                .filter_map(|c| c.step.and_then(|s| i32::try_from(s).ok()))
                .collect();
        }
        self.display_name = job.tuned_model_display_name.clone();
        self.model = job
            .tuned_model
            .as_ref()
            .map(|m| m.model.clone())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| job.tuned_model_display_name.clone());
        self.error = job
            .error
            .as_ref()
            .filter(|_| self.state.is_done())
            .map(|e| (e.code, e.message.clone()));
    }

    /// Folds new metric points in (from `VertexClient::read_metrics`): the train and eval loss
    /// and next-token accuracy, each point's epoch counted from the job's plan.
    pub fn absorb_metrics(
        &mut self,
        job: &TuningJob,
        metrics: &BTreeMap<String, Vec<MetricPoint>>,
    ) {
        let per_epoch = steps_per_epoch(job);
        let convert = |points: &[MetricPoint]| -> Vec<Point> {
            points
                .iter()
                .map(|p| Point {
                    step: i32::try_from(p.step).unwrap_or(i32::MAX),
                    epoch: per_epoch.map_or(0, |s| i32::try_from(p.step / s).unwrap_or(0)),
                    value: p.value,
                    time: p.time,
                })
                .collect()
        };
        // A preference job's accuracy is its reward accuracy.
        self.preference |= job.preference_optimization_spec.is_some();
        let (train_accuracy, eval_accuracy) = if self.preference {
            (TRAIN_REWARD_ACCURACY, EVAL_REWARD_ACCURACY)
        } else {
            (TRAIN_ACCURACY, EVAL_ACCURACY)
        };
        for (name, series) in [
            (TRAIN_LOSS, &mut self.train_loss),
            (EVAL_LOSS, &mut self.eval_loss),
            (train_accuracy, &mut self.train_accuracy),
            (eval_accuracy, &mut self.eval_accuracy),
            (TRAIN_REWARD_MARGIN, &mut self.train_margin),
            (EVAL_REWARD_MARGIN, &mut self.eval_margin),
        ] {
            if let Some(points) = metrics.get(name) {
                merge(series, convert(points));
            }
        }
    }
}

/// A Vertex AI job's series (train and eval loss, and accuracy where reported) as CSV, one row
/// a point: `series,step,epoch,value,time`, series named as TensorBoard names them.
pub fn metrics_csv(job: &Job) -> String {
    let mut out = String::from("series,step,epoch,value,time\n");
    for (name, series) in named_series(job) {
        for p in series {
            let time = p
                .time
                .map(|t| crate::api::serde_util::format_timestamp(&t))
                .unwrap_or_default();
            out.push_str(&format!(
                "{name},{},{},{},{time}\n",
                p.step, p.epoch, p.value
            ));
        }
    }
    out
}

/// The same as JSON: `{"/train_total_loss": [{"step", "epoch", "value", "time"}], …}`.
pub fn metrics_json(job: &Job) -> String {
    let object: serde_json::Map<String, serde_json::Value> = named_series(job)
        .into_iter()
        .map(|(name, series)| {
            let points = series
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "step": p.step,
                        "epoch": p.epoch,
                        "value": p.value,
                        "time": p.time.map(|t| crate::api::serde_util::format_timestamp(&t)),
                    })
                })
                .collect();
            (name.to_owned(), serde_json::Value::Array(points))
        })
        .collect();
    serde_json::to_string_pretty(&object).unwrap_or_else(|_| "{}".into()) + "\n"
}

/// The job's series that have points, by their TensorBoard names (a preference job's
/// accuracy is its reward accuracy).
fn named_series(job: &Job) -> Vec<(&'static str, &[super::Point])> {
    let (train_accuracy, eval_accuracy) = if job.preference {
        (TRAIN_REWARD_ACCURACY, EVAL_REWARD_ACCURACY)
    } else {
        (TRAIN_ACCURACY, EVAL_ACCURACY)
    };
    [
        (TRAIN_LOSS, job.train_loss.as_slice()),
        (EVAL_LOSS, job.eval_loss.as_slice()),
        (train_accuracy, job.train_accuracy.as_slice()),
        (eval_accuracy, job.eval_accuracy.as_slice()),
        (TRAIN_REWARD_MARGIN, job.train_margin.as_slice()),
        (EVAL_REWARD_MARGIN, job.eval_margin.as_slice()),
    ]
    .into_iter()
    .filter(|(_, s)| !s.is_empty())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preference_jobs_reward_series_read_into_its_accuracy_and_margin() {
        let job: TuningJob = serde_json::from_value(serde_json::json!({
            "name": "projects/1/locations/us-central1/tuningJobs/8",
            "state": "JOB_STATE_RUNNING",
            "preferenceOptimizationSpec": {"hyperParameters": {"epochCount": "2", "beta": 0.1}},
            "tuningDataStats": {"preferenceOptimizationDataStats": {"tuningStepCount": "4"}}
        }))
        .unwrap();
        let mut progress = Job::from_tuning_job(&job);
        assert!(progress.preference);
        assert_eq!((progress.total_steps, progress.epochs), (4, Some(2)));
        let point = |step, value| MetricPoint {
            step,
            value,
            time: None,
        };
        let mut metrics = BTreeMap::new();
        metrics.insert(TRAIN_LOSS.to_owned(), vec![point(1, 0.69), point(2, 0.6)]);
        metrics.insert(
            TRAIN_REWARD_ACCURACY.to_owned(),
            vec![point(1, 0.0), point(2, 0.75)],
        );
        metrics.insert(
            TRAIN_REWARD_MARGIN.to_owned(),
            vec![point(1, 0.0), point(2, 0.2)],
        );
        metrics.insert(EVAL_REWARD_MARGIN.to_owned(), vec![point(2, 0.1)]);
        progress.absorb_metrics(&job, &metrics);
        assert_eq!(progress.train_accuracy.last().map(|p| p.value), Some(0.75));
        assert_eq!(progress.train_margin.len(), 2);
        assert_eq!(progress.eval_margin[0].value, 0.1);
        let csv = metrics_csv(&progress);
        assert!(csv.contains("/train_reward_accuracy,2,1,0.75"), "{csv}");
        assert!(csv.contains("/eval_reward_margin,2,1,0.1"), "{csv}");
    }

    #[test]
    fn a_vertex_job_reads_into_progress() {
        let job: TuningJob = serde_json::from_value(serde_json::json!({
            "name": "projects/1/locations/us-central1/tuningJobs/7",
            "state": "JOB_STATE_RUNNING",
            "supervisedTuningSpec": {"hyperParameters": {"epochCount": "2"}},
            "tuningDataStats": {"supervisedTuningDataStats": {"tuningStepCount": "10"}}
        }))
        .unwrap();
        let mut progress = Job::from_tuning_job(&job);
        assert_eq!(
            (progress.state, progress.total_steps),
            (JobState::Running, 10)
        );
        let point = |step, value| MetricPoint {
            step,
            value,
            time: None,
        };
        let mut metrics = BTreeMap::new();
        metrics.insert(
            TRAIN_LOSS.to_owned(),
            vec![point(1, 5.0), point(5, 3.0), point(6, 2.5)],
        );
        metrics.insert(EVAL_LOSS.to_owned(), vec![point(5, 3.5)]);
        progress.absorb_metrics(&job, &metrics);
        assert_eq!(progress.completed_steps(), 6);
        assert_eq!(
            progress
                .train_loss
                .iter()
                .map(|p| p.epoch)
                .collect::<Vec<_>>(),
            vec![0, 1, 1],
            "step 5 completes the first of two epochs"
        );
        assert_eq!(progress.eval_loss.len(), 1);
        assert_eq!(
            job_state(&types::JobState::Unrecognized("JOB_STATE_NEW".into())),
            JobState::Running
        );
        let mut cancelled = job.clone();
        cancelled.state = types::JobState::Cancelled;
        cancelled.error = Some(crate::api::types::Status {
            code: 1,
            message: "cancelled".into(),
            ..Default::default()
        });
        progress.absorb_tuning_job(&cancelled);
        assert_eq!(progress.state, JobState::Cancelled);
        assert_eq!(progress.error, Some((1, "cancelled".into())));
    }
}
