//! The built `affiliate` binary end to end against loopback servers (answers from the generated
//! mock crates): NDJSON paging, an error's message and exit code, a byte-exact export, job polling,
//! and each API's operation help (insta snapshots).

use std::process::{Command, Output};
use std::time::Duration;

use affiliate_dub::types as dub;
use affiliate_partnerize::types as pz;
use serde_json::{json, Value};
use wiremock::MockServer;

/// Runs `affiliate args...` against `server` with placeholder credentials for every API.
async fn affiliate(server: &MockServer, args: &[&str]) -> Output {
    affiliate_without(server, args, &[]).await
}

/// Runs `affiliate args...` against `server` with placeholder credentials for every API except
/// the variables in `unset`.
async fn affiliate_without(server: &MockServer, args: &[&str], unset: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_affiliate"));
    command
        .arg("--base-url")
        .arg(server.uri())
        .args(args)
        .env("DUB_API_KEY", "dub_test_key")
        .env("PARTNERIZE_APPLICATION_KEY", "app")
        .env("PARTNERIZE_USER_API_KEY", "user")
        .env("GENIUSLINK_API_KEY", "key")
        .env("GENIUSLINK_API_SECRET", "secret");
    for name in unset {
        command.env_remove(name);
    }
    tokio::task::spawn_blocking(move || command.output().expect("the binary runs")).await.unwrap()
}

/// A documented example from `specs/<spec>.yaml`, by JSON pointer.
fn example(spec: &str, pointer: &str) -> Value {
    let path = format!("{}/../../specs/{spec}.yaml", env!("CARGO_MANIFEST_DIR"));
    let doc: Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc.pointer(pointer).unwrap_or_else(|| panic!("{pointer}")).clone()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn all_streams_every_item_once_as_ndjson() {
    let first = example("dub", "/paths/~1partners/get/responses/200/content/application~1json/example/0");
    for total in [7usize, 6] {
        let partners: Vec<dub::EnrolledPartner> = (0..total)
            .map(|i| {
                let mut p = first.clone();
                p["id"] = json!(format!("pn_{i}"));
                serde_json::from_value(p).unwrap()
            })
            .collect();
        let server = MockServer::start().await;
        affiliate_dub_mock::list_partners().page_size(3).pages(&partners, 3).mount(&server).await;
        let out = affiliate(&server, &["dub", "list-partners", "--page-size", "3", "--all"]).await;
        assert!(out.status.success(), "{}", text(&out.stderr));
        let ids: Vec<String> = text(&out.stdout)
            .lines()
            .map(|line| {
                serde_json::from_str::<Value>(line).expect("one JSON object a line")["id"].as_str().unwrap().into()
            })
            .collect();
        assert_eq!(ids, (0..total).map(|i| format!("pn_{i}")).collect::<Vec<_>>());
        let requests = server.received_requests().await.unwrap().len();
        assert_eq!(requests, total / 3 + 1, "a short page ends it; a full last page needs an empty one after it");
    }
}

#[tokio::test]
async fn an_error_prints_the_vendor_message_and_exits_with_its_code() {
    let list = ["dub", "list-partners"];
    let failed_job = {
        let mut job =
            example("partnerize", "/paths/~1job~1{jobID}/get/responses/200/content/application~1json/example");
        job["job"]["status"] = json!("failed");
        serde_json::from_value::<pz::JobEnvelope>(job).unwrap()
    };
    let rate_limited = wiremock::ResponseTemplate::new(429)
        .insert_header("retry-after", "3600")
        .set_body_json(json!({"error": {"code": "rate_limit_exceeded", "message": "Too many requests."}}));
    // (what, arguments, unset variables, answer, what stderr says, exit code, requests)
    type Case<'a> = (&'a str, Vec<&'a str>, &'a [&'a str], Option<wiremock::Mock>, &'a str, i32, usize);
    let cases: [Case; 8] = [
        (
            "401",
            list.to_vec(),
            &[],
            Some(affiliate_dub_mock::list_partners().unauthorized()),
            "Unauthorized: Invalid API key.",
            10,
            1,
        ),
        (
            "404",
            list.to_vec(),
            &[],
            Some(affiliate_dub_mock::list_partners().not_found()),
            "The requested resource was not found.",
            12,
            1,
        ),
        (
            "422",
            list.to_vec(),
            &[],
            Some(affiliate_dub_mock::list_partners().unprocessable_entity()),
            "invalid_string: email: Invalid email",
            14,
            1,
        ),
        (
            "429",
            list.to_vec(),
            &[],
            Some(affiliate_dub_mock::list_partners().respond_with(rate_limited)),
            "Too many requests.",
            15,
            1,
        ),
        ("no key", list.to_vec(), &["DUB_API_KEY"], None, "set the environment variable DUB_API_KEY", 21, 0),
        ("usage", vec!["dub", "list-partners", "--no-such-flag"], &[], None, "--no-such-flag", 2, 0),
        (
            "failed job",
            vec!["partnerize", "get-job", "--job-id", "j1", "--wait"],
            &[],
            Some(affiliate_partnerize_mock::get_job().job_id("j1").ok(&failed_job)),
            "the job ended with status `failed`",
            26,
            1,
        ),
        ("unknown operation", vec!["dub", "no-such-operation"], &[], None, "no-such-operation", 2, 0),
    ];
    for (what, args, unset, answer, message, code, requests) in cases {
        let server = MockServer::start().await;
        if let Some(answer) = answer {
            answer.mount(&server).await;
        }
        let out = affiliate_without(&server, &args, unset).await;
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{what}: {stderr}");
        assert!(stderr.starts_with(if code == 2 { "error: " } else { "error (" }), "{what}: {stderr}");
        assert!(stderr.contains(message), "{what}: {stderr}");
        assert!(out.stdout.is_empty(), "{what}");
        assert_eq!(server.received_requests().await.unwrap().len(), requests, "{what}");
    }
}

#[tokio::test]
async fn a_csv_export_is_written_byte_exact_to_the_output_file() {
    // Quotes, commas, CRLF, UTF-8 and a trailing byte without newline: written as received.
    let mut csv = b"click_id,publisher_name\r\n1,\"Caf\xc3\xa9, \"\"Ltd\"\"\"\r\n".to_vec();
    for i in 0..20_000 {
        csv.extend(format!("{i},row {i}\n").as_bytes());
    }
    csv.push(b'x');
    let server = MockServer::start().await;
    affiliate_partnerize_mock::export_clicks_csv().publisher_id("1l1").ok(csv.clone()).expect(1).mount(&server).await;
    let dir = std::env::temp_dir().join(format!("affiliate-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("clicks.csv");
    let args = ["partnerize", "export-clicks-csv", "--publisher-id", "1l1", "--start-date", "2026-11-01"];
    let out =
        affiliate(&server, &[&args[..], &["--end-date", "2026-11-02", "-o", file.to_str().unwrap()]].concat()).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(&file).unwrap(), csv);
    assert!(out.stdout.is_empty(), "the export went to the file only");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn wait_polls_a_job_until_complete_then_streams_its_result() {
    let mut job = example("partnerize", "/paths/~1job~1{jobID}/get/responses/200/content/application~1json/example");
    job["job"]["job_id"] = json!("j1");
    job["job"]["hypermedia"] = json!({"response": "/job/j1/response.csv", "update": "/job/j1"});
    let mut pending = job.clone();
    pending["job"]["status"] = json!("pending");
    let mut complete = job;
    complete["job"]["status"] = json!("complete");
    let (pending, complete): (pz::JobEnvelope, pz::JobEnvelope) =
        (serde_json::from_value(pending).unwrap(), serde_json::from_value(complete).unwrap());

    // (command, the answer that starts it: none when the job id is given)
    let export = ["partnerize", "export-clicks-csv", "--publisher-id", "1l1", "--start-date", "2026-11-01"];
    let cases: [(Vec<&str>, bool); 2] = [
        (vec!["partnerize", "get-job", "--job-id", "j1", "--wait"], false),
        ([&export[..], &["--end-date", "2026-11-30", "--wait"]].concat(), true),
    ];
    for (args, exported) in cases {
        let server = MockServer::start().await;
        if exported {
            // The export answers 202 with a job; `--wait` polls it by the id in that answer.
            affiliate_partnerize_mock::export_clicks_csv().accepted(&pending).expect(1).mount(&server).await;
        }
        let job = || affiliate_partnerize_mock::get_job().job_id("j1");
        job().ok(&pending).up_to_n_times(1).expect(1).mount(&server).await;
        job().ok(&complete).expect(1).mount(&server).await;
        affiliate_partnerize_mock::get_job_response_csv().ok("a,b\n1,2\n").expect(1).mount(&server).await;
        let out = affiliate(&server, &args).await;
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "a,b\n1,2\n", "{args:?}");
    }
}

#[test]
fn operation_help_per_api() {
    let cases = [
        ("dub", "list-partners"),
        ("dub", "verify-webhook"),
        ("geniuslink", "list-user-affiliate-tokens"),
        ("partnerize", "export-clicks-csv"),
    ];
    for (api, operation) in cases {
        let out = Command::new(env!("CARGO_BIN_EXE_affiliate")).args([api, operation, "--help"]).output().unwrap();
        assert!(out.status.success());
        insta::assert_snapshot!(format!("{api}-{operation}-help"), text(&out.stdout));
    }
}

/// `affiliate dub verify-webhook`: a saved delivery (file or stdin) checked with the secret from
/// `DUB_WEBHOOK_SECRET` (no API key needed), printed when it verifies; exit 29 for a signature that
/// does not, 30 for a verified body that is not a delivery, 2 without a secret.
#[test]
fn verify_webhook_checks_a_saved_delivery() {
    use std::io::Write;
    const SECRET: &str = "whsec_cli_test_5f1c2a9e";
    let delivery = example("dub", "/components/schemas/WebhookCommissionCreatedEvent/example");
    let body = serde_json::to_vec(&delivery).unwrap();
    let signature = affiliate_dub_mock::webhooks::sign(SECRET, &body).unwrap();
    let mut tampered = body.clone();
    let last = tampered.len() - 2;
    tampered[last] = b' ';
    let dir = std::env::temp_dir().join(format!("affiliate-cli-webhook-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let save = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_string_lossy().into_owned()
    };
    let (good, bad, junk) = (save("good.json", &body), save("bad.json", &tampered), save("junk.json", b"nope"));
    let junk_signature = affiliate_dub_mock::webhooks::sign(SECRET, b"nope").unwrap();
    // (file argument or stdin bytes, signature, secret set, exit code, what stdout or stderr says)
    type Case<'a> = (Option<&'a str>, &'a [u8], &'a str, bool, i32, &'a str);
    let cases: [Case; 6] = [
        (Some(&good), b"", &signature, true, 0, "\"event\":\"commission.created\""),
        (None, &body, &signature, true, 0, "\"earnings\":980"),
        (Some(&bad), b"", &signature, true, 29, "error (signature)"),
        (Some(&good), b"", "deadbeef", true, 29, "not a signature"),
        (Some(&junk), b"", &junk_signature, true, 30, "error (webhook_payload)"),
        (Some(&good), b"", &signature, false, 2, "DUB_WEBHOOK_SECRET"),
    ];
    for (file, stdin, signature, secret, code, says) in cases {
        let mut command = Command::new(env!("CARGO_BIN_EXE_affiliate"));
        command.args(["dub", "verify-webhook", "--signature", signature]).args(file).env_remove("DUB_API_KEY");
        if secret {
            command.env("DUB_WEBHOOK_SECRET", SECRET);
        } else {
            command.env_remove("DUB_WEBHOOK_SECRET");
        }
        let mut child = command
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        let out = child.wait_with_output().unwrap();
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(code), "{file:?}: {stderr}");
        assert!(stdout.contains(says) || stderr.contains(says), "{file:?}: `{says}` in {stdout} / {stderr}");
        assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET), "the secret is never printed");
        if code == 0 {
            let printed: Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(printed["data"]["id"], delivery["data"]["id"]);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Runs `affiliate args...` with the given environment on top of placeholder credentials, and no
/// `--base-url` of its own.
async fn affiliate_env(args: &[&str], env: &[(&str, &str)]) -> (Output, std::time::Duration) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_affiliate"));
    command.args(args).env("DUB_API_KEY", "dub_test_key").env_remove("DUB_BASE_URL");
    for (name, value) in env {
        command.env(name, value);
    }
    tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let out = command.output().expect("the binary runs");
        (out, started.elapsed())
    })
    .await
    .unwrap()
}

/// `DUB_BASE_URL` points the client the command builds (`Client::from_env()`'s settings) at a
/// server without `--base-url`; `--base-url` wins over it.
#[tokio::test]
async fn the_base_url_comes_from_the_environment_unless_given() {
    let closed = "http://127.0.0.1:9";
    // (what, environment base URL: the server's or a closed port, --base-url: the server's)
    let cases = [("environment", true, false), ("flag over environment", false, true)];
    for (what, env_is_server, flag) in cases {
        let server = MockServer::start().await;
        affiliate_dub_mock::list_partners().example().expect(1).mount(&server).await;
        let uri = server.uri();
        let env = [("DUB_BASE_URL", if env_is_server { uri.as_str() } else { closed })];
        let mut args = vec!["dub", "list-partners"];
        if flag {
            args.extend(["--base-url", uri.as_str()]);
        }
        let (out, _) = affiliate_env(&args, &env).await;
        assert!(out.status.success(), "{what}: {}", text(&out.stderr));
        assert!(text(&out.stdout).starts_with('['), "{what}: {}", text(&out.stdout));
        let requests = server.received_requests().await.unwrap();
        assert_eq!(requests.len(), 1, "{what}");
        assert_eq!(requests[0].headers["authorization"], "Bearer dub_test_key", "{what}");
    }
}

/// `--retries N` sends a failing GET N + 1 times; `--timeout` gives up on a slow answer.
#[tokio::test]
async fn retries_and_timeout_flags_bound_each_call() {
    let failing = || wiremock::ResponseTemplate::new(503).set_body_json(json!({"error": {"message": "down"}}));
    let slow = || wiremock::ResponseTemplate::new(200).set_body_json(json!([])).set_delay(Duration::from_secs(3));
    type Case<'a> = (&'a str, Vec<&'a str>, wiremock::ResponseTemplate, i32, usize, Duration);
    let cases: [Case; 4] = [
        ("no retries", vec!["--retries", "0"], failing(), 16, 1, Duration::from_secs(3)),
        ("two retries", vec!["--retries", "2"], failing(), 16, 3, Duration::from_secs(5)),
        ("timeout, no retries", vec!["--timeout", "0.3", "--retries", "0"], slow(), 18, 1, Duration::from_secs(2)),
        ("timeout, one retry", vec!["--timeout", "0.3", "--retries", "1"], slow(), 18, 2, Duration::from_secs(3)),
    ];
    for (what, flags, answer, code, requests, within) in cases {
        let server = MockServer::start().await;
        affiliate_dub_mock::list_partners().respond_with(answer).mount(&server).await;
        let uri = server.uri();
        let args = [&["--base-url", uri.as_str(), "dub", "list-partners"][..], &flags].concat();
        let (out, took) = affiliate_env(&args, &[]).await;
        assert_eq!(out.status.code(), Some(code), "{what}: {}", text(&out.stderr));
        assert_eq!(server.received_requests().await.unwrap().len(), requests, "{what}");
        assert!(took < within, "{what}: took {took:?}");
    }
    // Values the flags refuse, before anything is sent.
    for bad in [["--timeout", "0"], ["--timeout", "soon"], ["--retries", "-1"], ["--retries", "99"]] {
        let server = MockServer::start().await;
        let uri = server.uri();
        let args = [&["--base-url", uri.as_str(), "dub", "list-partners"][..], &bad].concat();
        let (out, _) = affiliate_env(&args, &[]).await;
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains(bad[1]), "{bad:?}: {}", text(&out.stderr));
        assert_eq!(server.received_requests().await.unwrap().len(), 0, "{bad:?}");
    }
}

/// `-v`: a line per retry and per finished request on stderr, naming the operation and status,
/// never the credential; without it, stderr stays empty.
#[tokio::test]
async fn verbose_logs_each_request_and_retry_without_secrets() {
    for verbose in [true, false] {
        let server = MockServer::start().await;
        let down = wiremock::ResponseTemplate::new(503).set_body_json(json!({"error": {"message": "down"}}));
        affiliate_dub_mock::list_partners().respond_with(down).up_to_n_times(1).expect(1).mount(&server).await;
        affiliate_dub_mock::list_partners().example().expect(1).mount(&server).await;
        let uri = server.uri();
        let mut args = vec!["--base-url", uri.as_str(), "dub", "list-partners", "--retries", "1"];
        if verbose {
            args.push("--verbose");
        }
        let (out, _) = affiliate_env(&args, &[]).await;
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stderr = text(&out.stderr);
        if !verbose {
            assert_eq!(stderr, "", "quiet without -v");
            continue;
        }
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 2, "one retry and one finished request: {stderr}");
        assert!(lines[0].contains("retrying") && lines[0].contains("503"), "{stderr}");
        assert!(lines[1].contains("done") && lines[1].contains("200"), "{stderr}");
        for line in &lines {
            assert!(line.contains("GET /partners") && line.contains("list_partners"), "{line}");
        }
        assert!(!stderr.contains("dub_test_key"), "the credential is never logged: {stderr}");
    }
}

/// `--field` builds a JSON body without a file: text fields, JSON fields, and over `--body`.
#[tokio::test]
async fn fields_build_the_request_body() {
    let dir = std::env::temp_dir().join(format!("affiliate-cli-fields-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("body.json");
    std::fs::write(&file, r#"{"email": "old@example.com", "name": "Ana"}"#).unwrap();
    let file = file.to_str().unwrap();
    let cases: [(Vec<&str>, Value); 3] = [
        (
            vec!["--field", "email=ana@example.com", "-f", "country=US"],
            json!({"email": "ana@example.com", "country": "US"}),
        ),
        (
            vec!["--field", "email=ana@example.com", "--field", "description:=null"],
            json!({"email": "ana@example.com", "description": null}),
        ),
        (vec!["--body", file, "--field", "email=new@example.com"], json!({"email": "new@example.com", "name": "Ana"})),
    ];
    for (flags, expect) in cases {
        let server = MockServer::start().await;
        affiliate_dub_mock::create_partner().example().expect(1).mount(&server).await;
        let out = affiliate(&server, &[&["dub", "create-partner"][..], &flags].concat()).await;
        assert!(out.status.success(), "{flags:?}: {}", text(&out.stderr));
        let requests = server.received_requests().await.unwrap();
        assert_eq!(requests.len(), 1, "{flags:?}");
        assert_eq!(serde_json::from_slice::<Value>(&requests[0].body).unwrap(), expect, "{flags:?}");
    }
    let server = MockServer::start().await;
    let out = affiliate(&server, &["dub", "create-partner", "--field", "email"]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("key=text"), "{}", text(&out.stderr));
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `affiliate completions <shell>` prints a script naming the APIs, their operations and flags.
#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = Command::new(env!("CARGO_BIN_EXE_affiliate")).args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        for word in ["partnerize", "list-partners", "export-clicks-csv", "timeout", "field"] {
            assert!(script.contains(word), "{shell}: no `{word}`");
        }
    }
    let out = Command::new(env!("CARGO_BIN_EXE_affiliate")).args(["completions", "cmd"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}
