//! The options table and command-line parsing. Every option is declared once, in `options!`
//! below: that one entry makes the argh field, the typed handle `opt::NAME` config reads it
//! through, the `--help` line, the environment variable, the default `config` falls back to,
//! and the row the README and action.yml are tested against. Values stay raw strings here;
//! `config` resolves and validates them together with the environment.
//!
//! argh stays: it parses well, and the macro feeds it the same help text the table holds.
//! `--help` itself is rendered from the table, so it can show each variable and default.
//! Before argh sees the arguments, `split_values` accepts `--flag=value` and turns a
//! misspelt flag or a missing value into one line that names the flag.
//!
//! This is a foundation: it imports nothing of the crate.

use argh::FromArgs;

/// The audience of the GitHub ID token the gate requests itself; the IAM identity
/// provider's client ID must equal it. Like `sts.amazonaws.com` for AWS and
/// `sts.aliyuncs.com` for Alibaba Cloud, it names the service that exchanges the token,
/// so one identity provider serves every region and every tool that follows the convention.
pub const DEFAULT_OIDC_AUDIENCE: &str = "iam.myhuaweicloud.com";

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
    /// The handle's name (`JOB_ID`); the flag and the action input are its kebab case.
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
        self.id.to_ascii_lowercase().replace('_', "-")
    }

    /// The action input: the flag's name, except `jobs` for `--job` (one name per line).
    pub fn input(&self) -> String {
        match self.id {
            "JOB" => "jobs".to_string(),
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
            None => env_name(&self.name()),
        }
    }
}

/// The environment variable that stands in for a flag: `--max-duration` -> `SERVICESTAGE_MAX_DURATION`.
pub fn env_name(flag: &str) -> String {
    format!(
        "SERVICESTAGE_{}",
        flag.to_ascii_uppercase().replace('-', "_")
    )
}

/// A typed handle on one flag: its row, and where argh put its value (`Option<String>` for
/// a value, `Vec<String>` for a repeatable one, `bool` for a switch). `config` reads flags
/// only through these, so a misspelt flag fails to compile.
pub struct Flag<T: 'static> {
    pub row: Opt,
    pub value: fn(&Args) -> &T,
}

// Not derived: a derive would ask `T: Copy`, and only the fn pointer is copied.
impl<T> Clone for Flag<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Flag<T> {}

macro_rules! options {
    (
        flags { $( $handle:ident $id:ident: ($($ty:tt)+) [$($argh:tt)*] $value:tt, $default:expr, $help:tt; )* }
        secrets { $( $shandle:ident: $variable:tt, $shelp:tt; )* }
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

        /// One handle per option: a `Flag` for each flag, the row for each credential.
        pub mod opt {
            use super::*;
            $(
                pub const $handle: Flag<$($ty)+> = Flag {
                    row: Opt { id: stringify!($handle), value: $value, default: $default, help: $help, secret: None },
                    value: |args| &args.$id,
                };
            )*
            $(
                pub const $shandle: Opt = Opt { id: stringify!($shandle), value: "", default: Fallback::None, help: $shelp, secret: Some($variable) };
            )*
        }

        /// Every option, flags first, then the credentials only variables set.
        pub const OPTIONS: &[Opt] = &[ $( opt::$handle.row, )* $( opt::$shandle, )* ];

        /// Each flag's row and its parsed value as `Debug` shows it, for the test that every
        /// handle reads the field its flag fills.
        #[cfg(test)]
        const FLAG_VALUES: &[(Opt, fn(&Args) -> String)] = &[
            $( (opt::$handle.row, |args| format!("{:?}", (opt::$handle.value)(args))), )*
        ];
    };
}

use Fallback::{Described, Value};

options! {
    flags {
        JOB_ID job_id: (Option<String>) [option] "ID", Described("looked up by name"), "build job ID (CodeArts: 32 lower-case letters and digits); without it the ID is looked up from --job-name in the job list";
        JOB_NAME job_name: (Option<String>) [option] "NAME", Fallback::Required, "build job name (required without --input); to look a ServiceStage ID up: 2-64 letters, digits, - or _, starting with a letter, ending with a letter or digit";
        JOB job: (Vec<String>) [option] "NAME", Fallback::None, "gate several jobs by name, each with the same rules; repeatable or comma-separated; excludes --job-id and --job-name";
        BACKEND backend: (Option<String>) [option] "servicestage|codearts", Value("servicestage"), "the service that runs the build job: ServiceStage, or CodeArts Build (see docs/codearts.md)";
        CODEARTS_PROJECT codearts_project: (Option<String>) [option] "ID", Fallback::None, "the CodeArts project (32 lower-case letters and digits, from the console URL; not the IAM project ID) whose job list a name is looked up in; --backend codearts only";
        COMMIT commit: (Option<String>) [option] "SHA", Fallback::None, "judge the newest build of this commit (7 to 64 hex digits, a prefix of the commit ServiceStage builds)";
        ENDPOINT endpoint: (Option<String>) [option] "URL", Described("from --region"), "API base URL, e.g. https://servicestage.cn-north-4.myhuaweicloud.com; plain http:// only to loopback";
        REGION region: (Option<String>) [option] "REGION", Fallback::None, "region; the endpoint becomes https://servicestage.REGION.myhuaweicloud.com (cloudbuild-ext.REGION with --backend codearts; .myhuaweicloud.eu for eu-west-101)";
        PROJECT_ID project_id: (Option<String>) [option] "ID", Described("$HUAWEICLOUD_SDK_PROJECT_ID"), "project ID, sent as X-Project-Id";
        TOKEN_FILE token_file: (Option<String>) [option] "PATH", Fallback::None, "read the IAM token from this file";
        IAM_ENDPOINT iam_endpoint: (Option<String>) [option] "URL", Described("$HUAWEICLOUD_SDK_IAM_ENDPOINT, else from --region"), "IAM endpoint for password and OIDC logins";
        IAM_USER iam_user: (Option<String>) [option] "NAME", Fallback::None, "IAM user for a password login; the password only from SERVICESTAGE_IAM_PASSWORD";
        IAM_DOMAIN iam_domain: (Option<String>) [option] "NAME", Fallback::None, "account (domain) name of --iam-user";
        OIDC_AUDIENCE oidc_audience: (Option<String>) [option] "AUD", Value(DEFAULT_OIDC_AUDIENCE), "audience of the GitHub Actions ID token the gate requests for HUAWEICLOUD_SDK_IDP_ID";
        INPUT input: (Option<String>) [option] "PATH", Fallback::None, "judge a saved API response from this file, or - for stdin, instead of calling the API";
        BUILD_ID build_id: (Option<String>) [option] "ID", Described("newest build"), "judge this build instead of the newest one";
        IGNORE_RUNNING ignore_running: (bool) [switch] "", Described("off"), "judge the newest finished build, passing over running ones";
        REQUIRE_STATE require_state: (Vec<String>) [option] "STATE", Value("Successful"), "allowed states of the target: Successful, Failed, Timeout, Cancel; repeatable or comma-separated";
        MAX_DURATION max_duration: (Option<String>) [option] "DUR", Fallback::None, "the target's duration must be at most this, e.g. 20m";
        WINDOW window: (Option<String>) [option] "N", Value("10"), "how many recent finished builds the history rules look at";
        MIN_BUILDS min_builds: (Option<String>) [option] "N", Value("1"), "fewer finished builds than this in the window makes history rules inconclusive";
        MIN_SUCCESS_RATE min_success_rate: (Option<String>) [option] "PCT", Fallback::None, "minimum Successful / (Successful + Failed + Timeout) over the window, e.g. 90 or 90%";
        MAX_CONSECUTIVE_FAILURES max_consecutive_failures: (Option<String>) [option] "N", Fallback::None, "maximum length of the newest run of Failed/Timeout builds";
        MAX_DURATION_REGRESSION max_duration_regression: (Option<String>) [option] "PCT", Fallback::None, "the target may take at most this percentage longer than the median Successful build";
        ADVISORY advisory: (Vec<String>) [option] "RULE", Fallback::None, "report this rule but never let it change the verdict; repeatable or comma-separated; not state";
        WAIT wait: (Option<String>) [option] "DUR", Value("0"), "poll until the target has finished or this has passed, e.g. 30m (0: no waiting)";
        POLL_INTERVAL poll_interval: (Option<String>) [option] "DUR", Value("15s"), "time between polls while waiting (at least 1s)";
        INCONCLUSIVE inconclusive: (Option<String>) [option] "pass|fail", Value("fail"), "what an inconclusive verdict exits with";
        UNAVAILABLE unavailable: (Option<String>) [option] "pass|fail", Value("fail"), "pass: a job whose service was unreachable or failing (network, timeout, 5xx or throttling after retries) is unavailable, exit 0";
        TIMEOUT timeout: (Option<String>) [option] "DUR", Value("30s"), "limit for each HTTP request, connect to last byte";
        CA_CERT ca_cert: (Option<String>) [option] "PATH", Fallback::None, "PEM certificates trusted in addition to the built-in roots (also $SSL_CERT_FILE)";
        RETRIES retries: (Option<String>) [option] "N", Value("3"), "retries after a connection error, timeout, 429 or 5xx (0 to 10)";
        FORMAT format: (Option<String>) [option] "text|json", Value("text"), "what stdout gets";
        ANNOTATIONS annotations: (Option<String>) [option] "auto|github|azure|none", Value("auto"), "CI annotations; auto: github when GITHUB_ACTIONS=true, azure when TF_BUILD=True";
        JUNIT junit: (Option<String>) [option] "PATH", Fallback::None, "also write a JUnit XML report, one testcase per rule, to this path";
        ASCII ascii: (bool) [switch] "", Described("off; on when the locale is not UTF-8"), "draw the text report's history strip in ASCII (+ x T - .)";
        VERBOSE verbose: (bool) [switch, short = 'v'] "", Described("off"), "log each request (method, URL, status, bytes, time) to stderr";
    }
    secrets {
        TOKEN: "SERVICESTAGE_TOKEN", "IAM token, sent as X-Auth-Token";
        ACCESS_KEY: "HUAWEICLOUD_SDK_AK", "access key ID; requests are signed with SDK-HMAC-SHA256";
        SECRET_KEY: "HUAWEICLOUD_SDK_SK", "secret access key";
        SECURITY_TOKEN: "HUAWEICLOUD_SDK_SECURITY_TOKEN", "security token of temporary credentials, sent as X-Security-Token";
        OIDC_IDP_ID: "HUAWEICLOUD_SDK_IDP_ID", "IAM identity provider id: an OIDC ID token is exchanged there for an IAM token";
        ID_TOKEN_FILE: "HUAWEICLOUD_SDK_ID_TOKEN_FILE", "file holding the OIDC ID token (without it, in GitHub Actions, the job's own is requested)";
        IAM_PASSWORD: "SERVICESTAGE_IAM_PASSWORD", "password of --iam-user, for a password login at IAM";
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
         wins, and an empty variable counts as unset; a value follows its flag or an =, as in \
         --wait 5m or --wait=5m):\n"
    );
    for opt in OPTIONS.iter().filter(|o| o.secret.is_none()) {
        let short = if opt.id == "VERBOSE" { "-v, " } else { "" };
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
    let args = split_values(args).map_err(Early::Usage)?;
    match Args::from_args(&[command], &args) {
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

/// Options argh knows besides the table's flags; the short ones are never suggested.
const BUILT_IN: [&str; 4] = ["--help", "--version", "-h", "-v"];

/// Whether `token` is a flag that takes a value (`Some(true)`), a switch (`Some(false)`),
/// or no flag at all.
fn takes_value(token: &str) -> Option<bool> {
    if BUILT_IN.contains(&token) {
        return Some(false);
    }
    let name = token.strip_prefix("--")?;
    let row = OPTIONS
        .iter()
        .find(|o| o.secret.is_none() && o.name() == name)?;
    Some(!row.value.is_empty())
}

/// The arguments as argh takes them: `--flag=value` becomes `--flag value` (the value may
/// hold `=` itself). An unknown flag, a value given to a switch, and a flag whose value is
/// missing (last, or followed by another flag) are errors naming the flag. Everything after
/// `--` is left to argh, which ends options there.
fn split_values<'a>(args: &[&'a str]) -> Result<Vec<&'a str>, String> {
    let mut out = Vec::with_capacity(args.len());
    let mut rest = args.iter().copied();
    while let Some(arg) = rest.next() {
        if arg == "--" {
            out.push(arg);
            out.extend(rest);
            break;
        }
        // A positional argument (or a lone `-`): argh names it.
        if !arg.starts_with('-') || arg == "-" {
            out.push(arg);
            continue;
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value)),
            _ => (arg, None),
        };
        match (takes_value(flag), inline) {
            (None, _) => return Err(unknown_flag(flag)),
            (Some(false), Some(_)) => return Err(format!("{flag} is a switch and takes no value")),
            (Some(false), None) => out.push(flag),
            (Some(true), Some(value)) => out.extend([flag, value]),
            (Some(true), None) => match rest.next() {
                Some(value) if !looks_like_flag(value) => out.extend([flag, value]),
                next => return Err(missing_value(flag, next)),
            },
        }
    }
    Ok(out)
}

/// A token that stands where a value should and is a flag instead: `--wait --job-name web`
/// is a forgotten value, not a wait of "--job-name".
fn looks_like_flag(token: &str) -> bool {
    token.starts_with("--") || BUILT_IN.contains(&token)
}

fn missing_value(flag: &str, next: Option<&str>) -> String {
    let placeholder = OPTIONS
        .iter()
        .find(|o| o.flag().as_deref() == Some(flag))
        .map_or("", |o| o.value);
    match next {
        Some(next) => format!(
            "{flag} needs a value ({placeholder}), but {} follows it",
            next.escape_debug()
        ),
        None => format!("{flag} needs a value ({placeholder})"),
    }
}

/// The error for a flag argh does not know; the flag is shown escaped, so that a control
/// character in it cannot break the one line.
fn unknown_flag(flag: &str) -> String {
    let flags = OPTIONS.iter().filter_map(Opt::flag);
    let known = flags.chain(BUILT_IN[..2].iter().map(|f| f.to_string()));
    let shown = flag.escape_debug();
    match closest_flag(flag, known) {
        Some(near) => format!("unknown flag {shown}; did you mean {near}?"),
        None => format!("unknown flag {shown} (see --help)"),
    }
}

/// The known flag nearest to a misspelt one, if it is near enough to be what was meant:
/// one edit for a short name, a quarter of the name (at least two) for a longer one.
/// Case and the number of leading dashes do not count.
fn closest_flag(given: &str, known: impl Iterator<Item = String>) -> Option<String> {
    let given = given.trim_start_matches('-').to_ascii_lowercase();
    let limit = match given.chars().count() {
        0..=4 => 1,
        n => (n / 4).max(2),
    };
    let scored = known.map(|flag| (edit_distance(&given, &flag[2..]), flag));
    let (distance, flag) = scored.min_by_key(|(distance, _)| *distance)?;
    (distance <= limit).then_some(flag)
}

/// The edit distance between two names: insertions, deletions, substitutions and swaps of
/// two neighbours each count one (optimal string alignment), so `--regoin` is one from
/// `--region`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // d[i][j]: the distance between the first i chars of a and the first j of b.
    let mut d: Vec<Vec<usize>> = (0..=a.len())
        .map(|i| (0..=b.len()).map(|j| if i == 0 { j } else { i }).collect())
        .collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let substitution = d[i - 1][j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let mut best = substitution.min(d[i - 1][j] + 1).min(d[i][j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every handle reads the field its own flag fills: `--wait x` shows in `opt::WAIT`
    /// and in no other handle.
    #[test]
    fn every_flag_parses_into_its_handle() {
        let unset = parse("gate", &[]).unwrap();
        for (row, shown) in FLAG_VALUES {
            let flag = row.flag().unwrap();
            let argv: Vec<&str> = match row.value {
                "" => vec![&flag],
                _ => vec![&flag, "x"],
            };
            let args = parse("gate", &argv).unwrap_or_else(|e| panic!("{flag}: {e:?}"));
            for (other, other_shown) in FLAG_VALUES {
                let moved = other_shown(&args) != other_shown(&unset);
                assert_eq!(moved, other == row, "{flag} moved {}", other.name());
            }
            assert_ne!(shown(&args), shown(&unset), "{flag}");
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

    #[test]
    fn names_variables_and_inputs_come_from_the_handle() {
        let row = opt::MAX_DURATION.row;
        assert_eq!(row.name(), "max-duration");
        assert_eq!(row.flag().as_deref(), Some("--max-duration"));
        assert_eq!(row.variable(), "SERVICESTAGE_MAX_DURATION");
        assert_eq!(opt::JOB.row.input(), "jobs");
        assert_eq!(opt::ACCESS_KEY.input(), "access-key");
        assert_eq!(opt::ACCESS_KEY.variable(), "HUAWEICLOUD_SDK_AK");
        assert_eq!(opt::ACCESS_KEY.flag(), None);
        assert_eq!(OPTIONS.len(), FLAG_VALUES.len() + 7);
    }

    #[test]
    fn flag_equals_value_is_flag_then_value() {
        let cases: [(&[&str], &[&str]); 7] = [
            (&["--wait=5m"], &["--wait", "5m"]),
            (
                &["--endpoint=http://127.0.0.1:1/a?b=c"],
                &["--endpoint", "http://127.0.0.1:1/a?b=c"],
            ),
            (&["--job-id="], &["--job-id", ""]),
            (&["--input", "-", "-v"], &["--input", "-", "-v"]),
            (&["--job=a", "--job", "b"], &["--job", "a", "--job", "b"]),
            (&["--", "--wait=5m"], &["--", "--wait=5m"]),
            (&["web", "--ascii"], &["web", "--ascii"]),
        ];
        for (argv, expected) in cases {
            assert_eq!(split_values(argv).as_deref(), Ok(expected), "{argv:?}");
        }
        let args = parse("gate", &["--min-success-rate=90", "--job=a,b"]).unwrap();
        assert_eq!(args.min_success_rate.as_deref(), Some("90"));
        assert_eq!(args.job, ["a,b"]);
    }

    #[test]
    fn flag_mistakes_are_one_line_naming_the_flag() {
        let cases: [(&[&str], &str); 12] = [
            (
                &["--wait", "--job-name", "web"],
                "--wait needs a value (DUR), but --job-name follows it",
            ),
            (&["--window"], "--window needs a value (N)"),
            (
                &["--input", "-v"],
                "--input needs a value (PATH), but -v follows it",
            ),
            (
                &["--format", "--"],
                "--format needs a value (text|json), but -- follows it",
            ),
            (
                &["--jobname", "web"],
                "unknown flag --jobname; did you mean --job-name?",
            ),
            (
                &["--regoin=cn-north-4"],
                "unknown flag --regoin; did you mean --region?",
            ),
            (
                &["--Max-Duration", "5m"],
                "unknown flag --Max-Duration; did you mean --max-duration?",
            ),
            (
                &["-version"],
                "unknown flag -version; did you mean --version?",
            ),
            (&["--bogus"], "unknown flag --bogus (see --help)"),
            (
                &["--verbose=true"],
                "--verbose is a switch and takes no value",
            ),
            (&["--token", "t"], "unknown flag --token (see --help)"),
            (&["--x\ny"], "unknown flag --x\\ny (see --help)"),
        ];
        for (argv, expected) in cases {
            assert_eq!(
                parse("gate", argv),
                Err(Early::Usage(expected.to_string())),
                "{argv:?}"
            );
        }
    }

    #[test]
    fn edit_distances() {
        let cases = [
            ("", "", 0),
            ("wait", "wait", 0),
            ("", "abc", 3),
            ("regoin", "region", 1),
            ("jobname", "job-name", 1),
            ("kitten", "sitting", 3),
            ("ca", "abc", 3),
            ("cn-nrth-4", "cn-north-4", 1),
        ];
        for (a, b, distance) in cases {
            assert_eq!(edit_distance(a, b), distance, "{a} {b}");
            assert_eq!(edit_distance(b, a), distance, "{b} {a}");
        }
    }
}
