//! Per-call cost of the rate-limit budget: the same call with no limiter, with the in-process
//! GCRA, and with the budget shared on a real Redis (one script round trip per call), in the same
//! run. The rate is set far above what the loop reaches, so nothing ever waits: what is measured
//! is the bookkeeping. Printed: median time per call and the ratios against no limiter.
//! Run: `cargo bench -p affiliate-tests --bench limiter`.

use affiliate_dub::Client;
use affiliate_runtime::Rate;
use affiliate_tests::bench::{compare, Counting, Side};
use affiliate_tests::redis::RedisServer;

#[global_allocator]
static GLOBAL: Counting = Counting;

const CALLS: usize = 200;

fn main() {
    let redis = RedisServer::start();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let addr = affiliate_tests::net::static_server(|_| {
            http::Response::builder()
                .header("content-type", "application/json")
                .body(bytes::Bytes::from_static(b"[]"))
                .unwrap()
        })
        .await;
        let url = format!("http://{addr}");
        // A million a second: one slot per microsecond, far below a call's own time.
        let fast = Rate::new(1_000_000, std::time::Duration::from_secs(1));
        let build = |rate: Option<Rate>, redis: Option<&str>| {
            Client::builder()
                .base_url(&url)
                .bearer_token("dub_bench")
                .rate_limit(rate)
                .shared_rate_limit(redis)
                .build()
                .unwrap()
        };
        let none = build(None, None);
        let local = build(fast, None);
        let shared = build(fast, Some(&redis.url()));
        assert!(shared.runtime().is_budget_shared());
        let calls = |client: &Client| {
            let client = client.clone();
            move || {
                let client = client.clone();
                async move {
                    for _ in 0..CALLS {
                        client.retrieve_partner_links().partner_id("pn_1").send().await.unwrap();
                    }
                    CALLS
                }
            }
        };
        let (none_side, local_side) = compare(Some(CALLS), 2, 15, &calls(&none), &calls(&local)).await;
        let (none_again, shared_side) = compare(Some(CALLS), 2, 15, &calls(&none), &calls(&shared)).await;
        let per_call = |side: &Side| side.median / CALLS as u32;
        println!("limiter benchmark: {CALLS} sequential calls to a loopback server, 15 interleaved rounds");
        println!("  no limiter:                     {:>10.2?}/call", per_call(&none_side));
        println!(
            "  local GCRA (governor):          {:>10.2?}/call  {} against no limiter",
            per_call(&local_side),
            local_side.time_ratios(&none_side)
        );
        println!(
            "  shared GCRA (Redis script):     {:>10.2?}/call  {} against no limiter ({:.2?}/call added)",
            per_call(&shared_side),
            shared_side.time_ratios(&none_again),
            per_call(&shared_side).saturating_sub(per_call(&none_again))
        );
    });
    drop(redis);
}
