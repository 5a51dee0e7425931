//! Resolves parsed arguments and the environment into a validated `Config`.
//! Precedence: flag, then `SERVICESTAGE_<FLAG>`, then the options table's default. The
//! environment is a parameter, so this is a pure function that tests call with a map.
//!
//! One concern per file: `env` reads settings, `values` parses them, `endpoint` checks the
//! URL, `credentials` picks the credential, `output` says where results go.

mod credentials;
mod endpoint;
mod env;
mod output;
mod values;

use std::path::PathBuf;
use std::time::Duration;

pub use crate::secret::{
    Credentials, Endpoint, HeaderValue, Scheme, Secret, Token, parse_endpoint,
};
pub use endpoint::parse_region;
pub use env::{Env, env_name, var};
pub use output::{Annotations, Ci, Format, GithubFiles, detect_ci};
pub use values::MAX_DURATION;

use crate::backend::{MAX_PAGES, PER_PAGE};
use crate::cli::Args;
use crate::error::Error;
use crate::model::CommitPrefix;
use crate::report::chart::Symbols;
use crate::rules::{self, RuleConfig};
use crate::servicestage::{self, check_job_name};
use env::Lookup;
use values::*;

/// Largest `--window`: with `--commit` and history rules the gate pages until twice the
/// window is in hand, and it never reads more than `MAX_PAGES` pages of `PER_PAGE`.
const MAX_WINDOW: usize = (MAX_PAGES * PER_PAGE / 2) as usize;

/// A `--window`: 1 to `MAX_WINDOW` builds.
fn parse_window(s: &str) -> Result<usize, String> {
    match parse_count(s)? {
        0 => Err("must be at least 1".to_string()),
        n if n > MAX_WINDOW => Err(format!(
            "{n} is more than {MAX_WINDOW} (a `--commit` search with history rules reads up \
             to twice the window, and the gate reads at most {} builds)",
            MAX_WINDOW * 2
        )),
        n => Ok(n),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The job as the user named it (`--job-id`, `--job-name`); empty with `--job`.
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
    /// The marks of the text report's history strip (`--ascii`, the locale).
    pub symbols: Symbols,
}

/// The job as the user named it; both are `None` when judging a saved response without them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobRef {
    pub id: Option<String>,
    pub name: Option<String>,
}

/// Where the builds come from: one saved response, or the API for one job or several.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// `--input`: a saved response, judged as `Config::job`; `None` is stdin.
    Saved(Option<PathBuf>),
    /// The API: the job `Config::job` names, or with `--job` the `jobs` named, by name,
    /// in the order given.
    Api { api: Box<Api>, jobs: Vec<JobRef> },
}

/// Everything the HTTP client needs.
pub type Api = crate::http::Settings;

/// Where the output format can be told before the arguments parse, for usage errors. Best
/// effort: an unreadable variable here counts as unset (the usage error says why anyway).
pub fn requested_format(args: &[&str], env: Env) -> Format {
    let flag = args
        .windows(2)
        .rev()
        .find(|pair| pair[0] == "--format")
        .map(|pair| pair[1].to_string());
    let variable = || var(env, &env_name("format")).ok().flatten();
    match flag.or_else(variable) {
        Some(f) if f.trim().eq_ignore_ascii_case("json") => Format::Json,
        _ => Format::Text,
    }
}

/// The job as given, read apart from everything else so that even a usage error can name
/// it; an unreadable or empty value is left out here (`resolve` rejects it).
pub fn job(args: &Args, env: Env) -> JobRef {
    let lookup = Lookup { env };
    let read = |name, flag| lookup.get(name, flag).ok().flatten().map(|s| s.value);
    JobRef {
        id: read("job-id", &args.job_id),
        name: read("job-name", &args.job_name),
    }
}

/// The jobs `--job` names, read apart like `job`, so a usage error is reported in the
/// several-jobs shape; empty without `--job` (or when it cannot be read).
pub fn named_jobs(args: &Args, env: Env) -> Vec<JobRef> {
    let names = Lookup { env }
        .list("job", &args.job)
        .map(|(_, names)| names);
    let named = |name: String| JobRef {
        id: None,
        name: Some(name),
    };
    names.unwrap_or_default().into_iter().map(named).collect()
}

/// Where the builds come from: a saved response (`--input`, `-` for stdin) or the API.
fn resolve_source(
    args: &Args,
    lookup: &Lookup,
    job: &JobRef,
    jobs: Vec<JobRef>,
    rules: &RuleConfig,
) -> Result<Source, Error> {
    Ok(match lookup.get("input", &args.input)? {
        Some(_) if !jobs.is_empty() => {
            return Err(Error::Usage(
                "--job gates jobs through the API; --input judges one saved response".into(),
            ));
        }
        Some(_) if rules.commit.is_some() => {
            return Err(Error::Usage(
                "--commit needs the API's build details; it cannot be judged from --input"
                    .to_string(),
            ));
        }
        Some(input) if input.value.trim() == "-" => Source::Saved(None),
        Some(input) => Source::Saved(Some(PathBuf::from(input.value))),
        None => Source::Api {
            api: Box::new(resolve_api(args, lookup, job, !jobs.is_empty())?),
            jobs,
        },
    })
}

/// Resolves and validates everything the gate needs. Reads no file and no process state.
pub fn resolve(args: &Args, env: Env) -> Result<Config, Error> {
    let lookup = Lookup { env };
    let ci = detect_ci(env)?;
    let (format, annotations) = resolve_output(args, &lookup, ci)?;
    let rules = resolve_rules(args, &lookup)?;
    let wait = lookup.parsed_or_default("wait", &args.wait, parse_duration)?;
    let poll_interval =
        lookup.parsed_or_default("poll-interval", &args.poll_interval, parse_poll_interval)?;
    let inconclusive_passes =
        lookup.parsed_or_default("inconclusive", &args.inconclusive, |s| {
            parse_choice(s, &[("pass", true), ("fail", false)])
        })?;
    let junit = lookup
        .get("junit", &args.junit)?
        .map(|s| PathBuf::from(s.value));
    let verbose = lookup.switch("verbose", args.verbose)?;
    let job = JobRef {
        id: lookup.get("job-id", &args.job_id)?.map(|s| s.value),
        name: lookup.get("job-name", &args.job_name)?.map(|s| s.value),
    };
    let jobs = resolve_jobs(args, &lookup, &job)?;
    let source = resolve_source(args, &lookup, &job, jobs, &rules)?;
    // The locale only picks the strip's marks: read it leniently, not as a setting.
    let locale = |name: &str| env(name).map(|v| v.to_string_lossy().into_owned());
    let symbols = Symbols::choose(lookup.switch("ascii", args.ascii)?, locale);
    let github_files = GithubFiles {
        step_summary: lookup.var("GITHUB_STEP_SUMMARY")?.map(PathBuf::from),
        output: lookup.var("GITHUB_OUTPUT")?.map(PathBuf::from),
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
        github_files,
        ci,
        symbols,
    })
}

/// `--job` / `SERVICESTAGE_JOB`: names whose ids are looked up, each once.
fn resolve_jobs(args: &Args, lookup: &Lookup, single: &JobRef) -> Result<Vec<JobRef>, Error> {
    let (origin, names) = lookup.list("job", &args.job)?;
    if names.is_empty() {
        return Ok(Vec::new());
    }
    if single.id.is_some() || single.name.is_some() {
        return Err(Error::Usage(format!(
            "{origin} names the jobs to gate; it cannot be combined with --job-id or --job-name"
        )));
    }
    let mut jobs: Vec<JobRef> = Vec::new();
    for name in names {
        check_job_name(&origin, &name)?;
        // The lookup matches names case-insensitively: `api` and `API` are one job.
        let seen = jobs.iter().flat_map(|j| &j.name);
        if seen.into_iter().any(|n| n.eq_ignore_ascii_case(&name)) {
            return Err(Error::Usage(format!("{origin}: job {name} is named twice")));
        }
        jobs.push(JobRef {
            id: None,
            name: Some(name),
        });
    }
    Ok(jobs)
}

/// `--advisory`: rule names that are enabled and not `state`, each once.
fn resolve_advisory(
    args: &Args,
    lookup: &Lookup,
    rules: &RuleConfig,
) -> Result<Vec<&'static str>, Error> {
    let (origin, names) = lookup.list("advisory", &args.advisory)?;
    let mut advisory = Vec::new();
    for name in names {
        let Some(rule) = rules::ALL
            .into_iter()
            .find(|r| r.eq_ignore_ascii_case(&name))
        else {
            return Err(Error::Usage(format!(
                "{origin}: unknown rule {name:?} (expected one of {})",
                rules::ALL.join(", ")
            )));
        };
        if rule == rules::STATE {
            return Err(Error::Usage(format!(
                "{origin}: the state rule cannot be advisory"
            )));
        }
        if !rules.enabled(rule) {
            return Err(Error::Usage(format!(
                "{origin}: rule {rule} is not enabled; set --{rule} to evaluate it"
            )));
        }
        if !advisory.contains(&rule) {
            advisory.push(rule);
        }
    }
    Ok(advisory)
}

fn resolve_output(args: &Args, lookup: &Lookup, ci: Ci) -> Result<(Format, Annotations), Error> {
    let format = lookup.parsed_or_default("format", &args.format, |s| {
        parse_choice(s, &[("text", Format::Text), ("json", Format::Json)])
    })?;
    let annotations = lookup.parsed_or_default("annotations", &args.annotations, |s| {
        parse_choice(
            s,
            &[
                ("auto", None),
                ("github", Some(Annotations::Github)),
                ("azure", Some(Annotations::Azure)),
                ("none", Some(Annotations::None)),
            ],
        )
    })?;
    let detected = match ci {
        Ci::Github => Annotations::Github,
        Ci::Azure => Annotations::Azure,
        _ => Annotations::None,
    };
    Ok((format, annotations.unwrap_or(detected)))
}

fn resolve_rules(args: &Args, lookup: &Lookup) -> Result<RuleConfig, Error> {
    let require_states = if args.require_state.is_empty() {
        let setting = lookup.get_or_default("require-state", &None)?;
        let setting = setting.expect("--require-state has a default");
        setting.parse(|s| parse_states(&[s]))?
    } else {
        let values: Vec<&str> = args.require_state.iter().map(String::as_str).collect();
        parse_states(&values).map_err(|why| Error::Usage(format!("--require-state: {why}")))?
    };
    let window = lookup.parsed_or_default("window", &args.window, parse_window)?;
    let min_builds = resolve_min_builds(args, lookup, window)?;
    let build_id = lookup
        .get("build-id", &args.build_id)?
        .map(|s| s.value.trim().to_string());
    let commit = lookup.parsed("commit", &args.commit, CommitPrefix::parse)?;
    if commit.is_some() && build_id.is_some() {
        return Err(Error::Usage(
            "--commit and --build-id both pick the build to judge; give one".to_string(),
        ));
    }
    let mut rules = RuleConfig {
        build_id,
        commit,
        ignore_running: lookup.switch("ignore-running", args.ignore_running)?,
        require_states,
        max_duration: lookup.parsed("max-duration", &args.max_duration, parse_duration)?,
        window,
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
        advisory: Vec::new(),
    };
    rules.advisory = resolve_advisory(args, lookup, &rules)?;
    Ok(rules)
}

/// `--min-builds`, at most the window: more could never be decided.
fn resolve_min_builds(args: &Args, lookup: &Lookup, window: usize) -> Result<usize, Error> {
    Ok(match lookup.get("min-builds", &args.min_builds)? {
        Some(setting) => {
            let n = setting.parse(parse_count)?;
            if n > window {
                return Err(Error::Usage(format!(
                    "{}: {n} is more than the window of {window} builds (--window), so the \
                     history rules could never be decided",
                    setting.origin
                )));
            }
            n
        }
        None => lookup
            .parsed_or_default("min-builds", &None, parse_count)?
            .min(window),
    })
}

/// With `several` (`--job`) no single job is needed: each named job is looked up.
fn resolve_api(args: &Args, lookup: &Lookup, job: &JobRef, several: bool) -> Result<Api, Error> {
    if !several && job.name.is_none() {
        return Err(Error::Usage(format!(
            "--job-name is required (or set {}), unless --input is given",
            env_name("job-name")
        )));
    }
    // The name pattern matters only when the name is all there is to find the id by.
    if !several
        && job.id.is_none()
        && let Some(setting) = lookup.get("job-name", &args.job_name)?
    {
        check_job_name(&setting.origin, &setting.value)?;
    }
    let timeout = lookup.parsed_or_default("timeout", &args.timeout, parse_positive_duration)?;
    let retries =
        lookup.parsed_or_default("retries", &args.retries, |s| match parse_count(s)? {
            n @ 0..=10 => Ok(n as u32),
            n => Err(format!("{n} is too many (at most 10)")),
        })?;
    let region = lookup.parsed("region", &args.region, parse_region)?;
    let project_id = resolve_project_id(args, lookup)?;
    let place = credentials::Place {
        region: region.as_deref(),
        project_id: project_id.as_ref(),
    };
    // Credentials first: the auth action's key pair brings its own region.
    let resolved = credentials::resolve(args, lookup, place)?;
    let mut ca_certs: Vec<PathBuf> = lookup
        .get("ca-cert", &args.ca_cert)?
        .map(|s| PathBuf::from(s.value))
        .into_iter()
        .collect();
    ca_certs.extend(lookup.var("SSL_CERT_FILE")?.map(PathBuf::from));
    Ok(Api {
        endpoint: resolve_endpoint(args, lookup, resolved.region.as_deref())?,
        project_id: resolved.project_id,
        credentials: resolved.credentials,
        timeout,
        retries,
        ca_certs,
    })
}

/// `--project-id`, `SERVICESTAGE_PROJECT_ID`, then `HUAWEICLOUD_SDK_PROJECT_ID`; trimmed.
fn resolve_project_id(args: &Args, lookup: &Lookup) -> Result<Option<HeaderValue>, Error> {
    if let Some(id) = lookup.parsed("project-id", &args.project_id, HeaderValue::parse)? {
        return Ok(Some(id));
    }
    let sdk = "HUAWEICLOUD_SDK_PROJECT_ID";
    let value = lookup.var(sdk)?.map(|v| HeaderValue::parse(v.trim()));
    value
        .transpose()
        .map_err(|why| Error::Usage(format!("{sdk}: {why}")))
}

/// `--endpoint`, else the region's (given, or the auth action's).
fn resolve_endpoint(args: &Args, lookup: &Lookup, region: Option<&str>) -> Result<Endpoint, Error> {
    if let Some(endpoint) = lookup.parsed("endpoint", &args.endpoint, parse_endpoint)? {
        return Ok(endpoint);
    }
    match region {
        Some(region) => servicestage::endpoint(region).map_err(Error::Usage),
        None => Err(Error::Usage(format!(
            "--endpoint or --region is required (or set {} or {})",
            env_name("endpoint"),
            env_name("region")
        ))),
    }
}

#[cfg(test)]
mod tests;
