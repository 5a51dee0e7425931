//! The job by name: `GET /v1/job/{project}/list?search=` in either of its two live shapes,
//! `{"result": {"job_list": [...], "total": N}}` (what the service answers) or
//! `{"jobs": [...], "total": N}` (what the reference documents), and nothing else; paging
//! from 0; the whole-name, case-sensitive match.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io::Read;

use serde::Deserialize;
use serde::de::MapAccess;

use super::envelope::{self, RawError};
use super::request::{Id, is_id};
use super::required_text;
use super::shared::{Error, Fields, Job, List, Object, json};

/// One page of the job list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobPage {
    pub total: Option<u64>,
    pub jobs: Vec<Job>,
}

#[derive(Default)]
struct RawAnswer {
    result: Option<RawResult>,
    /// `Some` when the key was sent (`null` is an empty list).
    jobs: Option<Vec<RawJob>>,
    total: Option<Total>,
    status: Option<String>,
    error: Option<RawError>,
}

impl Fields for RawAnswer {
    const WHAT: &'static str = "job list";
    fn read<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "result" => self.result = json::field::<_, Option<Object<_>>>(map, key)?.map(|o| o.0),
            "jobs" => self.jobs = Some(json::field::<_, List<_>>(map, key)?.0),
            "total" => self.total = json::field(map, key)?,
            "status" => self.status = json::text(map, key)?,
            "error" => self.error = json::field::<_, Option<Object<_>>>(map, key)?.map(|o| o.0),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[derive(Default)]
struct RawResult {
    job_list: Option<Vec<RawJob>>,
    total: Option<Total>,
}

impl Fields for RawResult {
    const WHAT: &'static str = "job list result";
    fn read<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "job_list" => self.job_list = Some(json::field::<_, List<_>>(map, key)?.0),
            "total" => self.total = json::field(map, key)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// A count as a JSON number or a string of digits: the two shapes differ here too.
#[derive(Deserialize)]
#[serde(untagged)]
enum Total {
    Number(u64),
    Text(String),
}

#[derive(Default)]
struct RawJob {
    id: Option<String>,
    job_name: Option<String>,
}

impl Fields for RawJob {
    const WHAT: &'static str = "job";
    fn read<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        let slot = match key {
            "id" => &mut self.id,
            "job_name" => &mut self.job_name,
            _ => return Ok(false),
        };
        *slot = json::text(map, key)?;
        Ok(true)
    }
}

/// Parses one page of the job list: an answer that says it failed is an error, and every
/// job needs a CodeArts job id and a safe, non-empty name.
pub fn parse_job_page(reader: impl Read) -> Result<JobPage, Error> {
    let raw: RawAnswer = json::parse(reader, "job list")?;
    envelope::succeeded(raw.status, raw.error, false, "the job list")?;
    checked_page(raw.result, raw.jobs, raw.total)
        .map_err(|problem| Error::Response(format!("the job list: {problem}")))
}

fn checked_page(
    result: Option<RawResult>,
    jobs: Option<Vec<RawJob>>,
    top_total: Option<Total>,
) -> Result<JobPage, String> {
    let (place, list, total) = match (result, jobs) {
        (Some(result), None) => {
            if top_total.is_some() {
                return Err("total is beside result (expected result.total)".into());
            }
            let list = result.job_list.ok_or("result has no job_list")?;
            (
                "result.job_list",
                list,
                count(result.total, "result.total")?,
            )
        }
        (None, Some(jobs)) => ("jobs", jobs, count(top_total, "total")?),
        (Some(_), Some(_)) => return Err("it has both result and jobs".into()),
        (None, None) => return Err("it has neither result.job_list nor jobs".into()),
    };
    let jobs = list
        .into_iter()
        .enumerate()
        .map(|(index, raw)| checked_job(raw, &format!("{place}[{index}]")))
        .collect::<Result<Vec<Job>, String>>()?;
    if let Some(total) = total
        && (jobs.len() as u64) > total
    {
        return Err(format!(
            "total is {total} but {} jobs are listed",
            jobs.len()
        ));
    }
    Ok(JobPage { total, jobs })
}

fn count(total: Option<Total>, field: &str) -> Result<Option<u64>, String> {
    match total {
        None => Ok(None),
        Some(Total::Number(n)) => Ok(Some(n)),
        Some(Total::Text(text)) => match text.parse::<u64>() {
            Ok(n) if text.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(n)),
            _ => Err(format!(
                "{field} {:?} is not a count",
                text.chars().take(40).collect::<String>()
            )),
        },
    }
}

fn checked_job(raw: RawJob, place: &str) -> Result<Job, String> {
    let id = required_text(raw.id, place, "id")?;
    if !is_id(&id) {
        return Err(format!(
            "{place}.id {id:?} is not a CodeArts job id (32 lower-case letters and digits)"
        ));
    }
    let name = required_text(raw.job_name, place, "job_name")?;
    Ok(Job { id, name })
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
