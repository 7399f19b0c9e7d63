//! Every body the live service really returned (tests/fixtures/recorded) decodes into the client's
//! types, and every recorded error maps to its status, code and hint.

mod common;
use common::fixture;
use tunedeck::api::types::*;
use tunedeck::api::{ApiError, Code};

#[test]
fn create_operation_decodes() {
    let op: Operation = serde_json::from_str(&fixture("create-operation.json")).unwrap();
    assert_eq!(
        op.name,
        "tunedModels/number-generator-model-dzlmi0gswwqb/operations/bvl8dymw0fhw"
    );
    assert!(!op.done);
    let meta = op.tuning_metadata().unwrap();
    assert_eq!(meta.total_steps, 38);
    assert_eq!(
        meta.tuned_model,
        "tunedModels/number-generator-model-dzlmi0gswwqb"
    );
    assert_eq!(
        op.tuned_model_name().unwrap(),
        "tunedModels/number-generator-model-dzlmi0gswwqb"
    );
}

#[test]
fn tuned_model_creating_decodes() {
    let m: TunedModel = serde_json::from_str(&fixture("tuned-model-creating.json")).unwrap();
    assert_eq!(m.id(), "number-generator-ncqqnysl74dt");
    assert_eq!(m.state, TunedModelState::Creating);
    assert_eq!(m.source_model(), Some("models/text-bison-001"));
    let hp = m.hyperparameters().unwrap();
    assert_eq!(
        (hp.epoch_count, hp.batch_size, hp.learning_rate),
        (Some(3), Some(4), Some(0.001))
    );
    let start = m.tuning_task.as_ref().unwrap().start_time.unwrap();
    assert_eq!(
        tunedeck::api::serde_util::format_timestamp(&start),
        "2023-09-19T19:56:26.297862545Z",
        "nine fractional digits survive"
    );
    assert_eq!(
        (m.temperature, m.top_p, m.top_k),
        (Some(0.7), Some(0.95), Some(40))
    );
}

#[test]
fn generate_content_tuned_decodes() {
    let r: GenerateContentResponse =
        serde_json::from_str(&fixture("generate-content-tuned.json")).unwrap();
    assert_eq!(r.text(), "LXIV");
    let c = &r.candidates[0];
    assert_eq!(c.finish_reason, Some(FinishReason::Stop));
    assert_eq!(c.index, Some(0));
    assert_eq!(c.safety_ratings.len(), 4);
    assert!(
        c.safety_ratings
            .iter()
            .all(|s| s.probability == HarmProbability::Negligible)
    );
    assert_eq!(
        r.prompt_feedback.unwrap().safety_ratings[0].category,
        HarmCategory::SexuallyExplicit
    );
}

#[test]
fn base_model_decodes() {
    let m: Model =
        serde_json::from_str(&fixture("model-gemini-1.5-flash-001-tuning.json")).unwrap();
    assert!(m.is_tunable());
    assert_eq!((m.input_token_limit, m.output_token_limit), (16384, 8192));
    assert_eq!(
        (m.temperature, m.top_p, m.top_k, m.max_temperature),
        (Some(1.0), Some(0.95), Some(64), Some(2.0))
    );
}

#[test]
fn tutorial_request_decodes_after_the_emulators_leniency() {
    use tunedeck::emulator::wire::parse_body;
    let (m, _): (TunedModel, serde_json::Value) =
        parse_body(fixture("tutorial-create-request.json").as_bytes()).unwrap();
    let task = m.tuning_task.unwrap();
    assert_eq!(task.training_data.unwrap().examples().len(), 15);
    assert_eq!(task.hyperparameters.unwrap().batch_size, Some(2));
}

fn error_of(name: &str, status: u16) -> ApiError {
    ApiError::from_response(status, fixture(name).as_bytes(), None)
}

#[test]
fn invalid_key_error_maps_with_hint() {
    let e = error_of("error-api-key-invalid.json", 400);
    assert_eq!(
        (e.http_status, e.code.clone()),
        (Some(400), Code::InvalidArgument)
    );
    assert_eq!(e.reason(), Some("API_KEY_INVALID"));
    assert!(e.hint().unwrap().contains("GEMINI_API_KEY"));
    assert!(!e.is_retryable());
}

#[test]
fn insufficient_scopes_error_tells_what_to_do() {
    let e = error_of("error-insufficient-scopes.json", 403);
    assert_eq!(e.code, Code::PermissionDenied);
    assert_eq!(e.reason(), Some("ACCESS_TOKEN_SCOPE_INSUFFICIENT"));
    let hint = e.hint().unwrap();
    assert!(hint.contains("generative-language.tuning"), "{hint}");
    assert!(
        hint.contains("gcloud auth application-default login"),
        "{hint}"
    );
    assert!(hint.contains("API key"), "{hint}");
}

#[test]
fn quota_error_maps_and_is_retryable() {
    let e = error_of("error-quota-exhausted.json", 429);
    assert_eq!(e.code, Code::ResourceExhausted);
    assert!(e.is_retryable());
    assert!(e.hint().unwrap().starts_with("Quota exhausted"));
}

#[test]
fn tuned_model_not_found_maps_with_hint() {
    let e = error_of("error-tuned-model-not-found.json", 404);
    assert_eq!(e.code, Code::NotFound);
    assert_eq!(
        e.message,
        "Tuned model tunedModels/generate-num-8122 does not exist."
    );
    assert!(e.hint().unwrap().contains("refresh"));
}

#[test]
fn every_fixture_is_covered() {
    let mut names: Vec<String> = std::fs::read_dir(common::fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    let covered = [
        "create-operation.json",
        "error-api-key-invalid.json",
        "error-insufficient-scopes.json",
        "error-quota-exhausted.json",
        "error-tuned-model-not-found.json",
        "generate-content-tuned.json",
        "model-gemini-1.5-flash-001-tuning.json",
        "tuned-model-creating.json",
        "tutorial-create-request.json",
    ];
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !covered.contains(&n.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "fixtures without a decoding test: {missing:?}"
    );
}
