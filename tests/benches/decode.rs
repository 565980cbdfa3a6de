//! Hot-path cost of a generated client call against a hand-written baseline, in the same run.
//!
//! Both sides fetch the same JSON page (Dub partners) from a loopback server and decode it into the
//! same generated type; the baseline is plain reqwest + `serde_json::from_slice`. Printed: median
//! wall time and bytes allocated per call, and their ratios (client / baseline). Allocation counts
//! are exact and machine-independent; times are medians of interleaved runs and only meaningful as a
//! ratio. The loopback server runs in the same process, so its allocations count on both sides.
//! Run: `cargo bench -p affiliate-tests --bench decode`.

use affiliate_dub::{types, Client};
use affiliate_tests::bench::{compare, dub_partners, print_call_comparison, Counting};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[global_allocator]
static GLOBAL: Counting = Counting;

const ITEMS: usize = 2_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let server = MockServer::start().await;
        let body = serde_json::to_vec(&dub_partners(ITEMS)).unwrap();
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json"))
            .mount(&server)
            .await;
        let client = Client::builder().base_url(server.uri()).bearer_token("dub_bench").build().unwrap();
        let http = reqwest::Client::new();
        let url = format!("{}/partners", server.uri());

        let generated = || async { client.list_partners().send().await.unwrap().into_inner().len() };
        let baseline = || async {
            let response = http.get(&url).bearer_auth("dub_bench").send().await.unwrap();
            let bytes = response.bytes().await.unwrap();
            serde_json::from_slice::<Vec<types::EnrolledPartner>>(&bytes).unwrap().len()
        };
        let decode_only = || async { serde_json::from_slice::<Vec<types::EnrolledPartner>>(&body).unwrap().len() };

        let rounds = 25;
        let (client_side, base) = compare(Some(ITEMS), 3, rounds, &generated, &baseline).await;
        let (decode, _) = compare(Some(ITEMS), 0, 5, &decode_only, &decode_only).await;
        println!(
            "decode benchmark: GET /partners, {ITEMS} items, {} KiB body, {rounds} interleaved rounds",
            body.len() / 1024
        );
        print_call_comparison(2, &base, &client_side);
        println!(
            "  decode only (from_slice):        {:>10.2?}  {:>10} bytes allocated/call",
            decode.median, decode.allocated
        );
    });
}
