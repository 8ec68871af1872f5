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

use super::args::{path_text, Argument};
use crate::error::CprError;
use crate::json_input::{safe_message, MAX_DEPTH, MAX_JSON_BYTES};

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

/// Why a value could not be copied, and the keys leading to the part at fault.
pub struct Refusal {
    pub code: &'static str,
    /// What is wrong, without a subject ("could not be read …").
    pub problem: &'static str,
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
    let answer = match plain_copy(value, MAX_VALUES, MAX_DEPTH as u32, MAX_JSON_BYTES as u32) {
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
/// Longest key kept in a message, in characters (keys are the caller's text).
const MAX_KEY_CHARS: usize = 40;

fn refusal(why: &str, path: &js_sys::Array) -> Refusal {
    let (code, problem) = match why {
        "too_many" => ("input_too_large", "holds too many values (more than 2,000,000)."),
        "too_large" => ("input_too_large", "is larger than 8 MB as JSON."),
        "binary_too_large" => ("input_too_large", "is binary data larger than 1 MB."),
        "too_deep" => ("input_too_deep", "is nested too deeply (more than 64 levels; real inputs have a few). Pass the data itself."),
        "circular" => ("input_too_deep", "refers to itself (an object inside itself). Pass a copy without the circular reference."),
        "bigint" => ("unsupported_value", "holds a BigInt, which has no JSON form. Use text or a number."),
        _ => ("unreadable_input", UNREADABLE),
    };
    let path = path
        .iter()
        .take(MAX_PATH_KEYS)
        .map(|key| {
            let key = key.as_string().unwrap_or_default();
            match key.char_indices().nth(MAX_KEY_CHARS) {
                Some((cut, _)) => format!("{}…", key.get(..cut).unwrap_or_default()),
                None => key,
            }
        })
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
/// serde-wasm-bindgen reads the JS value into a JSON value, and `T`'s derived `Deserialize`
/// reads that: one instance of serde-wasm-bindgen's reader for every input type instead of one
/// per type (each about as large as the type's whole reader), which keeps the module within its
/// size budget (docs/PERFORMANCE.md). Reading a plain copy into a JSON value cannot fail.
pub fn from_plain<T: DeserializeOwned>(copy: JsValue, argument: &Argument) -> Result<T, CprError> {
    let value = js_to_value(copy).map_err(|e| argument.mistyped("", &e))?;
    serde_path_to_error::deserialize(&value).map_err(|e| argument.mistyped(&path_text(e.path()), &e.inner().to_string()))
}

/// A plain JS value as JSON (the type-independent half of [`from_plain`]).
pub fn js_to_value(copy: JsValue) -> Result<Value, String> {
    serde_wasm_bindgen::from_value(copy).map_err(|e| e.to_string())
}

/// Serialize a result to a plain JS value: its JSON form, written as JS objects by
/// serde-wasm-bindgen's JSON-compatible serializer.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value_to_js(serde_json::to_value(value).map_err(|e| internal(&e.to_string()))?)
}

/// A JSON value as a plain JS value (the type-independent half of [`to_js`]).
pub fn value_to_js(value: Value) -> Result<JsValue, JsValue> {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| internal(&e.to_string()))
}

fn internal(message: &str) -> JsValue {
    js_error("internal_error", &format!("Could not convert the result: {}", safe_message(message)), None)
}

/// A JS `Error` whose `name` is `CprError`, with a stable `code` (and `field` when the error is
/// about a setup field).
pub fn js_error(code: &str, message: &str, field: Option<&str>) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("CprError");
    let _ = js_sys::Reflect::set(&error, &JsValue::from_str("code"), &JsValue::from_str(code));
    if let Some(field) = field {
        let _ = js_sys::Reflect::set(&error, &JsValue::from_str("field"), &JsValue::from_str(field));
    }
    error.into()
}

impl From<CprError> for JsValue {
    fn from(error: CprError) -> JsValue {
        js_error(error.code(), &error.to_string(), error.field())
    }
}
