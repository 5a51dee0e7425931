//! Reading JSON objects field by field. Only a JSON object is accepted where an object
//! belongs (serde's derived structs would also take an array), unknown fields of any
//! type are skipped, a known field given twice is an error, and every error names the
//! field (and the list index) it is about.

use std::fmt;
use std::io::Read;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::error::Error;

/// The fields of one JSON object the gate reads.
pub(crate) trait Fields: Default {
    /// What the object is, for errors: "job", "build phase".
    const WHAT: &'static str;
    /// Reads the value of `key` into `self`; `Ok(false)` when `key` is not one it reads.
    fn read<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error>;
}

/// A `T` that arrived as a JSON object.
pub(crate) struct Object<T>(pub T);

impl<'de, T: Fields> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ObjectVisitor(PhantomData))
    }
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Fields> Visitor<'de> for ObjectVisitor<T> {
    type Value = Object<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} as a JSON object", T::WHAT)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Object<T>, A::Error> {
        let mut value = T::default();
        let mut read_keys: Vec<String> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if read_keys.contains(&key) {
                return Err(de::Error::custom(format!("duplicate field {key}")));
            }
            if value.read(&key, &mut map)? {
                read_keys.push(key);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Object(value))
    }
}

/// A JSON list of objects; `null` is an empty list. Errors say which element.
pub(crate) struct List<T>(pub Vec<T>);

impl<'de, T: Fields> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ListVisitor(PhantomData))
    }
}

struct ListVisitor<T>(PhantomData<T>);

impl<'de, T: Fields> Visitor<'de> for ListVisitor<T> {
    type Value = List<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a list of {} objects", T::WHAT)
    }
    fn visit_unit<E: de::Error>(self) -> Result<List<T>, E> {
        Ok(List(Vec::new()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<List<T>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        loop {
            let index = items.len();
            let item = seq
                .next_element::<Object<T>>()
                .map_err(|e| de::Error::custom(format!("list[{index}]: {e}")))?;
            match item {
                Some(Object(item)) => items.push(item),
                None => return Ok(List(items)),
            }
        }
    }
}

/// The value of field `name`, its errors prefixed with the name.
pub(crate) fn field<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    name: &str,
) -> Result<T, A::Error> {
    map.next_value::<T>()
        .map_err(|e| de::Error::custom(format!("{name}: {e}")))
}

/// A string or null, whatever the JSON; the gate never reads text from other types.
pub(crate) fn text<'de, A: MapAccess<'de>>(
    map: &mut A,
    name: &str,
) -> Result<Option<String>, A::Error> {
    field(map, name)
}

/// A non-negative integer or null.
pub(crate) fn count<'de, A: MapAccess<'de>>(
    map: &mut A,
    name: &str,
) -> Result<Option<u64>, A::Error> {
    field(map, name)
}

/// Parses one response body as a `T` object; `what` names the response in errors.
pub(crate) fn parse<T: Fields>(reader: impl Read, what: &str) -> Result<T, Error> {
    let reader = std::io::BufReader::with_capacity(64 * 1024, reader);
    match serde_json::from_reader::<_, Object<T>>(reader) {
        Ok(Object(value)) => Ok(value),
        Err(e) => {
            let problem = match e.classify() {
                serde_json::error::Category::Eof => "ends early",
                serde_json::error::Category::Syntax => "is not valid JSON",
                _ => "is not what the API documents",
            };
            Err(Error::Response(format!("the {what} {problem}: {e}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default, Debug)]
    struct Pair {
        name: Option<String>,
        size: Option<u64>,
        items: Vec<Pair>,
    }

    impl Fields for Pair {
        const WHAT: &'static str = "pair";
        fn read<'de, A: MapAccess<'de>>(
            &mut self,
            key: &str,
            map: &mut A,
        ) -> Result<bool, A::Error> {
            match key {
                "name" => self.name = text(map, key)?,
                "size" => self.size = count(map, key)?,
                "items" => self.items = map.next_value::<List<Pair>>()?.0,
                _ => return Ok(false),
            }
            Ok(true)
        }
    }

    fn parse_pair(json: &str) -> Result<Pair, String> {
        parse::<Pair>(json.as_bytes(), "pair response").map_err(|e| e.to_string())
    }

    #[test]
    fn reads_known_fields_and_skips_any_other() {
        let pair = parse_pair(
            r#"{"name":"a","size":3,"x":[1,{"y":null}],"z":"s","items":[{"name":"b"}]}"#,
        )
        .unwrap();
        assert_eq!(pair.name.as_deref(), Some("a"));
        assert_eq!(pair.size, Some(3));
        assert_eq!(pair.items[0].name.as_deref(), Some("b"));
        let pair = parse_pair(r#"{"name":null,"items":null}"#).unwrap();
        assert!(pair.name.is_none() && pair.items.is_empty());
    }

    #[test]
    fn errors_name_the_field_and_index() {
        let cases = [
            (r#"["a",3]"#, "expected pair as a JSON object"),
            (
                r#"{"items":[{"name":"a"},["b"]]}"#,
                "list[1]: invalid type: sequence, expected pair as a JSON object",
            ),
            (
                r#"{"items":[{"name":"a"},null]}"#,
                "list[1]: invalid type: null",
            ),
            (
                r#"{"items":{"name":"a"}}"#,
                "expected a list of pair objects",
            ),
            (
                r#"{"items":[{"name":7}]}"#,
                "list[0]: name: invalid type: integer `7`",
            ),
            (r#"{"name":["a"]}"#, "name: invalid type: sequence"),
            (r#"{"size":-1}"#, "size: invalid value: integer `-1`"),
            (r#"{"size":1e30}"#, "size: invalid type: floating point"),
            (
                r#"{"size":123456789012345678901234567890}"#,
                "size: invalid type: floating point",
            ),
            (r#"{"size":"3"}"#, "size: invalid type: string"),
            (r#"{"name":"a","name":"b"}"#, "duplicate field name"),
            (r#"{"name":"a""#, "the pair response ends early"),
            ("<html>", "the pair response is not valid JSON"),
            (r#"{"name":"a"} x"#, "trailing characters"),
        ];
        for (json, expected) in cases {
            let err = parse_pair(json).unwrap_err();
            assert!(
                err.starts_with("response: the pair response"),
                "{json}: {err}"
            );
            assert!(err.contains(expected), "{json}: {err} lacks {expected}");
        }
    }
}
