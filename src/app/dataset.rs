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
        self.issues = lint::lint(examples);
        self.marks = vec![None; examples.len()];
        for issue in &self.issues {
            if let Some(i) = issue.index
                && let Some(mark) = self.marks.get_mut(i)
            {
                *mark = (*mark).max(Some(issue.severity));
            }
        }
        self.stats = lint::stats(examples);
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
