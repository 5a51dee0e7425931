//! Renderers: each turns an outcome into text for one audience. They decide nothing
//! and write nothing; `main` prints and writes what they return.

pub mod azure;
pub mod chart;
pub mod escape;
pub mod github;
pub mod json;
pub mod junit;
pub mod text;

use crate::config::JobRef;
use crate::error::Error;
use crate::model::Build;
use crate::rules::{Evaluation, Verdict};

/// What the gate concluded: an evaluation, or the error that prevented one.
pub type Outcome = Result<Evaluation, Error>;

/// One job's part of a run: the job as named (or as looked up) and what it came to.
/// Per-job facts a renderer shows (requests sent, the target's commit) belong here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobReport {
    pub job: JobRef,
    pub outcome: Outcome,
    /// Every HTTP request sent for this job, retries and logins included.
    pub requests: u32,
}

/// Everything one run concluded: a single job, or with `--job` several, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub jobs: Vec<JobReport>,
    /// `--job` was given: the reports use the several-jobs shapes even for one job.
    pub several: bool,
}

impl Run {
    /// One job, reported in the single-job shapes.
    pub fn single(job: JobRef, outcome: Outcome, requests: u32) -> Run {
        Run {
            jobs: vec![JobReport {
                job,
                outcome,
                requests,
            }],
            several: false,
        }
    }

    /// The first job's error, if any job has one: then the run is an error.
    pub fn error(&self) -> Option<&Error> {
        self.jobs.iter().find_map(|j| j.outcome.as_ref().err())
    }

    /// The worst verdict of the jobs (fail > inconclusive > pass), or the first error. A
    /// run without a job judged nothing: inconclusive, never a pass.
    pub fn verdict(&self) -> Result<Verdict, &Error> {
        match self.error() {
            Some(err) => Err(err),
            None => Ok(self
                .jobs
                .iter()
                .filter_map(|j| j.outcome.as_ref().ok())
                .map(|e| e.verdict)
                .max()
                .unwrap_or(Verdict::Inconclusive)),
        }
    }

    /// The contract's verdict word for the whole run.
    pub fn verdict_name(&self) -> &'static str {
        match self.verdict() {
            Ok(verdict) => verdict.name(),
            Err(Error::Usage(_)) => "usage",
            Err(_) => "error",
        }
    }
}

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

/// The window oldest first, for the chart and the strip; an unfinished target, which the
/// window leaves out, is shown as the newest.
fn chart_builds(evaluation: &Evaluation) -> Vec<chart::ChartBuild> {
    let mut builds: Vec<chart::ChartBuild> = evaluation
        .window
        .iter()
        .rev()
        .map(chart::ChartBuild::from)
        .collect();
    if let Some(target) = evaluation.target.as_ref().filter(|t| !t.is_finished()) {
        builds.push(chart::ChartBuild::from(target));
    }
    builds
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
    use crate::model::{BuildDetails, Explanation, FailedPhase, State};
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
            advisory: false,
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
            window: vec![Build::finished(ID, State::Failed, 5)],
        }
    }

    fn single(outcome: Outcome) -> Run {
        Run::single(hostile_job(), outcome, 0)
    }

    const STYLE: text::Style = text::Style {
        ci: Ci::Other,
        now: 0,
        symbols: chart::Symbols::Unicode,
    };

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
            STYLE,
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
        assert_eq!(report.lines().count(), 10, "{report}");
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
            let report = text::render(&job, &evaluation, &source, STYLE);
            assert_eq!(report.lines().last(), expected, "{report}");
        }
    }

    #[test]
    fn github_annotations_are_one_command_per_rule_with_escaped_data() {
        for outcome in outcomes() {
            let out = github::annotations(&single(outcome));
            for line in out.lines() {
                assert!(line.starts_with("::"), "{line:?}");
                assert!(!has_hidden(line) && !line.contains("##"), "{line:?}");
                let (command, data) = line[2..].split_once("::").unwrap();
                assert!(command.starts_with(['e', 'w', 'n']), "{line:?}");
                assert!(!data.contains('\n'), "{line:?}");
            }
        }
        let failed = github::annotations(&single(Ok(hostile_evaluation(Verdict::Fail))));
        assert_eq!(failed.lines().count(), 2, "{failed}");
        assert!(
            failed.contains("x%0A::error::forged\\u{1b}[0K\\u{0};]"),
            "{failed}"
        );
    }

    #[test]
    fn azure_commands_hold_one_command_each() {
        for outcome in outcomes() {
            let out = azure::annotations(&single(outcome), true);
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
            let out = json::render(&single(outcome.clone()));
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
            let out = junit::render(&single(outcome.clone()));
            assert!(!out.contains("<b>"), "{out}");
            assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out}");
            let cases = outcome.as_ref().map_or(1, |e| e.rules.len());
            assert_eq!(out.matches("<testcase ").count(), cases, "{out}");
        }
    }

    #[test]
    fn the_step_summary_keeps_its_table() {
        let out = github::step_summary(&single(Ok(hostile_evaluation(Verdict::Fail))), None);
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

    /// Several jobs, one per outcome, under names no config would accept.
    fn several() -> Run {
        let jobs = outcomes().into_iter().map(|outcome| JobReport {
            job: hostile_job(),
            outcome,
            requests: 1,
        });
        Run {
            jobs: jobs.collect(),
            several: true,
        }
    }

    #[test]
    fn the_run_verdict_is_the_worst_job_or_an_error() {
        let job = |outcome: Outcome| JobReport {
            job: JobRef::default(),
            outcome,
            requests: 0,
        };
        let judged = |verdict| job(Ok(hostile_evaluation(verdict)));
        let run = |jobs: Vec<JobReport>| Run {
            jobs,
            several: true,
        };
        use Verdict::{Fail, Inconclusive, Pass};
        let cases = [
            (vec![judged(Pass), judged(Pass)], "pass"),
            (vec![judged(Pass), judged(Inconclusive)], "inconclusive"),
            (
                vec![judged(Inconclusive), judged(Fail), judged(Pass)],
                "fail",
            ),
            (vec![judged(Fail), job(Err(hostile_error()))], "error"),
            (
                vec![judged(Pass), job(Err(Error::Usage("x".into())))],
                "usage",
            ),
            (vec![], "inconclusive"),
        ];
        for (jobs, expected) in cases {
            assert_eq!(run(jobs).verdict_name(), expected);
        }
    }

    #[test]
    fn several_jobs_stay_inert_in_every_output() {
        let run = several();
        let json = json::render(&run);
        assert!(!json.contains("::") && !json.contains("##"), "{json}");
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["verdict"], "error");
        assert_eq!(parsed["jobs"].as_array().unwrap().len(), 3);
        for line in github::annotations(&run).lines() {
            assert!(line.starts_with("::"), "{line:?}");
            assert!(!has_hidden(line) && !line.contains("##"), "{line:?}");
            let (command, _) = line[2..].split_once("::").unwrap();
            assert!(
                command.contains("[group]name%3A "),
                "a title per job: {line:?}"
            );
        }
        for line in azure::annotations(&run, false).lines() {
            assert_eq!(line.matches("##").count(), 1, "{line:?}");
            assert_eq!(line.matches(']').count(), 1, "{line:?}");
        }
        let summary = github::step_summary(&run, None);
        let rows = summary.lines().filter(|l| l.starts_with("| `"));
        assert_eq!(rows.count(), 3, "{summary}");
        assert!(!has_hidden(&summary.replace('\n', "")), "{summary}");
        let report = text::render_run(&run, &Source::Saved(None), STYLE);
        for line in report.lines() {
            assert!(!line.contains("::") && !line.contains("##"), "{line:?}");
        }
        let last = report.lines().last().unwrap();
        assert!(last.starts_with("overall: ERROR ("), "{report}");
        assert!(
            last.ends_with("name fail, #\\#[group]name pass, #\\#[group]name error)"),
            "{last}"
        );
        assert_eq!(junit::render(&run).matches("<testsuite ").count(), 3);
    }

    #[test]
    fn outputs_cannot_be_ended_early_by_the_report() {
        let outcome = single(Ok(hostile_evaluation(Verdict::Fail)));
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

    /// A plain rule result.
    fn rule(name: &'static str, verdict: Verdict, message: &str, advisory: bool) -> RuleResult {
        RuleResult {
            name,
            verdict,
            message: message.to_string(),
            advisory,
        }
    }

    /// A plain evaluation of `target` over `window` (newest first).
    fn judged(target: Build, window: Vec<Build>, rules: Vec<RuleResult>) -> Outcome {
        Ok(Evaluation {
            target: Some(target),
            explanation: Explanation::default(),
            verdict: crate::rules::overall(&rules),
            summary: Summary {
                total: 4,
                finished: window.len() as u64,
                successful: 2,
                window: window.len(),
            },
            rules,
            window,
        })
    }

    fn job(name: &str) -> JobRef {
        JobRef {
            id: Some(format!("id-{name}")),
            name: Some(name.to_string()),
        }
    }

    /// The `$GITHUB_OUTPUT` lines with their random delimiter named `DELIMITER`.
    fn outputs_without_delimiter(run: &Run) -> String {
        let outputs = github::outputs(run, &json::render(run));
        let delimiter = outputs
            .lines()
            .find_map(|line| line.strip_prefix("report<<"))
            .unwrap()
            .to_string();
        outputs.replace(&delimiter, "DELIMITER")
    }

    /// Every renderer's whole output for a run of three jobs (a pass with an advisory
    /// failure, a fail with an inconclusive rule, an error), for one job alone, and for a
    /// usage error: pinned in src/report/golden.txt, so that any change to any output is a
    /// visible diff. Regenerate with `UPDATE_GOLDEN=1 cargo test --lib golden`.
    #[allow(
        clippy::disallowed_methods,
        reason = "UPDATE_GOLDEN rewrites the golden file"
    )]
    #[test]
    fn every_renderer_matches_its_golden_output() {
        let ok = |id: &str, secs| Build::finished(id, State::Successful, secs);
        let window = || {
            vec![
                ok("a3", 65),
                Build::finished("a2", State::Failed, 70),
                ok("a1", 60),
            ]
        };
        let api = judged(
            ok("a3", 65),
            window(),
            vec![
                rule("state", Verdict::Pass, "build a3 is Successful", false),
                rule(
                    "max-duration-regression",
                    Verdict::Fail,
                    "65s over +5% of 60s",
                    true,
                ),
            ],
        );
        let web = judged(
            Build::finished("w1", State::Failed, 5),
            vec![Build::finished("w1", State::Failed, 5)],
            vec![
                rule(
                    "state",
                    Verdict::Fail,
                    "build w1 is Failed, expected Successful",
                    false,
                ),
                rule(
                    "min-success-rate",
                    Verdict::Inconclusive,
                    "only 1 build",
                    false,
                ),
            ],
        );
        let worker = Err(Error::Http(HttpFailure {
            status: 503,
            code: Some("SVCSTG.503".into()),
            message: "unavailable".into(),
            request_id: Some("req-1".into()),
        }));
        let several = Run {
            jobs: [("api", api.clone()), ("web", web), ("worker", worker)]
                .into_iter()
                .map(|(name, outcome)| JobReport {
                    job: job(name),
                    outcome,
                    requests: 2,
                })
                .collect(),
            several: true,
        };
        let one = Run::single(job("api"), api.clone(), 1);
        let usage = Run::single(
            JobRef::default(),
            Err(Error::Usage("--window: bad".into())),
            0,
        );
        let running = Build::unfinished("r1", "Building");
        let undecided = judged(
            running,
            window(),
            vec![rule(
                "state",
                Verdict::Inconclusive,
                "build r1 has not finished",
                false,
            )],
        );
        let inconclusive = Run::single(job("api"), undecided, 1);
        // `--job api` alone: the several-jobs shape, and no single target's outputs.
        let alone = Run {
            jobs: vec![JobReport {
                job: job("api"),
                outcome: api.clone(),
                requests: 2,
            }],
            several: true,
        };
        let saved = Source::Saved(Some("examples/x.json".into()));
        let mut out = String::new();
        let runs = [
            ("several", &several),
            ("one", &one),
            ("inconclusive", &inconclusive),
            ("usage", &usage),
            ("several, one job", &alone),
        ];
        for (name, run) in runs {
            let outputs = [
                ("text", text::render_run(run, &saved, STYLE)),
                ("text errors", text::error_lines(run)),
                ("azure", azure::annotations(run, false)),
                ("azure, inconclusive passes", azure::annotations(run, true)),
                ("github", github::annotations(run)),
                (
                    "summary",
                    github::step_summary(run, Some(std::time::Duration::from_secs(60))),
                ),
                ("json", json::render(run)),
                ("junit", junit::render(run)),
                ("outputs", outputs_without_delimiter(run)),
            ];
            for (output, text) in outputs {
                out.push_str(&format!("===== {name}: {output}\n{text}"));
            }
        }
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/report/golden.txt");
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(path, &out).unwrap();
        }
        assert_eq!(
            out,
            include_str!("golden.txt"),
            "changed; if intended, UPDATE_GOLDEN=1"
        );
    }
}
