//! `cargo xtask`: the workspace's one build tool. `regenerate [--check [--diff]]` turns `specs/*.yaml` into the
//! committed client crates under `crates/`. The library half exists so tests can call the
//! generator directly; `main.rs` is the command line.

// Unit-test builds also link the dev-dependencies, which only the integration tests use.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod api_change;
pub mod emit;
pub mod generate;
pub mod lower;
pub mod model;
pub mod naming;
mod progenitor;
mod read;
mod rewrite;
pub mod spec;

use std::path::Path;

pub use spec::{Result, SpecError};

/// `cargo xtask regenerate [--check [--diff]]` over the workspace at `root`; the error is the
/// report to print. `diff` adds a unified diff of every stale file to a failed check.
pub fn regenerate(root: &Path, check: bool, diff: bool) -> std::result::Result<String, String> {
    let outputs = generate::generate_workspace(root).map_err(|errors| {
        let mut text = String::new();
        for e in &errors {
            text.push_str(&format!("error: {e}\n"));
        }
        text.push_str(&format!("{} spec error(s); nothing was written", errors.len()));
        text
    })?;
    if check {
        let stale = generate::stale_files(root, &outputs);
        if stale.is_empty() {
            return Ok(format!("regenerate --check: {} files up to date", outputs.len()));
        }
        let mut text = String::from("generated files are out of date with specs/:\n");
        for path in &stale {
            text.push_str(&format!("  {}\n", path.display()));
        }
        text.push_str("run `cargo xtask regenerate` and commit the result");
        for change in api_change::changes(root, &outputs) {
            text.push_str(&format!("\n{change}"));
        }
        if diff {
            text.push('\n');
            text.push_str(&generate::stale_diff(root, &outputs, &stale));
        }
        return Err(text);
    }
    // Read before writing: the committed crates are the old API.
    let changes = api_change::changes(root, &outputs);
    let written = generate::write_outputs(root, &outputs).map_err(|e| e.to_string())?;
    let mut report = format!("regenerate: {} files checked, {} written", outputs.len(), written);
    for change in changes {
        report.push_str(&format!("\n{change}"));
    }
    Ok(report)
}

/// `cargo xtask normalise FILE`: the document progenitor is given for `file`, as pretty JSON, or
/// the spec errors as the report to print.
pub fn normalised(file: &Path) -> std::result::Result<String, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
    let report = |errors: Vec<SpecError>| errors.iter().map(|e| format!("error: {e}")).collect::<Vec<_>>().join("\n");
    let doc = generate::normalised(file, &text).map_err(report)?;
    serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())
}
