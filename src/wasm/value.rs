//! Values across the boundary, one path each way: a caller's value comes in through
//! [`from_js`] (the engine's plain copy, then serde-wasm-bindgen into the Rust type that also
//! generates its TypeScript declaration), and results go out through [`to_js`]
//! (serde-wasm-bindgen's JSON-compatible serializer: plain objects, and an absent value is an
//! absent key, never `null`, because every optional output field skips `None`).

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::args::{object_shape, Argument, ObjectShape, LIST_FOR_OBJECT};
use crate::code::ErrorCode;
use crate::error::CprError;
use crate::json_input::{safe_message, shown_key, MAX_DEPTH, MAX_JSON_BYTES};

#[wasm_bindgen(module = "/src/wasm/error.js")]
extern "C" {
    /// A `CprError`; declared `catch` although it catches everything itself (see the file).
    #[wasm_bindgen(catch, js_name = makeError)]
    fn make_error(message: &str, code: &str, field: &JsValue, diagnosis: &JsValue, debug: &JsValue) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen(module = "/src/wasm/plain.js")]
extern "C" {
    /// `[copy]` or `[undefined, why]` (see the file); declared `catch` although it catches
    /// everything itself, so that not even an engine failure can unwind through the module.
    #[wasm_bindgen(catch, js_name = plainCopy)]
    fn plain_copy(value: &JsValue, max_values: u32, max_depth: u32, max_chars: u32) -> Result<js_sys::Array, JsValue>;
}

/// Most values (and list items) one input may hold; far above any real setup or response.
const MAX_VALUES: u32 = 2_000_000;

/// The engine's plain copy of a caller's value (see `plain.js`): fresh objects that run no
/// code when read, within the size and depth limits.
pub fn plain(value: &JsValue, argument: &Argument) -> Result<JsValue, CprError> {
    plain_or_refusal(value).map_err(|refusal| refusal.into_error(argument))
}

/// [`plain`] for a record whose type reads a fixed set of fields (a person): what it does not
/// read is never visited, so nesting there needs no limit beyond the engine's own.
pub fn plain_record(value: &JsValue, argument: &Argument) -> Result<JsValue, CprError> {
    copy_within(value, u32::MAX).map_err(|refusal| refusal.into_error(argument))
}

/// Why a value could not be copied, and the keys leading to the part at fault.
pub struct Refusal {
    pub code: ErrorCode,
    /// What is wrong, without a subject ("could not be read …").
    pub problem: String,
    pub path: Vec<String>,
}

impl Refusal {
    /// The path as a dotted field name, e.g. `endpoints.graphqlUrl` (empty for the value itself).
    pub fn field(&self) -> String {
        self.path.join(".")
    }

    pub fn into_error(self, argument: &Argument) -> CprError {
        let message = match argument.place(&self.field()).as_str() {
            "" => format!("The input {}", self.problem),
            place => format!("{place}: {}", self.problem),
        };
        CprError::invalid_input(self.code, message)
    }
}

/// [`plain`], keeping the refusal's parts (setup validation turns them into an issue).
pub fn plain_or_refusal(value: &JsValue) -> Result<JsValue, Refusal> {
    copy_within(value, MAX_DEPTH as u32)
}

fn copy_within(value: &JsValue, max_depth: u32) -> Result<JsValue, Refusal> {
    let answer = match plain_copy(value, MAX_VALUES, max_depth, MAX_JSON_BYTES as u32) {
        Ok(answer) => answer,
        Err(_) => return Err(refusal("unreadable", &js_sys::Array::new())),
    };
    match answer.get(1).as_string() {
        None => Ok(answer.get(0)),
        Some(why) => Err(refusal(&why, &answer.get(2).unchecked_into())),
    }
}

/// Most keys of a path kept in a message: the outermost ones, which name the field.
const MAX_PATH_KEYS: usize = 8;

fn refusal(why: &str, path: &js_sys::Array) -> Refusal {
    let (code, problem) = match why {
        "too_many" => (ErrorCode::InputTooLarge, "holds too many values (more than 2,000,000).".to_string()),
        "too_large" => (ErrorCode::InputTooLarge, "is larger than 8 MB as JSON.".to_string()),
        "binary_too_large" => (ErrorCode::InputTooLarge, "is binary data larger than 1 MB.".to_string()),
        "too_deep" => (ErrorCode::InputTooDeep, "is nested too deeply (more than 64 levels; real inputs have a few). Pass the data itself.".to_string()),
        "circular" => (ErrorCode::InputTooDeep, "refers to itself (an object inside itself). Pass a copy without the circular reference.".to_string()),
        why => match why.strip_prefix("unsupported_") {
            Some(kind) => (
                ErrorCode::UnsupportedValue,
                format!("holds a JavaScript {kind}, which has no JSON form. Use text, a number, true/false, a list or an object."),
            ),
            None => (ErrorCode::UnreadableInput, UNREADABLE.to_string()),
        },
    };
    let path = path
        .iter()
        .take(MAX_PATH_KEYS)
        .map(|key| shown_key(&key.as_string().unwrap_or_default()).to_string())
        .collect();
    Refusal { code, problem, path }
}

/// What is wrong with a value whose reading threw (the exception itself is not repeated: it is
/// the caller's text and may hold anything).
pub const UNREADABLE: &str =
    "could not be read: reading it threw an error (a getter, a proxy, or a toJSON method). Pass plain values.";

/// Read a caller's value into `T`: the plain copy, then `T`'s derived `Deserialize`. Errors
/// name the path of the value that is wrong (`options.merge.policies.city: …`) in serde's
/// words, with the caller's value left out (it may be a CPR number or a secret).
pub fn from_js<T: DeserializeOwned>(value: &JsValue, argument: &Argument) -> Result<T, CprError> {
    let copy = plain(value, argument)?;
    from_plain(copy, argument)
}

/// [`from_js`] for a value that is already the engine's own (a plain copy, a `JSON.parse`
/// result): fresh data, so reading it runs no caller code.
///
/// Keys the type does not declare are refused ([`check_shape`]); a value of the wrong type is
/// reported with the key it was found under (see [`key_at_fault`]).
pub fn from_plain<T: DeserializeOwned>(copy: JsValue, argument: &Argument) -> Result<T, CprError> {
    read_plain(copy, argument, true)
}

/// [`from_plain`] without the check of unknown keys: for data records (a person, a customer
/// record, a failure to diagnose, any value), which may carry more than the library reads.
pub fn record_from_plain<T: DeserializeOwned>(copy: JsValue, argument: &Argument) -> Result<T, CprError> {
    read_plain(copy, argument, false)
}

/// [`from_js`] for data records: see [`record_from_plain`].
pub fn record_from_js<T: DeserializeOwned>(value: &JsValue, argument: &Argument) -> Result<T, CprError> {
    record_from_plain(plain(value, argument)?, argument)
}

fn read_plain<T: DeserializeOwned>(copy: JsValue, argument: &Argument, strict: bool) -> Result<T, CprError> {
    check_shape(&copy, &object_shape::<T>(), strict, "", argument)?;
    match T::deserialize(serde_wasm_bindgen::Deserializer::from(copy.clone())) {
        Ok(value) => Ok(value),
        Err(error) => {
            let message = error.to_string();
            let key = key_at_fault(&copy, &message, |trial| T::deserialize(serde_wasm_bindgen::Deserializer::from(trial)).err().map(|e| e.to_string()));
            Err(argument.mistyped(key.as_deref().map(shown_key).unwrap_or_default(), &message))
        }
    }
}

/// What serde-wasm-bindgen cannot be trusted to check itself, before it reads: a list given
/// where an object is declared (it would read a struct's fields from the list, and a map's
/// entries from its items, throwing inside on other items; maps inside argument types are read
/// as JSON values first, `merge::pairs`), and, when `strict`, keys the struct does not declare
/// (it reads each declared field by name and never sees the others, so `deny_unknown_fields`
/// is kept here). `under` is the key path of a nested options object (`merge`).
pub fn check_shape(copy: &JsValue, shape: &ObjectShape, strict: bool, under: &str, argument: &Argument) -> Result<(), CprError> {
    if !shape.object || !copy.is_object() {
        return Ok(());
    }
    if js_sys::Array::is_array(copy) {
        return Err(argument.mistyped(under, LIST_FOR_OBJECT));
    }
    if !strict || shape.fields.is_empty() {
        return Ok(());
    }
    let keys = js_sys::Object::keys(copy.unchecked_ref::<js_sys::Object>());
    match keys.iter().filter_map(|key| key.as_string()).find(|key| !shape.fields.contains(&key.as_str())) {
        None => Ok(()),
        Some(key) => Err(argument.unknown_field(under, &key, shape.fields)),
    }
}

/// The top-level key whose value a failed read stumbled on: the first key whose removal
/// changes the error (read again without it). Type-independent, and run only after a failure;
/// a field's own path inside that key is not reported (`options.merge: …`).
fn key_at_fault(copy: &JsValue, message: &str, read_without: impl Fn(JsValue) -> Option<String>) -> Option<String> {
    if !copy.is_object() || js_sys::Array::is_array(copy) {
        return None;
    }
    let object: &js_sys::Object = copy.unchecked_ref();
    js_sys::Object::keys(object).iter().filter_map(|key| key.as_string()).find(|key| {
        let trial = js_sys::Object::assign(&js_sys::Object::new(), object);
        let _ = js_sys::Reflect::delete_property(&trial, &JsValue::from_str(key));
        read_without(trial.into()).as_deref() != Some(message)
    })
}

/// A plain JS value as JSON (the type-independent half of [`from_plain`]).
pub fn js_to_value(copy: JsValue) -> Result<Value, String> {
    serde_wasm_bindgen::from_value(copy).map_err(|e| e.to_string())
}

/// Serialize a result to a plain JS value: its JSON form, written as JS objects by
/// serde-wasm-bindgen's JSON-compatible serializer.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| internal(&e.to_string()))
}

/// [`to_js`] for a result whose keys may be the caller's (a customer record, a redacted value),
/// given its JSON text. serde-wasm-bindgen sets each key with an assignment, and assigning
/// `__proto__` changes the object's prototype instead of adding the key: a result whose text has
/// such a key is written by the engine's `JSON.parse` instead, which keeps it as data.
pub fn data_to_js<T: Serialize + ?Sized>(value: &T, json: &str) -> Result<JsValue, JsValue> {
    if json.contains("\"__proto__\":") {
        js_sys::JSON::parse(json)
    } else {
        to_js(value)
    }
}

/// [`data_to_js`] for a value whose JSON text is not at hand.
pub fn data_value_to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    data_to_js(value, &serde_json::to_string(value).map_err(|e| internal(&e.to_string()))?)
}

fn internal(message: &str) -> JsValue {
    js_error(ErrorCode::InternalError, &format!("Could not convert the result: {}", safe_message(message)), None)
}

/// A `CprError` (see `error.js`) with a stable `code`, and `field` when the error is about a
/// setup field.
pub fn js_error(code: ErrorCode, message: &str, field: Option<&str>) -> JsValue {
    js_error_with(code, message, field, JsValue::UNDEFINED, JsValue::UNDEFINED)
}

/// [`js_error`] with the `diagnosis` and `debug` capture of a failed call (`undefined`: none).
pub fn js_error_with(code: ErrorCode, message: &str, field: Option<&str>, diagnosis: JsValue, debug: JsValue) -> JsValue {
    let field = field.map_or(JsValue::UNDEFINED, JsValue::from_str);
    match make_error(message, code.as_str(), &field, &diagnosis, &debug) {
        Ok(error) if !error.is_undefined() => error,
        // `makeError` catches everything itself; this is the engine failing, not a caller.
        _ => js_sys::Error::new(message).into(),
    }
}

impl From<CprError> for JsValue {
    fn from(error: CprError) -> JsValue {
        js_error(error.code(), &error.to_string(), error.field())
    }
}
