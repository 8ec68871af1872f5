//! The JS boundary, exercised from inside wasm: in Node and (with WASM_BINDGEN_USE_BROWSER=1)
//! in headless Chromium. Inputs are real JS values, including hostile ones.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Object, Reflect, Uint8Array, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

use datafordeler_cpr::wasm::exports as api;
use tsify::Ts;

// Call the exports the way JS does: with plain JS values in, JS values out.
fn validate_cpr(v: JsValue) -> JsValue {
    api::validate_cpr(v).into()
}
fn validate_setup(v: JsValue) -> JsValue {
    api::validate_setup(Ts::new_unchecked(v)).into()
}
fn resolve_endpoints(v: JsValue) -> Result<JsValue, JsValue> {
    api::resolve_endpoints(Ts::new_unchecked(v)).map(Into::into)
}
fn diagnose(v: JsValue) -> Result<JsValue, JsValue> {
    api::diagnose(Ts::new_unchecked(v)).map(Into::into)
}
fn redact(v: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    api::redact(v, Some(options))
}

fn get(value: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(value.clone(), |v, key| Reflect::get(&v, &key.into()).unwrap_or(JsValue::UNDEFINED))
}

fn json(text: &str) -> JsValue {
    JSON::parse(text).unwrap()
}

fn codes(report: &JsValue) -> Vec<String> {
    let issues: Array = get(report, "issues").dyn_into().unwrap();
    issues.iter().map(|i| get(&i, "code").as_string().unwrap()).collect()
}

#[wasm_bindgen_test]
fn validate_cpr_accepts_text_and_refuses_everything_else_without_throwing() {
    let ok = validate_cpr(JsValue::from_str("010170-1239"));
    assert_eq!(get(&ok, "valid"), JsValue::TRUE);
    assert_eq!(get(&ok, "masked").as_string().as_deref(), Some("010170-xxxx"));
    for hostile in [JsValue::NULL, JsValue::UNDEFINED, JsValue::from_f64(101701239.0), Object::new().into(), Array::new().into()] {
        let report = validate_cpr(hostile);
        assert_eq!(get(&report, "valid"), JsValue::FALSE);
        assert_eq!(codes(&report), ["not_text"]);
    }
    let huge = "1".repeat(1 << 20);
    assert_eq!(codes(&validate_cpr(JsValue::from_str(&huge))), ["too_long"]);
}

#[wasm_bindgen_test]
fn validate_setup_turns_any_value_into_issues() {
    let good = json(r#"{"enabled":true,"environment":"test04","sectorType":"private","authMethod":"sharedSecret","clientId":"c","clientSecret":"s"}"#);
    assert_eq!(get(&validate_setup(good), "ok"), JsValue::TRUE);
    let cases: Vec<(JsValue, &str)> = vec![
        (JsValue::NULL, "setup_not_object"),
        (JsValue::from_f64(3.0), "setup_not_object"),
        (JsValue::from_str("{not json"), "invalid_json"),
        (json(r#"{"enabled":"yes"}"#), "wrong_type"),
        (json(r#"{"enabled":true,"environment":"staging"}"#), "unknown_value"),
    ];
    for (input, code) in cases {
        let report = validate_setup(input);
        assert_eq!(get(&report, "ok"), JsValue::FALSE);
        assert!(codes(&report).iter().any(|c| c == code), "{code}: {:?}", codes(&report));
    }
    // A cycle is refused as too deep, not a stack overflow.
    let cyclic = Object::new();
    Reflect::set(&cyclic, &"self".into(), &cyclic).unwrap();
    assert_eq!(codes(&validate_setup(cyclic.into())), ["input_too_deep"]);
    // The PFX arrives as bytes.
    let setup = json(r#"{"enabled":true,"environment":"test04","sectorType":"private","authMethod":"certificate","clientId":"c","certificatePassword":"p"}"#);
    Reflect::set(&setup, &"certificate".into(), &Uint8Array::from(&[0x30u8, 0x82, 1, 2][..])).unwrap();
    assert_eq!(get(&validate_setup(setup.clone()), "ok"), JsValue::TRUE);
    Reflect::set(&setup, &"certificate".into(), &Uint8Array::from(&b"-----BEGIN"[..])).unwrap();
    assert_eq!(codes(&validate_setup(setup)), ["certificate_not_pfx"]);
}

#[wasm_bindgen_test]
fn errors_are_js_errors_with_a_code() {
    let error = resolve_endpoints(JsValue::from_str("[]")).unwrap_err();
    assert!(error.is_instance_of::<js_sys::Error>());
    assert_eq!(get(&error, "name").as_string().as_deref(), Some("CprError"));
    // An instance of the class of `src/wasm/error.js`, not a renamed plain Error.
    let class = Reflect::get(&error, &"constructor".into()).unwrap();
    assert_eq!(get(&class, "name").as_string().as_deref(), Some("CprError"));
    assert_ne!(class, get(&js_sys::global(), "Error"));
    assert_eq!(get(&error, "code").as_string().as_deref(), Some("setup_not_object"));
    assert!(!Reflect::has(&error, &"field".into()).unwrap(), "absent parts are absent keys");
    let error = diagnose(json(r#"{"stage":"nowhere"}"#)).unwrap_err();
    assert_eq!(get(&error, "code").as_string().as_deref(), Some("invalid_failure"));
}

#[wasm_bindgen_test]
fn diagnose_and_redact_round_trip_js_values() {
    let d = diagnose(json(r#"{"stage":"token","status":401,"body":"{\"error\":\"invalid_client\"}"}"#)).unwrap();
    assert_eq!(get(&d, "code").as_string().as_deref(), Some("token_invalid_client"));
    let safe = redact(json(r#"{"headers":{"Authorization":"Bearer abc"},"cpr":"0101701239"}"#), JsValue::UNDEFINED).unwrap();
    assert_eq!(get(&safe, "headers.Authorization").as_string().as_deref(), Some("[REDACTED]"));
    assert_eq!(get(&safe, "cpr").as_string().as_deref(), Some("010170-xxxx"));
    let kept = redact(json(r#"{"cpr":"0101701239"}"#), json(r#"{"maskCpr":false}"#)).unwrap();
    assert_eq!(get(&kept, "cpr").as_string().as_deref(), Some("0101701239"));
}


/// A revoked proxy: every operation on it throws, `Array.isArray` included.
fn revoked_proxy() -> JsValue {
    let revocable = js_sys::Proxy::revocable(&Object::new(), &Object::new());
    let revoke: js_sys::Function = get(&revocable, "revoke").dyn_into().unwrap();
    revoke.call0(&JsValue::NULL).unwrap();
    get(&revocable, "proxy")
}

fn message(value: &JsValue) -> String {
    get(value, "message").as_string().unwrap()
}

#[wasm_bindgen_test]
fn values_that_throw_when_read_become_coded_errors() {
    let report = validate_setup(revoked_proxy());
    assert_eq!(codes(&report), ["unreadable_input"]);
    let failure = json(r#"{"stage":"graphql","headers":{}}"#);
    Reflect::set(&get(&failure, "headers"), &"x".into(), &revoked_proxy()).unwrap();
    let error = diagnose(failure).unwrap_err();
    assert_eq!(get(&error, "name").as_string().as_deref(), Some("CprError"));
    assert_eq!(get(&error, "code").as_string().as_deref(), Some("unreadable_input"));
    assert!(message(&error).starts_with("failure.headers.x: could not be read"), "{}", message(&error));
    // A list behind a revoked proxy: `Array.isArray` itself throws.
    let error = redact(Array::of1(&revoked_proxy()).into(), JsValue::UNDEFINED).unwrap_err();
    assert!(message(&error).starts_with("0: could not be read"), "{}", message(&error));
}

#[wasm_bindgen_test]
fn a_typed_array_prototype_makes_no_typed_array() {
    // `instanceof Uint8Array` holds for it, but it has no bytes: every typed array getter throws.
    let prototype = Object::get_prototype_of(&Uint8Array::new_with_length(0));
    let setup = json(r#"{"enabled":true,"environment":"test04","sectorType":"private","authMethod":"sharedSecret","clientSecret":"s"}"#);
    Reflect::set(&setup, &"clientId".into(), &Object::create(&prototype)).unwrap();
    assert_eq!(codes(&validate_setup(setup)), ["wrong_type"]);
    // A real typed array keeps its bytes whatever its prototype.
    let bytes = Uint8Array::from(&[1u8, 2, 3][..]);
    Object::set_prototype_of(&bytes, &Object::new());
    let copy = redact(Array::of1(&bytes).into(), JsValue::UNDEFINED).unwrap();
    assert_eq!(JSON::stringify(&copy).unwrap().as_string().as_deref(), Some("[[1,2,3]]"));
}

#[wasm_bindgen_test]
fn a_cycle_refers_to_itself_and_deep_nesting_is_too_deep() {
    let cyclic = Object::new();
    Reflect::set(&cyclic, &"self".into(), &cyclic).unwrap();
    let report = validate_setup(cyclic.into());
    assert!(message(&get(&report, "issues.0")).contains("refers to itself"));
    let mut deep: JsValue = Object::new().into();
    for _ in 0..100 {
        let outer = Object::new();
        Reflect::set(&outer, &"inner".into(), &deep).unwrap();
        deep = outer.into();
    }
    let error = redact(deep, JsValue::UNDEFINED).unwrap_err();
    assert_eq!(get(&error, "code").as_string().as_deref(), Some("input_too_deep"));
    assert!(message(&error).contains("nested too deeply") && !message(&error).contains("refers to itself"), "{}", message(&error));
    // The same object twice is no cycle.
    let shared = json(r#"{"a":1}"#);
    let twice = Array::of2(&shared, &shared);
    assert!(redact(twice.into(), JsValue::UNDEFINED).is_ok());
}
