//! The one way out of a client. Everything a client hands back (results, errors, item errors,
//! connection reports, debug captures) leaves through [`Client::seal`] and [`Client::emit`], so
//! one redaction knows every secret the client holds: the client secret, the certificate
//! password and every token it has been given, in each of their spellings (raw, URL-, form-,
//! JSON- and base64-encoded). A server that echoes a token in an error message, or a host whose
//! `fetch` puts the secret in its exception, cannot get either past this point.

use serde::Serialize;

use super::{Client, ClientError};
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
        [&self.setup.client_secret, &self.setup.certificate_password]
            .into_iter()
            .flatten()
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

    /// A value as the JSON text the client hands back, with every live secret removed from
    /// every string in it. The common case costs one search of the text: string literals are
    /// rewritten only when a secret occurs.
    pub fn emit<T: Serialize + ?Sized>(&self, value: &T) -> Result<String, CprError> {
        // Only the serialization is per type; the rest is one function for every output type.
        self.emit_text(serde_json::to_string(value).ok())
    }

    fn emit_text(&self, text: Option<String>) -> Result<String, CprError> {
        let text = text.ok_or_else(|| CprError::invalid_input("internal_error", "Could not convert the result."))?;
        let secrets = self.live_secrets();
        if secrets.is_empty() || !secrets.occurs_in(&text) {
            return Ok(text);
        }
        Ok(scrub_json_text(&text, &secrets))
    }
}

/// Every string literal (keys included) of a JSON text with the secrets removed from its value.
/// One pass over the text; only literals that hold a secret are decoded and written again, so
/// the result stays valid JSON. (Small hand-written string codecs: serde_json's generic string
/// reader would add several KB to the module for this rare path.)
fn scrub_json_text(text: &str, secrets: &KnownSecrets) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut at = 0;
    while let Some(open) = bytes.get(at..).and_then(|rest| rest.iter().position(|b| *b == b'"')).map(|p| p + at) {
        // The closing quote: the first one not escaped by a backslash.
        let mut close = open + 1;
        while let Some(b) = bytes.get(close) {
            match b {
                b'\\' => close += 2,
                b'"' => break,
                _ => close += 1,
            }
        }
        let Some(literal) = text.get(open..=close) else { break };
        if secrets.occurs_in(literal) {
            out.push_str(text.get(copied..open).unwrap_or_default());
            let value = decode_json_string(literal.get(1..literal.len() - 1).unwrap_or_default());
            encode_json_string(&secrets.remove_from(&value), &mut out);
            copied = close + 1;
        }
        at = close + 1;
    }
    out.push_str(text.get(copied..).unwrap_or_default());
    out
}

/// The value of a JSON string literal's body (the text between the quotes). Lone surrogates
/// become U+FFFD, as `JSON.parse` followed by UTF-8 would make them.
fn decode_json_string(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    let mut pending_high: Option<u32> = None;
    while let Some(c) = chars.next() {
        let unit = match c {
            '\\' => match chars.next() {
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).collect();
                    u32::from_str_radix(&hex, 16).unwrap_or(0xFFFD)
                }
                Some('n') => u32::from('\n'),
                Some('r') => u32::from('\r'),
                Some('t') => u32::from('\t'),
                Some('b') => 8,
                Some('f') => 12,
                Some(other) => u32::from(other),
                None => break,
            },
            other => u32::from(other),
        };
        if let Some(high) = pending_high.take() {
            if (0xDC00..0xE000).contains(&unit) {
                out.push(char::from_u32(0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00)).unwrap_or('\u{FFFD}'));
                continue;
            }
            out.push('\u{FFFD}');
        }
        if (0xD800..0xDC00).contains(&unit) {
            pending_high = Some(unit);
        } else {
            out.push(char::from_u32(unit).unwrap_or('\u{FFFD}'));
        }
    }
    if pending_high.is_some() {
        out.push('\u{FFFD}');
    }
    out
}

/// A JSON string literal of `value`, quotes included.
fn encode_json_string(value: &str, out: &mut String) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                out.push_str("\\u00");
                out.push(char::from_digit(u32::from(c) >> 4, 16).unwrap_or('0'));
                out.push(char::from_digit(u32::from(c) & 15, 16).unwrap_or('0'));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubbing_keeps_the_json_valid_and_removes_every_spelling() {
        let secrets = KnownSecrets::new(["Se\"cret/1"]);
        let value = serde_json::json!({
            "Se\"cret/1": ["a Se\"cret/1 b", "Se%22cret%2F1", {"k": "x\\\"y"}],
            "plain": "\"quoted\" \\ text",
        });
        let text = serde_json::to_string(&value).unwrap();
        assert!(secrets.occurs_in(&text));
        let clean = scrub_json_text(&text, &secrets);
        let back: serde_json::Value = serde_json::from_str(&clean).unwrap();
        assert!(!secrets.occurs_in(&clean), "{clean}");
        assert_eq!(back["plain"], value["plain"]);
        assert_eq!(back["[REDACTED]"][0], "a [REDACTED] b");
        assert_eq!(back["[REDACTED]"][1], "[REDACTED]");
        assert_eq!(back["[REDACTED]"][2], value["Se\"cret/1"][2]);
    }

    #[test]
    fn the_string_codecs_agree_with_serde_json() {
        for value in ["", "plain", "q\"b\\s/", "\n\r\t\u{8}\u{c}\u{1}\u{1f}", "æøå 😀 \u{2028}", "\\u0041"] {
            let mut ours = String::new();
            encode_json_string(value, &mut ours);
            assert_eq!(serde_json::from_str::<String>(&ours).unwrap(), value);
            let theirs = serde_json::to_string(value).unwrap();
            assert_eq!(decode_json_string(&theirs[1..theirs.len() - 1]), value);
        }
        assert_eq!(decode_json_string("\\ud83d\\ude00 \\u00e6 \\/"), "😀 æ /");
        assert_eq!(decode_json_string("\\ud83d x"), "\u{FFFD} x");
    }
}
