//! Per-call options (a timeout, extra headers, a retry policy) that one operation builder carries
//! to the hooks of its own requests. progenitor's hooks see only the request and the operation id,
//! so `send` puts the options in a task-local around exactly that call.

use std::future::Future;
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue, AUTHORIZATION};

use crate::retry::RetryPolicy;

/// What one call adds to the client's settings; built by the operation builder's `timeout`,
/// `header` and `retry_policy` methods.
#[derive(Clone, Debug, Default)]
pub struct CallOptions {
    timeout: Option<Duration>,
    /// Values are marked sensitive: a per-call header may well be a secret of the caller's.
    headers: Vec<(HeaderName, HeaderValue)>,
    retry: Option<RetryPolicy>,
    /// The first unusable header, reported when the call is sent (builder methods cannot fail).
    invalid: Option<String>,
}

impl CallOptions {
    /// Limit for each attempt of this call, from sending to the end of the response body.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = Some(timeout);
    }

    /// Retry policy for this call instead of the client's.
    pub fn set_retry_policy(&mut self, policy: RetryPolicy) {
        self.retry = Some(policy);
    }

    /// A header for this call only; it replaces a client-wide header of the same name.
    pub fn add_header(&mut self, name: &str, value: &str) {
        let Ok(header) = HeaderName::from_bytes(name.as_bytes()) else {
            self.invalid.get_or_insert_with(|| format!("`{name}` is not a valid header name"));
            return;
        };
        // The value may be a secret: the error names the header only.
        let Ok(mut value) = HeaderValue::from_str(value) else {
            self.invalid.get_or_insert_with(|| format!("the value of header `{name}` is not valid"));
            return;
        };
        value.set_sensitive(true);
        self.headers.retain(|(n, _)| *n != header);
        self.headers.push((header, value));
    }

    /// Runs `call` (one `send`, with its retries) with these options visible to the hooks.
    pub(crate) async fn scope<F: Future>(self, call: F) -> F::Output {
        CALL.scope(self, call).await
    }
}

tokio::task_local! {
    static CALL: CallOptions;
}

/// Runs `call` with `options` visible to the hooks: for requests a generated builder makes outside
/// its own `send` (the result download of `wait_for_result`).
pub async fn with_options<F: Future>(options: CallOptions, call: F) -> F::Output {
    options.scope(call).await
}

/// The `pre` hook's part: this call's timeout and headers onto the request. A header that carries
/// the API's credentials cannot be set per call (`auth` are the client's credential headers).
pub(crate) fn apply(request: &mut reqwest::Request, auth: &[(HeaderName, HeaderValue)]) -> Result<(), String> {
    CALL.try_with(|options| {
        if let Some(invalid) = &options.invalid {
            return Err(invalid.clone());
        }
        for (name, value) in &options.headers {
            if *name == AUTHORIZATION || auth.iter().any(|(n, _)| n == name) {
                return Err(format!(
                    "the header `{name}` carries this API's credentials and cannot be set per call; \
                     set credentials on the client builder"
                ));
            }
            request.headers_mut().insert(name.clone(), value.clone());
        }
        if let Some(timeout) = options.timeout {
            *request.timeout_mut() = Some(timeout);
        }
        Ok(())
    })
    // Outside a generated `send` (a link fetched for a job): nothing per call.
    .unwrap_or(Ok(()))
}

/// This call's retry policy, if it set one.
pub(crate) fn retry_override() -> Option<RetryPolicy> {
    CALL.try_with(|options| options.retry.clone()).ok().flatten()
}
