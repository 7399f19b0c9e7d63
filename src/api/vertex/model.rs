//! A tuned model in Vertex AI's Model Registry (`projects/*/locations/*/models/*`): what
//! `models.get` answers and `models.patch` changes. Tuning makes one (`tunedModel.model` of a
//! succeeded job); its `defaultCheckpointId` says which checkpoint the model's endpoint answers
//! from, which is how a checkpoint is promoted. Fields as the aiplatform v1 discovery document's
//! `GoogleCloudAiplatformV1Model` names them (tests/fixtures/discovery).

use super::client::VertexClient;
use crate::api::ApiError;
use crate::api::client::Retry;
use crate::api::serde_util::{Timestamp, opt_int64, opt_timestamp};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Model {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub display_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub version_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub version_aliases: Vec<String>,
    #[serde(with = "opt_timestamp", skip_serializing_if = "Option::is_none")]
    pub create_time: Option<Timestamp>,
    #[serde(with = "opt_timestamp", skip_serializing_if = "Option::is_none")]
    pub update_time: Option<Timestamp>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deployed_models: Vec<DeployedModelRef>,
    /// The checkpoint the model's endpoint answers from.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub default_checkpoint_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checkpoints: Vec<ModelCheckpoint>,
}

/// One of a model version's checkpoints (the Model's, without the endpoint a tuning job's
/// checkpoint names).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ModelCheckpoint {
    pub checkpoint_id: String,
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub epoch: Option<i64>,
    #[serde(with = "opt_int64", skip_serializing_if = "Option::is_none")]
    pub step: Option<i64>,
}

/// Where a model version is deployed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeployedModelRef {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub endpoint: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub deployed_model_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub checkpoint_id: String,
}

/// The fields of a [`Model`] that `models.patch` may change here, by their wire names.
pub const PATCHABLE_FIELDS: [&str; 3] = ["displayName", "description", "defaultCheckpointId"];

impl VertexClient {
    /// A model's full name from a bare id, `models/ID` or a full name (a `@version` stays).
    pub fn model_name(&self, name: &str) -> String {
        if name.starts_with("projects/") {
            name.to_owned()
        } else {
            let id = name.trim_start_matches("models/");
            format!("{}/models/{id}", self.parent())
        }
    }

    /// The URL of a model, with its `@version` (or `@alias`) kept: the path is checked as every
    /// resource path is, the version as letters, digits, `-` and `_`.
    fn model_url(&self, name: &str) -> Result<String, ApiError> {
        let full = self.model_name(name);
        let (path, version) = match full.split_once('@') {
            Some((path, version)) => (path, Some(version)),
            None => (full.as_str(), None),
        };
        let url = self.url(path)?;
        match version {
            None => Ok(url),
            Some(v)
                if !v.is_empty()
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
            {
                Ok(format!("{url}@{v}"))
            }
            Some(v) => Err(ApiError::invalid_name(format!(
                "{v:?} is not a model version: a number, or an alias of letters, digits, '-' and '_'"
            ))),
        }
    }

    /// `models.get`: the model (its default version, or the one after `@`).
    pub async fn get_model(&self, name: &str) -> Result<Model, ApiError> {
        let url = self.model_url(name)?;
        self.api
            .call::<Model, ()>(
                Method::GET,
                &url,
                &[],
                None,
                Retry::Idempotent,
                self.timeout(),
            )
            .await
    }

    /// `models.patch` with `updateMask=defaultCheckpointId`: the model's endpoint answers from
    /// `checkpoint_id` from now on. Idempotent, so retried like a read.
    pub async fn set_default_checkpoint(
        &self,
        name: &str,
        checkpoint_id: &str,
    ) -> Result<Model, ApiError> {
        let url = self.model_url(name)?;
        let body = Model {
            default_checkpoint_id: checkpoint_id.to_owned(),
            ..Model::default()
        };
        self.api
            .call(
                Method::PATCH,
                &url,
                &[("updateMask", "defaultCheckpointId".to_owned())],
                Some(&body),
                Retry::Idempotent,
                self.timeout(),
            )
            .await
    }
}
