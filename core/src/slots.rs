//! A JSON object read in one pass into the fields of one schema record (Q8 in
//! docs/protocol.md: keys matched ignoring case and surrounding white space): each value is
//! kept borrowed from the body where it can be, in the slot of the schema field it names, and
//! every key that appears more than once is noted. A callback is read this way on every
//! delivery, so nothing is built that the record does not need: no map of the whole body, no
//! second pass for repeated keys.

use crate::error::FieldError;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

/// The key serde_json's `arbitrary_precision` hands a number's text under (its `Value` reads
/// a JSON number as a one-entry map with this key).
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// One JSON value as the lenient readers see it: scalars kept (text borrowed from the body when
/// it has no escapes), containers only by their type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val<'a> {
    Null,
    Bool(bool),
    /// A number's text as written (exact: never through a float).
    Number(Cow<'a, str>),
    Str(Cow<'a, str>),
    Array,
    Object,
}

impl<'a> Val<'a> {
    /// A borrowed view of a parsed value.
    pub(crate) fn of(v: &'a Value) -> Val<'a> {
        match v {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => Val::Number(Cow::Borrowed(n.as_str())),
            Value::String(s) => Val::Str(Cow::Borrowed(s)),
            Value::Array(_) => Val::Array,
            Value::Object(_) => Val::Object,
        }
    }

    /// The value as `Value` for the readers that take one (containers come back empty: only
    /// their type is ever reported).
    pub(crate) fn to_value(&self) -> Value {
        match self {
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Number(t) => t
                .parse::<serde_json::Number>()
                .map_or(Value::Null, Value::Number),
            Val::Str(s) => Value::String(s.as_ref().to_owned()),
            Val::Array => Value::Array(Vec::new()),
            Val::Object => Value::Object(serde_json::Map::new()),
        }
    }

    /// What kind of JSON value it is, as error messages say it.
    pub(crate) fn json_type(&self) -> &'static str {
        match self {
            Val::Null => "null",
            Val::Bool(_) => "a boolean",
            Val::Number(_) => "a number",
            Val::Str(_) => "a string",
            Val::Array => "an array",
            Val::Object => "an object",
        }
    }

    /// `null`, `""` or white space: what DGA sends for a field that does not apply.
    pub(crate) fn is_blank(&self) -> bool {
        match self {
            Val::Null => true,
            Val::Str(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

/// An enum value as `from_json` reads it (a number by its table, a name, or a digit string;
/// anything else kept or refused as `from_json` says), without building a `Value`.
pub(crate) fn enum_of<T>(
    v: &Val<'_>,
    from_number: fn(i64) -> T,
    from_name: fn(&str) -> T,
    from_json: fn(&Value) -> Result<T, String>,
) -> Result<T, String> {
    match v {
        Val::Number(t) => match t.parse::<i64>() {
            Ok(n) => Ok(from_number(n)),
            Err(_) => from_json(&v.to_value()),
        },
        Val::Str(s) => Ok(from_name(s)),
        other => from_json(&other.to_value()),
    }
}

/// The values of one record's fields found in a JSON object, by the field's index in `names`
/// (the first of repeated keys), and the keys that appeared more than once.
pub(crate) struct Slots<'a, const N: usize> {
    pub(crate) values: [Option<Val<'a>>; N],
    /// Keys seen more than once (compared ignoring case and surrounding spaces), in the order
    /// of their first appearance: a known field by its index, any other key by its first
    /// spelling (trimmed).
    repeated: Vec<(usize, Repeated)>,
}

enum Repeated {
    Known(usize),
    Other(String),
}

impl<'a, const N: usize> Slots<'a, N> {
    fn empty() -> Self {
        Slots {
            values: std::array::from_fn(|_| None),
            repeated: Vec::new(),
        }
    }

    /// The fields of an already parsed object (its keys are distinct as written, so only
    /// spellings differing in case or spaces can repeat; the first one is kept).
    pub(crate) fn of_map(names: &[&str; N], map: &'a serde_json::Map<String, Value>) -> Self {
        let mut slots = Slots::empty();
        for (key, value) in map {
            if let Some(i) = index(names, key)
                && slots.values[i].is_none()
            {
                slots.values[i] = Some(Val::of(value));
            }
        }
        slots
    }

    /// An error for every key that appears more than once: an ambiguous body must not be read
    /// one way by us and another way by someone else. A field is named as in `names`.
    pub(crate) fn repeated_errors(&self, names: &[&str; N]) -> Vec<FieldError> {
        self.repeated
            .iter()
            .map(|(_, r)| {
                let name = match r {
                    Repeated::Known(i) => names[*i],
                    Repeated::Other(raw) => raw.as_str(),
                };
                FieldError::new(
                    name,
                    "appears more than once (keys are compared ignoring case and spaces)",
                )
            })
            .collect()
    }
}

/// The index of the field `key` names (trimmed, ignoring ASCII case).
fn index<const N: usize>(names: &[&str; N], key: &str) -> Option<usize> {
    let key = key.trim();
    names.iter().position(|n| n.eq_ignore_ascii_case(key))
}

/// Why a body could not be read in one pass.
pub(crate) enum ReadError {
    /// Not JSON: serde_json's error, with its line and column.
    Json(serde_json::Error),
    /// Not a plain JSON object (another JSON value, or a body this reader leaves to
    /// serde_json's `Value`, such as one that is not UTF-8): the caller reads it that way.
    NotAnObject,
}

/// Reads a JSON object's members into the slots of `names` in one pass. A body that is not
/// an object (or not UTF-8) is `NotAnObject`, so the caller can say what it is.
pub(crate) fn read<'a, const N: usize>(
    names: &[&str; N],
    body: &'a [u8],
) -> Result<Slots<'a, N>, ReadError> {
    let Ok(text) = std::str::from_utf8(body) else {
        return Err(ReadError::NotAnObject);
    };
    if !text
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .starts_with('{')
    {
        return Err(ReadError::NotAnObject);
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let slots = match de.deserialize_any(ObjectVisitor { names }) {
        Ok(Some(slots)) => slots,
        Ok(None) => return Err(ReadError::NotAnObject),
        Err(e) => return Err(ReadError::Json(e)),
    };
    de.end().map_err(ReadError::Json)?;
    Ok(slots)
}

struct ObjectVisitor<'n, const N: usize> {
    names: &'n [&'n str; N],
}

impl<'de, const N: usize> Visitor<'de> for ObjectVisitor<'_, N> {
    /// `None`: the object is one of serde_json's number stand-ins (see `NUMBER_TOKEN`).
    type Value = Option<Slots<'de, N>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut slots = Slots::empty();
        // Per known field: how many times seen and where first; other keys likewise, by
        // their normalized form (only allocated when a body has keys outside the record).
        let mut seen = [(0usize, 0usize); N];
        let mut others: HashMap<String, (String, usize, usize)> = HashMap::new();
        let mut position = 0usize;
        while let Some(key) = map.next_key_seed(Text)? {
            if position == 0 && key == NUMBER_TOKEN {
                map.next_value::<IgnoredAny>()?;
                return Ok(None);
            }
            let value = map.next_value_seed(ValSeed)?;
            match index(self.names, &key) {
                Some(i) => {
                    if seen[i].0 == 0 {
                        seen[i].1 = position;
                        slots.values[i] = Some(value);
                    }
                    seen[i].0 += 1;
                }
                None => {
                    let trimmed = key.trim();
                    others
                        .entry(trimmed.to_ascii_lowercase())
                        .or_insert_with(|| (trimmed.to_owned(), position, 0))
                        .2 += 1;
                }
            }
            position += 1;
        }
        for (i, (count, first)) in seen.iter().enumerate() {
            if *count > 1 {
                slots.repeated.push((*first, Repeated::Known(i)));
            }
        }
        for (raw, first, count) in others.into_values() {
            if count > 1 {
                slots.repeated.push((first, Repeated::Other(raw)));
            }
        }
        slots.repeated.sort_by_key(|(first, _)| *first);
        Ok(Some(slots))
    }
}

/// A status answer's envelope read in one pass: `status`, `message` and `data`'s status
/// fields, each taken as serde_json's map would give it (a key written twice keeps its last
/// value; of two spellings differing in case or spaces, the first written wins), so the result
/// is the one reading the answer as a `Value` gives. `None` for anything else (not UTF-8, not
/// an object, `data` not an object): the caller reads those as a `Value`.
pub(crate) struct StatusAnswer<'a> {
    pub(crate) status: Option<Val<'a>>,
    pub(crate) message: Option<Val<'a>>,
    pub(crate) data: Option<Slots<'a, STATUS_FIELDS>>,
}

const STATUS_FIELDS: usize = crate::model::CALLBACK_FIELDS.len();
const ENVELOPE: [&str; 3] = ["status", "message", "data"];

pub(crate) fn read_status_answer(body: &[u8]) -> Option<StatusAnswer<'_>> {
    let text = std::str::from_utf8(body).ok()?;
    if !text
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .starts_with('{')
    {
        return None;
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let answer = de.deserialize_any(EnvelopeVisitor).ok()??;
    de.end().ok()?;
    Some(answer)
}

struct EnvelopeVisitor;

impl<'de> Visitor<'de> for EnvelopeVisitor {
    /// `None`: a number's stand-in (see `NUMBER_TOKEN`).
    type Value = Option<StatusAnswer<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // Each with the key it was read under: only the same key written again replaces it.
        let mut status: Option<(Cow<'de, str>, Val<'de>)> = None;
        let mut message: Option<(Cow<'de, str>, Val<'de>)> = None;
        let mut data: Option<(Cow<'de, str>, Option<Slots<'de, STATUS_FIELDS>>)> = None;
        fn keep<'de, T>(slot: &mut Option<(Cow<'de, str>, T)>, key: Cow<'de, str>, value: T) {
            match slot {
                Some((raw, _)) if *raw != key => {}
                _ => *slot = Some((key, value)),
            }
        }
        let mut first = true;
        while let Some(key) = map.next_key_seed(Text)? {
            if first && key == NUMBER_TOKEN {
                map.next_value::<IgnoredAny>()?;
                return Ok(None);
            }
            first = false;
            match ENVELOPE
                .iter()
                .position(|n| n.eq_ignore_ascii_case(key.trim()))
            {
                Some(0) => keep(&mut status, key, map.next_value_seed(ValSeed)?),
                Some(1) => keep(&mut message, key, map.next_value_seed(ValSeed)?),
                Some(_) => keep(&mut data, key, map.next_value_seed(DataSeed)?),
                None => {
                    map.next_value_seed(ValSeed)?;
                }
            }
        }
        Ok(Some(StatusAnswer {
            status: status.map(|(_, v)| v),
            message: message.map(|(_, v)| v),
            data: data.and_then(|(_, d)| d),
        }))
    }
}

/// `data`: its status fields when it is an object, else `None`.
struct DataSeed;

impl<'de> DeserializeSeed<'de> for DataSeed {
    type Value = Option<Slots<'de, STATUS_FIELDS>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DataSeed {
    type Value = Option<Slots<'de, STATUS_FIELDS>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        ValSeed.visit_seq(seq).map(|_| None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let names = &crate::model::CALLBACK_FIELDS;
        let mut slots = Slots::empty();
        let mut raws: [Option<Cow<'de, str>>; STATUS_FIELDS] = std::array::from_fn(|_| None);
        let mut first = true;
        while let Some(key) = map.next_key_seed(Text)? {
            if first && key == NUMBER_TOKEN {
                // As serde_json's `Value` reads it: a number, not an object.
                let text: String = map.next_value()?;
                text.parse::<serde_json::Number>()
                    .map_err(de::Error::custom)?;
                return Ok(None);
            }
            first = false;
            let value = map.next_value_seed(ValSeed)?;
            if let Some(i) = index(names, &key) {
                match &raws[i] {
                    Some(raw) if *raw != key => {}
                    _ => {
                        slots.values[i] = Some(value);
                        raws[i] = Some(key);
                    }
                }
            }
        }
        Ok(Some(slots))
    }
}

/// A string, borrowed from the body when it has no escapes.
struct Text;

impl<'de> DeserializeSeed<'de> for Text {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Text {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(s))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s))
    }
}

/// One member's value. Containers are read through `Value`, so their nesting counts toward
/// serde_json's depth limit exactly as when the whole body is read as a `Value`.
struct ValSeed;

impl<'de> DeserializeSeed<'de> for ValSeed {
    type Value = Val<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValSeed {
    type Value = Val<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Val::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Val::Null)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Self::Value, E> {
        Ok(Val::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
        Ok(Val::Number(Cow::Owned(n.to_string())))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
        Ok(Val::Number(Cow::Owned(n.to_string())))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(n)
            .map_or(Val::Null, |n| Val::Number(Cow::Owned(n.to_string()))))
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Val::Str(Cow::Borrowed(s)))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Val::Str(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
        Ok(Val::Str(Cow::Owned(s)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<Value>()?.is_some() {}
        Ok(Val::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let Some(first) = map.next_key_seed(Text)? else {
            return Ok(Val::Object);
        };
        if first == NUMBER_TOKEN {
            // As serde_json's `Value` reads it: the number's text, checked as a number.
            let text: String = map.next_value()?;
            text.parse::<serde_json::Number>()
                .map_err(de::Error::custom)?;
            return Ok(Val::Number(Cow::Owned(text)));
        }
        map.next_value::<Value>()?;
        while map.next_entry::<IgnoredKey, Value>()?.is_some() {}
        Ok(Val::Object)
    }
}

/// A nested object's key, read and dropped.
struct IgnoredKey;

impl<'de> de::Deserialize<'de> for IgnoredKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Text.deserialize(d).map(|_| IgnoredKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 3] = ["paidStatus", "amount", "ref1"];

    fn slots(body: &str) -> Slots<'_, 3> {
        match read(&NAMES, body.as_bytes()) {
            Ok(s) => s,
            Err(ReadError::Json(e)) => panic!("{e}"),
            Err(ReadError::NotAnObject) => panic!("not an object"),
        }
    }

    #[test]
    fn keys_match_ignoring_case_and_spaces_and_values_stay_exact() {
        let s =
            slots(r#"{" PaidStatus ": 1, "AMOUNT": 1000.50, "x": [1, {"a": 2}], "ref1": "a\"b"}"#);
        assert_eq!(s.values[0], Some(Val::Number("1".into())));
        assert_eq!(s.values[1], Some(Val::Number("1000.50".into())));
        assert_eq!(s.values[2], Some(Val::Str("a\"b".into())));
        assert!(s.repeated_errors(&NAMES).is_empty());
    }

    #[test]
    fn repeated_keys_are_named_in_order_of_first_appearance() {
        let s = slots(r#"{" X ": 1, "amount": 1, "x": 2, "Amount ": 3}"#);
        let names: Vec<String> = s
            .repeated_errors(&NAMES)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(names, ["X", "amount"]);
        assert_eq!(
            s.values[1],
            Some(Val::Number("1".into())),
            "the first is kept"
        );
    }

    #[test]
    fn other_values_are_left_to_the_caller() {
        for body in ["[1]", "\"x\"", "1", "null", "", "  ", "\u{feff}{}"] {
            assert!(
                matches!(read(&NAMES, body.as_bytes()), Err(ReadError::NotAnObject)),
                "{body}"
            );
        }
        assert!(matches!(
            read(&NAMES, b"{\"a\": \xff}"),
            Err(ReadError::NotAnObject)
        ));
        assert!(matches!(
            read(&NAMES, b"{\"a\": 1,}"),
            Err(ReadError::Json(_))
        ));
        let deep = format!("{{\"a\": {}{}}}", "[".repeat(200), "]".repeat(200));
        assert!(matches!(
            read(&NAMES, deep.as_bytes()),
            Err(ReadError::Json(_))
        ));
    }
}
