//! Fault injection: the emulator can misbehave the way the live service sometimes did, so that
//! clients can be tested against it (429 with RetryInfo, 503, latency, streams cut short, jobs
//! that fail).

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
    /// Every write of the state fails, as on a full disk.
    pub disk_full: bool,
    /// Writing the state file fails as on a nearly full disk (no room for a whole copy of the
    /// state), while the journal still takes each change.
    pub snapshot_full: bool,
    /// A test knob: the pause between renaming a new state file into place and emptying the
    /// journal, so a test can kill the emulator in that window.
    pub compact_pause: Duration,
    /// Share of requests whose answer is lost: the request is carried out, then the connection
    /// is cut before the answer's body (the case a retried create must not double).
    pub lose_answer_rate: f64,
}

impl Faults {
    pub fn any(&self) -> bool {
        self.rate_429 > 0.0
            || self.rate_503 > 0.0
            || !self.latency.is_zero()
            || self.drop_stream_rate > 0.0
            || self.fail_job_rate > 0.0
            || self.no_tuned_streaming
            || self.disk_full
            || self.snapshot_full
            || self.lose_answer_rate > 0.0
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
        if self.lose_answer_rate > 0.0 {
            parts.push(format!(
                "{} of answers lost after the work is done",
                pct(self.lose_answer_rate)
            ));
        }
        if self.disk_full {
            parts.push("every write fails (disk full)".into());
        }
        if self.snapshot_full && !self.disk_full {
            parts.push("every save of the state file fails (disk nearly full)".into());
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
