//! Vertex AI job stages through `update()` and drawn: the jobs table's state column, the job
//! detail and the Monitor show where a job stands (v1beta1 `tuningJobState`), and a job waiting
//! for quota says how many of the project's jobs are ahead of it, counted from the list and
//! kept current as polled jobs end.

mod common;
use common::app::*;
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tunedeck::api::vertex::types::TuningJob;
use tunedeck::app::{App, Msg, Tab, VertexPlace};
use tunedeck::config::ThemeConfig;
use tunedeck::protocol::{ApiCall, Cmd, Reply, WorkerEvent};
use tunedeck::tui::theme::Theme;

const PARENT: &str = "projects/123/locations/us-central1";

/// A job created at 09:0`minute`; RUNNING and ended ones have started.
fn job(id: &str, display: &str, minute: u32, state: &str, stage: &str) -> TuningJob {
    let started = state != "JOB_STATE_PENDING";
    let mut value = serde_json::json!({
        "name": format!("{PARENT}/tuningJobs/{id}"),
        "tunedModelDisplayName": display,
        "baseModel": "gemini-2.5-flash",
        "state": state,
        "createTime": format!("2026-11-21T09:0{minute}:00Z"),
        "supervisedTuningSpec": {
            "trainingDatasetUri": "gs://bucket/train.jsonl",
            "hyperParameters": {"epochCount": "4", "adapterSize": "ADAPTER_SIZE_EIGHT"}
        },
    });
    let obj = value.as_object_mut().unwrap();
    if started {
        obj.insert(
            "startTime".into(),
            format!("2026-11-21T09:0{minute}:30Z").into(),
        );
    }
    if !stage.is_empty() {
        obj.insert("tuningJobState".into(), stage.into());
    }
    serde_json::from_value(value).unwrap()
}

/// One job tuning, two waiting for the quota behind it, one ended long ago.
fn queue() -> Vec<TuningJob> {
    let mut tuning = job(
        "1",
        "first",
        1,
        "JOB_STATE_RUNNING",
        "TUNING_JOB_STATE_TUNING",
    );
    tuning.tuning_data_stats = serde_json::from_value(serde_json::json!({
        "supervisedTuningDataStats": {
            "tuningStepCount": "40",
            "totalTruncatedExampleCount": "2",
            "truncatedExampleIndices": ["3", "9"],
            "droppedExampleReasons": ["example 3: longer than 131072 tokens", "example 9: longer than 131072 tokens"]
        }
    }))
    .unwrap();
    vec![
        tuning,
        job(
            "2",
            "second",
            2,
            "JOB_STATE_PENDING",
            "TUNING_JOB_STATE_WAITING_FOR_QUOTA",
        ),
        job(
            "3",
            "third",
            3,
            "JOB_STATE_PENDING",
            "TUNING_JOB_STATE_WAITING_FOR_QUOTA",
        ),
        job("4", "old", 0, "JOB_STATE_SUCCEEDED", ""),
    ]
}

fn listed() -> App {
    let mut a = app();
    a.choose_vertex();
    a.connection.vertex = Some(VertexPlace {
        project: "demo".into(),
        location: "us-central1".into(),
        base_url: "http://127.0.0.1:8765".into(),
    });
    let cmds = a.start();
    let id = cmds
        .iter()
        .find_map(|c| match c {
            Cmd::Call {
                id,
                call: ApiCall::ListTuningJobs,
            } => Some(*id),
            _ => None,
        })
        .expect("the Models tab lists the tuning jobs");
    a.update(
        Msg::Worker(WorkerEvent::Reply {
            id,
            reply: Reply::TuningJobs(queue()),
        }),
        clock(),
    );
    a
}

fn screen(a: &mut App) -> String {
    let (w, h) = (120, 40);
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
        .collect()
}

/// The table's line for a job, by its display name.
fn row<'a>(shown: &'a str, name: &str) -> &'a str {
    shown
        .lines()
        .find(|l| l.contains(&format!(" {name} ")))
        .unwrap_or_else(|| panic!("no row for {name} in\n{shown}"))
}

fn polled(a: &mut App, job: TuningJob) {
    a.update(
        Msg::Worker(WorkerEvent::VertexJobPolled {
            job: Box::new(job),
            metrics: Default::default(),
        }),
        clock(),
    );
}

#[test]
fn the_jobs_table_shows_each_stage_and_the_queue_ahead_of_a_waiting_job() {
    let mut a = listed();
    let shown = screen(&mut a);
    assert!(row(&shown, "first").contains("RUNNING · tuning"), "{shown}");
    assert!(
        row(&shown, "second").contains("PENDING · quota: 1 ahead"),
        "{shown}"
    );
    assert!(
        row(&shown, "third").contains("PENDING · quota: 2 ahead"),
        "{shown}"
    );
    let old = row(&shown, "old");
    // (Its base model has retired by the test's date: the state cell says so, which is a
    // mark of the base's life, not a stage.)
    assert!(
        old.contains("SUCCEEDED")
            && !old.contains("quota")
            && !old.contains("tuning")
            && !old.contains("processing"),
        "an ended job has no stage: {old}"
    );
    // The first job ends (as polled): the others move up.
    let mut done = queue()[0].clone();
    done.state = tunedeck::api::vertex::types::JobState::Succeeded;
    done.tuning_job_state = Default::default();
    done.end_time = done.start_time;
    polled(&mut a, done);
    let shown = screen(&mut a);
    assert!(
        row(&shown, "second").contains("PENDING · quota: 0 ahead"),
        "{shown}"
    );
    assert!(
        row(&shown, "third").contains("PENDING · quota: 1 ahead"),
        "{shown}"
    );
    // The stage is filtered on as the state is.
    a.update(key('/'), clock());
    for c in "quota".chars() {
        a.update(key(c), clock());
    }
    a.update(code(KeyCode::Enter), clock());
    assert_eq!(
        a.jobs.visible.len(),
        2,
        "the filter reads the stage as it reads the state"
    );
}

#[test]
fn the_detail_and_the_monitor_say_where_a_waiting_job_stands() {
    let mut a = listed();
    // Newest first: third, second, first, old.
    a.update(key('j'), clock());
    a.update(code(KeyCode::Enter), clock());
    let shown = screen(&mut a);
    assert!(
        shown.contains("State           PENDING")
            && shown.contains("Stage           waiting for quota: 1 job ahead in this project"),
        "{shown}"
    );
    a.update(code(KeyCode::Esc), clock());
    // w: the Monitor follows it, and says the same while it waits.
    a.update(key('w'), clock());
    assert_eq!(a.tab, Tab::Monitor);
    polled(&mut a, queue()[1].clone());
    let shown = screen(&mut a);
    assert!(
        shown.contains("waiting for quota: 1 job ahead in this project"),
        "{shown}"
    );
    // Its step count comes with the dataset's statistics: said as such, not as a Gemini
    // operation that could not be found.
    assert!(
        shown.contains("total not known until the dataset is read")
            && !shown.contains("no operation found"),
        "{shown}"
    );
    // The running one: its stage, and the examples the service truncated.
    a.update(key('1'), clock());
    a.update(key('j'), clock());
    a.update(key('w'), clock());
    polled(&mut a, queue()[0].clone());
    let shown = screen(&mut a);
    assert!(shown.contains("tuning · epoch"), "{shown}");
    assert!(
        shown.contains("2 examples truncated by the service: example 3: longer than 131072 tokens"),
        "{shown}"
    );
}
