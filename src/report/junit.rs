//! `--junit`: a JUnit XML report, one testsuite per job and one testcase per rule, valid
//! under the JUnit schema of Jenkins' xunit plugin (`junit-10.xsd`): there the root
//! `testsuites` may carry no `skipped` count, only each `testsuite`.

use super::escape::xml;
use crate::config::ReportOptions;
use crate::outcome::{Conclusion, JobReport, Run};
use crate::rules::{RuleResult, Verdict};

pub fn render(run: &Run, _: &ReportOptions) -> String {
    let suites: Vec<Suite> = run.jobs.iter().map(|job| suite(run, job)).collect();
    let total = |count: fn(&Suite) -> usize| suites.iter().map(count).sum::<usize>();
    let (tests, failures, errors) = (
        total(|s| s.tests),
        total(|s| s.failures),
        total(|s| s.errors),
    );
    let body: String = suites.iter().map(|s| s.xml.as_str()).collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"servicestage-gate\" \
         tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">\n{body}</testsuites>\n"
    )
}

struct Suite {
    xml: String,
    tests: usize,
    failures: usize,
    errors: usize,
}

/// A passed rule's message as output, a failure, or a skipped case for an inconclusive or
/// a non-passing advisory rule.
fn rule_body(rule: &RuleResult) -> String {
    let message = xml(&rule.message);
    match (rule.verdict, rule.advisory) {
        (Verdict::Pass, _) => format!("<system-out>{message}</system-out>"),
        (verdict, true) => format!(
            "<skipped message=\"advisory, {}: {message}\"/>",
            verdict.name()
        ),
        (Verdict::Fail, false) => format!("<failure message=\"{message}\">{message}</failure>"),
        (Verdict::Inconclusive, false) => format!("<skipped message=\"inconclusive: {message}\"/>"),
    }
}

/// Counts: tests, failures, errors, skipped.
type Counts = (usize, usize, usize, usize);

/// The `fetch builds` case of a job that could not be evaluated: an error, or skipped when
/// `--unavailable pass` let the service's failure through.
fn fetch_case(run: &Run, job: &JobReport, err: &crate::error::Error) -> (String, Counts) {
    if run.conclusion_of(job) == Conclusion::Unavailable {
        let message = xml(&format!("unavailable (--unavailable pass): {err}"));
        return (format!("<skipped message=\"{message}\"/>"), (1, 0, 0, 1));
    }
    let body = format!(
        "<error type=\"{}\" message=\"{}\">{}</error>",
        err.kind(),
        xml(err.message()),
        xml(&err.to_string())
    );
    (body, (1, 0, 1, 0))
}

/// One `<testsuite>`: a testcase per rule; an advisory rule that did not pass is skipped,
/// with its message.
fn suite(run: &Run, job: &JobReport) -> Suite {
    let job_name = (job.job.name.as_deref())
        .or(job.job.id.as_deref())
        .unwrap_or("saved response");
    let name = xml(&format!("servicestage-gate: {job_name}"));
    let class = xml(&format!("servicestage-gate.{job_name}"));
    let case = |name: &str, body: String| {
        format!(
            "    <testcase classname=\"{class}\" name=\"{}\">\n      {body}\n    </testcase>\n",
            xml(name)
        )
    };
    let (cases, (tests, failures, errors, skipped)) = match &job.outcome {
        Err(err) => {
            let (body, counts) = fetch_case(run, job, err);
            (case("fetch builds", body), counts)
        }
        Ok(evaluation) => {
            let cases: String = evaluation
                .rules
                .iter()
                .map(|rule| case(rule.name, rule_body(rule)))
                .collect();
            let count = |counted: fn(&RuleResult) -> bool| {
                evaluation.rules.iter().filter(|r| counted(r)).count()
            };
            let failures = count(|r| r.verdict == Verdict::Fail && !r.advisory);
            // inconclusive rules, and advisory rules that did not pass
            let skipped = count(|r| {
                r.verdict != Verdict::Pass && (r.advisory || r.verdict == Verdict::Inconclusive)
            });
            (cases, (evaluation.rules.len(), failures, 0, skipped))
        }
    };
    let counts = format!(
        "tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\""
    );
    Suite {
        xml: format!("  <testsuite name=\"{name}\" {counts}>\n{cases}  </testsuite>\n"),
        tests,
        failures,
        errors,
    }
}
