//! The rules: pure functions over the builds (newest first), the target `select` picked
//! and the window below it. No I/O here.
//!
//! Adding a rule: its name constant, one entry in `RULES` (name, flag, what it needs,
//! when it is enabled, its judge), its judge function and test table, and the README's
//! rule table.

use std::fmt;
use std::time::Duration;

pub use crate::model::History;
use crate::model::record::Tally;
use crate::model::{Build, CommitPrefix, Explanation, FailedPhase, Finished, State};
use crate::select::{self, Reason, Targeting};

pub const STATE: &str = "state";
pub const MAX_DURATION: &str = "max-duration";
pub const MIN_BUILDS: &str = "min-builds";
pub const MIN_SUCCESS_RATE: &str = "min-success-rate";
pub const MAX_CONSECUTIVE_FAILURES: &str = "max-consecutive-failures";
pub const MAX_DURATION_REGRESSION: &str = "max-duration-regression";

/// A rule: one entry of [`RULES`].
pub struct Rule {
    /// The contract's rule name, in reports and `--advisory`.
    pub name: &'static str,
    /// The flag (without `--`) that turns it on or sets what it requires.
    pub flag: &'static str,
    needs: Needs,
    enabled: fn(&RuleConfig) -> bool,
    /// The verdict and its message; `None` only when the config leaves the rule off.
    judge: fn(&Facts) -> Option<(Verdict, String)>,
}

/// What a rule needs before it is judged, beyond a list not cut short (which every rule
/// needs); without it the rule is inconclusive, saying why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Needs {
    /// Nothing: the rule judges the target or the window and says itself why it cannot.
    Nothing,
    /// At least `--min-builds` finished builds in the window: the history rules.
    FullWindow,
}

/// Every rule, in the order a report lists them.
pub const RULES: [Rule; 6] = [
    Rule {
        name: STATE,
        flag: "require-state",
        needs: Needs::Nothing,
        enabled: |_| true,
        judge: |f| Some(state(f.target, f.config, f.failed_phase)),
    },
    Rule {
        name: MAX_DURATION,
        flag: "max-duration",
        needs: Needs::Nothing,
        enabled: |c| c.max_duration.is_some(),
        judge: |f| Some(max_duration(f.target, f.config.max_duration?)),
    },
    Rule {
        name: MIN_BUILDS,
        flag: "min-builds",
        needs: Needs::Nothing,
        enabled: RuleConfig::has_history_rules,
        judge: |f| Some(min_builds(f.window.len(), f.config.min_builds)),
    },
    Rule {
        name: MIN_SUCCESS_RATE,
        flag: "min-success-rate",
        needs: Needs::FullWindow,
        enabled: |c| c.min_success_rate.is_some(),
        judge: |f| Some(min_success_rate(f.window, f.config.min_success_rate?)),
    },
    Rule {
        name: MAX_CONSECUTIVE_FAILURES,
        flag: "max-consecutive-failures",
        needs: Needs::FullWindow,
        enabled: |c| c.max_consecutive_failures.is_some(),
        judge: |f| {
            let maximum = f.config.max_consecutive_failures?;
            Some(max_consecutive_failures(f.window, maximum))
        },
    },
    Rule {
        name: MAX_DURATION_REGRESSION,
        flag: "max-duration-regression",
        needs: Needs::FullWindow,
        enabled: |c| c.max_duration_regression.is_some(),
        judge: |f| {
            let allowed = f.config.max_duration_regression?;
            Some(match f.target {
                Ok(target) => max_duration_regression(target, f.window, allowed),
                Err(why) => (Verdict::Inconclusive, why.to_string()),
            })
        },
    },
];

/// Every rule's name, in report order.
pub const ALL: [&str; RULES.len()] = {
    let mut names = [""; RULES.len()];
    let mut i = 0;
    while i < RULES.len() {
        names[i] = RULES[i].name;
        i += 1;
    }
    names
};

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
    /// Whether a rule over the window (a history rule) is set; `min-builds` runs with them.
    fn has_history_rules(&self) -> bool {
        RULES
            .iter()
            .any(|r| r.needs == Needs::FullWindow && (r.enabled)(self))
    }

    /// Whether `evaluate` reports the rule `name` under this config.
    pub fn enabled(&self, name: &str) -> bool {
        RULES.iter().any(|r| r.name == name && (r.enabled)(self))
    }

    /// How `select` picks the target under this config.
    pub fn targeting(&self) -> Targeting<'_> {
        Targeting {
            build_id: self.build_id.as_deref(),
            commit: self.commit.as_ref(),
            ignore_running: self.ignore_running,
            window: self.window,
            history: self.has_history_rules(),
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

/// The index of the build to judge in `history` under `config`.
pub fn target(history: &History, config: &RuleConfig) -> Option<usize> {
    select::target(
        &history.builds,
        history.commit_match.as_deref(),
        config.targeting(),
    )
}

/// What a `--wait` is waiting for in `history`, or `None` when the target has finished.
pub fn awaited(history: &History, config: &RuleConfig) -> Option<String> {
    select::awaited(
        &history.builds,
        history.commit_match.as_deref(),
        config.targeting(),
    )
}

/// What every judge sees.
struct Facts<'a> {
    config: &'a RuleConfig,
    target: Result<Finished<'a>, &'a Reason>,
    window: &'a [Finished<'a>],
    failed_phase: Option<&'a FailedPhase>,
    /// Why the list cannot stand for the job's history: it was cut short.
    cut_short: Option<&'a str>,
}

impl Facts<'_> {
    /// Why a rule that needs `needs` cannot be judged, if it cannot.
    fn missing(&self, needs: Needs) -> Option<String> {
        let too_few = || {
            (self.window.len() < self.config.min_builds).then(|| {
                format!(
                    "only {} finished build(s) in the window, at least {} needed (--{})",
                    self.window.len(),
                    self.config.min_builds,
                    RULES[2].flag
                )
            })
        };
        if let Some(why) = self.cut_short {
            return Some(why.to_string());
        }
        match needs {
            Needs::Nothing => None,
            Needs::FullWindow => too_few(),
        }
    }
}

impl Rule {
    /// The rule's result, or `None` when the config leaves it off.
    fn result(&self, facts: &Facts) -> Option<RuleResult> {
        if !(self.enabled)(facts.config) {
            return None;
        }
        let (verdict, message) = match facts.missing(self.needs) {
            Some(why) => (Verdict::Inconclusive, why),
            None => (self.judge)(facts)?,
        };
        Some(RuleResult {
            name: self.name,
            verdict,
            message,
            advisory: facts.config.advisory.contains(&self.name),
        })
    }
}

/// Judges the history: picks the target and window, runs every enabled rule. A list cut
/// short makes every rule inconclusive, and the verdict at best inconclusive whatever
/// `--advisory` leaves out: advisory rules never turn a list the gate cannot trust into
/// a pass.
pub fn evaluate(history: &History, config: &RuleConfig) -> Evaluation {
    let builds = &history.builds;
    let targeting = config.targeting();
    let index = target(history, config);
    let target = select::finished_target(builds, index, targeting);
    let window = select::window(builds, index, config.window);
    let received = Tally::of(builds);
    let facts = Facts {
        config,
        target: target.as_ref().copied(),
        window: &window,
        failed_phase: history.explanation.failed_phase.as_ref(),
        cut_short: history.cut_short.as_deref(),
    };
    let rules: Vec<RuleResult> = RULES.iter().filter_map(|r| r.result(&facts)).collect();
    let verdict = match history.cut_short {
        Some(_) => overall(&rules).max(Verdict::Inconclusive),
        None => overall(&rules),
    };
    Evaluation {
        target: index.map(|i| builds[i].clone()),
        explanation: history.explanation.clone(),
        verdict,
        rules,
        summary: Summary {
            total: history.total.unwrap_or(received.total),
            finished: history.finished.unwrap_or(received.finished),
            successful: history.successful.unwrap_or(received.successful),
            window: window.len(),
        },
        window: builds[index.unwrap_or(0)..]
            .iter()
            .filter(|b| b.is_finished())
            .take(config.window)
            .cloned()
            .collect(),
    }
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

/// A verdict and its message.
type Judged = (Verdict, String);

/// The target's state is one of `--require-state`. A failing phase travels in the message,
/// so that every output that shows the rule (annotations, summary, JUnit) names it; only a
/// named phase: the rule says what was judged, not what could not be read.
fn state(
    target: Result<Finished, &Reason>,
    config: &RuleConfig,
    phase: Option<&FailedPhase>,
) -> Judged {
    let target = match target {
        Ok(target) => target,
        Err(why) => return (Verdict::Inconclusive, why.to_string()),
    };
    let state = target.state;
    if config.require_states.contains(&state) {
        return (Verdict::Pass, format!("build {} is {state}", target.id));
    }
    let allowed = config
        .require_states
        .iter()
        .map(|s| s.name())
        .collect::<Vec<_>>()
        .join(" or ");
    let message = format!("build {} is {state}, expected {allowed}", target.id);
    match phase {
        Some(phase @ FailedPhase::Named(_)) => (Verdict::Fail, format!("{message}; {phase}")),
        _ => (Verdict::Fail, message),
    }
}

fn human(seconds: u64) -> String {
    humantime::format_duration(Duration::from_secs(seconds)).to_string()
}

fn max_duration(target: Result<Finished, &Reason>, limit: Duration) -> Judged {
    let seconds = match target {
        Ok(target) => target.seconds,
        Err(why) => return (Verdict::Inconclusive, why.to_string()),
    };
    let limit_text = humantime::format_duration(limit);
    if Duration::from_secs(seconds) <= limit {
        let message = format!("duration {} within limit {limit_text}", human(seconds));
        (Verdict::Pass, message)
    } else {
        let message = format!("duration {} exceeds limit {limit_text}", human(seconds));
        (Verdict::Fail, message)
    }
}

fn min_builds(finished: usize, minimum: usize) -> Judged {
    if finished >= minimum {
        let message =
            format!("{finished} finished build(s) in the window, at least {minimum} needed");
        (Verdict::Pass, message)
    } else {
        let message =
            format!("only {finished} finished build(s) in the window, at least {minimum} needed");
        (Verdict::Inconclusive, message)
    }
}

/// A ratio as a percentage with at most one decimal: 80%, 66.7%.
fn percent_of(part: usize, whole: usize) -> String {
    let tenths = (part as f64 * 1000.0 / whole as f64).round() / 10.0;
    format!("{tenths}%")
}

fn min_success_rate(window: &[Finished], minimum: Percent) -> Judged {
    let successful = window
        .iter()
        .filter(|b| b.state == State::Successful)
        .count();
    let decisive = successful + window.iter().filter(|b| b.state.is_failure()).count();
    if decisive == 0 {
        let message = "no Successful, Failed or Timeout build in the window (Cancel is neutral)";
        return (Verdict::Inconclusive, message.to_string());
    }
    let rate = format!(
        "success rate {} ({successful} of {decisive})",
        percent_of(successful, decisive)
    );
    // Multiplying, not dividing, keeps exact thresholds exact: 19 of 20 is 95%.
    if successful as f64 * 100.0 >= minimum.0 * decisive as f64 {
        (Verdict::Pass, format!("{rate} meets minimum {minimum}"))
    } else {
        (Verdict::Fail, format!("{rate} below minimum {minimum}"))
    }
}

fn max_consecutive_failures(window: &[Finished], maximum: usize) -> Judged {
    let streak = window
        .iter()
        .filter(|b| b.state != State::Cancel)
        .take_while(|b| b.state.is_failure())
        .count();
    if streak <= maximum {
        let message = format!("{streak} consecutive failure(s), maximum {maximum}");
        (Verdict::Pass, message)
    } else {
        let message = format!("{streak} consecutive failures exceed maximum {maximum}");
        (Verdict::Fail, message)
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

fn max_duration_regression(target: Finished, window: &[Finished], allowed: Percent) -> Judged {
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
        return (Verdict::Inconclusive, message);
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
        (
            Verdict::Pass,
            format!("{observed}, within +{allowed} ({limit_text})"),
        )
    } else {
        (
            Verdict::Fail,
            format!("{observed}, over the +{allowed} limit ({limit_text})"),
        )
    }
}

#[cfg(test)]
mod tests;
