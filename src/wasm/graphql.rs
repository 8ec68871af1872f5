//! The GraphQL layer's functions, exported to JS under their contract names: `checkSchema`,
//! `buildLookupQuery`, `parseLookupResponse`, `mergePerson`. Each argument is read once, into
//! its declared type (`value.rs`); the checks in the caller's terms are `args.rs`'s.

use serde_json::{Map, Value};
use tsify::Ts;
use wasm_bindgen::prelude::*;

use super::args::{
    build_lookup_query_input, merge_person_arguments, requested_numbers, Argument, EXISTING_RECORD, LOOKUP_QUERY_INPUT, MERGE_OPTIONS,
    PARSE_OPTIONS, PERSON, SCHEMA_CHECK_OPTIONS,
};
use super::value::{data_value_to_js, from_js, js_to_value, plain, plain_record, record_from_js, record_from_plain, to_js};
use crate::code::{ErrorCode, DiagnosisCode};
use crate::error::CprError;
use crate::merge::{MergeOptions, MergeResult};
use crate::person::{Person, PersonText};
use crate::query::{LookupQuery, LookupQueryInput};
use crate::response::{parse_lookup_response as parse_answer, LookupBody, LookupResult, ParseOptions};
use crate::schema::{check_schema as check_sdl, DriftReport, SchemaCheckOptions};

/// A result as a plain JS value. Serializing the library's own types cannot fail; if it ever
/// did, JS receives an error rather than a trap.
fn ts<T: tsify::Tsify + serde::Serialize>(value: &T) -> Result<Ts<T>, JsValue> {
    Ok(Ts::new_unchecked(to_js(value)?))
}

/// Compare a CPR schema (SDL text) with what the library selects: missing and required
/// fields, the filter form found, fields the library does not use. Never throws for a bad
/// schema (the report says what is wrong); throws only for wrong arguments.
#[wasm_bindgen(js_name = checkSchema)]
pub fn check_schema(
    #[wasm_bindgen(unchecked_param_type = "string")] sdl: JsValue,
    options: Ts<SchemaCheckOptions>,
) -> Result<Ts<DriftReport>, JsValue> {
    let options: SchemaCheckOptions = from_js(&options.js_value(), &SCHEMA_CHECK_OPTIONS)?;
    let Some(sdl) = sdl.as_string() else {
        return Err(CprError::invalid_input(ErrorCode::InvalidSchema, "checkSchema needs the schema as SDL text (a string).").into());
    };
    ts(&check_sdl(&sdl, options.sector_type))
}

/// Build the lookup query for CPR numbers: `{ operationName, query, variables, warnings }`,
/// ready to send as the JSON body of a POST to the GraphQL endpoint.
#[wasm_bindgen(js_name = buildLookupQuery)]
pub fn build_lookup_query(input: Ts<LookupQueryInput>) -> Result<Ts<LookupQuery>, JsValue> {
    let input: LookupQueryInput = from_js(&input.js_value(), &LOOKUP_QUERY_INPUT)?;
    ts(&build_lookup_query_input(&input)?)
}

/// The answer's body as `parseLookupResponse` takes it.
const BODY: Argument = Argument::new("body", ErrorCode::Diagnosis(DiagnosisCode::UnexpectedResponseShape));

/// Read the answer to a lookup query (JSON text or an object) into person records and
/// diagnosed outcomes (`person_not_found`, `ambiguous_result`, GraphQL errors).
#[wasm_bindgen(js_name = parseLookupResponse)]
pub fn parse_lookup_response(
    #[wasm_bindgen(unchecked_param_type = "string | object")] body: JsValue,
    options: Ts<ParseOptions>,
) -> Result<Ts<LookupResult>, JsValue> {
    let options: ParseOptions = from_js(&options.js_value(), &PARSE_OPTIONS)?;
    let requested = requested_numbers(&options)?;
    let result = if let Some(text) = body.as_string() {
        // Text is the input as it is: read by the JSON reader, with no JS value in between.
        parse_answer(LookupBody::Text(&text), options.sector_type, requested.as_deref())?
    } else if body.is_object() {
        let answer = js_to_value(plain(&body, &BODY)?).map_err(|e| BODY.mistyped("", &e))?;
        parse_answer(LookupBody::Json(&answer), options.sector_type, requested.as_deref())?
    } else {
        return Err(CprError::invalid_input(
            ErrorCode::Diagnosis(DiagnosisCode::UnexpectedResponseShape),
            "parseLookupResponse needs the answer's body as JSON text or a parsed object.",
        )
        .into());
    };
    ts(&result)
}

/// What a caller gave where a person may be: nothing (not found), one of the lookup's error
/// outcomes (an object with a text `code`), or a person.
pub(super) fn person_argument(person: &JsValue) -> Result<PersonText, CprError> {
    let copy = plain_record(person, &PERSON)?;
    if copy.is_null() || copy.is_undefined() {
        return Ok(PersonText::Nothing);
    }
    // The copy is the engine's own plain data: reading it runs no caller code.
    if let Some(code) = js_sys::Reflect::get(&copy, &JsValue::from_str("code")).ok().and_then(|c| c.as_string()) {
        return Ok(PersonText::Outcome(code));
    }
    Ok(PersonText::Person(Box::new(record_from_plain::<Person>(copy, &PERSON)?)))
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
    let existing: Option<Map<String, Value>> = record_from_js(&existing, &EXISTING_RECORD)?;
    let person = person_argument(&person)?;
    let options: Option<MergeOptions> = match options {
        Some(options) => from_js(&options.js_value(), &MERGE_OPTIONS)?,
        None => None,
    };
    let result = merge_person_arguments(existing.as_ref(), person, &options.unwrap_or_default())?;
    // The record's keys are the caller's.
    Ok(Ts::new_unchecked(data_value_to_js(&result)?))
}
