//! Pieces of the shell around the panes.
pub mod dialog;
pub mod footer;
pub mod header;
pub mod overlays;

/// A text on one line of at most `width` characters: newlines shown as ⏎, the rest cut with
/// an ellipsis. Tables, lists and the CLI's tables all preview text this way.
pub fn preview(text: &str, width: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c == '\n' { '⏎' } else { c })
        .collect();
    if flat.chars().count() > width {
        flat.chars()
            .take(width.saturating_sub(1))
            .collect::<String>()
            + "…"
    } else {
        flat
    }
}
