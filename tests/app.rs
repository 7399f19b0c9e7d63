//! `App::update`: messages in, state and commands out, with no terminal and no runtime.

mod common;
use common::app::*;
use crossterm::event::KeyCode;
use std::time::Duration;
use tunedeck::api::types::TunedModelState;
use tunedeck::api::{ApiError, Code};
use tunedeck::app::models::{Column, Dialog, Load, PermissionField, Scope};
use tunedeck::app::{Msg, Overlay, Tab};
use tunedeck::domain::tuning::ModelField;
use tunedeck::protocol::{ApiCall, Cmd, Reply, WorkerEvent};

fn ids(app: &tunedeck::app::App) -> Vec<String> {
    app.models
        .visible
        .iter()
        .map(|i| app.models.models[*i].id().to_owned())
        .collect()
}

#[test]
fn start_lists_every_page_and_shows_the_first_at_once() {
    let mut app = app();
    let cmds = app.start();
    let id = list_request(&cmds);
    assert!(matches!(app.models.load, Load::Loading { .. }));
    let now = clock();
    app.update(page(id, three()[..2].to_vec(), false), now);
    assert_eq!(
        app.models.models.len(),
        2,
        "the first page is shown before the rest arrive"
    );
    assert!(matches!(app.models.load, Load::Loading { pages: 1, .. }));
    app.update(page(id, three()[2..].to_vec(), true), now);
    assert_eq!(app.models.models.len(), 3);
    assert_eq!(app.models.load, Load::Loaded);
    assert_eq!(app.connection.healthy, Some(true));
    assert_eq!(
        ids(&app),
        vec!["charlie-3", "bravo-2", "alpha-1"],
        "newest first"
    );
}

#[test]
fn a_stale_list_answer_is_ignored() {
    let mut app = loaded(three());
    let cmds = app.update(key('r'), clock());
    let fresh = list_request(&cmds);
    app.update(page(fresh - 1, vec![], true), clock());
    assert_eq!(app.models.models.len(), 3);
    app.update(page(fresh, three()[..1].to_vec(), true), clock());
    assert_eq!(app.models.models.len(), 1);
}

#[test]
fn refreshes_while_a_model_is_creating_and_stops_after() {
    let now = clock();
    let mut app = loaded(three());
    let due = app
        .next_wakeup()
        .expect("a refresh is scheduled while bravo is CREATING");
    assert_eq!(due, due.max((now + Duration::from_secs(2)).instant));
    let due = now.advanced_to(due);
    let cmds = app.update(Msg::Timer, due);
    let id = list_request(&cmds);
    let mut done = three();
    done[1].state = TunedModelState::Active;
    app.update(page(id, done, true), due);
    assert_eq!(app.next_wakeup(), None, "idle: nothing scheduled");
}

#[test]
fn a_failed_list_names_the_cause_and_keeps_the_screen_usable() {
    let mut app = app();
    let id = list_request(&app.start());
    let error = ApiError::from_response(403, br#"{"error": {"code": 403, "message": "Request had insufficient authentication scopes.", "status": "PERMISSION_DENIED"}}"#, None);
    app.update(Msg::Worker(WorkerEvent::Failed { id, error }), clock());
    match &app.models.load {
        Load::Failed(e) => assert_eq!(e.code, Code::PermissionDenied),
        other => panic!("{other:?}"),
    }
    assert_eq!(app.connection.healthy, Some(false));
    let cmds = app.update(key('r'), clock());
    assert!(!cmds.is_empty(), "r retries");
}

#[test]
fn navigation_filter_and_sort() {
    let mut app = loaded(three());
    let now = clock();
    app.update(key('j'), now);
    assert_eq!(app.models.selected_model().unwrap().id(), "bravo-2");
    app.update(key('G'), now);
    assert_eq!(app.models.selected_model().unwrap().id(), "alpha-1");
    app.update(key('g'), now);
    assert_eq!(app.models.selected, 0);
    app.update(key('/'), now);
    for c in "brav".chars() {
        app.update(key(c), now);
    }
    assert_eq!(ids(&app), vec!["bravo-2"]);
    app.update(code(KeyCode::Enter), now);
    assert!(!app.models.filter_editing);
    app.update(code(KeyCode::Esc), now);
    assert_eq!(ids(&app).len(), 3, "esc clears the kept filter");
    app.update(key('/'), now);
    for c in "description".chars() {
        app.update(key(c), now);
    }
    assert_eq!(ids(&app).len(), 3, "the filter searches descriptions");
    app.update(code(KeyCode::Esc), now);
    app.update(key('s'), now);
    assert_eq!(app.models.sort, Column::Updated);
    app.update(key('s'), now);
    app.update(key('s'), now);
    app.update(key('s'), now);
    assert_eq!(
        app.models.sort,
        Column::LearningRate,
        "created → updated → epochs → batch → lr"
    );
    app.models.sort = Column::DisplayName;
    app.models.descending = false;
    app.models.refresh_view();
    assert_eq!(ids(&app), vec!["alpha-1", "bravo-2", "charlie-3"]);
    app.update(key('S'), now);
    assert_eq!(ids(&app), vec!["charlie-3", "bravo-2", "alpha-1"]);
}

#[test]
fn selection_follows_its_model_across_a_refresh() {
    let mut app = loaded(three());
    app.update(key('j'), clock());
    let id = list_request(&app.update(key('r'), clock()));
    let mut more = three();
    more.push(model("delta-4", "Delta", TunedModelState::Active, 4));
    app.update(page(id, more, true), clock());
    assert_eq!(app.models.selected_model().unwrap().id(), "bravo-2");
}

#[test]
fn scope_toggle_asks_the_server_with_its_filter() {
    let mut app = loaded(three());
    let cmds = app.update(key('o'), clock());
    assert_eq!(app.models.scope, Scope::Owned);
    assert!(cmds.iter().any(|c| matches!(c, Cmd::Call { call: ApiCall::ListTunedModels { filter: Some(f) }, .. } if f == "owner:me")));
    let cmds = app.update(key('o'), clock());
    assert!(cmds.iter().any(|c| matches!(c, Cmd::Call { call: ApiCall::ListTunedModels { filter: Some(f) }, .. } if f == "readers:everyone")));
}

#[test]
fn delete_asks_first_and_names_the_model() {
    let mut app = loaded(three());
    let now = clock();
    assert!(
        app.update(key('d'), now).is_empty(),
        "nothing is deleted before confirming"
    );
    assert_eq!(
        app.models.dialog,
        Some(Dialog::ConfirmDelete {
            names: vec!["tunedModels/charlie-3".into()]
        })
    );
    app.update(key('n'), now);
    assert_eq!(app.models.dialog, None);
    app.update(key('d'), now);
    let cmds = app.update(key('y'), now);
    let [
        Cmd::Call {
            id,
            call: ApiCall::DeleteTunedModel { name },
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(name, "tunedModels/charlie-3");
    app.update(
        Msg::Worker(WorkerEvent::Reply {
            id: *id,
            reply: Reply::Empty,
        }),
        now,
    );
    assert_eq!(app.models.models.len(), 2);
    assert!(app.toasts[0].text.contains("Charlie"));
}

#[test]
fn multi_select_delete_states_the_count() {
    let mut app = loaded(three());
    let now = clock();
    app.update(key(' '), now);
    app.update(key(' '), now);
    assert_eq!(app.models.marked.len(), 2);
    app.update(key('d'), now);
    let Some(Dialog::ConfirmDelete { names }) = &app.models.dialog else {
        panic!()
    };
    assert_eq!(names.len(), 2);
    let cmds = app.update(key('y'), now);
    assert_eq!(cmds.len(), 2);
    assert!(app.models.marked.is_empty());
}

#[test]
fn a_failed_delete_keeps_the_model_and_says_why() {
    let mut app = loaded(three());
    let now = clock();
    app.update(key('d'), now);
    let cmds = app.update(key('y'), now);
    let Cmd::Call { id, .. } = cmds[0] else {
        panic!()
    };
    let error = ApiError::from_response(403, br#"{"error": {"code": 403, "message": "You do not have permission to delete tuned model tunedModels/charlie-3", "status": "PERMISSION_DENIED"}}"#, None);
    app.update(Msg::Worker(WorkerEvent::Failed { id, error }), now);
    assert_eq!(app.models.models.len(), 3);
    assert!(app.toasts[0].text.contains("Could not delete"));
    let expiry = app.toasts[0].until;
    app.update(Msg::Timer, now.advanced_to(expiry));
    assert!(app.toasts.is_empty(), "toasts expire");
}

#[test]
fn edit_validates_then_patches_only_what_changed() {
    let mut app = loaded(three());
    let now = clock();
    app.update(key('e'), now);
    for c in " with a name that is much too long".chars() {
        app.update(key(c), now);
    }
    assert!(app.update(code(KeyCode::Enter), now).is_empty());
    let Some(Dialog::Edit(form)) = &app.models.dialog else {
        panic!()
    };
    assert!(form.error.as_deref().unwrap().contains("limit is 40"));
    for _ in 0..34 {
        app.update(code(KeyCode::Backspace), now);
    }
    app.update(key('!'), now);
    app.update(code(KeyCode::Tab), now);
    app.update(code(KeyCode::Tab), now);
    app.update(code(KeyCode::Backspace), now);
    app.update(key('3'), now);
    app.update(code(KeyCode::Enter), now);
    let Some(Dialog::Edit(form)) = &app.models.dialog else {
        panic!("still open: temperature 3 is out of range")
    };
    assert!(form.error.as_deref().unwrap().contains("Temperature"));
    app.update(code(KeyCode::Backspace), now);
    app.update(key('0'), now);
    app.update(key('.'), now);
    app.update(key('5'), now);
    let cmds = app.update(code(KeyCode::Enter), now);
    let [
        Cmd::Call {
            id,
            call: ApiCall::UpdateTunedModel { model, mask },
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(
        mask,
        &vec!["displayName".to_owned(), "temperature".to_owned()]
    );
    assert_eq!(model.display_name, "Charlie!");
    assert_eq!(model.temperature, Some(0.5));
    let mut saved = three()[2].clone();
    saved.display_name = "Charlie!".into();
    app.update(
        Msg::Worker(WorkerEvent::Reply {
            id: *id,
            reply: Reply::TunedModel(Box::new(saved)),
        }),
        now,
    );
    assert_eq!(
        app.models
            .find("tunedModels/charlie-3")
            .unwrap()
            .display_name,
        "Charlie!"
    );
}

#[test]
fn tabs_help_palette_and_quit() {
    let mut app = loaded(three());
    let now = clock();
    app.update(code(KeyCode::Tab), now);
    assert_eq!(app.tab, Tab::Monitor);
    app.update(code(KeyCode::BackTab), now);
    assert_eq!(app.tab, Tab::Models);
    app.update(key('4'), now);
    assert_eq!(app.tab, Tab::Playground);
    app.update(key('?'), now);
    assert_eq!(app.overlay, Overlay::Help);
    app.update(key('x'), now);
    assert_eq!(app.overlay, Overlay::None);
    app.update(key(':'), now);
    app.update(key('m'), now);
    app.update(key('o'), now);
    app.update(key('d'), now);
    app.update(code(KeyCode::Tab), now);
    assert_eq!(
        app.overlay,
        Overlay::Palette {
            input: "models".into()
        }
    );
    app.update(code(KeyCode::Enter), now);
    assert_eq!(app.tab, Tab::Models);
    app.update(key(':'), now);
    app.update(key('z'), now);
    app.update(code(KeyCode::Enter), now);
    assert!(app.toasts.last().unwrap().text.contains("Unknown command"));
    app.update(key('q'), now);
    assert!(app.quit);
}

#[test]
fn detail_opens_on_enter_and_esc_goes_back() {
    let mut app = loaded(three());
    let now = clock();
    app.update(code(KeyCode::Enter), now);
    assert_eq!(app.models.detail.as_deref(), Some("tunedModels/charlie-3"));
    let cmds = app.update(key('y'), now);
    assert!(
        matches!(cmds.as_slice(), [Cmd::Copy(name)] if name == "tunedModels/charlie-3"),
        "copy name: {cmds:?}"
    );
    app.update(code(KeyCode::Esc), now);
    assert_eq!(app.models.detail, None);
}

#[test]
fn a_too_small_terminal_only_accepts_quit() {
    let mut app = loaded(three());
    let now = clock();
    app.update(Msg::Resize(60, 20), now);
    app.update(key('j'), now);
    assert_eq!(app.models.selected, 0);
    app.update(key('q'), now);
    assert!(app.quit);
}

#[test]
fn a_thousand_models_page_down_and_bottom() {
    let models: Vec<_> = (0..1000)
        .map(|i| {
            model(
                &format!("m{i:04}"),
                &format!("Model {i}"),
                TunedModelState::Active,
                1 + (i % 28) as u32,
            )
        })
        .collect();
    let mut app = loaded(models);
    let now = clock();
    app.update(code(KeyCode::PageDown), now);
    assert_eq!(app.models.selected, app.table_height());
    app.update(key('G'), now);
    assert_eq!(app.models.selected, 999);
}

fn permission(
    model: &str,
    pid: &str,
    email: Option<&str>,
    role: tunedeck::api::types::Role,
) -> tunedeck::api::types::Permission {
    use tunedeck::api::types::{GranteeType, Permission};
    Permission {
        name: format!("{model}/permissions/{pid}"),
        grantee_type: Some(if email.is_some() {
            GranteeType::User
        } else {
            GranteeType::Everyone
        }),
        email_address: email.map(str::to_owned),
        role,
    }
}

#[test]
fn permissions_list_add_and_remove() {
    use tunedeck::api::types::{GranteeType, Role};
    use tunedeck::app::models::PermissionsView;
    let mut app = loaded(three());
    let now = clock();
    let model = "tunedModels/charlie-3";
    app.update(code(KeyCode::Enter), now);
    let cmds = app.update(key('p'), now);
    let [
        Cmd::Call {
            id,
            call: ApiCall::ListPermissions { name },
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(name, model);
    let owner = permission(model, "own", Some("me@x.com"), Role::Owner);
    app.update(
        Msg::Worker(WorkerEvent::Reply {
            id: *id,
            reply: Reply::Permissions(vec![owner.clone()]),
        }),
        now,
    );
    let view = |app: &tunedeck::app::App| -> PermissionsView {
        match &app.models.dialog {
            Some(Dialog::Permissions(v)) => (**v).clone(),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(view(&app).permissions.unwrap().len(), 1);
    // The owner cannot be removed.
    app.update(key('d'), now);
    assert!(view(&app).error.unwrap().contains("transfer"));
    // Add: a bad address is refused, a good one is sent with the chosen role.
    app.update(key('a'), now);
    for c in "nobody".chars() {
        app.update(key(c), now);
    }
    assert!(app.update(code(KeyCode::Enter), now).is_empty());
    assert!(
        view(&app)
            .form
            .unwrap()
            .error
            .unwrap()
            .contains("not an email")
    );
    for c in "@x.com".chars() {
        app.update(key(c), now);
    }
    app.update(code(KeyCode::Tab), now);
    app.update(key(' '), now);
    let cmds = app.update(code(KeyCode::Enter), now);
    let [
        Cmd::Call {
            id,
            call:
                ApiCall::CreatePermission {
                    model: m,
                    permission: p,
                },
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(m, model);
    assert_eq!(
        (
            p.grantee_type.clone(),
            p.email_address.as_deref(),
            p.role.clone()
        ),
        (Some(GranteeType::User), Some("nobody@x.com"), Role::Writer)
    );
    let created = permission(model, "abc", Some("nobody@x.com"), Role::Writer);
    app.update(
        Msg::Worker(WorkerEvent::Reply {
            id: *id,
            reply: Reply::Permission(Box::new(created.clone())),
        }),
        now,
    );
    assert_eq!(view(&app).permissions.unwrap().len(), 2);
    // Remove it, after a y.
    app.update(key('j'), now);
    assert!(app.update(key('d'), now).is_empty());
    assert_eq!(
        view(&app).confirm_remove.as_deref(),
        Some(created.name.as_str())
    );
    let cmds = app.update(key('y'), now);
    let [
        Cmd::Call {
            id,
            call: ApiCall::DeletePermission { name },
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(name, &created.name);
    app.update(
        Msg::Worker(WorkerEvent::Reply {
            id: *id,
            reply: Reply::Empty,
        }),
        now,
    );
    assert_eq!(view(&app).permissions.unwrap(), vec![owner]);
    app.update(code(KeyCode::Esc), now);
    assert_eq!(app.models.dialog, None);
    assert!(
        app.models.detail.is_some(),
        "esc closes the dialog, not the detail"
    );
}

#[test]
fn everyone_can_only_read() {
    use tunedeck::api::types::{GranteeType, Role};
    let mut form = tunedeck::app::models::PermissionForm {
        focus: PermissionField::Grantee,
        ..Default::default()
    };
    form.cycle();
    form.cycle();
    assert_eq!(form.grantee, GranteeType::Everyone);
    form.focus = PermissionField::Role;
    form.cycle();
    assert_eq!(
        form.role,
        Role::Reader,
        "the role cannot change for everyone"
    );
    let p = form.to_permission().unwrap();
    assert_eq!((p.email_address, p.role), (None, Role::Reader));
}

#[test]
fn transfer_asks_for_an_address_then_confirmation() {
    let mut app = loaded(three());
    let now = clock();
    app.update(code(KeyCode::Enter), now);
    app.update(key('t'), now);
    for c in "boss".chars() {
        app.update(key(c), now);
    }
    assert!(app.update(code(KeyCode::Enter), now).is_empty());
    for c in "@x.com".chars() {
        app.update(key(c), now);
    }
    assert!(
        app.update(code(KeyCode::Enter), now).is_empty(),
        "enter asks, it does not transfer"
    );
    let cmds = app.update(key('y'), now);
    let [
        Cmd::Call {
            call: ApiCall::TransferOwnership { name, email },
            ..
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(
        (name.as_str(), email.as_str()),
        ("tunedModels/charlie-3", "boss@x.com")
    );
    assert_eq!(app.models.dialog, None);
}

#[test]
fn form_fields_have_a_cursor_that_starts_at_the_end_of_each_field() {
    let mut app = loaded(three());
    let now = clock();
    app.update(key('e'), now);
    // "Charlie": three left, type, then the cursor is drawn where the typing goes.
    for _ in 0..3 {
        app.update(code(KeyCode::Left), now);
    }
    app.update(key('X'), now);
    app.update(code(KeyCode::Delete), now);
    let Some(Dialog::Edit(form)) = &app.models.dialog else {
        panic!()
    };
    assert_eq!(form.values.get(ModelField::DisplayName), "CharXie");
    assert_eq!(app.line_cursor, Some(5));
    assert_eq!(
        tunedeck::app::line_edit::with_cursor(
            form.values.get(ModelField::DisplayName),
            app.line_cursor
        ),
        "CharX▏ie"
    );
    // Another field: the cursor is at its end again.
    app.update(code(KeyCode::Tab), now);
    assert_eq!(app.line_cursor, None);
    app.update(key('!'), now);
    let Some(Dialog::Edit(form)) = &app.models.dialog else {
        panic!()
    };
    let description = form.values.get(ModelField::Description);
    assert!(description.ends_with('!'), "{description}");
}
