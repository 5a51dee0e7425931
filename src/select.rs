//! Target selection: which build the rules judge (the newest; `--build-id`; with
//! `--commit` the build whose details matched; with `--ignore-running` the newest finished
//! one), the window of finished builds below it, why no target can be judged, what
//! `--wait` waits for, and whether paging must go on. Pure functions over the builds,
//! newest first; the `--commit` search itself is I/O, done by `fetch`.

use std::fmt;

use crate::model::CommitPrefix;
use crate::model::{Build, Finished};

/// How the target is picked, and how much of the list the rules need around it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Targeting<'a> {
    pub build_id: Option<&'a str>,
    pub commit: Option<&'a CommitPrefix>,
    pub ignore_running: bool,
    /// `--window`: the finished builds the history rules look at, and the finished
    /// builds a `--commit` search reads the details of.
    pub window: usize,
    /// History rules are set: the window below the target must be in hand as well.
    pub history: bool,
}

/// The one way a targeting picks, by precedence: `--commit`, `--build-id`,
/// `--ignore-running`, else the newest build.
enum Pick<'a> {
    Commit(&'a CommitPrefix),
    BuildId(&'a str),
    NewestFinished,
    Newest,
}

impl<'a> Targeting<'a> {
    fn pick(&self) -> Pick<'a> {
        match (self.commit, self.build_id) {
            (Some(commit), _) => Pick::Commit(commit),
            (None, Some(id)) => Pick::BuildId(id),
            (None, None) if self.ignore_running => Pick::NewestFinished,
            (None, None) => Pick::Newest,
        }
    }
}

/// Why the target cannot be judged: the rules that need it are inconclusive with this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// `--build-id` is not among the builds listed.
    NotListed(String),
    /// `--ignore-running`, and no listed build has finished.
    NoneFinished,
    /// The job has no builds at all.
    NoBuilds,
    /// The target is still running.
    Running { id: String, state: String },
    /// `--commit`: no build among the candidates has it; `prefix` is its first 7 digits.
    CommitNotFound { prefix: String, inspected: usize },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NotListed(id) => write!(f, "build {id} was not found in the builds listed"),
            Reason::NoneFinished => f.write_str("no finished build is listed"),
            Reason::NoBuilds => f.write_str("no builds are listed for this job"),
            Reason::Running { id, state } => write!(f, "build {id} has not finished ({state})"),
            Reason::CommitNotFound { prefix, inspected } => {
                write!(
                    f,
                    "no build of commit {prefix} among the newest {inspected}"
                )
            }
        }
    }
}

/// The index of the build to judge. `commit_match` is the id of the build whose details
/// matched `--commit`, as `fetch` found it.
pub fn target(builds: &[Build], commit_match: Option<&str>, targeting: Targeting) -> Option<usize> {
    match targeting.pick() {
        Pick::Commit(_) => commit_match.and_then(|id| builds.iter().position(|b| b.id == id)),
        Pick::BuildId(id) => builds.iter().position(|b| b.id == id),
        Pick::NewestFinished => builds.iter().position(Build::is_finished),
        Pick::Newest => (!builds.is_empty()).then_some(0),
    }
}

/// The builds a `--commit` search reads the details of, newest first: every build up to
/// and including the `window`-th finished one.
pub fn commit_candidates(builds: &[Build], window: usize) -> &[Build] {
    let end = builds
        .iter()
        .enumerate()
        .filter(|(_, b)| b.is_finished())
        .nth(window.saturating_sub(1))
        .map_or(builds.len(), |(i, _)| i + 1);
    &builds[..end]
}

/// The target when it can be judged (found and finished), else why not.
pub fn finished_target<'a>(
    builds: &'a [Build],
    index: Option<usize>,
    targeting: Targeting,
) -> Result<Finished<'a>, Reason> {
    let target = index.map(|i| &builds[i]);
    match target.map(|b| (b, b.as_finished())) {
        Some((_, Some(finished))) => Ok(finished),
        Some((build, None)) => Err(Reason::Running {
            id: build.id.clone(),
            state: build.state_name().to_string(),
        }),
        None => Err(match targeting.pick() {
            Pick::Commit(commit) => Reason::CommitNotFound {
                prefix: commit.as_str().chars().take(7).collect(),
                inspected: commit_candidates(builds, targeting.window).len(),
            },
            Pick::BuildId(id) => Reason::NotListed(id.to_string()),
            Pick::NewestFinished => Reason::NoneFinished,
            Pick::Newest => Reason::NoBuilds,
        }),
    }
}

/// The `size` most recent finished builds at or older than the target
/// (from the newest when there is no target).
pub fn window(builds: &[Build], index: Option<usize>, size: usize) -> Vec<Finished<'_>> {
    builds[index.unwrap_or(0)..]
        .iter()
        .filter_map(Build::as_finished)
        .take(size)
        .collect()
}

/// Whether the builds received so far are enough to judge, or another page is needed.
pub fn needs_more(builds: &[Build], targeting: Targeting) -> bool {
    // Every candidate of a commit search must be in hand before the search; with history
    // rules, also the window below the oldest candidate the search may pick (the
    // `window`-th finished build): `window - 1` finished builds more.
    if targeting.commit.is_some() {
        let needed = match targeting.history {
            true => 2 * targeting.window - 1,
            false => targeting.window,
        };
        return builds.iter().filter(|b| b.is_finished()).count() < needed;
    }
    let Some(index) = target(builds, None, targeting) else {
        return true;
    };
    targeting.history && window(builds, Some(index), targeting.window).len() < targeting.window
}

/// What a `--wait` is waiting for, or `None` when the target has finished.
pub fn awaited(
    builds: &[Build],
    commit_match: Option<&str>,
    targeting: Targeting,
) -> Option<String> {
    match target(builds, commit_match, targeting).map(|i| &builds[i]) {
        Some(build) if build.is_finished() => None,
        Some(build) => Some(format!("build {} ({})", build.id, build.state_name())),
        None => Some(match targeting.pick() {
            Pick::Commit(commit) => format!("a build of commit {}", commit.as_str()),
            Pick::BuildId(id) => format!("build {id} to be listed"),
            Pick::NewestFinished => "a finished build".to_string(),
            Pick::Newest => "a build to be listed".to_string(),
        }),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::State;

    /// `"S600 F30 C5 B"`: one build per word, newest first, ids b0, b1, ...
    /// S/F/T/C are the terminal states, B is Building, Q is Queuing; digits are seconds.
    pub(crate) fn builds(spec: &str) -> Vec<Build> {
        spec.split_whitespace()
            .enumerate()
            .map(|(i, word)| {
                let (code, seconds) = word.split_at(1);
                let id = format!("b{i}");
                let seconds = seconds.parse().unwrap_or(60);
                match code {
                    "S" => Build::finished(id, State::Successful, seconds),
                    "F" => Build::finished(id, State::Failed, seconds),
                    "T" => Build::finished(id, State::Timeout, seconds),
                    "C" => Build::finished(id, State::Cancel, seconds),
                    "B" => Build::unfinished(id, "Building"),
                    "Q" => Build::unfinished(id, "Queuing"),
                    other => panic!("unknown state code {other}"),
                }
            })
            .collect()
    }

    /// The newest build, a window of 10, no history rules.
    const NEWEST: Targeting<'static> = Targeting {
        build_id: None,
        commit: None,
        ignore_running: false,
        window: 10,
        history: false,
    };

    const IGNORE_RUNNING: Targeting<'static> = Targeting {
        ignore_running: true,
        ..NEWEST
    };

    fn by_id(id: &str) -> Targeting<'_> {
        Targeting {
            build_id: Some(id),
            ..NEWEST
        }
    }

    #[test]
    fn window_is_finished_builds_at_or_older_than_the_target() {
        let cases: [(&str, Option<&str>, usize, &str); 6] = [
            ("S F C T S", None, 10, "b0 b1 b2 b3 b4"),
            ("S F C T S", None, 2, "b0 b1"),
            ("B Q S F", None, 10, "b2 b3"),
            ("S F S T", Some("b2"), 10, "b2 b3"),
            ("S F B T", Some("b2"), 1, "b3"),
            ("S F", Some("none"), 10, "b0 b1"),
        ];
        for (spec, build_id, size, expected) in cases {
            let all = builds(spec);
            let targeting = Targeting { build_id, ..NEWEST };
            let ids: Vec<&str> = window(&all, target(&all, None, targeting), size)
                .iter()
                .map(|b| b.id)
                .collect();
            assert_eq!(ids.join(" "), expected, "{spec} {build_id:?} {size}");
        }
    }

    #[test]
    fn target_selection() {
        let cases: [(&str, Targeting, Option<&str>); 7] = [
            ("S F", NEWEST, Some("b0")),
            ("B S", NEWEST, Some("b0")),
            ("B Q S F", IGNORE_RUNNING, Some("b2")),
            ("B Q", IGNORE_RUNNING, None),
            ("S F S", by_id("b2"), Some("b2")),
            ("S F", by_id("nope"), None),
            ("", NEWEST, None),
        ];
        for (spec, targeting, expected) in cases {
            let target = target(&builds(spec), None, targeting).map(|i| format!("b{i}"));
            assert_eq!(target.as_deref(), expected, "{spec}");
        }
    }

    #[test]
    fn paging_stops_once_the_target_and_window_are_in() {
        let history = Targeting {
            history: true,
            window: 3,
            ..NEWEST
        };
        let cases = [
            ("", NEWEST, true),
            ("B", NEWEST, false),
            ("B", IGNORE_RUNNING, true),
            ("S F", history, true),
            ("S F B C", history, false),
            ("S F S", by_id("b3"), true),
            ("S F S S", by_id("b3"), false),
        ];
        for (spec, targeting, more) in cases {
            assert_eq!(
                needs_more(&builds(spec), targeting),
                more,
                "{spec} {targeting:?}"
            );
        }
    }

    #[test]
    fn awaited_names_what_wait_is_for() {
        let cases = [
            ("S B", NEWEST, None),
            ("B S", NEWEST, Some("build b0 (Building)")),
            ("", NEWEST, Some("a build to be listed")),
            ("S", by_id("x9"), Some("build x9 to be listed")),
            ("Q", IGNORE_RUNNING, Some("a finished build")),
        ];
        for (spec, targeting, expected) in cases {
            assert_eq!(
                awaited(&builds(spec), None, targeting).as_deref(),
                expected,
                "{spec}"
            );
        }
    }

    #[test]
    fn finished_target_says_why_it_cannot_be_judged() {
        let running = |id: &str, state: &str| Reason::Running {
            id: id.into(),
            state: state.into(),
        };
        let cases: [(&str, Targeting, Result<&str, Reason>); 6] = [
            ("F30 S", NEWEST, Ok("b0")),
            ("B S", NEWEST, Err(running("b0", "Building"))),
            ("", NEWEST, Err(Reason::NoBuilds)),
            ("B Q", IGNORE_RUNNING, Err(Reason::NoneFinished)),
            ("S Q", by_id("b1"), Err(running("b1", "Queuing"))),
            ("S", by_id("x"), Err(Reason::NotListed("x".into()))),
        ];
        for (spec, targeting, expected) in cases {
            let all = builds(spec);
            let index = target(&all, None, targeting);
            let target = finished_target(&all, index, targeting);
            assert_eq!(target.map(|t| t.id), expected, "{spec}");
        }
        let all = builds("F30");
        let target = finished_target(&all, Some(0), NEWEST).unwrap();
        assert_eq!((target.state, target.seconds), (State::Failed, 30));
        let messages = [
            (
                Reason::NotListed("x".into()),
                "build x was not found in the builds listed",
            ),
            (Reason::NoneFinished, "no finished build is listed"),
            (Reason::NoBuilds, "no builds are listed for this job"),
            (
                running("b", "Queuing"),
                "build b has not finished (Queuing)",
            ),
            (
                Reason::CommitNotFound {
                    prefix: "abcdef1".into(),
                    inspected: 3,
                },
                "no build of commit abcdef1 among the newest 3",
            ),
        ];
        for (reason, message) in messages {
            assert_eq!(reason.to_string(), message);
        }
    }

    #[test]
    fn a_commit_target_is_only_the_build_fetch_matched() {
        let commit = CommitPrefix::parse("ABCDEF1234").unwrap();
        let targeting = Targeting {
            commit: Some(&commit),
            window: 2,
            ..NEWEST
        };
        // Candidates: up to and including the window-th finished build.
        let all = builds("B Q S F S S");
        let ids = |b: &[Build]| b.iter().map(|b| b.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(commit_candidates(&all, 2)), ["b0", "b1", "b2", "b3"]);
        assert_eq!(ids(commit_candidates(&all, 9)).len(), 6);
        assert!(needs_more(&builds("B S"), targeting));
        assert!(!needs_more(&builds("B S F"), targeting));
        let with_history = Targeting {
            history: true,
            ..targeting
        };
        assert!(needs_more(&builds("B S F"), with_history));
        assert!(!needs_more(&builds("B S F S"), with_history));

        let all = builds("S F S");
        assert_eq!(target(&all, Some("b1"), targeting), Some(1));
        assert_eq!(target(&all, None, targeting), None, "never the newest");
        assert_eq!(target(&all, Some("gone"), targeting), None);
        assert_eq!(
            finished_target(&builds("B S F S"), None, targeting).map(|t| t.id),
            Err(Reason::CommitNotFound {
                prefix: "abcdef1".into(),
                inspected: 3
            })
        );

        let awaited_for = |spec, matched| awaited(&builds(spec), matched, targeting);
        assert_eq!(
            awaited_for("S", None).as_deref(),
            Some("a build of commit abcdef1234")
        );
        assert_eq!(
            awaited_for("B S", Some("b0")).as_deref(),
            Some("build b0 (Building)")
        );
        assert_eq!(awaited_for("B S", Some("b1")), None);
    }

    #[test]
    fn a_commit_search_pages_until_its_candidates_and_their_window_are_in() {
        let prefix = CommitPrefix::parse("abcdef1").unwrap();
        let commit = Targeting {
            commit: Some(&prefix),
            window: 3,
            ..NEWEST
        };
        let with_history = Targeting {
            history: true,
            ..commit
        };
        // Without history rules the window's 3 finished builds are the candidates; with
        // them, the oldest candidate's window adds 2 more: 5.
        let cases = [
            ("B S F", commit, true),
            ("B S F S", commit, false),
            ("S F S S", with_history, true),
            ("B S F S Q S C", with_history, false),
        ];
        for (spec, targeting, more) in cases {
            assert_eq!(
                needs_more(&builds(spec), targeting),
                more,
                "{spec} {targeting:?}"
            );
        }
    }
}
