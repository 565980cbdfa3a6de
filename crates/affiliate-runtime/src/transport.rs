//! What went wrong below HTTP (DNS, TCP, TLS, a broken body), told once in plain words, and
//! whether another attempt could fix it.
//!
//! reqwest's own `Display` says "error sending request for url (...)" and hides the cause several
//! `source()` levels down (hyper's "client error (Connect)", the connector's "tcp connect error",
//! then an `io::Error` wrapping the TLS library's error). A service's log needs the bottom of that
//! chain, and a retry loop needs to know that a certificate error will not go away by itself.

use std::error::Error as StdError;
use std::fmt;
use std::io;

/// What kind of failure a [`TransportError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportKind {
    /// The name of the API's host could not be resolved.
    Dns,
    /// No TCP connection: refused, unreachable, or the proxy could not be reached.
    Connect,
    /// The TLS handshake failed (a certificate the client does not trust, a protocol mismatch).
    Tls,
    /// No complete response within the configured timeout.
    Timeout,
    /// The connection was reset or closed before the response was complete.
    Closed,
    /// The response body could not be read or decompressed.
    Body,
    /// The peer spoke broken HTTP (HTTP/1 parse error, HTTP/2 protocol error).
    Protocol,
    /// The request could not be built or sent at all (an unsupported URL scheme, a bad header).
    Request,
    /// A redirect could not be followed.
    Redirect,
    /// Anything else; the message says what.
    Other,
}

impl TransportKind {
    /// A stable snake_case name (`tls`, `dns`, `connect`, `closed`, ...), for metrics and the
    /// `error.type` of traces.
    pub fn code(self) -> &'static str {
        match self {
            TransportKind::Dns => "dns",
            TransportKind::Connect => "connect",
            TransportKind::Tls => "tls",
            TransportKind::Timeout => "timeout",
            TransportKind::Closed => "closed",
            TransportKind::Body => "body",
            TransportKind::Protocol => "protocol",
            TransportKind::Request => "request",
            TransportKind::Redirect => "redirect",
            TransportKind::Other => "transport",
        }
    }

    /// The short label that starts the error's message (`tls`, `dns`, ...).
    pub fn label(self) -> &'static str {
        match self {
            TransportKind::Dns => "dns",
            TransportKind::Connect => "connect",
            TransportKind::Tls => "tls",
            TransportKind::Timeout => "timeout",
            TransportKind::Closed => "connection closed",
            TransportKind::Body => "body",
            TransportKind::Protocol => "protocol",
            TransportKind::Request => "request",
            TransportKind::Redirect => "redirect",
            TransportKind::Other => "transport",
        }
    }
}

/// A failure below HTTP, with its root cause in plain words.
///
/// `Display` is `<kind>: <root cause> (<url without query>)` (a timeout: `timed out (<url>)`), e.g.
/// `tls: invalid peer certificate: UnknownIssuer (https://api.example.com/partners)`. The cause is
/// told once: `source()` is `None`, so printing the whole chain (`{:#}` with anyhow) does not
/// repeat it. The underlying [`reqwest::Error`], with its full chain, is [`inner`](Self::inner).
pub struct TransportError {
    kind: TransportKind,
    permanent: bool,
    message: String,
    inner: reqwest::Error,
}

impl TransportError {
    /// Classifies a reqwest error by walking its `source()` chain down to the root cause.
    pub fn new(inner: reqwest::Error) -> Self {
        let (kind, permanent, cause) = classify(&inner);
        let mut message = match kind {
            // "timed out: operation timed out" says it twice.
            TransportKind::Timeout if cause.contains("timed out") => "timed out".to_string(),
            TransportKind::Timeout => format!("timed out: {cause}"),
            _ => format!("{}: {cause}", kind.label()),
        };
        if let Some(url) = inner.url() {
            // The query is left out: some APIs take credentials there.
            let mut url = url.clone();
            url.set_query(None);
            url.set_fragment(None);
            let _ = url.set_password(None);
            let _ = url.set_username("");
            message.push_str(&format!(" ({url})"));
        }
        // reqwest's own `Display` shows the whole URL, query included, and some APIs take their
        // key there: keep the URL in `inner` without its query.
        let mut inner = inner;
        if let Some(url) = inner.url_mut() {
            url.set_query(None);
        }
        TransportError { kind, permanent, message, inner }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> TransportKind {
        self.kind
    }

    /// Whether another attempt cannot succeed (a certificate the client does not trust, a URL it
    /// cannot send to, a request that could not be built): such failures are never retried.
    pub fn is_permanent(&self) -> bool {
        self.permanent
    }

    /// The reqwest error this was made from, with reqwest's full `source()` chain.
    pub fn inner(&self) -> &reqwest::Error {
        &self.inner
    }

    /// The HTTP status, when the failure came after a response started (a broken body).
    pub fn status(&self) -> Option<reqwest::StatusCode> {
        self.inner.status()
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportError")
            .field("kind", &self.kind)
            .field("permanent", &self.permanent)
            .field("message", &self.message)
            .field("inner", &self.inner)
            .finish()
    }
}

impl StdError for TransportError {}

/// The kind of a reqwest error (see [`TransportError::kind`]).
pub(crate) fn kind_of(error: &reqwest::Error) -> TransportKind {
    classify(error).0
}

/// Whether another attempt cannot fix this failure (see [`TransportError::is_permanent`]).
pub(crate) fn is_permanent(error: &reqwest::Error) -> bool {
    classify(error).1
}

/// Kind, permanence and root-cause text of a reqwest error.
fn classify(error: &reqwest::Error) -> (TransportKind, bool, String) {
    let chain = chain(error);
    let root = chain.last().copied().unwrap_or(error as &(dyn StdError + 'static));
    let root_text = root_message(root);

    if let Some(tls) = tls_error(&chain) {
        return (TransportKind::Tls, tls.permanent, tls.message);
    }
    if error.is_builder() {
        return (TransportKind::Request, true, root_text);
    }
    if error.is_redirect() {
        return (TransportKind::Redirect, true, root_text);
    }
    if error.is_timeout() || chain.iter().any(|e| io_kind(*e) == Some(io::ErrorKind::TimedOut)) {
        return (TransportKind::Timeout, false, root_text);
    }
    // hyper-util's connector says which step failed in its own message ("dns error", "tcp connect
    // error"); it has no public type to match on.
    if chain.iter().any(|e| e.to_string().starts_with("dns error")) {
        let host = error.url().and_then(|u| u.host_str()).unwrap_or("the host");
        return (TransportKind::Dns, false, format!("failed to look up {host}: {root_text}"));
    }
    let kind = chain.iter().find_map(|e| io_kind(*e));
    match kind {
        Some(io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted | io::ErrorKind::BrokenPipe)
        | Some(io::ErrorKind::UnexpectedEof) => return (TransportKind::Closed, false, root_text),
        _ => {}
    }
    if error.is_connect() {
        return (TransportKind::Connect, false, root_text);
    }
    if error.is_body() || error.is_decode() {
        return (TransportKind::Body, false, root_text);
    }
    if let Some(hyper) = chain.iter().find_map(|e| e.downcast_ref::<hyper::Error>()) {
        if hyper.is_incomplete_message() || hyper.is_closed() || hyper.is_canceled() {
            return (TransportKind::Closed, false, root_text);
        }
        if hyper.is_parse() || hyper.is_parse_status() {
            return (TransportKind::Protocol, false, root_text);
        }
    }
    let text = chain.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(": ");
    if text.contains("scheme is not http") || text.contains("URL scheme is not allowed") {
        return (TransportKind::Request, true, root_text);
    }
    if text.contains("http2 error") {
        return (TransportKind::Protocol, false, root_text);
    }
    (TransportKind::Other, false, root_text)
}

fn chain(error: &reqwest::Error) -> Vec<&(dyn StdError + 'static)> {
    let mut out: Vec<&(dyn StdError + 'static)> = Vec::new();
    let mut next = error.source();
    // Bounded: an error type whose source points back at itself must not hang the caller.
    while let Some(e) = next {
        if out.len() >= 32 {
            break;
        }
        out.push(e);
        next = e.source();
    }
    out
}

fn io_kind(error: &(dyn StdError + 'static)) -> Option<io::ErrorKind> {
    error.downcast_ref::<io::Error>().map(io::Error::kind)
}

/// The root cause in words: an `io::Error`'s kind instead of "(os error 111)".
fn root_message(error: &(dyn StdError + 'static)) -> String {
    if let Some(io) = error.downcast_ref::<io::Error>() {
        if io.get_ref().is_none() {
            return match io.kind() {
                io::ErrorKind::ConnectionRefused => "connection refused".into(),
                io::ErrorKind::ConnectionReset => "connection reset by peer".into(),
                io::ErrorKind::ConnectionAborted => "connection aborted".into(),
                io::ErrorKind::TimedOut => "timed out".into(),
                io::ErrorKind::UnexpectedEof => "connection closed before the response was complete".into(),
                io::ErrorKind::BrokenPipe => "connection closed while sending".into(),
                _ => io.to_string(),
            };
        }
    }
    error.to_string()
}

struct TlsFailure {
    message: String,
    permanent: bool,
}

/// A TLS library error anywhere in the chain (the TLS stacks report through `io::Error`).
fn tls_error(chain: &[&(dyn StdError + 'static)]) -> Option<TlsFailure> {
    for error in chain {
        // Connectors nest `io::Error`s (`Other` around `InvalidData` around the TLS error), and
        // `io::Error::source` skips the wrapped error itself: unwrap them by hand.
        let mut inner: &(dyn StdError + 'static) = *error;
        for _ in 0..8 {
            match inner.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
                Some(wrapped) => inner = wrapped,
                None => break,
            }
        }
        #[cfg(feature = "rustls")]
        if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
            // Certificates and protocol versions do not change between attempts; a handshake cut
            // short by the network might.
            let permanent = matches!(
                tls,
                rustls::Error::InvalidCertificate(_)
                    | rustls::Error::NoCertificatesPresented
                    | rustls::Error::PeerIncompatible(_)
                    | rustls::Error::UnsupportedNameType
                    | rustls::Error::InvalidCertRevocationList(_)
                    | rustls::Error::AlertReceived(
                        rustls::AlertDescription::BadCertificate
                            | rustls::AlertDescription::UnknownCA
                            | rustls::AlertDescription::CertificateExpired
                            | rustls::AlertDescription::CertificateRequired
                            | rustls::AlertDescription::ProtocolVersion
                            | rustls::AlertDescription::HandshakeFailure
                    )
            );
            return Some(TlsFailure { message: tls.to_string(), permanent });
        }
        #[cfg(feature = "native-tls")]
        if let Some(tls) = inner.downcast_ref::<native_tls::Error>() {
            let message = tls.to_string();
            let lower = message.to_ascii_lowercase();
            let permanent = lower.contains("certificate") || lower.contains("verify");
            return Some(TlsFailure { message, permanent });
        }
        let _ = inner;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A port on loopback that nothing listens on.
    fn closed_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }

    #[tokio::test]
    async fn failures_are_classified_and_told_once() {
        let port = closed_port();
        let http = reqwest::Client::new();
        let check = |error: reqwest::Error, kind: TransportKind, permanent: bool, message: &str| {
            let error = TransportError::new(error);
            assert_eq!(error.kind(), kind, "{error}");
            assert_eq!(error.is_permanent(), permanent, "{error}");
            assert_eq!(error.to_string(), message);
            assert!(error.source().is_none(), "the cause is in the message, not repeated in a chain");
        };
        let refused = http.get(format!("http://127.0.0.1:{port}/things?token=secret")).send().await.unwrap_err();
        check(
            refused,
            TransportKind::Connect,
            false,
            &format!("connect: connection refused (http://127.0.0.1:{port}/things)"),
        );
        let scheme = http.get("ftp://127.0.0.1/file").send().await.unwrap_err();
        check(scheme, TransportKind::Request, true, "request: URL scheme is not allowed (ftp://127.0.0.1/file)");
        let keyed =
            TransportError::new(http.get(format!("http://127.0.0.1:{port}/?api_key=k123")).send().await.unwrap_err());
        assert!(!format!("{keyed} {:?} {}", keyed, keyed.inner()).contains("k123"), "no query anywhere: {keyed:?}");
        let user_in_url = http.get(format!("http://user:pw@127.0.0.1:{port}/")).send().await.unwrap_err();
        let shown = TransportError::new(user_in_url).to_string();
        assert!(!shown.contains("pw") && !shown.contains("user"), "userinfo is left out: {shown}");
    }

    #[test]
    fn codes_are_snake_case_and_distinct() {
        use TransportKind::*;
        let kinds = [Dns, Connect, Tls, Timeout, Closed, Body, Protocol, Request, Redirect, Other];
        let mut codes: Vec<&str> = kinds.iter().map(|k| k.code()).collect();
        assert!(codes.iter().all(|c| c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), kinds.len());
    }
}
