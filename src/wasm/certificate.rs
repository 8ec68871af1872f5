//! The certificate check for JS (feature `certificate-inspection`): built only into the separate
//! wasm module in `pkg/cert`, which the setup page loads when a PFX file is chosen.

use js_sys::Reflect;
use tsify::Ts;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

use super::convert::{js_error, to_js, UNREADABLE};
use super::read;
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

/// The file's bytes; the size is checked before anything is copied out of JS. Only real binary
/// data is accepted (see [`read::binary`]): a look-alike with a typed array's prototype would
/// throw on every read.
fn pfx_bytes(value: &JsValue) -> Result<Zeroizing<Vec<u8>>, JsValue> {
    let Some(binary) = read::binary(value).filter(|b| b.of_bytes) else {
        return Err(js_error("invalid_certificate", "The certificate must be the PFX file's bytes (Uint8Array or ArrayBuffer).", Some("certificate")));
    };
    if binary.len > MAX_PFX_BYTES {
        return Err(js_error(
            "certificate_too_large",
            &format!("The certificate file is larger than {} KB; a PFX file is a few KB. Choose the certificate's PFX (.pfx or .p12) file.", MAX_PFX_BYTES / 1024),
            Some("certificate"),
        ));
    }
    binary.to_vec().map(Zeroizing::new).ok_or_else(|| {
        js_error("unreadable_input", "The certificate's bytes could not be read (its ArrayBuffer was transferred or detached). Read the PFX file again.", Some("certificate"))
    })
}

fn inspect_options(options: JsValue) -> Result<InspectOptions, JsValue> {
    let number = |name: &str| -> Result<Option<f64>, JsValue> {
        if options.is_undefined() || options.is_null() {
            return Ok(None);
        }
        if !options.is_object() {
            return Err(js_error("invalid_options", "The options must be an object, e.g. { warnDays: 30 }.", None));
        }
        let value = Reflect::get(&options, &JsValue::from_str(name)).map_err(|_| {
            js_error("unreadable_input", &format!("options.{name} {UNREADABLE}"), None)
        })?;
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
