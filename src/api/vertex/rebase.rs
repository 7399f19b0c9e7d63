//! Rebasing a tuned model onto a new base model (`tuningJobs:rebaseTunedModel`, aiplatform v1
//! discovery document, tests/fixtures/discovery): the service tunes the model's data and settings
//! again on the new base, which makes a new tuning job and, when it succeeds, a new model. The
//! method answers a long-running Operation whose `response` is that new `TuningJob`.

use super::client::VertexClient;
use super::types::{TuningJob, VertexOperation};
use crate::api::ApiError;
use crate::api::client::Retry;
use reqwest::Method;
use serde::{Deserialize, Serialize};

/// `GoogleCloudAiplatformV1RebaseTunedModelRequest`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RebaseTunedModelRequest {
    /// Required: the model to rebase, by the model, the job that made it, or a pipeline job.
    pub tuned_model_ref: RebaseRef,
    /// Overrides of the rebased job's settings: at least its new `baseModel`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tuning_job: Option<TuningJob>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_destination: Option<GcsDestination>,
    /// The new model replaces the old one on the old model's endpoint.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deploy_to_same_endpoint: bool,
}

/// `GoogleCloudAiplatformV1TunedModelRef`: one of its three names.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RebaseRef {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub tuned_model: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub tuning_job: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pipeline_job: String,
}

/// `GoogleCloudAiplatformV1GcsDestination`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GcsDestination {
    pub output_uri_prefix: String,
}

/// The `@type` of the TuningJob an Operation's `response` carries (v1 or v1beta1).
pub fn tuning_job_type(version: &str) -> String {
    format!("type.googleapis.com/google.cloud.aiplatform.{version}.TuningJob")
}

impl VertexClient {
    /// Rebases the model `model_or_job` made (a tuning job's name or id, or a tuned model's
    /// `projects/…/models/M[@v]`) onto `new_base`. The Operation is followed until done (as a
    /// deletion's is), and the new tuning job it made is returned; the operation's error is
    /// this call's. Never retried: a retry after a lost answer would start a second job.
    pub async fn rebase_tuned_model(
        &self,
        model_or_job: &str,
        new_base: &str,
        deploy_to_same_endpoint: bool,
    ) -> Result<TuningJob, ApiError> {
        let reference = if model_or_job.contains("/models/") {
            RebaseRef {
                tuned_model: model_or_job.to_owned(),
                ..Default::default()
            }
        } else {
            RebaseRef {
                tuning_job: self.job_name(model_or_job),
                ..Default::default()
            }
        };
        let request = RebaseTunedModelRequest {
            tuned_model_ref: reference,
            tuning_job: Some(TuningJob {
                base_model: new_base.to_owned(),
                ..Default::default()
            }),
            artifact_destination: None,
            deploy_to_same_endpoint,
        };
        let url = format!("{}/tuningJobs:rebaseTunedModel", self.url(&self.parent())?);
        let operation: VertexOperation = self
            .api
            .call(
                Method::POST,
                &url,
                &[],
                Some(&request),
                Retry::Never,
                self.timeout(),
            )
            .await?;
        if !operation.done && operation.name.is_empty() {
            return Err(ApiError::decode(
                "the rebase answered an unfinished operation with no name: nothing to follow",
            ));
        }
        let operation = self
            .follow_operation(operation, &format!("the rebase of {model_or_job}"))
            .await?;
        let Some(mut response) = operation.response else {
            return Err(ApiError::decode(format!(
                "the rebase's operation {} finished with neither a response nor an error",
                operation.name
            )));
        };
        if let Some(object) = response.as_object_mut() {
            object.remove("@type");
        }
        serde_json::from_value(response).map_err(|e| {
            ApiError::decode(format!(
                "the rebase's operation {} answered a tuning job that does not read: {e}",
                operation.name
            ))
        })
    }
}
