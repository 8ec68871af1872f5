//! Relay mode: a setup that names a `datafordeler-cpr/relay` instead of credentials, for a
//! browser page. The relay holds the real setup (secrets, environment, sector) on the server;
//! the page's setup says only where the relay is and what the page sends it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{label, Reader, Secret, MAX_TEXT_CHARS};
use crate::code::ErrorCode;
use crate::json_input::{describe_type, looks_like_a_field_name};

/// The fetch credentials mode of the requests to the relay (whether the browser sends its
/// cookies, e.g. the ERP's session cookie).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "kebab-case")]
pub enum RelayCredentials {
    /// Never send cookies.
    Omit,
    /// Cookies only to the page's own origin (fetch's default).
    #[default]
    SameOrigin,
    /// Cookies also to a relay on another origin (it must allow credentials for this origin).
    Include,
}

impl RelayCredentials {
    const KEYS: [&'static str; 3] = ["omit", "same-origin", "include"];

    /// The mode as fetch spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            RelayCredentials::Omit => "omit",
            RelayCredentials::SameOrigin => "same-origin",
            RelayCredentials::Include => "include",
        }
    }
}

/// The relay as a host passes it in (the TypeScript declaration of `setup.relay`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct RelayInput {
    /// Where the relay is mounted, e.g. `https://erp.example.com/cpr-relay`.
    pub url: String,
    /// Extra request headers, e.g. the ERP's own session or CSRF header. Their values are
    /// treated as secrets: never in an error, a capture or a result.
    #[cfg_attr(target_arch = "wasm32", tsify(optional, type = "Record<string, string>"))]
    pub headers: Option<std::collections::BTreeMap<String, String>>,
    /// The fetch credentials mode of the requests to the relay; default `same-origin`.
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub credentials: Option<RelayCredentials>,
}

/// A relay that was read: its URL in normal form (no trailing `/`), the headers to send, the
/// credentials mode.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RelaySetup {
    pub url: String,
    pub headers: Vec<(String, Secret)>,
    pub credentials: RelayCredentials,
}

/// Fields that only concern calling Datafordeleren directly.
const DIRECT_ONLY: [&str; 6] = ["environment", "sectorType", "authMethod", "clientId", "endpoints", "apiVersion"];
/// Fields that hold a secret of the direct call.
const SECRETS: [&str; 3] = ["clientSecret", "certificatePassword", "certificate"];
const RELAY_KEYS: [&str; 3] = ["url", "headers", "credentials"];
/// Headers the client sets itself on every relay request.
const OWN_HEADERS: [&str; 3] = ["content-type", "content-length", "accept"];
/// Most extra headers.
const MAX_HEADERS: usize = 16;

impl Reader {
    /// Read a setup in relay mode: the switches are read already; here the relay, and the
    /// fields of direct access.
    pub(super) fn relay_mode(&mut self, map: &Map<String, Value>) {
        // A secret in a browser's setup is the harm itself (any script of the page can read
        // it), so it is refused, not ignored.
        for key in SECRETS {
            if Self::present(map, key).is_some() {
                self.error(
                    key,
                    ErrorCode::RelayWithSecret,
                    format!(
                        "{} must not be in a setup that uses a relay: this setup runs in a browser, where a secret is not safe. \
                         Remove it here; it belongs in the relay's own setup on the server.",
                        label(key)
                    ),
                );
            }
        }
        // The other direct-access fields are harmless and only warned about: an ERP keeps one
        // stored setup and switches it to a relay by adding `relay`, so refusing them would make
        // the switch (and the way back) a matter of deleting settings. The relay's own setup
        // decides them.
        for key in DIRECT_ONLY {
            if Self::present(map, key).is_some() {
                self.warning(
                    key,
                    ErrorCode::IgnoredInRelayMode,
                    format!(
                        "{} is not used with a relay and will be ignored: the relay's own setup on the server decides it. \
                         Clear it, or remove Relay to call Datafordeleren directly.",
                        label(key)
                    ),
                );
            }
        }
        let value = Self::present(map, "relay").unwrap_or(&Value::Null);
        let Some(relay) = value.as_object() else {
            self.wrong_type("relay", "an object { url, headers?, credentials? }", value);
            return;
        };
        self.relay_unknown_keys(relay);
        let url = self.relay_url(relay);
        let headers = self.relay_headers(relay);
        let credentials = self.relay_credentials(relay);
        if let Some(url) = url {
            self.setup.relay = Some(RelaySetup { url, headers, credentials });
        }
    }

    fn relay_unknown_keys(&mut self, relay: &Map<String, Value>) {
        for key in relay.keys().filter(|key| !RELAY_KEYS.contains(&key.as_str())).take(super::MAX_UNKNOWN_FIELD_WARNINGS) {
            let (field, named) = match looks_like_a_field_name(key) {
                true => (format!("relay.{key}"), format!("\"{key}\"")),
                false => ("relay".to_string(), "A key that is not a field name (not shown)".to_string()),
            };
            self.warning(&field, ErrorCode::UnknownField, format!("{named} is not a relay setting and will be ignored. Relay settings: url, headers, credentials."));
        }
    }

    fn relay_url(&mut self, relay: &Map<String, Value>) -> Option<String> {
        match relay.get("url") {
            Some(Value::String(text)) if !text.trim().is_empty() => {
                // As for endpoint overrides: only what URL parsing strips itself, and the
                // trailing `/` (routes are appended).
                let url = text.trim_matches(|c: char| c <= ' ').trim_end_matches('/');
                self.secure_url("relay.url", "The relay URL", url)
            }
            None | Some(Value::Null) | Some(Value::String(_)) => {
                self.error(
                    "relay.url",
                    ErrorCode::Required,
                    "Enter the relay URL: where datafordeler-cpr/relay is mounted on your server, e.g. https://erp.example.com/cpr-relay."
                        .into(),
                );
                None
            }
            Some(other) => {
                self.error("relay.url", ErrorCode::WrongType, format!("The relay URL must be text; got {}.", describe_type(other)));
                None
            }
        }
    }

    fn relay_headers(&mut self, relay: &Map<String, Value>) -> Vec<(String, Secret)> {
        let headers = match relay.get("headers") {
            None | Some(Value::Null) => return Vec::new(),
            Some(Value::Object(headers)) if headers.len() <= MAX_HEADERS => headers,
            Some(Value::Object(_)) => {
                self.error("relay.headers", ErrorCode::TooLong, format!("Relay headers hold more than {MAX_HEADERS} headers; send only what the relay checks."));
                return Vec::new();
            }
            Some(other) => {
                self.error("relay.headers", ErrorCode::WrongType, format!("Relay headers must be an object of header names and text values; got {}.", describe_type(other)));
                return Vec::new();
            }
        };
        let mut read = Vec::with_capacity(headers.len());
        for (name, value) in headers {
            // The name is shown only when it is one; a value never is (it is a secret).
            if name.is_empty() || !name.bytes().all(is_header_name_byte) {
                self.error("relay.headers", ErrorCode::WrongType, "A relay header name (not shown) is not an HTTP header name: use letters, digits and - only.".into());
                continue;
            }
            if OWN_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                self.error(&format!("relay.headers.{name}"), ErrorCode::UnknownField, format!("The client sets {name} itself on every relay request. Remove it from relay headers."));
                continue;
            }
            match value {
                Value::String(text) if text.chars().count() <= MAX_TEXT_CHARS && !text.contains(['\r', '\n', '\0']) => {
                    read.push((name.clone(), Secret::new(text.clone())));
                }
                Value::String(_) => self.error(
                    &format!("relay.headers.{name}"),
                    ErrorCode::WrongType,
                    format!("The value of relay header {name} must be text on one line of at most {MAX_TEXT_CHARS} characters."),
                ),
                other => self.error(&format!("relay.headers.{name}"), ErrorCode::WrongType, format!("The value of relay header {name} must be text; got {}.", describe_type(other))),
            }
        }
        read
    }

    fn relay_credentials(&mut self, relay: &Map<String, Value>) -> RelayCredentials {
        let list = RelayCredentials::KEYS.join(", ");
        match relay.get("credentials") {
            None | Some(Value::Null) => RelayCredentials::default(),
            Some(Value::String(text)) => match RelayCredentials::KEYS.iter().position(|key| key == text) {
                Some(0) => RelayCredentials::Omit,
                Some(2) => RelayCredentials::Include,
                Some(_) => RelayCredentials::SameOrigin,
                None => {
                    self.error("relay.credentials", ErrorCode::UnknownValue, format!("Relay credentials must be one of {list} (fetch's credentials mode)."));
                    RelayCredentials::default()
                }
            },
            Some(other) => {
                self.error("relay.credentials", ErrorCode::WrongType, format!("Relay credentials must be one of {list}; got {}.", describe_type(other)));
                RelayCredentials::default()
            }
        }
    }
}

/// A byte of an HTTP header name (RFC 9110 `token`).
fn is_header_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::super::{read_setup, validate_setup};
    use super::*;
    use crate::issue::Issue;
    use serde_json::json;

    fn codes(issues: &[Issue]) -> Vec<(String, String, bool)> {
        issues.iter().map(|i| (i.field.clone(), i.code.as_str().to_string(), i.is_error())).collect()
    }

    #[test]
    fn a_relay_setup_needs_no_credentials_and_stores_the_url_in_normal_form() {
        let (setup, issues) = read_setup(&json!({
            "enabled": true,
            "relay": { "url": " https://ERP.Example.com:443/cpr-relay/ ", "headers": { "X-CSRF-Token": "csrf-7f3a" }, "credentials": "include" }
        }));
        assert!(issues.is_empty(), "{issues:?}");
        let relay = setup.relay.expect("relay");
        assert_eq!(relay.url, "https://erp.example.com/cpr-relay");
        assert_eq!(relay.credentials, RelayCredentials::Include);
        assert_eq!(relay.headers.len(), 1);
        assert_eq!(relay.headers[0].0, "X-CSRF-Token");
        assert_eq!(relay.headers[0].1.expose(), "csrf-7f3a");
        let defaults = read_setup(&json!({ "enabled": true, "relay": { "url": "http://127.0.0.1:8090/cpr-relay" } })).0.relay.expect("relay");
        assert_eq!((defaults.credentials, defaults.headers.len()), (RelayCredentials::SameOrigin, 0));
        assert!(validate_setup(&json!({ "enabled": true, "relay": { "url": "http://[::1]:8090" } })).ok);
    }

    #[test]
    fn a_secret_next_to_a_relay_is_refused_and_never_repeated() {
        for key in ["clientSecret", "certificatePassword", "certificate"] {
            let report = validate_setup(&json!({ "enabled": true, "relay": { "url": "https://erp.example.com/r" }, key: "s3cret-value-91" }));
            assert!(!report.ok);
            let issue = report.issues.iter().find(|i| i.field == key).expect(key);
            assert_eq!(issue.code, ErrorCode::RelayWithSecret);
            assert!(issue.message.contains("relay's own setup on the server"), "{}", issue.message);
            assert!(!format!("{report:?}").contains("s3cret-value-91"));
        }
    }

    #[test]
    fn direct_access_fields_are_ignored_with_a_warning() {
        let report = validate_setup(&json!({
            "enabled": true, "relay": { "url": "https://erp.example.com/r" },
            "environment": "test04", "sectorType": "private", "authMethod": "sharedSecret", "clientId": "erp",
            "apiVersion": "v2", "endpoints": { "graphqlUrl": "https://x.example.dk" }
        }));
        assert!(report.ok, "{:?}", report.issues);
        let mut fields: Vec<&str> = report.issues.iter().filter(|i| i.code == ErrorCode::IgnoredInRelayMode).map(|i| i.field.as_str()).collect();
        fields.sort_unstable();
        assert_eq!(fields, ["apiVersion", "authMethod", "clientId", "endpoints", "environment", "sectorType"]);
    }

    #[test]
    fn the_relay_url_follows_the_endpoint_rules() {
        let issues = |relay: Value| codes(&read_setup(&json!({ "enabled": true, "relay": relay })).1);
        assert_eq!(issues(json!({ "url": "http://relay.example.com/r" })), [("relay.url".into(), "insecure_url".into(), true)]);
        assert_eq!(issues(json!({ "url": "http://localhost.example.com/r" })), [("relay.url".into(), "insecure_url".into(), true)]);
        assert_eq!(issues(json!({ "url": "https://user:pw@relay.example.com" })), [("relay.url".into(), "invalid_url".into(), true)]);
        assert_eq!(issues(json!({ "url": "https://relay.example.com/r?x=1" })), [("relay.url".into(), "invalid_url".into(), true)]);
        assert_eq!(issues(json!({ "url": "/cpr-relay" })), [("relay.url".into(), "invalid_url".into(), true)]);
        assert_eq!(issues(json!({})), [("relay.url".into(), "required".into(), true)]);
        assert_eq!(issues(json!({ "url": 5 })), [("relay.url".into(), "wrong_type".into(), true)]);
        assert_eq!(issues(json!("https://relay.example.com")), [("relay".into(), "wrong_type".into(), true)]);
    }

    #[test]
    fn headers_and_credentials_are_checked_without_repeating_values() {
        let report = validate_setup(&json!({ "enabled": true, "relay": {
            "url": "https://erp.example.com/r", "credentials": "sometimes", "extra": 1,
            "headers": { "X-Session": 42, "Bad Name": "v", "X-Line": "a\r\nb-secret-line", "Content-Type": "text/plain" }
        } }));
        assert!(!report.ok);
        let got = codes(&report.issues);
        for expected in [
            ("relay.extra", "unknown_field", false),
            ("relay.headers.X-Session", "wrong_type", true),
            ("relay.headers", "wrong_type", true),
            ("relay.headers.X-Line", "wrong_type", true),
            ("relay.headers.Content-Type", "unknown_field", true),
            ("relay.credentials", "unknown_value", true),
        ] {
            assert!(got.contains(&(expected.0.to_string(), expected.1.to_string(), expected.2)), "{expected:?} in {got:?}");
        }
        let text = format!("{report:?}");
        assert!(!text.contains("b-secret-line") && !text.contains("Bad Name") && !text.contains("sometimes"), "{text}");
    }

    #[test]
    fn an_empty_relay_text_is_no_relay() {
        let (setup, issues) = read_setup(&json!({ "enabled": true, "relay": " ", "clientSecret": "s" }));
        assert!(setup.relay.is_none());
        assert!(issues.iter().all(|i| i.code != ErrorCode::RelayWithSecret && i.field != "relay"), "{issues:?}");
    }

    #[test]
    fn the_relay_is_a_setup_field_and_a_disabled_relay_setup_is_refused_as_any() {
        assert!(super::super::field("relay").is_some());
        let report = validate_setup(&json!({ "relay": { "url": "https://erp.example.com/r" } }));
        assert_eq!(codes(&report.issues), [("enabled".into(), "integration_disabled".into(), true)]);
    }
}
