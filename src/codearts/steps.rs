//! Why a build failed: `GET /v3/jobs/{job_id}/{number}/history-details`, whose
//! `build_steps[]` each carry a `name` and a `status` (`running`, `success`, `error` or
//! empty). The first step in `error` is the failed phase. It only explains a verdict.

use std::io::Read;

use serde::de::MapAccess;

use super::envelope::never_ran;
use super::shared::{Error, FailedPhase, Fields, List, json};
use super::{checked_text, required_text};

/// One step of a build, in the API's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub name: String,
    /// As the API wrote it; `None` when empty (the step did not run).
    pub status: Option<String>,
}

#[derive(Default)]
struct RawDetails {
    build_number: Option<u64>,
    build_steps: Option<Vec<RawStep>>,
}

impl Fields for RawDetails {
    const WHAT: &'static str = "build history details";
    fn read<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "build_number" => self.build_number = json::count(map, key)?,
            "build_steps" => self.build_steps = Some(json::field::<_, List<_>>(map, key)?.0),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[derive(Default)]
struct RawStep {
    name: Option<String>,
    status: Option<String>,
}

impl Fields for RawStep {
    const WHAT: &'static str = "build step";
    fn read<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        let slot = match key {
            "name" => &mut self.name,
            "status" => &mut self.status,
            _ => return Ok(false),
        };
        *slot = json::text(map, key)?;
        Ok(true)
    }
}

/// Parses the steps of build `number`. Details of another build, no `build_steps`, or a
/// step without a safe name are `response` errors.
pub fn parse_steps(reader: impl Read, number: u64) -> Result<Vec<Step>, Error> {
    let raw: RawDetails = json::parse(reader, "build history details")?;
    checked_steps(raw, number).map_err(|problem| {
        Error::Response(format!("the history details of build {number}: {problem}"))
    })
}

fn checked_steps(raw: RawDetails, number: u64) -> Result<Vec<Step>, String> {
    if let Some(listed) = raw.build_number.filter(|n| *n != number) {
        return Err(format!("build_number is {listed}, not the build asked for"));
    }
    let steps = raw.build_steps.ok_or("it has no build_steps")?;
    steps
        .into_iter()
        .enumerate()
        .map(|(index, step)| {
            let place = format!("build_steps[{index}]");
            Ok(Step {
                name: required_text(step.name, &place, "name")?,
                status: checked_text(step.status, &place, "status")?,
            })
        })
        .collect()
}

/// The failed phase of a Failed or Timeout build from the `history-details` answer: the
/// first step whose status is `error`. A build that never ran (403 `CB.00031059`) has
/// none; any other failure only makes the phase unavailable.
pub fn failed_phase(answer: Result<Vec<Step>, Error>) -> FailedPhase {
    match answer {
        Ok(steps) => steps
            .into_iter()
            .find(|step| {
                step.status
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case("error"))
            })
            .map_or(FailedPhase::NotReported, |step| {
                FailedPhase::Named(step.name)
            }),
        Err(error) if never_ran(&error) => FailedPhase::NotReported,
        Err(error) => FailedPhase::Unavailable(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codearts::shared::HttpFailure;

    fn parse(json: &str) -> Result<Vec<Step>, String> {
        parse_steps(json.as_bytes(), 42).map_err(|e| e.to_string())
    }

    fn phase(json: &str) -> FailedPhase {
        failed_phase(parse_steps(json.as_bytes(), 42))
    }

    #[test]
    fn the_first_step_in_error_is_the_failed_phase() {
        let cases = [
            (
                r#"{"job_name":"web","build_number":42,"project_id":"p","parameters":{"a":"*"},
                    "build_steps":[{"name":"Checkout","status":"success","build_time":1},
                                   {"name":"Maven build","status":"error"},
                                   {"name":"Upload","status":"error"}]}"#,
                FailedPhase::Named("Maven build".into()),
            ),
            (
                r#"{"build_steps":[{"name":"Checkout","status":"success"},{"name":"Build","status":"ERROR"}]}"#,
                FailedPhase::Named("Build".into()),
            ),
            (
                r#"{"build_steps":[{"name":"Checkout","status":"success"},{"name":"Build","status":"running"},
                                   {"name":"Upload","status":""},{"name":"Tag","status":null},{"name":"X"}]}"#,
                FailedPhase::NotReported,
            ),
            (
                r#"{"build_number":42,"build_steps":[]}"#,
                FailedPhase::NotReported,
            ),
        ];
        for (json, expected) in cases {
            assert_eq!(phase(json), expected, "{json}");
        }
    }

    #[test]
    fn bad_details_are_response_errors_that_leave_the_phase_unavailable() {
        let cases = [
            (
                r#"{"build_number":41,"build_steps":[]}"#,
                "build_number is 41, not the build asked for",
            ),
            (r#"{"result":{"build_steps":[]}}"#, "it has no build_steps"),
            (
                r#"{"build_steps":[{"status":"error"}]}"#,
                "build_steps[0] has no name",
            ),
            (
                r#"{"build_steps":[{"name":"Bu\u202eild","status":"error"}]}"#,
                "build_steps[0].name contains a control character",
            ),
            (
                r#"{"build_steps":[{"name":"Build","status":"err\nor"}]}"#,
                "build_steps[0].status contains a control character",
            ),
            (
                r#"{"build_steps":[{"name":"Build","name":"Other"}]}"#,
                "duplicate field name",
            ),
            (
                r#"{"build_steps":{"name":"Build"}}"#,
                "expected a list of build step objects",
            ),
            (
                r#"{"build_steps":[],"build_steps":[]}"#,
                "duplicate field build_steps",
            ),
            (
                r#"[{"name":"Build"}]"#,
                "expected build history details as a JSON object",
            ),
        ];
        for (json, expected) in cases {
            let err = parse(json).unwrap_err();
            assert!(err.starts_with("response: "), "{json}: {err}");
            assert!(err.contains(expected), "{json}: {err} lacks {expected}");
            match phase(json) {
                FailedPhase::Unavailable(why) => assert!(why.contains(expected), "{why}"),
                other => panic!("{json}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_build_that_never_ran_has_no_phase_and_is_no_error() {
        let failure = |status, code: &str| HttpFailure {
            status,
            code: Some(code.into()),
            message: "m".into(),
            request_id: None,
        };
        assert_eq!(
            failed_phase(Err(Error::Auth(failure(403, "CB.00031059")))),
            FailedPhase::NotReported
        );
        assert_eq!(
            failed_phase(Err(Error::Auth(failure(403, "CB.00031058")))),
            FailedPhase::Unavailable("auth: HTTP 403 CB.00031058: m".into())
        );
        assert_eq!(
            failed_phase(Err(Error::Http(failure(500, "CB.00031059")))),
            FailedPhase::Unavailable("http: HTTP 500 CB.00031059: m".into())
        );
    }
}
