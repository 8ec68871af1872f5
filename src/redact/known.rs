//! The client's own secrets, found in whatever spelling a server or transport may echo them:
//! raw, URL- and form-encoded, JSON-escaped, and base64 (also inside a longer encoded text,
//! such as `Basic base64(clientId:secret)`).

use std::borrow::Cow;

use super::spans::{apply, secret, tick, union, Span};
use super::REDACTED;

/// Secrets shorter than this are not searched for: they would match ordinary words. So are
/// spellings (parts of a base64 encoding) shorter than this.
const MIN_KNOWN_SECRET_CHARS: usize = 4;

const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";
const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";
/// The ways JSON writers differ: `/` escaped or not; non-ASCII raw or `\uXXXX` (hex case).
const JSON_FORMS: &[(bool, Option<&[u8; 16]>)] = &[
    (false, None),
    (false, Some(LOWER_HEX)),
    (false, Some(UPPER_HEX)),
    (true, None),
    (true, Some(LOWER_HEX)),
    (true, Some(UPPER_HEX)),
];
const BASE64_STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64_URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The client's live secrets, compiled once: every spelling of each value.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct KnownSecrets {
    spellings: Vec<String>,
}

impl std::fmt::Debug for KnownSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KnownSecrets([{} spellings redacted])", self.spellings.len())
    }
}

impl KnownSecrets {
    /// Compiles `values`; values shorter than 4 characters are ignored (they would match
    /// ordinary words).
    pub fn new<'a>(values: impl IntoIterator<Item = &'a str>) -> KnownSecrets {
        let mut spellings = Vec::new();
        for value in values {
            if value.chars().count() < MIN_KNOWN_SECRET_CHARS {
                continue;
            }
            for spelling in spellings_of(value) {
                // Encodings are ASCII but for the raw and JSON forms, which are as long as the
                // value. A secret that is part of the replacement would be found again in it.
                if spelling.len() >= MIN_KNOWN_SECRET_CHARS && !REDACTED.contains(spelling.as_str()) && !spellings.contains(&spelling) {
                    spellings.push(spelling);
                }
            }
        }
        KnownSecrets { spellings }
    }

    /// Whether there is nothing to search for.
    pub fn is_empty(&self) -> bool {
        self.spellings.is_empty()
    }

    /// Whether `text` contains any spelling of any secret (one linear pass per spelling at most).
    pub fn occurs_in(&self, text: &str) -> bool {
        self.spellings.iter().any(|spelling| {
            tick(text.len());
            text.contains(spelling.as_str())
        })
    }

    /// `text` with every spelling of every secret replaced by [`REDACTED`] (borrowed when
    /// nothing matched). One linear pass per spelling; overlapping matches become one.
    pub fn remove_from<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut spans: Vec<Span> = Vec::new();
        for spelling in &self.spellings {
            tick(text.len());
            let mut found = Vec::new();
            for (at, _) in text.match_indices(spelling.as_str()) {
                found.push(secret(at, at + spelling.len()));
            }
            spans = union(spans, found);
        }
        apply(text, &spans)
    }
}

/// Every spelling of `secret` worth searching for (possibly with repeats).
fn spellings_of(secret: &str) -> Vec<String> {
    let mut out = vec![secret.to_string()];
    for hex in [UPPER_HEX, LOWER_HEX].iter() {
        out.push(percent_encoded(secret, hex, false));
        out.push(percent_encoded(secret, hex, true));
    }
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json.get(1..json.len().saturating_sub(1)).unwrap_or_default();
    for (escape_slash, hex) in JSON_FORMS {
        out.push(json_variant(json, *escape_slash, *hex));
    }
    let bytes = secret.as_bytes();
    for alphabet in [BASE64_STANDARD, BASE64_URL_SAFE].iter() {
        let unpadded = base64(bytes, 0, alphabet);
        let mut padded = unpadded.clone();
        for _ in 0..(3 - bytes.len() % 3) % 3 {
            padded.push('=');
        }
        out.push(padded);
        out.push(unpadded);
        for offset in 0..3 {
            out.push(base64_inner(bytes, offset, alphabet));
        }
    }
    out
}

fn push_hex(out: &mut String, byte: u8, hex: &[u8; 16]) {
    for nibble in [byte >> 4, byte & 15] {
        out.push(char::from(hex.get(usize::from(nibble)).copied().unwrap_or(b'0')));
    }
}

/// Percent-encoding of every byte outside `A-Za-z0-9-._~`; for a form
/// (`application/x-www-form-urlencoded`), outside `A-Za-z0-9-._*`, with a space as `+`.
fn percent_encoded(text: &str, hex: &[u8; 16], form: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        let kept = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_') || b == if form { b'*' } else { b'~' };
        if kept {
            out.push(char::from(b));
        } else if form && b == b' ' {
            out.push('+');
        } else {
            out.push('%');
            push_hex(&mut out, b, hex);
        }
    }
    out
}

/// A JSON-escaped text (as serde_json writes it) with `/` written `\/` and non-ASCII
/// characters written `\uXXXX` (in the given hex case), as other JSON writers do.
fn json_variant(json: &str, escape_slash: bool, hex: Option<&[u8; 16]>) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match (c, hex) {
            ('/', _) if escape_slash => out.push_str("\\/"),
            (c, Some(hex)) if !c.is_ascii() => {
                for unit in c.encode_utf16(&mut [0; 2]) {
                    out.push_str("\\u");
                    for byte in unit.to_be_bytes() {
                        push_hex(&mut out, byte, hex);
                    }
                }
            }
            (c, _) => out.push(c),
        }
    }
    out
}

/// Base64 of `offset` zero bytes followed by `bytes`, in `alphabet`, without padding.
fn base64(bytes: &[u8], offset: usize, alphabet: &[u8; 64]) -> String {
    let mut out = String::with_capacity((offset + bytes.len()) / 3 * 4 + 4);
    let mut push = |sextet: u32| out.push(char::from(alphabet.get(sextet as usize & 63).copied().unwrap_or(b'A')));
    // `pending` holds the bits not yet written (fewer than 6 after each byte's characters).
    let (mut pending, mut bits) = (0u32, 0);
    for byte in std::iter::repeat(&0).take(offset).chain(bytes) {
        pending = (pending << 8 | u32::from(*byte)) & 0x3fff;
        bits += 8;
        while bits >= 6 {
            bits -= 6;
            push(pending >> bits);
        }
    }
    if bits > 0 {
        push(pending << (6 - bits));
    }
    out
}

/// The part of the base64 encoding of `secret` that does not depend on its neighbours, when
/// it starts `offset` bytes into a 3-byte group of a longer encoded text: the characters
/// whose six bits all come from the secret.
fn base64_inner(secret: &[u8], offset: usize, alphabet: &[u8; 64]) -> String {
    let encoded = base64(secret, offset, alphabet);
    let first = (8 * offset).div_ceil(6);
    let end = 8 * (offset + secret.len()) / 6;
    encoded.get(first..end).unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_vectors() {
        // RFC 4648, section 10.
        let vectors = [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy")];
        for (plain, encoded) in vectors {
            assert_eq!(base64(plain.as_bytes(), 0, BASE64_STANDARD), encoded);
        }
        assert_eq!(base64(&[0xfb, 0xff], 0, BASE64_STANDARD), "+/8");
        assert_eq!(base64(&[0xfb, 0xff], 0, BASE64_URL_SAFE), "-_8");
        assert_eq!(base64(b"oobar", 1, BASE64_STANDARD), "AG9vYmFy");
    }

    #[test]
    fn the_inner_part_is_found_at_every_offset() {
        let secret = b"s3cr3t-value";
        for prefix in ["", "a", "ab", "client:", "client-1:"] {
            for suffix in ["", "x", "xy", "&more"] {
                let whole = [prefix.as_bytes(), secret, suffix.as_bytes()].concat();
                let encoded = base64(&whole, 0, BASE64_STANDARD);
                let inner = base64_inner(secret, prefix.len() % 3, BASE64_STANDARD);
                assert!(inner.len() >= 14, "{prefix:?}: {inner}");
                assert!(encoded.contains(&inner), "{prefix:?} {suffix:?}: {inner} in {encoded}");
            }
        }
    }

    #[test]
    fn spellings_cover_every_encoding() {
        let known = KnownSecrets::new(["a b/é~*"]);
        let expected = [
            "a b/é~*",
            "a%20b%2F%C3%A9~%2A",
            "a%20b%2f%c3%a9~%2a",
            "a+b%2F%C3%A9%7E*",
            "a+b%2f%c3%a9%7e*",
            r"a b\/é~*",
            r"a b/\u00e9~*",
            r"a b\/\u00E9~*",
            "YSBiL8Opfio=",
            "YSBiL8Opfio",
        ];
        for spelling in expected {
            assert!(known.spellings.iter().any(|s| s == spelling), "{spelling}");
        }
        assert!(KnownSecrets::new(["abc", ""]).is_empty());
        assert!(!format!("{known:?}").contains("a b"));
    }
}
