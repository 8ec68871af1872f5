//! Reading the answer to a lookup query into [`Person`] records.
//!
//! The body is read in one pass through the selection table ([`PERSON_FIELDS`], by the
//! reader in `shape.rs`: the answer holds exactly the fields the query selected), which is the
//! hot path of every lookup, leniently where the schema may vary between versions: a text field that
//! arrives as a number is read as text, a list that arrives as a single object is a list of
//! one, unknown fields are ignored. What cannot be an answer at all (not JSON, too large, the
//! wrong shape) is an error; what the service reports (GraphQL errors, no person, several
//! persons for one number) is a diagnosed outcome in `errors`.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::code::ErrorCode;
use crate::cpr::CprNumber;
use crate::diagnosis::{diagnose, Diagnosis, DiagnosisCode, Failure, Stage};
use crate::environment::SectorType;
use crate::error::CprError;
use crate::fields::PERSON_FIELDS;
use crate::json_input::{depth_exceeds, describe_type, MAX_DEPTH, MAX_JSON_BYTES};
use crate::shape::{read_rows, refuse, refused, Node, RowsSeed, Slot, TextSeed};
use crate::person::{
    Address, ContactAddress, Country, Death, Disappearance, Emigration, Guardianship, KnownStatus, Person,
    MaritalStatus, PersonName, PersonStatus, Protection, Relation, RelationKind, CREDIT_WARNING, NAME_AND_ADDRESS_PROTECTION,
};

/// More persons than this in one answer is not an answer to a lookup.
pub const MAX_RESPONSE_PERSONS: usize = 1000;
/// GraphQL errors kept from one answer.
const MAX_ERRORS: usize = 50;

// ---------------------------------------------------------------------------------------------
// Public shapes
// ---------------------------------------------------------------------------------------------

/// Options of reading a lookup's answer, as a host passes them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ParseOptions {
    pub sector_type: SectorType,
    /// The numbers the query asked for, in the same order: with them, a number without a
    /// person becomes `person_not_found` and one with several becomes `ambiguous_result`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub cpr_numbers: Option<Vec<String>>,
}

/// One outcome that is not a person: a GraphQL error, no person, several persons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct LookupError {
    /// A code of the diagnosis catalogue, e.g. `person_not_found`, `ambiguous_result`, `not_entitled`.
    pub code: DiagnosisCode,
    /// What happened, safe for logs (CPR numbers masked).
    pub message: String,
    /// Position of the number in `cprNumbers`, when the outcome concerns one number.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub index: Option<usize>,
    /// The number concerned, masked (`DDMMYY-xxxx`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub cpr: Option<String>,
    /// Where in the answer a GraphQL error applies, e.g. `CPRCustom_PublicSectorPerson.nodes.0.navne`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub path: Option<String>,
    /// The answer also held data: persons were read, but some values may be missing.
    pub partial: bool,
    pub diagnosis: Diagnosis,
}

/// The persons an answer holds, and every outcome that is not a person.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct LookupResult {
    pub persons: Vec<Person>,
    pub errors: Vec<LookupError>,
}

/// The body of an answer: JSON text (the fast path) or an already parsed value.
#[derive(Debug, Clone, Copy)]
pub enum LookupBody<'a> {
    Text(&'a str),
    Json(&'a Value),
}

// ---------------------------------------------------------------------------------------------
// The answer: its envelope here, the person's fields from the selection table
// ---------------------------------------------------------------------------------------------

const ADDRESS_LINES: [&str; 5] = ["adresselinie1", "adresselinie2", "adresselinie3", "adresselinie4", "adresselinie5"];

/// The whole answer: `data` and `errors`.
#[derive(Default)]
struct Envelope<'a> {
    data: Option<Data<'a>>,
    errors: Option<Vec<Value>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Envelope<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Envelope<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object with data or errors")
            }
            refuse!('de, Envelope<'a>; unit, bool, number, str, seq);
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope<'a>, A::Error> {
                let mut envelope = Envelope::default();
                let (mut data_seen, mut errors_seen) = (false, false);
                while let Some(key) = map.next_key_seed(TextSeed)? {
                    match &key {
                        Slot::Text(k) if k == "data" => {
                            if std::mem::replace(&mut data_seen, true) {
                                return Err(de::Error::duplicate_field("data"));
                            }
                            envelope.data = map.next_value::<Option<Data<'a>>>()?;
                        }
                        Slot::Text(k) if k == "errors" => {
                            if std::mem::replace(&mut errors_seen, true) {
                                return Err(de::Error::duplicate_field("errors"));
                            }
                            envelope.errors = match map.next_value::<Value>()? {
                                Value::Null => None,
                                Value::Array(errors) => Some(errors),
                                _ => return Err(refused("another value", &"a list of errors")),
                            };
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(envelope)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// `data`: the root field's answer, whatever the field is called (`None`: no field at all;
/// `Some(None)`: the field is null).
#[derive(Default)]
struct Data<'a> {
    root: Option<Option<Vec<Node<'a>>>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Data<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Data<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            refuse!('de, Data<'a>; unit, bool, number, str, seq);
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Data<'a>, A::Error> {
                let mut data = Data::default();
                while map.next_key::<IgnoredAny>()?.is_some() {
                    if data.root.is_some() {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    }
                    data.root = Some(map.next_value_seed(RootSeed)?);
                }
                Ok(data)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// The root field's value: a connection `{ nodes: [...] }`, a plain list, or null.
struct RootSeed;

impl<'de> DeserializeSeed<'de> for RootSeed {
    type Value = Option<Vec<Node<'de>>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RootSeed {
    type Value = Option<Vec<Node<'de>>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with nodes, or a list of persons")
    }
    refuse!('de, Option<Vec<Node<'de>>>; bool, number, str);
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        read_rows(PERSON_FIELDS, seq).map(Some)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut nodes = None;
        while let Some(key) = map.next_key_seed(TextSeed)? {
            if matches!(&key, Slot::Text(k) if k == "nodes") {
                nodes = Some(match map.next_value_seed(RowsSeed(PERSON_FIELDS))? {
                    Slot::Rows(rows) => rows,
                    _ => Vec::new(),
                });
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        match nodes {
            Some(nodes) => Ok(Some(nodes)),
            None => Err(de::Error::missing_field("nodes")),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Current rows and history
// ---------------------------------------------------------------------------------------------

/// The current row (the newest if several claim to be) and the others, newest first.
fn split_current<'n, 'a>(rows: &'n [Node<'a>]) -> (Option<&'n Node<'a>>, Vec<&'n Node<'a>>) {
    let mut current: Option<&Node> = None;
    let mut history = Vec::new();
    for row in rows {
        if !row.is_current() {
            history.push(row);
            continue;
        }
        match current.take() {
            Some(c) if c.from() >= row.from() => {
                history.push(row);
                current = Some(c);
            }
            Some(c) => {
                history.push(c);
                current = Some(row);
            }
            None => current = Some(row),
        }
    }
    if history.len() > 1 {
        // Newest first, ties in their order, each date worked out once.
        let dates: Vec<Option<String>> = history.iter().map(|r| r.from()).collect();
        history = newest_first(&dates).into_iter().filter_map(|i| history.get(i).copied()).collect();
    }
    (current, history)
}

/// The positions of `dates` ordered newest first (no date counts as oldest), ties in their
/// order: a bottom-up merge sort, O(n log n) for any answer. The standard library's stable
/// sort would do the same with several KB more wasm.
fn newest_first(dates: &[Option<String>]) -> Vec<usize> {
    let n = dates.len();
    let mut order: Vec<usize> = (0..n).collect();
    let mut merged = vec![0; n];
    let newer = |a: usize, b: usize| dates.get(a) > dates.get(b);
    let mut width = 1;
    while width < n {
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut left, mut right) = (start, mid);
            for slot in merged.iter_mut().take(end).skip(start) {
                // The left run wins ties: that keeps equal dates in their order.
                let take_right = match (order.get(left), order.get(right)) {
                    (Some(&l), Some(&r)) if left < mid && right < end => newer(r, l),
                    _ => left >= mid,
                };
                let from = if take_right { &mut right } else { &mut left };
                *slot = order.get(*from).copied().unwrap_or_default();
                *from += 1;
            }
            start = end;
        }
        std::mem::swap(&mut order, &mut merged);
        width *= 2;
    }
    order
}

fn current_row<'n, 'a>(rows: &'n [Node<'a>]) -> Option<&'n Node<'a>> {
    split_current(rows).0
}

// ---------------------------------------------------------------------------------------------
// Raw → Person
// ---------------------------------------------------------------------------------------------

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

fn name_of(n: &Node<'_>) -> Option<PersonName> {
    let name = PersonName {
        given: n.get("fornavne"),
        middle: n.get("mellemnavn"),
        family: n.get("efternavn"),
        addressing: n.get("adresseringsnavn"),
        from: n.date("virkningfra"),
        to: n.date("virkningtil"),
    };
    (!name.is_empty()).then_some(name)
}

fn address_of(a: &Node<'_>) -> Option<Address> {
    let c = a.one("cprAdresse");
    let t = |name: &str| c.and_then(|c| c.get(name));
    let address = Address {
        street: t("vejadresseringsnavn").or_else(|| t("vejnavn")),
        house_number: c.and_then(|c| c.str("husnummer")).and_then(crate::address::house_number),
        floor: t("etage"),
        door: t("sidedoer"),
        post_code: t("postnummer"),
        post_district: t("postdistrikt"),
        locality: t("bynavn"),
        municipality_code: t("cprkommunekode"),
        municipality_name: t("cprkommunenavn"),
        co_name: a.get("conavn"),
        lines: Vec::new(),
        from: a.date("virkningfra"),
        to: a.date("virkningtil"),
    }
    .with_lines(a.one("supplerendeAdresse").map(|s| s.lines(&ADDRESS_LINES)).unwrap_or_default());
    (!address.is_empty()).then_some(address)
}

fn protections_of(rows: &[Node<'_>]) -> Vec<Protection> {
    rows.iter()
        .filter_map(|b| {
            Some(Protection { kind: b.get("beskyttelsestype")?, from: b.date("virkningfra"), to: b.date("virkningtil"), active: b.is_current() })
        })
        .collect()
}

fn nested(kind: RelationKind, role: Option<String>, from: Option<String>, p: &Node<'_>) -> Relation {
    Relation {
        kind,
        role,
        cpr: p.str("personnummer").map(digits),
        name: p.one("navn").and_then(name_of).map(|n| PersonName { from: None, to: None, ..n }),
        protections: protections_of(p.rows("beskyttelser")),
        from,
    }
}

/// The numbers a node answers to: its current number and any earlier ones.
fn numbers_of(raw: &Node<'_>) -> Vec<String> {
    raw.rows("personnumre").iter().filter_map(|p| p.str("personnummer").map(digits)).collect()
}

fn person_of(raw: &Node<'_>, sector: SectorType, fallback_cpr: Option<&str>) -> Person {
    let protections = protections_of(raw.rows("beskyttelser"));
    // Name and address protection withholds data from private companies only.
    let protected =
        sector == SectorType::Private && protections.iter().any(|p| p.active && p.kind == NAME_AND_ADDRESS_PROTECTION);
    let status = raw.str("status").map(PersonStatus::from_register);
    let status_date = raw.date("statusdato");
    let cpr = {
        let numbers = raw.rows("personnumre");
        let current = numbers.iter().find(|n| n.is_current()).or(numbers.first());
        current.and_then(|n| n.str("personnummer")).map(digits).or_else(|| fallback_cpr.map(str::to_string))
    };
    // A value is withheld when its list came back null, or empty under an active protection.
    let (name_row, name_rows) = split_current(raw.rows("navne"));
    let name = name_row.and_then(name_of);
    let name_withheld = name.is_none() && (raw.is_null("navne") || (protected && !raw.is_absent("navne")));
    let name_history = name_rows.into_iter().filter_map(name_of).collect();

    let (address_row, address_rows) = split_current(raw.rows("adresseoplysninger"));
    let address = address_row.and_then(address_of);
    let address_withheld =
        address.is_none() && (raw.is_null("adresseoplysninger") || (protected && !raw.is_absent("adresseoplysninger")));
    let address_history = address_rows.into_iter().filter_map(address_of).collect();

    let emigration = current_row(raw.rows("udrejseIndrejser")).map(|u| Emigration {
        date: u.date("udrejsedato"),
        country: u.one("cprlandUdrejse").map(|l| Country { code: l.get("kode"), name: l.get("navn"), iso_code: l.get("landekode") }),
        foreign_address_lines: u.one("udlandsadresse").map(|a| a.lines(&ADDRESS_LINES)).unwrap_or_default(),
        return_date: u.date("indrejsedato"),
    });
    let disappearance = current_row(raw.rows("forsvindinger"))
        .map(|f| Disappearance { date: f.date("forsvindingsdato"), found_date: f.date("genfindingsdato") });
    let death = (status.as_ref().and_then(PersonStatus::known) == Some(KnownStatus::Doed)).then(|| Death { date: status_date.clone() });
    let contact_address = current_row(raw.rows("kontaktadresse"))
        .map(|k| ContactAddress { lines: k.lines(&ADDRESS_LINES), from: k.date("virkningfra") })
        .filter(|k| !k.lines.is_empty());
    let guardianship = current_row(raw.rows("vaergemaal")).map(|v| Guardianship {
        from: v.date("virkningfra"),
        guardian_name: v.get("vaergenavn"),
        guardian_address_lines: v.lines(&["vaergeadresselinie1", "vaergeadresselinie2", "vaergeadresselinie3"]),
    });
    let occupation = current_row(raw.rows("stillinger")).and_then(|s| s.get("stilling"));
    // A list that came back (even empty) is CPR's answer; a missing or null one says nothing.
    let credit_warning = (!raw.is_absent("kreditadvarsler") && !raw.is_null("kreditadvarsler")).then(|| {
        let current = current_row(raw.rows("kreditadvarsler"));
        Protection { kind: CREDIT_WARNING.to_string(), from: current.and_then(|k| k.date("virkningfra")), to: None, active: current.is_some() }
    });
    let marital_status = current_row(raw.rows("civilstande"))
        .and_then(|c| Some(MaritalStatus { code: c.get("civilstandstype")?, from: c.date("virkningfra") }));
    let mut relations: Vec<Relation> = raw
        .rows("boern")
        .iter()
        .filter_map(|b| Some(nested(RelationKind::Child, None, b.date("virkningfra"), b.one("barn")?)))
        .collect();
    relations.extend(raw.rows("foraeldreoplysninger").iter().filter_map(|f| {
        Some(nested(RelationKind::Parent, f.get("foraelderrolle"), f.date("virkningfra"), f.one("foraelder")?))
    }));

    Person {
        cpr,
        status,
        status_date,
        birth_date: raw.date("foedselsdato"),
        name,
        name_withheld,
        address,
        address_withheld,
        protections,
        emigration,
        disappearance,
        death,
        contact_address,
        guardianship,
        occupation,
        credit_warning,
        marital_status,
        name_history,
        address_history,
        relations,
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

fn shape_error(detail: &str) -> CprError {
    CprError::invalid_input(
        ErrorCode::Diagnosis(DiagnosisCode::UnexpectedResponseShape),
        format!("The answer is not shaped like a CPR lookup answer ({detail}). Fetch CPR Schema and check the drift report."),
    )
}

/// serde's messages quote the offending value, which may be a name or a number: keep only
/// the kind of mistake and where it is.
fn safe_serde_message(e: &serde_json::Error) -> String {
    crate::json_input::safe_message(&e.to_string())
}


fn read_envelope(text: &str) -> Result<Envelope<'_>, CprError> {
    if text.len() > MAX_JSON_BYTES {
        return Err(CprError::invalid_input(
            ErrorCode::Diagnosis(DiagnosisCode::ResponseTooLarge),
            format!("The answer is {} bytes; the limit is {MAX_JSON_BYTES}. Look up fewer persons per request.", text.len()),
        ));
    }
    // Syntax first, so "not JSON" and "JSON of the wrong shape" are told apart.
    serde_json::from_str::<Envelope<'_>>(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => shape_error(&safe_serde_message(&e)),
        _ if e.to_string().contains("recursion limit") => {
            CprError::invalid_input(ErrorCode::ResponseTooDeep, format!("The answer is nested deeper than the library reads ({}).", safe_serde_message(&e)))
        }
        _ => CprError::invalid_input(
            ErrorCode::Diagnosis(DiagnosisCode::MalformedResponse),
            format!("The answer is not valid JSON ({}). Check proxies and endpoint overrides.", safe_serde_message(&e)),
        ),
    })
}

fn graphql_error(error: &Value, partial: bool) -> LookupError {
    let body = format!("{{\"errors\":[{}]}}", crate::json_input::json_text(error));
    let diagnosis = diagnose(&Failure { stage: Some(Stage::Graphql), status: Some(200), body: Some(body), ..Failure::default() });
    let code = if partial && diagnosis.code == DiagnosisCode::GraphqlErrors { DiagnosisCode::PartialData } else { diagnosis.code };
    let path = error.get("path").and_then(Value::as_array).map(|segments| {
        segments
            .iter()
            .take(16)
            .map(|s| match s {
                Value::String(s) => s.clone(),
                other => crate::json_input::json_text(other),
            })
            .collect::<Vec<_>>()
            .join(".")
    });
    let message = diagnosis.detail.clone().unwrap_or_else(|| diagnosis.title.clone());
    let diagnosis = if code == diagnosis.code { diagnosis } else { Diagnosis { detail: diagnosis.detail, ..Diagnosis::from_code(code) } };
    LookupError { code, message, index: None, cpr: None, path, partial, diagnosis }
}

fn outcome(code: DiagnosisCode, message: String, index: Option<usize>, cpr: Option<String>) -> LookupError {
    LookupError { code, message, index, cpr, path: None, partial: false, diagnosis: Diagnosis::from_code(code) }
}

/// Parse the answer to a lookup query.
///
/// With `requested` (the numbers the query asked for, in order), persons come back in that
/// order and each number without a person, or with several, becomes an error entry.
///
/// ```
/// use datafordeler_cpr::cpr::CprNumber;
/// use datafordeler_cpr::environment::SectorType;
/// use datafordeler_cpr::response::{parse_lookup_response, LookupBody};
///
/// let body = r#"{"data":{"CPRCustom_PrivateSectorPerson":{"nodes":[]}}}"#;
/// let asked = [CprNumber::parse("0707610001").unwrap()];
/// let result = parse_lookup_response(LookupBody::Text(body), SectorType::Private, Some(&asked)).unwrap();
/// assert!(result.persons.is_empty());
/// assert_eq!(result.errors[0].code, "person_not_found");
/// assert_eq!(result.errors[0].cpr.as_deref(), Some("070761-xxxx"));
/// ```
pub fn parse_lookup_response(body: LookupBody, sector: SectorType, requested: Option<&[CprNumber]>) -> Result<LookupResult, CprError> {
    match body {
        LookupBody::Text(text) => parse_text(text, sector, requested),
        LookupBody::Json(value) => {
            if !value.is_object() {
                return Err(shape_error(&format!("it is {}, not an object", describe_type(value))));
            }
            if depth_exceeds(value, MAX_DEPTH) {
                return Err(CprError::invalid_input(ErrorCode::ResponseTooDeep, format!("The answer is nested deeper than {MAX_DEPTH} levels.")));
            }
            // Written out and read as text: one deserializer (serde_json's text reader) for the
            // typed records keeps the wasm module small; a parsed value is the rare path.
            let text = serde_json::to_string(value).map_err(|e| shape_error(&safe_serde_message(&e)))?;
            parse_text(&text, sector, requested)
        }
    }
}

fn parse_text(text: &str, sector: SectorType, requested: Option<&[CprNumber]>) -> Result<LookupResult, CprError> {
    let envelope = read_envelope(text)?;
    let graphql_errors = envelope.errors.unwrap_or_default();
    let root = envelope.data.and_then(|d| d.root);
    let nodes = matches!(&root, Some(Some(_)));
    let mut result = LookupResult::default();
    for error in graphql_errors.iter().take(MAX_ERRORS) {
        result.errors.push(graphql_error(error, nodes));
    }
    let Some(persons) = root else {
        if result.errors.is_empty() {
            return Err(shape_error("no data and no errors"));
        }
        return Ok(result);
    };
    let Some(raw_persons) = persons else {
        // The root field is null: with errors, they explain it; without, nobody was found.
        if result.errors.is_empty() {
            not_found_all(&mut result, requested);
        }
        return Ok(result);
    };
    if raw_persons.len() > MAX_RESPONSE_PERSONS {
        return Err(CprError::invalid_input(
            ErrorCode::Diagnosis(DiagnosisCode::ResponseTooLarge),
            format!("The answer holds {} persons; a lookup answer holds at most {MAX_RESPONSE_PERSONS}.", raw_persons.len()),
        ));
    }
    match requested {
        Some(asked) if !asked.is_empty() => match_requested(&mut result, raw_persons, asked, sector),
        _ => {
            if raw_persons.is_empty() && result.errors.is_empty() {
                not_found_all(&mut result, None);
            }
            result.persons = raw_persons.iter().map(|p| person_of(p, sector, None)).collect();
        }
    }
    Ok(result)
}

fn not_found_all(result: &mut LookupResult, requested: Option<&[CprNumber]>) {
    match requested {
        Some(asked) if !asked.is_empty() => {
            for (i, n) in asked.iter().enumerate() {
                result.errors.push(outcome(
                    DiagnosisCode::PersonNotFound,
                    format!("CPR has no person with the number {} (or none this IT-system may see).", n.masked()),
                    Some(i),
                    Some(n.masked()),
                ));
            }
        }
        _ => result.errors.push(outcome(DiagnosisCode::PersonNotFound, "CPR returned no person.".to_string(), None, None)),
    }
}

fn match_requested(result: &mut LookupResult, raw_persons: Vec<Node<'_>>, asked: &[CprNumber], sector: SectorType) {
    let keys: Vec<Vec<String>> = raw_persons.iter().map(numbers_of).collect();
    // Without numbers in the answer, a single number asked for is the only possible match.
    let unkeyed = keys.iter().all(Vec::is_empty) && asked.len() == 1;
    let mut slots: Vec<Option<Node<'_>>> = raw_persons.into_iter().map(Some).collect();
    let mut used = vec![false; slots.len()];
    let mut matched: Vec<Person> = Vec::with_capacity(asked.len());
    for (i, number) in asked.iter().enumerate() {
        let wanted = number.normalized();
        let hits: Vec<usize> =
            (0..slots.len()).filter(|&j| unkeyed || keys.get(j).is_some_and(|k| k.contains(&wanted))).collect();
        match hits.as_slice() {
            [] => result.errors.push(outcome(
                DiagnosisCode::PersonNotFound,
                format!("CPR has no person with the number {} (or none this IT-system may see).", number.masked()),
                Some(i),
                Some(number.masked()),
            )),
            [one] => {
                if let Some(raw) = slots.get_mut(*one).and_then(Option::take) {
                    matched.push(person_of(&raw, sector, Some(&wanted)));
                }
                if let Some(u) = used.get_mut(*one) {
                    *u = true;
                }
            }
            several => {
                for j in several {
                    if let Some(u) = used.get_mut(*j) {
                        *u = true;
                    }
                }
                result.errors.push(outcome(
                    DiagnosisCode::AmbiguousResult,
                    format!("CPR returned {} persons for the number {}; none of them is used.", several.len(), number.masked()),
                    Some(i),
                    Some(number.masked()),
                ));
            }
        }
    }
    // Persons the service sent for no number asked for are still persons; they go last.
    for (j, slot) in slots.into_iter().enumerate() {
        if let (Some(raw), false) = (slot, used.get(j).copied().unwrap_or(true)) {
            matched.push(person_of(&raw, sector, None));
        }
    }
    result.persons = matched;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lenient_scalars_and_lists() {
        let body = json!({"data": {"X": {"nodes": [null, {
            "status": 1, "foedselsdato": "1961-07-07",
            "navne": {"fornavne": "Jens", "efternavn": "Testesen", "status": "aktuel"},
            "adresseoplysninger": [{"status": "aktuel", "cprAdresse": [{"vejadresseringsnavn": "Prøvevej", "husnummer": 12, "postnummer": 2100}]}],
            "unknownField": {"deep": [1, 2, 3]}
        }]}}});
        let r = parse_lookup_response(LookupBody::Json(&body), SectorType::Public, None).unwrap();
        assert_eq!(r.persons.len(), 1);
        let p = &r.persons[0];
        assert_eq!(p.status, Some(PersonStatus::Other("1".into())));
        assert_eq!(p.name.as_ref().unwrap().full().as_deref(), Some("Jens Testesen"));
        assert_eq!(p.address.as_ref().unwrap().lines, ["Prøvevej 12", "2100"]);
    }

    #[test]
    fn protection_withholds_from_the_private_sector_only() {
        let body = json!({"data": {"X": {"nodes": [{
            "beskyttelser": [{"beskyttelsestype": "navne_og_adressebeskyttelse", "status": "aktuel"}],
            "navne": [], "adresseoplysninger": []
        }]}}});
        let private = parse_lookup_response(LookupBody::Json(&body), SectorType::Private, None).unwrap();
        assert!(private.persons[0].name_withheld && private.persons[0].address_withheld);
        let public = parse_lookup_response(LookupBody::Json(&body), SectorType::Public, None).unwrap();
        assert!(!public.persons[0].name_withheld && !public.persons[0].address_withheld);
        // Null is withheld in either sector; a field not asked for is not.
        let body = json!({"data": {"X": {"nodes": [{"navne": null}]}}});
        let public = parse_lookup_response(LookupBody::Json(&body), SectorType::Public, None).unwrap();
        assert!(public.persons[0].name_withheld && !public.persons[0].address_withheld);
    }

    #[test]
    fn newest_first_is_a_stable_descending_sort() {
        // Compared with the standard library's stable sort on many shapes, ties included.
        let mut seed = 7u64;
        for n in 0..70 {
            let dates: Vec<Option<String>> = (0..n)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    let v = (seed >> 33) % 6;
                    (v > 0).then(|| format!("200{v}-01-01"))
                })
                .collect();
            let mut expected: Vec<usize> = (0..n).collect();
            expected.sort_by(|&a, &b| dates[b].cmp(&dates[a]));
            assert_eq!(newest_first(&dates), expected, "{dates:?}");
        }
    }

    /// An answer holding every field of a selection: each scalar a distinct text, each object a
    /// list of one.
    fn answer_for(fields: &[crate::schema::Selected], counter: &mut usize) -> Value {
        let mut object = serde_json::Map::new();
        for field in fields {
            let value = if field.children.is_empty() {
                *counter += 1;
                Value::String(format!("2001-01-{:02}", *counter % 28 + 1))
            } else {
                Value::Array(vec![answer_for(&field.children, counter)])
            };
            object.insert(field.name.to_string(), value);
        }
        Value::Object(object)
    }

    /// Every selected field came back into the record read from the answer.
    fn assert_all_read(fields: &[crate::schema::Selected], node: &Node<'_>, path: &str) {
        for field in fields {
            let at = format!("{path}.{}", field.name);
            if field.children.is_empty() {
                assert!(node.str(field.name).is_some(), "{at} is selected but not read");
            } else {
                let [row] = node.rows(field.name) else { panic!("{at} is selected but not read as one row") };
                assert_all_read(&field.children, row, &at);
            }
        }
    }

    #[test]
    fn every_field_the_query_selects_is_read_from_the_answer() {
        // The query and the reader walk the same table: a field added to PERSON_FIELDS (and
        // present in the schema) is selected and read, and nothing the query selects is missed.
        for sector in [SectorType::Private, SectorType::Public] {
            let selection = crate::schema::Dialect::embedded(sector).unwrap().select(crate::fields::GroupSet::all());
            assert!(selection.fields.len() > 3, "{sector:?}");
            let person = answer_for(&selection.fields, &mut 0);
            let text = serde_json::to_string(&json!({"data": {"X": {"nodes": [person]}}})).unwrap();
            let envelope = read_envelope(&text).unwrap();
            let Some(Some(nodes)) = envelope.data.and_then(|d| d.root) else { panic!("no nodes") };
            let [node] = nodes.as_slice() else { panic!("{} nodes", nodes.len()) };
            assert_all_read(&selection.fields, node, "person");
        }
    }

    #[test]
    fn every_field_in_the_table_is_read_from_the_answer() {
        // Whatever the sector and the groups: the reader reads the whole table.
        fn all(fields: &'static [crate::fields::FieldSpec]) -> Vec<crate::schema::Selected> {
            fields.iter().map(|f| crate::schema::Selected { name: f.name, children: all(f.children) }).collect()
        }
        let table = all(PERSON_FIELDS);
        let person = answer_for(&table, &mut 0);
        let text = serde_json::to_string(&json!({"data": {"X": [person]}})).unwrap();
        let Some(Some(nodes)) = read_envelope(&text).unwrap().data.and_then(|d| d.root) else { panic!("no nodes") };
        assert_all_read(&table, &nodes[0], "person");
    }

    #[test]
    fn rows_without_status_are_dated_by_the_fields_the_table_marks() {
        let body = json!({"data": {"X": {"nodes": [{
            "navne": [
                {"fornavne": "Gammel", "virkningfra": "2001-01-01", "virkningtil": "2005-01-01"},
                {"fornavne": "Ældre", "virkningfra": "1990-01-01"},
                {"fornavne": "Ny", "virkningfra": "2005-01-01"}
            ],
            "udrejseIndrejser": [{"udrejsedato": "2010-01-01", "indrejsedato": "2012-01-01"}],
            "forsvindinger": [{"forsvindingsdato": "2015-01-01"}],
            "beskyttelser": [{"beskyttelsestype": "markedsfoeringsbeskyttelse", "virkningfra": "2001-01-01", "virkningtil": "2002-01-01"}]
        }]}}});
        let p = parse_lookup_response(LookupBody::Json(&body), SectorType::Public, None).unwrap().persons.remove(0);
        // Of two rows without an end the newer is current; the older and the ended one are history, newest first.
        assert_eq!(p.name.unwrap().given.as_deref(), Some("Ny"));
        let history: Vec<_> = p.name_history.iter().map(|n| n.given.as_deref().unwrap_or_default()).collect();
        assert_eq!(history, ["Gammel", "Ældre"]);
        assert!(p.emigration.is_none(), "returned: the row has an end");
        assert_eq!(p.disappearance.unwrap().date.as_deref(), Some("2015-01-01"));
        assert!(!p.protections[0].active, "ended");
    }

    #[test]
    fn serde_messages_never_quote_values() {
        let body = r#"{"data": {"X": {"nodes": [{"navne": "Lone Skjult 0204882126"}]}}}"#;
        let e = parse_lookup_response(LookupBody::Text(body), SectorType::Private, None).unwrap_err();
        assert_eq!(e.code(), "unexpected_response_shape");
        assert!(!e.to_string().contains("Lone") && !e.to_string().contains("0204882126"), "{e}");
    }
}
