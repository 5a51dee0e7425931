//! The GitHub Action and the CI examples: action.yml's inputs against the CLI's flags, the
//! install script against a loopback "release" server, the composite steps run locally with
//! a simulated runner, and the examples under examples/ci/.
#![allow(
    clippy::disallowed_methods,
    reason = "a test: files, sockets, sleeps and the clock"
)]
#![cfg(unix)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Reply, Server, gate, run};
use servicestage_gate::cli::{Fallback, OPTIONS, Opt};
use yaml_rust2::{Yaml, YamlLoader};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// The one action input that is not an option: which gate release to install.
const INSTALL_ONLY: &str = "version";

fn yaml(path: &Path) -> Yaml {
    let text = fs::read_to_string(path).unwrap();
    YamlLoader::load_from_str(&text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .remove(0)
}

fn action() -> Yaml {
    yaml(&Path::new(ROOT).join("action.yml"))
}

fn keys(map: &Yaml) -> BTreeSet<String> {
    map.as_hash()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap().to_string())
        .collect()
}

/// The flags `--help` lists, without `--help` and `--version`.
fn cli_flags() -> BTreeSet<String> {
    let help = run(gate().arg("--help")).stdout;
    help.lines()
        // option lines start at column 2; wrapped descriptions are indented further
        .filter_map(|line| {
            line.strip_prefix("  -v, --")
                .or_else(|| line.strip_prefix("  --"))
        })
        .map(|rest| {
            rest.split_whitespace()
                .next()
                .unwrap()
                .trim_end_matches(',')
                .to_string()
        })
        .filter(|flag| flag != "help" && flag != "version")
        .collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "servicestage-gate-action-{name}-{}",
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn flag_options() -> impl Iterator<Item = &'static Opt> {
    OPTIONS.iter().filter(|o| o.secret.is_none())
}

#[test]
fn help_lists_exactly_the_flags_of_the_options_table() {
    let table: BTreeSet<String> = flag_options().map(Opt::name).collect();
    assert!(
        table.len() >= 26,
        "the table lists too few flags: {table:?}"
    );
    assert_eq!(
        cli_flags(),
        table,
        "--help (left) and the options table (right) differ"
    );
}

/// Every option is an action input of the same name (secrets too); only `version` is extra.
/// Inputs with a value default state it in their description.
#[test]
fn action_inputs_match_the_options_table() {
    let action = action();
    let inputs: BTreeSet<String> = keys(&action["inputs"])
        .into_iter()
        .filter(|i| i != INSTALL_ONLY)
        .collect();
    let table: BTreeSet<String> = OPTIONS.iter().map(Opt::input).collect();
    assert_eq!(
        inputs, table,
        "action.yml inputs (left) and the options table (right) differ"
    );
    assert!(!action["inputs"][INSTALL_ONLY].is_badvalue());
    for opt in OPTIONS {
        if let Fallback::Value(value) = opt.default {
            let description = action["inputs"][opt.input().as_str()]["description"]
                .as_str()
                .unwrap();
            assert!(
                description.contains(&format!("(default: {value}")),
                "action.yml input {}: description lacks \"(default: {value}\": {description}",
                opt.name()
            );
        }
    }
}

/// run-gate.sh turns each input into the option's variable.
#[test]
fn the_gate_step_maps_each_input_to_its_variable() {
    let script = fs::read_to_string(Path::new(ROOT).join("scripts/run-gate.sh")).unwrap();
    for opt in OPTIONS {
        let input = opt.input().to_uppercase().replace('-', "_");
        let renamed = script.contains(&format!("{input}) variable={}", opt.variable()));
        let mapped = match opt.secret {
            Some(variable) => script.contains(&format!("{input}) variable={variable} ;;")),
            None => opt.variable() == format!("SERVICESTAGE_{input}") || renamed,
        };
        assert!(
            mapped,
            "run-gate.sh does not map input {} to {}",
            opt.name(),
            opt.variable()
        );
    }
}

/// The README's configuration table: one row per flag, with the table's variable and default;
/// every secret variable is documented.
#[test]
fn readme_configuration_table_matches_the_options_table() {
    let readme = fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    let section = readme.split("\n## Configuration").nth(1).unwrap();
    let section = section.split("\n## ").next().unwrap();
    let unquote = |cell: &str| cell.trim().replace('`', "");
    let rows: BTreeMap<String, (String, String)> = section
        .lines()
        .filter(|line| line.starts_with("| `-"))
        .filter_map(|line| {
            let cells: Vec<&str> = line.split(" | ").collect();
            let flag = cells[0]
                .split("--")
                .nth(1)?
                .split([' ', '`'])
                .next()?
                .to_string();
            Some((flag, (unquote(cells[1]), unquote(cells[2]))))
        })
        .filter(|(flag, _)| flag != "help")
        .collect();
    let expected: BTreeMap<String, (String, String)> = flag_options()
        .map(|o| (o.name(), (o.variable(), o.default.shown().replace('`', ""))))
        .collect();
    assert_eq!(
        rows, expected,
        "README rows (left) and the options table (right) differ"
    );
    for opt in OPTIONS.iter().filter(|o| o.secret.is_some()) {
        assert!(
            section.contains(&format!("`{}`", opt.variable())),
            "README lacks {}",
            opt.variable()
        );
    }
}

#[test]
fn every_input_reaches_the_gate_step_through_env_only() {
    let action = action();
    let steps = action["runs"]["steps"].as_vec().unwrap();
    let gate_step = steps
        .iter()
        .find(|s| s["id"].as_str() == Some("gate"))
        .unwrap();
    let env: BTreeMap<String, String> = gate_step["env"]
        .as_hash()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().unwrap().to_string(),
                v.as_str().unwrap().to_string(),
            )
        })
        .collect();
    for input in keys(&action["inputs"]).iter().filter(|i| *i != "version") {
        let variable = format!("GATE_IN_{}", input.to_uppercase().replace('-', "_"));
        assert_eq!(
            env.get(&variable).map(String::as_str),
            Some(format!("${{{{ inputs.{input} }}}}").as_str()),
            "{input}"
        );
    }
    for step in steps {
        // `uses:` steps (actions/cache) have no script.
        let script = step["run"].as_str().unwrap_or_default();
        assert!(
            !script.contains("${{"),
            "a step interpolates an expression into its script: {script}"
        );
    }
    assert_eq!(
        keys(&action["outputs"]),
        ["build-id", "build-state", "duration", "report", "verdict"]
            .map(String::from)
            .into()
    );
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    assert!(!action["branding"]["icon"].is_badvalue());
}

/// A copy of the action's scripts with a committed checksum for `version`.
fn action_copy(name: &str, version: &str, checksums: &str) -> PathBuf {
    let dir = scratch(name);
    fs::create_dir_all(dir.join("scripts")).unwrap();
    fs::create_dir_all(dir.join("checksums")).unwrap();
    fs::copy(
        Path::new(ROOT).join("scripts/install.sh"),
        dir.join("scripts/install.sh"),
    )
    .unwrap();
    fs::copy(Path::new(ROOT).join("Cargo.toml"), dir.join("Cargo.toml")).unwrap();
    fs::write(dir.join(format!("checksums/{version}.sha256")), checksums).unwrap();
    dir
}

/// A release archive holding a stand-in binary that prints `stub gate`.
fn archive(dir: &Path) -> (Vec<u8>, String) {
    let bin = dir.join("pack");
    fs::create_dir_all(&bin).unwrap();
    fs::write(bin.join("servicestage-gate"), "#!/bin/sh\necho stub gate\n").unwrap();
    let tarball = dir.join("asset.tar.gz");
    let status = Command::new("tar")
        .arg("-czf")
        .arg(&tarball)
        .arg("-C")
        .arg(&bin)
        .arg("servicestage-gate")
        .status()
        .unwrap();
    assert!(status.success());
    let bytes = fs::read(&tarball).unwrap();
    let sum = Command::new("sha256sum").arg(&tarball).output().unwrap();
    let sum = String::from_utf8(sum.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    (bytes, sum)
}

/// A `cargo` on PATH that records its arguments and "installs" the real gate binary.
fn fake_cargo(dir: &Path) -> PathBuf {
    let bin = dir.join("fakebin");
    fs::create_dir_all(&bin).unwrap();
    let script = format!(
        "#!/bin/sh\necho \"$@\" >> '{log}'\nroot=''\nwhile [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=\"$2\"; shift; done\nmkdir -p \"$root/bin\" && cp '{gate}' \"$root/bin/servicestage-gate\"\n",
        log = dir.join("cargo.log").display(),
        gate = env!("CARGO_BIN_EXE_servicestage-gate"),
    );
    fs::write(bin.join("cargo"), script).unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(bin.join("cargo"))
        .status()
        .unwrap();
    bin
}

struct Install {
    code: i32,
    stdout: String,
    stderr: String,
    bin: Option<String>,
    cargo_log: String,
}

fn install(dir: &Path, env: &[(&str, &str)]) -> Install {
    let output_file = dir.join("github_output");
    let _ = fs::remove_file(&output_file);
    let path = format!(
        "{}:{}",
        fake_cargo(dir).display(),
        std::env::var("PATH").unwrap()
    );
    let out = Command::new("bash")
        .arg(dir.join("scripts/install.sh"))
        .env_clear()
        .env("PATH", path)
        .env("RUNNER_TEMP", dir.join("runner-temp"))
        .env("GITHUB_OUTPUT", &output_file)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let outputs = fs::read_to_string(&output_file).unwrap_or_default();
    Install {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        bin: outputs
            .lines()
            .find_map(|l| l.strip_prefix("bin="))
            .map(String::from),
        cargo_log: fs::read_to_string(dir.join("cargo.log")).unwrap_or_default(),
    }
}

const ASSET: &str = "servicestage-gate-9.9.9-x86_64-unknown-linux-musl.tar.gz";

/// Installs `version` on Linux/x86_64 from a loopback release server that serves `bytes`.
fn install_served(action: &Path, version: &str, bytes: Vec<u8>) -> (Install, Server) {
    let server = Server::start(move |_, _| Reply::Bytes(bytes.clone()));
    let url = server.url();
    let env = [
        ("GATE_VERSION", version),
        ("GATE_RELEASE_URL", &url),
        ("GATE_PLATFORM", "Linux/x86_64"),
    ];
    (install(action, &env), server)
}

#[test]
fn install_verifies_and_installs_a_good_archive() {
    let dir = scratch("good");
    let (bytes, sum) = archive(&dir);
    let action = action_copy("good-action", "9.9.9", &format!("{sum}  {ASSET}\n"));
    let (result, server) = install_served(&action, "v9.9.9", bytes);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert_eq!(server.requests()[0].target, format!("/v9.9.9/{ASSET}"));
    let bin = result.bin.expect("the bin output");
    let ran = Command::new(&bin).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&ran.stdout), "stub gate\n");
    assert!(result.cargo_log.is_empty(), "nothing was built");
}

#[test]
fn install_refuses_a_tampered_archive() {
    let dir = scratch("tampered");
    let (mut bytes, sum) = archive(&dir);
    let action = action_copy("tampered-action", "9.9.9", &format!("{sum}  {ASSET}\n"));
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    let (result, _server) = install_served(&action, "9.9.9", bytes);
    assert_ne!(result.code, 0);
    assert!(
        result
            .stdout
            .contains("::error title=servicestage-gate install::checksum mismatch"),
        "{}",
        result.stdout
    );
    assert_eq!(result.bin, None);
    assert!(
        !action
            .join("runner-temp/servicestage-gate-9.9.9/bin/servicestage-gate")
            .exists(),
        "a tampered binary was installed"
    );
}

#[test]
fn install_builds_from_source_without_an_asset_or_when_asked() {
    let cases = [
        (
            "no-platform",
            vec![("GATE_VERSION", "9.9.9"), ("GATE_PLATFORM", "Plan9/mips")],
            "no prebuilt asset for Plan9/mips",
        ),
        (
            "no-checksum",
            vec![("GATE_VERSION", "1.2.3"), ("GATE_PLATFORM", "Linux/x86_64")],
            "no committed checksum",
        ),
        (
            "source",
            vec![
                ("GATE_VERSION", "source"),
                ("GATE_PLATFORM", "Linux/x86_64"),
            ],
            "version: source",
        ),
    ];
    for (name, env, reason) in cases {
        let action = action_copy(name, "9.9.9", &format!("{}  {ASSET}\n", "0".repeat(64)));
        let result = install(&action, &env);
        assert_eq!(result.code, 0, "{name}: {}", result.stderr);
        assert!(result.stderr.contains(reason), "{name}: {}", result.stderr);
        assert!(
            result.cargo_log.starts_with(&format!(
                "install --locked --quiet --path {}",
                action.display()
            )),
            "{name}: {}",
            result.cargo_log
        );
        assert!(result.bin.unwrap().ends_with("/bin/servicestage-gate"));
    }
}

/// The action's cache step: `install.sh --cache-key`'s outputs for this environment.
fn cache_key(dir: &Path, env: &[(&str, &str)]) -> BTreeMap<String, String> {
    let out = Command::new("bash")
        .arg(dir.join("scripts/install.sh"))
        .arg("--cache-key")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("RUNNER_TEMP", dir.join("runner-temp"))
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    read_outputs(&String::from_utf8(out.stdout).unwrap())
}

#[test]
fn a_source_build_restored_by_the_cache_is_reused_and_a_download_is_not_cached() {
    let (_, sum) = archive(&scratch("cache-archive"));
    let action = action_copy("cache", "9.9.9", &format!("{sum}  {ASSET}\n"));
    let platform = ("GATE_PLATFORM", "Linux/x86_64");
    assert!(cache_key(&action, &[("GATE_VERSION", "9.9.9"), platform]).is_empty());

    let source = [("GATE_VERSION", "source"), platform];
    let outputs = cache_key(&action, &source);
    assert!(outputs["key"].starts_with(&format!("{}-", env!("CARGO_PKG_VERSION"))));
    // What actions/cache restores on a hit: an earlier run's build at the step's path.
    let cached = Path::new(&outputs["path"]).join("bin/servicestage-gate");
    fs::create_dir_all(cached.parent().unwrap()).unwrap();
    fs::copy(env!("CARGO_BIN_EXE_servicestage-gate"), &cached).unwrap();

    let hit = install(&action, &[source[0], platform, ("GATE_CACHE_HIT", "true")]);
    assert_eq!(hit.code, 0, "{}", hit.stderr);
    assert!(
        hit.stderr.contains("reusing the build cached"),
        "{}",
        hit.stderr
    );
    assert_eq!(hit.cargo_log, "", "a cache hit still ran cargo");
    assert_eq!(hit.bin.as_deref(), cached.to_str());

    let miss = install(&action, &source);
    assert!(
        miss.cargo_log.starts_with("install --locked"),
        "{}",
        miss.cargo_log
    );
}

/// Replaces `${{ inputs.x }}` and `${{ steps.s.outputs.o }}` the way the runner does.
fn expand(
    value: &str,
    inputs: &BTreeMap<&str, &str>,
    outputs: &BTreeMap<String, BTreeMap<String, String>>,
) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").unwrap() + start;
        let expr = rest[start + 3..end].trim();
        let parts: Vec<&str> = expr.split('.').collect();
        let resolved = match parts.as_slice() {
            ["inputs", name] => inputs.get(name).copied().unwrap_or("").to_string(),
            ["steps", step, "outputs", name] => outputs
                .get(*step)
                .and_then(|o| o.get(*name))
                .cloned()
                .unwrap_or_default(),
            _ => panic!("unexpected expression {expr}"),
        };
        out.push_str(&resolved);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Reads a `$GITHUB_OUTPUT` file: `k=v` lines and `k<<DELIM` blocks.
fn read_outputs(text: &str) -> BTreeMap<String, String> {
    let mut outputs = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delimiter).collect();
            outputs.insert(name.to_string(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            outputs.insert(name.to_string(), value.to_string());
        }
    }
    outputs
}

struct ActionRun {
    code: i32,
    stdout: String,
    outputs: BTreeMap<String, String>,
    summary: String,
}

/// Runs the composite steps as the runner would, with `inputs` and a job environment.
fn run_action(name: &str, inputs: &[(&str, &str)], job_env: &[(&str, &str)]) -> ActionRun {
    let dir = scratch(name);
    let inputs: BTreeMap<&str, &str> = inputs.iter().copied().collect();
    let path = format!(
        "{}:{}",
        fake_cargo(&dir).display(),
        std::env::var("PATH").unwrap()
    );
    let summary = dir.join("summary.md");
    let mut outputs: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let action = action();
    let mut last = (0, String::new());
    for step in action["runs"]["steps"].as_vec().unwrap() {
        // `uses:` steps (actions/cache) are the runner's business: a cache miss here.
        let Some(script) = step["run"].as_str() else {
            continue;
        };
        let id = step["id"].as_str().unwrap();
        let output_file = dir.join(format!("output-{id}"));
        let mut command = Command::new("bash");
        command
            .arg("-e")
            .arg("-c")
            .arg(script)
            .current_dir(ROOT)
            .env_clear()
            .env("PATH", &path)
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_ACTION_PATH", ROOT)
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("RUNNER_TEMP", dir.join("runner-temp"))
            .envs(job_env.iter().copied());
        for (k, v) in step["env"].as_hash().unwrap() {
            command.env(
                k.as_str().unwrap(),
                expand(v.as_str().unwrap(), &inputs, &outputs),
            );
        }
        let out = command.output().unwrap();
        outputs.insert(
            id.to_string(),
            read_outputs(&fs::read_to_string(&output_file).unwrap_or_default()),
        );
        last = (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        );
        if last.0 != 0 {
            break;
        }
    }
    let action_outputs = keys(&action["outputs"])
        .into_iter()
        .map(|name| {
            let value = expand(
                action["outputs"][name.as_str()]["value"].as_str().unwrap(),
                &inputs,
                &outputs,
            );
            (name, value)
        })
        .collect();
    ActionRun {
        code: last.0,
        stdout: last.1,
        outputs: action_outputs,
        summary: fs::read_to_string(summary).unwrap_or_default(),
    }
}

#[test]
fn the_composite_action_runs_the_gate_and_exposes_its_outputs() {
    let passing = run_action(
        "composite-pass",
        &[
            ("version", "source"),
            ("input", "examples/passing.json"),
            ("max-duration", "25m"),
        ],
        &[],
    );
    assert_eq!(passing.code, 0, "{}", passing.stdout);
    assert_eq!(passing.outputs["verdict"], "pass");
    assert_eq!(
        passing.outputs["build-id"],
        "52e6b438-f2a7-4269-a651-0c5ca6a3a450"
    );
    assert_eq!(passing.outputs["build-state"], "Successful");
    assert_eq!(passing.outputs["duration"], "1181");
    let report: serde_json::Value = serde_json::from_str(&passing.outputs["report"]).unwrap();
    assert_eq!(report["rules"][1]["name"], "max-duration");
    assert!(
        passing
            .stdout
            .contains("::notice title=servicestage-gate::pass"),
        "{}",
        passing.stdout
    );
    assert!(
        passing.summary.contains("servicestage-gate: pass"),
        "{}",
        passing.summary
    );

    let failing = run_action(
        "composite-fail",
        &[
            ("version", "source"),
            ("input", "examples/slow-latest.json"),
            ("max-duration", "25m"),
        ],
        &[],
    );
    assert_eq!(failing.code, 1, "the step's exit code is the gate's");
    assert_eq!(failing.outputs["verdict"], "fail");
    assert!(
        failing
            .stdout
            .contains("::error title=max-duration::duration 31m 40s exceeds limit 25m"),
        "{}",
        failing.stdout
    );
}

#[test]
fn empty_inputs_leave_job_variables_alone() {
    let run = run_action(
        "composite-env",
        &[
            ("version", "source"),
            ("input", "examples/slow-latest.json"),
        ],
        &[("SERVICESTAGE_MAX_DURATION", "25m")],
    );
    assert_eq!(
        run.code, 1,
        "the job's SERVICESTAGE_MAX_DURATION applied: {}",
        run.stdout
    );
    let usage = run_action(
        "composite-usage",
        &[
            ("version", "source"),
            ("input", "examples/passing.json"),
            ("window", "0"),
        ],
        &[],
    );
    assert_eq!(usage.code, 2);
    assert_eq!(
        usage.outputs["verdict"], "",
        "a usage error writes no outputs"
    );
}

/// Words like `--max-duration` in a file.
fn flags_named(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter_map(|w| w.strip_prefix("--"))
        .filter(|w| w.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
        .map(String::from)
        .collect()
}

/// Words like `SERVICESTAGE_JOB_ID` in a file.
fn variables_named(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("SERVICESTAGE_") || w.starts_with("HUAWEICLOUD_SDK_"))
        .map(String::from)
        .collect()
}

#[test]
fn ci_examples_parse_and_name_real_flags_and_variables() {
    let flags = cli_flags();
    let mut variables: BTreeSet<String> = flags
        .iter()
        .map(|f| format!("SERVICESTAGE_{}", f.to_uppercase().replace('-', "_")))
        .collect();
    variables.extend(
        [
            "SERVICESTAGE_TOKEN",
            "HUAWEICLOUD_SDK_AK",
            "HUAWEICLOUD_SDK_SK",
            "HUAWEICLOUD_SDK_SECURITY_TOKEN",
            "HUAWEICLOUD_SDK_PROJECT_ID",
        ]
        .map(String::from),
    );
    // curl's and tar's flags in the install lines are not the gate's
    let others: BTreeSet<&str> = [
        "fail",
        "silent",
        "show-error",
        "location",
        "proto",
        "tlsv1",
        "retry",
        "output",
    ]
    .into();
    let dir = Path::new(ROOT).join("examples/ci");
    let mut seen = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = fs::read_to_string(&path).unwrap();
        if path.extension().is_some_and(|e| e == "yml") {
            yaml(&path);
        }
        for flag in flags_named(&text) {
            assert!(
                flags.contains(&flag) || others.contains(flag.as_str()),
                "{}: --{flag} is not a flag",
                path.display()
            );
        }
        for variable in variables_named(&text) {
            assert!(
                variables.contains(&variable),
                "{}: {variable} is not read by the gate",
                path.display()
            );
        }
        assert!(text.contains("servicestage-gate"), "{}", path.display());
        seen += 1;
    }
    assert_eq!(
        seen, 4,
        "github-workflow.yml, gitlab-ci.yml, Jenkinsfile, azure-pipelines.yml"
    );

    let workflow = yaml(&dir.join("github-workflow.yml"));
    let with = workflow["jobs"]["deploy"]["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .find(|s| s["id"].as_str() == Some("gate"))
        .unwrap()["with"]
        .clone();
    let inputs = keys(&action()["inputs"]);
    for key in keys(&with) {
        assert!(
            inputs.contains(&key),
            "github-workflow.yml passes unknown input {key}"
        );
    }
}

#[test]
fn readme_shows_each_ci_example_verbatim() {
    let readme = fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    for name in [
        "github-workflow.yml",
        "gitlab-ci.yml",
        "Jenkinsfile",
        "azure-pipelines.yml",
    ] {
        let text = fs::read_to_string(Path::new(ROOT).join("examples/ci").join(name)).unwrap();
        assert!(
            readme.contains(text.trim_end()),
            "README.md does not show examples/ci/{name} as it is"
        );
    }
}

/// Issue 12's "done when": a job with `permissions: id-token: write` (the runner then sets
/// the ID-token request variables) and only `oidc-idp-id`, `region`, `project-id` and the
/// job gates with no stored secret. The endpoints point at the fakes.
#[test]
fn the_action_gates_with_the_jobs_oidc_token_and_no_stored_secret() {
    let iam = Server::start(|r, _| match (r.method.as_str(), r.path()) {
        ("GET", "/github/idtoken") if r.header("Authorization") == Some("Bearer RUNNER-7") => {
            Reply::ok(r#"{"value":"eyJ.action.sig"}"#)
        }
        ("POST", "/v3.0/OS-AUTH/id-token/tokens")
            if r.header("X-Idp-Id") == Some("github-actions") =>
        {
            Reply::json(201, "{}").with_header("X-Subject-Token", "IAM-ACTION-TOKEN")
        }
        _ => Reply::json(401, r#"{"error_code":"IAM.0001","error_msg":"refused"}"#),
    });
    let api = Server::start(|r, _| match r.header("X-Auth-Token") {
        Some("IAM-ACTION-TOKEN") => Reply::ok(common::page_json(1, &[("b1", "Successful", 60)])),
        _ => Reply::json(401, r#"{"error_code":"APIGW.0301","error_msg":"no token"}"#),
    });
    let token_url = format!("{}/github/idtoken?api-version=2.0", iam.url());
    let run = run_action(
        "composite-oidc",
        &[
            ("version", "source"),
            ("oidc-idp-id", "github-actions"),
            ("region", "cn-north-4"),
            ("project-id", "p-1"),
            ("job-id", "job-1"),
            ("job-name", "build-1"),
        ],
        &[
            ("ACTIONS_ID_TOKEN_REQUEST_URL", &token_url),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "RUNNER-7"),
            ("SERVICESTAGE_ENDPOINT", &api.url()),
            ("SERVICESTAGE_IAM_ENDPOINT", &iam.url()),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.outputs["verdict"], "pass");
    let exchange = &iam.requests()[1];
    let body: serde_json::Value = serde_json::from_slice(&exchange.body).unwrap();
    assert_eq!(body["auth"]["scope"]["project"]["id"], "p-1");
    assert_eq!(body["auth"]["id_token"]["id"], "eyJ.action.sig");
    assert_eq!(api.requests()[0].header("X-Project-Id"), Some("p-1"));
    assert!(
        run.stdout
            .starts_with("::add-mask::eyJ.action.sig\n::add-mask::IAM-ACTION-TOKEN\n"),
        "{}",
        run.stdout
    );
    let after_masks = run.stdout.lines().skip(2).collect::<Vec<_>>().join("\n");
    let written = format!("{after_masks}{}{}", run.outputs["report"], run.summary);
    for secret in ["eyJ.action.sig", "IAM-ACTION-TOKEN", "RUNNER-7"] {
        assert!(!written.contains(secret), "{secret} leaked: {written}");
    }
}

/// Where GitHub evaluates `${{ }}` in an action's metadata, from the runner's own schema
/// (actions/runner, src/Runner.Worker/action_yaml.json): an input's `default`, an output's
/// `value`, and the fields of `runs.steps`. The runner evaluates expressions while it loads
/// action.yml, where no context exists, so `${{` anywhere else (a description included)
/// stops every workflow that uses the action with "Unrecognized named-value".
fn action_expression_allowed(path: &[String]) -> bool {
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    matches!(
        p.as_slice(),
        ["inputs", _, "default"] | ["outputs", _, "value"] | ["runs", "steps", _, _, ..]
    ) && !matches!(p.as_slice(), ["runs", "steps", _, "id" | "uses" | "shell"])
}

/// Where a workflow may hold `${{ }}` (actions/runner's workflow schema): not in `on`, the
/// top-level `name`, `permissions`, `needs`, a job's or step's `uses`, or a step's `id`.
fn workflow_expression_allowed(path: &[String]) -> bool {
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    !matches!(
        p.as_slice(),
        ["on", ..]
            | ["name"]
            | ["permissions", ..]
            | ["jobs", _, "permissions" | "needs" | "uses", ..]
            | ["jobs", _, "steps", _, "id" | "uses", ..]
    )
}

/// Every place in `doc` that holds `${{` (in a key or a value) and that `allowed` refuses,
/// as a dotted path.
fn misplaced_expressions(doc: &Yaml, allowed: fn(&[String]) -> bool) -> Vec<String> {
    fn walk(
        node: &Yaml,
        path: &mut Vec<String>,
        allowed: fn(&[String]) -> bool,
        out: &mut Vec<String>,
    ) {
        match node {
            Yaml::Hash(map) => {
                for (key, value) in map {
                    let key = match key {
                        Yaml::String(s) => s.clone(),
                        Yaml::Boolean(true) => "on".to_string(), // YAML 1.1 reads `on:` as true
                        other => format!("{other:?}"),
                    };
                    path.push(key.clone());
                    if key.contains("${{") {
                        out.push(path.join("."));
                    }
                    walk(value, path, allowed, out);
                    path.pop();
                }
            }
            Yaml::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(i.to_string());
                    walk(item, path, allowed, out);
                    path.pop();
                }
            }
            Yaml::String(s) if s.contains("${{") && !allowed(path) => out.push(path.join(".")),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(doc, &mut Vec::new(), allowed, &mut out);
    out
}

/// The GitHub workflows this repository ships: its own, the example, and every fenced YAML
/// block of the README and docs/ that is a whole workflow.
fn shipped_workflows() -> Vec<(String, Yaml)> {
    let root = Path::new(ROOT);
    let mut found = Vec::new();
    let mut files: Vec<PathBuf> = fs::read_dir(root.join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.push(root.join("examples/ci/github-workflow.yml"));
    for file in files {
        found.push((file.display().to_string(), yaml(&file)));
    }
    let mut pages = vec![root.join("README.md")];
    if let Ok(dir) = fs::read_dir(root.join("docs")) {
        pages.extend(
            dir.map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "md")),
        );
    }
    for page in pages {
        let text = fs::read_to_string(&page).unwrap();
        for (i, block) in text.split("```yaml\n").skip(1).enumerate() {
            let block = block.split("```").next().unwrap();
            let Ok(mut docs) = YamlLoader::load_from_str(block) else {
                continue;
            };
            let Some(doc) = docs.pop() else { continue };
            if !doc["jobs"].is_badvalue() {
                found.push((format!("{} yaml block {}", page.display(), i + 1), doc));
            }
        }
    }
    found
}

#[test]
fn expressions_appear_only_where_github_evaluates_them() {
    let mut problems = Vec::new();
    for path in misplaced_expressions(&action(), action_expression_allowed) {
        problems.push(format!("action.yml: {path}"));
    }
    let workflows = shipped_workflows();
    assert!(
        workflows.len() >= 3,
        "found only {} workflows",
        workflows.len()
    );
    for (name, doc) in workflows {
        for path in misplaced_expressions(&doc, workflow_expression_allowed) {
            problems.push(format!("{name}: {path}"));
        }
    }
    assert!(
        problems.is_empty(),
        "`${{{{` where GitHub cannot evaluate it: {problems:#?}"
    );
}

#[test]
fn the_expression_check_finds_a_description_and_spares_defaults_values_and_steps() {
    let doc = YamlLoader::load_from_str(
        "inputs:\n  commit:\n    description: 'e.g. ${{ github.sha }}'\n    default: ${{ github.sha }}\n\
         outputs:\n  v:\n    description: x\n    value: ${{ steps.a.outputs.v }}\n\
         runs:\n  using: composite\n  steps:\n    - id: a\n      run: echo ${{ inputs.commit }}\n      env:\n        X: ${{ inputs.commit }}\n",
    )
    .unwrap()
    .remove(0);
    assert_eq!(
        misplaced_expressions(&doc, action_expression_allowed),
        ["inputs.commit.description"]
    );
    let workflow = YamlLoader::load_from_str("name: ${{ github.sha }}\non:\n  push:\n    branches: ['${{ x }}']\njobs:\n  a:\n    runs-on: ${{ matrix.os }}\n")
        .unwrap()
        .remove(0);
    assert_eq!(
        misplaced_expressions(&workflow, workflow_expression_allowed),
        ["name", "on.push.branches.0"]
    );
}
