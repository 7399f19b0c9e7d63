//! The Monitor: update() tests for discovering, polling and cancelling jobs, render snapshots of
//! the chart's modes, and flows against the emulator where the chart's final series equals the
//! model's tuningTask.snapshots exactly, with and without a quarter of answers failing.

mod common;
use common::app::*;
use common::*;
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tunedeck::api::types::*;
use tunedeck::app::{App, Msg, Tab};
use tunedeck::config::ThemeConfig;
use tunedeck::domain::progress::gemini;
use tunedeck::emulator::EmulatorOptions;
use tunedeck::emulator::faults::Faults;
use tunedeck::protocol::{ApiCall, Cmd, Reply, WorkerEvent};
use tunedeck::tui::theme::Theme;
use tunedeck::worker::{self, WorkerOptions};

/// The job's start: two seconds a step, its last step one second before the test's clock.
fn started_at(steps: i32) -> chrono::DateTime<chrono::Utc> {
    clock().utc - chrono::Duration::seconds(i64::from(steps) * 2 + 1)
}

/// An operation `steps` steps in, each two seconds after the last, the newest one second old.
fn operation(model: &str, steps: i32, total: i32, done: bool) -> Operation {
    let t0 = started_at(steps);
    let snapshots: Vec<TuningSnapshot> = (1..=steps)
        .map(|s| TuningSnapshot {
            step: s,
            epoch: s * 5 / total,
            mean_loss: 7.0 * 0.93f64.powi(s),
            compute_time: Some(t0 + chrono::Duration::seconds(i64::from(s) * 2)),
        })
        .collect();
    let metadata = CreateTunedModelMetadata {
        total_steps: total,
        completed_steps: steps,
        completed_percent: 100.0 * f64::from(steps) / f64::from(total),
        snapshots,
        tuned_model: format!("tunedModels/{model}"),
    };
    Operation {
        name: format!("tunedModels/{model}/operations/op{model}"),
        metadata: Some(serde_json::to_value(metadata).unwrap()),
        done,
        ..Default::default()
    }
}

/// An app whose list has one CREATING model, with the monitor following its job.
fn following(steps: i32) -> App {
    let mut a = app();
    let id = list_request(&a.start());
    let mut bravo = model("bravo-2", "Bravo", TunedModelState::Creating, 2);
    bravo.create_time = Some(started_at(steps));
    if let Some(task) = bravo.tuning_task.as_mut() {
        task.start_time = Some(started_at(steps));
        task.complete_time = None;
    }
    let cmds = a.update(page(id, vec![bravo], true), clock());
    let [
        Cmd::Call {
            id,
            call: ApiCall::ListOperations { model },
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(model, "tunedModels/bravo-2");
    let cmds = a.update(
        Msg::Worker(WorkerEvent::Reply {
            id: *id,
            reply: Reply::Operations(vec![operation("bravo-2", steps, 75, false)]),
        }),
        clock(),
    );
    assert!(
        matches!(cmds.as_slice(), [Cmd::Watch { operation }] if operation == "tunedModels/bravo-2/operations/opbravo-2")
    );
    a.update(key('2'), clock());
    assert_eq!(a.tab, Tab::Monitor);
    a
}

#[test]
fn a_creating_model_becomes_a_followed_job_and_finishing_rings() {
    let mut a = following(10);
    assert_eq!(a.monitor.jobs[0].completed_steps(), 10);
    // The same list again does not look the job up twice.
    let id = list_request(&a.update(key('r'), clock()));
    let cmds = a.update(
        page(
            id,
            vec![model("bravo-2", "Bravo", TunedModelState::Creating, 2)],
            true,
        ),
        clock(),
    );
    assert!(cmds.is_empty(), "{cmds:?}");
    let done = operation("bravo-2", 75, 75, true);
    let cmds = a.update(
        Msg::Worker(WorkerEvent::OperationPolled {
            operation: Box::new(done),
        }),
        clock(),
    );
    assert!(a.monitor.jobs[0].is_done());
    assert!(
        cmds.iter().any(|c| matches!(c, Cmd::Bell)),
        "completion rings the bell"
    );
    assert!(a.toasts.iter().any(|t| t.text.contains("finished")));
    assert!(
        cmds.iter().any(|c| matches!(
            c,
            Cmd::Call {
                call: ApiCall::ListTunedModels { .. },
                ..
            }
        )),
        "the list refreshes"
    );
}

#[test]
fn toggles_cursor_and_cancel() {
    let mut a = following(20);
    let now = clock();
    a.update(key('e'), now);
    assert!(a.monitor.per_epoch);
    let job = a.monitor.jobs[0].clone();
    assert_eq!(
        a.monitor.series(&job, a.ema_alpha).len(),
        2,
        "epochs 0 and 1 so far"
    );
    a.update(key('e'), now);
    a.update(key('m'), now);
    let smoothed = a.monitor.series(&job, a.ema_alpha);
    assert_eq!(smoothed.len(), 20);
    assert!(
        smoothed[5].1 > job.train_loss[5].value,
        "EMA lags a falling curve"
    );
    a.update(key('L'), now);
    assert!(a.monitor.log_scale);
    a.update(key('h'), now);
    a.update(key('h'), now);
    assert_eq!(a.monitor.cursor, Some(17));
    a.update(key('l'), now);
    assert_eq!(a.monitor.cursor, Some(18));
    a.update(code(KeyCode::Esc), now);
    assert_eq!(a.monitor.cursor, None);
    assert!(a.update(key('c'), now).is_empty(), "cancel asks first");
    let cmds = a.update(key('y'), now);
    let [
        Cmd::Call {
            id,
            call: ApiCall::CancelOperation { name },
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    assert!(name.ends_with("opbravo-2"));
    // Once cancelled, it offers to delete the model, as the docs advise.
    a.update(
        Msg::Worker(WorkerEvent::Reply {
            id: *id,
            reply: Reply::Empty,
        }),
        now,
    );
    assert_eq!(
        a.monitor.offer_delete.as_deref(),
        Some("tunedModels/bravo-2")
    );
    let cmds = a.update(key('y'), now);
    assert!(
        matches!(cmds.as_slice(), [Cmd::Call { call: ApiCall::DeleteTunedModel { name }, .. }] if name == "tunedModels/bravo-2")
    );
    assert_eq!(a.monitor.offer_delete, None);
}

#[test]
fn a_failed_poll_is_shown_and_cleared_by_the_next_success() {
    let mut a = following(5);
    let error = tunedeck::api::ApiError::from_response(
        503,
        br#"{"error": {"code": 503, "message": "down", "status": "UNAVAILABLE"}}"#,
        None,
    );
    let op = a.monitor.jobs[0].name.clone();
    a.update(
        Msg::Worker(WorkerEvent::PollFailed {
            operation: op.clone(),
            error,
            retry_in: Duration::from_secs(4),
        }),
        clock(),
    );
    assert!(a.monitor.poll_errors[&op].contains("retrying in 4 s"));
    a.update(
        Msg::Worker(WorkerEvent::OperationPolled {
            operation: Box::new(operation("bravo-2", 6, 75, false)),
        }),
        clock(),
    );
    assert!(a.monitor.poll_errors.is_empty());
    assert_eq!(a.monitor.jobs[0].completed_steps(), 6);
}

fn screen(a: &mut App) -> String {
    screen_at(a, 110, 30)
}

fn screen_at(a: &mut App, w: u16, h: u16) -> String {
    // The app's own clock: a screen drawn later shows what that later moment shows.
    a.update(Msg::Resize(w, h), a.clock);
    let theme = Theme::new(&ThemeConfig::default(), true);
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| tunedeck::tui::ui::draw(f, a, &theme)).unwrap();
    let b = t.backend().buffer().clone();
    (0..h)
        .map(|y| {
            let line: String = (0..w).map(|x| b[(x, y)].symbol().to_owned()).collect();
            line.trim_end().to_owned() + "\n"
        })
        .collect::<String>()
        .lines()
        .skip(2)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn chart_modes_render() {
    let mut a = following(40);
    insta::assert_snapshot!("per_step", screen(&mut a));
    a.update(key('e'), clock());
    insta::assert_snapshot!("per_epoch", screen(&mut a));
    a.update(key('e'), clock());
    a.update(key('m'), clock());
    a.update(key('L'), clock());
    a.update(key('h'), clock());
    insta::assert_snapshot!("smoothed_log_cursor", screen(&mut a));
}

#[test]
fn a_job_with_no_new_step_for_five_median_step_times_reads_stalled() {
    let mut a = following(40);
    // Steps came every 2 s; at 10 s (5×) since the last one it is still tuning, past that stalled.
    a.update(Msg::Timer, clock() + Duration::from_secs(9));
    assert!(screen(&mut a).contains("TUNING  "));
    a.update(Msg::Timer, clock() + Duration::from_secs(12));
    insta::assert_snapshot!("stalled", screen(&mut a));
}

/// Drives the app with the real worker against an emulator until the job is done.
async fn run_to_active(options: EmulatorOptions, config: tunedeck::api::ClientConfig) {
    let emu = start(options).await;
    let mut config = config;
    config.base_url = emu.base_url();
    let client = tunedeck::api::ApiClient::new(config).unwrap();
    let mut op = None;
    for _ in 0..50 {
        // create is never retried by the client; a person would press the key again.
        if let Ok(o) = client
            .create_tuned_model(
                &tuning_request("watched", tutorial_examples(), 2, 5),
                Some("watched"),
            )
            .await
        {
            op = Some(o);
            break;
        }
    }
    let op = op.expect("a create got through");
    let opts = WorkerOptions {
        poll_min: Duration::from_millis(5),
        poll_default: Duration::from_millis(10),
        poll_max: Duration::from_millis(40),
        ..Default::default()
    };
    let (commands, mut events, _w) = worker::spawn(client.clone(), opts);
    let mut a = app();
    let send = |a: &mut App, msg: Msg, commands: &mpsc::UnboundedSender<Cmd>| {
        for c in a.update(msg, clock()) {
            commands.send(c).unwrap();
        }
    };
    for c in a.track_operations(vec![op.clone()]) {
        commands.send(c).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while !a.monitor.jobs[0].is_done() {
        assert!(Instant::now() < deadline, "the job did not finish");
        if let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(200), events.recv()).await {
            send(&mut a, Msg::Worker(e), &commands);
        }
    }
    let mut model = None;
    for _ in 0..50 {
        if let Ok(m) = client.get_tuned_model("watched").await {
            model = Some(m);
            break;
        }
    }
    let model = model.expect("the model");
    assert_eq!(model.state, TunedModelState::Active);
    assert_eq!(
        a.monitor.jobs[0].train_loss,
        gemini::points(model.snapshots()),
        "the chart's series is the model's snapshots"
    );
    assert_eq!(a.monitor.jobs[0].train_loss.len(), 38);
}

#[tokio::test]
async fn from_create_to_active_the_series_equals_the_models_snapshots() {
    let options = EmulatorOptions {
        step_interval: Duration::from_millis(5),
        ..fast_options()
    };
    run_to_active(
        options,
        tunedeck::api::ClientConfig::new("http://unused", tunedeck::api::Credentials::None),
    )
    .await;
}

#[tokio::test]
async fn with_a_quarter_of_answers_503_or_429_it_still_ends_complete() {
    let options = EmulatorOptions {
        step_interval: Duration::from_millis(5),
        seed: 11,
        faults: Faults {
            rate_429: 0.125,
            rate_503: 0.125,
            retry_delay: Duration::from_millis(5),
            ..Default::default()
        },
        ..fast_options()
    };
    let mut config =
        tunedeck::api::ClientConfig::new("http://unused", tunedeck::api::Credentials::None);
    config.retry.base_delay = Duration::from_millis(2);
    config.retry.max_retries = 2;
    run_to_active(options, config).await;
}

#[test]
fn open_in_monitor_from_the_models_tab_finds_and_selects_the_job() {
    let mut a = loaded(three());
    let now = clock();
    // alpha-1 is ACTIVE: not followed yet, so its operation is looked up.
    a.update(key('G'), now);
    let cmds = a.update(key('w'), now);
    assert_eq!(a.tab, Tab::Monitor);
    let [
        Cmd::Call {
            id,
            call: ApiCall::ListOperations { model },
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(model, "tunedModels/alpha-1");
    let cmds = a.update(
        Msg::Worker(WorkerEvent::Reply {
            id: *id,
            reply: Reply::Operations(vec![operation("alpha-1", 75, 75, true)]),
        }),
        now,
    );
    assert!(cmds.is_empty(), "a finished job is not watched");
    let job = a.monitor.selected_job().unwrap();
    assert_eq!(
        (job.model.as_str(), job.completed_steps(), job.is_done()),
        ("tunedModels/alpha-1", 75, true)
    );
}

#[tokio::test]
async fn export_writes_csv_and_json_through_the_worker() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = following(12);
    let cmds = a.update(key('x'), clock());
    assert_eq!(cmds.len(), 2);
    let emu = start(fast_options()).await;
    let (commands, mut events, _w) = worker::spawn(client_for(&emu), WorkerOptions::default());
    for cmd in cmds {
        let Cmd::WriteFile { id, path, contents } = cmd else {
            panic!("{cmd:?}")
        };
        commands
            .send(Cmd::WriteFile {
                id,
                path: dir.path().join(path),
                contents,
            })
            .unwrap();
    }
    for _ in 0..2 {
        let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .unwrap()
            .unwrap();
        a.update(Msg::Worker(event), clock());
    }
    assert!(
        a.toasts
            .iter()
            .filter(|t| t.text.starts_with("Wrote"))
            .count()
            == 2,
        "{:?}",
        a.toasts
    );
    let csv = std::fs::read_to_string(dir.path().join("bravo-2-snapshots.csv")).unwrap();
    assert_eq!(csv.lines().count(), 13, "a header and 12 steps");
    let json: Vec<TuningSnapshot> = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("bravo-2-snapshots.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        json,
        a.monitor.jobs[0]
            .train_loss
            .iter()
            .map(gemini::snapshot)
            .collect::<Vec<_>>()
    );
}

#[test]
fn compare_overlays_marked_runs() {
    let mut a = following(30);
    let now = clock();
    // A second, finished job from an operation started here.
    a.track_operations(vec![operation("charlie-3", 75, 75, true)]);
    assert_eq!(a.monitor.jobs.len(), 2);
    assert!(
        a.monitor.compared_jobs().is_empty(),
        "no overlay until something is marked"
    );
    a.update(key(' '), now);
    a.update(key('j'), now);
    let compared: Vec<&str> = a
        .monitor
        .compared_jobs()
        .iter()
        .map(|j| j.model.as_str())
        .collect();
    assert_eq!(
        compared,
        vec!["tunedModels/bravo-2", "tunedModels/charlie-3"]
    );
    insta::assert_snapshot!("compare", screen(&mut a));
    a.update(key('k'), now);
    a.update(key(' '), now);
    assert!(a.monitor.compared_jobs().is_empty());
}

#[tokio::test]
async fn with_no_operation_found_it_follows_the_model_itself() {
    // The emulator keeps the model while its operation is deleted (DELETE /v1/operations/**).
    let emu = start(EmulatorOptions {
        step_interval: Duration::from_millis(10),
        ..fast_options()
    })
    .await;
    let client = client_for(&emu);
    let op = client
        .create_tuned_model(
            &tuning_request("orphan", tutorial_examples(), 2, 5),
            Some("orphan"),
        )
        .await
        .unwrap();
    client.delete_operation(&op.name).await.unwrap();
    let opts = WorkerOptions {
        poll_min: Duration::from_millis(5),
        poll_default: Duration::from_millis(10),
        poll_max: Duration::from_millis(40),
        ..Default::default()
    };
    let (commands, mut events, _w) = worker::spawn(client.clone(), opts);
    let mut a = app();
    for c in a.start() {
        commands.send(c).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while a.monitor.jobs.first().is_none_or(|j| !j.is_done()) {
        assert!(Instant::now() < deadline, "the model job did not finish");
        if let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(200), events.recv()).await {
            for c in a.update(Msg::Worker(e), clock()) {
                commands.send(c).unwrap();
            }
        }
    }
    let job = &a.monitor.jobs[0];
    assert_eq!(job.name, "tunedModels/orphan", "the job polls the model");
    let model = client.get_tuned_model("orphan").await.unwrap();
    assert_eq!(job.train_loss, gemini::points(model.snapshots()));
    assert_eq!(job.error, None);
}

/// `d` on a finished job asks, names the model, deletes it; its job leaves the Monitor and is
/// no longer polled (it used to stay as "epoch 0 of ?").
#[test]
fn deleting_a_finished_jobs_model_drops_the_job() {
    let mut a = following(10);
    let now = clock();
    a.update(
        Msg::Worker(WorkerEvent::OperationPolled {
            operation: Box::new(operation("bravo-2", 75, 75, true)),
        }),
        now,
    );
    let cmds = a.update(key('d'), now);
    assert!(cmds.is_empty());
    assert_eq!(
        a.monitor.offer_delete.as_deref(),
        Some("tunedModels/bravo-2")
    );
    assert!(screen(&mut a).contains("Delete Bravo (bravo-2)?"));
    let cmds = a.update(key('y'), now);
    let [
        Cmd::Call {
            id,
            call: ApiCall::DeleteTunedModel { name },
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(name, "tunedModels/bravo-2");
    let cmds = a.update(
        Msg::Worker(WorkerEvent::Reply {
            id: *id,
            reply: Reply::Empty,
        }),
        now,
    );
    assert!(a.monitor.jobs.is_empty(), "the deleted model's job is gone");
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Cmd::Unwatch { operation } if operation.starts_with("tunedModels/bravo-2/"))),
        "{cmds:?}"
    );
    // A running job is not deleted from here: cancel first.
    let mut b = following(10);
    b.update(key('d'), now);
    assert!(b.monitor.offer_delete.is_none());
    assert!(b.toasts.last().unwrap().text.contains("cancel it first"));
}

/// The header counts your jobs still tuning whatever scope the list shows.
#[test]
fn the_tuning_count_does_not_depend_on_the_lists_scope() {
    let mut a = following(10);
    let now = clock();
    assert_eq!(a.creating_count(), 1);
    a.update(key('1'), now);
    let id = list_request(&a.update(key('o'), now));
    a.update(page(id, vec![], true), now);
    assert_ne!(a.models.scope, tunedeck::app::models::Scope::Mine);
    assert_eq!(a.creating_count(), 1, "the followed job still counts");
}

/// The Monitor at the smallest size it is made for and on a large screen: the epoch wording,
/// the footer's priorities (help and quit always there), nothing cut without a mark.
#[test]
fn the_monitor_at_80x24_and_200x60() {
    let mut a = following(40);
    let small = screen_at(&mut a, 80, 24);
    assert!(small.contains("epoch 3 of 5"), "{small}");
    assert!(
        small.contains("? help") && small.contains("q quit"),
        "{small}"
    );
    insta::assert_snapshot!("monitor_80x24", small);
    insta::assert_snapshot!("monitor_200x60", screen_at(&mut a, 200, 60));
}

#[test]
fn an_eval_loss_is_drawn_beside_the_train_loss_in_the_per_step_view() {
    let mut a = following(40);
    // Validation every ten steps (a Vertex AI job's /eval_total_loss), above the train loss.
    let eval: Vec<tunedeck::domain::progress::Point> = (1..=4)
        .map(|k| tunedeck::domain::progress::Point {
            step: k * 10,
            epoch: 0,
            value: 7.5 * 0.95f64.powi(k * 10),
            time: None,
        })
        .collect();
    a.monitor.jobs[0].eval_loss = eval;
    let shown = screen(&mut a);
    assert!(shown.contains("eval 0.9638 at"), "{shown}");
    assert!(shown.contains("train") && shown.contains("eval"), "{shown}");
    insta::assert_snapshot!("with_eval", shown);
    assert!(shown.contains("│eval "), "the legend names it: {shown}");
    a.update(key('e'), clock());
    let per_epoch = screen(&mut a);
    assert!(
        !per_epoch.contains("│eval "),
        "no eval line per epoch: {per_epoch}"
    );
}

#[test]
fn with_vertex_ai_chosen_the_monitor_follows_its_running_jobs_and_cancels_them() {
    use tunedeck::api::vertex::types::{JobState as VertexState, TuningJob};
    let mut a = app();
    a.follows_vertex = true;
    let cmds = a.start();
    let list = cmds
        .iter()
        .find_map(|c| match c {
            Cmd::Call {
                id,
                call: ApiCall::ListTuningJobs,
            } => Some(*id),
            _ => None,
        })
        .expect("the Vertex jobs are listed with the models");
    let job = |id: &str, state: VertexState| TuningJob {
        name: format!("projects/1/locations/us-central1/tuningJobs/{id}"),
        tuned_model_display_name: format!("job {id}"),
        state,
        ..Default::default()
    };
    let cmds = a.update(
        Msg::Worker(WorkerEvent::Reply {
            id: list,
            reply: Reply::TuningJobs(vec![
                job("7", VertexState::Running),
                job("8", VertexState::Succeeded),
            ]),
        }),
        clock(),
    );
    assert!(
        matches!(cmds.as_slice(), [Cmd::WatchVertex { job }] if job.ends_with("/tuningJobs/7")),
        "only the running one is followed: {cmds:?}"
    );
    assert_eq!(a.monitor.jobs.len(), 1);
    // A poll brings the plan and the first points.
    let mut polled = job("7", VertexState::Running);
    polled.tuning_data_stats = serde_json::from_value(serde_json::json!(
        {"supervisedTuningDataStats": {"tuningStepCount": "20"}}
    ))
    .unwrap();
    let point = |step, value| tunedeck::api::vertex::client::MetricPoint {
        step,
        value,
        time: None,
    };
    let metrics = [
        (
            "/train_total_loss".to_owned(),
            vec![point(1, 5.0), point(2, 4.0)],
        ),
        ("/eval_total_loss".to_owned(), vec![point(2, 4.5)]),
    ]
    .into();
    a.update(
        Msg::Worker(WorkerEvent::VertexJobPolled {
            job: Box::new(polled),
            metrics,
        }),
        clock(),
    );
    let followed = &a.monitor.jobs[0];
    assert_eq!(
        (
            followed.total_steps,
            followed.completed_steps(),
            followed.eval_loss.len()
        ),
        (20, 2, 1)
    );
    a.update(key('2'), clock());
    let shown = screen(&mut a);
    assert!(shown.contains("step 2 of 20"), "{shown}");
    // The accuracy series, when the job reports it: `a` switches the chart to it and back.
    let mut accurate = job("7", VertexState::Running);
    accurate.tuning_data_stats = serde_json::from_value(serde_json::json!(
        {"supervisedTuningDataStats": {"tuningStepCount": "20"}}
    ))
    .unwrap();
    a.update(
        Msg::Worker(WorkerEvent::VertexJobPolled {
            job: Box::new(accurate),
            metrics: [(
                "/train_fraction_of_correct_next_step_preds".to_owned(),
                vec![point(1, 0.25), point(2, 0.5)],
            )]
            .into(),
        }),
        clock(),
    );
    a.update(key('a'), clock());
    let job_now = a.monitor.jobs[0].clone();
    assert_eq!(
        a.monitor.series(&job_now, a.ema_alpha),
        vec![(1.0, 0.25), (2.0, 0.5)]
    );
    assert!(
        screen(&mut a).contains("train accuracy"),
        "{}",
        screen(&mut a)
    );
    a.update(key('a'), clock());
    assert_eq!(
        a.monitor.series(&job_now, a.ema_alpha),
        vec![(1.0, 5.0), (2.0, 4.0)]
    );
    assert!(a.update(key('c'), clock()).is_empty(), "cancel asks first");
    let cmds = a.update(key('y'), clock());
    assert!(
        matches!(cmds.as_slice(), [Cmd::Call { call: ApiCall::CancelTuningJob { name }, .. }] if name.ends_with("/tuningJobs/7")),
        "{cmds:?}"
    );
    // Once it reports checkpoints, they are marked on the step axis.
    let mut done: TuningJob = serde_json::from_value(serde_json::json!({
        "name": "projects/1/locations/us-central1/tuningJobs/7",
        "tunedModelDisplayName": "job 7",
        "state": "JOB_STATE_SUCCEEDED",
        "tunedModel": {"model": "projects/1/locations/us-central1/models/3@1",
            "checkpoints": [{"checkpointId": "1", "epoch": "1", "step": "1"},
                            {"checkpointId": "2", "epoch": "2", "step": "2"}]}
    }))
    .unwrap();
    done.tuning_data_stats = serde_json::from_value(serde_json::json!(
        {"supervisedTuningDataStats": {"tuningStepCount": "2"}}
    ))
    .unwrap();
    a.update(
        Msg::Worker(WorkerEvent::VertexJobPolled {
            job: Box::new(done),
            metrics: Default::default(),
        }),
        clock(),
    );
    assert_eq!(a.monitor.jobs[0].checkpoints, vec![1, 2]);
    let shown = screen(&mut a);
    assert!(
        shown.contains("2 checkpoints (marked on the chart)"),
        "{shown}"
    );
    assert!(
        shown.contains("┌ job 7 ") && !shown.contains("models/3@1"),
        "a finished job keeps its display name: {shown}"
    );
    assert!(
        a.update(key('c'), clock()).is_empty(),
        "a finished job has nothing to cancel"
    );
    assert!(a.monitor.confirm_cancel.is_none());
}
