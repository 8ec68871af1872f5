//! The person record: what CPR says about one person, in English field names.
//!
//! Absent is absent: a value the register did not give is `None` (absent in JSON), never an
//! empty string, and where CPR withholds a value from the private sector (name and address
//! protection) a flag says so. Merging relies on this: an absent value never overwrites data.

use serde::de::DeserializeSeed;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::shape::{texts, Kind, Node, RowVisitor, Shape, Slot};

pub use crate::register_date::register_date;

/// CPR person statuses the library knows. Values outside this list are kept as text
/// ([`PersonStatus::Other`]), never rejected: CPR may add statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub enum KnownStatus {
    /// Resident in Denmark (CPR status 01, and 03 with a special road code).
    #[serde(rename = "bopael_i_danmark")]
    BopaelIDanmark,
    /// Resident in Greenland (05, 07).
    #[serde(rename = "bopael_i_groenland")]
    BopaelIGroenland,
    /// Emigrated (80).
    #[serde(rename = "udrejst")]
    Udrejst,
    /// Disappeared (70).
    #[serde(rename = "forsvundet")]
    Forsvundet,
    /// Deceased (90).
    #[serde(rename = "doed")]
    Doed,
    /// The number was cancelled (30).
    #[serde(rename = "annulleret")]
    Annulleret,
    /// The number was deleted, e.g. a duplicate (50).
    #[serde(rename = "slettet")]
    Slettet,
    /// The person was given a new number (60).
    #[serde(rename = "aendret_personnummer")]
    AendretPersonnummer,
}

impl KnownStatus {
    pub const ALL: [KnownStatus; 8] = [
        KnownStatus::BopaelIDanmark,
        KnownStatus::BopaelIGroenland,
        KnownStatus::Udrejst,
        KnownStatus::Forsvundet,
        KnownStatus::Doed,
        KnownStatus::Annulleret,
        KnownStatus::Slettet,
        KnownStatus::AendretPersonnummer,
    ];

    pub fn key(self) -> &'static str {
        match self {
            KnownStatus::BopaelIDanmark => "bopael_i_danmark",
            KnownStatus::BopaelIGroenland => "bopael_i_groenland",
            KnownStatus::Udrejst => "udrejst",
            KnownStatus::Forsvundet => "forsvundet",
            KnownStatus::Doed => "doed",
            KnownStatus::Annulleret => "annulleret",
            KnownStatus::Slettet => "slettet",
            KnownStatus::AendretPersonnummer => "aendret_personnummer",
        }
    }
}

/// A person status: a known one, or the register's text as it came.
// Its declaration is written by the JS boundary: a derived `KnownStatus | string` would collapse
// to `string` and lose the known values.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PersonStatus {
    Known(KnownStatus),
    Other(String),
}

impl PersonStatus {
    /// Read the register's text: the status names, or CPR's two-digit status codes.
    ///
    /// ```
    /// use datafordeler_cpr::person::{KnownStatus, PersonStatus};
    /// assert_eq!(PersonStatus::from_register("doed"), PersonStatus::Known(KnownStatus::Doed));
    /// assert_eq!(PersonStatus::from_register("90"), PersonStatus::Known(KnownStatus::Doed));
    /// assert_eq!(PersonStatus::from_register("ny_status"), PersonStatus::Other("ny_status".into()));
    /// ```
    pub fn from_register(text: &str) -> PersonStatus {
        let t = text.trim();
        let known = match t {
            "01" | "03" => Some(KnownStatus::BopaelIDanmark),
            "05" | "07" => Some(KnownStatus::BopaelIGroenland),
            "30" => Some(KnownStatus::Annulleret),
            "50" => Some(KnownStatus::Slettet),
            "60" => Some(KnownStatus::AendretPersonnummer),
            "70" => Some(KnownStatus::Forsvundet),
            "80" => Some(KnownStatus::Udrejst),
            "90" => Some(KnownStatus::Doed),
            _ => KnownStatus::ALL.into_iter().find(|k| k.key().eq_ignore_ascii_case(t)),
        };
        match known {
            Some(k) => PersonStatus::Known(k),
            None => PersonStatus::Other(t.to_string()),
        }
    }

    pub fn known(&self) -> Option<KnownStatus> {
        match self {
            PersonStatus::Known(k) => Some(*k),
            PersonStatus::Other(_) => None,
        }
    }

    pub fn text(&self) -> &str {
        match self {
            PersonStatus::Known(k) => k.key(),
            PersonStatus::Other(s) => s,
        }
    }
}

/// A name. The current one carries `from`; earlier ones (public sector) also `to`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default)]
pub struct PersonName {
    /// Given names (fornavne).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub given: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub middle: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub family: Option<String>,
    /// The name CPR uses on letters (adresseringsnavn), possibly shortened.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub addressing: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub to: Option<String>,
}

impl PersonName {
    /// The full name: given, middle and family names; else the addressing name.
    pub fn full(&self) -> Option<String> {
        let parts: Vec<&str> = [&self.given, &self.middle, &self.family].into_iter().flatten().map(String::as_str).collect();
        if !parts.is_empty() {
            return Some(parts.join(" "));
        }
        let addressing = self.addressing.as_deref()?;
        // Some registers write "Family,Given"; people read "Given Family".
        Some(match addressing.split_once(',') {
            Some((family, given)) if !given.trim().is_empty() => format!("{} {}", given.trim(), family.trim()),
            _ => addressing.to_string(),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.given.is_none() && self.middle.is_none() && self.family.is_none() && self.addressing.is_none()
    }
}

/// An address in Denmark or Greenland.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default)]
pub struct Address {
    /// The street's addressing name (vejadresseringsnavn), else its full name.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub street: Option<String>,
    /// Without leading zeros: `12`, `7B`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub house_number: Option<String>,
    /// As CPR codes it: `st`, `kl`, `2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub floor: Option<String>,
    /// As CPR codes it: `tv`, `th`, `mf`, or a number.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub door: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub post_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub post_district: Option<String>,
    /// Locality (bynavn), written on its own line.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub locality: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub municipality_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub municipality_name: Option<String>,
    /// The c/o name, as CPR holds it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub co_name: Option<String>,
    /// The address as written on a letter: c/o line, street line, locality, post code and district.
    pub lines: Vec<String>,
    /// Move-in date.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub from: Option<String>,
    /// Move-out date (earlier addresses).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub to: Option<String>,
}

impl Address {
    /// `Vestergade 12, 2. tv`.
    pub fn street_line(&self) -> Option<String> {
        crate::address::street_line(self.street.as_deref(), self.house_number.as_deref(), self.floor.as_deref(), self.door.as_deref())
    }

    /// The line after the street: the c/o name, else the locality.
    pub fn second_line(&self) -> Option<String> {
        crate::address::co_line(self.co_name.as_deref()).or_else(|| self.locality.clone())
    }

    /// Fill `lines` from the parts (`extra` lines are used when there is no street, e.g. a
    /// supplementary address).
    pub(crate) fn with_lines(mut self, extra: Vec<String>) -> Address {
        let mut lines = Vec::new();
        lines.extend(crate::address::co_line(self.co_name.as_deref()));
        match self.street_line() {
            Some(street) => {
                lines.push(street);
                lines.extend(self.locality.clone());
                lines.extend(crate::address::postal_line(self.post_code.as_deref(), self.post_district.as_deref()));
            }
            None if !extra.is_empty() => lines.extend(extra),
            None => {
                lines.extend(self.locality.clone());
                lines.extend(crate::address::postal_line(self.post_code.as_deref(), self.post_district.as_deref()));
            }
        }
        self.lines = lines;
        self
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.street.is_none() && self.post_code.is_none()
    }
}

/// A protection registered in CPR (name and address protection, marketing protection, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default)]
pub struct Protection {
    /// CPR's protection type, e.g. `navne_og_adressebeskyttelse`, `markedsfoeringsbeskyttelse`.
    /// Kept as text: the register may add types.
    #[serde(rename = "type")]
    #[cfg_attr(target_arch = "wasm32", tsify(type = "ProtectionKind"))]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub to: Option<String>,
    /// In force now (CPR's current row), as opposed to an expired one.
    pub active: bool,
}

/// The protection type that withholds name and address from private companies.
// Also named in the published `ProtectionKind` declaration (src/wasm/exports.rs).
pub const NAME_AND_ADDRESS_PROTECTION: &str = "navne_og_adressebeskyttelse";
/// The protection type that forbids using the person for marketing.
pub const MARKETING_PROTECTION: &str = "markedsfoeringsbeskyttelse";

/// A country as CPR codes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default)]
pub struct Country {
    /// CPR's four-digit country code.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub name: Option<String>,
    /// ISO 3166 alpha-2, e.g. `SE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub iso_code: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default)]
pub struct Emigration {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub country: Option<Country>,
    pub foreign_address_lines: Vec<String>,
    /// Date of return to Denmark, when the person has come back (public sector).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub return_date: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default)]
pub struct Disappearance {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub date: Option<String>,
    /// When the person was found again (public sector).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub found_date: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default)]
pub struct Death {
    /// The date of death (the status date of status `doed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub date: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default)]
pub struct ContactAddress {
    pub lines: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub from: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default)]
pub struct Guardianship {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub guardian_name: Option<String>,
    pub guardian_address_lines: Vec<String>,
}

/// How a related person is related.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "lowercase")]
pub enum RelationKind {
    Child,
    Parent,
}

/// A child or parent (public sector, field group `relations`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Relation {
    pub kind: RelationKind,
    /// CPR's parent role (e.g. `mor`, `far`), for parents.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub cpr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub name: Option<PersonName>,
    #[serde(default)]
    pub protections: Vec<Protection>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub from: Option<String>,
}

/// One person as CPR describes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default)]
pub struct Person {
    /// The current CPR number, 10 digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub cpr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub status: Option<PersonStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub status_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub birth_date: Option<String>,
    /// The current name; absent when CPR gave none (see `nameWithheld`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub name: Option<PersonName>,
    /// CPR withheld the name (name and address protection, private sector).
    pub name_withheld: bool,
    /// The current address; absent when CPR gave none (see `addressWithheld`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub address: Option<Address>,
    /// CPR withheld the address (name and address protection, private sector).
    pub address_withheld: bool,
    pub protections: Vec<Protection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub emigration: Option<Emigration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub disappearance: Option<Disappearance>,
    /// Present when the status is `doed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub death: Option<Death>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub contact_address: Option<ContactAddress>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub guardianship: Option<Guardianship>,
    /// Earlier names, newest first (public sector).
    pub name_history: Vec<PersonName>,
    /// Earlier addresses, newest first (public sector).
    pub address_history: Vec<Address>,
    /// Children and parents (public sector, field group `relations`).
    pub relations: Vec<Relation>,
}

impl Person {
    /// The active protection of a type, if any.
    pub fn active_protection(&self, kind: &str) -> Option<&Protection> {
        self.protections.iter().find(|p| p.active && p.kind == kind)
    }

    pub fn known_status(&self) -> Option<KnownStatus> {
        self.status.as_ref().and_then(PersonStatus::known)
    }
}

// ---------------------------------------------------------------------------------------------
// Reading a person back from JSON
// ---------------------------------------------------------------------------------------------

// The JSON form of the records above (what a lookup's result serializes to), as shape tables: the
// person is read straight from its text in one pass, with no intermediate `Value` tree (that
// tree, built and dropped again, was most of a merge's time). The rules are the serde
// form's: a missing field takes its default, `null` is an absent optional value, unknown
// fields are ignored, a value of the wrong type is an error (serde's words, never the value).
// Text is taken trimmed, and blank text as absent, as everywhere else in a person.

static NAME_JSON: Shape =
    Shape { fields: texts!["given", "middle", "family", "addressing", "from", "to"], from: None, to: "" };
static ADDRESS_JSON: Shape = Shape {
    fields: &[
        ("street", Kind::Text),
        ("houseNumber", Kind::Text),
        ("floor", Kind::Text),
        ("door", Kind::Text),
        ("postCode", Kind::Text),
        ("postDistrict", Kind::Text),
        ("locality", Kind::Text),
        ("municipalityCode", Kind::Text),
        ("municipalityName", Kind::Text),
        ("coName", Kind::Text),
        ("lines", Kind::Texts),
        ("from", Kind::Text),
        ("to", Kind::Text),
    ],
    from: None,
    to: "",
};
static PROTECTION_JSON: Shape = Shape {
    fields: &[("type", Kind::Text), ("from", Kind::Text), ("to", Kind::Text), ("active", Kind::Flag)],
    from: None,
    to: "",
};
static COUNTRY_JSON: Shape = Shape { fields: texts!["code", "name", "isoCode"], from: None, to: "" };
static EMIGRATION_JSON: Shape = Shape {
    fields: &[
        ("date", Kind::Text),
        ("country", Kind::Rows(&COUNTRY_JSON)),
        ("foreignAddressLines", Kind::Texts),
        ("returnDate", Kind::Text),
    ],
    from: None,
    to: "",
};
static DISAPPEARANCE_JSON: Shape = Shape { fields: texts!["date", "foundDate"], from: None, to: "" };
static DEATH_JSON: Shape = Shape { fields: texts!["date"], from: None, to: "" };
static CONTACT_JSON: Shape = Shape { fields: &[("lines", Kind::Texts), ("from", Kind::Text)], from: None, to: "" };
static GUARDIANSHIP_JSON: Shape = Shape {
    fields: &[("from", Kind::Text), ("guardianName", Kind::Text), ("guardianAddressLines", Kind::Texts)],
    from: None,
    to: "",
};
static RELATION_JSON: Shape = Shape {
    fields: &[
        ("kind", Kind::Text),
        ("role", Kind::Text),
        ("cpr", Kind::Text),
        ("name", Kind::Rows(&NAME_JSON)),
        ("protections", Kind::Rows(&PROTECTION_JSON)),
        ("from", Kind::Text),
    ],
    from: None,
    to: "",
};
static PERSON_JSON: Shape = Shape {
    fields: &[
        // A lookup error (`person_not_found`, …) passed where a person may be: see `code`.
        ("code", Kind::Text),
        ("cpr", Kind::Text),
        ("status", Kind::Text),
        ("statusDate", Kind::Text),
        ("birthDate", Kind::Text),
        ("name", Kind::Rows(&NAME_JSON)),
        ("nameWithheld", Kind::Flag),
        ("address", Kind::Rows(&ADDRESS_JSON)),
        ("addressWithheld", Kind::Flag),
        ("protections", Kind::Rows(&PROTECTION_JSON)),
        ("emigration", Kind::Rows(&EMIGRATION_JSON)),
        ("disappearance", Kind::Rows(&DISAPPEARANCE_JSON)),
        ("death", Kind::Rows(&DEATH_JSON)),
        ("contactAddress", Kind::Rows(&CONTACT_JSON)),
        ("guardianship", Kind::Rows(&GUARDIANSHIP_JSON)),
        ("nameHistory", Kind::Rows(&NAME_JSON)),
        ("addressHistory", Kind::Rows(&ADDRESS_JSON)),
        ("relations", Kind::Rows(&RELATION_JSON)),
    ],
    from: None,
    to: "",
};

type Read<T> = Result<T, String>;

fn read_name(n: &Node<'_>) -> PersonName {
    PersonName {
        given: n.get("given"),
        middle: n.get("middle"),
        family: n.get("family"),
        addressing: n.get("addressing"),
        from: n.get("from"),
        to: n.get("to"),
    }
}

fn read_address(n: &Node<'_>) -> Address {
    Address {
        street: n.get("street"),
        house_number: n.get("houseNumber"),
        floor: n.get("floor"),
        door: n.get("door"),
        post_code: n.get("postCode"),
        post_district: n.get("postDistrict"),
        locality: n.get("locality"),
        municipality_code: n.get("municipalityCode"),
        municipality_name: n.get("municipalityName"),
        co_name: n.get("coName"),
        lines: n.texts("lines"),
        from: n.get("from"),
        to: n.get("to"),
    }
}

fn read_protection(n: &Node<'_>) -> Read<Protection> {
    let kind = match n.slot("type") {
        Slot::Null => return Err("protections[].type must be text".to_string()),
        _ => n.get("type").unwrap_or_default(),
    };
    Ok(Protection { kind, from: n.get("from"), to: n.get("to"), active: n.flag("active").unwrap_or(false) })
}

fn read_protections(rows: &[Node<'_>]) -> Read<Vec<Protection>> {
    rows.iter().map(read_protection).collect()
}

fn read_relation(n: &Node<'_>) -> Read<Relation> {
    let kind = match n.str("kind") {
        Some("child") => RelationKind::Child,
        Some("parent") => RelationKind::Parent,
        _ => return Err("relations[].kind must be child or parent".to_string()),
    };
    Ok(Relation {
        kind,
        role: n.get("role"),
        cpr: n.get("cpr"),
        name: n.one("name").map(read_name),
        protections: read_protections(n.rows("protections"))?,
        from: n.get("from"),
    })
}

/// What a merge was given where a person may be.
pub enum PersonText {
    Person(Box<Person>),
    /// `null`.
    Nothing,
    /// An object with a text `code`: one of the lookup's error outcomes.
    Outcome(String),
}

fn read_person(n: &Node<'_>) -> Read<Person> {
    let status = n.str("status").map(|s| match KnownStatus::ALL.into_iter().find(|k| k.key() == s) {
        Some(k) => PersonStatus::Known(k),
        None => PersonStatus::Other(s.to_string()),
    });
    Ok(Person {
        cpr: n.get("cpr"),
        status,
        status_date: n.get("statusDate"),
        birth_date: n.get("birthDate"),
        name: n.one("name").map(read_name),
        name_withheld: n.flag("nameWithheld").unwrap_or(false),
        address: n.one("address").map(read_address),
        address_withheld: n.flag("addressWithheld").unwrap_or(false),
        protections: read_protections(n.rows("protections"))?,
        emigration: n.one("emigration").map(|e| {
            let country = e.one("country").map(|c| Country { code: c.get("code"), name: c.get("name"), iso_code: c.get("isoCode") });
            Emigration { date: e.get("date"), country, foreign_address_lines: e.texts("foreignAddressLines"), return_date: e.get("returnDate") }
        }),
        disappearance: n.one("disappearance").map(|d| Disappearance { date: d.get("date"), found_date: d.get("foundDate") }),
        death: n.one("death").map(|d| Death { date: d.get("date") }),
        contact_address: n.one("contactAddress").map(|c| ContactAddress { lines: c.texts("lines"), from: c.get("from") }),
        guardianship: n.one("guardianship").map(|g| Guardianship {
            from: g.get("from"),
            guardian_name: g.get("guardianName"),
            guardian_address_lines: g.texts("guardianAddressLines"),
        }),
        name_history: n.rows("nameHistory").iter().map(read_name).collect(),
        address_history: n.rows("addressHistory").iter().map(read_address).collect(),
        relations: n.rows("relations").iter().map(read_relation).collect::<Read<_>>()?,
    })
}

/// Read a person (or `null`, or a lookup outcome) from JSON text.
pub fn person_from_text(text: &str) -> Read<PersonText> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let node = RowVisitor(&PERSON_JSON).deserialize(&mut deserializer).and_then(|node| deserializer.end().map(|()| node));
    match node {
        Err(e) => Err(crate::json_input::safe_message(&e.to_string())),
        Ok(None) => Ok(PersonText::Nothing),
        Ok(Some(node)) => match node.slot("code") {
            Slot::Text(code) => Ok(PersonText::Outcome(code.to_string())),
            _ => read_person(&node).map(|p| PersonText::Person(Box::new(p))),
        },
    }
}

impl Person {
    /// Read a person in its JSON form (as [`Person`] serializes).
    ///
    /// ```
    /// use datafordeler_cpr::person::Person;
    /// let p = Person::from_json(&serde_json::json!({"status": "doed", "name": {"given": "Jens"}})).unwrap();
    /// assert_eq!(p.name.unwrap().given.as_deref(), Some("Jens"));
    /// assert!(Person::from_json(&serde_json::json!({"name": "Jens"})).unwrap_err().contains("invalid type: text"));
    /// ```
    pub fn from_json(value: &Value) -> Result<Person, String> {
        if !value.is_object() {
            return Err("person must be an object".to_string());
        }
        match person_from_text(&crate::json_input::json_text(value))? {
            PersonText::Person(person) => Ok(*person),
            _ => Err("person must be a person, not a lookup error".to_string()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_serialize_as_text() {
        for k in KnownStatus::ALL {
            let s = PersonStatus::Known(k);
            assert_eq!(serde_json::to_value(&s).unwrap(), k.key());
            assert_eq!(serde_json::from_value::<PersonStatus>(serde_json::json!(k.key())).unwrap(), s);
            assert_eq!(PersonStatus::from_register(&k.key().to_uppercase()), s);
        }
        let other = PersonStatus::from_register(" inaktiv ");
        assert_eq!(serde_json::to_value(&other).unwrap(), "inaktiv");
        assert_eq!(serde_json::from_value::<PersonStatus>(serde_json::json!("inaktiv")).unwrap(), other);
    }

    #[test]
    fn from_json_reads_what_serde_writes() {
        let person = Person {
            cpr: Some("0101701239".into()),
            status: Some(PersonStatus::Other("ny".into())),
            name: Some(PersonName { given: Some("Jens".into()), to: Some("2001-01-01".into()), ..Default::default() }),
            address: Some(Address { street: Some("Vej".into()), lines: vec!["Vej 1".into()], co_name: Some("c/o".into()), ..Default::default() }),
            protections: vec![Protection { kind: MARKETING_PROTECTION.into(), active: true, ..Default::default() }],
            emigration: Some(Emigration {
                country: Some(Country { iso_code: Some("SE".into()), ..Default::default() }),
                foreign_address_lines: vec!["Gata 1".into()],
                ..Default::default()
            }),
            disappearance: Some(Disappearance { found_date: Some("2000-01-01".into()), ..Default::default() }),
            death: Some(Death { date: Some("2020-01-01".into()) }),
            contact_address: Some(ContactAddress { lines: vec!["Box 1".into()], from: None }),
            guardianship: Some(Guardianship { guardian_name: Some("V".into()), guardian_address_lines: vec!["L".into()], from: None }),
            name_history: vec![PersonName { family: Some("Old".into()), ..Default::default() }],
            address_history: vec![Address::default()],
            relations: vec![Relation { kind: RelationKind::Parent, role: Some("mor".into()), cpr: None, name: None, protections: vec![], from: None }],
            ..Default::default()
        };
        let json = serde_json::to_value(&person).unwrap();
        assert_eq!(Person::from_json(&json).unwrap(), person);
        assert_eq!(serde_json::from_value::<Person>(json).unwrap(), person);
        for bad in [
            serde_json::json!({"name": "Jens"}),
            serde_json::json!({"protections": [{"type": null}]}),
            serde_json::json!({"nameWithheld": "yes"}),
            serde_json::json!({"relations": [{"cpr": "x"}]}),
            serde_json::json!({"address": {"lines": [1]}}),
        ] {
            assert!(Person::from_json(&bad).is_err(), "{bad}");
            assert!(serde_json::from_value::<Person>(bad).is_err());
        }
    }

    #[test]
    fn full_names() {
        let n = PersonName { given: Some("Jens Peter".into()), family: Some("Testesen".into()), ..Default::default() };
        assert_eq!(n.full().as_deref(), Some("Jens Peter Testesen"));
        let n = PersonName { addressing: Some("Testesen,Jens Peter".into()), ..Default::default() };
        assert_eq!(n.full().as_deref(), Some("Jens Peter Testesen"));
        assert_eq!(PersonName::default().full(), None);
    }
}
