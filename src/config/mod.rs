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
mod region_hint;
mod service;
mod values;

use std::path::PathBuf;
use std::time::Duration;

pub use crate::cli::env_name;
pub use crate::secret::{
    Credentials, Endpoint, HeaderValue, Scheme, Secret, Token, parse_endpoint,
};
pub use endpoint::parse_region;
pub use env::{Env, var};
pub use output::{Annotations, Ci, Format, GithubFiles, ReportOptions, Symbols, detect_ci};
pub use service::Service;
pub use values::MAX_DURATION;

use crate::backend::{MAX_PAGES, PER_PAGE};
use crate::cli::{Args, opt};
use crate::error::Error;
use crate::model::CommitPrefix;
use crate::rules::{self, RuleConfig};
use crate::servicestage::is_documented_job_name;
use env::Lookup;
use region_hint::{SDK_REGIONS, region_hint};
use service::{resolve_job_id, resolve_service};
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
    /// Which service runs the job (`--backend`).
    pub service: Service,
    pub source: Source,
    pub rules: RuleConfig,
    pub wait: Duration,
    pub poll_interval: Duration,
    /// `--inconclusive pass`: an inconclusive verdict exits 0.
    pub inconclusive_passes: bool,
    /// `--unavailable pass`: a job the service could not answer for is `unavailable`, exit 0.
    pub unavailable_passes: bool,
    pub format: Format,
    pub annotations: Annotations,
    pub junit: Option<PathBuf>,
    pub verbose: bool,
    /// `$GITHUB_STEP_SUMMARY` and `$GITHUB_OUTPUT`, when annotations are `github`.
    pub github_files: GithubFiles,
    /// What the renderers are told: the CI, the strip's marks (`--ascii`, the locale),
    /// `--max-duration` for the chart, the saved response judged.
    pub report: ReportOptions,
    /// A region the official SDKs do not list: the line naming the closest listed one, for
    /// a warning before any request.
    pub region_hint: Option<String>,
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
    // After `--` nothing is an option.
    let end = args.iter().position(|a| *a == "--").unwrap_or(args.len());
    let args = &args[..end];
    let flag = args.iter().enumerate().rev().find_map(|(i, arg)| {
        match (arg.strip_prefix("--format="), *arg == "--format") {
            (Some(value), _) => Some(value),
            (None, true) => args.get(i + 1).copied(),
            (None, false) => None,
        }
    });
    let variable = || var(env, &opt::FORMAT.row.variable()).ok().flatten();
    match flag.map(str::to_string).or_else(variable) {
        Some(f) if f.trim().eq_ignore_ascii_case("json") => Format::Json,
        _ => Format::Text,
    }
}

/// The job as given, read apart from everything else so that even a usage error can name
/// it; an unreadable or empty value is left out here (`resolve` rejects it).
pub fn job(args: &Args, env: Env) -> JobRef {
    let lookup = Lookup { args, env };
    let read = |flag| lookup.get(flag).ok().flatten().map(|s| s.value);
    JobRef {
        id: read(opt::JOB_ID),
        name: read(opt::JOB_NAME),
    }
}

/// The jobs `--job` names, read apart like `job`, so a usage error is reported in the
/// several-jobs shape; empty without `--job` (or when it cannot be read).
pub fn named_jobs(args: &Args, env: Env) -> Vec<JobRef> {
    let names = Lookup { args, env }.list(opt::JOB).map(|(_, names)| names);
    let named = |name: String| JobRef {
        id: None,
        name: Some(name),
    };
    names.unwrap_or_default().into_iter().map(named).collect()
}

/// Where the builds come from: a saved response (`--input`, `-` for stdin) or the API.
fn resolve_source(
    lookup: &Lookup,
    (job, jobs): (&JobRef, Vec<JobRef>),
    rules: &RuleConfig,
    service: &Service,
) -> Result<(Source, Option<String>), Error> {
    let source = match lookup.get(opt::INPUT)? {
        Some(_) if service.is_codearts() => {
            return Err(Error::Usage(
                "--input judges a saved ServiceStage build list; with --backend codearts the \
                 builds are read from the API"
                    .into(),
            ));
        }
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
        None => {
            let (api, region_hint) = resolve_api(lookup, job, !jobs.is_empty(), service)?;
            return Ok((
                Source::Api {
                    api: Box::new(api),
                    jobs,
                },
                region_hint,
            ));
        }
    };
    Ok((source, None))
}

/// Resolves and validates everything the gate needs. Reads no file and no process state.
pub fn resolve(args: &Args, env: Env) -> Result<Config, Error> {
    let lookup = Lookup { args, env };
    let ci = detect_ci(env)?;
    let (format, annotations) = resolve_output(&lookup, ci)?;
    let rules = resolve_rules(&lookup)?;
    let wait = lookup.parsed_or_default(opt::WAIT, parse_duration)?;
    let poll_interval = lookup.parsed_or_default(opt::POLL_INTERVAL, parse_poll_interval)?;
    let inconclusive_passes = lookup.parsed_or_default(opt::INCONCLUSIVE, |s| {
        parse_choice(s, &[("pass", true), ("fail", false)])
    })?;
    let unavailable_passes = lookup.parsed_or_default(opt::UNAVAILABLE, |s| {
        parse_choice(s, &[("pass", true), ("fail", false)])
    })?;
    let junit = lookup.get(opt::JUNIT)?.map(|s| PathBuf::from(s.value));
    let verbose = lookup.switch(opt::VERBOSE)?;
    let service = resolve_service(&lookup)?;
    let job = JobRef {
        id: resolve_job_id(&lookup, &service)?,
        name: lookup.get(opt::JOB_NAME)?.map(|s| s.value),
    };
    let jobs = resolve_jobs(&lookup, &job, &service)?;
    let (source, region_hint) = resolve_source(&lookup, (&job, jobs), &rules, &service)?;
    let report = resolve_report(&lookup, ci, &rules, &source)?;
    let github_files = GithubFiles {
        step_summary: lookup.var("GITHUB_STEP_SUMMARY")?.map(PathBuf::from),
        output: lookup.var("GITHUB_OUTPUT")?.map(PathBuf::from),
    };
    Ok(Config {
        job,
        service,
        source,
        rules,
        wait,
        poll_interval,
        inconclusive_passes,
        unavailable_passes,
        format,
        annotations,
        junit,
        verbose,
        github_files,
        report,
        region_hint,
    })
}

/// How the renderers draw; `main` adds the time.
fn resolve_report(
    lookup: &Lookup,
    ci: Ci,
    rules: &RuleConfig,
    source: &Source,
) -> Result<ReportOptions, Error> {
    // The locale only picks the strip's marks: read it leniently, not as a setting.
    let locale = |name: &str| (lookup.env)(name).map(|v| v.to_string_lossy().into_owned());
    let saved_input = match source {
        Source::Saved(path) => Some(
            path.as_ref()
                .map_or("stdin".into(), |p| p.display().to_string()),
        ),
        Source::Api { .. } => None,
    };
    Ok(ReportOptions {
        ci,
        now: 0,
        symbols: Symbols::choose(lookup.switch(opt::ASCII)?, locale),
        max_duration: rules.max_duration,
        saved_input,
    })
}

/// `--job` / `SERVICESTAGE_JOB`: names whose ids are looked up, each once.
fn resolve_jobs(lookup: &Lookup, single: &JobRef, service: &Service) -> Result<Vec<JobRef>, Error> {
    let (origin, names) = lookup.list(opt::JOB)?;
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
        // `--job` takes names only: the way out is a run of its own, not `--job-id` here.
        let advice = "gate that job in a run of its own, with --job-id and --job-name";
        if !service.is_codearts() {
            check_job_name(&origin, &name, advice)?;
        }
        // ServiceStage matches names case-insensitively (`api` and `API` are one job),
        // CodeArts exactly.
        let same = |n: &String| match service {
            Service::ServiceStage => n.eq_ignore_ascii_case(&name),
            Service::CodeArts(_) => *n == name,
        };
        if jobs.iter().flat_map(|j| &j.name).any(same) {
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
fn resolve_advisory(lookup: &Lookup, rules: &RuleConfig) -> Result<Vec<&'static str>, Error> {
    let (origin, names) = lookup.list(opt::ADVISORY)?;
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

fn resolve_output(lookup: &Lookup, ci: Ci) -> Result<(Format, Annotations), Error> {
    let format = lookup.parsed_or_default(opt::FORMAT, |s| {
        parse_choice(s, &[("text", Format::Text), ("json", Format::Json)])
    })?;
    let annotations = lookup.parsed_or_default(opt::ANNOTATIONS, |s| {
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

fn resolve_rules(lookup: &Lookup) -> Result<RuleConfig, Error> {
    let (origin, states) = lookup.list(opt::REQUIRE_STATE)?;
    let require_states =
        parse_states(&states).map_err(|why| Error::Usage(format!("{origin}: {why}")))?;
    let window = lookup.parsed_or_default(opt::WINDOW, parse_window)?;
    let min_builds = resolve_min_builds(lookup, window)?;
    let build_id = lookup
        .get(opt::BUILD_ID)?
        .map(|s| s.value.trim().to_string());
    let commit = lookup.parsed(opt::COMMIT, CommitPrefix::parse)?;
    if commit.is_some() && build_id.is_some() {
        return Err(Error::Usage(
            "--commit and --build-id both pick the build to judge; give one".to_string(),
        ));
    }
    let mut rules = RuleConfig {
        build_id,
        commit,
        ignore_running: lookup.switch(opt::IGNORE_RUNNING)?,
        require_states,
        max_duration: lookup.parsed(opt::MAX_DURATION, parse_duration)?,
        window,
        min_builds,
        min_success_rate: lookup.parsed(opt::MIN_SUCCESS_RATE, parse_success_rate)?,
        max_consecutive_failures: lookup.parsed(opt::MAX_CONSECUTIVE_FAILURES, parse_count)?,
        max_duration_regression: lookup
            .parsed(opt::MAX_DURATION_REGRESSION, parse_regression_percent)?,
        advisory: Vec::new(),
    };
    rules.advisory = resolve_advisory(lookup, &rules)?;
    Ok(rules)
}

/// `--min-builds`, at most the window: more could never be decided.
fn resolve_min_builds(lookup: &Lookup, window: usize) -> Result<usize, Error> {
    Ok(match lookup.get(opt::MIN_BUILDS)? {
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
        // Neither flag nor variable: this is the table's default.
        None => lookup
            .parsed_or_default(opt::MIN_BUILDS, parse_count)?
            .min(window),
    })
}

/// With `several` (`--job`) no single job is needed: each named job is looked up.
/// Also the hint for a region the official SDKs do not list.
fn resolve_api(
    lookup: &Lookup,
    job: &JobRef,
    several: bool,
    service: &Service,
) -> Result<(Api, Option<String>), Error> {
    if !several && job.name.is_none() {
        return Err(Error::Usage(format!(
            "--job-name is required (or set {}), unless --input is given",
            opt::JOB_NAME.row.variable()
        )));
    }
    // The name pattern matters only when the name is all there is to find the id by.
    if !several
        && job.id.is_none()
        && !service.is_codearts()
        && let Some(setting) = lookup.get(opt::JOB_NAME)?
    {
        check_job_name(&setting.origin, &setting.value, "pass the id with --job-id")?;
    }
    service.check_lookup(several || job.id.is_none(), several)?;
    let timeout = lookup.parsed_or_default(opt::TIMEOUT, parse_positive_duration)?;
    let retries = lookup.parsed_or_default(opt::RETRIES, |s| match parse_count(s)? {
        n @ 0..=10 => Ok(n as u32),
        n => Err(format!("{n} is too many (at most 10)")),
    })?;
    let region = lookup.parsed(opt::REGION, parse_region)?;
    let project_id = resolve_project_id(lookup)?;
    let place = credentials::Place {
        region: region.as_deref(),
        project_id: project_id.as_ref(),
    };
    // Credentials first: the auth action's key pair brings its own region.
    let resolved = credentials::resolve(lookup, place)?;
    let region_hint = unlisted_region(lookup, resolved.region.as_deref())?;
    let api = Api {
        endpoint: resolve_endpoint(lookup, resolved.region.as_deref(), service)?,
        project_id: resolved.project_id,
        credentials: resolved.credentials,
        timeout,
        retries,
        ca_certs: resolve_ca_certs(lookup)?,
        region_hint: region_hint.clone(),
    };
    Ok((api, region_hint))
}

/// The name pattern, enforced only when the id is looked up by name; `advice` is the way
/// out that the flag the name came from allows.
fn check_job_name(origin: &str, name: &str, advice: &str) -> Result<(), Error> {
    if is_documented_job_name(name) {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "{origin}: {name:?} is not a ServiceStage job name (2 to 64 letters, digits, '-' or \
         '_', starting with a letter and ending with a letter or digit), so its id cannot be \
         looked up; {advice}"
    )))
}

/// The hint for a region the official SDKs do not list, naming where it was set: the
/// flag or its variable, else the auth action's variable that brought it.
fn unlisted_region(lookup: &Lookup, region: Option<&str>) -> Result<Option<String>, Error> {
    let Some(region) = region else {
        return Ok(None);
    };
    let origin = match lookup.get(opt::REGION)? {
        Some(setting) => setting.origin,
        None => "HUAWEI_CLOUD_REGION".to_string(),
    };
    // The European site's regions are listed by the SDKs of other services, and documented.
    let listed = [SDK_REGIONS, crate::secret::EU_SITE_REGIONS].concat();
    Ok(region_hint(&origin, region, &listed))
}

/// `--ca-cert`, then `$SSL_CERT_FILE`: both are trusted.
fn resolve_ca_certs(lookup: &Lookup) -> Result<Vec<PathBuf>, Error> {
    let flag = lookup.get(opt::CA_CERT)?.map(|s| PathBuf::from(s.value));
    let variable = lookup.var("SSL_CERT_FILE")?.map(PathBuf::from);
    Ok(flag.into_iter().chain(variable).collect())
}

/// `--project-id`, `SERVICESTAGE_PROJECT_ID`, then `HUAWEICLOUD_SDK_PROJECT_ID`; trimmed.
fn resolve_project_id(lookup: &Lookup) -> Result<Option<HeaderValue>, Error> {
    if let Some(id) = lookup.parsed(opt::PROJECT_ID, HeaderValue::parse)? {
        return Ok(Some(id));
    }
    let sdk = "HUAWEICLOUD_SDK_PROJECT_ID";
    let value = lookup.var(sdk)?.map(|v| HeaderValue::parse(v.trim()));
    value
        .transpose()
        .map_err(|why| Error::Usage(format!("{sdk}: {why}")))
}

/// `--endpoint`, else the region's (given, or the auth action's).
fn resolve_endpoint(
    lookup: &Lookup,
    region: Option<&str>,
    service: &Service,
) -> Result<Endpoint, Error> {
    if let Some(endpoint) = lookup.parsed(opt::ENDPOINT, parse_endpoint)? {
        return Ok(endpoint);
    }
    match region {
        Some(region) => service.endpoint(region).map_err(Error::Usage),
        None => Err(Error::Usage(format!(
            "--endpoint or --region is required (or set {} or {})",
            opt::ENDPOINT.row.variable(),
            opt::REGION.row.variable()
        ))),
    }
}

#[cfg(test)]
mod tests;
