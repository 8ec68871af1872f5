//! The lookup client: tokens, GraphQL calls with retries, schema fetch and the connection test,
//! over the [`Host`] trait. The same code runs natively (tests), in Node and in browsers.

pub mod connection;
pub mod debug;
pub mod lookup;
mod output;
pub mod relay;
pub mod retry;
pub mod service;
pub mod token;
pub mod transport;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use thiserror::Error;

use crate::code::ErrorCode;
use crate::diagnosis::{diagnose, Diagnosis, DiagnosisCode, Failure};
use crate::schema::Dialect;
use crate::endpoints::{resolve, ResolvedEndpoints};
use crate::environment::AuthMethod;
use crate::error::CprError;
use crate::issue::Issue;
use crate::setup::{read_setup, Secret, Setup};
use debug::{DebugCapture, Recorder};
use retry::RetryPolicy;
use service::{SchemaChoice, Service};
use token::{refresh_at, Flight, Next, Token, TokenCache, TokenResponse};
pub use transport::{Host, HttpRequest, HttpResponse, Purpose, TransportError};

/// Why an operation failed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ClientError {
    /// A call failed; the diagnosis says why and what to change.
    #[error("{}: {}", .0.title, .0.cause)]
    Failed(Box<Diagnosis>),
    /// The setup or an argument cannot be used.
    #[error("{0}")]
    Invalid(CprError),
}

impl ClientError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ClientError::Failed(d) => ErrorCode::Diagnosis(d.code),
            ClientError::Invalid(e) => e.code(),
        }
    }
    pub fn diagnosis(&self) -> Option<&Diagnosis> {
        match self {
            ClientError::Failed(d) => Some(d),
            ClientError::Invalid(_) => None,
        }
    }
    /// The diagnosis to show with this error: its own, or the catalogue's entry for an invalid
    /// argument that has one (an invalid CPR number), with the message as its detail.
    pub fn to_diagnosis(&self) -> Option<Diagnosis> {
        match self {
            ClientError::Failed(d) => Some((**d).clone()),
            ClientError::Invalid(e) => e.code().diagnosis().map(|code| detailed(code, e)),
        }
    }
    fn from_code(code: DiagnosisCode) -> ClientError {
        ClientError::Failed(Box::new(Diagnosis::from_code(code)))
    }
}

impl From<CprError> for ClientError {
    fn from(e: CprError) -> Self {
        ClientError::Invalid(e)
    }
}

/// Tuning of a client; every field has a sensible default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ClientOptions {
    /// Per-request timeout.
    pub timeout_ms: u32,
    /// Attempts per request, the first included (retries only for retryable failures).
    pub max_attempts: u32,
    pub retry_base_delay_ms: u32,
    pub retry_max_delay_ms: u32,
    /// Responses larger than this are refused.
    pub max_response_bytes: u32,
    /// Fetch a new token this long before the old one expires.
    pub token_refresh_margin_seconds: f64,
    /// Keep CPR numbers readable in debug captures (they are masked by default). Secrets are
    /// redacted regardless.
    pub debug_keep_cpr_numbers: bool,
    /// How lookups merge into existing records: field names and per-field policies.
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub merge: Option<crate::merge::MergeOptions>,
    /// The schema queries are built from: `live` (the default: the service's own, fetched once
    /// before the first query), `bundled` (the library's model, no schema request) or the SDL
    /// text of a schema.
    #[cfg_attr(target_arch = "wasm32", tsify(optional, type = "'live' | 'bundled' | (string & {})"))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        let retry = RetryPolicy::default();
        ClientOptions {
            timeout_ms: 20_000,
            max_attempts: retry.max_attempts,
            retry_base_delay_ms: retry.base_delay_ms,
            retry_max_delay_ms: retry.max_delay_ms,
            max_response_bytes: 4 * 1024 * 1024,
            token_refresh_margin_seconds: 60.0,
            debug_keep_cpr_numbers: false,
            merge: None,
            schema: None,
        }
    }
}

/// The client's state: one per setup, shared by all its operations.
pub struct Client {
    pub setup: Setup,
    /// The setup's validation issues (warnings included), for the connection test.
    pub setup_issues: Vec<Issue>,
    pub endpoints: ResolvedEndpoints,
    pub options: ClientOptions,
    retry: RetryPolicy,
    tokens: TokenCache<ClientError>,
    /// The `schema` option.
    schema_choice: SchemaChoice,
    /// The settled service (version and schema), shared by every operation. `Rc`: the module
    /// runs on one thread.
    services: Flight<Rc<Service>, ClientError>,
    /// Index of the endpoint candidate that answered last, so a schema refresh does not
    /// negotiate again.
    answered: Cell<usize>,
    /// Every token the client was given (the newest few dozen), so that no output shows one.
    held_tokens: RefCell<Vec<Secret>>,
    /// The merge field map and policies, checked once.
    pub merge: crate::merge::ResolvedOptions,
    /// What a relay-mode client learns from its relay ([`relay`]).
    relay_state: relay::RelayState,
}

/// Setup problems that do not stop a client from being created: its operations refuse instead,
/// each with the explanation.
const REFUSED_AT_OPERATION: [ErrorCode; 2] = [ErrorCode::LegacyModeOn, ErrorCode::IntegrationDisabled];

impl Client {
    /// Create a client; fails when the setup has errors (other than legacy mode or a disabled
    /// integration, which make every operation refuse with an explanation).
    pub fn new(setup: &Value, options: ClientOptions) -> Result<Client, CprError> {
        let (setup, issues) = read_setup(setup);
        if let Some(issue) = issues.iter().find(|i| i.is_error() && !REFUSED_AT_OPERATION.contains(&i.code)) {
            return Err(CprError::InvalidSetup { field: issue.field.clone(), code: issue.code, message: issue.message.clone() });
        }
        let endpoints = match setup.relay {
            // Relay mode: the relay resolves the register's endpoints; this client calls none.
            Some(_) => relay::not_called(),
            None => resolve(&setup)?,
        };
        let retry = RetryPolicy {
            max_attempts: options.max_attempts.clamp(1, 10),
            base_delay_ms: options.retry_base_delay_ms,
            max_delay_ms: options.retry_max_delay_ms.max(options.retry_base_delay_ms),
            ..RetryPolicy::default()
        };
        let merge = crate::merge::ResolvedOptions::new(&options.merge.clone().unwrap_or_default())?;
        let schema_choice = match options.schema.as_deref() {
            None | Some("live") => SchemaChoice::Live,
            Some("bundled") => SchemaChoice::Bundled,
            Some(sdl) => SchemaChoice::Given(Rc::new(Dialect::from_sdl(sdl, endpoints.sector_type).map_err(|e| {
                CprError::invalid_input(
                    ErrorCode::InvalidOptions,
                    format!("The schema option must be live, bundled or the SDL text of a CPR schema; this text cannot be used: {e}"),
                )
            })?)),
        };
        Ok(Client {
            setup,
            setup_issues: issues,
            endpoints,
            options,
            retry,
            tokens: TokenCache::default(),
            schema_choice,
            services: Flight::default(),
            answered: Cell::new(0),
            held_tokens: RefCell::new(Vec::new()),
            merge,
            relay_state: relay::RelayState::default(),
        })
    }

    /// The explanation why operations are refused, if they are.
    pub fn refusal(&self) -> Option<CprError> {
        if self.setup.legacy_mode {
            return Some(CprError::InvalidSetup {
                field: "legacyMode".into(),
                code: ErrorCode::LegacyModeOn,
                message: "CPR Legacy Mode is on: lookups would go to the retired CPR REST services, which this library does not call. \
                          Turn off CPR Legacy Mode to use Datafordeleren's GraphQL service."
                    .into(),
            });
        }
        if !self.setup.enabled {
            return Some(CprError::InvalidSetup {
                field: "enabled".into(),
                code: ErrorCode::IntegrationDisabled,
                message: "The CPR integration is switched off. Turn on Enable CPR No. Integration.".into(),
            });
        }
        None
    }

    /// Start an operation: refuse if the setup says so, and begin a debug recording.
    pub fn begin<H: Host>(&self, host: &H) -> Result<Recorder, ClientError> {
        if let Some(refusal) = self.refusal() {
            return Err(refusal.into());
        }
        Ok(Recorder::new(self.setup.debug_mode, self.redaction(), host.now_ms()))
    }

    /// The API version that answered, once the service has been reached.
    pub fn answered_api_version(&self) -> Option<String> {
        self.services.peek().and_then(|s| s.api_version.clone())
    }

    /// Whether queries follow the service's schema (the `schema` option is `live`).
    pub fn follows_live_schema(&self) -> bool {
        matches!(self.schema_choice, SchemaChoice::Live)
    }

    /// The dialect of the schema fetched from the service (through the relay, in relay mode), if
    /// one was fetched.
    pub fn live_dialect(&self) -> Option<Rc<Dialect>> {
        if self.is_relay() {
            return self.relay_state.dialect.borrow().clone();
        }
        self.services.peek().filter(|s| s.schema == service::SchemaSource::Live).and_then(|s| s.dialect.clone())
    }

    /// A bearer token: cached, or fetched once for everyone waiting.
    pub async fn token<H: Host>(&self, host: &H, recorder: &Recorder) -> Result<Secret, ClientError> {
        let mut seen = None;
        loop {
            let now = host.now_ms();
            match self.tokens.next(|t| now < t.refresh_at_ms, seen) {
                Next::Use(token) => return Ok(token.value),
                Next::Fail(error) => return Err(error),
                Next::Wait(generation) => {
                    self.tokens.changed(generation).await;
                    seen = Some(generation);
                }
                Next::Fetch(guard) => {
                    // Boxed: a token request is itself sent through `send`.
                    let outcome = Box::pin(self.request_token(host, recorder)).await;
                    guard.finish(outcome.clone());
                    return outcome.map(|t| t.value);
                }
            }
        }
    }

    async fn request_token<H: Host>(&self, host: &H, recorder: &Recorder) -> Result<Token, ClientError> {
        let client_id = self.setup.client_id.clone().unwrap_or_default();
        let mut form = vec![("grant_type", "client_credentials".to_string()), ("client_id", client_id)];
        if self.endpoints.auth_method == AuthMethod::SharedSecret {
            // The certificate method sends no secret: the certificate in the TLS handshake is the credential.
            form.push(("client_secret", self.setup.client_secret.as_ref().map(|s| s.expose().to_string()).unwrap_or_default()));
        }
        let body = form_encode(&form);
        let url = self.endpoints.token_url.clone();
        let response = self
            .send(host, recorder, Purpose::Token, false, &|_| HttpRequest {
                url: url.clone(),
                method: "POST",
                headers: vec![
                    ("content-type".into(), "application/x-www-form-urlencoded".into()),
                    ("accept".into(), "application/json".into()),
                ],
                body: Some(body.clone()),
                purpose: Purpose::Token,
            })
            .await?;
        let parsed = TokenResponse::from_body(&response.body).ok_or_else(|| ClientError::from_code(DiagnosisCode::MalformedResponse))?;
        let value = parsed.access_token.filter(|t| !t.is_empty()).ok_or_else(|| ClientError::from_code(DiagnosisCode::TokenMissing))?;
        let value = Secret::new(value);
        self.remember_token(&value);
        Ok(Token {
            value,
            refresh_at_ms: refresh_at(host.now_ms(), parsed.expires_in, self.options.token_refresh_margin_seconds),
        })
    }

    /// Send a request with retries for retryable failures; for authenticated calls, fetch a new
    /// token and try once more when the service says the token is invalid.
    pub async fn send<H: Host>(
        &self,
        host: &H,
        recorder: &Recorder,
        purpose: Purpose,
        authenticated: bool,
        build: &dyn Fn(Option<&Secret>) -> HttpRequest,
    ) -> Result<HttpResponse, ClientError> {
        let mut attempt = 0u32;
        let mut refreshed = false;
        loop {
            attempt += 1;
            if host.is_cancelled() {
                return Err(ClientError::from_code(DiagnosisCode::Cancelled));
            }
            let token = match authenticated {
                true => Some(self.token(host, recorder).await?),
                false => None,
            };
            let request = build(token.as_ref());
            let started = host.now_ms();
            let outcome = host
                .send(&request, self.options.timeout_ms, self.options.max_response_bytes as usize)
                .await;
            let duration = host.now_ms() - started;
            let failure = match &outcome {
                Ok(response) if response.body.len() > self.options.max_response_bytes as usize => {
                    Some(Failure { stage: Some(purpose.stage()), transport_error: Some("response too large".into()), ..Failure::default() })
                }
                Ok(response) if (200..300).contains(&response.status) => None,
                Ok(response) => Some(Failure {
                    stage: Some(purpose.stage()),
                    status: Some(response.status),
                    headers: response.headers.clone(),
                    body: Some(response.body.clone()),
                    transport_error: None,
                }),
                Err(error) => Some(Failure { stage: Some(purpose.stage()), transport_error: Some(error.message.clone()), ..Failure::default() }),
            };
            let diagnosis = failure.as_ref().map(diagnose);
            recorder.record(&request, attempt, outcome.as_ref(), duration, diagnosis.as_ref());
            let Some(diagnosis) = diagnosis else {
                return outcome.map_err(|_| ClientError::from_code(DiagnosisCode::NetworkError));
            };
            if diagnosis.code == DiagnosisCode::InvalidToken && !refreshed {
                if let Some(token) = &token {
                    self.tokens.invalidate(|t| &t.value == token);
                }
                refreshed = true;
                attempt -= 1;
                continue;
            }
            if host.is_cancelled() {
                return Err(ClientError::from_code(DiagnosisCode::Cancelled));
            }
            // A relay answers 502 for a failure of Datafordeleren's that it already retried under
            // its own policy: retrying it here too would multiply the calls to Datafordeleren.
            let retried_by_relay = purpose == Purpose::Relay && matches!(&outcome, Ok(response) if response.status == 502);
            match self.retry.delay_ms(attempt, &diagnosis, host.random()).filter(|_| !retried_by_relay) {
                Some(ms) => host.sleep(ms).await,
                None => return Err(self.seal(ClientError::Failed(Box::new(diagnosis)))),
            }
        }
    }

    /// A GraphQL request with a bearer token, to `url` (the settled service's).
    pub async fn graphql<H: Host>(&self, host: &H, recorder: &Recorder, url: &str, body: String) -> Result<HttpResponse, ClientError> {
        let url = url.to_string();
        self.send(host, recorder, Purpose::Graphql, true, &|token| HttpRequest {
            url: url.clone(),
            method: "POST",
            headers: authorized(token, "application/json", "application/graphql-response+json, application/json"),
            body: Some(body.clone()),
            purpose: Purpose::Graphql,
        })
        .await
    }

    /// "Fetch CPR Schema": download the service's SDL (negotiating the version first if the
    /// client has not yet) and adopt it: later queries follow it ([`Client::live_dialect`]),
    /// whatever the `schema` option says. Gives the text.
    pub async fn fetch_schema<H: Host>(&self, host: &H, recorder: &Recorder) -> Result<String, ClientError> {
        let live = self.follows_live_schema();
        let (mut service, fresh) = self.settled(host, recorder, live).await?;
        // Fetch now unless this call just tried: a schema held or failed earlier is fetched anew.
        if !(fresh && live) {
            service = self.resettle(host, recorder, &service).await?;
        }
        if let Some(error) = &service.schema_failure {
            return Err(error.clone());
        }
        Ok(service.sdl.clone().unwrap_or_default())
    }

    /// Download a schema's text; a body that is not a schema is refused when parsed.
    async fn download_schema<H: Host>(&self, host: &H, recorder: &Recorder, url: &str) -> Result<String, ClientError> {
        let request = crate::query::build_schema_request(&self.endpoints);
        let response = self
            .send(host, recorder, Purpose::Schema, true, &|token| {
                let mut headers: Vec<(String, String)> =
                    request.headers.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect();
                headers.extend(authorized(token, "", "").into_iter().filter(|(k, _)| k == "authorization"));
                HttpRequest { url: url.to_string(), method: "GET", headers, body: None, purpose: Purpose::Schema }
            })
            .await?;
        Ok(response.body)
    }
}

/// The catalogue's diagnosis for `code`, with an error's message as what this failure said.
pub(crate) fn detailed(code: DiagnosisCode, error: &CprError) -> Diagnosis {
    let mut diagnosis = Diagnosis::from_code(code);
    diagnosis.detail = Some(error.to_string());
    diagnosis
}

fn authorized(token: Option<&Secret>, content_type: &str, accept: &str) -> Vec<(String, String)> {
    let mut headers = Vec::with_capacity(3);
    if let Some(token) = token {
        headers.push(("authorization".to_string(), format!("Bearer {}", token.expose())));
    }
    if !content_type.is_empty() {
        headers.push(("content-type".to_string(), content_type.to_string()));
    }
    if !accept.is_empty() {
        headers.push(("accept".to_string(), accept.to_string()));
    }
    headers
}

/// `application/x-www-form-urlencoded`.
pub fn form_encode(fields: &[(&str, String)]) -> String {
    fn encode(text: &str, out: &mut String) {
        for b in text.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => out.push(char::from(b)),
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
    }
    let mut out = String::new();
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode(name, &mut out);
        out.push('=');
        encode(value, &mut out);
    }
    out
}

/// A finished operation's debug capture, if debug mode is on.
pub fn capture<H: Host>(recorder: &Recorder, host: &H, operation: &str, error: Option<&ClientError>) -> Option<DebugCapture> {
    recorder.finish(operation, host.now_ms(), error.and_then(ClientError::diagnosis))
}

#[cfg(test)]
mod tests;
