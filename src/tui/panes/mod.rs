//! One pane per file.
pub mod models;
pub mod permissions;
pub mod unbuilt;
