//! One replica of a service for the fleet tests: makes `<items>` calls with a client built by
//! `from_env()` (credentials, base URL, rate limit and shared Redis all from the environment),
//! one after another, and prints `ok=<n> failed=<n> elapsed_ms=<ms>`. Exits 0 when every call
//! succeeded.

use std::time::Instant;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let items: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(10);
    let client = match affiliate_dub::Client::from_env() {
        Ok(client) => client,
        Err(e) => {
            eprintln!("fleet_worker: {e}");
            std::process::exit(2);
        }
    };
    let started = Instant::now();
    let (mut ok, mut failed) = (0, 0);
    for _ in 0..items {
        match client.retrieve_partner_links().partner_id("pn_1").send().await {
            Ok(_) => ok += 1,
            Err(e) => {
                eprintln!("fleet_worker: {e}");
                failed += 1;
            }
        }
    }
    println!("ok={ok} failed={failed} elapsed_ms={}", started.elapsed().as_millis());
    std::process::exit(if failed == 0 { 0 } else { 1 });
}
