//! The one error type of the gate. Each variant is one failure kind of the contract;
//! `kind()` is its JSON `error.kind`. The exit code is chosen in `main`.

use std::fmt;

/// Why the gate could not reach a verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Bad or missing flags, environment values or files: nothing was fetched (exit 2).
    Usage(String),
    /// DNS, connect, TLS, connection reset or a body cut short (exit 3).
    Network(String),
    /// A request did not finish within `--timeout` (exit 3).
    Timeout(String),
    /// The API answered 401 or 403: the credentials were refused (exit 3).
    Auth(HttpFailure),
    /// The API answered another non-2xx status, redirects included (exit 3).
    Http(HttpFailure),
    /// The body was not a build list the gate understands, or was over the size cap (exit 3).
    Response(String),
    /// The job or build the user named does not exist, or the name fits several (exit 3).
    NotFound(String),
}

/// What an error response said: its status, the API's error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpFailure {
    pub status: u16,
    /// The API's own error code (`APIGW.0301`, `SVCSTG.00100403`, ...), when the body had one.
    pub code: Option<String>,
    /// One line for the user: what happened and what to do about it.
    pub message: String,
    /// The `X-Request-Id` the API answered with, for a support ticket.
    pub request_id: Option<String>,
}

impl Error {
    /// The contract's `error.kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Usage(_) => "usage",
            Error::Network(_) => "network",
            Error::Timeout(_) => "timeout",
            Error::Auth(_) => "auth",
            Error::Http(_) => "http",
            Error::Response(_) => "response",
            Error::NotFound(_) => "not-found",
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Error::Usage(m)
            | Error::Network(m)
            | Error::Timeout(m)
            | Error::Response(m)
            | Error::NotFound(m) => m,
            Error::Auth(f) | Error::Http(f) => &f.message,
        }
    }

    /// The HTTP failure behind an `auth` or `http` error.
    pub fn http_failure(&self) -> Option<&HttpFailure> {
        match self {
            Error::Auth(f) | Error::Http(f) => Some(f),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(failure) = self.http_failure() else {
            return write!(f, "{}: {}", self.kind(), self.message());
        };
        write!(f, "{}: HTTP {}", self.kind(), failure.status)?;
        if let Some(code) = &failure.code {
            write!(f, " {code}")?;
        }
        write!(f, ": {}", failure.message)?;
        match &failure.request_id {
            Some(id) => write!(f, " [X-Request-Id {id}]"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for Error {}
