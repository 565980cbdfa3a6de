//! Access tokens that expire: the [`TokenSource`] a service plugs in, the OAuth 2.0
//! client-credentials grant as one ([`ClientCredentials`]), and the cache every client keeps in
//! front of its source (one refresh shared by concurrent calls, renewed shortly before expiry).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use reqwest::header::HeaderValue;
use tokio::time::Instant;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// The future a [`TokenSource`] returns.
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<Token>> + Send + 'a>>;

/// Supplies the bearer token of an OAuth2 or bearer scheme, for tokens that expire. The client
/// asks for the first token before its first request, again shortly before the token expires
/// (a quarter of its lifetime before, at most a minute), and once more when the API answers
/// 401 to a request that carried it; concurrent calls wait for one shared refresh.
///
/// ```
/// use affiliate_runtime::{Token, TokenFuture, TokenSource};
/// struct FromVault;
/// impl TokenSource for FromVault {
///     fn token<'a>(&'a self, _http: &'a affiliate_runtime::reqwest::Client) -> TokenFuture<'a> {
///         Box::pin(async { Ok(Token::new("read-from-the-vault").expires_in(std::time::Duration::from_secs(600))) })
///     }
/// }
/// ```
pub trait TokenSource: Send + Sync {
    /// A new token. `http` is the client's own HTTP client (its TLS roots, proxy, timeouts and
    /// `User-Agent`), for sources that call a token endpoint. An error fails the call that
    /// needed the token, as that error (use [`Error::token`] for failures of your own), unless it
    /// may pass ([`Error::is_retryable`]) and the call's retry policy allows another attempt.
    fn token<'a>(&'a self, http: &'a reqwest::Client) -> TokenFuture<'a>;
}

/// An access token and how long it stays valid.
#[derive(Clone, Debug)]
pub struct Token {
    value: Secret,
    expires_in: Option<Duration>,
}

impl Token {
    /// A token that does not expire (or whose expiry is unknown: it is renewed after a 401 only).
    pub fn new(value: impl Into<Secret>) -> Self {
        Token { value: value.into(), expires_in: None }
    }

    /// The token expires this long after the source returned it.
    pub fn expires_in(mut self, lifetime: Duration) -> Self {
        self.expires_in = Some(lifetime);
        self
    }
}

/// The OAuth 2.0 client-credentials grant (RFC 6749 §4.4) as a [`TokenSource`]: POSTs
/// `grant_type=client_credentials` (and `scope`, when given) to the token URL, authenticating
/// with HTTP Basic (the client id and secret form-encoded first, per §2.3.1), and reads
/// `access_token` and `expires_in` from the JSON answer. The secret never appears in `Debug`
/// output or errors.
#[derive(Clone)]
pub struct ClientCredentials {
    token_url: String,
    client_id: String,
    client_secret: Secret,
    scopes: Vec<String>,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// The token endpoint's answer is read up to this many bytes.
const MAX_TOKEN_BODY: usize = 64 * 1024;

impl ClientCredentials {
    /// The grant against `token_url` (absolute) with this client id and secret.
    pub fn new(token_url: impl Into<String>, client_id: impl Into<String>, client_secret: impl Into<Secret>) -> Self {
        ClientCredentials {
            token_url: token_url.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            scopes: Vec::new(),
        }
    }

    /// The scopes to ask for (sent space-separated in `scope`; none sends no `scope`).
    pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    async fn fetch(&self, http: &reqwest::Client) -> Result<Token> {
        let fail = |message: String, retryable: bool| Error::Token { message, retryable };
        let url = reqwest::Url::parse(&self.token_url)
            .map_err(|e| fail(format!("token URL `{}`: {e}", self.token_url), false))?;
        // §2.3.1: each part form-encoded, then joined and base64-encoded.
        let encode = |part: &str| url::form_urlencoded::byte_serialize(part.as_bytes()).collect::<String>();
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            encode(&self.client_id),
            encode(self.client_secret.expose())
        ));
        let mut authorization = HeaderValue::from_str(&format!("Basic {basic}"))
            .map_err(|_| fail("the client credentials cannot be sent in a header".to_string(), false))?;
        authorization.set_sensitive(true);
        let body = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", "client_credentials");
            if !self.scopes.is_empty() {
                form.append_pair("scope", &self.scopes.join(" "));
            }
            form.finish()
        };
        let response = http
            .post(url)
            .header(reqwest::header::AUTHORIZATION, authorization)
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| {
                let e = crate::transport::TransportError::new(e);
                let retryable = !e.is_permanent();
                fail(format!("token endpoint {}: {e}", self.token_url), retryable)
            })?;
        let status = response.status();
        let body = crate::body::read_start(Box::pin(response.bytes_stream()), MAX_TOKEN_BODY)
            .await
            .map_err(|e| fail(format!("token endpoint {}: {}", self.token_url, Error::from_transport(e)), true))?;
        parse_token_response(status, &body).map_err(|(message, retryable)| {
            fail(format!("token endpoint {} answered {status}: {message}", self.token_url), retryable)
        })
    }
}

impl TokenSource for ClientCredentials {
    fn token<'a>(&'a self, http: &'a reqwest::Client) -> TokenFuture<'a> {
        Box::pin(self.fetch(http))
    }
}

/// The token endpoint's answer: a token, or what went wrong (and whether it may pass). A success
/// body is never quoted (it holds the token); an error body only by its RFC 6749 §5.2 fields.
fn parse_token_response(status: reqwest::StatusCode, body: &[u8]) -> std::result::Result<Token, (String, bool)> {
    use serde_json::Value;
    let json = serde_json::from_slice::<Value>(body).ok();
    let text = |key: &str| json.as_ref().and_then(|j| j.get(key)).and_then(Value::as_str);
    if !status.is_success() {
        let retryable = status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
        let message = match (text("error"), text("error_description")) {
            (Some(code), Some(description)) => format!("{code}: {}", crate::error::snippet(description.as_bytes())),
            (Some(code), None) => code.to_string(),
            _ => "no OAuth error in the body".to_string(),
        };
        return Err((message, retryable));
    }
    let Some(token) = text("access_token").filter(|t| !t.is_empty()) else {
        return Err(("the answer has no access_token (is this the token URL?)".to_string(), false));
    };
    let mut token = Token::new(token);
    // Seconds, as a number or (some servers) a string; negative means expired, huge saturates.
    let expires_in = json.as_ref().and_then(|j| j.get("expires_in")).and_then(|v| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    });
    if let Some(seconds) = expires_in.filter(|s| !s.is_nan()) {
        let capped = seconds.clamp(0.0, u32::MAX as f64);
        token = token.expires_in(Duration::from_secs_f64(capped));
    }
    Ok(token)
}

/// A token ready to send, and the refresh it came from.
#[derive(Clone)]
pub(crate) struct Current {
    pub header: HeaderValue,
    pub generation: u64,
    refresh_at: Option<Instant>,
}

impl Current {
    fn fresh(&self) -> bool {
        self.refresh_at.is_none_or(|at| Instant::now() < at)
    }
}

#[derive(Default)]
struct State {
    current: Option<Current>,
    generation: u64,
}

/// One client's cache in front of its [`TokenSource`]: every clone of the client shares it.
pub(crate) struct Tokens {
    source: Arc<dyn TokenSource>,
    state: Mutex<State>,
    /// Held while asking the source, so concurrent calls wait for one refresh.
    refreshing: tokio::sync::Mutex<()>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Tokens")
    }
}

/// How long before its expiry a token is renewed: a quarter of its lifetime, at most a minute.
fn refresh_margin(lifetime: Duration) -> Duration {
    (lifetime / 4).min(Duration::from_secs(60))
}

impl Tokens {
    pub(crate) fn new(source: Arc<dyn TokenSource>) -> Self {
        Tokens { source, state: Mutex::default(), refreshing: tokio::sync::Mutex::new(()) }
    }

    fn cached(&self) -> Option<Current> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.current.clone().filter(Current::fresh)
    }

    /// The token to send: the cached one while fresh, else one new token from the source,
    /// shared by every call waiting meanwhile.
    pub(crate) async fn get(&self, http: &reqwest::Client) -> Result<Current> {
        if let Some(current) = self.cached() {
            return Ok(current);
        }
        let _refreshing = self.refreshing.lock().await;
        // Another call may have refreshed while this one waited.
        if let Some(current) = self.cached() {
            return Ok(current);
        }
        let asked = Instant::now();
        let token = self.source.token(http).await?;
        let mut header = HeaderValue::from_str(&format!("Bearer {}", token.value.expose()))
            .map_err(|_| Error::token("the token contains characters not allowed in a header", false))?;
        header.set_sensitive(true);
        let refresh_at = token.expires_in.map(|lifetime| {
            // Measured from the request, not the answer: the server's clock started before.
            let usable = lifetime.saturating_sub(refresh_margin(lifetime));
            asked.checked_add(usable).unwrap_or(asked + Duration::from_secs(u32::MAX as u64))
        });
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.generation += 1;
        let current = Current { header, generation: state.generation, refresh_at };
        state.current = Some(current.clone());
        Ok(current)
    }

    /// The API refused the token of `generation`: the next `get` asks the source again, unless
    /// a refresh already replaced it.
    pub(crate) fn reject(&self, generation: u64) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.current.as_ref().is_some_and(|c| c.generation == generation) {
            state.current = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn token_answers_are_parsed() {
        let check = |status: u16, body: &str, expected: std::result::Result<Option<u64>, (&str, bool)>| {
            let status = reqwest::StatusCode::from_u16(status).unwrap();
            match (parse_token_response(status, body.as_bytes()), expected) {
                (Ok(token), Ok(lifetime)) => {
                    assert_eq!(token.value.expose(), "t0k", "{body}");
                    assert_eq!(token.expires_in.map(|d| d.as_secs()), lifetime, "{body}");
                }
                (Err((message, retryable)), Err((fragment, want_retryable))) => {
                    assert!(message.contains(fragment), "{message}");
                    assert_eq!(retryable, want_retryable, "{message}");
                    assert!(!message.contains("t0k"), "{message}");
                }
                (got, want) => panic!("{body}: got {got:?}, want {want:?}"),
            }
        };
        check(200, r#"{"access_token":"t0k","token_type":"Bearer","expires_in":3600}"#, Ok(Some(3600)));
        check(200, r#"{"access_token":"t0k","expires_in":"120"}"#, Ok(Some(120)));
        check(200, r#"{"access_token":"t0k"}"#, Ok(None));
        check(200, r#"{"access_token":"t0k","expires_in":-5}"#, Ok(Some(0)));
        check(200, r#"{"access_token":"t0k","expires_in":1e300}"#, Ok(Some(u32::MAX as u64)));
        check(200, r#"{"access_token":"t0k","expires_in":18446744073709551616}"#, Ok(Some(u32::MAX as u64)));
        check(200, r#"{"token":"t0k"}"#, Err(("no access_token", false)));
        check(200, "<html>t0k</html>", Err(("no access_token", false)));
        check(
            401,
            r#"{"error":"invalid_client","error_description":"Client authentication failed"}"#,
            Err(("invalid_client: Client authentication failed", false)),
        );
        check(400, r#"{"error":"invalid_scope"}"#, Err(("invalid_scope", false)));
        check(503, "busy", Err(("no OAuth error", true)));
        check(429, "{}", Err(("no OAuth error", true)));
    }

    /// A source that counts its calls and hands out `t1`, `t2`, ... living `lifetime`.
    struct Counting {
        calls: AtomicUsize,
        lifetime: Option<Duration>,
    }

    impl TokenSource for Counting {
        fn token<'a>(&'a self, _http: &'a reqwest::Client) -> TokenFuture<'a> {
            Box::pin(async move {
                let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
                // Long enough for every concurrent caller to pile up behind this refresh.
                tokio::time::sleep(Duration::from_millis(50)).await;
                let token = Token::new(format!("t{n}"));
                Ok(match self.lifetime {
                    Some(lifetime) => token.expires_in(lifetime),
                    None => token,
                })
            })
        }
    }

    /// Steps: (advance the clock by, concurrent gets, reject the current token first,
    /// expected token, expected source calls so far).
    async fn check(lifetime: Option<Duration>, steps: &[(u64, usize, bool, &str, usize)]) {
        let source = Arc::new(Counting { calls: AtomicUsize::new(0), lifetime });
        let tokens = Tokens::new(source.clone());
        let http = reqwest::Client::new();
        for (i, &(advance, concurrent, reject, token, calls)) in steps.iter().enumerate() {
            tokio::time::advance(Duration::from_secs(advance)).await;
            if reject {
                let generation = tokens.get(&http).await.unwrap().generation;
                tokens.reject(generation);
            }
            let got = futures::future::join_all((0..concurrent).map(|_| tokens.get(&http))).await;
            for current in got {
                assert_eq!(current.unwrap().header.to_str().unwrap(), format!("Bearer {token}"), "step {i}");
            }
            assert_eq!(source.calls.load(Ordering::SeqCst), calls, "source calls after step {i}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn tokens_are_shared_and_renewed_before_expiry() {
        let hour = Some(Duration::from_secs(3600));
        // 50 concurrent calls, one fetch; fresh for 59 minutes; renewed in the last minute.
        check(hour, &[(0, 50, false, "t1", 1), (3539, 10, false, "t1", 1), (2, 10, false, "t2", 2)]).await;
        // A 40 s token is renewed 10 s early.
        check(
            Some(Duration::from_secs(40)),
            &[(0, 5, false, "t1", 1), (29, 5, false, "t1", 1), (2, 5, false, "t2", 2)],
        )
        .await;
        // No expiry: kept until rejected; a rejection means one new token for everyone.
        check(None, &[(0, 3, false, "t1", 1), (1_000_000, 3, false, "t1", 1), (0, 20, true, "t2", 2)]).await;
        // A token that is already expired is used by the call that asked for it, then replaced.
        check(Some(Duration::ZERO), &[(0, 1, false, "t1", 1), (0, 1, false, "t2", 2)]).await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_stale_rejection_does_not_drop_a_newer_token() {
        let source = Arc::new(Counting { calls: AtomicUsize::new(0), lifetime: None });
        let tokens = Tokens::new(source.clone());
        let http = reqwest::Client::new();
        let first = tokens.get(&http).await.unwrap().generation;
        tokens.reject(first);
        assert_eq!(tokens.get(&http).await.unwrap().header.to_str().unwrap(), "Bearer t2");
        // A call that was sent with t1 gets its 401 late: t2 stays.
        tokens.reject(first);
        assert_eq!(tokens.get(&http).await.unwrap().header.to_str().unwrap(), "Bearer t2");
        assert_eq!(source.calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn client_credentials_debug_hides_the_secret() {
        let grant = ClientCredentials::new("https://auth.example.com/token", "id-1", "s3cr3t-value").scopes(["read"]);
        let debug = format!("{grant:?}");
        assert!(!debug.contains("s3cr3t-value") && debug.contains("REDACTED") && debug.contains("id-1"), "{debug}");
    }
}
