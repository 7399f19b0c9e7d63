//! Distillation and reinforcement tuning jobs in the dashboard: the jobs table lists them,
//! the detail names the method and its spec, and the Monitor follows them and charts the
//! series they report, without error.

mod common;
use common::app::*;
use crossterm::event::KeyCode;
use tunedeck::api::vertex::client::MetricPoint;
use tunedeck::api::vertex::types::TuningJob;
use tunedeck::app::{App, Msg, VertexPlace};
use tunedeck::protocol::{ApiCall, Cmd, Reply, WorkerEvent};

const PARENT: &str = "projects/demo/locations/us-central1";

fn distilled(state: &str) -> TuningJob {
    serde_json::from_value(serde_json::json!({
        "name": format!("{PARENT}/tuningJobs/71"),
        "tunedModelDisplayName": "distilled-capitals",
        "baseModel": "gemini-2.5-flash",
        "state": state,
        "createTime": "2026-11-22T09:00:00Z",
        "startTime": "2026-11-22T09:01:00Z",
        "experiment": format!("{PARENT}/metadataStores/default/contexts/tuning-experiment-71"),
        "distillationSpec": {
            "baseTeacherModel": "gemini-3.1-pro",
            "promptDatasetUri": "gs://bucket/prompts.jsonl",
            "hyperParameters": {"epochCount": "3", "learningRateMultiplier": 1.0}
        },
        "tuningDataStats": {"supervisedTuningDataStats": {"tuningStepCount": "12"}}
    }))
    .unwrap()
}

fn rewarded() -> TuningJob {
    serde_json::from_value(serde_json::json!({
        "name": format!("{PARENT}/tuningJobs/72"),
        "tunedModelDisplayName": "rewarded-capitals",
        "baseModel": "gemini-2.5-flash",
        "state": "JOB_STATE_SUCCEEDED",
        "createTime": "2026-11-21T09:00:00Z",
        "startTime": "2026-11-21T09:01:00Z",
        "endTime": "2026-11-21T09:09:00Z",
        "reinforcementTuningSpec": {
            "trainingDatasetUri": "gs://bucket/prompts.jsonl",
            "singleRewardConfig": {"rewardName": "exact-answer", "stringMatchRewardScorer": {
                "correctAnswerReward": 1.0, "wrongAnswerReward": -1.0,
                "stringMatchExpression": {"matchOperation": "EXACT_MATCH", "expression": "{{references.answer}}"}}},
            "hyperParameters": {"epochCount": "2", "samplesPerPrompt": "4"}
        }
    }))
    .unwrap()
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
        .unwrap();
    a.update(
        Msg::Worker(WorkerEvent::Reply {
            id,
            reply: Reply::TuningJobs(vec![distilled("JOB_STATE_RUNNING"), rewarded()]),
        }),
        clock(),
    );
    a
}

#[test]
fn the_table_and_detail_name_the_method_and_its_spec() {
    let mut a = listed();
    let shown = screen_at(&mut a, 120, 40);
    assert!(
        shown.contains("distilled-capitals") && shown.contains("rewarded-capitals"),
        "{shown}"
    );
    // Newest first: the distillation job, then its detail.
    a.update(code(KeyCode::Enter), clock());
    let shown = screen_at(&mut a, 120, 40);
    for want in [
        "distillation (early access)",
        "Teacher",
        "gemini-3.1-pro",
        "Prompts",
        "gs://bucket/prompts.jsonl",
        "epochs 3",
    ] {
        assert!(shown.contains(want), "{want} missing:\n{shown}");
    }
    assert!(!shown.contains("Training data"), "{shown}");
    a.update(code(KeyCode::Esc), clock());
    a.update(code(KeyCode::Down), clock());
    a.update(code(KeyCode::Enter), clock());
    // Taller: the base's retirement takes two lines above the spec.
    let shown = screen_at(&mut a, 80, 30);
    assert!(shown.contains("reinforcement tuning"), "{shown}");
    assert!(shown.contains("(pre-GA)"), "{shown}");
    assert!(shown.contains("exact-answer: string match"), "{shown}");
    assert!(shown.contains("EXACT_MATCH"), "{shown}");
    assert!(
        shown.contains("This method's statistics are not"),
        "{shown}"
    );
}

#[test]
fn the_monitor_follows_a_distillation_job_and_charts_its_loss() {
    let mut a = listed();
    // The running job is followed.
    assert!(
        a.monitor
            .jobs
            .iter()
            .any(|j| j.name.ends_with("/tuningJobs/71"))
    );
    let point = |step, value| MetricPoint {
        step,
        value,
        time: None,
    };
    a.update(
        Msg::Worker(WorkerEvent::VertexJobPolled {
            job: Box::new(distilled("JOB_STATE_RUNNING")),
            metrics: [(
                "/train_total_loss".to_owned(),
                vec![point(1, 3.0), point(2, 2.0), point(3, 1.5)],
            )]
            .into(),
        }),
        clock(),
    );
    a.update(key('2'), clock());
    let shown = screen_at(&mut a, 120, 40);
    assert!(shown.contains("distilled-capitals"), "{shown}");
    assert!(shown.contains("step 3 of 12"), "{shown}");
    assert!(a.monitor.poll_errors.is_empty());
}
