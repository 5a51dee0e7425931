//! The job by name: the job list `GET /assembling/v1/jobs?page=&per_page=&job_name=`
//! (`{total, page, per_page, list: [{job_id, job_name, ...}]}`), the documented name
//! pattern, paging through the list, and the whole-name, case-insensitive match.

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use serde::de::MapAccess;

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
    pub page: Option<u64>,
    pub per_page: Option<u64>,
    pub jobs: Vec<Job>,
}

#[derive(Default)]
struct RawJobPage {
    total: Slot<Option<u64>>,
    page: Slot<Option<u64>>,
    per_page: Slot<Option<u64>>,
    jobs: Slot<Vec<Job>>,
}

impl<'de> Fields<'de> for RawJobPage {
    const WHAT: &'static str = "a job list object";
    fn read<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "total" => json::count(&mut self.total, map, key)?,
            "page" => json::count(&mut self.page, map, key)?,
            "per_page" => json::count(&mut self.per_page, map, key)?,
            "list" => json::list(&mut self.jobs, map, key, 0, RawJob::into_job)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[derive(Default)]
struct RawJob<'a> {
    job_id: Slot<Option<Cow<'a, str>>>,
    job_name: Slot<Option<Cow<'a, str>>>,
}

impl<'de> Fields<'de> for RawJob<'de> {
    const WHAT: &'static str = "a job object";
    fn read<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "job_id" => json::text(&mut self.job_id, map, key)?,
            "job_name" => json::text(&mut self.job_name, map, key)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl RawJob<'_> {
    /// Every job needs a safe, non-empty id and name; the id is one URL path segment.
    fn into_job(index: usize, raw: RawJob) -> Result<Job, String> {
        let place = format!("list[{index}]");
        let id = required_text(raw.job_id.value(), &place, "job_id")?;
        if !is_path_segment(&id) {
            return Err(format!("{place}.job_id {id:?} is not one URL path segment"));
        }
        Ok(Job {
            id,
            name: required_text(raw.job_name.value(), &place, "job_name")?,
        })
    }
}

/// Whether `id` stays one segment of a request's path once percent-encoded: not empty,
/// not a dot segment (`.`, `..`: a client or proxy resolves them), no `/`.
fn is_path_segment(id: &str) -> bool {
    !matches!(id, "" | "." | "..") && !id.contains('/')
}

/// Parses one page of the job list.
pub fn parse_job_page(bytes: &[u8]) -> Result<JobPage, Error> {
    let raw = json::parse(bytes, RawJobPage::default(), JOB_LIST)?;
    Ok(JobPage {
        total: raw.total.value(),
        page: raw.page.value(),
        per_page: raw.per_page.value(),
        jobs: raw.jobs.get().unwrap_or_default(),
    })
}

/// The documented job name: 2-64 letters, digits, `-`, `_`; starts with a letter, ends
/// with a letter or digit.
pub fn is_documented_job_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (2..=64).contains(&bytes.len())
        && bytes[0].is_ascii_alphabetic()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

/// Most job-list pages the lookup reads before it gives up on a server that never ends.
pub const MAX_JOB_PAGES: u32 = 100;

/// The job list as received so far. Paging ends when `total` jobs have arrived or a page
/// brings no job not already seen (a server that ignores `page`).
#[derive(Debug, Default)]
pub struct JobList {
    /// The API's `total` from the first page.
    pub total: Option<u64>,
    /// Each job once, in the order first listed.
    pub jobs: Vec<Job>,
    index_of: HashMap<String, usize>,
    pages: u32,
}

impl JobList {
    /// Adds a page; `Ok(true)` when the next page is needed. The same id under two
    /// names, or a `total` below the jobs listed so far, is a `response` error.
    pub fn absorb(&mut self, page: JobPage) -> Result<bool, Error> {
        if self.pages == 0 {
            self.total = page.total;
        }
        self.pages += 1;
        let claimed = page.total;
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
        if let Some(total) = claimed.filter(|&t| t < self.jobs.len() as u64) {
            return Err(Error::Response(format!(
                "the job list counts {total} job(s) on page {} but lists {}: its count \
                 contradicts its list",
                self.pages,
                self.jobs.len()
            )));
        }
        let brought_new = self.jobs.len() > before;
        let listed_all = self.total.is_some_and(|t| self.jobs.len() as u64 >= t);
        let more = brought_new && !listed_all;
        if more && self.pages >= MAX_JOB_PAGES {
            return Err(Error::Response(format!(
                "the job list was still sending new jobs after {MAX_JOB_PAGES} pages; gave up"
            )));
        }
        Ok(more)
    }
}

/// The job named `name`: the job list filtered by it, page by page (`job_page` gets the
/// filter and the page number, from 1), matched on the whole name in any case.
pub fn find(
    name: &str,
    mut job_page: impl FnMut(Option<&str>, u32) -> Result<JobPage, Error>,
) -> Result<Job, Error> {
    let mut list = JobList::default();
    for number in 1.. {
        if !list.absorb(job_page(Some(name), number)?)? {
            break;
        }
    }
    let found = match_job(&list.jobs, name);
    if found.is_ok() || list.jobs.iter().any(|j| j.name.eq_ignore_ascii_case(name)) {
        return found;
    }
    // The filter left no name close enough to suggest: one more request, for the first
    // page of the whole list. It only explains: a job of that name on it is not judged
    // (one page of the whole list cannot tell whether the name is unique, and the
    // filter said it is not there), and if it fails, the first answer stands.
    match job_page(None, 1).map(|page| match_job(&page.jobs, name)) {
        Ok(Err(hinted)) => Err(hinted),
        Ok(Ok(_)) | Err(_) => found,
    }
}

/// Most ids a "several jobs" error lists.
const MAX_LISTED_IDS: usize = 10;

/// The one job whose name is `name`, whole and case-insensitively, with its name as the
/// list spells it. None or several is a `not-found` error that says what to do.
pub fn match_job(jobs: &[Job], name: &str) -> Result<Job, Error> {
    let matches: Vec<&Job> = jobs
        .iter()
        .filter(|job| job.name.eq_ignore_ascii_case(name))
        .collect();
    match matches.as_slice() {
        [job] => Ok((*job).clone()),
        [] => {
            let closest = closest_names(jobs, name);
            let hint = if closest.is_empty() {
                "the job list has no names to suggest; check the name and the project".into()
            } else {
                format!("closest existing names: {}", closest.join(", "))
            };
            Err(Error::NotFound(format!(
                "no build job is named {name:?}; {hint}"
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

/// Up to five listed names nearest to `name` by edit distance (case-insensitive), ties
/// alphabetical. Only names of the documented pattern: anything else is no job name and
/// would put server text of any shape into the message.
fn closest_names<'a>(jobs: &'a [Job], name: &str) -> Vec<&'a str> {
    let wanted = name.to_ascii_lowercase();
    let mut scored: Vec<(usize, String, &str)> = jobs
        .iter()
        .map(|job| job.name.as_str())
        .filter(|listed| is_documented_job_name(listed))
        .map(|listed| {
            let lower = listed.to_ascii_lowercase();
            (edit_distance(&wanted, &lower), lower, listed)
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.2 == b.2);
    scored
        .into_iter()
        .take(5)
        .map(|(_, _, listed)| listed)
        .collect()
}

/// Levenshtein distance over bytes (job names are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests;
