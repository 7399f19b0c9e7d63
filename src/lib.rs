//! tunedeck: a terminal dashboard for the Gemini API's model-tuning service, and a faithful
//! emulator of that API.

pub mod api;
pub mod app;
pub mod atomic_file;
pub mod cli;
pub mod clock;
pub mod config;
pub mod dataset;
pub mod domain;
pub mod emulator;
pub mod protocol;
pub mod tui;
pub mod worker;
