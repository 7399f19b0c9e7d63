//! Open-model tuning in the emulator (v1beta1: `supervisedTuningSpec.tuningMode`,
//! `hyperParameters.batchSize` and `learningRate`, `TuningJob.outputUri`): a create request for
//! Gemma, Llama or Qwen checked against the model table ([`crate::domain::models`]), the small
//! model trained in the mode asked for, and the tuned weights written under `outputUri` in the
//! emulator's Cloud Storage.
//!
//! The emulator's own choices where the service's are not documented (README, "Deviations"):
//! - the refusals' wording (the service's text for these cases was not found);
//! - learning rate: the trainer's rate is the base rate scaled by `learningRate / 1e-4`
//!   ([`OPEN_REFERENCE_RATE`], also the rate when none is given), so the small model learns at
//!   the pace a Gemini job with multiplier 1 does;
//! - adapter mode trains with the default adapter rank (the page names no size), full mode
//!   with every feature weight (no folding): full tuning has more capacity;
//! - the artifacts: `OUTPUT/postprocess/node-0/checkpoints/final/` holding, for the adapter,
//!   `adapter_config.json` and `adapter_model.safetensors`, in full mode `config.json` and
//!   `model.safetensors` (real safetensors files of the small model's weights); the tuned
//!   model is registered and served on an endpoint as a Gemini one is.

use super::cloud::{StoredObject, object_metadata};
use super::core::Core;
use super::journal::Entry;
use super::trainer::Trainer;
use super::wire::Failure;
use crate::api::error::Code;
use crate::api::vertex::types::{AdapterSize, HyperParameters, TuningJob, WireTuningMode};
use crate::domain::models::{TunableModel, TuningMode};
use std::sync::Arc;

/// The open-model learning rate the trainer's base rate stands for.
pub const OPEN_REFERENCE_RATE: f64 = 1e-4;

/// What an accepted open-model request trains with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpenRun {
    pub mode: TuningMode,
    /// The learning rate as given (or [`OPEN_REFERENCE_RATE`]).
    pub learning_rate: f64,
    pub batch_size: Option<u32>,
}

fn invalid(message: String) -> Failure {
    Failure::new(Code::InvalidArgument, message)
}

/// A Gemini request may hold none of the open models' fields.
pub fn refuse_open_fields(
    model: &str,
    request: &TuningJob,
    hp: &HyperParameters,
) -> Result<(), Failure> {
    let mode = request
        .supervised_tuning_spec
        .as_ref()
        .map_or(WireTuningMode::Unspecified, |s| s.tuning_mode.clone());
    let field = if !request.output_uri.is_empty() {
        "output_uri"
    } else if mode != WireTuningMode::Unspecified {
        "supervised_tuning_spec.tuning_mode"
    } else if hp.batch_size.is_some() {
        "supervised_tuning_spec.hyper_parameters.batch_size"
    } else if hp.learning_rate.is_some() {
        return Err(invalid(
            "learning_rate is for open models only; Gemini models take learning_rate_multiplier."
                .into(),
        ));
    } else {
        return Ok(());
    };
    Err(invalid(format!(
        "{field} is only available for open models; {model} is a Gemini model."
    )))
}

/// Checks an open model's request where it is sent (`location`): the region, the required
/// output folder, the mode, the rate (never the multiplier), the batch size, no adapter size.
pub fn check(
    model: &TunableModel,
    location: &str,
    request: &TuningJob,
    hp: &HyperParameters,
) -> Result<OpenRun, Failure> {
    if !model.tunes_in(location) {
        return Err(invalid(format!(
            "Base model {} is not supported for tuning in {location}. Supported regions: {}.",
            model.id,
            model.regions.join(", ")
        )));
    }
    if request.output_uri.is_empty() {
        return Err(invalid(format!(
            "output_uri is required to tune open model {}.",
            model.id
        )));
    }
    if super::vertex_dataset::split_gs_uri(&format!(
        "{}/x",
        request.output_uri.trim_end_matches('/')
    ))
    .is_none()
    {
        return Err(invalid(format!(
            "output_uri {:?} is not a Cloud Storage folder (gs://BUCKET/FOLDER).",
            request.output_uri
        )));
    }
    if hp.learning_rate_multiplier.is_some() {
        return Err(invalid(format!(
            "learning_rate_multiplier is not supported for open model {}; set learning_rate.",
            model.id
        )));
    }
    let wire = request
        .supervised_tuning_spec
        .as_ref()
        .map_or(WireTuningMode::Unspecified, |s| s.tuning_mode.clone());
    let mode = match wire {
        WireTuningMode::Full => TuningMode::Full,
        WireTuningMode::PeftAdapter => TuningMode::Adapter,
        _ => model.default_mode(),
    };
    if !model.takes_mode(mode) {
        return Err(invalid(format!(
            "Tuning mode {} is not supported for base model {}.",
            match mode {
                TuningMode::Full => "TUNING_MODE_FULL",
                TuningMode::Adapter => "TUNING_MODE_PEFT_ADAPTER",
            },
            model.id
        )));
    }
    if hp.adapter_size != AdapterSize::Unspecified {
        return Err(invalid(
            "The adapter size is not supported for this base model.".into(),
        ));
    }
    if let Some(r) = hp.learning_rate.filter(|r| r.is_nan() || *r <= 0.0) {
        return Err(invalid(format!(
            "learning_rate must be greater than 0, got {r}."
        )));
    }
    let batch_size = match hp.batch_size {
        Some(b) if b <= 0 => {
            return Err(invalid(format!(
                "batch_size must be greater than 0, got {b}."
            )));
        }
        Some(b) => Some(u32::try_from(b).unwrap_or(u32::MAX).min(1024)),
        None => None,
    };
    Ok(OpenRun {
        mode,
        learning_rate: hp.learning_rate.unwrap_or(OPEN_REFERENCE_RATE),
        batch_size,
    })
}

/// One tensor of a safetensors file.
struct Tensor {
    name: String,
    dtype: &'static str,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

/// A safetensors file: an 8-byte little-endian header length, the JSON header naming each
/// tensor's dtype, shape and byte range, then the bytes.
fn safetensors(tensors: &[Tensor], metadata: &serde_json::Value) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    header.insert("__metadata__".into(), metadata.clone());
    let mut offset = 0usize;
    for t in tensors {
        header.insert(
            t.name.clone(),
            serde_json::json!({
                "dtype": t.dtype,
                "shape": t.shape,
                "data_offsets": [offset, offset + t.bytes.len()],
            }),
        );
        offset += t.bytes.len();
    }
    let mut head = serde_json::Value::Object(header).to_string().into_bytes();
    // The format pads the header with spaces to a multiple of 8 bytes.
    while head.len() % 8 != 0 {
        head.push(b' ');
    }
    let mut out = (head.len() as u64).to_le_bytes().to_vec();
    out.extend(head);
    for t in tensors {
        out.extend(&t.bytes);
    }
    out
}

/// The objects an open model's job writes under its `outputUri` once it has trained: the
/// folder, and (name, content type, bytes) for each file.
pub fn artifacts(
    job: &TuningJob,
    trainer: &Trainer,
    mode: TuningMode,
    rank: u32,
) -> Vec<(String, &'static str, Vec<u8>)> {
    let folder = format!(
        "{}/postprocess/node-0/checkpoints/final",
        job.output_uri.trim_end_matches('/')
    );
    let (features, weights, bias, classes) = trainer.weights_table();
    let f32s = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let tensors = vec![
        Tensor {
            name: "feature_ids".into(),
            dtype: "U32",
            shape: vec![features.len()],
            bytes: features.iter().flat_map(|x| x.to_le_bytes()).collect(),
        },
        Tensor {
            name: "classifier.weight".into(),
            dtype: "F32",
            shape: vec![features.len(), classes],
            bytes: f32s(&weights),
        },
        Tensor {
            name: "classifier.bias".into(),
            dtype: "F32",
            shape: vec![classes],
            bytes: f32s(&bias),
        },
    ];
    let metadata = serde_json::json!({
        "format": "pt",
        "base_model": job.base_model,
        "tuning_job": job.name,
    });
    let (config_name, config, weights_name) = match mode {
        TuningMode::Adapter => (
            "adapter_config.json",
            serde_json::json!({
                "peft_type": "LORA",
                "base_model_name_or_path": job.base_model,
                "r": rank,
            }),
            "adapter_model.safetensors",
        ),
        TuningMode::Full => (
            "config.json",
            serde_json::json!({
                "base_model_name_or_path": job.base_model,
                "tuning_mode": "full",
            }),
            "model.safetensors",
        ),
    };
    vec![
        (
            format!("{folder}/{config_name}"),
            "application/json",
            serde_json::to_vec_pretty(&config).unwrap_or_default(),
        ),
        (
            format!("{folder}/{weights_name}"),
            "application/octet-stream",
            safetensors(&tensors, &metadata),
        ),
    ]
}

/// Writes [`artifacts`] to the emulator's Cloud Storage, durable before they are seen.
pub fn write_artifacts(
    core: &Arc<Core>,
    job: &TuningJob,
    trainer: &Trainer,
    mode: TuningMode,
    rank: u32,
) {
    // The links in the metadata name the loopback host, as the demo's objects do.
    let base = "http://127.0.0.1";
    let objects: Vec<StoredObject> = artifacts(job, trainer, mode, rank)
        .into_iter()
        .filter_map(|(uri, content_type, data)| {
            let (bucket, name) = super::vertex_dataset::split_gs_uri(&uri)?;
            Some(StoredObject {
                meta: object_metadata(base, bucket, name, content_type, &data),
                data: Arc::new(data),
            })
        })
        .collect();
    let entries: Vec<Entry> = objects
        .iter()
        .map(|o| Entry::ObjectPut(Box::new(o.clone())))
        .collect();
    let mut store = core.store();
    if let Err(e) = core.commit(&entries) {
        tracing::warn!("writing {}'s artifacts: {}", job.name, e.message);
        return;
    }
    for object in objects {
        store.cloud.put_object(object);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_safetensors_file_is_its_header_then_its_bytes() {
        let file = safetensors(
            &[Tensor {
                name: "w".into(),
                dtype: "F32",
                shape: vec![2],
                bytes: [1.0f32, 2.0].iter().flat_map(|x| x.to_le_bytes()).collect(),
            }],
            &serde_json::json!({}),
        );
        let n = u64::from_le_bytes(file[..8].try_into().unwrap()) as usize;
        assert_eq!(n % 8, 0);
        let header: serde_json::Value = serde_json::from_slice(&file[8..8 + n]).unwrap();
        assert_eq!(header["w"]["data_offsets"], serde_json::json!([0, 8]));
        assert_eq!(file.len(), 8 + n + 8);
        assert_eq!(&file[8 + n + 4..], &2.0f32.to_le_bytes());
    }
}
