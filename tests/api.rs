//! The binary against a scripted ServiceStage on 127.0.0.1: verdicts, every fault kind,
//! retries, paging over one connection, waiting, encoding and secrecy.

use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use crate::common::{
    Reply, Run, Server, TOKEN, assert_message_contains, borrowed, gate, gate_for, page_json, run,
    successful,
};
use serde_json::Value;

/// The gate pointed at `server`.
fn against(server: &Server) -> Command {
    gate_for(&server.url())
}

fn error_of(out: &Run) -> Value {
    assert_eq!(
        out.code, 3,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    let json = out.json();
    assert_eq!(json["verdict"], "error");
    assert_eq!(json["target"], Value::Null);
    json["error"].clone()
}

const PASSING: &str = r#"{"total":3,"page":1,"per_page":100,"finished":3,"successful":3,"list":[
    {"build_id":"b3","build_state":"Successful","duration":610},
    {"build_id":"b2","build_state":"Successful","duration":600},
    {"build_id":"b1","build_state":"Successful","duration":590}]}"#;

#[test]
fn pass_sends_the_contract_request() {
    let server = Server::always(200, PASSING);
    let out = run(against(&server).args(["--project-id", "proj-9"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json = out.json();
    assert_eq!(json["verdict"], "pass");
    assert_eq!(
        json["job"],
        serde_json::json!({"id": "job-1", "name": "build-1"})
    );
    assert_eq!(
        json["target"],
        serde_json::json!({"build_id": "b3", "build_state": "Successful", "duration": 610})
    );

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.target,
        "/assembling/v1/jobs/job-1/builds?name=build-1&page=1&per_page=100"
    );
    assert_eq!(request.header("X-Auth-Token"), Some(TOKEN));
    assert_eq!(
        request.header("Content-Type"),
        Some("application/json;charset=utf8")
    );
    assert_eq!(request.header("X-Project-Id"), Some("proj-9"));
    assert_eq!(
        request.header("User-Agent"),
        Some(concat!("servicestage-gate/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(
        request.header("Host"),
        Some(format!("127.0.0.1:{}", server.port).as_str())
    );
    assert_eq!(request.header("Authorization"), None);
}

#[test]
fn fail_and_inconclusive_verdicts() {
    let failed = Server::always(
        200,
        r#"{"list":[{"build_id":"b9","build_state":"Failed","duration":30}]}"#,
    );
    let out = run(&mut against(&failed));
    assert_eq!(out.code, 1);
    assert_eq!(out.json()["verdict"], "fail");
    assert_eq!(
        out.rule("state")["message"],
        "build b9 is Failed, expected Successful"
    );

    let building = Server::always(
        200,
        r#"{"list":[{"build_id":"b9","build_state":"Building"}]}"#,
    );
    let out = run(&mut against(&building));
    assert_eq!(out.code, 1);
    assert_eq!(out.json()["verdict"], "inconclusive");
    let out = run(against(&building).args(["--inconclusive", "pass"]));
    assert_eq!(out.code, 0);
}

#[test]
fn token_file_is_read_and_its_newline_dropped() {
    let server = Server::always(200, PASSING);
    let path = std::env::temp_dir().join(format!("servicestage-gate-token-{}", std::process::id()));
    std::fs::write(&path, format!("{TOKEN}\n")).unwrap();
    let out = run(against(&server)
        .env_remove("SERVICESTAGE_TOKEN")
        .args(["--token-file", path.to_str().unwrap()]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(server.requests()[0].header("X-Auth-Token"), Some(TOKEN));

    let missing = run(against(&server)
        .env_remove("SERVICESTAGE_TOKEN")
        .args(["--token-file", "/nonexistent/token"]));
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains("--token-file: cannot read /nonexistent/token"),
        "{}",
        missing.stderr
    );
    assert_eq!(server.requests().len(), 1, "a usage error fetches nothing");
}

#[test]
fn auth_errors_carry_status_code_and_advice_and_are_not_retried() {
    let server = Server::start(|_, _| {
        Reply::json(
            401,
            r#"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information"}"#,
        )
        .with_header("X-Request-Id", "req-77")
    });
    let out = run(&mut against(&server));
    let error = error_of(&out);
    assert_eq!(error["kind"], "auth");
    assert_eq!(error["status"], 401);
    assert_eq!(error["code"], "APIGW.0301");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "Incorrect IAM authentication information (the token was refused: it has expired"
        ),
        "{message}"
    );
    assert_eq!(error["request_id"], "req-77");
    assert!(!message.contains("req-77"), "{message}");
    assert_eq!(server.requests().len(), 1);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);

    let forbidden = Server::always(
        403,
        r#"{"errorCode":"SVCSTG.00100403","errorMsg":"no permission"}"#,
    );
    let error = error_of(&run(&mut against(&forbidden)));
    assert_eq!(
        (
            error["kind"].as_str(),
            error["status"].as_u64(),
            error["code"].as_str()
        ),
        (Some("auth"), Some(403), Some("SVCSTG.00100403"))
    );
}

#[test]
fn not_found_is_an_http_error_that_names_the_job_flags() {
    let server = Server::always(
        404,
        r#"{"code":"SVCSTG.00100404","message":"job not found"}"#,
    );
    let error = error_of(&run(&mut against(&server)));
    assert_eq!(error["kind"], "http");
    assert_eq!(error["status"], 404);
    assert_eq!(error["code"], "SVCSTG.00100404");
    assert_message_contains(&error, "check --job-id and --job-name");
    assert_eq!(
        server.requests().len(),
        1,
        "4xx other than 429 is not retried"
    );
}

#[test]
fn a_503_then_success_passes_after_one_retry() {
    let server = Server::start(|_, n| match n {
        0 => Reply::json(503, "{}"),
        _ => Reply::ok(PASSING),
    });
    let out = run(&mut against(&server));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn persistent_5xx_exhausts_the_retries_then_exits_3() {
    let server = Server::start(|_, _| Reply::html(502, "<html><h1>502 Bad Gateway</h1></html>"));
    let out = run(against(&server).args(["--retries", "1"]));
    let error = error_of(&out);
    assert_eq!(
        (error["kind"].as_str(), error["status"].as_u64()),
        (Some("http"), Some(502))
    );
    assert_eq!(
        error["code"],
        Value::Null,
        "an HTML page carries no error code"
    );
    assert_message_contains(&error, "still after 1 retries");
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_429_honours_retry_after() {
    let server = Server::start(|_, n| match n {
        0 => Reply::json(
            429,
            r#"{"error_code":"APIGW.0308","error_msg":"throttled"}"#,
        )
        .with_header("Retry-After", "1"),
        _ => Reply::ok(PASSING),
    });
    let out = run(against(&server).arg("-v"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(server.requests().len(), 2);
    // The 1s asked for, not the backoff (the wait itself: http's unit tests, fake clock).
    assert!(
        out.stderr.contains("retry 1/3 in 1s after http: HTTP 429"),
        "{}",
        out.stderr
    );
}

#[test]
fn zero_retries_means_one_request() {
    let server = Server::always(503, "{}");
    let error = error_of(&run(against(&server).args(["--retries", "0"])));
    assert_eq!(error["status"], 503);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn html_with_200_is_a_response_error() {
    let server = Server::start(|_, _| Reply::html(200, "<html>login</html>"));
    let error = error_of(&run(&mut against(&server)));
    assert_eq!(error["kind"], "response");
    assert_message_contains(&error, "not valid JSON");
    assert_eq!(server.requests().len(), 1, "a bad body is not retried");
}

#[test]
fn wrong_field_types_are_response_errors() {
    let server = Server::always(
        200,
        r#"{"list":[{"build_id":"b1","build_state":"Successful","duration":"600"}]}"#,
    );
    let error = error_of(&run(&mut against(&server)));
    assert_eq!(error["kind"], "response");
    assert_message_contains(&error, "list[0]: duration \"600\" is a string");
}

#[test]
fn redirects_are_not_followed_and_no_credential_leaves_the_origin() {
    let elsewhere = Server::always(200, PASSING);
    let location = format!(
        "{}/assembling/v1/jobs/job-1/builds",
        elsewhere.url().replace("127.0.0.1", "localhost")
    );
    let server = Server::start(move |_, _| Reply::json(302, "").with_header("Location", &location));
    let error = error_of(&run(&mut against(&server)));
    assert_eq!(
        (error["kind"].as_str(), error["status"].as_u64()),
        (Some("http"), Some(302))
    );
    assert_message_contains(&error, "redirect");
    assert!(
        elsewhere.requests().is_empty(),
        "the redirect target was contacted"
    );
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_closed_connection_is_a_network_error_after_retries() {
    let server = Server::start(|_, _| Reply::Close);
    let error = error_of(&run(against(&server).args(["--retries", "1"])));
    assert_eq!(error["kind"], "network");
    assert_eq!(
        server.requests().len(),
        2,
        "a dropped connection is retried"
    );
}

#[test]
fn a_refused_connection_is_a_network_error() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = run(gate()
        .args([
            "--endpoint",
            &format!("http://127.0.0.1:{port}"),
            "--job-id",
            "j",
            "--job-name",
            "n",
            "--format",
            "json",
            "--retries",
            "0",
        ])
        .env("SERVICESTAGE_TOKEN", TOKEN));
    let error = error_of(&out);
    assert_eq!(error["kind"], "network");
    assert_message_contains(&error, "connection refused");
}

#[test]
fn a_truncated_body_is_a_network_error() {
    let server = Server::start(|_, _| {
        Reply::Raw(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"list\":[{\"build_id\":\"b1\",".to_vec())
    });
    let error = error_of(&run(against(&server).args(["--retries", "0"])));
    assert_eq!(error["kind"], "network", "{error}");
}

#[test]
fn a_slow_server_is_a_timeout() {
    let server =
        Server::start(|_, _| Reply::After(Duration::from_secs(2), Box::new(Reply::ok(PASSING))));
    let out = run(against(&server).args(["--timeout", "200ms", "--retries", "0"]));
    let error = error_of(&out);
    assert_eq!(error["kind"], "timeout");
    assert_message_contains(&error, "within 200ms");
}

#[test]
fn a_slow_body_is_a_timeout_too() {
    let server = Server::start(|_, _| Reply::SlowBody(PASSING.to_string(), Duration::from_secs(2)));
    let error = error_of(&run(against(&server).args([
        "--timeout",
        "300ms",
        "--retries",
        "0",
    ])));
    assert_eq!(error["kind"], "timeout");
}

#[test]
fn a_body_over_16_mib_is_refused() {
    let padding = "x".repeat(16 * 1024 * 1024);
    let body = format!(r#"{{"list":[],"padding":"{padding}"}}"#);
    let server = Server::start(move |_, _| Reply::ok(body.clone()));
    let error = error_of(&run(&mut against(&server)));
    assert_eq!(error["kind"], "response");
    assert_message_contains(&error, "over the 16 MiB limit");
}

/// Serves `builds` in pages of at most `cap`, whatever `per_page` asks, as ServiceStage
/// may; `page` counts from 1.
fn paged(builds: Vec<(String, &'static str, u64)>, cap: usize) -> Server {
    Server::start(move |request, _| {
        let page: usize = request
            .query("page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        let per_page: usize = request
            .query("per_page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(10);
        let size = per_page.min(cap);
        let slice: Vec<_> = builds
            .iter()
            .skip((page - 1) * size)
            .take(size)
            .cloned()
            .collect();
        Reply::ok(page_json(builds.len(), &borrowed(&slice)))
    })
}

#[test]
fn build_id_on_page_3_is_found_over_one_connection() {
    let server = paged(successful(12), 4);
    let out = run(against(&server).args(["--build-id", "s9"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["target"]["build_id"], "s9");
    let pages: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.query("page").unwrap().to_string())
        .collect();
    assert_eq!(pages, ["1", "2", "3"]);
    assert_eq!(server.connections(), 1, "one kept-alive connection");
}

#[test]
fn a_window_spanning_pages_fetches_only_what_it_needs() {
    let mut builds = successful(20);
    builds[3].1 = "Failed";
    let server = paged(builds, 3);
    let out = run(against(&server).args(["--window", "7", "--min-success-rate", "80"]));
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(
        out.rule("min-success-rate")["message"],
        "success rate 85.7% (6 of 7) meets minimum 80%"
    );
    assert_eq!(out.json()["summary"]["window"], 7);
    assert_eq!(
        server.requests().len(),
        3,
        "7 builds in pages of 3 is 3 pages"
    );
    assert_eq!(server.connections(), 1);
}

#[test]
fn a_server_that_ignores_page_never_counts_a_build_twice() {
    let server = Server::always(200, &PASSING.replacen(r#""total":3,"#, "", 1));
    let out = run(against(&server).args([
        "--window",
        "10",
        "--min-builds",
        "3",
        "--min-success-rate",
        "100",
    ]));
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(out.json()["summary"]["window"], 3);
    assert_eq!(
        server.requests().len(),
        2,
        "the second page brought nothing new"
    );
}

#[test]
fn paging_stops_at_total() {
    let server = paged(successful(5), 5);
    let out = run(against(&server).args(["--window", "10", "--min-success-rate", "50"]));
    assert_eq!(out.code, 0);
    assert_eq!(server.requests().len(), 1, "total 5 was reached on page 1");
}

#[test]
fn wait_polls_until_the_build_finishes() {
    let server = Server::start(|_, n| {
        let state = if n < 2 { "Building" } else { "Successful" };
        Reply::ok(format!(
            r#"{{"list":[{{"build_id":"b7","build_state":"{state}","duration":42}}]}}"#
        ))
    });
    let out = run(against(&server).args(["--wait", "10s", "--poll-interval", "1s"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["target"]["build_state"], "Successful");
    assert_eq!(server.requests().len(), 3);
    let progress: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("waiting for build b7 (Building)"))
        .collect();
    assert_eq!(progress.len(), 2, "{}", out.stderr);
    assert!(progress[0].ends_with("s left"), "{}", progress[0]);
}

#[test]
fn wait_gives_up_at_the_deadline_as_inconclusive() {
    let server = Server::always(
        200,
        r#"{"list":[{"build_id":"b7","build_state":"Queuing"}]}"#,
    );
    let out = run(against(&server).args(["--wait", "2500ms", "--poll-interval", "1s"]));
    assert_eq!(out.code, 1);
    assert_eq!(out.json()["verdict"], "inconclusive");
    assert_eq!(
        out.rule("state")["message"],
        "build b7 has not finished (Queuing)"
    );
    let polls = server.requests().len();
    // 4 on an idle machine (the last at the deadline); a loaded one fits fewer, never more.
    assert!((2..=4).contains(&polls), "{polls} polls in 2.5s at 1s");
}

#[test]
fn wait_for_a_build_id_not_listed_yet() {
    let server = Server::start(|_, n| match n {
        0 => Reply::ok(PASSING),
        _ => Reply::ok(
            r#"{"list":[{"build_id":"new","build_state":"Successful","duration":5},{"build_id":"b3","build_state":"Successful","duration":610}]}"#,
        ),
    });
    let out =
        run(against(&server).args(["--build-id", "new", "--wait", "5s", "--poll-interval", "1s"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("waiting for build new to be listed"),
        "{}",
        out.stderr
    );
}

#[test]
fn job_ids_and_names_are_percent_encoded() {
    let server = Server::always(200, PASSING);
    let out = run(gate()
        .args([
            "--endpoint",
            &format!("{}/prefix/", server.url()),
            "--format",
            "json",
        ])
        .args([
            "--job-id",
            "job/1 é&x",
            "--job-name",
            "my build & 构建/1+2=3",
        ])
        .env("SERVICESTAGE_TOKEN", TOKEN));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let request = &server.requests()[0];
    assert_eq!(
        request.path(),
        "/prefix/assembling/v1/jobs/job%2F1%20%C3%A9%26x/builds"
    );
    assert_eq!(
        request.query("name"),
        Some("my%20build%20%26%20%E6%9E%84%E5%BB%BA%2F1%2B2%3D3")
    );
    assert_eq!(out.json()["job"]["name"], "my build & 构建/1+2=3");
}

#[test]
fn the_token_never_reaches_the_output_even_verbose() {
    for format in ["json", "text"] {
        let server = Server::start(|_, n| match n {
            0 => Reply::json(500, "{}"),
            _ => Reply::ok(PASSING),
        });
        let out = run(gate()
            .args([
                "--endpoint",
                &server.url(),
                "--job-id",
                "job-1",
                "--job-name",
                "build-1",
            ])
            .args(["-v", "--format", format, "--annotations", "github"])
            .env("SERVICESTAGE_TOKEN", TOKEN));
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.assert_hides(&[TOKEN, "SECRET"]);
        let logged: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| l.contains("GET http://127.0.0.1"))
            .collect();
        assert_eq!(logged.len(), 2, "{}", out.stderr);
        assert!(
            logged[0].contains(
                "/assembling/v1/jobs/job-1/builds?name=build-1&page=1&per_page=100 -> 500 ("
            ),
            "{}",
            logged[0]
        );
        assert!(
            logged[1].contains("-> 200 (")
                && logged[1].contains(" bytes, ")
                && logged[1].ends_with(" ms)"),
            "{}",
            logged[1]
        );
    }
}

#[test]
fn plain_http_to_a_remote_host_is_refused_before_any_connection() {
    // Any connection attempt would go to this loopback proxy, never off the machine.
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    proxy.set_nonblocking(true).unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let out = run(gate()
        .args([
            "--endpoint",
            "http://servicestage.example.com",
            "--job-id",
            "j",
            "--job-name",
            "n",
            "--format",
            "json",
        ])
        .env("SERVICESTAGE_TOKEN", TOKEN)
        .env("HTTP_PROXY", &proxy_url)
        .env("ALL_PROXY", &proxy_url));
    assert_eq!(out.code, 2);
    assert_eq!(out.json()["verdict"], "usage");
    assert!(
        out.stderr
            .contains("--endpoint: \"http://servicestage.example.com\" uses plain http://"),
        "{}",
        out.stderr
    );
    assert!(proxy.accept().is_err(), "the gate tried to connect");
}

#[test]
fn a_server_echoing_the_token_cannot_make_the_gate_print_it() {
    let server = Server::start(|request, n| {
        let token = request.header("X-Auth-Token").unwrap_or("").to_string();
        match n {
            0 => Reply::json(401, serde_json::json!({"error_code": "APIGW.0301", "error_msg": format!("bad token\n{token}")}).to_string()),
            _ => Reply::json(302, "").with_header("Location", &format!("https://elsewhere.test/?t={token}")),
        }
    });
    for _ in 0..2 {
        let out = run(against(&server).arg("-v"));
        assert_eq!(out.code, 3);
        out.assert_hides(&[TOKEN]);
        assert!(out.stdout.contains("<redacted>"), "{}", out.stdout);
        assert_eq!(
            out.stderr.lines().filter(|l| !l.contains(" GET ")).count(),
            1,
            "one error line: {}",
            out.stderr
        );
    }
}

#[test]
fn retry_after_never_sleeps_past_the_wait_deadline() {
    let server = Server::start(|_, _| Reply::json(429, "{}").with_header("Retry-After", "30"));
    let out = run(against(&server).args(["--wait", "1s", "--poll-interval", "1s"]));
    let error = error_of(&out);
    assert_eq!(error["status"], 429);
    assert_eq!(
        server.requests().len(),
        1,
        "a 30 s Retry-After does not fit a 1 s wait"
    );
    assert_message_contains(
        &error,
        "not retried again: waiting 30s would pass the --wait deadline of 1s",
    );
}

/// A page 1 whose counts say there are 10 finished builds while it lists 2.
const SHORT: &str = r#"{"total":10,"finished":10,"successful":2,"list":[
    {"build_id":"b10","build_state":"Successful","duration":60},
    {"build_id":"b9","build_state":"Successful","duration":60}]}"#;

#[test]
fn a_list_shorter_than_its_own_counts_never_passes_the_history_rules() {
    let short_then_empty = Server::start(|request, _| match request.query("page") {
        Some("1") => Reply::ok(SHORT),
        _ => Reply::ok(r#"{"total":10,"list":[]}"#),
    });
    let repeats_page_1 = Server::always(200, SHORT);
    for server in [short_then_empty, repeats_page_1] {
        let out = run(against(&server).args(["--window", "10", "--min-success-rate", "80"]));
        assert_eq!(out.code, 1, "{}", out.stdout);
        assert_eq!(out.json()["verdict"], "inconclusive");
        for rule in ["min-builds", "min-success-rate"] {
            assert_eq!(out.rule(rule)["verdict"], "inconclusive");
            let message = out.rule(rule)["message"].as_str().unwrap().to_string();
            assert!(
                message.contains("the API counts 10 finished builds but only 2 were received"),
                "{message}"
            );
        }
        assert_eq!(server.requests().len(), 2);
    }
}

#[test]
fn counts_that_contradict_the_list_never_pass() {
    let server = Server::always(
        200,
        r#"{"total":2,"finished":2,"successful":0,"list":[
            {"build_id":"b2","build_state":"Successful","duration":60},
            {"build_id":"b1","build_state":"Successful","duration":60}]}"#,
    );
    let out = run(against(&server).args(["--window", "2", "--min-success-rate", "50"]));
    let error = error_of(&out);
    assert_eq!(error["kind"], "response");
    assert_message_contains(
        &error,
        "the build list (page 1) counts 0 Successful builds, but 2 were received",
    );
}

#[test]
fn one_build_listed_twice_with_different_states_is_a_response_error() {
    let server = Server::start(|request, _| match request.query("page") {
        Some("1") => Reply::ok(page_json(
            3,
            &[("b2", "Successful", 60), ("b1", "Failed", 60)],
        )),
        _ => Reply::ok(page_json(3, &[("b1", "Successful", 60)])),
    });
    let error = error_of(&run(against(&server).args([
        "--window",
        "5",
        "--min-success-rate",
        "50",
    ])));
    assert_eq!(error["kind"], "response");
    assert_message_contains(
        &error,
        "list[0]: build b1 is listed twice with different fields",
    );
}

#[test]
fn an_array_is_not_a_page() {
    for body in [
        r#"[null,null,null,[["a","Successful",5]]]"#,
        r#"{"list":[["a","Successful",5]]}"#,
    ] {
        let server = Server::always(200, body);
        let error = error_of(&run(&mut against(&server)));
        assert_eq!(error["kind"], "response", "{body}");
        assert_message_contains(&error, "expected a build");
    }
}

#[test]
fn a_build_id_with_a_control_character_is_a_response_error() {
    let server = Server::always(
        200,
        r#"{"list":[{"build_id":"b1\n::add-mask::x","build_state":"Successful","duration":5}]}"#,
    );
    let error = error_of(&run(&mut against(&server)));
    assert_eq!(error["kind"], "response");
    assert_message_contains(&error, "list[0].build_id contains a control character");
}

#[test]
fn server_text_never_becomes_a_ci_command() {
    let id = "##vso[task.setvariable variable=X]1 ::add-mask::y";
    let hostile_list = Server::always(200, &page_json(1, &[(id, "Failed", 5)]));
    let hostile_error = Server::always(
        500,
        r#"{"error_code":"E::x","error_msg":"x\n##vso[task.complete]\u001b ::add-mask::z"}"#,
    );
    for (server, code) in [(hostile_list, 1), (hostile_error, 3)] {
        for annotations in ["azure", "github"] {
            for format in ["text", "json"] {
                let out = run(gate()
                    .args([
                        "--endpoint",
                        &server.url(),
                        "--job-id",
                        "job-1",
                        "--job-name",
                        "n",
                    ])
                    .args(["--annotations", annotations, "--format", format])
                    .args(["--retries", "0"])
                    .env("SERVICESTAGE_TOKEN", TOKEN));
                assert_eq!(out.code, code, "{}", out.stderr);
                for line in out.stdout.lines().chain(out.stderr.lines()) {
                    // The gate's own command opens the line; nothing after it is one.
                    let own = line.starts_with("##vso[") || line.starts_with("::");
                    let rest = if own { &line[2..] } else { line };
                    let inert = !rest.contains("##") && (own || !rest.contains("::"));
                    assert!(inert, "{annotations} {format}: {line:?}");
                    assert!(!line.contains('\x1b'), "{line:?}");
                }
            }
        }
    }
}

#[test]
fn an_inherited_input_variable_is_named_in_the_text_report() {
    let server = Server::always(200, PASSING);
    let saved = std::env::temp_dir().join(format!("gate-inherited-{}.json", std::process::id()));
    std::fs::write(&saved, PASSING).unwrap();
    let out = run(gate()
        .args([
            "--endpoint",
            &server.url(),
            "--job-id",
            "job-1",
            "--job-name",
            "n",
        ])
        .env("SERVICESTAGE_TOKEN", TOKEN)
        .env("SERVICESTAGE_INPUT", &saved));
    let _ = std::fs::remove_file(&saved);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let last = out.stdout.lines().last().unwrap_or_default().to_string();
    assert_eq!(last, format!("judging saved response {}", saved.display()));
    assert!(
        server.requests().is_empty(),
        "the saved response replaced the live check"
    );
}
