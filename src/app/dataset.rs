//! The Dataset pane's state: the examples being edited (with undo), where they came from,
//! their lint, and the editor of one example (two ratatui-textarea fields).

use crate::api::types::TuningExample;
use crate::dataset::Dataset;
use crate::dataset::format::{self, Format};
use crate::dataset::lint::{self, Issue, Severity, Stats};
use ratatui_textarea::TextArea;
use std::path::PathBuf;

/// The first line of the autosave journal: which file the edits belong to.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct JournalHeader {
    pub tunedeck_journal: u32,
    pub source: Option<PathBuf>,
}

/// The journal's content: a header line, then the examples as JSONL.
pub fn journal_text(source: Option<&PathBuf>, examples: &[TuningExample]) -> String {
    let header = JournalHeader {
        tunedeck_journal: 1,
        source: source.cloned(),
    };
    serde_json::to_string(&header).unwrap_or_default()
        + "\n"
        + &format::write(examples, Format::Jsonl)
}

/// Reads a journal back; `None` when the text is not one.
pub fn parse_journal(text: &str) -> Option<(JournalHeader, Vec<TuningExample>)> {
    let (first, rest) = text.split_once('\n')?;
    let header: JournalHeader = serde_json::from_str(first).ok()?;
    let examples = format::parse("journal", rest, Format::Jsonl, None).ok()?;
    Some((header, examples))
}

/// One example open for editing.
#[derive(Debug, Clone)]
pub struct ExampleEditor {
    pub index: usize,
    pub input: TextArea<'static>,
    pub output: TextArea<'static>,
    pub on_output: bool,
}

impl ExampleEditor {
    pub fn new(index: usize, example: &TuningExample) -> Self {
        let lines = |t: &str| t.split('\n').map(str::to_owned).collect::<Vec<_>>();
        ExampleEditor {
            index,
            input: TextArea::new(lines(&example.text_input)),
            output: TextArea::new(lines(&example.output)),
            on_output: false,
        }
    }

    /// The example as typed.
    pub fn example(&self) -> TuningExample {
        TuningExample::new(
            self.input.lines().join("\n"),
            self.output.lines().join("\n"),
        )
    }
}

/// The start-tuning form over the Dataset tab.
#[derive(Debug, Clone, PartialEq)]
pub struct TuneForm {
    /// The text fields of [`TUNE_LABELS`], as typed.
    pub values: [String; 8],
    /// What can be tuned from: base models from models.list that support createTunedModel,
    /// then the caller's ACTIVE tuned models (`None` while loading).
    pub bases: Option<Vec<String>>,
    pub base: usize,
    /// 0-7: the text fields; 8: the source model.
    pub focus: usize,
    pub error: Option<String>,
    /// The examples kept out of training by the last submit, written beside the dataset once
    /// the job starts.
    pub held_out: Vec<TuningExample>,
}

pub const TUNE_LABELS: [&str; 8] = [
    "Display name",
    "Model id",
    "Description",
    "Epochs",
    "Batch size",
    "Learning rate",
    "LR multiplier",
    "Held out %",
];
/// The index of the source model among the form's fields.
pub const TUNE_SOURCE_FIELD: usize = 8;
pub const DEFAULT_BASE: &str = "models/gemini-1.5-flash-001-tuning";

/// The settings the form remembers from one tuning job to the next.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct TuneSettings {
    pub epochs: String,
    pub batch_size: String,
    pub learning_rate: String,
    #[serde(default)]
    pub multiplier: String,
    #[serde(default)]
    pub held_out: String,
    #[serde(default)]
    pub source: Option<String>,
}

impl Default for TuneForm {
    fn default() -> Self {
        TuneForm {
            values: [
                String::new(),
                String::new(),
                String::new(),
                "5".into(),
                "4".into(),
                "0.001".into(),
                String::new(),
                "0".into(),
            ],
            bases: None,
            base: 0,
            focus: 0,
            error: None,
            held_out: Vec::new(),
        }
    }
}

/// What a valid form asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct TuneRequest {
    pub model: crate::api::types::TunedModel,
    pub id: Option<String>,
    /// Examples kept out of training, for evaluation.
    pub held_out: Vec<TuningExample>,
}

impl TuneForm {
    pub fn base_model(&self) -> String {
        self.bases
            .as_ref()
            .and_then(|b| b.get(self.base).cloned())
            .unwrap_or_else(|| DEFAULT_BASE.to_owned())
    }

    /// Starts from remembered settings; the source is picked when the list arrives.
    pub fn with_settings(settings: &TuneSettings) -> Self {
        let mut form = TuneForm::default();
        form.values[3] = settings.epochs.clone();
        form.values[4] = settings.batch_size.clone();
        form.values[5] = settings.learning_rate.clone();
        form.values[6] = settings.multiplier.clone();
        form.values[7] = settings.held_out.clone();
        form
    }

    pub fn settings(&self) -> TuneSettings {
        TuneSettings {
            epochs: self.values[3].clone(),
            batch_size: self.values[4].clone(),
            learning_rate: self.values[5].clone(),
            multiplier: self.values[6].clone(),
            held_out: self.values[7].clone(),
            source: Some(self.base_model()),
        }
    }

    fn number<T: std::str::FromStr>(&self, i: usize) -> Result<T, String> {
        self.values[i]
            .trim()
            .parse()
            .map_err(|_| format!("{}: {:?} is not a number", TUNE_LABELS[i], self.values[i]))
    }

    /// How many of `examples` the held-out share keeps out (at least one when the share is
    /// above 0, never all of them).
    pub fn held_out_count(&self, examples: usize) -> Result<usize, String> {
        let share: f64 = if self.values[7].trim().is_empty() {
            0.0
        } else {
            self.number(7)?
        };
        if !(0.0..100.0).contains(&share) {
            return Err(format!(
                "Held out %: {share} is outside 0 to 99; the rest is what tunes"
            ));
        }
        let count = ((examples as f64) * share / 100.0).round() as usize;
        let count = if share > 0.0 { count.max(1) } else { 0 };
        if count >= examples && examples > 0 {
            return Err(format!(
                "Held out %: {share}% of {examples} examples leaves none to tune on"
            ));
        }
        Ok(count)
    }

    /// `ceil(N*E/B)` for the current values, when they parse; N leaves out the held-out share.
    pub fn total_steps(&self, examples: usize) -> Option<u64> {
        let epochs: u32 = self.number(3).ok().filter(|e| *e > 0)?;
        let batch: u32 = self.number(4).ok().filter(|b| *b > 0)?;
        let held = self.held_out_count(examples).ok()?;
        Some(crate::emulator::trainer::total_steps(
            examples - held,
            epochs,
            batch,
        ))
    }

    /// The create request, or the first problem.
    pub fn to_request(&self, examples: &[TuningExample]) -> Result<TuneRequest, String> {
        use crate::api::types::{
            Dataset, Hyperparameters, TunedModel, TunedModelSource, TuningTask,
        };
        let name = self.values[0].trim();
        let n = name.chars().count();
        if n > 40 {
            return Err(format!("Display name: {n} characters; the limit is 40"));
        }
        let id = self.values[1].trim();
        if !id.is_empty() && !crate::emulator::store::valid_model_id(id) {
            return Err(format!(
                "Model id {id:?}: lowercase letters, digits and hyphens, 1 to 40, starting with a letter"
            ));
        }
        let epochs: i32 = self.number(3)?;
        let batch: i32 = self.number(4)?;
        if epochs < 1 || batch < 1 {
            return Err("Epochs and batch size must be at least 1".into());
        }
        let hyperparameters = Hyperparameters {
            epoch_count: Some(epochs),
            batch_size: Some(batch),
            ..Default::default()
        };
        // A multiplier, when given, is sent instead of the rate (the API takes one of them).
        let hyperparameters = if self.values[6].trim().is_empty() {
            let rate: f64 = self.number(5)?;
            if !(rate > 0.0 && rate.is_finite()) {
                return Err("Learning rate must be above 0".into());
            }
            hyperparameters.with_learning_rate(rate)
        } else {
            let multiplier: f64 = self.number(6)?;
            if !(multiplier > 0.0 && multiplier.is_finite()) {
                return Err("LR multiplier must be above 0".into());
            }
            hyperparameters.with_multiplier(multiplier)
        };
        if examples.is_empty() {
            return Err("The dataset has no examples".into());
        }
        let (training, held_out) = split_held_out(examples, self.held_out_count(examples.len())?);
        let source = self.base_model();
        let (base_model, tuned_model_source) = if source.starts_with("tunedModels/") {
            (
                None,
                Some(TunedModelSource {
                    tuned_model: Some(source),
                    base_model: None,
                }),
            )
        } else {
            (Some(source), None)
        };
        let model = TunedModel {
            display_name: name.to_owned(),
            description: self.values[2].trim().to_owned(),
            base_model,
            tuned_model_source,
            tuning_task: Some(TuningTask {
                training_data: Some(Dataset::from_examples(training)),
                hyperparameters: Some(hyperparameters),
                ..Default::default()
            }),
            ..Default::default()
        };
        Ok(TuneRequest {
            model,
            id: (!id.is_empty()).then(|| id.to_owned()),
            held_out,
        })
    }
}

/// Splits `count` examples off for evaluation, chosen by a fixed-seed shuffle so the same set
/// and share always hold out the same examples; both parts keep the file's order.
pub fn split_held_out(
    examples: &[TuningExample],
    count: usize,
) -> (Vec<TuningExample>, Vec<TuningExample>) {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    let mut order: Vec<usize> = (0..examples.len()).collect();
    order.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(0));
    let mut held = vec![false; examples.len()];
    for &i in order.iter().take(count) {
        held[i] = true;
    }
    let (mut training, mut held_out) = (Vec::new(), Vec::new());
    for (example, held) in examples.iter().zip(held) {
        if held {
            held_out.push(example.clone());
        } else {
            training.push(example.clone());
        }
    }
    (training, held_out)
}

/// What the one-line prompt over the Dataset pane asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum PromptKind {
    Open,
    Export,
    Search,
    /// A CSV whose header names neither `text_input` nor `output`: which columns to use.
    Columns {
        path: PathBuf,
        columns: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: String,
    pub error: Option<String>,
    /// What a Tab completion matched, when more than one.
    pub candidates: Vec<String>,
}

impl Prompt {
    pub fn label(&self) -> &'static str {
        match self.kind {
            PromptKind::Open => "Open file",
            PromptKind::Export => "Export to (.jsonl, .json, .csv)",
            PromptKind::Search => "Search",
            PromptKind::Columns { .. } => "Columns for text_input,output",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct DatasetPane {
    pub dataset: Dataset,
    pub path: Option<PathBuf>,
    pub format: Option<Format>,
    pub selected: usize,
    /// Changed since the last save (or load).
    pub dirty: bool,
    pub issues: Vec<Issue>,
    /// The worst lint finding of each example, by index.
    pub marks: Vec<Option<Severity>>,
    pub stats: Stats,
    /// Why the file given at start could not be loaded.
    pub load_error: Option<String>,
    pub editor: Option<ExampleEditor>,
    /// Asking whether to quit with unsaved changes.
    pub confirm_quit: bool,
    /// The file's modification time when it was read or last saved: a save refuses to
    /// overwrite a file someone else changed since.
    pub disk_modified: Option<std::time::SystemTime>,
    /// The user saw that the file changed on disk and saves again: overwrite it.
    pub overwrite: bool,
    /// The start-tuning form, when open.
    pub tune: Option<TuneForm>,
    /// Marked examples (by index; cleared by any change that moves examples).
    pub marked: std::collections::BTreeSet<usize>,
    pub prompt: Option<Prompt>,
    /// The last search, for `n` and `N`.
    pub last_search: String,
}

impl DatasetPane {
    pub fn new(
        examples: Vec<TuningExample>,
        path: Option<PathBuf>,
        format: Option<Format>,
    ) -> Self {
        let mut pane = DatasetPane {
            dataset: Dataset::new(examples),
            path,
            format,
            ..Default::default()
        };
        pane.relint();
        pane
    }

    /// Recomputes the lint, marks and stats after a change.
    pub fn relint(&mut self) {
        let examples = &self.dataset.examples;
        (self.issues, self.stats) = lint::lint_and_stats(examples);
        self.marks = vec![None; examples.len()];
        for issue in &self.issues {
            if let Some(i) = issue.index
                && let Some(mark) = self.marks.get_mut(i)
            {
                *mark = (*mark).max(Some(issue.severity));
            }
        }
        self.selected = self.selected.min(examples.len().saturating_sub(1));
    }

    pub fn len(&self) -> usize {
        self.dataset.examples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dataset.examples.is_empty()
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.len().saturating_sub(1) as isize;
        self.selected = (self.selected as isize + delta).clamp(0, last.max(0)) as usize;
    }

    /// The findings about the selected example, and those about the whole set.
    pub fn issues_here(&self) -> impl Iterator<Item = &Issue> {
        self.issues
            .iter()
            .filter(|i| i.index.is_none() || i.index == Some(self.selected))
    }

    /// The file's format for saving (an API body is saved as a JSON array).
    pub fn save_format(&self) -> Format {
        match self.format {
            Some(Format::ApiBody) | None => Format::Json,
            Some(f) => f,
        }
    }
}
