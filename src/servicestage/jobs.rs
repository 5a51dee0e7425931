//! The job by name: the job list `GET /assembling/v1/jobs?page=&per_page=&job_name=`
//! (`{total, page, per_page, list: [{job_id, job_name, ...}]}`), the documented name
//! pattern, paging through the list, and the whole-name, case-insensitive match.

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use serde::de::MapAccess;

use super::required_text;
use crate::error::Error;
use crate::json::{self, Fields, Named};
use crate::model::Job;

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

impl<'de> Fields<'de> for JobPage {
    const WHAT: &'static str = "a job list object";
    const KEYS: &'static [&'static str] = &["total", "page", "per_page", "list"];
    fn read<A: MapAccess<'de>>(&mut self, key: &'static str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "total" => self.total = json::count(map, key)?,
            "page" => self.page = json::count(map, key)?,
            "per_page" => self.per_page = json::count(map, key)?,
            _ => self.jobs = json::list(map, key, 0, RawJob::into_job)?,
        }
        Ok(())
    }
}

#[derive(Default)]
struct RawJob<'a> {
    job_id: Option<Cow<'a, str>>,
    job_name: Option<Cow<'a, str>>,
}

impl<'de> Fields<'de> for RawJob<'de> {
    const WHAT: &'static str = "a job object";
    const KEYS: &'static [&'static str] = &["job_id", "job_name"];
    fn read<A: MapAccess<'de>>(&mut self, key: &'static str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "job_id" => self.job_id = json::text(map, key)?,
            _ => self.job_name = json::text(map, key)?,
        }
        Ok(())
    }
}

impl RawJob<'_> {
    /// Every job needs a safe, non-empty id and name.
    fn into_job(index: usize, raw: RawJob) -> Result<Job, String> {
        let place = format!("list[{index}]");
        Ok(Job {
            id: required_text(raw.job_id, &place, "job_id")?,
            name: required_text(raw.job_name, &place, "job_name")?,
        })
    }
}

/// Parses one page of the job list.
pub fn parse_job_page(bytes: &[u8]) -> Result<JobPage, Error> {
    json::parse(bytes, JobPage::default(), JOB_LIST)
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

/// The name pattern, enforced only when the id is looked up; `source` is the flag or
/// variable the name came from (`--job-name`, `SERVICESTAGE_JOB_NAME`, `--job`).
pub fn check_job_name(source: &str, name: &str) -> Result<(), Error> {
    if is_documented_job_name(name) {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "{source}: {name:?} is not a ServiceStage job name (2 to 64 letters, digits, '-' or \
         '_', starting with a letter and ending with a letter or digit), so its id cannot be \
         looked up; pass the id with --job-id"
    )))
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
    /// names is a `response` error.
    pub fn absorb(&mut self, page: JobPage) -> Result<bool, Error> {
        if self.pages == 0 {
            self.total = page.total;
        }
        self.pages += 1;
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
mod tests {
    use super::*;

    fn job(id: &str, name: &str) -> Job {
        Job {
            id: id.into(),
            name: name.into(),
        }
    }

    fn page(total: Option<u64>, jobs: &[(&str, &str)]) -> JobPage {
        JobPage {
            total,
            jobs: jobs.iter().map(|(id, name)| job(id, name)).collect(),
            ..JobPage::default()
        }
    }

    fn parse(json: &str) -> Result<JobPage, String> {
        parse_job_page(json.as_bytes()).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_a_page_and_ignores_unknown_fields_of_any_type() {
        let page = parse(
            r#"{"total":3,"page":1,"per_page":2,"extra":[1,{"a":null}],
                "list":[{"job_id":"id-1","job_name":"web-api","creator":{"n":1},"index":4},
                        {"job_id":"id-2","job_name":"Web_Api2","index":"4"}]}"#,
        )
        .unwrap();
        assert_eq!(
            (page.total, page.page, page.per_page),
            (Some(3), Some(1), Some(2))
        );
        assert_eq!(
            page.jobs,
            vec![job("id-1", "web-api"), job("id-2", "Web_Api2")]
        );
        assert!(parse(r#"{"total":0,"list":null}"#).unwrap().jobs.is_empty());
        assert!(parse(r#"{}"#).unwrap().jobs.is_empty());
    }

    #[test]
    fn hostile_pages_are_response_errors_naming_field_and_index() {
        let cases = [
            ("[]", "is not what the API documents"),
            (
                r#"{"list":[["id","name"]]}"#,
                "list[0]: invalid type: sequence, expected a job object",
            ),
            (
                r#"{"list":{"job_id":"a","job_name":"b"}}"#,
                "expected a JSON list",
            ),
            (
                r#"{"list":[{"job_id":"a","job_name":"ab"},{"job_name":"cd"}]}"#,
                "list[1] has no job_id",
            ),
            (r#"{"list":[{"job_id":"a"}]}"#, "list[0] has no job_name"),
            (
                r#"{"list":[{"job_id":"","job_name":"ab"}]}"#,
                "list[0] has no job_id",
            ),
            (
                r#"{"list":[{"job_id":7,"job_name":"ab"}]}"#,
                "list[0]: job_id: invalid type: integer `7`",
            ),
            (
                r#"{"list":[{"job_id":"a","job_name":"ab\u0007"}]}"#,
                "list[0].job_name contains a control character",
            ),
            (
                r#"{"list":[{"job_id":"a\nb","job_name":"ab"}]}"#,
                "list[0].job_id contains a control character",
            ),
            (
                r#"{"list":[{"job_id":"a","job_name":"ab\u200d"}]}"#,
                "list[0].job_name contains an invisible character (U+200D)",
            ),
            (
                r#"{"list":[{"job_id":"a","job_id":"b","job_name":"ab"}]}"#,
                "list[0]: duplicate field `job_id`",
            ),
            (r#"{"total":1e400,"list":[]}"#, "number out of range"),
            (
                r#"{"total":18446744073709551616,"list":[]}"#,
                "total: invalid type: floating point",
            ),
            (
                r#"{"total":-1,"list":[]}"#,
                "total: invalid value: integer `-1`",
            ),
            (r#"{"page":"1","list":[]}"#, "page: invalid type: string"),
            (
                r#"{"list":[{"job_id":"a","job_name":"ab"}"#,
                "list[1]: EOF while parsing",
            ),
            (r#"{"total":2"#, "the job list JSON ends early"),
        ];
        for (json, expected) in cases {
            let err = parse(json).unwrap_err();
            assert!(err.starts_with("response: the job list"), "{json}: {err}");
            assert!(err.contains(expected), "{json}: {err} lacks {expected}");
        }
    }

    #[test]
    fn job_names_follow_the_documented_pattern() {
        let good = [
            "ab",
            "a1",
            "web-api_2",
            "A-b",
            &format!("a{}", "b".repeat(63)),
        ];
        for name in good {
            assert!(is_documented_job_name(name), "{name}");
            assert_eq!(check_job_name("--job-name", name), Ok(()));
        }
        let bad = [
            "",
            "a",
            "1ab",
            "-ab",
            "_ab",
            "ab-",
            "ab_",
            "a b",
            "a.b",
            "a/b",
            "ab\n",
            "ébc",
            "##vso[x]",
            "::error::",
            &format!("a{}", "b".repeat(64)),
        ];
        for name in bad {
            assert!(!is_documented_job_name(name), "{name:?}");
            let err = check_job_name("--job-name", name).unwrap_err();
            assert_eq!(err.kind(), "usage");
            let message = err.message();
            assert!(message.starts_with("--job-name: "), "{message}");
            assert!(
                message.contains("2 to 64 letters") && message.contains("--job-id"),
                "{message}"
            );
            assert!(!message.contains('\n'), "{message}");
        }
        let err = check_job_name("SERVICESTAGE_JOB_NAME", "x").unwrap_err();
        assert!(
            err.message()
                .starts_with("SERVICESTAGE_JOB_NAME: \"x\" is not"),
            "{err}"
        );
    }

    #[test]
    fn paging_ends_at_total_or_when_a_page_brings_nothing_new() {
        // (pages, whether more is needed after each one)
        let cases: [(Vec<JobPage>, Vec<bool>); 5] = [
            (vec![page(Some(1), &[("a", "ab")])], vec![false]),
            (
                vec![
                    page(Some(3), &[("a", "ab"), ("b", "bc")]),
                    page(Some(3), &[("c", "cd")]),
                ],
                vec![true, false],
            ),
            // a server that ignores `page` repeats page 1
            (
                vec![page(Some(9), &[("a", "ab")]), page(Some(9), &[("a", "ab")])],
                vec![true, false],
            ),
            // no total: go on until a page is empty
            (
                vec![page(None, &[("a", "ab")]), page(None, &[])],
                vec![true, false],
            ),
            // later pages' totals do not move the goal
            (
                vec![
                    page(Some(2), &[("a", "ab")]),
                    page(Some(50), &[("b", "bc")]),
                ],
                vec![true, false],
            ),
        ];
        for (pages, expected) in cases {
            let mut list = JobList::default();
            let more: Vec<bool> = pages.into_iter().map(|p| list.absorb(p).unwrap()).collect();
            assert_eq!(more, expected);
        }
    }

    #[test]
    fn paging_keeps_each_job_once_and_refuses_conflicting_names() {
        let mut list = JobList::default();
        list.absorb(page(Some(4), &[("a", "ab"), ("b", "bc"), ("a", "ab")]))
            .unwrap();
        list.absorb(page(Some(4), &[("b", "bc"), ("c", "cd")]))
            .unwrap();
        assert_eq!(
            list.jobs,
            vec![job("a", "ab"), job("b", "bc"), job("c", "cd")]
        );
        let err = list.absorb(page(Some(4), &[("c", "CD")])).unwrap_err();
        assert_eq!(err.kind(), "response");
        assert_eq!(
            err.message(),
            r#"the job list names job c both "cd" and "CD""#
        );
        let err = JobList::default()
            .absorb(page(None, &[("x", "ab"), ("x", "ba")]))
            .unwrap_err();
        assert!(err.message().contains("names job x both"), "{err}");
    }

    #[test]
    fn a_job_list_that_never_ends_is_given_up() {
        let mut list = JobList::default();
        for n in 1..MAX_JOB_PAGES {
            let id = format!("id{n}");
            assert_eq!(list.absorb(page(None, &[(&id, "ab")])), Ok(true));
        }
        let err = list.absorb(page(None, &[("last", "ab")])).unwrap_err();
        assert!(err.message().contains("after 100 pages"), "{err}");
    }

    #[test]
    fn exactly_one_whole_name_match_case_insensitively() {
        let jobs = [job("1", "web-api"), job("2", "Web-API-v2"), job("3", "web")];
        let cases = [
            ("web-api", "1", "web-api"),
            ("WEB-API", "1", "web-api"),
            ("web-api-V2", "2", "Web-API-v2"),
            ("Web", "3", "web"),
        ];
        for (name, id, listed) in cases {
            assert_eq!(match_job(&jobs, name), Ok(job(id, listed)), "{name}");
        }
    }

    #[test]
    fn no_match_suggests_up_to_five_closest_names() {
        let jobs: Vec<Job> = [
            "web-apx",
            "web-api-long-name",
            "Web-apz",
            "mobile",
            "web-ap",
            "api-web",
            "WEB-APIS",
            "web-apy",
            "##vso[task.complete]",
            "a\u{85}b",
        ]
        .iter()
        .enumerate()
        .map(|(i, name)| job(&i.to_string(), name))
        .collect();
        let err = match_job(&jobs, "web-api").unwrap_err();
        assert_eq!(err.kind(), "not-found");
        assert_eq!(
            err.message(),
            "no build job is named \"web-api\"; closest existing names: \
             web-ap, WEB-APIS, web-apx, web-apy, Web-apz"
        );
        let err = match_job(&[], "web-api").unwrap_err();
        assert_eq!(err.kind(), "not-found");
        assert!(err.message().contains("no names to suggest"), "{err}");
        // server text that is no job name is never suggested
        let err = match_job(&jobs[8..], "web-api").unwrap_err();
        assert!(err.message().contains("no names to suggest"), "{err}");
    }

    #[test]
    fn several_matches_list_the_ids_and_ask_for_job_id() {
        let jobs = [job("id-1", "web"), job("id-2", "WEB"), job("id-3", "other")];
        let err = match_job(&jobs, "Web").unwrap_err();
        assert_eq!(err.kind(), "not-found");
        assert_eq!(
            err.message(),
            "2 build jobs are named \"Web\" (ids id-1, id-2); pass the one to gate with --job-id"
        );
        let many: Vec<Job> = (0..12).map(|i| job(&format!("i{i}"), "web")).collect();
        let err = match_job(&many, "web").unwrap_err();
        assert!(err.message().contains("i9 and 2 more)"), "{err}");
    }

    #[test]
    fn edit_distance_is_levenshtein() {
        let cases = [
            ("", "", 0),
            ("abc", "", 3),
            ("", "ab", 2),
            ("kitten", "sitting", 3),
            ("web", "bew", 2),
            ("ab", "ab", 0),
        ];
        for (a, b, d) in cases {
            assert_eq!(edit_distance(a, b), d, "{a} {b}");
            assert_eq!(edit_distance(b, a), d, "{b} {a}");
        }
    }

    #[test]
    fn find_pages_the_filtered_list_then_asks_the_whole_list_for_a_hint() {
        type Asked = Vec<(Option<String>, u32)>;
        let serve = |pages: Vec<JobPage>, whole: Result<JobPage, Error>| {
            let mut asked: Asked = Vec::new();
            let found = find("web-api", |filter, number| {
                asked.push((filter.map(str::to_string), number));
                match filter {
                    Some(_) => Ok(pages.get(number as usize - 1).cloned().unwrap_or_default()),
                    None => whole.clone(),
                }
            });
            (found, asked)
        };
        let filtered = |n: u32| (Some("web-api".to_string()), n);
        let (found, asked) = serve(
            vec![
                page(Some(2), &[("1", "web-api-v2")]),
                page(Some(2), &[("2", "Web-API")]),
            ],
            Ok(JobPage::default()),
        );
        assert_eq!(found, Ok(job("2", "Web-API")));
        assert_eq!(asked, [filtered(1), filtered(2)]);
        let (found, asked) = serve(
            vec![page(Some(1), &[("1", "other")])],
            Ok(page(None, &[("3", "web-apx")])),
        );
        assert!(
            found
                .unwrap_err()
                .message()
                .contains("closest existing names: web-apx")
        );
        assert_eq!(asked, [filtered(1), (None, 1)]);
        let (found, _) = serve(
            vec![page(Some(1), &[("1", "other")])],
            Err(Error::Network("reset".into())),
        );
        assert!(
            found
                .unwrap_err()
                .message()
                .contains("closest existing names: other")
        );
        let (found, _) = serve(
            vec![page(Some(1), &[("1", "other")])],
            Ok(page(None, &[("3", "web-api")])),
        );
        assert!(
            found
                .unwrap_err()
                .message()
                .contains("closest existing names: other"),
            "a match on one page of the whole list is never judged"
        );
    }

    #[test]
    fn ci_command_markers_are_left_for_the_renderers_to_escape() {
        let page =
            parse(r###"{"list":[{"job_id":"::error::x","job_name":"##vso[x]"}]}"###).unwrap();
        assert_eq!(page.jobs, vec![job("::error::x", "##vso[x]")]);
    }
}
