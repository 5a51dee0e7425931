//! The job by name: `GET /v1/job/{project}/list?search=` in either of its two live shapes,
//! `{"result": {"job_list": [...], "total": N}}` (what the service answers) or
//! `{"jobs": [...], "total": N}` (what the reference documents), and nothing else; paging
//! from 0; the whole-name, case-sensitive match.

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::envelope::Envelope;
use super::request::{Id, is_id};
use crate::error::Error;
use crate::json::{self, Fields, Named, Slot};
use crate::model::Job;
use crate::text::required_text;

const JOB_LIST: Named = Named {
    name: "job list",
    expected: "what the API documents",
};

/// One page of the job list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobPage {
    pub total: Option<u64>,
    pub jobs: Vec<Job>,
}

#[derive(Default)]
struct RawAnswer<'a> {
    envelope: Envelope<'a>,
    result: Slot<Option<RawResult>>,
    /// Filled when the key was sent (`null` is an empty list).
    jobs: Slot<Vec<Job>>,
    total: Slot<Total>,
}

impl<'de> Fields<'de> for RawAnswer<'de> {
    const WHAT: &'static str = "a job list object";
    fn read<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "result" => json::object(&mut self.result, map, key)?,
            "jobs" => json::list(&mut self.jobs, map, key, 0, |index, job| {
                into_job(job, &format!("jobs[{index}]"))
            })?,
            "total" => json::value(&mut self.total, map, key)?,
            _ => return self.envelope.read(key, map),
        }
        Ok(true)
    }
}

#[derive(Default)]
struct RawResult {
    job_list: Slot<Vec<Job>>,
    total: Slot<Total>,
}

impl<'de> Fields<'de> for RawResult {
    const WHAT: &'static str = "a job list result object";
    fn read<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "job_list" => json::list(&mut self.job_list, map, key, 0, |index, job| {
                into_job(job, &format!("result.job_list[{index}]"))
            })?,
            "total" => json::value(&mut self.total, map, key)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// A count as a JSON number or a string of digits (the two shapes differ here too), or
/// null.
struct Total(Option<u64>);

impl<'de> Deserialize<'de> for Total {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TotalVisitor).map(Total)
    }
}

struct TotalVisitor;

impl Visitor<'_> for TotalVisitor {
    type Value = Option<u64>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a count, as a number or a string of digits")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<u64>, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<u64>, E> {
        Ok(Some(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<u64>, E> {
        match v.parse::<u64>() {
            Ok(n) if v.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(n)),
            _ => Err(E::custom(format!(
                "total {:?} is not a count",
                v.chars().take(40).collect::<String>()
            ))),
        }
    }
}

#[derive(Default)]
struct RawJob<'a> {
    id: Slot<Option<Cow<'a, str>>>,
    job_name: Slot<Option<Cow<'a, str>>>,
}

impl<'de> Fields<'de> for RawJob<'de> {
    const WHAT: &'static str = "a job object";
    fn read<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "id" => json::text(&mut self.id, map, key)?,
            "job_name" => json::text(&mut self.job_name, map, key)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// Every job needs a CodeArts job id (which makes it one path segment) and a safe,
/// non-empty name.
fn into_job(raw: RawJob, place: &str) -> Result<Job, String> {
    let id = required_text(raw.id.value(), place, "id")?;
    if !is_id(&id) {
        return Err(format!(
            "{place}.id {id:?} is not a CodeArts job id (32 lower-case letters and digits)"
        ));
    }
    let name = required_text(raw.job_name.value(), place, "job_name")?;
    Ok(Job { id, name })
}

/// Parses one page of the job list, in either shape and no other: an answer that says it
/// failed is an error.
pub fn parse_job_page(bytes: &[u8]) -> Result<JobPage, Error> {
    let raw = json::parse(bytes, RawAnswer::default(), JOB_LIST)?;
    raw.envelope.succeeded(false, "the job list")?;
    let top_total = raw.total.get().map(|t| t.0);
    let page = match (raw.result.value(), raw.jobs.get()) {
        (Some(_), _) if top_total.is_some() => {
            Err("total is beside result (expected result.total)")
        }
        (Some(result), None) => match result.job_list.get() {
            Some(jobs) => Ok(JobPage {
                total: result.total.get().and_then(|t| t.0),
                jobs,
            }),
            None => Err("result has no job_list"),
        },
        (None, Some(jobs)) => Ok(JobPage {
            total: top_total.flatten(),
            jobs,
        }),
        (Some(_), Some(_)) => Err("it has both result and jobs"),
        (None, None) => Err("it has neither result.job_list nor jobs"),
    };
    let page = page.map_err(|problem| Error::Response(format!("the job list: {problem}")))?;
    match page.total {
        Some(total) if page.jobs.len() as u64 > total => Err(Error::Response(format!(
            "the job list: total is {total} but {} jobs are listed",
            page.jobs.len()
        ))),
        _ => Ok(page),
    }
}

/// Most job-list pages the lookup reads before it gives up on a server that never ends.
pub const MAX_JOB_PAGES: u32 = 100;

/// The job list as received so far, page after page.
#[derive(Debug, Default)]
pub struct JobListing {
    /// The largest `total` any page gave.
    pub total: Option<u64>,
    /// Each job once, in the order first listed.
    pub jobs: Vec<Job>,
    index_of: HashMap<String, usize>,
    pages: u32,
}

impl JobListing {
    /// The `page_index` to ask for next.
    pub fn next_page_index(&self) -> u32 {
        self.pages
    }

    /// Adds a page; `Ok(true)` when another page is needed: the page brought a job not
    /// seen before and `total` says more exist. One id under two names, or a `total` below
    /// the jobs listed, is a `response` error.
    pub fn absorb(&mut self, page: JobPage) -> Result<bool, Error> {
        self.pages += 1;
        self.total = self.total.max(page.total);
        let before = self.jobs.len();
        for job in page.jobs {
            match self.index_of.entry(job.id.clone()) {
                Entry::Occupied(known) => {
                    let known = &self.jobs[*known.get()];
                    if known.name != job.name {
                        return Err(Error::Response(format!(
                            "the job list names job {} both {:?} and {:?}",
                            job.id, known.name, job.name
                        )));
                    }
                }
                Entry::Vacant(slot) => {
                    slot.insert(self.jobs.len());
                    self.jobs.push(job);
                }
            }
        }
        let listed = self.jobs.len() as u64;
        if let Some(total) = self.total.filter(|t| listed > *t) {
            return Err(Error::Response(format!(
                "the job list's total is {total} but {listed} different jobs were listed"
            )));
        }
        let more = self.jobs.len() > before && self.total.is_some_and(|t| listed < t);
        if more && self.pages >= MAX_JOB_PAGES {
            return Err(Error::Response(format!(
                "the job list was still sending new jobs after {MAX_JOB_PAGES} pages; gave up"
            )));
        }
        Ok(more)
    }
}

/// The job named `name` in `project`: the job list searched by name, page by page from
/// `page_index` 0 (`job_page` gets it), matched on the whole name, case-sensitively.
pub fn find(
    name: &str,
    project: &Id,
    mut job_page: impl FnMut(u32) -> Result<JobPage, Error>,
) -> Result<Job, Error> {
    let mut listing = JobListing::default();
    while listing.absorb(job_page(listing.next_page_index())?)? {}
    match_job(&listing.jobs, name, project)
}

/// Most ids a "several jobs" error lists.
const MAX_LISTED_IDS: usize = 10;

/// The one job named exactly `name` (CodeArts names are case-sensitive). None or several
/// is a `not-found` error that says what to do.
pub fn match_job(jobs: &[Job], name: &str, project: &Id) -> Result<Job, Error> {
    let exact: Vec<&Job> = jobs.iter().filter(|job| job.name == name).collect();
    match exact.as_slice() {
        [job] => Ok((*job).clone()),
        [] => {
            let other_case: Vec<String> = jobs
                .iter()
                .filter(|job| job.name.eq_ignore_ascii_case(name))
                .take(5)
                .map(|job| format!("{:?}", job.name))
                .collect();
            let hint = match other_case.as_slice() {
                [] => "check the name and --codearts-project".to_string(),
                names => format!("names are case-sensitive, and it has {}", names.join(", ")),
            };
            Err(Error::NotFound(format!(
                "no build job in CodeArts project {} is named {name:?}; {hint}",
                project.as_str()
            )))
        }
        several => {
            let ids: Vec<&str> = several.iter().map(|job| job.id.as_str()).collect();
            let more = match ids.len().saturating_sub(MAX_LISTED_IDS) {
                0 => String::new(),
                n => format!(" and {n} more"),
            };
            Err(Error::NotFound(format!(
                "{} build jobs are named {name:?} (ids {}{more}); pass the one to gate with --job-id",
                ids.len(),
                ids[..ids.len().min(MAX_LISTED_IDS)].join(", ")
            )))
        }
    }
}

#[cfg(test)]
mod tests;
