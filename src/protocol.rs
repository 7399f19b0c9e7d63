//! The messages between the parts (the README's Architecture): what reaches `App::update`
//! ([`Msg`]), the effects it asks for ([`Cmd`], network calls as [`ApiCall`]), and what the worker
//! answers ([`WorkerEvent`], a call's result as [`Reply`]). Only vocabulary lives here: the worker
//! executes these, the app produces and consumes them, and tests name them without the worker.

use crate::api::ApiError;
use crate::api::types::*;
use crossterm::event::{KeyEvent, MouseEvent};
use std::time::Duration;

/// Anything that reaches `update`.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    Paste(String),
    Worker(WorkerEvent),
    /// A deadline the app asked for ([`App::next_wakeup`]) has passed.
    Timer,
    /// The text `$EDITOR` saved for the field asked for with [`Cmd::EditExternally`], or why not.
    Edited(Result<String, String>),
}

/// Identifies one request so its answer (or its cancellation) can be matched.
pub type RequestId = u64;

/// An API call the worker can make.
#[derive(Debug, Clone)]
pub enum ApiCall {
    /// Every page of tunedModels.list; each page arrives as its own event.
    ListTunedModels {
        filter: Option<String>,
    },
    GetTunedModel {
        name: String,
    },
    CreateTunedModel {
        model: Box<TunedModel>,
        id: Option<String>,
    },
    UpdateTunedModel {
        model: Box<TunedModel>,
        mask: Vec<String>,
    },
    DeleteTunedModel {
        name: String,
    },
    TransferOwnership {
        name: String,
        email: String,
    },
    ListPermissions {
        name: String,
    },
    CreatePermission {
        model: String,
        permission: Permission,
    },
    DeletePermission {
        name: String,
    },
    ListModels,
    GetOperation {
        name: String,
    },
    ListOperations {
        model: String,
    },
    CancelOperation {
        name: String,
    },
    GenerateContent {
        model: String,
        request: Box<GenerateContentRequest>,
    },
    /// Streams chunks as events; a 404 on the stream falls back to generateContent.
    StreamGenerateContent {
        model: String,
        request: Box<GenerateContentRequest>,
    },
    /// Vertex AI: every tuning job of the project and location, all pages.
    ListTuningJobs,
    /// Vertex AI: every tuning job of the project in each of these locations (the "all
    /// locations" view), a few locations at a time.
    ListTuningJobsIn {
        locations: Vec<String>,
    },
    /// Vertex AI: cancel a tuning job (it ends CANCELLED at its next step).
    CancelTuningJob {
        name: String,
    },
    /// Vertex AI: upload the datasets to Cloud Storage (progress as events), then create the
    /// tuning job (never retried: a retry could start a second job).
    StartVertexTuning {
        bucket: String,
        /// (object name, contents), in order.
        uploads: Vec<(String, Vec<u8>)>,
        job: Box<crate::api::vertex::types::TuningJob>,
    },
    /// Vertex AI: delete a tuned model (its endpoints go with it).
    DeleteVertexModel {
        name: String,
    },
    /// Vertex AI: a tuned model in the Model Registry (its default checkpoint).
    GetVertexModel {
        name: String,
    },
    /// Vertex AI: make a checkpoint the model's default; its endpoint answers from it after.
    SetDefaultCheckpoint {
        model: String,
        checkpoint: String,
    },
    /// Vertex AI: tune a job's model again on another base model (`tuningJobs:rebaseTunedModel`);
    /// the answer is the new job.
    RebaseTunedModel {
        job: String,
        base_model: String,
        same_endpoint: bool,
    },
}

/// What a finished call returns.
#[derive(Debug, Clone)]
pub enum Reply {
    TunedModelsPage {
        models: Vec<TunedModel>,
        last: bool,
    },
    TunedModel(Box<TunedModel>),
    Operation(Box<Operation>),
    Operations(Vec<Operation>),
    Permissions(Vec<Permission>),
    Permission(Box<Permission>),
    Models(Vec<Model>),
    Generated(Box<GenerateContentResponse>),
    /// One streamed chunk; more follow until [`Reply::StreamEnd`].
    Chunk(Box<GenerateContentResponse>),
    StreamEnd {
        fell_back: bool,
    },
    TuningJobs(Vec<crate::api::vertex::types::TuningJob>),
    /// Each location's jobs, or why it could not be listed, in the order asked.
    TuningJobsByLocation(Vec<LocationJobs>),
    TuningJob(Box<crate::api::vertex::types::TuningJob>),
    VertexModel(Box<crate::api::vertex::model::Model>),
    Empty,
}

/// A command from the UI.
#[derive(Debug, Clone)]
pub enum Cmd {
    Call {
        id: RequestId,
        call: ApiCall,
    },
    Cancel {
        id: RequestId,
    },
    /// Poll an operation until it is done; a tuned model's name (no `/operations/`) polls the
    /// model itself, for a job whose operation is not known.
    Watch {
        operation: String,
    },
    Unwatch {
        operation: String,
    },
    /// Point the Vertex AI client at another project and location (a context switch): the
    /// calls after it go there; calls already in flight finish where they were sent.
    Retarget {
        project: String,
        location: String,
    },
    /// Poll a Vertex AI tuning job (and its metrics, new points only) until it ends; stopped
    /// by `Unwatch` with the job's name.
    WatchVertex {
        job: String,
    },
    /// Write a file atomically (exports), off the UI task.
    WriteFile {
        id: RequestId,
        path: std::path::PathBuf,
        contents: Vec<u8>,
    },
    /// Save a file atomically, refusing when it changed on disk after `unless_modified_since`.
    SaveFile {
        id: RequestId,
        path: std::path::PathBuf,
        contents: Vec<u8>,
        unless_modified_since: Option<std::time::SystemTime>,
    },
    /// Remove a file if it exists (a journal after a save).
    RemoveFile {
        path: std::path::PathBuf,
    },
    /// Put text on the clipboard (the loop writes it with OSC 52). Local: no worker involved.
    Copy(String),
    /// Ring the terminal bell. Local.
    Bell,
    /// Hand the terminal to `$EDITOR` with this text; the loop answers with [`Msg::Edited`].
    /// Local.
    EditExternally(String),
    /// Read a dataset file whole (off the UI task: 20 MB take a tenth of a second).
    ReadDataset {
        id: RequestId,
        path: std::path::PathBuf,
        mapping: Option<crate::dataset::format::Mapping>,
    },
}

/// One location's answer in the "all locations" view.
#[derive(Debug, Clone)]
pub struct LocationJobs {
    pub location: String,
    /// The jobs, or the error said in the location's own row.
    pub jobs: Result<Vec<crate::api::vertex::types::TuningJob>, crate::api::error::ApiError>,
}

/// A dataset file as read: its examples, format and modification time.
#[derive(Debug, Clone)]
pub struct DatasetFile {
    pub examples: Vec<crate::api::types::TuningExample>,
    pub format: crate::dataset::format::Format,
    pub modified: Option<std::time::SystemTime>,
    /// JSON lines written with a space after `:` and `,`; saving keeps it.
    pub spaced: bool,
    /// The file as read (size, time, content hash), for the autosave journal.
    pub base: Option<crate::dataset::base::FileBase>,
    /// A Vertex file's lines by example, to write the unedited ones back byte for byte.
    pub kept_lines: Option<std::collections::HashMap<crate::api::types::TuningExample, String>>,
}

/// An event for the UI.
#[derive(Debug, Clone)]
pub enum WorkerEvent {
    Reply {
        id: RequestId,
        reply: Reply,
    },
    Failed {
        id: RequestId,
        error: ApiError,
    },
    Cancelled {
        id: RequestId,
    },
    /// A watched operation as last polled.
    OperationPolled {
        operation: Box<Operation>,
    },
    /// A watched Vertex AI tuning job as last polled, and the metric points added since the
    /// last poll (by series display name).
    VertexJobPolled {
        job: Box<crate::api::vertex::types::TuningJob>,
        metrics: std::collections::BTreeMap<String, Vec<crate::api::vertex::client::MetricPoint>>,
    },
    /// Bytes of a [`ApiCall::StartVertexTuning`] upload written so far.
    UploadProgress {
        id: RequestId,
        object: String,
        sent: u64,
        total: u64,
    },
    /// Polling a watched operation or job failed; it is retried on a longer interval.
    PollFailed {
        operation: String,
        error: ApiError,
        retry_in: Duration,
    },
    /// The outcome of a [`Cmd::SaveFile`].
    FileSaved {
        id: RequestId,
        path: std::path::PathBuf,
        outcome: SaveOutcome,
    },
    /// The outcome of a [`Cmd::ReadDataset`]: all of the file, or where it is wrong.
    DatasetRead {
        id: RequestId,
        path: std::path::PathBuf,
        result: Result<DatasetFile, crate::dataset::format::ImportError>,
    },
    /// A file was written, or why it was not.
    FileWritten {
        id: RequestId,
        path: std::path::PathBuf,
        error: Option<String>,
    },
}

/// How a save went.
#[derive(Debug, Clone, PartialEq)]
pub enum SaveOutcome {
    /// Written; the file's new modification time.
    Saved(Option<std::time::SystemTime>),
    /// Not written: someone changed the file since it was read.
    ChangedOnDisk,
    Failed(String),
}
