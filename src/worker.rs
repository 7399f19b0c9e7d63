//! The background worker (the README's Architecture): the only place the network is awaited.
//!
//! Commands arrive over a channel; each request runs as a task in a `JoinSet` under a
//! concurrency cap, with its own cancellation token; operations being watched are polled on an
//! adaptive interval; results go back as events that carry the data. When the command channel
//! closes, in-flight work is cancelled and the worker returns.

use crate::api::client::collect_pages;
use crate::api::types::*;
use crate::api::vertex::client::{MetricPoint, MetricsCache, TRAIN_LOSS, VertexClient};
use crate::api::vertex::types::{JobState as VertexJobState, TuningJob};
use crate::api::{ApiClient, ApiError};
use crate::protocol::*;
use futures::StreamExt;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Reads a dataset file for [`Cmd::ReadDataset`].
pub fn read_dataset(
    path: &std::path::Path,
    mapping: Option<&crate::dataset::format::Mapping>,
) -> Result<DatasetFile, crate::dataset::format::ImportError> {
    let (examples, format) = crate::dataset::format::read_file(path, None, mapping)?;
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    Ok(DatasetFile {
        examples,
        format,
        modified,
        spaced: crate::dataset::format::spaced_json_style(path),
        base: crate::dataset::base::FileBase::read(path),
        kept_lines: crate::dataset::format::read_kept_lines(path, format),
    })
}

/// The order of the file operations asked for, per path: each waits for the one before it.
#[derive(Default)]
struct FileOrder {
    last: HashMap<std::path::PathBuf, tokio::sync::oneshot::Receiver<()>>,
}

/// One operation's place in its file's order: what to wait for, and what to drop when done.
struct FileTurn {
    before: Option<tokio::sync::oneshot::Receiver<()>>,
    done: tokio::sync::oneshot::Sender<()>,
}

impl FileOrder {
    fn next(&mut self, path: &std::path::Path) -> FileTurn {
        let (done, after) = tokio::sync::oneshot::channel();
        // One entry a file ever written this session (the journal, the dataset, exports).
        let before = self.last.insert(path.to_path_buf(), after);
        FileTurn { before, done }
    }
}

impl FileTurn {
    /// Waits until the operation before this one on the same file has finished (its sender
    /// is dropped, or sent); returns the sender to drop once this one has.
    async fn wait(self) -> tokio::sync::oneshot::Sender<()> {
        if let Some(before) = self.before {
            let _ = before.await;
        }
        self.done
    }
}

/// Saves unless the file changed since `since` (blocking; run off the async threads).
pub fn save_file(
    path: &std::path::Path,
    contents: &[u8],
    since: Option<std::time::SystemTime>,
) -> SaveOutcome {
    let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if let (Some(since), Some(now)) = (since, modified(path))
        && now != since
    {
        return SaveOutcome::ChangedOnDisk;
    }
    match crate::atomic_file::write_atomically(path, contents) {
        Ok(()) => SaveOutcome::Saved(modified(path)),
        Err(e) => SaveOutcome::Failed(e.to_string()),
    }
}

/// Poll intervals and limits.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    pub max_in_flight: usize,
    /// Poll interval while steps keep arriving.
    pub poll_min: Duration,
    /// Poll interval to start with and to settle at.
    pub poll_default: Duration,
    /// The longest back-off after errors or idle polls.
    pub poll_max: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions::polling(crate::config::PollIntervals::default())
    }
}

impl WorkerOptions {
    /// The default concurrency with the configured poll intervals.
    pub fn polling(poll: crate::config::PollIntervals) -> Self {
        WorkerOptions {
            max_in_flight: 8,
            poll_min: poll.min,
            poll_default: poll.start,
            poll_max: poll.max,
        }
    }
}

/// The adaptive state of one watched operation.
#[derive(Debug, Clone)]
pub struct Watch {
    pub interval: Duration,
    pub due: Instant,
    pub in_flight: bool,
    pub last_steps: i32,
}

impl Watch {
    /// The next interval after a successful poll: quicker while steps arrive, slower when none do.
    pub fn after_success(&mut self, steps: i32, options: &WorkerOptions) {
        self.interval = if steps > self.last_steps {
            (self.interval.mul_f64(0.7)).max(options.poll_min)
        } else {
            (self.interval.mul_f64(1.5)).min(options.poll_max)
        };
        self.last_steps = steps;
    }

    /// The next interval after a failed poll: what the server asked for, else double.
    pub fn after_error(&mut self, error: &ApiError, options: &WorkerOptions) {
        self.interval = error
            .retry_after
            .unwrap_or_else(|| self.interval.saturating_mul(2))
            .clamp(
                options.poll_min,
                options.poll_max.max(error.retry_after.unwrap_or_default()),
            );
    }
}

enum Finished {
    Call(RequestId),
    Poll {
        name: String,
        result: Box<Result<Operation, ApiError>>,
    },
    /// A Vertex job's poll, with its metrics cache handed back.
    PollVertex {
        name: String,
        result: Box<Result<VertexPoll, ApiError>>,
        cache: MetricsCache,
    },
}

/// What a Vertex job's poll brought: the job, and its new metric points.
type VertexPoll = (TuningJob, BTreeMap<String, Vec<MetricPoint>>);

/// Polls a Vertex job, then (once it trains) its new metric points.
async fn poll_vertex(
    client: &VertexClient,
    name: &str,
    cache: &mut MetricsCache,
) -> Result<VertexPoll, ApiError> {
    let job = client.get_tuning_job(name).await?;
    let trains = job.state == VertexJobState::Running || job.state.is_terminal();
    let metrics = if trains && !job.experiment.is_empty() {
        client.read_metrics(&job, cache).await?
    } else {
        BTreeMap::new()
    };
    Ok((job, metrics))
}

/// Starts the worker on the current runtime; returns the command sender and event receiver.
pub fn spawn(
    client: ApiClient,
    options: WorkerOptions,
) -> (
    mpsc::UnboundedSender<Cmd>,
    mpsc::UnboundedReceiver<WorkerEvent>,
    tokio::task::JoinHandle<()>,
) {
    spawn_with_vertex(client, None, options)
}

/// [`spawn`], with a Vertex AI client for [`Cmd::WatchVertex`].
pub fn spawn_with_vertex(
    client: ApiClient,
    vertex: Option<VertexClient>,
    options: WorkerOptions,
) -> (
    mpsc::UnboundedSender<Cmd>,
    mpsc::UnboundedReceiver<WorkerEvent>,
    tokio::task::JoinHandle<()>,
) {
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (event_tx, event_rx) = mpsc::unbounded_channel();
    let handle = tokio::spawn(run_with_vertex(client, vertex, cmd_rx, event_tx, options));
    (cmd_tx, event_rx, handle)
}

/// The worker loop. Returns when the command channel closes or the event receiver is gone.
pub async fn run(
    client: ApiClient,
    commands: mpsc::UnboundedReceiver<Cmd>,
    events: mpsc::UnboundedSender<WorkerEvent>,
    options: WorkerOptions,
) {
    run_with_vertex(client, None, commands, events, options).await;
}

/// [`run`], with a Vertex AI client for [`Cmd::WatchVertex`].
pub async fn run_with_vertex(
    client: ApiClient,
    mut vertex: Option<VertexClient>,
    mut commands: mpsc::UnboundedReceiver<Cmd>,
    events: mpsc::UnboundedSender<WorkerEvent>,
    options: WorkerOptions,
) {
    // Vertex jobs watched, with each one's resolved series and last steps read.
    let mut vertex_watches: HashMap<String, MetricsCache> = HashMap::new();
    let permits = Arc::new(Semaphore::new(options.max_in_flight.max(1)));
    let mut tasks: JoinSet<Finished> = JoinSet::new();
    let mut cancels: HashMap<RequestId, CancellationToken> = HashMap::new();
    let mut watches: HashMap<String, Watch> = HashMap::new();
    // Writes and removals of one file happen in the order they were asked for (a journal
    // written after an edit and removed after the undo that follows must end removed).
    let mut file_order = FileOrder::default();
    loop {
        let next_due = watches
            .values()
            .filter(|w| !w.in_flight)
            .map(|w| w.due)
            .min();
        tokio::select! {
            command = commands.recv() => {
                let Some(command) = command else { break };
                match command {
                    Cmd::Call { id, call } => {
                        let token = CancellationToken::new();
                        cancels.insert(id, token.clone());
                        let (client, events, permits) = (client.clone(), events.clone(), Arc::clone(&permits));
                        let vertex = vertex.clone();
                        tasks.spawn(async move {
                            let _permit = permits.acquire_owned().await;
                            tokio::select! {
                                () = token.cancelled() => { let _ = events.send(WorkerEvent::Cancelled { id }); }
                                () = perform(&client, vertex.as_ref(), id, call, &events) => {}
                            }
                            Finished::Call(id)
                        });
                    }
                    Cmd::Cancel { id } => {
                        if let Some(token) = cancels.remove(&id) {
                            token.cancel();
                        }
                    }
                    Cmd::Watch { operation } => {
                        watches.entry(operation).or_insert_with(|| Watch {
                            interval: options.poll_default,
                            due: Instant::now(),
                            in_flight: false,
                            last_steps: -1,
                        });
                    }
                    Cmd::Unwatch { operation } => {
                        watches.remove(&operation);
                        vertex_watches.remove(&operation);
                    }
                    Cmd::Retarget { project, location } => {
                        // In order with the calls: those asked after it go to the new place.
                        vertex = vertex.map(|v| v.at(&project, &location));
                    }
                    Cmd::WatchVertex { job } => {
                        if vertex.is_none() {
                            tracing::warn!("{job}: no Vertex AI client to watch it with");
                            continue;
                        }
                        vertex_watches.entry(job.clone()).or_default();
                        watches.entry(job).or_insert_with(|| Watch {
                            interval: options.poll_default,
                            due: Instant::now(),
                            in_flight: false,
                            last_steps: -1,
                        });
                    }
                    Cmd::SaveFile { id, path, contents, unless_modified_since } => {
                        let events = events.clone();
                        let turn = file_order.next(&path);
                        tasks.spawn(async move {
                            let done = turn.wait().await;
                            let target = path.clone();
                            let outcome = tokio::task::spawn_blocking(move || save_file(&target, &contents, unless_modified_since))
                                .await
                                .unwrap_or_else(|e| SaveOutcome::Failed(e.to_string()));
                            let _ = events.send(WorkerEvent::FileSaved { id, path, outcome });
                            drop(done);
                            Finished::Call(id)
                        });
                    }
                    Cmd::RemoveFile { path } => {
                        let turn = file_order.next(&path);
                        tasks.spawn(async move {
                            let done = turn.wait().await;
                            let _ = tokio::fs::remove_file(&path).await;
                            drop(done);
                            Finished::Call(0)
                        });
                    }
                    // The event loop performs these on the terminal; one sent here has no terminal.
                    Cmd::Copy(_) | Cmd::Bell | Cmd::EditExternally(_) => {
                        tracing::debug!("a terminal effect reached the worker and was dropped");
                    }
                    Cmd::ReadDataset { id, path, mapping } => {
                        let events = events.clone();
                        tasks.spawn(async move {
                            let target = path.clone();
                            let result = tokio::task::spawn_blocking(move || read_dataset(&target, mapping.as_ref()))
                                .await
                                .unwrap_or_else(|e| Err(crate::dataset::format::ImportError {
                                    file: path.display().to_string(),
                                    line: 0,
                                    column: 0,
                                    reason: e.to_string(),
                                    csv_columns: None,
                                }));
                            let _ = events.send(WorkerEvent::DatasetRead { id, path, result });
                            Finished::Call(id)
                        });
                    }
                    Cmd::WriteFile { id, path, contents } => {
                        let events = events.clone();
                        let turn = file_order.next(&path);
                        tasks.spawn(async move {
                            let done = turn.wait().await;
                            let target = path.clone();
                            let result = tokio::task::spawn_blocking(move || {
                                crate::atomic_file::write_atomically(&target, &contents)
                            })
                            .await;
                            let error = match result {
                                Ok(Ok(())) => None,
                                Ok(Err(e)) => Some(e.to_string()),
                                Err(e) => Some(e.to_string()),
                            };
                            let _ = events.send(WorkerEvent::FileWritten { id, path, error });
                            drop(done);
                            Finished::Call(id)
                        });
                    }
                }
            }
            Some(joined) = tasks.join_next(), if !tasks.is_empty() => {
                match joined {
                    Ok(Finished::Call(id)) => { cancels.remove(&id); }
                    Ok(Finished::Poll { name, result }) => {
                        let Some(watch) = watches.get_mut(&name) else { continue };
                        watch.in_flight = false;
                        match *result {
                            Ok(operation) => {
                                let steps = operation.tuning_metadata().map(|m| m.completed_steps).unwrap_or(0);
                                watch.after_success(steps, &options);
                                watch.due = Instant::now() + watch.interval;
                                let done = operation.done;
                                if events.send(WorkerEvent::OperationPolled { operation: Box::new(operation) }).is_err() {
                                    break;
                                }
                                if done {
                                    watches.remove(&name);
                                }
                            }
                            Err(error) => {
                                watch.after_error(&error, &options);
                                watch.due = Instant::now() + watch.interval;
                                let retry_in = watch.interval;
                                let _ = events.send(WorkerEvent::PollFailed { operation: name, error, retry_in });
                            }
                        }
                    }
                    Ok(Finished::PollVertex { name, result, cache }) => {
                        let Some(watch) = watches.get_mut(&name) else { continue };
                        watch.in_flight = false;
                        let steps = cache.last_step.get(TRAIN_LOSS).copied().unwrap_or(0);
                        vertex_watches.insert(name.clone(), cache);
                        match *result {
                            Ok((job, metrics)) => {
                                watch.after_success(i32::try_from(steps).unwrap_or(i32::MAX), &options);
                                watch.due = Instant::now() + watch.interval;
                                let done = job.state.is_terminal();
                                if events.send(WorkerEvent::VertexJobPolled { job: Box::new(job), metrics }).is_err() {
                                    break;
                                }
                                if done {
                                    watches.remove(&name);
                                    vertex_watches.remove(&name);
                                }
                            }
                            Err(error) => {
                                watch.after_error(&error, &options);
                                watch.due = Instant::now() + watch.interval;
                                let retry_in = watch.interval;
                                let _ = events.send(WorkerEvent::PollFailed { operation: name, error, retry_in });
                            }
                        }
                    }
                    Err(e) => tracing::error!("worker task failed: {e}"),
                }
            }
            () = sleep_until(next_due), if next_due.is_some() => {
                let now = Instant::now();
                for (name, watch) in watches.iter_mut().filter(|(_, w)| !w.in_flight && w.due <= now) {
                    watch.in_flight = true;
                    let (name, permits) = (name.clone(), Arc::clone(&permits));
                    if let (Some(mut cache), Some(vertex)) = (vertex_watches.remove(&name), vertex.clone()) {
                        // A job listed in another location (the "all locations" view) is read
                        // on that location's host.
                        let vertex = match crate::domain::regions::location_of(&name) {
                            Some(l) if l != vertex.location => vertex.at(&vertex.project, l),
                            _ => vertex,
                        };
                        tasks.spawn(async move {
                            let _permit = permits.acquire_owned().await;
                            let result = poll_vertex(&vertex, &name, &mut cache).await;
                            Finished::PollVertex { name, result: Box::new(result), cache }
                        });
                        continue;
                    }
                    let client = client.clone();
                    tasks.spawn(async move {
                        let _permit = permits.acquire_owned().await;
                        let result = poll(&client, &name).await;
                        Finished::Poll { name, result: Box::new(result) }
                    });
                }
            }
        }
        if events.is_closed() {
            break;
        }
    }
    for token in cancels.values() {
        token.cancel();
    }
    tasks.shutdown().await;
}

/// Polls a watch target: an operation, or a tuned model seen as one.
async fn poll(client: &ApiClient, name: &str) -> Result<Operation, ApiError> {
    if name.contains("/operations/") {
        client.get_operation(name).await
    } else {
        client
            .get_tuned_model(name)
            .await
            .map(crate::domain::progress::gemini::operation_from_model)
    }
}

async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

/// Runs one call and sends its events.
async fn perform(
    client: &ApiClient,
    vertex: Option<&VertexClient>,
    id: RequestId,
    call: ApiCall,
    events: &mpsc::UnboundedSender<WorkerEvent>,
) {
    let send = |result: Result<Reply, ApiError>| {
        let _ = events.send(match result {
            Ok(reply) => WorkerEvent::Reply { id, reply },
            Err(error) => WorkerEvent::Failed { id, error },
        });
    };
    // A Vertex resource of another location (a job of the all-locations view, its model or
    // endpoint) is reached on that location's host.
    let moved = vertex
        .zip(vertex_location(&call))
        .and_then(|(v, l)| (l != v.location).then(|| v.at(&v.project, l)));
    let vertex = moved.as_ref().or(vertex);
    match call {
        ApiCall::ListTunedModels { filter } => {
            let mut pages = client.tuned_model_pages(Some(1000), filter).peekable();
            while let Some(page) = pages.next().await {
                match page {
                    Ok(models) => {
                        let last = std::pin::Pin::new(&mut pages).peek().await.is_none();
                        send(Ok(Reply::TunedModelsPage { models, last }));
                    }
                    Err(e) => return send(Err(e)),
                }
            }
        }
        ApiCall::GenerateContent { ref model, .. }
            if crate::domain::vertex::is_vertex_model(model) =>
        {
            send(vertex_call(vertex, call).await)
        }
        ApiCall::StreamGenerateContent { model, request } => {
            let opened = if crate::domain::vertex::is_vertex_model(&model) {
                match vertex {
                    Some(vertex) => vertex.stream_generate_content(&model, &request).await,
                    None => Err(no_vertex_client()),
                }
            } else {
                client.stream_generate_content(&model, &request).await
            };
            let mut stream = match opened {
                Ok(stream) => stream,
                // Before late 2024 the live service did not route streaming for tuned models.
                Err(e) if e.http_status == Some(404) && model.starts_with("tunedModels/") => {
                    match client.generate_content(&model, &request).await {
                        Ok(answer) => {
                            send(Ok(Reply::Chunk(Box::new(answer))));
                            return send(Ok(Reply::StreamEnd { fell_back: true }));
                        }
                        Err(e) => return send(Err(e)),
                    }
                }
                Err(e) => return send(Err(e)),
            };
            while let Some(chunk) = stream.next().await {
                match chunk {
                    Ok(chunk) => send(Ok(Reply::Chunk(Box::new(chunk)))),
                    Err(e) => return send(Err(e)),
                }
            }
            send(Ok(Reply::StreamEnd { fell_back: false }));
        }
        ApiCall::StartVertexTuning {
            bucket,
            uploads,
            job,
        } => {
            let Some(vertex) = vertex else {
                return send(Err(no_vertex_client()));
            };
            for (object, data) in &uploads {
                let progress = |sent, total| {
                    let _ = events.send(WorkerEvent::UploadProgress {
                        id,
                        object: object.clone(),
                        sent,
                        total,
                    });
                };
                if let Err(e) = vertex.upload(&bucket, object, data, progress).await {
                    return send(Err(e));
                }
            }
            send(
                vertex
                    .create_tuning_job_safely(&job)
                    .await
                    .map(|job| Reply::TuningJob(Box::new(job))),
            )
        }
        ApiCall::ListTuningJobs
        | ApiCall::CancelTuningJob { .. }
        | ApiCall::DeleteVertexModel { .. }
        | ApiCall::GetVertexModel { .. }
        | ApiCall::SetDefaultCheckpoint { .. }
        | ApiCall::RebaseTunedModel { .. }
        | ApiCall::ListTuningJobsIn { .. } => send(vertex_call(vertex, call).await),
        other => send(call_once(client, other).await),
    }
}

/// The location a Vertex call's resource names (`projects/P/locations/L/…`), if it names one.
fn vertex_location(call: &ApiCall) -> Option<&str> {
    let name = match call {
        ApiCall::GenerateContent { model, .. } | ApiCall::StreamGenerateContent { model, .. } => {
            model
        }
        ApiCall::CancelTuningJob { name }
        | ApiCall::DeleteVertexModel { name }
        | ApiCall::GetVertexModel { name } => name,
        ApiCall::SetDefaultCheckpoint { model, .. } => model,
        ApiCall::RebaseTunedModel { job, .. } => job,
        _ => return None,
    };
    crate::domain::regions::location_of(name)
}

fn no_vertex_client() -> ApiError {
    ApiError::decode("internal: a Vertex AI call reached a worker without a Vertex AI client")
}

/// A Vertex AI call, or why there is none to make it with.
async fn vertex_call(vertex: Option<&VertexClient>, call: ApiCall) -> Result<Reply, ApiError> {
    let Some(vertex) = vertex else {
        return Err(no_vertex_client());
    };
    match call {
        ApiCall::ListTuningJobs => Ok(Reply::TuningJobs(vertex.all_tuning_jobs("").await?)),
        ApiCall::ListTuningJobsIn { locations } => Ok(Reply::TuningJobsByLocation(
            vertex
                .tuning_jobs_in(&locations, crate::domain::regions::ALL_LOCATIONS_AT_ONCE)
                .await
                .into_iter()
                .map(|(location, jobs)| crate::protocol::LocationJobs { location, jobs })
                .collect(),
        )),
        ApiCall::CancelTuningJob { name } => {
            vertex.cancel_tuning_job(&name).await?;
            Ok(Reply::Empty)
        }
        ApiCall::DeleteVertexModel { name } => {
            vertex.delete_model(&name).await?;
            Ok(Reply::Empty)
        }
        ApiCall::GetVertexModel { name } => {
            Ok(Reply::VertexModel(Box::new(vertex.get_model(&name).await?)))
        }
        ApiCall::SetDefaultCheckpoint { model, checkpoint } => Ok(Reply::VertexModel(Box::new(
            vertex.set_default_checkpoint(&model, &checkpoint).await?,
        ))),
        ApiCall::RebaseTunedModel {
            job,
            base_model,
            same_endpoint,
        } => Ok(Reply::TuningJob(Box::new(
            vertex
                .rebase_tuned_model(&job, &base_model, same_endpoint)
                .await?,
        ))),
        ApiCall::GenerateContent { model, request } => Ok(Reply::Generated(Box::new(
            vertex.generate_content(&model, &request).await?,
        ))),
        _ => Err(ApiError::decode(
            "internal: a Gemini API call routed to Vertex AI",
        )),
    }
}

async fn call_once(client: &ApiClient, call: ApiCall) -> Result<Reply, ApiError> {
    Ok(match call {
        ApiCall::GetTunedModel { name } => {
            Reply::TunedModel(Box::new(client.get_tuned_model(&name).await?))
        }
        ApiCall::CreateTunedModel { model, id } => Reply::Operation(Box::new(
            client
                .create_tuned_model_safely(&model, id.as_deref())
                .await?,
        )),
        ApiCall::UpdateTunedModel { model, mask } => {
            let mask: Vec<&str> = mask.iter().map(String::as_str).collect();
            Reply::TunedModel(Box::new(client.update_tuned_model(&model, &mask).await?))
        }
        ApiCall::DeleteTunedModel { name } => {
            client.delete_tuned_model(&name).await?;
            Reply::Empty
        }
        ApiCall::TransferOwnership { name, email } => {
            client.transfer_ownership(&name, &email).await?;
            Reply::Empty
        }
        ApiCall::ListPermissions { name } => {
            Reply::Permissions(client.all_permissions(&name).await?)
        }
        ApiCall::CreatePermission { model, permission } => Reply::Permission(Box::new(
            client.create_permission(&model, &permission).await?,
        )),
        ApiCall::DeletePermission { name } => {
            client.delete_permission(&name).await?;
            Reply::Empty
        }
        ApiCall::ListModels => Reply::Models(client.all_models().await?),
        ApiCall::GetOperation { name } => {
            Reply::Operation(Box::new(client.get_operation(&name).await?))
        }
        ApiCall::ListOperations { model } => {
            let client2 = client.clone();
            let ops = collect_pages(crate::api::client::pages(move |token| {
                let client = client2.clone();
                let model = model.clone();
                async move { client.list_operations(&model, Some(100), &token).await }
            }))
            .await?;
            Reply::Operations(ops)
        }
        ApiCall::CancelOperation { name } => {
            client.cancel_operation(&name).await?;
            Reply::Empty
        }
        ApiCall::GenerateContent { model, request } => {
            Reply::Generated(Box::new(client.generate_content(&model, &request).await?))
        }
        ApiCall::ListTunedModels { .. } | ApiCall::StreamGenerateContent { .. } => {
            return Err(ApiError::decode(
                "internal: streaming call routed as a single call",
            ));
        }
        ApiCall::ListTuningJobs
        | ApiCall::CancelTuningJob { .. }
        | ApiCall::DeleteVertexModel { .. }
        | ApiCall::GetVertexModel { .. }
        | ApiCall::SetDefaultCheckpoint { .. }
        | ApiCall::RebaseTunedModel { .. }
        | ApiCall::ListTuningJobsIn { .. }
        | ApiCall::StartVertexTuning { .. } => {
            return Err(ApiError::decode(
                "internal: a Vertex AI call routed to the Gemini API",
            ));
        }
    })
}
