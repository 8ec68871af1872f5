//! The core functions, exported to JS under their contract names.

use serde_json::Value;
use tsify::Ts;
use wasm_bindgen::prelude::*;

use super::convert::{js_or_text_to_json, js_to_json, to_js};
use crate::cpr::CprValidation;
use crate::error::CprError;
use super::args::diagnose_json;
use crate::diagnosis::{Diagnosis, FailureInput};
use crate::endpoints::{resolve_endpoints as resolve, ResolvedEndpoints};
use crate::environment::{environment_table, EnvironmentInfo};
use crate::issue::{Issue, Severity};
use crate::redact::{redact_with, RedactOptions, MAX_KNOWN_SECRETS, MAX_KNOWN_SECRET_CHARS};
use crate::setup::{setup_field_table, validate_setup as validate, SetupFieldInfo, SetupInput, SetupReport};

#[wasm_bindgen(typescript_custom_section)]
const ERROR_TYPES: &'static str = r#"
/** Every error the library throws: a JS Error with a stable `code` (and `field` for setup errors).
 *  A failed call carries a diagnosis code; an unusable setup or argument carries its own code
 *  (such as `required` or `invalid_options`), hence the open end of the union. */
export interface CprError extends Error {
    name: "CprError";
    code: DiagnosisCode | (string & {});
    field?: string;
}

/** A person status: one the library knows, or the register's text as it came (CPR may add statuses). */
export type PersonStatus = KnownStatus | (string & {});

/** CPR's protection type: the ones the library acts on, or another the register names. */
export type ProtectionKind = "navne_og_adressebeskyttelse" | "markedsfoeringsbeskyttelse" | (string & {});

/** Options of `redact`. */
export interface RedactOptions {
    /** Mask CPR numbers as DDMMYY-xxxx (default true). */
    maskCpr?: boolean;
    /** Exact secret values (e.g. the setup's client secret) to remove wherever they appear, in any
     *  spelling (URL- or form-encoded, JSON-escaped, base64); at most 16, of at most 4096 characters. */
    secrets?: string[];
}
"#;

/// Wrap a serializable result for JS. Serializing the library's own types cannot fail; if it
/// ever did, JS receives `null` rather than a trap.
fn ts<T: tsify::Tsify + serde::Serialize>(value: &T) -> Ts<T> {
    Ts::new_unchecked(to_js(value).unwrap_or(JsValue::NULL))
}

/// Validate a CPR number (`DDMMYYSSSS` or `DDMMYY-SSSS`). Never throws.
#[wasm_bindgen(js_name = validateCpr)]
pub fn validate_cpr(#[wasm_bindgen(unchecked_param_type = "string")] text: JsValue) -> Ts<CprValidation> {
    let report = match text.as_string() {
        Some(text) => crate::cpr::validate_cpr(&text),
        None => {
            let mut report = crate::cpr::validate_cpr("");
            report.issues = vec![Issue::new("", "not_text", Severity::Error, "A CPR number must be given as text, e.g. \"010170-1239\".")];
            report
        }
    };
    ts(&report)
}

/// Validate a setup (an object, or JSON text). Never throws: every problem is an issue.
#[wasm_bindgen(js_name = validateSetup)]
pub fn validate_setup(setup: Ts<SetupInput>) -> Ts<SetupReport> {
    let report = match js_or_text_to_json(&setup.js_value()) {
        Ok(value) => validate(&value),
        Err(e) => {
            let field = e.field();
            let message = match (field.as_str(), crate::setup::field(&field)) {
                ("", _) => e.sentence(),
                (_, Some(f)) => format!("{} {}", f.label, e.message),
                (path, None) => format!("{path} {}", e.message),
            };
            SetupReport { ok: false, issues: vec![Issue::new(&field, e.code, Severity::Error, message)] }
        }
    };
    ts(&report)
}

/// Resolve the URLs a setup calls. Throws a `CprError` when the setup cannot say.
#[wasm_bindgen(js_name = resolveEndpoints)]
pub fn resolve_endpoints(setup: Ts<SetupInput>) -> Result<Ts<ResolvedEndpoints>, JsValue> {
    let value = js_or_text_to_json(&setup.js_value())?;
    Ok(ts(&resolve(&value)?))
}

/// Diagnose a failed call: what went wrong, how to fix it, whether to retry.
#[wasm_bindgen]
pub fn diagnose(failure: Ts<FailureInput>) -> Result<Ts<Diagnosis>, JsValue> {
    let value = js_to_json(&failure.js_value())?;
    Ok(ts(&diagnose_json(&value)?))
}

/// A deep copy of any value, safe for logs: secrets redacted, CPR numbers masked.
#[wasm_bindgen(unchecked_return_type = "unknown")]
pub fn redact(
    #[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "RedactOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let options = options.unwrap_or(JsValue::UNDEFINED);
    let options = redact_options(&js_to_json(&options).map_err(|e| e.within("options"))?)?;
    let value = js_to_json(&value)?;
    to_js(&redact_with(&value, &options))
}

fn redact_options(json: &Value) -> Result<RedactOptions, CprError> {
    let mask_cpr = !matches!(json.get("maskCpr"), Some(Value::Bool(false)));
    let known_secrets = match json.get("secrets") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        Some(_) => return Err(CprError::invalid_input("invalid_options", "redact options.secrets must be a list of text values.")),
    };
    if known_secrets.len() > MAX_KNOWN_SECRETS || known_secrets.iter().any(|s| s.chars().count() > MAX_KNOWN_SECRET_CHARS) {
        return Err(CprError::invalid_input("invalid_options", "redact options.secrets may list at most 16 values of at most 4096 characters each."));
    }
    Ok(RedactOptions { mask_cpr, known_secrets })
}

/// The "Fetch CPR Schema" request for a setup (`GET <graphql url>/schema`), for hosts that do
/// their own HTTP; add the bearer token.
#[wasm_bindgen(js_name = buildSchemaRequest)]
pub fn build_schema_request(setup: Ts<SetupInput>) -> Result<Ts<crate::query::SchemaRequest>, JsValue> {
    let value = js_or_text_to_json(&setup.js_value())?;
    Ok(ts(&super::args::build_schema_request_json(&value)?))
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
