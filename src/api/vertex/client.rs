//! The Vertex AI client: tuning jobs, tuned-model deletion, generation on endpoints and
//! publisher models, Cloud Storage uploads and reads, and a job's metric series from
//! Experiments and TensorBoard. It rides on [`ApiClient`] (connections, credentials, retries,
//! error decoding, SSE), one for the Vertex host and one for Cloud Storage's.

use super::types::*;
use crate::api::client::{ApiClient, Retry};
use crate::api::error::ApiError;
use crate::api::serde_util::Timestamp;
use crate::api::types::{GenerateContentRequest, GenerateContentResponse};
use futures::stream::BoxStream;
use reqwest::Method;
use std::collections::{BTreeMap, HashMap};

/// The Vertex AI host of a location: `https://{location}-aiplatform.googleapis.com`, the
/// multi-region `https://aiplatform.{us|eu}.rep.googleapis.com`, or the global host.
pub fn aiplatform_host(location: &str) -> String {
    match location {
        "global" => "https://aiplatform.googleapis.com".into(),
        "us" | "eu" => format!("https://aiplatform.{location}.rep.googleapis.com"),
        _ => format!("https://{location}-aiplatform.googleapis.com"),
    }
}

/// Cloud Storage's host: `STORAGE_EMULATOR_HOST` when set (with or without a scheme, as
/// Google's own clients take it), else the service.
pub fn storage_host(emulator_host: Option<&str>) -> String {
    match emulator_host.map(str::trim).filter(|h| !h.is_empty()) {
        Some(h) if h.contains("://") => h.trim_end_matches('/').to_owned(),
        Some(h) => format!("http://{}", h.trim_end_matches('/')),
        None => "https://storage.googleapis.com".into(),
    }
}

/// Files up to this size go up in one request; larger ones in resumable chunks.
pub const SIMPLE_UPLOAD_LIMIT: usize = 8 << 20;
/// A resumable upload's chunk (a multiple of 256 KiB, as the service requires).
pub const UPLOAD_CHUNK: usize = 8 << 20;

/// The series a supervised tuning job writes (the tuning guide's "View tuning metrics": train and
/// eval loss, accuracy, tokens).
pub const TRAIN_LOSS: &str = "/train_total_loss";
pub const TRAIN_ACCURACY: &str = "/train_fraction_of_correct_next_step_preds";
pub const TRAIN_PREDICTIONS: &str = "/train_num_predictions";
pub const EVAL_LOSS: &str = "/eval_total_loss";
pub const EVAL_ACCURACY: &str = "/eval_fraction_of_correct_next_step_preds";
pub const EVAL_PREDICTIONS: &str = "/eval_num_predictions";

/// The series a preference (DPO) job writes beside its loss (`TRAIN_LOSS`, `EVAL_LOSS`): the
/// share of pairs whose preferred answer has the higher implicit reward, and the mean reward
/// margin. Google documents no names for them; these are tunedeck's (README, deviations).
pub const TRAIN_REWARD_ACCURACY: &str = "/train_reward_accuracy";
pub const TRAIN_REWARD_MARGIN: &str = "/train_reward_margin";
pub const EVAL_REWARD_ACCURACY: &str = "/eval_reward_accuracy";
pub const EVAL_REWARD_MARGIN: &str = "/eval_reward_margin";

/// How long [`VertexClient::delete_model`] follows a deletion that is not done at once.
pub const DELETE_WAIT: std::time::Duration = std::time::Duration::from_secs(600);

/// The error an Operation ended with, as an error of the call that started it.
fn operation_error(status: crate::api::types::Status) -> ApiError {
    use crate::api::error::{Code, ErrorKind};
    let code = Code::from_number(i64::from(status.code));
    ApiError {
        kind: ErrorKind::Api,
        http_status: None,
        message: format!("the operation failed ({code}): {}", status.message),
        code,
        details: status.details,
        retry_after: None,
        unsent: false,
    }
}

/// The label [`VertexClient::create_tuning_job_safely`] puts on every job it creates, so that
/// a create whose answer was lost can be found again. Label keys start with a lowercase letter,
/// keys and values hold at most 64 lowercase letters, digits, `_` and `-` (the TuningJob
/// schema's `labels`); an underscore, not a hyphen, keeps `labels.KEY` one name in a list filter.
pub const REQUEST_LABEL: &str = "tunedeck_request";

/// A fresh value for [`REQUEST_LABEL`]: 128 random bits as 32 lowercase hex digits.
pub fn request_label_value(rng: &mut impl rand::Rng) -> String {
    format!("{:032x}", rng.random::<u128>())
}

/// One metric point: step, value, wall time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricPoint {
    pub step: i64,
    pub value: f64,
    pub time: Option<Timestamp>,
}

/// What a job's metrics resolved to, kept between polls so a running job costs one request per
/// series (new points only) instead of the whole recipe each time.
#[derive(Debug, Clone, Default)]
pub struct MetricsCache {
    /// Display name → time series resource name.
    pub series: BTreeMap<String, String>,
    /// Display name → the highest step read so far.
    pub last_step: HashMap<String, i64>,
    /// The export call was refused (an older server): read whole series instead.
    pub no_export: bool,
    /// Requests made, for the benchmark and the Monitor's cost line.
    pub requests: u64,
}

/// The version tuning jobs are read on (see [`VertexClient::job_reads_version`]).
pub const JOB_READS_VERSION: &str = "v1beta1";

/// A Vertex AI client for one project and location.
#[derive(Clone, Debug)]
pub struct VertexClient {
    pub(super) api: ApiClient,
    storage: ApiClient,
    pub project: String,
    pub location: String,
    /// `v1` unless told otherwise (every SFT field exists there).
    pub version: String,
    /// The version tuning jobs are read on (`tuningJobs.get` and `list`): `v1beta1`, as the
    /// job's stage (`tuningJobState`: waiting for quota, processing the dataset, tuning…) and
    /// its progress counts (`tuningJobMetadata`) are served there only, and every field v1
    /// reads is there too (the two discovery documents agree on them). Every job is read so,
    /// not only running ones: a list answers for all at once, and a job's stage is what the
    /// table shows. Writes (create, cancel) stay on [`VertexClient::version`].
    pub job_reads_version: String,
}

impl VertexClient {
    /// `api` speaks to the Vertex host (or an emulator), `storage` to Cloud Storage's.
    pub fn new(api: ApiClient, storage: ApiClient, project: &str, location: &str) -> Self {
        VertexClient {
            api,
            storage,
            project: project.to_owned(),
            location: location.to_owned(),
            version: "v1".into(),
            job_reads_version: JOB_READS_VERSION.into(),
        }
    }

    /// A client for a project and location: the location's Vertex host (or `endpoint`, an
    /// emulator or proxy, for both Vertex and Cloud Storage), Cloud Storage's host (or
    /// `storage_emulator_host`, as `STORAGE_EMULATOR_HOST` gives it).
    pub fn connect(
        config: crate::api::ClientConfig,
        endpoint: Option<&str>,
        storage_emulator_host: Option<&str>,
        project: &str,
        location: &str,
    ) -> Result<Self, ApiError> {
        let host = endpoint.map_or_else(|| aiplatform_host(location), str::to_owned);
        let storage = match (storage_emulator_host, endpoint) {
            (Some(h), _) => storage_host(Some(h)),
            (None, Some(e)) => e.to_owned(),
            (None, None) => storage_host(None),
        };
        let with = |base: String| {
            let mut config = config.clone();
            config.base_url = base.trim_end_matches('/').to_owned();
            ApiClient::new(config)
        };
        Ok(VertexClient::new(
            with(host)?,
            with(storage)?,
            project,
            location,
        ))
    }

    /// This client for another project and location. On Google's hosts the location's own
    /// host is used; an endpoint (the emulator, a proxy) serves every location and is kept.
    pub fn at(&self, project: &str, location: &str) -> VertexClient {
        let mut moved = self.clone();
        if self.base_url() == aiplatform_host(&self.location) {
            moved.api = self.api.with_base_url(&aiplatform_host(location));
        }
        moved.project = project.to_owned();
        moved.location = location.to_owned();
        moved
    }

    /// Every tuning job of this project in each of `locations`, asking `at_once` locations at
    /// a time; each location's answer (its jobs or its error) in the order given, so that one
    /// failing region does not hide the others.
    pub async fn tuning_jobs_in(
        &self,
        locations: &[String],
        at_once: usize,
    ) -> Vec<(String, Result<Vec<TuningJob>, ApiError>)> {
        use futures::StreamExt;
        let asks: Vec<_> = locations
            .iter()
            .enumerate()
            .map(|(i, location)| {
                let client = self.at(&self.project, location);
                let location = location.clone();
                async move {
                    let jobs = client.all_tuning_jobs("").await;
                    (i, location, jobs)
                }
            })
            .collect();
        let mut answers: Vec<(usize, String, Result<Vec<TuningJob>, ApiError>)> =
            futures::stream::iter(asks)
                .buffer_unordered(at_once.max(1))
                .collect()
                .await;
        answers.sort_by_key(|(i, _, _)| *i);
        answers.into_iter().map(|(_, l, r)| (l, r)).collect()
    }

    /// `projects/{project}/locations/{location}`
    /// The Vertex host's scheme, host and port (a regional host, or an emulator's address).
    pub fn base_url(&self) -> &str {
        &self.api.config().base_url
    }

    pub fn parent(&self) -> String {
        format!("projects/{}/locations/{}", self.project, self.location)
    }

    pub(super) fn url(&self, path: &str) -> Result<String, ApiError> {
        self.api.url(&self.version, path)
    }

    /// A GET of a tuning job resource, on [`VertexClient::job_reads_version`].
    async fn read_jobs<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ApiError> {
        let url = self.api.url(&self.job_reads_version, path)?;
        self.api
            .call::<T, ()>(
                Method::GET,
                &url,
                query,
                None,
                Retry::Idempotent,
                self.timeout(),
            )
            .await
    }

    pub(super) fn timeout(&self) -> std::time::Duration {
        self.api.config().request_timeout
    }

    pub(super) async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ApiError> {
        let url = self.url(path)?;
        self.api
            .call::<T, ()>(
                Method::GET,
                &url,
                query,
                None,
                Retry::Idempotent,
                self.timeout(),
            )
            .await
    }

    // ---- tuningJobs ----

    /// `tuningJobs.create`: the job itself comes back (no operation). Never retried: a retry
    /// after a lost answer would start a second job. An open model's job is created on
    /// v1beta1, the only version with its fields (`tuningMode`, `batchSize`, `learningRate`,
    /// `outputUri`).
    pub async fn create_tuning_job(&self, job: &TuningJob) -> Result<TuningJob, ApiError> {
        let version = if job.needs_v1beta1() {
            "v1beta1"
        } else {
            &self.version
        };
        let url = self
            .api
            .url(version, &format!("{}/tuningJobs", self.parent()))?;
        self.api
            .call(
                Method::POST,
                &url,
                &[],
                Some(job),
                Retry::Never,
                self.timeout(),
            )
            .await
    }

    /// `tuningJobs.create`, safe to send again. Vertex AI takes no request id, so the job
    /// carries a label of its own ([`REQUEST_LABEL`]: a random 32-digit hex value). A 429 or
    /// 503 (not carried out) or a request that never left is simply sent again; after a timeout
    /// or a cut connection, which may hide an answer lost on the way back, the project's jobs
    /// are listed by that label first, and the job found is the answer. Waits as the retry
    /// policy says (a 429's RetryInfo included), also before looking, so that a create still
    /// being carried out has time to show.
    pub async fn create_tuning_job_safely(&self, job: &TuningJob) -> Result<TuningJob, ApiError> {
        let mut job = job.clone();
        let request = request_label_value(&mut rand::rng());
        job.labels.insert(REQUEST_LABEL.to_owned(), request.clone());
        let filter = format!("labels.{REQUEST_LABEL}=\"{request}\"");
        let policy = &self.api.config().retry;
        let mut attempt = 0;
        loop {
            let error = match self.create_tuning_job(&job).await {
                Ok(created) => return Ok(created),
                Err(e) => e,
            };
            let Some(delay) = policy.delay(attempt, &error, &mut rand::rng()) else {
                return Err(error);
            };
            (self.api.config().sleeper)(delay).await;
            attempt += 1;
            let refused = matches!(error.http_status, Some(429 | 503));
            if !refused && !error.unsent {
                tracing::info!(%request, "the create's answer may be lost; looking for the job by its label");
                if let Some(found) = self.all_tuning_jobs(&filter).await?.into_iter().next() {
                    return Ok(found);
                }
            }
            tracing::info!(attempt, code = %error.code, %request, "sending the create again");
        }
    }

    /// `tuningJobs.get` by full name or bare id.
    pub async fn get_tuning_job(&self, name: &str) -> Result<TuningJob, ApiError> {
        self.read_jobs(&self.job_name(name), &[]).await
    }

    /// A job's full name from a bare id or a full name.
    pub fn job_name(&self, name: &str) -> String {
        if name.starts_with("projects/") {
            name.to_owned()
        } else {
            format!("{}/tuningJobs/{name}", self.parent())
        }
    }

    /// `tuningJobs.list`: one page.
    pub async fn list_tuning_jobs(
        &self,
        page_size: Option<u32>,
        page_token: &str,
        filter: &str,
    ) -> Result<ListTuningJobsResponse, ApiError> {
        let mut q = Vec::new();
        if let Some(size) = page_size {
            q.push(("pageSize", size.to_string()));
        }
        if !page_token.is_empty() {
            q.push(("pageToken", page_token.to_owned()));
        }
        if !filter.is_empty() {
            q.push(("filter", filter.to_owned()));
        }
        self.read_jobs(&format!("{}/tuningJobs", self.parent()), &q)
            .await
    }

    /// Every tuning job, all pages (a repeated token ends the walk rather than loop).
    pub async fn all_tuning_jobs(&self, filter: &str) -> Result<Vec<TuningJob>, ApiError> {
        let mut all = Vec::new();
        let mut token = String::new();
        let mut seen = std::collections::HashSet::new();
        loop {
            let page = self.list_tuning_jobs(Some(100), &token, filter).await?;
            all.extend(page.tuning_jobs);
            if page.next_page_token.is_empty() || !seen.insert(page.next_page_token.clone()) {
                return Ok(all);
            }
            token = page.next_page_token;
        }
    }

    /// `tuningJobs.cancel`: asynchronous; poll until the job reaches a terminal state.
    pub async fn cancel_tuning_job(&self, name: &str) -> Result<(), ApiError> {
        let url = format!("{}:cancel", self.url(&self.job_name(name))?);
        self.api
            .call::<serde_json::Value, _>(
                Method::POST,
                &url,
                &[],
                Some(&serde_json::json!({})),
                Retry::Idempotent,
                self.timeout(),
            )
            .await
            .map(|_| ())
    }

    /// Deletes a tuned model (`projects/…/models/M`, with or without `@version`, or a bare id).
    /// The service answers a long-running Operation: it is followed until done (polled from
    /// half a second, backing off to 10 s, for at most [`DELETE_WAIT`]), and its error, when it
    /// has one, is this call's.
    pub async fn delete_model(&self, name: &str) -> Result<(), ApiError> {
        let name = name.split('@').next().unwrap_or(name);
        let path = if name.starts_with("projects/") {
            name.to_owned()
        } else {
            format!("{}/models/{name}", self.parent())
        };
        let url = self.url(&path)?;
        let operation: VertexOperation = self
            .api
            .call::<VertexOperation, ()>(
                Method::DELETE,
                &url,
                &[],
                None,
                Retry::Idempotent,
                self.timeout(),
            )
            .await?;
        // An answer with no operation at all (`{}`, as emulators before it answered) has
        // nothing to follow: the 2xx is all there is.
        self.follow_operation(operation, &format!("the deletion of {path}"))
            .await
            .map(|_| ())
    }

    /// Follows a long-running operation until it is done (polled from half a second, backing
    /// off to 10 s, for at most [`DELETE_WAIT`]); its error, when it has one, is the caller's.
    /// One without a name cannot be polled and comes back as it is. `what` names the work in
    /// the error of one still running when the wait ends.
    pub(super) async fn follow_operation(
        &self,
        mut operation: VertexOperation,
        what: &str,
    ) -> Result<VertexOperation, ApiError> {
        let mut delay = std::time::Duration::from_millis(500);
        let mut waited = std::time::Duration::ZERO;
        while !operation.done && !operation.name.is_empty() {
            if waited >= DELETE_WAIT {
                return Err(ApiError::decode(format!(
                    "{what} is still running after {} s (operation {}); it may still finish",
                    waited.as_secs(),
                    operation.name
                )));
            }
            (self.api.config().sleeper)(delay).await;
            waited += delay;
            delay = (delay * 2).min(std::time::Duration::from_secs(10));
            operation = self.get(&operation.name, &[]).await?;
        }
        match operation.error.take() {
            Some(status) => Err(operation_error(status)),
            None => Ok(operation),
        }
    }

    // ---- generation ----

    /// What `generateContent` is called on: an endpoint or publisher name as given, a bare
    /// model id as a Google publisher model of this project and location.
    pub fn model_resource(&self, model: &str) -> String {
        if model.starts_with("projects/") {
            model.to_owned()
        } else {
            let short = model.trim_start_matches("publishers/google/models/");
            format!("{}/publishers/google/models/{short}", self.parent())
        }
    }

    pub async fn generate_content(
        &self,
        model: &str,
        request: &GenerateContentRequest,
    ) -> Result<GenerateContentResponse, ApiError> {
        let url = format!("{}:generateContent", self.url(&self.model_resource(model))?);
        self.api
            .call(
                Method::POST,
                &url,
                &[],
                Some(request),
                Retry::Idempotent,
                self.api.config().generate_timeout,
            )
            .await
    }

    /// `streamGenerateContent?alt=sse`; dropping the stream cancels the request.
    pub async fn stream_generate_content(
        &self,
        model: &str,
        request: &GenerateContentRequest,
    ) -> Result<BoxStream<'static, Result<GenerateContentResponse, ApiError>>, ApiError> {
        let url = format!(
            "{}:streamGenerateContent",
            self.url(&self.model_resource(model))?
        );
        self.api.stream_from(&url, request).await
    }

    // ---- Cloud Storage ----

    fn storage_base(&self) -> &str {
        &self.storage.config().base_url
    }

    fn object_url(&self, bucket: &str, object: &str) -> String {
        format!(
            "{}/storage/v1/b/{}/o/{}",
            self.storage_base(),
            encode(bucket),
            encode(object)
        )
    }

    /// Sends raw bytes to Cloud Storage, again after a transient failure as the retry policy
    /// allows (every upload request is safe to repeat: a media upload rewrites the same object,
    /// a chunk the same range); `308 Resume Incomplete` counts as an answer.
    async fn send_bytes(
        &self,
        method: Method,
        url: &str,
        query: &[(&str, String)],
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<reqwest::Response, ApiError> {
        self.storage
            .retrying(Retry::Idempotent, || {
                self.send_bytes_once(method.clone(), url, query, headers, body.clone())
            })
            .await
    }

    async fn send_bytes_once(
        &self,
        method: Method,
        url: &str,
        query: &[(&str, String)],
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<reqwest::Response, ApiError> {
        let mut request = self
            .storage
            .http
            .request(method, url)
            .query(query)
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = self
            .storage
            .config()
            .credentials
            .apply(request.timeout(self.timeout()))
            .await?;
        let response = request.send().await.map_err(ApiError::from_reqwest)?;
        let status = response.status();
        if status.is_success() || status.as_u16() == 308 {
            return Ok(response);
        }
        let retry_after = crate::api::client::retry_after(response.headers());
        let body = response.bytes().await.unwrap_or_default();
        Err(ApiError::from_response(status.as_u16(), &body, retry_after))
    }

    /// Uploads `data` to `gs://bucket/object`: one request up to [`SIMPLE_UPLOAD_LIMIT`],
    /// resumable chunks above it. `progress(sent, total)` is called as bytes are acknowledged.
    pub async fn upload(
        &self,
        bucket: &str,
        object: &str,
        data: &[u8],
        mut progress: impl FnMut(u64, u64),
    ) -> Result<StorageObject, ApiError> {
        let total = data.len() as u64;
        let upload = format!(
            "{}/upload/storage/v1/b/{}/o",
            self.storage_base(),
            encode(bucket)
        );
        if data.len() <= SIMPLE_UPLOAD_LIMIT {
            // The answer is read inside the retry: a media upload sent again after its answer
            // was lost writes the same object again.
            let query = [("uploadType", "media".into()), ("name", object.into())];
            let headers = [("content-type", "application/jsonl".into())];
            let stored = self
                .storage
                .retrying(Retry::Idempotent, || async {
                    let response = self
                        .send_bytes_once(Method::POST, &upload, &query, &headers, data.to_vec())
                        .await?;
                    decode(response).await
                })
                .await?;
            progress(total, total);
            return Ok(stored);
        }
        let started = self
            .send_bytes(
                Method::POST,
                &upload,
                &[("uploadType", "resumable".into()), ("name", object.into())],
                &[
                    ("content-type", "application/json".into()),
                    ("x-upload-content-type", "application/jsonl".into()),
                ],
                serde_json::to_vec(&serde_json::json!({"name": object}))
                    .map_err(|e| ApiError::decode(e.to_string()))?,
            )
            .await?;
        let session = started
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| ApiError::decode("the resumable upload answer has no Location"))?
            .to_owned();
        let mut sent = 0usize;
        loop {
            let end = (sent + UPLOAD_CHUNK).min(data.len());
            let range = format!("bytes {sent}-{}/{total}", end.saturating_sub(1));
            let response = self
                .send_bytes(
                    Method::PUT,
                    &session,
                    &[],
                    &[("content-range", range)],
                    data[sent..end].to_vec(),
                )
                .await?;
            if response.status().as_u16() != 308 {
                progress(total, total);
                return decode(response).await;
            }
            // The service says how much it kept; continue from there.
            sent = response
                .headers()
                .get(reqwest::header::RANGE)
                .and_then(|v| v.to_str().ok())
                .and_then(|r| r.rsplit('-').next())
                .and_then(|n| n.parse::<usize>().ok())
                .map_or(0, |last| last + 1);
            progress(sent as u64, total);
        }
    }

    /// An object's metadata (to check that it is there, and its size).
    pub async fn get_object(&self, bucket: &str, object: &str) -> Result<StorageObject, ApiError> {
        let url = self.object_url(bucket, object);
        self.storage
            .call::<_, ()>(
                Method::GET,
                &url,
                &[],
                None,
                Retry::Idempotent,
                self.timeout(),
            )
            .await
    }

    /// Objects of a bucket under a prefix, one page of at most `max`.
    pub async fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
        max: u32,
    ) -> Result<ListObjectsResponse, ApiError> {
        let url = format!("{}/storage/v1/b/{}/o", self.storage_base(), encode(bucket));
        self.storage
            .call::<_, ()>(
                Method::GET,
                &url,
                &[
                    ("prefix", prefix.to_owned()),
                    ("maxResults", max.to_string()),
                ],
                None,
                Retry::Idempotent,
                self.timeout(),
            )
            .await
    }

    /// An object's bytes.
    pub async fn read_object(&self, bucket: &str, object: &str) -> Result<Vec<u8>, ApiError> {
        let url = self.object_url(bucket, object);
        let response = self
            .storage
            .send_with_retry::<()>(
                Method::GET,
                &url,
                &[("alt", "media".into())],
                None,
                Retry::Idempotent,
                Some(self.timeout()),
            )
            .await?;
        Ok(response
            .bytes()
            .await
            .map_err(ApiError::from_reqwest)?
            .to_vec())
    }

    // ---- metrics ----

    /// The job's metric series by display name, every point, sorted by step; with a warm `cache`,
    /// only points after those already read (merge them into what you keep). Follows The tuning
    /// notebooks' metrics recipe (google-cloud-aiplatform's `aiplatform.Experiment`): the
    /// experiment's backing TensorBoard (else the location's default one), its ExperimentRun child
    /// (else the run listed under the experiment), the run's series, then each series whole
    /// (`:read?maxDataPoints=-1`) or its new points (`exportTensorboardTimeSeries` with `step >
    /// N`).
    pub async fn read_metrics(
        &self,
        job: &TuningJob,
        cache: &mut MetricsCache,
    ) -> Result<BTreeMap<String, Vec<MetricPoint>>, ApiError> {
        if job.experiment.is_empty() {
            return Ok(BTreeMap::new());
        }
        if cache.series.is_empty() {
            cache.series = self.resolve_series(&job.experiment, cache).await?;
        }
        let mut out = BTreeMap::new();
        let names: Vec<(String, String)> = cache
            .series
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (display, series) in names {
            let last = cache.last_step.get(&display).copied();
            let points = match last {
                Some(after) if !cache.no_export => {
                    match self.export_points(&series, after, cache).await {
                        Ok(points) => points,
                        Err(e)
                            if e.http_status
                                .is_some_and(|s| s == 400 || s == 404 || s == 501) =>
                        {
                            cache.no_export = true;
                            self.read_points(&series, cache).await?
                        }
                        Err(e) => return Err(e),
                    }
                }
                _ => self.read_points(&series, cache).await?,
            };
            let mut points: Vec<MetricPoint> = points
                .into_iter()
                .filter(|p| last.is_none_or(|l| p.step > l))
                .collect();
            points.sort_by_key(|p| p.step);
            out.insert(display, points);
        }
        // Only now that every series was read: a failure part-way leaves the cache where it
        // was, so the next poll reads those points again instead of skipping them.
        for (display, points) in &out {
            if let Some(max) = points.last().map(|p| p.step) {
                cache.last_step.insert(display.clone(), max);
            }
        }
        Ok(out)
    }

    async fn resolve_series(
        &self,
        experiment: &str,
        cache: &mut MetricsCache,
    ) -> Result<BTreeMap<String, String>, ApiError> {
        let parent = experiment
            .split("/metadataStores/")
            .next()
            .unwrap_or_default()
            .to_owned();
        let exp_id = experiment.rsplit('/').next().unwrap_or_default().to_owned();
        cache.requests += 1;
        let context: MetadataContext = self.get(experiment, &[]).await?;
        let tensorboard = match context.backing_tensorboard() {
            Some(tb) => tb.to_owned(),
            None => {
                cache.requests += 1;
                let list: ListTensorboardsResponse =
                    self.get(&format!("{parent}/tensorboards"), &[]).await?;
                let mut boards = list.tensorboards;
                boards.sort_by_key(|t| !t.is_default);
                boards.into_iter().next().map(|t| t.name).ok_or_else(|| {
                    ApiError::decode(format!("{parent} has no TensorBoard for {exp_id}"))
                })?
            }
        };
        // The run: the ExperimentRun child's id without the experiment's prefix; else the one
        // run listed under the experiment.
        cache.requests += 1;
        let filter =
            format!("schema_title=\"system.ExperimentRun\" AND parent_contexts:\"{experiment}\"");
        let runs: Result<ListContextsResponse, ApiError> = self
            .get(
                &format!("{parent}/metadataStores/default/contexts"),
                &[("filter", filter)],
            )
            .await;
        let derived = runs.ok().and_then(|r| {
            r.contexts.first().map(|c| {
                let id = c.name.rsplit('/').next().unwrap_or_default();
                id.strip_prefix(&format!("{exp_id}-"))
                    .unwrap_or(id)
                    .to_owned()
            })
        });
        let experiment_path = format!("{tensorboard}/experiments/{exp_id}");
        let run = match derived {
            Some(run) => format!("{experiment_path}/runs/{run}"),
            None => {
                cache.requests += 1;
                let runs: ListRunsResponse =
                    self.get(&format!("{experiment_path}/runs"), &[]).await?;
                runs.tensorboard_runs
                    .into_iter()
                    .next()
                    .map(|r| r.name)
                    .ok_or_else(|| ApiError::decode(format!("{experiment_path} has no run")))?
            }
        };
        let mut series = BTreeMap::new();
        let mut token = String::new();
        loop {
            cache.requests += 1;
            let mut q = Vec::new();
            if !token.is_empty() {
                q.push(("pageToken", token.clone()));
            }
            let page: ListTimeSeriesResponse = self.get(&format!("{run}/timeSeries"), &q).await?;
            for s in page.tensorboard_time_series {
                series.insert(s.display_name, s.name);
            }
            if page.next_page_token.is_empty() || page.next_page_token == token {
                break;
            }
            token = page.next_page_token;
        }
        Ok(series)
    }

    async fn read_points(
        &self,
        series: &str,
        cache: &mut MetricsCache,
    ) -> Result<Vec<MetricPoint>, ApiError> {
        cache.requests += 1;
        let url = format!("{}:read", self.url(series)?);
        let read: ReadTimeSeriesResponse = self
            .api
            .call::<_, ()>(
                Method::GET,
                &url,
                &[("maxDataPoints", "-1".into())],
                None,
                Retry::Idempotent,
                self.timeout(),
            )
            .await?;
        Ok(points(read.time_series_data.values))
    }

    async fn export_points(
        &self,
        series: &str,
        after: i64,
        cache: &mut MetricsCache,
    ) -> Result<Vec<MetricPoint>, ApiError> {
        let url = format!("{}:exportTensorboardTimeSeries", self.url(series)?);
        let mut all = Vec::new();
        let mut token = String::new();
        loop {
            cache.requests += 1;
            let request = ExportTimeSeriesRequest {
                filter: format!("step > {after}"),
                page_size: Some(10_000),
                page_token: token.clone(),
                order_by: String::new(),
            };
            let page: ExportTimeSeriesResponse = self
                .api
                .call(
                    Method::POST,
                    &url,
                    &[],
                    Some(&request),
                    Retry::Idempotent,
                    self.timeout(),
                )
                .await?;
            all.extend(points(page.time_series_data_points));
            if page.next_page_token.is_empty() || page.next_page_token == token {
                return Ok(all);
            }
            token = page.next_page_token;
        }
    }
}

fn points(values: Vec<TimeSeriesPoint>) -> Vec<MetricPoint> {
    values
        .into_iter()
        .filter_map(|p| {
            Some(MetricPoint {
                step: p.step?,
                value: p.scalar?.value,
                time: p.wall_time,
            })
        })
        .collect()
}

async fn decode<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
) -> Result<T, ApiError> {
    let bytes = response.bytes().await.map_err(ApiError::from_reqwest)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::decode(format!("the answer is not the expected JSON: {e}")))
}

/// A path segment percent-encoded (an object name's `/` included).
fn encode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// `gs://bucket/object` as (bucket, object).
pub fn parse_gs_uri(uri: &str) -> Option<(&str, &str)> {
    let (bucket, object) = uri.strip_prefix("gs://")?.split_once('/')?;
    (!bucket.is_empty() && !object.is_empty()).then_some((bucket, object))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(
            aiplatform_host("us-central1"),
            "https://us-central1-aiplatform.googleapis.com"
        );
        assert_eq!(
            aiplatform_host("eu"),
            "https://aiplatform.eu.rep.googleapis.com"
        );
        assert_eq!(
            aiplatform_host("global"),
            "https://aiplatform.googleapis.com"
        );
        assert_eq!(
            storage_host(Some("localhost:9023")),
            "http://localhost:9023"
        );
        assert_eq!(
            storage_host(Some("http://127.0.0.1:1/")),
            "http://127.0.0.1:1"
        );
        assert_eq!(storage_host(None), "https://storage.googleapis.com");
        assert_eq!(parse_gs_uri("gs://b/a/b.jsonl"), Some(("b", "a/b.jsonl")));
        let config = crate::api::ClientConfig::new("", crate::api::Credentials::None);
        let live = VertexClient::connect(config.clone(), None, None, "p", "eu").unwrap();
        assert_eq!(
            live.api.config().base_url,
            "https://aiplatform.eu.rep.googleapis.com"
        );
        assert_eq!(
            live.storage.config().base_url,
            "https://storage.googleapis.com"
        );
        let local = VertexClient::connect(
            config,
            Some("http://127.0.0.1:9/"),
            None,
            "p",
            "us-central1",
        )
        .unwrap();
        assert_eq!(local.storage.config().base_url, "http://127.0.0.1:9");
        assert_eq!(encode("a/b c.jsonl"), "a%2Fb%20c.jsonl");
    }
}
