//! Resolves parsed arguments and the environment into a validated `Config`.
//! Precedence: flag, then `SERVICESTAGE_<FLAG>`, then the default. The environment is a
//! parameter, so this is a pure function that tests call with a map.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::cli::Args;
use crate::error::Error;
use crate::model::State;
use crate::rules::{Percent, RuleConfig};

/// Reads one environment variable; `None` when unset.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub job: JobRef,
    pub source: Source,
    pub rules: RuleConfig,
    pub wait: Duration,
    pub poll_interval: Duration,
    /// `--inconclusive pass`: an inconclusive verdict exits 0.
    pub inconclusive_passes: bool,
    pub format: Format,
    pub annotations: Annotations,
    pub junit: Option<PathBuf>,
    pub verbose: bool,
    /// `$GITHUB_STEP_SUMMARY` and `$GITHUB_OUTPUT`, when annotations are `github`.
    pub github_files: GithubFiles,
    /// Which CI runs the gate, for CI-specific touches in the text report.
    pub ci: Ci,
}

/// The job as the user named it; both are `None` when judging a saved response without them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobRef {
    pub id: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// `--input`: a saved response; `None` is stdin.
    Saved(Option<PathBuf>),
    Api(Box<Api>),
}

/// Everything the HTTP client needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    pub endpoint: Endpoint,
    pub job_id: String,
    pub job_name: String,
    pub project_id: Option<String>,
    pub credentials: Credentials,
    pub timeout: Duration,
    pub retries: u32,
    pub ca_certs: Vec<PathBuf>,
}

/// A credential that must never be printed: `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<hidden>)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// An IAM token, sent as `X-Auth-Token`.
    Token(Secret),
    /// An IAM token to read from this file when the client starts.
    TokenFile(PathBuf),
    /// An access key pair: requests are signed with SDK-HMAC-SHA256.
    AccessKey {
        ak: String,
        sk: Secret,
        security_token: Option<Secret>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

/// A validated API base URL: http(s), a host, maybe a port and a path prefix; no query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub scheme: Scheme,
    /// As written in the URL: IPv6 addresses keep their brackets.
    pub host: String,
    pub port: Option<u16>,
    /// Without a trailing slash; empty for the root.
    pub base_path: String,
}

impl Endpoint {
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let (scheme, rest) = if let Some(rest) = strip_prefix_ignore_case(url, "https://") {
            (Scheme::Https, rest)
        } else if let Some(rest) = strip_prefix_ignore_case(url, "http://") {
            (Scheme::Http, rest)
        } else {
            return Err(format!("{url:?} is not an http:// or https:// URL"));
        };
        if rest.contains(['?', '#']) {
            return Err(format!("{url:?} must not have a query or fragment"));
        }
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if authority.contains('@') {
            return Err(format!("{url:?} must not carry user information"));
        }
        let (host, port) = split_host_port(authority)
            .ok_or_else(|| format!("{url:?} has an invalid host or port"))?;
        if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("{url:?} has spaces in its path"));
        }
        Ok(Endpoint {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
            base_path: path.trim_end_matches('/').to_string(),
        })
    }

    fn default_port(&self) -> u16 {
        match self.scheme {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    /// The `Host` header: the host, with the port when it is not the scheme's default.
    pub fn host_header(&self) -> String {
        match self.port {
            Some(port) if port != self.default_port() => format!("{}:{port}", self.host),
            _ => self.host.clone(),
        }
    }

    /// `scheme://host[:port]`: the only origin credentials are sent to.
    pub fn origin(&self) -> String {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        format!("{scheme}://{}", self.host_header())
    }

    pub fn is_loopback(&self) -> bool {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        host == "localhost"
            || host.ends_with(".localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')?;
        let (host, rest) = authority.split_at(end + 1);
        host[1..end].parse::<std::net::Ipv6Addr>().ok()?;
        (host, rest.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let valid_host = !host.is_empty()
        && (host.starts_with('[')
            || host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'));
    let port = match port {
        Some(port) => Some(port.parse::<u16>().ok().filter(|p| *p != 0)?),
        None => None,
    };
    valid_host.then_some((host, port))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Annotations {
    Github,
    Azure,
    None,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GithubFiles {
    pub step_summary: Option<PathBuf>,
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ci {
    Github,
    Azure,
    Gitlab,
    Jenkins,
    Other,
}

/// Detects the CI from its well-known variables.
pub fn detect_ci(env: Env) -> Ci {
    let is = |name: &str, value: &str| env(name).is_some_and(|v| v.eq_ignore_ascii_case(value));
    if is("GITHUB_ACTIONS", "true") {
        Ci::Github
    } else if is("TF_BUILD", "true") {
        Ci::Azure
    } else if is("GITLAB_CI", "true") {
        Ci::Gitlab
    } else if non_empty(env("JENKINS_URL")).is_some() {
        Ci::Jenkins
    } else {
        Ci::Other
    }
}

/// The environment variable that stands in for a flag: `--max-duration` -> `SERVICESTAGE_MAX_DURATION`.
pub fn env_name(flag: &str) -> String {
    format!(
        "SERVICESTAGE_{}",
        flag.to_ascii_uppercase().replace('-', "_")
    )
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// One value and where it came from, so an error can name the flag or variable.
struct Setting {
    origin: String,
    value: String,
}

impl Setting {
    fn parse<T>(&self, parse: impl FnOnce(&str) -> Result<T, String>) -> Result<T, Error> {
        parse(self.value.trim()).map_err(|why| Error::Usage(format!("{}: {why}", self.origin)))
    }
}

/// Looks settings up: flag first, then its variable.
struct Lookup<'a> {
    env: Env<'a>,
}

impl Lookup<'_> {
    fn get(&self, flag: &str, value: &Option<String>) -> Option<Setting> {
        if let Some(value) = value {
            return Some(Setting {
                origin: format!("--{flag}"),
                value: value.clone(),
            });
        }
        let name = env_name(flag);
        non_empty((self.env)(&name)).map(|value| Setting {
            origin: name,
            value,
        })
    }

    fn parsed<T>(
        &self,
        flag: &str,
        value: &Option<String>,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, Error> {
        self.get(flag, value).map(|s| s.parse(parse)).transpose()
    }

    fn switch(&self, flag: &str, value: bool) -> Result<bool, Error> {
        if value {
            return Ok(true);
        }
        Ok(self.parsed(flag, &None, parse_bool)?.unwrap_or(false))
    }
}

fn parse_bool(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(format!(
            "invalid switch value {s:?} (expected true or false)"
        )),
    }
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s)
        .map_err(|_| format!("invalid duration {s:?} (expected e.g. 90s, 15m, 1h 30m)"))
}

fn parse_positive_duration(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        Duration::ZERO => Err(format!("must be longer than zero, got {s:?}")),
        d => Ok(d),
    }
}

fn parse_percent(s: &str) -> Result<Percent, String> {
    let number = s.strip_suffix('%').unwrap_or(s).trim();
    match number.parse::<f64>() {
        Ok(p) if p.is_finite() && (0.0..=100.0).contains(&p) && !number.starts_with('+') => {
            Ok(Percent(p))
        }
        _ => Err(format!(
            "invalid percentage {s:?} (expected a number from 0 to 100, e.g. 95, 95% or 99.5)"
        )),
    }
}

/// A regression allowance may exceed 100% (twice the median is +100%).
fn parse_regression_percent(s: &str) -> Result<Percent, String> {
    let number = s.strip_suffix('%').unwrap_or(s).trim();
    match number.parse::<f64>() {
        Ok(p) if p.is_finite() && p >= 0.0 && !number.starts_with('+') => Ok(Percent(p)),
        _ => Err(format!(
            "invalid percentage {s:?} (expected a number of 0 or more, e.g. 20 or 20%)"
        )),
    }
}

fn parse_count(s: &str) -> Result<usize, String> {
    s.parse::<usize>()
        .map_err(|_| format!("invalid number {s:?} (expected a whole number of 0 or more)"))
}

fn parse_states(values: &[&str]) -> Result<Vec<State>, String> {
    let mut states = Vec::new();
    for raw in values.iter().flat_map(|v| v.split(',')).map(str::trim) {
        if raw.is_empty() {
            continue;
        }
        let state = State::parse_terminal(raw).ok_or_else(|| {
            format!("unknown state {raw:?} (expected Successful, Failed, Timeout or Cancel)")
        })?;
        if !states.contains(&state) {
            states.push(state);
        }
    }
    if states.is_empty() {
        return Err("no state given (expected Successful, Failed, Timeout or Cancel)".into());
    }
    Ok(states)
}

fn parse_choice<T: Copy>(s: &str, choices: &[(&str, T)]) -> Result<T, String> {
    choices
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(s))
        .map(|(_, value)| *value)
        .ok_or_else(|| {
            let names: Vec<_> = choices.iter().map(|(name, _)| *name).collect();
            format!("invalid value {s:?} (expected {})", names.join(", "))
        })
}

fn parse_region(s: &str) -> Result<String, String> {
    let valid = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    valid
        .then(|| s.to_string())
        .ok_or_else(|| format!("invalid region {s:?} (expected e.g. cn-north-4)"))
}

fn parse_endpoint(s: &str) -> Result<Endpoint, String> {
    let endpoint = Endpoint::parse(s)?;
    if endpoint.scheme == Scheme::Http && !endpoint.is_loopback() {
        return Err(format!(
            "{s:?} uses plain http:// to a host that is not loopback; credentials would travel \
             unencrypted (use https://)"
        ));
    }
    Ok(endpoint)
}

/// Where the output format can be told before the arguments parse, for usage errors.
pub fn requested_format(args: &[&str], env: Env) -> Format {
    let flag = args
        .windows(2)
        .rev()
        .find(|pair| pair[0] == "--format")
        .map(|pair| pair[1].to_string());
    match flag.or_else(|| non_empty(env(&env_name("format")))) {
        Some(f) if f.trim().eq_ignore_ascii_case("json") => Format::Json,
        _ => Format::Text,
    }
}

/// The job as given, read apart from everything else so that even a usage error can name it.
pub fn job(args: &Args, env: Env) -> JobRef {
    let lookup = Lookup { env };
    JobRef {
        id: lookup.get("job-id", &args.job_id).map(|s| s.value),
        name: lookup.get("job-name", &args.job_name).map(|s| s.value),
    }
}

/// Resolves and validates everything the gate needs. Reads no file and no process state.
pub fn resolve(args: &Args, env: Env) -> Result<Config, Error> {
    let lookup = Lookup { env };

    let format = lookup
        .parsed("format", &args.format, |s| {
            parse_choice(s, &[("text", Format::Text), ("json", Format::Json)])
        })?
        .unwrap_or(Format::Text);
    let ci = detect_ci(env);
    let annotations = lookup
        .parsed("annotations", &args.annotations, |s| {
            parse_choice(
                s,
                &[
                    ("auto", None),
                    ("github", Some(Annotations::Github)),
                    ("azure", Some(Annotations::Azure)),
                    ("none", Some(Annotations::None)),
                ],
            )
        })?
        .flatten()
        .unwrap_or(match ci {
            Ci::Github => Annotations::Github,
            Ci::Azure => Annotations::Azure,
            _ => Annotations::None,
        });

    let rules = resolve_rules(args, &lookup)?;
    let wait = lookup
        .parsed("wait", &args.wait, parse_duration)?
        .unwrap_or_default();
    let poll_interval = lookup
        .parsed(
            "poll-interval",
            &args.poll_interval,
            parse_positive_duration,
        )?
        .unwrap_or(Duration::from_secs(15));
    let inconclusive_passes = lookup
        .parsed("inconclusive", &args.inconclusive, |s| {
            parse_choice(s, &[("pass", true), ("fail", false)])
        })?
        .unwrap_or(false);
    let junit = lookup
        .get("junit", &args.junit)
        .map(|s| PathBuf::from(s.value));
    let verbose = lookup.switch("verbose", args.verbose)?;

    let job = job(args, env);
    let source = match lookup.get("input", &args.input) {
        Some(input) if input.value.trim() == "-" => Source::Saved(None),
        Some(input) => Source::Saved(Some(PathBuf::from(input.value))),
        None => Source::Api(Box::new(resolve_api(args, &lookup, &job)?)),
    };

    Ok(Config {
        job,
        source,
        rules,
        wait,
        poll_interval,
        inconclusive_passes,
        format,
        annotations,
        junit,
        verbose,
        github_files: GithubFiles {
            step_summary: non_empty(env("GITHUB_STEP_SUMMARY")).map(PathBuf::from),
            output: non_empty(env("GITHUB_OUTPUT")).map(PathBuf::from),
        },
        ci,
    })
}

fn resolve_rules(args: &Args, lookup: &Lookup) -> Result<RuleConfig, Error> {
    let defaults = RuleConfig::default();
    let require_states = if args.require_state.is_empty() {
        let from_env = lookup.get("require-state", &None);
        match from_env {
            Some(setting) => setting.parse(|s| parse_states(&[s]))?,
            None => defaults.require_states,
        }
    } else {
        let values: Vec<&str> = args.require_state.iter().map(String::as_str).collect();
        parse_states(&values).map_err(|why| Error::Usage(format!("--require-state: {why}")))?
    };
    let window = lookup.get("window", &args.window);
    let window_size = match &window {
        Some(setting) => setting.parse(|s| match parse_count(s)? {
            0 => Err("must be at least 1".to_string()),
            n => Ok(n),
        })?,
        None => defaults.window,
    };
    let min_builds = lookup.get("min-builds", &args.min_builds);
    let min_builds = match min_builds {
        Some(setting) => {
            let n = setting.parse(parse_count)?;
            if n > window_size {
                return Err(Error::Usage(format!(
                    "{}: {n} is more than the window of {window_size} builds (--window), so the \
                     history rules could never be decided",
                    setting.origin
                )));
            }
            n
        }
        None => defaults.min_builds.min(window_size),
    };
    Ok(RuleConfig {
        build_id: lookup
            .get("build-id", &args.build_id)
            .map(|s| s.value.trim().to_string()),
        ignore_running: lookup.switch("ignore-running", args.ignore_running)?,
        require_states,
        max_duration: lookup.parsed("max-duration", &args.max_duration, parse_duration)?,
        window: window_size,
        min_builds,
        min_success_rate: lookup.parsed(
            "min-success-rate",
            &args.min_success_rate,
            parse_percent,
        )?,
        max_consecutive_failures: lookup.parsed(
            "max-consecutive-failures",
            &args.max_consecutive_failures,
            parse_count,
        )?,
        max_duration_regression: lookup.parsed(
            "max-duration-regression",
            &args.max_duration_regression,
            parse_regression_percent,
        )?,
    })
}

fn resolve_api(args: &Args, lookup: &Lookup, job: &JobRef) -> Result<Api, Error> {
    let env = lookup.env;
    let required = |value: &Option<String>, flag: &str| {
        value.clone().ok_or_else(|| {
            Error::Usage(format!(
                "--{flag} is required (or set {}), unless --input is given",
                env_name(flag)
            ))
        })
    };
    let job_id = required(&job.id, "job-id")?;
    let job_name = required(&job.name, "job-name")?;

    let endpoint = match lookup.parsed("endpoint", &args.endpoint, parse_endpoint)? {
        Some(endpoint) => endpoint,
        None => match lookup.parsed("region", &args.region, parse_region)? {
            Some(region) => {
                Endpoint::parse(&format!("https://servicestage.{region}.myhuaweicloud.com"))
                    .map_err(Error::Usage)?
            }
            None => {
                return Err(Error::Usage(
                    "--endpoint or --region is required (or set SERVICESTAGE_ENDPOINT or \
                     SERVICESTAGE_REGION)"
                        .into(),
                ));
            }
        },
    };

    let timeout = lookup
        .parsed("timeout", &args.timeout, parse_positive_duration)?
        .unwrap_or(Duration::from_secs(30));
    let retries = lookup
        .parsed("retries", &args.retries, |s| match parse_count(s)? {
            n @ 0..=10 => Ok(n as u32),
            n => Err(format!("{n} is too many (at most 10)")),
        })?
        .unwrap_or(3);
    let project_id = lookup
        .get("project-id", &args.project_id)
        .map(|s| s.value)
        .or_else(|| non_empty(env("HUAWEICLOUD_SDK_PROJECT_ID")));
    let mut ca_certs: Vec<PathBuf> = lookup
        .get("ca-cert", &args.ca_cert)
        .map(|s| PathBuf::from(s.value))
        .into_iter()
        .collect();
    ca_certs.extend(non_empty(env("SSL_CERT_FILE")).map(PathBuf::from));

    Ok(Api {
        endpoint,
        job_id,
        job_name,
        project_id: project_id.map(|p| p.trim().to_string()),
        credentials: resolve_credentials(args, lookup)?,
        timeout,
        retries,
        ca_certs,
    })
}

fn resolve_credentials(args: &Args, lookup: &Lookup) -> Result<Credentials, Error> {
    let env = |name: &str| non_empty((lookup.env)(name));
    let token = env("SERVICESTAGE_TOKEN");
    let token_file = lookup.get("token-file", &args.token_file);
    let ak = env("HUAWEICLOUD_SDK_AK");
    let sk = env("HUAWEICLOUD_SDK_SK");
    let security_token = env("HUAWEICLOUD_SDK_SECURITY_TOKEN");
    let usage = |m: &str| Err(Error::Usage(m.to_string()));

    let token = match (token, token_file) {
        (Some(_), Some(file)) => {
            return usage(&format!(
                "both SERVICESTAGE_TOKEN and {} are set; keep one of them",
                file.origin
            ));
        }
        (Some(token), None) => Some(Credentials::Token(Secret::new(token.trim().to_string()))),
        (None, Some(file)) => Some(Credentials::TokenFile(PathBuf::from(file.value))),
        (None, None) => None,
    };
    let access_key = match (ak, sk) {
        (Some(ak), Some(sk)) => Some(Credentials::AccessKey {
            ak: ak.trim().to_string(),
            sk: Secret::new(sk.trim().to_string()),
            security_token: security_token.map(|t| Secret::new(t.trim().to_string())),
        }),
        (Some(_), None) => {
            return usage(
                "HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK is not; set both or neither",
            );
        }
        (None, Some(_)) => {
            return usage(
                "HUAWEICLOUD_SDK_SK is set but HUAWEICLOUD_SDK_AK is not; set both or neither",
            );
        }
        (None, None) if security_token.is_some() => {
            return usage(
                "HUAWEICLOUD_SDK_SECURITY_TOKEN is set without HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK; temporary credentials need all three",
            );
        }
        (None, None) => None,
    };
    match (token, access_key) {
        (Some(_), Some(_)) => usage(
            "both a token (SERVICESTAGE_TOKEN or --token-file) and an access key \
             (HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK) are set; keep one of them",
        ),
        (Some(credentials), None) | (None, Some(credentials)) => Ok(credentials),
        (None, None) => usage(
            "no credentials: set SERVICESTAGE_TOKEN (or --token-file), or HUAWEICLOUD_SDK_AK and \
             HUAWEICLOUD_SDK_SK",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn resolve_with(argv: &[&str], vars: &[(&str, &str)]) -> Result<Config, Error> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let env = move |name: &str| map.get(name).cloned();
        let args = crate::cli::parse("servicestage-gate", argv)
            .map_err(|e| Error::Usage(format!("{e:?}")))?;
        resolve(&args, &env)
    }

    const API: &[&str] = &[
        "--job-id",
        "j1",
        "--job-name",
        "build",
        "--region",
        "cn-north-4",
    ];
    const TOKEN: (&str, &str) = ("SERVICESTAGE_TOKEN", "t0ken");

    fn api(config: &Config) -> &Api {
        match &config.source {
            Source::Api(api) => api,
            other => panic!("not an API source: {other:?}"),
        }
    }

    #[test]
    fn flag_beats_environment_beats_default() {
        let config = resolve_with(&["--input", "x.json"], &[]).unwrap();
        assert_eq!(config.rules.window, 10);
        assert_eq!(config.poll_interval, Duration::from_secs(15));
        let config =
            resolve_with(&["--input", "x.json"], &[("SERVICESTAGE_WINDOW", "20")]).unwrap();
        assert_eq!(config.rules.window, 20);
        let config = resolve_with(
            &["--input", "x.json", "--window", "30"],
            &[("SERVICESTAGE_WINDOW", "20")],
        )
        .unwrap();
        assert_eq!(config.rules.window, 30);
        let config = resolve_with(&["--input", "x.json"], &[("SERVICESTAGE_WINDOW", "")]).unwrap();
        assert_eq!(config.rules.window, 10, "an empty variable is unset");
    }

    #[test]
    fn every_flag_has_its_variable() {
        let vars = [
            ("SERVICESTAGE_JOB_ID", "id 1"),
            ("SERVICESTAGE_JOB_NAME", "name 1"),
            ("SERVICESTAGE_ENDPOINT", "https://example.test:8443/base/"),
            ("SERVICESTAGE_PROJECT_ID", "p1"),
            ("SERVICESTAGE_BUILD_ID", "b7"),
            ("SERVICESTAGE_IGNORE_RUNNING", "true"),
            ("SERVICESTAGE_REQUIRE_STATE", "successful, cancel"),
            ("SERVICESTAGE_MAX_DURATION", "1h 30m"),
            ("SERVICESTAGE_WINDOW", "5"),
            ("SERVICESTAGE_MIN_BUILDS", "2"),
            ("SERVICESTAGE_MIN_SUCCESS_RATE", "99.5%"),
            ("SERVICESTAGE_MAX_CONSECUTIVE_FAILURES", "0"),
            ("SERVICESTAGE_MAX_DURATION_REGRESSION", "150"),
            ("SERVICESTAGE_WAIT", "10m"),
            ("SERVICESTAGE_POLL_INTERVAL", "250ms"),
            ("SERVICESTAGE_INCONCLUSIVE", "pass"),
            ("SERVICESTAGE_TIMEOUT", "5s"),
            ("SERVICESTAGE_RETRIES", "0"),
            ("SERVICESTAGE_FORMAT", "JSON"),
            ("SERVICESTAGE_ANNOTATIONS", "azure"),
            ("SERVICESTAGE_JUNIT", "out/junit.xml"),
            ("SERVICESTAGE_VERBOSE", "1"),
            ("SERVICESTAGE_TOKEN_FILE", "/run/token"),
            ("SERVICESTAGE_CA_CERT", "/etc/proxy-ca.pem"),
        ];
        let config = resolve_with(&[], &vars).unwrap();
        let api = api(&config);
        assert_eq!(
            (api.job_id.as_str(), api.job_name.as_str()),
            ("id 1", "name 1")
        );
        assert_eq!(api.endpoint.origin(), "https://example.test:8443");
        assert_eq!(api.endpoint.base_path, "/base");
        assert_eq!(api.project_id.as_deref(), Some("p1"));
        assert_eq!(api.timeout, Duration::from_secs(5));
        assert_eq!(api.retries, 0);
        assert_eq!(api.credentials, Credentials::TokenFile("/run/token".into()));
        assert_eq!(api.ca_certs, vec![PathBuf::from("/etc/proxy-ca.pem")]);
        let rules = &config.rules;
        assert_eq!(rules.build_id.as_deref(), Some("b7"));
        assert!(rules.ignore_running);
        assert_eq!(rules.require_states, vec![State::Successful, State::Cancel]);
        assert_eq!(rules.max_duration, Some(Duration::from_secs(5400)));
        assert_eq!((rules.window, rules.min_builds), (5, 2));
        assert_eq!(rules.min_success_rate, Some(Percent(99.5)));
        assert_eq!(rules.max_consecutive_failures, Some(0));
        assert_eq!(rules.max_duration_regression, Some(Percent(150.0)));
        assert_eq!(config.wait, Duration::from_secs(600));
        assert_eq!(config.poll_interval, Duration::from_millis(250));
        assert!(config.inconclusive_passes);
        assert_eq!(config.format, Format::Json);
        assert_eq!(config.annotations, Annotations::Azure);
        assert_eq!(config.junit, Some(PathBuf::from("out/junit.xml")));
        assert!(config.verbose);
    }

    #[test]
    fn input_needs_no_job_or_credentials() {
        let config = resolve_with(&["--input", "-"], &[]).unwrap();
        assert_eq!(config.source, Source::Saved(None));
        assert_eq!(config.job, JobRef::default());
    }

    #[test]
    fn require_state_repeats_and_splits() {
        let argv = [
            "--input",
            "-",
            "--require-state",
            "Successful,failed",
            "--require-state",
            "CANCEL",
        ];
        let config = resolve_with(&argv, &[]).unwrap();
        assert_eq!(
            config.rules.require_states,
            vec![State::Successful, State::Failed, State::Cancel]
        );
    }

    #[test]
    fn region_and_endpoint() {
        let config = resolve_with(API, &[TOKEN]).unwrap();
        assert_eq!(
            api(&config).endpoint.origin(),
            "https://servicestage.cn-north-4.myhuaweicloud.com"
        );
        let mut argv = API.to_vec();
        argv.extend(["--endpoint", "http://127.0.0.1:8080"]);
        let config = resolve_with(&argv, &[TOKEN]).unwrap();
        assert_eq!(
            api(&config).endpoint.origin(),
            "http://127.0.0.1:8080",
            "--endpoint wins over --region"
        );
        for loopback in ["http://localhost:1", "http://[::1]:9/x", "http://127.9.9.9"] {
            let argv = ["--job-id", "j", "--job-name", "n", "--endpoint", loopback];
            assert!(resolve_with(&argv, &[TOKEN]).is_ok(), "{loopback}");
        }
    }

    #[test]
    fn project_id_falls_back_to_the_sdk_variable() {
        let sdk = ("HUAWEICLOUD_SDK_PROJECT_ID", "sdk-project");
        assert_eq!(
            api(&resolve_with(API, &[TOKEN, sdk]).unwrap())
                .project_id
                .as_deref(),
            Some("sdk-project")
        );
        let both = [TOKEN, sdk, ("SERVICESTAGE_PROJECT_ID", "gate-project")];
        assert_eq!(
            api(&resolve_with(API, &both).unwrap())
                .project_id
                .as_deref(),
            Some("gate-project")
        );
    }

    #[test]
    fn credentials() {
        let ak = ("HUAWEICLOUD_SDK_AK", "AK1");
        let sk = ("HUAWEICLOUD_SDK_SK", "SK1");
        let st = ("HUAWEICLOUD_SDK_SECURITY_TOKEN", "ST1");
        let config = resolve_with(API, &[ak, sk, st]).unwrap();
        assert_eq!(
            api(&config).credentials,
            Credentials::AccessKey {
                ak: "AK1".into(),
                sk: Secret::new("SK1".into()),
                security_token: Some(Secret::new("ST1".into()))
            }
        );
        assert_eq!(
            api(&resolve_with(API, &[TOKEN]).unwrap()).credentials,
            Credentials::Token(Secret::new("t0ken".into()))
        );
        assert!(
            !format!("{:?}", resolve_with(API, &[ak, sk, st]).unwrap()).contains("SK1"),
            "Debug hides secrets"
        );
    }

    #[test]
    fn usage_errors_name_the_flag_or_variable() {
        let input = ["--input", "x.json"];
        let with = |extra: &[&'static str]| [&input[..], extra].concat();
        type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);
        let cases: Vec<Case> = vec![
            (
                with(&["--max-duration", "5 parsecs"]),
                vec![],
                r#"--max-duration: invalid duration "5 parsecs" (expected e.g. 90s, 15m, 1h 30m)"#,
            ),
            (
                input.to_vec(),
                vec![("SERVICESTAGE_MAX_DURATION", "soon")],
                r#"SERVICESTAGE_MAX_DURATION: invalid duration "soon""#,
            ),
            (
                with(&["--wait", "forever"]),
                vec![],
                "--wait: invalid duration",
            ),
            (
                with(&["--poll-interval", "0s"]),
                vec![],
                "--poll-interval: must be longer than zero",
            ),
            (
                with(&["--min-success-rate", "101"]),
                vec![],
                r#"--min-success-rate: invalid percentage "101" (expected a number from 0 to 100"#,
            ),
            (
                with(&["--min-success-rate", "-1%"]),
                vec![],
                "--min-success-rate: invalid percentage",
            ),
            (
                with(&["--min-success-rate", "ninety"]),
                vec![],
                "--min-success-rate: invalid percentage",
            ),
            (
                with(&["--max-duration-regression", "-5"]),
                vec![],
                "--max-duration-regression: invalid percentage",
            ),
            (
                with(&["--window", "0"]),
                vec![],
                "--window: must be at least 1",
            ),
            (
                with(&["--window", "ten"]),
                vec![],
                r#"--window: invalid number "ten""#,
            ),
            (
                with(&["--min-builds", "-1"]),
                vec![],
                "--min-builds: invalid number",
            ),
            (
                with(&["--min-builds", "11"]),
                vec![],
                "--min-builds: 11 is more than the window of 10 builds",
            ),
            (
                with(&["--max-consecutive-failures", "1.5"]),
                vec![],
                "--max-consecutive-failures: invalid number",
            ),
            (
                with(&["--require-state", "Sucessful"]),
                vec![],
                r#"--require-state: unknown state "Sucessful" (expected Successful, Failed, Timeout or Cancel)"#,
            ),
            (
                input.to_vec(),
                vec![("SERVICESTAGE_REQUIRE_STATE", "Building")],
                r#"SERVICESTAGE_REQUIRE_STATE: unknown state "Building""#,
            ),
            (
                with(&["--require-state", ","]),
                vec![],
                "--require-state: no state given",
            ),
            (
                with(&["--format", "yaml"]),
                vec![],
                r#"--format: invalid value "yaml" (expected text, json)"#,
            ),
            (
                with(&["--annotations", "gitlab"]),
                vec![],
                "--annotations: invalid value \"gitlab\" (expected auto, github, azure, none)",
            ),
            (
                with(&["--inconclusive", "maybe"]),
                vec![],
                "--inconclusive: invalid value \"maybe\" (expected pass, fail)",
            ),
            (
                input.to_vec(),
                vec![("SERVICESTAGE_VERBOSE", "sure")],
                "SERVICESTAGE_VERBOSE: invalid switch value",
            ),
            (
                vec!["--job-name", "n", "--region", "r"],
                vec![TOKEN],
                "--job-id is required (or set SERVICESTAGE_JOB_ID)",
            ),
            (
                vec!["--job-id", "j", "--region", "r"],
                vec![TOKEN],
                "--job-name is required",
            ),
            (
                vec!["--job-id", "j", "--job-name", "n"],
                vec![TOKEN],
                "--endpoint or --region is required",
            ),
            (
                vec!["--job-id", "j", "--job-name", "n", "--region", "cn north"],
                vec![TOKEN],
                r#"--region: invalid region "cn north""#,
            ),
            (
                vec![
                    "--job-id",
                    "j",
                    "--job-name",
                    "n",
                    "--endpoint",
                    "http://servicestage.example.com",
                ],
                vec![TOKEN],
                "--endpoint: \"http://servicestage.example.com\" uses plain http://",
            ),
            (
                vec!["--job-id", "j", "--job-name", "n", "--endpoint", "ftp://x"],
                vec![TOKEN],
                "--endpoint: \"ftp://x\" is not an http:// or https:// URL",
            ),
            (
                vec![
                    "--job-id",
                    "j",
                    "--job-name",
                    "n",
                    "--endpoint",
                    "https://x/?a=1",
                ],
                vec![TOKEN],
                "must not have a query or fragment",
            ),
            (
                vec![
                    "--job-id",
                    "j",
                    "--job-name",
                    "n",
                    "--endpoint",
                    "https://u:p@x",
                ],
                vec![TOKEN],
                "must not carry user information",
            ),
            (
                vec![
                    "--job-id",
                    "j",
                    "--job-name",
                    "n",
                    "--endpoint",
                    "https://x:99999",
                ],
                vec![TOKEN],
                "invalid host or port",
            ),
            (
                API.to_vec(),
                vec![("SERVICESTAGE_TIMEOUT", "0")],
                "SERVICESTAGE_TIMEOUT: must be longer than zero",
            ),
            (
                [API, &["--retries", "11"]].concat(),
                vec![TOKEN],
                "--retries: 11 is too many",
            ),
            (
                API.to_vec(),
                vec![],
                "no credentials: set SERVICESTAGE_TOKEN",
            ),
            (
                API.to_vec(),
                vec![("HUAWEICLOUD_SDK_AK", "a")],
                "HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK is not",
            ),
            (
                API.to_vec(),
                vec![("HUAWEICLOUD_SDK_SK", "s")],
                "HUAWEICLOUD_SDK_SK is set but HUAWEICLOUD_SDK_AK is not",
            ),
            (
                API.to_vec(),
                vec![("HUAWEICLOUD_SDK_SECURITY_TOKEN", "s")],
                "HUAWEICLOUD_SDK_SECURITY_TOKEN is set without",
            ),
            (
                API.to_vec(),
                vec![
                    TOKEN,
                    ("HUAWEICLOUD_SDK_AK", "a"),
                    ("HUAWEICLOUD_SDK_SK", "s"),
                ],
                "both a token (SERVICESTAGE_TOKEN or --token-file) and an access key",
            ),
            (
                [API, &["--token-file", "/t"]].concat(),
                vec![TOKEN],
                "both SERVICESTAGE_TOKEN and --token-file are set",
            ),
        ];
        for (argv, vars, expected) in cases {
            match resolve_with(&argv, &vars) {
                Err(Error::Usage(message)) => assert!(
                    message.contains(expected),
                    "{argv:?}: {message}\n  lacks {expected}"
                ),
                other => panic!("{argv:?} {vars:?}: expected a usage error, got {other:?}"),
            }
        }
    }

    #[test]
    fn annotations_auto_detects_the_ci() {
        let cases = [
            (
                vec![("GITHUB_ACTIONS", "true")],
                Annotations::Github,
                Ci::Github,
            ),
            (vec![("TF_BUILD", "True")], Annotations::Azure, Ci::Azure),
            (vec![("GITLAB_CI", "true")], Annotations::None, Ci::Gitlab),
            (
                vec![("JENKINS_URL", "https://ci/")],
                Annotations::None,
                Ci::Jenkins,
            ),
            (
                vec![("GITHUB_ACTIONS", "false")],
                Annotations::None,
                Ci::Other,
            ),
        ];
        for (vars, annotations, ci) in cases {
            let config = resolve_with(&["--input", "-"], &vars).unwrap();
            assert_eq!(
                (config.annotations, config.ci),
                (annotations, ci),
                "{vars:?}"
            );
        }
        let forced = resolve_with(
            &["--input", "-", "--annotations", "none"],
            &[("GITHUB_ACTIONS", "true")],
        )
        .unwrap();
        assert_eq!(forced.annotations, Annotations::None);
    }

    #[test]
    fn endpoint_parts() {
        let cases = [
            (
                "https://servicestage.cn-north-4.myhuaweicloud.com",
                "servicestage.cn-north-4.myhuaweicloud.com",
                "",
                false,
            ),
            ("HTTPS://Example.COM:443/", "example.com", "", false),
            ("http://127.0.0.1:8080/api/", "127.0.0.1:8080", "/api", true),
            ("http://[::1]:80", "[::1]", "", true),
        ];
        for (url, host, base, loopback) in cases {
            let endpoint = Endpoint::parse(url).unwrap();
            assert_eq!(
                (
                    endpoint.host_header().as_str(),
                    endpoint.base_path.as_str(),
                    endpoint.is_loopback()
                ),
                (host, base, loopback),
                "{url}"
            );
        }
    }

    #[test]
    fn requested_format_is_read_before_parsing() {
        let none = |_: &str| None;
        assert_eq!(
            requested_format(&["--bogus", "--format", "json"], &none),
            Format::Json
        );
        assert_eq!(
            requested_format(&["--bogus"], &|_: &str| Some("json".into())),
            Format::Json
        );
        assert_eq!(requested_format(&["--bogus"], &none), Format::Text);
    }
}
