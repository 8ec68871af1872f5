//! Property tests of redaction: for any text with a secret embedded in random spellings at
//! random places (among pieces that start other patterns), redaction never panics, leaves no
//! spelling of the secret behind, and is idempotent. The spellings are computed here with
//! encoders of this test's own, not with the library's. Fixed seed and case count.
#![cfg(not(target_arch = "wasm32"))]

use datafordeler_cpr::redact::{redact_text, redact_text_with, RedactOptions, REDACTED};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

/// Characters of secrets: ASCII that URL, form and JSON encoding treat differently, and
/// non-ASCII of two, three and four UTF-8 bytes.
const SECRET_CHARS: &[char] = &[
    'a', 'b', 'k', 'q', 'x', 'z', '0', '3', '7', '9', ' ', '/', '+', '=', '&', '"', '\\', '~', '*', '%', ':', '\n', 'é', 'ø', '€', '😀',
];

/// Characters of the text around them, with those that end values and start patterns.
const FILLER_CHARS: &[char] = &[
    'a', 'B', 'e', 'y', 'J', 'x', '0', '1', '7', '9', ' ', '=', '&', ':', '"', '\'', ',', ';', '.', '-', '_', '\n', '\\', '%', '{', '}', 'é', '０',
];

/// Beginnings of the patterns redaction looks for, so that they meet the secret's spellings.
const KEYWORDS: &[&str] = &[
    "Bearer ", "basic  ", "token=", "client_secret = ", "\"password\":\"", "\\\"access_token\\\":\\\"", "eyJ", "eyJhbGciOiJub25lIn0.e30.",
    "0101701239", "07.07.61-0123", "０７０７６１－０１２３", "%5F", "authorization: ", "\\n", "code:", "[REDACTED]",
];

#[derive(Debug, Clone)]
enum Piece {
    Filler(String),
    Keyword(&'static str),
    /// The secret in one of its spellings (an index into `spellings`).
    Secret(usize),
    /// The secret inside a longer base64 text: base64(prefix + secret + suffix).
    Embedded { prefix: Vec<u8>, suffix: Vec<u8>, url_safe: bool },
}

fn text_of(chars: &'static [char], max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(select(chars), 0..max).prop_map(|c| c.into_iter().collect())
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        3 => text_of(FILLER_CHARS, 12).prop_map(Piece::Filler),
        2 => select(KEYWORDS).prop_map(Piece::Keyword),
        3 => (0..64usize).prop_map(Piece::Secret),
        1 => (proptest::collection::vec(any::<u8>(), 0..6), proptest::collection::vec(any::<u8>(), 0..4), any::<bool>())
            .prop_map(|(prefix, suffix, url_safe)| Piece::Embedded { prefix, suffix, url_safe }),
    ]
}

fn hex(byte: u8, upper: bool) -> String {
    if upper {
        format!("{byte:02X}")
    } else {
        format!("{byte:02x}")
    }
}

/// Percent-encoding (RFC 3986 unreserved kept) or form encoding (WHATWG: `*-._` kept, space `+`).
fn percent(text: &str, upper: bool, form: bool) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => char::from(b).to_string(),
            b'~' if !form => "~".into(),
            b'*' if form => "*".into(),
            b' ' if form => "+".into(),
            _ => format!("%{}", hex(b, upper)),
        })
        .collect()
}

/// JSON string content, by hand: `"` `\` and control characters escaped; optionally `/` as
/// `\/` and non-ASCII as `\uXXXX` (UTF-16 units).
fn json(text: &str, slash: bool, unicode: Option<bool>) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '/' if slash => out.push_str("\\/"),
            c if !c.is_ascii() && unicode.is_some() => {
                for unit in c.encode_utf16(&mut [0; 2]) {
                    let [high, low] = unit.to_be_bytes();
                    let upper = unicode == Some(true);
                    out.push_str(&format!("\\u{}{}", hex(high, upper), hex(low, upper)));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Base64 (RFC 4648), standard or URL-safe alphabet, padded or not: the textbook 3-to-4 way.
fn base64(bytes: &[u8], url_safe: bool, pad: bool) -> String {
    let alphabet: Vec<char> = if url_safe {
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".chars().collect()
    } else {
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".chars().collect()
    };
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextets = [n >> 18, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for (i, s) in sextets.iter().enumerate() {
            if i <= chunk.len() {
                out.push(alphabet[*s as usize]);
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// Every standalone spelling of `secret`.
fn spellings(secret: &str) -> Vec<String> {
    let mut out = vec![secret.to_string()];
    for upper in [true, false] {
        out.push(percent(secret, upper, false));
        out.push(percent(secret, upper, true));
    }
    for slash in [false, true] {
        for unicode in [None, Some(false), Some(true)] {
            out.push(json(secret, slash, unicode));
        }
    }
    for url_safe in [false, true] {
        for pad in [false, true] {
            out.push(base64(secret.as_bytes(), url_safe, pad));
        }
    }
    out
}

/// The characters of base64(prefix + secret + suffix) whose six bits all come from the secret.
fn embedded_part(prefix: &[u8], secret: &[u8], suffix: &[u8], url_safe: bool) -> String {
    let encoded: Vec<char> = base64(&[prefix, secret, suffix].concat(), url_safe, false).chars().collect();
    let first = (8 * prefix.len()).div_ceil(6);
    let end = 8 * (prefix.len() + secret.len()) / 6;
    encoded[first..end].iter().collect()
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config { cases, rng_seed: RngSeed::Fixed(20_240_611), failure_persistence: None, ..Config::default() })
}

#[test]
fn no_spelling_of_a_known_secret_survives_and_redaction_is_idempotent() {
    let strategy = (text_of(SECRET_CHARS, 14).prop_filter("4 characters at least", |s| s.chars().count() >= 4), proptest::collection::vec(piece(), 1..14));
    runner(512)
        .run(&strategy, |(secret, pieces)| {
            let options = RedactOptions { known_secrets: vec![secret.clone()], ..Default::default() };
            let standalone = spellings(&secret);
            let mut text = String::new();
            let mut embedded = Vec::new();
            for piece in &pieces {
                match piece {
                    Piece::Filler(s) => text.push_str(s),
                    Piece::Keyword(k) => text.push_str(k),
                    Piece::Secret(i) => text.push_str(&standalone[i % standalone.len()]),
                    Piece::Embedded { prefix, suffix, url_safe } => {
                        text.push_str(&base64(&[prefix, secret.as_bytes(), suffix].concat(), *url_safe, true));
                        embedded.push(embedded_part(prefix, secret.as_bytes(), suffix, *url_safe));
                    }
                }
            }
            let out = redact_text_with(&text, &options);
            for spelling in standalone.iter().chain(embedded.iter().filter(|p| p.len() >= 4)) {
                // A spelling inside the replacement itself cannot be avoided (nor does it leak).
                if REDACTED.contains(spelling.as_str()) {
                    continue;
                }
                prop_assert!(!out.contains(spelling.as_str()), "{spelling:?} left in {out:?} (from {text:?})");
            }
            prop_assert_eq!(redact_text_with(&out, &options), out.clone(), "not idempotent; from {:?}", text);
            Ok(())
        })
        .unwrap();
}

#[test]
fn any_text_is_redacted_without_panic_and_idempotently() {
    let strategy = proptest::collection::vec(prop_oneof![any::<String>(), select(KEYWORDS).prop_map(str::to_string), text_of(FILLER_CHARS, 16)], 0..12)
        .prop_map(|pieces| pieces.concat());
    runner(512)
        .run(&strategy, |text| {
            let once = redact_text(&text);
            let twice = redact_text(&once);
            if once != twice {
                return Err(TestCaseError::fail(format!("not idempotent: {text:?} -> {once:?} -> {twice:?}")));
            }
            Ok(())
        })
        .unwrap();
}
