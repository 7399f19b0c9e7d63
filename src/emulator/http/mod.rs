//! The HTTP layer: the parsed request and page tokens (`request`), and the router that sends
//! each path to its handler (`router`).

pub mod request;
pub mod router;
pub mod server;
