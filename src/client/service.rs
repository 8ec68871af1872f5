//! The service a client talks to, settled once per client on first use and shared by every
//! operation: which API version answered and which schema the queries follow.
//!
//! With `apiVersion: "auto"` the endpoint candidates are tried newest first. Only a plain HTTP 404
//! (no GraphQL answer in the body) means "this version is not offered here" and moves on to the
//! next: a 404 whose body holds GraphQL `errors` is the service answering about the query (an
//! unknown entity is a GraphQL error, not a missing route), and any other status or a transport
//! error is a problem the next version would not solve. The request that probes is the one the
//! client needs anyway: the schema download when the live schema is used, else the connection
//! test's query, which looks nobody up.

use std::rc::Rc;

use serde::{Deserialize, Serialize};

use super::debug::Recorder;
use super::token::Next;
use super::{Client, ClientError, Host};
use crate::code::ErrorCode;
use crate::diagnosis::DiagnosisCode;
use crate::issue::{Issue, Severity};
use crate::schema::Dialect;

/// Where the schema a client's queries follow comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "lowercase")]
pub enum SchemaSource {
    /// Fetched from the service.
    Live,
    /// The library's bundled model (chosen, or because the service's could not be fetched).
    Bundled,
    /// The SDL text given in the client's options.
    Given,
}

/// The `schema` option, read once when the client is made.
#[derive(Debug, Clone)]
pub enum SchemaChoice {
    Live,
    Bundled,
    Given(Rc<Dialect>),
}

/// What the first use of a client settled.
#[derive(Debug)]
pub struct Service {
    /// Index of the endpoint candidate that answered.
    pub candidate: usize,
    /// The version that answered (absent for a fixed URL under `auto`).
    pub api_version: Option<String>,
    pub graphql_url: String,
    /// The dialect queries follow; `None` is the bundled model.
    pub dialect: Option<Rc<Dialect>>,
    pub schema: SchemaSource,
    /// The fetched SDL text, when the schema is live.
    pub sdl: Option<String>,
    /// Why the live schema is not used, when it could not be fetched.
    pub schema_failure: Option<ClientError>,
    /// Said with every outcome: a version fallback, a bundled model used instead of the live one.
    pub notices: Vec<Issue>,
    /// False when settled on a transport failure: the next operation settles again.
    pub lasting: bool,
}

/// A failure that only says "nothing is served at this URL".
pub(crate) fn is_missing(error: &ClientError) -> bool {
    matches!(error, ClientError::Failed(d) if d.code == DiagnosisCode::EndpointNotFound)
}

/// The service named a field the query selected but its schema lacks ("Cannot query field").
pub(crate) fn is_unknown_field(error: &ClientError) -> bool {
    matches!(error, ClientError::Failed(d) if d.detail.as_deref().is_some_and(|t| t.to_ascii_lowercase().contains("cannot query field")))
}

/// What a failed schema download means for the client.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SchemaFailure {
    /// Fail the operation: the same problem would stop the lookup (credentials, access,
    /// cancellation, or no version answering at all).
    Stop,
    /// Use the bundled model and keep that for the client's lifetime (the service answered).
    Bundled,
    /// Use the bundled model for this operation only (no answer: try again next time).
    BundledOnce,
}

pub(crate) fn schema_failure(error: &ClientError, last_candidate: bool) -> SchemaFailure {
    let ClientError::Failed(d) = error else { return SchemaFailure::Bundled };
    match (d.code, d.status) {
        (DiagnosisCode::Cancelled, _) => SchemaFailure::Stop,
        (DiagnosisCode::EndpointNotFound, _) if last_candidate => SchemaFailure::Stop,
        // 401 and 403 are the credential or access problem the lookup would meet: never hidden.
        (_, Some(401 | 403)) => SchemaFailure::Stop,
        (DiagnosisCode::NotEntitled, _) => SchemaFailure::Stop,
        (_, Some(_)) => SchemaFailure::Bundled,
        (_, None) => SchemaFailure::BundledOnce,
    }
}

impl Client {
    /// The settled service: negotiated and its schema fetched once for everyone waiting.
    pub async fn service<H: Host>(&self, host: &H, recorder: &Recorder) -> Result<Rc<Service>, ClientError> {
        let live = matches!(self.schema_choice, SchemaChoice::Live);
        Ok(self.settled(host, recorder, live).await?.0)
    }

    /// Settle again, fetching the schema from the service whatever the `schema` option says (a
    /// refresh, or "Fetch CPR Schema"); `stale` is the service the caller found wanting (if
    /// another caller settled anew meanwhile, that one is used).
    pub async fn resettle<H: Host>(&self, host: &H, recorder: &Recorder, stale: &Rc<Service>) -> Result<Rc<Service>, ClientError> {
        self.services.invalidate(|s| Rc::ptr_eq(s, stale));
        Ok(self.settled(host, recorder, true).await?.0)
    }

    /// The settled service, and whether this caller settled it (rather than finding or awaiting it).
    pub(crate) async fn settled<H: Host>(&self, host: &H, recorder: &Recorder, live: bool) -> Result<(Rc<Service>, bool), ClientError> {
        let mut seen = None;
        let service = loop {
            // A waiter may use a service settled for this operation only; a new caller may not.
            let waited = seen.is_some();
            match self.services.next(|s: &Rc<Service>| s.lasting || waited, seen) {
                Next::Use(service) => break (service, false),
                Next::Fail(error) => return Err(error),
                Next::Wait(generation) => {
                    self.services.changed(generation).await;
                    seen = Some(generation);
                }
                Next::Fetch(guard) => {
                    let outcome = Box::pin(self.settle(host, recorder, live)).await.map(Rc::new);
                    guard.finish(outcome.clone());
                    break (outcome?, true);
                }
            }
        };
        recorder.set_api_version(service.0.api_version.as_deref());
        Ok(service)
    }

    async fn settle<H: Host>(&self, host: &H, recorder: &Recorder, live: bool) -> Result<Service, ClientError> {
        let candidates = &self.endpoints.candidates;
        let last = candidates.len().saturating_sub(1);
        // The version that answered before is not negotiated again.
        let start = self.answered.get().min(last);
        let negotiate = self.endpoints.negotiate && start == 0;
        let given = match &self.schema_choice {
            SchemaChoice::Given(dialect) if !live => Some(Rc::clone(dialect)),
            _ => None,
        };
        let mut chosen = start;
        let mut fetched = None;
        // One request per candidate tried: the schema download, or (without the live schema)
        // the probe query, which only a negotiation needs.
        if live || negotiate {
            while let Some(candidate) = candidates.get(chosen) {
                let outcome = match live {
                    true => self.download_schema(host, recorder, &candidate.schema_url).await,
                    false => self.probe(host, recorder, &candidate.graphql_url, given.as_deref()).await,
                };
                if negotiate && chosen < last && matches!(&outcome, Err(e) if is_missing(e)) {
                    chosen += 1;
                    continue;
                }
                fetched = Some(outcome);
                break;
            }
        }
        let candidate = candidates.get(chosen).ok_or_else(|| ClientError::from_code(DiagnosisCode::EndpointNotFound))?;
        let mut notices = Vec::new();
        if chosen > 0 && self.endpoints.negotiate {
            notices.push(self.fallback_notice(chosen));
        }
        let mut service = Service {
            candidate: chosen,
            api_version: candidate.api_version.clone(),
            graphql_url: candidate.graphql_url.clone(),
            dialect: given,
            schema: SchemaSource::Bundled,
            sdl: None,
            schema_failure: None,
            notices,
            lasting: true,
        };
        if service.dialect.is_some() {
            service.schema = SchemaSource::Given;
        }
        if let (false, Some(outcome)) = (live, &fetched) {
            // The probe's answer only had to show that the version exists.
            outcome.clone()?;
        }
        if let Some(outcome) = fetched.filter(|_| live) {
            let parsed = outcome.and_then(|sdl| Ok((Dialect::from_sdl(&sdl, self.endpoints.sector_type)?, sdl)));
            match parsed {
                Ok((dialect, sdl)) => {
                    service.dialect = Some(Rc::new(dialect));
                    service.schema = SchemaSource::Live;
                    service.sdl = Some(sdl);
                }
                Err(error) => {
                    match schema_failure(&error, negotiate && chosen == last) {
                        SchemaFailure::Stop => return Err(error),
                        SchemaFailure::Bundled => {}
                        SchemaFailure::BundledOnce => service.lasting = false,
                    }
                    service.notices.push(Issue::new(
                        "",
                        ErrorCode::SchemaBundled,
                        Severity::Warning,
                        format!(
                            "The service's schema could not be fetched ({error}); queries follow the library's bundled model, which \
                             may select a field this service lacks. Turn on CPR Debug Mode and use Fetch CPR Schema to see why."
                        ),
                    ));
                    service.schema_failure = Some(error);
                }
            }
        }
        if service.lasting {
            self.answered.set(chosen);
        }
        Ok(service)
    }

    /// The probe query: any answer but a plain 404 says the version exists (the query's own
    /// problems are the lookup's to report); no answer at all is an error.
    async fn probe<H: Host>(&self, host: &H, recorder: &Recorder, url: &str, given: Option<&Dialect>) -> Result<String, ClientError> {
        let body = self.probe_body(given)?;
        match self.graphql(host, recorder, url, body).await {
            Err(ClientError::Failed(d)) if d.code != DiagnosisCode::EndpointNotFound && d.status.is_some() && !matches!(d.status, Some(401 | 403)) => {
                Ok(String::new())
            }
            outcome => outcome.map(|_| String::new()),
        }
    }

    fn fallback_notice(&self, chosen: usize) -> Issue {
        let name = |i: usize| self.endpoints.candidates.get(i).and_then(|c| c.api_version.clone()).unwrap_or_default();
        let missing: Vec<String> = (0..chosen).map(name).collect();
        let (newest, answered) = (name(0), name(chosen));
        Issue::new(
            "apiVersion",
            ErrorCode::ApiVersionFallback,
            Severity::Warning,
            format!(
                "{} not offered here (HTTP 404); {answered} answered. {answered} is being retired now that {newest} is current: \
                 ask Datafordeleren when {newest} comes to this environment. Set API Version to {answered} to stop trying {newest} first.",
                missing.join(" and ") + if missing.len() == 1 { " is" } else { " are" }
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::Diagnosis;

    fn failed(code: DiagnosisCode, status: Option<u16>) -> ClientError {
        let mut d = Diagnosis::from_code(code);
        d.status = status;
        ClientError::Failed(Box::new(d))
    }

    #[test]
    fn only_a_plain_404_means_a_missing_version() {
        assert!(is_missing(&failed(DiagnosisCode::EndpointNotFound, Some(404))));
        for (code, status) in [
            (DiagnosisCode::GraphqlErrors, Some(404)),
            (DiagnosisCode::ServerError, Some(503)),
            (DiagnosisCode::ConnectionRefused, None),
            (DiagnosisCode::GraphqlUnauthorized, Some(401)),
        ] {
            assert!(!is_missing(&failed(code, status)), "{code:?}");
        }
    }

    #[test]
    fn a_schema_failure_is_hidden_only_when_the_lookup_could_still_work() {
        use SchemaFailure::*;
        let cases = [
            (failed(DiagnosisCode::GraphqlUnauthorized, Some(401)), false, Stop),
            (failed(DiagnosisCode::IpNotAllowlisted, Some(401)), false, Stop),
            (failed(DiagnosisCode::NotEntitled, Some(403)), false, Stop),
            (failed(DiagnosisCode::NotEntitled, Some(200)), false, Stop),
            (failed(DiagnosisCode::Cancelled, None), false, Stop),
            (failed(DiagnosisCode::EndpointNotFound, Some(404)), true, Stop),
            (failed(DiagnosisCode::EndpointNotFound, Some(404)), false, Bundled),
            (failed(DiagnosisCode::ServerError, Some(500)), false, Bundled),
            (failed(DiagnosisCode::Timeout, None), false, BundledOnce),
            (failed(DiagnosisCode::ConnectionRefused, None), true, BundledOnce),
        ];
        for (error, last, expected) in cases {
            assert_eq!(schema_failure(&error, last), expected, "{error:?}");
        }
    }

    #[test]
    fn unknown_fields_are_recognised_by_the_services_text() {
        let mut d = Diagnosis::from_code(DiagnosisCode::QueryRejected);
        d.detail = Some("Cannot query field \"statusdato\" on type \"CPRCustom_PrivateSectorPerson\".".into());
        assert!(is_unknown_field(&ClientError::Failed(Box::new(d))));
        assert!(!is_unknown_field(&failed(DiagnosisCode::QueryRejected, Some(400))));
    }
}
