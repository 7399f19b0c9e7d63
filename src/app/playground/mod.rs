//! The Playground tab: a prompt, its settings, the answers as they stream, history and batch
//! evaluation.

mod state;
mod update;

pub use state::*;
