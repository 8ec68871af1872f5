//! The Identity Integration Setup: what an administrator enters, and its validation.
//!
//! Input arrives as arbitrary JSON (from a form, a config file, another language), so it is
//! read field by field from a [`serde_json::Value`]: every wrong type, unknown field or
//! unknown choice becomes an [`Issue`] naming the setting to change, never an error.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

use crate::code::ErrorCode;
use crate::environment::{AuthMethod, CprTestData, Environment, SectorType, AUTO_API_VERSION, DEFAULT_API_VERSION, ENVIRONMENTS};
use crate::issue::{Issue, Severity};
use crate::json_input::{describe_type, looks_like_a_field_name};
use crate::url::HttpUrl;

mod relay;
pub use relay::{RelayCredentials, RelayInput, RelaySetup};

pub use crate::json_input::MAX_TEXT_CHARS;
/// A PFX file larger than this is not a certificate.
pub const MAX_CERTIFICATE_BYTES: usize = 256 * 1024;

/// What kind of value a setup field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Switch,
    Text,
    Secret,
    Choice(&'static [&'static str]),
    Bytes,
    Endpoints,
    /// `{ url, headers?, credentials? }`: calls go to a `datafordeler-cpr/relay` instead.
    Relay,
}

/// One setup field: its JSON key and the label administrators know from the ERP setup page.
#[derive(Debug, Clone, Copy)]
pub struct SetupField {
    pub key: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
}

const ENVIRONMENT_KEYS: &[&str] = &["production", "test03", "test04", "test06"];
const SECTOR_KEYS: &[&str] = &["private", "public"];
const AUTH_KEYS: &[&str] = &["sharedSecret", "certificate"];

/// Every setup field, in the order of the setup page. The single source of the field list.
pub const SETUP_FIELDS: &[SetupField] = &[
    SetupField { key: "enabled", label: "Enable CPR No. Integration", kind: FieldKind::Switch },
    SetupField { key: "legacyMode", label: "CPR Legacy Mode", kind: FieldKind::Switch },
    SetupField { key: "environment", label: "CPR Environment", kind: FieldKind::Choice(ENVIRONMENT_KEYS) },
    SetupField { key: "sectorType", label: "CPR Sector Type", kind: FieldKind::Choice(SECTOR_KEYS) },
    SetupField { key: "authMethod", label: "CPR Authentication Method", kind: FieldKind::Choice(AUTH_KEYS) },
    SetupField { key: "clientId", label: "CPR Client ID", kind: FieldKind::Text },
    SetupField { key: "clientSecret", label: "CPR Client Secret", kind: FieldKind::Secret },
    SetupField { key: "certificatePassword", label: "Certificate Password", kind: FieldKind::Secret },
    SetupField { key: "certificate", label: "Upload Certificate", kind: FieldKind::Bytes },
    SetupField { key: "debugMode", label: "CPR Debug Mode", kind: FieldKind::Switch },
    SetupField { key: "apiVersion", label: "API Version", kind: FieldKind::Text },
    SetupField { key: "endpoints", label: "Endpoint overrides", kind: FieldKind::Endpoints },
    SetupField { key: "relay", label: "Relay", kind: FieldKind::Relay },
];

/// The keys accepted inside `endpoints`, each a full absolute URL.
pub const ENDPOINT_OVERRIDE_KEYS: &[&str] = &[
    "graphqlBaseUrl",
    "graphqlUrl",
    "schemaUrl",
    "sharedSecretTokenUrl",
    "certificateTokenUrl",
    "portalUrl",
];

/// A setup field as hosts see it (a setup page builds its form from this list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct SetupFieldInfo {
    pub key: String,
    pub label: String,
    /// `switch`, `text`, `secret`, `choice`, `bytes`, `endpoints` or `relay`.
    pub kind: String,
    /// The allowed values of a `choice`.
    pub choices: Vec<String>,
}

/// The setup field list, for hosts.
pub fn setup_field_table() -> Vec<SetupFieldInfo> {
    SETUP_FIELDS
        .iter()
        .map(|f| {
            let (kind, choices): (&str, &[&str]) = match f.kind {
                FieldKind::Switch => ("switch", &[]),
                FieldKind::Text => ("text", &[]),
                FieldKind::Secret => ("secret", &[]),
                FieldKind::Choice(values) => ("choice", values),
                FieldKind::Bytes => ("bytes", &[]),
                FieldKind::Endpoints => ("endpoints", &[]),
                FieldKind::Relay => ("relay", &[]),
            };
            SetupFieldInfo {
                key: f.key.to_string(),
                label: f.label.to_string(),
                kind: kind.to_string(),
                choices: choices.iter().map(|c| c.to_string()).collect(),
            }
        })
        .collect()
}

pub fn field(key: &str) -> Option<&'static SetupField> {
    SETUP_FIELDS.iter().find(|f| f.key == key)
}

fn label(key: &str) -> &'static str {
    field(key).map(|f| f.label).unwrap_or("Setup")
}

/// A secret value (client secret, certificate password). It never prints, serializes or
/// formats as its content; only [`Secret::expose`] gives it out, for the one place that sends it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(crate::redact::REDACTED)
    }
}

/// Endpoint overrides, for a relay, a proxy or the local emulator. Each is a full URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct EndpointOverrides {
    /// Replaces `https://<graphql host>`; the documented path `/CPR/custom/<Sector>/<version>` is appended.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub graphql_base_url: Option<String>,
    /// The whole GraphQL endpoint URL (wins over `graphqlBaseUrl`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub graphql_url: Option<String>,
    /// The schema download URL (default: the GraphQL URL + `/schema`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub schema_url: Option<String>,
    /// Token endpoint for the shared-secret method.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub shared_secret_token_url: Option<String>,
    /// Token endpoint for the certificate method (mutual TLS).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub certificate_token_url: Option<String>,
    /// Datafordeler Administration portal.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub portal_url: Option<String>,
}

/// The setup as a host passes it in (the TypeScript declaration of the input).
/// Validation does not trust this shape: see [`read_setup`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct SetupInput {
    /// Enable CPR No. Integration.
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub enabled: Option<bool>,
    /// CPR Legacy Mode: the retired REST services. Must be off for GraphQL.
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub legacy_mode: Option<bool>,
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub environment: Option<Environment>,
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub sector_type: Option<SectorType>,
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub auth_method: Option<AuthMethod>,
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub client_id: Option<String>,
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub client_secret: Option<String>,
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub certificate_password: Option<String>,
    /// The PFX (PKCS#12) file: bytes, or base64 text.
    #[cfg_attr(target_arch = "wasm32", tsify(optional, type = "Uint8Array | ArrayBuffer | number[] | string | null"))]
    pub certificate: Option<Value>,
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub debug_mode: Option<bool>,
    /// `auto` (the default: negotiate, see [`crate::environment::API_VERSIONS`]) or `v1`, `v2`, `v3`, ….
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub api_version: Option<String>,
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub endpoints: Option<EndpointOverrides>,
    /// Relay mode: look up through a `datafordeler-cpr/relay` instead of Datafordeleren
    /// (then no credential belongs here).
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub relay: Option<RelayInput>,
}

/// A setup whose values were read; fields with errors are `None`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Setup {
    pub enabled: bool,
    pub legacy_mode: bool,
    pub environment: Option<Environment>,
    pub sector_type: Option<SectorType>,
    pub auth_method: Option<AuthMethod>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub certificate_password: Option<Secret>,
    /// Size in bytes of the uploaded PFX file, if any. The library never needs the key itself:
    /// certificate calls are made by the host.
    pub certificate_bytes: Option<usize>,
    pub debug_mode: bool,
    /// The version segment of the GraphQL URL, with the default applied.
    pub api_version: Option<String>,
    pub endpoints: EndpointOverrides,
    /// Relay mode, when the setup names a relay.
    pub relay: Option<RelaySetup>,
}

/// The result of [`validate_setup`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct SetupReport {
    /// True when there is no issue of severity `error`.
    pub ok: bool,
    pub issues: Vec<Issue>,
}

/// Validate a setup given as any JSON value.
///
/// ```
/// use datafordeler_cpr::setup::validate_setup;
/// use serde_json::json;
///
/// let report = validate_setup(&json!({
///     "enabled": true, "environment": "test04", "sectorType": "private",
///     "authMethod": "sharedSecret", "clientId": "my-it-system", "clientSecret": "s3cret"
/// }));
/// assert!(report.ok, "{:?}", report.issues);
/// ```
pub fn validate_setup(input: &Value) -> SetupReport {
    let (_, issues) = read_setup(input);
    SetupReport {
        ok: !issues.iter().any(Issue::is_error),
        issues,
    }
}

/// Read a setup and collect every issue. The returned [`Setup`] holds what could be read.
pub fn read_setup(input: &Value) -> (Setup, Vec<Issue>) {
    let mut reader = Reader::default();
    let Some(map) = input.as_object() else {
        reader.error(
            "",
            ErrorCode::SetupNotObject,
            format!(
                "The setup must be an object with fields such as environment, sectorType and authMethod; got {}.",
                describe_type(input)
            ),
        );
        return (reader.setup, reader.issues);
    };
    reader.unknown_fields(map);
    reader.switches(map);
    // An empty text counts as no relay, as for every text field a form leaves empty.
    if Reader::present(map, "relay").is_some_and(|relay| !relay.as_str().is_some_and(|text| text.trim().is_empty())) {
        reader.relay_mode(map);
        return (reader.setup, reader.issues);
    }
    reader.choices(map);
    reader.credentials(map);
    reader.api_version(map);
    reader.endpoints(map);
    reader.advice();
    (reader.setup, reader.issues)
}

#[derive(Default)]
struct Reader {
    setup: Setup,
    issues: Vec<Issue>,
}

impl Reader {
    fn push(&mut self, field: &str, code: ErrorCode, severity: Severity, message: String) {
        self.issues.push(Issue::new(field, code, severity, message));
    }
    fn error(&mut self, field: &str, code: ErrorCode, message: String) {
        self.push(field, code, Severity::Error, message);
    }
    fn warning(&mut self, field: &str, code: ErrorCode, message: String) {
        self.push(field, code, Severity::Warning, message);
    }

    fn wrong_type(&mut self, key: &str, expected: &str, got: &Value) {
        self.error(
            key,
            ErrorCode::WrongType,
            format!("{} must be {expected}; got {}.", label(key), describe_type(got)),
        );
    }

    /// One warning per key that is not a setup field, for the first [`MAX_UNKNOWN_FIELD_WARNINGS`]
    /// of them, then one that counts the rest: a report stays readable (and its size bounded)
    /// whatever object is passed as a setup.
    fn unknown_fields(&mut self, map: &Map<String, Value>) {
        let mut unknown = map.keys().filter(|key| field(key).is_none());
        for key in unknown.by_ref().take(MAX_UNKNOWN_FIELD_WARNINGS) {
            // A key is named only when it could be a field name: anything else may be a value
            // pasted in the wrong place (a secret), which is never repeated.
            if !looks_like_a_field_name(key) {
                self.warning("", ErrorCode::UnknownField, "A key that is not a field name (not shown) is not a setup field and will be ignored.".to_string());
                continue;
            }
            let loose = normalize_key(key);
            let suggestion = SETUP_FIELDS
                .iter()
                .find(|f| normalize_key(f.key) == loose)
                .map(|f| format!(" Did you mean \"{}\"?", f.key))
                .unwrap_or_default();
            self.warning(key, ErrorCode::UnknownField, format!("\"{key}\" is not a setup field and will be ignored.{suggestion}"));
        }
        let more = unknown.count();
        if more > 0 {
            self.warning("", ErrorCode::UnknownField, format!("{more} more keys are not setup fields and will be ignored."));
        }
    }

    /// A present, non-null value of the field, or None.
    fn present<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
        map.get(key).filter(|v| !v.is_null())
    }

    fn switch(&mut self, map: &Map<String, Value>, key: &str) -> bool {
        match Self::present(map, key) {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                self.wrong_type(key, "true or false", other);
                false
            }
        }
    }

    fn switches(&mut self, map: &Map<String, Value>) {
        self.setup.enabled = self.switch(map, "enabled");
        self.setup.legacy_mode = self.switch(map, "legacyMode");
        self.setup.debug_mode = self.switch(map, "debugMode");
        if !self.setup.enabled && !self.issues.iter().any(|i| i.field == "enabled") {
            self.error(
                "enabled",
                ErrorCode::IntegrationDisabled,
                "The CPR integration is switched off. Turn on Enable CPR No. Integration.".into(),
            );
        }
        if self.setup.legacy_mode {
            self.error(
                "legacyMode",
                ErrorCode::LegacyModeOn,
                "CPR Legacy Mode uses the old CPR REST services, which Datafordeleren is retiring (end of 2026) \
                 and which this library does not call. Turn off CPR Legacy Mode to use Datafordeleren's GraphQL service."
                    .into(),
            );
        }
    }

    fn choice(&mut self, map: &Map<String, Value>, key: &str, allowed: &[&str]) -> Option<String> {
        let list = allowed.join(", ");
        match Self::present(map, key) {
            None => {
                self.error(key, ErrorCode::Required, format!("Choose a {}: one of {list}.", label(key)));
                None
            }
            Some(Value::String(s)) if allowed.contains(&s.as_str()) => Some(s.clone()),
            Some(Value::String(s)) => {
                let suggestion = allowed
                    .iter()
                    .find(|a| normalize_key(a) == normalize_key(s))
                    .map(|a| format!(" Did you mean \"{a}\"?"))
                    .unwrap_or_default();
                // The value is not repeated: administrators paste secrets into wrong fields.
                self.error(key, ErrorCode::UnknownValue, format!("This is not a known {}. Use one of {list}.{suggestion}", label(key)));
                None
            }
            Some(other) => {
                self.wrong_type(key, &format!("one of {list}"), other);
                None
            }
        }
    }

    fn choices(&mut self, map: &Map<String, Value>) {
        self.setup.environment = self
            .choice(map, "environment", ENVIRONMENT_KEYS)
            .and_then(|k| Environment::from_key(&k));
        self.setup.sector_type = self.choice(map, "sectorType", SECTOR_KEYS).map(|k| match k.as_str() {
            "public" => SectorType::Public,
            _ => SectorType::Private,
        });
        self.setup.auth_method = self.choice(map, "authMethod", AUTH_KEYS).map(|k| match k.as_str() {
            "certificate" => AuthMethod::Certificate,
            _ => AuthMethod::SharedSecret,
        });
    }

    /// A text field: type and length checked, surrounding whitespace warned about.
    /// The value itself never appears in a message (it may be a secret).
    fn text(&mut self, map: &Map<String, Value>, key: &str) -> Option<String> {
        match Self::present(map, key) {
            None => None,
            Some(Value::String(s)) if s.chars().count() > MAX_TEXT_CHARS => {
                self.error(
                    key,
                    ErrorCode::TooLong,
                    format!("{} is longer than {MAX_TEXT_CHARS} characters; copy the value again from Datafordeler Administration.", label(key)),
                );
                None
            }
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => {
                if s.trim() != s {
                    self.warning(
                        key,
                        ErrorCode::SurroundingWhitespace,
                        format!(
                            "{} starts or ends with spaces or line breaks, which Datafordeleren will treat as part of the value. \
                             Remove them (copying from the portal sometimes adds them).",
                            label(key)
                        ),
                    );
                }
                Some(s.clone())
            }
            Some(other) => {
                self.wrong_type(key, "text", other);
                None
            }
        }
    }

    fn credentials(&mut self, map: &Map<String, Value>) {
        self.setup.client_id = self.text(map, "clientId");
        self.setup.client_secret = self.text(map, "clientSecret").map(Secret);
        self.setup.certificate_password = self.text(map, "certificatePassword").map(Secret);
        self.setup.certificate_bytes = self.certificate(map);

        if self.setup.client_id.is_none() && !self.has_issue("clientId") {
            self.error(
                "clientId",
                ErrorCode::Required,
                "Enter the CPR Client ID of your IT-system's OAuth credential (Datafordeler Administration → your IT-system)."
                    .into(),
            );
        }
        match self.setup.auth_method {
            Some(AuthMethod::SharedSecret) => {
                if self.setup.client_secret.is_none() && !self.has_issue("clientSecret") {
                    self.error(
                        "clientSecret",
                        ErrorCode::Required,
                        "Enter the CPR Client Secret: the shared secret shown once when it was created under OAuth Shared Secret. \
                         If it was not saved, create a new one in Datafordeler Administration."
                            .into(),
                    );
                }
                for key in ["certificatePassword", "certificate"] {
                    if Self::present(map, key).is_some() {
                        self.ignored(key, "Shared Secret");
                    }
                }
            }
            Some(AuthMethod::Certificate) => {
                if self.setup.certificate_bytes.is_none() && !self.has_issue("certificate") {
                    self.error(
                        "certificate",
                        ErrorCode::CertificateMissing,
                        "Upload the certificate as a PFX (PKCS#12) file containing the private key: the one whose public part \
                         you uploaded under OAuth Certificate."
                            .into(),
                    );
                }
                if self.setup.certificate_password.is_none() && !self.has_issue("certificatePassword") {
                    self.warning(
                        "certificatePassword",
                        ErrorCode::PasswordMissing,
                        "No Certificate Password is set. PFX files are almost always password-protected; enter the password \
                         unless the file really has none."
                            .into(),
                    );
                }
                if Self::present(map, "clientSecret").is_some() {
                    self.ignored("clientSecret", "Certificate");
                }
            }
            None => {}
        }
    }

    fn ignored(&mut self, key: &str, method: &str) {
        self.warning(
            key,
            ErrorCode::IgnoredForMethod,
            format!(
                "{} is not used with the {method} authentication method and will be ignored. Clear it, or change CPR Authentication Method.",
                label(key)
            ),
        );
    }

    fn has_issue(&self, key: &str) -> bool {
        self.issues.iter().any(|i| i.field == key)
    }

    fn certificate(&mut self, map: &Map<String, Value>) -> Option<usize> {
        let value = Self::present(map, "certificate")?;
        let bytes = match value {
            Value::Array(items) => {
                if items.len() > MAX_CERTIFICATE_BYTES {
                    self.certificate_too_large();
                    return None;
                }
                let mut bytes = Vec::with_capacity(items.len());
                for item in items {
                    match item.as_u64().and_then(|n| u8::try_from(n).ok()) {
                        Some(b) => bytes.push(b),
                        None => {
                            self.wrong_type("certificate", "the bytes of a PFX file", value);
                            return None;
                        }
                    }
                }
                bytes
            }
            Value::String(text) => {
                if text.trim_start().starts_with("-----BEGIN") {
                    self.error(
                        "certificate",
                        ErrorCode::CertificateIsPem,
                        "This is a PEM file (the public part you upload to the Datafordeleren portal). Upload Certificate \
                         needs the PFX (PKCS#12) file with the private key."
                            .into(),
                    );
                    return None;
                }
                if text.len() > MAX_CERTIFICATE_BYTES * 4 / 3 + 4 {
                    self.certificate_too_large();
                    return None;
                }
                match base64_decoded_prefix(text) {
                    Some(bytes) => bytes,
                    None => {
                        self.wrong_type("certificate", "a PFX file (bytes, or base64 text)", value);
                        return None;
                    }
                }
            }
            other => {
                self.wrong_type("certificate", "a PFX file (bytes, or base64 text)", other);
                return None;
            }
        };
        if bytes.is_empty() {
            self.error("certificate", ErrorCode::CertificateEmpty, "The uploaded certificate file is empty. Choose the PFX file again.".into());
            return None;
        }
        // Every PKCS#12 file is a DER SEQUENCE, so it starts with 0x30.
        if bytes.first() != Some(&0x30) {
            self.error(
                "certificate",
                ErrorCode::CertificateNotPfx,
                "The uploaded file is not a PFX (PKCS#12) certificate. Export the certificate with its private key as .pfx or .p12."
                    .into(),
            );
            return None;
        }
        Some(bytes.len())
    }

    fn certificate_too_large(&mut self) {
        self.error(
            "certificate",
            ErrorCode::CertificateTooLarge,
            format!("The uploaded file is larger than {} KB, far more than a PFX certificate. Choose the right file.", MAX_CERTIFICATE_BYTES / 1024),
        );
    }

    fn api_version(&mut self, map: &Map<String, Value>) {
        let version = match Self::present(map, "apiVersion") {
            None => Some(DEFAULT_API_VERSION.to_string()),
            Some(Value::String(s)) if s.trim().is_empty() => Some(DEFAULT_API_VERSION.to_string()),
            Some(Value::String(s)) if s.trim() == AUTO_API_VERSION => Some(AUTO_API_VERSION.to_string()),
            Some(Value::String(s)) => {
                let v = s.trim();
                let digits = v.strip_prefix('v').unwrap_or("");
                if !digits.is_empty() && digits.len() <= 3 && digits.chars().all(|c| c.is_ascii_digit()) {
                    Some(v.to_string())
                } else {
                    self.error(
                        "apiVersion",
                        ErrorCode::InvalidApiVersion,
                        "API Version must be auto (try v3, then older versions) or look like v1, v2 or v3 (the last part of the GraphQL URL).".to_string(),
                    );
                    None
                }
            }
            Some(other) => {
                self.wrong_type("apiVersion", "text such as \"auto\" or \"v2\"", other);
                None
            }
        };
        self.setup.api_version = version;
    }

    fn endpoints(&mut self, map: &Map<String, Value>) {
        let Some(value) = Self::present(map, "endpoints") else {
            return;
        };
        let Some(overrides) = value.as_object() else {
            self.wrong_type("endpoints", "an object of URLs", value);
            return;
        };
        let mut result = EndpointOverrides::default();
        let mut unknown = 0usize;
        for (key, value) in overrides {
            let field_name = format!("endpoints.{key}");
            if !ENDPOINT_OVERRIDE_KEYS.contains(&key.as_str()) {
                // As for the setup's own keys: named only when it could be a field name, one by
                // one only for the first few.
                unknown += 1;
                if unknown > MAX_UNKNOWN_FIELD_WARNINGS {
                    continue;
                }
                let (field, named) = if looks_like_a_field_name(key) {
                    (field_name.as_str(), format!("\"{key}\""))
                } else {
                    ("endpoints", "A key that is not a field name (not shown)".to_string())
                };
                let known = ENDPOINT_OVERRIDE_KEYS.join(", ");
                self.warning(field, ErrorCode::UnknownField, format!("{named} is not an endpoint override and will be ignored. Known overrides: {known}."));
                continue;
            }
            let url = match value {
                Value::Null => continue,
                Value::String(s) if s.trim().is_empty() => continue,
                // Only what WHATWG URL parsing strips itself (C0 controls and spaces at either
                // end); anything else stays for the URL reader to judge.
                Value::String(s) => s.trim_matches(|c: char| c <= ' ').trim_end_matches('/').to_string(),
                other => {
                    self.error(&field_name, ErrorCode::WrongType, format!("The {key} override must be a URL as text; got {}.", describe_type(other)));
                    continue;
                }
            };
            let Some(url) = self.secure_url(&field_name, &format!("The {key} override"), &url) else {
                continue;
            };
            let slot = match key.as_str() {
                "graphqlBaseUrl" => &mut result.graphql_base_url,
                "graphqlUrl" => &mut result.graphql_url,
                "schemaUrl" => &mut result.schema_url,
                "sharedSecretTokenUrl" => &mut result.shared_secret_token_url,
                "certificateTokenUrl" => &mut result.certificate_token_url,
                _ => &mut result.portal_url,
            };
            *slot = Some(url);
        }
        if unknown > MAX_UNKNOWN_FIELD_WARNINGS {
            let more = unknown - MAX_UNKNOWN_FIELD_WARNINGS;
            self.warning("endpoints", ErrorCode::UnknownField, format!("{more} more keys are not endpoint overrides and will be ignored."));
        }
        self.setup.endpoints = result;
    }

    /// A URL the library will call (`what` names it in messages): https, or http to this
    /// computer only. Gives its normal form: the host the library checked is the host every
    /// later reader (the client, the host's fetch) finds in it.
    fn secure_url(&mut self, field: &str, what: &str, url: &str) -> Option<String> {
        let parsed = match HttpUrl::parse(url) {
            Err(e) => {
                self.error(field, ErrorCode::InvalidUrl, format!("{what} {e}."));
                return None;
            }
            Ok(parsed) => parsed,
        };
        if !parsed.is_https() && !parsed.is_loopback() {
            self.error(
                field,
                ErrorCode::InsecureUrl,
                format!(
                    "{what} uses http:// to {}, which is not this computer. Credentials and personal data \
                     must travel over https://; plain http is only allowed to this computer (localhost, 127.0.0.1, [::1]).",
                    parsed.host.serialize()
                ),
            );
            return None;
        }
        Some(parsed.href())
    }

    /// Advice that depends on several fields together.
    fn advice(&mut self) {
        if let Some(env) = self.setup.environment {
            let entry = env.entry();
            let main = ENVIRONMENTS.iter().find(|e| e.cpr_test_data == CprTestData::Main).map_or("Test 04", |e| e.label);
            match entry.cpr_test_data {
                CprTestData::Some => self.push(
                    "environment",
                    ErrorCode::LimitedCprTestData,
                    Severity::Info,
                    format!(
                        "{} holds some CPR test data, but it is meant for the registers' own tests; CPR's test persons are kept mainly in {main}: choose it for testing unless your test persons are in {}.",
                        entry.label, entry.label
                    ),
                ),
                CprTestData::None if env != Environment::Production => self.warning(
                    "environment",
                    ErrorCode::NoCprTestData,
                    format!("{} has no known CPR test data; lookups will likely find nobody. CPR's test persons are kept in {main}: choose it as CPR Environment for testing.", entry.label),
                ),
                _ => {}
            }
            if env == Environment::Production && self.setup.debug_mode {
                self.warning(
                    "debugMode",
                    ErrorCode::DebugInProduction,
                    "CPR Debug Mode is on in Production: every lookup writes its request and response, with real persons' data, \
                     to files. Turn it off as soon as the problem is found."
                        .into(),
                );
            }
        }
    }
}

/// Most keys reported one by one as not being setup fields.
const MAX_UNKNOWN_FIELD_WARNINGS: usize = 20;


/// Keys compared loosely for "did you mean" suggestions.
fn normalize_key(key: &str) -> String {
    key.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}


/// Decode standard base64 (padding and whitespace tolerated); None if the text is not base64.
fn base64_decoded_prefix(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0u32;
    for c in text.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' | b'\r' | b'\n' | b' ' | b'\t' => continue,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}
