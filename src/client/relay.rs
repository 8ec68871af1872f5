//! Relay mode: the client reaches the register through a `datafordeler-cpr/relay` on the
//! page's server instead of calling Datafordeleren. The relay holds the credentials and builds
//! every register request; this side sends only CPR numbers, and merges the persons it gets
//! back into the caller's records itself, so a customer record never leaves the page.
//!
//! Every relay request goes through [`Client::send`] with the purpose `relay`, so timeouts,
//! size caps, cancellation, retries, debug captures and the one exit ([`Client::seal`]) are the
//! direct client's. A relay's problem answer is diagnosed by [`crate::diagnosis::relay`] into
//! the diagnosis a direct call would have given.

use serde_json::{Map, Value};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::connection::{ConnectionReport, Step, StepName, StepStatus};
use super::debug::{DebugCapture, Recorder};
use super::lookup::{failed, in_input_order, BatchItem, ItemResult, JoinAll, LookupOutcome, Progress, MAX_CONCURRENCY};
use super::{capture, Client, ClientError, Host, HttpRequest, HttpResponse, Purpose};
use crate::code::ErrorCode;
use crate::cpr::CprNumber;
use crate::diagnosis::{relay::adopt, Diagnosis, DiagnosisCode};
use crate::endpoints::{EndpointProvenance, ResolvedEndpoints};
use crate::environment::{AuthMethod, Environment, Provenance, SectorType};
use crate::error::CprError;
use crate::issue::{Issue, Severity};
use crate::merge::{merge_person, MergeSubject};
use crate::person::Person;
use crate::schema::Dialect;

/// CPR numbers in one relay request at first: the relay's default `limits.maxBatch`. A relay
/// with a smaller limit answers `batch_too_large`; the batch is then halved until it passes,
/// and later batches start at the size that passed.
pub const RELAY_BATCH_SIZE: usize = 50;

/// What a relay-mode client learns from its relay.
pub struct RelayState {
    /// The batch size the relay accepts, as far as known.
    batch_size: Cell<usize>,
    /// The relay's resolved endpoints, once fetched (they name the sector a schema is read for).
    endpoints: RefCell<Option<Value>>,
    /// The dialect of the schema fetched through the relay (`checkSchema` reads it).
    pub(super) dialect: RefCell<Option<Rc<Dialect>>>,
}

impl Default for RelayState {
    fn default() -> Self {
        RelayState { batch_size: Cell::new(RELAY_BATCH_SIZE), endpoints: RefCell::new(None), dialect: RefCell::new(None) }
    }
}

/// The endpoints of a relay-mode client, which calls none of them: the relay resolves the
/// register's endpoints from its own setup ([`Client::relay_endpoints`] asks it). Empty URLs,
/// so that nothing could ever be sent to them.
pub(super) fn not_called() -> ResolvedEndpoints {
    let unknown = Provenance::Inferred;
    ResolvedEndpoints {
        environment: Environment::Production,
        environment_label: String::new(),
        sector_type: SectorType::Private,
        auth_method: AuthMethod::SharedSecret,
        graphql_url: String::new(),
        schema_url: String::new(),
        token_url: String::new(),
        portal_url: String::new(),
        service: String::new(),
        entity: String::new(),
        api_version: String::new(),
        provenance: EndpointProvenance { graphql_url: unknown, schema_url: unknown, token_url: unknown, portal_url: unknown },
        negotiate: false,
        candidates: Vec::new(),
    }
}

/// One number's result in a relay's answer, read from the JSON by hand: only the lookup's
/// outcome is a typed read, by the host's [`ValueReader`].
enum RelayItem {
    Found(Value),
    Failed(RelayError),
}

/// Reads a person a relay sent, given as JSON text. A parameter rather than a
/// `serde_json::from_str` here: the wasm boundary reads it with the reader it already has for
/// persons (`mergePerson`'s); a second, serde_json reader of the person types would add tens of
/// KB to the module.
pub type ValueReader<'a> = &'a dyn Fn(&str) -> Option<Person>;

/// A notification of a relay's lookup outcome, read by hand (as [`ValueReader`] says why).
fn notification(value: &Value) -> Option<Issue> {
    let text = |key: &str| value.get(key).and_then(Value::as_str);
    let severity = match text("severity")? {
        "error" => Severity::Error,
        "warning" => Severity::Warning,
        _ => Severity::Info,
    };
    Some(Issue::new(text("field").unwrap_or_default(), text("code")?.parse::<ErrorCode>().ok()?, severity, text("message").unwrap_or_default()))
}

struct RelayError {
    code: String,
    message: String,
    diagnosis: Option<Value>,
}

/// The error of a relay answer this client cannot read.
fn malformed(route: &str) -> ClientError {
    let mut diagnosis = Diagnosis::from_code(DiagnosisCode::MalformedResponse);
    diagnosis.detail = Some(format!("The relay's answer to {route} is not what datafordeler-cpr/relay sends."));
    ClientError::Failed(Box::new(diagnosis))
}

/// A relay's JSON answer, checked to be an object with `key` (kept untyped: see [`ValueReader`]).
fn parse(response: &HttpResponse, route: &str, key: &str) -> Result<Value, ClientError> {
    serde_json::from_str::<Value>(&response.body).ok().filter(|value| value.get(key).is_some()).ok_or_else(|| malformed(route))
}

/// A number checked before anything is sent, with the error a direct lookup gives.
fn valid_number(cpr: &str) -> Result<CprNumber, ClientError> {
    CprNumber::parse(cpr).map_err(|report| {
        let reason = report.issues.iter().find(|i| i.is_error()).map(|i| i.message.clone()).unwrap_or_default();
        ClientError::Invalid(CprError::invalid_input(ErrorCode::Diagnosis(DiagnosisCode::InvalidCprNumber), format!("The CPR number is not valid: {reason}")))
    })
}

/// A failed item of a relay's answer, as the direct client reports it.
fn item_failure(error: RelayError) -> ClientError {
    match error.code.parse::<DiagnosisCode>() {
        Ok(DiagnosisCode::InvalidCprNumber) => {
            ClientError::Invalid(CprError::invalid_input(ErrorCode::Diagnosis(DiagnosisCode::InvalidCprNumber), error.message))
        }
        Ok(code) => ClientError::Failed(Box::new(adopt(code, error.diagnosis.as_ref()))),
        Err(_) => {
            let mut diagnosis = Diagnosis::from_code(DiagnosisCode::RelayRefused);
            diagnosis.detail = Some(format!("{}: {}", error.code, error.message));
            ClientError::Failed(Box::new(diagnosis))
        }
    }
}

/// The connection test's report: the relay's own, as it sent it, or the failed one this
/// client made when the relay did not run the test.
pub enum RelayReport {
    Relay(Value),
    Local(ConnectionReport),
}

impl serde::Serialize for RelayReport {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            RelayReport::Relay(report) => report.serialize(serializer),
            RelayReport::Local(report) => report.serialize(serializer),
        }
    }
}

impl Client {
    /// Whether this client goes through a relay.
    pub fn is_relay(&self) -> bool {
        self.setup.relay.is_some()
    }

    /// One relay request: its route below the relay URL, with the setup's extra headers.
    async fn relay_call<H: Host>(&self, host: &H, recorder: &Recorder, method: &'static str, route: &str, body: Option<String>) -> Result<HttpResponse, ClientError> {
        let relay = self.setup.relay.as_ref().ok_or_else(|| malformed(route))?;
        let mut headers: Vec<(String, String)> = Vec::with_capacity(relay.headers.len() + 2);
        headers.push(("accept".into(), "application/json, application/problem+json, text/plain".into()));
        if body.is_some() {
            headers.push(("content-type".into(), "application/json".into()));
        }
        headers.extend(relay.headers.iter().map(|(name, value)| (name.clone(), value.expose().to_string())));
        let request = HttpRequest { url: format!("{}{route}", relay.url), method, headers, body, purpose: Purpose::Relay };
        self.send(host, recorder, Purpose::Relay, false, &|_| request.clone()).await
    }

    /// `POST /lookup` for `numbers`: one relay item per number, in their order.
    async fn relay_batch<H: Host>(&self, host: &H, recorder: &Recorder, numbers: &[CprNumber]) -> Result<Vec<RelayItem>, ClientError> {
        // Normalized numbers are ten digits: nothing to escape.
        let listed: Vec<String> = numbers.iter().map(|number| format!("\"{}\"", number.normalized())).collect();
        let body = format!("{{\"cprNumbers\":[{}]}}", listed.join(","));
        let response = self.relay_call(host, recorder, "POST", "/lookup", Some(body)).await?;
        // One result per number, each in the slot its index names.
        let mut slots: Vec<Option<RelayItem>> = numbers.iter().map(|_| None).collect();
        let answer = parse(&response, "/lookup", "results")?;
        for result in answer.get("results").and_then(Value::as_array).ok_or_else(|| malformed("/lookup"))? {
            let item = match (result.get("ok").and_then(Value::as_bool), result.get("value"), result.get("error")) {
                (Some(true), Some(value), _) => RelayItem::Found(value.clone()),
                (Some(false), _, Some(error)) => RelayItem::Failed(RelayError {
                    code: error.get("code").and_then(Value::as_str).unwrap_or_default().to_string(),
                    message: error.get("message").and_then(Value::as_str).unwrap_or_default().to_string(),
                    diagnosis: error.get("diagnosis").filter(|d| d.is_object()).cloned(),
                }),
                _ => return Err(malformed("/lookup")),
            };
            let index = result.get("index").and_then(Value::as_u64).and_then(|i| usize::try_from(i).ok()).unwrap_or(usize::MAX);
            match slots.get_mut(index) {
                Some(slot @ None) => *slot = Some(item),
                _ => return Err(malformed("/lookup")),
            }
        }
        slots.into_iter().map(|slot| slot.ok_or_else(|| malformed("/lookup"))).collect()
    }

    /// A relay item as a lookup outcome, merged into `existing` here with this client's merge
    /// options. The relay's notifications are those of a lookup without a record; the merge
    /// adds those only a record gives (a value kept by policy, say).
    fn relay_outcome(&self, item: RelayItem, existing: Option<&Map<String, Value>>, read: ValueReader) -> Result<LookupOutcome, ClientError> {
        let value = match item {
            RelayItem::Found(value) => value,
            RelayItem::Failed(error) => return Err(item_failure(error)),
        };
        let person = match value.get("person") {
            None | Some(Value::Null) => None,
            Some(person) => Some(read(&crate::json_input::json_text(person)).ok_or_else(|| malformed("/lookup"))?),
        };
        let listed = value.get("notifications").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        let mut notifications: Vec<Issue> = listed.iter().filter_map(notification).collect();
        let merge = existing.map(|existing| {
            let subject = match &person {
                Some(person) => MergeSubject::Person(person),
                None if notifications.iter().any(|n| n.code == ErrorCode::Diagnosis(DiagnosisCode::AmbiguousResult)) => MergeSubject::Ambiguous,
                None => MergeSubject::NotFound,
            };
            let merged = merge_person(existing, subject, &self.merge);
            for notification in &merged.notifications {
                if !notifications.iter().any(|n| n.code == notification.code && n.field == notification.field) {
                    notifications.push(notification.clone());
                }
            }
            merged
        });
        Ok(LookupOutcome { person, merge, notifications, debug: None })
    }

    /// Look up one CPR number through the relay; with an existing record, merge into it here.
    pub async fn relay_lookup<H: Host>(&self, host: &H, recorder: &Recorder, cpr: &str, existing: Option<&Map<String, Value>>, read: ValueReader<'_>) -> Result<LookupOutcome, ClientError> {
        let number = valid_number(cpr)?;
        let item = self.relay_batch(host, recorder, std::slice::from_ref(&number)).await?.into_iter().next().ok_or_else(|| malformed("/lookup"))?;
        self.relay_outcome(item, existing, read)
    }

    /// Refresh many customers through the relay: the valid numbers in batches of at most the
    /// relay's batch size, `concurrency` numbers in flight at once (at least one batch), results
    /// in input order; one failure (an item's, or a whole batch's) never stops the rest.
    pub async fn relay_lookup_many<H: Host>(
        &self,
        host: &H,
        items: &[BatchItem],
        concurrency: usize,
        on_progress: &dyn Fn(Progress),
        on_debug: &dyn Fn(&DebugCapture),
        read: ValueReader<'_>,
    ) -> Vec<ItemResult> {
        let total = items.len();
        let results: RefCell<Vec<Option<ItemResult>>> = RefCell::new((0..total).map(|_| None).collect());
        let progress = Cell::new(Progress { done: 0, total, failures: 0 });
        let report = |result: ItemResult| {
            let mut p = progress.get();
            p.done += 1;
            p.failures += usize::from(!result.ok);
            progress.set(p);
            let index = result.index;
            if let Some(slot) = results.borrow_mut().get_mut(index) {
                *slot = Some(result);
            }
            on_progress(p);
        };
        // An invalid number is refused before anything is sent, as a direct lookup refuses it.
        let mut valid: Vec<(usize, CprNumber)> = Vec::with_capacity(total);
        for (index, item) in items.iter().enumerate() {
            match valid_number(&item.cpr) {
                Ok(number) => valid.push((index, number)),
                Err(error) => report(failed(index, &self.seal(error))),
            }
        }
        let size = self.relay_state.batch_size.get().max(1);
        let batches: Vec<&[(usize, CprNumber)]> = valid.chunks(size).collect();
        let next = Cell::new(0usize);
        let workers = concurrency.div_ceil(size).clamp(1, MAX_CONCURRENCY).min(batches.len().max(1));
        let worker = || async {
            while let Some(batch) = batches.get(next.get()) {
                next.set(next.get() + 1);
                self.relay_lookup_batch(host, items, batch, &report, on_debug, read).await;
            }
        };
        JoinAll((0..workers).map(|_| Some(Box::pin(worker()))).collect()).await;
        in_input_order(results.into_inner())
    }

    /// One batch of `lookupMany`, halved for as long as the relay finds it too large.
    async fn relay_lookup_batch<H: Host>(
        &self,
        host: &H,
        items: &[BatchItem],
        batch: &[(usize, CprNumber)],
        report: &dyn Fn(ItemResult),
        on_debug: &dyn Fn(&DebugCapture),
        read: ValueReader<'_>,
    ) {
        let mut pending = vec![batch];
        while let Some(part) = pending.pop() {
            if host.is_cancelled() {
                let cancelled = ClientError::Failed(Box::new(Diagnosis::from_code(DiagnosisCode::Cancelled)));
                part.iter().for_each(|(index, _)| report(failed(*index, &cancelled)));
                continue;
            }
            // A part longer than the size the relay accepted: in parts of that size first.
            let size = self.relay_state.batch_size.get().max(1);
            if part.len() > size {
                pending.extend(part.chunks(size).rev());
                continue;
            }
            let outcome = match self.begin(host) {
                Err(error) => Err(error),
                Ok(recorder) => {
                    let numbers: Vec<CprNumber> = part.iter().map(|(_, number)| number.clone()).collect();
                    let outcome = self.relay_batch(host, &recorder, &numbers).await.map_err(|e| self.seal(e));
                    let debug = capture(&recorder, host, "lookup", outcome.as_ref().err());
                    if let Some(debug) = &debug {
                        on_debug(debug);
                    }
                    outcome.map(|items| (items, debug.map(Rc::new)))
                }
            };
            match outcome {
                Err(error) if error.code() == ErrorCode::Diagnosis(DiagnosisCode::RelayBatchTooLarge) && part.len() > 1 => {
                    let (first, second) = part.split_at(part.len() / 2);
                    let known = self.relay_state.batch_size.get();
                    self.relay_state.batch_size.set(known.min(first.len()).max(1));
                    // The first half is sent first (the last pushed is popped first).
                    pending.push(second);
                    pending.push(first);
                }
                Err(error) => part.iter().for_each(|(index, _)| report(failed(*index, &error))),
                Ok((answers, debug)) => {
                    for ((index, _), answer) in part.iter().zip(answers) {
                        let existing = items.get(*index).and_then(|item| item.existing.as_ref());
                        report(match self.relay_outcome(answer, existing, read).map_err(|e| self.seal(e)) {
                            Ok(mut value) => {
                                value.debug = debug.as_deref().cloned();
                                ItemResult { index: *index, ok: true, value: Some(value), error: None }
                            }
                            Err(error) => failed(*index, &error),
                        });
                    }
                }
            }
        }
    }

    /// The relay's connection test (`POST /test-connection`): its report. A relay that cannot be
    /// reached, or refuses, is a failed report too, never an error: its diagnosis is the
    /// failed `endpointsResolved` step (where to call is what failed), the later steps skipped.
    pub async fn relay_test_connection<H: Host>(&self, host: &H, recorder: &Recorder) -> RelayReport {
        let outcome = self.relay_call(host, recorder, "POST", "/test-connection", Some("{}".into())).await;
        let error = match outcome.and_then(|response| parse(&response, "/test-connection", "steps")) {
            Ok(report) => return RelayReport::Relay(report),
            Err(error) => self.seal(error),
        };
        let diagnosis = error.to_diagnosis().unwrap_or_else(|| Diagnosis::from_code(DiagnosisCode::RelayRefused));
        let step = |step, status, message: String, diagnosis| Step { step, status, message, diagnosis, issues: vec![] };
        let mut steps = vec![
            Step { issues: self.setup_issues.clone(), ..step(StepName::SetupValid, StepStatus::Passed, "The relay setup is complete.".into(), None) },
            step(StepName::EndpointsResolved, StepStatus::Failed, format!("The relay did not run the test: {} {}", diagnosis.title, diagnosis.solution), Some(diagnosis)),
        ];
        for name in [StepName::TokenObtained, StepName::GraphqlReachable, StepName::EntityAuthorised] {
            steps.push(step(name, StepStatus::Skipped, "Not tried: an earlier step failed.".into(), None));
        }
        RelayReport::Local(ConnectionReport { ok: false, steps, api_version: None, schema: None, notifications: Vec::new() })
    }

    /// The relay's resolved endpoints (`GET /endpoints`, a `ResolvedEndpoints` as JSON), fetched once.
    pub async fn relay_endpoints<H: Host>(&self, host: &H, recorder: &Recorder) -> Result<Value, ClientError> {
        if let Some(endpoints) = self.relay_state.endpoints.borrow().as_ref() {
            return Ok(endpoints.clone());
        }
        let response = self.relay_call(host, recorder, "GET", "/endpoints", None).await?;
        let endpoints = parse(&response, "/endpoints", "sectorType")?;
        *self.relay_state.endpoints.borrow_mut() = Some(endpoints.clone());
        Ok(endpoints)
    }

    /// "Fetch CPR Schema" through the relay (`GET /schema`): the SDL, adopted as a direct fetch
    /// adopts it (for the relay's sector, from its endpoints), so `checkSchema` reads it.
    pub async fn relay_fetch_schema<H: Host>(&self, host: &H, recorder: &Recorder) -> Result<String, ClientError> {
        let sector = match self.relay_endpoints(host, recorder).await?.get("sectorType").and_then(Value::as_str) {
            Some("public") => SectorType::Public,
            Some("private") => SectorType::Private,
            _ => return Err(malformed("/endpoints")),
        };
        let sdl = self.relay_call(host, recorder, "GET", "/schema", None).await?.body;
        let dialect = Dialect::from_sdl(&sdl, sector)?;
        *self.relay_state.dialect.borrow_mut() = Some(Rc::new(dialect));
        Ok(sdl)
    }
}

#[cfg(test)]
mod tests {
    //! The relay client over a host that answers as a relay with a `maxBatch` would: every
    //! number is not found (no person needed), a batch over the limit is `batch_too_large`.
    use super::*;
    use crate::client::{ClientOptions, TransportError};
    use futures::executor::block_on;
    use serde_json::json;

    struct RelayHost {
        max_batch: usize,
        sent: RefCell<Vec<HttpRequest>>,
    }

    impl Host for RelayHost {
        async fn send(&self, request: &HttpRequest, _timeout_ms: u32, _max: usize) -> Result<HttpResponse, TransportError> {
            self.sent.borrow_mut().push(request.clone());
            let body: Value = serde_json::from_str(request.body.as_deref().unwrap_or("{}")).unwrap_or_default();
            let numbers = body["cprNumbers"].as_array().cloned().unwrap_or_default();
            let session = request.headers.iter().find(|(k, _)| k == "x-session").map(|(_, v)| v.clone()).unwrap_or_default();
            let answer = |status: u16, body: Value| Ok(HttpResponse { status, headers: vec![], body: body.to_string() });
            if session != "session-7f00" {
                return answer(401, json!({ "code": "unauthorized", "detail": format!("no session {session}") }));
            }
            if numbers.len() > self.max_batch {
                return answer(400, json!({ "code": "batch_too_large", "detail": "too many" }));
            }
            let results: Vec<Value> = (0..numbers.len())
                .rev()
                .map(|index| json!({ "index": index, "ok": true, "value": { "notifications": [
                    { "field": "", "code": "person_not_found", "severity": "info", "message": "CPR has no person with this number." }
                ] } }))
                .collect();
            answer(200, json!({ "results": results }))
        }
        fn now_ms(&self) -> f64 {
            0.0
        }
        async fn sleep(&self, _ms: u32) {}
        fn random(&self) -> f64 {
            0.5
        }
        fn is_cancelled(&self) -> bool {
            false
        }
    }

    fn client(session: &str) -> Client {
        let setup = json!({ "enabled": true, "relay": { "url": "https://erp.example.com/cpr-relay/", "headers": { "x-session": session } } });
        Client::new(&setup, ClientOptions { max_attempts: 1, ..ClientOptions::default() }).expect("a relay setup")
    }

    fn no_person(_: &str) -> Option<Person> {
        None
    }

    #[test]
    fn batches_are_halved_to_what_the_relay_accepts_and_results_keep_input_order() {
        let host = RelayHost { max_batch: 7, sent: RefCell::new(vec![]) };
        let client = client("session-7f00");
        let items: Vec<BatchItem> = (0..30)
            .map(|i| BatchItem { cpr: format!("{:02}0170{}", i % 28 + 1, 4100 + i), existing: Some(Map::from_iter([("ref".to_string(), json!(i))])) })
            .chain([BatchItem { cpr: "320170-1239".into(), existing: None }])
            .collect();
        let progress = RefCell::new(vec![]);
        let results = block_on(client.relay_lookup_many(&host, &items, 4, &|p| progress.borrow_mut().push(p), &|_| {}, &no_person));
        assert_eq!(results.len(), 31);
        for (i, result) in results.iter().enumerate() {
            assert_eq!(result.index, i);
            if i == 30 {
                assert_eq!(result.error.as_ref().map(|e| e.code), Some(ErrorCode::Diagnosis(DiagnosisCode::InvalidCprNumber)));
                continue;
            }
            let value = result.value.as_ref().expect("an outcome");
            let merge = value.merge.as_ref().expect("merged in the client");
            assert_eq!(merge.record.get("ref"), Some(&json!(i)), "the record is kept");
            let codes: Vec<ErrorCode> = value.notifications.iter().map(|n| n.code).collect();
            assert_eq!(codes.iter().filter(|c| **c == ErrorCode::Diagnosis(DiagnosisCode::PersonNotFound)).count(), 1, "{codes:?}");
        }
        let sizes: Vec<usize> = host
            .sent
            .borrow()
            .iter()
            .map(|r| serde_json::from_str::<Value>(r.body.as_deref().unwrap_or("")).unwrap()["cprNumbers"].as_array().unwrap().len())
            .collect();
        // 30 valid numbers in one batch: 30 refused, 15 refused, then 7 and 8, the 8 (and the
        // second 15) cut to the 7 that passed before they are sent.
        assert_eq!(sizes, [30, 15, 7, 7, 1, 7, 7, 1]);
        assert_eq!(client.relay_state.batch_size.get(), 7);
        for request in host.sent.borrow().iter() {
            assert_eq!(request.url, "https://erp.example.com/cpr-relay/lookup");
            assert_eq!(request.purpose, Purpose::Relay);
            assert!(!request.body.as_deref().unwrap_or("").contains("ref"), "the record never travels");
        }
        assert_eq!(progress.borrow().last().copied(), Some(Progress { done: 31, total: 31, failures: 1 }));
    }

    #[test]
    fn a_refusal_is_unauthorized_and_never_repeats_a_relay_header_value() {
        let host = RelayHost { max_batch: 50, sent: RefCell::new(vec![]) };
        let client = client("wrong-session-5e11");
        let error = block_on(async {
            let recorder = client.begin(&host).expect("enabled");
            client.relay_lookup(&host, &recorder, "070761-0123", None, &no_person).await.map_err(|e| client.seal(e))
        })
        .expect_err("refused");
        assert_eq!(error.code(), ErrorCode::Diagnosis(DiagnosisCode::Unauthorized));
        let shown = format!("{error} {:?}", error.to_diagnosis());
        assert!(shown.contains("no session") && !shown.contains("wrong-session-5e11"), "{shown}");
    }

    #[test]
    fn an_invalid_number_is_refused_before_anything_is_sent() {
        let host = RelayHost { max_batch: 50, sent: RefCell::new(vec![]) };
        let client = client("session-7f00");
        let recorder = client.begin(&host).expect("enabled");
        let error = block_on(client.relay_lookup(&host, &recorder, "320170-1239", None, &no_person)).expect_err("invalid");
        assert_eq!(error.code(), ErrorCode::Diagnosis(DiagnosisCode::InvalidCprNumber));
        assert!(host.sent.borrow().is_empty());
    }
}
