//! The Monitor tab: the jobs followed, and what their keys do. The arithmetic over a job's
//! snapshots is `domain::progress`.

mod state;
mod update;

pub use state::*;
