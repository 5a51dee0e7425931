//! `--format json`: exactly the contract's object, for results and errors alike.

use serde::Serialize;

use super::escape::json_inert;
use super::{JobReport, Run, verdict_name};

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
    /// Only on advisory rules, so the object of a run without `--advisory` is unchanged.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    advisory: bool,
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

/// With `--job`: the run's verdict, one single-job object per job, the first error.
#[derive(Serialize)]
struct Several<'a> {
    verdict: &'static str,
    jobs: Vec<Report<'a>>,
    error: Option<ErrorObject<'a>>,
}

/// One JSON object and a newline: the single-job object, or with `--job` the object of
/// several jobs.
pub fn render(run: &Run) -> String {
    // Serializing these plain structs cannot fail.
    let text = match run.jobs.as_slice() {
        [job] if !run.several => serde_json::to_string(&report(job)),
        jobs => serde_json::to_string(&Several {
            verdict: run.verdict_name(),
            jobs: jobs.iter().map(report).collect(),
            error: run.error().map(error_object),
        }),
    };
    let mut out = json_inert(&text.unwrap_or_default());
    out.push('\n');
    out
}

fn error_object(err: &crate::error::Error) -> ErrorObject<'_> {
    ErrorObject {
        kind: err.kind(),
        status: err.http_failure().map(|f| f.status),
        code: err.http_failure().and_then(|f| f.code.as_deref()),
        request_id: err.http_failure().and_then(|f| f.request_id.as_deref()),
        message: err.message(),
    }
}

fn report(JobReport { job, outcome }: &JobReport) -> Report<'_> {
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
                    advisory: r.advisory,
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
        Err(err) => (None, Vec::new(), None, Some(error_object(err))),
    };
    Report {
        verdict: verdict_name(outcome),
        job: Job {
            id: job.id.as_deref(),
            name: job.name.as_deref(),
        },
        target,
        rules,
        summary,
        error,
    }
}
