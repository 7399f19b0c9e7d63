//! The footer: key hints for the focused context, generated from the keymap that handles the
//! keys, so a hint can never name a key that does something else.

use crate::app::action::{Action, Context};
use crate::app::{App, Overlay};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// The actions worth a hint in each context, most useful first.
pub fn hinted(context: Context) -> &'static [Action] {
    match context {
        Context::Models => &[
            Action::Open,
            Action::Filter,
            Action::Delete,
            Action::Edit,
            Action::Refresh,
            Action::Help,
            Action::Quit,
            Action::SortNext,
            Action::ToggleScope,
            Action::Mark,
            Action::Palette,
        ],
        Context::Detail => &[
            Action::Back,
            Action::Edit,
            Action::Delete,
            Action::CopyName,
            Action::Permissions,
            Action::Transfer,
            Action::OpenMonitor,
            Action::Help,
            Action::Quit,
        ],
        Context::Permissions => &[Action::Add, Action::Delete, Action::Back],
        Context::Monitor => &[
            Action::Up,
            Action::Down,
            Action::ToggleEpochs,
            Action::ToggleSmoothing,
            Action::ToggleLog,
            Action::CursorLeft,
            Action::CursorRight,
            Action::CancelJob,
            Action::Help,
            Action::Quit,
        ],
        Context::Dataset => &[
            Action::Open,
            Action::Add,
            Action::Duplicate,
            Action::Delete,
            Action::MoveUp,
            Action::MoveDown,
            Action::Undo,
            Action::Redo,
            Action::Save,
            Action::Tune,
            Action::Mark,
            Action::Search,
            Action::OpenFile,
            Action::ExportAs,
            Action::Help,
            Action::Quit,
        ],
        Context::Playground => &[
            Action::EditPrompt,
            Action::Send,
            Action::PickModel,
            Action::PickCompare,
            Action::Settings,
            Action::History,
            Action::CopyAnswer,
            Action::CopyCurl,
            Action::Evaluate,
            Action::Help,
            Action::Quit,
        ],
        Context::Dialog => &[Action::Confirm, Action::Cancel],
        Context::Global => &[Action::NextTab, Action::Palette, Action::Help, Action::Quit],
    }
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let fixed: Option<&[(&str, &str)]> = if matches!(app.overlay, Overlay::Palette { .. }) {
        Some(&[("tab", "complete"), ("enter", "run"), ("esc", "close")])
    } else if app.models.filter_editing {
        Some(&[("type", "to filter"), ("enter", "keep"), ("esc", "clear")])
    } else if matches!(
        &app.models.dialog,
        Some(crate::app::models::Dialog::Edit(_) | crate::app::models::Dialog::Transfer(_))
    ) || matches!(&app.models.dialog, Some(crate::app::models::Dialog::Permissions(v)) if v.form.is_some())
    {
        Some(&[("tab", "next field"), ("enter", "save"), ("esc", "cancel")])
    } else if app.tab == crate::app::Tab::Playground
        && app.playground.focus != crate::app::playground::Focus::Normal
    {
        use crate::app::playground::Focus;
        Some(match app.playground.focus {
            Focus::Prompt => &[
                ("esc", "done"),
                ("ctrl-s", "send"),
                ("ctrl-o", "edit in $EDITOR"),
            ],
            Focus::Settings => &[
                ("tab", "next field"),
                ("←/→", "safety"),
                ("enter/esc", "done"),
            ],
            Focus::Picker { compare: true } => &[
                ("j/k", "move"),
                ("enter", "compare with it"),
                ("d", "no comparison"),
                ("esc", "cancel"),
            ],
            Focus::Picker { .. } => &[("j/k", "move"), ("enter", "choose"), ("esc", "cancel")],
            _ => &[
                ("j/k", "move"),
                ("enter", "run again"),
                ("e", "edit it"),
                ("esc", "close"),
            ],
        })
    } else if app.tab == crate::app::Tab::Playground && app.playground.eval.is_some() {
        Some(&[
            ("j/k", "move"),
            ("x", "export CSV"),
            ("esc", "close (stops it)"),
        ])
    } else if app.tab == crate::app::Tab::Dataset && app.dataset.prompt.is_some() {
        Some(&[("enter", "ok"), ("tab", "complete path"), ("esc", "cancel")])
    } else if app.tab == crate::app::Tab::Dataset && app.dataset.tune.is_some() {
        Some(&[
            ("tab", "next field"),
            ("←/→", "source model"),
            ("enter", "start tuning"),
            ("esc", "cancel"),
        ])
    } else if app.tab == crate::app::Tab::Dataset && app.dataset.editor.is_some() {
        Some(&[
            ("tab", "other field"),
            ("esc", "keep and close"),
            ("ctrl-s", "keep and save"),
            ("ctrl-o", "edit in $EDITOR"),
            ("ctrl-z", "undo typing"),
        ])
    } else if app.overlay == Overlay::Help {
        Some(&[("any key", "close")])
    } else {
        None
    };
    let hints: Vec<(String, &str)> = match fixed {
        Some(list) => list.iter().map(|(k, l)| ((*k).to_owned(), *l)).collect(),
        None => {
            let context = app.context();
            app.keymap.hints(context, hinted(context))
        }
    };
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1usize;
    for (key, label) in hints {
        let width = key.chars().count() + label.chars().count() + 3;
        if used + width > usize::from(area.width) {
            break;
        }
        used += width;
        spans.push(Span::styled(key, theme.key));
        spans.push(Span::raw(format!(" {label}  ")));
    }
    frame.render_widget(Line::from(spans), area);
}
