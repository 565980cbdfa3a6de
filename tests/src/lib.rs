//! Support shared by the integration tests and the benchmarks: loopback TLS, a proxy, measuring, a
//! private Redis server.

pub mod bench;
pub mod net;
pub mod redis;
