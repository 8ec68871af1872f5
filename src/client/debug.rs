//! Debug captures: what the setup guide's "CPR Debug Mode" writes out — each operation's
//! requests and responses as JSON, with timings and the diagnosis. Everything in a capture has
//! passed redaction: secrets and tokens always, CPR numbers unless the caller keeps them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::cell::RefCell;

use super::transport::{HttpRequest, HttpResponse, Purpose, TransportError};
use crate::diagnosis::Diagnosis;
use crate::redact::{redact_text_with, redact_with, RedactOptions};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct CapturedRequest {
    pub method: String,
    pub url: String,
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Record<string, string>"))]
    pub headers: Value,
    /// JSON bodies as JSON, others as text; redacted. Absent for a request without a body (GET).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional, type = "unknown"))]
    pub body: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct CapturedResponse {
    pub status: u16,
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Record<string, string>"))]
    pub headers: Value,
    #[cfg_attr(target_arch = "wasm32", tsify(type = "unknown"))]
    pub body: Value,
}

/// One request and what came of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Exchange {
    pub purpose: Purpose,
    pub attempt: u32,
    pub request: CapturedRequest,
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<CapturedResponse>,
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transport_error: Option<String>,
    pub duration_ms: f64,
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<Diagnosis>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Timings {
    /// Host clock (ms) when the operation started.
    pub started_at_ms: f64,
    pub total_ms: f64,
}

/// Everything one operation sent and received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct DebugCapture {
    /// `lookup`, `testConnection`, `fetchSchema`, …
    pub operation: String,
    /// The last GraphQL or schema request (the one the setup guide's debug files show).
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<CapturedRequest>,
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<CapturedResponse>,
    pub timings: Timings,
    /// The operation's outcome when it failed.
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<Diagnosis>,
    /// Every request of the operation, token requests and retries included.
    pub exchanges: Vec<Exchange>,
    /// Whether CPR numbers in this capture are masked.
    pub cpr_masked: bool,
    /// The API version that answered (with `apiVersion: "auto"`, the one negotiated), once known.
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
}

/// Bodies larger than this are not copied into a capture: a refused oversized answer would
/// otherwise make the capture itself huge (and slow to redact).
pub const MAX_CAPTURED_BODY_BYTES: usize = 256 * 1024;

/// Collects one operation's exchanges when debug mode is on; does nothing otherwise.
pub struct Recorder {
    enabled: bool,
    redaction: RedactOptions,
    started_at_ms: f64,
    exchanges: RefCell<Vec<Exchange>>,
    api_version: RefCell<Option<String>>,
}

impl Recorder {
    pub fn new(enabled: bool, redaction: RedactOptions, started_at_ms: f64) -> Self {
        Recorder { enabled, redaction, started_at_ms, exchanges: RefCell::new(Vec::new()), api_version: RefCell::new(None) }
    }

    /// Note the version that answered, for the capture.
    pub fn set_api_version(&self, version: Option<&str>) {
        if self.enabled {
            *self.api_version.borrow_mut() = version.map(str::to_string);
        }
    }

    pub fn record(
        &self,
        request: &HttpRequest,
        attempt: u32,
        outcome: Result<&HttpResponse, &TransportError>,
        duration_ms: f64,
        diagnosis: Option<&Diagnosis>,
    ) {
        if !self.enabled {
            return;
        }
        let (response, transport_error) = match outcome {
            Ok(r) => (
                Some(CapturedResponse { status: r.status, headers: self.headers(&r.headers), body: self.body(&r.body) }),
                None,
            ),
            Err(e) => (None, Some(redact_text_with(&e.message, &self.redaction))),
        };
        self.exchanges.borrow_mut().push(Exchange {
            purpose: request.purpose,
            attempt,
            request: CapturedRequest {
                method: request.method.to_string(),
                url: redact_text_with(&request.url, &self.redaction),
                headers: self.headers(&request.headers),
                body: request.body.as_deref().map(|text| self.body(text)),
            },
            response,
            transport_error,
            duration_ms,
            diagnosis: diagnosis.map(|d| {
                let mut d = d.clone();
                d.detail = d.detail.map(|detail| redact_text_with(&detail, &self.redaction));
                d
            }),
        });
    }

    /// The capture of the whole operation, or None when debug mode is off.
    pub fn finish(&self, operation: &str, now_ms: f64, diagnosis: Option<&Diagnosis>) -> Option<DebugCapture> {
        if !self.enabled {
            return None;
        }
        let exchanges = self.exchanges.borrow().clone();
        let last = exchanges.iter().rev().find(|e| e.purpose != Purpose::Token).or(exchanges.last());
        Some(DebugCapture {
            operation: operation.to_string(),
            request: last.map(|e| e.request.clone()),
            response: last.and_then(|e| e.response.clone()),
            timings: Timings { started_at_ms: self.started_at_ms, total_ms: now_ms - self.started_at_ms },
            diagnosis: diagnosis.cloned(),
            exchanges,
            cpr_masked: self.redaction.mask_cpr,
            api_version: self.api_version.borrow().clone(),
        })
    }

    fn headers(&self, headers: &[(String, String)]) -> Value {
        // Inserted one by one (the last of a repeated name wins): collecting would add a
        // second, sorting way of building maps to the wasm module.
        let mut map = Map::new();
        for (k, v) in headers {
            map.insert(k.to_ascii_lowercase(), Value::String(v.clone()));
        }
        redact_with(&Value::Object(map), &self.redaction)
    }

    fn body(&self, text: &str) -> Value {
        if text.len() > MAX_CAPTURED_BODY_BYTES {
            return Value::String(format!("[{} bytes not kept: larger than the debug capture limit]", text.len()));
        }
        match serde_json::from_str::<Value>(text) {
            Ok(json) => redact_with(&json, &self.redaction),
            Err(_) => Value::String(redact_text_with(text, &self.redaction)),
        }
    }
}
