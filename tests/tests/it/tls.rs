//! The path a service really takes: `Client::builder()` with the spec's default https base URL,
//! over TLS (a certificate made at test time, trusted through `configure_http`), HTTP/2 by ALPN,
//! compressed bodies, proxies; and what a service sees when TLS or the connection fails.
//!
//! The production host names are pointed at loopback with reqwest's `resolve`: nothing leaves the
//! machine, yet the client sends to `https://api.<vendor>/...` exactly as in production.

use std::io::Write;
use std::net::SocketAddr;

use affiliate_runtime::{Error, TransportKind};
use futures::TryStreamExt;
use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{header, quick_retries, received, Spec};
use affiliate_tests::net::{addr_of, test_root, ConnectProxy, TlsFront};

const DUB_TOKEN: &str = "dub_live_tls_9QeT7pLm3RzA";

/// The hook a service would pass to `configure_http`: trust the test CA, and find `host` at the
/// TLS front.
fn trusting(
    host: &'static str,
    front: &TlsFront,
) -> impl FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + 'static {
    let addr = front.addr;
    move |http| http.add_root_certificate(test_root()).resolve(host, addr)
}

/// `body` compressed with `encoding` (`gzip`, `br` or `zstd`).
fn compress(encoding: &str, body: &[u8]) -> Vec<u8> {
    match encoding {
        "gzip" => {
            let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(body).unwrap();
            encoder.finish().unwrap()
        }
        "br" => {
            let mut out = Vec::new();
            brotli::BrotliCompress(&mut &body[..], &mut out, &brotli::enc::BrotliEncoderParams::default()).unwrap();
            out
        }
        "zstd" => zstd::encode_all(body, 3).unwrap(),
        other => panic!("no encoder for {other}"),
    }
}

fn compressed(status: u16, encoding: &str, content_type: &str, body: &[u8]) -> ResponseTemplate {
    let encoded = compress(encoding, body);
    assert!(encoded.len() < body.len() || body.len() < 64, "{encoding} actually compresses");
    ResponseTemplate::new(status).set_body_raw(encoded, content_type).insert_header("content-encoding", encoding)
}

fn compressed_json(encoding: &str, value: &Value) -> ResponseTemplate {
    compressed(200, encoding, "application/json", &serde_json::to_vec(value).unwrap())
}

/// What every request over TLS must carry: the API's credentials, and an offer of every
/// compression the client can decode.
fn assert_wire(requests: &[wiremock::Request], credentials: &[(&str, &str)]) {
    assert!(!requests.is_empty());
    for request in requests {
        for (name, value) in credentials {
            assert_eq!(header(request, name), Some(*value), "{} {}: {name}", request.method, request.url);
        }
        let accept = header(request, "accept-encoding").unwrap_or_default();
        for encoding in ["gzip", "br", "zstd"] {
            assert!(accept.contains(encoding), "accept-encoding {accept:?} offers {encoding}");
        }
    }
}

/// Every handshake of the front negotiated HTTP/2, over `connections` connections at most.
fn assert_h2(front: &TlsFront, connections: usize) {
    let alpn = front.alpn();
    assert!(!alpn.is_empty() && alpn.iter().all(|p| p == "h2"), "ALPN: {alpn:?}");
    assert!(front.connections() <= connections, "{} connections (HTTP/2 multiplexes)", front.connections());
}

fn rate_limited() -> ResponseTemplate {
    ResponseTemplate::new(429)
        .set_body_json(json!({"error": {"code": "rate_limit_exceeded", "message": "Too many requests"}}))
        .insert_header("retry-after", "0")
}

#[tokio::test]
async fn dub_over_https_pages_gzip_and_a_retried_429() {
    let server = MockServer::start().await;
    let front = TlsFront::start(addr_of(&server)).await;
    Mock::given(method("GET"))
        .and(path("/partners"))
        .and(query_param("page", "1"))
        .respond_with(rate_limited())
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    let pages = [vec![1, 2], vec![3, 4], vec![5]];
    for (number, ids) in pages.iter().enumerate() {
        let page: Vec<Value> = ids.iter().map(|i| crate::dub::partner(*i)).collect();
        Mock::given(method("GET"))
            .and(path("/partners"))
            .and(query_param("page", (number + 1).to_string()))
            .and(query_param("pageSize", "2"))
            .respond_with(compressed_json("gzip", &json!(page)))
            .expect(1)
            .mount(&server)
            .await;
    }
    // No base_url: the spec's https://api.dub.co, as in production.
    let dub = affiliate_dub::Client::builder()
        .bearer_token(DUB_TOKEN)
        .retry_policy(quick_retries(3))
        .configure_http(trusting("api.dub.co", &front))
        .build()
        .unwrap();
    let ids: Vec<String> = dub.list_partners().page_size(2u64).stream().map_ok(|p| p.id).try_collect().await.unwrap();
    assert_eq!(ids, ["pn_1", "pn_2", "pn_3", "pn_4", "pn_5"]);
    let requests = received(&server).await;
    assert_eq!(requests.len(), 4, "a 429, then three pages");
    assert_wire(&requests, &[("authorization", &format!("Bearer {DUB_TOKEN}"))]);
    assert!(requests.iter().all(|r| header(r, "host") == Some("api.dub.co") || r.url.host_str() == Some("api.dub.co")));
    assert_h2(&front, 1);
}

#[tokio::test]
async fn partnerize_over_https_pages_and_compressed_csv_exports() {
    use crate::partnerize::{links_page, LINKS_PATH, PUBLISHER};
    use affiliate_partnerize::types::ExportClicksCsvSuccess;
    let server = MockServer::start().await;
    let front = TlsFront::start(addr_of(&server)).await;
    // wiremock answers with the first mounted mock that matches and has answers left.
    Mock::given(method("GET")).and(path(LINKS_PATH)).respond_with(rate_limited()).up_to_n_times(1).mount(&server).await;
    let second = links_page(&["1011l3"], 2, 2, 3, None);
    Mock::given(method("GET"))
        .and(path(LINKS_PATH))
        .and(query_param("offset", "2"))
        .respond_with(compressed_json("br", &second))
        .expect(1)
        .mount(&server)
        .await;
    let first = links_page(&["1011l1", "1011l2"], 0, 2, 3, Some(format!("{LINKS_PATH}?limit=2&offset=2")));
    Mock::given(method("GET"))
        .and(path(LINKS_PATH))
        .respond_with(compressed_json("br", &first))
        .expect(1)
        .mount(&server)
        .await;
    let csv: String = std::iter::once("click_id,campaign_id,publisher_id\n".to_string())
        .chain((0..20_000).map(|i| format!("111111l{i},10l176,{PUBLISHER}\n")))
        .collect();
    let encodings = ["gzip", "br", "zstd"];
    for encoding in encodings {
        Mock::given(method("GET"))
            .and(path("/reporting/export/export/click.csv"))
            .respond_with(compressed(200, encoding, "text/csv", csv.as_bytes()))
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
    }
    let (app, user) = ("pz_app_tls_key", "pz_user_tls_key");
    let pz = affiliate_partnerize::Client::builder()
        .basic_auth(app, user)
        .retry_policy(quick_retries(3))
        .configure_http(trusting("api.partnerize.com", &front))
        .build()
        .unwrap();
    let ids: Vec<String> = pz
        .list_tracking_links()
        .publisher_id(PUBLISHER)
        .limit(2u64)
        .stream()
        .map_ok(|l| l.id.unwrap())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["1011l1", "1011l2", "1011l3"]);
    for encoding in encodings {
        let answer = pz
            .export_clicks_csv()
            .publisher_id(PUBLISHER)
            .start_date("2026-11-01T00:00:00Z")
            .end_date("2026-11-21T00:00:00Z")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{encoding}: {e}"));
        let ExportClicksCsvSuccess::Ok(stream) = answer.into_inner() else { panic!("{encoding}: not a CSV") };
        let bytes: Vec<u8> = stream.into_inner().map_ok(|c| c.to_vec()).try_concat().await.unwrap();
        assert_eq!(bytes.len(), csv.len(), "{encoding}: decompressed CSV, byte for byte");
        assert!(bytes == csv.as_bytes(), "{encoding}: same bytes");
    }
    let requests = received(&server).await;
    assert_eq!(requests.len(), 3 + 3, "a 429, two pages, three exports");
    assert!(
        requests[..3].iter().all(|r| r.url.path() == LINKS_PATH)
            && requests[3..].iter().all(|r| r.url.path().ends_with(".csv"))
    );
    let basic = format!("Basic {}", base64_of(&format!("{app}:{user}")));
    assert_wire(&requests, &[("authorization", &basic)]);
    assert_h2(&front, 1);
}

#[tokio::test]
async fn geniuslink_over_https_both_keys_gzip_and_a_retried_429() {
    let spec = Spec::load("geniuslink");
    let (_, example) = spec.success_example("listGroupAffiliateTokens");
    let server = MockServer::start().await;
    let front = TlsFront::start(addr_of(&server)).await;
    Mock::given(method("GET")).respond_with(rate_limited()).up_to_n_times(1).expect(1).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/v4/groups/42/group-affiliate-tokens"))
        .respond_with(compressed_json("gzip", &example))
        .expect(1)
        .mount(&server)
        .await;
    let (key, secret) = ("gl_key_tls", "gl_secret_tls");
    let gl = affiliate_geniuslink::Client::builder()
        .api_key("X-Api-Key", key)
        .api_key("X-Api-Secret", secret)
        .retry_policy(quick_retries(3))
        .configure_http(trusting("api.geni.us", &front))
        .build()
        .unwrap();
    let tokens = gl.list_group_affiliate_tokens().group_id(42).username("jane.doe@example.com").send().await.unwrap();
    assert_eq!(tokens.status().as_u16(), 200, "the gzip body decoded into the typed answer");
    let requests = received(&server).await;
    assert_eq!(requests.len(), 2);
    assert_wire(&requests, &[("x-api-key", key), ("x-api-secret", secret)]);
    assert_h2(&front, 1);
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// Every message in `error`'s `source()` chain, outermost first.
fn chain(error: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut out = vec![error.to_string()];
    let mut next = error.source();
    while let Some(e) = next {
        out.push(e.to_string());
        next = e.source();
    }
    out
}

#[tokio::test]
async fn an_untrusted_certificate_is_one_connection_and_says_so() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200)).expect(0).mount(&server).await;
    let front = TlsFront::start(addr_of(&server)).await;
    let addr = front.addr;
    // Retries on, but no test root: the platform's roots do not know the test CA.
    let dub = affiliate_dub::Client::builder()
        .bearer_token(DUB_TOKEN)
        .retry_policy(quick_retries(4))
        .configure_http(move |http| http.resolve("api.dub.co", addr))
        .build()
        .unwrap();
    let error = dub.list_partners().send().await.unwrap_err();
    let Error::Transport(transport) = &error else { panic!("{error:?}") };
    assert_eq!(transport.kind(), TransportKind::Tls, "{error}");
    assert!(transport.is_permanent());
    let shown = error.to_string();
    assert!(shown.starts_with("transport error: tls: invalid peer certificate: UnknownIssuer"), "{shown}");
    assert!(shown.contains("https://api.dub.co/partners"), "{shown}");
    // The whole chain, as anyhow's `{:#}` would print it, tells the cause once.
    let whole = chain(&error).join(": ");
    assert_eq!(whole.matches("invalid peer certificate").count(), 1, "{whole}");
    assert_eq!(front.connections(), 1, "a certificate error is not retried");
    assert_eq!(front.handshakes(), 0);
}

/// A loopback port nothing listens on.
async fn closed_port() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr
}

#[tokio::test]
async fn a_default_client_speaks_https_to_its_vendor() {
    // Each client as `Client::builder()` makes it, with its spec's https base URL; the vendor's host
    // is pointed at a closed loopback port so that nothing leaves the machine. Whatever happens
    // there must be about the connection, never about the scheme.
    let closed = closed_port().await;
    let mut seen = Vec::new();
    for (host, result) in [
        (
            "api.dub.co",
            affiliate_dub::Client::builder()
                .bearer_token(DUB_TOKEN)
                .retry_policy(affiliate_runtime::RetryPolicy::none())
                .configure_http(move |http| http.resolve("api.dub.co", closed))
                .build()
                .unwrap()
                .list_partners()
                .send()
                .await
                .map(drop),
        ),
        (
            "api.partnerize.com",
            affiliate_partnerize::Client::builder()
                .basic_auth("a", "b")
                .retry_policy(affiliate_runtime::RetryPolicy::none())
                .configure_http(move |http| http.resolve("api.partnerize.com", closed))
                .build()
                .unwrap()
                .list_tracking_links()
                .publisher_id("1")
                .send()
                .await
                .map(drop),
        ),
        (
            "api.geni.us",
            affiliate_geniuslink::Client::builder()
                .api_key("X-Api-Key", "k")
                .api_key("X-Api-Secret", "s")
                .retry_policy(affiliate_runtime::RetryPolicy::none())
                .configure_http(move |http| http.resolve("api.geni.us", closed))
                .build()
                .unwrap()
                .get_affiliate_tokens_set()
                .set_guid("0b9f3c2a-1d4e-4f6a-8b7c-9d0e1f2a3b4c")
                .send()
                .await
                .map(drop),
        ),
    ] {
        let error = result.unwrap_err();
        let Error::Transport(transport) = &error else { panic!("{host}: {error:?}") };
        let whole = chain(&error).into_iter().chain(chain(transport.inner())).collect::<Vec<_>>().join(" | ");
        assert!(!whole.contains("scheme is not http"), "{host}: {whole}");
        assert_eq!(transport.kind(), TransportKind::Connect, "{host}: {whole}");
        assert!(!transport.is_permanent(), "a refused connection may succeed later");
        let shown = error.to_string();
        assert!(shown.starts_with("transport error: connect: connection refused (https://"), "{shown}");
        assert!(shown.contains(host), "{shown}");
        seen.push(host);
    }
    assert_eq!(seen.len(), 3);
}

#[tokio::test]
async fn a_server_that_never_answers_the_handshake_is_a_timeout_that_says_where() {
    // Accepts connections and holds them without a word.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            open.push(tcp);
        }
    });
    let dub = affiliate_dub::Client::builder()
        .bearer_token(DUB_TOKEN)
        .retry_policy(affiliate_runtime::RetryPolicy::none())
        .timeout(std::time::Duration::from_millis(300))
        .configure_http(move |http| http.resolve("api.dub.co", addr))
        .build()
        .unwrap();
    let error = dub.list_partners().send().await.unwrap_err();
    held.abort();
    let Error::Timeout(transport) = &error else { panic!("{error:?}") };
    assert_eq!(transport.kind(), TransportKind::Timeout);
    assert_eq!(error.kind(), "timeout");
    assert!(error.is_retryable());
    assert_eq!(error.to_string(), "timed out (https://api.dub.co/partners)");
}

#[tokio::test]
async fn a_proxy_set_on_the_builder_carries_https_and_no_proxy_is_honoured() {
    let server = MockServer::start().await;
    let front = TlsFront::start(addr_of(&server)).await;
    let proxy = ConnectProxy::start().await;
    Mock::given(method("GET"))
        .and(path("/partners"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(2)
        .mount(&server)
        .await;
    let build = |no_proxy: Option<&'static str>| {
        affiliate_dub::Client::builder()
            .base_url(front.url())
            .bearer_token(DUB_TOKEN)
            .proxy(proxy.url())
            .env_source(move |name| (name == "NO_PROXY").then(|| no_proxy.map(str::to_string)).flatten())
            .configure_http(|http| http.add_root_certificate(test_root()))
            .build()
            .unwrap()
    };
    build(None).list_partners().send().await.unwrap();
    assert_eq!(proxy.targets(), [front.addr.to_string()], "the request went through the proxy");
    build(Some("127.0.0.1")).list_partners().send().await.unwrap();
    assert_eq!(proxy.targets().len(), 1, "NO_PROXY=127.0.0.1: straight to the server");
    assert_eq!(received(&server).await.len(), 2);
    assert_eq!(front.handshakes(), 2, "TLS end to end through the tunnel, and directly");
}

#[tokio::test]
async fn a_proxy_that_is_not_a_url_is_a_configuration_error() {
    let error = affiliate_dub::Client::builder()
        .bearer_token(DUB_TOKEN)
        .proxy("http://user:hunter2@[::1")
        .build()
        .map(drop)
        .unwrap_err();
    let shown = error.to_string();
    assert!(matches!(error, Error::Config(_)), "{error:?}");
    assert!(shown.contains("proxy") && !shown.contains("hunter2"), "{shown}");
}

#[tokio::test]
async fn the_hook_cannot_replace_the_user_agent_or_redirect_policy() {
    let server = MockServer::start().await;
    let other = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200)).expect(0).mount(&other).await;
    Mock::given(method("GET"))
        .and(path("/partners"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", format!("{}/stolen", other.uri())))
        .expect(1)
        .mount(&server)
        .await;
    let dub = affiliate_dub::Client::builder()
        .base_url(server.uri())
        .bearer_token(DUB_TOKEN)
        .retry_policy(affiliate_runtime::RetryPolicy::none())
        .configure_http(|http| {
            http.user_agent("hooked/1.0").redirect(reqwest::redirect::Policy::limited(10)).gzip(false)
        })
        .build()
        .unwrap();
    let _ = dub.list_partners().send().await;
    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    assert!(header(&requests[0], "user-agent").is_some_and(|ua| ua.starts_with("affiliate-dub/")));
    assert!(!header(&requests[0], "accept-encoding").unwrap_or_default().contains("gzip"), "the hook's own setting");
    assert_eq!(received(&other).await.len(), 0, "no redirect to another origin, whatever the hook said");
}

/// The environment is process-wide and other tests build clients in parallel, so the proxy
/// variables are set for a child process: this test binary again, running one ignored test.
async fn run_child_with(env: &[(&str, &str)]) {
    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap());
    child.args(["tls::child_calls_through_the_environment", "--exact", "--ignored", "--nocapture"]);
    for name in
        ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"]
    {
        child.env_remove(name);
    }
    child.envs(env.iter().copied());
    let output = child.output().await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "child failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("1 passed"), "the child ran its test:\n{stdout}");
}

#[tokio::test]
async fn proxies_from_the_environment_are_used_and_no_proxy_is_honoured() {
    let server = MockServer::start().await;
    let front = TlsFront::start(addr_of(&server)).await;
    let proxy = ConnectProxy::start().await;
    Mock::given(method("GET"))
        .and(path("/partners"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(2)
        .mount(&server)
        .await;
    let (target, ca, proxy_url) = (front.url(), affiliate_tests::net::pki().ca_pem.clone(), proxy.url());
    let base = [("AFFILIATE_TEST_TARGET", target.as_str()), ("AFFILIATE_TEST_CA", ca.as_str())];
    run_child_with(&[base[0], base[1], ("HTTPS_PROXY", proxy_url.as_str())]).await;
    assert_eq!(proxy.targets(), [front.addr.to_string()], "HTTPS_PROXY carried the request");
    run_child_with(&[base[0], base[1], ("HTTPS_PROXY", proxy_url.as_str()), ("NO_PROXY", "127.0.0.1")]).await;
    assert_eq!(proxy.targets().len(), 1, "NO_PROXY=127.0.0.1: straight to the server");
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
#[ignore = "run in a child process by proxies_from_the_environment_are_used_and_no_proxy_is_honoured"]
async fn child_calls_through_the_environment() {
    let target = std::env::var("AFFILIATE_TEST_TARGET").expect("started by the parent test, which sets the target");
    let ca = std::env::var("AFFILIATE_TEST_CA").expect("and the test CA");
    let root = reqwest::Certificate::from_pem(ca.as_bytes()).unwrap();
    let dub = affiliate_dub::Client::builder()
        .base_url(target)
        .bearer_token(DUB_TOKEN)
        .retry_policy(affiliate_runtime::RetryPolicy::none())
        .configure_http(move |http| http.add_root_certificate(root))
        .build()
        .unwrap();
    dub.list_partners().send().await.unwrap();
}
