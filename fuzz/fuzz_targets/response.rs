//! Any bytes as an API response, judged under rules picked by the first byte: never a
//! panic, and a pass only when the input parsed and the target really passes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use servicestage_gate::model::State;
use servicestage_gate::servicestage;
use servicestage_gate::rules::{self, History, Percent, RuleConfig, Verdict};
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, body)) = data.split_first() else { return };
    let Ok(page) = servicestage::parse_page(body) else { return };
    let config = RuleConfig {
        commit: None,
        ignore_running: knobs & 1 != 0,
        max_duration: (knobs & 2 != 0).then(|| Duration::from_secs(u64::from(knobs) * 10)),
        window: 1 + usize::from(knobs % 13),
        min_builds: usize::from(knobs % 3).min(1 + usize::from(knobs % 13)),
        min_success_rate: (knobs & 4 != 0).then_some(Percent(f64::from(knobs % 101))),
        max_consecutive_failures: (knobs & 8 != 0).then_some(usize::from(knobs % 4)),
        max_duration_regression: (knobs & 16 != 0).then_some(Percent(f64::from(knobs))),
        require_states: if knobs & 32 != 0 { vec![State::Successful, State::Cancel] } else { vec![State::Successful] },
        build_id: (knobs & 64 != 0).then(|| page.builds.last().map(|b| b.id.clone()).unwrap_or_default()),
        advisory: Vec::new(),
    };
    let history = History { builds: page.builds, total: page.total, finished: page.finished, successful: page.successful, ..History::default() };
    let evaluation = rules::evaluate(&history, &config);
    if evaluation.verdict == Verdict::Pass {
        assert!(evaluation.rules.iter().all(|r| r.verdict == Verdict::Pass));
        let target = evaluation.target.as_ref().and_then(|b| b.as_finished()).expect("a pass has a finished target");
        assert!(config.require_states.contains(&target.state));
        if let Some(limit) = config.max_duration {
            assert!(Duration::from_secs(target.seconds) <= limit);
        }
    }
    if evaluation.rules.iter().any(|r| r.verdict == Verdict::Fail) {
        assert_eq!(evaluation.verdict, Verdict::Fail);
    }
});
