//! The sharing dialogs over a model's detail: its permissions (list, add, remove) and the
//! transfer of ownership.

use crate::api::types::{GranteeType, Role};
use crate::app::models::{PermissionField, PermissionsView, TransferForm};
use crate::tui::theme::Theme;
use crate::tui::widgets::dialog;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

pub fn render_permissions(
    frame: &mut Frame,
    area: Rect,
    view: &PermissionsView,
    cursor: Option<usize>,
    theme: &Theme,
) {
    let mut lines: Vec<Line> = Vec::new();
    match &view.permissions {
        None => lines.push(Line::styled("Loading permissions…", theme.muted)),
        Some(list) if list.is_empty() => lines.push(Line::styled("No permissions.", theme.muted)),
        Some(list) => {
            for (i, p) in list.iter().enumerate() {
                let who = match p.grantee_type {
                    Some(GranteeType::Everyone) => "everyone".to_owned(),
                    _ => p.email_address.clone().unwrap_or_default(),
                };
                let kind = p
                    .grantee_type
                    .as_ref()
                    .map(|g| g.name().to_lowercase())
                    .unwrap_or_default();
                let style = if i == view.selected && view.form.is_none() {
                    theme.selected
                } else {
                    Style::default()
                };
                let role_style = if p.role == Role::Owner {
                    theme.key
                } else {
                    Style::default()
                };
                lines.push(Line::from(vec![
                    Span::styled(format!(" {:<7}", p.role.name()), role_style),
                    Span::styled(format!(" {who:<40} {kind}"), style),
                ]));
            }
        }
    }
    lines.push(Line::raw(""));
    if let Some(form) = &view.form {
        let field = |f: PermissionField, label: &str, value: String| {
            dialog::field(format!(" {label:<10}"), value, form.focus == f, theme)
        };
        let choice = |v: &str| format!("‹ {} ›", v.to_lowercase());
        lines.push(Line::styled("Add a permission", theme.title));
        lines.push(field(
            PermissionField::Grantee,
            "Who",
            choice(form.grantee.name()),
        ));
        if form.grantee != GranteeType::Everyone {
            let email = if form.focus == PermissionField::Email {
                crate::app::line_edit::with_cursor(&form.email, cursor)
            } else {
                form.email.clone()
            };
            lines.push(field(PermissionField::Email, "Email", email));
        }
        lines.push(field(
            PermissionField::Role,
            "Role",
            choice(form.role.name()),
        ));
        if let Some(e) = &form.error {
            lines.push(Line::styled(e.clone(), theme.error));
        }
        lines.push(dialog::keys_line(
            &[
                ("tab", "next"),
                ("space", "change"),
                ("enter", "add"),
                ("esc", "cancel"),
            ],
            theme,
        ));
    } else if let Some(name) = &view.confirm_remove {
        let who = view
            .permissions
            .as_ref()
            .and_then(|l| l.iter().find(|p| &p.name == name))
            .map(|p| p.email_address.clone().unwrap_or_else(|| "everyone".into()))
            .unwrap_or_default();
        lines.push(Line::styled(
            format!("Remove the permission of {who}?"),
            theme.warn,
        ));
        lines.push(dialog::keys_line(&[("y", "remove"), ("n", "keep")], theme));
    } else {
        lines.push(Line::styled(
            "readers use it · writers also edit and share it · the owner can delete it",
            theme.muted,
        ));
    }
    if let Some(e) = &view.error {
        lines.push(Line::styled(e.clone(), theme.error));
    }
    let title = Span::styled(format!(" Permissions of {} ", view.model), theme.title);
    dialog::render(frame, area, title, lines, 78);
}

pub fn render_transfer(
    frame: &mut Frame,
    area: Rect,
    form: &TransferForm,
    cursor: Option<usize>,
    theme: &Theme,
) {
    let mut lines = vec![
        Line::raw(format!("Transfer ownership of {}", form.model)),
        Line::from(vec![
            Span::styled("New owner  ", theme.muted),
            Span::styled(
                if form.confirming {
                    form.email.clone()
                } else {
                    crate::app::line_edit::with_cursor(&form.email, cursor)
                },
                theme.title,
            ),
        ]),
        Line::raw(""),
    ];
    if form.confirming {
        lines.push(Line::styled(
            format!(
                "{} becomes the owner; you become a writer and can no longer delete it.",
                form.email.trim()
            ),
            theme.warn,
        ));
        lines.push(dialog::keys_line(
            &[("y", "transfer"), ("n", "cancel")],
            theme,
        ));
    } else {
        if let Some(e) = &form.error {
            lines.push(Line::styled(e.clone(), theme.error));
        }
        lines.push(dialog::keys_line(
            &[("enter", "continue"), ("esc", "cancel")],
            theme,
        ));
    }
    dialog::render(
        frame,
        area,
        Span::styled(" Transfer ownership ", theme.warn),
        lines,
        76,
    );
}
