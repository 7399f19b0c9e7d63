//! The HTTP layer: the server that reads requests off the socket (`server`) and the router that
//! sends each path to its handler (`router`). The parsed request the handlers see is
//! `emulator::request`, outside this folder, so the handlers never depend on the layer that
//! calls them.

pub mod router;
pub mod server;
