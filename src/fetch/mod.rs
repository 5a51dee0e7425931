//! Getting one job's builds: from a saved response, or through a backend page by page,
//! polling while `--wait` asks for a build that has not finished, then explaining the
//! target (its commit's details, the phase that failed it). Everything between the
//! transport and the rules that is not a backend's own.

mod pages;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use crate::backend::Backend;
use crate::config::{Api, Config, JobRef};
use crate::error::Error;
use crate::http::{self, Client, Deadline, Session};
use crate::model::record::{JobRecord, Record};
use crate::model::{Build, BuildDetails, CommitPrefix, FailedPhase, History, Job, State};
use crate::rules::{self, RuleConfig};
use crate::select;
use crate::servicestage;
pub use pages::collect;

/// What fetching one job gave.
#[derive(Debug)]
pub struct Fetched {
    /// The job as judged: after a lookup, the id found and the name as the job list
    /// spells it; else as given.
    pub job: JobRef,
    pub history: Result<History, Error>,
    /// Every HTTP request sent, retries included.
    pub requests: u32,
}

/// How long to keep looking at a job: `--wait` and `--poll-interval`.
#[derive(Debug, Clone, Copy)]
pub struct Polling {
    pub wait: Duration,
    pub interval: Duration,
}

/// A saved response (`--input`; stdin when `path` is `None`), judged as `job`.
pub fn saved(job: &JobRef, path: Option<&Path>, rules: &RuleConfig) -> Fetched {
    Fetched {
        job: job.clone(),
        history: load_saved(path, rules),
        requests: 0,
    }
}

/// Reads and parses a saved response: one page, the whole list there is.
pub fn load_saved(path: Option<&Path>, rules: &RuleConfig) -> Result<History, Error> {
    let bytes = http::read_saved(path)?;
    pages::one_page(servicestage::parse_page(&bytes)?, rules)
}

/// One job from the API, under a session (one login) and a deadline that several jobs
/// (`--job`) share, over a client and connection of its own; every answer goes to the
/// run's `record`. `log` gets the lines meant for stderr: wait progress, and each request
/// with `--verbose`.
pub fn job_history(
    config: &Config,
    api: &Api,
    job: &JobRef,
    session: &Session,
    deadline: Deadline,
    record: &Record,
    log: &mut dyn FnMut(&str),
) -> Fetched {
    let client = match Client::new(api, config.verbose, deadline, session) {
        Ok(client) => client,
        Err(e) => {
            return Fetched {
                job: job.clone(),
                history: Err(e),
                requests: 0,
            };
        }
    };
    let backend = config.service.backend(&client);
    let polling = Polling {
        wait: config.wait,
        interval: config.poll_interval,
    };
    let (judged, history) = fetch(
        &*backend,
        &config.rules,
        polling,
        job,
        client.deadline(),
        record,
        log,
    );
    Fetched {
        job: judged,
        history,
        requests: client.requests(),
    }
}

/// The job's id is looked up by name when `job` has none; then its builds are fetched,
/// polled and explained. Returns the job as judged with its history.
fn fetch(
    backend: &dyn Backend,
    rules: &RuleConfig,
    polling: Polling,
    job: &JobRef,
    deadline: &Deadline,
    record: &Record,
    log: &mut dyn FnMut(&str),
) -> (JobRef, Result<History, Error>) {
    let name = job.name.clone().unwrap_or_default();
    let (found, named_by) = match &job.id {
        Some(id) => {
            let given = Job {
                id: id.clone(),
                name,
            };
            (Ok(given), "--job-id".to_string())
        }
        None => (
            backend.find_job(&name, log),
            format!("the job list (looking up {name:?})"),
        ),
    };
    let recorded = found.and_then(|found| {
        let facts = record.job(&found, &named_by, backend.build_ids())?;
        Ok((found, facts))
    });
    let (found, facts) = match recorded {
        Ok(recorded) => recorded,
        Err(e) => return (job.clone(), Err(e)),
    };
    let judged = JobRef {
        id: Some(found.id.clone()),
        name: Some(found.name.clone()),
    };
    let history =
        poll(backend, rules, polling, (&found, &facts), deadline, log).map(|mut history| {
            explain(backend, &found, &mut history, rules, log);
            history
        });
    (judged, history)
}

/// Looks at the job, and again after each `--poll-interval` while `--wait` has time and
/// the target is not there or not finished.
fn poll(
    backend: &dyn Backend,
    rules: &RuleConfig,
    polling: Polling,
    job: (&Job, &JobRecord),
    deadline: &Deadline,
    log: &mut dyn FnMut(&str),
) -> Result<History, Error> {
    let mut details = DetailsCache::default();
    let mut previous = None;
    let mut number = 0;
    loop {
        number += 1;
        let history = match look(backend, rules, job, (&mut details, number), log) {
            Ok(history) => history,
            Err(e) => return after_failed_look(e, previous, deadline.passed()),
        };
        let awaited = rules::awaited(&history, rules);
        let (Some(awaited), false) = (awaited, polling.wait.is_zero()) else {
            return Ok(history);
        };
        let left = deadline.left();
        if left.is_zero() {
            return Ok(history);
        }
        let left_text = humantime::format_duration(Duration::from_secs(left.as_secs()));
        log(&format!("waiting for {awaited}, {left_text} left"));
        // `--poll-interval` is at least 1 s, so polls never come faster than that.
        deadline.clock().sleep(polling.interval.min(left));
        if deadline.passed() {
            return Ok(history);
        }
        previous = Some(history);
    }
}

/// What the poll comes to when a look failed: the last complete look when the deadline
/// cut this one short, else the error. A `response` error always stands: an answer the
/// gate cannot trust (a contradiction above all) is no less a lie for coming late.
fn after_failed_look(
    error: Error,
    previous: Option<History>,
    deadline_passed: bool,
) -> Result<History, Error> {
    match previous {
        Some(previous) if deadline_passed && !matches!(error, Error::Response(_)) => Ok(previous),
        _ => Err(error),
    }
}

/// One look (poll `number`): the pages the rules need, then, with `--commit`, the search
/// for its build. Every answer goes to the job's record first.
fn look(
    backend: &dyn Backend,
    rules: &RuleConfig,
    (job, facts): (&Job, &JobRecord),
    (details, number): (&mut DetailsCache, u32),
    log: &mut dyn FnMut(&str),
) -> Result<History, Error> {
    let mut history = collect(
        |at| backend.page(job, at, log),
        rules,
        number,
        &mut |builds, source| facts.page(builds, source),
    )?;
    facts.listed(&history.builds, number)?;
    if let Some(commit) = &rules.commit {
        let candidates = select::commit_candidates(&history.builds, rules.window);
        let mut read = |build: &Build| details.read(backend, (job, facts), build, number, log);
        if let Some(found) = find_commit(candidates, commit, rules.ignore_running, &mut read)? {
            history.commit_match = Some(found.build_id.clone());
            history.explanation.details = Some(found);
        }
    }
    Ok(history)
}

/// The details of the newest candidate whose commit starts with `commit` (finished, with
/// `--ignore-running`); reads no details past it. A failed read is the search's error:
/// skipping a build could pick an older build of the same commit.
fn find_commit(
    candidates: &[Build],
    commit: &CommitPrefix,
    finished_only: bool,
    read: &mut dyn FnMut(&Build) -> Result<BuildDetails, Error>,
) -> Result<Option<BuildDetails>, Error> {
    for build in candidates {
        if finished_only && !build.is_finished() {
            continue;
        }
        let details = read(build)?;
        if details.commit.as_deref().is_some_and(|c| commit.matches(c)) {
            return Ok(Some(details));
        }
    }
    Ok(None)
}

/// Build details kept across polls, as the record accepted them. Only details that name
/// a commit are kept (a queued build may not have one yet), and a build that finished
/// since is read again for its end time.
#[derive(Default)]
struct DetailsCache(HashMap<String, BuildDetails>);

impl DetailsCache {
    fn read(
        &mut self,
        backend: &dyn Backend,
        (job, facts): (&Job, &JobRecord),
        build: &Build,
        poll: u32,
        log: &mut dyn FnMut(&str),
    ) -> Result<BuildDetails, Error> {
        if let Some(kept) = self.0.get(&build.id) {
            let ended = kept.state.as_deref().and_then(State::parse_terminal);
            if ended.is_some() || !build.is_finished() {
                return Ok(kept.clone());
            }
        }
        let details = facts.details(&backend.details(job, build, log)?, poll)?;
        if details.commit.is_some() {
            self.0.insert(build.id.clone(), details.clone());
        }
        Ok(details)
    }
}

/// For a Failed or Timeout target, the phase that failed it: one more request, which only
/// explains. If it fails the phase is unavailable; the verdict does not change.
fn explain(
    backend: &dyn Backend,
    job: &Job,
    history: &mut History,
    rules: &RuleConfig,
    log: &mut dyn FnMut(&str),
) {
    let Some(target) = rules::target(history, rules).map(|i| &history.builds[i]) else {
        return;
    };
    if !target.state().is_some_and(|s| s.is_failure()) {
        return;
    }
    let phase = match backend.failed_phase(job, target, log) {
        Ok(Some(name)) => FailedPhase::Named(name),
        Ok(None) => FailedPhase::NotReported,
        Err(e) => FailedPhase::Unavailable(e.to_string()),
    };
    history.explanation.failed_phase = Some(phase);
}

#[cfg(test)]
mod tests;
