//! Value conversion at the boundary.

use js_sys::{Array, ArrayBuffer, Reflect, Uint8Array};
use serde::Serialize;
use serde_json::{Map, Number, Value};
use wasm_bindgen::{JsCast, JsValue};

use crate::error::CprError;
use crate::json_input::{parse_json_text, MAX_DEPTH};

/// Most values a single input may hold; far above any real setup or response.
const MAX_NODES: usize = 2_000_000;
/// Largest typed array converted (a PFX file is a few KB).
const MAX_BYTES: u32 = 1024 * 1024;

/// Why a JS value could not become JSON, and where in it.
#[derive(Debug)]
pub struct ConvertError {
    pub code: &'static str,
    pub message: String,
    /// Keys from the outermost value inwards, e.g. `["endpoints", "graphqlUrl"]`.
    pub path: Vec<String>,
}

impl ConvertError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        ConvertError { code, message: message.into(), path: Vec::new() }
    }

    /// The dotted path, e.g. `endpoints.graphqlUrl` (empty for the value itself).
    pub fn field(&self) -> String {
        self.path.join(".")
    }
}

impl From<ConvertError> for CprError {
    fn from(e: ConvertError) -> CprError {
        let message = match e.field().as_str() {
            "" => e.message.clone(),
            field => format!("{field}: {}", e.message),
        };
        CprError::invalid_input(e.code, message)
    }
}

/// Convert any JS value into JSON.
pub fn js_to_json(value: &JsValue) -> Result<Value, ConvertError> {
    let mut budget = MAX_NODES;
    walk(value, 0, &mut budget)
}

/// Like [`js_to_json`], but a JS string is read as JSON text (for inputs that may be either).
pub fn js_or_text_to_json(value: &JsValue) -> Result<Value, ConvertError> {
    match value.as_string() {
        Some(text) => parse_json_text(&text).map_err(|e| ConvertError::new(e.code(), format!("The input: {e}."))),
        None => js_to_json(value),
    }
}

fn walk(value: &JsValue, depth: usize, budget: &mut usize) -> Result<Value, ConvertError> {
    if depth > MAX_DEPTH {
        return Err(ConvertError::new(
            "input_too_deep",
            format!("The input is nested deeper than {MAX_DEPTH} levels (or refers to itself)."),
        ));
    }
    *budget = budget.checked_sub(1).ok_or_else(|| ConvertError::new("input_too_large", "The input holds too many values."))?;
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
    if value.is_bigint() || value.is_symbol() || value.is_function() {
        let kind = value.js_typeof().as_string().unwrap_or_default();
        return Err(ConvertError::new(
            "unsupported_value",
            format!("holds a JavaScript {kind}, which has no JSON form. Use text, a number, true/false, a list or an object."),
        ));
    }
    if Array::is_array(value) {
        let array: &Array = value.unchecked_ref();
        let mut items = Vec::with_capacity(array.length().min(1024) as usize);
        for (index, item) in array.iter().enumerate() {
            items.push(walk(&item, depth + 1, budget).map_err(|e| at(e, index.to_string()))?);
        }
        return Ok(Value::Array(items));
    }
    if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
        return bytes_to_json(bytes, budget);
    }
    if let Some(buffer) = value.dyn_ref::<ArrayBuffer>() {
        return bytes_to_json(&Uint8Array::new(buffer), budget);
    }
    if value.is_object() {
        let keys = Reflect::own_keys(value).map_err(|_| ConvertError::new("unreadable_input", "The input object could not be read."))?;
        let mut map = Map::new();
        for key in keys.iter() {
            let Some(name) = key.as_string() else { continue };
            let item = Reflect::get(value, &key)
                .map_err(|_| at(ConvertError::new("unreadable_input", "could not be read."), name.clone()))?;
            if item.is_undefined() {
                continue;
            }
            let converted = walk(&item, depth + 1, budget).map_err(|e| at(e, name.clone()))?;
            map.insert(name, converted);
        }
        return Ok(Value::Object(map));
    }
    Ok(Value::Null)
}

/// Record that an error happened under `key` (paths are built on the way out).
fn at(mut error: ConvertError, key: String) -> ConvertError {
    // Deep paths are cut: the first levels say enough, and a cycle must not build a huge path.
    if error.path.len() < 8 {
        error.path.insert(0, key);
    }
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

fn bytes_to_json(bytes: &Uint8Array, budget: &mut usize) -> Result<Value, ConvertError> {
    if bytes.length() > MAX_BYTES {
        return Err(ConvertError::new("input_too_large", "is binary data larger than 1 MB."));
    }
    let len = bytes.length() as usize;
    *budget = budget.checked_sub(len).ok_or_else(|| ConvertError::new("input_too_large", "The input holds too many values."))?;
    Ok(Value::Array(bytes.to_vec().into_iter().map(|b| Value::Number(b.into())).collect()))
}

/// Serialize a Rust value to a plain JS value (objects, not Maps; `None` as `null`).
///
/// Through JSON text and the engine's `JSON.parse`: one serializer (serde_json's) for every
/// output type keeps the module small, and building the object in JS is faster than setting
/// its properties one by one across the boundary.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(value).map_err(|e| js_error("internal_error", &format!("Could not convert the result: {e}"), None))?;
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
