//! The rules: pure functions over the parsed builds (newest first). No I/O here.
//!
//! Adding a rule: a name constant below (and in `ALL`), its function, a line in
//! `evaluate` (target rules) or a `HistoryRule` variant (history rules), its test table
//! in this module, and the README's rule table.

use std::fmt;
use std::time::Duration;

pub use crate::model::History;
use crate::model::{Build, CommitPrefix, Explanation, FailedPhase, Finished, State};

pub const STATE: &str = "state";
pub const MAX_DURATION: &str = "max-duration";
pub const MIN_BUILDS: &str = "min-builds";
pub const MIN_SUCCESS_RATE: &str = "min-success-rate";
pub const MAX_CONSECUTIVE_FAILURES: &str = "max-consecutive-failures";
pub const MAX_DURATION_REGRESSION: &str = "max-duration-regression";
/// Every rule, in the order a report lists them.
pub const ALL: [&str; 6] = [
    STATE,
    MAX_DURATION,
    MIN_BUILDS,
    MIN_SUCCESS_RATE,
    MAX_CONSECUTIVE_FAILURES,
    MAX_DURATION_REGRESSION,
];

/// A non-negative percentage, as the user wrote it (`95`, `95%`, `99.5`). The config
/// checks the range per flag: 0 to 100 for `--min-success-rate`, 0 or more (no upper
/// bound) for `--max-duration-regression`.
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
    /// `--commit`: the target is the newest build whose details name this commit.
    pub commit: Option<CommitPrefix>,
    pub ignore_running: bool,
    pub require_states: Vec<State>,
    pub max_duration: Option<Duration>,
    pub window: usize,
    pub min_builds: usize,
    pub min_success_rate: Option<Percent>,
    pub max_consecutive_failures: Option<usize>,
    pub max_duration_regression: Option<Percent>,
    /// `--advisory`: rules reported but left out of the verdict (never `state`).
    pub advisory: Vec<&'static str>,
}

impl Default for RuleConfig {
    fn default() -> Self {
        RuleConfig {
            build_id: None,
            commit: None,
            ignore_running: false,
            require_states: vec![State::Successful],
            max_duration: None,
            window: 10,
            min_builds: 1,
            min_success_rate: None,
            max_consecutive_failures: None,
            max_duration_regression: None,
            advisory: Vec::new(),
        }
    }
}

impl RuleConfig {
    fn has_history_rules(&self) -> bool {
        !HistoryRule::configured(self).is_empty()
    }

    /// Whether `evaluate` reports the rule `name` under this config.
    pub fn enabled(&self, name: &str) -> bool {
        match name {
            STATE => true,
            MAX_DURATION => self.max_duration.is_some(),
            MIN_BUILDS => self.has_history_rules(),
            _ => HistoryRule::configured(self)
                .iter()
                .any(|r| r.name() == name),
        }
    }
}

/// A rule over the window, with the limit the config gave it. `configured` is the
/// registry: a new history rule is a variant, a line there, and an arm in each method.
#[derive(Debug, Clone, Copy)]
enum HistoryRule {
    MinSuccessRate(Percent),
    MaxConsecutiveFailures(usize),
    MaxDurationRegression(Percent),
}

impl HistoryRule {
    /// The history rules the config turns on, in report order.
    fn configured(config: &RuleConfig) -> Vec<HistoryRule> {
        [
            config.min_success_rate.map(HistoryRule::MinSuccessRate),
            config
                .max_consecutive_failures
                .map(HistoryRule::MaxConsecutiveFailures),
            config
                .max_duration_regression
                .map(HistoryRule::MaxDurationRegression),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn name(self) -> &'static str {
        match self {
            HistoryRule::MinSuccessRate(_) => MIN_SUCCESS_RATE,
            HistoryRule::MaxConsecutiveFailures(_) => MAX_CONSECUTIVE_FAILURES,
            HistoryRule::MaxDurationRegression(_) => MAX_DURATION_REGRESSION,
        }
    }

    fn judge(self, target: Result<Finished, &Reason>, window: &[Finished]) -> RuleResult {
        match self {
            HistoryRule::MinSuccessRate(minimum) => min_success_rate(window, minimum),
            HistoryRule::MaxConsecutiveFailures(maximum) => {
                max_consecutive_failures(window, maximum)
            }
            HistoryRule::MaxDurationRegression(allowed) => match target {
                Ok(target) => max_duration_regression(target, window, allowed),
                Err(why) => inconclusive(MAX_DURATION_REGRESSION, why.to_string()),
            },
        }
    }
}

/// Declared from best to worst, so `max` picks the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Pass,
    Inconclusive,
    Fail,
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
    /// Reported, but left out of the verdict (`--advisory`).
    pub advisory: bool,
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
    /// Details and failed phase of the target, when they were read.
    pub explanation: Explanation,
    pub rules: Vec<RuleResult>,
    pub verdict: Verdict,
    pub summary: Summary,
    /// The finished builds the history rules looked at, newest first.
    pub window: Vec<Build>,
}

/// The builds received, counted the way the API counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Received {
    total: u64,
    finished: u64,
    successful: u64,
}

impl Received {
    fn count(builds: &[Build]) -> Received {
        let finished = builds.iter().filter(|b| b.is_finished()).count();
        let successful = builds
            .iter()
            .filter(|b| b.state() == Some(State::Successful))
            .count();
        Received {
            total: builds.len() as u64,
            finished: finished as u64,
            successful: successful as u64,
        }
    }
}

/// Why the received builds cannot stand for the job's history, by the API's own counts:
/// they contradict what was received, or the window is short while the API says more
/// finished builds exist (a list cut short, a server repeating page 1). Counts larger
/// than a full window are normal: only the newest builds are ever fetched.
fn distrust(history: &History, received: Received, window: usize, size: usize) -> Option<String> {
    let counts = [
        ("builds", history.total, received.total),
        ("finished builds", history.finished, received.finished),
        ("Successful builds", history.successful, received.successful),
    ];
    for (what, claimed, got) in counts {
        if let Some(claimed) = claimed.filter(|&c| c < got) {
            return Some(format!(
                "the API counts {claimed} {what} but listed {got}: its counts contradict its list"
            ));
        }
    }
    let (claimed, got, what) = match (history.finished, history.total) {
        (Some(finished), _) => (finished, received.finished, "finished builds"),
        (None, Some(total)) => (total, received.total, "builds"),
        (None, None) => return None,
    };
    (window < size && claimed > got).then(|| {
        format!(
            "the API counts {claimed} {what} but only {got} were received, \
             so the window holds {window} of {size}: the list was cut short"
        )
    })
}

/// Judges the history: picks the target and window, runs every configured rule.
pub fn evaluate(history: &History, config: &RuleConfig) -> Evaluation {
    let builds = &history.builds;
    let target_index = select(history, config);
    let target = finished_target(builds, target_index, config);
    let window = window(builds, target_index, config.window);
    let received = Received::count(builds);

    let mut rules = target_rules(history, target.as_ref().copied(), config);
    if config.has_history_rules() {
        let target = target.as_ref().copied();
        rules.extend(history_rules(history, received, target, &window, config));
    }
    for rule in &mut rules {
        rule.advisory = config.advisory.contains(&rule.name);
    }
    Evaluation {
        target: target_index.map(|i| builds[i].clone()),
        explanation: history.explanation.clone(),
        verdict: overall(&rules),
        rules,
        summary: Summary {
            total: history.total.unwrap_or(received.total),
            finished: history.finished.unwrap_or(received.finished),
            successful: history.successful.unwrap_or(received.successful),
            window: window.len(),
        },
        window: builds[target_index.unwrap_or(0)..]
            .iter()
            .filter(|b| b.is_finished())
            .take(config.window)
            .cloned()
            .collect(),
    }
}

/// The rules about the target itself: `state`, and `max-duration` when it is set.
fn target_rules(
    history: &History,
    target: Result<Finished, &Reason>,
    config: &RuleConfig,
) -> Vec<RuleResult> {
    let mut rules = vec![state(target, config)];
    // The failing phase travels in the state rule's message, so that every output that
    // shows the rule (annotations, summary, JUnit) names it. Only a named phase: the rule
    // says what was judged, not what could not be read.
    if let (Some(phase @ FailedPhase::Named(_)), Verdict::Fail) =
        (&history.explanation.failed_phase, rules[0].verdict)
    {
        rules[0].message = format!("{}; {phase}", rules[0].message);
    }
    if let Some(limit) = config.max_duration {
        rules.push(max_duration(target, limit));
    }
    rules
}

/// `min-builds` and every configured history rule: inconclusive when the API's counts
/// distrust the list or the window holds fewer than `--min-builds` finished builds.
fn history_rules(
    history: &History,
    received: Received,
    target: Result<Finished, &Reason>,
    window: &[Finished],
    config: &RuleConfig,
) -> Vec<RuleResult> {
    let untrusted = distrust(history, received, window.len(), config.window);
    let mut rules = vec![match &untrusted {
        Some(why) => inconclusive(MIN_BUILDS, why.clone()),
        None => min_builds(window.len(), config.min_builds),
    }];
    let too_few = (window.len() < config.min_builds).then(|| {
        format!(
            "only {} finished build(s) in the window, at least {} needed (--min-builds)",
            window.len(),
            config.min_builds
        )
    });
    for rule in HistoryRule::configured(config) {
        rules.push(match untrusted.as_ref().or(too_few.as_ref()) {
            Some(why) => inconclusive(rule.name(), why.clone()),
            None => rule.judge(target, window),
        });
    }
    rules
}

/// Fail beats inconclusive beats pass; advisory rules do not count.
pub fn overall(rules: &[RuleResult]) -> Verdict {
    rules
        .iter()
        .filter(|r| !r.advisory)
        .map(|r| r.verdict)
        .max()
        .unwrap_or(Verdict::Pass)
}

/// The build to judge: with `--commit`, the build whose details matched (the search is
/// I/O, done by `fetch`); else as `target_index` picks it.
pub fn select(history: &History, config: &RuleConfig) -> Option<usize> {
    match (&config.commit, &history.commit_match) {
        (Some(_), Some(id)) => history.builds.iter().position(|b| &b.id == id),
        (Some(_), None) => None,
        (None, _) => target_index(&history.builds, config),
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

/// The build to judge without `--commit`: `--build-id`, else the newest finished one with
/// `--ignore-running`, else the newest.
pub fn target_index(builds: &[Build], config: &RuleConfig) -> Option<usize> {
    match &config.build_id {
        Some(id) => builds.iter().position(|b| &b.id == id),
        None if config.ignore_running => builds.iter().position(Build::is_finished),
        None => (!builds.is_empty()).then_some(0),
    }
}

/// The target when it can be judged (found and finished), else why not.
pub fn finished_target<'a>(
    builds: &'a [Build],
    target_index: Option<usize>,
    config: &RuleConfig,
) -> Result<Finished<'a>, Reason> {
    let target = target_index.map(|i| &builds[i]);
    match target.map(|b| (b, b.as_finished())) {
        Some((_, Some(finished))) => Ok(finished),
        Some((build, None)) => Err(Reason::Running {
            id: build.id.clone(),
            state: build.state_name().to_string(),
        }),
        None => Err(match (&config.commit, &config.build_id) {
            (Some(commit), _) => Reason::CommitNotFound {
                prefix: commit.as_str().chars().take(7).collect(),
                inspected: commit_candidates(builds, config.window).len(),
            },
            (None, Some(id)) => Reason::NotListed(id.clone()),
            (None, None) if config.ignore_running => Reason::NoneFinished,
            (None, None) => Reason::NoBuilds,
        }),
    }
}

/// The `size` most recent finished builds at or older than the target
/// (from the newest when there is no target).
pub fn window(builds: &[Build], target_index: Option<usize>, size: usize) -> Vec<Finished<'_>> {
    builds[target_index.unwrap_or(0)..]
        .iter()
        .filter_map(Build::as_finished)
        .take(size)
        .collect()
}

/// Whether the builds received so far are enough to judge, or another page is needed.
pub fn needs_more(builds: &[Build], config: &RuleConfig) -> bool {
    // Every candidate of a commit search must be in hand before the search; with history
    // rules, also the window below the oldest candidate the search may pick (the
    // `window`-th finished build): `window - 1` finished builds more.
    if config.commit.is_some() {
        let needed = match config.has_history_rules() {
            true => 2 * config.window - 1,
            false => config.window,
        };
        return builds.iter().filter(|b| b.is_finished()).count() < needed;
    }
    let Some(target) = target_index(builds, config) else {
        return true;
    };
    config.has_history_rules() && window(builds, Some(target), config.window).len() < config.window
}

/// What a `--wait` is waiting for, or `None` when the target has finished.
pub fn awaited(history: &History, config: &RuleConfig) -> Option<String> {
    match select(history, config).map(|i| &history.builds[i]) {
        Some(build) if build.is_finished() => None,
        Some(build) => Some(format!("build {} ({})", build.id, build.state_name())),
        None => Some(match (&config.commit, &config.build_id) {
            (Some(commit), _) => format!("a build of commit {}", commit.as_str()),
            (None, Some(id)) => format!("build {id} to be listed"),
            (None, None) if config.ignore_running => "a finished build".to_string(),
            (None, None) => "a build to be listed".to_string(),
        }),
    }
}

fn result(name: &'static str, verdict: Verdict, message: String) -> RuleResult {
    RuleResult {
        name,
        verdict,
        message,
        advisory: false,
    }
}

fn inconclusive(name: &'static str, message: String) -> RuleResult {
    result(name, Verdict::Inconclusive, message)
}

fn state(target: Result<Finished, &Reason>, config: &RuleConfig) -> RuleResult {
    let target = match target {
        Ok(target) => target,
        Err(why) => return inconclusive(STATE, why.to_string()),
    };
    let state = target.state;
    let allowed = config
        .require_states
        .iter()
        .map(|s| s.name())
        .collect::<Vec<_>>()
        .join(" or ");
    if config.require_states.contains(&state) {
        let message = format!("build {} is {state}", target.id);
        result(STATE, Verdict::Pass, message)
    } else {
        let message = format!("build {} is {state}, expected {allowed}", target.id);
        result(STATE, Verdict::Fail, message)
    }
}

fn human(seconds: u64) -> String {
    humantime::format_duration(Duration::from_secs(seconds)).to_string()
}

fn max_duration(target: Result<Finished, &Reason>, limit: Duration) -> RuleResult {
    let seconds = match target {
        Ok(target) => target.seconds,
        Err(why) => return inconclusive(MAX_DURATION, why.to_string()),
    };
    let limit_text = humantime::format_duration(limit);
    if Duration::from_secs(seconds) <= limit {
        let message = format!("duration {} within limit {limit_text}", human(seconds));
        result(MAX_DURATION, Verdict::Pass, message)
    } else {
        let message = format!("duration {} exceeds limit {limit_text}", human(seconds));
        result(MAX_DURATION, Verdict::Fail, message)
    }
}

fn min_builds(finished: usize, minimum: usize) -> RuleResult {
    if finished >= minimum {
        let message =
            format!("{finished} finished build(s) in the window, at least {minimum} needed");
        result(MIN_BUILDS, Verdict::Pass, message)
    } else {
        let message =
            format!("only {finished} finished build(s) in the window, at least {minimum} needed");
        inconclusive(MIN_BUILDS, message)
    }
}

/// A ratio as a percentage with at most one decimal: 80%, 66.7%.
fn percent_of(part: usize, whole: usize) -> String {
    let tenths = (part as f64 * 1000.0 / whole as f64).round() / 10.0;
    format!("{tenths}%")
}

fn min_success_rate(window: &[Finished], minimum: Percent) -> RuleResult {
    let successful = window
        .iter()
        .filter(|b| b.state == State::Successful)
        .count();
    let decisive = successful + window.iter().filter(|b| b.state.is_failure()).count();
    if decisive == 0 {
        let message = "no Successful, Failed or Timeout build in the window (Cancel is neutral)";
        return inconclusive(MIN_SUCCESS_RATE, message.to_string());
    }
    let rate = format!(
        "success rate {} ({successful} of {decisive})",
        percent_of(successful, decisive)
    );
    // Multiplying, not dividing, keeps exact thresholds exact: 19 of 20 is 95%.
    if successful as f64 * 100.0 >= minimum.0 * decisive as f64 {
        let message = format!("{rate} meets minimum {minimum}");
        result(MIN_SUCCESS_RATE, Verdict::Pass, message)
    } else {
        let message = format!("{rate} below minimum {minimum}");
        result(MIN_SUCCESS_RATE, Verdict::Fail, message)
    }
}

fn max_consecutive_failures(window: &[Finished], maximum: usize) -> RuleResult {
    let streak = window
        .iter()
        .filter(|b| b.state != State::Cancel)
        .take_while(|b| b.state.is_failure())
        .count();
    if streak <= maximum {
        let message = format!("{streak} consecutive failure(s), maximum {maximum}");
        result(MAX_CONSECUTIVE_FAILURES, Verdict::Pass, message)
    } else {
        let message = format!("{streak} consecutive failures exceed maximum {maximum}");
        result(MAX_CONSECUTIVE_FAILURES, Verdict::Fail, message)
    }
}

/// Fewer other Successful builds than this make a median too noisy to judge against.
const MIN_BASELINE: usize = 3;
/// A percentage's whole: `allowed` percent over the median is `(100 + allowed) / 100` of it.
const HUNDRED_PERCENT: f64 = 100.0;

/// Twice the median, so that even counts stay integers (the sum of the two middle values).
fn twice_median(mut durations: Vec<u64>) -> u64 {
    durations.sort_unstable();
    let middle = durations.len() / 2;
    match durations.len() % 2 {
        1 => 2 * durations[middle],
        _ => durations[middle - 1] + durations[middle],
    }
}

fn max_duration_regression(target: Finished, window: &[Finished], allowed: Percent) -> RuleResult {
    let baseline: Vec<u64> = window
        .iter()
        .filter(|b| b.state == State::Successful && b.id != target.id)
        .map(|b| b.seconds)
        .collect();
    let others = baseline.len();
    if others < MIN_BASELINE {
        let message = format!(
            "only {others} other Successful build(s) in the window, at least {MIN_BASELINE} needed for a median"
        );
        return inconclusive(MAX_DURATION_REGRESSION, message);
    }
    let twice_median = twice_median(baseline) as f64;
    // The limit is (100 + allowed)% of the median; with twice the median on the right,
    // twice the percentage whole goes on the left, and the comparison stays exact.
    let scaled_limit = (HUNDRED_PERCENT + allowed.0) * twice_median;
    let limit_ms = (scaled_limit * 1000.0 / (2.0 * HUNDRED_PERCENT)).floor() as u64;
    let limit_text = humantime::format_duration(Duration::from_secs(limit_ms / 1000));
    let seconds = target.seconds;
    // Shown in whole seconds; the comparison below stays exact.
    let median_text = human((twice_median as u64).div_ceil(2));
    let observed = format!(
        "duration {} against median {median_text} of {others} other Successful build(s)",
        human(seconds)
    );
    if seconds as f64 * 2.0 * HUNDRED_PERCENT <= scaled_limit {
        let message = format!("{observed}, within +{allowed} ({limit_text})");
        result(MAX_DURATION_REGRESSION, Verdict::Pass, message)
    } else {
        let message = format!("{observed}, over the +{allowed} limit ({limit_text})");
        result(MAX_DURATION_REGRESSION, Verdict::Fail, message)
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
                .map(|b| b.id)
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
                awaited(&history(spec, [None; 3]), &config).as_deref(),
                expected,
                "{spec}"
            );
        }
    }

    fn history(spec: &str, counts: [Option<u64>; 3]) -> History {
        let [total, finished, successful] = counts;
        History {
            builds: builds(spec),
            total,
            finished,
            successful,
            ..History::default()
        }
    }

    #[test]
    fn counts_that_say_the_list_is_short_or_false_make_history_rules_inconclusive() {
        let config = RuleConfig {
            window: 10,
            min_success_rate: Some(Percent(80.0)),
            max_consecutive_failures: Some(3),
            max_duration_regression: Some(Percent(50.0)),
            ..RuleConfig::default()
        };
        let small = RuleConfig {
            window: 2,
            ..config.clone()
        };
        let ten = "S S S S S S S S S S";
        // name, builds, [total, finished, successful], config, expected message or None
        type Case<'a> = (
            &'a str,
            &'a str,
            [Option<u64>; 3],
            &'a RuleConfig,
            Option<&'a str>,
        );
        let cases: [Case; 10] = [
            (
                "issue example",
                "S S",
                [Some(10), Some(10), Some(2)],
                &config,
                Some(
                    "the API counts 10 finished builds but only 2 were received, so the window holds 2 of 10",
                ),
            ),
            (
                "total only",
                "S S",
                [Some(10), None, None],
                &config,
                Some("the API counts 10 builds but only 2 were received"),
            ),
            (
                "more listed than total",
                "S S S",
                [Some(2), None, None],
                &config,
                Some("the API counts 2 builds but listed 3"),
            ),
            (
                "more finished than counted",
                "S S S",
                [None, Some(1), None],
                &config,
                Some("the API counts 1 finished builds but listed 3"),
            ),
            (
                "more Successful than counted",
                "S S F",
                [Some(3), Some(3), Some(1)],
                &config,
                Some("the API counts 1 Successful builds but listed 2"),
            ),
            (
                "counts over a full window are normal",
                ten,
                [Some(500), Some(480), Some(400)],
                &config,
                None,
            ),
            (
                "a small window filled is enough",
                "S S",
                [Some(50), Some(50), Some(50)],
                &small,
                None,
            ),
            (
                "the whole job listed",
                "S S S",
                [Some(3), Some(3), Some(3)],
                &config,
                None,
            ),
            (
                "unfinished builds missing are harmless",
                "S S S",
                [Some(5), Some(3), Some(3)],
                &config,
                None,
            ),
            (
                "no counts, nothing to compare",
                "S S",
                [None, None, None],
                &config,
                None,
            ),
        ];
        for (name, spec, counts, config, expected) in cases {
            let evaluation = evaluate(&history(spec, counts), config);
            for rule_name in [MIN_BUILDS, MIN_SUCCESS_RATE, MAX_CONSECUTIVE_FAILURES] {
                let r = rule(&evaluation, rule_name);
                match expected {
                    Some(message) => {
                        assert_eq!(
                            r.verdict, Inconclusive,
                            "{name}: {rule_name}: {}",
                            r.message
                        );
                        assert!(
                            r.message.contains(message),
                            "{name}: {rule_name}: {}",
                            r.message
                        );
                    }
                    None => assert_ne!(
                        r.verdict, Inconclusive,
                        "{name}: {rule_name}: {}",
                        r.message
                    ),
                }
            }
            let state = rule(&evaluation, STATE);
            assert_eq!(state.verdict, Pass, "{name}: the target is still judged");
        }
    }

    #[test]
    fn finished_target_says_why_it_cannot_be_judged() {
        let by_id = |id: &str| RuleConfig {
            build_id: Some(id.into()),
            ..RuleConfig::default()
        };
        let ignore = RuleConfig {
            ignore_running: true,
            ..RuleConfig::default()
        };
        let running = |id: &str, state: &str| Reason::Running {
            id: id.into(),
            state: state.into(),
        };
        let cases: [(&str, RuleConfig, Result<&str, Reason>); 6] = [
            ("F30 S", RuleConfig::default(), Ok("b0")),
            ("B S", RuleConfig::default(), Err(running("b0", "Building"))),
            ("", RuleConfig::default(), Err(Reason::NoBuilds)),
            ("B Q", ignore, Err(Reason::NoneFinished)),
            ("S Q", by_id("b1"), Err(running("b1", "Queuing"))),
            ("S", by_id("x"), Err(Reason::NotListed("x".into()))),
        ];
        for (spec, config, expected) in cases {
            let all = builds(spec);
            let target = finished_target(&all, target_index(&all, &config), &config);
            assert_eq!(target.map(|t| t.id), expected, "{spec}");
        }
        let all = builds("F30");
        let target = finished_target(&all, Some(0), &RuleConfig::default()).unwrap();
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
        ];
        for (reason, message) in messages {
            assert_eq!(reason.to_string(), message);
        }
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
        // Candidates: up to and including the window-th finished build.
        let all = builds("B Q S F S S");
        let ids = |b: &[Build]| b.iter().map(|b| b.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(commit_candidates(&all, 2)), ["b0", "b1", "b2", "b3"]);
        assert_eq!(ids(commit_candidates(&all, 9)).len(), 6);
        assert!(needs_more(&builds("B S"), &config));
        assert!(!needs_more(&builds("B S F"), &config));
        let with_history = RuleConfig {
            min_success_rate: Some(Percent(50.0)),
            ..config.clone()
        };
        assert!(needs_more(&builds("B S F"), &with_history));
        assert!(!needs_more(&builds("B S F S"), &with_history));

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

    #[test]
    fn a_commit_search_pages_until_its_candidates_and_their_window_are_in() {
        let commit = RuleConfig {
            commit: Some(CommitPrefix::parse("abcdef1").unwrap()),
            window: 3,
            ..RuleConfig::default()
        };
        let with_history = RuleConfig {
            max_consecutive_failures: Some(1),
            ..commit.clone()
        };
        // Without history rules the window's 3 finished builds are the candidates; with
        // them, the oldest candidate's window adds 2 more: 5.
        let cases = [
            ("B S F", &commit, true),
            ("B S F S", &commit, false),
            ("S F S S", &with_history, true),
            ("B S F S Q S C", &with_history, false),
        ];
        for (spec, config, more) in cases {
            assert_eq!(needs_more(&builds(spec), config), more, "{spec} {config:?}");
        }
    }
}
