//! The certificate check for JS (feature `certificate-inspection`): built only into the separate
//! wasm module in `pkg/cert`, which the setup page loads when a PFX file is chosen.

use js_sys::{ArrayBuffer, Reflect, Uint8Array};
use tsify::Ts;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use zeroize::Zeroizing;

use super::convert::{js_error, to_js};
use crate::certificate::{inspect_pfx, CertificateReport, InspectOptions, DEFAULT_WARN_DAYS, MAX_PFX_BYTES};

#[wasm_bindgen(typescript_custom_section)]
const CERTIFICATE_TYPES: &'static str = r#"
/** Options of `inspectCertificate`. */
export interface InspectCertificateOptions {
    /** "Now" in milliseconds since the epoch (default: the host's clock). */
    now?: number;
    /** Warn this many days before the certificate expires (default 30). */
    warnDays?: number;
}
"#;

/// Open a PFX (PKCS#12) file with its password and describe the client certificate: subject,
/// SHA-1 thumbprint and SHA-256 fingerprint, validity, private key, expiry warnings. Throws a
/// `CprError` (`wrong_password` with `field: "certificatePassword"`, `not_pkcs12`,
/// `unsupported_encryption`, …) when the file cannot be opened; the password is never in it.
#[wasm_bindgen(js_name = inspectCertificate)]
pub fn inspect_certificate(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] pfx: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] password: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "InspectCertificateOptions")] options: Option<JsValue>,
) -> Result<Ts<CertificateReport>, JsValue> {
    let bytes = pfx_bytes(&pfx)?;
    let password = Zeroizing::new(
        password
            .as_string()
            .ok_or_else(|| js_error("not_text", "The Certificate Password must be given as text.", Some("certificatePassword")))?,
    );
    let options = inspect_options(options.unwrap_or(JsValue::UNDEFINED))?;
    let report = inspect_pfx(&bytes, &password, &options).map_err(|e| js_error(e.code(), &e.to_string(), Some(e.field())))?;
    Ok(Ts::new_unchecked(to_js(&report)?))
}

/// The file's bytes; the size is checked before anything is copied out of JS.
fn pfx_bytes(value: &JsValue) -> Result<Zeroizing<Vec<u8>>, JsValue> {
    let array = if let Some(array) = value.dyn_ref::<Uint8Array>() {
        array.clone()
    } else if let Some(buffer) = value.dyn_ref::<ArrayBuffer>() {
        Uint8Array::new(buffer)
    } else {
        return Err(js_error("invalid_certificate", "The certificate must be the PFX file's bytes (Uint8Array or ArrayBuffer).", Some("certificate")));
    };
    if array.length() as usize > MAX_PFX_BYTES {
        return Err(js_error(
            "certificate_too_large",
            &format!("The certificate file is larger than {} KB; a PFX file is a few KB. Choose the certificate's PFX (.pfx or .p12) file.", MAX_PFX_BYTES / 1024),
            Some("certificate"),
        ));
    }
    Ok(Zeroizing::new(array.to_vec()))
}

fn inspect_options(options: JsValue) -> Result<InspectOptions, JsValue> {
    let number = |name: &str| -> Result<Option<f64>, JsValue> {
        if options.is_undefined() || options.is_null() {
            return Ok(None);
        }
        let value = Reflect::get(&options, &JsValue::from_str(name)).map_err(|_| js_error("invalid_options", "The options could not be read.", None))?;
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        match value.as_f64() {
            Some(n) if n.is_finite() && n.abs() < 1e15 => Ok(Some(n)),
            _ => Err(js_error("invalid_options", &format!("options.{name} must be a finite number."), None)),
        }
    };
    let now_ms = number("now")?.unwrap_or_else(js_sys::Date::now);
    let warn_days = number("warnDays")?.map_or(DEFAULT_WARN_DAYS, |d| d.max(0.0) as i64);
    Ok(InspectOptions { now_unix_seconds: (now_ms / 1000.0).floor() as i64, warn_days })
}
