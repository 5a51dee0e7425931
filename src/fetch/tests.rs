//! `fetch` over a fake backend and a fake clock: no server, no waiting.

use std::cell::{Cell, RefCell};

use super::*;
use crate::backend::{Page, PageRef};
use crate::http::FakeClock;
use crate::model::State;
use crate::model::record::BuildIds;

const SHA: &str = "3f5e0c6a9b1d2e4f60718293a4b5c6d7e8f90a1b";

/// A backend whose list is `looks[n]` at the n-th look (the last one repeats), one page
/// long; it records what was asked of it.
#[derive(Default)]
struct Fake {
    looks: Vec<Vec<Build>>,
    details: Vec<BuildDetails>,
    /// Details that replace `details` from the second look on.
    later_details: Vec<BuildDetails>,
    phase: Option<Result<Option<String>, Error>>,
    jobs: Vec<Job>,
    looked: Cell<usize>,
    asked: RefCell<Vec<String>>,
}

impl Fake {
    fn asked(&self) -> Vec<String> {
        self.asked.borrow().clone()
    }
}

impl Backend for Fake {
    fn find_job(&self, name: &str, _: &mut dyn FnMut(&str)) -> Result<Job, Error> {
        self.asked.borrow_mut().push(format!("job {name}"));
        let found = self
            .jobs
            .iter()
            .find(|job| job.name.eq_ignore_ascii_case(name));
        found
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("no job {name}")))
    }

    fn page(&self, job: &Job, at: PageRef, _: &mut dyn FnMut(&str)) -> Result<Page, Error> {
        self.asked
            .borrow_mut()
            .push(format!("page {} of {}", at.index, job.id));
        let look = self.looked.get();
        self.looked.set(look + 1);
        let builds = self.looks[look.min(self.looks.len() - 1)].clone();
        Ok(Page {
            builds,
            ..Page::default()
        })
    }

    fn details(
        &self,
        _: &Job,
        build: &Build,
        _: &mut dyn FnMut(&str),
    ) -> Result<BuildDetails, Error> {
        self.asked
            .borrow_mut()
            .push(format!("details {}", build.id));
        let later = self.later_details.iter().filter(|_| self.looked.get() > 1);
        let found = later.chain(&self.details).find(|d| d.build_id == build.id);
        found
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("no details of {}", build.id)))
    }

    fn failed_phase(
        &self,
        _: &Job,
        build: &Build,
        _: &mut dyn FnMut(&str),
    ) -> Result<Option<String>, Error> {
        self.asked.borrow_mut().push(format!("phase {}", build.id));
        self.phase.clone().unwrap_or(Ok(None))
    }

    fn build_ids(&self) -> BuildIds {
        BuildIds::Service
    }
}

fn job_ref(id: Option<&str>, name: &str) -> JobRef {
    JobRef {
        id: id.map(str::to_string),
        name: Some(name.to_string()),
    }
}

fn details(id: &str, state: Option<State>, commit: &str) -> BuildDetails {
    BuildDetails {
        build_id: id.into(),
        state: state.map(|s| s.name().to_string()),
        commit: Some(commit.into()),
        ..BuildDetails::default()
    }
}

/// Fetches `job` from `backend` with a fake clock and a record of its own; the history,
/// the sleeps and the log.
fn run(
    backend: &Fake,
    rules: &RuleConfig,
    wait: u64,
    job: &JobRef,
) -> (JobRef, Result<History, Error>, Vec<Duration>, Vec<String>) {
    run_on(&Record::default(), backend, rules, wait, job)
}

/// `run`, on the run's `record`.
fn run_on(
    record: &Record,
    backend: &Fake,
    rules: &RuleConfig,
    wait: u64,
    job: &JobRef,
) -> (JobRef, Result<History, Error>, Vec<Duration>, Vec<String>) {
    let clock = FakeClock::new();
    let wait = Duration::from_secs(wait);
    let deadline = Deadline::for_run(wait, Duration::from_secs(30), 3, &clock);
    let polling = Polling {
        wait,
        interval: Duration::from_secs(15),
    };
    let mut lines = Vec::new();
    let mut log = |line: &str| lines.push(line.to_string());
    let (judged, history) = fetch(backend, rules, polling, job, &deadline, record, &mut log);
    (judged, history, clock.sleeps(), lines)
}

#[test]
fn waiting_polls_on_the_clock_until_the_target_finishes() {
    let backend = Fake {
        looks: vec![
            vec![Build::unfinished("b1", "Queuing")],
            vec![Build::unfinished("b1", "Building")],
            vec![Build::finished("b1", State::Successful, 60)],
        ],
        ..Fake::default()
    };
    let job = job_ref(Some("j"), "web");
    let (judged, history, sleeps, lines) = run(&backend, &RuleConfig::default(), 60, &job);
    assert_eq!(judged, job);
    assert!(history.unwrap().builds[0].is_finished());
    assert_eq!(sleeps, [Duration::from_secs(15); 2]);
    assert_eq!(
        lines,
        [
            "waiting for build b1 (Queuing), 1m left",
            "waiting for build b1 (Building), 45s left"
        ]
    );
    assert_eq!(backend.looked.get(), 3);
}

#[test]
fn the_wait_deadline_ends_polling_with_the_last_look() {
    let backend = Fake {
        looks: vec![vec![Build::unfinished("b1", "Building")]],
        ..Fake::default()
    };
    let job = job_ref(Some("j"), "web");
    let (_, history, sleeps, _) = run(&backend, &RuleConfig::default(), 40, &job);
    assert!(!history.unwrap().builds[0].is_finished());
    let s = Duration::from_secs;
    assert_eq!(sleeps, [s(15), s(15), s(10)]);
    assert_eq!(backend.looked.get(), 3);
}

#[test]
fn without_wait_one_look_and_no_sleep() {
    let backend = Fake {
        looks: vec![vec![Build::unfinished("b1", "Building")]],
        ..Fake::default()
    };
    let (_, history, sleeps, lines) = run(
        &backend,
        &RuleConfig::default(),
        0,
        &job_ref(Some("j"), "web"),
    );
    assert!(history.is_ok() && sleeps.is_empty() && lines.is_empty());
    assert_eq!(backend.asked(), ["page 0 of j"]);
}

#[test]
fn a_job_without_an_id_is_found_by_name_and_judged_as_listed() {
    let backend = Fake {
        looks: vec![vec![Build::finished("b1", State::Successful, 1)]],
        jobs: vec![Job {
            id: "id-7".into(),
            name: "Web".into(),
        }],
        ..Fake::default()
    };
    let (judged, history, _, _) = run(&backend, &RuleConfig::default(), 0, &job_ref(None, "web"));
    assert_eq!(judged, job_ref(Some("id-7"), "Web"));
    assert!(history.is_ok());
    assert_eq!(backend.asked(), ["job web", "page 0 of id-7"]);
    let (judged, history, _, _) = run(&backend, &RuleConfig::default(), 0, &job_ref(None, "api"));
    assert_eq!(
        (judged, history.unwrap_err().kind()),
        (job_ref(None, "api"), "not-found")
    );
}

#[test]
fn the_commit_search_reads_details_newest_first_and_stops_at_the_match() {
    let backend = Fake {
        looks: vec![vec![
            Build::finished("b3", State::Successful, 1),
            Build::finished("b2", State::Failed, 1),
            Build::finished("b1", State::Successful, 1),
        ]],
        details: vec![
            details("b3", Some(State::Successful), "0000000aaa"),
            details("b2", Some(State::Failed), SHA),
            details("b1", Some(State::Successful), SHA),
        ],
        phase: Some(Ok(Some("Build".into()))),
        ..Fake::default()
    };
    let rules = RuleConfig {
        commit: Some(CommitPrefix::parse(&SHA[..7]).unwrap()),
        ..RuleConfig::default()
    };
    let (_, history, _, _) = run(&backend, &rules, 0, &job_ref(Some("j"), "web"));
    let history = history.unwrap();
    assert_eq!(history.commit_match.as_deref(), Some("b2"));
    assert_eq!(history.explanation.details.unwrap().build_id, "b2");
    assert_eq!(
        history.explanation.failed_phase,
        Some(FailedPhase::Named("Build".into()))
    );
    assert_eq!(
        backend.asked(),
        ["page 0 of j", "details b3", "details b2", "phase b2"]
    );
}

#[test]
fn details_kept_across_polls_are_read_again_once_the_build_finished() {
    let backend = Fake {
        looks: vec![
            vec![Build::unfinished("b1", "Building")],
            vec![Build::unfinished("b1", "Building")],
            vec![Build::finished("b1", State::Successful, 1)],
        ],
        details: vec![details("b1", None, SHA)],
        ..Fake::default()
    };
    let rules = RuleConfig {
        commit: Some(CommitPrefix::parse(SHA).unwrap()),
        ..RuleConfig::default()
    };
    let (_, history, _, _) = run(&backend, &rules, 60, &job_ref(Some("j"), "web"));
    assert_eq!(history.unwrap().commit_match.as_deref(), Some("b1"));
    let reads = backend
        .asked()
        .iter()
        .filter(|a| *a == "details b1")
        .count();
    assert_eq!(reads, 2, "{:?}", backend.asked());
}

#[test]
fn details_that_name_another_end_state_are_an_error() {
    let backend = Fake {
        looks: vec![vec![Build::finished("b1", State::Successful, 1)]],
        details: vec![details("b1", Some(State::Failed), SHA)],
        ..Fake::default()
    };
    let rules = RuleConfig {
        commit: Some(CommitPrefix::parse(SHA).unwrap()),
        ..RuleConfig::default()
    };
    let (_, history, _, _) = run(&backend, &rules, 0, &job_ref(Some("j"), "web"));
    assert_eq!(
        history.unwrap_err(),
        Error::Response(
            "build b1 is Successful in the build list (page 1) but Failed in its details".into()
        )
    );
}

#[test]
fn a_failed_target_is_explained_and_the_explanation_never_fails_the_run() {
    let cases = [
        (
            Ok(Some("Build".to_string())),
            FailedPhase::Named("Build".into()),
        ),
        (Ok(None), FailedPhase::NotReported),
        (
            Err(Error::Network("reset".into())),
            FailedPhase::Unavailable("network: reset".into()),
        ),
    ];
    for (phase, expected) in cases {
        let backend = Fake {
            looks: vec![vec![Build::finished("b1", State::Timeout, 1)]],
            phase: Some(phase),
            ..Fake::default()
        };
        let (_, history, _, _) = run(
            &backend,
            &RuleConfig::default(),
            0,
            &job_ref(Some("j"), "web"),
        );
        assert_eq!(history.unwrap().explanation.failed_phase, Some(expected));
    }
    let passing = Fake {
        looks: vec![vec![Build::finished("b1", State::Successful, 1)]],
        ..Fake::default()
    };
    let _ = run(
        &passing,
        &RuleConfig::default(),
        0,
        &job_ref(Some("j"), "web"),
    );
    assert_eq!(passing.asked(), ["page 0 of j"], "no phases for a pass");
}

#[test]
#[allow(clippy::disallowed_methods, reason = "a saved response on disk")]
fn a_saved_response_with_a_conflict_is_refused() {
    let path = std::env::temp_dir().join(format!("gate-conflict-{}.json", std::process::id()));
    std::fs::write(
        &path,
        r#"{"list":[{"build_id":"a","build_state":"Failed","duration":1},
                    {"build_id":"a","build_state":"Successful","duration":1}]}"#,
    )
    .unwrap();
    let result = load_saved(Some(&path), &RuleConfig::default());
    let _ = std::fs::remove_file(&path);
    assert_eq!(
        result.unwrap_err(),
        Error::Response("list[1]: build a is listed twice with different fields".into())
    );
}

#[test]
fn waiting_for_a_commit_polls_every_interval_until_its_build_finishes() {
    let old = Build::finished("old", State::Successful, 1);
    let backend = Fake {
        looks: vec![
            vec![old.clone()],
            vec![Build::unfinished("new", "Queuing"), old.clone()],
            vec![Build::finished("new", State::Successful, 1), old],
        ],
        details: vec![
            details("old", None, "0000000aaa"),
            details("new", None, SHA),
        ],
        ..Fake::default()
    };
    let rules = RuleConfig {
        commit: Some(CommitPrefix::parse(&SHA[..7]).unwrap()),
        ..RuleConfig::default()
    };
    let (_, history, sleeps, _) = run(&backend, &rules, 60, &job_ref(Some("j"), "web"));
    assert_eq!(history.unwrap().commit_match.as_deref(), Some("new"));
    assert_eq!(sleeps, [Duration::from_secs(15); 2]);
    assert_eq!(backend.looked.get(), 3);
}

#[test]
fn waiting_for_a_commit_never_built_ends_at_the_deadline() {
    let backend = Fake {
        looks: vec![vec![Build::finished("b1", State::Successful, 1)]],
        details: vec![details("b1", Some(State::Successful), "0000000aaa")],
        ..Fake::default()
    };
    let rules = RuleConfig {
        commit: Some(CommitPrefix::parse(&SHA[..7]).unwrap()),
        ..RuleConfig::default()
    };
    let (_, history, sleeps, _) = run(&backend, &rules, 40, &job_ref(Some("j"), "web"));
    assert_eq!(history.unwrap().commit_match, None);
    let s = Duration::from_secs;
    assert_eq!(sleeps, [s(15), s(15), s(10)]);
    // Polled three times; the details of a finished build that names a commit, once.
    assert_eq!(backend.looked.get(), 3);
    let reads = backend
        .asked()
        .iter()
        .filter(|a| *a == "details b1")
        .count();
    assert_eq!(reads, 1, "{:?}", backend.asked());
}

#[test]
fn every_look_goes_to_the_record() {
    let b = |id: &str, state| Build::finished(id, state, 60);
    let commit = RuleConfig {
        commit: Some(CommitPrefix::parse(SHA).unwrap()),
        ..RuleConfig::default()
    };
    // name, looks, details (first look, later), rules, the error
    type Case<'a> = (
        &'a str,
        Vec<Vec<Build>>,
        [Vec<BuildDetails>; 2],
        RuleConfig,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            "the newest build leaves the list while waiting",
            vec![
                vec![
                    Build::unfinished("b2", "Building"),
                    b("b1", State::Successful),
                ],
                vec![b("b1", State::Successful)],
            ],
            [vec![], vec![]],
            RuleConfig::default(),
            "build b2 is in the build list of poll 1 but missing from poll 2, which still lists \
             build b1, listed below it",
        ),
        (
            "a finished build fails later",
            vec![
                vec![
                    Build::unfinished("b2", "Building"),
                    b("b1", State::Successful),
                ],
                vec![Build::unfinished("b2", "Building"), b("b1", State::Failed)],
            ],
            [vec![], vec![]],
            RuleConfig::default(),
            "build b1 is Successful in the build list (page 1) but Failed in the build list (poll 2, page 1)",
        ),
        (
            "the awaited build's commit changes once it finished",
            vec![
                vec![
                    Build::unfinished("b2", "Building"),
                    b("b1", State::Successful),
                ],
                vec![b("b2", State::Successful), b("b1", State::Successful)],
            ],
            [
                vec![
                    details("b2", None, SHA),
                    details("b1", Some(State::Successful), SHA),
                ],
                vec![details("b2", Some(State::Successful), "0000000aaa")],
            ],
            commit.clone(),
            "build b2 has commit 3f5e0c6a9b1d2e4f60718293a4b5c6d7e8f90a1b in its details but 0000000aaa in its details (poll 2)",
        ),
        (
            "details of a listed Successful build say it still runs",
            vec![vec![b("b1", State::Successful)]],
            [
                vec![BuildDetails {
                    state: Some("Building".into()),
                    ..details("b1", None, SHA)
                }],
                vec![],
            ],
            commit,
            "build b1 is Successful in the build list (page 1) but Building in its details",
        ),
    ];
    for (name, looks, [first, later], rules, message) in cases {
        let backend = Fake {
            looks,
            details: first,
            later_details: later,
            ..Fake::default()
        };
        let (_, history, _, _) = run(&backend, &rules, 60, &job_ref(Some("j"), "web"));
        assert_eq!(
            history.unwrap_err(),
            Error::Response(message.into()),
            "{name}"
        );
    }
}

#[test]
fn the_jobs_of_a_run_share_its_record() {
    let backend = Fake {
        looks: vec![vec![Build::finished("b1", State::Successful, 1)]],
        jobs: vec![
            Job {
                id: "same".into(),
                name: "api".into(),
            },
            Job {
                id: "same".into(),
                name: "web".into(),
            },
        ],
        ..Fake::default()
    };
    let record = Record::default();
    let rules = RuleConfig::default();
    let (_, api, _, _) = run_on(&record, &backend, &rules, 0, &job_ref(None, "api"));
    assert!(api.is_ok());
    let (judged, web, _, _) = run_on(&record, &backend, &rules, 0, &job_ref(None, "web"));
    assert_eq!(judged, job_ref(None, "web"), "not judged as found");
    assert_eq!(
        web.unwrap_err(),
        Error::Response(
            r#"job id same is "api" in the job list (looking up "api") but "web" in the job list (looking up "web")"#
                .into()
        )
    );
    // Alone, each passes.
    let (_, web, _, _) = run(&backend, &rules, 0, &job_ref(None, "web"));
    assert!(web.is_ok());
}

#[test]
fn a_failed_look_falls_back_to_the_last_only_when_the_deadline_cut_it_and_it_is_no_lie() {
    let last = History {
        builds: vec![Build::unfinished("b1", "Building")],
        ..History::default()
    };
    let timeout = || Error::Timeout("the --wait deadline".into());
    let lie = || Error::Response("build b1 is ...".into());
    let cases = [
        (timeout(), Some(last.clone()), true, Ok(last.clone())),
        (
            Error::Network("reset".into()),
            Some(last.clone()),
            true,
            Ok(last.clone()),
        ),
        (timeout(), Some(last.clone()), false, Err(timeout())),
        (timeout(), None, true, Err(timeout())),
        (lie(), Some(last.clone()), true, Err(lie())),
        (lie(), Some(last.clone()), false, Err(lie())),
    ];
    for (error, previous, passed, expected) in cases {
        let shown = format!("{error} {passed}");
        assert_eq!(
            after_failed_look(error, previous, passed),
            expected,
            "{shown}"
        );
    }
}

#[test]
#[allow(clippy::disallowed_methods, reason = "a saved response on disk")]
fn a_saved_page_cut_short_or_with_counts_below_its_list() {
    let two = r#"[{"build_id":"a","build_state":"Successful","duration":1},
                 {"build_id":"b","build_state":"Successful","duration":1}]"#;
    let history_rules = RuleConfig {
        min_success_rate: Some(crate::rules::Percent(50.0)),
        ..RuleConfig::default()
    };
    let cases = [
        (
            r#""total":50"#,
            &history_rules,
            Ok(Some(
                "the API counts 50 builds but only 2 were received: the list was cut short",
            )),
        ),
        (r#""total":50"#, &RuleConfig::default(), Ok(None)),
        (r#""total":2"#, &history_rules, Ok(None)),
        (
            r#""finished":1"#,
            &RuleConfig::default(),
            Err("the build list (page 1) counts 1 finished builds, but 2 were received"),
        ),
    ];
    for (counts, rules, expected) in cases {
        let path = std::env::temp_dir().join(format!("gate-counts-{}.json", std::process::id()));
        std::fs::write(&path, format!(r#"{{{counts},"list":{two}}}"#)).unwrap();
        let result = load_saved(Some(&path), rules);
        let _ = std::fs::remove_file(&path);
        let got = result
            .map(|h| h.cut_short)
            .map_err(|e| e.message().to_string());
        let got = got.as_ref().map(Option::as_deref).map_err(String::as_str);
        assert_eq!(got, expected, "{counts}");
    }
}

#[test]
fn the_commit_search_skips_unfinished_builds_only_with_ignore_running() {
    let candidates = [
        Build::unfinished("b3", "Building"),
        Build::finished("b2", State::Failed, 1),
        Build::finished("b1", State::Successful, 1),
    ];
    let commit = CommitPrefix::parse(&SHA[..7]).unwrap();
    // finished only, the build found, the details read
    let cases = [(false, Some("b3"), "b3"), (true, Some("b2"), "b2")];
    for (finished_only, found, expected_reads) in cases {
        let mut reads = Vec::new();
        let mut read = |build: &Build| {
            reads.push(build.id.clone());
            Ok(details(&build.id, None, SHA))
        };
        let result = find_commit(&candidates, &commit, finished_only, &mut read).unwrap();
        assert_eq!(
            (result.map(|d| d.build_id), reads.join(" ")),
            (found.map(str::to_string), expected_reads.to_string()),
            "finished only: {finished_only}"
        );
    }
}
