//! The Gemini API tuning surface in Rust: wire types, the HTTP client, auth, errors, SSE.

pub mod auth;
pub mod client;
pub mod error;
pub mod names;
pub mod redact;
pub mod serde_util;
pub mod sse;
pub mod types;
pub mod vertex;
pub(crate) mod wire_enum;

pub use auth::Credentials;
pub use client::{ApiClient, ClientConfig};
pub use error::{ApiError, Code, ErrorKind};
