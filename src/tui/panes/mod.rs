//! One pane per file.
pub mod dataset;
pub mod models;
pub mod monitor;
pub mod permissions;
pub mod playground;
