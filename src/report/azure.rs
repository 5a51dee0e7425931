//! Azure Pipelines logging commands.

use super::escape::azure;
use crate::config::ReportOptions;
use crate::outcome::{Conclusion, JobReport, Run};
use crate::rules::Verdict;

fn issue(kind: &str, message: &str) -> String {
    format!("##vso[task.logissue type={kind}]{}\n", azure(message))
}

/// An issue per failed or inconclusive rule (a warning for an advisory rule) and per job in
/// error (a warning for an unavailable one), the run's `verdict` output variable, and
/// `SucceededWithIssues` when the run exits 0 on a verdict a flag let through. With
/// `--job` each issue starts with its job's name.
pub fn annotations(run: &Run, _: &ReportOptions) -> String {
    let mut out = String::new();
    for job in &run.jobs {
        let prefix = match (run.several, job.job.name.as_deref()) {
            (true, Some(name)) => format!("{name}: "),
            _ => String::new(),
        };
        out.push_str(&job_issues(&prefix, run, job));
    }
    out.push_str(&format!(
        "##vso[task.setvariable variable=verdict;isoutput=true]{}\n",
        azure(run.conclusion().name())
    ));
    if let Some(verdict) = run.let_through_verdict() {
        let verdict = verdict.name();
        out.push_str(&format!(
            "##vso[task.complete result=SucceededWithIssues;]{verdict} verdict let through by --{verdict} pass\n"
        ));
    }
    out
}

fn job_issues(prefix: &str, run: &Run, job: &JobReport) -> String {
    let evaluation = match &job.outcome {
        Ok(evaluation) => evaluation,
        Err(err) => {
            let (kind, what) = match run.conclusion_of(job) {
                Conclusion::Unavailable => ("warning", "unavailable (--unavailable pass)"),
                _ => ("error", "could not evaluate"),
            };
            let message = format!("{prefix}servicestage-gate {what}: {err}");
            return issue(kind, &message);
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
