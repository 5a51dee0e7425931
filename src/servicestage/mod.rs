//! The ServiceStage backend: the API's paths (`/assembling/v1/...`), its wire format and
//! its parsing, and the job lookup by name, behind `backend::Backend`. Requests go through
//! the transport (`http::Client`), which adds the credentials, retries and checks.

mod build;
mod jobs;
mod page;

use std::borrow::Cow;

use crate::backend::{Backend, PER_PAGE, Page, PageRef};
use crate::encoding::percent_encode;
use crate::error::Error;
use crate::http::Client;
use crate::model::record::BuildIds;
use crate::model::{Build, BuildDetails, Job};
use crate::secret::{Endpoint, regional};
use crate::text;
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

/// Longest id, name, branch or time the gate accepts: ids go into request paths and every
/// report, and ServiceStage's are far shorter.
const MAX_TEXT: usize = 256;

/// Why `text` (at `place`, e.g. `list[3].build_id`) may not be repeated: a hidden
/// character (the one server-text policy), or more than `MAX_TEXT` bytes.
#[expect(
    clippy::ptr_arg,
    reason = "whether the text was borrowed from the JSON is the fast path"
)]
fn checked(text: &Cow<str>, place: impl Fn() -> String) -> Result<(), String> {
    let refused = match text {
        Cow::Borrowed(unescaped) => text::refused_unescaped(unescaped),
        Cow::Owned(unescaped) => text::refused(unescaped),
    };
    if let Some(c) = refused {
        return Err(format!("{} {}", place(), text::problem(c)));
    }
    if text.len() > MAX_TEXT {
        return Err(format!(
            "{} is {} bytes long (at most {MAX_TEXT})",
            place(),
            text.len()
        ));
    }
    Ok(())
}

/// A present, non-empty, checked string for `field` at `place` (`list[3]`, `details`).
fn required_text(value: Option<Cow<str>>, place: &str, field: &str) -> Result<String, String> {
    match optional_text(value, place, field)? {
        Some(text) => Ok(text),
        None => Err(format!("{place} has no {field}")),
    }
}

/// An absent, null or blank string is `None`; anything else must pass `checked`.
fn optional_text(
    value: Option<Cow<str>>,
    place: &str,
    field: &str,
) -> Result<Option<String>, String> {
    let Some(text) = value.filter(|t| !t.trim().is_empty()) else {
        return Ok(None);
    };
    checked(&text, || format!("{place}.{field}"))?;
    Ok(Some(text.into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_checked_for_hidden_characters_and_length_only() {
        let cases = [
            ("main", Ok(Some("main"))),
            ("feature/x-1", Ok(Some("feature/x-1"))),
            (
                "2025-06-24 12:10:30 +0000 UTC",
                Ok(Some("2025-06-24 12:10:30 +0000 UTC")),
            ),
            // CI command markers are the renderers' to escape, as for every id
            (
                "::error::x ##vso[task.complete] ##[error]",
                Ok(Some("::error::x ##vso[task.complete] ##[error]")),
            ),
            (" ", Ok(None)),
            ("a\nb", Err("the build.branch contains a control character")),
            (
                "a\u{85}b",
                Err("the build.branch contains a control character"),
            ),
            (
                "ma\u{202e}in",
                Err("the build.branch contains an invisible character (U+202E)"),
            ),
            (
                "a\u{2028}b",
                Err("the build.branch contains an invisible character (U+2028)"),
            ),
        ];
        for (text, expected) in cases {
            // Escaped in the JSON: only then can a C0 control be in it.
            let got = optional_text(Some(Cow::Owned(text.into())), "the build", "branch");
            assert_eq!(
                got.as_ref().map(Option::as_deref).map_err(String::as_str),
                expected,
                "{text:?}"
            );
        }
        assert_eq!(optional_text(None, "the build", "branch"), Ok(None));
        let long = "b".repeat(MAX_TEXT + 1);
        let err = optional_text(Some(Cow::Owned(long)), "the build", "branch").unwrap_err();
        assert!(
            err.starts_with("the build.branch is 257 bytes long"),
            "{err}"
        );
        let err = required_text(Some(Cow::Borrowed("")), "list[2]", "job_id").unwrap_err();
        assert_eq!(err, "list[2] has no job_id");
    }

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
