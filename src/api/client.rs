//! An async client for the Gemini API's tuning surface (the Gemini API reference's tunedModels
//! methods), over reqwest.
//!
//! Paths follow the version rules of the real service: tuned-model management on `v1beta`,
//! operations on `v1` (as the official tutorials poll them), generation on either. The same code
//! talks to Google and to the emulator; only the base URL differs.

use super::auth::Credentials;
use super::error::ApiError;
use super::sse::SseParser;
use super::types::*;
use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, Stream, StreamExt};
use rand::Rng;
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

/// The live service.
pub const DEFAULT_BASE_URL: &str = "https://generativelanguage.googleapis.com";

/// Tuned models and their permissions exist only in `v1beta` (the v1 discovery document has no
/// `tunedModels` resource: `v1/tunedModels` is a 404), so their management always uses it,
/// whatever `--api-version` says; that flag governs generation and base models.
pub const MANAGEMENT_VERSION: &str = "v1beta";

/// How failed idempotent calls are tried again.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The first backoff; it doubles each retry, with full jitter.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// The longest server-requested wait (RetryInfo, Retry-After) honoured before giving up.
    pub max_server_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            base_delay: Duration::from_millis(400),
            max_delay: Duration::from_secs(20),
            max_server_delay: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (0-based): what the server asked for when it
    /// asked, else exponential backoff with full jitter. `None` means give up.
    pub fn delay(&self, attempt: u32, error: &ApiError, rng: &mut impl Rng) -> Option<Duration> {
        if attempt >= self.max_retries || !error.is_retryable() {
            return None;
        }
        if let Some(asked) = error.retry_after {
            return (asked <= self.max_server_delay).then_some(asked);
        }
        let cap = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt))
            .min(self.max_delay);
        Some(cap.mul_f64(rng.random_range(0.5..=1.0)))
    }
}

/// How the client waits between retries; replaceable so tests can see the waits without
/// spending them.
pub type Sleeper = Arc<dyn Fn(Duration) -> BoxFuture<'static, ()> + Send + Sync>;

/// Settings for [`ApiClient::new`].
#[derive(Clone)]
pub struct ClientConfig {
    /// Scheme, host and port, e.g. `https://generativelanguage.googleapis.com`.
    pub base_url: String,
    /// Version for generation and base models (`v1beta`; `v1` works too). Tuned-model
    /// management always uses [`MANAGEMENT_VERSION`].
    pub api_version: String,
    /// Version for tuning operations (`v1`, where get and cancel always existed).
    pub operations_version: String,
    pub credentials: Credentials,
    pub connect_timeout: Duration,
    /// Longest silence while reading an answer, streaming ones included.
    pub read_timeout: Duration,
    /// Whole-request limit for ordinary calls (never applied to a stream).
    pub request_timeout: Duration,
    /// Whole-request limit for generateContent, which can think for minutes.
    pub generate_timeout: Duration,
    pub retry: RetryPolicy,
    pub sleeper: Sleeper,
    pub user_agent: String,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &self.base_url)
            .field("api_version", &self.api_version)
            .field("operations_version", &self.operations_version)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl ClientConfig {
    pub fn new(base_url: impl Into<String>, credentials: Credentials) -> Self {
        ClientConfig {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            api_version: "v1beta".into(),
            operations_version: "v1".into(),
            credentials,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(60),
            generate_timeout: Duration::from_secs(600),
            retry: RetryPolicy::default(),
            sleeper: Arc::new(|d| Box::pin(tokio::time::sleep(d))),
            user_agent: format!("tunedeck/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// True when the URL's host is a loopback address or `localhost`, which no proxy should see.
pub fn is_loopback_url(url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(url) else {
        return false;
    };
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The Gemini API tuning client. Cheap to clone; clones share connections.
#[derive(Clone, Debug)]
pub struct ApiClient {
    pub(crate) http: reqwest::Client,
    config: Arc<ClientConfig>,
}

/// Whether a call may be sent again after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    Idempotent,
    Never,
}

impl ApiClient {
    /// Builds a client. Proxies come from the environment (HTTPS_PROXY, NO_PROXY), except for a
    /// loopback endpoint, which is always reached directly.
    pub fn new(config: ClientConfig) -> Result<Self, ApiError> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .user_agent(config.user_agent.clone());
        if is_loopback_url(&config.base_url) {
            builder = builder.no_proxy();
        }
        let http = builder.build().map_err(ApiError::from_reqwest)?;
        Ok(ApiClient {
            http,
            config: Arc::new(config),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The same client (connections, credentials, timeouts) for another host: a Vertex AI
    /// client moved to another region's host.
    pub(crate) fn with_base_url(&self, base_url: &str) -> ApiClient {
        let mut config = (*self.config).clone();
        config.base_url = base_url.trim_end_matches('/').to_owned();
        ApiClient {
            http: self.http.clone(),
            config: Arc::new(config),
        }
    }

    /// The URL of a resource path, once every segment of it is checked: a name typed by a user
    /// (`../models/x`, `x?key=…`, `a/b`) never reaches the service as another path or a query.
    pub(crate) fn url(&self, version: &str, path: &str) -> Result<String, ApiError> {
        let path = path.trim_start_matches('/');
        check_resource_path(path)?;
        Ok(format!("{}/{}/{}", self.config.base_url, version, path))
    }

    /// Sends one call, retrying as the policy allows, and decodes a JSON answer.
    pub(crate) async fn call<T: DeserializeOwned, B: Serialize + ?Sized + Sync>(
        &self,
        method: Method,
        url: &str,
        query: &[(&str, String)],
        body: Option<&B>,
        retry: Retry,
        timeout: Duration,
    ) -> Result<T, ApiError> {
        // The answer's body is read inside the retry: a connection cut after the status line
        // (an answer lost on the way) is as transient as one cut before it.
        let bytes = self
            .retrying(retry, || async {
                let response = self
                    .send_once(method.clone(), url, query, body, Some(timeout))
                    .await?;
                response.bytes().await.map_err(ApiError::from_reqwest)
            })
            .await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            // An empty body is an empty message.
            return serde_json::from_str("{}").map_err(|e| ApiError::decode(e.to_string()));
        }
        serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::decode(format!("the answer is not the expected JSON: {e}")))
    }

    pub(crate) async fn send_with_retry<B: Serialize + ?Sized + Sync>(
        &self,
        method: Method,
        url: &str,
        query: &[(&str, String)],
        body: Option<&B>,
        retry: Retry,
        timeout: Option<Duration>,
    ) -> Result<reqwest::Response, ApiError> {
        self.retrying(retry, || {
            self.send_once(method.clone(), url, query, body, timeout)
        })
        .await
    }

    /// Runs `send` until it succeeds, or its error is not worth another try (`Retry::Never`,
    /// a status the retry policy leaves alone, retries used up), waiting as the policy (and a
    /// 429's Retry-After) says between tries. Every request of this client and of the Vertex
    /// client's Cloud Storage uploads goes through it.
    pub(crate) async fn retrying<T, F, Fut>(&self, retry: Retry, mut send: F) -> Result<T, ApiError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, ApiError>>,
    {
        let mut attempt = 0;
        loop {
            let error = match send().await {
                Ok(response) => return Ok(response),
                Err(e) => e,
            };
            let delay = match retry {
                Retry::Never => None,
                Retry::Idempotent => self.config.retry.delay(attempt, &error, &mut rand::rng()),
            };
            let Some(delay) = delay else {
                return Err(error);
            };
            tracing::debug!(attempt, ?delay, code = %error.code, "retrying after error");
            (self.config.sleeper)(delay).await;
            attempt += 1;
        }
    }

    async fn send_once<B: Serialize + ?Sized + Sync>(
        &self,
        method: Method,
        url: &str,
        query: &[(&str, String)],
        body: Option<&B>,
        timeout: Option<Duration>,
    ) -> Result<reqwest::Response, ApiError> {
        let mut request = self.http.request(method, url);
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(timeout) = timeout {
            request = request.timeout(timeout);
        }
        let request = self.config.credentials.apply(request).await?;
        let response = request.send().await.map_err(ApiError::from_reqwest)?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let retry_after = retry_after(response.headers());
        let body = response.bytes().await.unwrap_or_default();
        Err(ApiError::from_response(status.as_u16(), &body, retry_after))
    }

    fn page_query(
        page_size: Option<u32>,
        page_token: &str,
        filter: Option<&str>,
    ) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if let Some(size) = page_size {
            q.push(("pageSize", size.to_string()));
        }
        if !page_token.is_empty() {
            q.push(("pageToken", page_token.to_owned()));
        }
        if let Some(filter) = filter.filter(|f| !f.is_empty()) {
            q.push(("filter", filter.to_owned()));
        }
        q
    }

    /// The version for generation and base models: `--api-version` (`v1beta` by default).
    fn v(&self) -> &str {
        &self.config.api_version
    }

    fn t(&self) -> Duration {
        self.config.request_timeout
    }

    // ---- tunedModels ----

    /// `tunedModels.list`: one page.
    pub async fn list_tuned_models(
        &self,
        page_size: Option<u32>,
        page_token: &str,
        filter: Option<&str>,
    ) -> Result<ListTunedModelsResponse, ApiError> {
        let q = Self::page_query(page_size, page_token, filter);
        self.call::<_, ()>(
            Method::GET,
            &self.url(MANAGEMENT_VERSION, "tunedModels")?,
            &q,
            None,
            Retry::Idempotent,
            self.t(),
        )
        .await
    }

    /// Every page of `tunedModels.list`, one stream item a page, so a screen can show the first
    /// page while the rest arrive.
    pub fn tuned_model_pages(
        &self,
        page_size: Option<u32>,
        filter: Option<String>,
    ) -> BoxStream<'static, Result<Vec<TunedModel>, ApiError>> {
        let client = self.clone();
        pages(move |token| {
            let client = client.clone();
            let filter = filter.clone();
            async move {
                client
                    .list_tuned_models(page_size, &token, filter.as_deref())
                    .await
            }
        })
    }

    /// `tunedModels.get`. `name` is `tunedModels/{id}` or the bare id.
    pub async fn get_tuned_model(&self, name: &str) -> Result<TunedModel, ApiError> {
        let url = self.url(MANAGEMENT_VERSION, &tuned_model_path(name)?)?;
        self.call::<_, ()>(Method::GET, &url, &[], None, Retry::Idempotent, self.t())
            .await
    }

    /// `tunedModels.create`: starts tuning and returns the long-running operation. Never retried:
    /// a second attempt could start a second job.
    pub async fn create_tuned_model(
        &self,
        model: &TunedModel,
        tuned_model_id: Option<&str>,
    ) -> Result<Operation, ApiError> {
        let q: Vec<(&str, String)> = tuned_model_id
            .map(|id| vec![("tunedModelId", id.to_owned())])
            .unwrap_or_default();
        self.call(
            Method::POST,
            &self.url(MANAGEMENT_VERSION, "tunedModels")?,
            &q,
            Some(model),
            Retry::Never,
            self.t(),
        )
        .await
    }

    /// `tunedModels.create`, safe to send again: it always carries a `tunedModelId` (the one
    /// given, else [`generated_model_id`](super::names::generated_model_id) from the display
    /// name), so after any transient failure (429 and 503, which mean it was not carried out;
    /// a timeout or a cut connection, which may hide an answer lost on the way back) it is sent
    /// again, and a retry that meets 409 reads the model the first attempt made and returns its
    /// operation. Waits as [`RetryPolicy`] says (a 429's RetryInfo included).
    pub async fn create_tuned_model_safely(
        &self,
        model: &TunedModel,
        tuned_model_id: Option<&str>,
    ) -> Result<Operation, ApiError> {
        let id = match tuned_model_id {
            Some(id) => id.to_owned(),
            None => super::names::generated_model_id(&model.display_name, &mut rand::rng()),
        };
        let mut attempt = 0;
        loop {
            let error = match self.create_tuned_model(model, Some(&id)).await {
                Ok(operation) => return Ok(operation),
                Err(e) => e,
            };
            if attempt > 0 && error.http_status == Some(409) {
                // An earlier attempt got through but its answer was lost.
                tracing::info!(%id, "the create's answer was lost; reading the model it made");
                let name = tuned_model_name(&id);
                let operations = self.list_operations(&name, Some(100), "").await?;
                return match operations.operations.into_iter().last() {
                    Some(operation) => Ok(operation),
                    None => Err(error),
                };
            }
            let Some(delay) = self.config.retry.delay(attempt, &error, &mut rand::rng()) else {
                return Err(error);
            };
            tracing::info!(attempt, ?delay, code = %error.code, %id, "sending the create again");
            (self.config.sleeper)(delay).await;
            attempt += 1;
        }
    }

    /// `tunedModels.patch` with an explicit `updateMask` (camelCase paths).
    pub async fn update_tuned_model(
        &self,
        model: &TunedModel,
        update_mask: &[&str],
    ) -> Result<TunedModel, ApiError> {
        let url = self.url(MANAGEMENT_VERSION, &tuned_model_path(&model.name)?)?;
        let q = vec![("updateMask", update_mask.join(","))];
        let mut body = model.clone();
        body.name.clear();
        self.call(
            Method::PATCH,
            &url,
            &q,
            Some(&body),
            Retry::Idempotent,
            self.t(),
        )
        .await
    }

    /// `tunedModels.delete`.
    pub async fn delete_tuned_model(&self, name: &str) -> Result<(), ApiError> {
        let url = self.url(MANAGEMENT_VERSION, &tuned_model_path(name)?)?;
        let _: serde_json::Value = self
            .call::<_, ()>(Method::DELETE, &url, &[], None, Retry::Idempotent, self.t())
            .await?;
        Ok(())
    }

    /// `tunedModels.transferOwnership`. Not retried: the caller stops being the owner.
    pub async fn transfer_ownership(
        &self,
        name: &str,
        email_address: &str,
    ) -> Result<(), ApiError> {
        let url = format!(
            "{}:transferOwnership",
            self.url(MANAGEMENT_VERSION, &tuned_model_path(name)?)?
        );
        let body = TransferOwnershipRequest {
            email_address: email_address.to_owned(),
        };
        let _: serde_json::Value = self
            .call(Method::POST, &url, &[], Some(&body), Retry::Never, self.t())
            .await?;
        Ok(())
    }

    // ---- generation ----

    /// `generateContent` on a tuned model (`tunedModels/…`) or a base model (`models/…`).
    pub async fn generate_content(
        &self,
        model: &str,
        request: &GenerateContentRequest,
    ) -> Result<GenerateContentResponse, ApiError> {
        let url = format!(
            "{}:generateContent",
            self.url(self.v(), &model_path(model))?
        );
        self.call(
            Method::POST,
            &url,
            &[],
            Some(request),
            Retry::Idempotent,
            self.config.generate_timeout,
        )
        .await
    }

    /// `streamGenerateContent?alt=sse`: the answer's chunks as they arrive. Dropping the stream
    /// cancels the request.
    pub async fn stream_generate_content(
        &self,
        model: &str,
        request: &GenerateContentRequest,
    ) -> Result<BoxStream<'static, Result<GenerateContentResponse, ApiError>>, ApiError> {
        let url = format!(
            "{}:streamGenerateContent",
            self.url(self.v(), &model_path(model))?
        );
        self.stream_from(&url, request).await
    }

    /// POSTs `request` to a `…:streamGenerateContent` URL with `alt=sse` and reads the answer's
    /// chunks (the Gemini API's and Vertex AI's alike).
    pub(crate) async fn stream_from(
        &self,
        url: &str,
        request: &GenerateContentRequest,
    ) -> Result<BoxStream<'static, Result<GenerateContentResponse, ApiError>>, ApiError> {
        let q = [("alt", "sse".to_owned())];
        let response = self
            .send_with_retry(
                Method::POST,
                url,
                &q,
                Some(request),
                Retry::Idempotent,
                None,
            )
            .await?;
        Ok(sse_json_stream(response.bytes_stream()))
    }

    /// `countTokens` (bound only for base models on the real service).
    pub async fn count_tokens(
        &self,
        model: &str,
        request: &GenerateContentRequest,
    ) -> Result<CountTokensResponse, ApiError> {
        let url = format!("{}:countTokens", self.url(self.v(), &model_path(model))?);
        let body = serde_json::json!({ "contents": request.contents });
        self.call(
            Method::POST,
            &url,
            &[],
            Some(&body),
            Retry::Idempotent,
            self.t(),
        )
        .await
    }

    /// The legacy PaLM `generateText` on a tuned model.
    pub async fn generate_text(
        &self,
        model: &str,
        request: &GenerateTextRequest,
    ) -> Result<GenerateTextResponse, ApiError> {
        let url = format!("{}:generateText", self.url(self.v(), &model_path(model))?);
        self.call(
            Method::POST,
            &url,
            &[],
            Some(request),
            Retry::Idempotent,
            self.config.generate_timeout,
        )
        .await
    }

    // ---- permissions ----

    pub async fn create_permission(
        &self,
        tuned_model: &str,
        permission: &Permission,
    ) -> Result<Permission, ApiError> {
        let url = self.url(
            MANAGEMENT_VERSION,
            &format!("{}/permissions", tuned_model_path(tuned_model)?),
        )?;
        self.call(
            Method::POST,
            &url,
            &[],
            Some(permission),
            Retry::Never,
            self.t(),
        )
        .await
    }

    pub async fn list_permissions(
        &self,
        tuned_model: &str,
        page_size: Option<u32>,
        page_token: &str,
    ) -> Result<ListPermissionsResponse, ApiError> {
        let url = self.url(
            MANAGEMENT_VERSION,
            &format!("{}/permissions", tuned_model_path(tuned_model)?),
        )?;
        let q = Self::page_query(page_size, page_token, None);
        self.call::<_, ()>(Method::GET, &url, &q, None, Retry::Idempotent, self.t())
            .await
    }

    /// Every permission of a tuned model, across pages.
    pub async fn all_permissions(&self, tuned_model: &str) -> Result<Vec<Permission>, ApiError> {
        let client = self.clone();
        let model = tuned_model.to_owned();
        collect_pages(pages(move |token| {
            let client = client.clone();
            let model = model.clone();
            async move { client.list_permissions(&model, Some(1000), &token).await }
        }))
        .await
    }

    /// `permissions.get`; `name` is `tunedModels/{id}/permissions/{pid}`.
    pub async fn get_permission(&self, name: &str) -> Result<Permission, ApiError> {
        self.call::<_, ()>(
            Method::GET,
            &self.url(MANAGEMENT_VERSION, name)?,
            &[],
            None,
            Retry::Idempotent,
            self.t(),
        )
        .await
    }

    /// `permissions.patch`: only `role` can change.
    pub async fn update_permission(&self, name: &str, role: Role) -> Result<Permission, ApiError> {
        let body = Permission {
            role,
            ..Default::default()
        };
        let q = [("updateMask", "role".to_owned())];
        self.call(
            Method::PATCH,
            &self.url(MANAGEMENT_VERSION, name)?,
            &q,
            Some(&body),
            Retry::Idempotent,
            self.t(),
        )
        .await
    }

    pub async fn delete_permission(&self, name: &str) -> Result<(), ApiError> {
        let _: serde_json::Value = self
            .call::<_, ()>(
                Method::DELETE,
                &self.url(MANAGEMENT_VERSION, name)?,
                &[],
                None,
                Retry::Idempotent,
                self.t(),
            )
            .await?;
        Ok(())
    }

    // ---- operations (v1, as the tutorials poll them) ----

    /// `operations.get`: `GET /v1/tunedModels/{id}/operations/{op}`.
    pub async fn get_operation(&self, name: &str) -> Result<Operation, ApiError> {
        let url = self.url(&self.config.operations_version, name)?;
        self.call::<_, ()>(Method::GET, &url, &[], None, Retry::Idempotent, self.t())
            .await
    }

    /// `tunedModels.operations.list` for one tuned model.
    pub async fn list_operations(
        &self,
        tuned_model: &str,
        page_size: Option<u32>,
        page_token: &str,
    ) -> Result<ListOperationsResponse, ApiError> {
        let path = format!("{}/operations", tuned_model_path(tuned_model)?);
        let url = self.url(&self.config.operations_version, &path)?;
        let q = Self::page_query(page_size, page_token, None);
        self.call::<_, ()>(Method::GET, &url, &q, None, Retry::Idempotent, self.t())
            .await
    }

    /// The top-level `GET /v1/operations`.
    pub async fn list_all_operations(
        &self,
        page_size: Option<u32>,
        page_token: &str,
        filter: Option<&str>,
    ) -> Result<ListOperationsResponse, ApiError> {
        let url = self.url(&self.config.operations_version, "operations")?;
        let q = Self::page_query(page_size, page_token, filter);
        self.call::<_, ()>(Method::GET, &url, &q, None, Retry::Idempotent, self.t())
            .await
    }

    /// `operations.cancel` (v1 only on the real service).
    pub async fn cancel_operation(&self, name: &str) -> Result<(), ApiError> {
        let url = format!(
            "{}:cancel",
            self.url(&self.config.operations_version, name)?
        );
        let _: serde_json::Value = self
            .call(
                Method::POST,
                &url,
                &[],
                Some(&serde_json::json!({})),
                Retry::Idempotent,
                self.t(),
            )
            .await?;
        Ok(())
    }

    /// `operations.delete` (`DELETE /v1/operations/**`).
    pub async fn delete_operation(&self, name: &str) -> Result<(), ApiError> {
        let name = if name.starts_with("operations/") {
            name.to_owned()
        } else {
            format!("operations/{name}")
        };
        let url = self.url(&self.config.operations_version, &name)?;
        let _: serde_json::Value = self
            .call::<_, ()>(Method::DELETE, &url, &[], None, Retry::Idempotent, self.t())
            .await?;
        Ok(())
    }

    // ---- models ----

    pub async fn list_models(
        &self,
        page_size: Option<u32>,
        page_token: &str,
    ) -> Result<ListModelsResponse, ApiError> {
        let q = Self::page_query(page_size, page_token, None);
        self.call::<_, ()>(
            Method::GET,
            &self.url(self.v(), "models")?,
            &q,
            None,
            Retry::Idempotent,
            self.t(),
        )
        .await
    }

    /// Every base model, across pages.
    pub async fn all_models(&self) -> Result<Vec<Model>, ApiError> {
        let client = self.clone();
        collect_pages(pages(move |token| {
            let client = client.clone();
            async move { client.list_models(Some(1000), &token).await }
        }))
        .await
    }

    pub async fn get_model(&self, name: &str) -> Result<Model, ApiError> {
        let url = self.url(self.v(), &model_path(name))?;
        self.call::<_, ()>(Method::GET, &url, &[], None, Retry::Idempotent, self.t())
            .await
    }

    /// Whether the service answers at all with these credentials: a cheap list of one model.
    pub async fn ping(&self) -> Result<(), ApiError> {
        self.list_models(Some(1), "").await.map(|_| ())
    }

    /// The status the service gave, for tests that want to see raw behaviour.
    pub fn status_is(err: &ApiError, status: StatusCode) -> bool {
        err.http_status == Some(status.as_u16())
    }
}

/// The wait a `Retry-After` header (in seconds) asks for.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// `tunedModels/{id}` from a bare id or a full name.
pub fn tuned_model_name(name: &str) -> String {
    if name.starts_with("tunedModels/") {
        name.to_owned()
    } else {
        format!("tunedModels/{name}")
    }
}

/// `tunedModels/{id}` for a name or a bare id, or why it is not one (`a/b` names something else).
fn tuned_model_path(name: &str) -> Result<String, ApiError> {
    let path = tuned_model_name(name);
    if path.matches('/').count() != 1 {
        return Err(ApiError::invalid_name(format!(
            "{name:?} is not a tuned model: tunedModels/ID or ID"
        )));
    }
    check_resource_path(&path)?;
    Ok(path)
}

/// Refuses a resource path a user could have bent: every segment non-empty, not `.` or `..`,
/// and made of letters, digits, `-`, `_` and `.` only (every name of this API is), and a tuned
/// model's id as the API allows it.
pub fn check_resource_path(path: &str) -> Result<(), ApiError> {
    let segments: Vec<&str> = path.split('/').collect();
    let bad = segments.iter().any(|s| {
        s.is_empty()
            || *s == "."
            || *s == ".."
            || !s
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    });
    if bad {
        return Err(ApiError::invalid_name(format!(
            "{path:?} is not a resource name (letters, digits, '-', '_' and '.' between slashes)"
        )));
    }
    if segments.first() == Some(&"tunedModels")
        && let Some(id) = segments.get(1)
        && !super::names::valid_model_id(id)
    {
        return Err(ApiError::invalid_name(format!(
            "{id:?} is not a tuned model id: lowercase letters, digits and hyphens, 1 to 40, starting with a letter"
        )));
    }
    Ok(())
}

/// A model path for generation: `tunedModels/…` stays, anything else is a base model.
pub fn model_path(name: &str) -> String {
    if name.starts_with("tunedModels/") || name.starts_with("models/") {
        name.to_owned()
    } else {
        format!("models/{name}")
    }
}

/// Walks `nextPageToken`: calls `fetch` with "" then each token, yielding each page's items,
/// until a page comes back without a token. A repeated token ends the walk rather than loop.
pub fn pages<P, F, Fut>(fetch: F) -> BoxStream<'static, Result<Vec<P::Item>, ApiError>>
where
    P: Page + Send + 'static,
    P::Item: Send + 'static,
    F: Fn(String) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<P, ApiError>> + Send + 'static,
{
    struct State<F> {
        fetch: F,
        token: Option<String>,
        seen: std::collections::HashSet<String>,
    }
    let state = State {
        fetch,
        token: Some(String::new()),
        seen: Default::default(),
    };
    stream::unfold(state, |mut state| async move {
        let token = state.token.take()?;
        match (state.fetch)(token).await {
            Ok(page) => {
                let (items, next) = page.into_parts();
                if !next.is_empty() && state.seen.insert(next.clone()) {
                    state.token = Some(next);
                }
                Some((Ok(items), state))
            }
            Err(e) => Some((Err(e), state)),
        }
    })
    .boxed()
}

/// Collects every page into one list, stopping at the first error.
pub async fn collect_pages<T>(
    mut pages: impl Stream<Item = Result<Vec<T>, ApiError>> + Unpin,
) -> Result<Vec<T>, ApiError> {
    let mut all = Vec::new();
    while let Some(page) = pages.next().await {
        all.extend(page?);
    }
    Ok(all)
}

/// Turns an SSE byte stream into decoded answers, parsing incrementally.
pub fn sse_json_stream<S, E>(
    bytes: S,
) -> BoxStream<'static, Result<GenerateContentResponse, ApiError>>
where
    S: Stream<Item = Result<bytes::Bytes, E>> + Send + 'static,
    E: Into<ApiError> + Send + 'static,
{
    struct State<S> {
        bytes: std::pin::Pin<Box<S>>,
        parser: SseParser,
        ready: VecDeque<String>,
        ended: bool,
    }
    let state = State {
        bytes: Box::pin(bytes),
        parser: SseParser::new(),
        ready: VecDeque::new(),
        ended: false,
    };
    stream::unfold(state, |mut state| async move {
        loop {
            if let Some(data) = state.ready.pop_front() {
                let item = decode_chunk(&data);
                return Some((item, state));
            }
            if state.ended {
                return None;
            }
            match state.bytes.next().await {
                Some(Ok(chunk)) => state.ready.extend(state.parser.feed(&chunk)),
                Some(Err(e)) => {
                    state.ended = true;
                    return Some((Err(e.into()), state));
                }
                None => {
                    state.ended = true;
                    state.ready.extend(state.parser.finish());
                }
            }
        }
    })
    .boxed()
}

fn decode_chunk(data: &str) -> Result<GenerateContentResponse, ApiError> {
    // An error in the middle of a stream arrives as an `{"error": …}` event.
    if let Ok(envelope) = serde_json::from_str::<ErrorEnvelope>(data)
        && envelope.error.code != 0
    {
        let status = u16::try_from(envelope.error.code).unwrap_or(500);
        return Err(ApiError::from_response(status, data.as_bytes(), None));
    }
    serde_json::from_str(data)
        .map_err(|e| ApiError::decode(format!("a streamed chunk is not valid JSON: {e}")))
}

impl From<reqwest::Error> for ApiError {
    fn from(e: reqwest::Error) -> Self {
        ApiError::from_reqwest(e)
    }
}
