//! Verifying signed webhook deliveries: an HMAC of the raw body (and, where the scheme has one, a
//! signed timestamp) in a header, compared in constant time, then the verified body decoded into
//! the generated `Event` enum of an API. The scheme is data from the spec
//! (`x-affiliate-webhooks`); nothing here names a vendor.
//!
//! Generated `webhooks` modules call [`Scheme::verify`] and [`decode`]; a service calls the
//! generated `verify(secret, signature_header, raw_body)`, never this module directly.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;

use crate::error::{Error, Result};

/// A signature header longer than this is refused before it is decoded (bounded work for any input).
pub const MAX_SIGNATURE_HEADER: usize = 1024;

/// The MAC over the signed bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC with SHA-256 (32-byte tags).
    HmacSha256,
    /// HMAC with SHA-512 (64-byte tags).
    HmacSha512,
}

/// How the tag is written in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Encoding {
    /// Lower- or upper-case hexadecimal.
    Hex,
    /// Standard base64 with padding.
    Base64,
}

/// A timestamp signed with the body, which must be within `tolerance` of now (replay protection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedTimestamp {
    /// The header carrying the timestamp (Unix seconds).
    pub header: &'static str,
    /// The signed bytes are `before`, the timestamp as sent, `between`, then the raw body.
    pub before: &'static str,
    /// See [`SignedTimestamp::before`].
    pub between: &'static str,
    /// How far the timestamp may be from now, either way.
    pub tolerance: Duration,
}

/// One API's signature scheme, as its spec declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheme {
    /// The header carrying the signature.
    pub header: &'static str,
    /// The MAC.
    pub algorithm: Algorithm,
    /// How the tag is written.
    pub encoding: Encoding,
    /// Text before the tag in the header (`sha256=`); empty for none.
    pub prefix: &'static str,
    /// A signed timestamp, for schemes that have one.
    pub timestamp: Option<SignedTimestamp>,
}

// The error type lives with the other errors (`Error::Signature` carries it); named here too,
// where a service meets it.
pub use crate::error::SignatureError;

impl Scheme {
    /// Checks `signature` (the header's value) against `body` under `secret`, with `timestamp` (its
    /// header's value) where the scheme signs one, at the current time.
    pub fn verify(&self, secret: &[u8], signature: &str, timestamp: Option<&str>, body: &[u8]) -> Result<()> {
        self.verify_at(secret, signature, timestamp, body, SystemTime::now())
    }

    /// [`Scheme::verify`] at a given time (for tests of the tolerance).
    pub fn verify_at(
        &self,
        secret: &[u8],
        signature: &str,
        timestamp: Option<&str>,
        body: &[u8],
        now: SystemTime,
    ) -> Result<()> {
        let signature = signature.trim();
        if signature.is_empty() {
            return Err(SignatureError::Missing(self.header).into());
        }
        if signature.len() > MAX_SIGNATURE_HEADER {
            return Err(SignatureError::Malformed(self.header).into());
        }
        let tag = signature
            .strip_prefix(self.prefix)
            .and_then(|text| decode_tag(self.encoding, text))
            .filter(|tag| tag.len() == self.algorithm.tag_len())
            .ok_or(SignatureError::Malformed(self.header))?;
        let signed_timestamp = match &self.timestamp {
            Some(rule) => Some(check_timestamp(rule, timestamp, now)?),
            None => None,
        };
        let verified = match self.algorithm {
            Algorithm::HmacSha256 => {
                mac::<Hmac<sha2::Sha256>>(secret, signed_timestamp, self.timestamp, body)?.verify_slice(&tag).is_ok()
            }
            Algorithm::HmacSha512 => {
                mac::<Hmac<sha2::Sha512>>(secret, signed_timestamp, self.timestamp, body)?.verify_slice(&tag).is_ok()
            }
        };
        if verified {
            Ok(())
        } else {
            Err(SignatureError::Mismatch.into())
        }
    }

    /// The signature header's value for `body` (and `timestamp`, for schemes that sign one): what a
    /// sender puts on a delivery. For mocks and tests of a service's own endpoint.
    pub fn sign(&self, secret: &[u8], timestamp: Option<&str>, body: &[u8]) -> Result<String> {
        let tag = match self.algorithm {
            Algorithm::HmacSha256 => {
                mac::<Hmac<sha2::Sha256>>(secret, timestamp, self.timestamp, body)?.finalize().into_bytes().to_vec()
            }
            Algorithm::HmacSha512 => {
                mac::<Hmac<sha2::Sha512>>(secret, timestamp, self.timestamp, body)?.finalize().into_bytes().to_vec()
            }
        };
        let encoded = match self.encoding {
            Encoding::Hex => tag.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            Encoding::Base64 => base64::engine::general_purpose::STANDARD.encode(&tag),
        };
        Ok(format!("{}{encoded}", self.prefix))
    }
}

impl Algorithm {
    fn tag_len(self) -> usize {
        match self {
            Algorithm::HmacSha256 => 32,
            Algorithm::HmacSha512 => 64,
        }
    }
}

/// The MAC keyed with `secret`, fed the signed bytes.
fn mac<M: Mac + KeyInit>(
    secret: &[u8],
    timestamp: Option<&str>,
    rule: Option<SignedTimestamp>,
    body: &[u8],
) -> Result<M> {
    if secret.is_empty() {
        return Err(SignatureError::EmptySecret.into());
    }
    let mut mac = <M as KeyInit>::new_from_slice(secret).map_err(|_| SignatureError::EmptySecret)?;
    if let Some(rule) = rule {
        mac.update(rule.before.as_bytes());
        mac.update(timestamp.unwrap_or_default().as_bytes());
        mac.update(rule.between.as_bytes());
    }
    mac.update(body);
    Ok(mac)
}

/// The timestamp as sent, if it is Unix seconds within the tolerance of `now`.
fn check_timestamp<'a>(rule: &SignedTimestamp, value: Option<&'a str>, now: SystemTime) -> Result<&'a str> {
    let text = value.map(str::trim).filter(|t| !t.is_empty() && t.len() <= 20);
    let text = text.ok_or(SignatureError::Timestamp(rule.header))?;
    let seconds: u64 = text.parse().map_err(|_| SignatureError::Timestamp(rule.header))?;
    let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let distance = now.abs_diff(seconds);
    if distance > rule.tolerance.as_secs() {
        return Err(SignatureError::Stale { seconds: distance, tolerance: rule.tolerance.as_secs() }.into());
    }
    Ok(text)
}

fn decode_tag(encoding: Encoding, text: &str) -> Option<Vec<u8>> {
    match encoding {
        Encoding::Hex => {
            let digit = |b: u8| (b as char).to_digit(16);
            let bytes = text.as_bytes();
            if !bytes.len().is_multiple_of(2) {
                return None;
            }
            bytes.chunks(2).map(|pair| Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8)).collect()
        }
        Encoding::Base64 => base64::engine::general_purpose::STANDARD.decode(text).ok(),
    }
}

/// Decodes a verified body: the event name at `name_pointer`, then `decode(name, payload)` (the
/// generated enum's constructor, which keeps names it does not know). A body that is not a JSON
/// object with a string name there, or a known event whose payload does not fit its type, is
/// [`Error::WebhookPayload`].
pub fn decode<E>(
    body: &[u8],
    name_pointer: &str,
    decode: impl FnOnce(String, Value) -> std::result::Result<E, serde_json::Error>,
) -> Result<E> {
    let payload_error = |message: String| Error::WebhookPayload { message, snippet: snippet(body) };
    let payload: Value = serde_json::from_slice(body).map_err(|e| payload_error(format!("not JSON: {e}")))?;
    if !payload.is_object() {
        return Err(payload_error("not a JSON object".into()));
    }
    let name = match payload.pointer(name_pointer) {
        Some(Value::String(name)) => name.clone(),
        _ => return Err(payload_error(format!("no event name (a string at `{name_pointer}`)"))),
    };
    let cut: String = name.chars().take(100).collect();
    decode(name, payload).map_err(|e| payload_error(format!("event `{cut}`: {e}")))
}

/// The start of a body, for an error (cut at a character boundary).
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(crate::error::SNIPPET_LEN)]);
    text.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEME: Scheme = Scheme {
        header: "X-Sig",
        algorithm: Algorithm::HmacSha256,
        encoding: Encoding::Hex,
        prefix: "",
        timestamp: None,
    };

    #[test]
    fn malformed_headers_are_refused_before_any_mac() {
        let cases: &[(&str, &str)] = &[
            ("", "missing"),
            ("   ", "missing"),
            ("zz", "malformed"),
            ("abc", "malformed"),
            (&"ab".repeat(31), "malformed"),
            (&"ab".repeat(33), "malformed"),
            (&"a".repeat(MAX_SIGNATURE_HEADER + 2), "malformed"),
            (&"ä".repeat(32), "malformed"),
            (&"ab".repeat(32), "mismatch"),
        ];
        for (header, want) in cases {
            let got = match SCHEME.verify(b"secret", header, None, b"{}") {
                Err(Error::Signature(SignatureError::Missing(_))) => "missing",
                Err(Error::Signature(SignatureError::Malformed(_))) => "malformed",
                Err(Error::Signature(SignatureError::Mismatch)) => "mismatch",
                other => panic!("{header:?}: {other:?}"),
            };
            assert_eq!(got, *want, "{header:?}");
        }
    }

    #[test]
    fn sign_then_verify_in_each_encoding_algorithm_and_timestamp() {
        let stamped =
            SignedTimestamp { header: "X-Ts", before: "v0:", between: ":", tolerance: Duration::from_secs(300) };
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        for algorithm in [Algorithm::HmacSha256, Algorithm::HmacSha512] {
            for encoding in [Encoding::Hex, Encoding::Base64] {
                for timestamp in [None, Some(stamped)] {
                    let scheme = Scheme { header: "X-Sig", algorithm, encoding, prefix: "v1=", timestamp };
                    let ts = timestamp.map(|_| "1700000100");
                    let signature = scheme.sign(b"k", ts, b"body").unwrap();
                    assert!(scheme.verify_at(b"k", &signature, ts, b"body", now).is_ok(), "{scheme:?}");
                    let wrong = scheme.verify_at(b"k", &signature, ts, b"bodY", now);
                    assert!(matches!(wrong, Err(Error::Signature(SignatureError::Mismatch))), "{scheme:?}");
                    if timestamp.is_some() {
                        let late = now + Duration::from_secs(1000);
                        let stale = scheme.verify_at(b"k", &signature, ts, b"body", late);
                        assert!(matches!(stale, Err(Error::Signature(SignatureError::Stale { .. }))), "{stale:?}");
                        let moved = scheme.verify_at(b"k", &signature, Some("1700000101"), b"body", now);
                        assert!(matches!(moved, Err(Error::Signature(SignatureError::Mismatch))), "{moved:?}");
                        let none = scheme.verify_at(b"k", &signature, None, b"body", now);
                        assert!(matches!(none, Err(Error::Signature(SignatureError::Timestamp(_)))), "{none:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn payloads_that_are_not_deliveries_are_payload_errors() {
        let keep = |name: String, payload: Value| Ok::<_, serde_json::Error>((name, payload));
        for body in [&b"not json"[..], b"[1]", b"{}", b"{\"event\": 3}", b"\"x\""] {
            let error = decode(body, "/event", keep).unwrap_err();
            assert!(matches!(error, Error::WebhookPayload { .. }), "{body:?}: {error:?}");
            assert_eq!(error.kind(), "webhook_payload");
        }
        let (name, _) = decode(b"{\"event\": \"a.b\"}", "/event", keep).unwrap();
        assert_eq!(name, "a.b");
    }
}
