//! One page of the build list, `GET /assembling/v1/jobs/{job_id}/builds`:
//! `{"total", "finished", "successful", "list": [{"build_id", "build_state", "duration"}]}`,
//! parsed strictly: a build the rules cannot trust is an error that names the field and
//! the build's index, never a silently skipped entry. A saved response (`--input`) is
//! read the same way.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::backend::Page;
use crate::error::Error;
use crate::json::{self, Fields, Named, Slot};
use crate::model::{Build, Progress, State};
use crate::text::checked;

const RESPONSE: Named = Named {
    name: "response",
    expected: "a build list",
};

/// Parses one page from bytes in memory (a response body, a saved response).
pub fn parse_page(bytes: &[u8]) -> Result<Page, Error> {
    // The list cannot hold more builds than the shortest build object this accepts,
    // `{"build_id":"a","build_state":"b"}` (34 bytes), fits in the input.
    let raw = RawPage {
        most_builds: bytes.len() / 34,
        ..RawPage::default()
    };
    let raw = json::parse(bytes, raw, RESPONSE)?;
    Ok(Page {
        total: raw.total.value(),
        finished: raw.finished.value(),
        successful: raw.successful.value(),
        builds: raw.builds.get().unwrap_or_default(),
        next: None,
    })
}

/// A page as read. Its list is allocated once, for `total` builds, when `total` comes
/// before the list (as the API sends it) and is at most `most_builds`; else it grows.
#[derive(Default)]
struct RawPage {
    most_builds: usize,
    total: Slot<Option<u64>>,
    finished: Slot<Option<u64>>,
    successful: Slot<Option<u64>>,
    builds: Slot<Vec<Build>>,
}

impl<'de> Fields<'de> for RawPage {
    const WHAT: &'static str = "a build list object";
    fn read<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "total" => json::count(&mut self.total, map, key)?,
            "finished" => json::count(&mut self.finished, map, key)?,
            "successful" => json::count(&mut self.successful, map, key)?,
            "list" => {
                let total = self.total.peek().copied().flatten().unwrap_or(0);
                let capacity = usize::try_from(total)
                    .map_or(self.most_builds, |total| total.min(self.most_builds));
                json::list(&mut self.builds, map, key, capacity, RawBuild::into_build)?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The fields of a build as they arrive, checked by `into_build`. Strings are borrowed
/// from the input where they can be, so only the id is ever copied.
#[derive(Default)]
struct RawBuild<'a> {
    build_id: Slot<Option<Cow<'a, str>>>,
    build_state: Slot<Option<Cow<'a, str>>>,
    duration: Slot<Seconds>,
}

impl<'de> Fields<'de> for RawBuild<'de> {
    const WHAT: &'static str = "a build object";
    fn read<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "build_id" => json::text(&mut self.build_id, map, key)?,
            "build_state" => json::text(&mut self.build_state, map, key)?,
            // Its errors name the duration themselves: "duration -5 is negative".
            "duration" => json::value(&mut self.duration, map, key)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl RawBuild<'_> {
    fn into_build(index: usize, raw: RawBuild) -> Result<Build, String> {
        let id = match raw.build_id.value() {
            Some(id) if !id.trim().is_empty() => {
                checked(&id, || format!("list[{index}].build_id"))?;
                id.into_owned()
            }
            Some(_) => return Err(format!("list[{index}].build_id is empty")),
            None => return Err(format!("list[{index}] has no build_id")),
        };
        let raw_state = match raw.build_state.value() {
            Some(state) if !state.trim().is_empty() => {
                checked(&state, || format!("list[{index}].build_state (build {id})"))?;
                state
            }
            _ => return Err(format!("list[{index}] (build {id}) has no build_state")),
        };
        let seconds = raw.duration.get().and_then(|seconds| seconds.0);
        let progress = match (State::parse_terminal(&raw_state), seconds) {
            (Some(state), Some(seconds)) => Progress::Finished { state, seconds },
            (Some(state), None) => {
                return Err(format!(
                    "list[{index}] (build {id}) is {state} but has no duration"
                ));
            }
            (None, seconds) => Progress::Unfinished {
                state: raw_state.into_owned(),
                seconds,
            },
        };
        Ok(Build { id, progress })
    }
}

/// Longest duration a build may report: ten years. Anything longer is no build's, and
/// the rules' arithmetic (a median of two, a limit in milliseconds) stays far from
/// overflowing.
const MAX_SECONDS: u64 = 10 * 365 * 24 * 3600;

/// A duration in whole seconds, or null.
struct Seconds(Option<u64>);

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SecondsVisitor).map(Seconds)
    }
}

struct SecondsVisitor;

impl Visitor<'_> for SecondsVisitor {
    type Value = Option<u64>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("duration as a non-negative integer number of seconds")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<u64>, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<u64>, E> {
        if v > MAX_SECONDS {
            return Err(E::custom(format!(
                "duration {v} is over ten years (at most {MAX_SECONDS} seconds)"
            )));
        }
        Ok(Some(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<u64>, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(E::custom(format!(
                "duration {v} is negative (expected a non-negative integer of seconds)"
            ))),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Page, String> {
        parse_page(json.as_bytes()).map_err(|e| e.to_string())
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
        assert_eq!(page.builds[0].state(), Some(State::Failed));
        assert_eq!(page.builds[1], Build::finished("b1", State::Successful, 20));
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
        assert_eq!(page.builds[0], Build::unfinished("a", "Building"));
        assert_eq!(page.builds[0].state_name(), "Building");
        assert_eq!(page.builds[1].seconds(), None);
        assert_eq!(page.builds[1].as_finished(), None);
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
                "list[0]: build_id: invalid type: integer `7`",
            ),
            (
                r#"{"list":[{"build_id":"","build_state":"Failed","duration":1}]}"#,
                "list[0].build_id is empty",
            ),
            (r#"{"list":{"a":1}}"#, "expected a JSON list"),
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
    fn a_response_that_is_not_utf8_is_refused() {
        let json =
            b"{\"list\":[{\"build_id\":\"a\xff\",\"build_state\":\"Failed\",\"duration\":1}]}";
        let err = parse_page(json).unwrap_err().to_string();
        assert_eq!(
            err,
            "response: the response is not valid JSON: it is not UTF-8 (byte 23)"
        );
    }

    #[test]
    fn a_running_build_keeps_the_running_time_the_api_sent() {
        let page =
            parse(r#"{"list":[{"build_id":"a","build_state":"Building","duration":7}]}"#).unwrap();
        assert_eq!(page.builds[0].seconds(), Some(7));
        assert!(!page.builds[0].is_finished());
    }

    #[test]
    fn only_objects_are_pages_and_builds() {
        let cases = [
            r#"[null,null,null,[["a","Successful",5]]]"#,
            r#"[1,2,3,[]]"#,
            r#"{"list":[["a","Successful",5]]}"#,
            r#"{"list":[null]}"#,
            r#""list""#,
        ];
        for json in cases {
            let err = parse(json).unwrap_err();
            assert!(err.starts_with("response: "), "{json}: {err}");
            assert!(err.contains("expected a build"), "{json}: {err}");
        }
    }

    #[test]
    fn a_field_given_twice_is_refused() {
        let cases = [
            (
                r#"{"list":[{"build_id":"a","build_state":"Failed","build_state":"Successful","duration":1}]}"#,
                "list[0]: duplicate field `build_state`",
            ),
            (
                r#"{"total":1,"total":9,"list":[]}"#,
                "duplicate field `total`",
            ),
            (r#"{"list":[],"list":[]}"#, "duplicate field `list`"),
        ];
        for (json, expected) in cases {
            let err = parse(json).unwrap_err();
            assert!(err.contains(expected), "{json}: {err}");
        }
    }

    #[test]
    fn ids_and_states_with_control_characters_are_refused() {
        let cases = [
            (
                r"a\n::add-mask::x",
                "Failed",
                "list[0].build_id contains a control character",
            ),
            (
                r"a\u001b[31m",
                "Failed",
                "list[0].build_id contains a control character",
            ),
            (
                r"a\u0000",
                "Failed",
                "list[0].build_id contains a control character",
            ),
            (
                r"a\u2028b",
                "Failed",
                "list[0].build_id contains an invisible character (U+2028)",
            ),
            (
                r"a\u202eb",
                "Failed",
                "list[0].build_id contains an invisible character (U+202E)",
            ),
            (
                r"a\u200bb",
                "Failed",
                "list[0].build_id contains an invisible character (U+200B)",
            ),
            (
                r"a\udb40\udc41",
                "Failed",
                "list[0].build_id contains an invisible character (U+E0041)",
            ),
            (
                "a",
                r"Failed\u061c",
                "list[0].build_state (build a) contains an invisible character (U+061C)",
            ),
            (
                "a",
                r"Build\ring",
                "list[0].build_state (build a) contains a control character",
            ),
            (
                "a",
                r"Building\u0085",
                "list[0].build_state (build a) contains a control character",
            ),
        ];
        for (id, state, expected) in cases {
            let json = format!(
                r#"{{"list":[{{"build_id":"{id}","build_state":"{state}","duration":1}}]}}"#
            );
            let err = parse(&json).unwrap_err();
            assert!(err.starts_with("response: "), "{json}: {err}");
            assert!(err.contains(expected), "{json}: {err}");
        }
        // Raw in the JSON (no escape), the parser refuses C0 itself; DEL and C1 are ours.
        let raw_cases = [
            ("a\x01b", "control character"),
            ("a\x7fb", "list[0].build_id contains a control character"),
            ("a\u{85}b", "list[0].build_id contains a control character"),
            (
                "a\u{2028}b",
                "list[0].build_id contains an invisible character (U+2028)",
            ),
            (
                "a\u{feff}b",
                "list[0].build_id contains an invisible character (U+FEFF)",
            ),
        ];
        for (id, expected) in raw_cases {
            let json = format!(
                r#"{{"list":[{{"build_id":"{id}","build_state":"Failed","duration":1}}]}}"#
            );
            let err = parse(&json).unwrap_err();
            assert!(err.contains(expected), "{id:?}: {err}");
        }
        // Text that is only dangerous to a CI runner is kept: renderers escape it.
        let page = parse(
            r###"{"list":[{"build_id":"##vso[task.setvariable variable=X]1 %0A ::x","build_state":"Failed","duration":1}]}"###,
        )
        .unwrap();
        assert_eq!(
            page.builds[0].id,
            "##vso[task.setvariable variable=X]1 %0A ::x"
        );
    }

    #[test]
    fn the_page_counts_are_read() {
        let page = parse(
            r#"{"successful":1,"finished":2,"total":3,"list":[
                {"build_id":"a","build_state":"Building"}]}"#,
        )
        .unwrap();
        assert_eq!(
            (page.total, page.finished, page.successful),
            (Some(3), Some(2), Some(1))
        );
        let page = parse(r#"{"total":null,"finished":null,"list":[]}"#).unwrap();
        assert_eq!(
            (page.total, page.finished, page.successful),
            (None, None, None)
        );
    }

    #[test]
    fn ids_and_states_are_at_most_256_bytes() {
        let long = |n| "x".repeat(n);
        let cases = [
            (long(256), "Failed".to_string(), Ok(())),
            (
                long(257),
                "Failed".into(),
                Err("list[0].build_id is 257 bytes long (at most 256)"),
            ),
            ("a".into(), long(256), Ok(())),
            (
                "a".into(),
                long(257),
                Err("list[0].build_state (build a) is 257 bytes long (at most 256)"),
            ),
        ];
        for (id, state, expected) in cases {
            let json = format!(
                r#"{{"list":[{{"build_id":"{id}","build_state":"{state}","duration":1}}]}}"#
            );
            match (parse(&json), expected) {
                (Ok(page), Ok(())) => {
                    assert_eq!(
                        (page.builds[0].id.len(), page.builds[0].state_name().len()),
                        (id.len(), state.len())
                    );
                }
                (Err(err), Err(expected)) => assert!(err.contains(expected), "{err}"),
                (got, expected) => panic!(
                    "{} {}: {got:?}, expected {expected:?}",
                    id.len(),
                    state.len()
                ),
            }
        }
    }

    #[test]
    fn a_hostile_total_reserves_no_more_builds_than_the_input_can_hold() {
        // The shortest build the model accepts is 34 bytes: the input bounds the list.
        for json in [
            r#"{"total":18446744073709551615,"list":[]}"#,
            r#"{"total":4000000000,"list":[{"build_id":"a","build_state":"b"}]}"#,
        ] {
            let page = parse(json).unwrap();
            assert!(
                page.builds.capacity() <= json.len() / 34,
                "{json}: room for {} builds",
                page.builds.capacity()
            );
        }
    }

    #[test]
    fn an_empty_or_blank_state_is_no_state() {
        for state in [r#""""#, r#""  ""#, "null"] {
            let json =
                format!(r#"{{"list":[{{"build_id":"a","build_state":{state},"duration":1}}]}}"#);
            let err = parse(&json).unwrap_err();
            assert!(
                err.contains("list[0] (build a) has no build_state"),
                "{state}: {err}"
            );
        }
    }

    #[test]
    fn durations_are_whole_seconds_up_to_ten_years() {
        let ten_years = 10 * 365 * 24 * 3600;
        let cases = [
            ("0".to_string(), Ok(0)),
            (ten_years.to_string(), Ok(ten_years)),
            (
                (ten_years + 1).to_string(),
                Err("duration 315360001 is over ten years (at most 315360000 seconds)"),
            ),
            (
                "true".into(),
                Err("duration true is not a number (expected a non-negative integer of seconds)"),
            ),
            (
                "[]".into(),
                Err(
                    "invalid type: sequence, expected duration as a non-negative integer number of seconds",
                ),
            ),
        ];
        for (duration, expected) in cases {
            let json = format!(
                r#"{{"list":[{{"build_id":"a","build_state":"Failed","duration":{duration}}}]}}"#
            );
            match (parse(&json), expected) {
                (Ok(page), Ok(seconds)) => assert_eq!(page.builds[0].seconds(), Some(seconds)),
                (Err(err), Err(expected)) => assert!(err.contains(expected), "{duration}: {err}"),
                (got, expected) => panic!("{duration}: {got:?}, expected {expected:?}"),
            }
        }
    }

    #[test]
    fn an_id_or_state_that_is_not_a_string_says_a_string_was_expected() {
        for (id, state) in [("7", r#""Failed""#), (r#""a""#, "{}")] {
            let json =
                format!(r#"{{"list":[{{"build_id":{id},"build_state":{state},"duration":1}}]}}"#);
            let err = parse(&json).unwrap_err();
            assert!(err.contains(", expected a string"), "{json}: {err}");
        }
    }
}
