//! The certificate check for JS (feature `certificate-inspection`): built only into the separate
//! wasm module in `pkg/cert`, which the setup page loads when a PFX file is chosen.

use serde::Deserialize;
use tsify::Ts;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

use super::args::Argument;
use super::read;
use super::value::{from_js, js_error, to_js};
use crate::code::ErrorCode;
use crate::certificate::{inspect_pfx, CertificateReport, InspectOptions, DEFAULT_WARN_DAYS, MAX_PFX_BYTES};

/// Options of `inspectCertificate`.
#[derive(Debug, Default, Deserialize, tsify::Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InspectCertificateOptions {
    /// "Now" in milliseconds since the epoch (default: the host's clock).
    #[tsify(optional)]
    pub now: Option<f64>,
    /// Warn this many days before the certificate expires (default 30).
    #[tsify(optional)]
    pub warn_days: Option<f64>,
}

const INSPECT_OPTIONS: Argument = Argument::new("options", ErrorCode::InvalidOptions);

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
            .ok_or_else(|| js_error(ErrorCode::NotText, "The Certificate Password must be given as text.", Some("certificatePassword")))?,
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
        return Err(js_error(ErrorCode::InvalidCertificate, "The certificate must be the PFX file's bytes (Uint8Array or ArrayBuffer).", Some("certificate")));
    };
    if binary.len > MAX_PFX_BYTES {
        return Err(js_error(
            ErrorCode::CertificateTooLarge,
            &format!("The certificate file is larger than {} KB; a PFX file is a few KB. Choose the certificate's PFX (.pfx or .p12) file.", MAX_PFX_BYTES / 1024),
            Some("certificate"),
        ));
    }
    binary.to_vec().map(Zeroizing::new).ok_or_else(|| {
        js_error(ErrorCode::UnreadableInput, "The certificate's bytes could not be read (its ArrayBuffer was transferred or detached). Read the PFX file again.", Some("certificate"))
    })
}

fn inspect_options(options: JsValue) -> Result<InspectOptions, JsValue> {
    let options: Option<InspectCertificateOptions> = from_js(&options, &INSPECT_OPTIONS)?;
    let options = options.unwrap_or_default();
    let finite = |name: &str, value: Option<f64>| match value {
        Some(n) if !(n.is_finite() && n.abs() < 1e15) => Err(js_error(ErrorCode::InvalidOptions, &format!("options.{name} must be a finite number."), None)),
        _ => Ok(value),
    };
    let now_ms = finite("now", options.now)?.unwrap_or_else(js_sys::Date::now);
    let warn_days = finite("warnDays", options.warn_days)?.map_or(DEFAULT_WARN_DAYS, |d| d.max(0.0) as i64);
    Ok(InspectOptions { now_unix_seconds: (now_ms / 1000.0).floor() as i64, warn_days })
}
