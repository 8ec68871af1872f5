//! Certificate check for the Certificate authentication method: does the password open the PFX
//! (PKCS#12) file, which certificate is in it, does it hold the private key, and when does it
//! expire. Compiled only with the `certificate-inspection` feature, into a separate wasm module,
//! so the core package does not carry the cryptography.
//!
//! Supported: OpenSSL 3's default PFX (PBES2 with AES-256-CBC and PBKDF2-HMAC-SHA256, SHA-256
//! MAC), other PBES2 files (AES-128/192/256-CBC, DES-EDE3-CBC; PBKDF2 with HMAC-SHA1/SHA-2), and
//! legacy files (`openssl pkcs12 -legacy`, older Windows exports: PKCS#12 PBE with 3DES or RC2,
//! SHA-1 MAC). Not supported (reported as `unsupported_encryption`): RC4, scrypt, PBMAC1,
//! public-key integrity/privacy modes and BER (indefinite-length) encodings.
//!
//! The password is never part of an error or a report. Decrypted private keys are only read for
//! their algorithm and are zeroized when dropped.
//!
//! ```no_run
//! # fn demo(pfx: &[u8]) -> Result<(), datafordeler_cpr::certificate::CertificateError> {
//! use datafordeler_cpr::certificate::{inspect_pfx, InspectOptions};
//! let report = inspect_pfx(pfx, "the export password", &InspectOptions::at(1_767_225_600))?;
//! println!("{} expires {}", report.certificate.subject, report.certificate.not_after);
//! # Ok(()) }
//! ```

use std::fmt::Write as _;

use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockCipher, BlockDecryptMut, BlockSizeUser, InnerIvInit, KeyInit};
use hmac::digest::{Digest, FixedOutputReset};
use hmac::{Mac, SimpleHmac};
use pkcs12::cert_type::CertBag;
use pkcs12::kdf::{derive_key, derive_key_utf8, Pkcs12KeyType};
use pkcs12::mac_data::MacData;
use pkcs12::pbe_params::{EncryptedPrivateKeyInfo, Pkcs12PbeParams};
use pkcs12::pfx::Pfx;
use pkcs12::safe_bag::SafeContents;
use serde::Serialize;
use thiserror::Error;
use x509_cert::der::asn1::{BmpString, ContextSpecific, ObjectIdentifier, OctetString, UintRef};
use x509_cert::der::oid::db::{rfc4519, rfc5912};
use x509_cert::der::{Any, Decode, Encode, Reader, SliceReader};
use x509_cert::ext::pkix::BasicConstraints;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use zeroize::Zeroizing;

use crate::code::{ErrorCode, DiagnosisCode};
use crate::issue::{Issue, Severity};

/// Largest PFX accepted. Real ones are a few KB (certificate, chain and key).
pub const MAX_PFX_BYTES: usize = 256 * 1024;
/// Most key-derivation iterations accepted: OpenSSL writes 2048, Windows 2000 to 10 000. The cap
/// keeps a hostile file from making the page compute for minutes.
pub const MAX_ITERATIONS: u32 = 2_000_000;
/// Default warning window before expiry.
pub const DEFAULT_WARN_DAYS: i64 = 30;
/// Nested safe-contents bags followed at most this deep.
const MAX_NESTING: usize = 4;

const SECONDS_PER_DAY: i64 = 86_400;

const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_ENCRYPTED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.6");
const ID_PBES2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.13");
const ID_PBMAC1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.14");
const ID_LOCAL_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.21");
const ID_FRIENDLY_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.20");
const ID_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const ID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const ID_SHA224: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.4");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const ID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
const ID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const ID_ED448: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.113");

/// Why a PFX file could not be inspected. `code()` is stable; messages never hold the password.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CertificateError {
    #[error("The certificate file is empty. Choose the PFX (.pfx or .p12) file exported with the private key.")]
    Empty,
    #[error("The certificate file is larger than {max_kb} KB; a PFX file is a few KB. Choose the certificate's PFX (.pfx or .p12) file.")]
    TooLarge { max_kb: usize },
    #[error("The file is not a PFX (PKCS#12) file{hint}. Export the certificate with its private key as a .pfx or .p12 file and choose that file.")]
    NotPkcs12 { hint: &'static str },
    #[error("The Certificate Password does not open this PFX file. Type the password that was set when the certificate was exported.")]
    WrongPassword,
    #[error("The PFX file uses {what}, which this check does not support. Export it again with current settings, e.g. `openssl pkcs12 -export` (AES-256, SHA-256).")]
    Unsupported { what: String },
    #[error("The PFX file holds no certificate. Export the certificate together with its private key.")]
    NoCertificate,
    #[error("The certificate in the PFX file cannot be read as an X.509 certificate. Export the certificate again.")]
    BadCertificate,
    #[error("The PFX file is damaged ({what}). Export the certificate again.")]
    Malformed { what: &'static str },
}

impl CertificateError {
    /// A stable, machine-readable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            CertificateError::Empty => ErrorCode::CertificateEmpty,
            CertificateError::TooLarge { .. } => ErrorCode::CertificateTooLarge,
            CertificateError::NotPkcs12 { .. } => ErrorCode::NotPkcs12,
            CertificateError::WrongPassword => ErrorCode::WrongPassword,
            CertificateError::Unsupported { .. } => ErrorCode::UnsupportedEncryption,
            CertificateError::NoCertificate => ErrorCode::NoCertificate,
            CertificateError::BadCertificate => ErrorCode::Diagnosis(DiagnosisCode::CertificateUnreadable),
            CertificateError::Malformed { .. } => ErrorCode::PfxMalformed,
        }
    }

    /// The setup field to change: the password for a wrong password, else the file.
    pub fn field(&self) -> &'static str {
        match self {
            CertificateError::WrongPassword => "certificatePassword",
            _ => "certificate",
        }
    }

    fn unsupported(what: impl Into<String>) -> Self {
        CertificateError::Unsupported { what: what.into() }
    }
}

/// When "now" is, and how early to warn about expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InspectOptions {
    /// Seconds since the Unix epoch (the host's clock).
    pub now_unix_seconds: i64,
    /// Warn this many days before the certificate expires.
    pub warn_days: i64,
}

impl InspectOptions {
    /// Options for the given time with the default warning window.
    pub fn at(now_unix_seconds: i64) -> Self {
        InspectOptions { now_unix_seconds, warn_days: DEFAULT_WARN_DAYS }
    }
}

/// Where the certificate stands on the inspection date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum CertificateValidity {
    Valid,
    /// Valid, but expires within the warning window.
    ExpiresSoon,
    Expired,
    NotYetValid,
}

/// One X.509 certificate, as an administrator compares it with the portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct CertificateInfo {
    /// RFC 4514, e.g. `CN=my-it-system,O=Company A/S`.
    pub subject: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub common_name: Option<String>,
    pub issuer: String,
    /// Hex bytes separated by colons.
    pub serial_number: String,
    /// ISO 8601, UTC.
    pub not_before: String,
    pub not_after: String,
    /// Whole days until `notAfter` (negative once expired).
    pub days_remaining: i64,
    pub validity: CertificateValidity,
    /// SHA-1 of the DER certificate, 40 uppercase hex digits: the "thumbprint" Windows and
    /// certificate portals show.
    pub sha1_thumbprint: String,
    /// SHA-256 of the DER certificate, uppercase hex bytes separated by colons.
    pub sha256_fingerprint: String,
    /// E.g. `RSA 2048 bit`, `EC P-256`.
    pub public_key: String,
    /// A CA certificate (basic constraints `cA`), not a client certificate.
    pub is_ca: bool,
    /// The PFX's friendly name for this certificate, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub friendly_name: Option<String>,
}

/// How the PFX file is protected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct PfxProtection {
    /// Encryption schemes found, e.g. `PBES2 AES-256-CBC, PBKDF2-HMAC-SHA256 (2048 iterations)`.
    pub encryption: Vec<String>,
    /// The integrity check, e.g. `HMAC-SHA256`; absent when the file has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub mac: Option<String>,
    /// Uses pre-2014 algorithms (3DES, RC2, SHA-1 MAC) that newer systems refuse by default.
    pub legacy: bool,
}

/// What a PFX file holds, checked with its password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct CertificateReport {
    /// True when the file can be used for the Certificate method (no issue of severity `error`).
    pub ok: bool,
    /// The client certificate: the one belonging to the private key.
    pub certificate: CertificateInfo,
    /// The other certificates in the file (usually the issuing CA chain).
    pub chain: Vec<CertificateInfo>,
    pub has_private_key: bool,
    /// The private key's algorithm, e.g. `RSA`, `EC`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub private_key_algorithm: Option<String>,
    pub protection: PfxProtection,
    /// Expiry warnings and anything else to act on.
    pub issues: Vec<Issue>,
}

/// Open a PFX file with its password and describe its certificate.
pub fn inspect_pfx(pfx: &[u8], password: &str, options: &InspectOptions) -> Result<CertificateReport, CertificateError> {
    if pfx.is_empty() {
        return Err(CertificateError::Empty);
    }
    if pfx.len() > MAX_PFX_BYTES {
        return Err(CertificateError::TooLarge { max_kb: MAX_PFX_BYTES / 1024 });
    }
    let parsed = Pfx::from_der(pfx).map_err(|_| not_pkcs12(pfx))?;
    if parsed.auth_safe.content_type != ID_DATA {
        return Err(CertificateError::unsupported("public-key integrity protection (signed PFX)"));
    }
    let auth_safe = octets(&parsed.auth_safe.content).ok_or(CertificateError::Malformed { what: "content" })?;

    let mut protection = PfxProtection { encryption: Vec::new(), mac: None, legacy: false };
    if let Some(mac) = &parsed.mac_data {
        let name = verify_mac(mac, &auth_safe, password)?;
        protection.legacy |= name == "HMAC-SHA1";
        protection.mac = Some(name);
    }

    let contents = Vec::<cms::content_info::ContentInfo>::from_der(&auth_safe)
        .map_err(|_| CertificateError::Malformed { what: "authenticated safe" })?;
    let mut found = Found::default();
    for info in &contents {
        let bags = if info.content_type == ID_DATA {
            let data = octets(&info.content).ok_or(CertificateError::Malformed { what: "safe contents" })?;
            SafeContents::from_der(&data).map_err(|_| CertificateError::Malformed { what: "safe contents" })?
        } else if info.content_type == ID_ENCRYPTED_DATA {
            let encrypted = info
                .content
                .decode_as::<cms::encrypted_data::EncryptedData>()
                .map_err(|_| CertificateError::Malformed { what: "encrypted data" })?;
            let enc = &encrypted.enc_content_info;
            let ciphertext = enc.encrypted_content.as_ref().ok_or(CertificateError::Malformed { what: "encrypted data" })?;
            let plain = decrypt(&enc.content_enc_alg, ciphertext.as_bytes(), password, &mut protection)?;
            // Without a MAC, a wrong password can pass the padding check by chance; the
            // contents then do not parse.
            SafeContents::from_der(&plain).map_err(|_| CertificateError::WrongPassword)?
        } else {
            return Err(CertificateError::unsupported("public-key privacy protection (enveloped data)"));
        };
        collect_bags(&bags, password, &mut protection, &mut found, 0)?;
    }

    report(found, protection, options)
}

/// A certificate bag's content and the attributes that pair it with a key.
struct FoundCertificate {
    der: Vec<u8>,
    local_key_id: Option<Vec<u8>>,
    friendly_name: Option<String>,
}

/// Certificates and keys found in the bags.
#[derive(Default)]
struct Found {
    certificates: Vec<FoundCertificate>,
    /// localKeyId of each private key, and its algorithm.
    keys: Vec<(Option<Vec<u8>>, String)>,
}

fn collect_bags(bags: &SafeContents, password: &str, protection: &mut PfxProtection, found: &mut Found, depth: usize) -> Result<(), CertificateError> {
    for bag in bags {
        let local_key_id = attribute(bag, ID_LOCAL_KEY_ID).and_then(|v| v.to_der().ok());
        if bag.bag_id == pkcs12::PKCS_12_CERT_BAG_OID {
            let cert = ContextSpecific::<CertBag>::from_der(&bag.bag_value).map_err(|_| CertificateError::Malformed { what: "certificate bag" })?;
            if cert.value.cert_id == pkcs12::PKCS_12_X509_CERT_OID {
                let friendly = attribute(bag, ID_FRIENDLY_NAME).and_then(|v| v.decode_as::<BmpString>().ok()).map(|s| s.to_string());
                found.certificates.push(FoundCertificate { der: cert.value.cert_value.as_bytes().to_vec(), local_key_id, friendly_name: friendly });
            }
        } else if bag.bag_id == pkcs12::PKCS_12_PKCS8_KEY_BAG_OID {
            let shrouded = ContextSpecific::<EncryptedPrivateKeyInfo>::from_der(&bag.bag_value)
                .map_err(|_| CertificateError::Malformed { what: "private key bag" })?;
            let key = decrypt(&shrouded.value.encryption_algorithm, shrouded.value.encrypted_data.as_bytes(), password, protection)?;
            let algorithm = private_key_algorithm(&key).ok_or(CertificateError::WrongPassword)?;
            found.keys.push((local_key_id, algorithm));
        } else if bag.bag_id == pkcs12::PKCS_12_KEY_BAG_OID {
            let key = ContextSpecific::<Any>::from_der(&bag.bag_value).map_err(|_| CertificateError::Malformed { what: "key bag" })?;
            let der = Zeroizing::new(key.value.to_der().map_err(|_| CertificateError::Malformed { what: "key bag" })?);
            let algorithm = private_key_algorithm(&der).ok_or(CertificateError::Malformed { what: "key bag" })?;
            found.keys.push((local_key_id, algorithm));
        } else if bag.bag_id == pkcs12::PKCS_12_SAFE_CONTENTS_BAG_OID && depth < MAX_NESTING {
            let nested = ContextSpecific::<SafeContents>::from_der(&bag.bag_value).map_err(|_| CertificateError::Malformed { what: "nested bag" })?;
            collect_bags(&nested.value, password, protection, found, depth + 1)?;
        }
        // CRL and secret bags say nothing about the client certificate.
    }
    Ok(())
}

fn attribute(bag: &pkcs12::safe_bag::SafeBag, oid: ObjectIdentifier) -> Option<&Any> {
    bag.bag_attributes.as_ref()?.iter().find(|a| a.oid == oid)?.values.iter().next()
}

fn report(found: Found, protection: PfxProtection, options: &InspectOptions) -> Result<CertificateReport, CertificateError> {
    let mut certificates = Vec::with_capacity(found.certificates.len());
    for found in &found.certificates {
        let cert = Certificate::from_der(&found.der).map_err(|_| CertificateError::BadCertificate)?;
        let mut info = describe(&cert, &found.der, options);
        info.friendly_name = found.friendly_name.clone();
        certificates.push((info, found.local_key_id.clone()));
    }
    // The client certificate is the one paired with the key; else the first that is no CA.
    let key_ids: Vec<&Vec<u8>> = found.keys.iter().filter_map(|(id, _)| id.as_ref()).collect();
    let leaf = certificates
        .iter()
        .position(|(_, id)| id.as_ref().is_some_and(|id| key_ids.contains(&id)))
        .or_else(|| certificates.iter().position(|(info, _)| !info.is_ca))
        .or(if certificates.is_empty() { None } else { Some(0) })
        .ok_or(CertificateError::NoCertificate)?;
    let (certificate, _) = certificates.remove(leaf);
    let chain: Vec<CertificateInfo> = certificates.into_iter().map(|(info, _)| info).collect();

    let mut issues = Vec::new();
    let day = |iso: &str| iso.get(..10).unwrap_or(iso).to_string();
    match certificate.validity {
        CertificateValidity::Expired => issues.push(Issue::new(
            "certificate",
            ErrorCode::CertificateExpired,
            Severity::Error,
            format!(
                "The certificate expired on {} ({} days ago). Datafordeleren rejects it: renew the certificate, register the new one on the IT system in Datafordeler Administration, and upload the new PFX here.",
                day(&certificate.not_after),
                -certificate.days_remaining
            ),
        )),
        CertificateValidity::NotYetValid => issues.push(Issue::new(
            "certificate",
            ErrorCode::CertificateNotYetValid,
            Severity::Error,
            format!("The certificate is valid only from {}. Check this computer's clock, or wait until then.", day(&certificate.not_before)),
        )),
        CertificateValidity::ExpiresSoon => issues.push(Issue::new(
            "certificate",
            ErrorCode::CertificateExpiresSoon,
            Severity::Warning,
            format!(
                "The certificate expires on {} (in {} day{}). Renew it now and register the new certificate on the IT system in Datafordeler Administration before then, or CPR lookups stop working.",
                day(&certificate.not_after),
                certificate.days_remaining,
                if certificate.days_remaining == 1 { "" } else { "s" }
            ),
        )),
        CertificateValidity::Valid => {}
    }
    if certificate.is_ca {
        issues.push(Issue::new(
            "certificate",
            ErrorCode::CertificateIsCa,
            Severity::Warning,
            "The certificate in the PFX file is a CA certificate, not a client certificate. Export the IT system's own certificate (the one registered in Datafordeler Administration).",
        ));
    }
    let private_key_algorithm = found.keys.first().map(|(_, algorithm)| algorithm.clone());
    if found.keys.is_empty() {
        issues.push(Issue::new(
            "certificate",
            ErrorCode::NoPrivateKey,
            Severity::Error,
            "The PFX file holds no private key, which the Certificate method needs. Export the certificate again with its private key (in Windows: \"Yes, export the private key\").",
        ));
    }
    if protection.legacy {
        issues.push(Issue::new(
            "certificate",
            ErrorCode::LegacyPfxEncryption,
            Severity::Info,
            "The PFX file uses legacy encryption (3DES/RC2 or a SHA-1 MAC). It opens here, but OpenSSL 3 and newer systems refuse it by default; export it again with AES-256 if a server host cannot load it.",
        ));
    }
    issues.push(Issue::new(
        "certificate",
        ErrorCode::CompareThumbprint,
        Severity::Info,
        "Compare the SHA-1 thumbprint with the certificate registered on the IT system in Datafordeler Administration: they must be the same.",
    ));
    Ok(CertificateReport {
        ok: !issues.iter().any(Issue::is_error),
        certificate,
        chain,
        has_private_key: !found.keys.is_empty(),
        private_key_algorithm,
        protection,
        issues,
    })
}

fn describe(cert: &Certificate, der: &[u8], options: &InspectOptions) -> CertificateInfo {
    let tbs = &cert.tbs_certificate;
    let not_before = unix_seconds(tbs.validity.not_before);
    let not_after = unix_seconds(tbs.validity.not_after);
    let now = options.now_unix_seconds;
    let days_remaining = (not_after - now).div_euclid(SECONDS_PER_DAY);
    let validity = if now < not_before {
        CertificateValidity::NotYetValid
    } else if now > not_after {
        CertificateValidity::Expired
    } else if not_after - now <= options.warn_days.saturating_mul(SECONDS_PER_DAY) {
        CertificateValidity::ExpiresSoon
    } else {
        CertificateValidity::Valid
    };
    let common_name = tbs
        .subject
        .0
        .iter()
        .rev()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == rfc4519::COMMON_NAME)
        .and_then(|atv| directory_string(&atv.value));
    let is_ca = tbs
        .extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == ID_BASIC_CONSTRAINTS)
        .and_then(|e| BasicConstraints::from_der(e.extn_value.as_bytes()).ok())
        .is_some_and(|b| b.ca);
    CertificateInfo {
        subject: distinguished_name(&tbs.subject),
        common_name,
        issuer: distinguished_name(&tbs.issuer),
        serial_number: hex(tbs.serial_number.as_bytes(), ":"),
        not_before: tbs.validity.not_before.to_date_time().to_string(),
        not_after: tbs.validity.not_after.to_date_time().to_string(),
        days_remaining,
        validity,
        sha1_thumbprint: hex(&sha1::Sha1::digest(der), ""),
        sha256_fingerprint: hex(&sha2::Sha256::digest(der), ":"),
        public_key: public_key_name(&tbs.subject_public_key_info),
        is_ca,
        friendly_name: None,
    }
}

fn unix_seconds(time: x509_cert::time::Time) -> i64 {
    i64::try_from(time.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
}

/// Attribute names for RFC 4514 text. A short table of its own: x509-cert's `Display` looks
/// names up in const-oid's whole OID database, which would add tens of KB to the wasm module.
const ATTRIBUTE_NAMES: &[(&str, &str)] = &[
    ("2.5.4.3", "CN"),
    ("2.5.4.4", "SN"),
    ("2.5.4.5", "SERIALNUMBER"),
    ("2.5.4.6", "C"),
    ("2.5.4.7", "L"),
    ("2.5.4.8", "ST"),
    ("2.5.4.9", "STREET"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.12", "T"),
    ("2.5.4.42", "GN"),
    ("2.5.4.97", "ORGANIZATIONIDENTIFIER"),
    ("1.2.840.113549.1.9.1", "E"),
    ("0.9.2342.19200300.100.1.1", "UID"),
    ("0.9.2342.19200300.100.1.25", "DC"),
];

/// A name as RFC 4514 text, most specific part first, e.g. `CN=my-it-system,O=Company ApS`.
fn distinguished_name(name: &x509_cert::name::Name) -> String {
    let mut out = String::new();
    for (i, rdn) in name.0.iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (j, atv) in rdn.0.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            let oid = atv.oid.to_string();
            let key = ATTRIBUTE_NAMES.iter().find(|(o, _)| *o == oid).map(|(_, k)| *k);
            match (key, directory_string(&atv.value)) {
                (Some(key), Some(value)) => {
                    out.push_str(key);
                    out.push('=');
                    escape_rfc4514(&value, &mut out);
                }
                // Unknown attributes and non-text values: the OID and the DER value in hex.
                _ => {
                    out.push_str(&oid);
                    out.push_str("=#");
                    out.push_str(&hex(&atv.value.to_der().unwrap_or_default(), "").to_ascii_lowercase());
                }
            }
        }
    }
    out
}

fn escape_rfc4514(value: &str, out: &mut String) {
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        match c {
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\0'..='\x1f' | '\x7f' => {
                let _ = write!(out, "\\{:02x}", c as u32);
            }
            _ => out.push(c),
        }
    }
}

/// The text of a name attribute: UTF8String, PrintableString, IA5String, TeletexString (read
/// as Latin-1, as certificates use it) or BMPString; None for other types.
fn directory_string(value: &Any) -> Option<String> {
    use x509_cert::der::{Tag, Tagged};
    match value.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::VisibleString => std::str::from_utf8(value.value()).ok().map(str::to_string),
        Tag::TeletexString => Some(value.value().iter().map(|&b| char::from(b)).collect()),
        Tag::BmpString => value.decode_as::<BmpString>().ok().map(|s| s.to_string()),
        _ => None,
    }
}

fn hex(bytes: &[u8], separator: &str) -> String {
    let mut out = String::with_capacity(bytes.len() * (2 + separator.len()));
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        let _ = write!(out, "{b:02X}");
    }
    out
}

fn public_key_name(spki: &x509_cert::spki::SubjectPublicKeyInfoOwned) -> String {
    let oid = spki.algorithm.oid;
    if oid == rfc5912::RSA_ENCRYPTION {
        let bits = spki.subject_public_key.as_bytes().and_then(rsa_modulus_bits);
        return bits.map_or_else(|| "RSA".to_string(), |bits| format!("RSA {bits} bit"));
    }
    if oid == rfc5912::ID_EC_PUBLIC_KEY {
        let curve = spki.algorithm.parameters.as_ref().and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        return match curve {
            Some(c) if c == rfc5912::SECP_256_R_1 => "EC P-256".to_string(),
            Some(c) if c == rfc5912::SECP_384_R_1 => "EC P-384".to_string(),
            Some(c) if c == rfc5912::SECP_521_R_1 => "EC P-521".to_string(),
            Some(c) => format!("EC {c}"),
            None => "EC".to_string(),
        };
    }
    algorithm_name(oid)
}

fn rsa_modulus_bits(key: &[u8]) -> Option<usize> {
    let mut reader = SliceReader::new(key).ok()?;
    let modulus = reader.sequence(|r| {
        let n: UintRef<'_> = r.decode()?;
        let _exponent: UintRef<'_> = r.decode()?;
        Ok(n.as_bytes().to_vec())
    });
    let modulus = modulus.ok()?;
    let first = *modulus.first()?;
    Some(modulus.len() * 8 - first.leading_zeros() as usize)
}

fn algorithm_name(oid: ObjectIdentifier) -> String {
    if oid == rfc5912::RSA_ENCRYPTION {
        "RSA".to_string()
    } else if oid == rfc5912::ID_EC_PUBLIC_KEY {
        "EC".to_string()
    } else if oid == ID_ED25519 {
        "Ed25519".to_string()
    } else if oid == ID_ED448 {
        "Ed448".to_string()
    } else {
        oid.to_string()
    }
}

/// The algorithm of a decrypted PKCS#8 private key, or None when the bytes are not one (which,
/// after decryption, means the password was wrong). The key itself is not read.
fn private_key_algorithm(key: &[u8]) -> Option<String> {
    let mut reader = SliceReader::new(key).ok()?;
    let algorithm = reader
        .sequence(|r| {
            let _version: UintRef<'_> = r.decode()?;
            let algorithm: AlgorithmIdentifierOwned = r.decode()?;
            let _key: OctetString = r.decode()?;
            // Attributes and the public key (PKCS#8 v2) may follow; they are not needed.
            while !r.is_finished() {
                let _ = r.decode::<Any>()?;
            }
            Ok(algorithm)
        })
        .ok()?;
    reader.is_finished().then(|| algorithm_name(algorithm.oid))
}

/// The content of a ContentInfo of type data: an OCTET STRING.
fn octets(content: &Any) -> Option<Vec<u8>> {
    content.decode_as::<OctetString>().ok().map(OctetString::into_bytes)
}

fn not_pkcs12(bytes: &[u8]) -> CertificateError {
    if bytes.starts_with(b"-----BEGIN") {
        CertificateError::NotPkcs12 { hint: " (it is PEM text: a .pem, .crt or .key file)" }
    } else if bytes.starts_with(&[0x30, 0x80]) {
        CertificateError::unsupported("BER encoding with indefinite lengths")
    } else {
        CertificateError::NotPkcs12 { hint: "" }
    }
}

fn check_iterations(iterations: i64) -> Result<i32, CertificateError> {
    if iterations < 1 {
        return Err(CertificateError::Malformed { what: "iteration count" });
    }
    if iterations > i64::from(MAX_ITERATIONS) {
        return Err(CertificateError::unsupported(format!("more than {MAX_ITERATIONS} key-derivation iterations")));
    }
    i32::try_from(iterations).map_err(|_| CertificateError::Malformed { what: "iteration count" })
}

/// Check the file's MAC with the password; a mismatch means a wrong password.
fn verify_mac(mac: &MacData, content: &[u8], password: &str) -> Result<String, CertificateError> {
    let oid = mac.mac.algorithm.oid;
    let iterations = check_iterations(i64::from(mac.iterations))?;
    let salt = mac.mac_salt.as_bytes();
    let expected = mac.mac.digest.as_bytes();
    let verified = if oid == ID_SHA1 {
        mac_matches::<sha1::Sha1>(password, salt, iterations, content, expected)?
    } else if oid == ID_SHA224 {
        mac_matches::<sha2::Sha224>(password, salt, iterations, content, expected)?
    } else if oid == ID_SHA256 {
        mac_matches::<sha2::Sha256>(password, salt, iterations, content, expected)?
    } else if oid == ID_SHA384 {
        mac_matches::<sha2::Sha384>(password, salt, iterations, content, expected)?
    } else if oid == ID_SHA512 {
        mac_matches::<sha2::Sha512>(password, salt, iterations, content, expected)?
    } else if oid == ID_PBMAC1 {
        return Err(CertificateError::unsupported("PBMAC1 integrity protection"));
    } else {
        return Err(CertificateError::unsupported(format!("the MAC algorithm {oid}")));
    };
    if !verified {
        return Err(CertificateError::WrongPassword);
    }
    Ok(mac_name(oid).to_string())
}

fn mac_name(oid: ObjectIdentifier) -> &'static str {
    match oid {
        o if o == ID_SHA1 => "HMAC-SHA1",
        o if o == ID_SHA224 => "HMAC-SHA224",
        o if o == ID_SHA256 => "HMAC-SHA256",
        o if o == ID_SHA384 => "HMAC-SHA384",
        _ => "HMAC-SHA512",
    }
}

fn mac_matches<D>(password: &str, salt: &[u8], iterations: i32, content: &[u8], expected: &[u8]) -> Result<bool, CertificateError>
where
    D: Digest + FixedOutputReset + hmac::digest::core_api::BlockSizeUser + Clone,
{
    let len = <D as Digest>::output_size();
    let key = Zeroizing::new(pkcs12_key::<D>(password, salt, Pkcs12KeyType::Mac, iterations, len)?);
    if hmac_verify::<D>(&key, content, expected) {
        return Ok(true);
    }
    // Some exporters (and OpenSSL for "no password") derive the MAC key from an empty byte
    // string rather than an empty BMPString.
    if password.is_empty() {
        let key = Zeroizing::new(derive_key::<D>(&[], salt, Pkcs12KeyType::Mac, iterations, len));
        return Ok(hmac_verify::<D>(&key, content, expected));
    }
    Ok(false)
}

fn hmac_verify<D>(key: &[u8], content: &[u8], expected: &[u8]) -> bool
where
    D: Digest + hmac::digest::core_api::BlockSizeUser,
{
    match <SimpleHmac<D> as KeyInit>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(content);
            mac.verify_slice(expected).is_ok()
        }
        Err(_) => false,
    }
}

/// PKCS#12's own key derivation (RFC 7292 appendix B) over the password as a BMPString.
fn pkcs12_key<D>(password: &str, salt: &[u8], id: Pkcs12KeyType, iterations: i32, len: usize) -> Result<Vec<u8>, CertificateError>
where
    D: Digest + FixedOutputReset + hmac::digest::core_api::BlockSizeUser,
{
    derive_key_utf8::<D>(password, salt, id, iterations, len)
        .map_err(|_| CertificateError::unsupported("a password with characters outside Unicode's Basic Multilingual Plane"))
}

/// Decrypt an encrypted content or key: PBES2 or PKCS#12's PBE schemes.
fn decrypt(algorithm: &AlgorithmIdentifierOwned, ciphertext: &[u8], password: &str, protection: &mut PfxProtection) -> Result<Zeroizing<Vec<u8>>, CertificateError> {
    let params = algorithm.parameters.as_ref().ok_or(CertificateError::Malformed { what: "encryption parameters" })?;
    let params_der = params.to_der().map_err(|_| CertificateError::Malformed { what: "encryption parameters" })?;
    if algorithm.oid == ID_PBES2 {
        let scheme = pkcs5::pbes2::Parameters::from_der(&params_der)
            .map_err(|_| CertificateError::unsupported("a PBES2 cipher or key derivation other than AES-CBC or 3DES with PBKDF2"))?;
        let pbkdf2 = match &scheme.kdf {
            pkcs5::pbes2::Kdf::Pbkdf2(p) => p,
            _ => return Err(CertificateError::unsupported("scrypt key derivation")),
        };
        check_iterations(i64::from(pbkdf2.iteration_count))?;
        note(protection, describe_pbes2(&scheme, pbkdf2), false);
        // PBES2 takes the password as UTF-8 bytes (PKCS#12's own schemes use a BMPString).
        let plain = scheme.decrypt(password.as_bytes(), ciphertext).map_err(|_| CertificateError::WrongPassword)?;
        return Ok(Zeroizing::new(plain));
    }
    let pbe = Pkcs12PbeParams::from_der(&params_der).map_err(|_| CertificateError::unsupported(format!("the encryption algorithm {}", algorithm.oid)))?;
    let iterations = check_iterations(i64::from(pbe.iterations))?;
    let salt = pbe.salt.as_bytes();
    let (name, plain) = if algorithm.oid == pkcs12::PKCS_12_PBE_WITH_SHAAND3_KEY_TRIPLE_DES_CBC {
        ("PKCS#12 PBE 3DES (SHA-1)", pbe_decrypt::<des::TdesEde3>(password, salt, iterations, 24, ciphertext)?)
    } else if algorithm.oid == pkcs12::PKCS_12_PBE_WITH_SHAAND2_KEY_TRIPLE_DES_CBC {
        ("PKCS#12 PBE 2-key 3DES (SHA-1)", pbe_decrypt::<des::TdesEde2>(password, salt, iterations, 16, ciphertext)?)
    } else if algorithm.oid == pkcs12::PKCS_12_PBE_WITH_SHAAND128_BIT_RC2_CBC {
        ("PKCS#12 PBE RC2-128 (SHA-1)", pbe_decrypt::<rc2::Rc2>(password, salt, iterations, 16, ciphertext)?)
    } else if algorithm.oid == pkcs12::PKCS_12_PBEWITH_SHAAND40_BIT_RC2_CBC {
        ("PKCS#12 PBE RC2-40 (SHA-1)", pbe_decrypt::<rc2::Rc2>(password, salt, iterations, 5, ciphertext)?)
    } else {
        return Err(CertificateError::unsupported(format!("the encryption algorithm {} (e.g. RC4)", algorithm.oid)));
    };
    note(protection, format!("{name}, {iterations} iterations"), true);
    Ok(plain)
}

fn note(protection: &mut PfxProtection, scheme: String, legacy: bool) {
    protection.legacy |= legacy;
    if !protection.encryption.contains(&scheme) {
        protection.encryption.push(scheme);
    }
}

fn describe_pbes2(scheme: &pkcs5::pbes2::Parameters<'_>, pbkdf2: &pkcs5::pbes2::Pbkdf2Params<'_>) -> String {
    use pkcs5::pbes2::{EncryptionScheme as E, Pbkdf2Prf as P};
    let cipher = match scheme.encryption {
        E::Aes128Cbc { .. } => "AES-128-CBC",
        E::Aes192Cbc { .. } => "AES-192-CBC",
        E::Aes256Cbc { .. } => "AES-256-CBC",
        E::DesEde3Cbc { .. } => "DES-EDE3-CBC",
        _ => "another cipher",
    };
    let prf = match pbkdf2.prf {
        P::HmacWithSha1 => "HMAC-SHA1",
        P::HmacWithSha224 => "HMAC-SHA224",
        P::HmacWithSha256 => "HMAC-SHA256",
        P::HmacWithSha384 => "HMAC-SHA384",
        P::HmacWithSha512 => "HMAC-SHA512",
        _ => "another PRF",
    };
    format!("PBES2 {cipher}, PBKDF2-{prf} ({} iterations)", pbkdf2.iteration_count)
}

/// PKCS#12 PBE: key and IV from the SHA-1 PKCS#12 KDF, then CBC with PKCS#7 padding.
fn pbe_decrypt<C>(password: &str, salt: &[u8], iterations: i32, key_len: usize, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CertificateError>
where
    C: BlockCipher + BlockDecryptMut + KeyInit + BlockSizeUser,
{
    let key = Zeroizing::new(pkcs12_key::<sha1::Sha1>(password, salt, Pkcs12KeyType::EncryptionKey, iterations, key_len)?);
    let iv = pkcs12_key::<sha1::Sha1>(password, salt, Pkcs12KeyType::Iv, iterations, C::block_size())?;
    let cipher = C::new_from_slice(&key).map_err(|_| CertificateError::Malformed { what: "key length" })?;
    let decryptor = cbc::Decryptor::<C>::inner_iv_slice_init(cipher, &iv).map_err(|_| CertificateError::Malformed { what: "IV length" })?;
    let mut buffer = Zeroizing::new(ciphertext.to_vec());
    let len = decryptor.decrypt_padded_mut::<Pkcs7>(&mut buffer).map_err(|_| CertificateError::WrongPassword)?.len();
    buffer.truncate(len);
    Ok(buffer)
}


#[cfg(test)]
mod tests {
    //! PFX files made by the `openssl` command in a temp directory (nothing committed, no real
    //! certificate): OpenSSL 3's default encryption, `-legacy`, no MAC, no key, EC keys.
    use super::*;
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};

    const PASSWORD: &str = "Test-Pfx-Password-1";
    const DAY: i64 = SECONDS_PER_DAY;

    struct Pki {
        dir: PathBuf,
    }

    impl Drop for Pki {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    fn now() -> i64 {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
    }

    fn openssl(dir: &Path, args: &[&str], password: &str) -> Vec<u8> {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .env("PFX_TEST_PASSWORD", password)
            .output()
            .expect("the openssl command is needed for the certificate tests");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    }

    impl Pki {
        /// A CA and a client certificate valid for `days` days from now.
        fn new(key: &str, days: &str) -> Pki {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!("cpr-certificate-test-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst)));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("openssl.cnf"), "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = placeholder\n").unwrap();
            std::fs::write(dir.join("leaf.ext"), "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n").unwrap();
            let newkey: &[&str] = if key == "ec" { &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] } else { &["-newkey", "rsa:2048"] };
            let pki = Pki { dir };
            let d = &pki.dir;
            let mut ca = vec!["req", "-config", "openssl.cnf", "-x509", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "3650"];
            ca.extend_from_slice(&["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]);
            ca.extend_from_slice(&["-subj", "/O=Test CA Org/CN=Test Issuing CA", "-addext", "basicConstraints=critical,CA:TRUE"]);
            openssl(d, &ca, "");
            let mut req = vec!["req", "-config", "openssl.cnf", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/O=Test Company ApS/CN=test-it-system"];
            req.extend_from_slice(newkey);
            openssl(d, &req, "");
            openssl(d, &["x509", "-req", "-in", "leaf.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial", "0x1234ABCD", "-days", days, "-sha256", "-extfile", "leaf.ext", "-out", "leaf.crt"], "");
            pki
        }

        fn pfx(&self, extra: &[&str], password: &str) -> Vec<u8> {
            // Tests share a PKI and run in parallel: one output file per call.
            static FILES: AtomicUsize = AtomicUsize::new(0);
            let out = format!("out-{}.pfx", FILES.fetch_add(1, Ordering::SeqCst));
            let mut args = vec!["pkcs12", "-export", "-inkey", "leaf.key", "-in", "leaf.crt", "-certfile", "ca.crt", "-name", "client", "-out", &out, "-passout", "env:PFX_TEST_PASSWORD"];
            args.extend_from_slice(extra);
            openssl(&self.dir, &args, password);
            std::fs::read(self.dir.join(&out)).unwrap()
        }

        fn fingerprint(&self, digest: &str) -> String {
            let out = String::from_utf8(openssl(&self.dir, &["x509", "-in", "leaf.crt", "-noout", "-fingerprint", digest], "")).unwrap();
            out.trim().split_once('=').unwrap().1.to_string()
        }
    }

    fn rsa_pki() -> &'static Pki {
        static PKI: std::sync::OnceLock<Pki> = std::sync::OnceLock::new();
        PKI.get_or_init(|| Pki::new("rsa", "400"))
    }

    fn inspect(pfx: &[u8], password: &str) -> Result<CertificateReport, CertificateError> {
        inspect_pfx(pfx, password, &InspectOptions::at(now()))
    }

    #[test]
    fn opens_openssl3_default_pfx_and_describes_the_client_certificate() {
        let pki = rsa_pki();
        let report = inspect(&pki.pfx(&[], PASSWORD), PASSWORD).unwrap();
        let cert = &report.certificate;
        assert_eq!(cert.subject, "CN=test-it-system,O=Test Company ApS");
        assert_eq!(cert.common_name.as_deref(), Some("test-it-system"));
        assert_eq!(cert.issuer, "CN=Test Issuing CA,O=Test CA Org");
        assert_eq!(cert.serial_number, "12:34:AB:CD");
        assert_eq!(cert.friendly_name.as_deref(), Some("client"));
        assert_eq!(cert.public_key, "RSA 2048 bit");
        assert!(!cert.is_ca);
        assert_eq!(cert.sha1_thumbprint, pki.fingerprint("-sha1").replace(':', ""));
        assert_eq!(cert.sha256_fingerprint, pki.fingerprint("-sha256"));
        assert_eq!(cert.validity, CertificateValidity::Valid);
        assert!((399..=400).contains(&cert.days_remaining), "{}", cert.days_remaining);
        assert!(cert.not_after.ends_with('Z') && cert.not_after.len() == 20, "{}", cert.not_after);
        assert!(report.has_private_key);
        assert_eq!(report.private_key_algorithm.as_deref(), Some("RSA"));
        assert_eq!(report.chain.len(), 1);
        assert!(report.chain[0].is_ca);
        assert_eq!(report.chain[0].subject, "CN=Test Issuing CA,O=Test CA Org");
        assert_eq!(report.protection.mac.as_deref(), Some("HMAC-SHA256"));
        assert_eq!(report.protection.encryption, vec!["PBES2 AES-256-CBC, PBKDF2-HMAC-SHA256 (2048 iterations)".to_string()]);
        assert!(!report.protection.legacy);
        assert!(report.ok);
        assert_eq!(report.issues.iter().map(|i| i.code.as_str()).collect::<Vec<_>>(), vec!["compare_thumbprint"]);
    }

    #[test]
    fn a_wrong_password_is_reported_without_repeating_it() {
        let pki = rsa_pki();
        for extra in [&[][..], &["-legacy"][..], &["-nomac"][..]] {
            let pfx = pki.pfx(extra, PASSWORD);
            for wrong in ["Test-Pfx-Password-2", "", "test-pfx-password-1"] {
                let error = inspect(&pfx, wrong).unwrap_err();
                assert_eq!(error, CertificateError::WrongPassword, "{extra:?} {wrong:?}");
                assert_eq!(error.code(), "wrong_password");
                assert_eq!(error.field(), "certificatePassword");
                let text = error.to_string();
                assert!(!text.contains(PASSWORD) && !text.contains(wrong) || wrong.is_empty(), "{text}");
            }
        }
    }

    #[test]
    fn opens_legacy_3des_rc2_files() {
        let pki = rsa_pki();
        let report = inspect(&pki.pfx(&["-legacy"], PASSWORD), PASSWORD).unwrap();
        assert_eq!(report.protection.mac.as_deref(), Some("HMAC-SHA1"));
        assert!(report.protection.legacy);
        let schemes = report.protection.encryption.join(" | ");
        assert!(schemes.contains("RC2-40") && schemes.contains("PKCS#12 PBE 3DES"), "{schemes}");
        assert!(report.has_private_key);
        assert_eq!(report.certificate.sha1_thumbprint, pki.fingerprint("-sha1").replace(':', ""));
        assert!(report.issues.iter().any(|i| i.code == "legacy_pfx_encryption" && i.severity == Severity::Info));
        assert!(report.ok);
    }

    #[test]
    fn opens_other_pbes2_and_mac_choices() {
        let pki = rsa_pki();
        let report = inspect(&pki.pfx(&["-keypbe", "DES-EDE3-CBC", "-certpbe", "AES-128-CBC", "-macalg", "sha512", "-iter", "1000"], PASSWORD), PASSWORD).unwrap();
        assert_eq!(report.protection.mac.as_deref(), Some("HMAC-SHA512"));
        let schemes = report.protection.encryption.join(" | ");
        assert!(schemes.contains("AES-128-CBC") && schemes.contains("DES-EDE3-CBC") && schemes.contains("1000 iterations"), "{schemes}");
        assert!(report.has_private_key);
        // No MAC: the password is checked by decrypting.
        let report = inspect(&pki.pfx(&["-nomac"], PASSWORD), PASSWORD).unwrap();
        assert_eq!(report.protection.mac, None);
        assert!(report.has_private_key);
    }

    #[test]
    fn passwords_are_unicode_and_may_be_empty() {
        let pki = rsa_pki();
        let password = "Blåbærgrød-æøå-ÆØÅ";
        let report = inspect(&pki.pfx(&[], password), password).unwrap();
        assert!(report.has_private_key);
        assert_eq!(inspect(&pki.pfx(&[], password), "Blabaergrod").unwrap_err(), CertificateError::WrongPassword);
        let report = inspect(&pki.pfx(&[], ""), "").unwrap();
        assert!(report.has_private_key);
        let report = inspect(&pki.pfx(&["-legacy"], ""), "").unwrap();
        assert!(report.has_private_key);
    }

    #[test]
    fn a_file_without_the_private_key_is_not_usable() {
        let pki = rsa_pki();
        let report = inspect(&pki.pfx(&["-nokeys"], PASSWORD), PASSWORD).unwrap();
        assert!(!report.has_private_key);
        assert!(!report.ok);
        // Without a key the client certificate is the one that is no CA.
        assert_eq!(report.certificate.common_name.as_deref(), Some("test-it-system"));
        let issue = report.issues.iter().find(|i| i.code == "no_private_key").unwrap();
        assert_eq!(issue.severity, Severity::Error);
        assert_eq!(issue.field, "certificate");
    }

    #[test]
    fn expiry_is_judged_against_the_given_time() {
        let pki = rsa_pki();
        let pfx = pki.pfx(&[], PASSWORD);
        let at = |t: i64| inspect_pfx(&pfx, PASSWORD, &InspectOptions::at(t)).unwrap();

        let soon = at(now() + 380 * DAY);
        assert_eq!(soon.certificate.validity, CertificateValidity::ExpiresSoon);
        assert!((19..=20).contains(&soon.certificate.days_remaining));
        let issue = soon.issues.iter().find(|i| i.code == "certificate_expires_soon").unwrap();
        assert_eq!(issue.severity, Severity::Warning);
        assert!(issue.message.contains(&soon.certificate.not_after[..10]), "{}", issue.message);
        assert!(soon.ok, "a warning still lets the certificate work");

        let expired = at(now() + 401 * DAY);
        assert_eq!(expired.certificate.validity, CertificateValidity::Expired);
        assert!(expired.certificate.days_remaining < 0);
        assert!(expired.issues.iter().any(|i| i.code == "certificate_expired" && i.severity == Severity::Error));
        assert!(!expired.ok);

        let early = at(now() - 2 * DAY);
        assert_eq!(early.certificate.validity, CertificateValidity::NotYetValid);
        assert!(early.issues.iter().any(|i| i.code == "certificate_not_yet_valid"));

        let custom = inspect_pfx(&pfx, PASSWORD, &InspectOptions { now_unix_seconds: now() + 300 * DAY, warn_days: 120 }).unwrap();
        assert_eq!(custom.certificate.validity, CertificateValidity::ExpiresSoon);
    }

    #[test]
    fn a_short_lived_ec_certificate_warns_now() {
        // Like the emulator's test certificate: EC P-256, valid for 7 days.
        let pki = Pki::new("ec", "7");
        let report = inspect(&pki.pfx(&[], PASSWORD), PASSWORD).unwrap();
        assert_eq!(report.certificate.public_key, "EC P-256");
        assert_eq!(report.private_key_algorithm.as_deref(), Some("EC"));
        assert_eq!(report.certificate.validity, CertificateValidity::ExpiresSoon);
        assert!(report.issues.iter().any(|i| i.code == "certificate_expires_soon"));
    }

    #[test]
    fn other_files_are_refused_with_a_reason() {
        let pki = rsa_pki();
        assert_eq!(inspect(&[], PASSWORD).unwrap_err().code(), "certificate_empty");
        assert_eq!(inspect(&vec![0x30; MAX_PFX_BYTES + 1], PASSWORD).unwrap_err().code(), "certificate_too_large");
        let pem = std::fs::read(pki.dir.join("leaf.crt")).unwrap();
        let error = inspect(&pem, PASSWORD).unwrap_err();
        assert_eq!(error.code(), "not_pkcs12");
        assert!(error.to_string().contains("PEM"));
        assert_eq!(inspect(b"not a certificate at all", PASSWORD).unwrap_err().code(), "not_pkcs12");
        let pfx = pki.pfx(&[], PASSWORD);
        for cut in [1, 10, pfx.len() / 2, pfx.len() - 1] {
            assert_eq!(inspect(&pfx[..cut], PASSWORD).unwrap_err().code(), "not_pkcs12", "cut at {cut}");
        }
        assert_eq!(inspect(&[0x30, 0x80, 0, 0], PASSWORD).unwrap_err().code(), "unsupported_encryption");
    }

    #[test]
    fn damaged_or_hostile_files_never_panic() {
        let pki = rsa_pki();
        let pfx = pki.pfx(&["-iter", "1", "-maciter"], PASSWORD);
        // Flip every byte in turn (one at a time): each result is a report or a coded error.
        for i in 0..pfx.len() {
            let mut bad = pfx.clone();
            bad[i] ^= 0x5A;
            match inspect(&bad, PASSWORD) {
                Ok(report) => assert!(!report.certificate.subject.is_empty()),
                Err(e) => assert!(!e.code().as_str().is_empty()),
            }
        }
    }

    #[test]
    fn names_are_rfc4514_text_with_escapes_and_danish_letters() {
        use std::str::FromStr;
        let name = x509_cert::name::Name::from_str("CN=Ærø\\, Test+UID=42,O=Blåbær ApS,C=DK").unwrap();
        // A multi-valued RDN is a DER SET: its values come out in DER order.
        assert_eq!(distinguished_name(&name), "UID=42+CN=Ærø\\, Test,O=Blåbær ApS,C=DK");
        let mut out = String::new();
        escape_rfc4514("#lead and trail ", &mut out);
        assert_eq!(out, "\\#lead and trail\\ ");
    }

    #[test]
    fn iteration_counts_are_capped() {
        assert!(check_iterations(i64::from(MAX_ITERATIONS)).is_ok());
        assert_eq!(check_iterations(i64::from(MAX_ITERATIONS) + 1).unwrap_err().code(), "unsupported_encryption");
        assert_eq!(check_iterations(0).unwrap_err().code(), "pfx_malformed");
    }
}
