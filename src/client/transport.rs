//! What the core needs from its host: sending HTTP requests, the time, waiting, randomness and
//! cancellation. The browser, Node and native tests each provide one; the core never opens a
//! socket itself and never sees a private key.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::diagnosis::Stage;

/// Why a request is made; hosts route on it (e.g. mutual TLS only for `Token`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    Token,
    Graphql,
    Schema,
    /// A request to a `datafordeler-cpr/relay` (relay mode).
    Relay,
}

impl Purpose {
    pub fn stage(self) -> Stage {
        match self {
            Purpose::Token => Stage::Token,
            Purpose::Graphql => Stage::Graphql,
            Purpose::Schema => Stage::Schema,
            Purpose::Relay => Stage::Relay,
        }
    }
}

/// An HTTP request for the host to send. `Debug` never shows headers' or body's secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub url: String,
    pub method: &'static str,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub purpose: Purpose,
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("purpose", &self.purpose)
            .field("headers", &self.headers.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>())
            .field("body_bytes", &self.body.as_ref().map(String::len))
            .finish()
    }
}

/// What came back. The body is text; the host enforces the size cap while reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A request that produced no HTTP response. `message` is what the host saw (name, code and
/// message of the error joined), which [`crate::diagnosis::diagnose`] reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    pub message: String,
}

impl TransportError {
    pub fn new(message: impl Into<String>) -> Self {
        TransportError { message: message.into() }
    }
}

/// The host's side of the lookup flow. One value per operation: it carries that operation's
/// cancellation signal.
#[allow(async_fn_in_trait)] // single-threaded by design (wasm); no Send bound wanted
pub trait Host {
    /// Send one request. It ends after `timeout_ms` (an error whose message says "timed out")
    /// and when the operation is cancelled, whether or not the underlying transport gives up
    /// too. The response body is read up to `max_response_bytes` at most: reading stops as soon
    /// as it is longer (an error whose message says "too large"), never after the whole body.
    async fn send(&self, request: &HttpRequest, timeout_ms: u32, max_response_bytes: usize) -> Result<HttpResponse, TransportError>;
    /// Milliseconds since some fixed point (wall clock or monotonic).
    fn now_ms(&self) -> f64;
    /// Wait, unless cancelled first.
    async fn sleep(&self, ms: u32);
    /// A number in `[0, 1)` for retry jitter.
    fn random(&self) -> f64;
    /// Whether the caller cancelled this operation.
    fn is_cancelled(&self) -> bool;
}
