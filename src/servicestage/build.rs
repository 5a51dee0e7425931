//! Why the build is the target and why it failed: build details
//! (`GET /assembling/v1/builds/{build_id}`) and build phases
//! (`GET /assembling/v1/builds/{build_id}/phases`). These explain a verdict; only the
//! commit in the details decides which build is the target.

use std::borrow::Cow;

use serde::de::MapAccess;

use crate::error::Error;
use crate::json::{self, Fields, Named, Slot};
use crate::model::{BuildDetails, State};
use crate::text::{optional_text, required_text};

const DETAILS: Named = Named {
    name: "build details",
    expected: "what the API documents",
};
const PHASES: Named = Named {
    name: "phase list",
    expected: "what the API documents",
};

#[derive(Default)]
struct RawDetails<'a> {
    build_id: Slot<Option<Cow<'a, str>>>,
    build_state: Slot<Option<Cow<'a, str>>>,
    commit_id: Slot<Option<Cow<'a, str>>>,
    branch: Slot<Option<Cow<'a, str>>>,
    started_at: Slot<Option<Cow<'a, str>>>,
    ended_at: Slot<Option<Cow<'a, str>>>,
}

impl<'de> Fields<'de> for RawDetails<'de> {
    const WHAT: &'static str = "a build details object";
    fn read<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        let slot = match key {
            "build_id" => &mut self.build_id,
            "build_state" => &mut self.build_state,
            "commit_id" => &mut self.commit_id,
            "branch" => &mut self.branch,
            "started_at" => &mut self.started_at,
            "ended_at" => &mut self.ended_at,
            _ => return Ok(false),
        };
        json::text(slot, map, key)?;
        Ok(true)
    }
}

/// Parses the details of build `build_id`. Details of another build, or a commit id that
/// is not hex, are `response` errors: a wrong commit would pick the wrong target.
pub fn parse_build_details(bytes: &[u8], build_id: &str) -> Result<BuildDetails, Error> {
    let raw = json::parse(bytes, RawDetails::default(), DETAILS)?;
    checked_details(raw, build_id)
        .map_err(|problem| Error::Response(format!("the details of build {build_id}: {problem}")))
}

fn checked_details(raw: RawDetails, build_id: &str) -> Result<BuildDetails, String> {
    const PLACE: &str = "details";
    let listed_id = required_text(raw.build_id.value(), PLACE, "build_id")?;
    if listed_id != build_id {
        return Err(format!(
            "build_id is {listed_id:?}, not the build asked for"
        ));
    }
    let commit = optional_text(raw.commit_id.value(), PLACE, "commit_id")?;
    if let Some(commit) = &commit
        && !(commit.len() <= 64 && commit.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(format!("commit_id {commit:?} is not a hex commit id"));
    }
    Ok(BuildDetails {
        build_id: listed_id,
        state: optional_text(raw.build_state.value(), PLACE, "build_state")?,
        commit: commit.map(|c| c.to_ascii_lowercase()),
        branch: optional_text(raw.branch.value(), PLACE, "branch")?,
        started_at: optional_text(raw.started_at.value(), PLACE, "started_at")?,
        ended_at: optional_text(raw.ended_at.value(), PLACE, "ended_at")?,
    })
}

/// One phase of a build (`Init`, `Download`, `PreProcess`, `Build`, `Artifact`,
/// `PostProcess`); its state is kept as the API wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phase {
    pub id: Option<String>,
    pub name: String,
    pub state: String,
}

/// A build's phases, in the API's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhaseList {
    pub total: Option<u64>,
    pub phases: Vec<Phase>,
}

#[derive(Default)]
struct RawPhaseList {
    total: Slot<Option<u64>>,
    phases: Slot<Vec<Phase>>,
}

impl<'de> Fields<'de> for RawPhaseList {
    const WHAT: &'static str = "a phase list object";
    fn read<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "total" => json::count(&mut self.total, map, key)?,
            "list" => json::list(&mut self.phases, map, key, 0, RawPhase::into_phase)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[derive(Default)]
struct RawPhase<'a> {
    id: Slot<Option<Cow<'a, str>>>,
    name: Slot<Option<Cow<'a, str>>>,
    state: Slot<Option<Cow<'a, str>>>,
}

impl<'de> Fields<'de> for RawPhase<'de> {
    const WHAT: &'static str = "a build phase object";
    fn read<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        let slot = match key {
            "id" => &mut self.id,
            "name" => &mut self.name,
            "state" => &mut self.state,
            _ => return Ok(false),
        };
        json::text(slot, map, key)?;
        Ok(true)
    }
}

impl RawPhase<'_> {
    /// Each phase needs a name and a state.
    fn into_phase(index: usize, raw: RawPhase) -> Result<Phase, String> {
        let place = format!("list[{index}]");
        Ok(Phase {
            id: optional_text(raw.id.value(), &place, "id")?,
            name: required_text(raw.name.value(), &place, "name")?,
            state: required_text(raw.state.value(), &place, "state")?,
        })
    }
}

/// Parses a build's phase list.
pub fn parse_phases(bytes: &[u8], build_id: &str) -> Result<PhaseList, Error> {
    let raw = json::parse(bytes, RawPhaseList::default(), PHASES).map_err(|e| match e {
        Error::Response(m) => Error::Response(format!("the phases of build {build_id}: {m}")),
        other => other,
    })?;
    Ok(PhaseList {
        total: raw.total.value(),
        phases: raw.phases.get().unwrap_or_default(),
    })
}

/// The phase that failed a Failed or Timeout build: the first, in list order, whose
/// state is Failed or Timeout (any case). States the gate does not know are skipped.
pub fn failed_phase(phases: &[Phase]) -> Option<&Phase> {
    phases
        .iter()
        .find(|phase| State::parse_terminal(&phase.state).is_some_and(|state| state.is_failure()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "3f5e0c6a9b1d2e4f60718293a4b5c6d7e8f90a1b";

    fn details(json: &str) -> Result<BuildDetails, String> {
        parse_build_details(json.as_bytes(), "b1").map_err(|e| e.to_string())
    }

    #[test]
    fn details_read_only_the_fields_used_and_tolerate_any_other() {
        let d = details(&format!(
            r#"{{"build_id":"b1","job_id":"j","job_name":"web","index":2,"enterprise_project_id":"0",
                "started_at":"2025-06-24 12:10:30 +0000 UTC","ended_at":"2025-06-24 12:11:22 +0000 UTC",
                "build_state":"Failed","repo_type":"DevCloud","repo":"","branch":"master",
                "commit_id":"{}","committer":{{"x":[1]}},"commit_time":null,"commit_comment":"fix: a\nb"}}"#,
            SHA.to_ascii_uppercase()
        ))
        .unwrap();
        assert_eq!(
            d,
            BuildDetails {
                build_id: "b1".into(),
                state: Some("Failed".into()),
                commit: Some(SHA.into()),
                branch: Some("master".into()),
                started_at: Some("2025-06-24 12:10:30 +0000 UTC".into()),
                ended_at: Some("2025-06-24 12:11:22 +0000 UTC".into()),
            }
        );
        let d = details(
            r#"{"build_id":"b1","index":"2","ended_at":"","branch":null,"build_state":"Building"}"#,
        )
        .unwrap();
        assert_eq!(
            d.state.as_deref(),
            Some("Building"),
            "kept as the API wrote it"
        );
        assert_eq!(
            (d.commit, d.branch, d.started_at, d.ended_at),
            (None, None, None, None)
        );
    }

    #[test]
    fn hostile_details_are_response_errors() {
        let cases = [
            (
                r#"[{"build_id":"b1"}]"#,
                "the build details is not what the API documents",
            ),
            (r#"{"index":1}"#, "details has no build_id"),
            (
                r#"{"build_id":"b2"}"#,
                "build_id is \"b2\", not the build asked for",
            ),
            (
                r#"{"build_id":"b1","commit_id":"not hex"}"#,
                "commit_id \"not hex\" is not a hex commit id",
            ),
            (
                r#"{"build_id":"b1","commit_id":7}"#,
                "commit_id: invalid type: integer `7`",
            ),
            (
                r#"{"build_id":"b1","branch":"main\r\n::error::x"}"#,
                "details.branch contains a control character",
            ),
            (
                r#"{"build_id":"b1","branch":"ma\u2066in"}"#,
                "details.branch contains an invisible character (U+2066)",
            ),
            (
                r#"{"build_id":"b1","started_at":"2025\u001b[31m"}"#,
                "details.started_at contains a control character",
            ),
            (
                r#"{"build_id":"b1","ended_at":["2025"]}"#,
                "ended_at: invalid type: sequence",
            ),
            (
                r#"{"build_id":"b1","build_id":"b1"}"#,
                "duplicate field `build_id`",
            ),
        ];
        for (json, expected) in cases {
            let err = details(json).unwrap_err();
            assert!(err.starts_with("response: the "), "{json}: {err}");
            assert!(err.contains(expected), "{json}: {err} lacks {expected}");
        }
        let long = format!(r#"{{"build_id":"b1","commit_id":"{}"}}"#, "a".repeat(65));
        assert!(
            details(&long)
                .unwrap_err()
                .contains("is not a hex commit id")
        );
    }

    fn phases(json: &str) -> Result<PhaseList, String> {
        parse_phases(json.as_bytes(), "b1").map_err(|e| e.to_string())
    }

    fn names(list: &PhaseList) -> Vec<&str> {
        list.phases.iter().map(|p| p.name.as_str()).collect()
    }

    #[test]
    fn the_failed_phase_is_the_first_failed_or_timed_out_one() {
        let cases = [
            (
                r#"[["Init","Successful"],["Build","Failed"],["Artifact","Failed"]]"#,
                Some("Build"),
            ),
            (
                r#"[["Init","Successful"],["Download","TIMEOUT"],["Build","Failed"]]"#,
                Some("Download"),
            ),
            (
                r#"[["Init","Successful"],["Build","failed"]]"#,
                Some("Build"),
            ),
            (
                r#"[["Init","Exploded"],["Build","Cancel"],["Artifact","NotStarted"]]"#,
                None,
            ),
            ("[]", None),
        ];
        for (pairs, expected) in cases {
            let pairs: Vec<(String, String)> = serde_json::from_str(pairs).unwrap();
            let list = PhaseList {
                total: None,
                phases: pairs
                    .into_iter()
                    .map(|(name, state)| Phase {
                        id: None,
                        name,
                        state,
                    })
                    .collect(),
            };
            assert_eq!(
                failed_phase(&list.phases).map(|p| p.name.as_str()),
                expected,
                "{:?}",
                names(&list)
            );
        }
    }

    #[test]
    fn phases_parse_in_list_order_and_tolerate_unknown_fields_and_states() {
        let list = phases(
            r#"{"total":3,"list":[{"id":"p1","name":"Init","state":"Successful","started_at":1},
                {"name":"Build","state":"Failed","id":null,"x":{"y":[]}},
                {"id":"p3","name":"Artifact","state":"Deleted"}]}"#,
        )
        .unwrap();
        assert_eq!(list.total, Some(3));
        assert_eq!(names(&list), ["Init", "Build", "Artifact"]);
        assert_eq!(list.phases[0].id.as_deref(), Some("p1"));
        assert_eq!(list.phases[1].id, None);
        assert_eq!(
            failed_phase(&list.phases).map(|p| p.name.as_str()),
            Some("Build")
        );
        assert!(
            phases(r#"{"total":0,"list":null}"#)
                .unwrap()
                .phases
                .is_empty()
        );
    }

    #[test]
    fn hostile_phase_lists_are_response_errors() {
        let cases = [
            (r#"[]"#, "the phase list is not what the API documents"),
            (
                r#"{"list":[["Init","Failed"]]}"#,
                "list[0]: invalid type: sequence, expected a build phase object",
            ),
            (
                r#"{"list":[{"name":"Init","state":"Failed"},{"state":"Failed"}]}"#,
                "list[1] has no name",
            ),
            (r#"{"list":[{"name":"Init"}]}"#, "list[0] has no state"),
            (
                r#"{"list":[{"name":"Init\u0000","state":"Failed"}]}"#,
                "list[0].name contains a control character",
            ),
            (
                r#"{"list":[{"name":"Bui\u00adld","state":"Failed"}]}"#,
                "list[0].name contains an invisible character (U+00AD)",
            ),
            (
                r#"{"list":[{"name":"Init","state":1}]}"#,
                "list[0]: state: invalid type: integer `1`",
            ),
            (r#"{"total":1e999,"list":[]}"#, "number out of range"),
        ];
        for (json, expected) in cases {
            let err = phases(json).unwrap_err();
            assert!(err.starts_with("response: the "), "{json}: {err}");
            assert!(err.contains(expected), "{json}: {err} lacks {expected}");
        }
        let err = phases(r#"{"list":[{"name":"Init"}]}"#).unwrap_err();
        assert!(err.contains("the phases of build b1: "), "{err}");
    }
}
