//! The Models tab's keys: move, open, filter, sort, scope, mark, delete, edit, share, copy, and
//! open a model in the Monitor or the Playground.

use crate::app::action::Action;
use crate::app::models::{Dialog, EditForm, PermissionsView, TransferForm};
use crate::app::{App, Level, Pending, Tab};
use crate::protocol::{ApiCall, Cmd};
use std::time::Instant;

impl App {
    pub(in crate::app) fn on_models_action(&mut self, action: Action, now: Instant) -> Vec<Cmd> {
        let page = self.table_height().max(1) as isize;
        match action {
            Action::Up => self.models.move_by(-1),
            Action::Down => self.models.move_by(1),
            Action::PageUp => self.models.move_by(-page),
            Action::PageDown => self.models.move_by(page),
            Action::Top => self.models.selected = 0,
            Action::Bottom => self.models.move_by(isize::MAX / 2),
            Action::Open => {
                self.models.detail = self.models.selected_model().map(|m| m.name.clone())
            }
            Action::Back => {
                // Back out one level: the detail, else the filter, else the marks.
                if self.models.detail.is_some() {
                    self.models.detail = None;
                } else if !self.models.filter.is_empty() {
                    self.models.filter.clear();
                    self.models.refresh_view();
                } else {
                    self.models.marked.clear();
                }
            }
            Action::Filter => self.models.filter_editing = true,
            Action::SortNext => {
                self.models.sort = self.models.sort.next();
                self.models.refresh_view();
            }
            Action::SortReverse => {
                self.models.descending = !self.models.descending;
                self.models.refresh_view();
            }
            Action::ToggleScope => {
                self.models.scope = self.models.scope.next();
                return self.refresh_list();
            }
            Action::Mark => {
                if let Some(name) = self.models.selected_model().map(|m| m.name.clone())
                    && !self.models.marked.remove(&name)
                {
                    self.models.marked.insert(name);
                }
                self.models.move_by(1);
            }
            Action::Delete => {
                let names: Vec<String> =
                    if self.models.detail.is_none() && !self.models.marked.is_empty() {
                        self.models.marked.iter().cloned().collect()
                    } else {
                        self.target().into_iter().collect()
                    };
                if !names.is_empty() {
                    self.models.dialog = Some(Dialog::ConfirmDelete { names });
                }
            }
            Action::Edit => {
                if let Some(model) = self.target().and_then(|n| self.models.find(&n)) {
                    self.models.dialog = Some(Dialog::Edit(Box::new(EditForm::for_model(model))));
                }
            }
            Action::CopyName => {
                if let Some(name) = self.target() {
                    self.toast(format!("Copied {name}"), Level::Info, now);
                    self.effects.push(Cmd::Copy(name));
                }
            }
            Action::Permissions => {
                if let Some(model) = self.target() {
                    self.models.dialog = Some(Dialog::Permissions(Box::new(PermissionsView {
                        model: model.clone(),
                        ..Default::default()
                    })));
                    return vec![self.request(
                        Pending::Permissions(model.clone()),
                        ApiCall::ListPermissions { name: model },
                    )];
                }
            }
            Action::Transfer => {
                if let Some(model) = self.target() {
                    self.models.dialog = Some(Dialog::Transfer(Box::new(TransferForm {
                        model,
                        email: String::new(),
                        confirming: false,
                        error: None,
                    })));
                }
            }
            Action::OpenPlayground => {
                if let Some(model) = self.target() {
                    return self.open_in_playground(&model, now);
                }
            }
            Action::OpenMonitor => {
                if let Some(model) = self.target() {
                    self.tab = Tab::Monitor;
                    if !self.monitor.select_model(&model) {
                        self.monitor.select_model = Some(model.clone());
                        if self.finding.insert(model.clone()) {
                            return vec![self.request(
                                Pending::FindOperation(model.clone()),
                                ApiCall::ListOperations { model },
                            )];
                        }
                    }
                }
            }
            _ => {}
        }
        Vec::new()
    }
}
