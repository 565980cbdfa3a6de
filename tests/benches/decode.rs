//! Hot-path cost of a generated client call against a hand-written baseline, in the same run.
//!
//! Both sides fetch the same JSON page (Dub partners) from a loopback server and decode it into the
//! same generated type; the baseline is plain reqwest + `serde_json::from_slice`. Printed: median
//! wall time and bytes allocated per call, and their ratios (client / baseline). Allocation counts
//! are exact and machine-independent; times are medians of interleaved runs and only meaningful as a
//! ratio. The loopback server runs in the same process, so its allocations count on both sides.
//! Run: `cargo bench -p affiliate-tests --bench decode`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use affiliate_dub::{types, Client};
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

struct Counting;

static ALLOCATED: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATED.fetch_add(new_size.saturating_sub(layout.size()) as u64, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn partners(count: usize) -> Value {
    let spec: Value = serde_yaml::from_str(include_str!("../../specs/dub.yaml")).unwrap();
    let example = &spec["paths"]["/partners"]["get"]["responses"]["200"]["content"]["application/json"]["example"][0];
    Value::Array(
        (0..count)
            .map(|i| {
                let mut p = example.clone();
                p["id"] = json!(format!("pn_{i:08}"));
                p
            })
            .collect(),
    )
}

/// Runs `f` once, returning (elapsed, bytes allocated on this thread's runtime meanwhile).
async fn measure<F, Fut>(f: &F) -> (Duration, u64)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let before = ALLOCATED.load(Ordering::Relaxed);
    let started = Instant::now();
    let items = f().await;
    let elapsed = started.elapsed();
    let allocated = ALLOCATED.load(Ordering::Relaxed) - before;
    assert!(items > 0);
    (elapsed, allocated)
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let server = MockServer::start().await;
        let page = partners(2_000);
        let body = serde_json::to_vec(&page).unwrap();
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

        // Warm up connections and caches.
        for _ in 0..3 {
            measure(&generated).await;
            measure(&baseline).await;
        }
        let rounds = 25;
        let (mut gen_t, mut base_t, mut dec_t) = (Vec::new(), Vec::new(), Vec::new());
        let (mut gen_a, mut base_a, mut dec_a) = (0, 0, 0);
        for _ in 0..rounds {
            let (t, a) = measure(&generated).await;
            gen_t.push(t);
            gen_a += a;
            let (t, a) = measure(&baseline).await;
            base_t.push(t);
            base_a += a;
            let (t, a) = measure(&decode_only).await;
            dec_t.push(t);
            dec_a += a;
        }
        let (gen_t, base_t, dec_t) = (median(gen_t), median(base_t), median(dec_t));
        let per = |total: u64| total / rounds as u64;
        println!(
            "decode benchmark: GET /partners, {} items, {} KiB body, {rounds} interleaved rounds",
            2_000,
            body.len() / 1024
        );
        println!("  baseline (reqwest + serde_json): {:>10.2?}  {:>10} bytes allocated/call", base_t, per(base_a));
        println!("  generated client send():         {:>10.2?}  {:>10} bytes allocated/call", gen_t, per(gen_a));
        println!("  decode only (from_slice):        {:>10.2?}  {:>10} bytes allocated/call", dec_t, per(dec_a));
        println!(
            "  ratio client/baseline: time {:.2}x, allocated bytes {:.2}x",
            gen_t.as_secs_f64() / base_t.as_secs_f64(),
            per(gen_a) as f64 / per(base_a) as f64
        );
    });
}
