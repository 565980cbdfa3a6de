//! Building a client (credentials, base URL, timeouts, retries) and the per-request hooks every
//! generated client runs: auth headers before sending, the retry loop around sending.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderName, HeaderValue};
use tracing::Instrument;

use crate::api::{ApiDescriptor, SecurityScheme};
use crate::auth::{resolve, Auth, Credential, Secret, UNMATCHED};
use crate::budget::{Budget, Rate, DEFAULT_REDIS_TIMEOUT};
use crate::error::{Error, Result};
use crate::observe::{Event, Hook, Observers};
use crate::retry::{classify, Attempt, Decision, Failure, Outcome, RetryPolicy};
use crate::retry_budget::{Bucket, RetryBudget};
use crate::send::{record_body_error, record_response};

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
    proxy: Option<String>,
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
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("headers", &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>())
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("proxy", &self.proxy.as_deref().map(redact_userinfo))
            .field("http_hooks", &self.http_hooks.len())
            .field("rate_limit", &self.limits.rate)
            .field("redis_url", &self.limits.redis_url.as_ref().map(|u| u.as_deref().map(redact_userinfo)))
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

    /// The token for the API's bearer scheme.
    pub fn bearer_token(self, token: impl Into<Secret>) -> Self {
        let scheme = self.scheme_name(|s| matches!(s, SecurityScheme::Bearer { .. }));
        self.credential(scheme, Credential::Token(token.into()))
    }

    /// Username and password for the API's HTTP Basic scheme.
    pub fn basic_auth(self, username: impl Into<Secret>, password: impl Into<Secret>) -> Self {
        let scheme = self.scheme_name(|s| matches!(s, SecurityScheme::Basic { .. }));
        self.credential(scheme, Credential::Basic { username: username.into(), password: password.into() })
    }

    /// The value of an API-key scheme, named by its header (`X-Api-Key`), its query parameter
    /// (`api_key`) or its scheme name.
    pub fn api_key(self, header_or_scheme: &str, key: impl Into<Secret>) -> Self {
        let scheme = self.scheme_name(|s| match s {
            SecurityScheme::ApiKey { name, header, .. } => {
                header.eq_ignore_ascii_case(header_or_scheme) || *name == header_or_scheme
            }
            SecurityScheme::ApiKeyQuery { name, param, .. } => *param == header_or_scheme || *name == header_or_scheme,
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

    /// The largest JSON response body the client reads (default 64 MiB); a larger one is
    /// [`Error::TooLarge`]. Non-JSON bodies (CSV exports) are streamed and not limited.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// Sends every request through this HTTP(S) proxy (`http://user:pass@proxy:3128`), except to
    /// the hosts listed in `NO_PROXY` / `no_proxy` (read through [`env_source`](Self::env_source)).
    ///
    /// Without it, the proxies of the environment apply as curl reads them: `HTTPS_PROXY`,
    /// `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (and the system settings on macOS and Windows).
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(url.into());
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
        let parsed =
            reqwest::Url::parse(&base_url).map_err(|e| Error::Config(format!("base URL `{base_url}`: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(Error::Config(format!("base URL `{base_url}` must be an absolute http(s) URL")));
        }
        let env = self.env.clone();
        let auth = resolve(self.api, &self.credentials, &move |name| env(name))?;
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
            let no_proxy = (self.env)("NO_PROXY").or_else(|| (self.env)("no_proxy")).unwrap_or_default();
            let proxy = reqwest::Proxy::all(url.as_str())
                .map_err(|e| Error::Config(format!("proxy `{}`: {e}", redact_userinfo(url))))?
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
                    .map_err(|e| Error::Config(format!("Redis URL `{}`: {e}", redact_userinfo(&url))))?,
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

/// Default limit for JSON response bodies.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header names only: values are credentials or may be.
        f.debug_struct("Runtime")
            .field("api", &self.api.name)
            .field("auth_headers", &self.auth.headers.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>())
            .field("auth_query", &self.auth.query.iter().map(|(n, _)| *n).collect::<Vec<_>>())
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

    /// The `pre` hook: the call's own options, default headers, and credentials for requests to the
    /// API's own origin. Generated code only.
    #[doc(hidden)]
    pub fn prepare(&self, request: &mut reqwest::Request, operation: &str) -> std::result::Result<(), String> {
        // progenitor sends `api-version: <info.version>`; these APIs do not use it.
        request.headers_mut().remove("api-version");
        crate::call::apply(request, &self.auth.headers)?;
        let credentials = request.url().origin() == self.origin && !self.api.anonymous_operations.contains(&operation);
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
        }
        Ok(())
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
        let base = reqwest::Url::parse(base_url).map_err(|e| Error::Config(format!("base URL `{base_url}`: {e}")))?;
        let url = base.join(link).map_err(|e| Error::ForeignLink(format!("`{link}`: {e}")))?;
        if url.origin() != self.origin {
            return Err(Error::ForeignLink(format!(
                "`{link}` is on {}, not the API's host",
                url.host_str().unwrap_or("?")
            )));
        }
        let mut request = http.get(url).build().map_err(Error::from_transport)?;
        self.prepare(&mut request, "fetch_link").map_err(Error::InvalidRequest)?;
        let response =
            crate::send::scoped(self.execute(http, request, "fetch_link")).await.map_err(Error::from_transport)?;
        if response.status().is_success() {
            return Ok(progenitor_client::ResponseValue::stream(response));
        }
        let status = response.status();
        let headers = response.headers().clone();
        let body = crate::error::read_bounded(Box::pin(response.bytes_stream()), crate::error::MAX_ERROR_BODY)
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
        let method = request.method().clone();
        // A link fetched for a job has no template: its path is the server's, not the spec's.
        let template = self.api.url_template(operation);
        let span = tracing::info_span!(
            "affiliate.request",
            otel.name = %format_args!("{method} {}", template.unwrap_or(operation)),
            otel.kind = "client",
            http.request.method = %method,
            server.address = request.url().host_str().unwrap_or_default(),
            server.port = request.url().port_or_known_default(),
            url.template = template,
            affiliate.api = self.api.name,
            affiliate.operation = operation,
            attempts = tracing::field::Empty,
            http.response.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        );
        // This call's retry policy, if it set one, instead of the client's.
        let overridden = crate::call::retry_override();
        let policy = overridden.as_ref().unwrap_or(&self.retry);
        let result = self.execute_with_retries(client, request, operation, policy).instrument(span.clone()).await;
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
    /// progenitor decodes the same bytes (no copy). Other bodies (errors, CSV streams) pass through
    /// unread.
    async fn buffer_json(&self, response: reqwest::Response, wants_json: bool) -> reqwest::Result<reqwest::Response> {
        let is_json = wants_json || is_json(response.headers().get(reqwest::header::CONTENT_TYPE));
        if !response.status().is_success() || !is_json {
            return Ok(response);
        }
        let mut response = response;
        let status = response.status();
        let version = response.version();
        // Moved, not cloned: reading the body does not need them.
        let headers = std::mem::take(response.headers_mut());
        let url = response.url().clone();
        let too_large = |size: u64| size > self.max_body_bytes as u64;
        let body = match response.content_length() {
            Some(length) if too_large(length) => {
                record_body_error(Error::TooLarge { status, limit: self.max_body_bytes });
                bytes::Bytes::new()
            }
            // A body of announced length within the limit: HTTP/1.1 and HTTP/2 framing stop the
            // read at that length, so reqwest may collect it (without a copy, when it arrived in
            // one piece).
            Some(_) => response.bytes().await?,
            None => {
                let mut buf = bytes::BytesMut::new();
                while let Some(chunk) = response.chunk().await? {
                    if too_large((buf.len() + chunk.len()) as u64) {
                        record_body_error(Error::TooLarge { status, limit: self.max_body_bytes });
                        buf.clear();
                        break;
                    }
                    buf.extend_from_slice(&chunk);
                }
                buf.freeze()
            }
        };
        // The page fingerprint of a pagination stream (a no-op outside one).
        crate::pagination::record_body(&body);
        // `x-affiliate-body-errors`: a success status whose body reports a failure. A success is
        // never retried, so checking every attempt checks the final one.
        if !self.api.body_errors.is_empty() {
            if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body) {
                if self.api.body_errors.iter().any(|rule| rule.matches(&value)) {
                    tracing::debug!(status = status.as_u16(), "success status, error body");
                    record_body_error(Error::from_response(status, &headers, &body));
                }
            }
        }
        Ok(rebuild(status, version, headers, url, body))
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
        let server = request.url().host_str().unwrap_or_default().to_string();
        let started = Instant::now();
        let mut attempt = 1;
        // What this call's retries took from the retry budget (given back if it succeeds).
        let mut spent = 0;
        loop {
            let waited = limits.budget.acquire().await;
            limits.observers.record_wait(self.api.name, waited);
            limits.observers.emit(|| Event::Request { operation, method: method.as_str(), attempt, waited });
            // A streaming body cannot be cloned: such a request gets one attempt.
            let spare = (attempt < policy.max_attempts).then(|| request.try_clone()).flatten();
            let sent = Instant::now();
            let result = match client.execute(request).await {
                Ok(response) => self.buffer_json(response, wants_json).await,
                Err(error) => Err(error),
            };
            let outcome = match &result {
                Ok(response) => Outcome::Status(response.status()),
                Err(error) => Outcome::Failed(classify(error)),
            };
            self.observe_attempt(&result, operation, &method, &server, attempt, sent.elapsed());
            // Read only where it can matter (a success is never retried).
            let retry_after = result
                .as_ref()
                .ok()
                .filter(|r| !r.status().is_success())
                .and_then(|r| crate::ratelimit::retry_after(r.headers()));
            let verdict = policy.decide(
                &Attempt {
                    outcome,
                    idempotent,
                    number: attempt,
                    elapsed: started.elapsed(),
                    retry_after,
                    resendable: spare.is_some(),
                },
                rand::random::<f64>(),
            );
            // The server said the budget is spent: every process on it waits, not only this one.
            if let Some(pause) = pause_hint(&result, retry_after, &verdict) {
                limits.budget.pause(pause).await;
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
                    tokio::time::sleep(wait).await;
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
        duration: Duration,
    ) {
        let observers = &self.limits.observers;
        if !observers.metrics && observers.hooks.is_empty() {
            return;
        }
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
    let limit = crate::ratelimit::RateLimit::from_headers(response.headers());
    if limit.remaining != Some(0) {
        return None;
    }
    let reset = limit.reset?;
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

/// `http://user:pass@host` -> `http://***@host`, for messages and `Debug`.
fn redact_userinfo(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => format!("{}***{}", &url[..scheme_end + 3], &url[at..]),
        _ => url.to_string(),
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
        struct Built(super::Runtime);
        impl super::FromParts for Built {
            fn from_parts(parts: super::Parts) -> Self {
                Built(parts.into_inner().2)
            }
        }
        static API: crate::ApiDescriptor = crate::ApiDescriptor {
            name: "test",
            title: "Test API",
            crate_name: "affiliate-test",
            crate_version: "0.0.0",
            default_base_url: "https://api.example.com",
            security: &[crate::SecurityScheme::ApiKeyQuery { name: "queryKey", param: "api_key", env: "T_QKEY" }],
            idempotent_operations: &[],
            anonymous_operations: &["health"],
            body_errors: &[],
            url_templates: &[],
            rate_limit: None,
            idempotency_headers: &[],
        };
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

    /// A descriptor of an API without servers, security or extensions.
    const NO_SERVERS: crate::ApiDescriptor = crate::ApiDescriptor {
        name: "test",
        title: "Test API",
        crate_name: "affiliate-test",
        crate_version: "0.0.0",
        default_base_url: "",
        security: &[],
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
        struct Built;
        impl super::FromParts for Built {
            fn from_parts(_: super::Parts) -> Self {
                Built
            }
        }
        static API: crate::ApiDescriptor = NO_SERVERS;
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
