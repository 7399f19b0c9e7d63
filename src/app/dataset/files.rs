//! The Dataset pane's one-line prompt: open a file (with path completion), export to a file,
//! search, and choose the CSV columns when a file's header names neither `text_input` nor
//! `output`. Files are read and written by the worker; the prompt only names them.

use crate::app::dataset::{Prompt, PromptKind};
use crate::app::{App, Level, Pending};
use crate::dataset::format::{self, Format, Mapping};
use crate::protocol::{Cmd, DatasetFile};
use crossterm::event::{KeyCode, KeyEvent};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `~/x` → the home directory's `x`; anything else as typed.
pub fn expand_home(input: &str) -> PathBuf {
    match input.strip_prefix("~/") {
        Some(rest) => directories::BaseDirs::new()
            .map(|d| d.home_dir().join(rest))
            .unwrap_or_else(|| PathBuf::from(input)),
        None => PathBuf::from(input),
    }
}

/// Completes a typed path the way a shell does: to the one entry it starts (a directory gets a
/// `/`), or to the longest prefix the entries share. Returns the completed text and the names
/// that matched. This lists one directory: small synchronous I/O, on a key press only.
pub fn complete_path(input: &str) -> (String, Vec<String>) {
    let (dir_part, prefix) = match input.rfind('/') {
        Some(i) => (&input[..=i], &input[i + 1..]),
        None => ("", input),
    };
    let dir = if dir_part.is_empty() {
        PathBuf::from(".")
    } else {
        expand_home(dir_part)
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return (input.to_owned(), Vec::new());
    };
    let mut matches: Vec<(String, bool)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let hidden = name.starts_with('.') && !prefix.starts_with('.');
            (name.starts_with(prefix) && !hidden)
                .then(|| (name, e.file_type().is_ok_and(|t| t.is_dir())))
        })
        .collect();
    matches.sort();
    let names: Vec<String> = matches
        .iter()
        .map(|(n, d)| if *d { format!("{n}/") } else { n.clone() })
        .collect();
    let completed = match names.as_slice() {
        [] => prefix.to_owned(),
        [one] => one.clone(),
        [first, rest @ ..] => rest.iter().fold(first.clone(), |acc, n| {
            acc.chars()
                .zip(n.chars())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a)
                .collect()
        }),
    };
    (format!("{dir_part}{completed}"), names)
}

/// The next example (after `from`, wrapping) whose input or output (or a preference example's
/// rejected answer) contains `query`, ignoring case; backwards when `forward` is false.
pub fn find_example(
    examples: &[crate::api::types::TuningExample],
    query: &str,
    from: usize,
    forward: bool,
) -> Option<usize> {
    let needle = query.to_lowercase();
    if needle.is_empty() || examples.is_empty() {
        return None;
    }
    let n = examples.len();
    let hit = |i: usize| {
        let e = &examples[i];
        e.text_input.to_lowercase().contains(&needle)
            || e.output.to_lowercase().contains(&needle)
            || e.preference
                .as_ref()
                .is_some_and(|p| p.rejected.to_lowercase().contains(&needle))
    };
    (1..=n)
        .map(|k| {
            if forward {
                (from + k) % n
            } else {
                (from + n * 2 - k) % n
            }
        })
        .find(|&i| hit(i))
}

/// `question, answer` → the mapping of input and output columns.
pub fn parse_columns(input: &str, columns: &[String]) -> Result<Mapping, String> {
    let parts: Vec<&str> = input.split(',').map(str::trim).collect();
    let [input_col, output_col] = parts.as_slice() else {
        return Err("type the input column, a comma, and the output column".into());
    };
    for name in [input_col, output_col] {
        if !columns.iter().any(|c| c == name) {
            return Err(format!(
                "no column {name:?}; the file has {}",
                columns.join(", ")
            ));
        }
    }
    Ok(Mapping {
        input: (*input_col).to_owned(),
        output: (*output_col).to_owned(),
    })
}

impl App {
    pub(in crate::app) fn open_prompt(&mut self, kind: PromptKind) {
        let input = match &kind {
            // A new search starts empty (the last one is shown, and enter on nothing repeats
            // it), rather than appending to the old query.
            PromptKind::Search => String::new(),
            PromptKind::Export => self
                .dataset
                .path
                .as_ref()
                .map(|p| p.with_extension("csv").display().to_string())
                .unwrap_or_default(),
            // The instruction there is now, to edit rather than retype.
            PromptKind::System { all } => {
                let pane = &self.dataset;
                let at = if *all { 0 } else { pane.selected };
                pane.dataset
                    .examples
                    .get(at)
                    .and_then(|e| match e.preference {
                        Some(_) => crate::dataset::preference::PreferenceExample::from_editor(e)
                            .system_instruction(),
                        None => crate::dataset::vertex::VertexExample::from_editor(e)
                            .system_instruction(),
                    })
                    .unwrap_or_default()
            }
            _ => String::new(),
        };
        // The export's name is a suggestion: typing replaces it.
        let suggested = kind == PromptKind::Export && !input.is_empty();
        self.dataset.prompt = Some(Prompt {
            kind,
            input,
            error: None,
            candidates: Vec::new(),
            suggested,
            make_folder: None,
        });
    }

    /// Keys while the prompt is open.
    pub(in crate::app) fn on_prompt_input(
        &mut self,
        key: KeyEvent,
        now: Instant,
    ) -> Option<Vec<Cmd>> {
        let prompt = self.dataset.prompt.as_mut()?;
        let typing = matches!(key.code, KeyCode::Char(_))
            && !key.modifiers.intersects(
                crossterm::event::KeyModifiers::CONTROL | crossterm::event::KeyModifiers::ALT,
            );
        match key.code {
            KeyCode::Esc => {
                // Recovered edits put aside for a save-as: the question comes back.
                if prompt.kind == PromptKind::SaveAs
                    && let Some(conflict) = self.dataset.conflict.as_mut()
                {
                    conflict.hidden = false;
                }
                self.dataset.prompt = None;
            }
            KeyCode::Tab
                if matches!(
                    prompt.kind,
                    PromptKind::Open | PromptKind::Export | PromptKind::SaveAs
                ) =>
            {
                let (completed, names) = complete_path(&prompt.input);
                prompt.input = completed;
                prompt.suggested = false;
                self.line_cursor = None;
                prompt.candidates = if names.len() > 1 { names } else { Vec::new() };
            }
            KeyCode::Enter => return Some(self.submit_prompt(now)),
            _ => {
                if prompt.suggested && typing {
                    // What is typed replaces the suggestion, as in a file dialog.
                    prompt.input.clear();
                    self.line_cursor = None;
                }
                prompt.suggested = false;
                if crate::app::line_edit::edit_line(&mut prompt.input, &mut self.line_cursor, &key)
                {
                    prompt.error = None;
                    prompt.make_folder = None;
                    prompt.candidates.clear();
                }
            }
        }
        Some(Vec::new())
    }

    fn submit_prompt(&mut self, now: Instant) -> Vec<Cmd> {
        let Some(prompt) = self.dataset.prompt.take() else {
            return Vec::new();
        };
        let text = prompt.input.trim().to_owned();
        let reopen = |app: &mut App, error: String| {
            app.dataset.prompt = Some(Prompt {
                error: Some(error),
                ..prompt.clone()
            });
            Vec::new()
        };
        match &prompt.kind {
            PromptKind::System { all } => {
                let pane = &self.dataset;
                let targets: Vec<usize> = if *all {
                    (0..pane.len()).collect()
                } else if !pane.marked.is_empty() {
                    pane.marked.iter().copied().collect()
                } else {
                    vec![pane.selected]
                };
                let instruction = (!text.is_empty()).then_some(text.as_str());
                let changes: Vec<(usize, crate::api::types::TuningExample)> = targets
                    .iter()
                    .filter_map(|&i| {
                        let example = pane.dataset.examples.get(i)?;
                        let changed = match example.preference {
                            Some(_) => {
                                crate::dataset::preference::PreferenceExample::from_editor(example)
                                    .with_system_instruction(instruction)
                                    .to_editor()
                            }
                            None => crate::dataset::vertex::VertexExample::from_editor(example)
                                .with_system_instruction(instruction)
                                .to_editor(),
                        };
                        Some((i, changed))
                    })
                    .collect();
                if !self.dataset.dataset.replace_many(changes) {
                    return Vec::new();
                }
                let said = match (instruction, targets.len()) {
                    (Some(_), 1) => format!("System instruction set on example {}", targets[0] + 1),
                    (Some(_), n) => format!("System instruction set on {n} examples"),
                    (None, 1) => {
                        format!("System instruction removed from example {}", targets[0] + 1)
                    }
                    (None, n) => format!("System instruction removed from {n} examples"),
                };
                self.toast(format!("{said} (u undoes)"), Level::Info, now);
                self.dataset_changed()
            }
            PromptKind::Search => {
                if !text.is_empty() {
                    self.dataset.last_search = text;
                }
                self.search(true, now);
                Vec::new()
            }
            PromptKind::Open if self.dataset.dirty => {
                reopen(self, super::update::UNSAVED_BEFORE_OPEN.into())
            }
            PromptKind::Open if text.is_empty() => reopen(self, "type a file's path".into()),
            PromptKind::SaveAs => match self.save_as(&text, now) {
                Ok(cmds) => cmds,
                Err(e) => reopen(self, e),
            },
            PromptKind::Open => {
                let path = expand_home(&text);
                if path.is_dir() {
                    return reopen(self, format!("{} is a folder", path.display()));
                }
                if text.ends_with('/') {
                    // Not a folder that exists, and never a file: a new dataset there could
                    // not be saved.
                    return reopen(
                        self,
                        format!(
                            "{text} names a folder, and there is none: name a file (a new one is fine)"
                        ),
                    );
                }
                if !path.exists() {
                    // A new, empty dataset that will be saved there.
                    let format = Format::from_path(&path).unwrap_or(Format::Jsonl);
                    self.replace_dataset(path.clone(), Vec::new(), format, None);
                    self.toast(
                        format!("New dataset; ctrl-s saves it to {}", path.display()),
                        Level::Info,
                        now,
                    );
                    return Vec::new();
                }
                self.read_dataset(path, None)
            }
            PromptKind::Columns { path, columns } => match parse_columns(&text, columns) {
                Ok(mapping) => self.read_dataset(path.clone(), Some(mapping)),
                Err(e) => reopen(self, e),
            },
            PromptKind::Export => {
                let path = expand_home(&text);
                let format = match Format::from_path(&path) {
                    Some(f) => f,
                    None => {
                        return reopen(
                            self,
                            "name the file .jsonl, .json, .csv or .vertex.jsonl: its extension picks the format"
                                .into(),
                        );
                    }
                };
                let pane = &self.dataset;
                let chosen: Vec<_> = if pane.marked.is_empty() {
                    pane.dataset.examples.clone()
                } else {
                    pane.marked
                        .iter()
                        .filter_map(|&i| pane.dataset.examples.get(i).cloned())
                        .collect()
                };
                let format = format::writing_format(&chosen, format);
                if let Some(n) = format::first_preference_unkept(&chosen, format) {
                    return reopen(
                        self,
                        format!(
                            "example {n} is a preference example (a prompt, a preferred and a rejected answer) that {} cannot hold; name the file .jsonl or .preference.jsonl",
                            format.name()
                        ),
                    );
                }
                if let Some(n) = format::first_unkept(&chosen, format) {
                    return reopen(
                        self,
                        format!(
                            "example {n} has Vertex AI turns or a system instruction that {} cannot hold; name the file .vertex.jsonl",
                            format.name()
                        ),
                    );
                }
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
                    && !parent.is_dir()
                    && prompt.make_folder.as_deref() != Some(parent)
                {
                    let question = format!(
                        "there is no folder {}: enter again makes it, or edit the path",
                        parent.display()
                    );
                    self.dataset.prompt = Some(Prompt {
                        error: Some(question),
                        make_folder: Some(parent.to_owned()),
                        ..prompt.clone()
                    });
                    return Vec::new();
                }
                let text = format::write(&chosen, format);
                let id = self.next_request;
                self.next_request += 1;
                self.pending.insert(id, Pending::Export);
                vec![Cmd::WriteFile {
                    id,
                    path,
                    contents: text.into_bytes(),
                }]
            }
        }
    }

    /// Reads a file in the worker; until it arrives, keys that would change the dataset on
    /// screen wait (they would change one about to be replaced, and journal it).
    pub(super) fn read_dataset(&mut self, path: PathBuf, mapping: Option<Mapping>) -> Vec<Cmd> {
        self.dataset.loading = Some(path.clone());
        let id = self.next_request;
        self.next_request += 1;
        self.pending.insert(id, Pending::ReadDataset);
        vec![Cmd::ReadDataset { id, path, mapping }]
    }

    /// `/`'s query again, forwards (`n`) or backwards (`N`).
    pub(in crate::app) fn search(&mut self, forward: bool, now: Instant) {
        let pane = &mut self.dataset;
        let query = pane.last_search.clone();
        if query.is_empty() {
            self.open_prompt(PromptKind::Search);
            return;
        }
        match find_example(&pane.dataset.examples, &query, pane.selected, forward) {
            Some(i) => pane.selected = i,
            None => self.toast(format!("No example contains {query:?}"), Level::Info, now),
        }
    }

    /// A file opened from the prompt arrived, or why it did not: nothing is loaded from a bad
    /// file, and a CSV with unknown columns asks which ones to use.
    pub(in crate::app) fn dataset_read(
        &mut self,
        path: &Path,
        result: Result<DatasetFile, format::ImportError>,
        now: Instant,
    ) {
        self.dataset.loading = None;
        match result {
            Ok(file) => {
                let count = file.examples.len();
                self.replace_dataset(path.to_owned(), file.examples, file.format, file.modified);
                self.dataset.spaced_json = file.spaced;
                self.dataset.base = file.base;
                self.dataset.kept_lines = file.kept_lines.map(std::sync::Arc::new);
                self.toast(
                    format!(
                        "Opened {} ({}): {}",
                        path.display(),
                        file.format.name(),
                        crate::domain::words::count(count as u64, "example")
                    ),
                    Level::Info,
                    now,
                );
            }
            Err(e) => match e.csv_columns.clone() {
                Some(columns) => {
                    self.dataset.prompt = Some(Prompt {
                        kind: PromptKind::Columns {
                            path: path.to_owned(),
                            columns: columns.clone(),
                        },
                        input: String::new(),
                        error: Some(format!("{e}; columns: {}", columns.join(", "))),
                        candidates: Vec::new(),
                        suggested: false,
                        make_folder: None,
                    });
                }
                None => self.toast(
                    format!("Nothing loaded: {e}"),
                    Level::Error,
                    now + std::time::Duration::from_secs(10),
                ),
            },
        }
    }

    /// Puts a whole new dataset in the pane (the old one had no unsaved changes).
    pub(super) fn replace_dataset(
        &mut self,
        path: PathBuf,
        examples: Vec<crate::api::types::TuningExample>,
        format: Format,
        modified: Option<std::time::SystemTime>,
    ) {
        let mut pane = crate::app::dataset::DatasetPane::new(examples, Some(path), Some(format));
        pane.disk_modified = modified;
        pane.last_search = std::mem::take(&mut self.dataset.last_search);
        if self.dataset.vertex_rules {
            pane.vertex_rules = true;
            pane.relint();
        }
        self.dataset = pane;
        self.tab = crate::app::Tab::Dataset;
    }
}
