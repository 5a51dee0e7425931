//! What every CodeArts answer says about itself: `status` and `error` beside its
//! `result` (a failure even on HTTP 200), and the error codes the gate acts on. Error
//! bodies of other statuses are `{"error_code": "CB.xxxxxxxx", "error_msg": "..."}`, which
//! the transport already reads.

use serde::de::MapAccess;

use super::shared::{Error, Fields, HttpFailure, json};

/// "Requests too frequent", on HTTP 400: throttling, retried like the gateway's `APIG.0308`.
pub const THROTTLED: &str = "CB.00060211";
/// `history-details` of a build that never ran, on HTTP 403.
pub const NEVER_RAN: &str = "CB.00031059";

/// Whether an answer with this status and error code is CodeArts throttling: the gate
/// backs off and retries. The documented status is 400; 429 is what throttling means in
/// HTTP, and a 200 carrying the code is a throttled answer, not a list. The gateway's own
/// codes (`APIG.0308`) are the transport's, for every backend.
pub fn is_throttling(status: u16, code: Option<&str>) -> bool {
    matches!(status, 200 | 400 | 429)
        && code.is_some_and(|c| c.trim().eq_ignore_ascii_case(THROTTLED))
}

/// Whether the failed `history-details` request says the build never ran: no step failed
/// it, and the run itself did not fail.
pub fn never_ran(error: &Error) -> bool {
    error.http_failure().is_some_and(|f| {
        f.status == 403 && f.code.as_deref().is_some_and(|c| c.trim() == NEVER_RAN)
    })
}

/// The `error` object of an answer.
#[derive(Debug, Default)]
pub(super) struct RawError {
    error_code: Option<String>,
    error_msg: Option<String>,
}

impl Fields for RawError {
    const WHAT: &'static str = "API error";
    fn read<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        let slot = match key {
            "error_code" => &mut self.error_code,
            "error_msg" => &mut self.error_msg,
            _ => return Ok(false),
        };
        *slot = json::text(map, key)?;
        Ok(true)
    }
}

/// Most characters of the API's own message an error repeats.
const MAX_MESSAGE: usize = 200;

/// `Ok` when the answer says it succeeded: no `error` (or `null`), and `status`, when
/// `status_required` or sent, is `success`. `what` names the answer: "the build list".
pub(super) fn succeeded(
    status: Option<String>,
    error: Option<RawError>,
    status_required: bool,
    what: &str,
) -> Result<(), Error> {
    if let Some(error) = error {
        // Shown quoted and escaped: it is the server's free text.
        let said: String = error
            .error_msg
            .unwrap_or_default()
            .chars()
            .take(MAX_MESSAGE)
            .collect();
        let code = super::checked_text(error.error_code, "error", "error_code")
            .ok()
            .flatten();
        return Err(Error::Http(HttpFailure {
            status: 200,
            code,
            message: format!("{what} came with HTTP 200 but reports an error: {said:?}"),
            request_id: None,
        }));
    }
    match status.as_deref() {
        Some("success") => Ok(()),
        None if !status_required => Ok(()),
        None => Err(Error::Response(format!("{what} has no status"))),
        Some(other) => {
            let shown: String = other.chars().take(40).collect();
            Err(Error::Response(format!(
                "{what} has status {shown:?} and no error object (expected \"success\")"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(status: u16, code: &str) -> Error {
        let failure = HttpFailure {
            status,
            code: Some(code.into()),
            message: "m".into(),
            request_id: None,
        };
        match status {
            401 | 403 => Error::Auth(failure),
            _ => Error::Http(failure),
        }
    }

    #[test]
    fn throttling_is_the_codearts_code_on_400_429_or_200() {
        let cases = [
            (400, Some("CB.00060211"), true),
            (400, Some(" cb.00060211 "), true),
            (429, Some("CB.00060211"), true),
            (200, Some("CB.00060211"), true),
            (403, Some("CB.00060211"), false),
            (500, Some("CB.00060211"), false),
            (400, Some("CB.00060212"), false),
            (400, Some("CB.000602110"), false),
            (400, Some("APIG.0308"), false),
            (400, None, false),
        ];
        for (status, code, expected) in cases {
            assert_eq!(is_throttling(status, code), expected, "{status} {code:?}");
        }
    }

    #[test]
    fn never_ran_is_403_with_its_code_only() {
        assert!(never_ran(&failure(403, "CB.00031059")));
        assert!(!never_ran(&failure(403, "CB.00031058")));
        assert!(!never_ran(&failure(404, "CB.00031059")));
        assert!(!never_ran(&failure(401, "CB.00031059")));
        assert!(!never_ran(&Error::Response("403 CB.00031059".into())));
    }

    fn error(code: Option<&str>, msg: Option<&str>) -> Option<RawError> {
        Some(RawError {
            error_code: code.map(String::from),
            error_msg: msg.map(String::from),
        })
    }

    #[test]
    fn an_answer_fails_on_an_error_object_or_a_status_but_success() {
        let ok = [(Some("success"), None, true), (None, None, false)];
        for (status, raw, required) in ok {
            assert_eq!(
                succeeded(status.map(String::from), raw, required, "the build list"),
                Ok(())
            );
        }
        let cases = [
            (
                Some("success"),
                error(Some("CB.00031105"), Some("time span over 31 days")),
                "http: HTTP 200 CB.00031105: the build list came with HTTP 200 but reports an \
                 error: \"time span over 31 days\"",
            ),
            (
                Some("fail"),
                error(None, Some("boom\n::error::x")),
                "http: HTTP 200: the build list came with HTTP 200 but reports an error: \
                 \"boom\\n::error::x\"",
            ),
            (
                None,
                error(Some("CB.1\u{202e}"), None),
                "http: HTTP 200: the build list came with HTTP 200 but reports an error: \"\"",
            ),
            (
                Some("fail"),
                None,
                "response: the build list has status \"fail\" and no error object (expected \"success\")",
            ),
            (
                Some("SUCCESS"),
                None,
                "response: the build list has status \"SUCCESS\" and no error object (expected \"success\")",
            ),
            (None, None, "response: the build list has no status"),
        ];
        for (status, raw, expected) in cases {
            let err = succeeded(status.map(String::from), raw, true, "the build list").unwrap_err();
            assert_eq!(err.to_string(), expected);
        }
    }
}
