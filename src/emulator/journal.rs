//! Durability (a 2xx means the change is on disk). Every acknowledged
//! change is appended to a journal beside the state file (`STATE.journal`, one JSON line per
//! change) and fsynced before the answer leaves; from time to time, and at start and shutdown,
//! the journal is folded into the state file (written atomically) and emptied, as databases do
//! with a write-ahead log. Training steps are appended in batches, and flushed before any answer
//! that shows them, so a restarted job never shows fewer steps than a client has seen.
//!
//! Every entry carries a sequence number, and the state file records the last one it holds: a
//! crash after the state file is written and before the journal is emptied leaves entries the
//! state already has, and replay skips them instead of applying them twice.

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

/// A journal line: an entry and its sequence number (increasing across compactions, so the
/// state file's [`Store::journal_seq`] tells which entries it holds).
#[derive(Debug, Serialize, Deserialize)]
struct Line {
    seq: u64,
    #[serde(rename = "e")]
    entry: Entry,
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

    /// Applies the entry. `legacy`: an unnumbered entry, from a version whose crash between
    /// writing the state file and emptying the journal left entries the state already holds;
    /// those are replayed from the record's creation on, so a create meeting its record
    /// replaces it and points the series already have are not appended again.
    fn apply(self, store: &mut Store, legacy: bool) -> Result<(), String> {
        match self {
            Entry::Put(record) => {
                if let Some(existing) = store.get_mut(record.id())
                    && legacy
                {
                    *existing = *record;
                    return Ok(());
                }
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
                if store.cloud.job(job.id()).is_some() && !legacy {
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
                    let last = kept.last().map(|p| p.step).filter(|_| legacy);
                    kept.extend(
                        added
                            .into_iter()
                            .filter(|p| last.is_none_or(|l| p.step > l)),
                    );
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
    /// The sequence number the next entry gets.
    next_seq: u64,
    /// Fault injection: every write fails as on a full disk.
    fail_writes: bool,
}

impl Journal {
    /// Opens (creating) the journal of `state` for appending after what `replayed` read (a
    /// last line cut short by a crash is cut off, so the next entry starts a line).
    pub fn open(state: &Path, replayed: &Replayed, fail_writes: bool) -> std::io::Result<Journal> {
        let path = path_for(state);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let mut bytes = file.metadata()?.len();
        if bytes > replayed.complete_bytes {
            // Shortening a file needs no free space.
            file.set_len(replayed.complete_bytes)?;
            file.sync_all()?;
            bytes = replayed.complete_bytes;
        }
        // The file's name must survive a crash too.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(d) = File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(Journal {
            path,
            file,
            entries: replayed.applied,
            bytes,
            next_seq: replayed.last_seq + 1,
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
        for (seq, entry) in (self.next_seq..).zip(entries) {
            #[derive(Serialize)]
            struct LineRef<'a> {
                seq: u64,
                e: &'a Entry,
            }
            serde_json::to_writer(&mut text, &LineRef { seq, e: entry })
                .map_err(std::io::Error::other)?;
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
        self.next_seq += entries.len() as u64;
        Ok(())
    }

    /// The sequence number of the last entry written (0: none yet): what a state file written
    /// now holds.
    pub fn last_seq(&self) -> u64 {
        self.next_seq - 1
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

/// What [`replay`] found.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Replayed {
    /// Entries applied.
    pub applied: usize,
    /// Entries skipped because the state file already held them.
    pub skipped: usize,
    /// The highest sequence number seen, or the state's own when higher.
    pub last_seq: u64,
    /// The length of the journal up to its last whole line.
    pub complete_bytes: u64,
}

/// Applies the journal of `state` to `store`, skipping the entries the state file already holds
/// (numbered up to `store.journal_seq`; entries from versions that did not number them are all
/// applied). A last line cut short (a crash mid-write, never acknowledged) is dropped; anything
/// else that does not read is an error naming the line.
pub fn replay(state: &Path, store: &mut Store) -> Result<Replayed, String> {
    let path = path_for(state);
    let mut found = Replayed {
        last_seq: store.journal_seq,
        ..Replayed::default()
    };
    let text = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let held = store.journal_seq;
    let mut offset = 0;
    for (i, line) in text.split_inclusive(|b| *b == b'\n').enumerate() {
        let start = offset;
        offset += line.len();
        let Some(line) = line.strip_suffix(b"\n") else {
            // Cut short by a crash: never acknowledged, and cut off when the journal reopens.
            found.complete_bytes = start as u64;
            return Ok(found);
        };
        found.complete_bytes = offset as u64;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let (seq, entry) = match serde_json::from_slice::<Line>(line) {
            Ok(numbered) => (Some(numbered.seq), numbered.entry),
            Err(e) => match serde_json::from_slice::<Entry>(line) {
                Ok(entry) => (None, entry),
                Err(_) => {
                    return Err(format!(
                        "{}:{}: not a journal entry ({e}); move it away or pass --ephemeral",
                        path.display(),
                        i + 1
                    ));
                }
            },
        };
        if let Some(seq) = seq {
            found.last_seq = found.last_seq.max(seq);
            if seq <= held {
                found.skipped += 1;
                continue;
            }
        }
        entry
            .apply(store, seq.is_none())
            .map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?;
        found.applied += 1;
    }
    store.journal_seq = found.last_seq;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::{TunedModelState, TuningExample};
    use std::sync::Arc;

    fn put(id: &str) -> Entry {
        Entry::Put(Box::new(Record {
            model: TunedModel {
                name: format!("tunedModels/{id}"),
                state: TunedModelState::Active,
                ..Default::default()
            },
            examples: Arc::new(vec![TuningExample::new("1", "2")]),
            permissions: vec![],
            job: None,
            demo: false,
        }))
    }

    fn ids(store: &Store) -> Vec<&str> {
        store.records.iter().map(Record::id).collect()
    }

    /// The crash the start-up and every compaction risk: the state file written, the journal
    /// not yet emptied. The next start skips what the state holds and applies the rest.
    #[test]
    fn entries_the_state_file_holds_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.json");
        let mut journal = Journal::open(&state, &Replayed::default(), false).unwrap();
        journal.append(&[put("a"), put("b")]).unwrap();
        let mut store = Store::new();
        replay(&state, &mut store).unwrap();
        // A compaction: the state file records the last entry it holds, then a crash.
        store.journal_seq = journal.last_seq();
        store.save(&state).unwrap();
        drop(journal);

        let mut again = Store::load(&state).unwrap();
        let found = replay(&state, &mut again).unwrap();
        assert_eq!((found.applied, found.skipped, found.last_seq), (0, 2, 2));
        assert_eq!(ids(&again), ["a", "b"]);

        // Numbering goes on after what was replayed, so newer entries are applied.
        let mut journal = Journal::open(&state, &found, false).unwrap();
        journal.append(&[put("c")]).unwrap();
        assert_eq!(journal.last_seq(), 3);
        let mut third = Store::load(&state).unwrap();
        let found = replay(&state, &mut third).unwrap();
        assert_eq!((found.applied, found.skipped), (1, 2));
        assert_eq!(ids(&third), ["a", "b", "c"]);
    }

    /// A numbered entry the state does not hold yet that creates an existing record is
    /// corruption, not a crash's leftover: refused, naming the line.
    #[test]
    fn a_numbered_create_of_an_existing_record_is_an_error_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.json");
        let mut journal = Journal::open(&state, &Replayed::default(), false).unwrap();
        journal.append(&[put("a"), put("a")]).unwrap();
        let err = replay(&state, &mut Store::new()).unwrap_err();
        assert!(
            err.ends_with("s.json.journal:2: a is created twice"),
            "{err}"
        );
    }

    /// What an earlier version's crash in the window left (an unnumbered journal whose entries
    /// the state file already holds, from the records' creation on) loads again.
    #[test]
    fn an_earlier_versions_unemptied_journal_replays_over_its_state() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.json");
        let mut store = Store::new();
        let lines: Vec<String> = [put("a"), put("b"), Entry::Delete { id: "b".into() }]
            .iter()
            .map(|e| serde_json::to_string(e).unwrap())
            .collect();
        std::fs::write(path_for(&state), lines.join("\n") + "\n").unwrap();
        replay(&state, &mut store).unwrap();
        store.save(&state).unwrap();
        let mut again = Store::load(&state).unwrap();
        let found = replay(&state, &mut again).unwrap();
        assert_eq!(found.applied, 3);
        assert_eq!(ids(&again), ["a"]);
    }

    /// A journal an earlier version wrote (entries without numbers) still replays.
    #[test]
    fn unnumbered_entries_are_applied() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.json");
        let line = serde_json::to_string(&put("old")).unwrap();
        std::fs::write(path_for(&state), format!("{line}\n")).unwrap();
        let mut store = Store::new();
        let found = replay(&state, &mut store).unwrap();
        assert_eq!((found.applied, found.last_seq), (1, 0));
        assert_eq!(ids(&store), ["old"]);
    }

    /// A last line cut short by a crash is dropped, and cut off when the journal reopens, so
    /// the next entry does not land on the end of it.
    #[test]
    fn a_cut_short_line_is_cut_off_before_appending() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.json");
        let mut journal = Journal::open(&state, &Replayed::default(), false).unwrap();
        journal.append(&[put("a")]).unwrap();
        drop(journal);
        let mut file = OpenOptions::new()
            .append(true)
            .open(path_for(&state))
            .unwrap();
        file.write_all(b"{\"seq\":2,\"e\":{\"put\":{\"mod").unwrap();
        let mut store = Store::new();
        let found = replay(&state, &mut store).unwrap();
        assert_eq!(found.applied, 1);
        let mut journal = Journal::open(&state, &found, false).unwrap();
        journal.append(&[put("b")]).unwrap();
        let mut store = Store::new();
        replay(&state, &mut store).unwrap();
        assert_eq!(ids(&store), ["a", "b"]);
    }

    fn vertex_job(id: &str) -> VertexJob {
        use crate::api::vertex::types::TuningJob;
        VertexJob {
            state: VertexJobState {
                job: TuningJob {
                    name: format!("projects/1/locations/l/tuningJobs/{id}"),
                    ..Default::default()
                },
                dataset_error: None,
                spec: super::super::cloud::VertexSpec {
                    epochs: 1,
                    batch_size: 1,
                    learning_rate: 0.001,
                    seed: 0,
                    adapter_rank: 4,
                },
                series: vec![Vec::new()],
                model_id: String::new(),
                model_version: 1,
                model_deleted: false,
                endpoints: Vec::new(),
                base: None,
                epoch_steps: Vec::new(),
                cancel_requested: false,
                model_changes: Default::default(),
                takes_endpoint: None,
            },
            examples: Arc::new(Vec::new()),
            validation: Arc::new(Vec::new()),
            preference: None,
            preference_validation: Vec::new(),
            journaled: Vec::new(),
        }
    }

    /// The case (`tuning job … is created twice`) from an earlier version's journal: the
    /// job loads again, with each point of its series once.
    #[test]
    fn an_earlier_versions_vertex_entries_replay_over_their_state_once() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.json");
        let mut job = vertex_job("7");
        let mut lines =
            vec![serde_json::to_string(&Entry::VertexPut(Box::new(job.clone()))).unwrap()];
        for step in 1..=3 {
            job.state.series[0].push(ScalarPoint {
                step,
                value: 1.0,
                wall_time: chrono::DateTime::UNIX_EPOCH,
            });
            lines.push(serde_json::to_string(&Entry::vertex_update(&job)).unwrap());
            job.mark_journaled();
        }
        std::fs::write(path_for(&state), lines.join("\n") + "\n").unwrap();
        let mut store = Store::new();
        replay(&state, &mut store).unwrap();
        store.save(&state).unwrap();
        let mut again = Store::load(&state).unwrap();
        replay(&state, &mut again).unwrap();
        let steps: Vec<i64> = again.cloud.jobs[0].state.series[0]
            .iter()
            .map(|p| p.step)
            .collect();
        assert_eq!(steps, [1, 2, 3]);
        assert_eq!(again.cloud.jobs.len(), 1);

        // A job created before the state was last written: only its updates are in the journal.
        std::fs::write(path_for(&state), lines[1..].join("\n") + "\n").unwrap();
        let mut third = Store::load(&state).unwrap();
        replay(&state, &mut third).unwrap();
        let steps: Vec<i64> = third.cloud.jobs[0].state.series[0]
            .iter()
            .map(|p| p.step)
            .collect();
        assert_eq!(steps, [1, 2, 3], "no point twice");
    }
}
