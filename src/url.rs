//! Endpoint URLs, read exactly as WHATWG URL parsing reads them.
//!
//! Every `fetch` (browsers, Node, Deno, workers) parses a URL with the WHATWG URL standard, so
//! the host this module believes in must be the host `fetch` will connect to: otherwise a URL
//! such as `http://evil.example\.localhost/` passes as "plain http to this computer" while
//! `fetch` sends the credentials to `evil.example`. This module implements the standard's
//! steps for the part the library relies on (scheme, authority, host and port of an absolute
//! http(s) URL) and refuses everything else outright rather than guessing:
//!
//! - backslashes (the standard reads them as `/` in http(s) URLs), tabs and newlines (it
//!   silently removes them), spaces, control and non-ASCII characters, queries and fragments,
//!   user names and passwords, anything but exactly `//` after the scheme;
//! - percent-encoded characters in a host (the standard decodes, then rejects most of them);
//! - internationalised host names (`xn--` labels and non-ASCII): checking them needs the
//!   Unicode IDNA tables, which would outweigh the rest of the browser bundle. Endpoints are
//!   written in ASCII.
//!
//! What remains is read with the standard's own rules: ASCII lowercasing of domains, its IPv4
//! parser (hex, octal and short forms such as `0x7f.1` or `2130706433`, which really are
//! `127.0.0.1`), its IPv6 parser (including embedded IPv4) and its port rules (leading zeros,
//! the default port dropped). `tests/data/url-corpus.json` holds several hundred tricky URLs with
//! the answers of a WHATWG parser, and the tests check that every URL accepted here has the same
//! scheme, host and port there.
//!
//! Hand-written rather than the `url` crate: that crate carries IDNA tables worth far more than
//! the whole rest of the browser bundle.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UrlError {
    #[error("is not an absolute URL (it must start with https://)")]
    NotAbsolute,
    #[error("uses the scheme {0}, but only https (or http to this computer) is supported")]
    UnsupportedScheme(String),
    #[error("has no host name")]
    MissingHost,
    #[error("contains a user name or password; credentials belong in the setup fields, never in a URL")]
    HasCredentials,
    #[error("has a port that is not a number from 1 to 65535")]
    InvalidPort,
    #[error("contains spaces, control characters or characters outside ASCII (percent-encode them in the path; write host names in ASCII)")]
    InvalidCharacters,
    #[error("contains a backslash, which URL parsers read as \"/\"; write \"/\" where you mean it")]
    Backslash,
    #[error("contains a query string or fragment; give the endpoint address only")]
    HasQuery,
    #[error("has percent-encoded characters in its host name; write the host name as it is")]
    PercentEncodedHost,
    #[error("has a host name with characters a host name cannot contain")]
    InvalidHost,
    #[error("has an internationalised host name (xn--); give the host's ASCII name or its IP address")]
    InternationalisedHost,
    #[error("has a host that reads as an IPv4 address but is not a valid one")]
    InvalidIpv4,
    #[error("has an IPv6 address in brackets that is not a valid one")]
    InvalidIpv6,
}

/// A host as the WHATWG URL standard reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// An ASCII domain, lowercased.
    Domain(String),
    Ipv4(u32),
    Ipv6([u16; 8]),
}

impl Host {
    /// The host as WHATWG serializes it (`hostname` of a `URL`).
    pub fn serialize(&self) -> String {
        match self {
            Host::Domain(name) => name.clone(),
            Host::Ipv4(address) => {
                let mut out = String::with_capacity(15);
                for (i, byte) in address.to_be_bytes().into_iter().enumerate() {
                    if i > 0 {
                        out.push('.');
                    }
                    push_number(&mut out, u32::from(byte), 10);
                }
                out
            }
            Host::Ipv6(pieces) => format!("[{}]", serialize_ipv6(pieces)),
        }
    }

    /// Whether the host is this computer for certain: `localhost` itself, `127.0.0.0/8` or
    /// `::1`. Other names under `.localhost` are not: Node resolves them through DNS. IPv4-mapped
    /// IPv6 forms (`::ffff:127.0.0.1`) are not either: whether they reach the loopback interface
    /// depends on the system.
    pub fn is_loopback(&self) -> bool {
        match self {
            Host::Domain(name) => name == "localhost",
            Host::Ipv4(address) => address >> 24 == 127,
            Host::Ipv6(pieces) => *pieces == [0, 0, 0, 0, 0, 0, 0, 1],
        }
    }
}

/// An absolute http(s) URL split into the parts the library looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    /// `http` or `https`.
    pub scheme: String,
    pub host: Host,
    /// The port, unless it is the scheme's default.
    pub port: Option<u16>,
    /// Path without query, starting with `/` (or empty).
    pub path: String,
}

impl HttpUrl {
    pub fn parse(text: &str) -> Result<HttpUrl, UrlError> {
        if text.bytes().any(|b| b <= b' ' || b >= 0x7f) {
            return Err(UrlError::InvalidCharacters);
        }
        if text.contains('\\') {
            return Err(UrlError::Backslash);
        }
        let (scheme, rest) = text.split_once(':').ok_or(UrlError::NotAbsolute)?;
        let mut scheme_chars = scheme.chars();
        let scheme_ok = scheme_chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && scheme_chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if !scheme_ok {
            return Err(UrlError::NotAbsolute);
        }
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "https" && scheme != "http" {
            return Err(UrlError::UnsupportedScheme(scheme));
        }
        // Exactly two slashes: the standard skips any number of them, so `https:example.dk`
        // and `https:////example.dk` mean the same host; requiring the one usual spelling
        // leaves nothing to interpret.
        let rest = rest.strip_prefix("//").ok_or(UrlError::NotAbsolute)?;
        if rest.starts_with('/') {
            return Err(UrlError::MissingHost);
        }
        if rest.contains(['?', '#']) {
            return Err(UrlError::HasQuery);
        }
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if authority.contains('@') {
            return Err(UrlError::HasCredentials);
        }
        let (host_text, port_text) = split_host_port(authority)?;
        let host = parse_host(host_text)?;
        let default_port = if scheme == "https" { 443 } else { 80 };
        let port = match port_text {
            None => None,
            Some(digits) => Some(parse_port(digits)?).filter(|p| *p != default_port),
        };
        Ok(HttpUrl { scheme, host, port, path: path.to_string() })
    }

    pub fn is_https(&self) -> bool {
        self.scheme == "https"
    }

    /// Loopback hosts are the only ones allowed over plain http: the local emulator, or a
    /// relay on the same machine.
    pub fn is_loopback(&self) -> bool {
        self.host.is_loopback()
    }

    /// The URL as the library calls it: scheme, host and port in their normal form, the path
    /// as given. Parsing this text again (here or with WHATWG's parser) gives the same host.
    pub fn href(&self) -> String {
        let mut out = String::with_capacity(self.scheme.len() + self.path.len() + 32);
        out.push_str(&self.scheme);
        out.push_str("://");
        out.push_str(&self.host.serialize());
        if let Some(port) = self.port {
            out.push(':');
            push_number(&mut out, u32::from(port), 10);
        }
        out.push_str(&self.path);
        out
    }
}

/// The host and the port text of an authority (no user info left in it).
fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), UrlError> {
    if authority.starts_with('[') {
        let close = authority.find(']').ok_or(UrlError::InvalidIpv6)?;
        let (host, after) = authority.split_at(close + 1);
        return match after {
            "" => Ok((host, None)),
            _ => Ok((host, Some(after.strip_prefix(':').ok_or(UrlError::InvalidPort)?))),
        };
    }
    match authority.split_once(':') {
        Some((host, port)) => Ok((host, Some(port))),
        None => Ok((authority, None)),
    }
}

/// Digits only; leading zeros allowed (the standard reads `0080` as 80); 1 to 65535. An empty
/// port, which the standard allows, is refused as the typo it almost always is.
fn parse_port(digits: &str) -> Result<u16, UrlError> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UrlError::InvalidPort);
    }
    let value = digits.bytes().try_fold(0u32, |n, b| Some(n * 10 + u32::from(b - b'0')).filter(|n| *n <= 65_535));
    match value.and_then(|n| u16::try_from(n).ok()) {
        Some(port) if port > 0 => Ok(port),
        _ => Err(UrlError::InvalidPort),
    }
}

/// The standard's host parser for a special scheme, for ASCII input without percent-encoding.
fn parse_host(text: &str) -> Result<Host, UrlError> {
    if text.is_empty() {
        return Err(UrlError::MissingHost);
    }
    if let Some(inside) = text.strip_prefix('[') {
        let inside = inside.strip_suffix(']').ok_or(UrlError::InvalidIpv6)?;
        return parse_ipv6(inside).map(Host::Ipv6).ok_or(UrlError::InvalidIpv6);
    }
    if text.contains('%') {
        return Err(UrlError::PercentEncodedHost);
    }
    // Forbidden domain code points that can still be here (the caller refused controls,
    // spaces, non-ASCII, `\`, `?`, `#`, `@`, and split off `/` and `:`).
    if text.contains(['<', '>', '[', ']', '^', '|', '/', ':', '@', '#', '?', '\\']) {
        return Err(UrlError::InvalidHost);
    }
    let domain = text.to_ascii_lowercase();
    // The standard hands a domain with an `xn--` label to IDNA processing (Punycode checks);
    // plain ASCII otherwise only gets lowercased.
    if domain.split('.').any(|label| label.starts_with("xn--")) {
        return Err(UrlError::InternationalisedHost);
    }
    if ends_in_a_number(&domain) {
        return parse_ipv4(&domain).map(Host::Ipv4).ok_or(UrlError::InvalidIpv4);
    }
    Ok(Host::Domain(domain))
}

/// The standard's "ends in a number" checker: such a host must be an IPv4 address.
fn ends_in_a_number(domain: &str) -> bool {
    let mut parts: Vec<&str> = domain.split('.').collect();
    if parts.last() == Some(&"") {
        if parts.len() == 1 {
            return false;
        }
        parts.pop();
    }
    let Some(last) = parts.last() else { return false };
    if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    parse_ipv4_number(last).is_some() && (last.starts_with("0x") || last.starts_with("0X"))
}

/// One part of an IPv4 address: decimal, `0x` hex or `0`-prefixed octal; `0x` alone is 0.
fn parse_ipv4_number(text: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    let (digits, radix) = if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        (hex, 16)
    } else if let Some(octal) = text.strip_prefix('0').filter(|rest| !rest.is_empty()) {
        (octal, 8)
    } else {
        (text, 10)
    };
    if digits.is_empty() {
        return Some(0);
    }
    let mut value: u64 = 0;
    for c in digits.chars() {
        let digit = u64::from(c.to_digit(radix)?);
        // Anything past 2^32 is refused by the caller; saturate instead of overflowing.
        value = value.saturating_mul(u64::from(radix)).saturating_add(digit).min(u64::from(u32::MAX) + 1);
    }
    Some(value)
}

/// The standard's IPv4 parser: up to four parts, the last filling the remaining bytes.
fn parse_ipv4(text: &str) -> Option<u32> {
    let mut parts: Vec<&str> = text.split('.').collect();
    if parts.len() > 1 && parts.last() == Some(&"") {
        parts.pop();
    }
    if parts.len() > 4 {
        return None;
    }
    let numbers: Vec<u64> = parts.iter().map(|p| parse_ipv4_number(p)).collect::<Option<_>>()?;
    let (last, leading) = numbers.split_last()?;
    if leading.iter().any(|n| *n > 255) {
        return None;
    }
    let room = 8 * (5 - numbers.len() as u32);
    if *last >= 1u64 << room.min(32) {
        return None;
    }
    let mut address = *last;
    for (i, n) in leading.iter().enumerate() {
        address += n << (8 * (3 - i as u32));
    }
    u32::try_from(address).ok()
}

/// The standard's IPv6 parser (the text between the brackets).
fn parse_ipv6(text: &str) -> Option<[u16; 8]> {
    let input = text.as_bytes();
    let mut address = [0u16; 8];
    let mut piece = 0usize;
    let mut compress: Option<usize> = None;
    let mut at = 0usize;
    let byte = |i: usize| input.get(i).copied();
    if byte(0) == Some(b':') {
        if byte(1) != Some(b':') {
            return None;
        }
        at = 2;
        piece = 1;
        compress = Some(1);
    }
    while at < input.len() {
        if piece == 8 {
            return None;
        }
        if byte(at) == Some(b':') {
            if compress.is_some() {
                return None;
            }
            at += 1;
            piece += 1;
            compress = Some(piece);
            continue;
        }
        let mut value: u32 = 0;
        let mut length = 0;
        while length < 4 {
            match byte(at).and_then(|b| char::from(b).to_digit(16)) {
                Some(d) => {
                    value = value * 16 + d;
                    at += 1;
                    length += 1;
                }
                None => break,
            }
        }
        match byte(at) {
            Some(b'.') => {
                if length == 0 || piece > 6 {
                    return None;
                }
                at -= length;
                let mut numbers_seen = 0;
                while at < input.len() {
                    if numbers_seen > 0 {
                        if byte(at) == Some(b'.') && numbers_seen < 4 {
                            at += 1;
                        } else {
                            return None;
                        }
                    }
                    let mut ipv4_piece: Option<u32> = None;
                    if !byte(at).is_some_and(|b| b.is_ascii_digit()) {
                        return None;
                    }
                    while let Some(d) = byte(at).filter(u8::is_ascii_digit) {
                        let number = u32::from(d - b'0');
                        ipv4_piece = match ipv4_piece {
                            None => Some(number),
                            Some(0) => return None,
                            Some(p) => Some(p * 10 + number),
                        };
                        if ipv4_piece.is_some_and(|p| p > 255) {
                            return None;
                        }
                        at += 1;
                    }
                    let slot = address.get_mut(piece)?;
                    *slot = slot.wrapping_mul(0x100).wrapping_add(ipv4_piece.unwrap_or(0) as u16);
                    numbers_seen += 1;
                    if numbers_seen == 2 || numbers_seen == 4 {
                        piece += 1;
                    }
                }
                if numbers_seen != 4 {
                    return None;
                }
                break;
            }
            Some(b':') => {
                at += 1;
                if at >= input.len() {
                    return None;
                }
            }
            Some(_) => return None,
            None => {}
        }
        *address.get_mut(piece)? = value as u16;
        piece += 1;
    }
    match compress {
        Some(start) => {
            let mut swaps = piece - start;
            let mut index = 7;
            while index != 0 && swaps > 0 {
                address.swap(index, start + swaps - 1);
                index -= 1;
                swaps -= 1;
            }
        }
        None if piece != 8 => return None,
        None => {}
    }
    Some(address)
}

/// The standard's IPv6 serializer: lowercase hex, the first longest run of two or more zero
/// pieces written as `::`.
fn serialize_ipv6(pieces: &[u16; 8]) -> String {
    let mut best: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < 8 {
        let run = pieces.iter().skip(i).take_while(|p| **p == 0).count();
        if run >= 2 && !best.is_some_and(|(_, len)| run <= len) {
            best = Some((i, run));
        }
        i += run.max(1);
    }
    let mut out = String::new();
    let mut i = 0;
    while i < 8 {
        if let Some((start, len)) = best.filter(|(start, _)| *start == i) {
            out.push_str(if start == 0 { "::" } else { ":" });
            i += len;
            continue;
        }
        push_number(&mut out, u32::from(pieces.get(i).copied().unwrap_or(0)), 16);
        if i < 7 {
            out.push(':');
        }
        i += 1;
    }
    out
}

/// Digits of `value` in `radix` (lowercase), without the formatting machinery.
fn push_number(out: &mut String, value: u32, radix: u32) {
    let mut digits = [0u8; 10];
    let mut len = 0;
    let mut rest = value;
    loop {
        if let (Some(slot), Some(digit)) = (digits.get_mut(len), char::from_digit(rest % radix, radix)) {
            *slot = digit as u8;
        }
        len += 1;
        rest /= radix;
        if rest == 0 || len == digits.len() {
            break;
        }
    }
    for digit in digits.iter().take(len).rev() {
        out.push(char::from(*digit));
    }
}

/// Whether a host, as the standard would serialize it, is this computer.
pub fn is_loopback_host(host: &str) -> bool {
    parse_host(host).is_ok_and(|h| h.is_loopback())
}

#[cfg(test)]
mod tests;
