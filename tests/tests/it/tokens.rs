//! OAuth2 and the other security schemes a published spec may use, through the runtime the
//! generated clients share: the client-credentials grant against a loopback token endpoint (one
//! token for many calls, renewed before expiry, renewed once after a 401, over TLS too),
//! alternative security requirements, and cookie keys, with credentials kept off other origins
//! and anonymous operations.
//!
//! No committed spec uses these schemes yet, so the client here is a test-local descriptor driven
//! through `ClientBuilder` and the same `prepare` / `execute` hooks a generated client calls.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use affiliate_runtime::__private::{send, CallOptions, FromParts, Parts};
use affiliate_runtime::{ApiDescriptor, ByteStream, ClientBuilder, Error, ResponseValue, Runtime, SecurityScheme};
use wiremock::matchers::{body_string_contains, header as header_is, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::support::{header, quick_retries, received};
use affiliate_tests::net::{addr_of, test_root, TlsFront};

const CLIENT_ID: &str = "svc-reporting";
const CLIENT_SECRET: &str = "cs_9QeT7pLm3RzA8bYc";

/// A client of a test-local API, calling through the runtime's hooks as generated code does.
struct TestClient {
    base_url: String,
    http: reqwest::Client,
    runtime: Runtime,
}

impl FromParts for TestClient {
    fn from_parts(parts: Parts) -> Self {
        let (base_url, http, runtime) = parts.into_inner();
        TestClient { base_url, http, runtime }
    }
}

impl TestClient {
    /// GET `url` (a path on the API, or an absolute URL) as `operation`, with `options`.
    async fn get(&self, url: &str, operation: &'static str, options: CallOptions) -> affiliate_runtime::Result<u16> {
        use progenitor_client::Error as P;
        let url = if url.starts_with('/') { format!("{}{url}", self.base_url) } else { url.to_string() };
        let call = async {
            let mut request = self.http.get(&url).build().map_err(P::CommunicationError)?;
            self.runtime.prepare(&mut request, operation).map_err(P::Custom)?;
            let response = self.runtime.execute(&self.http, request, operation).await.map_err(P::CommunicationError)?;
            let value: ResponseValue<ByteStream> = ResponseValue::stream(response);
            if value.status().is_success() {
                Ok(value)
            } else {
                Err(P::ErrorResponse(value))
            }
        };
        send(options, call).await.map(|value| value.status().as_u16())
    }
}

/// A descriptor for one test (its token URL names a server started for it).
fn descriptor(
    security: Vec<SecurityScheme>,
    requirements: &'static [&'static [&'static str]],
) -> &'static ApiDescriptor {
    Box::leak(Box::new(ApiDescriptor {
        name: "tokens",
        title: "Token Test API",
        crate_name: "affiliate-tokens-test",
        crate_version: "0.0.0",
        default_base_url: "",
        security: Box::leak(security.into_boxed_slice()),
        requirements,
        idempotent_operations: &[],
        anonymous_operations: &["health"],
        body_errors: &[],
        url_templates: &[],
    }))
}

fn oauth(token_url: &str) -> SecurityScheme {
    SecurityScheme::OAuth2 {
        name: "oauth",
        env: "TOKENS_ACCESS_TOKEN",
        token_url: Some(Box::leak(token_url.to_string().into_boxed_str())),
        scopes: &["read", "write"],
    }
}

/// The environment of a service configured with client credentials (`from_env`).
fn client_env(name: &str) -> Option<String> {
    match name {
        "TOKENS_CLIENT_ID" => Some(CLIENT_ID.to_string()),
        "TOKENS_CLIENT_SECRET" => Some(CLIENT_SECRET.to_string()),
        _ => None,
    }
}

/// The token endpoint: `tok-1`, `tok-2`, ... each living `expires_in` seconds.
struct Issuer {
    issued: Arc<AtomicUsize>,
    expires_in: u64,
}

impl Respond for Issuer {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": format!("tok-{n}"),
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }))
    }
}

/// The API: 401 for the tokens it has revoked, 200 otherwise.
struct Api {
    revoked: &'static [&'static str],
}

impl Respond for Api {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let token = header(request, "authorization").and_then(|h| h.strip_prefix("Bearer ")).unwrap_or_default();
        if token.is_empty() || self.revoked.contains(&token) {
            ResponseTemplate::new(401).set_body_json(serde_json::json!({"error": {"message": "token expired"}}))
        } else {
            ResponseTemplate::new(200).set_body_json(serde_json::json!({}))
        }
    }
}

/// What a service does between calls.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// This many calls at once; each must end with this status (or error kind).
    Calls(usize, Result<u16, &'static str>),
    Sleep(Duration),
}

struct Case {
    name: &'static str,
    expires_in: u64,
    revoked: &'static [&'static str],
    steps: &'static [Step],
    /// Tokens fetched, and calls the API received, in all.
    token_fetches: usize,
    api_calls: usize,
}

const CASES: &[Case] = &[
    Case {
        name: "one token for many concurrent calls",
        expires_in: 3600,
        revoked: &[],
        steps: &[Step::Calls(30, Ok(200)), Step::Calls(10, Ok(200))],
        token_fetches: 1,
        api_calls: 40,
    },
    Case {
        // Renewed a quarter of its lifetime early: at 1.5 s for a 2 s token.
        name: "renewed shortly before expiry",
        expires_in: 2,
        revoked: &[],
        steps: &[Step::Calls(5, Ok(200)), Step::Sleep(Duration::from_millis(1700)), Step::Calls(5, Ok(200))],
        token_fetches: 2,
        api_calls: 10,
    },
    Case {
        name: "a 401 gets one new token, shared by the calls that saw it",
        expires_in: 3600,
        revoked: &["tok-1"],
        steps: &[Step::Calls(10, Ok(200)), Step::Calls(5, Ok(200))],
        token_fetches: 2,
        api_calls: 25,
    },
    Case {
        name: "a second 401 stands",
        expires_in: 3600,
        revoked: &["tok-1", "tok-2"],
        steps: &[Step::Calls(1, Err("unauthorized"))],
        token_fetches: 2,
        api_calls: 2,
    },
];

/// Runs `case` against a token endpoint and an API on loopback, over TLS when `tls`.
async fn check(case: &Case, tls: bool) {
    let name = format!("{} ({})", case.name, if tls { "https" } else { "http" });
    let (token_server, api) = (MockServer::start().await, MockServer::start().await);
    let issued = Arc::new(AtomicUsize::new(0));
    let basic = basic_credentials();
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(header_is("authorization", format!("Basic {basic}").as_str()))
        .and(header_is("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("scope=read+write"))
        .respond_with(Issuer { issued: issued.clone(), expires_in: case.expires_in })
        .expect(case.token_fetches as u64)
        .mount(&token_server)
        .await;
    Mock::given(method("GET"))
        .and(path("/things"))
        .respond_with(Api { revoked: case.revoked })
        .expect(case.api_calls as u64)
        .mount(&api)
        .await;
    let fronts = if tls {
        Some((TlsFront::start(addr_of(&token_server)).await, TlsFront::start(addr_of(&api)).await))
    } else {
        None
    };
    let (token_base, api_base) = match &fronts {
        Some((token_front, api_front)) => (token_front.url(), api_front.url()),
        None => (token_server.uri(), api.uri()),
    };
    let api_descriptor = descriptor(vec![oauth(&format!("{token_base}/oauth/token"))], &[]);
    let client = ClientBuilder::<TestClient>::new(api_descriptor)
        .base_url(&api_base)
        .env_source(client_env)
        .configure_http(|http| http.add_root_certificate(test_root()))
        .build()
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    for step in case.steps {
        match *step {
            Step::Sleep(pause) => tokio::time::sleep(pause).await,
            Step::Calls(n, expected) => {
                let calls = (0..n).map(|_| client.get("/things", "list_things", CallOptions::default()));
                for result in futures::future::join_all(calls).await {
                    match (result, expected) {
                        (Ok(status), Ok(want)) => assert_eq!(status, want, "{name}"),
                        (Err(error), Err(kind)) => {
                            assert_eq!(error.kind(), kind, "{name}: {error}");
                            assert!(!error.to_string().contains("tok-"), "{name}: {error}");
                        }
                        (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
                    }
                }
            }
        }
    }
    assert_eq!(issued.load(Ordering::SeqCst), case.token_fetches, "{name}: token fetches");
    assert_eq!(received(&api).await.len(), case.api_calls, "{name}: API calls");
    if let Some((token_front, api_front)) = &fronts {
        assert!(token_front.handshakes() >= 1 && api_front.handshakes() >= 1, "{name}: both over TLS");
    }
    token_server.verify().await;
    api.verify().await;
}

#[tokio::test]
async fn client_credentials_tokens_are_shared_renewed_and_retried_once() {
    // This test's thread only (a current-thread runtime: the HTTP connections run here too).
    let (traces, guard) = crate::support::capture_traces();
    for case in CASES {
        check(case, false).await;
    }
    // Over TLS: the token endpoint is reached with the client's own HTTP stack (its roots).
    for case in CASES.iter().filter(|c| c.expires_in > 2) {
        check(case, true).await;
    }
    drop(guard);
    let traces = String::from_utf8(traces.lock().unwrap().clone()).unwrap();
    assert!(traces.contains("401: asking the token source again"), "the renewal is traced");
    for secret in [CLIENT_SECRET, "tok-1", "tok-2", &basic_credentials()] {
        assert!(!traces.contains(secret), "`{secret}` in the traces");
    }
}

/// `client_id:client_secret` as HTTP Basic sends it.
fn basic_credentials() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
}

/// The token endpoint's refusals and failures are an `Error::Token` that names the endpoint's
/// OAuth error and never the secret; the API is not called.
#[tokio::test]
async fn token_endpoint_errors_are_clear_and_send_nothing() {
    // (answer, message, retryable, token requests with three attempts allowed)
    let cases: &[(ResponseTemplate, &str, bool, u64)] = &[
        (
            ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"error": "invalid_client", "error_description": "Unknown client"})),
            "answered 401 Unauthorized: invalid_client: Unknown client",
            false,
            1,
        ),
        (ResponseTemplate::new(503).set_body_string("down"), "answered 503 Service Unavailable", true, 3),
        (ResponseTemplate::new(200).set_body_json(serde_json::json!({"token": "x"})), "has no access_token", false, 1),
    ];
    for (answer, fragment, retryable, requests) in cases {
        let (token_server, api) = (MockServer::start().await, MockServer::start().await);
        Mock::given(method("POST")).respond_with(answer.clone()).expect(*requests).mount(&token_server).await;
        Mock::given(method("GET")).respond_with(ResponseTemplate::new(200)).expect(0).mount(&api).await;
        let client =
            ClientBuilder::<TestClient>::new(descriptor(vec![oauth(&format!("{}/t", token_server.uri()))], &[]))
                .base_url(api.uri())
                .env_source(client_env)
                .retry_policy(quick_retries(3))
                .build()
                .unwrap();
        let error = client.get("/things", "list_things", CallOptions::default()).await.unwrap_err();
        let text = format!("{error} {error:?}");
        assert!(matches!(error, Error::Token { .. }), "{text}");
        assert!(text.contains(fragment) && text.contains("/t"), "{text}");
        assert_eq!(error.is_retryable(), *retryable, "{text}");
        assert!(!text.contains(CLIENT_SECRET), "{text}");
        api.verify().await;
        token_server.verify().await;
    }
    // A passing failure of the token endpoint is retried within the call's policy.
    let (token_server, api) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .expect(1)
        .mount(&token_server)
        .await;
    Mock::given(method("POST"))
        .respond_with(Issuer { issued: Arc::default(), expires_in: 60 })
        .expect(1)
        .mount(&token_server)
        .await;
    Mock::given(method("GET")).respond_with(Api { revoked: &[] }).expect(1).mount(&api).await;
    let client = ClientBuilder::<TestClient>::new(descriptor(vec![oauth(&format!("{}/t", token_server.uri()))], &[]))
        .base_url(api.uri())
        .env_source(client_env)
        .retry_policy(quick_retries(2))
        .build()
        .unwrap();
    assert_eq!(client.get("/things", "list_things", CallOptions::default()).await.unwrap(), 200);
    token_server.verify().await;
    api.verify().await;

    // The failure also reaches a link fetched for a job, rather than a stand-in response.
    let token_server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(400)).mount(&token_server).await;
    let client = ClientBuilder::<TestClient>::new(descriptor(vec![oauth(&format!("{}/t", token_server.uri()))], &[]))
        .base_url("http://127.0.0.1:9")
        .env_source(client_env)
        .retry_policy(quick_retries(1))
        .build()
        .unwrap();
    let error = client.runtime.fetch_link(&client.http, &client.base_url, "/result.csv").await.map(drop).unwrap_err();
    assert!(matches!(error, Error::Token { .. }), "{error}");
}

/// Alternative requirements from the environment, each credential kind arriving as the spec
/// says, and none of them (nor a token fetch) for an anonymous operation or another origin.
#[tokio::test]
async fn the_first_configured_requirement_is_sent_to_the_api_only() {
    const EITHER: &[&[&str]] = &[&["key"], &["oauth"], &["session"]];
    let (token_server, api, elsewhere) =
        (MockServer::start().await, MockServer::start().await, MockServer::start().await);
    let issued = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .respond_with(Issuer { issued: issued.clone(), expires_in: 3600 })
        .mount(&token_server)
        .await;
    for server in [&api, &elsewhere] {
        Mock::given(method("GET")).respond_with(ResponseTemplate::new(200)).mount(server).await;
    }
    let security = vec![
        SecurityScheme::ApiKey { name: "key", header: "X-Api-Key", env: "TOKENS_KEY" },
        oauth(&format!("{}/oauth/token", token_server.uri())),
        SecurityScheme::ApiKeyCookie { name: "session", cookie: "sid", env: "TOKENS_SID" },
    ];
    let api_descriptor = descriptor(security, EITHER);
    // (environment, what the API receives: `header: value`, token fetches so far)
    type Env = &'static [(&'static str, &'static str)];
    let cases: &[(Env, &str, usize)] = &[
        (&[("TOKENS_KEY", "k-1"), ("TOKENS_SID", "s-1")], "x-api-key: k-1", 0),
        (
            &[("TOKENS_SID", "s-1"), ("TOKENS_CLIENT_ID", CLIENT_ID), ("TOKENS_CLIENT_SECRET", CLIENT_SECRET)],
            "authorization: Bearer tok-1",
            1,
        ),
        (&[("TOKENS_SID", "s-1"), ("TOKENS_ACCESS_TOKEN", "static-at")], "authorization: Bearer static-at", 1),
        (&[("TOKENS_SID", "s-1")], "cookie: theme=dark; sid=s-1", 1),
    ];
    for (env, expected, fetches) in cases {
        let vars: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let client = ClientBuilder::<TestClient>::new(api_descriptor)
            .base_url(api.uri())
            .env_source(move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
            .build()
            .unwrap();
        let mut options = CallOptions::default();
        options.add_header("Cookie", "theme=dark");
        let foreign = format!("{}/elsewhere", elsewhere.uri());
        for (url, operation) in [("/things", "list_things"), ("/health", "health"), (foreign.as_str(), "list_things")] {
            assert_eq!(client.get(url, operation, options.clone()).await.unwrap(), 200, "{expected} {url}");
        }
        let requests = [received(&api).await, received(&elsewhere).await].concat();
        let (name, value) = expected.split_once(": ").unwrap();
        let [to_api, anonymous, foreign] = &requests[requests.len() - 3..] else { unreachable!() };
        assert_eq!(header(to_api, name), Some(value), "{expected}");
        for (what, request) in [("anonymous", anonymous), ("foreign", foreign)] {
            for credential in ["authorization", "x-api-key"] {
                assert_eq!(header(request, credential), None, "{what}: {expected}");
            }
            assert_eq!(header(request, "cookie"), Some("theme=dark"), "{what}: {expected}");
        }
        assert_eq!(issued.load(Ordering::SeqCst), *fetches, "{expected}: token fetches");
        api.reset().await;
        elsewhere.reset().await;
        for server in [&api, &elsewhere] {
            Mock::given(method("GET")).respond_with(ResponseTemplate::new(200)).mount(server).await;
        }
    }
    // Nothing configured: every requirement and its variables.
    let error = ClientBuilder::<TestClient>::new(api_descriptor)
        .base_url(api.uri())
        .env_source(|_| None)
        .build()
        .map(drop)
        .unwrap_err();
    assert_eq!(error.kind(), "missing_credential");
    assert_eq!(
        error.to_string(),
        "missing credential: the API accepts any one of 3 security requirements and none is configured; set the \
         environment variables of one, or pass its credentials to the client builder: (1) `key`: TOKENS_KEY; \
         (2) `oauth`: TOKENS_ACCESS_TOKEN (or TOKENS_CLIENT_ID and TOKENS_CLIENT_SECRET); (3) `session`: TOKENS_SID"
    );
}
