//! Counting tokens before a job, against the emulator's `countTokens`: on a publisher model and on
//! a tuned model's endpoint, refused for a model that does not exist; a dataset counted in
//! content-defined batches totals what its examples count one by one; after one edit only one
//! batch is counted again; and the offline estimate's error against the emulator's counts,
//! measured for English, CJK and digit-heavy text.

mod common;
use common::*;
use tunedeck::api::types::{Content, Part};
use tunedeck::api::vertex::client::VertexClient;
use tunedeck::api::vertex::tokens::CountTokensRequest;
use tunedeck::api::vertex::types::JobState;
use tunedeck::dataset::vertex::VertexExample;
use tunedeck::dataset::vertex_tokens::count_request;
use tunedeck::domain::token_count::{TokenCache, tally, to_count};
use tunedeck::domain::vertex::MAX_TOKENS_PER_EXAMPLE;
use tunedeck::emulator::EmulatorOptions;

fn vertex(emu: &tunedeck::emulator::RunningEmulator) -> VertexClient {
    VertexClient::new(
        client_for(emu),
        client_for(emu),
        "tunedeck-demo",
        "us-central1",
    )
}

fn text_request(text: &str) -> CountTokensRequest {
    CountTokensRequest {
        contents: vec![Content::user_text(text)],
        system_instruction: None,
    }
}

#[tokio::test]
async fn count_tokens_answers_on_publisher_models_and_endpoints_and_refuses_unknown_models() {
    let emu = start(EmulatorOptions {
        demo: true,
        ..fast_options()
    })
    .await;
    let client = vertex(&emu);
    let answer = client
        .count_tokens(
            "gemini-2.5-flash",
            &text_request("What is the highest mountain in Africa?"),
        )
        .await
        .unwrap();
    assert_eq!(answer.total_tokens, 10);
    assert_eq!(answer.total_billable_characters, Some(33));
    assert_eq!(answer.prompt_tokens_details[0].modality, "TEXT");
    // The system instruction counts too.
    let with_system = CountTokensRequest {
        system_instruction: Some(Content {
            role: None,
            parts: vec![Part::text("Answer in one word.")],
        }),
        ..text_request("What is the highest mountain in Africa?")
    };
    let answer = client
        .count_tokens("gemini-2.5-flash", &with_system)
        .await
        .unwrap();
    assert_eq!(answer.total_tokens, 15);

    // A tuned model's endpoint counts as its base does.
    let jobs = client.all_tuning_jobs("").await.unwrap();
    let done = jobs
        .iter()
        .find(|j| j.state == JobState::Succeeded)
        .expect("the demo has a succeeded job");
    let endpoint = &done.tuned_model.as_ref().unwrap().endpoint;
    let answer = client
        .count_tokens(endpoint, &text_request("東京は日本の首都です"))
        .await
        .unwrap();
    assert_eq!(answer.total_tokens, 10);

    let missing = client
        .count_tokens("gemini-0-nonesuch", &text_request("hello"))
        .await
        .unwrap_err();
    assert_eq!(missing.http_status, Some(404));
    assert!(
        missing.message.contains("gemini-0-nonesuch"),
        "{}",
        missing.message
    );
    let no_endpoint = client
        .count_tokens(
            &format!("{}/endpoints/123", client.parent()),
            &text_request("hello"),
        )
        .await
        .unwrap_err();
    assert_eq!(no_endpoint.http_status, Some(404));
    let empty = client
        .count_tokens("gemini-2.5-flash", &CountTokensRequest::default())
        .await
        .unwrap_err();
    assert_eq!(empty.http_status, Some(400));
}

fn example(i: usize) -> VertexExample {
    let line = serde_json::json!({
        "systemInstruction": {"parts": [{"text": "You answer briefly."}]},
        "contents": [
            {"role": "user", "parts": [{"text": format!("What is {i} times three, please?")}]},
            {"role": "model", "parts": [{"text": format!("{}", i * 3)}]},
        ]
    });
    VertexExample { raw: line }
}

/// Counts every range [`to_count`] asks for, a request each; returns how many requests.
async fn count(client: &VertexClient, examples: &[VertexExample], cache: &mut TokenCache) -> usize {
    let items: Vec<_> = examples.iter().map(VertexExample::count_item).collect();
    let ranges = to_count(&items, cache, MAX_TOKENS_PER_EXAMPLE);
    for range in &ranges {
        let answer = client
            .count_tokens("gemini-2.5-flash", &count_request(&examples[range.clone()]))
            .await
            .unwrap();
        cache.insert(&items[range.clone()], answer.total_tokens as u64);
    }
    ranges.len()
}

#[tokio::test]
async fn a_dataset_counted_in_batches_totals_its_examples_and_one_edit_recounts_one_batch() {
    let emu = start(fast_options()).await;
    let client = vertex(&emu);
    let mut examples: Vec<VertexExample> = (0..300).map(example).collect();
    let mut cache = TokenCache::default();
    let requests = count(&client, &examples, &mut cache).await;
    assert!(requests < 60, "300 examples in {requests} requests");
    let items: Vec<_> = examples.iter().map(VertexExample::count_item).collect();
    let batched = tally(&items, &cache, MAX_TOKENS_PER_EXAMPLE);
    assert!(batched.is_exact());

    // The same examples one request each: the same total.
    let mut one_by_one = 0;
    for e in examples.iter().take(300) {
        let answer = client
            .count_tokens("gemini-2.5-flash", &count_request(std::slice::from_ref(e)))
            .await
            .unwrap();
        one_by_one += answer.total_tokens as u64;
    }
    assert_eq!(batched.total, one_by_one);

    // An edit: one request.
    examples[150] = example(10_000);
    assert_eq!(count(&client, &examples, &mut cache).await, 1);
    let items: Vec<_> = examples.iter().map(VertexExample::count_item).collect();
    assert!(tally(&items, &cache, MAX_TOKENS_PER_EXAMPLE).is_exact());
}

/// How far the offline estimate is from the emulator's count, per kind of text. The bounds are
/// what the README states for the estimate.
#[tokio::test]
async fn the_offline_estimate_is_within_its_stated_error_of_the_emulators_counts() {
    let emu = start(fast_options()).await;
    let client = vertex(&emu);
    let english = [
        "Translate the following sentence into French: the cat sleeps on the warm windowsill.",
        "Summarize the quarterly report in three bullet points for the leadership team.",
        "Which planet in our solar system has the most moons, and how many are known?",
        "Write a polite reply declining the meeting invitation for next Tuesday afternoon.",
        "Classify the sentiment of this review: the battery life is disappointing.",
    ];
    let cjk = [
        "東京は日本の首都であり、世界有数の大都市です。",
        "请把下面的句子翻译成英文：今天天气很好。",
        "서울은 대한민국의 수도이며 가장 큰 도시입니다.",
        "この製品のレビューを肯定的か否定的かに分類してください。",
    ];
    let digits = [
        "Order 4417 shipped on 2026-11-30; invoice 88120 is due in 30 days.",
        "Compute 1234 + 5678 and 99 * 101.",
    ];
    for (kind, texts, bound) in [
        ("English", &english[..], 0.30),
        ("CJK", &cjk[..], 0.15),
        ("digits", &digits[..], 0.15),
    ] {
        let mut worst: f64 = 0.0;
        for text in texts {
            let counted = client
                .count_tokens("gemini-2.5-flash", &text_request(text))
                .await
                .unwrap()
                .total_tokens as f64;
            let estimated = tunedeck::domain::token_count::estimate(text) as f64;
            worst = worst.max((estimated - counted).abs() / counted);
        }
        eprintln!(
            "{kind}: the estimate is off by {:.0}% at worst",
            worst * 100.0
        );
        assert!(
            worst <= bound,
            "{kind}: the estimate is off by {:.0}%, over {:.0}%",
            worst * 100.0,
            bound * 100.0
        );
    }
}

/// What `countTokens` says before a job is what the job's `tuningDataStats` bills after it has
/// read the dataset: one tokenizer for both.
#[tokio::test]
async fn a_jobs_billable_tokens_are_what_count_tokens_said_before_it_started() {
    use tunedeck::api::vertex::types::{HyperParameters, SupervisedTuningSpec, TuningJob};
    let emu = start(fast_options()).await;
    let client = vertex(&emu);
    let examples: Vec<VertexExample> = (0..40).map(example).collect();
    let jsonl: String = examples.iter().map(|e| format!("{}\n", e.raw)).collect();
    client
        .upload("count-test", "train.jsonl", jsonl.as_bytes(), |_, _| {})
        .await
        .unwrap();
    let mut cache = TokenCache::default();
    count(&client, &examples, &mut cache).await;
    let items: Vec<_> = examples.iter().map(VertexExample::count_item).collect();
    let counted = tally(&items, &cache, MAX_TOKENS_PER_EXAMPLE);
    assert!(counted.is_exact());

    let job = client
        .create_tuning_job(&TuningJob {
            base_model: "gemini-2.5-flash".into(),
            tuned_model_display_name: "counted".into(),
            supervised_tuning_spec: Some(SupervisedTuningSpec {
                training_dataset_uri: "gs://count-test/train.jsonl".into(),
                hyper_parameters: Some(HyperParameters {
                    epoch_count: Some(1),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap();
    let billed = loop {
        let j = client.get_tuning_job(&job.name).await.unwrap();
        let billed = j
            .tuning_data_stats
            .as_ref()
            .and_then(|s| s.supervised_tuning_data_stats.as_ref())
            .and_then(|s| s.total_billable_token_count);
        if let Some(b) = billed {
            break b;
        }
        assert!(!j.state.is_terminal(), "ended with no statistics: {j:?}");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    };
    assert_eq!(billed as u64, counted.total);
}
