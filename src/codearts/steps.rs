//! Why a build failed: `GET /v3/jobs/{job_id}/{number}/history-details`, whose
//! `build_steps[]` each carry a `name` and a `status` (`running`, `success`, `error` or
//! empty). The first step in `error` is the failed phase. It only explains a verdict.

use std::borrow::Cow;

use serde::de::MapAccess;

use crate::error::Error;
use crate::json::{self, Fields, Named, Slot};
use crate::text::{optional_text, required_text};

const DETAILS: Named = Named {
    name: "build history details",
    expected: "what the API documents",
};

/// One step of a build, in the API's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub name: String,
    /// As the API wrote it; `None` when empty (the step did not run).
    pub status: Option<String>,
}

#[derive(Default)]
struct RawDetails {
    build_number: Slot<Option<u64>>,
    build_steps: Slot<Vec<Step>>,
}

impl<'de> Fields<'de> for RawDetails {
    const WHAT: &'static str = "a build history details object";
    fn read<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "build_number" => json::count(&mut self.build_number, map, key)?,
            "build_steps" => json::list(&mut self.build_steps, map, key, 0, RawStep::into_step)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[derive(Default)]
struct RawStep<'a> {
    name: Slot<Option<Cow<'a, str>>>,
    status: Slot<Option<Cow<'a, str>>>,
}

impl<'de> Fields<'de> for RawStep<'de> {
    const WHAT: &'static str = "a build step object";
    fn read<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "name" => json::text(&mut self.name, map, key)?,
            "status" => json::text(&mut self.status, map, key)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl RawStep<'_> {
    fn into_step(index: usize, raw: RawStep) -> Result<Step, String> {
        let place = format!("build_steps[{index}]");
        Ok(Step {
            name: required_text(raw.name.value(), &place, "name")?,
            status: optional_text(raw.status.value(), &place, "status")?,
        })
    }
}

/// Parses the steps of build `number`. Details of another build, or no `build_steps`, are
/// `response` errors.
pub fn parse_steps(bytes: &[u8], number: &str) -> Result<Vec<Step>, Error> {
    let raw = json::parse(bytes, RawDetails::default(), DETAILS)?;
    let problem =
        |what: String| Error::Response(format!("the history details of build {number}: {what}"));
    if let Some(listed) = raw.build_number.value()
        && listed.to_string() != number
    {
        return Err(problem(format!(
            "build_number is {listed}, not the build asked for"
        )));
    }
    raw.build_steps
        .get()
        .ok_or_else(|| problem("it has no build_steps".into()))
}

/// The name of the first step whose status is `error`, if any.
pub fn failed_step(steps: Vec<Step>) -> Option<String> {
    steps
        .into_iter()
        .find(|step| {
            step.status
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("error"))
        })
        .map(|step| step.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Vec<Step>, String> {
        parse_steps(json.as_bytes(), "42").map_err(|e| e.to_string())
    }

    #[test]
    fn the_first_step_in_error_is_the_failed_phase() {
        let cases = [
            (
                r#"{"job_name":"web","build_number":42,"project_id":"p","parameters":{"a":"*"},
                    "build_steps":[{"name":"Checkout","status":"success","build_time":1},
                                   {"name":"Maven build","status":"error"},
                                   {"name":"Upload","status":"error"}]}"#,
                Some("Maven build"),
            ),
            (
                r#"{"build_steps":[{"name":"Checkout","status":"success"},{"name":"Build","status":"ERROR"}]}"#,
                Some("Build"),
            ),
            (
                r#"{"build_steps":[{"name":"Checkout","status":"success"},{"name":"Build","status":"running"},
                                   {"name":"Upload","status":""},{"name":"Tag","status":null},{"name":"X"}]}"#,
                None,
            ),
            (r#"{"build_number":42,"build_steps":[]}"#, None),
        ];
        for (json, expected) in cases {
            let steps = parse(json).unwrap();
            assert_eq!(failed_step(steps).as_deref(), expected, "{json}");
        }
    }

    #[test]
    fn bad_details_are_response_errors() {
        let cases = [
            (
                r#"{"build_number":41,"build_steps":[]}"#,
                "the history details of build 42: build_number is 41, not the build asked for",
            ),
            (
                r#"{"result":{"build_steps":[]}}"#,
                "the history details of build 42: it has no build_steps",
            ),
            (
                r#"{"build_steps":[{"status":"error"}]}"#,
                "build_steps[0] has no name",
            ),
            (
                r#"{"build_steps":[{"name":"Bu\u202eild","status":"error"}]}"#,
                "build_steps[0].name contains an invisible character (U+202E)",
            ),
            (
                r#"{"build_steps":[{"name":"Build","status":"err\nor"}]}"#,
                "build_steps[0].status contains a control character",
            ),
            (
                r#"{"build_steps":[{"name":"Build","name":"Other"}]}"#,
                "duplicate field `name`",
            ),
            (
                r#"{"build_steps":{"name":"Build"}}"#,
                "expected a JSON list",
            ),
            (
                r#"{"build_steps":[],"build_steps":[]}"#,
                "duplicate field `build_steps`",
            ),
            (
                r#"[{"name":"Build"}]"#,
                "expected a build history details object",
            ),
        ];
        for (json, expected) in cases {
            let err = parse(json).unwrap_err();
            assert!(err.starts_with("response: "), "{json}: {err}");
            assert!(err.contains(expected), "{json}: {err} lacks {expected}");
        }
    }
}
