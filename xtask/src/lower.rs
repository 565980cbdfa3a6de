//! OpenAPI 3.1 documents lowered, in place, onto the OpenAPI 3.0.3 model the rest of the generator reads.
//!
//! Runs first, on the document as parsed: a 3.0.x document is left untouched, a 3.1.x one is rewritten
//! (type arrays with `null` to `nullable`, `const` to a one-value `enum`, `examples` arrays, numeric
//! exclusive bounds, `$ref` siblings, `$defs`) and anything else is refused. A 3.1 construct that
//! changes the shape of the data and has no 3.0 form is refused with its pointer; keywords that only
//! validate or annotate (and so change no generated type) are dropped. Every problem is reported,
//! not only the first. Only real schema positions are walked, so a property named `const` is a
//! property, not a keyword.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Map, Value};

use crate::spec::{escape, pointer, SpecError, METHODS};

/// Keywords that only annotate or validate: no generated type depends on them.
const DROPPED: &[&str] = &[
    "$schema",
    "$comment",
    "$vocabulary",
    "$dynamicAnchor",
    "contentMediaType",
    "contentEncoding",
    "contentSchema",
    "unevaluatedProperties",
    "unevaluatedItems",
    "propertyNames",
    "dependentRequired",
    "contains",
    "minContains",
    "maxContains",
];

/// The keywords that apply to values of one JSON type: a list of types splits them by type.
const STRING: &[&str] = &["minLength", "maxLength", "pattern"];
const NUMBER: &[&str] = &["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"];
const ARRAY: &[&str] = &["items", "minItems", "maxItems", "uniqueItems"];
const OBJECT: &[&str] = &["properties", "required", "additionalProperties", "minProperties", "maxProperties"];

/// Keywords that shape the data and have no OpenAPI 3.0 form, with what to write instead.
const REFUSED: &[(&str, &str)] = &[
    ("prefixItems", "tuples have no OpenAPI 3.0 form: use `items` with one schema (a oneOf of the element forms)"),
    ("if", "conditional schemas have no OpenAPI 3.0 form: use oneOf of the alternatives"),
    ("then", "conditional schemas have no OpenAPI 3.0 form: use oneOf of the alternatives"),
    ("else", "conditional schemas have no OpenAPI 3.0 form: use oneOf of the alternatives"),
    ("dependentSchemas", "dependent schemas have no OpenAPI 3.0 form: declare the properties as optional"),
    ("$dynamicRef", "dynamic references have no OpenAPI 3.0 form: `$ref` the concrete schema"),
];

/// Lowers an OpenAPI 3.1 document onto 3.0.3 in place; a 3.0 document is left as it is.
pub fn lower(file: &Path, doc: &mut Value) -> Result<(), Vec<SpecError>> {
    let refuse = |at: &str, message: String| Err(vec![SpecError::new(file, at, message)]);
    if let Some(version) = doc.get("swagger") {
        let version = version.as_str().map_or_else(|| version.to_string(), str::to_string);
        return refuse(
            "/swagger",
            format!(
                "Swagger {version} is not supported: convert the document to OpenAPI 3.0.3 (e.g. with swagger2openapi)"
            ),
        );
    }
    match doc.get("openapi").and_then(Value::as_str) {
        // A 3.0 document written with 3.1's forms here and there (a `type` list, `const`), as
        // generated documents often are, is lowered too; the 3.0 forms pass unchanged.
        Some(v) if v.starts_with("3.0.") && !uses_31_forms(doc) => return Ok(()),
        Some(v) if v.starts_with("3.0.") => {}
        Some(v) if v.starts_with("3.1.") => {}
        Some(v) => {
            return refuse(
                "/openapi",
                format!("OpenAPI {v} is not supported: write the document as OpenAPI 3.0.3 or 3.1"),
            )
        }
        None => return refuse("/openapi", "missing `openapi: 3.0.3`".to_string()),
    }
    let declared_30 = doc.get("openapi").and_then(Value::as_str).is_some_and(|v| v.starts_with("3.0."));
    let mut lowering = Lowering { file, errors: Vec::new(), declared_30 };
    lowering.document(doc);
    if lowering.errors.is_empty() {
        Ok(())
    } else {
        Err(lowering.errors)
    }
}

/// Whether a schema somewhere has a `type` list or a `const` (forms 3.0 does not have).
fn uses_31_forms(value: &Value) -> bool {
    match value {
        Value::Object(map) => {
            map.get("type").is_some_and(Value::is_array)
                || map.get("const").is_some() && map.contains_key("type")
                || map.iter().any(|(key, child)| {
                    !matches!(key.as_str(), "example" | "examples" | "default" | "enum") && uses_31_forms(child)
                })
        }
        Value::Array(items) => items.iter().any(uses_31_forms),
        _ => false,
    }
}

struct Lowering<'a> {
    file: &'a Path,
    errors: Vec<SpecError>,
    /// The document says 3.0 but uses some 3.1 forms: keywords 3.0 does not know are read as 3.0
    /// reads them (ignored) where that loses no type.
    declared_30: bool,
}

impl Lowering<'_> {
    fn error(&mut self, at: impl Into<String>, message: impl Into<String>) {
        self.errors.push(SpecError::new(self.file, at, message));
    }

    fn document(&mut self, doc: &mut Value) {
        let Some(root) = doc.as_object_mut() else { return };
        // Nothing the client is built from: events the API sends (`webhooks`), the default schema
        // dialect, and 3.1's new info fields.
        root.remove("webhooks");
        root.remove("jsonSchemaDialect");
        if let Some(info) = root.get_mut("info").and_then(Value::as_object_mut) {
            info.remove("summary");
            if let Some(license) = info.get_mut("license").and_then(Value::as_object_mut) {
                license.remove("identifier");
            }
        }
        root.entry("paths").or_insert_with(|| json!({}));
        root.insert("openapi".to_string(), json!("3.0.3"));
        self.path_item_refs(doc);
        if let Some(components) = doc.get_mut("components").and_then(Value::as_object_mut) {
            components.remove("pathItems");
        }
        self.hoist_defs(doc);
        self.anchors(doc);

        if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
            for (path, item) in paths.iter_mut() {
                self.path_item(&pointer(&["paths", path]), item);
            }
        }
        let Some(components) = doc.get_mut("components").and_then(Value::as_object_mut) else { return };
        for (kind, entries) in components.iter_mut() {
            let Some(entries) = entries.as_object_mut() else { continue };
            for (name, entry) in entries.iter_mut() {
                let at = pointer(&["components", kind, name]);
                match kind.as_str() {
                    "schemas" => self.schema(&at, entry),
                    "parameters" | "headers" => self.parameter(&at, entry),
                    "requestBodies" | "responses" => self.body(&at, entry),
                    "callbacks" => self.callback(&at, entry),
                    _ => {}
                }
            }
        }
    }

    /// A path item may `$ref` one of `components.pathItems` in 3.1: inlined here.
    fn path_item_refs(&mut self, doc: &mut Value) {
        let items = doc.pointer("/components/pathItems").cloned().unwrap_or(Value::Null);
        let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
        for (path, item) in paths.iter_mut() {
            let Some(target) = item.get("$ref").and_then(Value::as_str) else { continue };
            match target.strip_prefix("#/components/pathItems/").and_then(|name| items.get(name)) {
                Some(found) => *item = found.clone(),
                None => self.error(
                    format!("{}/$ref", pointer(&["paths", path])),
                    format!("`{target}`: a path item may only reference `#/components/pathItems/<name>` in this file"),
                ),
            }
        }
    }

    fn path_item(&mut self, at: &str, item: &mut Value) {
        let Some(item) = item.as_object_mut() else { return };
        for (key, value) in item.iter_mut() {
            let child = format!("{at}/{}", escape(key));
            if key == "parameters" {
                for_each_in(value, &child, |at, p| self.parameter(at, p));
            } else if METHODS.contains(&key.as_str()) {
                self.operation(&child, value);
            }
        }
    }

    fn operation(&mut self, at: &str, op: &mut Value) {
        let Some(op) = op.as_object_mut() else { return };
        for (key, value) in op.iter_mut() {
            let child = format!("{at}/{}", escape(key));
            match key.as_str() {
                "parameters" => for_each_in(value, &child, |at, p| self.parameter(at, p)),
                "requestBody" => self.body(&child, value),
                "responses" => {
                    for (status, response) in value.as_object_mut().into_iter().flatten() {
                        self.body(&format!("{child}/{}", escape(status)), response);
                    }
                }
                "callbacks" => {
                    for (name, callback) in value.as_object_mut().into_iter().flatten() {
                        self.callback(&format!("{child}/{}", escape(name)), callback);
                    }
                }
                _ => {}
            }
        }
    }

    fn callback(&mut self, at: &str, callback: &mut Value) {
        for (expression, item) in callback.as_object_mut().into_iter().flatten() {
            self.path_item(&format!("{at}/{}", escape(expression)), item);
        }
    }

    /// A parameter or header: its `schema`, or the schemas of its `content`.
    fn parameter(&mut self, at: &str, param: &mut Value) {
        if reference_only(param) {
            return;
        }
        let Some(param) = param.as_object_mut() else { return };
        if let Some(schema) = param.get_mut("schema") {
            self.schema(&format!("{at}/schema"), schema);
        }
        if let Some(content) = param.get_mut("content") {
            self.content(&format!("{at}/content"), content);
        }
    }

    /// A request body or response: the schemas of its `content` and `headers`.
    fn body(&mut self, at: &str, body: &mut Value) {
        if reference_only(body) {
            return;
        }
        let Some(body) = body.as_object_mut() else { return };
        if let Some(content) = body.get_mut("content") {
            self.content(&format!("{at}/content"), content);
        }
        for (name, header) in body.get_mut("headers").and_then(Value::as_object_mut).into_iter().flatten() {
            self.parameter(&format!("{at}/headers/{}", escape(name)), header);
        }
    }

    fn content(&mut self, at: &str, content: &mut Value) {
        for (media, entry) in content.as_object_mut().into_iter().flatten() {
            if let Some(schema) = entry.get_mut("schema") {
                self.schema(&format!("{at}/{}/schema", escape(media)), schema);
            }
        }
    }

    /// Lowers one schema: its subschemas first (each at its own pointer), then its own keywords.
    fn schema(&mut self, at: &str, schema: &mut Value) {
        let map = match schema {
            Value::Bool(true) => {
                *schema = json!({});
                return;
            }
            Value::Bool(false) => {
                self.error(at, "the schema `false` (no value is valid) has no OpenAPI 3.0 form: remove it");
                return;
            }
            Value::Object(map) => map,
            _ => return,
        };
        for (keyword, message) in REFUSED {
            // A document that says it is 3.0 meant these as unknown keywords, which 3.0 ignores;
            // the conditional ones only validate, so that reading loses no type.
            if self.declared_30 && matches!(*keyword, "if" | "then" | "else") {
                map.remove(*keyword);
                continue;
            }
            if map.contains_key(*keyword) {
                self.error(format!("{at}/{}", escape(keyword)), *message);
            }
        }
        if let Some(id) = map.remove("$id") {
            // `$id` changes what the references inside resolve against; without any it names only.
            if contains_key(&Value::Object(map.clone()), "$ref") {
                self.error(
                    format!("{at}/$id"),
                    format!("`$id: {id}` changes how the `$ref`s inside resolve: remove it and reference `#/components/schemas/...`"),
                );
            }
        }
        for keyword in DROPPED {
            if *keyword == "unevaluatedProperties" || *keyword == "unevaluatedItems" {
                // `false` only closes the object or array, which the generator does not enforce anyway.
                if map.get(*keyword).is_some_and(|v| !v.is_boolean()) {
                    self.error(
                        format!("{at}/{keyword}"),
                        format!("`{keyword}` with a schema has no OpenAPI 3.0 form: declare the properties or `additionalProperties`"),
                    );
                }
            }
            map.remove(*keyword);
        }
        // A property whose schema is `false` may never be present. Left undeclared, 3.0 says the
        // same to this client: it sends no undeclared field and ignores one it receives.
        if let Some(Value::Object(properties)) = map.get_mut("properties") {
            properties.retain(|_, schema| *schema != Value::Bool(false));
        }
        self.children(at, map);
        self.pattern_properties(at, map);
        if map.contains_key("$defs") {
            self.error(
                format!("{at}/$defs"),
                "`$defs` only at the root of a component schema or of the document: move these definitions there",
            );
        }
        if map.get("items").is_some_and(Value::is_array) {
            self.error(
                format!("{at}/items"),
                "`items` must be one schema (a list of schemas is a tuple, which has no OpenAPI 3.0 form)",
            );
        }
        if let Some(value) = map.remove("const") {
            map.insert("enum".to_string(), Value::Array(vec![value]));
        }
        if let Some(examples) = map.remove("examples") {
            if let Some(first) = examples.as_array().and_then(|e| e.first()) {
                map.entry("example").or_insert_with(|| first.clone());
            }
        }
        exclusive_bound(map, "exclusiveMinimum", "minimum", |new, old| new >= old);
        exclusive_bound(map, "exclusiveMaximum", "maximum", |new, old| new <= old);
        self.types(at, map);
        null_branches(map);
        if map.get("enum").and_then(Value::as_array).is_some_and(|e| e.contains(&Value::Null)) {
            map.insert("nullable".to_string(), json!(true));
        }
        ref_siblings(map);
    }

    /// Recurses into every subschema position of `map`.
    fn children(&mut self, at: &str, map: &mut Map<String, Value>) {
        for (key, value) in map.iter_mut() {
            let child = format!("{at}/{}", escape(key));
            match key.as_str() {
                "properties" | "patternProperties" => {
                    for (name, property) in value.as_object_mut().into_iter().flatten() {
                        self.schema(&format!("{child}/{}", escape(name)), property);
                    }
                }
                "items" if !value.is_array() => self.schema(&child, value),
                "additionalProperties" if !value.is_boolean() => self.schema(&child, value),
                "not" => self.schema(&child, value),
                "allOf" | "oneOf" | "anyOf" => for_each_in(value, &child, |at, s| self.schema(at, s)),
                _ => {}
            }
        }
    }

    /// `patternProperties` lowered where the meaning is kept: patterns with no constraint are
    /// dropped; one value schema for every pattern, in an object closed to other keys (or whose other
    /// keys have that same schema), is a map of that schema (the key pattern only validates).
    fn pattern_properties(&mut self, at: &str, map: &mut Map<String, Value>) {
        let Some(patterns) = map.remove("patternProperties") else { return };
        let Some(patterns) = patterns.as_object() else { return };
        let schemas: Vec<&Value> = patterns.values().filter(|s| !is_any(s)).collect();
        let Some(&schema) = schemas.first() else { return };
        let closed = match map.get("additionalProperties") {
            Some(Value::Bool(false)) => true,
            Some(other) => other == schema,
            None => false,
        };
        if closed && schemas.iter().all(|s| *s == schema) {
            map.insert("additionalProperties".to_string(), schema.clone());
        } else {
            self.error(
                format!("{at}/patternProperties"),
                "`patternProperties` has no OpenAPI 3.0 form unless every pattern has the same schema and \
                 `additionalProperties` is false or that schema: write `additionalProperties: {schema}` for a map keyed by data",
            );
        }
    }

    /// `type: [T, "null"]` to `type: T, nullable: true`; several types to an `anyOf` of each.
    fn types(&mut self, at: &str, map: &mut Map<String, Value>) {
        let types: Vec<String> = match map.get("type") {
            Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            Some(Value::String(t)) if t == "null" => vec![t.clone()],
            _ => return,
        };
        map.remove("type");
        let nullable = types.iter().any(|t| t == "null");
        let mut kinds: Vec<String> = types.into_iter().filter(|t| t != "null").collect();
        if kinds.contains(&"integer".to_string()) && kinds.contains(&"number".to_string()) {
            kinds.retain(|t| t != "integer");
        }
        if nullable {
            map.insert("nullable".to_string(), json!(true));
        }
        match kinds.as_slice() {
            [] if !nullable => self.error(format!("{at}/type"), "an empty list of types: name at least one"),
            [] => {
                map.insert("enum".to_string(), json!([null]));
            }
            [one] => {
                map.insert("type".to_string(), json!(one));
            }
            several => {
                if map.contains_key("anyOf") {
                    self.error(
                        format!("{at}/type"),
                        "a list of types next to `anyOf`: move the types into the `anyOf`",
                    );
                    return;
                }
                let branches: Vec<Value> = several.iter().map(|kind| Value::Object(branch(map, kind))).collect();
                for key in [STRING, NUMBER, ARRAY, OBJECT].concat().into_iter().chain(["format", "enum"]) {
                    map.remove(key);
                }
                map.insert("anyOf".to_string(), Value::Array(branches));
            }
        }
    }

    /// `$defs` become components (`<Owner><Name>`; at the root, `<Name>`) and references follow them.
    fn hoist_defs(&mut self, doc: &mut Value) {
        let mut moved: Vec<(String, String)> = Vec::new();
        let mut hoisted: Vec<(String, String, Value)> = Vec::new();
        if let Some(defs) = doc.as_object_mut().and_then(|root| root.remove("$defs")) {
            for (name, schema) in defs.as_object().into_iter().flatten() {
                collect_defs(&pointer(&["$defs", name]), name, &mut schema.clone(), &mut hoisted, &mut moved);
            }
        }
        if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
            for (name, schema) in schemas.iter_mut() {
                if let Some(defs) = schema.as_object_mut().and_then(|s| s.remove("$defs")) {
                    let at = pointer(&["components", "schemas", name]);
                    for (def, inner) in defs.as_object().into_iter().flatten() {
                        let component = format!("{name}{}", upper_first(def));
                        let from = format!("{at}/$defs/{}", escape(def));
                        collect_defs(&from, &component, &mut inner.clone(), &mut hoisted, &mut moved);
                    }
                }
            }
        }
        if hoisted.is_empty() {
            return;
        }
        let Some(root) = doc.as_object_mut() else { return };
        let components = root.entry("components").or_insert_with(|| json!({}));
        let Some(schemas) = components
            .as_object_mut()
            .map(|c| c.entry("schemas").or_insert_with(|| json!({})))
            .and_then(Value::as_object_mut)
        else {
            return;
        };
        for (from, name, schema) in hoisted {
            if schemas.contains_key(&name) {
                self.error(
                    from,
                    format!("would become the component `{name}`, which already exists: rename one of them"),
                );
            } else {
                schemas.insert(name, schema);
            }
        }
        rewrite_refs(doc, &moved);
    }

    /// `$ref: "#name"` to a schema carrying `$anchor: name` becomes a pointer to that component.
    fn anchors(&mut self, doc: &mut Value) {
        let mut found: BTreeMap<String, String> = BTreeMap::new();
        if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
            for (name, schema) in schemas.iter_mut() {
                if let Some(anchor) = schema.as_object_mut().and_then(|s| s.remove("$anchor")) {
                    if let Some(anchor) = anchor.as_str() {
                        found.insert(format!("#{anchor}"), format!("#/components/schemas/{}", escape(name)));
                    }
                }
            }
        }
        let mut nested = Vec::new();
        collect_pointers_of(doc, "$anchor", &mut String::new(), &mut nested);
        for at in nested {
            self.error(at, "only a component schema may carry an `$anchor`: move the schema into `components/schemas`");
        }
        let mut refs = Vec::new();
        visit(doc, &mut String::new(), &mut |map, at| {
            if let Some(target) = map.get("$ref").and_then(Value::as_str) {
                if target.len() > 1 && target.starts_with('#') && !target.starts_with("#/") {
                    refs.push((format!("{at}/$ref"), target.to_string()));
                }
            }
        });
        for (at, target) in refs {
            match (found.get(&target), doc.pointer_mut(&at)) {
                (Some(to), Some(slot)) => *slot = json!(to),
                _ => self.error(at, format!("`{target}` names no `$anchor` of a component schema")),
            }
        }
    }
}

/// Each `$defs` entry (and the ones nested in it) as (old pointer, component name, schema), and the
/// old-to-new reference prefixes.
fn collect_defs(
    from: &str,
    name: &str,
    schema: &mut Value,
    hoisted: &mut Vec<(String, String, Value)>,
    moved: &mut Vec<(String, String)>,
) {
    if let Some(defs) = schema.as_object_mut().and_then(|s| s.remove("$defs")) {
        for (def, inner) in defs.as_object().into_iter().flatten() {
            let inner_from = format!("{from}/$defs/{}", escape(def));
            collect_defs(&inner_from, &format!("{name}{}", upper_first(def)), &mut inner.clone(), hoisted, moved);
        }
    }
    moved.push((format!("#{from}"), format!("#/components/schemas/{}", escape(name))));
    hoisted.push((from.to_string(), name.to_string(), schema.clone()));
}

fn upper_first(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Rewrites every `$ref` that starts with a moved prefix (at a segment boundary).
fn rewrite_refs(value: &mut Value, moved: &[(String, String)]) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get_mut("$ref") {
                for (from, to) in moved {
                    if let Some(rest) = target.strip_prefix(from.as_str()) {
                        if rest.is_empty() || rest.starts_with('/') {
                            *target = format!("{to}{rest}");
                            break;
                        }
                    }
                }
            }
            map.values_mut().for_each(|v| rewrite_refs(v, moved));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, moved)),
        _ => {}
    }
}

fn collect_pointers_of(value: &Value, key: &str, at: &mut String, out: &mut Vec<String>) {
    visit(value, at, &mut |map, at| {
        // A property may be named like a keyword.
        if map.contains_key(key) && !at.ends_with("/properties") {
            out.push(format!("{at}/{}", escape(key)));
        }
    });
}

/// Calls `f` on every mapping in `value` with its pointer.
fn visit(value: &Value, at: &mut String, f: &mut dyn FnMut(&Map<String, Value>, &str)) {
    match value {
        Value::Object(map) => {
            f(map, at);
            for (key, child) in map {
                let len = at.len();
                at.push('/');
                at.push_str(&escape(key));
                visit(child, at, f);
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                visit(child, at, f);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

fn contains_key(value: &Value, key: &str) -> bool {
    let mut found = false;
    visit(value, &mut String::new(), &mut |map, _| found |= map.contains_key(key));
    found
}

fn for_each_in(list: &mut Value, at: &str, mut f: impl FnMut(&str, &mut Value)) {
    for (i, item) in list.as_array_mut().into_iter().flatten().enumerate() {
        f(&format!("{at}/{i}"), item);
    }
}

/// A non-schema reference (parameter, response...): 3.1 allows `summary`/`description` next to
/// `$ref`; they only override documentation, so they are dropped.
fn reference_only(value: &mut Value) -> bool {
    let Some(map) = value.as_object_mut() else { return false };
    if !map.contains_key("$ref") {
        return false;
    }
    map.retain(|key, _| key == "$ref");
    true
}

/// `{}` or `true`: any value.
fn is_any(schema: &Value) -> bool {
    schema == &Value::Bool(true) || schema.as_object().is_some_and(Map::is_empty)
}

/// `exclusiveMinimum: n` (a number in 3.1) to `minimum: n, exclusiveMinimum: true`, or nothing if
/// an inclusive bound is already tighter.
fn exclusive_bound(map: &mut Map<String, Value>, exclusive: &str, inclusive: &str, tighter: fn(f64, f64) -> bool) {
    let Some(bound) = map.get(exclusive).filter(|v| v.is_number()).cloned() else { return };
    map.remove(exclusive);
    let new = bound.as_f64().unwrap_or_default();
    let keep_old = map.get(inclusive).and_then(Value::as_f64).is_some_and(|old| !tighter(new, old));
    if !keep_old {
        map.insert(inclusive.to_string(), bound);
        map.insert(exclusive.to_string(), json!(true));
    }
}

/// The keywords of `map` that apply to values of JSON type `kind`, moved into an `anyOf` branch.
fn branch(map: &Map<String, Value>, kind: &str) -> Map<String, Value> {
    const NUMERIC_FORMATS: &[&str] = &["int32", "int64", "float", "double"];
    let own: &[&str] = match kind {
        "string" => STRING,
        "integer" | "number" => NUMBER,
        "array" => ARRAY,
        "object" => OBJECT,
        _ => &[],
    };
    let mut out = Map::new();
    out.insert("type".to_string(), json!(kind));
    for key in own {
        if let Some(value) = map.get(*key) {
            out.insert(key.to_string(), value.clone());
        }
    }
    if let Some(format) = map.get("format").and_then(Value::as_str) {
        let numeric = NUMERIC_FORMATS.contains(&format);
        if numeric == matches!(kind, "integer" | "number") && kind != "boolean" {
            out.insert("format".to_string(), json!(format));
        }
    }
    if let Some(values) = map.get("enum").and_then(Value::as_array) {
        let fits = |v: &&Value| match kind {
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            "array" => v.is_array(),
            "object" => v.is_object(),
            _ => false,
        };
        out.insert("enum".to_string(), Value::Array(values.iter().filter(fits).cloned().collect()));
    }
    out
}

/// `oneOf`/`anyOf` with a branch that only allows `null`: the rest, made nullable.
fn null_branches(map: &mut Map<String, Value>) {
    for key in ["oneOf", "anyOf"] {
        let Some(Value::Array(branches)) = map.get(key) else { continue };
        if !branches.iter().any(is_null_only) {
            continue;
        }
        let rest: Vec<Value> = branches.iter().filter(|b| !is_null_only(b)).cloned().collect();
        map.insert("nullable".to_string(), json!(true));
        match rest.as_slice() {
            [] => {
                map.remove(key);
                map.insert("enum".to_string(), json!([null]));
            }
            [Value::Object(one)] if !one.contains_key("$ref") && one.keys().all(|k| !map.contains_key(k)) => {
                map.remove(key);
                for (k, v) in one {
                    map.insert(k.clone(), v.clone());
                }
            }
            [one] => {
                map.remove(key);
                map.insert("allOf".to_string(), json!([one]));
            }
            _ => {
                map.insert(key.to_string(), Value::Array(rest));
            }
        }
    }
}

/// A schema whose only value is `null` (as written in 3.1, or already lowered).
fn is_null_only(schema: &Value) -> bool {
    let Some(map) = schema.as_object() else { return false };
    let null_type = |v: &Value| v == &json!("null") || v == &json!(["null"]);
    let says_null = map.get("type").is_some_and(null_type)
        || map.get("const") == Some(&Value::Null)
        || map.get("enum") == Some(&json!([null]));
    says_null
        && map.iter().all(|(k, v)| match k.as_str() {
            "type" => null_type(v),
            "const" => v.is_null(),
            "enum" => v == &json!([null]),
            "nullable" => v == &json!(true),
            "description" | "title" => true,
            _ => false,
        })
}

/// `$ref` with siblings: annotations are dropped (3.0 ignores them next to `$ref`); anything with a
/// meaning (`nullable`, constraints) makes it `allOf: [{$ref}]` plus the siblings.
fn ref_siblings(map: &mut Map<String, Value>) {
    const ANNOTATIONS: &[&str] = &[
        "summary",
        "description",
        "title",
        "example",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "externalDocs",
    ];
    let Some(target) = map.get("$ref").cloned() else { return };
    map.retain(|key, _| key == "$ref" || !ANNOTATIONS.contains(&key.as_str()));
    if map.len() == 1 {
        return;
    }
    map.remove("$ref");
    let mut all_of = vec![json!({"$ref": target})];
    if let Some(Value::Array(existing)) = map.remove("allOf") {
        all_of.extend(existing);
    }
    map.insert("allOf".to_string(), Value::Array(all_of));
}
