//! Azure Pipelines logging commands.

use super::escape::azure;
use super::{Outcome, verdict_name};
use crate::rules::Verdict;

fn issue(kind: &str, message: &str) -> String {
    format!("##vso[task.logissue type={kind}]{}\n", azure(message))
}

/// An issue per failed or inconclusive rule, the `verdict` output variable, and
/// `SucceededWithIssues` when an inconclusive verdict is let through.
pub fn annotations(outcome: &Outcome, inconclusive_passes: bool) -> String {
    let mut out = String::new();
    match outcome {
        Err(err) => out.push_str(&issue(
            "error",
            &format!("servicestage-gate could not evaluate: {err}"),
        )),
        Ok(evaluation) => {
            for rule in &evaluation.rules {
                let kind = match rule.verdict {
                    Verdict::Fail => "error",
                    Verdict::Inconclusive => "warning",
                    Verdict::Pass => continue,
                };
                out.push_str(&issue(kind, &format!("{}: {}", rule.name, rule.message)));
            }
        }
    }
    out.push_str(&format!(
        "##vso[task.setvariable variable=verdict;isoutput=true]{}\n",
        azure(verdict_name(outcome))
    ));
    let inconclusive = matches!(outcome, Ok(e) if e.verdict == Verdict::Inconclusive);
    if inconclusive && inconclusive_passes {
        out.push_str("##vso[task.complete result=SucceededWithIssues;]inconclusive verdict let through by --inconclusive pass\n");
    }
    out
}
