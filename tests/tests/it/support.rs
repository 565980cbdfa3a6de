//! Shared helpers: reading operations and examples out of `specs/`, and inspecting what a mock
//! server received.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// A spec from `specs/`, for its operations' paths and documented examples.
pub struct Spec {
    doc: Value,
}

impl Spec {
    pub fn load(name: &str) -> Spec {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../specs").join(format!("{name}.yaml"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Spec { doc: serde_yaml::from_str(&text).unwrap() }
    }

    /// Method (upper case), path template and operation object of `operation_id`.
    pub fn operation(&self, operation_id: &str) -> (String, String, &Value) {
        for (path, item) in self.doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if op.get("operationId").and_then(Value::as_str) == Some(operation_id) {
                    return (method.to_uppercase(), path.clone(), op);
                }
            }
        }
        panic!("no operation {operation_id}")
    }

    pub fn operation_ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        for item in self.doc["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                    ids.push(id.to_string());
                }
            }
        }
        ids
    }

    fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str) {
            Some(target) => self.resolve(self.doc.pointer(&target[1..]).expect("dangling $ref")),
            None => value,
        }
    }

    /// The documented example of a response or request body: `example`, or the first `examples`.
    fn media_example(&self, holder: &Value) -> Option<Value> {
        let holder = self.resolve(holder);
        let media = holder.get("content")?.as_object()?.values().next()?;
        media
            .get("example")
            .cloned()
            .or_else(|| media.get("examples")?.as_object()?.values().next().map(|e| self.resolve(e)["value"].clone()))
    }

    /// The first 2xx response's status and documented example.
    pub fn success_example(&self, operation_id: &str) -> (u16, Value) {
        let (_, _, op) = self.operation(operation_id);
        let (status, response) = op["responses"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(status, _)| status.starts_with('2'))
            .unwrap_or_else(|| panic!("{operation_id}: no 2xx response"));
        let example = self.media_example(response).unwrap_or(Value::Null);
        (status.parse().unwrap_or(200), example)
    }

    /// Every named example of the first 2xx response (for responses whose shape varies).
    pub fn success_examples(&self, operation_id: &str) -> Vec<(String, Value)> {
        let (_, _, op) = self.operation(operation_id);
        let response = op["responses"].as_object().unwrap().iter().find(|(s, _)| s.starts_with('2')).unwrap().1;
        let media = self.resolve(response)["content"].as_object().unwrap().values().next().unwrap().clone();
        match media.get("examples").and_then(Value::as_object) {
            Some(examples) => examples.iter().map(|(k, v)| (k.clone(), self.resolve(v)["value"].clone())).collect(),
            None => vec![("example".to_string(), media["example"].clone())],
        }
    }

    /// The `example` of a component schema.
    pub fn schema_example(&self, component: &str) -> Value {
        let example = self.doc["components"]["schemas"][component]["example"].clone();
        assert!(!example.is_null(), "{component}: no example");
        example
    }

    pub fn request_example(&self, operation_id: &str) -> Value {
        let (_, _, op) = self.operation(operation_id);
        self.media_example(&op["requestBody"]).unwrap_or_else(|| panic!("{operation_id}: no request example"))
    }

    /// Every documented error status of an operation with its example body.
    pub fn error_examples(&self, operation_id: &str) -> Vec<(u16, Value)> {
        let (_, _, op) = self.operation(operation_id);
        op["responses"]
            .as_object()
            .unwrap()
            .iter()
            .filter_map(|(status, response)| {
                let status: u16 = status.parse().ok().filter(|s| *s >= 400)?;
                Some((status, self.media_example(response)?))
            })
            .collect()
    }
}

/// The requests a mock server received, in order. A server started without request recording
/// fails the test here: an empty list would make every "nothing was sent" check pass unseen.
pub async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.expect("the mock server records requests (MockServer::start does)")
}

/// A request's query as decoded name/value pairs, in wire order.
pub fn query(request: &Request) -> Vec<(String, String)> {
    request.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

pub fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

/// JSON with every number as a float: `50` and `50.0` are the same value on the wire.
pub fn numbers_as_f64(value: Value) -> Value {
    match value {
        Value::Number(n) => serde_json::json!(n.as_f64()),
        Value::Array(items) => Value::Array(items.into_iter().map(numbers_as_f64).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, numbers_as_f64(v))).collect()),
        other => other,
    }
}

/// One operation called through a client `C`, given the spec's request example as the body; it
/// returns the decoded answer as JSON ([`answer`]), `null` for a byte stream.
pub type Call<C> = for<'c> fn(&'c C, Value) -> BoxFuture<'c, affiliate_runtime::Result<Value>>;

/// A decoded answer as JSON, to compare with what the server sent.
pub fn answer<T: serde::Serialize>(response: affiliate_runtime::ResponseValue<T>) -> Value {
    serde_json::to_value(response.into_inner()).expect("generated types serialise")
}

fn same_instant(a: &str, b: &str) -> bool {
    use affiliate_dub::chrono::DateTime;
    matches!((DateTime::parse_from_rfc3339(a), DateTime::parse_from_rfc3339(b)), (Ok(a), Ok(b)) if a == b)
}

/// A byte stream or a per-status answer, not compared: `null`.
pub fn streamed<T>(_: affiliate_runtime::ResponseValue<T>) -> Value {
    Value::Null
}

/// Whether every value the client decoded is what `sent` has at the same place: a field the
/// client's type lacks is dropped when decoding, one it leaves unset is `null`/absent, and
/// numbers compare as numbers. `Err` names the first difference.
pub fn decoded_from(decoded: &Value, sent: &Value, at: &str) -> Result<(), String> {
    match (decoded, sent) {
        (Value::Null, _) => Ok(()),
        (Value::Object(fields), Value::Object(sent)) => fields.iter().try_for_each(|(name, value)| {
            decoded_from(value, sent.get(name).unwrap_or(&Value::Null), &format!("{at}/{name}"))
        }),
        (Value::Array(items), Value::Array(sent)) if items.len() == sent.len() => {
            items.iter().zip(sent).enumerate().try_for_each(|(i, (a, b))| decoded_from(a, b, &format!("{at}/{i}")))
        }
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => Ok(()),
        // Lenient fields: a number sent as text, or text sent as a number.
        (Value::Number(a), Value::String(b)) | (Value::String(b), Value::Number(a))
            if b.trim().parse::<f64>().ok() == a.as_f64() =>
        {
            Ok(())
        }
        // Date-times: the same instant, whatever the notation (`.000Z`, `+00:00`).
        (Value::String(a), Value::String(b)) if same_instant(a, b) => Ok(()),
        (a, b) if a == b => Ok(()),
        (a, b) => Err(format!("{at}: decoded {a}, the server sent {b}")),
    }
}

/// What one operation must put on the wire.
pub struct Case<C> {
    pub operation: &'static str,
    /// The concrete path the call targets (the spec's template with values filled in).
    pub path: &'static str,
    /// Expected query pairs (order-insensitive: progenitor sorts them by name).
    pub query: &'static [(&'static str, &'static str)],
    /// Whether the request carries the spec's request example as its JSON body.
    pub body: bool,
    pub call: Call<C>,
}

/// Serves the operation's documented success example on a fresh server and asserts the request:
/// method, path, query, JSON body, and the given headers (auth among them); one request exactly.
pub async fn check<C>(spec: &Spec, case: Case<C>, client: impl Fn(&MockServer) -> C, headers: &[(&str, &str)]) {
    let op = case.operation;
    let server = MockServer::start().await;
    let (verb, _, _) = spec.operation(op);
    let (status, example) = spec.success_example(op);
    Mock::given(method(verb.as_str()))
        .and(path(case.path))
        .respond_with(ResponseTemplate::new(status).set_body_json(&example))
        .expect(1)
        .mount(&server)
        .await;
    let body = if case.body { spec.request_example(op) } else { Value::Null };
    (case.call)(&client(&server), body.clone()).await.unwrap_or_else(|e| panic!("{op}: {e}"));
    let requests = received(&server).await;
    assert_eq!(requests.len(), 1, "{op}");
    let request = &requests[0];
    let mut expected: Vec<(String, String)> = case.query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let mut sent = query(request);
    expected.sort();
    sent.sort();
    assert_eq!(sent, expected, "{op}: query");
    for (name, value) in headers {
        assert_eq!(header(request, name), Some(*value), "{op}: header {name}");
    }
    assert!(header(request, "api-version").is_none(), "{op}: progenitor's api-version header is removed");
    assert!(header(request, "user-agent").is_some_and(|ua| ua.starts_with("affiliate-")), "{op}: user agent");
    if case.body {
        let sent: Value = serde_json::from_slice(&request.body).expect("JSON body");
        assert_eq!(numbers_as_f64(sent), numbers_as_f64(body), "{op}: body");
        assert_eq!(header(request, "content-type"), Some("application/json"), "{op}");
    } else {
        assert!(request.body.is_empty(), "{op}: no body");
    }
}

/// Asserts the cases cover every operation of the spec.
pub fn assert_covers_spec<C>(spec: &Spec, cases: &[Case<C>]) {
    let mut covered: Vec<&str> = cases.iter().map(|c| c.operation).collect();
    let mut all = spec.operation_ids();
    covered.sort();
    all.sort();
    assert_eq!(covered, all, "every operation of the spec has a case");
}

/// Deserialises a spec example into a generated type (a failure means spec and types disagree).
pub fn typed<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("the spec's example fits the generated type")
}

/// Retries fast enough for tests: `attempts` in all, 5-20 ms backoff, a 10 s budget.
pub fn quick_retries(attempts: u32) -> affiliate_runtime::RetryPolicy {
    affiliate_runtime::RetryPolicy::default()
        .with_max_attempts(attempts)
        .with_backoff(std::time::Duration::from_millis(5), std::time::Duration::from_millis(20))
        .with_max_elapsed(std::time::Duration::from_secs(10))
}

// ---------------------------------------------------------------------------------------------
// Trace capture
// ---------------------------------------------------------------------------------------------

thread_local! {
    /// Where the test subscriber writes on this thread (nowhere when `None`).
    static CAPTURE: std::cell::RefCell<Option<Arc<Mutex<Vec<u8>>>>> = const { std::cell::RefCell::new(None) };
}

/// Writes to the current thread's capture buffer, if it has one.
struct Captured;

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURE.with(|c| {
            if let Some(buffer) = c.borrow().as_ref() {
                buffer.lock().unwrap().extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures everything traced on this thread until the returned guard drops.
///
/// One process-wide subscriber, installed once: a per-test `set_default` races with other tests'
/// threads over tracing's global callsite-interest cache, and then silently misses events.
pub fn capture_traces() -> (Arc<Mutex<Vec<u8>>>, impl Drop) {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
            .with_ansi(false)
            .with_writer(|| Captured)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber in this test binary");
    });
    struct Uncapture;
    impl Drop for Uncapture {
        fn drop(&mut self) {
            CAPTURE.with(|c| c.borrow_mut().take());
        }
    }
    let buffer = Arc::new(Mutex::new(Vec::new()));
    CAPTURE.with(|c| *c.borrow_mut() = Some(buffer.clone()));
    (buffer, Uncapture)
}
