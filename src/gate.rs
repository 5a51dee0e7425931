//! A run: one job, or several (`--job`) fetched in parallel, at most [`MAX_PARALLEL`] at
//! once, each on its own thread, client and connection, all under one `--wait` deadline.
//! Each job is evaluated with the same rules; reports keep the order the jobs were given.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::client::Deadline;
use crate::config::{Config, JobRef, Source};
use crate::error::Error;
use crate::fetch;
use crate::report::{JobReport, Run};
use crate::rules;

/// Most jobs fetched at the same time.
pub const MAX_PARALLEL: usize = 8;

/// Fetches and evaluates every job of the config. `log` gets the stderr lines (prefixed
/// with the job's name when there are several); it is called from the jobs' threads.
pub fn run(config: &Config, log: &(dyn Fn(&str) + Sync)) -> Run {
    if config.jobs.is_empty() {
        let outcome = fetch::history(config, &mut |line| log(line))
            .map(|history| rules::evaluate(&history, &config.rules));
        return Run::single(config.job.clone(), outcome);
    }
    let deadline = match &config.source {
        Source::Api(api) => Deadline::for_run(config.wait, api),
        // The config refuses this; should it get here, no job can be judged.
        Source::Saved(_) => {
            let refused = |job: &JobRef| JobReport {
                job: job.clone(),
                outcome: Err(Error::Usage("--job needs the API, not --input".into())),
            };
            return Run {
                jobs: config.jobs.iter().map(refused).collect(),
                several: true,
            };
        }
    };
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, JobReport)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..config.jobs.len().min(MAX_PARALLEL))
            .map(|_| scope.spawn(|| work(config, &next, &deadline, log)))
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().unwrap_or_default())
            .collect()
    });
    done.sort_by_key(|(index, _)| *index);
    let jobs = config
        .jobs
        .iter()
        .enumerate()
        .map(
            |(index, job)| match done.iter().position(|(i, _)| *i == index) {
                Some(at) => done.swap_remove(at).1,
                // A worker that panicked leaves its job unjudged: an error, never a pass.
                None => JobReport {
                    job: job.clone(),
                    outcome: Err(Error::Response("the job's worker stopped".into())),
                },
            },
        )
        .collect();
    Run {
        jobs,
        several: true,
    }
}

/// One worker: takes the next job not yet taken until none is left.
fn work(
    config: &Config,
    next: &AtomicUsize,
    deadline: &Deadline,
    log: &(dyn Fn(&str) + Sync),
) -> Vec<(usize, JobReport)> {
    let mut done = Vec::new();
    loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        let Some(job) = config.jobs.get(index) else {
            return done;
        };
        let mut job = job.clone();
        let name = job.name.clone().unwrap_or_default();
        let mut prefixed = |line: &str| log(&format!("{name}: {line}"));
        let outcome = fetch::job_history(config, &mut job, deadline.clone(), &mut prefixed)
            .map(|history| rules::evaluate(&history, &config.rules));
        done.push((index, JobReport { job, outcome }));
    }
}
