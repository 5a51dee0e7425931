//! Transport faults as errors of the right kind, and whether retrying may help.

use super::MAX_BODY;
use crate::error::Error;

/// The error for a transport fault, and whether a retry may help. `detail` shows text
/// that may come from the server; `region_hint` is repeated when a host does not resolve.
pub(super) fn transport_error(
    e: ureq::Error,
    origin: &str,
    timed_out: impl Fn() -> String,
    detail: impl Fn(String) -> String,
    region_hint: Option<&str>,
) -> (Error, bool) {
    match e {
        ureq::Error::Timeout(_) => (Error::Timeout(timed_out()), true),
        ureq::Error::Io(io) => io_error(io, origin, timed_out, detail),
        ureq::Error::HostNotFound => (Error::Network(unresolved(origin, region_hint)), true),
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

/// A host that does not resolve: check the endpoint or the region, and a region the SDKs
/// do not list is the likely cause.
fn unresolved(origin: &str, region_hint: Option<&str>) -> String {
    let message = format!("could not resolve the host of {origin}: check --endpoint or --region");
    match region_hint {
        Some(hint) => format!("{message} ({hint})"),
        None => message,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unresolved_host_names_the_origin_and_repeats_the_region_hint() {
        let origin = "https://servicestage.xx-nowhere-1.myhuaweicloud.com";
        let hint = "--region: xx-nowhere-1 is not a ServiceStage region the official SDKs \
                    list; did you mean cn-north-1?";
        let unresolved = |region_hint| {
            transport_error(
                ureq::Error::HostNotFound,
                origin,
                String::new,
                |text| text,
                region_hint,
            )
        };
        let plain = format!("could not resolve the host of {origin}: check --endpoint or --region");
        assert_eq!(unresolved(None), (Error::Network(plain.clone()), true));
        assert_eq!(
            unresolved(Some(hint)),
            (Error::Network(format!("{plain} ({hint})")), true)
        );
    }
}
