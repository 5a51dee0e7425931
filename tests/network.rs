//! Corporate networks and interruptions: a custom CA (and SSL_CERT_FILE) against a TLS
//! server on 127.0.0.1, proxies from the environment, and SIGINT/SIGTERM.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{
    ConnectProxy, Reply, Server, TOKEN, TlsServer, assert_message_contains, fixture, gate_for,
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
        missing.stderr.contains("--ca-cert: /nonexistent/ca.pem:"),
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

/// Starts the gate, waits until `server` has seen a request, sends `signal`.
#[cfg(unix)]
fn interrupt(server: &Server, extra: &[&str], signal: &str) -> (i32, String, Duration) {
    let child = gate_for(&server.url())
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
    let sent = Instant::now();
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        sent.elapsed(),
    )
}

#[cfg(unix)]
#[test]
fn sigterm_while_waiting_ends_promptly_without_a_pass() {
    let server = Server::always(
        200,
        r#"{"list":[{"build_id":"b1","build_state":"Building"}]}"#,
    );
    let (code, stderr, took) = interrupt(
        &server,
        &["--wait", "60s", "--poll-interval", "20s"],
        "-TERM",
    );
    assert_eq!(code, 143, "{stderr}");
    assert!(
        stderr.contains("servicestage-gate: interrupted by SIGTERM; no verdict"),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[cfg(unix)]
#[test]
fn sigint_while_fetching_ends_promptly_without_a_pass() {
    let server = Server::start(|_, _| {
        Reply::After(
            Duration::from_secs(30),
            Box::new(Reply::ok(page_json(0, &[]))),
        )
    });
    let (code, stderr, took) = interrupt(&server, &[], "-INT");
    assert_eq!(code, 130, "{stderr}");
    assert!(stderr.contains("interrupted by SIGINT"), "{stderr}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
}
