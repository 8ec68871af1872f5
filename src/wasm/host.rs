//! The host-fetch bridge: the core's [`Host`] trait over JavaScript. Requests go to the host's
//! `fetch(request)` when one is given, else to the platform's `globalThis.fetch` (browsers, Web
//! Workers and Node alike) as a gloo-net request, whose answer is read as a gloo-net response.
//!
//! gloo-net's own `send` is never used: it calls the global `fetch` without catching and panics
//! when that returns anything but a `Response` (a test double a user installed, say), and a
//! panic is a trap here. The bridge makes that one call itself, caught and raced against the
//! deadline like a host's, and hands gloo-net only a genuine `Response`; anything else is
//! refused as a failed request. Methods are gloo-net's typed `Method` values, never parsed.
//!
//! Every request is bounded whatever the host does: its own AbortController tells the fetch to
//! stop, and its deadline ends the wait even when the host ignores that signal (a timer for
//! `timeoutMs`, the caller's cancellation). Every wait of a request (the host's promise and each
//! body read) races the deadline. Bodies are read chunk by chunk and refused as soon as they pass
//! the size cap. Every timer and listener is released when the request ends, so a batch of
//! thousands of lookups leaves nothing behind.

use gloo_net::http::{Method, RequestBuilder};
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal};

use crate::client::{Host, HttpRequest, HttpResponse, TransportError};
use crate::setup::RelayCredentials;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);

    /// `Object.entries`, which throws for `undefined`, `null` and some proxies.
    #[wasm_bindgen(js_namespace = Object, js_name = entries, catch)]
    fn object_entries(object: &JsValue) -> Result<Array, JsValue>;
    /// `Array.isArray`, which throws for a revoked proxy.
    #[wasm_bindgen(js_namespace = Array, js_name = isArray, catch)]
    fn is_array(value: &JsValue) -> Result<bool, JsValue>;

    /// A response body (`ReadableStream`); only its reader is used.
    type BodyStream;
    /// Throws when the stream is locked (a host that read the body already).
    #[wasm_bindgen(method, catch, js_name = getReader)]
    fn get_reader(stream: &BodyStream) -> Result<BodyReader, JsValue>;

    /// A `ReadableStreamDefaultReader`.
    type BodyReader;
    #[wasm_bindgen(method, catch)]
    fn read(reader: &BodyReader) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn cancel(reader: &BodyReader) -> Result<JsValue, JsValue>;
}

/// One operation's view of the host.
pub struct JsHost {
    /// The host's own `fetch(request)`, if it gave one.
    pub fetch: Option<Function>,
    /// The caller's cancellation signal for this operation.
    pub signal: Option<AbortSignal>,
    /// The fetch credentials mode of a relay-mode client's requests (`setup.relay.credentials`).
    pub credentials: Option<RelayCredentials>,
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

fn js_failure(error: JsValue) -> TransportError {
    TransportError::new(describe_js_error(&error))
}

/// The texts [`crate::diagnosis::diagnose`] reads as `response_too_large`.
const TOO_LARGE_DECLARED: &str = "response too large: its Content-Length exceeds the limit";
const TOO_LARGE_BODY: &str = "response too large: the body exceeds the limit";

/// Ends one request early: aborts its controller (a fetch that listens stops) and rejects its
/// deadline (every wait of the request ends, whether the fetch listened or not).
#[derive(Clone)]
struct Stopper {
    controller: AbortController,
    reject_deadline: Function,
}

impl Stopper {
    fn stop(&self, reason: &JsValue) {
        self.controller.abort_with_reason(reason);
        let _ = self.reject_deadline.call1(&JsValue::UNDEFINED, reason);
    }
}

/// One request in flight: its stopper, its deadline and what must be released when it ends
/// (the timer, and its place among the requests watching the caller's signal).
struct InFlight {
    stopper: Stopper,
    /// Rejects (with the reason) when the request must end: on timeout or cancellation.
    deadline: Promise,
    timer: JsValue,
    _on_timeout: Closure<dyn FnMut()>,
    watch: Option<(AbortSignal, u32)>,
}

impl InFlight {
    fn start(timeout_ms: u32, caller: Option<&AbortSignal>) -> Result<InFlight, TransportError> {
        let controller = AbortController::new().map_err(js_failure)?;
        let mut reject = None;
        let deadline = Promise::new(&mut |_, rejecter| reject = Some(rejecter));
        let reject_deadline = reject.ok_or_else(|| TransportError::new("a promise gave no reject function"))?;
        // Marks the deadline's rejection as handled: it may reject before anything waits on it.
        let _ = Promise::all_settled(&Array::of1(&deadline));
        let stopper = Stopper { controller, reject_deadline };
        let on_timeout = {
            let stopper = stopper.clone();
            Closure::once(move || stopper.stop(&named_error("TimeoutError", "The request timed out")))
        };
        let timer = set_timeout(on_timeout.as_ref().unchecked_ref(), i32::try_from(timeout_ms).unwrap_or(i32::MAX));
        let watch = caller.and_then(|signal| Some((signal.clone(), caller_signals::watch(signal, stopper.clone())?)));
        Ok(InFlight { stopper, deadline, timer, _on_timeout: on_timeout, watch })
    }

    fn signal(&self) -> AbortSignal {
        self.stopper.controller.signal()
    }

    /// `promise` (or a value), unless the deadline comes first: then the deadline's reason.
    fn wait(&self, promise: &JsValue) -> JsFuture {
        JsFuture::from(Promise::race(&Array::of2(promise, &self.deadline)))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        clear_timeout(&self.timer);
        if let Some((signal, ticket)) = self.watch.take() {
            caller_signals::unwatch(&signal, ticket);
        }
    }
}

/// The caller's signals that requests in flight watch. One `abort` listener per signal however
/// many requests share it (Node warns past ten listeners on one signal, and a batch runs up to
/// 64 requests at once): the same function for every signal, which stops every request
/// registered under the signal that fired, and is removed from a signal with the last of its
/// requests. The registry is never borrowed while JS code runs.
mod caller_signals {
    use js_sys::{Function, Reflect};
    use std::cell::RefCell;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::AbortSignal;

    use super::{named_error, Stopper};

    struct Registry {
        next_ticket: u32,
        /// The requests in flight: the signal each watches, its ticket, its stopper.
        requests: Vec<(AbortSignal, u32, Stopper)>,
        /// The one listener, made on first use and kept for the module's lifetime.
        listener: Option<Function>,
    }

    thread_local! {
        static REGISTRY: RefCell<Registry> = const { RefCell::new(Registry { next_ticket: 0, requests: Vec::new(), listener: None }) };
    }

    /// Run `change` on the registry; nothing happens if it is unavailable (it never is: no JS
    /// code runs while it is borrowed).
    fn with_registry<T>(change: impl FnOnce(&mut Registry) -> T) -> Option<T> {
        REGISTRY.try_with(|registry| registry.try_borrow_mut().ok().map(|mut registry| change(&mut registry))).ok().flatten()
    }

    /// Stop `stopper` when `signal` aborts. Returns the ticket that [`unwatch`] takes.
    pub(super) fn watch(signal: &AbortSignal, stopper: Stopper) -> Option<u32> {
        let (ticket, listener) = with_registry(|registry| {
            let ticket = registry.next_ticket;
            registry.next_ticket = ticket.wrapping_add(1);
            registry.requests.push((signal.clone(), ticket, stopper));
            let listener = registry.listener.get_or_insert_with(|| Closure::<dyn FnMut(JsValue)>::new(stop_all).into_js_value().unchecked_into());
            (ticket, listener.clone())
        })?;
        // Adding the same listener again does nothing: one per signal.
        let _ = signal.add_event_listener_with_callback("abort", &listener);
        Some(ticket)
    }

    /// The request with `ticket` has ended; the last one under a signal removes the listener.
    pub(super) fn unwatch(signal: &AbortSignal, ticket: u32) {
        let unused = with_registry(|registry| {
            registry.requests.retain(|(_, t, _)| *t != ticket);
            let in_use = registry.requests.iter().any(|(s, _, _)| s == signal);
            registry.listener.clone().filter(|_| !in_use)
        });
        if let Some(listener) = unused.flatten() {
            let _ = signal.remove_event_listener_with_callback("abort", &listener);
        }
    }

    /// A caller's signal aborted: stop every request watching it. The caller's own reason is not
    /// passed on: fetch implementations reject with the reason, and the bridge relies on that
    /// being an Error it can describe.
    fn stop_all(event: JsValue) {
        let Ok(signal) = Reflect::get(&event, &JsValue::from_str("target")) else { return };
        let stoppers: Vec<Stopper> = with_registry(|registry| {
            registry.requests.iter().filter(|(s, _, _)| AsRef::<JsValue>::as_ref(s) == &signal).map(|(_, _, stopper)| stopper.clone()).collect()
        })
        .unwrap_or_default();
        let reason = named_error("AbortError", "The operation was cancelled");
        for stopper in &stoppers {
            stopper.stop(&reason);
        }
    }
}

impl JsHost {
    /// Hand the request to the host's `fetch` or the platform's: what it returns (a promise,
    /// or a value from a host).
    fn start_fetch(&self, request: &HttpRequest, signal: &AbortSignal) -> Result<JsValue, TransportError> {
        let started = match &self.fetch {
            Some(fetch) => fetch.call1(&JsValue::UNDEFINED, &request_object(request, signal, self.credentials)),
            // Browsers, workers and Node alike: `globalThis.fetch(request)`, as gloo-net sends
            // it, but caught (a page's is `window.fetch`, a worker's its global scope's).
            None => global_fetch()?.call1(&JsValue::UNDEFINED, platform_request(request, signal, self.credentials)?.as_ref()),
        };
        started.map_err(js_failure)
    }

    /// One exchange: the answer's head, then its body as far as the cap allows. Every wait
    /// races the deadline.
    async fn exchange(&self, request: &HttpRequest, flight: &InFlight, max_bytes: usize) -> Result<HttpResponse, TransportError> {
        let started = self.start_fetch(request, &flight.signal())?;
        let answer = flight.wait(&started).await.map_err(js_failure)?;
        let (mut response, stream) = match self.fetch {
            Some(_) => read_head(&answer, answer.is_instance_of::<web_sys::Response>(), max_bytes)?,
            None => read_platform_head(answer, max_bytes)?,
        };
        if let Some((stream, expected)) = stream {
            response.body = read_stream(&stream, flight, max_bytes, expected).await?;
        }
        Ok(response)
    }
}

impl Host for JsHost {
    async fn send(&self, request: &HttpRequest, timeout_ms: u32, max_response_bytes: usize) -> Result<HttpResponse, TransportError> {
        if self.is_cancelled() {
            return Err(TransportError::new("AbortError: the operation was cancelled"));
        }
        let flight = InFlight::start(timeout_ms, self.signal.as_ref())?;
        let result = self.exchange(request, &flight, max_response_bytes).await;
        // Release whatever a failed request still holds (an unread, refused body keeps its
        // connection busy otherwise). Only then: a complete response holds nothing, and the
        // Error and abort event cost more per lookup than the rest of the bridge.
        if result.is_err() {
            flight.stopper.controller.abort_with_reason(&named_error("AbortError", "The request is finished"));
        }
        // Dropping `flight` clears its timer and its watch on the caller's signal.
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

    /// Read through `Reflect` (which catches): in Node a Proxy around a real signal passes the
    /// signal check, and its `aborted` getter may throw later. A signal that cannot be read
    /// counts as aborted: the operation ends with `cancelled` instead of an escaped exception.
    fn is_cancelled(&self) -> bool {
        self.signal.as_ref().is_some_and(|signal| {
            Reflect::get(signal, &JsValue::from_str("aborted")).map_or(true, |aborted| aborted.as_bool().unwrap_or(true))
        })
    }
}

fn set(target: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// The request object a host's `fetch` receives.
fn request_object(request: &HttpRequest, signal: &AbortSignal, credentials: Option<RelayCredentials>) -> Object {
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
    if let Some(credentials) = credentials {
        set(&object, "credentials", &JsValue::from_str(credentials.as_str()));
    }
    object
}

fn purpose_key(request: &HttpRequest) -> &'static str {
    match request.purpose {
        crate::client::Purpose::Token => "token",
        crate::client::Purpose::Graphql => "graphql",
        crate::client::Purpose::Schema => "schema",
        crate::client::Purpose::Relay => "relay",
    }
}

/// `globalThis.fetch`: the page's in browsers, Node's own (undici) in Node.
fn global_fetch() -> Result<Function, TransportError> {
    Reflect::get(&js_sys::global(), &JsValue::from_str("fetch"))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or_else(|| TransportError::new("this JavaScript runtime has no fetch: pass a fetch function in the CprClient options"))
}

/// The request for the platform's `fetch`, built by gloo-net. Its headers are set here, where a
/// value the platform refuses is an error (gloo-net's own `header` would throw past the bridge);
/// the error does not repeat the platform's message, which may quote the value (a token).
fn platform_request(request: &HttpRequest, signal: &AbortSignal, credentials: Option<RelayCredentials>) -> Result<web_sys::Request, TransportError> {
    let method = match request.method {
        "GET" => Method::GET,
        "POST" => Method::POST,
        _ => return Err(TransportError::new("unsupported request method")),
    };
    let headers = web_sys::Headers::new().map_err(js_failure)?;
    for (name, value) in &request.headers {
        headers.append(name, value).map_err(|_| TransportError::new("the platform refused a request header value"))?;
    }
    let mut builder = RequestBuilder::new(&request.url)
        .method(method)
        .headers(gloo_net::http::Headers::from_raw(headers))
        .abort_signal(Some(signal));
    if let Some(credentials) = credentials {
        builder = builder.credentials(match credentials {
            RelayCredentials::Omit => web_sys::RequestCredentials::Omit,
            RelayCredentials::SameOrigin => web_sys::RequestCredentials::SameOrigin,
            RelayCredentials::Include => web_sys::RequestCredentials::Include,
        });
    }
    let built = match &request.body {
        Some(body) => builder.body(JsValue::from_str(body)),
        None => builder.build(),
    };
    built.map(web_sys::Request::from).map_err(|error| TransportError::new(error.to_string()))
}

/// Status, headers and body of what the platform's `fetch` answered, read through gloo-net. Only
/// a genuine `Response` goes to gloo-net (its readers do not catch): an instance whose `status`,
/// `headers` and `body` read through `Reflect` (which catches; a `Response.prototype` look-alike
/// throws there), as a number, a `Headers` and a stream or null. Anything else, from a `fetch`
/// some code replaced, is a failed request. A Content-Length over the cap is refused here; the
/// body is left to read.
fn read_platform_head(answer: JsValue, max_bytes: usize) -> Result<(HttpResponse, BodyToRead), TransportError> {
    let field = |key: &str| Reflect::get(&answer, &JsValue::from_str(key));
    let genuine = answer.is_instance_of::<web_sys::Response>()
        && field("status").is_ok_and(|status| status.as_f64().is_some())
        && field("headers").is_ok_and(|headers| headers.is_instance_of::<web_sys::Headers>())
        && field("body").is_ok_and(|body| body.is_null() || body.is_instance_of::<web_sys::ReadableStream>());
    if !genuine {
        return Err(TransportError::new("fetch did not return a Response"));
    }
    let answer = gloo_net::http::Response::from(answer.unchecked_into::<web_sys::Response>());
    let headers: Vec<(String, String)> = answer.headers().entries().take(1000).collect();
    let response = HttpResponse { status: answer.status(), headers, body: String::new() };
    let declared = response.header("content-length").and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > max_bytes) {
        return Err(TransportError::new(TOO_LARGE_DECLARED));
    }
    let stream = answer.body().map(|body| (body.unchecked_into::<BodyStream>(), declared.unwrap_or(0)));
    Ok((response, stream))
}

/// A Response's body stream still to read, and the length it declared (0 when none).
type BodyToRead = Option<(BodyStream, usize)>;

fn invalid(what: &str) -> TransportError {
    TransportError::new(format!("the fetch option returned an invalid response: {what}"))
}

/// Status, headers and body of a platform Response or a host's `{ status, headers, body }`: a
/// Response's body is left to read (the response's `body` is empty until then).
/// Every field is read through `Reflect`, so an object that only claims to be a Response cannot
/// throw past the bridge. A Response whose Content-Length is over the cap is refused here.
fn read_head(answer: &JsValue, is_response: bool, max_bytes: usize) -> Result<(HttpResponse, BodyToRead), TransportError> {
    if !answer.is_object() {
        return Err(invalid("expected an object { status, headers, body }"));
    }
    let field = |key: &str| Reflect::get(answer, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
    let status = field("status")
        .as_f64()
        .filter(|s| s.fract() == 0.0 && (100.0..=599.0).contains(s))
        .ok_or_else(|| invalid("status must be an HTTP status number"))? as u16;
    let headers = header_pairs(&field("headers"));
    let body = field("body");
    let mut response = HttpResponse { status, headers, body: String::new() };
    // Also a Response without a body (`new Response(null)`, a 204): an empty one.
    if body.is_undefined() || body.is_null() {
        return Ok((response, None));
    }
    if is_response {
        let declared = response.header("content-length").and_then(|v| v.trim().parse::<usize>().ok());
        if declared.is_some_and(|n| n > max_bytes) {
            return Err(TransportError::new(TOO_LARGE_DECLARED));
        }
        return Ok((response, Some((body.unchecked_into(), declared.unwrap_or(0)))));
    }
    // A host's text: already whole in the host's memory; the core refuses it over the cap.
    response.body = body.as_string().ok_or_else(|| invalid("body must be text"))?;
    Ok((response, None))
}

/// Headers from a plain object, an array of pairs, or a `Headers` instance (at most 1000).
fn header_pairs(headers: &JsValue) -> Vec<(String, String)> {
    // Arrays of [name, value] pairs and `Headers` become a plain object first (nothing else is
    // iterated, so an endless iterable from a host cannot hold the bridge); a plain object's
    // entries are such pairs, read from a fresh array that cannot throw.
    let listed = is_array(headers).unwrap_or(false) || headers.is_instance_of::<web_sys::Headers>();
    let object = if listed { Object::from_entries(headers) } else { Ok(headers.clone().unchecked_into()) };
    let pairs: Array = object.and_then(|object| object_entries(&object)).unwrap_or_default();
    pairs
        .iter()
        .take(1000)
        .filter_map(|entry| {
            let name = Reflect::get(&entry, &JsValue::from_f64(0.0)).ok()?.as_string()?;
            let value = Reflect::get(&entry, &JsValue::from_f64(1.0)).ok()?.as_string()?;
            Some((name, value))
        })
        .collect()
}

/// Empty chunks a body may send. Reads that settle at once run back to back as microtasks, which
/// no timer interrupts: without this bound, a host's stream of empty chunks would never end.
const MAX_EMPTY_CHUNKS: u32 = 1000;

/// Read a body stream chunk by chunk, refused as soon as it passes `max_bytes` (before the
/// chunk that would pass it is copied). On any failure (too large, timeout, cancellation, a
/// broken stream) the stream is cancelled, so its source stops producing and a connection is
/// let go.
async fn read_stream(stream: &BodyStream, flight: &InFlight, max_bytes: usize, expected: usize) -> Result<String, TransportError> {
    let reader = stream.get_reader().map_err(js_failure)?;
    let mut bytes: Vec<u8> = Vec::with_capacity(expected.min(max_bytes));
    let mut empty_chunks = 0;
    let failure = loop {
        let next = match reader.read() {
            Ok(read) => flight.wait(&read).await,
            Err(error) => Err(error),
        };
        let next = match next {
            Ok(next) => next,
            Err(error) => break js_failure(error),
        };
        if Reflect::get(&next, &JsValue::from_str("done")).ok().and_then(|done| done.as_bool()) == Some(true) {
            return Ok(decode_lossy(&bytes));
        }
        let Some(chunk) = Reflect::get(&next, &JsValue::from_str("value")).ok().and_then(|v| v.dyn_into::<Uint8Array>().ok()) else {
            break TransportError::new("the response body is not a byte stream");
        };
        if chunk.length() == 0 {
            empty_chunks += 1;
            if empty_chunks > MAX_EMPTY_CHUNKS {
                break TransportError::new("the response body sends too many empty chunks");
            }
        }
        if bytes.len().saturating_add(chunk.length() as usize) > max_bytes {
            break TransportError::new(TOO_LARGE_BODY);
        }
        bytes.append(&mut chunk.to_vec());
    };
    if let Ok(cancelled) = reader.cancel() {
        // Not waited for (a source may never confirm); marked handled, as it rejects when the
        // stream has failed already.
        let _ = Promise::all_settled(&Array::of1(&cancelled));
    }
    Err(failure)
}

/// The body as text: UTF-8, each invalid sequence replaced by U+FFFD, as `Response.text()` does.
fn decode_lossy(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                text.push_str(valid);
                return text;
            }
            Err(error) => {
                let valid = rest.get(..error.valid_up_to()).and_then(|v| std::str::from_utf8(v).ok()).unwrap_or_default();
                text.push_str(valid);
                text.push(char::REPLACEMENT_CHARACTER);
                // No length: the text ends inside a sequence.
                let skip = error.error_len().map_or(rest.len(), |n| error.valid_up_to().saturating_add(n));
                rest = rest.get(skip..).unwrap_or_default();
            }
        }
    }
}
