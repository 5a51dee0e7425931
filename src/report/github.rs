//! GitHub Actions: workflow-command annotations, the step summary and step outputs.

use std::fmt::Write;
use std::time::Duration;

use super::chart::{self, ChartLines};
use super::escape::{
    github_data, github_property, markdown_cell_code, markdown_code, markdown_text,
    output_delimiter,
};
use super::{chart_builds, duration_text, icon, json};
use crate::config::{JobRef, ReportOptions};
use crate::outcome::{Conclusion, JobReport, Run};
use crate::rules::{Evaluation, Verdict};

fn command(level: &str, title: &str, message: &str) -> String {
    format!(
        "::{level} title={}::{}\n",
        github_property(title),
        github_data(message)
    )
}

/// `::error` per failed rule and per job in error, `::warning` per inconclusive one, per
/// advisory rule that did not pass and per unavailable job, `::notice` per job that
/// passed. With `--job` each title starts `job: `.
pub fn annotations(run: &Run, _: &ReportOptions) -> String {
    run.jobs
        .iter()
        .map(|job| {
            let prefix = match run.several {
                true => format!("{}: ", job_name(&job.job)),
                false => String::new(),
            };
            job_annotations(&prefix, run, job)
        })
        .collect()
}

fn job_annotations(prefix: &str, run: &Run, job: &JobReport) -> String {
    let title = |name: &str| format!("{prefix}{name}");
    let evaluation = match &job.outcome {
        Ok(evaluation) => evaluation,
        Err(err) => {
            let (level, what) = match run.conclusion_of(job) {
                Conclusion::Unavailable => ("warning", "unavailable (--unavailable pass)"),
                _ => ("error", "could not evaluate"),
            };
            let message = format!("{what}: {err}");
            return command(level, &title("servicestage-gate"), &message);
        }
    };
    let mut out = String::new();
    for rule in &evaluation.rules {
        let (level, message) = match (rule.verdict, rule.advisory) {
            (Verdict::Pass, _) => continue,
            (verdict, true) => (
                "warning",
                format!("advisory, {}: {}", verdict.name(), rule.message),
            ),
            (Verdict::Fail, false) => ("error", rule.message.clone()),
            (Verdict::Inconclusive, false) => ("warning", rule.message.clone()),
        };
        out.push_str(&command(level, &title(rule.name), &message));
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
            &title("servicestage-gate"),
            &format!("pass: {target}; {passed} rule(s) passed"),
        ));
    }
    out
}

/// The Markdown appended to `$GITHUB_STEP_SUMMARY`. With `--job` it starts with a table
/// of the jobs, then each job's details. `--max-duration` is drawn in the charts.
pub fn step_summary(run: &Run, options: &ReportOptions) -> String {
    let verdict = run.conclusion();
    let mut out = format!(
        "### {} servicestage-gate: {}\n\n",
        icon(verdict),
        verdict.name()
    );
    let max_duration = options.max_duration;
    if let [job] = run.jobs.as_slice()
        && !run.several
    {
        if let Some(name) = job.job.name.as_deref().or(job.job.id.as_deref()) {
            let _ = writeln!(out, "Job: {}\n", markdown_code(name));
        }
        details(&mut out, run, job, max_duration);
        out.push('\n');
        return out;
    }
    out.push_str("| Job | Verdict | Target | State | Duration | Failing rules |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for job in &run.jobs {
        out.push_str(&job_row(run, job));
    }
    for job in &run.jobs {
        let verdict = run.conclusion_of(job);
        let name = markdown_code(&job_name(&job.job));
        let _ = writeln!(out, "\n#### {} {name}: {}\n", icon(verdict), verdict.name());
        details(&mut out, run, job, max_duration);
    }
    out.push('\n');
    out
}

/// `| name | verdict | build | state | duration | rules |` for the table of jobs.
fn job_row(run: &Run, job: &JobReport) -> String {
    let name = markdown_cell_code(&job_name(&job.job));
    let verdict = run.conclusion_of(job).name();
    let Ok(evaluation) = &job.outcome else {
        return format!("| {name} | {verdict} | - | - | - | - |\n");
    };
    let (build, state, duration) = match &evaluation.target {
        Some(b) => (
            markdown_cell_code(&b.id),
            markdown_text(b.state_name()),
            duration_text(b),
        ),
        None => ("-".into(), "-".into(), "-".into()),
    };
    let failing: Vec<&str> = evaluation
        .rules
        .iter()
        .filter(|r| r.verdict != Verdict::Pass && !r.advisory)
        .map(|r| r.name)
        .collect();
    let failing = if failing.is_empty() {
        "-".to_string()
    } else {
        failing.join(", ")
    };
    format!("| {name} | {verdict} | {build} | {state} | {duration} | {failing} |\n")
}

/// One job's target, rule table, counts and chart, or why it could not be evaluated.
fn details(out: &mut String, run: &Run, job: &JobReport, max_duration: Option<Duration>) {
    let evaluation = match &job.outcome {
        Ok(evaluation) => evaluation,
        Err(err) => {
            let why = match run.conclusion_of(job) {
                Conclusion::Unavailable => "Unavailable, let through by --unavailable pass",
                _ => "Could not evaluate",
            };
            let text = markdown_text(&err.to_string());
            let _ = writeln!(out, "{why} ({}): {text}", err.kind());
            return;
        }
    };
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
        let advisory = if rule.advisory { " (advisory)" } else { "" };
        let _ = writeln!(
            out,
            "| {}{advisory} | {} | {} |",
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
    if let Some(chart) = chart_of(evaluation, max_duration) {
        out.push('\n');
        out.push_str(&chart);
    }
}

/// The Mermaid chart of the window (after the table, for readers without Mermaid).
fn chart_of(evaluation: &Evaluation, max_duration: Option<Duration>) -> Option<String> {
    let builds = chart_builds(evaluation);
    let lines = ChartLines {
        max_duration: max_duration.map(|d| d.as_secs()),
        median: chart::median_of_successful(&builds),
    };
    chart::mermaid(&builds, lines)
}

/// The job's name, else its id, for a title or a heading.
fn job_name(job: &JobRef) -> String {
    job.name
        .as_deref()
        .or(job.id.as_deref())
        .unwrap_or("-")
        .to_string()
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

/// `name=value` lines for `$GITHUB_OUTPUT`; `report` holds the JSON report. `verdict` is
/// the run's; the target's outputs are left empty when several jobs have a target each.
pub fn outputs(run: &Run, options: &ReportOptions) -> String {
    let target = match run.jobs.as_slice() {
        [job] if !run.several => job.outcome.as_ref().ok().and_then(|e| e.target.as_ref()),
        _ => None,
    };
    let mut out = String::new();
    output(&mut out, "verdict", run.conclusion().name());
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
    let json_report = json::render(run, options);
    let report = json_report.trim_end();
    let delimiter = output_delimiter(report);
    let _ = writeln!(out, "report<<{delimiter}\n{report}\n{delimiter}");
    out
}
