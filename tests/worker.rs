//! The background worker against the emulator: calls answered as events, a watched job polled
//! to the end, an in-flight stream cancelled, and shutdown when the UI goes away.

mod common;
use common::*;
use std::time::Duration;
use tokio::sync::mpsc;
use tunedeck::api::types::*;
use tunedeck::protocol::{ApiCall, Cmd, Reply, WorkerEvent};
use tunedeck::worker::{self, WorkerOptions};

fn fast_worker() -> WorkerOptions {
    WorkerOptions {
        poll_min: Duration::from_millis(5),
        poll_default: Duration::from_millis(10),
        poll_max: Duration::from_millis(50),
        ..Default::default()
    }
}

async fn next(events: &mut mpsc::UnboundedReceiver<WorkerEvent>) -> WorkerEvent {
    tokio::time::timeout(Duration::from_secs(20), events.recv())
        .await
        .expect("an event in time")
        .expect("worker alive")
}

#[tokio::test]
async fn a_watched_job_is_polled_until_done_with_all_snapshots() {
    let emu = start(fast_options()).await;
    let client = client_for(&emu);
    let (cmds, mut events, handle) = worker::spawn(client, fast_worker());
    let model = tuning_request("watched", tutorial_examples(), 2, 5);
    cmds.send(Cmd::Call {
        id: 1,
        call: ApiCall::CreateTunedModel {
            model: Box::new(model),
            id: Some("watched".into()),
        },
    })
    .unwrap();
    let operation = match next(&mut events).await {
        WorkerEvent::Reply {
            id: 1,
            reply: Reply::Operation(op),
        } => op,
        other => panic!("unexpected {other:?}"),
    };
    cmds.send(Cmd::Watch {
        operation: operation.name.clone(),
    })
    .unwrap();
    let mut last = None;
    let mut polls = 0;
    while last.is_none() {
        if let WorkerEvent::OperationPolled { operation } = next(&mut events).await {
            polls += 1;
            if operation.done {
                last = Some(operation);
            }
        }
    }
    let done = last.unwrap();
    let model = done.tuned_model().expect("the finished model");
    assert_eq!(model.state, TunedModelState::Active);
    assert_eq!(
        done.tuning_metadata().unwrap().snapshots,
        model.snapshots().to_vec()
    );
    assert_eq!(model.snapshots().len(), 38);
    assert!(polls >= 2);
    drop(cmds);
    tokio::time::timeout(Duration::from_secs(5), handle)
        .await
        .expect("worker stops when the channel closes")
        .unwrap();
}

#[tokio::test]
async fn cancelling_an_in_flight_stream_stops_it() {
    let emu = start(tunedeck::emulator::EmulatorOptions {
        stream_chunk_delay: Duration::from_millis(300),
        ..fast_options()
    })
    .await;
    let (cmds, mut events, _handle) = worker::spawn(client_for(&emu), fast_worker());
    let request = GenerateContentRequest::text("tell me a long story");
    cmds.send(Cmd::Call {
        id: 7,
        call: ApiCall::StreamGenerateContent {
            model: "models/gemini-2.5-flash".into(),
            request: Box::new(request),
        },
    })
    .unwrap();
    match next(&mut events).await {
        WorkerEvent::Reply {
            id: 7,
            reply: Reply::Chunk(chunk),
        } => assert!(chunk.text().contains("emulator")),
        other => panic!("unexpected {other:?}"),
    }
    cmds.send(Cmd::Cancel { id: 7 }).unwrap();
    match next(&mut events).await {
        WorkerEvent::Cancelled { id: 7 } => {}
        other => panic!("expected the cancellation, got {other:?}"),
    }
    // Nothing more arrives for the cancelled stream.
    let more = tokio::time::timeout(Duration::from_millis(800), events.recv()).await;
    assert!(more.is_err(), "stale chunk after cancel: {more:?}");
}

#[tokio::test]
async fn list_pages_arrive_one_event_each_and_the_last_is_marked() {
    let emu = start(fast_options()).await;
    let client = client_for(&emu);
    for i in 0..3 {
        client
            .create_tuned_model(
                &tuning_request(&format!("p{i}"), tutorial_examples(), 4, 1),
                None,
            )
            .await
            .unwrap();
    }
    let (cmds, mut events, _handle) = worker::spawn(client, fast_worker());
    cmds.send(Cmd::Call {
        id: 2,
        call: ApiCall::ListTunedModels { filter: None },
    })
    .unwrap();
    match next(&mut events).await {
        WorkerEvent::Reply {
            id: 2,
            reply: Reply::TunedModelsPage { models, last },
        } => {
            assert_eq!(models.len(), 3);
            assert!(last);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn a_failed_call_becomes_an_event_with_the_hint() {
    let emu = start(fast_options()).await;
    let (cmds, mut events, _handle) = worker::spawn(client_for(&emu), fast_worker());
    cmds.send(Cmd::Call {
        id: 3,
        call: ApiCall::GetTunedModel {
            name: "tunedModels/nope".into(),
        },
    })
    .unwrap();
    match next(&mut events).await {
        WorkerEvent::Failed { id: 3, error } => {
            assert_eq!(error.http_status, Some(404));
            assert!(error.hint().is_some());
        }
        other => panic!("unexpected {other:?}"),
    }
}

/// The dashboard's creates go through the same safe retry as the CLI's: with a quarter of the
/// answers lost, a tuned model without an id and a Vertex AI job each come back as replies,
/// and each request made exactly one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboards_creates_survive_lost_answers_with_one_job_each() {
    use tunedeck::api::vertex::client::VertexClient;
    use tunedeck::api::vertex::types::{SupervisedTuningSpec, TuningJob};
    let mut options = fast_options();
    options.seed = 9;
    options.faults.lose_answer_rate = 0.25;
    let emu = start(options).await;
    let client = client_for(&emu);
    let vertex = VertexClient::new(client_for(&emu), client_for(&emu), "p", "us-central1");
    let (cmds, mut events, _handle) =
        worker::spawn_with_vertex(client.clone(), Some(vertex.clone()), fast_worker());
    let line = r#"{"contents":[{"role":"user","parts":[{"text":"q"}]},{"role":"model","parts":[{"text":"a"}]}]}"#;
    let rounds = 8;
    // One request at a time, so that the seeded faults fall the same way every run.
    for id in 0..rounds {
        cmds.send(Cmd::Call {
            id,
            call: ApiCall::CreateTunedModel {
                model: Box::new(tuning_request("From the form", tutorial_examples(), 4, 1)),
                id: None,
            },
        })
        .unwrap();
        match reply(&mut events).await {
            Reply::Operation(op) => {
                assert!(
                    op.name.starts_with("tunedModels/from-the-form-"),
                    "{}",
                    op.name
                )
            }
            other => panic!("unexpected {other:?}"),
        }
        let job = TuningJob {
            base_model: "gemini-2.5-flash".into(),
            supervised_tuning_spec: Some(SupervisedTuningSpec {
                training_dataset_uri: format!("gs://b/train-{id}.jsonl"),
                ..Default::default()
            }),
            ..Default::default()
        };
        cmds.send(Cmd::Call {
            id: 100 + id,
            call: ApiCall::StartVertexTuning {
                bucket: "b".into(),
                uploads: vec![(
                    format!("train-{id}.jsonl"),
                    format!("{line}\n").into_bytes(),
                )],
                job: Box::new(job),
            },
        })
        .unwrap();
        match reply(&mut events).await {
            Reply::TuningJob(job) => assert!(job.labels.contains_key("tunedeck_request")),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(listed_ids(&client).await.len(), rounds as usize);
    let mut jobs = None;
    for _ in 0..50 {
        if let Ok(all) = vertex.all_tuning_jobs("").await {
            jobs = Some(all);
            break;
        }
    }
    assert_eq!(jobs.expect("the list answers").len(), rounds as usize);
}

/// The next reply, passing over other events; a failure fails the test.
async fn reply(events: &mut mpsc::UnboundedReceiver<WorkerEvent>) -> Reply {
    loop {
        match next(events).await {
            WorkerEvent::Reply { reply, .. } => return reply,
            WorkerEvent::Failed { id, error } => panic!("request {id} failed: {error}"),
            _ => {}
        }
    }
}
