//! The application state and its one mutator, [`App::update`]: a message in, state changed,
//! commands out for the worker. No I/O here, so every behaviour is testable without a terminal
//! or a runtime.

pub mod action;
mod confirm;
pub mod contexts;
pub mod dataset;
pub mod form;
mod input;
pub mod jobs;
pub mod keymap;
pub mod layout;
pub mod line_edit;
pub mod models;
pub mod monitor;
pub mod playground;
mod replies;
pub mod settings;

use crate::api::types::TunedModelState;
pub use crate::clock::Now;
pub use crate::protocol::Msg;
use crate::protocol::{ApiCall, Cmd, RequestId};
use action::{Action, Context};
use chrono::{DateTime, Utc};
use keymap::Keymap;
use models::{Dialog, Load, ModelsPane};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The tabs, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Models,
    Monitor,
    Dataset,
    Playground,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Models, Tab::Monitor, Tab::Dataset, Tab::Playground];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Models => "Models",
            Tab::Monitor => "Monitor",
            Tab::Dataset => "Dataset",
            Tab::Playground => "Playground",
        }
    }

    fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

/// A short message in the corner, gone after a while.
#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    pub text: String,
    pub level: Level,
    pub until: Instant,
}

/// What the header shows about the connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    /// "Gemini API", "EMULATOR" or "ENDPOINT".
    pub backend: String,
    pub address: String,
    /// Never more than a key's last four characters.
    pub auth: String,
    pub healthy: Option<bool>,
    /// With Vertex AI chosen: where its jobs and endpoints are.
    pub vertex: Option<VertexPlace>,
}

/// The Vertex AI project and location the dashboard works in, and the host it reaches them at.
#[derive(Debug, Clone, PartialEq)]
pub struct VertexPlace {
    pub project: String,
    pub location: String,
    /// `https://us-central1-aiplatform.googleapis.com`, or the emulator's address.
    pub base_url: String,
}

impl VertexPlace {
    /// `project/location`, as the header says it.
    pub fn label(&self) -> String {
        format!("{}/{}", self.project, self.location)
    }

    /// The resource a model name stands for here: endpoints are already whole; a publisher
    /// model gets this project and location in front.
    pub fn resource(&self, model: &str) -> String {
        if model.starts_with("projects/") {
            model.to_owned()
        } else {
            format!(
                "projects/{}/locations/{}/{model}",
                self.project, self.location
            )
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    None,
    Help,
    Palette { input: String },
}

/// Commands the palette knows, with what they do.
pub const PALETTE_COMMANDS: &[(&str, &str)] = &[
    ("models", "show the Models tab"),
    ("monitor", "show the Monitor tab"),
    ("dataset", "show the Dataset tab"),
    ("playground", "show the Playground tab"),
    ("refresh", "reload the tuned models"),
    (
        "ctx",
        "Vertex AI contexts: :ctx lists them, :ctx NAME|REGION|all switches",
    ),
    ("scope mine", "list models you have a role on"),
    ("scope owner", "list models you own (owner:me)"),
    (
        "scope public",
        "list models shared with everyone (readers:everyone)",
    ),
    ("w", "save the dataset (:w PATH saves it as PATH)"),
    ("saveas", "save the dataset as a new file: :saveas PATH"),
    ("help", "show every key binding"),
    ("quit", "leave tunedeck"),
];

/// What an in-flight request was for, to route its answer.
#[derive(Debug, Clone, PartialEq)]
enum Pending {
    List,
    Delete(String),
    Update,
    Permissions(String),
    PermissionCreated(String),
    PermissionDeleted {
        model: String,
        name: String,
    },
    Transfer {
        model: String,
        email: String,
    },
    FindOperation(String),
    CancelJob(String),
    Export,
    SaveDataset,
    Journal,
    TuneBases,
    TuneCreate,
    /// The Vertex AI form's upload and create.
    VertexTuneCreate,
    ReadDataset,
    /// The tuning form's settings, remembered for next time (also the playground history).
    Settings,
    PlayModels,
    Play,
    Eval(usize),
    EvalHeldOut,
    VertexJobs,
    /// The all-locations view's list, every tuning region at once.
    VertexJobsEverywhere,
    CancelVertexJob(String),
    /// A Vertex AI tuned model being deleted (its resource name, the label said in the toast).
    DeleteVertexModel {
        model: String,
        label: String,
    },
    /// A Vertex AI tuned model read for its default checkpoint.
    VertexModel,
    /// A checkpoint being made its model's default (the label and checkpoint said in the toast).
    SetDefaultCheckpoint {
        label: String,
        checkpoint: String,
    },
    /// A job's model being rebased (the label and the new base said in the toast).
    Rebase {
        label: String,
        base: String,
    },
}

pub struct App {
    pub keymap: Keymap,
    pub tab: Tab,
    pub models: ModelsPane,
    /// The Models tab's view of Vertex AI tuning jobs (shown when `follows_vertex`).
    pub jobs: jobs::JobsPane,
    /// Where the jobs live: the configured contexts, the current one, the `:ctx` list.
    pub contexts: contexts::ContextsState,
    pub monitor: monitor::MonitorPane,
    pub dataset: dataset::DatasetPane,
    pub playground: playground::PlaygroundPane,
    /// models.list was asked for the Playground.
    playground_models_asked: bool,
    /// Where the Playground keeps each model's history (None: not kept, as in tests).
    pub history_dir: Option<std::path::PathBuf>,
    /// Where unsaved dataset edits are journalled (None: not journalled, as in tests).
    pub journal: Option<std::path::PathBuf>,
    /// Ring the terminal bell when a job finishes.
    pub bell_on_finish: bool,
    /// Vertex AI was chosen: the Models tab lists its tuning jobs (at start, on `r`, after a
    /// start or a delete; running jobs' rows follow the Monitor's polls), the Monitor follows
    /// the running ones, the Dataset tab tunes on it and the Playground offers their endpoints.
    pub follows_vertex: bool,
    /// The last Vertex AI job list failed (said once, not at every refresh).
    vertex_list_failed: bool,
    pub stall_factor: f64,
    pub ema_alpha: f64,
    /// Models whose operation is being looked up.
    finding: std::collections::HashSet<String>,
    pub connection: Connection,
    pub overlay: Overlay,
    /// Which page of the help overlay is shown.
    pub help_page: usize,
    pub toasts: Vec<Toast>,
    pub quit: bool,
    /// The terminal size, for paging and the size check.
    pub size: (u16, u16),
    pub list_refresh: Duration,
    next_refresh: Option<Instant>,
    next_request: RequestId,
    pending: HashMap<RequestId, Pending>,
    /// Set when something on screen changed; the loop draws and clears it.
    pub dirty: bool,
    /// Terminal effects (copy, bell, editor) asked for while handling a message, returned by
    /// `update` with the other commands.
    effects: Vec<Cmd>,
    /// Where the tuning form's last settings are kept between sessions (None in tests).
    pub tune_settings_file: Option<std::path::PathBuf>,
    /// The tuning form's last settings.
    pub last_tune: Option<dataset::TuneSettings>,
    /// The cursor in the focused one-line field (`None`: at its end); see [`line_edit`].
    pub line_cursor: Option<usize>,
    /// The time of the latest message: what rendering measures elapsed time and stalls against.
    pub clock: Now,
}

/// The smallest terminal the layout is made for.
pub const MIN_SIZE: (u16, u16) = (80, 24);
const TOAST_TIME: Duration = Duration::from_secs(5);

impl App {
    pub fn new(keymap: Keymap, connection: Connection, list_refresh: Duration, now: Now) -> App {
        App {
            keymap,
            tab: Tab::Models,
            models: ModelsPane::default(),
            jobs: jobs::JobsPane::default(),
            contexts: contexts::ContextsState::default(),
            monitor: monitor::MonitorPane::default(),
            dataset: dataset::DatasetPane::default(),
            playground: playground::PlaygroundPane::default(),
            playground_models_asked: false,
            history_dir: None,
            journal: None,
            bell_on_finish: true,
            follows_vertex: false,
            vertex_list_failed: false,
            stall_factor: 5.0,
            ema_alpha: 0.3,
            finding: Default::default(),
            connection,
            overlay: Overlay::None,
            help_page: 0,
            toasts: Vec::new(),
            quit: false,
            size: MIN_SIZE,
            list_refresh,
            next_refresh: None,
            next_request: 1,
            pending: HashMap::new(),
            dirty: true,
            effects: Vec::new(),
            tune_settings_file: None,
            last_tune: None,
            line_cursor: None,
            clock: now,
        }
    }

    /// Vertex AI is chosen: every tab speaks it, and the dataset is checked against its limits.
    pub fn choose_vertex(&mut self) {
        self.follows_vertex = true;
        self.dataset.vertex_rules = true;
        self.dataset.relint();
    }

    /// The commands to run at start: load the list.
    pub fn start(&mut self) -> Vec<Cmd> {
        self.refresh_list()
    }

    /// The context whose bindings apply now.
    pub fn context(&self) -> Context {
        if let Some(Dialog::Permissions(view)) = &self.models.dialog
            && view.form.is_none()
            && view.confirm_remove.is_none()
        {
            Context::Permissions
        } else if self.models.dialog.is_some()
            || self.jobs.dialog.is_some()
            || self.monitor.confirm_cancel.is_some()
            || self.monitor.offer_delete.is_some()
            || self.dataset.confirm_quit
        {
            Context::Dialog
        } else if self.tab == Tab::Models && self.follows_vertex {
            if self.jobs.detail.is_some() {
                Context::JobDetail
            } else {
                Context::Jobs
            }
        } else if self.tab == Tab::Models && self.models.detail.is_some() {
            Context::Detail
        } else if self.tab == Tab::Models {
            Context::Models
        } else if self.tab == Tab::Monitor {
            Context::Monitor
        } else if self.tab == Tab::Dataset {
            Context::Dataset
        } else if self.tab == Tab::Playground {
            Context::Playground
        } else {
            Context::Global
        }
    }

    /// The earliest moment the app needs a [`Msg::Timer`]: a toast to expire, a list refresh.
    pub fn next_wakeup(&self) -> Option<Instant> {
        self.toasts
            .iter()
            .map(|t| t.until)
            .chain(self.next_refresh)
            .min()
    }

    fn request(&mut self, pending: Pending, call: ApiCall) -> Cmd {
        let id = self.next_request;
        self.next_request += 1;
        self.pending.insert(id, pending);
        Cmd::Call { id, call }
    }

    /// Shows an informational toast (for things found at start, outside `update`).
    pub fn announce(&mut self, text: impl Into<String>, now: Now) {
        self.clock = now;
        self.toast(text, Level::Info, now.instant);
    }

    fn toast(&mut self, text: impl Into<String>, level: Level, now: Instant) {
        self.toasts.push(Toast {
            text: text.into(),
            level,
            until: now + TOAST_TIME,
        });
        self.dirty = true;
    }

    fn refresh_list(&mut self) -> Vec<Cmd> {
        let mut cmds = Vec::new();
        if self.follows_vertex {
            // Vertex AI chosen: the Models tab is its tuning jobs, listed whole (every page).
            if let Load::Loading { request, .. } = self.jobs.load {
                cmds.push(Cmd::Cancel { id: request });
            }
            let cmd = if self.contexts.all_locations {
                self.list_everywhere()
            } else {
                self.request(Pending::VertexJobs, ApiCall::ListTuningJobs)
            };
            if let Cmd::Call { id, .. } = &cmd {
                self.jobs.load = Load::Loading {
                    request: *id,
                    pages: 0,
                };
            }
            self.next_refresh = None;
            self.dirty = true;
            cmds.push(cmd);
            return cmds;
        }
        if let Load::Loading { request, .. } = self.models.load {
            cmds.push(Cmd::Cancel { id: request });
        }
        let filter = self.models.scope.filter();
        let cmd = self.request(Pending::List, ApiCall::ListTunedModels { filter });
        if let Cmd::Call { id, .. } = &cmd {
            self.models.load = Load::Loading {
                request: *id,
                pages: 0,
            };
        }
        self.next_refresh = None;
        cmds.push(cmd);
        self.dirty = true;
        cmds
    }

    /// The one mutator. `now` is the time the message arrived; it is kept as [`App::clock`].
    pub fn update(&mut self, msg: Msg, now: Now) -> Vec<Cmd> {
        // Time only moves forward for the app, whatever the wall clock does.
        self.clock = Now::at(now.instant.max(self.clock.instant), now.utc);
        let mut cmds = self.handle(msg, now.instant);
        cmds.append(&mut self.effects);
        cmds.extend(self.playground_models());
        cmds
    }

    fn handle(&mut self, msg: Msg, now: Instant) -> Vec<Cmd> {
        match msg {
            Msg::Key(key) => self.on_key(key, now),
            Msg::Mouse(mouse) => self.on_mouse(mouse),
            Msg::Resize(w, h) => {
                self.size = (w, h);
                self.dirty = true;
                Vec::new()
            }
            Msg::Paste(text) => {
                self.on_paste(&text);
                Vec::new()
            }
            Msg::Worker(event) => self.on_worker(event, now),
            Msg::Timer => self.on_timer(now),
            Msg::Edited(result) => {
                self.dirty = true;
                if self.tab == Tab::Playground && self.playground.focus == playground::Focus::Prompt
                {
                    match result {
                        Ok(text) => self.playground.set_prompt(&text),
                        Err(e) => self.toast(e, Level::Error, now),
                    }
                } else {
                    self.edited_externally(result, now);
                }
                Vec::new()
            }
        }
    }

    fn on_timer(&mut self, now: Instant) -> Vec<Cmd> {
        let before = self.toasts.len();
        self.toasts.retain(|t| t.until > now);
        if self.toasts.len() != before {
            self.dirty = true;
        }
        if self.next_refresh.is_some_and(|t| t <= now) {
            self.next_refresh = None;
            return self.refresh_list();
        }
        Vec::new()
    }

    /// "Display name (id)" for a model, or its name when it is not listed.
    pub fn label_of(&self, name: &str) -> String {
        self.models
            .find(name)
            .map(|m| {
                if m.display_name.is_empty() {
                    m.id().to_owned()
                } else {
                    format!("{} ({})", m.display_name, m.id())
                }
            })
            .unwrap_or_else(|| name.to_owned())
    }

    /// Runs a palette command line.
    pub fn run_command(&mut self, line: &str, now: Instant) -> Vec<Cmd> {
        let line = line.trim_start_matches(':').trim();
        let action = match line {
            "" => return Vec::new(),
            "models" => Action::GoModels,
            "monitor" => Action::GoMonitor,
            "dataset" => Action::GoDataset,
            "playground" => Action::GoPlayground,
            "refresh" => Action::Refresh,
            "ctx" => {
                self.open_contexts(now);
                return Vec::new();
            }
            _ if line.starts_with("ctx ") => {
                let arg = line["ctx ".len()..].trim().to_owned();
                return self.ctx_command(&arg, now);
            }
            "help" => Action::Help,
            "quit" | "q" => Action::Quit,
            "w" | "write" => {
                self.tab = Tab::Dataset;
                return self.save_dataset(now);
            }
            "saveas" => {
                self.tab = Tab::Dataset;
                self.open_save_as();
                return Vec::new();
            }
            _ if line.starts_with("w ")
                || line.starts_with("saveas ")
                || line.starts_with("write ") =>
            {
                self.tab = Tab::Dataset;
                let path = line.split_once(' ').map_or("", |(_, p)| p.trim());
                return self.save_as_from_palette(path, now);
            }
            "scope mine" | "scope owner" | "scope public" => {
                self.models.scope = match line {
                    "scope owner" => models::Scope::Owned,
                    "scope public" => models::Scope::Public,
                    _ => models::Scope::Mine,
                };
                self.tab = Tab::Models;
                return self.refresh_list();
            }
            other => {
                let names: Vec<&str> = PALETTE_COMMANDS.iter().map(|(n, _)| *n).collect();
                self.toast(
                    format!("Unknown command :{other}; try {}", names.join(", ")),
                    Level::Error,
                    now,
                );
                return Vec::new();
            }
        };
        self.on_action(action, now)
    }

    fn on_action(&mut self, action: Action, now: Instant) -> Vec<Cmd> {
        if self.context() == Context::Permissions {
            return self.on_permissions_action(action);
        }
        if matches!(self.context(), Context::Jobs | Context::JobDetail) {
            return self.on_jobs_action(action, now);
        }
        if self.context() == Context::Monitor {
            return self.on_monitor_action(action, now);
        }
        if self.context() == Context::Dataset {
            return self.on_dataset_action(action, now);
        }
        if self.context() == Context::Playground {
            return self.on_playground_action(action, now);
        }
        self.on_global_action(action, now)
    }

    /// Actions that mean the same everywhere (quit, help, tabs, dialogs); the rest are the
    /// Models pane's.
    fn on_global_action(&mut self, action: Action, now: Instant) -> Vec<Cmd> {
        match action {
            Action::Quit if self.dataset.dirty && !self.dataset.confirm_quit => {
                self.dataset.confirm_quit = true;
            }
            Action::Quit => self.quit = true,
            Action::Help => self.overlay = Overlay::Help,
            Action::Palette => {
                self.overlay = Overlay::Palette {
                    input: String::new(),
                }
            }
            Action::NextTab => self.tab = Tab::ALL[(self.tab.index() + 1) % 4],
            Action::PrevTab => self.tab = Tab::ALL[(self.tab.index() + 3) % 4],
            Action::GoModels => self.tab = Tab::Models,
            Action::GoMonitor => self.tab = Tab::Monitor,
            Action::GoDataset => self.tab = Tab::Dataset,
            Action::GoPlayground => self.tab = Tab::Playground,
            Action::Refresh => return self.refresh_list(),
            Action::Confirm => return self.confirm(),
            // "Quit with unsaved changes?": save first, from whichever tab asked.
            Action::Save if self.dataset.confirm_quit => {
                self.dataset.confirm_quit = false;
                return self.save_dataset(now);
            }
            Action::Cancel if self.dataset.confirm_quit => self.dataset.confirm_quit = false,
            Action::Cancel
                if self.monitor.confirm_cancel.is_some() || self.monitor.offer_delete.is_some() =>
            {
                self.monitor.confirm_cancel = None;
                self.monitor.offer_delete = None;
            }
            Action::Cancel if self.jobs.dialog.is_some() => self.jobs.dialog = None,
            Action::PrevChoice => self.jobs.choose_rebase_base(-1),
            Action::NextChoice => self.jobs.choose_rebase_base(1),
            Action::ToggleSameEndpoint => self.jobs.toggle_rebase_endpoint(),
            Action::Cancel => match &mut self.models.dialog {
                Some(Dialog::Permissions(view)) => view.confirm_remove = None,
                _ => self.models.dialog = None,
            },
            _ => return self.on_models_action(action, now),
        }
        Vec::new()
    }

    /// The model an action applies to: the open detail, else the selected row.
    fn target(&self) -> Option<String> {
        self.models
            .detail
            .clone()
            .or_else(|| self.models.selected_model().map(|m| m.name.clone()))
    }

    /// Your models still tuning, for the header, whatever the list's scope: the jobs the
    /// Monitor follows that have not ended, and CREATING models in the list of your own.
    pub fn creating_count(&self) -> usize {
        let mut tuning: std::collections::HashSet<&str> = self
            .monitor
            .jobs
            .iter()
            .filter(|j| !j.is_done())
            .map(|j| j.model.as_str())
            .collect();
        if self.models.scope == models::Scope::Mine {
            tuning.extend(
                self.models
                    .models
                    .iter()
                    .filter(|m| m.state == TunedModelState::Creating)
                    .map(|m| m.name.as_str()),
            );
        }
        tuning.len()
    }

    /// When the Models tab's list (tuned models, or Vertex AI's tuning jobs) last arrived.
    pub fn last_refresh(&self) -> Option<DateTime<Utc>> {
        if self.follows_vertex {
            self.jobs.loaded_at
        } else {
            self.models.loaded_at
        }
    }
}

/// Completes a palette line to the one command it starts, or their common prefix.
pub fn complete(input: &str) -> Option<String> {
    let names: Vec<String> = PALETTE_COMMANDS
        .iter()
        .map(|(n, _)| (*n).to_owned())
        .collect();
    complete_among(input.trim_start_matches(':'), &names)
}

/// The longest common start of the `words` that start with `input`.
pub fn complete_among(input: &str, words: &[String]) -> Option<String> {
    let matches: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .filter(|n| n.starts_with(input))
        .collect();
    let first = matches.first()?;
    let common = matches.iter().fold(first.to_string(), |acc, m| {
        acc.chars()
            .zip(m.chars())
            .take_while(|(a, b)| a == b)
            .map(|(a, _)| a)
            .collect()
    });
    Some(common)
}
