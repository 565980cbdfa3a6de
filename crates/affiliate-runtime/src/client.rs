//! Building a client (credentials, base URL, timeouts, retries) and the per-request hooks every
//! generated client runs: auth headers before sending, the retry loop around sending.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderName, HeaderValue};
use tracing::Instrument;

use crate::api::{ApiDescriptor, SecurityScheme};
use crate::auth::{resolve, Auth, Credential, UNMATCHED};
use crate::budget::{Budget, Rate, DEFAULT_REDIS_TIMEOUT};
use crate::error::{Error, Result};
use crate::observe::{Event, Hook, Observers};
use crate::retry::{classify, Attempt, Decision, Failure, Outcome, RetryPolicy};
use crate::retry_budget::{Bucket, RetryBudget};
use crate::secret::Secret;
use crate::send::{record_body_error, record_response};
use crate::token::TokenSource;

/// Implemented by each generated `Client`: how to assemble it from what the builder made.
pub trait FromParts {
    /// The client around `parts`, which only [`ClientBuilder::build`] can make: a client cannot
    /// be assembled around an HTTP client without the builder's redirect policy and timeouts.
    fn from_parts(parts: Parts) -> Self;
}

/// What [`ClientBuilder::build`] made, for a generated client to take apart.
pub struct Parts {
    base_url: String,
    http: reqwest::Client,
    runtime: Runtime,
}

impl Parts {
    fn new(base_url: &str, http: reqwest::Client, runtime: Runtime) -> Self {
        Parts { base_url: base_url.to_string(), http, runtime }
    }

    /// Base URL (no trailing slash), HTTP client, runtime.
    pub fn into_inner(self) -> (String, reqwest::Client, Runtime) {
        (self.base_url, self.http, self.runtime)
    }
}

type EnvSource = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;
type HttpHook = Box<dyn FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send>;

/// Configures a generated client; obtained from its `Client::builder()`.
///
/// Credentials given here win over the environment variables the spec names; a credential found
/// in neither is an [`Error::MissingCredential`] from [`build`](Self::build).
pub struct ClientBuilder<C> {
    api: &'static ApiDescriptor,
    base_url: Option<String>,
    credentials: Vec<(String, Credential)>,
    headers: Vec<(String, String)>,
    retry: RetryPolicy,
    timeout: Duration,
    connect_timeout: Duration,
    max_body_bytes: usize,
    /// Parsed when given: the URL, or what a message may show of the text and why it is unusable.
    proxy: Option<Result<url::Url, (String, url::ParseError)>>,
    http_hooks: Vec<HttpHook>,
    env: EnvSource,
    limits: LimitSettings,
    client: PhantomData<fn() -> C>,
}

/// What the builder knows about rate limits, retries budget and observers (`None`: from the
/// environment, then the spec).
#[derive(Default)]
struct LimitSettings {
    rate: Option<Option<Rate>>,
    redis_url: Option<Option<String>>,
    redis_timeout: Option<Duration>,
    retry_budget: Option<RetryBudget>,
    hooks: Vec<Hook>,
    metrics: Option<bool>,
}

impl<C> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api", &self.api.name)
            .field("base_url", &self.base_url.as_deref().map(shown_url))
            .field("credentials", &self.credentials)
            .field("headers", &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>())
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("proxy", &self.proxy.as_ref().map(|p| p.as_ref().map_or_else(|(shown, _)| shown.clone(), redacted)))
            .field("http_hooks", &self.http_hooks.len())
            .field("rate_limit", &self.limits.rate)
            .field("redis_url", &self.limits.redis_url.as_ref().map(|u| u.as_deref().map(shown_url)))
            .field("retry_budget", &self.limits.retry_budget)
            .finish()
    }
}

impl<C: FromParts> ClientBuilder<C> {
    /// Called by the generated `Client::builder()`.
    #[doc(hidden)]
    pub fn new(api: &'static ApiDescriptor) -> Self {
        ClientBuilder {
            api,
            base_url: None,
            credentials: Vec::new(),
            headers: Vec::new(),
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            proxy: None,
            http_hooks: Vec::new(),
            env: Arc::new(|name| std::env::var(name).ok()),
            limits: LimitSettings::default(),
            client: PhantomData,
        }
    }

    /// Overrides the spec's production base URL (e.g. a sandbox or a local mock).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The token for the API's (first) bearer or OAuth2 scheme.
    pub fn bearer_token(self, token: impl Into<Secret>) -> Self {
        let scheme = self.scheme_name(SecurityScheme::is_bearer);
        self.credential(scheme, Credential::Token(token.into()))
    }

    /// Tokens that expire, for the API's (first) bearer or OAuth2 scheme: the client asks
    /// `source` for a token before its first request, again shortly before that token expires,
    /// and once more if the API answers 401 (then the 401 stands). Concurrent calls share one
    /// refresh. For another scheme, use [`credential`](Self::credential) with
    /// [`Credential::TokenSource`].
    pub fn token_source(self, source: impl TokenSource + 'static) -> Self {
        let scheme = self.scheme_name(SecurityScheme::is_bearer);
        self.credential(scheme, Credential::TokenSource(Arc::new(source)))
    }

    /// The OAuth2 client id and secret for the API's (first) OAuth2 scheme with a
    /// client-credentials token URL: tokens come from that URL
    /// ([`ClientCredentials`](crate::ClientCredentials)), for the
    /// scopes the spec lists, renewed as with [`token_source`](Self::token_source).
    pub fn client_credentials(self, client_id: impl Into<String>, client_secret: impl Into<Secret>) -> Self {
        let scheme = self.scheme_name(|s| matches!(s, SecurityScheme::OAuth2 { token_url: Some(_), .. }));
        self.credential(
            scheme,
            Credential::ClientCredentials { client_id: client_id.into(), client_secret: client_secret.into() },
        )
    }

    /// Username and password for the API's HTTP Basic scheme.
    pub fn basic_auth(self, username: impl Into<Secret>, password: impl Into<Secret>) -> Self {
        let scheme = self.scheme_name(|s| matches!(s, SecurityScheme::Basic { .. }));
        self.credential(scheme, Credential::Basic { username: username.into(), password: password.into() })
    }

    /// The value of an API-key scheme, named by its header (`X-Api-Key`), its query parameter
    /// (`api_key`), its cookie or its scheme name.
    pub fn api_key(self, header_or_scheme: &str, key: impl Into<Secret>) -> Self {
        let scheme = self.scheme_name(|s| match s {
            SecurityScheme::ApiKey { name, header, .. } => {
                header.eq_ignore_ascii_case(header_or_scheme) || *name == header_or_scheme
            }
            SecurityScheme::ApiKeyQuery { name, param: key, .. }
            | SecurityScheme::ApiKeyCookie { name, cookie: key, .. } => {
                *key == header_or_scheme || *name == header_or_scheme
            }
            _ => false,
        });
        let scheme = if scheme.is_empty() { header_or_scheme.to_string() } else { scheme };
        self.credential(scheme, Credential::Token(key.into()))
    }

    /// A credential for the security scheme named `scheme` in the spec.
    pub fn credential(mut self, scheme: impl Into<String>, credential: Credential) -> Self {
        let scheme = scheme.into();
        self.credentials.retain(|(name, _)| *name != scheme);
        self.credentials.push((scheme, credential));
        self
    }

    /// A header sent on every request unless the call sets it itself (e.g. an impersonation header).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// How requests are retried (default: [`RetryPolicy::default`]); one call can override it.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Limit for one attempt, from sending to the end of the response body.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Limit for opening a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The largest response body the client reads whole (default 64 MiB): any success body it
    /// decodes, whatever its content type or status; a larger one is [`Error::TooLarge`], read no
    /// further. Streamed bodies (CSV exports) are handed to the caller chunk by chunk and never
    /// buffered, so they need no limit; error bodies are judged by their first
    /// [`MAX_ERROR_BODY`](crate::MAX_ERROR_BODY) bytes.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// Sends every request through this HTTP(S) proxy (`http://user:pass@proxy:3128`; without a
    /// scheme, `user:pass@proxy:3128`, it is `http://` as reqwest reads it), except to
    /// the hosts listed in `NO_PROXY` / `no_proxy` (read through [`env_source`](Self::env_source)).
    ///
    /// Without it, the proxies of the environment apply as curl reads them: `HTTPS_PROXY`,
    /// `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (and the system settings on macOS and Windows).
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        let text = url.into();
        // Parsed once, here: `Debug` and every message show the parsed form, credentials redacted.
        self.proxy = Some(parse_proxy(&text).map_err(|e| (shown_url(&text), e)));
        self
    }

    /// Adjusts the underlying [`reqwest::ClientBuilder`]: private root certificates
    /// (`add_root_certificate`), a client certificate for mTLS (`identity`), a local address, pool
    /// limits, HTTP/2 tuning. Hooks run in the order given, after the runtime has set its
    /// timeouts and proxy (so a hook may change those) and before it sets what it must own:
    ///
    /// - the `User-Agent` (names the client crate and version, which vendors ask for in reports);
    /// - the redirect policy: only within the API's own origin, at most five hops, because
    ///   credentials travel in headers reqwest does not know are secret;
    ///
    /// Whatever a hook sets for those two is replaced.
    pub fn configure_http(
        mut self,
        hook: impl FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + 'static,
    ) -> Self {
        self.http_hooks.push(Box::new(hook));
        self
    }

    /// At most this many requests per period for this API and credential (`None`: no limit of
    /// the client's own; the server's 429s still pause it). Without it, `<API>_RATE_LIMIT`
    /// (`20/s`, `600/min`) applies, then the limit the spec documents, if any.
    pub fn rate_limit(mut self, rate: Option<Rate>) -> Self {
        self.limits.rate = Some(rate);
        self
    }

    /// Shares the rate-limit budget (and the pauses a 429 imposes) with every process using this
    /// Redis (`redis://host:6379/`), per API and credential (keyed by a hash of the credential).
    /// `None` keeps the budget in this process. Without it, `AFFILIATE_REDIS_URL` applies.
    ///
    /// Redis never fails a call: if it does not answer within [`redis_timeout`](Self::redis_timeout)
    /// the client goes on with its own budget, warns once, and tries Redis again a second later.
    pub fn shared_rate_limit(mut self, redis_url: Option<&str>) -> Self {
        self.limits.redis_url = Some(redis_url.map(str::to_string));
        self
    }

    /// The longest a call waits on Redis before using the local budget (default 200 ms, or
    /// `AFFILIATE_REDIS_TIMEOUT_MS`).
    pub fn redis_timeout(mut self, timeout: Duration) -> Self {
        self.limits.redis_timeout = Some(timeout);
        self
    }

    /// How many retries this client may spend across all its calls (default
    /// [`RetryBudget::default`]: 100 retries when nothing succeeds).
    pub fn retry_budget(mut self, budget: RetryBudget) -> Self {
        self.limits.retry_budget = Some(budget);
        self
    }

    /// Calls `hook` around every attempt: before sending, on its response (or failure), and
    /// before a retry. Hooks run inline: keep them quick.
    pub fn observe(mut self, hook: impl Fn(&Event<'_>) + Send + Sync + 'static) -> Self {
        self.limits.hooks.push(Arc::new(hook));
        self
    }

    /// Records OpenTelemetry-named metrics through the `metrics` facade (off by default, or
    /// `AFFILIATE_METRICS=1`): `http.client.request.duration` per attempt (seconds, with
    /// `http.request.method`, `server.address`, `http.response.status_code`, `error.type`,
    /// `affiliate.api`, `affiliate.operation`) and `affiliate.client.rate_limit.wait`. The
    /// service installs the recorder (an OpenTelemetry or Prometheus exporter).
    pub fn metrics(mut self, on: bool) -> Self {
        self.limits.metrics = Some(on);
        self
    }

    /// Where credentials not given in code are looked up (default: the process environment).
    pub fn env_source(mut self, lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        self.env = Arc::new(lookup);
        self
    }

    /// The client; fails on an unusable base URL or header, or on a credential that is missing or
    /// of a kind the API does not use.
    pub fn build(self) -> Result<C> {
        let env_base_url = (self.env)(&self.env_name("BASE_URL"));
        let base_url = match (self.base_url.as_ref().or(env_base_url.as_ref()), self.api.default_base_url) {
            (Some(url), _) => url.clone(),
            // The spec names no server: there is nothing sensible to default to.
            (None, "") => {
                return Err(Error::Config(format!(
                "{} has no default base URL (its spec lists no servers): set one with `.base_url(..)` before `build()`",
                self.api.title
            )))
            }
            (None, default) => default.to_string(),
        };
        let parsed = reqwest::Url::parse(&base_url)
            .map_err(|e| Error::Config(format!("base URL `{}`: {e}", shown_url(&base_url))))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(Error::Config(format!("base URL `{}` must be an absolute http(s) URL", shown_url(&base_url))));
        }
        let env = self.env.clone();
        let auth = resolve(self.api, &self.credentials, &move |name| env(name), &parsed)?;
        let limits = Arc::new(self.limits(&auth)?);
        let mut headers = Vec::new();
        for (name, value) in &self.headers {
            let header = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Error::Config(format!("`{name}` is not a valid header name")))?;
            let mut value = HeaderValue::from_str(value)
                .map_err(|_| Error::Config(format!("the value of header `{name}` is not valid")))?;
            value.set_sensitive(true);
            headers.push((header, value));
        }
        let origin = parsed.origin();
        let user_agent = format!(
            "{}/{} affiliate-runtime/{}",
            self.api.crate_name,
            self.api.crate_version,
            env!("CARGO_PKG_VERSION")
        );
        let redirect_origin = origin.clone();
        // What a hook may change: timeouts, proxy, TLS stack.
        let mut http = reqwest::Client::builder().timeout(self.timeout).connect_timeout(self.connect_timeout);
        #[cfg(feature = "native-tls")]
        {
            http = http.tls_backend_native();
        }
        if let Some(url) = &self.proxy {
            let url = url.as_ref().map_err(|(shown, e)| Error::Config(format!("proxy `{shown}`: {e}")))?;
            let no_proxy = (self.env)("NO_PROXY").or_else(|| (self.env)("no_proxy")).unwrap_or_default();
            let proxy = reqwest::Proxy::all(url.clone())
                .map_err(|e| Error::Config(format!("proxy `{}`: {}", redacted(url), e.without_url())))?
                .no_proxy(reqwest::NoProxy::from_string(&no_proxy));
            http = http.proxy(proxy);
        }
        for hook in self.http_hooks {
            http = hook(http);
        }
        // What the runtime owns, whatever a hook set.
        let http = http
            .user_agent(user_agent)
            // Credentials live in headers reqwest does not know are secret (X-Api-Key...): follow
            // redirects only within the API's own origin, a few times at most.
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.url().origin() != redirect_origin || attempt.previous().len() >= 5 {
                    attempt.stop()
                } else {
                    attempt.follow()
                }
            }))
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {}", crate::transport::TransportError::new(e))))?;
        let runtime = Runtime {
            api: self.api,
            auth,
            headers,
            retry: self.retry,
            origin,
            max_body_bytes: self.max_body_bytes,
            limits,
        };
        Ok(C::from_parts(Parts::new(base_url.trim_end_matches('/'), http, runtime)))
    }

    /// `<API>_<suffix>`: `ACME_RATE_LIMIT` for the spec `acme.yaml`.
    fn env_name(&self, suffix: &str) -> String {
        format!("{}_{suffix}", self.api.name.to_uppercase().replace('-', "_"))
    }

    /// The rate budget, retry budget and observers, from the builder, then the environment, then
    /// the spec.
    fn limits(&self, auth: &Auth) -> Result<Limits> {
        let settings = &self.limits;
        let rate_env = self.env_name("RATE_LIMIT");
        let rate = match &settings.rate {
            Some(rate) => *rate,
            None => match ((self.env)(&rate_env), self.api.rate_limit) {
                (Some(text), _) => Some(text.parse::<Rate>().map_err(|e| Error::Config(format!("{rate_env}: {e}")))?),
                (None, Some(text)) => {
                    Some(text.parse::<Rate>().map_err(|e| Error::Config(format!("the spec's rate limit: {e}")))?)
                }
                (None, None) => None,
            },
        };
        let redis_url = match &settings.redis_url {
            Some(url) => url.clone(),
            None => (self.env)("AFFILIATE_REDIS_URL").filter(|u| !u.trim().is_empty()),
        };
        let redis_timeout = match settings.redis_timeout {
            Some(timeout) => timeout,
            None => match (self.env)("AFFILIATE_REDIS_TIMEOUT_MS") {
                Some(ms) => Duration::from_millis(ms.trim().parse().map_err(|_| {
                    Error::Config(format!("AFFILIATE_REDIS_TIMEOUT_MS: `{ms}` is not a number of milliseconds"))
                })?),
                None => DEFAULT_REDIS_TIMEOUT,
            },
        };
        let redis = match redis_url {
            Some(url) => Some((
                redis::Client::open(url.as_str())
                    .map_err(|e| Error::Config(format!("Redis URL `{}`: {e}", shown_url(&url))))?,
                redis_timeout,
            )),
            None => None,
        };
        // The budget is per credential: its values (headers, query keys) name it, hashed.
        let mut identity: Vec<&[u8]> = self.auth_identity(auth);
        identity.sort();
        let budget = Budget::new(rate, redis, self.api.name, &identity);
        let metrics = settings
            .metrics
            .unwrap_or_else(|| (self.env)("AFFILIATE_METRICS").is_some_and(|v| matches!(v.trim(), "1" | "true")));
        Ok(Limits {
            budget,
            rate,
            retry_budget: Bucket::new(settings.retry_budget.clone().unwrap_or_default()),
            observers: Observers { hooks: settings.hooks.clone(), metrics },
        })
    }

    fn auth_identity<'a>(&self, auth: &'a Auth) -> Vec<&'a [u8]> {
        let headers = auth.headers.iter().map(|(_, v)| v.as_bytes());
        headers.chain(auth.query.iter().map(|(_, k)| k.expose().as_bytes())).collect()
    }

    /// The name of the API's scheme `pick` accepts, or [`UNMATCHED`]: a credential of a kind the
    /// API does not use is then reported by `build()` rather than dropped.
    fn scheme_name(&self, pick: impl Fn(&SecurityScheme) -> bool) -> String {
        self.api.security.iter().find(|s| pick(s)).map_or_else(|| UNMATCHED.to_string(), |s| s.name().to_string())
    }
}

/// The state a generated client carries: resolved auth headers, retry policy, API description.
#[derive(Clone)]
pub struct Runtime {
    api: &'static ApiDescriptor,
    auth: Auth,
    headers: Vec<(HeaderName, HeaderValue)>,
    retry: RetryPolicy,
    origin: url::Origin,
    max_body_bytes: usize,
    /// Shared by clones: one budget per client.
    limits: Arc<Limits>,
}

/// The per-client state every request of every clone uses.
struct Limits {
    budget: Budget,
    rate: Option<Rate>,
    retry_budget: Bucket,
    observers: Observers,
}

/// Default limit for response bodies read whole.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header names only: values are credentials or may be.
        f.debug_struct("Runtime")
            .field("api", &self.api.name)
            .field("auth_headers", &self.auth.headers.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>())
            .field("auth_query", &self.auth.query.iter().map(|(n, _)| *n).collect::<Vec<_>>())
            .field("auth_cookies", &self.auth.cookies.iter().map(|(n, _)| *n).collect::<Vec<_>>())
            .field("token_source", &self.auth.tokens.is_some())
            .field("headers", &self.headers.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>())
            .field("retry", &self.retry)
            .field("rate_limit", &self.limits.rate.map(|r| r.to_string()))
            .field("budget", &self.limits.budget)
            .finish()
    }
}

impl Runtime {
    /// The client's own request rate, if it has one (from the builder, `<API>_RATE_LIMIT` or
    /// the spec).
    pub fn rate_limit(&self) -> Option<Rate> {
        self.limits.rate
    }

    /// Whether the rate budget is shared through Redis.
    pub fn is_budget_shared(&self) -> bool {
        self.limits.budget.is_shared()
    }

    /// The API this client calls.
    pub fn api(&self) -> &'static ApiDescriptor {
        self.api
    }

    /// The client's retry policy (a call may override it).
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The largest body the client reads whole ([`ClientBuilder::max_body_bytes`]).
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// The `pre` hook: the call's own options, default headers, and credentials for requests to the
    /// API's own origin. Generated code only.
    #[doc(hidden)]
    pub fn prepare(&self, request: &mut reqwest::Request, operation: &str) -> std::result::Result<(), String> {
        // progenitor sends `api-version: <info.version>`; these APIs do not use it. (A name
        // constant: a lookup by `&str` parses the name on every request.)
        const API_VERSION: HeaderName = HeaderName::from_static("api-version");
        request.headers_mut().remove(API_VERSION);
        crate::call::apply(request, &self.auth.headers)?;
        let credentials = self.sends_credentials(request.url(), operation);
        // Before the bracket rewrite below, which must see the final query.
        if credentials && !self.auth.query.is_empty() {
            add_query_credentials(request.url_mut(), &self.auth.query);
        }
        // Parameter names such as `currency[]` are sent literally, as the PHP/Rails-style APIs
        // that use them document; progenitor percent-encodes the brackets.
        if let Some(query) = request.url().query().filter(|q| q.contains('%')) {
            let literal = literal_brackets_in_names(query);
            if literal != query {
                request.url_mut().set_query(Some(&literal));
            }
        }
        for (name, value) in &self.headers {
            if !request.headers().contains_key(name) {
                request.headers_mut().insert(name.clone(), value.clone());
            }
        }
        if credentials {
            for (name, value) in &self.auth.headers {
                request.headers_mut().insert(name.clone(), value.clone());
            }
            if !self.auth.cookies.is_empty() {
                add_cookies(request.headers_mut(), &self.auth.cookies);
            }
        }
        Ok(())
    }

    /// Whether a request to `url` for `operation` carries the client's credentials: only to the
    /// API's own origin, and never for an operation the spec marks anonymous.
    fn sends_credentials(&self, url: &reqwest::Url, operation: &str) -> bool {
        same_origin(url, &self.origin) && !self.api.anonymous_operations.contains(&operation)
    }

    /// GETs a link an API returned (a job's result, say) with the client's credentials and retry
    /// policy, streaming the body. Links to another origin are refused, never sent credentials.
    /// Generated code only (a client's `fetch_link`).
    #[doc(hidden)]
    pub async fn fetch_link(
        &self,
        http: &reqwest::Client,
        base_url: &str,
        link: &str,
    ) -> Result<progenitor_client::ResponseValue<progenitor_client::ByteStream>> {
        let base = reqwest::Url::parse(base_url)
            .map_err(|e| Error::Config(format!("base URL `{}`: {e}", shown_url(base_url))))?;
        let url = base.join(link).map_err(|e| Error::ForeignLink(format!("`{link}`: {e}")))?;
        if url.origin() != self.origin {
            return Err(Error::ForeignLink(format!(
                "`{link}` is on {}, not the API's host",
                url.host_str().unwrap_or("?")
            )));
        }
        let mut request = http.get(url).build().map_err(Error::from_transport)?;
        self.prepare(&mut request, "fetch_link").map_err(Error::InvalidRequest)?;
        let (response, recorded) = crate::send::scoped(self.execute(http, request, "fetch_link")).await;
        // An error the hooks found (no access token) wins over the stand-in response.
        if let Some(error) = recorded {
            return Err(error);
        }
        let response = response.map_err(Error::from_transport)?;
        if response.status().is_success() {
            return Ok(progenitor_client::ResponseValue::stream(response));
        }
        let status = response.status();
        let headers = response.headers().clone();
        let body = crate::body::read_start(Box::pin(response.bytes_stream()), crate::error::MAX_ERROR_BODY)
            .await
            .map_err(Error::from_transport)?;
        Err(Error::from_response(status, &headers, &body))
    }

    /// The `exec` hook: sends the request, retrying per the policy (the call's, or the client's),
    /// inside a tracing span. Generated code only: outside a generated `send()` the errors the
    /// hooks record (a body over `max_body_bytes`, say) would be lost.
    ///
    /// The span follows the OpenTelemetry HTTP client conventions: `http.request.method`,
    /// `server.address`, `server.port`, `url.template` (the spec's path, never the filled-in URL or
    /// query, which may carry ids or keys), `http.response.status_code` and `error.type`; plus
    /// `affiliate.api`, `affiliate.operation` and `attempts` (how many were sent).
    /// Header values are never recorded.
    #[doc(hidden)]
    pub async fn execute(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
    ) -> reqwest::Result<reqwest::Response> {
        let method = request.method();
        // A link fetched for a job has no template: its path is the server's, not the spec's.
        // (Field values are only computed when the span is enabled.)
        let span = tracing::info_span!(
            "affiliate.request",
            otel.name = %format_args!("{method} {}", self.api.url_template(operation).unwrap_or(operation)),
            otel.kind = "client",
            http.request.method = %method,
            server.address = request.url().host_str().unwrap_or_default(),
            server.port = request.url().port_or_known_default(),
            url.template = self.api.url_template(operation),
            affiliate.api = self.api.name,
            affiliate.operation = operation,
            attempts = tracing::field::Empty,
            http.response.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        );
        // This call's retry policy, if it set one, instead of the client's.
        let overridden = crate::call::retry_override();
        let policy = overridden.as_ref().unwrap_or(&self.retry);
        // Boxed: the retry loop's state (token refresh, shared budget, timers) is tens of KiB, and
        // a future is copied whole each time it moves up the caller's chain of futures.
        let retries = Box::pin(self.execute_with_retries(client, request, operation, policy));
        let result = retries.instrument(span.clone()).await;
        match &result {
            Ok(response) => {
                let status = response.status();
                span.record("http.response.status_code", status.as_u16());
                if status.is_client_error() || status.is_server_error() {
                    span.record("error.type", status.as_str());
                }
            }
            Err(error) => {
                span.record("error.type", error_type(error));
            }
        }
        result
    }

    /// Reads a 2xx JSON body whole, within `max_body_bytes`, inside the retry loop: a connection
    /// that fails mid-body can then be retried, the spec's body-error rules can look at it, and
    /// progenitor decodes the same bytes (no copy). Other bodies pass through unread: error bodies
    /// (read by their start when converted), streams (read by the caller), and the JSON variant of
    /// a status-dependent answer (read within the same limit by `decode_json`).
    async fn buffer_json(&self, response: reqwest::Response, wants_json: bool) -> reqwest::Result<reqwest::Response> {
        let is_json = wants_json || is_json(response.headers().get(reqwest::header::CONTENT_TYPE));
        if !response.status().is_success() || !is_json {
            return Ok(response);
        }
        let mut response = response;
        let status = response.status();
        let announced = response.content_length();
        // Read through `chunk()`, which leaves the response (status, headers) where it is.
        let read = {
            let chunks = futures::stream::unfold(&mut response, |response| async move {
                response.chunk().await.transpose().map(|chunk| (chunk, response))
            });
            crate::body::read_whole(std::pin::pin!(chunks), announced, self.max_body_bytes).await?
        };
        let body = match read {
            Some(body) => body,
            None => {
                record_body_error(Error::TooLarge { status, limit: self.max_body_bytes });
                bytes::Bytes::new()
            }
        };
        // The page fingerprint of a pagination stream (a no-op outside one).
        crate::pagination::record_body(&body);
        // `x-affiliate-body-errors`: a success status whose body reports a failure. A success is
        // never retried, so checking every attempt checks the final one.
        if self.api.body_errors.iter().any(|rule| rule.matches(&body)) {
            tracing::debug!(status = status.as_u16(), "success status, error body");
            // Judged like any error body: by its first MAX_ERROR_BODY bytes.
            let start = &body[..body.len().min(crate::error::MAX_ERROR_BODY)];
            record_body_error(Error::from_response(status, response.headers(), start));
        }
        // A generated `send` that decodes this body takes it from the task-local: the response
        // goes back as it is, its body read.
        if crate::send::expects_json() {
            crate::send::stash_body(body);
            return Ok(response);
        }
        let version = response.version();
        // Moved, not cloned: the rebuilt response owns them.
        let headers = std::mem::take(response.headers_mut());
        let url = response.url().clone();
        Ok(rebuild(status, version, headers, url, body))
    }

    /// No token for this request: the error goes to the call (through the task-local `send`
    /// reads), and progenitor gets an empty stand-in response that `send` then discards.
    fn token_failed(&self, error: Error, request: &reqwest::Request) -> reqwest::Response {
        tracing::debug!(error = %error, "no access token; request not sent");
        record_body_error(error);
        rebuild(
            reqwest::StatusCode::UNAUTHORIZED,
            reqwest::Version::HTTP_11,
            reqwest::header::HeaderMap::new(),
            request.url().clone(),
            bytes::Bytes::new(),
        )
    }

    async fn execute_with_retries(
        &self,
        client: &reqwest::Client,
        mut request: reqwest::Request,
        operation: &'static str,
        policy: &RetryPolicy,
    ) -> reqwest::Result<reqwest::Response> {
        let idempotent = self.api.is_idempotent(request.method(), operation);
        // One key per logical call, the same on every retry of it (a per-call header wins).
        if let Some(header) = self.api.idempotency_header(operation) {
            if !request.headers().contains_key(header) {
                let key = uuid::Uuid::new_v4().to_string();
                if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(header.as_bytes()), HeaderValue::from_str(&key))
                {
                    request.headers_mut().insert(name, value);
                }
            }
        }
        // progenitor asks for JSON (`Accept`) exactly when it will decode JSON, whatever label the
        // server puts on the answer.
        let wants_json = is_json(request.headers().get(reqwest::header::ACCEPT));
        let limits = &*self.limits;
        let method = request.method().clone();
        let limits_observed = limits.observers.metrics || !limits.observers.hooks.is_empty();
        // Only the metric and the hooks read it.
        let server = match limits_observed {
            true => request.url().host_str().unwrap_or_default().to_string(),
            false => String::new(),
        };
        let started = Instant::now();
        let tokens = self.auth.tokens.as_ref().filter(|_| self.sends_credentials(request.url(), operation));
        // A 401 to a token from the source is answered once with a new token, whatever the policy.
        let mut renewed = false;
        let mut attempt = 1;
        // What this call's retries took from the retry budget (given back if it succeeds).
        let mut spent = 0;
        loop {
            let waited = limits.budget.acquire().await;
            limits.observers.record_wait(self.api.name, waited);
            limits.observers.emit(|| Event::Request { operation, method: method.as_str(), attempt, waited });
            // Every attempt (each retry, the resend after a 401) takes the token current then.
            let mut sent_token = None;
            if let Some(tokens) = tokens {
                // Boxed, as every rarely taken await here: the call's future stays small.
                match Box::pin(tokens.get(client)).await {
                    Ok(current) => {
                        request.headers_mut().insert(reqwest::header::AUTHORIZATION, current.header);
                        sent_token = Some(current.generation);
                    }
                    // Nothing was sent: a passing failure (the token endpoint timed out or
                    // answered 5xx) is retried like a refused connection, whatever the method.
                    Err(error) => {
                        let verdict = error.is_retryable().then(|| {
                            policy.decide(
                                &Attempt {
                                    outcome: Outcome::Failed(Failure::Connect),
                                    idempotent,
                                    number: attempt,
                                    elapsed: started.elapsed(),
                                    retry_after: None,
                                    resendable: true,
                                },
                                rand::random::<f64>(),
                            )
                        });
                        if let Some(Decision::Retry(wait)) = verdict {
                            tracing::debug!(attempt, error = %error, "no access token; retrying");
                            Box::pin(tokio::time::sleep(wait)).await;
                            attempt += 1;
                            continue;
                        }
                        return Ok(self.token_failed(error, &request));
                    }
                }
            }
            // A streaming body cannot be cloned: such a request gets one attempt.
            let may_resend = attempt < policy.max_attempts || (sent_token.is_some() && !renewed);
            let mut spare = may_resend.then(|| request.try_clone()).flatten();
            let sent = Instant::now();
            let result = match client.execute(request).await {
                Ok(response) => self.buffer_json(response, wants_json).await,
                Err(error) => Err(error),
            };
            let unauthorized = matches!(&result, Ok(r) if r.status() == reqwest::StatusCode::UNAUTHORIZED);
            if unauthorized && !renewed {
                if let (Some(tokens), Some(generation), Some(next)) = (tokens, sent_token, spare.take()) {
                    tracing::debug!(attempt, "401: asking the token source again");
                    tokens.reject(generation);
                    renewed = true;
                    drop(result);
                    request = next;
                    attempt += 1;
                    continue;
                }
            }
            let outcome = match &result {
                Ok(response) => Outcome::Status(response.status()),
                Err(error) => Outcome::Failed(classify(error)),
            };
            self.observe_attempt(&result, operation, &method, &server, attempt, sent);
            // Read only where it can matter (a success is never retried).
            let retry_after = result
                .as_ref()
                .ok()
                .filter(|r| !r.status().is_success())
                .and_then(|r| crate::ratelimit::retry_after(r.headers()));
            // A success is final: no jitter drawn, no clock read.
            let verdict = match outcome {
                Outcome::Status(status) if status.is_success() => Decision::Stop(crate::retry::Stop::Final),
                outcome => policy.decide(
                    &Attempt {
                        outcome,
                        idempotent,
                        number: attempt,
                        elapsed: started.elapsed(),
                        retry_after,
                        resendable: spare.is_some(),
                    },
                    rand::random::<f64>(),
                ),
            };
            // The server said the budget is spent: every process on it waits, not only this one.
            if let Some(pause) = pause_hint(&result, retry_after, &verdict) {
                Box::pin(limits.budget.pause(pause)).await;
            }
            let verdict = match verdict {
                Decision::Retry(wait) if spare.is_some() => {
                    match limits.retry_budget.withdraw(outcome == Outcome::Failed(Failure::Timeout)) {
                        Some(cost) => {
                            spent += cost;
                            Decision::Retry(wait)
                        }
                        None => {
                            limits.observers.emit(|| Event::RetryBudgetExhausted { operation });
                            Decision::Stop(crate::retry::Stop::RetryBudget)
                        }
                    }
                }
                verdict => verdict,
            };
            match (verdict, spare) {
                (Decision::Retry(wait), Some(next)) => {
                    tracing::debug!(
                        attempt,
                        wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        outcome = %describe(&result),
                        "retrying"
                    );
                    limits.observers.emit(|| Event::Retry { operation, attempt, wait });
                    drop(result);
                    Box::pin(tokio::time::sleep(wait)).await;
                    request = next;
                    attempt += 1;
                }
                (verdict, _) => {
                    let span = tracing::Span::current();
                    span.record("attempts", attempt);
                    if let Ok(response) = &result {
                        span.record("status", response.status().as_u16());
                        record_response(response.status());
                        if response.status().is_success() {
                            limits.retry_budget.refund(spent);
                        }
                    }
                    tracing::debug!(outcome = %describe(&result), ?verdict, "done");
                    return result;
                }
            }
        }
    }

    /// The metric and the hook event of one attempt (nothing when both are off).
    fn observe_attempt(
        &self,
        result: &reqwest::Result<reqwest::Response>,
        operation: &'static str,
        method: &reqwest::Method,
        server: &str,
        attempt: u32,
        sent: Instant,
    ) {
        let observers = &self.limits.observers;
        if !observers.metrics && observers.hooks.is_empty() {
            return;
        }
        let duration = sent.elapsed();
        let status = result.as_ref().ok().map(|r| r.status());
        let label = match (status, result) {
            (Some(status), _) if status.is_client_error() || status.is_server_error() => {
                Some(status.as_str().to_string())
            }
            (_, Err(error)) => Some(error_type(error).to_string()),
            _ => None,
        };
        let (status, error_type) = (status.map(|s| s.as_u16()), label.as_deref());
        observers.record_attempt(&crate::observe::Attempt {
            api: self.api.name,
            operation,
            method: method.as_str(),
            server,
            status,
            error_type,
            duration,
        });
        observers.emit(|| Event::Response { operation, attempt, status, error_type, duration });
    }
}

/// `url.origin() == *origin`, without building `url`'s origin (it copies the host) on every request.
fn same_origin(url: &reqwest::Url, origin: &url::Origin) -> bool {
    use url::Host;
    // An opaque origin (a scheme other than the special ones) equals no other origin.
    let url::Origin::Tuple(scheme, host, port) = origin else { return false };
    if url.scheme() != scheme || url.port_or_known_default() != Some(*port) {
        return false;
    }
    match (url.host(), host) {
        (Some(Host::Domain(a)), Host::Domain(b)) => a == b,
        (Some(Host::Ipv4(a)), Host::Ipv4(b)) => a == *b,
        (Some(Host::Ipv6(a)), Host::Ipv6(b)) => a == *b,
        _ => false,
    }
}

/// How long every user of the budget should stop sending after this answer: after a 429 (or a
/// 503 with `Retry-After`) that this call will retry, as long as this call waits (the server's
/// `Retry-After`, else its backoff; a wait past the call's time budget ends the call instead and
/// pauses nobody); or, when `X-RateLimit-Remaining` is 0, until `X-RateLimit-Reset` (read as
/// epoch seconds when it looks like a date, else as seconds from now).
fn pause_hint(
    result: &reqwest::Result<reqwest::Response>,
    retry_after: Option<Duration>,
    verdict: &Decision,
) -> Option<Duration> {
    let response = result.as_ref().ok()?;
    let status = response.status().as_u16();
    if status == 429 || (status == 503 && retry_after.is_some()) {
        return match verdict {
            Decision::Retry(wait) => Some(*wait),
            Decision::Stop(_) => None,
        };
    }
    // Every success passes here: the remaining count alone decides, the reset is read only then.
    if crate::ratelimit::remaining(response.headers()) != Some(0) {
        return None;
    }
    let reset = crate::ratelimit::reset(response.headers())?;
    if reset > 1_000_000_000 {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
        Some(Duration::from_secs(reset.saturating_sub(now)))
    } else {
        Some(Duration::from_secs(reset))
    }
}

fn is_json(value: Option<&reqwest::header::HeaderValue>) -> bool {
    value.and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("json"))
}

/// A response around an in-memory body, for progenitor to decode.
fn rebuild(
    status: reqwest::StatusCode,
    version: reqwest::Version,
    headers: reqwest::header::HeaderMap,
    url: reqwest::Url,
    body: bytes::Bytes,
) -> reqwest::Response {
    use reqwest::ResponseBuilderExt;
    // With its URL (reqwest would otherwise parse a placeholder URL for every response); the
    // builder cannot fail with no status or header given to it.
    let mut rebuilt =
        http::response::Builder::new().url(url).body(body.clone()).unwrap_or_else(|_| http::Response::new(body));
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    reqwest::Response::from(rebuilt)
}

/// `currency%5B%5D=USD` -> `currency[]=USD`; values keep their encoding.
fn literal_brackets_in_names(query: &str) -> String {
    query
        .split('&')
        .map(|pair| {
            let (name, rest) = pair.split_at(pair.find('=').unwrap_or(pair.len()));
            let name = name.replace("%5B", "[").replace("%5b", "[").replace("%5D", "]").replace("%5d", "]");
            format!("{name}{rest}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Sets each query credential on `url`, replacing a copy the URL already carries (a next-page link
/// the server built from the request echoes the key).
fn add_query_credentials(url: &mut reqwest::Url, credentials: &[(&'static str, Secret)]) {
    let echoed = url.query_pairs().any(|(name, _)| credentials.iter().any(|(param, _)| name == *param));
    if echoed {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(name, _)| !credentials.iter().any(|(param, _)| name == *param))
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    let mut pairs = url.query_pairs_mut();
    for (param, key) in credentials {
        pairs.append_pair(param, key.expose());
    }
}

/// Adds the cookie credentials to the request's `Cookie` header (one header, RFC 6265 §5.4),
/// keeping the cookies the call already set except those of the same names, which the
/// credentials replace. The header is marked sensitive.
fn add_cookies(headers: &mut reqwest::header::HeaderMap, cookies: &[(&'static str, Secret)]) {
    use reqwest::header::COOKIE;
    let mut pairs: Vec<String> = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or_default().trim();
            !cookies.iter().any(|(cookie, _)| *cookie == name)
        })
        .map(str::to_string)
        .collect();
    pairs.extend(cookies.iter().map(|(cookie, key)| format!("{cookie}={}", key.expose())));
    // Names come from the spec and values were checked at build: the header is valid.
    if let Ok(mut value) = HeaderValue::from_str(&pairs.join("; ")) {
        value.set_sensitive(true);
        headers.insert(COOKIE, value);
    }
}

/// A proxy URL as reqwest reads one: as written when it has a scheme and a host, otherwise with
/// `http://` in front (`user:pass@proxy:3128`, `proxy:3128`).
fn parse_proxy(text: &str) -> Result<url::Url, url::ParseError> {
    match url::Url::parse(text) {
        Ok(url) if url.has_host() => Ok(url),
        Ok(_) | Err(url::ParseError::RelativeUrlWithoutBase) => url::Url::parse(&format!("http://{text}")),
        Err(e) => Err(e),
    }
}

/// A parsed URL with its user name and password replaced: `http://***@proxy:3128/`.
fn redacted(url: &url::Url) -> String {
    let mut shown = url.clone();
    if !url.username().is_empty() || url.password().is_some() {
        // Cannot fail: a URL with a host can carry credentials.
        let _ = shown.set_password(None);
        let _ = shown.set_username("***");
    }
    shown.to_string()
}

/// A URL a user gave, for `Debug` and messages: parsed as a proxy URL and [`redacted`]; text that
/// does not parse keeps nothing before its last `@`.
fn shown_url(text: &str) -> String {
    match parse_proxy(text) {
        Ok(url) => redacted(&url),
        Err(_) => match text.rfind('@') {
            Some(at) => format!("***{}", &text[at..]),
            None => text.to_string(),
        },
    }
}

/// `error.type` for a request that got no response: a low-cardinality label, never the message
/// (which can contain the URL).
fn error_type(error: &reqwest::Error) -> &'static str {
    crate::transport::kind_of(error).code()
}

fn describe(result: &reqwest::Result<reqwest::Response>) -> String {
    match result {
        Ok(response) => response.status().to_string(),
        Err(error) => match classify(error) {
            Failure::Connect => "connection failed",
            Failure::Timeout => "timeout",
            Failure::Interrupted => "transport error",
            Failure::Permanent => "request cannot be sent",
        }
        .to_string(),
    }
}

#[cfg(test)]
mod tests {
    /// What a generated client holds, for tests: the runtime.
    struct Built(super::Runtime);

    impl super::FromParts for Built {
        fn from_parts(parts: super::Parts) -> Self {
            Built(parts.into_inner().2)
        }
    }

    const fn api_without_security(default_base_url: &'static str) -> crate::ApiDescriptor {
        api(default_base_url, &[], &[])
    }

    /// A test API with these schemes and requirements; `health` is its anonymous operation.
    const fn api(
        default_base_url: &'static str,
        security: &'static [crate::SecurityScheme],
        requirements: &'static [&'static [&'static str]],
    ) -> crate::ApiDescriptor {
        crate::ApiDescriptor {
            name: "test",
            title: "Test API",
            crate_name: "affiliate-test",
            crate_version: "0.0.0",
            default_base_url,
            security,
            requirements,
            idempotent_operations: &[],
            anonymous_operations: &["health"],
            body_errors: &[],
            url_templates: &[],
            rate_limit: None,
            idempotency_headers: &[],
        }
    }

    /// The allocation-free origin check agrees with `Url::origin` on every kind of host, port
    /// and scheme.
    #[test]
    fn same_origin_is_url_origin_equality() {
        let urls = [
            "https://api.example.com",
            "https://api.example.com:443/x?y",
            "https://API.example.com/",
            "https://api.example.com:8443/",
            "http://api.example.com/",
            "https://other.example.com/",
            "http://127.0.0.1:8080/a",
            "http://127.0.0.1:8081/a",
            "http://[::1]:8080/",
            "ftp://api.example.com/",
            "file:///tmp/x",
            "data:text/plain,x",
        ];
        for base in urls {
            let origin = reqwest::Url::parse(base).unwrap().origin();
            for url in urls {
                let url = reqwest::Url::parse(url).unwrap();
                assert_eq!(super::same_origin(&url, &origin), url.origin() == origin, "{base} vs {url}");
            }
        }
    }

    #[test]
    fn brackets_in_names_are_literal() {
        let check = |query: &str, expected: &str| assert_eq!(super::literal_brackets_in_names(query), expected);
        check("currency%5B%5D=USD&currency%5B%5D=GBP", "currency[]=USD&currency[]=GBP");
        check("multipivot%5Bcampaign%5D%5B%5D=111111l29", "multipivot[campaign][]=111111l29");
        check("q=a%5Bb%5D&x%5b%5d=1", "q=a%5Bb%5D&x[]=1");
        check("flag&page=2", "flag&page=2");
    }

    #[test]
    fn query_credentials_are_added_once() {
        let key = [("api_key", crate::Secret::new("k&1"))];
        let check = |url: &str, expected: &str| {
            let mut url = reqwest::Url::parse(url).unwrap();
            super::add_query_credentials(&mut url, &key);
            assert_eq!(url.as_str(), expected);
        };
        check("https://api.example.com/things", "https://api.example.com/things?api_key=k%261");
        check("https://api.example.com/things?page=2", "https://api.example.com/things?page=2&api_key=k%261");
        // A link the server built from the request echoes the key: replaced, not doubled.
        check(
            "https://api.example.com/things?api_key=old&page=3",
            "https://api.example.com/things?page=3&api_key=k%261",
        );
    }

    /// A query-key API: the key goes on requests to the API's origin (from code or the
    /// environment), never to another origin, and never into `Debug`.
    #[test]
    fn query_keys_go_to_the_api_origin_only() {
        static API: crate::ApiDescriptor = api(
            "https://api.example.com",
            &[crate::SecurityScheme::ApiKeyQuery { name: "queryKey", param: "api_key", env: "T_QKEY" }],
            &[],
        );
        let check = |built: Built, url: &str, operation: &str, expected: &str| {
            let mut request = reqwest::Request::new(reqwest::Method::GET, reqwest::Url::parse(url).unwrap());
            built.0.prepare(&mut request, operation).unwrap();
            assert_eq!(request.url().as_str(), expected);
            assert!(!format!("{:?}", built.0).contains("k123"), "{:?}", built.0);
        };
        let from_code = || super::ClientBuilder::<Built>::new(&API).api_key("api_key", "k123").build().unwrap();
        let from_env = || {
            super::ClientBuilder::<Built>::new(&API)
                .env_source(|name| (name == "T_QKEY").then(|| "k123".to_string()))
                .build()
                .unwrap()
        };
        check(
            from_code(),
            "https://api.example.com/things?a=1",
            "list",
            "https://api.example.com/things?a=1&api_key=k123",
        );
        check(from_env(), "https://api.example.com/things", "list", "https://api.example.com/things?api_key=k123");
        check(from_code(), "https://elsewhere.example.com/things", "list", "https://elsewhere.example.com/things");
        check(from_code(), "https://api.example.com/health", "health", "https://api.example.com/health");
        let missing = super::ClientBuilder::<Built>::new(&API).env_source(|_| None).build().map(drop).unwrap_err();
        assert!(missing.to_string().contains("T_QKEY"), "{missing}");
    }

    /// A cookie-key API: the key joins the call's own cookies (replacing one of the same name) in
    /// one sensitive `Cookie` header, on requests to the API's origin only and never for an
    /// anonymous operation.
    #[test]
    fn cookie_keys_join_the_calls_cookies_on_the_api_origin_only() {
        static API: crate::ApiDescriptor = api(
            "https://api.example.com",
            &[
                crate::SecurityScheme::ApiKey { name: "key", header: "X-Api-Key", env: "T_KEY" },
                crate::SecurityScheme::ApiKeyCookie { name: "session", cookie: "sid", env: "T_SID" },
            ],
            &[&["key"], &["session"]],
        );
        let runtime = super::ClientBuilder::<Built>::new(&API)
            .env_source(|name| (name == "T_SID").then(|| "s3ss10n".to_string()))
            .build()
            .unwrap()
            .0;
        let check = |url: &str, operation: &str, cookies: &[&str], expected: Option<&str>| {
            let mut request = reqwest::Request::new(reqwest::Method::GET, reqwest::Url::parse(url).unwrap());
            for cookie in cookies {
                request.headers_mut().append("cookie", cookie.parse().unwrap());
            }
            runtime.prepare(&mut request, operation).unwrap();
            let sent = request.headers().get_all("cookie").iter().map(|v| v.to_str().unwrap()).collect::<Vec<_>>();
            match expected {
                Some(expected) => {
                    assert_eq!(sent, [expected], "{url} {operation} {cookies:?}");
                    assert!(request.headers()["cookie"].is_sensitive());
                }
                None => assert_eq!(sent, cookies, "{url} {operation}"),
            }
            assert!(!request.headers().contains_key("x-api-key"), "the first requirement is not configured");
        };
        check("https://api.example.com/things", "list", &[], Some("sid=s3ss10n"));
        check("https://api.example.com/things", "list", &["theme=dark"], Some("theme=dark; sid=s3ss10n"));
        check("https://api.example.com/things", "list", &["a=1; sid=old", "b=2"], Some("a=1; b=2; sid=s3ss10n"));
        check("https://elsewhere.example.com/things", "list", &["theme=dark"], None);
        check("https://api.example.com/health", "health", &[], None);
        assert!(!format!("{runtime:?}").contains("s3ss10n"), "{runtime:?}");
    }

    /// Proxy and base URLs as users write them: credentials never appear in `Debug` or in a
    /// message, whatever the form; scheme-less proxies are read as reqwest reads them (`http://`).
    #[test]
    fn user_given_urls_are_parsed_once_and_shown_redacted() {
        static API: crate::ApiDescriptor = api_without_security("https://api.example.com");
        // (proxy as given, the URL it means or None when unusable)
        let cases: [(&str, Option<&str>); 12] = [
            ("user:s3cret@proxy.internal:3128", Some("http://***@proxy.internal:3128/")),
            ("http://user:s3cret@proxy.internal:3128", Some("http://***@proxy.internal:3128/")),
            ("https://user:s3cret@proxy.internal", Some("https://***@proxy.internal/")),
            ("socks5://user:s3cret@proxy.internal:1080", Some("socks5://***@proxy.internal:1080")),
            ("s3cret@proxy.internal:3128", Some("http://***@proxy.internal:3128/")),
            (":s3cret@proxy.internal:3128", Some("http://***@proxy.internal:3128/")),
            ("user:p%40s3cret@proxy.internal:3128", Some("http://***@proxy.internal:3128/")),
            ("us@er:s3cret@proxy.internal:3128", Some("http://***@proxy.internal:3128/")),
            ("proxy.internal:3128", Some("http://proxy.internal:3128/")),
            ("http://proxy.internal", Some("http://proxy.internal/")),
            ("user:s3cret@proxy.internal:99999", None),
            ("http://user:s3cret@[::1:3128", None),
        ];
        for (given, means) in cases {
            let builder = super::ClientBuilder::<Built>::new(&API).proxy(given);
            let debug = format!("{builder:?}");
            assert!(!debug.contains("s3cret"), "{given}: {debug}");
            let parsed = super::parse_proxy(given).ok();
            assert_eq!(parsed.as_ref().map(super::redacted).as_deref(), means, "{given}");
            match (builder.build(), means) {
                (Ok(_), Some(_)) => {}
                (Err(e), None) => {
                    assert!(!e.to_string().contains("s3cret") && e.to_string().contains("***"), "{given}: {e}")
                }
                (Ok(_), None) => panic!("{given}: built"),
                (Err(e), Some(_)) => panic!("{given}: {e}"),
            }
            // A base URL given with credentials is shown the same way.
            let base = super::ClientBuilder::<Built>::new(&API).base_url(given);
            assert!(!format!("{base:?}").contains("s3cret"), "{given}: {base:?}");
            if let Err(e) = base.build() {
                assert!(!e.to_string().contains("s3cret"), "{given}: {e}");
            }
        }
    }

    /// A descriptor of an API without servers, security or extensions.
    const NO_SERVERS: crate::ApiDescriptor = crate::ApiDescriptor {
        name: "test",
        title: "Test API",
        crate_name: "affiliate-test",
        crate_version: "0.0.0",
        default_base_url: "",
        security: &[],
        requirements: &[],
        idempotent_operations: &[],
        anonymous_operations: &[],
        body_errors: &[],
        url_templates: &[],
        rate_limit: None,
        idempotency_headers: &[],
    };

    /// An operation with an idempotency header: one key per call, the same on each retry, a new
    /// one for the next call, the caller's own when it sets one; and the POST is retried (503s).
    #[tokio::test]
    async fn idempotency_keys_are_per_call_and_kept_across_retries() {
        use std::io::{Read, Write};
        struct Built(String, reqwest::Client, super::Runtime);
        impl super::FromParts for Built {
            fn from_parts(parts: super::Parts) -> Self {
                let (url, http, runtime) = parts.into_inner();
                Built(url, http, runtime)
            }
        }
        static API: crate::ApiDescriptor =
            crate::ApiDescriptor { idempotency_headers: &[("create", "Idempotency-Key")], ..NO_SERVERS };
        // Answers 503, 503, 201 for every call (three requests per call); records each key.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let keys = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let seen = keys.clone();
        std::thread::spawn(move || {
            for (n, socket) in listener.incoming().enumerate() {
                let mut socket = socket.unwrap();
                let mut buf = [0u8; 4096];
                let len = socket.read(&mut buf).unwrap();
                let request = String::from_utf8_lossy(&buf[..len]).to_lowercase();
                let key = request.lines().find_map(|l| l.strip_prefix("idempotency-key: ")).unwrap_or("-");
                seen.lock().unwrap().push(key.trim().to_string());
                let status = if n % 3 == 2 { "201 Created" } else { "503 Service Unavailable" };
                let _ = write!(socket, "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            }
        });
        let Built(url, http, runtime) = super::ClientBuilder::<Built>::new(&API)
            .base_url(format!("http://{addr}"))
            .retry_policy(
                crate::RetryPolicy::default().with_backoff(std::time::Duration::ZERO, std::time::Duration::ZERO),
            )
            .build()
            .unwrap();
        let call = |own: Option<&'static str>| {
            let mut options = crate::call::CallOptions::default();
            if let Some(key) = own {
                options.add_header("Idempotency-Key", key);
            }
            let (http, runtime, url) = (http.clone(), runtime.clone(), url.clone());
            options.scope(async move {
                let mut request = http.post(format!("{url}/things")).build().unwrap();
                runtime.prepare(&mut request, "create").unwrap();
                runtime.execute(&http, request, "create").await.unwrap().status().as_u16()
            })
        };
        assert_eq!(call(None).await, 201);
        assert_eq!(call(None).await, 201);
        assert_eq!(call(Some("order-42")).await, 201);
        let keys = keys.lock().unwrap().clone();
        assert_eq!(keys.len(), 9, "{keys:?}");
        let (first, second, own) = (&keys[0..3], &keys[3..6], &keys[6..9]);
        assert!(first.iter().all(|k| k == &first[0]) && uuid::Uuid::parse_str(&first[0]).is_ok(), "{keys:?}");
        assert!(second.iter().all(|k| k == &second[0]) && second[0] != first[0], "{keys:?}");
        assert!(own.iter().all(|k| k == "order-42"), "{keys:?}");
    }

    /// A spec without `servers` has no default base URL: `build()` asks for one, and takes one.
    #[test]
    fn no_default_base_url_needs_base_url_before_build() {
        static API: crate::ApiDescriptor = api_without_security("");
        let check = |base_url: Option<&str>, expected: Result<(), &str>| {
            let mut builder = super::ClientBuilder::<Built>::new(&API);
            if let Some(url) = base_url {
                builder = builder.base_url(url);
            }
            match (builder.build(), expected) {
                (Ok(_), Ok(())) => {}
                (Err(e), Err(fragment)) => assert!(e.to_string().contains(fragment), "{e}"),
                (Ok(_), Err(fragment)) => panic!("built; expected an error with `{fragment}`"),
                (Err(e), Ok(())) => panic!("{base_url:?}: {e}"),
            }
        };
        check(None, Err("Test API has no default base URL (its spec lists no servers): set one with `.base_url(..)`"));
        check(Some("http://127.0.0.1:9"), Ok(()));
    }
}
