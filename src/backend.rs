//! The one interface `fetch` reads a job's builds through, whatever service runs them:
//! find a job by name, a page of its builds, a build's details, the phase that failed it.
//! ServiceStage implements it in `servicestage/`, CodeArts Build in `codearts/`.
//!
//! A trait rather than an enum of backends: each backend lives in its own folder and
//! touches nothing else but the choice that builds it (`config::Service::backend`, which
//! `fetch` calls), and `fetch`'s paging, polling and commit search are tested against a
//! fake backend, with no server and no wall time.

use crate::error::Error;
use crate::model::record::BuildIds;
use crate::model::{Build, BuildDetails, Job};

/// Builds asked for per request; the server may send fewer.
pub const PER_PAGE: u32 = 100;
/// A server that keeps sending new builds cannot keep the gate paging for ever.
pub const MAX_PAGES: u32 = 200;

/// Where a page of builds is, in a backend's own terms. ServiceStage pages by `index`
/// alone (its `page` parameter is `index + 1`); CodeArts Build by time `window` (0: the
/// newest), each read whole in one call (its own pages, `page_index` from 0, inside), so
/// its `index` stays 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageRef {
    pub window: u32,
    pub index: u32,
}

/// One page of a job's builds, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    /// The API's own counts of the job's builds, when it sent them.
    pub total: Option<u64>,
    pub finished: Option<u64>,
    pub successful: Option<u64>,
    /// Newest first. A missing or null list is an empty page.
    pub builds: Vec<Build>,
    /// The next, older page; `None` when the backend knows the list ends here.
    pub next: Option<PageRef>,
}

/// A job's builds as a service keeps them. `log` gets a line per request with `-v`.
pub trait Backend {
    /// The one job whose name is `name`, whole (a backend says in which case); none or
    /// several is a `not-found` error saying what to do.
    fn find_job(&self, name: &str, log: &mut dyn FnMut(&str)) -> Result<Job, Error>;

    /// The page of `job`'s builds at `at`; the first is `PageRef::default()`.
    fn page(&self, job: &Job, at: PageRef, log: &mut dyn FnMut(&str)) -> Result<Page, Error>;

    /// What `build` is beyond the list, its commit first of all; they must be that
    /// build's. A backend whose list carries them answers from its pages, unsent.
    fn details(
        &self,
        job: &Job,
        build: &Build,
        log: &mut dyn FnMut(&str),
    ) -> Result<BuildDetails, Error>;

    /// The name of the phase (step) that failed `build`, a Failed or Timeout build;
    /// `None` when the service reports none as failed.
    fn failed_phase(
        &self,
        job: &Job,
        build: &Build,
        log: &mut dyn FnMut(&str),
    ) -> Result<Option<String>, Error>;

    /// What a build id names: one build of the service, or of its job. The run's record
    /// holds a service-wide id listed for two jobs as a contradiction.
    fn build_ids(&self) -> BuildIds;
}
