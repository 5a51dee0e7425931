//! Properties of the rules over thousands of random histories and configs. A small seeded
//! generator keeps every case reproducible: a failure names its seed.

use servicestage_gate::backend::{Page, PageRef};
use servicestage_gate::error::Error;
use servicestage_gate::fetch;
use servicestage_gate::model::{Build, State};
use servicestage_gate::rules::{self, Evaluation, History, Percent, RuleConfig, Verdict};
use servicestage_gate::select;
use std::time::Duration;

const CASES: u64 = 3000;

/// xorshift64*: small, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn build(rng: &mut Rng, id: usize) -> Build {
    let id = format!("b{id}");
    let state = match rng.below(10) {
        0..=4 => State::Successful,
        5 | 6 => State::Failed,
        7 => State::Timeout,
        8 => State::Cancel,
        _ if rng.chance(50) => return Build::unfinished(id, "Building"),
        _ => return Build::unfinished(id, "Queuing"),
    };
    Build::finished(id, state, 60 + rng.below(600))
}

fn builds(rng: &mut Rng) -> Vec<Build> {
    let n = rng.below(30) as usize;
    (0..n).map(|i| build(rng, i)).collect()
}

fn config(rng: &mut Rng, builds: &[Build]) -> RuleConfig {
    let window = 1 + rng.below(12) as usize;
    RuleConfig {
        commit: None,
        build_id: (rng.chance(20) && !builds.is_empty())
            .then(|| builds[rng.below(builds.len() as u64) as usize].id.clone()),
        ignore_running: rng.chance(30),
        require_states: if rng.chance(20) {
            vec![State::Successful, State::Cancel]
        } else {
            vec![State::Successful]
        },
        max_duration: rng
            .chance(50)
            .then(|| Duration::from_secs(100 + rng.below(600))),
        window,
        min_builds: rng.below(window as u64 + 1) as usize,
        min_success_rate: rng.chance(60).then(|| Percent(rng.below(101) as f64)),
        max_consecutive_failures: rng.chance(50).then(|| rng.below(4) as usize),
        max_duration_regression: rng.chance(50).then(|| Percent(rng.below(80) as f64)),
        advisory: Vec::new(),
    }
}

fn evaluate(builds: &[Build], config: &RuleConfig) -> Evaluation {
    rules::evaluate(
        &History {
            builds: builds.to_vec(),
            ..History::default()
        },
        config,
    )
}

fn verdict_of(evaluation: &Evaluation, name: &str) -> Option<Verdict> {
    evaluation
        .rules
        .iter()
        .find(|r| r.name == name)
        .map(|r| r.verdict)
}

/// Random histories with their configs and evaluations, one per seed.
fn cases() -> impl Iterator<Item = (u64, Vec<Build>, RuleConfig, Evaluation)> {
    (0..CASES).map(|seed| {
        let rng = &mut Rng::new(seed);
        let list = builds(rng);
        let config = config(rng, &list);
        let evaluation = evaluate(&list, &config);
        (seed, list, config, evaluation)
    })
}

#[test]
fn one_failed_rule_fails_the_gate() {
    for (seed, _, _, evaluation) in cases() {
        if evaluation.rules.iter().any(|r| r.verdict == Verdict::Fail) {
            assert_eq!(evaluation.verdict, Verdict::Fail, "seed {seed}");
        }
    }
}

#[test]
fn without_a_failure_one_undecided_rule_makes_the_gate_inconclusive() {
    let mut seen = 0;
    for (seed, _, _, evaluation) in cases() {
        let verdicts: Vec<Verdict> = evaluation.rules.iter().map(|r| r.verdict).collect();
        if !verdicts.contains(&Verdict::Fail) && verdicts.contains(&Verdict::Inconclusive) {
            assert_eq!(evaluation.verdict, Verdict::Inconclusive, "seed {seed}");
            seen += 1;
        }
    }
    assert!(seen > 100, "too few undecided cases: {seen}");
}

#[test]
fn a_pass_means_every_rule_passed_on_a_finished_allowed_target() {
    let mut passes = 0;
    for (seed, _, config, evaluation) in cases() {
        if evaluation.verdict != Verdict::Pass {
            continue;
        }
        passes += 1;
        assert!(
            evaluation.rules.iter().all(|r| r.verdict == Verdict::Pass),
            "seed {seed}"
        );
        let target = evaluation
            .target
            .as_ref()
            .and_then(Build::as_finished)
            .unwrap_or_else(|| panic!("seed {seed}: a pass without a finished target"));
        assert!(config.require_states.contains(&target.state), "seed {seed}");
        if let Some(limit) = config.max_duration {
            assert!(Duration::from_secs(target.seconds) <= limit, "seed {seed}");
        }
    }
    assert!(passes > 100, "too few passes: {passes}");
}

#[test]
fn every_rule_passing_passes_the_gate() {
    for (seed, _, _, evaluation) in cases() {
        if evaluation.rules.iter().all(|r| r.verdict == Verdict::Pass) {
            assert_eq!(evaluation.verdict, Verdict::Pass, "seed {seed}");
        }
    }
}

#[test]
fn adding_a_rule_that_passes_never_changes_the_verdict() {
    let mut checked = 0;
    for (seed, list, config, evaluation) in cases() {
        // A duration limit no build can exceed, and a streak limit no window can reach.
        let looser = [
            RuleConfig {
                max_duration: Some(Duration::from_secs(u64::MAX)),
                ..config.clone()
            },
            RuleConfig {
                max_consecutive_failures: config.max_consecutive_failures.or(Some(usize::MAX)),
                ..config.clone()
            },
        ];
        for (i, more) in looser.iter().enumerate() {
            let added = evaluate(&list, more);
            let new: Vec<_> = added
                .rules
                .iter()
                .filter(|r| !evaluation.rules.iter().any(|old| old.name == r.name))
                .collect();
            if !new.is_empty() && new.iter().all(|r| r.verdict == Verdict::Pass) {
                assert_eq!(
                    added.verdict, evaluation.verdict,
                    "seed {seed}, variant {i}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "too few cases: {checked}");
}

#[test]
fn adding_a_failed_build_to_the_window_never_raises_the_success_rate() {
    let mut checked = 0;
    for seed in 0..CASES {
        let rng = &mut Rng::new(seed);
        let list = builds(rng);
        let mut config = config(rng, &list);
        let Some(target) = select::target(&list, None, config.targeting()) else {
            continue;
        };
        let mut worse = list.clone();
        worse.insert(
            target + 1,
            Build::finished("extra-failure", State::Failed, 100),
        );
        let mut worse_config = config.clone();
        worse_config.window += 1;
        worse_config.min_builds = 0;
        config.min_builds = 0;
        for percent in (0..=100).step_by(5) {
            config.min_success_rate = Some(Percent(percent as f64));
            worse_config.min_success_rate = config.min_success_rate;
            let before = verdict_of(&evaluate(&list, &config), "min-success-rate");
            let after = verdict_of(&evaluate(&worse, &worse_config), "min-success-rate");
            // Without a Successful, Failed or Timeout build before, there was no rate to raise.
            if before == Some(Verdict::Inconclusive) {
                continue;
            }
            if after == Some(Verdict::Pass) {
                assert_eq!(
                    before,
                    Some(Verdict::Pass),
                    "seed {seed}, {percent}%: passes only with the extra failure"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "too few decided cases: {checked}");
}

#[test]
fn the_target_never_changes_when_older_builds_are_appended() {
    for seed in 0..CASES {
        let rng = &mut Rng::new(seed);
        let list = builds(rng);
        let config = config(rng, &list);
        let before = select::target(&list, None, config.targeting()).map(|i| list[i].id.clone());
        let mut longer = list.clone();
        let extra = 1 + rng.below(10) as usize;
        longer.extend((0..extra).map(|i| build(rng, 1000 + i)));
        let after = select::target(&longer, None, config.targeting()).map(|i| longer[i].id.clone());
        if before.is_some() {
            assert_eq!(after, before, "seed {seed}");
        }
    }
}

#[test]
fn paged_results_equal_the_single_page_result() {
    for seed in 0..CASES {
        let rng = &mut Rng::new(seed);
        let list = builds(rng);
        let config = config(rng, &list);
        let page_size = 1 + rng.below(7) as usize;
        let pages: Vec<Page> = list
            .chunks(page_size)
            .map(|chunk| Page {
                builds: chunk.to_vec(),
                ..Page::default()
            })
            .collect();
        let paged = fetch::collect(
            |at| {
                let page = pages.get(at.index as usize).cloned().unwrap_or_default();
                let next = PageRef {
                    index: at.index + 1,
                    ..at
                };
                Ok::<_, Error>(Page {
                    next: Some(next),
                    ..page
                })
            },
            &config,
            1,
            &mut |_, _| Ok(()),
        )
        .unwrap();
        let whole = evaluate(&list, &config);
        let judged = rules::evaluate(&paged, &config);
        assert_eq!(judged.target, whole.target, "seed {seed}");
        assert_eq!(judged.rules, whole.rules, "seed {seed}");
        assert_eq!(judged.verdict, whole.verdict, "seed {seed}");
    }
}
