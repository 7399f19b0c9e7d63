//! The terminal's lifecycle: raw mode, alternate screen, mouse and bracketed paste on the way in,
//! all undone on the way out, on every path: normal exit, error, panic (a hook restores before
//! the report prints), and signals (the loop turns SIGINT/SIGTERM into a normal exit).

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{Stdout, Write, stdout};

pub type Tui = Terminal<CrosstermBackend<Stdout>>;

/// Restores the terminal; safe to call more than once.
pub fn restore() {
    let _ = disable_raw_mode();
    let mut out = stdout();
    let _ = execute!(
        out,
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = out.flush();
}

/// Owns the terminal while the dashboard runs; dropping it restores the terminal.
pub struct TerminalGuard {
    pub terminal: Tui,
}

impl TerminalGuard {
    pub fn enter() -> std::io::Result<TerminalGuard> {
        install_panic_hook();
        enable_raw_mode()?;
        let mut out = stdout();
        if let Err(e) = execute!(
            out,
            EnterAlternateScreen,
            EnableMouseCapture,
            EnableBracketedPaste
        ) {
            restore();
            return Err(e);
        }
        let terminal = match Terminal::new(CrosstermBackend::new(out)) {
            Ok(t) => t,
            Err(e) => {
                restore();
                return Err(e);
            }
        };
        Ok(TerminalGuard { terminal })
    }
}

impl TerminalGuard {
    /// Hands the terminal to another program ($EDITOR) and takes it back after: restored
    /// while it runs, then raw mode, the alternate screen, mouse and paste again and a full
    /// redraw.
    pub fn suspended<T>(&mut self, during: impl FnOnce() -> T) -> std::io::Result<T> {
        restore();
        let result = during();
        enable_raw_mode()?;
        execute!(
            stdout(),
            EnterAlternateScreen,
            EnableMouseCapture,
            EnableBracketedPaste
        )?;
        self.terminal.clear()?;
        Ok(result)
    }
}

/// The user's editor: `$VISUAL`, else `$EDITOR`, else `vi`.
pub fn editor_command() -> String {
    std::env::var("VISUAL")
        .ok()
        .filter(|e| !e.trim().is_empty())
        .or_else(|| std::env::var("EDITOR").ok())
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".to_owned())
}

/// Edits `text` in `editor` (see [`editor_command`]) through a temporary file, and returns what
/// was saved, or why not. The command runs through `sh`, so `EDITOR="code -w"` works.
pub fn edit_in_editor(editor: &str, text: &str) -> Result<String, String> {
    let file = tempfile::Builder::new()
        .prefix("tunedeck-edit-")
        .suffix(".txt")
        .tempfile()
        .map_err(|e| format!("could not make a temporary file: {e}"))?;
    std::fs::write(file.path(), text).map_err(|e| format!("could not write it: {e}"))?;
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("tunedeck-edit")
        .arg(file.path())
        .status()
        .map_err(|e| format!("could not run {editor}: {e}"))?;
    if !status.success() {
        return Err(format!(
            "{editor} exited with {status}; the field is unchanged"
        ));
    }
    let mut edited =
        std::fs::read_to_string(file.path()).map_err(|e| format!("could not read it back: {e}"))?;
    // Editors end the file with a newline the field did not have.
    if !text.ends_with('\n') && edited.ends_with('\n') {
        edited.pop();
        if edited.ends_with('\r') {
            edited.pop();
        }
    }
    Ok(edited)
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// Puts text on the clipboard with OSC 52 (works over SSH and in tmux with set-clipboard on).
pub fn copy_to_clipboard(text: &str) {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let mut out = stdout();
    let _ = write!(out, "\x1b]52;c;{encoded}\x07");
    let _ = out.flush();
}

/// Rings the terminal bell (BEL).
pub fn ring_bell() {
    let mut out = stdout();
    let _ = out.write_all(b"\x07");
    let _ = out.flush();
}
