//! Reading untrusted JSON: from text with size and depth limits, and describing a value's type
//! in words an administrator understands ("a number", "a list").

use serde_json::Value;
use thiserror::Error;

use crate::code::ErrorCode;

/// JSON text longer than this is refused before parsing (a setup is a few KB; a CPR response
/// for a batch is well under a megabyte).
pub const MAX_JSON_BYTES: usize = 8 * 1024 * 1024;

/// Nesting deeper than this is refused; real inputs are a handful of levels deep.
pub const MAX_DEPTH: usize = 64;

/// Text settings longer than this are refused (a client id or secret is well under 200 chars).
/// Here rather than in the setup because redaction bounds the secrets it searches for by it.
pub const MAX_TEXT_CHARS: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JsonInputError {
    #[error("the JSON text is {0} bytes; the limit is {MAX_JSON_BYTES}")]
    TooLarge(usize),
    #[error("the JSON is nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("the text is not valid JSON ({0})")]
    Malformed(String),
}

impl JsonInputError {
    /// The stable error code hosts see.
    pub fn code(&self) -> ErrorCode {
        match self {
            JsonInputError::TooLarge(_) => ErrorCode::InputTooLarge,
            JsonInputError::TooDeep => ErrorCode::InputTooDeep,
            JsonInputError::Malformed(_) => ErrorCode::InvalidJson,
        }
    }
}

/// Parse JSON text from an untrusted source.
pub fn parse_json_text(text: &str) -> Result<Value, JsonInputError> {
    if text.len() > MAX_JSON_BYTES {
        return Err(JsonInputError::TooLarge(text.len()));
    }
    if nesting_exceeds(text.as_bytes(), MAX_DEPTH) {
        return Err(JsonInputError::TooDeep);
    }
    serde_json::from_str(text).map_err(|e| JsonInputError::Malformed(format!("line {}, column {}", e.line(), e.column())))
}

/// Cheap pre-scan so deeply nested input fails with a clear error rather than at serde's
/// recursion limit (whose message is less helpful).
fn nesting_exceeds(bytes: &[u8], limit: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// How deep a value nests (1 for a scalar).
pub fn depth_exceeds(value: &Value, limit: usize) -> bool {
    fn walk(v: &Value, remaining: usize) -> bool {
        if remaining == 0 {
            return true;
        }
        match v {
            Value::Array(items) => items.iter().any(|i| walk(i, remaining - 1)),
            Value::Object(map) => map.values().any(|i| walk(i, remaining - 1)),
            _ => false,
        }
    }
    walk(value, limit + 1)
}

/// A value as compact JSON text. Writing a `Value` through `Display` (`to_string()`) or
/// building one with `json!` from other values would each bring another copy of serde_json's
/// writer into the wasm module; every value written goes through this one path instead.
pub fn json_text(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Whether a key of the caller's could be the name of a field: ASCII letters, digits and
/// underscores, at most 40 of them (list indices too). Messages name only such keys: anything
/// else may be a value pasted in the wrong place, a secret, and is never repeated.
pub fn looks_like_a_field_name(key: &str) -> bool {
    !key.is_empty() && key.len() <= 40 && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A key of the caller's as a message shows it: the key when it could be a field name
/// ([`looks_like_a_field_name`]), else `…`.
pub fn shown_key(key: &str) -> &str {
    if looks_like_a_field_name(key) {
        key
    } else {
        "…"
    }
}

/// A deserializer's message made safe to show: the caller's value it may quote is left out
/// (it may be a CPR number or a secret, and text may hold anything, quotes included), keeping
/// only its kind in the library's words: "invalid type: text, expected u32". An unknown key is
/// shown only when it could be a field name ([`shown_key`]).
pub fn serde_message_in_words(message: &str) -> String {
    const KINDS: [(&str, &str); 12] = [
        ("string", "text"),
        ("integer", "a number"),
        ("floating point", "a number"),
        ("boolean", "true/false"),
        ("character", "text"),
        ("byte array", "binary data"),
        ("unit value", "null"),
        ("null", "null"),
        ("map", "an object"),
        ("sequence", "a list"),
        ("Option value", "a value"),
        ("newtype struct", "a value"),
    ];
    let shown = if let Some(rest) = message.strip_prefix("invalid type: ").or_else(|| message.strip_prefix("invalid value: ")) {
        let verb = if message.starts_with("invalid type") { "invalid type" } else { "invalid value" };
        // The value ends where the type's own description starts (the last ", expected ").
        let (what, expected) = match rest.rfind(", expected ") {
            Some(at) => (rest.get(..at).unwrap_or_default(), rest.get(at..).unwrap_or_default()),
            None => (rest, ""),
        };
        let kind = KINDS.iter().find(|(serde_words, _)| what.starts_with(serde_words)).map_or("a value", |(_, words)| words);
        format!("{verb}: {kind}{expected}")
    } else if let Some(rest) = message.strip_prefix("unknown variant ") {
        match rest.rfind(", expected ") {
            Some(at) => format!("unknown value{}", rest.get(at..).unwrap_or_default()),
            None => "unknown value".to_string(),
        }
    } else if let Some(rest) = message.strip_prefix("unknown field `") {
        // The declared fields follow the last "`, expected" (the key itself may hold anything).
        let (key, expected) = match rest.rfind("`, expected") {
            Some(at) => (rest.get(..at).unwrap_or_default(), rest.get(at + "`, expected".len()..).unwrap_or_default()),
            None => (rest.strip_suffix('`').unwrap_or(rest), ""),
        };
        let key = shown_key(key);
        if expected.is_empty() {
            format!("unknown field `{key}`")
        } else {
            format!("unknown field `{key}`, expected{expected}")
        }
    } else {
        message.to_string()
    };
    shown
}

/// The type of a JSON value, in words.
pub fn describe_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A parser's message with every quoted value replaced by `"…"`.
pub(crate) fn safe_message(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_quote = false;
    for c in text.chars() {
        match (c, in_quote) {
            ('"' | '`', false) => {
                in_quote = true;
                out.push_str("\"…");
            }
            ('"' | '`', true) => {
                in_quote = false;
                out.push('"');
            }
            (_, true) => {}
            (c, false) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert!(parse_json_text(r#"{"a":[1,{"b":"[[[["}]}"#).is_ok());
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert_eq!(parse_json_text(&deep), Err(JsonInputError::TooDeep));
        let deep_ok = "[".repeat(60) + &"]".repeat(60);
        assert!(parse_json_text(&deep_ok).is_ok());
        assert!(matches!(parse_json_text("{"), Err(JsonInputError::Malformed(_))));
        let big = format!("\"{}\"", "x".repeat(MAX_JSON_BYTES));
        assert!(matches!(parse_json_text(&big), Err(JsonInputError::TooLarge(_))));
        let v: Value = serde_json::from_str(&("[".repeat(70) + &"]".repeat(70))).unwrap();
        assert!(depth_exceeds(&v, MAX_DEPTH));
        assert!(!depth_exceeds(&serde_json::json!({"a": [1]}), MAX_DEPTH));
    }
}
