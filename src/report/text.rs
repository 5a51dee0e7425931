//! The default report: plain lines that read well in any CI log, without colour. Every
//! piece of server or environment text goes through `escape::log_text`.

use std::fmt::Write;

use super::chart;
use super::escape::log_text;
use super::{chart_builds, duration_text, upper};
use crate::config::{Ci, JobRef, ReportOptions};
use crate::error::Error;
use crate::model::Explanation;
use crate::outcome::{Conclusion, JobReport, Run};
use crate::rules::Evaluation;

/// The report for stdout: one job's report (nothing for an error, which goes to stderr;
/// one line for an unavailable job), or with `--job` a block per job and a last line with
/// the overall verdict.
pub fn render_run(run: &Run, options: &ReportOptions) -> String {
    if let [job] = run.jobs.as_slice()
        && !run.several
    {
        return match &job.outcome {
            Ok(evaluation) => render(&job.job, evaluation, options),
            Err(_) if run.conclusion_of(job) == Conclusion::Unavailable => unavailable(job),
            Err(_) => String::new(),
        };
    }
    let mut out = String::new();
    let mut verdicts = Vec::new();
    for job in &run.jobs {
        let name = job_name(&job.job);
        let _ = writeln!(out, "== job {name} ==");
        match &job.outcome {
            Ok(evaluation) => out.push_str(&render(&job.job, evaluation, options)),
            Err(err) => out.push_str(&error_line(err)),
        }
        verdicts.push(format!("{name} {}", run.conclusion_of(job).name()));
    }
    let overall = run.conclusion().name().to_ascii_uppercase();
    let _ = writeln!(out, "overall: {overall} ({})", verdicts.join(", "));
    out
}

/// The one stdout line of a job the service could not answer for, let through by
/// `--unavailable pass`; its error goes to stderr like any other.
fn unavailable(job: &JobReport) -> String {
    let reason = "the service was unreachable or failing; let through by --unavailable pass";
    format!(
        "servicestage-gate: UNAVAILABLE{}: {reason}\n",
        job_text(&job.job)
    )
}

/// One job's report. A saved response is named, so an inherited `SERVICESTAGE_INPUT`
/// cannot pass for a live check.
pub fn render(job: &JobRef, evaluation: &Evaluation, options: &ReportOptions) -> String {
    let ReportOptions {
        ci, now, symbols, ..
    } = *options;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "servicestage-gate: {}{}",
        upper(evaluation.verdict),
        job_text(job)
    );
    match &evaluation.target {
        Some(b) => {
            let _ = writeln!(
                out,
                "target: build {} {} ({})",
                log_text(&b.id),
                log_text(b.state_name()),
                duration_text(b)
            );
        }
        None => out.push_str("target: none\n"),
    }
    explanation_lines(&mut out, &evaluation.explanation);
    rule_lines(&mut out, evaluation, ci, now);
    let s = &evaluation.summary;
    let _ = writeln!(
        out,
        "summary: {} builds, {} finished, {} successful; {} in the window",
        s.total, s.finished, s.successful, s.window
    );
    let builds = chart_builds(evaluation);
    if !builds.is_empty() {
        let _ = writeln!(out, "{}", chart::strip(&builds, symbols));
    }
    // Last, so the lines above read the same for live and saved runs.
    if let Some(name) = &options.saved_input {
        let _ = writeln!(out, "judging saved response {}", log_text(name));
    }
    out
}

/// One line per rule; under GitLab, inside a collapsible section.
fn rule_lines(out: &mut String, evaluation: &Evaluation, ci: Ci, now: u64) {
    let gitlab = ci == Ci::Gitlab;
    if gitlab {
        let _ = write!(
            out,
            "\x1b[0Ksection_start:{now}:gate_rules[collapsed=false]\r\x1b[0KRules\n"
        );
    }
    for rule in &evaluation.rules {
        let advisory = if rule.advisory { " (advisory)" } else { "" };
        let _ = writeln!(
            out,
            "  {:<12} {}{advisory}: {}",
            upper(rule.verdict),
            rule.name,
            log_text(&rule.message)
        );
    }
    if gitlab {
        let _ = write!(out, "\x1b[0Ksection_end:{now}:gate_rules\r\x1b[0K\n");
    }
}

/// The target's commit, branch and times when its details were read, and its failed phase.
fn explanation_lines(out: &mut String, explanation: &Explanation) {
    if let Some(d) = &explanation.details {
        let field = |name: &str, value: &Option<String>| {
            value.as_deref().map(|v| format!("{name} {}", log_text(v)))
        };
        let parts: Vec<String> = [
            field("commit", &d.commit),
            field("on branch", &d.branch),
            field("started", &d.started_at),
            field("ended", &d.ended_at),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !parts.is_empty() {
            let _ = writeln!(out, "  {}", parts.join(", "));
        }
    }
    if let Some(phase) = &explanation.failed_phase {
        let _ = writeln!(out, "  {}", log_text(&phase.to_string()));
    }
}

/// The one line an error gets on stderr.
pub fn error_line(err: &Error) -> String {
    let hint = match err {
        Error::Usage(_) => " (see --help)",
        _ => "",
    };
    format!("servicestage-gate: {}{hint}\n", log_text(&err.to_string()))
}

/// The stderr lines for a run's errors: the one error of one job, or with several jobs a
/// line per job in error (or unavailable), naming it.
pub fn error_lines(run: &Run, _: &ReportOptions) -> String {
    if !run.several {
        return run.error().map(error_line).unwrap_or_default();
    }
    let errors = run.jobs.iter().filter_map(|job| {
        let err = job.outcome.as_ref().err()?;
        Some(log_line(&format!("{}: {err}", job_name(&job.job))))
    });
    errors.collect()
}

/// A progress or `--verbose` line for stderr, made inert: it may carry build ids and
/// states. `main` prints every such line through this.
pub fn log_line(line: &str) -> String {
    format!("servicestage-gate: {}\n", log_text(line))
}

/// The job's name for a heading: its name, else its id, made inert.
fn job_name(job: &JobRef) -> String {
    log_text(job.name.as_deref().or(job.id.as_deref()).unwrap_or("-"))
}

fn job_text(job: &JobRef) -> String {
    let (name, id) = (
        job.name.as_deref().map(log_text),
        job.id.as_deref().map(log_text),
    );
    match (name, id) {
        (Some(name), Some(id)) => format!(" for job {name} ({id})"),
        (Some(name), None) => format!(" for job {name}"),
        (None, Some(id)) => format!(" for job {id}"),
        (None, None) => String::new(),
    }
}
