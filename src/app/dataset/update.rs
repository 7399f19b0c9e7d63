//! The App's handling of the Dataset pane: moving, editing an example in its two fields,
//! adding, duplicating, deleting, moving, undo and redo; every committed change is written to
//! the autosave journal, and saving writes the file atomically.

use crate::api::types::TuningExample;
use crate::app::action::Action;
use crate::app::dataset::{ExampleEditor, PromptKind};
use crate::app::form::{Focus, FormField};
use crate::app::{App, Level, Pending};
use crate::dataset::format;
use crate::domain::tuning::TuningField;
use crate::protocol::Cmd;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::time::Instant;

/// Why another file cannot be opened yet.
pub(in crate::app) const UNSAVED_BEFORE_OPEN: &str = "this dataset has unsaved changes: esc, then ctrl-s saves them (asking for a file name when there is none), or u undoes them";

impl App {
    pub(in crate::app) fn file_command(
        &mut self,
        pending: Pending,
        path: std::path::PathBuf,
        contents: String,
    ) -> Cmd {
        let id = self.next_request;
        self.next_request += 1;
        self.pending.insert(id, pending);
        Cmd::WriteFile {
            id,
            path,
            contents: contents.into_bytes(),
        }
    }

    pub(in crate::app) fn on_dataset_action(&mut self, action: Action, now: Instant) -> Vec<Cmd> {
        let page = self.table_height().max(1) as isize;
        let at = self.dataset.selected;
        if let Some(next) = &self.dataset.loading
            && changes_the_dataset(action)
        {
            // The dataset on screen is about to be replaced: an edit now would change (and
            // journal) one that is going away.
            self.toast(
                format!(
                    "Loading {}… (moving works; edits wait for it)",
                    next.display()
                ),
                Level::Info,
                now,
            );
            return Vec::new();
        }
        let pane = &mut self.dataset;
        let changed = match action {
            Action::Up => {
                pane.move_by(-1);
                false
            }
            Action::Down => {
                pane.move_by(1);
                false
            }
            Action::PageUp => {
                pane.move_by(-page);
                false
            }
            Action::PageDown => {
                pane.move_by(page);
                false
            }
            Action::Top => {
                pane.selected = 0;
                false
            }
            Action::Bottom => {
                pane.move_by(isize::MAX / 2);
                false
            }
            Action::Open => {
                if let Some(example) = pane.dataset.examples.get(at) {
                    pane.editor = Some(ExampleEditor::new(at, example));
                }
                false
            }
            Action::Add => {
                let index = if pane.is_empty() { 0 } else { at + 1 };
                // A preference dataset's new example has a rejected answer to fill in too.
                let new = if pane.is_preference() {
                    crate::dataset::preference::PreferenceExample::new("", "", "").to_editor()
                } else {
                    TuningExample::default()
                };
                pane.dataset.insert(index, vec![new.clone()]);
                pane.selected = index;
                pane.editor = Some(ExampleEditor::new(index, &new));
                true
            }
            Action::SwapAnswers if !pane.is_empty() => {
                let Some(example) = pane
                    .dataset
                    .examples
                    .get(at)
                    .filter(|e| e.preference.is_some())
                else {
                    self.toast(
                        format!(
                            "Example {} is not a preference example: it has no rejected answer to swap",
                            at + 1
                        ),
                        Level::Error,
                        now,
                    );
                    return Vec::new();
                };
                let swapped = crate::dataset::preference::swap_in_editor(example);
                let done = pane.dataset.replace(at, swapped);
                if done {
                    self.toast(
                        format!(
                            "Example {}: the preferred and the rejected answers swapped (u undoes)",
                            at + 1
                        ),
                        Level::Info,
                        now,
                    );
                }
                done
            }
            Action::Duplicate => {
                let done = pane.dataset.duplicate(at);
                if done {
                    pane.selected = at + 1;
                }
                done
            }
            Action::Mark if !pane.is_empty() => {
                if !pane.marked.remove(&at) {
                    pane.marked.insert(at);
                }
                pane.move_by(1);
                false
            }
            Action::Back => {
                pane.marked.clear();
                false
            }
            Action::Search => {
                self.open_prompt(PromptKind::Search);
                return Vec::new();
            }
            Action::SearchNext | Action::SearchPrev => {
                self.search(action == Action::SearchNext, now);
                return Vec::new();
            }
            Action::ExportAs => {
                self.open_prompt(PromptKind::Export);
                return Vec::new();
            }
            Action::OpenFile if pane.dirty => {
                // The prompt opens all the same, saying why it cannot open a file yet: what is
                // typed next goes into it, not to the table as commands (a path starting with
                // `d` would delete an example).
                self.open_prompt(PromptKind::Open);
                if let Some(prompt) = self.dataset.prompt.as_mut() {
                    prompt.error = Some(UNSAVED_BEFORE_OPEN.into());
                }
                return Vec::new();
            }
            Action::OpenFile => {
                self.open_prompt(PromptKind::Open);
                return Vec::new();
            }
            Action::Delete if !pane.marked.is_empty() => {
                let marked: Vec<usize> = pane.marked.iter().copied().collect();
                let done = pane.dataset.remove_many(&marked);
                if done {
                    self.toast(
                        format!(
                            "Deleted {} (u undoes)",
                            crate::domain::words::count(marked.len() as u64, "marked example")
                        ),
                        Level::Info,
                        now,
                    );
                }
                done
            }
            Action::Delete => {
                let done = pane.dataset.remove(at, 1);
                if done {
                    self.toast(
                        format!("Deleted example {} (u undoes)", at + 1),
                        Level::Info,
                        now,
                    );
                }
                done
            }
            Action::MoveUp if at > 0 => {
                let done = pane.dataset.move_to(at, at - 1);
                pane.selected = at - 1;
                done
            }
            Action::MoveDown if at + 1 < pane.len() => {
                let done = pane.dataset.move_to(at, at + 1);
                pane.selected = at + 1;
                done
            }
            Action::Undo => {
                let done = pane.dataset.undo().is_some();
                if !done {
                    self.toast("Nothing to undo", Level::Info, now);
                }
                done
            }
            Action::Redo => {
                let done = pane.dataset.redo().is_some();
                if !done {
                    self.toast("Nothing to redo", Level::Info, now);
                }
                done
            }
            Action::Save => return self.save_dataset(now),
            Action::Tune => return self.open_tune_form(now),
            Action::SystemInstruction | Action::SystemInstructionAll if !pane.is_empty() => {
                if let Some(why) = self.no_system_instruction() {
                    self.toast(why, Level::Error, now);
                    return Vec::new();
                }
                let all = action == Action::SystemInstructionAll;
                self.open_prompt(PromptKind::System { all });
                return Vec::new();
            }
            _ => return self.on_global_action(action, now),
        };
        if changed {
            self.dataset_changed()
        } else {
            Vec::new()
        }
    }

    /// Why `i`/`I` cannot set a system instruction here: the Gemini API tunes pairs, and a
    /// pair file (JSONL, JSON, CSV) has nowhere to keep one. `None` when it can.
    fn no_system_instruction(&self) -> Option<String> {
        if !self.follows_vertex {
            return Some("The Gemini API tunes text_input/output pairs, which have no system instruction: nothing changed (start tunedeck with --vertex for Vertex AI's)".into());
        }
        let pane = &self.dataset;
        match (&pane.path, pane.save_format()) {
            (None, _) | (_, format::Format::Vertex | format::Format::Preference) => None,
            (Some(path), f) => Some(format!(
                "{} is {}, which cannot hold a system instruction: nothing changed. Export it as Vertex AI JSONL (x, a name ending .vertex.jsonl) and open that",
                path.display(),
                f.name()
            )),
        }
    }

    /// Opens the start-tuning form, unless lint errors would make the service refuse the set.
    fn open_tune_form(&mut self, now: Instant) -> Vec<Cmd> {
        if self.follows_vertex {
            return self.open_vertex_tune_form(now);
        }
        if self.dataset.is_preference() {
            // Tuned as pairs, its rejected answers would be lost without a word.
            self.toast(
                "These are preference (DPO) examples; the Gemini API tunes text_input/output pairs only: start with --vertex for preference tuning on Vertex AI",
                Level::Error,
                now,
            );
            return Vec::new();
        }
        if let Some(n) = format::first_unkept(&self.dataset.dataset.examples, format::Format::Jsonl)
        {
            self.toast(
                format!(
                    "Example {n} is a Vertex AI example (more turns or a system instruction); the Gemini API tunes on text_input/output pairs: start with --vertex to tune it on Vertex AI"
                ),
                Level::Error,
                now,
            );
            return Vec::new();
        }
        let errors = self
            .dataset
            .issues
            .iter()
            .filter(|i| i.severity == crate::dataset::lint::Severity::Error)
            .count();
        if errors > 0 {
            self.toast(
                format!("{errors} lint errors (✗) block tuning: fix them first"),
                Level::Error,
                now,
            );
            return Vec::new();
        }
        if self.dataset.is_empty() {
            self.toast("Add examples before tuning", Level::Error, now);
            return Vec::new();
        }
        let mut form = match &self.last_tune {
            Some(settings) => crate::app::dataset::TuneForm::with_settings(settings),
            None => crate::app::dataset::TuneForm::default(),
        };
        if let Some(path) = &self.dataset.path {
            let stem: String = path
                .file_stem()
                .map(|s| {
                    s.to_string_lossy()
                        .chars()
                        .take(crate::domain::limits::MAX_DISPLAY_NAME_CHARS)
                        .collect()
                })
                .unwrap_or_default();
            form.values
                .set(crate::domain::tuning::TuningField::DisplayName, stem);
        }
        self.dataset.tune = Some(form);
        vec![self.request(Pending::TuneBases, crate::protocol::ApiCall::ListModels)]
    }

    /// Keys while the start-tuning form is open. `enter` and `tab` move to the next field;
    /// `enter` after the last one opens the review of what will be created. Only an explicit
    /// confirm starts the job: `enter` on the review, or `ctrl-s`/`ctrl-enter` anywhere in it.
    pub(in crate::app) fn on_tune_input(&mut self, key: KeyEvent) -> Option<Vec<Cmd>> {
        let pane = &mut self.dataset;
        let form = pane.tune.as_mut()?;
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let confirm = ctrl && matches!(key.code, KeyCode::Enter | KeyCode::Char('s'));
        if form.starting {
            // The create is on its way: nothing sends it twice.
            return Some(Vec::new());
        }
        if form.review.is_some() {
            match key.code {
                KeyCode::Enter => return Some(self.start_tuning()),
                _ if confirm => return Some(self.start_tuning()),
                KeyCode::Esc | KeyCode::Backspace | KeyCode::BackTab | KeyCode::Up => {
                    form.review = None;
                }
                _ => {}
            }
            return Some(Vec::new());
        }
        match key.code {
            _ if confirm => return Some(self.start_tuning()),
            KeyCode::Esc => pane.tune = None,
            KeyCode::Enter if form.focus == Focus::Choice(TuningField::CHOICES - 1) => {
                match form.review_rows(&pane.dataset.examples) {
                    Ok(rows) => {
                        form.review = Some(rows);
                        form.error = None;
                    }
                    Err(problem) => form.error = Some(problem),
                }
            }
            KeyCode::Tab | KeyCode::Down | KeyCode::Enter => form.focus = form.focus.next(),
            KeyCode::BackTab | KeyCode::Up => form.focus = form.focus.previous(),
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ') if form.focus.text().is_none() => {
                let count = form.bases.as_ref().map_or(1, |b| b.len().max(1));
                form.base = if key.code == KeyCode::Left {
                    (form.base + count - 1) % count
                } else {
                    (form.base + 1) % count
                };
            }
            _ => {
                if let Some(field) = form.focus.text()
                    && crate::app::line_edit::edit_line(
                        form.values.get_mut(field),
                        &mut self.line_cursor,
                        &key,
                    )
                {
                    form.error = None;
                }
            }
        }
        Some(Vec::new())
    }

    /// The explicit confirm: the create request, or the first problem (the form then shows its
    /// fields again, with the reason).
    fn start_tuning(&mut self) -> Vec<Cmd> {
        let pane = &mut self.dataset;
        let Some(form) = pane.tune.as_mut() else {
            return Vec::new();
        };
        // Only submitting needs the examples: borrowed, not copied, on every key.
        match form.to_request(&pane.dataset.examples) {
            Err(problem) => {
                form.review = None;
                form.error = Some(problem);
                Vec::new()
            }
            Ok(request) => {
                form.error = Some("Starting…".into());
                form.starting = true;
                form.held_out = request.held_out;
                vec![self.request(
                    Pending::TuneCreate,
                    crate::protocol::ApiCall::CreateTunedModel {
                        model: Box::new(request.model),
                        id: request.id,
                    },
                )]
            }
        }
    }

    /// Tuning started: follow the operation in the Monitor.
    pub(in crate::app) fn tuning_started(
        &mut self,
        operation: crate::api::types::Operation,
        now: Instant,
    ) -> Vec<Cmd> {
        let form = self.dataset.tune.take();
        let steps = operation.tuning_metadata().map_or(0, |m| m.total_steps);
        let model = operation.tuned_model_name().unwrap_or_default();
        self.toast(format!("Tuning {model}: {steps} steps"), Level::Info, now);
        self.monitor.select_model = Some(model);
        self.tab = crate::app::Tab::Monitor;
        let mut cmds = Vec::new();
        if let Some(form) = form {
            let mut settings = form.settings();
            // The Vertex AI form's settings are kept beside these.
            settings.vertex = self.last_tune.as_ref().and_then(|t| t.vertex.clone());
            if let Some(path) = self.tune_settings_file.clone() {
                let text = serde_json::to_string_pretty(&settings).unwrap_or_default();
                cmds.push(self.file_command(Pending::Settings, path, text));
            }
            self.last_tune = Some(settings);
            if !form.held_out.is_empty() {
                let path = crate::dataset::held_out_path(self.dataset.path.as_deref());
                let count = form.held_out.len();
                let text = format::write(&form.held_out, format::Format::Jsonl);
                cmds.push(self.file_command(Pending::Export, path.clone(), text));
                self.toast(
                    format!(
                        "{count} held-out examples saved to {} for evaluation",
                        path.display()
                    ),
                    Level::Info,
                    now,
                );
            }
        }
        cmds.extend(self.track_operations(vec![operation]));
        cmds.extend(self.refresh_list());
        cmds
    }

    /// Keys while an example is open: they type into the focused field; `tab` switches
    /// fields; `esc` keeps the edit and closes; `ctrl-s` keeps it and saves.
    pub(in crate::app) fn on_editor_input(
        &mut self,
        key: KeyEvent,
        now: Instant,
    ) -> Option<Vec<Cmd>> {
        let editor = self.dataset.editor.as_mut()?;
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Tab => editor.next_field(true),
            KeyCode::BackTab => editor.next_field(false),
            KeyCode::Esc => return Some(self.close_editor()),
            // Discard: close without keeping what was typed.
            KeyCode::Char('g') if ctrl => {
                self.dataset.editor = None;
                self.toast("Edit discarded", Level::Info, now);
            }
            KeyCode::Char('o') if ctrl => {
                let text = editor.focused_mut().lines().join("\n");
                self.effects.push(Cmd::EditExternally(text));
            }
            KeyCode::Char('z') if ctrl => {
                let focus = editor.focus();
                // The field's own typing first; then what `$EDITOR` replaced, in one step.
                if !editor.focused_mut().undo()
                    && editor
                        .before_external
                        .last()
                        .is_some_and(|(o, _)| *o == focus)
                    && let Some((_, before)) = editor.before_external.pop()
                {
                    *editor.field_mut(focus) = before;
                }
            }
            KeyCode::Char('s') if ctrl => {
                let mut cmds = self.close_editor();
                cmds.extend(self.save_dataset(now));
                return Some(cmds);
            }
            _ => crate::app::line_edit::edit_area(editor.focused_mut(), key),
        }
        Some(Vec::new())
    }

    /// `$EDITOR` returned: its text replaces the focused field (still open, so esc keeps it and
    /// undo takes it back as one change).
    pub(in crate::app) fn edited_externally(
        &mut self,
        result: Result<String, String>,
        now: Instant,
    ) {
        match (result, self.dataset.editor.as_mut()) {
            (Ok(text), Some(editor)) => {
                let focus = editor.focus();
                let field = editor.field_mut(focus);
                if field.lines().join("\n") == text {
                    return;
                }
                let block = field.block().cloned();
                let before = std::mem::replace(field, crate::app::line_edit::area_at_end(&text));
                if let Some(block) = block {
                    field.set_block(block);
                }
                editor.before_external.push((focus, before));
            }
            (Ok(_), None) => {}
            (Err(e), _) => self.toast(e, Level::Error, now),
        }
    }

    /// Closes the editor, keeping what was typed as one undoable change.
    fn close_editor(&mut self) -> Vec<Cmd> {
        let Some(editor) = self.dataset.editor.take() else {
            return Vec::new();
        };
        if self.dataset.dataset.replace(editor.index, editor.example()) {
            self.dataset_changed()
        } else {
            Vec::new()
        }
    }
}

/// The actions that change the examples (or save or tune them): they wait while `o` loads.
fn changes_the_dataset(action: Action) -> bool {
    matches!(
        action,
        Action::Open
            | Action::Add
            | Action::Duplicate
            | Action::Delete
            | Action::MoveUp
            | Action::MoveDown
            | Action::Undo
            | Action::Redo
            | Action::Save
            | Action::Tune
            | Action::Mark
            | Action::SystemInstruction
            | Action::SystemInstructionAll
            | Action::SwapAnswers
            | Action::ExportAs
            | Action::OpenFile
    )
}
