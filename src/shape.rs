//! Reading the CPR answer through the selection table itself: a GraphQL answer holds exactly
//! the fields the query selected, so [`PERSON_FIELDS`](crate::fields::PERSON_FIELDS) is also
//! the answer's shape. One reader walks that table in one pass, with text borrowed from the
//! input where the deserializer allows it (JSON text without escapes); it is generic over any
//! serde [`Deserializer`], so a parsed host value can drive it as well as JSON text.
//!
//! Serves the answer only (`response.rs`, the hot path of every lookup). A table instead of
//! derived structs keeps one copy of the reading code in the wasm module rather than one per
//! record type (and per way of reaching it), and no second list of CPR's field names. Unknown
//! fields are skipped; a field read twice is an error.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::fields::{FieldSpec, RowEdge};
use crate::register_date::register_date;

/// One field's value as read.
#[derive(Debug, Clone, Default)]
pub(crate) enum Slot<'a> {
    /// Not in the answer (not selected).
    #[default]
    Absent,
    /// `null`: withheld, or failed.
    Null,
    /// A scalar, as text.
    Text(Cow<'a, str>),
    /// An object field: its rows (a nested object is a list of one).
    Rows(Vec<Node<'a>>),
}

/// One record: the values of its fields in the table, by position.
#[derive(Debug, Clone)]
pub(crate) struct Node<'a> {
    fields: &'static [FieldSpec],
    slots: Vec<Slot<'a>>,
}

impl<'a> Node<'a> {
    pub(crate) fn slot(&self, name: &str) -> &Slot<'a> {
        match self.fields.iter().position(|f| f.name == name).and_then(|i| self.slots.get(i)) {
            Some(slot) => slot,
            None => &Slot::Absent,
        }
    }

    /// A text field, trimmed; `None` when absent, null or blank.
    pub(crate) fn str(&self, name: &str) -> Option<&str> {
        match self.slot(name) {
            Slot::Text(t) => Some(t.trim()).filter(|s| !s.is_empty()),
            _ => None,
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<String> {
        self.str(name).map(str::to_string)
    }

    pub(crate) fn date(&self, name: &str) -> Option<String> {
        self.str(name).and_then(register_date)
    }

    pub(crate) fn rows(&self, name: &str) -> &[Node<'a>] {
        match self.slot(name) {
            Slot::Rows(rows) => rows,
            _ => &[],
        }
    }

    /// A nested object: the first row.
    pub(crate) fn one(&self, name: &str) -> Option<&Node<'a>> {
        self.rows(name).first()
    }

    pub(crate) fn is_null(&self, name: &str) -> bool {
        matches!(self.slot(name), Slot::Null)
    }

    pub(crate) fn is_absent(&self, name: &str) -> bool {
        matches!(self.slot(name), Slot::Absent)
    }

    pub(crate) fn lines(&self, names: &[&str]) -> Vec<String> {
        names.iter().filter_map(|n| self.get(n)).collect()
    }

    // History rows: `status` is `aktuel` for the current row, `historisk` for history; the
    // table marks which fields date a row (`RowEdge`).

    /// The name of the field that gives this row's edge, if the table marks one.
    fn edge(&self, edge: RowEdge) -> Option<&'static str> {
        self.fields.iter().find(|f| f.row_edge == Some(edge)).map(|f| f.name)
    }

    /// When the row starts, as a date.
    pub(crate) fn from(&self) -> Option<String> {
        self.edge(RowEdge::Start).and_then(|f| self.date(f))
    }

    /// Whether this is the current row: its status says so, else it has no end.
    pub(crate) fn is_current(&self) -> bool {
        match self.str("status") {
            Some(s) if s.eq_ignore_ascii_case("aktuel") => true,
            Some(s) if s.eq_ignore_ascii_case("historisk") => false,
            _ => self.edge(RowEdge::End).and_then(|f| self.str(f)).is_none(),
        }
    }
}

/// The kinds of value a visitor does not take, refused in serde's words. Every visitor here
/// handles every kind itself: serde's default refusal formats a float with `f64`'s Display,
/// which alone would add a float formatter to the wasm module for an error message. For the
/// same reason values are read with `deserialize_any`, never with serde_json's typed entry
/// points.
macro_rules! refuse {
    ($de:lifetime, $value:ty; $($kind:ident),*) => { $( refuse!(@one $de, $value; $kind); )* };
    (@one $de:lifetime, $value:ty; unit) => {
        fn visit_unit<E: de::Error>(self) -> Result<$value, E> { Err(refused("null", &self)) }
    };
    (@one $de:lifetime, $value:ty; bool) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<$value, E> { Err(refused("a boolean", &self)) }
    };
    (@one $de:lifetime, $value:ty; number) => {
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<$value, E> { Err(refused("a number", &self)) }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<$value, E> { Err(refused("a number", &self)) }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<$value, E> { Err(refused("a number", &self)) }
    };
    (@one $de:lifetime, $value:ty; str) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<$value, E> { Err(refused("text", &self)) }
    };
    (@one $de:lifetime, $value:ty; seq) => {
        fn visit_seq<A: SeqAccess<$de>>(self, _: A) -> Result<$value, A::Error> { Err(refused("a list", &self)) }
    };
    (@one $de:lifetime, $value:ty; map) => {
        fn visit_map<A: MapAccess<$de>>(self, _: A) -> Result<$value, A::Error> { Err(refused("an object", &self)) }
    };
}

pub(crate) use refuse;

pub(crate) fn refused<E: de::Error>(what: &str, expected: &dyn de::Expected) -> E {
    E::custom(format_args!("invalid type: {what}, expected {expected}"))
}

// Reading. Every function below is generic over the deserializer only: a serde_json text
// reader and a parsed host value each get one copy in the wasm module, whatever the table.

/// A value read as text: a scalar field, or a field name.
pub(crate) struct TextSeed;

impl<'de> DeserializeSeed<'de> for TextSeed {
    type Value = Slot<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Slot<'de>, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

/// A field's value, read as the table says: a scalar as text, an object field as rows.
struct FieldSeed(&'static FieldSpec);

impl<'de> DeserializeSeed<'de> for FieldSeed {
    type Value = Slot<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Slot<'de>, D::Error> {
        if self.0.is_scalar() {
            d.deserialize_any(TextVisitor)
        } else {
            RowsSeed(self.0.children).deserialize(d)
        }
    }
}

/// A list of records with the given fields, or (leniently) a single record as a list of one;
/// null rows skipped, a null list is [`Slot::Null`].
pub(crate) struct RowsSeed(pub(crate) &'static [FieldSpec]);

impl<'de> DeserializeSeed<'de> for RowsSeed {
    type Value = Slot<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Slot<'de>, D::Error> {
        d.deserialize_any(RowsVisitor(self.0))
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Slot<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("text")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Slot<'de>, E> {
        Ok(Slot::Text(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Slot<'de>, E> {
        Ok(Slot::Text(Cow::Owned(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Slot<'de>, E> {
        Ok(Slot::Text(Cow::Owned(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Slot<'de>, E> {
        Ok(Slot::Text(Cow::Owned(v.to_string())))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Slot<'de>, E> {
        Ok(Slot::Text(Cow::Owned(v.to_string())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Slot<'de>, E> {
        // serde_json's own float writer: `f64`'s Display would add a second one.
        Ok(serde_json::Number::from_f64(v).map_or(Slot::Null, |n| Slot::Text(Cow::Owned(n.to_string()))))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Slot<'de>, E> {
        Ok(Slot::Text(Cow::Borrowed(if v { "true" } else { "false" })))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Slot<'de>, E> {
        Ok(Slot::Null)
    }
    refuse!('de, Slot<'de>; seq, map);
}

struct RowsVisitor(&'static [FieldSpec]);

impl<'de> Visitor<'de> for RowsVisitor {
    type Value = Slot<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of objects")
    }
    refuse!('de, Slot<'de>; bool, number, str);
    fn visit_unit<E: de::Error>(self) -> Result<Slot<'de>, E> {
        Ok(Slot::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Slot<'de>, A::Error> {
        read_rows(self.0, seq).map(Slot::Rows)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Slot<'de>, A::Error> {
        read_fields(self.0, map).map(|row| Slot::Rows(vec![row]))
    }
}

/// A list element: a record, or null (skipped).
struct RowVisitor(&'static [FieldSpec]);

impl<'de> Visitor<'de> for RowVisitor {
    type Value = Option<Node<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    refuse!('de, Option<Node<'de>>; bool, number, str, seq);
    fn visit_unit<E: de::Error>(self) -> Result<Option<Node<'de>>, E> {
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<Node<'de>>, A::Error> {
        read_fields(self.0, map).map(Some)
    }
}

impl<'de> DeserializeSeed<'de> for RowVisitor {
    type Value = Option<Node<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Node<'de>>, D::Error> {
        d.deserialize_any(self)
    }
}

/// The records of a list, each with the given fields; null elements skipped.
pub(crate) fn read_rows<'de, A: SeqAccess<'de>>(fields: &'static [FieldSpec], mut seq: A) -> Result<Vec<Node<'de>>, A::Error> {
    let mut rows = Vec::with_capacity(seq.size_hint().unwrap_or(1).min(16));
    while let Some(row) = seq.next_element_seed(RowVisitor(fields))? {
        rows.extend(row);
    }
    Ok(rows)
}

/// One record: each key found in `fields` is read as its entry says, every other key skipped
/// without looking into it.
fn read_fields<'de, A: MapAccess<'de>>(fields: &'static [FieldSpec], mut map: A) -> Result<Node<'de>, A::Error> {
    let mut slots = vec![Slot::Absent; fields.len()];
    while let Some(key) = map.next_key_seed(TextSeed)? {
        let Slot::Text(key) = key else { return Err(de::Error::custom("a field name is not text")) };
        let found = fields.iter().position(|f| f.name == key);
        match found.and_then(|i| Some((fields.get(i)?, slots.get_mut(i)?))) {
            Some((field, slot)) => {
                if !matches!(slot, Slot::Absent) {
                    return Err(de::Error::duplicate_field(field.name));
                }
                *slot = map.next_value_seed(FieldSeed(field))?;
            }
            None => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(Node { fields, slots })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environment::Provenance;
    use crate::fields::FieldGroup;

    const fn scalar(name: &'static str, row_edge: Option<RowEdge>) -> FieldSpec {
        FieldSpec { name, group: None, required: false, public_only: false, row_edge, children: &[], public: Provenance::Observed, private: Provenance::Observed }
    }

    /// A table the library does not have: the reader knows no field names of its own.
    const ROW: &[FieldSpec] = &[scalar("status", None), scalar("begyndt", Some(RowEdge::Start)), scalar("sluttet", Some(RowEdge::End))];
    const TABLE: &[FieldSpec] = &[
        scalar("nytFelt", None),
        FieldSpec { public: Provenance::Observed, private: Provenance::Observed, name: "nyListe", group: Some(FieldGroup::History), required: false, public_only: false, row_edge: None, children: ROW },
    ];

    fn read<'de, D: Deserializer<'de>>(d: D) -> Vec<Node<'de>> {
        match RowsSeed(TABLE).deserialize(d) {
            Ok(Slot::Rows(rows)) => rows,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_field_in_the_table_is_read_and_its_row_edges_used() {
        let text = r#"{"nytFelt": 7, "ukendt": {"x": [1]}, "nyListe": [{"begyndt": "2001-02-03", "sluttet": "2004-05-06"}, null, {"begyndt": "2004-05-06"}]}"#;
        let rows = read(&mut serde_json::Deserializer::from_str(text));
        let [node] = rows.as_slice() else { panic!("{rows:?}") };
        assert_eq!(node.get("nytFelt").as_deref(), Some("7"));
        assert!(node.is_absent("ukendt"), "not in the table, not read");
        let history = node.rows("nyListe");
        assert_eq!(history.len(), 2, "null rows skipped");
        assert!(!history[0].is_current() && history[1].is_current(), "a row with an end is history");
        assert_eq!(history[0].from().as_deref(), Some("2001-02-03"));
    }

    #[test]
    fn text_is_borrowed_from_json_text_and_owned_from_a_parsed_value() {
        let text = r#"{"nytFelt": "fra teksten"}"#;
        let rows = read(&mut serde_json::Deserializer::from_str(text));
        assert!(matches!(rows[0].slot("nytFelt"), Slot::Text(Cow::Borrowed("fra teksten"))));
        // A parsed value hands over owned strings (`visit_string`) and its objects through
        // `deserialize_any`, as a host's parsed value does.
        let value = serde_json::json!([{"nytFelt": "fra en værdi", "nyListe": {"status": "historisk"}}]);
        let rows = read(value);
        assert!(matches!(rows[0].slot("nytFelt"), Slot::Text(Cow::Owned(t)) if t == "fra en værdi"));
        assert!(!rows[0].rows("nyListe")[0].is_current(), "a single object is a list of one");
    }

    #[test]
    fn wrong_kinds_and_repeats_are_refused_in_serdes_words() {
        for (text, words) in [
            (r#"{"nytFelt": ["Jens"]}"#, "invalid type: a list, expected text"),
            (r#"{"nyListe": "Jens"}"#, "invalid type: text, expected a list of objects"),
            (r#"{"nyListe": ["Jens"]}"#, "invalid type: text, expected an object"),
            (r#"{"nytFelt": "a", "nytFelt": "b"}"#, "duplicate field `nytFelt`"),
        ] {
            let error = RowsSeed(TABLE).deserialize(&mut serde_json::Deserializer::from_str(text)).unwrap_err().to_string();
            assert!(error.starts_with(words), "{text}: {error}");
            assert!(!error.contains("Jens"), "{error}");
        }
    }
}
