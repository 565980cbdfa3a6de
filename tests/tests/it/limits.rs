//! A client's own limits and what it reports, in one process: the retry budget under a failing
//! server, the hooks around each attempt, the OpenTelemetry-named metrics (only when asked for),
//! and the rate limit from the environment.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use affiliate_dub::Client;
use affiliate_runtime::{Event, Rate, RetryBudget, RetryPolicy};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const CALLS: usize = 5;

/// Five calls to a server that always answers 503, four attempts each: the budget, not the
/// policy, bounds the retries (requests the server saw, budget-exhausted events).
#[tokio::test]
async fn the_retry_budget_bounds_retries_across_calls() {
    let check = |name: &'static str, budget: RetryBudget, requests: u64, exhausted: usize| async move {
        let server = MockServer::start().await;
        Mock::given(method("GET")).respond_with(ResponseTemplate::new(503)).expect(requests).mount(&server).await;
        let events = Arc::new(AtomicUsize::new(0));
        let seen = events.clone();
        let client = Client::builder()
            .base_url(server.uri())
            .bearer_token("dub_test")
            .retry_policy(RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(1)))
            .retry_budget(budget)
            .observe(move |event| {
                if matches!(event, Event::RetryBudgetExhausted { .. }) {
                    seen.fetch_add(1, Ordering::Relaxed);
                }
            })
            .build()
            .unwrap();
        for _ in 0..CALLS {
            let error = client.retrieve_partner_links().partner_id("pn_1").send().await.unwrap_err();
            assert_eq!(error.status().map(|s| s.as_u16()), Some(503), "{name}");
        }
        assert_eq!(events.load(Ordering::Relaxed), exhausted, "{name}: budget-exhausted events");
        server.verify().await;
    };
    // 4 attempts per call without a budget.
    check("unlimited", RetryBudget::unlimited(), 4 * CALLS as u64, 0).await;
    // Two retries of 5 tokens, then none: 3 requests for the first call, 1 for each other.
    check("10 tokens", RetryBudget::default().with_capacity(10).with_costs(5, 5), 3 + 4, CALLS).await;
    check("empty", RetryBudget::default().with_capacity(0), CALLS as u64, CALLS).await;
    // The default (500 tokens at 5) is far from spent by 15 retries.
    check("default", RetryBudget::default(), 4 * CALLS as u64, 0).await;
}

/// The hook sees every attempt in order: request, response, retry, request, response.
#[tokio::test]
async fn hooks_see_each_attempt() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(503)).up_to_n_times(1).mount(&server).await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200).set_body_json([0u8; 0])).mount(&server).await;
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = log.clone();
    let client = Client::builder()
        .base_url(server.uri())
        .bearer_token("dub_test")
        .retry_policy(RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(1)))
        .observe(move |event| {
            let line = match event {
                Event::Request { operation, method, attempt, .. } => format!("request {operation} {method} #{attempt}"),
                Event::Response { attempt, status, error_type, .. } => {
                    format!("response #{attempt} {status:?} {error_type:?}")
                }
                Event::Retry { attempt, .. } => format!("retry after #{attempt}"),
                other => format!("{other:?}"),
            };
            sink.lock().unwrap().push(line);
        })
        .build()
        .unwrap();
    client.retrieve_partner_links().partner_id("pn_1").send().await.unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        [
            "request retrieve_partner_links GET #1",
            "response #1 Some(503) Some(\"503\")",
            "retry after #1",
            "request retrieve_partner_links GET #2",
            "response #2 Some(200) None",
        ]
    );
}

/// `http.client.request.duration` with the OpenTelemetry attributes, recorded only when the
/// client was asked to (`metrics(true)` or `AFFILIATE_METRICS=1`).
#[test]
fn metrics_are_recorded_only_when_asked() {
    let check = |name: &str, env: Option<&'static str>, enable: Option<bool>, expected: &[&str]| {
        let recorder = Recorder::default();
        metrics::with_local_recorder(&recorder, || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let server = MockServer::start().await;
                Mock::given(method("GET")).respond_with(ResponseTemplate::new(404)).mount(&server).await;
                let mut builder = Client::builder()
                    .base_url(server.uri())
                    .bearer_token("dub_test")
                    .env_source(move |n| (Some(n) == env.map(|_| "AFFILIATE_METRICS")).then(|| "1".to_string()));
                if let Some(on) = enable {
                    builder = builder.metrics(on);
                }
                let client = builder.build().unwrap();
                let _ = client.retrieve_partner_links().partner_id("pn_1").send().await;
            });
        });
        let recorded = recorder.0.lock().unwrap().clone();
        assert_eq!(recorded, expected, "{name}");
    };
    let duration = "http.client.request.duration{http.request.method=GET,server.address=127.0.0.1,\
                    affiliate.api=dub,affiliate.operation=retrieve_partner_links,\
                    http.response.status_code=404,error.type=404}";
    let wait = "affiliate.client.rate_limit.wait{affiliate.api=dub}";
    check("off by default", None, None, &[]);
    check("builder", None, Some(true), &[wait, duration]);
    check("environment", Some("1"), None, &[wait, duration]);
    check("builder wins", Some("1"), Some(false), &[]);
}

/// Histograms recorded, as `name{label=value,...}`.
#[derive(Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

struct Histogram(Arc<Mutex<Vec<String>>>, String);

impl metrics::HistogramFn for Histogram {
    fn record(&self, _value: f64) {
        self.0.lock().unwrap().push(self.1.clone());
    }
}

impl metrics::Recorder for Recorder {
    fn describe_counter(&self, _: metrics::KeyName, _: Option<metrics::Unit>, _: metrics::SharedString) {}
    fn describe_gauge(&self, _: metrics::KeyName, _: Option<metrics::Unit>, _: metrics::SharedString) {}
    fn describe_histogram(&self, _: metrics::KeyName, _: Option<metrics::Unit>, _: metrics::SharedString) {}
    fn register_counter(&self, _: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Counter {
        metrics::Counter::noop()
    }
    fn register_gauge(&self, _: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Gauge {
        metrics::Gauge::noop()
    }
    fn register_histogram(&self, key: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Histogram {
        let labels: Vec<String> = key.labels().map(|l| format!("{}={}", l.key(), l.value())).collect();
        let name = format!("{}{{{}}}", key.name(), labels.join(","));
        metrics::Histogram::from_arc(Arc::new(Histogram(self.0.clone(), name)))
    }
}

/// `DUB_RATE_LIMIT` paces a client built from the environment; the builder overrides it, and a
/// malformed value is a configuration error that names the variable.
#[tokio::test]
async fn the_rate_limit_comes_from_the_environment() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200).set_body_json([0u8; 0])).mount(&server).await;
    let uri = server.uri();
    let build = |rate: Option<&'static str>, code: Option<Option<Rate>>| {
        let uri = uri.clone();
        let mut builder = Client::builder().env_source(move |name| match name {
            "DUB_API_KEY" => Some("dub_test".into()),
            "DUB_BASE_URL" => Some(uri.clone()),
            "DUB_RATE_LIMIT" => rate.map(str::to_string),
            _ => None,
        });
        if let Some(rate) = code {
            builder = builder.rate_limit(rate);
        }
        builder.build()
    };
    // (case, environment, builder, expected rate, minimum time for 6 calls)
    let cases = [
        ("none", None, None, None, Duration::ZERO),
        ("env 20/s", Some("20/s"), None, Some("20/s"), Duration::from_millis(240)),
        ("builder wins", Some("20/s"), Some(None), None, Duration::ZERO),
    ];
    for (name, env, code, expected, minimum) in cases {
        let client = build(env, code).unwrap();
        assert_eq!(client.runtime().rate_limit().map(|r| r.to_string()).as_deref(), expected, "{name}");
        let started = Instant::now();
        for _ in 0..6 {
            client.retrieve_partner_links().partner_id("pn_1").send().await.unwrap();
        }
        assert!(started.elapsed() >= minimum, "{name}: {:?}", started.elapsed());
    }
    let error = build(Some("fast"), None).map(drop).unwrap_err();
    assert!(error.to_string().contains("DUB_RATE_LIMIT: `fast` is not a rate"), "{error}");
}
