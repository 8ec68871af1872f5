//! Failure diagnosis: one catalogue of everything that goes wrong between a host and
//! Datafordeleren, each entry with its cause, its fix and the settings to check.
//!
//! [`diagnose`] turns what a host saw (status, headers, body, or a transport error) into a
//! catalogue entry. The catalogue answers the setup guide's troubleshooting table (401, 403, 400,
//! connection refused) and the signals other integrators have met in the wild.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::CprError;
use crate::json_input::describe_type;
use crate::redact::redact_text;

/// Which call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Token,
    Graphql,
    Schema,
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

/// The TypeScript shape of a failure passed to `diagnose`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct FailureInput {
    pub stage: Stage,
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

/// One entry of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct CatalogueEntry {
    pub code: &'static str,
    pub title: &'static str,
    pub cause: &'static str,
    pub solution: &'static str,
    /// Whether trying the same request again later can succeed.
    pub retryable: bool,
    /// Setup fields to check (keys of [`crate::setup::SETUP_FIELDS`]).
    pub settings: &'static [&'static str],
}

/// A diagnosis: a catalogue entry plus what this failure said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Diagnosis {
    pub code: String,
    pub title: String,
    pub cause: String,
    pub solution: String,
    pub retryable: bool,
    pub settings: Vec<String>,
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

const CREDENTIALS: &[&str] = &["clientId", "clientSecret", "authMethod", "environment"];

/// The catalogue. Codes are stable: hosts match on them.
pub const CATALOGUE: &[CatalogueEntry] = &[
    CatalogueEntry {
        code: "token_invalid_client",
        title: "Client ID or secret rejected",
        cause: "The token endpoint rejected the client credentials (invalid_client): the Client ID or secret is wrong, \
                the secret has expired (shared secrets last at most two years), or the credential belongs to another environment.",
        solution: "Copy the Client ID and the secret again from Datafordeler Administration for this environment. If the secret \
                   has expired or was not saved, create a new shared secret. Check that CPR Authentication Method matches the credential type.",
        retryable: false,
        settings: CREDENTIALS,
    },
    CatalogueEntry {
        code: "token_unauthorized",
        title: "401 Unauthorized from the token endpoint",
        cause: "Invalid credentials or the wrong authentication URL: shared-secret credentials must use auth.datafordeler.dk, \
                certificate credentials auth-oces.datafordeler.dk.",
        solution: "Verify the Client ID and the secret or certificate, and that CPR Authentication Method matches the credential you created.",
        retryable: false,
        settings: CREDENTIALS,
    },
    CatalogueEntry {
        code: "token_bad_request",
        title: "The token endpoint refused the request",
        cause: "The token endpoint did not accept the request (for example unsupported_grant_type or invalid_request). \
                Usually the token URL points at something other than Datafordeleren's token endpoint, or a relay changes the request.",
        solution: "Check the token endpoint override and any relay or proxy in between; turn on CPR Debug Mode and review the request.",
        retryable: false,
        settings: &["authMethod", "environment", "endpoints"],
    },
    CatalogueEntry {
        code: "certificate_rejected",
        title: "Client certificate not accepted",
        cause: "The certificate token endpoint did not accept the client certificate: it is not the one registered on the \
                IT-system, has expired, is not an OCES3 certificate, or was not presented at all.",
        solution: "Upload the PFX whose public part is registered under OAuth Certificate for this IT-system and environment, \
                   compare the thumbprint with the portal's, and check the certificate's expiry date.",
        retryable: false,
        settings: &["certificate", "certificatePassword", "clientId", "environment"],
    },
    CatalogueEntry {
        code: "certificate_unreadable",
        title: "The PFX file could not be opened",
        cause: "The host could not open the PFX certificate file: the Certificate Password is wrong, or the file is damaged \
                or not a PKCS#12 file.",
        solution: "Enter the password the PFX was exported with, or export the certificate with its private key again.",
        retryable: false,
        settings: &["certificate", "certificatePassword"],
    },
    CatalogueEntry {
        code: "invalid_token",
        title: "Access token expired or rejected",
        cause: "The GraphQL service did not accept the bearer token (invalid_token): it expired, was revoked, or was issued \
                for another environment.",
        solution: "The client fetches a new token and retries once by itself. If this persists, check that the token URL and \
                   the GraphQL URL belong to the same environment.",
        retryable: false,
        settings: &["environment", "endpoints"],
    },
    CatalogueEntry {
        code: "ip_not_allowlisted",
        title: "Calling IP address is not on the allowlist",
        cause: "Datafordeleren answered DAF-AUTH-0005 \"IP address is not verified\": the public IPv4 address this request \
                came from is not on the IT-system's IP allowlist for this environment.",
        solution: "In Datafordeler Administration, add the server's public IPv4 address (IPv6 cannot be allowlisted) to the IP \
                   allowlist of this IT-system in this environment. Browsers cannot be allowlisted: call through a server-side relay.",
        retryable: false,
        settings: &["environment"],
    },
    CatalogueEntry {
        code: "gateway_auth_transient",
        title: "Temporary authentication error at the gateway",
        cause: "Datafordeleren's gateway answered DAF-AUTH-0005 without saying the IP address is unknown; this has been seen \
                to happen sporadically and succeed on retry.",
        solution: "Retry after a short wait. If it persists, check the IP allowlist and the credentials.",
        retryable: true,
        settings: &["environment"],
    },
    CatalogueEntry {
        code: "missing_authentication",
        title: "No credentials reached Datafordeleren",
        cause: "Datafordeleren found no authentication on the request: the Authorization header was missing or removed on the way.",
        solution: "If a relay or proxy forwards the requests, make sure it passes the Authorization header on.",
        retryable: false,
        settings: &["endpoints"],
    },
    CatalogueEntry {
        code: "api_key_and_token",
        title: "Both an API key and a token were sent",
        cause: "Datafordeleren answered DAF-AUTH-0002: a request carried both an API key and an Authorization header. CPR \
                accepts OAuth only.",
        solution: "Remove the apiKey from the endpoint URL or relay configuration.",
        retryable: false,
        settings: &["endpoints"],
    },
    CatalogueEntry {
        code: "not_entitled",
        title: "No access to the requested CPR service",
        cause: "The IT-system has no approved access to this CPR service in this environment (403 or DAF-AUTH-0001): the \
                access was granted for the other sector, for another environment, or is not approved yet.",
        solution: "Check that CPR Sector Type matches the service granted (CustomPrivateSectorPerson or CustomPublicSectorPerson) \
                   and that the access request was approved in this environment in Datafordeler Administration.",
        retryable: false,
        settings: &["sectorType", "environment"],
    },
    CatalogueEntry {
        code: "graphql_unauthorized",
        title: "401 Unauthorized from the GraphQL service",
        cause: "Invalid credentials or the wrong authentication URL: the token was not accepted by the GraphQL service.",
        solution: "Verify the Client ID and secret or certificate, and that the token endpoint and the GraphQL endpoint belong \
                   to the same environment.",
        retryable: false,
        settings: CREDENTIALS,
    },
    CatalogueEntry {
        code: "required_fields_missing",
        title: "The query lacks fields the service requires",
        cause: "The service answered \"Required fields are missing in query selection\": the query did not select a field it \
                requires (beskyttelser, on every person, also nested ones). The schema has probably changed.",
        solution: "Use Fetch CPR Schema and check the drift report; queries built from the fetched schema select what it requires.",
        retryable: false,
        settings: &["apiVersion"],
    },
    CatalogueEntry {
        code: "aliases_not_allowed",
        title: "The service does not accept aliases",
        cause: "The query used a GraphQL alias, which Datafordeleren's CPR service rejects.",
        solution: "Send queries built by the library unchanged; a relay must not rewrite them.",
        retryable: false,
        settings: &["endpoints"],
    },
    CatalogueEntry {
        code: "query_rejected",
        title: "400 Bad Request: query structure",
        cause: "The service did not accept the query: its structure does not match the service's schema (a field or argument \
                was renamed, or the API version differs).",
        solution: "Turn on CPR Debug Mode and review the request JSON; use Fetch CPR Schema to see the drift report. Contact \
                   support if the issue persists.",
        retryable: false,
        settings: &["apiVersion", "debugMode"],
    },
    CatalogueEntry {
        code: "graphql_errors",
        title: "The service reported errors",
        cause: "The GraphQL service answered with errors it did not classify further.",
        solution: "Turn on CPR Debug Mode and review the response; the detail shows the service's message.",
        retryable: false,
        settings: &["debugMode"],
    },
    CatalogueEntry {
        code: "person_not_found",
        title: "No person found",
        cause: "CPR returned no person for the number: it is not in CPR, it was typed wrong, or it belongs to a person CPR does \
                not disclose to this sector.",
        solution: "Check the number against its source. A number can be replaced (CPR status aendret_personnummer): then look \
                   up the person's new number.",
        retryable: false,
        settings: &["sectorType"],
    },
    CatalogueEntry {
        code: "ambiguous_result",
        title: "Several persons for one number",
        cause: "CPR returned more than one person for one CPR number, so the library cannot tell which one is meant. None of \
                them is used.",
        solution: "Check the number against its source. If it persists, turn on CPR Debug Mode and report the (masked) \
                   request to Datafordeleren's support.",
        retryable: false,
        settings: &["debugMode"],
    },
    CatalogueEntry {
        code: "partial_data",
        title: "Partial answer",
        cause: "The service answered with data and errors together: the values the errors concern are missing from the answer.",
        solution: "Missing values never overwrite anything. Turn on CPR Debug Mode and review the errors; Fetch CPR Schema and \
                   the drift report show fields the service no longer has.",
        retryable: false,
        settings: &["debugMode", "apiVersion"],
    },
    CatalogueEntry {
        code: "unexpected_response_shape",
        title: "The answer does not have the expected shape",
        cause: "The response is JSON but not an answer to the lookup query (no data for the person field, or a value of the \
                wrong type): the schema has probably changed, or something other than the CPR service answered.",
        solution: "Use Fetch CPR Schema and check the drift report; turn on CPR Debug Mode and review the response.",
        retryable: false,
        settings: &["apiVersion", "debugMode", "endpoints"],
    },
    CatalogueEntry {
        code: "endpoint_not_found",
        title: "404 Not Found",
        cause: "No service answers at this URL: the API version in the path is not (or no longer) offered, the sector path is \
                wrong, or an endpoint override points at the wrong place.",
        solution: "Check API Version (Datafordeleren documents v1 and v2 and announced v3) and any endpoint overrides.",
        retryable: false,
        settings: &["apiVersion", "sectorType", "endpoints"],
    },
    CatalogueEntry {
        code: "rate_limited",
        title: "Too many requests",
        cause: "The service answered 429: requests are coming faster than it allows.",
        solution: "Wait as long as Retry-After says, then retry; lower the concurrency of batch refreshes.",
        retryable: true,
        settings: &[],
    },
    CatalogueEntry {
        code: "server_error",
        title: "Datafordeleren had a server error",
        cause: "The service answered with a 5xx status: an error or outage on Datafordeleren's side.",
        solution: "Retry later; the client retries with backoff by itself. Check Datafordeleren's operating status if it persists.",
        retryable: true,
        settings: &[],
    },
    CatalogueEntry {
        code: "connection_refused",
        title: "Connection refused",
        cause: "The connection was refused before any answer: the host or port is wrong, the service is down, or a firewall \
                rejects this caller (Datafordeleren's setup guide lists a missing IP allowlist entry as the usual cause).",
        solution: "Verify that the server's public IPv4 address is on the IP allowlist for the correct environment, and check \
                   CPR Environment and any endpoint overrides.",
        retryable: false,
        settings: &["environment", "endpoints"],
    },
    CatalogueEntry {
        code: "connection_reset",
        title: "Connection dropped",
        cause: "The connection was closed in the middle of the exchange (reset or ended early).",
        solution: "Retry; the client does so by itself with backoff. If it keeps happening, check proxies between the host and Datafordeleren.",
        retryable: true,
        settings: &[],
    },
    CatalogueEntry {
        code: "timeout",
        title: "No answer in time",
        cause: "The request did not complete within the timeout.",
        solution: "Retry; if it keeps happening, check the network path and raise the timeout.",
        retryable: true,
        settings: &[],
    },
    CatalogueEntry {
        code: "dns_failure",
        title: "Host name not found",
        cause: "The host name of the endpoint could not be resolved.",
        solution: "Check CPR Environment and any endpoint overrides for typing errors, and the server's DNS.",
        retryable: false,
        settings: &["environment", "endpoints"],
    },
    CatalogueEntry {
        code: "tls_failure",
        title: "The server's certificate was not trusted",
        cause: "The TLS connection failed because the server's certificate could not be verified (unknown issuer, expired, \
                or issued for another host name). Verification is always on.",
        solution: "Check the endpoint URL; a TLS-inspecting proxy must be trusted by the host's certificate store.",
        retryable: false,
        settings: &["endpoints"],
    },
    CatalogueEntry {
        code: "browser_fetch_failed",
        title: "The browser could not reach the service",
        cause: "The browser refused or could not complete the request (\"Failed to fetch\"): the server sent no CORS permission, \
                or there is no server-side relay. Datafordeleren cannot be called from a browser directly: it needs an \
                allowlisted IPv4 address and, for certificates, mutual TLS.",
        solution: "Route the requests through a server-side relay (see the relay example), or run the lookup in a server host.",
        retryable: false,
        settings: &["endpoints"],
    },
    CatalogueEntry {
        code: "network_error",
        title: "Network error",
        cause: "The request failed in the network before an answer arrived.",
        solution: "Retry; check the host's network connection if it persists.",
        retryable: true,
        settings: &[],
    },
    CatalogueEntry {
        code: "cancelled",
        title: "Cancelled",
        cause: "The caller cancelled the operation.",
        solution: "Nothing to fix.",
        retryable: false,
        settings: &[],
    },
    CatalogueEntry {
        code: "malformed_response",
        title: "The answer was not valid JSON",
        cause: "The response could not be read as JSON: it was cut off, or something other than Datafordeleren answered \
                (for example a proxy's error page).",
        solution: "Turn on CPR Debug Mode and look at the response body; check proxies and endpoint overrides.",
        retryable: false,
        settings: &["debugMode", "endpoints"],
    },
    CatalogueEntry {
        code: "token_missing",
        title: "The token endpoint answered without a token",
        cause: "The token endpoint answered with JSON that has no access_token: something other than Datafordeleren's \
                token service answered (a proxy, a relay, a wrong token URL), or the service changed.",
        solution: "Check the token endpoint override and any relay or proxy in between; turn on CPR Debug Mode and look at the response.",
        retryable: false,
        settings: &["authMethod", "environment", "endpoints", "debugMode"],
    },
    CatalogueEntry {
        code: "invalid_cpr",
        title: "Not a valid CPR number",
        cause: "The number given is not a CPR number: it must be ten digits, DDMMYYSSSS or DDMMYY-SSSS, starting with a \
                real date. (A number that fails the old modulus 11 check is still valid.)",
        solution: "Correct the CPR number on the customer record.",
        retryable: false,
        settings: &[],
    },
    CatalogueEntry {
        code: "response_too_large",
        title: "The answer was too large",
        cause: "The response exceeded the size limit: far more than a person lookup returns.",
        solution: "Look up fewer persons per request, or check that the URL points at the CPR service.",
        retryable: false,
        settings: &["endpoints"],
    },
    CatalogueEntry {
        code: "unexpected_status",
        title: "Unexpected HTTP status",
        cause: "The service answered with a status the library does not expect here.",
        solution: "Turn on CPR Debug Mode and review the response.",
        retryable: false,
        settings: &["debugMode"],
    },
    CatalogueEntry {
        code: "no_failure",
        title: "No failure found",
        cause: "The response does not show a failure.",
        solution: "Nothing to fix.",
        retryable: false,
        settings: &[],
    },
];

/// Look up an entry by its code.
pub fn entry(code: &str) -> &'static CatalogueEntry {
    CATALOGUE
        .iter()
        .find(|e| e.code == code)
        .or_else(|| CATALOGUE.iter().find(|e| e.code == "unexpected_status"))
        .unwrap_or(&CATALOGUE[0])
}

impl Diagnosis {
    pub fn from_code(code: &str) -> Diagnosis {
        let e = entry(code);
        Diagnosis {
            code: e.code.to_string(),
            title: e.title.to_string(),
            cause: e.cause.to_string(),
            solution: e.solution.to_string(),
            retryable: e.retryable,
            settings: e.settings.iter().map(|s| s.to_string()).collect(),
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

    /// Read a failure from any JSON value (what a host passes to `diagnose`).
    pub fn from_json(value: &Value) -> Result<Failure, CprError> {
        let map = value.as_object().ok_or_else(|| {
            CprError::invalid_input(
                "invalid_failure",
                format!("diagnose needs an object such as {{ stage: \"graphql\", status: 401 }}; got {}.", describe_type(value)),
            )
        })?;
        let stage = match map.get("stage") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(match s.as_str() {
                "token" => Stage::Token,
                "graphql" => Stage::Graphql,
                "schema" => Stage::Schema,
                _ => {
                    return Err(CprError::invalid_input(
                        "invalid_failure",
                        "failure.stage must be \"token\", \"graphql\" or \"schema\".",
                    ))
                }
            }),
            Some(other) => {
                return Err(CprError::invalid_input(
                    "invalid_failure",
                    format!("failure.stage must be text; got {}.", describe_type(other)),
                ))
            }
        };
        let status = match map.get("status") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_u64().and_then(|n| u16::try_from(n).ok()).filter(|n| (100..=599).contains(n)) {
                Some(n) => Some(n),
                None => {
                    return Err(CprError::invalid_input(
                        "invalid_failure",
                        "failure.status must be an HTTP status number from 100 to 599.",
                    ))
                }
            },
        };
        let mut headers = Vec::new();
        match map.get("headers") {
            Some(Value::Object(h)) => {
                for (k, v) in h {
                    if let Some(s) = v.as_str() {
                        headers.push((k.clone(), s.to_string()));
                    }
                }
            }
            Some(Value::Array(pairs)) => {
                for pair in pairs {
                    if let (Some(k), Some(v)) = (pair.get(0).and_then(Value::as_str), pair.get(1).and_then(Value::as_str)) {
                        headers.push((k.to_string(), v.to_string()));
                    }
                }
            }
            _ => {}
        }
        let body = match map.get("body") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => Some(crate::json_input::json_text(other)),
        };
        let transport_error = match map.get("transportError") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Object(o)) => Some(
                ["name", "code", "message", "cause"]
                    .iter()
                    .filter_map(|k| match o.get(*k) {
                        Some(Value::String(s)) => Some(s.clone()),
                        Some(Value::Object(inner)) => inner.get("message").and_then(Value::as_str).map(str::to_string),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
                    .join(": "),
            ),
            Some(other) => Some(crate::json_input::json_text(other)),
        };
        Ok(Failure { stage, status, headers, body, transport_error })
    }
}

/// Diagnose a failure given as JSON.
///
/// ```
/// use datafordeler_cpr::diagnosis::diagnose_json;
/// use serde_json::json;
/// let d = diagnose_json(&json!({
///     "stage": "graphql", "status": 401,
///     "headers": {"content-type": "application/problem+json"},
///     "body": {"errorCode": "DAF-AUTH-0005", "detail": "IP address is not verified"}
/// })).unwrap();
/// assert_eq!(d.code, "ip_not_allowlisted");
/// assert!(!d.retryable);
/// ```
pub fn diagnose_json(value: &Value) -> Result<Diagnosis, CprError> {
    Failure::from_json(value).map(|f| diagnose(&f))
}

/// Diagnose what a host observed.
pub fn diagnose(failure: &Failure) -> Diagnosis {
    let (code, detail) = classify(failure);
    let mut d = Diagnosis::from_code(code);
    d.status = failure.status;
    d.retry_after_seconds = failure.header("retry-after").and_then(|v| v.trim().parse::<u32>().ok());
    d.detail = detail.map(|text| shorten(&redact_text(&text), 300));
    d
}

fn classify(f: &Failure) -> (&'static str, Option<String>) {
    if let Some(err) = &f.transport_error {
        return (classify_transport(f.stage, err), Some(err.clone()));
    }
    let Some(status) = f.status else {
        return ("unexpected_status", None);
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
                "ip_not_allowlisted"
            }
            "DAF-AUTH-0005" if lower.contains("no authentication") || lower.contains("authentication method") => "missing_authentication",
            "DAF-AUTH-0005" => "gateway_auth_transient",
            "DAF-AUTH-0002" => "api_key_and_token",
            "DAF-AUTH-0001" => "not_entitled",
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
                "invalid_client" | "unauthorized_client" => "token_invalid_client",
                "unsupported_grant_type" | "invalid_request" | "invalid_grant" | "invalid_scope" => "token_bad_request",
                _ if status == 401 => "token_unauthorized",
                _ => status_code(f, status),
            };
            return (code, Some(format!("{error}: {description}")));
        }
    }

    if (200..300).contains(&status) {
        if json.is_none() && f.stage != Some(Stage::Schema) {
            return ("malformed_response", None);
        }
        return ("no_failure", None);
    }
    (status_code(f, status), None)
}

fn status_code(f: &Failure, status: u16) -> &'static str {
    let token = f.stage == Some(Stage::Token);
    match status {
        400 if token => "token_bad_request",
        400 => "query_rejected",
        401 if token => "token_unauthorized",
        401 if f.header("www-authenticate").is_some_and(|v| v.contains("invalid_token")) => "invalid_token",
        401 => "graphql_unauthorized",
        403 if token => "token_unauthorized",
        403 => "not_entitled",
        404 => "endpoint_not_found",
        408 => "timeout",
        413 => "response_too_large",
        429 => "rate_limited",
        500..=599 => "server_error",
        _ => "unexpected_status",
    }
}

fn classify_graphql_errors(errors: &[Value], status: u16) -> &'static str {
    let mut fallback = if status == 400 { "query_rejected" } else { "graphql_errors" };
    for e in errors {
        let message = e.get("message").and_then(Value::as_str).unwrap_or("").to_ascii_lowercase();
        let code = e.pointer("/extensions/code").and_then(Value::as_str).unwrap_or("");
        if code == "DAF-AUTH-0001" || message.contains("not authorized") || message.contains("not authorised") {
            return "not_entitled";
        }
        if message.contains("required fields are missing") {
            return "required_fields_missing";
        }
        if message.contains("alias") {
            return "aliases_not_allowed";
        }
        if message.contains("cannot query field") || message.contains("unknown argument") || message.contains("syntax error") {
            fallback = "query_rejected";
        }
    }
    fallback
}

fn classify_transport(stage: Option<Stage>, error: &str) -> &'static str {
    let e = error.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| e.contains(n));
    if has(&["timeout", "timed out", "etimedout", "und_err_connect_timeout"]) {
        "timeout"
    } else if has(&["aborterror", "aborted", "cancel"]) {
        "cancelled"
    } else if has(&["econnrefused", "connection refused"]) {
        "connection_refused"
    } else if has(&["enotfound", "eai_again", "getaddrinfo", "name not resolved", "name_not_resolved", "dns"]) {
        "dns_failure"
    } else if has(&["mac verify failure", "pkcs12", "pfx", "unsupported pkcs12", "bad decrypt"]) {
        "certificate_unreadable"
    } else if has(&[
        "alert certificate required",
        "alert bad certificate",
        "alert unknown ca",
        "certificate required",
        "bad certificate",
        "handshake failure",
    ]) || (stage == Some(Stage::Token) && has(&["alert", "handshake"]))
    {
        "certificate_rejected"
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
        "tls_failure"
    } else if has(&["econnreset", "socket hang up", "other side closed", "terminated", "epipe", "connection reset", "premature close", "und_err_socket"]) {
        "connection_reset"
    } else if has(&["failed to fetch", "networkerror when attempting to fetch", "load failed", "cors"]) {
        "browser_fetch_failed"
    } else if has(&["too large", "response_too_large", "exceeds the limit"]) {
        "response_too_large"
    } else {
        "network_error"
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        text.chars().take(max).chain(std::iter::once('…')).collect()
    }
}
