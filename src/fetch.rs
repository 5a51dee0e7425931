//! Getting the builds: from a saved response, or from the API page by page, polling
//! while `--wait` asks for a build that has not finished.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use crate::client::{Client, Deadline, MAX_BODY, Session};
use crate::config::{Config, JobRef, Secret, Source};
use crate::error::Error;
use crate::lookup::build::{BuildDetails, CommitPrefix, failed_phase};
use crate::lookup::jobs::{Job, JobList, match_job};
use crate::model::{self, Build, FailedPhase, Page};
use crate::rules::{History, RuleConfig};
use crate::select;

/// Builds asked for per request; the server may send fewer.
pub const PER_PAGE: u32 = 100;
/// A server that keeps sending new builds cannot keep the gate paging for ever.
pub const MAX_PAGES: u32 = 200;

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

/// The builds the rules need, from wherever the config says. `log` gets the lines meant
/// for stderr: wait progress, and each request with `--verbose`. The whole fetch, lookup,
/// polls, pages, details and retries included, ends by `--wait` (or, without it, the
/// client's run budget). `on_secret` gets each token the run obtains itself (IAM login),
/// to be masked.
pub fn history(
    config: &Config,
    log: &mut dyn FnMut(&str),
    on_secret: &(dyn Fn(&Secret) + Sync),
) -> Fetched {
    let api = match &config.source {
        Source::Saved(path) => {
            return Fetched {
                job: config.job.clone(),
                history: load_saved(path.as_deref()),
                requests: 0,
            };
        }
        Source::Api(api) => api,
    };
    let session = Session::new(&api.credentials, on_secret);
    let deadline = Deadline::for_run(config.wait, api);
    job_history(config, &config.job, &session, deadline, log)
}

/// One job from the API, under a session (one login) and a deadline that several jobs
/// (`--job`) share, over a client and connection of its own: its id is looked up by name
/// when `job` has none, then its builds are fetched, polled and explained.
pub fn job_history(
    config: &Config,
    job: &JobRef,
    session: &Session,
    deadline: Deadline,
    log: &mut dyn FnMut(&str),
) -> Fetched {
    let fetched = |history, requests| Fetched {
        job: job.clone(),
        history,
        requests,
    };
    let Source::Api(api) = &config.source else {
        let refused = Error::Usage("the jobs are fetched through the API, not --input".into());
        return fetched(Err(refused), 0);
    };
    let client = match Client::new(api, config.verbose, deadline, session) {
        Ok(client) => client,
        Err(e) => return fetched(Err(e), 0),
    };
    let name = job.name.clone().unwrap_or_default();
    let job_found = match &job.id {
        Some(id) => Ok(Job {
            id: id.clone(),
            name,
        }),
        None => look_up(&client, &name, log),
    };
    let mut judged = job.clone();
    let history = job_found.and_then(|job| {
        judged = JobRef {
            id: Some(job.id.clone()),
            name: Some(job.name.clone()),
        };
        let mut history = poll(&client, config, &job, log)?;
        explain(&client, &mut history, &config.rules, log);
        Ok(history)
    });
    Fetched {
        job: judged,
        history,
        requests: client.requests(),
    }
}

/// The job named `name`: the job list filtered by it, page by page, matched on the whole
/// name in any case.
fn look_up(client: &Client, name: &str, log: &mut dyn FnMut(&str)) -> Result<Job, Error> {
    let mut list = JobList::default();
    for number in 1.. {
        if !list.absorb(client.job_page(Some(name), number, PER_PAGE, log)?)? {
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
    match client
        .job_page(None, 1, PER_PAGE, log)
        .map(|page| match_job(&page.jobs, name))
    {
        Ok(Err(hinted)) => Err(hinted),
        Ok(Ok(_)) | Err(_) => found,
    }
}

/// Looks at the job, and again after each `--poll-interval` while `--wait` has time and
/// the target is not there or not finished.
fn poll(
    client: &Client,
    config: &Config,
    job: &Job,
    log: &mut dyn FnMut(&str),
) -> Result<History, Error> {
    let deadline = client.deadline();
    let mut details = DetailsCache::default();
    let mut previous = None;
    loop {
        let history = match look(client, &config.rules, job, &mut details, log) {
            Ok(history) => history,
            Err(e) => {
                return match previous {
                    // The deadline cut a poll short: the last complete look is the answer.
                    Some(previous) if deadline.passed() => Ok(previous),
                    _ => Err(e),
                };
            }
        };
        let awaited = history.awaited(&config.rules);
        let (Some(awaited), false) = (awaited, config.wait.is_zero()) else {
            return Ok(history);
        };
        let left = deadline.left();
        if left.is_zero() {
            return Ok(history);
        }
        let left_text = humantime::format_duration(Duration::from_secs(left.as_secs()));
        log(&format!("waiting for {awaited}, {left_text} left"));
        // `--poll-interval` is at least 1 s, so polls never come faster than that.
        std::thread::sleep(config.poll_interval.min(left));
        if deadline.passed() {
            return Ok(history);
        }
        previous = Some(history);
    }
}

/// One look: the pages the rules need, then, with `--commit`, the search for its build.
fn look(
    client: &Client,
    rules: &RuleConfig,
    job: &Job,
    details: &mut DetailsCache,
    log: &mut dyn FnMut(&str),
) -> Result<History, Error> {
    let mut history = collect(|n| client.page(job, n, PER_PAGE, log), rules)?;
    if let Some(commit) = &rules.commit {
        let candidates = select::commit_candidates(&history.builds, rules.window);
        let mut read = |build: &Build| details.read(client, build, log);
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

/// Build details kept across polls. Only details that name a commit are kept (a queued
/// build may not have one yet), and a build that finished since is read again for its
/// end time.
#[derive(Default)]
struct DetailsCache(HashMap<String, BuildDetails>);

impl DetailsCache {
    fn read(
        &mut self,
        client: &Client,
        build: &Build,
        log: &mut dyn FnMut(&str),
    ) -> Result<BuildDetails, Error> {
        if let Some(kept) = self.0.get(&build.id)
            && (kept.state.is_some() || !build.is_finished())
        {
            return agreeing(build, kept.clone());
        }
        let details = client.build_details(&build.id, log)?;
        if details.commit.is_some() {
            self.0.insert(build.id.clone(), details.clone());
        }
        agreeing(build, details)
    }
}

/// The details, when they agree with the list on how the build ended. Two answers about
/// one build that name different end states leave the gate unable to know which is true
/// (a build never changes its end state), so neither is judged.
fn agreeing(build: &Build, details: BuildDetails) -> Result<BuildDetails, Error> {
    match (build.state(), details.state) {
        (Some(listed), Some(detailed)) if listed != detailed => Err(Error::Response(format!(
            "build {} is {listed} in the build list but {detailed} in its details",
            build.id
        ))),
        _ => Ok(details),
    }
}

/// For a Failed or Timeout target, the phase that failed it: one more request, which only
/// explains. If it fails the phase is unavailable; the verdict does not change.
fn explain(client: &Client, history: &mut History, rules: &RuleConfig, log: &mut dyn FnMut(&str)) {
    let Some(target) = history.target(rules).map(|i| &history.builds[i]) else {
        return;
    };
    if !target.state().is_some_and(|s| s.is_failure()) {
        return;
    }
    let phase = match client.phases(&target.id, log) {
        Ok(list) => failed_phase(&list.phases).map_or(FailedPhase::NotReported, |p| {
            FailedPhase::Named(p.name.clone())
        }),
        Err(e) => FailedPhase::Unavailable(e.to_string()),
    };
    history.explanation.failed_phase = Some(phase);
}

/// Reads a saved response from a file, or stdin when `path` is `None`.
pub fn load_saved(path: Option<&Path>) -> Result<History, Error> {
    let name = path.map_or_else(|| "stdin".to_string(), |p| p.display().to_string());
    let source: std::io::Result<(Box<dyn Read>, u64)> = match path {
        // A file's size lets the buffer be allocated once, so it is read in one go.
        Some(path) => std::fs::File::open(path)
            .map(|file| (file.metadata().map_or(0, |m| m.len()), file))
            .map(|(size, file)| (Box::new(file) as Box<dyn Read>, size)),
        None => Ok((Box::new(std::io::stdin().lock()), 0)),
    };
    let mut bytes = Vec::new();
    // Never more than one byte past the cap, whatever the file claims or holds.
    let read = source.and_then(|(reader, size)| {
        bytes.reserve(size.min(MAX_BODY) as usize + 1);
        reader.take(MAX_BODY + 1).read_to_end(&mut bytes)
    });
    read.map_err(|e| Error::Usage(format!("--input: cannot read {name}: {e}")))?;
    if bytes.len() as u64 > MAX_BODY {
        return Err(Error::Response(format!(
            "--input: {name} is over the {} MiB limit",
            MAX_BODY >> 20
        )));
    }
    let page = model::parse_page_slice(&bytes)?;
    let mut history = History::default();
    absorb(&mut history, &mut Seen::default(), page)?;
    Ok(history)
}

/// The build ids received so far, as a hash of each id and the index of its build, so
/// that no id is copied; equal hashes are settled by comparing the ids themselves.
///
/// Ids come from the server, so they can be made to collide in the fast hash: each
/// collision costs a scan of the builds. After `MAX_COLLISIONS` of them the set moves to
/// SipHash with a random key (what `HashMap` uses, and where collisions cannot be aimed),
/// so a hostile list costs at most that many scans of the at most 16 MiB it fits in.
#[derive(Default)]
struct Seen {
    indexes: HashMap<u64, usize, BuildHasherDefault<IdHasher>>,
    keyed: Option<RandomState>,
    collisions: u32,
}

const MAX_COLLISIONS: u32 = 64;

impl Seen {
    fn hash(&self, id: &str) -> u64 {
        match &self.keyed {
            None => BuildHasherDefault::<IdHasher>::default().hash_one(id),
            Some(keyed) => keyed.hash_one(id),
        }
    }

    /// The index in `builds` of a build with `build`'s id, if one was received; records
    /// `build` as at index `builds.len()` if not.
    fn find_or_record(&mut self, builds: &[Build], build: &Build) -> Option<usize> {
        let hash = self.hash(&build.id);
        match self.indexes.get(&hash) {
            None => {
                self.indexes.insert(hash, builds.len());
                None
            }
            Some(&first) if builds[first].id == build.id => Some(first),
            Some(_) if self.collisions < MAX_COLLISIONS || self.keyed.is_some() => {
                self.collisions += 1;
                builds.iter().position(|b| b.id == build.id)
            }
            Some(_) => {
                self.rehash_keyed(builds);
                self.find_or_record(builds, build)
            }
        }
    }

    /// Hashes every id received again, with SipHash and a random key.
    fn rehash_keyed(&mut self, builds: &[Build]) {
        let keyed = RandomState::new();
        self.indexes.clear();
        for (index, build) in builds.iter().enumerate() {
            self.indexes
                .entry(keyed.hash_one(&build.id))
                .or_insert(index);
        }
        self.keyed = Some(keyed);
    }
}

/// A multiply-rotate hash in the manner of rustc's FxHash: a few instructions per 8 bytes
/// where SipHash took 3.4% of a 10,000-build run. Not keyed: `Seen` guards against ids
/// made to collide.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0xf135_7aea_2e62_a9c5);
    }

    /// The multiplication leaves the best-mixed bits at the top; the map picks buckets
    /// from the bottom ones.
    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }
}

/// Adds a page's builds not seen before, and the API's counts: the largest each page
/// gave, so that counts a later page sends still reveal a list cut short. Returns whether
/// the page brought anything new. An id listed again with other fields is a `response`
/// error: the gate cannot know which of the two is true.
fn absorb(history: &mut History, seen: &mut Seen, page: Page) -> Result<bool, Error> {
    for (count, sent) in [
        (&mut history.total, page.total),
        (&mut history.finished, page.finished),
        (&mut history.successful, page.successful),
    ] {
        *count = (*count).max(sent);
    }
    let before = history.builds.len();
    seen.indexes.reserve(page.builds.len());
    // The first page's list becomes the history's, uncopied; later pages are appended.
    if before == 0 {
        history.builds = page.builds;
    } else {
        history.builds.extend(page.builds);
    }
    // Each new build moves down to the end of the kept ones, or is dropped as a repeat.
    let builds = &mut history.builds;
    let mut kept = before;
    for index in 0..builds.len() - before {
        let at = before + index;
        match seen.find_or_record(&builds[..kept], &builds[at]) {
            None => {
                builds.swap(kept, at);
                kept += 1;
            }
            Some(first) if builds[first] == builds[at] => {}
            Some(_) => {
                return Err(Error::Response(format!(
                    "list[{index}]: build {} is listed twice with different fields",
                    builds[at].id
                )));
            }
        }
    }
    builds.truncate(kept);
    Ok(kept > before)
}

/// Pages through the list until the rules have what they need, the list ends, or a page
/// brings nothing new (a server that ignores `page`). Builds are never counted twice.
pub fn collect(
    mut get_page: impl FnMut(u32) -> Result<Page, Error>,
    rules: &RuleConfig,
) -> Result<History, Error> {
    let mut history = History::default();
    let mut seen = Seen::default();
    for number in 1..=MAX_PAGES {
        let page = get_page(number)?;
        let total = page.total;
        let nothing_new = !absorb(&mut history, &mut seen, page)?;
        let listed_all = total.is_some_and(|t| history.builds.len() as u64 >= t);
        if nothing_new || listed_all || !select::needs_more(&history.builds, rules.targeting()) {
            return Ok(history);
        }
    }
    Err(Error::Response(format!(
        "the API was still sending new builds after {MAX_PAGES} pages of {PER_PAGE}; gave up"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Build, State};

    fn build(id: &str) -> Build {
        Build::finished(id, State::Successful, 60)
    }

    fn page(total: Option<u64>, ids: &[&str]) -> Page {
        Page {
            total,
            builds: ids.iter().map(|id| build(id)).collect(),
            ..Page::default()
        }
    }

    /// Serves `pages` in turn (empty pages after them) and counts the requests.
    fn collect_from(pages: Vec<Page>, rules: &RuleConfig) -> (Result<History, Error>, u32) {
        let mut asked = 0;
        let result = collect(
            |n| {
                asked = n;
                Ok(pages.get(n as usize - 1).cloned().unwrap_or_default())
            },
            rules,
        );
        (result, asked)
    }

    fn ids(history: &History) -> Vec<&str> {
        history.builds.iter().map(|b| b.id.as_str()).collect()
    }

    #[test]
    fn paging_stops_when_it_should() {
        let window = RuleConfig {
            window: 5,
            min_success_rate: Some(crate::rules::Percent(50.0)),
            ..RuleConfig::default()
        };
        let by_id = |id: &str| RuleConfig {
            build_id: Some(id.into()),
            ..RuleConfig::default()
        };
        // name, pages served, rules, builds collected, pages asked for
        type Case<'a> = (&'a str, Vec<Page>, RuleConfig, Vec<&'a str>, u32);
        let cases: Vec<Case> = vec![
            (
                "the target is on page 1",
                vec![page(None, &["a", "b"]), page(None, &["c"])],
                RuleConfig::default(),
                vec!["a", "b"],
                1,
            ),
            (
                "an empty page ends the list",
                vec![page(None, &["a"]), page(None, &[])],
                by_id("x"),
                vec!["a"],
                2,
            ),
            (
                "total ends the list",
                vec![page(Some(2), &["a", "b"])],
                by_id("x"),
                vec!["a", "b"],
                1,
            ),
            (
                "a repeated page ends it",
                vec![page(None, &["a", "b"]), page(None, &["a", "b"])],
                window.clone(),
                vec!["a", "b"],
                2,
            ),
            (
                "overlap is counted once",
                vec![
                    page(None, &["a", "b"]),
                    page(None, &["b", "c"]),
                    page(None, &[]),
                ],
                window.clone(),
                vec!["a", "b", "c"],
                3,
            ),
            (
                "the window spans pages",
                vec![
                    page(None, &["a", "b"]),
                    page(None, &["c", "d"]),
                    page(None, &["e", "f"]),
                    page(None, &["g"]),
                ],
                window,
                vec!["a", "b", "c", "d", "e", "f"],
                3,
            ),
            (
                "build id on page 3",
                vec![
                    page(None, &["a"]),
                    page(None, &["b"]),
                    page(None, &["c"]),
                    page(None, &["d"]),
                ],
                by_id("c"),
                vec!["a", "b", "c"],
                3,
            ),
        ];
        for (name, pages, rules, expected, requests) in cases {
            let (result, asked) = collect_from(pages, &rules);
            let history = result.unwrap();
            assert_eq!((ids(&history), asked), (expected, requests), "{name}");
        }
    }

    #[test]
    fn a_server_that_never_ends_hits_the_page_cap() {
        let mut asked = 0;
        let result = collect(
            |n| {
                asked = n;
                Ok(page(None, &[&format!("b{n}")]))
            },
            &RuleConfig {
                build_id: Some("never".into()),
                ..RuleConfig::default()
            },
        );
        assert_eq!(asked, MAX_PAGES);
        let err = result.unwrap_err();
        assert_eq!(err.kind(), "response");
        assert!(err.message().contains("after 200 pages"), "{err}");
    }

    #[test]
    fn the_first_page_gives_the_api_counts() {
        let first = Page {
            total: Some(40),
            finished: Some(39),
            successful: Some(30),
            builds: vec![build("a")],
        };
        let (result, _) = collect_from(vec![first], &RuleConfig::default());
        let history = result.unwrap();
        assert_eq!(
            (history.total, history.finished, history.successful),
            (Some(40), Some(39), Some(30))
        );
    }

    #[test]
    fn an_error_on_any_page_is_the_result() {
        let result = collect(
            |n| match n {
                1 => Ok(page(None, &["a"])),
                _ => Err(Error::Network("reset".into())),
            },
            &RuleConfig {
                build_id: Some("z".into()),
                ..RuleConfig::default()
            },
        );
        assert_eq!(result.unwrap_err(), Error::Network("reset".into()));
    }

    #[test]
    fn an_id_listed_again_with_other_fields_is_a_response_error() {
        let failed = |id: &str| Build::finished(id, State::Failed, 60);
        let pages = |pages: Vec<Vec<Build>>| -> Vec<Page> {
            pages
                .into_iter()
                .map(|builds| Page {
                    builds,
                    ..Page::default()
                })
                .collect()
        };
        let window = RuleConfig {
            window: 5,
            max_consecutive_failures: Some(1),
            ..RuleConfig::default()
        };
        let conflicts = [
            (
                "in one page",
                pages(vec![vec![build("a"), failed("a")]]),
                "list[1]: build a",
            ),
            (
                "across pages",
                pages(vec![vec![build("a"), build("b")], vec![failed("b")]]),
                "list[0]: build b",
            ),
            (
                "another duration",
                pages(vec![vec![
                    build("a"),
                    Build::finished("a", State::Successful, 61),
                ]]),
                "list[1]: build a",
            ),
        ];
        for (name, served, which) in conflicts {
            let (result, _) = collect_from(served, &window);
            let err = result.unwrap_err();
            assert_eq!(err.kind(), "response", "{name}");
            assert_eq!(
                err.message(),
                format!("{which} is listed twice with different fields"),
                "{name}"
            );
        }
        let (identical, _) = collect_from(
            pages(vec![
                vec![build("a"), build("a")],
                vec![build("a"), build("b")],
            ]),
            &window,
        );
        assert_eq!(ids(&identical.unwrap()), ["a", "b"]);
    }

    #[test]
    fn ids_made_to_collide_move_the_set_to_a_keyed_hash() {
        let builds = [build("a")];
        let mut seen = Seen {
            collisions: MAX_COLLISIONS,
            ..Seen::default()
        };
        seen.indexes.insert(seen.hash("a"), 0);
        // "b" lands where "a" is, as a server's crafted id would.
        seen.indexes.insert(seen.hash("b"), 0);
        assert_eq!(seen.find_or_record(&builds, &build("b")), None);
        assert!(seen.keyed.is_some());
        assert_eq!(seen.find_or_record(&builds, &build("a")), Some(0));
        assert_eq!(
            seen.find_or_record(&[build("a"), build("b")], &build("b")),
            Some(1)
        );
    }

    #[test]
    fn a_saved_response_with_a_conflict_is_refused() {
        let path = std::env::temp_dir().join(format!("gate-conflict-{}.json", std::process::id()));
        std::fs::write(
            &path,
            r#"{"list":[{"build_id":"a","build_state":"Failed","duration":1},
                        {"build_id":"a","build_state":"Successful","duration":1}]}"#,
        )
        .unwrap();
        let result = load_saved(Some(&path));
        let _ = std::fs::remove_file(&path);
        assert_eq!(
            result.unwrap_err(),
            Error::Response("list[1]: build a is listed twice with different fields".into())
        );
    }
}
