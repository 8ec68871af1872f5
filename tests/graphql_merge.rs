//! Merging persons into customer records: golden notifications, field maps, policies, and the
//! rule that an absent register value never empties a field.
// Reads fixture files from disk: native only.
#![cfg(not(target_arch = "wasm32"))]

use datafordeler_cpr::cpr::CprNumber;
use datafordeler_cpr::environment::SectorType;
use datafordeler_cpr::issue::Severity;
use datafordeler_cpr::wasm::args::merge_person_json;
use datafordeler_cpr::merge::{merge_person, MergeOptions, MergeSubject, ResolvedOptions, RECORD_FIELDS};
use datafordeler_cpr::person::{
    Address, ContactAddress, Country, Death, Disappearance, Emigration, Guardianship, KnownStatus, MaritalStatus, Person,
    PersonName, PersonStatus, Protection,
};
use datafordeler_cpr::response::{parse_lookup_response, LookupBody};
use serde_json::{json, Map, Value};

fn person_from(fixture: &str, sector: SectorType, cpr: &str) -> Person {
    let path = format!("{}/tests/fixtures/graphql/{fixture}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let asked = [CprNumber::parse(cpr).unwrap()];
    let mut r = parse_lookup_response(LookupBody::Text(&text), sector, Some(&asked)).unwrap();
    r.persons.remove(0)
}

fn record(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn defaults() -> ResolvedOptions {
    ResolvedOptions::new(&MergeOptions::default()).unwrap()
}

fn notes(r: &datafordeler_cpr::merge::MergeResult) -> Vec<(&str, Severity, &str)> {
    r.notifications.iter().map(|n| (n.code.as_str(), n.severity, n.message.as_str())).collect()
}

const FULL: &str = r#"{"name": "Old Name", "address": "Gammelvej 1", "address2": "c/o Gammel", "postCode": "9999", "city": "Gammelby", "countryCode": "DK", "customerNo": "C-1"}"#;

#[test]
fn ordinary_person_fills_a_new_record_and_is_idempotent() {
    let p = person_from("private-ordinary", SectorType::Private, "0707610123");
    let r = merge_person(&Map::new(), MergeSubject::Person(&p), &defaults());
    assert_eq!(
        Value::Object(r.record.clone()),
        json!({"name": "Jens Peter Testesen", "address": "Prøvevej 12, 2. tv", "postCode": "2100", "city": "København Ø", "countryCode": "DK"})
    );
    let changed: Vec<(&str, Option<&Value>, &Value)> = r.changes.iter().map(|c| (c.field.as_str(), c.before.as_ref(), &c.after)).collect();
    // A new record had no value before: `before` is absent, not null.
    assert_eq!(changed[0], ("name", None, &json!("Jens Peter Testesen")));
    assert_eq!(changed.len(), 5);
    assert!(r.notifications.is_empty(), "{:?}", r.notifications);
    let again = merge_person(&r.record, MergeSubject::Person(&p), &defaults());
    assert!(again.changes.is_empty());
    assert_eq!(again.record, r.record);
}

#[test]
fn every_fixture_merges_idempotently() {
    let cases = [
        ("private-ordinary", SectorType::Private, "0707610123"),
        ("private-protected", SectorType::Private, "0204882126"),
        ("public-protected", SectorType::Public, "0204882126"),
        ("private-deceased", SectorType::Private, "1406322129"),
        ("private-emigrated", SectorType::Private, "0808940124"),
        ("private-disappeared", SectorType::Private, "1002701169"),
        ("private-co", SectorType::Private, "2207993126"),
        ("private-locality", SectorType::Private, "0511481139"),
        ("public-history", SectorType::Public, "2906790168"),
        ("private-guardianship", SectorType::Private, "1512532159"),
        ("private-contact-address", SectorType::Private, "0303962158"),
    ];
    let all_facts = MergeOptions {
        field_map: Some(RECORD_FIELDS.iter().map(|f| (f.key.to_string(), Some(format!("x_{}", f.key)))).collect()),
        policies: None,
    };
    for options in [defaults(), ResolvedOptions::new(&all_facts).unwrap()] {
        for (fixture, sector, cpr) in cases {
            let p = person_from(fixture, sector, cpr);
            for start in [Map::new(), record(serde_json::from_str(FULL).unwrap())] {
                let first = merge_person(&start, MergeSubject::Person(&p), &options);
                let second = merge_person(&first.record, MergeSubject::Person(&p), &options);
                assert!(second.changes.is_empty(), "{fixture}: {:?}", second.changes);
                assert_eq!(second.record, first.record);
                assert_eq!(first.record.get("customerNo").is_some(), start.contains_key("customerNo"));
            }
        }
    }
}

#[test]
fn golden_notifications() {
    let existing = record(serde_json::from_str(FULL).unwrap());
    type Golden<'a> = (&'a str, SectorType, &'a str, Vec<(&'a str, Severity, &'a str)>);
    let cases: Vec<Golden> = vec![
        (
            "private-protected",
            SectorType::Private,
            "0204882126",
            vec![
                ("name_withheld", Severity::Warning, "CPR does not disclose the name (name and address protection since 2015-01-05); the record's name is kept."),
                ("address_withheld", Severity::Warning, "CPR does not disclose the address (name and address protection since 2015-01-05); the record's address fields are kept."),
            ],
        ),
        (
            "public-protected",
            SectorType::Public,
            "0204882126",
            vec![("name_and_address_protected", Severity::Warning, "The person has name and address protection since 2015-01-05: do not pass the name or address on to others.")],
        ),
        (
            "private-deceased",
            SectorType::Private,
            "1406322129",
            vec![
                ("person_deceased", Severity::Warning, "The person died on 2021-06-14 (CPR status doed)."),
                ("address_missing", Severity::Warning, "CPR has no current address because the person has died; the record's address fields are kept."),
            ],
        ),
        (
            "private-emigrated",
            SectorType::Private,
            "0808940124",
            vec![
                ("person_emigrated", Severity::Warning, "The person emigrated to Sverige on 2019-08-01 (CPR status udrejst)."),
                ("address_abroad", Severity::Warning, "The person lives abroad (Sverige) since 2019-08-01; the record's Danish address fields are kept. Foreign address: Exempelgatan 5, 211 20 Malmö, SVERIGE."),
            ],
        ),
        (
            "private-disappeared",
            SectorType::Private,
            "1002701169",
            vec![
                ("person_disappeared", Severity::Warning, "The person is registered as disappeared since 2016-02-10 (CPR status forsvundet)."),
                ("address_missing", Severity::Warning, "CPR has no current address because the person has disappeared; the record's address fields are kept."),
            ],
        ),
        (
            "private-marketing-protection",
            SectorType::Private,
            "1710671199",
            vec![("marketing_protected", Severity::Info, "The person has marketing protection since 2001-02-01: do not use the record for marketing.")],
        ),
        (
            "private-guardianship",
            SectorType::Private,
            "1512532159",
            vec![("under_guardianship", Severity::Warning, "The person is under guardianship since 2019-03-01 (guardian: Advokat Lise Værgesen).")],
        ),
        (
            "private-contact-address",
            SectorType::Private,
            "0303962158",
            vec![("contact_address", Severity::Info, "The person has a contact address since 2022-05-01: Postboks 123, 6700 Esbjerg.")],
        ),
        (
            "private-ordinary",
            SectorType::Private,
            "0707610123",
            vec![("address2_kept", Severity::Warning, "CPR's address has no second line (c/o name or locality); the record's address2 is kept: check that it still applies.")],
        ),
    ];
    for (fixture, sector, cpr, want) in cases {
        let p = person_from(fixture, sector, cpr);
        // Only the ordinary case keeps an old second line, to show address2_kept.
        let mut start = existing.clone();
        if fixture != "private-ordinary" {
            start.remove("address2");
        }
        let r = merge_person(&start, MergeSubject::Person(&p), &defaults());
        assert_eq!(notes(&r), want, "{fixture}");
    }

    let r = merge_person(&existing, MergeSubject::NotFound, &defaults());
    assert_eq!(notes(&r), [("person_not_found", Severity::Error, "CPR has no person with this number (or none this IT-system may see); nothing was changed.")]);
    assert!(r.changes.is_empty() && r.record == existing);
    let r = merge_person(&existing, MergeSubject::Ambiguous, &defaults());
    assert_eq!(notes(&r), [("ambiguous_result", Severity::Error, "CPR returned several persons for this number; nothing was changed. Check the number.")]);

    let status = |s: PersonStatus, date: Option<&str>| Person { status: Some(s), status_date: date.map(str::to_string), ..Default::default() };
    let only_status = ResolvedOptions::new(&MergeOptions {
        field_map: Some(RECORD_FIELDS.iter().map(|f| (f.key.to_string(), None)).collect()),
        policies: None,
    })
    .unwrap();
    let cases = [
        (status(PersonStatus::Known(KnownStatus::AendretPersonnummer), Some("2020-01-01")), "cpr_number_inactive", "The CPR number is no longer in use (CPR status aendret_personnummer since 2020-01-01); the person has a new CPR number: look it up and update the record's number."),
        (status(PersonStatus::Known(KnownStatus::Annulleret), None), "cpr_number_inactive", "The CPR number is no longer in use (CPR status annulleret); check the number against its source."),
        (status(PersonStatus::Other("ny_status".into()), None), "unknown_status", "CPR status \"ny_status\" is not one the library knows; check the person's status in CPR."),
        (status(PersonStatus::Known(KnownStatus::Doed), None), "person_deceased", "The person is registered as deceased (CPR status doed)."),
        (status(PersonStatus::Known(KnownStatus::Udrejst), None), "person_emigrated", "The person has emigrated (CPR status udrejst)."),
    ];
    for (p, code, message) in cases {
        let r = merge_person(&existing, MergeSubject::Person(&p), &only_status);
        assert_eq!(notes(&r).first().map(|n| (n.0, n.2)), Some((code, message)));
    }
    // No name and no address, no reason known.
    let r = merge_person(&existing, MergeSubject::Person(&Person::default()), &defaults());
    assert_eq!(
        notes(&r),
        [
            ("name_missing", Severity::Warning, "CPR gave no name; the record's name is kept."),
            ("address_missing", Severity::Warning, "CPR has no current address; the record's address fields are kept."),
        ]
    );
    assert!(r.changes.is_empty());
}

#[test]
fn address_lines_in_records() {
    let merged = |fixture: &str, sector, cpr: &str| merge_person(&Map::new(), MergeSubject::Person(&person_from(fixture, sector, cpr)), &defaults()).record;
    let r = merged("private-co", SectorType::Private, "2207993126");
    assert_eq!((r["address"].as_str(), r["address2"].as_str()), (Some("Eksempelgade 3, 1. tv"), Some("c/o Karen Eksempel")));
    let r = merged("private-locality", SectorType::Private, "0511481139");
    assert_eq!((r["address"].as_str(), r["address2"].as_str(), r["postCode"].as_str(), r["city"].as_str()), (Some("Bakkegårdsvej 2"), Some("Lille Prøvstrup"), Some("4050"), Some("Skibby")));
    let greenland = Person {
        status: Some(PersonStatus::Known(KnownStatus::BopaelIGroenland)),
        address: Some(Address { street: Some("Aqqusinersuaq".into()), house_number: Some("004".into()), post_code: Some("3900".into()), post_district: Some("Nuuk".into()), ..Default::default() }),
        ..Default::default()
    };
    let r = merge_person(&Map::new(), MergeSubject::Person(&greenland), &defaults()).record;
    assert_eq!((r["address"].as_str(), r["countryCode"].as_str()), (Some("Aqqusinersuaq 4"), Some("GL")));
}

#[test]
fn field_map_and_policies() {
    let p = person_from("private-deceased", SectorType::Private, "1406322129");
    let existing = json!({"Name": "", "Addr": "Mindevej 2", "Zip": 5000, "Town": "Odense C", "Status": "bopael_i_danmark"});
    let options = json!({
        "fieldMap": {"name": "Name", "address": "Addr", "address2": null, "postCode": "Zip", "city": "Town", "countryCode": null, "cprStatus": "Status", "deathDate": "Died"},
        "policies": {"name": "ifEmpty", "cprStatus": "never"}
    });
    let r = merge_person_json(&existing, &serde_json::to_value(&p).unwrap(), &options).unwrap();
    assert_eq!(
        Value::Object(r.record.clone()),
        json!({"Name": "Erik Testesen", "Addr": "Mindevej 2", "Zip": 5000, "Town": "Odense C", "Status": "bopael_i_danmark", "Died": "2021-06-14"})
    );
    let changed: Vec<&str> = r.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(changed, ["Name", "Died"]);
    let codes: Vec<&str> = r.notifications.iter().map(|n| n.code.as_str()).collect();
    assert_eq!(codes, ["person_deceased", "kept_by_policy", "address_missing"]);
    assert_eq!(r.notifications[1].field, "Status");
    assert_eq!(r.notifications[2].field, "Addr");
    // ifEmpty does not overwrite a name that is there.
    let r2 = merge_person_json(&json!({"Name": "Erik T."}), &serde_json::to_value(&p).unwrap(), &options).unwrap();
    assert_eq!(r2.record["Name"], "Erik T.");
    assert_eq!(r2.notifications.iter().filter(|n| n.code == "kept_by_policy").count(), 2);
}

#[test]
fn occupation_credit_warning_and_marital_status_are_register_facts() {
    let p = person_from("private-occupation-credit-marital", SectorType::Private, "1203750168");
    assert_eq!(p.occupation.as_deref(), Some("Afdelingssygeplejerske"));
    assert_eq!(p.credit_warning, Some(Protection { kind: "kreditadvarsel".into(), active: true, from: Some("2019-05-20".into()), to: None }));
    assert_eq!(p.marital_status, Some(MaritalStatus { code: "gift".into(), from: Some("2004-06-19".into()) }));
    // Register facts are written only where the field map names them.
    let r = merge_person(&Map::new(), MergeSubject::Person(&p), &defaults());
    assert!(!r.record.contains_key("occupation") && !r.record.contains_key("creditWarning") && !r.record.contains_key("maritalStatus"));
    let options = json!({"fieldMap": {"occupation": "Stilling", "creditWarning": "Kreditadvarsel", "maritalStatus": "Civilstand"}});
    let r = merge_person_json(&json!({"Stilling": "Sygeplejerske"}), &serde_json::to_value(&p).unwrap(), &options).unwrap();
    assert_eq!(r.record["Stilling"], "Afdelingssygeplejerske");
    assert_eq!(r.record["Kreditadvarsel"], true);
    assert_eq!(r.record["Civilstand"], "gift");
    let before: Vec<(&str, Option<&Value>)> = r.changes.iter().map(|c| (c.field.as_str(), c.before.as_ref())).skip(5).collect();
    assert_eq!(before, [("Stilling", Some(&json!("Sygeplejerske"))), ("Kreditadvarsel", None), ("Civilstand", None)]);

    // Nulls are not facts: an answer whose lists came back null (or without them: a schema
    // that lacks them) keeps every value the record has.
    let body = std::fs::read_to_string(format!("{}/tests/fixtures/graphql/private-occupation-credit-marital.json", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .replace("\"stillinger\": [", "\"stillinger\": null, \"x\": [")
        .replace("\"kreditadvarsler\": [", "\"kreditadvarsler\": null, \"y\": [")
        .replace("\"civilstande\": [", "\"civilstande\": null, \"z\": [");
    let asked = [CprNumber::parse("1203750168").unwrap()];
    let nulls = parse_lookup_response(LookupBody::Text(&body), SectorType::Private, Some(&asked)).unwrap().persons.remove(0);
    assert_eq!((&nulls.occupation, &nulls.credit_warning, &nulls.marital_status), (&None, &None, &None));
    let kept = merge_person_json(&r.record.clone().into(), &serde_json::to_value(&nulls).unwrap(), &options).unwrap();
    assert!(kept.changes.is_empty(), "{:?}", kept.changes);
    assert_eq!(kept.record, r.record);
    // An answered, empty list is CPR saying there is no warning: that is written.
    let lifted = body.replace("\"kreditadvarsler\": null, \"y\": [", "\"kreditadvarsler\": [], \"y\": [");
    let lifted = parse_lookup_response(LookupBody::Text(&lifted), SectorType::Private, Some(&asked)).unwrap().persons.remove(0);
    assert_eq!(lifted.credit_warning, Some(Protection { kind: "kreditadvarsel".into(), active: false, from: None, to: None }));
    let r = merge_person_json(&r.record.clone().into(), &serde_json::to_value(&lifted).unwrap(), &options).unwrap();
    assert_eq!(r.record["Kreditadvarsel"], false);
    assert_eq!(r.record["Stilling"], "Afdelingssygeplejerske");
}

#[test]
fn untrusted_merge_input_fails_clearly() {
    let person = json!({"name": {"given": "A"}});
    let cases = [
        (json!([]), person.clone(), json!({}), "invalid_record"),
        (json!({"address": {"street": "x"}}), person.clone(), json!({}), "invalid_record"),
        (json!({}), json!("Jens"), json!({}), "invalid_person"),
        (json!({}), json!({"name": "Jens"}), json!({}), "invalid_person"),
        (json!({}), json!({"code": "not_entitled"}), json!({}), "invalid_person"),
        (json!({}), person.clone(), json!([]), "invalid_merge_options"),
        (json!({}), person.clone(), json!({"fieldmap": {}}), "invalid_merge_options"),
        (json!({}), person.clone(), json!({"fieldMap": {"adress": "A"}}), "invalid_field_map"),
        (json!({}), person.clone(), json!({"fieldMap": {"name": 5}}), "invalid_field_map"),
        (json!({}), person.clone(), json!({"fieldMap": {"name": ""}}), "invalid_field_map"),
        (json!({}), person.clone(), json!({"fieldMap": {"name": "X", "address": "X"}}), "invalid_field_map"),
        (json!({}), person.clone(), json!({"policies": {"name": "sometimes"}}), "invalid_policies"),
        (json!({}), person.clone(), json!({"policies": {"nmae": "never"}}), "invalid_policies"),
    ];
    for (existing, person, options, code) in cases {
        let e = merge_person_json(&existing, &person, &options).expect_err(&format!("{existing} {person} {options}"));
        assert_eq!(e.code(), code, "{existing} {person} {options}");
    }
    let e = merge_person_json(&json!({}), &json!({"name": "Jens Hansen 0101701239"}), &json!({})).unwrap_err();
    assert!(!e.to_string().contains("Jens") && !e.to_string().contains("0101701239"), "{e}");
    let deep = (0..100).fold(json!(1), |acc, _| json!({"a": acc}));
    assert_eq!(merge_person_json(&json!({"x": deep}), &person, &json!({})).unwrap_err().code(), "invalid_record");
    // null record = new record; null person = not found; a lookup error is an outcome.
    assert_eq!(merge_person_json(&Value::Null, &person, &Value::Null).unwrap().record["name"], "A");
    let r = merge_person_json(&json!({"name": "X"}), &Value::Null, &json!({})).unwrap();
    assert_eq!(r.notifications[0].code, "person_not_found");
    let r = merge_person_json(&json!({"name": "X"}), &json!({"code": "ambiguous_result", "message": "…"}), &json!({})).unwrap();
    assert_eq!(r.notifications[0].code, "ambiguous_result");
}

/// A small deterministic generator, so the property test needs no extra dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn text(&mut self) -> Option<String> {
        const WORDS: [&str; 6] = ["Vestergade", "12", "st", "tv", "København Ø", "Ærø"];
        match self.next() % 4 {
            0 => None,
            1 => Some(String::new()),
            2 => Some("  ".into()),
            _ => Some(WORDS[(self.next() % WORDS.len() as u64) as usize].to_string()),
        }
    }
}

fn random_person(rng: &mut Rng) -> Person {
    let statuses = [
        None,
        Some(PersonStatus::Known(KnownStatus::BopaelIDanmark)),
        Some(PersonStatus::Known(KnownStatus::Doed)),
        Some(PersonStatus::Known(KnownStatus::Udrejst)),
        Some(PersonStatus::Known(KnownStatus::Forsvundet)),
        Some(PersonStatus::Other("x".into())),
    ];
    let clean = |t: Option<String>| t.filter(|s| !s.trim().is_empty());
    Person {
        cpr: None,
        status: statuses[(rng.next() % statuses.len() as u64) as usize].clone(),
        status_date: clean(rng.text()),
        birth_date: clean(rng.text()),
        name: rng.chance(60).then(|| PersonName { given: clean(rng.text()), middle: None, family: clean(rng.text()), addressing: clean(rng.text()), from: None, to: None }),
        name_withheld: rng.chance(30),
        address: rng.chance(60).then(|| Address {
            street: clean(rng.text()),
            house_number: clean(rng.text()),
            floor: clean(rng.text()),
            door: clean(rng.text()),
            post_code: clean(rng.text()),
            post_district: clean(rng.text()),
            locality: clean(rng.text()),
            co_name: clean(rng.text()),
            ..Default::default()
        }.with_lines_for_tests()),
        address_withheld: rng.chance(30),
        protections: if rng.chance(30) { vec![Protection { kind: "navne_og_adressebeskyttelse".into(), from: None, to: None, active: true }] } else { vec![] },
        emigration: rng.chance(20).then(|| Emigration { date: clean(rng.text()), country: Some(Country { code: None, name: clean(rng.text()), iso_code: None }), foreign_address_lines: vec![], return_date: None }),
        disappearance: rng.chance(10).then(|| Disappearance { date: clean(rng.text()), found_date: None }),
        death: rng.chance(10).then(|| Death { date: clean(rng.text()) }),
        contact_address: rng.chance(10).then(|| ContactAddress { lines: vec!["Postboks 1".into()], from: None }),
        guardianship: rng.chance(10).then(|| Guardianship { from: None, guardian_name: clean(rng.text()), guardian_address_lines: vec![] }),
        occupation: clean(rng.text()),
        credit_warning: rng.chance(40).then(|| Protection { kind: "kreditadvarsel".into(), active: rng.chance(50), from: clean(rng.text()), to: None }),
        marital_status: rng.chance(50).then(|| clean(rng.text())).flatten().map(|code| MaritalStatus { code, from: None }),
        name_history: vec![],
        address_history: vec![],
        relations: vec![],
    }
}

trait TestLines {
    fn with_lines_for_tests(self) -> Address;
}

impl TestLines for Address {
    fn with_lines_for_tests(self) -> Address {
        let mut lines = Vec::new();
        lines.extend(self.street_line());
        lines.extend(self.second_line());
        Address { lines, ..self }
    }
}

#[test]
fn merging_never_empties_a_non_empty_field() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let policies = ["always", "ifEmpty", "never"];
    for round in 0..5000 {
        let person = random_person(&mut rng);
        let mut existing = Map::new();
        for f in RECORD_FIELDS {
            match rng.next() % 5 {
                0 => {}
                1 => {
                    existing.insert(f.key.to_string(), Value::Null);
                }
                2 => {
                    existing.insert(f.key.to_string(), json!(""));
                }
                3 => {
                    existing.insert(f.key.to_string(), json!(rng.next() % 10_000));
                }
                _ => {
                    existing.insert(f.key.to_string(), json!(format!("old {round}")));
                }
            }
        }
        let mut policy_map = Map::new();
        for f in RECORD_FIELDS {
            policy_map.insert(f.key.to_string(), json!(policies[(rng.next() % 3) as usize]));
        }
        let all_fields: Map<String, Value> = RECORD_FIELDS.iter().map(|f| (f.key.to_string(), json!(f.key))).collect();
        let options = json!({"fieldMap": all_fields, "policies": policy_map});
        let r = merge_person_json(&Value::Object(existing.clone()), &serde_json::to_value(&person).unwrap(), &options).unwrap();
        for (key, before) in &existing {
            let non_empty = match before {
                Value::Null => false,
                Value::String(s) => !s.trim().is_empty(),
                _ => true,
            };
            let after = r.record.get(key);
            if non_empty {
                let still = match after {
                    Some(Value::String(s)) => !s.trim().is_empty(),
                    Some(Value::Null) | None => false,
                    Some(_) => true,
                };
                assert!(still, "round {round}: {key} was {before}, became {after:?}");
            }
            if options["policies"][key] == "never" {
                assert_eq!(after, Some(before), "round {round}: never-policy field {key} changed");
            }
        }
        for change in &r.changes {
            assert!(!change.after.is_null() && change.after != json!(""), "round {round}: wrote an empty value to {}", change.field);
        }
        let again = merge_person_json(&Value::Object(r.record.clone()), &serde_json::to_value(&person).unwrap(), &options).unwrap();
        assert!(again.changes.is_empty(), "round {round}: second merge changed {:?}", again.changes);
    }
}
