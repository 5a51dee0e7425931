//! A run: one job, or several (`--job`) fetched in parallel, at most [`MAX_PARALLEL`] at
//! once, each on its own thread, client and connection, all under one `--wait` deadline.
//! Each job is evaluated with the same rules; reports keep the order the jobs were given.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::config::{Api, Config, JobRef, Source, Token};
use crate::error::Error;
use crate::fetch::{self, Fetched};
use crate::http::{Deadline, Session, SystemClock};
use crate::model::record::Record;
use crate::outcome::{JobReport, LetThrough, Run};
use crate::rules;

/// Most jobs fetched at the same time.
pub const MAX_PARALLEL: usize = 8;

/// Fetches and evaluates every job of the config. `log` gets the stderr lines (prefixed
/// with the job's name when there are several); it is called from the jobs' threads.
/// `on_secret` gets each token the run obtains (one login for all jobs), to be masked.
pub fn run(
    config: &Config,
    log: &(dyn Fn(&str) + Sync),
    on_secret: &(dyn Fn(&Token) + Sync),
) -> Run {
    let let_through = LetThrough::of(config);
    let (api, jobs) = match &config.source {
        Source::Saved(path) => {
            let fetched = fetch::saved(&config.job, path.as_deref(), &config.rules);
            let report = judged(config, fetched);
            return Run::single(report.job, report.outcome, report.requests, let_through);
        }
        Source::Api { api, jobs } => (api, jobs),
    };
    let session = Session::new(&api.credentials, on_secret);
    let deadline = Deadline::for_run(config.wait, api.timeout, api.retries, &SystemClock);
    // One record of every answer, whichever job's thread hears it.
    let record = Record::default();
    if jobs.is_empty() {
        let mut log = |line: &str| log(line);
        let fetched = fetch::job_history(
            config,
            api,
            &config.job,
            &session,
            deadline,
            &record,
            &mut log,
        );
        let report = judged(config, fetched);
        return Run::single(report.job, report.outcome, report.requests, let_through);
    }
    Run {
        jobs: in_parallel(config, jobs, (api, &session, &deadline, &record), log),
        several: true,
        let_through,
    }
}

/// Every job of `--job`, on at most [`MAX_PARALLEL`] threads sharing one session, one
/// deadline and one record; the reports in the order the jobs were given.
fn in_parallel(
    config: &Config,
    jobs: &[JobRef],
    shared: (&Api, &Session, &Deadline, &Record),
    log: &(dyn Fn(&str) + Sync),
) -> Vec<JobReport> {
    let next = AtomicUsize::new(0);
    let done = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..jobs.len().min(MAX_PARALLEL))
            .map(|_| scope.spawn(|| work(config, jobs, &next, shared, log)))
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().unwrap_or_default())
            .collect()
    });
    in_given_order(jobs, done)
}

/// The workers' reports, each with the index of its job, as one report per job in the
/// order the jobs were given. A worker that panicked leaves its jobs unjudged: an error,
/// never a pass.
fn in_given_order(jobs: &[JobRef], mut done: Vec<(usize, JobReport)>) -> Vec<JobReport> {
    let report = |(index, job): (usize, &JobRef)| match done.iter().position(|(i, _)| *i == index) {
        Some(at) => done.swap_remove(at).1,
        None => JobReport {
            job: job.clone(),
            outcome: Err(Error::Response("the job's worker stopped".into())),
            requests: 0,
        },
    };
    jobs.iter().enumerate().map(report).collect()
}

/// The report of a fetched job: its history evaluated, or the error that stopped it.
fn judged(config: &Config, fetched: Fetched) -> JobReport {
    JobReport {
        job: fetched.job,
        outcome: fetched
            .history
            .map(|history| rules::evaluate(&history, &config.rules)),
        requests: fetched.requests,
    }
}

/// One worker: takes the next job not yet taken until none is left. Every worker shares
/// the run's session (one login), deadline and record.
fn work(
    config: &Config,
    jobs: &[JobRef],
    next: &AtomicUsize,
    (api, session, deadline, record): (&Api, &Session, &Deadline, &Record),
    log: &(dyn Fn(&str) + Sync),
) -> Vec<(usize, JobReport)> {
    let mut done = Vec::new();
    loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        let Some(job) = jobs.get(index) else {
            return done;
        };
        let name = job.name.clone().unwrap_or_default();
        let mut prefixed = |line: &str| log(&format!("{name}: {line}"));
        let fetched = fetch::job_history(
            config,
            api,
            job,
            session,
            deadline.clone(),
            record,
            &mut prefixed,
        );
        done.push((index, judged(config, fetched)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(name: &str) -> JobRef {
        JobRef {
            id: None,
            name: Some(name.into()),
        }
    }

    fn judged(name: &str, requests: u32) -> JobReport {
        JobReport {
            job: job(name),
            outcome: Err(Error::Network(format!("{name} unreachable"))),
            requests,
        }
    }

    #[test]
    fn reports_come_back_in_the_order_the_jobs_were_given() {
        let jobs = [job("a"), job("b"), job("c"), job("d")];
        // Two workers, each done in its own order; "c"'s worker stopped before it.
        let done = vec![
            (3, judged("d", 4)),
            (1, judged("b", 2)),
            (0, judged("a", 1)),
        ];
        let stopped = JobReport {
            job: job("c"),
            outcome: Err(Error::Response("the job's worker stopped".into())),
            requests: 0,
        };
        assert_eq!(
            in_given_order(&jobs, done),
            [judged("a", 1), judged("b", 2), stopped, judged("d", 4)]
        );
    }
}
