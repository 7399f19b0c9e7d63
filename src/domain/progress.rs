//! Job progress: a tuning job and its loss series, merged from operation polls, and the pure
//! functions over snapshots (merge, rate, ETA, stalls, per-epoch means, smoothing, export) that
//! the Monitor and `tunedeck watch` both use.

use crate::api::serde_util::Timestamp;
use crate::api::types::{
    CreateTunedModelMetadata, Operation, Status, TunedModel, TunedModelState, TuningSnapshot,
};
use std::time::Duration;

/// One tuning job as the monitor knows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Job {
    /// `tunedModels/{id}/operations/{op}`
    pub operation: String,
    /// `tunedModels/{id}`
    pub model: String,
    pub total_steps: i32,
    /// Every snapshot seen, one per step, in step order.
    pub snapshots: Vec<TuningSnapshot>,
    pub done: bool,
    /// The operation's error message, when it failed or was cancelled.
    pub error: Option<(i32, String)>,
}

impl Job {
    /// Folds a polled operation into the job: new snapshots merged, state updated.
    pub fn absorb(&mut self, operation: &Operation) {
        if let Some(meta) = operation.tuning_metadata() {
            if meta.total_steps > 0 {
                self.total_steps = meta.total_steps;
            }
            if !meta.tuned_model.is_empty() {
                self.model = meta.tuned_model;
            }
            merge_snapshots(&mut self.snapshots, meta.snapshots);
        }
        if let Some(model) = operation.tuned_model() {
            merge_snapshots(&mut self.snapshots, model.snapshots().to_vec());
        }
        self.done = operation.done;
        self.error = operation
            .error
            .as_ref()
            .map(|e| (e.code, e.message.clone()));
    }

    pub fn completed_steps(&self) -> i32 {
        self.snapshots.last().map_or(0, |s| s.step)
    }

    pub fn percent(&self) -> f64 {
        if self.total_steps <= 0 {
            return 0.0;
        }
        (100.0 * f64::from(self.completed_steps()) / f64::from(self.total_steps)).min(100.0)
    }
}

/// Merges snapshots into a series kept sorted by step with one entry per step: duplicates are
/// replaced by the newer copy, out-of-order ones slot in, gaps stay gaps.
pub fn merge_snapshots(series: &mut Vec<TuningSnapshot>, incoming: Vec<TuningSnapshot>) {
    let in_order = incoming.windows(2).all(|w| w[0].step < w[1].step);
    // The common case: the poll repeats what we have and appends new steps.
    if in_order
        && let (Some(last), Some(first_new)) = (series.last(), incoming.first())
        && first_new.step <= last.step
        && incoming.len() >= series.len()
        && incoming[..series.len()]
            .iter()
            .map(|s| s.step)
            .eq(series.iter().map(|s| s.step))
    {
        *series = incoming;
        return;
    }
    for snapshot in incoming {
        match series.binary_search_by_key(&snapshot.step, |s| s.step) {
            Ok(i) => series[i] = snapshot,
            Err(i) => series.insert(i, snapshot),
        }
    }
}

fn step_seconds(series: &[TuningSnapshot]) -> Vec<f64> {
    series
        .windows(2)
        .filter_map(|w| {
            let (a, b) = (w[0].compute_time?, w[1].compute_time?);
            let steps = f64::from(w[1].step - w[0].step);
            let secs = (b - a).num_milliseconds() as f64 / 1000.0;
            (steps > 0.0 && secs >= 0.0).then(|| secs / steps)
        })
        .collect()
}

/// The median time a step takes, from the snapshots' computeTime.
pub fn median_step_time(series: &[TuningSnapshot]) -> Option<Duration> {
    let mut times = step_seconds(series);
    if times.is_empty() {
        return None;
    }
    times.sort_by(f64::total_cmp);
    Some(Duration::from_secs_f64(times[times.len() / 2]))
}

/// Steps per minute over the whole run so far.
pub fn steps_per_minute(series: &[TuningSnapshot]) -> Option<f64> {
    let (first, last) = (series.first()?, series.last()?);
    let secs = (last.compute_time? - first.compute_time?).num_milliseconds() as f64 / 1000.0;
    let steps = f64::from(last.step - first.step);
    (secs > 0.0 && steps > 0.0).then(|| steps / secs * 60.0)
}

/// Time left: remaining steps at the median pace of the last 20 steps.
pub fn eta(series: &[TuningSnapshot], total_steps: i32) -> Option<Duration> {
    let last = series.last()?;
    let remaining = total_steps - last.step;
    if remaining <= 0 {
        return Some(Duration::ZERO);
    }
    let tail = &series[series.len().saturating_sub(21)..];
    let per_step = median_step_time(tail)?;
    Some(per_step.mul_f64(f64::from(remaining)))
}

/// A job is stalled when no step has come for `factor` times the median step time of its
/// recent steps (the last 50: the current pace, and cheap on a long run).
pub fn is_stalled(series: &[TuningSnapshot], now: Timestamp, factor: f64) -> bool {
    let recent = &series[series.len().saturating_sub(51)..];
    let (Some(median), Some(last)) = (
        median_step_time(recent),
        series.last().and_then(|s| s.compute_time),
    ) else {
        return false;
    };
    let waited = (now - last).num_milliseconds().max(0) as f64 / 1000.0;
    let limit = median.as_secs_f64() * factor;
    limit > 0.0 && waited > limit
}

/// The epoch a person means at a snapshot: the one its step ran in, counted from 1. A
/// snapshot's `epoch` counts epochs *completed* when its step ended (REFERENCE.md §5), so at
/// step 46 of 150 (N=120, B=4) it says 1 while the job is in its second epoch. A step belongs
/// to the epoch after the one the previous step completed.
pub fn epochs_of_steps(series: &[TuningSnapshot]) -> Vec<i32> {
    let mut previous = 0;
    series
        .iter()
        .map(|s| {
            let epoch = previous + 1;
            previous = s.epoch;
            epoch
        })
        .collect()
}

/// The epoch a job is in (from 1), given the epochs completed so far and how many it has:
/// the next one while it runs, never past the last.
pub fn epoch_in_progress(completed: i32, epochs: Option<i32>) -> i32 {
    let next = completed + 1;
    epochs.map_or(next, |e| next.min(e.max(1)))
}

/// The mean loss of each epoch, as (epoch from 1, mean), from the steps that ran in it.
pub fn epoch_means(series: &[TuningSnapshot]) -> Vec<(i32, f64)> {
    let mut out: Vec<(i32, f64, usize)> = Vec::new();
    for (s, e) in series.iter().zip(epochs_of_steps(series)) {
        match out.last_mut() {
            Some((epoch, sum, n)) if *epoch == e => {
                *sum += s.mean_loss;
                *n += 1;
            }
            _ => out.push((e, s.mean_loss, 1)),
        }
    }
    out.into_iter()
        .map(|(e, sum, n)| (e, sum / n as f64))
        .collect()
}

/// Exponential moving average with factor `alpha` (0 < alpha ≤ 1; 1 is no smoothing).
pub fn ema(values: &[f64], alpha: f64) -> Vec<f64> {
    let mut out = Vec::with_capacity(values.len());
    let mut acc: Option<f64> = None;
    for v in values {
        let next = match acc {
            None => *v,
            Some(a) => alpha * v + (1.0 - alpha) * a,
        };
        acc = Some(next);
        out.push(next);
    }
    out
}

/// At most `width` points for drawing, each the mean of the steps it covers; the data itself is
/// never thinned.
pub fn downsample(points: &[(f64, f64)], width: usize) -> Vec<(f64, f64)> {
    if points.len() <= width || width == 0 {
        return points.to_vec();
    }
    (0..width)
        .map(|b| {
            let start = b * points.len() / width;
            let end = ((b + 1) * points.len() / width).max(start + 1);
            let slice = &points[start..end];
            let n = slice.len() as f64;
            (
                slice.iter().map(|p| p.0).sum::<f64>() / n,
                slice.iter().map(|p| p.1).sum::<f64>() / n,
            )
        })
        .collect()
}

/// Steps at which an epoch ends (the epoch number changes after it).
pub fn epoch_boundaries(series: &[TuningSnapshot]) -> Vec<i32> {
    // The step that completes an epoch is the one whose count of completed epochs goes up;
    // the newest step is the edge of the chart already.
    series
        .windows(2)
        .filter(|w| w[1].epoch != w[0].epoch)
        .map(|w| w[1].step)
        .filter(|step| series.last().is_some_and(|l| l.step != *step))
        .collect()
}

/// A job's snapshots as CSV: `step,epoch,meanLoss,computeTime`, one row per step.
pub fn snapshots_csv(series: &[TuningSnapshot]) -> String {
    let mut out = String::from("step,epoch,meanLoss,computeTime\n");
    for s in series {
        let time = s
            .compute_time
            .map(|t| crate::api::serde_util::format_timestamp(&t))
            .unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{}\n",
            s.step, s.epoch, s.mean_loss, time
        ));
    }
    out
}

/// A job's snapshots as the API prints them (a JSON array of TuningSnapshot).
pub fn snapshots_json(series: &[TuningSnapshot]) -> String {
    serde_json::to_string_pretty(series).unwrap_or_else(|_| "[]".into()) + "\n"
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
    use std::time::Duration;

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
    fn merging_handles_duplicates_disorder_and_gaps() {
        let mut series = vec![snap(1, 7.0, 1), snap(2, 6.0, 2)];
        merge_snapshots(
            &mut series,
            vec![snap(1, 7.0, 1), snap(2, 6.0, 2), snap(3, 5.0, 3)],
        );
        assert_eq!(
            series.iter().map(|s| s.step).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        merge_snapshots(&mut series, vec![snap(6, 2.0, 6), snap(5, 3.0, 5)]);
        assert_eq!(
            series.iter().map(|s| s.step).collect::<Vec<_>>(),
            vec![1, 2, 3, 5, 6],
            "gap at 4 kept"
        );
        merge_snapshots(&mut series, vec![snap(4, 4.0, 4), snap(2, 5.5, 2)]);
        assert_eq!(
            series.iter().map(|s| s.step).collect::<Vec<_>>(),
            vec![1, 2, 3, 4, 5, 6]
        );
        assert_eq!(
            series[1].mean_loss, 5.5,
            "a repeated step takes the newer value"
        );
    }

    #[test]
    fn rate_eta_and_stalls() {
        let series: Vec<_> = (1..=10).map(|s| snap(s, 1.0, i64::from(s) * 2)).collect();
        assert_eq!(median_step_time(&series), Some(Duration::from_secs(2)));
        assert_eq!(steps_per_minute(&series), Some(30.0));
        assert_eq!(eta(&series, 40), Some(Duration::from_secs(60)));
        assert_eq!(eta(&series, 10), Some(Duration::ZERO));
        let last = series.last().unwrap().compute_time.unwrap();
        assert!(!is_stalled(
            &series,
            last + chrono::Duration::seconds(9),
            5.0
        ));
        assert!(is_stalled(
            &series,
            last + chrono::Duration::seconds(11),
            5.0
        ));
        assert!(
            !is_stalled(&series[..1], last + chrono::Duration::seconds(600), 5.0),
            "no pace known yet"
        );
    }

    #[test]
    fn epoch_means_smoothing_and_downsampling() {
        let series: Vec<_> = (1..=8).map(|s| snap(s, f64::from(s), 0)).collect();
        // Four steps an epoch: step 4 completes epoch 1 (its snapshot says 1), yet ran in it.
        assert_eq!(epochs_of_steps(&series), vec![1, 1, 1, 1, 2, 2, 2, 2]);
        assert_eq!(epoch_means(&series), vec![(1, 2.5), (2, 6.5)]);
        assert_eq!(epoch_boundaries(&series), vec![4]);
        assert_eq!(
            epoch_in_progress(1, Some(5)),
            2,
            "step 46 of 150: the second epoch"
        );
        assert_eq!(epoch_in_progress(5, Some(5)), 5);
        assert_eq!(epoch_in_progress(0, None), 1);
        assert_eq!(ema(&[4.0, 0.0, 0.0], 0.5), vec![4.0, 2.0, 1.0]);
        assert_eq!(ema(&[4.0, 0.0], 1.0), vec![4.0, 0.0]);
        let points: Vec<(f64, f64)> = (0..100_000).map(|i| (f64::from(i), 1.0)).collect();
        let drawn = downsample(&points, 200);
        assert_eq!(drawn.len(), 200);
        assert!(drawn.iter().all(|p| p.1 == 1.0));
    }

    #[test]
    fn exports() {
        let series = vec![snap(1, 7.5, 1), snap(2, 6.25, 2)];
        assert_eq!(
            snapshots_csv(&series),
            "step,epoch,meanLoss,computeTime\n1,0,7.5,2026-01-01T00:00:01Z\n2,0,6.25,2026-01-01T00:00:02Z\n"
        );
        let back: Vec<TuningSnapshot> = serde_json::from_str(&snapshots_json(&series)).unwrap();
        assert_eq!(back, series);
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
        assert!(job.done);
        assert_eq!(job.error, Some((1, "cancelled".into())));
        assert_eq!(
            job.snapshots.len(),
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
