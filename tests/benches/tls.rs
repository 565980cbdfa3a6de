//! The same call over HTTPS on loopback (TLS 1.3, HTTP/2 by ALPN): the generated client against
//! hand-written reqwest + serde_json with the same TLS settings, in the same run.
//!
//! Both fetch 2,000 Dub partners through the same TLS front and decode them into the same
//! generated type, once as plain JSON and once gzip-compressed. Printed: median time and bytes
//! allocated per call, and the ratios client / baseline.
//! Run: `cargo bench -p affiliate-tests --bench tls`.

use std::io::Write;

use affiliate_dub::{types, Client};
use affiliate_tests::bench::{compare, dub_partners, print_call_comparison, Counting};
use affiliate_tests::net::{static_server, test_root, TlsFront};

#[global_allocator]
static GLOBAL: Counting = Counting;

const ITEMS: usize = 2_000;

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(body).unwrap();
    encoder.finish().unwrap()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let body = bytes::Bytes::from(serde_json::to_vec(&dub_partners(ITEMS)).unwrap());
        let compressed = bytes::Bytes::from(gzip(&body));
        let (plain, gzipped) = (body.clone(), compressed.clone());
        // The variant is picked by a request header both sides send.
        let server = static_server(move |request| {
            let gzip = request.headers.get("x-bench").is_some_and(|v| v == "gzip");
            let builder = http::Response::builder().header("content-type", "application/json");
            match gzip {
                true => builder.header("content-encoding", "gzip").body(gzipped.clone()),
                false => builder.body(plain.clone()),
            }
            .unwrap()
        })
        .await;
        let front = TlsFront::start(server).await;
        println!(
            "tls benchmark: GET /partners over HTTPS loopback, {ITEMS} items, {} KiB JSON ({} KiB gzip)",
            body.len() / 1024,
            compressed.len() / 1024
        );
        for variant in ["identity", "gzip"] {
            let client = Client::builder()
                .base_url(front.url())
                .bearer_token("dub_bench")
                .header("x-bench", variant)
                .configure_http(|http| http.add_root_certificate(test_root()))
                .build()
                .unwrap();
            // The same TLS stack, roots, ALPN and decompression as the client's reqwest.
            let http = reqwest::Client::builder()
                .add_root_certificate(test_root())
                .timeout(std::time::Duration::from_secs(30))
                .connect_timeout(std::time::Duration::from_secs(10))
                .build()
                .unwrap();
            let url = format!("{}/partners", front.url());
            let generated = || async { client.list_partners().send().await.unwrap().into_inner().len() };
            let baseline = || async {
                let mut response =
                    http.get(&url).bearer_auth("dub_bench").header("x-bench", variant).send().await.unwrap();
                // Chunks into one buffer: reqwest's `bytes()` is slower on decompressed bodies
                // (no length known), and a hand-written baseline would not pay for that.
                let mut bytes = Vec::with_capacity(response.content_length().unwrap_or(0) as usize);
                while let Some(chunk) = response.chunk().await.unwrap() {
                    bytes.extend_from_slice(&chunk);
                }
                serde_json::from_slice::<Vec<types::EnrolledPartner>>(&bytes).unwrap().len()
            };
            let (base, client_side) = compare(Some(ITEMS), 3, 41, &baseline, &generated).await;
            println!("  {variant}:");
            print_call_comparison(4, &base, &client_side);
        }
        let alpn = front.alpn();
        println!("  ALPN of the {} TLS connections: {:?}", alpn.len(), alpn);
    });
}
