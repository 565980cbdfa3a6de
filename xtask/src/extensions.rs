//! The `x-affiliate-*` vocabulary: which extension may appear where, and which keys each takes.
//!
//! A misspelled extension would otherwise be ignored and the operation would quietly lose its
//! feature, so every `x-affiliate-*` key and sub-key outside this table is a spec error. The table
//! is the code's half of `docs/spec-extensions.md`; the tidy test keeps the two in step.

use serde_json::Value;

use crate::spec::escape;

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
    ("x-affiliate-pagination", Place::Operation),
    ("x-affiliate-success-variants", Place::Operation),
    ("x-affiliate-job", Place::Operation),
    ("x-affiliate-lenient", Place::Property),
];

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

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

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
