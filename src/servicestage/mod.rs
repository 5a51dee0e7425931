//! The ServiceStage backend: the API's paths (`/assembling/v1/...`), its wire format and
//! its parsing, and the job lookup by name, behind `backend::Backend`. Requests go through
//! the transport (`http::Client`), which adds the credentials, retries and checks.

mod build;
mod jobs;
mod page;

use crate::backend::{Backend, PER_PAGE, Page, PageRef};
use crate::encoding::percent_encode;
use crate::error::Error;
use crate::http::Client;
use crate::model::record::BuildIds;
use crate::model::{Build, BuildDetails, Job};
use crate::secret::{Endpoint, regional};
use build::{failed_phase, parse_build_details, parse_phases};
pub use jobs::is_documented_job_name;
use jobs::{JobPage, parse_job_page};
pub use page::parse_page;

/// `https://servicestage.{region}.myhuaweicloud.com` (`.eu` for the European site).
pub fn endpoint(region: &str) -> Result<Endpoint, String> {
    regional("servicestage", region)
}

/// ServiceStage's build jobs, read through one client.
pub struct ServiceStage<'c> {
    client: &'c Client<'c>,
}

impl<'c> ServiceStage<'c> {
    pub fn new(client: &'c Client<'c>) -> ServiceStage<'c> {
        ServiceStage { client }
    }

    /// One page of the job list, filtered by `name` (the API may match more than it), or
    /// unfiltered.
    fn job_page(
        &self,
        name: Option<&str>,
        page: u32,
        log: &mut dyn FnMut(&str),
    ) -> Result<JobPage, Error> {
        let (page, per_page) = (page.to_string(), PER_PAGE.to_string());
        let mut query = vec![("page", page.as_str()), ("per_page", per_page.as_str())];
        query.extend(name.map(|name| ("job_name", name)));
        parse_job_page(&self.client.get("/assembling/v1/jobs", &query, log)?)
    }
}

impl Backend for ServiceStage<'_> {
    fn find_job(&self, name: &str, log: &mut dyn FnMut(&str)) -> Result<Job, Error> {
        jobs::find(name, |filter, page| self.job_page(filter, page, log))
    }

    /// Page `at.index + 1` of `GET /assembling/v1/jobs/{job_id}/builds?name=`, with the
    /// name as the job list spells it. The next page is always asked for: `fetch` stops
    /// at the API's `total`, or at a page that brings nothing new.
    fn page(&self, job: &Job, at: PageRef, log: &mut dyn FnMut(&str)) -> Result<Page, Error> {
        let path = format!(
            "/assembling/v1/jobs/{}/builds",
            percent_encode(job.id.as_bytes())
        );
        let (page, per_page) = ((at.index + 1).to_string(), PER_PAGE.to_string());
        let query = [
            ("name", job.name.as_str()),
            ("page", &page),
            ("per_page", &per_page),
        ];
        // The body holds no credential (the client checked), so neither can the parser's
        // errors.
        let mut page = parse_page(&self.client.get(&path, &query, log)?)?;
        page.next = Some(PageRef {
            window: 0,
            index: at.index + 1,
        });
        Ok(page)
    }

    fn details(
        &self,
        _job: &Job,
        build: &Build,
        log: &mut dyn FnMut(&str),
    ) -> Result<BuildDetails, Error> {
        let path = format!(
            "/assembling/v1/builds/{}",
            percent_encode(build.id.as_bytes())
        );
        parse_build_details(&self.client.get(&path, &[], log)?, &build.id)
    }

    fn failed_phase(
        &self,
        _job: &Job,
        build: &Build,
        log: &mut dyn FnMut(&str),
    ) -> Result<Option<String>, Error> {
        let path = format!(
            "/assembling/v1/builds/{}/phases",
            percent_encode(build.id.as_bytes())
        );
        let list = parse_phases(&self.client.get(&path, &[], log)?, &build.id)?;
        Ok(failed_phase(&list.phases).map(|phase| phase.name.clone()))
    }

    /// A ServiceStage build id is the service's (`/assembling/v1/builds/{build_id}`).
    fn build_ids(&self) -> BuildIds {
        BuildIds::Service
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_follows_the_region() {
        let cases = [
            (
                "cn-north-4",
                "https://servicestage.cn-north-4.myhuaweicloud.com",
            ),
            (
                "eu-west-101",
                "https://servicestage.eu-west-101.myhuaweicloud.eu",
            ),
        ];
        for (region, expected) in cases {
            assert_eq!(endpoint(region).unwrap().origin(), expected);
        }
    }
}
