//! The fake server's CodeArts Build routes (included by examples/fake-servicestage.rs):
//!
//! - `GET /v1/job/{project}/list?page_index=&page_size=&search=`: the jobs whose name
//!   contains `search` (any case), as `{"result": {"job_list": [{"id", "job_name"}],
//!   "total"}, "error": null, "status": "success"}`. A job id that is not a CodeArts id
//!   (`j`, `id-api`) is served as the hex of its bytes, padded to 32 characters.
//! - `GET /v1/record/{job_id}/list?start_time=&end_time=&page_index=&page_size=`: the
//!   builds that started within the window, newest first, with the service's checks
//!   (both times as `yyyy-MM-dd HH:mm:ss`, at most 31 days apart, `page_size` 1 to 100).
//! - `GET /v3/jobs/{job_id}/{number}/history-details`: the build's `build_steps`; 403
//!   `CB.00031059` for a build that has none (it never ran).
//!
//! The builds are the fixture's `list`: CodeArts builds (`number`, `state`,
//! `job_running_status`, `start_time`, `cost_time`, `commit_id`, `code_branch`,
//! `build_steps`; see examples/codearts/), or ServiceStage builds (and `--builds N`),
//! converted. Start times are moved so that the newest build started an hour before the
//! first CodeArts request, their spacing kept; builds without one start an hour apart.
//!
//! Faults: prefix the path with `/_fault/NAME[,NAME...]`, i.e. give the gate
//! `--endpoint http://127.0.0.1:PORT/_fault/throttle`. The names are in `FAULTS`; an
//! unknown one answers 400 listing them. Once a fake IAM token was issued, these routes
//! want the newest one, as the ServiceStage routes do.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::{Answer, Incoming, Server, param};

/// Every fault and what it does.
#[rustfmt::skip]
const FAULTS: &[(&str, &str)] = &[
    ("throttle", "the prefix's first request: 400 CB.00060211"),
    ("throttle-always", "every request: 400 CB.00060211"),
    ("gateway-throttle", "the prefix's first request: 429 APIG.0308"),
    ("unavailable", "every request: 503"),
    ("fail-200", "build list: 200 with status fail and an error object"),
    ("numeric-counts", "build list: counts as JSON numbers, not strings"),
    ("total-short", "build list: total_record one below the window's builds"),
    ("total-over", "build list: total_record five above the window's builds"),
    ("ignore-page", "build list: every page_index gets the first page"),
    ("wrong-page", "build list: the answer names the page after the one asked"),
    ("oldest-first", "build list: oldest first within the window"),
    ("conflict", "build list: each page's first build again, with another state"),
    ("hidden", "build list: U+202E in the branch of each page's first build"),
    ("unknown-state", "build list: state UNSTABLE for each page's first finished build"),
    ("never-ran", "history-details: 403 CB.00031059"),
    ("reference-shape", "job list: the documented shape {jobs, total}"),
];

const HOUR_MS: u64 = 3_600_000;
const MAX_SPAN_SECONDS: u64 = 31 * 86_400;

type Reply = (&'static str, Value);

/// A CodeArts endpoint, with what its path names.
enum Endpoint<'a> {
    Jobs { project: &'a str },
    Builds,
    Steps { number: &'a str },
}

/// The answer to a CodeArts request; `None` when `request` is not one.
pub fn route(server: &Server, request: &Incoming) -> Option<Answer> {
    let (faults, path) = match request.path.strip_prefix("/_fault/") {
        Some(tail) => tail.split_once('/')?,
        None => ("", request.path.strip_prefix('/')?),
    };
    let segments: Vec<&str> = path.split('/').collect();
    let endpoint = match (request.method.as_str(), segments.as_slice()) {
        ("GET", ["v1", "job", project, "list"]) => Endpoint::Jobs { project },
        ("GET", ["v1", "record", _job_id, "list"]) => Endpoint::Builds,
        ("GET", ["v3", "jobs", _job_id, number, "history-details"]) => Endpoint::Steps { number },
        _ => return None,
    };
    let faults = Faults::seen(faults);
    let query = request.query.as_str();
    let (status, body) = stale_token(server, request)
        .or_else(|| faults.refusal())
        .unwrap_or_else(|| match endpoint {
            Endpoint::Jobs { project } => job_list(server, &faults, project, query),
            Endpoint::Builds => build_list(server, &faults, query),
            Endpoint::Steps { number } => history_details(server, &faults, number),
        });
    Some((status, vec![], body))
}

/// The faults asked for, and how many requests came under the same prefix before this one.
struct Faults {
    names: Vec<String>,
    ordinal: usize,
}

static SEEN: Mutex<BTreeMap<String, usize>> = Mutex::new(BTreeMap::new());

impl Faults {
    fn seen(prefix: &str) -> Faults {
        let mut seen = SEEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = seen.entry(prefix.to_string()).or_default();
        *count += 1;
        let names = prefix
            .split(',')
            .filter(|n| !n.is_empty())
            .map(String::from)
            .collect();
        Faults {
            names,
            ordinal: *count - 1,
        }
    }

    fn has(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    /// An answer that refuses the request whatever it asked.
    fn refusal(&self) -> Option<Reply> {
        if let Some(unknown) = self
            .names
            .iter()
            .find(|n| !FAULTS.iter().any(|(f, _)| f == n))
        {
            let known: Vec<&str> = FAULTS.iter().map(|(name, _)| *name).collect();
            let message = format!("unknown fault {unknown:?}; known: {}", known.join(", "));
            return Some(error("400 Bad Request", "FAKE.400", &message));
        }
        let first = self.ordinal == 0;
        if self.has("throttle-always") || (self.has("throttle") && first) {
            return Some(error(
                "400 Bad Request",
                "CB.00060211",
                "Requests are too frequent.",
            ));
        }
        if self.has("gateway-throttle") && first {
            let message = "The throttling threshold has been reached";
            return Some(error("429 Too Many Requests", "APIG.0308", message));
        }
        if self.has("unavailable") {
            return Some(error(
                "503 Service Unavailable",
                "FAKE.503",
                "service unavailable",
            ));
        }
        None
    }
}

fn error(status: &'static str, code: &str, message: &str) -> Reply {
    (status, json!({"error_code": code, "error_msg": message}))
}

/// As the ServiceStage routes: once a token was issued, only the newest one is accepted.
fn stale_token(server: &Server, request: &Incoming) -> Option<Reply> {
    let issued = server.issued.load(std::sync::atomic::Ordering::SeqCst);
    let current = format!("fake-iam-token-{issued}");
    (issued > 0 && request.header("X-Auth-Token") != Some(current.as_str())).then(|| {
        let message = "Incorrect IAM authentication information: token expires";
        error("401 Unauthorized", "APIGW.0301", message)
    })
}

fn is_id(text: &str) -> bool {
    text.len() == 32
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
}

/// A CodeArts job id for a fixture's `job_id`: itself when it is one, else the hex of
/// its bytes, padded or cut to 32 characters.
fn codearts_id(job_id: &str) -> String {
    if is_id(job_id) {
        return job_id.to_string();
    }
    let hex: String = job_id.bytes().map(|b| format!("{b:02x}")).collect();
    let padded = format!("{hex:0>32}");
    padded[padded.len() - 32..].to_string()
}

/// A number from the query; a bad one is the 400 the service answers.
fn number(query: &str, name: &str, range: std::ops::RangeInclusive<usize>) -> Result<usize, Reply> {
    param(query, name)
        .and_then(|v| v.parse().ok())
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            error(
                "400 Bad Request",
                "FAKE.400",
                &format!("bad or missing {name}"),
            )
        })
}

fn job_list(server: &Server, faults: &Faults, project: &str, query: &str) -> Reply {
    if !is_id(project) {
        return error("404 Not Found", "FAKE.404", "no such CodeArts project");
    }
    let paging = number(query, "page_index", 0..=usize::MAX)
        .and_then(|index| Ok((index, number(query, "page_size", 1..=100)?)));
    let (page_index, page_size) = match paging {
        Ok(paging) => paging,
        Err(reply) => return reply,
    };
    let search = param(query, "search").unwrap_or_default().to_lowercase();
    let jobs: Vec<Value> = server
        .jobs
        .iter()
        .filter_map(|job| Some((job["job_id"].as_str()?, job["job_name"].as_str()?)))
        .filter(|(_, name)| name.to_lowercase().contains(&search))
        .map(|(id, name)| json!({"id": codearts_id(id), "job_name": name, "user_name": "ci-bot"}))
        .collect();
    let total = jobs.len();
    let page: Vec<Value> = jobs
        .into_iter()
        .skip(page_index.saturating_mul(page_size))
        .take(page_size)
        .collect();
    if faults.has("reference-shape") {
        return ("200 OK", json!({"jobs": page, "total": total}));
    }
    let result = json!({"job_list": page, "total": total});
    (
        "200 OK",
        json!({"result": result, "error": null, "status": "success"}),
    )
}

/// The fixture's builds in CodeArts' terms, with start times near now; made once.
fn builds(server: &Server) -> &'static [Value] {
    static BUILDS: OnceLock<Vec<Value>> = OnceLock::new();
    BUILDS.get_or_init(|| {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let anchor = now.saturating_sub(HOUR_MS);
        let newest = server
            .builds
            .iter()
            .filter_map(|b| b["start_time"].as_u64())
            .max();
        let count = server.builds.len() as u64;
        let as_codearts = server.builds.iter().filter(|b| b.is_object()).enumerate();
        as_codearts
            .map(|(index, build)| {
                let mut build = match (build.get("number"), build["build_no"].as_u64()) {
                    (Some(_), _) => build.clone(),
                    (None, number) => {
                        from_servicestage(build, number.unwrap_or(count - index as u64))
                    }
                };
                let start = match (build["start_time"].as_u64(), newest) {
                    (Some(start), Some(newest)) => {
                        anchor.saturating_sub(newest.saturating_sub(start))
                    }
                    _ => anchor.saturating_sub(index as u64 * HOUR_MS),
                };
                build["start_time"] = json!(start);
                build
            })
            .collect()
    })
}

/// A ServiceStage build (`build_id`, `build_state`, `duration`, `commit_id`, `branch`,
/// `phases`) as CodeArts lists it, numbered `number` (its `build_no` when it has one). An
/// unfinished build keeps its state's name as its `job_running_status`, so that both
/// backends report it alike.
fn from_servicestage(build: &Value, number: u64) -> Value {
    let state = match build["build_state"]
        .as_str()
        .unwrap_or("")
        .to_ascii_lowercase()
        .as_str()
    {
        "successful" => Some("SUCCESS"),
        "failed" => Some("FAILURE"),
        "timeout" => Some("timeout"),
        "cancel" => Some("ABORTED"),
        _ => None,
    };
    let step = |phase: &Value| {
        let status = match phase["state"]
            .as_str()
            .unwrap_or("")
            .to_ascii_lowercase()
            .as_str()
        {
            "failed" | "timeout" => "error",
            "successful" => "success",
            "running" | "building" => "running",
            _ => "",
        };
        json!({"name": phase["name"], "status": status})
    };
    let mut converted = json!({
        "number": number,
        "state": state.unwrap_or("RUNNING"),
        "job_running_status": match state {
            Some(_) => "Finished",
            None => build["build_state"].as_str().unwrap_or("Running"),
        },
        "cost_time": build["duration"].as_u64().map(|seconds| seconds * 1000),
        "commit_id": build["commit_id"],
        "code_branch": build["branch"],
        "executor": "ci-bot",
    });
    if let Some(phases) = build["phases"].as_array() {
        converted["build_steps"] = phases.iter().map(step).collect();
    }
    converted
}

fn build_list(server: &Server, faults: &Faults, query: &str) -> Reply {
    let asked = window(query).and_then(|window| {
        let index = number(query, "page_index", 0..=usize::MAX)?;
        Ok((window, index, number(query, "page_size", 1..=100)?))
    });
    let ((start, end), page_index, page_size) = match asked {
        Ok(asked) => asked,
        Err(reply) => return reply,
    };
    if faults.has("fail-200") {
        let error =
            json!({"error_code": "CB.00031105", "error_msg": "The time span exceeds 31 days."});
        return (
            "200 OK",
            json!({"result": null, "error": error, "status": "fail"}),
        );
    }
    let listed = started_within(server, start, end, faults);
    let total = listed.len();
    let from = if faults.has("ignore-page") {
        0
    } else {
        page_index.saturating_mul(page_size)
    };
    let mut page: Vec<Value> = listed.into_iter().skip(from).take(page_size).collect();
    damage(&mut page, faults);
    let total_record = match () {
        () if faults.has("total-short") => total.saturating_sub(1),
        () if faults.has("total-over") => total + 5,
        () => total,
    };
    let count = |n: usize| match faults.has("numeric-counts") {
        true => json!(n),
        false => json!(n.to_string()),
    };
    let result = json!({
        "page_index": count(page_index.saturating_add(usize::from(faults.has("wrong-page")))),
        "total_page": count(total.div_ceil(page_size)),
        "total_record": count(total_record),
        "job_build_states": page,
    });
    (
        "200 OK",
        json!({"result": result, "error": null, "status": "success"}),
    )
}

/// The builds that started within `start..=end` (seconds), newest first unless the
/// `oldest-first` fault says otherwise, without their steps (as the real list).
fn started_within(server: &Server, start: u64, end: u64, faults: &Faults) -> Vec<Value> {
    let mut listed: Vec<Value> = builds(server)
        .iter()
        .filter(|b| {
            b["start_time"]
                .as_u64()
                .is_some_and(|ms| (start..=end).contains(&(ms / 1000)))
        })
        .map(|b| {
            let mut b = b.clone();
            b.as_object_mut().map(|fields| fields.remove("build_steps"));
            b
        })
        .collect();
    if faults.has("oldest-first") {
        listed.reverse();
    }
    listed
}

/// The faults that change a page's builds.
fn damage(page: &mut Vec<Value>, faults: &Faults) {
    if faults.has("hidden")
        && let Some(first) = page.first_mut()
    {
        first["code_branch"] = json!("ma\u{202e}in");
    }
    if faults.has("unknown-state")
        && let Some(first) = page
            .iter_mut()
            .find(|b| b["job_running_status"] == "Finished")
    {
        first["state"] = json!("UNSTABLE");
    }
    if faults.has("conflict")
        && let Some(first) = page.first().cloned()
    {
        let mut copy = first;
        copy["state"] = json!(if copy["state"] == "FAILURE" {
            "SUCCESS"
        } else {
            "FAILURE"
        });
        page.push(copy);
    }
}

/// The window asked for, in seconds since the epoch; the service's 400s otherwise.
fn window(query: &str) -> Result<(u64, u64), Reply> {
    let time = |name: &str| {
        param(query, name)
            .as_deref()
            .and_then(epoch_seconds)
            .ok_or_else(|| {
                let message = format!("{name} is missing or not yyyy-MM-dd HH:mm:ss");
                error("400 Bad Request", "FAKE.400", &message)
            })
    };
    let (start, end) = (time("start_time")?, time("end_time")?);
    if end < start || end - start > MAX_SPAN_SECONDS {
        let message = "The time span must be at most 31 days, start before end.";
        return Err(error("400 Bad Request", "CB.00031105", message));
    }
    Ok((start, end))
}

fn is_leap(year: u64) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

/// `yyyy-MM-dd HH:mm:ss` (UTC, from 1970) to seconds since the epoch.
fn epoch_seconds(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    let layout = text.len() == 19
        && [4, 7].iter().all(|&i| bytes[i] == b'-')
        && bytes[10] == b' '
        && [13, 16].iter().all(|&i| bytes[i] == b':');
    let field = |from: usize, to: usize| text.get(from..to)?.parse::<u64>().ok();
    let [year, month, day, hour, minute, second] =
        [(0, 4), (5, 7), (8, 10), (11, 13), (14, 16), (17, 19)].map(|(from, to)| field(from, to));
    let (year, month, day) = (year?, month?, day?);
    let february = if is_leap(year) { 29 } else { 28 };
    let months = [31, february, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let valid = layout
        && year >= 1970
        && (1..=12).contains(&month)
        && (1..=months[month as usize - 1]).contains(&day);
    let (hour, minute, second) = (
        hour.filter(|h| *h < 24)?,
        minute.filter(|m| *m < 60)?,
        second.filter(|s| *s < 60)?,
    );
    if !valid {
        return None;
    }
    let days: u64 = (1970..year)
        .map(|y| if is_leap(y) { 366 } else { 365 })
        .sum::<u64>()
        + months[..month as usize - 1].iter().sum::<u64>()
        + day
        - 1;
    Some(days * 86_400 + hour * 3600 + minute * 60 + second)
}

fn history_details(server: &Server, faults: &Faults, number: &str) -> Reply {
    let never_ran = || {
        error(
            "403 Forbidden",
            "CB.00031059",
            "The build has no record of running.",
        )
    };
    if faults.has("never-ran") {
        return never_ran();
    }
    let Some(build) = number.parse::<u64>().ok().and_then(|n| {
        builds(server)
            .iter()
            .find(|b| b["number"].as_u64() == Some(n))
    }) else {
        return error("404 Not Found", "FAKE.404", "no such build");
    };
    match build.get("build_steps").filter(|steps| steps.is_array()) {
        Some(steps) => {
            let body =
                json!({"job_name": "fake", "build_number": build["number"], "build_steps": steps});
            ("200 OK", body)
        }
        None => never_ran(),
    }
}
