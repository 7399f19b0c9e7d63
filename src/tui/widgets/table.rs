//! What the two list tables (tuned models, Vertex AI tuning jobs) share: choosing the columns
//! that fit, the header with the sort arrow, and the title's filter and marks.

use ratatui::widgets::{Cell, Row};

/// Column widths in priority order (`all`); the lowest-priority columns drop out on narrow
/// screens (at least three stay), and the room left over widens the `grow` columns, in order,
/// each up to what `wanted` says its longest text needs. The result keeps `order`.
pub fn fit_columns<C: Copy + PartialEq>(
    width: u16,
    all: &[(C, u16)],
    grow: &[C],
    wanted: &dyn Fn(C) -> u16,
    order: &[C],
) -> Vec<(C, u16)> {
    let mut used = 2u16;
    let mut chosen = Vec::new();
    for &(c, w) in all {
        if used + w < width || chosen.len() < 3 {
            used += w + 1;
            chosen.push((c, w));
        }
    }
    let mut spare = width.saturating_sub(used);
    for g in grow {
        if let Some((_, w)) = chosen.iter_mut().find(|(c, _)| c == g) {
            let more = wanted(*g).saturating_sub(*w).min(spare);
            *w += more;
            spare -= more;
        }
    }
    chosen.sort_by_key(|(c, _)| order.iter().position(|x| x == c));
    chosen
}

/// The header row: each column's title, the sorted one with its arrow.
pub fn header<C: Copy + PartialEq>(
    columns: &[(C, u16)],
    title: impl Fn(C) -> &'static str,
    sort: C,
    descending: bool,
) -> Row<'static> {
    Row::new(columns.iter().map(|(c, _)| {
        let mut t = title(*c).to_owned();
        if *c == sort {
            t.push_str(if descending { "↓" } else { "↑" });
        }
        Cell::from(t)
    }))
}

/// The title's tail: ` · filter /text` while there is one, ` · N marked`.
pub fn filter_and_marks(
    filter: &str,
    editing: bool,
    cursor: Option<usize>,
    marked: usize,
) -> String {
    let mut t = String::new();
    if !filter.is_empty() || editing {
        let filter = if editing {
            crate::app::line_edit::with_cursor(filter, cursor)
        } else {
            filter.to_owned()
        };
        t.push_str(&format!(" · filter /{filter}"));
    }
    if marked > 0 {
        t.push_str(&format!(" · {marked} marked"));
    }
    t
}

/// A dataset row's lint mark and its style (error, warning or none), and its selection mark:
/// the same in every kind of dataset table.
pub fn row_marks(
    lint: Option<crate::dataset::lint::Severity>,
    marked: bool,
    theme: &crate::tui::theme::Theme,
) -> (&'static str, ratatui::style::Style, &'static str) {
    use crate::dataset::lint::Severity;
    let (mark, style) = match lint {
        Some(Severity::Error) => ("✗", theme.error),
        Some(Severity::Warning) => ("!", theme.warn),
        None => (" ", ratatui::style::Style::default()),
    };
    (mark, style, if marked { "●" } else { " " })
}
