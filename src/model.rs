//! The API's build list, parsed strictly: a build the rules cannot trust is an error
//! that names the field and the build's index, never a silently skipped entry.

use std::borrow::Cow;
use std::fmt;
use std::io::Read;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

use crate::error::Error;

/// The state of a build. Only the first four are terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Successful,
    Failed,
    Timeout,
    Cancel,
    /// Anything else the API reports (`Building`, `Queuing`, ...): not finished yet.
    Unfinished(String),
}

impl State {
    /// Reads an API state, case-insensitively.
    pub fn parse(raw: &str) -> State {
        Self::parse_terminal(raw).unwrap_or_else(|| State::Unfinished(raw.to_string()))
    }

    /// One of the four terminal states, case-insensitively; `None` for anything else.
    pub fn parse_terminal(raw: &str) -> Option<State> {
        let raw = raw.trim();
        // One comparison per build, not four: this runs for every build of long lists.
        let candidate = match raw.as_bytes().first()?.to_ascii_lowercase() {
            b's' => State::Successful,
            b'f' => State::Failed,
            b't' => State::Timeout,
            b'c' => State::Cancel,
            _ => return None,
        };
        candidate
            .name()
            .eq_ignore_ascii_case(raw)
            .then_some(candidate)
    }

    pub fn name(&self) -> &str {
        match self {
            State::Successful => "Successful",
            State::Failed => "Failed",
            State::Timeout => "Timeout",
            State::Cancel => "Cancel",
            State::Unfinished(raw) => raw,
        }
    }

    pub fn is_finished(&self) -> bool {
        !matches!(self, State::Unfinished(_))
    }

    /// Failed and Timeout count against the success rate and make failure streaks.
    pub fn is_failure(&self) -> bool {
        matches!(self, State::Failed | State::Timeout)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            State::Unfinished(raw) => write!(f, "unfinished({raw})"),
            terminal => f.write_str(terminal.name()),
        }
    }
}

/// One build of the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Build {
    pub id: String,
    pub state: State,
    /// Seconds. Only an unfinished build may lack it.
    pub duration: Option<u64>,
}

/// One page of `GET /assembling/v1/jobs/{job_id}/builds`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Page {
    pub total: Option<u64>,
    pub finished: Option<u64>,
    pub successful: Option<u64>,
    /// Newest first. `"list": null` or no list at all is an empty page.
    #[serde(default, rename = "list", deserialize_with = "builds")]
    pub builds: Vec<Build>,
}

/// Parses one page from a reader, without holding the whole body as a string.
pub fn parse_page(reader: impl Read) -> Result<Page, serde_json::Error> {
    serde_json::from_reader(std::io::BufReader::with_capacity(64 * 1024, reader))
}

/// Parses one page from bytes already in memory (a saved response).
pub fn parse_page_slice(bytes: &[u8]) -> Result<Page, Error> {
    serde_json::from_slice(bytes).map_err(|e| response_error(&e))
}

/// Describes a JSON error as a `response` error.
pub fn response_error(err: &serde_json::Error) -> Error {
    let what = match err.classify() {
        serde_json::error::Category::Eof => "the response JSON ends early",
        serde_json::error::Category::Syntax => "the response is not valid JSON",
        _ => "the response is not a build list",
    };
    Error::Response(format!("{what}: {err}"))
}

/// The fields of a build as they arrive, checked by `into_build`. Strings are borrowed
/// from the input where they can be, so only the id is ever copied.
#[derive(Deserialize)]
struct RawBuild<'a> {
    #[serde(default, borrow, deserialize_with = "text")]
    build_id: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "text")]
    build_state: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "duration")]
    duration: Option<u64>,
}

impl RawBuild<'_> {
    fn into_build(self, index: usize) -> Result<Build, String> {
        let id = match self.build_id {
            Some(id) if !id.trim().is_empty() => id.into_owned(),
            Some(_) => return Err(format!("list[{index}].build_id is empty")),
            None => return Err(format!("list[{index}] has no build_id")),
        };
        let state = match self.build_state {
            Some(raw) if !raw.trim().is_empty() => State::parse(&raw),
            _ => return Err(format!("list[{index}] (build {id}) has no build_state")),
        };
        if state.is_finished() && self.duration.is_none() {
            return Err(format!(
                "list[{index}] (build {id}) is {state} but has no duration"
            ));
        }
        Ok(Build {
            id,
            state,
            duration: self.duration,
        })
    }
}

fn builds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Build>, D::Error> {
    struct BuildsVisitor;
    impl<'de> Visitor<'de> for BuildsVisitor {
        type Value = Vec<Build>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of builds")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Vec<Build>, E> {
            Ok(Vec::new())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Build>, A::Error> {
            let mut builds = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
            loop {
                let index = builds.len();
                let raw = seq
                    .next_element::<RawBuild<'de>>()
                    .map_err(|e| de::Error::custom(format!("list[{index}]: {e}")))?;
                match raw {
                    Some(raw) => builds.push(raw.into_build(index).map_err(de::Error::custom)?),
                    None => return Ok(builds),
                }
            }
        }
    }
    deserializer.deserialize_any(BuildsVisitor)
}

/// A string, borrowed from the input when it has no escapes (serde borrows only fields
/// typed exactly `Cow`, not `Option<Cow>`).
fn text<'de: 'a, 'a, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Cow<'a, str>>, D::Error> {
    struct TextVisitor;
    impl<'de> Visitor<'de> for TextVisitor {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Borrowed(v)))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_string())))
        }
    }
    deserializer.deserialize_any(TextVisitor)
}

fn duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    struct DurationVisitor;
    impl Visitor<'_> for DurationVisitor {
        type Value = Option<u64>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("duration as a non-negative integer number of seconds")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Option<u64>, E> {
            Ok(None)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<u64>, E> {
            Ok(Some(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<u64>, E> {
            u64::try_from(v).map(Some).map_err(|_| {
                E::custom(format!(
                    "duration {v} is negative (expected a non-negative integer of seconds)"
                ))
            })
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Option<u64>, E> {
            Err(E::custom(format!(
                "duration {v} is not an integer (expected whole seconds)"
            )))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<u64>, E> {
            Err(E::custom(format!(
                "duration {v:?} is a string (expected a non-negative integer of seconds)"
            )))
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Option<u64>, E> {
            Err(E::custom(format!(
                "duration {v} is not a number (expected a non-negative integer of seconds)"
            )))
        }
    }
    deserializer.deserialize_any(DurationVisitor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Page, String> {
        parse_page_slice(json.as_bytes()).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_a_page_and_ignores_unknown_fields() {
        let page = parse(
            r#"{"total":2,"page":1,"per_page":10,"finished":2,"successful":1,"extra":{"x":1},
                "list":[{"build_id":"b2","build_state":"failed","duration":30,"creator":"me"},
                        {"build_id":"b1","build_state":"Successful","duration":20}]}"#,
        )
        .unwrap();
        assert_eq!(page.total, Some(2));
        assert_eq!(page.builds.len(), 2);
        assert_eq!(page.builds[0].state, State::Failed);
        assert_eq!(page.builds[1].duration, Some(20));
    }

    #[test]
    fn null_or_missing_list_is_empty() {
        assert!(parse(r#"{"list":null}"#).unwrap().builds.is_empty());
        assert!(parse(r#"{"total":0}"#).unwrap().builds.is_empty());
    }

    #[test]
    fn unfinished_states_keep_their_name_and_may_lack_duration() {
        let page = parse(
            r#"{"list":[{"build_id":"a","build_state":"Building"},
                        {"build_id":"b","build_state":"Queuing","duration":null}]}"#,
        )
        .unwrap();
        assert_eq!(page.builds[0].state, State::Unfinished("Building".into()));
        assert_eq!(page.builds[0].state.to_string(), "unfinished(Building)");
        assert_eq!(page.builds[1].duration, None);
    }

    #[test]
    fn bad_builds_name_the_field_and_index() {
        let cases = [
            (
                r#"{"list":[{"build_state":"Failed","duration":1}]}"#,
                "list[0] has no build_id",
            ),
            (
                r#"{"list":[{"build_id":"a","build_state":"Failed","duration":1},{"build_id":"b","duration":1}]}"#,
                "list[1] (build b) has no build_state",
            ),
            (
                r#"{"list":[{"build_id":"a","build_state":"Failed","duration":-5}]}"#,
                "list[0]: duration -5 is negative",
            ),
            (
                r#"{"list":[{"build_id":"a","build_state":"Failed","duration":1.5}]}"#,
                "list[0]: duration 1.5 is not an integer",
            ),
            (
                r#"{"list":[{"build_id":"a","build_state":"Failed","duration":"10"}]}"#,
                "list[0]: duration \"10\" is a string",
            ),
            (
                r#"{"list":[{"build_id":"a","build_state":"Failed"}]}"#,
                "list[0] (build a) is Failed but has no duration",
            ),
            (
                r#"{"list":[{"build_id":7,"build_state":"Failed","duration":1}]}"#,
                "list[0]: invalid type: integer `7`",
            ),
            (
                r#"{"list":[{"build_id":"","build_state":"Failed","duration":1}]}"#,
                "list[0].build_id is empty",
            ),
            (r#"{"list":{"a":1}}"#, "expected a list of builds"),
            (
                r#"{"total":"many","list":[]}"#,
                "invalid type: string \"many\"",
            ),
            (
                r#"{"list":[{"build_id":"a","build_state":"Failed","duration":1}"#,
                "list[1]: EOF while parsing",
            ),
            (r#"{"total":3,"list":[]"#, "the response JSON ends early"),
            (
                "<html>502 Bad Gateway</html>",
                "the response is not valid JSON",
            ),
            ("[]", "the response is not a build list"),
        ];
        for (json, expected) in cases {
            let err = parse(json).unwrap_err();
            assert!(err.starts_with("response: "), "{json}: {err}");
            assert!(err.contains(expected), "{json}: {err} lacks {expected}");
        }
    }

    #[test]
    fn terminal_states_are_case_insensitive() {
        assert_eq!(State::parse("SUCCESSFUL"), State::Successful);
        assert_eq!(State::parse("cancel"), State::Cancel);
        assert_eq!(State::parse("timeout"), State::Timeout);
        assert!(!State::parse("Pushing").is_finished());
    }
}
