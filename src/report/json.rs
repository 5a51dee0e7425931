//! `--format json`: exactly the contract's object, for results and errors alike.

use serde::Serialize;

use super::escape::json_inert;
use crate::config::ReportOptions;
use crate::model::{Build, BuildDetails, Explanation, FailedPhase};
use crate::outcome::{JobReport, Run};

#[derive(Serialize)]
struct Report<'a> {
    verdict: &'static str,
    job: Job<'a>,
    target: Option<Target<'a>>,
    rules: Vec<Rule<'a>>,
    summary: Option<Summary>,
    /// Every HTTP request the run sent, retries included.
    requests: u32,
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
    // Keys only when known: the target's details were read, or its phases.
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    branch: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    started_at: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ended_at: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failed_phase: Option<&'a str>,
    /// Why `failed_phase` is missing for a Failed or Timeout target.
    #[serde(skip_serializing_if = "Option::is_none")]
    failed_phase_unavailable: Option<&'a str>,
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

fn target<'a>(build: &'a Build, explanation: &'a Explanation) -> Target<'a> {
    let details = explanation.details.as_ref();
    let text = |field: fn(&'a BuildDetails) -> &'a Option<String>| {
        details.and_then(|d| field(d).as_deref())
    };
    let (failed_phase, failed_phase_unavailable) = match &explanation.failed_phase {
        Some(FailedPhase::Named(name)) => (Some(name.as_str()), None),
        Some(FailedPhase::Unavailable(why)) => (None, Some(why.as_str())),
        Some(FailedPhase::NotReported) | None => (None, None),
    };
    Target {
        build_id: &build.id,
        build_state: build.state_name(),
        duration: build.seconds(),
        commit: text(|d| &d.commit),
        branch: text(|d| &d.branch),
        started_at: text(|d| &d.started_at),
        ended_at: text(|d| &d.ended_at),
        failed_phase,
        failed_phase_unavailable,
    }
}

/// With `--job`: the run's verdict, one single-job object per job, the error behind the
/// run's verdict.
#[derive(Serialize)]
struct Several<'a> {
    verdict: &'static str,
    jobs: Vec<Report<'a>>,
    error: Option<ErrorObject<'a>>,
}

/// One JSON object and a newline: the single-job object, or with `--job` the object of
/// several jobs.
pub fn render(run: &Run, _: &ReportOptions) -> String {
    // Serializing these plain structs cannot fail.
    let text = match run.jobs.as_slice() {
        [job] if !run.several => serde_json::to_string(&report(run, job)),
        jobs => serde_json::to_string(&Several {
            verdict: run.conclusion().name(),
            jobs: jobs.iter().map(|job| report(run, job)).collect(),
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

/// One job's object; an unavailable job keeps its error.
fn report<'a>(run: &Run, report: &'a JobReport) -> Report<'a> {
    let JobReport {
        job,
        outcome,
        requests,
    } = report;
    let (target, rules, summary, error) = match outcome {
        Ok(e) => (
            e.target.as_ref().map(|b| target(b, &e.explanation)),
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
        verdict: run.conclusion_of(report).name(),
        job: Job {
            id: job.id.as_deref(),
            name: job.name.as_deref(),
        },
        target,
        rules,
        summary,
        requests: *requests,
        error,
    }
}
