//! The one way out of a client. Everything a client hands back (results, errors, item errors,
//! connection reports, debug captures) leaves through [`Client::seal`] and [`Client::emit`], so
//! one redaction knows every secret the client holds: the client secret, the certificate
//! password, a relay's extra header values and every token it has been given, in each of their spellings (raw, URL-, form-,
//! JSON- and base64-encoded). A server that echoes a token in an error message, or a host whose
//! `fetch` puts the secret in its exception, cannot get either past this point.

use serde::Serialize;
use serde_json::Value;

use super::{Client, ClientError};
use crate::code::ErrorCode;
use crate::error::CprError;
use crate::redact::{redact_text_with, KnownSecrets, RedactOptions};
use crate::setup::Secret;

/// Tokens remembered for redaction. A client lives for hours and fetches a token every few
/// minutes; far older tokens are long expired, and the list must stay small because every
/// output is searched for each of them.
const MAX_REMEMBERED_TOKENS: usize = 32;

impl Client {
    /// Remember a token the client was given, so that no output ever shows it.
    pub(super) fn remember_token(&self, token: &Secret) {
        let mut held = self.held_tokens.borrow_mut();
        if held.len() >= MAX_REMEMBERED_TOKENS {
            held.remove(0);
        }
        held.push(token.clone());
    }

    fn secret_values(&self) -> Vec<String> {
        let held = self.held_tokens.borrow();
        // A relay's extra headers carry the ERP's own session or CSRF values.
        let relay_headers = self.setup.relay.iter().flat_map(|relay| relay.headers.iter().map(|(_, value)| value));
        [&self.setup.client_secret, &self.setup.certificate_password]
            .into_iter()
            .flatten()
            .chain(relay_headers)
            .chain(held.iter())
            .map(|s| s.expose().to_string())
            .collect()
    }

    /// The client's live secrets, compiled for searching.
    pub fn live_secrets(&self) -> KnownSecrets {
        let values = self.secret_values();
        KnownSecrets::new(values.iter().map(String::as_str))
    }

    /// What debug captures and error texts hide: every live secret; CPR numbers unless kept.
    pub fn redaction(&self) -> RedactOptions {
        RedactOptions { mask_cpr: !self.options.debug_keep_cpr_numbers, known_secrets: self.secret_values() }
    }

    /// An error as it leaves the client: its message and its diagnosis' detail redacted
    /// (credentials in every form, the live secrets, CPR numbers masked).
    pub fn seal(&self, error: ClientError) -> ClientError {
        let redaction = RedactOptions { mask_cpr: true, ..self.redaction() };
        match error {
            ClientError::Failed(mut diagnosis) => {
                if let Some(detail) = diagnosis.detail.take() {
                    diagnosis.detail = Some(redact_text_with(&detail, &redaction));
                }
                ClientError::Failed(diagnosis)
            }
            ClientError::Invalid(error) => ClientError::Invalid(match error {
                CprError::InvalidSetup { field, code, message } => {
                    CprError::InvalidSetup { field, code, message: redact_text_with(&message, &redaction) }
                }
                CprError::InvalidInput { code, message } => {
                    CprError::InvalidInput { code, message: redact_text_with(&message, &redaction) }
                }
            }),
        }
    }

    /// A value as the client hands it back: its JSON text with every live secret removed from
    /// every string in it (keys included). The common case (no secret anywhere) costs one search
    /// of the text; only then is the value rewritten. Only the conversions are per type.
    pub fn emit<T: Serialize + ?Sized>(&self, value: &T) -> Result<Emitted, CprError> {
        let json = serde_json::to_string(value).map_err(|_| not_convertible())?;
        let secrets = self.live_secrets();
        if secrets.is_empty() || !secrets.occurs_in(&json) {
            return Ok(Emitted { json, rewritten: false });
        }
        let mut clean = serde_json::to_value(value).map_err(|_| not_convertible())?;
        scrub(&mut clean, &secrets);
        Ok(Emitted { json: crate::json_input::json_text(&clean), rewritten: true })
    }
}

/// What [`Client::emit`] hands back: the JSON text of the value, and whether secrets were
/// removed from it (then the text, not the value, is what may leave).
pub struct Emitted {
    pub json: String,
    pub rewritten: bool,
}

fn not_convertible() -> CprError {
    CprError::invalid_input(ErrorCode::InternalError, "Could not convert the result.")
}

/// Remove the secrets from every string of a value, keys included.
fn scrub(value: &mut Value, secrets: &KnownSecrets) {
    match value {
        Value::String(text) if secrets.occurs_in(text) => *text = secrets.remove_from(text).into_owned(),
        Value::Array(items) => items.iter_mut().for_each(|item| scrub(item, secrets)),
        Value::Object(map) => {
            if map.keys().any(|key| secrets.occurs_in(key)) {
                *map = std::mem::take(map).into_iter().map(|(key, item)| (secrets.remove_from(&key).into_owned(), item)).collect();
            }
            map.values_mut().for_each(|item| scrub(item, secrets));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubbing_removes_every_spelling_from_keys_and_values() {
        let secrets = KnownSecrets::new(["Se\"cret/1"]);
        let mut value = serde_json::json!({
            "Se\"cret/1": ["a Se\"cret/1 b", "Se%22cret%2F1", {"k": "x\\\"y"}],
            "plain": "\"quoted\" \\ text",
            "n": 5,
        });
        let original = value.clone();
        scrub(&mut value, &secrets);
        assert!(!secrets.occurs_in(&serde_json::to_string(&value).unwrap()), "{value}");
        assert_eq!(value["plain"], original["plain"]);
        assert_eq!(value["n"], 5);
        assert_eq!(value["[REDACTED]"][0], "a [REDACTED] b");
        assert_eq!(value["[REDACTED]"][1], "[REDACTED]");
        assert_eq!(value["[REDACTED]"][2], original["Se\"cret/1"][2]);
    }
}
