//! Per-call cost of a generated client's `send()` against hand-written reqwest + serde_json, in
//! the same run: one Dub `list_partners` call answering 1 or 100 partners, over plain HTTP and
//! over HTTPS (TLS 1.3, HTTP/2 by ALPN), on loopback.
//!
//! Both sides send the same request (same query, same bearer token) to the same server and decode
//! into the same generated type; the baseline builds its URL with `format!`, sends with reqwest
//! and decodes the whole body with `serde_json::from_slice`. Rounds are interleaved and alternate
//! which side goes first. Printed per case: median and best time per call, bytes allocated per
//! call, and the ratios client / baseline (target: at most 1.10x). Times are only meaningful as
//! ratios. No assertions.
//!
//! Run: `cargo bench -p affiliate-tests --bench percall`. `PERCALL_ROUNDS` scales the rounds
//! (default 1). For instruction counts, `PERCALL_ONLY=client|baseline PERCALL_CASE=http-1
//! PERCALL_CALLS=N` makes N calls of one side of one case and prints nothing else: run it under
//! `valgrind --tool=callgrind` with two values of N; the difference over the extra calls is the
//! per-call count, setup excluded.

use std::sync::Arc;
use std::time::Duration;

use affiliate_dub::{types, Client};
use affiliate_tests::bench::{compare, dub_partners, measure, print_call_comparison, read_head, Counting};
use affiliate_tests::net::{static_server, test_root, TlsFront};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Connections the plain HTTP server accepted: a side that reconnects pays for it in every figure.
static ACCEPTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The bodies the servers answer: `pageSize=1` gets the first, anything else the second.
struct Bodies {
    one: bytes::Bytes,
    hundred: bytes::Bytes,
}

impl Bodies {
    fn new() -> Bodies {
        let body = |n| bytes::Bytes::from(serde_json::to_vec(&dub_partners(n)).unwrap());
        Bodies { one: body(1), hundred: body(100) }
    }

    fn for_target(&self, target: &str) -> bytes::Bytes {
        if target.contains("pageSize=1&") || target.ends_with("pageSize=1") {
            self.one.clone()
        } else {
            self.hundred.clone()
        }
    }
}

/// A lean keep-alive HTTP/1.1 server (it adds as little as possible to either side).
async fn lean_server(bodies: Arc<Bodies>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            ACCEPTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            socket.set_nodelay(true).unwrap();
            tokio::spawn(connection(socket, bodies.clone()));
        }
    });
    base_url
}

async fn connection(mut socket: TcpStream, bodies: Arc<Bodies>) {
    let mut buf = Vec::new();
    while let Some(head) = read_head(&mut socket, &mut buf).await {
        let body = bodies.for_target(head.split(' ').nth(1).unwrap_or("/"));
        let head =
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", body.len());
        if socket.write_all(head.as_bytes()).await.is_err() || socket.write_all(&body).await.is_err() {
            return;
        }
    }
}

/// One case: a transport and an answer size.
struct Case {
    name: &'static str,
    base_url: String,
    tls: bool,
    items: usize,
    rounds: usize,
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let bodies = Arc::new(Bodies::new());
        let http_url = lean_server(bodies.clone()).await;
        let backend = {
            let bodies = bodies.clone();
            static_server(move |request| {
                let target = request.uri.path_and_query().map_or("/", |p| p.as_str());
                http::Response::builder()
                    .header("content-type", "application/json")
                    .body(bodies.for_target(target))
                    .unwrap()
            })
            .await
        };
        let front = TlsFront::start(backend).await;
        let scale: f64 = std::env::var("PERCALL_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(1.0);
        let rounds = |n: usize| ((n as f64 * scale) as usize).max(3) | 1;
        let cases = [
            Case { name: "http-1", base_url: http_url.clone(), tls: false, items: 1, rounds: rounds(4001) },
            Case { name: "http-100", base_url: http_url.clone(), tls: false, items: 100, rounds: rounds(801) },
            Case { name: "https-1", base_url: front.url(), tls: true, items: 1, rounds: rounds(3001) },
            Case { name: "https-100", base_url: front.url(), tls: true, items: 100, rounds: rounds(801) },
        ];
        let only = std::env::var("PERCALL_ONLY").ok();
        let only_case = std::env::var("PERCALL_CASE").unwrap_or_else(|_| "http-1".to_string());
        if only.is_none() {
            println!(
                "percall benchmark: Dub list_partners, client send() vs reqwest + serde_json, 1 and 100 items \
                 ({} and {} bytes), over HTTP/1.1 and HTTPS (h2)",
                bodies.one.len(),
                bodies.hundred.len()
            );
        }
        for case in cases {
            if only.is_some() && case.name != only_case {
                continue;
            }
            let mut builder = Client::builder().base_url(&case.base_url).bearer_token("dub_bench");
            let mut http =
                reqwest::Client::builder().timeout(Duration::from_secs(30)).connect_timeout(Duration::from_secs(10));
            if case.tls {
                builder = builder.configure_http(|http| http.add_root_certificate(test_root()));
                http = http.add_root_certificate(test_root());
            }
            let client = builder.build().unwrap();
            let http = http.build().unwrap();
            let size = case.items as u64;
            let generated =
                || async { client.list_partners().page(1u64).page_size(size).send().await.unwrap().into_inner().len() };
            let base_url = &case.base_url;
            let baseline = || async {
                // A hand-written client builds its URL per call too.
                let url = format!("{base_url}/partners?page=1&pageSize={size}");
                let response = http.get(&url).bearer_auth("dub_bench").send().await.unwrap();
                assert!(response.status().is_success());
                let bytes = response.bytes().await.unwrap();
                serde_json::from_slice::<Vec<types::EnrolledPartner>>(&bytes).unwrap().len()
            };
            if only.is_none() && case.name == "http-1" {
                // Moving a future copies all of it: its size is part of the per-call cost.
                let (a, b) = (generated(), baseline());
                println!(
                    "  future sizes: client send() {} bytes, baseline {} bytes",
                    std::mem::size_of_val(&a),
                    std::mem::size_of_val(&b)
                );
            }
            if let Some(side) = &only {
                let calls: usize = std::env::var("PERCALL_CALLS").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
                for _ in 0..calls {
                    match side.as_str() {
                        "client" => measure(Some(case.items), &generated).await,
                        _ => measure(Some(case.items), &baseline).await,
                    };
                }
                continue;
            }
            let (base, client_side) = compare(Some(case.items), 50, case.rounds, &baseline, &generated).await;
            println!("  {}: {} item(s), {} interleaved rounds", case.name, case.items, case.rounds);
            if !case.tls {
                println!(
                    "    (HTTP connections accepted so far: {})",
                    ACCEPTED.load(std::sync::atomic::Ordering::Relaxed)
                );
            }
            print_call_comparison(4, &base, &client_side);
        }
    });
}
