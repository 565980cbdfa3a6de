//! Rate-limit, retry-after and request-id headers, readable on every response and error.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderName};

/// The `X-RateLimit-*` headers of a response (each `None` when absent or unparsable).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    /// Requests allowed in the current window.
    pub limit: Option<u64>,
    /// Requests left in the current window.
    pub remaining: Option<u64>,
    /// When the window resets, as the server sent it (usually UTC epoch seconds).
    pub reset: Option<u64>,
}

impl RateLimit {
    /// Reads both the `X-RateLimit-*` names and the unprefixed `RateLimit-*` ones of the IETF draft.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        RateLimit { limit: number(headers, &LIMIT), remaining: remaining(headers), reset: reset(headers) }
    }
}

// Names as constants: a lookup by `&str` parses the name first.
const LIMIT: [HeaderName; 2] =
    [HeaderName::from_static("x-ratelimit-limit"), HeaderName::from_static("ratelimit-limit")];
const REMAINING: [HeaderName; 2] =
    [HeaderName::from_static("x-ratelimit-remaining"), HeaderName::from_static("ratelimit-remaining")];
const RESET: [HeaderName; 2] =
    [HeaderName::from_static("x-ratelimit-reset"), HeaderName::from_static("ratelimit-reset")];

/// The first of `names` present with a number.
fn number(headers: &HeaderMap, names: &[HeaderName]) -> Option<u64> {
    names.iter().find_map(|n| headers.get(n)?.to_str().ok()?.trim().parse().ok())
}

/// `X-RateLimit-Remaining` (or `RateLimit-Remaining`), as [`RateLimit::remaining`].
pub(crate) fn remaining(headers: &HeaderMap) -> Option<u64> {
    number(headers, &REMAINING)
}

/// `X-RateLimit-Reset` (or `RateLimit-Reset`), as [`RateLimit::reset`].
pub(crate) fn reset(headers: &HeaderMap) -> Option<u64> {
    number(headers, &RESET)
}

/// Rate-limit and request-id accessors on any response.
pub trait ResponseExt {
    /// The response's rate-limit headers, to pace the requests that follow.
    fn rate_limit(&self) -> RateLimit;
    /// The server's id for this request, to quote when reporting a problem to the API's provider.
    fn request_id(&self) -> Option<String>;
}

impl<T> ResponseExt for progenitor_client::ResponseValue<T> {
    fn rate_limit(&self) -> RateLimit {
        RateLimit::from_headers(self.headers())
    }

    fn request_id(&self) -> Option<String> {
        request_id(self.headers())
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok()
}

/// The server's request id, from the first of the usual headers that is present.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    ["x-request-id", "request-id", "x-amzn-requestid", "x-correlation-id", "x-trace-id", "cf-ray"]
        .iter()
        .find_map(|n| header_str(headers, n))
        .map(str::to_string)
}

/// The longest wait a `Retry-After` is read as; larger values (and an infinite one) saturate to it.
/// Retries never wait this long (the budget ends them first), but callers see the value.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// How long the server asked us to wait: `Retry-After` (delta-seconds or HTTP date) or
/// `X-RateLimit-Retry-After` (seconds), at most [`MAX_RETRY_AFTER`]. Negative, NaN and
/// unparsable values are ignored; a date in the past is zero.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    retry_after_at(headers, SystemTime::now())
}

pub(crate) fn retry_after_at(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let parse = |value: &str| -> Option<Duration> {
        let value = value.trim();
        if let Ok(seconds) = value.parse::<u64>() {
            return Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER));
        }
        if let Ok(seconds) = value.parse::<f64>() {
            if seconds.is_nan() || seconds < 0.0 {
                return None;
            }
            // Not `from_secs_f64`: it panics on values past `Duration::MAX` (`1e23`, `inf`).
            return Some(Duration::try_from_secs_f64(seconds).unwrap_or(MAX_RETRY_AFTER).min(MAX_RETRY_AFTER));
        }
        let at = httpdate::parse_http_date(value).ok()?;
        Some(at.duration_since(now).unwrap_or(Duration::ZERO).min(MAX_RETRY_AFTER))
    };
    ["retry-after", "x-ratelimit-retry-after"].iter().find_map(|n| header_str(headers, n).and_then(parse))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn retry_after_forms() {
        let now = httpdate::parse_http_date("Sun, 22 Nov 2026 10:00:00 GMT").unwrap();
        let check = |pairs: &[(&'static str, &str)], expected: Option<u64>| {
            assert_eq!(retry_after_at(&headers(pairs), now).map(|d| d.as_secs()), expected, "{pairs:?}");
        };
        check(&[("retry-after", "7")], Some(7));
        check(&[("retry-after", " 3 ")], Some(3));
        check(&[("retry-after", "Sun, 22 Nov 2026 10:00:05 GMT")], Some(5));
        check(&[("retry-after", "Sun, 22 Nov 2026 09:00:00 GMT")], Some(0));
        check(&[("x-ratelimit-retry-after", "12")], Some(12));
        check(&[("retry-after", "soon")], None);
        check(&[("retry-after", "-1")], None);
        check(&[("retry-after", "-0.5")], None);
        check(&[("retry-after", "NaN")], None);
        check(&[("retry-after", "")], None);
        check(&[("retry-after", "1.5")], Some(1));
        check(&[("retry-after", "0.001")], Some(0));
        // Huge values saturate at the cap instead of panicking.
        let cap = Some(MAX_RETRY_AFTER.as_secs());
        check(&[("retry-after", "99999999999999999999999")], cap);
        check(&[("retry-after", "18446744073709551615")], cap);
        check(&[("retry-after", "1e300")], cap);
        check(&[("retry-after", "inf")], cap);
        check(&[("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT")], cap);
        // An unparsable first header does not hide a good second one.
        check(&[("retry-after", "later"), ("x-ratelimit-retry-after", "4")], Some(4));
        check(&[], None);
    }

    #[test]
    fn rate_limit_headers() {
        let rl = RateLimit::from_headers(&headers(&[
            ("x-ratelimit-limit", "600"),
            ("x-ratelimit-remaining", "599"),
            ("x-ratelimit-reset", "1795000000"),
        ]));
        assert_eq!((rl.limit, rl.remaining, rl.reset), (Some(600), Some(599), Some(1_795_000_000)));
        for bad in ["x", "-1", "1.5", "99999999999999999999999", ""] {
            assert_eq!(RateLimit::from_headers(&headers(&[("x-ratelimit-limit", bad)])), RateLimit::default(), "{bad}");
        }
    }
}
