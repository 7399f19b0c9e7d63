//! One parsed request as the handlers see it, and page tokens (the API reference: opaque to
//! clients, tied to the call's other parameters).

use crate::emulator::wire::{Failure, OutputFormat, json_response, snake_case};
use axum::body::Bytes;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde::Serialize;

/// One parsed request.
pub struct Req {
    pub method: Method,
    /// `v1`, `v1beta` or `v1beta1` (Vertex AI); empty for Cloud Storage.
    pub version: String,
    pub query: Vec<(String, String)>,
    pub format: OutputFormat,
    pub body: Bytes,
    /// The caller's identity (the emulator has one user).
    pub caller: &'static str,
    /// The request's headers (Cloud Storage uploads read Content-Type and Content-Range).
    pub headers: axum::http::HeaderMap,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn query_value(&self, name: &str) -> Option<&str> {
        let snake = snake_case(name);
        self.query
            .iter()
            .find(|(k, _)| k == name || *k == snake)
            .map(|(_, v)| v.as_str())
    }

    pub fn ok<T: Serialize>(&self, body: &T) -> Result<Response, Failure> {
        Ok(json_response(StatusCode::OK, body, &self.format))
    }
}

/// Page tokens: opaque to clients, tied to the call's other parameters as the API requires.
pub mod paging {
    use super::Req;
    use crate::emulator::trainer::stable_hash;
    use crate::emulator::wire::Failure;

    /// Reads `pageSize` (default, capped at `max`) and `pageToken` into an offset.
    pub fn window(
        req: &Req,
        default: usize,
        max: usize,
        fingerprint: &str,
    ) -> Result<(usize, usize), Failure> {
        let size = match req.query_value("pageSize") {
            None | Some("") => default,
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if n < 0 => {
                    return Err(Failure::invalid(
                        "page_size",
                        "page_size must not be negative",
                    ));
                }
                Ok(0) => default,
                Ok(n) => (n as usize).min(max),
                Err(_) => {
                    return Err(Failure::invalid(
                        "page_size",
                        format!("Invalid page_size: {raw:?}"),
                    ));
                }
            },
        };
        let offset = match req.query_value("pageToken").filter(|t| !t.is_empty()) {
            None => 0,
            Some(token) => decode(token, fingerprint).ok_or_else(|| {
                Failure::invalid(
                    "page_token",
                    "Invalid page_token: it is not one this list returned, or the other parameters changed.",
                )
            })?,
        };
        Ok((offset, size))
    }

    pub fn next_token(offset: usize, size: usize, total: usize, fingerprint: &str) -> String {
        if offset + size >= total {
            String::new()
        } else {
            format!(
                "{:x}g{:x}",
                offset + size,
                stable_hash(fingerprint) & 0xffff_ffff
            )
        }
    }

    fn decode(token: &str, fingerprint: &str) -> Option<usize> {
        let (offset, check) = token.split_once('g')?;
        let check = u64::from_str_radix(check, 16).ok()?;
        (check == stable_hash(fingerprint) & 0xffff_ffff)
            .then(|| usize::from_str_radix(offset, 16).ok())
            .flatten()
    }
}
