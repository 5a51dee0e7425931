//! Command-line parsing with argh. Values stay raw strings here; `config` resolves and
//! validates them together with the environment.

use argh::FromArgs;

/// Gate a pipeline on the recent builds of a Huawei Cloud ServiceStage build job.
#[derive(FromArgs, Debug, Default, PartialEq)]
#[argh(
    help_triggers("-h", "--help"),
    note = "Every flag --some-flag can also be set as SERVICESTAGE_SOME_FLAG; the flag wins, and an empty variable counts as unset.
Credentials come only from the environment: SERVICESTAGE_TOKEN (or --token-file), or HUAWEICLOUD_SDK_AK + HUAWEICLOUD_SDK_SK (+ HUAWEICLOUD_SDK_SECURITY_TOKEN for temporary keys).",
    error_code(
        0,
        "pass: every rule passed (or inconclusive with --inconclusive pass)"
    ),
    error_code(1, "fail: a rule failed, or inconclusive with --inconclusive fail"),
    error_code(
        2,
        "usage: bad or missing flags, environment values or files; nothing was fetched"
    ),
    error_code(3, "error: the builds could not be fetched or understood")
)]
pub struct Args {
    /// build job ID [SERVICESTAGE_JOB_ID] (required without --input)
    #[argh(option)]
    pub job_id: Option<String>,

    /// build job name [SERVICESTAGE_JOB_NAME] (required without --input)
    #[argh(option)]
    pub job_name: Option<String>,

    /// API base URL, e.g. https://servicestage.cn-north-4.myhuaweicloud.com [SERVICESTAGE_ENDPOINT] (default: from --region)
    #[argh(option)]
    pub endpoint: Option<String>,

    /// region; the endpoint becomes https://servicestage.REGION.myhuaweicloud.com [SERVICESTAGE_REGION]
    #[argh(option)]
    pub region: Option<String>,

    /// project ID, sent as X-Project-Id [SERVICESTAGE_PROJECT_ID] (default: $HUAWEICLOUD_SDK_PROJECT_ID)
    #[argh(option)]
    pub project_id: Option<String>,

    /// read the IAM token from this file [SERVICESTAGE_TOKEN_FILE]
    #[argh(option)]
    pub token_file: Option<String>,

    /// judge a saved API response from this file, or - for stdin, instead of calling the API [SERVICESTAGE_INPUT]
    #[argh(option)]
    pub input: Option<String>,

    /// judge this build instead of the newest one [SERVICESTAGE_BUILD_ID]
    #[argh(option)]
    pub build_id: Option<String>,

    /// judge the newest finished build, passing over running ones [SERVICESTAGE_IGNORE_RUNNING]
    #[argh(switch)]
    pub ignore_running: bool,

    /// allowed states of the target: Successful, Failed, Timeout, Cancel; repeatable or comma-separated [SERVICESTAGE_REQUIRE_STATE] (default: Successful)
    #[argh(option)]
    pub require_state: Vec<String>,

    /// the target's duration must be at most this, e.g. 20m [SERVICESTAGE_MAX_DURATION]
    #[argh(option)]
    pub max_duration: Option<String>,

    /// how many recent finished builds the history rules look at [SERVICESTAGE_WINDOW] (default: 10)
    #[argh(option)]
    pub window: Option<String>,

    /// fewer finished builds than this in the window makes history rules inconclusive [SERVICESTAGE_MIN_BUILDS] (default: 1)
    #[argh(option)]
    pub min_builds: Option<String>,

    /// minimum Successful / (Successful + Failed + Timeout) over the window, e.g. 90 or 90% [SERVICESTAGE_MIN_SUCCESS_RATE]
    #[argh(option)]
    pub min_success_rate: Option<String>,

    /// maximum length of the newest run of Failed/Timeout builds [SERVICESTAGE_MAX_CONSECUTIVE_FAILURES]
    #[argh(option)]
    pub max_consecutive_failures: Option<String>,

    /// the target may take at most this percentage longer than the median Successful build [SERVICESTAGE_MAX_DURATION_REGRESSION]
    #[argh(option)]
    pub max_duration_regression: Option<String>,

    /// poll until the target has finished or this has passed, e.g. 30m [SERVICESTAGE_WAIT] (default: 0, no waiting)
    #[argh(option)]
    pub wait: Option<String>,

    /// time between polls while waiting [SERVICESTAGE_POLL_INTERVAL] (default: 15s)
    #[argh(option)]
    pub poll_interval: Option<String>,

    /// what an inconclusive verdict exits with: pass or fail [SERVICESTAGE_INCONCLUSIVE] (default: fail)
    #[argh(option)]
    pub inconclusive: Option<String>,

    /// limit for each HTTP request, connect to last byte [SERVICESTAGE_TIMEOUT] (default: 30s)
    #[argh(option)]
    pub timeout: Option<String>,

    /// PEM certificates trusted in addition to the built-in roots [SERVICESTAGE_CA_CERT] (also $SSL_CERT_FILE)
    #[argh(option)]
    pub ca_cert: Option<String>,

    /// retries after a connection error, timeout, 429 or 5xx [SERVICESTAGE_RETRIES] (default: 3)
    #[argh(option)]
    pub retries: Option<String>,

    /// what stdout gets: text or json [SERVICESTAGE_FORMAT] (default: text)
    #[argh(option)]
    pub format: Option<String>,

    /// CI annotations: auto, github, azure or none [SERVICESTAGE_ANNOTATIONS] (default: auto)
    #[argh(option)]
    pub annotations: Option<String>,

    /// also write a JUnit XML report, one testcase per rule, to this path [SERVICESTAGE_JUNIT]
    #[argh(option)]
    pub junit: Option<String>,

    /// log each request (method, URL, status, bytes, time) to stderr [SERVICESTAGE_VERBOSE]
    #[argh(switch, short = 'v')]
    pub verbose: bool,

    /// print the version and exit
    #[argh(switch)]
    pub version: bool,
}

/// Why parsing stopped before a config could be built.
#[derive(Debug, PartialEq, Eq)]
pub enum Early {
    /// `--help` or `--version`: print this on stdout and exit 0.
    Print(String),
    /// A parse error, one line: exit 2.
    Usage(String),
}

/// Parses the arguments after the program name.
pub fn parse(command: &str, args: &[&str]) -> Result<Args, Early> {
    match Args::from_args(&[command], args) {
        Ok(args) if args.version => Err(Early::Print(format!(
            "{command} {}\n",
            env!("CARGO_PKG_VERSION")
        ))),
        Ok(args) => Ok(args),
        Err(exit) if exit.status.is_ok() => Err(Early::Print(exit.output)),
        Err(exit) => {
            let first = exit.output.lines().next().unwrap_or("invalid arguments");
            Err(Early::Usage(first.trim_end_matches('.').to_string()))
        }
    }
}
