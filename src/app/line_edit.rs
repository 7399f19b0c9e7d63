//! Editing a one-line field with a cursor, shared by every form: the display name, the tuning
//! and generation settings, the file prompt, an e-mail address. One text field has the focus at
//! a time, so the App keeps one cursor ([`super::App::line_cursor`]); `None` is the end.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn byte_at(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| i)
}

/// Applies an editing key to `text` at `cursor`; false when the key is not an editing key
/// (tab, enter, esc, arrows up and down…), so the form can use it.
pub fn edit_line(text: &mut String, cursor: &mut Option<usize>, key: &KeyEvent) -> bool {
    let len = text.chars().count();
    let mut at = cursor.unwrap_or(len).min(len);
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    match key.code {
        KeyCode::Char('a') if ctrl => at = 0,
        KeyCode::Char('e') if ctrl => at = len,
        KeyCode::Char('u') if ctrl => {
            text.replace_range(..byte_at(text, at), "");
            at = 0;
        }
        KeyCode::Char('k') if ctrl => text.truncate(byte_at(text, at)),
        KeyCode::Char('w') if ctrl => {
            let chars: Vec<char> = text.chars().collect();
            let mut start = at;
            while start > 0 && chars[start - 1].is_whitespace() {
                start -= 1;
            }
            while start > 0 && !chars[start - 1].is_whitespace() {
                start -= 1;
            }
            text.replace_range(byte_at(text, start)..byte_at(text, at), "");
            at = start;
        }
        KeyCode::Char(c) if !ctrl && !alt => {
            text.insert(byte_at(text, at), c);
            at += 1;
        }
        KeyCode::Backspace if at > 0 => {
            text.remove(byte_at(text, at - 1));
            at -= 1;
        }
        KeyCode::Backspace => {}
        KeyCode::Delete if at < len => {
            text.remove(byte_at(text, at));
        }
        KeyCode::Delete => {}
        KeyCode::Left => at = at.saturating_sub(1),
        KeyCode::Right => at = (at + 1).min(len),
        KeyCode::Home => at = 0,
        KeyCode::End => at = len,
        _ => return false,
    }
    let len = text.chars().count();
    *cursor = (at < len).then_some(at);
    true
}

/// Inserts pasted text at the cursor: its first line only (a one-line field), as one edit.
pub fn insert(text: &mut String, cursor: &mut Option<usize>, pasted: &str) {
    let line = pasted.lines().next().unwrap_or("");
    let len = text.chars().count();
    let at = cursor.unwrap_or(len).min(len);
    text.insert_str(byte_at(text, at), line);
    let at = at + line.chars().count();
    let len = text.chars().count();
    *cursor = (at < len).then_some(at);
}

/// A key for a multi-line editor (an example's fields, the Playground prompt), with the same
/// editing keys as every one-line field: ctrl-u deletes to the start of the line, ctrl-z
/// undoes and ctrl-y redoes typing; the rest is ratatui-textarea's.
pub fn edit_area(area: &mut ratatui_textarea::TextArea<'static>, key: KeyEvent) {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('u') if ctrl => {
            area.delete_line_by_head();
        }
        KeyCode::Char('z') if ctrl => {
            area.undo();
        }
        KeyCode::Char('y') if ctrl => {
            area.redo();
        }
        _ => {
            area.input(key);
        }
    }
}

/// A text area holding `text` with the cursor at its end, where typing goes on.
pub fn area_at_end(text: &str) -> ratatui_textarea::TextArea<'static> {
    let mut area =
        ratatui_textarea::TextArea::new(text.split('\n').map(str::to_owned).collect::<Vec<_>>());
    area.move_cursor(ratatui_textarea::CursorMove::Bottom);
    area.move_cursor(ratatui_textarea::CursorMove::End);
    area
}

/// The text with a bar where the cursor is, for drawing a focused field.
pub fn with_cursor(text: &str, cursor: Option<usize>) -> String {
    let at = byte_at(text, cursor.unwrap_or(usize::MAX));
    format!("{}▏{}", &text[..at], &text[at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(text: &mut String, cursor: &mut Option<usize>, code: KeyCode, mods: KeyModifiers) {
        assert!(edit_line(text, cursor, &KeyEvent::new(code, mods)));
    }

    #[test]
    fn typing_in_the_middle_and_deleting_around_the_cursor() {
        let (mut text, mut cursor) = ("Numbr gen".to_owned(), None);
        let none = KeyModifiers::NONE;
        for _ in 0..5 {
            press(&mut text, &mut cursor, KeyCode::Left, none);
        }
        press(&mut text, &mut cursor, KeyCode::Char('e'), none);
        assert_eq!((text.as_str(), cursor), ("Number gen", Some(5)));
        assert_eq!(with_cursor(&text, cursor), "Numbe▏r gen");
        press(&mut text, &mut cursor, KeyCode::Delete, none);
        press(&mut text, &mut cursor, KeyCode::Backspace, none);
        assert_eq!(text, "Numb gen");
        press(&mut text, &mut cursor, KeyCode::End, none);
        assert_eq!(cursor, None, "the end");
        press(
            &mut text,
            &mut cursor,
            KeyCode::Char('w'),
            KeyModifiers::CONTROL,
        );
        assert_eq!(text, "Numb ");
        press(
            &mut text,
            &mut cursor,
            KeyCode::Char('a'),
            KeyModifiers::CONTROL,
        );
        press(&mut text, &mut cursor, KeyCode::Char('é'), none);
        assert_eq!((text.as_str(), cursor), ("éNumb ", Some(1)));
        press(
            &mut text,
            &mut cursor,
            KeyCode::Char('k'),
            KeyModifiers::CONTROL,
        );
        assert_eq!((text.as_str(), cursor), ("é", None));
        press(
            &mut text,
            &mut cursor,
            KeyCode::Char('u'),
            KeyModifiers::CONTROL,
        );
        assert_eq!(text, "");
        assert!(!edit_line(
            &mut text,
            &mut cursor,
            &KeyEvent::new(KeyCode::Tab, none)
        ));
    }
}
