//! Renderers: each turns an outcome into text for one audience. They decide nothing
//! and write nothing; `main` prints and writes what they return.

pub mod azure;
pub mod escape;
pub mod github;
pub mod json;
pub mod junit;
pub mod text;

use crate::error::Error;
use crate::model::Build;
use crate::rules::{Evaluation, Verdict};

/// What the gate concluded: an evaluation, or the error that prevented one.
pub type Outcome = Result<Evaluation, Error>;

/// The contract's verdict word: pass, fail, inconclusive, error or usage.
pub fn verdict_name(outcome: &Outcome) -> &'static str {
    match outcome {
        Ok(evaluation) => evaluation.verdict.name(),
        Err(Error::Usage(_)) => "usage",
        Err(_) => "error",
    }
}

/// `1h 2m 3s`, or `-` when the build has no duration yet.
pub fn duration_text(build: &Build) -> String {
    build.seconds().map_or_else(
        || "-".to_string(),
        |s| humantime::format_duration(std::time::Duration::from_secs(s)).to_string(),
    )
}

fn upper(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::Inconclusive => "INCONCLUSIVE",
    }
}
