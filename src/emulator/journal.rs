//! Durability (a 2xx means the change is on disk). Every acknowledged
//! change is appended to a journal beside the state file (`STATE.journal`, one JSON line per
//! change) and fsynced before the answer leaves; from time to time, and at start and shutdown,
//! the journal is folded into the state file (written atomically) and emptied, as databases do
//! with a write-ahead log. Training steps are appended in batches, and flushed before any answer
//! that shows them, so a restarted job never shows fewer steps than a client has seen.

use super::cloud::{ScalarPoint, StoredObject, VertexJob, VertexJobState};
use super::store::{Job, Record, Store};
use crate::api::types::{Permission, TunedModel};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// One change, as written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Entry {
    /// A new record, with its training examples.
    Put(Box<Record>),
    /// A record's new state; its examples never change after create, so they are not repeated.
    Update(Box<RecordState>),
    Delete {
        id: String,
    },
    /// A new Vertex tuning job, with its training data.
    VertexPut(Box<VertexJob>),
    /// A Vertex job's new state, without its series, and the points added to each series
    /// since the last entry (a long job's journal grows with its steps, not their square).
    VertexUpdate {
        state: Box<VertexJobState>,
        appended: Vec<Vec<ScalarPoint>>,
    },
    /// A Cloud Storage object written (replacing one of the same name).
    ObjectPut(Box<StoredObject>),
    ObjectDelete {
        bucket: String,
        name: String,
    },
}

/// A record without its examples.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordState {
    pub model: TunedModel,
    pub permissions: Vec<Permission>,
    pub job: Option<Job>,
}

impl Entry {
    /// A Vertex job's state as it is now, with the points not journalled yet; once the entry
    /// is on disk, [`VertexJob::mark_journaled`] records that they are.
    pub fn vertex_update(job: &VertexJob) -> Entry {
        let appended = job
            .state
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| s[job.journaled.get(i).copied().unwrap_or(0).min(s.len())..].to_vec())
            .collect();
        let state = VertexJobState {
            series: Vec::new(),
            ..job.state.clone_without_series()
        };
        Entry::VertexUpdate {
            state: Box::new(state),
            appended,
        }
    }

    pub fn update(record: &Record) -> Entry {
        Entry::Update(Box::new(RecordState {
            model: record.model.clone(),
            permissions: record.permissions.clone(),
            job: record.job.clone(),
        }))
    }

    fn apply(self, store: &mut Store) -> Result<(), String> {
        match self {
            Entry::Put(record) => {
                if store.contains(record.id()) {
                    return Err(format!("{} is created twice", record.id()));
                }
                store.insert(*record);
            }
            Entry::Update(state) => {
                let id = state.model.id().to_owned();
                let record = store
                    .get_mut(&id)
                    .ok_or_else(|| format!("{id} is updated before it is created"))?;
                record.model = state.model;
                record.permissions = state.permissions;
                record.job = state.job;
            }
            Entry::Delete { id } => {
                store.remove(&id);
            }
            Entry::VertexPut(mut job) => {
                if store.cloud.job(job.id()).is_some() {
                    return Err(format!("tuning job {} is created twice", job.id()));
                }
                job.mark_journaled();
                store.cloud.put_job(*job);
            }
            Entry::VertexUpdate { state, appended } => {
                let id = state.job.id().to_owned();
                let job = store
                    .cloud
                    .job_mut(&id)
                    .ok_or_else(|| format!("tuning job {id} is updated before it is created"))?;
                let mut series = std::mem::take(&mut job.state.series);
                series.resize(appended.len().max(series.len()), Vec::new());
                for (kept, added) in series.iter_mut().zip(appended) {
                    kept.extend(added);
                }
                job.state = *state;
                job.state.series = series;
                job.mark_journaled();
            }
            Entry::ObjectPut(object) => store.cloud.put_object(*object),
            Entry::ObjectDelete { bucket, name } => {
                store.cloud.remove_object(&bucket, &name);
            }
        }
        Ok(())
    }
}

/// `STATE.journal` beside `STATE`.
pub fn path_for(state: &Path) -> PathBuf {
    let mut name = state.file_name().unwrap_or_default().to_os_string();
    name.push(".journal");
    state.with_file_name(name)
}

/// The open journal of a state file.
pub struct Journal {
    path: PathBuf,
    file: File,
    /// Entries written since the state file was last written.
    pub entries: usize,
    pub bytes: u64,
    /// Fault injection: every write fails as on a full disk.
    fail_writes: bool,
}

impl Journal {
    /// Opens (creating) the journal of `state` for appending.
    pub fn open(state: &Path, fail_writes: bool) -> std::io::Result<Journal> {
        let path = path_for(state);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let bytes = file.metadata()?.len();
        // The file's name must survive a crash too.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(d) = File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(Journal {
            path,
            file,
            entries: 0,
            bytes,
            fail_writes,
        })
    }

    /// Appends entries and waits until they are on disk.
    pub fn append(&mut self, entries: &[Entry]) -> std::io::Result<()> {
        if self.fail_writes {
            return Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "no space left on device (emulator fault injection)",
            ));
        }
        let mut text = Vec::new();
        for entry in entries {
            serde_json::to_writer(&mut text, entry).map_err(std::io::Error::other)?;
            text.push(b'\n');
        }
        let written = self
            .file
            .write_all(&text)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            // Cut off whatever part of the batch reached the file, so it is not replayed.
            let _ = self.file.set_len(self.bytes);
            return Err(e);
        }
        self.entries += entries.len();
        self.bytes += text.len() as u64;
        Ok(())
    }

    /// Empties the journal once the state file holds everything in it.
    pub fn reset(&mut self) -> std::io::Result<()> {
        self.file.set_len(0)?;
        self.file.sync_all()?;
        self.entries = 0;
        self.bytes = 0;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Applies the journal of `state` to `store`. A last line cut short (a crash mid-write, never
/// acknowledged) is dropped; anything else that does not read is an error naming the line.
pub fn replay(state: &Path, store: &mut Store) -> Result<usize, String> {
    let path = path_for(state);
    let text = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let complete = text.ends_with(b"\n");
    let lines: Vec<&[u8]> = text
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mut applied = 0;
    for (i, line) in lines.iter().enumerate() {
        let last = i + 1 == lines.len();
        match serde_json::from_slice::<Entry>(line) {
            Ok(entry) => entry
                .apply(store)
                .map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?,
            Err(_) if last && !complete => break,
            Err(e) => {
                return Err(format!(
                    "{}:{}: not a journal entry ({e}); move it away or pass --ephemeral",
                    path.display(),
                    i + 1
                ));
            }
        }
        applied += 1;
    }
    Ok(applied)
}
