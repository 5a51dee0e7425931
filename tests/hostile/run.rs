//! Runs the real binary against a case's server: the command line and environment the
//! case asks for, a watchdog, and everything the gate wrote.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::generator::{Annotations, Case, CredKind, Naming};
use super::oracle::Rules;
use super::session::Terminal;

/// What one run of the gate left behind.
#[derive(Debug, Clone, Default)]
pub struct Outputs {
    /// `None` when the watchdog killed it or a signal ended it.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// `(name, contents)` of the step summary, `$GITHUB_OUTPUT` and the JUnit file.
    pub files: Vec<(&'static str, String)>,
    pub elapsed: Duration,
}

/// A run that takes this long has hung (a `--wait` case needs about a second).
const WATCHDOG: Duration = Duration::from_secs(40);

/// The gate's arguments for `case` against the server at `url`.
pub fn arguments(case: &Case, url: &str, dir: &Path) -> Vec<String> {
    let mut args: Vec<String> = ["--endpoint", url, "--retries", "0", "--timeout", "10s"]
        .map(String::from)
        .to_vec();
    let mut push = |flag: &str, value: String| args.extend([flag.to_string(), value]);
    match case.naming {
        Naming::IdAndName => {
            push("--job-id", case.jobs[0].id.clone());
            push("--job-name", case.jobs[0].name.clone());
        }
        Naming::Lookup => push("--job-name", case.jobs[0].name.clone()),
        Naming::Several => case.jobs.iter().for_each(|j| push("--job", j.name.clone())),
    }
    if case.creds.kind == CredKind::Password {
        for (flag, value) in [
            ("--iam-endpoint", url),
            ("--iam-user", "ci-user"),
            ("--iam-domain", "acme"),
            ("--project-id", "0a1b2c3d4e5f"),
        ] {
            push(flag, value.into());
        }
    }
    if case.wait {
        push("--wait", "8s".into());
        push("--poll-interval", "1s".into());
    }
    args.extend(rule_arguments(&case.rules));
    args.extend(output_arguments(case, dir));
    args
}

fn rule_arguments(rules: &Rules) -> Vec<String> {
    let states = |s: &[Terminal]| s.iter().map(|s| s.name()).collect::<Vec<_>>().join(",");
    let flags = [
        ("--window", Some(rules.window.to_string())),
        ("--min-builds", Some(rules.min_builds.to_string())),
        (
            "--min-success-rate",
            rules.min_success_rate.map(|p| p.to_string()),
        ),
        (
            "--max-consecutive-failures",
            rules.max_consecutive_failures.map(|n| n.to_string()),
        ),
        (
            "--max-duration-regression",
            rules.max_duration_regression.map(|p| format!("{p}%")),
        ),
        (
            "--max-duration",
            rules.max_duration.map(|s| format!("{s}s")),
        ),
        ("--commit", rules.commit.clone()),
        ("--build-id", rules.build_id.clone()),
        (
            "--require-state",
            (!rules.require.is_empty()).then(|| states(&rules.require)),
        ),
        (
            "--advisory",
            (!rules.advisory.is_empty()).then(|| rules.advisory.join(",")),
        ),
        (
            "--inconclusive",
            rules.inconclusive_pass.then(|| "pass".to_string()),
        ),
    ];
    let mut args: Vec<String> = flags
        .into_iter()
        .filter_map(|(flag, value)| value.map(|v| [flag.to_string(), v]))
        .flatten()
        .collect();
    if rules.ignore_running {
        args.push("--ignore-running".into());
    }
    args
}

fn output_arguments(case: &Case, dir: &Path) -> Vec<String> {
    let out = &case.output;
    let annotations = match out.annotations {
        Annotations::Github => "github",
        Annotations::Azure => "azure",
        Annotations::None => "none",
    };
    let format = if out.json { "json" } else { "text" };
    let mut args: Vec<String> = ["--format", format, "--annotations", annotations]
        .map(String::from)
        .to_vec();
    if out.junit {
        args.extend([
            "--junit".to_string(),
            dir.join("junit.xml").display().to_string(),
        ]);
    }
    if out.verbose {
        args.push("-v".into());
    }
    args
}

fn files(case: &Case, dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let mut files = Vec::new();
    if case.output.annotations == Annotations::Github {
        files.push(("step summary", dir.join("summary.md")));
        files.push(("$GITHUB_OUTPUT", dir.join("output")));
    }
    if case.output.junit {
        files.push(("JUnit", dir.join("junit.xml")));
    }
    files
}

/// Runs the gate for `case` against `url`, in the scratch directory `dir`.
pub fn run(case: &Case, url: &str, dir: &Path) -> Outputs {
    std::fs::create_dir_all(dir).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_servicestage-gate"));
    command
        .env_clear()
        .args(arguments(case, url, dir))
        .envs(case.creds.values.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if case.output.utf8 {
        command.env("LANG", "C.UTF-8");
    }
    let files = files(case, dir);
    for (name, path) in &files {
        let variable = match *name {
            "step summary" => "GITHUB_STEP_SUMMARY",
            "$GITHUB_OUTPUT" => "GITHUB_OUTPUT",
            _ => continue,
        };
        std::fs::write(path, "").unwrap();
        command.env(variable, path);
    }
    let mut outputs = watched(command);
    outputs.files = files
        .into_iter()
        .map(|(name, path)| {
            let text = std::fs::read(path).map(|b| String::from_utf8_lossy(&b).into_owned());
            (name, text.unwrap_or_default())
        })
        .collect();
    outputs
}

/// Runs `command` to its end, or kills it at the watchdog.
fn watched(mut command: Command) -> Outputs {
    let started = Instant::now();
    let mut child = command.spawn().expect("the gate starts");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if started.elapsed() > WATCHDOG {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(5));
    };
    Outputs {
        code,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
        files: Vec::new(),
        elapsed: started.elapsed(),
    }
}
