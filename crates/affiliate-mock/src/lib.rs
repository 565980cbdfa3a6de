//! What every generated `affiliate-<api>-mock` crate shares: matchers built from typed values, answers
//! from the spec's examples, and a responder serving items over pages the way a spec's
//! `x-affiliate-pagination` says. Vendor-free: the generated crates pass the spec's facts in as data.
//!
//! `webhook` signs and delivers webhook events to a service's own endpoint, with the spec's scheme.
//!
//! A service uses the generated crate (`affiliate_<api>_mock::<operation>().example()`), which
//! re-exports what it needs from here; this crate is the mechanism behind it.

// Unit-test builds also link the dev-dependencies, which only the integration tests use.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

use serde::Serialize;
use serde_json::Value;

pub mod webhook;

pub use serde;
pub use serde_json;
pub use wiremock::{Match, Mock, MockBuilder, MockServer, Request, Respond, ResponseTemplate};

/// A query-parameter value as the clients put it on the wire: strings bare, everything else as JSON text.
pub fn wire<T: Serialize + ?Sized>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// A path regex for `template` (`/partners/{id}`): every `{name}` matches one segment unless `fixed`
/// names its value, which must then appear exactly (percent-encoded like the clients encode it).
pub fn path_regex(template: &str, fixed: &[(&str, String)]) -> String {
    let mut out = String::from("^");
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&escape(&rest[..start]));
        let Some(len) = rest[start..].find('}') else { break };
        let name = &rest[start + 1..start + len];
        match fixed.iter().find(|(n, _)| *n == name) {
            Some((_, value)) => out.push_str(&escape(&affiliate_runtime::__private::segment(value))),
            None => out.push_str("[^/]+"),
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(&escape(rest));
    out.push('$');
    out
}

fn escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A JSON answer with `status` and the serialised `value`.
pub fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(value)
}

/// An answer whose body is `text` exactly, with the given media type (the spec's own example).
pub fn raw(status: u16, media_type: &str, body: impl Into<Vec<u8>>) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.into(), media_type)
}

/// How a paged operation takes its position from the request and says where the next page is.
/// Parameter names are wire names; pointers are JSON pointers into the page body.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Paging {
    /// Page numbers from `first`; the last page is short (an empty page follows a full last one).
    Page { param: &'static str, first: u64 },
    /// Offsets; `count` gets the total, `next` a relative link to the next page (null on the last).
    Offset { param: &'static str, count: Option<&'static str>, next: Option<&'static str> },
    /// Opaque cursors (the offset as text here); `next_cursor` is null on the last page.
    Cursor { param: &'static str, next_cursor: &'static str },
}

/// Serves `items` over pages of `size`, wrapped in `envelope` (the spec's example answer) with the
/// item array at `items_at`; the request's paging parameter picks the page.
#[derive(Debug, Clone)]
pub struct Paged {
    pub paging: Paging,
    pub status: u16,
    pub envelope: Value,
    pub items_at: &'static str,
    pub items: Vec<Value>,
    pub size: usize,
}

impl Respond for Paged {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let size = self.size.max(1);
        let query = |name: &str| request.url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
        let start = match &self.paging {
            Paging::Page { param, first } => {
                let number = query(param).and_then(|v| v.parse::<u64>().ok()).unwrap_or(*first);
                usize::try_from(number.saturating_sub(*first)).unwrap_or(usize::MAX).saturating_mul(size)
            }
            Paging::Offset { param, .. } | Paging::Cursor { param, .. } => {
                query(param).and_then(|v| v.parse().ok()).unwrap_or(0)
            }
        };
        let start = start.min(self.items.len());
        let end = (start + size).min(self.items.len());
        let more = end < self.items.len();
        let mut body = self.envelope.clone();
        set(&mut body, self.items_at, Value::Array(self.items[start..end].to_vec()));
        match &self.paging {
            Paging::Page { .. } => {}
            Paging::Offset { param, count, next } => {
                if let Some(count) = count {
                    set(&mut body, count, Value::from(self.items.len()));
                }
                if let Some(next) = next {
                    let link = more.then(|| {
                        let mut url = request.url.clone();
                        let pairs: Vec<(String, String)> = url
                            .query_pairs()
                            .filter(|(k, _)| k != param)
                            .map(|(k, v)| (k.into_owned(), v.into_owned()))
                            .collect();
                        url.query_pairs_mut().clear().extend_pairs(pairs).append_pair(param, &end.to_string());
                        // Relative, as APIs that link pages send it (and the host the server saw may
                        // not be the one the client dialled).
                        Value::String(format!("{}?{}", url.path(), url.query().unwrap_or_default()))
                    });
                    set(&mut body, next, link.unwrap_or(Value::Null));
                }
            }
            Paging::Cursor { next_cursor, .. } => {
                // The cursor keeps the example's JSON kind (some APIs send numbers).
                let numeric = self.envelope.pointer(next_cursor).is_some_and(Value::is_number);
                let cursor = match (more, numeric) {
                    (false, _) => Value::Null,
                    (true, true) => Value::from(end),
                    (true, false) => Value::String(end.to_string()),
                };
                set(&mut body, next_cursor, cursor);
            }
        }
        ResponseTemplate::new(self.status).set_body_json(body)
    }
}

/// Puts `value` at `pointer` in `target`, creating objects on the way (`""` replaces the whole).
pub fn set(target: &mut Value, pointer: &str, value: Value) {
    if pointer.is_empty() {
        *target = value;
        return;
    }
    let mut here = target;
    let segments: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        if !here.is_object() {
            *here = Value::Object(serde_json::Map::new());
        }
        let Value::Object(map) = here else { return };
        let key = segment.replace("~1", "/").replace("~0", "~");
        if i + 1 == segments.len() {
            map.insert(key, value);
            return;
        }
        here = map.entry(key).or_insert(Value::Null);
    }
}

/// Parses an example embedded by the generator; the generator checked it is JSON.
pub fn example_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_regexes_fix_only_what_is_given() {
        let cases = [
            ("/partners/{id}", vec![], "^/partners/[^/]+$"),
            ("/partners/{id}", vec![("id", "pn 1".to_string())], "^/partners/pn%201$"),
            ("/a.b/{x}/{y}", vec![("y", "7".to_string())], "^/a\\.b/[^/]+/7$"),
        ];
        for (template, fixed, want) in cases {
            assert_eq!(path_regex(template, &fixed), want, "{template}");
        }
    }

    #[test]
    fn set_writes_nested_pointers() {
        let cases = [
            (serde_json::json!({"a": 1}), "", serde_json::json!([1])),
            (serde_json::json!({"a": 1}), "/b/c", serde_json::json!({"a": 1, "b": {"c": [1]}})),
            (serde_json::json!({"a": {"x": 0}}), "/a/x", serde_json::json!({"a": {"x": [1]}})),
        ];
        for (mut target, pointer, want) in cases {
            set(&mut target, pointer, serde_json::json!([1]));
            assert_eq!(target, want, "{pointer}");
        }
    }

    #[tokio::test]
    async fn paged_serves_every_item_once_in_each_style() {
        let styles = [
            (Paging::Page { param: "page", first: 1 }, "page", vec!["1", "2", "3"]),
            (
                Paging::Offset { param: "offset", count: Some("/count"), next: Some("/next") },
                "offset",
                vec!["0", "2", "4"],
            ),
            (Paging::Cursor { param: "cursor", next_cursor: "/cursor" }, "cursor", vec!["0", "2", "4"]),
        ];
        for (paging, param, positions) in styles {
            let server = MockServer::start().await;
            let items: Vec<Value> = (0..5).map(Value::from).collect();
            let paged = Paged {
                paging,
                status: 200,
                envelope: serde_json::json!({"data": []}),
                items_at: "/data",
                items,
                size: 2,
            };
            Mock::given(wiremock::matchers::any()).respond_with(paged).expect(3).mount(&server).await;
            let mut seen = Vec::new();
            for position in positions {
                let url = format!("{}/x?{param}={position}", server.uri());
                let body: Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
                seen.extend(body["data"].as_array().unwrap().iter().cloned());
            }
            assert_eq!(seen, (0..5).map(Value::from).collect::<Vec<_>>(), "{param}");
        }
    }
}
