//! Redaction: making any value safe to write to a log, an error or a debug capture.
//!
//! Two kinds of data must never leave unprotected:
//! - credentials (client secrets, certificate passwords, bearer tokens, `Authorization`
//!   headers, `client_secret=` form fields): always replaced by [`REDACTED`];
//! - CPR numbers inside any text: masked as `DDMMYY-xxxx` (unless the caller explicitly
//!   asks to keep them, for a debug capture on its own machine).

use serde_json::{Map, Value};

use crate::cpr::looks_like_cpr_date;

/// What replaces a secret.
pub const REDACTED: &str = "[REDACTED]";

/// Object keys whose values are secrets, compared without case, `-` or `_`.
const SECRET_KEYS: &[&str] = &[
    "clientsecret",
    "secret",
    "password",
    "passphrase",
    "certificatepassword",
    "certificate",
    "pfx",
    "privatekey",
    "key",
    "accesstoken",
    "refreshtoken",
    "idtoken",
    "token",
    "bearer",
    "authorization",
    "proxyauthorization",
    "cookie",
    "setcookie",
    "apikey",
    "xapikey",
    "clientassertion",
];

/// Names that, in `name=value` form text or `"name": "value"` JSON text, carry secrets.
const SECRET_TEXT_NAMES: &[&str] = &[
    "client_secret",
    "clientSecret",
    "password",
    "certificatePassword",
    "passphrase",
    "access_token",
    "refresh_token",
    "id_token",
    "apiKey",
    "client_assertion",
];

#[derive(Clone, PartialEq, Eq)]
pub struct RedactOptions {
    /// Mask CPR numbers (default). Only a debug capture the caller keeps to itself may turn this off.
    pub mask_cpr: bool,
    /// Exact values to remove wherever they appear (the setup's own secrets: a server may echo
    /// them in free text, where no pattern can recognise them).
    pub known_secrets: Vec<String>,
}

impl Default for RedactOptions {
    fn default() -> Self {
        RedactOptions { mask_cpr: true, known_secrets: Vec::new() }
    }
}

impl std::fmt::Debug for RedactOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedactOptions")
            .field("mask_cpr", &self.mask_cpr)
            .field("known_secrets", &format_args!("[{} redacted]", self.known_secrets.len()))
            .finish()
    }
}

/// Secrets shorter than this are not searched for as plain text: they would match ordinary words.
const MIN_KNOWN_SECRET_CHARS: usize = 4;

/// A deep copy of `value` that is safe for logs.
///
/// ```
/// use datafordeler_cpr::redact::redact;
/// use serde_json::json;
/// let safe = redact(&json!({
///     "headers": {"Authorization": "Bearer eyJhbGciOi.x.y"},
///     "body": "grant_type=client_credentials&client_id=a&client_secret=hunter2",
///     "note": "lookup of 010170-1239 failed"
/// }));
/// assert_eq!(safe["headers"]["Authorization"], "[REDACTED]");
/// assert_eq!(safe["body"], "grant_type=client_credentials&client_id=a&client_secret=[REDACTED]");
/// assert_eq!(safe["note"], "lookup of 010170-xxxx failed");
/// ```
pub fn redact(value: &Value) -> Value {
    redact_with(value, &RedactOptions::default())
}

pub fn redact_with(value: &Value, options: &RedactOptions) -> Value {
    match value {
        Value::String(s) => Value::String(redact_text_with(s, options)),
        Value::Array(items) => Value::Array(items.iter().map(|v| redact_with(v, options)).collect()),
        Value::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            for (key, v) in map {
                let safe_key = redact_text_with(key, options);
                let safe_value = if is_secret_key(key) && !v.is_null() {
                    Value::String(REDACTED.to_string())
                } else {
                    redact_with(v, options)
                };
                out.insert(safe_key, safe_value);
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

fn is_secret_key(key: &str) -> bool {
    let normalized: String = key
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    SECRET_KEYS.contains(&normalized.as_str())
}

/// Redact secrets and mask CPR numbers in free text (a body, a message, a header value).
pub fn redact_text(text: &str) -> String {
    redact_text_with(text, &RedactOptions::default())
}

pub fn redact_text_with(text: &str, options: &RedactOptions) -> String {
    let mut out = redact_bearer(text);
    for secret in &options.known_secrets {
        if secret.chars().count() >= MIN_KNOWN_SECRET_CHARS && out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), REDACTED);
        }
    }
    for name in SECRET_TEXT_NAMES {
        out = redact_form_field(&out, name);
        out = redact_json_field(&out, name);
    }
    out = redact_jwts(&out);
    if options.mask_cpr {
        out = mask_cpr_numbers(&out);
    }
    out
}

/// `Bearer <token>` / `Basic <credentials>` anywhere in text.
fn redact_bearer(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let lower = rest.to_ascii_lowercase();
        let found = ["bearer ", "basic "].iter().filter_map(|p| lower.find(p).map(|at| (at, p.len()))).min();
        let Some((at, len)) = found else {
            out.push_str(rest);
            return out;
        };
        let token_start = at + len;
        out.push_str(&rest[..token_start]);
        let after = &rest[token_start..];
        let token_len = after
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == ',' || c == '}')
            .unwrap_or(after.len());
        if token_len > 0 && &after[..token_len] != REDACTED {
            out.push_str(REDACTED);
        } else {
            out.push_str(&after[..token_len]);
        }
        rest = &after[token_len..];
    }
}

/// `name=value` in form-encoded or query text, up to the next `&` or whitespace.
fn redact_form_field(text: &str, name: &str) -> String {
    let needle = format!("{name}=");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&needle) {
        let boundary_ok = at == 0 || matches!(rest.as_bytes().get(at - 1), Some(b'&' | b'?' | b' ' | b'\n' | b'"'));
        let value_start = at + needle.len();
        out.push_str(&rest[..value_start]);
        let after = &rest[value_start..];
        if !boundary_ok {
            rest = after;
            continue;
        }
        let end = after.find(|c: char| c == '&' || c.is_whitespace() || c == '"').unwrap_or(after.len());
        if end > 0 {
            out.push_str(REDACTED);
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// `"name": "value"` inside JSON text (e.g. a token response kept as a body string).
fn redact_json_field(text: &str, name: &str) -> String {
    let needle = format!("\"{name}\"");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&needle) {
        let after_key = at + needle.len();
        out.push_str(&rest[..after_key]);
        let tail = &rest[after_key..];
        let trimmed = tail.trim_start();
        let Some(after_colon) = trimmed.strip_prefix(':') else {
            rest = tail;
            continue;
        };
        let value = after_colon.trim_start();
        let Some(inner) = value.strip_prefix('"') else {
            rest = tail;
            continue;
        };
        // Find the closing quote, honouring backslash escapes.
        let mut escaped = false;
        let mut close = None;
        for (i, c) in inner.char_indices() {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => {
                    close = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let consumed_prefix = tail.len() - value.len();
        out.push_str(&tail[..consumed_prefix]);
        match close {
            Some(end) => {
                out.push('"');
                out.push_str(REDACTED);
                out.push('"');
                rest = &inner[end + 1..];
            }
            None => {
                // Unterminated (a truncated body): redact to the end.
                out.push('"');
                out.push_str(REDACTED);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Three base64url segments starting with `eyJ` (`{"` encoded): a JWT wherever it appears.
fn redact_jwts(text: &str) -> String {
    if !text.contains("eyJ") {
        return text.to_string();
    }
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '=';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("eyJ") {
        let preceded_by_b64 = rest[..at].chars().next_back().is_some_and(is_b64);
        out.push_str(&rest[..at]);
        let candidate = &rest[at..];
        let len = candidate.find(|c: char| !(is_b64(c) || c == '.')).unwrap_or(candidate.len());
        let token = &candidate[..len];
        if !preceded_by_b64 && token.split('.').filter(|s| !s.is_empty()).count() >= 2 && token.matches('.').count() >= 1 {
            out.push_str(REDACTED);
        } else {
            out.push_str(token);
        }
        rest = &candidate[len..];
    }
    out.push_str(rest);
    out
}

/// Mask every run of exactly ten digits (optionally `DDMMYY-SSSS` or `DDMMYY SSSS`) whose
/// first four digits are a plausible day and month.
pub fn mask_cpr_numbers(text: &str) -> String {
    let bytes = text.as_bytes();
    if bytes.iter().filter(|b| b.is_ascii_digit()).count() < 10 {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied_to = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() || (i > 0 && bytes[i - 1].is_ascii_digit()) {
            i += 1;
            continue;
        }
        let run = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        let candidate = match run {
            10 => Some((i + 10, 6)),
            6 => {
                // DDMMYY-SSSS or DDMMYY SSSS
                let sep = bytes.get(i + 6).copied();
                let tail_start = i + 7;
                let tail = bytes.get(tail_start..tail_start + 4);
                let tail_ok = tail.is_some_and(|t| t.iter().all(u8::is_ascii_digit))
                    && !bytes.get(tail_start + 4).is_some_and(u8::is_ascii_digit);
                if matches!(sep, Some(b'-' | b' ')) && tail_ok {
                    Some((i + 11, 6))
                } else {
                    None
                }
            }
            _ => None,
        };
        match candidate {
            Some((end, _)) if looks_like_cpr_date(&bytes[i..i + 4]) => {
                out.push_str(&text[copied_to..i]);
                out.push_str(&text[i..i + 6]);
                out.push_str("-xxxx");
                copied_to = end;
                i = end;
            }
            _ => i += run.max(1),
        }
    }
    out.push_str(&text[copied_to..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_by_key_anywhere_in_the_tree() {
        let v = json!({
            "clientSecret": "hunter2", "client_secret": "x", "certificatePassword": "pw", "Authorization": "Bearer abc",
            "nested": [{"access_token": "tok", "headers": {"authorization": "Basic dXNlcjpwdw=="}}],
            "clientId": "visible", "certificate": [48, 130], "passphrase": null
        });
        let r = redact(&v);
        for path in ["/clientSecret", "/client_secret", "/certificatePassword", "/Authorization", "/nested/0/access_token", "/nested/0/headers/authorization", "/certificate"] {
            assert_eq!(r.pointer(path), Some(&json!(REDACTED)), "{path}");
        }
        assert_eq!(r["clientId"], "visible");
        assert_eq!(r["passphrase"], Value::Null);
    }

    #[test]
    fn secrets_inside_text() {
        let cases = [
            ("Authorization: Bearer eyJ0eXAi.eyJzdWIi.sig", "Authorization: Bearer [REDACTED]"),
            ("grant_type=client_credentials&client_secret=a%26b&client_id=c", "grant_type=client_credentials&client_secret=[REDACTED]&client_id=c"),
            (r#"{"access_token":"abc\"def","expires_in":300}"#, r#"{"access_token":"[REDACTED]","expires_in":300}"#),
            (r#"{"access_token" : "abc"#, r#"{"access_token" : "[REDACTED]"#),
            ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln in text", "token [REDACTED] in text"),
            ("my_client_secret=keep", "my_client_secret=keep"),
        ];
        for (input, want) in cases {
            assert_eq!(redact_text(input), want, "{input}");
        }
    }

    #[test]
    fn cpr_numbers_are_masked_in_text() {
        let cases = [
            ("0101701239", "010170-xxxx"),
            ("cpr 010170-1239.", "cpr 010170-xxxx."),
            ("010170 1239", "010170-xxxx"),
            ("{\"pnr\":[\"0101701239\",\"3112999999\"]}", "{\"pnr\":[\"010170-xxxx\",\"311299-xxxx\"]}"),
            ("order 12345678901", "order 12345678901"),
            ("phone 12345678", "phone 12345678"),
            ("9999999999", "9999999999"),
            ("2024-01-01", "2024-01-01"),
        ];
        for (input, want) in cases {
            assert_eq!(redact_text(input), want, "{input}");
        }
        let keep = RedactOptions { mask_cpr: false, ..Default::default() };
        assert_eq!(redact_text_with("0101701239", &keep), "0101701239");
    }

    #[test]
    fn known_secrets_are_removed_from_free_text() {
        let options = RedactOptions { known_secrets: vec!["Hunter2-xyz".into(), "abc".into()], ..Default::default() };
        let v = redact_with(&json!({"msg": "bad secret Hunter2-xyz given", "other": "abc stays"}), &options);
        assert_eq!(v["msg"], "bad secret [REDACTED] given");
        assert_eq!(v["other"], "abc stays", "too short to search for safely");
        assert!(!format!("{options:?}").contains("Hunter2"));
    }

    #[test]
    fn redaction_is_idempotent() {
        let once = redact_text("Bearer abc client_secret=x 0101701239");
        assert_eq!(redact_text(&once), once);
    }
}

/// The client's live secrets, compiled once. (Raw spellings only, until the engine learns the
/// encoded ones.)
#[derive(Clone, Default)]
pub struct KnownSecrets {
    spellings: Vec<String>,
}

impl std::fmt::Debug for KnownSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KnownSecrets([{} redacted])", self.spellings.len())
    }
}

impl KnownSecrets {
    pub fn new<'a>(values: impl IntoIterator<Item = &'a str>) -> KnownSecrets {
        let spellings = values.into_iter().filter(|v| v.chars().count() >= MIN_KNOWN_SECRET_CHARS).map(str::to_string).collect();
        KnownSecrets { spellings }
    }
    pub fn is_empty(&self) -> bool {
        self.spellings.is_empty()
    }
    pub fn occurs_in(&self, text: &str) -> bool {
        self.spellings.iter().any(|s| text.contains(s.as_str()))
    }
    pub fn remove_from<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        if !self.occurs_in(text) {
            return std::borrow::Cow::Borrowed(text);
        }
        let mut out = text.to_string();
        for s in &self.spellings {
            out = out.replace(s.as_str(), REDACTED);
        }
        std::borrow::Cow::Owned(out)
    }
}
