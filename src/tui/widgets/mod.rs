//! Pieces of the shell around the panes.
pub mod dialog;
pub mod footer;
pub mod header;
pub mod overlays;
pub mod table;

pub use crate::domain::generation::preview;
