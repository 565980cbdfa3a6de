//! `Client::from_env()` as a deployment uses it: the process environment, not a lookup function.
//! The environment is per process, so each case runs in a child process of this test binary
//! (the same test, told by a variable that it is the child).

use std::process::Command;

use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Set in the child: it builds the client from its environment, calls once, and prints the result.
const CHILD: &str = "AFFILIATE_TESTS_FROM_ENV_CHILD";

/// The child's half: `Client::from_env()`, one call, `ok <items>` or `error <kind>` on stdout.
async fn child() {
    let line = match affiliate_dub::Client::from_env() {
        Ok(client) => match client.list_partners().send().await {
            Ok(page) => format!("ok {}", page.into_inner().len()),
            Err(e) => format!("error {}", e.kind()),
        },
        Err(e) => format!("error {}", e.kind()),
    };
    println!("{CHILD} {line}");
}

/// `DUB_BASE_URL` sends a client built by `from_env()` to a loopback server (staging, a recording
/// proxy) with no code change; a malformed one is a configuration error, and nothing is sent.
#[tokio::test]
async fn from_env_takes_the_base_url_from_the_environment() {
    if std::env::var_os(CHILD).is_some() {
        return child().await;
    }
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/partners"))
        .and(header("authorization", "Bearer dub_env_key"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    let uri = server.uri();
    // (what, DUB_BASE_URL, the child's line, requests the server saw)
    let cases = [
        ("a loopback base URL with a path", Some(format!("{uri}/v2")), "ok 0", 1),
        ("a trailing slash", Some(format!("{uri}/v2/")), "ok 0", 1),
        ("not a URL", Some("staging".to_string()), "error config", 0),
        ("not http", Some(format!("ftp://{}", uri.trim_start_matches("http://"))), "error config", 0),
        // Unset: the spec's production URL, which no test may reach; the credential is still read.
        ("unset, no key", None, "error missing_credential", 0),
    ];
    // `it::environment::from_env_...` without the binary's name.
    let test = format!("{}::from_env_takes_the_base_url_from_the_environment", module_path!());
    let test = test.split_once("::").map_or(test.as_str(), |(_, rest)| rest).to_string();
    for (what, base_url, expect, requests) in cases {
        let before = server.received_requests().await.unwrap_or_default().len();
        let mut command = Command::new(std::env::current_exe().unwrap());
        command.args([test.as_str(), "--exact", "--nocapture", "--test-threads=1"]).env(CHILD, "1");
        command.env_remove("DUB_BASE_URL").env_remove("DUB_API_KEY");
        if let Some(url) = &base_url {
            command.env("DUB_BASE_URL", url).env("DUB_API_KEY", "dub_env_key");
        }
        let out = tokio::task::spawn_blocking(move || command.output().unwrap()).await.unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        // libtest prints the test's name before the child's output, on the same line.
        let line = stdout.lines().find_map(|l| l.split_once(&format!("{CHILD} ")).map(|(_, rest)| rest));
        assert_eq!(line, Some(expect), "{what}: {stdout}{}", String::from_utf8_lossy(&out.stderr));
        let after = server.received_requests().await.unwrap_or_default().len();
        assert_eq!(after - before, requests, "{what}");
    }
}
