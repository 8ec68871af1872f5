//! The rule for what results leave out, on the Rust side of the boundary: an optional value the
//! library does not have is serialized as no key at all, never as `null` (JS reads it as
//! `undefined`, which is what the declarations say).

use datafordeler_cpr::client::lookup::LookupOutcome;
use datafordeler_cpr::cpr::validate_cpr;
use datafordeler_cpr::wasm::args::merge_person_json;
use serde_json::{json, Value};

/// Every path in `value` that holds `null`.
fn nulls(value: &Value, path: &str, found: &mut Vec<String>) {
    match value {
        Value::Null => found.push(path.to_string()),
        Value::Array(items) => items.iter().for_each(|item| nulls(item, &format!("{path}[]"), found)),
        Value::Object(map) => map.iter().for_each(|(key, item)| nulls(item, &format!("{path}.{key}"), found)),
        _ => {}
    }
}

fn assert_no_null<T: serde::Serialize>(label: &str, value: &T) {
    let mut found = Vec::new();
    nulls(&serde_json::to_value(value).unwrap(), "", &mut found);
    assert!(found.is_empty(), "{label}: absent values must be absent keys, not null: {found:?}");
}

#[test]
fn an_invalid_number_leaves_out_what_it_cannot_give() {
    for text in ["010170-123", "", "abc", "320170-1239"] {
        assert_no_null(text, &validate_cpr(text));
    }
    let json = serde_json::to_value(validate_cpr("010170-123")).unwrap();
    assert_eq!(json.get("birthDate"), None);
}

#[test]
fn not_found_is_an_outcome_without_a_person_key() {
    let outcome = LookupOutcome { person: None, merge: None, notifications: Vec::new(), debug: None };
    assert_eq!(serde_json::to_value(&outcome).unwrap(), json!({ "notifications": [] }));
}

#[test]
fn a_change_from_an_empty_field_has_no_before() {
    let person = json!({ "cpr": "0707610123", "name": { "given": "Jens", "family": "Testesen" } });
    for existing in [Value::Null, json!({ "name": null })] {
        let merged = merge_person_json(&existing, &person, &Value::Null).unwrap();
        assert_eq!(merged.changes.first().map(|c| (c.field.as_str(), c.before.is_none())), Some(("name", true)));
        // The record is the host's own, returned with its own values; the rest follows the rule.
        let mut json = serde_json::to_value(&merged).unwrap();
        json.as_object_mut().unwrap().remove("record");
        assert_no_null("merge", &json);
    }
}
