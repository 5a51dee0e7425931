//! Transport faults as errors of the right kind, and whether retrying may help.

use super::MAX_BODY;
use crate::error::Error;

/// The error for a transport fault, and whether a retry may help. `detail` shows text
/// that may come from the server.
pub(super) fn transport_error(
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
