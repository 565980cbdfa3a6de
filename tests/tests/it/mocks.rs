//! The generated mock crates: every operation of every client answered by its mock (from the spec's
//! examples, raw and through the client's types), typed matchers, paged answers, and each vendor's
//! error shape.

use affiliate_dub::types as dub;
use affiliate_partnerize::types as pz;
use affiliate_runtime::Error;
use futures::future::BoxFuture;
use futures::TryStreamExt;
use serde_json::{json, Value};
use wiremock::{Mock, MockServer};

use crate::support::{decoded_from, received, typed, Spec};

/// Mounts every operation's example (raw or typed) on one server and replays the API's `cases()`
/// against it: each call succeeds and is the one request it adds.
macro_rules! every_operation {
    ($test:ident, $api:ident, $mock:ident) => {
        #[tokio::test]
        async fn $test() {
            let spec = Spec::load(stringify!($api));
            for typed_answers in [false, true] {
                let server = MockServer::start().await;
                if typed_answers {
                    $mock::mount_typed_examples(&server).await.expect("every example fits its type");
                } else {
                    $mock::mount_examples(&server).await;
                }
                let client = $mock::client(&server).unwrap();
                let cases = crate::$api::cases();
                assert_eq!(cases.len(), $mock::OPERATIONS.len());
                for (done, case) in cases.into_iter().enumerate() {
                    let op = case.operation;
                    let body = if case.body { spec.request_example(op) } else { Value::Null };
                    let decoded = (case.call)(&client, body)
                        .await
                        .unwrap_or_else(|e| panic!("{op} (typed: {typed_answers}): {e}"));
                    assert_eq!(received(&server).await.len(), done + 1, "{op}: one request");
                    // What the client decoded is the spec's example, which the mock served.
                    let (_, example) = spec.success_example(op);
                    if let Err(difference) = decoded_from(&decoded, &example, "") {
                        panic!("{op} (typed: {typed_answers}): {difference}");
                    }
                    assert!(decoded.is_null() || decoded != json!({}), "{op}: nothing decoded");
                }
            }
        }
    };
}

every_operation!(every_dub_operation_is_answered_by_its_mock, dub, affiliate_dub_mock);
every_operation!(every_geniuslink_operation_is_answered_by_its_mock, geniuslink, affiliate_geniuslink_mock);
every_operation!(every_partnerize_operation_is_answered_by_its_mock, partnerize, affiliate_partnerize_mock);

fn partner(id: &str) -> dub::EnrolledPartner {
    let (_, example) = Spec::load("dub").success_example("listPartners");
    let mut partner = example[0].clone();
    partner["id"] = json!(id);
    typed(partner)
}

#[tokio::test]
async fn typed_matchers_narrow_the_expectation() {
    // (status the client asks for, whether the typed expectation matches)
    let cases = [(dub::PartnerStatus::Approved, true), (dub::PartnerStatus::Banned, false)];
    for (status, matches) in cases {
        let server = MockServer::start().await;
        affiliate_dub_mock::list_partners()
            .status(dub::PartnerStatus::Approved)
            .page_size(50)
            .ok(&vec![partner("pn_1")])
            .expect(u64::from(matches))
            .mount(&server)
            .await;
        let client = affiliate_dub_mock::client(&server).unwrap();
        let answer = client.list_partners().status(status.clone()).page_size(50u64).send().await;
        match answer {
            Ok(page) => {
                assert!(matches, "{status:?}");
                assert_eq!(page.into_inner()[0].id, "pn_1");
            }
            // wiremock answers 404 to what no expectation matches.
            Err(e) => assert!(!matches && matches!(e, Error::NotFound(_)), "{status:?}: {e}"),
        }
    }
}

#[tokio::test]
async fn a_typed_body_matcher_checks_what_the_value_sets() {
    let spec = Spec::load("dub");
    let request: dub::CreatePartnerRequest = typed(spec.request_example("createPartner"));
    let server = MockServer::start().await;
    affiliate_dub_mock::create_partner().body(request.clone()).example().expect(1).mount(&server).await;
    let client = affiliate_dub_mock::client(&server).unwrap();
    client.create_partner().body(request).send().await.unwrap();
    let other = client.create_partner().body_map(|b| b.email("someone-else@example.com")).send().await;
    assert!(matches!(other, Err(Error::NotFound(_))), "{other:?}");
}

/// Serves `total` items in pages of 3 with the operation's `pages` answer and streams them back.
async fn paged<T: serde::Serialize>(
    total: usize,
    mount: impl FnOnce(&[T]) -> Mock,
    item: impl Fn(usize) -> T,
    stream: impl FnOnce(String) -> BoxFuture<'static, Result<Vec<T>, Error>>,
) -> (Value, Value, usize) {
    let items: Vec<T> = (0..total).map(item).collect();
    let server = MockServer::start().await;
    mount(&items).mount(&server).await;
    let got = stream(server.uri()).await.unwrap();
    let json = |v: &[T]| serde_json::to_value(v).unwrap();
    (json(&items), json(&got), received(&server).await.len())
}

#[tokio::test]
async fn pages_serve_every_item_once_in_each_paging_style() {
    for total in [7, 6, 1] {
        // page numbers: a short last page ends it, a full one needs an empty page after it.
        let (items, got, requests) = paged(
            total,
            |items| affiliate_dub_mock::list_partners().pages(items, 3),
            |i| partner(&format!("pn_{i}")),
            |uri| {
                Box::pin(async move {
                    let client = affiliate_dub_mock::client_at(&uri)?;
                    client.list_partners().page_size(3u64).stream().try_collect().await
                })
            },
        )
        .await;
        assert_eq!(got, items, "page style, {total} items");
        assert_eq!(requests, total / 3 + 1, "page style, {total} items");

        // offsets with a count and next links.
        let (items, got, requests) = paged(
            total,
            |items| affiliate_partnerize_mock::list_tracking_links().pages(items, 3),
            |i| typed::<pz::TrackingLink>(crate::partnerize::tracking_link(&format!("tl_{i}"))),
            |uri| {
                Box::pin(async move {
                    let client = affiliate_partnerize_mock::client_at(&uri)?;
                    client.list_tracking_links().publisher_id("1l1007802").limit(3u64).stream().try_collect().await
                })
            },
        )
        .await;
        assert_eq!(got, items, "offset style, {total} items");
        assert_eq!(requests, total.div_ceil(3), "offset style, {total} items");

        // cursors.
        let (items, got, requests) = paged(
            total,
            |items| affiliate_partnerize_mock::get_conversion_report().pages(items, 3),
            |i| typed::<pz::ConversionReportConversionsItem>(crate::partnerize::conversion(&format!("cv_{i}"))),
            |uri| {
                Box::pin(async move {
                    let client = affiliate_partnerize_mock::client_at(&uri)?;
                    client
                        .get_conversion_report()
                        .publisher_id("1l1007802")
                        .format(pz::ReportFormat::Json)
                        .start_date("2026-11-01")
                        .end_date("2026-11-30")
                        .limit(3u64)
                        .stream()
                        .try_collect()
                        .await
                })
            },
        )
        .await;
        assert_eq!(got, items, "cursor style, {total} items");
        assert_eq!(requests, total.div_ceil(3), "cursor style, {total} items");
    }
}

type Call = fn(String) -> BoxFuture<'static, Result<(), Error>>;

/// One documented error per vendor error shape: (what, mock, call, kind, vendor code, message).
fn error_cases() -> Vec<(&'static str, Mock, Call, &'static str, &'static str, &'static str)> {
    vec![
        (
            "dub {error: {code, message}}",
            affiliate_dub_mock::list_partners().unauthorized(),
            |uri| Box::pin(async move { affiliate_dub_mock::client_at(&uri)?.list_partners().send().await.map(drop) }),
            "unauthorized",
            "unauthorized",
            "Unauthorized: Invalid API key.",
        ),
        (
            "geniuslink {responseStatus}",
            affiliate_geniuslink_mock::list_user_affiliate_tokens().unauthorized(),
            |uri| {
                Box::pin(async move {
                    affiliate_geniuslink_mock::client_at(&uri)?
                        .list_user_affiliate_tokens()
                        .username("jane")
                        .send()
                        .await
                        .map(drop)
                })
            },
            "unauthorized",
            "Unauthorized",
            "Invalid API key or secret.",
        ),
        (
            "partnerize v1 {error: {message, type}}",
            affiliate_partnerize_mock::get_partner().not_found(),
            |uri| {
                Box::pin(async move {
                    affiliate_partnerize_mock::client_at(&uri)?.get_partner().publisher_id("1l1").send().await.map(drop)
                })
            },
            "not_found",
            "entity_not_found",
            "Entity not found",
        ),
        (
            "partnerize v2 {error: {errors: [...]}}",
            affiliate_partnerize_mock::list_tracking_links().bad_request(),
            |uri| {
                Box::pin(async move {
                    let client = affiliate_partnerize_mock::client_at(&uri)?;
                    client.list_tracking_links().publisher_id("1l1").send().await.map(drop)
                })
            },
            "validation",
            "required_property",
            "Bad Request",
        ),
    ]
}

#[tokio::test]
async fn each_vendor_error_shape_comes_back_as_the_runtime_error() {
    for (what, mock, call, kind, code, message) in error_cases() {
        let server = MockServer::start().await;
        mock.expect(1).mount(&server).await;
        let error = call(server.uri()).await.expect_err(what);
        assert_eq!(error.kind(), kind, "{what}: {error}");
        let api = error.api_error().unwrap_or_else(|| panic!("{what}: no API error"));
        assert_eq!(api.code.as_deref(), Some(code), "{what}");
        assert_eq!(api.message.as_deref(), Some(message), "{what}: the vendor's message is kept");
    }
}
