//! One pane per file.
pub mod contexts;
pub mod dataset;
pub mod job_detail;
pub mod jobs;
pub mod models;
pub mod monitor;
pub mod permissions;
pub mod playground;
pub mod preference;
pub mod vertex_tune;
