//! How the emulator reads requests and writes answers the way Google's front end does:
//! lenient JSON in (trailing commas, snake_case names), pretty JSON out with proto3 rules
//! (integral floats without `.0`, enums as integers when `enum-encoding=int` is asked).

use crate::api::error::Code;
use crate::api::types::{
    BadRequest, ErrorDetail, ErrorEnvelope, ErrorInfo, FieldViolation, LocalizedMessage, RetryInfo,
    Status, enum_number_for_field,
};
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::Duration;

/// An error answer, as the service builds them.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub code: Code,
    pub message: String,
    pub details: Vec<ErrorDetail>,
}

impl Failure {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// 400 INVALID_ARGUMENT with a `google.rpc.BadRequest` naming the field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        let description = description.into();
        Failure {
            code: Code::InvalidArgument,
            message: description.clone(),
            details: vec![ErrorDetail::BadRequest(BadRequest {
                field_violations: vec![FieldViolation {
                    field: field.into(),
                    description,
                    reason: String::new(),
                }],
            })],
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Code::NotFound, message)
    }

    pub fn tuned_model_not_found(name: &str) -> Self {
        Self::not_found(format!("Tuned model {name} does not exist."))
    }

    /// The 404 for a path no route serves.
    pub fn no_route(method: &str, path: &str) -> Self {
        Self::not_found(format!(
            "The requested URL {path} was not found on this server (method {method}; see the routes in `tunedeck emulator --help`)."
        ))
    }

    pub fn unregistered_caller() -> Self {
        Self::new(
            Code::PermissionDenied,
            "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
        )
    }

    /// The recorded body (tests/fixtures/recorded/error-api-key-invalid.json).
    pub fn invalid_api_key() -> Self {
        let message = "API key not valid. Please pass a valid API key.";
        Failure {
            code: Code::InvalidArgument,
            message: message.into(),
            details: vec![
                ErrorDetail::ErrorInfo(ErrorInfo {
                    reason: "API_KEY_INVALID".into(),
                    domain: "googleapis.com".into(),
                    metadata: [(
                        "service".to_owned(),
                        "generativelanguage.googleapis.com".to_owned(),
                    )]
                    .into_iter()
                    .collect(),
                }),
                ErrorDetail::LocalizedMessage(LocalizedMessage {
                    locale: "en-US".into(),
                    message: message.into(),
                }),
            ],
        }
    }

    /// A bearer token that is not a valid access token.
    pub fn unauthenticated() -> Self {
        Self::new(
            Code::Unauthenticated,
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
        )
    }

    /// A valid token without the tuning scope: the recorded body
    /// (tests/fixtures/recorded/error-insufficient-scopes.json), `method` naming what was called.
    pub fn scope_insufficient(method: &str) -> Self {
        Failure {
            code: Code::PermissionDenied,
            message: "Request had insufficient authentication scopes.".into(),
            details: vec![ErrorDetail::ErrorInfo(ErrorInfo {
                reason: "ACCESS_TOKEN_SCOPE_INSUFFICIENT".into(),
                domain: "googleapis.com".into(),
                metadata: [
                    (
                        "service".to_owned(),
                        "generativelanguage.googleapis.com".to_owned(),
                    ),
                    ("method".to_owned(), method.to_owned()),
                ]
                .into_iter()
                .collect(),
            })],
        }
    }

    pub fn quota(retry_delay: Duration) -> Self {
        Failure {
            code: Code::ResourceExhausted,
            message: "Resource has been exhausted (e.g. check quota).".into(),
            details: vec![ErrorDetail::RetryInfo(RetryInfo {
                retry_delay: crate::api::serde_util::format_duration(retry_delay),
            })],
        }
    }

    pub fn unavailable() -> Self {
        Self::new(Code::Unavailable, "The service is currently unavailable.")
    }

    /// 503 for a change that could not be made durable; nothing was changed.
    pub fn not_saved(reason: &str) -> Self {
        Self::new(
            Code::Unavailable,
            format!(
                "The change could not be saved ({reason}); nothing was changed. Try again later."
            ),
        )
    }

    /// The `google.rpc.Status` for an HTTP error body (with the `status` name).
    pub fn to_status(&self) -> Status {
        Status {
            code: i32::from(self.code.http_status()),
            message: self.message.clone(),
            status: self.code.name().to_owned(),
            details: self.details.clone(),
        }
    }

    pub fn into_response(self, format: &OutputFormat) -> Response {
        let status = StatusCode::from_u16(self.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = ErrorEnvelope {
            error: self.to_status(),
        };
        json_response(status, &body, format)
    }
}

/// Output options taken from the `$alt` / `alt` system parameter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutputFormat {
    pub int_enums: bool,
    pub sse: bool,
}

impl OutputFormat {
    pub fn from_query(query: &[(String, String)]) -> Self {
        let mut format = OutputFormat::default();
        for (key, value) in query {
            if key == "$alt" || key == "alt" {
                for part in value.split(';') {
                    match part.trim() {
                        "sse" => format.sse = true,
                        "enum-encoding=int" => format.int_enums = true,
                        _ => {}
                    }
                }
            }
        }
        format
    }
}

/// Parses a request body as the live front end does: trailing commas accepted, snake_case field
/// names turned into the lowerCamelCase the types use.
pub fn parse_body<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> Result<(T, Value), Failure> {
    parse_body_at(bytes, "")
}

/// [`parse_body`] for a body that is one field of the request message (`tuned_model` for
/// tunedModels.create): unknown names are reported under that field, as the service does.
pub fn parse_body_at<T: DeserializeOwned + Serialize>(
    bytes: &[u8],
    root: &str,
) -> Result<(T, Value), Failure> {
    let value = parse_lenient(bytes)?;
    if value.is_array() {
        return Err(Failure::new(
            Code::InvalidArgument,
            "Invalid JSON payload received. Unknown name \"\": Root element must be a message.",
        ));
    }
    let value = camelize_keys(value);
    let mut unknown: Option<(String, String)> = None;
    let typed = serde_ignored::deserialize(value.clone(), |path| {
        if unknown.is_none() {
            unknown = Some(unknown_field(&path, root));
        }
    })
    .map_err(|e| {
        Failure::new(
            Code::InvalidArgument,
            format!("Invalid JSON payload received. {e}"),
        )
    })?;
    // Like the live service: a field it does not know is an error, not silently dropped.
    if let Some((field, message)) = unknown {
        return Err(Failure::invalid(field, message));
    }
    // serde reads a struct from a list, field by field; the service refuses a list where a
    // message belongs. A list the typed value turned into an object is one.
    let read = serde_json::to_value(&typed).unwrap_or(Value::Null);
    if let Some((parent, key)) = list_for_message(&value, &read, root) {
        let at = if parent.is_empty() {
            String::new()
        } else {
            format!(" at '{parent}'")
        };
        return Err(Failure::invalid(
            if parent.is_empty() {
                snake_case(&key)
            } else {
                format!("{parent}.{}", snake_case(&key))
            },
            format!(
                "Invalid JSON payload received. Unknown name \"{key}\"{at}: Proto field is not repeating, cannot start list."
            ),
        ));
    }
    Ok((typed, value))
}

/// Where `given` holds a list and `read` (the same body as the types understood it) an object:
/// the parent path (proto names) and the key.
fn list_for_message(given: &Value, read: &Value, path: &str) -> Option<(String, String)> {
    match (given, read) {
        (Value::Object(given), Value::Object(read)) => given.iter().find_map(|(key, value)| {
            let inner = read.get(key)?;
            if value.is_array() && inner.is_object() {
                return Some((path.to_owned(), key.clone()));
            }
            let child = if path.is_empty() {
                snake_case(key)
            } else {
                format!("{path}.{}", snake_case(key))
            };
            list_for_message(value, inner, &child)
        }),
        (Value::Array(given), Value::Array(read)) => given
            .iter()
            .zip(read)
            .enumerate()
            .find_map(|(i, (g, r))| list_for_message(g, r, &format!("{path}[{i}]"))),
        _ => None,
    }
}

/// The unknown field's path (proto names, snake_case) and the service's message for it: `Invalid
/// JSON payload received. Unknown name "x" at 'tuned_model.tuning_task': Cannot find field.`
fn unknown_field(path: &serde_ignored::Path, root: &str) -> (String, String) {
    fn segments(path: &serde_ignored::Path, out: &mut Vec<String>) {
        use serde_ignored::Path;
        match path {
            Path::Root => {}
            Path::Seq { parent, index } => {
                segments(parent, out);
                if let Some(last) = out.last_mut() {
                    last.push_str(&format!("[{index}]"));
                }
            }
            Path::Map { parent, key } => {
                segments(parent, out);
                out.push(snake_case(key));
            }
            Path::Some { parent }
            | Path::NewtypeStruct { parent }
            | Path::NewtypeVariant { parent } => segments(parent, out),
        }
    }
    let mut parts: Vec<String> = (!root.is_empty())
        .then(|| root.to_owned())
        .into_iter()
        .collect();
    segments(path, &mut parts);
    let name = match path {
        serde_ignored::Path::Map { key, .. } => key.clone(),
        _ => parts.last().cloned().unwrap_or_default(),
    };
    let parent = parts[..parts.len().saturating_sub(1)].join(".");
    let at = if parent.is_empty() {
        String::new()
    } else {
        format!(" at '{parent}'")
    };
    (
        parts.join("."),
        format!("Invalid JSON payload received. Unknown name \"{name}\"{at}: Cannot find field."),
    )
}

/// Parses JSON that may carry trailing commas (the official curl tutorial's bodies do).
pub fn parse_lenient(bytes: &[u8]) -> Result<Value, Failure> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    let mut de = serde_json_lenient::Deserializer::from_slice(bytes);
    de.set_ignore_trailing_commas(true);
    let value = Value::deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| Failure::new(Code::InvalidArgument, syntax_message(bytes, &e)))?;
    Ok(value)
}

/// A JSON syntax error in the words of Google's front end, then the offending line of the
/// payload and a caret under the position (not serde's "at line N column M").
fn syntax_message(bytes: &[u8], e: &serde_json_lenient::Error) -> String {
    let raw = e.to_string();
    let what = raw.split(" at line ").next().unwrap_or(&raw);
    let reason = if what.starts_with("EOF while parsing an object") {
        "Unexpected end of string. Expected , or } after key:value pair."
    } else if what.starts_with("EOF while parsing a list") {
        "Unexpected end of string. Expected , or ] after array value."
    } else if what.starts_with("EOF while parsing") {
        "Unexpected end of string."
    } else if what.contains("expected `,` or `}`") {
        "Expected , or } after key:value pair."
    } else if what.contains("expected `,` or `]`") {
        "Expected , or ] after array value."
    } else if what.contains("expected `:`") {
        "Expected : after key."
    } else if what.contains("key must be a string") {
        "Expected an object key or }."
    } else if what.contains("escape") {
        "Invalid escape sequence."
    } else if what.contains("control character") {
        "Invalid control character in string."
    } else {
        "Unexpected token."
    };
    let text = String::from_utf8_lossy(bytes);
    let line = text.lines().nth(e.line().saturating_sub(1)).unwrap_or("");
    // The column counts characters (1-based); at the end of the input the caret goes after
    // the last one. A long line is shown around the position.
    let column = if what.starts_with("EOF") {
        e.column()
    } else {
        e.column().saturating_sub(1)
    };
    let chars: Vec<char> = line.chars().collect();
    let start = column.saturating_sub(60);
    let end = (column + 20).min(chars.len());
    let shown: String = chars
        .get(start..end.max(start))
        .unwrap_or(&[])
        .iter()
        .collect();
    let caret = " ".repeat(column - start) + "^";
    format!("Invalid JSON payload received. {reason}\n{shown}\n{caret}")
}

use serde::Deserialize;

pub use crate::api::serde_util::{camel_case, camelize_keys, snake_case};

/// Applies proto3 JSON output rules to a serialised value.
pub fn to_wire_value<T: Serialize>(body: &T, format: &OutputFormat) -> Value {
    let mut value = serde_json::to_value(body).unwrap_or(Value::Null);
    proto3_output(&mut value, None, format.int_enums);
    value
}

fn proto3_output(value: &mut Value, key: Option<&str>, int_enums: bool) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                proto3_output(v, Some(k), int_enums);
            }
        }
        Value::Array(items) => {
            for item in items {
                proto3_output(item, key, int_enums);
            }
        }
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64())
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                *value = Value::from(f as i64);
            }
        }
        Value::String(s) => {
            if int_enums
                && let Some(k) = key
                && let Some(n) = enum_number_for_field(k, s)
            {
                *value = Value::from(n);
            }
        }
        _ => {}
    }
}

/// A pretty-printed (2-space) JSON answer, as the live service sends them.
pub fn json_response<T: Serialize>(
    status: StatusCode,
    body: &T,
    format: &OutputFormat,
) -> Response {
    let value = to_wire_value(body, format);
    let text = serde_json::to_string_pretty(&value).unwrap_or_else(|_| "{}".into());
    let mut response = (status, Body::from(text + "\n")).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    response
}

/// Single-line JSON with a space after each colon and none after commas: the live service's
/// SSE serialiser.
pub fn sse_json(value: &Value) -> String {
    struct LiveFormatter;
    impl serde_json::ser::Formatter for LiveFormatter {
        fn begin_object_value<W: ?Sized + std::io::Write>(
            &mut self,
            w: &mut W,
        ) -> std::io::Result<()> {
            w.write_all(b": ")
        }
    }
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, LiveFormatter);
    if value.serialize(&mut ser).is_err() {
        return "{}".into();
    }
    String::from_utf8(out).unwrap_or_else(|_| "{}".into())
}

/// A time cut to whole microseconds: the precision of the service's `createTime` and
/// `updateTime` (`2023-09-19T19:56:25.999303Z`).
pub fn micros(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    use chrono::Timelike;
    t.with_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_becomes_camel_case() {
        assert_eq!(camel_case("text_input"), "textInput");
        assert_eq!(camel_case("tuning_task"), "tuningTask");
        assert_eq!(camel_case("@type"), "@type");
        assert_eq!(camel_case("displayName"), "displayName");
    }

    #[test]
    fn trailing_commas_parse() {
        let v = parse_lenient(br#"{"a": [1, 2,], "b": {"c": 1,},}"#).unwrap();
        assert_eq!(v, serde_json::json!({"a": [1, 2], "b": {"c": 1}}));
        assert!(parse_lenient(br#"{"a": }"#).is_err());
    }

    #[test]
    fn output_rules() {
        let body = serde_json::json!({"temperature": 1.0, "topP": 0.95, "state": "ACTIVE",
            "content": {"role": "model"}});
        let plain = to_wire_value(&body, &OutputFormat::default());
        assert_eq!(plain["temperature"].to_string(), "1");
        assert_eq!(plain["state"], "ACTIVE");
        let ints = to_wire_value(
            &body,
            &OutputFormat {
                int_enums: true,
                sse: false,
            },
        );
        assert_eq!(ints["state"], 2);
        assert_eq!(ints["content"]["role"], "model");
        assert_eq!(
            sse_json(&serde_json::json!({"a": 1, "b": [1, 2]})),
            r#"{"a": 1,"b": [1,2]}"#
        );
    }
}
