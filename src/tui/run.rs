//! The event loop (the README's Architecture: messages in, one draw per burst): select over
//! terminal events, worker events, signals and the app's own deadline; after one message, drain
//! everything already queued, then draw once. Nothing ticks while nothing changes.

use crate::app::{App, Msg};
use crate::clock::Now;
use crate::protocol::{Cmd, WorkerEvent};
use crate::tui::terminal::{TerminalGuard, copy_to_clipboard, ring_bell};
use crate::tui::theme::Theme;
use crate::tui::ui;
use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use futures::StreamExt;
use std::time::Instant;
use tokio::sync::mpsc;

/// How long input may pause and still count as one burst (a paste, a key held down).
const BURST_GAP: std::time::Duration = std::time::Duration::from_millis(3);

fn from_terminal(event: TermEvent) -> Option<Msg> {
    match event {
        TermEvent::Key(key) if key.kind != KeyEventKind::Release => Some(Msg::Key(key)),
        TermEvent::Mouse(mouse) => Some(Msg::Mouse(mouse)),
        TermEvent::Resize(w, h) => Some(Msg::Resize(w, h)),
        TermEvent::Paste(text) => Some(Msg::Paste(text)),
        _ => None,
    }
}

/// Runs one message through `update`: the worker gets the network and file commands, the
/// terminal effects happen here. An editor request is returned, to run once the queue is drained.
fn dispatch(
    app: &mut App,
    msg: Msg,
    commands: &mpsc::UnboundedSender<Cmd>,
    edit: &mut Option<String>,
) {
    for cmd in app.update(msg, Now::read()) {
        match cmd {
            Cmd::Copy(text) => copy_to_clipboard(&text),
            Cmd::Bell => ring_bell(),
            Cmd::EditExternally(text) => *edit = Some(text),
            cmd => {
                let _ = commands.send(cmd);
            }
        }
    }
}

/// Runs the dashboard until the user quits (0) or a signal arrives (128 + its number: 130 for
/// SIGINT, 143 for SIGTERM, 129 for SIGHUP, as shells report them), the terminal given back
/// either way.
pub async fn run(
    mut app: App,
    theme: Theme,
    commands: mpsc::UnboundedSender<Cmd>,
    mut events: mpsc::UnboundedReceiver<WorkerEvent>,
) -> color_eyre::Result<u8> {
    let mut guard = TerminalGuard::enter()?;
    let mut exit = 0;
    let size = guard.terminal.size()?;
    app.size = (size.width, size.height);
    for cmd in app.start() {
        let _ = commands.send(cmd);
    }
    let mut input = EventStream::new();
    let mut edit: Option<String> = None;
    #[cfg(unix)]
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    #[cfg(unix)]
    let mut sighup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    loop {
        if app.dirty {
            guard.terminal.draw(|frame| ui::draw(frame, &app, &theme))?;
            app.dirty = false;
        }
        if app.quit {
            break;
        }
        if let Some(text) = edit.take() {
            // The editor owns the tty meanwhile: stop reading it, or keys would be stolen.
            drop(input);
            let edited = guard.suspended(|| {
                crate::tui::terminal::edit_in_editor(&crate::tui::terminal::editor_command(), &text)
            })?;
            input = EventStream::new();
            dispatch(&mut app, Msg::Edited(edited), &commands, &mut edit);
            continue;
        }
        let deadline = app.next_wakeup();
        #[cfg(unix)]
        let signal = async {
            tokio::select! {
                _ = sigterm.recv() => 143,
                _ = sighup.recv() => 129,
                _ = tokio::signal::ctrl_c() => 130,
            }
        };
        #[cfg(not(unix))]
        let signal = async {
            let _ = tokio::signal::ctrl_c().await;
            130
        };
        let msg = tokio::select! {
            event = input.next() => match event {
                Some(Ok(event)) => from_terminal(event),
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            event = events.recv() => match event {
                Some(event) => Some(Msg::Worker(event)),
                None => break,
            },
            () = sleep_until(deadline), if deadline.is_some() => Some(Msg::Timer),
            code = signal => {
                exit = code;
                break;
            }
        };
        if let Some(msg) = msg {
            dispatch(&mut app, msg, &commands, &mut edit);
        }
        // Drain what is already queued so a burst costs one frame. Terminal input comes through
        // crossterm's reader thread one event at a time, so a paste or fast typing is a stream
        // of events microseconds apart: the burst counts as over only after BURST_GAP without
        // one, and is drawn once. (The stream is polled from this task, not with
        // `now_or_never`, whose no-op waker would leave crossterm's thread unable to wake it.)
        loop {
            let next = tokio::select! {
                biased;
                Ok(event) = async { events.try_recv() } => Some(Msg::Worker(event)),
                input_event = tokio::time::timeout(BURST_GAP, input.next()) => match input_event {
                    Ok(Some(Ok(event))) => from_terminal(event),
                    Ok(Some(Err(e))) => return Err(e.into()),
                    Ok(None) | Err(_) => break,
                },
            };
            if let Some(msg) = next {
                dispatch(&mut app, msg, &commands, &mut edit);
            }
        }
    }
    drop(guard);
    Ok(exit)
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
        None => std::future::pending().await,
    }
}
