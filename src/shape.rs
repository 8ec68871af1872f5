//! Reading JSON text through shape tables: a record type is a static table of its field names
//! and how each is read, and one reader walks them all in one pass, with text borrowed from
//! the input where it needs no unescaping.
//!
//! Used for the CPR answer only (`response.rs`, the hot path of every lookup). A table per
//! record type instead of derived structs keeps one copy of the reading code in the wasm
//! module rather than one per type (and per way of reaching it). Unknown fields are skipped; a field read twice is an error.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::register_date::register_date;

/// How a field is read.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// A scalar read as text: strings as they are (borrowed from the body where possible: this
    /// is the hot path), numbers and booleans written out, null as absent.
    Text,
    /// A list of records, or (leniently) a single record as a list of one; null rows skipped.
    /// A nested object (`One`) is read the same way and its first row used.
    Rows(&'static Shape),
}

/// A record type: its fields, and for history rows the fields that say when the row starts
/// and ends.
#[derive(Debug)]
pub(crate) struct Shape {
    pub(crate) fields: &'static [(&'static str, Kind)],
    pub(crate) from: Option<&'static str>,
    pub(crate) to: &'static str,
}

/// The fields of a shape that are read as text.
macro_rules! texts {
    ($($name:literal),* $(,)?) => { &[$(($name, $crate::shape::Kind::Text)),*] };
}
pub(crate) use texts;


/// One field's value as read.
#[derive(Debug, Clone, Default)]
pub(crate) enum Slot<'a> {
    /// Not in the answer (not selected).
    #[default]
    Absent,
    /// `null`: withheld, or failed.
    Null,
    Text(Cow<'a, str>),
    Rows(Vec<Node<'a>>),
}

/// One record: its shape's fields, by position.
#[derive(Debug, Clone)]
pub(crate) struct Node<'a> {
    pub(crate) shape: &'static Shape,
    slots: Vec<Slot<'a>>,
}

impl<'a> Node<'a> {
    pub(crate) fn slot(&self, name: &str) -> &Slot<'a> {
        match self.shape.fields.iter().position(|(n, _)| *n == name).and_then(|i| self.slots.get(i)) {
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

    // History rows: `status` is `aktuel` for the current row, `historisk` for history.

    pub(crate) fn from(&self) -> Option<String> {
        self.shape.from.and_then(|f| self.date(f))
    }

    pub(crate) fn is_current(&self) -> bool {
        match self.str("status") {
            Some(s) if s.eq_ignore_ascii_case("aktuel") => true,
            Some(s) if s.eq_ignore_ascii_case("historisk") => false,
            _ => self.str(self.shape.to).is_none(),
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

// Reading. Every function below is generic only over serde_json's own reader types, so each
// exists once in the wasm module.

/// A value read as a field of a kind.
pub(crate) struct SlotSeed(pub(crate) Kind);

impl<'de> DeserializeSeed<'de> for SlotSeed {
    type Value = Slot<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Slot<'de>, D::Error> {
        match self.0 {
            Kind::Text => d.deserialize_any(TextVisitor),
            Kind::Rows(shape) => d.deserialize_any(RowsVisitor(shape)),
        }
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

struct RowsVisitor(&'static Shape);

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
struct RowVisitor(&'static Shape);

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

pub(crate) fn read_rows<'de, A: SeqAccess<'de>>(shape: &'static Shape, mut seq: A) -> Result<Vec<Node<'de>>, A::Error> {
    let mut rows = Vec::with_capacity(seq.size_hint().unwrap_or(1).min(16));
    while let Some(row) = seq.next_element_seed(RowVisitor(shape))? {
        rows.extend(row);
    }
    Ok(rows)
}

fn read_fields<'de, A: MapAccess<'de>>(shape: &'static Shape, mut map: A) -> Result<Node<'de>, A::Error> {
    let mut slots = vec![Slot::Absent; shape.fields.len()];
    while let Some(key) = map.next_key_seed(SlotSeed(Kind::Text))? {
        let Slot::Text(key) = key else { return Err(de::Error::custom("a field name is not text")) };
        let found = shape.fields.iter().position(|(n, _)| *n == key);
        match found.and_then(|i| Some((i, shape.fields.get(i)?.1, slots.get_mut(i)?))) {
            Some((i, kind, slot)) => {
                if !matches!(slot, Slot::Absent) {
                    return Err(de::Error::duplicate_field(shape.fields.get(i).map_or("", |f| f.0)));
                }
                *slot = map.next_value_seed(SlotSeed(kind))?;
            }
            None => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(Node { shape, slots })
}

