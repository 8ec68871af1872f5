//! The readers of JS arguments (`src/wasm/args.rs`), natively: precise errors, normalisation,
//! the schema request. (Here rather than in the module: `src/wasm/` holds no unwrap.)

use datafordeler_cpr::environment::SectorType;
use datafordeler_cpr::wasm::args::{build_lookup_query_json, build_schema_request_json};
use serde_json::{json, Value};

#[test]
fn json_input_errors_are_precise() {
    let cases = [
        (json!(null), "invalid_options"),
        (json!({"cprNumbers": ["0707610123"]}), "invalid_sector_type"),
        (json!({"sectorType": "Private", "cprNumbers": ["0707610123"]}), "invalid_sector_type"),
        (json!({"sectorType": "private"}), "invalid_cpr_numbers"),
        (json!({"sectorType": "private", "cprNumbers": []}), "no_cpr_numbers"),
        (json!({"sectorType": "private", "cprNumbers": {"a": 1}}), "invalid_cpr_numbers"),
        (json!({"sectorType": "private", "cprNumbers": [707610123]}), "invalid_cpr_numbers"),
        (json!({"sectorType": "private", "cprNumbers": "0707610123"}), "invalid_cpr_numbers"),
        (json!({"sectorType": "private", "cprNumbers": ["0707610123"], "maxbatch": 2}), "invalid_options"),
        (json!(["private", ["0707610123"]]), "invalid_options"),
        (json!({"sectorType": "private", "cprNumbers": ["0707610123", "x"]}), "invalid_cpr_number"),
        (json!({"sectorType": "private", "cprNumbers": ["0707610123"], "maxBatch": 0}), "invalid_max_batch"),
        (json!({"sectorType": "private", "cprNumbers": ["0707610123"], "maxBatch": 1.5}), "invalid_max_batch"),
        (json!({"sectorType": "private", "cprNumbers": ["0707610123"], "fields": ["nmae"]}), "invalid_fields"),
        (json!({"sectorType": "private", "cprNumbers": ["0707610123"], "fields": "name"}), "invalid_fields"),
        (json!({"sectorType": "private", "cprNumbers": ["0707610123"], "schema": 5}), "invalid_schema"),
        (json!({"sectorType": "private", "cprNumbers": ["0707610123"], "schema": "type Query {"}), "schema_syntax"),
        (json!({"sectorType": "private", "cprNumbers": ["0707610123", "1203750168"], "maxBatch": 1}), "batch_too_large"),
    ];
    for (input, code) in cases {
        assert_eq!(build_lookup_query_json(&input).unwrap_err().code(), code, "{input}");
    }
    // Messages name the option at fault and never repeat the caller's value.
    let err = build_lookup_query_json(&json!({"sectorType": "0707610123", "cprNumbers": ["0707610123"]})).unwrap_err();
    assert!(err.to_string().starts_with("input.sectorType: unknown value, expected `private` or `public`"), "{err}");
    assert!(!err.to_string().contains("0707610123"), "{err}");
    let err = build_lookup_query_json(&json!({"sectorType": "private", "cprNumbers": [707610123]})).unwrap_err();
    assert!(err.to_string().starts_with("input.cprNumbers[0]: invalid type"), "{err}");
    assert!(!err.to_string().contains("707610123"), "{err}");
    let err = build_lookup_query_json(&json!({"sectorType": "private", "cprNumbers": ["0707610123"], "maxbatch": 2})).unwrap_err();
    assert!(err.to_string().contains("unknown field `maxbatch`, expected one of"), "{err}");
    let huge: Vec<String> = (0..100_000).map(|_| "0707610123".to_string()).collect();
    let err = build_lookup_query_json(&json!({"sectorType": "private", "cprNumbers": huge})).unwrap_err();
    assert_eq!(err.code(), "batch_too_large");
    let err = build_lookup_query_json(&json!({"sectorType": "private", "cprNumbers": ["0707610123", "3102901235"]})).unwrap_err();
    assert_eq!(err.to_string(), "CPR number 2 of 2 (310290-xxxx) is not valid: Digits 1-2 must be a day that exists in the birth month. Check the number against the source.");
}

#[test]
fn json_input_normalizes_and_deduplicates() {
    let q = build_lookup_query_json(&json!({
        "sectorType": "public", "cprNumbers": ["070761-0123", "0707610123", " 120375 0168 "], "fields": ["name"]
    }))
    .unwrap();
    assert_eq!(q.variables["cprNumbers"], json!(["0707610123", "1203750168"]));
    assert_eq!(q.warnings.iter().map(|w| w.code.as_str()).collect::<Vec<_>>(), ["duplicate_cpr_number"]);
    assert!(q.warnings[0].message.contains("070761-xxxx"));
    assert!(q.query.contains("navne {") && !q.query.contains("adresseoplysninger"));
    let single = build_lookup_query_json(&json!({"sectorType": "private", "cprNumbers": ["0707610123"]})).unwrap();
    assert_eq!(single.variables["cprNumbers"], json!(["0707610123"]));
    let body: Value = serde_json::from_str(&single.body()).unwrap();
    assert_eq!(body["operationName"], "CprPersonLookup");
    assert_eq!(body["variables"]["cprNumbers"][0], "0707610123");
}

#[test]
fn schema_request() {
    let r = build_schema_request_json(&json!({
        "environment": "test04", "sectorType": "public", "authMethod": "certificate",
        "endpoints": {"graphqlBaseUrl": "http://127.0.0.1:8787"}
    }))
    .unwrap();
    // apiVersion auto (the default): the first candidate, v3.
    assert_eq!(r.url, "http://127.0.0.1:8787/CPR/custom/PublicSector/v3/schema");
    assert_eq!(r.sector_type, SectorType::Public);
    assert!(r.headers["accept"].as_str().unwrap().starts_with("application/graphql"));
}

#[test]
fn serde_messages_never_repeat_the_value() {
    use datafordeler_cpr::wasm::args::readable_serde_message;
    let secret = "Se\"cret, expected, \"x\" 0101701239";
    let cases = [
        (format!("invalid type: string \"{secret}\", expected u32"), "invalid type: text, expected u32"),
        ("invalid type: floating point `1.5`, expected u32".to_string(), "invalid type: a number, expected u32"),
        ("invalid type: sequence, expected struct MergeOptions".to_string(), "invalid type: a list, expected struct MergeOptions"),
        (format!("invalid value: string \"{secret}\", expected a date"), "invalid value: text, expected a date"),
        (format!("unknown variant `{secret}`, expected `private` or `public`"), "unknown value, expected `private` or `public`"),
        ("unknown field `maxbatch`, expected one of `sectorType`, `maxBatch`".to_string(), "unknown field `maxbatch`, expected one of `sectorType`, `maxBatch`"),
        ("missing field `sectorType`".to_string(), "missing field `sectorType`"),
    ];
    for (message, shown) in cases {
        assert_eq!(readable_serde_message(&message), shown);
    }
    // A key is shown when it could be a field name (a CPR number in it is still masked), and
    // replaced by … otherwise: too long, or holding anything but letters, digits and _.
    let shown = readable_serde_message("unknown field `0101701239`, expected one of `a`");
    assert!(!shown.contains("0101701239") && shown.contains("010170-xxxx"), "{shown}");
    for key in ["k".repeat(41), "Se-cret".to_string(), "\"x\"`, expected one of `y".to_string()] {
        let shown = readable_serde_message(&format!("unknown field `{key}`, expected one of `a`"));
        assert_eq!(shown, "unknown field `…`, expected one of `a`", "{key}");
    }
}
