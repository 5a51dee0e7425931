//! Test support: run the real binary, and a scripted HTTP/1.1 server on 127.0.0.1.
#![cfg_attr(
    not(unix),
    allow(
        dead_code,
        reason = "some helpers serve only the unix-only test modules"
    )
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::Duration;

use serde_json::Value;

pub const TOKEN: &str = "tok-SECRET-4f1d9a7c";

/// The gate with an empty environment, so nothing on this machine leaks into a test.
pub fn gate() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_servicestage-gate"));
    command.env_clear().stdin(Stdio::null());
    command
}

/// The gate pointed at `endpoint` for job `job-1` / `build-1`, with a token and JSON output.
pub fn gate_for(endpoint: &str) -> Command {
    let mut command = gate();
    command
        .args([
            "--endpoint",
            endpoint,
            "--job-id",
            "job-1",
            "--job-name",
            "build-1",
            "--format",
            "json",
        ])
        .env("SERVICESTAGE_TOKEN", TOKEN);
    command
}

/// The gate judging the shipped example `name` (`--input examples/NAME`).
pub fn judge(name: &str) -> Command {
    let mut command = gate();
    command.args(["--input", &example(name)]);
    command
}

/// Asserts that some line of `text` satisfies `wanted`.
pub fn assert_any_line(text: &str, wanted: impl Fn(&str) -> bool) {
    assert!(text.lines().any(wanted), "no such line in:\n{text}");
}

pub fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
        .display()
        .to_string()
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON object ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Asserts that none of `secrets` appears on stdout or stderr.
    pub fn assert_hides(&self, secrets: &[&str]) {
        for stream in [&self.stdout, &self.stderr] {
            for secret in secrets {
                assert!(!stream.contains(secret), "{secret:?} leaked: {stream}");
            }
        }
    }

    pub fn rule(&self, name: &str) -> Value {
        let json = self.json();
        json["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no rule {name} in {json}"))
    }
}

pub fn run(command: &mut Command) -> Run {
    let output = command.output().expect("the gate runs");
    Run {
        code: output
            .status
            .code()
            .expect("the gate exits with a code, not a signal"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// Runs with `stdin` as standard input.
pub fn run_with_stdin(command: &mut Command, stdin: &[u8]) -> Run {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let output = child.wait_with_output().unwrap();
    Run {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// Asserts that a JSON `error` object's message mentions `needle`.
pub fn assert_message_contains(error: &Value, needle: &str) {
    let message = error["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no error message in {error}"));
    assert!(message.contains(needle), "{needle:?} not in {error}");
}

/// The fake server, built once per test run: `cargo test` builds the examples, but
/// `cargo test --test integration` alone does not, and a stale one would test old code.
pub fn fake_server() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let dir = Path::new(env!("CARGO_BIN_EXE_servicestage-gate"))
                .parent()
                .unwrap();
            let mut build = Command::new(env!("CARGO"));
            build.args(["build", "--quiet", "--example", "fake-servicestage"]);
            // What cargo sets for a running test: ring's build script watches
            // CARGO_MANIFEST_DIR, so leaving them would rebuild the world every time.
            let set_for_tests = [
                "CARGO_MANIFEST_",
                "CARGO_PKG_",
                "CARGO_CRATE_",
                "CARGO_BIN_",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "CARGO_RUSTC_CURRENT_DIR",
                "OUT_DIR",
            ];
            for (name, _) in std::env::vars_os() {
                let name = name.to_string_lossy();
                if set_for_tests.iter().any(|p| name.starts_with(p)) {
                    build.env_remove(name.as_ref());
                }
            }
            match dir.file_name().and_then(|n| n.to_str()) {
                Some("debug") => {}
                Some(profile) => {
                    build.args(["--profile", profile]);
                }
                None => {}
            }
            let status = build
                .arg("--target-dir")
                .arg(dir.parent().unwrap())
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .unwrap();
            assert!(status.success(), "cargo build --example fake-servicestage");
            dir.join("examples/fake-servicestage")
        })
        .clone()
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub headers: Vec<(String, String)>,
    /// The body, as long as its Content-Length said (capped at 1 MiB).
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap()
    }

    /// A query parameter, still percent-encoded.
    pub fn query(&self, name: &str) -> Option<&str> {
        let query = self.target.split_once('?')?.1;
        query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == name).then_some(v)
        })
    }
}

/// What the server does with a request.
pub enum Reply {
    /// A response with a Content-Length body; the connection stays open.
    Status(u16, Vec<(String, String)>, String),
    /// A 200 with a binary body.
    Bytes(Vec<u8>),
    /// Bytes as they are, then the connection closes.
    Raw(Vec<u8>),
    /// Closes the connection without answering.
    Close,
    /// Waits, then replies.
    After(Duration, Box<Reply>),
    /// Sends the head and the first part of the body, waits, then the rest.
    SlowBody(String, Duration),
}

impl Reply {
    pub fn json(status: u16, body: impl Into<String>) -> Reply {
        Reply::Status(
            status,
            vec![("Content-Type".into(), "application/json".into())],
            body.into(),
        )
    }

    /// An HTML page, as gateways and proxies send on errors.
    pub fn html(status: u16, body: &str) -> Reply {
        Reply::Status(
            status,
            vec![("Content-Type".into(), "text/html".into())],
            body.into(),
        )
    }

    pub fn ok(body: impl Into<String>) -> Reply {
        Reply::json(200, body)
    }

    pub fn with_header(self, name: &str, value: &str) -> Reply {
        match self {
            Reply::Status(status, mut headers, body) => {
                headers.push((name.into(), value.into()));
                Reply::Status(status, headers, body)
            }
            other => other,
        }
    }
}

type Script = dyn Fn(&Recorded, usize) -> Reply + Send + Sync;

pub struct Server {
    pub port: u16,
    requests: Arc<Mutex<Vec<Recorded>>>,
    connections: Arc<AtomicUsize>,
}

impl Server {
    /// Serves every request with `script(request, index of the request)`.
    pub fn start(script: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let script: Arc<Script> = Arc::new(script);
        let (recorded, counter) = (requests.clone(), connections.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                counter.fetch_add(1, Ordering::SeqCst);
                let (recorded, script) = (recorded.clone(), script.clone());
                thread::spawn(move || serve(stream, &recorded, &*script));
            }
        });
        Server {
            port,
            requests,
            connections,
        }
    }

    /// Serves the same reply to every request.
    pub fn always(status: u16, body: &str) -> Server {
        let body = body.to_string();
        Server::start(move |_, _| Reply::json(status, body.clone()))
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

fn serve(stream: TcpStream, recorded: &Mutex<Vec<Recorded>>, script: &Script) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, target) = (
            parts.next().unwrap_or("").to_string(),
            parts.next().unwrap_or("").to_string(),
        );
        let mut headers = Vec::new();
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                headers.push((name.trim().to_string(), value.trim().to_string()));
            }
        }
        let length = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, value)| value.parse::<u64>().ok())
            .unwrap_or(0);
        let mut body = Vec::new();
        if (&mut reader)
            .take(length.min(1 << 20))
            .read_to_end(&mut body)
            .is_err()
        {
            return;
        }
        let request = Recorded {
            method,
            target,
            headers,
            body,
        };
        let index = {
            let mut all = recorded.lock().unwrap();
            all.push(request.clone());
            all.len() - 1
        };
        if !respond(&mut stream, script(&request, index)) {
            return;
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        301 => "Moved Permanently",
        302 => "Found",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Writes a reply; false when the connection is done.
fn respond(stream: &mut TcpStream, reply: Reply) -> bool {
    match reply {
        Reply::Status(status, headers, body) => {
            let mut head = format!(
                "HTTP/1.1 {status} {}\r\nContent-Length: {}\r\n",
                reason(status),
                body.len()
            );
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            stream.write_all(head.as_bytes()).is_ok() && stream.write_all(body.as_bytes()).is_ok()
        }
        Reply::Bytes(body) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).is_ok() && stream.write_all(&body).is_ok()
        }
        Reply::Raw(bytes) => {
            let _ = stream.write_all(&bytes);
            false
        }
        Reply::Close => false,
        Reply::After(delay, reply) => {
            thread::sleep(delay);
            respond(stream, *reply)
        }
        Reply::SlowBody(body, pause) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            let (first, rest) = body.split_at(body.len() / 2);
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(first.as_bytes());
            let _ = stream.flush();
            thread::sleep(pause);
            stream.write_all(rest.as_bytes()).is_ok()
        }
    }
}

/// A build list body. `builds` are `(id, state, duration)`, newest first.
pub fn page_json(total: usize, builds: &[(&str, &str, u64)]) -> String {
    let list: Vec<Value> = builds
        .iter()
        .map(|(id, state, duration)| serde_json::json!({"build_id": id, "build_state": state, "duration": duration}))
        .collect();
    serde_json::json!({"total": total, "page": 1, "per_page": list.len(), "list": list}).to_string()
}

/// `n` Successful builds `s0`, `s1`, ... taking 600 s each.
pub fn successful(n: usize) -> Vec<(String, &'static str, u64)> {
    (0..n)
        .map(|i| (format!("s{i}"), "Successful", 600))
        .collect()
}

pub fn borrowed<'a>(builds: &'a [(String, &'static str, u64)]) -> Vec<(&'a str, &'a str, u64)> {
    builds
        .iter()
        .map(|(id, s, d)| (id.as_str(), *s, *d))
        .collect()
}

/// An HTTPS server on 127.0.0.1 with the certificate in tests/fixtures (for `localhost` and
/// `127.0.0.1`, signed by tests/fixtures/ca.pem). Answers every request with `body`.
pub struct TlsServer {
    pub port: u16,
    handshakes: Arc<AtomicUsize>,
}

impl TlsServer {
    pub fn start(body: &str) -> TlsServer {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(fixtures.join("server.pem"))
                .unwrap()
                .map(Result::unwrap)
                .collect();
        let key = PrivateKeyDer::from_pem_file(fixtures.join("server.key")).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let handshakes = Arc::new(AtomicUsize::new(0));
        let (counter, body) = (handshakes.clone(), body.to_string());
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (config, counter, body) = (config.clone(), counter.clone(), body.clone());
                thread::spawn(move || {
                    let connection = rustls::ServerConnection::new(config).unwrap();
                    let mut tls = rustls::StreamOwned::new(connection, stream);
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        match tls.read(&mut byte) {
                            Ok(1) => head.push(byte[0]),
                            _ => return, // the client refused the certificate, or left
                        }
                    }
                    counter.fetch_add(1, Ordering::SeqCst);
                    let response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = tls.write_all(response.as_bytes());
                    tls.conn.send_close_notify();
                    let _ = tls.flush();
                });
            }
        });
        TlsServer { port, handshakes }
    }

    /// Requests that completed a TLS handshake.
    pub fn requests(&self) -> usize {
        self.handshakes.load(Ordering::SeqCst)
    }
}

/// `YYYYMMDDTHHMMSSZ`, as in `X-Sdk-Date`.
pub fn parse_sdk_date(date: &str) -> Result<std::time::SystemTime, String> {
    let part =
        |range: std::ops::Range<usize>| date.get(range).ok_or(format!("bad X-Sdk-Date {date:?}"));
    let rfc3339 = format!(
        "{}-{}-{}T{}:{}:{}Z",
        part(0..4)?,
        part(4..6)?,
        part(6..8)?,
        part(9..11)?,
        part(11..13)?,
        part(13..15)?
    );
    humantime::parse_rfc3339(&rfc3339).map_err(|e| format!("bad X-Sdk-Date {date:?}: {e}"))
}

pub fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

/// A CONNECT proxy on 127.0.0.1 that tunnels to loopback ports only, recording each
/// request's head. With `require_auth`, a request without Proxy-Authorization gets 407.
pub struct ConnectProxy {
    pub port: u16,
    heads: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    pub fn start(require_auth: bool) -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let recorded = heads.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let recorded = recorded.clone();
                thread::spawn(move || tunnel(stream, &recorded, require_auth));
            }
        });
        ConnectProxy { port, heads }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

fn tunnel(client: TcpStream, recorded: &Mutex<Vec<String>>, require_auth: bool) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    recorded.lock().unwrap().push(head.clone());
    let mut client = client;
    let target = head.split_whitespace().nth(1).unwrap_or("").to_string();
    let loopback = target.starts_with("localhost:") || target.starts_with("127.0.0.1:");
    if !head.starts_with("CONNECT ") || !loopback {
        let _ = client.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
        return;
    }
    if require_auth
        && !head
            .to_ascii_lowercase()
            .contains("proxy-authorization: basic ")
    {
        let _ = client
            .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n");
        return;
    }
    let port = target.rsplit(':').next().unwrap();
    let Ok(upstream) = TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())) else {
        return;
    };
    let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
    let (mut client_read, mut upstream_write) =
        (client.try_clone().unwrap(), upstream.try_clone().unwrap());
    let up = thread::spawn(move || {
        let _ = std::io::copy(&mut client_read, &mut upstream_write);
        let _ = upstream_write.shutdown(std::net::Shutdown::Write);
    });
    let (mut upstream_read, mut client_write) = (upstream, client);
    let _ = std::io::copy(&mut upstream_read, &mut client_write);
    let _ = client_write.shutdown(std::net::Shutdown::Write);
    let _ = up.join();
}
