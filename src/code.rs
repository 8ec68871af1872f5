//! The codes hosts match on, as Rust enums: [`DiagnosisCode`] (one variant per catalogue
//! entry, so the catalogue cannot miss one: its lookup is an exhaustive match) and [`ErrorCode`]
//! (every code of an error or an issue). A code in the library's own source cannot be misspelt,
//! and each text is written once: a code that is both (an invalid CPR number, a malformed
//! answer) is a diagnosis code, which an error carries as `ErrorCode::Diagnosis`.
//!
//! Each enum has one table of texts, used by `as_str`, `Serialize`, `FromStr` and, for
//! `ErrorCode`, by the TypeScript union the package declares.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares a code enum and its text table in one place: the variants and the texts hosts match
/// on cannot drift apart. `as_str`, `Serialize`, `Deserialize`/`FromStr` and the TypeScript
/// union (`TYPESCRIPT`, emitted into the package's declarations) all read the one table, which is
/// also smaller than a derived serializer with its own string table. `wrapping` adds a variant
/// holding another code enum, whose texts (and only its) then belong to this enum too.
macro_rules! code_table {
    (
        $(#[$meta:meta])*
        pub enum $name:ident $(wrapping $(#[$wrap_doc:meta])* $wrap_variant:ident($wrap_ty:ident))? {
            $($(#[$doc:meta])* $variant:ident => $text:literal,)+
        }
        unknown: $unknown:ident;
        typescript: $ts_doc:literal;
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$wrap_doc])* $wrap_variant($wrap_ty),)?
            $($(#[$doc])* $variant,)+
        }

        impl $name {
            /// The codes of this table, in table order.
            pub const OWN: &'static [$name] = &[$($name::$variant,)+];

            /// The code as hosts see it, e.g. `"invalid_options"`.
            pub fn as_str(self) -> &'static str {
                // The table's texts as one string and where each ends: a few bytes per code,
                // where a `match` returning each text compiles to a jump table of constants.
                const TEXTS: &str = concat!($($text,)+);
                const ENDS: [u16; $name::OWN.len()] = {
                    let lengths = [$($text.len(),)+];
                    let mut ends = [0u16; $name::OWN.len()];
                    let mut i = 0;
                    let mut end = 0;
                    while i < lengths.len() {
                        end += lengths[i];
                        ends[i] = end as u16;
                        i += 1;
                    }
                    ends
                };
                $(if let $name::$wrap_variant(code) = self {
                    return code.as_str();
                })?
                let i = $name::OWN.iter().position(|code| *code == self).unwrap_or(0);
                let start = i.checked_sub(1).and_then(|before| ENDS.get(before)).map_or(0, |end| *end as usize);
                let end = ENDS.get(i).map_or(0, |end| *end as usize);
                TEXTS.get(start..end).unwrap_or_default()
            }

            /// Every code, the wrapped enum's first.
            pub fn all() -> impl Iterator<Item = $name> {
                let own = $name::OWN.iter().copied();
                $(let own = $wrap_ty::OWN.iter().map(|code| $name::$wrap_variant(*code)).chain(own);)?
                own
            }

            /// The TypeScript declaration of the union of every code's text.
            pub const TYPESCRIPT: &'static str = concat!(
                "\n/** ", $ts_doc, " */\nexport type ", stringify!($name), " =",
                $("\n    | ", stringify!($wrap_ty),)?
                $("\n    | \"", $text, "\"",)+
                ";\n"
            );
        }

        impl FromStr for $name {
            type Err = $unknown;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                $(if let Ok(code) = text.parse::<$wrap_ty>() {
                    return Ok($name::$wrap_variant(code));
                })?
                $name::OWN.iter().copied().find(|code| code.as_str() == text).ok_or($unknown)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        /// Reads a code back from its text; unknown text is an error, never a fallback code.
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }

        /// Lets tests and callers compare a code with its text directly.
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.as_str()
            }
        }

        #[cfg(target_arch = "wasm32")]
        const _: () = {
            #[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
            const TYPESCRIPT: &'static str = $name::TYPESCRIPT;
        };
    };
}

code_table! {
    /// A stable diagnosis code. Hosts match on its text, which never changes: new failures get
    /// new codes.
    pub enum DiagnosisCode {
    TokenInvalidClient => "token_invalid_client",
    TokenUnauthorized => "token_unauthorized",
    TokenBadRequest => "token_bad_request",
    CertificateRejected => "certificate_rejected",
    CertificateUnreadable => "certificate_unreadable",
    InvalidToken => "invalid_token",
    IpNotAllowlisted => "ip_not_allowlisted",
    GatewayAuthTransient => "gateway_auth_transient",
    MissingAuthentication => "missing_authentication",
    ApiKeyAndToken => "api_key_and_token",
    NotEntitled => "not_entitled",
    GraphqlUnauthorized => "graphql_unauthorized",
    RequiredFieldsMissing => "required_fields_missing",
    AliasesNotAllowed => "aliases_not_allowed",
    QueryRejected => "query_rejected",
    GraphqlErrors => "graphql_errors",
    PersonNotFound => "person_not_found",
    AmbiguousResult => "ambiguous_result",
    PartialData => "partial_data",
    UnexpectedResponseShape => "unexpected_response_shape",
    EndpointNotFound => "endpoint_not_found",
    RateLimited => "rate_limited",
    ServerError => "server_error",
    ConnectionRefused => "connection_refused",
    ConnectionReset => "connection_reset",
    Timeout => "timeout",
    DnsFailure => "dns_failure",
    TlsFailure => "tls_failure",
    BrowserFetchFailed => "browser_fetch_failed",
    NetworkError => "network_error",
    Cancelled => "cancelled",
    MalformedResponse => "malformed_response",
    TokenMissing => "token_missing",
    InvalidCprNumber => "invalid_cpr_number",
    ResponseTooLarge => "response_too_large",
    UnexpectedStatus => "unexpected_status",
    NoFailure => "no_failure",
    Unauthorized => "unauthorized",
    OriginNotAllowed => "origin_not_allowed",
    RelayRateLimited => "relay_rate_limited",
    RelayBatchTooLarge => "relay_batch_too_large",
    RelayClosing => "relay_closing",
    RelayNotFound => "relay_not_found",
    RelayRefused => "relay_refused",
    RelayUnreachable => "relay_unreachable",
    }
    unknown: UnknownDiagnosisCode;
    typescript: "A stable diagnosis code: what went wrong, one per entry of the diagnosis catalogue.";
}

/// A text that is not a diagnosis code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a diagnosis code; use one of the codes of the diagnosis catalogue, such as \"timeout\"")]
pub struct UnknownDiagnosisCode;

code_table! {
    /// The code of an error the library throws (a `CprError`'s `code`) or of an issue it reports
    /// (a setup, CPR number, schema, certificate or merge issue; an issue that is an error can be
    /// thrown as one). Hosts match on its text, which never changes.
    pub enum ErrorCode wrapping
        /// A code of the diagnosis catalogue: a failed call, or an argument the catalogue
        /// explains (an invalid CPR number, an answer that cannot be read).
        Diagnosis(DiagnosisCode)
    {
        Address2Kept => "address2_kept",
        AddressAbroad => "address_abroad",
        AddressMissing => "address_missing",
        AddressWithheld => "address_withheld",
        /// A lookup's notice: the newest API version is not offered and an older one answered.
        ApiVersionFallback => "api_version_fallback",
        BatchNotSupported => "batch_not_supported",
        BatchTooLarge => "batch_too_large",
        CertificateEmpty => "certificate_empty",
        CertificateExpired => "certificate_expired",
        CertificateExpiresSoon => "certificate_expires_soon",
        CertificateIsCa => "certificate_is_ca",
        CertificateIsPem => "certificate_is_pem",
        CertificateMissing => "certificate_missing",
        /// Thrown by a client in a browser whose setup uses the Certificate method without a `fetch` of its own.
        CertificateNeedsServerHost => "certificate_needs_server_host",
        CertificateNotPfx => "certificate_not_pfx",
        CertificateNotYetValid => "certificate_not_yet_valid",
        CertificateTooLarge => "certificate_too_large",
        CompareThumbprint => "compare_thumbprint",
        ContactAddress => "contact_address",
        CprNumberInactive => "cpr_number_inactive",
        DebugInProduction => "debug_in_production",
        DuplicateCprNumber => "duplicate_cpr_number",
        Empty => "empty",
        EndpointsAtRelay => "endpoints_at_relay",
        FieldMissing => "field_missing",
        FieldTypeChanged => "field_type_changed",
        FilterEqOnly => "filter_eq_only",
        FilterNotFound => "filter_not_found",
        GroupNotAvailable => "group_not_available",
        IgnoredForMethod => "ignored_for_method",
        IgnoredInRelayMode => "ignored_in_relay_mode",
        /// Thrown by `init()` of `datafordeler-cpr/init` when the wasm module cannot be loaded (its `cause` says why).
        InitFailed => "init_failed",
        InputTooDeep => "input_too_deep",
        InputTooLarge => "input_too_large",
        InsecureUrl => "insecure_url",
        IntegrationDisabled => "integration_disabled",
        InternalError => "internal_error",
        InvalidApiVersion => "invalid_api_version",
        InvalidCertificate => "invalid_certificate",
        InvalidCharacters => "invalid_characters",
        InvalidCprNumbers => "invalid_cpr_numbers",
        InvalidDate => "invalid_date",
        /// Thrown by `writeDebugCaptures` (`datafordeler-cpr/node`) for a directory it cannot use.
        InvalidDirectory => "invalid_directory",
        InvalidFailure => "invalid_failure",
        InvalidFieldMap => "invalid_field_map",
        InvalidFields => "invalid_fields",
        InvalidHost => "invalid_host",
        InvalidInput => "invalid_input",
        InvalidItems => "invalid_items",
        InvalidJson => "invalid_json",
        InvalidMaxBatch => "invalid_max_batch",
        InvalidMergeOptions => "invalid_merge_options",
        InvalidMonth => "invalid_month",
        InvalidOptions => "invalid_options",
        InvalidPerson => "invalid_person",
        InvalidPolicies => "invalid_policies",
        InvalidRecord => "invalid_record",
        InvalidSchema => "invalid_schema",
        InvalidSectorType => "invalid_sector_type",
        InvalidUrl => "invalid_url",
        KeptByPolicy => "kept_by_policy",
        LegacyModeOn => "legacy_mode_on",
        LegacyPfxEncryption => "legacy_pfx_encryption",
        LimitedCprTestData => "limited_cpr_test_data",
        MarketingProtected => "marketing_protected",
        MisplacedHyphen => "misplaced_hyphen",
        Modulus11Failed => "modulus11_failed",
        NameAndAddressProtected => "name_and_address_protected",
        NameMissing => "name_missing",
        NameWithheld => "name_withheld",
        NoCertificate => "no_certificate",
        NoCprNumbers => "no_cpr_numbers",
        NoCprTestData => "no_cpr_test_data",
        NoPrivateKey => "no_private_key",
        NodesMissing => "nodes_missing",
        NonAsciiDigits => "non_ascii_digits",
        /// Thrown by `datafordeler-cpr/init` (browsers) for a call before `await init()` has resolved.
        NotInitialised => "not_initialised",
        NotPkcs12 => "not_pkcs12",
        NotText => "not_text",
        PasswordMissing => "password_missing",
        PersonDeceased => "person_deceased",
        PersonDisappeared => "person_disappeared",
        PersonEmigrated => "person_emigrated",
        PfxMalformed => "pfx_malformed",
        QueryTypeMissing => "query_type_missing",
        RelayWithSecret => "relay_with_secret",
        Required => "required",
        RequiredArgumentUnknown => "required_argument_unknown",
        RequiredFieldMissing => "required_field_missing",
        ResponseTooDeep => "response_too_deep",
        RootFieldMissing => "root_field_missing",
        RootFieldRenamed => "root_field_renamed",
        /// A notice: the service's schema could not be fetched; queries follow the bundled model.
        SchemaBundled => "schema_bundled",
        SchemaEmpty => "schema_empty",
        SchemaNotSdl => "schema_not_sdl",
        SchemaSyntax => "schema_syntax",
        SchemaTooLarge => "schema_too_large",
        SchemaUnusable => "schema_unusable",
        SetupNotObject => "setup_not_object",
        SurroundingWhitespace => "surrounding_whitespace",
        TooLong => "too_long",
        UnderGuardianship => "under_guardianship",
        UnknownField => "unknown_field",
        UnknownStatus => "unknown_status",
        UnknownValue => "unknown_value",
        UnreadableInput => "unreadable_input",
        UnsupportedEncryption => "unsupported_encryption",
        UnsupportedValue => "unsupported_value",
        WrongLength => "wrong_length",
        WrongPassword => "wrong_password",
        WrongSectorSchema => "wrong_sector_schema",
        WrongType => "wrong_type",
    }
    unknown: UnknownErrorCode;
    typescript: "The code of a `CprError` or an `Issue`: a diagnosis code (a failed call) or the library's own code for an unusable setup or argument. Each text is stable.";
}

/// A text that is not an error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not an error code")]
pub struct UnknownErrorCode;

impl From<DiagnosisCode> for ErrorCode {
    fn from(code: DiagnosisCode) -> Self {
        ErrorCode::Diagnosis(code)
    }
}

impl ErrorCode {
    /// The diagnosis code this is, if it is one.
    pub fn diagnosis(self) -> Option<DiagnosisCode> {
        match self {
            ErrorCode::Diagnosis(code) => Some(code),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The codes as they were when they were still plain text: hosts match on these, so the
    /// list is written out here rather than derived from the enum.
    const PUBLISHED: &[&str] = &[
        "token_invalid_client", "token_unauthorized", "token_bad_request", "certificate_rejected",
        "certificate_unreadable", "invalid_token", "ip_not_allowlisted", "gateway_auth_transient",
        "missing_authentication", "api_key_and_token", "not_entitled", "graphql_unauthorized",
        "required_fields_missing", "aliases_not_allowed", "query_rejected", "graphql_errors",
        "person_not_found", "ambiguous_result", "partial_data", "unexpected_response_shape",
        "endpoint_not_found", "rate_limited", "server_error", "connection_refused", "connection_reset",
        "timeout", "dns_failure", "tls_failure", "browser_fetch_failed", "network_error", "cancelled",
        "malformed_response", "token_missing", "invalid_cpr_number", "response_too_large", "unexpected_status",
        "no_failure", "unauthorized", "origin_not_allowed", "relay_rate_limited", "relay_batch_too_large",
        "relay_closing", "relay_not_found", "relay_refused", "relay_unreachable",
    ];

    #[test]
    fn every_code_serializes_to_its_published_text() {
        let serialized: Vec<String> = DiagnosisCode::OWN
            .iter()
            .map(|code| serde_json::to_value(code).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default())
            .collect();
        assert_eq!(serialized, PUBLISHED);
    }

    /// The quoted texts of a generated TypeScript union, and the other types it names.
    fn union_members(typescript: &str) -> (Vec<&str>, Vec<&str>) {
        let union = typescript.split_once(" =").map(|(_, u)| u).unwrap_or_default().trim().trim_end_matches(';');
        let members: Vec<&str> = union.split('|').map(str::trim).filter(|m| !m.is_empty()).collect();
        let texts = members.iter().filter_map(|m| m.strip_prefix('"')?.strip_suffix('"')).collect();
        let types = members.iter().copied().filter(|m| !m.starts_with('"')).collect();
        (texts, types)
    }

    /// The declarations hosts compile against list exactly the codes the module sends.
    #[test]
    fn the_typescript_unions_list_exactly_the_codes() {
        let (texts, types) = union_members(DiagnosisCode::TYPESCRIPT);
        assert_eq!(texts, PUBLISHED);
        assert!(types.is_empty());
        assert!(DiagnosisCode::TYPESCRIPT.contains("export type DiagnosisCode ="));

        let (own, types) = union_members(ErrorCode::TYPESCRIPT);
        assert!(ErrorCode::TYPESCRIPT.contains("export type ErrorCode ="));
        assert_eq!(types, ["DiagnosisCode"]);
        let mut declared: Vec<&str> = texts.iter().chain(own.iter()).copied().collect();
        let mut walked: Vec<&str> = ErrorCode::all().map(ErrorCode::as_str).collect();
        declared.sort_unstable();
        walked.sort_unstable();
        assert_eq!(declared, walked);
    }

    /// Each text is written once: no error code repeats a diagnosis code (an error that has a
    /// diagnosis code carries it as `ErrorCode::Diagnosis`), and no text names two codes.
    #[test]
    fn every_code_has_one_spelling() {
        let mut texts: Vec<&str> = ErrorCode::all().map(ErrorCode::as_str).collect();
        let count = texts.len();
        texts.sort_unstable();
        texts.dedup();
        assert_eq!(texts.len(), count, "a text names two codes");
        for code in ErrorCode::OWN {
            assert!(code.as_str().parse::<DiagnosisCode>().is_err(), "{code} is a diagnosis code: use ErrorCode::Diagnosis");
            assert!(code.as_str().bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'), "{code}");
        }
        assert_eq!(ErrorCode::all().count(), DiagnosisCode::OWN.len() + ErrorCode::OWN.len());
    }

    #[test]
    fn error_codes_read_back_from_their_text() {
        for code in ErrorCode::all() {
            assert_eq!(code.as_str().parse::<ErrorCode>(), Ok(code));
            let json = serde_json::to_string(&code).unwrap_or_default();
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).ok(), Some(code));
        }
        assert_eq!("invalid_cpr_number".parse::<ErrorCode>(), Ok(ErrorCode::Diagnosis(DiagnosisCode::InvalidCprNumber)));
        assert_eq!("invalid_cpr".parse::<ErrorCode>(), Err(UnknownErrorCode));
        assert_eq!("invalid_option".parse::<ErrorCode>(), Err(UnknownErrorCode));
        assert!(serde_json::from_str::<ErrorCode>("\"Invalid_options\"").is_err());
    }

    #[test]
    fn text_reads_back_and_unknown_text_is_refused() {
        for text in PUBLISHED {
            assert_eq!(text.parse::<DiagnosisCode>().map(DiagnosisCode::as_str), Ok(*text));
        }
        assert_eq!("timeuot".parse::<DiagnosisCode>(), Err(UnknownDiagnosisCode));
        assert_eq!("".parse::<DiagnosisCode>(), Err(UnknownDiagnosisCode));
        assert_eq!("Timeout".parse::<DiagnosisCode>(), Err(UnknownDiagnosisCode));
    }
}
