use super::*;
use crate::model::State;
use crate::rules::Percent;
use std::collections::HashMap;

fn resolve_with(argv: &[&str], vars: &[(&str, &str)]) -> Result<Config, Error> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let env = move |name: &str| map.get(name).map(std::ffi::OsString::from);
    let args =
        crate::cli::parse("servicestage-gate", argv).map_err(|e| Error::Usage(format!("{e:?}")))?;
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

/// `--job`: the jobs named, in order; empty for one job or a saved response.
fn jobs(config: &Config) -> &[JobRef] {
    match &config.source {
        Source::Api { jobs, .. } => jobs,
        Source::Saved(_) => &[],
    }
}

fn api(config: &Config) -> &Api {
    match &config.source {
        Source::Api { api, .. } => api,
        other => panic!("not an API source: {other:?}"),
    }
}

#[test]
fn flag_beats_environment_beats_default() {
    let config = resolve_with(&["--input", "x.json"], &[]).unwrap();
    assert_eq!(config.rules.window, 10);
    assert_eq!(config.poll_interval, Duration::from_secs(15));
    let config = resolve_with(&["--input", "x.json"], &[("SERVICESTAGE_WINDOW", "20")]).unwrap();
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
        ("SERVICESTAGE_POLL_INTERVAL", "2s"),
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
        (config.job.id.as_deref(), config.job.name.as_deref()),
        (Some("id 1"), Some("name 1"))
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
    assert_eq!(config.poll_interval, Duration::from_secs(2));
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
    let argv = [
        "--job-id",
        "j",
        "--job-name",
        "n",
        "--region",
        "eu-west-101",
    ];
    assert_eq!(
        api(&resolve_with(&argv, &[TOKEN]).unwrap())
            .endpoint
            .origin(),
        "https://servicestage.eu-west-101.myhuaweicloud.eu",
        "the European site"
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
            ak: HeaderValue::parse("AK1").unwrap(),
            sk: Secret::new("SK1".into()),
            security_token: Some(Secret::header("ST1").unwrap())
        }
    );
    assert_eq!(
        api(&resolve_with(API, &[TOKEN]).unwrap()).credentials,
        Credentials::Token(Secret::header("t0ken").unwrap())
    );
    assert!(
        !format!("{:?}", resolve_with(API, &[ak, sk, st]).unwrap()).contains("SK1"),
        "Debug hides secrets"
    );
}

type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

/// Runs each case's arguments after `base` and checks for a usage error containing its text.
fn assert_usage_errors(base: &[&str], cases: &[Case]) {
    for (extra, vars, expected) in cases {
        let argv = [base, extra].concat();
        match resolve_with(&argv, vars) {
            Err(Error::Usage(message)) => assert!(
                message.contains(expected),
                "{argv:?}: {message}\n  lacks {expected}"
            ),
            other => panic!("{argv:?} {vars:?}: expected a usage error, got {other:?}"),
        }
    }
}

const OFFLINE: &[&str] = &["--input", "x.json"];
const JOB: &[&str] = &["--job-id", "j", "--job-name", "n"];

#[test]
fn usage_errors_name_the_flag_or_variable() {
    assert_usage_errors(
        OFFLINE,
        &[
            (
                &["--max-duration", "5 parsecs"],
                &[],
                r#"--max-duration: invalid duration "5 parsecs" (expected e.g. 90s, 15m, 1h 30m)"#,
            ),
            (
                &[],
                &[("SERVICESTAGE_MAX_DURATION", "soon")],
                r#"SERVICESTAGE_MAX_DURATION: invalid duration "soon""#,
            ),
            (&["--wait", "forever"], &[], "--wait: invalid duration"),
            (
                &["--poll-interval", "0s"],
                &[],
                "--poll-interval: must be at least 1s",
            ),
            (
                &["--min-success-rate", "101"],
                &[],
                r#"--min-success-rate: invalid percentage "101" (expected a number from 0 to 100"#,
            ),
            (
                &["--min-success-rate", "-1%"],
                &[],
                "--min-success-rate: invalid percentage",
            ),
            (
                &["--min-success-rate", "ninety"],
                &[],
                "--min-success-rate: invalid percentage",
            ),
            (
                &["--max-duration-regression", "-5"],
                &[],
                "--max-duration-regression: invalid percentage",
            ),
            (&["--window", "0"], &[], "--window: must be at least 1"),
            (
                &["--window", "ten"],
                &[],
                r#"--window: invalid number "ten""#,
            ),
            (&["--min-builds", "-1"], &[], "--min-builds: invalid number"),
            (
                &["--min-builds", "11"],
                &[],
                "--min-builds: 11 is more than the window of 10 builds",
            ),
            (
                &["--max-consecutive-failures", "1.5"],
                &[],
                "--max-consecutive-failures: invalid number",
            ),
            (
                &["--require-state", "Sucessful"],
                &[],
                r#"--require-state: unknown state "Sucessful" (expected Successful, Failed, Timeout or Cancel)"#,
            ),
            (
                &[],
                &[("SERVICESTAGE_REQUIRE_STATE", "Building")],
                r#"SERVICESTAGE_REQUIRE_STATE: unknown state "Building""#,
            ),
            (
                &["--require-state", ","],
                &[],
                r#"--require-state: empty entry in ",""#,
            ),
            (
                &["--format", "yaml"],
                &[],
                r#"--format: invalid value "yaml" (expected text, json)"#,
            ),
            (
                &["--annotations", "gitlab"],
                &[],
                "--annotations: invalid value \"gitlab\" (expected auto, github, azure, none)",
            ),
            (
                &["--inconclusive", "maybe"],
                &[],
                "--inconclusive: invalid value \"maybe\" (expected pass, fail)",
            ),
            (
                &[],
                &[("SERVICESTAGE_VERBOSE", "sure")],
                "SERVICESTAGE_VERBOSE: invalid switch value",
            ),
        ],
    );
    assert_usage_errors(
        &[],
        &[
            (
                &["--job-name", "n", "--region", "r"],
                &[TOKEN],
                "--job-name: \"n\" is not a ServiceStage job name",
            ),
            (
                &["--region", "r"],
                &[TOKEN, ("SERVICESTAGE_JOB_NAME", "web api")],
                "SERVICESTAGE_JOB_NAME: \"web api\" is not a ServiceStage job name",
            ),
            (
                &["--job-name", "web", "--region", "r", "--commit", "abc123"],
                &[TOKEN],
                "--commit: ",
            ),
            (
                &["--job-name", "web", "--region", "r"],
                &[TOKEN, ("SERVICESTAGE_COMMIT", "not-hex-at-all")],
                "SERVICESTAGE_COMMIT: ",
            ),
            (
                &[
                    "--job-name",
                    "web",
                    "--region",
                    "r",
                    "--commit",
                    "abcdef1",
                    "--build-id",
                    "b",
                ],
                &[TOKEN],
                "--commit and --build-id both pick the build to judge",
            ),
            (
                &["--input", "x.json", "--commit", "abcdef1"],
                &[],
                "--commit needs the API's build details",
            ),
            (
                &["--job-id", "j", "--region", "r"],
                &[TOKEN],
                "--job-name is required",
            ),
            (JOB, &[TOKEN], "--endpoint or --region is required"),
        ],
    );
    assert_usage_errors(
        JOB,
        &[
            (
                &["--region", "cn north"],
                &[TOKEN],
                r#"--region: invalid region "cn north""#,
            ),
            (
                &["--endpoint", "http://servicestage.example.com"],
                &[TOKEN],
                "--endpoint: \"http://servicestage.example.com\" uses plain http://",
            ),
            (
                &["--endpoint", "ftp://x"],
                &[TOKEN],
                "--endpoint: \"ftp://x\" is not an http:// or https:// URL",
            ),
            (
                &["--endpoint", "https://x/?a=1"],
                &[TOKEN],
                "must not have a query or fragment",
            ),
            (
                &["--endpoint", "https://u:p@x"],
                &[TOKEN],
                "must not carry user information",
            ),
            (
                &["--endpoint", "https://x/?token=hidden-value"],
                &[TOKEN],
                "--endpoint: \"https://x/\" must not have a query or fragment (not shown here)",
            ),
            (
                &["--endpoint", "https://x:99999"],
                &[TOKEN],
                "invalid host or port",
            ),
        ],
    );
    assert_usage_errors(
        API,
        &[
            (
                &[],
                &[("SERVICESTAGE_TIMEOUT", "0")],
                "SERVICESTAGE_TIMEOUT: must be longer than zero",
            ),
            (&["--retries", "11"], &[TOKEN], "--retries: 11 is too many"),
            (&[], &[], "no credentials: set SERVICESTAGE_TOKEN"),
            (
                &[],
                &[("HUAWEICLOUD_SDK_AK", "a")],
                "HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK is not",
            ),
            (
                &[],
                &[("HUAWEICLOUD_SDK_SK", "s")],
                "HUAWEICLOUD_SDK_SK is set but HUAWEICLOUD_SDK_AK is not",
            ),
            (
                &[],
                &[("HUAWEICLOUD_SDK_SECURITY_TOKEN", "s")],
                "HUAWEICLOUD_SDK_SECURITY_TOKEN is set without",
            ),
            (
                &[],
                &[
                    TOKEN,
                    ("HUAWEICLOUD_SDK_AK", "a"),
                    ("HUAWEICLOUD_SDK_SK", "s"),
                ],
                "both a token (SERVICESTAGE_TOKEN or --token-file) and an access key",
            ),
            (
                &["--token-file", "/t"],
                &[TOKEN],
                "both SERVICESTAGE_TOKEN and --token-file are set",
            ),
        ],
    );
}

/// Issue 10, items 7, 13 and 15: values that used to pass resolution and then panic, leak or
/// misbehave later.
#[test]
fn dangerous_values_are_usage_errors() {
    assert_usage_errors(
        OFFLINE,
        &[
            (
                &["--wait", "300000000000y"],
                &[],
                "--wait: \"300000000000y\" is longer than the limit of 366 days",
            ),
            (
                &["--max-duration", "400days"],
                &[],
                "--max-duration: \"400days\" is longer than the limit",
            ),
            (
                &[],
                &[("SERVICESTAGE_POLL_INTERVAL", "1ns")],
                "SERVICESTAGE_POLL_INTERVAL: must be at least 1s",
            ),
            (
                &["--poll-interval", "999ms"],
                &[],
                "--poll-interval: must be at least 1s",
            ),
        ],
    );
    assert_usage_errors(
        &[],
        &[
            (
                &["--job-id", "", "--job-name", "n", "--region", "r"],
                &[TOKEN],
                "--job-id: empty value",
            ),
            (
                &["--job-id", "j", "--job-name", " ", "--region", "r"],
                &[TOKEN],
                "--job-name: empty value",
            ),
        ],
    );
    assert_usage_errors(
        JOB,
        &[
            (
                &["--endpoint", "http://[::1]evil.com:8080"],
                &[TOKEN],
                "invalid host or port",
            ),
            (
                &["--endpoint", "http://evil.localhost:8080"],
                &[TOKEN],
                "uses plain http://",
            ),
        ],
    );
    assert_usage_errors(
        API,
        &[
            (
                &["--timeout", "1000 years"],
                &[TOKEN],
                "--timeout: \"1000 years\" is longer than the limit",
            ),
            (
                &["--project-id", "p\r\nX: y"],
                &[TOKEN],
                "--project-id: contains a control character",
            ),
            (
                &[],
                &[TOKEN, ("HUAWEICLOUD_SDK_PROJECT_ID", "p\u{0}q")],
                "HUAWEICLOUD_SDK_PROJECT_ID: contains a control character",
            ),
            (
                &[],
                &[("SERVICESTAGE_TOKEN", "t\r\nX-Evil: 1")],
                "SERVICESTAGE_TOKEN: contains a control character",
            ),
            (
                &[],
                &[("HUAWEICLOUD_SDK_AK", "a\nb"), ("HUAWEICLOUD_SDK_SK", "s")],
                "HUAWEICLOUD_SDK_AK: contains a control character",
            ),
        ],
    );
}

/// Issue 10 item 3: a variable that is not UTF-8 is a usage error naming it, never unset.
#[test]
fn unreadable_variables_are_usage_errors() {
    use std::os::unix::ffi::OsStringExt;
    type Unreadable<'a> = (&'a [&'a str], &'a str, &'a [(&'a str, &'a str)]);
    let cases: &[Unreadable] = &[
        (OFFLINE, "SERVICESTAGE_MIN_SUCCESS_RATE", &[]),
        (OFFLINE, "GITHUB_OUTPUT", &[("GITHUB_ACTIONS", "true")]),
        (OFFLINE, "TF_BUILD", &[]),
        (
            API,
            "SERVICESTAGE_TOKEN",
            &[("HUAWEICLOUD_SDK_AK", "a"), ("HUAWEICLOUD_SDK_SK", "s")],
        ),
        (API, "HUAWEICLOUD_SDK_SK", &[TOKEN]),
        (API, "SSL_CERT_FILE", &[TOKEN]),
        (API, "HUAWEICLOUD_SDK_IDP_ID", &[TOKEN]),
        (API, "SERVICESTAGE_IAM_PASSWORD", &[TOKEN]),
        (API, "HW_PASSWORD", &[TOKEN]),
    ];
    for (argv, name, others) in cases {
        let mut vars: HashMap<String, std::ffi::OsString> = others
            .iter()
            .map(|(k, v)| (k.to_string(), v.into()))
            .collect();
        vars.insert(
            name.to_string(),
            std::ffi::OsString::from_vec(b"80\xff".to_vec()),
        );
        let env = |n: &str| vars.get(n).cloned();
        let args = crate::cli::parse("gate", argv).unwrap();
        assert_eq!(
            resolve(&args, &env).unwrap_err(),
            Error::Usage(format!("{name} is not valid UTF-8; fix or unset it")),
            "{name}"
        );
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
            (config.annotations, config.report.ci),
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

#[test]
fn the_job_id_is_optional_and_the_name_pattern_only_binds_a_lookup() {
    let token = ("SERVICESTAGE_TOKEN", "t");
    let looked_up = resolve_with(&["--job-name", "Web-API_2", "--region", "r"], &[token]).unwrap();
    assert_eq!(looked_up.job.id, None);
    assert_eq!(looked_up.job.name.as_deref(), Some("Web-API_2"));
    // With the id given, any name goes: it is only the `name` query parameter.
    let given = resolve_with(
        &["--job-id", "j", "--job-name", "n", "--region", "r"],
        &[token],
    );
    assert_eq!(given.unwrap().job.id.as_deref(), Some("j"));
    let commit = resolve_with(
        &[
            "--job-name",
            "web",
            "--region",
            "r",
            "--commit",
            " 3F5E0C6A ",
        ],
        &[token],
    )
    .unwrap();
    assert_eq!(commit.rules.commit.unwrap().as_str(), "3f5e0c6a");
}

const REGION: &[&str] = &["--region", "cn-north-4"];

#[test]
fn jobs_are_named_by_flag_or_variable_in_order() {
    let argv = [REGION, &["--job", "api,web", "--job", " worker "]].concat();
    let config = resolve_with(&argv, &[TOKEN]).unwrap();
    let names: Vec<_> = jobs(&config).iter().map(|j| j.name.as_deref()).collect();
    assert_eq!(names, [Some("api"), Some("web"), Some("worker")]);
    assert!(jobs(&config).iter().all(|j| j.id.is_none()));
    assert_eq!(config.job, JobRef::default());
    let config = resolve_with(REGION, &[TOKEN, ("SERVICESTAGE_JOB", " api ,web")]).unwrap();
    assert_eq!(jobs(&config).len(), 2);
    let config = resolve_with(&[API, &["--input", "x.json"]].concat(), &[]).unwrap();
    assert!(jobs(&config).is_empty(), "one job: no list");
}

#[test]
fn advisory_rules_are_enabled_ones_and_never_state() {
    let argv = [
        API,
        &["--max-duration", "10m", "--min-success-rate", "90"],
        &[
            "--advisory",
            "MAX-DURATION,min-builds",
            "--advisory",
            "max-duration",
        ],
    ]
    .concat();
    let config = resolve_with(&argv, &[TOKEN]).unwrap();
    assert_eq!(config.rules.advisory, ["max-duration", "min-builds"]);
    let base = [API, &["--max-duration", "10m"]].concat();
    for (advisory, message) in [
        ("state", "--advisory: the state rule cannot be advisory"),
        ("min-builds", "--advisory: rule min-builds is not enabled"),
        (
            "max-consecutive-failures",
            "rule max-consecutive-failures is not enabled",
        ),
        (
            "fast",
            "--advisory: unknown rule \"fast\" (expected one of state, ",
        ),
    ] {
        let err = resolve_with(&[&base[..], &["--advisory", advisory]].concat(), &[TOKEN]);
        let err = err.unwrap_err().to_string();
        assert!(err.contains(message), "{advisory}: {err}");
    }
}

#[test]
fn ascii_by_flag_variable_or_locale() {
    let symbols = |argv: &[&str], vars: &[(&str, &str)]| {
        let argv = [&["--input", "x.json"], argv].concat();
        resolve_with(&argv, vars).map(|c| c.report.symbols)
    };
    let utf8 = ("LANG", "C.UTF-8");
    assert_eq!(symbols(&[], &[utf8]), Ok(Symbols::Unicode));
    assert_eq!(symbols(&["--ascii"], &[utf8]), Ok(Symbols::Ascii));
    assert_eq!(
        symbols(&[], &[utf8, ("SERVICESTAGE_ASCII", "true")]),
        Ok(Symbols::Ascii)
    );
    assert_eq!(
        symbols(&[], &[utf8, ("SERVICESTAGE_ASCII", "0")]),
        Ok(Symbols::Unicode)
    );
    assert_eq!(symbols(&[], &[]), Ok(Symbols::Ascii));
    let err = symbols(&[], &[utf8, ("SERVICESTAGE_ASCII", "sometimes")]).unwrap_err();
    assert!(err.to_string().contains("SERVICESTAGE_ASCII"), "{err}");
}

#[test]
fn requested_format_is_json_only_when_json_is_asked_for() {
    let none = |_: &str| None;
    for (argv, expected) in [
        (&["--format", "text"][..], Format::Text),
        (&["--format", " JSON "], Format::Json),
        (&["--format", "json", "--format", "text"], Format::Text),
        (&["--format", "yaml"], Format::Text),
        (&["--format=json"], Format::Json),
        (&["--format=json", "--format", "text"], Format::Text),
        (&["--format", "text", "--format=json"], Format::Json),
        (&["--format"], Format::Text),
        (&["--", "--format=json"], Format::Text),
        (&["--format", "--", "json"], Format::Text),
    ] {
        assert_eq!(requested_format(argv, &none), expected, "{argv:?}");
    }
    let text = |_: &str| Some("text".into());
    assert_eq!(requested_format(&[], &text), Format::Text);
}

#[test]
fn the_job_is_read_apart_for_usage_errors() {
    let env = |name: &str| (name == "SERVICESTAGE_JOB_ID").then(|| "env-id".into());
    for (argv, expected) in [
        (
            &["--job-id", "j1", "--job-name", "build"][..],
            (Some("j1"), Some("build")),
        ),
        (&["--job-name", "build"], (Some("env-id"), Some("build"))),
        // An unparseable rest of the command line does not hide the job.
        (
            &["--job-name", "web", "--window", "many"],
            (Some("env-id"), Some("web")),
        ),
    ] {
        let args = crate::cli::parse("servicestage-gate", argv).unwrap();
        let read = job(&args, &env);
        assert_eq!(
            (read.id.as_deref(), read.name.as_deref()),
            expected,
            "{argv:?}"
        );
    }
}

#[test]
fn named_jobs_are_read_apart_for_usage_errors() {
    let none = |_: &str| None;
    let names = |argv: &[&str], env: Env| {
        let args = crate::cli::parse("servicestage-gate", argv).unwrap();
        let jobs = named_jobs(&args, env);
        assert!(jobs.iter().all(|j| j.id.is_none()), "{argv:?}");
        jobs.into_iter()
            .map(|j| j.name.unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&["--job", "api, web", "--job", "worker"], &none),
        ["api", "web", "worker"]
    );
    assert_eq!(names(&["--job-id", "j"], &none), Vec::<String>::new());
    let env = |name: &str| (name == "SERVICESTAGE_JOB").then(|| "api".into());
    assert_eq!(names(&[], &env), ["api"]);
}

#[test]
fn input_names_the_saved_response_and_dash_is_stdin() {
    for (input, expected) in [
        ("-", Source::Saved(None)),
        (" - ", Source::Saved(None)),
        ("x.json", Source::Saved(Some("x.json".into()))),
        ("-.json", Source::Saved(Some("-.json".into()))),
    ] {
        let config = resolve_with(&["--input", input], &[]).unwrap();
        assert_eq!(config.source, expected, "{input:?}");
    }
}

#[test]
fn several_jobs_exclude_the_single_job_and_input() {
    let several = ["--job", "api"];
    assert_usage_errors(
        REGION,
        &[
            (
                &[&several[..], OFFLINE].concat(),
                &[TOKEN],
                "--job gates jobs through the API; --input judges one saved response",
            ),
            (
                &[&several[..], &["--job-name", "web"]].concat(),
                &[TOKEN],
                "--job names the jobs to gate; it cannot be combined with --job-id or --job-name",
            ),
            (
                &[&several[..], &["--job-id", "j"]].concat(),
                &[TOKEN],
                "it cannot be combined with --job-id or --job-name",
            ),
            (
                &["--job-name", "web"],
                &[TOKEN, ("SERVICESTAGE_JOB", "api")],
                "SERVICESTAGE_JOB names the jobs to gate; it cannot be combined",
            ),
        ],
    );
}

#[test]
fn min_builds_may_equal_the_window() {
    for (argv, vars, expected) in [
        (&["--window", "5", "--min-builds", "5"][..], &[][..], 5),
        (&["--window", "5"], &[("SERVICESTAGE_MIN_BUILDS", "5")], 5),
        (&["--window", "3"], &[], 1),
    ] {
        let config = resolve_with(&[OFFLINE, argv].concat(), vars).unwrap();
        assert_eq!(config.rules.min_builds, expected, "{argv:?} {vars:?}");
    }
}

/// Durations go up to 366 days and no further; polling as often as once a second.
#[test]
fn durations_stop_at_366_days_and_polls_at_one_second() {
    assert_eq!(MAX_DURATION, Duration::from_secs(31_622_400));
    let cases = [
        ("366d", Some(MAX_DURATION)),
        ("8784h", Some(MAX_DURATION)),
        ("8784h 1s", None),
        ("367d", None),
    ];
    for (text, expected) in cases {
        assert_eq!(values::parse_duration(text).ok(), expected, "{text}");
    }
    assert_eq!(
        values::parse_poll_interval("1s"),
        Ok(Duration::from_secs(1))
    );
    assert!(values::parse_poll_interval("999ms").is_err());
}

/// A URL with an empty host or a space in its path is no endpoint.
#[test]
fn endpoints_need_a_host_and_a_path_without_spaces() {
    for url in [
        "https://:8443/",
        "https://",
        "https://host/a b",
        "https://host/a\tb",
    ] {
        assert!(Endpoint::parse(url).is_err(), "{url}");
    }
    assert!(Endpoint::parse("https://host/a/b").is_ok());
}

#[test]
fn a_secret_never_shows_in_debug_output() {
    let secret = Secret::new("t0ken-SECRET".into());
    assert_eq!(format!("{secret:?}"), "Secret(<hidden>)");
}

/// Issue 20 item 7: a fraction where a percentage belongs is refused with the percentage it
/// most likely meant; `0.9%` says what it means and stands.
#[test]
fn a_success_rate_between_0_and_1_suggests_the_percentage() {
    assert_usage_errors(
        OFFLINE,
        &[
            (
                &["--min-success-rate", "0.9"],
                &[],
                "--min-success-rate: 0.9 is read as 0.9 %; did you mean 90? (write 0.9% if \
                 0.9 % is meant)",
            ),
            (
                &[],
                &[("SERVICESTAGE_MIN_SUCCESS_RATE", " .95 ")],
                "SERVICESTAGE_MIN_SUCCESS_RATE: .95 is read as .95 %; did you mean 95?",
            ),
            (&["--min-success-rate", "0.995"], &[], "did you mean 99.5?"),
            (&["--min-success-rate", "0.07"], &[], "did you mean 7?"),
        ],
    );
    for (given, percent) in [
        ("0", 0.0),
        ("1", 1.0),
        ("0.9%", 0.9),
        ("0.5 %", 0.5),
        ("90", 90.0),
    ] {
        let config = resolve_with(&["--input", "-", "--min-success-rate", given], &[]).unwrap();
        assert_eq!(
            config.rules.min_success_rate,
            Some(Percent(percent)),
            "{given}"
        );
    }
}

/// Issue 20 item 7: an empty entry in a comma-separated list is a mistake, not nothing.
#[test]
fn an_empty_list_entry_is_a_usage_error() {
    let rules = ["--max-duration", "10m"];
    assert_usage_errors(
        REGION,
        &[
            (
                &["--job", "api,,worker"],
                &[TOKEN],
                r#"--job: empty entry in "api,,worker" (a comma with nothing beside it)"#,
            ),
            (
                &["--job", "api", "--job", " , web"],
                &[TOKEN],
                r#"--job: empty entry in " , web""#,
            ),
            (&["--job", ""], &[TOKEN], "--job: empty value"),
            (
                &[],
                &[TOKEN, ("SERVICESTAGE_JOB", "api,web,")],
                r#"SERVICESTAGE_JOB: empty entry in "api,web,""#,
            ),
        ],
    );
    assert_usage_errors(
        OFFLINE,
        &[
            (
                &["--require-state", "Successful,,Failed"],
                &[],
                r#"--require-state: empty entry in "Successful,,Failed""#,
            ),
            (
                &[],
                &[("SERVICESTAGE_REQUIRE_STATE", ",Successful")],
                r#"SERVICESTAGE_REQUIRE_STATE: empty entry in ",Successful""#,
            ),
            (
                &[&rules[..], &["--advisory", "max-duration,"]].concat(),
                &[],
                r#"--advisory: empty entry in "max-duration,""#,
            ),
            (
                &rules,
                &[("SERVICESTAGE_ADVISORY", "max-duration,,")],
                r#"SERVICESTAGE_ADVISORY: empty entry in "max-duration,,""#,
            ),
        ],
    );
}

/// Issue 20 item 6: a bad `--job` name is not told to use `--job-id`, which `--job`
/// excludes; a bad `--job-name` still is.
#[test]
fn a_bad_job_name_gets_advice_its_flag_allows() {
    for (argv, advice) in [
        (
            &["--job", "api,-web"][..],
            "gate that job in a run of its own, with --job-id and --job-name",
        ),
        (&["--job-name", "-web"], "pass the id with --job-id"),
    ] {
        let argv = [REGION, argv].concat();
        let Err(Error::Usage(message)) = resolve_with(&argv, &[TOKEN]) else {
            panic!("{argv:?}: expected a usage error");
        };
        assert!(
            message.contains("\"-web\" is not a ServiceStage job name"),
            "{message}"
        );
        assert!(message.ends_with(advice), "{argv:?}: {message}");
    }
}

/// Contract, round 3 "Flags": a region the official SDKs do not list is used as given, with
/// a hint that names the closest listed one and where the region was set.
#[test]
fn an_unlisted_region_is_used_with_a_hint() {
    let hint = |argv: &[&str], vars: &[(&str, &str)]| {
        let config = resolve_with(&[JOB, argv].concat(), &[&[TOKEN], vars].concat()).unwrap();
        let origin = api(&config).endpoint.origin();
        assert_eq!(
            api(&config).region_hint,
            config.region_hint,
            "the transport's copy"
        );
        (origin, config.region_hint)
    };
    assert_eq!(
        hint(&["--region", "cn-nrth-4"], &[]),
        (
            "https://servicestage.cn-nrth-4.myhuaweicloud.com".to_string(),
            Some(
                "--region: cn-nrth-4 is not a ServiceStage region the official SDKs list; did \
                 you mean cn-north-4?"
                    .to_string()
            )
        )
    );
    let (_, from_variable) = hint(&[], &[("SERVICESTAGE_REGION", "ap-southeast-9")]);
    assert!(
        from_variable
            .unwrap()
            .starts_with("SERVICESTAGE_REGION: ap-southeast-9 is not"),
    );
    for listed in ["cn-north-4", "ap-southeast-1", "eu-west-101"] {
        assert_eq!(hint(&["--region", listed], &[]).1, None, "{listed}");
    }
    let endpoint = ["--endpoint", "http://127.0.0.1:1"];
    assert_eq!(hint(&endpoint, &[]).1, None, "no region, no hint");
    let auth_action = [
        ("HUAWEI_CLOUD_ACCESS_KEY_ID", "ak"),
        ("HUAWEI_CLOUD_SECRET_ACCESS_KEY", "sk"),
        ("HUAWEI_CLOUD_REGION", "cn-north-44"),
    ];
    let config = resolve_with(JOB, &auth_action).unwrap();
    assert!(
        config
            .region_hint
            .unwrap()
            .starts_with("HUAWEI_CLOUD_REGION: cn-north-44 is not"),
        "the auth action's region is named by its variable"
    );
    let saved = resolve_with(&["--input", "-", "--region", "mars"], &[]).unwrap();
    assert_eq!(
        saved.region_hint, None,
        "a saved response reaches no region"
    );
}

#[test]
fn states_are_each_listed_once() {
    let names = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    assert_eq!(
        parse_states(&names(&["failed", "Successful", "FAILED"])),
        Ok(vec![State::Failed, State::Successful])
    );
    assert_eq!(
        parse_states(&[]),
        Err("no state given (expected Successful, Failed, Timeout or Cancel)".into())
    );
}
