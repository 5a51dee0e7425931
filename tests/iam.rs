//! Keyless credentials against a loopback fake IAM (and GitHub ID-token endpoint) and a
//! fake ServiceStage: OIDC with a file or from GitHub, password logins, scopes, one login
//! per run, renewal, failures, masking and secrecy.

use std::process::Command;

use crate::common::{self, Reply, Run, Server, assert_message_contains, gate, page_json, run};
use serde_json::Value;

const JWT: &str = "eyJ.JWT.sig";
const RUNNER: &str = "RUNNER-request-7c1f";
const PASSWORD: &str = "fake-password-9d2e";
const IAM_TOKEN: &str = "IAM-TOKEN";

/// IAM and GitHub's token service in one: issues `IAM-TOKEN` for a right request, else
/// answers an error the gate must explain.
fn iam() -> Server {
    Server::start(|r, _| match (r.method.as_str(), r.path()) {
        ("POST", "/v3.0/OS-AUTH/id-token/tokens") if r.header("X-Idp-Id") == Some("idp") => {
            Reply::json(201, "{}").with_header("X-Subject-Token", IAM_TOKEN)
        }
        ("POST", "/v3/auth/tokens") => {
            Reply::json(201, "{}").with_header("X-Subject-Token", IAM_TOKEN)
        }
        ("GET", "/github/idtoken")
            if r.header("Authorization") == Some(&format!("Bearer {RUNNER}")) =>
        {
            Reply::ok(format!(r#"{{"value":"{JWT}"}}"#))
        }
        _ => Reply::json(401, r#"{"error_code":"IAM.0001","error_msg":"refused"}"#),
    })
}

/// ServiceStage: a passing job for the IAM token only.
fn servicestage() -> Server {
    Server::start(|r, _| match r.header("X-Auth-Token") {
        Some(IAM_TOKEN) => Reply::ok(page_json(1, &[("b1", "Successful", 60)])),
        _ => Reply::json(
            401,
            r#"{"error_code":"APIGW.0301","error_msg":"bad token"}"#,
        ),
    })
}

/// The gate at both fakes (IAM by its variable, so a test may override it with the flag),
/// region cn-north-4, JSON output; no credential yet.
fn keyless(api: &Server, iam: &Server) -> Command {
    keyless_as(api, iam, "json")
}

fn keyless_as(api: &Server, iam: &Server, format: &str) -> Command {
    let mut command = gate();
    command.args([
        "--endpoint",
        &api.url(),
        "--region",
        "cn-north-4",
        "--job-id",
        "job-1",
        "--job-name",
        "build-1",
        "--format",
        format,
    ]);
    command.env("SERVICESTAGE_IAM_ENDPOINT", iam.url());
    command
}

/// OIDC with the job's own token from the fake GitHub endpoint.
fn github_oidc(api: &Server, iam: &Server) -> Command {
    github_oidc_as(api, iam, "json")
}

fn github_oidc_as(api: &Server, iam: &Server, format: &str) -> Command {
    let mut command = keyless_as(api, iam, format);
    command
        .env("HUAWEICLOUD_SDK_IDP_ID", "idp")
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            format!("{}/github/idtoken?api-version=2.0", iam.url()),
        )
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", RUNNER);
    command
}

fn password(api: &Server, iam: &Server) -> Command {
    let mut command = keyless(api, iam);
    command
        .env("SERVICESTAGE_IAM_USER", "ci-gate")
        .env("SERVICESTAGE_IAM_DOMAIN", "acme")
        .env("SERVICESTAGE_IAM_PASSWORD", PASSWORD);
    command
}

fn body(request: &common::Recorded) -> Value {
    serde_json::from_slice(&request.body).unwrap_or_else(|e| panic!("{e}: {request:?}"))
}

fn passes(out: &Run) {
    assert_eq!(
        out.code, 0,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    assert_eq!(out.json()["verdict"], "pass");
    out.assert_hides(&[JWT, RUNNER, PASSWORD, IAM_TOKEN]);
}

fn auth_error(out: &Run, needle: &str) {
    assert_eq!(
        out.code, 3,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    let json = out.json();
    assert_eq!(json["error"]["kind"], "auth", "{json}");
    assert_message_contains(&json["error"], needle);
    out.assert_hides(&[JWT, RUNNER, PASSWORD, IAM_TOKEN]);
}

fn id_token_file(name: &str, text: &str) -> String {
    let path = std::env::temp_dir().join(format!(
        "servicestage-gate-iam-{name}-{}",
        std::process::id()
    ));
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn oidc_with_a_token_file() {
    let (api, iam) = (servicestage(), iam());
    let file = id_token_file("file", &format!("{JWT}\n"));
    let out = run(keyless(&api, &iam)
        .env("HUAWEICLOUD_SDK_IDP_ID", "idp")
        .env("HUAWEICLOUD_SDK_ID_TOKEN_FILE", &file)
        // a token file wins over asking GitHub
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            format!("{}/github/idtoken", iam.url()),
        )
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", RUNNER));
    passes(&out);
    let sent = iam.requests();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].target, "/v3.0/OS-AUTH/id-token/tokens");
    assert_eq!(sent[0].header("X-Idp-Id"), Some("idp"));
    assert_eq!(
        sent[0].header("Content-Type"),
        Some("application/json;charset=utf8")
    );
    assert_eq!(
        body(&sent[0]),
        serde_json::json!({"auth": {"id_token": {"id": JWT}, "scope": {"project": {"name": "cn-north-4"}}}})
    );
    assert_eq!(api.requests()[0].header("X-Auth-Token"), Some(IAM_TOKEN));
}

#[test]
fn oidc_from_the_github_endpoint_scoped_by_project_id() {
    let (api, iam) = (servicestage(), iam());
    let out = run(github_oidc(&api, &iam).args(["--project-id", "p-42"]));
    passes(&out);
    let sent = iam.requests();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[0].method, "GET");
    assert_eq!(
        sent[0].target,
        "/github/idtoken?api-version=2.0&audience=iam.myhuaweicloud.com"
    );
    assert_eq!(
        sent[0].header("Authorization"),
        Some(format!("Bearer {RUNNER}").as_str())
    );
    assert_eq!(
        body(&sent[1])["auth"],
        serde_json::json!({"id_token": {"id": JWT}, "scope": {"project": {"id": "p-42"}}})
    );
    let builds = &api.requests()[0];
    assert_eq!(builds.header("X-Auth-Token"), Some(IAM_TOKEN));
    assert_eq!(builds.header("X-Project-Id"), Some("p-42"));
}

#[test]
fn a_github_url_without_a_query_and_another_audience() {
    let (api, iam) = (servicestage(), iam());
    let out = run(github_oidc(&api, &iam)
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            format!("{}/github/idtoken", iam.url()),
        )
        .args(["--oidc-audience", "my aud"]));
    passes(&out);
    assert_eq!(
        iam.requests()[0].target,
        "/github/idtoken?audience=my%20aud"
    );
}

#[test]
fn password_login_and_the_terraform_fallback() {
    let (api, iam) = (servicestage(), iam());
    passes(&run(&mut password(&api, &iam)));
    let mut terraform = keyless(&api, &iam);
    terraform
        .env("HW_USER_NAME", "tf-user")
        .env("HW_DOMAIN_NAME", "tf-domain")
        .env("HW_PASSWORD", PASSWORD);
    passes(&run(terraform.args(["--project-id", "p-7"])));
    let sent = iam.requests();
    assert_eq!(sent.len(), 2);
    for request in &sent {
        assert_eq!(
            (request.method.as_str(), request.target.as_str()),
            ("POST", "/v3/auth/tokens?nocatalog=true")
        );
    }
    let user = |n: usize| body(&sent[n])["auth"]["identity"].clone();
    assert_eq!(
        user(0),
        serde_json::json!({"methods": ["password"], "password": {"user": {
            "name": "ci-gate", "password": PASSWORD, "domain": {"name": "acme"}}}})
    );
    assert_eq!(
        body(&sent[0])["auth"]["scope"],
        serde_json::json!({"project": {"name": "cn-north-4"}})
    );
    assert_eq!(user(1)["password"]["user"]["name"], "tf-user");
    assert_eq!(
        body(&sent[1])["auth"]["scope"],
        serde_json::json!({"project": {"id": "p-7"}})
    );
}

#[test]
fn one_login_serves_every_page_and_poll() {
    // Page 1 of 2; the newest build is still running on the first look.
    let api = Server::start(|r, n| {
        if r.header("X-Auth-Token") != Some(IAM_TOKEN) {
            return Reply::json(401, r#"{"error_msg":"no token"}"#);
        }
        let state = if n < 2 { "Building" } else { "Successful" };
        let builds: Vec<(String, &str, u64)> = match r.query("page") {
            Some("1") => (0..100)
                .map(|i| {
                    (
                        format!("b{i}"),
                        if i == 0 { state } else { "Successful" },
                        60,
                    )
                })
                .collect(),
            _ => vec![("c0".to_string(), "Successful", 60)],
        };
        Reply::ok(page_json(101, &common::borrowed(&builds)))
    });
    let iam = iam();
    let out = run(password(&api, &iam).args([
        "--window",
        "101",
        "--min-success-rate",
        "50",
        "--wait",
        "20s",
        "--poll-interval",
        "1s",
    ]));
    passes(&out);
    let pages = api.requests();
    assert!(pages.len() >= 3, "pages and polls: {pages:?}");
    assert!(
        pages
            .iter()
            .all(|r| r.header("X-Auth-Token") == Some(IAM_TOKEN))
    );
    assert_eq!(iam.requests().len(), 1, "one login per run");
}

/// ServiceStage calling the token expired on its first `expired` answers.
fn expiring(expired: usize) -> Server {
    Server::start(move |_, n| match n < expired {
        true => Reply::json(
            401,
            r#"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: token expires, expires_at: 2026-01-01T00:00:00Z"}"#,
        ),
        false => Reply::ok(page_json(1, &[("b1", "Successful", 60)])),
    })
}

/// IAM issuing `IAM-TOKEN-0`, `IAM-TOKEN-1`, ...
fn counting_iam() -> Server {
    Server::start(|_, n| {
        Reply::json(201, "{}").with_header("X-Subject-Token", &format!("{IAM_TOKEN}-{n}"))
    })
}

#[test]
fn an_expired_token_is_renewed_once() {
    let (api, iam) = (expiring(1), counting_iam());
    let out = run(&mut password(&api, &iam));
    passes(&out);
    assert_eq!(iam.requests().len(), 2);
    let tokens: Vec<_> = api
        .requests()
        .iter()
        .map(|r| r.header("X-Auth-Token").unwrap().to_string())
        .collect();
    assert_eq!(tokens, ["IAM-TOKEN-0", "IAM-TOKEN-1"]);

    let (api, iam) = (expiring(usize::MAX), counting_iam());
    let out = run(&mut password(&api, &iam));
    auth_error(&out, "token expires");
    assert_eq!(
        (iam.requests().len(), api.requests().len()),
        (2, 2),
        "one renewal, one repeat, then the error"
    );
}

#[test]
fn a_static_token_is_never_renewed() {
    let api = expiring(usize::MAX);
    let iam = iam();
    let out = run(keyless(&api, &iam).env("SERVICESTAGE_TOKEN", "static-token-1234"));
    assert_eq!(out.code, 3);
    assert_eq!((api.requests().len(), iam.requests().len()), (1, 0));
}

#[test]
fn each_failed_step_says_what_to_check() {
    let refusing = || Server::always(401, r#"{"error_code":"IAM.0101","error_msg":"no"}"#);
    let api = servicestage();

    let github = Server::always(403, r#"{"message":"no id-token permission"}"#);
    let iam = refusing();
    let mut command = github_oidc(&api, &iam);
    command.env(
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        format!("{}/github/idtoken", github.url()),
    );
    auth_error(&run(&mut command), "permissions: id-token: write");
    assert!(iam.requests().is_empty(), "no exchange without an ID token");

    let iam = refusing();
    let file = id_token_file("refused", JWT);
    let out = run(keyless(&api, &iam)
        .env("HUAWEICLOUD_SDK_IDP_ID", "idp")
        .env("HUAWEICLOUD_SDK_ID_TOKEN_FILE", &file));
    auth_error(&out, "mapping rule");
    assert_message_contains(&out.json()["error"], "exchange of the OIDC ID token");
    assert_eq!(out.json()["error"]["code"], "IAM.0101");

    let out = run(&mut password(&api, &refusing()));
    auth_error(&out, "--iam-domain");
    assert_message_contains(&out.json()["error"], "the IAM password login was refused");
    assert!(api.requests().is_empty(), "no API call without a token");
}

#[test]
fn hostile_iam_answers() {
    let api = servicestage();
    // error_msg echoing the password: withheld, the step still named
    let echo = Server::always(
        401,
        &format!(r#"{{"error_code":"IAM.0100","error_msg":"wrong password {PASSWORD}"}}"#),
    );
    let out = run(password(&api, &echo).arg("-v"));
    auth_error(&out, "redacted");

    // a redirect is never followed
    let elsewhere = iam();
    let target = format!("{}/v3/auth/tokens", elsewhere.url());
    let redirect =
        Server::start(move |_, _| Reply::json(307, "{}").with_header("Location", &target));
    let out = run(&mut password(&api, &redirect));
    assert_eq!(out.code, 3, "{}", out.stdout);
    assert_eq!(out.json()["error"]["kind"], "http");
    assert_message_contains(&out.json()["error"], "redirect");
    assert!(elsewhere.requests().is_empty(), "the password stayed home");

    // an ID token with a line break never becomes a header or a workflow command
    let github = Server::always(200, r#"{"value":"eyJ.a\n::warning::pwned"}"#);
    let out = run(github_oidc(&api, &github).env("GITHUB_ACTIONS", "true"));
    assert_eq!(out.code, 3, "{}", out.stdout);
    assert_eq!(out.json()["error"]["kind"], "response");
    assert!(!out.stderr.contains("::warning::pwned"), "{}", out.stderr);

    // an ID token file with a line break inside
    let file = id_token_file("crlf", "eyJ.a\r\nX-Evil: 1\n");
    let out = run(keyless(&api, &iam())
        .env("HUAWEICLOUD_SDK_IDP_ID", "idp")
        .env("HUAWEICLOUD_SDK_ID_TOKEN_FILE", &file));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(api.requests().is_empty());
}

#[test]
fn plain_http_iam_to_a_remote_host_is_a_usage_error() {
    let api = servicestage();
    let iam = iam();
    let out = run(password(&api, &iam).args(["--iam-endpoint", "http://iam.example.com"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_message_contains(
        &out.json()["error"],
        "--iam-endpoint: \"http://iam.example.com\" uses plain http://",
    );
    let out = run(github_oidc(&api, &iam).env(
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "http://token.example.com/idtoken?x=1",
    ));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_message_contains(
        &out.json()["error"],
        "ACTIONS_ID_TOKEN_REQUEST_URL: \"http://token.example.com/idtoken\" uses plain http://",
    );
    assert!(api.requests().is_empty() && iam.requests().is_empty());
}

#[test]
fn tokens_are_masked_first_and_appear_nowhere_else() {
    let (api, iam) = (servicestage(), iam());
    let out = run(github_oidc_as(&api, &iam, "text")
        .arg("-v")
        .env("GITHUB_ACTIONS", "true"));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[..2],
        [
            format!("::add-mask::{JWT}"),
            format!("::add-mask::{IAM_TOKEN}")
        ],
        "{}",
        out.stdout
    );
    for line in &lines[2..] {
        assert!(!line.contains(JWT) && !line.contains(IAM_TOKEN), "{line}");
    }
    out_hides_on_stderr(&out);
    assert!(
        out.stderr
            .contains(&format!("GET {}/github/idtoken -> 200", iam.url())),
        "one -v line per login request, without the query: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!(
            "POST {}/v3.0/OS-AUTH/id-token/tokens -> 201",
            iam.url()
        )),
        "{}",
        out.stderr
    );

    // JSON keeps stdout for the object: the masks lead stderr instead, before the login's
    // own -v lines
    let out = run(github_oidc(&api, &iam)
        .arg("-v")
        .env("GITHUB_ACTIONS", "true"));
    assert_eq!(out.code, 0);
    assert!(
        out.stderr
            .starts_with(&format!("::add-mask::{JWT}\n::add-mask::{IAM_TOKEN}\n")),
        "{}",
        out.stderr
    );
    out.assert_hides(&[RUNNER]);
    assert!(!out.stdout.contains(JWT) && !out.stdout.contains(IAM_TOKEN));

    // without GitHub annotations, no mask lines
    passes(&run(&mut github_oidc(&api, &iam)));
}

fn out_hides_on_stderr(out: &Run) {
    for secret in [JWT, IAM_TOKEN, RUNNER] {
        assert!(
            !out.stderr.contains(secret),
            "{secret} leaked: {}",
            out.stderr
        );
    }
    assert!(!out.stdout.contains(RUNNER));
}

#[test]
fn two_kinds_or_half_a_kind_are_usage_errors() {
    let (api, iam) = (servicestage(), iam());
    let out = run(password(&api, &iam).env("SERVICESTAGE_TOKEN", "t0ken-1234"));
    assert_eq!(out.code, 2, "{}", out.stderr);
    let error = &out.json()["error"];
    assert_message_contains(error, "both a token (SERVICESTAGE_TOKEN or --token-file)");
    assert_message_contains(error, "an IAM password login (SERVICESTAGE_IAM_USER");

    let out = run(keyless(&api, &iam).env("SERVICESTAGE_IAM_USER", "u"));
    assert_eq!(out.code, 2);
    assert_message_contains(&out.json()["error"], "SERVICESTAGE_IAM_PASSWORD");

    let out = run(keyless(&api, &iam).env("HUAWEICLOUD_SDK_IDP_ID", "idp"));
    assert_eq!(out.code, 2);
    assert_message_contains(&out.json()["error"], "permissions: id-token: write");
    assert!(api.requests().is_empty() && iam.requests().is_empty());
}

#[test]
fn the_auth_action_variables_bring_key_region_and_project() {
    let api = Server::always(200, &page_json(1, &[("b1", "Successful", 60)]));
    let out = run(gate()
        .args(["--endpoint", &api.url(), "--job-id", "j", "--job-name", "n"])
        .env("HUAWEI_CLOUD_ACCESS_KEY_ID", "AKAUTHACTION0001")
        .env("HUAWEI_CLOUD_SECRET_ACCESS_KEY", "SK-auth-action-secret")
        .env("HUAWEI_CLOUD_REGION", "eu-west-101")
        .env("HUAWEI_CLOUD_PROJECT_ID", "p-action"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let request = &api.requests()[0];
    assert!(
        request
            .header("Authorization")
            .is_some_and(|a| a.starts_with("SDK-HMAC-SHA256 Access=AKAUTHACTION0001")),
        "{request:?}"
    );
    assert_eq!(request.header("X-Project-Id"), Some("p-action"));
    out.assert_hides(&["SK-auth-action-secret"]);
}

/// The shipped fake (examples/fake-servicestage.rs) on a free port; killed when dropped.
struct Fake {
    child: std::process::Child,
    url: String,
}

impl Fake {
    fn start() -> Fake {
        use std::io::BufRead;
        let bin = std::path::Path::new(env!("CARGO_BIN_EXE_servicestage-gate"))
            .with_file_name("examples")
            .join("fake-servicestage");
        assert!(
            bin.exists(),
            "{} is missing: `cargo test` builds it (or cargo build --example fake-servicestage)",
            bin.display()
        );
        let mut child = Command::new(bin)
            .args(["--port", "0", "--fixture", &common::example("passing.json")])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut url = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut url)
            .unwrap();
        Fake {
            child,
            url: url.trim().to_string(),
        }
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The README's keyless walkthrough against the shipped fake: OIDC from its GitHub route,
/// a password login, and a stale token refused once tokens are issued.
#[test]
fn the_shipped_fake_serves_the_keyless_walkthrough() {
    let fake = Fake::start();
    let with_fake = |command: &mut Command| {
        command.args([
            "--endpoint",
            &fake.url,
            "--iam-endpoint",
            &fake.url,
            "--region",
            "cn-north-4",
            "--job-id",
            "demo",
            "--job-name",
            "demo",
            "--format",
            "json",
        ]);
    };
    let mut oidc = gate();
    with_fake(&mut oidc);
    oidc.env("HUAWEICLOUD_SDK_IDP_ID", "fake-github")
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            format!("{}/github/idtoken?api-version=2.0", fake.url),
        )
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "fake-runner-token");
    let out = run(&mut oidc);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);

    let mut login = gate();
    with_fake(&mut login);
    login
        .env("SERVICESTAGE_IAM_USER", "ci-gate")
        .env("SERVICESTAGE_IAM_DOMAIN", "acme")
        .env("SERVICESTAGE_IAM_PASSWORD", "fake-password");
    assert_eq!(run(&mut login).code, 0);
    login.env("SERVICESTAGE_IAM_PASSWORD", "wrong");
    auth_error(&run(&mut login), "--iam-domain");

    let mut stale = gate();
    with_fake(&mut stale);
    let out = run(stale.env("SERVICESTAGE_TOKEN", "fake-iam-token-1"));
    assert_eq!(out.code, 3, "the first token was replaced by the second");
    assert_message_contains(&out.json()["error"], "token expires");
}

#[test]
fn iam_requests_follow_the_retry_rules() {
    let api = servicestage();
    let flaky = Server::start(|_, n| match n {
        0 => Reply::json(503, "{}").with_header("Retry-After", "0"),
        _ => Reply::json(201, "{}").with_header("X-Subject-Token", IAM_TOKEN),
    });
    passes(&run(&mut password(&api, &flaky)));
    assert_eq!(flaky.requests().len(), 2, "a 503 is retried");

    let refusing = Server::always(401, r#"{"error_msg":"no"}"#);
    auth_error(&run(&mut password(&api, &refusing)), "password login");
    assert_eq!(refusing.requests().len(), 1, "a 4xx is not retried");

    let down = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", down.local_addr().unwrap());
    drop(down);
    let out = run(gate()
        .args([
            "--endpoint",
            &api.url(),
            "--iam-endpoint",
            &url,
            "--retries",
            "0",
        ])
        .args([
            "--region",
            "r",
            "--job-id",
            "j",
            "--job-name",
            "n",
            "--format",
            "json",
        ])
        .env("HW_USER_NAME", "u")
        .env("HW_DOMAIN_NAME", "d")
        .env("HW_PASSWORD", PASSWORD));
    assert_eq!(out.code, 3);
    assert_eq!(out.json()["error"]["kind"], "network");
    assert_message_contains(&out.json()["error"], "the IAM password login: ");
}

#[test]
fn servicestage_echoing_the_obtained_token_is_refused() {
    let api = Server::always(
        200,
        &format!(
            r#"{{"list":[{{"build_id":"{IAM_TOKEN}-echo","build_state":"Successful","duration":1}}]}}"#
        ),
    );
    let out = run(&mut password(&api, &iam()));
    assert_eq!(out.code, 3, "{}", out.stdout);
    assert_eq!(out.json()["error"]["kind"], "response");
    out.assert_hides(&[IAM_TOKEN, PASSWORD]);
}

/// Waits (briefly, polling) until `ready`; gives up after 10 s so that a broken gate fails
/// the test instead of hanging it.
fn wait_until(ready: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    while !ready() && start.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// The job list for `--job`: any name is job `id-NAME`.
fn job_list(r: &common::Recorded) -> Reply {
    let name = r.query("job_name").unwrap_or_default();
    let list = match r.query("page").unwrap_or("1") {
        "1" => format!(r#"[{{"job_id":"id-{name}","job_name":"{name}"}}]"#),
        _ => "[]".into(),
    };
    Reply::ok(format!(r#"{{"total":1,"list":{list}}}"#))
}

const EXPIRED: &str = r#"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: token expires, expires_at: 2026-01-01T00:00:00Z"}"#;

/// Issue 19 item 6: job `api` gets "token expires" once job `web`'s request, sent with the
/// first token, is in flight; `api`'s renewal obtains a second token, and `web`'s answer
/// then carries it as a build id. That answer is examined after the token exists: refused.
#[test]
fn a_token_renewed_in_one_job_is_refused_in_another_jobs_answer() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    // Tokens that share no 10-byte run, so that only the second can match its echo.
    let iam = Arc::new(Server::start(|_, n| {
        let token = ["first-0a1b2c3d", "RENEWED-9z8y7x6w"][n.min(1)];
        Reply::json(201, "{}").with_header("X-Subject-Token", token)
    }));
    let (issued, web_sent) = (iam.clone(), Arc::new(AtomicBool::new(false)));
    let api = Server::start(move |r, _| {
        let token = r.header("X-Auth-Token").unwrap_or_default();
        match (r.path(), token) {
            ("/assembling/v1/jobs", _) => job_list(r),
            ("/assembling/v1/jobs/id-api/builds", "first-0a1b2c3d") => {
                wait_until(|| web_sent.load(Ordering::SeqCst));
                Reply::json(401, EXPIRED)
            }
            ("/assembling/v1/jobs/id-web/builds", "first-0a1b2c3d") => {
                web_sent.store(true, Ordering::SeqCst);
                wait_until(|| issued.requests().len() >= 2);
                Reply::ok(page_json(1, &[("RENEWED-9z8y7x6w", "Successful", 60)]))
            }
            (_, "RENEWED-9z8y7x6w") => Reply::ok(page_json(1, &[("b1", "Successful", 60)])),
            _ => Reply::json(401, r#"{"error_msg":"unknown token"}"#),
        }
    });
    let out = run(gate()
        .args(["--endpoint", &api.url(), "--region", "cn-north-4"])
        .args(["--job", "api", "--job", "web", "--format", "json"])
        .args(["--annotations", "github"])
        .env("SERVICESTAGE_IAM_ENDPOINT", iam.url())
        .env("SERVICESTAGE_IAM_USER", "ci-gate")
        .env("SERVICESTAGE_IAM_DOMAIN", "acme")
        .env("SERVICESTAGE_IAM_PASSWORD", PASSWORD));
    assert_eq!(iam.requests().len(), 2, "one login, one renewal");
    let stdout_and_stderr = format!("{}{}", out.stdout, out.stderr);
    let shown: Vec<&str> = stdout_and_stderr
        .lines()
        .filter(|l| l.contains("RENEWED-9z8y7x6w") && !l.starts_with("::add-mask::"))
        .collect();
    assert!(shown.is_empty(), "the renewed token leaked: {shown:?}");
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    let json = out.json();
    assert_eq!(json["jobs"][1]["error"]["kind"], "response", "{json}");
    assert_message_contains(&json["jobs"][1]["error"], "echoed a credential");
    assert_eq!(json["jobs"][0]["verdict"], "pass", "{json}");
}

/// The gate at `api` with `--job` for each of `jobs`, logging in with the password at `iam`.
fn password_jobs(api: &Server, iam: &Server, jobs: &[String]) -> Command {
    let mut command = gate();
    command
        .args([
            "--endpoint",
            &api.url(),
            "--region",
            "cn-north-4",
            "--format",
            "json",
        ])
        .env("SERVICESTAGE_IAM_ENDPOINT", iam.url())
        .env("SERVICESTAGE_IAM_USER", "ci-gate")
        .env("SERVICESTAGE_IAM_DOMAIN", "acme")
        .env("SERVICESTAGE_IAM_PASSWORD", PASSWORD);
    for job in jobs {
        command.args(["--job", job]);
    }
    command
}

/// Issue 19 item 8: a wrong password is sent once, however many jobs the run gates (an
/// account locks after a few wrong passwords); every job reports that one refusal.
#[test]
fn a_refused_login_is_sent_once_for_all_jobs() {
    let api = Server::start(|r, _| match r.path() {
        "/assembling/v1/jobs" => job_list(r),
        _ => Reply::ok(page_json(1, &[("b1", "Successful", 60)])),
    });
    let iam = Server::always(
        401,
        r#"{"error_code":"IAM.0101","error_msg":"wrong password"}"#,
    );
    let jobs: Vec<String> = (0..10).map(|i| format!("job{i}")).collect();
    let out = run(&mut password_jobs(&api, &iam, &jobs));
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(iam.requests().len(), 1, "one login per run");
    assert!(api.requests().is_empty(), "{:?}", api.requests());
    let json = out.json();
    let errors: Vec<&Value> = json["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|job| &job["error"])
        .collect();
    assert_eq!(errors.len(), 10);
    for error in &errors {
        assert_eq!(*error, errors[0], "every job reports the one refusal");
    }
    assert_eq!(errors[0]["kind"], "auth");
    assert_message_contains(errors[0], "the IAM password login was refused");
    out.assert_hides(&[PASSWORD]);
}

/// IAM answering with `token` as the X-Subject-Token of any login.
fn iam_issuing(token: &'static str) -> Server {
    Server::start(move |r, _| match r.path() {
        "/github/idtoken" => Reply::ok(format!(r#"{{"value":"{JWT}"}}"#)),
        _ => Reply::json(201, "{}").with_header("X-Subject-Token", token),
    })
}

/// Issue 19 item 7: an X-Subject-Token that is, or holds, a configured credential is an
/// `auth` error; the value is never masked (which prints it), shown or sent.
#[test]
fn a_token_holding_a_credential_is_refused_unshown_and_unsent() {
    let api = servicestage();
    let with_password: &'static str = Box::leak(format!("MIIa{PASSWORD}b").into_boxed_str());
    for token in [PASSWORD, with_password] {
        let iam = iam_issuing(token);
        let out = run(password(&api, &iam).arg("-v").env("GITHUB_ACTIONS", "true"));
        auth_error(
            &out,
            "the IAM password login answered with an X-Subject-Token",
        );
        assert_message_contains(&out.json()["error"], "holds a configured credential");
        assert!(!out.stderr.contains("::add-mask::"), "{}", out.stderr);
    }
    // the OIDC exchange answering with the ID token it was given
    let iam = iam_issuing(JWT);
    let out = run(&mut github_oidc(&api, &iam));
    auth_error(
        &out,
        "the IAM exchange of the OIDC ID token answered with an X-Subject-Token",
    );
    assert!(api.requests().is_empty(), "{:?}", api.requests());

    // GitHub answering with the runner's request token as the ID token
    let github = Server::always(200, &format!(r#"{{"value":"{RUNNER}"}}"#));
    let iam = iam_issuing(IAM_TOKEN);
    let mut command = github_oidc(&api, &iam);
    command.env(
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        format!("{}/github/idtoken", github.url()),
    );
    let out = run(command.env("GITHUB_ACTIONS", "true"));
    auth_error(&out, "the GitHub Actions ID token request answered with");
    assert!(iam.requests().is_empty(), "nothing sent on to IAM");
    assert!(!out.stderr.contains("::add-mask::"), "{}", out.stderr);
}

/// GitHub's runner token and the ID token it fetches are JWTs from one issuer: the same
/// header, the same host in their claims. Only a JWT's signature is its secret part, so a
/// real ID token is not mistaken for an echo of the runner token.
#[test]
fn an_id_token_sharing_the_runner_tokens_header_is_taken() {
    const HEADER: &str =
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsIng1dCI6ImVCWl9jbjNzWFlBZDBjaDRUSEJLSElnT3dPRSJ9";
    let runner = format!(
        "{HEADER}.eyJuYW1laWQiOiJkZGRkZGRkZC1kZGRkIiwiaXNzIjoidnN0b2tlbi5hY3Rpb25zLmdpdGh1YnVzZXJjb250ZW50LmNvbSIsImF1ZCI6InZzdG9rZW4uYWN0aW9ucy5naXRodWJ1c2VyY29udGVudC5jb20ifQ.k3Jq9XwZp0Lr7TcVb2Nm5HsYd8Ue1Gf4Ai6Oo"
    );
    let id_token = format!(
        "{HEADER}.eyJpc3MiOiJodHRwczovL3Rva2VuLmFjdGlvbnMuZ2l0aHVidXNlcmNvbnRlbnQuY29tIiwiYXVkIjoiaWFtLm15aHVhd2VpY2xvdWQuY29tIiwic3ViIjoicmVwbzphY21lL2FwcDpyZWY6cmVmcy9oZWFkcy9tYWluIn0.Zx7Wq2Ep9Rt4Yu1Io8Pa5Sd3Fg6Hj0Kl-Mn_Bv"
    );
    let answer = format!(r#"{{"value":"{id_token}"}}"#);
    let expected = id_token.clone();
    let iam = Server::start(move |r, _| match r.path() {
        "/github/idtoken" => Reply::ok(answer.clone()),
        _ if body(r)["auth"]["id_token"]["id"] == expected.as_str() => {
            Reply::json(201, "{}").with_header("X-Subject-Token", IAM_TOKEN)
        }
        _ => Reply::json(401, r#"{"error_msg":"not that token"}"#),
    });
    let api = servicestage();
    let out = run(github_oidc(&api, &iam).env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", &runner));
    passes(&out);
    out.assert_hides(&[&runner, &id_token]);
}

/// Issue 19 item 10: the ID token file is gone when the token is renewed, after requests
/// were sent: an `auth` error (exit 3), not a usage error (exit 2 means nothing was sent).
#[test]
fn an_id_token_file_that_breaks_at_the_renewal_is_an_auth_error() {
    let file = id_token_file("renewal", JWT);
    let gone = file.clone();
    let iam = Server::start(move |_, _| {
        let _ = std::fs::remove_file(&gone);
        Reply::json(201, "{}").with_header("X-Subject-Token", IAM_TOKEN)
    });
    let api = expiring(usize::MAX);
    let out = run(keyless(&api, &iam)
        .env("HUAWEICLOUD_SDK_IDP_ID", "idp")
        .env("HUAWEICLOUD_SDK_ID_TOKEN_FILE", &file));
    auth_error(&out, "HUAWEICLOUD_SDK_ID_TOKEN_FILE");
    assert_message_contains(&out.json()["error"], "could not be renewed");
    assert_eq!((iam.requests().len(), api.requests().len()), (1, 1));
}

/// Issue 19 item 13: a redirect from GitHub's ID token URL names that URL (without its
/// query, which may carry a token) and the variable to fix, not --iam-endpoint.
#[test]
fn a_redirect_from_the_github_token_url_names_that_url() {
    let github = Server::start(|_, _| {
        Reply::json(302, "{}").with_header("Location", "https://elsewhere.example/t")
    });
    let (api, iam) = (servicestage(), iam());
    let mut command = github_oidc(&api, &iam);
    command.env(
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        format!("{}/github/idtoken?sig=QUERY-SECRET-1", github.url()),
    );
    let out = run(&mut command);
    assert_eq!(out.code, 3, "{}", out.stdout);
    let error = &out.json()["error"];
    assert_eq!(error["kind"], "http");
    assert_message_contains(
        error,
        &format!("redirect from {}/github/idtoken", github.url()),
    );
    assert_message_contains(error, "ACTIONS_ID_TOKEN_REQUEST_URL");
    assert!(
        !error["message"]
            .as_str()
            .unwrap()
            .contains("--iam-endpoint"),
        "{error}"
    );
    out.assert_hides(&["QUERY-SECRET-1"]);
    assert!(iam.requests().is_empty());
}
