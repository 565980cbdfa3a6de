//! What a service can watch: a hook called around every attempt (request, response, retry) and
//! OpenTelemetry-named metrics through the `metrics` facade. Both are off until a service asks.

use std::sync::Arc;
use std::time::Duration;

/// One moment of a call, as a hook registered with
/// [`ClientBuilder::observe`](crate::ClientBuilder::observe) sees it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event<'a> {
    /// An attempt is about to be sent (after any wait for the rate limit).
    Request {
        /// The operation's snake-case id.
        operation: &'a str,
        /// The HTTP method.
        method: &'a str,
        /// 1 for the first attempt.
        attempt: u32,
        /// How long this attempt waited for the rate-limit budget.
        waited: Duration,
    },
    /// An attempt ended: with a status, or with `error_type` when no response came.
    Response {
        /// The operation's snake-case id.
        operation: &'a str,
        /// 1 for the first attempt.
        attempt: u32,
        /// The response's status, if one came.
        status: Option<u16>,
        /// A low-cardinality label for the failure (`connect`, `timeout`, `500`...), if any.
        error_type: Option<&'a str>,
        /// From sending to the response (headers, and the body when it was read).
        duration: Duration,
    },
    /// The attempt will be sent again after `wait`.
    Retry {
        /// The operation's snake-case id.
        operation: &'a str,
        /// The attempt that failed.
        attempt: u32,
        /// The wait before the next one.
        wait: Duration,
    },
    /// A retry was refused because the client's retry budget is spent.
    RetryBudgetExhausted {
        /// The operation's snake-case id.
        operation: &'a str,
    },
}

pub(crate) type Hook = Arc<dyn Fn(&Event<'_>) + Send + Sync>;

/// Hooks and metrics of one client.
#[derive(Clone, Default)]
pub(crate) struct Observers {
    pub hooks: Vec<Hook>,
    pub metrics: bool,
}

impl Observers {
    pub(crate) fn emit<'a>(&self, event: impl FnOnce() -> Event<'a>) {
        if !self.hooks.is_empty() {
            let event = event();
            for hook in &self.hooks {
                hook(&event);
            }
        }
    }

    /// `http.client.request.duration` (seconds), with the OpenTelemetry HTTP client attributes
    /// and the operation id.
    pub(crate) fn record_attempt(&self, attempt: &Attempt<'_>) {
        if !self.metrics {
            return;
        }
        let mut labels = vec![
            ("http.request.method", attempt.method.to_string()),
            ("server.address", attempt.server.to_string()),
            ("affiliate.api", attempt.api.to_string()),
            ("affiliate.operation", attempt.operation.to_string()),
        ];
        if let Some(status) = attempt.status {
            labels.push(("http.response.status_code", status.to_string()));
        }
        if let Some(error) = attempt.error_type {
            labels.push(("error.type", error.to_string()));
        }
        metrics::histogram!("http.client.request.duration", &labels).record(attempt.duration.as_secs_f64());
    }

    /// `affiliate.client.rate_limit.wait` (seconds): time spent waiting for the budget.
    pub(crate) fn record_wait(&self, api: &'static str, waited: Duration) {
        if self.metrics {
            metrics::histogram!("affiliate.client.rate_limit.wait", "affiliate.api" => api)
                .record(waited.as_secs_f64());
        }
    }
}

/// What one attempt's metric carries.
pub(crate) struct Attempt<'a> {
    pub api: &'a str,
    pub operation: &'a str,
    pub method: &'a str,
    pub server: &'a str,
    pub status: Option<u16>,
    pub error_type: Option<&'a str>,
    pub duration: Duration,
}
