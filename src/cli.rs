//! The options table and command-line parsing. Every option is declared once, in `options!`
//! below: that one entry makes the argh field, the `--help` line, the environment variable,
//! the default `config` falls back to, and the row the README and action.yml are tested
//! against. Values stay raw strings here; `config` resolves and validates them together with
//! the environment.
//!
//! argh stays: it parses well, and the macro feeds it the same help text the table holds.
//! `--help` itself is rendered from the table, so it can show each variable and default.

use argh::FromArgs;

/// What an option falls back to when neither its flag nor its variable is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// No value: the option is off or its rule is not evaluated.
    None,
    /// This value, parsed exactly as if the user had given it.
    Value(&'static str),
    /// Required unless `--input` is given (the README's footnote says so).
    Required,
    /// Worked out elsewhere (another option, another variable); the words say how.
    Described(&'static str),
}

impl Fallback {
    /// As `--help`, the README and action.yml show it.
    pub fn shown(&self) -> &'static str {
        match self {
            Fallback::None => "none",
            Fallback::Required => "required*",
            Fallback::Value(value) | Fallback::Described(value) => value,
        }
    }
}

/// One row of the options table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opt {
    /// The argh field name (`job_id`); the flag and the action input are its kebab case.
    id: &'static str,
    /// The value's placeholder in help (`ID`, `DUR`); empty for a switch.
    pub value: &'static str,
    pub default: Fallback,
    /// The one-line meaning.
    pub help: &'static str,
    /// A credential: only its variable sets it, never a flag (flags show in process lists).
    pub secret: Option<&'static str>,
}

impl Opt {
    /// `job-id`: the flag without dashes, and the action input's name.
    pub fn name(&self) -> String {
        self.id.replace('_', "-")
    }

    /// The action input: the flag's name, except `jobs` for `--job` (one name per line).
    pub fn input(&self) -> String {
        match self.id {
            "job" => "jobs".to_string(),
            _ => self.name(),
        }
    }

    /// `--job-id`; `None` for a secret.
    pub fn flag(&self) -> Option<String> {
        self.secret.is_none().then(|| format!("--{}", self.name()))
    }

    /// The variable that sets it: `SERVICESTAGE_JOB_ID`, or the secret's own name.
    pub fn variable(&self) -> String {
        match self.secret {
            Some(variable) => variable.to_string(),
            None => crate::config::env_name(&self.name()),
        }
    }
}

/// The row for a flag name (`job-id`). Every name `config` asks for is in the table; a test
/// walks them all.
pub fn option(name: &str) -> &'static Opt {
    OPTIONS
        .iter()
        .find(|o| o.name() == name)
        .unwrap_or_else(|| panic!("option {name:?} is not in the options table"))
}

macro_rules! options {
    (
        flags { $( $id:ident: ($($ty:tt)+) [$($argh:tt)*] $value:tt, $default:expr, $help:tt; )* }
        secrets { $( $sid:ident: $variable:tt, $shelp:tt; )* }
    ) => {
        /// Gate a pipeline on the recent builds of a Huawei Cloud ServiceStage build job.
        #[derive(FromArgs, Debug, PartialEq)]
        #[argh(help_triggers("-h", "--help"))]
        pub struct Args {
            $( #[doc = $help] #[argh($($argh)*)] pub $id: $($ty)+, )*
            /// print the version and exit
            #[argh(switch)]
            pub version: bool,
        }

        /// Every option, flags first, then the credentials only variables set.
        pub const OPTIONS: &[Opt] = &[
            $( Opt { id: stringify!($id), value: $value, default: $default, help: $help, secret: None }, )*
            $( Opt { id: stringify!($sid), value: "", default: Fallback::None, help: $shelp, secret: Some($variable) }, )*
        ];
    };
}

use Fallback::{Described, Value};

options! {
    flags {
        job_id: (Option<String>) [option] "ID", Described("looked up by name"), "build job ID; without it the ID is looked up from --job-name in the job list";
        job_name: (Option<String>) [option] "NAME", Fallback::Required, "build job name (required without --input); to look the ID up: 2-64 letters, digits, - or _, starting with a letter, ending with a letter or digit";
        job: (Vec<String>) [option] "NAME", Fallback::None, "gate several jobs by name, each with the same rules; repeatable or comma-separated; excludes --job-id and --job-name";
        commit: (Option<String>) [option] "SHA", Fallback::None, "judge the newest build of this commit (7 to 64 hex digits, a prefix of the commit ServiceStage builds)";
        endpoint: (Option<String>) [option] "URL", Described("from --region"), "API base URL, e.g. https://servicestage.cn-north-4.myhuaweicloud.com; plain http:// only to loopback";
        region: (Option<String>) [option] "REGION", Fallback::None, "region; the endpoint becomes https://servicestage.REGION.myhuaweicloud.com (.myhuaweicloud.eu for eu-west-101)";
        project_id: (Option<String>) [option] "ID", Described("$HUAWEICLOUD_SDK_PROJECT_ID"), "project ID, sent as X-Project-Id";
        token_file: (Option<String>) [option] "PATH", Fallback::None, "read the IAM token from this file";
        iam_endpoint: (Option<String>) [option] "URL", Described("$HUAWEICLOUD_SDK_IAM_ENDPOINT, else from --region"), "IAM endpoint for password and OIDC logins";
        iam_user: (Option<String>) [option] "NAME", Fallback::None, "IAM user for a password login; the password only from SERVICESTAGE_IAM_PASSWORD";
        iam_domain: (Option<String>) [option] "NAME", Fallback::None, "account (domain) name of --iam-user";
        oidc_audience: (Option<String>) [option] "AUD", Value(crate::iam::DEFAULT_OIDC_AUDIENCE), "audience of the GitHub Actions ID token the gate requests for HUAWEICLOUD_SDK_IDP_ID";
        input: (Option<String>) [option] "PATH", Fallback::None, "judge a saved API response from this file, or - for stdin, instead of calling the API";
        build_id: (Option<String>) [option] "ID", Described("newest build"), "judge this build instead of the newest one";
        ignore_running: (bool) [switch] "", Described("off"), "judge the newest finished build, passing over running ones";
        require_state: (Vec<String>) [option] "STATE", Value("Successful"), "allowed states of the target: Successful, Failed, Timeout, Cancel; repeatable or comma-separated";
        max_duration: (Option<String>) [option] "DUR", Fallback::None, "the target's duration must be at most this, e.g. 20m";
        window: (Option<String>) [option] "N", Value("10"), "how many recent finished builds the history rules look at";
        min_builds: (Option<String>) [option] "N", Value("1"), "fewer finished builds than this in the window makes history rules inconclusive";
        min_success_rate: (Option<String>) [option] "PCT", Fallback::None, "minimum Successful / (Successful + Failed + Timeout) over the window, e.g. 90 or 90%";
        max_consecutive_failures: (Option<String>) [option] "N", Fallback::None, "maximum length of the newest run of Failed/Timeout builds";
        max_duration_regression: (Option<String>) [option] "PCT", Fallback::None, "the target may take at most this percentage longer than the median Successful build";
        advisory: (Vec<String>) [option] "RULE", Fallback::None, "report this rule but never let it change the verdict; repeatable or comma-separated; not state";
        wait: (Option<String>) [option] "DUR", Value("0"), "poll until the target has finished or this has passed, e.g. 30m (0: no waiting)";
        poll_interval: (Option<String>) [option] "DUR", Value("15s"), "time between polls while waiting (at least 1s)";
        inconclusive: (Option<String>) [option] "pass|fail", Value("fail"), "what an inconclusive verdict exits with";
        unavailable: (Option<String>) [option] "pass|fail", Value("fail"), "pass: a job whose service was unreachable or failing (network, timeout, 5xx or throttling after retries) is unavailable, exit 0";
        timeout: (Option<String>) [option] "DUR", Value("30s"), "limit for each HTTP request, connect to last byte";
        ca_cert: (Option<String>) [option] "PATH", Fallback::None, "PEM certificates trusted in addition to the built-in roots (also $SSL_CERT_FILE)";
        retries: (Option<String>) [option] "N", Value("3"), "retries after a connection error, timeout, 429 or 5xx (0 to 10)";
        format: (Option<String>) [option] "text|json", Value("text"), "what stdout gets";
        annotations: (Option<String>) [option] "auto|github|azure|none", Value("auto"), "CI annotations; auto: github when GITHUB_ACTIONS=true, azure when TF_BUILD=True";
        junit: (Option<String>) [option] "PATH", Fallback::None, "also write a JUnit XML report, one testcase per rule, to this path";
        ascii: (bool) [switch] "", Described("off; on when the locale is not UTF-8"), "draw the text report's history strip in ASCII (+ x T - .)";
        verbose: (bool) [switch, short = 'v'] "", Described("off"), "log each request (method, URL, status, bytes, time) to stderr";
    }
    secrets {
        token: "SERVICESTAGE_TOKEN", "IAM token, sent as X-Auth-Token";
        access_key: "HUAWEICLOUD_SDK_AK", "access key ID; requests are signed with SDK-HMAC-SHA256";
        secret_key: "HUAWEICLOUD_SDK_SK", "secret access key";
        security_token: "HUAWEICLOUD_SDK_SECURITY_TOKEN", "security token of temporary credentials, sent as X-Security-Token";
        oidc_idp_id: "HUAWEICLOUD_SDK_IDP_ID", "IAM identity provider id: an OIDC ID token is exchanged there for an IAM token";
        id_token_file: "HUAWEICLOUD_SDK_ID_TOKEN_FILE", "file holding the OIDC ID token (without it, in GitHub Actions, the job's own is requested)";
        iam_password: "SERVICESTAGE_IAM_PASSWORD", "password of --iam-user, for a password login at IAM";
    }
}

const EXIT_CODES: &str = "Exit codes:
  0 pass: every rule passed (or inconclusive with --inconclusive pass)
  1 fail: a rule failed, or inconclusive with --inconclusive fail
  2 usage: bad or missing flags, environment values or files; nothing was fetched
  3 error: the builds could not be fetched or understood
";

/// `--help`, rendered from the options table.
pub fn help(command: &str) -> String {
    let mut out = format!(
        "Usage: {command} [OPTIONS]\n\nGate a pipeline on the recent builds of a Huawei Cloud \
         ServiceStage build job.\n\nOptions (each also set by the variable in brackets; the flag \
         wins, and an empty variable counts as unset):\n"
    );
    for opt in OPTIONS.iter().filter(|o| o.secret.is_none()) {
        let short = if opt.id == "verbose" { "-v, " } else { "" };
        let flag = format!("{short}--{} {}", opt.name(), opt.value);
        let default = match opt.default {
            Fallback::None | Fallback::Required => String::new(),
            shown => format!(" (default: {})", shown.shown()),
        };
        out += &format!(
            "  {}\n      {} [{}]{default}\n",
            flag.trim_end(),
            opt.help,
            opt.variable()
        );
    }
    out += "  -h, --help\n      print this help\n  --version\n      print the version\n";
    out += "\nCredentials, only from the environment (never flags):\n";
    for opt in OPTIONS.iter().filter(|o| o.secret.is_some()) {
        out += &format!("  {}\n      {}\n", opt.variable(), opt.help);
    }
    out += "  --token-file PATH stands in for SERVICESTAGE_TOKEN.\n";
    out += "  Fallbacks: HW_USER_NAME, HW_DOMAIN_NAME, HW_PASSWORD (password login); and, only \
            when nothing\n  else is set, huaweicloud/auth-action's HUAWEI_CLOUD_ACCESS_KEY_ID, \
            HUAWEI_CLOUD_SECRET_ACCESS_KEY,\n  HUAWEI_CLOUD_REGION, HUAWEI_CLOUD_PROJECT_ID.\n\n";
    out + EXIT_CODES
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
        Err(exit) if exit.status.is_ok() => Err(Early::Print(help(command))),
        Err(exit) => {
            let first = exit.output.lines().next().unwrap_or("invalid arguments");
            Err(Early::Usage(first.trim_end_matches('.').to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flag_parses_into_its_field() {
        for opt in OPTIONS.iter().filter(|o| o.secret.is_none()) {
            let flag = opt.flag().unwrap();
            let argv: Vec<&str> = match opt.value {
                "" => vec![&flag],
                _ => vec![&flag, "x"],
            };
            let args = parse("gate", &argv).unwrap_or_else(|e| panic!("{flag}: {e:?}"));
            assert_ne!(
                format!("{args:?}"),
                format!("{:?}", parse("gate", &[]).unwrap()),
                "{flag}"
            );
        }
    }

    #[test]
    fn help_lists_every_option_its_variable_and_default() {
        let help = help("gate");
        for opt in OPTIONS {
            assert!(help.contains(&opt.variable()), "{}", opt.variable());
        }
        assert!(help.contains("  --poll-interval DUR\n"));
        assert!(help.contains("[SERVICESTAGE_POLL_INTERVAL] (default: 15s)"));
        assert!(help.contains("  -v, --verbose\n"));
    }
}
