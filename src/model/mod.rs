//! The domain: jobs, builds, their states and the history the rules judge. No wire
//! format lives here (each backend parses its own API into these types), and nothing
//! here imports a backend, the transport or a renderer.
//!
//! `record` holds the run's record of facts: every answer about a job or a build, and the
//! contradictions between them.

pub mod record;

use std::fmt;

/// One build job as the service names it: the id requests use, the name reports show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: String,
    pub name: String,
}

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
    pub details: Option<BuildDetails>,
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

/// What a build's details say beyond the build list. Absent, null and empty fields are
/// `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildDetails {
    pub build_id: String,
    /// As the API wrote it: a terminal state in any case, or any other (`Building`). The
    /// record holds it against the list's.
    pub state: Option<String>,
    /// Lower-case hex.
    pub commit: Option<String>,
    pub branch: Option<String>,
    /// As the API writes it (`2025-06-24 12:10:30 +0000 UTC`).
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
}

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

/// The builds that were received, with the API's own counts when it sent them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    pub builds: Vec<Build>,
    pub total: Option<u64>,
    pub finished: Option<u64>,
    pub successful: Option<u64>,
    /// `--commit`: the id of the build whose details matched, if one did.
    pub commit_match: Option<String>,
    pub explanation: Explanation,
    /// Why the list cannot stand for the job's history: it ended while the rules needed
    /// more, and the API counts more builds than it listed. Every rule is inconclusive.
    pub cut_short: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "3f5e0c6a9b1d2e4f60718293a4b5c6d7e8f90a1b";

    #[test]
    fn terminal_states_are_case_insensitive() {
        assert_eq!(State::parse_terminal("SUCCESSFUL"), Some(State::Successful));
        assert_eq!(State::parse_terminal("cancel"), Some(State::Cancel));
        assert_eq!(State::parse_terminal(" timeout "), Some(State::Timeout));
        assert_eq!(State::parse_terminal("Pushing"), None);
        assert_eq!(State::parse_terminal("Failedx"), None);
        assert_eq!(State::parse_terminal(""), None);
    }

    #[test]
    fn a_build_knows_whether_it_finished() {
        let done = Build::finished("a", State::Failed, 7);
        assert_eq!(
            (done.state(), done.seconds(), done.state_name()),
            (Some(State::Failed), Some(7), "Failed")
        );
        assert_eq!(
            done.as_finished().map(|f| (f.id, f.seconds)),
            Some(("a", 7))
        );
        let running = Build::unfinished("b", "Building");
        assert_eq!(
            (running.state(), running.seconds(), running.state_name()),
            (None, None, "Building")
        );
        assert!(running.as_finished().is_none() && !running.is_finished());
    }

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
}
