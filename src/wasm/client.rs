//! `CprClient` for JavaScript: holds one core [`Client`] and turns each operation into a
//! Promise. Conversion and the host bridge only; the flow itself is the core's.

use js_sys::{Function, Promise, Reflect};
use serde::Serialize;
use std::rc::Rc;
use tsify::Ts;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::AbortSignal;

use super::args::{object_shape, Argument, CLIENT_OPTIONS, EXISTING_RECORD};
use super::exports::setup_value;
use super::host::JsHost;
use super::read;
use super::value::{check_shape, data_to_js, from_plain, js_error_with, plain, record_from_js, to_js, UNREADABLE};
use crate::code::{ErrorCode, DiagnosisCode};
use crate::client::debug::DebugCapture;
use crate::client::lookup::{BatchItem, LookupOutcome};
use crate::client::relay::RelayReport;
use crate::client::{capture, Client, ClientError, ClientOptions};
use crate::endpoints::ResolvedEndpoints;
use crate::environment::AuthMethod;
use crate::error::CprError;
use crate::merge::MergeOptions;
use crate::setup::SetupInput;

#[wasm_bindgen(typescript_custom_section)]
const CLIENT_TYPES: &'static str = r#"
/** What a host's fetch receives. */
export interface HostRequest {
    url: string;
    method: "GET" | "POST";
    headers: Record<string, string>;
    body?: string;
    /** `relay`: a relay-mode client's request to its `datafordeler-cpr/relay`. */
    purpose: "token" | "graphql" | "schema" | "relay";
    signal: AbortSignal;
    /** Relay mode only: the fetch credentials mode the setup's `relay.credentials` asks for (pass it on to fetch). */
    credentials?: RelayCredentials;
}

/** What a host's fetch returns (a platform Response is accepted too). */
export interface HostResponse {
    status: number;
    headers?: Record<string, string> | [string, string][];
    body?: string;
}

/** How the library reaches the network: everything is optional. */
export interface CprHost {
    /** Send one request. Default: the platform's fetch. */
    fetch?: (request: HostRequest) => Promise<HostResponse | Response> | HostResponse;
    /** Receives every debug capture when CPR Debug Mode is on. */
    onDebug?: (capture: DebugCapture) => void;
}

/** `new CprClient(setup, options)`: the host's functions and the client's options in one object. */
export interface CprClientOptions extends Partial<ClientOptions>, CprHost {}

/** Per-call options. */
export interface OperationOptions {
    /** Cancels the operation (and its requests in flight). */
    signal?: AbortSignal;
}

/** Options of `lookup`. */
export interface LookupOptions extends OperationOptions {
    /** The customer record to merge the person into (the result's `merge`). */
    existing?: Record<string, unknown> | null;
}

/** One customer to refresh: a CPR number, or the number with the existing record. */
export type BatchInput = string | { cpr: string; existing?: Record<string, unknown> | null };

/** Options of `lookupMany`. */
export interface BatchOptions extends OperationOptions {
    /** Lookups running at once (default 4, at most 64). In relay mode: CPR numbers in flight at once, sent in batches of up to 50 (at least one batch at a time). */
    concurrency?: number;
    /** Called after each item. */
    onProgress?: (progress: Progress) => void;
}

/** One `lookupMany` item's result, at its input position: `ok` tells which of the two it is. */
export type ItemResult =
    | { index: number; ok: true; value: LookupOutcome }
    | { index: number; ok: false; error: ItemError };
"#;

/// A Promise for an operation. Every operation's future is boxed to one type first, so the
/// wasm module carries one copy of the future-to-Promise machinery instead of one per operation.
fn promise(work: impl std::future::Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    let boxed: std::pin::Pin<Box<dyn std::future::Future<Output = Result<JsValue, JsValue>>>> = Box::pin(work);
    wasm_bindgen_futures::future_to_promise(boxed)
}

/// A person a relay sent, read with the reader the module has for persons (`mergePerson`'s).
fn read_relay_value(json: &str) -> Option<crate::person::Person> {
    let copy = js_sys::JSON::parse(json).ok()?;
    super::value::record_from_plain(copy, &super::args::PERSON).ok()
}

/// `lookup`'s record to merge into.
const LOOKUP_EXISTING: Argument = Argument::new("options.existing", ErrorCode::InvalidRecord);

/// Most items in one `lookupMany` call.
const MAX_BATCH_ITEMS: usize = 1_000_000;

/// A CPR client for one setup.
#[wasm_bindgen]
pub struct CprClient {
    core: Rc<Client>,
    fetch: Option<Function>,
    on_debug: Option<Function>,
}

/// `argument[key]` of an optional argument named `what` (`host`, `options`): `undefined` when
/// the argument is absent (`undefined`, `null`). Reading never throws into the caller: a read
/// that throws (a getter, a proxy, an argument that is not an object) is `unreadable_input`.
fn argument_field(argument: &JsValue, what: &str, key: &str) -> Result<JsValue, CprError> {
    read::property(argument, key).map_err(|_| unreadable(&format!("{what}.{key}")))
}

/// The error for a caller's value whose reading threw; the exception itself is not repeated.
fn unreadable(what: &str) -> CprError {
    CprError::invalid_input(ErrorCode::UnreadableInput, format!("{what} {UNREADABLE}"))
}

/// An optional callback `argument[key]`. `typeof` decides, not `instanceof`: it never throws
/// and accepts any callable value.
fn function_field(argument: &JsValue, what: &str, key: &str, code: ErrorCode) -> Result<Option<Function>, CprError> {
    let value = argument_field(argument, what, key)?;
    if value.is_undefined() || value.is_null() {
        Ok(None)
    } else if value.is_function() {
        Ok(Some(value.unchecked_into()))
    } else {
        Err(CprError::invalid_input(code, format!("{what}.{key} must be a function.")))
    }
}

/// The `signal` of an options object, if any: only a real `AbortSignal`, since the transport
/// reads it later, when an exception could no longer be turned into an error.
fn signal_of(options: &JsValue) -> Result<Option<AbortSignal>, CprError> {
    let value = argument_field(options, "options", "signal")?;
    if value.is_undefined() || value.is_null() {
        Ok(None)
    } else if read::is_abort_signal(&value) {
        Ok(Some(value.unchecked_into()))
    } else {
        Err(CprError::invalid_input(ErrorCode::InvalidOptions, "options.signal must be an AbortSignal (an AbortController's signal, unaltered)."))
    }
}

/// Refuse a key an operation's options object does not declare: a misspelt option, or a value
/// given where its options now go (`lookup(cpr, record)` instead of `lookup(cpr, { existing })`)
/// would otherwise be ignored without a word.
fn check_option_keys(options: &JsValue, declared: &[&str]) -> Result<(), CprError> {
    if options.is_undefined() || options.is_null() {
        return Ok(());
    }
    if !options.is_object() || read::is_array(options).map_err(|_| unreadable("options"))? {
        return Err(CprError::invalid_input(ErrorCode::InvalidOptions, "options must be an object."));
    }
    let keys = read::own_keys(options).map_err(|_| unreadable("options"))?;
    match keys.iter().find(|key| !declared.contains(&key.as_str())) {
        None => Ok(()),
        // The same error, in the same words, as an options object read by its declared type.
        Some(key) => Err(CLIENT_OPTIONS.unknown_field("", key, declared)),
    }
}

/// The options of an operation that takes nothing but a cancellation signal.
const SIGNAL_ONLY: &[&str] = &["signal"];

/// The host's functions among a client's options; the rest are [`ClientOptions`].
const HOST_FUNCTIONS: [&str; 2] = ["fetch", "onDebug"];

/// A value the client hands back, as a plain JS value: through the client's one exit
/// ([`Client::emit`]), which removes every live secret.
pub(super) fn emit<T: Serialize + ?Sized>(core: &Client, value: &T) -> Result<JsValue, JsValue> {
    let emitted = core.emit(value)?;
    if emitted.rewritten {
        // The secrets were removed from the text: it, not the value, is what leaves.
        js_sys::JSON::parse(&emitted.json)
    } else {
        data_to_js(value, &emitted.json)
    }
}

/// A failed operation as a JS Error: `code`, `message`, and the `diagnosis` and `debug` capture,
/// sealed by the client first.
pub(super) fn client_error(core: &Client, error: ClientError, debug: Option<&DebugCapture>) -> JsValue {
    let error = core.seal(error);
    let field = match &error {
        ClientError::Invalid(e) => e.field(),
        ClientError::Failed(_) => None,
    };
    let diagnosis = error.to_diagnosis().and_then(|diagnosis| emit(core, &diagnosis).ok());
    let debug = debug.and_then(|debug| emit(core, debug).ok());
    js_error_with(error.code(), &error.to_string(), field, diagnosis.unwrap_or(JsValue::UNDEFINED), debug.unwrap_or(JsValue::UNDEFINED))
}

/// A batch item from JS: the number as text and the record as an object (or nothing).
fn batch_item(cpr: &JsValue, existing: &JsValue, argument: &Argument) -> Result<BatchItem, CprError> {
    let cpr = cpr
        .as_string()
        .ok_or_else(|| CprError::invalid_input(ErrorCode::Diagnosis(DiagnosisCode::InvalidCprNumber), "The CPR number must be text, e.g. \"010170-1239\"."))?;
    let existing: Option<serde_json::Map<String, serde_json::Value>> = record_from_js(existing, argument)?;
    Ok(BatchItem { cpr, existing })
}

/// The items of `lookupMany`, read through [`read`] (the list may be a proxy, an item may
/// throw when read): each a CPR number, or `{ cpr, existing }`.
fn batch_items(items: &JsValue) -> Result<Vec<BatchItem>, CprError> {
    let unreadable_items = |_| unreadable("The list of items");
    if !read::is_array(items).map_err(unreadable_items)? {
        return Err(CprError::invalid_input(ErrorCode::InvalidItems, "lookupMany takes a list of CPR numbers or { cpr, existing } items."));
    }
    let length = read::array_length(items).map_err(unreadable_items)? as usize;
    if length > MAX_BATCH_ITEMS {
        return Err(CprError::invalid_input(ErrorCode::InvalidItems, "lookupMany takes at most 1,000,000 items per call."));
    }
    let mut batch = Vec::with_capacity(length);
    for index in 0..length {
        let read_item = || -> Result<(JsValue, JsValue), read::Unreadable> {
            let item = read::item(items, index as u32)?;
            if item.is_object() {
                Ok((read::property(&item, "cpr")?, read::property(&item, "existing")?))
            } else {
                // Text is the number itself; anything else is refused as a CPR number below.
                Ok((item, JsValue::NULL))
            }
        };
        let (cpr, existing) = read_item().map_err(|_| unreadable(&format!("Item {index}")))?;
        batch.push(batch_item(&cpr, &existing, &EXISTING_RECORD)?);
    }
    Ok(batch)
}

impl CprClient {
    /// The host of one operation, given its options object, which may declare `declared`.
    pub(super) fn host(&self, options: &JsValue, declared: &[&str]) -> Result<JsHost, JsValue> {
        check_option_keys(options, declared)?;
        let credentials = self.core.setup.relay.as_ref().map(|relay| relay.credentials);
        Ok(JsHost { fetch: self.fetch.clone(), signal: signal_of(options)?, credentials })
    }

    /// Hand a debug capture to the `onDebug` option (its errors are the host's, not the operation's).
    pub(super) fn emit_debug(core: &Client, on_debug: &Option<Function>, capture: Option<&DebugCapture>) {
        if let (Some(callback), Some(capture)) = (on_debug, capture) {
            if let Ok(value) = emit(core, capture) {
                let _ = callback.call1(&JsValue::UNDEFINED, &value);
            }
        }
    }

    pub(super) fn core(&self) -> Rc<Client> {
        Rc::clone(&self.core)
    }

    pub(super) fn on_debug(&self) -> Option<Function> {
        self.on_debug.clone()
    }

    /// Run an operation whose success is a serializable value, given its host (or the error of
    /// its options); `attach_debug` may put the operation's debug capture into that value (a
    /// lookup carries it as `debug`).
    fn run<T, F>(&self, host: Result<JsHost, JsValue>, operation: &'static str, attach_debug: fn(&mut T, Option<DebugCapture>), work: F) -> Promise
    where
        T: Serialize + 'static,
        F: for<'a> FnOnce(Rc<Client>, &'a JsHost, &'a crate::client::debug::Recorder) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, ClientError>> + 'a>>
            + 'static,
    {
        let host = match host {
            Ok(host) => host,
            Err(error) => return Promise::reject(&error),
        };
        let core = self.core();
        let on_debug = self.on_debug();
        promise(async move {
            let recorder = core.begin(&host).map_err(|e| client_error(&core, e, None))?;
            let outcome = work(Rc::clone(&core), &host, &recorder).await.map_err(|e| core.seal(e));
            let debug = capture(&recorder, &host, operation, outcome.as_ref().err());
            Self::emit_debug(&core, &on_debug, debug.as_ref());
            match outcome {
                Ok(mut value) => {
                    attach_debug(&mut value, debug);
                    emit(&core, &value)
                }
                Err(error) => Err(client_error(&core, error, debug.as_ref())),
            }
        })
    }
}

#[wasm_bindgen]
impl CprClient {
    /// Create a client: the setup, and one options object holding the host's functions
    /// (`fetch`, `onDebug`) and the client's options. Throws a `CprError` when the setup has
    /// errors; with legacy mode on or the integration disabled, operations refuse instead, with
    /// the explanation.
    #[wasm_bindgen(constructor)]
    pub fn new(
        setup: Ts<SetupInput>,
        #[wasm_bindgen(unchecked_optional_param_type = "CprClientOptions")] options: Option<JsValue>,
    ) -> Result<CprClient, JsValue> {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        let setup_json = setup_value(&setup.js_value())?;
        let fetch = function_field(&options, "options", "fetch", ErrorCode::InvalidHost)?;
        let on_debug = function_field(&options, "options", "onDebug", ErrorCode::InvalidHost)?;
        let options = read::copy_without(&options, &HOST_FUNCTIONS).map_err(|_| unreadable("options"))?;
        let options = plain(&options, &CLIENT_OPTIONS)?;
        // The one nested options object: its keys are checked as mergePerson's options are.
        if options.is_object() {
            let merge = Reflect::get(&options, &JsValue::from_str("merge")).unwrap_or(JsValue::UNDEFINED);
            check_shape(&merge, &object_shape::<MergeOptions>(), true, "merge", &CLIENT_OPTIONS)?;
        }
        let options: Option<ClientOptions> = from_plain(options, &CLIENT_OPTIONS)?;
        let core = Client::new(&setup_json, options.unwrap_or_default())?;
        if core.endpoints.auth_method == AuthMethod::Certificate && fetch.is_none() && js_sys::global().dyn_ref::<web_sys::Window>().is_some() {
            return Err(CprError::InvalidSetup {
                field: "authMethod".into(),
                code: ErrorCode::CertificateNeedsServerHost,
                message: "The Certificate method presents the client certificate in the TLS handshake (mutual TLS), which a \
                          browser page cannot do through fetch. Run the lookups in a server host (for Node: \
                          createCertificateFetch from datafordeler-cpr/node), or give options.fetch that calls your own server-side relay."
                    .into(),
            }
            .into());
        }
        Ok(CprClient { core: Rc::new(core), fetch, on_debug })
    }

    /// The URLs this client calls. In relay mode the relay resolves them from its own setup:
    /// this throws `endpoints_at_relay`; `fetchEndpoints()` asks the relay.
    #[wasm_bindgen(getter)]
    pub fn endpoints(&self) -> Result<Ts<ResolvedEndpoints>, JsValue> {
        if self.core.is_relay() {
            return Err(CprError::invalid_input(
                ErrorCode::EndpointsAtRelay,
                "This client goes through a relay, which resolves the endpoints from its own setup: use await client.fetchEndpoints().",
            )
            .into());
        }
        Ok(Ts::new_unchecked(emit(&self.core, &self.core.endpoints)?))
    }

    /// The API version that answered (with `apiVersion: "auto"`, the one negotiated), once an
    /// operation has reached the service; `undefined` before, and for a fixed `graphqlUrl` under `auto`.
    #[wasm_bindgen(getter, js_name = apiVersion)]
    pub fn api_version(&self) -> Option<String> {
        self.core.answered_api_version()
    }

    /// The URLs the lookups reach Datafordeleren at: this client's own (as `endpoints`), or in
    /// relay mode the relay's (`GET /endpoints`, asked once).
    #[wasm_bindgen(js_name = fetchEndpoints, unchecked_return_type = "Promise<ResolvedEndpoints>")]
    pub fn fetch_endpoints(&self, #[wasm_bindgen(unchecked_optional_param_type = "OperationOptions")] options: Option<JsValue>) -> Promise {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        self.run(self.host(&options, SIGNAL_ONLY), "fetchEndpoints", |_, _| {}, |core, host, recorder| {
            Box::pin(async move {
                match core.is_relay() {
                    true => core.relay_endpoints(host, recorder).await,
                    // As JSON, like the relay's: one conversion of one type for both.
                    false => serde_json::from_str(&core.emit(&core.endpoints)?.json).map_err(|_| ClientError::Invalid(CprError::invalid_input(ErrorCode::InternalError, "Could not convert the endpoints."))),
                }
            })
        })
    }

    /// Test the connection step by step; resolves to a report (failures are steps, not rejections).
    #[wasm_bindgen(js_name = testConnection, unchecked_return_type = "Promise<ConnectionReport>")]
    pub fn test_connection(&self, #[wasm_bindgen(unchecked_optional_param_type = "OperationOptions")] options: Option<JsValue>) -> Promise {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        self.run(self.host(&options, SIGNAL_ONLY), "testConnection", |_, _| {}, |core, host, recorder| {
            Box::pin(async move {
                Ok(match core.is_relay() {
                    true => core.relay_test_connection(host, recorder).await,
                    false => RelayReport::Local(core.test_connection(host, recorder).await),
                })
            })
        })
    }

    /// Look up one CPR number; with `options.existing`, also merge into that record (the change
    /// journal to review is `merge.changes`). Not found is an outcome (no `person` key, and a
    /// notification); failures reject with a `CprError` carrying its `diagnosis`.
    #[wasm_bindgen(unchecked_return_type = "Promise<LookupOutcome>")]
    pub fn lookup(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] cpr: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "LookupOptions")] options: Option<JsValue>,
    ) -> Promise {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        // The options' own errors (an unknown key, an unreadable object) come first.
        let host = match self.host(&options, &["existing", "signal"]) {
            Ok(host) => host,
            Err(error) => return Promise::reject(&error),
        };
        let item = match argument_field(&options, "options", "existing").and_then(|existing| batch_item(&cpr, &existing, &LOOKUP_EXISTING)) {
            Ok(item) => item,
            Err(error) => return Promise::reject(&error.into()),
        };
        self.run(Ok(host), "lookup", |value: &mut LookupOutcome, debug| value.debug = debug, move |core, host, recorder| {
            Box::pin(async move {
                match core.is_relay() {
                    true => core.relay_lookup(host, recorder, &item.cpr, item.existing.as_ref(), &read_relay_value).await,
                    false => core.lookup(host, recorder, &item.cpr, item.existing.as_ref()).await,
                }
            })
        })
    }

    /// Refresh many customers: bounded concurrency, progress, cancellation; one result per
    /// item in input order (`{ index, ok, value | error }`); one failure never stops the batch.
    #[wasm_bindgen(js_name = lookupMany, unchecked_return_type = "Promise<ItemResult[]>")]
    pub fn lookup_many(
        &self,
        #[wasm_bindgen(unchecked_param_type = "BatchInput[]")] items: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "BatchOptions")] options: Option<JsValue>,
    ) -> Promise {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        let prepared = (|| -> Result<(Vec<BatchItem>, usize, Option<Function>, JsHost), JsValue> {
            let batch = batch_items(&items)?;
            let concurrency = match argument_field(&options, "options", "concurrency")? {
                v if v.is_undefined() => 4,
                v => v
                    .as_f64()
                    .filter(|n| n.fract() == 0.0 && *n >= 1.0)
                    .map(|n| n.min(crate::client::lookup::MAX_CONCURRENCY as f64) as usize)
                    .ok_or_else(|| CprError::invalid_input(ErrorCode::InvalidOptions, "options.concurrency must be a whole number of at least 1."))?,
            };
            let on_progress = function_field(&options, "options", "onProgress", ErrorCode::InvalidOptions)?;
            Ok((batch, concurrency, on_progress, self.host(&options, &["concurrency", "signal", "onProgress"])?))
        })();
        let (batch, concurrency, on_progress, host) = match prepared {
            Ok(prepared) => prepared,
            Err(error) => return Promise::reject(&error),
        };
        let core = self.core();
        let on_debug = self.on_debug();
        promise(async move {
            let progress = |p: crate::client::lookup::Progress| {
                if let (Some(callback), Ok(value)) = (&on_progress, to_js(&p)) {
                    let _ = callback.call1(&JsValue::UNDEFINED, &value);
                }
            };
            let debug = |capture: &DebugCapture| Self::emit_debug(&core, &on_debug, Some(capture));
            let results = match core.is_relay() {
                true => core.relay_lookup_many(&host, &batch, concurrency, &progress, &debug, &read_relay_value).await,
                false => core.lookup_many(&host, &batch, concurrency, &progress, &debug).await,
            };
            // Item by item, each freed once converted: one JSON text for a whole batch would
            // hold every result twice at the end (thousands of records, tens of MB).
            let array = js_sys::Array::new_with_length(u32::try_from(results.len()).unwrap_or(u32::MAX));
            for (index, result) in results.into_iter().enumerate() {
                array.set(u32::try_from(index).unwrap_or(u32::MAX), emit(&core, &result)?);
            }
            Ok(array.into())
        })
    }

    /// "Fetch CPR Schema": the SDL text. Later queries follow it.
    #[wasm_bindgen(js_name = fetchSchema, unchecked_return_type = "Promise<string>")]
    pub fn fetch_schema(&self, #[wasm_bindgen(unchecked_optional_param_type = "OperationOptions")] options: Option<JsValue>) -> Promise {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        self.run(self.host(&options, SIGNAL_ONLY), "fetchSchema", |_, _| {}, |core, host, recorder| {
            Box::pin(async move {
                match core.is_relay() {
                    true => core.relay_fetch_schema(host, recorder).await,
                    false => core.fetch_schema(host, recorder).await,
                }
            })
        })
    }

    /// The drift report of the live schema against what the library selects (fetches it first if needed).
    #[wasm_bindgen(js_name = checkSchema, unchecked_return_type = "Promise<DriftReport>")]
    pub fn check_schema(&self, #[wasm_bindgen(unchecked_optional_param_type = "OperationOptions")] options: Option<JsValue>) -> Promise {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        self.run(self.host(&options, SIGNAL_ONLY), "checkSchema", |_, _| {}, |core, host, recorder| {
            Box::pin(async move {
                if core.live_dialect().is_none() {
                    match core.is_relay() {
                        true => core.relay_fetch_schema(host, recorder).await?,
                        false => core.fetch_schema(host, recorder).await?,
                    };
                }
                // A fetch that succeeds leaves a dialect; the text check covers the impossible rest.
                Ok(match core.live_dialect() {
                    Some(dialect) => crate::schema::check_dialect(&dialect),
                    None => crate::schema::check_schema("", core.endpoints.sector_type),
                })
            })
        })
    }
}
