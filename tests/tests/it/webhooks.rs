//! Webhook deliveries: signatures computed here (HMAC-SHA256 written out from SHA-256, RFC 2104, not
//! the runtime's code) against `webhooks::verify`, for valid, tampered, wrong-secret, truncated,
//! missing and hostile signatures, unknown events and bodies that are not deliveries; and the mock
//! crate delivering signed events to an endpoint.

use affiliate_dub::types;
use affiliate_dub::webhooks::{self, Event};
use affiliate_runtime::webhook::SignatureError;
use affiliate_runtime::Error;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use wiremock::matchers::{header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{header, received, Spec};

const SECRET: &str = "whsec_5f1c2a9e8d7b6a5f4e3d2c1b";

/// HMAC-SHA256 (RFC 2104) of `body` under `key`, hex: what the API puts in `Dub-Signature`.
fn hmac_sha256_hex(key: &[u8], body: &[u8]) -> String {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(body).finalize();
    let outer = Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize();
    outer.iter().map(|b| format!("{b:02x}")).collect()
}

/// A delivery of each known event, from the spec's examples where it has one.
fn delivery(name: &str) -> Value {
    let spec = Spec::load("dub");
    let example = |component: &str| spec.schema_example(component);
    match name {
        "link.created" | "link.updated" | "link.deleted" => {
            let mut d = example("WebhookLinkEvent");
            d["event"] = json!(name);
            d
        }
        "lead.created" => example("WebhookLeadCreatedEvent"),
        "commission.created" => example("WebhookCommissionCreatedEvent"),
        "sale.created" => {
            let mut d = example("WebhookLeadCreatedEvent");
            d["event"] = json!("sale.created");
            d["data"]["eventName"] = json!("Invoice paid");
            d["data"]["sale"] =
                json!({"amount": 4900, "currency": "usd", "paymentProcessor": "stripe", "invoiceId": "INV-1"});
            d
        }
        "link.clicked" => {
            let lead = example("WebhookLeadCreatedEvent");
            json!({"id": "evt_2", "event": name, "createdAt": "2025-01-10T07:58:12.000Z",
                   "data": {"click": lead["data"]["click"], "link": lead["data"]["link"]}})
        }
        "partner.enrolled" => {
            let (_, partners) = spec.success_example("listPartners");
            json!({"id": "evt_3", "event": name, "createdAt": "2025-01-15T09:30:00.000Z", "data": partners[0]})
        }
        "partner.application_submitted" => {
            let (_, applications) = spec.success_example("listPartnerApplications");
            json!({"id": "evt_4", "event": name, "createdAt": "2025-02-03T14:20:00.000Z", "data": applications[0]})
        }
        other => panic!("no delivery for {other}"),
    }
}

/// What `verify` made of a delivery.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// Verified and decoded: the event's name and whether it is a typed (known) variant.
    Event(&'static str, bool),
    Missing,
    Malformed,
    Mismatch,
    Payload,
}

fn outcome(result: affiliate_dub::Result<Event>) -> Outcome {
    match result {
        Ok(event) => {
            let known = !matches!(event, Event::Unknown { .. });
            Outcome::Event(Box::leak(event.name().to_string().into_boxed_str()), known)
        }
        Err(Error::Signature(SignatureError::Missing(_))) => Outcome::Missing,
        Err(Error::Signature(SignatureError::Malformed(_))) => Outcome::Malformed,
        Err(Error::Signature(SignatureError::Mismatch)) => Outcome::Mismatch,
        Err(e @ Error::WebhookPayload { .. }) => {
            assert_eq!(e.kind(), "webhook_payload");
            Outcome::Payload
        }
        Err(other) => panic!("unexpected error: {other:?}"),
    }
}

/// One case: the body received, the signature header received, and what `verify` must say.
fn check(what: &str, body: &[u8], signature: &str, want: Outcome) {
    let got = outcome(webhooks::verify(SECRET, signature, body));
    assert_eq!(got, want, "{what}");
    if let Err(error) = webhooks::verify(SECRET, signature, body) {
        assert!(!error.to_string().contains(SECRET), "{what}: the secret is never shown");
        assert!(!error.is_retryable(), "{what}");
    }
}

#[test]
fn signatures_are_checked_before_anything_is_trusted() {
    let body = serde_json::to_vec(&delivery("lead.created")).unwrap();
    let good = hmac_sha256_hex(SECRET.as_bytes(), &body);
    let mut tampered = body.clone();
    let at = tampered.windows(4).position(|w| w == b"Lena").unwrap();
    tampered[at] = b'M';
    let unknown =
        br#"{"id":"evt_9","event":"partner.banned","createdAt":"2025-03-01T00:00:00Z","data":{"partnerId":"pn_1"}}"#;
    let misshapen =
        br#"{"id":"evt_9","event":"lead.created","createdAt":"2025-03-01T00:00:00Z","data":{"eventName":7}}"#;
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let cases: Vec<(&str, Vec<u8>, String, Outcome)> = vec![
        ("valid", body.clone(), good.clone(), Outcome::Event("lead.created", true)),
        ("valid, upper-case hex", body.clone(), good.to_uppercase(), Outcome::Event("lead.created", true)),
        ("valid, surrounding spaces", body.clone(), format!(" {good} "), Outcome::Event("lead.created", true)),
        ("tampered body", tampered.clone(), good.clone(), Outcome::Mismatch),
        ("wrong secret", body.clone(), hmac_sha256_hex(b"whsec_other", &body), Outcome::Mismatch),
        ("signature of another body", body.clone(), hmac_sha256_hex(SECRET.as_bytes(), &tampered), Outcome::Mismatch),
        ("truncated signature", body.clone(), good[..40].to_string(), Outcome::Malformed),
        ("odd-length signature", body.clone(), good[..63].to_string(), Outcome::Malformed),
        ("signature and more", body.clone(), format!("{good}00"), Outcome::Malformed),
        ("not hex", body.clone(), "z".repeat(64), Outcome::Malformed),
        ("non-ASCII", body.clone(), "é".repeat(32), Outcome::Malformed),
        ("a prefix this scheme does not have", body.clone(), format!("sha256={good}"), Outcome::Malformed),
        ("huge header", body.clone(), "a".repeat(1 << 20), Outcome::Malformed),
        ("missing", body.clone(), String::new(), Outcome::Missing),
        ("blank", body.clone(), "   ".into(), Outcome::Missing),
        ("empty body, its own signature", Vec::new(), hmac_sha256_hex(SECRET.as_bytes(), b""), Outcome::Payload),
        (
            "unknown event",
            unknown.to_vec(),
            hmac_sha256_hex(SECRET.as_bytes(), unknown),
            Outcome::Event("partner.banned", false),
        ),
        (
            "malformed JSON",
            b"{\"event\": ".to_vec(),
            hmac_sha256_hex(SECRET.as_bytes(), b"{\"event\": "),
            Outcome::Payload,
        ),
        ("no event name", b"{\"id\":1}".to_vec(), hmac_sha256_hex(SECRET.as_bytes(), b"{\"id\":1}"), Outcome::Payload),
        (
            "known event, wrong data",
            misshapen.to_vec(),
            hmac_sha256_hex(SECRET.as_bytes(), misshapen),
            Outcome::Payload,
        ),
        (
            "nested past serde's limit",
            deep.clone().into_bytes(),
            hmac_sha256_hex(SECRET.as_bytes(), deep.as_bytes()),
            Outcome::Payload,
        ),
        ("tampered and unsigned", tampered, String::new(), Outcome::Missing),
    ];
    for (what, body, signature, want) in cases {
        check(what, &body, &signature, want);
    }
}

#[test]
fn every_documented_event_decodes_to_its_typed_variant() {
    for name in webhooks::EVENTS {
        let body = serde_json::to_vec(&delivery(name)).unwrap();
        let event = webhooks::verify(SECRET, &hmac_sha256_hex(SECRET.as_bytes(), &body), &body)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(event.name(), *name);
        let typed = match &event {
            Event::LinkCreated(d) | Event::LinkUpdated(d) | Event::LinkDeleted(d) => {
                d.data.short_link.starts_with("https://")
            }
            Event::LinkClicked(d) => d.data.click.id == "rLnWe1uz9t282v7g" && !d.data.click.qr,
            Event::LeadCreated(d) => {
                d.data.customer.external_id == "user_42"
                    && d.data.partner.as_ref().and_then(|p| p.total_leads) == Some(85)
                    && d.created_at.to_rfc3339() == "2025-01-10T08:00:00+00:00"
            }
            Event::SaleCreated(d) => d.data.sale.amount == 4900 && d.data.sale.invoice_id.as_deref() == Some("INV-1"),
            Event::PartnerEnrolled(d) => d.data.network_status == types::PartnerNetworkStatus::Trusted,
            Event::PartnerApplicationSubmitted(d) => d.data.partner.status == types::PartnerStatus::Pending,
            Event::CommissionCreated(d) => {
                d.data.earnings == 980 && d.data.link.as_ref().map(|l| l.key.as_str()) == Some("john")
            }
            other => panic!("{name}: decoded as {other:?}"),
        };
        assert!(typed, "{name}: {event:?}");
        // The event serialises back to the delivery it came from.
        let again: Value = serde_json::to_value(&event).unwrap();
        assert_eq!(again["event"], json!(name), "{name}");
    }
}

#[tokio::test]
async fn the_mock_signs_and_delivers_events_a_handler_can_verify() {
    let endpoint = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hooks/dub"))
        .and(header_exists("dub-signature"))
        .respond_with(ResponseTemplate::new(204))
        .expect(3)
        .mount(&endpoint)
        .await;
    let url = format!("{}/hooks/dub", endpoint.uri());
    let event = affiliate_dub_mock::webhooks::example("commission.created").expect("the spec's example");
    let answer = affiliate_dub_mock::webhooks::deliver(&url, SECRET, &event).await.unwrap();
    assert_eq!(answer.status, 204);
    let unknown = br#"{"id":"evt_9","event":"payout.sent","createdAt":"2025-03-01T00:00:00Z","data":{}}"#;
    affiliate_dub_mock::webhooks::deliver_raw(&url, SECRET, unknown).await.unwrap();
    affiliate_dub_mock::webhooks::deliver_raw(&url, "whsec_other", unknown).await.unwrap();

    let requests = received(&endpoint).await;
    assert_eq!(requests.len(), 3);
    let cases = [
        (Some("commission.created"), true),
        (Some("payout.sent"), true),
        (None, false), // signed with another secret: the handler's verify refuses it
    ];
    for (request, (name, verifies)) in requests.iter().zip(cases) {
        let signature = header(request, "dub-signature").unwrap();
        assert_eq!(header(request, "content-type"), Some("application/json"));
        assert_eq!(signature == hmac_sha256_hex(SECRET.as_bytes(), &request.body), verifies, "{name:?}");
        let verified = webhooks::verify(SECRET, signature, &request.body);
        assert_eq!(verified.as_ref().ok().map(Event::name), name, "{verified:?}");
    }
    assert_eq!(
        affiliate_dub_mock::webhooks::sign(SECRET, b"{}").unwrap(),
        hmac_sha256_hex(SECRET.as_bytes(), b"{}"),
        "the mock signs as the API does"
    );
    assert!(affiliate_dub_mock::webhooks::example("payout.sent").is_none());
    // Events sharing a schema share its example, each under its own name.
    for name in ["link.created", "link.updated", "link.deleted"] {
        let example = affiliate_dub_mock::webhooks::example(name).expect(name);
        assert_eq!(example.name(), name);
        assert!(matches!(
            (name, &example),
            ("link.created", Event::LinkCreated(_))
                | ("link.updated", Event::LinkUpdated(_))
                | ("link.deleted", Event::LinkDeleted(_))
        ));
    }
}

/// Arbitrary headers and bodies (mutations of a real delivery among them): `verify` never panics,
/// and accepts exactly the bodies whose signature is the independently computed one.
#[test]
fn arbitrary_deliveries_never_panic_and_verify_only_when_signed() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, FileFailurePersistence, TestRunner};
    let base = serde_json::to_vec(&delivery("commission.created")).unwrap();
    let body = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256),
        // A real delivery with one byte changed, or cut short.
        (0..base.len(), any::<u8>()).prop_map({
            let base = base.clone();
            move |(at, byte)| {
                let mut b = base.clone();
                b[at] = byte;
                b
            }
        }),
        (0..base.len()).prop_map({
            let base = base.clone();
            move |len| base[..len].to_vec()
        }),
        Just(base.clone()),
    ];
    let header = prop_oneof![any::<String>(), "[0-9a-fA-F]{0,130}", Just(hmac_sha256_hex(SECRET.as_bytes(), &base))];
    let config = Config {
        cases: 256,
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..Config::default()
    };
    TestRunner::new(config)
        .run(&(body, header), |(body, header)| {
            let signed = header.trim().eq_ignore_ascii_case(&hmac_sha256_hex(SECRET.as_bytes(), &body));
            match webhooks::verify(SECRET, &header, &body) {
                Err(Error::Signature(_)) => prop_assert!(!signed, "a signed body was refused"),
                Ok(_) | Err(Error::WebhookPayload { .. }) => prop_assert!(signed, "an unsigned body got through"),
                Err(other) => prop_assert!(false, "{other:?}"),
            }
            Ok(())
        })
        .unwrap();
}
