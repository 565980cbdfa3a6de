//! What a service needs around each call: a service written the obvious way compiles with the
//! prelude alone; per-call timeout, header and retry policy reach that call only; setters take
//! what the caller has (`&str`, any integer, `clear_*` for `null`); errors say what went wrong
//! and carry a stable kind; the tracing span uses OpenTelemetry's names.

use std::time::Duration;

use futures::StreamExt;
use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{header, query, quick_retries, received, Spec};

/// A small service as the issue's first paragraph tried to write it, with the prelude as its only
/// import from this workspace. Compiling is the test: it is not run (no credentials).
#[allow(dead_code)]
mod service {
    use affiliate_dub::prelude::*;

    pub struct Config {
        pub page_size: usize,
        pub partner: String,
    }

    pub async fn sync(dub: &Client, cfg: &Config) -> Result<usize> {
        let page = dub.list_partners().country("US").page_size(cfg.page_size).send().await?;
        let _ = (page.rate_limit().remaining, page.request_id());
        let mut stream = dub
            .list_partners()
            .page_size(cfg.page_size)
            .timeout(std::time::Duration::from_secs(5))
            .header("X-Correlation-Id", "sync-1")
            .stream();
        let mut seen = 0;
        while let Some(partner) = stream.try_next().await? {
            seen += usize::from(partner.id.is_empty());
        }
        let created = dub
            .create_partner()
            .body_map(|b| b.email("ana@example.com").country("US").clear_description().tenant_id(cfg.partner.as_str()))
            .header("Idempotency-Key", "ana-1")
            .retry_policy(RetryPolicy::none())
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(e) if e.is_retryable() => eprintln!("later: {}", e.kind()),
            Err(e) => return Err(e),
        }
        let _: Option<chrono::DateTime<chrono::Utc>> = None;
        let _ = Poll::default();
        Ok(seen)
    }

    // Re-exported, so a service names dates without depending on chrono itself.
    use affiliate_dub::chrono;
}

fn dub(base_url: &str) -> affiliate_dub::Client {
    dub_with(base_url, affiliate_runtime::RetryPolicy::none())
}

fn dub_with(base_url: &str, retry: affiliate_runtime::RetryPolicy) -> affiliate_dub::Client {
    affiliate_dub::Client::builder()
        .base_url(base_url)
        .bearer_token("dub_test_token")
        .header("X-Client-Wide", "client")
        .retry_policy(retry)
        .build()
        .unwrap()
}

async fn serving(route: &str, verb: &str, response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method(verb)).and(path(route)).respond_with(response).mount(&server).await;
    server
}

/// An empty list: one page is then the whole stream of `pages()` and `stream()`.
fn partners_page() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!([]))
}

// ---------------------------------------------------------------------------------------------
// Per-call options
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn per_call_headers_go_on_that_call_only() {
    let server = serving("/partners", "GET", partners_page()).await;
    let client = dub(&server.uri());
    client.list_partners().header("Idempotency-Key", "k-1").header("X-Client-Wide", "this call").send().await.unwrap();
    client.list_partners().send().await.unwrap();
    // pages(): every page of the call carries it.
    let pages: Vec<_> = client.list_partners().header("X-Correlation-Id", "c-9").pages().collect::<Vec<_>>().await;
    assert_eq!(pages.len(), 1);

    let requests = received(&server).await;
    assert_eq!(requests.len(), 3);
    let seen = |i: usize, name: &str| header(&requests[i], name).map(str::to_string);
    assert_eq!(seen(0, "idempotency-key").as_deref(), Some("k-1"));
    assert_eq!(seen(0, "x-client-wide").as_deref(), Some("this call"), "a per-call header replaces the client's");
    assert_eq!(seen(1, "idempotency-key"), None, "the next call does not inherit it");
    assert_eq!(seen(1, "x-client-wide").as_deref(), Some("client"));
    assert_eq!(seen(2, "x-correlation-id").as_deref(), Some("c-9"));
    assert_eq!(seen(2, "idempotency-key"), None);
    for request in &requests {
        assert_eq!(header(request, "authorization"), Some("Bearer dub_test_token"));
    }
}

/// Per-call headers that are refused at `send()`, before anything is sent.
#[tokio::test]
async fn per_call_headers_cannot_override_credentials() {
    let server = serving("/partners", "GET", partners_page()).await;
    let client = dub(&server.uri());
    let check = |name: &'static str, value: &'static str, says: &'static str| {
        let client = &client;
        async move {
            let error = client.list_partners().header(name, value).send().await.unwrap_err();
            assert_eq!(error.kind(), "invalid_request", "{name}: {error}");
            let text = error.to_string();
            assert!(text.starts_with("request not sent: ") && text.contains(says), "{name}: {text}");
            assert!(!text.contains(value), "{name}: the value is not echoed: {text}");
        }
    };
    check("Authorization", "Bearer stolen", "carries this API's credentials").await;
    check("authorization", "Basic eDp5", "carries this API's credentials").await;
    check("Bad Header", "value-3", "not a valid header name").await;
    check("X-Ok", "line\nbreak-4", "is not valid").await;
    assert_eq!(received(&server).await.len(), 0, "nothing was sent");
}

#[tokio::test]
async fn per_call_timeout_applies_to_that_call_only() {
    let slow = partners_page().set_delay(Duration::from_millis(600));
    let server = serving("/partners", "GET", slow).await;
    let client = dub(&server.uri()); // client timeout: the default 30 s
    let error = client.list_partners().timeout(Duration::from_millis(50)).send().await.unwrap_err();
    assert_eq!(error.kind(), "timeout", "{error:?}");
    client.list_partners().send().await.expect("the next call has the client's timeout");
    let error = client.list_partners().timeout(Duration::from_millis(50)).stream().collect::<Vec<_>>().await;
    assert!(error.last().is_some_and(|r| r.as_ref().is_err_and(|e| e.kind() == "timeout")), "{error:?}");
    assert_eq!(received(&server).await.len(), 3);
}

#[tokio::test]
async fn per_call_options_reach_every_page_of_a_stream() {
    // The client sends once and waits 30 s; the call retries once and waits 300 ms. Page 2 fails
    // once (only the call's retry policy gets past it), page 3 is slower than the call's timeout
    // (only the call's timeout ends the stream there).
    let server = MockServer::start().await;
    let page = |n: u32| Mock::given(method("GET")).and(path("/partners")).and(query_param("page", n.to_string()));
    let one = |id: &str| {
        let (_, example) = Spec::load("dub").success_example("listPartners");
        let mut partner = example[0].clone();
        partner["id"] = json!(id);
        ResponseTemplate::new(200).set_body_json(json!([partner]))
    };
    page(1).respond_with(one("pn_1")).expect(1).mount(&server).await;
    page(2).respond_with(ResponseTemplate::new(503)).up_to_n_times(1).expect(1).mount(&server).await;
    page(2).respond_with(one("pn_2")).expect(1).mount(&server).await;
    page(3).respond_with(one("pn_3").set_delay(Duration::from_secs(2))).expect(2).mount(&server).await;
    let client = dub(&server.uri());
    let results: Vec<_> = client
        .list_partners()
        .page_size(1u64)
        .header("X-Correlation-Id", "c-7")
        .retry_policy(quick_retries(2))
        .timeout(Duration::from_millis(300))
        .stream()
        .collect()
        .await;
    let ids: Vec<&str> = results.iter().filter_map(|r| r.as_ref().ok()).map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["pn_1", "pn_2"], "{results:?}");
    assert!(results.last().is_some_and(|r| r.as_ref().is_err_and(|e| e.kind() == "timeout")), "{results:?}");
    let requests = received(&server).await;
    let pages: Vec<String> =
        requests.iter().map(|r| query(r).into_iter().find(|(k, _)| k == "page").unwrap().1).collect();
    assert_eq!(pages, ["1", "2", "2", "3", "3"]);
    for request in &requests {
        assert_eq!(header(request, "x-correlation-id"), Some("c-7"), "page {}", request.url);
        assert_eq!(header(request, "x-client-wide"), Some("client"), "page {}", request.url);
    }
}

#[tokio::test]
async fn per_call_retry_policy_overrides_the_clients() {
    // (client's attempts, the call's, requests the server sees)
    for (client_attempts, call_attempts, expected) in [(1, Some(3), 3), (3, Some(1), 1), (3, None, 3), (1, None, 1)] {
        let busy = ResponseTemplate::new(503).set_body_json(json!({"error": {"message": "busy"}}));
        let server = serving("/partners", "GET", busy).await;
        let client = dub_with(&server.uri(), quick_retries(client_attempts));
        let call = client.list_partners();
        let call = match call_attempts {
            Some(n) => call.retry_policy(quick_retries(n)),
            None => call,
        };
        let error = call.send().await.unwrap_err();
        assert_eq!(error.kind(), "server");
        assert!(error.is_retryable());
        assert_eq!(
            received(&server).await.len(),
            expected,
            "client {client_attempts} attempts, call {call_attempts:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Setters
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn clear_sends_null_and_untouched_fields_are_absent() {
    let (status, example) = Spec::load("dub").success_example("createPartner");
    let server = serving("/partners", "POST", ResponseTemplate::new(status).set_body_json(example)).await;
    let client = dub(&server.uri());
    client
        .create_partner()
        .body_map(|b| b.email("ana@example.com").country("US").clear_description().clear_group_id())
        .send()
        .await
        .unwrap();
    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(
        body,
        json!({"email": "ana@example.com", "country": "US", "description": null, "groupId": null}),
        "set fields are values, cleared ones null, untouched ones (image, name...) absent"
    );
}

#[tokio::test]
async fn integer_setters_take_any_integer_and_refuse_out_of_range_values() {
    let server = serving("/partners", "GET", partners_page()).await;
    let client = dub(&server.uri());
    // (what was called, the page_size on the wire, or the error's words)
    type Build = fn(&affiliate_dub::Client) -> affiliate_dub::builder::ListPartners<'_>;
    let cases: [(&str, Build, Result<&str, &str>); 7] = [
        ("usize", |c| c.list_partners().page_size(25usize), Ok("25")),
        ("i64", |c| c.list_partners().page_size(26i64), Ok("26")),
        ("u8", |c| c.list_partners().page_size(27u8), Ok("27")),
        ("untyped literal", |c| c.list_partners().page_size(28), Ok("28")),
        ("zero", |c| c.list_partners().page_size(0usize), Err("`page_size` must be at least 1 (got 0)")),
        ("negative", |c| c.list_partners().page_size(-5i32), Err("`page_size` must be at least 1 (got -5)")),
        ("zero page", |c| c.list_partners().page(0u64), Err("`page` must be at least 1 (got 0)")),
    ];
    let mut sent = 0;
    for (what, build, expected) in cases {
        let result = build(&client).send().await;
        match expected {
            Ok(size) => {
                result.unwrap_or_else(|e| panic!("{what}: {e}"));
                sent += 1;
                let requests = received(&server).await;
                assert_eq!(requests.len(), sent, "{what}");
                let query = crate::support::query(&requests[sent - 1]);
                assert_eq!(query, [("pageSize".to_string(), size.to_string())], "{what}");
            }
            Err(words) => {
                let error = result.unwrap_err();
                assert!(matches!(error, affiliate_runtime::Error::InvalidRequest(_)), "{what}: {error:?}");
                assert_eq!(error.to_string(), format!("request not sent: {words}"), "{what}");
                assert_eq!(received(&server).await.len(), sent, "{what}: nothing sent");
            }
        }
    }
}

#[tokio::test]
async fn a_missing_required_body_field_is_named() {
    let server = serving("/partners/ban", "POST", ResponseTemplate::new(200)).await;
    let error = dub(&server.uri()).ban_partner().body_map(|b| b.partner_id("pn_1")).send().await.unwrap_err();
    assert_eq!(error.kind(), "invalid_request");
    assert!(error.to_string().contains("required field `reason` of `BanPartnerRequest` was not set"), "{error}");
    assert_eq!(received(&server).await.len(), 0);
}

// ---------------------------------------------------------------------------------------------
// Construction and errors
// ---------------------------------------------------------------------------------------------

#[test]
fn a_credential_of_a_kind_the_api_does_not_use_is_refused_in_plain_words() {
    type Build = fn() -> affiliate_runtime::Result<()>;
    let cases: [(&str, Build, &str); 4] = [
        (
            "basic auth on a bearer API",
            || affiliate_dub::Client::builder().env_source(|_| None).basic_auth("u", "p").build().map(drop),
            "Dub Partners API uses bearer auth: use bearer_token(..) or DUB_API_KEY",
        ),
        (
            "an Authorization api key on a bearer API",
            || affiliate_dub::Client::builder().env_source(|_| None).api_key("Authorization", "k").build().map(drop),
            "uses bearer auth: use bearer_token(..) or DUB_API_KEY (it has no scheme or header named `Authorization`)",
        ),
        (
            "a bearer token on an API-key API",
            || affiliate_geniuslink::Client::builder().env_source(|_| None).bearer_token("t").build().map(drop),
            r#"uses an API key in the X-Api-Key header: use api_key("X-Api-Key", ..) or GENIUSLINK_API_KEY"#,
        ),
        (
            "a bearer token on a basic-auth API",
            || affiliate_partnerize::Client::builder().env_source(|_| None).bearer_token("t").build().map(drop),
            "uses HTTP Basic auth: use basic_auth(..) or PARTNERIZE_APPLICATION_KEY and PARTNERIZE_USER_API_KEY",
        ),
    ];
    for (what, build, words) in cases {
        let error = build().unwrap_err();
        assert_eq!(error.kind(), "config", "{what}");
        assert!(error.to_string().contains(words), "{what}: {error}");
        assert!(!error.to_string().contains("\"t\"") && !error.to_string().contains("`k`"), "{what}: no secret");
    }
}

#[tokio::test]
async fn a_client_side_failure_and_a_servers_400_read_differently() {
    let rejected = ResponseTemplate::new(400).set_body_json(json!({"error": {"code": "bad_request", "message": "no"}}));
    let server = serving("/partners", "GET", rejected).await;
    let client = dub(&server.uri());
    let server_side = client.list_partners().send().await.unwrap_err();
    let client_side = client.list_partners().page_size(0).send().await.unwrap_err();
    assert_eq!((server_side.kind().as_str(), client_side.kind().as_str()), ("validation", "invalid_request"));
    assert!(server_side.to_string().starts_with("invalid request: HTTP 400"), "{server_side}");
    assert!(client_side.to_string().starts_with("request not sent: "), "{client_side}");
    assert!(!server_side.is_retryable() && !client_side.is_retryable());
    assert_eq!(received(&server).await.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Tracing
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_request_span_uses_opentelemetry_http_client_names() {
    let (buffer, guard) = crate::support::capture_traces();
    let missing = ResponseTemplate::new(404).set_body_json(json!({"error": {"message": "no such partner"}}));
    let server = serving("/partners/ban", "POST", missing).await;
    let error = dub(&server.uri())
        .ban_partner()
        .body_map(|b| b.partner_id("pn_secret_id_1").reason("fraud"))
        .header("X-Secret-Ish", "per-call-value")
        .send()
        .await
        .unwrap_err();
    drop(guard);
    assert_eq!(error.kind(), "not_found");
    let text = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
    let port = server.address().port();
    for expected in [
        "http.request.method=POST".to_string(),
        "server.address=\"127.0.0.1\"".to_string(),
        format!("server.port={port}"),
        "url.template=\"/partners/ban\"".to_string(),
        "http.response.status_code=404".to_string(),
        "error.type=\"404\"".to_string(),
        "affiliate.operation=\"ban_partner\"".to_string(),
        "attempts=1".to_string(),
    ] {
        assert!(text.contains(&expected), "span field `{expected}` in:\n{text}");
    }
    for secret in ["dub_test_token", "per-call-value", "pn_secret_id_1"] {
        assert!(!text.contains(secret), "`{secret}` in trace output:\n{text}");
    }
}
