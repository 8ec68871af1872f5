//! Secrets recognised by their shape in free text: `Bearer`/`Basic` credentials, JWTs, and the
//! values of secret-named fields (`client_secret=…`, `password: …`, `"access_token": "…"`).
//!
//! Each detector is one forward scan that reports sorted, non-overlapping spans. After a match
//! it continues behind the value, and after a failed attempt behind everything that attempt
//! read whenever no later start inside it could succeed, so no byte is read more than a small
//! fixed number of times whatever the input.

use super::spans::{secret, tick, Span};

/// Names whose values are secrets in text, normalised by [`read_name`].
pub(super) const SECRET_TEXT_NAMES: &[&[u8]] = &[
    b"clientsecret",
    b"secret",
    b"password",
    b"passwd",
    b"pwd",
    b"passphrase",
    b"certificatepassword",
    b"apikey",
    b"xapikey",
    b"accesstoken",
    b"refreshtoken",
    b"idtoken",
    b"token",
    b"jwt",
    b"clientassertion",
    b"assertion",
    b"privatekey",
    b"authorization",
    b"cookie",
];

/// Longer normalised names are read to their end but match nothing.
const MAX_NAME_BYTES: usize = 24;

/// A name as compared: lowercase letters and digits, separators left out.
pub(super) struct Name {
    bytes: [u8; MAX_NAME_BYTES],
    len: usize,
}

impl Name {
    /// Whether the name is one of `names` (which are normalised already).
    pub(super) fn is_one_of(&self, names: &[&[u8]]) -> bool {
        self.bytes.get(..self.len).is_some_and(|name| names.contains(&name))
    }
}

/// The byte at `i`, or 0 past the end (no pattern looks for a 0 byte).
fn at(bytes: &[u8], i: usize) -> u8 {
    bytes.get(i).copied().unwrap_or(0)
}

/// Past the bytes from `i` that `keep` accepts.
fn skip(bytes: &[u8], mut i: usize, keep: fn(u8) -> bool) -> usize {
    while bytes.get(i).is_some_and(|b| keep(*b)) {
        tick(1);
        i += 1;
    }
    i
}

/// Whether a word may start at `i`: at the start, after a byte that is no letter or digit, or
/// right after an escape (`\n`, `\r`, `\t`) in the text of a JSON string.
fn word_boundary(bytes: &[u8], i: usize) -> bool {
    let before = at(bytes, i.wrapping_sub(1));
    !before.is_ascii_alphanumeric() || (matches!(before, b'n' | b'r' | b't') && at(bytes, i.wrapping_sub(2)) == b'\\')
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// The length of a separator inside a name at `i`: `_`, `-`, or their escapes `%5F`, `%2D`.
fn separator_len(bytes: &[u8], i: usize) -> usize {
    match at(bytes, i) {
        b'_' | b'-' => 1,
        b'%' if matches!(bytes.get(i + 1..i + 3), Some(b"5F" | b"5f" | b"2D" | b"2d")) => 3,
        _ => 0,
    }
}

/// Reads the word starting at `start` (letters, digits and separators) and returns where it
/// ends and its normalised name: lowercase, separators left out, so that `Client_Secret`,
/// `client-secret`, `client%5Fsecret` and `clientSecret` are all `clientsecret`.
pub(super) fn read_name(bytes: &[u8], start: usize) -> (usize, Name) {
    let mut name = Name { bytes: [0; MAX_NAME_BYTES], len: 0 };
    let mut i = start;
    loop {
        tick(1);
        let separator = separator_len(bytes, i);
        if separator > 0 {
            i += separator;
            continue;
        }
        let b = at(bytes, i);
        if !b.is_ascii_alphanumeric() {
            return (i, name);
        }
        // A name too long to compare keeps a length that matches nothing.
        if let Some(slot) = name.bytes.get_mut(name.len) {
            *slot = b.to_ascii_lowercase();
        }
        name.len = name.len.saturating_add(1);
        i += 1;
    }
}

/// Where an unquoted value from `i` ends: at `&`, whitespace, a quote, `,`, `;`, `}`, an
/// escaped quote (`\"`, the end of a string inside a JSON string) or the end of the text.
fn value_end(bytes: &[u8], mut i: usize) -> usize {
    while let Some(&b) = bytes.get(i) {
        tick(1);
        if matches!(b, b'&' | b'"' | b'\'' | b',' | b';' | b'}') || b.is_ascii_whitespace() || (b == b'\\' && at(bytes, i + 1) == b'"') {
            break;
        }
        i += 1;
    }
    i
}

/// The authentication schemes whose credentials follow them in text.
const SCHEMES: &[&[u8]] = &[b"bearer", b"basic"];

/// Where the credentials start, when `Bearer` or `Basic` (any case) and blanks start at `i`.
fn scheme_at(bytes: &[u8], i: usize) -> Option<usize> {
    // The words are lowercase letters: setting bit 5 lowercases exactly the letters that match.
    let word = SCHEMES
        .iter()
        .find(|word| word.iter().enumerate().all(|(k, w)| at(bytes, i + k) | 0x20 == *w))?;
    let start = i + word.len();
    let after = skip(bytes, start, is_blank);
    (after > start).then_some(after)
}

/// `Bearer <credentials>` and `Basic <credentials>` anywhere, in any case.
pub(super) fn scheme_credentials(bytes: &[u8]) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        tick(1);
        let Some(start) = scheme_at(bytes, i) else {
            i += 1;
            continue;
        };
        let end = value_end(bytes, start);
        if end > start {
            spans.push(secret(start, end));
        }
        i = end;
    }
    spans
}

fn is_segment_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'=')
}

/// JWTs: `eyJ` (`{"` encoded) and base64url, a dot, base64url, and any further dotted
/// segments (`eyJhbGciOiJub25lIn0.e30.`); not when `eyJ` continues a word (`keyJar.value`).
pub(super) fn jwts(bytes: &[u8]) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        tick(1);
        let starts = bytes.get(i..i + 3) == Some(b"eyJ".as_slice()) && word_boundary(bytes, i);
        if !starts {
            i += 1;
            continue;
        }
        let dot = skip(bytes, i + 3, is_segment_byte);
        if at(bytes, dot) == b'.' && is_segment_byte(at(bytes, dot + 1)) {
            let end = skip(bytes, dot + 1, |b| is_segment_byte(b) || b == b'.');
            spans.push(secret(i, end));
            i = end;
        } else {
            // Any later `eyJ` before `dot` would end its first segment there too: none is a JWT.
            i = dot;
        }
    }
    spans
}

/// After a name: an optional closing quote (`"`, `\"` or `'`), blanks, `=` or `:`, blanks.
fn value_start(bytes: &[u8], mut i: usize) -> Option<usize> {
    match at(bytes, i) {
        b'"' | b'\'' => i += 1,
        b'\\' if at(bytes, i + 1) == b'"' => i += 2,
        _ => {}
    }
    i = skip(bytes, i, is_blank);
    matches!(at(bytes, i), b'=' | b':').then(|| skip(bytes, i + 1, is_blank))
}

/// The content of a string opened by `quote` just before `start`, honouring backslash escapes:
/// its start, its end and where the text goes on. Unterminated (a truncated body): to the end.
fn quoted(bytes: &[u8], start: usize, quote: u8) -> (usize, usize, usize) {
    let mut i = start;
    while let Some(&b) = bytes.get(i) {
        tick(1);
        if b == quote {
            return (start, i, i + 1);
        }
        i += if b == b'\\' { 2 } else { 1 };
    }
    (start, bytes.len(), bytes.len())
}

/// Like [`quoted`], for a string inside a JSON string, opened by `\"`: it ends at the next `\"`
/// that is not itself escaped inside (`\\\"` is an escaped quote of the inner string).
fn escaped_quoted(bytes: &[u8], start: usize) -> (usize, usize, usize) {
    let mut i = start;
    let mut inner_escape = false;
    while let Some(&b) = bytes.get(i) {
        tick(1);
        match (b, at(bytes, i + 1)) {
            (b'\\', b'"') if !inner_escape => return (start, i, i + 2),
            (b'\\', b'\\') => {
                inner_escape = !inner_escape;
                i += 2;
            }
            (b'\\', _) => {
                inner_escape = false;
                i += 2;
            }
            // A bare quote ends the outer string, and with it this one.
            (b'"', _) => return (start, i, i),
            _ => {
                inner_escape = false;
                i += 1;
            }
        }
    }
    (start, bytes.len(), bytes.len())
}

/// The values of secret-named fields: `name=value`, `name: value`, `name = value`,
/// `"name": "value"` and `\"name\":\"value\"`, the name starting a word.
pub(super) fn named_values(bytes: &[u8]) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        tick(1);
        let (end, mut name) = read_name(bytes, i);
        if end == i {
            i += 1;
            continue;
        }
        // In the text of a JSON string, the letter of an escape (`\ntoken=…`) is no part of
        // the word behind it; a raw backslash (`C:\token=…`) is followed by a word of its own.
        if !name.is_one_of(SECRET_TEXT_NAMES) && at(bytes, i.wrapping_sub(1)) == b'\\' && matches!(at(bytes, i), b'n' | b'r' | b't') {
            name = read_name(bytes, i + 1).1;
        }
        // The scan only ever stands at the start of a word: names inside words never match.
        i = end;
        if !name.is_one_of(SECRET_TEXT_NAMES) {
            continue;
        }
        let Some(value) = value_start(bytes, end) else { continue };
        let (start, stop, resume) = match at(bytes, value) {
            quote @ (b'"' | b'\'') => quoted(bytes, value + 1, quote),
            b'\\' if at(bytes, value + 1) == b'"' => escaped_quoted(bytes, value + 2),
            _ => {
                let stop = value_end(bytes, value);
                (value, stop, stop)
            }
        };
        // `Authorization: Bearer x` keeps its scheme: the credentials are redacted as such.
        if name.is_one_of(&[b"authorization"]) && scheme_at(bytes, start).is_some() {
            i = start;
            continue;
        }
        if stop > start {
            spans.push(secret(start, stop));
        }
        i = resume;
    }
    spans
}
