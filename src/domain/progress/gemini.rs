//! The Gemini API's wire read into job progress: a tuning job is a long-running operation
//! whose metadata (and, once done, whose tuned model) carries one `TuningSnapshot` per step.

use super::{Job, JobState, Point, merge};
use crate::api::types::{
    CreateTunedModelMetadata, Operation, Status, TunedModel, TunedModelState, TuningSnapshot,
};

/// A snapshot as a point of the training-loss series.
pub fn point(s: &TuningSnapshot) -> Point {
    Point {
        step: s.step,
        epoch: s.epoch,
        value: s.mean_loss,
        time: s.compute_time,
    }
}

/// Snapshots as the training-loss series.
pub fn points(snapshots: &[TuningSnapshot]) -> Vec<Point> {
    snapshots.iter().map(point).collect()
}

/// A point of the training-loss series as the snapshot it came from.
pub fn snapshot(p: &Point) -> TuningSnapshot {
    TuningSnapshot {
        step: p.step,
        epoch: p.epoch,
        mean_loss: p.value,
        compute_time: p.time,
    }
}

/// The job's state as an operation tells it: running until done, then cancelled (code 1),
/// failed (any other error) or succeeded.
pub fn operation_state(operation: &Operation) -> JobState {
    match (&operation.error, operation.done) {
        (Some(e), _) if e.code == 1 => JobState::Cancelled,
        (Some(_), _) => JobState::Failed,
        (None, true) => JobState::Succeeded,
        (None, false) => JobState::Running,
    }
}

impl Job {
    /// A job followed through the operation that tunes it.
    pub fn from_operation(operation: &Operation) -> Job {
        let mut job = Job {
            name: operation.name.clone(),
            model: operation.tuned_model_name().unwrap_or_default(),
            ..Default::default()
        };
        job.absorb(operation);
        job
    }

    /// Folds a polled operation into the job: new snapshots merged, state updated.
    pub fn absorb(&mut self, operation: &Operation) {
        if let Some(meta) = operation.tuning_metadata() {
            if meta.total_steps > 0 {
                self.total_steps = meta.total_steps;
            }
            if !meta.tuned_model.is_empty() {
                self.model = meta.tuned_model;
            }
            merge(&mut self.train_loss, points(&meta.snapshots));
        }
        if let Some(model) = operation.tuned_model() {
            merge(&mut self.train_loss, points(model.snapshots()));
        }
        self.state = operation_state(operation);
        self.error = operation
            .error
            .as_ref()
            .map(|e| (e.code, e.message.clone()));
    }
}

/// A series as CSV in the snapshots' words: `step,epoch,meanLoss,computeTime`, one row per step.
pub fn snapshots_csv(series: &[Point]) -> String {
    let mut out = String::from("step,epoch,meanLoss,computeTime\n");
    for s in series {
        let time = s
            .time
            .map(|t| crate::api::serde_util::format_timestamp(&t))
            .unwrap_or_default();
        out.push_str(&format!("{},{},{},{}\n", s.step, s.epoch, s.value, time));
    }
    out
}

/// A series as the API prints snapshots (a JSON array of TuningSnapshot).
pub fn snapshots_json(series: &[Point]) -> String {
    let snapshots: Vec<TuningSnapshot> = series.iter().map(snapshot).collect();
    serde_json::to_string_pretty(&snapshots).unwrap_or_else(|_| "[]".into()) + "\n"
}

/// A tuned model read as the operation that tunes it, for when no operation is known: its
/// snapshots as metadata, done once it is no longer CREATING, FAILED as an error. The total
/// number of steps is unknown (0).
pub fn operation_from_model(model: TunedModel) -> Operation {
    let snapshots = model.snapshots().to_vec();
    let metadata = CreateTunedModelMetadata {
        total_steps: 0,
        completed_steps: snapshots.last().map_or(0, |s| s.step),
        completed_percent: 0.0,
        snapshots,
        tuned_model: model.name.clone(),
    };
    let done = model.state != TunedModelState::Creating;
    let failed = model.state == TunedModelState::Failed;
    Operation {
        name: model.name.clone(),
        metadata: serde_json::to_value(metadata).ok(),
        done,
        error: failed.then(|| Status {
            code: 13,
            message: format!("Tuning of {} failed.", model.name),
            ..Default::default()
        }),
        response: (done && !failed)
            .then(|| serde_json::to_value(&model).ok())
            .flatten(),
    }
}

/// An ACTIVE model whose training stopped before its last epoch (it was cancelled): the step
/// it stopped at, the epochs it completed and the epochs asked for. A tuned model does not say
/// it was cancelled; its snapshots and `epochCount` do.
pub fn stopped_early(model: &TunedModel) -> Option<(i32, i32, i32)> {
    if model.state != TunedModelState::Active {
        return None;
    }
    let last = model.snapshots().last()?;
    let epochs = model.hyperparameters()?.epoch_count?;
    (last.epoch < epochs).then_some((last.step, last.epoch, epochs))
}

/// A model's state as a person needs it: `ACTIVE (stopped at step 9, 1 of 5 epochs done)` for
/// one whose tuning was cancelled, the plain state otherwise.
pub fn state_label(model: &TunedModel) -> String {
    match stopped_early(model) {
        Some((step, done, epochs)) => {
            format!("ACTIVE (stopped at step {step}, {done} of {epochs} epochs done)")
        }
        None => model.state.name().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::serde_util::parse_timestamp;

    fn snap(step: i32, loss: f64, secs: i64) -> TuningSnapshot {
        let t0 = parse_timestamp("2026-01-01T00:00:00Z").unwrap();
        TuningSnapshot {
            step,
            epoch: step / 4,
            mean_loss: loss,
            compute_time: Some(t0 + chrono::Duration::seconds(secs)),
        }
    }

    #[test]
    fn exports() {
        let snapshots = vec![snap(1, 7.5, 1), snap(2, 6.25, 2)];
        let series = points(&snapshots);
        assert_eq!(
            snapshots_csv(&series),
            "step,epoch,meanLoss,computeTime\n1,0,7.5,2026-01-01T00:00:01Z\n2,0,6.25,2026-01-01T00:00:02Z\n"
        );
        let back: Vec<TuningSnapshot> = serde_json::from_str(&snapshots_json(&series)).unwrap();
        assert_eq!(back, snapshots);
    }

    #[test]
    fn a_job_absorbs_polls() {
        let op: Operation = serde_json::from_value(serde_json::json!({
            "name": "tunedModels/m/operations/o",
            "metadata": {"@type": "x", "totalSteps": 19, "completedSteps": 2, "tunedModel": "tunedModels/m",
                "snapshots": [{"step": 1, "meanLoss": 7.0}, {"step": 2, "meanLoss": 6.0}]}
        }))
        .unwrap();
        let mut job = Job::default();
        job.absorb(&op);
        assert_eq!(
            (job.total_steps, job.completed_steps(), job.model.as_str()),
            (19, 2, "tunedModels/m")
        );
        assert!((job.percent() - 10.526).abs() < 0.01);
        let done: Operation = serde_json::from_value(serde_json::json!({
            "name": "tunedModels/m/operations/o", "done": true, "error": {"code": 1, "message": "cancelled"}
        }))
        .unwrap();
        job.absorb(&done);
        assert!(job.is_done());
        assert_eq!(job.state, JobState::Cancelled);
        assert_eq!(job.error, Some((1, "cancelled".into())));
        assert_eq!(
            job.train_loss.len(),
            2,
            "a poll without metadata keeps the series"
        );
    }

    #[test]
    fn a_cancelled_model_reads_as_stopped_early() {
        use crate::api::types::{Hyperparameters, TuningTask};
        let mut model = TunedModel {
            state: TunedModelState::Active,
            tuning_task: Some(TuningTask {
                snapshots: (1..=9).map(|s| snap(s, 1.0, i64::from(s))).collect(),
                hyperparameters: Some(Hyperparameters {
                    epoch_count: Some(5),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(stopped_early(&model), Some((9, 2, 5)));
        assert_eq!(
            state_label(&model),
            "ACTIVE (stopped at step 9, 2 of 5 epochs done)"
        );
        if let Some(task) = model.tuning_task.as_mut() {
            task.snapshots = (1..=20).map(|s| snap(s, 1.0, i64::from(s))).collect();
        }
        assert_eq!(stopped_early(&model), None, "all five epochs ran");
        assert_eq!(state_label(&model), "ACTIVE");
    }
}
