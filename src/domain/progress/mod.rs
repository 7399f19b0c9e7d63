//! Job progress, backend-neutral: a tuning job's state and its metric series (one point per
//! step: value, wall time, epochs completed), and the pure functions over a series (merge,
//! rate, ETA, stalls, per-epoch means, smoothing, downsampling) that the Monitor and
//! `tunedeck watch` both use. Each backend's wire is read into this shape in its own module:
//! `gemini` folds long-running operations and their `Point`s in; a Vertex AI tuning
//! job's state and TensorBoard series are read the same way.

pub mod gemini;
pub mod vertex;

use crate::api::serde_util::Timestamp;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// One point of a metric series: the value a step recorded, when it was recorded, and how many
/// epochs were complete when that step ended (a Gemini snapshot's `epoch`; derived from the
/// step count per epoch where a backend does not say).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Point {
    pub step: i32,
    pub epoch: i32,
    pub value: f64,
    pub time: Option<Timestamp>,
}

/// Where a tuning job is in its life, in the concept's words rather than either wire's
/// (Gemini's operation `done` + error code, Vertex AI's `JOB_STATE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JobState {
    /// Accepted, not training yet (queued, processing the dataset, waiting for capacity).
    Pending,
    #[default]
    Running,
    /// Asked to stop; the service has not confirmed it yet.
    Cancelling,
    Succeeded,
    Failed,
    Cancelled,
}

impl JobState {
    /// No further change will come: polling can stop.
    pub fn is_done(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }

    /// The state as the Monitor and `watch` print it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Running => "TUNING",
            Self::Cancelling => "CANCELLING",
            Self::Succeeded => "DONE",
            Self::Failed => "FAILED",
            Self::Cancelled => "CANCELLED",
        }
    }
}

/// One tuning job as the monitor knows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Job {
    /// What is polled to follow the job: `tunedModels/{id}/operations/{op}` (or the model
    /// itself, when no operation is known) on the Gemini API, `projects/…/tuningJobs/{id}` on
    /// Vertex AI.
    pub name: String,
    /// The tuned model the job makes.
    pub model: String,
    /// The name a person gave the job, where its resource carries one (Vertex AI's
    /// `tunedModelDisplayName`; a Gemini API job's is its tuned model's, in the models list).
    pub display_name: String,
    /// Steps planned; 0 while unknown.
    pub total_steps: i32,
    /// Epochs planned, where the job's resource says (a Vertex AI job; a Gemini API job's
    /// come from its tuned model).
    pub epochs: Option<i32>,
    /// Training loss, one point per step, in step order.
    pub train_loss: Vec<Point>,
    /// Loss on the validation set, at the steps it was measured (empty when there is none).
    pub eval_loss: Vec<Point>,
    /// The share of next tokens predicted right, on the training batch and on the validation
    /// set (Vertex AI's `*_fraction_of_correct_next_step_preds`; empty on the Gemini API).
    /// For a preference (DPO) job these hold its reward accuracy: the share of pairs whose
    /// preferred answer has the higher implicit reward.
    pub train_accuracy: Vec<Point>,
    pub eval_accuracy: Vec<Point>,
    /// A preference (DPO) job: its loss is DPO's, its accuracy the reward accuracy, and it
    /// reports the reward margin (preferred minus rejected reward) below.
    pub preference: bool,
    pub train_margin: Vec<Point>,
    pub eval_margin: Vec<Point>,
    /// Steps at which the job saved a checkpoint (Vertex AI's, once it reports them).
    pub checkpoints: Vec<i32>,
    pub state: JobState,
    /// Where the job stands within its state, as Vertex AI reports it (v1beta1
    /// `tuningJobState`); `None` on the Gemini API and once it has ended.
    pub stage: Option<crate::domain::vertex::JobStage>,
    /// Examples the service truncated for length (Vertex AI's `totalTruncatedExampleCount`),
    /// and the first reason it gave (`droppedExampleReasons`).
    pub truncated_examples: i64,
    pub truncated_reason: Option<String>,
    /// The service's error (code, message), when it failed or was cancelled.
    pub error: Option<(i32, String)>,
}

impl Job {
    pub fn is_done(&self) -> bool {
        self.state.is_done()
    }

    pub fn completed_steps(&self) -> i32 {
        self.train_loss.last().map_or(0, |s| s.step)
    }

    pub fn percent(&self) -> f64 {
        if self.total_steps <= 0 {
            return 0.0;
        }
        (100.0 * f64::from(self.completed_steps()) / f64::from(self.total_steps)).min(100.0)
    }
}

/// Merges points into a series kept sorted by step with one entry per step: duplicates are
/// replaced by the newer copy, out-of-order ones slot in, gaps stay gaps.
pub fn merge(series: &mut Vec<Point>, incoming: Vec<Point>) {
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

fn step_seconds(series: &[Point]) -> Vec<f64> {
    series
        .windows(2)
        .filter_map(|w| {
            let (a, b) = (w[0].time?, w[1].time?);
            let steps = f64::from(w[1].step - w[0].step);
            let secs = (b - a).num_milliseconds() as f64 / 1000.0;
            (steps > 0.0 && secs >= 0.0).then(|| secs / steps)
        })
        .collect()
}

/// The median time a step takes, from the points' wall times.
pub fn median_step_time(series: &[Point]) -> Option<Duration> {
    let mut times = step_seconds(series);
    if times.is_empty() {
        return None;
    }
    times.sort_by(f64::total_cmp);
    Some(Duration::from_secs_f64(times[times.len() / 2]))
}

/// Steps per minute over the whole run so far.
pub fn steps_per_minute(series: &[Point]) -> Option<f64> {
    let (first, last) = (series.first()?, series.last()?);
    let secs = (last.time? - first.time?).num_milliseconds() as f64 / 1000.0;
    let steps = f64::from(last.step - first.step);
    (secs > 0.0 && steps > 0.0).then(|| steps / secs * 60.0)
}

/// Time left: remaining steps at the median pace of the last 20 steps.
pub fn eta(series: &[Point], total_steps: i32) -> Option<Duration> {
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
pub fn is_stalled(series: &[Point], now: Timestamp, factor: f64) -> bool {
    let recent = &series[series.len().saturating_sub(51)..];
    let (Some(median), Some(last)) = (median_step_time(recent), series.last().and_then(|s| s.time))
    else {
        return false;
    };
    let waited = (now - last).num_milliseconds().max(0) as f64 / 1000.0;
    let limit = median.as_secs_f64() * factor;
    limit > 0.0 && waited > limit
}

/// The epoch a person means at a snapshot: the one its step ran in, counted from 1. A snapshot's
/// `epoch` counts epochs *completed* when its step ended (the tutorials' recorded snapshots), so at
/// step 46 of 150 (N=120, B=4) it says 1 while the job is in its second epoch. A step belongs to
/// the epoch after the one the previous step completed.
pub fn epochs_of_steps(series: &[Point]) -> Vec<i32> {
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
pub fn epoch_means(series: &[Point]) -> Vec<(i32, f64)> {
    let mut out: Vec<(i32, f64, usize)> = Vec::new();
    for (s, e) in series.iter().zip(epochs_of_steps(series)) {
        match out.last_mut() {
            Some((epoch, sum, n)) if *epoch == e => {
                *sum += s.value;
                *n += 1;
            }
            _ => out.push((e, s.value, 1)),
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
pub fn epoch_boundaries(series: &[Point]) -> Vec<i32> {
    // The step that completes an epoch is the one whose count of completed epochs goes up;
    // the newest step is the edge of the chart already.
    series
        .windows(2)
        .filter(|w| w[1].epoch != w[0].epoch)
        .map(|w| w[1].step)
        .filter(|step| series.last().is_some_and(|l| l.step != *step))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::serde_util::parse_timestamp;
    use std::time::Duration;

    fn snap(step: i32, loss: f64, secs: i64) -> Point {
        let t0 = parse_timestamp("2026-01-01T00:00:00Z").unwrap();
        Point {
            step,
            epoch: step / 4,
            value: loss,
            time: Some(t0 + chrono::Duration::seconds(secs)),
        }
    }

    #[test]
    fn merging_handles_duplicates_disorder_and_gaps() {
        let mut series = vec![snap(1, 7.0, 1), snap(2, 6.0, 2)];
        merge(
            &mut series,
            vec![snap(1, 7.0, 1), snap(2, 6.0, 2), snap(3, 5.0, 3)],
        );
        assert_eq!(
            series.iter().map(|s| s.step).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        merge(&mut series, vec![snap(6, 2.0, 6), snap(5, 3.0, 5)]);
        assert_eq!(
            series.iter().map(|s| s.step).collect::<Vec<_>>(),
            vec![1, 2, 3, 5, 6],
            "gap at 4 kept"
        );
        merge(&mut series, vec![snap(4, 4.0, 4), snap(2, 5.5, 2)]);
        assert_eq!(
            series.iter().map(|s| s.step).collect::<Vec<_>>(),
            vec![1, 2, 3, 4, 5, 6]
        );
        assert_eq!(
            series[1].value, 5.5,
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
        let last = series.last().unwrap().time.unwrap();
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
}
