//! The binary judging saved responses (`--input`): verdicts, exit codes, reports,
//! annotations and usage errors, as a user or a pipeline sees them.

use crate::common::{
    Run, Server, assert_any_line, assert_message_contains, example, gate, gate_for, judge,
    page_json, run, run_with_stdin,
};
use serde_json::Value;

#[test]
fn passing_example_exits_0_with_the_contract_json() {
    let out = run(judge("passing.json").args(["--format", "json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.starts_with(r#"{"verdict":"pass","job":"#),
        "verdict comes first: {}",
        out.stdout
    );
    let json = out.json();
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "error", "job", "requests", "rules", "summary", "target", "verdict"
        ]
    );
    assert_eq!(json["verdict"], "pass");
    assert_eq!(json["requests"], 0, "a saved response costs no request");
    assert_eq!(json["job"], serde_json::json!({"id": null, "name": null}));
    assert_eq!(
        json["target"]["build_id"],
        "52e6b438-f2a7-4269-a651-0c5ca6a3a450"
    );
    assert_eq!(json["target"]["build_state"], "Successful");
    assert_eq!(json["target"]["duration"], 1181);
    assert_eq!(
        json["rules"],
        serde_json::json!([{"name": "state", "verdict": "pass", "message": "build 52e6b438-f2a7-4269-a651-0c5ca6a3a450 is Successful"}])
    );
    assert_eq!(
        json["summary"],
        serde_json::json!({"total": 12, "finished": 12, "successful": 11, "window": 10})
    );
    assert_eq!(json["error"], Value::Null);
    assert_eq!(out.stdout.lines().count(), 1, "one JSON object on one line");
}

#[test]
fn failed_latest_exits_1_and_says_why_in_text() {
    let out = run(gate().args(["--input", &example("failed-latest.json")]));
    assert_eq!(out.code, 1);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "servicestage-gate: FAIL");
    assert_eq!(
        lines[1],
        "target: build ae2eb154-881e-46d7-ac6f-7731506bf2ef Failed (6m 42s)"
    );
    assert_eq!(
        lines[2],
        "  FAIL         state: build ae2eb154-881e-46d7-ac6f-7731506bf2ef is Failed, expected Successful"
    );
    assert_eq!(
        lines[3],
        "summary: 10 builds, 10 finished, 9 successful; 10 in the window"
    );
    assert!(!out.stdout.contains('\x1b'), "no colour in CI logs");
}

#[test]
fn slow_latest_fails_max_duration_in_human_units() {
    let out = run(judge("slow-latest.json").args(["--max-duration", "25m", "--format", "json"]));
    assert_eq!(out.code, 1);
    assert_eq!(out.json()["verdict"], "fail");
    let rule = out.rule("max-duration");
    assert_eq!(rule["verdict"], "fail");
    assert_eq!(rule["message"], "duration 31m 40s exceeds limit 25m");
    assert_eq!(out.rule("state")["verdict"], "pass");
}

#[test]
fn slow_latest_fails_duration_regression_and_passes_a_looser_limit() {
    let strict = run(judge("slow-latest.json").args([
        "--max-duration-regression",
        "20",
        "--format",
        "json",
    ]));
    assert_eq!(strict.code, 1);
    assert_eq!(strict.rule("max-duration-regression")["verdict"], "fail");
    let loose = run(judge("slow-latest.json").args([
        "--max-duration-regression",
        "60%",
        "--format",
        "json",
    ]));
    assert_eq!(loose.code, 0, "{}", loose.stdout);
    assert_eq!(loose.rule("max-duration-regression")["verdict"], "pass");
}

#[test]
fn flaky_history_fails_success_rate_and_streak_rules() {
    let out = run(judge("flaky-history.json").args([
        "--format",
        "json",
        "--min-success-rate",
        "80",
        "--max-consecutive-failures",
        "1",
    ]));
    assert_eq!(out.code, 1);
    let rate = out.rule("min-success-rate");
    assert_eq!(rate["verdict"], "fail");
    assert_eq!(
        rate["message"],
        "success rate 44.4% (4 of 9) below minimum 80%"
    );
    assert_eq!(out.rule("min-builds")["verdict"], "pass");
    assert_eq!(out.rule("max-consecutive-failures")["verdict"], "pass");
    let names: Vec<Value> = out.json()["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].clone())
        .collect();
    assert_eq!(
        names,
        [
            "state",
            "min-builds",
            "min-success-rate",
            "max-consecutive-failures"
        ]
    );
}

#[test]
fn unfinished_latest_is_inconclusive_and_exits_by_the_inconclusive_flag() {
    let out = run(judge("unfinished-latest.json").args(["--format", "json"]));
    assert_eq!(out.code, 1);
    let json = out.json();
    assert_eq!(json["verdict"], "inconclusive");
    assert_eq!(json["target"]["build_state"], "Building");
    assert_eq!(json["target"]["duration"], Value::Null);
    assert_eq!(out.rule("state")["verdict"], "inconclusive");

    let let_through =
        run(judge("unfinished-latest.json").args(["--format", "json", "--inconclusive", "pass"]));
    assert_eq!(let_through.code, 0);
    assert_eq!(
        let_through.json()["verdict"],
        "inconclusive",
        "the verdict stays inconclusive"
    );

    let finished =
        run(judge("unfinished-latest.json").args(["--ignore-running", "--format", "json"]));
    assert_eq!(finished.code, 0);
    assert_eq!(
        finished.json()["target"]["build_id"],
        "dfd43f37-353c-49d3-a605-a2682607679d"
    );
}

#[test]
fn build_id_picks_an_older_build() {
    let out = run(judge("failed-latest.json").args([
        "--format",
        "json",
        "--build-id",
        "95e761d1-ec66-4740-a5c9-3f984cbd87ad",
        "--max-consecutive-failures",
        "0",
    ]));
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(
        out.json()["target"]["build_id"],
        "95e761d1-ec66-4740-a5c9-3f984cbd87ad"
    );
    assert_eq!(
        out.json()["summary"]["window"],
        9,
        "the window starts at the target"
    );

    let missing = run(judge("failed-latest.json").args(["--format", "json", "--build-id", "nope"]));
    assert_eq!(missing.code, 1);
    assert_eq!(missing.json()["verdict"], "inconclusive");
    assert_eq!(missing.json()["target"], Value::Null);
    assert_eq!(
        missing.rule("state")["message"],
        "build nope was not found in the builds listed"
    );
}

#[test]
fn environment_sets_flags_and_flags_win() {
    let out = run(judge("slow-latest.json")
        .args(["--format", "json"])
        .env("SERVICESTAGE_MAX_DURATION", "1h"));
    assert_eq!(out.code, 0);
    assert_eq!(
        out.rule("max-duration")["message"],
        "duration 31m 40s within limit 1h"
    );
    let flag_wins = run(judge("slow-latest.json")
        .args(["--format", "json", "--max-duration", "30m"])
        .env("SERVICESTAGE_MAX_DURATION", "1h"));
    assert_eq!(flag_wins.code, 1);
}

#[test]
fn stdin_input() {
    let body = std::fs::read(example("passing.json")).unwrap();
    let out = run_with_stdin(gate().args(["--input", "-", "--format", "json"]), &body);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["verdict"], "pass");
}

#[test]
fn malformed_responses_exit_3_naming_the_field() {
    let cases = [
        (
            r#"{"list":[{"build_id":"a","build_state":"Successful","duration":-3}]}"#,
            "list[0]: duration -3 is negative",
        ),
        (
            r#"{"list":[{"build_id":"a","build_state":"Successful","duration":3},{"build_id":"b","duration":3}]}"#,
            "list[1] (build b) has no build_state",
        ),
        (
            r#"{"list":[{"build_state":"Successful","duration":3}]}"#,
            "list[0] has no build_id",
        ),
        (
            "<html><body>502 Bad Gateway</body></html>",
            "the response is not valid JSON",
        ),
        (
            r#"{"list":[{"build_id":"a","build_state":"Successful","duration":3}"#,
            "EOF while parsing",
        ),
        ("", "the response JSON ends early"),
    ];
    for (body, message) in cases {
        let out = run_with_stdin(
            gate().args(["--input", "-", "--format", "json"]),
            body.as_bytes(),
        );
        assert_eq!(out.code, 3, "{body}");
        let json = out.json();
        assert_eq!(json["verdict"], "error");
        assert_eq!(json["error"]["kind"], "response");
        assert_eq!(json["target"], Value::Null);
        assert_message_contains(&json["error"], message);
        assert_eq!(
            out.stderr.lines().count(),
            1,
            "one line on stderr: {}",
            out.stderr
        );
    }
}

#[test]
fn empty_or_null_list_is_inconclusive_never_a_pass() {
    for body in [r#"{"total":0,"list":[]}"#, r#"{"list":null}"#] {
        let out = run_with_stdin(
            gate().args(["--input", "-", "--format", "json"]),
            body.as_bytes(),
        );
        assert_eq!(out.code, 1, "{body}");
        assert_eq!(out.json()["verdict"], "inconclusive");
        assert_eq!(
            out.rule("state")["message"],
            "no builds are listed for this job"
        );
    }
}

/// One usage error as a user sees it: exit 2, one stderr line naming the flag, an empty
/// stdout in text mode and the JSON object with `--format json`.
fn assert_usage_error(argv: &[&str], vars: &[(&str, &str)], message: &str) {
    let out = run(gate().args(argv).envs(vars.iter().copied()));
    assert_eq!(out.code, 2, "{argv:?}: {}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{argv:?}: {}", out.stderr);
    assert!(out.stderr.contains(message), "{argv:?}: {}", out.stderr);
    assert!(
        out.stdout.is_empty(),
        "text mode keeps stdout empty on usage errors"
    );

    let json = run(gate()
        .args(["--format", "json"])
        .args(argv)
        .envs(vars.iter().copied()));
    assert_json_usage(&json, message);
}

/// Exit 2 with the JSON object of a usage error whose message mentions `message`.
fn assert_json_usage(out: &Run, message: &str) {
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(out.json()["verdict"], "usage");
    assert_eq!(out.json()["error"]["kind"], "usage");
    assert_message_contains(&out.json()["error"], message);
}

#[test]
fn usage_errors_exit_2_with_one_line_naming_the_flag() {
    let input = example("passing.json");
    let cases: [(&[&str], &str); 5] = [
        (
            &["--max-duration", "5 parsecs"],
            r#"--max-duration: invalid duration "5 parsecs" (expected e.g. 90s, 15m, 1h 30m)"#,
        ),
        (
            &["--require-state", "Sucessful"],
            r#"--require-state: unknown state "Sucessful" (expected Successful, Failed, Timeout or Cancel)"#,
        ),
        (&["--bogus"], "unknown flag --bogus (see --help)"),
        (&["--window"], "--window needs a value (N)"),
        (
            &["--poll-interval", "500ms"],
            "--poll-interval: must be at least 1s",
        ),
    ];
    for (extra, message) in cases {
        assert_usage_error(
            &[&["--input", input.as_str()], extra].concat(),
            &[],
            message,
        );
    }
    let cases: [(&[&str], &str); 3] = [
        (
            &["--input", "/nonexistent/builds.json"],
            "--input: cannot read /nonexistent/builds.json",
        ),
        (&["--job-id", "j"], "--job-name is required"),
        (
            &["--job-id", "j", "--job-name", "n", "--region", "cn-north-4"],
            "no credentials",
        ),
    ];
    for (argv, message) in cases {
        assert_usage_error(argv, &[], message);
    }
}

/// Issue 10 items 7 and 15: values that used to reach the network are usage errors.
#[test]
fn unsendable_values_are_usage_errors_before_any_request() {
    let token = [("SERVICESTAGE_TOKEN", "t")];
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "--job-id",
                "j",
                "--job-name",
                "n",
                "--region",
                "r",
                "--project-id",
                "p\r\nX: y",
            ],
            "--project-id: contains a control character",
        ),
        (
            &[
                "--job-id",
                "j",
                "--job-name",
                "n",
                "--endpoint",
                "http://[::1]evil.com:8080",
            ],
            "invalid host or port",
        ),
        (
            &[
                "--job-id",
                "j",
                "--job-name",
                "n",
                "--endpoint",
                "http://gate.localhost:8080",
            ],
            "uses plain http://",
        ),
        (
            &["--job-id", "", "--job-name", "n", "--region", "r"],
            "--job-id: empty value",
        ),
        (
            &["--job-id", "j", "--job-name", "", "--region", "r"],
            "--job-name: empty value",
        ),
    ];
    for (argv, message) in cases {
        assert_usage_error(argv, &token, message);
    }
}

#[test]
fn help_and_version() {
    let help = run(gate().arg("--help"));
    assert_eq!(help.code, 0);
    for needle in [
        "SERVICESTAGE_MAX_DURATION",
        "(default: 15s)",
        "3 error: the builds could not be fetched",
    ] {
        assert!(help.stdout.contains(needle), "--help lacks {needle}");
    }
    let version = run(gate().arg("--version"));
    assert_eq!(
        (version.code, version.stdout.trim()),
        (0, concat!("servicestage-gate ", env!("CARGO_PKG_VERSION")))
    );
}

#[test]
fn github_annotations_summary_and_outputs() {
    let dir = tempdir("github");
    let (summary, output) = (dir.join("summary.md"), dir.join("output"));
    let out = run(judge("unfinished-latest.json")
        .args(["--max-duration", "1h", "--min-success-rate", "95"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &output));
    assert_eq!(out.code, 1);
    let commands: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(
        commands,
        [
            "::warning title=state::build 19f9919c-f2ee-45d1-a9d1-1200068739fa has not finished (Building)",
            "::warning title=max-duration::build 19f9919c-f2ee-45d1-a9d1-1200068739fa has not finished (Building)",
        ]
    );
    let summary = std::fs::read_to_string(summary).unwrap();
    assert!(
        summary.contains("servicestage-gate: inconclusive"),
        "{summary}"
    );
    assert!(summary.contains("| state | inconclusive | build 19f9919c-f2ee-45d1-a9d1-1200068739fa has not finished (Building) |"), "{summary}");
    let output = std::fs::read_to_string(output).unwrap();
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(
        &lines[..4],
        [
            "verdict=inconclusive",
            "build-id=19f9919c-f2ee-45d1-a9d1-1200068739fa",
            "build-state=Building",
            "duration="
        ]
    );
    let delimiter = lines[4].strip_prefix("report<<").unwrap();
    assert!(delimiter.starts_with("ghadelimiter_"), "{delimiter}");
    let report: Value = serde_json::from_str(lines[5]).unwrap();
    assert_eq!(report["verdict"], "inconclusive");
    assert_eq!(lines[6], delimiter);
}

#[test]
fn github_error_and_notice_lines() {
    let fail =
        run(judge("slow-latest.json").args(["--max-duration", "25m", "--annotations", "github"]));
    assert_any_line(&fail.stdout, |l| {
        l == "::error title=max-duration::duration 31m 40s exceeds limit 25m"
    });
    let pass = run(judge("passing.json").args(["--annotations", "github"]));
    assert_any_line(&pass.stdout, |l| {
        l.starts_with("::notice title=servicestage-gate::pass: build 52e6b438")
    });
    // JSON mode keeps stdout one object; the commands go to stderr, which the runner reads too.
    let json = run(judge("passing.json").args(["--annotations", "github", "--format", "json"]));
    assert_eq!(json.json()["verdict"], "pass");
    assert!(
        json.stderr
            .starts_with("::notice title=servicestage-gate::"),
        "{}",
        json.stderr
    );
}

#[test]
fn hostile_build_ids_are_escaped_in_annotations() {
    let body = r#"{"list":[{"build_id":"evil%0A::error::x forged,id:1","build_state":"Failed","duration":5}]}"#;
    let out = run_with_stdin(
        gate().args(["--input", "-", "--annotations", "github"]),
        body.as_bytes(),
    );
    let commands: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(
        commands,
        [
            "::error title=state::build evil%250A::error::x forged,id:1 is Failed, expected Successful"
        ]
    );
}

#[test]
fn unwritable_github_files_warn_and_the_verdict_stands() {
    let out = run(gate()
        .args(["--input", &example("passing.json")])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", "/nonexistent/dir/output"));
    assert_eq!(out.code, 0);
    assert!(
        out.stderr
            .contains("warning: cannot append to $GITHUB_OUTPUT"),
        "{}",
        out.stderr
    );
}

#[test]
fn azure_logging_commands() {
    let out = run(judge("unfinished-latest.json")
        .args(["--inconclusive", "pass"])
        .env("TF_BUILD", "True"));
    assert_eq!(out.code, 0);
    let commands: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("##vso"))
        .collect();
    assert_eq!(
        commands,
        [
            "##vso[task.logissue type=warning]state: build 19f9919c-f2ee-45d1-a9d1-1200068739fa has not finished (Building)",
            "##vso[task.setvariable variable=verdict;isoutput=true]inconclusive",
            "##vso[task.complete result=SucceededWithIssues;]inconclusive verdict let through by --inconclusive pass",
        ]
    );
    let fail = run(judge("failed-latest.json").args(["--annotations", "azure"]));
    assert_any_line(&fail.stdout, |l| {
        l.starts_with("##vso[task.logissue type=error]state: build ae2eb154")
    });
    assert!(!fail.stdout.contains("task.complete"));
}

#[test]
fn junit_report_has_a_testcase_per_rule() {
    let dir = tempdir("junit");
    let path = dir.join("gate.xml");
    let out = run(judge("unfinished-latest.json").args([
        "--junit",
        path.to_str().unwrap(),
        "--ignore-running",
        "--max-duration",
        "10m",
        "--max-consecutive-failures",
        "0",
    ]));
    assert_eq!(out.code, 1);
    let xml = std::fs::read_to_string(&path).unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert!(xml.contains(r#"<testsuite name="servicestage-gate: saved response" tests="4" failures="1" errors="0" skipped="0">"#), "{xml}");
    assert!(
        xml.contains(
            r#"<testcase classname="servicestage-gate.saved response" name="max-duration">"#
        ),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<failure message="duration 19m 41s exceeds limit 10m">"#),
        "{xml}"
    );
    assert_eq!(xml.matches("<testcase ").count(), 4);

    let error = run_with_stdin(
        gate().args(["--input", "-", "--junit", path.to_str().unwrap()]),
        b"not json",
    );
    assert_eq!(error.code, 3);
    let xml = std::fs::read_to_string(&path).unwrap();
    assert!(
        xml.contains(r#"name="fetch builds">"#) && xml.contains(r#"<error type="response""#),
        "{xml}"
    );
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "servicestage-gate-test-{name}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn gitlab_gets_a_collapsible_rule_section() {
    let out = run(gate()
        .args(["--input", &example("passing.json")])
        .env("GITLAB_CI", "true"));
    assert_eq!(out.code, 0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[2].starts_with("\x1b[0Ksection_start:")
            && lines[2].ends_with(":gate_rules[collapsed=false]\r\x1b[0KRules"),
        "{:?}",
        lines[2]
    );
    assert!(lines[3].starts_with("  PASS "), "{:?}", lines[3]);
    assert!(
        lines[4].starts_with("\x1b[0Ksection_end:") && lines[4].contains(":gate_rules\r"),
        "{:?}",
        lines[4]
    );
    assert!(
        !out.stdout.contains("::"),
        "no GitHub commands under GitLab"
    );
}

#[test]
fn junit_parses_back_with_hostile_text() {
    let dir = tempdir("junit-parse");
    let path = dir.join("gate.xml");
    let body = r#"{"list":[{"build_id":"<b&\"1'>]]>##vso[x]::","build_state":"Failed","duration":5},
                          {"build_id":"b0","build_state":"Building"}]}"#;
    let out = run_with_stdin(
        gate().args([
            "--input",
            "-",
            "--job-name",
            "deploy & <test>",
            "--junit",
            path.to_str().unwrap(),
            "--max-duration",
            "1m",
            "--max-duration-regression",
            "10",
        ]),
        body.as_bytes(),
    );
    assert_eq!(out.code, 1);
    let xml = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(
        suite.attribute("name"),
        Some("servicestage-gate: deploy & <test>")
    );
    assert_eq!(
        (
            suite.attribute("tests"),
            suite.attribute("failures"),
            suite.attribute("skipped")
        ),
        (Some("4"), Some("1"), Some("1"))
    );
    let cases: Vec<(&str, &str)> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|case| {
            let outcome = case
                .children()
                .find(|n| n.is_element())
                .unwrap()
                .tag_name()
                .name();
            (case.attribute("name").unwrap(), outcome)
        })
        .collect();
    assert_eq!(
        cases,
        [
            ("state", "failure"),
            ("max-duration", "system-out"),
            ("min-builds", "system-out"),
            ("max-duration-regression", "skipped")
        ]
    );
    let failure = suite
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(
        failure.attribute("message"),
        Some("build <b&\"1'>]]>##vso[x]:: is Failed, expected Successful")
    );
    assert!(!xml.contains("##") && !xml.contains("::"), "{xml}");
}

#[test]
fn a_usage_error_still_names_the_job_in_json() {
    let out = run(gate().args([
        "--format",
        "json",
        "--job-id",
        "j-7",
        "--job-name",
        "deploy",
        "--region",
        "cn-north-4",
    ]));
    assert_eq!(out.code, 2);
    let json = out.json();
    assert_eq!(
        json["job"],
        serde_json::json!({"id": "j-7", "name": "deploy"})
    );
    assert_eq!(
        json["error"]["message"],
        "no credentials: set SERVICESTAGE_TOKEN (or --token-file); or HUAWEICLOUD_SDK_AK and \
         HUAWEICLOUD_SDK_SK; or HUAWEICLOUD_SDK_IDP_ID with HUAWEICLOUD_SDK_ID_TOKEN_FILE (or \
         inside GitHub Actions with `permissions: id-token: write`); or SERVICESTAGE_IAM_USER, \
         SERVICESTAGE_IAM_DOMAIN and SERVICESTAGE_IAM_PASSWORD"
    );
    assert_eq!(
        (
            json["target"].clone(),
            json["summary"].clone(),
            json["rules"].clone()
        ),
        (Value::Null, Value::Null, serde_json::json!([]))
    );
}

#[cfg(unix)]
#[test]
fn an_endless_input_stops_at_the_16_mib_cap() {
    let out = run(gate().args(["--input", "/dev/zero", "--format", "json"]));
    assert_eq!(out.code, 3);
    let error = &out.json()["error"];
    assert_eq!(error["kind"], "response");
    assert_eq!(
        error["message"],
        "--input: /dev/zero is over the 16 MiB limit"
    );
}

/// Issue 10 item 3, at the binary: a variable that is not UTF-8 is a usage error naming it,
/// not an unset variable that silently drops a rule.
#[cfg(unix)]
#[test]
fn an_unreadable_variable_is_a_usage_error_naming_it() {
    use std::os::unix::ffi::OsStrExt;
    let mangled = std::ffi::OsStr::from_bytes(b"80\xff");
    let out = run(judge("flaky-history.json")
        .args(["--format", "json"])
        .env("SERVICESTAGE_MIN_SUCCESS_RATE", mangled));
    assert_json_usage(&out, "SERVICESTAGE_MIN_SUCCESS_RATE is not valid UTF-8");
}

/// Issue 10 item 13: durations past the limit are usage errors, not a panic, and under
/// `--format json` every usage exit prints the JSON object, a non-UTF-8 argument included.
#[cfg(unix)]
#[test]
fn every_usage_exit_prints_json_and_huge_durations_are_usage_errors() {
    use std::os::unix::ffi::OsStrExt;
    let api = ["--job-id", "j", "--job-name", "n", "--region", "cn-north-4"];
    let cases: [(Vec<&std::ffi::OsStr>, &str); 4] = [
        (
            vec!["--wait".as_ref(), "300000000000y".as_ref()],
            "--wait: \"300000000000y\" is longer than the limit of 366 days",
        ),
        (
            vec!["--poll-interval".as_ref(), "1ns".as_ref()],
            "--poll-interval: must be at least 1s",
        ),
        (
            vec!["--max-duration".as_ref(), "9999999999d".as_ref()],
            "--max-duration: \"9999999999d\" is longer",
        ),
        (
            vec![std::ffi::OsStr::from_bytes(b"--bogus\xff")],
            "is not valid UTF-8",
        ),
    ];
    for (args, message) in cases {
        assert_json_usage(
            &run(judge("passing.json").args(["--format", "json"]).args(&args)),
            message,
        );
    }
    let timeout = run(gate()
        .args(api)
        .args(["--timeout", "300000000000y", "--format", "json"])
        .env("SERVICESTAGE_TOKEN", "t"));
    assert_json_usage(&timeout, "--timeout: \"300000000000y\" is longer");
}

/// Issue 10 item 14: `--junit` replaces only a regular file. A symlink, FIFO or directory at
/// the path is left as it is, with a warning, and the verdict stands; no temp file is left.
#[cfg(unix)]
#[test]
fn junit_writes_only_a_regular_file() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempdir("junit-regular");
    let victim = dir.join("victim");
    std::fs::write(&victim, "keep").unwrap();
    let link = dir.join("link.xml");
    let fifo = dir.join("fifo.xml");
    let directory = dir.join("directory.xml");
    let regular = dir.join("regular.xml");
    for planted in [&link, &fifo, &directory, &regular] {
        let _ = std::fs::remove_file(planted);
    }
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let fifo_name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo_name.as_ptr(), 0o600) }, 0);
    std::fs::create_dir_all(&directory).unwrap();
    std::fs::write(&regular, "old").unwrap();

    for refused in [&link, &fifo, &directory] {
        let out = run(judge("passing.json").args(["--junit", refused.to_str().unwrap()]));
        assert_eq!(out.code, 0, "the verdict stands: {}", out.stderr);
        assert!(
            out.stderr.contains("warning: --junit: cannot write")
                && out.stderr.contains("not a regular file"),
            "{}",
            out.stderr
        );
    }
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    assert!(directory.is_dir());

    let out = run(judge("passing.json").args(["--junit", regular.to_str().unwrap()]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        std::fs::read_to_string(&regular)
            .unwrap()
            .starts_with("<?xml")
    );
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "directory.xml",
            "fifo.xml",
            "link.xml",
            "regular.xml",
            "victim"
        ],
        "no temp file left"
    );
}

/// Issue 11 item 5: a report nobody could read is not a pass. A closed stdout turns exit 0
/// into 3; a failing verdict keeps its 1.
#[cfg(unix)]
#[test]
fn a_closed_stdout_is_never_a_pass() {
    for (name, code) in [("passing.json", 3), ("failed-latest.json", 1)] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = judge(name).stdout(writer).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{name}: {stderr}");
        assert!(
            stderr.contains("error: cannot write to stdout"),
            "{name}: {stderr}"
        );
    }
}

/// A closed stderr loses the lines meant for it, but never crashes the gate or changes its
/// verdict: the exit code still says what happened.
#[cfg(unix)]
#[test]
fn a_closed_stderr_keeps_the_exit_code() {
    let dir = tempdir("closed-stderr");
    let cases: [(&str, &[&str], i32); 3] = [
        ("passing.json", &[], 0),
        ("failed-latest.json", &[], 1),
        // a warning on stderr: the JUnit file cannot be written
        ("passing.json", &["--junit", "/nonexistent-dir/gate.xml"], 0),
    ];
    for (name, args, code) in cases {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = judge(name).args(args).stderr(writer).output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{name} {args:?}");
    }
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let broken = dir.join("broken.json");
    std::fs::write(&broken, "{\"list\":[").unwrap();
    let out = gate()
        .args(["--input", broken.to_str().unwrap()])
        .stderr(writer)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "an error line on a closed stderr"
    );
}

/// Issue 20 item 6, contract "Flags": `--flag=value` is `--flag value`, the value may hold
/// `=` itself, and after `--` nothing is an option any more.
#[test]
fn flag_equals_value_is_accepted() {
    let spaced = run(judge("slow-latest.json").args(["--max-duration", "25m", "--format", "json"]));
    let joined = run(gate().args([
        &format!("--input={}", example("slow-latest.json")),
        "--max-duration=25m",
        "--format=json",
    ]));
    assert_eq!((joined.code, &joined.stdout), (spaced.code, &spaced.stdout));
    assert_eq!(joined.code, 1, "{}", joined.stderr);
    let out = run(judge("passing.json").args(["--job-name=a=b", "--format=json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["job"]["name"], "a=b");
    let after_dashes = run(judge("passing.json").args(["--", "--format=json"]));
    assert_eq!(after_dashes.code, 2);
    assert_eq!(
        after_dashes.stderr.lines().count(),
        1,
        "{}",
        after_dashes.stderr
    );
    assert!(
        after_dashes.stdout.is_empty(),
        "--format=json after -- is no option"
    );
}

/// Issue 20 item 6: a misspelt flag gets "did you mean", and a flag missing its value is
/// named instead of the word that ends up stray.
#[test]
fn flag_mistakes_name_the_flag() {
    let input = example("passing.json");
    let cases: [(&[&str], &str); 6] = [
        (
            &["--wait", "--job-name", "web"],
            "--wait needs a value (DUR), but --job-name follows it",
        ),
        (
            &["--jobname", "web"],
            "unknown flag --jobname; did you mean --job-name?",
        ),
        (
            &["--max-duraton=20m"],
            "unknown flag --max-duraton; did you mean --max-duration?",
        ),
        (
            &["--regoin", "cn-north-4"],
            "unknown flag --regoin; did you mean --region?",
        ),
        (&["--ascii=yes"], "--ascii is a switch and takes no value"),
        (&["--max-duration"], "--max-duration needs a value (DUR)"),
    ];
    for (extra, message) in cases {
        let argv = [&["--input", input.as_str()], extra].concat();
        assert_usage_error(&argv, &[], message);
        let out = run(gate().args(&argv));
        assert!(
            !out.stderr.contains("Unrecognized"),
            "{argv:?}: {}",
            out.stderr
        );
    }
}

/// Issue 20 item 7: `--min-success-rate 0.9` used to mean 0.9 % and pass 66.7 %.
#[test]
fn a_fractional_success_rate_suggests_the_percentage() {
    let message = "--min-success-rate: 0.9 is read as 0.9 %; did you mean 90?";
    assert_usage_error(
        &[
            "--input",
            &example("flaky-history.json"),
            "--min-success-rate",
            "0.9",
        ],
        &[],
        message,
    );
    assert_usage_error(
        &["--input", &example("flaky-history.json")],
        &[("SERVICESTAGE_MIN_SUCCESS_RATE", "0.9")],
        "SERVICESTAGE_MIN_SUCCESS_RATE: 0.9 is read as 0.9 %; did you mean 90?",
    );
    let explicit = run(judge("flaky-history.json").args(["--min-success-rate", "0.9%"]));
    assert_eq!(
        explicit.code, 0,
        "0.9% says what it means: {}",
        explicit.stderr
    );
}

/// Issue 20 items 6 and 7: `--job a,,b` used to drop the empty entry silently, and a bad
/// `--job` name was told to use `--job-id`, which `--job` excludes.
#[test]
fn job_lists_refuse_empty_entries_and_bad_names_get_usable_advice() {
    let token = [("SERVICESTAGE_TOKEN", "t")];
    let region = ["--region", "cn-north-4"];
    assert_usage_error(
        &[&region[..], &["--job", "api,,worker"]].concat(),
        &token,
        r#"--job: empty entry in "api,,worker""#,
    );
    assert_usage_error(
        &region,
        &[token[0], ("SERVICESTAGE_JOB", "api,worker,")],
        r#"SERVICESTAGE_JOB: empty entry in "api,worker,""#,
    );
    assert_usage_error(
        &[
            "--input",
            &example("passing.json"),
            "--require-state",
            "Successful,,Failed",
        ],
        &[],
        r#"--require-state: empty entry in "Successful,,Failed""#,
    );
    assert_usage_error(
        &["--input", &example("passing.json"), "--max-duration", "1h"],
        &[("SERVICESTAGE_ADVISORY", "max-duration,")],
        r#"SERVICESTAGE_ADVISORY: empty entry in "max-duration,""#,
    );
    let argv = [&region[..], &["--job", "api,2fast"]].concat();
    assert_usage_error(
        &argv,
        &token,
        r#"--job: "2fast" is not a ServiceStage job name"#,
    );
    let out = run(gate().args(&argv).envs(token));
    assert!(
        !out.stderr.contains("pass the id with --job-id"),
        "--job excludes --job-id: {}",
        out.stderr
    );
    assert!(out.stderr.contains("in a run of its own"), "{}", out.stderr);
}

/// Contract "Flags": a region the official SDKs do not list is still used, with one warning
/// line naming the closest listed region, before any request.
#[test]
fn an_unlisted_region_warns_once_before_any_request() {
    let server = Server::always(200, &page_json(1, &[("b1", "Successful", 60)]));
    let out = run(gate_for(&server.url()).args(["--region", "cn-nrth-4", "--verbose"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let warning = "servicestage-gate: warning: --region: cn-nrth-4 is not a ServiceStage region \
                   the official SDKs list; did you mean cn-north-4?";
    assert_eq!(out.stderr.lines().next(), Some(warning), "{}", out.stderr);
    assert_eq!(out.stderr.matches("warning").count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.lines().count() > 1,
        "requests are logged after it"
    );
    let listed = run(gate_for(&server.url()).args(["--region", "cn-north-4"]));
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert!(!listed.stderr.contains("warning"), "{}", listed.stderr);
}
