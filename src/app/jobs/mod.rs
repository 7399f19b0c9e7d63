//! The Models tab with Vertex AI chosen: the project's tuning jobs of every page, one job's
//! detail (data statistics, checkpoints, endpoint, error), and cancelling a job or deleting
//! the model it made.

mod rebase;
mod state;
mod update;

pub use state::*;
