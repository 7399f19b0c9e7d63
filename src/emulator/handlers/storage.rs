//! Cloud Storage's JSON API, as much as tuning needs (the Cloud Storage JSON API,
//! tests/fixtures/discovery/storage.v1.json): uploads (media, multipart, resumable), object
//! metadata and bytes, list and delete. A bucket exists once an object is written to it. Objects
//! are saved with the emulator's state; a 200 means on disk.

use crate::api::error::Code;
use crate::api::vertex::types::{ListObjectsResponse, StorageObject};
use crate::emulator::cloud::{StoredObject, Upload, object_metadata};
use crate::emulator::core::Core;
use crate::emulator::journal::Entry;
use crate::emulator::request::{Req, paging};
use crate::emulator::store::random_id;
use crate::emulator::wire::Failure;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Largest object the emulator stores (the service's is 5 TiB; a tuning file's is 1 GB).
pub const MAX_OBJECT_BYTES: usize = 256 << 20;

fn no_such_object(bucket: &str, name: &str) -> Failure {
    Failure::new(Code::NotFound, format!("No such object: {bucket}/{name}"))
}

/// `http://HOST` as the client reached the emulator, for links and upload sessions.
fn base_url(req: &Req) -> String {
    format!("http://{}", req.header("host").unwrap_or("127.0.0.1"))
}

fn check_name(bucket: &str, name: &str) -> Result<(), Failure> {
    if bucket.is_empty() || name.is_empty() {
        return Err(Failure::new(
            Code::InvalidArgument,
            "Required parameter: name (the object's name).",
        ));
    }
    Ok(())
}

/// Stores an object once it is durable, and answers with its metadata.
fn store_object(
    core: &Arc<Core>,
    req: &Req,
    bucket: &str,
    name: &str,
    content_type: &str,
    data: Vec<u8>,
) -> Result<Response, Failure> {
    check_name(bucket, name)?;
    if data.len() > MAX_OBJECT_BYTES {
        return Err(Failure::new(
            Code::InvalidArgument,
            format!(
                "The object is {} bytes; the emulator stores at most {MAX_OBJECT_BYTES}.",
                data.len()
            ),
        ));
    }
    let meta = object_metadata(&base_url(req), bucket, name, content_type, &data);
    let object = StoredObject {
        meta: meta.clone(),
        data: Arc::new(data),
    };
    let mut store = core.store();
    core.commit(&[Entry::ObjectPut(Box::new(object.clone()))])?;
    store.cloud.put_object(object);
    req.ok(&meta)
}

/// `POST /upload/storage/v1/b/{bucket}/o?uploadType=…`
pub fn upload(core: &Arc<Core>, req: &Req, bucket: &str) -> Result<Response, Failure> {
    let kind = req.query_value("uploadType").unwrap_or("media");
    let query_name = req.query_value("name").unwrap_or_default().to_owned();
    let content_type = req.header("content-type").unwrap_or_default().to_owned();
    match kind {
        "media" => store_object(
            core,
            req,
            bucket,
            &query_name,
            &content_type,
            req.body.to_vec(),
        ),
        "multipart" => {
            let (meta, media_type, data) = multipart(&content_type, &req.body)?;
            let name = meta
                .get("name")
                .and_then(|n| n.as_str())
                .map_or(query_name, str::to_owned);
            let content_type = meta
                .get("contentType")
                .and_then(|c| c.as_str())
                .map_or(media_type, str::to_owned);
            store_object(core, req, bucket, &name, &content_type, data)
        }
        "resumable" => {
            let meta: serde_json::Value = if req.body.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::from_slice(&req.body).map_err(|e| {
                    Failure::new(
                        Code::InvalidArgument,
                        format!("The upload's metadata is not JSON: {e}"),
                    )
                })?
            };
            let name = meta
                .get("name")
                .and_then(|n| n.as_str())
                .map_or(query_name, str::to_owned);
            check_name(bucket, &name)?;
            let content_type = meta
                .get("contentType")
                .and_then(|c| c.as_str())
                .or(req.header("x-upload-content-type"))
                .unwrap_or_default()
                .to_owned();
            let id = random_id(24);
            core.store().cloud.uploads.push(Upload {
                id: id.clone(),
                bucket: bucket.to_owned(),
                name,
                content_type,
                received: Arc::new(Vec::new()),
            });
            let location = format!(
                "{}/upload/storage/v1/b/{bucket}/o?uploadType=resumable&upload_id={id}",
                base_url(req)
            );
            let mut response = req.ok(&serde_json::json!({}))?;
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            Ok(response)
        }
        other => Err(Failure::new(
            Code::InvalidArgument,
            format!("uploadType {other:?} is not one of media, multipart, resumable."),
        )),
    }
}

/// `PUT …?uploadType=resumable&upload_id=…`: a chunk (`Content-Range: bytes A-B/TOTAL` or
/// `/*`), or a status query (`bytes */TOTAL`). The last chunk stores the object; before it,
/// 308 with the range received.
pub fn upload_chunk(core: &Arc<Core>, req: &Req) -> Result<Response, Failure> {
    let id = req.query_value("upload_id").unwrap_or_default().to_owned();
    let range = req.header("content-range").unwrap_or("").to_owned();
    let (start, total) = parse_content_range(&range, req.body.len())?;
    let (received, bucket, name, content_type) = {
        let mut store = core.store();
        let upload = store
            .cloud
            .uploads
            .iter_mut()
            .find(|u| u.id == id)
            .ok_or_else(|| Failure::new(Code::NotFound, format!("No upload session {id:?}.")))?;
        if let Some(start) = start {
            let have = upload.received.len() as u64;
            if start > have {
                return Err(Failure::new(
                    Code::InvalidArgument,
                    format!("The chunk starts at byte {start}; {have} bytes were received."),
                ));
            }
            let data = Arc::make_mut(&mut upload.received);
            data.truncate(start as usize);
            data.extend_from_slice(&req.body);
            if data.len() > MAX_OBJECT_BYTES {
                return Err(Failure::new(
                    Code::InvalidArgument,
                    format!("The object is over the emulator's {MAX_OBJECT_BYTES} bytes."),
                ));
            }
        }
        (
            upload.received.len() as u64,
            upload.bucket.clone(),
            upload.name.clone(),
            upload.content_type.clone(),
        )
    };
    if total.is_some_and(|t| t == received) {
        let data = {
            let mut store = core.store();
            let i = store.cloud.uploads.iter().position(|u| u.id == id);
            i.map(|i| store.cloud.uploads.remove(i).received)
                .unwrap_or_default()
        };
        let data = Arc::try_unwrap(data).unwrap_or_else(|shared| (*shared).clone());
        return store_object(core, req, &bucket, &name, &content_type, data);
    }
    let mut response = (StatusCode::PERMANENT_REDIRECT, Body::empty()).into_response();
    if received > 0
        && let Ok(value) = HeaderValue::from_str(&format!("bytes=0-{}", received - 1))
    {
        response.headers_mut().insert(header::RANGE, value);
    }
    Ok(response)
}

/// `bytes A-B/TOTAL`, `bytes A-B/*` or `bytes */TOTAL` as (start of the chunk, total size).
fn parse_content_range(range: &str, len: usize) -> Result<(Option<u64>, Option<u64>), Failure> {
    let bad = || {
        Failure::new(
            Code::InvalidArgument,
            format!(
                "Content-Range {range:?} is not bytes A-B/TOTAL, bytes A-B/* or bytes */TOTAL."
            ),
        )
    };
    if range.is_empty() {
        // The whole object in one request.
        return Ok((Some(0), Some(len as u64)));
    }
    let spec = range.strip_prefix("bytes ").ok_or_else(bad)?;
    let (span, total) = spec.split_once('/').ok_or_else(bad)?;
    let total = match total {
        "*" => None,
        t => Some(t.parse::<u64>().map_err(|_| bad())?),
    };
    let start = match span {
        "*" => None,
        s => Some(
            s.split_once('-')
                .and_then(|(a, _)| a.parse::<u64>().ok())
                .ok_or_else(bad)?,
        ),
    };
    Ok((start, total))
}

/// The parts of a `multipart/related` body: the JSON metadata, the media's type and bytes.
fn multipart(
    content_type: &str,
    body: &[u8],
) -> Result<(serde_json::Value, String, Vec<u8>), Failure> {
    let bad = |why: &str| {
        Failure::new(
            Code::InvalidArgument,
            format!("The multipart upload could not be read: {why}."),
        )
    };
    let boundary = content_type
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .next()
        .map(|b| b.trim_matches('"').to_owned())
        .ok_or_else(|| bad("no boundary in Content-Type"))?;
    let delimiter = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut rest = body;
    while let Some(at) = find(rest, &delimiter) {
        rest = &rest[at + delimiter.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let end = find(rest, &delimiter).unwrap_or(rest.len());
        let part = rest[..end].strip_prefix(b"\r\n").unwrap_or(&rest[..end]);
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        let split = find(part, b"\r\n\r\n").ok_or_else(|| bad("a part has no headers"))?;
        let headers = String::from_utf8_lossy(&part[..split]).to_string();
        parts.push((headers, part[split + 4..].to_vec()));
    }
    let [(_, meta), (media_headers, data)] = <[_; 2]>::try_from(parts)
        .map_err(|_| bad("it must have two parts, the metadata and the media"))?;
    let meta: serde_json::Value =
        serde_json::from_slice(&meta).map_err(|_| bad("the metadata part is not JSON"))?;
    let media_type = media_headers
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    Ok((meta, media_type, data))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A stored object, or the service's 404.
fn find_object(core: &Core, bucket: &str, name: &str) -> Result<StoredObject, Failure> {
    core.store()
        .cloud
        .object(bucket, name)
        .cloned()
        .ok_or_else(|| no_such_object(bucket, name))
}

/// `GET /storage/v1/b/{bucket}/o/{object}`: metadata, or the bytes with `alt=media`.
pub fn get(core: &Arc<Core>, req: &Req, bucket: &str, name: &str) -> Result<Response, Failure> {
    let object = find_object(core, bucket, name)?;
    if req.query_value("alt") != Some("media") {
        return req.ok(&object.meta);
    }
    media(&object)
}

/// The bytes of an object, with the headers Google's clients check.
pub fn media(object: &StoredObject) -> Result<Response, Failure> {
    let mut response = (StatusCode::OK, Body::from(object.data.as_ref().clone())).into_response();
    let headers = response.headers_mut();
    let values = [
        (header::CONTENT_TYPE, object.meta.content_type.clone()),
        (
            header::HeaderName::from_static("x-goog-hash"),
            format!("crc32c={},md5={}", object.meta.crc32c, object.meta.md5_hash),
        ),
        (
            header::HeaderName::from_static("x-goog-generation"),
            object.meta.generation.unwrap_or_default().to_string(),
        ),
        (
            header::HeaderName::from_static("x-goog-stored-content-length"),
            object.data.len().to_string(),
        ),
    ];
    for (name, value) in values {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    Ok(response)
}

/// `GET /download/storage/v1/b/{bucket}/o/{object}` (the mediaLink).
pub fn download(core: &Arc<Core>, bucket: &str, name: &str) -> Result<Response, Failure> {
    media(&find_object(core, bucket, name)?)
}

/// `GET /storage/v1/b/{bucket}/o?prefix=&maxResults=&pageToken=`
pub fn list(core: &Arc<Core>, req: &Req, bucket: &str) -> Result<Response, Failure> {
    let prefix = req.query_value("prefix").unwrap_or_default().to_owned();
    let mut items: Vec<StorageObject> = core
        .store()
        .cloud
        .objects
        .iter()
        .filter(|o| o.meta.bucket == bucket && o.meta.name.starts_with(&prefix))
        .map(|o| o.meta.clone())
        .collect();
    items.sort_by(|a, b| a.name.cmp(&b.name));
    let size = req
        .query_value("maxResults")
        .and_then(|m| m.parse::<usize>().ok())
        .filter(|m| *m > 0)
        .unwrap_or(1000)
        .min(1000);
    let fingerprint = format!("{bucket}/{prefix}");
    let (offset, _) = paging::window(req, size, 1000, &fingerprint)?;
    let page: Vec<StorageObject> = items.iter().skip(offset).take(size).cloned().collect();
    req.ok(&ListObjectsResponse {
        kind: "storage#objects".into(),
        items: page,
        next_page_token: paging::next_token(offset, size, items.len(), &fingerprint),
    })
}

/// `DELETE /storage/v1/b/{bucket}/o/{object}`: 204, as the service answers.
pub fn delete(core: &Arc<Core>, bucket: &str, name: &str) -> Result<Response, Failure> {
    let mut store = core.store();
    if store.cloud.object(bucket, name).is_none() {
        return Err(no_such_object(bucket, name));
    }
    core.commit(&[Entry::ObjectDelete {
        bucket: bucket.to_owned(),
        name: name.to_owned(),
    }])?;
    store.cloud.remove_object(bucket, name);
    Ok((StatusCode::NO_CONTENT, Body::empty()).into_response())
}

/// `GET /storage/v1/b/{bucket}`: a bucket exists once something was written to it.
pub fn get_bucket(core: &Arc<Core>, req: &Req, bucket: &str) -> Result<Response, Failure> {
    let exists = core
        .store()
        .cloud
        .objects
        .iter()
        .any(|o| o.meta.bucket == bucket);
    if !exists {
        return Err(Failure::new(
            Code::NotFound,
            "The specified bucket does not exist.",
        ));
    }
    req.ok(&serde_json::json!({
        "kind": "storage#bucket",
        "id": bucket,
        "name": bucket,
        "location": "US-CENTRAL1",
        "storageClass": "STANDARD",
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_bodies_and_content_ranges_read() {
        let body = b"--xyz\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{\"name\": \"t.jsonl\"}\r\n--xyz\r\nContent-Type: application/jsonl\r\n\r\nline1\nline2\r\n--xyz--\r\n";
        let (meta, kind, data) = multipart("multipart/related; boundary=xyz", body).unwrap();
        assert_eq!(meta["name"], "t.jsonl");
        assert_eq!(kind, "application/jsonl");
        assert_eq!(data, b"line1\nline2");
        assert_eq!(
            parse_content_range("bytes 0-9/20", 10).unwrap(),
            (Some(0), Some(20))
        );
        assert_eq!(
            parse_content_range("bytes 10-19/*", 10).unwrap(),
            (Some(10), None)
        );
        assert_eq!(
            parse_content_range("bytes */20", 0).unwrap(),
            (None, Some(20))
        );
        assert!(parse_content_range("items 1-2/3", 0).is_err());
    }
}
