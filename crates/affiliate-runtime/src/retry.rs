//! When and how long to wait before sending a request again.

use std::time::Duration;

use reqwest::StatusCode;

/// Retry settings: bounded attempts, exponential backoff with jitter, and a total time budget.
///
/// Retried: 408, 429 and 5xx answers and connection failures, for idempotent operations (GET, PUT,
/// DELETE, ... and POSTs the spec marks `x-affiliate-idempotent`). A non-idempotent POST is retried
/// only after a 429 (the server did not act on it) or when the connection could not be opened (it
/// was never sent). A server's `Retry-After` wins over the backoff; if it exceeds what is left of
/// the budget the answer is returned at once, carrying [`crate::ApiError::retry_after`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, including the first (1 disables retries).
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubles each time.
    pub initial_backoff: Duration,
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

impl RetryPolicy {
    /// Send every request exactly once.
    pub fn none() -> Self {
        RetryPolicy { max_attempts: 1, ..RetryPolicy::default() }
    }

    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    pub fn with_max_elapsed(mut self, budget: Duration) -> Self {
        self.max_elapsed = budget;
        self
    }

    /// Backoff before attempt `attempt + 1` (`attempt` >= 1): half fixed, half random ("equal jitter").
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.initial_backoff.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let cap = exp.min(self.max_backoff);
        let half = cap / 2;
        half + half.mul_f64(rand::random::<f64>())
    }

    pub(crate) fn retryable_status(status: StatusCode) -> bool {
        matches!(status.as_u16(), 408 | 429 | 500..=599)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_cap() {
        let policy = RetryPolicy::default().with_backoff(Duration::from_millis(100), Duration::from_millis(1000));
        for (attempt, low, high) in [(1, 50, 100), (2, 100, 200), (3, 200, 400), (5, 500, 1000), (30, 500, 1000)] {
            for _ in 0..50 {
                let d = policy.backoff(attempt).as_millis() as u64;
                assert!((low..=high).contains(&d), "attempt {attempt}: {d} not in {low}..={high}");
            }
        }
    }

    #[test]
    fn retryable_statuses() {
        for (code, expected) in
            [(408, true), (429, true), (500, true), (503, true), (400, false), (404, false), (200, false)]
        {
            assert_eq!(RetryPolicy::retryable_status(StatusCode::from_u16(code).unwrap()), expected, "{code}");
        }
    }
}
