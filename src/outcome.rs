//! What a run comes to: each job's outcome, the verdict of each job and of the run, and
//! whether the run exits 0. Decided here and nowhere else: the renderers show these
//! decisions and `main` turns [`Exit`] into a number.

use crate::config::{Config, JobRef};
use crate::error::Error;
use crate::rules::{self, Evaluation};

/// What the gate concluded for one job: an evaluation, or the error that prevented one.
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

/// What the run lets through to exit 0 although it did not pass: `--inconclusive pass`
/// and `--unavailable pass`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LetThrough {
    pub inconclusive: bool,
    pub unavailable: bool,
}

impl LetThrough {
    pub fn of(config: &Config) -> LetThrough {
        LetThrough {
            inconclusive: config.inconclusive_passes,
            unavailable: config.unavailable_passes,
        }
    }
}

/// The contract's `verdict` of a job or of a run. Declared from best to worst for the
/// verdicts a run takes the worst of; `Error` and `Usage` make the run one whatever the
/// other jobs say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Conclusion {
    Pass,
    /// The service could not be reached or kept failing, and `--unavailable pass` was given.
    Unavailable,
    Inconclusive,
    Fail,
    Error,
    Usage,
}

impl Conclusion {
    /// The contract's word: pass, unavailable, inconclusive, fail, error or usage.
    pub fn name(self) -> &'static str {
        match self {
            Conclusion::Pass => "pass",
            Conclusion::Unavailable => "unavailable",
            Conclusion::Inconclusive => "inconclusive",
            Conclusion::Fail => "fail",
            Conclusion::Error => "error",
            Conclusion::Usage => "usage",
        }
    }
}

impl From<rules::Verdict> for Conclusion {
    fn from(verdict: rules::Verdict) -> Conclusion {
        match verdict {
            rules::Verdict::Pass => Conclusion::Pass,
            rules::Verdict::Inconclusive => Conclusion::Inconclusive,
            rules::Verdict::Fail => Conclusion::Fail,
        }
    }
}

/// What the run exits with; `main` picks the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Pass,
    Fail,
    Usage,
    Error,
}

/// Everything one run concluded: a single job, or with `--job` several, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub jobs: Vec<JobReport>,
    /// `--job` was given: the reports use the several-jobs shapes even for one job.
    pub several: bool,
    pub let_through: LetThrough,
}

/// The gateway's throttling codes, and CodeArts Build's: a throttled request is a failing
/// service on any status.
const THROTTLING_CODES: [&str; 3] = ["APIG.0308", "APIGW.0308", "CB.00060211"];

/// Whether an error, after every retry, says the service was unreachable or failing:
/// `network`, `timeout`, or `http` with a 5xx status or throttling (429, or the gateway's
/// throttling code). Never credentials refused, a missing job, a bad flag, a response
/// the gate cannot trust, or any other 4xx: those stay errors under `--unavailable pass`.
pub fn is_unavailable(err: &Error) -> bool {
    let throttling = |code: &Option<String>| {
        code.as_deref()
            .is_some_and(|c| THROTTLING_CODES.iter().any(|t| c.eq_ignore_ascii_case(t)))
    };
    match err {
        Error::Network(_) | Error::Timeout(_) => true,
        Error::Http(failure) => {
            matches!(failure.status, 429 | 500..=599) || throttling(&failure.code)
        }
        Error::Usage(_) | Error::Auth(_) | Error::Response(_) | Error::NotFound(_) => false,
    }
}

impl Run {
    /// One job, reported in the single-job shapes.
    pub fn single(job: JobRef, outcome: Outcome, requests: u32, let_through: LetThrough) -> Run {
        Run {
            jobs: vec![JobReport {
                job,
                outcome,
                requests,
            }],
            several: false,
            let_through,
        }
    }

    /// One job's verdict: its rules', or what its error makes it.
    pub fn conclusion_of(&self, job: &JobReport) -> Conclusion {
        match &job.outcome {
            Ok(evaluation) => Conclusion::from(evaluation.verdict),
            Err(err) if self.let_through.unavailable && is_unavailable(err) => {
                Conclusion::Unavailable
            }
            Err(Error::Usage(_)) => Conclusion::Usage,
            Err(_) => Conclusion::Error,
        }
    }

    /// The run's verdict: the first job in error (or usage) makes it that; otherwise the
    /// worst job's, fail > inconclusive > unavailable > pass. A run without a job judged
    /// nothing: inconclusive, never a pass.
    pub fn conclusion(&self) -> Conclusion {
        let each = || self.jobs.iter().map(|job| self.conclusion_of(job));
        match each().find(|c| matches!(c, Conclusion::Error | Conclusion::Usage)) {
            Some(failed) => failed,
            None => each().max().unwrap_or(Conclusion::Inconclusive),
        }
    }

    /// The error behind the run's verdict: that of the first job whose verdict is the
    /// run's (error, usage or unavailable); none when the rules were evaluated.
    pub fn error(&self) -> Option<&Error> {
        let conclusion = self.conclusion();
        self.jobs
            .iter()
            .filter(|job| self.conclusion_of(job) == conclusion)
            .find_map(|job| job.outcome.as_ref().err())
    }

    /// What the run exits with. An inconclusive or unavailable run passes only when the
    /// matching flag lets it through.
    pub fn exit(&self) -> Exit {
        match self.conclusion() {
            // A job is unavailable only under `--unavailable pass`.
            Conclusion::Pass | Conclusion::Unavailable => Exit::Pass,
            Conclusion::Inconclusive if self.let_through.inconclusive => Exit::Pass,
            Conclusion::Inconclusive | Conclusion::Fail => Exit::Fail,
            Conclusion::Usage => Exit::Usage,
            Conclusion::Error => Exit::Error,
        }
    }

    /// The verdict a flag let through to exit 0 (inconclusive or unavailable), if any.
    pub fn let_through_verdict(&self) -> Option<Conclusion> {
        let conclusion = self.conclusion();
        (conclusion != Conclusion::Pass && self.exit() == Exit::Pass).then_some(conclusion)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::HttpFailure;
    use crate::rules::{Summary, Verdict};

    fn http(status: u16, code: Option<&str>) -> Error {
        Error::Http(HttpFailure {
            status,
            code: code.map(str::to_string),
            message: "m".into(),
            request_id: None,
        })
    }

    fn auth(status: u16) -> Error {
        match http(status, None) {
            Error::Http(failure) => Error::Auth(failure),
            other => other,
        }
    }

    #[test]
    fn only_an_unreachable_or_failing_service_is_unavailable() {
        let cases = [
            (Error::Network("connection refused".into()), true),
            (Error::Timeout("30s".into()), true),
            (http(500, None), true),
            (http(502, Some("APIGW.0202")), true),
            (http(503, None), true),
            (http(599, None), true),
            (http(429, None), true),
            (http(400, Some("APIG.0308")), true),
            (http(403, Some("apigw.0308")), true),
            (http(200, Some("APIG.0308")), true),
            (http(400, Some("CB.00060211")), true),
            (http(400, Some("CB.00031105")), false),
            (http(400, None), false),
            (http(404, None), false),
            (http(409, Some("APIG.0309")), false),
            (http(302, None), false),
            (http(600, None), false),
            (http(499, None), false),
            (auth(401), false),
            (auth(403), false),
            (Error::NotFound("job x".into()), false),
            (Error::Usage("--window".into()), false),
            (Error::Response("bad body".into()), false),
        ];
        for (err, expected) in cases {
            assert_eq!(is_unavailable(&err), expected, "{err}");
        }
    }

    fn judged(verdict: Verdict) -> Outcome {
        Ok(Evaluation {
            target: None,
            explanation: Default::default(),
            rules: Vec::new(),
            verdict,
            summary: Summary {
                total: 0,
                finished: 0,
                successful: 0,
                window: 0,
            },
            window: Vec::new(),
        })
    }

    fn run(outcomes: Vec<Outcome>, let_through: LetThrough) -> Run {
        let job = |outcome| JobReport {
            job: JobRef::default(),
            outcome,
            requests: 0,
        };
        Run {
            jobs: outcomes.into_iter().map(job).collect(),
            several: true,
            let_through,
        }
    }

    #[test]
    fn the_run_verdict_and_exit_are_decided_once_here() {
        use Verdict::{Fail, Inconclusive, Pass};
        let down = || Err(http(503, None));
        let refused = || Err(auth(401));
        let strict = LetThrough::default();
        let inconclusive = LetThrough {
            inconclusive: true,
            ..strict
        };
        let unavailable = LetThrough {
            unavailable: true,
            ..strict
        };
        let both = LetThrough {
            inconclusive: true,
            unavailable: true,
        };
        let cases: Vec<(Vec<Outcome>, LetThrough, &str, Exit)> = vec![
            (vec![judged(Pass), judged(Pass)], strict, "pass", Exit::Pass),
            (
                vec![judged(Pass), judged(Inconclusive)],
                strict,
                "inconclusive",
                Exit::Fail,
            ),
            (
                vec![judged(Inconclusive)],
                inconclusive,
                "inconclusive",
                Exit::Pass,
            ),
            (
                vec![judged(Inconclusive), judged(Fail)],
                both,
                "fail",
                Exit::Fail,
            ),
            (vec![judged(Fail), down()], strict, "error", Exit::Error),
            (
                vec![judged(Pass), Err(Error::Usage("x".into()))],
                strict,
                "usage",
                Exit::Usage,
            ),
            (vec![], both, "inconclusive", Exit::Pass),
            (vec![], strict, "inconclusive", Exit::Fail),
            (vec![down()], strict, "error", Exit::Error),
            (vec![down()], unavailable, "unavailable", Exit::Pass),
            (vec![down()], inconclusive, "error", Exit::Error),
            (
                vec![judged(Pass), down()],
                unavailable,
                "unavailable",
                Exit::Pass,
            ),
            (
                vec![down(), judged(Inconclusive)],
                unavailable,
                "inconclusive",
                Exit::Fail,
            ),
            (
                vec![down(), judged(Inconclusive)],
                both,
                "inconclusive",
                Exit::Pass,
            ),
            (vec![down(), judged(Fail)], both, "fail", Exit::Fail),
            (vec![down(), refused()], unavailable, "error", Exit::Error),
            (vec![refused()], both, "error", Exit::Error),
            (
                vec![Err(http(404, None))],
                unavailable,
                "error",
                Exit::Error,
            ),
        ];
        for (outcomes, let_through, verdict, exit) in cases {
            let run = run(outcomes, let_through);
            let shown = format!("{:?} {let_through:?}", run.jobs);
            assert_eq!(run.conclusion().name(), verdict, "{shown}");
            assert_eq!(run.exit(), exit, "{shown}");
            let through = (exit == Exit::Pass && verdict != "pass").then_some(verdict);
            assert_eq!(run.let_through_verdict().map(Conclusion::name), through);
        }
    }

    #[test]
    fn the_run_error_is_the_one_behind_its_verdict() {
        let unavailable = LetThrough {
            unavailable: true,
            inconclusive: false,
        };
        let down = http(503, Some("first"));
        let refused = auth(401);
        let mixed = run(vec![Err(down.clone()), Err(refused.clone())], unavailable);
        assert_eq!(mixed.error(), Some(&refused));
        let strict = run(vec![Err(down.clone()), Err(refused)], LetThrough::default());
        assert_eq!(strict.error(), Some(&down));
        let let_through = run(vec![judged(Verdict::Pass), Err(down.clone())], unavailable);
        assert_eq!(let_through.error(), Some(&down));
        let failed = run(vec![judged(Verdict::Fail), Err(down)], unavailable);
        assert_eq!(failed.error(), None);
    }
}
