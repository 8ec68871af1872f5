//! Merging a CPR person into a customer record, without ever losing data.
//!
//! The rules:
//! - a value CPR did not give (withheld under protection, abroad after emigration, no current
//!   address after death, an error) never overwrites anything: the existing value stays and a
//!   notification says why;
//! - each field has a policy: `always` (default), `ifEmpty` or `never`;
//! - the record keeps every field the library does not write, and a field map lets an ERP
//!   use its own field names;
//! - merging the same person twice changes nothing the second time;
//! - the change list (`field`, `before`, `after`) is what an ERP shows for review before it
//!   accepts the update.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::code::{DiagnosisCode, ErrorCode};
use crate::error::CprError;
use crate::issue::{Issue, Severity};
use crate::json_input::describe_type;
use crate::person::{person_from_text, KnownStatus, Person, PersonStatus, PersonText, MARKETING_PROTECTION, NAME_AND_ADDRESS_PROTECTION};

/// When the register's value may replace the record's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum Policy {
    /// Whenever CPR has a (different) value.
    #[default]
    Always,
    /// Only when the record's field is empty.
    IfEmpty,
    /// Never: the record's value is kept.
    Never,
}

/// One field of the canonical customer record.
#[derive(Debug, Clone, Copy)]
pub struct RecordField {
    pub key: &'static str,
    /// Written unless the field map says otherwise; register facts are written only when mapped.
    pub written_by_default: bool,
    /// Belongs to the address block (kept together when CPR gives no address).
    pub address: bool,
}

/// The canonical customer record: the merge field map's one source.
pub const RECORD_FIELDS: &[RecordField] = &[
    RecordField { key: "name", written_by_default: true, address: false },
    RecordField { key: "address", written_by_default: true, address: true },
    RecordField { key: "address2", written_by_default: true, address: true },
    RecordField { key: "postCode", written_by_default: true, address: true },
    RecordField { key: "city", written_by_default: true, address: true },
    RecordField { key: "countryCode", written_by_default: true, address: true },
    RecordField { key: "cprStatus", written_by_default: false, address: false },
    RecordField { key: "statusDate", written_by_default: false, address: false },
    RecordField { key: "birthDate", written_by_default: false, address: false },
    RecordField { key: "deathDate", written_by_default: false, address: false },
    RecordField { key: "nameAddressProtected", written_by_default: false, address: false },
    RecordField { key: "marketingProtected", written_by_default: false, address: false },
    RecordField { key: "occupation", written_by_default: false, address: false },
    RecordField { key: "creditWarning", written_by_default: false, address: false },
    RecordField { key: "maritalStatus", written_by_default: false, address: false },
];

/// Options of a merge, as a host passes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MergeOptions {
    /// Record field names per canonical field (`name`, `address`, `address2`, `postCode`, `city`,
    /// `countryCode`, and the register facts `cprStatus`, `statusDate`, `birthDate`, `deathDate`,
    /// `nameAddressProtected`, `marketingProtected`, `occupation`, `creditWarning`,
    /// `maritalStatus`). `null` leaves a field alone. Default: the
    /// canonical names for the first six; facts are written only when mapped.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional, type = "Record<string, string | null>"))]
    #[serde(with = "pairs")]
    pub field_map: Option<Vec<(String, Option<String>)>>,
    /// Policy per canonical field; default `always`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional, type = "Record<string, Policy>"))]
    #[serde(with = "pairs")]
    pub policies: Option<Vec<(String, Policy)>>,
}

/// A map kept as a list of pairs (a handful of entries, looked up by name), read and written
/// as a JSON object. A BTreeMap per value type cost more in the wasm module than it saves.
mod pairs {
    use serde::de::{Deserialize, DeserializeOwned, Deserializer, Error, Unexpected};
    use serde_json::Value;
    use serde::ser::{Serialize, Serializer};

    pub fn serialize<V: Serialize, S: Serializer>(pairs: &Option<Vec<(String, V)>>, s: S) -> Result<S::Ok, S::Error> {
        match pairs {
            Some(pairs) => s.collect_map(pairs.iter().map(|(k, v)| (k, v))),
            None => s.serialize_none(),
        }
    }

    /// Read as any JSON value first, then each entry: a deserializer is asked for "any value",
    /// never for "a map". (serde-wasm-bindgen reads a map from any JS iterable, taking each
    /// item as a `[key, value]` pair, and a list of other things would throw inside it.)
    pub fn deserialize<'de, V: DeserializeOwned, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<(String, V)>>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => map
                .into_iter()
                .map(|(key, value)| V::deserialize(value).map(|value| (key, value)).map_err(D::Error::custom))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(D::Error::invalid_type(Unexpected::Other(crate::json_input::describe_type(&other)), &"an object")),
        }
    }
}

/// One change to the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct Change {
    /// The record's field name (after mapping).
    pub field: String,
    /// The record's value before the change; absent when the record had none (no such key, or
    /// `null`), like every other absent value the library hands back.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional, type = "unknown"))]
    pub before: Option<Value>,
    #[cfg_attr(target_arch = "wasm32", tsify(type = "unknown"))]
    pub after: Value,
}

/// The result of a merge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct MergeResult {
    /// The record with the changes applied; every other field as it was.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Record<string, unknown>"))]
    pub record: Map<String, Value>,
    pub changes: Vec<Change>,
    /// What the ERP user should know: status, protections, values kept and why.
    pub notifications: Vec<Issue>,
}

/// What a lookup gave for one number.
#[derive(Debug, Clone, Copy)]
pub enum MergeSubject<'a> {
    Person(&'a Person),
    NotFound,
    Ambiguous,
}

/// A field map and policies, checked.
#[derive(Debug, Clone)]
pub struct ResolvedOptions {
    /// (canonical field, record field name, policy) for every field written.
    fields: Vec<(&'static RecordField, String, Policy)>,
}

impl ResolvedOptions {
    /// Check the options: unknown canonical fields, empty or shared record names are errors.
    pub fn new(options: &MergeOptions) -> Result<ResolvedOptions, CprError> {
        let known = |key: &str| RECORD_FIELDS.iter().any(|f| f.key == key);
        let suggest = |key: &str| {
            RECORD_FIELDS
                .iter()
                .find(|f| f.key.eq_ignore_ascii_case(key) || f.key.replace('2', "").eq_ignore_ascii_case(key))
                .map(|f| format!(" Did you mean \"{}\"?", f.key))
                .unwrap_or_default()
        };
        let list = RECORD_FIELDS.iter().map(|f| f.key).collect::<Vec<_>>().join(", ");
        if let Some(map) = &options.field_map {
            for (key, name) in map.iter() {
                if !known(key) {
                    return Err(CprError::invalid_input(
                        ErrorCode::InvalidFieldMap,
                        format!("fieldMap has an entry for \"{}\", which is not a record field.{} The fields are {list}.", short(key), suggest(key)),
                    ));
                }
                if let Some(name) = name {
                    if name.trim().is_empty() || name.len() > 200 {
                        return Err(CprError::invalid_input(
                            ErrorCode::InvalidFieldMap,
                            format!("fieldMap.{key} must be a field name of 1 to 200 characters, or null to leave the field alone."),
                        ));
                    }
                }
            }
        }
        if let Some(policies) = &options.policies {
            if let Some((key, _)) = policies.iter().find(|(k, _)| !known(k)) {
                return Err(CprError::invalid_input(
                    ErrorCode::InvalidPolicies,
                    format!("policies has an entry for \"{}\", which is not a record field.{} The fields are {list}.", short(key), suggest(key)),
                ));
            }
        }
        let mut fields = Vec::new();
        for field in RECORD_FIELDS {
            let mapped = options.field_map.as_ref().and_then(|m| m.iter().find(|(k, _)| k == field.key).map(|(_, v)| v));
            let name = match mapped {
                Some(Some(name)) => name.clone(),
                Some(None) => continue,
                None if field.written_by_default => field.key.to_string(),
                None => continue,
            };
            if let Some((other, _, _)) = fields.iter().find(|(_, n, _): &&(&RecordField, String, Policy)| *n == name) {
                return Err(CprError::invalid_input(
                    ErrorCode::InvalidFieldMap,
                    format!("fieldMap maps both {} and {} to \"{}\"; give each its own field.", other.key, field.key, short(&name)),
                ));
            }
            let policy = options.policies.as_ref().and_then(|p| p.iter().find(|(k, _)| k == field.key).map(|(_, v)| *v)).unwrap_or_default();
            fields.push((field, name, policy));
        }
        Ok(ResolvedOptions { fields })
    }

    fn get(&self, key: &str) -> Option<&(&'static RecordField, String, Policy)> {
        self.fields.iter().find(|(f, _, _)| f.key == key)
    }

    /// The record name of a field that may be written (mapped, policy not `never`).
    fn writable(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|(_, _, p)| *p != Policy::Never).map(|(_, n, _)| n.as_str())
    }
}

fn short(text: &str) -> String {
    if text.chars().count() > 40 {
        text.chars().take(40).chain(std::iter::once('…')).collect()
    } else {
        text.to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// The register's values
// ---------------------------------------------------------------------------------------------

/// The address lines CPR gives, worked out once per merge.
struct AddressLines {
    /// `Vestergade 12, 2. tv` (or a supplementary address's first line).
    first: Option<String>,
    /// The c/o name or locality (or a supplementary address's second line).
    second: Option<String>,
}

impl AddressLines {
    fn of(person: &Person) -> AddressLines {
        match &person.address {
            None => AddressLines { first: None, second: None },
            Some(a) => match a.street_line() {
                Some(street) => AddressLines { first: Some(street), second: a.second_line() },
                None => AddressLines { first: supplementary(a, 0), second: supplementary(a, 1) },
            },
        }
    }
}

/// The value CPR gives for a canonical field; `None` when it gave none.
fn register_value(person: &Person, lines: &AddressLines, key: &str) -> Option<Value> {
    let address = person.address.as_ref();
    let text = |v: Option<String>| v.map(Value::String);
    match key {
        "name" => text(person.name.as_ref().and_then(|n| n.full())),
        "address" => text(lines.first.clone()),
        "address2" => text(lines.second.clone()),
        "postCode" => text(address.and_then(|a| a.post_code.clone())),
        "city" => text(address.and_then(|a| a.post_district.clone())),
        "countryCode" => text(address.map(|a| country_code(person, a.post_code.as_deref()).to_string())),
        "cprStatus" => text(person.status.as_ref().map(|s| s.text().to_string())),
        "statusDate" => text(person.status_date.clone()),
        "birthDate" => text(person.birth_date.clone()),
        "deathDate" => text(person.death.as_ref().and_then(|d| d.date.clone())),
        "nameAddressProtected" => Some(Value::Bool(person.active_protection(NAME_AND_ADDRESS_PROTECTION).is_some())),
        "marketingProtected" => Some(Value::Bool(person.active_protection(MARKETING_PROTECTION).is_some())),
        "occupation" => text(person.occupation.clone()),
        // Only when the answer carried the marker: its absence is not "no warning".
        "creditWarning" => person.credit_warning.as_ref().map(|c| Value::Bool(c.active)),
        "maritalStatus" => text(person.marital_status.as_ref().map(|m| m.code.clone())),
        _ => None,
    }
}

/// A line of an address without a street (a supplementary address), skipping the c/o line.
fn supplementary(a: &crate::person::Address, index: usize) -> Option<String> {
    let skip = usize::from(a.co_name.is_some());
    a.lines.get(skip + index).cloned()
}

/// CPR covers Denmark and Greenland; Greenland's post codes are 39xx.
fn country_code(person: &Person, post_code: Option<&str>) -> &'static str {
    if person.known_status() == Some(KnownStatus::BopaelIGroenland) || post_code.is_some_and(|c| c.starts_with("39") && c.len() == 4) {
        "GL"
    } else {
        "DK"
    }
}

fn is_empty(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        _ => false,
    }
}

/// Equal as the record holds it: a post code kept as the number 2100 equals "2100".
fn same(existing: Option<&Value>, new: &Value) -> bool {
    match (existing, new) {
        (Some(Value::String(a)), Value::String(b)) => a == b,
        (Some(Value::Number(a)), Value::String(b)) => a.to_string() == *b,
        (Some(a), b) => a == b,
        (None, _) => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Notifications
// ---------------------------------------------------------------------------------------------

fn note(out: &mut Vec<Issue>, field: &str, code: ErrorCode, severity: Severity, message: String) {
    out.push(Issue::new(field, code, severity, message));
}

fn since(date: Option<&str>) -> String {
    date.map(|d| format!(" since {d}")).unwrap_or_default()
}

fn status_notifications(person: &Person, out: &mut Vec<Issue>) {
    let date = person.status_date.as_deref();
    match &person.status {
        Some(PersonStatus::Known(KnownStatus::Doed)) => {
            let date = person.death.as_ref().and_then(|d| d.date.as_deref()).or(date);
            let message = match date {
                Some(d) => format!("The person died on {d} (CPR status doed)."),
                None => "The person is registered as deceased (CPR status doed).".to_string(),
            };
            note(out, "", ErrorCode::PersonDeceased, Severity::Warning, message);
        }
        Some(PersonStatus::Known(KnownStatus::Udrejst)) => {
            let emigration = person.emigration.as_ref();
            let date = emigration.and_then(|e| e.date.as_deref()).or(date);
            let country = emigration.and_then(|e| e.country.as_ref()).and_then(|c| c.name.as_deref());
            let message = match (date, country) {
                (Some(d), Some(c)) => format!("The person emigrated to {c} on {d} (CPR status udrejst)."),
                (Some(d), None) => format!("The person emigrated on {d} (CPR status udrejst)."),
                (None, Some(c)) => format!("The person emigrated to {c} (CPR status udrejst)."),
                (None, None) => "The person has emigrated (CPR status udrejst).".to_string(),
            };
            note(out, "", ErrorCode::PersonEmigrated, Severity::Warning, message);
        }
        Some(PersonStatus::Known(KnownStatus::Forsvundet)) => {
            let date = person.disappearance.as_ref().and_then(|d| d.date.as_deref()).or(date);
            note(
                out,
                "",
                ErrorCode::PersonDisappeared,
                Severity::Warning,
                format!("The person is registered as disappeared{} (CPR status forsvundet).", since(date)),
            );
        }
        Some(PersonStatus::Known(k @ (KnownStatus::Annulleret | KnownStatus::Slettet | KnownStatus::AendretPersonnummer))) => {
            let advice = if *k == KnownStatus::AendretPersonnummer {
                "the person has a new CPR number: look it up and update the record's number"
            } else {
                "check the number against its source"
            };
            note(
                out,
                "",
                ErrorCode::CprNumberInactive,
                Severity::Warning,
                format!("The CPR number is no longer in use (CPR status {}{}); {advice}.", k.key(), since(date)),
            );
        }
        Some(PersonStatus::Other(text)) => note(
            out,
            "",
            ErrorCode::UnknownStatus,
            Severity::Info,
            format!("CPR status \"{}\" is not one the library knows; check the person's status in CPR.", short(text)),
        ),
        _ => {}
    }
}

fn protection_notifications(person: &Person, out: &mut Vec<Issue>) {
    if let Some(p) = person.active_protection(NAME_AND_ADDRESS_PROTECTION) {
        if !person.name_withheld && !person.address_withheld {
            note(
                out,
                "",
                ErrorCode::NameAndAddressProtected,
                Severity::Warning,
                format!(
                    "The person has name and address protection{}: do not pass the name or address on to others.",
                    since(p.from.as_deref())
                ),
            );
        }
    }
    if let Some(p) = person.active_protection(MARKETING_PROTECTION) {
        note(
            out,
            "",
            ErrorCode::MarketingProtected,
            Severity::Info,
            format!("The person has marketing protection{}: do not use the record for marketing.", since(p.from.as_deref())),
        );
    }
    if let Some(g) = &person.guardianship {
        let guardian = g.guardian_name.as_deref().map(|n| format!(" (guardian: {n})")).unwrap_or_default();
        note(
            out,
            "",
            ErrorCode::UnderGuardianship,
            Severity::Warning,
            format!("The person is under guardianship{}{guardian}.", since(g.from.as_deref())),
        );
    }
    if let Some(c) = &person.contact_address {
        note(
            out,
            "",
            ErrorCode::ContactAddress,
            Severity::Info,
            format!("The person has a contact address{}: {}.", since(c.from.as_deref()), c.lines.join(", ")),
        );
    }
}

/// Why CPR gave no address, as a notification on the record's address field.
fn missing_address(person: &Person, field: &str, out: &mut Vec<Issue>) {
    let protection = person.active_protection(NAME_AND_ADDRESS_PROTECTION);
    if person.address_withheld {
        let why = match protection {
            Some(p) => format!("name and address protection{}", since(p.from.as_deref())),
            None => "the address came back empty".to_string(),
        };
        note(
            out,
            field,
            ErrorCode::AddressWithheld,
            Severity::Warning,
            format!("CPR does not disclose the address ({why}); the record's address fields are kept."),
        );
        return;
    }
    let status = person.known_status();
    let emigration = person.emigration.as_ref().filter(|e| e.return_date.is_none());
    if status == Some(KnownStatus::Udrejst) || (emigration.is_some() && status != Some(KnownStatus::BopaelIDanmark)) {
        let country = emigration.and_then(|e| e.country.as_ref()).and_then(|c| c.name.as_deref());
        let date = emigration.and_then(|e| e.date.as_deref()).or(person.status_date.as_deref());
        let lines = emigration.map(|e| e.foreign_address_lines.join(", ")).filter(|l| !l.is_empty());
        let mut message = match country {
            Some(c) => format!("The person lives abroad ({c}){}", since(date)),
            None => format!("The person lives abroad{}", since(date)),
        };
        message.push_str("; the record's Danish address fields are kept.");
        if let Some(lines) = lines {
            message.push_str(&format!(" Foreign address: {lines}."));
        }
        note(out, field, ErrorCode::AddressAbroad, Severity::Warning, message);
        return;
    }
    let why = match status {
        Some(KnownStatus::Doed) => " because the person has died",
        Some(KnownStatus::Forsvundet) => " because the person has disappeared",
        _ => "",
    };
    note(
        out,
        field,
        ErrorCode::AddressMissing,
        Severity::Warning,
        format!("CPR has no current address{why}; the record's address fields are kept."),
    );
}

fn missing_name(person: &Person, field: &str, out: &mut Vec<Issue>) {
    if person.name_withheld {
        let why = match person.active_protection(NAME_AND_ADDRESS_PROTECTION) {
            Some(p) => format!("name and address protection{}", since(p.from.as_deref())),
            None => "the name came back empty".to_string(),
        };
        note(out, field, ErrorCode::NameWithheld, Severity::Warning, format!("CPR does not disclose the name ({why}); the record's name is kept."));
    } else {
        note(out, field, ErrorCode::NameMissing, Severity::Warning, "CPR gave no name; the record's name is kept.".to_string());
    }
}

// ---------------------------------------------------------------------------------------------
// The merge
// ---------------------------------------------------------------------------------------------

/// Merge what a lookup gave into a customer record.
///
/// ```
/// use datafordeler_cpr::merge::{merge_person, MergeOptions, MergeSubject, ResolvedOptions};
/// use datafordeler_cpr::person::{Address, Person, PersonName};
/// use serde_json::json;
///
/// let person = Person {
///     name: Some(PersonName { given: Some("Jens Peter".into()), family: Some("Testesen".into()), ..Default::default() }),
///     address: Some(Address {
///         street: Some("Vestergade".into()), house_number: Some("12".into()), floor: Some("2".into()),
///         door: Some("tv".into()), post_code: Some("8000".into()), post_district: Some("Aarhus C".into()),
///         ..Default::default()
///     }),
///     ..Default::default()
/// };
/// let existing = json!({"name": "J. P. Testesen", "address": "", "customerNo": "10000"});
/// let options = ResolvedOptions::new(&MergeOptions::default()).unwrap();
/// let r = merge_person(existing.as_object().unwrap(), MergeSubject::Person(&person), &options);
/// assert_eq!(r.record["name"], "Jens Peter Testesen");
/// assert_eq!(r.record["address"], "Vestergade 12, 2. tv");
/// assert_eq!(r.record["postCode"], "8000");
/// assert_eq!(r.record["customerNo"], "10000");
/// assert_eq!(r.changes.len(), 5);
///
/// // The second merge finds nothing to change.
/// let again = merge_person(&r.record, MergeSubject::Person(&person), &options);
/// assert!(again.changes.is_empty());
/// ```
pub fn merge_person(existing: &Map<String, Value>, subject: MergeSubject, options: &ResolvedOptions) -> MergeResult {
    let mut record = existing.clone();
    let mut changes = Vec::new();
    let mut notifications = Vec::new();
    let person = match subject {
        MergeSubject::NotFound => {
            note(
                &mut notifications,
                "",
                ErrorCode::Diagnosis(DiagnosisCode::PersonNotFound),
                Severity::Error,
                "CPR has no person with this number (or none this IT-system may see); nothing was changed.".to_string(),
            );
            return MergeResult { record, changes, notifications };
        }
        MergeSubject::Ambiguous => {
            note(
                &mut notifications,
                "",
                ErrorCode::Diagnosis(DiagnosisCode::AmbiguousResult),
                Severity::Error,
                "CPR returned several persons for this number; nothing was changed. Check the number.".to_string(),
            );
            return MergeResult { record, changes, notifications };
        }
        MergeSubject::Person(p) => p,
    };
    status_notifications(person, &mut notifications);
    protection_notifications(person, &mut notifications);

    let address_given = person.address.is_some();
    let lines = AddressLines::of(person);
    let mut address_changed = false;
    for (field, name, policy) in &options.fields {
        let current = record.get(name.as_str());
        let Some(value) = register_value(person, &lines, field.key) else {
            continue;
        };
        if same(current, &value) {
            continue;
        }
        let write = match policy {
            Policy::Always => true,
            Policy::IfEmpty => is_empty(current),
            Policy::Never => false,
        };
        if !write {
            note(
                &mut notifications,
                name,
                ErrorCode::KeptByPolicy,
                Severity::Info,
                format!("CPR has another value for {name}; the record's value is kept (policy {}).", policy_key(*policy)),
            );
            continue;
        }
        if field.key == "address" {
            address_changed = true;
        }
        let before = current.filter(|v| !v.is_null()).cloned();
        record.insert(name.clone(), value.clone());
        changes.push(Change { field: name.clone(), before, after: value });
    }

    // Absent values: kept, and said why (once for the name, once for the address block).
    if person.name.is_none() {
        if let Some(field) = options.writable("name") {
            missing_name(person, field, &mut notifications);
        }
    }
    if !address_given {
        let field = ["address", "address2", "postCode", "city", "countryCode"].iter().find_map(|k| options.writable(k));
        if let Some(field) = field {
            missing_address(person, field, &mut notifications);
        }
    } else if let Some(field) = options.writable("address2") {
        if lines.second.is_none() && !is_empty(record.get(field)) {
            let severity = if address_changed { Severity::Warning } else { Severity::Info };
            note(
                &mut notifications,
                field,
                ErrorCode::Address2Kept,
                severity,
                format!("CPR's address has no second line (c/o name or locality); the record's {field} is kept: check that it still applies."),
            );
        }
    }
    MergeResult { record, changes, notifications }
}

fn policy_key(policy: Policy) -> &'static str {
    match policy {
        Policy::Always => "always",
        Policy::IfEmpty => "ifEmpty",
        Policy::Never => "never",
    }
}

/// Most fields a record may have: far above any ERP's customer card.
const MAX_RECORD_FIELDS: usize = 10_000;

/// [`merge_person`] with the person as JSON text, read straight into a [`Person`] by its derived
/// `Deserialize` (for Rust callers holding text; the JS boundary reads a person from its JS value).
///
/// `person` is a person as a lookup writes it, JSON `null` (or nothing) when none was found, or
/// the lookup's `person_not_found` / `ambiguous_result` error.
pub fn merge_person_text(record: &Map<String, Value>, person: &str, options: &ResolvedOptions) -> Result<MergeResult, CprError> {
    let invalid = |detail: String| {
        CprError::invalid_input(ErrorCode::InvalidPerson, format!("The person is not a person record as a lookup gives it ({detail})."))
    };
    if person.len() > crate::json_input::MAX_JSON_BYTES {
        return Err(CprError::invalid_input(
            ErrorCode::InputTooLarge,
            format!("The person is {} bytes of JSON; the limit is {}.", person.len(), crate::json_input::MAX_JSON_BYTES),
        ));
    }
    merge_person_subject(record, person_from_text(person).map_err(invalid)?, options)
}

/// [`merge_person`] for what a caller gave where a person may be: a person, nothing (not
/// found), or a lookup's error outcome by its code. The record is checked first: the fields CPR
/// writes must hold text or be empty.
pub fn merge_person_subject(record: &Map<String, Value>, person: PersonText, options: &ResolvedOptions) -> Result<MergeResult, CprError> {
    if record.len() > MAX_RECORD_FIELDS {
        return Err(CprError::invalid_input(ErrorCode::InvalidRecord, "The existing record is too large or too deeply nested to be a customer record."));
    }
    for (_, name, _) in &options.fields {
        if let Some(v @ (Value::Object(_) | Value::Array(_))) = record.get(name.as_str()) {
            return Err(CprError::invalid_input(
                ErrorCode::InvalidRecord,
                format!("record.{} is {}; the fields CPR writes must hold text (or be empty).", short(name), describe_type(v)),
            ));
        }
    }
    let subject = match &person {
        PersonText::Nothing => MergeSubject::NotFound,
        PersonText::Outcome(code) => match code.as_str() {
            "person_not_found" => MergeSubject::NotFound,
            "ambiguous_result" => MergeSubject::Ambiguous,
            _ => {
                return Err(CprError::invalid_input(
                    ErrorCode::InvalidPerson,
                    "The merge takes a person from a lookup, nothing when none was found, or the lookup's \
                     person_not_found or ambiguous_result error; other errors leave nothing to merge.",
                ))
            }
        },
        PersonText::Person(person) => MergeSubject::Person(person),
    };
    Ok(merge_person(record, subject, options))
}
