//! The emulator: the Gemini API's tuning surface served over HTTP on loopback, faithful enough for
//! the official Python SDKs and the tutorials' curl commands (the Gemini API reference and Vertex
//! AI's, with the discovery documents in tests/fixtures/discovery). It is both `tunedeck emulator`
//! and what the dashboard starts in-process when no credentials are found.

pub mod cloud;
pub mod core;
pub mod demo;
pub mod faults;
pub mod handlers;
pub mod http;
pub mod journal;
pub mod request;
pub mod store;
pub mod tokenizer;
pub mod trainer;
pub mod tuning;
mod vertex_dataset;
mod vertex_methods;
mod vertex_open;
mod vertex_preference;
mod vertex_quota;
pub mod vertex_tuning;
pub mod wire;

use self::core::Core;
pub use self::core::EmulatorOptions;
use self::faults::Faults;
use self::store::Store;
use crate::api::types::TunedModelState;
use axum::Router;
use secrecy::SecretString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The routes served, for `tunedeck emulator --help` and the 404 message.
pub const ROUTES: &str = "Routes (v1beta unless marked; v1 = both versions; HEAD wherever GET, headers only):
  GET/POST           /v1beta/tunedModels                     list (pageSize, pageToken, filter) / create (?tunedModelId=)
  GET/PATCH/DELETE   /v1beta/tunedModels/{id}                 get / patch (?updateMask=) / delete
  POST               /v1beta/tunedModels/{id}:transferOwnership
  POST  (v1)         /{v}/tunedModels/{id}:generateContent, :streamGenerateContent (?alt=sse)
  POST               /v1beta/tunedModels/{id}:generateText
  GET/POST           /v1beta/tunedModels/{id}/permissions     list / create
  GET/PATCH/DELETE   /v1beta/tunedModels/{id}/permissions/{p}
  GET   (v1)         /{v}/tunedModels/{id}/operations[/{op}]  list / get
  POST  v1 only      /v1/tunedModels/{id}/operations/{op}:cancel (v1beta binds no cancel: 404)
  GET/DELETE         /v1/operations[/**]                      list all / delete
  GET   (v1)         /{v}/models[/{m}]; POST /{v}/models/{m}:generateContent, :streamGenerateContent, :countTokens
Vertex AI ({v} = v1 or v1beta1; P = projects/{project}/locations/{location}):
  GET/POST           /{v}/P/tuningJobs                        list (pageSize, pageToken, filter) / create
  GET                /{v}/P/tuningJobs/{id}; POST …:cancel
  DELETE             /{v}/P/models/{id}
  POST               /{v}/P/endpoints/{e}:generateContent, :streamGenerateContent (also publishers/google/models/{m})
  GET                /{v}/P/metadataStores/default/contexts[/{id}] (?filter=)
  GET                /{v}/P/tensorboards[/{tb}]; /{tb}:batchRead?timeSeries=…
  GET                /{v}/P/tensorboards/{tb}/experiments/{x}[/runs[/{r}[/timeSeries[/{ts}]]]]
  GET/POST           …/timeSeries/{ts}:read?maxDataPoints= / :exportTensorboardTimeSeries
Cloud Storage (STORAGE_EMULATOR_HOST=http://HOST:PORT):
  POST/PUT           /upload/storage/v1/b/{bucket}/o?uploadType=media|multipart|resumable
  GET/DELETE         /storage/v1/b/{bucket}/o/{object} (?alt=media); GET /storage/v1/b/{bucket}[/o]";

/// `tunedeck emulator` flags.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = ROUTES)]
pub struct EmulatorArgs {
    /// Address to listen on. Loopback unless you mean otherwise.
    #[arg(long, default_value = "127.0.0.1:8765")]
    pub bind: SocketAddr,
    /// State file (default: tunedeck's data dir, emulator-state.json).
    #[arg(long, conflicts_with = "ephemeral")]
    pub state: Option<PathBuf>,
    /// Keep state in memory only.
    #[arg(long)]
    pub ephemeral: bool,
    /// Milliseconds per tuning step.
    #[arg(long, default_value_t = 500)]
    pub step_ms: u64,
    /// Vertex AI tuning jobs a project runs at once (the service's default quota); later jobs
    /// wait, PENDING with TUNING_JOB_STATE_WAITING_FOR_QUOTA, first come first served.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub concurrent_tuning_jobs: u32,
    /// Retire models as the model table's dates say at this day (YYYY-MM-DD, or `today`): a
    /// tuned endpoint whose base model has retired then answers 404 NOT_FOUND. Unset, no
    /// model retires in the emulator.
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    pub retire_models_at: Option<chrono::NaiveDate>,
    /// Seed for training and faults (the same seed gives the same loss curves).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Serve only requests carrying this API key (x-goog-api-key, ?key= or a bearer token).
    /// Warning: a flag's value shows in `ps`; prefer --require-key-file or TUNEDECK_EMULATOR_KEY.
    #[arg(long, env = "TUNEDECK_EMULATOR_KEY", hide_env_values = true)]
    pub require_key: Option<String>,
    /// Read --require-key's key from this file (`-`: stdin), which `ps` does not show.
    #[arg(long, value_name = "FILE")]
    pub require_key_file: Option<PathBuf>,
    /// Serve only requests carrying this OAuth access token as `Authorization: Bearer` (a key
    /// from --require-key is taken too); another token is answered 401 UNAUTHENTICATED.
    /// Warning: a flag's value shows in `ps`; prefer --require-token-file or
    /// TUNEDECK_EMULATOR_TOKEN.
    #[arg(long, env = "TUNEDECK_EMULATOR_TOKEN", hide_env_values = true)]
    pub require_token: Option<String>,
    /// Read --require-token's token from this file (`-`: stdin), which `ps` does not show.
    #[arg(long, value_name = "FILE")]
    pub require_token_file: Option<PathBuf>,
    /// A bearer token taken as a caller without the tuning scope: answered 403
    /// ACCESS_TOKEN_SCOPE_INSUFFICIENT (repeat for more). Warning: a flag's value shows in
    /// `ps`; use a throwaway token.
    #[arg(long, hide_env_values = true)]
    pub scopeless_token: Vec<String>,
    /// Start with no demo models.
    #[arg(long)]
    pub empty: bool,
    /// Fault: share of requests (0 to 1) carried out whose answer is then lost (the connection
    /// is cut), as when a network drops a reply.
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    pub fault_lose_answer: f64,
    /// Fault: every write of the state fails as on a full disk (changes answer 503 and change
    /// nothing).
    #[arg(long)]
    pub fault_disk_full: bool,
    /// Fault: every save of the state file fails as on a nearly full disk, while the journal
    /// still takes each change (the emulator serves on, and says so at shutdown).
    #[arg(long)]
    pub fault_snapshot_full: bool,
    /// Test knob: milliseconds to wait between renaming a new state file into place and
    /// emptying the journal (the window a crash must survive).
    #[arg(long, default_value_t = 0, hide = true)]
    pub fault_compact_pause_ms: u64,
    /// Seconds a client may take to send a whole request (head and body) before the connection
    /// is closed.
    #[arg(long, default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Milliseconds between streamed answer chunks.
    #[arg(long, default_value_t = 40)]
    pub stream_chunk_ms: u64,
    /// Fault: share of requests (0 to 1) answered 429 RESOURCE_EXHAUSTED with RetryInfo.
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    pub fault_429: f64,
    /// Fault: share of requests (0 to 1) answered 503 UNAVAILABLE.
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    pub fault_503: f64,
    /// Fault: the retry delay 429 answers ask for, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub fault_retry_ms: u64,
    /// Fault: milliseconds of latency added to every request.
    #[arg(long, default_value_t = 0)]
    pub fault_latency_ms: u64,
    /// Fault: share of streamed answers cut after the first chunk.
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    pub fault_drop_stream: f64,
    /// Fault: share of tuning jobs that fail part-way.
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    pub fault_fail_job: f64,
    /// Answer streamGenerateContent on tuned models with 404, as the live service did before
    /// 2024-11-19 (clients must fall back to generateContent).
    #[arg(long)]
    pub no_tuned_streaming: bool,
}

/// Vertex AI tuning jobs the embedded emulator runs at once per project (see
/// [`start_embedded`]).
pub const EMBEDDED_CONCURRENT_TUNING_JOBS: usize = 2;

fn parse_rate(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is not between 0 and 1"))
    }
}

/// `--retire-models-at`: a day, or `today` (read once, at the start).
fn parse_day(s: &str) -> Result<chrono::NaiveDate, String> {
    if s == "today" {
        return Ok(chrono::Utc::now().date_naive());
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("{s:?} is not YYYY-MM-DD"))
}

/// The emulator tunedeck runs in-process when no credentials are found, for the dashboard and
/// the headless commands alike: the usual state file, a free loopback port. Its demo project
/// runs two tuning jobs at once, not the service's one: the demo's own live job is the
/// emulator's, and a person's first job should not queue behind it for a minute (while it
/// runs, a second job of theirs still waits; once it has ended, two of theirs run at once).
pub async fn start_embedded() -> color_eyre::Result<RunningEmulator> {
    let options = EmulatorOptions {
        state_file: default_state_file(),
        concurrent_tuning_jobs: EMBEDDED_CONCURRENT_TUNING_JOBS,
        ..EmulatorOptions::default()
    };
    start(options, ([127, 0, 0, 1], 0).into()).await
}

/// The default state file: `$XDG_DATA_HOME/tunedeck/emulator-state.json`.
pub fn default_state_file() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "tunedeck")
        .map(|d| d.data_dir().join("emulator-state.json"))
}

impl EmulatorArgs {
    /// Reads `--require-key-file` and `--require-token-file` (`-`: stdin, for one of them);
    /// a file wins over the variable. An error names the flag and file, never the content.
    pub fn read_secret_files(&mut self) -> Result<(), String> {
        let stdin = std::path::Path::new("-");
        if self.require_key_file.as_deref() == Some(stdin)
            && self.require_token_file.as_deref() == Some(stdin)
        {
            return Err("--require-key-file - and --require-token-file - cannot both read stdin: give one a file".into());
        }
        if let Some(path) = &self.require_key_file {
            self.require_key = Some(crate::api::auth::read_secret(path, "--require-key-file")?);
        }
        if let Some(path) = &self.require_token_file {
            self.require_token = Some(crate::api::auth::read_secret(path, "--require-token-file")?);
        }
        Ok(())
    }

    pub fn options(&self) -> EmulatorOptions {
        EmulatorOptions {
            state_file: if self.ephemeral {
                None
            } else {
                self.state.clone().or_else(default_state_file)
            },
            step_interval: Duration::from_millis(self.step_ms),
            seed: self.seed,
            require_key: self.require_key.clone().map(SecretString::from),
            require_token: self.require_token.clone().map(SecretString::from),
            scopeless_tokens: self
                .scopeless_token
                .iter()
                .cloned()
                .map(SecretString::from)
                .collect(),
            demo: !self.empty,
            faults: Faults {
                rate_429: self.fault_429,
                rate_503: self.fault_503,
                retry_delay: Duration::from_millis(self.fault_retry_ms),
                latency: Duration::from_millis(self.fault_latency_ms),
                drop_stream_rate: self.fault_drop_stream,
                fail_job_rate: self.fault_fail_job,
                no_tuned_streaming: self.no_tuned_streaming,
                disk_full: self.fault_disk_full,
                snapshot_full: self.fault_snapshot_full,
                compact_pause: Duration::from_millis(self.fault_compact_pause_ms),
                lose_answer_rate: self.fault_lose_answer,
            },
            stream_chunk_delay: Duration::from_millis(self.stream_chunk_ms),
            header_timeout: Duration::from_secs(self.request_timeout_secs.max(1)),
            concurrent_tuning_jobs: self.concurrent_tuning_jobs as usize,
            retire_models_at: self.retire_models_at,
        }
    }
}

/// A running emulator. Dropping it stops the server and its jobs (after a last save).
pub struct RunningEmulator {
    pub addr: SocketAddr,
    core: Arc<Core>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl RunningEmulator {
    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A line for logs and banners.
    pub fn describe(&self) -> String {
        let state = match &self.core.options.state_file {
            Some(p) => format!("state in {}", p.display()),
            None => "ephemeral state".to_owned(),
        };
        format!(
            "tunedeck emulator on {} ({state}; {} ms a step; {} Vertex tuning job{} at once per project; {})",
            self.base_url(),
            self.core.options.step_interval.as_millis(),
            self.core.options.concurrent_tuning_jobs,
            if self.core.options.concurrent_tuning_jobs == 1 {
                ""
            } else {
                "s"
            },
            self.core.options.faults.describe()
        )
    }

    /// Stops serving, ends the jobs and saves the state (a failed save is logged; the journal
    /// still has every acknowledged change).
    pub async fn shutdown(self) {
        let _ = self.shutdown_saved().await;
    }

    /// [`RunningEmulator::shutdown`], saying whether the final save of the state file failed,
    /// for `tunedeck emulator` to exit non-zero.
    pub async fn shutdown_saved(mut self) -> Result<(), String> {
        self.core.cancel.cancel();
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.core.tasks.close();
        self.core.tasks.wait().await;
        self.core.final_save()
    }

    /// Waits until the server stops (Ctrl-C handling is the caller's). The handle is taken, so
    /// a later [`RunningEmulator::shutdown`] does not poll it again.
    pub async fn wait(&mut self) {
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    pub fn cancel_token(&self) -> tokio_util::sync::CancellationToken {
        self.core.cancel.clone()
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        self.core.cancel.cancel();
    }
}

/// The axum app over a core (for tests that want to drive it without a socket).
pub fn router(core: Arc<Core>) -> Router {
    // The handler reads the body itself, up to the service's limit, to answer as it does.
    Router::new()
        .fallback(http::router::handle)
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(core)
}

/// Loads the state, seeds the demo if it is empty, resumes unfinished jobs, and serves on
/// `bind` (port 0 picks a free one).
pub async fn start(
    options: EmulatorOptions,
    bind: SocketAddr,
) -> color_eyre::Result<RunningEmulator> {
    // The state file, then the changes acknowledged since it was written. Nothing is written
    // before serving (a start must not need free space the size of the state): the journal is
    // folded into the state file in the background, and retried until the disk takes it.
    let (store, journal, backlog) = match &options.state_file {
        Some(path) => {
            let (files, bytes) = Store::remove_stale_temporaries(path);
            if files > 0 {
                tracing::info!(
                    "removed {files} temporary file(s) ({bytes} bytes) that interrupted saves of {} left",
                    path.display()
                );
            }
            let mut store = Store::load(path).map_err(|e| color_eyre::eyre::eyre!(e))?;
            let replayed =
                journal::replay(path, &mut store).map_err(|e| color_eyre::eyre::eyre!(e))?;
            let journal = journal::Journal::open(path, &replayed, options.faults.disk_full)
                .map_err(|e| {
                    color_eyre::eyre::eyre!(
                        "cannot open the journal {}: {e}",
                        journal::path_for(path).display()
                    )
                })?;
            let backlog = replayed.applied + replayed.skipped > 0;
            (store, Some(journal), backlog)
        }
        None => (Store::new(), None, false),
    };
    let fresh = store.records.is_empty();
    let resume: Vec<String> = store
        .records
        .iter()
        .filter(|r| {
            r.model.state == TunedModelState::Creating && r.job.as_ref().is_some_and(|j| !j.done)
        })
        .map(|r| r.id().to_owned())
        .collect();
    let resume_vertex: Vec<String> = store
        .cloud
        .jobs
        .iter()
        .filter(|j| !j.state.job.state.is_terminal())
        .map(|j| j.id().to_owned())
        .collect();
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| color_eyre::eyre::eyre!("cannot listen on {bind}: {e}"))?;
    let addr = listener.local_addr()?;
    let core = Core::new(store, journal, options);
    let mut jobs = resume;
    if fresh && core.options.demo {
        jobs.extend(demo::seed(&core));
    }
    // The Vertex demo comes separately, so a state made before it existed gets it too.
    let no_vertex = core.store().cloud.jobs.is_empty();
    if no_vertex && core.options.demo {
        demo::seed_vertex(&core);
    }
    for id in jobs {
        core.spawn_job(id);
    }
    for id in resume_vertex {
        let core2 = Arc::clone(&core);
        core.tasks
            .spawn(async move { vertex_tuning::run(core2, id, None).await });
    }
    core.spawn_saver(backlog);
    let app = router(Arc::clone(&core));
    let cancel = core.cancel.clone();
    let header_timeout = core.options.header_timeout;
    let server = tokio::spawn(http::server::serve(listener, app, cancel, header_timeout));
    let running = RunningEmulator {
        addr,
        core,
        server: Some(server),
    };
    tracing::info!("{}", running.describe());
    Ok(running)
}
