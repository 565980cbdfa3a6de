//! Fault injection: what the caller sees, and how many requests the server got, when servers misbehave.
//!
//! HTTP-level faults use wiremock; transport-level ones (resets, truncated or endless bodies) a raw
//! TCP server on 127.0.0.1 ([`raw_server`]) that plays a script per connection.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use affiliate_runtime::{ClientBuilder, Error, RetryPolicy};
use futures::{StreamExt, TryStreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{received, Spec};

const DUB_TOKEN: &str = "dub_live_F4ults9QeT7pLm3RzA8bYc";
const PARTNERIZE_APP_KEY: &str = "pzApp7Hk2Lm9Qx4Rv";
const PARTNERIZE_USER_KEY: &str = "pzUserBq3Nw8Zt5Yc1Jf6D";
const GENIUSLINK_KEY: &str = "gl_key_F4ults2mT9vRk4";
const GENIUSLINK_SECRET: &str = "gl_secret_F4ultsLw3Nx7Hq1Bd5F";

// ---------------------------------------------------------------------------------------------
// Clients
// ---------------------------------------------------------------------------------------------

use crate::support::quick_retries as policy;

fn dub_builder(base_url: &str) -> ClientBuilder<affiliate_dub::Client> {
    affiliate_dub::Client::builder()
        .base_url(base_url)
        .bearer_token(DUB_TOKEN)
        .retry_policy(policy(3))
        .timeout(Duration::from_secs(5))
}

fn dub(base_url: &str, attempts: u32) -> affiliate_dub::Client {
    dub_builder(base_url).retry_policy(policy(attempts)).build().unwrap()
}

fn partnerize(base_url: &str) -> affiliate_partnerize::Client {
    affiliate_partnerize::Client::builder()
        .base_url(base_url)
        .basic_auth(PARTNERIZE_APP_KEY, PARTNERIZE_USER_KEY)
        .retry_policy(policy(3))
        .timeout(Duration::from_secs(5))
        .max_body_bytes(1_000_000)
        .build()
        .unwrap()
}

fn geniuslink(base_url: &str) -> affiliate_geniuslink::Client {
    affiliate_geniuslink::Client::builder()
        .base_url(base_url)
        .api_key("X-Api-Key", GENIUSLINK_KEY)
        .api_key("X-Api-Secret", GENIUSLINK_SECRET)
        .retry_policy(policy(3))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// The spec's example partner with id `pn_<id>`.
fn partner(id: usize) -> Value {
    let (_, example) = Spec::load("dub").success_example("listPartners");
    let mut partner = example[0].clone();
    partner["id"] = json!(format!("pn_{id}"));
    partner
}

fn partners(ids: impl IntoIterator<Item = usize>) -> Value {
    Value::Array(ids.into_iter().map(partner).collect())
}

/// Lists partners; the ids on success.
async fn list_ids(client: &affiliate_dub::Client) -> affiliate_runtime::Result<Vec<String>> {
    let page = client.list_partners().send().await?;
    Ok(page.into_inner().into_iter().map(|p| p.id).collect())
}

async fn ban(client: &affiliate_dub::Client) -> affiliate_runtime::Result<String> {
    let done = client
        .ban_partner()
        .body_map(|b| b.partner_id("pn_1").reason(affiliate_dub::types::BanReason::Fraud))
        .send()
        .await?;
    Ok(done.into_inner().partner_id)
}

fn ban_response() -> Vec<u8> {
    let (_, example) = Spec::load("dub").success_example("banPartner");
    http_response("200 OK", "application/json", &serde_json::to_vec(&example).unwrap())
}

// ---------------------------------------------------------------------------------------------
// A raw TCP server
// ---------------------------------------------------------------------------------------------

/// What a raw server does on a connection once it has read the request.
#[derive(Clone)]
enum Step {
    Write(Vec<u8>),
    Sleep(Duration),
    /// Waits until the test notifies (at most 5 s, then resets the connection).
    Wait(Arc<Notify>),
    /// SO_LINGER 0, then close: the peer sees a connection reset.
    Reset,
    /// Flushes and closes cleanly.
    Close,
}

/// A loopback server speaking raw TCP: the `n`th connection reads the request head (and a body of
/// its Content-Length), then plays `script[n]` (the last entry repeats for later connections).
/// Returns the base URL and the number of connections accepted. It accepts for 10 s and 32
/// connections at most, and every connection ends within 10 s.
async fn raw_server(script: Vec<Vec<Step>>) -> (String, Arc<AtomicUsize>) {
    assert!(!script.is_empty());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        for n in 0..32 {
            let Ok(Ok((socket, _))) = tokio::time::timeout_at(deadline, listener.accept()).await else { break };
            count.fetch_add(1, Ordering::SeqCst);
            let steps = script[n.min(script.len() - 1)].clone();
            tokio::spawn(async move {
                let _ = tokio::time::timeout(Duration::from_secs(10), play(socket, steps)).await;
            });
        }
    });
    (base_url, accepted)
}

async fn play(mut socket: TcpStream, steps: Vec<Step>) -> std::io::Result<()> {
    read_request(&mut socket).await?;
    for step in steps {
        match step {
            Step::Write(bytes) => {
                socket.write_all(&bytes).await?;
                socket.flush().await?;
            }
            Step::Sleep(duration) => tokio::time::sleep(duration).await,
            Step::Wait(go) => {
                if tokio::time::timeout(Duration::from_secs(5), go.notified()).await.is_err() {
                    socket.set_zero_linger()?;
                    return Ok(());
                }
            }
            Step::Reset => {
                socket.set_zero_linger()?;
                return Ok(());
            }
            Step::Close => {
                socket.shutdown().await?;
                return Ok(());
            }
        }
    }
    socket.shutdown().await
}

/// Reads a request head (64 KiB at most) and the body its Content-Length announces.
pub(crate) async fn read_request(socket: &mut TcpStream) -> std::io::Result<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if buf.len() > 64 * 1024 {
            return Err(std::io::Error::other("request head too long"));
        }
        let n = socket.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = buf.len() - head_end;
    while body < length.min(1024 * 1024) {
        let n = socket.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        body += n;
    }
    Ok(head)
}

/// A status line and headers, without a body.
fn http_head(status: &str, headers: &[(&str, String)]) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// A whole response with a Content-Length.
fn http_response(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut response =
        http_head(status, &[("Content-Type", content_type.to_string()), ("Content-Length", body.len().to_string())]);
    response.extend_from_slice(body);
    response
}

/// One chunk of a chunked body.
fn chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

fn accepted(count: &AtomicUsize) -> usize {
    count.load(Ordering::SeqCst)
}

// ---------------------------------------------------------------------------------------------
// Rate limits and retries
// ---------------------------------------------------------------------------------------------

/// Serves one 429 with `header: value`, then a page of one partner; returns the server.
async fn rate_limited_once(header: &str, value: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .set_body_json(json!({"error": {"code": "rate_limit_exceeded", "message": "Too many requests"}}))
                .insert_header(header, value),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(partners([1])))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn retry_after_in_seconds_is_waited_then_the_call_succeeds() {
    let server = rate_limited_once("retry-after", "1").await;
    let started = Instant::now();
    let ids = list_ids(&dub(&server.uri(), 3)).await.unwrap();
    let waited = started.elapsed();
    assert_eq!(ids, ["pn_1"]);
    assert_eq!(received(&server).await.len(), 2);
    assert!(waited >= Duration::from_millis(900), "Retry-After said 1 s, waited {waited:?}");
    // Wide on purpose (a loaded CI machine is slow): it catches a wait of another unit, not jitter.
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_waited_then_the_call_succeeds() {
    // Whole seconds on the wire: the date is 1 to 2 s ahead.
    let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    let server = rate_limited_once("retry-after", &at).await;
    let started = Instant::now();
    let ids = list_ids(&dub(&server.uri(), 3)).await.unwrap();
    let waited = started.elapsed();
    assert_eq!(ids, ["pn_1"]);
    assert_eq!(received(&server).await.len(), 2);
    assert!(waited >= Duration::from_millis(900), "Retry-After said {at}, waited {waited:?}");
    assert!(waited < Duration::from_secs(6), "waited {waited:?}");
}

#[tokio::test]
async fn x_ratelimit_retry_after_is_waited_then_the_call_succeeds() {
    let server = rate_limited_once("x-ratelimit-retry-after", "1").await;
    let started = Instant::now();
    let ids = list_ids(&dub(&server.uri(), 3)).await.unwrap();
    let waited = started.elapsed();
    assert_eq!(ids, ["pn_1"]);
    assert_eq!(received(&server).await.len(), 2);
    assert!(waited >= Duration::from_millis(900), "X-RateLimit-Retry-After said 1 s, waited {waited:?}");
}

#[tokio::test]
async fn retry_after_beyond_the_budget_is_returned_at_once() {
    let server = rate_limited_once("retry-after", "3600").await;
    // A 20 s budget: a client that slept the budget out before giving up would take 20 s; one that
    // returns at once takes milliseconds, and a loaded machine is nowhere near 10 s.
    let client =
        dub_builder(&server.uri()).retry_policy(policy(5).with_max_elapsed(Duration::from_secs(20))).build().unwrap();
    let started = Instant::now();
    let error = list_ids(&client).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10), "returned after {:?}", started.elapsed());
    assert!(matches!(error, Error::RateLimited(_)), "{error:?}");
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(error.code(), Some("rate_limit_exceeded"));
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn a_burst_of_503s_succeeds_within_max_attempts_and_fails_beyond() {
    // (max attempts, 503s before a 200, succeeds, requests received)
    let cases = [(5, 3, true, 4), (4, 3, true, 4), (3, 3, false, 3), (3, 4, false, 3), (1, 1, false, 1)];
    for (attempts, burst, succeeds, requests) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(503)
                    .set_body_json(json!({"error": {"code": "service_unavailable", "message": "try later"}})),
            )
            .up_to_n_times(burst)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(partners([7])))
            .mount(&server)
            .await;
        let result = list_ids(&dub(&server.uri(), attempts)).await;
        let case = format!("{attempts} attempts, {burst} 503s");
        match (&result, succeeds) {
            (Ok(ids), true) => assert_eq!(ids, &["pn_7"], "{case}"),
            (Err(error @ Error::Server(_)), false) => {
                assert_eq!(error.status().map(|s| s.as_u16()), Some(503), "{case}");
                assert_eq!(error.code(), Some("service_unavailable"), "{case}");
            }
            _ => panic!("{case}: {result:?}"),
        }
        assert_eq!(received(&server).await.len(), requests, "{case}");
    }
}

#[tokio::test]
async fn the_retry_budget_bounds_the_time_spent() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(503)).mount(&server).await;
    let client = dub_builder(&server.uri())
        .retry_policy(
            RetryPolicy::default()
                .with_max_attempts(50)
                .with_backoff(Duration::from_millis(50), Duration::from_millis(50))
                .with_max_elapsed(Duration::from_millis(300)),
        )
        .build()
        .unwrap();
    let started = Instant::now();
    let error = list_ids(&client).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(matches!(error, Error::Server(_)), "{error:?}");
    let requests = received(&server).await.len();
    // Each wait is 25-50 ms and none may end past 300 ms: at most 1 + 300 / 25 = 13 attempts,
    // whatever the machine's speed (a slow machine makes fewer). The retries stopped only when the
    // next wait (50 ms at most) would end past the budget: at least 250 ms went by.
    assert!((2..=13).contains(&requests), "{requests} requests");
    assert!(elapsed >= Duration::from_millis(250), "gave up after {elapsed:?}, {requests} requests");
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
}

// ---------------------------------------------------------------------------------------------
// Transport faults
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_reset_before_the_response_is_retried_for_a_get() {
    let (base_url, connections) = raw_server(vec![vec![Step::Reset]]).await;
    let error = list_ids(&dub(&base_url, 3)).await.unwrap_err();
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
    assert_eq!(error.status(), None);
    assert_eq!(accepted(&connections), 3, "one connection per attempt");
}

#[tokio::test]
async fn a_reset_before_the_response_is_not_retried_for_a_post() {
    // A retry would get a success: the error proves there was none.
    let (base_url, connections) = raw_server(vec![vec![Step::Reset], vec![Step::Write(ban_response())]]).await;
    let error = ban(&dub(&base_url, 3)).await.unwrap_err();
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
    assert_eq!(accepted(&connections), 1, "the server read the POST: it may have acted, so it is sent once");
}

/// Headers announcing 1000 bytes of JSON, 10 of them, then (after the client has read the head) a reset.
fn reset_mid_body() -> Vec<Step> {
    let head = http_head("200 OK", &[("Content-Type", "application/json".into()), ("Content-Length", "1000".into())]);
    vec![
        Step::Write(head),
        Step::Write(b"[{\"id\": \"p".to_vec()),
        Step::Sleep(Duration::from_millis(100)),
        Step::Reset,
    ]
}

#[tokio::test]
async fn a_reset_mid_body_is_retried_for_a_get_which_then_succeeds() {
    let whole = http_response("200 OK", "application/json", &serde_json::to_vec(&partners([3])).unwrap());
    let (base_url, connections) = raw_server(vec![reset_mid_body(), vec![Step::Write(whole)]]).await;
    let ids = list_ids(&dub(&base_url, 3)).await.unwrap();
    assert_eq!(ids, ["pn_3"]);
    assert_eq!(accepted(&connections), 2);
}

#[tokio::test]
async fn a_reset_mid_body_is_a_transport_error_for_a_post() {
    let (base_url, connections) = raw_server(vec![reset_mid_body(), vec![Step::Write(ban_response())]]).await;
    let error = ban(&dub(&base_url, 3)).await.unwrap_err();
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
    assert_eq!(accepted(&connections), 1);
}

#[tokio::test]
async fn a_response_slower_than_the_timeout_is_a_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(partners([1])).set_delay(Duration::from_secs(2)))
        .mount(&server)
        .await;
    let client =
        dub_builder(&server.uri()).retry_policy(policy(2)).timeout(Duration::from_millis(200)).build().unwrap();
    let started = Instant::now();
    let error = list_ids(&client).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(matches!(error, Error::Timeout(_)), "{error:?}");
    assert_eq!(error.status(), None);
    assert_eq!(received(&server).await.len(), 2, "a GET that timed out is retried");
    // Two attempts of 200 ms; either one waiting for the 2 s answer would take 2 s or more.
    assert!(elapsed >= Duration::from_millis(400) && elapsed < Duration::from_secs(2), "took {elapsed:?}");
}

// ---------------------------------------------------------------------------------------------
// Bodies
// ---------------------------------------------------------------------------------------------

/// Lists partners from a server answering 200 with `body` as `content_type`; one request exactly.
async fn list_from_body(body: &str, content_type: &str) -> affiliate_runtime::Result<Vec<String>> {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body.as_bytes().to_vec(), content_type))
        .mount(&server)
        .await;
    let result = list_ids(&dub(&server.uri(), 3)).await;
    assert_eq!(received(&server).await.len(), 1, "a 200 is never retried");
    result
}

#[tokio::test]
async fn a_truncated_json_body_is_a_decode_error_with_status_and_snippet() {
    let error = list_from_body("[{\"id\": ", "application/json").await.unwrap_err();
    match &error {
        Error::Decode { status, message, snippet } => {
            assert_eq!(status.map(|s| s.as_u16()), Some(200));
            assert_eq!(snippet, "[{\"id\": ");
            assert!(message.contains("EOF"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(error.status().map(|s| s.as_u16()), Some(200));
}

#[tokio::test]
async fn malformed_json_is_a_decode_error() {
    let error = list_from_body("{not json}", "application/json").await.unwrap_err();
    match &error {
        Error::Decode { status, snippet, .. } => {
            assert_eq!(status.map(|s| s.as_u16()), Some(200));
            assert_eq!(snippet, "{not json}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_json_body_labelled_text_html_is_decoded_as_json() {
    // The client decodes what the spec says the operation returns, whatever the label.
    let body = serde_json::to_string(&partners([1, 2])).unwrap();
    assert_eq!(list_from_body(&body, "text/html; charset=utf-8").await.unwrap(), ["pn_1", "pn_2"]);
    // And HTML labelled HTML is a decode error, not a panic.
    let error = list_from_body("<html><body>Maintenance</body></html>", "text/html").await.unwrap_err();
    assert!(matches!(&error, Error::Decode { status: Some(s), .. } if s.as_u16() == 200), "{error:?}");
}

#[tokio::test]
async fn an_error_in_a_200_body_is_an_error_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v4/user-affiliate-tokens"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "responseStatus": {"errorCode": "ArgumentException", "message": "unknown user", "errors": []}
        })))
        .mount(&server)
        .await;
    let error = geniuslink(&server.uri()).list_user_affiliate_tokens().username("jane").send().await.unwrap_err();
    assert!(matches!(error, Error::Api(_)), "{error:?}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(200));
    assert_eq!(error.code(), Some("ArgumentException"));
    assert_eq!(error.api_error().unwrap().message.as_deref(), Some("unknown user"));
    assert_eq!(received(&server).await.len(), 1, "an idempotent GET, but a 200 is not retried");
}

#[tokio::test]
async fn a_next_page_link_to_another_host_ends_the_stream_after_the_first_page() {
    let api = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    let next = format!("{}/v2/publishers/p1/links?limit=2&offset=2", elsewhere.uri());
    Mock::given(method("GET"))
        .and(path("/v2/publishers/p1/links"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "count": 4, "limit": 2, "offset": 0,
            "links": [{"id": "l1"}, {"id": "l2"}],
            "hypermedia": {"pagination": {"next_page": next, "total_item_count": 4}}
        })))
        .mount(&api)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"links": []})))
        .mount(&elsewhere)
        .await;
    let results: Vec<_> =
        partnerize(&api.uri()).list_tracking_links().publisher_id("p1").limit(2u64).stream().collect().await;
    assert_eq!(results.len(), 3, "{results:?}");
    let ids: Vec<Option<String>> = results[..2].iter().map(|r| r.as_ref().unwrap().id.clone()).collect();
    assert_eq!(ids, [Some("l1".to_string()), Some("l2".to_string())]);
    match &results[2] {
        Err(Error::Pagination(message)) => assert!(message.contains("another host"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(received(&api).await.len(), 1);
    assert_eq!(received(&elsewhere).await.len(), 0, "the other host is never called");
}

#[tokio::test]
async fn a_json_body_over_max_body_bytes_is_too_large_without_being_read() {
    // Each server announces or sends more than 1 MB, then stalls for 3 s, longer than the client's
    // 2 s timeout: a client that read on would end in `Timeout`, so `TooLarge` means it stopped.
    let stall = Step::Sleep(Duration::from_secs(3));
    let with_length = vec![
        Step::Write(http_head(
            "200 OK",
            &[("Content-Type", "application/json".into()), ("Content-Length", "50000000".into())],
        )),
        Step::Write(vec![b' '; 64 * 1024]),
        stall.clone(),
    ];
    let mut chunked = vec![Step::Write(http_head(
        "200 OK",
        &[("Content-Type", "application/json".into()), ("Transfer-Encoding", "chunked".into())],
    ))];
    chunked.extend((0..20).map(|_| Step::Write(chunk(&[b' '; 64 * 1024]))));
    chunked.push(stall);
    for (name, script) in [("content-length", with_length), ("chunked", chunked)] {
        let (base_url, connections) = raw_server(vec![script]).await;
        let client = dub_builder(&base_url).max_body_bytes(1_000_000).timeout(Duration::from_secs(2)).build().unwrap();
        let error = list_ids(&client).await.unwrap_err();
        match &error {
            Error::TooLarge { status, limit } => assert_eq!((status.as_u16(), *limit), (200, 1_000_000), "{name}"),
            other => panic!("{name}: {other:?}"),
        }
        assert_eq!(accepted(&connections), 1, "{name}: a 200 is not retried");
    }
}

#[tokio::test]
async fn a_json_body_of_exactly_max_body_bytes_is_read_and_one_byte_more_is_not() {
    let body = serde_json::to_vec(&partners([1])).unwrap();
    let with_length = || vec![Step::Write(http_response("200 OK", "application/json", &body))];
    // Two chunks: the limit applies to what has arrived in all.
    let chunked = || {
        let head = http_head(
            "200 OK",
            &[("Content-Type", "application/json".into()), ("Transfer-Encoding", "chunked".into())],
        );
        let (first, second) = body.split_at(body.len() / 2);
        vec![
            Step::Write(head),
            Step::Write(chunk(first)),
            Step::Write(chunk(second)),
            Step::Write(b"0\r\n\r\n".to_vec()),
            Step::Close,
        ]
    };
    // (framing, script, max_body_bytes, fits)
    let cases = [
        ("content-length", with_length(), body.len(), true),
        ("content-length", with_length(), body.len() - 1, false),
        ("chunked", chunked(), body.len(), true),
        ("chunked", chunked(), body.len() - 1, false),
    ];
    for (framing, script, limit, fits) in cases {
        let (base_url, connections) = raw_server(vec![script]).await;
        let client = dub_builder(&base_url).max_body_bytes(limit).build().unwrap();
        let result = list_ids(&client).await;
        let case = format!("{framing}, {} bytes, limit {limit}", body.len());
        match (&result, fits) {
            (Ok(ids), true) => assert_eq!(ids, &["pn_1"], "{case}"),
            (Err(Error::TooLarge { status, limit: reported }), false) => {
                assert_eq!((status.as_u16(), *reported), (200, limit), "{case}")
            }
            _ => panic!("{case}: {result:?}"),
        }
        assert_eq!(accepted(&connections), 1, "{case}");
    }
}

#[tokio::test]
async fn a_csv_export_is_streamed_whatever_its_size() {
    // 3 MB of CSV with max_body_bytes at 1 MB; the server sends the second half only after the
    // caller has received the first, which only a streaming client can do.
    let line = b"click_id,campaign_id,set_time\n";
    let half: Vec<u8> = line.iter().copied().cycle().take(1_500_000).collect();
    let go = Arc::new(Notify::new());
    let mut script = vec![Step::Write(http_head(
        "200 OK",
        &[("Content-Type", "text/csv".into()), ("Transfer-Encoding", "chunked".into())],
    ))];
    script.extend(half.chunks(64 * 1024).map(|c| Step::Write(chunk(c))));
    script.push(Step::Wait(go.clone()));
    script.extend(half.chunks(64 * 1024).map(|c| Step::Write(chunk(c))));
    script.push(Step::Write(b"0\r\n\r\n".to_vec()));
    script.push(Step::Close);
    let (base_url, connections) = raw_server(vec![script]).await;
    let response = partnerize(&base_url)
        .export_clicks_csv()
        .publisher_id("p1")
        .start_date("2026-01-01")
        .end_date("2026-01-31")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let affiliate_partnerize::types::ExportClicksCsvSuccess::Ok(stream) = response.into_inner() else {
        panic!("a 200 is the CSV");
    };
    let mut stream = stream.into_inner();
    let mut body = Vec::new();
    let mut notified = false;
    while let Some(bytes) = tokio::time::timeout(Duration::from_secs(3), stream.next()).await.expect("stalled") {
        body.extend_from_slice(&bytes.unwrap());
        if !notified && body.len() >= half.len() {
            go.notify_one();
            notified = true;
        }
    }
    assert!(notified);
    assert_eq!(body.len(), 3_000_000);
    assert_eq!(&body[..half.len()], &half[..]);
    assert_eq!(&body[half.len()..], &half[..]);
    assert_eq!(accepted(&connections), 1);
}

// ---------------------------------------------------------------------------------------------
// Invariants
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn pagination_under_transient_failures_yields_every_item_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    let pages = [vec![1, 2], vec![3, 4], vec![5, 6], vec![7]];
    for (number, ids) in pages.iter().enumerate() {
        Mock::given(method("GET"))
            .and(path("/partners"))
            .and(query_param("page", (number + 1).to_string()))
            .and(query_param("pageSize", "2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(partners(ids.iter().copied())))
            .expect(1)
            .mount(&server)
            .await;
    }
    let ids: Vec<String> =
        dub(&server.uri(), 3).list_partners().page_size(2u64).stream().map_ok(|p| p.id).try_collect().await.unwrap();
    let expected: Vec<String> = (1..=7).map(|i| format!("pn_{i}")).collect();
    assert_eq!(ids, expected, "every item exactly once, in order");
    let pages_asked: Vec<String> = received(&server)
        .await
        .iter()
        .map(|r| r.url.query_pairs().find(|(k, _)| k == "page").map(|(_, v)| v.into_owned()).unwrap_or_default())
        .collect();
    assert_eq!(pages_asked, ["1", "2", "2", "3", "4"], "page 2 twice (503, then 200), every other page once");
}

#[tokio::test]
async fn a_json_body_labelled_otherwise_is_still_bounded_and_checked() {
    // 1.3 MB of a JSON operation's body labelled text/html, then a 3 s stall (past the 2 s
    // timeout, so reading on would end in `Timeout`): the 1 MB limit must stop the read, as it
    // does for application/json.
    let mut script = vec![Step::Write(http_head(
        "200 OK",
        &[("Content-Type", "text/html".into()), ("Transfer-Encoding", "chunked".into())],
    ))];
    script.extend((0..20).map(|_| Step::Write(chunk(&[b' '; 64 * 1024]))));
    script.push(Step::Sleep(Duration::from_secs(3)));
    let (base_url, connections) = raw_server(vec![script]).await;
    let client = dub_builder(&base_url).max_body_bytes(1_000_000).timeout(Duration::from_secs(2)).build().unwrap();
    let error = list_ids(&client).await.unwrap_err();
    assert!(matches!(error, Error::TooLarge { limit: 1_000_000, .. }), "{error:?}");
    assert_eq!(accepted(&connections), 1);

    // A 200 whose body reports an error is an error whatever its label.
    let server = MockServer::start().await;
    let body = json!({"responseStatus": {"errorCode": "ArgumentException", "message": "unknown user"}});
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(serde_json::to_vec(&body).unwrap(), "text/plain"))
        .mount(&server)
        .await;
    let result = geniuslink(&server.uri()).list_user_affiliate_tokens().username("jane").send().await;
    let error = result.expect_err("the body reports ArgumentException");
    assert_eq!((error.status().map(|s| s.as_u16()), error.code()), (Some(200), Some("ArgumentException")));
    assert_eq!(received(&server).await.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Hostile values and loops
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn absurd_retry_after_values_end_the_retries_at_once_without_a_panic() {
    // (Retry-After sent on a 503, what the error reports): huge values saturate at a year, which is
    // past any budget, so the answer is returned at once; unusable ones are ignored (backoff).
    let year = Some(Duration::from_secs(365 * 24 * 60 * 60));
    let cases = [
        ("99999999999999999999999", year, 1),
        ("1e308", year, 1),
        ("inf", year, 1),
        ("Fri, 31 Dec 9999 23:59:59 GMT", year, 1),
        ("NaN", None, 3),
        ("-5", None, 3),
    ];
    for (value, reported, requests) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(503).insert_header("retry-after", value))
            .mount(&server)
            .await;
        let started = Instant::now();
        let error = list_ids(&dub(&server.uri(), 3)).await.unwrap_err();
        assert!(matches!(error, Error::Server(_)), "{value}: {error:?}");
        assert_eq!(error.retry_after(), reported, "{value}");
        assert_eq!(received(&server).await.len(), requests, "{value}");
        // The budget is 10 s: waiting it out (or any part of a year) would take far longer.
        assert!(started.elapsed() < Duration::from_secs(5), "{value}: took {:?}", started.elapsed());
    }
}

/// `getConversionReport` pages: the spec's example with `ids` as conversions and `cursor` as the next cursor.
fn conversion_page(ids: &[&str], cursor: Value) -> Value {
    let (_, mut page) = Spec::load("partnerize").success_example("getConversionReport");
    let template = page["conversions"][0].clone();
    page["conversions"] = ids
        .iter()
        .map(|id| {
            let mut conversion = template.clone();
            conversion["conversion_data"]["conversion_id"] = json!(id);
            conversion
        })
        .collect();
    page["cursor_id"] = cursor;
    page
}

#[tokio::test]
async fn a_cursor_cycle_ends_the_stream_instead_of_looping() {
    // After a failover the server answers cursors 111, 222, 111, 222, ...: the third page repeats
    // the first page's cursor, which ends the stream although it differs from the one before it.
    let server = MockServer::start().await;
    let conversions_path = "/reporting/report_publisher/publisher/p1/conversion.json";
    let answers = [(None, "c1", 111), (Some("111"), "c2", 222), (Some("222"), "c3", 111), (Some("111"), "c4", 222)];
    for (asked, id, next) in answers {
        let mock = Mock::given(method("GET")).and(path(conversions_path));
        let mock = match asked {
            Some(cursor) => mock.and(query_param("cursor_id", cursor)),
            None => mock.and(wiremock::matchers::query_param_is_missing("cursor_id")),
        };
        mock.respond_with(ResponseTemplate::new(200).set_body_json(conversion_page(&[id], json!(next))))
            .mount(&server)
            .await;
    }
    let results: Vec<_> = partnerize(&server.uri())
        .get_conversion_report()
        .publisher_id("p1")
        .format(affiliate_partnerize::types::ReportFormat::Json)
        .start_date("2026-01-01T00:00:00Z")
        .stream()
        .take(20)
        .collect()
        .await;
    let ids: Vec<_> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|c| c.conversion_data.as_ref().unwrap().conversion_id.clone().unwrap())
        .collect();
    assert_eq!(ids, ["c1", "c2", "c3"]);
    match results.last() {
        Some(Err(Error::Pagination(message))) => assert!(message.contains("repeated cursor `111`"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(received(&server).await.len(), 3);
}

#[tokio::test]
async fn a_page_repeating_an_earlier_one_ends_the_stream() {
    // Pages 1, 2, then page 1 again for every later page number.
    let server = MockServer::start().await;
    for (page, ids) in [("1", [1, 2]), ("2", [3, 4])] {
        Mock::given(method("GET"))
            .and(query_param("page", page))
            .respond_with(ResponseTemplate::new(200).set_body_json(partners(ids)))
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(partners([1, 2])))
        .mount(&server)
        .await;
    let results: Vec<_> = dub(&server.uri(), 3).list_partners().page_size(2u64).stream().take(50).collect().await;
    let ids: Vec<String> = results.iter().filter_map(|r| r.as_ref().ok()).map(|p| p.id.clone()).collect();
    assert_eq!(ids, ["pn_1", "pn_2", "pn_3", "pn_4"]);
    assert!(matches!(results.last(), Some(Err(Error::Pagination(_)))), "{:?}", results.last());
    assert_eq!(received(&server).await.len(), 3);
}

#[tokio::test]
async fn an_empty_next_page_link_on_a_full_page_ends_the_stream_with_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/publishers/p1/links"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "count": 10, "limit": 2, "offset": 0,
            "links": [{"id": "l1"}, {"id": "l2"}],
            "hypermedia": {"pagination": {"next_page": ""}}
        })))
        .mount(&server)
        .await;
    let results: Vec<_> = partnerize(&server.uri())
        .list_tracking_links()
        .publisher_id("p1")
        .limit(2u64)
        .stream()
        .take(20)
        .collect()
        .await;
    assert_eq!(results.len(), 3, "{results:?}");
    match &results[2] {
        Err(Error::Pagination(message)) => assert!(message.contains("empty next-page link"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(received(&server).await.len(), 1);
}
