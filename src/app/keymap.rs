//! The keymap: key strings from assets/default-config.toml (and the user's config) parsed into
//! crossterm key events per context. The footer's hints are generated from the same table that
//! handles the keys, so they cannot disagree.

use crate::app::action::{Action, Context};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::HashMap;

/// A key as the keymap stores it: code and the modifiers that matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    /// Normalises a terminal event: shift is implied by an upper-case character.
    pub fn from_event(event: &KeyEvent) -> Key {
        let mut mods = event.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        if let KeyCode::Char(_) = event.code {
        } else {
            mods |= event.modifiers & KeyModifiers::SHIFT;
        }
        let code = event.code;
        if code == KeyCode::BackTab {
            mods -= KeyModifiers::SHIFT;
        }
        Key { code, mods }
    }

    /// Parses `q`, `ctrl-c`, `alt-x`, `enter`, `pageup`, `f5`, …
    pub fn parse(text: &str) -> Result<Key, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                mods |= KeyModifiers::CONTROL;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-") {
                mods |= KeyModifiers::ALT;
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest {
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "backspace" => KeyCode::Backspace,
            "delete" => KeyCode::Delete,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pageup" => KeyCode::PageUp,
            "pagedown" => KeyCode::PageDown,
            f if f.starts_with('f') && f.len() > 1 && f[1..].parse::<u8>().is_ok() => {
                KeyCode::F(f[1..].parse().unwrap_or(1))
            }
            c if c.chars().count() == 1 => KeyCode::Char(c.chars().next().unwrap_or(' ')),
            other => return Err(format!("unknown key {other:?}")),
        };
        Ok(Key { code, mods })
    }

    /// How the key is shown in hints.
    pub fn display(&self) -> String {
        let base = match self.code {
            KeyCode::Enter => "enter".into(),
            KeyCode::Esc => "esc".into(),
            KeyCode::Tab => "tab".into(),
            KeyCode::BackTab => "shift-tab".into(),
            KeyCode::Char(' ') => "space".into(),
            KeyCode::Backspace => "bksp".into(),
            KeyCode::Delete => "del".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::Home => "home".into(),
            KeyCode::End => "end".into(),
            KeyCode::PageUp => "pgup".into(),
            KeyCode::PageDown => "pgdn".into(),
            KeyCode::F(n) => format!("f{n}"),
            KeyCode::Char(c) => c.to_string(),
            _ => "?".into(),
        };
        let mut out = String::new();
        if self.mods.contains(KeyModifiers::CONTROL) {
            out.push_str("ctrl-");
        }
        if self.mods.contains(KeyModifiers::ALT) {
            out.push_str("alt-");
        }
        out + &base
    }
}

/// Bindings per context, in the order the config lists them.
#[derive(Debug, Clone, Default)]
pub struct Keymap {
    bindings: HashMap<Context, Vec<(Action, Vec<Key>)>>,
}

pub use crate::config::KeysTable;

impl Keymap {
    /// Builds from a `[keys]` table; errors name the context, action and key.
    pub fn from_table(table: &KeysTable) -> Result<Keymap, String> {
        let mut map = Keymap::default();
        map.merge(table)?;
        Ok(map)
    }

    /// Overrides bindings with a user table: an action listed there gets exactly those keys.
    pub fn merge(&mut self, table: &KeysTable) -> Result<(), String> {
        for (context_name, actions) in table {
            let context = Context::from_name(context_name)
                .ok_or_else(|| format!("[keys.{context_name}]: unknown context"))?;
            for (action_name, keys) in actions {
                let action = Action::from_name(action_name).ok_or_else(|| {
                    format!("[keys.{context_name}] {action_name}: unknown action")
                })?;
                let keys = keys
                    .iter()
                    .map(|k| {
                        Key::parse(k)
                            .map_err(|e| format!("[keys.{context_name}] {action_name}: {e}"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let list = self.bindings.entry(context).or_default();
                match list.iter_mut().find(|(a, _)| *a == action) {
                    Some(slot) => slot.1 = keys,
                    None => list.push((action, keys)),
                }
            }
        }
        // Show bindings in the vocabulary's order, not the file's alphabetical one.
        let rank = |a: &Action| {
            Action::ALL
                .iter()
                .position(|x| x == a)
                .unwrap_or(usize::MAX)
        };
        for list in self.bindings.values_mut() {
            list.sort_by_key(|(a, _)| rank(a));
        }
        Ok(())
    }

    /// The action a key means in a context (then globally).
    pub fn action(&self, context: Context, event: &KeyEvent) -> Option<Action> {
        let key = Key::from_event(event);
        let find = |ctx: Context| {
            self.bindings.get(&ctx).and_then(|list| {
                list.iter()
                    .find(|(_, keys)| keys.contains(&key))
                    .map(|(a, _)| *a)
            })
        };
        find(context).or_else(|| {
            if context == Context::Dialog {
                None
            } else {
                find(Context::Global)
            }
        })
    }

    /// The bindings of one context, for hints and help.
    pub fn bindings(&self, context: Context) -> &[(Action, Vec<Key>)] {
        self.bindings
            .get(&context)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// `key label` pairs for the footer: the first key of each listed action.
    pub fn hints(&self, context: Context, actions: &[Action]) -> Vec<(String, &'static str)> {
        actions
            .iter()
            .filter_map(|a| {
                let ctx_keys = self.bindings(context).iter().find(|(x, _)| x == a);
                let keys = ctx_keys
                    .or_else(|| self.bindings(Context::Global).iter().find(|(x, _)| x == a))?;
                keys.1.first().map(|k| (k.display(), a.label()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_display() {
        assert_eq!(Key::parse("ctrl-c").unwrap().display(), "ctrl-c");
        assert_eq!(
            Key::parse("G").unwrap(),
            Key {
                code: KeyCode::Char('G'),
                mods: KeyModifiers::NONE
            }
        );
        assert_eq!(Key::parse("f5").unwrap().code, KeyCode::F(5));
        assert!(Key::parse("hyper-x").is_err());
    }

    #[test]
    fn shift_is_implied_by_the_character() {
        let event = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&event), Key::parse("G").unwrap());
        let event = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&event), Key::parse("backtab").unwrap());
    }
}
