//! CodeArts Build (formerly CloudBuild), the second backend behind `backend::Backend`: its
//! paths, wire format and parsing, the job lookup by name in a CodeArts project, and the
//! build list read by time window. Parsing is as strict as ServiceStage's: answers are read
//! through `json` (objects only, each key once), counts are checked, contradictions are
//! errors, and ids, states, names, commits, branches and step names go through `text`'s
//! policy. Requests go through the transport (`http::Client`).
//!
//! The build list takes a time window of at most 31 days (`window.rs`), and the API does
//! not document the order within one, so each window is read whole and sorted by `number`
//! before any of it is judged (`paging.rs`); older windows follow while the rules need more
//! builds. A window whose pages contradict its `total_record` is cut short: none of its
//! builds is judged, and the counts the page reports say more builds exist than were
//! received, which leaves every rule inconclusive, never a pass.

mod builds;
mod envelope;
mod jobs;
mod paging;
mod request;
mod steps;
mod window;

use std::cell::RefCell;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::time::UNIX_EPOCH;

use crate::backend::{Backend, Page, PageRef};
use crate::error::Error;
use crate::http::Client;
use crate::model::record::BuildIds;
use crate::model::{Build, BuildDetails, Job};
use crate::secret::{Endpoint, regional};
use builds::{Record, parse_builds_page};
use paging::{WindowRead, read_window};
use request::{Get, builds, history_details, job_list};
pub use request::{Id, IdKind};
use window::{Window, windows};

/// `https://cloudbuild-ext.{region}.myhuaweicloud.com` (`.eu` for the European site).
pub fn endpoint(region: &str) -> Result<Endpoint, String> {
    regional("cloudbuild-ext", region)
}

/// CodeArts Build's jobs, read through one client.
pub struct CodeArts<'c> {
    client: &'c Client<'c>,
    /// Where a job is looked up by name (`--codearts-project`).
    project: Option<Id>,
    /// Every build the current look at the job returned, by number, as listed: older
    /// windows list a build on their shared boundary again, and `details` answers from here.
    listed: RefCell<HashMap<u64, Record>>,
}

impl<'c> CodeArts<'c> {
    pub fn new(client: &'c Client<'c>, project: Option<Id>) -> CodeArts<'c> {
        CodeArts {
            client,
            project,
            listed: RefCell::new(HashMap::new()),
        }
    }

    fn send(&self, get: &Get, log: &mut dyn FnMut(&str)) -> Result<Vec<u8>, Error> {
        self.client.get(&get.path, &get.query_pairs(), log)
    }

    /// The windows as of now on the run's clock, newest first.
    fn windows(&self) -> Vec<Window> {
        let now = self.client.deadline().clock().wall();
        windows(now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()))
    }

    /// The builds of `records` not returned before in this look, newest first; one listed
    /// again with other fields is a `response` error.
    fn keep_new(&self, records: Vec<Record>) -> Result<Vec<Build>, Error> {
        let mut listed = self.listed.borrow_mut();
        let mut new = Vec::new();
        for record in records {
            match listed.entry(record.number) {
                Entry::Vacant(slot) => new.push(slot.insert(record).build()),
                Entry::Occupied(known) if *known.get() == record => {}
                Entry::Occupied(_) => {
                    return Err(Error::Response(format!(
                        "build {} is listed twice with different fields",
                        record.number
                    )));
                }
            }
        }
        Ok(new)
    }

    /// The page for a window cut short: no build, and counts that say so.
    fn cut_short(
        &self,
        window: &Window,
        total_record: u64,
        listed: u64,
        log: &mut dyn FnMut(&str),
    ) -> Page {
        log(&format!(
            "the build list from {} to {} counts {total_record} builds but its pages listed \
             {listed}: the list was cut short, and none of that window's builds is judged",
            window.start_time(),
            window.end_time()
        ));
        let received = self.listed.borrow().len() as u64;
        Page {
            total: Some(received.saturating_add(total_record)),
            ..Page::default()
        }
    }
}

impl Backend for CodeArts<'_> {
    fn find_job(&self, name: &str, log: &mut dyn FnMut(&str)) -> Result<Job, Error> {
        let Some(project) = &self.project else {
            return Err(Error::Usage(
                "--codearts-project is required to look a CodeArts job up by name (or give \
                 --job-id)"
                    .into(),
            ));
        };
        jobs::find(name, project, |index| {
            jobs::parse_job_page(&self.send(&job_list(project, name, index), log)?)
        })
    }

    /// The builds of window `at.window`, read whole; an empty window (or one holding only
    /// builds a newer window listed) moves on to the next, so that a page with nothing
    /// new means the windows ran out. `at.index` is always 0: a window is one page here.
    fn page(&self, job: &Job, at: PageRef, log: &mut dyn FnMut(&str)) -> Result<Page, Error> {
        if at == PageRef::default() {
            self.listed.borrow_mut().clear();
        }
        let windows = self.windows();
        for (index, window) in windows.iter().enumerate().skip(at.window as usize) {
            let get = |page_index| {
                parse_builds_page(&self.send(&builds(&job.id, window, page_index), log)?)
            };
            let records = match read_window(window, get)? {
                WindowRead::Whole(records) => records,
                WindowRead::CutShort {
                    total_record,
                    listed,
                } => return Ok(self.cut_short(window, total_record, listed, log)),
            };
            let builds = self.keep_new(records)?;
            let next = (index + 1 < windows.len()).then(|| PageRef {
                window: index as u32 + 1,
                index: 0,
            });
            if !builds.is_empty() || next.is_none() {
                return Ok(Page {
                    builds,
                    next,
                    ..Page::default()
                });
            }
        }
        Ok(Page::default())
    }

    /// CodeArts numbers each job's builds from 1: build 112 of one job is not another's.
    fn build_ids(&self) -> BuildIds {
        BuildIds::PerJob
    }

    /// From the build list, which carries the commit, branch and times: nothing is sent.
    fn details(
        &self,
        _job: &Job,
        build: &Build,
        _log: &mut dyn FnMut(&str),
    ) -> Result<BuildDetails, Error> {
        let listed = self.listed.borrow();
        let record = build.id.parse().ok().and_then(|number| listed.get(&number));
        let record = record.ok_or_else(|| {
            Error::Response(format!("build {} is not in the build list read", build.id))
        })?;
        Ok(record.details())
    }

    /// The first step of `history-details` in `error`; a build that never ran (403
    /// `CB.00031059`) has none.
    fn failed_phase(
        &self,
        job: &Job,
        build: &Build,
        log: &mut dyn FnMut(&str),
    ) -> Result<Option<String>, Error> {
        match self.send(&history_details(&job.id, &build.id), log) {
            Ok(body) => Ok(steps::failed_step(steps::parse_steps(&body, &build.id)?)),
            Err(e) if envelope::never_ran(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_follows_the_region_and_its_site() {
        let cases = [
            (
                "cn-north-4",
                "https://cloudbuild-ext.cn-north-4.myhuaweicloud.com",
            ),
            (
                "ap-southeast-3",
                "https://cloudbuild-ext.ap-southeast-3.myhuaweicloud.com",
            ),
            (
                "eu-west-101",
                "https://cloudbuild-ext.eu-west-101.myhuaweicloud.eu",
            ),
            (
                "eu-west-0",
                "https://cloudbuild-ext.eu-west-0.myhuaweicloud.com",
            ),
        ];
        for (region, expected) in cases {
            assert_eq!(endpoint(region).unwrap().origin(), expected);
        }
    }
}
