//! Corporate networks and interruptions: a custom CA (and SSL_CERT_FILE) against a TLS
//! server on 127.0.0.1, proxies from the environment, and SIGINT/SIGTERM.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{
    ConnectProxy, Reply, Run, Server, TOKEN, TlsServer, assert_message_contains, fixture, gate_for,
    page_json, run,
};

const PASSING: &str =
    r#"{"total":1,"list":[{"build_id":"b1","build_state":"Successful","duration":600}]}"#;

fn https_gate(server: &TlsServer) -> Command {
    let mut command = gate_for(&format!("https://localhost:{}", server.port));
    command.args(["--retries", "0"]);
    command
}

#[test]
fn an_untrusted_certificate_is_a_network_error_that_names_the_problem() {
    let server = TlsServer::start(PASSING);
    let out = run(&mut https_gate(&server));
    assert_eq!(out.code, 3, "{}", out.stdout);
    let error = &out.json()["error"];
    assert_eq!(error["kind"], "network");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("certificate") && message.contains("UnknownIssuer"),
        "{message}"
    );
    assert!(message.contains("--ca-cert"), "{message}");
    assert_eq!(server.requests(), 0);
}

#[test]
fn a_ca_from_ca_cert_or_ssl_cert_file_is_trusted() {
    let server = TlsServer::start(PASSING);
    let flag = run(https_gate(&server).args(["--ca-cert", &fixture("ca.pem")]));
    assert_eq!(flag.code, 0, "{}", flag.stdout);
    assert_eq!(flag.json()["target"]["build_id"], "b1");
    let variable = run(https_gate(&server).env("SSL_CERT_FILE", fixture("ca.pem")));
    assert_eq!(variable.code, 0, "{}", variable.stdout);
    assert_eq!(server.requests(), 2);
}

#[test]
fn a_bad_ca_file_is_a_usage_error() {
    let server = TlsServer::start(PASSING);
    let missing = run(https_gate(&server).args(["--ca-cert", "/nonexistent/ca.pem"]));
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains("--ca-cert or SSL_CERT_FILE: cannot read /nonexistent/ca.pem:"),
        "{}",
        missing.stderr
    );
    let not_pem = run(https_gate(&server).args(["--ca-cert", &fixture("README.md")]));
    assert_eq!(not_pem.code, 2);
    assert!(
        not_pem.stderr.contains("holds no PEM certificate"),
        "{}",
        not_pem.stderr
    );
    assert_eq!(server.requests(), 0, "nothing was fetched");
}

#[test]
fn https_goes_through_the_connect_proxy_with_its_credentials_never_shown() {
    let server = TlsServer::start(PASSING);
    let proxy = ConnectProxy::start(true);
    let proxy_url = format!("http://proxyuser:pr0xy-SECRET@127.0.0.1:{}", proxy.port);
    let out = run(https_gate(&server)
        .args(["--ca-cert", &fixture("ca.pem"), "-v"])
        .env("https_proxy", &proxy_url));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1);
    assert!(
        heads[0].starts_with(&format!("CONNECT localhost:{} HTTP/1.1", server.port)),
        "{}",
        heads[0]
    );
    assert!(
        heads[0]
            .to_ascii_lowercase()
            .contains("proxy-authorization: basic "),
        "{}",
        heads[0]
    );
    assert_eq!(server.requests(), 1);
    out.assert_hides(&["SECRET", TOKEN]);
}

#[test]
fn a_refused_proxy_is_an_error_without_its_credentials() {
    let server = TlsServer::start(PASSING);
    let proxy = ConnectProxy::start(true);
    let out = run(https_gate(&server)
        .args(["--ca-cert", &fixture("ca.pem"), "-v"])
        // no credentials in the URL: the proxy answers 407
        .env("HTTPS_PROXY", proxy.url()));
    assert_eq!(out.code, 3, "{}", out.stdout);
    assert_eq!(server.requests(), 0);
    assert_message_contains(&out.json()["error"], "407");
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = run(https_gate(&server)
        .args(["--ca-cert", &fixture("ca.pem"), "-v"])
        .env(
            "HTTPS_PROXY",
            format!("http://u:pr0xy-SECRET@127.0.0.1:{closed}"),
        ));
    assert_eq!(unreachable.code, 3, "{}", unreachable.stdout);
    assert_eq!(unreachable.json()["error"]["kind"], "network");
    unreachable.assert_hides(&["SECRET"]);
}

#[test]
fn no_proxy_bypasses_the_proxy() {
    let server = TlsServer::start(PASSING);
    let proxy = ConnectProxy::start(false);
    let out = run(https_gate(&server)
        .args(["--ca-cert", &fixture("ca.pem")])
        .env("HTTPS_PROXY", proxy.url())
        .env("NO_PROXY", "localhost"));
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        proxy.heads().is_empty(),
        "the proxy was used: {:?}",
        proxy.heads()
    );
    assert_eq!(server.requests(), 1);
}

#[test]
fn plain_http_to_loopback_goes_through_the_proxy_too() {
    let server = Server::always(200, PASSING);
    let proxy = ConnectProxy::start(false);
    let out =
        run(gate_for(&format!("http://localhost:{}", server.port)).env("http_proxy", proxy.url()));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        proxy.heads()[0].starts_with(&format!("CONNECT localhost:{} ", server.port)),
        "{:?}",
        proxy.heads()
    );
    assert_eq!(
        server.requests()[0].target,
        "/assembling/v1/jobs/job-1/builds?name=build-1&page=1&per_page=100"
    );
}

/// Starts the gate, waits until `server` has seen a request, sends `signal`. The gate
/// would otherwise wait an hour: one still running a minute after the signal is killed
/// (code -1), so a gate that does not end at once fails instead of hanging.
#[cfg(unix)]
fn interrupt(server: &Server, extra: &[&str], signal: &str) -> Run {
    let mut child = gate_for(&server.url())
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while server.requests().is_empty() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(50));
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    finish_within(&mut child, Duration::from_secs(60));
    collect(child)
}

#[cfg(unix)]
#[test]
fn sigterm_while_waiting_ends_promptly_without_a_pass() {
    let server = Server::always(
        200,
        r#"{"list":[{"build_id":"b1","build_state":"Building"}]}"#,
    );
    let out = interrupt(&server, &["--wait", "2h", "--poll-interval", "1h"], "-TERM");
    assert_eq!(out.code, 143, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("servicestage-gate: interrupted by SIGTERM; no verdict"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout, "", "no verdict");
}

#[cfg(unix)]
#[test]
fn sigint_while_fetching_ends_promptly_without_a_pass() {
    let server = Server::start(|_, _| {
        Reply::After(
            Duration::from_secs(3600),
            Box::new(Reply::ok(page_json(0, &[]))),
        )
    });
    let out = interrupt(&server, &["--timeout", "1h"], "-INT");
    assert_eq!(out.code, 130, "{}", out.stderr);
    assert!(
        out.stderr.contains("interrupted by SIGINT"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout, "", "no verdict");
}

/// Runs the gate, killing it after `limit`, so that a hang fails the test instead of the
/// suite; a killed gate has code -1.
fn run_within(command: &mut Command, limit: Duration) -> Run {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    finish_within(&mut child, limit);
    collect(child)
}

/// Waits for `child` to exit, at most `limit` (a bound, not a measure); then kills it.
fn finish_within(child: &mut Child, limit: Duration) {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() && started.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
}

/// What an exited (or killed: code -1) gate printed.
fn collect(child: Child) -> Run {
    let output = child.wait_with_output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A scratch directory of this test process.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gate-net-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn a_page_echoing_the_token_is_refused_and_reaches_no_output() {
    let page = |id: &str, state: &str| {
        serde_json::json!({"total": 1, "list": [{"build_id": id, "build_state": state, "duration": 5}]})
            .to_string()
    };
    // name, body, what must not show
    let cases: Vec<(&str, String, &str)> = vec![
        ("in the build id", page(&format!("b-{TOKEN}"), "Successful"), "SECRET"),
        ("in the state", page("b1", TOKEN), "SECRET"),
        ("a long part", page("b-SECRET-4f1d9a", "Successful"), "SECRET-4f1d9a"),
        ("split over fields", page("tok-SECRE", "T-4f1d9a7c"), "4f1d9a7c"),
        (
            "JSON-escaped",
            r#"{"list":[{"build_id":"tok-SECRET\u002d4f1d9a7c","build_state":"Successful","duration":5}]}"#.to_string(),
            "SECRET",
        ),
        ("percent-encoded", page("tok%2DSECRET%2D4f1d9a7c", "Successful"), "SECRET"),
        ("base64", page("x-dG9rLVNFQ1JFVC00ZjFk", "Successful"), "dG9rLVNFQ1JFVC00ZjFk"),
    ];
    for (name, body, hidden) in cases {
        let server = Server::always(200, &body);
        let dir = scratch(&format!("echo-{}", name.replace(' ', "-")));
        let (output, summary, junit) = (dir.join("out"), dir.join("summary"), dir.join("j.xml"));
        let out = run(gate_for(&server.url())
            .args(["-v", "--annotations", "github", "--junit"])
            .arg(&junit)
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_STEP_SUMMARY", &summary));
        assert_eq!(out.code, 3, "{name}: {}", out.stdout);
        let error = &out.json()["error"];
        assert_eq!(error["kind"], "response", "{name}");
        assert_message_contains(error, "echoed a credential");
        out.assert_hides(&[hidden, TOKEN]);
        for file in [&output, &summary, &junit] {
            assert!(!read(file).contains(hidden), "{name}: {}", read(file));
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn error_text_echoing_the_token_is_withheld_before_it_is_cut() {
    let late = format!("{}{TOKEN}", "x".repeat(490));
    let server = Server::start(move |_, _| {
        Reply::json(
            401,
            serde_json::json!({"error_code": "APIGW.0301", "error_msg": late}).to_string(),
        )
    });
    let out = run(gate_for(&server.url()).arg("-v"));
    assert_eq!(out.code, 3);
    out.assert_hides(&["SECRET"]);
    assert_message_contains(&out.json()["error"], "<redacted>");
}

#[test]
fn the_request_id_is_its_own_json_field() {
    let server = Server::start(|_, _| {
        Reply::json(
            401,
            r#"{"error_code":"APIGW.0301","error_msg":"bad token"}"#,
        )
        .with_header("X-Request-Id", "req-77")
    });
    let out = run(&mut gate_for(&server.url()));
    let error = &out.json()["error"];
    assert_eq!(error["request_id"], "req-77");
    assert!(
        !error["message"].as_str().unwrap().contains("req-77"),
        "{error}"
    );
    assert!(
        out.stderr.contains("[X-Request-Id req-77]"),
        "{}",
        out.stderr
    );
}

/// Pages of one build each, answered after `delay`: a window of 60 needs 60 of them.
fn slow_pages(delay: Duration) -> Server {
    Server::start(move |request, _| {
        let page = request.query("page").unwrap_or("1").to_string();
        let body = page_json(60, &[(&format!("b{page}"), "Successful", 5)]);
        Reply::After(delay, Box::new(Reply::ok(body)))
    })
}

#[test]
fn wait_is_a_deadline_for_the_whole_run_paging_included() {
    let server = slow_pages(Duration::from_millis(500));
    let out = run_within(
        gate_for(&server.url()).args([
            "--wait",
            "2s",
            "--timeout",
            "2s",
            "--window",
            "60",
            "--min-success-rate",
            "50",
        ]),
        Duration::from_secs(15),
    );
    // Paging on would take 30s: a gate still running at 15s is killed (code -1).
    assert_eq!(out.code, 3, "{}", out.stdout);
    let json = out.json();
    assert_eq!(json["error"]["kind"], "timeout");
    assert_message_contains(&json["error"], "the --wait deadline of 2s");
    assert!(json["requests"].as_u64().unwrap() < 60, "{json}");
}

#[test]
fn without_wait_the_run_budget_does_not_grow_with_the_pages() {
    let server = slow_pages(Duration::from_millis(400));
    let out = run_within(
        gate_for(&server.url()).args([
            "--timeout",
            "1s",
            "--retries",
            "0",
            "--window",
            "60",
            "--min-success-rate",
            "50",
        ]),
        Duration::from_secs(15),
    );
    // Paging on would take 24s: a gate still running at 15s is killed (code -1).
    assert_eq!(out.code, 3, "{}", out.stdout);
    let json = out.json();
    assert_eq!(json["error"]["kind"], "timeout");
    assert_message_contains(&json["error"], "the run's time limit of 2s");
    assert!(json["requests"].as_u64().unwrap() < 60, "{json}");
}

#[test]
fn a_poll_cut_short_by_the_deadline_keeps_the_last_complete_look() {
    let building = page_json(1, &[("b1", "Building", 0)]);
    let server = Server::start(move |_, n| match n {
        0 => Reply::ok(building.clone()),
        _ => Reply::After(
            Duration::from_secs(5),
            Box::new(Reply::ok(building.clone())),
        ),
    });
    let out = run(gate_for(&server.url()).args([
        "--wait",
        "2s",
        "--poll-interval",
        "1s",
        "--timeout",
        "10s",
        "-v",
    ]));
    assert_eq!(out.code, 1, "{}", out.stdout);
    let json = out.json();
    assert_eq!(json["verdict"], "inconclusive");
    assert_eq!(json["requests"], 2);
    // The second look was cut at the deadline, not answered 5s later nor at --timeout.
    assert!(
        out.stderr
            .lines()
            .any(|l| l.starts_with("servicestage-gate: request 2: GET ")
                && l.contains(" -> timeout (")),
        "{}",
        out.stderr
    );
}

#[test]
fn the_body_cap_holds_for_the_whole_run() {
    let padding = "x".repeat(9 * 1024 * 1024);
    let server = Server::start(move |request, _| {
        let page = request.query("page").unwrap_or("1");
        Reply::ok(format!(
            r#"{{"total":4,"list":[{{"build_id":"b{page}","build_state":"Successful","duration":5}}],"padding":"{padding}"}}"#
        ))
    });
    let out = run(gate_for(&server.url()).args(["--window", "3", "--min-success-rate", "50"]));
    assert_eq!(out.code, 3, "{}", out.stdout);
    let error = &out.json()["error"];
    assert_eq!(error["kind"], "response");
    assert_message_contains(error, "over the 16 MiB limit");
    assert_eq!(server.requests().len(), 2);
}

#[cfg(unix)]
fn fifo(dir: &Path) -> PathBuf {
    let path = dir.join("fifo");
    let made = Command::new("mkfifo").arg(&path).status().unwrap();
    assert!(made.success());
    path
}

#[cfg(unix)]
#[test]
fn token_and_certificate_files_are_small_regular_files_and_never_block() {
    let dir = scratch("files");
    let fifo = fifo(&dir);
    let big = dir.join("big");
    std::fs::write(&big, "t".repeat(300 * 1024)).unwrap();
    let server = Server::always(200, PASSING);
    let tls = TlsServer::start(PASSING);
    let token_file = |path: &Path| {
        let mut command = gate_for(&server.url());
        command
            .env_remove("SERVICESTAGE_TOKEN")
            .arg("--token-file")
            .arg(path);
        command
    };
    let ca_cert = |path: &Path| {
        let mut command = https_gate(&tls);
        command.arg("--ca-cert").arg(path);
        command
    };
    let mut ssl_cert_file = https_gate(&tls);
    ssl_cert_file.env("SSL_CERT_FILE", &fifo);
    let cases: Vec<(Command, &str)> = vec![
        (
            token_file(Path::new("/dev/zero")),
            "--token-file: /dev/zero is not a regular file",
        ),
        (token_file(&fifo), "--token-file: "),
        (token_file(&big), "is over the 256 KiB limit"),
        (
            ca_cert(Path::new("/dev/zero")),
            "/dev/zero is not a regular file",
        ),
        (ca_cert(&fifo), "--ca-cert"),
        (ssl_cert_file, "SSL_CERT_FILE"),
    ];
    for (mut command, expected) in cases {
        let out = run_within(&mut command, Duration::from_secs(5));
        assert_eq!(out.code, 2, "{expected}: {}{}", out.stdout, out.stderr);
        assert!(out.stderr.contains(expected), "{expected}: {}", out.stderr);
        assert_eq!(out.json()["error"]["kind"], "usage");
    }
    assert_eq!((server.requests().len(), tls.requests()), (0, 0));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_credential_a_header_cannot_carry_is_a_usage_error_never_retried() {
    let server = Server::always(200, PASSING);
    let dir = scratch("header");
    let token = dir.join("token");
    std::fs::write(&token, "tok-SECRET\nX-Injected: 1\n").unwrap();
    let cases: Vec<(Command, &str)> = vec![
        (
            {
                let mut c = gate_for(&server.url());
                c.env_remove("SERVICESTAGE_TOKEN")
                    .arg("--token-file")
                    .arg(&token);
                c
            },
            "--token-file: contains a control character (such as a line break), which no HTTP header can carry",
        ),
        (
            {
                let mut c = gate_for(&server.url());
                c.env("SERVICESTAGE_TOKEN", "tok-SECRET\u{1}x");
                c
            },
            "SERVICESTAGE_TOKEN: contains a control character",
        ),
        (
            {
                let mut c = gate_for(&server.url());
                c.args(["--project-id", "p\r\nX-Injected: 1"]);
                c
            },
            "project",
        ),
    ];
    for (mut command, expected) in cases {
        let out = run_within(&mut command, Duration::from_secs(10));
        assert_eq!(out.code, 2, "{expected}: {}{}", out.stdout, out.stderr);
        assert!(out.stderr.contains(expected), "{expected}: {}", out.stderr);
        out.assert_hides(&["SECRET"]);
    }
    assert!(server.requests().is_empty());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn only_a_200_is_a_page() {
    for status in [201, 203, 205, 206] {
        let server = Server::always(status, PASSING);
        let out = run(&mut gate_for(&server.url()));
        assert_eq!(out.code, 3, "{status}: {}", out.stdout);
        let error = &out.json()["error"];
        assert_eq!(
            (error["kind"].as_str(), error["status"].as_u64()),
            (Some("http"), Some(u64::from(status)))
        );
        assert_message_contains(error, "only 200");
        assert_eq!(server.requests().len(), 1, "not retried");
    }
}

#[test]
fn a_content_encoding_the_gate_did_not_ask_for_is_a_response_error() {
    let server = Server::start(|_, _| Reply::ok(PASSING).with_header("Content-Encoding", "gzip"));
    let out = run(&mut gate_for(&server.url()));
    assert_eq!(out.code, 3, "{}", out.stdout);
    let error = &out.json()["error"];
    assert_eq!(error["kind"], "response");
    assert_message_contains(error, "Content-Encoding gzip");
    assert_eq!(server.requests()[0].header("Accept-Encoding"), None);
}

#[test]
fn a_slow_body_is_cut_at_the_wait_deadline() {
    let server = Server::start(|_, _| Reply::SlowBody(PASSING.to_string(), Duration::from_secs(5)));
    // Were it not cut, the whole body would come at 5s and pass.
    let out = run(gate_for(&server.url()).args(["--wait", "1s", "--timeout", "10s"]));
    let error = &out.json()["error"];
    assert_eq!((out.code, error["kind"].as_str()), (3, Some("timeout")));
    assert_message_contains(error, "the --wait deadline of 1s");
}
