//! Waiting for asynchronous jobs: poll a status operation with backoff until the spec's
//! `x-affiliate-job` says done or failed, then fetch the result link.

use std::future::Future;
use std::time::{Duration, Instant};

use progenitor_client::ResponseValue;

use crate::error::{Error, Result};

/// How often and how long to poll.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Poll {
    /// Wait before the second status request; doubles up to `max_interval`.
    pub interval: Duration,
    /// Longest wait between two status requests, however long the job runs.
    pub max_interval: Duration,
    /// Give up (with [`Error::Job`]) after this long.
    pub timeout: Duration,
}

impl Default for Poll {
    fn default() -> Self {
        Poll {
            interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(30),
            timeout: Duration::from_secs(900),
        }
    }
}

impl Poll {
    /// Polling settings; a `max_interval` below `interval` is raised to it, so waits never shrink.
    pub fn new(interval: Duration, max_interval: Duration, timeout: Duration) -> Self {
        Poll { interval, max_interval: max_interval.max(interval), timeout }
    }
}

/// Where a job stands, read by generated code from a status response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobState {
    /// The status value as the API sent it.
    pub status: Option<String>,
    /// The status is one of the spec's `done` values: this response is the finished job.
    pub done: bool,
    /// The status is one of the spec's `failed` values: the job will never finish.
    pub failed: bool,
}

/// Requests the job's status until it is done (returning that response) or failed, or time runs out.
pub async fn wait<T, F, Fut>(poll: &Poll, mut fetch: F, state: fn(&T) -> JobState) -> Result<ResponseValue<T>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<ResponseValue<T>>>,
{
    let started = Instant::now();
    let mut interval = poll.interval;
    loop {
        let response = fetch().await?;
        let now = state(&response);
        tracing::debug!(status = %crate::text::shown(now.status.as_deref().unwrap_or("?")), "job status");
        if now.done {
            return Ok(response);
        }
        if now.failed {
            return Err(Error::Job(format!("the job ended with status `{}`", now.status.unwrap_or_default())));
        }
        if started.elapsed().saturating_add(interval) > poll.timeout {
            return Err(Error::Job(format!(
                "still `{}` after {:?}; gave up",
                now.status.unwrap_or_default(),
                started.elapsed()
            )));
        }
        tokio::time::sleep(interval).await;
        interval = interval.saturating_mul(2).min(poll.max_interval);
    }
}
