//! The Playground: update() tests (models, tuned-model checks, streaming, cancel, fallback,
//! compare, candidates, history, curl, evaluation), render snapshots, and flows against the
//! emulator (a tuned model streams back what it learned; streaming that 404s falls back;
//! cancel mid-stream; evaluation counts).

mod common;
use common::app::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::{Duration, Instant};
use tunedeck::api::types::*;
use tunedeck::app::playground::{Focus, Settings, TargetModel, build_request, normalize};
use tunedeck::app::{App, Msg, Tab};
use tunedeck::config::ThemeConfig;
use tunedeck::domain::generation::GenerationField;
use tunedeck::protocol::{ApiCall, Cmd, Reply, WorkerEvent};
use tunedeck::tui::theme::Theme;

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn base(name: &str) -> Model {
    Model {
        name: format!("models/{name}"),
        display_name: name.into(),
        input_token_limit: 16384,
        output_token_limit: 8192,
        supported_generation_methods: vec!["generateContent".into(), "createTunedModel".into()],
        temperature: Some(1.0),
        top_p: Some(0.95),
        top_k: Some(64),
        max_temperature: Some(2.0),
        ..Default::default()
    }
}

/// An app on the Playground with the three models loaded and base models listed.
fn playground() -> App {
    let mut a = loaded(three());
    let now = clock();
    let cmds = a.update(key('4'), now);
    assert_eq!(a.tab, Tab::Playground);
    let [
        Cmd::Call {
            id,
            call: ApiCall::ListModels,
        },
    ] = cmds.as_slice()
    else {
        panic!("the tab asks for the base models: {cmds:?}")
    };
    let plain = Model {
        name: "models/embedder".into(),
        supported_generation_methods: vec!["embedContent".into()],
        ..Default::default()
    };
    a.update(
        Msg::Worker(WorkerEvent::Reply {
            id: *id,
            reply: Reply::Models(vec![base("gemini-1.5-flash-001-tuning"), plain]),
        }),
        now,
    );
    assert!(
        a.update(key('4'), now).is_empty(),
        "asked only once per session"
    );
    a
}

fn type_prompt(a: &mut App, text: &str) {
    let now = clock();
    a.update(key('i'), now);
    assert_eq!(a.playground.focus, Focus::Prompt);
    for c in text.chars() {
        a.update(key(c), now);
    }
    a.update(code(KeyCode::Esc), now);
}

fn choose_first(a: &mut App) {
    let now = clock();
    a.update(key('m'), now);
    a.update(code(KeyCode::Enter), now);
}

fn chunk(text: &str, index: i32, finish: Option<FinishReason>) -> Reply {
    Reply::Chunk(Box::new(GenerateContentResponse {
        candidates: vec![Candidate {
            content: Some(Content {
                parts: vec![Part::text(text)],
                role: Some("model".into()),
            }),
            finish_reason: finish,
            index: Some(index),
            ..Default::default()
        }],
        usage_metadata: Some(UsageMetadata {
            prompt_token_count: 2,
            candidates_token_count: 3,
            total_token_count: 5,
            ..Default::default()
        }),
        ..Default::default()
    }))
}

fn sent(cmds: &[Cmd]) -> Vec<(u64, String, bool, GenerateContentRequest)> {
    cmds.iter()
        .filter_map(|c| match c {
            Cmd::Call {
                id,
                call: ApiCall::StreamGenerateContent { model, request },
            } => Some((*id, model.clone(), true, (**request).clone())),
            Cmd::Call {
                id,
                call: ApiCall::GenerateContent { model, request },
            } => Some((*id, model.clone(), false, (**request).clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn the_picker_lists_active_tuned_models_then_generating_base_models_with_their_defaults() {
    let mut a = playground();
    a.update(key('m'), clock());
    let names: Vec<&str> = a
        .playground
        .choices
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["tunedModels/alpha-1", "models/gemini-1.5-flash-001-tuning"],
        "CREATING and FAILED models cannot answer; embedders do not generate"
    );
    assert!(
        a.playground.choices[1]
            .describe()
            .contains("tokens in 16384 / out 8192")
    );
    a.update(key('j'), clock());
    a.update(code(KeyCode::Enter), clock());
    let model = a.playground.model.as_ref().unwrap();
    assert_eq!(model.name, "models/gemini-1.5-flash-001-tuning");
    assert_eq!(
        [
            GenerationField::Temperature,
            GenerationField::TopP,
            GenerationField::TopK
        ]
        .map(|f| a.playground.settings.values.get(f)),
        ["1", "0.95", "64"]
    );
}

#[test]
fn sending_without_a_model_opens_the_picker() {
    let mut a = playground();
    type_prompt(&mut a, "seven");
    assert!(a.update(code(KeyCode::Enter), clock()).is_empty());
    assert!(matches!(
        a.playground.focus,
        Focus::Picker { compare: false }
    ));
    assert_eq!(
        a.playground.refused.as_deref(),
        Some("Choose a model first")
    );
}

#[test]
fn tuned_model_rules_are_checked_before_sending() {
    let tuned = TargetModel {
        name: "tunedModels/x".into(),
        label: "x".into(),
        tuned: true,
        ..Default::default()
    };
    let mut settings = Settings::default();
    assert!(
        build_request(&tuned, "  ", &settings)
            .unwrap_err()
            .contains("Type a prompt")
    );
    let long = "a".repeat(40_001);
    assert!(
        build_request(&tuned, &long, &settings)
            .unwrap_err()
            .contains("40001 characters; a tuned model takes at most 40,000")
    );
    assert!(build_request(&tuned, &"a".repeat(40_000), &settings).is_ok());
    settings
        .values
        .set(GenerationField::SystemInstruction, "Be brief");
    assert!(
        build_request(&tuned, "hi", &settings)
            .unwrap_err()
            .contains("no system instruction")
    );
    settings.values.set(GenerationField::SystemInstruction, "");
    settings
        .values
        .set(GenerationField::ResponseMimeType, "application/json");
    assert!(
        build_request(&tuned, "hi", &settings)
            .unwrap_err()
            .contains("JSON mode")
    );
    // A base model takes both.
    let base_model = TargetModel {
        name: "models/b".into(),
        ..Default::default()
    };
    settings
        .values
        .set(GenerationField::SystemInstruction, "Be brief");
    let request = build_request(&base_model, "hi", &settings).unwrap();
    assert!(request.system_instruction.is_some());
    assert_eq!(
        request
            .generation_config
            .unwrap()
            .response_mime_type
            .as_deref(),
        Some("application/json")
    );
    // Ranges.
    let mut s = Settings::default();
    s.values.set(GenerationField::Temperature, "2.5");
    assert!(
        build_request(&base_model, "hi", &s)
            .unwrap_err()
            .contains("temperature 2.5 is outside 0 to 2")
    );
    s.values.set(GenerationField::Temperature, "0.5");
    s.values.set(GenerationField::CandidateCount, "9");
    assert!(
        build_request(&base_model, "hi", &s)
            .unwrap_err()
            .contains("candidateCount")
    );
    s.values.set(GenerationField::CandidateCount, "2");
    s.values.set(GenerationField::StopSequences, "a,b,c,d,e,f");
    assert!(
        build_request(&base_model, "hi", &s)
            .unwrap_err()
            .contains("at most 5")
    );
    s.values.set(GenerationField::StopSequences, "END, STOP");
    s.safety = 1;
    let request = build_request(&base_model, "hi", &s).unwrap();
    let config = request.generation_config.as_ref().unwrap();
    assert_eq!(
        (config.temperature, config.candidate_count),
        (Some(0.5), Some(2))
    );
    assert_eq!(config.stop_sequences, ["END", "STOP"]);
    assert_eq!(request.safety_settings.len(), 4);
    assert!(
        request
            .safety_settings
            .iter()
            .all(|s| s.threshold == HarmBlockThreshold::BlockNone)
    );
}

#[test]
fn a_refused_prompt_sends_nothing_and_says_why() {
    let mut a = playground();
    choose_first(&mut a);
    a.update(key('s'), clock());
    for _ in 0..6 {
        a.update(code(KeyCode::Tab), clock());
    }
    for c in "be brief".chars() {
        a.update(key(c), clock());
    }
    a.update(code(KeyCode::Enter), clock());
    type_prompt(&mut a, "seven");
    assert!(a.update(code(KeyCode::Enter), clock()).is_empty());
    let why = a.playground.refused.as_deref().unwrap();
    assert!(
        why.contains("Alpha") && why.contains("no system instruction"),
        "{why}"
    );
}

#[test]
fn a_streamed_answer_arrives_chunk_by_chunk_with_timings_and_is_kept_in_history() {
    let mut a = playground();
    a.history_dir = Some("/state/playground".into());
    choose_first(&mut a);
    type_prompt(&mut a, "seven");
    let t0 = clock();
    let cmds = a.update(code(KeyCode::Enter), t0);
    let [(id, model, streamed, request)] = sent(&cmds).try_into().unwrap();
    assert_eq!((model.as_str(), streamed), ("tunedModels/alpha-1", true));
    assert_eq!(request.contents[0].parts[0].text.as_deref(), Some("seven"));
    assert_eq!(
        request.generation_config.as_ref().unwrap().temperature,
        Some(1.0),
        "the model's own defaults are sent"
    );
    assert!(a.playground.streaming());
    a.update(
        Msg::Worker(WorkerEvent::Reply {
            id,
            reply: chunk("ei", 0, None),
        }),
        t0 + Duration::from_millis(30),
    );
    assert_eq!(a.playground.runs[0].text(0), "ei");
    a.update(
        Msg::Worker(WorkerEvent::Reply {
            id,
            reply: chunk("ght", 0, Some(FinishReason::Stop)),
        }),
        t0 + Duration::from_millis(50),
    );
    let cmds = a.update(
        Msg::Worker(WorkerEvent::Reply {
            id,
            reply: Reply::StreamEnd { fell_back: false },
        }),
        t0 + Duration::from_millis(60),
    );
    let run = &a.playground.runs[0];
    assert_eq!(run.text(0), "eight");
    assert_eq!(run.first_token, Some(Duration::from_millis(30)));
    assert_eq!(run.total, Some(Duration::from_millis(60)));
    assert_eq!(run.candidates[0].finish_reason.as_deref(), Some("STOP"));
    assert_eq!(run.usage.as_ref().unwrap().total_token_count, 5);
    assert!(!a.playground.streaming());
    let [Cmd::WriteFile { path, contents, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert!(path.ends_with("tunedModels_alpha-1.jsonl"));
    let history = tunedeck::app::playground::parse_history(std::str::from_utf8(contents).unwrap());
    assert_eq!(
        (
            history[0].prompt.as_str(),
            history[0].answer.as_str(),
            history[0].total_ms
        ),
        ("seven", "eight", Some(60))
    );
    // The history re-runs a prompt.
    type_prompt(&mut a, "x");
    a.update(key('h'), clock());
    let cmds = a.update(code(KeyCode::Enter), clock());
    assert_eq!(
        sent(&cmds)[0].3.contents[0].parts[0].text.as_deref(),
        Some("seven")
    );
    assert_eq!(a.playground.prompt_text(), "seven");
}

#[test]
fn esc_cancels_a_stream_and_later_chunks_are_ignored() {
    let mut a = playground();
    choose_first(&mut a);
    type_prompt(&mut a, "seven");
    let now = clock();
    let [(id, ..)] = sent(&a.update(code(KeyCode::Enter), now))
        .try_into()
        .unwrap();
    a.update(
        Msg::Worker(WorkerEvent::Reply {
            id,
            reply: chunk("ei", 0, None),
        }),
        now,
    );
    let cmds = a.update(code(KeyCode::Esc), now);
    assert!(matches!(cmds.as_slice(), [Cmd::Cancel { id: c }] if *c == id));
    assert!(a.playground.runs[0].cancelled);
    a.update(
        Msg::Worker(WorkerEvent::Reply {
            id,
            reply: chunk("ght", 0, None),
        }),
        now,
    );
    assert_eq!(
        a.playground.runs[0].text(0),
        "ei",
        "a stale chunk changes nothing"
    );
    assert!(!a.playground.streaming(), "a new prompt can be sent");
}

#[test]
fn a_stream_that_fell_back_is_remembered_and_the_next_send_does_not_stream() {
    let mut a = playground();
    choose_first(&mut a);
    type_prompt(&mut a, "seven");
    let now = clock();
    let [(id, ..)] = sent(&a.update(code(KeyCode::Enter), now))
        .try_into()
        .unwrap();
    a.update(
        Msg::Worker(WorkerEvent::Reply {
            id,
            reply: chunk("eight", 0, Some(FinishReason::Stop)),
        }),
        now,
    );
    a.update(
        Msg::Worker(WorkerEvent::Reply {
            id,
            reply: Reply::StreamEnd { fell_back: true },
        }),
        now,
    );
    assert!(a.playground.runs[0].fell_back);
    assert!(
        a.toasts
            .iter()
            .any(|t| t.text.contains("Streaming answered 404"))
    );
    let [(_, _, streamed, _)] = sent(&a.update(code(KeyCode::Enter), now))
        .try_into()
        .unwrap();
    assert!(!streamed, "generateContent from now on for this model");
}

#[test]
fn compare_sends_to_both_models_and_candidates_have_tabs() {
    let mut a = playground();
    choose_first(&mut a);
    a.update(key('M'), clock());
    a.update(key('j'), clock());
    a.update(code(KeyCode::Enter), clock());
    type_prompt(&mut a, "seven");
    let now = clock();
    let calls = sent(&a.update(code(KeyCode::Enter), now));
    let models: Vec<&str> = calls.iter().map(|c| c.1.as_str()).collect();
    assert_eq!(
        models,
        ["tunedModels/alpha-1", "models/gemini-1.5-flash-001-tuning"]
    );
    let base_id = calls[1].0;
    a.update(
        Msg::Worker(WorkerEvent::Reply {
            id: base_id,
            reply: chunk("first", 0, None),
        }),
        now,
    );
    a.update(
        Msg::Worker(WorkerEvent::Reply {
            id: base_id,
            reply: chunk("second", 1, None),
        }),
        now,
    );
    assert_eq!(a.playground.runs[1].candidates.len(), 2);
    a.update(key(']'), now);
    assert_eq!(a.playground.candidate, 1);
    a.update(key(']'), now);
    assert_eq!(a.playground.candidate, 0, "wraps");
    // d in the compare picker drops the second model, and its answer pane with it; the
    // one still streaming is cancelled.
    a.update(key('M'), now);
    let cmds = a.update(key('d'), now);
    assert!(a.playground.compare.is_none());
    assert_eq!(
        a.playground.runs.len(),
        1,
        "the second model's answer left the screen"
    );
    assert_eq!(a.playground.runs[0].model, "tunedModels/alpha-1");
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Cmd::Cancel { id } if *id == base_id)),
        "{cmds:?}"
    );
    // Choosing another model clears the first one's answer too.
    a.update(key('m'), now);
    a.update(key('j'), now);
    a.update(code(KeyCode::Enter), now);
    assert!(a.playground.runs.is_empty());
}

#[test]
fn copy_as_curl_keeps_the_key_out() {
    let mut a = playground();
    choose_first(&mut a);
    type_prompt(&mut a, "it's seven");
    let cmds = a.update(key('C'), clock());
    let curl = cmds
        .iter()
        .find_map(|c| match c {
            Cmd::Copy(text) => Some(text.clone()),
            _ => None,
        })
        .unwrap();
    assert!(curl.starts_with("curl -sS 'http://127.0.0.1:8765/v1beta/tunedModels/alpha-1:streamGenerateContent?alt=sse'"), "{curl}");
    assert!(curl.contains("-H \"x-goog-api-key: $GEMINI_API_KEY\""));
    assert!(
        curl.contains(r#""text":"it'\''s seven""#),
        "quotes survive the shell: {curl}"
    );
    a.update(key('y'), clock());
    assert!(a.toasts.last().unwrap().text.contains("No answer"));
}

#[test]
fn open_in_playground_from_the_models_tab() {
    let mut a = loaded(three());
    let now = clock();
    let cmds = a.update(key('P'), now);
    assert_eq!(a.tab, Tab::Playground);
    assert!(matches!(
        cmds.as_slice(),
        [Cmd::Call {
            call: ApiCall::ListModels,
            ..
        }]
    ));
    // The list is newest first: charlie (FAILED) is selected; it is chosen, with a warning.
    assert_eq!(
        a.playground.model.as_ref().unwrap().name,
        "tunedModels/charlie-3"
    );
    assert!(
        a.toasts
            .last()
            .unwrap()
            .text
            .contains("answers prompts once ACTIVE")
    );
}

#[test]
fn normalized_matching_ignores_case_spacing_and_final_punctuation() {
    assert_eq!(normalize("  Eight.  "), "eight");
    assert_eq!(normalize("two\n words!"), "two words");
    assert_ne!(normalize("eight"), normalize("eighty"));
}

#[test]
fn evaluation_runs_four_at_a_time_and_counts_matches() {
    let mut a = playground();
    choose_first(&mut a);
    a.dataset = tunedeck::app::dataset::DatasetPane::new(
        (1..=6)
            .map(|i| TuningExample::new(format!("{i}"), format!("Out {i}")))
            .collect(),
        None,
        None,
    );
    let now = clock();
    let cmds = a.update(key('b'), now);
    let calls = sent(&cmds);
    assert_eq!(calls.len(), 4, "the concurrency limit");
    assert!(calls.iter().all(|c| !c.2), "evaluation does not stream");
    let answer = |text: &str| {
        Reply::Generated(Box::new(GenerateContentResponse {
            candidates: vec![Candidate {
                content: Some(Content {
                    parts: vec![Part::text(text)],
                    role: None,
                }),
                ..Default::default()
            }],
            ..Default::default()
        }))
    };
    let mut pending: Vec<u64> = calls.iter().map(|c| c.0).collect();
    let replies = ["Out 1", "out 2.", "wrong", "Out 4", "Out 5", "Out 6"];
    let mut i = 0;
    while let Some(id) = pending.first().copied() {
        pending.remove(0);
        let cmds = a.update(
            Msg::Worker(WorkerEvent::Reply {
                id,
                reply: answer(replies[i]),
            }),
            now + Duration::from_millis(10),
        );
        pending.extend(sent(&cmds).iter().map(|c| c.0));
        i += 1;
    }
    let eval = a.playground.eval.as_ref().unwrap();
    assert_eq!(eval.counts(), (6, 4, 5, 0));
    assert_eq!(eval.finished, Some(Duration::from_millis(10)));
    assert!(
        a.toasts
            .last()
            .unwrap()
            .text
            .contains("exact 4/6, normalized 5/6")
    );
    let cmds = a.update(key('x'), now);
    let [Cmd::WriteFile { path, contents, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(path.to_str(), Some("alpha-1-eval.csv"));
    let csv = String::from_utf8(contents.clone()).unwrap();
    assert!(csv.starts_with("index,text_input,expected,got,exact,normalized,error\n1,1,Out 1,Out 1,true,true,\n2,2,Out 2,out 2.,false,true,\n3,3,Out 3,wrong,false,false,\n"), "{csv}");
    a.update(code(KeyCode::Esc), now);
    assert!(a.playground.eval.is_none());
}

#[test]
fn evaluation_prefers_the_held_out_file_beside_the_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let dataset = dir.path().join("numbers.jsonl");
    std::fs::write(
        dir.path().join("numbers.heldout.jsonl"),
        "{\"text_input\":\"7\",\"output\":\"8\"}\n",
    )
    .unwrap();
    let mut a = playground();
    choose_first(&mut a);
    a.dataset = tunedeck::app::dataset::DatasetPane::new(
        vec![TuningExample::new("1", "2"); 3],
        Some(dataset.clone()),
        None,
    );
    let cmds = a.update(key('b'), clock());
    let [Cmd::ReadDataset { id, path, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert!(path.ends_with("numbers.heldout.jsonl"));
    let result = tunedeck::worker::read_dataset(path, None);
    let cmds = a.update(
        Msg::Worker(WorkerEvent::DatasetRead {
            id: *id,
            path: path.clone(),
            result,
        }),
        clock(),
    );
    assert_eq!(sent(&cmds).len(), 1);
    assert_eq!(
        a.playground.eval.as_ref().unwrap().examples,
        [TuningExample::new("7", "8")]
    );
    // Without that file, the whole dataset, saying why.
    std::fs::remove_file(dir.path().join("numbers.heldout.jsonl")).unwrap();
    a.update(code(KeyCode::Esc), clock());
    let cmds = a.update(key('b'), clock());
    let [Cmd::ReadDataset { id, path, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    let result = tunedeck::worker::read_dataset(path, None);
    let cmds = a.update(
        Msg::Worker(WorkerEvent::DatasetRead {
            id: *id,
            path: path.clone(),
            result,
        }),
        clock(),
    );
    assert_eq!(sent(&cmds).len(), 3);
    assert!(
        a.toasts
            .iter()
            .any(|t| t.text.contains("evaluating the whole dataset"))
    );
}

fn screen(app: &mut App, width: u16, height: u16) -> String {
    app.update(Msg::Resize(width, height), clock());
    app.models.loaded_at =
        Some(tunedeck::api::serde_util::parse_timestamp("2026-11-22T12:00:00Z").unwrap());
    let theme = Theme::new(&ThemeConfig::default(), true);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| tunedeck::tui::ui::draw(f, app, &theme))
        .unwrap();
    let buffer = terminal.backend().buffer().clone();
    (0..height)
        .map(|y| {
            (0..width)
                .map(|x| buffer[(x, y)].symbol().to_owned())
                .collect::<String>()
                + "\n"
        })
        .collect()
}

#[test]
fn renders() {
    let mut a = playground();
    insta::assert_snapshot!("empty", screen(&mut a, 100, 30));
    choose_first(&mut a);
    a.update(key('M'), clock());
    a.update(key('j'), clock());
    a.update(code(KeyCode::Enter), clock());
    type_prompt(&mut a, "seven");
    let t0 = clock();
    let calls = sent(&a.update(code(KeyCode::Enter), t0));
    a.update(
        Msg::Worker(WorkerEvent::Reply {
            id: calls[0].0,
            reply: chunk("eight", 0, Some(FinishReason::Stop)),
        }),
        t0 + Duration::from_millis(12),
    );
    a.update(
        Msg::Worker(WorkerEvent::Reply {
            id: calls[0].0,
            reply: Reply::StreamEnd { fell_back: false },
        }),
        t0 + Duration::from_millis(15),
    );
    a.update(
        Msg::Worker(WorkerEvent::Reply {
            id: calls[1].0,
            reply: chunk("[emulated] a long", 0, None),
        }),
        t0 + Duration::from_millis(20),
    );
    a.toasts.clear();
    insta::assert_snapshot!("compare_streaming", screen(&mut a, 100, 30));
    a.update(key('m'), clock());
    insta::assert_snapshot!("picker", screen(&mut a, 100, 30));
    a.update(code(KeyCode::Esc), clock());
    a.update(key('s'), clock());
    insta::assert_snapshot!("settings", screen(&mut a, 100, 30));
}

#[tokio::test]
async fn against_the_emulator_a_tuned_model_streams_back_its_training_output_and_cancel_stops_a_stream()
 {
    use tunedeck::worker::{self, WorkerOptions};
    let mut options = common::fast_options();
    options.demo = true;
    options.stream_chunk_delay = Duration::from_millis(200);
    let emu = common::start(options).await;
    let client = common::client_for(&emu);
    let (commands, mut events, _w) = worker::spawn(client, WorkerOptions::default());
    let model = "tunedModels/number-generator-demo".to_owned();
    // "seven" is one of the demo's training inputs; its output is "eight".
    commands
        .send(Cmd::Call {
            id: 1,
            call: ApiCall::StreamGenerateContent {
                model: model.clone(),
                request: Box::new(GenerateContentRequest::text("seven")),
            },
        })
        .unwrap();
    let mut run = tunedeck::app::playground::Run::new(&model, "seven", 1, clock().instant);
    loop {
        match tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .unwrap()
            .unwrap()
        {
            WorkerEvent::Reply {
                reply: Reply::Chunk(c),
                ..
            } => run.absorb(&c, clock().instant),
            WorkerEvent::Reply {
                reply: Reply::StreamEnd { fell_back },
                ..
            } => {
                assert!(!fell_back);
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(run.text(0), "eight");
    // A base model's long emulated answer streams in pieces 200 ms apart: cancel after the first.
    commands
        .send(Cmd::Call {
            id: 2,
            call: ApiCall::StreamGenerateContent {
                model: "models/gemini-1.5-flash-001-tuning".into(),
                request: Box::new(GenerateContentRequest::text("hello")),
            },
        })
        .unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(
            first,
            WorkerEvent::Reply {
                id: 2,
                reply: Reply::Chunk(_)
            }
        ),
        "{first:?}"
    );
    commands.send(Cmd::Cancel { id: 2 }).unwrap();
    let next = tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(next, WorkerEvent::Cancelled { id: 2 }),
        "nothing after a cancel but its confirmation: {next:?}"
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(600), events.recv())
            .await
            .is_err(),
        "no more chunks arrive"
    );
}

#[tokio::test]
async fn against_an_emulator_whose_tuned_streaming_404s_the_answer_falls_back() {
    use tunedeck::worker::{self, WorkerOptions};
    let mut options = common::fast_options();
    options.demo = true;
    options.faults.no_tuned_streaming = true;
    let emu = common::start(options).await;
    let client = common::client_for(&emu);
    let raw = client
        .stream_generate_content(
            "tunedModels/number-generator-demo",
            &GenerateContentRequest::text("seven"),
        )
        .await;
    assert_eq!(
        raw.err().and_then(|e| e.http_status),
        Some(404),
        "the emulator 404s like the 2024 service"
    );
    let (commands, mut events, _w) = worker::spawn(client, WorkerOptions::default());
    let mut a = loaded(vec![]);
    a.tab = Tab::Playground;
    a.choose_play_model(TargetModel {
        name: "tunedModels/number-generator-demo".into(),
        label: "demo".into(),
        tuned: true,
        ..Default::default()
    });
    a.playground.set_prompt("seven");
    for c in a.update(code(KeyCode::Enter), clock()) {
        commands.send(c).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while a.playground.streaming() {
        assert!(Instant::now() < deadline);
        if let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(200), events.recv()).await {
            a.update(Msg::Worker(e), clock());
        }
    }
    let run = &a.playground.runs[0];
    assert_eq!(
        (run.text(0), run.fell_back, run.error.as_deref()),
        ("eight", true, None)
    );
    assert!(
        a.playground
            .no_stream
            .contains("tunedModels/number-generator-demo")
    );
}

#[tokio::test]
async fn against_the_emulator_evaluation_counts_what_the_demo_model_learned() {
    use tunedeck::worker::{self, WorkerOptions};
    let mut options = common::fast_options();
    options.demo = true;
    let emu = common::start(options).await;
    let (commands, mut events, _w) =
        worker::spawn(common::client_for(&emu), WorkerOptions::default());
    let mut a = loaded(vec![]);
    a.tab = Tab::Playground;
    a.choose_play_model(TargetModel {
        name: "tunedModels/number-generator-demo".into(),
        label: "demo".into(),
        tuned: true,
        ..Default::default()
    });
    // Two training pairs, one expected output that differs only in case and a full stop, one wrong.
    let examples = vec![
        TuningExample::new("seven", "eight"),
        TuningExample::new("1", "2"),
        TuningExample::new("seven", "Eight."),
        TuningExample::new("seven", "nine"),
        TuningExample::new("x".repeat(40_001), "too long"),
    ];
    for c in a.begin_eval("test set".into(), examples, clock().instant) {
        commands.send(c).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while a.playground.eval.as_ref().unwrap().finished.is_none() {
        assert!(Instant::now() < deadline, "evaluation never finished");
        if let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(200), events.recv()).await {
            for c in a.update(Msg::Worker(e), clock()) {
                commands.send(c).unwrap();
            }
        }
    }
    let eval = a.playground.eval.as_ref().unwrap();
    assert_eq!(eval.counts(), (5, 2, 3, 1), "{:?}", eval.results);
    assert!(
        eval.results[4]
            .as_ref()
            .unwrap()
            .error
            .as_ref()
            .unwrap()
            .contains("40,000")
    );
}

#[test]
fn ctrl_s_sends_from_the_prompt_and_ctrl_o_hands_it_to_the_editor() {
    let mut a = playground();
    choose_first(&mut a);
    let now = clock();
    a.update(key('i'), now);
    for c in "seven".chars() {
        a.update(key(c), now);
    }
    let cmds = a.update(ctrl('o'), now);
    assert!(
        matches!(cmds.as_slice(), [Cmd::EditExternally(text)] if text == "seven"),
        "{cmds:?}"
    );
    a.update(Msg::Edited(Ok("six\nand one".into())), now);
    assert_eq!(a.playground.prompt_text(), "six\nand one");
    let calls = sent(&a.update(ctrl('s'), now));
    assert_eq!(
        calls[0].3.contents[0].parts[0].text.as_deref(),
        Some("six\nand one")
    );
    assert_eq!(a.playground.focus, Focus::Normal);
}

#[test]
fn a_long_answer_follows_its_end_and_page_up_scrolls_back_to_its_start() {
    let mut a = playground();
    choose_first(&mut a);
    type_prompt(&mut a, "count");
    let now = clock();
    let [(id, ..)] = sent(&a.update(code(KeyCode::Enter), now))
        .try_into()
        .unwrap();
    let long: String = (1..=60).map(|i| format!("line {i}\n")).collect();
    a.update(
        Msg::Worker(WorkerEvent::Reply {
            id,
            reply: chunk(&long, 0, None),
        }),
        now,
    );
    let end = screen(&mut a, 100, 30);
    assert!(end.contains("line 60") && !end.contains("line 1 "), "{end}");
    for _ in 0..6 {
        a.update(code(KeyCode::PageUp), now);
    }
    let start = screen(&mut a, 100, 30);
    assert!(
        start.contains("line 1 ") && !start.contains("line 60"),
        "{start}"
    );
    a.update(code(KeyCode::PageDown), now);
    assert_eq!(a.playground.scroll_back, 50);
}

#[test]
fn the_prompt_deletes_to_the_line_start_with_ctrl_u_and_undoes_with_ctrl_z() {
    let mut a = playground();
    choose_first(&mut a);
    let now = clock();
    a.update(key('i'), now);
    for c in "seven".chars() {
        a.update(key(c), now);
    }
    a.update(ctrl('u'), now);
    assert_eq!(a.playground.prompt_text(), "", "as in every one-line field");
    a.update(ctrl('z'), now);
    assert_eq!(a.playground.prompt_text(), "seven");
}

#[test]
fn the_picker_filters_with_slash_and_jumps_with_g() {
    let mut a = playground();
    let now = clock();
    a.update(key('m'), now);
    let all = a.playground.choices.len();
    assert!(all >= 2, "{:?}", a.playground.choices);
    a.update(key('G'), now);
    assert_eq!(a.playground.picker_selected, all - 1);
    a.update(key('g'), now);
    assert_eq!(a.playground.picker_selected, 0);
    // `/` then text narrows the list to names or display names containing it.
    a.update(key('/'), now);
    for c in "flash".chars() {
        a.update(key(c), now);
    }
    let shown = a.playground.picker_visible();
    assert!(!shown.is_empty() && shown.len() < all, "{shown:?}");
    assert!(
        shown
            .iter()
            .all(|i| a.playground.choices[*i].name.contains("flash")),
        "{shown:?}"
    );
    assert!(shown.contains(&a.playground.picker_selected));
    a.update(code(KeyCode::Enter), now);
    assert!(
        !a.playground.picker_typing,
        "enter keeps the filter and ends typing"
    );
    a.update(code(KeyCode::Enter), now);
    let chosen = a.playground.model.as_ref().unwrap().name.clone();
    assert!(chosen.contains("flash"), "{chosen}");
}
