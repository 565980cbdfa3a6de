//! Rewrites a spec into the subset progenitor handles, and drives the reading of the model.
//!
//! progenitor panics on several valid constructs and ignores others; every such case is either
//! rewritten here (with the reason next to the rewrite) or reported as a [`SpecError`] that names the
//! file and JSON pointer. The result is a JSON document plus the [`Api`] model (`model.rs`) the glue
//! is built from; the extensions' vocabulary and parsing live in `extensions.rs`.
//!
//! The passes run in this order, and the order matters:
//! 1. `info`/`servers`: the version is escaped to ASCII before progenitor sees it.
//! 2. Unknown or misplaced `x-affiliate-*` keys, on the document as written, before any rewrite
//!    adds or moves keys (a later pass would otherwise report its own output, or lose the pointer).
//! 3. `$ref` resolution: every later pass follows references and assumes they resolve.
//! 4. Stripping `additionalProperties: false` and property defaults, document-wide: before the
//!    operations pass copies resolved responses into operations, so no copy keeps them.
//! 5. Security, body-error rules: read-only, from the root.
//! 6. Lenient scalars become `$ref`s to marker components (their nullability moves into the
//!    replacement type).
//! 7. Operations: parameters, responses (success variants, raw error bodies), request bodies and
//!    the per-operation extensions; inline success-variant schemas are then hoisted into
//!    components, after every operation is seen, so a name clash is found whatever the order.
//! 8. Tri-state fields: last, over request-body schemas as they will be generated; after (6), so
//!    a lenient field, now a `$ref`, is not made tri-state on top of its own `Option`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};
use serde_json::{json, Map, Value};

pub use crate::model::*;
use crate::spec::{pointer, SpecError};

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Normalises `doc` in place and returns the glue model, or every problem found.
pub fn normalise(file: &Path, doc: &mut Value) -> Result<Api, Vec<SpecError>> {
    let mut n = Normaliser { file, errors: Vec::new(), hoisted: Vec::new() };
    let api = n.run(doc);
    if n.errors.is_empty() {
        Ok(api)
    } else {
        Err(n.errors)
    }
}

pub(crate) struct Normaliser<'a> {
    file: &'a Path,
    pub(crate) errors: Vec<SpecError>,
    /// Inline success-variant schemas to add as components: (name, where it was, schema).
    hoisted: Vec<(String, String, Value)>,
}

impl Normaliser<'_> {
    pub(crate) fn error(&mut self, location: impl Into<String>, message: impl Into<String>) {
        self.errors.push(SpecError::new(self.file, location, message));
    }

    fn run(&mut self, doc: &mut Value) -> Api {
        let name = self.file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        match doc.get("openapi").and_then(Value::as_str) {
            Some(v) if v.starts_with("3.0.") => {}
            Some(v) => self.error("/openapi", format!("OpenAPI {v} is not supported: write the spec as OpenAPI 3.0.3")),
            None => self.error("/openapi", "missing `openapi: 3.0.3`"),
        }
        let title = str_at(doc, "/info/title").unwrap_or_default().to_string();
        match str_at(doc, "/info/version") {
            // progenitor sends info.version in a header built with `HeaderValue::from_static`, which
            // panics on anything but visible ASCII; the runtime strips that header anyway, so a
            // version it could not send is replaced by its ASCII escape: nothing depends on it.
            Some(v) if v.bytes().all(|b| (0x20..0x7f).contains(&b)) => {}
            Some(v) => {
                let ascii: String = v.escape_default().collect();
                if let Some(slot) = doc.pointer_mut("/info/version") {
                    *slot = Value::String(ascii);
                }
            }
            None => self.error("/info/version", "missing"),
        }
        // No `servers`: valid OpenAPI; the client then needs `base_url(..)` before `build()`.
        let base_url = match str_at(doc, "/servers/0/url") {
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
                Some(url.trim_end_matches('/').to_string())
            }
            Some(url) => {
                self.error("/servers/0/url", format!("`{url}` must be an absolute http(s) URL"));
                None
            }
            None => None,
        };
        for (at, message) in crate::extensions::misplaced(doc) {
            self.error(at, message);
        }
        self.check_refs(doc, doc, &mut String::new());
        strip_closed_objects(doc);
        strip_property_defaults(doc);
        let security = self.security(doc, &name);
        let body_errors = self.body_errors(doc);
        let rate_limit = self.rate_limit(doc);
        let replacements = self.lenient(doc);
        let operations = self.operations(doc);
        self.hoist(doc);
        let tri_state = nullable_in_requests(doc);
        Api { name, title, base_url, security, operations, body_errors, rate_limit, replacements, tri_state }
    }

    /// Every `$ref` must be local and resolve: progenitor would otherwise panic or fail late.
    fn check_refs(&mut self, root: &Value, value: &Value, at: &mut String) {
        match value {
            Value::Object(map) => {
                if let Some(target) = map.get("$ref") {
                    match target.as_str() {
                        Some(t) if t.starts_with("#/") => {
                            let resolved = root.pointer(&t[1..]);
                            if resolved.is_none() {
                                self.error(
                                    format!("{at}/$ref"),
                                    format!("`{t}` does not resolve to anything in this file"),
                                );
                            }
                        }
                        Some(t) => self.error(
                            format!("{at}/$ref"),
                            format!("`{t}`: only local references (`#/components/...`) are supported"),
                        ),
                        None => self.error(format!("{at}/$ref"), "`$ref` must be a string"),
                    }
                }
                for (key, child) in map {
                    let len = at.len();
                    at.push('/');
                    at.push_str(&crate::spec::escape(key));
                    self.check_refs(root, child, at);
                    at.truncate(len);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    let len = at.len();
                    at.push_str(&format!("/{i}"));
                    self.check_refs(root, child, at);
                    at.truncate(len);
                }
            }
            _ => {}
        }
    }

    fn security(&mut self, doc: &Value, api: &str) -> Vec<Scheme> {
        let Some(requirements) = doc.get("security").and_then(Value::as_array) else {
            return Vec::new();
        };
        if requirements.len() > 1 {
            self.error(
                "/security",
                "alternative security requirements are not supported: list every scheme the API \
                 needs in one requirement object",
            );
        }
        let Some(requirement) = requirements.first().and_then(Value::as_object) else {
            return Vec::new();
        };
        let mut schemes = Vec::new();
        for name in requirement.keys() {
            let at = pointer(&["components", "securitySchemes", name]);
            let Some(scheme) = doc.pointer(&at) else {
                self.error("/security/0", format!("scheme `{name}` is not defined at {at}"));
                continue;
            };
            let env_default = |suffix: &str| format!("{api}_{name}{suffix}").to_shouty_snake_case();
            let env = |key: &str, suffix: &str| {
                scheme.get(key).and_then(Value::as_str).map(str::to_string).unwrap_or(env_default(suffix))
            };
            let kind = (
                scheme.get("type").and_then(Value::as_str),
                scheme.get("scheme").and_then(Value::as_str).map(str::to_ascii_lowercase),
                scheme.get("in").and_then(Value::as_str),
            );
            match kind {
                (Some("http"), Some(s), _) if s == "bearer" => {
                    schemes.push(Scheme::Bearer { name: name.clone(), env: env("x-affiliate-env", "") })
                }
                (Some("http"), Some(s), _) if s == "basic" => schemes.push(Scheme::Basic {
                    name: name.clone(),
                    env_username: env("x-affiliate-env-username", "_username"),
                    env_password: env("x-affiliate-env-password", "_password"),
                }),
                (Some("apiKey"), _, Some("header")) => match scheme.get("name").and_then(Value::as_str) {
                    Some(header) if http_token(header) => schemes.push(Scheme::ApiKeyHeader {
                        name: name.clone(),
                        header: header.to_string(),
                        env: env("x-affiliate-env", ""),
                    }),
                    _ => self.error(format!("{at}/name"), "an apiKey scheme needs a valid header name"),
                },
                (Some("apiKey"), _, Some("query")) => match scheme.get("name").and_then(Value::as_str) {
                    // Sent with `append_pair`, which encodes anything; a name that needs encoding
                    // is still almost certainly a typo.
                    Some(param)
                        if !param.is_empty()
                            && param.bytes().all(|b| b.is_ascii_graphic() && !b"&=#?".contains(&b)) =>
                    {
                        schemes.push(Scheme::ApiKeyQuery {
                            name: name.clone(),
                            param: param.to_string(),
                            env: env("x-affiliate-env", ""),
                        })
                    }
                    _ => self.error(format!("{at}/name"), "an apiKey scheme in query needs a plain parameter name"),
                },
                _ => self.error(
                    at,
                    "unsupported security scheme: use http bearer, http basic, or apiKey in header or query",
                ),
            }
        }
        schemes
    }

    fn operations(&mut self, doc: &mut Value) -> Vec<Operation> {
        let components = doc.get("components").cloned().unwrap_or(Value::Null);
        let mut operations = Vec::new();
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
            self.error("/paths", "missing");
            return operations;
        };
        for (path, item) in paths.iter_mut() {
            let item_at = pointer(&["paths", path]);
            let Some(item) = item.as_object_mut() else {
                self.error(item_at, "a path item must be a mapping");
                continue;
            };
            if item.contains_key("$ref") {
                self.error(format!("{item_at}/$ref"), "path item references are not supported");
                continue;
            }
            let shared_params = item.get("parameters").cloned().unwrap_or(Value::Array(Vec::new()));
            for method in METHODS {
                let Some(op) = item.get_mut(method) else { continue };
                let at = pointer(&["paths", path, method]);
                let Some(op) = op.as_object_mut() else {
                    self.error(at, "an operation must be a mapping");
                    continue;
                };
                let id = match op.get("operationId").and_then(Value::as_str) {
                    Some(id) if valid_operation_id(id) => id.to_string(),
                    Some(id) => {
                        self.error(
                            format!("{at}/operationId"),
                            format!("`{id}` must start with a letter and use only letters, digits and `_`"),
                        );
                        continue;
                    }
                    None => {
                        self.error(format!("{at}/operationId"), "missing: every operation needs one");
                        continue;
                    }
                };
                // Rust method names come from the snake case form, so `listPartners` and
                // `list_partners` collide even though the spec strings differ.
                if let Some(first) = seen.insert(id.to_snake_case(), at.clone()) {
                    self.error(format!("{at}/operationId"), format!("`{id}` duplicates the operationId at {first}"));
                    continue;
                }
                let params = self.parameters(&at, op, &shared_params, &components);
                let success_variants = self.responses(&at, &id, op, &components);
                let job = op.get("x-affiliate-job").and_then(|j| self.job(&format!("{at}/x-affiliate-job"), j));
                self.request_body(&at, op, &components);
                let idempotent = matches!(method, "get" | "head" | "put" | "delete" | "options")
                    || op.get("x-affiliate-idempotent").and_then(Value::as_bool) == Some(true);
                let anonymous = op.get("security").and_then(Value::as_array).is_some_and(Vec::is_empty);
                let idempotency_header = self.idempotency_header(&at, op);
                let pagination = op
                    .get("x-affiliate-pagination")
                    .map(|p| self.pagination(&format!("{at}/x-affiliate-pagination"), p, &params));
                operations.push(Operation {
                    id,
                    method: method.to_string(),
                    path: path.clone(),
                    idempotent,
                    anonymous,
                    idempotency_header,
                    pagination: pagination.flatten(),
                    success_variants,
                    job,
                });
            }
        }
        operations
    }

    /// Checks parameter styles progenitor cannot send and returns the query parameter names.
    fn parameters(
        &mut self,
        at: &str,
        op: &Map<String, Value>,
        shared: &Value,
        components: &Value,
    ) -> BTreeSet<String> {
        let mut query = BTreeSet::new();
        if op.get("parameters").is_some_and(|p| !p.is_array()) {
            self.error(format!("{at}/parameters"), "must be a list of parameters");
            return query;
        }
        let own = op.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
        let shared = shared.as_array().cloned().unwrap_or_default();
        for (i, param) in own.iter().chain(shared.iter()).enumerate() {
            let param_at = format!("{at}/parameters/{i}");
            let param = resolve(param, components);
            let location = param.get("in").and_then(Value::as_str).unwrap_or_default();
            let name = param.get("name").and_then(Value::as_str).unwrap_or_default();
            match location {
                "cookie" => self.error(param_at.clone(), format!("cookie parameter `{name}` is not supported")),
                "query" => {
                    query.insert(name.to_string());
                }
                _ => {}
            }
            if let Some(style) = param.get("style").and_then(Value::as_str) {
                if !matches!(style, "form" | "simple") {
                    self.error(
                        format!("{param_at}/style"),
                        format!("style `{style}` is not supported: declare one parameter per key with a literal name"),
                    );
                }
            }
        }
        query
    }

    /// One `2XX` response and raw `4XX`/`5XX` responses per operation.
    ///
    /// progenitor panics when an operation has two success or two error types, and decodes error
    /// bodies against one schema only. Error bodies therefore reach the runtime as raw bytes, where
    /// one shape-recognising decoder serves every vendor. Success responses with different bodies
    /// (200 with data, 202 with a job) become one variant per status: a raw `2XX` for progenitor,
    /// decoded by the glue. `x-affiliate-success-variants` forces (`true`), refuses (`false`) or
    /// renames (`{"202": Queued}`) the variants.
    fn responses(
        &mut self,
        at: &str,
        id: &str,
        op: &mut Map<String, Value>,
        components: &Value,
    ) -> Vec<SuccessVariant> {
        let Some(responses) = op.get("responses").and_then(Value::as_object) else {
            self.error(format!("{at}/responses"), "missing, or not a mapping of status to response");
            return Vec::new();
        };
        let ext_at = format!("{at}/x-affiliate-success-variants");
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        let forced = match op.get("x-affiliate-success-variants") {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::Object(map)) => {
                for (status, name) in map {
                    match name.as_str() {
                        Some(n) if valid_type_name(n) => {
                            names.insert(status.clone(), n.to_string());
                        }
                        _ => self.error(
                            format!("{ext_at}/{}", crate::spec::escape(status)),
                            "a variant name must be a Rust type name (`Queued`)",
                        ),
                    }
                }
                Some(true)
            }
            Some(_) => {
                self.error(ext_at.clone(), "must be true, false, or a mapping of status to variant name");
                None
            }
        };
        let successes: Vec<(String, Value, Value)> = responses
            .iter()
            .filter(|(status, _)| status.starts_with('2'))
            .map(|(status, response)| {
                let response = resolve(response, components);
                (status.clone(), success_body(&response), response)
            })
            .collect();
        let differ = successes.windows(2).any(|w| w[0].1 != w[1].1);
        for status in names.keys() {
            if !successes.iter().any(|(s, _, _)| s == status) {
                self.error(format!("{ext_at}/{}", crate::spec::escape(status)), "not a 2xx response of this operation");
            }
        }
        let by_status = match forced {
            Some(true) => true,
            Some(false) if differ => {
                let (first, second) = (&successes[0].0, &successes[successes.len() - 1].0);
                self.error(
                    format!("{at}/responses/{}", crate::spec::escape(second)),
                    format!(
                        "two success responses with different bodies ({first} and {second}) and \
                         `x-affiliate-success-variants: false`: declare one schema (oneOf if it varies)"
                    ),
                );
                return Vec::new();
            }
            Some(false) | None => differ,
        };
        let mut variants = Vec::new();
        if by_status {
            for (status, body, _) in &successes {
                let response_at = format!("{at}/responses/{}", crate::spec::escape(status));
                let Ok(code) = status.parse::<u16>() else {
                    self.error(response_at, "success variants need exact status codes (200, 202), not ranges");
                    continue;
                };
                let name = names.get(status).cloned().unwrap_or_else(|| variant_name(code));
                let body = match body {
                    Value::String(kind) if kind == "empty" => VariantBody::Empty,
                    Value::String(kind) if kind == "raw" => VariantBody::Raw,
                    schema => match schema
                        .get("$ref")
                        .and_then(Value::as_str)
                        .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    {
                        Some(component) => VariantBody::Json(component.to_string()),
                        None => {
                            // An inline schema becomes a component named after the operation and
                            // the variant, so the variant has a type to carry.
                            let component = format!("{}{name}", id.to_upper_camel_case());
                            self.hoisted.push((component.clone(), format!("{response_at}/content"), schema.clone()));
                            VariantBody::Json(component)
                        }
                    },
                };
                variants.push(SuccessVariant { status: code, name, body });
            }
        }
        let success = successes.first().map(|(status, _, _)| status.clone());
        let mut normalised = Map::new();
        if by_status {
            if successes.is_empty() {
                self.error(format!("{at}/responses"), "no 2xx response: every operation needs one");
                return variants;
            }
            normalised.insert(
                "2XX".to_string(),
                json!({"description": "one of the success variants", "content": {"application/octet-stream": {}}}),
            );
        } else {
            let Some(first) = success else {
                self.error(format!("{at}/responses"), "no 2xx response: every operation needs one");
                return variants;
            };
            let success_response = resolve(&responses[&first], components);
            normalised.insert("2XX".to_string(), only_one_media_type(success_response));
        }
        for range in ["4XX", "5XX"] {
            normalised.insert(
                range.to_string(),
                json!({
                    "description": "an error: the runtime decodes the body by its shape",
                    "content": {"application/octet-stream": {}}
                }),
            );
        }
        op.insert("responses".to_string(), Value::Object(normalised));
        variants
    }

    /// Adds the inline success-variant schemas as components (a name already taken is an error).
    fn hoist(&mut self, doc: &mut Value) {
        for (name, at, schema) in std::mem::take(&mut self.hoisted) {
            let schemas = doc
                .as_object_mut()
                .and_then(|root| root.entry("components").or_insert_with(|| json!({})).as_object_mut())
                .and_then(|components| components.entry("schemas").or_insert_with(|| json!({})).as_object_mut());
            match schemas {
                Some(schemas) if schemas.contains_key(&name) => self.error(
                    at,
                    format!("the inline schema would be named `{name}`, which is already a component: use a `$ref`"),
                ),
                Some(schemas) => {
                    schemas.insert(name, schema);
                }
                None => self.error("/components", "must be a mapping with a `schemas` mapping"),
            }
        }
    }

    /// Rewrites `x-affiliate-lenient` properties into references to marker components that the
    /// generator replaces with the runtime's lenient scalar types.
    fn lenient(&mut self, doc: &mut Value) -> Vec<(String, String)> {
        let mut used = BTreeSet::new();
        let mut found = Vec::new();
        collect_lenient(doc, &mut String::new(), &mut found);
        for (at, kind, required, nullable) in found {
            let rust = match kind.as_deref() {
                Some("string") => "LenientString",
                Some("number") => "LenientNumber",
                Some("integer") => "LenientInteger",
                other => {
                    self.error(
                        format!("{at}/type"),
                        format!(
                            "x-affiliate-lenient applies to string, number or integer, not {}",
                            other.unwrap_or("an untyped schema")
                        ),
                    );
                    continue;
                }
            };
            // A required, nullable field keeps its key but may be null: the Option is in the type.
            // Optional fields get their Option from the generator.
            let (component, replacement) = if required && nullable {
                (
                    format!("Affiliate{rust}OrNull"),
                    format!("::std::option::Option<::affiliate_runtime::lenient::{rust}>"),
                )
            } else {
                (format!("Affiliate{rust}"), format!("::affiliate_runtime::lenient::{rust}"))
            };
            if let Some(slot) = doc.pointer_mut(&at) {
                *slot = json!({"$ref": format!("#/components/schemas/{component}")});
            }
            used.insert((component, replacement, kind.unwrap_or_default()));
        }
        let mut replacements = Vec::new();
        for (component, replacement, kind) in used {
            let schemas = doc
                .as_object_mut()
                .and_then(|root| root.entry("components").or_insert_with(|| json!({})).as_object_mut())
                .and_then(|components| components.entry("schemas").or_insert_with(|| json!({})).as_object_mut());
            match schemas {
                Some(schemas) => {
                    let marker = json!({"type": kind, "description": "lenient scalar (replaced by the generator)"});
                    schemas.insert(component.clone(), marker);
                    replacements.push((component, replacement));
                }
                None => self.error("/components", "must be a mapping with a `schemas` mapping"),
            }
        }
        replacements
    }

    fn request_body(&mut self, at: &str, op: &mut Map<String, Value>, components: &Value) {
        let Some(body) = op.get("requestBody") else { return };
        let mut body = resolve(body, components);
        let Some(content) = body.get("content").and_then(Value::as_object) else {
            self.error(format!("{at}/requestBody/content"), "missing");
            return;
        };
        if content.is_empty() {
            self.error(format!("{at}/requestBody/content"), "empty");
            return;
        }
        if let Some(media) = content.keys().find(|m| !supported_body_media_type(m)) {
            if content.len() == 1 {
                self.error(
                    format!("{at}/requestBody/content/{}", crate::spec::escape(media)),
                    format!("request media type `{media}` is not supported (use application/json)"),
                );
                return;
            }
        }
        body = only_one_media_type(body);
        op.insert("requestBody".to_string(), body);
    }
}

fn str_at<'a>(doc: &'a Value, at: &str) -> Option<&'a str> {
    doc.pointer(at).and_then(Value::as_str)
}

/// Follows `$ref`s to a component (a few hops at most: a reference may point at another reference).
fn resolve(value: &Value, components: &Value) -> Value {
    let mut value = value.clone();
    for _ in 0..8 {
        let Some(target) = value.get("$ref").and_then(Value::as_str) else { break };
        let Some(rest) = target.strip_prefix("#/components") else { break };
        match components.pointer(rest) {
            Some(found) => value = found.clone(),
            None => break,
        }
    }
    value
}

/// The part of a success response that decides its Rust type: the JSON schema, or the kind of body.
fn success_body(response: &Value) -> Value {
    let content = response.get("content").and_then(Value::as_object);
    match content {
        None => json!("empty"),
        Some(content) if content.is_empty() => json!("empty"),
        Some(content) => content
            .iter()
            .find(|(media, _)| is_json(media))
            .map(|(_, m)| m.get("schema").cloned().unwrap_or(Value::Null))
            .unwrap_or_else(|| json!("raw")),
    }
}

fn is_json(media: &str) -> bool {
    media == "application/json" || media.starts_with("application/json;")
}

fn supported_body_media_type(media: &str) -> bool {
    is_json(media) || media == "application/x-www-form-urlencoded" || media == "application/octet-stream"
}

/// progenitor panics on a body with several media types or an `encoding`: keep JSON if offered.
fn only_one_media_type(mut object: Value) -> Value {
    if let Some(content) = object.get_mut("content").and_then(Value::as_object_mut) {
        let keep = content.keys().find(|m| is_json(m)).or_else(|| content.keys().next()).cloned();
        if let Some(keep) = keep {
            content.retain(|media, _| *media == keep);
        }
        for media in content.values_mut() {
            if let Some(media) = media.as_object_mut() {
                media.remove("encoding");
                // Examples are documentation; progenitor does not read them.
                media.remove("example");
                media.remove("examples");
            }
        }
    }
    object
}

/// `additionalProperties: false` becomes `deny_unknown_fields`, so any field an API adds later would
/// break decoding. APIs add fields without notice; drop it everywhere.
fn strip_closed_objects(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("additionalProperties") == Some(&Value::Bool(false)) {
                map.remove("additionalProperties");
            }
            map.values_mut().for_each(strip_closed_objects);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_closed_objects),
        _ => {}
    }
}

/// A property `default` makes typify generate a non-optional field that is always serialised, so
/// request bodies would carry keys the caller never set. The server applies its own defaults;
/// without them the field is an `Option` that is sent only when set.
fn strip_property_defaults(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = map.get_mut("properties") {
                for property in properties.values_mut() {
                    if let Some(property) = property.as_object_mut() {
                        property.remove("default");
                    }
                }
            }
            map.values_mut().for_each(strip_property_defaults);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_property_defaults),
        _ => {}
    }
}

/// The default variant name of a success status.
fn variant_name(status: u16) -> String {
    match status {
        200 => "Ok".to_string(),
        201 => "Created".to_string(),
        202 => "Accepted".to_string(),
        203 => "NonAuthoritative".to_string(),
        204 => "NoContent".to_string(),
        206 => "PartialContent".to_string(),
        other => format!("Status{other}"),
    }
}

fn valid_type_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && name.chars().all(|c| c.is_ascii_alphanumeric())
}

fn valid_operation_id(id: &str) -> bool {
    id.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn http_token(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.!#$%&'*+^`|~".contains(&b))
}

/// Finds object properties and map values marked `x-affiliate-lenient`: (pointer, type, required, nullable).
fn collect_lenient(value: &Value, at: &mut String, out: &mut Vec<(String, Option<String>, bool, bool)>) {
    match value {
        Value::Object(map) => {
            if let Some(properties) = map.get("properties").and_then(Value::as_object) {
                let required: Vec<&str> = map
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                for (name, property) in properties {
                    if property.get("x-affiliate-lenient").and_then(Value::as_bool) == Some(true) {
                        out.push((
                            format!("{at}/properties/{}", crate::spec::escape(name)),
                            property.get("type").and_then(Value::as_str).map(str::to_string),
                            required.contains(&name.as_str()),
                            property.get("nullable").and_then(Value::as_bool) == Some(true),
                        ));
                    }
                }
            }
            // The values of a map (`additionalProperties: {type: number, x-affiliate-lenient: true}`)
            // are always present: lenient, and an Option only if nullable.
            if let Some(values) = map.get("additionalProperties").filter(|v| v.is_object()) {
                if values.get("x-affiliate-lenient").and_then(Value::as_bool) == Some(true) {
                    out.push((
                        format!("{at}/additionalProperties"),
                        values.get("type").and_then(Value::as_str).map(str::to_string),
                        true,
                        values.get("nullable").and_then(Value::as_bool) == Some(true),
                    ));
                }
            }
            for (key, child) in map {
                let len = at.len();
                at.push('/');
                at.push_str(&crate::spec::escape(key));
                collect_lenient(child, at, out);
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                collect_lenient(child, at, out);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

/// Optional + nullable properties of every component schema reachable from a request body.
fn nullable_in_requests(doc: &Value) -> Vec<(String, String)> {
    let schemas = doc.pointer("/components/schemas").and_then(Value::as_object);
    let Some(schemas) = schemas else { return Vec::new() };
    let mut pending: Vec<String> = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for item in paths.values().filter_map(Value::as_object) {
            for op in item.values() {
                if let Some(body) = op.get("requestBody") {
                    component_refs(body, &mut pending);
                }
            }
        }
    }
    let mut seen = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = schemas.get(&name) {
            component_refs(schema, &mut pending);
        }
    }
    let mut out = Vec::new();
    for name in seen {
        let Some(schema) = schemas.get(&name) else { continue };
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else { continue };
        for (property, definition) in properties {
            let nullable = definition.get("nullable").and_then(Value::as_bool) == Some(true);
            if nullable && !required.contains(&property.as_str()) {
                out.push((name.clone(), property.clone()));
            }
        }
    }
    out
}

/// Names of the component schemas a value refers to (directly, anywhere inside it).
fn component_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) =
                map.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                out.push(name.to_string());
            }
            map.values().for_each(|v| component_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| component_refs(v, out)),
        _ => {}
    }
}
