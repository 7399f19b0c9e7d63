//! Datasets of `text_input`/`output` pairs: reading and writing every format, the lint, and
//! editing with undo and redo.

pub mod base;
pub mod format;
pub mod import_error;
pub mod kept_lines;
pub mod lint;
pub mod preference;
pub mod vertex;
pub mod vertex_tokens;

use crate::api::types::TuningExample;

/// A name made safe to be a file's: anything but letters, digits, `-`, `_` and `.` becomes `-`
/// (a display name may hold `/` or spaces), never empty or a dot-file.
pub fn safe_file_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let stem = stem.trim_start_matches('.');
    if stem.is_empty() {
        "job".to_owned()
    } else {
        stem.to_owned()
    }
}

/// Where the examples held out of a tuning job go: beside the dataset, as `NAME.heldout.jsonl`.
pub fn held_out_path(dataset: Option<&std::path::Path>) -> std::path::PathBuf {
    match dataset {
        Some(path) => {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "dataset".into());
            path.with_file_name(format!("{stem}.heldout.jsonl"))
        }
        None => std::path::PathBuf::from("dataset.heldout.jsonl"),
    }
}

/// One reversible change to a dataset. Undo applies the inverse, so memory grows with what was
/// changed, not with the dataset's size.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    Insert {
        at: usize,
        examples: Vec<TuningExample>,
    },
    Remove {
        at: usize,
        examples: Vec<TuningExample>,
    },
    Replace {
        at: usize,
        before: TuningExample,
        after: TuningExample,
    },
    Move {
        from: usize,
        to: usize,
    },
    /// Several changes that undo and redo as one (deleting marked examples).
    Batch(Vec<Edit>),
}

impl Edit {
    fn inverse(&self) -> Edit {
        match self.clone() {
            Edit::Insert { at, examples } => Edit::Remove { at, examples },
            Edit::Remove { at, examples } => Edit::Insert { at, examples },
            Edit::Replace { at, before, after } => Edit::Replace {
                at,
                before: after,
                after: before,
            },
            Edit::Move { from, to } => Edit::Move { from: to, to: from },
            Edit::Batch(edits) => Edit::Batch(edits.iter().rev().map(Edit::inverse).collect()),
        }
    }
}

/// Examples with an undo and a redo stack.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    pub examples: Vec<TuningExample>,
    undo: Vec<Edit>,
    redo: Vec<Edit>,
    /// How many edits the undo stack held when the examples last matched the file (`None`:
    /// that point can no longer be reached by undo or redo).
    saved_at: Option<usize>,
}

impl Dataset {
    pub fn new(examples: Vec<TuningExample>) -> Self {
        Dataset {
            examples,
            undo: Vec::new(),
            redo: Vec::new(),
            saved_at: Some(0),
        }
    }

    /// Applies an edit; false (and nothing changed) when it does not fit the dataset.
    fn apply(&mut self, edit: &Edit) -> bool {
        let len = self.examples.len();
        match edit {
            Edit::Insert { at, examples } if *at <= len => {
                self.examples.splice(*at..*at, examples.iter().cloned());
            }
            Edit::Remove { at, examples } if at + examples.len() <= len => {
                self.examples.drain(*at..*at + examples.len());
            }
            Edit::Replace { at, after, .. } if *at < len => self.examples[*at] = after.clone(),
            Edit::Move { from, to } if *from < len && *to < len => {
                let item = self.examples.remove(*from);
                self.examples.insert(*to, item);
            }
            // The parts were made against the state each one leaves, so they always fit.
            Edit::Batch(edits) => return edits.iter().all(|e| self.apply(e)),
            _ => return false,
        }
        true
    }

    /// Makes a change that can be undone; a new change clears the redo stack.
    pub fn edit(&mut self, edit: Edit) -> bool {
        if !self.apply(&edit) {
            return false;
        }
        // A new change after undoing past the saved point leaves that point behind for good.
        if self.saved_at.is_some_and(|at| at > self.undo.len()) {
            self.saved_at = None;
        }
        self.undo.push(edit);
        self.redo.clear();
        true
    }

    /// The examples are not what any file holds (recovered from a journal).
    pub fn forget_saved(&mut self) {
        self.saved_at = None;
    }

    /// True when undo and redo have brought the examples back to what was last saved.
    pub fn is_as_saved(&self) -> bool {
        self.saved_at == Some(self.undo.len())
    }

    /// The undo depth now, to mark as saved once a save of these examples succeeds.
    pub fn depth(&self) -> usize {
        self.undo.len()
    }

    /// Marks the state `depth` edits deep as saved (the save of it succeeded).
    pub fn mark_saved_at(&mut self, depth: usize) {
        self.saved_at = Some(depth);
    }

    pub fn insert(&mut self, at: usize, examples: Vec<TuningExample>) -> bool {
        self.edit(Edit::Insert { at, examples })
    }

    pub fn remove(&mut self, at: usize, count: usize) -> bool {
        let Some(examples) = self.examples.get(at..at + count).map(<[_]>::to_vec) else {
            return false;
        };
        self.edit(Edit::Remove { at, examples })
    }

    /// Removes the examples at these indices (any order, duplicates ignored) as one change.
    pub fn remove_many(&mut self, indices: &[usize]) -> bool {
        let mut sorted: Vec<usize> = indices
            .iter()
            .copied()
            .filter(|i| *i < self.examples.len())
            .collect();
        sorted.sort_unstable();
        sorted.dedup();
        // From the last to the first, so each index is still right when its turn comes.
        let parts: Vec<Edit> = sorted
            .iter()
            .rev()
            .map(|&at| Edit::Remove {
                at,
                examples: vec![self.examples[at].clone()],
            })
            .collect();
        !parts.is_empty() && self.edit(Edit::Batch(parts))
    }

    pub fn replace(&mut self, at: usize, after: TuningExample) -> bool {
        let Some(before) = self.examples.get(at).cloned() else {
            return false;
        };
        before != after && self.edit(Edit::Replace { at, before, after })
    }

    /// Replaces several examples as one change (those equal to what is there are left out).
    pub fn replace_many(&mut self, changes: Vec<(usize, TuningExample)>) -> bool {
        let parts: Vec<Edit> = changes
            .into_iter()
            .filter_map(|(at, after)| {
                let before = self.examples.get(at)?.clone();
                (before != after).then_some(Edit::Replace { at, before, after })
            })
            .collect();
        !parts.is_empty() && self.edit(Edit::Batch(parts))
    }

    pub fn duplicate(&mut self, at: usize) -> bool {
        let Some(copy) = self.examples.get(at).cloned() else {
            return false;
        };
        self.insert(at + 1, vec![copy])
    }

    pub fn move_to(&mut self, from: usize, to: usize) -> bool {
        from != to && self.edit(Edit::Move { from, to })
    }

    /// Undoes the last change; returns it.
    pub fn undo(&mut self) -> Option<Edit> {
        let edit = self.undo.pop()?;
        self.apply(&edit.inverse());
        self.redo.push(edit.clone());
        Some(edit)
    }

    /// Redoes the last undone change; returns it.
    pub fn redo(&mut self) -> Option<Edit> {
        let edit = self.redo.pop()?;
        self.apply(&edit);
        self.undo.push(edit.clone());
        Some(edit)
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }
}
