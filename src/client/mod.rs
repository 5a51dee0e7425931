//! The HTTP client: the only module that talks to the network. It sends one request at a
//! time over a kept-alive connection, within the run's deadline and body budget, retries
//! what is worth retrying, and turns every fault into an `Error` of the right kind.

mod classify;
mod files;
mod login;
mod pem;
mod secrets;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io::Read;
use std::time::{Duration, Instant, SystemTime};

use ureq::http::{self, Method};
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::{AsSendBody, Body};

use crate::config::{Api, Credentials, Scheme, Secret};
use crate::encoding::{canonical_query, percent_encode};
use crate::error::Error;
use crate::iam::IdTokenSource;
use crate::lookup::build::{self, BuildDetails, PhaseList};
use crate::lookup::jobs::{self, Job, JobPage};
use crate::model::{self, Page};
use crate::signing;
pub use classify::one_line;
use classify::{Context, Failure, RETRY_AFTER_MAX, Response, Retry, classify, identity_encoding};
pub use login::Session;
use secrets::Secrets;

/// All response bodies of one run together may not be larger than this.
pub const MAX_BODY: u64 = 16 * 1024 * 1024;
/// How much of an error body is read for its code and message.
const MAX_ERROR_BODY: u64 = 64 * 1024;
/// The first retry waits about this long; each later one twice as long.
const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// The gateway's throttling (`APIG.0308`) sends no `Retry-After`: back off at least this.
const THROTTLED_BACKOFF_MIN: Duration = Duration::from_secs(2);
/// A deadline further away than this is as good as none (and cannot overflow an Instant).
const FAR_FUTURE: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// The most a run without `--wait` may take: every try of one request at its full
/// `--timeout` with the longest `Retry-After` between them, plus one more `--timeout` for
/// the pages after it. It does not grow with the number of pages.
pub fn run_budget(timeout: Duration, retries: u32) -> Duration {
    timeout
        .saturating_mul(retries.saturating_add(2))
        .saturating_add(RETRY_AFTER_MAX.saturating_mul(retries))
}

/// When the whole run must be over: `--wait` when given, else the run budget. Cloned,
/// it is one deadline shared by several jobs' clients.
#[derive(Debug, Clone)]
pub struct Deadline {
    at: Instant,
    /// Names the limit in a timeout message.
    what: String,
}

impl Deadline {
    pub fn for_run(wait: Duration, api: &Api) -> Deadline {
        let text = |d: Duration| humantime::format_duration(d).to_string();
        let (budget, what) = if wait.is_zero() {
            let budget = run_budget(api.timeout, api.retries);
            let what = format!(
                "the run's time limit of {} ((--retries + 2) x --timeout + --retries x 60s)",
                text(budget)
            );
            (budget, what)
        } else {
            (wait, format!("the --wait deadline of {}", text(wait)))
        };
        Deadline {
            at: Instant::now() + budget.min(FAR_FUTURE),
            what,
        }
    }

    pub fn left(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    pub fn passed(&self) -> bool {
        self.left().is_zero()
    }
}

/// One request below the endpoint: the client adds the origin, base path, headers and
/// credentials.
pub struct Request<'r> {
    pub method: Method,
    /// Below the endpoint's base path, percent-encoded: `/assembling/v1/jobs/j/builds`.
    pub path: &'r str,
    /// Unencoded pairs; sent encoded and in canonical order, as they are signed.
    pub query: &'r [(&'r str, &'r str)],
    pub body: &'r [u8],
}

pub struct Client<'a> {
    agent: ureq::Agent,
    api: &'a Api,
    /// As configured, except that a token file has been read into its token.
    credentials: Credentials,
    /// The run's IAM login, shared by every client of the run.
    session: &'a Session<'a>,
    /// What server text must never echo; grows with each token the session obtains.
    secrets: RefCell<Secrets>,
    /// How many of the session's obtained secrets `secrets` holds.
    synced: Cell<usize>,
    verbose: bool,
    deadline: Deadline,
    requests: Cell<u32>,
    received: Cell<u64>,
}

impl<'a> Client<'a> {
    /// Reads the token file and CA certificates; any problem there, or a credential that
    /// cannot be sent in a header, is a usage error. An IAM login goes through `session`,
    /// once for all the clients that share it.
    pub fn new(
        api: &'a Api,
        verbose: bool,
        deadline: Deadline,
        session: &'a Session<'a>,
    ) -> Result<Client<'a>, Error> {
        let credentials = resolve_credentials(api)?;
        let secrets = Secrets::new(secret_values(&credentials));
        let mut tls = TlsConfig::builder();
        let https = std::iter::once(&api.endpoint)
            .chain(login::endpoints(&credentials))
            .any(|endpoint| endpoint.scheme == Scheme::Https);
        // Plain http (loopback only) never does TLS: skip loading certificates for it.
        if !api.ca_certs.is_empty() && https {
            tls = tls.root_certs(root_certs(api)?);
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // A redirect is an error: credentials never follow it to another origin.
            .max_redirects(0)
            .timeout_global(Some(api.timeout))
            .tls_config(tls.build())
            .build()
            .new_agent();
        Ok(Client {
            agent,
            api,
            credentials,
            session,
            secrets: RefCell::new(secrets),
            synced: Cell::new(0),
            verbose,
            deadline,
            requests: Cell::new(0),
            received: Cell::new(0),
        })
    }

    /// Every HTTP request sent so far, retries included.
    pub fn requests(&self) -> u32 {
        self.requests.get()
    }

    pub fn deadline(&self) -> &Deadline {
        &self.deadline
    }

    /// One page of the build list of `job` (its id and its name as the job list spells it).
    pub fn page(
        &self,
        job: &Job,
        page: u32,
        per_page: u32,
        log: &mut dyn FnMut(&str),
    ) -> Result<Page, Error> {
        let path = format!(
            "/assembling/v1/jobs/{}/builds",
            percent_encode(job.id.as_bytes())
        );
        let (page, per_page) = (page.to_string(), per_page.to_string());
        let query = [
            ("name", job.name.as_str()),
            ("page", &page),
            ("per_page", &per_page),
        ];
        // The body holds no credential (`send` checked), so neither can the parser's errors.
        model::parse_page_slice(&self.get(&path, &query, log)?)
    }

    /// One page of the job list, filtered by `name` (the API may match more than it), or
    /// unfiltered.
    pub fn job_page(
        &self,
        name: Option<&str>,
        page: u32,
        per_page: u32,
        log: &mut dyn FnMut(&str),
    ) -> Result<JobPage, Error> {
        let (page, per_page) = (page.to_string(), per_page.to_string());
        let mut query = vec![("page", page.as_str()), ("per_page", per_page.as_str())];
        query.extend(name.map(|name| ("job_name", name)));
        jobs::parse_job_page(&self.get("/assembling/v1/jobs", &query, log)?[..])
    }

    /// A build's details; they must be those of `build_id`.
    pub fn build_details(
        &self,
        build_id: &str,
        log: &mut dyn FnMut(&str),
    ) -> Result<BuildDetails, Error> {
        let path = format!(
            "/assembling/v1/builds/{}",
            percent_encode(build_id.as_bytes())
        );
        build::parse_build_details(&self.get(&path, &[], log)?[..], build_id)
    }

    /// A build's phases, in the API's order.
    pub fn phases(&self, build_id: &str, log: &mut dyn FnMut(&str)) -> Result<PhaseList, Error> {
        let path = format!(
            "/assembling/v1/builds/{}/phases",
            percent_encode(build_id.as_bytes())
        );
        build::parse_phases(&self.get(&path, &[], log)?[..], build_id)
    }

    fn get(
        &self,
        path: &str,
        query: &[(&str, &str)],
        log: &mut dyn FnMut(&str),
    ) -> Result<Vec<u8>, Error> {
        let request = Request {
            method: Method::GET,
            path,
            query,
            body: b"",
        };
        self.send(&request, log)
    }

    /// Sends `request` until it is answered with 200, retrying after connection errors,
    /// timeouts, 429 and 5xx; returns the body. No request or sleep runs past the deadline.
    /// With a login, a 401 saying the token expired gets one new login and one repeat.
    pub fn send(&self, request: &Request, log: &mut dyn FnMut(&str)) -> Result<Vec<u8>, Error> {
        let token = self.login_token(log)?;
        let first = |retried, log: &mut dyn FnMut(&str)| {
            self.attempt(request, token.as_ref(), retried, log)
        };
        let failure = match self.with_retries(log, first) {
            Ok(body) => return Ok(body),
            Err(failure) => failure,
        };
        let (Retry::Renew, Some(stale)) = (failure.retry, &token) else {
            return Err(failure.error);
        };
        let Some(fresh) = self.renew(stale, log)? else {
            return Err(failure.error);
        };
        self.with_retries(log, |retried, log| {
            self.attempt(request, Some(&fresh), retried, log)
        })
        .map_err(|failure| failure.error)
    }

    /// Tries `once` (told how many retries came before it) until it succeeds, retrying
    /// what `Retry::After` allows within `--retries` and the deadline; the last failure
    /// otherwise, saying so when the deadline, not `--retries`, ended the retries.
    fn with_retries<T>(
        &self,
        log: &mut dyn FnMut(&str),
        mut once: impl FnMut(u32, &mut dyn FnMut(&str)) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        let mut attempt = 0;
        loop {
            let mut failure = match once(attempt, log) {
                Ok(done) => return Ok(done),
                Err(failure) => failure,
            };
            let delay = match failure.retry {
                Retry::After(after) => after.unwrap_or_else(|| backoff(attempt, Duration::ZERO)),
                Retry::Throttled(after) => {
                    after.unwrap_or_else(|| backoff(attempt, THROTTLED_BACKOFF_MIN))
                }
                Retry::Never | Retry::Renew => return Err(failure),
            };
            if attempt >= self.api.retries {
                return Err(failure);
            }
            if delay >= self.deadline.left() {
                if let Error::Http(http) = &mut failure.error {
                    http.message.push_str(&format!(
                        "; not retried again: waiting {} would pass {}",
                        humantime::format_duration(Duration::from_secs(delay.as_secs())),
                        self.deadline.what
                    ));
                }
                return Err(failure);
            }
            attempt += 1;
            if self.verbose {
                log(&format!(
                    "retry {attempt}/{} in {} after {}",
                    self.api.retries,
                    humantime::format_duration(Duration::from_millis(delay.as_millis() as u64)),
                    failure.error
                ));
            }
            std::thread::sleep(delay);
        }
    }

    /// One try of `request`; `retried` is how many tries came before it.
    fn attempt(
        &self,
        request: &Request,
        token: Option<&Secret>,
        retried: u32,
        log: &mut dyn FnMut(&str),
    ) -> Result<Vec<u8>, Failure> {
        let path = format!("{}{}", self.api.endpoint.base_path, request.path);
        let query = canonical_query(request.query);
        let url = match query.as_str() {
            "" => format!("{}{path}", self.api.endpoint.origin()),
            query => format!("{}{path}?{query}", self.api.endpoint.origin()),
        };
        let headers = self.headers(request, &path, &query, token);
        // A signed request's signature is a secret of this request only.
        let secrets = self.secrets.borrow();
        let secrets = match signature_of(&headers) {
            Some(signature) => {
                let mut secrets = secrets.clone();
                secrets.add(signature);
                std::borrow::Cow::Owned(secrets)
            }
            None => std::borrow::Cow::Borrowed(&*secrets),
        };
        let outgoing = Outgoing {
            method: request.method.clone(),
            shown_url: url.clone(),
            url,
            origin: self.api.endpoint.origin(),
            headers,
            body: request.body,
            login: false,
        };
        let received = self.exchange(&outgoing, &secrets, log)?;
        let context = Context {
            signed: matches!(self.credentials, Credentials::AccessKey { .. }),
            retries: retried,
            secrets: &secrets,
            now: SystemTime::now(),
        };
        classify(&received.view(), &context).map_err(|mut failure| {
            let (_, message) = classify::error_body(&received.body);
            if token.is_some() && crate::iam::is_expired_token(received.status, message.as_deref())
            {
                failure.retry = Retry::Renew;
            }
            failure
        })?;
        Ok(received.body)
    }

    /// Sends one request, addressed and with all its headers, and reads its answer within
    /// the deadline and the run's body budget; counts it and logs it with `-v`.
    fn exchange(
        &self,
        outgoing: &Outgoing,
        secrets: &Secrets,
        log: &mut dyn FnMut(&str),
    ) -> Result<Received, Failure> {
        let left = self.deadline.left();
        if left.is_zero() {
            return Err(Error::Timeout(format!("{} passed", self.deadline.what)).into());
        }
        let timeout = self.api.timeout.min(left);
        let clamped = timeout < self.api.timeout;
        let started = Instant::now();
        self.requests.set(self.requests.get() + 1);
        if outgoing.login {
            self.session.count_request();
        }
        let (result, status) = match self.run(outgoing, timeout) {
            Err(e) => {
                let failure = self.transport_failure(e, clamped, secrets, &outgoing.origin);
                let kind = failure.error.kind().to_string();
                (Err(failure), kind)
            }
            Ok(response) => {
                let status = response.status().as_u16().to_string();
                let received = self.receive(response, secrets, clamped, &outgoing.origin);
                (received, status)
            }
        };
        if self.verbose {
            let bytes = result.as_ref().map_or(0, |r| r.body.len());
            let elapsed = started.elapsed().as_millis();
            let method = outgoing.method.as_str();
            // Numbered, so that `-v` counts the requests (retries included) as it goes.
            let number = self.requests.get();
            log(&format!(
                "request {number}: {method} {} -> {status} ({bytes} bytes, {elapsed} ms)",
                outgoing.shown_url
            ));
        }
        result
    }

    /// Sends one request with the time left; the body goes only with a method that has one.
    fn run(
        &self,
        outgoing: &Outgoing,
        timeout: Duration,
    ) -> Result<http::Response<Body>, ureq::Error> {
        let mut builder = http::Request::builder()
            .method(outgoing.method.clone())
            .uri(&outgoing.url);
        for (name, value) in &outgoing.headers {
            builder = builder.header(name, value);
        }
        if outgoing.body.is_empty() {
            self.run_with(builder.body(())?, timeout)
        } else {
            self.run_with(builder.body(outgoing.body.to_vec())?, timeout)
        }
    }

    fn run_with(
        &self,
        request: http::Request<impl AsSendBody>,
        timeout: Duration,
    ) -> Result<http::Response<Body>, ureq::Error> {
        let request = self
            .agent
            .configure_request(request)
            .timeout_global(Some(timeout))
            .build();
        self.agent.run(request)
    }

    /// Reads the headers the gate uses and what the body budget allows of the body.
    fn receive(
        &self,
        mut response: http::Response<Body>,
        secrets: &Secrets,
        clamped: bool,
        origin: &str,
    ) -> Result<Received, Failure> {
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let [encoding, retry_after, request_id, location, subject_token] = [
            "content-encoding",
            "retry-after",
            "x-request-id",
            "location",
            "x-subject-token",
        ]
        .map(header);
        let status = response.status().as_u16();
        let body = match identity_encoding(encoding.as_deref()) {
            true => self.read_body(&mut response, status, secrets, clamped, origin)?,
            false => Vec::new(),
        };
        Ok(Received {
            status,
            encoding,
            retry_after,
            request_id,
            location,
            subject_token,
            body,
        })
    }

    /// A 200's whole body, or the start of an error body, within what is left of the run's
    /// body budget.
    fn read_body(
        &self,
        response: &mut http::Response<Body>,
        status: u16,
        secrets: &Secrets,
        clamped: bool,
        origin: &str,
    ) -> Result<Vec<u8>, Failure> {
        let left = MAX_BODY.saturating_sub(self.received.get());
        let reader = response.body_mut().with_config().limit(left).reader();
        let mut body = Vec::new();
        let read = match status {
            200 => reader.take(u64::MAX).read_to_end(&mut body),
            _ => reader.take(MAX_ERROR_BODY).read_to_end(&mut body),
        };
        self.received.set(self.received.get() + body.len() as u64);
        match read {
            Err(io) if status == 200 => {
                Err(self.transport_failure(ureq::Error::from(io), clamped, secrets, origin))
            }
            // An error body cut short still says what it could.
            _ => Ok(body),
        }
    }

    /// Every header sent, in the order sent; with AK/SK, signed last. `token` is the
    /// session's, when the credentials log in.
    fn headers(
        &self,
        request: &Request,
        path: &str,
        query: &str,
        token: Option<&Secret>,
    ) -> Vec<(String, String)> {
        let mut headers = vec![
            ("Host".to_string(), self.api.endpoint.host_header()),
            (
                "Content-Type".to_string(),
                "application/json;charset=utf8".to_string(),
            ),
            user_agent(),
        ];
        if let Some(project) = &self.api.project_id {
            headers.push(("X-Project-Id".to_string(), project.clone()));
        }
        match (&self.credentials, token) {
            (_, Some(token)) | (Credentials::Token(token), None) => {
                headers.push(("X-Auth-Token".to_string(), token.expose().to_string()));
            }
            (
                Credentials::AccessKey {
                    ak,
                    sk,
                    security_token,
                },
                None,
            ) => {
                if let Some(token) = security_token {
                    headers.push(("X-Security-Token".to_string(), token.expose().to_string()));
                }
                let signed = signing::Request {
                    method: request.method.as_str(),
                    path,
                    query,
                    headers: &headers,
                    body: request.body,
                };
                let signature = signing::sign(&signed, ak, sk.expose(), SystemTime::now());
                headers.extend(signature);
            }
            // `new` read a token file into its token; a login's token comes as `token`.
            (Credentials::TokenFile(_) | Credentials::Oidc { .. }, None) => {}
            (Credentials::Password { .. }, None) => {}
        }
        headers
    }

    fn transport_failure(
        &self,
        e: ureq::Error,
        clamped: bool,
        secrets: &Secrets,
        origin: &str,
    ) -> Failure {
        let detail = |text: String| {
            classify::shown(
                &text,
                &Context {
                    signed: false,
                    retries: 0,
                    secrets,
                    now: SystemTime::now(),
                },
            )
        };
        let timed_out = || match clamped {
            true => format!(
                "no complete response from {origin} before {} passed",
                self.deadline.what
            ),
            false => format!(
                "no complete response from {origin} within {} (--timeout)",
                humantime::format_duration(self.api.timeout)
            ),
        };
        let (error, retryable) = transport_error(e, origin, timed_out, detail);
        Failure {
            error,
            retry: match retryable {
                true => Retry::After(None),
                false => Retry::Never,
            },
        }
    }
}

/// One request on the wire: addressed, with every header.
struct Outgoing<'o> {
    method: Method,
    url: String,
    /// What `-v` shows: a login request's URL without its query.
    shown_url: String,
    /// `scheme://host[:port]`, for messages.
    origin: String,
    headers: Vec<(String, String)>,
    body: &'o [u8],
    /// An IAM or GitHub token request, counted by the session too.
    login: bool,
}

/// A response as read: the headers the gate uses and the body within the budget.
struct Received {
    status: u16,
    encoding: Option<String>,
    retry_after: Option<String>,
    request_id: Option<String>,
    location: Option<String>,
    subject_token: Option<String>,
    body: Vec<u8>,
}

impl Received {
    fn view(&self) -> Response<'_> {
        Response {
            status: self.status,
            content_encoding: self.encoding.as_deref(),
            retry_after: self.retry_after.as_deref(),
            request_id: self.request_id.as_deref(),
            location: self.location.as_deref(),
            body: &self.body,
        }
    }
}

fn user_agent() -> (String, String) {
    (
        "User-Agent".to_string(),
        format!("servicestage-gate/{}", env!("CARGO_PKG_VERSION")),
    )
}

/// The error for a transport fault, and whether a retry may help. `detail` shows text
/// that may come from the server.
fn transport_error(
    e: ureq::Error,
    origin: &str,
    timed_out: impl Fn() -> String,
    detail: impl Fn(String) -> String,
) -> (Error, bool) {
    match e {
        ureq::Error::Timeout(_) => (Error::Timeout(timed_out()), true),
        ureq::Error::Io(io) => io_error(io, origin, timed_out, detail),
        ureq::Error::HostNotFound => (
            Error::Network(format!(
                "could not resolve the host of {origin}: check --endpoint or --region"
            )),
            true,
        ),
        ureq::Error::BodyExceedsLimit(_) => (
            Error::Response(format!(
                "the responses of this run are over the {} MiB limit",
                MAX_BODY >> 20
            )),
            false,
        ),
        // A URL or header value the config checks let through (server ids are capped in
        // length before they reach a path): sending it again cannot help.
        ureq::Error::Http(e) => (
            Error::Usage(format!(
                "the request cannot be sent ({e}): check --endpoint, --job-id, --job-name \
                 and --project-id"
            )),
            false,
        ),
        e @ (ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_)) => {
            (tls_error(origin, &detail(e.to_string())), false)
        }
        ureq::Error::Protocol(e) => (
            Error::Network(format!(
                "{origin} sent a malformed HTTP response: {}",
                detail(e.to_string())
            )),
            true,
        ),
        e => (
            Error::Network(format!("{origin}: {}", detail(e.to_string()))),
            true,
        ),
    }
}

fn io_error(
    io: std::io::Error,
    origin: &str,
    timed_out: impl Fn() -> String,
    detail: impl Fn(String) -> String,
) -> (Error, bool) {
    use std::io::ErrorKind;
    let what = match io.kind() {
        ErrorKind::TimedOut => return (Error::Timeout(timed_out()), true),
        // ureq hands rustls failures (an untrusted certificate, a bad handshake) over as
        // InvalidData I/O errors: retrying cannot help, a CA bundle may.
        ErrorKind::InvalidData => return (tls_error(origin, &detail(io.to_string())), false),
        ErrorKind::ConnectionRefused => "connection refused".to_string(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::UnexpectedEof => {
            format!(
                "the connection was closed before the response was complete ({})",
                detail(io.to_string())
            )
        }
        _ => detail(io.to_string()),
    };
    (Error::Network(format!("{origin}: {what}")), true)
}

fn tls_error(origin: &str, detail: &str) -> Error {
    Error::Network(format!(
        "TLS with {origin} failed: {detail} (behind a TLS-inspecting proxy, pass its CA with \
         --ca-cert)"
    ))
}

/// The configured credentials, with a token file read into its token; each value that
/// goes into a header must be one a header can carry.
fn resolve_credentials(api: &Api) -> Result<Credentials, Error> {
    let (credentials, token_origin) = match &api.credentials {
        Credentials::TokenFile(path) => {
            let bytes = files::read_capped(path, files::MAX_TOKEN_FILE, "--token-file")?;
            let token = String::from_utf8_lossy(&bytes).trim().to_string();
            if token.is_empty() {
                return Err(Error::Usage(format!(
                    "--token-file: {} is empty",
                    path.display()
                )));
            }
            (Credentials::Token(Secret::new(token)), "--token-file")
        }
        other => (other.clone(), "SERVICESTAGE_TOKEN"),
    };
    let mut sent: Vec<(&str, &str)> = match &credentials {
        Credentials::Token(token) => vec![(token_origin, token.expose())],
        Credentials::AccessKey {
            ak, security_token, ..
        } => [("HUAWEICLOUD_SDK_AK", Some(ak.as_str()))]
            .into_iter()
            .chain([(
                "HUAWEICLOUD_SDK_SECURITY_TOKEN",
                security_token.as_ref().map(Secret::expose),
            )])
            .filter_map(|(origin, value)| Some((origin, value?)))
            .collect(),
        Credentials::Oidc {
            idp_id, id_token, ..
        } => {
            let mut sent = vec![("HUAWEICLOUD_SDK_IDP_ID", idp_id.as_str())];
            if let IdTokenSource::Github { request_token, .. } = id_token {
                sent.push(("ACTIONS_ID_TOKEN_REQUEST_TOKEN", request_token.expose()));
            }
            sent
        }
        Credentials::TokenFile(_) | Credentials::Password { .. } => Vec::new(),
    };
    if let Some(project) = &api.project_id {
        sent.push((
            "the project id (--project-id or HUAWEICLOUD_SDK_PROJECT_ID)",
            project,
        ));
    }
    match sent
        .iter()
        .find(|(_, value)| !value.bytes().all(|b| (b' '..=b'~').contains(&b)))
    {
        Some((origin, _)) => Err(Error::Usage(format!(
            "{origin}: holds a character an HTTP header cannot carry (a control character, \
             a line break inside the value or a non-ASCII character)"
        ))),
        None => Ok(credentials),
    }
}

/// Every credential value: what server text must never echo.
fn secret_values(credentials: &Credentials) -> Vec<&str> {
    match credentials {
        Credentials::Token(token) => vec![token.expose()],
        Credentials::AccessKey {
            ak,
            sk,
            security_token,
        } => [Some(ak.as_str()), Some(sk.expose())]
            .into_iter()
            .chain([security_token.as_ref().map(Secret::expose)])
            .flatten()
            .collect(),
        Credentials::Oidc {
            id_token: IdTokenSource::Github { request_token, .. },
            ..
        } => vec![request_token.expose()],
        Credentials::Password { password, .. } => vec![password.expose()],
        Credentials::TokenFile(_) | Credentials::Oidc { .. } => Vec::new(),
    }
}

/// The `Signature=` of a signed request's `Authorization` header.
fn signature_of(headers: &[(String, String)]) -> Option<&str> {
    let (_, authorization) = headers.iter().find(|(name, _)| name == "Authorization")?;
    authorization.split("Signature=").nth(1)
}

/// The built-in roots plus every certificate of the `--ca-cert` and `SSL_CERT_FILE` files.
/// ureq turns each certificate into a trust anchor on every run, so the built-in ones are
/// borrowed, not copied, and a file's copy of one of them (a system bundle holds most of
/// them) is not added twice.
fn root_certs(api: &Api) -> Result<RootCerts, Error> {
    let built_in = webpki_root_certs::TLS_SERVER_ROOT_CERTS;
    let mut certs: Vec<Certificate<'static>> = built_in
        .iter()
        .map(|der| Certificate::from_der(der.as_ref()))
        .collect();
    // Each built-in root by its last bytes (its signature), to find copies without
    // comparing every pair.
    let by_tail: HashMap<&[u8], &[u8]> = built_in
        .iter()
        .map(|der| (signature_tail(der), der.as_ref()))
        .collect();
    for path in &api.ca_certs {
        // The config does not say which of the two named this file.
        let name = "--ca-cert or SSL_CERT_FILE";
        let usage = |why: String| Error::Usage(format!("{name}: {}: {why}", path.display()));
        let pem = files::read_capped(path, files::MAX_CA_FILE, name)?;
        let found = pem::certificates(&pem)
            .map_err(|why| usage(format!("not a PEM certificate bundle ({why})")))?;
        if found.is_empty() {
            return Err(usage("holds no PEM certificate".to_string()));
        }
        for der in found {
            if by_tail.get(signature_tail(&der)) != Some(&der.as_slice()) {
                certs.push(Certificate::from_der(&der).to_owned());
            }
        }
    }
    Ok(RootCerts::from(certs))
}

/// The last 32 bytes of a certificate (all of it if shorter): part of its signature.
fn signature_tail(der: &[u8]) -> &[u8] {
    &der[der.len().saturating_sub(32)..]
}

/// Exponential backoff from at least `floor`, with up to 25% jitter, so that many gates do
/// not retry in step.
fn backoff(attempt: u32, floor: Duration) -> Duration {
    let base = BACKOFF_BASE
        .saturating_mul(1 << attempt.min(16))
        .max(floor)
        .min(BACKOFF_MAX);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    base + base.mul_f64(f64::from(nanos % 1000) / 4000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Endpoint;
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;

    /// Answers `replies` in turn on one kept-alive connection; returns the URL and the
    /// request heads and bodies it saw.
    fn serve(replies: Vec<&'static str>) -> (String, std::thread::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut writer = stream;
            let mut seen = Vec::new();
            for reply in replies {
                let mut head = String::new();
                while !head.ends_with("\r\n\r\n") {
                    reader.read_line(&mut head).unwrap();
                }
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length: ")
                            .map(str::to_string)
                    })
                    .map_or(0, |n| n.trim().parse().unwrap());
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                seen.push(format!("{head}{}", String::from_utf8(body).unwrap()));
                writer.write_all(reply.as_bytes()).unwrap();
            }
            seen
        });
        (url, seen)
    }

    fn api(url: &str, retries: u32) -> Api {
        Api {
            endpoint: Endpoint::parse(url).unwrap(),
            job_id: Some("j".into()),
            job_name: "n".into(),
            project_id: None,
            credentials: Credentials::Token(Secret::new("tok-SECRET-4f1d9a7c".into())),
            timeout: Duration::from_secs(5),
            retries,
            ca_certs: Vec::new(),
        }
    }

    #[test]
    fn send_posts_and_counts_every_request_retries_included() {
        let (url, seen) = serve(vec![
            "HTTP/1.1 503 Unavailable\r\nRetry-After: 0\r\nContent-Length: 2\r\n\r\n{}",
            "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n{\"a\":1}",
        ]);
        let api = api(&url, 1);
        let session = Session::new(&api.credentials, &|_| {});
        let deadline = Deadline::for_run(Duration::ZERO, &api);
        let client = Client::new(&api, false, deadline, &session).unwrap();
        let request = Request {
            method: Method::POST,
            path: "/v3/auth/tokens",
            query: &[("nocatalog", "true")],
            body: b"{\"auth\":{}}",
        };
        let body = client.send(&request, &mut |_| {}).unwrap();
        assert_eq!((body.as_slice(), client.requests()), (&b"{\"a\":1}"[..], 2));
        let seen = seen.join().unwrap();
        assert!(
            seen[1].starts_with("POST /v3/auth/tokens?nocatalog=true HTTP/1.1"),
            "{}",
            seen[1]
        );
        assert!(seen[1].ends_with("{\"auth\":{}}"), "{}", seen[1]);
    }

    fn password_api(url: &str, iam: &str) -> Api {
        let login = crate::iam::IamLogin {
            endpoint: Endpoint::parse(iam).unwrap(),
            scope: crate::iam::ProjectScope::Name("cn-north-4".into()),
        };
        Api {
            credentials: Credentials::Password {
                user: "u".into(),
                domain: "d".into(),
                password: Secret::new("PASSWORD-1f2e3d".into()),
                login,
            },
            ..api(url, 0)
        }
    }

    const PAGE: &str = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"list\":[]}";
    const ISSUED: &str =
        "HTTP/1.1 201 Created\r\nX-Subject-Token: IAM-T1\r\nContent-Length: 2\r\n\r\n{}";

    #[test]
    fn a_login_is_counted_masked_and_its_token_sent() {
        let (url, seen) = serve(vec![ISSUED, PAGE, PAGE]);
        let api = password_api(&url, &url);
        let masked = std::sync::Mutex::new(Vec::new());
        let mask = |s: &Secret| masked.lock().unwrap().push(s.expose().to_string());
        let session = Session::new(&api.credentials, &mask);
        let deadline = Deadline::for_run(Duration::ZERO, &api);
        let client = Client::new(&api, false, deadline, &session).unwrap();
        let job = Job {
            id: "j".into(),
            name: "n".into(),
        };
        client.page(&job, 1, 100, &mut |_| {}).unwrap();
        client.page(&job, 2, 100, &mut |_| {}).unwrap();
        assert_eq!((client.requests(), session.requests()), (3, 1));
        assert_eq!(*masked.lock().unwrap(), ["IAM-T1"]);
        let seen = seen.join().unwrap();
        assert!(seen[0].starts_with("POST /v3/auth/tokens?nocatalog=true "));
        let sent_token = |s: &String| s.to_ascii_lowercase().contains("x-auth-token: iam-t1\r\n");
        assert!(seen[1..].iter().all(sent_token), "{seen:?}");
    }

    #[test]
    fn clients_on_several_threads_share_one_login() {
        let (iam, logins) = serve(vec![ISSUED]);
        let servers = [serve(vec![PAGE]), serve(vec![PAGE])];
        let apis = servers.each_ref().map(|(url, _)| password_api(url, &iam));
        let session = Session::new(&apis[0].credentials, &|_| {});
        std::thread::scope(|scope| {
            for api in &apis {
                let session = &session;
                scope.spawn(move || {
                    let deadline = Deadline::for_run(Duration::ZERO, api);
                    let client = Client::new(api, false, deadline, session).unwrap();
                    let job = Job {
                        id: "j".into(),
                        name: "n".into(),
                    };
                    client.page(&job, 1, 100, &mut |_| {}).unwrap();
                });
            }
        });
        assert_eq!(session.requests(), 1);
        assert_eq!(logins.join().unwrap().len(), 1);
        for (_, seen) in servers {
            let head = seen.join().unwrap()[0].to_ascii_lowercase();
            assert!(head.contains("x-auth-token: iam-t1\r\n"), "{head}");
        }
    }

    #[test]
    fn nothing_is_sent_once_the_deadline_has_passed() {
        let api = api("http://127.0.0.1:9", 3);
        let mut deadline = Deadline::for_run(Duration::from_millis(1), &api);
        deadline.at = Instant::now();
        let session = Session::new(&api.credentials, &|_| {});
        let client = Client::new(&api, false, deadline, &session).unwrap();
        let job = Job {
            id: "j".into(),
            name: "n".into(),
        };
        let err = client.page(&job, 1, 100, &mut |_| {}).unwrap_err();
        assert_eq!((err.kind(), client.requests()), ("timeout", 0));
        assert!(
            err.message().contains("the --wait deadline of 1ms passed"),
            "{err}"
        );
    }

    #[test]
    fn backoff_doubles_with_bounded_jitter() {
        for (attempt, base_ms) in [(0, 500), (1, 1000), (2, 2000), (10, 30_000)] {
            let d = backoff(attempt, Duration::ZERO).as_millis() as u64;
            assert!(
                d >= base_ms && d <= base_ms * 5 / 4,
                "attempt {attempt}: {d} ms"
            );
        }
    }

    #[test]
    fn throttled_backoff_waits_at_least_two_seconds_with_jitter() {
        for (attempt, base_ms) in [(0, 2000), (1, 2000), (2, 2000), (3, 4000)] {
            let d = backoff(attempt, THROTTLED_BACKOFF_MIN).as_millis() as u64;
            assert!(
                d >= base_ms && d <= base_ms * 5 / 4,
                "attempt {attempt}: {d} ms"
            );
        }
    }

    #[test]
    fn the_run_budget_grows_with_timeout_and_retries_only() {
        let s = Duration::from_secs;
        assert_eq!(run_budget(s(2), 0), s(4));
        assert_eq!(run_budget(s(30), 3), s(5 * 30 + 3 * 60));
        assert_eq!(run_budget(Duration::MAX, 10), Duration::MAX);
    }

    #[test]
    fn the_signature_is_found_in_the_authorization_header() {
        let headers = [(
            "Authorization".to_string(),
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=ab12".to_string(),
        )];
        assert_eq!(signature_of(&headers), Some("ab12"));
        assert_eq!(signature_of(&[]), None);
    }

    /// PEM for one certificate, the way a system bundle spells it.
    fn pem(der: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut text = String::new();
        for chunk in der.chunks(3) {
            let bytes = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let word = u32::from_be_bytes([0, bytes[0], bytes[1], bytes[2]]);
            for i in 0..4 {
                let shown = i <= chunk.len();
                let six = (word >> (18 - 6 * i)) & 63;
                text.push(if shown {
                    ALPHABET[six as usize] as char
                } else {
                    '='
                });
            }
        }
        let lines: Vec<&str> = text
            .as_bytes()
            .chunks(64)
            .map(|l| std::str::from_utf8(l).unwrap())
            .collect();
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        )
    }

    #[test]
    fn a_bundle_adds_its_own_roots_and_not_the_built_in_ones_again() {
        let built_in = webpki_root_certs::TLS_SERVER_ROOT_CERTS;
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ca.pem");
        let bundle = format!(
            "{}{}{}",
            pem(&built_in[0]),
            std::fs::read_to_string(fixture).unwrap(),
            pem(&built_in[1])
        );
        let path = std::env::temp_dir().join(format!("gate-bundle-{}.pem", std::process::id()));
        std::fs::write(&path, bundle).unwrap();
        let mut api = api("https://localhost:1", 0);
        api.ca_certs = vec![path.clone()];
        let roots = root_certs(&api);
        let _ = std::fs::remove_file(&path);
        let RootCerts::Specific(certs) = roots.unwrap() else {
            panic!("expected specific roots");
        };
        assert_eq!(certs.len(), built_in.len() + 1);
    }

    #[test]
    fn the_pem_reader_reads_what_ureqs_reads() {
        let built_in = webpki_root_certs::TLS_SERVER_ROOT_CERTS;
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ca.pem");
        let mut bundle: String = built_in.iter().map(|der| pem(der)).collect();
        bundle.push_str(&std::fs::read_to_string(fixture).unwrap());
        let ours = super::pem::certificates(bundle.as_bytes()).unwrap();
        let ureqs: Vec<Vec<u8>> = ureq::tls::parse_pem(bundle.as_bytes())
            .map(|item| match item.unwrap() {
                ureq::tls::PemItem::Certificate(cert) => cert.der().to_vec(),
                _ => panic!("only certificates in this bundle"),
            })
            .collect();
        assert_eq!(ours.len(), built_in.len() + 1);
        assert!(ours == ureqs, "the two readers differ");
    }
}
