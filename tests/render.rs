//! Render snapshots of the dashboard (TestBackend + insta): the models pane empty, loading,
//! failed, with data, with 1,000 models scrolled, filtered, in detail, under a dialog, with the
//! help overlay, at 80x24 and below it. Times are fixed so the snapshots are stable.

mod common;
use common::app::*;
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tunedeck::api::ApiError;
use tunedeck::api::serde_util::parse_timestamp;
use tunedeck::api::types::TunedModelState;
use tunedeck::app::{App, Msg};
use tunedeck::config::ThemeConfig;
use tunedeck::protocol::WorkerEvent;
use tunedeck::tui::theme::Theme;

fn screen(app: &mut App, width: u16, height: u16) -> String {
    app.update(Msg::Resize(width, height), clock());
    if app.models.loaded_at.is_some() {
        app.models.loaded_at = Some(parse_timestamp("2026-11-22T12:00:00Z").unwrap());
    }
    let theme = Theme::new(&ThemeConfig::default(), true);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| tunedeck::tui::ui::draw(f, app, &theme))
        .unwrap();
    let buffer = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..height {
        let line: String = (0..width)
            .map(|x| buffer[(x, y)].symbol().to_owned())
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[test]
fn loading() {
    let mut a = app();
    a.start();
    insta::assert_snapshot!(screen(&mut a, 100, 24));
}

#[test]
fn empty() {
    let mut a = loaded(vec![]);
    insta::assert_snapshot!(screen(&mut a, 100, 24));
}

#[test]
fn failed() {
    let mut a = app();
    let id = list_request(&a.start());
    let error = ApiError::from_response(
        400,
        br#"{"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com"}]}}"#,
        None,
    );
    a.update(Msg::Worker(WorkerEvent::Failed { id, error }), clock());
    insta::assert_snapshot!(screen(&mut a, 100, 24));
}

#[test]
fn three_models() {
    let mut a = loaded(three());
    insta::assert_snapshot!(screen(&mut a, 140, 24));
}

#[test]
fn three_models_at_80x24() {
    let mut a = loaded(three());
    insta::assert_snapshot!(screen(&mut a, 80, 24));
}

#[test]
fn too_small() {
    let mut a = loaded(three());
    insta::assert_snapshot!(screen(&mut a, 60, 20));
}

#[test]
fn a_thousand_models_scrolled() {
    let models: Vec<_> = (0..1000)
        .map(|i| {
            model(
                &format!("model-{i:04}"),
                &format!("Model {i}"),
                TunedModelState::Active,
                1 + (i % 28) as u32,
            )
        })
        .collect();
    let mut a = loaded(models);
    a.models.sort = tunedeck::app::models::Column::Id;
    a.models.descending = false;
    a.models.refresh_view();
    a.update(Msg::Resize(100, 24), clock());
    a.update(key('g'), clock());
    for _ in 0..3 {
        a.update(code(KeyCode::PageDown), clock());
    }
    a.update(key('j'), clock());
    insta::assert_snapshot!(screen(&mut a, 100, 24));
}

#[test]
fn filtered() {
    let mut a = loaded(three());
    a.update(key('/'), clock());
    for c in "char".chars() {
        a.update(key(c), clock());
    }
    insta::assert_snapshot!(screen(&mut a, 100, 24));
}

#[test]
fn detail() {
    let mut a = loaded(three());
    a.update(key('G'), clock());
    a.update(code(KeyCode::Enter), clock());
    insta::assert_snapshot!(screen(&mut a, 100, 30));
}

#[test]
fn confirm_delete() {
    let mut a = loaded(three());
    a.update(key('d'), clock());
    insta::assert_snapshot!(screen(&mut a, 100, 24));
}

#[test]
fn confirm_delete_of_marked() {
    let mut a = loaded(three());
    a.update(key(' '), clock());
    a.update(key(' '), clock());
    a.update(key('d'), clock());
    insta::assert_snapshot!(screen(&mut a, 100, 24));
}

#[test]
fn edit_form() {
    let mut a = loaded(three());
    a.update(key('e'), clock());
    insta::assert_snapshot!(screen(&mut a, 100, 24));
}

#[test]
fn help_overlay() {
    let mut a = loaded(three());
    a.update(key('?'), clock());
    insta::assert_snapshot!(screen(&mut a, 120, 30));
    a.update(key('?'), clock());
    insta::assert_snapshot!("help_overlay_page_2", screen(&mut a, 120, 30));
}

#[test]
fn permissions_dialog() {
    use tunedeck::api::types::{GranteeType, Permission, Role};
    use tunedeck::protocol::{ApiCall, Cmd, Reply};
    let mut a = loaded(three());
    a.update(code(KeyCode::Enter), clock());
    let cmds = a.update(key('p'), clock());
    let Some(Cmd::Call {
        id,
        call: ApiCall::ListPermissions { .. },
    }) = cmds.first()
    else {
        panic!()
    };
    let perms = vec![
        Permission {
            name: "tunedModels/charlie-3/permissions/a".into(),
            grantee_type: Some(GranteeType::User),
            email_address: Some("you@example.com".into()),
            role: Role::Owner,
        },
        Permission {
            name: "tunedModels/charlie-3/permissions/b".into(),
            grantee_type: Some(GranteeType::Everyone),
            email_address: None,
            role: Role::Reader,
        },
    ];
    a.update(
        Msg::Worker(WorkerEvent::Reply {
            id: *id,
            reply: Reply::Permissions(perms),
        }),
        clock(),
    );
    a.update(key('a'), clock());
    insta::assert_snapshot!(screen(&mut a, 100, 30));
}

#[test]
fn a_click_selects_the_model_drawn_under_it_and_a_tab_title_switches_tabs() {
    use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    use tunedeck::app::layout;
    let models: Vec<_> = (0..100)
        .map(|i| {
            model(
                &format!("m{i:04}"),
                &format!("Model {i}"),
                TunedModelState::Active,
                1,
            )
        })
        .collect();
    let mut a = loaded(models);
    a.update(key('G'), clock());
    let click = |column, row| {
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    for height in [24u16, 40] {
        // The first, a middle and the last row the table shows, each on the screen as drawn.
        let last = layout::MODELS_FIRST_ROW + layout::models_rows(height, false) as u16 - 1;
        for row in [layout::MODELS_FIRST_ROW, layout::MODELS_FIRST_ROW + 5, last] {
            let drawn = screen(&mut a, 100, height);
            let line = drawn.lines().nth(usize::from(row)).unwrap().to_owned();
            a.update(click(10, row), clock());
            let chosen = a.models.selected_model().unwrap().id().to_owned();
            assert!(
                line.contains(&chosen),
                "row {row} shows {line:?}, the click chose {chosen}"
            );
        }
    }
    a.update(
        click(
            layout::tab_width(tunedeck::app::Tab::Models) + 1,
            layout::TAB_BAR_ROW,
        ),
        clock(),
    );
    assert_eq!(a.tab, tunedeck::app::Tab::Monitor);
}

/// Emoji with a variation selector and wide (CJK) text: every row keeps its right border in the
/// last column, no variation selector reaches the terminal (terminals disagree on its width),
/// and a cut name ends with …, at 80x24 and at 200x60.
#[test]
fn wide_characters_keep_the_table_square() {
    let models = named_models(&[
        "☀️ sunny day ❤️ ⛰️ mountains and more",
        "日本語のモデル名はとても長いです",
        "plain",
    ]);
    for (w, h) in [(80u16, 24u16), (200, 60)] {
        let mut a = loaded(models.clone());
        let drawn = screen(&mut a, w, h);
        assert!(!drawn.contains('\u{FE0F}'), "{drawn}");
        let theme = Theme::new(&ThemeConfig::default(), true);
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        terminal
            .draw(|f| tunedeck::tui::ui::draw(f, &a, &theme))
            .unwrap();
        let buffer = terminal.backend().buffer().clone();
        for y in 3..6 {
            assert_eq!(
                buffer[(w - 1, y)].symbol(),
                "│",
                "row {y} at {w}x{h}:\n{drawn}"
            );
        }
        if w == 80 {
            assert!(drawn.contains('…'), "a cut is marked:\n{drawn}");
        } else {
            assert!(
                drawn.contains("☀ sunny day ❤ ⛰ mountains and more"),
                "room to show it whole:\n{drawn}"
            );
        }
    }
}

/// The Models tab at 80x24 and 200x60, with wide and long names: columns sized from the content
/// and the width, every cut marked, the footer keeping `? help` and `q quit`.
#[test]
fn the_models_tab_at_80x24_and_200x60() {
    let models = named_models(&[
        "☀️ sunny day ❤️ ⛰️ mountains and more",
        "日本語のモデル名",
        "plain",
    ]);
    let mut a = loaded(models);
    let small = screen(&mut a, 80, 24);
    assert!(
        small.contains("? help") && small.contains("q quit"),
        "{small}"
    );
    insta::assert_snapshot!("models_80x24", small);
    insta::assert_snapshot!("models_200x60", screen(&mut a, 200, 60));
}

/// ACTIVE models `m-0`, `m-1`, … with these display names.
fn named_models(names: &[&str]) -> Vec<tunedeck::api::types::TunedModel> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| model(&format!("m-{i}"), n, TunedModelState::Active, 1 + i as u32))
        .collect()
}

#[test]
fn a_model_stopped_early_shows_active_star_and_the_title_says_what_it_means() {
    let mut models = three();
    let mut stopped = model("cancelled-one", "Cancelled", TunedModelState::Active, 9);
    if let Some(task) = stopped.tuning_task.as_mut() {
        task.snapshots.truncate(4);
    }
    models.push(stopped);
    let mut a = loaded(models);
    let shown = screen(&mut a, 160, 24);
    assert!(shown.contains("ACTIVE*"), "{shown}");
    assert!(shown.contains("· ACTIVE* stopped early"), "{shown}");
    let plain = screen(&mut loaded(three()), 160, 24);
    assert!(
        !plain.contains("stopped early"),
        "only when one shows: {plain}"
    );
}
