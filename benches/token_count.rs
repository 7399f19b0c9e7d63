//! Counting a 100,000-example Vertex dataset's tokens with `countTokens` against the emulator:
//! the first count (content-defined batches, a few requests at a time), then the recount after
//! one edited example, which must send one request. Prints requests and milliseconds for each,
//! and divan times the planning step (`to_count` and `tally` over 100,000 examples) that runs
//! on every edit.
//!   cargo bench --bench token_count

use std::time::Instant;
use tunedeck::api::vertex::client::VertexClient;
use tunedeck::api::{ApiClient, ClientConfig, Credentials};
use tunedeck::dataset::vertex::VertexExample;
use tunedeck::dataset::vertex_tokens::count_request;
use tunedeck::domain::token_count::{CountItem, TokenCache, tally, to_count};
use tunedeck::domain::vertex::MAX_TOKENS_PER_EXAMPLE;
use tunedeck::emulator::{EmulatorOptions, start};

const EXAMPLES: usize = 100_000;

fn example(i: usize) -> VertexExample {
    VertexExample {
        raw: serde_json::json!({"contents": [
            {"role": "user", "parts": [{"text": format!("Translate sentence number {i} into French, keeping its tone.")}]},
            {"role": "model", "parts": [{"text": format!("Traduisez la phrase numéro {i} en français.")}]}
        ]}),
    }
}

/// Sends every range still to count, four requests at a time; returns how many were sent.
async fn count(
    client: &VertexClient,
    examples: &[VertexExample],
    items: &[CountItem],
    cache: &mut TokenCache,
) -> usize {
    let ranges = to_count(items, cache, MAX_TOKENS_PER_EXAMPLE);
    for chunk in ranges.chunks(4) {
        let answers = futures::future::join_all(chunk.iter().map(|r| {
            let request = count_request(&examples[r.clone()]);
            async move { client.count_tokens("gemini-2.5-flash", &request).await }
        }))
        .await;
        for (r, answer) in chunk.iter().zip(answers) {
            let answer = answer.expect("countTokens answers");
            cache.insert(&items[r.clone()], answer.total_tokens as u64);
        }
    }
    ranges.len()
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let emu = start(
            EmulatorOptions {
                demo: false,
                ..Default::default()
            },
            "127.0.0.1:0".parse().expect("an address"),
        )
        .await
        .expect("the emulator starts");
        let api =
            ApiClient::new(ClientConfig::new(emu.base_url(), Credentials::None)).expect("a client");
        let client = VertexClient::new(api.clone(), api, "bench", "us-central1");
        let mut examples: Vec<VertexExample> = (0..EXAMPLES).map(example).collect();
        let mut items: Vec<CountItem> = examples.iter().map(VertexExample::count_item).collect();
        let mut cache = TokenCache::default();
        let started = Instant::now();
        let first = count(&client, &examples, &items, &mut cache).await;
        let first_ms = started.elapsed().as_millis();
        let total = tally(&items, &cache, MAX_TOKENS_PER_EXAMPLE).total;
        println!(
            "first count: {first} requests, {first_ms} ms, {total} tokens in {EXAMPLES} examples"
        );

        examples[54_321] = example(1_000_000);
        items[54_321] = examples[54_321].count_item();
        let started = Instant::now();
        let again = count(&client, &examples, &items, &mut cache).await;
        let again_ms = started.elapsed().as_millis();
        let exact = tally(&items, &cache, MAX_TOKENS_PER_EXAMPLE).is_exact();
        println!("after one edit: {again} request(s), {again_ms} ms, exact: {exact}");
        assert_eq!(again, 1, "one edit, one request");
    });
    divan::main();
}

/// The planning that runs after every edit: which batches to count, and the tally.
#[divan::bench(sample_count = 20)]
fn plan_after_an_edit_100k(bencher: divan::Bencher) {
    let examples: Vec<VertexExample> = (0..EXAMPLES).map(example).collect();
    let mut items: Vec<CountItem> = examples.iter().map(VertexExample::count_item).collect();
    let mut cache = TokenCache::default();
    for r in to_count(&items, &cache, MAX_TOKENS_PER_EXAMPLE) {
        let tokens = items[r.clone()].iter().map(|i| i.estimate as u64).sum();
        cache.insert(&items[r], tokens);
    }
    items[54_321] = example(1_000_000).count_item();
    bencher.bench_local(|| {
        let ranges = to_count(&items, &cache, MAX_TOKENS_PER_EXAMPLE);
        let tally = tally(&items, &cache, MAX_TOKENS_PER_EXAMPLE);
        (ranges.len(), tally.total)
    });
}
