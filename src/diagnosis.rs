//! Failure diagnosis: one catalogue of everything that goes wrong between a host and
//! Datafordeleren, each entry with its cause, its fix and the settings to check.
//!
//! [`diagnose`] turns what a host saw (status, headers, body, or a transport error) into a
//! catalogue entry. The catalogue answers the setup guide's troubleshooting table (401, 403, 400,
//! connection refused) and the signals other integrators have met in the wild.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::redact::redact_text;

mod catalogue;
pub mod relay;

pub use catalogue::{entry, CatalogueEntry};
pub use crate::code::{DiagnosisCode, UnknownDiagnosisCode};

/// Which call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Token,
    Graphql,
    Schema,
    /// A call to a `datafordeler-cpr/relay` (relay mode): its answers are problem documents.
    Relay,
}

/// What a host observed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Failure {
    pub stage: Option<Stage>,
    pub status: Option<u16>,
    /// Header names in any case.
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// The text of a transport error (name, code and message joined).
    pub transport_error: Option<String>,
}

/// A failure as a host passes it for diagnosis. Unknown keys are ignored (a host may pass an
/// object it already has, with more in it); the known ones must have their declared types.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct FailureInput {
    /// The step that failed; without it, the status and the body decide.
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub stage: Option<Stage>,
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub status: Option<u16>,
    #[cfg_attr(target_arch = "wasm32", tsify(optional, type = "Record<string, string> | [string, string][]"))]
    pub headers: Option<Value>,
    /// Response body: text, or already parsed JSON.
    #[cfg_attr(target_arch = "wasm32", tsify(optional, type = "string | object"))]
    pub body: Option<Value>,
    /// A transport error: its message, or an Error-like `{ name, code, message }`.
    #[cfg_attr(target_arch = "wasm32", tsify(optional, type = "string | { name?: string; code?: string; message?: string }"))]
    pub transport_error: Option<Value>,
}

/// How sure a diagnosis's cause is. The first three words are the ones endpoints carry
/// ([`crate::environment::Provenance`]); `local` is a diagnosis's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "lowercase")]
pub enum CauseProvenance {
    /// Datafordeleren's or CPR's own documentation states it.
    Verified,
    /// Public material (other integrators' code, probes, guides) shows the service answering so.
    Observed,
    /// The library's reading of an answer nobody has documented: check it before acting on it.
    Inferred,
    /// Established by the library or its host itself (its own check, what the transport
    /// reported): no claim about the service.
    Local,
}

/// A diagnosis: a catalogue entry plus what this failure said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Diagnosis {
    pub code: DiagnosisCode,
    pub title: String,
    pub cause: String,
    pub solution: String,
    pub retryable: bool,
    pub settings: Vec<String>,
    /// How sure the cause is: `verified`, `observed`, `inferred`, or `local` for what the
    /// library or the host established itself.
    pub provenance: CauseProvenance,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub status: Option<u16>,
    /// Seconds to wait before retrying, from `Retry-After`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub retry_after_seconds: Option<u32>,
    /// What the server or transport said, redacted and shortened.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub detail: Option<String>,
}

impl Diagnosis {
    /// The catalogue's diagnosis for a code, with nothing yet about a particular failure.
    pub fn from_code(code: DiagnosisCode) -> Diagnosis {
        let e = entry(code);
        Diagnosis {
            code,
            title: e.title.to_string(),
            cause: e.cause.to_string(),
            solution: e.solution.to_string(),
            retryable: e.retryable,
            settings: e.settings.iter().map(|s| s.to_string()).collect(),
            provenance: e.provenance,
            status: None,
            retry_after_seconds: None,
            detail: None,
        }
    }
}

impl Failure {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }


}

/// Diagnose what a host observed.
pub fn diagnose(failure: &Failure) -> Diagnosis {
    if failure.stage == Some(Stage::Relay) && failure.transport_error.is_none() {
        return relay::diagnose_relay(failure);
    }
    let (code, detail) = classify(failure);
    let mut d = Diagnosis::from_code(code);
    d.status = failure.status;
    d.retry_after_seconds = failure.header("retry-after").and_then(|v| v.trim().parse::<u32>().ok());
    d.detail = detail.map(|text| shorten(&redact_text(&text), 300));
    d
}

fn classify(f: &Failure) -> (DiagnosisCode, Option<String>) {
    if let Some(err) = &f.transport_error {
        return (classify_transport(f.stage, err), Some(err.clone()));
    }
    let Some(status) = f.status else {
        return (DiagnosisCode::UnexpectedStatus, None);
    };
    let body = f.body.as_deref().unwrap_or("");
    let json: Option<Value> = serde_json::from_str(body).ok();
    let text_of = |key: &str| json.as_ref().and_then(|j| j.get(key)).and_then(Value::as_str).map(str::to_string);

    // Gateway problem+json (DAF-AUTH-000x).
    if let Some(error_code) = text_of("errorCode") {
        let detail = text_of("detail").or_else(|| text_of("title")).unwrap_or_default();
        let lower = detail.to_ascii_lowercase();
        let code = match error_code.as_str() {
            "DAF-AUTH-0005" if lower.contains("ip") && (lower.contains("verified") || lower.contains("allow") || lower.contains("whitelist")) => {
                DiagnosisCode::IpNotAllowlisted
            }
            "DAF-AUTH-0005" if lower.contains("no authentication") || lower.contains("authentication method") => DiagnosisCode::MissingAuthentication,
            "DAF-AUTH-0005" => DiagnosisCode::GatewayAuthTransient,
            "DAF-AUTH-0002" => DiagnosisCode::ApiKeyAndToken,
            "DAF-AUTH-0001" => DiagnosisCode::NotEntitled,
            _ => status_code(f, status),
        };
        return (code, Some(format!("{error_code}: {detail}")));
    }

    // GraphQL errors array, whatever the status.
    if let Some(errors) = json.as_ref().and_then(|j| j.get("errors")).and_then(Value::as_array) {
        if !errors.is_empty() {
            let messages: Vec<String> = errors
                .iter()
                .map(|e| e.get("message").and_then(Value::as_str).unwrap_or("").to_string())
                .collect();
            return (classify_graphql_errors(errors, status), Some(messages.join(" | ")));
        }
    }

    // OAuth errors from the token endpoint.
    if f.stage == Some(Stage::Token) {
        if let Some(error) = text_of("error") {
            let description = text_of("error_description").unwrap_or_default();
            let code = match error.as_str() {
                "invalid_client" | "unauthorized_client" => DiagnosisCode::TokenInvalidClient,
                "unsupported_grant_type" | "invalid_request" | "invalid_grant" | "invalid_scope" => DiagnosisCode::TokenBadRequest,
                _ if status == 401 => DiagnosisCode::TokenUnauthorized,
                _ => status_code(f, status),
            };
            return (code, Some(format!("{error}: {description}")));
        }
    }

    if (200..300).contains(&status) {
        if json.is_none() && f.stage != Some(Stage::Schema) {
            return (DiagnosisCode::MalformedResponse, None);
        }
        return (DiagnosisCode::NoFailure, None);
    }
    (status_code(f, status), None)
}

fn status_code(f: &Failure, status: u16) -> DiagnosisCode {
    let token = f.stage == Some(Stage::Token);
    match status {
        400 if token => DiagnosisCode::TokenBadRequest,
        400 => DiagnosisCode::QueryRejected,
        401 if token => DiagnosisCode::TokenUnauthorized,
        401 if f.header("www-authenticate").is_some_and(|v| v.contains("invalid_token")) => DiagnosisCode::InvalidToken,
        401 => DiagnosisCode::GraphqlUnauthorized,
        403 if token => DiagnosisCode::TokenUnauthorized,
        403 => DiagnosisCode::NotEntitled,
        404 => DiagnosisCode::EndpointNotFound,
        408 => DiagnosisCode::Timeout,
        413 => DiagnosisCode::ResponseTooLarge,
        429 => DiagnosisCode::RateLimited,
        500..=599 => DiagnosisCode::ServerError,
        _ => DiagnosisCode::UnexpectedStatus,
    }
}

fn classify_graphql_errors(errors: &[Value], status: u16) -> DiagnosisCode {
    let mut fallback = if status == 400 { DiagnosisCode::QueryRejected } else { DiagnosisCode::GraphqlErrors };
    for e in errors {
        let message = e.get("message").and_then(Value::as_str).unwrap_or("").to_ascii_lowercase();
        let code = e.pointer("/extensions/code").and_then(Value::as_str).unwrap_or("");
        if code == "DAF-AUTH-0001" || message.contains("not authorized") || message.contains("not authorised") {
            return DiagnosisCode::NotEntitled;
        }
        if message.contains("required fields are missing") {
            return DiagnosisCode::RequiredFieldsMissing;
        }
        if message.contains("alias") {
            return DiagnosisCode::AliasesNotAllowed;
        }
        if message.contains("cannot query field") || message.contains("unknown argument") || message.contains("syntax error") {
            fallback = DiagnosisCode::QueryRejected;
        }
    }
    fallback
}

fn classify_transport(stage: Option<Stage>, error: &str) -> DiagnosisCode {
    let e = error.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| e.contains(n));
    if has(&["timeout", "timed out", "etimedout", "und_err_connect_timeout"]) {
        DiagnosisCode::Timeout
    } else if has(&["aborterror", "aborted", "cancel"]) {
        DiagnosisCode::Cancelled
    } else if has(&["econnrefused", "connection refused"]) {
        DiagnosisCode::ConnectionRefused
    } else if has(&["enotfound", "eai_again", "getaddrinfo", "name not resolved", "name_not_resolved", "dns"]) {
        DiagnosisCode::DnsFailure
    } else if has(&["mac verify failure", "pkcs12", "pfx", "unsupported pkcs12", "bad decrypt"]) {
        DiagnosisCode::CertificateUnreadable
    } else if has(&[
        "alert certificate required",
        "alert bad certificate",
        "alert unknown ca",
        "certificate required",
        "bad certificate",
        "handshake failure",
    ]) || (stage == Some(Stage::Token) && has(&["alert", "handshake"]))
    {
        DiagnosisCode::CertificateRejected
    } else if has(&[
        "self signed",
        "self-signed",
        "unable to verify",
        "unable_to_verify",
        "cert_has_expired",
        "certificate has expired",
        "altname",
        "err_tls",
        "certificate",
        "ssl",
        "tls",
    ]) {
        DiagnosisCode::TlsFailure
    } else if has(&["econnreset", "socket hang up", "other side closed", "terminated", "epipe", "connection reset", "premature close", "und_err_socket"]) {
        DiagnosisCode::ConnectionReset
    } else if has(&["failed to fetch", "networkerror when attempting to fetch", "load failed", "cors"]) {
        // In relay mode the browser calls the relay, which is where CORS is decided.
        match stage {
            Some(Stage::Relay) => DiagnosisCode::RelayUnreachable,
            _ => DiagnosisCode::BrowserFetchFailed,
        }
    } else if has(&["too large", "response_too_large", "exceeds the limit"]) {
        DiagnosisCode::ResponseTooLarge
    } else {
        DiagnosisCode::NetworkError
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        text.chars().take(max).chain(std::iter::once('…')).collect()
    }
}
