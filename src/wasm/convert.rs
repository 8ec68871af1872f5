//! Value conversion at the boundary.
//!
//! A caller's value is walked with the operations of [`super::read`], none of which can throw
//! into the caller: what a getter or a proxy throws becomes `unreadable_input` with the path of
//! the value that could not be read. The walk is bounded by depth (which also bounds the stack
//! and the cycle check) and by the number of values.

use js_sys::Reflect;
use serde::Serialize;
use serde_json::{Map, Number, Value};
use wasm_bindgen::JsValue;

use super::read::{self, Unreadable};
use crate::error::CprError;
use crate::json_input::{parse_json_text, MAX_DEPTH};

/// Most values (and keys) a single input may hold; far above any real setup or response.
const MAX_NODES: usize = 2_000_000;
/// Largest binary value converted (a PFX file is a few KB).
const MAX_BYTES: usize = 1024 * 1024;
/// Most keys of the path kept in an error: the outermost ones, which name the field.
const MAX_PATH_KEYS: usize = 8;
/// Longest key kept in an error's path, in bytes (keys are the caller's text).
const MAX_KEY_BYTES: usize = 40;

/// What is wrong with a value whose reading threw (the exception itself is not repeated: it is
/// the caller's text and may hold anything).
pub const UNREADABLE: &str = "could not be read: reading it threw an error (a getter, a proxy, or not an object). Pass plain values.";

/// Why a JS value could not become JSON, and where in it.
#[derive(Debug)]
pub struct ConvertError {
    pub code: &'static str,
    /// What is wrong, without a subject ("could not be read …"): the field or "The input" goes first.
    pub message: String,
    /// Keys from the outermost value inwards, e.g. `["endpoints", "graphqlUrl"]`.
    pub path: Vec<String>,
}

impl ConvertError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        ConvertError { code, message: message.into(), path: Vec::new() }
    }

    fn unreadable() -> Self {
        ConvertError::new("unreadable_input", UNREADABLE)
    }

    /// The dotted path, e.g. `endpoints.graphqlUrl` (empty for the value itself).
    pub fn field(&self) -> String {
        self.path.join(".")
    }

    /// The same error, for a value found under `key` of an argument (`existing`, `options`).
    pub fn within(self, key: &str) -> Self {
        at(self, key.to_string())
    }

    /// The message as a sentence: `field: …`, or `The input …` for the value itself.
    pub fn sentence(&self) -> String {
        match self.field().as_str() {
            "" => format!("The input {}", self.message),
            field => format!("{field}: {}", self.message),
        }
    }
}

impl From<Unreadable> for ConvertError {
    fn from(_: Unreadable) -> Self {
        ConvertError::unreadable()
    }
}

impl From<ConvertError> for CprError {
    fn from(e: ConvertError) -> CprError {
        CprError::invalid_input(e.code, e.sentence())
    }
}

/// Convert any JS value into JSON.
pub fn js_to_json(value: &JsValue) -> Result<Value, ConvertError> {
    let mut budget = MAX_NODES;
    walk(value, None, 0, &mut budget)
}

/// Like [`js_to_json`], but a JS string is read as JSON text (for inputs that may be either).
pub fn js_or_text_to_json(value: &JsValue) -> Result<Value, ConvertError> {
    match value.as_string() {
        Some(text) => parse_json_text(&text).map_err(|e| ConvertError::new(e.code(), format!("cannot be used: {e}."))),
        None => js_to_json(value),
    }
}

/// The objects on the path from the outermost value to the one being converted: a list on the
/// stack, so visiting a value costs no allocation.
struct Ancestors<'a> {
    value: &'a JsValue,
    parent: Option<&'a Ancestors<'a>>,
}

fn walk(value: &JsValue, parent: Option<&Ancestors>, depth: usize, budget: &mut usize) -> Result<Value, ConvertError> {
    if depth > MAX_DEPTH {
        return Err(too_deep(value, parent));
    }
    spend(budget, 1)?;
    if value.is_null() || value.is_undefined() {
        return Ok(Value::Null);
    }
    if let Some(b) = value.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(n) = value.as_f64() {
        return Ok(number(n));
    }
    if let Some(s) = value.as_string() {
        return Ok(Value::String(s));
    }
    if !value.is_object() {
        // A bigint, a symbol or a function (`typeof` reads no property, so it cannot throw).
        let kind = value.js_typeof().as_string().unwrap_or_default();
        return Err(ConvertError::new(
            "unsupported_value",
            format!("holds a JavaScript {kind}, which has no JSON form. Use text, a number, true/false, a list or an object."),
        ));
    }
    let here = Ancestors { value, parent };
    if read::is_array(value)? {
        return walk_array(value, &here, depth, budget);
    }
    if let Some(binary) = read::binary(value) {
        if binary.len > MAX_BYTES {
            return Err(ConvertError::new("input_too_large", "is binary data larger than 1 MB."));
        }
        if binary.of_bytes {
            return binary_to_json(&binary, budget);
        }
        // Typed arrays of wider numbers are read like any object (`{"0": 1.5}`), now that their
        // size is known to be bounded.
    }
    walk_object(value, &here, depth, budget)
}

fn walk_array(array: &JsValue, here: &Ancestors, depth: usize, budget: &mut usize) -> Result<Value, ConvertError> {
    let length = read::array_length(array)? as usize;
    // Checked before reading: a sparse list may claim billions of items it does not hold.
    if length > *budget {
        return Err(too_many());
    }
    let mut items = Vec::with_capacity(length.min(1024));
    for index in 0..length {
        let converted = match read::item(array, index as u32) {
            Ok(item) => walk(&item, Some(here), depth + 1, budget),
            Err(e) => Err(e.into()),
        };
        match converted {
            Ok(converted) => items.push(converted),
            Err(e) => return Err(at(e, index.to_string())),
        }
    }
    Ok(Value::Array(items))
}

fn walk_object(object: &JsValue, here: &Ancestors, depth: usize, budget: &mut usize) -> Result<Value, ConvertError> {
    let keys = Reflect::own_keys(object).map_err(|_| ConvertError::unreadable())?;
    // Every key counts, also those skipped below: a huge object must end the walk, not loop
    // over millions of keys with `undefined` values.
    spend(budget, keys.length() as usize)?;
    let mut map = Map::new();
    // `keys` is the engine's fresh array, not the caller's: reading it cannot throw.
    for key in keys.iter() {
        let Some(name) = key.as_string() else { continue };
        let converted = match Reflect::get(object, &key) {
            Ok(item) if item.is_undefined() => continue,
            Ok(item) => walk(&item, Some(here), depth + 1, budget),
            Err(_) => Err(ConvertError::unreadable()),
        };
        match converted {
            Ok(converted) => map.insert(name, converted),
            Err(e) => return Err(at(e, name)),
        };
    }
    Ok(Value::Object(map))
}

/// The error for a value nested deeper than the limit: a cycle if one object appears twice on
/// the path (`===`), otherwise real depth. Checked only here, once, over at most
/// `MAX_DEPTH + 1` values: a cycle always ends at the depth limit.
fn too_deep(value: &JsValue, parent: Option<&Ancestors>) -> ConvertError {
    let mut cyclic = false;
    let mut outer = Some(&Ancestors { value, parent });
    while let Some(a) = outer {
        let mut inner = a.parent;
        while let Some(b) = inner {
            cyclic |= a.value == b.value;
            inner = b.parent;
        }
        outer = a.parent;
    }
    let message = if cyclic {
        "refers to itself (an object inside itself). Pass a copy without the circular reference."
    } else {
        "is nested too deeply (more than 64 levels; real inputs have a few). Pass the data itself."
    };
    ConvertError::new("input_too_deep", message)
}

fn spend(budget: &mut usize, cost: usize) -> Result<(), ConvertError> {
    *budget = budget.checked_sub(cost).ok_or_else(too_many)?;
    Ok(())
}

fn too_many() -> ConvertError {
    ConvertError::new("input_too_large", "holds too many values (more than 2,000,000).")
}

/// Record that an error happened under `key` (paths are built on the way out). Deep paths keep
/// their outermost keys, which name the field; long keys are cut.
fn at(mut error: ConvertError, key: String) -> ConvertError {
    let mut key = key;
    if key.len() > MAX_KEY_BYTES {
        let mut cut = MAX_KEY_BYTES;
        while !key.is_char_boundary(cut) {
            cut -= 1;
        }
        key.truncate(cut);
        key.push('…');
    }
    if error.path.len() == MAX_PATH_KEYS {
        error.path.pop();
    }
    error.path.insert(0, key);
    error
}

/// JS has only doubles; whole numbers become JSON integers so the core can read `401` as a status.
fn number(n: f64) -> Value {
    const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
    if n.fract() == 0.0 && n.abs() <= MAX_SAFE {
        Value::Number(Number::from(n as i64))
    } else {
        Number::from_f64(n).map(Value::Number).unwrap_or(Value::Null)
    }
}

fn binary_to_json(binary: &read::Binary, budget: &mut usize) -> Result<Value, ConvertError> {
    spend(budget, binary.len)?;
    let bytes = binary.to_vec().ok_or_else(ConvertError::unreadable)?;
    Ok(Value::Array(bytes.into_iter().map(|b| Value::Number(b.into())).collect()))
}

/// Serialize a Rust value to a plain JS value (objects, not Maps). An optional field that is
/// `None` leaves no key: every output type skips it (`skip_serializing_if`), so JS sees an
/// absent value as `undefined`, as the declarations say, never as `null`.
///
/// Through JSON text and the engine's `JSON.parse`: one serializer (serde_json's) for every
/// output type keeps the module small, and building the object in JS is faster than setting
/// its properties one by one across the boundary.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    text_to_js(serde_json::to_string(value))
}

/// The part of [`to_js`] that does not depend on the type: one copy in the module, not one per
/// output type.
fn text_to_js(text: Result<String, serde_json::Error>) -> Result<JsValue, JsValue> {
    let text = text.map_err(|e| js_error("internal_error", &format!("Could not convert the result: {e}"), None))?;
    js_sys::JSON::parse(&text)
}

/// A JS `Error` whose `name` is `CprError`, with a stable `code` (and `field` when the error is
/// about a setup field).
pub fn js_error(code: &str, message: &str, field: Option<&str>) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("CprError");
    let _ = Reflect::set(&error, &JsValue::from_str("code"), &JsValue::from_str(code));
    if let Some(field) = field {
        let _ = Reflect::set(&error, &JsValue::from_str("field"), &JsValue::from_str(field));
    }
    error.into()
}

impl From<CprError> for JsValue {
    fn from(error: CprError) -> JsValue {
        js_error(error.code(), &error.to_string(), error.field())
    }
}

impl From<ConvertError> for JsValue {
    fn from(error: ConvertError) -> JsValue {
        CprError::from(error).into()
    }
}
