//! Time as an input. The event loop and the other entry points read the clock once per message
//! ([`Now::read`]) and hand that one value to `App::update`; the app keeps the latest in its state
//! and rendering reads it from there. Nothing under `app/`, `tui/` or `domain/` reads the clock
//! itself, so every test chooses the time it runs at and passes on any date.

use chrono::{DateTime, Utc};
use std::ops::Add;
use std::time::{Duration, Instant};

/// One reading of both clocks: the monotonic one for deadlines and intervals, the wall clock for
/// what is compared with the service's timestamps (elapsed time, stalls, history entries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    pub instant: Instant,
    pub utc: DateTime<Utc>,
}

impl Now {
    /// Reads the machine's clocks. Only entry points (the event loop, `main`) call this.
    pub fn read() -> Now {
        Now {
            instant: Instant::now(),
            utc: Utc::now(),
        }
    }

    /// The same reading moved to `instant`, the wall clock moved by as much (a deadline the app
    /// asked for, turned into the moment it fires).
    pub fn advanced_to(self, instant: Instant) -> Now {
        self + instant.saturating_duration_since(self.instant)
    }

    /// A chosen moment, as tests and replays use.
    pub fn at(instant: Instant, utc: DateTime<Utc>) -> Now {
        Now { instant, utc }
    }
}

/// Both clocks move on together.
impl Add<Duration> for Now {
    type Output = Now;

    fn add(self, d: Duration) -> Now {
        let utc = chrono::Duration::from_std(d)
            .ok()
            .and_then(|d| self.utc.checked_add_signed(d))
            .unwrap_or(self.utc);
        Now {
            instant: self.instant + d,
            utc,
        }
    }
}
