//! Conformance against Prism, an independent mock server that validates requests and generates responses.
//!
//! Every operation of every spec is called through its generated client, replaying the case tables
//! of the per-API tests:
//! - against `prism mock --errors`: Prism validates each request against the spec (a violation
//!   answers 422 with an `sl-violations` header, which fails the test with Prism's message) and
//!   answers with the documented example, which must decode;
//! - against `prism mock --dynamic --seed N` for several seeds: responses generated from the
//!   schemas must decode.
//!
//! Prism comes from npm; the first test that needs it installs the pinned version into `.tools/`
//! (git-ignored), so `cargo test` works on a fresh machine with Node.js and npm.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Mutex;
use std::time::Duration;

use affiliate_runtime::Error;
use tokio::process::{Child, Command};

use crate::support::{Case, Spec};
use crate::{dub, geniuslink, partnerize};

const PRISM_VERSION: &str = "5.16.0";
const SEEDS: [u32; 3] = [1, 7, 42];

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Installs Prism into `.tools/` once per machine (and once per test process).
fn prism_binary() -> PathBuf {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let tools = workspace().join(".tools");
    let bin = tools.join("node_modules/.bin/prism");
    let installed = tools.join("node_modules/@stoplight/prism-cli/package.json");
    let current =
        std::fs::read_to_string(&installed).is_ok_and(|p| p.contains(&format!("\"version\": \"{PRISM_VERSION}\"")));
    if !(bin.exists() && current) {
        let status = std::process::Command::new("npm")
            .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
            .arg(&tools)
            .arg(format!("@stoplight/prism-cli@{PRISM_VERSION}"))
            .status()
            .expect("npm is needed to install Prism for the conformance tests (install Node.js and npm)");
        assert!(status.success(), "npm install @stoplight/prism-cli@{PRISM_VERSION} failed");
    }
    bin
}

/// A Prism mock server on a loopback port it chose itself, killed when dropped.
///
/// Prism is given port 0 and says where it listens: a port reserved by the test and bound by
/// Prism seconds later could be taken meanwhile by one of the other servers this binary starts.
struct Prism {
    child: Child,
    base_url: String,
}

impl Prism {
    async fn start(spec: &str, mode: &[String]) -> Prism {
        use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
        let spec_path = workspace().join("specs").join(format!("{spec}.yaml"));
        let mut child = Command::new(prism_binary())
            .args(["mock", "--host", "127.0.0.1", "--port", "0"])
            .args(mode)
            .arg(&spec_path)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start prism");
        // Kept for the failure message; read all along, so that Prism never blocks on a full pipe.
        let mut stderr = child.stderr.take().expect("piped");
        let errors = tokio::spawn(async move {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text).await;
            text
        });
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let mut said = Vec::new();
        let listening = tokio::time::timeout(Duration::from_secs(90), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(at) = line.find("listening on ") {
                    let url: String = line[at + "listening on ".len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || ":/.[]-".contains(*c))
                        .collect();
                    return Some(url.trim_end_matches('/').to_string());
                }
                said.push(line);
            }
            None
        })
        .await;
        let Ok(Some(base_url)) = listening else {
            let _ = child.start_kill();
            let stderr = tokio::time::timeout(Duration::from_secs(5), errors).await.ok().and_then(Result::ok);
            panic!(
                "prism did not start for {} ({}):\nstdout:\n{}\nstderr:\n{}",
                spec_path.display(),
                if listening.is_err() { "no address within 90 s" } else { "it exited" },
                said.join("\n"),
                stderr.unwrap_or_default()
            );
        };
        // Prism logs every request on stdout: keep draining it.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Prism { child, base_url }
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// What went wrong with one call, in words a reader can act on.
fn explain(error: &Error) -> String {
    match error.api_error().and_then(|e| e.headers.get("sl-violations")) {
        Some(violations) => format!("Prism rejected the request: {}", violations.to_str().unwrap_or("?")),
        None => error.to_string(),
    }
}

/// Writes past libtest's output capture, so the counts show in every run's log.
fn report(line: String) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// What replaying a spec's cases against one Prism server gave.
#[derive(Default)]
struct Tally {
    calls: usize,
    /// A 2xx body the spec's `x-affiliate-body-errors` rules classify as an error (Prism's dynamic
    /// mode fills `responseStatus.errorCode` with random text): decoded, and reported as an error.
    body_errors: usize,
    failures: Vec<String>,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.calls += other.calls;
        self.body_errors += other.body_errors;
        self.failures.extend(other.failures);
    }
}

/// Replays every case against a Prism server.
async fn replay<C>(prism: &Prism, spec: &Spec, cases: Vec<Case<C>>, client: fn(&str) -> C) -> Tally {
    let client = client(&prism.base_url);
    let mut tally = Tally::default();
    for case in cases {
        tally.calls += 1;
        let body = if case.body { spec.request_example(case.operation) } else { serde_json::Value::Null };
        match (case.call)(&client, body).await {
            Ok(_) => {}
            Err(error) if error.api_error().is_some_and(|e| e.status.is_success()) => tally.body_errors += 1,
            Err(error) => tally.failures.push(format!("{}: {}", case.operation, explain(&error))),
        }
    }
    tally
}

async fn run_api(api: &str, mode: Vec<String>) -> Tally {
    let prism = Prism::start(api, &mode).await;
    let spec = Spec::load(api);
    match api {
        "dub" => replay(&prism, &spec, dub::cases(), dub::client_at).await,
        "geniuslink" => replay(&prism, &spec, geniuslink::cases(), geniuslink::client_at).await,
        "partnerize" => replay(&prism, &spec, partnerize::cases(), partnerize::client_at).await,
        other => panic!("unknown api {other}"),
    }
}

const APIS: [&str; 3] = ["dub", "geniuslink", "partnerize"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prism_accepts_every_request_and_its_examples_decode() {
    let mut tally = Tally::default();
    for api in APIS {
        tally.add(run_api(api, vec!["--errors".to_string()]).await);
    }
    report(format!(
        "conformance (prism --errors): {} operations of {} specs, {} calls",
        tally.calls,
        APIS.len(),
        tally.calls
    ));
    // The documented examples are successes: none may be classified as an error.
    assert_eq!(tally.body_errors, 0, "a documented success example was classified as an error");
    assert!(
        tally.failures.is_empty(),
        "{} of {} calls failed:\n{}",
        tally.failures.len(),
        tally.calls,
        tally.failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prism_dynamic_responses_decode() {
    let mut tally = Tally::default();
    let mut operations = 0;
    for api in APIS {
        for seed in SEEDS {
            let mut one = run_api(api, vec!["--dynamic".to_string(), "--seed".to_string(), seed.to_string()]).await;
            if seed == SEEDS[0] {
                operations += one.calls;
            }
            one.failures = one.failures.into_iter().map(|f| format!("seed {seed}: {f}")).collect();
            tally.add(one);
        }
    }
    report(format!(
        "conformance (prism --dynamic): {operations} operations of {} specs, {} seeds, {} calls, {} decoded as body-reported errors",
        APIS.len(),
        SEEDS.len(),
        tally.calls,
        tally.body_errors
    ));
    assert!(
        tally.failures.is_empty(),
        "{} of {} calls failed:\n{}",
        tally.failures.len(),
        tally.calls,
        tally.failures.join("\n")
    );
}
