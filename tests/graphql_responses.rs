//! Parsing realistic answers: the fixtures under `tests/fixtures/graphql/` are what the service
//! returns for the library's own queries, shaped by the committed SDL (produced by running the
//! queries against the modelled schema), plus hand-made error, partial and ambiguous answers.
// Reads fixture files from disk: native only.
#![cfg(not(target_arch = "wasm32"))]

use datafordeler_cpr::cpr::CprNumber;
use datafordeler_cpr::environment::SectorType;
use datafordeler_cpr::person::{KnownStatus, Person, PersonStatus, RelationKind};
use datafordeler_cpr::response::{parse_lookup_response, LookupBody, LookupResult};
use datafordeler_cpr::wasm::args::parse_lookup_response_json;
use serde_json::{json, Value};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/graphql/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(name: &str, sector: SectorType, asked: &[&str]) -> LookupResult {
    let numbers: Vec<CprNumber> = asked.iter().map(|n| CprNumber::parse(n).unwrap()).collect();
    let text = fixture(name);
    let from_text = parse_lookup_response(LookupBody::Text(&text), sector, Some(&numbers)).unwrap();
    // The parsed-object path gives the same result.
    let value: Value = serde_json::from_str(&text).unwrap();
    let from_value = parse_lookup_response(LookupBody::Json(&value), sector, Some(&numbers)).unwrap();
    assert_eq!(from_text, from_value, "{name}");
    from_text
}

fn one(name: &str, sector: SectorType, cpr: &str) -> Person {
    let r = parse(name, sector, &[cpr]);
    assert!(r.errors.is_empty(), "{name}: {:?}", r.errors);
    assert_eq!(r.persons.len(), 1, "{name}");
    let p = r.persons.into_iter().next().unwrap();
    assert_eq!(p.cpr.as_deref(), Some(cpr));
    p
}

fn codes(r: &LookupResult) -> Vec<&str> {
    r.errors.iter().map(|e| e.code.as_str()).collect()
}

#[test]
fn ordinary_person_in_both_sectors() {
    for (name, sector) in [("private-ordinary", SectorType::Private), ("public-ordinary", SectorType::Public)] {
        let p = one(name, sector, "0707610123");
        assert_eq!(p.status, Some(PersonStatus::Known(KnownStatus::BopaelIDanmark)));
        assert_eq!(p.status_date.as_deref(), Some("1961-07-07"));
        assert_eq!(p.birth_date.as_deref(), Some("1961-07-07"));
        let n = p.name.as_ref().unwrap();
        assert_eq!((n.given.as_deref(), n.middle.as_deref(), n.family.as_deref()), (Some("Jens Peter"), None, Some("Testesen")));
        assert_eq!(n.addressing.as_deref(), Some("Jens Peter Testesen"));
        let a = p.address.as_ref().unwrap();
        assert_eq!(a.lines, ["Prøvevej 12, 2. tv", "2100 København Ø"]);
        assert_eq!((a.street.as_deref(), a.house_number.as_deref(), a.floor.as_deref(), a.door.as_deref()), (Some("Prøvevej"), Some("12"), Some("2"), Some("tv")));
        assert_eq!((a.post_code.as_deref(), a.post_district.as_deref(), a.municipality_code.as_deref()), (Some("2100"), Some("København Ø"), Some("0101")));
        assert_eq!(a.from.as_deref(), Some("2003-09-01"));
        assert!(!p.name_withheld && !p.address_withheld);
        assert!(p.protections.is_empty() && p.name_history.is_empty() && p.address_history.is_empty());
        assert!(p.emigration.is_none() && p.death.is_none() && p.disappearance.is_none());
    }
}

#[test]
fn protected_person_private_sector_gets_nulls_and_flags() {
    let p = one("private-protected", SectorType::Private, "0204882126");
    assert!(p.name.is_none() && p.address.is_none());
    assert!(p.name_withheld && p.address_withheld);
    assert_eq!(p.protections.len(), 1);
    let protection = &p.protections[0];
    assert_eq!((protection.kind.as_str(), protection.from.as_deref(), protection.active), ("navne_og_adressebeskyttelse", Some("2015-01-05"), true));
    // Never empty strings: absent values are absent in JSON.
    let json = serde_json::to_value(&p).unwrap();
    assert!(json.get("name").is_none() && json.get("address").is_none());
    assert_eq!(json["nameWithheld"], true);
    assert_eq!(json["protections"][0]["type"], "navne_og_adressebeskyttelse");

    // The public sector sees the name and address, and the protection.
    let p = one("public-protected", SectorType::Public, "0204882126");
    assert_eq!(p.name.unwrap().full().as_deref(), Some("Lone Skjult"));
    assert_eq!(p.address.unwrap().lines, ["Gemmestien 4, 3. th", "2200 København N"]);
    assert!(!p.name_withheld && !p.address_withheld);
    assert!(p.protections[0].active);
}

#[test]
fn deceased_emigrated_disappeared() {
    for (name, sector) in [("private-deceased", SectorType::Private), ("public-deceased", SectorType::Public)] {
        let p = one(name, sector, "1406322129");
        assert_eq!(p.status, Some(PersonStatus::Known(KnownStatus::Doed)));
        assert_eq!(p.death.as_ref().and_then(|d| d.date.as_deref()), Some("2021-06-14"));
        assert!(p.address.is_none() && !p.address_withheld, "{name}");
        let history: Vec<&str> = p.address_history.iter().map(|a| a.lines[0].as_str()).collect();
        assert_eq!(history, if sector == SectorType::Public { vec!["Mindevej 2"] } else { vec![] });
    }
    for (name, sector) in [("private-emigrated", SectorType::Private), ("public-emigrated", SectorType::Public)] {
        let p = one(name, sector, "0808940124");
        assert_eq!(p.status, Some(PersonStatus::Known(KnownStatus::Udrejst)));
        let e = p.emigration.unwrap();
        assert_eq!(e.date.as_deref(), Some("2019-08-01"));
        let c = e.country.unwrap();
        assert_eq!((c.code.as_deref(), c.name.as_deref(), c.iso_code.as_deref()), (Some("5120"), Some("Sverige"), Some("SE")));
        assert_eq!(e.foreign_address_lines, ["Exempelgatan 5", "211 20 Malmö", "SVERIGE"]);
        assert!(e.return_date.is_none());
        assert!(p.address.is_none());
    }
    let p = one("private-disappeared", SectorType::Private, "1002701169");
    assert_eq!(p.status, Some(PersonStatus::Known(KnownStatus::Forsvundet)));
    assert_eq!(p.disappearance.unwrap().date.as_deref(), Some("2016-02-10"));
}

#[test]
fn co_locality_contact_guardianship_marketing() {
    let a = one("private-co", SectorType::Private, "2207993126").address.unwrap();
    assert_eq!(a.co_name.as_deref(), Some("c/o Karen Eksempel"));
    assert_eq!(a.lines, ["c/o Karen Eksempel", "Eksempelgade 3, 1. tv", "8000 Aarhus C"]);
    assert_eq!(a.second_line().as_deref(), Some("c/o Karen Eksempel"));

    let a = one("private-locality", SectorType::Private, "0511481139").address.unwrap();
    assert_eq!(a.lines, ["Bakkegårdsvej 2", "Lille Prøvstrup", "4050 Skibby"]);
    assert_eq!(a.locality.as_deref(), Some("Lille Prøvstrup"));

    let c = one("private-contact-address", SectorType::Private, "0303962158").contact_address.unwrap();
    assert_eq!(c.lines, ["Postboks 123", "6700 Esbjerg"]);
    assert_eq!(c.from.as_deref(), Some("2022-05-01"));

    let g = one("private-guardianship", SectorType::Private, "1512532159").guardianship.unwrap();
    assert_eq!(g.guardian_name.as_deref(), Some("Advokat Lise Værgesen"));
    assert_eq!(g.guardian_address_lines, ["Advokatgården 1", "7100 Vejle"]);
    assert_eq!(g.from.as_deref(), Some("2019-03-01"));

    let p = one("private-marketing-protection", SectorType::Private, "1710671199");
    assert_eq!(p.protections[0].kind, "markedsfoeringsbeskyttelse");
    assert!(p.name.is_some() && !p.name_withheld);
}

#[test]
fn history_in_the_public_sector_only() {
    let p = one("public-history", SectorType::Public, "2906790168");
    assert_eq!(p.name.as_ref().unwrap().full().as_deref(), Some("Hanne Marie Testesen"));
    assert_eq!(p.name_history.len(), 1);
    assert_eq!(p.name_history[0].family.as_deref(), Some("Hansen"));
    assert_eq!(p.name_history[0].to.as_deref(), Some("2005-06-18"));
    let lines: Vec<&str> = p.address_history.iter().map(|a| a.lines[0].as_str()).collect();
    assert_eq!(lines, ["Studiestræde 9, 4. th", "Første Vej 1"], "newest first");
    assert_eq!(p.address_history[0].to.as_deref(), Some("2003-09-01"));
    assert_eq!(p.address.unwrap().lines[0], "Prøvevej 12, 2. tv");

    let p = one("private-history", SectorType::Private, "2906790168");
    assert_eq!(p.name.unwrap().family.as_deref(), Some("Testesen"));
    assert!(p.name_history.is_empty() && p.address_history.is_empty());
}

#[test]
fn relations_carry_their_own_protections() {
    let p = one("public-relations", SectorType::Public, "1908801179");
    let children: Vec<(&str, bool)> = p
        .relations
        .iter()
        .map(|r| {
            assert_eq!(r.kind, RelationKind::Child);
            (r.cpr.as_deref().unwrap(), r.protections.iter().any(|x| x.active))
        })
        .collect();
    assert_eq!(children, [("0406104168", false), ("2109145125", true)]);
    let p = one("public-child-relations", SectorType::Public, "0406104168");
    let parents: Vec<(Option<&str>, &str, usize)> =
        p.relations.iter().map(|r| (r.role.as_deref(), r.cpr.as_deref().unwrap(), r.protections.len())).collect();
    assert_eq!(parents, [(Some("far"), "1908801179", 0), (Some("mor"), "0204882126", 1)]);
}

#[test]
fn batch_not_found_and_ambiguous_are_distinct_outcomes() {
    let r = parse("private-batch", SectorType::Private, &["1203750168", "0707610001", "0707610123"]);
    let found: Vec<&str> = r.persons.iter().map(|p| p.cpr.as_deref().unwrap()).collect();
    assert_eq!(found, ["1203750168", "0707610123"], "in the order asked");
    assert_eq!(codes(&r), ["person_not_found"]);
    assert_eq!((r.errors[0].index, r.errors[0].cpr.as_deref()), (Some(1), Some("070761-xxxx")));
    assert_eq!(r.errors[0].diagnosis.code, "person_not_found");

    let r = parse("private-not-found", SectorType::Private, &["0707610001"]);
    assert!(r.persons.is_empty());
    assert_eq!(codes(&r), ["person_not_found"]);

    let r = parse("private-ambiguous", SectorType::Private, &["0707610123"]);
    assert!(r.persons.is_empty(), "neither of two persons is used");
    assert_eq!(codes(&r), ["ambiguous_result"]);
    assert_eq!(r.errors[0].message, "CPR returned 2 persons for the number 070761-xxxx; none of them is used.");

    // Without the numbers asked for, persons are simply listed.
    let text = fixture("private-batch");
    let r = parse_lookup_response_json(&json!(text), &json!({"sectorType": "private"})).unwrap();
    assert_eq!(r.persons.len(), 2);
    let r = parse_lookup_response_json(&json!(fixture("private-not-found")), &json!({"sectorType": "private"})).unwrap();
    assert_eq!(codes(&r), ["person_not_found"]);
}

#[test]
fn graphql_errors_and_partial_data() {
    let r = parse("errors-required-fields", SectorType::Private, &["0707610123"]);
    assert!(r.persons.is_empty());
    assert_eq!(codes(&r), ["required_fields_missing"]);
    assert!(!r.errors[0].partial);
    assert!(r.errors[0].diagnosis.solution.contains("Fetch CPR Schema"));

    let r = parse("errors-not-authorized", SectorType::Private, &["0707610123"]);
    assert_eq!(codes(&r), ["not_entitled"]);
    assert_eq!(r.errors[0].path.as_deref(), Some("CPRCustom_PrivateSectorPerson"));
    assert!(r.persons.is_empty());

    let r = parse("private-partial-data", SectorType::Private, &["0707610123"]);
    assert_eq!(codes(&r), ["partial_data"]);
    assert!(r.errors[0].partial);
    assert_eq!(r.errors[0].path.as_deref(), Some("CPRCustom_PrivateSectorPerson.nodes.0.navne"));
    assert_eq!(r.persons.len(), 1);
    let p = &r.persons[0];
    assert!(p.name.is_none() && p.name_withheld, "the failed list is absent, not empty");
    assert!(p.address.is_some());
}

#[test]
fn hostile_answers_fail_with_clear_codes() {
    let asked = [CprNumber::parse("0707610123").unwrap()];
    // Deep nesting where values are read (errors are kept as JSON) is refused; in fields the
    // library does not read it is skipped without recursion.
    let deep = format!("{{\"errors\": [{{\"message\": \"x\", \"extensions\": {}{}}}]}}", "[".repeat(300), "]".repeat(300));
    let skipped = format!("{{\"data\": {{\"X\": {{\"nodes\": [{{\"extra\": {}{}}}]}}}}}}", "[".repeat(5000), "]".repeat(5000));
    assert_eq!(parse_lookup_response(LookupBody::Text(&skipped), SectorType::Private, Some(&asked)).unwrap().persons.len(), 1);
    let mut huge_nodes = String::from("{\"data\":{\"X\":{\"nodes\":[");
    huge_nodes.push_str(&vec!["{}"; 1001].join(","));
    huge_nodes.push_str("]}}}");
    let oversized = format!("{{\"data\": null, \"pad\": \"{}\"}}", "x".repeat(9 * 1024 * 1024));
    let cases: Vec<(String, &str)> = vec![
        ("<html>Bad gateway</html>".into(), "malformed_response"),
        ("{\"data\": {\"X\": {\"nodes\": [".into(), "malformed_response"),
        ("[]".into(), "unexpected_response_shape"),
        ("{}".into(), "unexpected_response_shape"),
        ("{\"data\": 5}".into(), "unexpected_response_shape"),
        ("{\"data\": {\"X\": {\"edges\": []}}}".into(), "unexpected_response_shape"),
        ("{\"data\": {\"X\": {\"nodes\": [{\"navne\": 5}]}}}".into(), "unexpected_response_shape"),
        ("{\"data\": {\"X\": {\"nodes\": [{\"status\": {\"a\": 1}}]}}}".into(), "unexpected_response_shape"),
        ("{\"errors\": \"boom\"}".into(), "unexpected_response_shape"),
        (deep, "response_too_deep"),
        (huge_nodes, "response_too_large"),
        (oversized, "response_too_large"),
    ];
    for (body, code) in cases {
        let e = parse_lookup_response(LookupBody::Text(&body), SectorType::Private, Some(&asked)).unwrap_err();
        assert_eq!(e.code(), code, "{}", &body[..body.len().min(80)]);
    }
    let deep_value: Value = (0..100).fold(json!(1), |acc, _| json!([acc]));
    let e = parse_lookup_response(LookupBody::Json(&json!({"data": {"X": {"nodes": [{"navne": deep_value}]}}})), SectorType::Private, None)
        .unwrap_err();
    assert_eq!(e.code(), "response_too_deep");
    let e = parse_lookup_response_json(&json!(42), &json!({"sectorType": "private"})).unwrap_err();
    assert_eq!(e.code(), "unexpected_response_shape");
    let e = parse_lookup_response_json(&json!("{}"), &json!({})).unwrap_err();
    assert_eq!(e.code(), "invalid_sector_type");
    let e = parse_lookup_response_json(&json!("{}"), &json!({"sectorType": "private", "cprNumbers": ["123"]})).unwrap_err();
    assert_eq!(e.code(), "invalid_cpr_number");
}

#[test]
fn the_person_record_round_trips_through_json() {
    for name in ["public-history", "private-protected", "public-relations", "private-emigrated", "private-guardianship"] {
        let r = parse_lookup_response_json(&json!(fixture(name)), &json!({"sectorType": "public"})).unwrap();
        for p in r.persons {
            let json = serde_json::to_value(&p).unwrap();
            let back: Person = serde_json::from_value(json.clone()).unwrap();
            assert_eq!(back, p, "{name}");
            // No empty strings anywhere in a record.
            assert!(!json.to_string().contains("\"\""), "{name}: {json}");
        }
    }
}
