//! Measuring for the benchmarks: a counting allocator (bytes allocated, live and peak), one timed
//! run, and interleaved comparisons of a client against a hand-written baseline.
//!
//! Times are only meaningful as ratios of interleaved runs in the same process (the machines are
//! shared and noisy); allocation figures are exact.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Counts heap bytes; install with `#[global_allocator] static A: Counting = Counting;`.
pub struct Counting;

/// Bytes ever allocated, bytes live now, and the most live since the last [`measure`] began.
static ALLOCATED: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicU64 = AtomicU64::new(0);
static PEAK: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// This thread's live bytes (what it allocated minus what it freed) and their peak, for
    /// [`thread_peak`]: other threads (a test server, parallel tests) do not disturb it.
    static THREAD: Cell<(i64, i64)> = const { Cell::new((0, 0)) };
}

fn grew(bytes: usize) {
    ALLOCATED.fetch_add(bytes as u64, Ordering::Relaxed);
    let live = LIVE.fetch_add(bytes as u64, Ordering::Relaxed) + bytes as u64;
    PEAK.fetch_max(live, Ordering::Relaxed);
    let _ = THREAD.try_with(|t| {
        let (live, peak) = t.get();
        let live = live + bytes as i64;
        t.set((live, peak.max(live)));
    });
}

fn shrank(bytes: usize) {
    LIVE.fetch_sub(bytes as u64, Ordering::Relaxed);
    let _ = THREAD.try_with(|t| {
        let (live, peak) = t.get();
        t.set((live - bytes as i64, peak));
    });
}

/// Runs `f` and returns its result and the most heap bytes live at once on this thread during
/// it, above those live when it began. Exact and deterministic when `f` allocates on this thread
/// only (a current-thread tokio runtime with the server on another thread): usable in tests.
pub fn thread_peak<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let start = THREAD.with(|t| {
        let (live, _) = t.get();
        t.set((live, live));
        live
    });
    let result = f();
    let peak = THREAD.with(|t| t.get().1);
    (result, u64::try_from(peak - start).unwrap_or(0))
}

// SAFETY: every call is forwarded unchanged to the system allocator; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrank(layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match new_size.checked_sub(layout.size()) {
            Some(more) => grew(more),
            None => shrank(layout.size() - new_size),
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// One run of a measured closure.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub elapsed: Duration,
    /// Bytes allocated during the run.
    pub allocated: u64,
    /// The most live heap bytes during the run, above those live when it began.
    pub peak: u64,
}

/// Runs `f` once. `f` returns how many items it handled; `expected` (when given) must match,
/// and zero never does: a run that did nothing measures nothing.
pub async fn measure<F, Fut>(expected: Option<usize>, f: &F) -> Run
where
    F: Fn() -> Fut,
    Fut: Future<Output = usize>,
{
    let (allocated, live) = (ALLOCATED.load(Ordering::Relaxed), LIVE.load(Ordering::Relaxed));
    PEAK.store(live, Ordering::Relaxed);
    let started = Instant::now();
    let items = f().await;
    let elapsed = started.elapsed();
    assert!(items > 0, "the measured run handled nothing");
    if let Some(expected) = expected {
        assert_eq!(items, expected, "the measured run handled the wrong number of items");
    }
    Run {
        elapsed,
        allocated: ALLOCATED.load(Ordering::Relaxed) - allocated,
        peak: PEAK.load(Ordering::Relaxed).saturating_sub(live),
    }
}

/// One side of a comparison, over all its runs.
#[derive(Debug, Clone, Copy)]
pub struct Side {
    pub median: Duration,
    /// The fastest run: on a shared machine interference only ever adds time.
    pub best: Duration,
    /// Mean bytes allocated per run.
    pub allocated: u64,
    /// The largest peak of live heap bytes of any run.
    pub peak: u64,
}

impl Side {
    fn of(runs: &[Run]) -> Side {
        let mut times: Vec<Duration> = runs.iter().map(|r| r.elapsed).collect();
        times.sort();
        Side {
            median: times.get(times.len() / 2).copied().unwrap_or_default(),
            best: times.first().copied().unwrap_or_default(),
            allocated: runs.iter().map(|r| r.allocated).sum::<u64>() / (runs.len().max(1) as u64),
            peak: runs.iter().map(|r| r.peak).max().unwrap_or_default(),
        }
    }

    /// `self / other` by medians and by best runs.
    pub fn time_ratios(&self, other: &Side) -> String {
        format!("{:.3}x by median, {:.3}x by best run", ratio(self.median, other.median), ratio(self.best, other.best))
    }
}

/// Prints one call's figures for the baseline and the client, and their ratios, indented by
/// `indent` spaces.
pub fn print_call_comparison(indent: usize, base: &Side, client: &Side) {
    let pad = " ".repeat(indent);
    println!(
        "{pad}baseline (reqwest + serde_json): {:>10.2?}  {:>10} bytes allocated/call",
        base.median, base.allocated
    );
    println!(
        "{pad}generated client send():         {:>10.2?}  {:>10} bytes allocated/call",
        client.median, client.allocated
    );
    println!(
        "{pad}ratio client/baseline: time {} (target <= 1.10x), allocated bytes {:.2}x",
        client.time_ratios(base),
        client.allocated as f64 / base.allocated as f64
    );
}

/// `a / b` as a float.
pub fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

/// Runs `a` and `b` `warmup` times each, then interleaved `rounds` times, alternating which goes
/// first: the second of a pair can inherit the first's leftovers (connection bookkeeping, a busy
/// peer), and that must not count against one side.
pub async fn compare<A, FA, B, FB>(expected: Option<usize>, warmup: usize, rounds: usize, a: &A, b: &B) -> (Side, Side)
where
    A: Fn() -> FA,
    FA: Future<Output = usize>,
    B: Fn() -> FB,
    FB: Future<Output = usize>,
{
    for _ in 0..warmup {
        measure(expected, a).await;
        measure(expected, b).await;
    }
    let (mut runs_a, mut runs_b) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        if round % 2 == 0 {
            runs_a.push(measure(expected, a).await);
            runs_b.push(measure(expected, b).await);
        } else {
            runs_b.push(measure(expected, b).await);
            runs_a.push(measure(expected, a).await);
        }
    }
    (Side::of(&runs_a), Side::of(&runs_b))
}

/// `count` copies of the Dub spec's partner example with distinct ids, as a JSON array.
pub fn dub_partners(count: usize) -> serde_json::Value {
    let spec: serde_json::Value = serde_yaml::from_str(include_str!("../../specs/dub.yaml")).expect("the Dub spec");
    let example = &spec["paths"]["/partners"]["get"]["responses"]["200"]["content"]["application/json"]["example"][0];
    serde_json::Value::Array(
        (0..count)
            .map(|i| {
                let mut partner = example.clone();
                partner["id"] = serde_json::json!(format!("pn_{i:08}"));
                partner
            })
            .collect(),
    )
}

/// The next request head (up to and including the blank line) a benchmark's hand-rolled HTTP/1.1
/// server reads from `socket`, taken off the front of `buf`; `None` when the peer is gone. The
/// benchmarks' requests have no body, so what follows the head is the next request.
pub async fn read_head(socket: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    buf.drain(..end);
    Some(head)
}
