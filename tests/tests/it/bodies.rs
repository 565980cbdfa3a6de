//! Every body a client reads: one limit (`max_body_bytes`, one error kind `too_large`) for each
//! body read whole, whatever its status, content type or framing; streamed exports are read by
//! the caller; and peak heap for a large body under the limit stays within 3x its size, per
//! client (measured with the counting allocator on the calling thread only: exact, not timed;
//! `--nocapture` prints the figures).

use std::future::Future;
use std::io::Write;

use affiliate_runtime::{Error, RetryPolicy};
use affiliate_tests::bench::thread_peak;
use futures::{FutureExt, StreamExt};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const LIMIT: usize = 64 * 1024;

/// How the server frames a body.
#[derive(Debug, Clone, Copy)]
enum Framing {
    /// `Content-Length` announced.
    Length,
    /// gzip: reqwest decompresses, so no length is known before reading.
    Gzip,
}

struct Case {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    status: u16,
    content_type: &'static str,
    size: usize,
    framing: Framing,
    /// The call, returning how many body bytes the caller read, or the error.
    call: fn(&Clients) -> futures::future::BoxFuture<'_, Result<usize, Error>>,
    /// `Ok(bytes read by the caller)` or the error kind.
    expect: Result<usize, &'static str>,
}

struct Clients {
    dub: affiliate_dub::Client,
    partnerize: affiliate_partnerize::Client,
    geniuslink: affiliate_geniuslink::Client,
}

fn answer(case: &Case) -> ResponseTemplate {
    let body = vec![b' '; case.size];
    match case.framing {
        Framing::Length => ResponseTemplate::new(case.status).set_body_raw(body, case.content_type),
        Framing::Gzip => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(&body).unwrap();
            ResponseTemplate::new(case.status)
                .set_body_raw(gz.finish().unwrap(), case.content_type)
                .insert_header("Content-Encoding", "gzip")
        }
    }
}

async fn stream_len(body: affiliate_runtime::ByteStream) -> Result<usize, Error> {
    let mut body = body.into_inner();
    let mut read = 0;
    while let Some(chunk) = body.next().await {
        read += chunk?.len();
    }
    Ok(read)
}

/// Each case: one answer of `size` bytes (over the limit unless the body is streamed); the call
/// either fails with the expected kind, having sent one request, or reads what it should.
#[tokio::test]
async fn one_limit_for_every_body_read_whole() {
    use affiliate_partnerize::types::ExportClicksCsvSuccess;
    let big = 4 * LIMIT;
    let cases = [
        Case {
            name: "JSON success",
            method: "GET",
            path: "/partners",
            status: 200,
            content_type: "application/json",
            size: big,
            framing: Framing::Length,
            call: |c| c.dub.list_partners().send().map(|r| r.map(|_| 0)).boxed(),
            expect: Err("too_large"),
        },
        Case {
            name: "JSON success, no length",
            method: "GET",
            path: "/partners",
            status: 200,
            content_type: "application/json",
            size: big,
            framing: Framing::Gzip,
            call: |c| c.dub.list_partners().send().map(|r| r.map(|_| 0)).boxed(),
            expect: Err("too_large"),
        },
        Case {
            name: "JSON operation, text label",
            method: "GET",
            path: "/partners",
            status: 200,
            content_type: "text/plain",
            size: big,
            framing: Framing::Length,
            call: |c| c.dub.list_partners().send().map(|r| r.map(|_| 0)).boxed(),
            expect: Err("too_large"),
        },
        Case {
            name: "body-error rules (JSON)",
            method: "GET",
            path: "/v4/user-affiliate-tokens",
            status: 200,
            content_type: "application/json",
            size: big,
            framing: Framing::Gzip,
            call: |c| c.geniuslink.list_user_affiliate_tokens().username("jane").send().map(|r| r.map(|_| 0)).boxed(),
            expect: Err("too_large"),
        },
        Case {
            name: "job status",
            method: "GET",
            path: "/job/j1",
            status: 200,
            content_type: "application/json",
            size: big,
            framing: Framing::Length,
            call: |c| c.partnerize.get_job().job_id("j1").send().map(|r| r.map(|_| 0)).boxed(),
            expect: Err("too_large"),
        },
        Case {
            name: "202 next to an export, text label",
            method: "GET",
            path: "/reporting/export/export/click.csv",
            status: 202,
            content_type: "text/plain",
            size: big,
            framing: Framing::Length,
            call: |c| export(c).boxed(),
            expect: Err("too_large"),
        },
        Case {
            name: "202 next to an export, no length",
            method: "GET",
            path: "/reporting/export/export/click.csv",
            status: 202,
            content_type: "application/json",
            size: big,
            framing: Framing::Gzip,
            call: |c| export(c).boxed(),
            expect: Err("too_large"),
        },
        Case {
            name: "undocumented success status",
            method: "GET",
            path: "/reporting/export/export/click.csv",
            status: 206,
            content_type: "text/csv",
            size: big,
            framing: Framing::Length,
            call: |c| export(c).boxed(),
            expect: Err("decode"),
        },
        Case {
            name: "error status",
            method: "GET",
            path: "/partners",
            status: 500,
            content_type: "application/json",
            size: big,
            framing: Framing::Gzip,
            call: |c| c.dub.list_partners().send().map(|r| r.map(|_| 0)).boxed(),
            expect: Err("server"),
        },
        Case {
            name: "streamed export: the caller reads it all",
            method: "GET",
            path: "/reporting/export/export/click.csv",
            status: 200,
            content_type: "text/csv",
            size: big,
            framing: Framing::Gzip,
            call: |c| export(c).boxed(),
            expect: Ok(big),
        },
    ];
    async fn export(c: &Clients) -> Result<usize, Error> {
        let answer = c
            .partnerize
            .export_clicks_csv()
            .publisher_id("p1")
            .start_date("2026-11-01")
            .end_date("2026-11-02")
            .send()
            .await?;
        match answer.into_inner() {
            ExportClicksCsvSuccess::Ok(csv) => stream_len(csv).await,
            ExportClicksCsvSuccess::Accepted(_) => Ok(0),
        }
    }
    for case in &cases {
        let server = MockServer::start().await;
        Mock::given(method(case.method)).and(path(case.path)).respond_with(answer(case)).expect(1).mount(&server).await;
        let clients = Clients {
            dub: affiliate_dub::Client::builder()
                .base_url(server.uri())
                .bearer_token("t")
                .retry_policy(RetryPolicy::none())
                .max_body_bytes(LIMIT)
                .build()
                .unwrap(),
            partnerize: affiliate_partnerize::Client::builder()
                .base_url(server.uri())
                .basic_auth("a", "u")
                .retry_policy(RetryPolicy::none())
                .max_body_bytes(LIMIT)
                .build()
                .unwrap(),
            geniuslink: affiliate_geniuslink::Client::builder()
                .base_url(server.uri())
                .api_key("X-Api-Key", "k")
                .api_key("X-Api-Secret", "s")
                .retry_policy(RetryPolicy::none())
                .max_body_bytes(LIMIT)
                .build()
                .unwrap(),
        };
        let got = (case.call)(&clients).await;
        if let Err(Error::TooLarge { limit, .. }) = &got {
            assert_eq!(*limit, LIMIT, "{}", case.name);
        }
        assert_eq!(got.map_err(|e| e.kind().as_str()), case.expect, "{}", case.name);
        server.verify().await;
    }
}

const BODY_BYTES: usize = 60_000_000;

/// `{"zeros":[0,0,...,0]}`, `BODY_BYTES` long: every field a client reads is absent, so a client
/// that skips what it does not read holds little beyond the body.
fn zeros() -> Vec<u8> {
    let mut body = Vec::with_capacity(BODY_BYTES);
    body.extend_from_slice(b"{\"zeros\":[0");
    while body.len() + 4 <= BODY_BYTES {
        body.extend_from_slice(b",0");
    }
    body.extend_from_slice(b"]}");
    body.resize(BODY_BYTES, b' ');
    body
}

/// Calls `call` once against a server answering `body` and returns the calling thread's peak heap.
fn peak<F, Fut, T>(body: &[u8], call: F) -> u64
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = T>,
{
    let servers = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let server = servers.block_on(async {
        let server = MockServer::start().await;
        Mock::given(wiremock::matchers::any())
            .respond_with(ResponseTemplate::new(200).set_body_raw(body.to_vec(), "application/json"))
            .expect(1)
            .mount(&server)
            .await;
        server
    });
    let local = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let future = call(server.uri());
    let (_, peak) = thread_peak(|| local.block_on(future));
    drop(local);
    servers.block_on(server.verify());
    peak
}

#[test]
fn a_large_body_costs_at_most_three_times_its_size() {
    let body = zeros();
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    let mut failures = Vec::new();
    let mut check = |client: &str, peak: u64| {
        let ratio = peak as f64 / body.len() as f64;
        println!("{client:<11} {} byte body: peak heap +{:.1} MiB ({ratio:.2}x the body)", body.len(), mib(peak));
        if ratio > 3.0 {
            failures.push(format!("{client}: {ratio:.2}x"));
        }
    };
    check(
        "dub",
        peak(&body, |url| async move {
            let client = affiliate_dub::Client::builder().base_url(url).bearer_token("t").build().unwrap();
            client.list_partners().send().await.map(drop)
        }),
    );
    check(
        "geniuslink",
        peak(&body, |url| async move {
            let client = affiliate_geniuslink::Client::builder()
                .base_url(url)
                .api_key("X-Api-Key", "k")
                .api_key("X-Api-Secret", "s")
                .build()
                .unwrap();
            client.list_group_affiliate_tokens().group_id(7).username("jane").send().await.map(drop)
        }),
    );
    check(
        "partnerize",
        peak(&body, |url| async move {
            let client = affiliate_partnerize::Client::builder().base_url(url).basic_auth("a", "u").build().unwrap();
            client.get_partner().publisher_id("1l1007802").send().await.map(drop)
        }),
    );
    assert!(failures.is_empty(), "peak heap above 3x the body: {failures:?}");
}
