//! The autosave journal and what a restart makes of it. The journal's first line names the
//! file the edits belong to and what that file was when they began (size, time, content
//! hash); the rest are the examples. A recovery compares that base with the file on disk: the
//! same, and the edits come back as unsaved changes; changed (or removed, or made since), and
//! the edits come back behind a question, so nothing is written over the file without one.

use crate::api::types::TuningExample;
use crate::app::dataset::DatasetPane;
use crate::dataset::base::FileBase;
use crate::dataset::format::{self, Format};
use std::path::{Path, PathBuf};

/// The first line of the autosave journal: which file the edits belong to, and what it was.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct JournalHeader {
    pub tunedeck_journal: u32,
    pub source: Option<PathBuf>,
    /// The file when it was opened or last saved; `None` for a file that did not exist yet.
    #[serde(default)]
    pub base: Option<FileBase>,
}

/// The journal's content: a header line, then the examples as JSONL.
pub fn journal_text(
    source: Option<&PathBuf>,
    base: Option<&FileBase>,
    examples: &[TuningExample],
) -> String {
    let header = JournalHeader {
        tunedeck_journal: 1,
        source: source.cloned(),
        base: base.cloned(),
    };
    // Vertex AI examples with more than a pair in them are journalled as Vertex lines, so a
    // crash loses none of their turns.
    // Preference examples as preference lines, their rejected answers and all.
    let format = if examples.iter().any(|e| e.preference.is_some()) {
        Format::Preference
    } else if examples.iter().any(|e| e.vertex.is_some()) {
        Format::Vertex
    } else {
        Format::Jsonl
    };
    serde_json::to_string(&header).unwrap_or_default() + "\n" + &format::write(examples, format)
}

/// Reads a journal back; `None` when the text is not one.
pub fn parse_journal(text: &str) -> Option<(JournalHeader, Vec<TuningExample>)> {
    let (first, rest) = text.split_once('\n')?;
    let header: JournalHeader = serde_json::from_str(first).ok()?;
    let format = if crate::dataset::preference::is_preference_jsonl(rest) {
        Format::Preference
    } else if crate::dataset::vertex::is_vertex_jsonl(rest) {
        Format::Vertex
    } else {
        Format::Jsonl
    };
    let examples = format::parse("journal", rest, format, None).ok()?;
    Some((header, examples))
}

/// What a save in flight writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Saving {
    /// The undo depth of the examples written.
    pub depth: usize,
    pub path: PathBuf,
    pub format: Format,
    /// The content's base (its time is the file's once written).
    pub base: FileBase,
}

/// The file a recovery is for, as it is on disk now.
#[derive(Debug, Clone, PartialEq)]
pub struct OnDisk {
    /// `None`: there is no such file.
    pub base: Option<FileBase>,
    /// How many examples it holds, or why it does not parse.
    pub examples: Result<usize, String>,
    /// Its JSON lines are spaced (`{"a": 1}`): saving keeps that.
    pub spaced: bool,
    /// The format it was read as (a Vertex file may be named `.jsonl`).
    pub format: Option<Format>,
    /// A Vertex file's lines by example ([`format::read_kept_lines`]).
    pub kept_lines: Option<std::collections::HashMap<TuningExample, String>>,
}

/// Recovered edits whose file changed outside since they were made: what the question says.
#[derive(Debug, Clone, PartialEq)]
pub struct RecoveryConflict {
    pub path: PathBuf,
    /// Examples in the recovered edits.
    pub recovered: usize,
    /// The file now: its examples (or why it does not parse); `None` when it is gone.
    pub on_disk: Option<Result<usize, String>>,
    /// How the file differs from when the edits began.
    pub change: Change,
    /// `o` was pressed: the second question, before overwriting.
    pub asking_overwrite: bool,
    /// Put aside with esc: the edits stay unsaved, and a save asks again.
    pub hidden: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Changed,
    Removed,
    /// The edits were for a new file, and a file of that name exists now.
    Created,
}

impl RecoveryConflict {
    /// The question's lines: what happened, both counts, and the choices.
    pub fn lines(&self) -> Vec<String> {
        let name = self.path.display();
        let what = match self.change {
            Change::Changed => format!("{name} changed on disk after these edits were made."),
            Change::Removed => format!("{name} was removed after these edits were made."),
            Change::Created => {
                format!("{name} was created by something else after these edits began.")
            }
        };
        let now = match &self.on_disk {
            None => "gone".to_owned(),
            Some(Ok(n)) => crate::domain::words::count(*n as u64, "example"),
            Some(Err(e)) => format!("a file that does not load ({e})"),
        };
        vec![
            what,
            format!(
                "Recovered edits: {} · on disk now: {now}",
                crate::domain::words::count(self.recovered as u64, "example")
            ),
        ]
    }
}

/// The pane a restart opens with the journal's edits, and what to say: plain unsaved changes
/// when the file is as it was when they began, else the same edits behind a question.
pub fn recover(
    header: JournalHeader,
    examples: Vec<TuningExample>,
    on_disk: Option<OnDisk>,
) -> (DatasetPane, String) {
    let format = on_disk
        .as_ref()
        .and_then(|d| d.format)
        .or_else(|| header.source.as_deref().and_then(Format::from_path));
    let count = examples.len();
    let mut pane = DatasetPane::new(examples, header.source.clone(), format);
    pane.dirty = true;
    pane.dataset.forget_saved();
    let disk_base = on_disk.as_ref().and_then(|d| d.base.clone());
    pane.spaced_json = on_disk.as_ref().is_some_and(|d| d.spaced);
    let change = match (&header.source, &header.base, &disk_base) {
        (None, _, _) => None,
        (Some(_), Some(then), Some(now)) if then.same_content(now) => None,
        (Some(_), Some(_), Some(_)) => Some(Change::Changed),
        (Some(_), Some(_), None) => Some(Change::Removed),
        (Some(_), None, Some(_)) => Some(Change::Created),
        (Some(_), None, None) => None,
    };
    let source = header
        .source
        .as_ref()
        .map(|s| format!(" to {}", s.display()))
        .unwrap_or_default();
    let Some(change) = change else {
        // The file is as the edits found it: saving over it loses nothing of anyone else's.
        pane.disk_modified = disk_base.as_ref().and_then(FileBase::modified_time);
        pane.base = disk_base;
        // The file is as the edits found it: its unedited lines are still its own.
        pane.kept_lines = on_disk.and_then(|d| d.kept_lines).map(std::sync::Arc::new);
        let message = format!(
            "Recovered {count} examples with unsaved edits{source} from the autosave journal"
        );
        return (pane, message);
    };
    // The base the edits were made from stays theirs: a save compares with it and refuses.
    pane.disk_modified = header.base.as_ref().and_then(FileBase::modified_time);
    pane.base = header.base.clone();
    let path = header.source.unwrap_or_default();
    let conflict = RecoveryConflict {
        path: path.clone(),
        recovered: count,
        on_disk: on_disk.filter(|d| d.base.is_some()).map(|d| d.examples),
        change,
        asking_overwrite: false,
        hidden: false,
    };
    let message = format!(
        "Recovered {count} examples with unsaved edits{source}, but {} since: nothing is saved over it without a question",
        match change {
            Change::Changed => "it changed on disk",
            Change::Removed => "it was removed",
            Change::Created => "a file was made there",
        }
    );
    pane.conflict = Some(conflict);
    (pane, message)
}

/// Reads what a recovery compares with: the file's base and example count now.
pub fn on_disk(path: &Path) -> OnDisk {
    let base = FileBase::read(path);
    let read = match base {
        Some(_) => format::read_file(path, None, None)
            .map(|(e, f)| (e.len(), Some(f)))
            .map_err(|e| e.to_string()),
        None => Ok((0, None)),
    };
    let format = read.as_ref().ok().and_then(|(_, f)| *f);
    OnDisk {
        base,
        examples: read.map(|(n, _)| n),
        spaced: format::spaced_json_style(path),
        format,
        kept_lines: format.and_then(|f| format::read_kept_lines(path, f)),
    }
}
