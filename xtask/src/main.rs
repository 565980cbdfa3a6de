//! The `cargo xtask` command line; the work is in the library (`lib.rs`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  regenerate [--check [--diff]] [--root DIR]
      Generate crates/affiliate-<name>/ from every specs/<name>.yaml.
      --check writes nothing and fails if any generated file is stale;
      --diff also prints a unified diff of what is stale.
      Says, per generated crate whose public API changes, whether additively or
      breakingly, and the x-affiliate-crate-version that needs (docs/semver.md).
  normalise FILE
      Print the document progenitor is given for FILE (after lowering and
      normalisation), as JSON: to see what the generator made of a construct.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(report) => {
            eprintln!("{report}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<String, String> {
    let mut args = args.iter().map(String::as_str);
    match args.next() {
        Some("regenerate") => {
            let mut check = false;
            let mut diff = false;
            let mut root = workspace_root();
            while let Some(arg) = args.next() {
                match arg {
                    "--check" => check = true,
                    "--diff" => diff = true,
                    "--root" => root = PathBuf::from(args.next().ok_or("--root needs a directory")?),
                    other => return Err(format!("unknown argument `{other}`\n\n{USAGE}")),
                }
            }
            if diff && !check {
                return Err("--diff goes with --check".to_string());
            }
            xtask::regenerate(&root, check, diff)
        }
        Some("normalise") => match (args.next(), args.next()) {
            (Some(file), None) => xtask::normalised(Path::new(file)),
            _ => Err(format!("normalise takes one spec file\n\n{USAGE}")),
        },
        Some("-h" | "--help" | "help") | None => Ok(USAGE.trim_end().to_string()),
        Some(other) => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    }
}

/// The workspace root: the parent of this crate's manifest directory.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
}
