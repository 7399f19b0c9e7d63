//! Token counting: `countTokens` on a publisher model or an endpoint (aiplatform v1
//! `CountTokensRequest`/`CountTokensResponse`, tests/fixtures/discovery). It is how a job's cost is
//! known before it starts: the service bills a tuning job's training tokens, and counts them
//! with the base model's tokenizer. Counting is free and needs no dataset upload.

use super::client::VertexClient;
use crate::api::ApiError;
use crate::api::client::Retry;
use crate::api::types::Content;
use reqwest::Method;
use serde::{Deserialize, Serialize};

/// The request: the contents counted together (one total), with an optional system
/// instruction counted with them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CountTokensRequest {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contents: Vec<Content>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_instruction: Option<Content>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CountTokensResponse {
    pub total_tokens: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_billable_characters: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prompt_tokens_details: Vec<ModalityTokenCount>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ModalityTokenCount {
    /// `TEXT`, `IMAGE`, `VIDEO`, `AUDIO`, `DOCUMENT` (or `MODALITY_UNSPECIFIED`).
    pub modality: String,
    pub token_count: i64,
}

impl VertexClient {
    /// `countTokens` on `model`: a bare id or `publishers/google/models/…` (this project's and
    /// location's publisher model) or an endpoint's full name. Counting changes nothing, so a
    /// lost answer is asked again.
    pub async fn count_tokens(
        &self,
        model: &str,
        request: &CountTokensRequest,
    ) -> Result<CountTokensResponse, ApiError> {
        let url = format!("{}:countTokens", self.url(&self.model_resource(model))?);
        self.api
            .call(
                Method::POST,
                &url,
                &[],
                Some(request),
                Retry::Idempotent,
                self.timeout(),
            )
            .await
    }
}
