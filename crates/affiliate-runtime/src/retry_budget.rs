//! A retry budget per client (a token bucket, as in smithy-rs's standard retry strategy): a
//! failing API sees a bounded number of retries across all calls, not retries times calls.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// How many retries a client may spend across all its calls.
///
/// The bucket starts full (`capacity` tokens). A retry after a timeout costs `timeout_cost`,
/// any other retry `retry_cost`; a retry the bucket cannot pay for is not made (the call returns
/// its last answer). A call that succeeds on its first attempt puts back `success_refund`, and
/// one that succeeds after retries puts back what its retries cost, so a healthy API refills the
/// bucket and an unhealthy one drains it. Clones of a client share one bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryBudget {
    /// Tokens when full (and at the start).
    pub capacity: u32,
    /// Cost of a retry after anything but a timeout.
    pub retry_cost: u32,
    /// Cost of a retry after a timeout.
    pub timeout_cost: u32,
    /// Put back by a call that succeeded on its first attempt.
    pub success_refund: u32,
}

impl Default for RetryBudget {
    /// smithy-rs's standard values: 500 tokens, 5 per retry, 10 per retry after a timeout, 1 back
    /// per first-attempt success (100 retries in a row when nothing succeeds).
    fn default() -> Self {
        RetryBudget { capacity: 500, retry_cost: 5, timeout_cost: 10, success_refund: 1 }
    }
}

impl RetryBudget {
    /// Retries are limited by the retry policy alone.
    pub fn unlimited() -> Self {
        RetryBudget { capacity: u32::MAX, retry_cost: 0, timeout_cost: 0, success_refund: 0 }
    }

    /// A bucket of `capacity` tokens with the default costs.
    pub fn with_capacity(mut self, capacity: u32) -> Self {
        self.capacity = capacity;
        self
    }

    /// Cost of a retry, and of a retry after a timeout.
    pub fn with_costs(mut self, retry: u32, timeout: u32) -> Self {
        self.retry_cost = retry;
        self.timeout_cost = timeout;
        self
    }
}

/// The bucket itself, shared by clones of one client.
#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    budget: RetryBudget,
    tokens: Arc<AtomicU32>,
}

impl Bucket {
    pub(crate) fn new(budget: RetryBudget) -> Self {
        let tokens = Arc::new(AtomicU32::new(budget.capacity));
        Bucket { budget, tokens }
    }

    /// Pays for one retry; `None` when the bucket cannot (no retry then), else what it cost.
    pub(crate) fn withdraw(&self, after_timeout: bool) -> Option<u32> {
        let cost = if after_timeout { self.budget.timeout_cost } else { self.budget.retry_cost };
        self.tokens.fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(cost)).ok().map(|_| cost)
    }

    /// A call succeeded; `spent` is what its retries cost.
    pub(crate) fn refund(&self, spent: u32) {
        let back = if spent == 0 { self.budget.success_refund } else { spent };
        if back > 0 {
            let capacity = self.budget.capacity;
            let _ = self
                .tokens
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| Some(t.saturating_add(back).min(capacity)));
        }
    }

    /// Tokens left.
    #[cfg(test)]
    pub(crate) fn available(&self) -> u32 {
        self.tokens.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_drains_and_refills() {
        let bucket = Bucket::new(RetryBudget::default().with_capacity(12).with_costs(5, 10));
        // (action, expected result, tokens after)
        let cases: &[(&str, Option<u32>, u32)] = &[
            ("retry", Some(5), 7),
            ("timeout", None, 7),
            ("retry", Some(5), 2),
            ("retry", None, 2),
            ("refund 5", None, 7),
            ("success", None, 8),
            ("refund 100", None, 12),
        ];
        for (action, expected, after) in cases {
            let got = match *action {
                "retry" => bucket.withdraw(false),
                "timeout" => bucket.withdraw(true),
                "success" => {
                    bucket.refund(0);
                    None
                }
                refund => {
                    bucket.refund(refund.trim_start_matches("refund ").parse().unwrap());
                    None
                }
            };
            assert_eq!((got, bucket.available()), (*expected, *after), "{action}");
        }
        let unlimited = Bucket::new(RetryBudget::unlimited());
        assert!((0..10_000).all(|_| unlimited.withdraw(true).is_some()));
    }
}
