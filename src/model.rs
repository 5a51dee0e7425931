//! The API's build list, parsed strictly: a build the rules cannot trust is an error
//! that names the field and the build's index, never a silently skipped entry. Pages
//! and builds are JSON objects only (the visitors below accept no arrays in their place).

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::error::Error;
use crate::report::escape;

/// A terminal build state: what a finished build ended as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Successful,
    Failed,
    Timeout,
    Cancel,
}

impl State {
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

    pub fn name(self) -> &'static str {
        match self {
            State::Successful => "Successful",
            State::Failed => "Failed",
            State::Timeout => "Timeout",
            State::Cancel => "Cancel",
        }
    }

    /// Failed and Timeout count against the success rate and make failure streaks.
    pub fn is_failure(self) -> bool {
        matches!(self, State::Failed | State::Timeout)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a build is: finished (with the duration the rules need, always), or not yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    Finished {
        state: State,
        seconds: u64,
    },
    /// `Building`, `Queuing`, ... as the API spells it; a running time if it sent one.
    Unfinished {
        state: String,
        seconds: Option<u64>,
    },
}

/// One build of the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Build {
    pub id: String,
    pub progress: Progress,
}

impl Build {
    pub fn finished(id: impl Into<String>, state: State, seconds: u64) -> Build {
        let progress = Progress::Finished { state, seconds };
        Build {
            id: id.into(),
            progress,
        }
    }

    pub fn unfinished(id: impl Into<String>, state: impl Into<String>) -> Build {
        let progress = Progress::Unfinished {
            state: state.into(),
            seconds: None,
        };
        Build {
            id: id.into(),
            progress,
        }
    }

    /// The build with its terminal state and duration, or `None` while it runs.
    pub fn as_finished(&self) -> Option<Finished<'_>> {
        match self.progress {
            Progress::Finished { state, seconds } => Some(Finished {
                id: &self.id,
                state,
                seconds,
            }),
            Progress::Unfinished { .. } => None,
        }
    }

    /// The terminal state, or `None` while the build runs.
    pub fn state(&self) -> Option<State> {
        match self.progress {
            Progress::Finished { state, .. } => Some(state),
            Progress::Unfinished { .. } => None,
        }
    }

    pub fn is_finished(&self) -> bool {
        self.state().is_some()
    }

    /// The state as the API named it (terminal ones in their canonical spelling).
    pub fn state_name(&self) -> &str {
        match &self.progress {
            Progress::Finished { state, .. } => state.name(),
            Progress::Unfinished { state, .. } => state,
        }
    }

    /// Seconds: always there for a finished build, when sent for a running one.
    pub fn seconds(&self) -> Option<u64> {
        match self.progress {
            Progress::Finished { seconds, .. } => Some(seconds),
            Progress::Unfinished { seconds, .. } => seconds,
        }
    }
}

/// A finished build: its state and duration are there by construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finished<'a> {
    pub id: &'a str,
    pub state: State,
    pub seconds: u64,
}

/// What was learnt about the target beyond the build list, to explain the verdict. It
/// never changes the verdict: a request for it that failed only makes it unavailable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Explanation {
    /// The target's details, when they were read (the `--commit` search reads them).
    pub details: Option<crate::lookup::build::BuildDetails>,
    /// For a Failed or Timeout target: the phase that failed it.
    pub failed_phase: Option<FailedPhase>,
}

/// The phase that failed a Failed or Timeout target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailedPhase {
    Named(String),
    /// The phases were read; none is Failed or Timeout.
    NotReported,
    /// The phases request failed; why.
    Unavailable(String),
}

impl fmt::Display for FailedPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailedPhase::Named(name) => write!(f, "failed in phase {name}"),
            FailedPhase::NotReported => f.write_str("no failed phase reported"),
            FailedPhase::Unavailable(why) => write!(f, "failed phase unavailable ({why})"),
        }
    }
}

/// One page of `GET /assembling/v1/jobs/{job_id}/builds`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    pub total: Option<u64>,
    pub finished: Option<u64>,
    pub successful: Option<u64>,
    /// Newest first. `"list": null` or no list at all is an empty page.
    pub builds: Vec<Build>,
}

/// Parses one page from bytes already in memory (a saved response, a response body).
/// The bytes are checked to be UTF-8 once, in one pass, so that the parser can skip the
/// check per string (14% of the instructions on long lists).
pub fn parse_page_slice(bytes: &[u8]) -> Result<Page, Error> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Error::Response(format!(
            "the response is not valid JSON: it is not UTF-8 (byte {})",
            e.valid_up_to()
        ))
    })?;
    // The list cannot hold more builds than the shortest build object the model accepts,
    // `{"build_id":"a","build_state":"b"}` (34 bytes), fits in the input.
    let seed = PageSeed {
        most_builds: text.len() / 34,
    };
    let mut parser = serde_json::Deserializer::from_str(text);
    seed.deserialize(&mut parser)
        .and_then(|page| parser.end().map(|()| page))
        .map_err(|e| response_error(&e))
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

/// The keys of a page the gate reads; any other key is skipped unread.
enum PageKey {
    Total,
    Finished,
    Successful,
    List,
    Other,
}

impl<'de> Deserialize<'de> for PageKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<PageKey, D::Error> {
        struct PageKeyVisitor;
        impl Visitor<'_> for PageKeyVisitor {
            type Value = PageKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PageKey, E> {
                Ok(match v {
                    "total" => PageKey::Total,
                    "finished" => PageKey::Finished,
                    "successful" => PageKey::Successful,
                    "list" => PageKey::List,
                    _ => PageKey::Other,
                })
            }
        }
        deserializer.deserialize_identifier(PageKeyVisitor)
    }
}

/// The keys of a build the gate reads; any other key is skipped unread.
enum BuildKey {
    BuildId,
    BuildState,
    Duration,
    Other,
}

impl<'de> Deserialize<'de> for BuildKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<BuildKey, D::Error> {
        struct BuildKeyVisitor;
        impl Visitor<'_> for BuildKeyVisitor {
            type Value = BuildKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<BuildKey, E> {
                Ok(match v {
                    "build_id" => BuildKey::BuildId,
                    "build_state" => BuildKey::BuildState,
                    "duration" => BuildKey::Duration,
                    _ => BuildKey::Other,
                })
            }
        }
        deserializer.deserialize_identifier(BuildKeyVisitor)
    }
}

/// Stores a field's value, refusing a second copy of it: two `build_state`s in one
/// object would let the gate and another reader see different builds.
fn set_once<T, E: de::Error>(slot: &mut Option<T>, value: T, name: &str) -> Result<(), E> {
    match slot.replace(value) {
        None => Ok(()),
        Some(_) => Err(E::custom(format!("duplicate field `{name}`"))),
    }
}

/// A page whose list is allocated once, for `total` builds, when `total` comes before
/// the list (as the API sends it) and is at most `most_builds`; else the list grows.
struct PageSeed {
    most_builds: usize,
}

impl<'de> DeserializeSeed<'de> for PageSeed {
    type Value = Page;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Page, D::Error> {
        struct PageVisitor(PageSeed);
        impl<'de> Visitor<'de> for PageVisitor {
            type Value = Page;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a build list object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Page, A::Error> {
                let (mut total, mut finished, mut successful, mut list) = (None, None, None, None);
                while let Some(key) = map.next_key()? {
                    match key {
                        PageKey::Total => set_once(&mut total, map.next_value()?, "total")?,
                        PageKey::Finished => {
                            set_once(&mut finished, map.next_value()?, "finished")?
                        }
                        PageKey::Successful => {
                            set_once(&mut successful, map.next_value()?, "successful")?
                        }
                        PageKey::List => {
                            let expected = total.flatten().unwrap_or(0);
                            let capacity = usize::try_from(expected).unwrap_or(usize::MAX);
                            let seed = BuildsSeed(capacity.min(self.0.most_builds));
                            set_once(&mut list, map.next_value_seed(seed)?, "list")?
                        }
                        _ => drop(map.next_value::<IgnoredAny>()?),
                    }
                }
                Ok(Page {
                    total: total.flatten(),
                    finished: finished.flatten(),
                    successful: successful.flatten(),
                    builds: list.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_map(PageVisitor(self))
    }
}

/// The `list` array, with room for this many builds; `null` is an empty list.
struct BuildsSeed(usize);

impl<'de> DeserializeSeed<'de> for BuildsSeed {
    type Value = Vec<Build>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<Build>, D::Error> {
        struct BuildsVisitor(usize);
        impl<'de> Visitor<'de> for BuildsVisitor {
            type Value = Vec<Build>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of builds")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Vec<Build>, E> {
                Ok(Vec::new())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Build>, A::Error> {
                let mut builds = Vec::with_capacity(self.0);
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
        deserializer.deserialize_any(BuildsVisitor(self.0))
    }
}

/// Longest build id or state the gate accepts: ids go into request paths and every
/// report, and ServiceStage's are far shorter.
const MAX_TEXT: usize = 256;

/// The fields of a build as they arrive, checked by `into_build`. Strings are borrowed
/// from the input where they can be, so only the id is ever copied.
#[derive(Default)]
struct RawBuild<'a> {
    build_id: Option<Text<'a>>,
    build_state: Option<Text<'a>>,
    duration: Option<Seconds>,
}

impl<'de> Deserialize<'de> for RawBuild<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RawBuildVisitor;
        impl<'de> Visitor<'de> for RawBuildVisitor {
            type Value = RawBuild<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a build object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut raw = RawBuild::default();
                while let Some(key) = map.next_key()? {
                    match key {
                        BuildKey::BuildId => {
                            set_once(&mut raw.build_id, map.next_value()?, "build_id")?
                        }
                        BuildKey::BuildState => {
                            set_once(&mut raw.build_state, map.next_value()?, "build_state")?
                        }
                        BuildKey::Duration => {
                            set_once(&mut raw.duration, map.next_value()?, "duration")?
                        }
                        _ => drop(map.next_value::<IgnoredAny>()?),
                    }
                }
                Ok(raw)
            }
        }
        deserializer.deserialize_map(RawBuildVisitor)
    }
}

impl RawBuild<'_> {
    fn into_build(self, index: usize) -> Result<Build, String> {
        let id = match self.build_id.and_then(|t| t.0) {
            Some(id) if hides_characters(&id) => {
                return Err(format!(
                    "list[{index}].build_id contains a control character"
                ));
            }
            Some(id) if id.len() > MAX_TEXT => {
                return Err(format!(
                    "list[{index}].build_id is {} bytes long (at most {MAX_TEXT})",
                    id.len()
                ));
            }
            Some(id) if !id.trim().is_empty() => id.into_owned(),
            Some(_) => return Err(format!("list[{index}].build_id is empty")),
            None => return Err(format!("list[{index}] has no build_id")),
        };
        let raw_state = match self.build_state.and_then(|t| t.0) {
            Some(raw) if hides_characters(&raw) => {
                return Err(format!(
                    "list[{index}].build_state (build {id}) contains a control character"
                ));
            }
            Some(raw) if raw.len() > MAX_TEXT => {
                return Err(format!(
                    "list[{index}].build_state (build {id}) is {} bytes long (at most {MAX_TEXT})",
                    raw.len()
                ));
            }
            Some(raw) if !raw.trim().is_empty() => raw,
            _ => return Err(format!("list[{index}] (build {id}) has no build_state")),
        };
        let seconds = self.duration.and_then(|s| s.0);
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

/// Whether a string from the JSON holds a character no log may show raw. A string
/// without escapes (borrowed) cannot hold C0 controls, which the JSON parser refuses
/// raw, so printable ASCII, nearly every id and state, needs only two fast scans.
#[expect(
    clippy::ptr_arg,
    reason = "whether the string was borrowed is the fast path"
)]
fn hides_characters(text: &Cow<str>) -> bool {
    match text {
        Cow::Borrowed(s) if s.is_ascii() => s.as_bytes().contains(&0x7f),
        _ => text.chars().any(escape::is_hidden),
    }
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
    fn a_response_that_is_not_utf8_is_refused() {
        let json =
            b"{\"list\":[{\"build_id\":\"a\xff\",\"build_state\":\"Failed\",\"duration\":1}]}";
        let err = parse_page_slice(json).unwrap_err().to_string();
        assert_eq!(
            err,
            "response: the response is not valid JSON: it is not UTF-8 (byte 23)"
        );
    }

    #[test]
    fn terminal_states_are_case_insensitive() {
        assert_eq!(State::parse_terminal("SUCCESSFUL"), Some(State::Successful));
        assert_eq!(State::parse_terminal("cancel"), Some(State::Cancel));
        assert_eq!(State::parse_terminal(" timeout "), Some(State::Timeout));
        assert_eq!(State::parse_terminal("Pushing"), None);
        assert_eq!(State::parse_terminal("Failedx"), None);
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
                "list[0].build_id contains a control character",
            ),
            (
                r"a\u202eb",
                "Failed",
                "list[0].build_id contains a control character",
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
                "list[0].build_id contains a control character",
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
