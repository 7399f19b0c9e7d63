//! Fault injection: the emulator can misbehave the way the live service sometimes did, so that
//! clients can be tested against it (429 with RetryInfo, 503, latency, streams cut short, jobs
//! that fail).

use super::core::{Core, lock};
use super::wire::Failure;
use rand::Rng;
use std::time::Duration;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Share of requests answered 429 RESOURCE_EXHAUSTED (with RetryInfo).
    pub rate_429: f64,
    /// Share of requests answered 503 UNAVAILABLE.
    pub rate_503: f64,
    /// The retry delay a 429 asks for.
    pub retry_delay: Duration,
    /// Added to every request.
    pub latency: Duration,
    /// Share of streamed answers whose connection is dropped after the first chunk.
    pub drop_stream_rate: f64,
    /// Share of tuning jobs that fail part-way.
    pub fail_job_rate: f64,
    /// Answer `tunedModels/*:streamGenerateContent` with 404, as the live service did before
    /// the binding was added on 2024-11-19.
    pub no_tuned_streaming: bool,
}

impl Faults {
    pub fn any(&self) -> bool {
        self.rate_429 > 0.0
            || self.rate_503 > 0.0
            || !self.latency.is_zero()
            || self.drop_stream_rate > 0.0
            || self.fail_job_rate > 0.0
            || self.no_tuned_streaming
    }

    /// One line for the start-up banner.
    pub fn describe(&self) -> String {
        if !self.any() {
            return "no faults".into();
        }
        let mut parts = Vec::new();
        let pct = |r: f64| format!("{:.0}%", r * 100.0);
        if self.rate_429 > 0.0 {
            parts.push(format!(
                "{} of requests 429 (retry after {} ms)",
                pct(self.rate_429),
                self.retry_delay.as_millis()
            ));
        }
        if self.no_tuned_streaming {
            parts.push("tuned-model streaming 404s (before 2024-11-19)".into());
        }
        if self.rate_503 > 0.0 {
            parts.push(format!("{} of requests 503", pct(self.rate_503)));
        }
        if !self.latency.is_zero() {
            parts.push(format!("{} ms added latency", self.latency.as_millis()));
        }
        if self.drop_stream_rate > 0.0 {
            parts.push(format!("{} of streams dropped", pct(self.drop_stream_rate)));
        }
        if self.fail_job_rate > 0.0 {
            parts.push(format!("{} of tuning jobs fail", pct(self.fail_job_rate)));
        }
        format!("FAULTS: {}", parts.join(", "))
    }
}

impl Core {
    fn roll(&self, rate: f64) -> bool {
        rate > 0.0 && lock(&self.fault_rng).random_bool(rate.clamp(0.0, 1.0))
    }

    /// Latency, then maybe a 429 or 503 instead of the real answer.
    pub async fn inject_request_fault(&self) -> Option<Failure> {
        let faults = &self.options.faults;
        if !faults.latency.is_zero() {
            tokio::time::sleep(faults.latency).await;
        }
        if self.roll(faults.rate_429) {
            return Some(Failure::quota(faults.retry_delay));
        }
        if self.roll(faults.rate_503) {
            return Some(Failure::unavailable());
        }
        None
    }

    pub fn should_drop_stream(&self) -> bool {
        self.roll(self.options.faults.drop_stream_rate)
    }

    /// The step at which a new job of `total` steps will fail, if the dice say so.
    pub fn job_failure_step(&self, total: u64) -> Option<u64> {
        if total == 0 || !self.roll(self.options.faults.fail_job_rate) {
            return None;
        }
        Some(lock(&self.fault_rng).random_range(1..=total))
    }
}
