use super::*;
use serde::Deserialize;

#[test]
fn parses_endpoint_urls() {
    let u = HttpUrl::parse("https://Graphql.Datafordeler.dk/CPR/custom/PrivateSector/v2").unwrap();
    assert_eq!(u.host, Host::Domain("graphql.datafordeler.dk".into()));
    assert_eq!(u.path, "/CPR/custom/PrivateSector/v2");
    assert!(u.is_https() && !u.is_loopback());
    let u = HttpUrl::parse("http://127.0.0.1:8787").unwrap();
    assert_eq!((u.port, u.path.as_str(), u.is_loopback()), (Some(8787), "", true));
    let u = HttpUrl::parse("http://[::1]:9/x").unwrap();
    assert!(u.is_loopback());
    assert_eq!(u.port, Some(9));
    assert_eq!(u.href(), "http://[::1]:9/x");
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
        ("http://evil.com\\.localhost/token", UrlError::Backslash),
        ("http://%6cocalhost/", UrlError::PercentEncodedHost),
        ("http://evil.com%2F.localhost/", UrlError::PercentEncodedHost),
        ("https://xn--nxasmq6b.com/", UrlError::InternationalisedHost),
        ("http://127.0.0.08/", UrlError::InvalidIpv4),
        ("http://foo.123/", UrlError::InvalidIpv4),
        ("http://[::1:2::]/", UrlError::InvalidIpv6),
        ("http:localhost", UrlError::NotAbsolute),
        ("http:///localhost", UrlError::MissingHost),
        ("http://evil.com\t.localhost/", UrlError::InvalidCharacters),
        ("http://127\u{3002}0\u{3002}0\u{3002}1/", UrlError::InvalidCharacters),
    ];
    for (text, want) in cases {
        assert_eq!(HttpUrl::parse(text), Err(want), "{text:?}");
    }
}

#[test]
fn hosts_are_read_as_whatwg_reads_them() {
    let cases = [
        ("http://0x7f.1/", "127.0.0.1", true),
        ("http://2130706433/", "127.0.0.1", true),
        ("http://017700000001/", "127.0.0.1", true),
        ("http://127.0.0.1./", "127.0.0.1", true),
        ("http://LOCALHOST/", "localhost", true),
        ("http://localhost./", "localhost.", false),
        ("http://app.localhost/", "app.localhost", false),
        ("http://[0:0:0:0:0:0:0:1]/", "[::1]", true),
        ("http://[::ffff:127.0.0.1]/", "[::ffff:7f00:1]", false),
        ("http://[1:0:0:2:0:0:0:3]/", "[1:0:0:2::3]", false),
        ("http://[::127.0.0.1]/", "[::7f00:1]", false),
        ("http://128.0.0.1/", "128.0.0.1", false),
    ];
    for (text, host, loopback) in cases {
        let url = HttpUrl::parse(text).unwrap();
        assert_eq!((url.host.serialize().as_str(), url.is_loopback()), (host, loopback), "{text}");
    }
    let url = HttpUrl::parse("http://localhost:0080/x").unwrap();
    assert_eq!((url.port, url.href().as_str()), (None, "http://localhost/x"));
}

#[derive(Deserialize)]
struct CorpusEntry {
    input: String,
    whatwg: Option<Whatwg>,
}

#[derive(Deserialize)]
struct Whatwg {
    protocol: String,
    hostname: String,
    port: String,
}

/// Every URL of the corpus that the library accepts has exactly WHATWG's scheme, host and port
/// (the answers were recorded from a WHATWG parser, not from this code), and plain http only
/// ever reaches a loopback host.
#[test]
fn agrees_with_whatwg_on_the_corpus() {
    let corpus: Vec<CorpusEntry> = serde_json::from_str(include_str!("../../tests/data/url-corpus.json")).unwrap();
    assert!(corpus.len() >= 300);
    let mut accepted = 0;
    for entry in &corpus {
        let Ok(url) = HttpUrl::parse(&entry.input) else { continue };
        accepted += 1;
        let whatwg = entry.whatwg.as_ref().unwrap_or_else(|| panic!("accepted {:?}, which WHATWG refuses", entry.input));
        assert_eq!(format!("{}:", url.scheme), whatwg.protocol, "{:?}", entry.input);
        assert_eq!(url.host.serialize(), whatwg.hostname, "{:?}", entry.input);
        assert_eq!(url.port.map(|p| p.to_string()).unwrap_or_default(), whatwg.port, "{:?}", entry.input);
        if url.scheme == "http" && url.is_loopback() {
            let h = whatwg.hostname.as_str();
            assert!(h == "localhost" || h == "[::1]" || h.starts_with("127."), "{:?}", entry.input);
        }
    }
    assert!(accepted > 100, "the corpus should exercise accepted URLs too ({accepted})");
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
use super::*;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any text: no panic; what is accepted is http(s), re-reads to itself, and http is loopback
    /// only when the host is one.
    #[test]
    fn any_text_is_read_safely(text in "(https?|HTTP|ftp)?(:|://|:/)?[a-zA-Z0-9.:/\\\\@%\\[\\]#?x\\t -]{0,40}") {
        if let Ok(url) = HttpUrl::parse(&text) {
            prop_assert!(url.scheme == "http" || url.scheme == "https");
            let again = HttpUrl::parse(&url.href()).unwrap();
            prop_assert_eq!(&again, &url);
        }
    }

    #[test]
    fn ipv4_numbers_round_trip(a in any::<u32>()) {
        let url = HttpUrl::parse(&format!("http://{a}/")).unwrap();
        prop_assert_eq!(&url.host, &Host::Ipv4(a));
        prop_assert_eq!(url.is_loopback(), a >> 24 == 127);
    }

    #[test]
    fn ipv6_addresses_round_trip(pieces in any::<[u16; 8]>()) {
        let text = pieces.iter().map(|p| format!("{p:x}")).collect::<Vec<_>>().join(":");
        let url = HttpUrl::parse(&format!("https://[{text}]/")).unwrap();
        prop_assert_eq!(&url.host, &Host::Ipv6(pieces));
        let again = HttpUrl::parse(&url.href()).unwrap();
        prop_assert_eq!(again.host, Host::Ipv6(pieces));
    }
}
}
