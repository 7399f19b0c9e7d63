//! One pane per file.
pub mod models;
pub mod unbuilt;
