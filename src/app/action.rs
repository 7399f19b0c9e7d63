//! User intents: the vocabulary of the keymap file and of the key hints. Every bindable action
//! is named here once, with the label the footer and the help overlay show.

/// Where a key is looked up: the focused context first, then `global`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    Global,
    Models,
    Detail,
    /// The Models tab with Vertex AI chosen: the project's tuning jobs.
    Jobs,
    /// One Vertex AI tuning job's detail.
    JobDetail,
    Permissions,
    Monitor,
    Dataset,
    Playground,
    Dialog,
}

impl Context {
    pub const ALL: [Context; 10] = [
        Context::Global,
        Context::Models,
        Context::Detail,
        Context::Jobs,
        Context::JobDetail,
        Context::Permissions,
        Context::Monitor,
        Context::Dataset,
        Context::Playground,
        Context::Dialog,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Models => "models",
            Context::Detail => "detail",
            Context::Jobs => "jobs",
            Context::JobDetail => "job_detail",
            Context::Permissions => "permissions",
            Context::Monitor => "monitor",
            Context::Dataset => "dataset",
            Context::Playground => "playground",
            Context::Dialog => "dialog",
        }
    }

    pub fn from_name(name: &str) -> Option<Context> {
        Context::ALL.into_iter().find(|c| c.name() == name)
    }
}

macro_rules! actions {
    ($($variant:ident => $name:literal, $label:literal;)+) => {
        /// A bindable user intent.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action { $($variant),+ }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant),+];

            /// The name used in the config file.
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name),+ }
            }

            /// The short label for hints.
            pub fn label(self) -> &'static str {
                match self { $(Action::$variant => $label),+ }
            }

            pub fn from_name(name: &str) -> Option<Action> {
                match name { $($name => Some(Action::$variant),)+ _ => None }
            }
        }
    };
}

actions! {
    Quit => "quit", "quit";
    Help => "help", "help";
    Palette => "palette", "command";
    NextTab => "next_tab", "next tab";
    PrevTab => "prev_tab", "previous tab";
    GoModels => "go_models", "models";
    GoMonitor => "go_monitor", "monitor";
    GoDataset => "go_dataset", "dataset";
    GoPlayground => "go_playground", "playground";
    Refresh => "refresh", "refresh";
    Up => "up", "up";
    Down => "down", "down";
    PageUp => "page_up", "page up";
    PageDown => "page_down", "page down";
    Top => "top", "top";
    Bottom => "bottom", "bottom";
    Open => "open", "details";
    Back => "back", "back";
    Filter => "filter", "filter";
    SortNext => "sort_next", "sort";
    SortReverse => "sort_reverse", "reverse";
    ToggleScope => "toggle_scope", "scope";
    Mark => "mark", "mark";
    Delete => "delete", "delete";
    Edit => "edit", "edit";
    CopyName => "copy_name", "copy name";
    CopyModel => "copy_model", "copy model";
    CopyEndpoint => "copy_endpoint", "copy endpoint";
    PrevCheckpoint => "prev_checkpoint", "checkpoint ↑";
    NextCheckpoint => "next_checkpoint", "checkpoint ↓";
    SetDefaultCheckpoint => "set_default_checkpoint", "make default";
    Rebase => "rebase", "rebase";
    PrevChoice => "prev_choice", "choice ←";
    NextChoice => "next_choice", "choice →";
    ToggleSameEndpoint => "toggle_same_endpoint", "same endpoint";
    Permissions => "permissions", "permissions";
    Transfer => "transfer", "transfer ownership";
    Add => "add", "add";
    ToggleEpochs => "toggle_epochs", "per epoch";
    ToggleSmoothing => "toggle_smoothing", "smooth";
    ToggleLog => "toggle_log", "log scale";
    ToggleAccuracy => "toggle_accuracy", "accuracy";
    CursorLeft => "cursor_left", "cursor ←";
    CursorRight => "cursor_right", "cursor →";
    CancelJob => "cancel_job", "cancel job";
    OpenMonitor => "open_monitor", "monitor";
    Export => "export", "export CSV+JSON";
    Duplicate => "duplicate", "duplicate";
    MoveUp => "move_up", "move up";
    MoveDown => "move_down", "move down";
    Undo => "undo", "undo";
    Redo => "redo", "redo";
    Save => "save", "save";
    Tune => "tune", "start tuning";
    SystemInstruction => "system_instruction", "system instruction";
    SystemInstructionAll => "system_instruction_all", "system instruction for all";
    SwapAnswers => "swap_answers", "swap answers";
    Search => "search", "search";
    SearchNext => "search_next", "next match";
    SearchPrev => "search_prev", "previous match";
    OpenFile => "open_file", "open file";
    ExportAs => "export_as", "export as";
    OpenPlayground => "open_playground", "playground";
    EditPrompt => "edit_prompt", "edit prompt";
    Send => "send", "send";
    PickModel => "pick_model", "model";
    PickCompare => "pick_compare", "compare with";
    Settings => "settings", "settings";
    History => "history", "history";
    CopyAnswer => "copy_answer", "copy answer";
    CopyCurl => "copy_curl", "copy as curl";
    NextCandidate => "next_candidate", "next candidate";
    PrevCandidate => "prev_candidate", "previous candidate";
    Evaluate => "evaluate", "evaluate";
    Confirm => "confirm", "yes";
    Cancel => "cancel", "no";
}
