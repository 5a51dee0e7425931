//! A hostile server and a careless user against the gate: each test is a defect found by
//! attacking it, kept so that it stays fixed.

use crate::common::{self, Reply, Server, TOKEN, gate, gate_for, page_json, run};
use serde_json::json;

/// An IAM token the gate masks must reach the runner as it is sent: the runner
/// percent-decodes an `::add-mask::` value, so a token with `%0A` would mask some other
/// text and leave the real one in the clear, and `::` or `##vso[` in it would put a CI
/// command marker into the log. Only token characters are a token.
#[test]
fn an_iam_token_with_characters_no_token_has_is_refused_before_it_is_masked() {
    for hostile in ["MII%0A::warning::x", "MII##vso[task.complete]", "MII,a:b"] {
        let token = hostile.to_string();
        let iam = Server::start(move |_, _| {
            Reply::json(201, "{}").with_header("X-Subject-Token", &token)
        });
        let api = Server::start(|_, _| Reply::ok(page_json(1, &[("b1", "Successful", 60)])));
        let out = run(gate()
            .args(["--endpoint", &api.url(), "--job-id", "j", "--job-name", "n"])
            .args(["--iam-user", "u", "--iam-domain", "d", "--project-id", "p"])
            .args(["--iam-endpoint", &iam.url(), "--annotations", "github"])
            .env("SERVICESTAGE_IAM_PASSWORD", "fake-password-9d2e"));
        assert_eq!(out.code, 3, "{hostile}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stderr
                .contains("X-Subject-Token header that is not a token"),
            "{hostile}: {}",
            out.stderr
        );
        assert!(
            !out.stdout.contains("add-mask"),
            "{hostile}: {}",
            out.stdout
        );
        assert!(api.requests().is_empty(), "{hostile}: the token was sent");
    }
}

/// The build list and the build's details are two answers about one build: when they
/// name different terminal states the gate cannot know which is true, so it judges
/// neither (a `response` error), never the list's Successful over the details' Failed.
#[test]
fn details_that_contradict_the_listed_state_are_a_response_error() {
    let api = Server::start(|r, _| match r.path() {
        "/assembling/v1/builds/b1" => Reply::ok(
            json!({"build_id": "b1", "build_state": "Failed", "commit_id": "abcdef1234"})
                .to_string(),
        ),
        _ => Reply::ok(page_json(1, &[("b1", "Successful", 60)])),
    });
    let out = run(gate_for(&api.url()).args(["--commit", "abcdef1"]));
    assert_eq!(out.code, 3, "{}{}", out.stdout, out.stderr);
    let json = out.json();
    assert_eq!(json["error"]["kind"], "response", "{json}");
    let message = json["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("Successful") && message.contains("Failed"),
        "{message}"
    );
}

/// The API's counts on any page count, not only on the first: page 1 without counts and
/// an empty page 2 that says 10 builds exist is a list cut short, never a pass on 2.
#[test]
fn counts_sent_only_on_a_later_page_still_make_a_short_list_inconclusive() {
    let api = Server::start(|r, _| match r.query("page") {
        Some("1") => Reply::ok(
            json!({"list": [
                {"build_id": "s0", "build_state": "Successful", "duration": 60},
                {"build_id": "s1", "build_state": "Successful", "duration": 60}]})
            .to_string(),
        ),
        _ => Reply::ok(json!({"total": 10, "finished": 10, "list": []}).to_string()),
    });
    let out = run(gate_for(&api.url()).args(["--min-success-rate", "80"]));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.rule("min-success-rate")["verdict"], "inconclusive");
    out.assert_hides(&[TOKEN]);
}

/// A request's signature is a credential in any case: a gateway that echoes it in upper
/// case (hex is hex) must not get it into the log.
#[test]
fn a_signature_echoed_in_upper_case_is_withheld() {
    let api = Server::start(|r, _| {
        let authorization = r.header("Authorization").unwrap_or_default();
        let signature = authorization.split("Signature=").nth(1).unwrap_or_default();
        Reply::json(
            401,
            json!({"error_code": "APIGW.0301", "error_msg": format!(
                "expected {}", signature.to_ascii_uppercase())})
            .to_string(),
        )
    });
    let out = run(gate()
        .args(["--endpoint", &api.url(), "--job-id", "j", "--job-name", "n"])
        .args(["--format", "json", "--retries", "0", "-v"])
        .env("HUAWEICLOUD_SDK_AK", "AK-redteam-4711")
        .env("HUAWEICLOUD_SDK_SK", "SK-redteam-secret-0815"));
    assert_eq!(out.code, 3, "{}{}", out.stdout, out.stderr);
    let sent = api.requests()[0]
        .header("Authorization")
        .unwrap()
        .to_string();
    let signature = sent
        .split("Signature=")
        .nth(1)
        .unwrap()
        .to_ascii_uppercase();
    out.assert_hides(&[&signature, &signature[..16]]);
}

/// A build id goes into the path of the details request: one too long for a URL made the
/// gate blame the user (exit 2, "check --project-id") for the server's text. It is the
/// server's malformed answer (exit 3), refused before any path is built from it.
#[test]
fn a_build_id_too_long_for_a_path_is_a_response_error_not_usage() {
    let long = "b".repeat(70_000);
    let page = page_json(1, &[(long.as_str(), "Successful", 60)]);
    let api = Server::start(move |_, _| Reply::ok(page.clone()));
    let out = run(gate_for(&api.url()).args(["--commit", "abcdef1"]));
    assert_eq!(out.code, 3, "{}", out.stderr);
    let json = out.json();
    assert_eq!(json["error"]["kind"], "response", "{}", out.stderr);
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("list[0].build_id is 70000 bytes long"),
        "{json}"
    );
    assert_eq!(api.requests().len(), 1);
}

/// A URL the user's own values make too long is a usage error that names those values,
/// not `--project-id` alone.
#[test]
fn a_job_id_too_long_for_a_url_is_a_usage_error_naming_it() {
    let api = Server::always(200, "{}");
    let long = "j".repeat(70_000);
    let out = run(gate()
        .args([
            "--endpoint",
            &api.url(),
            "--job-id",
            &long,
            "--job-name",
            "n",
        ])
        .env("SERVICESTAGE_TOKEN", TOKEN));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("cannot be sent") && out.stderr.contains("--job-id"),
        "{}",
        out.stderr
    );
    assert!(api.requests().is_empty());
}

/// A duration no build can have overflowed the regression rule's median (a panic in a
/// debug build, a wrapped number in a release build). Durations are bounded where they
/// are read.
#[test]
fn a_duration_no_build_can_have_is_a_response_error_not_a_panic() {
    let huge = u64::MAX;
    let builds: Vec<(String, &str, u64)> = (0..5)
        .map(|i| (format!("s{i}"), "Successful", huge))
        .collect();
    let page = page_json(5, &common::borrowed(&builds));
    let api = Server::start(move |_, _| Reply::ok(page.clone()));
    let out = run(gate_for(&api.url()).args(["--max-duration-regression", "10"]));
    assert_eq!(out.code, 3, "{}", out.stderr);
    let json = out.json();
    assert_eq!(json["error"]["kind"], "response", "{json}");
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is over ten years"),
        "{json}"
    );
}

/// A window larger than the gate can ever read overflowed the commit search's page count
/// (`2 x window`, a panic) against a server that sends no `total`. It is a usage error.
#[test]
fn a_window_larger_than_the_gate_can_read_is_a_usage_error_not_a_panic() {
    let api = Server::start(|r, _| match r.path() {
        "/assembling/v1/builds/s0" => Reply::ok(
            json!({"build_id": "s0", "build_state": "Successful", "commit_id": "abcdef1234"})
                .to_string(),
        ),
        _ => Reply::ok(
            json!({"list": [{"build_id": "s0", "build_state": "Successful", "duration": 60}]})
                .to_string(),
        ),
    });
    for window in ["9223372036854775808", "10001"] {
        let out = run(gate_for(&api.url()).args([
            "--window",
            window,
            "--commit",
            "abcdef1",
            "--min-success-rate",
            "80",
        ]));
        assert_eq!(out.code, 2, "{window}: {}", out.stderr);
        assert!(
            out.stderr.contains("--window") && out.stderr.contains("more than 10000"),
            "{}",
            out.stderr
        );
    }
    assert!(api.requests().is_empty());
    let out = run(gate_for(&api.url()).args(["--window", "10000"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
}

/// The first page of the whole job list is read only for suggestions: a job of the name
/// there, which the filtered lookup did not return, is not judged (that page cannot show
/// whether another job has the same name further on).
#[test]
fn a_job_only_the_unfiltered_list_names_is_not_judged() {
    let api = Server::start(|r, _| match (r.path(), r.query("job_name")) {
        ("/assembling/v1/jobs", Some(_)) => Reply::ok(json!({"total": 0, "list": []}).to_string()),
        ("/assembling/v1/jobs", None) => Reply::ok(
            json!({"total": 250, "list": [{"job_id": "id-9", "job_name": "web-api"}]}).to_string(),
        ),
        _ => Reply::ok(page_json(1, &[("b1", "Successful", 60)])),
    });
    let out = run(gate()
        .args([
            "--endpoint",
            &api.url(),
            "--job-name",
            "web-api",
            "--format",
            "json",
        ])
        .env("SERVICESTAGE_TOKEN", TOKEN));
    assert_eq!(out.code, 3, "{}", out.stdout);
    assert_eq!(out.json()["error"]["kind"], "not-found", "{}", out.stdout);
    assert!(
        api.requests()
            .iter()
            .all(|r| r.path() == "/assembling/v1/jobs"),
        "a build list was fetched"
    );
}

/// A `Retry-After` longer than the time left ends the retries early; the message said
/// "still after 2 retries" when none had been made. It says what happened.
#[test]
fn a_retry_the_deadline_cuts_off_is_not_reported_as_made() {
    let api = Server::start(|_, _| {
        Reply::json(
            503,
            r#"{"error_code":"SVCSTG.00100500","error_msg":"busy"}"#,
        )
        .with_header("Retry-After", "120")
    });
    let out = run(gate_for(&api.url()).args(["--wait", "3s", "--retries", "2"]));
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert_eq!(api.requests().len(), 1);
    let json = out.json();
    let message = json["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("still after 0 retries")
            && message.contains("not retried again: waiting 1m would pass the --wait deadline"),
        "{message}"
    );
}

/// A careless `--endpoint https://user:password@host` (or `?token=`) is a usage error that
/// does not print the password or token back into the log.
#[test]
fn an_endpoint_with_a_password_or_token_in_it_is_refused_without_repeating_it() {
    for (flag, url) in [
        (
            "--endpoint",
            "https://ci-user:pa55-Word-77@servicestage.example.com",
        ),
        ("--endpoint", "https://ci-user:pa55-Word-77@x/?q=1"),
        (
            "--endpoint",
            "https://servicestage.example.com/?token=pa55-Word-77",
        ),
        ("--iam-endpoint", "https://iam.example.com#pa55-Word-77"),
    ] {
        let out = run(gate()
            .args(["--job-id", "j", "--job-name", "n", "--region", "cn-north-4"])
            .args(["--iam-user", "u", "--iam-domain", "d", "--project-id", "p"])
            .args([flag, url])
            .env("SERVICESTAGE_IAM_PASSWORD", "fake-password-9d2e"));
        assert_eq!(out.code, 2, "{url}: {}", out.stderr);
        assert!(out.stderr.contains(flag), "{}", out.stderr);
        out.assert_hides(&["pa55-Word-77"]);
    }
}
