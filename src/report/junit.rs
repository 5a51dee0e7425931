//! `--junit`: a JUnit XML report, one testcase per rule.

use super::Outcome;
use super::escape::xml;
use crate::config::JobRef;
use crate::rules::Verdict;

pub fn render(job: &JobRef, outcome: &Outcome) -> String {
    let job_name = job
        .name
        .as_deref()
        .or(job.id.as_deref())
        .unwrap_or("saved response");
    let suite = xml(&format!("servicestage-gate: {job_name}"));
    let class = xml(&format!("servicestage-gate.{job_name}"));
    let (cases, tests, failures, errors, skipped) = match outcome {
        Err(err) => {
            let case = format!(
                "    <testcase classname=\"{class}\" name=\"fetch builds\">\n      <error type=\"{}\" message=\"{}\">{}</error>\n    </testcase>\n",
                err.kind(),
                xml(err.message()),
                xml(&err.to_string())
            );
            (case, 1, 0, 1, 0)
        }
        Ok(evaluation) => {
            let count = |v| evaluation.rules.iter().filter(|r| r.verdict == v).count();
            let cases: String = evaluation
                .rules
                .iter()
                .map(|rule| {
                    let message = xml(&rule.message);
                    let body = match rule.verdict {
                        Verdict::Pass => format!("<system-out>{message}</system-out>"),
                        Verdict::Fail => format!("<failure message=\"{message}\">{message}</failure>"),
                        Verdict::Inconclusive => format!("<skipped message=\"inconclusive: {message}\"/>"),
                    };
                    format!(
                        "    <testcase classname=\"{class}\" name=\"{}\">\n      {body}\n    </testcase>\n",
                        xml(rule.name)
                    )
                })
                .collect();
            let (failures, skipped) = (count(Verdict::Fail), count(Verdict::Inconclusive));
            (cases, evaluation.rules.len(), failures, 0, skipped)
        }
    };
    let counts = format!(
        "tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\""
    );
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"servicestage-gate\" {counts}>\n  <testsuite name=\"{suite}\" {counts}>\n{cases}  </testsuite>\n</testsuites>\n"
    )
}
