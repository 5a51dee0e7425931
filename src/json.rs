//! The one strict JSON reader every parser uses. Only a JSON object is accepted where an
//! object belongs (serde's derived structs would also take an array), a key the parser
//! reads may come only once (escaped spellings of it included: two `build_state`s would
//! let the gate and another reader see different builds), any other key is skipped
//! unread, and every error names the field and the list index it is about.
//!
//! Strings are borrowed from the input where they have no escapes, so a 10,000-build
//! list is read without copying its states.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::error::Error;

/// The fields of one JSON object a parser reads, each a `Slot`.
pub trait Fields<'de> {
    /// What the object is, after "expected" in errors: "a build object".
    const WHAT: &'static str;
    /// Reads the value of `key` into its slot when it is a field this object reads;
    /// `Ok(false)` for any other key, whose value is then skipped unread.
    fn read<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error>;
}

/// One field of an object being read: absent, or read once. Only the readers of this
/// module fill a slot, and a second copy of its field is an error, so no parser can
/// forget the check.
#[derive(Debug)]
pub struct Slot<T>(Option<T>);

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot(None)
    }
}

impl<T> Slot<T> {
    /// The value read; `None` when the field was absent.
    pub fn get(self) -> Option<T> {
        self.0
    }

    pub fn peek(&self) -> Option<&T> {
        self.0.as_ref()
    }

    fn fill<E: de::Error>(&mut self, key: &str, value: T) -> Result<(), E> {
        match self.0.replace(value) {
            None => Ok(()),
            Some(_) => Err(E::custom(format!("duplicate field `{key}`"))),
        }
    }
}

impl<T> Slot<Option<T>> {
    /// The value read; `None` when the field was absent or null.
    pub fn value(self) -> Option<T> {
        self.0.flatten()
    }
}

/// What a response is, for the errors of `parse`: "the {name} is not {expected}".
#[derive(Debug, Clone, Copy)]
pub struct Named {
    pub name: &'static str,
    pub expected: &'static str,
}

/// Parses `bytes` as the object `value` starts as. Not UTF-8, not JSON, not the object
/// or trailing text after it: a `response` error naming `what`.
pub fn parse<'de, T: Fields<'de>>(bytes: &'de [u8], value: T, what: Named) -> Result<T, Error> {
    // Checked once, in one pass, so the parser skips the check per string.
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Error::Response(format!(
            "the {} is not valid JSON: it is not UTF-8 (byte {})",
            what.name,
            e.valid_up_to()
        ))
    })?;
    let mut parser = serde_json::Deserializer::from_str(text);
    ObjectSeed(value)
        .deserialize(&mut parser)
        .and_then(|value| parser.end().map(|()| value))
        .map_err(|e| {
            let problem = match e.classify() {
                serde_json::error::Category::Eof => "JSON ends early".to_string(),
                serde_json::error::Category::Syntax => "is not valid JSON".to_string(),
                _ => format!("is not {}", what.expected),
            };
            Error::Response(format!("the {} {problem}: {e}", what.name))
        })
}

/// A `T` read from a JSON object, starting from `T::default()`.
struct Object<T>(T);

impl<'de, T: Fields<'de> + Default> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ObjectSeed(T::default())
            .deserialize(deserializer)
            .map(Object)
    }
}

/// Reads an object into the value it holds.
struct ObjectSeed<T>(T);

impl<'de, T: Fields<'de>> DeserializeSeed<'de> for ObjectSeed<T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, T: Fields<'de>> Visitor<'de> for ObjectSeed<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(T::WHAT)
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<T, A::Error> {
        // A key spelled with escapes is unescaped into this; any other is borrowed.
        let mut escaped = String::new();
        while let Some(key) = map.next_key_seed(KeySeed(&mut escaped))? {
            let key = key.unwrap_or(&escaped);
            if !self.0.read(key, &mut map)? {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(self.0)
    }
}

/// A key: borrowed from the input, or `None` when it had escapes and was unescaped into
/// the string given (`"na\u006de"` is `name`).
struct KeySeed<'s>(&'s mut String);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<&'de str>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Option<&'de str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<Self::Value, E> {
        Ok(Some(key))
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        self.0.clear();
        self.0.push_str(key);
        Ok(None)
    }
}

/// The value of field `key` into `slot`, its errors as the value's type words them.
pub fn value<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    slot: &mut Slot<T>,
    map: &mut A,
    key: &str,
) -> Result<(), A::Error> {
    let value = map.next_value::<T>()?;
    slot.fill(key, value)
}

/// The value of field `key`, its errors prefixed with the key.
fn named<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    key: &str,
) -> Result<T, A::Error> {
    map.next_value::<T>()
        .map_err(|e| de::Error::custom(format!("{key}: {e}")))
}

/// A string or null, borrowed from the input when it has no escapes; the gate never reads
/// text from other types.
pub fn text<'de, A: MapAccess<'de>>(
    slot: &mut Slot<Option<Cow<'de, str>>>,
    map: &mut A,
    key: &str,
) -> Result<(), A::Error> {
    let text: Text = named(map, key)?;
    slot.fill(key, text.0)
}

/// A non-negative integer or null.
pub fn count<'de, A: MapAccess<'de>>(
    slot: &mut Slot<Option<u64>>,
    map: &mut A,
    key: &str,
) -> Result<(), A::Error> {
    let count = named(map, key)?;
    slot.fill(key, count)
}

/// The object in field `key`, read as a `T` with the same rules (objects only, each key
/// once); `null` is `None`. For answers that nest (CodeArts Build's `result`, `error`).
pub fn object<'de, A, T>(slot: &mut Slot<Option<T>>, map: &mut A, key: &str) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    T: Fields<'de> + Default,
{
    let object: Option<Object<T>> = named(map, key)?;
    slot.fill(key, object.map(|Object(value)| value))
}

/// A string or null, borrowed from the input when it has no escapes.
struct Text<'a>(Option<Cow<'a, str>>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

/// The list in field `key`: objects only, each turned into a `U` by `each` (told its
/// index) as it is read; `null` is an empty list. Room is made for `capacity` items up
/// front. An item that is no `T` object is an error naming `key[index]`; `each`'s errors
/// name their place themselves.
pub fn list<'de, A, T, U>(
    slot: &mut Slot<Vec<U>>,
    map: &mut A,
    key: &str,
    capacity: usize,
    each: impl FnMut(usize, T) -> Result<U, String>,
) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    T: Fields<'de> + Default,
{
    let items = map.next_value_seed(ListSeed {
        key,
        capacity,
        each,
        item: PhantomData,
    })?;
    slot.fill(key, items)
}

struct ListSeed<'k, T, F> {
    key: &'k str,
    capacity: usize,
    each: F,
    item: PhantomData<fn() -> T>,
}

impl<'de, T, U, F> DeserializeSeed<'de> for ListSeed<'_, T, F>
where
    T: Fields<'de> + Default,
    F: FnMut(usize, T) -> Result<U, String>,
{
    type Value = Vec<U>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<U>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, T, U, F> Visitor<'de> for ListSeed<'_, T, F>
where
    T: Fields<'de> + Default,
    F: FnMut(usize, T) -> Result<U, String>,
{
    type Value = Vec<U>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON list")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Vec<U>, E> {
        Ok(Vec::new())
    }
    fn visit_seq<S: SeqAccess<'de>>(mut self, mut seq: S) -> Result<Vec<U>, S::Error> {
        let mut items = Vec::with_capacity(self.capacity);
        loop {
            let index = items.len();
            let key = self.key;
            let item = seq
                .next_element::<Object<T>>()
                .map_err(|e| de::Error::custom(format!("{key}[{index}]: {e}")))?;
            match item {
                Some(Object(item)) => {
                    items.push((self.each)(index, item).map_err(de::Error::custom)?)
                }
                None => return Ok(items),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default, Debug)]
    struct Pair<'a> {
        name: Slot<Option<Cow<'a, str>>>,
        size: Slot<Option<u64>>,
        items: Slot<Vec<Pair<'a>>>,
    }

    impl<'de> Fields<'de> for Pair<'de> {
        const WHAT: &'static str = "a pair object";
        fn read<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
            match key {
                "name" => text(&mut self.name, map, key)?,
                "size" => count(&mut self.size, map, key)?,
                "items" => list(&mut self.items, map, key, 0, |_, pair: Pair| Ok(pair))?,
                _ => return Ok(false),
            }
            Ok(true)
        }
    }

    impl Pair<'_> {
        fn name(self) -> Option<String> {
            self.name.value().map(Cow::into_owned)
        }
    }

    const PAIR: Named = Named {
        name: "pair response",
        expected: "a pair",
    };

    fn parse_pair(json: &str) -> Result<Pair<'_>, String> {
        parse(json.as_bytes(), Pair::default(), PAIR).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_known_fields_and_skips_any_other() {
        let pair = parse_pair(
            r#"{"name":"a","size":3,"x":[1,{"y":null}],"z":"s","items":[{"name":"b"}]}"#,
        )
        .unwrap();
        assert_eq!(pair.size.peek(), Some(&Some(3)));
        let items = pair.items.get().unwrap();
        assert_eq!(
            items.into_iter().map(Pair::name).collect::<Vec<_>>(),
            [Some("b".into())]
        );
        let pair = parse_pair(r#"{"name":"a","size":null,"items":null}"#).unwrap();
        assert_eq!(pair.size.peek(), Some(&None));
        assert_eq!(pair.name(), Some("a".into()));
        let pair = parse_pair(r#"{"name":null}"#).unwrap();
        assert!(pair.items.peek().is_none() && pair.name().is_none());
        let pair = parse_pair(r#"{"na\u006de":"escaped key"}"#).unwrap();
        assert_eq!(pair.name(), Some("escaped key".into()));
    }

    #[test]
    fn errors_name_the_field_and_index() {
        let cases = [
            (
                r#"["a",3]"#,
                "the pair response is not a pair: invalid type: sequence, expected a pair object",
            ),
            (
                r#"{"items":[{"name":"a"},["b"]]}"#,
                "items[1]: invalid type: sequence, expected a pair object",
            ),
            (
                r#"{"items":[{"name":"a"},null]}"#,
                "items[1]: invalid type: null",
            ),
            (
                r#"{"items":{"name":"a"}}"#,
                "invalid type: map, expected a JSON list",
            ),
            (
                r#"{"items":[{"name":7}]}"#,
                "items[0]: name: invalid type: integer `7`",
            ),
            (r#"{"name":["a"]}"#, "name: invalid type: sequence"),
            (r#"{"size":-1}"#, "size: invalid value: integer `-1`"),
            (r#"{"size":1e30}"#, "size: invalid type: floating point"),
            (
                r#"{"size":123456789012345678901234567890}"#,
                "size: invalid type: floating point",
            ),
            (r#"{"size":"3"}"#, "size: invalid type: string"),
            (r#"{"name":"a","name":"b"}"#, "duplicate field `name`"),
            (r#"{"name":"a","na\u006de":"b"}"#, "duplicate field `name`"),
            (r#"{"name":null,"name":"b"}"#, "duplicate field `name`"),
            (r#"{"size":null,"size":null}"#, "duplicate field `size`"),
            (r#"{"items":[],"items":[]}"#, "duplicate field `items`"),
            (r#"{"name":"a""#, "the pair response JSON ends early"),
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
        assert!(parse_pair("{\"name\":\"\u{e9}\"}").is_ok());
        let err = parse(b"{\"name\":\"\xff\"}", Pair::default(), PAIR).unwrap_err();
        assert_eq!(
            err.to_string(),
            "response: the pair response is not valid JSON: it is not UTF-8 (byte 9)"
        );
    }

    #[test]
    fn nested_objects_are_read_with_the_same_rules() {
        #[derive(Default, Debug)]
        struct Outer<'a>(Slot<Option<Pair<'a>>>);
        impl<'de> Fields<'de> for Outer<'de> {
            const WHAT: &'static str = "an outer object";
            fn read<A: MapAccess<'de>>(
                &mut self,
                key: &str,
                map: &mut A,
            ) -> Result<bool, A::Error> {
                if key != "inner" {
                    return Ok(false);
                }
                object(&mut self.0, map, key)?;
                Ok(true)
            }
        }
        let named = Named {
            name: "outer",
            expected: "an outer object",
        };
        let outer = parse(br#"{"inner":{"name":"a","x":1}}"#, Outer::default(), named);
        let inner = outer.unwrap().0.get().flatten().unwrap();
        assert_eq!(inner.name(), Some("a".into()));
        let outer = parse(br#"{"inner":null}"#, Outer::default(), named).unwrap();
        assert!(matches!(outer.0.get(), Some(None)));
        let cases = [
            (
                &br#"{"inner":["a"]}"#[..],
                "inner: invalid type: sequence, expected a pair object",
            ),
            (
                br#"{"inner":{"name":"a","name":"b"}}"#,
                "duplicate field `name`",
            ),
            (br#"{"inner":{},"inner":{}}"#, "duplicate field `inner`"),
        ];
        for (json, expected) in cases {
            let err = parse(json, Outer::default(), named)
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{err}");
        }
    }

    #[test]
    fn list_items_are_converted_with_their_index() {
        #[derive(Default, Debug)]
        struct Names(Slot<Vec<String>>);
        impl<'de> Fields<'de> for Names {
            const WHAT: &'static str = "a names object";
            fn read<A: MapAccess<'de>>(
                &mut self,
                key: &str,
                map: &mut A,
            ) -> Result<bool, A::Error> {
                if key != "list" {
                    return Ok(false);
                }
                list(&mut self.0, map, key, 4, |index, pair: Pair| {
                    pair.name()
                        .ok_or_else(|| format!("list[{index}] has no name"))
                })?;
                Ok(true)
            }
        }
        let named = Named {
            name: "names",
            expected: "names",
        };
        let names = parse(
            br#"{"list":[{"name":"a"},{"name":"b"}]}"#,
            Names::default(),
            named,
        );
        assert_eq!(names.unwrap().0.get().unwrap(), ["a", "b"]);
        let err = parse(br#"{"list":[{"name":"a"},{}]}"#, Names::default(), named).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("list[1] has no name at line 1 column 25"),
            "{err}"
        );
    }
}
