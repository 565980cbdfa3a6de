//! When and how long to wait before sending a request again: the policy, the classification of
//! transport failures, and the one pure function ([`RetryPolicy::decide`]) that applies the rules.

use std::time::Duration;

use reqwest::StatusCode;

/// Retry settings: bounded attempts, exponential backoff with jitter, and a total time budget.
///
/// Retried: 408, 429 and 5xx answers and connection failures, for idempotent operations (GET, PUT,
/// DELETE, ... and POSTs the spec marks `x-affiliate-idempotent`). A non-idempotent POST is retried
/// only after a 429 (the server did not act on it) or when the connection could not be opened (it
/// was never sent). A server's `Retry-After` wins over the backoff; if it exceeds what is left of
/// the budget the answer is returned at once, carrying [`crate::ApiError::retry_after`].
///
/// In full, per attempt (each row is a case of the `decide` table test):
///
/// | outcome of the attempt                        | idempotent | non-idempotent |
/// |-----------------------------------------------|------------|----------------|
/// | 2xx, 3xx, 4xx other than 408/429              | returned   | returned       |
/// | 408, 5xx                                      | retried    | returned       |
/// | 429                                           | retried    | retried        |
/// | connection could not be opened                | retried    | retried        |
/// | timeout, reset or failure after sending       | retried    | returned       |
/// | request that can never succeed (malformed)    | returned   | returned       |
///
/// and a retry happens only while attempts are left (`max_attempts` in all), the request can be
/// sent again (a streaming body cannot), and the wait (the server's `Retry-After` on a 408, 429
/// or 5xx if it gave one, else the backoff) ends within `max_elapsed` of the first attempt's start.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, including the first (1 disables retries).
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubles each time.
    pub initial_backoff: Duration,
    /// Where the doubling stops; with jitter a wait is then between half of it and all of it.
    pub max_backoff: Duration,
    /// No retry starts later than this after the first attempt started.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            max_elapsed: Duration::from_secs(60),
        }
    }
}

/// How an attempt failed without a response, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The connection could not be opened: the request never reached the server.
    Connect,
    /// No complete answer within the timeout; the server may have acted.
    Timeout,
    /// The request was (perhaps partly) sent, then the connection failed or the body could not be
    /// read; the server may have acted.
    Interrupted,
    /// Sending it again cannot help (the request could not be built, say): never retried.
    Permanent,
}

/// Sorts a transport error into a [`Failure`]: the one place the retry rule and the logs read
/// reqwest's error kinds (`Error::from_transport` separates timeouts for callers).
pub(crate) fn classify(error: &reqwest::Error) -> Failure {
    // Before `is_connect()`: a certificate the client does not trust fails while connecting, and
    // will not be trusted next time either.
    if error.is_builder() || crate::transport::is_permanent(error) {
        Failure::Permanent
    } else if error.is_connect() {
        // A connect timeout is a connect failure too: nothing was sent.
        Failure::Connect
    } else if error.is_timeout() {
        Failure::Timeout
    } else if error.is_request() || error.is_body() || error.is_decode() {
        Failure::Interrupted
    } else {
        // Redirect-policy, upgrade and status errors do not change on a second try.
        Failure::Permanent
    }
}

/// What one attempt ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Status(StatusCode),
    Failed(Failure),
}

/// Everything [`RetryPolicy::decide`] looks at after an attempt.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Attempt {
    pub outcome: Outcome,
    /// GET, PUT, DELETE... or a POST the spec marks idempotent.
    pub idempotent: bool,
    /// 1 for the first attempt.
    pub number: u32,
    /// Since the first attempt started.
    pub elapsed: Duration,
    /// The server's `Retry-After` (already capped by the parser), if it sent one.
    pub retry_after: Option<Duration>,
    /// Whether the request can be sent again (a streaming body cannot).
    pub resendable: bool,
}

/// The verdict on an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Wait this long, then send the request again.
    Retry(Duration),
    /// Return this attempt's result.
    Stop(Stop),
}

/// Why an attempt's result is returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The outcome is final (a success, a client error, a failure that may have acted...).
    Final,
    /// Retryable, but `max_attempts` are spent or the request cannot be sent again.
    NoAttemptsLeft,
    /// Retryable, but the wait would end past `max_elapsed`.
    OverBudget,
    /// Retryable, but the client's retry budget is spent.
    RetryBudget,
}

impl RetryPolicy {
    /// Send every request exactly once.
    pub fn none() -> Self {
        RetryPolicy { max_attempts: 1, ..RetryPolicy::default() }
    }

    /// Attempts in all, including the first; 0 counts as 1, as the first attempt is always made.
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Backoff before the second attempt and its cap; a `max` below `initial` is raised to it.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Time budget: no retry starts later than `budget` after the first attempt started.
    pub fn with_max_elapsed(mut self, budget: Duration) -> Self {
        self.max_elapsed = budget;
        self
    }

    /// The retry rule of the table above. Pure: `jitter` (in `0.0..=1.0`) is the random part of
    /// the backoff, drawn by the caller.
    pub(crate) fn decide(&self, attempt: &Attempt, jitter: f64) -> Decision {
        let retryable = match attempt.outcome {
            Outcome::Status(status) => match status.as_u16() {
                // The server refused before acting: safe to resend whatever the method.
                429 => true,
                408 | 500..=599 => attempt.idempotent,
                _ => false,
            },
            Outcome::Failed(Failure::Connect) => true,
            Outcome::Failed(Failure::Timeout | Failure::Interrupted) => attempt.idempotent,
            Outcome::Failed(Failure::Permanent) => false,
        };
        if !retryable {
            return Decision::Stop(Stop::Final);
        }
        if attempt.number >= self.max_attempts || !attempt.resendable {
            return Decision::Stop(Stop::NoAttemptsLeft);
        }
        let wait = match (attempt.outcome, attempt.retry_after) {
            (Outcome::Status(_), Some(asked)) => asked,
            _ => self.backoff(attempt.number, jitter),
        };
        // Saturating: a wait near Duration::MAX must end the retries, not overflow.
        if attempt.elapsed.saturating_add(wait) > self.max_elapsed {
            return Decision::Stop(Stop::OverBudget);
        }
        Decision::Retry(wait)
    }

    /// Backoff before attempt `attempt + 1` (`attempt` >= 1): half fixed, half `jitter` of the
    /// other half ("equal jitter").
    pub(crate) fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = self.initial_backoff.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let cap = exp.min(self.max_backoff);
        let half = cap / 2;
        let jitter = if jitter.is_finite() { jitter.clamp(0.0, 1.0) } else { 0.0 };
        // `try_from`: `mul_f64` panics when float rounding lands past `Duration::MAX`.
        let random = Duration::try_from_secs_f64(half.as_secs_f64() * jitter).unwrap_or(half).min(half);
        half.saturating_add(random)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_cap() {
        let policy = RetryPolicy::default().with_backoff(Duration::from_millis(100), Duration::from_millis(1000));
        // (attempt, jitter, expected ms)
        let cases = [
            (1, 0.0, 50),
            (1, 1.0, 100),
            (2, 0.0, 100),
            (2, 0.5, 150),
            (3, 1.0, 400),
            (5, 0.0, 500),
            (5, 1.0, 1000),
            (30, 1.0, 1000),
            (u32::MAX, 1.0, 1000),
            (1, f64::NAN, 50),
            (1, 7.0, 100),
        ];
        for (attempt, jitter, expected) in cases {
            assert_eq!(policy.backoff(attempt, jitter).as_millis(), expected, "attempt {attempt}, jitter {jitter}");
        }
        let huge = RetryPolicy::default().with_backoff(Duration::MAX, Duration::MAX);
        assert!(huge.backoff(20, 1.0) >= Duration::MAX / 2, "saturates");
    }

    /// Real reqwest errors, from servers on 127.0.0.1, sorted into their classes.
    #[tokio::test]
    async fn transport_errors_are_classified() {
        use std::io::Read;
        use std::net::TcpListener;
        // A port nothing listens on: bound, then closed.
        let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        // A server that reads the request, then holds (`hold`) or drops the connection unanswered.
        let server = |hold: bool| {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            std::thread::spawn(move || {
                if let Ok((mut socket, _)) = listener.accept() {
                    let _ = socket.read(&mut [0u8; 1024]);
                    if hold {
                        std::thread::sleep(Duration::from_secs(2));
                    }
                }
            });
            format!("http://{addr}/")
        };
        let client = reqwest::Client::builder().timeout(Duration::from_millis(300)).build().unwrap();
        let cases = [
            ("not a URL", "http://[::1", Failure::Permanent),
            ("connection refused", &format!("http://{closed}/") as &str, Failure::Connect),
            ("no answer in time", &server(true), Failure::Timeout),
            ("closed without an answer", &server(false), Failure::Interrupted),
        ];
        for (name, url, expected) in cases {
            let error = client.get(url).send().await.expect_err(name);
            assert_eq!(classify(&error), expected, "{name}: {error:?}");
        }
    }

    /// One row per line of the `RetryPolicy` table and of the conditions under it.
    #[test]
    fn decide_follows_the_documented_table() {
        use Decision::{Retry, Stop as S};
        use Failure::*;
        use Stop::*;
        let ms = Duration::from_millis;
        let policy = RetryPolicy::default()
            .with_max_attempts(3)
            .with_backoff(ms(100), ms(1000))
            .with_max_elapsed(Duration::from_secs(10));
        let status = |code: u16| Outcome::Status(StatusCode::from_u16(code).unwrap());
        let failed = Outcome::Failed;
        let first = |outcome, idempotent| Attempt {
            outcome,
            idempotent,
            number: 1,
            elapsed: Duration::ZERO,
            retry_after: None,
            resendable: true,
        };
        // Jitter 0: the first backoff is 50 ms, the second 100 ms.
        let backoff = Retry(ms(50));
        let cases: Vec<(&str, Attempt, Decision)> = vec![
            // 2xx, 3xx, 4xx other than 408/429: returned.
            ("200 GET", first(status(200), true), S(Final)),
            ("201 POST", first(status(201), false), S(Final)),
            ("304 GET", first(status(304), true), S(Final)),
            ("400 GET", first(status(400), true), S(Final)),
            ("401 GET", first(status(401), true), S(Final)),
            ("404 GET", first(status(404), true), S(Final)),
            ("422 POST", first(status(422), false), S(Final)),
            // 408, 5xx: retried when idempotent.
            ("408 GET", first(status(408), true), backoff),
            ("500 GET", first(status(500), true), backoff),
            ("503 GET", first(status(503), true), backoff),
            ("599 GET", first(status(599), true), backoff),
            ("408 POST", first(status(408), false), S(Final)),
            ("503 POST", first(status(503), false), S(Final)),
            // 429: retried whatever the method.
            ("429 GET", first(status(429), true), backoff),
            ("429 POST", first(status(429), false), backoff),
            // Connection not opened: retried whatever the method.
            ("connect GET", first(failed(Connect), true), backoff),
            ("connect POST", first(failed(Connect), false), backoff),
            // Timeout, reset after sending: retried when idempotent.
            ("timeout GET", first(failed(Timeout), true), backoff),
            ("interrupted GET", first(failed(Interrupted), true), backoff),
            ("timeout POST", first(failed(Timeout), false), S(Final)),
            ("interrupted POST", first(failed(Interrupted), false), S(Final)),
            // Permanent: never.
            ("permanent GET", first(failed(Permanent), true), S(Final)),
            ("permanent POST", first(failed(Permanent), false), S(Final)),
            // Attempts: the backoff doubles; none after max_attempts; none for an unclonable body.
            ("second attempt", Attempt { number: 2, ..first(status(503), true) }, Retry(ms(100))),
            ("last attempt", Attempt { number: 3, ..first(status(503), true) }, S(NoAttemptsLeft)),
            ("past last attempt", Attempt { number: 9, ..first(status(429), false) }, S(NoAttemptsLeft)),
            ("streaming body", Attempt { resendable: false, ..first(status(503), true) }, S(NoAttemptsLeft)),
            // Retry-After wins over the backoff, shorter or longer, on a retryable status.
            (
                "retry-after 3 s",
                Attempt { retry_after: Some(Duration::from_secs(3)), ..first(status(429), false) },
                Retry(Duration::from_secs(3)),
            ),
            ("retry-after 0", Attempt { retry_after: Some(Duration::ZERO), ..first(status(503), true) }, Retry(ms(0))),
            // ... but not over a final status, nor past the budget.
            (
                "retry-after on a 400",
                Attempt { retry_after: Some(Duration::from_secs(1)), ..first(status(400), true) },
                S(Final),
            ),
            (
                "retry-after past the budget",
                Attempt { retry_after: Some(Duration::from_secs(11)), ..first(status(429), true) },
                S(OverBudget),
            ),
            (
                "retry-after Duration::MAX",
                Attempt {
                    retry_after: Some(Duration::MAX),
                    elapsed: Duration::from_secs(1),
                    ..first(status(503), true)
                },
                S(OverBudget),
            ),
            (
                "retry-after ending exactly at the budget",
                Attempt {
                    retry_after: Some(Duration::from_secs(4)),
                    elapsed: Duration::from_secs(6),
                    ..first(status(503), true)
                },
                Retry(Duration::from_secs(4)),
            ),
            // The budget bounds the backoff too.
            ("backoff past the budget", Attempt { elapsed: ms(9_960), ..first(failed(Connect), true) }, S(OverBudget)),
            ("backoff within the budget", Attempt { elapsed: ms(9_950), ..first(failed(Connect), true) }, backoff),
        ];
        for (name, attempt, expected) in cases {
            assert_eq!(policy.decide(&attempt, 0.0), expected, "{name}");
        }
        // With attempts disabled, nothing is retried.
        assert_eq!(RetryPolicy::none().decide(&first(status(503), true), 0.0), S(NoAttemptsLeft));
    }
}
