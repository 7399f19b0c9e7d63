//! The Dataset pane's state: the examples being edited (with undo), where they came from,
//! their lint, and the editor of one example (two ratatui-textarea fields).

use crate::api::types::TuningExample;
use crate::app::form::{Fields, Focus, FormField};
use crate::dataset::Dataset;
use crate::dataset::format::Format;
use crate::dataset::lint::{self, Issue, Severity, Stats};
use crate::domain::limits::{
    DEFAULT_BASE_MODEL, DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, DEFAULT_LEARNING_RATE,
    MAX_DISPLAY_NAME_CHARS,
};
pub use crate::domain::tuning::TuneRequest;
use crate::domain::tuning::{
    LearningRate, Source, TuningField, TuningProblem, TuningSettings, held_out_count,
};
use ratatui_textarea::TextArea;
use std::path::PathBuf;

/// One example open for editing.
#[derive(Debug, Clone)]
pub struct ExampleEditor {
    pub index: usize,
    pub input: TextArea<'static>,
    pub output: TextArea<'static>,
    pub on_output: bool,
    /// A Vertex AI example's other turns and fields, kept as they were.
    pub vertex: Option<String>,
    /// A preference example's rejected answer, its third field (the first two are then the
    /// prompt's last user turn and the preferred answer), and its kept line.
    pub rejected: Option<(TextArea<'static>, String)>,
    /// The rejected answer has the focus (`on_output` is then false).
    pub on_rejected: bool,
    /// Each field as it was before a `$EDITOR` edit replaced it (the field, as
    /// [`ExampleEditor::focus`] numbers it): `ctrl-z` past the new text's own typing brings it
    /// back, as one step.
    pub before_external: Vec<(u8, TextArea<'static>)>,
}

impl ExampleEditor {
    /// Opens with the cursor at the end of each field, where typing usually goes on.
    pub fn new(index: usize, example: &TuningExample) -> Self {
        ExampleEditor {
            index,
            input: crate::app::line_edit::area_at_end(&example.text_input),
            output: crate::app::line_edit::area_at_end(&example.output),
            on_output: false,
            vertex: example.vertex.clone(),
            rejected: example.preference.as_ref().map(|p| {
                (
                    crate::app::line_edit::area_at_end(&p.rejected),
                    p.line.clone(),
                )
            }),
            on_rejected: false,
            before_external: Vec::new(),
        }
    }

    /// The example as typed; a preference example's kept line then holds the texts typed, so
    /// the example equals what its line reads back as (the journal's and a recovery's).
    pub fn example(&self) -> TuningExample {
        let typed = self.typed();
        match typed.preference {
            Some(_) => {
                crate::dataset::preference::PreferenceExample::from_editor(&typed).to_editor()
            }
            None => typed,
        }
    }

    fn typed(&self) -> TuningExample {
        TuningExample {
            vertex: self.vertex.clone(),
            preference: self.rejected.as_ref().map(|(area, line)| {
                Box::new(crate::api::types::PreferenceParts {
                    rejected: area.lines().join("\n"),
                    line: line.clone(),
                })
            }),
            ..TuningExample::new(
                self.input.lines().join("\n"),
                self.output.lines().join("\n"),
            )
        }
    }

    /// The focused field: 0 the input (or prompt), 1 the output (or preferred answer), 2 the
    /// rejected answer.
    pub fn focus(&self) -> u8 {
        match (self.on_rejected && self.rejected.is_some(), self.on_output) {
            (true, _) => 2,
            (false, true) => 1,
            (false, false) => 0,
        }
    }

    /// Tab: the next field (the rejected answer after the preferred one, when there is one).
    pub fn next_field(&mut self, forward: bool) {
        let count = if self.rejected.is_some() { 3 } else { 2 };
        let next = if forward {
            (self.focus() + 1) % count
        } else {
            (self.focus() + count - 1) % count
        };
        self.on_output = next == 1;
        self.on_rejected = next == 2;
    }

    /// The field numbered as [`ExampleEditor::focus`] numbers them.
    pub fn field_mut(&mut self, field: u8) -> &mut TextArea<'static> {
        match (field, &mut self.rejected) {
            (2, Some((area, _))) => area,
            (1, _) => &mut self.output,
            _ => &mut self.input,
        }
    }

    /// The focused field.
    pub fn focused_mut(&mut self) -> &mut TextArea<'static> {
        let field = self.focus();
        self.field_mut(field)
    }
}

/// The start-tuning form over the Dataset tab.
#[derive(Debug, Clone, PartialEq)]
pub struct TuneForm {
    /// The text fields, as typed.
    pub values: Fields<TuningField>,
    /// What can be tuned from: base models from models.list that support createTunedModel,
    /// then the caller's ACTIVE tuned models (`None` while loading).
    pub bases: Option<Vec<String>>,
    pub base: usize,
    /// A text field, or the source model (the form's choice, picked with ←/→).
    pub focus: Focus<TuningField>,
    pub error: Option<String>,
    /// The examples kept out of training by the last submit, written beside the dataset once
    /// the job starts.
    pub held_out: Vec<TuningExample>,
    /// The last step: what will be created (label, value rows), shown before anything is
    /// sent; `enter` there starts the job, `esc` goes back to the fields.
    pub review: Option<Vec<(String, String)>>,
    /// The create request is on its way: a second confirm would start a second job.
    pub starting: bool,
    /// The values that came from the remembered settings, marked as such while unchanged.
    pub remembered: Vec<(TuningField, String)>,
    /// The remembered model to tune from.
    pub remembered_source: Option<String>,
}

impl FormField for TuningField {
    const ALL: &'static [Self] = &[
        TuningField::DisplayName,
        TuningField::ModelId,
        TuningField::Description,
        TuningField::Epochs,
        TuningField::BatchSize,
        TuningField::LearningRate,
        TuningField::Multiplier,
        TuningField::HeldOut,
    ];

    fn label(self) -> &'static str {
        match self {
            TuningField::DisplayName => "Display name",
            TuningField::ModelId => "Model id",
            TuningField::Description => "Description",
            TuningField::Epochs => "Epochs",
            TuningField::BatchSize => "Batch size",
            TuningField::LearningRate => "Learning rate",
            TuningField::Multiplier => "LR multiplier",
            TuningField::HeldOut => "Held out %",
        }
    }
}

/// A tuning problem in the form's words: its labels, its limits.
pub fn describe_tuning_problem(problem: &TuningProblem) -> String {
    match problem {
        TuningProblem::NotANumber { field, text } => {
            format!("{}: {text:?} is not a number", field.label())
        }
        TuningProblem::DisplayNameTooLong { chars } => {
            format!("Display name: {chars} characters; the limit is {MAX_DISPLAY_NAME_CHARS}")
        }
        TuningProblem::InvalidModelId { id } => format!(
            "Model id {id:?}: lowercase letters, digits and hyphens, 1 to 40, starting with a letter"
        ),
        TuningProblem::EpochsOrBatchBelowOne => "Epochs and batch size must be at least 1".into(),
        TuningProblem::RateNotPositive => "Learning rate must be above 0".into(),
        TuningProblem::MultiplierNotPositive => "LR multiplier must be above 0".into(),
        TuningProblem::NoExamples => "The dataset has no examples".into(),
        TuningProblem::HeldOutOutOfRange { percent } => {
            format!("Held out %: {percent} is outside 0 to 99; the rest is what tunes")
        }
        TuningProblem::HeldOutLeavesNone { percent, examples } => {
            format!("Held out %: {percent}% of {examples} examples leaves none to tune on")
        }
    }
}

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
    /// The Vertex AI form's settings (bucket and prefix among them).
    #[serde(default)]
    pub vertex: Option<super::VertexTuneSettings>,
}

impl Default for TuneForm {
    fn default() -> Self {
        let mut form = TuneForm {
            values: Fields::default(),
            bases: None,
            base: 0,
            focus: Focus::default(),
            error: None,
            held_out: Vec::new(),
            review: None,
            starting: false,
            remembered: Vec::new(),
            remembered_source: None,
        };
        form.values
            .set(TuningField::Epochs, DEFAULT_EPOCHS.to_string());
        form.values
            .set(TuningField::BatchSize, DEFAULT_BATCH_SIZE.to_string());
        form.values
            .set(TuningField::LearningRate, DEFAULT_LEARNING_RATE.to_string());
        form.values.set(TuningField::HeldOut, "0");
        form
    }
}

impl TuneForm {
    pub fn base_model(&self) -> String {
        self.bases
            .as_ref()
            .and_then(|b| b.get(self.base).cloned())
            .unwrap_or_else(|| DEFAULT_BASE_MODEL.to_owned())
    }

    /// Starts from remembered settings; the source is picked when the list arrives.
    pub fn with_settings(settings: &TuneSettings) -> Self {
        let mut form = TuneForm::default();
        form.values
            .set(TuningField::Epochs, settings.epochs.clone());
        form.values
            .set(TuningField::BatchSize, settings.batch_size.clone());
        form.values
            .set(TuningField::LearningRate, settings.learning_rate.clone());
        form.values
            .set(TuningField::Multiplier, settings.multiplier.clone());
        form.values
            .set(TuningField::HeldOut, settings.held_out.clone());
        form.remembered = [
            (TuningField::Epochs, &settings.epochs),
            (TuningField::BatchSize, &settings.batch_size),
            (TuningField::LearningRate, &settings.learning_rate),
            (TuningField::Multiplier, &settings.multiplier),
            (TuningField::HeldOut, &settings.held_out),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(f, v)| (f, v.clone()))
        .collect();
        form.remembered_source = settings.source.clone();
        form
    }

    /// The field still holds the value remembered from the last job (not typed this time).
    pub fn is_remembered(&self, field: TuningField) -> bool {
        self.remembered
            .iter()
            .any(|(f, v)| *f == field && v == self.values.get(field))
    }

    /// The source model is the one remembered from the last job.
    pub fn source_is_remembered(&self) -> bool {
        self.remembered_source.as_deref() == Some(self.base_model().as_str())
    }

    /// The review step: what will be created, as label and value rows, or the first problem
    /// in the form's words (then the form stays on its fields).
    pub fn review_rows(&self, examples: &[TuningExample]) -> Result<Vec<(String, String)>, String> {
        // Every check the create makes, so the review never shows what would be refused.
        self.to_request(examples)?;
        let settings = self.typed().map_err(|p| describe_tuning_problem(&p))?;
        let n = examples.len();
        let held = self.held_out_count(n)?;
        let mark = |field: TuningField, text: String| {
            if self.is_remembered(field) {
                format!("{text}  (remembered)")
            } else {
                text
            }
        };
        let mut rows = vec![(
            "Source model".to_owned(),
            if self.source_is_remembered() {
                format!("{}  (remembered)", settings.source.name())
            } else {
                settings.source.name().to_owned()
            },
        )];
        rows.push(("Display name".into(), settings.display_name.clone()));
        rows.push((
            "Model id".into(),
            settings
                .model_id
                .clone()
                .unwrap_or_else(|| "(made from the display name when it is sent)".into()),
        ));
        rows.push((
            "Examples".into(),
            if held > 0 {
                format!("{} to tune on ({n} − {held} held out)", n - held)
            } else {
                n.to_string()
            },
        ));
        rows.push((
            "Epochs".into(),
            mark(TuningField::Epochs, settings.epochs.to_string()),
        ));
        rows.push((
            "Batch size".into(),
            mark(TuningField::BatchSize, settings.batch_size.to_string()),
        ));
        rows.push(match settings.learning_rate {
            LearningRate::Rate(r) => (
                "Learning rate".into(),
                mark(TuningField::LearningRate, r.to_string()),
            ),
            LearningRate::Multiplier(m) => (
                "LR multiplier".into(),
                mark(TuningField::Multiplier, format!("{m} (instead of a rate)")),
            ),
        });
        let steps = settings.total_steps(n).map_or("—".to_owned(), |s| {
            format!(
                "{s} = ceil({}×{}/{})",
                n - held,
                settings.epochs,
                settings.batch_size
            )
        });
        rows.push(("Total steps".into(), steps));
        Ok(rows)
    }

    pub fn settings(&self) -> TuneSettings {
        TuneSettings {
            epochs: self.values.get(TuningField::Epochs).to_owned(),
            batch_size: self.values.get(TuningField::BatchSize).to_owned(),
            learning_rate: self.values.get(TuningField::LearningRate).to_owned(),
            multiplier: self.values.get(TuningField::Multiplier).to_owned(),
            held_out: self.values.get(TuningField::HeldOut).to_owned(),
            source: Some(self.base_model()),
            vertex: None,
        }
    }

    fn number<T: std::str::FromStr>(&self, field: TuningField) -> Result<T, TuningProblem> {
        let text = self.values.get(field);
        text.trim().parse().map_err(|_| TuningProblem::NotANumber {
            field,
            text: text.to_owned(),
        })
    }

    fn held_out_percent(&self) -> Result<f64, TuningProblem> {
        if self.values.get(TuningField::HeldOut).trim().is_empty() {
            Ok(0.0)
        } else {
            self.number(TuningField::HeldOut)
        }
    }

    /// The form as typed settings, or the first field that does not parse.
    pub fn typed(&self) -> Result<TuningSettings, TuningProblem> {
        // A multiplier, when given, is sent instead of the rate (the API takes one of them).
        let learning_rate = if self.values.get(TuningField::Multiplier).trim().is_empty() {
            LearningRate::Rate(self.number(TuningField::LearningRate)?)
        } else {
            LearningRate::Multiplier(self.number(TuningField::Multiplier)?)
        };
        let id = self.values.get(TuningField::ModelId).trim();
        Ok(TuningSettings {
            display_name: self.values.get(TuningField::DisplayName).trim().to_owned(),
            model_id: (!id.is_empty()).then(|| id.to_owned()),
            description: self.values.get(TuningField::Description).trim().to_owned(),
            source: Source::from_name(&self.base_model()),
            epochs: self.number(TuningField::Epochs)?,
            batch_size: self.number(TuningField::BatchSize)?,
            learning_rate,
            held_out_percent: self.held_out_percent()?,
        })
    }

    /// How many of `examples` the held-out share keeps out (at least one when the share is
    /// above 0, never all of them).
    pub fn held_out_count(&self, examples: usize) -> Result<usize, String> {
        self.held_out_percent()
            .and_then(|percent| held_out_count(percent, examples))
            .map_err(|p| describe_tuning_problem(&p))
    }

    /// `ceil(N*E/B)` for the current values, when they parse; N leaves out the held-out share.
    pub fn total_steps(&self, examples: usize) -> Option<u64> {
        self.typed().ok()?.total_steps(examples)
    }

    /// The create request, or the first problem in the form's words.
    pub fn to_request(&self, examples: &[TuningExample]) -> Result<TuneRequest, String> {
        self.typed()
            .and_then(|settings| settings.to_request(examples))
            .map_err(|p| describe_tuning_problem(&p))
    }
}

/// What the one-line prompt over the Dataset pane asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum PromptKind {
    Open,
    Export,
    /// Where to save a dataset that has no file yet (or recovered edits, under a new name).
    SaveAs,
    Search,
    /// A Vertex AI system instruction for the marked examples (or the selected one), or for
    /// every example (`all`); blank removes it.
    System {
        all: bool,
    },
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
    /// The input is a suggestion, shown selected: the first character typed replaces it
    /// (as a file dialog's selected name), `tab` or a cursor key keeps it to edit.
    pub suggested: bool,
    /// The export asked whether to make this missing folder: enter again makes it.
    pub make_folder: Option<PathBuf>,
}

impl Prompt {
    pub fn label(&self) -> &'static str {
        match self.kind {
            PromptKind::Open => "Open file",
            PromptKind::Export => "Export to (.jsonl, .json, .csv, .vertex.jsonl)",
            PromptKind::SaveAs => "Save as (.jsonl, .json, .csv, .vertex.jsonl)",
            PromptKind::Search => "Search",
            PromptKind::Columns { .. } => "Columns for text_input,output",
            PromptKind::System { all: true } => "System instruction for every example",
            PromptKind::System { all: false } => "System instruction",
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
    /// Vertex AI is chosen: its limits are checked, not the Gemini API's.
    pub vertex_rules: bool,
    /// The start-tuning form with Vertex AI chosen.
    pub vertex_tune: Option<super::VertexTuneForm>,
    /// Marked examples (by index; cleared by any change that moves examples).
    pub marked: std::collections::BTreeSet<usize>,
    pub prompt: Option<Prompt>,
    /// The file's JSON lines have a space after `:` and `,`: saving writes them so.
    pub spaced_json: bool,
    /// The last search, for `n` and `N`.
    pub last_search: String,
    /// The file as it was read or last saved (size, time, content hash): the journal records
    /// it, so a recovery can tell whether the file changed outside since.
    pub base: Option<crate::dataset::base::FileBase>,
    /// What a save in flight writes: its base (the time is added once it is on disk), and
    /// where and how, so a save-as makes the dataset that file's.
    pub saving: Option<super::Saving>,
    /// Recovered edits whose file changed outside since they were made: the question asked.
    pub conflict: Option<super::RecoveryConflict>,
    /// A file `o` is reading: keys that would change the dataset wait for it.
    pub loading: Option<PathBuf>,
    /// A Vertex file's lines by the example each was read as: saving writes the examples
    /// nobody edited back byte for byte.
    pub kept_lines: Option<std::sync::Arc<std::collections::HashMap<TuningExample, String>>>,
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
        if self.is_preference() {
            // The pair lint's limits are the Gemini API's; a preference set has its own rules.
            self.issues = crate::dataset::preference::editor_lint(&self.dataset.examples);
        } else if self.vertex_rules {
            let issues = std::mem::take(&mut self.issues);
            self.issues = crate::dataset::vertex::editor_lint(examples, issues);
        }
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

    /// The examples are preference (DPO) examples: a prompt, a preferred and a rejected answer.
    pub fn is_preference(&self) -> bool {
        self.format == Some(Format::Preference)
            || self
                .dataset
                .examples
                .first()
                .is_some_and(|e| e.preference.is_some())
    }

    /// The file's format for saving (an API body is saved as a JSON array).
    pub fn save_format(&self) -> Format {
        match self.format {
            Some(Format::ApiBody) | None => Format::Json,
            Some(f) => f,
        }
    }
}
