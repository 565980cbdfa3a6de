//! The one error type of every generated client, and the decoder that recognises error bodies by
//! their shape (no vendor names anywhere).

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::Value;

use crate::ratelimit::{request_id, retry_after, RateLimit};
use crate::text::{shown, shown_message};
use crate::transport::{TransportError, TransportKind};

/// `Result` with the runtime's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Error bodies are read up to this many bytes; the rest is left unread.
pub const MAX_ERROR_BODY: usize = 64 * 1024;
/// How much of a raw body an error keeps for diagnostics.
pub const SNIPPET_LEN: usize = 1024;

/// Everything that can go wrong calling an API, by what a service would do about it.
///
/// Each variant's documentation says whether the request reached the server: "the server
/// answered" (it did, and may have acted on it, unless the answer is a refusal), "may have reached
/// the server" (a timeout or a connection lost mid-request: a non-idempotent call may have taken
/// effect), or "not sent". [`Error::kind`] is a stable label per variant for metrics and logs;
/// [`Error::is_retryable`] says whether sending the same request later may succeed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 401: the credentials are missing, malformed or revoked. The server answered and refused.
    #[error("unauthorized: {0}")]
    Unauthorized(Box<ApiError>),
    /// 403: authenticated, but not allowed (plan, scope, ownership). The server answered and refused.
    #[error("forbidden: {0}")]
    Forbidden(Box<ApiError>),
    /// 404 or 410: the resource does not exist (any more). The server answered.
    #[error("not found: {0}")]
    NotFound(Box<ApiError>),
    /// 409: the request conflicts with the resource's current state. The server answered.
    #[error("conflict: {0}")]
    Conflict(Box<ApiError>),
    /// 400 or 422, or a success status whose body reports field errors: fix the request. The
    /// server answered and refused it.
    #[error("invalid request: {0}")]
    Validation(Box<ApiError>),
    /// 429 after the retry budget was spent; [`ApiError::retry_after`] says when to come back.
    /// The server answered and did not act on the request.
    #[error("rate limited: {0}")]
    RateLimited(Box<ApiError>),
    /// 5xx after the retry budget was spent. The server answered; it may have acted in part.
    #[error("server error: {0}")]
    Server(Box<ApiError>),
    /// Any other non-success answer (including an error reported in a 2xx body). The server
    /// answered.
    #[error("API error: {0}")]
    Api(Box<ApiError>),
    /// No complete response within the configured timeout. The request may have reached the
    /// server and taken effect. The message names what timed out.
    #[error("{0}")]
    Timeout(TransportError),
    /// Below HTTP: DNS, connection, TLS, a reset, a body that could not be read. Unless the
    /// connection could not be opened, the request may have reached the server and taken effect.
    /// The message names the root cause once (`tls: invalid peer certificate: UnknownIssuer
    /// (https://...)`); [`TransportError::inner`] has reqwest's full chain.
    #[error("transport error: {0}")]
    Transport(TransportError),
    /// A response arrived but its body is not what the spec describes. The server answered (and
    /// acted, if the status is a success).
    #[error("cannot decode the {} response: {}; body starts: \"{}\"", status.map_or("success".to_string(), |s| s.to_string()), shown_message(.message), shown(.snippet))]
    Decode {
        /// The response's status, where known.
        status: Option<StatusCode>,
        /// What did not match.
        message: String,
        /// The start of the body.
        snippet: String,
    },
    /// No security requirement of the API has all its credentials, in code or in the environment.
    /// `scheme` and `env` name the first thing missing from the first requirement; the message
    /// names every requirement the API accepts and its variables. Raised by `build()`: nothing
    /// was sent.
    #[error("missing credential: {}", missing_credential(scheme, env, alternatives))]
    MissingCredential {
        /// The security scheme's name in the spec.
        scheme: String,
        /// The environment variable that was looked up.
        env: String,
        /// Every security requirement the client could have used, in the spec's order, in plain
        /// words (`` `apiKey`: ACME_KEY ``); empty or one entry when the API has one requirement.
        alternatives: Vec<String>,
    },
    /// An access token could not be obtained: the token endpoint refused the client's
    /// credentials or failed, or a [`TokenSource`](crate::TokenSource) reported an error. The
    /// API request was not sent. The message never contains a secret.
    #[error("access token: {message}")]
    Token {
        /// What went wrong, in plain words.
        message: String,
        /// Whether asking again later may succeed (a timeout, a 5xx from the token endpoint).
        retryable: bool,
    },
    /// The client builder was given something unusable (a bad base URL or header value, a
    /// credential of a kind the API does not use). Raised by `build()`: nothing was sent.
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// The request could not be built (a parameter out of range, a required field not set, a
    /// per-call header that is not allowed). Not sent.
    #[error("request not sent: {0}")]
    InvalidRequest(String),
    /// Pagination stopped because the server's paging metadata could not be trusted. The pages
    /// before were answered; the next request was not sent.
    #[error("pagination stopped: {}", shown_message(.0))]
    Pagination(String),
    /// A JSON response body exceeded the client's `max_body_bytes`; it was not read further. The
    /// server answered (and acted, if the status is a success).
    #[error(
        "the response body exceeds {limit} bytes; not read further (raise ClientBuilder::max_body_bytes if expected)"
    )]
    TooLarge {
        /// The response's status.
        status: StatusCode,
        /// The limit in bytes.
        limit: usize,
    },
    /// An asynchronous job failed, timed out, or gave no result link. The job was accepted by the
    /// server.
    #[error("job: {}", shown_message(.0))]
    Job(String),
    /// A link from a response points somewhere the client will not send credentials. Not sent.
    #[error("not following link: {}", shown_message(.0))]
    ForeignLink(String),
    /// A webhook delivery's signature is missing, malformed or does not match its body (or its
    /// signed timestamp is missing or stale): the delivery is not from the API, or was changed.
    /// Do not act on it; answer the sender with a 4xx.
    #[error("webhook signature: {0}")]
    Signature(SignatureError),
    /// A webhook delivery verified, but its body is not an event the client can read (not JSON, no
    /// event name, or a known event whose data does not fit its type).
    #[error("webhook payload: {}; body starts: \"{}\"", shown_message(.message), shown(.snippet))]
    WebhookPayload {
        /// What did not match.
        message: String,
        /// The start of the body.
        snippet: String,
    },
}

/// Why a delivery was not verified. Every variant means: do not trust or act on the body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The signature header is missing or empty.
    #[error("no signature: the `{0}` header is missing or empty")]
    Missing(&'static str),
    /// The header is not a tag in the scheme's encoding (wrong prefix, bad characters, wrong length,
    /// too long).
    #[error("the `{0}` header is not a signature of this scheme")]
    Malformed(&'static str),
    /// A well-formed tag that does not match the body under this secret.
    #[error("the signature does not match the body (wrong secret, or the body was changed)")]
    Mismatch,
    /// The scheme signs a timestamp, and it is missing or not Unix seconds.
    #[error("no valid timestamp in the `{0}` header")]
    Timestamp(&'static str),
    /// The signed timestamp is further from now than the scheme's tolerance.
    #[error("the signed timestamp is {seconds} s away from now, beyond the {tolerance} s tolerance")]
    Stale {
        /// How far the timestamp is from now, in seconds.
        seconds: u64,
        /// The tolerance, in seconds.
        tolerance: u64,
    },
    /// The secret cannot key the MAC (empty).
    #[error("the signing secret is empty")]
    EmptySecret,
}

impl From<SignatureError> for Error {
    fn from(error: SignatureError) -> Self {
        Error::Signature(error)
    }
}

/// What kind of failure an [`Error`] is: one kind per variant, without its data.
///
/// Non-exhaustive: a later minor release may add kinds (with a new variant of [`Error`]), so a
/// `match` outside this crate ends with a `_` arm; [`ErrorKind::ALL`] lists every kind this
/// version has, for tests that a table covers them all. [`as_str`](Self::as_str) is a stable
/// snake_case label that never changes for an existing kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ErrorKind {
    /// [`Error::Unauthorized`]: `unauthorized`.
    Unauthorized,
    /// [`Error::Forbidden`]: `forbidden`.
    Forbidden,
    /// [`Error::NotFound`]: `not_found`.
    NotFound,
    /// [`Error::Conflict`]: `conflict`.
    Conflict,
    /// [`Error::Validation`]: `validation`.
    Validation,
    /// [`Error::RateLimited`]: `rate_limited`.
    RateLimited,
    /// [`Error::Server`]: `server`.
    Server,
    /// [`Error::Api`]: `api`.
    Api,
    /// [`Error::Timeout`]: `timeout`.
    Timeout,
    /// [`Error::Transport`]: `transport`.
    Transport,
    /// [`Error::Decode`]: `decode`.
    Decode,
    /// [`Error::MissingCredential`]: `missing_credential`.
    MissingCredential,
    /// [`Error::Token`]: `token`.
    Token,
    /// [`Error::Config`]: `config`.
    Config,
    /// [`Error::InvalidRequest`]: `invalid_request`.
    InvalidRequest,
    /// [`Error::Pagination`]: `pagination`.
    Pagination,
    /// [`Error::TooLarge`]: `too_large`.
    TooLarge,
    /// [`Error::Job`]: `job`.
    Job,
    /// [`Error::ForeignLink`]: `foreign_link`.
    ForeignLink,
    /// [`Error::Signature`]: `signature`.
    Signature,
    /// [`Error::WebhookPayload`]: `webhook_payload`.
    WebhookPayload,
}

impl ErrorKind {
    /// Every kind of this version, in the order of [`Error`]'s variants.
    pub const ALL: &'static [ErrorKind] = &[
        ErrorKind::Unauthorized,
        ErrorKind::Forbidden,
        ErrorKind::NotFound,
        ErrorKind::Conflict,
        ErrorKind::Validation,
        ErrorKind::RateLimited,
        ErrorKind::Server,
        ErrorKind::Api,
        ErrorKind::Timeout,
        ErrorKind::Transport,
        ErrorKind::Decode,
        ErrorKind::MissingCredential,
        ErrorKind::Token,
        ErrorKind::Config,
        ErrorKind::InvalidRequest,
        ErrorKind::Pagination,
        ErrorKind::TooLarge,
        ErrorKind::Job,
        ErrorKind::ForeignLink,
        ErrorKind::Signature,
        ErrorKind::WebhookPayload,
    ];

    /// The stable snake_case label (`not_found`, `rate_limited`, `timeout`, ...), for metrics and
    /// logs; it never changes for an existing kind.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Validation => "validation",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Server => "server",
            ErrorKind::Api => "api",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Transport => "transport",
            ErrorKind::Decode => "decode",
            ErrorKind::MissingCredential => "missing_credential",
            ErrorKind::Token => "token",
            ErrorKind::Config => "config",
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::Pagination => "pagination",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Job => "job",
            ErrorKind::ForeignLink => "foreign_link",
            ErrorKind::Signature => "signature",
            ErrorKind::WebhookPayload => "webhook_payload",
        }
    }
}

/// The label, as [`ErrorKind::as_str`].
impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Compares the label, so `error.kind() == "timeout"` reads as it did when `kind()` was a string.
impl PartialEq<str> for ErrorKind {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

/// Compares the label, as `PartialEq<str>`.
impl PartialEq<&str> for ErrorKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// The message of [`Error::MissingCredential`]: what to set, for one requirement or several.
// The variable first: the scheme's name is the spec's internal label, not what a user set.
fn missing_credential(scheme: &str, env: &str, alternatives: &[String]) -> String {
    if alternatives.len() < 2 {
        return format!(
            "set the environment variable {env} or pass it to the client builder (security scheme `{scheme}`)"
        );
    }
    let each = alternatives.iter().enumerate().map(|(i, a)| format!("({}) {a}", i + 1)).collect::<Vec<_>>();
    format!(
        "the API accepts any one of {} security requirements and none is configured; set the \
         environment variables of one, or pass its credentials to the client builder: {}",
        alternatives.len(),
        each.join("; ")
    )
}

impl Error {
    /// An [`Error::Token`], for a [`TokenSource`](crate::TokenSource) of the service's own.
    pub fn token(message: impl Into<String>, retryable: bool) -> Self {
        Error::Token { message: message.into(), retryable }
    }

    /// What kind of failure this is, one [`ErrorKind`] per variant, for routing (exit codes,
    /// alerts) and, through [`ErrorKind::as_str`], stable labels for metrics and logs.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Unauthorized(_) => ErrorKind::Unauthorized,
            Error::Forbidden(_) => ErrorKind::Forbidden,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::Conflict(_) => ErrorKind::Conflict,
            Error::Validation(_) => ErrorKind::Validation,
            Error::RateLimited(_) => ErrorKind::RateLimited,
            Error::Server(_) => ErrorKind::Server,
            Error::Api(_) => ErrorKind::Api,
            Error::Timeout(_) => ErrorKind::Timeout,
            Error::Transport(_) => ErrorKind::Transport,
            Error::Decode { .. } => ErrorKind::Decode,
            Error::MissingCredential { .. } => ErrorKind::MissingCredential,
            Error::Token { .. } => ErrorKind::Token,
            Error::Config(_) => ErrorKind::Config,
            Error::InvalidRequest(_) => ErrorKind::InvalidRequest,
            Error::Pagination(_) => ErrorKind::Pagination,
            Error::TooLarge { .. } => ErrorKind::TooLarge,
            Error::Job(_) => ErrorKind::Job,
            Error::ForeignLink(_) => ErrorKind::ForeignLink,
            Error::Signature(_) => ErrorKind::Signature,
            Error::WebhookPayload { .. } => ErrorKind::WebhookPayload,
        }
    }

    /// Whether the same request, sent again later, may succeed: rate limits, server errors,
    /// timeouts and transport failures (the client's own retries were already spent), except
    /// those no attempt can fix ([`TransportError::is_permanent`]: an untrusted certificate, say).
    /// Repeating a non-idempotent call after a timeout or transport error may apply it twice.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited(_) | Error::Server(_) | Error::Timeout(_) => true,
            Error::Transport(e) => !e.is_permanent(),
            Error::Api(e) => e.status == StatusCode::REQUEST_TIMEOUT,
            Error::Token { retryable, .. } => *retryable,
            _ => false,
        }
    }

    /// The HTTP status, where a response arrived.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Decode { status, .. } => *status,
            Error::TooLarge { status, .. } => Some(*status),
            Error::Timeout(e) | Error::Transport(e) => e.status(),
            _ => self.api_error().map(|e| e.status),
        }
    }

    /// The decoded error response, for the variants that carry one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Unauthorized(e)
            | Error::Forbidden(e)
            | Error::NotFound(e)
            | Error::Conflict(e)
            | Error::Validation(e)
            | Error::RateLimited(e)
            | Error::Server(e)
            | Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The vendor's machine-readable error code, if the body had one.
    pub fn code(&self) -> Option<&str> {
        self.api_error().and_then(|e| e.code.as_deref())
    }

    /// When the server asked to be called again, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.api_error().and_then(|e| e.retry_after)
    }

    /// Builds the error for a non-success response (or a success whose body reports an error).
    pub fn from_response(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Self {
        let api = ApiError::new(status, headers, body);
        let boxed = Box::new(api);
        match status.as_u16() {
            401 => Error::Unauthorized(boxed),
            403 => Error::Forbidden(boxed),
            404 | 410 => Error::NotFound(boxed),
            409 => Error::Conflict(boxed),
            400 | 422 => Error::Validation(boxed),
            429 => Error::RateLimited(boxed),
            500..=599 => Error::Server(boxed),
            // A success status whose body reports per-field problems (a body-error rule matched).
            200..=299 if !boxed.field_errors.is_empty() => Error::Validation(boxed),
            _ => Error::Api(boxed),
        }
    }

    pub(crate) fn from_transport(error: reqwest::Error) -> Self {
        let error = TransportError::new(error);
        if error.kind() == TransportKind::Timeout {
            Error::Timeout(error)
        } else {
            Error::Transport(error)
        }
    }
}

/// For `?` on what reqwest hands a caller directly, such as the chunks of a streamed CSV export.
impl From<reqwest::Error> for Error {
    fn from(error: reqwest::Error) -> Self {
        Error::from_transport(error)
    }
}

/// A decoded error response: status, the vendor's code and message, and what else it said.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// The response's status.
    pub status: StatusCode,
    /// The most specific machine-readable code in the body (`not_found`, `ValidationException`).
    pub code: Option<String>,
    /// The human-readable message, if the body had one.
    pub message: Option<String>,
    /// Per-field problems (`fieldName`, `property`, `invalid-params`...), in body order.
    pub field_errors: Vec<FieldError>,
    /// Extra key/value details the body carried (e.g. a `meta` map, a documentation URL).
    pub details: BTreeMap<String, String>,
    /// From `X-Request-Id` and similar headers.
    pub request_id: Option<String>,
    /// From `Retry-After` (seconds or HTTP date) or `X-RateLimit-Retry-After`.
    pub retry_after: Option<Duration>,
    /// The rate-limit headers of the response.
    pub rate_limit: RateLimit,
    /// The start of the raw body (at most [`SNIPPET_LEN`] bytes, lossy UTF-8).
    pub body: String,
    /// All response headers, for vendor-specific ones this type does not lift out.
    pub headers: HeaderMap,
}

impl ApiError {
    /// Decodes a response's status, headers and (the start of its) body.
    pub fn new(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Self {
        let mut error = ApiError {
            status,
            code: None,
            message: None,
            field_errors: Vec::new(),
            details: BTreeMap::new(),
            request_id: request_id(headers),
            retry_after: retry_after(headers),
            rate_limit: RateLimit::from_headers(headers),
            body: snippet(body),
            headers: redacted(headers),
        };
        if let Ok(value) = serde_json::from_slice::<Value>(body) {
            recognise(&value, &mut error);
        }
        error
    }
}

/// Server text is shown escaped and shortened ([`MAX_SHOWN_CHARS`](crate::MAX_SHOWN_CHARS) per
/// value, the first [`MAX_SHOWN_FIELDS`] field errors); the fields keep it raw.
impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " [{}]", shown(code))?;
        }
        match &self.message {
            Some(message) => write!(f, ": {}", shown(message))?,
            None if !self.body.is_empty() => write!(f, ": \"{}\"", shown(&self.body))?,
            None => {}
        }
        for field in self.field_errors.iter().take(MAX_SHOWN_FIELDS) {
            write!(f, "; {field}")?;
        }
        if let Some(more) = self.field_errors.len().checked_sub(MAX_SHOWN_FIELDS).filter(|n| *n > 0) {
            write!(f, "; and {more} more field errors")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {})", shown(id))?;
        }
        Ok(())
    }
}

/// How many field errors an [`ApiError`]'s `Display` lists (all are in `field_errors`).
pub const MAX_SHOWN_FIELDS: usize = 10;

/// One field's problem in a validation error.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct FieldError {
    /// The field as the API names it (`Username`, `email`, `/body/url`).
    pub field: String,
    /// The field error's code, if any.
    pub code: Option<String>,
    /// The field error's message, if any.
    pub message: Option<String>,
    /// Extra key/value details of this field error.
    pub details: BTreeMap<String, String>,
}

/// Escaped and shortened, like all server text in messages; the fields keep it raw.
impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field.as_str() {
            "" => f.write_str("(request)")?,
            field => write!(f, "{}", shown(field))?,
        }
        if let Some(code) = &self.code {
            write!(f, " [{}]", shown(code))?;
        }
        if let Some(message) = &self.message {
            write!(f, ": {}", shown(message))?;
        }
        Ok(())
    }
}

/// A copy of response headers whose credential-like values print as `Sensitive` in `Debug`
/// (servers do echo `X-Api-Key` and the like, and errors end up in logs). Values stay readable.
fn redacted(headers: &HeaderMap) -> HeaderMap {
    const WORDS: [&str; 7] = ["auth", "cookie", "key", "secret", "token", "password", "session"];
    let mut copy = headers.clone();
    for (name, value) in copy.iter_mut() {
        if WORDS.iter().any(|word| name.as_str().contains(word)) {
            value.set_sensitive(true);
        }
    }
    copy
}

pub(crate) fn snippet(body: &[u8]) -> String {
    let cut = &body[..body.len().min(SNIPPET_LEN)];
    let mut text = String::from_utf8_lossy(cut).into_owned();
    if body.len() > SNIPPET_LEN {
        text.push('…');
    }
    text
}

// ---------------------------------------------------------------------------------------------
// Shapes
// ---------------------------------------------------------------------------------------------

/// Fills code, message, field errors and details from any error shape this runtime knows:
///
/// - an `error` object: `{error: {code|type, message, errors: [{property, code, message}]}}`;
/// - a response-status object: `{responseStatus: {errorCode, message, errors: [{fieldName, ...}], meta}}`;
/// - RFC 7807 problem details: `{type, title, status, detail, errors | invalid-params}`;
/// - flat `{code, message}`, `{message}`, or OAuth-style `{error: "...", error_description}`.
pub(crate) fn recognise(value: &Value, out: &mut ApiError) {
    let Some(object) = value.as_object() else { return };
    if let Some(inner) = find_key(object, &["error"]).and_then(Value::as_object) {
        fill_from_object(inner, out);
    } else if let Some(status) =
        find_key(object, &["responseStatus", "ResponseStatus", "response_status"]).and_then(Value::as_object)
    {
        fill_from_object(status, out);
    } else {
        fill_from_object(object, out);
        // RFC 7807: `type` is a URI naming the problem (`about:blank`: none), `title` its summary,
        // `detail` this occurrence.
        if out.code.as_deref() == Some("about:blank") {
            out.code = None;
        }
        if out.message.is_none() {
            out.message = text(object.get("detail")).or_else(|| text(object.get("title")));
        }
        if let Some(description) = text(object.get("error_description")) {
            out.code = text(object.get("error"));
            out.message = Some(description);
        }
    }
}

fn fill_from_object(object: &serde_json::Map<String, Value>, out: &mut ApiError) {
    out.code = text(find_key(object, &["code", "errorCode", "error_code", "type"]));
    out.message = text(find_key(object, &["message", "detail", "title", "description"]));
    for key in ["doc_url", "docUrl", "documentation_url", "instance"] {
        if let Some(value) = text(object.get(key)) {
            out.details.insert(key.to_string(), value);
        }
    }
    if let Some(meta) = find_key(object, &["meta", "Meta"]) {
        flatten_into(meta, &mut out.details);
    }
    if let Some(items) = find_key(object, &["errors", "Errors", "invalid-params", "invalid_params"]) {
        out.field_errors = field_errors(items);
    }
    // A code that merely repeats the HTTP status says nothing: prefer the first entry's code.
    let numeric = out.code.as_deref().is_some_and(|c| c.bytes().all(|b| b.is_ascii_digit()));
    if numeric || out.code.is_none() {
        if let Some(code) = out.field_errors.iter().find_map(|f| f.code.clone()) {
            out.code = Some(code);
        }
    }
    if out.message.is_none() {
        out.message = out.field_errors.iter().find_map(|f| f.message.clone());
    }
}

fn field_errors(items: &Value) -> Vec<FieldError> {
    let entry = |item: &Value, key: Option<&str>| -> Option<FieldError> {
        match item {
            Value::Object(o) => {
                let mut field = FieldError {
                    field: text(find_key(
                        o,
                        &["fieldName", "field", "property", "name", "pointer", "path", "FieldName"],
                    ))
                    .or_else(|| key.map(str::to_string))
                    .unwrap_or_default(),
                    code: text(find_key(o, &["errorCode", "code", "ErrorCode", "type"])),
                    message: text(find_key(o, &["message", "reason", "detail", "Message"])),
                    details: BTreeMap::new(),
                };
                if let Some(meta) = find_key(o, &["meta", "Meta"]) {
                    flatten_into(meta, &mut field.details);
                }
                Some(field)
            }
            // `{"email": ["is invalid"]}` or `["a message"]`.
            Value::String(message) => Some(FieldError {
                field: key.unwrap_or_default().to_string(),
                message: Some(message.clone()),
                ..FieldError::default()
            }),
            _ => None,
        }
    };
    match items {
        Value::Array(list) => list.iter().filter_map(|i| entry(i, None)).collect(),
        Value::Object(map) => map
            .iter()
            .flat_map(|(key, v)| match v {
                Value::Array(list) => list.iter().filter_map(|i| entry(i, Some(key))).collect::<Vec<_>>(),
                other => entry(other, Some(key)).into_iter().collect(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn find_key<'a>(object: &'a serde_json::Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().find_map(|k| object.get(*k)).filter(|v| !v.is_null())
}

/// A scalar as text (codes are sometimes numbers); `None` for null, empty, or structures.
fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn flatten_into(value: &Value, out: &mut BTreeMap<String, String>) {
    if let Some(map) = value.as_object() {
        for (k, v) in map {
            out.insert(k.clone(), text(Some(v)).unwrap_or_else(|| v.to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Expect {
        variant: &'static str,
        code: Option<&'static str>,
        message: Option<&'static str>,
        fields: &'static [(&'static str, Option<&'static str>)],
    }

    fn variant(error: &Error) -> &'static str {
        match error {
            Error::Unauthorized(_) => "Unauthorized",
            Error::Forbidden(_) => "Forbidden",
            Error::NotFound(_) => "NotFound",
            Error::Conflict(_) => "Conflict",
            Error::Validation(_) => "Validation",
            Error::RateLimited(_) => "RateLimited",
            Error::Server(_) => "Server",
            Error::Api(_) => "Api",
            _ => "other",
        }
    }

    fn check(name: &str, status: u16, body: &[u8], expect: Expect) {
        let error = Error::from_response(StatusCode::from_u16(status).unwrap(), &HeaderMap::new(), body);
        assert_eq!(variant(&error), expect.variant, "{name}");
        let api = error.api_error().unwrap();
        assert_eq!(api.code.as_deref(), expect.code, "{name}: code");
        assert_eq!(api.message.as_deref(), expect.message, "{name}: message");
        let fields: Vec<(&str, Option<&str>)> =
            api.field_errors.iter().map(|f| (f.field.as_str(), f.code.as_deref())).collect();
        assert_eq!(fields, expect.fields, "{name}: fields");
    }

    fn json(value: serde_json::Value) -> Vec<u8> {
        serde_json::to_vec(&value).unwrap()
    }

    #[test]
    fn error_bodies_are_recognised_by_shape() {
        check(
            "nested error with code and doc url",
            404,
            &json(
                json!({"error": {"code": "not_found", "message": "The requested resource was not found.", "doc_url": "https://x/errors#not-found"}}),
            ),
            Expect {
                variant: "NotFound",
                code: Some("not_found"),
                message: Some("The requested resource was not found."),
                fields: &[],
            },
        );
        check(
            "nested error with message and type",
            429,
            &json(json!({"error": {"message": "Too Many Requests", "type": "429"}})),
            Expect { variant: "RateLimited", code: Some("429"), message: Some("Too Many Requests"), fields: &[] },
        );
        check(
            "nested error with a word type",
            404,
            &json(json!({"error": {"message": "Publisher not found", "type": "entity_not_found"}})),
            Expect {
                variant: "NotFound",
                code: Some("entity_not_found"),
                message: Some("Publisher not found"),
                fields: &[],
            },
        );
        check(
            "envelope whose code repeats the status, with per-property errors",
            400,
            &json(json!({"error": {"errors": [
                {"property": "campaign_id", "type": "validation_error", "code": "required_property", "message": "campaign_id is required"},
                {"property": "status", "type": "validation_error", "code": "invalid_enum_value", "message": "bad status"}
            ], "code": "400", "message": "Bad Request"}})),
            Expect {
                variant: "Validation",
                code: Some("required_property"),
                message: Some("Bad Request"),
                fields: &[("campaign_id", Some("required_property")), ("status", Some("invalid_enum_value"))],
            },
        );
        check(
            "envelope with uuid codes and no property",
            401,
            &json(
                json!({"error": {"errors": [{"type": "unauthorised", "code": "39b4b7c2-e5b9-41b1-83d4-db3b23b5ebfa", "message": "Unauthorised"}], "code": "401", "message": "Unauthorized"}}),
            ),
            Expect {
                variant: "Unauthorized",
                code: Some("39b4b7c2-e5b9-41b1-83d4-db3b23b5ebfa"),
                message: Some("Unauthorized"),
                fields: &[("", Some("39b4b7c2-e5b9-41b1-83d4-db3b23b5ebfa"))],
            },
        );
        check(
            "response status object with field errors and meta",
            400,
            &json(
                json!({"success": false, "responseStatus": {"errorCode": "ValidationException", "message": "Validation failed", "stackTrace": null,
                "errors": [{"errorCode": "NotEmpty", "fieldName": "Username", "message": "'Username' must not be empty.", "meta": {"PropertyName": "Username"}}],
                "meta": {"traceId": "abc"}}}),
            ),
            Expect {
                variant: "Validation",
                code: Some("ValidationException"),
                message: Some("Validation failed"),
                fields: &[("Username", Some("NotEmpty"))],
            },
        );
        check(
            "response status object on a success status",
            200,
            &json(
                json!({"success": false, "responseStatus": {"errorCode": "ArgumentException", "message": "unknown program"}}),
            ),
            Expect { variant: "Api", code: Some("ArgumentException"), message: Some("unknown program"), fields: &[] },
        );
        check(
            "problem details with invalid-params",
            422,
            &json(
                json!({"type": "https://example.com/probs/invalid", "title": "Invalid input", "status": 422, "detail": "url is not a URL",
                "invalid-params": [{"name": "url", "reason": "must be a URL"}]}),
            ),
            Expect {
                variant: "Validation",
                code: Some("https://example.com/probs/invalid"),
                message: Some("url is not a URL"),
                fields: &[("url", None)],
            },
        );
        check(
            "problem details about:blank",
            503,
            &json(json!({"type": "about:blank", "title": "Service Unavailable", "status": 503})),
            Expect { variant: "Server", code: None, message: Some("Service Unavailable"), fields: &[] },
        );
        check(
            "flat code and message",
            409,
            &json(json!({"code": "invite_pending", "message": "An invite is pending"})),
            Expect {
                variant: "Conflict",
                code: Some("invite_pending"),
                message: Some("An invite is pending"),
                fields: &[],
            },
        );
        check(
            "oauth style",
            401,
            &json(json!({"error": "invalid_token", "error_description": "The token expired"})),
            Expect {
                variant: "Unauthorized",
                code: Some("invalid_token"),
                message: Some("The token expired"),
                fields: &[],
            },
        );
        check(
            "field errors as a map of lists",
            400,
            &json(json!({"message": "Invalid", "errors": {"email": ["is invalid", "is taken"]}})),
            Expect {
                variant: "Validation",
                code: None,
                message: Some("Invalid"),
                fields: &[("email", None), ("email", None)],
            },
        );
        check(
            "html from a proxy",
            502,
            b"<html><body>Bad Gateway</body></html>",
            Expect { variant: "Server", code: None, message: None, fields: &[] },
        );
        check("empty body", 403, b"", Expect { variant: "Forbidden", code: None, message: None, fields: &[] });
        check("teapot", 418, b"{}", Expect { variant: "Api", code: None, message: None, fields: &[] });
    }

    /// Every kind once in `ALL`, each label distinct, snake_case, and what `kind()` of an error
    /// of that variant reports. The `match` is exhaustive: a new kind fails to compile here until
    /// it is given a case (and added to `ALL`).
    #[test]
    fn every_kind_is_listed_once_with_a_distinct_label() {
        let api = || Box::new(ApiError::new(StatusCode::IM_A_TEAPOT, &HeaderMap::new(), b""));
        // An error of the kind's variant; transport failures come only from reqwest (tested with
        // real connections in tests/).
        let example = |kind: ErrorKind| -> Option<Error> {
            Some(match kind {
                ErrorKind::Unauthorized => Error::Unauthorized(api()),
                ErrorKind::Forbidden => Error::Forbidden(api()),
                ErrorKind::NotFound => Error::NotFound(api()),
                ErrorKind::Conflict => Error::Conflict(api()),
                ErrorKind::Validation => Error::Validation(api()),
                ErrorKind::RateLimited => Error::RateLimited(api()),
                ErrorKind::Server => Error::Server(api()),
                ErrorKind::Api => Error::Api(api()),
                ErrorKind::Timeout | ErrorKind::Transport => return None,
                ErrorKind::Decode => Error::Decode { status: None, message: String::new(), snippet: String::new() },
                ErrorKind::MissingCredential => {
                    Error::MissingCredential { scheme: String::new(), env: String::new(), alternatives: Vec::new() }
                }
                ErrorKind::Token => Error::token("t", false),
                ErrorKind::Config => Error::Config(String::new()),
                ErrorKind::InvalidRequest => Error::InvalidRequest(String::new()),
                ErrorKind::Pagination => Error::Pagination(String::new()),
                ErrorKind::TooLarge => Error::TooLarge { status: StatusCode::OK, limit: 1 },
                ErrorKind::Job => Error::Job(String::new()),
                ErrorKind::ForeignLink => Error::ForeignLink(String::new()),
                ErrorKind::Signature => Error::Signature(SignatureError::Mismatch),
                ErrorKind::WebhookPayload => Error::WebhookPayload { message: String::new(), snippet: String::new() },
            })
        };
        let mut labels = std::collections::BTreeSet::new();
        for (i, kind) in ErrorKind::ALL.iter().enumerate() {
            assert!(!ErrorKind::ALL[..i].contains(kind), "{kind:?} listed twice");
            let label = kind.as_str();
            assert!(labels.insert(label), "{label} twice");
            assert!(label.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{label}");
            assert_eq!(kind.to_string(), label);
            assert!(*kind == label && *kind != "other", "{label}");
            if let Some(error) = example(*kind) {
                assert_eq!(error.kind(), *kind);
            }
        }
        assert_eq!(labels.len(), 21, "a new kind: add it to ALL and to this count");
    }

    #[test]
    fn display_says_status_code_message_and_fields() {
        let body = json(json!({"responseStatus": {"errorCode": "ValidationException", "message": "Validation failed",
            "errors": [{"errorCode": "NotEmpty", "fieldName": "Username", "message": "must not be empty"}]}}));
        let error = Error::from_response(StatusCode::BAD_REQUEST, &HeaderMap::new(), &body);
        assert_eq!(
            error.to_string(),
            "invalid request: HTTP 400 Bad Request [ValidationException]: Validation failed; Username [NotEmpty]: must not be empty"
        );
    }

    #[test]
    fn snippets_are_bounded() {
        let body = vec![b'x'; SNIPPET_LEN * 3];
        let error = Error::from_response(StatusCode::INTERNAL_SERVER_ERROR, &HeaderMap::new(), &body);
        let snippet = &error.api_error().unwrap().body;
        assert_eq!(snippet.chars().filter(|c| *c == 'x').count(), SNIPPET_LEN);
        assert!(snippet.ends_with('…'));
    }
}

/// Server text through every rendering of an error (the escaping itself is `text.rs`).
#[cfg(test)]
mod server_text {
    use reqwest::header::{HeaderMap, HeaderValue};
    use reqwest::StatusCode;

    use crate::error::{ApiError, Error, FieldError};

    /// What no rendering of server text may contain.
    fn is_clean(text: &str) -> bool {
        !text.chars().any(crate::text::needs_escape)
    }

    const HOSTILE: &str = "ok\r\n2026-12-04 INFO forged line\u{1b}[31mred\u{7}\u{9b}\u{202e}desrever\u{2066}";

    /// Every `Display` that shows server text, fed hostile text: nothing a terminal acts on comes
    /// out, every value is cut, and the raw value is still in the error's fields.
    #[test]
    fn every_rendering_of_server_text_is_escaped_and_cut() {
        let long = "x".repeat(10 * crate::text::MAX_SHOWN_CHARS);
        let json = |value: serde_json::Value| serde_json::to_vec(&value).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-request-id", HeaderValue::from_str(&format!("req\t{}", "r".repeat(2000))).unwrap());
        let from =
            |status: u16, body: &[u8]| Error::from_response(StatusCode::from_u16(status).unwrap(), &headers, body);
        let field = |field: &str, code: &str, message: &str| {
            let mut f = FieldError::default();
            (f.field, f.code, f.message) = (field.to_string(), Some(code.to_string()), Some(message.to_string()));
            f
        };
        // (name, rendering, a raw value that must survive in the error's fields)
        let cases: Vec<(&str, String, Option<String>)> = vec![
            {
                let e = from(400, &json(serde_json::json!({"error": {"code": HOSTILE, "message": HOSTILE}})));
                ("code and message", e.to_string(), e.api_error().and_then(|a| a.message.clone()))
            },
            {
                let e = from(
                    422,
                    &json(
                        serde_json::json!({"message": "m", "errors": [{"field": HOSTILE, "code": HOSTILE, "message": HOSTILE}]}),
                    ),
                );
                ("field errors", e.to_string(), e.api_error().map(|a| a.field_errors[0].field.clone()))
            },
            ("one field error", field(HOSTILE, HOSTILE, HOSTILE).to_string(), None),
            {
                let e = from(500, format!("<html>{HOSTILE}</html>").as_bytes());
                ("body snippet", e.to_string(), e.api_error().map(|a| a.body.clone()))
            },
            {
                let e = from(404, b"{}");
                ("request id header", e.to_string(), e.api_error().and_then(|a| a.request_id.clone()))
            },
            {
                let e = from(400, &json(serde_json::json!({"message": long})));
                ("long message", e.to_string(), e.api_error().and_then(|a| a.message.clone()))
            },
            {
                let e = Error::Decode {
                    status: None,
                    message: format!("invalid type: string {HOSTILE:?}{HOSTILE}{long}"),
                    snippet: format!("{HOSTILE}{long}"),
                };
                ("decode", e.to_string(), None)
            },
            ("job", Error::Job(format!("the job ended with status `{HOSTILE}`")).to_string(), None),
            (
                "pagination",
                Error::Pagination(format!("the server repeated cursor `{HOSTILE}{long}`")).to_string(),
                None,
            ),
            ("foreign link", Error::ForeignLink(format!("`{HOSTILE}` is on elsewhere")).to_string(), None),
            (
                "api error",
                ApiError::new(
                    StatusCode::OK,
                    &headers,
                    &json(serde_json::json!({"error": HOSTILE, "error_description": HOSTILE})),
                )
                .to_string(),
                None,
            ),
        ];
        for (name, shown, raw) in cases {
            assert!(is_clean(&shown), "{name}: {shown:?}");
            assert!(
                shown.chars().count() <= 6 * crate::text::MAX_SHOWN_CHARS,
                "{name}: {} chars",
                shown.chars().count()
            );
            if let Some(raw) = raw {
                assert!(
                    !is_clean(&raw) || raw.len() > crate::text::MAX_SHOWN_CHARS,
                    "{name}: the raw value is kept: {raw:?}"
                );
            }
        }
        assert_eq!(crate::text::shown("a\nb\u{1b}c\u{202e}").to_string(), "a\\nb\\u{1b}c\\u{202e}");
        assert_eq!(crate::text::shown(&long).to_string().chars().count(), crate::text::MAX_SHOWN_CHARS + 1);
    }
}
