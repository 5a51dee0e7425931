//! `--junit`: a JUnit XML report, one testcase per rule.

use std::fmt::Write;

use super::Outcome;
use crate::config::JobRef;
use crate::rules::Verdict;

/// Escapes text for XML and drops characters XML 1.0 cannot hold.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

pub fn render(job: &JobRef, outcome: &Outcome) -> String {
    let job_name = job
        .name
        .as_deref()
        .or(job.id.as_deref())
        .unwrap_or("saved response");
    let suite = xml(&format!("servicestage-gate: {job_name}"));
    let class = xml(&format!("servicestage-gate.{job_name}"));
    let mut cases = String::new();
    let (mut failures, mut errors, mut skipped, tests);
    (failures, errors, skipped) = (0, 0, 0);
    match outcome {
        Err(err) => {
            errors = 1;
            tests = 1;
            let _ = write!(
                cases,
                "    <testcase classname=\"{class}\" name=\"fetch builds\">\n      <error type=\"{}\" message=\"{}\">{}</error>\n    </testcase>\n",
                err.kind(),
                xml(err.message()),
                xml(&err.to_string())
            );
        }
        Ok(evaluation) => {
            tests = evaluation.rules.len();
            for rule in &evaluation.rules {
                let message = xml(&rule.message);
                let _ = writeln!(
                    cases,
                    "    <testcase classname=\"{class}\" name=\"{}\">",
                    rule.name
                );
                match rule.verdict {
                    Verdict::Pass => {
                        let _ = writeln!(cases, "      <system-out>{message}</system-out>");
                    }
                    Verdict::Fail => {
                        failures += 1;
                        let _ = writeln!(
                            cases,
                            "      <failure message=\"{message}\">{message}</failure>"
                        );
                    }
                    Verdict::Inconclusive => {
                        skipped += 1;
                        let _ = writeln!(
                            cases,
                            "      <skipped message=\"inconclusive: {message}\"/>"
                        );
                    }
                }
                cases.push_str("    </testcase>\n");
            }
        }
    }
    let counts = format!(
        "tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\""
    );
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"servicestage-gate\" {counts}>\n  <testsuite name=\"{suite}\" {counts}>\n{cases}  </testsuite>\n</testsuites>\n"
    )
}
