//! Issue 14 against a scripted ServiceStage on 127.0.0.1: the job looked up by name, the
//! build of a commit, why a build failed, throttling, and what each run cost in requests.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::common::{Recorded, Reply, Run, Server, TOKEN, fake_server, gate, run};
use serde_json::{Value, json};

const SHA: &str = "3f5e0c6a9b1d2e4f60718293a4b5c6d7e8f90a1b";
const OTHER: &str = "9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d";

/// The gate against `server` with `args` (no job id unless given), JSON on stdout unless
/// `args` name a format.
fn gate_with(server: &Server, args: &[&str]) -> Command {
    let mut command = gate();
    command
        .args(["--endpoint", &server.url()])
        .args(args)
        .env("SERVICESTAGE_TOKEN", TOKEN);
    if !args.contains(&"--format") {
        command.args(["--format", "json"]);
    }
    command
}

/// The gate for job `j` / `n`, judging the build of `commit`, with `more` arguments.
fn gate_for_commit(server: &Server, commit: &str, more: &[&str]) -> Command {
    let mut args = vec!["--job-id", "j", "--job-name", "n", "--commit", commit];
    args.extend_from_slice(more);
    gate_with(server, &args)
}

fn jobs(total: usize, jobs: &[(&str, &str)]) -> Reply {
    let list: Vec<Value> = jobs
        .iter()
        .map(|(id, name)| json!({"job_id": id, "job_name": name}))
        .collect();
    Reply::ok(json!({"total": total, "list": list}).to_string())
}

/// A build list page: `(id, state)` with 600 s each, `total` as the API counts.
fn builds(total: usize, builds: &[(&str, &str)]) -> Reply {
    let list: Vec<Value> = builds
        .iter()
        .map(|(id, state)| json!({"build_id": id, "build_state": state, "duration": 600}))
        .collect();
    Reply::ok(json!({"total": total, "list": list}).to_string())
}

fn details(id: &str, state: &str, commit: &str) -> Reply {
    Reply::ok(
        json!({"build_id": id, "build_state": state, "commit_id": commit, "branch": "main",
               "started_at": "2025-06-24 12:10:30 +0000 UTC", "ended_at": "", "index": "7",
               "commit_time": 1750767030})
        .to_string(),
    )
}

fn phases(list: &[(&str, &str)]) -> Reply {
    let list: Vec<Value> = list
        .iter()
        .map(|(name, state)| json!({"id": name, "name": name, "state": state}))
        .collect();
    Reply::ok(json!({"total": list.len(), "list": list}).to_string())
}

fn not_found() -> Reply {
    Reply::json(
        404,
        r#"{"error_code":"SVCSTG.00100404","error_msg":"no such thing"}"#,
    )
}

/// What a request asks for, by path.
fn is_job_list(r: &Recorded) -> bool {
    r.path() == "/assembling/v1/jobs"
}

fn details_of(r: &Recorded) -> Option<&str> {
    let id = r.path().strip_prefix("/assembling/v1/builds/")?;
    (!id.contains('/')).then_some(id)
}

fn phases_of(r: &Recorded) -> Option<&str> {
    r.path()
        .strip_prefix("/assembling/v1/builds/")?
        .strip_suffix("/phases")
}

fn count(server: &Server, what: impl Fn(&Recorded) -> bool) -> usize {
    server.requests().iter().filter(|r| what(r)).count()
}

/// Asserts the exit code, and that JSON `requests` is what the server saw.
fn checked(out: &Run, server: &Server, code: i32) -> Value {
    assert_eq!(
        out.code, code,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    let json = out.json();
    assert_eq!(json["requests"], server.requests().len(), "{json}");
    json
}

fn error_message(json: &Value) -> &str {
    json["error"]["message"].as_str().unwrap()
}

// 1. The job by name.

#[test]
fn one_match_resolves_the_id_and_sends_the_name_as_listed() {
    let server = Server::start(|r, _| match r.path() {
        "/assembling/v1/jobs" => jobs(2, &[("id-9", "web-api-v2"), ("id 1", "Web-API")]),
        _ => builds(1, &[("b1", "Successful")]),
    });
    let out = run(&mut gate_with(&server, &["--job-name", "web-api"]));
    let json = checked(&out, &server, 0);
    assert_eq!(json["job"], json!({"id": "id 1", "name": "Web-API"}));
    let seen = server.requests();
    assert_eq!(
        seen[0].target,
        "/assembling/v1/jobs?job_name=web-api&page=1&per_page=100"
    );
    assert_eq!(seen[1].path(), "/assembling/v1/jobs/id%201/builds");
    assert_eq!(seen[1].query("name"), Some("Web-API"));
    assert_eq!(server.connections(), 1, "one kept-alive connection");
}

#[test]
fn no_match_is_not_found_with_the_closest_names() {
    // The filtered list has nothing; the whole list is read once for suggestions.
    let server = Server::start(|r, _| match r.query("job_name") {
        Some(_) => jobs(0, &[]),
        None => jobs(
            4,
            &[
                ("1", "web-apx"),
                ("2", "payments"),
                ("3", "WEB-API-2"),
                ("4", "x"),
            ],
        ),
    });
    let out = run(&mut gate_with(&server, &["--job-name", "web-api"]));
    let json = checked(&out, &server, 3);
    assert_eq!(json["error"]["kind"], "not-found");
    assert_eq!(json["job"], json!({"id": null, "name": "web-api"}));
    let message = error_message(&json);
    assert!(
        message.contains(r#"no build job is named "web-api""#),
        "{message}"
    );
    assert!(
        message.contains("closest existing names: web-apx, WEB-API-2"),
        "{message}"
    );
    assert!(out.stderr.contains("not-found: "), "{}", out.stderr);
    assert_eq!(count(&server, is_job_list), 2);
}

#[test]
fn two_matches_list_the_ids_and_ask_for_the_id() {
    let server = Server::start(|_, _| jobs(3, &[("a-1", "web"), ("a-2", "WEB"), ("a-3", "web2")]));
    let out = run(&mut gate_with(&server, &["--job-name", "Web"]));
    let json = checked(&out, &server, 3);
    assert_eq!(json["error"]["kind"], "not-found");
    let message = error_message(&json);
    assert!(
        message.contains("2 build jobs are named \"Web\" (ids a-1, a-2)"),
        "{message}"
    );
    assert!(message.contains("--job-id"), "{message}");
    assert_eq!(server.requests().len(), 1, "no build list is asked for");
}

#[test]
fn the_job_list_is_read_page_by_page() {
    // The server caps per_page at 2: the match is on page 3 of 5 jobs.
    let server = Server::start(|r, _| match (is_job_list(r), r.query("page")) {
        (true, Some("1")) => jobs(5, &[("1", "web-a"), ("2", "web-b")]),
        (true, Some("2")) => jobs(5, &[("3", "web-c"), ("4", "web-d")]),
        (true, Some("3")) => jobs(5, &[("5", "web")]),
        (true, _) => jobs(5, &[]),
        (false, _) => builds(1, &[("b1", "Successful")]),
    });
    let out = run(&mut gate_with(&server, &["--job-name", "web"]));
    let json = checked(&out, &server, 0);
    assert_eq!(json["job"]["id"], "5");
    let pages: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| is_job_list(r))
        .map(|r| r.query("page").unwrap().to_string())
        .collect();
    assert_eq!(pages, ["1", "2", "3"]);
}

#[test]
fn a_job_list_that_lies_ends_or_is_refused() {
    // Ignores `page` and claims 50 jobs: the repeat ends the paging.
    let repeating = Server::start(|r, _| match is_job_list(r) {
        true => jobs(50, &[("1", "web-a"), ("2", "web")]),
        false => builds(1, &[("b1", "Successful")]),
    });
    let out = run(&mut gate_with(&repeating, &["--job-name", "web"]));
    checked(&out, &repeating, 0);
    assert_eq!(count(&repeating, is_job_list), 2);
    // One id under two names: the gate cannot know which is true.
    let twice = Server::start(|r, _| match r.query("page") {
        Some("1") => jobs(3, &[("1", "web"), ("2", "web-b")]),
        _ => jobs(3, &[("1", "web-c")]),
    });
    let out = run(&mut gate_with(&twice, &["--job-name", "web"]));
    let json = checked(&out, &twice, 3);
    assert_eq!(json["error"]["kind"], "response");
    assert!(error_message(&json).contains("names job 1 both"), "{json}");
}

#[test]
fn with_id_and_name_there_is_no_lookup_and_no_name_pattern() {
    let server = Server::start(|_, _| builds(1, &[("b1", "Successful")]));
    let out = run(&mut gate_with(
        &server,
        &["--job-id", "j", "--job-name", "1 odd name"],
    ));
    checked(&out, &server, 0);
    assert_eq!(count(&server, is_job_list), 0);
    assert_eq!(server.requests()[0].query("name"), Some("1%20odd%20name"));
}

#[test]
fn a_name_that_cannot_be_looked_up_is_a_usage_error_before_any_request() {
    let server = Server::start(|_, _| builds(1, &[("b1", "Successful")]));
    let out = run(&mut gate_with(&server, &["--job-name", "1bad"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    let json = out.json();
    assert_eq!(json["error"]["kind"], "usage");
    assert_eq!(json["requests"], 0);
    assert!(
        error_message(&json).starts_with("--job-name: \"1bad\""),
        "{json}"
    );
    assert!(server.requests().is_empty());
}

// 2. The build of a commit.

/// Build pages of at most 2; `list` newest first as (id, state, commit).
fn commit_server(list: Vec<(&'static str, &'static str, &'static str)>) -> Server {
    Server::start(move |r, _| {
        if let Some(id) = phases_of(r) {
            return match id {
                "b2" => phases(&[
                    ("Init", "Successful"),
                    ("Build", "Failed"),
                    ("Artifact", "Failed"),
                ]),
                _ => not_found(),
            };
        }
        if let Some(id) = details_of(r) {
            return match list.iter().find(|b| b.0 == id) {
                Some((id, state, commit)) => details(id, state, commit),
                None => not_found(),
            };
        }
        let page: usize = r.query("page").unwrap().parse().unwrap();
        let chunk: Vec<(&str, &str)> = list
            .iter()
            .skip((page - 1) * 2)
            .take(2)
            .map(|b| (b.0, b.1))
            .collect();
        builds(list.len(), &chunk)
    })
}

#[test]
fn a_commit_found_on_page_2_is_the_target_and_its_failed_phase_named() {
    let server = commit_server(vec![
        ("b0", "Building", OTHER),
        ("b1", "Successful", OTHER),
        ("b2", "Failed", SHA),
        ("b3", "Successful", SHA),
        ("b4", "Successful", OTHER),
    ]);
    let prefix = SHA[..12].to_ascii_uppercase();
    let out = run(&mut gate_for_commit(&server, &prefix, &["--window", "3"]));
    let json = checked(&out, &server, 1);
    let target = &json["target"];
    assert_eq!(target["build_id"], "b2");
    assert_eq!(target["commit"], SHA);
    assert_eq!(target["branch"], "main");
    assert_eq!(target["started_at"], "2025-06-24 12:10:30 +0000 UTC");
    assert_eq!(
        target.get("ended_at"),
        None,
        "an empty ended_at is not shown"
    );
    assert_eq!(target["failed_phase"], "Build");
    assert_eq!(
        json["rules"][0]["message"],
        "build b2 is Failed, expected Successful; failed in phase Build"
    );
    // Newest first, stopping at the match: no details of b3 or b4.
    let read: Vec<String> = server
        .requests()
        .iter()
        .filter_map(|r| details_of(r).map(str::to_string))
        .collect();
    assert_eq!(read, ["b0", "b1", "b2"]);
    assert_eq!(count(&server, |r| phases_of(r).is_some()), 1);
    // Pages 1 and 2 hold the 3 finished builds the window needs.
    assert_eq!(count(&server, |r| r.path().ends_with("/builds")), 2);
}

#[test]
fn a_commit_never_found_is_inconclusive_after_at_most_the_window_plus_unfinished() {
    let server = commit_server(vec![
        ("b0", "Queuing", ""),
        ("b1", "Successful", OTHER),
        ("b2", "Building", OTHER),
        ("b3", "Failed", OTHER),
        ("b4", "Successful", OTHER),
        ("b5", "Successful", OTHER),
    ]);
    let out = run(&mut gate_with(
        &server,
        &[
            "--job-name",
            "n",
            "--job-id",
            "j",
            "--commit",
            "ABCDEF12",
            "--window",
            "2",
            "--max-duration",
            "1h",
        ],
    ));
    let json = checked(&out, &server, 1);
    assert_eq!(json["verdict"], "inconclusive");
    assert_eq!(json["target"], Value::Null);
    for rule in json["rules"].as_array().unwrap() {
        assert_eq!(rule["verdict"], "inconclusive", "{rule}");
        assert_eq!(
            rule["message"],
            "no build of commit abcdef1 among the newest 4"
        );
    }
    assert_eq!(count(&server, |r| details_of(r).is_some()), 4);
    // Never a pass, even when inconclusive results may pass: the exit code says so.
    let lenient = run(&mut gate_for_commit(
        &server,
        "abcdef1",
        &["--format", "text"],
    ));
    assert!(
        lenient
            .stdout
            .contains("INCONCLUSIVE state: no build of commit abcdef1")
    );
}

#[test]
fn with_wait_a_commit_not_yet_built_is_polled_for_until_it_finishes() {
    let polls = Arc::new(AtomicUsize::new(0));
    let seen = polls.clone();
    let server = Server::start(move |r, _| {
        let poll = seen.load(Ordering::SeqCst);
        if let Some(id) = details_of(r) {
            return match (id, poll) {
                ("new", 2) => details("new", "Building", ""),
                ("new", 3) => details("new", "Building", SHA),
                ("new", _) => details("new", "Successful", SHA),
                (id, _) => details(id, "Successful", OTHER),
            };
        }
        let poll = seen.fetch_add(1, Ordering::SeqCst) + 1;
        let old = ("old", "Successful");
        match poll {
            1 => builds(1, &[old]),
            2 | 3 => builds(2, &[("new", "Queuing"), old]),
            _ => builds(2, &[("new", "Successful"), old]),
        }
    });
    let out = run(&mut gate_for_commit(
        &server,
        &SHA[..7],
        &["--wait", "30s", "--poll-interval", "1s"],
    ));
    let json = checked(&out, &server, 0);
    assert_eq!(json["target"]["build_id"], "new");
    // Four looks, each after a "waiting" line (the sleeps between them are fetch's unit
    // tests, on a fake clock).
    assert_eq!(polls.load(Ordering::SeqCst), 4);
    assert!(
        out.stderr.contains("waiting for a build of commit 3f5e0c6"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("waiting for build new (Queuing)"),
        "{}",
        out.stderr
    );
    // "old" names a commit, so it is read once; "new" until it names one, and again
    // once it has finished.
    let read = |id: &str| count(&server, |r| details_of(r) == Some(id));
    assert_eq!((read("old"), read("new")), (1, 3));
}

#[test]
fn with_wait_a_commit_never_built_is_inconclusive_at_the_deadline() {
    let server = commit_server(vec![("b1", "Successful", OTHER)]);
    let out = run(&mut gate_for_commit(
        &server,
        "abcdef1",
        &["--wait", "2s", "--poll-interval", "1s"],
    ));
    let json = checked(&out, &server, 1);
    assert_eq!(json["verdict"], "inconclusive");
    assert_eq!(
        json["rules"][0]["message"],
        "no build of commit abcdef1 among the newest 1"
    );
    assert!(
        out.stderr
            .contains("servicestage-gate: waiting for a build of commit abcdef1, "),
        "{}",
        out.stderr
    );
    // Polls no faster than once a second, and none starts at or past the deadline: at
    // most two in 2s, however slow the machine. Details with a commit are read once.
    let lists = count(&server, |r| r.path().ends_with("/builds"));
    assert!((1..=2).contains(&lists), "{lists} polls in 2s");
    assert_eq!(count(&server, |r| details_of(r).is_some()), 1);
}

#[test]
fn details_that_cannot_be_trusted_end_the_commit_search_with_an_error() {
    let cases: [(&str, Reply, &str); 4] = [
        ("another build", details("b9", "Successful", SHA), "b9"),
        (
            "a hostile commit",
            details("b1", "Successful", "##vso[task.complete]"),
            "commit_id",
        ),
        (
            "a redirect",
            Reply::json(302, "{}").with_header("Location", "http://198.51.100.7/steal"),
            "redirect",
        ),
        (
            "the token echoed",
            Reply::ok(json!({"build_id": "b1", "commit_id": SHA, "branch": TOKEN}).to_string()),
            "echoed a credential",
        ),
    ];
    for (name, reply, needle) in cases {
        let reply = Arc::new(std::sync::Mutex::new(Some(reply)));
        let server = Server::start(move |r, _| match details_of(r) {
            Some(_) => reply.lock().unwrap().take().unwrap_or_else(not_found),
            None => builds(1, &[("b1", "Successful")]),
        });
        let out = run(&mut gate_for_commit(
            &server,
            &SHA[..7],
            &["--retries", "0"],
        ));
        let json = checked(&out, &server, 3);
        assert_ne!(json["verdict"], "pass", "{name}");
        assert!(error_message(&json).contains(needle), "{name}: {json}");
        out.assert_hides(&[TOKEN, "##vso["]);
        assert_eq!(count(&server, |r| r.target.contains("198.51.100.7")), 0);
    }
}

// 3. Why it failed: the explanation never changes the verdict.

#[test]
fn the_failed_phase_reaches_every_output() {
    let server = Server::start(|r, _| match phases_of(r) {
        Some(_) => phases(&[("Init", "Successful"), ("PreProcess", "TIMEOUT")]),
        None => builds(2, &[("b1", "Timeout"), ("b0", "Successful")]),
    });
    let dir = std::env::temp_dir().join(format!("gate-phase-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (summary, junit) = (dir.join("summary.md"), dir.join("junit.xml"));
    let out = run(gate_with(
        &server,
        &["--job-id", "j", "--job-name", "n", "--format", "text"],
    )
    .args([
        "--annotations",
        "github",
        "--junit",
        junit.to_str().unwrap(),
    ])
    .env("GITHUB_STEP_SUMMARY", &summary));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stdout.contains("\n  failed in phase PreProcess\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("::error title=state::")
                && l.ends_with("; failed in phase PreProcess")),
        "{}",
        out.stdout
    );
    for file in [&summary, &junit] {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(text.contains("failed in phase PreProcess"), "{text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_failing_phases_request_keeps_the_verdict_and_says_why() {
    let replies: [(&str, Reply); 4] = [
        (
            "500",
            Reply::json(500, r#"{"error_code":"SVCSTG.500","error_msg":"down"}"#),
        ),
        (
            "hidden character",
            phases(&[("Bui\u{200b}ld::error::x", "Failed")]),
        ),
        ("echoed token", phases(&[(TOKEN, "Failed")])),
        (
            "redirect",
            Reply::json(301, "").with_header("Location", "http://198.51.100.7/"),
        ),
    ];
    for (name, reply) in replies {
        let reply = Arc::new(std::sync::Mutex::new(Some(reply)));
        let server = Server::start(move |r, _| match phases_of(r) {
            Some(_) => reply.lock().unwrap().take().unwrap_or_else(not_found),
            None => builds(1, &[("b1", "Failed")]),
        });
        let out = run(gate_with(
            &server,
            &["--job-id", "j", "--job-name", "n", "--retries", "0"],
        )
        .args(["--annotations", "github"]));
        let json = checked(&out, &server, 1);
        assert_eq!(json["verdict"], "fail", "{name}");
        assert_eq!(json["error"], Value::Null, "{name}");
        assert_eq!(json["target"].get("failed_phase"), None, "{name}");
        let why = json["target"]["failed_phase_unavailable"].as_str().unwrap();
        assert!(!why.is_empty(), "{name}");
        assert_eq!(
            json["rules"][0]["message"], "build b1 is Failed, expected Successful",
            "{name}"
        );
        out.assert_hides(&[TOKEN, "::error::x"]);
        assert!(!out.stdout.contains("::"), "{name}: {}", out.stdout);
        // The text report says so on its own line (the second time the phases are a 404).
        let text = run(&mut gate_with(
            &server,
            &["--job-id", "j", "--job-name", "n", "--format", "text"],
        ));
        assert_eq!(text.code, 1, "{name}");
        assert!(
            text.stdout
                .contains("\n  failed phase unavailable (http: HTTP 404"),
            "{name}: {}",
            text.stdout
        );
    }
}

/// Server text that only a CI runner would read as a command is kept, like a build id,
/// and every renderer shows it inert (ARCHITECTURE.md: the server-text policy).
#[test]
fn a_phase_name_with_ci_command_markers_is_shown_inert() {
    let name = "::error::x ##vso[task.complete result=Succeeded]";
    let server = Server::start(move |r, _| match phases_of(r) {
        Some(_) => phases(&[(name, "Failed")]),
        None => builds(1, &[("b1", "Failed")]),
    });
    for annotations in ["github", "azure"] {
        let out = run(gate_with(
            &server,
            &["--job-id", "j", "--job-name", "n", "--format", "text"],
        )
        .args(["--annotations", annotations]));
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(out.stdout.contains("failed in phase "), "{}", out.stdout);
        for line in out.stdout.lines().chain(out.stderr.lines()) {
            // The gate's own command opens the line; nothing after it is one.
            let own = line.starts_with("##vso[") || line.starts_with("::");
            let rest = if own { &line[2..] } else { line };
            let inert = !rest.contains("##") && (own || !rest.contains("::"));
            assert!(inert, "{annotations}: {line:?}");
        }
    }
    let out = run(&mut gate_with(
        &server,
        &["--job-id", "j", "--job-name", "n"],
    ));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.json()["target"]["failed_phase"], name);
}

// 4. Throttling.

fn throttled_then_ok(retry_after: Option<&'static str>) -> Server {
    Server::start(move |_, i| match i {
        0 => {
            let reply = Reply::json(
                400,
                r#"{"error_code":"APIG.0308","error_msg":"The throttling threshold has been reached"}"#,
            );
            match retry_after {
                Some(seconds) => reply.with_header("Retry-After", seconds),
                None => reply,
            }
        }
        _ => builds(1, &[("b1", "Successful")]),
    })
}

#[test]
fn apig_0308_without_retry_after_backs_off_at_least_two_seconds() {
    let server = throttled_then_ok(None);
    let out = run(&mut gate_with(
        &server,
        &["--job-id", "j", "--job-name", "n", "-v"],
    ));
    let json = checked(&out, &server, 0);
    assert_eq!(json["requests"], 2);
    // 2s plus jitter ("2s 137ms"): the wait itself is http's unit tests, on a fake clock.
    assert!(out.stderr.contains("retry 1/3 in 2s"), "{}", out.stderr);
    assert!(out.stderr.contains("request 2: GET "), "{}", out.stderr);
}

#[test]
fn apig_0308_with_retry_after_waits_as_told() {
    let server = throttled_then_ok(Some("1"));
    let out = run(&mut gate_with(
        &server,
        &["--job-id", "j", "--job-name", "n", "-v"],
    ));
    let json = checked(&out, &server, 0);
    assert_eq!(json["requests"], 2);
    // Exactly the 1s asked for, no backoff and no jitter.
    assert!(
        out.stderr
            .contains("retry 1/3 in 1s after http: HTTP 400 APIG.0308"),
        "{}",
        out.stderr
    );
}

#[test]
fn apig_0308_is_not_retried_past_retries_or_the_wait_deadline() {
    let server = Server::start(|_, _| {
        Reply::json(
            403,
            r#"{"error_code":"APIGW.0308","error_msg":"throttled"}"#,
        )
    });
    let out = run(&mut gate_with(
        &server,
        &["--job-id", "j", "--job-name", "n", "--retries", "0"],
    ));
    let json = checked(&out, &server, 3);
    assert_eq!(json["error"]["kind"], "http");
    assert_eq!(json["error"]["code"], "APIGW.0308");
    assert!(
        error_message(&json).contains("throttled by the API gateway"),
        "{json}"
    );
    // The 2 s backoff does not fit in a 1 s wait: one request, then the verdict.
    let out = run(&mut gate_with(
        &server,
        &[
            "--job-id",
            "j",
            "--job-name",
            "n",
            "--wait",
            "1s",
            "--poll-interval",
            "1s",
        ],
    ));
    assert_eq!(out.code, 3, "{}", out.stderr);
    let json = out.json();
    // One request in each run: the server saw two.
    assert_eq!(json["requests"], 1);
    assert_eq!(server.requests().len(), 2);
    assert!(
        error_message(&json)
            .ends_with("not retried again: waiting 2s would pass the --wait deadline of 1s"),
        "{json}"
    );
}

// 6. The run that judges what the issue names, against the shipped fake server.

#[test]
fn job_name_commit_and_wait_work_against_the_fake_server_example() {
    let fixture = env!("CARGO_MANIFEST_DIR").to_string() + "/examples/commits.json";
    let mut child = Command::new(fake_server())
        .args(["--port", "0", "--fixture", &fixture])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut url,
    )
    .unwrap();
    let gate_run = |commit: &str| {
        run(gate()
            .args([
                "--endpoint",
                url.trim(),
                "--job-name",
                "WEB-API",
                "--commit",
                commit,
            ])
            .args(["--wait", "30m", "--format", "json"])
            .env("SERVICESTAGE_TOKEN", TOKEN))
    };
    let passing = gate_run("9c1d2e3");
    let failing = gate_run("3f5e0c6");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(passing.code, 0, "{}{}", passing.stdout, passing.stderr);
    let json = passing.json();
    assert_eq!(json["job"], json!({"id": "a1b2c3", "name": "web-api"}));
    assert_eq!(json["target"]["build_id"], "b2");
    // Job list, build list, details of b4, b3 and b2.
    assert_eq!(json["requests"], 5);
    assert_eq!(failing.code, 1);
    assert_eq!(failing.json()["target"]["failed_phase"], "Build");
}
