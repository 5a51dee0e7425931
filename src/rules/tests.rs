use super::*;
use crate::select::tests::builds;

fn run(spec: &str, config: &RuleConfig) -> Evaluation {
    let history = History {
        builds: builds(spec),
        ..History::default()
    };
    evaluate(&history, config)
}

fn rule<'a>(evaluation: &'a Evaluation, name: &str) -> &'a RuleResult {
    evaluation
        .rules
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no {name} rule in {:?}", evaluation.rules))
}

use Verdict::{Fail, Inconclusive, Pass};

#[test]
fn state_rule() {
    let allow = |states: Vec<State>| RuleConfig {
        require_states: states,
        ..RuleConfig::default()
    };
    let cases = [
        (
            "S",
            allow(vec![State::Successful]),
            Pass,
            "build b0 is Successful",
        ),
        (
            "F S",
            allow(vec![State::Successful]),
            Fail,
            "build b0 is Failed, expected Successful",
        ),
        (
            "T",
            allow(vec![State::Successful, State::Cancel]),
            Fail,
            "expected Successful or Cancel",
        ),
        (
            "C",
            allow(vec![State::Successful, State::Cancel]),
            Pass,
            "is Cancel",
        ),
        (
            "B S",
            allow(vec![State::Successful]),
            Inconclusive,
            "b0 has not finished (Building)",
        ),
        (
            "Q",
            allow(vec![State::Successful]),
            Inconclusive,
            "has not finished (Queuing)",
        ),
        (
            "",
            allow(vec![State::Successful]),
            Inconclusive,
            "no builds are listed",
        ),
        (
            "C C",
            RuleConfig {
                ignore_running: true,
                ..RuleConfig::default()
            },
            Fail,
            "b0 is Cancel",
        ),
        (
            "B",
            RuleConfig {
                ignore_running: true,
                ..RuleConfig::default()
            },
            Inconclusive,
            "no finished build",
        ),
        (
            "S",
            RuleConfig {
                build_id: Some("x".into()),
                ..RuleConfig::default()
            },
            Inconclusive,
            "build x was not found",
        ),
    ];
    for (spec, config, verdict, message) in cases {
        let evaluation = run(spec, &config);
        let state = rule(&evaluation, "state");
        assert_eq!(state.verdict, verdict, "{spec}: {}", state.message);
        assert!(state.message.contains(message), "{spec}: {}", state.message);
        assert_eq!(evaluation.rules.len(), 1, "only state runs by default");
    }
}

#[test]
fn max_duration_rule_is_inclusive() {
    let limit = |secs| RuleConfig {
        max_duration: Some(Duration::from_secs(secs)),
        ..RuleConfig::default()
    };
    let cases = [
        ("S1200", 1200, Pass, "duration 20m within limit 20m"),
        ("S1201", 1200, Fail, "duration 20m 1s exceeds limit 20m"),
        ("S1900", 1200, Fail, "duration 31m 40s exceeds limit 20m"),
        ("F30", 1200, Pass, "duration 30s within limit 20m"),
        ("B S10", 1200, Inconclusive, "has not finished"),
        ("", 1200, Inconclusive, "no builds are listed"),
    ];
    for (spec, secs, verdict, message) in cases {
        let evaluation = run(spec, &limit(secs));
        let r = rule(&evaluation, "max-duration");
        assert_eq!(r.verdict, verdict, "{spec}: {}", r.message);
        assert!(r.message.contains(message), "{spec}: {}", r.message);
    }
}

#[test]
fn min_success_rate_rule() {
    let rate = |pct, window| RuleConfig {
        min_success_rate: Some(Percent(pct)),
        window,
        ..RuleConfig::default()
    };
    let nineteen_of_twenty = format!("F {}", "S ".repeat(19));
    let cases = [
        (
            nineteen_of_twenty.as_str(),
            rate(95.0, 20),
            Pass,
            "success rate 95% (19 of 20) meets minimum 95%",
        ),
        (
            nineteen_of_twenty.as_str(),
            rate(95.1, 20),
            Fail,
            "below minimum 95.1%",
        ),
        (
            "S F S",
            rate(66.7, 10),
            Fail,
            "66.7% (2 of 3) below minimum 66.7%",
        ),
        ("S F S", rate(66.6, 10), Pass, "66.7% (2 of 3)"),
        ("S C C F", rate(50.0, 10), Pass, "50% (1 of 2)"),
        ("S T", rate(51.0, 10), Fail, "50% (1 of 2) below"),
        ("C C", rate(50.0, 10), Inconclusive, "Cancel is neutral"),
        ("F F F S S S", rate(100.0, 3), Fail, "0% (0 of 3)"),
        ("B S S F", rate(60.0, 10), Pass, "66.7% (2 of 3)"),
        ("", rate(50.0, 10), Inconclusive, "only 0 finished build(s)"),
        (
            "S F S S",
            RuleConfig {
                build_id: Some("b1".into()),
                ..rate(60.0, 10)
            },
            Pass,
            "66.7% (2 of 3)",
        ),
    ];
    for (spec, config, verdict, message) in cases {
        let evaluation = run(spec, &config);
        let r = rule(&evaluation, "min-success-rate");
        assert_eq!(r.verdict, verdict, "{spec}: {}", r.message);
        assert!(r.message.contains(message), "{spec}: {}", r.message);
    }
}

#[test]
fn min_builds_makes_history_rules_inconclusive() {
    let config = RuleConfig {
        min_builds: 3,
        min_success_rate: Some(Percent(50.0)),
        max_consecutive_failures: Some(5),
        max_duration_regression: Some(Percent(10.0)),
        ..RuleConfig::default()
    };
    let evaluation = run("S C B", &config);
    for name in [
        "min-builds",
        "min-success-rate",
        "max-consecutive-failures",
        "max-duration-regression",
    ] {
        let r = rule(&evaluation, name);
        assert_eq!(r.verdict, Inconclusive, "{name}: {}", r.message);
        assert!(
            r.message
                .contains("only 2 finished build(s) in the window, at least 3 needed"),
            "{name}: {}",
            r.message
        );
    }
    let enough = run("S S F", &config);
    assert_eq!(rule(&enough, "min-builds").verdict, Pass);
    assert_eq!(rule(&enough, "min-success-rate").verdict, Pass);
}

#[test]
fn min_builds_only_runs_with_a_history_rule() {
    let config = RuleConfig {
        min_builds: 5,
        max_duration: Some(Duration::from_secs(60)),
        ..RuleConfig::default()
    };
    let names: Vec<_> = run("S", &config).rules.iter().map(|r| r.name).collect();
    assert_eq!(names, ["state", "max-duration"]);
}

#[test]
fn max_consecutive_failures_rule() {
    let streak = |max| RuleConfig {
        max_consecutive_failures: Some(max),
        ..RuleConfig::default()
    };
    let cases = [
        ("F F S F", 2, Pass, "2 consecutive failure(s), maximum 2"),
        (
            "F T F S",
            2,
            Fail,
            "3 consecutive failures exceed maximum 2",
        ),
        ("F C T C F S F F", 2, Fail, "3 consecutive failures"),
        ("C C S F F F", 0, Pass, "0 consecutive failure(s)"),
        ("S F F F", 0, Pass, "0 consecutive"),
        ("F", 0, Fail, "1 consecutive failures exceed maximum 0"),
        ("C C", 0, Pass, "0 consecutive"),
        ("B F F S", 1, Fail, "2 consecutive failures"),
    ];
    for (spec, max, verdict, message) in cases {
        let evaluation = run(spec, &streak(max));
        let r = rule(&evaluation, "max-consecutive-failures");
        assert_eq!(r.verdict, verdict, "{spec}: {}", r.message);
        assert!(r.message.contains(message), "{spec}: {}", r.message);
    }
    let limited = RuleConfig {
        window: 2,
        ..streak(2)
    };
    assert_eq!(
        rule(&run("F F F F", &limited), "max-consecutive-failures").verdict,
        Pass,
        "the streak is counted inside the window"
    );
}

#[test]
fn max_duration_regression_rule() {
    let allowed = |pct| RuleConfig {
        max_duration_regression: Some(Percent(pct)),
        ..RuleConfig::default()
    };
    let cases = [
        (
            "S120 S100 S100 S100",
            20.0,
            Pass,
            "median 1m 40s of 3 other",
        ),
        (
            "S121 S100 S100 S100",
            20.0,
            Fail,
            "over the +20% limit (2m)",
        ),
        // even count: median of 100, 100, 200, 300 is 150; +10% is 165
        ("S165 S100 S300 S200 S100", 10.0, Pass, "of 4 other"),
        (
            "S166 S100 S300 S200 S100",
            10.0,
            Fail,
            "over the +10% limit",
        ),
        // only Successful builds make the baseline
        ("S100 F1 T5000 C2 S100 S100 S100", 0.0, Pass, "of 3 other"),
        (
            "S100 F1 S100 C2 S100",
            0.0,
            Inconclusive,
            "only 2 other Successful build(s)",
        ),
        ("B S100 S100 S100", 0.0, Inconclusive, "has not finished"),
        ("F300 S100 S100 S100", 50.0, Fail, "duration 5m"),
        ("S199 S100 S100 S100", 99.5, Pass, "within +99.5%"),
        ("S200 S100 S100 S100", 99.5, Fail, "over the +99.5%"),
    ];
    for (spec, pct, verdict, message) in cases {
        let evaluation = run(spec, &allowed(pct));
        let r = rule(&evaluation, "max-duration-regression");
        assert_eq!(r.verdict, verdict, "{spec}: {}", r.message);
        assert!(r.message.contains(message), "{spec}: {}", r.message);
    }
}

#[test]
fn verdict_is_fail_over_inconclusive_over_pass() {
    let r = |verdict| RuleResult {
        name: "x",
        verdict,
        message: String::new(),
        advisory: false,
    };
    let advisory = |verdict| RuleResult {
        advisory: true,
        ..r(verdict)
    };
    let cases = [
        (vec![r(Pass), r(Pass)], Pass),
        (vec![r(Pass), r(Inconclusive)], Inconclusive),
        (vec![r(Inconclusive), r(Fail), r(Pass)], Fail),
        (vec![], Pass),
        // advisory rules are reported, never counted
        (vec![r(Pass), advisory(Fail)], Pass),
        (vec![r(Inconclusive), advisory(Fail)], Inconclusive),
        (vec![r(Pass), advisory(Inconclusive)], Pass),
    ];
    for (rules, verdict) in cases {
        assert_eq!(overall(&rules), verdict, "{rules:?}");
    }
}

#[test]
fn evaluate_marks_advisory_rules_and_leaves_them_out_of_the_verdict() {
    let config = RuleConfig {
        max_duration: Some(Duration::from_secs(10)),
        advisory: vec![MAX_DURATION],
        ..RuleConfig::default()
    };
    let evaluation = run("S60 S1", &config);
    let limit = rule(&evaluation, MAX_DURATION);
    assert_eq!((limit.verdict, limit.advisory), (Fail, true));
    assert!(!rule(&evaluation, STATE).advisory);
    assert_eq!(evaluation.verdict, Pass);
}

#[test]
fn the_evaluation_keeps_the_window_newest_first() {
    let config = RuleConfig {
        window: 3,
        ..RuleConfig::default()
    };
    let evaluation = run("B S1 F2 C3 S4", &config);
    let ids: Vec<&str> = evaluation.window.iter().map(|b| b.id.as_str()).collect();
    let states: Vec<_> = evaluation.window.iter().map(|b| b.state()).collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert_eq!(
        states,
        [
            Some(State::Successful),
            Some(State::Failed),
            Some(State::Cancel)
        ]
    );
}

#[test]
fn summary_prefers_the_api_counts() {
    let config = RuleConfig::default();
    let counted = run("S F C B", &config).summary;
    assert_eq!(
        counted,
        Summary {
            total: 4,
            finished: 3,
            successful: 1,
            window: 3
        }
    );
    let history = History {
        builds: builds("S F"),
        total: Some(40),
        finished: Some(39),
        successful: Some(30),
        ..History::default()
    };
    let from_api = evaluate(&history, &config).summary;
    assert_eq!(
        from_api,
        Summary {
            total: 40,
            finished: 39,
            successful: 30,
            window: 2
        }
    );
}

/// A list cut short stands for no history: every rule is inconclusive, `state` too, and
/// no `--advisory` makes the verdict better than inconclusive.
#[test]
fn a_list_cut_short_makes_every_rule_inconclusive_whatever_is_advisory() {
    let why = "the API counts 50 finished builds but only 2 were received: the list was cut short";
    let everything = RuleConfig {
        window: 10,
        max_duration: Some(Duration::from_secs(600)),
        min_success_rate: Some(Percent(80.0)),
        max_consecutive_failures: Some(3),
        max_duration_regression: Some(Percent(50.0)),
        ..RuleConfig::default()
    };
    let all_advisory = RuleConfig {
        advisory: ALL.iter().copied().filter(|&name| name != STATE).collect(),
        ..everything.clone()
    };
    let history_advisory = RuleConfig {
        advisory: vec![MIN_SUCCESS_RATE, MIN_BUILDS],
        min_builds: 1,
        ..everything.clone()
    };
    for config in [&everything, &all_advisory, &history_advisory] {
        for spec in ["S S", "F S", "S"] {
            let history = History {
                builds: builds(spec),
                cut_short: Some(why.into()),
                ..History::default()
            };
            let evaluation = evaluate(&history, config);
            assert_eq!(evaluation.verdict, Inconclusive, "{spec} {config:?}");
            assert_eq!(evaluation.rules.len(), RULES.len(), "{spec}");
            for result in &evaluation.rules {
                assert_eq!(
                    (result.verdict, result.message.as_str()),
                    (Inconclusive, why),
                    "{spec} {}",
                    result.name
                );
            }
        }
    }
    // The same list, whole: judged, and the advisory rules left out.
    let whole = History {
        builds: builds("S S"),
        ..History::default()
    };
    assert_eq!(evaluate(&whole, &all_advisory).verdict, Pass);
}

#[test]
fn every_rule_is_one_entry_whose_flag_is_an_option() {
    let flags: Vec<(&str, &str)> = RULES.iter().map(|r| (r.name, r.flag)).collect();
    assert_eq!(
        flags,
        [
            ("state", "require-state"),
            ("max-duration", "max-duration"),
            ("min-builds", "min-builds"),
            ("min-success-rate", "min-success-rate"),
            ("max-consecutive-failures", "max-consecutive-failures"),
            ("max-duration-regression", "max-duration-regression"),
        ]
    );
    for rule in &RULES {
        let option = crate::cli::OPTIONS.iter().find(|o| o.name() == rule.flag);
        assert!(option.is_some(), "{}: no option --{}", rule.name, rule.flag);
    }
    let needs: Vec<Needs> = RULES.iter().map(|r| r.needs).collect();
    use Needs::{FullWindow, Nothing};
    let history = [FullWindow; 3];
    assert_eq!(needs, [[Nothing; 3].as_slice(), &history].concat());
}

#[test]
fn a_rule_the_config_leaves_off_is_not_judged() {
    let off = RuleConfig::default();
    let history = History::default();
    let target = select::finished_target(&[], None, off.targeting());
    let facts = Facts {
        config: &off,
        target: target.as_ref().copied(),
        window: &[],
        failed_phase: None,
        cut_short: None,
    };
    let judged: Vec<bool> = RULES.iter().map(|r| (r.judge)(&facts).is_some()).collect();
    assert_eq!(judged, [true, false, true, false, false, false]);
    let results: Vec<&str> = RULES
        .iter()
        .filter_map(|r| r.result(&facts))
        .map(|r| r.name)
        .collect();
    assert_eq!(results, [STATE]);
    assert_eq!(evaluate(&history, &off).rules.len(), 1);
}

#[test]
fn every_rule_reports_under_its_one_name() {
    let everything = RuleConfig {
        max_duration: Some(Duration::from_secs(600)),
        min_success_rate: Some(Percent(50.0)),
        max_consecutive_failures: Some(1),
        max_duration_regression: Some(Percent(50.0)),
        ..RuleConfig::default()
    };
    let names: Vec<_> = run("S S S S", &everything)
        .rules
        .iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ALL);
    assert_eq!(
        ALL,
        [
            "state",
            "max-duration",
            "min-builds",
            "min-success-rate",
            "max-consecutive-failures",
            "max-duration-regression"
        ],
        "the contract's rule names"
    );
}

#[test]
fn a_commit_target_is_the_build_fetch_matched_and_never_a_pass_without_one() {
    let config = RuleConfig {
        commit: Some(CommitPrefix::parse("ABCDEF1234").unwrap()),
        window: 2,
        max_duration: Some(Duration::from_secs(600)),
        ..RuleConfig::default()
    };
    let history = |spec: &str, matched: Option<&str>| History {
        builds: builds(spec),
        commit_match: matched.map(str::to_string),
        ..History::default()
    };
    // The search (fetch) found b1: it is the target, whatever is newer.
    let found = evaluate(&history("S F S", Some("b1")), &config);
    assert_eq!(found.target.as_ref().unwrap().id, "b1");
    assert_eq!(rule(&found, STATE).verdict, Fail);

    let missing = evaluate(&history("B S F S", None), &config);
    assert_eq!(missing.target, None);
    for name in [STATE, MAX_DURATION] {
        let r = rule(&missing, name);
        assert_eq!(r.verdict, Inconclusive, "{name}");
        assert_eq!(r.message, "no build of commit abcdef1 among the newest 3");
    }
    assert_eq!(missing.verdict, Inconclusive);

    let awaited_for = |spec, matched| awaited(&history(spec, matched), &config);
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
fn a_failed_phase_is_named_in_a_failing_state_rule_only() {
    let with_phase = |spec: &str, phase: FailedPhase| History {
        builds: builds(spec),
        explanation: Explanation {
            details: None,
            failed_phase: Some(phase),
        },
        ..History::default()
    };
    let failed = evaluate(
        &with_phase("F", FailedPhase::Named("Build".into())),
        &RuleConfig::default(),
    );
    assert_eq!(
        rule(&failed, STATE).message,
        "build b0 is Failed, expected Successful; failed in phase Build"
    );
    assert_eq!(
        failed.explanation.failed_phase,
        Some(FailedPhase::Named("Build".into()))
    );
    let allowed = RuleConfig {
        require_states: vec![State::Failed],
        ..RuleConfig::default()
    };
    let passed = evaluate(
        &with_phase("F", FailedPhase::Unavailable("http: HTTP 500".into())),
        &allowed,
    );
    assert_eq!(rule(&passed, STATE).message, "build b0 is Failed");
    assert_eq!(passed.verdict, Pass);
}

#[test]
fn enabled_names_exactly_the_rules_evaluate_reports() {
    let configs = [
        RuleConfig::default(),
        RuleConfig {
            max_duration: Some(Duration::from_secs(600)),
            ..RuleConfig::default()
        },
        RuleConfig {
            min_success_rate: Some(Percent(50.0)),
            ..RuleConfig::default()
        },
        RuleConfig {
            max_consecutive_failures: Some(1),
            ..RuleConfig::default()
        },
        RuleConfig {
            max_duration_regression: Some(Percent(50.0)),
            ..RuleConfig::default()
        },
    ];
    for config in configs {
        let evaluation = run("S F S", &config);
        for name in ALL {
            let reported = evaluation.rules.iter().any(|r| r.name == name);
            assert_eq!(config.enabled(name), reported, "{name} under {config:?}");
        }
    }
    assert!(!RuleConfig::default().enabled("fast"));
}

#[test]
fn the_regression_baseline_is_the_middle_duration_of_an_odd_count() {
    let exact = RuleConfig {
        max_duration_regression: Some(Percent(0.0)),
        ..RuleConfig::default()
    };
    let cases = [
        ("S200 S900 S100 S200", Pass, "median 3m 20s of 3 other"),
        ("S201 S900 S100 S200", Fail, "median 3m 20s of 3 other"),
        (
            "S200 S900 S100 S200 S900 S100",
            Pass,
            "median 3m 20s of 5 other",
        ),
        (
            "S201 S900 S100 S200 S900 S100",
            Fail,
            "median 3m 20s of 5 other",
        ),
        (
            "S300 S900 S100 S200 S900 S100 S300 S400",
            Pass,
            "median 5m of 7 other",
        ),
    ];
    for (spec, verdict, message) in cases {
        let evaluation = run(spec, &exact);
        let r = rule(&evaluation, MAX_DURATION_REGRESSION);
        assert_eq!(r.verdict, verdict, "{spec}: {}", r.message);
        assert!(r.message.contains(message), "{spec}: {}", r.message);
    }
}
