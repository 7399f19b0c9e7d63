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
            Action::OpenMonitor,
            Action::OpenPlayground,
            Action::Delete,
            Action::Edit,
            Action::CopyName,
            Action::SortNext,
            Action::SortReverse,
            Action::Refresh,
            Action::ToggleScope,
            Action::Mark,
            Action::Palette,
            Action::Help,
            Action::Quit,
        ],
        Context::Detail => &[
            Action::Back,
            Action::Edit,
            Action::Delete,
            Action::CopyName,
            Action::Permissions,
            Action::Transfer,
            Action::OpenMonitor,
            Action::OpenPlayground,
            Action::Help,
            Action::Quit,
        ],
        Context::Jobs => &[
            Action::Open,
            Action::Filter,
            Action::OpenMonitor,
            Action::OpenPlayground,
            Action::CancelJob,
            Action::Delete,
            Action::Rebase,
            Action::CopyName,
            Action::CopyEndpoint,
            Action::SortNext,
            Action::SortReverse,
            Action::Refresh,
            Action::Mark,
            Action::Palette,
            Action::Help,
            Action::Quit,
        ],
        Context::JobDetail => &[
            Action::Back,
            Action::OpenMonitor,
            Action::OpenPlayground,
            Action::CancelJob,
            Action::Delete,
            Action::Rebase,
            Action::CopyName,
            Action::CopyModel,
            Action::CopyEndpoint,
            Action::Down,
            Action::Help,
            Action::Quit,
        ],
        Context::Permissions => &[Action::Add, Action::Delete, Action::Back],
        Context::Monitor => &[
            Action::Open,
            Action::ToggleEpochs,
            Action::ToggleSmoothing,
            Action::ToggleLog,
            Action::CursorLeft,
            Action::CursorRight,
            Action::Mark,
            Action::Export,
            Action::CancelJob,
            Action::OpenPlayground,
            Action::CopyName,
            Action::Delete,
            Action::ToggleAccuracy,
            Action::Up,
            Action::Down,
            Action::Help,
            Action::Quit,
        ],
        Context::Dataset => &[
            Action::Open,
            Action::SwapAnswers,
            Action::Add,
            Action::Delete,
            Action::Save,
            Action::Tune,
            Action::Search,
            Action::OpenFile,
            Action::ExportAs,
            Action::Undo,
            Action::Redo,
            Action::Duplicate,
            Action::MoveUp,
            Action::MoveDown,
            Action::Mark,
            Action::SystemInstruction,
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

/// `key label` pairs, as drawn.
type Hints<'a> = Vec<(String, &'a str)>;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let fixed: Option<&[(&str, &str)]> = if app.contexts.picker.is_some() {
        Some(&[("↑↓", "choose"), ("enter", "switch"), ("esc", "close")])
    } else if matches!(app.overlay, Overlay::Palette { .. }) {
        Some(&[("tab", "complete"), ("enter", "run"), ("esc", "close")])
    } else if app.models.filter_editing {
        Some(&[("type", "to filter"), ("enter", "keep"), ("esc", "clear")])
    } else if let Some(crate::app::models::Dialog::Permissions(v)) = &app.models.dialog
        && let Some(form) = &v.form
    {
        // The form's own words: enter adds; space changes only a choice field.
        if form.focus == crate::app::models::PermissionField::Email {
            Some(&[("tab", "next field"), ("enter", "add"), ("esc", "cancel")])
        } else {
            Some(&[
                ("tab", "next field"),
                ("space", "change"),
                ("enter", "add"),
                ("esc", "cancel"),
            ])
        }
    } else if matches!(
        &app.models.dialog,
        Some(crate::app::models::Dialog::Edit(_) | crate::app::models::Dialog::Transfer(_))
    ) {
        Some(&[("tab", "next field"), ("enter", "save"), ("esc", "cancel")])
    } else if app.tab == crate::app::Tab::Playground
        && app.playground.focus != crate::app::playground::Focus::Normal
    {
        use crate::app::playground::Focus;
        Some(match app.playground.focus {
            Focus::Prompt => &[
                ("esc", "done"),
                ("ctrl-s", "send"),
                ("ctrl-z", "undo"),
                ("ctrl-o", "edit in $EDITOR"),
            ],
            Focus::Settings => &[
                ("tab", "next field"),
                ("←/→", "safety"),
                ("enter/esc", "done"),
            ],
            Focus::Picker { .. } if app.playground.picker_typing => {
                &[("type", "to filter"), ("enter", "keep"), ("esc", "clear")]
            }
            Focus::Picker { compare: true } => &[
                ("j/k g/G", "move"),
                ("/", "filter"),
                ("enter", "compare with it"),
                ("d", "no comparison"),
                ("esc", "cancel"),
            ],
            Focus::Picker { .. } => &[
                ("j/k g/G", "move"),
                ("/", "filter"),
                ("enter", "choose"),
                ("esc", "cancel"),
            ],
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
    } else if app.tab == crate::app::Tab::Dataset
        && app.dataset.conflict.as_ref().is_some_and(|c| !c.hidden)
    {
        if app
            .dataset
            .conflict
            .as_ref()
            .is_some_and(|c| c.asking_overwrite)
        {
            Some(&[("y", "overwrite the file"), ("n", "back")])
        } else {
            Some(&[
                ("s", "save as a new file"),
                ("o", "overwrite"),
                ("d", "discard the edits"),
                ("esc", "later"),
            ])
        }
    } else if app.tab == crate::app::Tab::Dataset && app.dataset.prompt.is_some() {
        Some(&[("enter", "ok"), ("tab", "complete path"), ("esc", "cancel")])
    } else if app.tab == crate::app::Tab::Dataset
        && (app
            .dataset
            .tune
            .as_ref()
            .is_some_and(|f| f.review.is_some())
            || app
                .dataset
                .vertex_tune
                .as_ref()
                .is_some_and(|f| !f.hidden && f.review.is_some() && f.upload.is_none()))
    {
        Some(&[
            ("enter", "confirm and start"),
            ("esc", "back to the fields"),
        ])
    } else if app.tab == crate::app::Tab::Dataset
        && app.dataset.vertex_tune.as_ref().is_some_and(|f| !f.hidden)
    {
        Some(&[
            ("tab/enter", "next field"),
            ("←/→", "tune from · adapter size"),
            ("ctrl-s", "start"),
            ("esc", "cancel"),
        ])
    } else if app.tab == crate::app::Tab::Dataset && app.dataset.tune.is_some() {
        Some(&[
            ("tab/enter", "next field"),
            ("←/→", "source model"),
            ("ctrl-s", "start"),
            ("esc", "cancel"),
        ])
    } else if app.tab == crate::app::Tab::Dataset && app.dataset.editor.is_some() {
        Some(&[
            ("tab", "next field"),
            ("esc", "keep and close"),
            ("ctrl-g", "discard"),
            ("ctrl-z", "undo typing"),
            ("ctrl-s", "keep and save"),
            ("ctrl-o", "edit in $EDITOR"),
        ])
    } else if app.overlay == Overlay::Help {
        Some(&[("any key", "close")])
    } else {
        None
    };
    let (hints, always): (Hints, Hints) = match fixed {
        Some(list) => (
            list.iter().map(|(k, l)| ((*k).to_owned(), *l)).collect(),
            Vec::new(),
        ),
        None => {
            let context = app.context();
            let wanted: Vec<Action> = hinted(context)
                .iter()
                .copied()
                .filter(|a| !matches!(a, Action::Help | Action::Quit))
                // Only a preference dataset has two answers to swap.
                .filter(|a| *a != Action::SwapAnswers || app.dataset.is_preference())
                .collect();
            let mut hints = app.keymap.hints(context, &wanted);
            // Enter edits the example in the Dataset tab; "details" would mislead.
            if context == Context::Dataset {
                for hint in &mut hints {
                    if hint.1 == Action::Open.label() {
                        hint.1 = "edit";
                    }
                }
            }
            let always = if context == Context::Dialog {
                Vec::new()
            } else {
                app.keymap.hints(context, &[Action::Help, Action::Quit])
            };
            (hints, always)
        }
    };
    let width = |(key, label): &(String, &str)| key.chars().count() + label.chars().count() + 3;
    // `? help` and `q quit` always fit; the other hints fill what is left, most used first.
    let reserved: usize = always.iter().map(width).sum();
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1 + reserved;
    let mut shown = Vec::new();
    for hint in hints {
        if used + width(&hint) > usize::from(area.width) {
            continue;
        }
        used += width(&hint);
        shown.push(hint);
    }
    for (key, label) in shown.into_iter().chain(always) {
        spans.push(Span::styled(key, theme.key));
        spans.push(Span::raw(format!(" {label}  ")));
    }
    frame.render_widget(Line::from(spans), area);
}
