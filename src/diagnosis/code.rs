//! The diagnosis codes: one variant per catalogue entry, so a code in the library's own source
//! cannot be misspelt, and the catalogue cannot miss an entry (its lookup is an exhaustive match).

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares [`DiagnosisCode`] and its text table in one place: the variants and the texts hosts
/// match on cannot drift apart, and `Serialize`/`FromStr` share the one table (smaller than a
/// derived serializer with its own string table).
macro_rules! diagnosis_codes {
    ($($(#[$doc:meta])* $variant:ident => $text:literal,)+) => {
        // The text is the variant's name in snake_case: the published declaration is derived by
        // that rule, `as_str` from the table, and a test checks the two agree.
        /// A stable diagnosis code. Hosts match on its text, which never changes: new failures get
        /// new codes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
        #[cfg_attr(target_arch = "wasm32", serde(rename_all = "snake_case"))]
        pub enum DiagnosisCode {
            $($(#[$doc])* $variant,)+
        }

        impl DiagnosisCode {
            /// Every code, in catalogue order.
            pub const ALL: &'static [DiagnosisCode] = &[$(DiagnosisCode::$variant,)+];

            /// The code as hosts see it, e.g. `"ip_not_allowlisted"`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(DiagnosisCode::$variant => $text,)+
                }
            }
        }
    };
}

diagnosis_codes! {
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
    InvalidCpr => "invalid_cpr",
    ResponseTooLarge => "response_too_large",
    UnexpectedStatus => "unexpected_status",
    NoFailure => "no_failure",
}

/// A text that is not a diagnosis code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a diagnosis code; use one of the codes of the diagnosis catalogue, such as \"timeout\"")]
pub struct UnknownDiagnosisCode;

impl FromStr for DiagnosisCode {
    type Err = UnknownDiagnosisCode;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        DiagnosisCode::ALL.iter().copied().find(|code| code.as_str() == text).ok_or(UnknownDiagnosisCode)
    }
}

impl fmt::Display for DiagnosisCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for DiagnosisCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Reads a code back from its text; unknown text is an error, never a fallback code.
impl<'de> Deserialize<'de> for DiagnosisCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Lets tests and callers compare a code with its text directly.
impl PartialEq<&str> for DiagnosisCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
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
        "malformed_response", "token_missing", "invalid_cpr", "response_too_large", "unexpected_status",
        "no_failure",
    ];

    #[test]
    fn every_code_serializes_to_its_published_text() {
        let serialized: Vec<String> = DiagnosisCode::ALL
            .iter()
            .map(|code| serde_json::to_value(code).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default())
            .collect();
        assert_eq!(serialized, PUBLISHED);
    }

    /// The TypeScript union is derived from the variant names by the snake_case rule; the table
    /// must say the same, or the declarations would promise texts the module never sends.
    #[test]
    fn the_table_follows_the_snake_case_rule_of_the_declarations() {
        for code in DiagnosisCode::ALL {
            let mut snake = String::new();
            for (i, c) in format!("{code:?}").chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    snake.push('_');
                }
                snake.push(c.to_ascii_lowercase());
            }
            assert_eq!(snake, code.as_str());
        }
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
