//! `cargo xtask`: the workspace's one build tool. `regenerate [--check]` turns `specs/*.yaml` into the
//! committed client crates under `crates/`.

mod generate;
mod glue;
mod normalise;
mod postprocess;
mod spec;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub use spec::{Result, SpecError};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  regenerate [--check] [--root DIR]
      Generate crates/affiliate-<name>/ from every specs/<name>.yaml.
      --check writes nothing and fails if any generated file is stale.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> std::result::Result<(), String> {
    let mut args = args.iter().map(String::as_str);
    match args.next() {
        Some("regenerate") => {
            let mut check = false;
            let mut root = workspace_root();
            while let Some(arg) = args.next() {
                match arg {
                    "--check" => check = true,
                    "--root" => {
                        root = PathBuf::from(args.next().ok_or("--root needs a directory")?);
                    }
                    other => return Err(format!("unknown argument `{other}`\n\n{USAGE}")),
                }
            }
            regenerate(&root, check)
        }
        Some("-h" | "--help" | "help") | None => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    }
}

/// The workspace root: the parent of this crate's manifest directory.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn regenerate(root: &Path, check: bool) -> std::result::Result<(), String> {
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
            println!("regenerate --check: {} files up to date", outputs.len());
            return Ok(());
        }
        let mut text = String::from("generated files are out of date with specs/:\n");
        for path in &stale {
            text.push_str(&format!("  {}\n", path.display()));
        }
        text.push_str("run `cargo xtask regenerate` and commit the result");
        return Err(text);
    }
    let written = generate::write_outputs(root, &outputs).map_err(|e| e.to_string())?;
    println!("regenerate: {} files checked, {} written", outputs.len(), written);
    Ok(())
}

#[cfg(test)]
mod tests;
