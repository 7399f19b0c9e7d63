//! The dashboard's journey against the emulator: the real App, the real worker, real HTTP.
//! List the demo models, open one, rename it, delete another; the server agrees each time.

mod common;
use common::app::{app, clock, code, key};
use common::*;
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tunedeck::app::models::Load;
use tunedeck::app::{App, Msg};
use tunedeck::config::ThemeConfig;
use tunedeck::emulator::EmulatorOptions;
use tunedeck::protocol::{Cmd, WorkerEvent};
use tunedeck::tui::theme::Theme;
use tunedeck::worker::{self, WorkerOptions};

struct Harness {
    app: App,
    commands: mpsc::UnboundedSender<Cmd>,
    events: mpsc::UnboundedReceiver<WorkerEvent>,
}

impl Harness {
    fn send(&mut self, msg: Msg) {
        for cmd in self.app.update(msg, clock()) {
            self.commands.send(cmd).unwrap();
        }
    }

    /// Feeds worker events to the app until `done` holds.
    async fn until(&mut self, what: &str, done: impl Fn(&App) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !done(&self.app) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            if let Ok(Some(event)) =
                tokio::time::timeout(Duration::from_millis(200), self.events.recv()).await
            {
                self.send(Msg::Worker(event));
            }
        }
    }
}

#[tokio::test]
async fn list_detail_rename_and_delete_against_the_emulator() {
    let emu = start(EmulatorOptions {
        demo: true,
        ..fast_options()
    })
    .await;
    let client = client_for(&emu);
    let (commands, events, _worker) = worker::spawn(client.clone(), WorkerOptions::default());
    let mut h = Harness {
        app: app(),
        commands,
        events,
    };
    for cmd in h.app.start() {
        h.commands.send(cmd).unwrap();
    }
    h.until("the list", |a| a.models.load == Load::Loaded).await;
    let names: Vec<&str> = h.app.models.models.iter().map(|m| m.id()).collect();
    assert!(
        names.contains(&"number-generator-demo") && names.contains(&"roman-numerals-demo"),
        "{names:?}"
    );

    // Open the number generator.
    h.send(key('/'));
    for c in "number".chars() {
        h.send(key(c));
    }
    h.send(code(KeyCode::Enter));
    h.send(code(KeyCode::Enter));
    assert_eq!(
        h.app.models.detail.as_deref(),
        Some("tunedModels/number-generator-demo")
    );
    assert_eq!(
        h.app
            .models
            .find("tunedModels/number-generator-demo")
            .unwrap()
            .snapshots()
            .len(),
        38
    );

    // Rename it.
    h.send(key('e'));
    for _ in 0.."(demo)".len() {
        h.send(code(KeyCode::Backspace));
    }
    for c in "(renamed)".chars() {
        h.send(key(c));
    }
    h.send(code(KeyCode::Enter));
    h.until("the rename", |a| {
        a.toasts.iter().any(|t| t.text.starts_with("Saved"))
    })
    .await;
    let server = client
        .get_tuned_model("number-generator-demo")
        .await
        .unwrap();
    assert_eq!(server.display_name, "Number generator (renamed)");

    // Share it with a reader.
    h.send(key('p'));
    h.until("the permissions", |a| {
        matches!(&a.models.dialog, Some(tunedeck::app::models::Dialog::Permissions(v)) if v.permissions.is_some())
    })
    .await;
    h.send(key('a'));
    for c in "reader@example.com".chars() {
        h.send(key(c));
    }
    h.send(code(KeyCode::Enter));
    h.until("the new permission", |a| {
        a.toasts
            .iter()
            .any(|t| t.text.contains("reader@example.com"))
    })
    .await;
    let perms = client
        .all_permissions("tunedModels/number-generator-demo")
        .await
        .unwrap();
    assert!(
        perms
            .iter()
            .any(|p| p.email_address.as_deref() == Some("reader@example.com"))
    );
    h.send(code(KeyCode::Esc));

    // Delete it.
    h.send(key('d'));
    h.send(key('y'));
    h.until("the delete", |a| {
        a.models.find("tunedModels/number-generator-demo").is_none()
    })
    .await;
    assert_eq!(
        client
            .get_tuned_model("number-generator-demo")
            .await
            .unwrap_err()
            .http_status,
        Some(404)
    );
    assert_eq!(
        h.app.models.detail, None,
        "the detail of a deleted model closes"
    );
}

/// The dashboard against an emulator that checks OAuth tokens: a token without the tuning scope
/// and a bad one each leave the Models tab usable, saying what failed and what to do.
#[tokio::test]
async fn oauth_failures_show_their_fix_in_the_models_tab() {
    let emu = start(EmulatorOptions {
        demo: true,
        require_token: Some("ya29.good".to_owned().into()),
        scopeless_tokens: vec!["ya29.narrow".to_owned().into()],
        ..fast_options()
    })
    .await;
    for (token, words) in [
        ("ya29.narrow", "The credentials lack the tuning scope"),
        ("ya29.expired", "The OAuth token is invalid or expired"),
    ] {
        let client = client_at(
            &emu.base_url(),
            tunedeck::api::Credentials::AccessToken(token.to_owned().into(), None),
        );
        let (commands, events, _worker) = worker::spawn(client, WorkerOptions::default());
        let mut h = Harness {
            app: app(),
            commands,
            events,
        };
        for cmd in h.app.start() {
            h.commands.send(cmd).unwrap();
        }
        h.until("the list to fail", |a| {
            matches!(a.models.load, Load::Failed(_))
        })
        .await;
        let theme = Theme::new(&ThemeConfig::default(), true);
        let mut terminal = Terminal::new(TestBackend::new(140, 30)).unwrap();
        terminal
            .draw(|f| tunedeck::tui::ui::draw(f, &h.app, &theme))
            .unwrap();
        let screen: String = terminal
            .backend()
            .buffer()
            .content()
            .iter()
            .map(|c| c.symbol())
            .collect();
        assert!(screen.contains(words), "{token}: {screen}");
        assert!(!screen.contains(token), "the token never shows");
        // Still usable: a refresh asks again.
        h.send(key('r'));
        assert!(matches!(h.app.models.load, Load::Loading { .. }));
    }
}
