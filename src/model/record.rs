//! The record of one run: every fact the run learns about its jobs and their builds (the
//! job list, each page of each poll of a build list, build details), each kept with the
//! answer it came from. A fact that contradicts one recorded before is a `response` error
//! naming both answers: the gate cannot know which is true, so it judges neither. `fetch`
//! writes to it and hands the rules only what it accepted.
//!
//! One record per run, shared by the jobs' threads (`--job`) behind one lock, so that a
//! contradiction between two jobs is seen by whichever thread records second. Every
//! decision is a pure function below; the record only keeps their results.
//!
//! A build moves one way: an unfinished state may give way to any other state, a finished
//! one to nothing else (nor to another duration). Its commit, branch and start time never
//! change. New builds join the list at the top, so a build never leaves it while older
//! ones are still listed. Counts never fall below what one look at the list received.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Mutex, MutexGuard};

use crate::error::Error;
use crate::model::{Build, BuildDetails, Job, Progress, State};

/// What a build id names: one build of the whole service (ServiceStage's ids), or one
/// build of its job (CodeArts numbers each job's builds from 1). Only a service-wide id
/// in two jobs is a contradiction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildIds {
    Service,
    PerJob,
}

/// The answer a fact about a build came from, named in a contradiction. Polls (looks at
/// the list, several under `--wait`) and pages count from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    List { poll: u32, page: u32 },
    Details { poll: u32 },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Source::List { poll: 1, page } => write!(f, "the build list (page {page})"),
            Source::List { poll, page } => write!(f, "the build list (poll {poll}, page {page})"),
            Source::Details { poll: 1 } => f.write_str("its details"),
            Source::Details { poll } => write!(f, "its details (poll {poll})"),
        }
    }
}

/// The counts an answer claims for a job's builds, each when sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Claimed {
    pub total: Option<u64>,
    pub finished: Option<u64>,
    pub successful: Option<u64>,
}

/// Builds received, counted as the API counts them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub total: u64,
    pub finished: u64,
    pub successful: u64,
}

impl Tally {
    pub fn of(builds: &[Build]) -> Tally {
        let mut tally = Tally::default();
        tally.add(builds);
        tally
    }

    pub fn add(&mut self, builds: &[Build]) {
        for build in builds {
            self.total += 1;
            self.finished += u64::from(build.is_finished());
            self.successful += u64::from(build.state() == Some(State::Successful));
        }
    }
}

/// Each count with what it counts, finished builds first: the window is made of them.
fn pairs(claimed: Claimed, got: Tally) -> [(&'static str, Option<u64>, u64); 3] {
    [
        ("finished builds", claimed.finished, got.finished),
        ("builds", claimed.total, got.total),
        ("Successful builds", claimed.successful, got.successful),
    ]
}

/// Why `claimed` cannot be true of a list that brought `got` (over every page of one look):
/// a count below what was received.
pub fn counts_below(claimed: Claimed, got: Tally) -> Option<String> {
    pairs(claimed, got)
        .into_iter()
        .find_map(|(what, claimed, got)| {
            let claimed = claimed.filter(|&c| c < got)?;
            Some(format!("counts {claimed} {what}, but {got} were received"))
        })
}

/// Why a list that ended while the rules needed more was cut short: a count says more
/// builds exist than were received. Every rule is inconclusive with it.
pub fn cut_short(claimed: Claimed, got: Tally) -> Option<String> {
    pairs(claimed, got).into_iter().find_map(|(what, claimed, got)| {
        let claimed = claimed.filter(|&c| c > got)?;
        Some(format!(
            "the API counts {claimed} {what} but only {got} were received: the list was cut short"
        ))
    })
}

/// What one answer said about how far a build is. Details carry no duration.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Said {
    Finished { state: State, seconds: Option<u64> },
    Unfinished(String),
}

impl Said {
    fn of_build(build: &Build) -> Said {
        match &build.progress {
            Progress::Finished { state, seconds } => Said::Finished {
                state: *state,
                seconds: Some(*seconds),
            },
            Progress::Unfinished { state, .. } => Said::Unfinished(state.clone()),
        }
    }

    /// A state as details name it: one of the four terminal states, or anything else.
    fn of_details(raw: &str) -> Said {
        match State::parse_terminal(raw) {
            Some(state) => Said::Finished {
                state,
                seconds: None,
            },
            None => Said::Unfinished(raw.to_string()),
        }
    }

    fn is_finished(&self) -> bool {
        matches!(self, Said::Finished { .. })
    }
}

/// The state to keep once `new` is heard after `known`, or `None` when `new` contradicts
/// it: a finished build ends one way, in one duration, and is never unfinished again.
fn merge_state(known: &Said, new: &Said) -> Option<Said> {
    match (known, new) {
        (Said::Unfinished(_), _) => Some(new.clone()),
        (Said::Finished { .. }, Said::Unfinished(_)) => None,
        (
            &Said::Finished { state, seconds },
            &Said::Finished {
                state: new_state,
                seconds: new_seconds,
            },
        ) => {
            let same_seconds = seconds.zip(new_seconds).is_none_or(|(a, b)| a == b);
            (state == new_state && same_seconds).then_some(Said::Finished {
                state,
                seconds: seconds.or(new_seconds),
            })
        }
    }
}

/// The two states of a contradiction as a message shows them: durations only when the
/// states agree and the durations are what differs.
fn shown(known: &Said, new: &Said) -> (String, String) {
    let name = |said: &Said| match said {
        Said::Finished { state, .. } => state.name().to_string(),
        Said::Unfinished(state) => state.clone(),
    };
    match (known, new) {
        (
            Said::Finished {
                state,
                seconds: Some(a),
            },
            Said::Finished {
                state: other,
                seconds: Some(b),
            },
        ) if state == other => (format!("{state} in {a}s"), format!("{other} in {b}s")),
        _ => (name(known), name(new)),
    }
}

/// A fact and the answer it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Known<T> {
    value: T,
    source: Source,
}

/// Which build, if any, left the list: the first of `order` (every build listed before,
/// newest first) that `listed` lacks while a build below it is listed; with that build.
fn vanished<'a>(order: &'a [Listed], listed: &HashSet<&str>) -> Option<(&'a Listed, &'a str)> {
    let mut missing = None;
    for build in order {
        match (listed.contains(build.id.as_str()), missing) {
            (true, Some(gone)) => return Some((gone, &build.id)),
            (false, None) => missing = Some(build),
            _ => {}
        }
    }
    None
}

/// A build as some poll listed it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Listed {
    id: String,
    poll: u32,
}

/// What details said beyond the state, for the builds whose details were read.
#[derive(Debug, Default)]
struct Described {
    commit: Option<Known<String>>,
    branch: Option<Known<String>>,
    started_at: Option<Known<String>>,
}

/// Everything known of one job.
#[derive(Debug, Default)]
struct JobFacts {
    name: String,
    /// What named the job so: `--job-id`, or the job list looked up by a name.
    named_by: String,
    /// How far each build is, by the answers so far (lists and details).
    states: HashMap<String, Known<Said>>,
    described: HashMap<String, Described>,
    /// Every build a look at the list has shown, newest first, the looks merged.
    order: Vec<Listed>,
}

impl JobFacts {
    /// Build `id` as `source` says it is, against what was said before.
    fn state(&mut self, id: &str, new: Said, source: Source) -> Result<(), String> {
        let Some(known) = self.states.get_mut(id) else {
            let known = Known { value: new, source };
            self.states.insert(id.to_string(), known);
            return Ok(());
        };
        let Some(merged) = merge_state(&known.value, &new) else {
            let (before, now) = shown(&known.value, &new);
            return Err(format!(
                "build {id} is {before} in {} but {now} in {source}",
                known.source
            ));
        };
        // The answer that first said the build finished stays its source.
        if !known.value.is_finished() {
            known.source = source;
        }
        known.value = merged;
        Ok(())
    }

    /// A build's details, read at look `poll`, against what was said before; what is
    /// known of it after them.
    fn details(&mut self, details: &BuildDetails, poll: u32) -> Result<BuildDetails, String> {
        let (id, source) = (&details.build_id, Source::Details { poll });
        if let Some(raw) = &details.state {
            self.state(id, Said::of_details(raw), source)?;
        }
        let described = self.described.entry(id.clone()).or_default();
        let fields = [
            ("commit", &mut described.commit, &details.commit),
            ("branch", &mut described.branch, &details.branch),
            ("start time", &mut described.started_at, &details.started_at),
        ];
        // Text a build is born with never changes; an answer without it says nothing.
        for (what, known, new) in fields {
            let Some(now) = new else { continue };
            match known {
                Some(was) if was.value != *now => {
                    return Err(format!(
                        "build {id} has {what} {} in {} but {now} in {source}",
                        was.value, was.source
                    ));
                }
                Some(_) => {}
                None => {
                    *known = Some(Known {
                        value: now.clone(),
                        source,
                    })
                }
            }
        }
        let value = |known: &Option<Known<String>>| known.as_ref().map(|k| k.value.clone());
        Ok(BuildDetails {
            commit: value(&described.commit),
            branch: value(&described.branch),
            started_at: value(&described.started_at),
            ..details.clone()
        })
    }

    /// One look's whole list, newest first: no build listed before may be missing above a
    /// build still listed. The order known is then this list, the builds below it after.
    fn listed(&mut self, builds: &[Build], poll: u32) -> Result<(), String> {
        let ids: HashSet<&str> = builds.iter().map(|b| b.id.as_str()).collect();
        if let Some((gone, older)) = vanished(&self.order, &ids) {
            return Err(format!(
                "build {} is in the build list of poll {} but missing from poll {poll}, \
                 which still lists build {older}, listed below it",
                gone.id, gone.poll
            ));
        }
        let below = self.order.iter().filter(|b| !ids.contains(b.id.as_str()));
        let listed = builds.iter().map(|b| Listed {
            id: b.id.clone(),
            poll,
        });
        self.order = listed.chain(below.cloned()).collect();
        Ok(())
    }
}

/// Everything the run knows, by job id.
#[derive(Debug, Default)]
struct Facts {
    jobs: HashMap<String, JobFacts>,
}

impl Facts {
    /// Job `job`, as `named_by` names it: one id has one name in a run.
    fn job(&mut self, job: &Job, named_by: &str) -> Result<(), String> {
        if let Some(known) = self.jobs.get(&job.id) {
            if known.name == job.name {
                return Ok(());
            }
            return Err(format!(
                "job id {} is {:?} in {} but {:?} in {named_by}",
                job.id, known.name, known.named_by, job.name
            ));
        }
        let facts = JobFacts {
            name: job.name.clone(),
            named_by: named_by.to_string(),
            ..JobFacts::default()
        };
        self.jobs.insert(job.id.clone(), facts);
        Ok(())
    }

    /// Build `id`, listed for job `job` at `source`: not a build of another job.
    fn owned_by(&self, job: &str, id: &str, source: Source) -> Result<(), String> {
        let owner = self
            .jobs
            .iter()
            .filter(|(other, _)| *other != job)
            .find_map(|(_, facts)| Some((facts, facts.states.get(id)?)));
        match (owner, self.jobs.get(job)) {
            (Some((owner, first)), Some(this)) => Err(format!(
                "build {id} is a build of job {:?} in {} and of job {:?} in {source}",
                owner.name, first.source, this.name
            )),
            _ => Ok(()),
        }
    }

    fn of(&mut self, job: &str) -> &mut JobFacts {
        self.jobs.entry(job.to_string()).or_default()
    }
}

/// The record of a run. `fetch` writes every answer to it through a job's [`JobRecord`].
#[derive(Debug, Default)]
pub struct Record {
    facts: Mutex<Facts>,
}

impl Record {
    /// Job `job` as `named_by` names it (`--job-id`, or the job list looked up by a name),
    /// and the handle its builds are recorded through. An id that another answer of the
    /// run named otherwise is a contradiction.
    pub fn job(&self, job: &Job, named_by: &str, ids: BuildIds) -> Result<JobRecord<'_>, Error> {
        self.lock()?.job(job, named_by).map_err(Error::Response)?;
        Ok(JobRecord {
            record: self,
            job: job.id.clone(),
            ids,
        })
    }

    fn lock(&self) -> Result<MutexGuard<'_, Facts>, Error> {
        self.facts.lock().map_err(|_| {
            Error::Response("the record of the run was lost: a job's worker stopped".into())
        })
    }
}

/// Where one job's answers are recorded.
#[derive(Debug)]
pub struct JobRecord<'r> {
    record: &'r Record,
    job: String,
    ids: BuildIds,
}

impl JobRecord<'_> {
    /// The builds new on a page of the job's list, at `source`: each against what was
    /// said of it before, in this job or (with service-wide ids) another.
    pub fn page(&self, builds: &[Build], source: Source) -> Result<(), Error> {
        let mut facts = self.record.lock()?;
        if self.ids == BuildIds::Service {
            for build in builds {
                facts
                    .owned_by(&self.job, &build.id, source)
                    .map_err(Error::Response)?;
            }
        }
        let job = facts.of(&self.job);
        for build in builds {
            job.state(&build.id, Said::of_build(build), source)
                .map_err(Error::Response)?;
        }
        Ok(())
    }

    /// One look's whole list (poll `poll`), newest first, once every page is in.
    pub fn listed(&self, builds: &[Build], poll: u32) -> Result<(), Error> {
        let mut facts = self.record.lock()?;
        facts
            .of(&self.job)
            .listed(builds, poll)
            .map_err(Error::Response)
    }

    /// A build's details, read at poll `poll`: what the record holds of the build after
    /// them (a commit read before stays the commit).
    pub fn details(&self, details: &BuildDetails, poll: u32) -> Result<BuildDetails, Error> {
        let mut facts = self.record.lock()?;
        facts
            .of(&self.job)
            .details(details, poll)
            .map_err(Error::Response)
    }
}

#[cfg(test)]
mod tests;
