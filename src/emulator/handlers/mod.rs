//! One handler module per resource; each reads the request, works on the store and answers.

pub mod generate;
pub mod operations;
pub mod permissions;
pub mod storage;
pub mod tensorboard;
pub mod tuned_models;
pub mod vertex;
pub mod vertex_models;
pub mod vertex_rebase;
pub mod vertex_tokens;
