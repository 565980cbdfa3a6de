//! Path parameters cannot leave their segment: for arbitrary strings, a loopback server sees exactly
//! one segment where the parameter goes, and it percent-decodes back to the value; `.`, `..` and
//! the empty value are refused before sending (no URL parser keeps them in place).

use std::sync::{Arc, Mutex};

use affiliate_partnerize::prelude::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Values that broke path encodings, and arbitrary strings weighted toward the dangerous characters.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            ".",
            "..",
            "...",
            "..\\..\\admin",
            "\\",
            "a/b",
            "%2e%2e",
            ".%2E",
            "?x=1#y",
            "\t\n "
        ])
        .prop_map(str::to_string),
        "[./\\\\%2eE?#;@:+ ]{0,8}",
        any::<String>(),
    ]
}

fn percent_decode(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut bytes = text.bytes();
    while let Some(byte) = bytes.next() {
        match (byte, bytes.clone().take(2).collect::<Vec<u8>>()) {
            (b'%', hex) if hex.len() == 2 => match u8::from_str_radix(&String::from_utf8_lossy(&hex), 16) {
                Ok(decoded) => {
                    out.push(decoded);
                    bytes.nth(1);
                }
                Err(_) => out.push(byte),
            },
            _ => out.push(byte),
        }
    }
    out
}

#[test]
fn path_parameters_stay_in_their_segment() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let server = runtime.block_on(MockServer::start());
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    runtime.block_on(
        Mock::given(wiremock::matchers::any())
            .respond_with(move |request: &Request| {
                log.lock().unwrap().push(request.url.path().to_string());
                ResponseTemplate::new(404)
            })
            .mount(&server),
    );
    let client = Client::builder()
        .base_url(server.uri())
        .basic_auth("app", "user")
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    // One operation with the parameter last, one with it between fixed segments.
    let check = |value: &str| -> Result<(), TestCaseError> {
        seen.lock().unwrap().clear();
        let last = runtime.block_on(client.get_partner().publisher_id(value).send()).map(drop);
        let between = runtime.block_on(client.list_websites().publisher_id(value).send()).map(drop);
        let paths = std::mem::take(&mut *seen.lock().unwrap());
        if matches!(value, "" | "." | "..") {
            for result in [last, between] {
                prop_assert!(matches!(result, Err(Error::InvalidRequest(_))), "{value:?}: {result:?}");
            }
            prop_assert!(paths.is_empty(), "{value:?} was sent: {paths:?}");
            return Ok(());
        }
        prop_assert_eq!(paths.len(), 2, "{:?}: {:?}", value, paths);
        for (path, fixed_after) in paths.iter().zip([&[][..], &["website"][..]]) {
            let segments: Vec<&str> = path.split('/').collect();
            prop_assert_eq!(&segments[..3], &["", "user", "publisher"], "{:?} -> {}", value, path);
            prop_assert_eq!(&segments[4..], fixed_after, "{:?} -> {}", value, path);
            prop_assert_eq!(percent_decode(segments[3]), value.as_bytes(), "{:?} -> {}", value, path);
        }
        Ok(())
    };
    let mut runner = TestRunner::new(Config { cases: 256, failure_persistence: None, ..Config::default() });
    runner.run(&value(), |value| check(&value)).unwrap();
}
