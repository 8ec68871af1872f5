//! The core functions, exported to JS under their contract names.

use serde_json::Value;
use tsify::Ts;
use wasm_bindgen::prelude::*;

use super::args::{failure_from_input, ANY_VALUE, FAILURE, REDACT_OPTIONS};
use super::value::{data_value_to_js, from_js, js_to_value, plain_or_refusal, record_from_js, to_js};
use crate::code::ErrorCode;
use crate::cpr::CprValidation;
use crate::diagnosis::{diagnose as diagnose_failure, Diagnosis, FailureInput};
use crate::endpoints::{resolve_endpoints as resolve, ResolvedEndpoints};
use crate::environment::{environment_table, EnvironmentInfo};
use crate::error::CprError;
use crate::issue::{Issue, Severity};
use crate::json_input::parse_json_text;
use crate::redact::{redact_with, RedactOptions};
use crate::setup::{setup_field_table, validate_setup as validate, SetupFieldInfo, SetupInput, SetupReport};

#[wasm_bindgen(typescript_custom_section)]
const ERROR_TYPES: &'static str = r#"
/** Every error the library throws or rejects with. `code` is stable: a diagnosis code for a
 *  failed call, or the library's own code for an unusable setup or argument. */
export class CprError extends Error {
    constructor(message: string, options: { code: ErrorCode; field?: string; diagnosis?: Diagnosis; debug?: DebugCapture; cause?: unknown });
    name: "CprError";
    code: ErrorCode;
    /** The setup field to change, when the error is about one. */
    field?: string;
    /** What went wrong and how to fix it: a failed call's diagnosis (and an invalid CPR number's). */
    diagnosis?: Diagnosis;
    /** The operation's debug capture, when CPR Debug Mode is on. */
    debug?: DebugCapture;
}

/** Whether `value` is an error of this library: a `CprError` instance, or (from another realm or
 *  another copy of the package) an `Error` whose `name` is `"CprError"` and whose `code` is text.
 *  Never throws, whatever the value (proxies, throwing getters, revoked proxies give `false`). */
export function isCprError(value: unknown): value is CprError;

/** A person status: one the library knows, or the register's text as it came (CPR may add statuses). */
export type PersonStatus = KnownStatus | (string & {});

/** CPR's protection type: the ones the library acts on, or another the register names. */
export type ProtectionKind = "navne_og_adressebeskyttelse" | "markedsfoeringsbeskyttelse" | (string & {});

"#;

/// Wrap a serializable result for JS. Serializing the library's own types cannot fail; if it
/// ever did, JS receives `null` rather than a trap.
fn ts<T: tsify::Tsify + serde::Serialize>(value: &T) -> Ts<T> {
    Ts::new_unchecked(to_js(value).unwrap_or(JsValue::NULL))
}

/// A setup as the core reads it: an object, or JSON text (which is parsed as text). A value
/// that cannot be copied is an unusable setup whose `field` is the part at fault, named by its
/// label where it is a setup field.
pub(super) fn setup_value(setup: &JsValue) -> Result<Value, CprError> {
    if let Some(text) = setup.as_string() {
        return parse_json_text(&text).map_err(|e| CprError::invalid_input(e.code(), format!("The setup cannot be used: {e}.")));
    }
    let copy = plain_or_refusal(setup).map_err(|refusal| {
        let field = refusal.field();
        let message = match (field.as_str(), crate::setup::field(&field)) {
            ("", _) => format!("The input {}", refusal.problem),
            (_, Some(f)) => format!("{} {}", f.label, refusal.problem),
            (path, None) => format!("{path} {}", refusal.problem),
        };
        CprError::InvalidSetup { field, code: refusal.code, message }
    })?;
    // A plain copy is JSON data: reading it as a JSON value does not fail.
    js_to_value(copy).map_err(|e| CprError::invalid_input(ErrorCode::InternalError, e))
}

/// Validate a CPR number (`DDMMYYSSSS` or `DDMMYY-SSSS`). Never throws.
#[wasm_bindgen(js_name = validateCpr)]
pub fn validate_cpr(#[wasm_bindgen(unchecked_param_type = "string")] text: JsValue) -> Ts<CprValidation> {
    let report = match text.as_string() {
        Some(text) => crate::cpr::validate_cpr(&text),
        None => {
            let mut report = crate::cpr::validate_cpr("");
            report.issues = vec![Issue::new("", ErrorCode::NotText, Severity::Error, "A CPR number must be given as text, e.g. \"010170-1239\".")];
            report
        }
    };
    ts(&report)
}

/// Validate a setup (an object, or JSON text). Never throws: every problem is an issue.
#[wasm_bindgen(js_name = validateSetup)]
pub fn validate_setup(setup: Ts<SetupInput>) -> Ts<SetupReport> {
    let report = match setup_value(&setup.js_value()) {
        Ok(value) => validate(&value),
        Err(e) => SetupReport { ok: false, issues: vec![Issue::new(e.field().unwrap_or_default(), e.code(), Severity::Error, e.to_string())] },
    };
    ts(&report)
}

/// Resolve the URLs a setup calls. Throws a `CprError` when the setup cannot say.
#[wasm_bindgen(js_name = resolveEndpoints)]
pub fn resolve_endpoints(setup: Ts<SetupInput>) -> Result<Ts<ResolvedEndpoints>, JsValue> {
    Ok(ts(&resolve(&setup_value(&setup.js_value())?)?))
}

/// Diagnose a failed call: what went wrong, how to fix it, whether to retry.
#[wasm_bindgen]
pub fn diagnose(failure: Ts<FailureInput>) -> Result<Ts<Diagnosis>, JsValue> {
    let failure = failure_from_input(record_from_js(&failure.js_value(), &FAILURE)?)?;
    Ok(ts(&diagnose_failure(&failure)))
}

/// A deep copy of any value, safe for logs: secrets redacted, CPR numbers masked.
#[wasm_bindgen(unchecked_return_type = "unknown")]
pub fn redact(
    #[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "RedactOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let options: Option<RedactOptions> = from_js(&options.unwrap_or(JsValue::UNDEFINED), &REDACT_OPTIONS)?;
    let options = options.unwrap_or_default();
    if !options.within_limits() {
        return Err(CprError::invalid_input(ErrorCode::InvalidOptions, "options.secrets may list at most 16 values of at most 4096 characters each.").into());
    }
    let value: Value = record_from_js(&value, &ANY_VALUE)?;
    // Any value: its keys are the caller's.
    data_value_to_js(&redact_with(&value, &options))
}

/// The "Fetch CPR Schema" request for a setup (`GET <graphql url>/schema`), for hosts that do
/// their own HTTP; add the bearer token.
#[wasm_bindgen(js_name = buildSchemaRequest)]
pub fn build_schema_request(setup: Ts<SetupInput>) -> Result<Ts<crate::query::SchemaRequest>, JsValue> {
    Ok(ts(&super::args::build_schema_request_json(&setup_value(&setup.js_value())?)?))
}

/// The environment table: every environment with its hosts and where each is known from.
#[wasm_bindgen]
pub fn environments() -> Vec<Ts<EnvironmentInfo>> {
    environment_table().iter().map(ts).collect()
}

/// The setup fields with the labels administrators know, in setup-page order.
#[wasm_bindgen(js_name = setupFields)]
pub fn setup_fields() -> Vec<Ts<SetupFieldInfo>> {
    setup_field_table().iter().map(ts).collect()
}
