//! The emulator's state: tuned models with their training data, operations and permissions,
//! kept in memory and saved atomically to a JSON file (write a temp file, fsync, rename). The
//! file records the last journal entry it holds ([`Store::journal_seq`]), so a journal that a
//! crash left unemptied after the file was written replays only what the file lacks.

pub use super::trainer::BaseTraining;
use super::wire::Failure;
pub use super::wire::micros;
use crate::api::types::{
    GranteeType, Model, Permission, Role, Status, TunedModel, TunedModelState, TuningExample,
};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Who the emulator believes every caller is.
pub const CALLER_EMAIL: &str = "you@tunedeck.emulator";

/// A tuned model and everything the emulator keeps beside it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// The resource as served (never with trainingData).
    pub model: TunedModel,
    /// The training examples, kept to train and to replay training after a restart.
    pub examples: Arc<Vec<TuningExample>>,
    pub permissions: Vec<Permission>,
    pub job: Option<Job>,
    /// Seeded by the emulator as a demo.
    #[serde(default)]
    pub demo: bool,
}

/// A tuning job: the operation and the settings its training runs with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    pub operation_id: String,
    pub total_steps: u64,
    pub epochs: u32,
    pub batch_size: u32,
    pub learning_rate: f64,
    pub seed: u64,
    /// Set when the job ended in error (cancelled, diverged, a fault).
    pub error: Option<Status>,
    pub done: bool,
    /// A fault that will fail the job at this step.
    #[serde(default)]
    pub fail_at_step: Option<u64>,
    /// The operation was deleted (operations.delete); the model and its training remain.
    #[serde(default)]
    pub operation_deleted: bool,
    /// When tuned from a tuned model: that model's training, replayed to start from its
    /// weights (kept here, so the source may be deleted without this model forgetting it).
    #[serde(default)]
    pub base: Option<Box<BaseTraining>>,
}

impl BaseTraining {
    /// The training of `record`, as a base for another.
    pub fn of(record: &Record) -> Option<BaseTraining> {
        let job = record.job.as_ref()?;
        Some(BaseTraining {
            examples: Arc::clone(&record.examples),
            epochs: job.epochs,
            batch_size: job.batch_size,
            learning_rate: job.learning_rate,
            seed: job.seed,
            steps: record.model.snapshots().len() as u64,
            base: job.base.clone(),
            adapter_rank: None,
            preference: None,
        })
    }
}

impl Record {
    /// The model as an answer at `now` shows it: a tuning that has not started yet has no
    /// `startTime` (a reported time never lies in the future of its response).
    pub fn served(&self, now: chrono::DateTime<chrono::Utc>) -> TunedModel {
        let mut model = self.model.clone();
        if let Some(task) = model.tuning_task.as_mut()
            && task.start_time.is_some_and(|t| t > now)
        {
            task.start_time = None;
        }
        model
    }

    pub fn id(&self) -> &str {
        self.model.id()
    }

    pub fn operation_name(&self) -> Option<String> {
        self.job
            .as_ref()
            .map(|j| format!("{}/operations/{}", self.model.name, j.operation_id))
    }

    pub fn owner(&self) -> Option<&str> {
        self.permissions
            .iter()
            .find(|p| p.role == Role::Owner)
            .and_then(|p| p.email_address.as_deref())
    }

    pub fn role_of(&self, email: &str) -> Option<Role> {
        self.permissions
            .iter()
            .filter(|p| p.email_address.as_deref() == Some(email))
            .map(|p| p.role.clone())
            .min_by_key(|r| r.number().unwrap_or(99))
    }

    pub fn is_public(&self) -> bool {
        self.permissions
            .iter()
            .any(|p| p.grantee_type == Some(GranteeType::Everyone))
    }

    /// The caller may use the model: any permission of theirs, or shared with everyone.
    pub fn readable_by(&self, email: &str) -> bool {
        self.role_of(email).is_some() || self.is_public()
    }
}

/// Everything the emulator stores.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Store {
    /// In creation order (the order lists use).
    pub records: Vec<Record>,
    /// Cloud Storage objects and Vertex AI tuning jobs.
    #[serde(default)]
    pub cloud: super::cloud::Cloud,
    /// The sequence number of the last journal entry this state holds (0: none, or a state
    /// written before entries were numbered).
    #[serde(default)]
    pub journal_seq: u64,
    #[serde(skip)]
    index: HashMap<String, usize>,
}

impl Store {
    pub fn new() -> Self {
        Self::default()
    }

    fn reindex(&mut self) {
        self.index = self
            .records
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id().to_owned(), i))
            .collect();
    }

    pub fn get(&self, id: &str) -> Option<&Record> {
        self.index.get(id).map(|i| &self.records[*i])
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Record> {
        self.index.get(id).map(|i| &mut self.records[*i])
    }

    pub fn contains(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }

    pub fn insert(&mut self, record: Record) {
        self.index
            .insert(record.id().to_owned(), self.records.len());
        self.records.push(record);
    }

    pub fn remove(&mut self, id: &str) -> Option<Record> {
        let i = self.index.remove(id)?;
        let record = self.records.remove(i);
        self.reindex();
        Some(record)
    }

    /// Loads a saved state; a missing file is an empty store.
    pub fn load(path: &Path) -> Result<Store, String> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Store::new()),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let mut store: Store = serde_json::from_slice(&bytes).map_err(|e| {
            format!(
                "{}: not an emulator state file ({e}); move it away or pass --ephemeral",
                path.display()
            )
        })?;
        // A value the emulator never writes means the file is not what it says: refuse it,
        // like any other corruption, rather than serve a model in a state no client knows.
        if let Some(record) = store
            .records
            .iter()
            .find(|r| !r.model.state.is_known() || r.model.state == TunedModelState::Unspecified)
        {
            return Err(format!(
                "{}: {} has the state {:?}, which is not one of CREATING, ACTIVE, FAILED; move the file away or pass --ephemeral",
                path.display(),
                record.model.name,
                record.model.state.to_string()
            ));
        }
        store.reindex();
        // Everything in the file is on disk.
        for job in &mut store.cloud.jobs {
            job.mark_journaled();
        }
        Ok(store)
    }

    /// Removes the temporaries that saves of `path` interrupted by a crash left beside it (named
    /// after it, and, from versions that named them `.tmpXXXXXX`, those that begin as a state
    /// file does); returns how many files and bytes went.
    pub fn remove_stale_temporaries(path: &Path) -> (usize, u64) {
        let mut stale = crate::atomic_file::temporaries_of(path);
        stale.extend(legacy_temporaries(path));
        let mut removed = (0, 0);
        for file in stale {
            let size = std::fs::metadata(&file).map_or(0, |m| m.len());
            match std::fs::remove_file(&file) {
                Ok(()) => {
                    removed.0 += 1;
                    removed.1 += size;
                }
                Err(e) => tracing::warn!("removing {}: {e}", file.display()),
            }
        }
        removed
    }

    /// Saves atomically: a crash leaves the old file or the new one, never half of one.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        crate::atomic_file::write_atomically(path, &bytes)
    }

    /// [`Store::save`], only when the disk has room for the new file beside the old one (and a
    /// margin for the journal): a save that fills the disk part-way would make the journal's
    /// appends fail until it gives up. Refused without writing anything otherwise.
    pub fn save_if_room(&self, path: &Path) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        let target = crate::atomic_file::target_of(path);
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if let Some(free) = free_bytes(dir) {
            let needed = bytes.len() as u64 + SAVE_MARGIN;
            if free < needed {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::StorageFull,
                    format!(
                        "not enough free space for a new state file: {needed} bytes needed, {free} free"
                    ),
                ));
            }
        }
        crate::atomic_file::write_atomically(path, &bytes)
    }
}

/// Free space left beside a new state file for the journal's next appends.
const SAVE_MARGIN: u64 = 1 << 20;

/// Bytes an unprivileged writer may still use on the file system holding `dir`, when known.
#[cfg(unix)]
fn free_bytes(dir: &Path) -> Option<u64> {
    let stat = rustix::fs::statvfs(dir).ok()?;
    Some(stat.f_bavail.saturating_mul(stat.f_frsize))
}

#[cfg(not(unix))]
fn free_bytes(_dir: &Path) -> Option<u64> {
    None
}

/// How every state file begins (the first field serde writes).
const STATE_START: &[u8] = b"{\"records\":[";

/// `.tmpXXXXXX` files (tempfile's default name, which earlier versions used) beside the state
/// that begin as a state file does: only an interrupted save of it writes those.
fn legacy_temporaries(path: &Path) -> Vec<std::path::PathBuf> {
    use std::io::Read;
    let target = crate::atomic_file::target_of(path);
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            let random = name.strip_prefix(".tmp").unwrap_or_default();
            name.starts_with(".tmp")
                && random.len() == 6
                && random.chars().all(|c| c.is_ascii_alphanumeric())
                && e.file_type().is_ok_and(|t| t.is_file())
        })
        .filter(|e| {
            let mut start = [0u8; STATE_START.len()];
            std::fs::File::open(e.path())
                .and_then(|mut f| f.read_exact(&mut start))
                .is_ok_and(|()| start == STATE_START)
        })
        .map(|e| e.path())
        .collect()
}

/// Lowercase letters and digits, like the live service's ids.
pub fn random_id(len: usize) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

/// A new tuned-model id as the live service makes them: the display name's words, lower-cased
/// and hyphen-joined, other characters dropped, then `-` and a random suffix; with no usable
/// display name, a random id.
pub fn generate_model_id(display_name: &str) -> String {
    let words: Vec<String> = display_name
        .split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    let mut stem = words.join("-");
    while stem.starts_with(|c: char| c.is_ascii_digit()) {
        stem.remove(0);
    }
    let stem = stem.trim_matches('-');
    if stem.is_empty() {
        let mut id = random_id(11);
        id.replace_range(0..1, "m");
        return id;
    }
    let suffix = random_id(12);
    let max_stem = 40 - 1 - suffix.len();
    let stem: String = stem.chars().take(max_stem).collect();
    format!("{}-{suffix}", stem.trim_end_matches('-'))
}

pub use crate::domain::tuning::valid_model_id;

/// The base models the emulator serves: the two that could be tuned (fields as the live service
/// reported them) and a few that cannot.
pub fn base_models() -> Vec<Model> {
    let tunable = |name: &str, display: &str, description: &str, input: i32, output: i32| Model {
        name: format!("models/{name}"),
        version: "001".into(),
        display_name: display.into(),
        description: description.into(),
        input_token_limit: input,
        output_token_limit: output,
        supported_generation_methods: vec![
            "generateContent".into(),
            "countTokens".into(),
            "createTunedModel".into(),
        ],
        ..Default::default()
    };
    let plain =
        |name: &str, version: &str, display: &str, description: &str, methods: &[&str]| Model {
            name: format!("models/{name}"),
            version: version.into(),
            display_name: display.into(),
            description: description.into(),
            input_token_limit: 1_048_576,
            output_token_limit: 8192,
            supported_generation_methods: methods.iter().map(|m| (*m).to_owned()).collect(),
            temperature: Some(1.0),
            top_p: Some(0.95),
            top_k: Some(40),
            max_temperature: Some(2.0),
            ..Default::default()
        };
    vec![
        Model {
            temperature: Some(1.0),
            top_p: Some(0.95),
            top_k: Some(64),
            max_temperature: Some(2.0),
            ..tunable(
                "gemini-1.5-flash-001-tuning",
                "Gemini 1.5 Flash 001 Tuning",
                "Version of Gemini 1.5 Flash that supports tuning, our fast and versatile multimodal model for scaling across diverse tasks, released in May of 2024.",
                16384,
                8192,
            )
        },
        Model {
            temperature: Some(0.9),
            top_p: Some(1.0),
            ..tunable(
                "gemini-1.0-pro-001",
                "Gemini 1.0 Pro 001 (Tuning)",
                "The original Gemini 1.0 Pro model version that supports tuning. Gemini 1.0 Pro will be discontinued on February 15th, 2025. Move to a newer Gemini version.",
                30720,
                2048,
            )
        },
        plain(
            "gemini-1.5-flash-001",
            "001",
            "Gemini 1.5 Flash 001",
            "Fast and versatile multimodal model for scaling across diverse tasks (emulated; not tunable).",
            &["generateContent", "countTokens"],
        ),
        plain(
            "gemini-2.0-flash",
            "2.0",
            "Gemini 2.0 Flash",
            "Gemini 2.0 Flash (emulated; not tunable).",
            &["generateContent", "countTokens"],
        ),
        plain(
            "gemini-2.5-flash",
            "001",
            "Gemini 2.5 Flash",
            "Gemini 2.5 Flash (emulated; not tunable).",
            &["generateContent", "countTokens"],
        ),
        Model {
            input_token_limit: 2048,
            output_token_limit: 1,
            temperature: None,
            top_p: None,
            top_k: None,
            max_temperature: None,
            ..plain(
                "text-embedding-004",
                "004",
                "Text Embedding 004",
                "Obtain a distributed representation of a text (emulated; not served).",
                &["embedContent"],
            )
        },
    ]
}

impl Store {
    /// A model the caller can see, or the service's 404 (a model you cannot read does not exist
    /// for you).
    pub fn find_readable(&self, id: &str, caller: &str) -> Result<&Record, Failure> {
        self.get(id)
            .filter(|r| r.readable_by(caller))
            .ok_or_else(|| Failure::tuned_model_not_found(&format!("tunedModels/{id}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_made_like_the_live_service() {
        let id = generate_model_id("number generator model");
        assert!(id.starts_with("number-generator-model-"), "{id}");
        assert_eq!(id.len(), "number-generator-model-".len() + 12);
        assert!(generate_model_id("test_number_generator").starts_with("testnumbergenerator-"));
        assert!(valid_model_id(&generate_model_id("my display name 81")));
        assert!(valid_model_id(&generate_model_id("")));
        assert!(valid_model_id(&generate_model_id(
            "a very long display name that goes on and on"
        )));
    }

    #[test]
    fn the_id_pattern() {
        for ok in [
            "a",
            "ab",
            "a-b",
            "a1",
            "number-generator-model-dzlmi0gswwqb",
        ] {
            assert!(valid_model_id(ok), "{ok}");
        }
        for bad in ["", "1a", "A", "a-", "a_b", &"a".repeat(41)] {
            assert!(!valid_model_id(bad), "{bad}");
        }
    }

    #[test]
    fn atomic_save_and_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let mut store = Store::new();
        store.insert(Record {
            model: TunedModel {
                name: "tunedModels/abc".into(),
                state: TunedModelState::Active,
                ..Default::default()
            },
            examples: Arc::new(vec![TuningExample::new("1", "2")]),
            permissions: vec![],
            job: None,
            demo: false,
        });
        store.save(&path).unwrap();
        let loaded = Store::load(&path).unwrap();
        assert!(loaded.contains("abc"));
        assert_eq!(loaded.get("abc").unwrap().examples.len(), 1);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
        assert!(
            serde_json::to_vec(&loaded)
                .unwrap()
                .starts_with(STATE_START),
            "how stale temporaries are recognised"
        );
    }

    #[test]
    fn stale_temporaries_of_the_state_go_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        Store::new().save(&path).unwrap();
        let ours = dir.path().join(".state.json.tmpAb12Cd");
        std::fs::write(&ours, b"{\"records\":[{\"mod").unwrap();
        let legacy = dir.path().join(".tmpQ1w2E3");
        std::fs::write(&legacy, b"{\"records\":[{\"model\":").unwrap();
        // Another program's temporary, and another file's.
        let foreign = dir.path().join(".tmpZ9x8C7");
        std::fs::write(&foreign, b"something else").unwrap();
        let other = dir.path().join(".notes.txt.tmpAb12Cd");
        std::fs::write(&other, b"{\"records\":[").unwrap();
        assert_eq!(Store::remove_stale_temporaries(&path), (2, 38));
        assert!(!ours.exists() && !legacy.exists());
        assert!(foreign.exists() && other.exists() && path.exists());
    }
}
