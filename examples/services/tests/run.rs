//! Each example's service against the generated mock, as `cargo run --example` does without
//! credentials; the mock answers from the spec's examples and counts the requests.

use affiliate_examples::{dub, dub_webhooks, geniuslink, partnerize};

fn requests(target_mock: &Option<affiliate_dub_mock::MockServer>) -> &affiliate_dub_mock::MockServer {
    target_mock.as_ref().expect("no credentials in tests: the mock answers")
}

#[tokio::test]
async fn every_example_runs_against_the_mock() {
    // Credentials from the environment would point the examples at the real APIs.
    for var in ["DUB_API_KEY", "PARTNERIZE_APPLICATION_KEY", "GENIUSLINK_API_KEY"] {
        assert!(std::env::var_os(var).is_none(), "{var} is set; these tests run against the mock only");
    }

    let target = dub::target().await.unwrap();
    let links = dub::sync_approved_partners(&target.client, "https://example.com/shop").await.unwrap();
    let sent = requests(&target.mock).received_requests().await.unwrap();
    assert_eq!(links.len(), sent.len() - 1, "one page of partners, then one link per partner");
    assert!(!links.is_empty() && links.iter().all(|l| l.starts_with("http")), "{links:?}");

    let target = partnerize::target().await.unwrap();
    let dir = std::env::temp_dir().join(format!("affiliate-examples-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("conversions.csv");
    let (conversions, bytes) =
        partnerize::month_of_conversions(&target.client, "1l1", ("2026-10-01", "2026-10-31"), &csv).await.unwrap();
    assert!(conversions > 0);
    assert_eq!(std::fs::metadata(&csv).unwrap().len(), bytes);
    assert!(std::fs::read_to_string(&csv).unwrap().contains(','), "a CSV");
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(requests(&target.mock).received_requests().await.unwrap().len(), 2, "one report page, one export");

    let target = geniuslink::target().await.unwrap();
    let programs = geniuslink::set_group_tokens(&target.client, 7, "jane", "guid", &[("tag", "x-20")]).await.unwrap();
    assert!(programs > 0);
    assert_eq!(requests(&target.mock).received_requests().await.unwrap().len(), 2);
}

/// The webhook receiver on a loopback port, fed by the mock crate: each delivery's status, and what
/// the service recorded for the verified ones only.
#[tokio::test]
async fn the_webhook_receiver_acts_only_on_verified_deliveries() {
    const SECRET: &str = "whsec_examples_test";
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks/dub", listener.local_addr().unwrap());
    let server = tokio::spawn(dub_webhooks::serve(listener, dub_webhooks::router(SECRET, log.clone())));

    let commission = affiliate_dub_mock::webhooks::example("commission.created").unwrap();
    let lead = affiliate_dub_mock::webhooks::example("lead.created").unwrap();
    let unknown = br#"{"id":"evt_9","event":"payout.sent","createdAt":"2025-03-01T00:00:00Z","data":{}}"#;
    use affiliate_dub_mock::webhooks::{deliver, deliver_raw};
    // (what, delivery, status the endpoint answers)
    let cases = [
        ("commission", deliver(&url, SECRET, &commission).await, 200),
        ("lead", deliver(&url, SECRET, &lead).await, 200),
        ("unknown event", deliver_raw(&url, SECRET, unknown).await, 200),
        ("another secret", deliver(&url, "whsec_someone_else", &commission).await, 401),
        ("not a delivery", deliver_raw(&url, SECRET, b"[]").await, 400),
    ];
    for (what, answer, status) in cases {
        assert_eq!(answer.unwrap().status, status, "{what}");
    }
    // No signature header at all.
    let unsigned = affiliate_dub::reqwest::Client::new().post(&url).body(unknown.to_vec()).send().await.unwrap();
    assert_eq!(unsigned.status().as_u16(), 401, "unsigned");
    let log = log.lock().unwrap().clone();
    assert_eq!(
        log,
        [
            "commission cm_1JVR7XRCSR0EDBAF39FZ4PMYE for pn_1JGK2R5W1X9YVQ8ZP0H3T6M4A: 980 usd earned",
            "lead from customer user_42",
            "ignored unknown event payout.sent",
        ]
    );
    server.abort();
}
