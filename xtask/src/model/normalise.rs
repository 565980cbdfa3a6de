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

use heck::ToShoutySnakeCase;
use serde_json::{json, Map, Value};

use crate::model::extensions::Problems;
use crate::model::*;
use crate::naming;
use crate::spec::{pointer, SpecError, METHODS};

/// Normalises `doc` in place and returns the glue model, or every problem found.
pub fn normalise(file: &Path, doc: &mut Value) -> Result<Api, Vec<SpecError>> {
    let mut n = Normaliser { file, problems: Problems::default(), hoisted: Vec::new() };
    let api = n.run(doc);
    if n.problems.0.is_empty() {
        Ok(api)
    } else {
        Err(n.problems.0.into_iter().map(|(at, message)| SpecError::new(file, at, message)).collect())
    }
}

struct Normaliser<'a> {
    file: &'a Path,
    problems: Problems,
    /// Inline success-variant schemas to add as components: (name, where it was, schema).
    hoisted: Vec<(String, String, Value)>,
}

impl Normaliser<'_> {
    fn error(&mut self, location: impl Into<String>, message: impl Into<String>) {
        self.problems.error(location, message);
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
        let base_url = self.base_url(doc);
        for (at, message) in crate::model::extensions::misplaced(doc) {
            self.error(at, message);
        }
        self.check_refs(doc, doc, &mut String::new());
        hoist_deep_refs(doc);
        merge_string_enum_unions(doc);
        distribute_union_facets(doc);
        // Before variant names are judged: a repeated enum value is not a clash.
        conforming_scalars(doc);
        drop_enums_with_clashing_variants(doc);
        non_schemas_as_any(doc, false);
        example_lists(doc, false);
        strip_closed_objects(doc);
        strip_property_defaults(doc);
        let (security, requirements) = self.security(doc, &name);
        let body_errors = self.problems.body_errors(doc);
        let rate_limit = self.problems.rate_limit(doc);
        let webhooks = self.problems.webhooks(doc);
        let crate_version = self.problems.crate_version(doc);
        let replacements = self.lenient(doc);
        let operations = self.operations(doc);
        self.hoist(doc);
        let tri_state = nullable_in_requests(doc);
        Api {
            name,
            title,
            base_url,
            security,
            requirements,
            operations,
            body_errors,
            rate_limit,
            crate_version,
            replacements,
            tri_state,
            webhooks,
        }
    }

    /// `servers[0].url` with its variables at their defaults. A relative URL (`/v1`, legal: it is
    /// relative to wherever the document is served) gives no default: the client then needs
    /// `base_url(..)`, the whole URL including that path.
    fn base_url(&mut self, doc: &Value) -> Option<String> {
        let mut url = str_at(doc, "/servers/0/url")?.to_string();
        if let Some(variables) = doc.pointer("/servers/0/variables").and_then(Value::as_object) {
            for (name, variable) in variables {
                match variable.get("default").and_then(Value::as_str) {
                    Some(value) => url = url.replace(&format!("{{{name}}}"), value),
                    None => self.error(
                        pointer(&["servers", "0", "variables", name, "default"]),
                        "a server variable needs a default",
                    ),
                }
            }
        }
        if url.contains('{') {
            self.error("/servers/0/url", format!("`{url}` uses a variable that `variables` does not define"));
            return None;
        }
        let lower = url.to_ascii_lowercase();
        (lower.starts_with("https://") || lower.starts_with("http://")).then(|| url.trim_end_matches('/').to_string())
    }

    /// Every `$ref` must be local and resolve: progenitor would otherwise panic or fail late.
    fn check_refs(&mut self, root: &Value, value: &Value, at: &mut String) {
        match value {
            Value::Object(map) => {
                if let Some(target) = map.get("$ref") {
                    match target.as_str() {
                        Some(t) if t.starts_with("#/") => {
                            let resolved = pointer_through_refs(root, &t[1..]);
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

    /// The schemes every call may use and the alternatives among them (`security: [{a: []}, {b: []}]`:
    /// a call sends the first alternative whose credentials are configured). Without a root
    /// `security`, the first operation-level one stands for the API (the runtime has one set of
    /// credentials per client). An empty alternative (`{}`, "no credentials") is left out: the
    /// client then needs the credentials of another alternative.
    fn security(&mut self, doc: &Value, api: &str) -> (Vec<Scheme>, Vec<Vec<String>>) {
        let root = doc.get("security").map(|s| ("/security".to_string(), s));
        let first_operation = || {
            let paths = doc.get("paths")?.as_object()?;
            paths.iter().find_map(|(path, item)| {
                METHODS.iter().find_map(|method| {
                    let security = item.get(*method)?.get("security")?;
                    security
                        .as_array()
                        .is_some_and(|a| !a.is_empty())
                        .then(|| (pointer(&["paths", path, method, "security"]), security))
                })
            })
        };
        let Some((at, requirements)) = root.or_else(first_operation) else {
            return (Vec::new(), Vec::new());
        };
        let Some(requirements) = requirements.as_array() else {
            self.error(at, "must be a list of security requirement objects");
            return (Vec::new(), Vec::new());
        };
        let mut schemes: Vec<Scheme> = Vec::new();
        let mut alternatives = Vec::new();
        for (i, requirement) in requirements.iter().enumerate() {
            let Some(requirement) = requirement.as_object() else {
                self.error(format!("{at}/{i}"), "a security requirement must be a mapping of scheme names");
                continue;
            };
            let mut names = Vec::new();
            for name in requirement.keys() {
                if !schemes.iter().any(|s| s.name() == name) {
                    match self.scheme(doc, api, name, &format!("{at}/{i}")) {
                        Some(scheme) => schemes.push(scheme),
                        None => continue,
                    }
                }
                names.push(name.clone());
            }
            if !names.is_empty() && !alternatives.contains(&names) {
                alternatives.push(names);
            }
        }
        (schemes, alternatives)
    }

    fn scheme(&mut self, doc: &Value, api: &str, name: &str, requirement_at: &str) -> Option<Scheme> {
        let at = pointer(&["components", "securitySchemes", name]);
        let Some(scheme) = doc.pointer(&at) else {
            self.error(requirement_at, format!("scheme `{name}` is not defined at {at}"));
            return None;
        };
        let scheme = resolve(scheme, doc.get("components").unwrap_or(&Value::Null));
        let env_default = |suffix: &str| format!("{api}_{name}{suffix}").to_shouty_snake_case();
        let env = |key: &str, suffix: &str| {
            scheme.get(key).and_then(Value::as_str).map(str::to_string).unwrap_or(env_default(suffix))
        };
        let kind = (
            scheme.get("type").and_then(Value::as_str),
            scheme.get("scheme").and_then(Value::as_str).map(str::to_ascii_lowercase),
            scheme.get("in").and_then(Value::as_str),
        );
        let name = name.to_string();
        let key_name = scheme.get("name").and_then(Value::as_str);
        match kind {
            (Some("http"), Some(s), _) if s == "bearer" => {
                Some(Scheme::Bearer { name, env: env("x-affiliate-env", "") })
            }
            (Some("http"), Some(s), _) if s == "basic" => Some(Scheme::Basic {
                name,
                env_username: env("x-affiliate-env-username", "_username"),
                env_password: env("x-affiliate-env-password", "_password"),
            }),
            (Some("http"), Some(other), _) => {
                self.error(
                    format!("{at}/scheme"),
                    format!("HTTP auth scheme `{other}` is not supported: use bearer or basic"),
                );
                None
            }
            (Some("apiKey"), _, Some("header")) => match key_name {
                Some(header) if http_token(header) => {
                    Some(Scheme::ApiKeyHeader { name, header: header.to_string(), env: env("x-affiliate-env", "") })
                }
                _ => {
                    self.error(format!("{at}/name"), "an apiKey scheme needs a valid header name");
                    None
                }
            },
            // Sent with `append_pair`, which encodes anything; a name that needs encoding is still
            // almost certainly a typo.
            (Some("apiKey"), _, Some("query")) => match key_name {
                Some(param)
                    if !param.is_empty() && param.bytes().all(|b| b.is_ascii_graphic() && !b"&=#?".contains(&b)) =>
                {
                    Some(Scheme::ApiKeyQuery { name, param: param.to_string(), env: env("x-affiliate-env", "") })
                }
                _ => {
                    self.error(format!("{at}/name"), "an apiKey scheme in query needs a plain parameter name");
                    None
                }
            },
            (Some("apiKey"), _, Some("cookie")) => match key_name {
                Some(cookie) if http_token(cookie) => {
                    Some(Scheme::ApiKeyCookie { name, cookie: cookie.to_string(), env: env("x-affiliate-env", "") })
                }
                _ => {
                    self.error(format!("{at}/name"), "an apiKey scheme in a cookie needs a valid cookie name");
                    None
                }
            },
            // Any OAuth2 flow, and OpenID Connect: a bearer token the service supplies (static, or
            // from a token source; the client-credentials flow's token URL is kept for the helper).
            (Some("oauth2"), _, _) => {
                let flow = scheme.pointer("/flows/clientCredentials");
                let token_url = flow.and_then(|f| f.get("tokenUrl")).and_then(Value::as_str).map(str::to_string);
                let scopes = flow
                    .and_then(|f| f.get("scopes"))
                    .and_then(Value::as_object)
                    .map(|s| s.keys().cloned().collect())
                    .unwrap_or_default();
                Some(Scheme::OAuth2 { name, env: env("x-affiliate-env", "_token"), token_url, scopes })
            }
            (Some("openIdConnect"), _, _) => Some(Scheme::OAuth2 {
                name,
                env: env("x-affiliate-env", "_token"),
                token_url: None,
                scopes: Vec::new(),
            }),
            _ => {
                self.error(
                    at,
                    "unsupported security scheme: use http bearer or basic, apiKey (header, query or cookie), oauth2 or openIdConnect",
                );
                None
            }
        }
    }

    fn operations(&mut self, doc: &mut Value) -> Vec<Operation> {
        let components = doc.get("components").cloned().unwrap_or(Value::Null);
        let mut operations = Vec::new();
        let mut methods = naming::Unique::default();
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
            // Copied into each operation by `parameters`, where each setter gets its name.
            let shared_params = item.remove("parameters").unwrap_or(Value::Array(Vec::new()));
            for method in METHODS {
                let Some(op) = item.get_mut(method) else { continue };
                let at = pointer(&["paths", path, method]);
                let Some(op) = op.as_object_mut() else {
                    self.error(at, "an operation must be a mapping");
                    continue;
                };
                // Any operationId is accepted: the naming authority turns it into the client
                // method, deriving one from method and path when the spec has none and suffixing
                // repeats. progenitor then sees that method name as the id, so its sanitiser
                // (the same function) leaves it alone.
                let (id, derived) = match op.get("operationId").and_then(Value::as_str) {
                    Some(id) if !id.trim().is_empty() => (id.to_string(), false),
                    _ => (naming::derived_operation_id(method, path), true),
                };
                let rust = methods.claim(&naming::method(&id));
                op.insert("operationId".to_string(), Value::String(rust.clone()));
                if derived {
                    // Stated in the method's docs, so a reader knows where the name came from.
                    let note = format!(
                        "(The spec gives `{} {path}` no operationId; this name comes from its method and path.)",
                        method.to_uppercase()
                    );
                    let text = match op.get("description").and_then(Value::as_str) {
                        Some(d) => format!("{d}\n\n{note}"),
                        None => note,
                    };
                    op.insert("description".to_string(), Value::String(text));
                }
                let (params, renamed) = self.parameters(&at, &item_at, op, &shared_params, &components);
                let success_variants = self.responses(&at, &rust, op, &components);
                let job =
                    op.get("x-affiliate-job").and_then(|j| self.problems.job(&format!("{at}/x-affiliate-job"), j));
                let body_media_type = self.request_body(&at, op, &components);
                let idempotent = matches!(method, "get" | "head" | "put" | "delete" | "options")
                    || op.get("x-affiliate-idempotent").and_then(Value::as_bool) == Some(true);
                let anonymous = op.get("security").and_then(Value::as_array).is_some_and(Vec::is_empty);
                let idempotency_header = self.problems.idempotency_header(&at, op);
                let pagination = op
                    .get("x-affiliate-pagination")
                    .map(|p| self.problems.pagination(&format!("{at}/x-affiliate-pagination"), p, &params));
                operations.push(Operation {
                    id,
                    rust,
                    renamed,
                    body_media_type,
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

    /// Checks parameter styles progenitor cannot send, names every parameter's setter, and
    /// returns the query parameter names (wire names) and the parameters renamed for progenitor.
    ///
    /// The path item's parameters are copied into the operation (the operation's own win, by name
    /// and location): setter names are decided per operation. A parameter whose setter would take
    /// the name of a per-call option (`timeout`) or of another parameter after sanitising (`id` in
    /// path and query, `filter[name]` and `filter.name`) is given an alias that progenitor names
    /// its setter after; the post-processor puts the wire name back into the request.
    fn parameters(
        &mut self,
        at: &str,
        item_at: &str,
        op: &mut Map<String, Value>,
        shared: &Value,
        components: &Value,
    ) -> (BTreeSet<String>, Vec<Renamed>) {
        let mut query = BTreeSet::new();
        let mut renamed = Vec::new();
        if op.get("parameters").is_some_and(|p| !p.is_array()) {
            self.error(format!("{at}/parameters"), "must be a list of parameters");
            return (query, renamed);
        }
        let own = op.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
        let shared = shared.as_array().cloned().unwrap_or_default();
        let key = |p: &Value| {
            (
                p.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
                p.get("in").and_then(Value::as_str).unwrap_or_default().to_string(),
            )
        };
        let mut merged: Vec<(String, Value)> =
            own.iter().enumerate().map(|(i, p)| (format!("{at}/parameters/{i}"), resolve(p, components))).collect();
        for (i, p) in shared.iter().enumerate() {
            let p = resolve(p, components);
            if !merged.iter().any(|(_, q)| key(q) == key(&p)) {
                merged.push((format!("{item_at}/parameters/{i}"), p));
            }
        }
        let mut fields = naming::Unique::reserving(naming::BUILDER_MEMBERS);
        if op.contains_key("requestBody") {
            fields.claim("body");
        }
        // Path parameters name the URL template's holes: they keep their names, and claim first.
        merged.sort_by_key(|(_, p)| p.get("in").and_then(Value::as_str) != Some("path"));
        for (param_at, param) in &mut merged {
            let (name, location) = key(param);
            // `content: {media: {schema}}` instead of `schema` (progenitor cannot send it): a
            // scalar is sent in its plain form, as a `schema` parameter's is; a structured value
            // would need the media type's encoding in the URL, which the client does not do.
            let content_schema = param
                .as_object()
                .filter(|p| !p.contains_key("schema"))
                .and_then(|p| p.get("content")?.as_object()?.values().next()?.get("schema"))
                .cloned();
            if let (Some(schema), Some(p)) = (content_schema, param.as_object_mut()) {
                let ty = resolve(&schema, components).get("type").and_then(Value::as_str).map(str::to_string);
                if matches!(ty.as_deref(), Some("string" | "integer" | "number" | "boolean")) {
                    p.remove("content");
                    p.insert("schema".to_string(), schema);
                } else {
                    self.error(
                        format!("{param_at}/content"),
                        format!("parameter `{name}` is a structured value in a media type: declare a `schema` (one parameter per key)"),
                    );
                    continue;
                }
            }
            match location.as_str() {
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
            let field = naming::field(&name);
            let claimed = fields.claim(&field);
            if claimed == field {
                continue;
            }
            if location == "path" {
                self.error(
                    format!("{param_at}/name"),
                    format!("path parameter `{name}` would have the setter `{field}`, which is taken: rename it"),
                );
                continue;
            }
            if let Some(slot) = param.as_object_mut() {
                slot.insert("name".to_string(), Value::String(claimed.clone()));
            }
            renamed.push(Renamed { wire: name, location, alias: claimed });
        }
        if !merged.is_empty() {
            op.insert("parameters".to_string(), Value::Array(merged.into_iter().map(|(_, p)| p).collect()));
        }
        (query, renamed)
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
        let mut successes: Vec<(String, Value, Value)> = responses
            .iter()
            .filter(|(status, _)| status.starts_with('2'))
            .map(|(status, response)| {
                let response = resolve(response, components);
                (status.clone(), success_body(&response), response)
            })
            .collect();
        if successes.is_empty() && forced != Some(true) {
            // No 2xx documented. `default` describes every status not listed, so a success too;
            // without one, a success's body is handed over undecoded rather than refused.
            let response = match responses.get("default") {
                Some(default) => resolve(default, components),
                None => json!({
                    "description": "the spec documents no success response: the body as sent",
                    "content": {"application/octet-stream": {}}
                }),
            };
            successes.push(("2XX".to_string(), success_body(&response), response));
        }
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
                            let component = naming::type_name(&format!("{id}-{name}"));
                            self.hoisted.push((component.clone(), format!("{response_at}/content"), schema.clone()));
                            VariantBody::Json(component)
                        }
                    },
                };
                variants.push(SuccessVariant { status: code, name, body });
            }
        }
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
            let Some((_, _, success_response)) = successes.into_iter().next() else {
                self.error(format!("{at}/responses"), "no 2xx response: every operation needs one");
                return variants;
            };
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

    /// One request media type, in a form progenitor generates, and the media type to send when it
    /// is not the one progenitor's code names.
    ///
    /// progenitor panics on several media types and refuses all but JSON, form, raw bytes and plain
    /// text. JSON is preferred (`+json` types are sent as JSON), then a form, raw bytes, plain text;
    /// any other type (`multipart/form-data`, `application/xml`) becomes a raw body the caller
    /// builds, sent with its own `Content-Type` (a multipart caller sets the boundary with
    /// `.header("Content-Type", ..)`).
    fn request_body(&mut self, at: &str, op: &mut Map<String, Value>, components: &Value) -> Option<String> {
        let body = resolve(op.get("requestBody")?, components);
        let Some(content) = body.get("content").and_then(Value::as_object) else {
            self.error(format!("{at}/requestBody/content"), "missing");
            return None;
        };
        let rank = |media: &str| -> u8 {
            let base = media.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            match base.as_str() {
                "application/json" => 0,
                _ if base.ends_with("+json") || base.ends_with("/json") => 1,
                "application/x-www-form-urlencoded" => 2,
                "application/octet-stream" => 3,
                "text/plain" => 4,
                _ => 5,
            }
        };
        // No media type listed: a body of no declared kind, which the caller supplies as bytes.
        let octets = ("application/octet-stream".to_string(), json!({}));
        let (chosen, media) = content.iter().min_by_key(|(media, _)| rank(media)).unwrap_or((&octets.0, &octets.1));
        let schema = media.get("schema").cloned();
        let raw = json!({"type": "string", "format": "binary"});
        let (key, schema, sent_as) = match rank(chosen) {
            // A JSON body without a schema is any JSON value.
            0 | 1 => ("application/json", schema.unwrap_or_else(|| json!({})), None),
            2 if schema.is_some() => ("application/x-www-form-urlencoded", schema.unwrap_or_default(), None),
            3 => ("application/octet-stream", raw, None),
            // progenitor takes plain text only with a bare string schema.
            4 => ("text/plain", json!({"type": "string"}), None),
            _ => ("application/octet-stream", raw, Some(chosen.clone())),
        };
        let mut normalised = Map::new();
        for key in ["description", "required"] {
            if let Some(value) = body.get(key) {
                normalised.insert(key.to_string(), value.clone());
            }
        }
        normalised.insert("content".to_string(), json!({ key: { "schema": schema } }));
        op.insert("requestBody".to_string(), Value::Object(normalised));
        sent_as
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

/// `$ref`s are URI fragments: `#/paths/~1a~1%7Bid%7D/get` names the path `/a/{id}` (RFC 6901
/// section 6). Decoded once, in place, so every later pass (and the mock's reading of examples)
/// resolves them as plain JSON pointers.
pub fn decode_refs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get_mut("$ref") {
                if target.starts_with('#') && target.contains('%') {
                    *target = percent_encoding::percent_decode_str(target).decode_utf8_lossy().into_owned();
                }
            }
            map.values_mut().for_each(decode_refs);
        }
        Value::Array(items) => items.iter_mut().for_each(decode_refs),
        _ => {}
    }
}

/// References into anything but a component's root (`#/paths/~1a/get/responses/200/.../schema`,
/// `#/components/schemas/A/properties/b`) are legal JSON pointers that progenitor cannot follow:
/// each distinct target becomes a component of its own (a schema, or a parameter, response or request
/// body by where it sat), named after where it was
/// (`LastModified`), and the references point there. Runs until no such reference is left (a
/// hoisted copy may hold more), a bounded number of times.
fn hoist_deep_refs(doc: &mut Value) {
    // Target pointer -> the `$ref` that now names it.
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for _ in 0..16 {
        let mut targets = BTreeSet::new();
        deep_refs(doc, &mut targets);
        let fresh: Vec<String> = targets.into_iter().filter(|t| !names.contains_key(t)).collect();
        if fresh.is_empty() && names.is_empty() {
            return;
        }
        for target in &fresh {
            let Some(object) = pointer_through_refs(doc, target).cloned() else { continue };
            // What the target is decides where it goes: a parameter among the parameters (it
            // is not a schema), a response among the responses, anything else a schema.
            let section = hoisted_section(target);
            let taken = |n: &str| {
                doc.pointer(&format!("/components/{section}/{n}")).is_some()
                    || names.values().any(|v| *v == format!("#/components/{section}/{n}"))
            };
            let base = match (section, object.get("name").and_then(Value::as_str)) {
                ("parameters", Some(name)) => naming::type_name(name),
                _ => hoisted_name(target),
            };
            let mut name = base.clone();
            let mut n = 2;
            while taken(&name) {
                name = format!("{base}{n}");
                n += 1;
            }
            let slot = doc
                .as_object_mut()
                .and_then(|root| root.entry("components").or_insert_with(|| json!({})).as_object_mut())
                .and_then(|components| components.entry(section).or_insert_with(|| json!({})).as_object_mut());
            if let Some(slot) = slot {
                slot.insert(name.clone(), object);
                names.insert(target.clone(), format!("#/components/{section}/{name}"));
            }
        }
        let before = names.len();
        point_refs_at_components(doc, &names);
        if fresh.is_empty() || names.len() == before && fresh.iter().all(|t| !names.contains_key(t)) {
            return;
        }
    }
}

/// The `components` section a deep reference's target belongs in, by where it sits.
fn hoisted_section(target: &str) -> &'static str {
    let segments: Vec<&str> = target.split('/').collect();
    let in_schema = segments.iter().any(|s| matches!(*s, "schema" | "schemas" | "properties" | "items"));
    match segments.as_slice() {
        [.., "parameters", index] if index.parse::<usize>().is_ok() && !in_schema => "parameters",
        [.., "responses", status] if !in_schema && (status.parse::<u16>().is_ok() || *status == "default") => {
            "responses"
        }
        [.., "requestBody"] if !in_schema => "requestBodies",
        _ => "schemas",
    }
}

/// Resolves a JSON pointer, following a `$ref` met on the way (bundlers write pointers through
/// other references: `#/paths/~1a/post/.../data/properties/x` where `data` is a `$ref`).
fn pointer_through_refs<'a>(root: &'a Value, target: &str) -> Option<&'a Value> {
    pointer_through_refs_within(root, target, 0)
}

/// [`pointer_through_refs`], giving up after `depth` nested references (a reference that leads
/// back through itself, `components: {$ref: "#/components/schemas/X"}`, would never end).
fn pointer_through_refs_within<'a>(root: &'a Value, target: &str, depth: usize) -> Option<&'a Value> {
    if depth > 32 {
        return None;
    }
    let mut here = root;
    let mut hops = 0;
    for segment in target.split('/').skip(1) {
        let key = segment.replace("~1", "/").replace("~0", "~");
        loop {
            let next = match here {
                Value::Object(map) => map.get(&key),
                Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            };
            if let Some(next) = next {
                here = next;
                break;
            }
            hops += 1;
            if hops > 32 {
                return None;
            }
            // A reference, or a lone `allOf: [{$ref}]` (what a `$ref` with siblings lowers to).
            let reference = here.get("$ref").and_then(Value::as_str).or_else(|| {
                match here.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
                    Some([only]) => only.get("$ref").and_then(Value::as_str),
                    _ => None,
                }
            })?;
            here = pointer_through_refs_within(root, reference.strip_prefix('#')?, depth + 1)?;
        }
    }
    Some(here)
}

/// Targets (without `#`) of local references that do not name a component's root.
fn deep_refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(target) = map.get("$ref").and_then(Value::as_str).and_then(|t| t.strip_prefix('#')) {
                let segments = target.split('/').count();
                if !(target.starts_with("/components/") && segments == 4) {
                    out.insert(target.to_string());
                }
            }
            map.values().for_each(|v| deep_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| deep_refs(v, out)),
        _ => {}
    }
}

fn point_refs_at_components(value: &mut Value, names: &BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get_mut("$ref") {
                if let Some(reference) = target.strip_prefix('#').and_then(|t| names.get(t)) {
                    *target = reference.clone();
                }
            }
            map.values_mut().for_each(|v| point_refs_at_components(v, names));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| point_refs_at_components(v, names)),
        _ => {}
    }
}

/// A component name for the schema at `target`: its last meaningful segment (a property name,
/// or the owner of `items`), in upper camel case.
fn hoisted_name(target: &str) -> String {
    const KEYWORDS: &[&str] = &[
        "properties",
        "items",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "additionalProperties",
        "schema",
        "content",
        "definitions",
        "responses",
        "requestBody",
        "parameters",
        "paths",
        "components",
        "schemas",
        "get",
        "put",
        "post",
        "delete",
        "patch",
        "head",
        "options",
        "trace",
    ];
    let segments: Vec<String> = target.split('/').map(|s| s.replace("~1", "/").replace("~0", "~")).collect();
    let mut words = Vec::new();
    for segment in segments.iter().rev() {
        if segment.is_empty()
            || segment.parse::<u64>().is_ok()
            || segment.contains('/')
            || KEYWORDS.contains(&segment.as_str())
        {
            if segment == "items" && words.is_empty() {
                words.push("item".to_string());
            }
            continue;
        }
        words.push(segment.clone());
        if words.len() >= 2 || words.first().is_some_and(|w| w != "item") {
            break;
        }
    }
    words.reverse();
    let name = naming::type_name(&words.join("-"));
    if name == "X" {
        "Hoisted".to_string()
    } else {
        name
    }
}

/// A property or `items` whose "schema" is not a mapping (`voucher_codes: []`, `items: [..]` in
/// the old tuple form, `true`) says nothing checkable about the value: it is read as any JSON value
/// (`{}`), which decodes whatever the API sends, instead of refusing the whole document.
fn non_schemas_as_any(value: &mut Value, in_properties: bool) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                // Examples, defaults and extensions are data, not schemas.
                if !in_properties
                    && (matches!(key.as_str(), "example" | "examples" | "default" | "enum") || key.starts_with("x-"))
                {
                    continue;
                }
                let schema_slot = in_properties || key == "items";
                if schema_slot && !child.is_object() {
                    *child = json!({});
                    continue;
                }
                non_schemas_as_any(child, key == "properties" && !in_properties);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| non_schemas_as_any(v, false)),
        _ => {}
    }
}

/// String enums whose values sanitise to the same variant name (`$`, `€`, `£` all become the
/// same identifier; progenitor panics) lose their `enum`: the open enum would accept any string
/// anyway, so a plain string decodes the same values.
fn drop_enums_with_clashing_variants(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let clash = map.get("enum").and_then(Value::as_array).is_some_and(|values| {
                let mut seen = BTreeSet::new();
                values.iter().filter_map(Value::as_str).any(|v| !seen.insert(naming::type_name(v)))
            });
            if clash {
                map.remove("enum");
            }
            for (key, child) in map.iter_mut() {
                if !matches!(key.as_str(), "example" | "examples" | "default") {
                    drop_enums_with_clashing_variants(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(drop_enums_with_clashing_variants),
        _ => {}
    }
}

/// `examples: [a, b]` where 3.0 wants a map of named examples (parameters, media types) is
/// documentation written the 3.1 schema way: the first becomes `example`.
fn example_lists(value: &mut Value, in_properties: bool) {
    match value {
        Value::Object(map) => {
            if !in_properties && map.get("examples").is_some_and(Value::is_array) {
                let first = map.remove("examples").and_then(|e| e.as_array().and_then(|a| a.first().cloned()));
                if let (Some(first), false) = (first, map.contains_key("example")) {
                    map.insert("example".to_string(), first);
                }
            }
            for (key, child) in map.iter_mut() {
                if in_properties || !matches!(key.as_str(), "example" | "default" | "enum") {
                    example_lists(child, !in_properties && key == "properties");
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| example_lists(v, false)),
        _ => {}
    }
}

/// `anyOf`/`oneOf` whose members are all string enums (`[{type: string, enum: [a]}, {type: string,
/// enum: [b]}]`) is one string enum of every value; typify cannot turn the union into a query
/// parameter (progenitor panics), and the meaning is the same.
fn merge_string_enum_unions(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for key in ["anyOf", "oneOf"] {
                let Some(Value::Array(members)) = map.get(key) else { continue };
                let string_enum = |m: &Value| {
                    m.get("type").and_then(Value::as_str) == Some("string")
                        && m.get("enum").and_then(Value::as_array).is_some_and(|e| e.iter().all(Value::is_string))
                        && m.as_object().is_some_and(|o| {
                            o.keys().all(|k| matches!(k.as_str(), "type" | "enum" | "description" | "title"))
                        })
                };
                if members.len() < 2 || !members.iter().all(string_enum) {
                    continue;
                }
                let mut values: Vec<Value> = Vec::new();
                for member in members {
                    for v in member.get("enum").and_then(Value::as_array).into_iter().flatten() {
                        if !values.contains(v) {
                            values.push(v.clone());
                        }
                    }
                }
                map.remove(key);
                map.insert("type".to_string(), json!("string"));
                map.insert("enum".to_string(), Value::Array(values));
            }
            map.values_mut().for_each(merge_string_enum_unions);
        }
        Value::Array(items) => items.iter_mut().for_each(merge_string_enum_unions),
        _ => {}
    }
}

/// `{type: object, required: [..], properties: {..}, oneOf: [members]}`: the object facets beside
/// the union hold for every member. typify merges them into each member itself and panics
/// (`a.reference.is_none()`) when a member has a `$ref` property; written into the members
/// (`required` joined, properties a member does not declare copied in) they say the same in a
/// form it accepts. Only for unions of inline object members; a `$ref` member is left to typify.
fn distribute_union_facets(value: &mut Value) {
    const FACETS: [&str; 4] = ["type", "required", "properties", "additionalProperties"];
    match value {
        Value::Object(map) => {
            let union = ["oneOf", "anyOf"].into_iter().find(|k| map.get(*k).is_some_and(Value::is_array));
            let object_facets = map.contains_key("required") || map.contains_key("properties");
            let parent_is_object = map.get("type").is_none_or(|t| t == "object");
            if let (Some(union), true, true, false) =
                (union, object_facets, parent_is_object, map.contains_key("allOf"))
            {
                let inline_object = |m: &Value| {
                    m.as_object().is_some_and(|o| {
                        !["$ref", "oneOf", "anyOf", "allOf"].iter().any(|k| o.contains_key(*k))
                            && o.get("type").is_none_or(|t| t == "object")
                    })
                };
                let members_ok = map.get(union).and_then(Value::as_array).is_some_and(|m| m.iter().all(inline_object));
                if members_ok {
                    let facets: Vec<(&str, Value)> =
                        FACETS.iter().filter_map(|k| map.remove(*k).map(|v| (*k, v))).collect();
                    for member in map.get_mut(union).and_then(Value::as_array_mut).into_iter().flatten() {
                        let Some(member) = member.as_object_mut() else { continue };
                        for (key, facet) in &facets {
                            match (*key, member.get_mut(*key)) {
                                ("required", Some(Value::Array(own))) => {
                                    for name in facet.as_array().into_iter().flatten() {
                                        if !own.contains(name) {
                                            own.push(name.clone());
                                        }
                                    }
                                }
                                ("properties", Some(Value::Object(own))) => {
                                    for (name, schema) in facet.as_object().into_iter().flatten() {
                                        own.entry(name.clone()).or_insert_with(|| schema.clone());
                                    }
                                }
                                (_, Some(_)) => {}
                                (_, None) => {
                                    member.insert(key.to_string(), facet.clone());
                                }
                            }
                        }
                    }
                }
            }
            for (key, child) in map.iter_mut() {
                if !(matches!(key.as_str(), "example" | "examples" | "default" | "enum") || key.starts_with("x-")) {
                    distribute_union_facets(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(distribute_union_facets),
        _ => {}
    }
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
/// A `default` or `enum` value of another type than its schema's (`default: "1"` on an integer,
/// common in published documents) makes typify refuse the schema. A value that reads as the type
/// (`"1"`, `"true"`) is written as one; a default that does not is dropped (it only documents what
/// the server assumes), and so is such an enum value (no response can carry it), or a repeated one.
/// A `pattern` or `format` that is not text is dropped; a numeric title or description becomes text.
fn conforming_scalars(value: &mut Value) {
    match value {
        Value::Object(map) => {
            // Keywords whose value must be text: a number there (`pattern: 0`) is no regular
            // expression or format anyone meant, and is dropped; a title or description is text.
            for keyword in ["pattern", "format"] {
                if map.get(keyword).is_some_and(|v| !v.is_string() && !v.is_object()) {
                    map.remove(keyword);
                }
            }
            for keyword in ["title", "description"] {
                if let Some(value) = map.get_mut(keyword).filter(|v| v.is_number() || v.is_boolean()) {
                    *value = Value::String(value.to_string());
                }
            }
            // `null` among the values says the schema is nullable, as 3.1 would spell it.
            if map.get("enum").and_then(Value::as_array).is_some_and(|e| e.contains(&Value::Null)) {
                map.insert("nullable".to_string(), Value::Bool(true));
            }
            // An enum of strings without a `type` is a string enum (typify checks the values
            // against the type it infers otherwise, and refuses a `null` among them).
            let strings = map
                .get("enum")
                .and_then(Value::as_array)
                .is_some_and(|e| e.iter().all(|v| v.is_string() || v.is_null()) && e.iter().any(Value::is_string));
            if strings && !map.contains_key("type") && !["oneOf", "anyOf", "allOf"].iter().any(|k| map.contains_key(*k))
            {
                map.insert("type".to_string(), Value::String("string".to_string()));
            }
            if let Some(ty) = map.get("type").and_then(Value::as_str).map(str::to_string) {
                let nullable = map.get("nullable").and_then(Value::as_bool) == Some(true);
                // `type: array` with an enum of items' values: the enum meant the items.
                let item_values = ty == "array"
                    && map.get("enum").and_then(Value::as_array).is_some_and(|e| e.iter().all(|v| !v.is_array()));
                if item_values {
                    let values = map.remove("enum");
                    if let (Some(Value::Object(items)), Some(values)) = (map.get_mut("items"), values) {
                        items.entry("enum").or_insert(values);
                    }
                }
                if let Some(default) = map.get("default") {
                    match as_type(default, &ty, nullable) {
                        Some(fixed) => {
                            map.insert("default".to_string(), fixed);
                        }
                        None => {
                            map.remove("default");
                        }
                    }
                }
                if let Some(Value::Array(values)) = map.get_mut("enum") {
                    let mut kept: Vec<Value> = Vec::with_capacity(values.len());
                    for value in values.iter().filter_map(|v| as_type(v, &ty, nullable)) {
                        if !kept.contains(&value) {
                            kept.push(value);
                        }
                    }
                    *values = kept;
                    if values.is_empty() {
                        map.remove("enum");
                    }
                }
            }
            for (key, child) in map.iter_mut() {
                if !(matches!(key.as_str(), "example" | "examples" | "default" | "enum") || key.starts_with("x-")) {
                    conforming_scalars(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(conforming_scalars),
        _ => {}
    }
}

/// `value` as a value of the scalar JSON type `ty`, if it is one or reads as one.
fn as_type(value: &Value, ty: &str, nullable: bool) -> Option<Value> {
    let text = value.as_str().map(str::trim);
    match (ty, value) {
        (_, Value::Null) if nullable => Some(Value::Null),
        ("integer", Value::Number(n)) if n.is_i64() || n.is_u64() => Some(value.clone()),
        ("integer", Value::Number(n)) => {
            n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9e15).map(|f| json!(f as i64))
        }
        ("integer", _) => text?.parse::<i64>().ok().map(Value::from),
        ("number", Value::Number(_)) => Some(value.clone()),
        ("number", _) => text?.parse::<f64>().ok().filter(|f| f.is_finite()).map(Value::from),
        ("boolean", Value::Bool(_)) => Some(value.clone()),
        ("boolean", _) => text?.parse::<bool>().ok().map(Value::Bool),
        ("string", Value::String(_)) => Some(value.clone()),
        ("string", Value::Number(_) | Value::Bool(_)) => Some(Value::String(value.to_string())),
        ("string", _) => None,
        ("array", Value::Array(_)) | ("object", Value::Object(_)) => Some(value.clone()),
        ("array" | "object", _) => None,
        _ => Some(value.clone()),
    }
}

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
