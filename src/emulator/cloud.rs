//! The emulator's Google Cloud state beside the Gemini API's: Cloud Storage objects (with
//! resumable uploads in progress) and Vertex AI tuning jobs with everything behind them (their
//! training data, metric series, checkpoints and endpoints). Plain data, saved with the rest of
//! the store and journalled the same way.

use crate::api::types::TuningExample;
use crate::api::vertex::types::{StorageObject, TuningJob};
use crate::emulator::trainer::stable_hash;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A stored object: its metadata as served and its bytes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredObject {
    pub meta: StorageObject,
    #[serde(with = "base64_bytes")]
    pub data: Arc<Vec<u8>>,
}

mod base64_bytes {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Arc<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(v.as_slice()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<Vec<u8>>, D::Error> {
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map(Arc::new)
            .map_err(serde::de::Error::custom)
    }
}

/// A resumable upload begun and not finished: where it goes and what has arrived.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Upload {
    pub id: String,
    pub bucket: String,
    pub name: String,
    pub content_type: String,
    #[serde(with = "base64_bytes")]
    pub received: Arc<Vec<u8>>,
}

/// One scalar point of a TensorBoard series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScalarPoint {
    pub step: i64,
    pub value: f64,
    pub wall_time: chrono::DateTime<chrono::Utc>,
}

/// The six series a supervised tuning job writes, in the order their ids are numbered.
pub const METRICS: [&str; 6] = [
    "/train_total_loss",
    "/train_fraction_of_correct_next_step_preds",
    "/train_num_predictions",
    "/eval_total_loss",
    "/eval_fraction_of_correct_next_step_preds",
    "/eval_num_predictions",
];

/// The series a preference (DPO) job writes, in the order of [`METRICS`]: DPO's loss under
/// the supervised loss's name, the share of pairs whose preferred answer has the higher
/// implicit reward, and the mean reward margin. Google documents no names for these; the
/// README's deviations table lists this choice.
pub const PREFERENCE_METRICS: [&str; 6] = {
    use crate::api::vertex::client as c;
    [
        c::TRAIN_LOSS,
        c::TRAIN_REWARD_ACCURACY,
        c::TRAIN_REWARD_MARGIN,
        c::EVAL_LOSS,
        c::EVAL_REWARD_ACCURACY,
        c::EVAL_REWARD_MARGIN,
    ]
};

/// The training settings a Vertex job runs with, after the emulator filled in its choices.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VertexSpec {
    pub epochs: u32,
    pub batch_size: u32,
    pub learning_rate: f64,
    pub seed: u64,
    pub adapter_rank: u32,
}

/// An endpoint a job deployed: the final model's, or a checkpoint's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployed {
    pub endpoint_id: String,
    /// Training steps the weights behind it have seen.
    pub step: u64,
}

/// A Vertex tuning job and what the emulator keeps beside it: the data it trains on (written
/// once, at create) and its state (journalled at every change).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VertexJob {
    #[serde(flatten)]
    pub state: VertexJobState,
    pub examples: Arc<Vec<TuningExample>>,
    pub validation: Arc<Vec<TuningExample>>,
    /// A preference (DPO) job's pairs and beta; `examples` and `validation` then hold each
    /// prompt with its preferred answer (what the steps and checks count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preference: Option<super::trainer::PreferenceRun>,
    /// A preference job's validation pairs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preference_validation: Vec<super::trainer::PreferencePair>,
    /// How many points of each series are on disk (in the state file or the journal); the
    /// next journal entry carries the rest.
    #[serde(skip)]
    pub journaled: Vec<usize>,
}

/// What changes as a Vertex job runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VertexJobState {
    /// The resource as served on v1beta1 (v1 leaves out the beta-only fields).
    pub job: TuningJob,
    /// Why the dataset cannot be used: the job fails with it once it starts processing.
    pub dataset_error: Option<String>,
    pub spec: VertexSpec,
    /// Points of each series of [`METRICS`], in step order.
    pub series: Vec<Vec<ScalarPoint>>,
    /// The model id in the registry (`models/{id}`) and its version.
    pub model_id: String,
    pub model_version: u32,
    pub model_deleted: bool,
    /// Endpoints of the checkpoints (by checkpoint id order) and of the final model.
    pub endpoints: Vec<Deployed>,
    /// When tuned from a tuned model: that training, replayed to start from its weights.
    pub base: Option<Box<super::trainer::BaseTraining>>,
    /// The steps that end an epoch: checkpoints come at these steps.
    pub epoch_steps: Vec<u64>,
    pub cancel_requested: bool,
    /// What `models.patch` changed on the model this job made: its default checkpoint (the
    /// model's endpoint answers from it) and its display name and description.
    #[serde(default, skip_serializing_if = "ModelChanges::is_empty")]
    pub model_changes: ModelChanges,
    /// A rebase with `deployToSameEndpoint`: the endpoint (`projects/…/endpoints/E`) the new
    /// model takes over from the old one when this job succeeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub takes_endpoint: Option<String>,
}

/// A tuned model's fields that `models.patch` can change, as far as the emulator keeps them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ModelChanges {
    pub default_checkpoint_id: Option<String>,
    pub display_name: Option<String>,
    pub description: Option<String>,
}

impl ModelChanges {
    pub fn is_empty(&self) -> bool {
        *self == ModelChanges::default()
    }
}

impl VertexJobState {
    /// A copy without the metric series (which journal entries carry as appended points).
    pub fn clone_without_series(&self) -> VertexJobState {
        VertexJobState {
            job: self.job.clone(),
            dataset_error: self.dataset_error.clone(),
            spec: self.spec,
            series: Vec::new(),
            model_id: self.model_id.clone(),
            model_version: self.model_version,
            model_deleted: self.model_deleted,
            endpoints: self.endpoints.clone(),
            base: self.base.clone(),
            epoch_steps: self.epoch_steps.clone(),
            cancel_requested: self.cancel_requested,
            model_changes: self.model_changes.clone(),
            takes_endpoint: self.takes_endpoint.clone(),
        }
    }
}

impl VertexJob {
    pub fn id(&self) -> &str {
        self.state.job.id()
    }

    /// The names of the job's series, by its method.
    pub fn metrics(&self) -> &'static [&'static str; 6] {
        if self.preference.is_some() {
            &PREFERENCE_METRICS
        } else {
            &METRICS
        }
    }

    /// Every point so far is on disk.
    pub fn mark_journaled(&mut self) {
        self.journaled = self.state.series.iter().map(Vec::len).collect();
    }

    /// The steps behind the default checkpoint chosen by `models.patch`, when `endpoint_id` is
    /// the model's own endpoint.
    fn default_checkpoint_step(&self, endpoint_id: &str) -> Option<u64> {
        let chosen = self.state.model_changes.default_checkpoint_id.as_deref()?;
        let model = self.state.job.tuned_model.as_ref()?;
        if model.endpoint.rsplit('/').next() != Some(endpoint_id) {
            return None;
        }
        let checkpoint = model
            .checkpoints
            .iter()
            .find(|c| c.checkpoint_id == chosen)?;
        checkpoint.step.map(|s| s.max(0) as u64)
    }

    /// Steps trained so far.
    pub fn steps_done(&self) -> u64 {
        self.state
            .series
            .first()
            .and_then(|s| s.last())
            .map_or(0, |p| p.step.max(0) as u64)
    }
}

/// Everything Google-Cloud-shaped the emulator stores.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cloud {
    pub objects: Vec<StoredObject>,
    /// Resumable uploads in progress: not durable (no 2xx has acknowledged them).
    #[serde(skip)]
    pub uploads: Vec<Upload>,
    pub jobs: Vec<VertexJob>,
}

impl Cloud {
    pub fn object(&self, bucket: &str, name: &str) -> Option<&StoredObject> {
        self.objects
            .iter()
            .find(|o| o.meta.bucket == bucket && o.meta.name == name)
    }

    /// Stores an object, replacing one of the same name.
    pub fn put_object(&mut self, object: StoredObject) {
        match self
            .objects
            .iter_mut()
            .find(|o| o.meta.bucket == object.meta.bucket && o.meta.name == object.meta.name)
        {
            Some(slot) => *slot = object,
            None => self.objects.push(object),
        }
    }

    pub fn remove_object(&mut self, bucket: &str, name: &str) -> Option<StoredObject> {
        let i = self
            .objects
            .iter()
            .position(|o| o.meta.bucket == bucket && o.meta.name == name)?;
        Some(self.objects.remove(i))
    }

    pub fn job(&self, id: &str) -> Option<&VertexJob> {
        self.jobs.iter().find(|j| j.id() == id)
    }

    pub fn job_mut(&mut self, id: &str) -> Option<&mut VertexJob> {
        self.jobs.iter_mut().find(|j| j.id() == id)
    }

    /// Stores a job, replacing its earlier state.
    pub fn put_job(&mut self, job: VertexJob) {
        match self.jobs.iter_mut().find(|j| j.id() == job.id()) {
            Some(slot) => *slot = job,
            None => self.jobs.push(job),
        }
    }

    /// The job that deployed an endpoint, and the steps behind it.
    /// The model's own endpoint (`tunedModel.endpoint`) answers from its default checkpoint
    /// once `models.patch` chose one; a checkpoint's endpoint always answers from that checkpoint.
    pub fn endpoint(&self, endpoint_id: &str) -> Option<(&VertexJob, u64)> {
        self.jobs.iter().find_map(|j| {
            let deployed = j
                .state
                .endpoints
                .iter()
                .find(|d| d.endpoint_id == endpoint_id)?;
            Some((
                j,
                j.default_checkpoint_step(endpoint_id)
                    .unwrap_or(deployed.step),
            ))
        })
    }

    /// The job whose model is `models/{model_id}`, at `version` (the newest when `None`).
    pub fn model(&self, model_id: &str, version: Option<u32>) -> Option<&VertexJob> {
        self.jobs
            .iter()
            .filter(|j| {
                j.state.model_id == model_id
                    && !j.state.model_deleted
                    && j.state.job.tuned_model.is_some()
            })
            .filter(|j| version.is_none_or(|v| j.state.model_version == v))
            .max_by_key(|j| j.state.model_version)
    }
}

/// The metadata of an object written now.
pub fn object_metadata(
    base: &str,
    bucket: &str,
    name: &str,
    content_type: &str,
    data: &[u8],
) -> StorageObject {
    use md5::Digest;
    let now = super::wire::micros(chrono::Utc::now());
    let generation = now.timestamp_micros();
    let encoded = url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>();
    StorageObject {
        kind: "storage#object".into(),
        id: format!("{bucket}/{name}/{generation}"),
        name: name.to_owned(),
        bucket: bucket.to_owned(),
        generation: Some(generation),
        metageneration: Some(1),
        content_type: if content_type.is_empty() {
            "application/octet-stream".into()
        } else {
            content_type.to_owned()
        },
        storage_class: "STANDARD".into(),
        size: Some(data.len() as i64),
        md5_hash: encode(&md5::Md5::digest(data)),
        crc32c: encode(&crc32c::crc32c(data).to_be_bytes()),
        etag: encode(&generation.to_be_bytes()),
        self_link: format!("{base}/storage/v1/b/{bucket}/o/{encoded}"),
        media_link: format!(
            "{base}/download/storage/v1/b/{bucket}/o/{encoded}?generation={generation}&alt=media"
        ),
        time_created: Some(now),
        updated: Some(now),
    }
}

fn encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A project's number as the service prints it in resource names: a project id is mapped to a
/// stable 12-digit number, a number is itself.
pub fn project_number(project: &str) -> String {
    if !project.is_empty() && project.bytes().all(|b| b.is_ascii_digit()) {
        return project.to_owned();
    }
    (100_000_000_000 + stable_hash(project) % 900_000_000_000).to_string()
}

/// A long decimal id as the service makes them (19 digits for jobs, models and endpoints).
pub fn numeric_id(seed: &str) -> String {
    (1_000_000_000_000_000_000u64 + stable_hash(seed) % 8_000_000_000_000_000_000).to_string()
}

/// The project's default TensorBoard id in a location.
pub fn tensorboard_id(project_number: &str, location: &str) -> String {
    (1_000_000_000_000_000_000u64
        + stable_hash(&format!("tensorboard/{project_number}/{location}"))
            % 8_000_000_000_000_000_000)
        .to_string()
}

/// The TensorBoard run every tuning experiment writes to (the run context's id is
/// `{experiment}-{run}`, as the SDK's recipe expects).
pub const RUN_ID: &str = "tuning-run";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_numbers_are_stable_and_numbers_stay() {
        assert_eq!(project_number("123456789012"), "123456789012");
        let n = project_number("my-project");
        assert_eq!(n.len(), 12);
        assert_eq!(n, project_number("my-project"));
        assert_eq!(numeric_id("a").len(), 19);
    }
}
