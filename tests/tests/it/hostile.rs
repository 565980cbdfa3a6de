//! Property test: whatever a server answers (any status, header values such as `Retry-After`,
//! `X-RateLimit-*`, `Content-Length` or request ids in any form, non-UTF-8 or deeply nested or
//! huge-number bodies), a generated client's `send()` and `.stream()` end without a panic, send no
//! more than their attempts allow, and report the status the server sent. And whatever paging
//! values a page carries (counts, next links, cursors), a stream never panics and never loops.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use affiliate_runtime::RetryPolicy;
use futures::StreamExt;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestRunner};
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

use crate::faults::read_request;
use crate::support::Spec;

/// `cases` random cases. A failing case is saved to `hostile.proptest-regressions` beside this file
/// and replayed first from then on (commit the file with the fix); CI pins the seed
/// (`PROPTEST_RNG_SEED` in `.ci/run`), so a failure there replays exactly on any machine.
fn config(cases: u32) -> Config {
    Config {
        cases,
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..Config::default()
    }
}

const ATTEMPTS: u32 = 2;
/// `Retry-After` never exceeds a year as the client reads it (a saturated huge value).
const YEAR: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// One canned answer, played on every connection until replaced.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    headers: Vec<(&'static str, Vec<u8>)>,
    body: Vec<u8>,
    /// Whether the server adds a correct `Content-Length` (otherwise the body ends at close).
    length: bool,
}

impl Answer {
    fn bytes(&self) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {} X\r\nConnection: close\r\n", self.status).into_bytes();
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        if self.length {
            out.extend_from_slice(format!("Content-Length: {}\r\n", self.body.len()).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }
}

/// A loopback server answering every request with the current [`Answer`]; counts requests.
struct Server {
    base_url: String,
    answer: Arc<Mutex<Vec<u8>>>,
    requests: Arc<AtomicUsize>,
}

impl Server {
    async fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let answer = Arc::new(Mutex::new(Vec::new()));
        let requests = Arc::new(AtomicUsize::new(0));
        let (current, count) = (answer.clone(), requests.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (current, count) = (current.clone(), count.clone());
                tokio::spawn(async move {
                    if read_request(&mut socket).await.is_ok() {
                        count.fetch_add(1, Ordering::SeqCst);
                        let bytes = current.lock().unwrap().clone();
                        let _ = socket.write_all(&bytes).await;
                        let _ = socket.shutdown().await;
                    }
                });
            }
        });
        Server { base_url, answer, requests }
    }

    fn serve(&self, answer: &Answer) {
        *self.answer.lock().unwrap() = answer.bytes();
        self.requests.store(0, Ordering::SeqCst);
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// Header values: the forms servers send, the forms that broke parsers, and arbitrary bytes.
fn header_value() -> impl Strategy<Value = Vec<u8>> {
    let special = prop::sample::select(vec![
        "0",
        "1",
        "0.001",
        "-1",
        "-0",
        "NaN",
        "inf",
        "-inf",
        "1e308",
        "1e-400",
        "99999999999999999999999",
        "18446744073709551615",
        "18446744073709551616",
        "340282366920938463463374607431768211456",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "Thu, 01 Jan 1970 00:00:00 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "",
        " 3 ",
        "application/json",
        "chunked",
    ])
    .prop_map(|s| s.as_bytes().to_vec());
    // Anything a header value may hold on the wire: tab, visible ASCII, and obs-text (non-UTF-8).
    let byte = prop_oneof![Just(b'\t'), 0x20u8..=0x7e, 0x80u8..=0xff];
    let arbitrary = prop::collection::vec(byte, 0..48).prop_map(|mut v| {
        // Leading or trailing whitespace is not part of a value on the wire; keep it inside.
        while v.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            v.remove(0);
        }
        v
    });
    prop_oneof![3 => special, 2 => arbitrary]
}

fn headers() -> impl Strategy<Value = Vec<(&'static str, Vec<u8>)>> {
    let name = prop::sample::select(vec![
        "Retry-After",
        "X-RateLimit-Retry-After",
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
        "RateLimit-Remaining",
        "X-Request-Id",
        "Request-Id",
        "CF-Ray",
        "Content-Type",
        "Content-Length",
        "Location",
        "Link",
    ]);
    prop::collection::vec((name, header_value()), 0..6)
}

/// A partner from the spec's example with one field replaced by `value`.
fn partner_with(value: serde_json::Value, field: &str) -> serde_json::Value {
    static EXAMPLE: OnceLock<serde_json::Value> = OnceLock::new();
    let example = EXAMPLE.get_or_init(|| Spec::load("dub").success_example("listPartners").1);
    let mut partner = example[0].clone();
    partner[field] = value;
    partner
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    let bytes = prop::collection::vec(any::<u8>(), 0..512);
    let nested = (1usize..20_000, prop::bool::ANY, prop::bool::ANY).prop_map(|(depth, objects, closed)| {
        let (open, close) = if objects { ("{\"a\":", "}") } else { ("[", "]") };
        let mut text = open.repeat(depth);
        text.push('1');
        if closed {
            text.push_str(&close.repeat(depth));
        }
        text.into_bytes()
    });
    let huge_number = prop::sample::select(vec![
        "1e999999",
        "-1e999999",
        "123456789012345678901234567890123456789",
        "18446744073709551616",
        "-9223372036854775809",
        "0.0000000000000000000000000000000001",
        "NaN",
    ]);
    let field = prop::sample::select(vec!["id", "clicks", "leads", "sales", "saleAmount", "createdAt", "status"]);
    let odd_partner = (huge_number.clone(), field).prop_map(|(number, field)| {
        // A raw number where the spec has any kind of value.
        let marker = "\"__number__\"";
        let text = serde_json::to_string(&json!([partner_with(json!("__number__"), field)])).unwrap();
        text.replace(marker, number).into_bytes()
    });
    let error_shape = (huge_number, prop::collection::vec(any::<u8>(), 0..64)).prop_map(|(number, junk)| {
        let mut body = format!(
            "{{\"error\": {{\"code\": {number}, \"message\": {number}, \"doc_url\": [{number}], \"details\": {{\"x\": {number}}}}}, \"junk\": \""
        )
        .into_bytes();
        body.extend(junk);
        body.extend_from_slice(b"\"}");
        body
    });
    let valid = (1usize..4).prop_map(|n| {
        let partners: Vec<_> = (0..n).map(|i| partner_with(json!(format!("pn_{i}")), "id")).collect();
        serde_json::to_vec(&partners).unwrap()
    });
    prop_oneof![bytes, nested, odd_partner, error_shape, valid]
}

fn answer() -> impl Strategy<Value = Answer> {
    let status = prop::sample::select(vec![
        200u16, 200, 200, 201, 204, 206, 299, 302, 304, 400, 401, 403, 404, 408, 409, 410, 422, 429, 429, 500, 502,
        503, 503, 599, 600, 999,
    ]);
    (status, headers(), body(), prop::bool::weighted(0.8)).prop_map(|(status, headers, body, length)| {
        // With a Content-Length of its own, the answer does not get the right one too.
        let length = length && !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-length"));
        Answer { status, headers, body, length }
    })
}

async fn check(client: &affiliate_dub::Client, server: &Server, answer: &Answer) {
    // A same-origin redirect is followed up to 5 times within one attempt.
    let redirects = matches!(answer.status, 301 | 302 | 303 | 307 | 308)
        && answer.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("location"));
    let per_attempt = if redirects { 6 } else { 1 };
    server.serve(answer);
    let result = client.list_partners().send().await;
    let requests = server.requests();
    let most = ATTEMPTS as usize * per_attempt;
    assert!((1..=most).contains(&requests), "send(): {requests} requests for {ATTEMPTS} attempts");
    match &result {
        Ok(_) => assert!((200..300).contains(&answer.status), "a success from status {}", answer.status),
        Err(error) => {
            assert!(!error.to_string().is_empty());
            if let Some(status) = error.status() {
                assert_eq!(status.as_u16(), answer.status, "{error}");
            }
            if let Some(wait) = error.retry_after() {
                assert!(wait <= YEAR, "retry_after {wait:?}");
            }
        }
    }

    // Every page is the same answer: a stream ends within two pages (the second repeats the
    // first), however many items and pages it is asked for.
    server.serve(answer);
    let items: Vec<_> = client.list_partners().page_size(1u64).stream().take(50).collect().await;
    let requests = server.requests();
    assert!(requests <= 2 * most, "stream(): {requests} requests");
    assert!(items.len() < 50, "the stream ended by itself");
    assert!(items.iter().rev().skip(1).all(Result::is_ok), "only the last item may be an error");
}

#[test]
fn no_answer_makes_a_client_panic_or_loop() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let server = runtime.block_on(Server::start());
    let client = affiliate_dub::Client::builder()
        .base_url(&server.base_url)
        .bearer_token("dub_hostile_token")
        .retry_policy(
            RetryPolicy::default()
                .with_max_attempts(ATTEMPTS)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(2))
                // A `Retry-After` of a second or more ends the retries at once.
                .with_max_elapsed(Duration::from_millis(200)),
        )
        .timeout(Duration::from_secs(5))
        .max_body_bytes(64 * 1024)
        .build()
        .unwrap();
    let mut runner = TestRunner::new(config(96));
    runner
        .run(&answer(), |answer| {
            runtime.block_on(check(&client, &server, &answer));
            Ok(())
        })
        .unwrap();
}

/// Paging values as a hostile or broken server might send them, as JSON text.
fn paging_value() -> impl Strategy<Value = String> {
    let literal = prop::sample::select(vec![
        "null",
        "\"\"",
        "\" \"",
        "0",
        "-1",
        "2",
        "1.5",
        "1e300",
        "1e999",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775809",
        "true",
        "[1]",
        "{\"a\": 1}",
        "\"abc\"",
        "\"-5\"",
        "\"99999999999999999999\"",
        "\"/v2/publishers/p1/links?offset=-1\"",
        "\"/v2/publishers/p1/links?offset=99999999999999999999\"",
        "\"?offset=18446744073709551615&limit=0\"",
        "\"?offset=0\"",
        "\"?offset=2\"",
        "\"http://evil.example/v2?offset=2\"",
        "\"//evil.example/x\"",
        "\"javascript:alert(1)\"",
        "\"%zz%\"",
        "\"\\u0000\"",
    ])
    .prop_map(str::to_string);
    let text = prop::collection::vec(any::<char>(), 0..40)
        .prop_map(|chars| serde_json::to_string(&chars.into_iter().collect::<String>()).unwrap());
    let long = (1usize..100_000).prop_map(|n| format!("\"{}\"", "7".repeat(n)));
    prop_oneof![4 => literal, 2 => text, 1 => long]
}

#[test]
fn no_paging_value_makes_a_stream_panic_or_loop() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let server = runtime.block_on(Server::start());
    let client = affiliate_partnerize::Client::builder()
        .base_url(&server.base_url)
        .basic_auth("app_key", "user_key")
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let (_, conversions) = Spec::load("partnerize").success_example("getConversionReport");
    let conversions = serde_json::to_string(&conversions["conversions"]).unwrap();
    let mut runner = TestRunner::new(config(64));
    runner
        .run(&(paging_value(), paging_value(), paging_value()), |(count, next, cursor)| {
            runtime.block_on(async {
                let answer = |body: String| Answer {
                    status: 200,
                    headers: vec![("Content-Type", b"application/json".to_vec())],
                    body: body.into_bytes(),
                    length: true,
                };
                // Offset paging with a count and a next link. Every page is the same answer: a
                // stream ends within two requests, by the count, the link, or the repeat guard.
                server.serve(&answer(format!(
                    r#"{{"count": {count}, "limit": 2, "offset": 0, "links": [{{"id": "l1"}}, {{"id": "l2"}}],
                        "hypermedia": {{"pagination": {{"next_page": {next}, "total_item_count": {count}}}}}}}"#
                )));
                let items: Vec<_> =
                    client.list_tracking_links().publisher_id("p1").limit(2u64).stream().take(50).collect().await;
                assert!(server.requests() <= 2, "offsets: {} requests", server.requests());
                assert!(items.len() <= 5, "offsets: {} items", items.len());

                // Cursor paging.
                server.serve(&answer(format!(r#"{{"conversions": {conversions}, "cursor_id": {cursor}}}"#)));
                let items: Vec<_> = client
                    .get_conversion_report()
                    .publisher_id("p1")
                    .format(affiliate_partnerize::types::ReportFormat::Json)
                    .start_date("2026-01-01T00:00:00Z")
                    .stream()
                    .take(50)
                    .collect()
                    .await;
                assert!(server.requests() <= 2, "cursors: {} requests", server.requests());
                assert!(items.len() < 50, "cursors: {} items", items.len());
            });
            Ok(())
        })
        .unwrap();
}
