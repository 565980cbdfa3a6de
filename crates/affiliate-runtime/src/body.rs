//! Reading response bodies: every body the runtime reads goes through here, under one limit.
//!
//! A body the runtime decodes (a JSON success of any content type, a job status, a 202 answer
//! next to a CSV export) is read whole up to the client's `max_body_bytes`, and a longer one is
//! [`Error::TooLarge`](crate::Error::TooLarge) without reading further. Error bodies are judged by
//! their start only ([`MAX_ERROR_BODY`](crate::MAX_ERROR_BODY) bytes; the rest is left unread).
//! Streamed bodies (CSV exports) are never buffered: the caller reads them chunk by chunk.

use bytes::{Bytes, BytesMut};
use futures::{Stream, TryStreamExt};

/// A whole body, or `None` when it is longer than `limit` (announced so, or found so while
/// reading; nothing more is read then). The buffer is sized once from the announced length (at
/// most `limit`), so the peak is the body plus one chunk; a body that arrived in one piece is
/// kept as it came, without a copy.
pub(crate) async fn read_whole<S>(mut stream: S, announced: Option<u64>, limit: usize) -> reqwest::Result<Option<Bytes>>
where
    S: Stream<Item = reqwest::Result<Bytes>> + Unpin,
{
    if announced.is_some_and(|length| length > limit as u64) {
        return Ok(None);
    }
    let mut buf: Option<BytesMut> = None;
    let mut first: Option<Bytes> = None;
    while let Some(chunk) = stream.try_next().await? {
        let so_far = buf.as_ref().map_or(0, BytesMut::len) + first.as_ref().map_or(0, Bytes::len);
        if so_far + chunk.len() > limit {
            return Ok(None);
        }
        match (&mut buf, first.take()) {
            (Some(buf), _) => buf.extend_from_slice(&chunk),
            (None, None) => first = Some(chunk),
            (None, Some(kept)) => {
                let capacity = announced.map_or(0, |length| length as usize).max(kept.len() + chunk.len());
                let mut fresh = BytesMut::with_capacity(capacity);
                fresh.extend_from_slice(&kept);
                fresh.extend_from_slice(&chunk);
                buf = Some(fresh);
            }
        }
    }
    Ok(Some(match (buf, first) {
        (Some(buf), _) => buf.freeze(),
        (None, first) => first.unwrap_or_default(),
    }))
}

/// The first `limit` bytes of a body (an error body, judged by its start); the rest is not read.
pub(crate) async fn read_start<S>(mut stream: S, limit: usize) -> reqwest::Result<Bytes>
where
    S: Stream<Item = reqwest::Result<Bytes>> + Unpin,
{
    let mut buf = BytesMut::new();
    while let Some(chunk) = stream.try_next().await? {
        let room = limit.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if buf.len() >= limit {
            break;
        }
    }
    Ok(buf.freeze())
}

/// The `Content-Length` a response announced, if any (absent once reqwest decompresses).
pub(crate) fn announced(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    headers.get(reqwest::header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    /// Every way a body can arrive, against the limit: whole, in pieces, announced or not, lying.
    #[tokio::test]
    async fn one_limit_for_every_shape_of_body() {
        async fn check(chunks: &[&[u8]], announced: Option<u64>, limit: usize, expected: Option<&[u8]>) {
            let stream = futures::stream::iter(
                chunks.iter().map(|c| Ok::<_, reqwest::Error>(Bytes::copy_from_slice(c))).collect::<Vec<_>>(),
            );
            let read = super::read_whole(stream, announced, limit).await.unwrap();
            assert_eq!(read.as_deref(), expected, "{chunks:?} announced {announced:?} limit {limit}");
        }
        check(&[b"{}"], Some(2), 2, Some(b"{}")).await;
        check(&[b"{", b"}"], Some(2), 2, Some(b"{}")).await;
        check(&[b"{", b"", b"}"], None, 2, Some(b"{}")).await;
        check(&[], None, 0, Some(b"")).await;
        check(&[b"{}"], Some(3), 2, None).await;
        check(&[b"{", b"}", b" "], None, 2, None).await;
        check(&[b"{} "], None, 2, None).await;
        // A server announcing less than it sends is stopped by the limit all the same.
        check(&[b"{", b"} ", b"  "], Some(1), 2, None).await;
        let start =
            super::read_start(futures::stream::iter([Ok::<_, reqwest::Error>(Bytes::from_static(b"abcdef"))]), 4);
        assert_eq!(start.await.unwrap(), Bytes::from_static(b"abcd"));
    }
}
