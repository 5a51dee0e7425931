//! `--format json`: exactly the contract's object, for results and errors alike.

use serde::Serialize;

use super::escape::json_inert;
use super::{Outcome, verdict_name};
use crate::config::JobRef;

#[derive(Serialize)]
struct Report<'a> {
    verdict: &'static str,
    job: Job<'a>,
    target: Option<Target<'a>>,
    rules: Vec<Rule<'a>>,
    summary: Option<Summary>,
    error: Option<ErrorObject<'a>>,
}

#[derive(Serialize)]
struct Job<'a> {
    id: Option<&'a str>,
    name: Option<&'a str>,
}

#[derive(Serialize)]
struct Target<'a> {
    build_id: &'a str,
    build_state: &'a str,
    duration: Option<u64>,
}

#[derive(Serialize)]
struct Rule<'a> {
    name: &'a str,
    verdict: &'static str,
    message: &'a str,
}

#[derive(Serialize)]
struct Summary {
    total: u64,
    finished: u64,
    successful: u64,
    window: usize,
}

#[derive(Serialize)]
struct ErrorObject<'a> {
    kind: &'static str,
    status: Option<u16>,
    code: Option<&'a str>,
    request_id: Option<&'a str>,
    message: &'a str,
}

/// One JSON object and a newline.
pub fn render(job: &JobRef, outcome: &Outcome) -> String {
    let (target, rules, summary, error) = match outcome {
        Ok(e) => (
            e.target.as_ref().map(|b| Target {
                build_id: &b.id,
                build_state: b.state_name(),
                duration: b.seconds(),
            }),
            e.rules
                .iter()
                .map(|r| Rule {
                    name: r.name,
                    verdict: r.verdict.name(),
                    message: &r.message,
                })
                .collect(),
            Some(Summary {
                total: e.summary.total,
                finished: e.summary.finished,
                successful: e.summary.successful,
                window: e.summary.window,
            }),
            None,
        ),
        Err(err) => (
            None,
            Vec::new(),
            None,
            Some(ErrorObject {
                kind: err.kind(),
                status: err.http_failure().map(|f| f.status),
                code: err.http_failure().and_then(|f| f.code.as_deref()),
                request_id: err.http_failure().and_then(|f| f.request_id.as_deref()),
                message: err.message(),
            }),
        ),
    };
    let report = Report {
        verdict: verdict_name(outcome),
        job: Job {
            id: job.id.as_deref(),
            name: job.name.as_deref(),
        },
        target,
        rules,
        summary,
        error,
    };
    // Serializing these plain structs cannot fail.
    let mut out = json_inert(&serde_json::to_string(&report).unwrap_or_default());
    out.push('\n');
    out
}
