//! Webhook deliveries as an API sends them: a body signed with the spec's scheme (and the current
//! time, for a scheme that signs one), POSTed to a service's own endpoint. Generated mock crates
//! call this with their API's `SCHEME`; a service's tests reach it through them.

use std::time::{SystemTime, UNIX_EPOCH};

use affiliate_runtime::webhook::Scheme;
use affiliate_runtime::{reqwest, Error, Result};

/// What signing a body gives: the headers a delivery carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The signature header's value.
    pub signature: String,
    /// The timestamp header's value, for a scheme that signs one.
    pub timestamp: Option<String>,
}

/// Signs `body` under `secret` with `scheme`, at the current time.
pub fn sign(scheme: &Scheme, secret: &str, body: &[u8]) -> Result<Signed> {
    let timestamp = scheme
        .timestamp
        .map(|_| SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs().to_string());
    let signature = scheme.sign(secret.as_bytes(), timestamp.as_deref(), body)?;
    Ok(Signed { signature, timestamp })
}

/// The endpoint's answer to a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// The HTTP status the endpoint answered with.
    pub status: u16,
    /// The body it answered with.
    pub body: Vec<u8>,
}

/// POSTs `body` (JSON) to `url`, signed under `secret` with `scheme`, and returns the endpoint's answer.
/// Plain HTTP (a test endpoint on loopback): the mock crates build no TLS stack.
pub async fn deliver(url: &str, scheme: &Scheme, secret: &str, body: &[u8]) -> Result<Delivered> {
    let signed = sign(scheme, secret, body)?;
    let mut request = reqwest::Client::new()
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(scheme.header, signed.signature)
        .body(body.to_vec());
    if let (Some(rule), Some(timestamp)) = (scheme.timestamp, signed.timestamp) {
        request = request.header(rule.header, timestamp);
    }
    let response = request.send().await.map_err(Error::from)?;
    let status = response.status().as_u16();
    let body = response.bytes().await.map_err(Error::from)?.to_vec();
    Ok(Delivered { status, body })
}
