//! The models Vertex AI tunes, once: for each, the methods it takes, its tuning modes, adapter
//! sizes, the regions it tunes in, its limits, whether it is generally available, and its release
//! and retirement dates, each row with the pages it was read from and when. The dashboard's form,
//! `tunedeck tune`, the jobs table's retirement mark and the emulator all read this table; where
//! a page left a value unsaid the row says so in `note` and the README's deviations table lists
//! it.
//!
//! Pages (Google's docs, which by late 2026 call Vertex AI "Gemini Enterprise Agent Platform"):
//! - [`SFT_PAGE`]: the supervised-tuning guide's supported models, read 2026-09-25;
//! - [`LIFECYCLE_PAGE`]: "Model versions and lifecycle", read 2026-12-04 (release and
//!   retirement dates; retirement dates "may be extended, but not moved earlier");
//! - [`OPEN_PAGE`]: "Tune an open model" (models, modes, regions, sequence lengths), read
//!   2026-12-04.

use chrono::NaiveDate;

pub const SFT_PAGE: &str = "docs.cloud.google.com/vertex-ai/generative-ai/docs/models/gemini-supervised-tuning (supported models)";
pub const LIFECYCLE_PAGE: &str =
    "docs.cloud.google.com/gemini-enterprise-agent-platform/models/model-versions";
pub const OPEN_PAGE: &str =
    "docs.cloud.google.com/vertex-ai/generative-ai/docs/models/open-model-tuning";

/// A tuning method, as far as the table needs one: which kind of job a model takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `supervisedTuningSpec`.
    Supervised,
    /// `preferenceOptimizationSpec` (DPO).
    Preference,
    /// `distillationSpec`, the model as the student (early access).
    Distillation,
}

/// How much of an open model a job trains: all its weights, or a LoRA adapter beside them
/// (v1beta1 `supervisedTuningSpec.tuningMode`). Gemini models always train an adapter and
/// take no mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TuningMode {
    Full,
    Adapter,
}

impl TuningMode {
    /// The word the CLI and the form use: `full`, `adapter`.
    pub fn word(self) -> &'static str {
        match self {
            TuningMode::Full => "full",
            TuningMode::Adapter => "adapter",
        }
    }

    pub fn from_word(word: &str) -> Option<TuningMode> {
        match word {
            "full" => Some(TuningMode::Full),
            "adapter" | "peft" | "lora" => Some(TuningMode::Adapter),
            _ => None,
        }
    }
}

/// Whose weights a model has: Google's Gemini models, tuned with a learning-rate multiplier, or
/// an open model (Gemma, Llama, Qwen), tuned with a plain learning rate, a batch size and a
/// tuning mode, into a Cloud Storage folder of the caller's (`outputUri`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Gemini,
    Open,
}

/// A model's last day, as the lifecycle page gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retirement {
    /// `YYYY-MM-DD`.
    pub on: &'static str,
    /// The page says "or later": a date the model lives at least until, which may move later.
    pub or_later: bool,
}

/// One tunable model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TunableModel {
    /// The id a job names as `baseModel`: `gemini-2.5-flash`, `meta/llama3_1@llama-3.1-8b`.
    pub id: &'static str,
    /// What a person calls it: "Llama 3.1 8B Instruct".
    pub label: &'static str,
    pub family: Family,
    pub methods: &'static [Method],
    /// The tuning modes it takes; a Gemini model's single mode is the adapter.
    pub modes: &'static [TuningMode],
    /// The adapter sizes (LoRA ranks) it takes; empty where none may be set.
    pub adapter_ranks: &'static [u32],
    /// The regions it tunes in; empty: every region Vertex AI tunes in.
    pub regions: &'static [&'static str],
    /// Input plus output tokens of one example, at most (an open model's sequence length, in
    /// the adapter mode where the two modes differ).
    pub max_tokens: usize,
    /// Generally available (else preview).
    pub ga: bool,
    /// `YYYY-MM-DD`; `None` where no page gives one.
    pub released: Option<&'static str>,
    /// `None`: no retirement announced.
    pub retires: Option<Retirement>,
    /// The model the lifecycle page names as its replacement, when that one tunes.
    pub replacement: Option<&'static str>,
    /// The pages this row was read from, and when.
    pub source: &'static str,
    /// What the pages left unsaid, in a few words; empty when nothing.
    pub note: &'static str,
}

const GEMINI_RANKS: &[u32] = &[1, 2, 4, 8, 16];
const ADAPTER: &[TuningMode] = &[TuningMode::Adapter];
const BOTH: &[TuningMode] = &[TuningMode::Adapter, TuningMode::Full];
const FULL: &[TuningMode] = &[TuningMode::Full];
/// The two regions the open-model page names.
pub const OPEN_REGIONS: &[&str] = &["us-central1", "europe-west4"];
const GEMINI_SOURCE: &str =
    "supervised-tuning guide, read 2026-09-25; lifecycle page, read 2026-12-04";
const OPEN_SOURCE: &str = "open-model tuning page, read 2026-12-04";
const OPEN_NOTE: &str = "no adapter size or retirement on the page";

/// Every model Vertex AI tunes, Gemini newest first, then the open models.
pub const TUNABLE_MODELS: &[TunableModel] = &[
    TunableModel {
        id: "gemini-3.5-flash",
        label: "Gemini 3.5 Flash",
        family: Family::Gemini,
        methods: &[Method::Supervised],
        modes: ADAPTER,
        adapter_ranks: GEMINI_RANKS,
        regions: OPEN_REGIONS,
        max_tokens: 131_072,
        ga: true,
        released: Some("2026-05-19"),
        retires: Some(Retirement {
            on: "2027-05-19",
            or_later: true,
        }),
        replacement: None,
        source: GEMINI_SOURCE,
        note: "tunes in us-central1 or europe-west4 only, serves from the us/eu multi-regions",
    },
    TunableModel {
        id: "gemini-3.1-flash-lite",
        label: "Gemini 3.1 Flash-Lite",
        family: Family::Gemini,
        methods: &[Method::Supervised],
        modes: ADAPTER,
        adapter_ranks: GEMINI_RANKS,
        regions: &[],
        max_tokens: 131_072,
        ga: true,
        released: Some("2026-05-07"),
        retires: Some(Retirement {
            on: "2027-05-07",
            or_later: true,
        }),
        replacement: None,
        source: GEMINI_SOURCE,
        note: "",
    },
    TunableModel {
        id: "gemini-2.5-pro",
        label: "Gemini 2.5 Pro",
        family: Family::Gemini,
        methods: &[Method::Supervised],
        modes: ADAPTER,
        adapter_ranks: &[1, 2, 4, 8],
        regions: &[],
        max_tokens: 131_072,
        ga: true,
        released: Some("2025-06-17"),
        retires: Some(Retirement {
            on: "2026-10-16",
            or_later: false,
        }),
        replacement: Some("gemini-3.5-flash"),
        source: GEMINI_SOURCE,
        note: "first announced to retire 2026-06-17, then moved to 2026-10-16",
    },
    TunableModel {
        id: "gemini-2.5-flash",
        label: "Gemini 2.5 Flash",
        family: Family::Gemini,
        methods: &[Method::Supervised, Method::Preference, Method::Distillation],
        modes: ADAPTER,
        adapter_ranks: GEMINI_RANKS,
        regions: &[],
        max_tokens: 131_072,
        ga: true,
        released: Some("2025-06-17"),
        retires: Some(Retirement {
            on: "2026-10-16",
            or_later: false,
        }),
        // The page names 3.5 Flash-Lite or 3.1 Flash-Lite; only the second one tunes.
        replacement: Some("gemini-3.1-flash-lite"),
        source: GEMINI_SOURCE,
        note: "first announced to retire 2026-06-17, then moved to 2026-10-16",
    },
    TunableModel {
        id: "gemini-2.5-flash-lite",
        label: "Gemini 2.5 Flash-Lite",
        family: Family::Gemini,
        methods: &[Method::Supervised, Method::Preference],
        modes: ADAPTER,
        adapter_ranks: GEMINI_RANKS,
        regions: &[],
        max_tokens: 131_072,
        ga: true,
        released: Some("2025-07-22"),
        retires: Some(Retirement {
            on: "2026-10-16",
            or_later: false,
        }),
        replacement: Some("gemini-3.1-flash-lite"),
        source: GEMINI_SOURCE,
        note: "",
    },
    TunableModel {
        id: "google/gemma-3-27b-it",
        label: "Gemma 3 27B IT",
        family: Family::Open,
        methods: &[Method::Supervised],
        modes: BOTH,
        adapter_ranks: &[],
        regions: OPEN_REGIONS,
        max_tokens: 8_192,
        ga: true,
        released: None,
        retires: None,
        replacement: None,
        source: OPEN_SOURCE,
        note: OPEN_NOTE,
    },
    TunableModel {
        id: "meta/llama3_1@llama-3.1-8b",
        label: "Llama 3.1 8B",
        family: Family::Open,
        methods: &[Method::Supervised],
        modes: BOTH,
        adapter_ranks: &[],
        regions: OPEN_REGIONS,
        max_tokens: 4_096,
        ga: true,
        released: None,
        retires: None,
        replacement: None,
        source: OPEN_SOURCE,
        note: "4,096 tokens with an adapter, 8,192 in full; no adapter size or retirement on the page",
    },
    TunableModel {
        id: "meta/llama3_1@llama-3.1-8b-instruct",
        label: "Llama 3.1 8B Instruct",
        family: Family::Open,
        methods: &[Method::Supervised],
        modes: BOTH,
        adapter_ranks: &[],
        regions: OPEN_REGIONS,
        max_tokens: 4_096,
        ga: true,
        released: None,
        retires: None,
        replacement: None,
        source: OPEN_SOURCE,
        note: "4,096 tokens with an adapter, 8,192 in full; no adapter size or retirement on the page",
    },
    TunableModel {
        id: "meta/llama3-2@llama-3.2-1b-instruct",
        label: "Llama 3.2 1B Instruct",
        family: Family::Open,
        methods: &[Method::Supervised],
        modes: FULL,
        adapter_ranks: &[],
        regions: OPEN_REGIONS,
        max_tokens: 8_192,
        ga: true,
        released: None,
        retires: None,
        replacement: None,
        source: OPEN_SOURCE,
        note: "full tuning only",
    },
    TunableModel {
        id: "meta/llama3-2@llama-3.2-3b-instruct",
        label: "Llama 3.2 3B Instruct",
        family: Family::Open,
        methods: &[Method::Supervised],
        modes: FULL,
        adapter_ranks: &[],
        regions: OPEN_REGIONS,
        max_tokens: 8_192,
        ga: true,
        released: None,
        retires: None,
        replacement: None,
        source: OPEN_SOURCE,
        note: "full tuning only",
    },
    TunableModel {
        id: "meta/llama3-3@llama-3.3-70b-instruct",
        label: "Llama 3.3 70B Instruct",
        family: Family::Open,
        methods: &[Method::Supervised],
        modes: BOTH,
        adapter_ranks: &[],
        regions: OPEN_REGIONS,
        max_tokens: 4_096,
        ga: true,
        released: None,
        retires: None,
        replacement: None,
        source: OPEN_SOURCE,
        note: "sequence length not read (page cut off): 4,096 assumed as for Llama 3.1",
    },
    TunableModel {
        id: "qwen/qwen3@qwen3-32b",
        label: "Qwen 3 32B",
        family: Family::Open,
        methods: &[Method::Supervised],
        modes: BOTH,
        adapter_ranks: &[],
        regions: OPEN_REGIONS,
        max_tokens: 8_192,
        ga: true,
        released: None,
        retires: None,
        replacement: None,
        source: OPEN_SOURCE,
        note: "modes and sequence length not read (page cut off): both modes, 8,192 assumed",
    },
    TunableModel {
        id: "meta/llama4@llama-4-scout-17b-16e-instruct",
        label: "Llama 4 Scout 17B 16E Instruct",
        family: Family::Open,
        methods: &[Method::Supervised],
        modes: BOTH,
        adapter_ranks: &[],
        regions: OPEN_REGIONS,
        max_tokens: 8_192,
        ga: true,
        released: None,
        retires: None,
        replacement: None,
        source: OPEN_SOURCE,
        note: "modes and sequence length not read (page cut off): both modes, 8,192 assumed",
    },
];

/// A date of the table (`YYYY-MM-DD`); every one parses (a test reads them all).
fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// A model name as a job or a request names it, reduced to the table's id:
/// `publishers/google/models/gemini-2.5-flash` and `models/gemini-2.5-flash` are
/// `gemini-2.5-flash`; `publishers/meta/models/llama3_1@llama-3.1-8b` is
/// `meta/llama3_1@llama-3.1-8b`.
pub fn short_id(name: &str) -> String {
    if let Some(rest) = name.strip_prefix("publishers/")
        && let Some((publisher, model)) = rest.split_once("/models/")
    {
        return if publisher == "google" && model.starts_with("gemini-") {
            model.to_owned()
        } else {
            format!("{publisher}/{model}")
        };
    }
    name.trim_start_matches("models/").to_owned()
}

/// The tunable model with this id or name.
pub fn tunable_model(name: &str) -> Option<&'static TunableModel> {
    let id = short_id(name);
    TUNABLE_MODELS.iter().find(|m| m.id == id)
}

impl TunableModel {
    pub fn is_open(&self) -> bool {
        self.family == Family::Open
    }

    pub fn takes(&self, method: Method) -> bool {
        self.methods.contains(&method)
    }

    pub fn takes_mode(&self, mode: TuningMode) -> bool {
        self.modes.contains(&mode)
    }

    /// Whether it tunes in `location` (every region, for a row that names none).
    pub fn tunes_in(&self, location: &str) -> bool {
        self.regions.is_empty() || self.regions.contains(&location)
    }

    /// The mode a job gets when it names none: the adapter where the model takes one.
    pub fn default_mode(&self) -> TuningMode {
        if self.takes_mode(TuningMode::Adapter) {
            TuningMode::Adapter
        } else {
            TuningMode::Full
        }
    }

    pub fn released_on(&self) -> Option<NaiveDate> {
        self.released.and_then(date)
    }

    /// Where the model stands on `today` (a firm retirement date passed, or one within
    /// [`RETIRES_SOON_DAYS`], or an "or later" date passed); `None` while it is current.
    pub fn life(&self, today: NaiveDate) -> Option<Life> {
        let retires = self.retires?;
        let on = date(retires.on)?;
        let days = (on - today).num_days();
        if days < 0 && !retires.or_later {
            Some(Life::Retired { on: retires.on })
        } else if days < 0 {
            Some(Life::MayHaveRetired { on: retires.on })
        } else if days <= RETIRES_SOON_DAYS {
            Some(Life::RetiresSoon {
                on: retires.on,
                or_later: retires.or_later,
            })
        } else {
            None
        }
    }

    /// Whether the model is past a firm retirement date on `today`: the service no longer
    /// serves it, nor anything tuned from it.
    pub fn retired(&self, today: NaiveDate) -> bool {
        matches!(self.life(today), Some(Life::Retired { .. }))
    }
}

/// A retirement this close (days) is marked in the jobs table.
pub const RETIRES_SOON_DAYS: i64 = 30;

/// A base model's life as the jobs table marks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Life {
    /// Past its firm retirement date.
    Retired { on: &'static str },
    /// Retires within [`RETIRES_SOON_DAYS`].
    RetiresSoon { on: &'static str, or_later: bool },
    /// Past an "or later" date: it may have retired since; the table may be out of date.
    MayHaveRetired { on: &'static str },
}

impl Life {
    /// The mark: "retired 2026-10-16: rebase", "retires 2027-05-19 or later: rebase".
    pub fn mark(&self) -> String {
        match self {
            Life::Retired { on } => format!("retired {on}: rebase"),
            Life::RetiresSoon {
                on,
                or_later: false,
            } => format!("retires {on}: rebase"),
            Life::RetiresSoon { on, or_later: true } => {
                format!("retires {on} or later: rebase")
            }
            Life::MayHaveRetired { on } => format!("may have retired {on}: rebase"),
        }
    }
}

impl Life {
    /// The mark where there is little room (a table cell): "retired".
    pub fn short_mark(&self) -> &'static str {
        match self {
            Life::Retired { .. } => "retired",
            Life::RetiresSoon { .. } => "retiring",
            Life::MayHaveRetired { .. } => "retired?",
        }
    }
}

/// The life of the model named `name` on `today`; `None` for a model the table does not know
/// or one that is current.
pub fn base_life(name: &str, today: NaiveDate) -> Option<Life> {
    tunable_model(name)?.life(today)
}

/// The models that take `method` and are not retired on `today` (firm dates only), newest
/// release first; Gemini before open models (which carry no release date).
pub fn current_models(method: Method, today: NaiveDate) -> Vec<&'static TunableModel> {
    let mut models: Vec<_> = TUNABLE_MODELS
        .iter()
        .filter(|m| m.takes(method) && !m.retired(today))
        .filter(|m| m.released_on().is_none_or(|r| r <= today))
        .collect();
    models.sort_by_key(|m| std::cmp::Reverse(m.released_on()));
    models
}

/// The base model a job of `method` gets when none is chosen: the newest generally available
/// Gemini model that takes the method and has not retired on `today`. When every such model
/// has retired by the table's dates (the table is then out of date: the service keeps
/// serving models whose "or later" date has passed, and adds new ones), the one retiring last
/// of those that take the method, so that a default always exists.
pub fn default_base_model(method: Method, today: NaiveDate) -> &'static str {
    let gemini = |m: &&TunableModel| m.family == Family::Gemini && m.ga && m.takes(method);
    current_models(method, today)
        .into_iter()
        .find(gemini)
        .or_else(|| {
            TUNABLE_MODELS
                .iter()
                .filter(gemini)
                .max_by_key(|m| (m.retires.and_then(|r| date(r.on)), m.released_on()))
        })
        .map_or(TUNABLE_MODELS[0].id, |m| m.id)
}

/// The base a job on `name` is best rebased onto on `today`: the replacement the lifecycle
/// page names, while it is current, else the default for supervised tuning.
pub fn suggested_base(name: &str, today: NaiveDate) -> &'static str {
    tunable_model(name)
        .and_then(|m| m.replacement)
        .and_then(tunable_model)
        .filter(|m| !m.retired(today))
        .map_or_else(|| default_base_model(Method::Supervised, today), |m| m.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        date(text).unwrap()
    }

    #[test]
    fn every_row_has_a_source_a_read_date_and_dates_that_parse() {
        for m in TUNABLE_MODELS {
            assert!(m.source.contains("read 20"), "{}: no date read", m.id);
            assert!(!m.methods.is_empty() && !m.modes.is_empty(), "{}", m.id);
            assert!(m.max_tokens > 0, "{}", m.id);
            if let Some(r) = m.released {
                assert!(date(r).is_some(), "{}: {r}", m.id);
            }
            if let Some(r) = m.retires {
                assert!(date(r.on).is_some(), "{}: {}", m.id, r.on);
            }
            if let Some(r) = m.replacement {
                assert!(tunable_model(r).is_some(), "{}: {r}", m.id);
            }
            // An open model tunes only where the page says; a Gemini model trains an adapter.
            match m.family {
                Family::Open => assert_eq!(m.regions, OPEN_REGIONS, "{}", m.id),
                Family::Gemini => {
                    assert_eq!(m.modes, ADAPTER, "{}", m.id);
                    assert!(!m.adapter_ranks.is_empty(), "{}", m.id);
                }
            }
        }
    }

    #[test]
    fn names_reduce_to_the_tables_ids() {
        assert_eq!(
            tunable_model("publishers/google/models/gemini-2.5-pro").map(|m| m.adapter_ranks),
            Some(&[1u32, 2, 4, 8][..])
        );
        assert_eq!(
            tunable_model("publishers/meta/models/llama3_1@llama-3.1-8b").map(|m| m.label),
            Some("Llama 3.1 8B")
        );
        assert_eq!(
            tunable_model("google/gemma-3-27b-it").map(|m| m.family),
            Some(Family::Open)
        );
        assert!(tunable_model("gemini-1.0-pro").is_none());
        let llama32 = tunable_model("meta/llama3-2@llama-3.2-1b-instruct").unwrap();
        assert!(!llama32.takes_mode(TuningMode::Adapter));
        assert_eq!(llama32.default_mode(), TuningMode::Full);
        assert!(llama32.tunes_in("europe-west4") && !llama32.tunes_in("us-east4"));
        assert!(
            tunable_model("gemini-3.1-flash-lite")
                .unwrap()
                .tunes_in("asia-northeast1")
        );
    }

    #[test]
    fn the_life_of_a_base_is_marked_from_the_day_given() {
        let flash = tunable_model("gemini-2.5-flash").unwrap();
        assert_eq!(flash.life(day("2026-08-01")), None);
        assert_eq!(
            flash.life(day("2026-09-20")).map(|l| l.mark()),
            Some("retires 2026-10-16: rebase".into())
        );
        assert_eq!(
            flash.life(day("2026-10-16")).map(|l| l.mark()),
            Some("retires 2026-10-16: rebase".into()),
            "the retirement date is the last day it serves"
        );
        assert_eq!(
            flash.life(day("2026-10-17")).map(|l| l.mark()),
            Some("retired 2026-10-16: rebase".into())
        );
        let new = tunable_model("gemini-3.5-flash").unwrap();
        assert_eq!(new.life(day("2026-12-04")), None);
        assert_eq!(
            new.life(day("2027-05-01")).map(|l| l.mark()),
            Some("retires 2027-05-19 or later: rebase".into())
        );
        assert_eq!(
            new.life(day("2028-01-01")).map(|l| l.mark()),
            Some("may have retired 2027-05-19: rebase".into())
        );
        assert!(
            !new.retired(day("2028-01-01")),
            "an 'or later' date is no retirement"
        );
        assert_eq!(
            base_life("meta/llama3_1@llama-3.1-8b", day("2030-01-01")),
            None
        );
    }

    #[test]
    fn the_default_base_is_the_newest_current_one_for_the_method() {
        assert_eq!(
            default_base_model(Method::Supervised, day("2026-03-01")),
            "gemini-2.5-flash-lite",
            "a model not yet released is no default"
        );
        assert_eq!(
            default_base_model(Method::Supervised, day("2026-12-04")),
            "gemini-3.5-flash"
        );
        // Every DPO model has retired by the table: the one retiring last of them (the
        // newer release of two retiring the same day).
        assert_eq!(
            default_base_model(Method::Preference, day("2026-12-04")),
            "gemini-2.5-flash-lite"
        );
        assert_eq!(
            default_base_model(Method::Preference, day("2026-08-01")),
            "gemini-2.5-flash-lite"
        );
        // 400 days on, the "or later" dates have passed but nothing is firmly retired.
        assert_eq!(
            default_base_model(Method::Supervised, day("2028-01-08")),
            "gemini-3.5-flash"
        );
        assert_eq!(
            suggested_base("gemini-2.5-flash", day("2026-12-04")),
            "gemini-3.1-flash-lite"
        );
        assert_eq!(
            suggested_base("gemini-2.5-pro", day("2026-12-04")),
            "gemini-3.5-flash"
        );
    }
}
