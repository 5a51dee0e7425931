//! One request on the wire: addressed, with every header (signed last with an access
//! key), sent within the deadline, and its answer read within the run's body budget.

use std::io::Read;
use std::time::Duration;

use ureq::http::{self, Method};
use ureq::{AsSendBody, Body};

use super::classify::{self, Context, Failure, Response, Retry, identity_encoding};
use super::secrets::Known;
use super::{Client, MAX_BODY, MAX_ERROR_BODY, Request, faults};
use crate::error::Error;
use crate::secret::{Credentials, Token};
use crate::signing;

impl Client<'_> {
    /// Sends one request, addressed and with all its headers, and reads its answer within
    /// the deadline and the run's body budget; counts it and logs it with `-v`.
    pub(super) fn exchange(
        &self,
        outgoing: &Outgoing,
        known: &Known,
        log: &mut dyn FnMut(&str),
    ) -> Result<Received, Failure> {
        let left = self.deadline.left();
        if left.is_zero() {
            return Err(Error::Timeout(format!("{} passed", self.deadline.what())).into());
        }
        let timeout = self.settings.timeout.min(left);
        let clamped = timeout < self.settings.timeout;
        let clock = self.deadline.clock();
        let started = clock.now();
        self.requests.set(self.requests.get() + 1);
        if outgoing.login {
            self.session.count_request();
        }
        let (result, status) = match self.run(outgoing, timeout) {
            Err(e) => {
                let failure = self.transport_failure(e, clamped, known, &outgoing.origin);
                let kind = failure.error.kind().to_string();
                (Err(failure), kind)
            }
            Ok(response) => {
                let status = response.status().as_u16().to_string();
                let received = self.receive(response, known, clamped, &outgoing.origin);
                (received, status)
            }
        };
        if self.verbose {
            let bytes = result.as_ref().map_or(0, |r| r.body.len());
            let elapsed = clock.now().saturating_duration_since(started).as_millis();
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
    pub(super) fn run(
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
        known: &Known,
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
            true => self.read_body(&mut response, status, known, clamped, origin)?,
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
        known: &Known,
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
                Err(self.transport_failure(ureq::Error::from(io), clamped, known, origin))
            }
            // An error body cut short still says what it could.
            _ => Ok(body),
        }
    }

    /// Every header sent, in the order sent; with AK/SK, signed last. `token` is the
    /// session's, when the credentials log in.
    pub(super) fn headers(
        &self,
        request: &Request,
        path: &str,
        query: &str,
        token: Option<&Token>,
    ) -> Vec<(String, String)> {
        let mut headers = vec![
            ("Host".to_string(), self.settings.endpoint.host_header()),
            (
                "Content-Type".to_string(),
                "application/json;charset=utf8".to_string(),
            ),
            user_agent(),
        ];
        if let Some(project) = &self.settings.project_id {
            headers.push(("X-Project-Id".to_string(), project.as_str().to_string()));
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
                let now = self.deadline.clock().wall();
                let signature = signing::sign(&signed, ak, sk.expose(), now);
                headers.extend(signature);
            }
            // `new` read a token file into its token; a login's token comes as `token`.
            (Credentials::TokenFile(_) | Credentials::Oidc { .. }, None) => {}
            (Credentials::Password { .. }, None) => {}
        }
        headers
    }

    /// The failure for a transport fault; server text in it is checked against the
    /// secrets known now.
    pub(super) fn transport_failure(
        &self,
        e: ureq::Error,
        clamped: bool,
        known: &Known,
        origin: &str,
    ) -> Failure {
        let now = self.deadline.clock().wall();
        let timed_out = || match clamped {
            true => format!(
                "no complete response from {origin} before {} passed",
                self.deadline.what()
            ),
            false => format!(
                "no complete response from {origin} within {} (--timeout)",
                humantime::format_duration(self.settings.timeout)
            ),
        };
        let hint = self.settings.region_hint.as_deref();
        let (error, retryable) = known.examine(|secrets| {
            let context = Context {
                signed: false,
                retries: 0,
                secrets,
                now,
            };
            let detail = |text: String| classify::shown(&text, &context);
            faults::transport_error(e, origin, timed_out, detail, hint)
        });
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
pub(super) struct Outgoing<'o> {
    pub(super) method: Method,
    pub(super) url: String,
    /// What `-v` shows: a login request's URL without its query.
    pub(super) shown_url: String,
    /// `scheme://host[:port]`, for messages.
    pub(super) origin: String,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: &'o [u8],
    /// An IAM or GitHub token request, counted by the session too.
    pub(super) login: bool,
}

/// A response as read: the headers the gate uses and the body within the budget.
pub(super) struct Received {
    pub(super) status: u16,
    pub(super) encoding: Option<String>,
    pub(super) retry_after: Option<String>,
    pub(super) request_id: Option<String>,
    pub(super) location: Option<String>,
    pub(super) subject_token: Option<String>,
    pub(super) body: Vec<u8>,
}

impl Received {
    pub(super) fn view(&self) -> Response<'_> {
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

pub(super) fn user_agent() -> (String, String) {
    (
        "User-Agent".to_string(),
        format!("servicestage-gate/{}", env!("CARGO_PKG_VERSION")),
    )
}
