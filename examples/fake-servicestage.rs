//! A stand-in for ServiceStage's build list API, for trying the gate without an account and
//! for the benchmarks. Serves a saved response (`--fixture`) or `--builds N` generated
//! builds, with the API's paging, on 127.0.0.1:
//!
//!     cargo run --example fake-servicestage -- --port 8080 --fixture examples/passing.json
//!     SERVICESTAGE_TOKEN=any servicestage-gate --endpoint http://127.0.0.1:8080 --job-id j --job-name n
//!
//! `--generate N` prints N generated builds as a saved response and exits.
//!
//! It also serves the job list (`GET /assembling/v1/jobs?job_name=`, every job whose name
//! contains the filter, any case), build details (`GET /assembling/v1/builds/{id}`) and
//! phases (`.../phases`). A fixture may list `jobs` (`[{"job_id", "job_name"}]`; without
//! it the one job is `j` / `n`), and its builds may carry `commit_id`, `branch`,
//! `started_at`, `ended_at` and `phases` (`[{"name", "state"}]`): see
//! examples/commits.json. Generated builds carry commit ids too.
//!
//! It is also a fake IAM and GitHub ID-token service, for trying keyless credentials:
//! `POST /v3.0/OS-AUTH/id-token/tokens` (identity provider `fake-github`, any JWT-looking
//! token), `POST /v3/auth/tokens?nocatalog=true` (user `ci-gate`, domain `acme`, password
//! `fake-password`) and `GET /github/idtoken` (bearer `fake-runner-token`). A token it issued
//! expires when it issues a newer one: the build list answers it as ServiceStage answers an
//! expired token. Any other token (the docs use `demo`) is always accepted.
//!
//!     HUAWEICLOUD_SDK_IDP_ID=fake-github \
//!     ACTIONS_ID_TOKEN_REQUEST_URL="http://127.0.0.1:8080/github/idtoken?api-version=2.0" \
//!     ACTIONS_ID_TOKEN_REQUEST_TOKEN=fake-runner-token \
//!     servicestage-gate --endpoint http://127.0.0.1:8080 --iam-endpoint http://127.0.0.1:8080 \
//!       --region cn-north-4 --job-id j --job-name n
//!
//! To model a far region, `--latency 50ms` waits before each response and `--tls` serves
//! HTTPS with the test certificate in tests/fixtures (pass the gate
//! `--ca-cert tests/fixtures/ca.pem`). `GET /_stats` answers
//! `{"connections": C, "tls_handshakes": H, "requests": R}`: totals since start, counting
//! only connections that asked for something other than `/_stats`, so reading the numbers
//! does not change them.
#![allow(
    clippy::disallowed_methods,
    reason = "a stand-in server: sockets, files and latency"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use argh::FromArgs;
use serde_json::{Value, json};

#[path = "support/codearts.rs"]
mod codearts;

/// Serve a saved ServiceStage build list with paging on 127.0.0.1.
#[derive(FromArgs)]
struct Args {
    /// port to listen on (0 picks a free one; the URL is printed on stdout)
    #[argh(option, default = "8080")]
    port: u16,
    /// a saved API response to serve
    #[argh(option)]
    fixture: Option<String>,
    /// serve this many generated builds instead of a fixture
    #[argh(option)]
    builds: Option<usize>,
    /// print this many generated builds as a saved response, and exit
    #[argh(option)]
    generate: Option<usize>,
    /// the most builds one page holds, whatever per_page asks (as the real API caps it)
    #[argh(option, default = "100")]
    max_per_page: usize,
    /// wait this long before each response, e.g. 50ms (a far region's round trip)
    #[argh(option)]
    latency: Option<humantime::Duration>,
    /// serve HTTPS with tests/fixtures/server.pem (trust tests/fixtures/ca.pem)
    #[argh(switch)]
    tls: bool,
    /// the job list: these comma-separated names, as jobs `id-NAME` serving the same builds,
    /// each under build ids of its own (for `--job`); instead of the fixture's `jobs` or the
    /// one job `j` / `n`
    #[argh(option)]
    jobs: Option<String>,
}

/// What the server is serving, shared by every connection.
struct Server {
    /// `[{job_id, job_name}]`.
    jobs: Vec<Value>,
    /// Newest first; may carry commit_id, branch, started_at, ended_at and phases.
    builds: Vec<Value>,
    max_per_page: usize,
    latency: Duration,
    stats: Stats,
    /// IAM tokens issued so far; the newest is `fake-iam-token-{issued}`.
    issued: AtomicUsize,
}

const FAKE_IDP: &str = "fake-github";
const FAKE_RUNNER_TOKEN: &str = "fake-runner-token";
const FAKE_USER: (&str, &str, &str) = ("ci-gate", "acme", "fake-password");

/// One request as read: method, path, query, headers and body.
struct Incoming {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Incoming {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Status, extra headers, body.
type Answer = (&'static str, Vec<(String, String)>, Value);

/// Totals since start, of connections that asked for something other than `/_stats`.
#[derive(Default)]
struct Stats {
    connections: AtomicUsize,
    tls_handshakes: AtomicUsize,
    requests: AtomicUsize,
}

impl Stats {
    fn to_json(&self) -> Value {
        json!({
            "connections": self.connections.load(Ordering::SeqCst),
            "tls_handshakes": self.tls_handshakes.load(Ordering::SeqCst),
            "requests": self.requests.load(Ordering::SeqCst),
        })
    }
}

/// `n` builds, newest first: mostly Successful around 20 minutes, some Failed and Cancel.
fn generated(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let state = match i % 17 {
                5 => "Failed",
                11 => "Cancel",
                _ => "Successful",
            };
            let phase_state = if state == "Failed" { "Failed" } else { "Successful" };
            json!({
                "build_id": format!("{:08x}-7d6e-4c5b-8a9f-{:012x}", n - i, i * 7919),
                "build_state": state,
                "duration": 1100 + (i * 37) % 200,
                "build_no": n - i,
                "creator": "ci-bot",
                "commit_id": format!("{:040x}", (n - i) as u128 * 0x9e37_79b9),
                "branch": "main",
                "phases": [{"name": "Init", "state": "Successful"}, {"name": "Build", "state": phase_state}],
            })
        })
        .collect()
}

/// Every failure is one line on stderr and exit 1, never a Debug print.
fn main() {
    if let Err(error) = run(argh::from_env()) {
        eprintln!("fake-servicestage: {error}");
        std::process::exit(1);
    }
}

fn run(args: Args) -> std::io::Result<()> {
    if let Some(n) = args.generate {
        let builds = generated(n);
        let body = json!({"total": n, "page": 1, "per_page": n, "list": builds});
        println!("{body}");
        return Ok(());
    }
    let default_jobs = match &args.jobs {
        Some(names) => names
            .split(',')
            .map(|name| json!({"job_id": format!("id-{}", name.trim()), "job_name": name.trim()}))
            .collect(),
        None => vec![json!({"job_id": "j", "job_name": "n"})],
    };
    let (jobs, builds) = match (&args.fixture, args.builds) {
        (Some(path), _) => {
            let saved: Value = std::fs::read_to_string(path)
                .and_then(|text| Ok(serde_json::from_str(&text)?))
                .map_err(|e| std::io::Error::new(e.kind(), format!("--fixture {path}: {e}")))?;
            let list = |key: &str| saved[key].as_array().cloned();
            (
                match args.jobs {
                    Some(_) => default_jobs,
                    None => list("jobs").unwrap_or(default_jobs),
                },
                list("list").unwrap_or_default(),
            )
        }
        (None, Some(n)) => (default_jobs, generated(n)),
        (None, None) => {
            eprintln!("fake-servicestage: give --fixture PATH or --builds N");
            std::process::exit(2);
        }
    };
    let tls = args.tls.then(tls_config).transpose()?;
    let listener = TcpListener::bind(("127.0.0.1", args.port)).map_err(|e| {
        let port = args.port;
        let why = match e.kind() {
            std::io::ErrorKind::AddrInUse => "is in use: stop what listens there (an earlier fake: Ctrl-C in its terminal), or pick another --port".to_string(),
            _ => format!("cannot be listened on: {e}"),
        };
        std::io::Error::new(e.kind(), format!("127.0.0.1:{port} {why}"))
    })?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("{scheme}://{}", listener.local_addr()?);
    std::io::stdout().flush()?;
    let server = Arc::new(Server {
        jobs,
        builds,
        max_per_page: args.max_per_page.max(1),
        latency: args.latency.map_or(Duration::ZERO, Into::into),
        stats: Stats::default(),
        issued: AtomicUsize::new(0),
    });
    for stream in listener.incoming().flatten() {
        let (server, tls) = (server.clone(), tls.clone());
        let _ = stream.set_nodelay(true);
        std::thread::spawn(move || {
            let _ = match tls {
                Some(config) => serve_tls(stream, config, &server),
                None => serve(stream, &server, false),
            };
        });
    }
    Ok(())
}

/// The test certificate for `localhost` and `127.0.0.1`, signed by tests/fixtures/ca.pem.
fn tls_config() -> std::io::Result<Arc<rustls::ServerConfig>> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let certs = CertificateDer::pem_file_iter(fixtures.join("server.pem"))
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(std::io::Error::other)?;
    let key =
        PrivateKeyDer::from_pem_file(fixtures.join("server.key")).map_err(std::io::Error::other)?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .and_then(|builder| builder.with_no_client_auth().with_single_cert(certs, key))
    .map_err(std::io::Error::other)?;
    Ok(Arc::new(config))
}

/// Completes the TLS handshake first, so a handshake is known to have happened.
fn serve_tls(
    stream: TcpStream,
    config: Arc<rustls::ServerConfig>,
    server: &Server,
) -> std::io::Result<()> {
    let mut connection = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut stream = stream;
    while connection.is_handshaking() {
        connection.complete_io(&mut stream)?;
    }
    serve(rustls::StreamOwned::new(connection, stream), server, true)
}

/// Answers requests on one kept-alive connection until the client closes it.
fn serve(stream: impl Read + Write, server: &Server, tls: bool) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut counted = false;
    while let Some(request) = read_request(&mut reader)? {
        if request.path != "/_stats" {
            server.stats.requests.fetch_add(1, Ordering::SeqCst);
            if !counted {
                server.stats.connections.fetch_add(1, Ordering::SeqCst);
                server
                    .stats
                    .tls_handshakes
                    .fetch_add(tls as usize, Ordering::SeqCst);
                counted = true;
            }
            std::thread::sleep(server.latency);
        }
        let (status, headers, body) =
            token_route(server, &request).unwrap_or_else(|| route(server, &request));
        let body = body.to_string();
        let extra: String = headers
            .iter()
            .map(|(name, value)| format!("{name}: {value}\r\n"))
            .collect();
        // One write: a response split over TLS records or segments could wait on Nagle.
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        reader.get_mut().write_all(response.as_bytes())?;
        reader.get_mut().flush()?;
    }
    Ok(())
}

/// The next request, body included (up to 1 MiB); `None` once the client has closed the
/// connection.
fn read_request(reader: &mut impl BufRead) -> std::io::Result<Option<Incoming>> {
    let mut request_line = String::new();
    if reader.read_line(&mut request_line)? == 0 {
        return Ok(None);
    }
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    let body_length: u64 = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = Vec::new();
    reader
        .take(body_length.min(1 << 20))
        .read_to_end(&mut body)?;
    let mut words = request_line.split_whitespace();
    let method = words.next().unwrap_or("GET").to_string();
    let target = words.next().unwrap_or("/");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Ok(Some(Incoming {
        method,
        path: path.to_string(),
        query: query.to_string(),
        headers,
        body,
    }))
}

/// IAM and GitHub token routes; `None` when the path is not one of them.
fn token_route(server: &Server, request: &Incoming) -> Option<Answer> {
    let json: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let text = |pointer: &str| json.pointer(pointer).and_then(Value::as_str);
    let scoped = text("/auth/scope/project/id")
        .or(text("/auth/scope/project/name"))
        .is_some_and(|s| !s.is_empty());
    let refused = |code: &str, msg: &str| {
        Some((
            "401 Unauthorized",
            vec![],
            json!({"error_code": code, "error_msg": msg}),
        ))
    };
    let issue = || {
        let issued = server.issued.fetch_add(1, Ordering::SeqCst) + 1;
        let token = (
            "X-Subject-Token".to_string(),
            format!("fake-iam-token-{issued}"),
        );
        let body = json!({"token": {"expires_at": "2099-01-01T00:00:00.000000Z"}});
        Some(("201 Created", vec![token], body))
    };
    match (request.method.as_str(), request.path.as_str()) {
        ("POST", "/v3.0/OS-AUTH/id-token/tokens") => {
            let jwt = text("/auth/id_token/id").unwrap_or("");
            if request.header("X-Idp-Id") != Some(FAKE_IDP) {
                return refused("IAM.0001", "no such identity provider");
            }
            if !jwt.starts_with("eyJ") || !scoped {
                return refused("IAM.0002", "bad id token or scope");
            }
            issue()
        }
        ("POST", "/v3/auth/tokens") if request.query == "nocatalog=true" => {
            let user = |field: &str| text(&format!("/auth/identity/password/user{field}"));
            let ok = json.pointer("/auth/identity/methods") == Some(&json!(["password"]))
                && user("/name") == Some(FAKE_USER.0)
                && user("/domain/name") == Some(FAKE_USER.1)
                && user("/password") == Some(FAKE_USER.2)
                && scoped;
            if !ok {
                return refused("IAM.0100", "The username or password is wrong.");
            }
            issue()
        }
        ("GET", "/github/idtoken") => {
            let audience = request
                .query
                .split('&')
                .any(|p| p.len() > 9 && p.starts_with("audience="));
            let bearer = format!("Bearer {FAKE_RUNNER_TOKEN}");
            if request.header("Authorization") != Some(bearer.as_str()) || !audience {
                let body = json!({"message": "no id-token permission"});
                return Some(("403 Forbidden", vec![], body));
            }
            let jwt = "eyJmYWtl.eyJzdWIiOiJmYWtlIn0.c2ln";
            Some(("200 OK", vec![], json!({"value": jwt})))
        }
        _ => None,
    }
}

/// Every endpoint the fake serves: add new ones as arms of this match.
fn route(server: &Server, request: &Incoming) -> Answer {
    if let Some(answer) = codearts::route(server, request) {
        return answer;
    }
    let (method, path, query) = (
        request.method.as_str(),
        request.path.as_str(),
        request.query.as_str(),
    );
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let current = format!("fake-iam-token-{}", server.issued.load(Ordering::SeqCst));
    // An issued token that a newer one replaced is answered as ServiceStage answers a stale
    // token; any token the fake did not issue (the docs' `demo`) stays good.
    let stale = request
        .header("X-Auth-Token")
        .is_some_and(|token| token.starts_with("fake-iam-token-") && token != current);
    if segments.first() == Some(&"assembling") && stale {
        let body = json!({"error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication information: token expires, expires_at: 2026-01-01T00:00:00Z"});
        return ("401 Unauthorized", vec![], body);
    }
    let (status, body) = match (method, segments.as_slice()) {
        ("GET", ["_stats"]) => ("200 OK", server.stats.to_json()),
        ("GET", ["assembling", "v1", "jobs"]) => job_list(server, query),
        ("GET", ["assembling", "v1", "jobs", job_id, "builds"]) => {
            build_list(server, job_id, query)
        }
        ("GET", ["assembling", "v1", "builds", id]) => build_details(server, id, path),
        ("GET", ["assembling", "v1", "builds", id, "phases"]) => phases(server, id, path),
        _ => not_found(&format!("{method} {path}")),
    };
    (status, vec![], body)
}

/// A query parameter, percent-decoded.
fn param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let value = pair.strip_prefix(name)?.strip_prefix('=')?;
        let bytes = servicestage_gate::encoding::percent_decode(value);
        Some(String::from_utf8_lossy(&bytes).into_owned())
    })
}

/// `items`' page as `page` and `per_page` ask, within `--max-per-page`.
fn paged(server: &Server, query: &str, items: &[&Value]) -> Value {
    let number = |name: &str, default: usize| {
        param(query, name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let page = number("page", 1).max(1);
    let per_page = number("per_page", 10).clamp(1, server.max_per_page);
    let list: Vec<&Value> = items
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .copied()
        .collect();
    json!({"total": items.len(), "page": page, "per_page": per_page, "list": list})
}

/// The job list: like the real filter, every job whose name contains `job_name`, any case.
fn job_list(server: &Server, query: &str) -> (&'static str, Value) {
    let wanted = param(query, "job_name")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let matching: Vec<&Value> = server
        .jobs
        .iter()
        .filter(|job| {
            job["job_name"]
                .as_str()
                .is_some_and(|name| name.to_ascii_lowercase().contains(&wanted))
        })
        .collect();
    ("200 OK", paged(server, query, &matching))
}

/// Build `build`'s id in job `job_id`. Every job serves the fixture's builds: the first
/// listed job (or one not listed) under their ids, the n-th under ids of its own
/// (`BUILD_ID-n`), since a build id names one build of the service and the gate refuses
/// one id in two jobs.
fn id_in(server: &Server, job_id: &str, build: &Value) -> String {
    let id = build["build_id"].as_str().unwrap_or_default();
    let listed = server
        .jobs
        .iter()
        .position(|job| job["job_id"].as_str() == Some(job_id));
    match listed {
        Some(n) if n > 0 => format!("{id}-{n}"),
        _ => id.to_string(),
    }
}

/// The build list, without the keys only the details carry (as the real list).
fn build_list(server: &Server, job_id: &str, query: &str) -> (&'static str, Value) {
    let detail_only = ["commit_id", "branch", "started_at", "ended_at", "phases"];
    let list: Vec<Value> = server
        .builds
        .iter()
        .map(|build| {
            let mut listed = build.clone();
            if let Some(fields) = listed.as_object_mut() {
                fields.retain(|key, _| !detail_only.contains(&key.as_str()));
            }
            listed["build_id"] = json!(id_in(server, job_id, build));
            listed
        })
        .collect();
    let body = paged(server, query, &list.iter().collect::<Vec<_>>());
    ("200 OK", body)
}

/// The build whose id (in some job) is `id`, under that id.
fn find(server: &Server, id: &str) -> Option<Value> {
    let id = String::from_utf8_lossy(&servicestage_gate::encoding::percent_decode(id)).into_owned();
    let found = server.builds.iter().find(|build| {
        let mut job_ids = server.jobs.iter().filter_map(|job| job["job_id"].as_str());
        build["build_id"].as_str() == Some(id.as_str())
            || job_ids.any(|job_id| id_in(server, job_id, build) == id)
    });
    found.map(|build| {
        let mut build = build.clone();
        build["build_id"] = json!(id);
        build
    })
}

fn build_details(server: &Server, id: &str, path: &str) -> (&'static str, Value) {
    let Some(build) = find(server, id) else {
        return not_found(path);
    };
    let text = |key: &str| build[key].as_str().unwrap_or("").to_string();
    let body = json!({
        "build_id": build["build_id"], "job_id": "j", "job_name": "n", "index": 1,
        "build_state": build["build_state"], "branch": text("branch"),
        "commit_id": text("commit_id"), "started_at": text("started_at"),
        "ended_at": text("ended_at"), "repo_type": "GitHub", "committer": "dev",
    });
    ("200 OK", body)
}

fn phases(server: &Server, id: &str, path: &str) -> (&'static str, Value) {
    let Some(build) = find(server, id) else {
        return not_found(path);
    };
    let list: Vec<Value> = build["phases"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, p)| json!({"id": format!("p{i}"), "name": p["name"], "state": p["state"]}))
        .collect();
    ("200 OK", json!({"total": list.len(), "list": list}))
}

fn not_found(what: &str) -> (&'static str, Value) {
    let body = json!({"error_code": "SVCSTG.00100404", "error_msg": format!("no route {what}")});
    ("404 Not Found", body)
}
