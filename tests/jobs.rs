//! Several jobs in one gate (`--job`), advisory rules, and the history picture (issue 15),
//! end to end through the binary against a loopback ServiceStage.

use std::fs;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::common::{
    self, Recorded, Reply, Server, TOKEN, assert_message_contains, gate, judge, page_json, run,
};
use serde_json::Value;

/// The builds of each job, newest first: `api` passes, `web` failed, `worker` is still
/// building (inconclusive), `broken` answers 500, `hang` never answers in time.
fn builds_of(job: &str) -> Option<Vec<(String, &'static str, u64)>> {
    let mut builds: Vec<(String, &'static str, u64)> = (0..10)
        .map(|i| (format!("{job}-{i}"), "Successful", 600 + i))
        .collect();
    match job {
        "api" | "one" | "two" => {}
        "web" => builds[0].1 = "Failed",
        "worker" => builds[0].1 = "Building",
        _ if job.starts_with("job") => {}
        _ => return None,
    }
    Some(builds)
}

/// The job list answers any name with job `id-NAME`; each job's builds are `builds_of`.
fn route(request: &Recorded) -> Reply {
    let path = request.path();
    if path == "/assembling/v1/jobs" {
        let name = request.query("job_name").unwrap_or_default();
        let page = request.query("page").unwrap_or("1");
        let list = match page {
            "1" => format!(r#"[{{"job_id":"id-{name}","job_name":"{name}"}}]"#),
            _ => "[]".into(),
        };
        return Reply::ok(format!(r#"{{"total":1,"list":{list}}}"#));
    }
    let job = path
        .strip_prefix("/assembling/v1/jobs/id-")
        .and_then(|rest| rest.strip_suffix("/builds"))
        .unwrap_or_default();
    match (job, builds_of(job)) {
        ("hang", _) => Reply::After(Duration::from_secs(60), Box::new(Reply::ok("{}"))),
        (_, None) => Reply::json(500, r#"{"error_code":"SVCSTG.500","error_msg":"boom"}"#),
        (_, Some(builds)) => {
            let borrowed: Vec<(&str, &str, u64)> = builds
                .iter()
                .map(|(i, s, d)| (i.as_str(), *s, *d))
                .collect();
            Reply::ok(page_json(builds.len(), &borrowed))
        }
    }
}

/// The gate against `server` with `--job` for each of `jobs`.
fn gate_jobs(server: &Server, jobs: &[&str]) -> std::process::Command {
    let mut command = gate();
    command
        .args(["--endpoint", &server.url(), "--retries", "0"])
        .env("SERVICESTAGE_TOKEN", TOKEN)
        .env("LANG", "C.UTF-8");
    for job in jobs {
        command.args(["--job", job]);
    }
    command
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gate-jobs-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

const THREE: [&str; 3] = ["api", "web", "worker"];

#[test]
fn three_jobs_pass_fail_inconclusive_make_a_fail_in_text_and_github() {
    let server = Server::start(|r, _| route(r));
    let dir = scratch("github");
    let (summary, output) = (dir.join("summary.md"), dir.join("output"));
    let out = run(gate_jobs(&server, &THREE)
        .args(["--annotations", "github", "--min-success-rate", "50"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &output));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    // text: a block per job in the order given, then the overall line
    let headings: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("== job"))
        .collect();
    assert_eq!(
        headings,
        ["== job api ==", "== job web ==", "== job worker =="]
    );
    assert!(
        out.stdout
            .contains("overall: FAIL (api pass, web fail, worker inconclusive)\n"),
        "{}",
        out.stdout
    );
    // annotations titled `job: rule`
    let lines: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert!(
        lines.contains(&"::error title=web%3A state::build web-0 is Failed, expected Successful"),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l
                .starts_with("::warning title=worker%3A state::build worker-0 has not finished")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("::notice title=api%3A servicestage-gate::pass")),
        "{lines:?}"
    );
    // the summary starts with one table, a row per job, then each job's details
    let summary = fs::read_to_string(&summary).unwrap();
    let rows: Vec<&str> = summary
        .lines()
        .skip_while(|l| !l.starts_with("| Job"))
        .take(5)
        .collect();
    assert_eq!(
        rows[0], "| Job | Verdict | Target | State | Duration | Failing rules |",
        "{summary}"
    );
    assert_eq!(rows[2], "| `api` | pass | `api-0` | Successful | 10m | - |");
    assert_eq!(rows[3], "| `web` | fail | `web-0` | Failed | 10m | state |");
    assert_eq!(
        rows[4],
        "| `worker` | inconclusive | `worker-0` | Building | 10m | state |"
    );
    assert!(
        summary.starts_with("### ❌ servicestage-gate: fail\n"),
        "{summary}"
    );
    let headings: Vec<&str> = summary.lines().filter(|l| l.starts_with("#### ")).collect();
    assert_eq!(
        headings,
        [
            "#### ✅ `api`: pass",
            "#### ❌ `web`: fail",
            "#### ⚠️ `worker`: inconclusive"
        ],
        "{summary}"
    );
    assert_eq!(
        summary.matches("```mermaid").count(),
        3,
        "a chart per job: {summary}"
    );
    // outputs: the overall verdict and the report of every job
    let output = fs::read_to_string(&output).unwrap();
    assert!(output.starts_with("verdict=fail\nbuild-id=\n"), "{output}");
    let report = output.lines().nth(5).unwrap();
    let report: Value = serde_json::from_str(report).unwrap();
    assert_eq!(report["jobs"].as_array().unwrap().len(), 3, "{report}");
}

#[test]
fn three_jobs_in_json_azure_and_junit() {
    let server = Server::start(|r, _| route(r));
    let junit = scratch("junit").join("report.xml");
    let out = run(gate_jobs(&server, &THREE)
        .args(["--format", "json", "--annotations", "azure", "--junit"])
        .arg(&junit));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let json = out.json();
    assert_eq!(json["verdict"], "fail");
    assert_eq!(json["error"], Value::Null);
    let jobs = json["jobs"].as_array().unwrap();
    let names: Vec<&str> = jobs
        .iter()
        .map(|j| j["job"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, THREE);
    let verdicts: Vec<&str> = jobs
        .iter()
        .map(|j| j["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["pass", "fail", "inconclusive"]);
    // each job is today's single-job object, its id as the lookup found it
    assert_eq!(jobs[1]["job"]["id"], "id-web");
    assert_eq!(jobs[1]["target"]["build_id"], "web-0");
    assert_eq!(jobs[1]["rules"][0]["name"], "state");
    assert!(jobs[1]["rules"][0].get("advisory").is_none());
    // Azure: the same per job, on stderr under --format json
    let azure: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("##vso["))
        .collect();
    assert!(
        azure.contains(
            &"##vso[task.logissue type=error]web: state: build web-0 is Failed, expected Successful"
        ),
        "{azure:?}"
    );
    assert!(
        azure
            .iter()
            .any(|l| l.starts_with("##vso[task.logissue type=warning]worker: state: ")),
        "{azure:?}"
    );
    assert_eq!(
        azure.last(),
        Some(&"##vso[task.setvariable variable=verdict;isoutput=true]fail")
    );
    // JUnit: one testsuite per job
    let xml = fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testsuite ").count(), 3, "{xml}");
    for job in THREE {
        assert!(
            xml.contains(&format!("<testsuite name=\"servicestage-gate: {job}\"")),
            "{xml}"
        );
    }
    assert!(
        xml.contains(
            "<testsuites name=\"servicestage-gate\" tests=\"3\" failures=\"1\" errors=\"0\">"
        ),
        "{xml}"
    );
}

#[test]
fn one_job_in_error_makes_the_run_an_error_and_the_others_are_reported() {
    let server = Server::start(|r, _| route(r));
    let out = run(gate_jobs(&server, &["api", "broken", "web"]).args(["--format", "json"]));
    assert_eq!(out.code, 3, "{}", out.stderr);
    let json = out.json();
    assert_eq!(json["verdict"], "error");
    assert_eq!(json["error"]["kind"], "http");
    let verdicts: Vec<&str> = json["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["pass", "error", "fail"]);
    assert_eq!(json["jobs"][1]["error"]["status"], 500);
    assert!(
        out.stderr
            .contains("servicestage-gate: broken: http: HTTP 500 SVCSTG.500"),
        "{}",
        out.stderr
    );

    let text = run(&mut gate_jobs(&server, &["api", "broken"]));
    assert_eq!(text.code, 3);
    assert!(
        text.stdout
            .contains("== job api ==\nservicestage-gate: PASS for job api"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("overall: ERROR (api pass, broken error)\n"),
        "{}",
        text.stdout
    );
}

#[test]
fn an_advisory_failure_exits_0_with_a_warning() {
    let server = Server::start(|r, _| route(r));
    let out = run(gate_jobs(&server, &["api"]).args([
        "--max-duration",
        "1m",
        "--advisory",
        "max-duration",
        "--annotations",
        "github",
    ]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(!out.stdout.contains("::error"), "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "::warning title=api%3A max-duration::advisory, fail: duration 10m exceeds limit 1m\n"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("  FAIL         max-duration (advisory): duration 10m exceeds limit 1m\n"),
        "{}",
        out.stdout
    );

    // one job keeps today's JSON shape; the rule says it is advisory
    let single = run(gate()
        .args([
            "--input",
            &common::example("passing.json"),
            "--format",
            "json",
            "--junit",
        ])
        .arg(scratch("advisory").join("r.xml"))
        .args(["--max-duration", "1m", "--advisory", "max-duration"]));
    assert_eq!(single.code, 0, "{}", single.stderr);
    let rule = single.rule("max-duration");
    assert_eq!(
        (rule["verdict"].as_str(), rule["advisory"].as_bool()),
        (Some("fail"), Some(true))
    );
    assert!(single.json().get("jobs").is_none());
    let xml = fs::read_to_string(scratch_path("advisory")).unwrap();
    assert!(
        xml.contains("<skipped message=\"advisory, fail: duration"),
        "{xml}"
    );
    assert!(xml.contains("failures=\"0\""), "{xml}");
}

fn scratch_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir()
        .join(format!("gate-jobs-{name}-{}", std::process::id()))
        .join("r.xml")
}

#[test]
fn bad_jobs_and_advisory_rules_are_usage_errors() {
    let cases: [(&[&str], &str); 8] = [
        (
            &["--job", "api", "--job-id", "x"],
            "cannot be combined with --job-id",
        ),
        (
            &["--job", "api", "--input", "-"],
            "--input judges one saved response",
        ),
        (
            &["--job", "api", "--job", "API"],
            "--job: job API is named twice",
        ),
        (&["--job", "a::b"], "is not a ServiceStage job name"),
        (
            &["--job", "x##vso[task.complete]"],
            "is not a ServiceStage job name",
        ),
        (
            &["--job", "api", "--advisory", "state"],
            "the state rule cannot be advisory",
        ),
        (
            &["--job", "api", "--advisory", "max-duration"],
            "rule max-duration is not enabled",
        ),
        (
            &["--job", "api", "--advisory", "speed"],
            "unknown rule \"speed\"",
        ),
    ];
    for (args, message) in cases {
        let out = run(gate()
            .args(["--endpoint", "http://127.0.0.1:9"])
            .env("SERVICESTAGE_TOKEN", TOKEN)
            .args(args));
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(message), "{args:?}: {}", out.stderr);
        assert!(
            !out.stderr.contains("##vso[") && !out.stderr.contains("a::b"),
            "{}",
            out.stderr
        );
    }
    let from_variable = run(gate()
        .args(["--endpoint", "http://127.0.0.1:9", "--job", "api"])
        .env("SERVICESTAGE_TOKEN", TOKEN)
        .env("SERVICESTAGE_ADVISORY", "min-builds,state"));
    assert_eq!(from_variable.code, 2);
    assert!(
        from_variable
            .stderr
            .contains("SERVICESTAGE_ADVISORY: rule min-builds is not enabled"),
        "{}",
        from_variable.stderr
    );
}

#[test]
fn the_job_variable_takes_a_comma_separated_list() {
    let server = Server::start(|r, _| route(r));
    let out = run(gate_jobs(&server, &[])
        .args(["--format", "json"])
        .env("SERVICESTAGE_JOB", "api, web"));
    let json = out.json();
    assert_eq!(json["jobs"].as_array().unwrap().len(), 2, "{json}");
    assert_eq!(json["jobs"][1]["job"]["name"], "web");
}

#[test]
fn the_action_input_jobs_takes_one_name_per_line() {
    let mut command = std::process::Command::new("bash");
    command
        .arg("scripts/run-gate.sh")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("GATE_BIN", "/usr/bin/env")
        .env("GATE_IN_JOBS", "api\r\nweb\nworker\n");
    let out = run(&mut command);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .lines()
            .any(|l| l == "SERVICESTAGE_JOB=api,web,worker,"),
        "{}",
        out.stdout
    );
}

/// A server that holds each request until `together` are in flight at once (and a moment
/// more), then lets them all through; with the most it saw in flight at once. A gate that
/// fetches fewer jobs at a time is let through after 10s, so it fails instead of hanging.
fn gathering(together: usize) -> (Server, Arc<AtomicUsize>) {
    let (in_flight, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let released = Arc::new(AtomicBool::new(false));
    let peak = most.clone();
    let server = Server::start(move |r, _| {
        let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        most.fetch_max(now, Ordering::SeqCst);
        if now >= together {
            // A moment for a gate that fetches more at once to show it.
            std::thread::sleep(Duration::from_millis(200));
            released.store(true, Ordering::SeqCst);
        }
        let held = Instant::now();
        while !released.load(Ordering::SeqCst) && held.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(5));
        }
        released.store(true, Ordering::SeqCst);
        in_flight.fetch_sub(1, Ordering::SeqCst);
        route(r)
    });
    (server, peak)
}

#[test]
fn jobs_are_fetched_in_parallel_at_most_eight_at_once() {
    // Each worker has one request out at a time, so the peak is the number of workers.
    let (server, peak) = gathering(5);
    let jobs = ["job0", "job1", "job2", "job3", "job4"];
    let five = run(gate_jobs(&server, &jobs).args(["--format", "json"]));
    assert_eq!(five.code, 0, "{}", five.stderr);
    assert_eq!(peak.load(Ordering::SeqCst), 5, "five jobs, all at once");
    let (server, peak) = gathering(8);
    let names: Vec<String> = (0..12).map(|i| format!("job{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let twelve = run(gate_jobs(&server, &names).args(["--format", "json"]));
    assert_eq!(twelve.code, 0, "{}", twelve.stderr);
    let order: Vec<String> = twelve.json()["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["job"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(order, names, "reports keep the order given");
    assert_eq!(
        peak.load(Ordering::SeqCst),
        8,
        "twelve jobs, eight at a time"
    );
}

#[test]
fn a_job_whose_server_hangs_ends_at_the_shared_wait_deadline() {
    let server = Server::start(|r, _| route(r));
    let out = run(gate_jobs(&server, &["api", "hang"]).args(["--wait", "2s", "--format", "json"]));
    assert_eq!(out.code, 3, "{}", out.stderr);
    let json = out.json();
    assert_eq!(json["jobs"][0]["verdict"], "pass");
    // The deadline cut it, not --timeout (30s) nor the server's answer (after 60s).
    let error = &json["jobs"][1]["error"];
    assert_eq!(error["kind"], "timeout", "{json}");
    assert_message_contains(error, "before the --wait deadline of 2s passed");
}

/// The first `bar` series of the step summary's chart: the window's durations, oldest first.
#[test]
fn the_chart_in_a_real_step_summary_holds_the_window_durations_oldest_first() {
    let summary = scratch("chart").join("summary.md");
    let out = run(judge("flaky-history.json")
        .args(["--annotations", "github", "--max-duration", "30m"])
        .env("GITHUB_STEP_SUMMARY", &summary));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let summary = fs::read_to_string(&summary).unwrap();
    let table = summary.find("| Rule |").unwrap();
    let chart = summary.find("```mermaid\n").expect("a chart");
    assert!(table < chart, "the text table stays first: {summary}");
    let block = &summary[chart + 11..];
    let block = &block[..block.find("```").unwrap()];
    let bars: Vec<u64> = block
        .lines()
        .find_map(|l| l.trim().strip_prefix("bar ["))
        .expect("a bar series")
        .trim_end_matches(']')
        .split(", ")
        .map(|v| v.parse().unwrap())
        .collect();
    let saved: Value =
        serde_json::from_str(&fs::read_to_string(common::example("flaky-history.json")).unwrap())
            .unwrap();
    let mut expected: Vec<u64> = saved["list"].as_array().unwrap()[..10]
        .iter()
        .map(|b| b["duration"].as_u64().unwrap())
        .collect();
    expected.reverse();
    assert_eq!(bars, expected, "{block}");
    assert!(
        block.contains("  line [1800, "),
        "the --max-duration line: {block}"
    );
}

#[test]
fn the_text_report_ends_with_a_state_strip() {
    let strip = |env: &[(&str, &str)], args: &[&str]| {
        let mut command = judge("flaky-history.json");
        command.args(args).envs(env.iter().copied());
        let out = run(&mut command);
        (
            out.code,
            out.stdout
                .lines()
                .find(|l| l.starts_with("history: "))
                .map(String::from),
            out.stderr,
        )
    };
    let unicode = Some("history: ✗✓✗⊘✓✗✓◷✗✓".to_string());
    let ascii = Some("history: x+x-+x+Tx+".to_string());
    assert_eq!(strip(&[("LANG", "C.UTF-8")], &[]).1, unicode);
    assert_eq!(strip(&[("LANG", "C.UTF-8")], &["--ascii"]).1, ascii);
    assert_eq!(
        strip(&[("LANG", "C.UTF-8"), ("SERVICESTAGE_ASCII", "1")], &[]).1,
        ascii
    );
    assert_eq!(strip(&[], &[]).1, ascii, "no locale: ASCII");
    assert_eq!(strip(&[("LC_ALL", "C"), ("LANG", "C.UTF-8")], &[]).1, ascii);
    let (code, _, stderr) = strip(&[("SERVICESTAGE_ASCII", "maybe")], &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("SERVICESTAGE_ASCII"), "{stderr}");
}

#[test]
fn a_usage_error_with_jobs_has_the_several_jobs_shape() {
    let out = run(gate()
        .args([
            "--job",
            "api",
            "--job",
            "web",
            "--advisory",
            "state",
            "--format",
            "json",
        ])
        .args(["--endpoint", "http://127.0.0.1:9"])
        .env("SERVICESTAGE_TOKEN", TOKEN));
    assert_eq!(out.code, 2);
    let json = out.json();
    assert_eq!(json["verdict"], "usage");
    assert_eq!(json["error"]["kind"], "usage");
    let names: Vec<&str> = json["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["job"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["api", "web"]);
}

#[cfg(unix)]
#[test]
fn a_job_variable_that_is_not_utf8_is_a_usage_error_naming_it() {
    use std::os::unix::ffi::OsStrExt;
    let out = run(gate()
        .args(["--endpoint", "http://127.0.0.1:9"])
        .env("SERVICESTAGE_TOKEN", TOKEN)
        .env(
            "SERVICESTAGE_JOB",
            std::ffi::OsStr::from_bytes(b"api,w\xffb"),
        ));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("SERVICESTAGE_JOB is not valid UTF-8"),
        "{}",
        out.stderr
    );
}

/// Five jobs, one IAM password login: the token is requested once for the run, every job
/// reads its builds with it, and it is masked once.
#[test]
fn several_jobs_share_one_login() {
    const IAM_TOKEN: &str = "IAM-TOKEN-5f2e";
    let iam = Server::start(|r, _| match (r.method.as_str(), r.path()) {
        ("POST", "/v3/auth/tokens") => {
            Reply::json(201, "{}").with_header("X-Subject-Token", IAM_TOKEN)
        }
        _ => Reply::json(401, r#"{"error_code":"IAM.0001","error_msg":"refused"}"#),
    });
    let api = Server::start(|r, _| match r.header("X-Auth-Token") {
        Some(IAM_TOKEN) => route(r),
        _ => Reply::json(
            401,
            r#"{"error_code":"APIGW.0301","error_msg":"bad token"}"#,
        ),
    });
    let jobs = ["job0", "job1", "job2", "job3", "job4"];
    let mut command = gate();
    command
        .args(["--endpoint", &api.url(), "--region", "cn-north-4"])
        .args(["--annotations", "github", "--format", "json"])
        .env("SERVICESTAGE_IAM_ENDPOINT", iam.url())
        .env("SERVICESTAGE_IAM_USER", "ci-gate")
        .env("SERVICESTAGE_IAM_DOMAIN", "acme")
        .env("SERVICESTAGE_IAM_PASSWORD", "pw-9c1f");
    for job in jobs {
        command.args(["--job", job]);
    }
    let out = run(&mut command);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(iam.requests().len(), 1, "one token request for 5 jobs");
    assert_eq!(out.json()["jobs"].as_array().unwrap().len(), 5);
    assert_eq!(
        out.stderr.matches("::add-mask::").count(),
        1,
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains(IAM_TOKEN) && !out.stdout.contains("pw-9c1f"));
}
