//! A validator for Google's discovery documents (tests/fixtures/discovery): which routes a
//! service binds (HTTP method, path template and query parameters, per API version) and whether a
//! JSON body fits a schema (no unknown field, the right JSON type for each field's type and
//! format, enums within their values, `$ref` followed, `@type` followed inside `Any` fields; in
//! answers no null, no empty list and no default value of a field without presence). The
//! generativelanguage document of 20240713 predates three v1beta methods and some fields, and
//! there is no v1 document, so the googleapis protos (common/protos.rs) add routes from their
//! `google.api.http` bindings, fill in the v1beta document's missing fields and presence, and
//! are v1's schemas.
#![allow(dead_code)]

#[path = "protos.rs"]
mod protos;

use protos::{camel, proto_routes, proto_schemas, yaml_operation_routes};
use serde_json::Value;
use std::path::PathBuf;

/// One bound route: `POST /v1beta/tunedModels/{*}:generateContent`.
#[derive(Debug, Clone)]
pub struct Route {
    /// `generativelanguage.tunedModels.create`, or the proto RPC for routes from protos.
    pub id: String,
    pub http_method: String,
    /// The whole path from the host: `/v1beta/tunedModels/{tunedModelsId}`.
    pub template: String,
    /// Schema names in the route's document, if any.
    pub request: Option<String>,
    pub response: Option<String>,
    /// The index of the document whose schemas the bodies use.
    pub doc: usize,
    /// The query parameters it declares (the method's and the document's standard ones);
    /// `None` for routes from the protos, which do not list them.
    pub parameters: Option<Vec<String>>,
}

/// The loaded documents and every route they (and the protos) bind.
pub struct Discovery {
    docs: Vec<(String, Value)>,
    pub routes: Vec<Route>,
    /// Messages of the generativelanguage protos, for schemas its document lacks.
    protos: serde_json::Map<String, Value>,
}

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/discovery")
}

/// Merges the fields google-genai 3.3.0 sends that the v1beta1 document of 20260309 lacks
/// (distillation's prompt dataset, reinforcement tuning): new schemas are added, and new
/// properties join an existing schema's.
fn add_sdk_fields(doc: &mut Value, path: &std::path::Path) {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let additions: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    let Some(added) = additions["schemas"].as_object() else {
        panic!("{} has no schemas", path.display());
    };
    for (name, schema) in added {
        let schemas = doc["schemas"]
            .as_object_mut()
            .expect("a document has schemas");
        match schemas.get_mut(name) {
            Some(own) => {
                for (k, v) in schema["properties"].as_object().into_iter().flatten() {
                    own["properties"][k] = v.clone();
                }
            }
            None => {
                schemas.insert(name.clone(), schema.clone());
            }
        }
    }
}

impl Discovery {
    /// Every document in tests/fixtures/discovery, and the protos' bindings.
    pub fn load() -> Discovery {
        let dir = fixtures();
        let mut d = Discovery {
            docs: Vec::new(),
            routes: Vec::new(),
            protos: serde_json::Map::new(),
        };
        for name in [
            "generativelanguage.v1beta.json",
            "aiplatform.v1.json",
            "aiplatform.v1beta1.json",
            "storage.v1.json",
        ] {
            let path = dir.join(name);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            let mut doc: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
            if name == "aiplatform.v1beta1.json" {
                add_sdk_fields(&mut doc, &dir.join("aiplatform.v1beta1.sdk-additions.json"));
            }
            d.add_document(name, doc);
        }
        // Protos. v1beta's messages fill in what the v1beta document (index 0) lacks; v1 has no
        // discovery document here, so its protos' messages are its schemas (a document of their
        // own). The bindings of v1beta and v1 only: google.longrunning's own are generic, each
        // service's YAML says which of them it serves.
        let v1 = d.docs.len();
        let mut v1_schemas = serde_json::Map::new();
        for (version, doc) in [("v1beta", 0), ("v1", v1)] {
            for folder in [version, "longrunning", "rpc"] {
                let binds = folder == version;
                let folder = dir.join("protos").join(folder);
                let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
                    .unwrap_or_else(|e| panic!("cannot read {}: {e}", folder.display()))
                    .map(|e| e.unwrap().path())
                    .collect();
                files.sort();
                for file in files {
                    let text = std::fs::read_to_string(&file).unwrap();
                    if file.extension().is_some_and(|e| e == "proto") {
                        if binds {
                            d.routes.extend(proto_routes(&text, doc));
                        }
                        let schemas = if doc == 0 {
                            &mut d.protos
                        } else {
                            &mut v1_schemas
                        };
                        proto_schemas(&text, schemas);
                    } else if file.extension().is_some_and(|e| e == "yaml") {
                        d.routes.extend(yaml_operation_routes(&text, doc));
                    }
                }
            }
        }
        // `google.protobuf.Empty`, which the protos import rather than declare.
        let empty = serde_json::json!({"type": "object", "properties": {}});
        v1_schemas.insert("Empty".into(), empty);
        d.docs.push((
            "generativelanguage.v1 (protos)".into(),
            serde_json::json!({ "schemas": v1_schemas }),
        ));
        d
    }

    fn add_document(&mut self, name: &str, doc: Value) {
        let index = self.docs.len();
        let service_path = doc["servicePath"].as_str().unwrap_or("").to_owned();
        let mut methods = Vec::new();
        collect_methods(&doc, &mut methods);
        for m in methods {
            let http_method = m["httpMethod"].as_str().unwrap_or("").to_owned();
            let flat = m["flatPath"].as_str().or(m["path"].as_str()).unwrap_or("");
            let schema = |k: &str| m[k]["$ref"].as_str().map(str::to_owned);
            let mut templates = vec![format!("/{service_path}{flat}")];
            if let Some(protocols) = m["mediaUpload"]["protocols"].as_object() {
                for p in protocols.values() {
                    if let Some(path) = p["path"].as_str() {
                        templates.push(path.to_owned());
                    }
                }
            }
            for template in templates {
                let keys = |v: &Value| -> Vec<String> {
                    v.as_object()
                        .map(|o| o.keys().cloned().collect())
                        .unwrap_or_default()
                };
                let mut parameters = keys(&m["parameters"]);
                parameters.extend(keys(&doc["parameters"]));
                self.routes.push(Route {
                    id: m["id"].as_str().unwrap_or("").to_owned(),
                    http_method: http_method.clone(),
                    template,
                    request: schema("request"),
                    response: schema("response"),
                    doc: index,
                    parameters: Some(parameters),
                });
            }
        }
        self.docs.push((name.to_owned(), doc));
    }

    /// The route a request takes, or why there is none. `path` is the raw (still
    /// percent-encoded) path.
    pub fn route(&self, method: &str, path: &str) -> Result<&Route, String> {
        // Each API has its own host, and some paths exist on two (`/v1/operations`): the one
        // tunedeck speaks to for a path is Cloud Storage for its media and JSON paths, Vertex
        // AI for `/{version}/projects/…`, and the Gemini API for the rest.
        let service = if ["/upload/", "/storage/", "/download/", "/resumable/"]
            .iter()
            .any(|p| path.starts_with(p))
        {
            "storage"
        } else if path.split('/').nth(2) == Some("projects") {
            "aiplatform"
        } else {
            "generativelanguage"
        };
        self.routes
            .iter()
            .filter(|r| self.docs[r.doc].0.starts_with(service))
            .find(|r| r.http_method == method && template_matches(&r.template, path))
            .ok_or_else(|| format!("no such route in the discovery documents: {method} {path}"))
    }

    pub fn doc_name(&self, route: &Route) -> &str {
        &self.docs[route.doc].0
    }

    /// Checks `value` against schema `name` of document `doc`; `answer` adds the rules of what
    /// Google sends (no null, no empty list: proto3 JSON omits them). Each problem names its JSON
    /// path.
    pub fn check(&self, doc: usize, name: &str, value: &Value, answer: bool) -> Vec<String> {
        let mut problems = Vec::new();
        let schema = serde_json::json!({ "$ref": name });
        self.check_value(doc, &schema, value, "$", answer, &mut problems);
        problems
    }

    /// A schema of a document; for generativelanguage's (0), the protos' when it lacks one.
    fn schema(&self, doc: usize, name: &str) -> Option<&Value> {
        self.docs[doc].1["schemas"].get(name).or_else(|| {
            if doc == 0 {
                self.protos.get(name)
            } else {
                None
            }
        })
    }

    /// Document `doc`'s schema `name` with what the protos' message of that name adds, for
    /// generativelanguage: the fields the 20240713 document predates, and which fields have
    /// presence (`optional`, sent even when zero). `None` for the other documents.
    fn newer_fields(&self, doc: usize, name: &str, schema: &Value) -> Option<Value> {
        if doc != 0 {
            return None;
        }
        let proto = self.protos.get(name)?.get("properties")?.as_object()?;
        let mut merged = schema.clone();
        let properties = merged.get_mut("properties")?.as_object_mut()?;
        for (k, v) in proto {
            match properties.get_mut(k) {
                Some(own) if v.get("x-presence").is_some() => {
                    own["x-presence"] = Value::Bool(true);
                }
                Some(_) => {}
                None => {
                    properties.insert(k.clone(), v.clone());
                }
            }
        }
        Some(merged)
    }

    /// The document an `Any`'s package names (`google.ai.generativelanguage.v1beta.…` is the
    /// v1beta document even inside a v1 answer), else the one being read.
    fn any_doc(&self, doc: usize, type_url: &str) -> usize {
        let named = |n: &str| self.docs.iter().position(|(name, _)| name.starts_with(n));
        let wanted = if type_url.contains(".generativelanguage.v1beta.") {
            named("generativelanguage.v1beta")
        } else if type_url.contains(".generativelanguage.v1.") {
            named("generativelanguage.v1 ")
        } else if type_url.contains(".aiplatform.v1beta1.") {
            named("aiplatform.v1beta1")
        } else if type_url.contains(".aiplatform.v1.") {
            named("aiplatform.v1.")
        } else {
            None
        };
        wanted.unwrap_or(doc)
    }

    /// The schema an `Any`'s `@type` names, in any document: the last dotted part of the type,
    /// or the Vertex document's `GoogleCloudAiplatformV1…` spelling of it.
    fn any_schema(&self, doc: usize, type_url: &str) -> Option<(usize, String)> {
        let full = type_url.rsplit('/').next()?;
        let short = full.rsplit('.').next()?;
        let mut names = vec![short.to_owned()];
        if let Some(rest) = full.strip_prefix("google.cloud.aiplatform.") {
            let (version, _) = rest.split_once('.')?;
            let mut v = version.to_owned();
            v[..1].make_ascii_uppercase();
            names.insert(0, format!("GoogleCloudAiplatform{v}{short}"));
        }
        let doc = self.any_doc(doc, type_url);
        names
            .into_iter()
            .find(|n| self.schema(doc, n).is_some())
            .map(|n| (doc, n))
    }

    #[allow(clippy::too_many_arguments)]
    fn check_value(
        &self,
        doc: usize,
        schema: &Value,
        value: &Value,
        at: &str,
        answer: bool,
        out: &mut Vec<String>,
    ) {
        if let Some(name) = schema["$ref"].as_str() {
            let Some(target) = self.schema(doc, name) else {
                out.push(format!(
                    "{at}: schema {name} is not in {}",
                    self.docs[doc].0
                ));
                return;
            };
            // Fields newer than the 20240713 generativelanguage document: the protos' message
            // of the same name declares them (the document's own declarations win).
            if let Some(newer) = self.newer_fields(doc, name, target) {
                return self.check_value(doc, &newer, value, at, answer, out);
            }
            return self.check_value(doc, target, value, at, answer, out);
        }
        if value.is_null() {
            if answer {
                out.push(format!("{at}: null (Google omits unset fields)"));
            }
            return;
        }
        let kind = schema["type"].as_str().unwrap_or("any");
        let format = schema["format"].as_str().unwrap_or("");
        let wrong = |out: &mut Vec<String>, want: &str| {
            out.push(format!("{at}: {value} is not {want}"));
        };
        match kind {
            "any" => {}
            "boolean" if !value.is_boolean() => wrong(out, "a boolean"),
            "integer" => match format {
                "int32" if value.as_i64().is_none_or(|n| i32::try_from(n).is_err()) => {
                    wrong(out, "an int32 number")
                }
                "uint32" if value.as_u64().is_none_or(|n| u32::try_from(n).is_err()) => {
                    wrong(out, "a uint32 number")
                }
                _ if !(value.is_i64() || value.is_u64()) => wrong(out, "an integer"),
                _ => {}
            },
            "number" => {
                let special = value
                    .as_str()
                    .is_some_and(|s| ["NaN", "Infinity", "-Infinity"].contains(&s));
                if !value.is_number() && !special {
                    wrong(out, "a number")
                }
            }
            "string" => {
                let Some(s) = value.as_str() else {
                    return wrong(out, &format!("a string ({format})"));
                };
                if let Some(values) = schema["enum"].as_array()
                    && !values.iter().any(|v| v == s)
                {
                    out.push(format!("{at}: {s:?} is not one of the enum's values"));
                }
                let fits = match format {
                    "int64" => s.parse::<i64>().is_ok(),
                    "uint64" | "fixed64" => s.parse::<u64>().is_ok(),
                    "google-datetime" | "date-time" => {
                        chrono::DateTime::parse_from_rfc3339(s).is_ok()
                    }
                    "google-duration" => is_duration(s),
                    "byte" => s
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"+/=-_".contains(&b)),
                    _ => true,
                };
                if !fits {
                    out.push(format!("{at}: {s:?} is not a {format} string"));
                }
            }
            "array" => {
                let Some(items) = value.as_array() else {
                    return wrong(out, "an array");
                };
                if answer && items.is_empty() {
                    out.push(format!("{at}: an empty list (Google omits empty lists)"));
                }
                for (i, item) in items.iter().enumerate() {
                    let at = format!("{at}[{i}]");
                    self.check_value(doc, &schema["items"], item, &at, answer, out);
                }
            }
            "object" => {
                let Some(map) = value.as_object() else {
                    return wrong(out, "an object");
                };
                let properties = schema["properties"].as_object();
                let extra = schema.get("additionalProperties");
                // An Any (`additionalProperties: any`) names its message in `@type`.
                let any_type = map.get("@type").and_then(Value::as_str).filter(|_| {
                    properties.is_none() && extra.is_some_and(|e| e["type"].as_str() == Some("any"))
                });
                if let Some(type_url) = any_type {
                    if type_url.ends_with("google.protobuf.Empty") {
                        if map.len() > 1 {
                            out.push(format!("{at}: an Empty with fields"));
                        }
                        return;
                    }
                    match self.any_schema(doc, type_url) {
                        Some((d, name)) => {
                            let mut rest = map.clone();
                            rest.shift_remove("@type");
                            let target = serde_json::json!({ "$ref": name });
                            let rest = Value::Object(rest);
                            self.check_value(d, &target, &rest, at, answer, out);
                        }
                        None => out.push(format!("{at}: @type {type_url} names no known schema")),
                    }
                    return;
                }
                for (key, item) in map {
                    let at = format!("{at}.{key}");
                    // Requests may use the proto's own snake_case names (proto3 JSON parsers
                    // accept both); answers always use lowerCamelCase.
                    let declared = properties.and_then(|p| {
                        p.get(key)
                            .or_else(|| if answer { None } else { p.get(&camel(key)) })
                    });
                    match (declared, extra) {
                        (Some(s), _) => {
                            if answer && self.omits_defaults(doc) && is_default(s, item) {
                                out.push(format!(
                                    "{at}: {item} is the default value (Google omits it)"
                                ));
                            }
                            self.check_value(doc, s, item, &at, answer, out)
                        }
                        (None, Some(s)) => self.check_value(doc, s, item, &at, answer, out),
                        (None, None) => out.push(format!("{at}: unknown field")),
                    }
                }
            }
            "boolean" => {}
            other => out.push(format!("{at}: the schema has type {other}, unknown here")),
        }
    }
}

impl Discovery {
    /// The proto3 services (generativelanguage, aiplatform) leave out a field at its default
    /// value; Cloud Storage's JSON API is not proto3 JSON.
    fn omits_defaults(&self, doc: usize) -> bool {
        !self.docs[doc].0.starts_with("storage")
    }
}

/// A scalar field at its proto3 default (false, 0, "", an enum's `…_UNSPECIFIED`), for a field
/// without presence: proto3 JSON does not send it.
fn is_default(schema: &Value, value: &Value) -> bool {
    if schema.get("x-presence").is_some() || schema.get("$ref").is_some() {
        return false;
    }
    let first_enum = schema["enum"][0]
        .as_str()
        .filter(|e| e.ends_with("UNSPECIFIED"));
    value == &Value::Bool(false)
        || value.as_str() == Some("")
        || value.as_f64() == Some(0.0)
        || (first_enum.is_some() && value.as_str() == first_enum)
}

/// `3.5s`, `-0.000000001s`, `120s`: a google-duration.
fn is_duration(s: &str) -> bool {
    let Some(n) = s.strip_suffix('s') else {
        return false;
    };
    let n = n.strip_prefix('-').unwrap_or(n);
    let (whole, frac) = n.split_once('.').unwrap_or((n, "0"));
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && (1..=9).contains(&frac.len())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

fn collect_methods<'a>(resource: &'a Value, out: &mut Vec<&'a Value>) {
    if let Some(methods) = resource["methods"].as_object() {
        out.extend(methods.values());
    }
    if let Some(resources) = resource["resources"].as_object() {
        for r in resources.values() {
            collect_methods(r, out);
        }
    }
}

/// Does a template (`/v1/{+name}:cancel`, `/v1beta/tunedModels/{tunedModelsId}`) match a raw
/// path? `{x}` takes one segment (no `/`, no `:`), `{+x}` one or more characters.
pub fn template_matches(template: &str, path: &str) -> bool {
    fn go(t: &[u8], p: &[u8]) -> bool {
        match t.first() {
            None => p.is_empty(),
            Some(b'{') => {
                let close = t.iter().position(|&b| b == b'}').unwrap_or(t.len() - 1);
                let greedy = t.get(1) == Some(&b'+');
                let rest = &t[close + 1..];
                (1..=p.len())
                    .take_while(|&n| greedy || !matches!(p[n - 1], b'/' | b':'))
                    .any(|n| go(rest, &p[n..]))
            }
            Some(&c) => p.first() == Some(&c) && go(&t[1..], &p[1..]),
        }
    }
    go(template.as_bytes(), path.as_bytes())
}
