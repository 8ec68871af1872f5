//! The GraphQL layer's functions, exported to JS under their contract names: `checkSchema`,
//! `buildLookupQuery`, `parseLookupResponse`, `mergePerson`.
//!
//! These run once per person looked up, so values cross the boundary as JSON text: the
//! engine's own `JSON.stringify` / `JSON.parse` and serde_json's typed parsing are many times
//! faster than visiting objects key by key from wasm. The text is still untrusted: it is read
//! with the same size and depth limits as every other input.

use js_sys::JSON;
use serde_json::Value;
use tsify::Ts;
use wasm_bindgen::prelude::*;

use crate::error::CprError;
use crate::json_input::parse_json_text;
use super::args::{build_lookup_query_json, check_schema_json, merge_person_text, read_parse_options};
use crate::merge::{MergeOptions, MergeResult};
use crate::query::{LookupQuery, LookupQueryInput};
use crate::response::{LookupBody, LookupResult, ParseOptions};
use crate::schema::{DriftReport, SchemaCheckOptions};

/// A JS value as JSON text (`undefined`, functions and symbols as `null`); `argument` names it
/// in errors.
///
/// `JSON.stringify` runs inside a `catch` and does not say what failed; on failure the value is
/// walked once more by the conversion, which says which value could not be read.
fn js_to_text(value: &JsValue, argument: &str) -> Result<String, CprError> {
    if value.is_undefined() || value.is_null() {
        return Ok("null".to_string());
    }
    match JSON::stringify(value) {
        Ok(text) => Ok(text.as_string().unwrap_or_else(|| "null".to_string())),
        // The walk names the value whose reading threw; anything else keeps the engine's code.
        Err(_) => Err(match super::convert::js_to_json(value) {
            Err(e) if e.code == "unreadable_input" => e.within(argument).into(),
            _ => CprError::invalid_input(
                "input_not_json",
                "The input cannot be written as JSON (it refers to itself, holds a BigInt, or a toJSON method threw). Pass plain objects, lists, text and numbers.",
            ),
        }),
    }
}

/// A JS value as JSON, read from its text with the usual size and depth limits.
fn js_to_json(value: &JsValue, argument: &str) -> Result<Value, CprError> {
    parse_json_text(&js_to_text(value, argument)?).map_err(|e| CprError::invalid_input(e.code(), format!("The input: {e}.")))
}

/// A result as a plain JS value. Serializing the library's own types cannot fail; if it ever
/// did, JS receives an error rather than a trap.
fn ts<T: tsify::Tsify + serde::Serialize>(value: &T) -> Result<Ts<T>, JsValue> {
    Ok(Ts::new_unchecked(super::convert::to_js(value)?))
}

/// Compare a CPR schema (SDL text) with what the library selects: missing and required
/// fields, the filter form found, fields the library does not use. Never throws for a bad
/// schema (the report says what is wrong); throws only for wrong arguments.
#[wasm_bindgen(js_name = checkSchema)]
pub fn check_schema(
    #[wasm_bindgen(unchecked_param_type = "string")] sdl: JsValue,
    options: Ts<SchemaCheckOptions>,
) -> Result<Ts<DriftReport>, JsValue> {
    let sdl = js_to_json(&sdl, "sdl")?;
    let options = js_to_json(&options.js_value(), "options")?;
    ts(&check_schema_json(&sdl, &options)?)
}

/// Build the lookup query for CPR numbers: `{ operationName, query, variables, warnings }`,
/// ready to send as the JSON body of a POST to the GraphQL endpoint.
#[wasm_bindgen(js_name = buildLookupQuery)]
pub fn build_lookup_query(input: Ts<LookupQueryInput>) -> Result<Ts<LookupQuery>, JsValue> {
    let input = js_to_json(&input.js_value(), "input")?;
    ts(&build_lookup_query_json(&input)?)
}

/// Read the answer to a lookup query (JSON text or an object) into person records and
/// diagnosed outcomes (`person_not_found`, `ambiguous_result`, GraphQL errors).
#[wasm_bindgen(js_name = parseLookupResponse)]
pub fn parse_lookup_response(
    #[wasm_bindgen(unchecked_param_type = "string | object")] body: JsValue,
    options: Ts<ParseOptions>,
) -> Result<Ts<LookupResult>, JsValue> {
    let (sector, requested) = read_parse_options(&js_to_json(&options.js_value(), "options")?)?;
    // Text is read straight into typed records, with no intermediate value: the fast path.
    // An object is written out as text first, for the same reason.
    let text = match body.as_string() {
        Some(text) => text,
        None if body.is_object() => js_to_text(&body, "body")?,
        None => {
            return Err(CprError::invalid_input(
                "unexpected_response_shape",
                "parseLookupResponse needs the answer's body as JSON text or a parsed object.",
            )
            .into())
        }
    };
    let result = crate::response::parse_lookup_response(LookupBody::Text(&text), sector, requested.as_deref())?;
    ts(&result)
}

/// Merge a person into a customer record: `{ record, changes, notifications }`. A value CPR did
/// not give never overwrites anything. `person` may be absent or `null` (not found: a lookup
/// outcome's `person` as it comes) or the lookup's `person_not_found` / `ambiguous_result` error.
#[wasm_bindgen(js_name = mergePerson)]
pub fn merge_person(
    #[wasm_bindgen(unchecked_param_type = "Record<string, unknown> | null")] existing: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Person | LookupError | null | undefined")] person: JsValue,
    options: Option<Ts<MergeOptions>>,
) -> Result<Ts<MergeResult>, JsValue> {
    let existing = js_to_json(&existing, "existing")?;
    // The person crosses as JSON text and is read straight into a person record.
    let person = js_to_text(&person, "person")?;
    let options = match options {
        Some(o) => js_to_json(&o.js_value(), "options")?,
        None => serde_json::Value::Null,
    };
    ts(&merge_person_text(&existing, &person, &options)?)
}
