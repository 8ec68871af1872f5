//! Lookups: one CPR number, or many customers refreshed with bounded concurrency.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::debug::{DebugCapture, Recorder};
use super::service::{is_unknown_field, SchemaSource};
use super::{capture, Client, ClientError, Host};
use crate::code::ErrorCode;
use crate::cpr::CprNumber;
use crate::diagnosis::{Diagnosis, DiagnosisCode};
use crate::error::CprError;
use crate::issue::{Issue, Severity};
use crate::merge::{merge_person, MergeResult, MergeSubject, ResolvedOptions};
use crate::person::Person;
use crate::query::{build_lookup_query, QueryOptions};
use crate::response::{parse_lookup_response, LookupBody};

/// What a lookup found, and what it would change in the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct LookupOutcome {
    /// The person; absent when CPR has none (or several) for the number (the notifications say which).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person: Option<Person>,
    /// The merge into the existing record, when one was given: the change journal to review.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub merge: Option<MergeResult>,
    /// Status, protection and not-found notices, and schema adaptations worth knowing.
    pub notifications: Vec<Issue>,
    /// The redacted debug capture, when CPR Debug Mode is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub debug: Option<DebugCapture>,
}

/// A failed item of a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct ItemError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub diagnosis: Option<Diagnosis>,
}

/// One batch item's result, at its input position: `ok` and a `value`, or not `ok` and an
/// `error` (declared to TypeScript as that union, in `src/wasm/client.rs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemResult {
    pub index: usize,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<LookupOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ItemError>,
}

/// Where a batch stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub failures: usize,
}

/// One customer to refresh.
#[derive(Debug, Clone)]
pub struct BatchItem {
    pub cpr: String,
    pub existing: Option<Map<String, Value>>,
}

/// Most lookups running at once in a batch.
pub const MAX_CONCURRENCY: usize = 64;

impl Client {
    /// Look up one CPR number; with an existing record, also merge into it.
    pub async fn lookup<H: Host>(
        &self,
        host: &H,
        recorder: &Recorder,
        cpr: &str,
        existing: Option<&Map<String, Value>>,
    ) -> Result<LookupOutcome, ClientError> {
        let merge_options: &ResolvedOptions = &self.merge;
        let number = CprNumber::parse(cpr).map_err(|report| {
            let reason = report.issues.iter().find(|i| i.is_error()).map(|i| i.message.clone()).unwrap_or_default();
            ClientError::Invalid(CprError::invalid_input(ErrorCode::Diagnosis(DiagnosisCode::InvalidCprNumber), format!("The CPR number is not valid: {reason}")))
        })?;
        let mut service = self.service(host, recorder).await?;
        let mut refreshed = false;
        let (query, response) = loop {
            let query = build_lookup_query(self.endpoints.sector_type, std::slice::from_ref(&number), &QueryOptions { dialect: service.dialect.as_deref(), ..QueryOptions::default() })?;
            let answer = match self.graphql(host, recorder, &service.graphql_url, query.body()).await {
                Ok(response) => parse_lookup_response(LookupBody::Text(&response.body), self.endpoints.sector_type, Some(std::slice::from_ref(&number)))
                    .map_err(diagnosed)
                    .and_then(|result| match result.errors.iter().find(|e| is_unknown_field(&ClientError::Failed(Box::new(e.diagnosis.clone())))) {
                        Some(error) if result.persons.is_empty() => Err(ClientError::Failed(Box::new(error.diagnosis.clone()))),
                        _ => Ok(result),
                    }),
                Err(error) => Err(error),
            };
            match answer {
                // The service's schema changed since it was fetched (or only the bundled model
                // was at hand): fetch it again, once, and ask again.
                Err(error) if !refreshed && self.follows_live_schema() && is_unknown_field(&error) => {
                    refreshed = true;
                    service = self.resettle(host, recorder, &service).await?;
                }
                answer => break (query, answer?),
            }
        };
        let result = response;

        let mut notifications: Vec<Issue> = service.notices.clone();
        // A field the service's own schema lacks is not news for each lookup: the service does
        // not offer it (the drift report lists the differences). Other adaptations are said.
        let live = service.schema == SchemaSource::Live;
        notifications.extend(query.warnings.into_iter().filter(|w| !(live && w.code == ErrorCode::FieldMissing)));
        let mut persons = result.persons;
        let subject_kind = if persons.len() == 1 {
            None
        } else if result.errors.iter().any(|e| e.code == DiagnosisCode::AmbiguousResult) {
            Some(MergeSubject::Ambiguous)
        } else if result.errors.iter().any(|e| e.code == DiagnosisCode::PersonNotFound) {
            Some(MergeSubject::NotFound)
        } else if let Some(error) = result.errors.first() {
            // Nothing to merge: an entitlement or query error, diagnosed by the parser.
            return Err(ClientError::Failed(Box::new(error.diagnosis.clone())));
        } else {
            Some(MergeSubject::NotFound)
        };
        for error in result.errors.iter().filter(|e| e.partial) {
            notifications.push(Issue::new("", error.code, Severity::Warning, error.message.clone()));
        }
        let person = if subject_kind.is_none() { persons.pop() } else { None };
        let subject = match (&person, subject_kind) {
            (Some(p), _) => MergeSubject::Person(p),
            (None, Some(kind)) => kind,
            (None, None) => MergeSubject::NotFound,
        };
        let empty = Map::new();
        let merged = merge_person(existing.unwrap_or(&empty), subject, merge_options);
        notifications.extend(merged.notifications.iter().cloned());
        Ok(LookupOutcome { person, merge: existing.map(|_| merged), notifications, debug: None })
    }

    /// Refresh many customers: at most `concurrency` lookups at once, results in input order,
    /// one failure never stops the batch, cancellation leaves the rest as `cancelled`.
    pub async fn lookup_many<H: Host>(
        &self,
        host: &H,
        items: &[BatchItem],
        concurrency: usize,
        on_progress: &dyn Fn(Progress),
        on_debug: &dyn Fn(&DebugCapture),
    ) -> Vec<ItemResult> {
        let total = items.len();
        let next = Cell::new(0usize);
        // Not `vec![None; total]`: that clones, and cloning a result drags every result type's
        // Clone into the wasm module.
        let results: RefCell<Vec<Option<ItemResult>>> = RefCell::new((0..total).map(|_| None).collect());
        let progress = Cell::new(Progress { done: 0, total, failures: 0 });
        let workers = concurrency.clamp(1, MAX_CONCURRENCY).min(total.max(1));
        let worker = || async {
            loop {
                let index = next.get();
                if index >= total {
                    return;
                }
                next.set(index + 1);
                let Some(item) = items.get(index) else { return };
                let result = if host.is_cancelled() {
                    failed(index, &ClientError::Failed(Box::new(Diagnosis::from_code(DiagnosisCode::Cancelled))))
                } else {
                    let outcome = match self.begin(host) {
                        Err(error) => Err(error),
                        Ok(recorder) => {
                            let outcome = self.lookup(host, &recorder, &item.cpr, item.existing.as_ref()).await.map_err(|e| self.seal(e));
                            let debug = capture(&recorder, host, "lookup", outcome.as_ref().err());
                            if let Some(debug) = &debug {
                                on_debug(debug);
                            }
                            outcome.map(|mut value| {
                                value.debug = debug;
                                value
                            })
                        }
                    };
                    match outcome {
                        Ok(value) => ItemResult { index, ok: true, value: Some(value), error: None },
                        Err(error) => failed(index, &error),
                    }
                };
                let mut p = progress.get();
                p.done += 1;
                p.failures += usize::from(!result.ok);
                progress.set(p);
                if let Some(slot) = results.borrow_mut().get_mut(index) {
                    *slot = Some(result);
                }
                on_progress(p);
            }
        };
        JoinAll((0..workers).map(|_| Some(Box::pin(worker()))).collect()).await;
        in_input_order(results.into_inner())
    }
}

/// A batch's results by input position; an item no worker reached (the batch was cancelled) is
/// `cancelled`.
pub(super) fn in_input_order(results: Vec<Option<ItemResult>>) -> Vec<ItemResult> {
    results
        .into_iter()
        .enumerate()
        .map(|(index, r)| r.unwrap_or_else(|| failed(index, &ClientError::Failed(Box::new(Diagnosis::from_code(DiagnosisCode::Cancelled))))))
        .collect()
}

/// Runs a batch's workers together on one thread: each poll polls every worker not yet done.
/// A batch has at most [`MAX_CONCURRENCY`] workers, so that costs little; futures-util's
/// `join_all` (a task per future above 30) added several KB to the wasm module.
pub(super) struct JoinAll<F: Future<Output = ()>>(pub(super) Vec<Option<Pin<Box<F>>>>);

impl<F: Future<Output = ()>> Future for JoinAll<F> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut pending = false;
        for slot in self.get_mut().0.iter_mut() {
            if let Some(worker) = slot {
                if worker.as_mut().poll(cx).is_ready() {
                    *slot = None;
                } else {
                    pending = true;
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}

pub(super) fn failed(index: usize, error: &ClientError) -> ItemResult {
    ItemResult {
        index,
        ok: false,
        value: None,
        error: Some(ItemError { code: error.code(), message: error.to_string(), diagnosis: error.to_diagnosis() }),
    }
}

/// A parse failure as a diagnosis when its code is in the catalogue (malformed or unexpected answers).
fn diagnosed(error: CprError) -> ClientError {
    let code = error.code().diagnosis().unwrap_or(DiagnosisCode::MalformedResponse);
    ClientError::Failed(Box::new(super::detailed(code, &error)))
}
