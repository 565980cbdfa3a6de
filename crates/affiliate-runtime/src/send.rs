//! Turning progenitor's result into the runtime's: every failure becomes an [`Error`].

use std::cell::RefCell;
use std::future::Future;

use bytes::Bytes;
use progenitor_client::{ByteStream, ResponseValue};
use reqwest::StatusCode;

use crate::body::{announced, read_start, read_whole};
use crate::call::CallOptions;
use crate::error::{snippet, Error, Result, MAX_ERROR_BODY};

/// What the hooks learn about the final response of one `send` that progenitor's result drops.
#[derive(Default)]
struct Outcome {
    /// progenitor drops the status when a success body fails to decode; the error should keep it.
    status: Option<StatusCode>,
    /// A success-status body that a spec rule says is an error (`x-affiliate-body-errors`).
    body_error: Option<Error>,
    /// The `send_raw` decodes a JSON success with [`decode`] (set by [`expect_json`]).
    expects_json: bool,
    /// The JSON success body the retry loop buffered, for [`decode`].
    body: Option<Bytes>,
}

tokio::task_local! {
    static OUTCOME: RefCell<Outcome>;
}

pub(crate) fn record_response(status: StatusCode) {
    let _ = OUTCOME.try_with(|o| o.borrow_mut().status = Some(status));
}

pub(crate) fn record_body_error(error: Error) {
    let _ = OUTCOME.try_with(|o| o.borrow_mut().body_error = Some(error));
}

/// Runs `future` with a fresh per-request outcome (for hooks called outside [`send`]), and
/// returns the error the hooks recorded, if any, beside its output.
pub(crate) async fn scoped<F: Future>(future: F) -> (F::Output, Option<Error>) {
    OUTCOME
        .scope(RefCell::new(Outcome::default()), async move {
            let output = future.await;
            (output, OUTCOME.with(|o| o.borrow_mut().body_error.take()))
        })
        .await
}

/// Called by a generated `send_raw` whose success is a JSON body it decodes with [`decode`]:
/// the retry loop then hands that body over in the task-local instead of rebuilding a response
/// around it for a second read.
pub fn expect_json() {
    let _ = OUTCOME.try_with(|o| o.borrow_mut().expects_json = true);
}

/// Whether the `send` in progress takes its JSON body from [`stash_body`].
pub(crate) fn expects_json() -> bool {
    OUTCOME.try_with(|o| o.borrow().expects_json).unwrap_or(false)
}

/// Keeps the body the retry loop buffered for [`decode`].
pub(crate) fn stash_body(body: Bytes) {
    let _ = OUTCOME.try_with(|o| o.borrow_mut().body = Some(body));
}

/// Decodes a JSON success: the body the retry loop buffered (no second read), or, outside a
/// `send` that expects JSON, the response's own body. Replaces progenitor's
/// `ResponseValue::from_response` in generated code; failures have its shapes.
pub async fn decode<T: serde::de::DeserializeOwned, E>(
    mut response: reqwest::Response,
) -> std::result::Result<ResponseValue<T>, progenitor_client::Error<E>> {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let body = match OUTCOME.try_with(|o| o.borrow_mut().body.take()).ok().flatten() {
        Some(body) => body,
        None => response.bytes().await.map_err(progenitor_client::Error::ResponseBodyError)?,
    };
    match serde_json::from_slice(&body) {
        Ok(inner) => Ok(ResponseValue::new(inner, status, headers)),
        Err(e) => Err(progenitor_client::Error::InvalidResponsePayload(body, e)),
    }
}

/// Awaits a generated `send_raw()` with the call's own options in effect, and maps its error into
/// [`Error`], reading error bodies (up to [`MAX_ERROR_BODY`] bytes) to recognise their shape.
///
/// Generated code passes the request boxed (`Box::pin(self.send_raw())`): a future is copied whole
/// whenever it moves, and the scopes here and the caller's own future then move a pointer.
pub async fn send<T, F>(options: CallOptions, request: F) -> Result<ResponseValue<T>>
where
    F: Future<Output = std::result::Result<ResponseValue<T>, progenitor_client::Error<ByteStream>>>,
{
    let call = OUTCOME.scope(RefCell::new(Outcome::default()), async move {
        let result = request.await;
        // An error the hooks found in the body (a spec rule, a size limit) wins: progenitor saw
        // either the body the rule matched or an empty stand-in.
        if let Some(error) = OUTCOME.with(|o| o.borrow_mut().body_error.take()) {
            return Err(error);
        }
        match result {
            Ok(value) => Ok(value),
            Err(error) => Err(convert(error).await),
        }
    });
    options.scope(call).await
}

async fn convert(error: progenitor_client::Error<ByteStream>) -> Error {
    use progenitor_client::Error as P;
    match error {
        P::InvalidRequest(message) | P::Custom(message) => Error::InvalidRequest(message),
        P::CommunicationError(e) | P::ResponseBodyError(e) | P::InvalidUpgrade(e) => Error::from_transport(e),
        P::ErrorResponse(response) => {
            let status = response.status();
            let headers = response.headers().clone();
            match read_start(response.into_inner().into_inner(), MAX_ERROR_BODY).await {
                Ok(body) => Error::from_response(status, &headers, &body),
                Err(e) => Error::from_transport(e),
            }
        }
        P::InvalidResponsePayload(body, e) => Error::Decode {
            status: OUTCOME.try_with(|o| o.borrow().status).ok().flatten(),
            message: e.to_string(),
            snippet: snippet(&body),
        },
        P::UnexpectedResponse(response) => {
            let status = response.status();
            let headers = response.headers().clone();
            match read_start(Box::pin(response.bytes_stream()), MAX_ERROR_BODY).await {
                Ok(body) if status.is_success() => Error::Decode {
                    status: Some(status),
                    message: "the spec documents no body for this status".to_string(),
                    snippet: snippet(&body),
                },
                Ok(body) => Error::from_response(status, &headers, &body),
                Err(e) => Error::from_transport(e),
            }
        }
    }
}

/// Replaces a response's body value, keeping status and headers.
pub fn map_response<T, U>(response: ResponseValue<T>, f: impl FnOnce(T) -> U) -> ResponseValue<U> {
    let status = response.status();
    let headers = response.headers().clone();
    ResponseValue::new(f(response.into_inner()), status, headers)
}

/// Reads a raw success body whole (within the client's `max_body_bytes`, else
/// [`Error::TooLarge`]) and decodes it as JSON: the JSON variant of an operation whose answer
/// depends on the status, whatever content type the server put on it.
pub async fn decode_json<T: serde::de::DeserializeOwned>(
    response: ResponseValue<ByteStream>,
    max_body_bytes: usize,
) -> Result<ResponseValue<T>> {
    let status = response.status();
    let headers = response.headers().clone();
    let body = read_whole(response.into_inner().into_inner(), announced(&headers), max_body_bytes)
        .await
        .map_err(Error::from_transport)?
        .ok_or(Error::TooLarge { status, limit: max_body_bytes })?;
    serde_json::from_slice(&body).map(|value| ResponseValue::new(value, status, headers)).map_err(|e| Error::Decode {
        status: Some(status),
        message: e.to_string(),
        snippet: snippet(&body),
    })
}

/// A success status the spec does not list for this operation.
pub async fn undocumented_status(response: ResponseValue<ByteStream>) -> Error {
    let status = response.status();
    let body = read_start(response.into_inner().into_inner(), MAX_ERROR_BODY).await.unwrap_or_default();
    Error::Decode {
        status: Some(status),
        message: format!("status {status} is not one the spec documents for this operation"),
        snippet: snippet(&body),
    }
}
