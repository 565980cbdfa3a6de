//! The progenitor stage: a normalised spec in, progenitor's tokens out, and a failure located.
//!
//! progenitor (and typify under it) panics on some valid constructs and refuses others with a
//! message that names no place. Normalisation rewrites the known ones; for anything it missed, the
//! panic or error is caught and the spec is generated again piece
//! by piece (one component schema with what it references, then one operation at a time) until
//! the operation or schema responsible is found, so the error names its JSON pointer.

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use proc_macro2::TokenStream;
use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle};
use progenitor_impl::HooksMode;
use quote::quote;
use serde_json::{json, Map, Value};

use crate::spec::{self, pointer, SpecError};

/// What progenitor generated, and which optional crates the types need.
pub struct Generated {
    pub tokens: TokenStream,
    pub uses_chrono: bool,
    pub uses_uuid: bool,
    pub uses_regress: bool,
}

/// Runs progenitor on the normalised document; `replacements` are (component, Rust type) pairs.
pub fn run(file: &Path, doc: &Value, replacements: &[(String, String)]) -> Result<Generated, Vec<SpecError>> {
    let openapi = spec::to_openapi(file, doc).map_err(|e| vec![e])?;
    let settings = settings(replacements);
    let mut generator = Generator::new(&settings);
    match quiet_catch_unwind(|| generator.generate_tokens(&openapi)) {
        Ok(Ok(tokens)) => {
            let types = generator.get_type_space();
            Ok(Generated {
                tokens,
                uses_chrono: types.uses_chrono(),
                uses_uuid: types.uses_uuid(),
                uses_regress: types.uses_regress(),
            })
        }
        Ok(Err(e)) => Err(vec![locate(file, doc, replacements, &e.to_string())]),
        Err(panic) => Err(vec![locate(file, doc, replacements, &panic)]),
    }
}

fn settings(replacements: &[(String, String)]) -> GenerationSettings {
    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_inner_type(quote! { ::affiliate_runtime::Runtime })
        .with_hooks(HooksMode::Expected)
        .with_map_type("::std::collections::BTreeMap");
    for (component, rust) in replacements {
        settings.with_replacement(component, rust, std::iter::empty());
    }
    settings
}

/// progenitor's message for `doc`, if it panics or fails on it.
fn fails(doc: &Value, replacements: &[(String, String)]) -> Option<String> {
    let openapi: openapiv3::OpenAPI = serde_json::from_value(doc.clone()).ok()?;
    let mut generator = Generator::new(&settings(replacements));
    match quiet_catch_unwind(|| generator.generate_tokens(&openapi).map(|_| ())) {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(panic) => Some(panic),
    }
}

/// Finds the component schema, else the operation, that progenitor fails on alone.
fn locate(file: &Path, doc: &Value, replacements: &[(String, String)], whole: &str) -> SpecError {
    let error = |at: String, what: &str, message: String| {
        SpecError::new(
            file,
            at,
            format!(
                "the generator cannot turn this {what} into Rust: progenitor fails on it ({}); simplify \
                 the construct (an inline schema into a `$ref`, a union into one object) or report it",
                message.lines().next().unwrap_or_default()
            ),
        )
    };
    // Schemas first: every one-operation document below carries all of them.
    let schemas = doc.pointer("/components/schemas").and_then(Value::as_object).cloned().unwrap_or_default();
    for name in schemas.keys() {
        let mut alone = doc.clone();
        alone["paths"] = json!({});
        alone["components"]["schemas"] = Value::Object(closure(&schemas, name));
        if let Some(message) = fails(&alone, replacements) {
            return error(pointer(&["components", "schemas", name]), "schema", message);
        }
    }
    let paths = doc.get("paths").and_then(Value::as_object).cloned().unwrap_or_default();
    for (path, item) in &paths {
        for (method, op) in item.as_object().into_iter().flatten().filter(|(_, op)| op.is_object()) {
            let mut alone = doc.clone();
            alone["paths"] = json!({ path: { method: op } });
            if let Some(message) = fails(&alone, replacements) {
                return error(pointer(&["paths", path, method]), "operation", message);
            }
        }
    }
    // Only the whole document fails: nothing smaller to point at.
    error(String::new(), "document", whole.to_string())
}

/// Schema `name` and every component schema it references, directly or not.
fn closure(schemas: &Map<String, Value>, name: &str) -> Map<String, Value> {
    let mut seen = BTreeSet::new();
    let mut pending = vec![name.to_string()];
    while let Some(next) = pending.pop() {
        if !seen.insert(next.clone()) {
            continue;
        }
        if let Some(schema) = schemas.get(&next) {
            refs(schema, &mut pending);
        }
    }
    schemas.iter().filter(|(k, _)| seen.contains(*k)).map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) =
                map.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                out.push(name.to_string());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

thread_local! {
    /// Set while this thread runs generator code whose panics are reported as spec errors.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, turning a panic into its message without printing the default panic report.
///
/// The panic hook is process-global: swapping it per call would race with other threads (parallel
/// tests) and could silence, or restore over, someone else's. Instead one hook is installed once;
/// it stays quiet only on a thread inside this function and defers to the previous hook otherwise.
fn quiet_catch_unwind<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result.map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown panic".to_string())
    })
}
