//! The host-fetch bridge: the core's [`Host`] trait over JavaScript. Requests go to the host's
//! `fetch(request)` when one is given, else to the platform's `globalThis.fetch` (browsers and
//! Node alike). Timeouts and the caller's cancellation both abort through one
//! AbortController per request; every timer and listener is released when the request ends,
//! so a batch of thousands of lookups leaves nothing behind.

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal};

use crate::client::{Host, HttpRequest, HttpResponse, TransportError};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// One operation's view of the host.
pub struct JsHost {
    /// The host's own `fetch(request)`, if it gave one.
    pub fetch: Option<Function>,
    /// The caller's cancellation signal for this operation.
    pub signal: Option<AbortSignal>,
}

/// A JS Error with a name, used as the abort reason so every rejection is an Error.
fn named_error(name: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name(name);
    error.into()
}

/// Everything a JS error says, joined, for the diagnosis: name, code, message and the cause's
/// code and message (Node puts ECONNREFUSED and TLS errors in `cause`).
pub fn describe_js_error(value: &JsValue) -> String {
    if let Some(text) = value.as_string() {
        return text;
    }
    let field = |target: &JsValue, key: &str| Reflect::get(target, &JsValue::from_str(key)).ok().and_then(|v| v.as_string());
    let mut parts: Vec<String> = ["name", "code", "message"].iter().filter_map(|k| field(value, k)).collect();
    if let Ok(cause) = Reflect::get(value, &JsValue::from_str("cause")) {
        if !cause.is_undefined() && !cause.is_null() {
            parts.extend(["code", "message"].iter().filter_map(|k| field(&cause, k)));
        }
    }
    if parts.is_empty() {
        "unknown transport error".to_string()
    } else {
        parts.join(": ")
    }
}

impl JsHost {
    async fn fetch_with_signal(&self, request: &HttpRequest, signal: &AbortSignal, max_bytes: usize) -> Result<HttpResponse, TransportError> {
        match &self.fetch {
            Some(fetch) => host_fetch(fetch, request, signal).await,
            // Browsers and Node alike: the platform's `fetch` (a page's is `window.fetch`).
            None => global_fetch(request, signal, max_bytes).await,
        }
    }
}

impl Host for JsHost {
    async fn send(&self, request: &HttpRequest, timeout_ms: u32, max_response_bytes: usize) -> Result<HttpResponse, TransportError> {
        if self.is_cancelled() {
            return Err(TransportError::new("AbortError: the operation was cancelled"));
        }
        let controller = AbortController::new().map_err(|e| TransportError::new(describe_js_error(&e)))?;
        let on_timeout = {
            let controller = controller.clone();
            Closure::once(move || controller.abort_with_reason(&named_error("TimeoutError", "The request timed out")))
        };
        let timer = set_timeout(on_timeout.as_ref().unchecked_ref(), i32::try_from(timeout_ms).unwrap_or(i32::MAX));
        // The caller's own reason is not passed on: fetch implementations reject with the
        // reason, and the bridge relies on that being an Error.
        let on_cancel = self.signal.as_ref().map(|signal| {
            let controller = controller.clone();
            let listener = Closure::<dyn FnMut()>::new(move || {
                controller.abort_with_reason(&named_error("AbortError", "The operation was cancelled"))
            });
            let _ = signal.add_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
            (signal.clone(), listener)
        });

        let result = self.fetch_with_signal(request, &controller.signal(), max_response_bytes).await;

        // Release whatever a failed request still holds (an unread, refused body keeps its
        // connection busy otherwise). Only then: a complete response holds nothing, and the
        // Error and abort event cost more per lookup than the rest of the bridge.
        if result.is_err() {
            controller.abort_with_reason(&named_error("AbortError", "The request is finished"));
        }
        clear_timeout(&timer);
        drop(on_timeout);
        if let Some((signal, listener)) = on_cancel {
            let _ = signal.remove_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
        }
        result
    }

    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    async fn sleep(&self, ms: u32) {
        let promise = Promise::new(&mut |resolve, _| {
            set_timeout(&resolve, i32::try_from(ms).unwrap_or(i32::MAX));
        });
        let _ = JsFuture::from(promise).await;
    }

    fn random(&self) -> f64 {
        js_sys::Math::random()
    }

    fn is_cancelled(&self) -> bool {
        self.signal.as_ref().is_some_and(AbortSignal::aborted)
    }
}

fn set(target: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// The request object a host's `fetch` receives.
fn request_object(request: &HttpRequest, signal: &AbortSignal) -> Object {
    let headers = Object::new();
    for (name, value) in &request.headers {
        set(&headers, name, &JsValue::from_str(value));
    }
    let object = Object::new();
    set(&object, "url", &JsValue::from_str(&request.url));
    set(&object, "method", &JsValue::from_str(request.method));
    set(&object, "headers", &headers);
    set(&object, "body", &request.body.as_deref().map(JsValue::from_str).unwrap_or(JsValue::UNDEFINED));
    set(&object, "purpose", &JsValue::from_str(purpose_key(request)));
    set(&object, "signal", signal);
    object
}

fn purpose_key(request: &HttpRequest) -> &'static str {
    match request.purpose {
        crate::client::Purpose::Token => "token",
        crate::client::Purpose::Graphql => "graphql",
        crate::client::Purpose::Schema => "schema",
    }
}

/// Call the host's `fetch(request)` and read its `{ status, headers, body }` (or a Response).
async fn host_fetch(fetch: &Function, request: &HttpRequest, signal: &AbortSignal) -> Result<HttpResponse, TransportError> {
    let returned = fetch
        .call1(&JsValue::UNDEFINED, &request_object(request, signal))
        .map_err(|e| TransportError::new(describe_js_error(&e)))?;
    let value = JsFuture::from(Promise::resolve(&returned)).await.map_err(|e| TransportError::new(describe_js_error(&e)))?;
    // A host may hand back the platform's Response as it is.
    if value.is_instance_of::<web_sys::Response>() {
        return read_response(value.unchecked_into(), usize::MAX).await;
    }
    let invalid = |what: &str| TransportError::new(format!("host.fetch returned an invalid response: {what}"));
    if !value.is_object() {
        return Err(invalid("expected an object { status, headers, body }"));
    }
    let status = Reflect::get(&value, &JsValue::from_str("status"))
        .ok()
        .and_then(|s| s.as_f64())
        .filter(|s| s.fract() == 0.0 && (100.0..=599.0).contains(s))
        .ok_or_else(|| invalid("status must be an HTTP status number"))? as u16;
    let body = match Reflect::get(&value, &JsValue::from_str("body")) {
        Ok(b) if b.is_undefined() || b.is_null() => String::new(),
        Ok(b) => b.as_string().ok_or_else(|| invalid("body must be text"))?,
        Err(_) => String::new(),
    };
    let headers = Reflect::get(&value, &JsValue::from_str("headers")).map(|h| header_pairs(&h)).unwrap_or_default();
    Ok(HttpResponse { status, headers, body })
}

/// Headers from a plain object, an array of pairs, or a `Headers` instance.
fn header_pairs(headers: &JsValue) -> Vec<(String, String)> {
    if headers.is_undefined() || headers.is_null() {
        return Vec::new();
    }
    // `Headers` and arrays iterate as [name, value] pairs; a plain object's entries do too.
    let entries: Vec<JsValue> = match js_sys::try_iter(headers) {
        Ok(Some(iter)) => iter.flatten().take(1000).collect(),
        _ => match headers.dyn_ref::<Object>() {
            Some(object) => Object::entries(object).iter().take(1000).collect(),
            None => Vec::new(),
        },
    };
    entries
        .iter()
        .filter_map(|entry| {
            let name = Reflect::get(entry, &JsValue::from_f64(0.0)).ok()?.as_string()?;
            let value = Reflect::get(entry, &JsValue::from_f64(1.0)).ok()?.as_string()?;
            Some((name, value))
        })
        .collect()
}

async fn read_response(response: web_sys::Response, max_bytes: usize) -> Result<HttpResponse, TransportError> {
    let headers = header_pairs(&response.headers().into());
    let declared = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > max_bytes) {
        return Err(TransportError::new("response too large: its Content-Length exceeds the limit"));
    }
    let text_promise = response.text().map_err(|e| TransportError::new(describe_js_error(&e)))?;
    let text = JsFuture::from(text_promise).await.map_err(|e| TransportError::new(describe_js_error(&e)))?;
    let body = text.as_string().unwrap_or_default();
    if body.len() > max_bytes {
        return Err(TransportError::new("response too large: the body exceeds the limit"));
    }
    Ok(HttpResponse { status: response.status(), headers, body })
}

/// `globalThis.fetch`: the page's in browsers, Node's own (undici) in Node.
async fn global_fetch(request: &HttpRequest, signal: &AbortSignal, max_bytes: usize) -> Result<HttpResponse, TransportError> {
    let fetch = Reflect::get(&js_sys::global(), &JsValue::from_str("fetch"))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or_else(|| TransportError::new("this JavaScript runtime has no fetch: pass host.fetch to CprClient"))?;
    let init = Object::new();
    let headers = Object::new();
    for (name, value) in &request.headers {
        set(&headers, name, &JsValue::from_str(value));
    }
    set(&init, "method", &JsValue::from_str(request.method));
    set(&init, "headers", &headers);
    if let Some(body) = &request.body {
        set(&init, "body", &JsValue::from_str(body));
    }
    set(&init, "signal", signal);
    let promise = fetch
        .call2(&JsValue::UNDEFINED, &JsValue::from_str(&request.url), &init)
        .map_err(|e| TransportError::new(describe_js_error(&e)))?;
    let response = JsFuture::from(Promise::resolve(&promise)).await.map_err(|e| TransportError::new(describe_js_error(&e)))?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| TransportError::new("fetch did not return a Response"))?;
    read_response(response, max_bytes).await
}
