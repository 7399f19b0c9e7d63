//! Keys and the mouse: free-text input (palette, filter, forms, editors) gets keys first, then
//! the keymap turns the rest into [`super::action::Action`]s for the focused context.

use super::action::{Action, Context};
use super::models::Dialog;
use super::{
    App, MIN_SIZE, Overlay, Pending, Tab, complete, dataset, layout, line_edit, playground,
};
use crate::app::form::{next_field, previous_field};
use crate::protocol::{ApiCall, Cmd};
use crossterm::event::{KeyCode, KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use std::time::Instant;

/// The one-line field that has the keyboard, to reset the cursor when it changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldFocus {
    Palette,
    ModelsFilter,
    JobsFilter,
    ModelEdit(crate::domain::tuning::ModelField),
    Transfer,
    Permission(crate::app::models::PermissionField),
    TuneForm(crate::app::form::Focus<crate::domain::tuning::TuningField>),
    VertexTuneForm(crate::app::form::Focus<crate::app::dataset::VertexTuneField>),
    /// Which prompt (open, export, search, columns) is over the Dataset tab.
    DatasetPrompt(std::mem::Discriminant<dataset::PromptKind>),
    PlaygroundSettings(crate::app::form::Focus<crate::domain::generation::GenerationField>),
}

impl App {
    pub(super) fn on_mouse(&mut self, mouse: MouseEvent) -> Vec<Cmd> {
        match mouse.kind {
            MouseEventKind::ScrollDown if self.follows_vertex => self.jobs.move_by(1),
            MouseEventKind::ScrollUp if self.follows_vertex => self.jobs.move_by(-1),
            MouseEventKind::ScrollDown => self.models.move_by(1),
            MouseEventKind::ScrollUp => self.models.move_by(-1),
            MouseEventKind::Down(MouseButton::Left) if mouse.row == layout::TAB_BAR_ROW => {
                if let Some(tab) = layout::tab_at(mouse.column) {
                    self.tab = tab;
                }
            }
            MouseEventKind::Down(MouseButton::Left)
                if self.tab == Tab::Models && mouse.row >= layout::MODELS_FIRST_ROW =>
            {
                let row = usize::from(mouse.row - layout::MODELS_FIRST_ROW);
                let rows = self.table_height();
                // The table shown: Vertex AI's tuning jobs or the tuned models (not a detail).
                let (selected, len) = match (self.follows_vertex, &self.jobs.detail) {
                    (true, None) => (&mut self.jobs.selected, self.jobs.visible.len()),
                    (false, _) if self.models.detail.is_none() => {
                        (&mut self.models.selected, self.models.visible.len())
                    }
                    _ => return Vec::new(),
                };
                let offset = layout::table_offset(*selected, rows);
                if row < rows && offset + row < len {
                    *selected = offset + row;
                }
            }
            _ => return Vec::new(),
        }
        self.dirty = true;
        Vec::new()
    }

    /// A bracketed paste: inserted whole, as one edit, into the field that has the keyboard
    /// (a one-line field takes the first line); with no field open it is ignored, so pasted
    /// text never runs as commands.
    pub(super) fn on_paste(&mut self, text: &str) {
        use playground::Focus;
        self.dirty = true;
        let cursor = &mut self.line_cursor;
        if let Overlay::Palette { input } = &mut self.overlay {
            return line_edit::insert(input, cursor, text);
        }
        if self.models.filter_editing {
            line_edit::insert(&mut self.models.filter, cursor, text);
            self.models.refresh_view();
            return;
        }
        if self.jobs.filter_editing {
            line_edit::insert(&mut self.jobs.filter, cursor, text);
            self.jobs.refresh_view();
            return;
        }
        match &mut self.models.dialog {
            Some(Dialog::Edit(form)) => {
                return line_edit::insert(form.values.get_mut(form.focus), cursor, text);
            }
            Some(Dialog::Transfer(form)) if !form.confirming => {
                return line_edit::insert(&mut form.email, cursor, text);
            }
            Some(Dialog::Permissions(view)) => {
                if let Some(form) = view.form.as_mut()
                    && form.focus == super::models::PermissionField::Email
                {
                    line_edit::insert(&mut form.email, cursor, text);
                }
                return;
            }
            _ => {}
        }
        match self.tab {
            Tab::Dataset => {
                if let Some(prompt) = self.dataset.prompt.as_mut() {
                    line_edit::insert(&mut prompt.input, cursor, text);
                } else if let Some(form) = self.dataset.tune.as_mut() {
                    if let Some(field) = form.focus.text() {
                        line_edit::insert(form.values.get_mut(field), cursor, text);
                    }
                } else if let Some(form) = self.dataset.vertex_tune.as_mut().filter(|f| !f.hidden) {
                    if let Some(field) = form.focus.text() {
                        line_edit::insert(form.values.get_mut(field), cursor, text);
                    }
                } else if let Some(editor) = self.dataset.editor.as_mut() {
                    editor.focused_mut().insert_str(text);
                }
            }
            Tab::Playground => match self.playground.focus {
                Focus::Prompt => {
                    self.playground.prompt.insert_str(text);
                }
                Focus::Settings => {
                    if let Some(field) = self.playground.settings_focus.text() {
                        let value = self.playground.settings.values.get_mut(field);
                        line_edit::insert(value, cursor, text);
                    }
                }
                _ => {}
            },
            Tab::Models | Tab::Monitor => {}
        }
    }

    /// Rows of the models table that fit on screen.
    pub fn table_height(&self) -> usize {
        let load = if self.follows_vertex {
            &self.jobs.load
        } else {
            &self.models.load
        };
        let failed = matches!(load, super::models::Load::Failed(_));
        layout::models_rows(self.size.1, failed)
    }

    pub(super) fn on_key(&mut self, key: KeyEvent, now: Instant) -> Vec<Cmd> {
        self.dirty = true;
        // A form's focus moved, or a form opened or closed: the cursor starts at the end.
        let focus_before = self.field_focus();
        let cmds = self.on_key_inner(key, now);
        if self.field_focus() != focus_before {
            self.line_cursor = None;
        }
        cmds
    }

    /// Which form field has the focus, to know when it moves.
    fn field_focus(&self) -> Option<FieldFocus> {
        use playground::Focus;
        if matches!(self.overlay, Overlay::Palette { .. }) {
            return Some(FieldFocus::Palette);
        }
        if self.models.filter_editing {
            return Some(FieldFocus::ModelsFilter);
        }
        if self.jobs.filter_editing {
            return Some(FieldFocus::JobsFilter);
        }
        match &self.models.dialog {
            Some(Dialog::Edit(form)) => return Some(FieldFocus::ModelEdit(form.focus)),
            Some(Dialog::Transfer(_)) => return Some(FieldFocus::Transfer),
            Some(Dialog::Permissions(view)) if view.form.is_some() => {
                return view.form.as_ref().map(|f| FieldFocus::Permission(f.focus));
            }
            _ => {}
        }
        if let Some(form) = &self.dataset.tune {
            return Some(FieldFocus::TuneForm(form.focus));
        }
        if let Some(form) = self.dataset.vertex_tune.as_ref().filter(|f| !f.hidden) {
            return Some(FieldFocus::VertexTuneForm(form.focus));
        }
        if let Some(prompt) = &self.dataset.prompt {
            return Some(FieldFocus::DatasetPrompt(std::mem::discriminant(
                &prompt.kind,
            )));
        }
        (self.playground.focus == Focus::Settings).then_some(FieldFocus::PlaygroundSettings(
            self.playground.settings_focus,
        ))
    }

    fn on_key_inner(&mut self, key: KeyEvent, now: Instant) -> Vec<Cmd> {
        // The `:ctx` list, over everything.
        if self.contexts.picker.is_some() {
            return self.on_ctx_key(key.code, now);
        }
        // Free-text input first: the palette, the filter, the edit form.
        if let Overlay::Palette { input } = &mut self.overlay {
            match key.code {
                KeyCode::Esc => self.overlay = Overlay::None,
                KeyCode::Enter => {
                    let line = input.trim().to_owned();
                    self.overlay = Overlay::None;
                    return self.run_command(&line, now);
                }
                KeyCode::Tab => {
                    let done = match input.trim_start_matches(':').strip_prefix("ctx ") {
                        Some(arg) => {
                            super::complete_among(arg.trim_start(), &self.contexts.completions())
                                .map(|a| format!("ctx {a}"))
                        }
                        None => complete(input),
                    };
                    if let Some(done) = done {
                        *input = done;
                        self.line_cursor = None;
                    }
                }
                _ => {
                    line_edit::edit_line(input, &mut self.line_cursor, &key);
                }
            }
            return Vec::new();
        }
        if self.models.filter_editing {
            match key.code {
                KeyCode::Esc => {
                    self.models.filter_editing = false;
                    self.models.filter.clear();
                }
                KeyCode::Enter => self.models.filter_editing = false,
                _ => {
                    if !line_edit::edit_line(&mut self.models.filter, &mut self.line_cursor, &key) {
                        return Vec::new();
                    }
                }
            }
            self.models.refresh_view();
            return Vec::new();
        }
        if self.jobs.filter_editing {
            match key.code {
                KeyCode::Esc => {
                    self.jobs.filter_editing = false;
                    self.jobs.filter.clear();
                }
                KeyCode::Enter => self.jobs.filter_editing = false,
                _ => {
                    if !line_edit::edit_line(&mut self.jobs.filter, &mut self.line_cursor, &key) {
                        return Vec::new();
                    }
                }
            }
            self.jobs.refresh_view();
            return Vec::new();
        }
        if self.tab == Tab::Dataset
            && let Some(cmds) = self.on_conflict_input(key, now)
        {
            return cmds;
        }
        if self.tab == Tab::Dataset
            && let Some(cmds) = self.on_prompt_input(key, now)
        {
            return cmds;
        }
        if self.tab == Tab::Dataset
            && let Some(cmds) = self.on_tune_input(key)
        {
            return cmds;
        }
        if self.tab == Tab::Dataset
            && let Some(cmds) = self.on_vertex_tune_input(key)
        {
            return cmds;
        }
        if self.tab == Tab::Dataset
            && let Some(cmds) = self.on_editor_input(key, now)
        {
            return cmds;
        }
        if self.tab == Tab::Playground
            && let Some(cmds) = self.on_playground_input(key, now)
        {
            return cmds;
        }
        if let Some(cmds) = self.on_sharing_input(key) {
            return cmds;
        }
        if let Some(Dialog::Edit(form)) = &mut self.models.dialog {
            match key.code {
                KeyCode::Esc => self.models.dialog = None,
                KeyCode::Tab | KeyCode::Down => form.focus = next_field(form.focus),
                KeyCode::BackTab | KeyCode::Up => form.focus = previous_field(form.focus),
                KeyCode::Enter => match form.to_update() {
                    Err(problem) => form.error = Some(problem),
                    Ok((_, mask)) if mask.is_empty() => self.models.dialog = None,
                    Ok((model, mask)) => {
                        self.models.dialog = None;
                        return vec![self.request(
                            Pending::Update,
                            ApiCall::UpdateTunedModel {
                                model: Box::new(model),
                                mask,
                            },
                        )];
                    }
                },
                _ => {
                    if line_edit::edit_line(
                        form.values.get_mut(form.focus),
                        &mut self.line_cursor,
                        &key,
                    ) {
                        form.error = None;
                    }
                }
            }
            return Vec::new();
        }
        if self.overlay == Overlay::Help {
            // `?` again turns the page; any other key closes the help.
            if key.code == KeyCode::Char('?') {
                self.help_page += 1;
            } else {
                self.overlay = Overlay::None;
                self.help_page = 0;
            }
            return Vec::new();
        }
        if self.size.0 < MIN_SIZE.0 || self.size.1 < MIN_SIZE.1 {
            // Only quitting makes sense on a screen too small to draw on.
            return match self.keymap.action(Context::Global, &key) {
                Some(Action::Quit) => {
                    self.quit = true;
                    Vec::new()
                }
                _ => Vec::new(),
            };
        }
        match self.keymap.action(self.context(), &key) {
            Some(action) => self.on_action(action, now),
            None => {
                self.dirty = false;
                Vec::new()
            }
        }
    }
}
