//! The CI examples under examples/ci/: they name real flags and variables, never let a failing
//! or misconfigured gate through, pin the release they install, and their install and gate
//! lines run as written against a loopback HTTPS release server and a fake ServiceStage.
#![cfg(unix)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{Reply, Server, gate, page_json, run};
use crate::release::{GATE, ROOT, TlsFiles, gate_archive, mode, scratch, sha256_hex, test_ca};
use yaml_rust2::{Yaml, YamlLoader};

const EXAMPLES: [&str; 6] = [
    "github-workflow.yml",
    "gitlab-ci.yml",
    "gitlab-ci-container.yml",
    "azure-pipelines.yml",
    "Jenkinsfile",
    "Jenkinsfile-container",
];
/// The examples that download the release archive and check it against GATE_SHA256.
const INSTALLERS: [&str; 3] = ["gitlab-ci.yml", "azure-pipelines.yml", "Jenkinsfile"];
const RELEASES: &str = "https://github.com/servicestage-gate/servicestage-gate/releases/download";
const UNRELEASED: &str = "unreleased";
const NO_RELEASE_LINE: &str = "No release exists yet:";

fn example(name: &str) -> String {
    fs::read_to_string(Path::new(ROOT).join("examples/ci").join(name)).unwrap()
}

fn yaml(text: &str) -> Yaml {
    YamlLoader::load_from_str(text).unwrap().remove(0)
}

/// The value of `NAME: "v"` (YAML) or `NAME = 'v'` (Jenkinsfile) on a line of its own.
fn setting(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let rest = line.trim_start().strip_prefix(name)?;
        let rest = rest.trim_start().strip_prefix([':', '='])?.trim_start();
        let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        Some(rest[1..].split(quote).next()?.to_string())
    })
}

/// The flags `--help` lists.
fn cli_flags() -> BTreeSet<String> {
    let help = run(gate().arg("--help")).stdout;
    help.lines()
        .filter_map(|line| {
            line.strip_prefix("  -v, --")
                .or_else(|| line.strip_prefix("  --"))
        })
        .map(|rest| rest.split([' ', ',']).next().unwrap().to_string())
        .collect()
}

/// Words like `--max-duration` in a text.
fn flags_named(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter_map(|w| w.strip_prefix("--"))
        .filter(|w| w.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
        .map(String::from)
        .collect()
}

/// Words like `SERVICESTAGE_JOB_ID` in a text.
fn variables_named(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("SERVICESTAGE_") || w.starts_with("HUAWEICLOUD_SDK_"))
        .map(String::from)
        .collect()
}

#[test]
fn examples_parse_and_name_real_flags_and_variables() {
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
            // --unavailable (issue 20), whose flag is added beside this work
            "SERVICESTAGE_UNAVAILABLE",
        ]
        .map(String::from),
    );
    // the flags of curl, tar, docker, gh and cargo in the install lines and comments
    let others: BTreeSet<&str> = [
        "proto",
        "tlsv1",
        "max-time",
        "max-filesize",
        "no-same-owner",
        "rm",
        "repo",
        "locked",
        "git",
    ]
    .into();
    let found: BTreeSet<String> = fs::read_dir(Path::new(ROOT).join("examples/ci"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(found, EXAMPLES.map(String::from).into());
    for name in EXAMPLES {
        let text = example(name);
        if name.ends_with(".yml") {
            yaml(&text);
        }
        for flag in flags_named(&text) {
            assert!(
                flags.contains(&flag) || others.contains(flag.as_str()),
                "{name}: --{flag} is not a flag"
            );
        }
        for variable in variables_named(&text) {
            assert!(
                variables.contains(&variable),
                "{name}: {variable} is not read by the gate"
            );
        }
    }

    let workflow = yaml(&example("github-workflow.yml"));
    let action = yaml(&fs::read_to_string(Path::new(ROOT).join("action.yml")).unwrap());
    let gate_step = workflow["jobs"]["deploy"]["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .find(|s| s["id"].as_str() == Some("gate"))
        .unwrap()
        .clone();
    for (key, _) in gate_step["with"].as_hash().unwrap() {
        let key = key.as_str().unwrap();
        assert!(
            !action["inputs"][key].is_badvalue(),
            "github-workflow.yml passes unknown input {key}"
        );
    }
}

/// Issue 20: a gate's example never lets a misconfigured or failing gate through to the deploy.
#[test]
fn no_example_lets_a_failing_gate_through() {
    for name in ["gitlab-ci.yml", "gitlab-ci-container.yml"] {
        let text = example(name);
        assert!(!text.contains("allow_failure"), "{name}");
        let doc = yaml(&text);
        assert_eq!(doc["stages"], yaml("[gate, deploy]"), "{name}");
        assert_eq!(doc["servicestage-gate"]["stage"].as_str(), Some("gate"));
        assert!(
            doc["deploy"]["when"].is_badvalue(),
            "{name}: deploy has a when"
        );
        assert!(
            doc["deploy"]["needs"].is_badvalue(),
            "{name}: deploy has needs"
        );
    }
    for name in ["Jenkinsfile", "Jenkinsfile-container"] {
        let text = example(name);
        for lenient in [
            "returnStatus",
            "catchError",
            "unstable",
            "propagate",
            "|| true",
            "set +e",
        ] {
            assert!(!text.contains(lenient), "{name}: {lenient}");
        }
        let gate_at = text.find("stage('Gate')").unwrap();
        assert!(text[gate_at..].contains("stage('Deploy')"), "{name}");
    }
    let azure = yaml(&example("azure-pipelines.yml"));
    for step in azure["steps"].as_vec().unwrap() {
        assert!(step["continueOnError"].is_badvalue());
        if step["bash"].as_str() == Some("./deploy.sh") {
            assert!(
                step["condition"].is_badvalue(),
                "the deploy step runs only after success"
            );
        }
    }
    let github = yaml(&example("github-workflow.yml"));
    for step in github["jobs"]["deploy"]["steps"].as_vec().unwrap() {
        assert!(step["continue-on-error"].is_badvalue());
        assert!(step["if"].is_badvalue());
    }
}

/// What checksums/<version>.sha256 says of the Linux x86_64 archive, if that file exists.
fn committed_sha256(version: &str) -> Option<String> {
    let sums =
        fs::read_to_string(Path::new(ROOT).join(format!("checksums/{version}.sha256"))).ok()?;
    let asset = format!("servicestage-gate-{version}-x86_64-unknown-linux-musl.tar.gz");
    let line = sums.lines().find(|l| l.ends_with(&format!("  {asset}")));
    Some(line.expect("a line for the Linux archive")[..64].to_string())
}

/// Before a release: GATE_SHA256 says "unreleased" (no sha256sum accepts it), the snippet says
/// plainly that no release exists, and GATE_VERSION is the next one. After: the pinned sha256
/// is the committed one (scripts/pin-release.sh writes both in the release commit).
#[test]
fn examples_pin_the_release_they_install() {
    for name in EXAMPLES {
        let text = example(name);
        let marked = text.lines().any(|l| {
            l.trim_start_matches(['#', '/', ' '])
                .starts_with(NO_RELEASE_LINE)
        });
        let version = setting(&text, "GATE_VERSION").unwrap_or(env!("CARGO_PKG_VERSION").into());
        let committed = committed_sha256(&version);
        assert_eq!(
            marked,
            committed.is_none(),
            "{name}: says whether a release exists"
        );
        if committed.is_none() {
            assert_eq!(version, env!("CARGO_PKG_VERSION"), "{name}");
        }
        if !INSTALLERS.contains(&name) {
            continue;
        }
        let pinned = setting(&text, "GATE_SHA256").expect("GATE_SHA256");
        assert_eq!(pinned, committed.unwrap_or(UNRELEASED.into()), "{name}");
        assert!(
            text.contains("gh attestation verify"),
            "{name}: how to check provenance"
        );
        assert!(
            text.contains("cargo install --locked --git"),
            "{name}: the path without a release"
        );
        for line in text.lines().filter(|l| l.contains("curl")) {
            assert!(
                !line.contains(".sha256"),
                "{name}: fetches a checksum beside the archive"
            );
        }
    }
}

/// The examples as the release commit has them: pinned to `version` and the sha256 of
/// `archive` by scripts/pin-release.sh, in a copy under `dir`.
fn pinned_examples(dir: &Path, version: &str, archive: &[u8]) -> PathBuf {
    for folder in ["scripts", "checksums", "examples/ci"] {
        fs::create_dir_all(dir.join(folder)).unwrap();
    }
    let script = dir.join("scripts/pin-release.sh");
    fs::copy(Path::new(ROOT).join("scripts/pin-release.sh"), &script).unwrap();
    let sums: String = ["x86_64", "aarch64"]
        .iter()
        .map(|arch| {
            let sum = if *arch == "x86_64" {
                sha256_hex(archive)
            } else {
                "a".repeat(64)
            };
            format!("{sum}  servicestage-gate-{version}-{arch}-unknown-linux-musl.tar.gz\n")
        })
        .collect();
    fs::write(dir.join(format!("checksums/{version}.sha256")), sums).unwrap();
    let mut files = Vec::new();
    for name in EXAMPLES {
        let copy = dir.join("examples/ci").join(name);
        fs::write(&copy, example(name)).unwrap();
        files.push(copy);
    }
    let status = Command::new("bash")
        .arg(&script)
        .arg(version)
        .args(&files)
        .status()
        .unwrap();
    assert!(status.success());
    dir.join("examples/ci")
}

#[test]
fn pin_release_points_every_example_at_the_release() {
    let dir = scratch("pin");
    let pinned = pinned_examples(&dir, "9.9.9", b"archive");
    for name in EXAMPLES {
        let text = fs::read_to_string(pinned.join(name)).unwrap();
        assert!(!text.contains(NO_RELEASE_LINE), "{name}");
        if name.ends_with(".yml") {
            yaml(&text);
        }
        let original = example(name);
        if original.contains("GATE_VERSION") {
            assert_eq!(
                setting(&text, "GATE_VERSION").as_deref(),
                Some("9.9.9"),
                "{name}"
            );
        }
        if INSTALLERS.contains(&name) {
            assert_eq!(
                setting(&text, "GATE_SHA256"),
                Some(sha256_hex(b"archive")),
                "{name}"
            );
        }
        // nothing else changed
        let kept = |t: &str| -> Vec<String> {
            t.lines()
                .filter(|l| {
                    !l.contains(NO_RELEASE_LINE)
                        && !l.contains("GATE_VERSION =")
                        && !l.contains("GATE_VERSION:")
                })
                .filter(|l| !l.contains("GATE_SHA256 =") && !l.contains("GATE_SHA256:"))
                .map(String::from)
                .collect()
        };
        assert_eq!(kept(&text), kept(&original), "{name}");
    }
    let bad = Command::new("bash")
        .arg(dir.join("scripts/pin-release.sh"))
        .arg("9.9.8")
        .output()
        .unwrap();
    assert!(
        !bad.status.success(),
        "a version without checksums is refused"
    );
}

/// One CI system's install and gate scripts, the shell that runs them, and their environment.
struct Snippet {
    ci: &'static str,
    shell: &'static [&'static str],
    install: String,
    gate: String,
    env: BTreeMap<String, String>,
    /// Where the install puts the gate.
    bin: PathBuf,
}

impl Snippet {
    fn run(&self, script: &str, extra: &[(&str, &str)], cwd: &Path) -> (i32, String) {
        fs::create_dir_all(cwd).unwrap();
        let out = Command::new(self.shell[0])
            .args(&self.shell[1..])
            .arg(script)
            .current_dir(cwd)
            .env_clear()
            .envs(&self.env)
            .envs(extra.iter().copied())
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code().unwrap_or(-1), text)
    }
}

/// The variables a CI system gives every script here: PATH, the test CA for curl, a HOME.
fn base_env(dir: &Path, path_first: &Path) -> BTreeMap<String, String> {
    for folder in ["home", "tmp", "results"] {
        fs::create_dir_all(dir.join(folder)).unwrap();
    }
    let path = format!(
        "{}:{}",
        path_first.display(),
        std::env::var("PATH").unwrap()
    );
    BTreeMap::from([
        ("PATH".into(), path),
        ("CURL_CA_BUNDLE".into(), test_ca().display().to_string()),
        ("HOME".into(), dir.join("home").display().to_string()),
        ("TMPDIR".into(), dir.join("tmp").display().to_string()),
    ])
}

/// GitLab: the job's `before_script` and `script` lines in one bash, with the `variables`;
/// its apt-get line is left out (no package registry here) and /usr/local/bin is a folder.
fn gitlab(text: &str, dir: &Path, releases: &str) -> Snippet {
    let doc = yaml(text);
    let job = &doc["servicestage-gate"];
    let bin_dir = dir.join("usr-local-bin");
    fs::create_dir_all(&bin_dir).unwrap();
    let lines = |key: &str| -> Vec<String> {
        job[key]
            .as_vec()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_string())
            .collect()
    };
    let before = lines("before_script");
    assert!(before[0].starts_with("apt-get "), "{}", before[0]);
    let install = before[1..]
        .join("\n")
        .replace(RELEASES, releases)
        .replace("/usr/local/bin", &bin_dir.display().to_string());
    let mut env = base_env(dir, &bin_dir);
    for (k, v) in doc["variables"].as_hash().unwrap() {
        env.insert(k.as_str().unwrap().into(), v.as_str().unwrap().into());
    }
    // the masked CI/CD variables of the project's settings
    env.insert("HUAWEICLOUD_SDK_AK".into(), "AK-1".into());
    env.insert("HUAWEICLOUD_SDK_SK".into(), "SK-1".into());
    Snippet {
        ci: "gitlab",
        shell: &["bash", "-e", "-o", "pipefail", "-c"],
        install,
        gate: lines("script").join("\n"),
        env,
        bin: bin_dir.join("servicestage-gate"),
    }
}

/// Azure: the two bash steps (run by `bash --noprofile --norc`), the pipeline variables as
/// environment, the gate step's `env:` with the secrets' values.
fn azure(text: &str, dir: &Path, releases: &str) -> Snippet {
    let doc = yaml(text);
    let steps = doc["steps"].as_vec().unwrap();
    let temp = dir.join("agent-temp");
    fs::create_dir_all(&temp).unwrap(); // the agent makes it for each job
    let mut env = base_env(dir, Path::new("/nonexistent"));
    for (k, v) in doc["variables"].as_hash().unwrap() {
        env.insert(k.as_str().unwrap().into(), v.as_str().unwrap().into());
    }
    env.insert("AGENT_TEMPDIRECTORY".into(), temp.display().to_string());
    env.insert(
        "COMMON_TESTRESULTSDIRECTORY".into(),
        dir.join("results").display().to_string(),
    );
    for (k, v) in steps[1]["env"].as_hash().unwrap() {
        let value = v
            .as_str()
            .unwrap()
            .replace("$(HuaweiCloudAk)", "AK-1")
            .replace("$(HuaweiCloudSk)", "SK-1");
        assert!(!value.contains("$("), "{value}");
        env.insert(k.as_str().unwrap().into(), value);
    }
    Snippet {
        ci: "azure",
        shell: &["bash", "--noprofile", "--norc", "-c"],
        install: steps[0]["bash"]
            .as_str()
            .unwrap()
            .replace(RELEASES, releases),
        gate: steps[1]["bash"].as_str().unwrap().to_string(),
        env,
        bin: temp.join("bin/servicestage-gate"),
    }
}

/// Jenkins: the `sh` scripts (run by `sh -xe`), the `environment` block, and the credentials
/// withCredentials binds.
fn jenkins(text: &str, dir: &Path, releases: &str) -> Snippet {
    let install = text
        .split("script: '''")
        .nth(1)
        .unwrap()
        .split("'''")
        .next()
        .unwrap();
    assert!(!install.contains('\\'), "Groovy would rewrite backslashes");
    let gate_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("sh '\""))
        .unwrap();
    let gate = gate_line
        .trim()
        .strip_prefix("sh '")
        .unwrap()
        .strip_suffix('\'')
        .unwrap();
    let block = text
        .split("environment {")
        .nth(1)
        .unwrap()
        .split('}')
        .next()
        .unwrap();
    let mut env = base_env(dir, Path::new("/nonexistent"));
    for line in block
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("//"))
    {
        if let Some((name, value)) = line.split_once(" = ") {
            env.insert(name.trim().into(), value.trim().trim_matches('\'').into());
        }
    }
    let workspace_tmp = dir.join("workspace@tmp");
    env.insert("WORKSPACE_TMP".into(), workspace_tmp.display().to_string());
    env.insert("HUAWEICLOUD_SDK_AK".into(), "AK-1".into());
    env.insert("HUAWEICLOUD_SDK_SK".into(), "SK-1".into());
    Snippet {
        ci: "jenkins",
        shell: &["sh", "-xe", "-c"],
        install: install.replace(RELEASES, releases),
        gate: gate.to_string(),
        env,
        bin: workspace_tmp.join("servicestage-gate/bin/servicestage-gate"),
    }
}

fn snippets(examples: &Path, dir: &Path, releases: &str) -> Vec<Snippet> {
    let read = |name: &str| fs::read_to_string(examples.join(name)).unwrap();
    vec![
        gitlab(&read("gitlab-ci.yml"), &dir.join("gitlab"), releases),
        azure(&read("azure-pipelines.yml"), &dir.join("azure"), releases),
        jenkins(&read("Jenkinsfile"), &dir.join("jenkins"), releases),
    ]
}

/// A fake ServiceStage whose every answer is one page of builds in `state`.
fn servicestage(state: &'static str) -> Server {
    Server::start(move |_, _| Reply::ok(page_json(2, &[("b2", state, 60), ("b1", state, 60)])))
}

/// Each install snippet, pinned to a release the way the release commit is, runs as written:
/// it installs only the binary, without the archive's setuid bit, and the gate's exit code is
/// the job's, 0 for passing builds and 1 for failing ones. A tampered archive, or the
/// examples as committed before a release, install nothing.
#[test]
fn each_install_snippet_runs_as_written_against_a_release() {
    let dir = scratch("snippets");
    let archive = gate_archive(&dir, &fs::read(GATE).unwrap());
    let asset = |v: &str| {
        format!(
            "/servicestage-gate/servicestage-gate/releases/download/v{v}/servicestage-gate-{v}-x86_64-unknown-linux-musl.tar.gz"
        )
    };
    let path = asset("9.9.9");
    let mut tampered = archive.clone();
    tampered[100] ^= 1;
    // the committed examples' version too, to show that "unreleased" itself refuses it
    let good = TlsFiles::start(vec![
        (path.clone(), archive.clone()),
        (asset(env!("CARGO_PKG_VERSION")), archive.clone()),
    ]);
    let bad = TlsFiles::start(vec![(path.clone(), tampered)]);
    let releases = |server: &TlsFiles| {
        format!(
            "{}/servicestage-gate/servicestage-gate/releases/download",
            server.url()
        )
    };
    let pinned = pinned_examples(&dir.join("repo"), "9.9.9", &archive);
    let (passing, failing) = (servicestage("Successful"), servicestage("Failed"));

    for snippet in snippets(&pinned, &dir.join("good"), &releases(&good)) {
        let ci = snippet.ci;
        let work = dir.join("good").join(ci).join("work");
        let (code, log) = snippet.run(&snippet.install, &[], &work);
        assert_eq!(code, 0, "{ci} install:\n{log}");
        assert_eq!(mode(&snippet.bin), 0o755, "{ci}: the setuid bit survived");
        assert_eq!(fs::read(&snippet.bin).unwrap(), fs::read(GATE).unwrap());
        assert_no_file_named("sudo", &dir.join("good").join(ci));
        for (server, expected) in [(&passing, 0), (&failing, 1)] {
            let endpoint = server.url();
            let (code, log) = snippet.run(
                &snippet.gate,
                &[("SERVICESTAGE_ENDPOINT", &endpoint)],
                &work,
            );
            assert_eq!(code, expected, "{ci} gate:\n{log}");
        }
        let junit = match ci {
            "azure" => dir.join("good/azure/results/gate-junit.xml"),
            _ => work.join("gate-junit.xml"),
        };
        assert!(junit.exists(), "{ci}: no JUnit report");
    }
    assert_eq!(good.paths(), vec![path.clone(); 3]);

    let committed = Path::new(ROOT).join("examples/ci");
    for (name, examples, server) in [
        ("tampered", &pinned, &bad),
        ("unreleased", &committed, &good),
    ] {
        for snippet in snippets(examples, &dir.join(name), &releases(server)) {
            let work = dir.join(name).join(snippet.ci).join("work");
            let (code, log) = snippet.run(&snippet.install, &[], &work);
            assert_ne!(code, 0, "{name} {}:\n{log}", snippet.ci);
            assert!(log.contains("sha256sum:"), "{name} {}:\n{log}", snippet.ci);
            assert!(!snippet.bin.exists(), "{name} {}: installed", snippet.ci);
        }
    }
}

fn assert_no_file_named(name: &str, dir: &Path) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        assert_ne!(path.file_name().unwrap(), name, "{}", path.display());
        if path.is_dir() && !path.is_symlink() {
            assert_no_file_named(name, &path);
        }
    }
}
