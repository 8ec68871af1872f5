//! Reading a caller's JS values without letting them throw into the caller.
//!
//! Any access to a caller's object may run the caller's code: a getter, a proxy trap; a revoked
//! proxy throws on every access, even `Array.isArray`. An import without `catch` would let that
//! exception unwind through wasm into the caller as a `TypeError` (and skip Rust's cleanup), so
//! every access here catches. Brand checks (is this a real typed array, a real `AbortSignal`?)
//! call the engine's own getters on the value: they throw for anything else (caught), and for a
//! typed array or an `ArrayBuffer` they run no caller code. `instanceof` would consult a
//! prototype the caller controls: `Object.create(Uint8Array.prototype)` passes it, and then
//! every read of it throws.

use js_sys::Reflect;
#[cfg(feature = "certificate-inspection")]
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// `Array.isArray`, which throws for a revoked proxy.
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn array_is_array(value: &JsValue) -> Result<bool, JsValue>;

    /// `Reflect.get(target, key, receiver)`: with an object made here as `target`, runs the
    /// engine's own getter of its prototype with the caller's value as `this` (a brand check
    /// that runs no caller code).
    #[wasm_bindgen(catch, js_namespace = Reflect, js_name = get)]
    fn get_as(target: &JsValue, key: &str, receiver: &JsValue) -> Result<JsValue, JsValue>;

    /// `Object.getPrototypeOf` (a proxy's trap may throw).
    #[wasm_bindgen(catch, js_namespace = Object, js_name = getPrototypeOf)]
    fn prototype_of(value: &JsValue) -> Result<JsValue, JsValue>;

    /// `Object.getOwnPropertyDescriptor` (a proxy's trap may throw).
    #[wasm_bindgen(catch, js_namespace = Object, js_name = getOwnPropertyDescriptor)]
    fn own_property(value: &JsValue, key: &str) -> Result<JsValue, JsValue>;

    /// `Object.keys` (a proxy's trap may throw).
    #[wasm_bindgen(catch, js_namespace = Object, js_name = keys)]
    fn object_keys(value: &JsValue) -> Result<js_sys::Array, JsValue>;

    /// `Object.assign(target, source)` (a getter of the source may throw).
    #[wasm_bindgen(catch, js_namespace = Object, js_name = assign)]
    fn object_assign(target: &JsValue, source: &JsValue) -> Result<JsValue, JsValue>;
}

// Binary data is read directly only by the certificate check; every other value is copied by
// the engine first (`value.rs`).
#[cfg(feature = "certificate-inspection")]
#[wasm_bindgen]
extern "C" {
    /// A `Uint8Array` made here, as a copy.
    #[wasm_bindgen(js_name = Uint8Array)]
    type ByteCopy;

    /// `new Uint8Array(source)`, which throws for a detached buffer.
    #[wasm_bindgen(catch, constructor, js_class = "Uint8Array")]
    fn new(source: &JsValue) -> Result<ByteCopy, JsValue>;
}

/// Reading a caller's value threw: the exception itself is dropped unread (its message is the
/// caller's text and may hold anything).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unreadable;

/// Whether `value` is an array (also an array behind a proxy).
pub fn is_array(value: &JsValue) -> Result<bool, Unreadable> {
    array_is_array(value).map_err(|_| Unreadable)
}

/// `object[key]`; `undefined` for `undefined` and `null` themselves (an absent options object).
pub fn property(object: &JsValue, key: &str) -> Result<JsValue, Unreadable> {
    if object.is_undefined() || object.is_null() {
        return Ok(JsValue::UNDEFINED);
    }
    Reflect::get(object, &JsValue::from_str(key)).map_err(|_| Unreadable)
}

/// An object's own enumerable keys (none for `undefined` and `null`).
pub fn own_keys(object: &JsValue) -> Result<Vec<String>, Unreadable> {
    if !object.is_object() {
        return Ok(Vec::new());
    }
    Ok(object_keys(object).map_err(|_| Unreadable)?.iter().filter_map(|key| key.as_string()).collect())
}

/// A shallow copy of an object's own enumerable properties without `left_out` (each property
/// read once, by the engine); `undefined` and `null` stay as they are, and any other value is
/// returned unchanged for the reader to refuse.
pub fn copy_without(object: &JsValue, left_out: &[&str]) -> Result<JsValue, Unreadable> {
    if !object.is_object() || is_array(object)? {
        return Ok(object.clone());
    }
    let copy = object_assign(&js_sys::Object::new(), object).map_err(|_| Unreadable)?;
    for key in left_out {
        let _ = Reflect::delete_property(copy.unchecked_ref::<js_sys::Object>(), &JsValue::from_str(key));
    }
    Ok(copy)
}

/// A list's length, read like any property (an array proxy may answer anything): a whole
/// number, or `Unreadable`.
pub fn array_length(array: &JsValue) -> Result<u32, Unreadable> {
    let length = property(array, "length")?.as_f64().unwrap_or(-1.0);
    if length >= 0.0 && length <= f64::from(u32::MAX) && length.fract() == 0.0 {
        Ok(length as u32)
    } else {
        Err(Unreadable)
    }
}

/// `array[index]`.
pub fn item(array: &JsValue, index: u32) -> Result<JsValue, Unreadable> {
    Reflect::get(array, &JsValue::from(index)).map_err(|_| Unreadable)
}

/// The engine's getter `key` of `model`'s kind (`model` is made here), run on `value`: `None`
/// unless `value` really is such an object.
fn intrinsic(model: &JsValue, key: &str, value: &JsValue) -> Option<JsValue> {
    get_as(model, key, value).ok()
}

/// Binary data from the caller: a real `ArrayBuffer` or typed array (also Node's `Buffer`).
#[cfg(feature = "certificate-inspection")]
pub struct Binary<'a> {
    source: &'a JsValue,
    /// Number of elements (of bytes, for an `ArrayBuffer`).
    pub len: usize,
    /// Whether each element is one byte (`ArrayBuffer`, `Uint8Array`, `Int8Array`,
    /// `Uint8ClampedArray`): then [`Binary::to_vec`] gives exactly the data's bytes.
    pub of_bytes: bool,
}

#[cfg(feature = "certificate-inspection")]
impl Binary<'_> {
    /// Copy the bytes into wasm memory (check `len` first). The engine copies from the value's
    /// internal bytes, so no caller code runs; `None` if it refuses (a detached buffer).
    pub fn to_vec(&self) -> Option<Vec<u8>> {
        ByteCopy::new(self.source).ok().map(|copy| copy.unchecked_into::<Uint8Array>().to_vec())
    }
}

/// `Some` when `value` is binary data (see [`Binary`]); `None` for everything else, including
/// look-alikes with a typed array's prototype and `DataView`s.
#[cfg(feature = "certificate-inspection")]
pub fn binary(value: &JsValue) -> Option<Binary<'_>> {
    if !value.is_object() {
        return None;
    }
    let number = |model: &JsValue, key| intrinsic(model, key, value).and_then(|n| n.as_f64());
    // `isView` reads an internal slot, so it cannot throw: true for real typed arrays and
    // DataViews (the typed array getters refuse a DataView).
    let (len, byte_length) = if js_sys::ArrayBuffer::is_view(value) {
        let model = Uint8Array::new_with_length(0).into();
        (number(&model, "length")?, number(&model, "byteLength")?)
    } else if value.is_instance_of::<js_sys::ArrayBuffer>() {
        // `instanceof` only spares every other object the brand check below (whose exception
        // costs microseconds); wasm-bindgen's instanceof catches what a proxy trap throws. A real
        // ArrayBuffer given another prototype fails it and is read as an (empty) object.
        let len = number(&js_sys::ArrayBuffer::new(0).into(), "byteLength")?;
        (len, len)
    } else {
        return None;
    };
    Some(Binary { source: value, len: len as usize, of_bytes: len == byte_length })
}

/// Whether `value` is a real `AbortSignal` whose `aborted` is the engine's own getter, so that
/// reading it later runs no caller code: not a look-alike, not a signal whose prototype was
/// changed or that has its own `aborted`. (Browsers' brand check also refuses a proxy; Node's
/// AbortSignal checks its brand through a symbol, which a proxy forwards.)
pub fn is_abort_signal(value: &JsValue) -> bool {
    let Ok(model) = web_sys::AbortController::new().map(|c| JsValue::from(c.signal())) else { return false };
    intrinsic(&model, "aborted", value).is_some_and(|a| a.as_bool().is_some())
        && prototype_of(value).ok() == prototype_of(&model).ok()
        && own_property(value, "aborted").is_ok_and(|d| d.is_undefined())
}
