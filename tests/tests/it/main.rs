//! One test binary for every generated client, each against loopback servers.

mod concurrency;
mod conformance;
mod dub;
mod ergonomics;
mod faults;
mod fleet;
mod geniuslink;
mod hostile;
mod limits;
mod mocks;
mod partnerize;
mod readme;
mod secrets;
mod support;
mod tls;
