//! One test binary for every generated client, each against loopback mock servers.

mod dub;
mod geniuslink;
mod support;
