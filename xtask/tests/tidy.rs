//! House rules as a test (after rust-analyzer's `tidy`): every rule is a function from the
//! workspace's files to the violations it finds; `house_rules` runs them all over the real tree,
//! and `rules_catch_what_they_claim` feeds each one a bad sample so none of them can pass vacuously.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use xtask::emit::HEADER;

/// A text file of the workspace: path relative to the root, and content.
struct File {
    path: PathBuf,
    text: String,
}

/// What the rules look at, read once.
struct Tree {
    /// Hand-written Rust: everything outside generated crates and files, `target/` and tool caches.
    rust: Vec<File>,
    /// Spec names: `<name>` of every `specs/<name>.yaml` (the vendors).
    specs: Vec<String>,
    extensions_doc: String,
    /// `tests/tests/it/*.rs`.
    integration: Vec<File>,
    /// Hand-written crates: manifest and every Rust file under the crate's directory.
    crates: Vec<(File, Vec<File>)>,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn is_generated_crate(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml")).is_ok_and(|m| m.lines().next().is_some_and(|l| l.contains(HEADER)))
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<File>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            if name.starts_with('.') || name == "target" || name == "node_modules" || is_generated_crate(&path) {
                continue;
            }
            walk(root, &path, out);
        } else if name.ends_with(".rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            // Generated modules inside a hand-written crate (the CLI's `src/apis/`) are not hand-written.
            if text.lines().next().is_some_and(|l| l.contains(HEADER)) {
                continue;
            }
            out.push(File { path: path.strip_prefix(root).unwrap().to_path_buf(), text });
        }
    }
}

fn read_tree(root: &Path) -> Tree {
    let mut rust = Vec::new();
    walk(root, root, &mut rust);
    let mut specs: Vec<String> = std::fs::read_dir(root.join("specs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().to_string())
        .collect();
    specs.sort();
    let integration = rust.iter().filter(|f| f.path.starts_with("tests/tests/it")).map(clone).collect();
    let mut crates = Vec::new();
    for dir in [
        "xtask",
        "crates/affiliate-runtime",
        "crates/affiliate-mock",
        "crates/affiliate-cli",
        "tests",
        "examples/service",
        "examples/services",
    ] {
        let manifest = File {
            path: PathBuf::from(dir).join("Cargo.toml"),
            text: std::fs::read_to_string(root.join(dir).join("Cargo.toml")).unwrap(),
        };
        let sources = rust.iter().filter(|f| f.path.starts_with(dir)).map(clone).collect();
        crates.push((manifest, sources));
    }
    Tree {
        rust,
        specs,
        extensions_doc: std::fs::read_to_string(root.join("docs/spec-extensions.md")).unwrap(),
        integration,
        crates,
    }
}

fn clone(f: &File) -> File {
    File { path: f.path.clone(), text: f.text.clone() }
}

/// Every hand-written module starts with a `//!` line saying what it is for.
fn module_docs(tree: &Tree) -> Vec<String> {
    tree.rust
        .iter()
        .filter(|f| !f.text.starts_with("//!"))
        .map(|f| format!("{}: does not start with a `//!` line", f.path.display()))
        .collect()
}

/// Vendor differences live in the specs: the generator, the runtime, the mock base and the CLI's
/// hand-written sources name no vendor (its tests and generated modules may).
fn vendor_names(tree: &Tree) -> Vec<String> {
    let mut out = Vec::new();
    let vendor_free = ["xtask/src", "crates/affiliate-runtime", "crates/affiliate-mock", "crates/affiliate-cli/src"];
    for f in tree.rust.iter().filter(|f| vendor_free.iter().any(|dir| f.path.starts_with(dir))) {
        let lower = f.text.to_lowercase();
        for vendor in &tree.specs {
            if let Some(at) = lower.find(&vendor.to_lowercase()) {
                let line = lower[..at].lines().count().max(1);
                out.push(format!("{}:{line}: names the vendor `{vendor}`", f.path.display()));
            }
        }
    }
    out
}

/// `x-affiliate-<name>` words in a text.
fn extension_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("x-affiliate-") {
        let tail = &rest[at + "x-affiliate-".len()..];
        let len = tail.find(|c: char| !(c.is_ascii_lowercase() || c == '-')).unwrap_or(tail.len());
        let name = tail[..len].trim_end_matches('-');
        if !name.is_empty() {
            names.insert(format!("x-affiliate-{name}"));
        }
        rest = &tail[len..];
    }
    names
}

/// The extensions the code reads and the ones the docs describe are the same set.
fn extensions_documented(tree: &Tree) -> Vec<String> {
    let code: BTreeSet<String> = tree
        .rust
        .iter()
        .filter(|f| f.path.starts_with("xtask/src") || f.path.starts_with("crates/affiliate-runtime/src"))
        .flat_map(|f| extension_names(&f.text))
        .collect();
    let docs = extension_names(&tree.extensions_doc);
    let mut out = Vec::new();
    for name in code.difference(&docs) {
        out.push(format!("`{name}` is used in the code but missing from docs/spec-extensions.md"));
    }
    for name in docs.difference(&code) {
        out.push(format!("`{name}` is documented in docs/spec-extensions.md but no code reads it"));
    }
    out
}

/// Every spec has integration tests (`tests/tests/it/<name>.rs`) and is in the conformance suite.
fn specs_tested(tree: &Tree) -> Vec<String> {
    let find = |name: &str| tree.integration.iter().find(|f| f.path.file_name().is_some_and(|n| n == name));
    let conformance = find("conformance.rs").map(|f| f.text.as_str()).unwrap_or_default();
    let main = find("main.rs").map(|f| f.text.as_str()).unwrap_or_default();
    let mut out = Vec::new();
    for spec in &tree.specs {
        if find(&format!("{spec}.rs")).is_none() || !main.contains(&format!("mod {spec};")) {
            out.push(format!("specs/{spec}.yaml has no integration tests (tests/tests/it/{spec}.rs, `mod {spec};`)"));
        }
        if !conformance.contains(&format!("\"{spec}\"")) || !conformance.contains(&format!("{spec}::cases()")) {
            out.push(format!("specs/{spec}.yaml is not in the conformance suite (tests/tests/it/conformance.rs)"));
        }
    }
    out
}

/// Dependency names declared in a manifest's `[dependencies]`-like tables.
fn declared(manifest: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_deps = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_deps = matches!(line, "[dependencies]" | "[dev-dependencies]" | "[build-dependencies]");
            continue;
        }
        if !in_deps || line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((name, _)) = line.split_once('=') {
            names.push(name.trim().to_string());
        }
    }
    names
}

/// Dependencies enabled for a feature only, not named in code (`dep:x` in `[features]`, or kept
/// for the feature flags they switch on elsewhere in the graph).
fn feature_only(manifest: &str, name: &str) -> bool {
    manifest.contains(&format!("\"dep:{name}\"")) || manifest.contains(&format!("\"{name}/"))
}

/// The compiler's `unused_crate_dependencies` lint at every hand-written crate root (clippy's
/// `-D warnings` makes it an error). The test crate's dependencies serve its test and bench
/// targets, which the lint cannot judge from the library, so there a text check stands in: each
/// is named in its Rust (a path `name::`, `use name`, or `extern crate`).
fn unused_dependencies(tree: &Tree) -> Vec<String> {
    let mut out = Vec::new();
    for (manifest, sources) in &tree.crates {
        let dir = manifest.path.parent().unwrap_or(Path::new(""));
        let linted = sources.iter().any(|f| {
            (f.path == dir.join("src/lib.rs") || f.path == dir.join("src/main.rs"))
                && f.text.contains("warn(unused_crate_dependencies)")
        });
        if linted {
            continue;
        }
        if dir != Path::new("tests") {
            out.push(format!("{}: the crate root lacks `#![warn(unused_crate_dependencies)]`", dir.display()));
            continue;
        }
        for name in declared(&manifest.text) {
            let ident = name.replace('-', "_");
            let used = sources.iter().any(|f| {
                f.text.contains(&format!("{ident}::"))
                    || f.text.contains(&format!("use {ident}"))
                    || f.text.contains(&format!("extern crate {ident}"))
            });
            if !used && !feature_only(&manifest.text, &name) {
                out.push(format!("{}: `{name}` is declared but never used", manifest.path.display()));
            }
        }
    }
    out
}

/// The generator's modules (`xtask/src`) import one way: no module reaches, through `crate::`
/// or `super::` paths, a module that reaches back to it (a parent's own children it declares do
/// not count: `pub mod` is not an import).
fn import_circles(tree: &Tree) -> Vec<String> {
    let module = |path: &Path| -> Option<String> {
        let rel = path.strip_prefix("xtask/src").ok()?.with_extension("");
        let name = rel.to_string_lossy().replace('/', "::");
        let name = name.strip_suffix("::mod").unwrap_or(&name).to_string();
        (name != "lib" && name != "main").then_some(name)
    };
    // The code, without comments and without unit tests (which import their module's parent).
    let code = |text: &str| -> String {
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
    };
    let files: Vec<(String, String)> =
        tree.rust.iter().filter_map(|f| module(&f.path).map(|m| (m, code(&f.text)))).collect();
    let names: BTreeSet<&str> = files.iter().map(|(m, _)| m.as_str()).collect();
    // `a::b::Item` names module `a::b` if there is one, else `a`.
    let target = |path: &str| -> Option<String> {
        let parts: Vec<&str> = path.split("::").collect();
        (1..=parts.len()).rev().map(|n| parts[..n].join("::")).find(|m| names.contains(m.as_str()))
    };
    let mut edges: BTreeSet<(String, String)> = BTreeSet::new();
    for (from, text) in &files {
        let parent = from.rsplit_once("::").map(|(p, _)| p.to_string());
        let mut paths: Vec<String> = Vec::new();
        for (prefix, base) in
            [("crate::", String::new()), ("super::", parent.clone().map(|p| p + "::").unwrap_or_default())]
        {
            let mut rest = text.as_str();
            while let Some(at) = rest.find(prefix) {
                let after = &rest[at + prefix.len()..];
                let len =
                    after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':')).unwrap_or(after.len());
                paths.push(format!("{base}{}", after[..len].trim_end_matches(':')));
                rest = &after[len..];
            }
        }
        // A module's own children, named relative to it (`mock::generate(..)` in `emit`).
        for child in names.iter().filter(|n| n.strip_prefix(from.as_str()).is_some_and(|r| r.starts_with("::"))) {
            let last = child.rsplit("::").next().unwrap_or_default();
            let named = text
                .match_indices(&format!("{last}::"))
                .any(|(at, _)| !text[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':'));
            if named {
                paths.push(child.to_string());
            }
        }
        for path in paths {
            if let Some(to) = target(&path).filter(|to| to != from) {
                edges.insert((from.clone(), to));
            }
        }
    }
    let mut out = Vec::new();
    for (a, b) in &edges {
        // A circle through `a -> b`: a path from `b` back to `a`.
        let mut seen = BTreeSet::from([b.clone()]);
        let mut todo = vec![b.clone()];
        while let Some(m) = todo.pop() {
            for (_, next) in edges.iter().filter(|(from, _)| *from == m) {
                if next == a && a < b {
                    out.push(format!("xtask/src: `{a}` imports `{b}`, which leads back to `{a}`"));
                }
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

type Rule = fn(&Tree) -> Vec<String>;

const RULES: &[(&str, Rule)] = &[
    ("module docs", module_docs),
    ("vendor names", vendor_names),
    ("extensions documented", extensions_documented),
    ("specs tested", specs_tested),
    ("unused dependencies", unused_dependencies),
    ("import circles", import_circles),
];

#[test]
fn house_rules() {
    let tree = read_tree(&root());
    assert!(tree.rust.len() > 20 && tree.specs.len() > 1, "the tidy walk found the workspace");
    let mut violations = Vec::new();
    for (rule, check) in RULES {
        violations.extend(check(&tree).into_iter().map(|v| format!("[{rule}] {v}")));
    }
    assert!(violations.is_empty(), "house rules broken:\n{}", violations.join("\n"));
}

/// Each rule, given a tree with one planted violation, reports it (one case per rule).
#[test]
fn rules_catch_what_they_claim() {
    let file = |path: &str, text: &str| File { path: PathBuf::from(path), text: text.to_string() };
    let empty = || Tree {
        rust: Vec::new(),
        specs: vec!["acme".to_string()],
        extensions_doc: String::new(),
        integration: vec![
            file("tests/tests/it/acme.rs", "//! acme"),
            file("tests/tests/it/main.rs", "mod acme;"),
            file("tests/tests/it/conformance.rs", "\"acme\" => acme::cases()"),
        ],
        crates: Vec::new(),
    };
    let check = |rule: Rule, tree: Tree, expected: &str| {
        let found = rule(&tree);
        assert!(found.iter().any(|v| v.contains(expected)), "expected `{expected}`, got {found:?}");
    };
    let mut t = empty();
    t.rust.push(file("xtask/src/x.rs", "fn main() {}\n"));
    check(module_docs, t, "xtask/src/x.rs: does not start with a `//!` line");
    let mut t = empty();
    t.rust.push(file("crates/affiliate-runtime/src/x.rs", "//! x\n// ACME quirk\n"));
    check(vendor_names, t, "crates/affiliate-runtime/src/x.rs:2: names the vendor `acme`");
    let mut t = empty();
    t.rust.push(file(
        "crates/affiliate-cli/src/support.rs",
        "//! x
// Acme only
",
    ));
    check(vendor_names, t, "crates/affiliate-cli/src/support.rs:2: names the vendor `acme`");
    let mut t = empty();
    t.rust.push(file("xtask/src/x.rs", "//! x\nconst A: &str = \"x-affiliate-shiny\";\n"));
    t.extensions_doc = "`x-affiliate-dusty: true`".to_string();
    check(extensions_documented, clone_tree(&t), "`x-affiliate-shiny` is used in the code but missing");
    check(extensions_documented, t, "`x-affiliate-dusty` is documented in docs/spec-extensions.md but no code");
    let mut t = empty();
    t.specs.push("other".to_string());
    check(specs_tested, clone_tree(&t), "specs/other.yaml has no integration tests");
    check(specs_tested, t, "specs/other.yaml is not in the conformance suite");
    let mut t = empty();
    t.crates.push((
        file("xtask/Cargo.toml", "[dependencies]\nheck = \"0.5\"\n"),
        vec![file("xtask/src/lib.rs", "//! x\n")],
    ));
    check(unused_dependencies, t, "xtask: the crate root lacks `#![warn(unused_crate_dependencies)]`");
    let mut t = empty();
    t.crates.push((
        file("tests/Cargo.toml", "[dependencies]\nserde = \"1\"\nheck = \"0.5\"\n"),
        vec![file("tests/src/lib.rs", "//! x\nuse serde::Serialize;\n")],
    ));
    check(unused_dependencies, t, "tests/Cargo.toml: `heck` is declared but never used");
    let mut t = empty();
    t.rust.push(file("xtask/src/model/a.rs", "//! a\nuse crate::model::b::B;\n"));
    t.rust.push(file("xtask/src/model/b.rs", "//! b\nfn f() { super::a::g() }\n"));
    t.rust.push(file("xtask/src/spec.rs", "//! s\n"));
    check(import_circles, clone_tree(&t), "`model::a` imports `model::b`, which leads back to `model::a`");
    t.rust.push(file("xtask/src/emit/mod.rs", "//! e\npub mod cli;\npub const H: &str = \"\";\nfn f() { cli::g() }\n"));
    t.rust.push(file("xtask/src/emit/cli.rs", "//! c\nconst X: &str = crate::emit::H;\n"));
    check(import_circles, t, "`emit` imports `emit::cli`, which leads back to `emit`");
}

fn clone_tree(t: &Tree) -> Tree {
    Tree {
        rust: t.rust.iter().map(clone).collect(),
        specs: t.specs.clone(),
        extensions_doc: t.extensions_doc.clone(),
        integration: t.integration.iter().map(clone).collect(),
        crates: t.crates.iter().map(|(m, s)| (clone(m), s.iter().map(clone).collect())).collect(),
    }
}

/// The files under `crates/` whose `linguist-generated` attribute disagrees with their header:
/// (path, starts with the generated header, the attribute is set).
fn generated_attribute_mismatches(files: &[(String, bool, bool)]) -> Vec<String> {
    files
        .iter()
        .filter(|(_, headed, marked)| headed != marked)
        .map(|(path, headed, _)| {
            if *headed {
                format!("{path} is generated but .gitattributes does not mark it linguist-generated")
            } else {
                format!("{path} is hand-written but .gitattributes marks it linguist-generated")
            }
        })
        .collect()
}

/// `.gitattributes` marks exactly the files `cargo xtask regenerate` writes (those with its header)
/// as generated, among the files git tracks under `crates/`.
#[test]
fn gitattributes_mark_exactly_the_generated_files() {
    let root = root();
    let git = |args: &[&str], input: &str| {
        use std::io::Write;
        let mut child = std::process::Command::new("git")
            .args(args)
            .current_dir(&root)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("git runs (the tree is a git checkout)");
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "git {args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let listed = git(&["ls-files", "crates"], "");
    let attributes = git(&["check-attr", "linguist-generated", "--stdin"], &listed);
    let files: Vec<(String, bool, bool)> = attributes
        .lines()
        .filter_map(|line| {
            let (path, value) = line.rsplit_once(": linguist-generated: ")?;
            let text = std::fs::read_to_string(root.join(path)).unwrap_or_default();
            let headed = text.lines().next().is_some_and(|l| l.contains(HEADER));
            Some((path.to_string(), headed, value == "true" || value == "set"))
        })
        .collect();
    assert!(files.iter().filter(|f| f.1).count() > 10, "generated files found: {}", files.len());
    let mismatches = generated_attribute_mismatches(&files);
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    // The rule itself, on planted rows.
    let planted = [
        ("crates/affiliate-mock/src/lib.rs".to_string(), false, true),
        ("crates/affiliate-x/src/lib.rs".to_string(), true, false),
        ("crates/affiliate-x/Cargo.toml".to_string(), true, true),
    ];
    assert_eq!(generated_attribute_mismatches(&planted).len(), 2);
}

/// What crates.io and docs.rs need of a publishable manifest (one without `publish = false`), as
/// (path, manifest text, whether its readme file exists): the fields, and a version on every
/// internal (path) dependency. Workspace-inherited fields count.
fn publishing_gaps(manifests: &[(String, String, bool)]) -> Vec<String> {
    let mut out = Vec::new();
    for (path, text, readme_exists) in manifests {
        if text.lines().any(|l| l.trim() == "publish = false") {
            continue;
        }
        for field in ["version", "description", "license", "repository", "readme", "keywords", "categories"] {
            let present = text
                .lines()
                .any(|l| l.starts_with(&format!("{field} =")) || l.starts_with(&format!("{field}.workspace")));
            if !present {
                out.push(format!("{path}: no `{field}`"));
            }
        }
        if !readme_exists {
            out.push(format!("{path}: its readme file is missing"));
        }
        if text.contains("[features]") && !text.contains("[package.metadata.docs.rs]") {
            out.push(format!("{path}: features but no [package.metadata.docs.rs]"));
        }
        for line in text.lines().filter(|l| l.contains("= {") && l.contains("path = ") && !l.contains("version = ")) {
            out.push(format!("{path}: an internal dependency without a version: {line}"));
        }
    }
    out
}

/// Every crate a service may depend on is publishable as `cargo package` and crates.io want it.
#[test]
fn publishable_crates_carry_their_metadata() {
    let root = root();
    let mut manifests = Vec::new();
    for entry in std::fs::read_dir(root.join("crates")).unwrap() {
        let dir = entry.unwrap().path();
        let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else { continue };
        let readme = text.lines().find_map(|l| l.strip_prefix("readme = \"")).and_then(|r| r.split('"').next());
        let exists = readme.is_some_and(|r| dir.join(r).is_file());
        manifests.push((dir.strip_prefix(&root).unwrap().display().to_string(), text, exists));
    }
    assert!(manifests.len() >= 5, "crates found: {}", manifests.len());
    let gaps = publishing_gaps(&manifests);
    assert!(gaps.is_empty(), "{}", gaps.join("\n"));
    for internal in
        ["xtask/Cargo.toml", "tests/Cargo.toml", "examples/service/Cargo.toml", "examples/services/Cargo.toml"]
    {
        let text = std::fs::read_to_string(root.join(internal)).unwrap();
        assert!(text.lines().any(|l| l.trim() == "publish = false"), "{internal} is internal: publish = false");
    }
    // The rule itself, on a planted manifest.
    let planted = "[package]\nname = \"x\"\nversion = \"0.1.0\"\nlicense.workspace = true\n[features]\n\
                   [dependencies]\naffiliate-runtime = { path = \"../affiliate-runtime\" }\n";
    let found = publishing_gaps(&[("crates/x/Cargo.toml".into(), planted.into(), false)]);
    assert_eq!(found.len(), 8, "{found:#?}");
}
