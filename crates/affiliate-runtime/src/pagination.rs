//! Lazy streams over paginated operations: page-number, offset/limit (with a count or a next link)
//! and cursor strategies, chosen per operation by the spec's `x-affiliate-pagination`.
//!
//! Every strategy stops on an empty page, and with [`Error::Pagination`] when the server repeats a
//! page or a cursor (which would otherwise loop forever) or links to another host (which would
//! otherwise receive the credentials).

use std::collections::hash_map::DefaultHasher;
use std::future::Future;
use std::hash::Hasher;

use futures::stream::{self, BoxStream, StreamExt};
use progenitor_client::ResponseValue;
use serde::Serialize;

use crate::error::{Error, Result};

/// A stream of whole pages.
pub type Pages<'a, T> = BoxStream<'a, Result<ResponseValue<T>>>;
/// A stream of the items of every page.
pub type Items<'a, I> = BoxStream<'a, Result<I>>;

/// How an operation pages, with the caller's starting point.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Plan {
    /// Page numbers from `first`; the last page is the first one shorter than `size` (0: unknown).
    Page { first: u64, size: u64 },
    /// Offsets from `start` in steps of the items received. With `links`, the API's next-page link
    /// decides (none on a non-empty page: the last page); otherwise the total count, then a short page.
    Offset { start: u64, limit: u64, offset_param: &'static str, links: bool },
    /// An opaque cursor from each page for the next.
    Cursor { cursor_param: &'static str, limit: Option<u64> },
}

/// What to ask for next; the generated code turns it into builder calls.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Request {
    Page { number: u64, size: u64 },
    Offset { offset: u64, limit: u64 },
    Cursor { cursor: Option<String>, limit: Option<u64> },
}

/// What a page says about the next one, read by generated code from the response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageMeta {
    /// Items on this page.
    pub len: usize,
    /// A link to the next page, if the API gives one (`None`: last page, when the API gives links).
    pub next_link: Option<String>,
    /// Total items across all pages, if the API says.
    pub total: Option<u64>,
    /// The cursor for the next page.
    pub next_cursor: Option<String>,
}

/// Numbers as the page-size and offset parameters hold them.
pub fn as_u64<V: AsU64>(value: &V) -> Option<u64> {
    value.as_u64()
}

/// Conversion of the integer types progenitor uses for parameters.
pub trait AsU64 {
    fn as_u64(&self) -> Option<u64>;
}

macro_rules! as_u64 {
    ($($t:ty),*) => {$(
        impl AsU64 for $t {
            fn as_u64(&self) -> Option<u64> { u64::try_from(*self).ok() }
        }
    )*};
}
as_u64!(u64, u32, u16, i64, i32, i16, usize);

macro_rules! as_u64_nonzero {
    ($($t:ty),*) => {$(
        impl AsU64 for $t {
            fn as_u64(&self) -> Option<u64> { u64::try_from(self.get()).ok() }
        }
    )*};
}
as_u64_nonzero!(std::num::NonZeroU64, std::num::NonZeroU32, std::num::NonZeroI64);

/// Values read from a page as metadata: a link or cursor (text) or a count.
pub trait PageValue {
    fn as_text(&self) -> Option<String>;
    fn as_count(&self) -> Option<u64>;
}

impl PageValue for String {
    fn as_text(&self) -> Option<String> {
        (!self.is_empty()).then(|| self.clone())
    }
    fn as_count(&self) -> Option<u64> {
        self.trim().parse().ok()
    }
}

macro_rules! page_value_int {
    ($($t:ty),*) => {$(
        impl PageValue for $t {
            fn as_text(&self) -> Option<String> { Some(self.to_string()) }
            fn as_count(&self) -> Option<u64> { u64::try_from(*self).ok() }
        }
    )*};
}
page_value_int!(u64, i64, u32, i32);

impl PageValue for f64 {
    fn as_text(&self) -> Option<String> {
        Some(self.to_string())
    }
    fn as_count(&self) -> Option<u64> {
        (self.is_finite() && *self >= 0.0).then_some(*self as u64)
    }
}

impl PageValue for crate::lenient::LenientString {
    fn as_text(&self) -> Option<String> {
        self.0.as_text()
    }
    fn as_count(&self) -> Option<u64> {
        self.0.as_count()
    }
}

impl PageValue for crate::lenient::LenientInteger {
    fn as_text(&self) -> Option<String> {
        self.0.as_text()
    }
    fn as_count(&self) -> Option<u64> {
        self.0.as_count()
    }
}

impl PageValue for crate::lenient::LenientNumber {
    fn as_text(&self) -> Option<String> {
        self.0.as_text()
    }
    fn as_count(&self) -> Option<u64> {
        self.0.as_count()
    }
}

/// A cursor as the server sent it, convertible into whatever type the cursor parameter has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(pub String);

impl From<Cursor> for String {
    fn from(cursor: Cursor) -> String {
        cursor.0
    }
}

macro_rules! cursor_into_int {
    ($($t:ty),*) => {$(
        impl TryFrom<Cursor> for $t {
            type Error = std::num::ParseIntError;
            fn try_from(cursor: Cursor) -> std::result::Result<$t, Self::Error> {
                cursor.0.trim().parse()
            }
        }
    )*};
}
cursor_into_int!(i64, u64, i32, u32, std::num::NonZeroU64);

impl PageValue for serde_json::Value {
    fn as_text(&self) -> Option<String> {
        match self {
            serde_json::Value::String(s) => s.as_text(),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
    fn as_count(&self) -> Option<u64> {
        match self {
            serde_json::Value::String(s) => s.as_count(),
            serde_json::Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }
}

struct State<F> {
    plan: Plan,
    fetch: F,
    next: Option<Request>,
    base_url: String,
    last_fingerprint: Option<u64>,
    last_cursor: Option<String>,
}

/// Streams every page, requesting the next only when the consumer asks for it.
pub fn pages<'a, T, F, Fut>(plan: Plan, base_url: &str, fetch: F, meta: fn(&T) -> PageMeta) -> Pages<'a, T>
where
    T: Serialize + Send + 'a,
    F: FnMut(Request) -> Fut + Send + 'a,
    Fut: Future<Output = Result<ResponseValue<T>>> + Send + 'a,
{
    let first = match &plan {
        Plan::Page { first, size } => Request::Page { number: *first, size: *size },
        Plan::Offset { start, limit, .. } => Request::Offset { offset: *start, limit: *limit },
        Plan::Cursor { limit, .. } => Request::Cursor { cursor: None, limit: *limit },
    };
    let state = State {
        plan,
        fetch,
        next: Some(first),
        base_url: base_url.to_string(),
        last_fingerprint: None,
        last_cursor: None,
    };
    stream::unfold(state, move |mut state| async move {
        let request = state.next.take()?;
        let page = match (state.fetch)(request.clone()).await {
            Ok(page) => page,
            Err(error) => return Some((vec![Err(error)], state)),
        };
        let info = meta(page.as_ref());
        if info.len > 0 {
            let print = fingerprint(page.as_ref());
            if state.last_fingerprint == Some(print) {
                let error = Error::Pagination(format!("the server sent the same page twice (request {request:?})"));
                return Some((vec![Err(error)], state));
            }
            state.last_fingerprint = Some(print);
        }
        match state.following(&request, &info) {
            Ok(next) => state.next = next,
            // The page itself is good: deliver it, then the error ends the stream.
            Err(error) => return Some((vec![Ok(page), Err(error)], state)),
        }
        Some((vec![Ok(page)], state))
    })
    .flat_map(stream::iter)
    .boxed()
}

impl<F> State<F> {
    /// The request for the page after this one, or `None` at the end.
    fn following(&mut self, request: &Request, info: &PageMeta) -> Result<Option<Request>> {
        if info.len == 0 {
            return Ok(None);
        }
        if let Some(link) = &info.next_link {
            self.check_link(link)?;
        }
        Ok(match (&self.plan, request) {
            (Plan::Page { size, .. }, Request::Page { number, size: asked }) => {
                let size = if *asked > 0 { *asked } else { *size };
                let short = size > 0 && (info.len as u64) < size;
                (!short).then(|| Request::Page { number: number + 1, size: *asked })
            }
            (Plan::Offset { offset_param, links, .. }, Request::Offset { offset, limit }) => {
                let next_offset = offset + info.len as u64;
                let linked = info.next_link.as_deref().map(|l| query_value(l, offset_param));
                let done = match (&info.next_link, info.total) {
                    // A next link is authoritative when the API gives links.
                    (Some(_), _) => false,
                    (None, _) if *links => true,
                    (None, Some(total)) => next_offset >= total,
                    (None, None) => *limit > 0 && (info.len as u64) < *limit,
                };
                if done {
                    None
                } else {
                    let offset = linked.flatten().and_then(|v| v.parse().ok()).unwrap_or(next_offset);
                    Some(Request::Offset { offset, limit: *limit })
                }
            }
            (Plan::Cursor { cursor_param, .. }, Request::Cursor { limit, .. }) => {
                let cursor = info
                    .next_cursor
                    .clone()
                    .or_else(|| info.next_link.as_deref().and_then(|l| query_value(l, cursor_param)))
                    .filter(|c| !c.is_empty());
                match cursor {
                    None => None,
                    Some(cursor) if self.last_cursor.as_deref() == Some(cursor.as_str()) => {
                        return Err(Error::Pagination(format!("the server repeated cursor `{cursor}`")));
                    }
                    Some(cursor) => {
                        self.last_cursor = Some(cursor.clone());
                        Some(Request::Cursor { cursor: Some(cursor), limit: *limit })
                    }
                }
            }
            _ => None,
        })
    }

    /// A next link may be relative; an absolute one must stay on the API's host.
    fn check_link(&self, link: &str) -> Result<()> {
        let base = reqwest::Url::parse(&self.base_url).map_err(|e| Error::Pagination(format!("base URL: {e}")))?;
        let target = base.join(link).map_err(|e| Error::Pagination(format!("next link `{link}`: {e}")))?;
        if target.origin() != base.origin() {
            return Err(Error::Pagination(format!(
                "the next-page link points at another host ({}); not followed",
                target.host_str().unwrap_or("?")
            )));
        }
        Ok(())
    }
}

fn query_value(link: &str, name: &str) -> Option<String> {
    let url = reqwest::Url::parse("http://localhost/").ok()?.join(link).ok()?;
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// Identifies a page by its content, to notice a server that ignores the page parameter.
fn fingerprint<T: Serialize>(page: &T) -> u64 {
    struct HashWriter(DefaultHasher);
    impl std::io::Write for HashWriter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.write(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut writer = HashWriter(DefaultHasher::new());
    let _ = serde_json::to_writer(&mut writer, page);
    writer.0.finish()
}

/// Flattens pages into their items.
pub fn items<'a, T, I>(pages: Pages<'a, T>, take: fn(T) -> Vec<I>) -> Items<'a, I>
where
    T: Send + 'a,
    I: Send + 'a,
{
    pages
        .flat_map(move |page| match page {
            Ok(page) => stream::iter(take(page.into_inner()).into_iter().map(Ok).collect::<Vec<_>>()).boxed(),
            Err(error) => stream::iter(vec![Err(error)]).boxed(),
        })
        .boxed()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use futures::TryStreamExt;
    use reqwest::header::HeaderMap;
    use reqwest::StatusCode;

    use super::*;

    #[derive(Debug, Clone, Serialize)]
    struct TestPage {
        items: Vec<u32>,
        next_link: Option<String>,
        total: Option<u64>,
        next_cursor: Option<String>,
    }

    fn page(items: &[u32]) -> TestPage {
        TestPage { items: items.to_vec(), next_link: None, total: None, next_cursor: None }
    }

    fn meta(page: &TestPage) -> PageMeta {
        PageMeta {
            len: page.items.len(),
            next_link: page.next_link.clone(),
            total: page.total,
            next_cursor: page.next_cursor.clone(),
        }
    }

    /// Runs a plan against canned answers (one per request, in order); returns what was requested
    /// and every item or the error that ended the stream.
    async fn run(plan: Plan, answers: Vec<Result<TestPage>>) -> (Vec<Request>, Vec<std::result::Result<u32, String>>) {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let answers = Arc::new(Mutex::new(answers.into_iter()));
        let seen = requests.clone();
        let stream = pages(
            plan,
            "https://api.example.com/v1",
            move |request| {
                seen.lock().unwrap().push(request);
                let answer = answers.lock().unwrap().next().expect("more requests than answers");
                async move { answer.map(|p| ResponseValue::new(p, StatusCode::OK, HeaderMap::new())) }
            },
            meta,
        );
        let items: Vec<_> = items(stream, |p: TestPage| p.items).map(|r| r.map_err(|e| e.to_string())).collect().await;
        let requests = requests.lock().unwrap().clone();
        (requests, items)
    }

    fn oks(items: &[u32]) -> Vec<std::result::Result<u32, String>> {
        items.iter().copied().map(Ok).collect()
    }

    #[tokio::test]
    async fn page_numbers_until_a_short_page() {
        let (requests, items) =
            run(Plan::Page { first: 1, size: 2 }, vec![Ok(page(&[1, 2])), Ok(page(&[3, 4])), Ok(page(&[5]))]).await;
        assert_eq!(items, oks(&[1, 2, 3, 4, 5]));
        assert_eq!(
            requests,
            [1, 2, 3].map(|number| Request::Page { number, size: 2 }),
            "three requests, numbered from the first page"
        );
    }

    #[tokio::test]
    async fn offsets_until_the_count_is_reached() {
        let with_total = |items: &[u32]| TestPage { total: Some(5), ..page(items) };
        let plan = Plan::Offset { start: 0, limit: 2, offset_param: "offset", links: false };
        let (requests, items) =
            run(plan, vec![Ok(with_total(&[1, 2])), Ok(with_total(&[3, 4])), Ok(with_total(&[5]))]).await;
        assert_eq!(items, oks(&[1, 2, 3, 4, 5]));
        assert_eq!(requests, [0, 2, 4].map(|offset| Request::Offset { offset, limit: 2 }));
    }

    #[tokio::test]
    async fn offsets_follow_next_links_until_null() {
        let linked =
            |items: &[u32], next: Option<&str>| TestPage { next_link: next.map(str::to_string), ..page(items) };
        let plan = Plan::Offset { start: 0, limit: 2, offset_param: "offset", links: true };
        let answers = vec![
            Ok(linked(&[1, 2], Some("/v1/websites?offset=2&limit=2"))),
            // A full page without a link is the last page when the API pages by links.
            Ok(linked(&[3, 4], None)),
        ];
        let (requests, items) = run(plan, answers).await;
        assert_eq!(items, oks(&[1, 2, 3, 4]));
        assert_eq!(requests.len(), 2);
    }

    #[tokio::test]
    async fn a_next_link_to_another_host_is_not_followed() {
        let plan = Plan::Offset { start: 0, limit: 2, offset_param: "offset", links: true };
        let evil =
            TestPage { next_link: Some("https://evil.example.net/v1/websites?offset=2".into()), ..page(&[1, 2]) };
        let (requests, items) = run(plan, vec![Ok(evil)]).await;
        assert_eq!(requests.len(), 1);
        assert_eq!(&items[..2], &oks(&[1, 2])[..]);
        assert!(items[2].as_ref().unwrap_err().contains("another host (evil.example.net)"), "{items:?}");
    }

    #[tokio::test]
    async fn cursors_until_none_and_repeated_cursors_stop() {
        let cursor =
            |items: &[u32], next: Option<&str>| TestPage { next_cursor: next.map(str::to_string), ..page(items) };
        let plan = Plan::Cursor { cursor_param: "cursor_id", limit: Some(300) };
        let (requests, items) =
            run(plan.clone(), vec![Ok(cursor(&[1], Some("a"))), Ok(cursor(&[2], Some("b"))), Ok(cursor(&[3], None))])
                .await;
        assert_eq!(items, oks(&[1, 2, 3]));
        let cursors: Vec<Option<String>> = requests
            .into_iter()
            .map(|r| match r {
                Request::Cursor { cursor, limit: Some(300) } => cursor,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(cursors, [None, Some("a".to_string()), Some("b".to_string())]);

        let (requests, items) = run(plan, vec![Ok(cursor(&[1], Some("a"))), Ok(cursor(&[2], Some("a")))]).await;
        assert_eq!(requests.len(), 2);
        assert_eq!(&items[..2], &oks(&[1, 2])[..]);
        assert!(items[2].as_ref().unwrap_err().contains("repeated cursor `a`"));
    }

    #[tokio::test]
    async fn an_error_ends_the_stream_after_the_items_before_it() {
        let plan = Plan::Page { first: 1, size: 2 };
        let (requests, items) =
            run(plan, vec![Ok(page(&[1, 2])), Err(Error::InvalidRequest("boom".into())), Ok(page(&[9]))]).await;
        assert_eq!(requests.len(), 2, "nothing is requested after the failure");
        assert_eq!(&items[..2], &oks(&[1, 2])[..]);
        assert_eq!(items.len(), 3);
    }

    #[tokio::test]
    async fn nothing_is_requested_until_polled() {
        let calls = Arc::new(Mutex::new(0));
        let counter = calls.clone();
        let mut stream = pages(
            Plan::Page { first: 1, size: 1 },
            "https://api.example.com",
            move |_| {
                *counter.lock().unwrap() += 1;
                async { Ok(ResponseValue::new(page(&[1]), StatusCode::OK, HeaderMap::new())) }
            },
            meta,
        );
        assert_eq!(*calls.lock().unwrap(), 0);
        let first = stream.try_next().await.unwrap();
        assert!(first.is_some());
        assert_eq!(*calls.lock().unwrap(), 1);
    }
}
