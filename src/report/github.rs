//! GitHub Actions: workflow-command annotations, the step summary and step outputs.

use std::fmt::Write;

use super::escape::{github_data, github_property, markdown_code, markdown_text, output_delimiter};
use super::{Outcome, duration_text, verdict_name};
use crate::config::JobRef;
use crate::rules::Verdict;

fn command(level: &str, title: &str, message: &str) -> String {
    format!(
        "::{level} title={}::{}\n",
        github_property(title),
        github_data(message)
    )
}

/// `::error` per failed rule, `::warning` per inconclusive one, `::notice` on pass.
pub fn annotations(outcome: &Outcome) -> String {
    match outcome {
        Err(err) => command(
            "error",
            "servicestage-gate",
            &format!("could not evaluate: {err}"),
        ),
        Ok(evaluation) => {
            let mut out = String::new();
            for rule in &evaluation.rules {
                match rule.verdict {
                    Verdict::Fail => out.push_str(&command("error", rule.name, &rule.message)),
                    Verdict::Inconclusive => {
                        out.push_str(&command("warning", rule.name, &rule.message))
                    }
                    Verdict::Pass => {}
                }
            }
            if evaluation.verdict == Verdict::Pass {
                let target = match &evaluation.target {
                    Some(b) => format!(
                        "build {} is {} ({})",
                        b.id,
                        b.state_name(),
                        duration_text(b)
                    ),
                    None => "no target".to_string(),
                };
                let passed = evaluation.rules.len();
                out.push_str(&command(
                    "notice",
                    "servicestage-gate",
                    &format!("pass: {target}; {passed} rule(s) passed"),
                ));
            }
            out
        }
    }
}

/// The Markdown appended to `$GITHUB_STEP_SUMMARY`.
pub fn step_summary(job: &JobRef, outcome: &Outcome) -> String {
    let verdict = verdict_name(outcome);
    let icon = match verdict {
        "pass" => "✅",
        "fail" => "❌",
        "inconclusive" => "⚠️",
        _ => "🛑",
    };
    let mut out = format!("### {icon} servicestage-gate: {verdict}\n\n");
    if let Some(name) = job.name.as_deref().or(job.id.as_deref()) {
        let _ = writeln!(out, "Job: {}\n", markdown_code(name));
    }
    match outcome {
        Err(err) => {
            let _ = writeln!(
                out,
                "Could not evaluate ({}): {}",
                err.kind(),
                markdown_text(&err.to_string())
            );
        }
        Ok(evaluation) => {
            if let Some(b) = &evaluation.target {
                let _ = writeln!(
                    out,
                    "Target: build {}, {}, {}\n",
                    markdown_code(&b.id),
                    markdown_text(b.state_name()),
                    duration_text(b)
                );
            }
            out.push_str("| Rule | Verdict | Observed vs expected |\n|---|---|---|\n");
            for rule in &evaluation.rules {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} |",
                    rule.name,
                    rule.verdict.name(),
                    markdown_text(&rule.message)
                );
            }
            let s = &evaluation.summary;
            let _ = writeln!(
                out,
                "\n{} builds, {} finished, {} successful; {} in the window",
                s.total, s.finished, s.successful, s.window
            );
        }
    }
    out.push('\n');
    out
}

/// One `name=value` line, or the delimiter form for a value over several lines.
fn output(out: &mut String, name: &str, value: &str) {
    if value.contains(['\n', '\r']) {
        let delimiter = output_delimiter(value);
        let _ = writeln!(out, "{name}<<{delimiter}\n{value}\n{delimiter}");
    } else {
        let _ = writeln!(out, "{name}={value}");
    }
}

/// `name=value` lines for `$GITHUB_OUTPUT`; `report` holds the JSON report.
pub fn outputs(outcome: &Outcome, json_report: &str) -> String {
    let target = outcome.as_ref().ok().and_then(|e| e.target.as_ref());
    let mut out = String::new();
    output(&mut out, "verdict", verdict_name(outcome));
    output(&mut out, "build-id", target.map_or("", |b| b.id.as_str()));
    output(
        &mut out,
        "build-state",
        target.map_or("", |b| b.state_name()),
    );
    let seconds = target.and_then(|b| b.seconds());
    let duration = seconds.map(|d| d.to_string()).unwrap_or_default();
    output(&mut out, "duration", &duration);
    // Always the delimiter form, so the report's shape never depends on its content.
    let report = json_report.trim_end();
    let delimiter = output_delimiter(report);
    let _ = writeln!(out, "report<<{delimiter}\n{report}\n{delimiter}");
    out
}
