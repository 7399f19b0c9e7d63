//! Contexts in the dashboard, through `update` and a rendered screen: `:ctx` lists the
//! configured contexts, the all-locations view and the tuning regions; choosing one re-targets
//! the worker, reloads the jobs and changes the header; an answer from the old place is
//! dropped; the all-locations view merges every region's jobs with a LOCATION column and gives
//! each failing region its own row; a bad location changes nothing.

mod common;
use common::app::*;
use crossterm::event::KeyCode;
use tunedeck::api::error::ApiError;
use tunedeck::api::vertex::types::TuningJob;
use tunedeck::app::contexts::NamedPlace;
use tunedeck::app::{App, Msg, VertexPlace};
use tunedeck::protocol::{ApiCall, Cmd, LocationJobs, Reply, WorkerEvent};

fn screen(a: &mut App) -> String {
    screen_at(a, 120, 40)
}

fn job(project: &str, location: &str, id: &str, display: &str) -> TuningJob {
    serde_json::from_value(serde_json::json!({
        "name": format!("projects/{project}/locations/{location}/tuningJobs/{id}"),
        "tunedModelDisplayName": display,
        "baseModel": "gemini-2.5-flash",
        "state": "JOB_STATE_SUCCEEDED",
        "createTime": "2026-11-21T09:00:00Z",
        "startTime": "2026-11-21T09:01:00Z",
        "endTime": "2026-11-21T09:05:00Z",
    }))
    .unwrap()
}

/// A Vertex app at acme/us-central1 (the context "prod"), with "eu" configured too.
fn vertex_app() -> App {
    let mut a = app();
    a.choose_vertex();
    a.connection.vertex = Some(VertexPlace {
        project: "acme".into(),
        location: "us-central1".into(),
        base_url: "http://127.0.0.1:8765".into(),
    });
    a.contexts.configured = vec![
        NamedPlace {
            name: "prod".into(),
            project: "acme".into(),
            location: "us-central1".into(),
        },
        NamedPlace {
            name: "eu".into(),
            project: "acme-eu".into(),
            location: "europe-west4".into(),
        },
    ];
    a.contexts.current = Some("prod".into());
    a
}

fn typed(a: &mut App, text: &str) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    for c in text.chars() {
        cmds.extend(a.update(key(c), a.clock));
    }
    cmds
}

fn list_id(cmds: &[Cmd]) -> Option<u64> {
    cmds.iter().find_map(|c| match c {
        Cmd::Call {
            id,
            call: ApiCall::ListTuningJobs | ApiCall::ListTuningJobsIn { .. },
        } => Some(*id),
        _ => None,
    })
}

fn reply(id: u64, reply: Reply) -> Msg {
    Msg::Worker(WorkerEvent::Reply { id, reply })
}

#[test]
fn ctx_lists_contexts_and_regions_and_switches_live() {
    let mut a = vertex_app();
    let first = list_id(&a.start()).unwrap();
    a.update(
        reply(
            first,
            Reply::TuningJobs(vec![job("acme", "us-central1", "1", "us-job")]),
        ),
        a.clock,
    );
    assert!(screen(&mut a).contains("ctx prod: acme/us-central1"));
    a.update(key(':'), a.clock);
    typed(&mut a, "ctx");
    a.update(code(KeyCode::Enter), a.clock);
    let shown = screen(&mut a);
    assert!(shown.contains("Contexts, then tuning regions ("), "{shown}");
    for want in [
        "prod",
        "acme/us-central1",
        "eu",
        "acme-eu/europe-west4",
        "all",
        "europe-west9",
    ] {
        assert!(shown.contains(want), "{want} missing:\n{shown}");
    }
    // The current one is chosen at first: one down is "eu".
    a.update(code(KeyCode::Down), a.clock);
    let cmds = a.update(code(KeyCode::Enter), a.clock);
    assert!(a.contexts.picker.is_none());
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Cmd::Retarget { project, location }
            if project == "acme-eu" && location == "europe-west4")),
        "{cmds:?}"
    );
    let second = list_id(&cmds).expect("the jobs are listed again");
    // Every tab reloads: the old jobs are gone until the new list comes.
    assert!(a.jobs.jobs.is_empty());
    let shown = screen(&mut a);
    assert!(shown.contains("ctx eu: acme-eu/europe-west4"), "{shown}");
    assert!(!shown.contains("us-job"), "{shown}");
    a.update(
        reply(
            second,
            Reply::TuningJobs(vec![job("acme-eu", "europe-west4", "2", "eu-job")]),
        ),
        a.clock,
    );
    assert!(screen(&mut a).contains("eu-job"));
    // Esc closes the list without switching.
    a.update(key(':'), a.clock);
    typed(&mut a, "ctx");
    a.update(code(KeyCode::Enter), a.clock);
    assert!(a.contexts.picker.is_some());
    let cmds = a.update(code(KeyCode::Esc), a.clock);
    assert!(a.contexts.picker.is_none() && cmds.is_empty());
    assert_eq!(a.connection.vertex.as_ref().unwrap().project, "acme-eu");
}

#[test]
fn a_reply_from_the_old_context_is_ignored() {
    let mut a = vertex_app();
    let old = list_id(&a.start()).unwrap();
    a.update(key(':'), a.clock);
    typed(&mut a, "ctx eu");
    let cmds = a.update(code(KeyCode::Enter), a.clock);
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Cmd::Cancel { id } if *id == old)),
        "{cmds:?}"
    );
    let new = list_id(&cmds).unwrap();
    // The old place's list arrives late: dropped, nothing of it is watched.
    let late = a.update(
        reply(
            old,
            Reply::TuningJobs(vec![job("acme", "us-central1", "1", "stale-job")]),
        ),
        a.clock,
    );
    assert!(late.is_empty(), "{late:?}");
    assert!(a.jobs.jobs.is_empty());
    assert!(!screen(&mut a).contains("stale-job"));
    a.update(
        reply(
            new,
            Reply::TuningJobs(vec![job("acme-eu", "europe-west4", "2", "fresh-job")]),
        ),
        a.clock,
    );
    assert_eq!(a.jobs.jobs.len(), 1);
    assert!(screen(&mut a).contains("fresh-job"));
}

#[test]
fn the_all_locations_view_merges_regions_and_shows_each_failure_in_its_row() {
    let mut a = vertex_app();
    list_id(&a.start()).unwrap();
    a.update(key(':'), a.clock);
    typed(&mut a, "ctx all");
    let cmds = a.update(code(KeyCode::Enter), a.clock);
    // Same project and location: no re-target, one call across the regions.
    assert!(!cmds.iter().any(|c| matches!(c, Cmd::Retarget { .. })));
    let (id, locations) = cmds
        .iter()
        .find_map(|c| match c {
            Cmd::Call {
                id,
                call: ApiCall::ListTuningJobsIn { locations },
            } => Some((*id, locations.clone())),
            _ => None,
        })
        .expect("every region is asked");
    assert!(locations.contains(&"us-central1".to_owned()));
    assert!(locations.contains(&"europe-west4".to_owned()));
    let answers = vec![
        LocationJobs {
            location: "us-central1".into(),
            jobs: Ok(vec![job("acme", "us-central1", "1", "central-job")]),
        },
        LocationJobs {
            location: "asia-east1".into(),
            jobs: Err(ApiError::from_response(
                403,
                br#"{"error":{"code":403,"message":"Permission denied in asia-east1","status":"PERMISSION_DENIED"}}"#,
                None,
            )),
        },
        LocationJobs {
            location: "europe-west4".into(),
            jobs: Ok(vec![job("acme", "europe-west4", "2", "west4-job")]),
        },
    ];
    a.update(reply(id, Reply::TuningJobsByLocation(answers)), a.clock);
    assert_eq!(a.jobs.jobs.len(), 2);
    let shown = screen(&mut a);
    assert!(shown.contains("LOCATION"), "{shown}");
    assert!(shown.contains("acme/all locations"), "{shown}");
    let row = |name: &str| {
        shown
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} missing:\n{shown}"))
            .to_owned()
    };
    assert!(row("central-job").contains("us-central1"));
    assert!(row("west4-job").contains("europe-west4"));
    let failed = row("Permission denied");
    assert!(failed.contains("asia-east1"), "{failed}");
    // At 80 columns the location column stays.
    let narrow = screen_at(&mut a, 80, 24);
    assert!(narrow.contains("LOCATION"), "{narrow}");
    // `r` asks every region again.
    let cmds = a.update(key('r'), a.clock);
    assert!(cmds.iter().any(|c| matches!(
        c,
        Cmd::Call {
            call: ApiCall::ListTuningJobsIn { .. },
            ..
        }
    )));
}

#[test]
fn a_bad_location_switches_nothing_and_tab_completes_names() {
    let mut a = vertex_app();
    let first = list_id(&a.start()).unwrap();
    a.update(
        reply(
            first,
            Reply::TuningJobs(vec![job("acme", "us-central1", "1", "us-job")]),
        ),
        a.clock,
    );
    a.update(key(':'), a.clock);
    typed(&mut a, "ctx US_East1");
    let cmds = a.update(code(KeyCode::Enter), a.clock);
    assert!(cmds.is_empty(), "{cmds:?}");
    assert_eq!(
        a.connection.vertex.as_ref().unwrap().location,
        "us-central1"
    );
    assert_eq!(a.jobs.jobs.len(), 1);
    let said = &a.toasts.last().unwrap().text;
    assert!(
        said.contains("US_East1") && said.contains("prod, eu"),
        "{said}"
    );
    // Tab completes a context's name after `ctx `.
    a.update(key(':'), a.clock);
    typed(&mut a, "ctx pr");
    a.update(code(KeyCode::Tab), a.clock);
    assert!(
        matches!(&a.overlay, tunedeck::app::Overlay::Palette { input } if input == "ctx prod"),
        "{:?}",
        a.overlay
    );
    a.update(code(KeyCode::Esc), a.clock);
    // A region of the current project, by name.
    typed(&mut a, ":ctx europe-west1");
    let cmds = a.update(code(KeyCode::Enter), a.clock);
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Cmd::Retarget { project, location }
        if project == "acme" && location == "europe-west1"))
    );
    assert!(screen(&mut a).contains("acme/europe-west1"));
    assert_eq!(a.contexts.current, None);
}
