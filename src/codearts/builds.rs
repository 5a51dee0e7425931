//! One page of a job's builds within a time window, `GET /v1/record/{job_id}/list`:
//! `{"result": {"page_index": "0", "total_page": "2", "total_record": "44",
//! "job_build_states": [...]}, "error": null, "status": "success"}`, parsed strictly, and
//! each build turned into the domain's by one function, `Record::to_domain`.

use std::cmp::Reverse;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io::Read;

use serde::de::MapAccess;

use super::envelope::{self, RawError};
use super::shared::{Build, BuildDetails, Error, Fields, List, Object, Progress, State, json};
use super::window::wall_clock;
use super::{checked_text, required_text};

/// One build as CodeArts listed it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The build number: the build id the gate reports and asks `history-details` for.
    pub number: u64,
    pub progress: Progress,
    /// Milliseconds since the epoch.
    pub start_ms: Option<u64>,
    /// Lower-case hex.
    pub commit: Option<String>,
    pub branch: Option<String>,
}

impl Record {
    /// The build in the domain's terms: the build, and what the list says beyond it (the
    /// commit, branch and start the ServiceStage backend reads from build details).
    pub fn to_domain(&self) -> (Build, BuildDetails) {
        let build = Build {
            id: self.number.to_string(),
            progress: self.progress.clone(),
        };
        let details = BuildDetails {
            build_id: build.id.clone(),
            state: build.state(),
            commit: self.commit.clone(),
            branch: self.branch.clone(),
            started_at: self
                .start_ms
                .map(|ms| format!("{} UTC", wall_clock(ms / 1000))),
            ended_at: None,
        };
        (build, details)
    }
}

/// One page of builds: the API's counts, and the builds newest first by number, each
/// number once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildsPage {
    pub page_index: u64,
    pub total_page: u64,
    pub total_record: u64,
    pub records: Vec<Record>,
}

#[derive(Default)]
struct RawAnswer {
    result: Option<RawResult>,
    status: Option<String>,
    error: Option<RawError>,
}

impl Fields for RawAnswer {
    const WHAT: &'static str = "build list";
    fn read<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "result" => self.result = json::field::<_, Option<Object<_>>>(map, key)?.map(|o| o.0),
            "status" => self.status = json::text(map, key)?,
            "error" => self.error = json::field::<_, Option<Object<_>>>(map, key)?.map(|o| o.0),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[derive(Default)]
struct RawResult {
    page_index: Option<String>,
    total_page: Option<String>,
    total_record: Option<String>,
    builds: Vec<RawBuild>,
}

impl Fields for RawResult {
    const WHAT: &'static str = "build list result";
    fn read<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "page_index" => self.page_index = json::text(map, key)?,
            "total_page" => self.total_page = json::text(map, key)?,
            "total_record" => self.total_record = json::text(map, key)?,
            "job_build_states" => self.builds = json::field::<_, List<_>>(map, key)?.0,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[derive(Default)]
struct RawBuild {
    number: Option<u64>,
    state: Option<String>,
    job_running_status: Option<String>,
    start_time: Option<u64>,
    cost_time: Option<u64>,
    build_time: Option<u64>,
    commit_id: Option<String>,
    commit_info: Option<RawCommitInfo>,
    code_branch: Option<String>,
}

impl Fields for RawBuild {
    const WHAT: &'static str = "build";
    fn read<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "number" => self.number = json::count(map, key)?,
            "start_time" => self.start_time = json::count(map, key)?,
            "cost_time" => self.cost_time = json::count(map, key)?,
            "build_time" => self.build_time = json::count(map, key)?,
            "commit_info" => {
                self.commit_info = json::field::<_, Option<Object<_>>>(map, key)?.map(|o| o.0)
            }
            _ => {
                let slot = match key {
                    "state" => &mut self.state,
                    "job_running_status" => &mut self.job_running_status,
                    "commit_id" => &mut self.commit_id,
                    "code_branch" => &mut self.code_branch,
                    _ => return Ok(false),
                };
                *slot = json::text(map, key)?;
            }
        }
        Ok(true)
    }
}

#[derive(Default)]
struct RawCommitInfo {
    commit_id: Option<String>,
}

impl Fields for RawCommitInfo {
    const WHAT: &'static str = "commit_info";
    fn read<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        if key != "commit_id" {
            return Ok(false);
        }
        self.commit_id = json::text(map, key)?;
        Ok(true)
    }
}

/// Parses one page of builds. An answer that says it failed is an error even on HTTP 200;
/// a count that is not a string of digits, a build the rules cannot trust, one number
/// listed twice with different fields, or more builds than `total_record` are `response`
/// errors.
pub fn parse_builds_page(reader: impl Read) -> Result<BuildsPage, Error> {
    let raw: RawAnswer = json::parse(reader, "build list")?;
    envelope::succeeded(raw.status, raw.error, true, "the build list")?;
    let result = raw
        .result
        .ok_or_else(|| Error::Response("the build list has no result".into()))?;
    checked_page(result).map_err(|problem| Error::Response(format!("the build list: {problem}")))
}

fn checked_page(raw: RawResult) -> Result<BuildsPage, String> {
    let page_index = digits(raw.page_index, "page_index")?;
    let total_page = digits(raw.total_page, "total_page")?;
    let total_record = digits(raw.total_record, "total_record")?;
    let mut records: Vec<Record> = Vec::with_capacity(raw.builds.len());
    let mut index_of: HashMap<u64, usize> = HashMap::with_capacity(raw.builds.len());
    for (index, build) in raw.builds.into_iter().enumerate() {
        let record = checked_build(build, &format!("job_build_states[{index}]"))?;
        match index_of.entry(record.number) {
            Entry::Vacant(slot) => {
                slot.insert(records.len());
                records.push(record);
            }
            Entry::Occupied(first) if records[*first.get()] == record => {}
            Entry::Occupied(_) => {
                return Err(format!(
                    "build {} is listed twice with different fields",
                    record.number
                ));
            }
        }
    }
    if records.len() as u64 > total_record {
        return Err(format!(
            "total_record is {total_record} but {} builds are listed",
            records.len()
        ));
    }
    records.sort_unstable_by_key(|record| Reverse(record.number));
    Ok(BuildsPage {
        page_index,
        total_page,
        total_record,
        records,
    })
}

/// A count, which the API sends as a string of digits.
fn digits(value: Option<String>, field: &str) -> Result<u64, String> {
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

fn checked_build(raw: RawBuild, place: &str) -> Result<Record, String> {
    let number = raw.number.ok_or_else(|| format!("{place} has no number"))?;
    let place = format!("{place} (build {number})");
    let millis = raw.cost_time.or(raw.build_time);
    let seconds = millis
        .map(|ms| match ms / 1000 {
            s if s > MAX_SECONDS => Err(format!("{place}: cost_time {ms} ms is over ten years")),
            s => Ok(s),
        })
        .transpose()?;
    let running = required_text(raw.job_running_status, &place, "job_running_status")?;
    let raw_state = checked_text(raw.state, &place, "state")?;
    let progress = if running != "Finished" {
        Progress::Unfinished {
            state: running,
            seconds,
        }
    } else {
        let raw_state = raw_state.ok_or_else(|| format!("{place} is Finished but has no state"))?;
        let state = terminal_state(&raw_state).ok_or_else(|| {
            format!("{place} is Finished with state {raw_state:?}, which the gate does not know")
        })?;
        let seconds = seconds
            .ok_or_else(|| format!("{place} is {state} but has no cost_time or build_time"))?;
        Progress::Finished { state, seconds }
    };
    Ok(Record {
        number,
        progress,
        start_ms: raw.start_time,
        commit: commit(raw.commit_id, raw.commit_info, &place)?,
        branch: checked_text(raw.code_branch, &place, "code_branch")?,
    })
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
    commit_id: Option<String>,
    info: Option<RawCommitInfo>,
    place: &str,
) -> Result<Option<String>, String> {
    let direct = checked_text(commit_id, place, "commit_id")?;
    let nested = checked_text(
        info.and_then(|i| i.commit_id),
        place,
        "commit_info.commit_id",
    )?;
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
