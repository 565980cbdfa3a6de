//! Secrets: credentials never appear in Debug, Display, tracing output, or requests to other hosts.
//!
//! Every check runs for the three auth styles: Dub's bearer token, Partnerize's HTTP Basic
//! (application key + user key) and Geniuslink's two API-key headers.

use std::time::Duration;

use affiliate_runtime::{ClientBuilder, Credential, Error, RetryPolicy, Secret};
use futures::future::BoxFuture;
use futures::StreamExt;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::{header, received};

const DUB_TOKEN: &str = "dub_live_S3cr9QeT7pLm3RzA8bYcXw4K";
const PZ_APP_KEY: &str = "pzApp_7Hk2Lm9Qx4RvT1";
const PZ_USER_KEY: &str = "pzUser_Bq3Nw8Zt5Yc1Jf6D";
const GL_KEY: &str = "gl_key_6YcQ2mT9vRk4Wq";
const GL_SECRET: &str = "gl_secret_Zp8Lw3Nx7Hq1Bd5F";

/// The headers that carry credentials in any of the three styles.
const CREDENTIAL_HEADERS: [&str; 3] = ["authorization", "x-api-key", "x-api-secret"];

/// Standard base64 with padding (the `Authorization: Basic` encoding).
fn base64(input: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(input)
}

/// Everything that must never show: each secret, its part after the vendor prefix, and the base64
/// forms (each secret alone, and Partnerize's `app:user` pair as Basic auth sends it), without padding.
fn forbidden() -> Vec<String> {
    let mut all = Vec::new();
    for secret in [DUB_TOKEN, PZ_APP_KEY, PZ_USER_KEY, GL_KEY, GL_SECRET] {
        all.push(secret.to_string());
        all.push(secret.rsplit('_').next().unwrap().to_string());
        all.push(base64(secret).trim_end_matches('=').to_string());
    }
    all.push(base64(&format!("{PZ_APP_KEY}:{PZ_USER_KEY}")).trim_end_matches('=').to_string());
    all
}

#[track_caller]
fn assert_clean(what: &str, text: &str) {
    assert!(!text.is_empty(), "{what}: nothing to inspect");
    for secret in forbidden() {
        assert!(!text.contains(&secret), "{what} leaks `{secret}`:\n{text}");
    }
}

#[test]
fn the_base64_helper_matches_basic_auth() {
    assert_eq!(base64("app:user"), "YXBwOnVzZXI=");
    assert_eq!(base64("ab"), "YWI=");
    assert_eq!(base64("a"), "YQ==");
    assert_eq!(base64("abc"), "YWJj");
}

// ---------------------------------------------------------------------------------------------
// Clients
// ---------------------------------------------------------------------------------------------

fn fast() -> RetryPolicy {
    crate::support::quick_retries(2)
}

fn dub_builder(base_url: &str) -> ClientBuilder<affiliate_dub::Client> {
    affiliate_dub::Client::builder()
        .base_url(base_url)
        .bearer_token(DUB_TOKEN)
        .retry_policy(fast())
        .timeout(Duration::from_secs(5))
}

fn partnerize_builder(base_url: &str) -> ClientBuilder<affiliate_partnerize::Client> {
    affiliate_partnerize::Client::builder()
        .base_url(base_url)
        .basic_auth(PZ_APP_KEY, PZ_USER_KEY)
        .retry_policy(fast())
        .timeout(Duration::from_secs(5))
}

fn geniuslink_builder(base_url: &str) -> ClientBuilder<affiliate_geniuslink::Client> {
    affiliate_geniuslink::Client::builder()
        .base_url(base_url)
        .api_key("X-Api-Key", GL_KEY)
        .api_key("X-Api-Secret", GL_SECRET)
        .retry_policy(fast())
        .timeout(Duration::from_secs(5))
}

type Call = fn(String) -> BoxFuture<'static, affiliate_runtime::Result<()>>;
type Fetch = fn(String, String) -> BoxFuture<'static, affiliate_runtime::Result<()>>;

/// One API's auth style, exercised through one GET operation.
struct Api {
    name: &'static str,
    /// The operation's snake-case id (as tracing records it) and the path it requests.
    operation: &'static str,
    path: &'static str,
    /// A body the operation accepts as a success.
    ok_body: Value,
    /// Calls the operation with a client for the base URL.
    call: Call,
    /// `fetch_link(link)` with a client for the base URL.
    fetch: Fetch,
    /// The credential headers every request to the API's host must carry.
    auth: Vec<(&'static str, String)>,
}

fn apis() -> Vec<Api> {
    vec![
        Api {
            name: "dub (bearer)",
            operation: "list_partners",
            path: "/partners",
            ok_body: json!([]),
            call: |base| Box::pin(async move { dub_builder(&base).build()?.list_partners().send().await.map(drop) }),
            fetch: |base, link| Box::pin(async move { dub_builder(&base).build()?.fetch_link(&link).await.map(drop) }),
            auth: vec![("authorization", format!("Bearer {DUB_TOKEN}"))],
        },
        Api {
            name: "partnerize (basic)",
            operation: "list_tracking_links",
            path: "/v2/publishers/p1/links",
            ok_body: json!({"links": []}),
            call: |base| {
                Box::pin(async move {
                    partnerize_builder(&base).build()?.list_tracking_links().publisher_id("p1").send().await.map(drop)
                })
            },
            fetch: |base, link| {
                Box::pin(async move { partnerize_builder(&base).build()?.fetch_link(&link).await.map(drop) })
            },
            auth: vec![("authorization", format!("Basic {}", base64(&format!("{PZ_APP_KEY}:{PZ_USER_KEY}"))))],
        },
        Api {
            name: "geniuslink (api keys)",
            operation: "list_user_affiliate_tokens",
            path: "/v4/user-affiliate-tokens",
            ok_body: json!({}),
            call: |base| {
                Box::pin(async move {
                    geniuslink_builder(&base)
                        .build()?
                        .list_user_affiliate_tokens()
                        .username("jane")
                        .send()
                        .await
                        .map(drop)
                })
            },
            fetch: |base, link| {
                Box::pin(async move { geniuslink_builder(&base).build()?.fetch_link(&link).await.map(drop) })
            },
            auth: vec![("x-api-key", GL_KEY.to_string()), ("x-api-secret", GL_SECRET.to_string())],
        },
    ]
}

#[track_caller]
fn assert_carries_credentials(api: &Api, request: &Request) {
    for (name, value) in &api.auth {
        assert_eq!(header(request, name), Some(value.as_str()), "{}: {name} on {}", api.name, request.url);
    }
}

#[track_caller]
fn assert_no_credentials(what: &str, request: &Request) {
    for name in CREDENTIAL_HEADERS {
        assert!(header(request, name).is_none(), "{what}: {name} sent to {}", request.url);
    }
}

// ---------------------------------------------------------------------------------------------
// Debug and Display
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn credentials_never_show_in_debug_of_builders_clients_and_runtimes() {
    let base = "https://api.example.com";
    let env = |name: &str| {
        let value = match name {
            "DUB_API_KEY" => DUB_TOKEN,
            "PARTNERIZE_APPLICATION_KEY" => PZ_APP_KEY,
            "PARTNERIZE_USER_API_KEY" => PZ_USER_KEY,
            "GENIUSLINK_API_KEY" => GL_KEY,
            "GENIUSLINK_API_SECRET" => GL_SECRET,
            _ => return None,
        };
        Some(value.to_string())
    };
    let dub = dub_builder(base).build().unwrap();
    let partnerize = partnerize_builder(base).build().unwrap();
    let geniuslink = geniuslink_builder(base).build().unwrap();
    let dub_env = affiliate_dub::Client::builder().env_source(env).build().unwrap();
    let partnerize_env = affiliate_partnerize::Client::builder().env_source(env).build().unwrap();
    let geniuslink_env = affiliate_geniuslink::Client::builder().env_source(env).build().unwrap();
    let credential = Credential::Basic { username: Secret::new(PZ_APP_KEY), password: Secret::new(PZ_USER_KEY) };
    let builders = [
        ("dub builder", format!("{:?}", dub_builder(base)), "REDACTED"),
        ("partnerize builder", format!("{:?}", partnerize_builder(base)), "REDACTED"),
        ("geniuslink builder", format!("{:?}", geniuslink_builder(base)), "REDACTED"),
        (
            "builder with an explicit credential",
            format!("{:?}", affiliate_partnerize::Client::builder().credential("basicAuth", credential.clone())),
            "REDACTED",
        ),
        ("credential", format!("{credential:?}"), "REDACTED"),
        ("secret", format!("{:?}", Secret::new(DUB_TOKEN)), "REDACTED"),
    ];
    let clients = [
        ("dub client", format!("{dub:?}"), "authorization"),
        ("partnerize client", format!("{partnerize:?}"), "authorization"),
        ("geniuslink client", format!("{geniuslink:?}"), "x-api-secret"),
        ("dub client from env", format!("{dub_env:?}"), "authorization"),
        ("partnerize client from env", format!("{partnerize_env:?}"), "authorization"),
        ("geniuslink client from env", format!("{geniuslink_env:?}"), "x-api-secret"),
        ("dub runtime", format!("{:?}", dub.runtime()), "authorization"),
        ("partnerize runtime", format!("{:?}", partnerize.runtime()), "authorization"),
        ("geniuslink runtime", format!("{:?}", geniuslink.runtime()), "x-api-key"),
        ("pretty dub client", format!("{dub:#?}"), "authorization"),
        ("pretty geniuslink runtime", format!("{:#?}", geniuslink.runtime()), "x-api-secret"),
    ];
    for (what, debug, expected) in builders.into_iter().chain(clients) {
        assert_clean(what, &debug);
        // The credential is there, shown as a placeholder or by its header name only.
        assert!(debug.contains(expected), "{what}: expected `{expected}` in {debug}");
    }
}

fn variant(error: &Error) -> &'static str {
    match error {
        Error::Unauthorized(_) => "Unauthorized",
        Error::Transport(_) => "Transport",
        Error::Timeout(_) => "Timeout",
        Error::MissingCredential { .. } => "MissingCredential",
        Error::Config(_) => "Config",
        Error::ForeignLink(_) => "ForeignLink",
        _ => "other",
    }
}

/// Debug, Display, and Display of every source of an error.
fn renderings(error: &Error) -> String {
    let mut text = format!("{error:?}\n{error}\n{error:#?}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!("\n{cause}"));
        source = cause.source();
    }
    text
}

#[tokio::test]
async fn credentials_never_show_in_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": {"code": "unauthorized", "message": "Invalid API key"}}))
                .insert_header("www-authenticate", "Bearer realm=\"api\""),
        )
        .mount(&server)
        .await;
    let slow = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
        .mount(&slow)
        .await;
    // A port nothing listens on.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let none = |_: &str| None;
    let only = |present: &'static str, value: &'static str| move |name: &str| (name == present).then(|| value.into());

    let mut errors: Vec<(String, Error)> = Vec::new();
    for api in apis() {
        errors.push((format!("{}: 401", api.name), (api.call)(server.uri()).await.unwrap_err()));
        errors.push((format!("{}: refused", api.name), (api.call)(closed.clone()).await.unwrap_err()));
        errors.push((
            format!("{}: foreign link", api.name),
            (api.fetch)(server.uri(), closed.clone()).await.unwrap_err(),
        ));
    }
    let timeout = dub_builder(&slow.uri()).timeout(Duration::from_millis(100)).retry_policy(RetryPolicy::none());
    errors.push(("dub: timeout".into(), timeout.build().unwrap().list_partners().send().await.unwrap_err()));
    let timeout = geniuslink_builder(&slow.uri()).timeout(Duration::from_millis(100)).retry_policy(RetryPolicy::none());
    let timed_out = timeout.build().unwrap().list_user_affiliate_tokens().username("jane").send().await;
    errors.push(("geniuslink: timeout".into(), timed_out.unwrap_err()));

    let builds: Vec<(&str, affiliate_runtime::Result<()>)> = vec![
        ("dub: no token", affiliate_dub::Client::builder().env_source(none).build().map(drop)),
        (
            "partnerize: user key missing",
            affiliate_partnerize::Client::builder()
                .env_source(only("PARTNERIZE_APPLICATION_KEY", PZ_APP_KEY))
                .build()
                .map(drop),
        ),
        (
            "geniuslink: secret missing",
            affiliate_geniuslink::Client::builder().api_key("X-Api-Key", GL_KEY).env_source(none).build().map(drop),
        ),
        (
            "geniuslink: key missing",
            affiliate_geniuslink::Client::builder()
                .env_source(only("GENIUSLINK_API_SECRET", GL_SECRET))
                .build()
                .map(drop),
        ),
        (
            "dub: token with a newline",
            affiliate_dub::Client::builder().bearer_token(format!("{DUB_TOKEN}\n")).build().map(drop),
        ),
        (
            "geniuslink: secret with a control character",
            geniuslink_builder("https://api.geni.us")
                .api_key("X-Api-Secret", format!("{GL_SECRET}\r"))
                .build()
                .map(drop),
        ),
        ("dub: a bad base URL", dub_builder("not a url").build().map(drop)),
        ("partnerize: a relative base URL", partnerize_builder("/v2").build().map(drop)),
        (
            "dub: a credential of the wrong kind",
            dub_builder("https://api.dub.co")
                .credential("token", Credential::Basic { username: PZ_APP_KEY.into(), password: PZ_USER_KEY.into() })
                .build()
                .map(drop),
        ),
        (
            "geniuslink: a bad header name",
            geniuslink_builder("https://api.geni.us").header("X Bad", GL_SECRET).build().map(drop),
        ),
    ];
    for (what, result) in builds {
        errors.push((what.to_string(), result.unwrap_err()));
    }

    let mut seen: Vec<&str> = errors.iter().map(|(_, e)| variant(e)).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen, ["Config", "ForeignLink", "MissingCredential", "Timeout", "Transport", "Unauthorized"]);
    for (what, error) in &errors {
        assert_clean(what, &renderings(error));
    }
    // The 401s did carry the credentials: their absence above is redaction, not omission.
    let requests = received(&server).await;
    assert_eq!(requests.len(), 3, "three 401s, not retried; no request for the foreign links");
    for (api, request) in apis().iter().zip(&requests) {
        assert_carries_credentials(api, request);
    }
}

// ---------------------------------------------------------------------------------------------
// Tracing
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn trace_output_of_a_retry_and_error_cycle_has_no_credentials() {
    // This test's thread only (a current-thread runtime: the HTTP connections run here too).
    let (buffer, guard) = crate::support::capture_traces();
    for api in apis() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(api.path))
            .respond_with(ResponseTemplate::new(503).set_body_json(json!({"error": {"message": "busy"}})))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(api.path))
            .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {"message": "bad key"}})))
            .mount(&server)
            .await;
        let error = (api.call)(server.uri()).await.unwrap_err();
        assert!(matches!(error, Error::Unauthorized(_)), "{}: {error:?}", api.name);
        // What a service would do with it.
        tracing::error!(error = %error, debug = ?error, "{} failed", api.operation);
        let requests = received(&server).await;
        assert_eq!(requests.len(), 2, "{}: the 503, then the 401", api.name);
        for request in &requests {
            assert_carries_credentials(&api, request);
        }
    }
    drop(guard);
    let text = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
    assert_clean("trace output", &text);
    for api in apis() {
        assert!(text.contains(api.operation), "trace output names {}:\n{text}", api.operation);
    }
    for expected in ["retrying", "503", "401", "attempts=2"] {
        assert!(text.contains(expected), "trace output mentions `{expected}`:\n{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Other hosts
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn credentials_are_not_sent_to_a_next_page_link_on_another_host() {
    let api = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/publishers/p1/links"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "links": [{"id": "l1"}],
            "hypermedia": {"pagination": {"next_page": format!("{}/v2/publishers/p1/links?offset=1", elsewhere.uri())}}
        })))
        .mount(&api)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"links": []})))
        .mount(&elsewhere)
        .await;
    let client = partnerize_builder(&api.uri()).build().unwrap();
    let results: Vec<_> = client.list_tracking_links().publisher_id("p1").stream().collect().await;
    assert_eq!(results.len(), 2, "{results:?}");
    assert_eq!(results[0].as_ref().unwrap().id.as_deref(), Some("l1"));
    assert!(matches!(&results[1], Err(Error::Pagination(_))), "{:?}", results[1]);
    assert_eq!(received(&elsewhere).await.len(), 0);
    let requests = received(&api).await;
    assert_eq!(requests.len(), 1);
    assert_carries_credentials(&apis()[1], &requests[0]);
}

#[tokio::test]
async fn fetch_link_sends_credentials_to_the_api_host_only() {
    for api in apis() {
        let home = MockServer::start().await;
        let elsewhere = MockServer::start().await;
        for server in [&home, &elsewhere] {
            Mock::given(method("GET"))
                .and(path("/exports/1.csv"))
                .respond_with(ResponseTemplate::new(200).set_body_raw("a,b\n", "text/csv"))
                .mount(server)
                .await;
        }
        (api.fetch)(home.uri(), "/exports/1.csv".into()).await.unwrap();
        (api.fetch)(home.uri(), format!("{}/exports/1.csv", home.uri())).await.unwrap();
        let error = (api.fetch)(home.uri(), format!("{}/exports/1.csv", elsewhere.uri())).await.unwrap_err();
        assert!(matches!(error, Error::ForeignLink(_)), "{}: {error:?}", api.name);
        assert_eq!(received(&elsewhere).await.len(), 0, "{}", api.name);
        let requests = received(&home).await;
        assert_eq!(requests.len(), 2, "{}: the relative and the absolute same-host link", api.name);
        for request in &requests {
            assert_carries_credentials(&api, request);
        }
    }
}

#[tokio::test]
async fn redirects_to_another_host_are_not_followed_and_same_host_ones_are() {
    for api in apis() {
        let home = MockServer::start().await;
        let elsewhere = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&api.ok_body))
            .mount(&elsewhere)
            .await;

        // To another host: not followed; the caller gets the 302.
        Mock::given(method("GET"))
            .and(path(api.path))
            .respond_with(
                ResponseTemplate::new(302).insert_header("location", format!("{}/x", elsewhere.uri()).as_str()),
            )
            .mount(&home)
            .await;
        let error = (api.call)(home.uri()).await.unwrap_err();
        for request in received(&elsewhere).await {
            assert_no_credentials(api.name, &request);
        }
        assert!(matches!(error, Error::Api(_)), "{}: {error:?}", api.name);
        assert_eq!(error.status().map(|s| s.as_u16()), Some(302), "{}", api.name);
        assert_eq!(received(&elsewhere).await.len(), 0, "{}: the other host gets nothing", api.name);
        let requests = received(&home).await;
        assert_eq!(requests.len(), 1, "{}: a 3xx is not retried", api.name);
        assert_carries_credentials(&api, &requests[0]);

        // Within the API's host: followed, with the credentials.
        home.reset().await;
        Mock::given(method("GET"))
            .and(path(api.path))
            .respond_with(ResponseTemplate::new(302).insert_header("location", "/moved"))
            .mount(&home)
            .await;
        Mock::given(method("GET"))
            .and(path("/moved"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&api.ok_body))
            .mount(&home)
            .await;
        (api.call)(home.uri()).await.unwrap_or_else(|e| panic!("{}: {e:?}", api.name));
        let requests = received(&home).await;
        let paths: Vec<&str> = requests.iter().map(|r| r.url.path()).collect();
        assert_eq!(paths, [api.path, "/moved"], "{}", api.name);
        for request in &requests {
            assert_carries_credentials(&api, request);
        }
    }
}

#[tokio::test]
async fn a_same_host_redirect_that_then_leaves_the_host_is_stopped() {
    // home -> home/hop -> elsewhere: the second hop is refused; elsewhere never hears from us.
    for api in apis() {
        let home = MockServer::start().await;
        let elsewhere = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(api.path))
            .respond_with(ResponseTemplate::new(307).insert_header("location", "/hop"))
            .mount(&home)
            .await;
        Mock::given(method("GET"))
            .and(path("/hop"))
            .respond_with(
                ResponseTemplate::new(307).insert_header("location", format!("{}/x", elsewhere.uri()).as_str()),
            )
            .mount(&home)
            .await;
        let error = (api.call)(home.uri()).await.unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(307), "{}: {error:?}", api.name);
        assert_eq!(received(&elsewhere).await.len(), 0, "{}", api.name);
        assert_eq!(received(&home).await.len(), 2, "{}", api.name);
    }
}

#[tokio::test]
async fn credentials_echoed_in_response_headers_are_redacted_in_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"responseStatus": {"errorCode": "Unauthorized", "message": "bad key"}}))
                .insert_header("x-api-key", GL_KEY)
                .insert_header("x-api-secret", GL_SECRET)
                .insert_header("authorization", format!("Bearer {DUB_TOKEN}").as_str()),
        )
        .mount(&server)
        .await;
    for api in apis() {
        let error = (api.call)(server.uri()).await.unwrap_err();
        assert!(matches!(error, Error::Unauthorized(_)), "{}: {error:?}", api.name);
        // The headers stay readable to code that asks for them; only their rendering is redacted.
        assert_eq!(error.api_error().unwrap().headers.get("x-api-key").unwrap(), GL_KEY);
        assert_clean(api.name, &renderings(&error));
    }
}

/// A client of a test-local API, doing what a generated client's hooks do (`prepare`, then
/// `execute`) on a descriptor of our own: no committed spec has an anonymous operation.
struct Local {
    http: reqwest::Client,
    runtime: affiliate_runtime::Runtime,
}

impl affiliate_runtime::__private::FromParts for Local {
    fn from_parts(parts: affiliate_runtime::__private::Parts) -> Self {
        let (_, http, runtime) = parts.into_inner();
        Local { http, runtime }
    }
}

impl Local {
    async fn get(&self, url: String, operation: &'static str) {
        let mut request = self.http.get(url).build().unwrap();
        self.runtime.prepare(&mut request, operation).unwrap();
        self.runtime.execute(&self.http, request, operation).await.unwrap();
    }
}

#[tokio::test]
async fn header_credentials_skip_anonymous_operations_and_other_origins() {
    use affiliate_runtime::{ApiDescriptor, SecurityScheme};
    const fn api(security: &'static [SecurityScheme]) -> ApiDescriptor {
        ApiDescriptor {
            name: "local",
            title: "Local API",
            crate_name: "affiliate-local",
            crate_version: "0.0.0",
            default_base_url: "",
            security,
            idempotent_operations: &[],
            anonymous_operations: &["health"],
            body_errors: &[],
            url_templates: &[],
        }
    }
    static BEARER: ApiDescriptor = api(&[SecurityScheme::Bearer { name: "token", env: "LOCAL_TOKEN" }]);
    static BASIC: ApiDescriptor =
        api(&[SecurityScheme::Basic { name: "basic", env_username: "LOCAL_USER", env_password: "LOCAL_PASS" }]);
    static KEYS: ApiDescriptor = api(&[
        SecurityScheme::ApiKey { name: "key", header: "X-Api-Key", env: "LOCAL_KEY" },
        SecurityScheme::ApiKey { name: "secret", header: "X-Api-Secret", env: "LOCAL_SECRET" },
    ]);
    let basic = format!("Basic {}", base64(&format!("{PZ_APP_KEY}:{PZ_USER_KEY}")));
    // (style, builder with its credentials, the headers an authenticated request carries)
    type Case = (&'static str, ClientBuilder<Local>, Vec<(&'static str, String)>);
    let cases: [Case; 3] = [
        (
            "bearer",
            ClientBuilder::new(&BEARER).bearer_token(DUB_TOKEN),
            vec![("authorization", format!("Bearer {DUB_TOKEN}"))],
        ),
        ("basic", ClientBuilder::new(&BASIC).basic_auth(PZ_APP_KEY, PZ_USER_KEY), vec![("authorization", basic)]),
        (
            "api keys",
            ClientBuilder::new(&KEYS).api_key("X-Api-Key", GL_KEY).api_key("X-Api-Secret", GL_SECRET),
            vec![("x-api-key", GL_KEY.to_string()), ("x-api-secret", GL_SECRET.to_string())],
        ),
    ];
    for (style, builder, sent) in cases {
        let home = MockServer::start().await;
        let elsewhere = MockServer::start().await;
        for server in [&home, &elsewhere] {
            Mock::given(method("GET")).respond_with(ResponseTemplate::new(200)).mount(server).await;
        }
        let client = builder.base_url(home.uri()).env_source(|_| None).build().unwrap();
        client.get(format!("{}/things", home.uri()), "list").await;
        client.get(format!("{}/health", home.uri()), "health").await;
        client.get(format!("{}/things", elsewhere.uri()), "list").await;

        let at_home = received(&home).await;
        assert_eq!(at_home.len(), 2, "{style}");
        for (name, value) in &sent {
            assert_eq!(header(&at_home[0], name), Some(value.as_str()), "{style}: {name} on the API's own operation");
        }
        let anonymous = &at_home[1];
        assert_eq!(anonymous.url.path(), "/health");
        let foreign = received(&elsewhere).await;
        assert_eq!(foreign.len(), 1, "{style}");
        for (what, request) in [("an anonymous operation", anonymous), ("another origin", &foreign[0])] {
            for name in CREDENTIAL_HEADERS {
                assert_eq!(header(request, name), None, "{style}: {name} sent to {what}");
            }
        }
    }
}
