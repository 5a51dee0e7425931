//! The documentation against the real binaries, so it cannot drift:
//! - every shell block of README.md and docs/ that says what a command prints
//!   (`# exit N: TEXT`, `# ready: TEXT`) runs, in order and as written, in one bash per page;
//! - docs/configuration.md's tables are generated from the options table (`UPDATE_SNAPSHOTS=1
//!   cargo test --test integration docs::` rewrites them);
//! - every flag, variable and action input the docs name exists;
//! - the fake server behaves as the try-it page says.
#![cfg(unix)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::{self, fake_server, gate, run};
use servicestage_gate::cli::{Fallback, OPTIONS, Opt};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// What a documented command must do.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    /// No claim: setup such as `export`; it must succeed.
    Succeed,
    /// `# exit N: TEXT`: exit code N, and TEXT somewhere in stdout or stderr.
    Exit(i32, String),
    /// `# ready: TEXT`: a server started in a second terminal; its first stdout line is TEXT.
    Ready(String),
    /// Builds what the test harness already built (`cargo build`, `cargo test`): not run.
    Built,
}

/// One command of a page: where it starts, the shell text without the claim, the claim.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Step {
    line: usize,
    command: String,
    expect: Expect,
}

/// The claim at the end of a command's last line, and the command without it.
fn claim(command: &str) -> (String, Expect) {
    for (marker, ready) in [(" # exit ", false), (" # ready: ", true)] {
        if let Some(at) = command.rfind(marker) {
            let (shell, rest) = (command[..at].trim_end(), &command[at + marker.len()..]);
            let expect = if ready {
                Expect::Ready(rest.trim().to_string())
            } else {
                let (code, text) = rest.split_once(": ").unwrap_or((rest, ""));
                let code = code
                    .trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("bad claim: {rest}"));
                Expect::Exit(code, text.trim().to_string())
            };
            return (shell.to_string(), expect);
        }
    }
    let expect = match command.starts_with("cargo build") || command.starts_with("cargo test") {
        true => Expect::Built,
        false => Expect::Succeed,
    };
    (command.to_string(), expect)
}

/// The commands of every ```sh block that holds at least one claim, in page order. A line
/// ending in `\` continues on the next; whole-line comments are skipped.
fn steps(page: &str) -> Vec<Step> {
    let mut found = Vec::new();
    let mut lines = page.lines().enumerate();
    while let Some((_, line)) = lines.next() {
        if line.trim_end() != "```sh" {
            continue;
        }
        let mut block: Vec<Step> = Vec::new();
        let mut pending: Option<(usize, String)> = None;
        for (number, line) in lines.by_ref() {
            if line.starts_with("```") {
                break;
            }
            let (start, mut text) = pending.take().unwrap_or((number + 1, String::new()));
            text.push_str(line);
            if line.ends_with('\\') {
                text.push('\n');
                pending = Some((start, text));
            } else if !text.trim().is_empty() && !text.trim_start().starts_with('#') {
                let (command, expect) = claim(&text);
                block.push(Step {
                    line: start,
                    command,
                    expect,
                });
            }
        }
        let claims = block
            .iter()
            .any(|s| matches!(s.expect, Expect::Exit(..) | Expect::Ready(_)));
        if claims {
            found.extend(block);
        }
    }
    found
}

/// The directory of the binaries `cargo test` built (`target/debug`).
fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_servicestage-gate"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A command as this test runs it: the release paths of the docs become the test's own
/// binaries, and `cargo run --release --` the gate.
fn as_tested(command: &str) -> String {
    let bins = bin_dir().display().to_string();
    command
        .replace("$PWD/target/release", &bins)
        .replace("target/release/", &format!("{bins}/"))
        .replace("cargo run --release -- ", "servicestage-gate ")
}

/// The bash script that runs a page's steps in order, recording each claimed step's exit
/// code and output under `out`. A step with no claim that fails ends the script. A `ready`
/// step stops the previous server (Ctrl-C in its terminal, as the page says), starts the
/// new one in the background and waits for its first line.
fn script(steps: &[Step], out: &Path) -> String {
    let out = out.display();
    let mut script = String::from(
        "fake=\ntrap '[ -z \"$fake\" ] || { kill \"$fake\"; wait \"$fake\"; } 2>/dev/null' EXIT\n",
    );
    for (i, step) in steps.iter().enumerate() {
        let command = as_tested(&step.command);
        script += &match &step.expect {
            Expect::Built => String::new(),
            Expect::Succeed => format!(
                "{command}\nstatus=$?; [ $status -eq 0 ] || {{ echo {i} $status >'{out}/failed'; exit 1; }}\n"
            ),
            Expect::Exit(..) => format!(
                "{{ {command}\n}} >'{out}/{i}.out' 2>&1 </dev/null\necho $? >'{out}/{i}.code'\n"
            ),
            Expect::Ready(_) => format!(
                "[ -z \"$fake\" ] || {{ kill \"$fake\"; wait \"$fake\"; }}\n\
                 rm -f '{out}/ready'; mkfifo '{out}/ready'\n\
                 {command} >'{out}/ready' 2>'{out}/{i}.err' </dev/null &\nfake=$!\n\
                 if read -r first <'{out}/ready'; then printf '%s\\n' \"$first\" >'{out}/{i}.out'; echo 0 >'{out}/{i}.code'\n\
                 else cp '{out}/{i}.err' '{out}/{i}.out'; echo 1 >'{out}/{i}.code'; exit 1; fi\n"
            ),
        };
    }
    script
}

/// Runs a page's steps and returns every claim that did not hold.
fn check_page(name: &str, steps: &[Step]) -> Vec<String> {
    let out = std::env::temp_dir().join(format!(
        "servicestage-gate-docs-{}-{}",
        name.replace('/', "-"),
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&out);
    fs::create_dir_all(&out).unwrap();
    let path = format!(
        "{}:{}:/usr/local/bin:/usr/bin:/bin",
        bin_dir().display(),
        bin_dir().join("examples").display()
    );
    let status = Command::new("bash")
        .arg("-c")
        .arg(script(steps, &out))
        .current_dir(ROOT)
        .env_clear()
        .env("PATH", path)
        .env("HOME", &out)
        .stdin(Stdio::null())
        .status()
        .unwrap();
    let mut problems = Vec::new();
    if let Ok(failed) = fs::read_to_string(out.join("failed")) {
        let (i, status) = failed.trim().split_once(' ').unwrap();
        let step = &steps[i.parse::<usize>().unwrap()];
        problems.push(format!(
            "{name}:{}: `{}` exited {status}",
            step.line, step.command
        ));
    }
    for (i, step) in steps.iter().enumerate() {
        let (code, text) = match &step.expect {
            Expect::Exit(code, text) => (*code, text),
            Expect::Ready(text) => (0, text),
            Expect::Succeed | Expect::Built => continue,
        };
        let Ok(got) = fs::read_to_string(out.join(format!("{i}.code"))) else {
            problems.push(format!("{name}:{}: not reached", step.line));
            continue;
        };
        let output = fs::read_to_string(out.join(format!("{i}.out"))).unwrap_or_default();
        if got.trim() != code.to_string() || !output.contains(text.as_str()) {
            problems.push(format!(
                "{name}:{}: `{}`\n  claims exit {code} and {text:?}\n  got exit {}:\n{output}",
                step.line,
                step.command,
                got.trim()
            ));
        }
    }
    if problems.is_empty() {
        assert!(status.success(), "{name}: the script failed: {status}");
    }
    let _ = fs::remove_dir_all(&out);
    problems
}

/// README.md, then docs/*.md by name.
fn pages() -> Vec<(String, String)> {
    let mut names = vec!["README.md".to_string()];
    let mut docs: Vec<String> = fs::read_dir(Path::new(ROOT).join("docs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    docs.sort();
    names.extend(docs);
    names
        .into_iter()
        .map(|n| {
            let text = fs::read_to_string(Path::new(ROOT).join(&n)).unwrap();
            (n, text)
        })
        .collect()
}

/// One test, so the pages run one after another: they share the fake's port.
#[test]
fn every_documented_command_ends_as_the_docs_say() {
    fake_server();
    let mut problems = Vec::new();
    let mut checked = Vec::new();
    for (name, text) in pages() {
        let steps = steps(&text);
        if !steps.is_empty() {
            problems.extend(check_page(&name, &steps));
            checked.push(name);
        }
    }
    for page in ["README.md", "docs/try-it.md", "docs/troubleshooting.md"] {
        assert!(
            checked.iter().any(|c| c == page),
            "{page} has no checked commands"
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn claims_are_read_from_shell_blocks_with_continuations() {
    let page = "text # exit 1: not in a block\n```sh\ncargo build --release   # slow\n\
                export A=1\n# a comment\nA=2 \\\n  gate --x   # exit 3: oops: no\n\
                fake --port 1   # ready: http://x\n```\n```sh\nlonely   # a remark\n```\n";
    let expected = [
        (3, "cargo build --release   # slow", Expect::Built),
        (4, "export A=1", Expect::Succeed),
        (6, "A=2 \\\n  gate --x", Expect::Exit(3, "oops: no".into())),
        (8, "fake --port 1", Expect::Ready("http://x".into())),
    ];
    let steps = steps(page);
    assert_eq!(steps.len(), expected.len(), "{steps:#?}");
    for (step, (line, command, expect)) in steps.iter().zip(expected) {
        assert_eq!(
            (step.line, step.command.as_str(), &step.expect),
            (line, command, &expect)
        );
    }
    assert_eq!(claim("gate   # exit 0").1, Expect::Exit(0, String::new()));
}

const BEGIN: &str = "<!-- BEGIN generated from the options table: UPDATE_SNAPSHOTS=1 cargo test --test integration docs:: -->\n";
const END: &str = "<!-- END generated from the options table -->";

/// A table cell: `|` escaped, and flags, `$VARIABLES` and `VARIABLE_NAMES` as code.
fn cell(text: &str) -> String {
    let code = |word: &str| {
        let core = word.trim_matches(|c: char| ",;:.()".contains(c));
        let variable = core.contains('_')
            && core
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        match core.len() > 2 && (core.starts_with("--") || core.starts_with('$') || variable) {
            true => word.replacen(core, &format!("`{core}`"), 1),
            false => word.to_string(),
        }
    };
    text.split(' ')
        .map(code)
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

fn default_cell(opt: &Opt) -> String {
    match opt.default {
        Fallback::None => "none".to_string(),
        Fallback::Required => "required without `--input`".to_string(),
        Fallback::Value(value) => format!("`{value}`"),
        Fallback::Described(text) => cell(text),
    }
}

/// The generated part of docs/configuration.md: a row per flag, then one per credential.
fn configuration_tables() -> String {
    let mut out = String::from(
        "| flag | variable | action input | default | meaning |\n|---|---|---|---|---|\n",
    );
    for opt in OPTIONS.iter().filter(|o| o.secret.is_none()) {
        let flag = format!("{} {}", opt.flag().unwrap(), opt.value);
        let flag = match opt.name().as_str() {
            "verbose" => format!("`-v`, `{}`", flag.trim_end()),
            _ => format!("`{}`", flag.trim_end()),
        };
        out += &format!(
            "| {} | `{}` | `{}` | {} | {} |\n",
            flag.replace('|', "\\|"),
            opt.variable(),
            opt.input(),
            default_cell(opt),
            cell(opt.help)
        );
    }
    out += "\nCredentials come only from the environment, never from flags (flags show in \
            process lists); `--token-file` stands in for `SERVICESTAGE_TOKEN`. See \
            [credentials](credentials.md).\n\n| variable | action input | meaning |\n|---|---|---|\n";
    for opt in OPTIONS.iter().filter(|o| o.secret.is_some()) {
        out += &format!(
            "| `{}` | `{}` | {} |\n",
            opt.variable(),
            opt.input(),
            cell(opt.help)
        );
    }
    out
}

/// docs/configuration.md's tables are what the options table generates today.
#[test]
fn the_configuration_reference_is_generated_from_the_options_table() {
    let path = Path::new(ROOT).join("docs/configuration.md");
    let page = fs::read_to_string(&path).unwrap();
    let (head, rest) = page
        .split_once(BEGIN)
        .expect("docs/configuration.md lost its BEGIN marker");
    let (committed, tail) = rest
        .split_once(END)
        .expect("docs/configuration.md lost its END marker");
    let generated = configuration_tables();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        fs::write(&path, format!("{head}{BEGIN}{generated}{END}{tail}")).unwrap();
        return;
    }
    assert_eq!(
        committed, generated,
        "docs/configuration.md is stale: run UPDATE_SNAPSHOTS=1 cargo test --test integration docs::"
    );
}

#[test]
fn cells_quote_flags_and_variables_and_escape_bars() {
    for (text, expected) in [
        (
            "see --job-name, and $HUAWEICLOUD_SDK_PROJECT_ID.",
            "see `--job-name`, and `$HUAWEICLOUD_SDK_PROJECT_ID`.",
        ),
        (
            "only from SERVICESTAGE_IAM_PASSWORD",
            "only from `SERVICESTAGE_IAM_PASSWORD`",
        ),
        (
            "(+ x T - .) as X-Auth-Token, e.g. 20m",
            "(+ x T - .) as X-Auth-Token, e.g. 20m",
        ),
        ("pass|fail", "pass\\|fail"),
    ] {
        assert_eq!(cell(text), expected);
    }
}

/// The README and docs/ pages, with the README's verbatim copies of examples/ci/ left out
/// (tests/action.rs checks those files).
fn prose_pages() -> Vec<(String, String)> {
    let examples: Vec<String> = fs::read_dir(Path::new(ROOT).join("examples/ci"))
        .unwrap()
        .map(|e| fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    pages()
        .into_iter()
        .map(|(name, mut text)| {
            for example in &examples {
                text = text.replace(example.trim_end(), "");
            }
            (name, text)
        })
        .collect()
}

/// The flags `--help` of `binary` lists.
fn help_flags(binary: &Path) -> BTreeSet<String> {
    let help = run(Command::new(binary).arg("--help")).stdout;
    words_after(&help, "--")
}

/// Each `PREFIXword` in `text`, the word being letters, digits and `-` (or `_` and capitals
/// for variables), without the prefix.
fn words_after(text: &str, prefix: &str) -> BTreeSet<String> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    text.split(|c: char| !word(c))
        .filter_map(|w| w.strip_prefix(prefix))
        .filter(|w| w.chars().next().is_some_and(|c| c.is_ascii_alphanumeric()))
        .map(|w| w.trim_end_matches('-').to_string())
        .collect()
}

/// Other tools' flags the docs use: cargo, podman, a Containerfile's COPY, curl and tar in
/// the CI examples' install lines.
const OTHER_TOOLS: &[&str] = &[
    "proto",
    "tlsv1",
    "max-time",
    "max-filesize",
    "no-same-owner",
    "repo",
    "release",
    "locked",
    "bins",
    "examples",
    "example",
    "path",
    "git",
    "target",
    "test",
    "all-targets",
    "manifest-path",
    "dry-run",
    "check",
    "rm",
    "network",
    "user",
    "from",
];

/// A flag named anywhere in the docs is the gate's (as `--help` lists it), another tool's
/// from the list above, or the fake server's on a line that runs it.
#[test]
fn the_docs_name_only_flags_that_exist() {
    let gate_flags = help_flags(Path::new(env!("CARGO_BIN_EXE_servicestage-gate")));
    let fake_flags = help_flags(&fake_server());
    assert!(gate_flags.contains("job-name") && fake_flags.contains("fixture"));
    let mut unknown = Vec::new();
    for (name, text) in prose_pages() {
        for (number, line) in text.lines().enumerate() {
            for flag in words_after(line, "--") {
                let known = gate_flags.contains(&flag)
                    || OTHER_TOOLS.contains(&flag.as_str())
                    || (line.contains("fake-servicestage") && fake_flags.contains(&flag))
                    || flag == "some-flag";
                if !known {
                    unknown.push(format!("{name}:{}: --{flag}", number + 1));
                }
            }
        }
    }
    assert!(unknown.is_empty(), "not a flag of the gate: {unknown:#?}");
}

/// A `SERVICESTAGE_*`, `HUAWEICLOUD_SDK_*`, `HUAWEI_CLOUD_*` or `HW_*` variable named in the
/// docs is one `--help` names.
#[test]
fn the_docs_name_only_variables_the_gate_reads() {
    let help = run(gate().arg("--help")).stdout;
    let known = |v: &str| {
        v == "SERVICESTAGE_SOME_FLAG"
            || v.ends_with('_')
            || help
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .any(|w| w == v)
    };
    let mut unknown = Vec::new();
    for (name, text) in prose_pages() {
        let words = text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
        for word in words {
            let ours = ["SERVICESTAGE_", "HUAWEICLOUD_SDK_", "HUAWEI_CLOUD_", "HW_"]
                .iter()
                .any(|p| word.starts_with(p));
            if ours && !known(word) {
                unknown.push(format!("{name}: {word}"));
            }
        }
    }
    assert!(unknown.is_empty(), "not read by the gate: {unknown:#?}");
}

/// The action inputs the docs name (in prose as ``input `NAME` ``, in workflows as the
/// `with:` keys of a step that uses the action) are action.yml's.
#[test]
fn the_docs_name_only_action_inputs_that_exist() {
    let action = fs::read_to_string(Path::new(ROOT).join("action.yml")).unwrap();
    let inputs = action
        .split("\ninputs:\n")
        .nth(1)
        .unwrap()
        .split("\noutputs:")
        .next()
        .unwrap();
    let inputs: BTreeSet<&str> = inputs
        .lines()
        .filter_map(|l| l.strip_prefix("  ")?.strip_suffix(':'))
        .filter(|l| !l.starts_with(' '))
        .collect();
    assert!(
        inputs.contains("jobs") && inputs.contains("iam-password"),
        "{inputs:?}"
    );
    let mut named = Vec::new();
    for (name, text) in prose_pages() {
        for prefix in ["input `", "inputs `"] {
            for part in text.split(prefix).skip(1) {
                let input = part.split(['`', ':', ' ']).next().unwrap();
                named.push((name.clone(), input.to_string()));
            }
        }
        // `with:` keys under a step that uses the action, in the fenced workflows
        let mut in_with = None;
        for line in text.lines() {
            let indent = line.len() - line.trim_start().len();
            if line.contains("uses: servicestage-gate/servicestage-gate@") {
                in_with = Some(indent);
            } else if let Some(step) = in_with {
                match line.trim_start().split_once(':') {
                    _ if line.trim().is_empty() || line.trim_start().starts_with('#') => {}
                    _ if indent <= step => in_with = None,
                    Some(("with", _)) => {}
                    Some((key, _)) if indent > step + 2 => {
                        named.push((name.clone(), key.to_string()))
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(named.iter().any(|(_, i)| i == "oidc-idp-id"), "{named:?}");
    let unknown: Vec<_> = named
        .iter()
        .filter(|(_, i)| !inputs.contains(i.as_str()) && i != "some-flag")
        .collect();
    assert!(
        unknown.is_empty(),
        "not an input of action.yml: {unknown:#?}"
    );
}

/// docs/development.md names every step `.ci/run` takes, as `.ci/run` names it.
#[test]
fn the_development_page_lists_every_ci_step() {
    let ci = fs::read_to_string(Path::new(ROOT).join(".ci/run")).unwrap();
    let page = fs::read_to_string(Path::new(ROOT).join("docs/development.md")).unwrap();
    let steps: Vec<&str> = ci
        .lines()
        .filter_map(|l| l.strip_prefix("step \"")?.split('"').next())
        .collect();
    assert!(steps.len() >= 8, "{steps:?}");
    for step in steps {
        assert!(
            page.contains(step),
            "docs/development.md does not name the .ci/run step {step:?}"
        );
    }
}

/// The fake on `port` with `fixture`: its first stdout line (the URL it serves) once it
/// listens, and the process.
fn start_fake(port: &str, fixture: &str) -> (String, std::process::Child) {
    use std::io::BufRead;
    let mut child = Command::new(fake_server())
        .args(["--port", port, "--fixture", &common::example(fixture)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    (url.trim().to_string(), child)
}

/// Issue 20, item 2: a second fake on a taken port says so in one line, not a Debug print.
#[test]
fn the_fake_says_in_one_line_that_its_port_is_taken() {
    let (url, mut first) = start_fake("0", "passing.json");
    let port = url.rsplit(':').next().unwrap().to_string();
    let (_, second) = start_fake(&port, "passing.json");
    let out = second.wait_with_output().unwrap();
    let _ = first.kill();
    let _ = first.wait();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr,
        format!(
            "fake-servicestage: 127.0.0.1:{port} is in use: stop what listens there (an earlier \
             fake: Ctrl-C in its terminal), or pick another --port\n"
        )
    );
}

/// Issue 20, item 3: after a keyless login the fake still takes the demo token, while the
/// token it issued first is stale once it issued a second.
#[test]
fn the_fake_keeps_the_demo_token_after_a_keyless_login() {
    let (url, mut fake) = start_fake("0", "passing.json");
    let gate_with = |env: &[(&str, &str)]| {
        let mut command = gate();
        command.args([
            "--endpoint",
            &url,
            "--iam-endpoint",
            &url,
            "--region",
            "cn-north-4",
        ]);
        command
            .args(["--job-id", "j", "--job-name", "n"])
            .envs(env.iter().copied());
        run(&mut command)
    };
    let login = [
        ("SERVICESTAGE_IAM_USER", "ci-gate"),
        ("SERVICESTAGE_IAM_DOMAIN", "acme"),
        ("SERVICESTAGE_IAM_PASSWORD", "fake-password"),
    ];
    let codes = [
        gate_with(&login).code,
        gate_with(&login).code,
        gate_with(&[("SERVICESTAGE_TOKEN", "demo")]).code,
        gate_with(&[("SERVICESTAGE_TOKEN", "fake-iam-token-1")]).code,
    ];
    let _ = fake.kill();
    let _ = fake.wait();
    assert_eq!(
        codes,
        [0, 0, 0, 3],
        "login, login, demo token, the first issued token"
    );
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Every relative link of the README and docs/ leads to a file that exists, and to a
/// heading of it when it names one.
#[test]
fn the_docs_links_lead_somewhere() {
    assert_eq!(anchor("JSON (`--format json`)"), "json---format-json");
    assert_eq!(anchor("4. Keyless credentials"), "4-keyless-credentials");
    let mut broken = Vec::new();
    for (name, text) in pages() {
        let dir = Path::new(ROOT).join(&name).parent().unwrap().to_path_buf();
        for link in text.split("](").skip(1) {
            let target = link.split(')').next().unwrap();
            if target.starts_with("http://") || target.starts_with("https://") {
                continue;
            }
            let (file, heading) = target.split_once('#').unwrap_or((target, ""));
            let path = match file {
                "" => Path::new(ROOT).join(&name),
                _ => dir.join(file),
            };
            let Ok(linked) = fs::read_to_string(&path) else {
                if !path.exists() {
                    broken.push(format!("{name}: {target}"));
                }
                continue;
            };
            let headings: Vec<String> = linked
                .lines()
                .filter_map(|l| l.strip_prefix('#'))
                .map(|l| anchor(l.trim_start_matches('#')))
                .collect();
            if !heading.is_empty() && !headings.iter().any(|h| h == heading) {
                broken.push(format!("{name}: {target} (no such heading)"));
            }
        }
    }
    assert!(broken.is_empty(), "broken links: {broken:#?}");
}
