//! The Dataset tab: the examples being edited, their lint, the files they come from and go to,
//! and the start-tuning form.

mod files;
mod journal;
mod saving;
mod state;
mod update;
mod vertex_tune;
mod vertex_tune_update;

pub use journal::*;
pub use state::*;
pub use vertex_tune::*;
