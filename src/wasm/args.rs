//! The arguments of the JS API, after their one reading: each arrives as the Rust type that
//! also declares it to TypeScript (read by its derived `Deserialize`, see `value.rs`), and is
//! checked here in the caller's terms (the option names of the JS API) before the core's
//! typed entry points are called. The core names no JS function and reads no JS value.
//!
//! Free of wasm-bindgen, so the native tests check arguments exactly as the exports do; their
//! `*_json` forms read a `serde_json::Value` through the same derived `Deserialize`.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::code::{ErrorCode, DiagnosisCode};
use crate::cpr::{validate_cpr, CprNumber};
use crate::diagnosis::{diagnose, Diagnosis, Failure, FailureInput};
use crate::error::CprError;
use crate::json_input::{depth_exceeds, json_text, serde_message_in_words, MAX_DEPTH};
use crate::merge::{MergeOptions, MergeResult, ResolvedOptions};
use crate::person::PersonText;
use crate::query::{batch_too_large, build_lookup_query, build_schema_request, LookupQuery, LookupQueryInput, QueryOptions, SchemaRequest, DEFAULT_MAX_BATCH, MAX_BATCH_LIMIT};
use crate::response::{parse_lookup_response, LookupBody, LookupResult, ParseOptions};
use crate::schema::Dialect;

/// An argument of the JS API, for messages and codes: `name` leads the path in messages
/// (`options.timeoutMs: …`; empty for a function's only value: `The input …`), `code` is the
/// code of a value of the wrong shape, and `field_codes` give finer codes by the first key of
/// the path (`("fieldMap", ErrorCode::InvalidFieldMap)`).
pub struct Argument {
    pub name: &'static str,
    pub code: ErrorCode,
    pub field_codes: &'static [(&'static str, ErrorCode)],
}

impl Argument {
    pub const fn new(name: &'static str, code: ErrorCode) -> Self {
        Argument { name, code, field_codes: &[] }
    }

    pub const fn with_field_codes(self, field_codes: &'static [(&'static str, ErrorCode)]) -> Self {
        Argument { field_codes, ..self }
    }

    /// `name.path`, either part possibly empty.
    pub fn place(&self, path: &str) -> String {
        match (self.name, path) {
            (name, "") => name.to_string(),
            ("", path) => path.to_string(),
            (name, path) => format!("{name}.{path}"),
        }
    }

    /// The error for a value that did not read as its type: `serde_message` is the
    /// deserializer's message and `path` where it failed (`merge.policies.city`, or empty).
    pub fn mistyped(&self, path: &str, serde_message: &str) -> CprError {
        // serde-wasm-bindgen's errors are JS errors, written as "Error: …".
        let serde_message = serde_message.strip_prefix("Error: ").unwrap_or(serde_message);
        // A missing field is reported at its parent; its own code is the precise one.
        let missing = serde_message.strip_prefix("missing field `").and_then(|rest| rest.split('`').next());
        let first = match missing {
            Some(field) if path.is_empty() => field,
            _ => path.split(['.', '[']).next().unwrap_or_default(),
        };
        let code = self.field_codes.iter().find(|(key, _)| *key == first).map_or(self.code, |(_, code)| *code);
        let message = readable_serde_message(serde_message);
        let message = match self.place(path).as_str() {
            "" => format!("The input is not valid: {message}."),
            place => format!("{place}: {message}."),
        };
        CprError::invalid_input(code, message)
    }

    /// The error for a key the argument's type does not declare.
    pub fn unknown_field(&self, under: &str, key: &str, fields: &[&str]) -> CprError {
        let known = fields.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ");
        self.mistyped(under, &format!("unknown field `{key}`, expected one of {known}"))
    }
}

/// How a type is read, learnt from its derived `Deserialize` without reading anything (a
/// deserializer that stops where the type says what it expects; `Option<T>` answers for `T`).
#[derive(Default)]
pub struct ObjectShape {
    /// Read from an object: a struct or a map. A list given for it is refused before reading
    /// (serde-wasm-bindgen would read a struct's fields from a list, and a map's entries from a
    /// list's items).
    pub object: bool,
    /// A struct's declared fields (empty for anything else).
    pub fields: &'static [&'static str],
}

/// The [`ObjectShape`] of a type.
pub fn object_shape<T: DeserializeOwned>() -> ObjectShape {
    let mut shape = ObjectShape::default();
    let _ = T::deserialize(&mut shape);
    shape
}

impl<'de> serde::Deserializer<'de> for &mut ObjectShape {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("field names only"))
    }

    fn deserialize_option<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_some(self)
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(self, _: &'static str, fields: &'static [&'static str], _: V) -> Result<V::Value, Self::Error> {
        self.fields = fields;
        self.object = true;
        Err(serde::de::Error::custom("field names only"))
    }

    fn deserialize_map<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        self.object = true;
        Err(serde::de::Error::custom("field names only"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit unit_struct
        newtype_struct seq tuple tuple_struct enum identifier ignored_any
    }
}

/// The message for a list given where an object is declared, in serde's words.
pub const LIST_FOR_OBJECT: &str = "invalid type: sequence, expected an object";

/// A deserializer's message made safe to show ([`serde_message_in_words`]), through the
/// pattern redaction as well (a CPR number as a key is masked).
pub fn readable_serde_message(message: &str) -> String {
    crate::redact::redact_text(&serde_message_in_words(message))
}

/// Read a JSON value into an argument's type (native callers and tests): the same derived
/// `Deserialize` as the JS path, with the same messages.
pub fn from_json<T: DeserializeOwned>(value: &Value, argument: &Argument) -> Result<T, CprError> {
    // serde_json would read a struct from a list of its fields' values; JS callers pass objects.
    if value.is_array() && object_shape::<T>().object {
        return Err(argument.mistyped("", LIST_FOR_OBJECT));
    }
    serde_path_to_error::deserialize(value).map_err(|e| argument.mistyped(&path_text(e.path()), &e.inner().to_string()))
}

/// A deserializer's path as the messages show it: `merge.policies.city`, `cprNumbers[1]`, or
/// empty for the value itself.
pub fn path_text(path: &serde_path_to_error::Path) -> String {
    match path.to_string().as_str() {
        "." => String::new(),
        text => text.to_string(),
    }
}

/// `buildLookupQuery`'s input.
pub const LOOKUP_QUERY_INPUT: Argument = Argument::new("input", ErrorCode::InvalidOptions).with_field_codes(&[
    ("sectorType", ErrorCode::InvalidSectorType),
    ("cprNumbers", ErrorCode::InvalidCprNumbers),
    ("fields", ErrorCode::InvalidFields),
    ("maxBatch", ErrorCode::InvalidMaxBatch),
    ("schema", ErrorCode::InvalidSchema),
]);
/// `parseLookupResponse`'s options.
pub const PARSE_OPTIONS: Argument =
    Argument::new("options", ErrorCode::InvalidOptions).with_field_codes(&[("sectorType", ErrorCode::InvalidSectorType), ("cprNumbers", ErrorCode::InvalidCprNumbers)]);
/// `checkSchema`'s options.
pub const SCHEMA_CHECK_OPTIONS: Argument = Argument::new("options", ErrorCode::InvalidOptions).with_field_codes(&[("sectorType", ErrorCode::InvalidSectorType)]);
/// `mergePerson`'s options (and a client's `merge` option).
pub const MERGE_OPTIONS: Argument =
    Argument::new("options", ErrorCode::InvalidMergeOptions).with_field_codes(&[("fieldMap", ErrorCode::InvalidFieldMap), ("policies", ErrorCode::InvalidPolicies)]);
/// `mergePerson`'s existing record (and a lookup's).
pub const EXISTING_RECORD: Argument = Argument::new("existing", ErrorCode::InvalidRecord);
/// `mergePerson`'s person.
pub const PERSON: Argument = Argument::new("person", ErrorCode::InvalidPerson);
/// `diagnose`'s failure.
pub const FAILURE: Argument = Argument::new("failure", ErrorCode::InvalidFailure);
/// `redact`'s options.
pub const REDACT_OPTIONS: Argument = Argument::new("options", ErrorCode::InvalidOptions);
/// `redact`'s value: anything.
pub const ANY_VALUE: Argument = Argument::new("", ErrorCode::InvalidInput);
/// A client's options.
pub const CLIENT_OPTIONS: Argument = Argument::new("options", ErrorCode::InvalidOptions);

/// [`build_lookup_query`] for a caller's input: the numbers checked (masked in every message),
/// the batch size and field groups applied, the schema read when given.
///
/// ```
/// use datafordeler_cpr::wasm::args::{build_lookup_query_json};
/// use serde_json::json;
/// let err = build_lookup_query_json(&json!({"sectorType": "public", "cprNumbers": ["320170-1239"]})).unwrap_err();
/// assert_eq!(err.code(), "invalid_cpr_number");
/// assert!(err.to_string().contains("320170-xxxx"));
/// assert!(!err.to_string().contains("1239"));
/// ```
pub fn build_lookup_query_input(input: &LookupQueryInput) -> Result<LookupQuery, CprError> {
    let max_batch = match input.max_batch {
        None => DEFAULT_MAX_BATCH,
        Some(n) if (1..=MAX_BATCH_LIMIT as u32).contains(&n) => n as usize,
        Some(_) => {
            return Err(CprError::invalid_input(ErrorCode::InvalidMaxBatch, format!("input.maxBatch must be a whole number from 1 to {MAX_BATCH_LIMIT}.")))
        }
    };
    let numbers = read_numbers(&input.cpr_numbers, max_batch)?;
    // Read after the numbers, so a bad number is reported before a bad schema.
    let dialect = input.schema.as_deref().map(|sdl| Dialect::from_sdl(sdl, input.sector_type)).transpose()?;
    build_lookup_query(input.sector_type, &numbers, &QueryOptions { dialect: dialect.as_ref(), fields: input.fields.as_deref(), max_batch })
}

/// [`build_lookup_query_input`] for input given as JSON.
pub fn build_lookup_query_json(input: &Value) -> Result<LookupQuery, CprError> {
    build_lookup_query_input(&from_json(input, &LOOKUP_QUERY_INPUT)?)
}

/// Check the numbers to look up. Only masked forms ever appear in messages.
pub fn read_numbers(items: &[String], max_batch: usize) -> Result<Vec<CprNumber>, CprError> {
    if items.is_empty() {
        return Err(CprError::invalid_input(ErrorCode::NoCprNumbers, "cprNumbers is empty; give at least one CPR number."));
    }
    // Checked before validating, so a huge list costs nothing.
    if items.len() > max_batch {
        return Err(batch_too_large(items.len(), max_batch));
    }
    let count = items.len();
    let mut numbers = Vec::with_capacity(count);
    for (i, text) in items.iter().enumerate() {
        match CprNumber::parse(text) {
            Ok(n) => numbers.push(n),
            Err(report) => {
                let position = if count == 1 { "The CPR number".to_string() } else { format!("CPR number {} of {count}", i + 1) };
                let report = if report.issues.is_empty() { Box::new(validate_cpr(text)) } else { report };
                let why = report.issues.iter().find(|i| i.is_error()).map(|i| i.message.as_str()).unwrap_or("it is not a CPR number.");
                let shown = report.masked.as_deref().map(|m| format!(" ({m})")).unwrap_or_default();
                return Err(CprError::invalid_input(ErrorCode::Diagnosis(DiagnosisCode::InvalidCprNumber), format!("{position}{shown} is not valid: {why}")));
            }
        }
    }
    Ok(numbers)
}

/// [`build_schema_request`] for a setup given as JSON.
pub fn build_schema_request_json(setup: &Value) -> Result<SchemaRequest, CprError> {
    crate::endpoints::resolve_endpoints(setup).map(|e| build_schema_request(&e))
}

/// The numbers a lookup asked for, from `parseLookupResponse`'s options.
pub fn requested_numbers(options: &ParseOptions) -> Result<Option<Vec<CprNumber>>, CprError> {
    options.cpr_numbers.as_deref().map(|numbers| read_numbers(numbers, MAX_BATCH_LIMIT)).transpose()
}

/// [`parse_lookup_response`] for JSON input: the body as JSON text or a value, and the options.
pub fn parse_lookup_response_json(body: &Value, options: &Value) -> Result<LookupResult, CprError> {
    let options: ParseOptions = from_json(options, &PARSE_OPTIONS)?;
    let requested = requested_numbers(&options)?;
    let body = match body {
        Value::String(text) => LookupBody::Text(text),
        other => LookupBody::Json(other),
    };
    parse_lookup_response(body, options.sector_type, requested.as_deref())
}

/// The depth of a record given as a JSON value (the JS path's engine copy bounds it already).
fn check_record(existing: Option<&Map<String, Value>>) -> Result<(), CprError> {
    match existing {
        Some(record) if record.values().any(|v| depth_exceeds(v, MAX_DEPTH - 1)) => {
            Err(CprError::invalid_input(ErrorCode::InvalidRecord, "The existing record is too large or too deeply nested to be a customer record."))
        }
        _ => Ok(()),
    }
}

/// [`crate::merge::merge_person_subject`] for a caller's arguments, already read.
pub fn merge_person_arguments(existing: Option<&Map<String, Value>>, person: PersonText, options: &MergeOptions) -> Result<MergeResult, CprError> {
    let options = ResolvedOptions::new(options)?;
    let empty = Map::new();
    crate::merge::merge_person_subject(existing.unwrap_or(&empty), person, &options)
}

/// A merge for JSON input (native callers and tests): `existing` an object or null, `person` a
/// person, null, or a lookup's error outcome, `options` as [`MergeOptions`] (null: defaults).
pub fn merge_person_json(existing: &Value, person: &Value, options: &Value) -> Result<MergeResult, CprError> {
    let existing: Option<Map<String, Value>> = from_json(existing, &EXISTING_RECORD)?;
    check_record(existing.as_ref())?;
    let options: Option<MergeOptions> = from_json(options, &MERGE_OPTIONS)?;
    let person = crate::person::person_from_text(&json_text(person))
        .map_err(|detail| CprError::invalid_input(ErrorCode::InvalidPerson, format!("The person is not a person record as a lookup gives it ({detail}).")))?;
    merge_person_arguments(existing.as_ref(), person, &options.unwrap_or_default())
}

/// A failure as `diagnose` takes it, in the core's terms. Headers may be an object or a list
/// of pairs (entries that are not text are skipped); a body given as a value is written as JSON.
pub fn failure_from_input(input: FailureInput) -> Result<Failure, CprError> {
    if input.status.is_some_and(|s| !(100..=599).contains(&s)) {
        return Err(CprError::invalid_input(ErrorCode::InvalidFailure, "failure.status must be an HTTP status number from 100 to 599."));
    }
    let mut headers = Vec::new();
    match input.headers {
        Some(Value::Object(h)) => {
            headers.extend(h.into_iter().filter_map(|(k, v)| v.as_str().map(|v| (k, v.to_string()))));
        }
        Some(Value::Array(pairs)) => {
            for pair in pairs {
                if let (Some(k), Some(v)) = (pair.get(0).and_then(Value::as_str), pair.get(1).and_then(Value::as_str)) {
                    headers.push((k.to_string(), v.to_string()));
                }
            }
        }
        _ => {}
    }
    let body = match input.body {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => Some(json_text(&other)),
    };
    let transport_error = match input.transport_error {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(Value::Object(o)) => Some(
            ["name", "code", "message", "cause"]
                .iter()
                .filter_map(|k| match o.get(*k) {
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(Value::Object(inner)) => inner.get("message").and_then(Value::as_str).map(str::to_string),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join(": "),
        ),
        Some(other) => Some(json_text(&other)),
    };
    Ok(Failure { stage: input.stage, status: input.status, headers, body, transport_error })
}

/// Diagnose a failure given as JSON.
///
/// ```
/// use datafordeler_cpr::wasm::args::diagnose_json;
/// use serde_json::json;
/// let d = diagnose_json(&json!({
///     "stage": "graphql", "status": 401,
///     "headers": {"content-type": "application/problem+json"},
///     "body": {"errorCode": "DAF-AUTH-0005", "detail": "IP address is not verified"}
/// }))?;
/// assert_eq!(d.code.as_str(), "ip_not_allowlisted");
/// assert!(d.retryable, "an allowlist change takes minutes to apply");
/// # Ok::<(), datafordeler_cpr::error::CprError>(())
/// ```
pub fn diagnose_json(value: &Value) -> Result<Diagnosis, CprError> {
    failure_from_input(from_json(value, &FAILURE)?).map(|f| diagnose(&f))
}
