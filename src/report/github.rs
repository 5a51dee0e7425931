//! GitHub Actions: workflow-command annotations, the step summary and step outputs.

use std::fmt::Write;

use super::{Outcome, duration_text, verdict_name};
use crate::config::JobRef;
use crate::rules::Verdict;

/// Escapes a workflow command's message.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(level: &str, title: &str, message: &str) -> String {
    format!(
        "::{level} title={}::{}\n",
        escape_property(title),
        escape_data(message)
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
                        b.state.name(),
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

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\r', '\n'], " ")
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
        let _ = writeln!(out, "Job: `{}`\n", cell(name));
    }
    match outcome {
        Err(err) => {
            let _ = writeln!(
                out,
                "Could not evaluate ({}): {}",
                err.kind(),
                cell(&err.to_string())
            );
        }
        Ok(evaluation) => {
            if let Some(b) = &evaluation.target {
                let _ = writeln!(
                    out,
                    "Target: build `{}`, {}, {}\n",
                    cell(&b.id),
                    cell(b.state.name()),
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
                    cell(&rule.message)
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

/// `name=value` lines for `$GITHUB_OUTPUT`; `report` holds the JSON report.
pub fn outputs(outcome: &Outcome, json_report: &str) -> String {
    let target = outcome.as_ref().ok().and_then(|e| e.target.as_ref());
    let mut out = String::new();
    let mut put = |name: &str, value: &str| {
        if value.contains(['\n', '\r']) {
            let mut delimiter = "SERVICESTAGE_GATE_EOF".to_string();
            while value.contains(&delimiter) {
                delimiter.push('_');
            }
            let _ = writeln!(out, "{name}<<{delimiter}\n{value}\n{delimiter}");
        } else {
            let _ = writeln!(out, "{name}={value}");
        }
    };
    put("verdict", verdict_name(outcome));
    put("build-id", target.map_or("", |b| b.id.as_str()));
    put("build-state", target.map_or("", |b| b.state.name()));
    put(
        "duration",
        &target
            .and_then(|b| b.duration)
            .map(|d| d.to_string())
            .unwrap_or_default(),
    );
    // Always the delimiter form, so the report's shape never depends on its content.
    let mut delimiter = "SERVICESTAGE_GATE_REPORT_EOF".to_string();
    while json_report.contains(&delimiter) {
        delimiter.push('_');
    }
    let _ = writeln!(
        out,
        "report<<{delimiter}\n{}\n{delimiter}",
        json_report.trim_end()
    );
    out
}
