//! Lazy streams over paginated operations: page-number, offset/limit (with a count or a next link)
//! and cursor strategies, chosen per operation by the spec's `x-affiliate-pagination`.
//!
//! Every strategy stops on an empty page. A stream ends with [`Error::Pagination`] (after the
//! pages before it) when the server
//! - sends a page whose body is byte-for-byte one it sent earlier in the same stream, or a cursor
//!   it gave before (not only the previous one: `111, 222, 111` is caught), which would otherwise
//!   loop forever; memory stays bounded, as only a 64-bit hash of each page and cursor is kept;
//! - gives a next-page link that is empty while neither a count nor a short page says the stream
//!   is over, or one that does not advance the offset: the stream could not move on;
//! - links to another host, which would otherwise receive the credentials.
//!
//! An empty cursor ends a cursor stream: APIs send one on the last page.
//!
//! A page is identified by the hash of the body bytes the client's exec hook buffered (see
//! `record_body`), so guarding costs one pass of a fast hash over bytes already in memory;
//! a page that reached the stream some other way is hashed from its re-serialisation.

use std::cell::Cell;
use std::collections::HashSet;
use std::future::Future;
use std::hash::{BuildHasher, Hash, Hasher};

use futures::stream::{self, BoxStream, StreamExt};
use progenitor_client::ResponseValue;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::text::shown;

/// A stream of whole pages.
pub type Pages<'a, T> = BoxStream<'a, Result<ResponseValue<T>>>;
/// A stream of the items of every page.
pub type Items<'a, I> = BoxStream<'a, Result<I>>;

/// How an operation pages, with the caller's starting point.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Plan {
    /// Page numbers from `first`; the last page is the first one shorter than `size` (0: unknown).
    Page {
        /// Number of the first page to request (the caller's, else the spec's `first`).
        first: u64,
        /// Items per page; 0 when unknown, so that only an empty page ends the stream.
        size: u64,
    },
    /// Offsets from `start` in steps of the items received. With `links`, the API's next-page link
    /// decides (none on a non-empty page: the last page); otherwise the total count, then a short page.
    Offset {
        /// Index of the first item to request.
        start: u64,
        /// Items per page, to tell a short (last) page; 0 when unknown.
        limit: u64,
        /// Query parameter holding the offset: a next-page link's value of it is followed.
        offset_param: &'static str,
        /// The API gives next-page links (the spec's `next`), so a page without one is the last.
        links: bool,
    },
    /// An opaque cursor from each page for the next.
    Cursor {
        /// Query parameter carrying the cursor; a next-page link's value of it serves when a page
        /// has no cursor of its own.
        cursor_param: &'static str,
        /// Items per page the caller asked for (`None`: the server's default).
        limit: Option<u64>,
    },
}

/// What to ask for next; the generated code turns it into builder calls.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Request {
    /// One page, by its number.
    Page {
        /// Value for the page-number parameter.
        number: u64,
        /// Value for the page-size parameter; 0: leave it out.
        size: u64,
    },
    /// The items from an offset on.
    Offset {
        /// Index of the first item wanted.
        offset: u64,
        /// Value for the limit parameter; 0: leave it out.
        limit: u64,
    },
    /// The page after a cursor.
    Cursor {
        /// The cursor the previous page gave; `None` for the first page.
        cursor: Option<String>,
        /// Value for the limit parameter; `None`: leave it out.
        limit: Option<u64>,
    },
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
    /// The value as a `u64`; `None` when it is negative, so no request asks for a wrapped-around number.
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
    /// The value as a link or cursor; `None` when it is neither text nor a number.
    fn as_text(&self) -> Option<String>;
    /// The value as an item count; `None` when it cannot be one (negative, not a number).
    fn as_count(&self) -> Option<u64>;
}

impl PageValue for String {
    /// Empty text is kept: an empty next link is told apart from none.
    fn as_text(&self) -> Option<String> {
        Some(self.clone())
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
    /// Hashes of every non-empty page so far.
    seen_pages: HashSet<u64>,
    /// Hashes of every cursor so far.
    seen_cursors: HashSet<u64>,
}

tokio::task_local! {
    /// While a page is fetched: the hash of the success body the exec hook buffered last.
    static BODY_PRINT: Cell<Option<u64>>;
}

/// Called by the exec hook with each success body it buffers: while a page stream is fetching a
/// page, records the body's hash as that page's fingerprint (elsewhere it does nothing, cheaply).
pub(crate) fn record_body(body: &[u8]) {
    let _ = BODY_PRINT.try_with(|slot| slot.set(Some(body_fingerprint(body))));
}

/// The fingerprint a page stream keeps of a page body. foldhash, not SipHash: a page body is
/// 100 KiB and more, where SipHash alone costs several percent of a page's round trip. A server
/// that crafted collisions would only end its own streams early.
pub fn body_fingerprint(body: &[u8]) -> u64 {
    let mut hasher = hasher();
    hasher.write(body);
    hasher.finish()
}

fn hasher() -> impl Hasher {
    foldhash::quality::FixedState::default().build_hasher()
}

/// Streams every page, requesting the next only when the consumer asks for it.
///
/// Ends after the last page, or with [`Error::Pagination`] when the server repeats any earlier
/// page or cursor of this stream, sends a next link the stream cannot advance with, or links to
/// another host (see the module documentation).
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
        seen_pages: HashSet::new(),
        seen_cursors: HashSet::new(),
    };
    stream::unfold(state, move |mut state| async move {
        let request = state.next.take()?;
        let fetch = (state.fetch)(request.clone());
        let (result, body_print) = BODY_PRINT
            .scope(Cell::new(None), async move {
                let result = fetch.await;
                (result, BODY_PRINT.with(Cell::get))
            })
            .await;
        let page = match result {
            Ok(page) => page,
            Err(error) => return Some((vec![Err(error)], state)),
        };
        let info = meta(page.as_ref());
        if info.len > 0 {
            let print = body_print.unwrap_or_else(|| fingerprint(page.as_ref()));
            if !state.seen_pages.insert(print) {
                let error = Error::Pagination(format!(
                    "the server sent a page it had already sent in this stream (request {})",
                    shown(&format!("{request:?}"))
                ));
                return Some((vec![Err(error)], state));
            }
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
        let len = u64::try_from(info.len).unwrap_or(u64::MAX);
        // An empty link says neither where the next page is nor that there is none.
        let next_link = info.next_link.as_deref().filter(|link| !link.trim().is_empty());
        if let Some(link) = next_link {
            self.check_link(link)?;
        }
        Ok(match (&self.plan, request) {
            (Plan::Page { size, .. }, Request::Page { number, size: asked }) => {
                let size = if *asked > 0 { *asked } else { *size };
                let short = size > 0 && len < size;
                if short {
                    None
                } else {
                    let number = number
                        .checked_add(1)
                        .ok_or_else(|| Error::Pagination("the page number cannot go past u64::MAX".to_string()))?;
                    Some(Request::Page { number, size: *asked })
                }
            }
            (Plan::Offset { offset_param, links, .. }, Request::Offset { offset, limit }) => {
                let next_offset = offset.saturating_add(len);
                let counted_out = info.total.map(|total| next_offset >= total);
                let short = *limit > 0 && len < *limit;
                let done = match (next_link, info.total) {
                    // A next link is authoritative when the API gives links.
                    (Some(_), _) => false,
                    (None, _) if info.next_link.is_some() => {
                        // Present but empty: the end only if the count or a short page says so.
                        if counted_out.unwrap_or(short) {
                            true
                        } else {
                            return Err(Error::Pagination(
                                "the server sent an empty next-page link on a page that is not the last".to_string(),
                            ));
                        }
                    }
                    (None, _) if *links => true,
                    (None, Some(_)) => counted_out.unwrap_or(false),
                    (None, None) => short,
                };
                if done {
                    None
                } else {
                    let linked =
                        next_link.and_then(|l| query_value(l, offset_param)).and_then(|v| v.trim().parse().ok());
                    match linked {
                        Some(linked) if linked <= *offset => {
                            return Err(Error::Pagination(format!(
                                "the next-page link goes back to offset {linked} from offset {offset}"
                            )));
                        }
                        linked => Some(Request::Offset { offset: linked.unwrap_or(next_offset), limit: *limit }),
                    }
                }
            }
            (Plan::Cursor { cursor_param, .. }, Request::Cursor { limit, .. }) => {
                let cursor = info
                    .next_cursor
                    .clone()
                    .or_else(|| next_link.and_then(|l| query_value(l, cursor_param)))
                    .filter(|c| !c.is_empty());
                match cursor {
                    None => None,
                    Some(cursor) => {
                        let mut hasher = hasher();
                        cursor.hash(&mut hasher);
                        if !self.seen_cursors.insert(hasher.finish()) {
                            return Err(Error::Pagination(format!("the server repeated cursor `{}`", shown(&cursor))));
                        }
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
        let target = base.join(link).map_err(|e| Error::Pagination(format!("next link `{}`: {e}", shown(link))))?;
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

/// Identifies a page by its content when no body hash was recorded (a fetch that did not go
/// through the exec hook): hashes its JSON re-serialisation, which costs about a decode.
fn fingerprint<T: Serialize>(page: &T) -> u64 {
    struct HashWriter<H>(H);
    impl<H: Hasher> std::io::Write for HashWriter<H> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.write(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut writer = HashWriter(hasher());
    let _ = serde_json::to_writer(&mut writer, page);
    writer.0.finish()
}

/// Flattens pages into their items.
pub fn items<'a, T, I>(pages: Pages<'a, T>, take: fn(T) -> Vec<I>) -> Items<'a, I>
where
    T: Send + 'a,
    I: Send + 'a,
{
    ItemsOf { pages: Some(pages), take, current: Vec::new().into_iter() }.boxed()
}

/// The items of each page in turn. By hand rather than `flat_map`: items (often large structs)
/// then move straight from the page's vector to the caller, not through a boxed stream per page.
struct ItemsOf<'a, T, I> {
    /// `None` once the pages are exhausted.
    pages: Option<Pages<'a, T>>,
    take: fn(T) -> Vec<I>,
    current: std::vec::IntoIter<I>,
}

// No field is ever pinned (items are moved out of a vector, pages are boxed).
impl<T, I> Unpin for ItemsOf<'_, T, I> {}

impl<T, I> futures::Stream for ItemsOf<'_, T, I> {
    type Item = Result<I>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<I>>> {
        use std::task::Poll;
        let this = self.get_mut();
        loop {
            if let Some(item) = this.current.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            // Free the spent page's vector before the next page is fetched and decoded.
            this.current = Vec::new().into_iter();
            let Some(pages) = this.pages.as_mut() else { return Poll::Ready(None) };
            match pages.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(page))) => this.current = (this.take)(page.into_inner()).into_iter(),
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(error))),
                Poll::Ready(None) => this.pages = None,
            }
        }
    }
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

    fn cursor(items: &[u32], next: Option<&str>) -> TestPage {
        TestPage { next_cursor: next.map(str::to_string), ..page(items) }
    }

    fn linked(items: &[u32], next: Option<&str>, total: Option<u64>) -> TestPage {
        TestPage { next_link: next.map(str::to_string), total, ..page(items) }
    }

    /// What a stream ends with: its items, then `Ok(())` at a clean end or the error's text.
    fn ending(items: &[std::result::Result<u32, String>]) -> (Vec<u32>, std::result::Result<(), String>) {
        let oks = items.iter().filter_map(|r| r.as_ref().ok().copied()).collect();
        let end = items.iter().find_map(|r| r.as_ref().err()).map_or(Ok(()), |e| Err(e.clone()));
        (oks, end)
    }

    /// Loop guards: (name, plan, answers, requests made, items, error text or a clean end).
    #[tokio::test]
    async fn loop_guards_end_the_stream_when_it_cannot_advance() {
        let page_plan = Plan::Page { first: 1, size: 2 };
        let cursor_plan = Plan::Cursor { cursor_param: "cursor", limit: None };
        let link_plan = Plan::Offset { start: 0, limit: 2, offset_param: "offset", links: true };
        let count_plan = Plan::Offset { start: 0, limit: 2, offset_param: "offset", links: false };
        type Case = (&'static str, Plan, Vec<TestPage>, usize, Vec<u32>, std::result::Result<(), &'static str>);
        let cases: Vec<Case> = vec![
            (
                "a page repeating the page before it",
                page_plan.clone(),
                vec![page(&[1, 2]), page(&[1, 2])],
                2,
                vec![1, 2],
                Err("already sent in this stream"),
            ),
            (
                "a page repeating an earlier page, not the previous one",
                page_plan.clone(),
                vec![page(&[1, 2]), page(&[3, 4]), page(&[1, 2])],
                3,
                vec![1, 2, 3, 4],
                Err("already sent in this stream"),
            ),
            (
                "cursors cycling 111, 222, 111",
                cursor_plan.clone(),
                vec![cursor(&[1], Some("111")), cursor(&[2], Some("222")), cursor(&[3], Some("111"))],
                3,
                vec![1, 2, 3],
                Err("repeated cursor `111`"),
            ),
            (
                "an empty cursor is the last page",
                cursor_plan.clone(),
                vec![cursor(&[1], Some("111")), cursor(&[2], Some(""))],
                2,
                vec![1, 2],
                Ok(()),
            ),
            (
                "an empty next link on a full page without a count",
                link_plan.clone(),
                vec![linked(&[1, 2], Some("/v1/x?offset=2"), None), linked(&[3, 4], Some(""), None)],
                2,
                vec![1, 2, 3, 4],
                Err("empty next-page link"),
            ),
            (
                "an empty next link once the count is reached is the end",
                link_plan.clone(),
                vec![linked(&[1, 2], Some("/v1/x?offset=2"), Some(4)), linked(&[3, 4], Some(" "), Some(4))],
                2,
                vec![1, 2, 3, 4],
                Ok(()),
            ),
            (
                "an empty next link on a short page is the end",
                link_plan.clone(),
                vec![linked(&[1], Some(""), None)],
                1,
                vec![1],
                Ok(()),
            ),
            (
                "an empty next link before the count is reached",
                count_plan.clone(),
                vec![linked(&[1, 2], Some(""), Some(10))],
                1,
                vec![1, 2],
                Err("empty next-page link"),
            ),
            (
                "a next link back to the same offset",
                link_plan.clone(),
                vec![linked(&[1, 2], Some("/v1/x?offset=2"), None), linked(&[3, 4], Some("/v1/x?offset=2"), None)],
                2,
                vec![1, 2, 3, 4],
                Err("goes back to offset 2 from offset 2"),
            ),
            (
                "a next link to a huge offset, then a page: no overflow",
                link_plan.clone(),
                vec![
                    linked(&[1, 2], Some("/v1/x?offset=18446744073709551615"), None),
                    linked(&[3, 4], Some("/v1/x?offset=18446744073709551615"), None),
                ],
                2,
                vec![1, 2, 3, 4],
                Err("goes back to offset 18446744073709551615"),
            ),
            (
                "page numbers run out at u64::MAX",
                Plan::Page { first: u64::MAX, size: 2 },
                vec![page(&[1, 2])],
                1,
                vec![1, 2],
                Err("cannot go past u64::MAX"),
            ),
        ];
        for (name, plan, answers, request_count, expected_items, expected_end) in cases {
            let (requests, items) = run(plan, answers.into_iter().map(Ok).collect()).await;
            assert_eq!(requests.len(), request_count, "{name}: requests");
            let (items, end) = ending(&items);
            assert_eq!(items, expected_items, "{name}: items");
            match (end, expected_end) {
                (Ok(()), Ok(())) => {}
                (Err(error), Err(expected)) => assert!(error.contains(expected), "{name}: {error}"),
                (end, expected) => panic!("{name}: ended with {end:?}, expected {expected:?}"),
            }
        }
    }

    /// A cursor stream that never repeats runs as long as the server goes on (memory: one hash each).
    #[tokio::test]
    async fn a_long_cursor_stream_is_not_mistaken_for_a_loop() {
        let answers: Vec<_> =
            (0..2_000u32).map(|i| Ok(cursor(&[i], (i < 1_999).then(|| format!("c{i}")).as_deref()))).collect();
        let (requests, items) = run(Plan::Cursor { cursor_param: "cursor", limit: None }, answers).await;
        assert_eq!(requests.len(), 2_000);
        assert_eq!(ending(&items), ((0..2_000).collect(), Ok(())));
    }

    /// Pages are told apart by the body bytes the exec hook recorded, not by their decoded values.
    #[tokio::test]
    async fn the_recorded_body_bytes_are_the_fingerprint() {
        // (name, (decoded items, recorded body) per page, requests, error expected)
        type Answer = (Vec<u32>, Option<&'static str>);
        let cases: Vec<(&str, Vec<Answer>, usize, bool)> = vec![
            ("same values, different bytes", vec![(vec![1, 2], Some("[1,2]")), (vec![1, 2], Some("[1, 2]"))], 3, false),
            ("different values, same bytes", vec![(vec![1, 2], Some("[1,2]")), (vec![3, 4], Some("[1,2]"))], 2, true),
            ("no bytes recorded: the values decide", vec![(vec![1, 2], None), (vec![1, 2], None)], 2, true),
        ];
        for (name, answers, request_count, fails) in cases {
            let answers = Arc::new(Mutex::new(answers.into_iter().chain([(vec![], None)])));
            let requests = Arc::new(Mutex::new(0));
            let counter = requests.clone();
            let stream = pages(
                Plan::Page { first: 1, size: 2 },
                "https://api.example.com",
                move |_| {
                    *counter.lock().unwrap() += 1;
                    let (items, body) = answers.lock().unwrap().next().expect("more requests than answers");
                    async move {
                        if let Some(body) = body {
                            record_body(body.as_bytes());
                        }
                        Ok(ResponseValue::new(page(&items), StatusCode::OK, HeaderMap::new()))
                    }
                },
                meta,
            );
            let results: Vec<_> = stream.collect().await;
            assert_eq!(*requests.lock().unwrap(), request_count, "{name}");
            assert_eq!(results.iter().any(|r| r.is_err()), fails, "{name}");
        }
    }

    #[test]
    fn server_text_in_errors_is_shortened() {
        assert_eq!(shown("abc").to_string(), "abc");
        let long = "é".repeat(500);
        assert_eq!(shown(&long).to_string().chars().count(), crate::MAX_SHOWN_CHARS + 1);
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
