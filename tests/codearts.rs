//! `--backend codearts` end to end: the real binary against the shipped fake server
//! (examples/fake-servicestage.rs with examples/support/codearts.rs, faults selected by an
//! `/_fault/NAME` endpoint prefix) and against loopback servers scripted here.
//!
//! The first test runs one table of rule and output cases against both backends, each
//! reading the same fixture; the rest are CodeArts' own: its faults, its time windows,
//! the lookup in a CodeArts project, the failed step, `--wait`, `--job`, and ids refused
//! before anything is sent.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::common::{
    Reply, Run, Server, TOKEN, assert_any_line, assert_message_contains, example, fake_server,
    gate, run,
};
use serde_json::{Value, json};

const PROJECT: &str = "6d1a0c3b5e7f48a9b2c4d6e8f0a1b3c5";

/// The shipped fake on a free port, serving `args` (`--fixture ...` or `--builds N`);
/// stopped when dropped.
struct Fake {
    child: Child,
    url: String,
}

impl Fake {
    fn start(args: &[&str]) -> Fake {
        let mut child = Command::new(fake_server())
            .args(["--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut url = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut url)
            .unwrap();
        Fake {
            child,
            url: url.trim().to_string(),
        }
    }

    fn fixture(name: &str) -> Fake {
        Fake::start(&["--fixture", &example(name)])
    }

    /// The endpoint with the fake's faults `names` (comma-separated) switched on.
    fn faulty(&self, names: &str) -> String {
        format!("{}/_fault/{names}", self.url)
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The fake's CodeArts id for a fixture's job id: itself when it is one, else the hex of
/// its bytes padded to 32 characters (examples/support/codearts.rs).
fn codearts_id(job_id: &str) -> String {
    let hex: String = job_id.bytes().map(|b| format!("{b:02x}")).collect();
    format!("{hex:0>32}")
}

/// The gate at `endpoint` for job `id` / `name` of CodeArts, JSON out.
fn codearts(endpoint: &str, id: &str, name: &str) -> Command {
    let mut command = gate();
    command
        .args(["--backend", "codearts", "--endpoint", endpoint])
        .args(["--job-id", id, "--job-name", name, "--format", "json"])
        .env("SERVICESTAGE_TOKEN", TOKEN);
    command
}

/// The gate at `endpoint` looking job `name` up in the CodeArts project, JSON out.
fn codearts_by_name(endpoint: &str, name: &str) -> Command {
    let mut command = gate();
    command
        .args(["--backend", "codearts", "--endpoint", endpoint])
        .args(["--codearts-project", PROJECT, "--job-name", name])
        .args(["--format", "json"])
        .env("SERVICESTAGE_TOKEN", TOKEN);
    command
}

#[derive(Clone, Copy, Debug)]
enum Backend {
    ServiceStage,
    CodeArts,
}

/// One rule and output case of the shared table.
struct Case {
    fixture: &'static str,
    /// `#N` stands for the id of the fixture's build N (each backend names it its way).
    args: &'static [&'static str],
    exit: i32,
    verdict: &'static str,
    /// The target's state, and its failed phase.
    target: Option<(&'static str, Option<&'static str>)>,
    rules: &'static [(&'static str, &'static str)],
}

const CASES: &[Case] = &[
    Case {
        fixture: "passing.json",
        args: &["--min-success-rate", "90"],
        exit: 0,
        verdict: "pass",
        target: Some(("Successful", None)),
        rules: &[
            ("state", "pass"),
            ("min-builds", "pass"),
            ("min-success-rate", "pass"),
        ],
    },
    Case {
        fixture: "failed-latest.json",
        args: &[],
        exit: 1,
        verdict: "fail",
        target: Some(("Failed", None)),
        rules: &[("state", "fail")],
    },
    Case {
        fixture: "flaky-history.json",
        args: &[
            "--min-success-rate",
            "90",
            "--max-consecutive-failures",
            "1",
        ],
        exit: 1,
        verdict: "fail",
        target: Some(("Successful", None)),
        rules: &[
            ("state", "pass"),
            ("min-builds", "pass"),
            ("min-success-rate", "fail"),
            ("max-consecutive-failures", "pass"),
        ],
    },
    Case {
        fixture: "flaky-history.json",
        args: &["--min-success-rate", "90", "--advisory", "min-success-rate"],
        exit: 0,
        verdict: "pass",
        target: Some(("Successful", None)),
        rules: &[
            ("state", "pass"),
            ("min-builds", "pass"),
            ("min-success-rate", "fail"),
        ],
    },
    Case {
        fixture: "slow-latest.json",
        args: &["--max-duration", "30m", "--max-duration-regression", "20"],
        exit: 1,
        verdict: "fail",
        target: Some(("Successful", None)),
        rules: &[
            ("state", "pass"),
            ("max-duration", "fail"),
            ("min-builds", "pass"),
            ("max-duration-regression", "fail"),
        ],
    },
    Case {
        fixture: "unfinished-latest.json",
        args: &[],
        exit: 1,
        verdict: "inconclusive",
        target: Some(("Building", None)),
        rules: &[("state", "inconclusive")],
    },
    Case {
        fixture: "unfinished-latest.json",
        args: &["--inconclusive", "pass"],
        exit: 0,
        verdict: "inconclusive",
        target: Some(("Building", None)),
        rules: &[("state", "inconclusive")],
    },
    Case {
        fixture: "unfinished-latest.json",
        args: &[
            "--ignore-running",
            "--window",
            "5",
            "--min-builds",
            "5",
            "--min-success-rate",
            "100",
        ],
        exit: 0,
        verdict: "pass",
        target: Some(("Successful", None)),
        rules: &[
            ("state", "pass"),
            ("min-builds", "pass"),
            ("min-success-rate", "pass"),
        ],
    },
    Case {
        fixture: "flaky-history.json",
        args: &["--build-id", "#2", "--require-state", "Successful,Cancel"],
        exit: 1,
        verdict: "fail",
        target: Some(("Timeout", None)),
        rules: &[("state", "fail")],
    },
    Case {
        fixture: "passing.json",
        args: &["--build-id", "#40"],
        exit: 1,
        verdict: "inconclusive",
        target: None,
        rules: &[("state", "inconclusive")],
    },
    Case {
        fixture: "commits.json",
        args: &["--commit", "3f5e0c6"],
        exit: 1,
        verdict: "fail",
        target: Some(("Failed", Some("Build"))),
        rules: &[("state", "fail")],
    },
    Case {
        fixture: "commits.json",
        args: &["--commit", "9c1d2e3", "--wait", "30m"],
        exit: 0,
        verdict: "pass",
        target: Some(("Successful", None)),
        rules: &[("state", "pass")],
    },
    Case {
        fixture: "commits.json",
        args: &["--commit", "0000000"],
        exit: 1,
        verdict: "inconclusive",
        target: None,
        rules: &[("state", "inconclusive")],
    },
];

/// Each build id of `fixture` (a ServiceStage fixture), in order, as `backend` names it:
/// CodeArts numbers a converted build by its `build_no`, else by its place from the end.
fn build_ids(fixture: &str, backend: Backend) -> Vec<String> {
    let text = std::fs::read_to_string(example(fixture)).unwrap();
    let saved: Value = serde_json::from_str(&text).unwrap();
    let list = saved["list"].as_array().unwrap();
    let count = list.len() as u64;
    list.iter()
        .enumerate()
        .map(|(index, build)| match backend {
            Backend::ServiceStage => build["build_id"].as_str().unwrap().to_string(),
            Backend::CodeArts => build["build_no"]
                .as_u64()
                .unwrap_or(count - index as u64)
                .to_string(),
        })
        .collect()
}

/// `text` with each backend's ids of the same build made one: `#N` for build N, `JOB`
/// for the job id (in parentheses, as the text report shows it). Only ids after "build "
/// are replaced, longest first, whole.
fn neutral(text: &str, ids: &[String], job_id: &str) -> String {
    let mut text = text.replace(&format!("({job_id})"), "(JOB)");
    let mut order: Vec<(usize, &String)> = ids.iter().enumerate().collect();
    order.sort_by_key(|(_, id)| std::cmp::Reverse(id.len()));
    for (index, id) in order {
        let wanted = format!("build {id}");
        let mut out = String::new();
        let mut rest = text.as_str();
        while let Some(at) = rest.find(&wanted) {
            let end = at + wanted.len();
            let whole = !rest[end..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-');
            out.push_str(&rest[..at]);
            out.push_str(&if whole {
                format!("build #{index}")
            } else {
                wanted.clone()
            });
            rest = &rest[end..];
        }
        out.push_str(rest);
        text = out;
    }
    text
}

/// What a case shows a user, through one backend: the exit code, the JSON report with
/// ids made neutral (less what only one backend knows: request counts, start and end
/// times), and the text report with GitHub annotations, made neutral too.
fn judged(fake: &Fake, case: &Case, backend: Backend) -> (i32, Value, String) {
    let ids = build_ids(case.fixture, backend);
    let job_id = match backend {
        Backend::ServiceStage => "j".to_string(),
        Backend::CodeArts => codearts_id("j"),
    };
    let args: Vec<String> = case
        .args
        .iter()
        .map(|arg| match arg.strip_prefix('#') {
            Some(n) => ids
                .get(n.parse::<usize>().unwrap())
                .cloned()
                .unwrap_or_else(|| format!("missing-{n}")),
            None => arg.to_string(),
        })
        .collect();
    let command = |format: &str| {
        let mut command = gate();
        if let Backend::CodeArts = backend {
            command.args(["--backend", "codearts"]);
        }
        command
            .args([
                "--endpoint",
                &fake.url,
                "--job-id",
                &job_id,
                "--job-name",
                "n",
            ])
            .args(["--format", format, "--annotations", "github"])
            .args(&args)
            .env("SERVICESTAGE_TOKEN", TOKEN);
        command
    };
    let json_run = run(&mut command("json"));
    let text_run = run(&mut command("text"));
    assert_eq!(json_run.code, text_run.code, "{backend:?}");
    let mut report = json_run.json();
    report.as_object_mut().unwrap().remove("requests");
    report["job"]["id"] = json!("JOB");
    if let Some(target) = report["target"].as_object_mut() {
        target.remove("started_at");
        target.remove("ended_at");
        let id = target["build_id"].as_str().unwrap();
        let index = ids.iter().position(|i| i == id).unwrap();
        target.insert("build_id".into(), json!(format!("#{index}")));
    }
    let report: Value = serde_json::from_str(&neutral(&report.to_string(), &ids, &job_id)).unwrap();
    let text: String = text_run
        .stdout
        .lines()
        .filter(|line| !line.contains(" started "))
        .map(|line| format!("{line}\n"))
        .collect();
    (json_run.code, report, neutral(&text, &ids, &job_id))
}

/// One table of rule and output cases, two backends: each case's fixture is served by
/// the fake to both, and both must show the user the same thing.
#[test]
fn both_backends_judge_the_same_builds_alike() {
    for case in CASES {
        let fake = Fake::fixture(case.fixture);
        let servicestage = judged(&fake, case, Backend::ServiceStage);
        let codearts = judged(&fake, case, Backend::CodeArts);
        let name = format!("{} {:?}", case.fixture, case.args);
        assert_eq!(
            codearts, servicestage,
            "{name}: CodeArts (left) and ServiceStage"
        );
        let (code, report, _) = codearts;
        assert_eq!(code, case.exit, "{name}: {report}");
        assert_eq!(report["verdict"], case.verdict, "{name}");
        let target = case
            .target
            .map(|(state, phase)| (json!(state), json!(phase)));
        let got = (!report["target"].is_null()).then(|| {
            let phase = report["target"].get("failed_phase").cloned();
            (
                report["target"]["build_state"].clone(),
                phase.unwrap_or(Value::Null),
            )
        });
        assert_eq!(got, target, "{name}");
        let rules: Vec<(&str, &str)> = report["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["name"].as_str().unwrap(), r["verdict"].as_str().unwrap()))
            .collect();
        assert_eq!(rules, case.rules, "{name}");
    }
}

// CodeArts' own cases, against the fake's CodeArts fixtures and faults.

fn error_of(run: &Run) -> Value {
    run.json()["error"].clone()
}

#[test]
fn a_job_is_looked_up_by_name_in_either_job_list_shape_and_judged() {
    let fake = Fake::fixture("codearts/passing.json");
    for endpoint in [fake.url.clone(), fake.faulty("reference-shape")] {
        let out = run(codearts_by_name(&endpoint, "web-api").args(["--min-success-rate", "80"]));
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
        let report = out.json();
        assert_eq!(
            report["job"],
            json!({"id": "8f2c1e0d4b6a49c7a1d3e5f7091b2c4d", "name": "web-api"})
        );
        assert_eq!(report["target"]["build_id"], "112");
        assert_eq!(
            report["target"]["duration"], 1181,
            "cost_time is milliseconds"
        );
        assert_eq!(
            report["summary"],
            json!({"total": 12, "finished": 12, "successful": 11, "window": 10})
        );
        // The job list, then the newest window, whole.
        assert_eq!(report["requests"], 2);
    }
    // Names are case-sensitive: `Web-Api` is another job, `WEB-API` none.
    let other = run(&mut codearts_by_name(&fake.url, "Web-Api"));
    assert_eq!(
        other.json()["job"]["id"],
        "3b7d9f1a2c4e46a8b0d2f4a6c8e0b1d3"
    );
    let none = run(&mut codearts_by_name(&fake.url, "WEB-API"));
    assert_eq!(none.code, 3);
    assert_eq!(error_of(&none)["kind"], "not-found");
    assert_message_contains(&error_of(&none), "names are case-sensitive");
}

#[test]
fn the_failed_step_names_the_phase_and_a_build_that_never_ran_has_none() {
    let fake = Fake::fixture("codearts/failing.json");
    let job = "8f2c1e0d4b6a49c7a1d3e5f7091b2c4d";
    let failed = run(&mut codearts(&fake.url, job, "web-api"));
    assert_eq!(failed.code, 1);
    let report = failed.json();
    assert_eq!(report["target"]["build_id"], "58");
    assert_eq!(report["target"]["failed_phase"], "Maven build");
    assert!(
        report["rules"][0]["message"]
            .as_str()
            .unwrap()
            .ends_with("failed in phase Maven build"),
        "{report}"
    );
    // The list, then history-details of build 58.
    assert_eq!(report["requests"], 2);
    // history-details answers 403 CB.00031059: no phase, and no error either.
    let never_ran = run(&mut codearts(&fake.faulty("never-ran"), job, "web-api"));
    assert_eq!(never_ran.code, 1, "{}", never_ran.stderr);
    let report = never_ran.json();
    assert_eq!(report["verdict"], "fail");
    assert_eq!(report["error"], Value::Null);
    let target = report["target"].as_object().unwrap();
    assert!(!target.contains_key("failed_phase"), "{report}");
    assert!(!target.contains_key("failed_phase_unavailable"), "{report}");
    assert_eq!(report["requests"], 2);
    // A Timeout build's step too; an ABORTED build is Cancel and reads no steps.
    let timeout = run(codearts(&fake.url, job, "web-api").args(["--build-id", "55"]));
    assert_eq!(
        timeout.json()["target"]["failed_phase"],
        "Upload to release repo"
    );
    let cancel = run(codearts(&fake.url, job, "web-api").args(["--build-id", "53"]));
    let report = cancel.json();
    assert_eq!(report["target"]["build_state"], "Cancel");
    assert_eq!(report["requests"], 1);
}

#[test]
fn older_windows_are_read_while_the_rules_need_builds_and_no_further() {
    let fake = Fake::fixture("codearts/windows.json");
    let job = "8f2c1e0d4b6a49c7a1d3e5f7091b2c4d";
    let newest = run(&mut codearts(&fake.url, job, "web-api"));
    assert_eq!(
        newest.json()["requests"],
        1,
        "the newest window has the target"
    );
    let history = run(codearts(&fake.url, job, "web-api").args(["--min-success-rate", "80"]));
    let report = history.json();
    assert_eq!(report["verdict"], "pass", "{report}");
    assert_eq!(report["summary"]["window"], 10);
    assert_eq!(report["summary"]["successful"], 8);
    // The ten newest builds span 88 days: three 30-day windows.
    assert_eq!(report["requests"], 3);
    // With fewer builds than the window, every window of the year is read, then no more.
    let all = run(codearts(&fake.url, job, "web-api").args([
        "--window",
        "50",
        "--min-success-rate",
        "80",
    ]));
    assert_eq!(all.json()["requests"], 12);
    assert_eq!(all.json()["summary"]["window"], 13);
}

#[test]
fn a_window_of_several_pages_is_read_whole_and_sorted_by_number() {
    // 250 builds an hour apart: all in the newest window, on three pages.
    let fake = Fake::start(&["--builds", "250"]);
    let job = codearts_id("j");
    for endpoint in [fake.url.clone(), fake.faulty("oldest-first")] {
        let out = run(&mut codearts(&endpoint, &job, "n"));
        let report = out.json();
        assert_eq!(report["target"]["build_id"], "250", "{endpoint}");
        assert_eq!(report["summary"]["total"], 250);
        assert_eq!(report["requests"], 3);
    }
}

#[test]
fn a_window_cut_short_leaves_every_rule_inconclusive_never_a_pass() {
    let rules = [
        "--min-success-rate",
        "50",
        "--max-duration",
        "2h",
        "--advisory",
        "min-success-rate",
    ];
    // total_record above the builds listed; a server that ignores page_index.
    let cases = [
        (
            "codearts/passing.json",
            "total-over",
            "counts 17 builds but its pages listed 12",
        ),
        (
            "--builds=250",
            "ignore-page",
            "counts 250 builds but its pages listed 100",
        ),
    ];
    for (served, fault, why) in cases {
        let fake = match served.strip_prefix("--builds=") {
            Some(n) => Fake::start(&["--builds", n]),
            None => Fake::fixture(served),
        };
        let out = run(codearts(&fake.faulty(fault), &codearts_id("j"), "n").args(rules));
        assert_eq!(out.code, 1, "{fault}: {}{}", out.stdout, out.stderr);
        let report = out.json();
        assert_eq!(report["verdict"], "inconclusive", "{fault}");
        for rule in report["rules"].as_array().unwrap() {
            assert_eq!(rule["verdict"], "inconclusive", "{fault}: {rule}");
        }
        assert_eq!(report["target"], Value::Null, "{fault}");
        assert_any_line(&out.stderr, |line| {
            line.contains(why) && line.contains("cut short")
        });
    }
}

#[test]
fn answers_that_contradict_themselves_or_hide_text_are_response_errors() {
    let fake = Fake::fixture("codearts/passing.json");
    let job = "8f2c1e0d4b6a49c7a1d3e5f7091b2c4d";
    let cases = [
        (
            "total-short",
            "total_record is 11 but 12 different builds were listed",
        ),
        (
            "wrong-page",
            "asked for page_index 0, the answer is page_index 1",
        ),
        (
            "conflict",
            "build 112 is listed twice with different fields",
        ),
        (
            "numeric-counts",
            "page_index: invalid type: integer `0`, expected a string",
        ),
        (
            "hidden",
            "job_build_states[0] (build 112).code_branch contains an invisible character (U+202E)",
        ),
        (
            "unknown-state",
            "(build 112) is Finished with state \"UNSTABLE\", which the gate does not know",
        ),
    ];
    for (fault, expected) in cases {
        let out = run(&mut codearts(&fake.faulty(fault), job, "web-api"));
        assert_eq!(out.code, 3, "{fault}: {}", out.stdout);
        let error = error_of(&out);
        assert_eq!(error["kind"], "response", "{fault}");
        assert_message_contains(&error, expected);
        assert!(!out.stdout.contains('\u{202e}') && !out.stderr.contains('\u{202e}'));
    }
}

#[test]
fn a_failure_on_http_200_is_an_error_and_throttling_is_retried() {
    let fake = Fake::fixture("codearts/passing.json");
    let job = "8f2c1e0d4b6a49c7a1d3e5f7091b2c4d";
    let failed = run(&mut codearts(&fake.faulty("fail-200"), job, "web-api"));
    assert_eq!(failed.code, 3);
    let error = error_of(&failed);
    assert_eq!(
        (&error["kind"], &error["status"], &error["code"]),
        (&json!("http"), &json!(200), &json!("CB.00031105"))
    );
    assert_message_contains(&error, "reports an error: The time span exceeds 31 days.");
    // HTTP 400 CB.00060211 on the first request: backed off, asked again, judged.
    let throttled = run(&mut codearts(&fake.faulty("throttle"), job, "web-api"));
    assert_eq!(throttled.code, 0, "{}", throttled.stderr);
    assert_eq!(throttled.json()["requests"], 2);
    // Throttled to the end: an http error, which --unavailable pass lets through.
    let always = fake.faulty("throttle-always");
    let out = run(codearts(&always, job, "web-api").args(["--retries", "0"]));
    assert_eq!(out.code, 3);
    let error = error_of(&out);
    assert_eq!(
        (&error["status"], &error["code"]),
        (&json!(400), &json!("CB.00060211"))
    );
    assert_message_contains(&error, "throttled");
    let out =
        run(codearts(&always, job, "web-api").args(["--retries", "0", "--unavailable", "pass"]));
    assert_eq!(
        (out.code, out.json()["verdict"].clone()),
        (0, json!("unavailable"))
    );
}

// CodeArts' own cases, against servers scripted here.

/// A build-list answer holding `builds`, all on one page.
fn builds_answer(builds: &[Value]) -> String {
    json!({
        "result": {
            "page_index": "0",
            "total_page": "1",
            "total_record": builds.len().to_string(),
            "job_build_states": builds,
        },
        "error": null,
        "status": "success",
    })
    .to_string()
}

fn build(number: u64, state: &str, running: &str, commit: &str) -> Value {
    json!({
        "number": number,
        "state": state,
        "job_running_status": running,
        "start_time": 1_735_689_600_000u64 + number * 60_000,
        "cost_time": 61_000,
        "commit_id": commit,
        "code_branch": "main",
    })
}

const JOB_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1";
const JOB_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2";

#[test]
fn wait_polls_until_the_target_finishes_and_commit_reads_no_details() {
    let sha = "3f5e0c6a9b1d2e4f60718293a4b5c6d7e8f90a1b";
    // The builds are in the newest window, which each look asks for first: the one that
    // ends latest. The first look sees build 8 running, later ones finished.
    let latest_end = Mutex::new(String::new());
    let looks = AtomicUsize::new(0);
    let server = Server::start(move |request, _| {
        assert!(
            request.path().starts_with("/v1/record/"),
            "{}",
            request.target
        );
        let end = request.query("end_time").unwrap().to_string();
        let mut latest = latest_end.lock().unwrap();
        if end < *latest {
            return Reply::ok(builds_answer(&[]));
        }
        *latest = end;
        let newest = match looks.fetch_add(1, Ordering::SeqCst) {
            0 => build(8, "RUNNING", "Running", sha),
            _ => build(8, "SUCCESS", "Finished", sha),
        };
        Reply::ok(builds_answer(&[
            newest,
            build(7, "FAILURE", "Finished", "1e2d3c4"),
        ]))
    });
    let out = run(codearts(&server.url(), JOB_A, "api").args([
        "--commit",
        "3f5e0c6",
        "--wait",
        "1m",
        "--poll-interval",
        "1s",
    ]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let report = out.json();
    assert_eq!(report["target"]["build_id"], "8");
    assert_eq!(report["target"]["commit"], sha);
    assert_eq!(report["target"]["branch"], "main");
    assert_eq!(
        report["target"]["started_at"],
        "2025-01-01 00:08:00 +0000 UTC"
    );
    assert_eq!(
        report["target"]["ended_at"],
        "2025-01-01 00:09:01 +0000 UTC"
    );
    // Two looks, each at all twelve windows (a --commit search wants ten candidates and
    // the job has two builds); the commit came from the list, not from details requests.
    assert_eq!(report["requests"], 24);
    assert_any_line(&out.stderr, |line| {
        line.contains("waiting for build 8 (Running)")
    });
}

#[test]
fn an_older_window_cut_short_leaves_even_the_newest_builds_state_inconclusive() {
    // The newest window is whole and its newest build Successful; the next one counts five
    // builds and lists two. The history rules needed it, so the list was cut short.
    let server = Server::start(|_, index| {
        let body = match index {
            0 => builds_answer(&[build(9, "SUCCESS", "Finished", "")]),
            _ => json!({
                "result": {"page_index": "0", "total_page": "1", "total_record": "5",
                           "job_build_states": [build(8, "SUCCESS", "Finished", ""),
                                                build(7, "SUCCESS", "Finished", "")]},
                "error": null, "status": "success",
            })
            .to_string(),
        };
        Reply::ok(body)
    });
    let rules = ["--min-success-rate", "50", "--advisory", "min-success-rate"];
    let out = run(codearts(&server.url(), JOB_A, "api").args(rules));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let report = out.json();
    assert_eq!(report["verdict"], "inconclusive");
    for rule in report["rules"].as_array().unwrap() {
        assert_eq!(rule["verdict"], "inconclusive", "{rule}");
    }
    assert_eq!(report["requests"], 2);
}

#[test]
fn a_build_two_windows_list_is_kept_once_and_must_not_change() {
    // Windows are asked for newest first, one request each here; a build that started on
    // their shared boundary second is in both.
    let serve = |second: Vec<Value>| {
        Server::start(move |_, index| {
            let builds = match index {
                0 => vec![
                    build(9, "SUCCESS", "Finished", ""),
                    build(8, "SUCCESS", "Finished", ""),
                ],
                1 => second.clone(),
                2 => vec![build(7, "FAILURE", "Finished", "")],
                _ => vec![],
            };
            Reply::ok(builds_answer(&builds))
        })
    };
    let history = ["--window", "3", "--min-success-rate", "50"];
    let eight = || build(8, "SUCCESS", "Finished", "");
    // The repeat and an older build; only the repeat: that window brings nothing new, and
    // the next one is read.
    for (second, requests) in [
        (vec![eight(), build(7, "FAILURE", "Finished", "")], 2),
        (vec![eight()], 3),
    ] {
        let server = serve(second);
        let out = run(codearts(&server.url(), JOB_A, "api").args(history));
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
        let report = out.json();
        assert_eq!(
            report["summary"],
            json!({"total": 3, "finished": 3, "successful": 2, "window": 3})
        );
        assert_eq!(report["requests"], requests);
    }
    let server = serve(vec![build(8, "FAILURE", "Finished", "")]);
    let out = run(codearts(&server.url(), JOB_A, "api").args(history));
    assert_eq!(out.code, 3);
    assert_message_contains(
        &error_of(&out),
        "build 8 is listed twice with different fields",
    );
}

#[test]
fn several_jobs_are_looked_up_in_the_project_and_judged_each_on_its_builds() {
    let server = Server::start(|request, _| {
        let path = request.path();
        if path == format!("/v1/job/{PROJECT}/list") {
            let jobs = json!([{"id": JOB_A, "job_name": "api"}, {"id": JOB_B, "job_name": "web"},
                              {"id": "ccccccccccccccccccccccccccccccc3", "job_name": "api-v2"}]);
            let search = request.query("search").unwrap_or("");
            let found: Vec<&Value> = jobs
                .as_array()
                .unwrap()
                .iter()
                .filter(|job| job["job_name"].as_str().unwrap().contains(search))
                .collect();
            let body = json!({"result": {"job_list": found, "total": found.len()},
                              "error": null, "status": "success"});
            return Reply::ok(body.to_string());
        }
        let builds = match path {
            p if p == format!("/v1/record/{JOB_A}/list") => {
                vec![build(12, "SUCCESS", "Finished", "")]
            }
            p if p == format!("/v1/record/{JOB_B}/list") => {
                vec![build(40, "FAILURE", "Finished", "")]
            }
            p if p == format!("/v3/jobs/{JOB_B}/40/history-details") => {
                let steps = json!([{"name": "Checkout", "status": "success"},
                                   {"name": "Unit test", "status": "error"}]);
                let body = json!({"build_number": 40, "build_steps": steps});
                return Reply::ok(body.to_string());
            }
            _ => return Reply::json(404, r#"{"error_code":"CB.404","error_msg":"no"}"#),
        };
        Reply::ok(builds_answer(&builds))
    });
    let out = run(gate()
        .args(["--backend", "codearts", "--endpoint", &server.url()])
        .args([
            "--codearts-project",
            PROJECT,
            "--job",
            "web,api",
            "--format",
            "json",
        ])
        .env("SERVICESTAGE_TOKEN", TOKEN));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let report = out.json();
    assert_eq!(report["verdict"], "fail");
    let jobs: Vec<(Value, Value, Value)> = report["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            (
                j["job"]["id"].clone(),
                j["verdict"].clone(),
                j["target"]["build_id"].clone(),
            )
        })
        .collect();
    assert_eq!(
        jobs,
        [
            (json!(JOB_B), json!("fail"), json!("40")),
            (json!(JOB_A), json!("pass"), json!("12")),
        ]
    );
    // web failed in its step "Unit test": the lookup, the list, history-details.
    assert_eq!(report["jobs"][0]["target"]["failed_phase"], "Unit test");
    assert_eq!(report["jobs"][0]["requests"], 3);
    assert_eq!(report["jobs"][1]["requests"], 2);
    assert_eq!(server.requests().len(), 5);
}

#[test]
fn bad_ids_and_a_missing_project_are_usage_errors_and_nothing_is_sent() {
    let server = Server::always(200, "{}");
    let url = server.url();
    type Vars<'a> = &'a [(&'a str, &'a str)];
    let cases: [(&[&str], Vars, &str); 6] = [
        (
            &["--job-id", &JOB_A[1..], "--job-name", "api"],
            &[],
            "--job-id: ",
        ),
        (
            &["--job-name", "api"],
            &[("SERVICESTAGE_JOB_ID", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1")],
            "SERVICESTAGE_JOB_ID: ",
        ),
        (
            &["--job-id", "../../v1/job/x", "--job-name", "api"],
            &[],
            "is not a CodeArts Build job id",
        ),
        (
            &["--job-name", "api", "--codearts-project", "0e1f2a3b"],
            &[],
            "--codearts-project: \"0e1f2a3b\" is not a CodeArts project id",
        ),
        (
            &["--job-name", "api"],
            &[],
            "--codearts-project is required",
        ),
        (&["--job", "api,web"], &[], "--codearts-project is required"),
    ];
    for (args, vars, expected) in cases {
        let out = run(gate()
            .args([
                "--backend",
                "codearts",
                "--endpoint",
                &url,
                "--format",
                "json",
            ])
            .args(args)
            .envs(vars.iter().copied())
            .env("SERVICESTAGE_TOKEN", TOKEN));
        assert_eq!(out.code, 2, "{args:?}: {}", out.stdout);
        let report = out.json();
        assert_eq!(report["verdict"], "usage");
        assert_message_contains(&report["error"], expected);
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}
