//! One error type for everything the API client can meet: an error answer from the service
//! (decoded from `google.rpc.Status`), a transport failure, an undecodable body, missing
//! credentials. Each knows whether it is worth retrying and carries a one-line hint for the
//! failures users really meet (the recorded error bodies in tests/fixtures/recorded).
//!
//! No secret ever reaches these texts: transport errors are stored with their URL stripped, and
//! credentials only ever travel in headers, never in a URL.

use super::types::{ErrorDetail, ErrorEnvelope, Status};
use super::wire_enum::wire_enum;
use std::time::Duration;

wire_enum! {
    /// The canonical `google.rpc.Code`.
    pub enum Code {
        Ok = 0 => "OK",
        Cancelled = 1 => "CANCELLED",
        Unknown = 2 => "UNKNOWN",
        InvalidArgument = 3 => "INVALID_ARGUMENT",
        DeadlineExceeded = 4 => "DEADLINE_EXCEEDED",
        NotFound = 5 => "NOT_FOUND",
        AlreadyExists = 6 => "ALREADY_EXISTS",
        PermissionDenied = 7 => "PERMISSION_DENIED",
        ResourceExhausted = 8 => "RESOURCE_EXHAUSTED",
        FailedPrecondition = 9 => "FAILED_PRECONDITION",
        Aborted = 10 => "ABORTED",
        OutOfRange = 11 => "OUT_OF_RANGE",
        Unimplemented = 12 => "UNIMPLEMENTED",
        Internal = 13 => "INTERNAL",
        Unavailable = 14 => "UNAVAILABLE",
        DataLoss = 15 => "DATA_LOSS",
        Unauthenticated = 16 => "UNAUTHENTICATED",
    }
}

impl Code {
    /// The HTTP status that google/rpc/code.proto maps this code to.
    pub fn http_status(&self) -> u16 {
        match self {
            Code::Ok => 200,
            Code::Cancelled => 499,
            Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => 400,
            Code::DeadlineExceeded => 504,
            Code::NotFound => 404,
            Code::AlreadyExists | Code::Aborted => 409,
            Code::PermissionDenied => 403,
            Code::ResourceExhausted => 429,
            Code::Unimplemented => 501,
            Code::Unavailable => 503,
            Code::Unauthenticated => 401,
            Code::Unknown | Code::Internal | Code::DataLoss | Code::Unrecognized(_) => 500,
        }
    }

    /// The code an HTTP status stands for when the body says nothing better.
    pub fn from_http_status(status: u16) -> Code {
        match status {
            200..=299 => Code::Ok,
            400 => Code::InvalidArgument,
            401 => Code::Unauthenticated,
            403 => Code::PermissionDenied,
            404 => Code::NotFound,
            409 => Code::Aborted,
            429 => Code::ResourceExhausted,
            499 => Code::Cancelled,
            501 => Code::Unimplemented,
            503 => Code::Unavailable,
            504 => Code::DeadlineExceeded,
            _ => Code::Unknown,
        }
    }
}

/// A body that failed because the connection broke (reset, closed early), not because its
/// content was wrong.
fn cut_off(err: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::UnexpectedEof
                    | std::io::ErrorKind::BrokenPipe
            )
        {
            return true;
        }
        let text = e.to_string();
        if text.contains("connection closed before message completed")
            || text.contains("unexpected end of file")
            || text.contains("error reading a body from connection")
        {
            return true;
        }
        source = e.source();
    }
    false
}

/// What kind of failure an [`ApiError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The service answered with an error status.
    Api,
    /// The connection could not be made or broke.
    Transport,
    /// The request or a read took too long.
    Timeout,
    /// The service answered something this client cannot read.
    Decode,
    /// Credentials could not be obtained.
    Auth,
    /// The request was cancelled by the user.
    Cancelled,
    /// The request was refused before it was sent (a malformed name).
    Invalid,
}

/// Any failure of an API call.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub kind: ErrorKind,
    /// The HTTP status, when the service answered.
    pub http_status: Option<u16>,
    pub code: Code,
    pub message: String,
    pub details: Vec<ErrorDetail>,
    /// How long the server asked us to wait (`RetryInfo.retryDelay` or `Retry-After`).
    pub retry_after: Option<Duration>,
    /// The request provably never reached the server (the connection could not be made), so
    /// even a call that is not idempotent may be sent again.
    pub unsent: bool,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.http_status {
            Some(status) => write!(f, "{status} {}: {}", self.code, self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    fn new(kind: ErrorKind, code: Code, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            http_status: None,
            code,
            message: super::redact::redact(&message.into()),
            details: Vec::new(),
            retry_after: None,
            unsent: false,
        }
    }

    /// Builds the error for an HTTP error answer from its status, body and `Retry-After`.
    pub fn from_response(status: u16, body: &[u8], retry_after_header: Option<Duration>) -> Self {
        // Error bodies come as `{"error": …}`, or wrapped in an array by the JSON-array stream.
        let parsed = serde_json::from_slice::<ErrorEnvelope>(body)
            .ok()
            .filter(|e| e.error.code != 0 || !e.error.message.is_empty())
            .or_else(|| {
                serde_json::from_slice::<Vec<ErrorEnvelope>>(body)
                    .ok()
                    .and_then(|v| v.into_iter().next())
            });
        match parsed {
            Some(ErrorEnvelope { error }) => Self::from_status(status, error, retry_after_header),
            None => {
                let text = String::from_utf8_lossy(body);
                let text = text.trim();
                let message = if text.is_empty() || text.starts_with('<') {
                    format!("HTTP {status} with no error details")
                } else {
                    text.chars().take(300).collect()
                };
                ApiError {
                    http_status: Some(status),
                    retry_after: retry_after_header,
                    ..Self::new(ErrorKind::Api, Code::from_http_status(status), message)
                }
            }
        }
    }

    fn from_status(http: u16, status: Status, retry_after_header: Option<Duration>) -> Self {
        let code = if status.status.is_empty() {
            Code::from_http_status(http)
        } else {
            Code::from_name(&status.status)
        };
        let retry_after = status.retry_delay().or(retry_after_header);
        ApiError {
            kind: ErrorKind::Api,
            http_status: Some(http),
            code,
            // A service may quote back what it was sent.
            message: super::redact::redact(&status.message),
            details: status.details,
            retry_after,
            unsent: false,
        }
    }

    /// A transport failure. The URL is stripped so that nothing of the request leaks.
    pub fn from_reqwest(err: reqwest::Error) -> Self {
        let err = err.without_url();
        if err.is_timeout() {
            Self::new(
                ErrorKind::Timeout,
                Code::DeadlineExceeded,
                "the request timed out",
            )
        } else if err.is_body() || cut_off(&err) {
            Self::new(
                ErrorKind::Transport,
                Code::Unavailable,
                "the connection was cut before the whole answer arrived",
            )
        } else if err.is_decode() {
            Self::new(
                ErrorKind::Decode,
                Code::Unknown,
                format!("unreadable answer: {err}"),
            )
        } else if err.is_connect() {
            let cause = std::error::Error::source(&err)
                .map(|s| s.to_string())
                .unwrap_or_default();
            ApiError {
                unsent: true,
                ..Self::new(
                    ErrorKind::Transport,
                    Code::Unavailable,
                    format!("could not connect: {cause}")
                        .trim_end_matches(": ")
                        .to_owned(),
                )
            }
        } else {
            Self::new(
                ErrorKind::Transport,
                Code::Unavailable,
                format!("connection failed: {err}"),
            )
        }
    }

    pub fn decode(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Decode, Code::Unknown, message)
    }

    /// A name that cannot be sent as asked (a path or a query hidden in it); never sent.
    pub fn invalid_name(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, Code::InvalidArgument, message)
    }

    pub fn auth(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Auth, Code::Unauthenticated, message)
    }

    pub fn cancelled() -> Self {
        Self::new(ErrorKind::Cancelled, Code::Cancelled, "cancelled")
    }

    /// Worth trying again for an idempotent call: 429, 500, 503, and lost connections.
    pub fn is_retryable(&self) -> bool {
        match self.kind {
            ErrorKind::Api => matches!(self.http_status, Some(429 | 500 | 503)),
            ErrorKind::Transport | ErrorKind::Timeout => true,
            ErrorKind::Decode | ErrorKind::Auth | ErrorKind::Cancelled | ErrorKind::Invalid => {
                false
            }
        }
    }

    pub fn reason(&self) -> Option<&str> {
        self.details.iter().find_map(|d| match d {
            ErrorDetail::ErrorInfo(i) => Some(i.reason.as_str()),
            _ => None,
        })
    }

    /// One line telling the user what to do, for the failures people really meet.
    pub fn hint(&self) -> Option<String> {
        let msg = self.message.as_str();
        let reason = self.reason().unwrap_or("");
        let hint = match (self.kind, self.http_status) {
            (ErrorKind::Transport, _) => {
                "The service could not be reached: check the network, the endpoint and any proxy (HTTPS_PROXY, NO_PROXY).".to_owned()
            }
            (ErrorKind::Timeout, _) => "The service did not answer in time: try again; a slow proxy or network can cause this.".to_owned(),
            (ErrorKind::Auth, _) => "No credentials could be loaded: set GEMINI_API_KEY, or run `gcloud auth application-default login`.".to_owned(),
            (_, Some(400)) if reason == "API_KEY_INVALID" || msg.contains("API key not valid") => {
                "The API key was rejected: check GEMINI_API_KEY (or --api-key) and create a new key in Google AI Studio if needed.".to_owned()
            }
            (_, Some(403))
                if reason == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
                    || msg.contains("insufficient authentication scopes") =>
            {
                "The credentials lack the tuning scope: use an API key (set GEMINI_API_KEY), or log in again with `gcloud auth application-default login --scopes=https://www.googleapis.com/auth/cloud-platform,https://www.googleapis.com/auth/generative-language.tuning`.".to_owned()
            }
            (_, Some(403)) if msg.contains("unregistered callers") => {
                "No credentials were sent: set GEMINI_API_KEY, or run `gcloud auth application-default login`.".to_owned()
            }
            (_, Some(403)) if msg.contains("do not have permission to access tuned model") => {
                "These credentials have no access to this tuned model: ask its owner to share it, or use the owner's credentials.".to_owned()
            }
            (_, Some(401)) => {
                "The OAuth token is invalid or expired: log in again (`gcloud auth application-default login`) or pass a fresh --access-token, or use an API key.".to_owned()
            }
            (_, Some(404)) if msg.starts_with("Tuned model") && msg.contains("does not exist") => {
                "The tuned model was deleted or the name is wrong: refresh the list of tuned models.".to_owned()
            }
            (_, Some(404)) if msg.contains("is not found for API version") || msg.contains("not supported for") => {
                "That base model is retired or does not support this method: Google retired Gemini API tuning in 2025; pick a model from the models list, or use the emulator (`tunedeck emulator`).".to_owned()
            }
            (_, Some(429)) => match self.retry_after {
                Some(delay) => format!(
                    "Quota exhausted: the service asks to retry in {}; check your quota in Google AI Studio.",
                    human_duration(delay)
                ),
                None => "Quota exhausted: wait a minute and retry; check your quota in Google AI Studio.".to_owned(),
            },
            (_, Some(503)) => "The service stayed unavailable through tunedeck's retries (it usually recovers within minutes): try again shortly.".to_owned(),
            _ => return None,
        };
        Some(hint)
    }
}

fn human_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 1.0 {
        format!("{} ms", d.as_millis())
    } else if secs < 120.0 {
        format!("{} s", secs.round())
    } else {
        format!("{} min", (secs / 60.0).round())
    }
}
