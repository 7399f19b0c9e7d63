//! Vertex AI supervised tuning (the aiplatform v1 discovery document, tests/fixtures/discovery):
//! the wire types, and the client that speaks it: tuning jobs, Cloud Storage uploads, the
//! TensorBoard series behind a job's loss curves, and generation on tuned endpoints.

pub mod client;
pub mod model;
pub mod rebase;
pub mod types;
