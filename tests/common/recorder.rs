//! A recording proxy on a free loopback port: it forwards every request to a target (the
//! emulator) unchanged and keeps each exchange (method, raw path, query, both bodies and content
//! types, status), so a test sees exactly what the real client sent and what the emulator
//! answered. A resumable upload's `Location` is rewritten to come back through the proxy.
#![allow(dead_code)]

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::response::Response;
use std::sync::{Arc, Mutex};

/// One request and its answer.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: String,
    /// The raw path, still percent-encoded.
    pub path: String,
    pub query: String,
    pub request_type: String,
    pub request: Bytes,
    pub status: u16,
    pub response_type: String,
    pub response: Bytes,
}

impl Exchange {
    /// `POST /v1beta/tunedModels`
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    pub fn query_has(&self, pair: &str) -> bool {
        self.query.split('&').any(|p| p == pair)
    }
}

#[derive(Clone)]
struct Shared {
    target: String,
    own: Arc<Mutex<String>>,
    http: reqwest::Client,
    log: Arc<Mutex<Vec<Exchange>>>,
}

/// The proxy: its base URL, and everything it has seen.
pub struct Recorder {
    pub base_url: String,
    log: Arc<Mutex<Vec<Exchange>>>,
}

impl Recorder {
    /// Takes what was recorded since the last call.
    pub fn take(&self) -> Vec<Exchange> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

/// Starts a proxy to `target` (`http://127.0.0.1:PORT`); it stops with the test's runtime.
pub async fn start(target: &str) -> Recorder {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let shared = Shared {
        target: target.trim_end_matches('/').to_owned(),
        own: Arc::new(Mutex::new(base_url.clone())),
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
        log: log.clone(),
    };
    let app = axum::Router::new().fallback(forward).with_state(shared);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Recorder { base_url, log }
}

async fn forward(State(shared): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or("").to_owned();
    let url = if query.is_empty() {
        format!("{}{path}", shared.target)
    } else {
        format!("{}{path}?{query}", shared.target)
    };
    let mut out = shared.http.request(parts.method.clone(), &url);
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            out = out.header(name, value);
        }
    }
    let content_type = |h: &http::HeaderMap| {
        h.get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let answer = out.body(body.clone()).send().await;
    let (status, headers, bytes) = match answer {
        Ok(a) => {
            let status = a.status().as_u16();
            let headers = a.headers().clone();
            let bytes = a.bytes().await.unwrap_or_default();
            (status, headers, bytes)
        }
        Err(e) => {
            let mut r = Response::new(Body::from(format!("proxy: {e}")));
            *r.status_mut() = http::StatusCode::BAD_GATEWAY;
            return r;
        }
    };
    shared.log.lock().unwrap().push(Exchange {
        method: parts.method.to_string(),
        path,
        query,
        request_type: content_type(&parts.headers),
        request: body,
        status,
        response_type: content_type(&headers),
        response: bytes.clone(),
    });
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
    let own = shared.own.lock().unwrap().clone();
    for (name, value) in &headers {
        if matches!(
            name.as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            continue;
        }
        let value = match (name.as_str(), value.to_str()) {
            ("location", Ok(v)) => v.replace(&shared.target, &own).parse().unwrap(),
            _ => value.clone(),
        };
        response.headers_mut().append(name, value);
    }
    response
}
