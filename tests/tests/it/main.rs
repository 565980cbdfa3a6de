//! One test binary for every generated client, each against loopback servers.

mod bodies;
mod concurrency;
mod conformance;
mod dub;
mod environment;
mod ergonomics;
mod faults;
mod fleet;
mod geniuslink;
mod guards;
mod hostile;
mod limits;
mod mocks;
mod partnerize;
mod paths;
mod readme;
mod secrets;
mod support;
mod tls;
mod tokens;
mod webhooks;

/// Counts heap bytes (per thread too) for `bodies`; forwards everything to the system allocator.
#[global_allocator]
static ALLOCATOR: affiliate_tests::bench::Counting = affiliate_tests::bench::Counting;
