//! The record's decisions, table by table, and sequences of answers through a record.

use super::*;

fn finished(state: State, seconds: Option<u64>) -> Said {
    Said::Finished { state, seconds }
}

fn unfinished(state: &str) -> Said {
    Said::Unfinished(state.into())
}

const SUCCESSFUL: State = State::Successful;

#[test]
fn a_build_moves_forward_only() {
    let cases = [
        // known, new, kept (None: a contradiction)
        (
            unfinished("Queuing"),
            unfinished("Building"),
            Some(unfinished("Building")),
        ),
        (
            unfinished("Building"),
            unfinished("Queuing"),
            Some(unfinished("Queuing")),
        ),
        (
            unfinished("Building"),
            finished(SUCCESSFUL, Some(60)),
            Some(finished(SUCCESSFUL, Some(60))),
        ),
        (
            unfinished("Building"),
            finished(SUCCESSFUL, None),
            Some(finished(SUCCESSFUL, None)),
        ),
        (
            finished(SUCCESSFUL, Some(60)),
            finished(SUCCESSFUL, Some(60)),
            Some(finished(SUCCESSFUL, Some(60))),
        ),
        (
            finished(SUCCESSFUL, None),
            finished(SUCCESSFUL, Some(60)),
            Some(finished(SUCCESSFUL, Some(60))),
        ),
        (
            finished(SUCCESSFUL, Some(60)),
            finished(SUCCESSFUL, None),
            Some(finished(SUCCESSFUL, Some(60))),
        ),
        (
            finished(SUCCESSFUL, Some(60)),
            finished(SUCCESSFUL, Some(61)),
            None,
        ),
        (
            finished(SUCCESSFUL, Some(60)),
            finished(State::Failed, Some(60)),
            None,
        ),
        (
            finished(SUCCESSFUL, None),
            finished(State::Cancel, None),
            None,
        ),
        (finished(SUCCESSFUL, Some(60)), unfinished("Building"), None),
        (finished(State::Failed, None), unfinished("Error"), None),
    ];
    for (known, new, kept) in cases {
        assert_eq!(merge_state(&known, &new), kept, "{known:?} then {new:?}");
    }
}

#[test]
fn states_are_read_from_lists_and_details() {
    assert_eq!(
        Said::of_build(&Build::finished("a", State::Timeout, 9)),
        finished(State::Timeout, Some(9))
    );
    assert_eq!(
        Said::of_build(&Build::unfinished("a", "Building")),
        unfinished("Building")
    );
    let details = [
        ("Successful", finished(SUCCESSFUL, None)),
        ("FAILED", finished(State::Failed, None)),
        ("Building", unfinished("Building")),
        ("Aborted", unfinished("Aborted")),
    ];
    for (raw, said) in details {
        assert_eq!(Said::of_details(raw), said, "{raw}");
    }
}

#[test]
fn a_contradiction_shows_durations_only_when_they_are_the_difference() {
    let cases = [
        (
            finished(SUCCESSFUL, Some(60)),
            finished(SUCCESSFUL, Some(61)),
            ("Successful in 60s", "Successful in 61s"),
        ),
        (
            finished(SUCCESSFUL, Some(60)),
            finished(State::Failed, Some(60)),
            ("Successful", "Failed"),
        ),
        (
            finished(SUCCESSFUL, Some(60)),
            unfinished("Building"),
            ("Successful", "Building"),
        ),
    ];
    for (known, new, (before, now)) in cases {
        assert_eq!(shown(&known, &new), (before.to_string(), now.to_string()));
    }
}

fn order(ids: &[&str]) -> Vec<Listed> {
    ids.iter()
        .map(|id| Listed {
            id: id.to_string(),
            poll: 1,
        })
        .collect()
}

#[test]
fn a_build_leaves_the_list_only_with_every_build_below_it() {
    // known order, newest first; listed now; (gone, the older build still listed)
    type Case<'a> = (&'a [&'a str], &'a [&'a str], Option<(&'a str, &'a str)>);
    let cases: [Case; 9] = [
        (&["b3", "b2", "b1"], &["b3", "b2", "b1"], None),
        (&["b3", "b2", "b1"], &["b4", "b3", "b2", "b1"], None),
        (&["b3", "b2", "b1"], &["b4", "b3"], None),
        (&["b3", "b2", "b1"], &["b4"], None),
        (&["b3", "b2", "b1"], &[], None),
        (&["b3", "b2", "b1"], &["b2", "b1"], Some(("b3", "b2"))),
        (&["b3", "b2", "b1"], &["b3", "b1"], Some(("b2", "b1"))),
        (&["b3", "b2", "b1"], &["b4", "b1"], Some(("b3", "b1"))),
        (&[], &["b1"], None),
    ];
    for (known, listed, expected) in cases {
        let known = order(known);
        let listed: HashSet<&str> = listed.iter().copied().collect();
        let got = vanished(&known, &listed).map(|(gone, older)| (gone.id.as_str(), older));
        assert_eq!(got, expected, "{known:?} then {listed:?}");
    }
}

fn claimed(total: Option<u64>, finished: Option<u64>, successful: Option<u64>) -> Claimed {
    Claimed {
        total,
        finished,
        successful,
    }
}

const TWO_DONE: Tally = Tally {
    total: 3,
    finished: 2,
    successful: 1,
};

#[test]
fn counts_below_what_was_received_cannot_be_true() {
    let cases = [
        (claimed(Some(3), Some(2), Some(1)), None),
        (claimed(Some(50), Some(40), Some(30)), None),
        (claimed(None, None, None), None),
        (
            claimed(Some(2), None, None),
            Some("counts 2 builds, but 3 were received"),
        ),
        (
            claimed(None, Some(1), None),
            Some("counts 1 finished builds, but 2 were received"),
        ),
        (
            claimed(Some(9), Some(9), Some(0)),
            Some("counts 0 Successful builds, but 1 were received"),
        ),
        (
            claimed(Some(0), Some(0), Some(0)),
            Some("counts 0 finished builds, but 2 were received"),
        ),
    ];
    for (claimed, expected) in cases {
        assert_eq!(
            counts_below(claimed, TWO_DONE).as_deref(),
            expected,
            "{claimed:?}"
        );
    }
}

#[test]
fn counts_above_what_arrived_mean_a_list_cut_short() {
    let short = |claimed, what, got| {
        format!(
            "the API counts {claimed} {what} but only {got} were received: the list was cut short"
        )
    };
    let cases = [
        (claimed(Some(3), Some(2), Some(1)), None),
        (claimed(None, None, None), None),
        (
            claimed(Some(50), Some(50), Some(50)),
            Some(short(50, "finished builds", 2)),
        ),
        // `finished` agrees with what arrived; only `total` says more
        (
            claimed(Some(50), Some(2), Some(1)),
            Some(short(50, "builds", 3)),
        ),
        (
            claimed(None, None, Some(2)),
            Some(short(2, "Successful builds", 1)),
        ),
        // below is for `counts_below`; above is what this looks for
        (
            claimed(Some(1), Some(9), None),
            Some(short(9, "finished builds", 2)),
        ),
    ];
    for (claimed, expected) in cases {
        assert_eq!(cut_short(claimed, TWO_DONE), expected, "{claimed:?}");
    }
}

#[test]
fn a_tally_counts_as_the_api_does() {
    let builds = [
        Build::finished("a", SUCCESSFUL, 1),
        Build::finished("b", State::Cancel, 1),
        Build::unfinished("c", "Building"),
    ];
    assert_eq!(Tally::of(&builds), TWO_DONE);
}

#[test]
fn sources_say_which_answer() {
    let cases = [
        (Source::List { poll: 1, page: 1 }, "the build list (page 1)"),
        (
            Source::List { poll: 3, page: 2 },
            "the build list (poll 3, page 2)",
        ),
        (Source::Details { poll: 1 }, "its details"),
        (Source::Details { poll: 2 }, "its details (poll 2)"),
    ];
    for (source, shown) in cases {
        assert_eq!(source.to_string(), shown);
    }
}

/// One answer, as `fetch` records it.
enum Told<'a> {
    /// A job named by a lookup of its name.
    Job(&'a str, &'a str),
    /// A page of job `.0`'s list: builds (`S60` Successful in 60 s, `F` Failed, `B`
    /// Building, as `id:code`), at poll `.2`, page `.3`.
    Page(&'a str, &'a str, u32, u32),
    /// Job `.0`'s whole list at poll `.2`.
    Listed(&'a str, &'a str, u32),
    /// Details of build `.1` of job `.0`: state, commit, at poll `.4`.
    Details(&'a str, &'a str, Option<&'a str>, Option<&'a str>, u32),
    /// Details of build `.1` of job `.0` with only a branch and a start time, at poll `.4`.
    Born(&'a str, &'a str, Option<&'a str>, Option<&'a str>, u32),
}

fn parse_builds(spec: &str) -> Vec<Build> {
    spec.split_whitespace()
        .map(|word| {
            let (id, code) = word.split_once(':').unwrap();
            let (kind, seconds) = code.split_at(1);
            let seconds = seconds.parse().unwrap_or(60);
            match kind {
                "S" => Build::finished(id, SUCCESSFUL, seconds),
                "F" => Build::finished(id, State::Failed, seconds),
                "B" => Build::unfinished(id, "Building"),
                other => panic!("no state code {other}"),
            }
        })
        .collect()
}

/// Tells `record` everything in `told`, each job as `ids` says; the first error.
fn tell(told: &[Told], ids: BuildIds) -> Result<(), String> {
    let record = Record::default();
    let job = |id: &str| Job {
        id: id.into(),
        name: id.into(),
    };
    let facts = |id: &str| record.job(&job(id), "the test", ids);
    let result = told.iter().try_for_each(|told| match *told {
        Told::Job(id, name) => {
            let named = Job {
                id: id.into(),
                name: name.into(),
            };
            record
                .job(&named, &format!("the job list (looking up {name:?})"), ids)
                .map(drop)
        }
        Told::Page(id, spec, poll, page) => {
            facts(id)?.page(&parse_builds(spec), Source::List { poll, page })
        }
        Told::Listed(id, spec, poll) => facts(id)?.listed(&parse_builds(spec), poll),
        Told::Details(id, build, state, commit, poll) => {
            let details = BuildDetails {
                build_id: build.into(),
                state: state.map(str::to_string),
                commit: commit.map(str::to_string),
                ..BuildDetails::default()
            };
            facts(id)?.details(&details, poll).map(drop)
        }
        Told::Born(id, build, branch, started_at, poll) => {
            let details = BuildDetails {
                build_id: build.into(),
                branch: branch.map(str::to_string),
                started_at: started_at.map(str::to_string),
                ..BuildDetails::default()
            };
            facts(id)?.details(&details, poll).map(drop)
        }
    });
    result.map_err(|e| e.to_string())
}

#[test]
fn answers_that_agree_are_recorded_and_a_contradiction_names_both() {
    use Told::*;
    let cases: Vec<(&str, Vec<Told>, Result<(), &str>)> = vec![
        (
            "a build finishing between polls",
            vec![
                Page("j", "b2:B b1:S", 1, 1),
                Listed("j", "b2:B b1:S", 1),
                Page("j", "b3:B b2:S70 b1:S", 2, 1),
                Listed("j", "b3:B b2:S70 b1:S", 2),
            ],
            Ok(()),
        ),
        (
            "a finished build failing later",
            vec![Page("j", "b1:S", 1, 1), Page("j", "b1:F", 2, 1)],
            Err(
                "response: build b1 is Successful in the build list (page 1) but Failed in the build list (poll 2, page 1)",
            ),
        ),
        (
            "a finished build unfinished again",
            vec![Page("j", "b1:S", 1, 1), Page("j", "b1:B", 2, 1)],
            Err(
                "response: build b1 is Successful in the build list (page 1) but Building in the build list (poll 2, page 1)",
            ),
        ),
        (
            "a finished build in another time",
            vec![Page("j", "b1:S60", 1, 1), Page("j", "b1:S61", 1, 2)],
            Err(
                "response: build b1 is Successful in 60s in the build list (page 1) but Successful in 61s in the build list (page 2)",
            ),
        ),
        (
            "details of a build still running in the list",
            vec![
                Page("j", "b1:S", 1, 1),
                Details("j", "b1", Some("Building"), None, 1),
            ],
            Err(
                "response: build b1 is Successful in the build list (page 1) but Building in its details",
            ),
        ),
        (
            "details say an unknown state",
            vec![
                Page("j", "b1:S", 1, 1),
                Details("j", "b1", Some("Aborted"), None, 1),
            ],
            Err(
                "response: build b1 is Successful in the build list (page 1) but Aborted in its details",
            ),
        ),
        (
            "details that finished the build before the list did",
            vec![
                Page("j", "b1:B", 1, 1),
                Details("j", "b1", Some("Successful"), None, 1),
                Page("j", "b1:S", 2, 1),
            ],
            Ok(()),
        ),
        (
            "a list behind the details it was read after",
            vec![
                Page("j", "b1:B", 1, 1),
                Details("j", "b1", Some("Failed"), None, 1),
                Page("j", "b1:B", 2, 1),
            ],
            Err(
                "response: build b1 is Failed in its details but Building in the build list (poll 2, page 1)",
            ),
        ),
        (
            "the answer that first said it finished stays the source",
            vec![
                Page("j", "b1:S", 1, 1),
                Details("j", "b1", Some("Successful"), None, 1),
                Page("j", "b1:F", 2, 1),
            ],
            Err(
                "response: build b1 is Successful in the build list (page 1) but Failed in the build list (poll 2, page 1)",
            ),
        ),
        (
            "details without a state say nothing of it",
            vec![
                Page("j", "b1:S", 1, 1),
                Details("j", "b1", None, Some("abc"), 1),
            ],
            Ok(()),
        ),
        (
            "a commit that changes",
            vec![
                Details("j", "b1", None, Some("abc"), 1),
                Details("j", "b1", None, Some("abd"), 2),
            ],
            Err("response: build b1 has commit abc in its details but abd in its details (poll 2)"),
        ),
        (
            "a commit learnt, then said again, then left out",
            vec![
                Details("j", "b1", None, None, 1),
                Details("j", "b1", None, Some("abc"), 2),
                Details("j", "b1", None, Some("abc"), 3),
                Details("j", "b1", None, None, 4),
            ],
            Ok(()),
        ),
        (
            "a branch that changes",
            vec![
                Born("j", "b1", Some("main"), None, 1),
                Born("j", "b1", None, Some("12:00"), 2),
                Born("j", "b1", Some("hotfix"), None, 3),
            ],
            Err(
                "response: build b1 has branch main in its details but hotfix in its details (poll 3)",
            ),
        ),
        (
            "a start time that changes",
            vec![
                Born("j", "b1", None, Some("12:00"), 1),
                Born("j", "b1", None, Some("12:01"), 1),
            ],
            Err("response: build b1 has start time 12:00 in its details but 12:01 in its details"),
        ),
        (
            "the newest build gone while an older one is listed",
            vec![Listed("j", "b2:B b1:S", 1), Listed("j", "b1:S", 2)],
            Err(
                "response: build b2 is in the build list of poll 1 but missing from poll 2, which still lists build b1, listed below it",
            ),
        ),
        (
            "a shorter look at the top of the list",
            vec![
                Listed("j", "b3:S b2:S b1:S", 1),
                Listed("j", "b4:S b3:S", 2),
                Listed("j", "b4:S b3:S b2:S b1:S", 3),
            ],
            Ok(()),
        ),
        (
            // The builds a shorter look did not reach stay known, below the ones it listed.
            "a build gone below one a shorter look did not reach",
            vec![
                Listed("j", "b3:S b2:S b1:S", 1),
                Listed("j", "b4:S b3:S", 2),
                Listed("j", "b4:S b2:S", 3),
            ],
            Err(
                "response: build b3 is in the build list of poll 2 but missing from poll 3, which still lists build b2, listed below it",
            ),
        ),
        (
            "one id for two names",
            vec![Job("x", "api"), Job("x", "web")],
            Err(
                r#"response: job id x is "api" in the job list (looking up "api") but "web" in the job list (looking up "web")"#,
            ),
        ),
        (
            "one id looked up twice",
            vec![Job("x", "api"), Job("x", "api")],
            Ok(()),
        ),
        (
            "one build in two jobs",
            vec![Page("api", "b1:S", 1, 1), Page("web", "b2:S b1:S", 1, 1)],
            Err(
                r#"response: build b1 is a build of job "api" in the build list (page 1) and of job "web" in the build list (page 1)"#,
            ),
        ),
        (
            "two jobs, their own builds",
            vec![
                Page("api", "a1:S", 1, 1),
                Page("web", "w1:S", 1, 1),
                Page("api", "a2:B a1:S", 2, 1),
            ],
            Ok(()),
        ),
    ];
    for (name, told, expected) in cases {
        let got = tell(&told, BuildIds::Service);
        assert_eq!(
            got.as_ref().map(|_| ()).map_err(String::as_str),
            expected,
            "{name}"
        );
    }
    // Build numbers of their job each: the same number in two jobs is two builds.
    let per_job = [
        Told::Page("api", "1:S", 1, 1),
        Told::Page("web", "1:F", 1, 1),
    ];
    assert_eq!(tell(&per_job, BuildIds::PerJob), Ok(()));
}

#[test]
fn details_give_back_what_the_record_holds() {
    let record = Record::default();
    let job = Job {
        id: "j".into(),
        name: "web".into(),
    };
    let facts = record.job(&job, "--job-id", BuildIds::Service).unwrap();
    let read = |commit: Option<&str>, branch: Option<&str>, started: Option<&str>, poll| {
        let details = BuildDetails {
            build_id: "b1".into(),
            commit: commit.map(str::to_string),
            branch: branch.map(str::to_string),
            started_at: started.map(str::to_string),
            ended_at: Some(format!("end {poll}")),
            ..BuildDetails::default()
        };
        facts.details(&details, poll).unwrap()
    };
    let first = read(Some("abc"), None, None, 1);
    assert_eq!((first.commit.as_deref(), first.branch), (Some("abc"), None));
    // A later answer without the commit still has it; the branch and start are learnt.
    let second = read(None, Some("main"), Some("12:00"), 2);
    let held = |d: &BuildDetails| {
        (
            d.commit.clone(),
            d.branch.clone(),
            d.started_at.clone(),
            d.ended_at.clone(),
        )
    };
    let known = |end: &str| {
        (
            Some("abc".to_string()),
            Some("main".to_string()),
            Some("12:00".to_string()),
            Some(end.to_string()),
        )
    };
    assert_eq!(held(&second), known("end 2"));
    // An answer with none of them still gets back all three.
    assert_eq!(held(&read(None, None, None, 3)), known("end 3"));
}

#[test]
fn a_contradiction_between_jobs_is_seen_by_whichever_thread_records_second() {
    for _ in 0..50 {
        let record = Record::default();
        let results: Vec<Result<(), Error>> = std::thread::scope(|scope| {
            let workers: Vec<_> = ["api", "web"]
                .into_iter()
                .map(|name| {
                    let record = &record;
                    scope.spawn(move || {
                        let job = Job {
                            id: format!("id-{name}"),
                            name: name.into(),
                        };
                        let facts = record.job(&job, "the test", BuildIds::Service)?;
                        let build = [Build::finished("shared", SUCCESSFUL, 60)];
                        facts.page(&build, Source::List { poll: 1, page: 1 })
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        let errors: Vec<&Error> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(errors.len(), 1, "{results:?}");
        assert!(
            errors[0]
                .message()
                .starts_with("build shared is a build of job "),
            "{}",
            errors[0]
        );
    }
}
