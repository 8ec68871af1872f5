//! Reading the answer to a lookup query into [`Person`] records.
//!
//! The body is read straight into typed structs named like the schema (this is the hot path
//! of every lookup), leniently where the schema may vary between versions: a text field that
//! arrives as a number is read as text, a list that arrives as a single object is a list of
//! one, unknown fields are ignored. What cannot be an answer at all (not JSON, too large, the
//! wrong shape) is an error; what the service reports (GraphQL errors, no person, several
//! persons for one number) is a diagnosed outcome in `errors`.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cpr::CprNumber;
use crate::diagnosis::{diagnose, Diagnosis, Failure, Stage};
use crate::environment::SectorType;
use crate::error::CprError;
use crate::json_input::{depth_exceeds, describe_type, MAX_DEPTH, MAX_JSON_BYTES};
use crate::person::{
    register_date, Address, ContactAddress, Country, Death, Disappearance, Emigration, Guardianship, KnownStatus, Person,
    PersonName, PersonStatus, Protection, Relation, RelationKind, NAME_AND_ADDRESS_PROTECTION,
};

/// More persons than this in one answer is not an answer to a lookup.
pub const MAX_RESPONSE_PERSONS: usize = 1000;
/// GraphQL errors kept from one answer.
const MAX_ERRORS: usize = 50;

// ---------------------------------------------------------------------------------------------
// Public shapes
// ---------------------------------------------------------------------------------------------

/// Options of `parseLookupResponse`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
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
    pub code: String,
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
// Lenient building blocks
// ---------------------------------------------------------------------------------------------

/// A scalar read as text: strings as they are (borrowed from the body where possible: this is
/// the hot path), numbers and booleans written out, null as absent.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Text<'a>(Option<Cow<'a, str>>);

impl Text<'_> {
    fn get(&self) -> Option<String> {
        self.as_str().map(str::to_string)
    }
    fn as_str(&self) -> Option<&str> {
        self.0.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
    fn date(&self) -> Option<String> {
        self.as_str().and_then(register_date)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("text")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Owned(v))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Text<'a>, E> {
                Ok(Text(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Text<'a>, E> {
                Ok(Text(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Text<'a>, D::Error> {
                d.deserialize_any(V(PhantomData))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A list field: not selected, null (withheld or failed), or rows. A single object counts as
/// a list of one and null rows are skipped, so a schema that changes a list to an object
/// (or back) still reads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
enum Rows<T> {
    #[default]
    Absent,
    Null,
    List(Vec<T>),
}

impl<T> Rows<T> {
    fn rows(&self) -> &[T] {
        match self {
            Rows::List(r) => r,
            _ => &[],
        }
    }
    fn into_rows(self) -> Vec<T> {
        match self {
            Rows::List(r) => r,
            _ => Vec::new(),
        }
    }
    fn is_null(&self) -> bool {
        matches!(self, Rows::Null)
    }
    fn is_absent(&self) -> bool {
        matches!(self, Rows::Absent)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Rows<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Rows<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of objects")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Rows<T>, E> {
                Ok(Rows::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Rows<T>, E> {
                Ok(Rows::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Rows<T>, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Rows<T>, A::Error> {
                let mut rows = Vec::with_capacity(seq.size_hint().unwrap_or(1).min(16));
                while let Some(row) = seq.next_element::<Option<T>>()? {
                    rows.extend(row);
                }
                Ok(Rows::List(rows))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Rows<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|row| Rows::List(vec![row]))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A nested object that may be null or, leniently, the first element of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
struct One<T>(Option<T>);

impl<T> Default for One<T> {
    fn default() -> Self {
        One(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for One<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Rows::<T>::deserialize(d).map(|rows| One(rows.into_rows().into_iter().next()))
    }
}

// ---------------------------------------------------------------------------------------------
// The answer, named like the schema
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default, bound(deserialize = "'de: 'a"))]
struct Envelope<'a> {
    data: Option<Data<'a>>,
    errors: Option<Vec<Value>>,
}

/// `data`: the root field's answer, whatever the field is called (`None`: no field at all;
/// `Some(None)`: the field is null).
#[derive(Default)]
struct Data<'a> {
    root: Option<Option<Vec<RawPerson<'a>>>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Data<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Data<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Data<'a>, A::Error> {
                let mut data = Data::default();
                while map.next_key::<IgnoredAny>()?.is_some() {
                    if data.root.is_some() {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    }
                    data.root = Some(map.next_value::<RootValue>()?.0);
                }
                Ok(data)
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

/// The root field's value: a connection `{ nodes: [...] }`, a plain list, or null.
struct RootValue<'a>(Option<Vec<RawPerson<'a>>>);

impl<'de: 'a, 'a> Deserialize<'de> for RootValue<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = RootValue<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object with nodes, or a list of persons")
            }
            fn visit_unit<E: de::Error>(self) -> Result<RootValue<'a>, E> {
                Ok(RootValue(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<RootValue<'a>, E> {
                Ok(RootValue(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RootValue<'a>, D::Error> {
                d.deserialize_any(V(PhantomData))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<RootValue<'a>, A::Error> {
                let rows = Rows::<RawPerson<'a>>::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(RootValue(Some(rows.into_rows())))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RootValue<'a>, A::Error> {
                let mut nodes = None;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if key == "nodes" {
                        nodes = Some(map.next_value::<Rows<RawPerson<'a>>>()?.into_rows());
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                match nodes {
                    Some(nodes) => Ok(RootValue(Some(nodes))),
                    None => Err(de::Error::missing_field("nodes")),
                }
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

#[derive(Deserialize, Default)]
#[serde(default, bound(deserialize = "'de: 'a"))]
struct RawPerson<'a> {
    status: Text<'a>,
    statusdato: Text<'a>,
    foedselsdato: Text<'a>,
    personnumre: Rows<RawPersonnummer<'a>>,
    beskyttelser: Rows<RawBeskyttelse<'a>>,
    navne: Rows<RawNavn<'a>>,
    adresseoplysninger: Rows<RawAdresseoplysning<'a>>,
    #[serde(rename = "udrejseIndrejser")]
    udrejse_indrejser: Rows<RawUdrejse<'a>>,
    forsvindinger: Rows<RawForsvinding<'a>>,
    kontaktadresse: Rows<RawKontaktadresse<'a>>,
    vaergemaal: Rows<RawVaergemaal<'a>>,
    boern: Rows<RawBarnrelation<'a>>,
    foraeldreoplysninger: Rows<RawForaelder<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default, bound(deserialize = "'de: 'a"))]
struct RawPersonnummer<'a> {
    personnummer: Text<'a>,
    status: Text<'a>,
    virkningtil: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default, bound(deserialize = "'de: 'a"))]
struct RawBeskyttelse<'a> {
    beskyttelsestype: Text<'a>,
    status: Text<'a>,
    virkningfra: Text<'a>,
    virkningtil: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default, bound(deserialize = "'de: 'a"))]
struct RawNavn<'a> {
    adresseringsnavn: Text<'a>,
    fornavne: Text<'a>,
    mellemnavn: Text<'a>,
    efternavn: Text<'a>,
    status: Text<'a>,
    virkningfra: Text<'a>,
    virkningtil: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default, bound(deserialize = "'de: 'a"))]
struct RawAdresseoplysning<'a> {
    conavn: Text<'a>,
    status: Text<'a>,
    virkningfra: Text<'a>,
    virkningtil: Text<'a>,
    #[serde(rename = "cprAdresse")]
    cpr_adresse: One<RawCprAdresse<'a>>,
    #[serde(rename = "supplerendeAdresse")]
    supplerende_adresse: One<RawLines<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default, bound(deserialize = "'de: 'a"))]
struct RawCprAdresse<'a> {
    vejadresseringsnavn: Text<'a>,
    vejnavn: Text<'a>,
    husnummer: Text<'a>,
    etage: Text<'a>,
    sidedoer: Text<'a>,
    bynavn: Text<'a>,
    postnummer: Text<'a>,
    postdistrikt: Text<'a>,
    cprkommunekode: Text<'a>,
    cprkommunenavn: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default, bound(deserialize = "'de: 'a"))]
struct RawLines<'a> {
    adresselinie1: Text<'a>,
    adresselinie2: Text<'a>,
    adresselinie3: Text<'a>,
    adresselinie4: Text<'a>,
    adresselinie5: Text<'a>,
}

impl RawLines<'_> {
    fn lines(&self) -> Vec<String> {
        [&self.adresselinie1, &self.adresselinie2, &self.adresselinie3, &self.adresselinie4, &self.adresselinie5]
            .into_iter()
            .filter_map(Text::get)
            .collect()
    }
}

#[derive(Deserialize, Default)]
#[serde(default, bound(deserialize = "'de: 'a"))]
struct RawLand<'a> {
    kode: Text<'a>,
    navn: Text<'a>,
    landekode: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default, bound(deserialize = "'de: 'a"))]
struct RawUdrejse<'a> {
    status: Text<'a>,
    udrejsedato: Text<'a>,
    indrejsedato: Text<'a>,
    #[serde(rename = "cprlandUdrejse")]
    cprland_udrejse: One<RawLand<'a>>,
    udlandsadresse: One<RawLines<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default, bound(deserialize = "'de: 'a"))]
struct RawForsvinding<'a> {
    status: Text<'a>,
    forsvindingsdato: Text<'a>,
    genfindingsdato: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default, bound(deserialize = "'de: 'a"))]
struct RawKontaktadresse<'a> {
    status: Text<'a>,
    virkningfra: Text<'a>,
    virkningtil: Text<'a>,
    #[serde(flatten)]
    lines: RawLines<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default, bound(deserialize = "'de: 'a"))]
struct RawVaergemaal<'a> {
    status: Text<'a>,
    virkningfra: Text<'a>,
    virkningtil: Text<'a>,
    vaergenavn: Text<'a>,
    vaergeadresselinie1: Text<'a>,
    vaergeadresselinie2: Text<'a>,
    vaergeadresselinie3: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default, bound(deserialize = "'de: 'a"))]
struct RawSimpelPerson<'a> {
    personnummer: Text<'a>,
    beskyttelser: Rows<RawBeskyttelse<'a>>,
    navn: One<RawNavn<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default, bound(deserialize = "'de: 'a"))]
struct RawBarnrelation<'a> {
    virkningfra: Text<'a>,
    barn: One<RawSimpelPerson<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default, bound(deserialize = "'de: 'a"))]
struct RawForaelder<'a> {
    virkningfra: Text<'a>,
    foraelderrolle: Text<'a>,
    foraelder: One<RawSimpelPerson<'a>>,
}

// ---------------------------------------------------------------------------------------------
// Current rows and history
// ---------------------------------------------------------------------------------------------

/// A row of a history list: `status` is `aktuel` for the current row, `historisk` for history.
trait Row {
    fn status(&self) -> Option<&str>;
    fn from(&self) -> Option<String>;
    fn ended(&self) -> bool;

    fn is_current(&self) -> bool {
        match self.status() {
            Some(s) if s.eq_ignore_ascii_case("aktuel") => true,
            Some(s) if s.eq_ignore_ascii_case("historisk") => false,
            _ => !self.ended(),
        }
    }
}

macro_rules! row {
    ($t:ty, $from:ident, $to:ident) => {
        impl Row for $t {
            fn status(&self) -> Option<&str> {
                self.status.as_str()
            }
            fn from(&self) -> Option<String> {
                self.$from.date()
            }
            fn ended(&self) -> bool {
                self.$to.as_str().is_some()
            }
        }
    };
}

row!(RawNavn<'_>, virkningfra, virkningtil);
row!(RawAdresseoplysning<'_>, virkningfra, virkningtil);
row!(RawBeskyttelse<'_>, virkningfra, virkningtil);
impl Row for RawPersonnummer<'_> {
    fn status(&self) -> Option<&str> {
        self.status.as_str()
    }
    fn from(&self) -> Option<String> {
        None
    }
    fn ended(&self) -> bool {
        self.virkningtil.as_str().is_some()
    }
}
row!(RawUdrejse<'_>, udrejsedato, indrejsedato);
row!(RawForsvinding<'_>, forsvindingsdato, genfindingsdato);
row!(RawKontaktadresse<'_>, virkningfra, virkningtil);
row!(RawVaergemaal<'_>, virkningfra, virkningtil);

/// The current row (the newest if several claim to be) and the others, newest first.
fn split_current<T: Row>(rows: Vec<T>) -> (Option<T>, Vec<T>) {
    let mut current: Option<T> = None;
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
        history.sort_by_key(|r| std::cmp::Reverse(r.from()));
    }
    (current, history)
}

fn current_row<T: Row>(rows: Vec<T>) -> Option<T> {
    split_current(rows).0
}

// ---------------------------------------------------------------------------------------------
// Raw → Person
// ---------------------------------------------------------------------------------------------

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

fn name_of(n: &RawNavn<'_>) -> Option<PersonName> {
    let name = PersonName {
        given: n.fornavne.get(),
        middle: n.mellemnavn.get(),
        family: n.efternavn.get(),
        addressing: n.adresseringsnavn.get(),
        from: n.virkningfra.date(),
        to: n.virkningtil.date(),
    };
    (!name.is_empty()).then_some(name)
}

fn address_of(a: &RawAdresseoplysning<'_>) -> Option<Address> {
    let empty = RawCprAdresse::default();
    let c = a.cpr_adresse.0.as_ref().unwrap_or(&empty);
    let address = Address {
        street: c.vejadresseringsnavn.get().or_else(|| c.vejnavn.get()),
        house_number: c.husnummer.as_str().and_then(crate::address::house_number),
        floor: c.etage.get(),
        door: c.sidedoer.get(),
        post_code: c.postnummer.get(),
        post_district: c.postdistrikt.get(),
        locality: c.bynavn.get(),
        municipality_code: c.cprkommunekode.get(),
        municipality_name: c.cprkommunenavn.get(),
        co_name: a.conavn.get(),
        lines: Vec::new(),
        from: a.virkningfra.date(),
        to: a.virkningtil.date(),
    }
    .with_lines(a.supplerende_adresse.0.as_ref().map(RawLines::lines).unwrap_or_default());
    (!address.is_empty()).then_some(address)
}

fn protections_of(rows: &[RawBeskyttelse<'_>]) -> Vec<Protection> {
    rows.iter()
        .filter_map(|b| {
            Some(Protection { kind: b.beskyttelsestype.get()?, from: b.virkningfra.date(), to: b.virkningtil.date(), active: b.is_current() })
        })
        .collect()
}

fn nested(kind: RelationKind, role: Option<String>, from: Option<String>, p: &RawSimpelPerson<'_>) -> Relation {
    Relation {
        kind,
        role,
        cpr: p.personnummer.as_str().map(digits),
        name: p.navn.0.as_ref().and_then(name_of).map(|n| PersonName { from: None, to: None, ..n }),
        protections: protections_of(p.beskyttelser.rows()),
        from,
    }
}

/// The numbers a node answers to: its current number and any earlier ones.
fn numbers_of(raw: &RawPerson<'_>) -> Vec<String> {
    raw.personnumre.rows().iter().filter_map(|p| p.personnummer.as_str().map(digits)).collect()
}

fn person_of(raw: RawPerson<'_>, sector: SectorType, fallback_cpr: Option<&str>) -> Person {
    let protections = protections_of(raw.beskyttelser.rows());
    // Name and address protection withholds data from private companies only.
    let protected =
        sector == SectorType::Private && protections.iter().any(|p| p.active && p.kind == NAME_AND_ADDRESS_PROTECTION);
    let status = raw.status.as_str().map(PersonStatus::from_register);
    let status_date = raw.statusdato.date();
    let cpr = {
        let numbers = raw.personnumre.rows();
        let current = numbers.iter().find(|n| n.is_current()).or(numbers.first());
        current.and_then(|n| n.personnummer.as_str()).map(digits).or_else(|| fallback_cpr.map(str::to_string))
    };
    // A value is withheld when its list came back null, or empty under an active protection.
    let navne_null = raw.navne.is_null();
    let navne_absent = raw.navne.is_absent();
    let (name_row, name_rows) = split_current(raw.navne.into_rows());
    let name = name_row.as_ref().and_then(name_of);
    let name_withheld = name.is_none() && (navne_null || (protected && !navne_absent));
    let name_history = name_rows.iter().filter_map(name_of).collect();

    let address_null = raw.adresseoplysninger.is_null();
    let address_absent = raw.adresseoplysninger.is_absent();
    let (address_row, address_rows) = split_current(raw.adresseoplysninger.into_rows());
    let address = address_row.as_ref().and_then(address_of);
    let address_withheld = address.is_none() && (address_null || (protected && !address_absent));
    let address_history = address_rows.iter().filter_map(address_of).collect();

    let emigration = current_row(raw.udrejse_indrejser.into_rows()).map(|u| Emigration {
        date: u.udrejsedato.date(),
        country: u.cprland_udrejse.0.as_ref().map(|l| Country { code: l.kode.get(), name: l.navn.get(), iso_code: l.landekode.get() }),
        foreign_address_lines: u.udlandsadresse.0.as_ref().map(RawLines::lines).unwrap_or_default(),
        return_date: u.indrejsedato.date(),
    });
    let disappearance = current_row(raw.forsvindinger.into_rows())
        .map(|f| Disappearance { date: f.forsvindingsdato.date(), found_date: f.genfindingsdato.date() });
    let death = (status.as_ref().and_then(PersonStatus::known) == Some(KnownStatus::Doed)).then(|| Death { date: status_date.clone() });
    let contact_address = current_row(raw.kontaktadresse.into_rows())
        .map(|k| ContactAddress { lines: k.lines.lines(), from: k.virkningfra.date() })
        .filter(|k| !k.lines.is_empty());
    let guardianship = current_row(raw.vaergemaal.into_rows()).map(|v| Guardianship {
        from: v.virkningfra.date(),
        guardian_name: v.vaergenavn.get(),
        guardian_address_lines: [&v.vaergeadresselinie1, &v.vaergeadresselinie2, &v.vaergeadresselinie3]
            .into_iter()
            .filter_map(Text::get)
            .collect(),
    });
    let mut relations: Vec<Relation> = raw
        .boern
        .rows()
        .iter()
        .filter_map(|b| Some(nested(RelationKind::Child, None, b.virkningfra.date(), b.barn.0.as_ref()?)))
        .collect();
    relations.extend(raw.foraeldreoplysninger.rows().iter().filter_map(|f| {
        Some(nested(RelationKind::Parent, f.foraelderrolle.get(), f.virkningfra.date(), f.foraelder.0.as_ref()?))
    }));

    Person {
        cpr,
        status,
        status_date,
        birth_date: raw.foedselsdato.date(),
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
        "unexpected_response_shape",
        format!("The answer is not shaped like a CPR lookup answer ({detail}). Fetch CPR Schema and check the drift report."),
    )
}

/// serde's messages quote the offending value, which may be a name or a number: keep only
/// the kind of mistake and where it is.
fn safe_serde_message(e: &serde_json::Error) -> String {
    safe_message(&e.to_string())
}

/// A parser's message with every quoted value replaced by `"…"`.
pub(crate) fn safe_message(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_quote = false;
    for c in text.chars() {
        match (c, in_quote) {
            ('"' | '`', false) => {
                in_quote = true;
                out.push_str("\"…");
            }
            ('"' | '`', true) => {
                in_quote = false;
                out.push('"');
            }
            (_, true) => {}
            (c, false) => out.push(c),
        }
    }
    out
}

fn read_envelope<'a>(body: LookupBody<'a>) -> Result<Envelope<'a>, CprError> {
    match body {
        LookupBody::Text(text) => {
            if text.len() > MAX_JSON_BYTES {
                return Err(CprError::invalid_input(
                    "response_too_large",
                    format!("The answer is {} bytes; the limit is {MAX_JSON_BYTES}. Look up fewer persons per request.", text.len()),
                ));
            }
            // Syntax first, so "not JSON" and "JSON of the wrong shape" are told apart.
            serde_json::from_str::<Envelope<'a>>(text).map_err(|e| match e.classify() {
                serde_json::error::Category::Data => shape_error(&safe_serde_message(&e)),
                _ if e.to_string().contains("recursion limit") => {
                    CprError::invalid_input("response_too_deep", format!("The answer is nested deeper than the library reads ({}).", safe_serde_message(&e)))
                }
                _ => CprError::invalid_input(
                    "malformed_response",
                    format!("The answer is not valid JSON ({}). Check proxies and endpoint overrides.", safe_serde_message(&e)),
                ),
            })
        }
        LookupBody::Json(value) => {
            if !value.is_object() {
                return Err(shape_error(&format!("it is {}, not an object", describe_type(value))));
            }
            if depth_exceeds(value, MAX_DEPTH) {
                return Err(CprError::invalid_input("response_too_deep", format!("The answer is nested deeper than {MAX_DEPTH} levels.")));
            }
            Envelope::deserialize(value).map_err(|e| shape_error(&safe_serde_message(&e)))
        }
    }
}

fn graphql_error(error: &Value, partial: bool) -> LookupError {
    let body = serde_json::json!({ "errors": [error] }).to_string();
    let diagnosis = diagnose(&Failure { stage: Some(Stage::Graphql), status: Some(200), body: Some(body), ..Failure::default() });
    let code = if partial && diagnosis.code == "graphql_errors" { "partial_data".to_string() } else { diagnosis.code.clone() };
    let path = error.get("path").and_then(Value::as_array).map(|segments| {
        segments
            .iter()
            .take(16)
            .map(|s| match s {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(".")
    });
    let message = diagnosis.detail.clone().unwrap_or_else(|| diagnosis.title.clone());
    let diagnosis = if code == diagnosis.code { diagnosis } else { Diagnosis { detail: diagnosis.detail, ..Diagnosis::from_code(&code) } };
    LookupError { code, message, index: None, cpr: None, path, partial, diagnosis }
}

fn outcome(code: &str, message: String, index: Option<usize>, cpr: Option<String>) -> LookupError {
    LookupError { code: code.to_string(), message, index, cpr, path: None, partial: false, diagnosis: Diagnosis::from_code(code) }
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
    let envelope = read_envelope(body)?;
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
            "response_too_large",
            format!("The answer holds {} persons; a lookup answer holds at most {MAX_RESPONSE_PERSONS}.", raw_persons.len()),
        ));
    }
    match requested {
        Some(asked) if !asked.is_empty() => match_requested(&mut result, raw_persons, asked, sector),
        _ => {
            if raw_persons.is_empty() && result.errors.is_empty() {
                not_found_all(&mut result, None);
            }
            result.persons = raw_persons.into_iter().map(|p| person_of(p, sector, None)).collect();
        }
    }
    Ok(result)
}

fn not_found_all(result: &mut LookupResult, requested: Option<&[CprNumber]>) {
    match requested {
        Some(asked) if !asked.is_empty() => {
            for (i, n) in asked.iter().enumerate() {
                result.errors.push(outcome(
                    "person_not_found",
                    format!("CPR has no person with the number {} (or none this IT-system may see).", n.masked()),
                    Some(i),
                    Some(n.masked()),
                ));
            }
        }
        _ => result.errors.push(outcome("person_not_found", "CPR returned no person.".to_string(), None, None)),
    }
}

fn match_requested(result: &mut LookupResult, raw_persons: Vec<RawPerson<'_>>, asked: &[CprNumber], sector: SectorType) {
    let keys: Vec<Vec<String>> = raw_persons.iter().map(numbers_of).collect();
    // Without numbers in the answer, a single number asked for is the only possible match.
    let unkeyed = keys.iter().all(Vec::is_empty) && asked.len() == 1;
    let mut slots: Vec<Option<RawPerson<'_>>> = raw_persons.into_iter().map(Some).collect();
    let mut used = vec![false; slots.len()];
    let mut matched: Vec<Person> = Vec::with_capacity(asked.len());
    for (i, number) in asked.iter().enumerate() {
        let wanted = number.normalized();
        let hits: Vec<usize> =
            (0..slots.len()).filter(|&j| unkeyed || keys.get(j).is_some_and(|k| k.contains(&wanted))).collect();
        match hits.as_slice() {
            [] => result.errors.push(outcome(
                "person_not_found",
                format!("CPR has no person with the number {} (or none this IT-system may see).", number.masked()),
                Some(i),
                Some(number.masked()),
            )),
            [one] => {
                if let Some(raw) = slots.get_mut(*one).and_then(Option::take) {
                    matched.push(person_of(raw, sector, Some(&wanted)));
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
                    "ambiguous_result",
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
            matched.push(person_of(raw, sector, None));
        }
    }
    result.persons = matched;
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
    let sector = crate::query::read_sector(options, "parseLookupResponse")?;
    let requested = match options.get("cprNumbers") {
        None | Some(Value::Null) => None,
        some => Some(crate::query::read_numbers(some, crate::query::MAX_BATCH_LIMIT)?),
    };
    Ok((sector, requested))
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
    fn serde_messages_never_quote_values() {
        let body = r#"{"data": {"X": {"nodes": [{"navne": "Lone Skjult 0204882126"}]}}}"#;
        let e = parse_lookup_response(LookupBody::Text(body), SectorType::Private, None).unwrap_err();
        assert_eq!(e.code(), "unexpected_response_shape");
        assert!(!e.to_string().contains("Lone") && !e.to_string().contains("0204882126"), "{e}");
    }
}
