//! Redaction: making any value safe to write to a log, an error or a debug capture.
//!
//! Two kinds of data must never leave unprotected:
//! - credentials, always replaced by [`REDACTED`]: the values under secret-named keys; in
//!   text, `Bearer`/`Basic` credentials, JWTs, the values of secret-named fields
//!   (`client_secret=…`, `password: …`, `"access_token": "…"`, also escaped inside a JSON
//!   string), and the caller's own secrets ([`KnownSecrets`]) in any spelling a server may echo
//!   them (raw, URL- or form-encoded, JSON-escaped, base64);
//! - CPR numbers inside any text (ASCII or full-width digits, `DDMMYYSSSS`, `DDMMYY-SSSS`,
//!   `DD.MM.YY SSSS`…) and whole numbers that are CPR numbers: masked as `DDMMYY-xxxx` (unless
//!   the caller explicitly asks to keep them, for a debug capture on its own machine).
//!
//! The work is linear in the input: the known secrets are removed first (one pass per
//! spelling), then each shape detector makes one forward pass that reports the spans to
//! replace (`patterns`, `cpr_text`), and one last pass writes the text with the merged spans
//! replaced (`spans`). Removing the known secrets first lets the detectors see the text as it
//! will be written, which keeps redaction idempotent.

mod cpr_text;
mod known;
mod patterns;
mod spans;

use serde_json::{Map, Value};

pub use known::KnownSecrets;

/// What replaces a secret.
pub const REDACTED: &str = "[REDACTED]";

/// The most known secrets a caller may ask one redaction to search for: each spelling of each
/// is one pass over every text, so this bounds the work (the client passes two).
pub const MAX_KNOWN_SECRETS: usize = 16;
/// The longest known secret a caller may pass, in characters: as long as a setup's text fields.
/// Its spellings, and the memory they take, grow with it.
pub const MAX_KNOWN_SECRET_CHARS: usize = crate::json_input::MAX_TEXT_CHARS;

/// Object keys whose values are secrets besides the names that mark secrets in text
/// ([`patterns::SECRET_TEXT_NAMES`]), normalised: lowercase, without `_`, `-`, `%5F`, `%2D`.
const SECRET_KEYS_BESIDES_NAMES: &[&[u8]] = &[b"certificate", b"pfx", b"key", b"bearer", b"proxyauthorization", b"setcookie"];

/// What a redaction hides besides what it always hides (credentials by name and shape). Also
/// the options of `redact` as a host passes them (unknown keys are refused: a misspelt
/// `secret` must not silently redact nothing).
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct RedactOptions {
    /// Mask CPR numbers as DDMMYY-xxxx (default true). Only a debug capture the caller keeps to
    /// itself may turn this off.
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub mask_cpr: bool,
    /// Exact values to remove wherever they appear, in any spelling (URL- or form-encoded,
    /// JSON-escaped, base64): the setup's own secrets, which a server may echo in free text,
    /// where no pattern can recognise them. At most 16, of at most 4096 characters.
    #[serde(rename = "secrets")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub known_secrets: Vec<String>,
}

impl RedactOptions {
    /// Whether the known secrets are within the limits (searching costs per secret).
    pub fn within_limits(&self) -> bool {
        self.known_secrets.len() <= MAX_KNOWN_SECRETS && self.known_secrets.iter().all(|s| s.chars().count() <= MAX_KNOWN_SECRET_CHARS)
    }
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

/// [`redact`] with options: whether to mask CPR numbers, and the caller's own secrets.
pub fn redact_with(value: &Value, options: &RedactOptions) -> Value {
    Redactor::new(options).value(value)
}

/// Redact secrets and mask CPR numbers in free text (a body, a message, a header value).
pub fn redact_text(text: &str) -> String {
    redact_text_with(text, &RedactOptions::default())
}

/// [`redact_text`] with options.
pub fn redact_text_with(text: &str, options: &RedactOptions) -> String {
    Redactor::new(options).text(text)
}

/// Mask every CPR number in `text` as `DDMMYY-xxxx`, leaving everything else.
pub fn mask_cpr_numbers(text: &str) -> String {
    spans::apply(text, &cpr_text::cpr_numbers(text.as_bytes())).into_owned()
}

/// The options of one call, with the known secrets compiled once for the whole value.
struct Redactor {
    mask_cpr: bool,
    known: KnownSecrets,
}

impl Redactor {
    fn new(options: &RedactOptions) -> Self {
        Redactor { mask_cpr: options.mask_cpr, known: KnownSecrets::new(options.known_secrets.iter().map(String::as_str)) }
    }

    fn value(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.text(s)),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.value(v)).collect()),
            Value::Object(map) => {
                let mut out = Map::with_capacity(map.len());
                for (key, v) in map {
                    let safe_value = if is_secret_key(key) && !v.is_null() {
                        Value::String(REDACTED.to_string())
                    } else {
                        self.value(v)
                    };
                    out.insert(self.text(key), safe_value);
                }
                Value::Object(out)
            }
            Value::Number(n) if self.mask_cpr => {
                // A CPR number by the same rules as in text becomes its masked text.
                let digits = n.as_u64().and_then(cpr_text::cpr_digits).unwrap_or_default();
                match cpr_text::cpr_numbers(&digits).first() {
                    Some(cpr) => {
                        let mut masked = String::new();
                        spans::push_replacement(&mut masked, cpr.with);
                        Value::String(masked)
                    }
                    None => value.clone(),
                }
            }
            other => other.clone(),
        }
    }

    fn text(&self, text: &str) -> String {
        let text = self.known.remove_from(text);
        let bytes = text.as_bytes();
        let mut found = spans::union(patterns::scheme_credentials(bytes), patterns::jwts(bytes));
        found = spans::union(found, patterns::named_values(bytes));
        if self.mask_cpr {
            found = spans::union(found, cpr_text::cpr_numbers(bytes));
        }
        spans::apply(&text, &found).into_owned()
    }
}

/// Whether an object key names a secret: the whole key, compared like names in text.
fn is_secret_key(key: &str) -> bool {
    let (end, name) = patterns::read_name(key.as_bytes(), 0);
    end == key.len() && (name.is_one_of(patterns::SECRET_TEXT_NAMES) || name.is_one_of(SECRET_KEYS_BESIDES_NAMES))
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

    /// Redacts each input and compares with the expected text.
    fn check(cases: &[(&str, &str)]) {
        for (input, want) in cases {
            assert_eq!(redact_text(input), *want, "{input}");
        }
    }

    #[test]
    fn bearer_and_basic_credentials_in_any_case_and_place() {
        check(&[
            ("authorization: bearer abc.def", "authorization: bearer [REDACTED]"),
            ("AUTHORIZATION:Bearer abc", "AUTHORIZATION:Bearer [REDACTED]"),
            ("sent BEARER abc then", "sent BEARER [REDACTED] then"),
            ("Basic dXNlcjpwdw==", "Basic [REDACTED]"),
            ("basic   a+b/c=.d~e_f-g", "basic   [REDACTED]"),
            ("Bearer\tx=y", "Bearer\t[REDACTED]"),
            (r#"{"h":"Bearer abc=+/.~"}"#, r#"{"h":"Bearer [REDACTED]"}"#),
            (r#"{\"h\":\"Bearer abc\"}"#, r#"{\"h\":\"Bearer [REDACTED]\"}"#),
            ("Bearer a;b", "Bearer [REDACTED];b"),
            ("Bearer ", "Bearer "),
        ]);
    }

    #[test]
    fn jwts_anywhere_even_after_any_key() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln-_=";
        for prefix in ["token=", "jwt=", "code=", "id_token=", "state=", "session=", "x ", "(", "\\n"] {
            assert_eq!(redact_text(&format!("{prefix}{jwt}&z=1")), format!("{prefix}[REDACTED]&z=1"), "{prefix}");
        }
        check(&[
            ("eyJhbGciOiJub25lIn0.e30.", "[REDACTED]"),
            ("a eyJ0.eyJ1.c2ln b", "a [REDACTED] b"),
            ("eyJ0.eyJ1.c2ln.ZW5j.dGFn", "[REDACTED]"),
            ("keyJar.value stays", "keyJar.value stays"),
            ("eyJ alone, eyJabc. and eyJ..x stay", "eyJ alone, eyJabc. and eyJ..x stay"),
        ]);
    }

    #[test]
    fn secret_named_values_in_every_writing() {
        check(&[
            ("CLIENT_SECRET=a", "CLIENT_SECRET=[REDACTED]"),
            ("Client_Secret=a", "Client_Secret=[REDACTED]"),
            ("client%5Fsecret=a&client%5fsecret=b&client%2Dsecret=c", "client%5Fsecret=[REDACTED]&client%5fsecret=[REDACTED]&client%2Dsecret=[REDACTED]"),
            ("client_secret = a b", "client_secret = [REDACTED] b"),
            ("client-secret: a", "client-secret: [REDACTED]"),
            ("clientSecret=a", "clientSecret=[REDACTED]"),
            ("https://h/cb?client_secret=a&code=b&state=c", "https://h/cb?client_secret=[REDACTED]&code=b&state=c"),
            // `code` is no secret name: GraphQL error codes and status codes stay readable (a JWT
            // after `code=` is caught as a JWT).
            (r#"{"extensions":{"code":"UNAUTHENTICATED"}} status code: 500"#, r#"{"extensions":{"code":"UNAUTHENTICATED"}} status code: 500"#),
            ("x=1&token=a", "x=1&token=[REDACTED]"),
            ("my_client_secret=keep", "my_client_secret=keep"),
            ("tokens=keep token_type=keep", "tokens=keep token_type=keep"),
            ("\\npassword=a", "\\npassword=[REDACTED]"),
            ("C:\\token=a \\tpwd=b", "C:\\token=[REDACTED] \\tpwd=[REDACTED]"),
        ]);
        let names = [
            "client_secret", "secret", "password", "passwd", "pwd", "passphrase", "certificate_password", "api_key", "apikey",
            "x-api-key", "access_token", "refresh_token", "id_token", "token", "jwt", "client_assertion", "assertion",
            "private_key", "authorization", "cookie",
        ];
        for name in names {
            for (separator, value_end) in [("=", "&"), (": ", " "), (" = ", ","), ("=", ";"), ("=", "}"), ("=", "'"), ("=", "\""), ("=", "\n")] {
                let input = format!("{name}{separator}s3cr3t{value_end}next");
                assert_eq!(redact_text(&input), format!("{name}{separator}[REDACTED]{value_end}next"), "{input:?}");
            }
        }
    }

    #[test]
    fn secret_named_json_fields_plain_and_nested() {
        check(&[
            (r#"{"password": "a\"b", "user": "u"}"#, r#"{"password": "[REDACTED]", "user": "u"}"#),
            (r#"{"Client_Secret":"a b"}"#, r#"{"Client_Secret":"[REDACTED]"}"#),
            (r#"{"refresh_token":"abc"#, r#"{"refresh_token":"[REDACTED]"#),
            (r#"{"body":"{\"access_token\":\"abc\",\"expires_in\":300}"}"#, r#"{"body":"{\"access_token\":\"[REDACTED]\",\"expires_in\":300}"}"#),
            // An escaped quote of the inner string is \\\" in the outer one.
            (r#""{\"password\":\"a\\\"b\",\"x\":1}""#, r#""{\"password\":\"[REDACTED]\",\"x\":1}""#),
            (r#"{\"token\":\"abc"#, r#"{\"token\":\"[REDACTED]"#),
            ("{'password': 'a b'}", "{'password': '[REDACTED]'}"),
            (r#"{"password":""}"#, r#"{"password":""}"#),
        ]);
    }

    #[test]
    fn object_keys_are_normalised_like_names_in_text() {
        let v = redact(&json!({
            "Client-Secret": "a", "client%5Fsecret": "b", "X_API_KEY": "c", "PASSWD": "d", "jwt": {"nested": 1},
            "my_client_secret": "kept", "clientId": "kept", "tokenType": "kept"
        }));
        for key in ["Client-Secret", "client%5Fsecret", "X_API_KEY", "PASSWD", "jwt"] {
            assert_eq!(v[key], REDACTED, "{key}");
        }
        for key in ["my_client_secret", "clientId", "tokenType"] {
            assert_eq!(v[key], "kept", "{key}");
        }
    }

    #[test]
    fn known_secrets_in_every_spelling() {
        let secret = "Hunter2/é x*~";
        let options = RedactOptions { known_secrets: vec![secret.into()], ..Default::default() };
        let spellings = [
            "Hunter2/é x*~",
            "Hunter2%2F%C3%A9%20x%2A~",
            "Hunter2%2f%c3%a9%20x%2a~",
            "Hunter2%2F%C3%A9+x*%7E",
            "Hunter2%2f%c3%a9+x*%7e",
            r"Hunter2\/é x*~",
            r"Hunter2/\u00e9 x*~",
            r"Hunter2\/\u00E9 x*~",
            "SHVudGVyMi/DqSB4Kn4=",
            "SHVudGVyMi_DqSB4Kn4",
        ];
        for spelling in spellings {
            let out = redact_text_with(&format!("echo {spelling}!"), &options);
            assert_eq!(out, "echo [REDACTED]!", "{spelling}");
        }
        // Inside a longer base64 text (`Basic base64(clientId:secret)`), at each alignment.
        // base64("id:Hunter2/é x*~"), base64("id1:…"), base64("id12:…"), computed independently.
        for encoded in ["aWQ6SHVudGVyMi/DqSB4Kn4=", "aWQxOkh1bnRlcjIvw6kgeCp+", "aWQxMjpIdW50ZXIyL8OpIHgqfg=="] {
            let out = redact_text_with(&format!("blob {encoded} end"), &options);
            assert!(out.starts_with("blob ") && out.ends_with(" end") && out.contains(REDACTED), "{encoded}: {out}");
            assert!(!out.contains("SHVudGVy") && !out.contains("h1bnRlcj") && !out.contains("IdW50ZXIy"), "{encoded}: {out}");
        }
    }

    #[test]
    fn known_secrets_compiled_once() {
        let known = KnownSecrets::new(["S3cret-Value", "pw"]);
        assert!(!known.is_empty() && KnownSecrets::new(["pw", "abc"]).is_empty());
        assert!(!known.occurs_in("a=S3cret%2DValue"), "'-' is never percent-encoded");
        assert!(known.occurs_in("x UzNjcmV0LVZhbHVl y") && known.occurs_in("S3cret-Value"));
        assert!(!known.occurs_in("S3cret-Valu"));
        assert!(matches!(known.remove_from("nothing here"), std::borrow::Cow::Borrowed("nothing here")));
        assert_eq!(known.remove_from("S3cret-ValueS3cret-Value"), "[REDACTED][REDACTED]");
        let debug = format!("{known:?} {:?}", known.clone());
        assert!(!debug.contains("S3cret") && !debug.contains("UzNj"), "{debug}");
    }

    #[test]
    fn cpr_numbers_in_every_writing() {
        check(&[
            ("born 07.07.61-0123.", "born 070761-xxxx."),
            ("07.07.61 0123", "070761-xxxx"),
            ("０７０７６１０１２３", "070761-xxxx"),
            ("０７０７６１－０１２３", "070761-xxxx"),
            ("０７０７６１ ０１２３ and 070761－0123", "070761-xxxx and 070761-xxxx"),
            ("０７.０７.６１-０１２３", "070761-xxxx"),
            ("\\n0707610123", "\\n070761-xxxx"),
            // Not CPR numbers: wrong run lengths, implausible dates, dates and versions.
            ("07.07.610123 07.07.61-01234 1.07.07.6 2024.01.01 1234", "07.07.610123 07.07.61-01234 1.07.07.6 2024.01.01 1234"),
            ("０１２３４５６７８９０", "０１２３４５６７８９０"),
            ("９９９９９９９９９９ 3213990123", "９９９９９９９９９９ 3213990123"),
            ("010170-1239-5", "010170-xxxx-5"),
        ]);
    }

    #[test]
    fn whole_numbers_that_are_cpr_numbers() {
        let v = redact(&json!({"pnr": 101701239, "cpr": 3112999999u64, "n": [707610123, 12345678, 9999999999u64, 3213990123u64, -101701239, 1.5]}));
        assert_eq!(v, json!({"pnr": "010170-xxxx", "cpr": "311299-xxxx", "n": ["070761-xxxx", 12345678, 9999999999u64, 3213990123u64, -101701239, 1.5]}));
        let keep = RedactOptions { mask_cpr: false, ..Default::default() };
        assert_eq!(redact_with(&json!([101701239]), &keep), json!([101701239]));
    }

    /// The committed adversarial inputs (`tests/data/redaction`): name and text.
    fn adversarial_inputs() -> Vec<(String, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/redaction");
        let mut inputs: Vec<(String, String)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "txt"))
            .map(|path| (path.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&path).unwrap()))
            .collect();
        inputs.sort();
        assert!(inputs.len() >= 14, "{} inputs in {}", inputs.len(), dir.display());
        inputs
    }

    /// The bytes examined to redact `text` (see `spans::tick`).
    fn work(text: &str, options: &RedactOptions) -> usize {
        spans::take_steps();
        let out = redact_text_with(text, options);
        assert!(!out.is_empty());
        spans::take_steps()
    }

    #[test]
    fn work_is_linear_in_the_input() {
        // A known secret with a dozen spellings, each searched for in one pass of its own, and
        // every detector on.
        let options = RedactOptions { known_secrets: vec!["S3cret/Value é".into()], ..Default::default() };
        // Passes: one per spelling, one per detector, the writing; each reads a byte a few times.
        const BYTES_EXAMINED_PER_INPUT_BYTE: usize = 32;
        for (name, input) in adversarial_inputs() {
            let once = work(&input, &options);
            let twice = work(&input.repeat(2), &options);
            assert!(once <= BYTES_EXAMINED_PER_INPUT_BYTE * input.len(), "{name}: {once} bytes examined for {}", input.len());
            // A quadratic redactor would examine four times as much for twice the input.
            assert!(twice <= 2 * once + once / 8, "{name}: {once} bytes examined, then {twice} for twice the input");
        }
    }

    #[test]
    fn redaction_is_idempotent() {
        let once = redact_text("Bearer abc client_secret=x 0101701239");
        assert_eq!(redact_text(&once), once);
    }
}
