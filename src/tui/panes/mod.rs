//! One pane per file.
pub mod models;
pub mod monitor;
pub mod permissions;
pub mod unbuilt;
