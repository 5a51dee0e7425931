//! Properties of the rules over thousands of random histories and configs. A small seeded
//! generator keeps every case reproducible: a failure names its seed.

use servicestage_gate::error::Error;
use servicestage_gate::fetch;
use servicestage_gate::model::{Build, Page, State};
use servicestage_gate::rules::{self, Evaluation, History, Percent, RuleConfig, Verdict};
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

fn state(rng: &mut Rng) -> State {
    match rng.below(10) {
        0..=4 => State::Successful,
        5 | 6 => State::Failed,
        7 => State::Timeout,
        8 => State::Cancel,
        _ => State::Unfinished(
            if rng.chance(50) {
                "Building"
            } else {
                "Queuing"
            }
            .into(),
        ),
    }
}

fn build(rng: &mut Rng, id: usize) -> Build {
    let state = state(rng);
    let duration = state.is_finished().then(|| 60 + rng.below(600));
    Build {
        id: format!("b{id}"),
        state,
        duration,
    }
}

fn builds(rng: &mut Rng) -> Vec<Build> {
    let n = rng.below(30) as usize;
    (0..n).map(|i| build(rng, i)).collect()
}

fn config(rng: &mut Rng, builds: &[Build]) -> RuleConfig {
    let window = 1 + rng.below(12) as usize;
    RuleConfig {
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

#[test]
fn the_verdict_is_never_pass_when_a_rule_failed_or_was_undecided() {
    for seed in 0..CASES {
        let rng = &mut Rng::new(seed);
        let list = builds(rng);
        let config = config(rng, &list);
        let evaluation = evaluate(&list, &config);
        let any = |v| evaluation.rules.iter().any(|r| r.verdict == v);
        let expected = if any(Verdict::Fail) {
            Verdict::Fail
        } else if any(Verdict::Inconclusive) {
            Verdict::Inconclusive
        } else {
            Verdict::Pass
        };
        assert_eq!(evaluation.verdict, expected, "seed {seed}");
        if evaluation.verdict == Verdict::Pass {
            let target = evaluation
                .target
                .as_ref()
                .unwrap_or_else(|| panic!("seed {seed}: a pass without a target"));
            assert!(config.require_states.contains(&target.state), "seed {seed}");
        }
    }
}

#[test]
fn adding_a_failed_build_to_the_window_never_raises_the_success_rate() {
    let mut checked = 0;
    for seed in 0..CASES {
        let rng = &mut Rng::new(seed);
        let list = builds(rng);
        let mut config = config(rng, &list);
        let Some(target) = rules::target_index(&list, &config) else {
            continue;
        };
        let mut worse = list.clone();
        worse.insert(
            target + 1,
            Build {
                id: "extra-failure".into(),
                state: State::Failed,
                duration: Some(100),
            },
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
        let before = rules::target_index(&list, &config).map(|i| list[i].id.clone());
        let mut longer = list.clone();
        let extra = 1 + rng.below(10) as usize;
        longer.extend((0..extra).map(|i| build(rng, 1000 + i)));
        let after = rules::target_index(&longer, &config).map(|i| longer[i].id.clone());
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
            |n| Ok::<_, Error>(pages.get(n as usize - 1).cloned().unwrap_or_default()),
            &config,
        )
        .unwrap();
        let whole = evaluate(&list, &config);
        let judged = rules::evaluate(&paged, &config);
        assert_eq!(judged.target, whole.target, "seed {seed}");
        assert_eq!(judged.rules, whole.rules, "seed {seed}");
        assert_eq!(judged.verdict, whole.verdict, "seed {seed}");
    }
}
