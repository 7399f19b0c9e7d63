//! One handler module per resource; each reads the request, works on the store and answers.

pub mod generate;
pub mod operations;
pub mod permissions;
pub mod tuned_models;
