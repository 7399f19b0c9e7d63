//! `tunedeck tune --dry-run` on Vertex AI: what the job would be, and nothing created. The
//! training and validation sets are counted with `countTokens` on the base model (batched and a
//! few requests at a time, src/domain/token_count.rs), the project's jobs are read for the
//! estimates and the quota, and the figures come from src/domain/job_plan.rs, the one home the
//! dashboard's review uses too. A count the service refuses falls back to the offline estimate,
//! said as such. Exit 2 when the plan has a problem.

use super::{CliError, CliResult, exit, print_json};
use crate::api::vertex::client::VertexClient;
use crate::dataset::vertex::VertexExample;
use crate::dataset::vertex_tokens::count_request;
use crate::domain::job_plan::{
    Epochs, PastJob, Plan, PlanInput, Price, QuotaOutlook, TimeEstimate, bucket_name_problem,
    default_price, holds_a_slot,
};
use crate::domain::token_count::{CountItem, DatasetTokens, TokenCache, tally, to_count};
use crate::domain::vertex::{MAX_TOKENS_PER_EXAMPLE, VertexSource, VertexTuning};
use serde::Serialize;
use std::collections::BTreeMap;

/// countTokens requests in flight at once.
const PARALLEL_COUNTS: usize = 4;

/// The `[prices]` table: USD per 1M training tokens by model, and when they were read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceTable {
    pub as_of: Option<String>,
    pub models: BTreeMap<String, f64>,
}

impl PriceTable {
    /// The configured price, else the built-in one.
    pub fn price(&self, model: &str) -> Option<Price> {
        let short = model.rsplit('/').next().unwrap_or(model);
        match self.models.get(short) {
            Some(usd) => Some(Price {
                usd_per_million: *usd,
                as_of: self.as_of.clone().unwrap_or_else(|| "undated".into()),
                source: "[prices] in the config file".into(),
            }),
            None => default_price(short),
        }
    }
}

/// What a dry run knows of where it runs: the configured prices and the project's quota.
#[derive(Debug, Clone, Default)]
pub struct PlanContext {
    pub prices: PriceTable,
    pub quota: usize,
}

impl PlanContext {
    /// From the config file's `[prices]`; the quota is the service's default (1) unless the
    /// embedded emulator answers, whose quota is its own.
    pub fn of(flags: &crate::config::GlobalArgs, embedded: bool) -> Result<PlanContext, CliError> {
        let path = flags
            .config
            .clone()
            .or_else(crate::config::default_config_path);
        let file = match &path {
            Some(p) => crate::config::load_file(p).map_err(CliError::usage)?,
            None => crate::config::FileConfig::default(),
        };
        let prices = file
            .prices
            .map_or_else(PriceTable::default, |p| PriceTable {
                as_of: p.as_of,
                models: p.models,
            });
        let quota = if embedded {
            crate::emulator::EMBEDDED_CONCURRENT_TUNING_JOBS
        } else {
            1
        };
        Ok(PlanContext { prices, quota })
    }
}

/// What a dry run is given: the checked settings and the split examples.
pub struct DryRun<'a> {
    pub settings: &'a VertexTuning,
    pub train: &'a [VertexExample],
    pub validation: &'a [VertexExample],
    pub bucket: Option<&'a str>,
    pub prices: &'a PriceTable,
    /// The project's concurrent-tuning-jobs quota (the service's default is 1).
    pub quota: usize,
    pub json: bool,
}

/// How a set's tokens were counted.
#[derive(Debug, Clone, Serialize)]
struct Counted {
    examples: usize,
    tokens: u64,
    /// True when every token is the service's count.
    exact: bool,
    requests: usize,
    /// Why the service's count is missing, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    fallback: Option<String>,
    /// Example numbers (1-based, in the set) over the per-example token limit.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    over_limit: Vec<usize>,
}

#[derive(Debug, Serialize)]
struct Report {
    display_name: String,
    base_model: String,
    training: Counted,
    validation: Counted,
    epochs: Option<u32>,
    epochs_suggested: Option<u32>,
    billed_training_tokens: u64,
    steps: Option<u64>,
    batch_size: Option<u64>,
    estimates_from_jobs: usize,
    cost_usd: Option<f64>,
    price_usd_per_million: Option<f64>,
    price_as_of: Option<String>,
    price_source: Option<String>,
    seconds_low: Option<f64>,
    seconds_high: Option<f64>,
    running_jobs: usize,
    quota: usize,
    waits_for_quota: bool,
    problems: Vec<String>,
}

/// Counts `examples` on `model`, a few requests at a time; with no service answer, the estimate.
async fn count(client: &VertexClient, model: &str, examples: &[VertexExample]) -> Counted {
    let items: Vec<CountItem> = examples.iter().map(VertexExample::count_item).collect();
    let mut cache = TokenCache::default();
    let mut requests = 0;
    let mut fallback = None;
    // Splitting a batch that is over the limit asks again, a level at a time.
    'rounds: loop {
        let ranges = to_count(&items, &cache, MAX_TOKENS_PER_EXAMPLE);
        if ranges.is_empty() {
            break;
        }
        for chunk in ranges.chunks(PARALLEL_COUNTS) {
            let answers = futures::future::join_all(chunk.iter().map(|r| {
                let request = count_request(&examples[r.clone()]);
                async move { client.count_tokens(model, &request).await }
            }))
            .await;
            requests += chunk.len();
            for (range, answer) in chunk.iter().zip(answers) {
                match answer {
                    Ok(a) => cache.insert(&items[range.clone()], a.total_tokens.max(0) as u64),
                    Err(e) => {
                        fallback = Some(e.to_string());
                        break 'rounds;
                    }
                }
            }
        }
    }
    let DatasetTokens {
        total,
        estimated_examples,
        over_limit,
        maybe_over_limit,
    } = tally(&items, &cache, MAX_TOKENS_PER_EXAMPLE);
    let mut over: Vec<usize> = over_limit.into_iter().chain(maybe_over_limit).collect();
    over.sort_unstable();
    over.dedup();
    Counted {
        examples: examples.len(),
        tokens: total,
        exact: estimated_examples == 0,
        requests,
        fallback,
        over_limit: over.into_iter().map(|i| i + 1).collect(),
    }
}

/// The base model counted on when a tuned model's own base cannot be read: today's default.
fn default_base() -> String {
    crate::domain::models::default_base_model(
        crate::domain::models::Method::Supervised,
        chrono::Utc::now().date_naive(),
    )
    .to_owned()
}

/// Prints the plan of the job `input` describes; creates nothing.
pub async fn dry_run(client: &VertexClient, input: DryRun<'_>) -> CliResult {
    let settings = input.settings;
    let base_model = match &settings.source {
        VertexSource::Base(model) => model.clone(),
        VertexSource::Tuned { model, .. } => {
            // Counting goes to the base model the tuned model was made from.
            match client.get_model(model).await {
                Ok(m) => m
                    .labels
                    .get("google-vertex-llm-tuning-base-model-id")
                    .cloned()
                    .unwrap_or_else(default_base),
                Err(_) => default_base(),
            }
        }
    };
    let training = count(client, &base_model, input.train).await;
    let validation = count(client, &base_model, input.validation).await;
    let (past, running) = match client.all_tuning_jobs("").await {
        Ok(jobs) => (
            jobs.iter().filter_map(PastJob::of).collect::<Vec<_>>(),
            jobs.iter().filter(|j| holds_a_slot(j)).count(),
        ),
        Err(_) => (Vec::new(), 0),
    };
    let price = input.prices.price(&base_model);
    let plan = Plan::of(&PlanInput {
        base_model: &base_model,
        training_examples: input.train.len(),
        training_tokens: training.tokens,
        epochs: settings.epochs,
        price: price.clone(),
        past_jobs: &past,
        running_jobs: running,
        quota: input.quota,
    });
    let mut problems = Vec::new();
    match input.bucket {
        Some(bucket) => {
            if let Some(p) = bucket_name_problem(bucket) {
                problems.push(format!("--bucket {bucket:?}: {p}"));
            }
        }
        None => problems.push("--bucket: none given; the datasets upload to it".to_owned()),
    }
    // A retired base takes no new job (the model table's dates, read with their source).
    let today = chrono::Utc::now().date_naive();
    if let Some(model) = crate::domain::models::tunable_model(&base_model)
        && model.retired(today)
    {
        problems.push(format!(
            "--base-model {}: retired on {}; the service takes no new job on it (try --base-model {})",
            model.id,
            model.retires.map_or("", |r| r.on),
            crate::domain::models::suggested_base(model.id, today)
        ));
    }
    for (set, counted) in [("training", &training), ("validation", &validation)] {
        for n in &counted.over_limit {
            problems.push(format!(
                "{set} example {n} is over {MAX_TOKENS_PER_EXAMPLE} tokens; the service drops it"
            ));
        }
    }
    let (seconds_low, seconds_high) = match plan.time {
        TimeEstimate::Range { low, high, .. } => (Some(low), Some(high)),
        TimeEstimate::NoPastJobs => (None, None),
    };
    let report = Report {
        display_name: settings.display_name.clone(),
        base_model: base_model.clone(),
        epochs: match plan.epochs {
            Epochs::Chosen(n) => Some(n),
            Epochs::ServiceChooses { .. } => None,
        },
        epochs_suggested: match plan.epochs {
            Epochs::ServiceChooses { suggested } => Some(suggested),
            Epochs::Chosen(_) => None,
        },
        billed_training_tokens: plan.billed_tokens,
        steps: plan.steps.map(|s| s.0),
        batch_size: plan.steps.map(|s| s.1),
        estimates_from_jobs: plan.steps.map_or(0, |s| s.2),
        cost_usd: plan.cost_usd,
        price_usd_per_million: price.as_ref().map(|p| p.usd_per_million),
        price_as_of: price.as_ref().map(|p| p.as_of.clone()),
        price_source: price.as_ref().map(|p| p.source.clone()),
        seconds_low,
        seconds_high,
        running_jobs: running,
        quota: input.quota,
        waits_for_quota: matches!(plan.quota, QuotaOutlook::Waits { .. }),
        problems,
        training,
        validation,
    };
    if input.json {
        print_json(&report)?;
    } else {
        for line in lines(&report, &plan) {
            outln!("{line}");
        }
    }
    if report.problems.is_empty() {
        Ok(exit::OK)
    } else {
        Err(CliError::usage(format!(
            "{} problem(s) would stop this job; nothing was created",
            report.problems.len()
        )))
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Dollars to the cent, or to the hundredth of a cent below one (a small test job's cost is
/// not "$0.00").
fn dollars(usd: f64) -> String {
    if usd > 0.0 && usd < 0.01 {
        format!("${usd:.4}")
    } else {
        format!("${usd:.2}")
    }
}

fn duration(secs: f64) -> String {
    let s = secs.round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

fn counted_text(c: &Counted, model: &str) -> String {
    let how = if c.exact {
        format!(
            "countTokens on {model}, {} request{}",
            c.requests,
            if c.requests == 1 { "" } else { "s" }
        )
    } else {
        match &c.fallback {
            Some(why) => format!("estimated offline: countTokens failed: {why}"),
            None => "estimated offline".to_owned(),
        }
    };
    format!("{} ({how})", thousands(c.tokens))
}

/// The plan as a person reads it.
fn lines(r: &Report, plan: &Plan) -> Vec<String> {
    let mut out = vec![format!(
        "Plan for {:?} on {} (a dry run: nothing is uploaded or created)",
        r.display_name, r.base_model
    )];
    out.push(format!(
        "examples  {} training · {} validation",
        r.training.examples, r.validation.examples
    ));
    out.push(format!(
        "tokens    training {}",
        counted_text(&r.training, &r.base_model)
    ));
    if r.validation.examples > 0 {
        out.push(format!(
            "          validation {}",
            counted_text(&r.validation, &r.base_model)
        ));
    }
    out.push(match plan.epochs {
        Epochs::Chosen(n) => format!("epochs    {n}"),
        Epochs::ServiceChooses { suggested } => format!(
            "epochs    the service chooses (its rule is not published); the figures below use {suggested}, the suggestion for {} examples: pass --epochs {suggested} to fix it",
            r.training.examples
        ),
    });
    out.push(format!(
        "billed    {} training tokens (tokens × epochs)",
        thousands(r.billed_training_tokens)
    ));
    out.push(match plan.steps {
        Some((steps, batch, jobs)) => format!(
            "steps     {steps} (batch size {batch}, as {jobs} past job{} on {} ran)",
            if jobs == 1 { "" } else { "s" },
            r.base_model
        ),
        None => format!(
            "steps     not known: the service does not publish its batch size, and no past job on {} shows it",
            r.base_model
        ),
    });
    out.push(match (&r.cost_usd, &plan.price) {
        (Some(cost), Some(price)) => format!(
            "cost      {} at ${:.2} per 1M training tokens (prices as of {}, {}; prices change: set [prices] to override); the tuned model's predictions cost what the base model's do",
            dollars(*cost),
            price.usd_per_million,
            price.as_of,
            price.source
        ),
        _ => format!(
            "cost      no price for {}: set [prices] \"{}\" = USD per 1M training tokens",
            r.base_model, r.base_model
        ),
    });
    out.push(match plan.time {
        TimeEstimate::Range { low, high, jobs } => format!(
            "time      {} (from {jobs} past job{} on {})",
            if duration(low) == duration(high) {
                format!("about {}", duration(low))
            } else {
                format!("{} to {}", duration(low), duration(high))
            },
            if jobs == 1 { "" } else { "s" },
            r.base_model
        ),
        TimeEstimate::NoPastJobs => {
            format!("time      no past jobs on {}: no estimate", r.base_model)
        }
    });
    out.push(match plan.quota {
        QuotaOutlook::StartsNow { running, quota } => format!(
            "quota     starts at once ({running} of {quota} concurrent tuning job{} in use)",
            if quota == 1 { "" } else { "s" }
        ),
        QuotaOutlook::Waits { running, quota } => format!(
            "quota     this job will wait for quota: {running} job{} running, the project runs {quota} at once",
            if running == 1 { "" } else { "s" }
        ),
    });
    if r.problems.is_empty() {
        out.push("problems  none".to_owned());
    } else {
        for p in &r.problems {
            out.push(format!("problem   {p}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_a_person_writes_them() {
        assert_eq!(thousands(17_500_000), "17,500,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(duration(59.4), "59s");
        assert_eq!(duration(300.0), "5m00s");
        assert_eq!(duration(7260.0), "2h01m");
        assert_eq!(dollars(87.5), "$87.50");
        assert_eq!(dollars(0.00502), "$0.0050");
        assert_eq!(dollars(0.0), "$0.00");
    }

    #[test]
    fn a_configured_price_wins_over_the_built_in_one_and_says_where_it_came_from() {
        let mut table = PriceTable::default();
        assert_eq!(
            table
                .price("publishers/google/models/gemini-2.5-flash")
                .unwrap()
                .usd_per_million,
            5.0
        );
        table.models.insert("gemini-2.5-flash".into(), 4.0);
        table.as_of = Some("2026-11-30".into());
        let price = table.price("gemini-2.5-flash").unwrap();
        assert_eq!(price.usd_per_million, 4.0);
        assert_eq!(price.as_of, "2026-11-30");
        assert!(price.source.contains("[prices]"));
        assert_eq!(table.price("gemma-3-27b-it"), None);
    }
}
