//! The runtime's guards and limits at their edges, each through a generated client: which errors
//! say "try later" (every variant), error bodies read up to 64 KiB and no further, jobs that fail
//! or never finish, and page fingerprints taken from the bytes the server sent.

use std::time::Duration;

use affiliate_runtime::reqwest::header::HeaderMap;
use affiliate_runtime::reqwest::StatusCode;
use affiliate_runtime::{Error, Poll, TransportKind};
use futures::TryStreamExt;
use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{quick_retries, received, Spec};

fn dub(base_url: &str) -> affiliate_dub::Client {
    affiliate_dub::Client::builder()
        .base_url(base_url)
        .bearer_token("dub_guards_token")
        .retry_policy(quick_retries(2))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Error::is_retryable, for every variant
// ---------------------------------------------------------------------------------------------

/// A timeout, a refused connection and an untrusted certificate, each from a real call.
async fn transport_errors() -> (Error, Error, Error) {
    let slow = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])).set_delay(Duration::from_secs(2)))
        .mount(&slow)
        .await;
    let timeout = affiliate_dub::Client::builder()
        .base_url(slow.uri())
        .bearer_token("t")
        .retry_policy(affiliate_runtime::RetryPolicy::none())
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap()
        .list_partners()
        .send()
        .await
        .unwrap_err();

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = listener.local_addr().unwrap();
    drop(listener);
    let refused = dub(&format!("http://{closed}")).list_partners().send().await.unwrap_err();

    // The platform's roots do not know the test CA.
    let front = affiliate_tests::net::TlsFront::start(affiliate_tests::net::addr_of(&slow)).await;
    let addr = front.addr;
    let untrusted = affiliate_dub::Client::builder()
        .bearer_token("t")
        .configure_http(move |http| http.resolve("api.dub.co", addr))
        .build()
        .unwrap()
        .list_partners()
        .send()
        .await
        .unwrap_err();
    (timeout, refused, untrusted)
}

#[tokio::test]
async fn every_error_variant_says_whether_trying_later_may_help() {
    let answer = |status: u16| Error::from_response(StatusCode::from_u16(status).unwrap(), &HeaderMap::new(), b"{}");
    let (timeout, refused, untrusted) = transport_errors().await;
    assert!(matches!(&refused, Error::Transport(e) if e.kind() == TransportKind::Connect), "{refused:?}");
    assert!(matches!(&untrusted, Error::Transport(e) if e.kind() == TransportKind::Tls), "{untrusted:?}");
    // (error, its kind, retryable)
    let cases = [
        (answer(401), "unauthorized", false),
        (answer(403), "forbidden", false),
        (answer(404), "not_found", false),
        (answer(410), "not_found", false),
        (answer(409), "conflict", false),
        (answer(400), "validation", false),
        (answer(422), "validation", false),
        (answer(429), "rate_limited", true),
        (answer(500), "server", true),
        (answer(503), "server", true),
        (answer(408), "api", true),
        (answer(418), "api", false),
        (answer(302), "api", false),
        (timeout, "timeout", true),
        (refused, "transport", true),
        (untrusted, "transport", false),
        (Error::Decode { status: Some(StatusCode::OK), message: "m".into(), snippet: "s".into() }, "decode", false),
        (Error::MissingCredential { scheme: "s".into(), env: "E".into() }, "missing_credential", false),
        (Error::Config("c".into()), "config", false),
        (Error::InvalidRequest("r".into()), "invalid_request", false),
        (Error::Pagination("p".into()), "pagination", false),
        (Error::TooLarge { status: StatusCode::OK, limit: 1 }, "too_large", false),
        (Error::Job("j".into()), "job", false),
        (Error::ForeignLink("l".into()), "foreign_link", false),
    ];
    let mut kinds: Vec<&str> = cases.iter().map(|(_, kind, _)| *kind).collect();
    kinds.dedup();
    assert_eq!(kinds.len(), 18, "one row or more per variant: {kinds:?}");
    for (error, kind, retryable) in cases {
        assert_eq!(error.kind(), kind, "{error:?}");
        assert_eq!(error.is_retryable(), retryable, "{kind}: {error}");
    }
}

// ---------------------------------------------------------------------------------------------
// Error bodies: read up to 64 KiB
// ---------------------------------------------------------------------------------------------

/// A Dub-shaped 404 body of exactly `len` bytes: the vendor's code first, then padding.
fn error_body(len: usize) -> Vec<u8> {
    let frame = |pad: usize| {
        format!(r#"{{"error":{{"code":"not_found","message":"gone"}},"pad":"{}"}}"#, "x".repeat(pad)).into_bytes()
    };
    let overhead = frame(0).len();
    let body = frame(len - overhead);
    assert_eq!(body.len(), len);
    body
}

#[tokio::test]
async fn error_bodies_are_read_up_to_64_kib_and_no_further() {
    const LIMIT: usize = 64 * 1024;
    // (body length, whether the whole body was read: only then is it JSON whose code is known)
    let cases = [(1_000, true), (LIMIT, true), (LIMIT + 1, false), (4 * LIMIT, false)];
    for (len, whole) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(404).set_body_raw(error_body(len), "application/json"))
            .expect(1)
            .mount(&server)
            .await;
        let error = dub(&server.uri()).list_partners().send().await.unwrap_err();
        assert!(matches!(error, Error::NotFound(_)), "{len}: {error:?}");
        let code = if whole { Some("not_found") } else { None };
        assert_eq!(error.code(), code, "{len} bytes: the JSON is whole only when the body was read whole");
        assert!(error.api_error().unwrap().body.starts_with(r#"{"error""#), "{len}: the start of the body is kept");
    }
    assert_eq!(affiliate_runtime::MAX_ERROR_BODY, LIMIT, "the README documents 64 KiB");
}

// ---------------------------------------------------------------------------------------------
// Jobs
// ---------------------------------------------------------------------------------------------

/// A `getJob` answer in the given status.
fn job(status: &str) -> Value {
    let (_, mut job) = Spec::load("partnerize").success_example("getJob");
    job["job"]["job_id"] = json!("j1");
    job["job"]["status"] = json!(status);
    job
}

#[tokio::test]
async fn a_job_that_fails_or_never_finishes_ends_the_wait_with_a_job_error() {
    let quick = Poll::new(Duration::from_millis(10), Duration::from_millis(20), Duration::from_secs(5));
    // Polls at 0, 50, 150, 350, 550, 750 and 950 ms at the earliest; then the next wait would end
    // past the second: at most 7 status requests, however slow the machine.
    let short = Poll::new(Duration::from_millis(50), Duration::from_millis(200), Duration::from_secs(1));
    // (statuses the server answers in turn, the last one repeated; poll; Ok(final status) or
    // Err(fragment of the job error); status requests: at least, at most)
    type Case = (&'static [&'static str], Poll, Result<&'static str, &'static str>, (usize, usize));
    let cases: [Case; 6] = [
        (&["pending", "complete"], quick.clone(), Ok("complete"), (2, 2)),
        (&["pending", "pending", "failed"], quick.clone(), Err("ended with status `failed`"), (3, 3)),
        (&["error"], quick.clone(), Err("ended with status `error`"), (1, 1)),
        (&["pending", "cancelled"], quick.clone(), Err("ended with status `cancelled`"), (2, 2)),
        (&["expired"], quick, Err("ended with status `expired`"), (1, 1)),
        (&["pending"], short, Err("still `pending` after"), (2, 7)),
    ];
    for (statuses, poll, expected, (least, most)) in cases {
        let server = MockServer::start().await;
        for (n, status) in statuses.iter().enumerate() {
            let answer = Mock::given(method("GET"))
                .and(path("/job/j1"))
                .respond_with(ResponseTemplate::new(200).set_body_json(job(status)));
            let last = n + 1 == statuses.len();
            if last { answer } else { answer.up_to_n_times(1) }.mount(&server).await;
        }
        let client = crate::partnerize::client_at(&server.uri());
        let result = client.get_job().job_id("j1").wait(&poll).await;
        match (&result, expected) {
            (Ok(done), Ok(status)) => assert_eq!(done.job.status.to_string(), status, "{statuses:?}"),
            (Err(Error::Job(message)), Err(fragment)) => assert!(message.contains(fragment), "{statuses:?}: {message}"),
            _ => panic!("{statuses:?}: {result:?}"),
        }
        let requests = received(&server).await.len();
        assert!((least..=most).contains(&requests), "{statuses:?}: {requests} status requests");
    }
}

// ---------------------------------------------------------------------------------------------
// Page fingerprints
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_page_repeat_is_told_by_its_bytes_not_by_what_it_decodes_to() {
    let (_, example) = Spec::load("dub").success_example("listPartners");
    let partner = |id: &str, extra: Value| {
        let mut p = example[0].clone();
        p["id"] = json!(id);
        // A field the client does not know: dropped when decoding, still part of the bytes.
        p["x-revision"] = extra;
        p
    };
    let first = json!([partner("pn_1", json!(1)), partner("pn_2", json!(1))]);
    let same_items_other_bytes = json!([partner("pn_1", json!(2)), partner("pn_2", json!(2))]);
    // (pages 1, 2, 3: page 3 is empty; items streamed; whether the stream ends in a repeat error)
    let cases = [
        (vec![first.clone(), same_items_other_bytes, json!([])], 4, false),
        (vec![first.clone(), first, json!([])], 2, true),
    ];
    for (pages, items, repeat) in cases {
        let server = MockServer::start().await;
        for (n, page) in pages.iter().enumerate() {
            Mock::given(method("GET"))
                .and(path("/partners"))
                .and(query_param("page", (n + 1).to_string()))
                .respond_with(ResponseTemplate::new(200).set_body_json(page))
                .mount(&server)
                .await;
        }
        let client = dub(&server.uri());
        let mut stream = client.list_partners().page_size(2u64).stream();
        let mut ids = Vec::new();
        let end = loop {
            match stream.try_next().await {
                Ok(Some(partner)) => ids.push(partner.id),
                Ok(None) => break None,
                Err(error) => break Some(error),
            }
        };
        let ends = format!("{repeat}: {ids:?}, {end:?}");
        assert_eq!(ids.len(), items, "{ends}");
        match end {
            None => assert!(!repeat, "{ends}"),
            Some(Error::Pagination(message)) => assert!(repeat && message.contains("already sent"), "{message}"),
            Some(other) => panic!("{ends}: {other:?}"),
        }
        assert_eq!(received(&server).await.len(), if repeat { 2 } else { 3 }, "{ends}");
    }
}
