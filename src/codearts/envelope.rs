//! What every CodeArts answer says about itself: `status` and `error` beside its
//! `result`, a failure even on HTTP 200. Error bodies of other statuses are
//! `{"error_code": "CB.xxxxxxxx", "error_msg": "..."}`, which the transport reads (and
//! where `CB.00060211`, "requests too frequent", is throttling).

use std::borrow::Cow;

use serde::de::MapAccess;

use crate::error::{Error, HttpFailure};
use crate::json::{self, Fields, Slot};
use crate::text::one_line;
use crate::text::optional_text;

/// `history-details` of a build that never ran, on HTTP 403.
const NEVER_RAN: &str = "CB.00031059";

/// Whether the failed `history-details` request says the build never ran: no step failed
/// it, and the request itself did not fail.
pub fn never_ran(error: &Error) -> bool {
    error.http_failure().is_some_and(|f| {
        f.status == 403 && f.code.as_deref().is_some_and(|c| c.trim() == NEVER_RAN)
    })
}

/// The `error` object of an answer.
#[derive(Default)]
pub struct RawError<'a> {
    error_code: Slot<Option<Cow<'a, str>>>,
    error_msg: Slot<Option<Cow<'a, str>>>,
}

impl<'de> Fields<'de> for RawError<'de> {
    const WHAT: &'static str = "an API error object";
    fn read<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "error_code" => json::text(&mut self.error_code, map, key)?,
            "error_msg" => json::text(&mut self.error_msg, map, key)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// `status` and `error` as they arrived.
#[derive(Default)]
pub struct Envelope<'a> {
    pub status: Slot<Option<Cow<'a, str>>>,
    pub error: Slot<Option<RawError<'a>>>,
}

impl<'de> Envelope<'de> {
    /// Reads `status` or `error` when `key` is one of them.
    pub fn read<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "status" => json::text(&mut self.status, map, key)?,
            "error" => json::object(&mut self.error, map, key)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// `Ok` when the answer says it succeeded: no `error` (or `null`), and `status`, when
    /// `status_required` or sent, is `success`. `what` names the answer: "the build list".
    pub fn succeeded(self, status_required: bool, what: &str) -> Result<(), Error> {
        if let Some(error) = self.error.value() {
            // The API's own words, on one line with hidden characters escaped; its code
            // only when it is safe to repeat as a code.
            let said = one_line(&error.error_msg.value().unwrap_or_default());
            let code = optional_text(error.error_code.value(), "error", "error_code")
                .ok()
                .flatten();
            return Err(Error::Http(HttpFailure {
                status: 200,
                code,
                message: format!("{what} came with HTTP 200 but reports an error: {said}"),
                request_id: None,
            }));
        }
        match self.status.value().as_deref() {
            Some("success") => Ok(()),
            None if !status_required => Ok(()),
            None => Err(Error::Response(format!("{what} has no status"))),
            Some(other) => Err(Error::Response(format!(
                "{what} has status \"{}\" and no error object (expected \"success\")",
                one_line(other)
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Named;

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
    fn never_ran_is_403_with_its_code_only() {
        assert!(never_ran(&failure(403, "CB.00031059")));
        assert!(!never_ran(&failure(403, "CB.00031058")));
        assert!(!never_ran(&failure(404, "CB.00031059")));
        assert!(!never_ran(&failure(401, "CB.00031059")));
        assert!(!never_ran(&Error::Response("403 CB.00031059".into())));
    }

    /// An answer of nothing but its envelope.
    #[derive(Default)]
    struct Answer<'a>(Envelope<'a>);

    impl<'de> Fields<'de> for Answer<'de> {
        const WHAT: &'static str = "an answer object";
        fn read<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
            self.0.read(key, map)
        }
    }

    fn succeeded(json: &str, required: bool) -> Result<(), String> {
        let named = Named {
            name: "build list",
            expected: "an answer",
        };
        let answer = json::parse(json.as_bytes(), Answer::default(), named);
        answer
            .and_then(|a| a.0.succeeded(required, "the build list"))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn an_answer_fails_on_an_error_object_or_a_status_but_success() {
        let ok = [
            (r#"{"status":"success","error":null}"#, true),
            (r#"{"result":{}}"#, false),
        ];
        for (json, required) in ok {
            assert_eq!(succeeded(json, required), Ok(()), "{json}");
        }
        let cases = [
            (
                r#"{"status":"success","error":{"error_code":"CB.00031105","error_msg":"time span over 31 days"}}"#,
                "http: HTTP 200 CB.00031105: the build list came with HTTP 200 but reports an \
                 error: time span over 31 days",
            ),
            (
                r#"{"status":"fail","error":{"error_msg":"boom\n::error::x"}}"#,
                "http: HTTP 200: the build list came with HTTP 200 but reports an error: \
                 boom ::error::x",
            ),
            (
                r#"{"error":{"error_code":"CB.1\u202e","error_msg":"a\u200bb"}}"#,
                "http: HTTP 200: the build list came with HTTP 200 but reports an error: \
                 a\\u{200b}b",
            ),
            (
                r#"{"status":"fail"}"#,
                "response: the build list has status \"fail\" and no error object (expected \"success\")",
            ),
            (
                r#"{"status":"SUCCESS"}"#,
                "response: the build list has status \"SUCCESS\" and no error object (expected \"success\")",
            ),
            (
                r#"{"status":null}"#,
                "response: the build list has no status",
            ),
            (
                r#"{"status":"success","error":"boom"}"#,
                "error: invalid type: string \"boom\", expected an API error object",
            ),
            (
                r#"{"status":"success","status":"success"}"#,
                "duplicate field `status`",
            ),
        ];
        for (json, expected) in cases {
            let err = succeeded(json, true).unwrap_err();
            assert!(err.contains(expected), "{json}: {err}");
        }
    }
}
