//! README.md and docs/REFERENCE.md say what is verified and what is inferred in tables written
//! from the library's own tables (the environment table, the field table, the diagnosis
//! catalogue). This test renders each table from its Rust source and checks that every copy in
//! the docs reads the same, so the docs cannot drift from the code. On a mismatch the message
//! holds the table as it should read.
// Reads the docs from disk: native only.
#![cfg(not(target_arch = "wasm32"))]

use datafordeler_cpr::diagnosis::{entry, CauseProvenance, DiagnosisCode};
use datafordeler_cpr::environment::{Provenance, SectorType, Sourced, ENVIRONMENTS};
use datafordeler_cpr::fields::{FieldGroup, FieldSpec, GroupSet, PERSON_FIELDS};

fn word<P: serde::Serialize>(p: P) -> String {
    serde_json::to_value(p).unwrap().as_str().unwrap().to_string()
}

fn endpoints() -> String {
    let cell = |s: &Sourced| format!("`{}` ({})", s.value, word(s.provenance));
    let mut t = String::from(
        "| environment | GraphQL host | token host (shared secret) | token host (certificate) | portal |\n|---|---|---|---|---|\n",
    );
    for e in ENVIRONMENTS {
        t.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            e.label,
            cell(&e.graphql_host),
            cell(&e.shared_secret_token_host),
            cell(&e.certificate_token_host),
            cell(&e.portal_host)
        ));
    }
    t
}

/// The sub-fields of a field a sector sees, as paths below it, with their evidence.
fn below(f: &FieldSpec, group: FieldGroup, sector: SectorType, prefix: &str, out: &mut Vec<(String, Provenance)>) {
    for c in f.children {
        if !c.wanted(group, sector, GroupSet::all()) {
            continue;
        }
        let path = if prefix.is_empty() { c.name.to_string() } else { format!("{prefix}.{}", c.name) };
        out.push((path.clone(), c.provenance(sector)));
        below(c, c.group.unwrap_or(group), sector, &path, out);
    }
}

fn field_cell(f: &FieldSpec, sector: SectorType) -> String {
    let group = f.group.unwrap_or(FieldGroup::Status);
    if !f.wanted(FieldGroup::Status, sector, GroupSet::all()) {
        return "not disclosed".to_string();
    }
    let own = f.provenance(sector);
    if own == Provenance::Inferred {
        return word(own);
    }
    let mut subs = Vec::new();
    below(f, group, sector, "", &mut subs);
    let inferred: Vec<String> = subs.iter().filter(|(_, p)| *p == Provenance::Inferred).map(|(path, _)| format!("`{path}`")).collect();
    if inferred.is_empty() {
        word(own)
    } else if inferred.len() == subs.len() {
        format!("{}, every sub-field inferred", word(own))
    } else {
        format!("{}; inferred: {}", word(own), inferred.join(", "))
    }
}

fn fields() -> String {
    let mut t = String::from("| field | group | public sector | private sector |\n|---|---|---|---|\n");
    for f in PERSON_FIELDS {
        let group = f.group.unwrap_or(FieldGroup::Status);
        t.push_str(&format!(
            "| `{}` | `{}` | {} | {} |\n",
            f.name,
            group.key(),
            field_cell(f, SectorType::Public),
            field_cell(f, SectorType::Private)
        ));
    }
    t
}

fn diagnoses() -> String {
    let mut t = String::from("| code | diagnosis | cause |\n|---|---|---|\n");
    for code in DiagnosisCode::OWN {
        let e = entry(*code);
        t.push_str(&format!("| `{}` | {} | {} |\n", code.as_str(), e.title, word(e.provenance)));
    }
    t
}

/// The text between `<!-- evidence:NAME ... -->` and `<!-- /evidence:NAME -->`, or `None`.
fn block<'a>(doc: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<!-- evidence:{name} ");
    let start = doc.find(&open)?;
    let after = start + doc.get(start..)?.find("-->\n")? + 4;
    let end = doc.find(&format!("<!-- /evidence:{name} -->"))?;
    doc.get(after..end)
}

/// A table's name in the docs and how to write it.
type Table<'a> = (&'a str, fn() -> String);

fn check(file: &str, tables: &[Table]) {
    let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(&path).unwrap();
    for (name, render) in tables {
        let expected = render();
        let found = block(&doc, name).unwrap_or_else(|| panic!("{file} has no evidence:{name} block; it should hold:\n{expected}"));
        assert_eq!(found, expected, "{file}: the evidence:{name} table should read:\n{expected}");
    }
}

#[test]
fn the_reference_states_the_evidence_of_every_table() {
    check("docs/REFERENCE.md", &[("endpoints", endpoints), ("fields", fields), ("diagnoses", diagnoses)]);
}

#[test]
fn readme_states_the_evidence_of_fields_and_diagnoses() {
    check("README.md", &[("fields", fields), ("diagnoses", diagnoses)]);
}

#[test]
fn every_word_is_one_the_docs_explain() {
    // The tables use only the words the reference defines at its top (and the page explains).
    let reference = std::fs::read_to_string(format!("{}/docs/REFERENCE.md", env!("CARGO_MANIFEST_DIR"))).unwrap();
    for p in [Provenance::Verified, Provenance::Observed, Provenance::Inferred] {
        assert!(reference.contains(&format!("- **{}**:", word(p))), "{}", word(p));
    }
    for p in [CauseProvenance::Verified, CauseProvenance::Observed, CauseProvenance::Inferred, CauseProvenance::Local] {
        assert!(reference.contains(&format!("- **{}**:", word(p))), "{}", word(p));
    }
}
