//! Azure Pipelines logging commands.

use super::escape::azure;
use super::{Outcome, Run};
use crate::rules::Verdict;

fn issue(kind: &str, message: &str) -> String {
    format!("##vso[task.logissue type={kind}]{}\n", azure(message))
}

/// An issue per failed or inconclusive rule (a warning for an advisory rule), the run's
/// `verdict` output variable, and `SucceededWithIssues` when an inconclusive verdict is let
/// through. With `--job` each issue starts with its job's name.
pub fn annotations(run: &Run, inconclusive_passes: bool) -> String {
    let mut out = String::new();
    for job in &run.jobs {
        let prefix = match (run.several, job.job.name.as_deref()) {
            (true, Some(name)) => format!("{name}: "),
            _ => String::new(),
        };
        out.push_str(&job_issues(&prefix, &job.outcome));
    }
    out.push_str(&format!(
        "##vso[task.setvariable variable=verdict;isoutput=true]{}\n",
        azure(run.verdict_name())
    ));
    if run.verdict() == Ok(Verdict::Inconclusive) && inconclusive_passes {
        out.push_str("##vso[task.complete result=SucceededWithIssues;]inconclusive verdict let through by --inconclusive pass\n");
    }
    out
}

fn job_issues(prefix: &str, outcome: &Outcome) -> String {
    let evaluation = match outcome {
        Ok(evaluation) => evaluation,
        Err(err) => {
            let message = format!("{prefix}servicestage-gate could not evaluate: {err}");
            return issue("error", &message);
        }
    };
    let mut out = String::new();
    for rule in &evaluation.rules {
        let (kind, advisory) = match (rule.verdict, rule.advisory) {
            (Verdict::Pass, _) => continue,
            (_, true) => ("warning", " (advisory)"),
            (Verdict::Fail, false) => ("error", ""),
            (Verdict::Inconclusive, false) => ("warning", ""),
        };
        let message = format!("{prefix}{}{advisory}: {}", rule.name, rule.message);
        out.push_str(&issue(kind, &message));
    }
    out
}
