//! The build by commit and why it failed: `--commit` prefixes, build details
//! (`GET /assembling/v1/builds/{build_id}`) and build phases
//! (`GET /assembling/v1/builds/{build_id}/phases`). These explain a verdict; only the
//! commit decides which build is the target.

use std::io::Read;

use serde::de::MapAccess;

use super::object::{self, Fields, List};
use super::{optional_text, required_text};
use crate::error::Error;
use crate::model::State;

/// A `--commit` value: 7 to 64 hex digits (SHA-1 or SHA-256, whole or a prefix),
/// kept in lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitPrefix(String);

impl CommitPrefix {
    /// Parses a `--commit` value; surrounding whitespace (a CI variable's newline) is
    /// ignored. The error has no flag name: the config adds the flag or variable.
    pub fn parse(raw: &str) -> Result<CommitPrefix, String> {
        let hex = raw.trim();
        if (7..=64).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(CommitPrefix(hex.to_ascii_lowercase()));
        }
        Err(format!(
            "invalid commit {raw:?} (expected 7 to 64 hex digits of the commit ServiceStage \
             builds, e.g. the pipeline's full commit SHA)"
        ))
    }

    /// Whether `commit_id` (a build's source commit) starts with this prefix, in any case.
    pub fn matches(&self, commit_id: &str) -> bool {
        commit_id
            .as_bytes()
            .get(..self.0.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(self.0.as_bytes()))
    }

    /// The prefix as given, lower case; the first seven digits name it in messages.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the gate reads of a build's details. Absent, null and empty fields are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildDetails {
    pub build_id: String,
    pub state: Option<State>,
    /// Lower-case hex.
    pub commit: Option<String>,
    pub branch: Option<String>,
    /// As the API writes it (`2025-06-24 12:10:30 +0000 UTC`), checked as safe text.
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
}

#[derive(Default)]
struct RawDetails {
    build_id: Option<String>,
    build_state: Option<String>,
    commit_id: Option<String>,
    branch: Option<String>,
    started_at: Option<String>,
    ended_at: Option<String>,
}

impl Fields for RawDetails {
    const WHAT: &'static str = "build details";
    fn read<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        let slot = match key {
            "build_id" => &mut self.build_id,
            "build_state" => &mut self.build_state,
            "commit_id" => &mut self.commit_id,
            "branch" => &mut self.branch,
            "started_at" => &mut self.started_at,
            "ended_at" => &mut self.ended_at,
            _ => return Ok(false),
        };
        *slot = object::text(map, key)?;
        Ok(true)
    }
}

/// Parses the details of build `build_id`. Details of another build, or a commit id that
/// is not hex, are `response` errors: a wrong commit would pick the wrong target.
pub fn parse_build_details(reader: impl Read, build_id: &str) -> Result<BuildDetails, Error> {
    let raw: RawDetails = object::parse(reader, "build details")?;
    checked_details(raw, build_id)
        .map_err(|problem| Error::Response(format!("the details of build {build_id}: {problem}")))
}

fn checked_details(raw: RawDetails, build_id: &str) -> Result<BuildDetails, String> {
    const PLACE: &str = "details";
    let listed_id = required_text(raw.build_id, PLACE, "build_id")?;
    if listed_id != build_id {
        return Err(format!(
            "build_id is {listed_id:?}, not the build asked for"
        ));
    }
    let commit = optional_text(raw.commit_id, PLACE, "commit_id")?;
    if let Some(commit) = &commit
        && !(commit.len() <= 64 && commit.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(format!("commit_id {commit:?} is not a hex commit id"));
    }
    Ok(BuildDetails {
        build_id: listed_id,
        state: optional_text(raw.build_state, PLACE, "build_state")?
            .and_then(|s| State::parse_terminal(&s)),
        commit: commit.map(|c| c.to_ascii_lowercase()),
        branch: optional_text(raw.branch, PLACE, "branch")?,
        started_at: optional_text(raw.started_at, PLACE, "started_at")?,
        ended_at: optional_text(raw.ended_at, PLACE, "ended_at")?,
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
    total: Option<u64>,
    list: Vec<RawPhase>,
}

impl Fields for RawPhaseList {
    const WHAT: &'static str = "phase list";
    fn read<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "total" => self.total = object::count(map, key)?,
            "list" => self.list = map.next_value::<List<RawPhase>>()?.0,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[derive(Default)]
struct RawPhase {
    id: Option<String>,
    name: Option<String>,
    state: Option<String>,
}

impl Fields for RawPhase {
    const WHAT: &'static str = "build phase";
    fn read<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        let slot = match key {
            "id" => &mut self.id,
            "name" => &mut self.name,
            "state" => &mut self.state,
            _ => return Ok(false),
        };
        *slot = object::text(map, key)?;
        Ok(true)
    }
}

/// Parses a build's phase list. Each phase needs a name and a state.
pub fn parse_phases(reader: impl Read, build_id: &str) -> Result<PhaseList, Error> {
    let raw: RawPhaseList = object::parse(reader, "phase list")?;
    let phases = raw
        .list
        .into_iter()
        .enumerate()
        .map(|(index, phase)| {
            let place = format!("list[{index}]");
            Ok(Phase {
                id: optional_text(phase.id, &place, "id")?,
                name: required_text(phase.name, &place, "name")?,
                state: required_text(phase.state, &place, "state")?,
            })
        })
        .collect::<Result<Vec<Phase>, String>>()
        .map_err(|problem| Error::Response(format!("the phases of build {build_id}: {problem}")))?;
    Ok(PhaseList {
        total: raw.total,
        phases,
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

    #[test]
    fn commit_values_are_7_to_64_hex_digits() {
        let good = [
            ("3f5e0c6", "3f5e0c6"),
            ("3F5E0C6A", "3f5e0c6a"),
            (SHA, SHA),
            (&"a".repeat(64), &"a".repeat(64)),
            (" 3f5e0c6a\n", "3f5e0c6a"),
        ];
        for (raw, kept) in good {
            assert_eq!(
                CommitPrefix::parse(raw).map(|c| c.0),
                Ok(kept.to_string()),
                "{raw:?}"
            );
        }
        let bad = [
            "",
            "3f5e0c",
            "3f5e0cg",
            "3f5e 0c6a",
            "0x3f5e0c6",
            &"a".repeat(65),
            "ａbcdef12",
            "3f5e0c6\u{0}",
        ];
        for raw in bad {
            let err = CommitPrefix::parse(raw).unwrap_err();
            assert!(err.starts_with("invalid commit "), "{raw:?}: {err}");
            assert!(err.contains("7 to 64 hex digits"), "{err}");
            assert!(!err.contains('\n') && !err.contains('\0'), "{err:?}");
        }
    }

    #[test]
    fn commit_prefixes_match_the_start_in_any_case() {
        let cases = [
            ("3f5e0c6", SHA, true),
            ("3F5E0C6A9B", SHA, true),
            (SHA, &SHA.to_ascii_uppercase(), true),
            ("3f5e0c7", SHA, false),
            ("5e0c6a9", SHA, false),        // inside, not at the start
            ("3f5e0c6a", "3f5e0c6", false), // the build's id is shorter than the prefix
            ("3f5e0c6", "", false),
            ("3f5e0c6", "3f5e0cé", false),
        ];
        for (prefix, commit_id, expected) in cases {
            let prefix = CommitPrefix::parse(prefix).unwrap();
            assert_eq!(
                prefix.matches(commit_id),
                expected,
                "{prefix:?} {commit_id:?}"
            );
        }
    }

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
                state: Some(State::Failed),
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
        assert_eq!(d.state, None, "Building is not a finished state");
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
                "{\"build_id\":\"b1\",\"branch\":\"x##vso[task.complete result=Succeeded]\"}",
                "details.branch contains a CI command marker",
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
                "duplicate field build_id",
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
                "list[0]: invalid type: sequence, expected build phase as a JSON object",
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
                "{\"list\":[{\"name\":\"##[error]Build\",\"state\":\"Failed\"}]}",
                "list[0].name contains a CI command marker",
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
