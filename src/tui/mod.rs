//! The terminal side: lifecycle, the event loop, theme, panes and widgets.
pub mod panes;
pub mod run;
pub mod terminal;
pub mod theme;
pub mod ui;
pub mod widgets;
