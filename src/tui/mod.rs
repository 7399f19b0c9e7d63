//! The terminal side: lifecycle, the event loop, keymap, theme, panes and widgets.
pub mod keymap;
pub mod panes;
pub mod run;
pub mod terminal;
pub mod theme;
pub mod ui;
pub mod widgets;
