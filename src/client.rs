//! The HTTP client: the only module that talks to the network. It sends one page request
//! at a time over a kept-alive connection, retries what is worth retrying, and turns
//! every fault into an `Error` of the right kind.

use std::io::Read;
use std::time::{Duration, Instant, SystemTime};

use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

use crate::config::{Api, Credentials, Scheme, Secret};
use crate::encoding::{canonical_query, percent_encode};
use crate::error::{Error, HttpFailure};
use crate::model::{self, Page};
use crate::signing;

/// A body larger than this is refused, not buffered.
pub const MAX_BODY: u64 = 16 * 1024 * 1024;
/// How much of an error body is read for its code and message.
const MAX_ERROR_BODY: u64 = 64 * 1024;
/// The first retry waits about this long; each later one twice as long.
const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// A server's `Retry-After` is honoured up to this.
const RETRY_AFTER_MAX: Duration = Duration::from_secs(60);

enum Auth {
    Token(Secret),
    AccessKey {
        ak: String,
        sk: Secret,
        security_token: Option<Secret>,
    },
}

/// One request's failure, and whether trying again may help.
struct Failure {
    error: Error,
    retryable: bool,
    retry_after: Option<Duration>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure {
            error,
            retryable: false,
            retry_after: None,
        }
    }
}

pub struct Client<'a> {
    agent: ureq::Agent,
    api: &'a Api,
    auth: Auth,
    verbose: bool,
}

impl<'a> Client<'a> {
    /// Reads the token file and CA certificates; any problem there is a usage error.
    pub fn new(api: &'a Api, verbose: bool) -> Result<Client<'a>, Error> {
        let auth = match &api.credentials {
            Credentials::Token(token) => Auth::Token(token.clone()),
            Credentials::TokenFile(path) => {
                let token = std::fs::read_to_string(path).map_err(|e| {
                    Error::Usage(format!("--token-file: cannot read {}: {e}", path.display()))
                })?;
                let token = token.trim();
                if token.is_empty() {
                    return Err(Error::Usage(format!(
                        "--token-file: {} is empty",
                        path.display()
                    )));
                }
                Auth::Token(Secret::new(token.to_string()))
            }
            Credentials::AccessKey {
                ak,
                sk,
                security_token,
            } => Auth::AccessKey {
                ak: ak.clone(),
                sk: sk.clone(),
                security_token: security_token.clone(),
            },
        };
        let mut tls = TlsConfig::builder();
        // Plain http (loopback only) never does TLS: skip loading certificates for it.
        if !api.ca_certs.is_empty() && api.endpoint.scheme == Scheme::Https {
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
            auth,
            verbose,
        })
    }

    /// `{base}/assembling/v1/jobs/{job_id}/builds` as sent, percent-encoded.
    fn path(&self) -> String {
        format!(
            "{}/assembling/v1/jobs/{}/builds",
            self.api.endpoint.base_path,
            percent_encode(self.api.job_id.as_bytes())
        )
    }

    /// Fetches one page, retrying after connection errors, timeouts, 429 and 5xx. No sleep
    /// runs past `deadline`.
    pub fn page(
        &self,
        page: u32,
        per_page: u32,
        deadline: Option<Instant>,
        log: &mut dyn FnMut(&str),
    ) -> Result<Page, Error> {
        let mut attempt = 0;
        loop {
            let failure = match self.attempt(page, per_page, log) {
                Ok(page) => return Ok(page),
                Err(failure) => failure,
            };
            if !failure.retryable || attempt >= self.api.retries {
                return Err(failure.error);
            }
            let delay = failure
                .retry_after
                .map(|d| d.min(RETRY_AFTER_MAX))
                .unwrap_or_else(|| backoff(attempt));
            if deadline.is_some_and(|d| Instant::now() + delay > d) {
                return Err(failure.error);
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

    fn attempt(
        &self,
        page: u32,
        per_page: u32,
        log: &mut dyn FnMut(&str),
    ) -> Result<Page, Failure> {
        let path = self.path();
        let (page_text, per_page_text) = (page.to_string(), per_page.to_string());
        let query = canonical_query(&[
            ("name", &self.api.job_name),
            ("page", &page_text),
            ("per_page", &per_page_text),
        ]);
        let url = format!("{}{path}?{query}", self.api.endpoint.origin());
        let headers = self.headers(&path, &query);
        let mut request = self.agent.get(&url);
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        let started = Instant::now();
        let mut log_request = |status: &str, bytes: u64| {
            if self.verbose {
                let elapsed = started.elapsed().as_millis();
                log(&format!(
                    "GET {url} -> {status} ({bytes} bytes, {elapsed} ms)"
                ));
            }
        };
        let mut response = match request.call() {
            Ok(response) => response,
            Err(e) => {
                let failure = transport_failure(e, self.api);
                log_request(failure.error.kind(), 0);
                return Err(failure);
            }
        };
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let request_id = header("x-request-id");
        let retry_after =
            header("retry-after").and_then(|v| parse_retry_after(&v, SystemTime::now()));
        let location = header("location");

        let mut body_reader = Tracked {
            inner: response.body_mut().with_config().limit(MAX_BODY).reader(),
            bytes: 0,
            failure: None,
        };
        if (200..300).contains(&status) {
            let parsed = model::parse_page(&mut body_reader);
            log_request(&status.to_string(), body_reader.bytes);
            // A transport fault mid-body is the connection's, whatever the parser made of it.
            return parsed.map_err(|e| match body_reader.failure.take() {
                Some(io) => transport_failure(ureq::Error::from(io), self.api),
                None => model::response_error(&e).into(),
            });
        }
        let mut body = Vec::new();
        let _ = (&mut body_reader)
            .take(MAX_ERROR_BODY)
            .read_to_end(&mut body);
        log_request(&status.to_string(), body_reader.bytes);
        let (code, api_message) = error_body(&body);
        let advice = self.advice(status, location.as_deref());
        let mut message = match api_message {
            Some(api_message) => format!("{} ({advice})", one_line(&api_message)),
            None => advice,
        };
        if let Some(id) = request_id {
            message.push_str(&format!(" [X-Request-Id {}]", one_line(&id)));
        }
        let failure = HttpFailure {
            status,
            code: code.map(|c| self.redact(&one_line(&c))),
            message: self.redact(&message),
        };
        Err(Failure {
            retryable: status == 429 || status >= 500,
            retry_after,
            error: match status {
                401 | 403 => Error::Auth(failure),
                _ => Error::Http(failure),
            },
        })
    }

    /// Every header sent, in the order sent; with AK/SK, signed last.
    fn headers(&self, path: &str, query: &str) -> Vec<(String, String)> {
        let mut headers = vec![
            ("Host".to_string(), self.api.endpoint.host_header()),
            (
                "Content-Type".to_string(),
                "application/json;charset=utf8".to_string(),
            ),
            (
                "User-Agent".to_string(),
                format!("servicestage-gate/{}", env!("CARGO_PKG_VERSION")),
            ),
        ];
        if let Some(project) = &self.api.project_id {
            headers.push(("X-Project-Id".to_string(), project.clone()));
        }
        match &self.auth {
            Auth::Token(token) => {
                headers.push(("X-Auth-Token".to_string(), token.expose().to_string()));
            }
            Auth::AccessKey {
                ak,
                sk,
                security_token,
            } => {
                if let Some(token) = security_token {
                    headers.push(("X-Security-Token".to_string(), token.expose().to_string()));
                }
                let request = signing::Request {
                    method: "GET",
                    path,
                    query,
                    headers: &headers,
                    body: b"",
                };
                let signed = signing::sign(&request, ak, sk.expose(), SystemTime::now());
                headers.extend(signed);
            }
        }
        headers
    }

    /// Hides every credential in text that came from the server, which may echo them.
    fn redact(&self, text: &str) -> String {
        let secrets: Vec<&str> = match &self.auth {
            Auth::Token(token) => vec![token.expose()],
            Auth::AccessKey {
                sk, security_token, ..
            } => [Some(sk), security_token.as_ref()]
                .into_iter()
                .flatten()
                .map(Secret::expose)
                .collect(),
        };
        secrets
            .into_iter()
            .filter(|s| !s.is_empty())
            .fold(text.to_string(), |text, secret| {
                text.replace(secret, "<redacted>")
            })
    }

    /// What a user can do about an error status.
    fn advice(&self, status: u16, location: Option<&str>) -> String {
        let signed = matches!(self.auth, Auth::AccessKey { .. });
        match status {
            300..=399 => format!(
                "the API answered with a redirect to {}, which is not followed so that \
                 credentials stay with the endpoint's origin; point --endpoint at the API itself",
                location.map_or("an unnamed location".to_string(), one_line)
            ),
            401 if signed => "the signature was refused: check that HUAWEICLOUD_SDK_AK and \
                HUAWEICLOUD_SDK_SK are one pair, that this machine's clock is within 15 minutes \
                of real time, and the project id"
                .to_string(),
            401 => "the token was refused: it has expired (IAM tokens last 24 hours) or is wrong; \
                get a new one"
                .to_string(),
            403 => "the credentials may not read this job: check the project id and the IAM \
                permissions for ServiceStage"
                .to_string(),
            404 => "not found: check --job-id and --job-name, and that the endpoint is the job's region"
                .to_string(),
            429 => format!("rate limited, still after {} retries", self.api.retries),
            500..=599 => format!("the API failed, still after {} retries", self.api.retries),
            _ => format!("unexpected HTTP status {status}"),
        }
    }
}

/// A body reader that counts bytes for the verbose log and keeps the transport error,
/// which the JSON parser may rewrap beyond recognition.
struct Tracked<R> {
    inner: R,
    bytes: u64,
    failure: Option<std::io::Error>,
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.bytes += n as u64;
                Ok(n)
            }
            Err(e) => {
                let reported = std::io::Error::new(e.kind(), e.to_string());
                self.failure = Some(e);
                Err(reported)
            }
        }
    }
}

fn root_certs(api: &Api) -> Result<RootCerts, Error> {
    let mut certs: Vec<Certificate<'static>> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|der| Certificate::from_der(der.as_ref()).to_owned())
        .collect();
    for path in &api.ca_certs {
        let usage = |why: String| Error::Usage(format!("--ca-cert: {}: {why}", path.display()));
        let pem = std::fs::read(path).map_err(|e| usage(e.to_string()))?;
        let before = certs.len();
        for item in ureq::tls::parse_pem(&pem) {
            match item {
                Ok(PemItem::Certificate(cert)) => certs.push(cert),
                Ok(_) => {}
                Err(e) => return Err(usage(format!("not a PEM certificate bundle ({e})"))),
            }
        }
        if certs.len() == before {
            return Err(usage("holds no PEM certificate".to_string()));
        }
    }
    Ok(RootCerts::new_with_certs(&certs))
}

/// Exponential backoff with up to 25% jitter, so that many gates do not retry in step.
fn backoff(attempt: u32) -> Duration {
    let base = BACKOFF_BASE
        .saturating_mul(1 << attempt.min(16))
        .min(BACKOFF_MAX);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    base + base.mul_f64(f64::from(nanos % 1000) / 4000.0)
}

fn transport_failure(e: ureq::Error, api: &Api) -> Failure {
    let origin = api.endpoint.origin();
    let (error, retryable) = match e {
        ureq::Error::Timeout(_) => (
            Error::Timeout(format!(
                "no complete response from {origin} within {} (--timeout)",
                humantime::format_duration(api.timeout)
            )),
            true,
        ),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
            (Error::Timeout(format!("{origin} timed out: {io}")), true)
        }
        ureq::Error::HostNotFound => (
            Error::Network(format!(
                "could not resolve the host of {origin}: check --endpoint or --region"
            )),
            true,
        ),
        ureq::Error::BodyExceedsLimit(_) => (
            Error::Response(format!(
                "the response body is over the {} MiB limit",
                MAX_BODY >> 20
            )),
            false,
        ),
        e @ (ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_)) => (
            Error::Network(format!(
                "TLS with {origin} failed: {e} (behind a TLS-inspecting proxy, pass its CA with --ca-cert)"
            )),
            false,
        ),
        // ureq hands rustls failures (an untrusted certificate, a bad handshake) over as
        // InvalidData I/O errors: retrying cannot help, a CA bundle may.
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => (
            Error::Network(format!(
                "TLS with {origin} failed: {io} (behind a TLS-inspecting proxy, pass its CA with --ca-cert)"
            )),
            false,
        ),
        ureq::Error::Io(io) => {
            let what = match io.kind() {
                std::io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
                std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::UnexpectedEof => {
                    format!("the connection was closed before the response was complete ({io})")
                }
                _ => io.to_string(),
            };
            (Error::Network(format!("{origin}: {what}")), true)
        }
        ureq::Error::Protocol(e) => (
            Error::Network(format!("{origin} sent a malformed HTTP response: {e}")),
            true,
        ),
        e => (Error::Network(format!("{origin}: {e}")), true),
    };
    Failure {
        error,
        retryable,
        retry_after: None,
    }
}

/// Server text folded onto one line and cut to a readable length.
fn one_line(text: &str) -> String {
    const MAX_CHARS: usize = 500;
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match folded.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}...", &folded[..cut]),
        None => folded,
    }
}

/// Huawei Cloud error bodies spell their fields three ways.
fn error_body(body: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body)
    else {
        return (None, None);
    };
    let field = |names: &[&str]| {
        names.iter().find_map(|name| match map.get(*name) {
            Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
    };
    (
        field(&["error_code", "errorCode", "code"]),
        field(&["error_msg", "errorMsg", "message"]),
    )
}

/// `Retry-After` as seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = parse_http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// An IMF-fixdate such as `Sun, 06 Nov 1994 08:49:37 GMT`.
fn parse_http_date(value: &str) -> Option<SystemTime> {
    let (_, rest) = value.split_once(", ")?;
    let parts: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| m == month)? + 1;
    let rfc3339 = format!("{year}-{month:02}-{day:0>2}T{time}Z");
    humantime::parse_rfc3339(&rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        let now = humantime::parse_rfc3339("2026-11-28T12:00:00Z").unwrap();
        let cases = [
            ("1", Some(1)),
            (" 120 ", Some(120)),
            ("Sat, 28 Nov 2026 12:00:30 GMT", Some(30)),
            ("Sat, 28 Nov 2026 11:00:00 GMT", Some(0)),
            ("soon", None),
            ("-1", None),
        ];
        for (value, seconds) in cases {
            assert_eq!(
                parse_retry_after(value, now),
                seconds.map(Duration::from_secs),
                "{value}"
            );
        }
    }

    #[test]
    fn backoff_doubles_with_bounded_jitter() {
        for (attempt, base_ms) in [(0, 500), (1, 1000), (2, 2000), (10, 30_000)] {
            let d = backoff(attempt).as_millis() as u64;
            assert!(
                d >= base_ms && d <= base_ms * 5 / 4,
                "attempt {attempt}: {d} ms"
            );
        }
    }

    #[test]
    fn error_bodies_in_all_three_spellings() {
        type Case<'a> = (&'a str, (Option<&'a str>, Option<&'a str>));
        let cases: [Case; 5] = [
            (
                r#"{"error_code":"APIGW.0301","error_msg":"bad token"}"#,
                (Some("APIGW.0301"), Some("bad token")),
            ),
            (
                r#"{"errorCode":"SVCSTG.00100404","errorMsg":"no job"}"#,
                (Some("SVCSTG.00100404"), Some("no job")),
            ),
            (
                r#"{"code":429,"message":"slow down"}"#,
                (Some("429"), Some("slow down")),
            ),
            ("<html>oops</html>", (None, None)),
            ("[1]", (None, None)),
        ];
        for (body, (code, message)) in cases {
            let (c, m) = error_body(body.as_bytes());
            assert_eq!((c.as_deref(), m.as_deref()), (code, message), "{body}");
        }
    }
}
