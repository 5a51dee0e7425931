//! The rules as the contract states them, judged on the truth: what an honest server
//! would have made the gate say. Written from the contract, not from the gate's code, so
//! that an honest session judged differently shows up.

use super::session::{Build, Terminal};

/// What the gate is asked to judge.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    pub build_id: Option<String>,
    /// A commit prefix as passed to `--commit` (any case).
    pub commit: Option<String>,
    pub ignore_running: bool,
    /// Empty means the default, `Successful`.
    pub require: Vec<Terminal>,
    pub max_duration: Option<u64>,
    pub window: usize,
    pub min_builds: usize,
    pub min_success_rate: Option<u64>,
    pub max_consecutive_failures: Option<usize>,
    pub max_duration_regression: Option<u64>,
    pub advisory: Vec<&'static str>,
    pub inconclusive_pass: bool,
}

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
            Verdict::Inconclusive => "inconclusive",
            Verdict::Fail => "fail",
        }
    }
}

impl Rules {
    pub fn history(&self) -> bool {
        self.min_success_rate.is_some()
            || self.max_consecutive_failures.is_some()
            || self.max_duration_regression.is_some()
    }

    fn required(&self) -> Vec<Terminal> {
        match self.require.is_empty() {
            true => vec![Terminal::Successful],
            false => self.require.clone(),
        }
    }

    /// The exit code of a run whose jobs got these verdicts (worst first).
    pub fn exit_code(&self, verdicts: &[Verdict]) -> i32 {
        match verdicts.iter().max() {
            Some(Verdict::Fail) => 1,
            Some(Verdict::Inconclusive) if !self.inconclusive_pass => 1,
            _ => 0,
        }
    }
}

/// The builds a `--commit` search reads: every build up to the `window`-th finished one.
pub fn candidates(builds: &[Build], window: usize) -> &[Build] {
    let end = builds
        .iter()
        .enumerate()
        .filter(|(_, b)| b.finished().is_some())
        .nth(window.saturating_sub(1))
        .map_or(builds.len(), |(i, _)| i + 1);
    &builds[..end]
}

/// The index of the build the rules judge.
pub fn target(builds: &[Build], rules: &Rules) -> Option<usize> {
    if let Some(prefix) = &rules.commit {
        let prefix = prefix.to_ascii_lowercase();
        return candidates(builds, rules.window).iter().position(|b| {
            (!rules.ignore_running || b.finished().is_some())
                && b.commit.to_ascii_lowercase().starts_with(&prefix)
        });
    }
    if let Some(id) = &rules.build_id {
        return builds.iter().position(|b| &b.id == id);
    }
    if rules.ignore_running {
        return builds.iter().position(|b| b.finished().is_some());
    }
    (!builds.is_empty()).then_some(0)
}

/// The finished builds at or below the target, at most `--window` of them.
fn window(builds: &[Build], target: Option<usize>, size: usize) -> Vec<&Build> {
    builds[target.unwrap_or(0)..]
        .iter()
        .filter(|b| b.finished().is_some())
        .take(size)
        .collect()
}

/// Whether the gate needs more of the list than `builds` to judge: the target and the
/// window below it, or with `--commit` every candidate (and the window below the oldest).
pub fn needs_more(builds: &[Build], rules: &Rules) -> bool {
    let finished = builds.iter().filter(|b| b.finished().is_some()).count();
    if rules.commit.is_some() {
        let needed = match rules.history() {
            true => 2 * rules.window - 1,
            false => rules.window,
        };
        return finished < needed;
    }
    let Some(index) = target(builds, rules) else {
        return true;
    };
    rules.history() && window(builds, Some(index), rules.window).len() < rules.window
}

/// Each enabled rule's name and verdict.
pub fn rule_verdicts(builds: &[Build], rules: &Rules) -> Vec<(&'static str, Verdict)> {
    let index = target(builds, rules);
    let judged = index.and_then(|i| builds[i].finished().map(|f| (&builds[i], f)));
    let win = window(builds, index, rules.window);
    let short = win.len() < rules.min_builds;
    let mut verdicts = vec![(
        "state",
        match judged {
            Some((_, (state, _))) if rules.required().contains(&state) => Verdict::Pass,
            Some(_) => Verdict::Fail,
            None => Verdict::Inconclusive,
        },
    )];
    if let Some(limit) = rules.max_duration {
        let verdict = judged.map_or(Verdict::Inconclusive, |(_, (_, s))| pass_if(s <= limit));
        verdicts.push(("max-duration", verdict));
    }
    if rules.history() {
        verdicts.push(("min-builds", inconclusive_if(short, Verdict::Pass)));
    }
    if let Some(rate) = rules.min_success_rate {
        verdicts.push((
            "min-success-rate",
            inconclusive_if(short, success(&win, rate)),
        ));
    }
    if let Some(most) = rules.max_consecutive_failures {
        let streak = win
            .iter()
            .filter_map(|b| b.terminal())
            .filter(|t| *t != Terminal::Cancel)
            .take_while(|t| t.is_failure())
            .count();
        verdicts.push((
            "max-consecutive-failures",
            inconclusive_if(short, pass_if(streak <= most)),
        ));
    }
    if let Some(percent) = rules.max_duration_regression {
        let verdict = judged.map_or(Verdict::Inconclusive, |(build, (_, seconds))| {
            regression(&win, build, seconds, percent)
        });
        verdicts.push(("max-duration-regression", inconclusive_if(short, verdict)));
    }
    verdicts
}

/// The verdict of the non-advisory rules.
pub fn judge(builds: &[Build], rules: &Rules) -> Verdict {
    rule_verdicts(builds, rules)
        .into_iter()
        .filter(|(name, _)| !rules.advisory.contains(name))
        .map(|(_, verdict)| verdict)
        .max()
        .unwrap_or(Verdict::Pass)
}

fn pass_if(ok: bool) -> Verdict {
    if ok { Verdict::Pass } else { Verdict::Fail }
}

fn inconclusive_if(short: bool, verdict: Verdict) -> Verdict {
    if short {
        Verdict::Inconclusive
    } else {
        verdict
    }
}

fn success(win: &[&Build], percent: u64) -> Verdict {
    let states: Vec<Terminal> = win.iter().filter_map(|b| b.terminal()).collect();
    let successful = states
        .iter()
        .filter(|t| **t == Terminal::Successful)
        .count() as u64;
    let decisive = successful + states.iter().filter(|t| t.is_failure()).count() as u64;
    match decisive {
        0 => Verdict::Inconclusive,
        _ => pass_if(successful * 100 >= percent * decisive),
    }
}

fn regression(win: &[&Build], target: &Build, seconds: u64, percent: u64) -> Verdict {
    let mut others: Vec<u64> = win
        .iter()
        .filter(|b| b.terminal() == Some(Terminal::Successful) && b.id != target.id)
        .filter_map(|b| b.duration)
        .collect();
    if others.len() < 3 {
        return Verdict::Inconclusive;
    }
    others.sort_unstable();
    let middle = others.len() / 2;
    let twice_median = match others.len() % 2 {
        1 => 2 * others[middle],
        _ => others[middle - 1] + others[middle],
    };
    pass_if(seconds * 200 <= (100 + percent) * twice_median)
}
