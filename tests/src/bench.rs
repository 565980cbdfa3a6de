//! Measuring for the benchmarks: a counting allocator, one timed and counted run, medians.
//!
//! Times are only meaningful as ratios of interleaved runs in the same process (the machines are
//! shared and noisy); allocated bytes are exact.

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Counts bytes allocated; install with `#[global_allocator] static A: Counting = Counting;`.
pub struct Counting;

static ALLOCATED: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is added.
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

/// Bytes allocated so far in this process (with [`Counting`] installed).
pub fn allocated() -> u64 {
    ALLOCATED.load(Ordering::Relaxed)
}

/// Runs `f` once: (elapsed, bytes allocated meanwhile). `f` returns how many items it handled,
/// which must not be zero (a run that did nothing measures nothing).
pub async fn measure<F, Fut>(f: &F) -> (Duration, u64)
where
    F: Fn() -> Fut,
    Fut: Future<Output = usize>,
{
    let before = allocated();
    let started = Instant::now();
    let items = f().await;
    let elapsed = started.elapsed();
    assert!(items > 0, "the measured run handled nothing");
    (elapsed, allocated() - before)
}

/// Median of `values` (the upper one of an even count).
pub fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

/// Runs `a` and `b` interleaved (alternating which goes first) `rounds` times after `warmup` rounds each: median times and mean
/// bytes allocated per run, `((time_a, bytes_a), (time_b, bytes_b))`.
pub async fn compare<A, FA, B, FB>(a: &A, b: &B, warmup: usize, rounds: usize) -> ((Duration, u64), (Duration, u64))
where
    A: Fn() -> FA,
    FA: Future<Output = usize>,
    B: Fn() -> FB,
    FB: Future<Output = usize>,
{
    for _ in 0..warmup {
        measure(a).await;
        measure(b).await;
    }
    let (mut times_a, mut times_b, mut bytes_a, mut bytes_b) = (Vec::new(), Vec::new(), 0, 0);
    for round in 0..rounds {
        // Alternate which side goes first: the second of a pair can inherit the first's
        // leftovers (connection bookkeeping, a busy peer), and that must not count against one side.
        let ((ta, ba), (tb, bb)) = if round % 2 == 0 {
            let first = measure(a).await;
            (first, measure(b).await)
        } else {
            let first = measure(b).await;
            (measure(a).await, first)
        };
        times_a.push(ta);
        times_b.push(tb);
        bytes_a += ba;
        bytes_b += bb;
    }
    let rounds = rounds.max(1) as u64;
    ((median(times_a), bytes_a / rounds), (median(times_b), bytes_b / rounds))
}
