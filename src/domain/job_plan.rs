//! What a Vertex AI tuning job will be before it starts: its epochs, the tokens it bills, its
//! steps, its cost, how long it may take and whether it will wait for quota. One home for these
//! figures, which `tunedeck tune --dry-run` prints and the dashboard's T form reviews.
//!
//! The rules and where they come from:
//! - billed training tokens are the dataset's tokens times the epochs (Vertex AI's pricing page:
//!   "training tokens = tokens in the training dataset × number of epochs"); validation is not
//!   billed as training;
//! - epochs left unset are chosen by the service ("leave it unset to use the recommended value",
//!   the supervised-tuning guide), by a rule it does not publish; the plan says so and suggests
//!   a value by the rule OpenAI's fine-tuning cookbook documents: 3 epochs, raised or lowered
//!   (between 1 and 25) so that examples × epochs stays between 100 and 25,000;
//! - the service does not publish its batch size for Gemini either, so the steps come from this
//!   project's past jobs on the same base model: their examples, epochs and step counts
//!   (`tuningDataStats.tuningStepCount`) give the batch size they ran with;
//! - the time comes from the same past jobs' seconds a step (their start to end), as a range
//!   over the jobs it rests on, or none at all when there are no past jobs;
//! - prices change: each has its date and source, and `[prices]` in the config overrides them.

use crate::api::vertex::types::{JobState, TuningJob};

/// USD per 1M training tokens, with the date and source of the figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Price {
    pub usd_per_million: f64,
    pub as_of: String,
    pub source: String,
}

/// When the built-in prices were read.
pub const PRICES_AS_OF: &str = "2026-01";

/// The built-in prices per 1M training tokens. Google's pricing page was not at hand when these
/// were taken: they are the figures practitioners' write-ups quoted in early 2026, to be checked
/// against the page (README, "Deviations") and overridden with `[prices]`.
pub const DEFAULT_PRICES: &[(&str, f64)] = &[
    ("gemini-2.5-pro", 25.0),
    ("gemini-2.5-flash", 5.0),
    ("gemini-2.5-flash-lite", 1.5),
];

/// Where the built-in prices come from, as the plan names it.
pub const DEFAULT_PRICE_SOURCE: &str = "second-hand figures of early 2026";

/// The built-in price of a model's training tokens, if there is one.
pub fn default_price(model: &str) -> Option<Price> {
    let short = model.rsplit('/').next().unwrap_or(model);
    DEFAULT_PRICES
        .iter()
        .find(|(m, _)| *m == short)
        .map(|(_, usd)| Price {
            usd_per_million: *usd,
            as_of: PRICES_AS_OF.into(),
            source: DEFAULT_PRICE_SOURCE.into(),
        })
}

/// The epochs a job runs: the person's, or the service's choice with a suggestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Epochs {
    Chosen(u32),
    ServiceChooses { suggested: u32 },
}

impl Epochs {
    pub fn of(chosen: Option<u32>, examples: usize) -> Epochs {
        match chosen {
            Some(n) => Epochs::Chosen(n),
            None => Epochs::ServiceChooses {
                suggested: suggested_epochs(examples),
            },
        }
    }

    /// The epochs the figures use: the chosen ones, else the suggestion (marked as such by the
    /// front ends).
    pub fn count(&self) -> u32 {
        match self {
            Epochs::Chosen(n) | Epochs::ServiceChooses { suggested: n } => *n,
        }
    }
}

/// The cookbook rule: 3 epochs, moved so that examples × epochs is within 100 to 25,000, and
/// kept within 1 to 25.
pub fn suggested_epochs(examples: usize) -> u32 {
    let n = examples.max(1);
    let epochs = if n * 3 < 100 {
        100usize.div_ceil(n)
    } else if n * 3 > 25_000 {
        25_000 / n
    } else {
        3
    };
    epochs.clamp(1, 25) as u32
}

/// A finished job of this project, as the estimates use it.
#[derive(Debug, Clone, PartialEq)]
pub struct PastJob {
    pub base_model: String,
    pub examples: u64,
    pub epochs: u64,
    pub steps: u64,
    pub seconds: f64,
}

impl PastJob {
    /// A succeeded job with its examples, epochs, steps and times known.
    pub fn of(job: &TuningJob) -> Option<PastJob> {
        if job.state != JobState::Succeeded {
            return None;
        }
        let stats = job
            .tuning_data_stats
            .as_ref()?
            .supervised_tuning_data_stats
            .as_ref()?;
        let examples = u64::try_from(stats.tuning_dataset_example_count?).ok()?;
        let steps = u64::try_from(stats.tuning_step_count?).ok()?;
        let epochs = job
            .supervised_tuning_spec
            .as_ref()?
            .hyper_parameters
            .as_ref()?
            .epoch_count?;
        let seconds = (job.end_time? - job.start_time?).num_milliseconds() as f64 / 1000.0;
        (examples > 0 && steps > 0 && epochs > 0 && seconds > 0.0).then(|| PastJob {
            base_model: super::vertex::job_base_model(job).to_owned(),
            examples,
            epochs: epochs as u64,
            steps,
            seconds,
        })
    }

    /// The batch size the job ran with: examples seen over steps, rounded to the nearest.
    pub fn batch_size(&self) -> u64 {
        ((self.examples * self.epochs) as f64 / self.steps as f64)
            .round()
            .max(1.0) as u64
    }
}

/// How long a job may take.
#[derive(Debug, Clone, PartialEq)]
pub enum TimeEstimate {
    /// Between `low` and `high` seconds, from `jobs` past jobs on the same base model.
    Range {
        low: f64,
        high: f64,
        jobs: usize,
    },
    NoPastJobs,
}

/// Whether the job will start at once or wait for the project's concurrent-jobs quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaOutlook {
    StartsNow { running: usize, quota: usize },
    Waits { running: usize, quota: usize },
}

impl QuotaOutlook {
    /// `running`: the project's jobs that hold a slot (running, pending, cancelling).
    pub fn of(running: usize, quota: usize) -> QuotaOutlook {
        if running < quota.max(1) {
            QuotaOutlook::StartsNow { running, quota }
        } else {
            QuotaOutlook::Waits { running, quota }
        }
    }
}

/// The jobs that hold one of the project's concurrent-tuning slots.
pub fn holds_a_slot(job: &TuningJob) -> bool {
    matches!(
        job.state,
        JobState::Queued
            | JobState::Pending
            | JobState::Running
            | JobState::Cancelling
            | JobState::Updating
    )
}

/// What goes into a plan: the split's sizes and tokens, the settings, the price, the past.
#[derive(Debug, Clone)]
pub struct PlanInput<'a> {
    pub base_model: &'a str,
    pub training_examples: usize,
    pub training_tokens: u64,
    pub epochs: Option<u32>,
    pub price: Option<Price>,
    pub past_jobs: &'a [PastJob],
    pub running_jobs: usize,
    pub quota: usize,
}

/// The figures of a job before it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub epochs: Epochs,
    /// Training tokens billed: the training set's tokens times the epochs.
    pub billed_tokens: u64,
    /// The steps, with the batch size and how many past jobs it was inferred from.
    pub steps: Option<(u64, u64, usize)>,
    pub cost_usd: Option<f64>,
    pub price: Option<Price>,
    pub time: TimeEstimate,
    pub quota: QuotaOutlook,
}

impl Plan {
    pub fn of(input: &PlanInput) -> Plan {
        let epochs = Epochs::of(input.epochs, input.training_examples);
        let billed_tokens = input.training_tokens * u64::from(epochs.count());
        let short = |m: &str| m.rsplit('/').next().unwrap_or(m).to_owned();
        let model = short(input.base_model);
        let same: Vec<&PastJob> = input
            .past_jobs
            .iter()
            .filter(|j| short(&j.base_model) == model)
            .collect();
        let steps = median(same.iter().map(|j| j.batch_size() as f64)).map(|batch| {
            let batch = batch.round().max(1.0) as u64;
            let seen = input.training_examples as u64 * u64::from(epochs.count());
            (seen.div_ceil(batch), batch, same.len())
        });
        let time = match (steps, same.is_empty()) {
            (Some((steps, _, _)), false) => {
                let per_step = same.iter().map(|j| j.seconds / j.steps as f64);
                let (low, high) =
                    per_step.fold((f64::MAX, 0.0f64), |(lo, hi), s| (lo.min(s), hi.max(s)));
                TimeEstimate::Range {
                    low: low * steps as f64,
                    high: high * steps as f64,
                    jobs: same.len(),
                }
            }
            _ => TimeEstimate::NoPastJobs,
        };
        let cost_usd = input
            .price
            .as_ref()
            .map(|p| billed_tokens as f64 / 1e6 * p.usd_per_million);
        Plan {
            epochs,
            billed_tokens,
            steps,
            cost_usd,
            price: input.price.clone(),
            time,
            quota: QuotaOutlook::of(input.running_jobs, input.quota),
        }
    }
}

fn median(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut v: Vec<f64> = values.collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 0 {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    })
}

/// Why Cloud Storage would refuse a bucket name (its naming rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BucketNameProblem {
    Length { length: usize },
    Character { character: char },
    Edge,
    StartsWithGoog,
    ContainsGoogle,
    IpAddress,
    DotRule,
}

impl std::fmt::Display for BucketNameProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BucketNameProblem::Length { length } => write!(
                f,
                "is {length} characters; a bucket name has 3 to 63 (222 with dots, 63 between them)"
            ),
            BucketNameProblem::Character { character } => write!(
                f,
                "has {character:?}; a bucket name has lowercase letters, digits, '-', '_' and '.' only"
            ),
            BucketNameProblem::Edge => {
                write!(f, "must start and end with a lowercase letter or a digit")
            }
            BucketNameProblem::StartsWithGoog => write!(f, "cannot start with \"goog\""),
            BucketNameProblem::ContainsGoogle => {
                write!(f, "cannot contain \"google\" or a misspelling of it")
            }
            BucketNameProblem::IpAddress => write!(f, "cannot be an IP address"),
            BucketNameProblem::DotRule => write!(
                f,
                "has an empty or over-63-character part between dots, or a dot next to a dash"
            ),
        }
    }
}

/// Cloud Storage's bucket naming rules ("Bucket naming guidelines"), checked before an upload.
pub fn bucket_name_problem(name: &str) -> Option<BucketNameProblem> {
    let length = name.chars().count();
    let max = if name.contains('.') { 222 } else { 63 };
    if !(3..=max).contains(&length) {
        return Some(BucketNameProblem::Length { length });
    }
    if let Some(character) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')))
    {
        return Some(BucketNameProblem::Character { character });
    }
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !edge_ok(name.chars().next()) || !edge_ok(name.chars().last()) {
        return Some(BucketNameProblem::Edge);
    }
    if name.starts_with("goog") {
        return Some(BucketNameProblem::StartsWithGoog);
    }
    if ["google", "g00gle", "googl3", "g00gl3"]
        .iter()
        .any(|g| name.contains(g))
    {
        return Some(BucketNameProblem::ContainsGoogle);
    }
    if name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return Some(BucketNameProblem::IpAddress);
    }
    if name.contains('.')
        && (name.split('.').any(|p| p.is_empty() || p.len() > 63)
            || name.contains(".-")
            || name.contains("-."))
    {
        return Some(BucketNameProblem::DotRule);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn past(model: &str, examples: u64, epochs: u64, steps: u64, seconds: f64) -> PastJob {
        PastJob {
            base_model: model.into(),
            examples,
            epochs,
            steps,
            seconds,
        }
    }

    #[test]
    fn unset_epochs_are_the_services_with_the_cookbook_suggestion() {
        assert_eq!(suggested_epochs(166), 3);
        assert_eq!(suggested_epochs(10), 10);
        assert_eq!(suggested_epochs(2), 25);
        assert_eq!(suggested_epochs(20_000), 1);
        assert_eq!(suggested_epochs(10_000), 2);
        assert_eq!(
            Epochs::of(None, 166),
            Epochs::ServiceChooses { suggested: 3 }
        );
        assert_eq!(Epochs::of(Some(40), 166).count(), 40);
    }

    #[test]
    fn the_bill_is_tokens_times_epochs_at_the_models_price() {
        // The practitioner's surprise: 166 examples, 40 epochs, 17.5M tokens.
        let plan = Plan::of(&PlanInput {
            base_model: "gemini-2.5-flash",
            training_examples: 166,
            training_tokens: 437_500,
            epochs: Some(40),
            price: default_price("gemini-2.5-flash"),
            past_jobs: &[],
            running_jobs: 0,
            quota: 1,
        });
        assert_eq!(plan.billed_tokens, 17_500_000);
        assert!((plan.cost_usd.unwrap() - 87.5).abs() < 1e-9);
        assert_eq!(plan.steps, None);
        assert_eq!(plan.time, TimeEstimate::NoPastJobs);
        assert_eq!(
            plan.quota,
            QuotaOutlook::StartsNow {
                running: 0,
                quota: 1
            }
        );
    }

    #[test]
    fn steps_and_time_come_from_past_jobs_on_the_same_base_model() {
        let jobs = [
            past("gemini-2.5-flash", 100, 3, 38, 380.0), // batch 8, 10 s a step
            past("gemini-2.5-flash", 200, 2, 50, 1000.0), // batch 8, 20 s a step
            past("gemini-2.5-pro", 100, 1, 100, 99.0),
        ];
        let plan = Plan::of(&PlanInput {
            base_model: "publishers/google/models/gemini-2.5-flash",
            training_examples: 80,
            training_tokens: 1000,
            epochs: None,
            price: None,
            past_jobs: &jobs,
            running_jobs: 1,
            quota: 1,
        });
        // 80 examples: the suggestion is 3 epochs; 240 seen in batches of 8.
        assert_eq!(plan.steps, Some((30, 8, 2)));
        assert_eq!(
            plan.time,
            TimeEstimate::Range {
                low: 300.0,
                high: 600.0,
                jobs: 2
            }
        );
        assert_eq!(plan.cost_usd, None);
        assert_eq!(
            plan.quota,
            QuotaOutlook::Waits {
                running: 1,
                quota: 1
            }
        );
    }

    #[test]
    fn bucket_names_follow_cloud_storages_rules() {
        assert_eq!(bucket_name_problem("my-tuning-data"), None);
        assert_eq!(bucket_name_problem("data.example.com"), None);
        assert_eq!(
            bucket_name_problem("Bad_Bucket!"),
            Some(BucketNameProblem::Character { character: 'B' })
        );
        assert_eq!(
            bucket_name_problem("ab"),
            Some(BucketNameProblem::Length { length: 2 })
        );
        assert_eq!(bucket_name_problem("-abc"), Some(BucketNameProblem::Edge));
        assert_eq!(
            bucket_name_problem("goog-data"),
            Some(BucketNameProblem::StartsWithGoog)
        );
        assert_eq!(
            bucket_name_problem("my-google-data"),
            Some(BucketNameProblem::ContainsGoogle)
        );
        assert_eq!(
            bucket_name_problem("192.168.5.4"),
            Some(BucketNameProblem::IpAddress)
        );
        assert_eq!(
            bucket_name_problem("a..b"),
            Some(BucketNameProblem::DotRule)
        );
    }
}
