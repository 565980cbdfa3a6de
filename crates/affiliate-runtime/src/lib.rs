//! What every generated affiliate API client shares: auth from the spec's security schemes, one
//! [`Error`] type, retries with backoff, pagination streams, and rate-limit headers.
//!
//! Generated crates call into this crate; nothing here names a vendor. A service normally uses it
//! only through a generated client:
//!
//! ```text
//! let client = generated_crate::Client::from_env()?; // credentials from the spec's variables
//! let page = client.list_things().page_size(100).send().await?; // affiliate_runtime::Error on failure
//! ```

mod api;
mod auth;
mod client;
mod error;
pub mod jobs;
pub mod lenient;
pub mod nullable;
pub mod open_enum;
pub mod pagination;
mod ratelimit;
mod retry;
mod send;
mod transport;

pub use api::{ApiDescriptor, BodyErrorRule, SecurityScheme};
pub use auth::{Credential, Secret};
pub use client::{ClientBuilder, FromParts, Runtime, DEFAULT_MAX_BODY_BYTES};
pub use error::{ApiError, Error, FieldError, Result, MAX_ERROR_BODY, SNIPPET_LEN};
pub use ratelimit::{RateLimit, ResponseExt};
pub use retry::RetryPolicy;
pub use send::{decode_json, map_response, send, undocumented_status};
pub use transport::{TransportError, TransportKind};

/// Re-exported for [`ClientBuilder::configure_http`] (root certificates, client identities,
/// proxies) without a separate dependency on the same reqwest version.
pub use reqwest;

/// Re-exported so callers can name response types without depending on progenitor directly.
pub use progenitor_client::{ByteStream, ResponseValue};
