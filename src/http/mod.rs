//! The transport: the only module that talks to the network (and, with the shell, the only
//! one that reads files or sleeps). It sends one request at a time over a kept-alive
//! connection, within the run's deadline and body budget, with the credentials on the
//! wire (token header, signature, the run's one IAM login), retries what is worth
//! retrying, refuses answers that echo a credential, counts every request, and turns every
//! fault into an `Error` of the right kind. It knows no API path and no JSON shape: the
//! backends build requests and parse the bodies it returns.

mod classify;
mod clock;
mod faults;
mod files;
mod login;
mod pem;
mod secrets;
mod tls;
mod wire;

use std::cell::Cell;
use std::path::PathBuf;
use std::time::Duration;

use ureq::http::Method;
use ureq::tls::TlsConfig;

use crate::encoding::canonical_query;
use crate::error::Error;
use crate::secret::{Credentials, Endpoint, HeaderValue, Scheme, Secret, Token};
use classify::{Context, Failure, Retry, classify};
#[cfg(test)]
pub use clock::FakeClock;
pub use clock::{Clock, Deadline, SystemClock};
pub use files::read_saved;
pub use login::Session;
use wire::Outgoing;

/// All response bodies of one run together may not be larger than this.
pub const MAX_BODY: u64 = 16 * 1024 * 1024;
/// How much of an error body is read for its code and message.
const MAX_ERROR_BODY: u64 = 64 * 1024;
/// The first retry waits about this long; each later one twice as long.
const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// The gateway's throttling (`APIG.0308`) sends no `Retry-After`: back off at least this.
const THROTTLED_BACKOFF_MIN: Duration = Duration::from_secs(2);

/// Everything the HTTP client needs: where the API is, the credentials, and the limits.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub endpoint: Endpoint,
    /// Sent as `X-Project-Id`.
    pub project_id: Option<HeaderValue>,
    pub credentials: Credentials,
    pub timeout: Duration,
    pub retries: u32,
    /// PEM bundles trusted besides the built-in roots.
    pub ca_certs: Vec<PathBuf>,
    /// A `--region` the official SDKs do not list: the line naming the closest listed one,
    /// repeated when a host does not resolve.
    pub region_hint: Option<String>,
}

/// One request below the endpoint: the client adds the origin, base path, headers and
/// credentials.
pub struct Request<'r> {
    pub method: Method,
    /// Below the endpoint's base path, percent-encoded: `/v1/jobs/j%2Fk/builds`.
    pub path: &'r str,
    /// Unencoded pairs; sent encoded and in canonical order, as they are signed.
    pub query: &'r [(&'r str, &'r str)],
    pub body: &'r [u8],
}

pub struct Client<'a> {
    agent: ureq::Agent,
    settings: &'a Settings,
    /// As configured, except that a token file has been read into its token.
    credentials: Credentials,
    /// The run's IAM login and what no response may echo, shared by every client of the
    /// run.
    session: &'a Session<'a>,
    verbose: bool,
    deadline: Deadline<'a>,
    requests: Cell<u32>,
    received: Cell<u64>,
}

impl<'a> Client<'a> {
    /// Reads through `session` (once per run) the token file and the CA certificates; any
    /// problem there is a usage error. An IAM login goes through `session`, once for all
    /// the clients that share it.
    pub fn new(
        settings: &'a Settings,
        verbose: bool,
        deadline: Deadline<'a>,
        session: &'a Session<'a>,
    ) -> Result<Client<'a>, Error> {
        let credentials = session.credentials()?;
        let mut tls = TlsConfig::builder();
        let https = std::iter::once(&settings.endpoint)
            .chain(credentials.login_endpoints())
            .any(|endpoint| endpoint.scheme == Scheme::Https);
        // Plain http (loopback only) never does TLS: skip loading certificates for it.
        if !settings.ca_certs.is_empty() && https {
            tls = tls.root_certs(session.root_certs(&settings.ca_certs)?);
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // A redirect is an error: credentials never follow it to another origin.
            .max_redirects(0)
            .timeout_global(Some(settings.timeout))
            .tls_config(tls.build())
            .build()
            .new_agent();
        Ok(Client {
            agent,
            settings,
            credentials,
            session,
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

    pub fn deadline(&self) -> &Deadline<'a> {
        &self.deadline
    }

    /// `GET path?query`: the body of its 200 answer.
    pub fn get(
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
        let clock = self.deadline.clock();
        let mut attempt = 0;
        loop {
            let mut failure = match once(attempt, log) {
                Ok(done) => return Ok(done),
                Err(failure) => failure,
            };
            let jitter = clock.wall();
            let delay = match failure.retry {
                Retry::After(after) => {
                    after.unwrap_or_else(|| backoff(attempt, Duration::ZERO, jitter))
                }
                Retry::Throttled(after) => {
                    after.unwrap_or_else(|| backoff(attempt, THROTTLED_BACKOFF_MIN, jitter))
                }
                Retry::Never | Retry::Renew => return Err(failure),
            };
            if attempt >= self.settings.retries {
                return Err(failure);
            }
            if delay >= self.deadline.left() {
                if let Error::Http(http) = &mut failure.error {
                    http.message.push_str(&format!(
                        "; not retried again: waiting {} would pass {}",
                        humantime::format_duration(Duration::from_secs(delay.as_secs())),
                        self.deadline.what()
                    ));
                }
                return Err(failure);
            }
            attempt += 1;
            if self.verbose {
                log(&format!(
                    "retry {attempt}/{} in {} after {}",
                    self.settings.retries,
                    humantime::format_duration(Duration::from_millis(delay.as_millis() as u64)),
                    failure.error
                ));
            }
            clock.sleep(delay);
        }
    }

    /// One try of `request`; `retried` is how many tries came before it.
    fn attempt(
        &self,
        request: &Request,
        token: Option<&Token>,
        retried: u32,
        log: &mut dyn FnMut(&str),
    ) -> Result<Vec<u8>, Failure> {
        let endpoint = &self.settings.endpoint;
        let path = format!("{}{}", endpoint.base_path, request.path);
        let query = canonical_query(request.query);
        let url = match query.as_str() {
            "" => format!("{}{path}", endpoint.origin()),
            query => format!("{}{path}?{query}", endpoint.origin()),
        };
        let headers = self.headers(request, &path, &query, token);
        // A signed request's signature is a secret of this request only.
        let signature = signature_of(&headers).map(str::to_string);
        let known = self.session.known(signature.as_deref());
        let outgoing = Outgoing {
            method: request.method.clone(),
            shown_url: url.clone(),
            url,
            origin: endpoint.origin(),
            headers,
            body: request.body,
            login: false,
        };
        let received = self.exchange(&outgoing, &known, log)?;
        let now = self.deadline.clock().wall();
        // The run's secrets as they are now, not when the request was sent.
        let classified = known.examine(|secrets| {
            let context = Context {
                signed: matches!(self.credentials, Credentials::AccessKey { .. }),
                retries: retried,
                secrets,
                now,
            };
            classify(&received.view(), &context)
        });
        classified.map_err(|mut failure| {
            let (_, message) = classify::error_body(&received.body);
            if token.is_some() && crate::iam::is_expired_token(received.status, message.as_deref())
            {
                failure.retry = Retry::Renew;
            }
            failure
        })?;
        Ok(received.body)
    }
}

/// The credentials with a token file read into its token: the one check of its text
/// against the header policy.
fn read_token_file(credentials: &Credentials) -> Result<Credentials, Error> {
    let Credentials::TokenFile(path) = credentials else {
        return Ok(credentials.clone());
    };
    let bytes = files::read_capped(path, files::MAX_TOKEN_FILE, "--token-file")?;
    let token = String::from_utf8_lossy(&bytes).trim().to_string();
    if token.is_empty() {
        return Err(Error::Usage(format!(
            "--token-file: {} is empty",
            path.display()
        )));
    }
    let token =
        Secret::header(&token).map_err(|why| Error::Usage(format!("--token-file: {why}")))?;
    Ok(Credentials::Token(token))
}

/// The `Signature=` of a signed request's `Authorization` header.
fn signature_of(headers: &[(String, String)]) -> Option<&str> {
    let (_, authorization) = headers.iter().find(|(name, _)| name == "Authorization")?;
    authorization.split("Signature=").nth(1)
}

/// Exponential backoff from at least `floor`, with up to 25% jitter taken from the
/// nanoseconds of `now`, so that many gates do not retry in step.
fn backoff(attempt: u32, floor: Duration, now: std::time::SystemTime) -> Duration {
    let base = BACKOFF_BASE
        .saturating_mul(1 << attempt.min(16))
        .max(floor)
        .min(BACKOFF_MAX);
    let nanos = now
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    base + base.mul_f64(f64::from(nanos % 1000) / 4000.0)
}

#[cfg(test)]
mod tests;
