//! One test binary for every generated client, each against loopback servers.

mod conformance;
mod dub;
mod ergonomics;
mod faults;
mod geniuslink;
mod mocks;
mod partnerize;
mod readme;
mod secrets;
mod support;
mod tls;
