//! `--unavailable pass` end to end: a job the service could not answer for (unreachable,
//! 5xx or throttled after every retry) is `unavailable` and exits 0 in every output; any
//! other error still exits 3; several jobs take the worst verdict.

use std::fs;
use std::net::TcpListener;
use std::path::PathBuf;

use crate::common::{
    self, Recorded, Reply, Server, TOKEN, gate, gate_for, page_json, run, successful,
};
use serde_json::Value;

fn builds() -> String {
    let builds = successful(3);
    let borrowed = common::borrowed(&builds);
    page_json(3, &borrowed)
}

/// A server that answers every request with `status` and a Huawei Cloud error body.
fn failing(status: u16, code: &str) -> Server {
    let body = format!(r#"{{"error_code":"{code}","error_msg":"refused by the test"}}"#);
    Server::always(status, &body)
}

/// A loopback address nothing listens on: connecting is refused at once.
fn refusing_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gate-outcome-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_failing_or_unreachable_service_is_unavailable_with_the_flag_and_an_error_without() {
    let down = failing(503, "SVCSTG.503");
    let throttled = failing(400, "APIG.0308");
    let refused = refusing_endpoint();
    let cases = [
        (down.url(), "http", Some(503u64)),
        (throttled.url(), "http", Some(400)),
        (refused, "network", None),
    ];
    for (endpoint, kind, status) in cases {
        let strict = run(gate_for(&endpoint).args(["--retries", "0"]));
        assert_eq!(strict.code, 3, "{endpoint}: {}", strict.stderr);
        assert_eq!(strict.json()["verdict"], "error");

        let out = run(gate_for(&endpoint).args(["--retries", "0", "--unavailable", "pass"]));
        assert_eq!(out.code, 0, "{endpoint}: {}", out.stderr);
        let json = out.json();
        assert_eq!(json["verdict"], "unavailable", "{json}");
        assert_eq!(json["error"]["kind"], kind, "the error is kept: {json}");
        assert_eq!(json["error"]["status"].as_u64(), status);
        assert!(
            out.stderr.contains(&format!("servicestage-gate: {kind}: ")),
            "the error still reaches stderr: {}",
            out.stderr
        );
    }
    // Every retry was spent before giving up: `--retries 0` means one request.
    assert_eq!(down.requests().len(), 2, "one per run");
}

#[test]
fn the_variable_sets_it_and_a_bad_value_is_a_usage_error() {
    let down = failing(502, "APIGW.0202");
    let out = run(gate_for(&down.url())
        .args(["--retries", "0"])
        .env("SERVICESTAGE_UNAVAILABLE", "pass"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["verdict"], "unavailable");
    let out = run(gate_for(&down.url())
        .args(["--retries", "0", "--unavailable", "fail"])
        .env("SERVICESTAGE_UNAVAILABLE", "pass"));
    assert_eq!(out.code, 3, "the flag wins: {}", out.stderr);
    let bad = run(gate_for(&down.url()).args(["--unavailable", "maybe"]));
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("--unavailable"), "{}", bad.stderr);
    assert!(
        down.requests().len() <= 2,
        "nothing sent for the usage error"
    );
}

#[test]
fn refused_credentials_a_missing_job_and_other_4xx_still_exit_3() {
    for (status, code, kind) in [
        (401, "APIGW.0301", "auth"),
        (403, "SVCSTG.00100403", "auth"),
        (404, "SVCSTG.00100404", "http"),
        (409, "SVCSTG.409", "http"),
    ] {
        let server = failing(status, code);
        let out = run(gate_for(&server.url()).args(["--retries", "0", "--unavailable", "pass"]));
        assert_eq!(out.code, 3, "{status}: {}", out.stderr);
        let json = out.json();
        assert_eq!(json["verdict"], "error", "{json}");
        assert_eq!(json["error"]["kind"], kind, "{json}");
    }
    // A job name the job list does not know is `not-found`, not unavailable.
    let server = Server::start(|_, _| Reply::ok(r#"{"total":0,"list":[]}"#));
    let mut command = gate();
    command
        .args(["--endpoint", &server.url(), "--job-name", "missing-job"])
        .args(["--format", "json", "--unavailable", "pass"])
        .env("SERVICESTAGE_TOKEN", TOKEN);
    let out = run(&mut command);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert_eq!(out.json()["error"]["kind"], "not-found");
}

#[test]
fn every_output_shows_an_unavailable_run() {
    let down = failing(500, "SVCSTG.500");
    let dir = scratch("outputs");
    let (summary, output, junit) = (
        dir.join("summary.md"),
        dir.join("output"),
        dir.join("junit.xml"),
    );
    let out = run(gate()
        .args([
            "--endpoint",
            &down.url(),
            "--job-id",
            "job-1",
            "--job-name",
            "build-1",
        ])
        .env("SERVICESTAGE_TOKEN", TOKEN)
        .args(["--retries", "0", "--unavailable", "pass"])
        .args(["--annotations", "github", "--junit"])
        .arg(&junit)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &output));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with("servicestage-gate: UNAVAILABLE for job build-1 (job-1): "),
        "{}",
        out.stdout
    );
    let annotations: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(annotations.len(), 1, "{annotations:?}");
    assert!(
        annotations[0].starts_with("::warning title=servicestage-gate::unavailable"),
        "{annotations:?}"
    );
    let outputs = fs::read_to_string(&output).unwrap();
    assert!(outputs.starts_with("verdict=unavailable\n"), "{outputs}");
    let summary = fs::read_to_string(&summary).unwrap();
    assert!(
        summary.starts_with("### ⚠️ servicestage-gate: unavailable\n"),
        "{summary}"
    );
    let xml = fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let case = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase"))
        .unwrap();
    assert_eq!(case.attribute("name"), Some("fetch builds"));
    let outcome = case.children().find(|n| n.is_element()).unwrap();
    assert_eq!(outcome.tag_name().name(), "skipped", "{xml}");

    let azure = run(gate_for(&down.url()).args([
        "--retries",
        "0",
        "--unavailable",
        "pass",
        "--annotations",
        "azure",
    ]));
    assert_eq!(azure.code, 0, "{}", azure.stderr);
    assert!(
        azure.stderr.lines().any(|l| l
            .starts_with("##vso[task.complete result=SucceededWithIssues;]unavailable verdict")),
        "{}",
        azure.stderr
    );
    assert!(
        azure
            .stderr
            .contains("##vso[task.setvariable variable=verdict;isoutput=true]unavailable\n"),
        "{}",
        azure.stderr
    );
}

/// Each job answers by its name: `ok` passes, `bad` failed, `run` is still building,
/// `down` answers 503, any other refuses the token (401).
fn route(request: &Recorded) -> Reply {
    let path = request.path();
    if path == "/assembling/v1/jobs" {
        let name = request.query("job_name").unwrap_or_default();
        let list = format!(r#"[{{"job_id":"id-{name}","job_name":"{name}"}}]"#);
        return Reply::ok(format!(r#"{{"total":1,"list":{list}}}"#));
    }
    let job = path
        .strip_prefix("/assembling/v1/jobs/id-")
        .and_then(|rest| rest.strip_suffix("/builds"))
        .unwrap_or_default();
    match job {
        "ok" => Reply::ok(builds()),
        "bad" => Reply::ok(page_json(1, &[("b1", "Failed", 60)])),
        "run" => Reply::ok(page_json(1, &[("r1", "Building", 0)])),
        "down" => Reply::json(503, r#"{"error_code":"SVCSTG.503","error_msg":"down"}"#),
        _ => Reply::json(401, r#"{"error_code":"APIGW.0301","error_msg":"refused"}"#),
    }
}

#[test]
fn several_jobs_take_the_worst_verdict_and_any_other_error_makes_an_error() {
    let server = Server::start(|r, _| route(r));
    let cases: [(&[&str], i32, &str); 6] = [
        (&["ok", "down"], 0, "unavailable"),
        (&["down", "run"], 1, "inconclusive"),
        (&["down", "bad", "run"], 1, "fail"),
        (&["down", "gone"], 3, "error"),
        (&["ok", "down", "gone"], 3, "error"),
        (&["ok"], 0, "pass"),
    ];
    for (jobs, code, verdict) in cases {
        let mut command = gate();
        command
            .args(["--endpoint", &server.url(), "--retries", "0"])
            .args(["--format", "json", "--unavailable", "pass"])
            .env("SERVICESTAGE_TOKEN", TOKEN);
        for job in jobs {
            command.args(["--job", job]);
        }
        let out = run(&mut command);
        assert_eq!(out.code, code, "{jobs:?}: {}", out.stderr);
        let json = out.json();
        assert_eq!(json["verdict"], verdict, "{jobs:?}: {json}");
        let down = json["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["job"]["name"] == "down");
        if let Some(down) = down {
            assert_eq!(down["verdict"], "unavailable", "{json}");
            assert_eq!(down["error"]["status"], 503, "{json}");
        }
        let error: &Value = &json["error"];
        match verdict {
            "error" => assert_ne!(error["kind"], Value::Null, "{json}"),
            "unavailable" => assert_eq!(error["status"], 503, "{json}"),
            _ => assert_eq!(*error, Value::Null, "{json}"),
        }
    }
}
