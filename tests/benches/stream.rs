//! Streaming cost of a generated client's `.stream()` against a hand-written page loop, in the
//! same run: 10,000 and 100,000 Dub partners in pages of 100, and one call with a one-item answer.
//!
//! Both sides fetch the same pages from the same loopback server (a lean keep-alive HTTP/1.1
//! server in this process) and decode them into the same generated type; the baseline is plain
//! reqwest + `serde_json::from_slice`. Printed: median wall time per run and its ratio (client /
//! baseline), and the peak of live heap bytes during a run (the server's page buffers count on
//! both sides), for each size. Also printed: what identifying one page costs by re-serialising
//! its decoded value (what the loop guard used to do) against hashing its body bytes (what it
//! does now). Times are only meaningful as ratios. No assertions.
//! Run: `cargo bench -p affiliate-tests --bench stream`.

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;
use std::sync::Arc;
use std::time::{Duration, Instant};

use affiliate_dub::{types, Client};
use affiliate_tests::bench::{compare, measure, ratio, read_head, Counting};
use futures::TryStreamExt;
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

#[global_allocator]
static GLOBAL: Counting = Counting;

const PAGE: usize = 100;

/// One partner's JSON split around its id, so that any page can be written quickly.
struct Template {
    before_id: Vec<u8>,
    after_id: Vec<u8>,
}

impl Template {
    fn new() -> Template {
        let spec: Value = serde_yaml::from_str(include_str!("../../specs/dub.yaml")).unwrap();
        let mut partner =
            spec["paths"]["/partners"]["get"]["responses"]["200"]["content"]["application/json"]["example"][0].clone();
        partner["id"] = Value::String("@ID@".to_string());
        let text = serde_json::to_string(&partner).unwrap();
        let (before, after) = text.split_once("@ID@").unwrap();
        Template { before_id: before.as_bytes().to_vec(), after_id: after.as_bytes().to_vec() }
    }

    /// Page `number` (from 1) of `size` items out of `total`.
    fn page(&self, number: usize, size: usize, total: usize) -> Vec<u8> {
        let first = (number.saturating_sub(1) * size).min(total);
        let last = (first + size).min(total);
        let mut body = Vec::with_capacity((last - first) * (self.before_id.len() + self.after_id.len() + 12) + 2);
        body.push(b'[');
        for i in first..last {
            if i > first {
                body.push(b',');
            }
            body.extend_from_slice(&self.before_id);
            body.extend_from_slice(format!("pn_{i:08}").as_bytes());
            body.extend_from_slice(&self.after_id);
        }
        body.push(b']');
        body
    }
}

/// A keep-alive HTTP/1.1 server of `total` partners: `GET /partners?page=N&pageSize=S` answers page N.
async fn serve(template: Arc<Template>, total: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            socket.set_nodelay(true).unwrap();
            tokio::spawn(connection(socket, template.clone(), total));
        }
    });
    base_url
}

async fn connection(mut socket: TcpStream, template: Arc<Template>, total: usize) {
    let mut buf = Vec::new();
    while let Some(head) = read_head(&mut socket, &mut buf).await {
        let target = head.split(' ').nth(1).unwrap_or("/");
        let url = reqwest::Url::parse("http://localhost").unwrap().join(target).unwrap();
        let param = |name: &str, default: usize| {
            url.query_pairs().find(|(k, _)| k == name).and_then(|(_, v)| v.parse().ok()).unwrap_or(default)
        };
        let body = template.page(param("page", 1), param("pageSize", PAGE), total);
        let head =
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", body.len());
        if socket.write_all(head.as_bytes()).await.is_err() || socket.write_all(&body).await.is_err() {
            return;
        }
    }
}

fn ratio_u(a: u64, b: u64) -> f64 {
    a as f64 / b as f64
}

fn kib(bytes: u64) -> u64 {
    bytes / 1024
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let template = Arc::new(Template::new());
        // Configured as the generated client is by default (a total and a connect timeout cost
        // a timer per request); otherwise a plain client.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .unwrap();

        println!("stream benchmark: Dub partners in pages of {PAGE}, client .stream() vs reqwest + serde_json loop");
        let mut peaks = Vec::new();
        for (total, rounds) in [(10_000usize, 9), (100_000, 5)] {
            let base_url = serve(template.clone(), total).await;
            let client = Client::builder().base_url(&base_url).bearer_token("dub_bench").build().unwrap();
            let streamed = || async {
                client
                    .list_partners()
                    .page_size(PAGE as u64)
                    .stream()
                    .try_fold(0usize, |n, partner| async move {
                        std::hint::black_box(&partner);
                        Ok(n + 1)
                    })
                    .await
                    .unwrap()
            };
            let looped = || async {
                let mut count = 0;
                for page in 1.. {
                    let url = format!("{base_url}/partners?page={page}&pageSize={PAGE}");
                    let response = http.get(&url).bearer_auth("dub_bench").send().await.unwrap();
                    assert!(response.status().is_success());
                    let bytes = response.bytes().await.unwrap();
                    let partners: Vec<types::EnrolledPartner> = serde_json::from_slice(&bytes).unwrap();
                    count += partners.len();
                    let short = partners.len() < PAGE;
                    for partner in partners {
                        std::hint::black_box(&partner);
                    }
                    if short {
                        break;
                    }
                }
                count
            };
            // The generated client's send() in a hand-written page loop: what the stream adds.
            let sent = || async {
                let mut count = 0;
                for page in 1u64.. {
                    let partners =
                        client.list_partners().page(page).page_size(PAGE as u64).send().await.unwrap().into_inner();
                    count += partners.len();
                    let short = partners.len() < PAGE;
                    for partner in partners {
                        std::hint::black_box(&partner);
                    }
                    if short {
                        break;
                    }
                }
                count
            };
            // Warm up connections and caches.
            measure(Some(total), &sent).await;
            let (stream, loop_) = compare(Some(total), 1, rounds, &streamed, &looped).await;
            let (send, loop2) = compare(Some(total), 0, rounds, &sent, &looped).await;
            println!("  {total:>7} items, {rounds} interleaved rounds (median / best):");
            for (name, side) in [("hand-written loop", &loop_), ("client .stream()", &stream)] {
                println!(
                    "    {name:<18} {:>10.2?} / {:>10.2?}  peak {:>5} KiB live heap",
                    side.median,
                    side.best,
                    kib(side.peak)
                );
            }
            println!(
                "    ratio stream/loop: time {}; peak memory {:.2}x",
                stream.time_ratios(&loop_),
                ratio_u(stream.peak, loop_.peak)
            );
            println!(
                "    (client send() in the same page loop: time {}, peak {} KiB)",
                send.time_ratios(&loop2),
                kib(send.peak)
            );
            peaks.push((total, stream.peak, loop_.peak));
        }
        if let [(_, s10, l10), (_, s100, l100)] = peaks[..] {
            println!("  peak memory 100k / 10k: stream {:.2}x, loop {:.2}x", ratio_u(s100, s10), ratio_u(l100, l10));
        }

        // Per-call overhead on a one-item answer.
        let base_url = serve(template.clone(), 1).await;
        let client = Client::builder().base_url(&base_url).bearer_token("dub_bench").build().unwrap();
        let sent = || async {
            let page = client.list_partners().page(1u64).page_size(1u64).send().await.unwrap();
            page.into_inner().len()
        };
        let plain = || async {
            // A hand-written client builds the URL per call too.
            let (page, size) = (1, 1);
            let url = format!("{base_url}/partners?page={page}&pageSize={size}");
            let response = http.get(&url).bearer_auth("dub_bench").send().await.unwrap();
            let bytes = response.bytes().await.unwrap();
            serde_json::from_slice::<Vec<types::EnrolledPartner>>(&bytes).unwrap().len()
        };
        let (call, plain) = compare(Some(1), 20, 2001, &sent, &plain).await;
        println!("  one-item call, 2001 interleaved rounds (median / best):");
        println!("    reqwest + serde_json: {:>10.2?} / {:>10.2?}", plain.median, plain.best);
        println!("    client send():        {:>10.2?} / {:>10.2?}", call.median, call.best);
        println!("    ratio send/plain: time {}", call.time_ratios(&plain));

        // What identifying a page costs: the old guard re-serialised the decoded page, the new
        // one hashes the body bytes the client buffered anyway.
        let body = template.page(1, PAGE, PAGE);
        let page: Vec<types::EnrolledPartner> = serde_json::from_slice(&body).unwrap();
        let times = |f: &dyn Fn() -> u64| {
            let started = Instant::now();
            for _ in 0..200 {
                std::hint::black_box(f());
            }
            started.elapsed() / 200
        };
        let reserialised = times(&|| {
            struct HashWriter(DefaultHasher);
            impl std::io::Write for HashWriter {
                fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                    self.0.write(buf);
                    Ok(buf.len())
                }
                fn flush(&mut self) -> std::io::Result<()> {
                    Ok(())
                }
            }
            let mut writer = HashWriter(DefaultHasher::new());
            serde_json::to_writer(&mut writer, &page).unwrap();
            writer.0.finish()
        });
        let hashed = times(&|| affiliate_runtime::__private::pagination::body_fingerprint(&body));
        let decode = times(&|| serde_json::from_slice::<Vec<types::EnrolledPartner>>(&body).unwrap().len() as u64);
        println!("  fingerprint of one page ({PAGE} partners, {} KiB):", body.len() / 1024);
        println!("    re-serialise decoded page: {reserialised:>10.2?}   (decode of the same page: {decode:.2?})");
        println!("    hash of the body bytes:    {hashed:>10.2?}   ({:.1}x cheaper)", ratio(reserialised, hashed));
    });
}
