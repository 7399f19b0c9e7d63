//! Saving the dataset: to its file (atomically, never silently over a file changed outside),
//! to a new file (save-as, for a dataset that has none or recovered edits whose file changed),
//! the journal kept in step with every committed change, and the question a recovery asks when
//! its file changed on disk.

use crate::app::dataset::{PromptKind, Saving, journal_text};
use crate::app::{App, Level, Pending};
use crate::dataset::base::FileBase;
use crate::dataset::format::{self, Format};
use crate::protocol::{Cmd, SaveOutcome};
use crossterm::event::{KeyCode, KeyEvent};
use std::path::{Path, PathBuf};
use std::time::Instant;

impl App {
    /// After a committed change: relint, mark unsaved, and journal the examples; back at the
    /// saved point, the journal goes (a restart then opens the file clean).
    pub(in crate::app) fn dataset_changed(&mut self) -> Vec<Cmd> {
        let pane = &mut self.dataset;
        // Undoing back to what was saved reads as saved again.
        pane.dirty = !pane.dataset.is_as_saved();
        // Indices move with inserts, removals and moves: marks would point at other examples.
        pane.marked.clear();
        pane.relint();
        let Some(journal) = self.journal.clone() else {
            return Vec::new();
        };
        if !self.dataset.dirty {
            return vec![Cmd::RemoveFile { path: journal }];
        }
        let pane = &self.dataset;
        let text = journal_text(
            pane.path.as_ref(),
            pane.base.as_ref(),
            &pane.dataset.examples,
        );
        vec![self.file_command(Pending::Journal, journal, text)]
    }

    /// Saves to the dataset's file, atomically; a dataset with no file asks where (save-as).
    pub(in crate::app) fn save_dataset(&mut self, now: Instant) -> Vec<Cmd> {
        if let Some(conflict) = self.dataset.conflict.as_mut() {
            // Recovered edits over a file that changed outside: the question again, where it
            // is drawn (ctrl-s in the quit question may come from any tab).
            conflict.hidden = false;
            conflict.asking_overwrite = false;
            self.tab = crate::app::Tab::Dataset;
            return Vec::new();
        }
        let Some(path) = self.dataset.path.clone() else {
            self.open_prompt(PromptKind::SaveAs);
            return Vec::new();
        };
        let save_format = self.dataset.save_format();
        let overwrite = self.dataset.overwrite;
        self.save_to(path, save_format, !overwrite, now)
    }

    /// Writes the examples to `path` in `save_format`; `guard`: refuse when the file changed
    /// on disk since it was read.
    pub(in crate::app) fn save_to(
        &mut self,
        path: PathBuf,
        save_format: Format,
        guard: bool,
        now: Instant,
    ) -> Vec<Cmd> {
        let save_format = format::writing_format(&self.dataset.dataset.examples, save_format);
        if let Some(n) =
            format::first_preference_unkept(&self.dataset.dataset.examples, save_format)
        {
            self.toast(
                format!(
                    "Not saved: example {n} is a preference example (a prompt, a preferred and a rejected answer) that {} cannot hold; save it as .jsonl or .preference.jsonl",
                    save_format.name()
                ),
                Level::Error,
                now,
            );
            return Vec::new();
        }
        if let Some(n) = format::first_unkept(&self.dataset.dataset.examples, save_format) {
            self.toast(
                format!(
                    "Not saved: example {n} has Vertex AI turns or a system instruction that {} cannot hold; export the set as Vertex AI JSONL (x, a name ending .vertex.jsonl)",
                    save_format.name()
                ),
                Level::Error,
                now,
            );
            return Vec::new();
        }
        let text = match (&self.dataset.kept_lines, save_format) {
            (Some(kept), Format::Vertex) => crate::dataset::kept_lines::write_kept(
                &self.dataset.dataset.examples,
                kept,
                self.dataset.spaced_json,
            ),
            (Some(kept), Format::Preference) => crate::dataset::kept_lines::write_kept_with(
                &self.dataset.dataset.examples,
                kept,
                self.dataset.spaced_json,
                |e| crate::dataset::preference::PreferenceExample::from_editor(e).raw,
            ),
            _ => format::write_styled(
                &self.dataset.dataset.examples,
                save_format,
                self.dataset.spaced_json,
            ),
        };
        self.dataset.saving = Some(Saving {
            depth: self.dataset.dataset.depth(),
            path: path.clone(),
            format: save_format,
            base: FileBase::of_bytes(text.as_bytes(), None),
        });
        let id = self.next_request;
        self.next_request += 1;
        self.pending.insert(id, Pending::SaveDataset);
        let unless_modified_since = if guard && self.dataset.path.as_ref() == Some(&path) {
            self.dataset.disk_modified
        } else {
            None
        };
        vec![Cmd::SaveFile {
            id,
            path,
            contents: text.into_bytes(),
            unless_modified_since,
        }]
    }

    /// What a save came to: saved (the journal is no longer needed), refused because the file
    /// changed on disk (the next save overwrites), or failed.
    pub(in crate::app) fn dataset_save_outcome(
        &mut self,
        path: &Path,
        outcome: SaveOutcome,
        now: Instant,
    ) -> Vec<Cmd> {
        match outcome {
            SaveOutcome::Saved(modified) => {
                self.dataset.disk_modified = modified;
                self.dataset.overwrite = false;
                self.dataset_saved(path, modified, now)
            }
            SaveOutcome::ChangedOnDisk => {
                self.dataset.saving = None;
                self.dataset.overwrite = true;
                self.toast(
                    format!("{} changed on disk since it was opened; not saved. Save again to overwrite it.", path.display()),
                    Level::Error,
                    now,
                );
                Vec::new()
            }
            SaveOutcome::Failed(e) => {
                self.dataset.saving = None;
                self.toast(
                    format!("Could not save {}: {e}", path.display()),
                    Level::Error,
                    now,
                );
                Vec::new()
            }
        }
    }

    /// A saved dataset no longer needs its journal; saved under a new name, it is that file's.
    fn dataset_saved(
        &mut self,
        path: &Path,
        modified: Option<std::time::SystemTime>,
        now: Instant,
    ) -> Vec<Cmd> {
        let pane = &mut self.dataset;
        // What was saved is the state when the save was asked for; edits since stay unsaved.
        let saving = pane.saving.take();
        let depth = saving.as_ref().map_or(pane.dataset.depth(), |s| s.depth);
        if let Some(saving) = saving {
            pane.base = Some(FileBase {
                modified: FileBase::of_bytes(b"", modified).modified,
                ..saving.base
            });
            if pane.path.as_deref() != Some(path) {
                pane.path = Some(path.to_owned());
                pane.format = Some(saving.format);
            }
        }
        pane.conflict = None;
        pane.dataset.mark_saved_at(depth);
        pane.dirty = !pane.dataset.is_as_saved();
        let count = pane.len();
        self.toast(
            format!(
                "Saved {} to {}",
                crate::domain::words::count(count as u64, "example"),
                path.display()
            ),
            Level::Info,
            now,
        );
        match self.journal.clone() {
            // Edits made while the save was on its way are journalled against the new base.
            Some(journal) if self.dataset.dirty => {
                let pane = &self.dataset;
                let text = journal_text(
                    pane.path.as_ref(),
                    pane.base.as_ref(),
                    &pane.dataset.examples,
                );
                vec![self.file_command(Pending::Journal, journal, text)]
            }
            Some(path) => vec![Cmd::RemoveFile { path }],
            None => Vec::new(),
        }
    }

    /// The save-as prompt's path: a file name whose extension picks the format, in a folder
    /// that exists, not a file that exists (that is `o`'s, or an overwrite's after a question).
    pub(in crate::app) fn save_as(&mut self, text: &str, now: Instant) -> Result<Vec<Cmd>, String> {
        if text.is_empty() {
            return Err("type the new file's path".into());
        }
        if text.ends_with('/') {
            return Err(format!("{text} is a folder: name the file"));
        }
        let path = super::files::expand_home(text);
        if path.is_dir() {
            return Err(format!("{} is a folder: name the file", path.display()));
        }
        let Some(save_format) = Format::from_path(&path).filter(|f| *f != Format::ApiBody) else {
            return Err(
                "name the file .jsonl, .json, .csv or .vertex.jsonl: its extension picks the format"
                    .into(),
            );
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
            && !parent.is_dir()
        {
            return Err(format!(
                "there is no folder {}: make it first, or choose another",
                parent.display()
            ));
        }
        if path.exists() {
            return Err(format!(
                "{} exists: choose a new name (o opens it instead)",
                path.display()
            ));
        }
        Ok(self.save_to(path, save_format, false, now))
    }

    /// `:saveas` with no path: the prompt, with completion.
    pub(in crate::app) fn open_save_as(&mut self) {
        self.open_prompt(PromptKind::SaveAs);
    }

    /// `:w PATH` / `:saveas PATH`: save there; a refused path opens the prompt with it and why.
    pub(in crate::app) fn save_as_from_palette(&mut self, text: &str, now: Instant) -> Vec<Cmd> {
        match self.save_as(text, now) {
            Ok(cmds) => {
                if let Some(conflict) = self.dataset.conflict.as_mut() {
                    conflict.hidden = true;
                }
                cmds
            }
            Err(e) => {
                self.open_prompt(PromptKind::SaveAs);
                if let Some(prompt) = self.dataset.prompt.as_mut() {
                    prompt.input = text.to_owned();
                    prompt.error = Some(e);
                }
                Vec::new()
            }
        }
    }

    /// Keys while a recovery's question is shown: `s` save under a new name, `o` overwrite
    /// (after a second question), `d` discard the edits and open the file as it is, `esc`
    /// decide later (a save asks again).
    pub(in crate::app) fn on_conflict_input(
        &mut self,
        key: KeyEvent,
        now: Instant,
    ) -> Option<Vec<Cmd>> {
        let conflict = self.dataset.conflict.as_mut().filter(|c| !c.hidden)?;
        if key.modifiers.intersects(
            crossterm::event::KeyModifiers::CONTROL | crossterm::event::KeyModifiers::ALT,
        ) {
            // A choice is a plain letter: ctrl-s (save) or a stray chord chooses nothing.
            return Some(Vec::new());
        }
        if conflict.asking_overwrite {
            match key.code {
                KeyCode::Char('y') => {
                    self.dataset.conflict = None;
                    let path = self.dataset.path.clone()?;
                    let save_format = self.dataset.save_format();
                    return Some(self.save_to(path, save_format, false, now));
                }
                KeyCode::Char('n') | KeyCode::Esc => conflict.asking_overwrite = false,
                _ => {}
            }
            return Some(Vec::new());
        }
        match key.code {
            KeyCode::Char('s') => {
                conflict.hidden = true;
                self.open_prompt(PromptKind::SaveAs);
            }
            KeyCode::Char('o') => conflict.asking_overwrite = true,
            KeyCode::Char('d') => return Some(self.discard_recovered(now)),
            KeyCode::Esc => {
                conflict.hidden = true;
                self.toast(
                    "The recovered edits stay unsaved; saving asks again",
                    Level::Info,
                    now,
                );
            }
            _ => {}
        }
        Some(Vec::new())
    }

    /// The recovered edits go; the file is read as it is on disk now (or, gone, starts empty).
    fn discard_recovered(&mut self, now: Instant) -> Vec<Cmd> {
        let Some(conflict) = self.dataset.conflict.take() else {
            return Vec::new();
        };
        self.dataset.dirty = false;
        let mut cmds: Vec<Cmd> = self
            .journal
            .clone()
            .map(|path| Cmd::RemoveFile { path })
            .into_iter()
            .collect();
        self.toast("Recovered edits discarded", Level::Info, now);
        if conflict.on_disk.is_some() {
            cmds.extend(self.read_dataset(conflict.path, None));
        } else {
            let format = Format::from_path(&conflict.path).unwrap_or(Format::Jsonl);
            self.replace_dataset(conflict.path, Vec::new(), format, None);
        }
        cmds
    }
}
