//! The Models tab: every tuned model, its detail, and the dialogs that change one.

mod sharing;
mod state;
mod update;

pub use state::*;
