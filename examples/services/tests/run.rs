//! Each example's service against the generated mock, as `cargo run --example` does without
//! credentials; the mock answers from the spec's examples and counts the requests.

use affiliate_examples::{dub, geniuslink, partnerize};

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
