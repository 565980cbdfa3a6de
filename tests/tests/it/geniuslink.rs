//! Geniuslink: every operation with both API-key headers, ServiceStack errors whatever the status,
//! impersonation per client and per call, and which methods are retried.

use affiliate_geniuslink::{types, Client};
use affiliate_runtime::Error;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{answer, assert_covers_spec, check, header, received, typed, Case, Spec};

const KEY: &str = "gl_key_6YcQ2mT9vRk4";
const SECRET: &str = "gl_secret_Zp8Lw3Nx7Hq1Bd5F";
const SET_GUID: &str = "0b9f3c2a-1d4e-4f6a-8b7c-9d0e1f2a3b4c";

fn builder(server: &MockServer) -> affiliate_runtime::ClientBuilder<Client> {
    builder_at(&server.uri())
}

fn builder_at(base_url: &str) -> affiliate_runtime::ClientBuilder<Client> {
    Client::builder()
        .base_url(base_url)
        .api_key("X-Api-Key", KEY)
        .api_key("X-Api-Secret", SECRET)
        .retry_policy(crate::support::quick_retries(4))
}

fn client(server: &MockServer) -> Client {
    builder(server).build().unwrap()
}

/// A client for the API at `base_url`, with test keys and fast retries.
pub fn client_at(base_url: &str) -> Client {
    builder_at(base_url).build().unwrap()
}

/// One call per operation of the spec, reused by the conformance suite against Prism.
pub fn cases() -> Vec<Case<Client>> {
    vec![
        Case {
            operation: "listGroupAffiliateTokens",
            path: "/v4/groups/42/group-affiliate-tokens",
            query: &[("username", "jane.doe@example.com")],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.list_group_affiliate_tokens()
                        .group_id(42)
                        .username("jane.doe@example.com")
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "createGroupAffiliateTokens",
            path: "/v4/groups/42/group-affiliate-tokens",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::CreateAffiliateTokensRequest>(body);
                    c.create_group_affiliate_tokens().group_id(42).body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "updateGroupAffiliateTokens",
            path: "/v4/groups/42/group-affiliate-tokens/prog-1",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::UpdateAffiliateTokensRequest>(body);
                    c.update_group_affiliate_tokens().group_id(42).guid("prog-1").body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "deleteGroupAffiliateTokens",
            path: "/v4/groups/42/group-affiliate-tokens/prog-1",
            query: &[("username", "jane")],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.delete_group_affiliate_tokens()
                        .group_id(42)
                        .guid("prog-1")
                        .username("jane")
                        .send()
                        .await
                        .map(answer)
                })
            },
        },
        Case {
            operation: "listUserAffiliateTokens",
            path: "/v4/user-affiliate-tokens",
            query: &[("username", "jane"), ("includeDisabled", "true")],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.list_user_affiliate_tokens().username("jane").include_disabled(true).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "createUserAffiliateTokens",
            path: "/v4/user-affiliate-tokens",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::CreateAffiliateTokensRequest>(body);
                    c.create_user_affiliate_tokens().body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "updateUserAffiliateTokens",
            path: "/v4/user-affiliate-tokens/prog-2",
            query: &[],
            body: true,
            call: |c, body| {
                Box::pin(async move {
                    let body = typed::<types::UpdateAffiliateTokensRequest>(body);
                    c.update_user_affiliate_tokens().guid("prog-2").body(body).send().await.map(answer)
                })
            },
        },
        Case {
            operation: "deleteUserAffiliateTokens",
            path: "/v4/user-affiliate-tokens/prog-2",
            query: &[("username", "jane")],
            body: false,
            call: |c, _| {
                Box::pin(async move {
                    c.delete_user_affiliate_tokens().guid("prog-2").username("jane").send().await.map(answer)
                })
            },
        },
        Case {
            operation: "getAffiliateTokensSet",
            path: "/v4/affiliate-tokens-sets",
            query: &[("setGuid", SET_GUID)],
            body: false,
            call: |c, _| {
                Box::pin(async move { c.get_affiliate_tokens_set().set_guid(SET_GUID).send().await.map(answer) })
            },
        },
    ]
}

#[tokio::test]
async fn every_operation_on_the_wire() {
    let spec = Spec::load("geniuslink");
    let cases = cases();
    assert_covers_spec(&spec, &cases);
    for case in cases {
        check(&spec, case, client, &[("x-api-key", KEY), ("x-api-secret", SECRET), ("accept", "application/json")])
            .await;
    }
}

#[tokio::test]
async fn impersonation_per_client_and_per_call() {
    let server = MockServer::start().await;
    let ok = json!({"success": true, "responseStatus": {}});
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&ok))
        .expect(3)
        .mount(&server)
        .await;
    let plain = client(&server);
    let as_sub = builder(&server).header("X-Impersonate", "sub-account").build().unwrap();
    plain.delete_user_affiliate_tokens().guid("g").username("u").send().await.unwrap();
    as_sub.delete_user_affiliate_tokens().guid("g").username("u").send().await.unwrap();
    as_sub.delete_user_affiliate_tokens().guid("g").username("u").x_impersonate("other").send().await.unwrap();
    let seen: Vec<Option<String>> =
        received(&server).await.iter().map(|r| header(r, "x-impersonate").map(str::to_string)).collect();
    assert_eq!(seen, [None, Some("sub-account".to_string()), Some("other".to_string())]);
}

#[tokio::test]
async fn validation_errors_surface_with_field_names_whatever_the_status() {
    let spec = Spec::load("geniuslink");
    let (_, bad_request) =
        spec.error_examples("createUserAffiliateTokens").into_iter().find(|(s, _)| *s == 400).unwrap();
    for status in [400, 200] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status).set_body_json(&bad_request))
            .expect(1)
            .mount(&server)
            .await;
        let error = client(&server)
            .create_user_affiliate_tokens()
            .body_map(|b| b.program_guid("p").username("").parameters([("tag".to_string(), "x".to_string())]))
            .send()
            .await
            .unwrap_err();
        assert!(matches!(error, Error::Validation(_)), "{status}: {error:?}");
        let api = error.api_error().unwrap();
        assert_eq!(api.status.as_u16(), status);
        assert_eq!(api.code.as_deref(), Some("ValidationException"));
        assert_eq!(api.message.as_deref(), Some("Validation failed"));
        let fields: Vec<(&str, Option<&str>)> =
            api.field_errors.iter().map(|f| (f.field.as_str(), f.code.as_deref())).collect();
        assert_eq!(fields, [("Username", Some("NotEmpty"))]);
    }
}

#[tokio::test]
async fn success_false_is_an_error_and_an_empty_status_is_not() {
    let check = |body: serde_json::Value, is_error: bool| async move {
        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&body))
            .expect(1)
            .mount(&server)
            .await;
        let result =
            client(&server).update_user_affiliate_tokens().guid("g").body_map(|b| b.username("u")).send().await;
        assert_eq!(result.is_err(), is_error, "{body}: {result:?}");
        result
    };
    let error = check(json!({"success": false, "affiliateTokensId": null}), true).await.unwrap_err();
    assert!(matches!(error, Error::Api(_)), "{error:?}");
    let error = check(
        json!({"success": true, "responseStatus": {"errorCode": "ArgumentException", "message": "unknown program"}}),
        true,
    )
    .await
    .unwrap_err();
    assert_eq!((error.code(), error.status().map(|s| s.as_u16())), (Some("ArgumentException"), Some(200)));
    let ok = check(
        json!({"success": true, "affiliateTokensId": "t1", "responseStatus": {"errorCode": null, "errors": []}}),
        false,
    )
    .await
    .unwrap();
    assert_eq!(ok.affiliate_tokens_id.as_deref(), Some("t1"));
    check(json!({"success": true, "responseStatus": {"errorCode": ""}}), false).await.unwrap();
}

#[tokio::test]
async fn delete_is_retried_after_503_and_post_is_not() {
    let server = MockServer::start().await;
    let unavailable =
        ResponseTemplate::new(503).set_body_json(json!({"responseStatus": {"errorCode": "ServiceUnavailable"}}));
    Mock::given(method("DELETE")).respond_with(unavailable.clone()).up_to_n_times(1).expect(1).mount(&server).await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v4/user-affiliate-tokens"))
        .respond_with(unavailable)
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let deleted = client.delete_user_affiliate_tokens().guid("g").username("u").send().await.unwrap();
    assert_eq!(deleted.success, Some(true));
    let error = client
        .create_user_affiliate_tokens()
        .body_map(|b| b.program_guid("p").username("u").parameters([("tag".to_string(), "x".to_string())]))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Server(_)), "{error:?}");
    let methods: Vec<String> = received(&server).await.iter().map(|r| r.method.to_string()).collect();
    assert_eq!(methods, ["DELETE", "DELETE", "POST"], "the DELETE twice, the POST once");
}

#[tokio::test]
async fn each_missing_credential_is_named() {
    let only = |present: &'static str| move |name: &str| (name == present).then(|| "value".to_string());
    for (present, missing) in
        [("GENIUSLINK_API_KEY", "GENIUSLINK_API_SECRET"), ("GENIUSLINK_API_SECRET", "GENIUSLINK_API_KEY")]
    {
        let error = Client::builder().env_source(only(present)).build().unwrap_err();
        assert!(matches!(&error, Error::MissingCredential { env, .. } if env == missing), "{error:?}");
        assert!(error.to_string().contains(missing));
    }
    let both = |name: &str| name.starts_with("GENIUSLINK_API_").then(|| "value".to_string());
    assert!(Client::builder().env_source(both).build().is_ok());
}

#[tokio::test]
async fn the_default_base_url_is_production() {
    assert_eq!(affiliate_geniuslink::DEFAULT_BASE_URL, "https://api.geni.us");
    let client = Client::builder().api_key("X-Api-Key", KEY).api_key("X-Api-Secret", SECRET).build().unwrap();
    let debug = format!("{client:?}");
    assert!(debug.contains("https://api.geni.us"));
    assert!(!debug.contains(KEY) && !debug.contains(SECRET), "{debug}");
}
