//! `--backend`: the service that runs the job, its endpoint in a region, and what CodeArts
//! Build needs besides: a job id of its shape and, to look a name up, `--codearts-project`,
//! both checked before anything is sent.

use super::env::{Lookup, Setting};
use super::values::parse_choice;
use crate::backend::Backend;
use crate::cli::opt;
use crate::codearts::{self, CodeArts, Id, IdKind};
use crate::error::Error;
use crate::http::Client;
use crate::secret::Endpoint;
use crate::servicestage::{self, ServiceStage};

/// The service whose build jobs the gate reads (`--backend`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Service {
    ServiceStage,
    /// CodeArts Build, with the project a job name is looked up in (`--codearts-project`).
    CodeArts(Option<Id>),
}

impl Service {
    /// The backend that reads this service's builds over `client`: where a run picks it.
    pub fn backend<'c>(&self, client: &'c Client<'c>) -> Box<dyn Backend + 'c> {
        match self {
            Service::ServiceStage => Box::new(ServiceStage::new(client)),
            Service::CodeArts(project) => Box::new(CodeArts::new(client, project.clone())),
        }
    }

    pub(super) fn is_codearts(&self) -> bool {
        matches!(self, Service::CodeArts(_))
    }

    /// The service's endpoint in `region`.
    pub(super) fn endpoint(&self, region: &str) -> Result<Endpoint, String> {
        match self {
            Service::ServiceStage => servicestage::endpoint(region),
            Service::CodeArts(_) => codearts::endpoint(region),
        }
    }

    /// A CodeArts job name is looked up in a project the user names: without one, a
    /// lookup (`looked_up`; every job of `--job` when `several`) is a usage error.
    pub(super) fn check_lookup(&self, looked_up: bool, several: bool) -> Result<(), Error> {
        if !(looked_up && *self == Service::CodeArts(None)) {
            return Ok(());
        }
        let or_id = match several {
            true => "",
            false => ", or give the job's id with --job-id",
        };
        Err(Error::Usage(format!(
            "--codearts-project is required (or set {}) to look a job up by name in CodeArts \
             Build{or_id}",
            opt::CODEARTS_PROJECT.row.variable()
        )))
    }
}

/// `--backend`, and for CodeArts `--codearts-project`, which nothing else reads.
pub(super) fn resolve_service(lookup: &Lookup) -> Result<Service, Error> {
    let codearts = lookup.parsed_or_default(opt::BACKEND, |s| {
        parse_choice(s, &[("servicestage", false), ("codearts", true)])
    })?;
    let project = lookup.get(opt::CODEARTS_PROJECT)?;
    match (codearts, project) {
        (false, None) => Ok(Service::ServiceStage),
        (false, Some(setting)) => Err(Error::Usage(format!(
            "{}: a CodeArts project is read only with --backend codearts",
            setting.origin
        ))),
        (true, project) => {
            let parse = |setting: Setting| setting.parse(|s| Id::parse(IdKind::Project, s));
            Ok(Service::CodeArts(project.map(parse).transpose()?))
        }
    }
}

/// `--job-id`: for CodeArts, a job id's shape (surrounding white space ignored).
pub(super) fn resolve_job_id(lookup: &Lookup, service: &Service) -> Result<Option<String>, Error> {
    if !service.is_codearts() {
        return Ok(lookup.get(opt::JOB_ID)?.map(|s| s.value));
    }
    let id = lookup.parsed(opt::JOB_ID, |s| Id::parse(IdKind::Job, s))?;
    Ok(id.map(|id| id.as_str().to_string()))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::config::{Config, Source, resolve};

    const JOB: &str = "8f2c1e0d4b6a49c7a1d3e5f7091b2c4d";
    const PROJECT: &str = "6d1a0c3b5e7f48a9b2c4d6e8f0a1b3c5";

    fn resolve_with(argv: &[&str], vars: &[(&str, &str)]) -> Result<Config, Error> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let env = move |name: &str| map.get(name).map(std::ffi::OsString::from);
        let mut args = argv.to_vec();
        if !argv.contains(&"--region") {
            args.extend(["--region", "cn-north-4"]);
        }
        if !argv.contains(&"--job") {
            args.extend(["--job-name", "web"]);
        }
        let args = crate::cli::parse("servicestage-gate", &args).unwrap();
        resolve(&args, &env)
    }

    fn endpoint(config: &Config) -> String {
        match &config.source {
            Source::Api { api, .. } => api.endpoint.origin(),
            Source::Saved(_) => panic!("not an API source"),
        }
    }

    const TOKEN: (&str, &str) = ("SERVICESTAGE_TOKEN", "t0ken");

    /// Arguments and variables (besides the token).
    type Given<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);

    #[test]
    fn the_backend_picks_the_service_its_endpoint_and_its_job_id() {
        let project = || Service::CodeArts(Some(Id::parse(IdKind::Project, PROJECT).unwrap()));
        let padded_id = format!(" {JOB}\n");
        let cases: [(Given, Service, &str, Option<&str>); 5] = [
            (
                (&["--job-id", "j1"], &[]),
                Service::ServiceStage,
                "https://servicestage.cn-north-4.myhuaweicloud.com",
                Some("j1"),
            ),
            (
                (&["--backend", "CodeArts", "--job-id", JOB], &[]),
                Service::CodeArts(None),
                "https://cloudbuild-ext.cn-north-4.myhuaweicloud.com",
                Some(JOB),
            ),
            (
                (
                    &["--codearts-project", PROJECT],
                    &[("SERVICESTAGE_BACKEND", "codearts")],
                ),
                project(),
                "https://cloudbuild-ext.cn-north-4.myhuaweicloud.com",
                None,
            ),
            (
                (
                    &["--backend", "codearts", "--region", "eu-west-101"],
                    &[
                        ("SERVICESTAGE_JOB_ID", &padded_id),
                        ("SERVICESTAGE_CODEARTS_PROJECT", PROJECT),
                    ],
                ),
                project(),
                "https://cloudbuild-ext.eu-west-101.myhuaweicloud.eu",
                Some(JOB),
            ),
            (
                (
                    &[
                        "--backend",
                        "codearts",
                        "--job-id",
                        JOB,
                        "--endpoint",
                        "http://127.0.0.1:9",
                    ],
                    &[],
                ),
                Service::CodeArts(None),
                "http://127.0.0.1:9",
                Some(JOB),
            ),
        ];
        for ((argv, vars), service, origin, job_id) in cases {
            let vars = [vars, &[TOKEN]].concat();
            let config = resolve_with(argv, &vars).unwrap_or_else(|e| panic!("{argv:?}: {e}"));
            assert_eq!(config.service, service, "{argv:?}");
            assert_eq!(endpoint(&config), origin, "{argv:?}");
            assert_eq!(config.job.id.as_deref(), job_id, "{argv:?}");
        }
    }

    #[test]
    fn codearts_ids_and_the_project_are_checked_before_anything_is_sent() {
        let short_id = ["--backend", "codearts", "--job-id", &JOB[1..]];
        let cases: [(Given, &str); 8] = [
            (
                (&short_id, &[]),
                "--job-id: \"f2c1e0d4b6a49c7a1d3e5f7091b2c4d\" is not a CodeArts Build job id",
            ),
            (
                (
                    &["--backend", "codearts"],
                    &[("SERVICESTAGE_JOB_ID", "8F2C1E0D4B6A49C7A1D3E5F7091B2C4D")],
                ),
                "SERVICESTAGE_JOB_ID: \"8F2C1E0D4B6A49C7A1D3E5F7091B2C4D\" is not a CodeArts",
            ),
            (
                (
                    &["--backend", "codearts", "--codearts-project", "my-project"],
                    &[],
                ),
                "--codearts-project: \"my-project\" is not a CodeArts project id (not the IAM \
                 project id)",
            ),
            (
                (&["--backend", "codearts"], &[]),
                "--codearts-project is required (or set SERVICESTAGE_CODEARTS_PROJECT) to look \
                 a job up by name in CodeArts Build, or give the job's id with --job-id",
            ),
            (
                (&["--codearts-project", PROJECT, "--job-id", "j1"], &[]),
                "--codearts-project: a CodeArts project is read only with --backend codearts",
            ),
            (
                (&["--backend", "gitlab", "--job-id", "j1"], &[]),
                "--backend: invalid value \"gitlab\" (expected servicestage, codearts)",
            ),
            (
                (
                    &[
                        "--backend",
                        "codearts",
                        "--job-id",
                        JOB,
                        "--input",
                        "saved.json",
                    ],
                    &[],
                ),
                "--input judges a saved ServiceStage build list",
            ),
            (
                (
                    &["--backend", "codearts", "--job-id", JOB],
                    &[("SERVICESTAGE_ENDPOINT", "http://example.com")],
                ),
                "plain http://",
            ),
        ];
        for ((argv, vars), expected) in cases {
            let vars = [vars, &[TOKEN]].concat();
            let err = resolve_with(argv, &vars).unwrap_err();
            assert_eq!(err.kind(), "usage", "{argv:?}");
            assert!(err.message().contains(expected), "{argv:?}: {err}");
        }
    }

    #[test]
    fn several_codearts_jobs_need_the_project_and_match_names_exactly() {
        let several = ["--backend", "codearts", "--job", "api,API"];
        let err = resolve_with(&several, &[TOKEN]).unwrap_err();
        assert_eq!(
            err.message(),
            "--codearts-project is required (or set SERVICESTAGE_CODEARTS_PROJECT) to look a \
             job up by name in CodeArts Build"
        );
        let with_project = [&several[..], &["--codearts-project", PROJECT]].concat();
        let config = resolve_with(&with_project, &[TOKEN]).unwrap();
        let Source::Api { jobs, .. } = &config.source else {
            panic!("not an API source");
        };
        let names: Vec<_> = jobs.iter().map(|j| j.name.as_deref()).collect();
        assert_eq!(
            names,
            [Some("api"), Some("API")],
            "CodeArts names are case-sensitive"
        );
        // Any name: CodeArts' own rules are not ServiceStage's pattern.
        assert!(
            resolve_with(
                &[
                    "--backend",
                    "codearts",
                    "--job",
                    "1 web.app",
                    "--codearts-project",
                    PROJECT
                ],
                &[TOKEN]
            )
            .is_ok()
        );
        let err = resolve_with(&["--job", "api,API"], &[TOKEN]).unwrap_err();
        assert!(err.message().ends_with("job API is named twice"), "{err}");
    }
}
