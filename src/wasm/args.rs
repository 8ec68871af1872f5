//! Readers of loosely typed JS arguments: they pick the options out of a JSON value as a JS
//! caller passes it, say precisely what is wrong in the caller's terms (the function and option
//! names of the JS API), and call the core's typed entry points. The core takes typed values
//! only and names no JS function.
//!
//! Free of wasm-bindgen, so the native tests read arguments exactly as the exports do.

use serde_json::{Map, Value};

use crate::cpr::{validate_cpr, CprNumber};
use crate::diagnosis::{diagnose, Diagnosis, Failure, Stage};
use crate::environment::SectorType;
use crate::error::CprError;
use crate::fields::FieldGroup;
use crate::json_input::{depth_exceeds, describe_type, json_text, MAX_DEPTH};
use crate::merge::{MergeOptions, MergeResult, Policy, ResolvedOptions, RECORD_FIELDS};
use crate::query::{batch_too_large, build_lookup_query, build_schema_request, LookupQuery, QueryOptions, SchemaRequest, DEFAULT_MAX_BATCH, MAX_BATCH_LIMIT};
use crate::response::{parse_lookup_response, LookupBody, LookupResult};
use crate::schema::{check_schema, Dialect, DriftReport};

/// Read `sectorType` from an options object.
pub fn read_sector(options: &Value, function: &str) -> Result<SectorType, CprError> {
    let invalid = |got: String| {
        CprError::invalid_input(
            "invalid_sector_type",
            format!("{function} needs sectorType \"private\" or \"public\" (CPR Sector Type); got {got}."),
        )
    };
    let Some(map) = options.as_object() else {
        return Err(CprError::invalid_input(
            "invalid_options",
            format!("{function} needs an options object such as {{ sectorType: \"private\" }}; got {}.", describe_type(options)),
        ));
    };
    match map.get("sectorType") {
        Some(Value::String(s)) if s == "private" => Ok(SectorType::Private),
        Some(Value::String(s)) if s == "public" => Ok(SectorType::Public),
        Some(Value::String(_)) => Err(invalid("another value".into())),
        None | Some(Value::Null) => Err(invalid("nothing".into())),
        Some(other) => Err(invalid(describe_type(other).into())),
    }
}

/// [`build_lookup_query`] for untrusted input: `{ sectorType, cprNumbers, schema?, fields?, maxBatch? }`.
///
/// ```
/// use datafordeler_cpr::wasm::args::build_lookup_query_json;
/// use serde_json::json;
/// let err = build_lookup_query_json(&json!({"sectorType": "public", "cprNumbers": ["320170-1239"]})).unwrap_err();
/// assert_eq!(err.code(), "invalid_cpr_number");
/// assert!(err.to_string().contains("320170-xxxx"));
/// assert!(!err.to_string().contains("1239"));
/// ```
pub fn build_lookup_query_json(input: &Value) -> Result<LookupQuery, CprError> {
    let sector = read_sector(input, "buildLookupQuery")?;
    let map = input.as_object().ok_or_else(|| CprError::invalid_input("invalid_options", "buildLookupQuery needs an object."))?;
    let max_batch = match map.get("maxBatch") {
        None | Some(Value::Null) => DEFAULT_MAX_BATCH,
        Some(v) => match v.as_u64().filter(|n| (1..=MAX_BATCH_LIMIT as u64).contains(n)) {
            Some(n) => n as usize,
            None => {
                return Err(CprError::invalid_input(
                    "invalid_max_batch",
                    format!("maxBatch must be a whole number from 1 to {MAX_BATCH_LIMIT}."),
                ))
            }
        },
    };
    let schema = match map.get("schema") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(other) => {
            return Err(CprError::invalid_input(
                "invalid_schema",
                format!("schema must be the SDL text of a fetched CPR schema; got {}.", describe_type(other)),
            ))
        }
    };
    let fields = match map.get("fields") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            if items.len() > FieldGroup::ALL.len() * 4 {
                return Err(CprError::invalid_input("invalid_fields", "fields lists more groups than there are."));
            }
            let mut groups = Vec::with_capacity(items.len());
            for item in items {
                match item.as_str().and_then(FieldGroup::from_key) {
                    Some(g) => groups.push(g),
                    None => return Err(unknown_group(item)),
                }
            }
            Some(groups)
        }
        Some(other) => {
            return Err(CprError::invalid_input(
                "invalid_fields",
                format!("fields must be a list of field groups such as [\"name\", \"address\"]; got {}.", describe_type(other)),
            ))
        }
    };
    let numbers = read_numbers(map.get("cprNumbers"), max_batch)?;
    // Parsed after the numbers are read, so a bad number is reported before a bad schema.
    let dialect = schema.map(|sdl| Dialect::from_sdl(sdl, sector)).transpose()?;
    build_lookup_query(sector, &numbers, &QueryOptions { dialect: dialect.as_ref(), fields: fields.as_deref(), max_batch })
}

fn unknown_group(item: &Value) -> CprError {
    let known: Vec<&str> = FieldGroup::ALL.iter().map(|g| g.key()).collect();
    let what = match item {
        Value::String(_) => "an unknown group".to_string(),
        other => describe_type(other).to_string(),
    };
    CprError::invalid_input("invalid_fields", format!("fields holds {what}; the groups are {}.", known.join(", ")))
}

/// Read and validate the numbers. Only masked forms ever appear in messages.
pub fn read_numbers(value: Option<&Value>, max_batch: usize) -> Result<Vec<CprNumber>, CprError> {
    let items: Vec<&Value> = match value {
        None | Some(Value::Null) => {
            return Err(CprError::invalid_input("no_cpr_numbers", "Give the CPR numbers to look up in cprNumbers, as a list of text."))
        }
        Some(Value::Array(items)) => items.iter().collect(),
        Some(single @ Value::String(_)) => vec![single],
        Some(other) => {
            return Err(CprError::invalid_input(
                "invalid_cpr_numbers",
                format!("cprNumbers must be a list of CPR numbers as text; got {}.", describe_type(other)),
            ))
        }
    };
    if items.is_empty() {
        return Err(CprError::invalid_input("no_cpr_numbers", "cprNumbers is empty; give at least one CPR number."));
    }
    // Checked before validating, so a huge list costs nothing.
    if items.len() > max_batch {
        return Err(batch_too_large(items.len(), max_batch));
    }
    let count = items.len();
    let mut numbers = Vec::with_capacity(count);
    for (i, item) in items.into_iter().enumerate() {
        let position = if count == 1 { "The CPR number".to_string() } else { format!("CPR number {} of {count}", i + 1) };
        let Some(text) = item.as_str() else {
            let hint = if item.is_number() { " (as a number it would lose its leading zeros)" } else { "" };
            return Err(CprError::invalid_input(
                "invalid_cpr_number",
                format!("{position} must be text such as \"DDMMYY-SSSS\"; got {}{hint}.", describe_type(item)),
            ));
        };
        match CprNumber::parse(text) {
            Ok(n) => numbers.push(n),
            Err(report) => {
                let report = if report.issues.is_empty() { Box::new(validate_cpr(text)) } else { report };
                let why = report.issues.iter().find(|i| i.is_error()).map(|i| i.message.as_str()).unwrap_or("it is not a CPR number.");
                let shown = report.masked.as_deref().map(|m| format!(" ({m})")).unwrap_or_default();
                return Err(CprError::invalid_input("invalid_cpr_number", format!("{position}{shown} is not valid: {why}")));
            }
        }
    }
    Ok(numbers)
}

/// [`build_schema_request`] for a setup given as JSON.
pub fn build_schema_request_json(setup: &Value) -> Result<SchemaRequest, CprError> {
    crate::endpoints::resolve_endpoints(setup).map(|e| build_schema_request(&e))
}

/// [`parse_lookup_response`] for untrusted input: the body as JSON text or an object, and
/// `{ sectorType, cprNumbers? }`.
pub fn parse_lookup_response_json(body: &Value, options: &Value) -> Result<LookupResult, CprError> {
    let (sector, requested) = read_parse_options(options)?;
    let body = match body {
        Value::String(text) => LookupBody::Text(text),
        other => LookupBody::Json(other),
    };
    parse_lookup_response(body, sector, requested.as_deref())
}

/// Read `{ sectorType, cprNumbers? }`.
pub fn read_parse_options(options: &Value) -> Result<(SectorType, Option<Vec<CprNumber>>), CprError> {
    let sector = read_sector(options, "parseLookupResponse")?;
    let requested = match options.get("cprNumbers") {
        None | Some(Value::Null) => None,
        some => Some(read_numbers(some, MAX_BATCH_LIMIT)?),
    };
    Ok((sector, requested))
}

/// [`check_schema`] for untrusted input: SDL text and `{ sectorType }`.
pub fn check_schema_json(sdl: &Value, options: &Value) -> Result<DriftReport, CprError> {
    let sector = read_sector(options, "checkSchema")?;
    let Some(text) = sdl.as_str() else {
        return Err(CprError::invalid_input(
            "invalid_schema",
            format!("checkSchema needs the schema as SDL text; got {}.", describe_type(sdl)),
        ));
    };
    Ok(check_schema(text, sector))
}

/// [`merge_person`] for untrusted input.
///
/// `existing` is the record (an object, or null for a new one); `person` is a person from
/// `parseLookupResponse`, `null` (or absent) when none was found, or the lookup's `person_not_found` /
/// `ambiguous_result` error; `options` as [`MergeOptions`].
pub fn merge_person_json(existing: &Value, person: &Value, options: &Value) -> Result<MergeResult, CprError> {
    merge_person_text(existing, &json_text(person), options)
}

/// [`merge_person_json`] with the person as JSON text (a person crosses from JS as the text of
/// `JSON.stringify`).
pub fn merge_person_text(existing: &Value, person: &str, options: &Value) -> Result<MergeResult, CprError> {
    let empty = Map::new();
    let record = match existing {
        Value::Null => &empty,
        Value::Object(map) => map,
        other => {
            return Err(CprError::invalid_input(
                "invalid_record",
                format!("mergePerson needs the existing record as an object (or null for a new one); got {}.", describe_type(other)),
            ))
        }
    };
    // Checked before the options are read, so a hostile record is refused first, as before.
    if depth_exceeds(existing, MAX_DEPTH) {
        return Err(CprError::invalid_input("invalid_record", "The existing record is too large or too deeply nested to be a customer record."));
    }
    let options = read_merge_options(options)?;
    crate::merge::merge_person_text(record, person, &options)
}

/// Read and check `{ fieldMap?, policies? }`.
pub fn read_merge_options(options: &Value) -> Result<ResolvedOptions, CprError> {
    ResolvedOptions::new(&merge_options_from_json(options)?)
}

/// Read `{ fieldMap?, policies? }` (null: the defaults) without checking the field names.
pub fn merge_options_from_json(options: &Value) -> Result<MergeOptions, CprError> {
    Ok(match options {
        Value::Null => MergeOptions::default(),
        Value::Object(map) => {
            for key in map.keys() {
                if key != "fieldMap" && key != "policies" {
                    return Err(CprError::invalid_input(
                        "invalid_merge_options",
                        format!("\"{}\" is not a mergePerson option; the options are fieldMap and policies.", shorten_key(key)),
                    ));
                }
            }
            let field_map = match map.get("fieldMap") {
                None | Some(Value::Null) => None,
                Some(Value::Object(m)) => {
                    let mut out = Vec::new();
                    for (k, v) in m.iter().take(RECORD_FIELDS.len() * 4) {
                        let name = match v {
                            Value::Null => None,
                            Value::String(s) => Some(s.clone()),
                            other => {
                                return Err(CprError::invalid_input(
                                    "invalid_field_map",
                                    format!("fieldMap.{} must be a field name (text) or null; got {}.", shorten_key(k), describe_type(other)),
                                ))
                            }
                        };
                        out.push((k.clone(), name));
                    }
                    if m.len() > RECORD_FIELDS.len() * 4 {
                        return Err(CprError::invalid_input("invalid_field_map", "fieldMap has far more entries than there are record fields."));
                    }
                    Some(out)
                }
                Some(other) => {
                    return Err(CprError::invalid_input(
                        "invalid_field_map",
                        format!("fieldMap must be an object such as {{ address: \"Address\" }}; got {}.", describe_type(other)),
                    ))
                }
            };
            let policies = match map.get("policies") {
                None | Some(Value::Null) => None,
                Some(Value::Object(m)) => {
                    if m.len() > RECORD_FIELDS.len() * 4 {
                        return Err(CprError::invalid_input("invalid_policies", "policies has far more entries than there are record fields."));
                    }
                    let mut out = Vec::new();
                    for (k, v) in m {
                        let policy = match v.as_str() {
                            Some("always") => Policy::Always,
                            Some("ifEmpty") => Policy::IfEmpty,
                            Some("never") => Policy::Never,
                            _ => {
                                return Err(CprError::invalid_input(
                                    "invalid_policies",
                                    format!("policies.{} must be \"always\", \"ifEmpty\" or \"never\".", shorten_key(k)),
                                ))
                            }
                        };
                        out.push((k.clone(), policy));
                    }
                    Some(out)
                }
                Some(other) => {
                    return Err(CprError::invalid_input(
                        "invalid_policies",
                        format!("policies must be an object such as {{ name: \"ifEmpty\" }}; got {}.", describe_type(other)),
                    ))
                }
            };
            MergeOptions { field_map, policies }
        }
        other => {
            return Err(CprError::invalid_input(
                "invalid_merge_options",
                format!("mergePerson options must be an object (or omitted); got {}.", describe_type(other)),
            ))
        }
    })
}

/// Read a failure from any JSON value (what a host passes to `diagnose`).
pub fn failure_from_json(value: &Value) -> Result<Failure, CprError> {
    let map = value.as_object().ok_or_else(|| {
        CprError::invalid_input(
            "invalid_failure",
            format!("diagnose needs an object such as {{ stage: \"graphql\", status: 401 }}; got {}.", describe_type(value)),
        )
    })?;
    let stage = match map.get("stage") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(match s.as_str() {
            "token" => Stage::Token,
            "graphql" => Stage::Graphql,
            "schema" => Stage::Schema,
            _ => {
                return Err(CprError::invalid_input(
                    "invalid_failure",
                    "failure.stage must be \"token\", \"graphql\" or \"schema\".",
                ))
            }
        }),
        Some(other) => {
            return Err(CprError::invalid_input(
                "invalid_failure",
                format!("failure.stage must be text; got {}.", describe_type(other)),
            ))
        }
    };
    let status = match map.get("status") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64().and_then(|n| u16::try_from(n).ok()).filter(|n| (100..=599).contains(n)) {
            Some(n) => Some(n),
            None => {
                return Err(CprError::invalid_input(
                    "invalid_failure",
                    "failure.status must be an HTTP status number from 100 to 599.",
                ))
            }
        },
    };
    let mut headers = Vec::new();
    match map.get("headers") {
        Some(Value::Object(h)) => {
            for (k, v) in h {
                if let Some(s) = v.as_str() {
                    headers.push((k.clone(), s.to_string()));
                }
            }
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
    let body = match map.get("body") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(crate::json_input::json_text(other)),
    };
    let transport_error = match map.get("transportError") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
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
        Some(other) => Some(crate::json_input::json_text(other)),
    };
    Ok(Failure { stage, status, headers, body, transport_error })
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
/// assert!(!d.retryable);
/// # Ok::<(), datafordeler_cpr::error::CprError>(())
/// ```
pub fn diagnose_json(value: &Value) -> Result<Diagnosis, CprError> {
    failure_from_json(value).map(|f| diagnose(&f))
}

/// A key of the caller's, shortened for a message.
fn shorten_key(text: &str) -> String {
    if text.chars().count() > 40 {
        text.chars().take(40).chain(std::iter::once('…')).collect()
    } else {
        text.to_string()
    }
}

