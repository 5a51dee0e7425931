//! One page of a job's builds within a time window, `GET /v1/record/{job_id}/list`:
//! `{"result": {"page_index": "0", "total_page": "2", "total_record": "44",
//! "job_build_states": [...]}, "error": null, "status": "success"}` (the counts are
//! strings), parsed strictly: a build the rules cannot trust is an error that names the
//! field and the build's index, never a silently skipped entry. Each build becomes the
//! domain's `Build` and the `BuildDetails` the list carries.

use std::borrow::Cow;

use serde::de::MapAccess;

use super::envelope::Envelope;
use super::window::wall_clock;
use crate::backend::PER_PAGE;
use crate::error::Error;
use crate::json::{self, Fields, Named, Slot};
use crate::model::{Build, BuildDetails, Progress, State};
use crate::text::{optional_text, required_text};

const BUILD_LIST: Named = Named {
    name: "build list",
    expected: "what the API documents",
};

/// One build as CodeArts listed it, checked. Kept small: a look at a busy job holds
/// thousands of them, and the domain's types are made from them when asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The build `number`: the build id the gate reports and asks `history-details` for.
    pub number: u64,
    pub progress: Progress,
    /// Milliseconds since the epoch; the end only for a finished build.
    pub start_ms: Option<u64>,
    pub end_ms: Option<u64>,
    /// Lower-case hex.
    pub commit: Option<String>,
    pub branch: Option<String>,
}

impl Record {
    pub fn build(&self) -> Build {
        Build {
            id: self.number.to_string(),
            progress: self.progress.clone(),
        }
    }

    /// What the list says beyond the build: commit, branch, start and end.
    pub fn details(&self) -> BuildDetails {
        BuildDetails {
            build_id: self.number.to_string(),
            // The list's own word, as the record holds details against the list.
            state: Some(match &self.progress {
                Progress::Finished { state, .. } => state.name().to_string(),
                Progress::Unfinished { state, .. } => state.clone(),
            }),
            commit: self.commit.clone(),
            branch: self.branch.clone(),
            started_at: self.start_ms.map(utc),
            ended_at: self.end_ms.map(utc),
        }
    }
}

/// One page of builds: the API's counts, and the builds in the order listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildsPage {
    pub page_index: u64,
    pub total_page: u64,
    pub total_record: u64,
    pub records: Vec<Record>,
}

/// Parses one page of builds. An answer that says it failed is an error even on HTTP 200;
/// a count that is not a string of digits, or a build the rules cannot trust, is a
/// `response` error.
pub fn parse_builds_page(bytes: &[u8]) -> Result<BuildsPage, Error> {
    let raw = json::parse(bytes, RawAnswer::default(), BUILD_LIST)?;
    raw.envelope.succeeded(true, "the build list")?;
    let result = raw
        .result
        .value()
        .ok_or_else(|| Error::Response("the build list has no result".into()))?;
    checked_page(result).map_err(|problem| Error::Response(format!("the build list: {problem}")))
}

fn checked_page(result: RawResult) -> Result<BuildsPage, String> {
    Ok(BuildsPage {
        page_index: digits(result.page_index.value(), "page_index")?,
        total_page: digits(result.total_page.value(), "total_page")?,
        total_record: digits(result.total_record.value(), "total_record")?,
        records: result.builds.get().unwrap_or_default(),
    })
}

#[derive(Default)]
struct RawAnswer<'a> {
    envelope: Envelope<'a>,
    result: Slot<Option<RawResult<'a>>>,
}

impl<'de> Fields<'de> for RawAnswer<'de> {
    const WHAT: &'static str = "a build list object";
    fn read<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "result" => json::object(&mut self.result, map, key)?,
            _ => return self.envelope.read(key, map),
        }
        Ok(true)
    }
}

#[derive(Default)]
struct RawResult<'a> {
    page_index: Slot<Option<Cow<'a, str>>>,
    total_page: Slot<Option<Cow<'a, str>>>,
    total_record: Slot<Option<Cow<'a, str>>>,
    builds: Slot<Vec<Record>>,
}

impl<'de> Fields<'de> for RawResult<'de> {
    const WHAT: &'static str = "a build list result object";
    fn read<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "page_index" => json::text(&mut self.page_index, map, key)?,
            "total_page" => json::text(&mut self.total_page, map, key)?,
            "total_record" => json::text(&mut self.total_record, map, key)?,
            "job_build_states" => {
                // A page asks for `PER_PAGE`; more only grows the list.
                let capacity = PER_PAGE as usize;
                json::list(&mut self.builds, map, key, capacity, RawBuild::into_record)?
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[derive(Default)]
struct RawBuild<'a> {
    number: Slot<Option<u64>>,
    state: Slot<Option<Cow<'a, str>>>,
    job_running_status: Slot<Option<Cow<'a, str>>>,
    start_time: Slot<Option<u64>>,
    cost_time: Slot<Option<u64>>,
    build_time: Slot<Option<u64>>,
    commit_id: Slot<Option<Cow<'a, str>>>,
    commit_info: Slot<Option<RawCommitInfo<'a>>>,
    code_branch: Slot<Option<Cow<'a, str>>>,
}

impl<'de> Fields<'de> for RawBuild<'de> {
    const WHAT: &'static str = "a build object";
    fn read<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "number" => json::count(&mut self.number, map, key)?,
            "state" => json::text(&mut self.state, map, key)?,
            "job_running_status" => json::text(&mut self.job_running_status, map, key)?,
            "start_time" => json::count(&mut self.start_time, map, key)?,
            "cost_time" => json::count(&mut self.cost_time, map, key)?,
            "build_time" => json::count(&mut self.build_time, map, key)?,
            "commit_id" => json::text(&mut self.commit_id, map, key)?,
            "commit_info" => json::object(&mut self.commit_info, map, key)?,
            "code_branch" => json::text(&mut self.code_branch, map, key)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[derive(Default)]
struct RawCommitInfo<'a> {
    commit_id: Slot<Option<Cow<'a, str>>>,
}

impl<'de> Fields<'de> for RawCommitInfo<'de> {
    const WHAT: &'static str = "a commit_info object";
    fn read<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        if key != "commit_id" {
            return Ok(false);
        }
        json::text(&mut self.commit_id, map, key)?;
        Ok(true)
    }
}

/// A count, which the API sends as a string of digits.
fn digits(value: Option<Cow<str>>, field: &str) -> Result<u64, String> {
    let text = value.ok_or_else(|| format!("result has no {field}"))?;
    match text.parse::<u64>() {
        Ok(n) if text.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(format!(
            "result.{field} {:?} is not a string of digits",
            text.chars().take(40).collect::<String>()
        )),
    }
}

/// Longest duration a build may report: ten years, as for ServiceStage's builds.
const MAX_SECONDS: u64 = 10 * 365 * 24 * 3600;

impl RawBuild<'_> {
    /// The build: `job_running_status` says whether it finished (anything but `Finished`
    /// has not, whatever `state` says); `cost_time` (else `build_time`) is milliseconds.
    fn into_record(index: usize, raw: RawBuild) -> Result<Record, String> {
        let place = format!("job_build_states[{index}]");
        let number = raw
            .number
            .value()
            .ok_or_else(|| format!("{place} has no number"))?;
        let place = format!("{place} (build {number})");
        let millis = raw.cost_time.value().or(raw.build_time.value());
        let seconds = match millis {
            Some(ms) if ms / 1000 > MAX_SECONDS => {
                return Err(format!("{place}: cost_time {ms} ms is over ten years"));
            }
            ms => ms.map(|ms| ms / 1000),
        };
        let running = required_text(raw.job_running_status.value(), &place, "job_running_status")?;
        let raw_state = optional_text(raw.state.value(), &place, "state")?;
        let progress = match running.as_str() {
            "Finished" => {
                let raw_state =
                    raw_state.ok_or_else(|| format!("{place} is Finished but has no state"))?;
                let state = terminal_state(&raw_state).ok_or_else(|| {
                    format!(
                        "{place} is Finished with state {raw_state:?}, which the gate does not know"
                    )
                })?;
                let seconds = seconds.ok_or_else(|| {
                    format!("{place} is {state} but has no cost_time or build_time")
                })?;
                Progress::Finished { state, seconds }
            }
            _ => Progress::Unfinished {
                state: running,
                seconds,
            },
        };
        let start_ms = raw.start_time.value();
        let end_ms = match (&progress, start_ms, millis) {
            (Progress::Finished { .. }, Some(start), Some(took)) => start.checked_add(took),
            _ => None,
        };
        Ok(Record {
            number,
            progress,
            start_ms,
            end_ms,
            commit: commit(raw.commit_id.value(), raw.commit_info.value(), &place)?,
            branch: optional_text(raw.code_branch.value(), &place, "code_branch")?,
        })
    }
}

/// Milliseconds since the epoch, as ServiceStage writes its times.
fn utc(ms: u64) -> String {
    format!("{} +0000 UTC", wall_clock(ms / 1000))
}

/// `SUCCESS`, `FAILURE`, `timeout`, `ABORTED` (in any case) as the domain's states.
fn terminal_state(raw: &str) -> Option<State> {
    [
        ("SUCCESS", State::Successful),
        ("FAILURE", State::Failed),
        ("TIMEOUT", State::Timeout),
        ("ABORTED", State::Cancel),
    ]
    .into_iter()
    .find(|(name, _)| raw.eq_ignore_ascii_case(name))
    .map(|(_, state)| state)
}

/// `commit_id`, or `commit_info.commit_id`; two that differ are a contradiction, and a
/// commit that is not hex would make `--commit` match the wrong build.
fn commit(
    commit_id: Option<Cow<str>>,
    info: Option<RawCommitInfo>,
    place: &str,
) -> Result<Option<String>, String> {
    let direct = optional_text(commit_id, place, "commit_id")?;
    let nested = info.and_then(|i| i.commit_id.value());
    let nested = optional_text(nested, place, "commit_info.commit_id")?;
    let commit = match (direct, nested) {
        (Some(a), Some(b)) if !a.eq_ignore_ascii_case(&b) => {
            return Err(format!(
                "{place}: commit_id {a:?} and commit_info.commit_id {b:?} differ"
            ));
        }
        (a, b) => a.or(b),
    };
    match commit {
        Some(c) if c.len() > 64 || !c.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Err(format!("{place}: commit_id {c:?} is not a hex commit id"))
        }
        c => Ok(c.map(|c| c.to_ascii_lowercase())),
    }
}

#[cfg(test)]
mod tests;
