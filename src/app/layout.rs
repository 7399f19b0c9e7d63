//! Screen geometry that drawing and mouse hit-testing both need, in one place, so a click lands
//! on what was drawn there. Pure arithmetic on the terminal size; `tui` draws with these numbers
//! and `input` reads clicks with them.

use super::Tab;

/// The header: the title line, then the tab bar.
pub const HEADER_HEIGHT: u16 = 2;
/// The row of the tab bar.
pub const TAB_BAR_ROW: u16 = 1;
/// The key-hint line at the bottom.
pub const FOOTER_HEIGHT: u16 = 1;
/// A pane's border (top or bottom).
const BORDER: u16 = 1;
/// The models table's column titles.
const COLUMN_TITLES: u16 = 1;

/// Width of one tab title as drawn: " N Title " and a space after it.
pub fn tab_width(tab: Tab) -> u16 {
    tab.title().len() as u16 + 5
}

/// The tab whose title is drawn at `column` of the tab bar.
pub fn tab_at(column: u16) -> Option<Tab> {
    let mut x = 0u16;
    for tab in Tab::ALL {
        let width = tab_width(tab);
        if column >= x && column < x + width {
            return Some(tab);
        }
        x += width;
    }
    None
}

/// The screen row of the models table's first model.
pub const MODELS_FIRST_ROW: u16 = HEADER_HEIGHT + BORDER + COLUMN_TITLES;

/// How many models the table shows on a terminal `height` rows tall; one fewer while the line
/// saying a refresh failed is shown under it.
pub fn models_rows(height: u16, refresh_failed: bool) -> usize {
    usize::from(
        height
            .saturating_sub(HEADER_HEIGHT + FOOTER_HEIGHT + 2 * BORDER + COLUMN_TITLES)
            .saturating_sub(u16::from(refresh_failed)),
    )
}

/// Sorts a list's shown rows (indices into its items) by the items' keys, ties kept in list
/// order, the whole reversed when `descending`: the tuned models' and the tuning jobs' tables.
pub fn sort_rows<K>(
    rows: &mut [usize],
    keys: &[K],
    cmp: impl Fn(&K, &K) -> std::cmp::Ordering,
    descending: bool,
) {
    rows.sort_by(|a, b| {
        let order = cmp(&keys[*a], &keys[*b]).then(a.cmp(b));
        if descending { order.reverse() } else { order }
    });
}

/// Where the selection goes once the shown rows changed: onto the row `kept` picks when it is
/// still shown, else the same position, within the rows.
pub fn reselect(rows: &[usize], kept: impl Fn(usize) -> bool, selected: usize) -> usize {
    rows.iter()
        .position(|i| kept(*i))
        .unwrap_or(selected)
        .min(rows.len().saturating_sub(1))
}

/// A list's selection moved by `delta` rows, kept on one of its `len` rows (0 when empty).
pub fn moved(selected: usize, len: usize, delta: isize) -> usize {
    if len == 0 {
        return 0;
    }
    let last = len as isize - 1;
    (selected as isize).saturating_add(delta).clamp(0, last) as usize
}

/// The rows a table of `height` rows can show: what the table draws from.
pub fn table_offset(selected: usize, height: usize) -> usize {
    if height == 0 {
        selected
    } else {
        selected.saturating_sub(height - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_are_found_where_they_are_drawn() {
        assert_eq!(tab_at(0), Some(Tab::Models));
        assert_eq!(tab_at(tab_width(Tab::Models)), Some(Tab::Monitor));
        let all: u16 = Tab::ALL.iter().map(|t| tab_width(*t)).sum();
        assert_eq!(tab_at(all - 1), Some(Tab::Playground));
        assert_eq!(tab_at(all), None);
    }
}
