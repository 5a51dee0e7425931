//! The rules: pure functions over the parsed builds (newest first). No I/O here.

use std::fmt;
use std::time::Duration;

use crate::model::{Build, State};

/// A percentage from 0 to 100, as given (`95`, `95%`, `99.5`).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Percent(pub f64);

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.0)
    }
}

/// What to judge and how.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleConfig {
    pub build_id: Option<String>,
    pub ignore_running: bool,
    pub require_states: Vec<State>,
    pub max_duration: Option<Duration>,
    pub window: usize,
    pub min_builds: usize,
    pub min_success_rate: Option<Percent>,
    pub max_consecutive_failures: Option<usize>,
    pub max_duration_regression: Option<Percent>,
}

impl Default for RuleConfig {
    fn default() -> Self {
        RuleConfig {
            build_id: None,
            ignore_running: false,
            require_states: vec![State::Successful],
            max_duration: None,
            window: 10,
            min_builds: 1,
            min_success_rate: None,
            max_consecutive_failures: None,
            max_duration_regression: None,
        }
    }
}

impl RuleConfig {
    fn has_history_rules(&self) -> bool {
        self.min_success_rate.is_some()
            || self.max_consecutive_failures.is_some()
            || self.max_duration_regression.is_some()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    Inconclusive,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleResult {
    pub name: &'static str,
    pub verdict: Verdict,
    /// Observed against expected, in human units.
    pub message: String,
}

/// Counts for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub total: u64,
    pub finished: u64,
    pub successful: u64,
    /// Finished builds the history rules looked at.
    pub window: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub target: Option<Build>,
    pub rules: Vec<RuleResult>,
    pub verdict: Verdict,
    pub summary: Summary,
}

/// The builds that were received, with the API's own counts when it sent them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    pub builds: Vec<Build>,
    pub total: Option<u64>,
    pub finished: Option<u64>,
    pub successful: Option<u64>,
}

/// Judges the history: picks the target and window, runs every configured rule.
pub fn evaluate(history: &History, config: &RuleConfig) -> Evaluation {
    let builds = &history.builds;
    let target_index = target_index(builds, config);
    let target = target_index.map(|i| &builds[i]);
    let window = window(builds, target_index, config.window);

    let mut rules = vec![state(target, config)];
    if let Some(limit) = config.max_duration {
        rules.push(max_duration(target, limit));
    }
    if config.has_history_rules() {
        let enough = window.len() >= config.min_builds;
        rules.push(min_builds(window.len(), config.min_builds));
        let too_few = |name| RuleResult {
            name,
            verdict: Verdict::Inconclusive,
            message: format!(
                "only {} finished build(s) in the window, at least {} needed (--min-builds)",
                window.len(),
                config.min_builds
            ),
        };
        if let Some(minimum) = config.min_success_rate {
            rules.push(match enough {
                true => min_success_rate(&window, minimum),
                false => too_few("min-success-rate"),
            });
        }
        if let Some(maximum) = config.max_consecutive_failures {
            rules.push(match enough {
                true => max_consecutive_failures(&window, maximum),
                false => too_few("max-consecutive-failures"),
            });
        }
        if let Some(allowed) = config.max_duration_regression {
            rules.push(match enough {
                true => max_duration_regression(target, &window, allowed),
                false => too_few("max-duration-regression"),
            });
        }
    }

    let count = |keep: fn(&State) -> bool| builds.iter().filter(|b| keep(&b.state)).count() as u64;
    Evaluation {
        target: target.cloned(),
        verdict: overall(&rules),
        rules,
        summary: Summary {
            total: history.total.unwrap_or(builds.len() as u64),
            finished: history
                .finished
                .unwrap_or_else(|| count(State::is_finished)),
            successful: history
                .successful
                .unwrap_or_else(|| count(|s| *s == State::Successful)),
            window: window.len(),
        },
    }
}

/// Fail beats inconclusive beats pass.
pub fn overall(rules: &[RuleResult]) -> Verdict {
    let any = |v| rules.iter().any(|r| r.verdict == v);
    if any(Verdict::Fail) {
        Verdict::Fail
    } else if any(Verdict::Inconclusive) {
        Verdict::Inconclusive
    } else {
        Verdict::Pass
    }
}

/// The build to judge: `--build-id`, else the newest finished one with
/// `--ignore-running`, else the newest.
pub fn target_index(builds: &[Build], config: &RuleConfig) -> Option<usize> {
    match &config.build_id {
        Some(id) => builds.iter().position(|b| &b.id == id),
        None if config.ignore_running => builds.iter().position(|b| b.state.is_finished()),
        None => (!builds.is_empty()).then_some(0),
    }
}

/// The `size` most recent finished builds at or older than the target
/// (from the newest when there is no target).
pub fn window(builds: &[Build], target_index: Option<usize>, size: usize) -> Vec<&Build> {
    builds[target_index.unwrap_or(0)..]
        .iter()
        .filter(|b| b.state.is_finished())
        .take(size)
        .collect()
}

/// Whether the builds received so far are enough to judge, or another page is needed.
pub fn needs_more(builds: &[Build], config: &RuleConfig) -> bool {
    let Some(target) = target_index(builds, config) else {
        return true;
    };
    config.has_history_rules() && window(builds, Some(target), config.window).len() < config.window
}

/// What a `--wait` is waiting for, or `None` when the target has finished.
pub fn awaited(builds: &[Build], config: &RuleConfig) -> Option<String> {
    match target_index(builds, config).map(|i| &builds[i]) {
        Some(build) if build.state.is_finished() => None,
        Some(build) => Some(format!("build {} ({})", build.id, build.state.name())),
        None => Some(match &config.build_id {
            Some(id) => format!("build {id} to be listed"),
            None if config.ignore_running => "a finished build".to_string(),
            None => "a build to be listed".to_string(),
        }),
    }
}

fn result(name: &'static str, verdict: Verdict, message: String) -> RuleResult {
    RuleResult {
        name,
        verdict,
        message,
    }
}

/// Why a target cannot be judged, or `None` when it has finished.
fn not_judgeable(target: Option<&Build>) -> Option<String> {
    match target {
        None => Some("no build to judge: the target build was not found".to_string()),
        Some(b) if !b.state.is_finished() => Some(format!(
            "build {} has not finished ({})",
            b.id,
            b.state.name()
        )),
        Some(_) => None,
    }
}

fn state(target: Option<&Build>, config: &RuleConfig) -> RuleResult {
    let name = "state";
    let target = match (target, not_judgeable(target)) {
        (Some(b), None) => b,
        (None, _) => {
            let message = match &config.build_id {
                Some(id) => format!("build {id} was not found in the builds listed"),
                None if config.ignore_running => "no finished build is listed".to_string(),
                None => "no builds are listed for this job".to_string(),
            };
            return result(name, Verdict::Inconclusive, message);
        }
        (Some(_), Some(why)) => return result(name, Verdict::Inconclusive, why),
    };
    let allowed = config
        .require_states
        .iter()
        .map(State::name)
        .collect::<Vec<_>>()
        .join(" or ");
    if config.require_states.contains(&target.state) {
        let message = format!("build {} is {}", target.id, target.state.name());
        result(name, Verdict::Pass, message)
    } else {
        let message = format!(
            "build {} is {}, expected {allowed}",
            target.id,
            target.state.name()
        );
        result(name, Verdict::Fail, message)
    }
}

fn human(seconds: u64) -> String {
    humantime::format_duration(Duration::from_secs(seconds)).to_string()
}

fn max_duration(target: Option<&Build>, limit: Duration) -> RuleResult {
    let name = "max-duration";
    let limit_text = humantime::format_duration(limit);
    let seconds = match (target, not_judgeable(target)) {
        (Some(b), None) => b.duration.unwrap_or_default(),
        (_, why) => return result(name, Verdict::Inconclusive, why.unwrap_or_default()),
    };
    if Duration::from_secs(seconds) <= limit {
        let message = format!("duration {} within limit {limit_text}", human(seconds));
        result(name, Verdict::Pass, message)
    } else {
        let message = format!("duration {} exceeds limit {limit_text}", human(seconds));
        result(name, Verdict::Fail, message)
    }
}

fn min_builds(finished: usize, minimum: usize) -> RuleResult {
    let name = "min-builds";
    if finished >= minimum {
        let message =
            format!("{finished} finished build(s) in the window, at least {minimum} needed");
        result(name, Verdict::Pass, message)
    } else {
        let message =
            format!("only {finished} finished build(s) in the window, at least {minimum} needed");
        result(name, Verdict::Inconclusive, message)
    }
}

/// A ratio as a percentage with at most one decimal: 80%, 66.7%.
fn percent_of(part: usize, whole: usize) -> String {
    let tenths = (part as f64 * 1000.0 / whole as f64).round() / 10.0;
    format!("{tenths}%")
}

fn min_success_rate(window: &[&Build], minimum: Percent) -> RuleResult {
    let name = "min-success-rate";
    let successful = window
        .iter()
        .filter(|b| b.state == State::Successful)
        .count();
    let decisive = successful + window.iter().filter(|b| b.state.is_failure()).count();
    if decisive == 0 {
        let message = "no Successful, Failed or Timeout build in the window (Cancel is neutral)";
        return result(name, Verdict::Inconclusive, message.to_string());
    }
    let rate = format!(
        "success rate {} ({successful} of {decisive})",
        percent_of(successful, decisive)
    );
    // Multiplying, not dividing, keeps exact thresholds exact: 19 of 20 is 95%.
    if successful as f64 * 100.0 >= minimum.0 * decisive as f64 {
        result(
            name,
            Verdict::Pass,
            format!("{rate} meets minimum {minimum}"),
        )
    } else {
        result(
            name,
            Verdict::Fail,
            format!("{rate} below minimum {minimum}"),
        )
    }
}

fn max_consecutive_failures(window: &[&Build], maximum: usize) -> RuleResult {
    let name = "max-consecutive-failures";
    let streak = window
        .iter()
        .filter(|b| b.state != State::Cancel)
        .take_while(|b| b.state.is_failure())
        .count();
    if streak <= maximum {
        let message = format!("{streak} consecutive failure(s), maximum {maximum}");
        result(name, Verdict::Pass, message)
    } else {
        let message = format!("{streak} consecutive failures exceed maximum {maximum}");
        result(name, Verdict::Fail, message)
    }
}

fn max_duration_regression(
    target: Option<&Build>,
    window: &[&Build],
    allowed: Percent,
) -> RuleResult {
    let name = "max-duration-regression";
    let target = match (target, not_judgeable(target)) {
        (Some(b), None) => b,
        (_, why) => return result(name, Verdict::Inconclusive, why.unwrap_or_default()),
    };
    let mut baseline: Vec<u64> = window
        .iter()
        .filter(|b| b.state == State::Successful && b.id != target.id)
        .filter_map(|b| b.duration)
        .collect();
    if baseline.len() < 3 {
        let message = format!(
            "only {} other Successful build(s) in the window, at least 3 needed for a median",
            baseline.len()
        );
        return result(name, Verdict::Inconclusive, message);
    }
    baseline.sort_unstable();
    let middle = baseline.len() / 2;
    // Twice the median stays an integer for even counts (sum of the two middle values).
    let twice_median = match baseline.len() % 2 {
        1 => 2 * baseline[middle],
        _ => baseline[middle - 1] + baseline[middle],
    };
    let seconds = target.duration.unwrap_or_default();
    // Shown in whole seconds; the comparison below stays exact.
    let median_text = human(twice_median.div_ceil(2));
    let limit_ms = ((100.0 + allowed.0) * twice_median as f64 * 5.0).floor() as u64;
    let limit_text = humantime::format_duration(Duration::from_secs(limit_ms / 1000));
    let observed = format!(
        "duration {} against median {median_text} of {} other Successful build(s)",
        human(seconds),
        baseline.len()
    );
    if seconds as f64 * 200.0 <= (100.0 + allowed.0) * twice_median as f64 {
        let message = format!("{observed}, within +{allowed} ({limit_text})");
        result(name, Verdict::Pass, message)
    } else {
        let message = format!("{observed}, over the +{allowed} limit ({limit_text})");
        result(name, Verdict::Fail, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `"S600 F30 C5 B"`: one build per word, newest first, ids b0, b1, ...
    /// S/F/T/C are the terminal states, B is Building, Q is Queuing; digits are seconds.
    fn builds(spec: &str) -> Vec<Build> {
        spec.split_whitespace()
            .enumerate()
            .map(|(i, word)| {
                let (code, seconds) = word.split_at(1);
                let state = match code {
                    "S" => State::Successful,
                    "F" => State::Failed,
                    "T" => State::Timeout,
                    "C" => State::Cancel,
                    "B" => State::Unfinished("Building".into()),
                    "Q" => State::Unfinished("Queuing".into()),
                    other => panic!("unknown state code {other}"),
                };
                let duration = match (seconds.parse().ok(), state.is_finished()) {
                    (Some(s), _) => Some(s),
                    (None, true) => Some(60),
                    (None, false) => None,
                };
                Build {
                    id: format!("b{i}"),
                    state,
                    duration,
                }
            })
            .collect()
    }

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
    fn target_selection() {
        let by_id = |id: &str| RuleConfig {
            build_id: Some(id.into()),
            ..RuleConfig::default()
        };
        let ignore = RuleConfig {
            ignore_running: true,
            ..RuleConfig::default()
        };
        let cases: [(&str, RuleConfig, Option<&str>); 7] = [
            ("S F", RuleConfig::default(), Some("b0")),
            ("B S", RuleConfig::default(), Some("b0")),
            ("B Q S F", ignore.clone(), Some("b2")),
            ("B Q", ignore, None),
            ("S F S", by_id("b2"), Some("b2")),
            ("S F", by_id("nope"), None),
            ("", RuleConfig::default(), None),
        ];
        for (spec, config, expected) in cases {
            let target = target_index(&builds(spec), &config).map(|i| format!("b{i}"));
            assert_eq!(target.as_deref(), expected, "{spec}");
        }
    }

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
            ("", 1200, Inconclusive, "not found"),
        ];
        for (spec, secs, verdict, message) in cases {
            let evaluation = run(spec, &limit(secs));
            let r = rule(&evaluation, "max-duration");
            assert_eq!(r.verdict, verdict, "{spec}: {}", r.message);
            assert!(r.message.contains(message), "{spec}: {}", r.message);
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
            let config = RuleConfig {
                build_id: build_id.map(String::from),
                ..RuleConfig::default()
            };
            let ids: Vec<&str> = window(&all, target_index(&all, &config), size)
                .iter()
                .map(|b| b.id.as_str())
                .collect();
            assert_eq!(ids.join(" "), expected, "{spec} {build_id:?} {size}");
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
        };
        let cases = [
            (vec![r(Pass), r(Pass)], Pass),
            (vec![r(Pass), r(Inconclusive)], Inconclusive),
            (vec![r(Inconclusive), r(Fail), r(Pass)], Fail),
            (vec![], Pass),
        ];
        for (rules, verdict) in cases {
            assert_eq!(overall(&rules), verdict, "{rules:?}");
        }
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

    #[test]
    fn paging_stops_once_the_target_and_window_are_in() {
        let history_rule = RuleConfig {
            max_consecutive_failures: Some(1),
            window: 3,
            ..RuleConfig::default()
        };
        let by_id = RuleConfig {
            build_id: Some("b3".into()),
            ..RuleConfig::default()
        };
        let cases = [
            ("", RuleConfig::default(), true),
            ("B", RuleConfig::default(), false),
            (
                "B",
                RuleConfig {
                    ignore_running: true,
                    ..RuleConfig::default()
                },
                true,
            ),
            ("S F", history_rule.clone(), true),
            ("S F B C", history_rule.clone(), false),
            ("S F S", by_id.clone(), true),
            ("S F S S", by_id, false),
        ];
        for (spec, config, more) in cases {
            assert_eq!(
                needs_more(&builds(spec), &config),
                more,
                "{spec} {config:?}"
            );
        }
    }

    #[test]
    fn awaited_names_what_wait_is_for() {
        let cases = [
            ("S B", RuleConfig::default(), None),
            ("B S", RuleConfig::default(), Some("build b0 (Building)")),
            ("", RuleConfig::default(), Some("a build to be listed")),
            (
                "S",
                RuleConfig {
                    build_id: Some("x9".into()),
                    ..RuleConfig::default()
                },
                Some("build x9 to be listed"),
            ),
            (
                "Q",
                RuleConfig {
                    ignore_running: true,
                    ..RuleConfig::default()
                },
                Some("a finished build"),
            ),
        ];
        for (spec, config, expected) in cases {
            assert_eq!(
                awaited(&builds(spec), &config).as_deref(),
                expected,
                "{spec}"
            );
        }
    }
}
