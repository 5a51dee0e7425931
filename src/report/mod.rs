//! Renderers: each turns an outcome into text for one audience. They decide nothing
//! and write nothing; `main` prints and writes what they return.

pub mod azure;
pub mod chart;
pub mod escape;
pub mod github;
pub mod json;
pub mod junit;
pub mod text;

use crate::error::Error;
use crate::model::Build;
use crate::rules::{Evaluation, Verdict};

/// What the gate concluded: an evaluation, or the error that prevented one.
pub type Outcome = Result<Evaluation, Error>;

/// The contract's verdict word: pass, fail, inconclusive, error or usage.
pub fn verdict_name(outcome: &Outcome) -> &'static str {
    match outcome {
        Ok(evaluation) => evaluation.verdict.name(),
        Err(Error::Usage(_)) => "usage",
        Err(_) => "error",
    }
}

/// `1h 2m 3s`, or `-` when the build has no duration yet.
pub fn duration_text(build: &Build) -> String {
    build.seconds().map_or_else(
        || "-".to_string(),
        |s| humantime::format_duration(std::time::Duration::from_secs(s)).to_string(),
    )
}

fn upper(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::Inconclusive => "INCONCLUSIVE",
    }
}

/// Every renderer against an outcome full of server-chosen text: each output is inert for
/// its audience (the escapers themselves are tested in `escape`).
#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Ci, JobRef, Source};
    use crate::error::HttpFailure;
    use crate::lookup::build::BuildDetails;
    use crate::model::{Explanation, FailedPhase, State};
    use crate::rules::{RuleResult, Summary};

    const ID: &str = "##vso[task.setvariable variable=X]1 ::add-mask::y %0A `|<b>";

    fn hostile_job() -> JobRef {
        JobRef {
            id: Some("job ::x".into()),
            name: Some("##[group]name".into()),
        }
    }

    fn hostile_evaluation(verdict: Verdict) -> Evaluation {
        let rule = |name, verdict, message: &str| RuleResult {
            name,
            verdict,
            message: message.to_string(),
        };
        Evaluation {
            target: Some(Build::finished(ID, State::Failed, 5)),
            explanation: Explanation {
                details: Some(BuildDetails {
                    build_id: ID.to_string(),
                    commit: Some("##vso[task.complete result=Succeeded]".to_string()),
                    branch: Some("x\n::error::branch\r%0A".to_string()),
                    started_at: Some("##[error]started".to_string()),
                    ..BuildDetails::default()
                }),
                failed_phase: Some(FailedPhase::Named("::error::x\n##vso[y]".to_string())),
            },
            rules: vec![
                rule("state", verdict, &format!("build {ID} is Failed")),
                rule(
                    "max-duration",
                    Verdict::Inconclusive,
                    "x\n::error::forged\x1b[0K\0;]",
                ),
                rule(
                    "min-builds",
                    Verdict::Pass,
                    "##vso[task.complete result=Succeeded]",
                ),
            ],
            verdict,
            summary: Summary {
                total: 1,
                finished: 1,
                successful: 0,
                window: 1,
            },
        }
    }

    fn hostile_error() -> Error {
        Error::Http(HttpFailure {
            status: 500,
            code: Some("E\n::add-mask::c".into()),
            message: "boom\r\n##vso[task.setvariable variable=Y]2\x1b".into(),
            request_id: Some("req\n::error::x".into()),
        })
    }

    fn outcomes() -> [Outcome; 3] {
        [
            Ok(hostile_evaluation(Verdict::Fail)),
            Ok(hostile_evaluation(Verdict::Pass)),
            Err(hostile_error()),
        ]
    }

    fn has_hidden(line: &str) -> bool {
        line.chars().any(escape::is_hidden)
    }

    #[test]
    fn the_text_report_and_stderr_lines_hold_no_command() {
        let saved = Source::Saved(Some("in ::x.json".into()));
        let report = text::render(
            &hostile_job(),
            &hostile_evaluation(Verdict::Fail),
            &saved,
            Ci::Other,
            0,
        );
        let lines = [
            report.as_str(),
            &text::error_line(&hostile_error()),
            &text::log_line(&format!("waiting for build {ID}\n::add-mask::z")),
        ]
        .concat();
        for line in lines.lines() {
            assert!(!has_hidden(line), "{line:?}");
            assert!(!line.contains("::") && !line.contains("##"), "{line:?}");
        }
        // The details line and the failed-phase line are there, inert.
        assert_eq!(report.lines().count(), 9, "{report}");
        assert_eq!(text::log_line("a\nb"), "servicestage-gate: a\\nb\n");
    }

    #[test]
    fn the_text_report_names_a_saved_response() {
        let evaluation = hostile_evaluation(Verdict::Pass);
        let job = JobRef::default();
        let cases = [
            (
                Source::Saved(Some("/tmp/builds.json".into())),
                Some("judging saved response /tmp/builds.json"),
            ),
            (Source::Saved(None), Some("judging saved response stdin")),
        ];
        for (source, expected) in cases {
            let report = text::render(&job, &evaluation, &source, Ci::Other, 0);
            assert_eq!(report.lines().last(), expected, "{report}");
        }
    }

    #[test]
    fn github_annotations_are_one_command_per_rule_with_escaped_data() {
        for outcome in outcomes() {
            let out = github::annotations(&outcome);
            for line in out.lines() {
                assert!(line.starts_with("::"), "{line:?}");
                assert!(!has_hidden(line) && !line.contains("##"), "{line:?}");
                let (command, data) = line[2..].split_once("::").unwrap();
                assert!(command.starts_with(['e', 'w', 'n']), "{line:?}");
                assert!(!data.contains('\n'), "{line:?}");
            }
        }
        let failed = github::annotations(&Ok(hostile_evaluation(Verdict::Fail)));
        assert_eq!(failed.lines().count(), 2, "{failed}");
        assert!(
            failed.contains("x%0A::error::forged\\u{1b}[0K\\u{0};]"),
            "{failed}"
        );
    }

    #[test]
    fn azure_commands_hold_one_command_each() {
        for outcome in outcomes() {
            let out = azure::annotations(&outcome, true);
            for line in out.lines() {
                assert!(line.starts_with("##vso["), "{line:?}");
                let rest = &line[2..];
                assert!(!rest.contains("##"), "{line:?}");
                assert!(!has_hidden(line), "{line:?}");
                assert_eq!(line.matches(']').count(), 1, "{line:?}");
            }
        }
    }

    #[test]
    fn the_json_report_parses_back_and_holds_no_command() {
        for outcome in outcomes() {
            let out = json::render(&hostile_job(), &outcome, 0);
            assert_eq!(out.lines().count(), 1);
            assert!(
                !out.contains("::") && !out.contains("##") && !has_hidden(out.trim_end()),
                "{out}"
            );
            let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert_eq!(parsed["job"]["name"], "##[group]name");
            if outcome.is_ok() {
                assert_eq!(parsed["target"]["build_id"], ID);
            }
        }
    }

    #[test]
    fn junit_holds_only_its_own_markup() {
        for outcome in outcomes() {
            let out = junit::render(&hostile_job(), &outcome);
            assert!(!out.contains("<b>"), "{out}");
            assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out}");
            let cases = outcome.as_ref().map_or(1, |e| e.rules.len());
            assert_eq!(out.matches("<testcase ").count(), cases, "{out}");
        }
    }

    #[test]
    fn the_step_summary_keeps_its_table() {
        let out = github::step_summary(&hostile_job(), &Ok(hostile_evaluation(Verdict::Fail)));
        let rows: Vec<&str> = out.lines().filter(|l| l.starts_with('|')).collect();
        assert_eq!(rows.len(), 5, "{out}");
        for row in rows.iter().filter(|r| !r.starts_with("|---")) {
            assert_eq!(row.matches(" | ").count(), 2, "{row}");
        }
        assert!(rows.iter().all(|r| !r.contains("<b>")), "{out}");
        let target = format!("Target: build ``{}``", ID.replace('|', "\\|"));
        assert!(out.contains(&target), "{out}");
        assert!(!has_hidden(&out.replace('\n', "")), "{out}");
    }

    #[test]
    fn outputs_cannot_be_ended_early_by_the_report() {
        let outcome = Ok(hostile_evaluation(Verdict::Fail));
        let report = "{\"a\":\"x\"}\nverdict=pass\nSERVICESTAGE_GATE_REPORT_EOF\n";
        let out = github::outputs(&outcome, report);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "verdict=fail");
        assert_eq!(lines[1], format!("build-id={ID}"));
        let delimiter = lines[4].strip_prefix("report<<").unwrap();
        assert!(delimiter.starts_with("ghadelimiter_"), "{delimiter}");
        assert_eq!(lines[5..8].join("\n"), report.trim_end());
        assert_eq!(lines[8], delimiter);
        assert_eq!(lines.len(), 9);
    }
}
