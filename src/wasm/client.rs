//! `CprClient` for JavaScript: holds one core [`Client`] and turns each operation into a
//! Promise. Conversion and the host bridge only; the flow itself is the core's.

use js_sys::{Function, Promise, Reflect};
use serde::Serialize;
use std::rc::Rc;
use tsify::Ts;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;
use web_sys::AbortSignal;

use super::convert::{js_error, js_or_text_to_json, js_to_json, to_js};
use super::host::JsHost;
use crate::client::debug::DebugCapture;
use crate::client::{capture, Client, ClientError, ClientOptions};
use crate::endpoints::ResolvedEndpoints;
use crate::environment::AuthMethod;
use crate::error::CprError;
use crate::setup::SetupInput;

#[wasm_bindgen(typescript_custom_section)]
const CLIENT_TYPES: &'static str = r#"
/** What a host's fetch receives. */
export interface HostRequest {
    url: string;
    method: "GET" | "POST";
    headers: Record<string, string>;
    body?: string;
    purpose: "token" | "graphql" | "schema";
    signal: AbortSignal;
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

/** Per-call options. */
export interface OperationOptions {
    /** Cancels the operation (and its requests in flight). */
    signal?: AbortSignal;
}
"#;

/// A CPR client for one setup.
#[wasm_bindgen]
pub struct CprClient {
    core: Rc<Client>,
    fetch: Option<Function>,
    on_debug: Option<Function>,
}

fn function_field(object: &JsValue, key: &str) -> Result<Option<Function>, CprError> {
    if object.is_undefined() || object.is_null() {
        return Ok(None);
    }
    match Reflect::get(object, &JsValue::from_str(key)) {
        Ok(v) if v.is_undefined() || v.is_null() => Ok(None),
        Ok(v) => v
            .dyn_into::<Function>()
            .map(Some)
            .map_err(|_| CprError::invalid_input("invalid_host", format!("host.{key} must be a function."))),
        Err(_) => Ok(None),
    }
}

/// The `signal` of an options object, if any.
fn signal_of(options: &JsValue) -> Result<Option<AbortSignal>, CprError> {
    if options.is_undefined() || options.is_null() {
        return Ok(None);
    }
    match Reflect::get(options, &JsValue::from_str("signal")) {
        Ok(v) if v.is_undefined() || v.is_null() => Ok(None),
        Ok(v) => v
            .dyn_into::<AbortSignal>()
            .map(Some)
            .map_err(|_| CprError::invalid_input("invalid_options", "options.signal must be an AbortSignal.")),
        Err(_) => Ok(None),
    }
}

/// A failed operation as a JS Error: `code`, `message`, and the `diagnosis` and `debug` capture.
pub(super) fn client_error(error: &ClientError, debug: Option<&DebugCapture>) -> JsValue {
    let field = match error {
        ClientError::Invalid(e) => e.field(),
        ClientError::Failed(_) => None,
    };
    let js = js_error(error.code(), &error.to_string(), field);
    if let Some(diagnosis) = error.diagnosis() {
        if let Ok(value) = to_js(diagnosis) {
            let _ = Reflect::set(&js, &JsValue::from_str("diagnosis"), &value);
        }
    }
    if let Some(debug) = debug {
        if let Ok(value) = to_js(debug) {
            let _ = Reflect::set(&js, &JsValue::from_str("debug"), &value);
        }
    }
    js
}

impl CprClient {
    pub(super) fn host(&self, options: &JsValue) -> Result<JsHost, JsValue> {
        Ok(JsHost { fetch: self.fetch.clone(), signal: signal_of(options)? })
    }

    /// Hand a debug capture to `host.onDebug` (its errors are the host's, not the operation's).
    pub(super) fn emit_debug(on_debug: &Option<Function>, capture: Option<&DebugCapture>) {
        if let (Some(callback), Some(capture)) = (on_debug, capture) {
            if let Ok(value) = to_js(capture) {
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

    /// Run an operation whose success is a serializable value.
    fn run<T, F>(&self, options: &JsValue, operation: &'static str, work: F) -> Promise
    where
        T: Serialize,
        F: for<'a> FnOnce(Rc<Client>, &'a JsHost, &'a crate::client::debug::Recorder) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, ClientError>> + 'a>>
            + 'static,
    {
        let host = match self.host(options) {
            Ok(host) => host,
            Err(error) => return Promise::reject(&error),
        };
        let core = self.core();
        let on_debug = self.on_debug();
        future_to_promise(async move {
            let recorder = core.begin(&host).map_err(|e| client_error(&e, None))?;
            let outcome = work(Rc::clone(&core), &host, &recorder).await;
            let debug = capture(&recorder, &host, operation, outcome.as_ref().err());
            Self::emit_debug(&on_debug, debug.as_ref());
            match outcome {
                Ok(value) => to_js(&value),
                Err(error) => Err(client_error(&error, debug.as_ref())),
            }
        })
    }
}

#[wasm_bindgen]
impl CprClient {
    /// Create a client. Throws a `CprError` when the setup has errors; with legacy mode on or the
    /// integration disabled, operations refuse instead, with the explanation.
    #[wasm_bindgen(constructor)]
    pub fn new(
        setup: Ts<SetupInput>,
        #[wasm_bindgen(unchecked_param_type = "CprHost")] host: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Partial<ClientOptions>")] options: JsValue,
    ) -> Result<CprClient, JsValue> {
        let setup_json = js_or_text_to_json(&setup.js_value())?;
        let options = match js_to_json(&options)? {
            serde_json::Value::Null => ClientOptions::default(),
            value => serde_json::from_value::<ClientOptions>(value).map_err(|e| {
                CprError::invalid_input("invalid_options", format!("The client options are not valid: {e}."))
            })?,
        };
        let core = Client::new(&setup_json, options)?;
        let fetch = function_field(&host, "fetch")?;
        let on_debug = function_field(&host, "onDebug")?;
        if core.endpoints.auth_method == AuthMethod::Certificate && fetch.is_none() && js_sys::global().dyn_ref::<web_sys::Window>().is_some() {
            return Err(CprError::InvalidSetup {
                field: "authMethod".into(),
                code: "certificate_needs_server_host".into(),
                message: "The Certificate method presents the client certificate in the TLS handshake (mutual TLS), which a \
                          browser page cannot do through fetch. Run the lookups in a server host (for Node: \
                          createCertificateFetch), or give host.fetch that calls your own server-side relay."
                    .into(),
            }
            .into());
        }
        Ok(CprClient { core: Rc::new(core), fetch, on_debug })
    }

    /// The URLs this client calls.
    #[wasm_bindgen(getter)]
    pub fn endpoints(&self) -> Result<Ts<ResolvedEndpoints>, JsValue> {
        Ok(Ts::new_unchecked(to_js(&self.core.endpoints)?))
    }

    /// Test the connection step by step; resolves to a report (failures are steps, not rejections).
    #[wasm_bindgen(js_name = testConnection, unchecked_return_type = "Promise<ConnectionReport>")]
    pub fn test_connection(&self, #[wasm_bindgen(unchecked_param_type = "OperationOptions")] options: JsValue) -> Promise {
        self.run(&options, "testConnection", |core, host, recorder| {
            Box::pin(async move { Ok(core.test_connection(host, recorder).await) })
        })
    }

    /// "Fetch CPR Schema": the SDL text. Later queries follow it.
    #[wasm_bindgen(js_name = fetchSchema, unchecked_return_type = "Promise<string>")]
    pub fn fetch_schema(&self, #[wasm_bindgen(unchecked_param_type = "OperationOptions")] options: JsValue) -> Promise {
        self.run(&options, "fetchSchema", |core, host, recorder| Box::pin(async move { core.fetch_schema(host, recorder).await }))
    }

    /// The drift report of the live schema against what the library selects (fetches it first if needed).
    #[wasm_bindgen(js_name = checkSchema, unchecked_return_type = "Promise<DriftReport>")]
    pub fn check_schema(&self, #[wasm_bindgen(unchecked_param_type = "OperationOptions")] options: JsValue) -> Promise {
        self.run(&options, "checkSchema", |core, host, recorder| {
            Box::pin(async move {
                let sdl = match core.live_schema() {
                    Some(sdl) => sdl,
                    None => core.fetch_schema(host, recorder).await?,
                };
                Ok(crate::schema::check_schema(&sdl, core.endpoints.sector_type))
            })
        })
    }
}
