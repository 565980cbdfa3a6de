//! What every generated affiliate API client shares: auth from the spec's security schemes (static
//! credentials, or tokens that expire from a [`TokenSource`]), one [`Error`] type, retries with
//! backoff, pagination streams, and rate-limit headers.
//!
//! Generated crates call into this crate; nothing here names a vendor. A service normally uses it
//! only through a generated client and that client's `prelude`, which re-exports what is needed
//! from here:
//!
//! ```text
//! use generated_crate::prelude::*;
//! let client = Client::from_env()?; // credentials from the spec's variables
//! let page = client.list_things().page_size(100).send().await?; // Error on failure
//! ```
//!
//! What only generated code calls lives in a hidden module and is not part of the documented API.

// Unit-test builds also link the dev-dependencies, which only the integration tests use.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]
#![warn(missing_docs)]

mod api;
mod auth;
mod body;
mod budget;
mod call;
mod client;
mod convert;
mod error;
// Generated code reaches these through `__private`; a service uses the types re-exported below.
mod jobs;
pub mod lenient;
mod nullable;
mod observe;
mod open_enum;
mod pagination;
mod path;
mod query;
mod ratelimit;
mod retry;
mod retry_budget;
mod secret;
mod send;
mod text;
mod token;
mod transport;
pub mod webhook;

pub use api::{ApiDescriptor, BodyErrorRule, SecurityScheme};
pub use auth::Credential;
pub use budget::{Rate, RateError, DEFAULT_REDIS_TIMEOUT};
pub use client::{ClientBuilder, Runtime, DEFAULT_MAX_BODY_BYTES};
pub use error::{ApiError, Error, ErrorKind, FieldError, Result, MAX_ERROR_BODY, MAX_SHOWN_FIELDS, SNIPPET_LEN};
pub use jobs::Poll;
pub use observe::Event;
pub use pagination::{Items, Pages};
pub use ratelimit::{RateLimit, ResponseExt};
pub use retry::RetryPolicy;
pub use retry_budget::RetryBudget;
pub use secret::Secret;
pub use text::MAX_SHOWN_CHARS;
pub use token::{ClientCredentials, Token, TokenFuture, TokenSource};
pub use transport::{TransportError, TransportKind};

/// Re-exported for [`ClientBuilder::configure_http`] (root certificates, client identities,
/// proxies) without a separate dependency on the same reqwest version.
pub use reqwest;

/// Re-exported so callers can name response types without depending on progenitor directly.
pub use progenitor_client::{ByteStream, ResponseValue};

/// What generated code calls and a service never should: the send wrapper that maps progenitor's
/// errors, per-call options, setter conversions, pagination plans, job polling and serde helpers.
/// Not part of the API; it changes with the generator.
#[doc(hidden)]
pub mod __private {
    pub use crate::call::{with_options, CallOptions};
    pub use crate::client::{FromParts, Parts};
    pub use crate::convert::{integer, FromInteger, Integer};
    pub use crate::path::{encode_path, push_path, segment, InvalidPathSegment};
    pub use crate::query::{InvalidQuery, Query};
    pub use crate::send::{decode, decode_json, expect_json, map_response, send, undocumented_status};

    /// Pagination plans and the streams generated `pages()` / `stream()` build.
    pub mod pagination {
        pub use crate::pagination::*;
    }

    /// Job polling for generated `wait()` / `wait_for_result()`.
    pub mod jobs {
        pub use crate::jobs::*;
    }

    /// Serde for tri-state request fields.
    pub mod nullable {
        pub use crate::nullable::*;
    }

    /// Deserialising open enums.
    pub mod open_enum {
        pub use crate::open_enum::*;
    }
}
