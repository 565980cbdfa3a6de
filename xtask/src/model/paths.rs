//! Path templates as vendors publish them, rewritten into what OpenAPI means by them.
//!
//! Published documents write holes as `<id>`, name a hole unlike the parameter that fills it
//! (`{campaignId}` filled by `campaign_id`), leave a hole undeclared, declare a path parameter
//! `required: false`, or put a query string in the path key (`/terms?campaigns={campaigns}`).
//! progenitor asserts on each of these. Where the meaning is clear the document is rewritten
//! before anything else reads it (the mock's examples and the Surface included), and every error a
//! later stage reports against a rewritten key is put back on the key as written ([`PathKeys`]).
//! Where it is not clear (more holes than parameters of other names, a literal in the query
//! string) the construct is refused with its pointer.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Value};

use crate::spec::{pointer, SpecError, METHODS};

/// Which path keys were rewritten: (key now, method, key as written).
#[derive(Debug, Default, Clone)]
pub struct PathKeys(Vec<(String, String, String)>);

impl PathKeys {
    /// `error` with its pointer moved from a rewritten path key back onto the key as written.
    pub fn relocate(&self, mut error: SpecError) -> SpecError {
        for (now, method, written) in &self.0 {
            let item = pointer(&["paths", now]);
            let Some(rest) = error.location.strip_prefix(&item) else { continue };
            let same_method = rest.strip_prefix('/').is_some_and(|r| r.split('/').next() == Some(method.as_str()));
            if same_method || rest.is_empty() || !METHODS.iter().any(|m| rest.starts_with(&format!("/{m}"))) {
                error.location = format!("{}{rest}", pointer(&["paths", written]));
                return error;
            }
        }
        error
    }
}

/// One change to the document, found while reading it and applied afterwards.
enum Edit {
    /// The parameter object at this pointer is a path parameter: `required: true`.
    Require(String),
    /// The parameter at this pointer fills a hole of the query string: it moves there.
    ToQuery(String, String),
    /// A parameter the operation at this pointer lacks.
    Add(String, Value),
}

/// Rewrites the path keys of `doc` (see the module docs); errors name the key as written.
pub fn templates(file: &Path, doc: &mut Value) -> Result<PathKeys, Vec<SpecError>> {
    let mut problems = Vec::new();
    let mut edits = Vec::new();
    let mut moves: Vec<(String, String)> = Vec::new();
    let empty = serde_json::Map::new();
    let paths = doc.get("paths").and_then(Value::as_object).unwrap_or(&empty);
    for (key, item) in paths {
        let Some(item) = item.as_object() else { continue };
        let item_at = pointer(&["paths", key]);
        let (path, query) = match key.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (key.as_str(), None),
        };
        let path = angle_holes(path);
        let holes = holes(&path);
        // Query-string holes: (hole, query parameter name).
        let mut query_holes = Vec::new();
        for pair in query.into_iter().flat_map(|q| q.split('&')).filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            match value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
                Some(hole) if !name.is_empty() => query_holes.push((hole.to_string(), name.to_string())),
                _ => problems.push(SpecError::new(
                    file,
                    item_at.clone(),
                    format!("the path carries the fixed query `{pair}`: declare a query parameter (`enum: [{value}]`) instead"),
                )),
            }
        }
        // The holes' names as the parameters declare them, agreed by every operation.
        let mut renames: Option<BTreeMap<String, String>> = None;
        for method in METHODS {
            let Some(op) = item.get(method).and_then(Value::as_object) else { continue };
            let op_at = pointer(&["paths", key, method]);
            let declared = declared(doc, item, op, &item_at, &op_at);
            let path_params: Vec<&Declared> = declared.iter().filter(|d| d.location == "path").collect();
            for (hole, name) in &query_holes {
                let in_query = declared.iter().any(|d| d.location == "query" && d.name == *name);
                match path_params.iter().find(|d| d.name == *hole) {
                    Some(d) if !in_query => edits.push(Edit::ToQuery(d.at.clone(), name.clone())),
                    Some(_) => {}
                    None if in_query => {}
                    None => edits.push(Edit::Add(op_at.clone(), parameter(name, "query"))),
                }
            }
            let path_params: Vec<&Declared> =
                path_params.into_iter().filter(|d| !query_holes.iter().any(|(hole, _)| *hole == d.name)).collect();
            for d in &path_params {
                if !d.required {
                    edits.push(Edit::Require(d.at.clone()));
                }
            }
            let undeclared: Vec<&String> =
                holes.iter().filter(|h| !path_params.iter().any(|d| d.name == **h)).collect();
            let unused: Vec<&Declared> = path_params.iter().copied().filter(|d| !holes.contains(&d.name)).collect();
            let mut mine = BTreeMap::new();
            match (undeclared.is_empty(), unused.is_empty()) {
                (true, true) => {}
                // Holes nobody declares: each is a required string, which is all a path can say.
                (false, true) => {
                    for hole in undeclared {
                        edits.push(Edit::Add(op_at.clone(), parameter(hole, "path")));
                    }
                }
                // As many holes as parameters of other names: they pair in order.
                (false, false) if undeclared.len() == unused.len() => {
                    mine =
                        undeclared.iter().map(|h| h.to_string()).zip(unused.iter().map(|d| d.name.clone())).collect();
                }
                (true, false) => {
                    for d in unused {
                        problems.push(SpecError::new(
                            file,
                            d.at.clone(),
                            format!("path parameter `{}` has no `{{{}}}` in the path `{key}`: add the hole or remove the parameter", d.name, d.name),
                        ));
                    }
                }
                (false, false) => problems.push(SpecError::new(
                    file,
                    op_at.clone(),
                    format!(
                        "the path's holes {} are not declared and the path parameters {} fill no hole: name them alike",
                        list(undeclared.iter().map(|h| h.as_str())),
                        list(unused.iter().map(|d| d.name.as_str())),
                    ),
                )),
            }
            match &renames {
                Some(agreed) if *agreed != mine => problems.push(SpecError::new(
                    file,
                    op_at.clone(),
                    "the operations of this path name its holes differently: name them alike".to_string(),
                )),
                Some(_) => {}
                None => renames = Some(mine),
            }
        }
        let renames = renames.unwrap_or_default();
        let now = rename_holes(&path, &renames);
        if now != *key {
            moves.push((key.clone(), now));
        }
    }
    for (written, now) in &moves {
        let clash = paths.get(now).and_then(Value::as_object);
        let methods = |k: &str| paths.get(k).and_then(Value::as_object).map(|i| i.keys().cloned().collect::<Vec<_>>());
        if let (Some(_), Some(theirs), Some(ours)) = (clash, methods(now), methods(written)) {
            if let Some(both) = ours.iter().find(|m| METHODS.contains(&m.as_str()) && theirs.contains(m)) {
                problems.push(SpecError::new(
                    file,
                    pointer(&["paths", written, both]),
                    format!("this is the operation `{} {now}`, which the document already has", both.to_uppercase()),
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    for edit in edits {
        match edit {
            Edit::Require(at) => {
                if let Some(Value::Object(p)) = doc.pointer_mut(&at) {
                    p.insert("required".to_string(), Value::Bool(true));
                }
            }
            Edit::ToQuery(at, name) => {
                if let Some(Value::Object(p)) = doc.pointer_mut(&at) {
                    p.insert("name".to_string(), Value::String(name));
                    p.insert("in".to_string(), Value::String("query".to_string()));
                    p.insert("required".to_string(), Value::Bool(true));
                }
            }
            Edit::Add(at, parameter) => {
                if let Some(Value::Object(op)) = doc.pointer_mut(&at) {
                    match op.entry("parameters").or_insert_with(|| Value::Array(Vec::new())) {
                        Value::Array(list) => list.push(parameter),
                        other => *other = Value::Array(vec![parameter]),
                    }
                }
            }
        }
    }
    let mut keys = PathKeys::default();
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return Ok(keys) };
    for (written, now) in moves {
        let Some(Value::Object(mut item)) = paths.remove(&written) else { continue };
        for method in METHODS {
            if item.contains_key(method) {
                keys.0.push((now.clone(), method.to_string(), written.clone()));
            }
        }
        match paths.get_mut(&now) {
            // Another key became the same path: its operations join, each keeping the path
            // item's parameters it had.
            Some(Value::Object(existing)) => {
                let shared = item.remove("parameters");
                for (k, v) in item {
                    let mut v = v;
                    if let (true, Some(Value::Array(shared)), Some(op)) =
                        (METHODS.contains(&k.as_str()), &shared, v.as_object_mut())
                    {
                        let own = op.entry("parameters").or_insert_with(|| Value::Array(Vec::new()));
                        if let Value::Array(own) = own {
                            own.extend(shared.iter().cloned());
                        }
                    }
                    existing.entry(k).or_insert(v);
                }
            }
            _ => {
                paths.insert(now, Value::Object(item));
            }
        }
    }
    Ok(keys)
}

/// A parameter an operation has (its own, or its path item's it does not override).
struct Declared {
    name: String,
    location: String,
    required: bool,
    /// Where the parameter object is: in the operation, the path item or `components`.
    at: String,
}

fn declared(
    doc: &Value,
    item: &serde_json::Map<String, Value>,
    op: &serde_json::Map<String, Value>,
    item_at: &str,
    op_at: &str,
) -> Vec<Declared> {
    let mut out: Vec<Declared> = Vec::new();
    for (list, at) in [(op.get("parameters"), op_at), (item.get("parameters"), item_at)] {
        for (i, p) in list.and_then(Value::as_array).into_iter().flatten().enumerate() {
            let (at, p) = resolve(doc, format!("{at}/parameters/{i}"), p);
            let text = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
            let (name, location) = (text("name"), text("in"));
            if !out.iter().any(|d| d.name == name && d.location == location) {
                let required = p.get("required").and_then(Value::as_bool) == Some(true);
                out.push(Declared { name, location, required, at });
            }
        }
    }
    out
}

/// Follows local `$ref`s to the parameter object and where it is.
fn resolve<'a>(doc: &'a Value, mut at: String, mut value: &'a Value) -> (String, &'a Value) {
    for _ in 0..8 {
        let Some(target) = value.get("$ref").and_then(Value::as_str).and_then(|t| t.strip_prefix('#')) else { break };
        let Some(found) = doc.pointer(target) else { break };
        (at, value) = (target.to_string(), found);
    }
    (at, value)
}

/// A required string parameter: all a hole in a template says about its value.
fn parameter(name: &str, location: &str) -> Value {
    json!({"name": name, "in": location, "required": true, "schema": {"type": "string"}})
}

/// `/a/<id>/b` as `/a/{id}/b`: a `<` cannot stand in a URL path, so it can only mean a hole.
fn angle_holes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('>') {
            Some(end) if is_name(&after[..end]) => {
                out.push('{');
                out.push_str(&after[..end]);
                out.push('}');
                rest = &after[end + 1..];
            }
            _ => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_name(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The holes of a template, in order.
fn holes(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else { break };
        if !out.contains(&after[..end].to_string()) {
            out.push(after[..end].to_string());
        }
        rest = &after[end + 1..];
    }
    out
}

/// The template with each hole named as `renames` says (in one pass, so names may swap).
fn rename_holes(path: &str, renames: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else { break };
        let hole = &after[..end];
        out.push_str(&rest[..=start]);
        out.push_str(renames.get(hole).map_or(hole, String::as_str));
        out.push('}');
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names.map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}
