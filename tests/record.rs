//! The run's record of what the server said (issue 19, items 1-5 and 11), end to end: the
//! binary against a loopback ServiceStage whose answers contradict each other across polls,
//! between the list and the details, between jobs, or between counts and lists. Each lie
//! is a `response` error (exit 3) naming both answers, or, for a list cut short, every
//! rule inconclusive; never the pass the gate gave before the record.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::common::{
    Recorded, Reply, Run, Server, TOKEN, gate, gate_for, page_json, run, run_with_stdin,
};
use serde_json::{Value, json};

const SHA: &str = "3f5e0c6a9b1d2e4f60718293a4b5c6d7e8f90a1b";
const OTHER_SHA: &str = "9a8b7c6d5e4f30211203f4e5d6c7b8a9f0e1d2c3";

/// A build as a list shows it: id, state, seconds.
type Listed = (&'static str, &'static str, u64);

/// A ServiceStage whose build list at its n-th look is `looks[n]` (the last one repeats),
/// all on page 1, with a `total` that matches; `details(id, n)` answers for build `id`
/// during look n.
fn polled(
    looks: Vec<Vec<Listed>>,
    details: impl Fn(&str, usize) -> Reply + Send + Sync + 'static,
) -> Server {
    let seen = Arc::new(AtomicUsize::new(0));
    Server::start(move |request, _| {
        let look = seen.load(Ordering::SeqCst).saturating_sub(1);
        if let Some(id) = request.path().strip_prefix("/assembling/v1/builds/") {
            return details(id, look);
        }
        let look = seen.fetch_add(1, Ordering::SeqCst).min(looks.len() - 1);
        Reply::ok(page_json(looks[look].len(), &looks[look]))
    })
}

fn details(id: &str, state: &str, commit: &str) -> Reply {
    Reply::ok(json!({"build_id": id, "build_state": state, "commit_id": commit}).to_string())
}

/// The gate against `server` for job `job-1`, JSON on stdout, with `args`.
fn gate_with(server: &Server, args: &[&str]) -> Command {
    let mut command = gate_for(&server.url());
    command.args(["--retries", "0"]).args(args);
    command
}

/// Waiting flags: polls a second apart, for long enough that only the record ends them.
const WAIT: [&str; 4] = ["--wait", "30s", "--poll-interval", "1s"];

/// The run was a `response` error whose message holds every one of `parts`.
fn assert_response_error(out: &Run, parts: &[&str]) -> String {
    assert_eq!(
        out.code, 3,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    let json = out.json();
    assert_eq!(json["error"]["kind"], "response", "{json}");
    let message = json["error"]["message"].as_str().unwrap().to_string();
    for part in parts {
        assert!(message.contains(part), "{part:?} not in {message:?}");
    }
    message
}

// Item 1: what `--wait` waits for cannot change or leave the list.

#[test]
fn the_awaited_builds_commit_changing_between_polls_is_a_response_error() {
    let server = polled(
        vec![
            vec![("b2", "Building", 5), ("b1", "Successful", 60)],
            vec![("b2", "Successful", 70), ("b1", "Successful", 60)],
        ],
        |id, look| match (id, look) {
            ("b2", 0) => details("b2", "Building", SHA),
            ("b2", _) => details("b2", "Successful", OTHER_SHA),
            _ => details(id, "Successful", SHA),
        },
    );
    let out = run(gate_with(&server, &["--commit", &SHA[..7]]).args(WAIT));
    assert_response_error(
        &out,
        &[
            &format!("build b2 has commit {SHA} in its details"),
            &format!("but {OTHER_SHA} in its details (poll 2)"),
        ],
    );
}

#[test]
fn the_awaited_commits_build_leaving_the_list_is_a_response_error() {
    let server = polled(
        vec![
            vec![("b2", "Building", 5), ("b1", "Successful", 60)],
            vec![("b1", "Successful", 60)],
        ],
        |id, _| match id {
            "b2" => details("b2", "Building", SHA),
            _ => details(id, "Successful", SHA),
        },
    );
    let out = run(gate_with(&server, &["--commit", &SHA[..7]]).args(WAIT));
    assert_response_error(
        &out,
        &[
            "build b2 is in the build list of poll 1 but missing from poll 2",
            "build b1",
        ],
    );
}

#[test]
fn the_newest_build_leaving_the_list_while_waiting_is_a_response_error() {
    let server = polled(
        vec![
            vec![("b2", "Building", 5), ("b1", "Successful", 60)],
            vec![("b1", "Successful", 60)],
        ],
        |_, _| Reply::json(404, "{}"),
    );
    let out = run(&mut gate_with(&server, &WAIT));
    assert_response_error(
        &out,
        &["build b2 is in the build list of poll 1 but missing"],
    );
}

#[test]
fn a_finished_build_that_changes_between_polls_is_a_response_error() {
    let cases: [(Listed, &str); 3] = [
        (
            ("b1", "Failed", 60),
            "build b1 is Successful in the build list (page 1) but Failed",
        ),
        (
            ("b1", "Successful", 61),
            "build b1 is Successful in 60s in the build list (page 1) but Successful in 61s",
        ),
        (
            ("b1", "Queuing", 0),
            "build b1 is Successful in the build list (page 1) but Queuing",
        ),
    ];
    for (changed, message) in cases {
        let server = polled(
            vec![
                vec![("b2", "Building", 5), ("b1", "Successful", 60)],
                vec![("b2", "Building", 5), changed],
                vec![("b2", "Successful", 70), changed],
            ],
            |_, _| Reply::json(404, "{}"),
        );
        let out = run(&mut gate_with(&server, &WAIT));
        assert_response_error(&out, &[message, "in the build list (poll 2, page 1)"]);
    }
}

// Item 2: one job id for two names, one build id in two jobs.

/// The gate with `--job` for each of `jobs` against `server`, JSON on stdout.
fn gate_jobs(server: &Server, jobs: &[&str]) -> Command {
    let mut command = gate();
    command
        .args([
            "--endpoint",
            &server.url(),
            "--retries",
            "0",
            "--format",
            "json",
        ])
        .env("SERVICESTAGE_TOKEN", TOKEN);
    for job in jobs {
        command.args(["--job", job]);
    }
    command
}

/// The job list answers a lookup of a name with `job_of(name)` as its id; every job's
/// build list is one Successful build, `b1`.
fn jobs_server(job_of: fn(&str) -> String) -> Server {
    Server::start(move |request: &Recorded, _| {
        if request.path() == "/assembling/v1/jobs" {
            let name = request.query("job_name").unwrap_or_default();
            let list = json!([{"job_id": job_of(name), "job_name": name}]);
            return Reply::ok(json!({"total": 1, "list": list}).to_string());
        }
        Reply::ok(page_json(1, &[("b1", "Successful", 60)]))
    })
}

#[test]
fn one_job_id_for_two_names_is_a_response_error() {
    let server = jobs_server(|_| "shared".to_string());
    let out = run(&mut gate_jobs(&server, &["api", "web"]));
    let message =
        assert_response_error(&out, &["job id shared is ", "in the job list (looking up "]);
    assert!(
        message.contains(r#""api""#) && message.contains(r#""web""#),
        "{message}"
    );
}

#[test]
fn one_build_id_in_two_jobs_is_a_response_error() {
    let server = jobs_server(|name| format!("id-{name}"));
    let out = run(&mut gate_jobs(&server, &["api", "web"]));
    let message = assert_response_error(
        &out,
        &["build b1 is a build of job ", "the build list (page 1)"],
    );
    assert!(
        message.contains(r#""api""#) && message.contains(r#""web""#),
        "{message}"
    );
}

// Item 3: the details' state against the list's, in any way.

#[test]
fn details_whose_state_differs_from_the_lists_are_a_response_error() {
    for detailed in ["Building", "Error", "Aborted", "Failed", "Queuing"] {
        let server = polled(vec![vec![("b1", "Successful", 60)]], move |id, _| {
            details(id, detailed, SHA)
        });
        let out = run(&mut gate_with(&server, &["--commit", &SHA[..7]]));
        assert_response_error(
            &out,
            &[&format!(
                "build b1 is Successful in the build list (page 1) but {detailed} in its details"
            )],
        );
    }
}

// Item 4: counts below what was received.

#[test]
fn counts_below_the_builds_received_are_a_response_error() {
    let build = json!({"build_id": "b1", "build_state": "Successful", "duration": 60});
    let cases = [
        (
            json!({"total": 1, "finished": 0, "successful": 0}),
            "counts 0 finished builds, but 1 were received",
        ),
        (json!({"total": 0}), "counts 0 builds, but 1 were received"),
        (
            json!({"successful": 0}),
            "counts 0 Successful builds, but 1 were received",
        ),
    ];
    for (counts, message) in cases {
        let body = counts_page(&counts, &build);
        let server = Server::start(move |_, _| Reply::ok(body.clone()));
        let out = run(&mut gate_with(&server, &[]));
        assert_response_error(&out, &["the build list (page 1) ", message]);
        let saved = run_with_stdin(
            gate().args(["--input", "-", "--format", "json"]),
            counts_page(&counts, &build).as_bytes(),
        );
        assert_response_error(&saved, &[message]);
    }
}

fn counts_page(counts: &Value, build: &Value) -> String {
    let mut body = counts.clone();
    body["list"] = json!([build]);
    body.to_string()
}

// Item 5: a list cut short makes every rule inconclusive, whatever is advisory.

const ADVISORY: [&str; 4] = [
    "--min-success-rate",
    "50",
    "--advisory",
    "min-success-rate,min-builds",
];

/// Every rule of the run is inconclusive, `state` included, and so is the verdict.
fn assert_all_inconclusive(out: &Run) {
    assert_eq!(
        out.code, 1,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    let json = out.json();
    assert_eq!(json["verdict"], "inconclusive", "{json}");
    let rules = json["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 3, "{json}");
    for rule in rules {
        assert_eq!(rule["verdict"], "inconclusive", "{rule}");
        let message = rule["message"].as_str().unwrap();
        assert!(message.ends_with("the list was cut short"), "{message}");
    }
}

fn two_builds(counts: Value) -> String {
    let mut body = counts;
    body["list"] = json!([
        {"build_id": "s0", "build_state": "Successful", "duration": 60},
        {"build_id": "s1", "build_state": "Successful", "duration": 60}]);
    body.to_string()
}

#[test]
fn a_list_cut_short_is_inconclusive_in_every_rule_whatever_is_advisory() {
    let fifty = json!({"total": 50, "finished": 50, "successful": 50});
    let only_total = json!({"total": 50, "finished": 2, "successful": 2});
    for counts in [fifty, only_total] {
        // Page 2 is empty, the counts as on page 1.
        let (first, empty) = (two_builds(counts.clone()), {
            let mut empty = counts.clone();
            empty["list"] = json!([]);
            empty.to_string()
        });
        let ends = Server::start(move |r, _| match r.query("page") {
            Some("1") => Reply::ok(first.clone()),
            _ => Reply::ok(empty.clone()),
        });
        let out = run(&mut gate_with(&ends, &ADVISORY));
        assert_all_inconclusive(&out);
        assert!(
            out.rule("state")["message"]
                .as_str()
                .unwrap()
                .starts_with("the API counts 50")
        );
        assert_eq!(ends.requests().len(), 2);
        // A short first page is all there is: the server repeats it for page 2.
        let body = two_builds(counts.clone());
        let repeats = Server::start(move |_, _| Reply::ok(body.clone()));
        assert_all_inconclusive(&run(&mut gate_with(&repeats, &ADVISORY)));
        // And saved: the one page there is.
        let saved = run_with_stdin(
            gate()
                .args(["--input", "-", "--format", "json"])
                .args(ADVISORY),
            two_builds(counts).as_bytes(),
        );
        assert_all_inconclusive(&saved);
    }
}

#[test]
fn counts_above_what_arrived_are_normal_when_the_rules_need_no_more() {
    let body = two_builds(json!({"total": 50, "finished": 50, "successful": 50}));
    let server = Server::start(move |_, _| Reply::ok(body.clone()));
    let out = run(&mut gate_with(
        &server,
        &["--window", "2", "--min-success-rate", "50"],
    ));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(server.requests().len(), 1);
}

// Item 11: the job list.

#[test]
fn a_job_id_that_is_not_one_path_segment_is_a_response_error_and_never_sent() {
    for id in ["..", ".", "a/b"] {
        let server = Server::start(move |request, _| match request.path() {
            "/assembling/v1/jobs" => Reply::ok(
                json!({"total": 1, "list": [{"job_id": id, "job_name": "api"}]}).to_string(),
            ),
            _ => Reply::ok(page_json(1, &[("b1", "Successful", 60)])),
        });
        let out = run(gate()
            .args([
                "--endpoint",
                &server.url(),
                "--job-name",
                "api",
                "--format",
                "json",
            ])
            .env("SERVICESTAGE_TOKEN", TOKEN));
        assert_response_error(
            &out,
            &[&format!(
                "list[0].job_id {id:?} is not one URL path segment"
            )],
        );
        let paths: Vec<String> = server
            .requests()
            .iter()
            .map(|r| r.path().to_string())
            .collect();
        assert!(
            paths.iter().all(|p| p == "/assembling/v1/jobs"),
            "{paths:?}"
        );
    }
}

#[test]
fn a_job_list_total_below_what_it_lists_is_a_response_error() {
    let server = Server::start(|request, _| match request.path() {
        "/assembling/v1/jobs" => Reply::ok(
            json!({"total": 0, "list": [{"job_id": "id-api", "job_name": "api"}]}).to_string(),
        ),
        _ => Reply::ok(page_json(1, &[("b1", "Successful", 60)])),
    });
    let out = run(gate()
        .args([
            "--endpoint",
            &server.url(),
            "--job-name",
            "api",
            "--format",
            "json",
        ])
        .env("SERVICESTAGE_TOKEN", TOKEN));
    assert_response_error(
        &out,
        &["the job list counts 0 job(s) on page 1 but lists 1"],
    );
}
