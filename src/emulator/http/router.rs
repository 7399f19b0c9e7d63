//! The emulator's router. Every request goes through one handler that parses the path by hand: axum
//! cannot route a `{id}:verb` segment, and the version rules (v1 and v1beta, as the live front end
//! binds them) are easier to read as a table here than spread over routes.

use crate::api::error::Code;
use crate::domain::limits::MAX_REQUEST_BYTES;
use crate::emulator::core::Core;
use crate::emulator::handlers::{
    generate, operations, permissions, storage, tensorboard, tuned_models, vertex, vertex_models,
    vertex_rebase, vertex_tokens,
};
use crate::emulator::request::Req;
use crate::emulator::vertex_tuning::Scope;
use crate::emulator::wire::{Failure, OutputFormat};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use secrecy::ExposeSecret;
use std::sync::Arc;

/// The axum fallback that serves every path. HEAD is served wherever GET is, as Google's front
/// end does: GET's status and headers, with no body.
pub async fn handle(
    State(core): State<Arc<Core>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if method == Method::HEAD {
        let response = serve(core, Method::GET, uri, headers, body).await;
        return without_body(response).await;
    }
    serve(core, method, uri, headers, body).await
}

/// A GET's answer as HEAD gives it: the same status and headers (its Content-Length too), and
/// no body. A body that fails on the way (a lost answer's cut connection) stays as it is.
async fn without_body(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => {
            parts
                .headers
                .insert(axum::http::header::CONTENT_LENGTH, bytes.len().into());
            Response::from_parts(parts, Body::empty())
        }
        Err(e) => {
            let cut = futures::stream::once(async move {
                Err::<axum::body::Bytes, _>(std::io::Error::other(e.to_string()))
            });
            Response::from_parts(parts, Body::from_stream(cut))
        }
    }
}

async fn serve(
    core: Arc<Core>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let query: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let format = OutputFormat::from_query(&query);
    // Uploads to Cloud Storage may be larger than an API request.
    let limit = if uri.path().starts_with("/upload/") {
        crate::emulator::handlers::storage::MAX_OBJECT_BYTES
    } else {
        MAX_REQUEST_BYTES
    };
    let read = read_body(body, limit);
    let body = match tokio::time::timeout(core.options.header_timeout, read).await {
        Ok(Ok(body)) => body,
        Ok(Err(failure)) => return failure.into_response(&format),
        Err(_) => {
            return Failure::new(
                Code::DeadlineExceeded,
                "The request body was not received in time.",
            )
            .into_response(&format);
        }
    };
    let rpc = rpc_method(&method, uri.path());
    if let Err(failure) = check_caller(&core, &headers, &query, &rpc) {
        return failure.into_response(&format);
    }
    if let Some(failure) = core.inject_request_fault().await {
        return failure.into_response(&format);
    }
    let path = uri.path().to_owned();
    let segments: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .map(percent_decode)
        .collect();
    let Some((version, rest)) = segments.split_first() else {
        return Failure::no_route(method.as_str(), &path).into_response(&format);
    };
    let req = Req {
        method: method.clone(),
        version: version.clone(),
        query,
        format: format.clone(),
        body,
        caller: crate::emulator::store::CALLER_EMAIL,
        headers,
    };
    let is_vertex = rest.first().is_some_and(|s| s == "projects");
    let result = match (version.as_str(), rest) {
        ("upload" | "storage" | "download", _) => {
            let req = Req {
                version: String::new(),
                ..req
            };
            storage_route(&core, &req, version, rest).await
        }
        ("v1" | "v1beta1", _) if is_vertex => vertex_route(&core, &req, rest).await,
        ("v1" | "v1beta", _) => route(&core, &req, rest).await,
        _ => None,
    };
    if result.is_some() && core.should_lose_answer() {
        // The work is done (and durable); the answer never arrives.
        let cut = futures::stream::once(async {
            Err::<axum::body::Bytes, _>(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "emulator fault: answer lost",
            ))
        });
        return Response::new(Body::from_stream(cut));
    }
    match result {
        Some(Ok(response)) => response,
        Some(Err(failure)) => failure.into_response(&format),
        None => Failure::no_route(method.as_str(), &path).into_response(&format),
    }
}

/// How much of a too-large body is read and thrown away before answering: a client still
/// writing when the answer comes would see a reset connection instead of the answer.
const DRAIN_LIMIT: usize = 4 * MAX_REQUEST_BYTES;

/// Reads a body up to the service's limit. Too large: 400 as the front end words it, after
/// draining what a client is still sending (up to [`DRAIN_LIMIT`]); cut off or malformed on the
/// way (a broken chunked encoding, a body shorter than its Content-Length): 400 too.
async fn read_body(mut body: Body, limit: usize) -> Result<axum::body::Bytes, Failure> {
    use http_body_util::BodyExt;
    let broken = || {
        Failure::new(
            Code::InvalidArgument,
            "The request body could not be read: it was cut off or its framing is malformed.",
        )
    };
    let mut kept = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| broken())?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen += data.len();
        if seen <= limit {
            kept.extend_from_slice(&data);
        } else if seen > DRAIN_LIMIT {
            break;
        }
    }
    if seen > limit {
        return Err(Failure::new(
            Code::InvalidArgument,
            format!("Request payload size exceeds the limit: {limit} bytes."),
        ));
    }
    Ok(kept.into())
}

/// The RPC a request calls, as error details name it
/// (`google.ai.generativelanguage.v1beta.GenerativeService.GenerateContent`).
fn rpc_method(method: &Method, path: &str) -> String {
    let version = if path.starts_with("/v1/") {
        "v1"
    } else {
        "v1beta"
    };
    let (service, rpc) = if path.contains(":generateContent") {
        ("GenerativeService", "GenerateContent")
    } else if path.contains(":streamGenerateContent") {
        ("GenerativeService", "StreamGenerateContent")
    } else if path.contains(":countTokens") {
        ("GenerativeService", "CountTokens")
    } else if path.contains("/permissions") {
        ("PermissionService", "Permissions")
    } else if path.contains("/operations") {
        ("Operations", "Operations")
    } else if path.contains("tunedModels") {
        let rpc = match *method {
            Method::POST => "CreateTunedModel",
            Method::PATCH => "UpdateTunedModel",
            Method::DELETE => "DeleteTunedModel",
            _ if path.trim_end_matches('/').ends_with("tunedModels") => "ListTunedModels",
            _ => "GetTunedModel",
        };
        ("ModelService", rpc)
    } else {
        ("ModelService", "GetModel")
    };
    format!("google.ai.generativelanguage.{version}.{service}.{rpc}")
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_owned())
}

/// `--require-key` / `--require-token`: who may call. A key comes as `x-goog-api-key` or
/// `?key=` (or, as before, a bearer token); an OAuth access token as `Authorization: Bearer`
/// (the scheme in any case, RFC 9110). Answers as the service does: no credentials 403 (401
/// when only tokens are accepted), a wrong key 400 API_KEY_INVALID, a token that is not a valid
/// one 401 UNAUTHENTICATED, a token without the tuning scope 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT.
fn check_caller(
    core: &Core,
    headers: &HeaderMap,
    query: &[(String, String)],
    method: &str,
) -> Result<(), Failure> {
    let options = &core.options;
    if options.require_key.is_none()
        && options.require_token.is_none()
        && options.scopeless_tokens.is_empty()
    {
        return Ok(());
    }
    let is = |secret: &Option<secrecy::SecretString>, given: &str| {
        secret.as_ref().is_some_and(|s| s.expose_secret() == given)
    };
    let key = headers
        .get("x-goog-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            query
                .iter()
                .find(|(k, _)| k == "key")
                .map(|(_, v)| v.clone())
        });
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_owned())
        });
    if let Some(key) = key {
        return if is(&options.require_key, &key) {
            Ok(())
        } else {
            Err(Failure::invalid_api_key())
        };
    }
    let Some(token) = bearer else {
        return Err(if options.require_key.is_some() {
            Failure::unregistered_caller()
        } else {
            Failure::new(
                Code::Unauthenticated,
                "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
            )
        });
    };
    if is(&options.require_token, &token) || is(&options.require_key, &token) {
        return Ok(());
    }
    if options
        .scopeless_tokens
        .iter()
        .any(|s| s.expose_secret() == token)
    {
        return Err(Failure::scope_insufficient(method));
    }
    Err(Failure::unauthenticated())
}

/// Splits `name:verb` on the last colon.
fn split_verb(segment: &str) -> (&str, Option<&str>) {
    match segment.rsplit_once(':') {
        Some((name, verb)) => (name, Some(verb)),
        None => (segment, None),
    }
}

type Answer = Option<Result<Response, Failure>>;

async fn route(core: &Arc<Core>, req: &Req, rest: &[String]) -> Answer {
    let v1beta = req.version == "v1beta";
    let m = &req.method;
    let parts: Vec<&str> = rest.iter().map(String::as_str).collect();
    Some(match parts.as_slice() {
        ["tunedModels"] if v1beta && m == Method::GET => tuned_models::list(core, req),
        ["tunedModels"] if v1beta && m == Method::POST => tuned_models::create(core, req),
        ["tunedModels", segment] => {
            let (id, verb) = split_verb(segment);
            match (verb, m.clone()) {
                (None, Method::GET) if v1beta => tuned_models::get(core, req, id),
                (None, Method::PATCH) if v1beta => tuned_models::patch(core, req, id),
                (None, Method::DELETE) if v1beta => tuned_models::delete(core, req, id),
                (Some("transferOwnership"), Method::POST) if v1beta => {
                    tuned_models::transfer_ownership(core, req, id)
                }
                (Some("generateContent"), Method::POST) => {
                    generate::generate(core, req, &format!("tunedModels/{id}")).await
                }
                (Some("streamGenerateContent"), Method::POST)
                    if core.options.faults.no_tuned_streaming =>
                {
                    return None;
                }
                (Some("streamGenerateContent"), Method::POST) => {
                    generate::stream(core, req, &format!("tunedModels/{id}")).await
                }
                (Some("generateText"), Method::POST) if v1beta => {
                    generate::generate_text(core, req, id).await
                }
                _ => return None,
            }
        }
        ["tunedModels", id, "permissions"] if v1beta => match m.clone() {
            Method::GET => permissions::list(core, req, id),
            Method::POST => permissions::create(core, req, id),
            _ => return None,
        },
        ["tunedModels", id, "permissions", pid] if v1beta => match m.clone() {
            Method::GET => permissions::get(core, req, id, pid),
            Method::PATCH => permissions::patch(core, req, id, pid),
            Method::DELETE => permissions::delete(core, req, id, pid),
            _ => return None,
        },
        ["tunedModels", id, "operations"] if m == Method::GET => {
            operations::list_for_model(core, req, id)
        }
        ["tunedModels", id, "operations", segment] => {
            let (op, verb) = split_verb(segment);
            match (verb, m.clone()) {
                (None, Method::GET) => operations::get(core, req, id, op),
                // Cancel is bound on v1 only: the live v1beta binds CancelOperation for
                // `batches/*` alone and answers 404 here (google-generativeai 0.8's
                // `operation.cancel()`, which posts to v1beta, meets that 404 too).
                (Some("cancel"), Method::POST) if !v1beta => operations::cancel(core, req, id, op),
                _ => return None,
            }
        }
        ["operations"] if !v1beta && m == Method::GET => operations::list_all(core, req),
        ["operations", rest @ ..] if !v1beta && m == Method::DELETE && !rest.is_empty() => {
            operations::delete(core, req, &rest.join("/"))
        }
        ["models"] if m == Method::GET => generate::list_models(req),
        ["models", segment] => {
            let (name, verb) = split_verb(segment);
            let model = format!("models/{name}");
            match (verb, m.clone()) {
                (None, Method::GET) => generate::get_model(req, &model),
                (Some("generateContent"), Method::POST) => {
                    generate::generate(core, req, &model).await
                }
                (Some("streamGenerateContent"), Method::POST) => {
                    generate::stream(core, req, &model).await
                }
                (Some("countTokens"), Method::POST) => generate::count_tokens(req, &model),
                _ => return None,
            }
        }
        _ => return None,
    })
}

/// Cloud Storage's JSON API: `/upload/storage/v1/…`, `/storage/v1/…`, `/download/storage/v1/…`.
async fn storage_route(core: &Arc<Core>, req: &Req, root: &str, rest: &[String]) -> Answer {
    let m = &req.method;
    let parts: Vec<&str> = rest.iter().map(String::as_str).collect();
    Some(match (root, parts.as_slice()) {
        ("upload", ["storage", "v1", "b", bucket, "o"]) if m == Method::POST => {
            storage::upload(core, req, bucket)
        }
        ("upload", ["storage", "v1", "b", _, "o"]) if m == Method::PUT => {
            storage::upload_chunk(core, req)
        }
        ("storage", ["v1", "b", bucket]) if m == Method::GET => {
            storage::get_bucket(core, req, bucket)
        }
        ("storage", ["v1", "b", bucket, "o"]) if m == Method::GET => {
            storage::list(core, req, bucket)
        }
        ("storage", ["v1", "b", bucket, "o", object @ ..]) if !object.is_empty() => {
            let name = object.join("/");
            match m.clone() {
                Method::GET => storage::get(core, req, bucket, &name),
                Method::DELETE => storage::delete(core, bucket, &name),
                _ => return None,
            }
        }
        ("download", ["storage", "v1", "b", bucket, "o", object @ ..])
            if m == Method::GET && !object.is_empty() =>
        {
            storage::download(core, bucket, &object.join("/"))
        }
        _ => return None,
    })
}

/// Vertex AI: `/{v1|v1beta1}/projects/{p}/locations/{l}/…`.
async fn vertex_route(core: &Arc<Core>, req: &Req, rest: &[String]) -> Answer {
    let m = &req.method;
    let parts: Vec<&str> = rest.iter().map(String::as_str).collect();
    let ["projects", project, "locations", location, tail @ ..] = parts.as_slice() else {
        return None;
    };
    let scope = Scope::new(project, location);
    let parent = scope.parent();
    Some(match tail {
        ["tuningJobs"] if m == Method::GET => vertex::list(core, req, &scope),
        ["tuningJobs"] if m == Method::POST => vertex::create(core, req, &scope),
        ["tuningJobs:rebaseTunedModel"] if m == Method::POST => {
            vertex_rebase::rebase(core, req, &scope)
        }
        ["tuningJobs", segment] => match (split_verb(segment), m.clone()) {
            ((id, None), Method::GET) => vertex::get(core, req, &scope, id),
            ((id, Some("cancel")), Method::POST) => vertex::cancel(core, req, &scope, id),
            _ => return None,
        },
        ["models", segment] if m == Method::DELETE => {
            vertex::delete_model(core, req, &scope, segment)
        }
        ["models", segment] if m == Method::GET && !segment.contains(':') => {
            vertex_models::get(core, req, &scope, segment)
        }
        ["models", segment] if m == Method::PATCH && !segment.contains(':') => {
            vertex_models::patch(core, req, &scope, segment)
        }
        // Generation is bound on endpoints and publisher models only: a tuned model's own name
        // (`…/models/{m}:generateContent`) is 404 on the live service.
        ["endpoints", segment] | ["publishers", "google", "models", segment] => {
            let (name, verb) = split_verb(segment);
            let kind = &tail[..tail.len() - 1].join("/");
            let model = format!("{parent}/{kind}/{name}");
            match (verb, m.clone()) {
                (Some("generateContent"), Method::POST) => {
                    generate::generate(core, req, &model).await
                }
                (Some("streamGenerateContent"), Method::POST) => {
                    generate::stream(core, req, &model).await
                }
                (Some("countTokens"), Method::POST) => {
                    vertex_tokens::count_tokens(core, req, &model)
                }
                _ => return None,
            }
        }
        ["metadataStores", "default", "contexts"] if m == Method::GET => {
            tensorboard::list_contexts(core, req, &scope)
        }
        ["metadataStores", "default", "contexts", id] if m == Method::GET => {
            tensorboard::get_context(core, req, &scope, id)
        }
        ["tensorboards"] if m == Method::GET => tensorboard::list_tensorboards(req, &scope),
        ["tensorboards", segment] if m == Method::GET => match split_verb(segment) {
            (tb, None) => tensorboard::get_tensorboard(req, &scope, tb),
            (tb, Some("batchRead")) => tensorboard::batch_read(core, req, &scope, tb),
            _ => return None,
        },
        ["tensorboards", tb, "experiments", experiment] if m == Method::GET => {
            tensorboard::get_experiment(core, req, &scope, tb, experiment)
        }
        ["tensorboards", tb, "experiments", experiment, "runs"] if m == Method::GET => {
            tensorboard::list_runs(core, req, &scope, tb, experiment)
        }
        ["tensorboards", tb, "experiments", experiment, "runs", run] if m == Method::GET => {
            tensorboard::get_run(core, req, &scope, (tb, experiment, run))
        }
        [
            "tensorboards",
            tb,
            "experiments",
            experiment,
            "runs",
            run,
            "timeSeries",
        ] if m == Method::GET => {
            tensorboard::list_time_series(core, req, &scope, (tb, experiment, run))
        }
        [
            "tensorboards",
            tb,
            "experiments",
            experiment,
            "runs",
            run,
            "timeSeries",
            segment,
        ] => {
            let (id, verb) = split_verb(segment);
            let name = format!(
                "{parent}/tensorboards/{tb}/experiments/{experiment}/runs/{run}/timeSeries/{id}"
            );
            match (verb, m.clone()) {
                (None, Method::GET) => tensorboard::get_time_series(core, req, &scope, &name),
                (Some("read"), Method::GET) => tensorboard::read(core, req, &scope, &name),
                (Some("exportTensorboardTimeSeries"), Method::POST) => {
                    tensorboard::export(core, req, &scope, &name)
                }
                _ => return None,
            }
        }
        _ => return None,
    })
}
