//! The App's handling of sharing: the permissions dialog's actions.

use crate::api::types::Role;
use crate::app::action::Action;
use crate::app::models::{Dialog, PermissionField, PermissionForm, PermissionsView};
use crate::app::{App, Overlay, Pending};
use crate::protocol::{ApiCall, Cmd};
use crossterm::event::{KeyCode, KeyEvent};

impl App {
    pub(in crate::app) fn on_permissions_action(&mut self, action: Action) -> Vec<Cmd> {
        let Some(Dialog::Permissions(view)) = &mut self.models.dialog else {
            return Vec::new();
        };
        let count = view.permissions.as_ref().map_or(0, Vec::len);
        view.error = None;
        match action {
            Action::Up => view.selected = view.selected.saturating_sub(1),
            Action::Down => view.selected = (view.selected + 1).min(count.saturating_sub(1)),
            Action::Add => {
                view.form = Some(PermissionForm::default());
                view.error = None;
            }
            Action::Delete => {
                let chosen = view.permissions.as_ref().and_then(|p| p.get(view.selected));
                match chosen {
                    Some(p) if p.role == Role::Owner => {
                        view.error = Some("The owner's permission cannot be removed; transfer ownership instead (t).".into());
                    }
                    Some(p) => view.confirm_remove = Some(p.name.clone()),
                    None => {}
                }
            }
            Action::Back | Action::Cancel => self.models.dialog = None,
            Action::Quit => self.quit = true,
            Action::Help => self.overlay = Overlay::Help,
            _ => {}
        }
        Vec::new()
    }

    /// The permissions dialog, when it is open for `model`.
    pub(in crate::app) fn permissions_view(&mut self, model: &str) -> Option<&mut PermissionsView> {
        match &mut self.models.dialog {
            Some(Dialog::Permissions(view)) if view.model == model => Some(view),
            _ => None,
        }
    }

    /// Text typed into the permission form or the transfer form; `None` when neither is open.
    pub(in crate::app) fn on_sharing_input(&mut self, key: KeyEvent) -> Option<Vec<Cmd>> {
        if let Some(Dialog::Permissions(view)) = &mut self.models.dialog
            && let Some(form) = &mut view.form
        {
            match key.code {
                KeyCode::Esc => view.form = None,
                KeyCode::Tab | KeyCode::Down => form.focus = form.focus.next(),
                KeyCode::BackTab | KeyCode::Up => form.focus = form.focus.previous(),
                KeyCode::Left | KeyCode::Right | KeyCode::Char(' ')
                    if form.focus != PermissionField::Email =>
                {
                    form.cycle()
                }
                KeyCode::Enter => match form.to_permission() {
                    Err(problem) => form.error = Some(problem),
                    Ok(permission) => {
                        let model = view.model.clone();
                        view.form = None;
                        return Some(vec![self.request(
                            Pending::PermissionCreated(model.clone()),
                            ApiCall::CreatePermission { model, permission },
                        )]);
                    }
                },
                _ if form.focus == PermissionField::Email
                    && crate::app::line_edit::edit_line(
                        &mut form.email,
                        &mut self.line_cursor,
                        &key,
                    ) =>
                {
                    form.error = None;
                }
                _ => {}
            }
            return Some(Vec::new());
        }
        if let Some(Dialog::Transfer(form)) = &mut self.models.dialog
            && !form.confirming
        {
            match key.code {
                KeyCode::Esc => self.models.dialog = None,
                KeyCode::Enter => {
                    let email = form.email.trim();
                    if email.contains('@') && !email.starts_with('@') && !email.ends_with('@') {
                        form.confirming = true;
                        form.error = None;
                    } else {
                        form.error = Some(format!("{email:?} is not an email address"));
                    }
                }
                _ => {
                    if crate::app::line_edit::edit_line(
                        &mut form.email,
                        &mut self.line_cursor,
                        &key,
                    ) {
                        form.error = None;
                    }
                }
            }
            return Some(Vec::new());
        }
        None
    }
}
