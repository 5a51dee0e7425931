//! The hostile server: serves one session on 127.0.0.1 over keep-alive HTTP/1.1, and
//! records what the gate sent (the signatures and tokens it could echo or must not send).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};

use super::encode::{Encoding, json_escape_all};
use super::session::{
    ErrorAnswer, JobBuilds, RENEWAL_MARKER, Route, SIGNATURE_MARKER, Served, View,
};

/// What the gate sent, as the server saw it.
#[derive(Debug, Clone, Default)]
pub struct Sent {
    /// `METHOD target` of each request.
    pub requests: Vec<String>,
    /// Each request's `Signature=` (AK/SK).
    pub signatures: Vec<String>,
    /// Each `X-Auth-Token` value.
    pub tokens: Vec<String>,
}

struct Shared {
    served: Served,
    /// Page-1 requests per job id so far: the poll a request belongs to.
    polls: Mutex<HashMap<String, usize>>,
    sent: Mutex<Sent>,
    /// IAM logins so far.
    logins: Mutex<usize>,
}

/// One request, as the answer needs it.
struct Request {
    method: String,
    target: String,
    token: Option<String>,
    signature: Option<String>,
}

pub struct Server {
    pub port: u16,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Server {
    pub fn start(served: Served) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            served,
            polls: Mutex::new(HashMap::new()),
            sent: Mutex::new(Sent::default()),
            logins: Mutex::new(0),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let (accepting, stopped) = (shared.clone(), stop.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let shared = accepting.clone();
                thread::spawn(move || serve(stream, &shared));
            }
        });
        Server { port, shared, stop }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn sent(&self) -> Sent {
        self.shared.sent.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
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
            match header.trim_end().split_once(':') {
                Some((name, value)) => {
                    headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()))
                }
                None => break,
            }
        }
        let length = header(&headers, "content-length")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        let mut body = Vec::new();
        if (&mut reader).take(length).read_to_end(&mut body).is_err() {
            return;
        }
        let request = record(shared, method, target, &headers);
        let reply = answer(shared, &request);
        if !respond(&mut stream, reply, &request, shared) {
            return;
        }
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn record(
    shared: &Shared,
    method: String,
    target: String,
    headers: &[(String, String)],
) -> Request {
    let mut sent = shared.sent.lock().unwrap();
    sent.requests.push(format!("{method} {target}"));
    let token = header(headers, "x-auth-token").map(str::to_string);
    sent.tokens.extend(token.clone());
    let signature = header(headers, "authorization")
        .and_then(|a| a.split("Signature=").nth(1))
        .map(|s| s.trim().to_string());
    sent.signatures.extend(signature.clone());
    Request {
        method,
        target,
        token,
        signature,
    }
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query(target: &str, name: &str) -> Option<String> {
    let query = target.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| decode(v))
    })
}

fn answer(shared: &Shared, request: &Request) -> Reply {
    let (served, target) = (&shared.served, request.target.as_str());
    let path = target.split('?').next().unwrap_or("");
    if request.method == "POST" && path.starts_with("/v3/auth/tokens") {
        return iam(shared);
    }
    let route = |r: Route| served.error.as_ref().filter(|e| e.route == r);
    if path == "/assembling/v1/jobs" {
        return route(Route::JobList).map_or_else(|| job_list(served, target), error);
    }
    let job_id = path
        .strip_prefix("/assembling/v1/jobs/")
        .and_then(|r| r.strip_suffix("/builds"));
    if let Some(job) = job_id.and_then(|id| served.job_builds(&decode(id))) {
        if let Some(expired) = expired(served, job, request) {
            return expired;
        }
        return route(Route::Builds).map_or_else(|| page(shared, job, target), error);
    }
    if let Some(rest) = path.strip_prefix("/assembling/v1/builds/") {
        let (id, phases) = match rest.strip_suffix("/phases") {
            Some(id) => (decode(id), true),
            None => (decode(rest), false),
        };
        let which = if phases {
            Route::Phases
        } else {
            Route::Details
        };
        return route(which).map_or_else(|| build(shared, &id, phases), error);
    }
    // A path the client resolved `.` or `..` out of: the builds of the job so named.
    let by_name = query(target, "name").and_then(|n| served.builds.iter().find(|j| j.name == n));
    match by_name {
        Some(job) => route(Route::Builds).map_or_else(|| page(shared, job, target), error),
        None => error(&ErrorAnswer {
            route: Route::Builds,
            status: 404,
            code: "SVCSTG.00100404".into(),
            message: "no such resource".into(),
            request_id: None,
        }),
    }
}

fn ok(body: Value) -> Reply {
    Reply {
        status: 200,
        headers: Vec::new(),
        body: body.to_string(),
    }
}

fn error(answer: &ErrorAnswer) -> Reply {
    Reply {
        status: answer.status,
        headers: answer
            .request_id
            .iter()
            .map(|id| ("X-Request-Id".to_string(), id.clone()))
            .collect(),
        body: answer.body(),
    }
}

/// The first login gets the session's IAM token, a later one the renewal's.
fn iam(shared: &Shared) -> Reply {
    let served = &shared.served;
    let mut logins = shared.logins.lock().unwrap();
    *logins += 1;
    let token = match (&served.renewal, *logins) {
        (Some(renewal), 2..) => Some(&renewal.token),
        _ => served.iam_token.as_ref(),
    };
    Reply {
        status: 201,
        headers: token
            .iter()
            .map(|t| ("X-Subject-Token".to_string(), t.to_string()))
            .collect(),
        body: json!({"token": {"expires_at": "2099-12-31T00:00:00.000000Z"}}).to_string(),
    }
}

/// "Token expires" for the first token on the job the renewal is about.
fn expired(served: &Served, job: &JobBuilds, request: &Request) -> Option<Reply> {
    let renewal = served
        .renewal
        .as_ref()
        .filter(|r| r.expired_job == job.id)?;
    (request.token.is_some() && request.token != Some(renewal.token.clone())).then(|| Reply {
        status: 401,
        headers: Vec::new(),
        body: json!({"error_code": "APIGW.0301", "error_msg":
            "Incorrect IAM authentication information: token expires, expires_at: 2025-06-28T00:00:00Z"})
        .to_string(),
    })
}

fn job_list(served: &Served, target: &str) -> Reply {
    let page: usize = query(target, "page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1);
    let jobs: Vec<Value> = match query(target, "job_name") {
        Some(name) => served
            .job_list
            .iter()
            .filter(|j| j.name.to_lowercase().contains(&name.to_lowercase()))
            .map(|j| json!({"job_id": j.id, "job_name": j.name}))
            .collect(),
        None => served
            .job_list
            .iter()
            .chain(&served.unfiltered_extra)
            .map(|j| json!({"job_id": j.id, "job_name": j.name}))
            .collect(),
    };
    let total = jobs.len();
    let list = if page == 1 { jobs } else { Vec::new() };
    ok(json!({"total": total, "page": page, "per_page": 100, "list": list}))
}

/// The poll a request of `job` belongs to; a page-1 request starts a new one.
fn poll_of(shared: &Shared, job: &JobBuilds, first_page: bool) -> usize {
    let mut polls = shared.polls.lock().unwrap();
    let count = polls.entry(job.id.clone()).or_insert(0);
    *count += first_page as usize;
    count.saturating_sub(1).min(job.polls.len() - 1)
}

fn page(shared: &Shared, job: &JobBuilds, target: &str) -> Reply {
    let served = &shared.served;
    let asked: usize = query(target, "page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1);
    let per_page: usize = query(target, "per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(100);
    let view: &View = &job.polls[poll_of(shared, job, asked == 1)];
    let mut number = if served.ignore_page { 1 } else { asked.max(1) };
    if served.repeat_page == Some(number) {
        number -= 1;
    }
    let size = per_page.min(served.cap).max(1);
    let mut list: Vec<Value> = view
        .builds
        .iter()
        .skip((number - 1) * size)
        .take(size)
        .map(|b| b.list_entry())
        .collect();
    if let Some((_, at)) = served
        .drop
        .filter(|(page, at)| *page == number && *at < list.len())
    {
        list.remove(at);
    }
    let mut body = json!({"page": asked, "per_page": size, "list": list});
    let counts = view.counts;
    for (name, count) in [
        ("total", counts.total),
        ("finished", counts.finished),
        ("successful", counts.successful),
    ] {
        if let Some(count) = count {
            body[name] = json!(count);
        }
    }
    ok(body)
}

/// A build's details or phases, as the poll now under way for its job shows it (a build
/// that left the list as an earlier poll showed it).
fn build(shared: &Shared, id: &str, phases: bool) -> Reply {
    let served = &shared.served;
    let found = served.builds.iter().find_map(|job| {
        let current = {
            let polls = shared.polls.lock().unwrap();
            polls
                .get(&job.id)
                .copied()
                .unwrap_or(1)
                .saturating_sub(1)
                .min(job.polls.len() - 1)
        };
        job.polls[..=current]
            .iter()
            .rev()
            .find_map(|view| view.builds.iter().find(|b| b.id == id))
    });
    let Some(build) = found else {
        return error(&ErrorAnswer {
            route: Route::Details,
            status: 404,
            code: "SVCSTG.00100404".into(),
            message: "build not found".into(),
            request_id: None,
        });
    };
    if phases {
        let list: Vec<Value> = build
            .phases
            .iter()
            .enumerate()
            .map(|(i, (name, state))| json!({"id": format!("phase-{i}"), "name": name, "state": state}))
            .collect();
        return ok(json!({"total": list.len(), "list": list}));
    }
    let state = served
        .details_state
        .iter()
        .find(|(b, _)| b == id)
        .map_or(build.state.as_str(), |(_, s)| s);
    let mut details = json!({
        "build_id": build.id,
        "build_state": state,
        "commit_id": build.commit,
        "branch": build.branch,
        "started_at": build.started_at,
    });
    if let Some(ended) = &build.ended_at {
        details["ended_at"] = json!(ended);
    }
    ok(details)
}

/// The echoes that depend on the request: the signature where the marker is, the
/// credentials written as JSON escapes (in a body), and the renewed token, in an answer
/// the renewal overtakes.
fn finish(text: &str, signature: Option<&str>, shared: &Shared, body: bool) -> String {
    let served = &shared.served;
    let mut text = text.to_string();
    if let (Some(renewal), true) = (&served.renewal, text.contains(RENEWAL_MARKER)) {
        // Held back until the gate sends the renewed token: then it holds it for sure.
        let started = std::time::Instant::now();
        let sent = || shared.sent.lock().unwrap().tokens.contains(&renewal.token);
        while !sent() && started.elapsed() < Duration::from_secs(5) {
            thread::sleep(Duration::from_millis(10));
        }
        text = text.replace(RENEWAL_MARKER, &renewal.token);
    }
    for raw in served.json_escaped.iter().filter(|_| body) {
        text = text.replace(raw.as_str(), &json_escape_all(raw));
    }
    if let (Some(echo), Some(signature)) = (&served.signature_echo, signature) {
        let echoed = match echo.encoding {
            Encoding::JsonEscaped => json_escape_all(signature),
            ref other => other.apply(signature),
        };
        text = text.replace(SIGNATURE_MARKER, &echoed);
    }
    text
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Status",
    }
}

fn respond(stream: &mut TcpStream, reply: Reply, request: &Request, shared: &Shared) -> bool {
    let signature = request.signature.as_deref();
    let body = finish(&reply.body, signature, shared, true);
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        reply.status,
        reason(reply.status),
        body.len()
    );
    for (name, value) in reply.headers {
        head.push_str(&format!(
            "{name}: {}\r\n",
            finish(&value, signature, shared, false)
        ));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).is_ok() && stream.write_all(body.as_bytes()).is_ok()
}
