//! The `x-affiliate-*` vocabulary: which extension may appear where, and which keys each takes.
//!
//! A misspelled extension would otherwise be ignored and the operation would quietly lose its
//! feature, so every `x-affiliate-*` key and sub-key outside this table is a spec error. The table
//! is the code's half of `docs/spec-extensions.md`; the tidy test keeps the two in step. The
//! extensions that take a mapping are parsed into the model here; the ones that rewrite the
//! document (`x-affiliate-lenient`, `x-affiliate-success-variants`) live with the rewrites in
//! `normalise`.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::model::{BodyErrorRule, Job, Pagination, WebhookEvent, WebhookTimestamp, Webhooks};
use crate::spec::{escape, METHODS};

/// Where in a spec an extension belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Root,
    SecurityScheme,
    Operation,
    Property,
}

impl Place {
    fn describe(self) -> &'static str {
        match self {
            Place::Root => "the root of the spec",
            Place::SecurityScheme => "a security scheme",
            Place::Operation => "an operation",
            Place::Property => "a schema property or `additionalProperties` schema",
        }
    }
}

/// Every extension the generator reads, and where.
pub const EXTENSIONS: &[(&str, Place)] = &[
    ("x-affiliate-body-errors", Place::Root),
    ("x-affiliate-env", Place::SecurityScheme),
    ("x-affiliate-env-username", Place::SecurityScheme),
    ("x-affiliate-env-password", Place::SecurityScheme),
    ("x-affiliate-idempotent", Place::Operation),
    ("x-affiliate-idempotency-header", Place::Operation),
    ("x-affiliate-rate-limit", Place::Root),
    ("x-affiliate-crate-version", Place::Root),
    ("x-affiliate-pagination", Place::Operation),
    ("x-affiliate-success-variants", Place::Operation),
    ("x-affiliate-job", Place::Operation),
    ("x-affiliate-lenient", Place::Property),
    ("x-affiliate-webhooks", Place::Root),
];

/// Keys of `x-affiliate-webhooks`, of its `signature` and of the signature's `timestamp`.
pub const WEBHOOK_KEYS: &[&str] = &["env", "name", "signature", "events"];
pub const SIGNATURE_KEYS: &[&str] = &["header", "algorithm", "encoding", "prefix", "timestamp"];
pub const TIMESTAMP_KEYS: &[&str] = &["header", "signed", "tolerance"];

/// Keys of `x-affiliate-pagination` by style (`style` and `items` are common to all).
pub const PAGINATION_KEYS: &[(&str, &[&str])] = &[
    ("page", &["page", "size", "first", "defaultSize"]),
    ("offset", &["offset", "limit", "defaultSize", "count", "next"]),
    ("cursor", &["cursor", "limit", "nextCursor"]),
];

/// Keys of `x-affiliate-job`.
pub const JOB_KEYS: &[&str] = &["status", "done", "failed", "result"];

/// Keys of one `x-affiliate-body-errors` rule.
pub const BODY_ERROR_KEYS: &[&str] = &["pointer", "present", "equals"];

/// The generated crates' version when the spec sets no `x-affiliate-crate-version`.
pub const DEFAULT_CRATE_VERSION: &str = "0.1.0";

/// `MAJOR.MINOR.PATCH`, numbers without leading zeros, then optionally `-` and a pre-release tag of
/// ASCII letters, digits, `.` and `-` (no build metadata: Cargo ignores it when resolving).
fn is_semver(text: &str) -> bool {
    let (core, pre) = match text.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (text, None),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    let number =
        |n: &&str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && (n.len() == 1 || !n.starts_with('0'));
    let pre_ok = pre.is_none_or(|p| {
        !p.is_empty()
            && p.split('.').all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    });
    numbers.len() == 3 && numbers.iter().all(number) && pre_ok
}

/// Every `x-affiliate-*` key in `doc` that is unknown or out of place: (JSON pointer, message).
pub fn misplaced(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    walk(doc, &mut Vec::new(), &mut out);
    out
}

fn place(path: &[String]) -> Option<Place> {
    match path {
        [] => Some(Place::Root),
        [c, s, _] if c == "components" && s == "securitySchemes" => Some(Place::SecurityScheme),
        [p, _, method] if p == "paths" && METHODS.contains(&method.as_str()) => Some(Place::Operation),
        [.., properties, _] if properties == "properties" => Some(Place::Property),
        [.., values] if values == "additionalProperties" => Some(Place::Property),
        _ => None,
    }
}

fn walk(value: &Value, path: &mut Vec<String>, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            let here = place(path);
            for (key, child) in map {
                let at: String = path.iter().chain(std::iter::once(key)).map(|s| format!("/{}", escape(s))).collect();
                if key.starts_with("x-affiliate-") {
                    match EXTENSIONS.iter().find(|(name, _)| name == key) {
                        None => out.push((
                            at,
                            format!(
                                "unknown extension `{key}` (known: {}; see docs/spec-extensions.md)",
                                EXTENSIONS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                            ),
                        )),
                        Some((_, wanted)) if here != Some(*wanted) => {
                            out.push((at, format!("`{key}` belongs on {}", wanted.describe())))
                        }
                        Some(_) => sub_keys(key, child, &at, out),
                    }
                    // An extension's value is data, not more spec: do not look inside.
                    continue;
                }
                path.push(key.clone());
                walk(child, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                path.push(i.to_string());
                walk(child, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Unknown keys inside an extension that takes a mapping.
fn sub_keys(name: &str, value: &Value, at: &str, out: &mut Vec<(String, String)>) {
    let mut unknown = |map: &serde_json::Map<String, Value>, at: &str, allowed: &[&str]| {
        for key in map.keys().filter(|k| !allowed.contains(&k.as_str())) {
            out.push((
                format!("{at}/{}", escape(key)),
                format!("unknown key `{key}` in `{name}` (expected one of: {})", allowed.join(", ")),
            ));
        }
    };
    match (name, value) {
        ("x-affiliate-pagination", Value::Object(map)) => {
            let style = map.get("style").and_then(Value::as_str);
            let mut allowed = vec!["style", "items"];
            match PAGINATION_KEYS.iter().find(|(s, _)| Some(*s) == style) {
                Some((_, keys)) => allowed.extend_from_slice(keys),
                // An unknown style is reported by the pagination parser; only flag keys no style has.
                None => allowed.extend(PAGINATION_KEYS.iter().flat_map(|(_, keys)| keys.iter().copied())),
            }
            unknown(map, at, &allowed);
        }
        ("x-affiliate-job", Value::Object(map)) => unknown(map, at, JOB_KEYS),
        ("x-affiliate-webhooks", Value::Object(map)) => {
            unknown(map, at, WEBHOOK_KEYS);
            if let Some(Value::Object(signature)) = map.get("signature") {
                unknown(signature, &format!("{at}/signature"), SIGNATURE_KEYS);
                if let Some(Value::Object(timestamp)) = signature.get("timestamp") {
                    unknown(timestamp, &format!("{at}/signature/timestamp"), TIMESTAMP_KEYS);
                }
            }
        }
        ("x-affiliate-body-errors", Value::Array(rules)) => {
            for (i, rule) in rules.iter().enumerate() {
                if let Value::Object(map) = rule {
                    unknown(map, &format!("{at}/{i}"), BODY_ERROR_KEYS);
                }
            }
        }
        _ => {}
    }
}

/// Problems found while parsing extensions: (JSON pointer, message), every one.
#[derive(Debug, Default)]
pub struct Problems(pub Vec<(String, String)>);

impl Problems {
    pub fn error(&mut self, at: impl Into<String>, message: impl Into<String>) {
        self.0.push((at.into(), message.into()));
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

/// Parsing the extensions that carry data into the model (the caller has already refused unknown
/// keys); each parser reports into `Problems` and returns what it could read.
impl Problems {
    pub fn body_errors(&mut self, doc: &Value) -> Vec<BodyErrorRule> {
        let Some(rules) = doc.get("x-affiliate-body-errors") else { return Vec::new() };
        let Some(rules) = rules.as_array() else {
            self.error("/x-affiliate-body-errors", "must be a list of {pointer, present | equals} rules");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            let at = format!("/x-affiliate-body-errors/{i}");
            let pointer = match rule.get("pointer").and_then(Value::as_str) {
                Some(p) if p.starts_with('/') => p.to_string(),
                _ => {
                    self.error(format!("{at}/pointer"), "missing or not a JSON pointer (`/responseStatus/errorCode`)");
                    continue;
                }
            };
            match (rule.get("present"), rule.get("equals")) {
                (Some(Value::Bool(true)), None) => out.push(BodyErrorRule::Present(pointer)),
                (None, Some(value)) => out.push(BodyErrorRule::Equals(pointer, value.to_string())),
                _ => self.error(at, "a rule needs exactly one of `present: true` or `equals: <value>`"),
            }
        }
        out
    }

    /// `x-affiliate-rate-limit: 600/min` at the root: `<count>/<s|min|h>` (the runtime's syntax).
    pub fn rate_limit(&mut self, doc: &Value) -> Option<String> {
        let value = doc.get("x-affiliate-rate-limit")?;
        let valid = value.as_str().and_then(|text| {
            let (count, unit) = text.split_once('/')?;
            let units = ["s", "sec", "second", "m", "min", "minute", "h", "hour"];
            (count.trim().parse::<u32>().ok()? > 0 && units.contains(&unit.trim())).then(|| text.trim().to_string())
        });
        if valid.is_none() {
            self.error("/x-affiliate-rate-limit", "must be a rate `<count>/<unit>` (`20/s`, `600/min`, `5000/h`)");
        }
        valid
    }

    /// `x-affiliate-crate-version: 1.2.0` at the root: the generated crates' version, a plain
    /// semver `MAJOR.MINOR.PATCH` (an optional `-pre` tag); [`DEFAULT_CRATE_VERSION`] without it.
    pub fn crate_version(&mut self, doc: &Value) -> String {
        let Some(value) = doc.get("x-affiliate-crate-version") else { return DEFAULT_CRATE_VERSION.to_string() };
        match value.as_str().filter(|v| is_semver(v)) {
            Some(version) => version.to_string(),
            None => {
                self.error(
                    "/x-affiliate-crate-version",
                    "must be a version `MAJOR.MINOR.PATCH` (`0.3.1`, `1.0.0-rc.1`)",
                );
                DEFAULT_CRATE_VERSION.to_string()
            }
        }
    }

    /// `x-affiliate-idempotency-header: Idempotency-Key` on an operation: a valid header name.
    pub fn idempotency_header(&mut self, at: &str, op: &serde_json::Map<String, Value>) -> Option<String> {
        let value = op.get("x-affiliate-idempotency-header")?;
        let valid = value.as_str().filter(|name| {
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
        });
        if valid.is_none() {
            self.error(format!("{at}/x-affiliate-idempotency-header"), "must be a header name (`Idempotency-Key`)");
        }
        valid.map(str::to_string)
    }

    /// `x-affiliate-webhooks` at the root: the signature scheme and the events, each a component schema.
    pub fn webhooks(&mut self, doc: &Value) -> Option<Webhooks> {
        let ext = doc.get("x-affiliate-webhooks")?;
        let at = "/x-affiliate-webhooks";
        let errors_before = self.len();
        let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_string);
        let header_name = |name: &str| {
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
        };
        let env = text(ext.get("env"))
            .filter(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'));
        if env.is_none() {
            self.error(format!("{at}/env"), "missing or not an environment variable name (`ACME_WEBHOOK_SECRET`)");
        }
        let name = text(ext.get("name")).filter(|p| p.starts_with('/'));
        if name.is_none() {
            self.error(format!("{at}/name"), "missing or not a JSON pointer to the event's name (`/event`)");
        }
        let signature = ext.get("signature").unwrap_or(&Value::Null);
        let header = text(signature.get("header")).filter(|h| header_name(h));
        if header.is_none() {
            self.error(format!("{at}/signature/header"), "missing or not a header name (`X-Signature`)");
        }
        let algorithm =
            text(signature.get("algorithm")).filter(|a| ["hmac-sha256", "hmac-sha512"].contains(&a.as_str()));
        if algorithm.is_none() {
            self.error(format!("{at}/signature/algorithm"), "missing or unknown (hmac-sha256 or hmac-sha512)");
        }
        let encoding = text(signature.get("encoding")).filter(|e| ["hex", "base64"].contains(&e.as_str()));
        if encoding.is_none() {
            self.error(format!("{at}/signature/encoding"), "missing or unknown (hex or base64)");
        }
        let prefix = match signature.get("prefix") {
            None => Some(String::new()),
            Some(value) => text(Some(value)),
        };
        if prefix.is_none() {
            self.error(format!("{at}/signature/prefix"), "must be a string (`sha256=`)");
        }
        let timestamp = match signature.get("timestamp") {
            None => None,
            Some(rule) => {
                let t_at = format!("{at}/signature/timestamp");
                let header = text(rule.get("header")).filter(|h| header_name(h));
                if header.is_none() {
                    self.error(format!("{t_at}/header"), "missing or not a header name");
                }
                // `{timestamp}` once, and the body last: the signed bytes are streamed into the MAC.
                let parts = text(rule.get("signed")).and_then(|signed| {
                    let before_body = signed.strip_suffix("{body}")?;
                    let (before, between) = before_body.split_once("{timestamp}")?;
                    (!between.contains("{timestamp}") && !before_body.contains("{body}"))
                        .then(|| (before.to_string(), between.to_string()))
                });
                if parts.is_none() {
                    self.error(
                        format!("{t_at}/signed"),
                        "must contain `{timestamp}` once and end with `{body}` (`{timestamp}.{body}`)",
                    );
                }
                let tolerance = rule.get("tolerance").and_then(Value::as_u64).filter(|t| *t > 0);
                if tolerance.is_none() {
                    self.error(format!("{t_at}/tolerance"), "missing or not a positive number of seconds");
                }
                match (header, parts, tolerance) {
                    (Some(header), Some((before, between)), Some(tolerance)) => {
                        Some(WebhookTimestamp { header, before, between, tolerance })
                    }
                    _ => None,
                }
            }
        };
        let mut events = Vec::new();
        match ext.get("events").and_then(Value::as_object) {
            Some(map) if !map.is_empty() => {
                for (event, component) in map {
                    let e_at = format!("{at}/events/{}", escape(event));
                    let Some(component) = component.as_str() else {
                        self.error(e_at, "must name a component schema");
                        continue;
                    };
                    let Some(schema) = doc.pointer(&format!("/components/schemas/{}", escape(component))) else {
                        self.error(e_at, format!("no component schema `{component}`"));
                        continue;
                    };
                    if event.is_empty() || event.chars().any(|c| c.is_control()) {
                        self.error(e_at, "an event name must be non-empty text");
                        continue;
                    }
                    events.push(WebhookEvent {
                        name: event.clone(),
                        component: component.to_string(),
                        example: schema.get("example").map(Value::to_string),
                    });
                }
            }
            _ => self.error(format!("{at}/events"), "list the events: `event.name: ComponentSchema`"),
        }
        if self.len() != errors_before {
            return None;
        }
        Some(Webhooks {
            env: env?,
            name: name?,
            header: header?,
            algorithm: algorithm?,
            encoding: encoding?,
            prefix: prefix?,
            timestamp,
            events,
        })
    }

    pub fn job(&mut self, at: &str, ext: &Value) -> Option<Job> {
        let pointer = |me: &mut Self, key: &str| match ext.get(key).and_then(Value::as_str) {
            Some(p) if p.starts_with('/') => Some(p.to_string()),
            _ => {
                me.error(format!("{at}/{key}"), "missing or not a JSON pointer into the status response");
                None
            }
        };
        let list = |key: &str| -> Vec<String> {
            ext.get(key)
                .and_then(Value::as_array)
                .map(|v| v.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default()
        };
        let status = pointer(self, "status");
        let result = pointer(self, "result");
        let done = list("done");
        if done.is_empty() {
            self.error(format!("{at}/done"), "list the status values that mean the job is done");
        }
        Some(Job { status: status?, done, failed: list("failed"), result: result? })
    }

    pub fn pagination(&mut self, at: &str, ext: &Value, query: &BTreeSet<String>) -> Option<Pagination> {
        let field = |key: &str| ext.get(key).and_then(Value::as_str).map(str::to_string);
        let number = |key: &str, default: u64| ext.get(key).and_then(Value::as_u64).unwrap_or(default);
        let param = |me: &mut Self, key: &str, required: bool| -> Option<String> {
            match field(key) {
                Some(name) if query.contains(&name) => Some(name),
                Some(name) => {
                    me.error(format!("{at}/{key}"), format!("`{name}` is not a query parameter of this operation"));
                    None
                }
                None if required => {
                    me.error(format!("{at}/{key}"), "missing");
                    None
                }
                None => None,
            }
        };
        let items = match field("items") {
            Some(p) if p.is_empty() || p.starts_with('/') => p,
            Some(p) => {
                self.error(format!("{at}/items"), format!("`{p}` is not a JSON pointer"));
                return None;
            }
            None => {
                self.error(format!("{at}/items"), "missing: a JSON pointer to the item array (\"\" for the body)");
                return None;
            }
        };
        let errors_before = self.len();
        let result = match ext.get("style").and_then(Value::as_str) {
            Some("page") => Some(Pagination::Page {
                page: param(self, "page", true).unwrap_or_default(),
                size: param(self, "size", true).unwrap_or_default(),
                first: number("first", 1),
                default_size: number("defaultSize", 0),
                items,
            }),
            Some("offset") => Some(Pagination::Offset {
                offset: param(self, "offset", true).unwrap_or_default(),
                limit: param(self, "limit", true).unwrap_or_default(),
                default_size: number("defaultSize", 0),
                items,
                count: field("count"),
                next: field("next"),
            }),
            Some("cursor") => {
                let next_cursor = field("nextCursor");
                if next_cursor.is_none() {
                    self.error(format!("{at}/nextCursor"), "missing");
                }
                Some(Pagination::Cursor {
                    cursor: param(self, "cursor", true).unwrap_or_default(),
                    limit: param(self, "limit", false),
                    items,
                    next_cursor: next_cursor.unwrap_or_default(),
                })
            }
            Some(other) => {
                self.error(
                    format!("{at}/style"),
                    format!("unknown pagination style `{other}` (expected page, offset or cursor)"),
                );
                None
            }
            None => {
                self.error(format!("{at}/style"), "missing (page, offset or cursor)");
                None
            }
        };
        (self.len() == errors_before).then_some(result).flatten()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn crate_versions_are_plain_semver() {
        let cases = [
            ("0.1.0", true),
            ("10.20.30", true),
            ("1.0.0-rc.1", true),
            ("1.0.0-alpha-2", true),
            ("1.2", false),
            ("1.2.3.4", false),
            ("01.2.3", false),
            ("1.2.x", false),
            ("1.2.3-", false),
            ("1.2.3-rc..1", false),
            ("1.2.3+build", false),
            ("", false),
        ];
        for (text, expect) in cases {
            assert_eq!(super::is_semver(text), expect, "{text}");
        }
    }
}
