//! The person record: what CPR says about one person, in English field names.
//!
//! Absent is absent: a value the register did not give is `None` (absent in JSON), never an
//! empty string, and where CPR withholds a value from the private sector (name and address
//! protection) a flag says so. Merging relies on this: an absent value never overwrites data.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

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
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub given: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub middle: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub family: Option<String>,
    /// The name CPR uses on letters (adresseringsnavn), possibly shortened.
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub addressing: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
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
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub street: Option<String>,
    /// Without leading zeros: `12`, `7B`.
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub house_number: Option<String>,
    /// As CPR codes it: `st`, `kl`, `2`.
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub floor: Option<String>,
    /// As CPR codes it: `tv`, `th`, `mf`, or a number.
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub door: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub post_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub post_district: Option<String>,
    /// Locality (bynavn), written on its own line.
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub locality: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub municipality_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub municipality_name: Option<String>,
    /// The c/o name, as CPR holds it.
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub co_name: Option<String>,
    /// The address as written on a letter: c/o line, street line, locality, post code and district.
    #[serde(deserialize_with = "null_as_empty")]
    pub lines: Vec<String>,
    /// Move-in date.
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub from: Option<String>,
    /// Move-out date (earlier addresses).
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
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
    #[serde(rename = "type", deserialize_with = "trimmed_kind")]
    #[cfg_attr(target_arch = "wasm32", tsify(type = "ProtectionKind"))]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub to: Option<String>,
    /// In force now (CPR's current row), as opposed to an expired one.
    pub active: bool,
}

/// The protection type that withholds name and address from private companies.
// Also named in the published `ProtectionKind` declaration (src/wasm/exports.rs).
pub const NAME_AND_ADDRESS_PROTECTION: &str = "navne_og_adressebeskyttelse";
/// The type of the credit-warning marker ([`Person::credit_warning`]): the person asked CPR to
/// warn lenders (CPR-loven §38 stk. 2). A marker like the protections, so it has their shape.
pub const CREDIT_WARNING: &str = "kreditadvarsel";

/// The protection type that forbids using the person for marketing.
pub const MARKETING_PROTECTION: &str = "markedsfoeringsbeskyttelse";

/// A country as CPR codes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default)]
pub struct Country {
    /// CPR's four-digit country code.
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub name: Option<String>,
    /// ISO 3166 alpha-2, e.g. `SE`.
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub iso_code: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default)]
pub struct Emigration {
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub country: Option<Country>,
    #[serde(deserialize_with = "null_as_empty")]
    pub foreign_address_lines: Vec<String>,
    /// Date of return to Denmark, when the person has come back (public sector).
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub return_date: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default)]
pub struct Disappearance {
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub date: Option<String>,
    /// When the person was found again (public sector).
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub found_date: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default)]
pub struct Death {
    /// The date of death (the status date of status `doed`).
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub date: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default)]
pub struct ContactAddress {
    #[serde(deserialize_with = "null_as_empty")]
    pub lines: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub from: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default)]
pub struct Guardianship {
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub guardian_name: Option<String>,
    #[serde(deserialize_with = "null_as_empty")]
    pub guardian_address_lines: Vec<String>,
}

/// The current civil status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default)]
pub struct MaritalStatus {
    /// CPR's civil status as it came (civilstandstype, e.g. `gift`, `ugift`), kept as text:
    /// the register may add values.
    #[serde(deserialize_with = "trimmed_kind")]
    pub code: String,
    /// Since when.
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub from: Option<String>,
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
    #[serde(skip_serializing_if = "Option::is_none", default, deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default, deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub cpr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub name: Option<PersonName>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub protections: Vec<Protection>,
    #[serde(skip_serializing_if = "Option::is_none", default, deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub from: Option<String>,
}

/// One person as CPR describes them.
///
/// Its JSON form (camelCase) is also read back, for a merge, by the derived `Deserialize`,
/// leniently: a missing field takes its default, `null` is an absent optional value (and an
/// empty list), unknown fields are ignored, and only a value of the wrong type is an error.
/// A host may hand back a person it changed or built itself, and only what the merge reads
/// should be able to fail. Text is taken trimmed and blank text as absent, as a lookup writes
/// it, so a person read back never holds an empty string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default)]
pub struct Person {
    /// The current CPR number, 10 digits.
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub cpr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "status_text")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub status: Option<PersonStatus>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub status_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
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
    #[serde(deserialize_with = "null_as_empty")]
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
    /// The current occupation (stilling), when CPR gave one.
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "trimmed")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub occupation: Option<String>,
    /// The credit-warning marker, shaped like a protection (type `kreditadvarsel`, `active`
    /// when in force); absent when the answer did not carry it (the field is selected only
    /// from a live schema that has it).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub credit_warning: Option<Protection>,
    /// The current civil status, when CPR gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub marital_status: Option<MaritalStatus>,
    /// Earlier names, newest first (public sector).
    #[serde(deserialize_with = "null_as_empty")]
    pub name_history: Vec<PersonName>,
    /// Earlier addresses, newest first (public sector).
    #[serde(deserialize_with = "null_as_empty")]
    pub address_history: Vec<Address>,
    /// Children and parents (public sector, field group `relations`).
    #[serde(deserialize_with = "null_as_empty")]
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

/// A text field: trimmed, and blank text absent (as a lookup writes it).
fn trimmed<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.and_then(|text| match text.trim() {
        "" => None,
        kept if kept.len() == text.len() => Some(text),
        kept => Some(kept.to_string()),
    }))
}

/// A protection's type: text (never null), trimmed.
fn trimmed_kind<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let kind = String::deserialize(d)?;
    Ok(match kind.trim() {
        kept if kept.len() == kind.len() => kind,
        kept => kept.to_string(),
    })
}

/// A person status as [`PersonStatus`] writes it: a known status's name, else other text as it
/// is (trimmed; blank is absent).
fn status_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PersonStatus>, D::Error> {
    Ok(trimmed(d)?.map(|text| match KnownStatus::ALL.into_iter().find(|k| k.key() == text) {
        Some(known) => PersonStatus::Known(known),
        None => PersonStatus::Other(text),
    }))
}

/// A list field: `null` is the empty list, as a missing list is.
fn null_as_empty<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// What a merge was given where a person may be.
pub enum PersonText {
    Person(Box<Person>),
    /// `null`.
    Nothing,
    /// An object with a text `code`: one of the lookup's error outcomes.
    Outcome(String),
}

/// The top level of what a merge was given, before it is read as a person: `null`, or an
/// object and its `code` if it has one. Everything else in the object is skipped unread, so
/// this costs one quick scan of the text.
enum Given {
    Nothing,
    Object { code: Option<String> },
}

impl<'de> Deserialize<'de> for Given {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Given, D::Error> {
        d.deserialize_any(GivenVisitor)
    }
}

struct GivenVisitor;

impl<'de> Visitor<'de> for GivenVisitor {
    type Value = Given;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a person object or null")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Given, E> {
        Ok(Given::Nothing)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Given, A::Error> {
        let mut code: Option<Option<String>> = None;
        while let Some(is_code) = map.next_key_seed(IsCodeKey)? {
            if !is_code {
                map.next_value::<IgnoredAny>()?;
            } else if code.is_some() {
                return Err(de::Error::duplicate_field("code"));
            } else {
                code = Some(map.next_value()?);
            }
        }
        Ok(Given::Object { code: code.flatten() })
    }
}

/// Whether a key is `code`, without keeping the key.
struct IsCodeKey;

impl<'de> DeserializeSeed<'de> for IsCodeKey {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for IsCodeKey {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<bool, E> {
        Ok(key == "code")
    }
}

/// Read a person (or `null`, or a lookup outcome) from JSON text.
pub fn person_from_text(text: &str) -> Result<PersonText, String> {
    match serde_json::from_str::<Given>(text).map_err(|e| crate::json_input::serde_message_in_words(&e.to_string()))? {
        Given::Nothing => Ok(PersonText::Nothing),
        Given::Object { code: Some(code) } => Ok(PersonText::Outcome(code)),
        Given::Object { code: None } => {
            let person = serde_json::from_str::<Person>(text).map_err(|e| crate::json_input::serde_message_in_words(&e.to_string()))?;
            Ok(PersonText::Person(Box::new(person)))
        }
    }
}


impl Person {
    /// Read a person in its JSON form (as [`Person`] serializes), with the lenient rules of
    /// [`Person`]'s reading.
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
    fn reading_back_is_lenient_where_a_host_may_be() {
        let json = serde_json::json!({
            "cpr": " 0101701239 ", "status": " doed ", "statusDate": "", "unknown": {"deep": [1, {"x": null}]},
            "name": {"given": "  Jens ", "family": "   ", "middle": null},
            "address": {"street": "Vej", "lines": null},
            "protections": null,
            "relations": [{"kind": "child", "protections": [{"type": " markedsfoeringsbeskyttelse ", "active": true}]}],
            "emigration": {"country": {"isoCode": "SE "}, "foreignAddressLines": [" Gata 1 "]}
        });
        let p = Person::from_json(&json).unwrap();
        assert_eq!(p.cpr.as_deref(), Some("0101701239"), "trimmed");
        assert_eq!(p.status, Some(PersonStatus::Known(KnownStatus::Doed)), "a known status after trimming");
        assert_eq!(p.status_date, None, "blank is absent");
        let name = p.name.unwrap();
        assert_eq!((name.given.as_deref(), name.family, name.middle), (Some("Jens"), None, None));
        assert!(p.address.unwrap().lines.is_empty() && p.protections.is_empty(), "a null list is empty");
        assert_eq!(p.relations[0].protections[0].kind, MARKETING_PROTECTION);
        let emigration = p.emigration.unwrap();
        assert_eq!(emigration.country.unwrap().iso_code.as_deref(), Some("SE"));
        assert_eq!(emigration.foreign_address_lines, [" Gata 1 "], "lines are kept as they came");
        assert_eq!(Person::from_json(&serde_json::json!({})).unwrap(), Person::default(), "missing is the default");
        assert_eq!(Person::from_json(&serde_json::json!({"status": "ny"})).unwrap().status, Some(PersonStatus::Other("ny".into())));
    }

    #[test]
    fn a_merge_is_given_a_person_nothing_or_an_outcome() {
        assert!(matches!(person_from_text("null"), Ok(PersonText::Nothing)));
        assert!(matches!(person_from_text(r#"{"code": "person_not_found", "index": 0}"#), Ok(PersonText::Outcome(c)) if c == "person_not_found"));
        assert!(matches!(person_from_text(r#"{"code": null, "cpr": "0101701239"}"#), Ok(PersonText::Person(p)) if p.cpr.is_some()));
        for (text, words) in [
            (r#""Jens 0101701239""#, "invalid type: text, expected a person object or null"),
            (r#"[{"cpr": "0101701239"}]"#, "invalid type: a list, expected a person object or null"),
            (r#"{"cpr": 101701239}"#, "invalid type: a number, expected a string"),
            (r#"{"nameWithheld": "Jens"}"#, "invalid type: text, expected a boolean"),
            (r#"{"protections": {"type": "x"}}"#, "invalid type: an object, expected a sequence"),
            (r#"{"code": "a", "code": "b"}"#, "duplicate field"),
            (r#"{"cpr": "0101701239"} x"#, "trailing characters"),
        ] {
            let Err(error) = person_from_text(text) else { panic!("{text} was read") };
            assert!(error.starts_with(words), "{text}: {error}");
            assert!(!error.contains("Jens") && !error.contains("101701239"), "{error}");
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
