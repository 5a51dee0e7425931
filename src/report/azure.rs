//! Azure Pipelines logging commands.

use super::{Outcome, verdict_name};
use crate::rules::Verdict;

/// Escapes a logging command's message.
fn escape_message(s: &str) -> String {
    s.replace('%', "%AZP25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a logging command's property value.
fn escape_property(s: &str) -> String {
    escape_message(s).replace(';', "%3B").replace(']', "%5D")
}

fn issue(kind: &str, message: &str) -> String {
    format!(
        "##vso[task.logissue type={kind}]{}\n",
        escape_message(message)
    )
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
        escape_property(verdict_name(outcome))
    ));
    let inconclusive = matches!(outcome, Ok(e) if e.verdict == Verdict::Inconclusive);
    if inconclusive && inconclusive_passes {
        out.push_str("##vso[task.complete result=SucceededWithIssues;]inconclusive verdict let through by --inconclusive pass\n");
    }
    out
}
