//! The default report: plain lines that read well in any CI log, without colour.

use std::fmt::Write;

use super::{duration_text, upper};
use crate::config::{Ci, JobRef};
use crate::error::Error;
use crate::rules::Evaluation;

/// The report for stdout. `now` (Unix seconds) stamps GitLab's collapsible section.
pub fn render(job: &JobRef, evaluation: &Evaluation, ci: Ci, now: u64) -> String {
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
                b.id,
                b.state.name(),
                duration_text(b)
            );
        }
        None => out.push_str("target: none\n"),
    }
    let gitlab = ci == Ci::Gitlab;
    if gitlab {
        let _ = write!(
            out,
            "\x1b[0Ksection_start:{now}:gate_rules[collapsed=false]\r\x1b[0KRules\n"
        );
    }
    for rule in &evaluation.rules {
        let _ = writeln!(
            out,
            "  {:<12} {}: {}",
            upper(rule.verdict),
            rule.name,
            rule.message
        );
    }
    if gitlab {
        let _ = write!(out, "\x1b[0Ksection_end:{now}:gate_rules\r\x1b[0K\n");
    }
    let s = &evaluation.summary;
    let _ = writeln!(
        out,
        "summary: {} builds, {} finished, {} successful; {} in the window",
        s.total, s.finished, s.successful, s.window
    );
    out
}

/// The one line an error gets on stderr.
pub fn error_line(err: &Error) -> String {
    let hint = match err {
        Error::Usage(_) => " (see --help)",
        _ => "",
    };
    format!("servicestage-gate: {err}{hint}\n")
}

fn job_text(job: &JobRef) -> String {
    match (&job.name, &job.id) {
        (Some(name), Some(id)) => format!(" for job {name} ({id})"),
        (Some(name), None) => format!(" for job {name}"),
        (None, Some(id)) => format!(" for job {id}"),
        (None, None) => String::new(),
    }
}
