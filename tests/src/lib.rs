//! Support shared by the integration tests and the benchmarks: loopback TLS, a proxy, measuring.

pub mod bench;
pub mod net;
