//! The pipeline, run per spec (spec -> model -> progenitor -> rewrite -> read -> emit), and
//! writing or checking the generated files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::emit::{self, HEADER};
use crate::model::normalise;
use crate::model::paths::{self, PathKeys};
use crate::spec::{self, SpecError};
use crate::{lower, naming, progenitor, read, rewrite};

/// Generated files by path relative to the workspace root.
pub type Outputs = BTreeMap<PathBuf, String>;

/// Generates every crate; all spec errors are collected, not just the first.
pub fn generate_workspace(root: &Path) -> Result<Outputs, Vec<SpecError>> {
    let specs_dir = root.join("specs");
    let mut specs: Vec<PathBuf> = std::fs::read_dir(&specs_dir)
        .map_err(|e| vec![SpecError::new(&specs_dir, "", format!("cannot list: {e}"))])?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    specs.sort();
    let mut outputs = Outputs::new();
    let mut errors = Vec::new();
    for spec in specs {
        let relative = spec.strip_prefix(root).unwrap_or(&spec).to_path_buf();
        let text = match std::fs::read_to_string(&spec) {
            Ok(text) => text,
            Err(e) => {
                errors.push(SpecError::new(&relative, "", format!("cannot read: {e}")));
                continue;
            }
        };
        match generate_crate(&relative, &text) {
            Ok(files) => outputs.extend(files),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        let index = emit::cli::index(&outputs);
        outputs.extend([index]);
        Ok(outputs)
    } else {
        Err(errors)
    }
}

/// Generates one crate from one spec's text. `file` is the spec's path as reported in errors.
pub fn generate_crate(file: &Path, text: &str) -> Result<Outputs, Vec<SpecError>> {
    generate_with_surface(file, text).map(|(outputs, _)| outputs)
}

/// The spec as progenitor is given it: parsed, lowered onto OpenAPI 3.0 and normalised.
pub fn normalised(file: &Path, text: &str) -> Result<serde_json::Value, Vec<SpecError>> {
    let (mut doc, keys) = prepared(file, text)?;
    normalise::normalise(file, &mut doc).map_err(|e| relocated(&keys, e))?;
    Ok(doc)
}

/// The spec parsed, with `$ref`s decoded, lowered onto OpenAPI 3.0 (before anything, the mock's
/// examples included, reads it) and its path templates made what they mean.
fn prepared(file: &Path, text: &str) -> Result<(serde_json::Value, PathKeys), Vec<SpecError>> {
    let mut doc = spec::parse(file, text).map_err(|e| vec![e])?;
    normalise::decode_refs(&mut doc);
    lower::lower(file, &mut doc)?;
    let keys = paths::templates(file, &mut doc)?;
    Ok((doc, keys))
}

/// Errors against rewritten path keys, put back on the keys as written.
fn relocated(keys: &PathKeys, errors: Vec<SpecError>) -> Vec<SpecError> {
    errors.into_iter().map(|e| keys.relocate(e)).collect()
}

/// Like [`generate_crate`], with the Surface's description (`Surface::describe`) beside the files.
pub fn generate_with_surface(file: &Path, text: &str) -> Result<(Outputs, String), Vec<SpecError>> {
    let (doc, keys) = prepared(file, text)?;
    generate_prepared(file, doc).map_err(|e| relocated(&keys, e))
}

fn generate_prepared(file: &Path, mut doc: serde_json::Value) -> Result<(Outputs, String), Vec<SpecError>> {
    // The mock crate answers with the spec's examples, which normalisation folds away.
    let original = doc.clone();
    let api = normalise::normalise(file, &mut doc)?;
    let crate_name = format!("affiliate-{}", naming::module(&api.name).replace('_', "-"));
    let fail = |message: String| vec![SpecError::new(file, "", message)];
    let located = |errors: Vec<(String, String)>| -> Vec<SpecError> {
        errors.into_iter().map(|(at, message)| SpecError::new(file, at, message)).collect()
    };

    let generated = progenitor::run(file, &doc, &api.replacements)?;
    let mut file_ast: syn::File =
        syn::parse2(generated.tokens.clone()).map_err(|e| fail(format!("progenitor produced unparsable code: {e}")))?;
    let builders = rewrite::rewrite(&mut file_ast).map_err(fail)?;
    rewrite::tri_state(&mut file_ast, &api.tri_state)
        .map_err(|(at, message)| vec![SpecError::new(file, at, message)])?;
    rewrite::setters(&mut file_ast).map_err(fail)?;
    let literals: Vec<(String, Vec<(String, String)>)> = api
        .operations
        .iter()
        .map(|op| {
            let mut list: Vec<(String, String)> =
                op.renamed.iter().map(|r| (r.alias.clone(), r.wire.clone())).collect();
            list.extend(op.body_media_type.iter().map(|m| ("application/octet-stream".to_string(), m.clone())));
            (naming::builder(&op.rust), list)
        })
        .collect();
    rewrite::literals(&mut file_ast, &literals).map_err(fail)?;
    let types = rewrite::Types::new(&file_ast);
    let source = file.display().to_string();
    // Read once: every emitter below is a function of the Surface.
    let surface = read::read(api, &original, &builders, types, &crate_name, &source).map_err(located)?;
    let mut outputs: Outputs = emit::client(&surface, file_ast, &generated).map_err(located)?.into_iter().collect();
    outputs.extend(emit::mock::generate(&surface).map_err(fail)?);
    outputs.extend([emit::cli::generate(&surface).map_err(fail)?]);
    Ok((outputs, surface.describe()))
}

/// Generated crates on disk that no spec produces any more (their spec was removed).
fn orphans(root: &Path, outputs: &Outputs) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root.join("crates")) else { return Vec::new() };
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|dir| {
            std::fs::read_to_string(dir.join("Cargo.toml"))
                .is_ok_and(|m| m.lines().next().is_some_and(|l| l.contains(HEADER)))
        })
        .filter_map(|dir| dir.strip_prefix(root).ok().map(Path::to_path_buf))
        .filter(|dir| !outputs.keys().any(|p| p.starts_with(dir)))
        .collect();
    found.sort();
    found
}

/// The file on disk with line endings normalised: a Windows checkout (`core.autocrlf`) is not stale.
fn on_disk(root: &Path, path: &Path) -> Option<String> {
    std::fs::read_to_string(root.join(path)).ok().map(|text| text.replace("\r\n", "\n"))
}

/// Paths whose content differs from what would be generated (missing, changed, or orphaned).
pub fn stale_files(root: &Path, outputs: &Outputs) -> Vec<PathBuf> {
    let mut stale: Vec<PathBuf> = outputs
        .iter()
        .filter(|(path, content)| on_disk(root, path).as_deref() != Some(content.as_str()))
        .map(|(path, _)| path.clone())
        .collect();
    stale.extend(orphans(root, outputs));
    stale
}

/// Writes changed files and removes orphaned crates; returns how many paths changed.
pub fn write_outputs(root: &Path, outputs: &Outputs) -> std::io::Result<usize> {
    let stale = stale_files(root, outputs);
    for path in &stale {
        let full = root.join(path);
        match outputs.get(path) {
            Some(content) => {
                if let Some(parent) = full.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(&full, content)?;
            }
            None => std::fs::remove_dir_all(&full)?,
        }
    }
    Ok(stale.len())
}

/// A unified diff from what is on disk to what would be generated, for each stale path.
pub fn stale_diff(root: &Path, outputs: &Outputs, stale: &[PathBuf]) -> String {
    let mut text = String::new();
    for path in stale {
        let shown = path.display().to_string().replace('\\', "/");
        match outputs.get(path) {
            Some(new) => {
                let old = on_disk(root, path).unwrap_or_default();
                let diff = similar::TextDiff::from_lines(old.as_str(), new.as_str());
                let unified = diff
                    .unified_diff()
                    .context_radius(3)
                    .header(&format!("a/{shown}"), &format!("b/{shown}"))
                    .to_string();
                text.push_str(&unified);
            }
            None => text.push_str(&format!("--- a/{shown}\n+++ /dev/null\n(no spec produces this crate any more)\n")),
        }
    }
    text
}
