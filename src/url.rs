//! The little URL checking the library needs (endpoint overrides, building schema URLs).
//!
//! Hand-written rather than the `url` crate: that crate carries IDNA tables worth far more
//! than the whole rest of the browser bundle, and the library only has to recognise absolute
//! http(s) URLs, refuse credentials in them and tell loopback hosts apart.

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
    #[error("contains spaces or control characters")]
    InvalidCharacters,
    #[error("contains a query string or fragment; give the endpoint address only")]
    HasQuery,
}

/// An absolute http(s) URL split into the parts the library looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    pub scheme: String,
    pub host: String,
    pub port: Option<u16>,
    /// Path without query, always starting with `/` (or empty).
    pub path: String,
}

impl HttpUrl {
    pub fn parse(text: &str) -> Result<HttpUrl, UrlError> {
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(UrlError::InvalidCharacters);
        }
        let (scheme, rest) = text.split_once("://").ok_or(UrlError::NotAbsolute)?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
            return Err(UrlError::NotAbsolute);
        }
        if scheme != "https" && scheme != "http" {
            return Err(UrlError::UnsupportedScheme(scheme));
        }
        if rest.contains('?') || rest.contains('#') {
            return Err(UrlError::HasQuery);
        }
        let (authority, path) = match rest.find('/') {
            Some(at) => rest.split_at(at),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(UrlError::HasCredentials);
        }
        let (host, port) = split_host_port(authority)?;
        if host.is_empty() {
            return Err(UrlError::MissingHost);
        }
        Ok(HttpUrl {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
            path: path.to_string(),
        })
    }

    pub fn is_https(&self) -> bool {
        self.scheme == "https"
    }

    /// Loopback hosts are the only ones allowed over plain http: the local emulator,
    /// or a relay on the same machine.
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(&self.host)
    }
}

fn split_host_port(authority: &str) -> Result<(&str, Option<u16>), UrlError> {
    // Bracketed IPv6 literal: [::1]:8080
    if let Some(rest) = authority.strip_prefix('[') {
        let (inside, after) = rest.split_once(']').ok_or(UrlError::MissingHost)?;
        let port = match after {
            "" => None,
            p => Some(parse_port(p.strip_prefix(':').ok_or(UrlError::InvalidPort)?)?),
        };
        return Ok((inside, port));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Ok((host, Some(parse_port(port)?))),
        None => Ok((authority, None)),
    }
}

fn parse_port(text: &str) -> Result<u16, UrlError> {
    match text.parse::<u16>() {
        Ok(port) if port > 0 && text.chars().all(|c| c.is_ascii_digit()) => Ok(port),
        _ => Err(UrlError::InvalidPort),
    }
}

pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host == "localhost" || host.ends_with(".localhost") || host == "::1" {
        return true;
    }
    let octets: Vec<&str> = host.split('.').collect();
    octets.len() == 4
        && octets.first() == Some(&"127")
        && octets.iter().all(|o| !o.is_empty() && o.len() <= 3 && o.parse::<u8>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_endpoint_urls() {
        let u = HttpUrl::parse("https://Graphql.Datafordeler.dk/CPR/custom/PrivateSector/v2").unwrap();
        assert_eq!(u.host, "graphql.datafordeler.dk");
        assert_eq!(u.path, "/CPR/custom/PrivateSector/v2");
        assert!(u.is_https() && !u.is_loopback());
        let u = HttpUrl::parse("http://127.0.0.1:8787").unwrap();
        assert_eq!((u.port, u.path.as_str(), u.is_loopback()), (Some(8787), "", true));
        let u = HttpUrl::parse("http://[::1]:9/x").unwrap();
        assert!(u.is_loopback());
        assert_eq!(u.port, Some(9));
    }

    #[test]
    fn refuses_what_an_endpoint_must_not_be() {
        let cases = [
            ("graphql.datafordeler.dk", UrlError::NotAbsolute),
            ("ftp://x.dk", UrlError::UnsupportedScheme("ftp".into())),
            ("https://", UrlError::MissingHost),
            ("https://user:pw@x.dk/", UrlError::HasCredentials),
            ("https://x.dk:99999/", UrlError::InvalidPort),
            ("https://x.dk:/", UrlError::InvalidPort),
            ("https://x.dk/a b", UrlError::InvalidCharacters),
            ("https://x.dk/?apiKey=1", UrlError::HasQuery),
        ];
        for (text, want) in cases {
            assert_eq!(HttpUrl::parse(text), Err(want), "{text}");
        }
    }

    #[test]
    fn loopback_detection() {
        for host in ["localhost", "127.0.0.1", "127.1.2.3", "[::1]", "::1", "app.localhost"] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in ["128.0.0.1", "127.0.0.1.evil.dk", "localhost.dk", "10.0.0.1", "127.0.0"] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
