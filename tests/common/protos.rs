//! What the googleapis protos say, in the discovery documents' terms: the `google.api.http`
//! bindings of their RPCs (and of a service YAML's rules) as routes, and their messages as
//! schemas, for the generativelanguage methods and fields newer than its discovery document and
//! for v1, which has none here. A small reader for the proto3 files kept in
//! tests/fixtures/discovery/protos, not a general parser.

use super::Route;
use serde_json::Value;

/// `/v1beta/{name=tunedModels/*}/operations` as a template: `/v1beta/tunedModels/{*}/operations`.
pub fn http_rule_template(rule: &str) -> String {
    let mut out = String::new();
    let mut rest = rule;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
        let inner = &rest[open + 1..close];
        match inner.split_once('=') {
            Some((_, pattern)) => {
                let parts: Vec<String> = pattern
                    .split('/')
                    .map(|p| match p {
                        "*" => "{*}".to_owned(),
                        "**" => "{+*}".to_owned(),
                        lit => lit.to_owned(),
                    })
                    .collect();
                out.push_str(&parts.join("/"));
            }
            None => out.push_str("{*}"),
        }
        rest = &rest[(close + 1).min(rest.len())..];
    }
    out.push_str(rest);
    out
}

/// The `google.api.http` bindings of every `rpc` in a proto file. A binding with `body: "*"`
/// takes the RPC's request message; the response is the RPC's (a stream's element).
pub fn proto_routes(text: &str, doc: usize) -> Vec<Route> {
    let mut routes = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("\n  rpc ") {
        rest = &rest[at + 7..];
        let end = rest.find("\n  }").unwrap_or(rest.len());
        let block = &rest[..end];
        let name = block.split('(').next().unwrap_or("").trim().to_owned();
        let types: Vec<&str> = block
            .split(['(', ')'])
            .skip(1)
            .step_by(2)
            .map(|t| t.trim().trim_start_matches("stream ").trim())
            .collect();
        let (request, response) = (types.first(), types.get(1));
        let lines: Vec<&str> = block.lines().map(str::trim).collect();
        for (i, line) in lines.iter().enumerate() {
            for verb in ["get", "post", "patch", "delete", "put"] {
                let Some(rule) = line
                    .strip_prefix(&format!("{verb}: \""))
                    .and_then(|r| r.strip_suffix('"'))
                else {
                    continue;
                };
                let body = lines.get(i + 1).and_then(|l| l.strip_prefix("body: \""));
                let request = match body {
                    Some(b) if b.starts_with('*') => request.map(|t| short_type(t)),
                    _ => None,
                };
                routes.push(Route {
                    id: format!("proto {name}"),
                    http_method: verb.to_ascii_uppercase(),
                    template: http_rule_template(rule),
                    request,
                    response: response.map(|t| short_type(t)),
                    doc,
                    parameters: None,
                });
            }
        }
        rest = &rest[end..];
    }
    routes
}

pub fn short_type(t: &str) -> String {
    t.rsplit('.').next().unwrap_or(t).to_owned()
}

/// The service YAML's `http: rules:` for `google.longrunning.Operations`.
pub fn yaml_operation_routes(text: &str, doc: usize) -> Vec<Route> {
    let mut routes = Vec::new();
    let mut response = None;
    for line in text.lines() {
        let line = line.trim().trim_start_matches("- ");
        if let Some(selector) = line.strip_prefix("selector: ") {
            response = match selector.rsplit('.').next() {
                Some("GetOperation") => Some("Operation".to_owned()),
                Some("ListOperations") => Some("ListOperationsResponse".to_owned()),
                Some("CancelOperation" | "DeleteOperation") => Some("Empty".to_owned()),
                _ => None,
            };
            continue;
        }
        for verb in ["get", "post", "delete"] {
            if let Some(rule) = line.strip_prefix(&format!("{verb}: ")) {
                if response.is_none() {
                    continue;
                }
                routes.push(Route {
                    id: "longrunning".into(),
                    http_method: verb.to_ascii_uppercase(),
                    template: http_rule_template(rule.trim_matches('\'')),
                    request: None,
                    response: response.clone(),
                    doc,
                    parameters: None,
                });
            }
        }
    }
    routes
}

/// The messages of a proto file (nested ones too) as discovery-style schemas (fields in lowerCamelCase,
/// 64-bit integers as int64 strings, Timestamp and Duration as their string formats, messages as
/// `$ref`s by short name, enums as strings). Only for messages the document lacks.
pub fn proto_schemas(text: &str, out: &mut serde_json::Map<String, Value>) {
    let code_lines: Vec<&str> = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or("").trim())
        .collect();
    // Enums at any depth, by short name (the first of a name wins).
    for (i, line) in code_lines.iter().enumerate() {
        let Some(name) = line
            .strip_prefix("enum ")
            .and_then(|l| l.strip_suffix(" {"))
        else {
            continue;
        };
        let values: Vec<Value> = code_lines[i + 1..]
            .iter()
            .take_while(|l| **l != "}")
            .filter_map(|l| l.split_once('=').map(|(v, _)| Value::from(v.trim())))
            .filter(|v| {
                v.as_str()
                    .is_some_and(|s| !s.is_empty() && !s.contains(' '))
            })
            .collect();
        out.entry(name.to_owned())
            .or_insert_with(|| serde_json::json!({"type": "string", "enum": values}));
    }
    // Every message, nested ones too (`GenerateContentResponse.UsageMetadata`), by short name.
    for (i, line) in code_lines.iter().enumerate() {
        let Some(name) = line
            .strip_prefix("message ")
            .and_then(|l| l.strip_suffix(" {"))
        else {
            continue;
        };
        let lines = code_lines[i + 1..].iter().copied();
        let mut properties = serde_json::Map::new();
        let mut nested = 0i32;
        let mut in_oneof = false;
        let mut statement = String::new();
        for code in lines {
            let balance = code.matches('{').count() as i32 - code.matches('}').count() as i32;
            if nested > 0 {
                nested += balance;
                continue;
            }
            if code.starts_with("message ") || code.starts_with("enum ") {
                nested = balance;
                continue;
            }
            if code.starts_with("oneof ") {
                in_oneof = true;
                continue;
            }
            if code == "}" && statement.is_empty() {
                if in_oneof {
                    in_oneof = false;
                    continue;
                }
                break;
            }
            if code.is_empty() || code.starts_with("reserved") || code.starts_with("option ") {
                continue;
            }
            statement.push(' ');
            statement.push_str(code);
            if code.ends_with(';') {
                if let Some((field, schema)) = proto_field(statement.trim()) {
                    properties.insert(field, schema);
                }
                statement.clear();
            }
        }
        out.entry(name.to_owned())
            .or_insert_with(|| serde_json::json!({"type": "object", "properties": properties}));
    }
}

/// `repeated TuningSnapshot snapshots = 4 [...];` → (`snapshots`, its schema).
fn proto_field(statement: &str) -> Option<(String, Value)> {
    let decl = statement.split('=').next()?.trim();
    let words: Vec<&str> = decl.split_whitespace().collect();
    let (label, kind, name) = match words.as_slice() {
        [label @ ("repeated" | "optional"), kind, name] => (*label, *kind, *name),
        [kind, name] => ("", *kind, *name),
        _ if decl.starts_with("map<") => {
            let (inner, name) = decl.strip_prefix("map<")?.split_once('>')?;
            let value = inner.split(',').nth(1)?.trim();
            let schema =
                serde_json::json!({"type": "object", "additionalProperties": proto_type(value)});
            return Some((camel(name.trim()), schema));
        }
        _ => return None,
    };
    let mut schema = proto_type(kind);
    if label == "optional" {
        schema["x-presence"] = Value::Bool(true);
    }
    let schema = if label == "repeated" {
        serde_json::json!({"type": "array", "items": schema})
    } else {
        schema
    };
    Some((camel(name), schema))
}

fn proto_type(kind: &str) -> Value {
    use serde_json::json;
    match kind {
        "string" => json!({"type": "string"}),
        "bytes" => json!({"type": "string", "format": "byte"}),
        "bool" => json!({"type": "boolean"}),
        "int32" | "sint32" | "sfixed32" => json!({"type": "integer", "format": "int32"}),
        "uint32" | "fixed32" => json!({"type": "integer", "format": "uint32"}),
        "int64" | "sint64" | "sfixed64" => json!({"type": "string", "format": "int64"}),
        "uint64" | "fixed64" => json!({"type": "string", "format": "uint64"}),
        "float" | "double" => json!({"type": "number"}),
        "google.protobuf.Timestamp" => json!({"type": "string", "format": "google-datetime"}),
        "google.protobuf.Duration" => json!({"type": "string", "format": "google-duration"}),
        "google.protobuf.Struct" | "google.protobuf.Value" => json!({"type": "any"}),
        "google.protobuf.Any" => {
            json!({"type": "object", "additionalProperties": {"type": "any"}})
        }
        other => json!({"$ref": short_type(other)}),
    }
}

pub fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in snake.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}
