//! The models pane's state: the tuned models of every page (domain data) and how they are being
//! looked at (filter, sort, scope, selection, marks, detail, dialogs).

use crate::api::ApiError;
use crate::api::types::{GranteeType, Permission, Role, TunedModel, TunedModelState};
use crate::app::form::{Fields, FormField};
use crate::domain::limits::MAX_DISPLAY_NAME_CHARS;
use crate::domain::tuning::{ModelChange, ModelField, UpdateProblem, build_update};
use crate::protocol::RequestId;
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

/// The server-side filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The default list: models the caller has a role on.
    Mine,
    /// `owner:me`
    Owned,
    /// `readers:everyone`
    Public,
}

impl Scope {
    pub fn filter(self) -> Option<String> {
        match self {
            Scope::Mine => None,
            Scope::Owned => Some("owner:me".into()),
            Scope::Public => Some("readers:everyone".into()),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Scope::Mine => "mine",
            Scope::Owned => "owner:me",
            Scope::Public => "readers:everyone",
        }
    }

    pub fn next(self) -> Scope {
        match self {
            Scope::Mine => Scope::Owned,
            Scope::Owned => Scope::Public,
            Scope::Public => Scope::Mine,
        }
    }
}

/// A column of the table, also a sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Id,
    DisplayName,
    State,
    BaseModel,
    Created,
    Updated,
    Epochs,
    Batch,
    LearningRate,
}

impl Column {
    pub const ALL: [Column; 9] = [
        Column::Id,
        Column::DisplayName,
        Column::State,
        Column::BaseModel,
        Column::Created,
        Column::Updated,
        Column::Epochs,
        Column::Batch,
        Column::LearningRate,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Column::Id => "ID",
            Column::DisplayName => "DISPLAY NAME",
            Column::State => "STATE",
            Column::BaseModel => "BASE MODEL",
            Column::Created => "CREATED",
            Column::Updated => "UPDATED",
            Column::Epochs => "EPOCHS",
            Column::Batch => "BATCH",
            Column::LearningRate => "LR",
        }
    }

    pub fn next(self) -> Column {
        let i = Column::ALL.iter().position(|c| *c == self).unwrap_or(0);
        Column::ALL[(i + 1) % Column::ALL.len()]
    }
}

/// Where the list stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Load {
    NotLoaded,
    /// Pages are arriving; the table shows what has come.
    Loading {
        request: RequestId,
        pages: usize,
    },
    Loaded,
    Failed(ApiError),
}

/// The editable fields of a model (PATCH with updateMask).
#[derive(Debug, Clone, PartialEq)]
pub struct EditForm {
    pub name: String,
    /// The fields as typed, and as the model had them (what is unchanged is not sent).
    pub values: Fields<ModelField>,
    pub original: Fields<ModelField>,
    pub focus: ModelField,
    pub error: Option<String>,
}

impl FormField for ModelField {
    const ALL: &'static [Self] = &ModelField::ALL;

    fn label(self) -> &'static str {
        match self {
            ModelField::DisplayName => "Display name",
            ModelField::Description => "Description",
            ModelField::Temperature => "Temperature",
            ModelField::TopP => "Top P",
            ModelField::TopK => "Top K",
        }
    }
}

impl EditForm {
    pub fn for_model(model: &TunedModel) -> EditForm {
        let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
        let mut values = Fields::default();
        values.set(ModelField::DisplayName, model.display_name.clone());
        values.set(ModelField::Description, model.description.clone());
        values.set(ModelField::Temperature, opt(model.temperature));
        values.set(ModelField::TopP, opt(model.top_p));
        values.set(
            ModelField::TopK,
            model.top_k.map(|k| k.to_string()).unwrap_or_default(),
        );
        EditForm {
            name: model.name.clone(),
            original: values.clone(),
            values,
            focus: ModelField::DisplayName,
            error: None,
        }
    }

    /// The changes typed: a field whose text differs from what the model had.
    fn changes(&self) -> Result<Vec<ModelChange>, UpdateProblem> {
        let mut changes = Vec::new();
        for (field, typed) in self.values.iter() {
            if typed == self.original.get(field) {
                continue;
            }
            let text = typed.trim();
            let not_a_number = || UpdateProblem::NotANumber {
                field,
                text: text.to_owned(),
            };
            let number = || -> Result<Option<f64>, UpdateProblem> {
                (!text.is_empty())
                    .then(|| text.parse().map_err(|_| not_a_number()))
                    .transpose()
            };
            changes.push(match field {
                ModelField::DisplayName => ModelChange::DisplayName(typed.to_owned()),
                ModelField::Description => ModelChange::Description(typed.to_owned()),
                ModelField::Temperature => ModelChange::Temperature(number()?),
                ModelField::TopP => ModelChange::TopP(number()?),
                ModelField::TopK => ModelChange::TopK(
                    (!text.is_empty())
                        .then(|| text.parse().map_err(|_| not_a_number()))
                        .transpose()?,
                ),
            });
        }
        Ok(changes)
    }

    /// The PATCH body and mask for what changed, or the first problem in the form's words.
    pub fn to_update(&self) -> Result<(TunedModel, Vec<String>), String> {
        let changes = self.changes().map_err(|p| describe_update_problem(&p))?;
        if changes.is_empty() {
            return Ok((
                TunedModel {
                    name: self.name.clone(),
                    ..Default::default()
                },
                Vec::new(),
            ));
        }
        build_update(&self.name, &changes).map_err(|p| describe_update_problem(&p))
    }
}

/// An update problem in the edit form's words.
pub fn describe_update_problem(problem: &UpdateProblem) -> String {
    match problem {
        UpdateProblem::NotANumber { field, text } => {
            format!("{}: {text:?} is not a number", field.label())
        }
        UpdateProblem::DisplayNameTooLong { chars } => {
            format!("Display name: {chars} characters; the limit is {MAX_DISPLAY_NAME_CHARS}")
        }
        UpdateProblem::OutOfRange {
            field,
            value,
            min,
            max,
        } => format!("{}: {value} is outside {min} to {max}", field.label()),
        UpdateProblem::TopKNegative { value } => {
            format!("Top K: {value} is not a whole number of 0 or more")
        }
        UpdateProblem::NothingChanged => "Nothing changed".into(),
    }
}

/// The permission form's fields, in the order they are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionField {
    Grantee,
    Email,
    Role,
}

impl PermissionField {
    pub fn next(self) -> Self {
        match self {
            PermissionField::Grantee => PermissionField::Email,
            PermissionField::Email => PermissionField::Role,
            PermissionField::Role => PermissionField::Grantee,
        }
    }

    pub fn previous(self) -> Self {
        self.next().next()
    }
}

/// A new permission being typed.
#[derive(Debug, Clone, PartialEq)]
pub struct PermissionForm {
    pub grantee: GranteeType,
    pub email: String,
    pub role: Role,
    pub focus: PermissionField,
    pub error: Option<String>,
}

impl Default for PermissionForm {
    fn default() -> Self {
        PermissionForm {
            grantee: GranteeType::User,
            email: String::new(),
            role: Role::Reader,
            focus: PermissionField::Email,
            error: None,
        }
    }
}

impl PermissionForm {
    /// The permission to create, or what is wrong with the form.
    pub fn to_permission(&self) -> Result<Permission, String> {
        let email = self.email.trim();
        match self.grantee {
            GranteeType::Everyone => {
                if self.role != Role::Reader {
                    return Err("Everyone can only be a reader".into());
                }
                Ok(Permission {
                    grantee_type: Some(GranteeType::Everyone),
                    role: Role::Reader,
                    ..Default::default()
                })
            }
            _ => {
                if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
                    return Err(format!("{email:?} is not an email address"));
                }
                Ok(Permission {
                    grantee_type: Some(self.grantee.clone()),
                    email_address: Some(email.to_owned()),
                    role: self.role.clone(),
                    ..Default::default()
                })
            }
        }
    }

    /// Cycles the value of the focused choice field.
    pub fn cycle(&mut self) {
        match self.focus {
            PermissionField::Grantee => {
                self.grantee = match self.grantee {
                    GranteeType::User => GranteeType::Group,
                    GranteeType::Group => GranteeType::Everyone,
                    _ => GranteeType::User,
                };
                if self.grantee == GranteeType::Everyone {
                    self.role = Role::Reader;
                }
            }
            PermissionField::Role if self.grantee != GranteeType::Everyone => {
                self.role = if self.role == Role::Reader {
                    Role::Writer
                } else {
                    Role::Reader
                };
            }
            _ => {}
        }
        self.error = None;
    }
}

/// The permissions of one model, as a dialog over its detail.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PermissionsView {
    pub model: String,
    /// `None` while loading.
    pub permissions: Option<Vec<Permission>>,
    pub selected: usize,
    pub form: Option<PermissionForm>,
    /// A permission whose removal waits for y/n.
    pub confirm_remove: Option<String>,
    pub error: Option<String>,
}

/// Transferring ownership: the new owner's address, then a confirmation.
#[derive(Debug, Clone, PartialEq)]
pub struct TransferForm {
    pub model: String,
    pub email: String,
    pub confirming: bool,
    pub error: Option<String>,
}

/// A modal question or form over the pane.
#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    ConfirmDelete { names: Vec<String> },
    Edit(Box<EditForm>),
    Permissions(Box<PermissionsView>),
    Transfer(Box<TransferForm>),
}

#[derive(Debug, Clone)]
pub struct ModelsPane {
    pub models: Vec<TunedModel>,
    pub load: Load,
    pub loaded_at: Option<DateTime<Utc>>,
    /// Indices into `models` after filter and sort.
    pub visible: Vec<usize>,
    /// Index into `visible`.
    pub selected: usize,
    pub filter: String,
    /// True while `/` is taking text.
    pub filter_editing: bool,
    pub sort: Column,
    pub descending: bool,
    pub scope: Scope,
    pub marked: BTreeSet<String>,
    /// The model whose detail is open.
    pub detail: Option<String>,
    pub dialog: Option<Dialog>,
    /// The widest id, display name and base model among the visible models, in terminal
    /// columns: what the table would like to give those columns (measured when the view
    /// changes, not on every frame).
    pub text_widths: TextWidths,
}

/// See [`ModelsPane::text_widths`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextWidths {
    pub id: u16,
    pub display_name: u16,
    pub base_model: u16,
}

impl Default for ModelsPane {
    fn default() -> Self {
        ModelsPane {
            models: Vec::new(),
            load: Load::NotLoaded,
            loaded_at: None,
            visible: Vec::new(),
            selected: 0,
            filter: String::new(),
            filter_editing: false,
            sort: Column::Created,
            descending: true,
            scope: Scope::Mine,
            marked: BTreeSet::new(),
            detail: None,
            dialog: None,
            text_widths: TextWidths::default(),
        }
    }
}

fn sort_key(model: &TunedModel, column: Column) -> (String, f64) {
    let hp = model.hyperparameters();
    let num = |v: Option<f64>| v.unwrap_or(f64::NEG_INFINITY);
    match column {
        Column::Id => (model.id().to_owned(), 0.0),
        Column::DisplayName => (model.display_name.to_lowercase(), 0.0),
        Column::State => (model.state.name().to_owned(), 0.0),
        Column::BaseModel => (model.source_model().unwrap_or_default().to_owned(), 0.0),
        Column::Created => (
            model
                .create_time
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
            0.0,
        ),
        Column::Updated => (
            model
                .update_time
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
            0.0,
        ),
        Column::Epochs => (
            String::new(),
            num(hp.and_then(|h| h.epoch_count).map(f64::from)),
        ),
        Column::Batch => (
            String::new(),
            num(hp.and_then(|h| h.batch_size).map(f64::from)),
        ),
        Column::LearningRate => (String::new(), num(hp.and_then(|h| h.learning_rate))),
    }
}

impl ModelsPane {
    /// The selected model.
    pub fn selected_model(&self) -> Option<&TunedModel> {
        self.visible.get(self.selected).map(|i| &self.models[*i])
    }

    pub fn find(&self, name: &str) -> Option<&TunedModel> {
        self.models.iter().find(|m| m.name == name)
    }

    pub fn any_creating(&self) -> bool {
        self.models
            .iter()
            .any(|m| m.state == TunedModelState::Creating)
    }

    /// The selected model's name. Safe while `visible` is stale (it checks the index).
    fn selected_name(&self) -> Option<String> {
        self.visible
            .get(self.selected)
            .and_then(|i| self.models.get(*i))
            .map(|m| m.name.clone())
    }

    /// Recomputes the visible rows after the filter or sort changed, keeping the selection on
    /// the same model.
    pub fn refresh_view(&mut self) {
        let keep = self.selected_name();
        self.rebuild_view(keep);
    }

    /// Recomputes the visible rows, putting the selection on `keep` when it is still shown.
    /// Callers that replace `models` capture `keep` first, since `visible` then points into
    /// the old list.
    fn rebuild_view(&mut self, keep: Option<String>) {
        let needle = self.filter.to_lowercase();
        let mut visible: Vec<usize> = (0..self.models.len())
            .filter(|i| {
                needle.is_empty() || {
                    let m = &self.models[*i];
                    m.name.to_lowercase().contains(&needle)
                        || m.display_name.to_lowercase().contains(&needle)
                        || m.description.to_lowercase().contains(&needle)
                }
            })
            .collect();
        let keys: Vec<(String, f64)> = self.models.iter().map(|m| sort_key(m, self.sort)).collect();
        crate::app::layout::sort_rows(
            &mut visible,
            &keys,
            |a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)),
            self.descending,
        );
        let width = |text: &str| {
            u16::try_from(crate::domain::generation::display_width(text)).unwrap_or(u16::MAX)
        };
        let mut widths = TextWidths::default();
        for m in visible.iter().map(|i| &self.models[*i]) {
            widths.id = widths.id.max(width(m.id()));
            widths.display_name = widths.display_name.max(width(&m.display_name));
            let base = m
                .source_model()
                .unwrap_or("—")
                .trim_start_matches("models/");
            widths.base_model = widths.base_model.max(width(base));
        }
        self.text_widths = widths;
        self.visible = visible;
        let models = &self.models;
        self.selected = crate::app::layout::reselect(
            &self.visible,
            |i| keep.as_deref() == Some(models[i].name.as_str()),
            self.selected,
        );
    }

    /// A page arrived: the first replaces the list, later ones add to it.
    pub fn page_arrived(
        &mut self,
        request: RequestId,
        models: Vec<TunedModel>,
        last: bool,
        now: DateTime<Utc>,
    ) -> bool {
        let Load::Loading {
            request: current,
            pages,
        } = self.load.clone()
        else {
            return false;
        };
        if current != request {
            return false; // a stale refresh
        }
        let keep = self.selected_name();
        if pages == 0 {
            self.models = models;
        } else {
            self.models.extend(models);
        }
        self.load = if last {
            self.loaded_at = Some(now);
            let names: BTreeSet<&str> = self.models.iter().map(|m| m.name.as_str()).collect();
            self.marked.retain(|n| names.contains(n.as_str()));
            Load::Loaded
        } else {
            Load::Loading {
                request,
                pages: pages + 1,
            }
        };
        self.rebuild_view(keep);
        true
    }

    pub fn move_by(&mut self, delta: isize) {
        self.selected = crate::app::layout::moved(self.selected, self.visible.len(), delta);
    }

    /// Replaces one model after an update.
    pub fn replace(&mut self, model: TunedModel) {
        let keep = self.selected_name();
        if let Some(slot) = self.models.iter_mut().find(|m| m.name == model.name) {
            *slot = model;
        }
        self.rebuild_view(keep);
    }

    pub fn remove(&mut self, name: &str) {
        let keep = self.selected_name();
        self.models.retain(|m| m.name != name);
        self.marked.remove(name);
        if self.detail.as_deref() == Some(name) {
            self.detail = None;
        }
        self.rebuild_view(keep);
    }
}
