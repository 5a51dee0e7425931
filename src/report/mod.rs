//! Renderers: each turns a run into text for one audience. Every renderer takes the same
//! inputs, the run (which carries its verdicts, decided in `outcome`) and the config's
//! `ReportOptions`; they decide nothing and write nothing: `main` prints and writes what
//! they return.

pub mod azure;
pub mod chart;
pub mod escape;
pub mod github;
pub mod json;
pub mod junit;
pub mod text;

use crate::model::Build;
use crate::outcome::Conclusion;
use crate::rules::{Evaluation, Verdict};

/// `1h 2m 3s`, or `-` when the build has no duration yet.
pub fn duration_text(build: &Build) -> String {
    build.seconds().map_or_else(
        || "-".to_string(),
        |s| humantime::format_duration(std::time::Duration::from_secs(s)).to_string(),
    )
}

/// The window oldest first, for the chart and the strip; an unfinished target, which the
/// window leaves out, is shown as the newest.
fn chart_builds(evaluation: &Evaluation) -> Vec<chart::ChartBuild> {
    let mut builds: Vec<chart::ChartBuild> = evaluation
        .window
        .iter()
        .rev()
        .map(chart::ChartBuild::from)
        .collect();
    if let Some(target) = evaluation.target.as_ref().filter(|t| !t.is_finished()) {
        builds.push(chart::ChartBuild::from(target));
    }
    builds
}

fn upper(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::Inconclusive => "INCONCLUSIVE",
    }
}

/// The mark a Markdown heading or table shows beside a verdict.
fn icon(conclusion: Conclusion) -> &'static str {
    match conclusion {
        Conclusion::Pass => "✅",
        Conclusion::Fail => "❌",
        Conclusion::Inconclusive | Conclusion::Unavailable => "⚠️",
        Conclusion::Error | Conclusion::Usage => "🛑",
    }
}

#[cfg(test)]
mod tests;
