//! The generated hostile server against the real binary (issue 19 item 16): a few hundred
//! seeded sessions, each a consistent truth plus lies a hostile ServiceStage tells, and
//! every run held to the invariants in `hostile/check.rs`: exit 0 only on a consistent
//! session whose truth passes; the outcome the contract names for each lie; no credential
//! in any output or file; no CI command but the gate's own; no hidden character raw.
//!
//! `HOSTILE_SEED` and `HOSTILE_CASES` pick the cases (case `i` is seed `HOSTILE_SEED + i`,
//! so a failing case reruns alone with `HOSTILE_SEED=<its seed> HOSTILE_CASES=1`);
//! `HOSTILE_THREADS` the parallelism; `HOSTILE_STRICT=1` makes `KNOWN_OPEN` fatal too;
//! `HOSTILE_SHOW=1` prints every case with the gate's stdout and stderr.
//! `bench/hostile.sh` runs thousands.
//!
//! A generated hostile server (issue 19 item 16). A seeded generator builds a consistent
//! truth (`generator`, `session`) and tells lies about it (`lies`); a loopback server
//! serves it (`server`); the real binary runs against it (`run`); `oracle` says what the
//! truth deserves and `check` holds every run to the invariants.

pub mod check;
pub mod encode;
pub mod generator;
pub mod lies;
pub mod oracle;
pub mod rng;
pub mod run;
pub mod server;
pub mod session;
pub mod structure;
pub mod text;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use self::lies::LieClass;
use self::server::Server;
use check::{Failure, Invariant, Parsed};
use generator::Case;
use run::Outputs;

/// The lie classes today's gate fails, each with the issue 19 item that fixes it: the
/// to-do list of the record of facts. Their cases still run and their failures are
/// printed, but do not fail the test (`HOSTILE_STRICT=1` makes them fail it). Remove a
/// class when its cases pass.
const KNOWN_OPEN: &[(LieClass, &str)] = &[
    (
        LieClass::EchoCaseChanged,
        "not in the contract yet: a credential echoed in another case",
    ),
    (
        LieClass::PageDropsBuild,
        "not in the contract yet: a page shorter than per_page before the last",
    ),
];

const DEFAULT_SEED: u64 = 19_016;
const DEFAULT_CASES: u64 = 400;

struct Ran {
    case: Case,
    outputs: Outputs,
    failures: Vec<Failure>,
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn run_case(seed: u64) -> Ran {
    let case = generator::case(seed);
    let server = Server::start(case.served.clone());
    let dir = std::env::temp_dir().join(format!("hostile-{}-{seed}", std::process::id()));
    let outputs = run::run(&case, &server.url(), &dir);
    let sent = server.sent();
    drop(server);
    let failures = check::check(&case, &outputs, &sent);
    let _ = std::fs::remove_dir_all(&dir);
    Ran {
        case,
        outputs,
        failures,
    }
}

fn known_open(case: &Case) -> Option<&'static str> {
    case.lies.iter().find_map(|lie| {
        KNOWN_OPEN
            .iter()
            .find(|(class, _)| *class == lie.class)
            .map(|(_, item)| *item)
    })
}

#[test]
fn hostile_sessions_never_forge_a_pass_leak_a_credential_or_inject_a_command() {
    let first = setting("HOSTILE_SEED", DEFAULT_SEED);
    let cases = setting("HOSTILE_CASES", DEFAULT_CASES);
    let threads = setting("HOSTILE_THREADS", 8).max(1);
    println!(
        "hostile: seeds {first}..{} ({cases} cases, {threads} threads)",
        first + cases
    );
    let next = AtomicU64::new(0);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    if index >= cases {
                        return;
                    }
                    let ran = run_case(first + index);
                    results.lock().unwrap().push(ran);
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|r| r.case.seed);
    let fatal = report(&results);
    assert!(
        fatal == 0,
        "{fatal} hostile case(s) broke an invariant (see above)"
    );
}

/// The cases of each lie class (honest cases under "(honest)"); a case counts for each
/// class it holds.
fn by_class(results: &[Ran]) -> BTreeMap<String, Vec<&Ran>> {
    let mut by_class: BTreeMap<String, Vec<&Ran>> = BTreeMap::new();
    for ran in results {
        let mut names: Vec<String> = ran
            .case
            .classes()
            .iter()
            .map(|c| format!("{c:?}"))
            .collect();
        if names.is_empty() {
            names.push("(honest)".into());
        }
        for name in names {
            by_class.entry(name).or_default().push(ran);
        }
    }
    by_class
}

/// Prints the table by class ("alone": failing cases with no other lie), one line per
/// failing case, the KNOWN_OPEN entries no case failed, and the smallest failing case of
/// each class; returns how many failing cases are not known open.
fn report(results: &[Ran]) -> usize {
    let by_class = by_class(results);
    print_table(&by_class);
    print_cases(results);
    for (class, item) in KNOWN_OPEN {
        let cases = by_class
            .get(&format!("{class:?}"))
            .cloned()
            .unwrap_or_default();
        if !cases.iter().any(|r| !r.failures.is_empty()) {
            println!(
                "KNOWN_OPEN lists {class:?} ({item}) but none of its {} cases failed: fixed?",
                cases.len()
            );
        }
    }
    for (class, ran) in &by_class {
        // The most telling: alone, a forged pass if any, then the fewest builds.
        let size = |r: &&&Ran| {
            let forged = r
                .failures
                .iter()
                .any(|f| f.invariant == Invariant::ForgedPass);
            let builds: usize = r.case.truth.iter().map(Vec::len).sum();
            (r.case.lies.len(), !forged, builds, r.case.seed)
        };
        if let Some(ran) = ran
            .iter()
            .filter(|r| !r.failures.is_empty())
            .min_by_key(size)
        {
            let known = known_open(&ran.case)
                .map_or(String::new(), |item| format!(" [known open: {item}]"));
            println!(
                "\n== {class}: the smallest failing case{known}:\n{}",
                inert(&describe(ran))
            );
        }
    }
    let strict = std::env::var("HOSTILE_STRICT").is_ok_and(|v| v == "1");
    results
        .iter()
        .filter(|r| !r.failures.is_empty() && (strict || known_open(&r.case).is_none()))
        .count()
}

/// One line per failing case; with `HOSTILE_SHOW=1` every case in full.
fn print_cases(results: &[Ran]) {
    for ran in results.iter().filter(|r| !r.failures.is_empty()) {
        let broken: Vec<String> = ran
            .failures
            .iter()
            .map(|f| format!("{:?}", f.invariant))
            .collect();
        let known = known_open(&ran.case).map_or("", |_| " (known open)");
        println!(
            "failing: seed {} {:?}{known}: {}",
            ran.case.seed,
            ran.case.classes(),
            broken.join(", ")
        );
    }
    if std::env::var("HOSTILE_SHOW").is_ok_and(|v| v == "1") {
        for ran in results {
            let (stdout, stderr) = (&ran.outputs.stdout, &ran.outputs.stderr);
            println!(
                "\n{}  stdout:\n{}\n  stderr:\n{}",
                inert(&describe(ran)),
                inert(stdout),
                inert(stderr)
            );
        }
    }
}

fn print_table(by_class: &BTreeMap<String, Vec<&Ran>>) {
    println!(
        "{:<22} {:>6} {:>8} {:>6}  invariants broken",
        "class", "cases", "failing", "alone"
    );
    for (class, ran) in by_class {
        let failing: Vec<&&Ran> = ran.iter().filter(|r| !r.failures.is_empty()).collect();
        let alone = failing.iter().filter(|r| r.case.lies.len() <= 1).count();
        let mut broken: Vec<Invariant> = failing
            .iter()
            .flat_map(|r| r.failures.iter().map(|f| f.invariant))
            .collect();
        broken.sort();
        broken.dedup();
        println!(
            "{class:<22} {:>6} {:>8} {alone:>6}  {broken:?}",
            ran.len(),
            failing.len()
        );
    }
}

fn describe(ran: &Ran) -> String {
    let case = &ran.case;
    let mut text = format!(
        "seed {seed} (rerun: HOSTILE_SEED={seed} HOSTILE_CASES=1 cargo test --test integration hostile:: -- --nocapture)\n",
        seed = case.seed
    );
    for lie in &case.lies {
        text.push_str(&format!(
            "  lie {:?}: {} [expect {:?}]\n",
            lie.class, lie.what, lie.expect
        ));
    }
    text.push_str(&format!(
        "  truth: {} ({:?})\n",
        case.truth_verdict().name(),
        case.creds.kind
    ));
    for (job, builds) in case.jobs.iter().zip(&case.truth) {
        let shown: Vec<String> = builds
            .iter()
            .take(12)
            .map(|b| {
                format!(
                    "{} {} {:?} {}",
                    b.id,
                    b.state,
                    b.duration,
                    &b.commit[..7.min(b.commit.len())]
                )
            })
            .collect();
        text.push_str(&format!(
            "  job {} ({}): {} builds: {}\n",
            job.name,
            job.id,
            builds.len(),
            shown.join("; ")
        ));
    }
    let args = run::arguments(case, "http://127.0.0.1:PORT", std::path::Path::new("DIR"));
    let lang = if case.output.utf8 {
        " (LANG=C.UTF-8)"
    } else {
        ""
    };
    text.push_str(&format!("  gate: {}{lang}\n", args.join(" ")));
    text.push_str(&format!(
        "  exit {:?} in {:?}; {}\n",
        ran.outputs.code,
        ran.outputs.elapsed,
        key_line(&ran.outputs)
    ));
    for failure in &ran.failures {
        text.push_str(&format!(
            "  BROKEN {:?}: {}\n",
            failure.invariant, failure.detail
        ));
    }
    text
}

/// What this test prints, made inert for the CI log it lands in: the hostile text it
/// describes would otherwise be read as commands (`##[error]` anywhere in a line) or hide
/// characters. Hidden characters are shown as `\u{..}`, and `::` and `##` are broken.
fn inert(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '\n' => out.push(c),
            c if check::is_hidden(c) => out.extend(c.escape_unicode()),
            ':' | '#' if out.ends_with(c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// The line that shows what the gate did: its verdict and error, or its first lines.
fn key_line(out: &Outputs) -> String {
    let cut = |s: &str| s.chars().take(400).collect::<String>();
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(&out.stdout) {
        let rules: Vec<String> = json["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                format!(
                    "{}={}",
                    r["name"].as_str().unwrap_or(""),
                    r["verdict"].as_str().unwrap_or("")
                )
            })
            .collect();
        return cut(&format!(
            "verdict {} rules [{}] error {}",
            json["verdict"],
            rules.join(" "),
            json["error"]
        ));
    }
    // The verdict line, and the error line (not progress or a request log).
    let telling = |text: &str| {
        let lines = || text.lines().filter(|l| !l.trim().is_empty());
        let is_log = |l: &str| l.contains(": request ") || l.contains(": waiting for ");
        lines()
            .find(|l| {
                (l.starts_with("servicestage-gate: ") || l.starts_with("overall: ")) && !is_log(l)
            })
            .or_else(|| lines().next())
            .unwrap_or("")
            .to_string()
    };
    cut(&format!(
        "stdout {:?} stderr {:?}",
        telling(&out.stdout),
        telling(&out.stderr)
    ))
}

/// The parsers read what the runners read: each hostile line is a command, the gate's
/// own lines are its own, and text the gate escapes is no command.
#[test]
fn the_command_parsers_read_what_the_runners_read() {
    let commands = |text: &str| -> Vec<Parsed> {
        let mut all = check::github_commands(text);
        all.extend(check::azure_commands(text));
        all
    };
    for hostile in [
        "::error::x",
        "  ::warning title=a::b",
        "\u{200b}::add-mask::x",
        ":\u{200b}:set-output name=a::b",
        "::ERROR::x",
        "a\r::error::x",
        "x ##vso[task.setvariable variable=verdict]pass",
        "x ##VSO[task.complete result=Succeeded;]",
        "text ##[group]x",
        "##[endgroup]",
    ] {
        assert!(!commands(hostile).is_empty(), "{hostile:?} is a command");
    }
    for inert in [
        "x ::error::y",
        ":\\:error:\\:x",
        "#\\#vso[task.setvariable]",
        "{\"id\":\":\\u003aerror:\\u003ax\"}",
        "::nonsense::x",
        "::error x",
    ] {
        assert_eq!(commands(inert), Vec::new(), "{inert:?} is no command");
    }
    let own = &check::github_commands("::error title=web%3A state::build #1 is Failed")[0];
    assert_eq!(
        (own.name.as_str(), own.properties[0].1.as_str()),
        ("error", "web: state")
    );
    let azure =
        &check::azure_commands("##vso[task.setvariable variable=verdict;isoutput=true]pass")[0];
    assert_eq!(azure.properties.len(), 2);
}

/// Each invariant fails when its rule is broken: fabricated outputs of an honest case,
/// then the same with one breach at a time.
#[test]
fn the_checks_catch_what_they_guard() {
    use encode::base64;
    use generator::{Annotations, CredKind, Output};
    use lies::{Expect, Lie};
    use server::Sent;

    let mut case = (0..)
        .map(generator::case)
        .find(|c| c.lies.is_empty() && c.creds.kind == CredKind::Token && c.jobs.len() == 1)
        .unwrap();
    case.output = Output {
        json: false,
        annotations: Annotations::Github,
        junit: false,
        verbose: false,
        utf8: true,
    };
    let token = case.creds.values[0].1.clone();
    let truth = case.truth_verdict();
    let honest = Outputs {
        code: Some(case.rules.exit_code(&[truth])),
        stdout: format!(
            "servicestage-gate: {} for job x\n::notice title=state::ok\n",
            truth.name().to_uppercase()
        ),
        ..Outputs::default()
    };
    let broken = |case: &Case, out: &Outputs, sent: &Sent| -> Vec<Invariant> {
        check::check(case, out, sent)
            .into_iter()
            .map(|f| f.invariant)
            .collect()
    };
    let sent = Sent::default();
    assert_eq!(broken(&case, &honest, &sent), []);
    let with = |line: &str| Outputs {
        stdout: format!("{}{line}\n", honest.stdout),
        ..honest.clone()
    };
    let breaches = [
        (format!("target: build {token}"), Invariant::Leak),
        (
            format!("id {}", base64(token.as_bytes(), true)),
            Invariant::Leak,
        ),
        ("::error::x".to_string(), Invariant::Command),
        ("  ::add-mask::x".to_string(), Invariant::Command),
        ("build a ##[group]x".to_string(), Invariant::Command),
        (
            "build a ##VSO[task.complete]x".to_string(),
            Invariant::Command,
        ),
        ("build a\u{200b}b".to_string(), Invariant::Hidden),
        ("build a\u{e000}b".to_string(), Invariant::Hidden),
    ];
    for (line, invariant) in breaches {
        assert_eq!(broken(&case, &with(&line), &sent), [invariant], "{line:?}");
    }
    let leaked = Sent {
        tokens: vec![format!("MII{token}")],
        ..Sent::default()
    };
    assert_eq!(broken(&case, &honest, &leaked), [Invariant::Sent]);
    case.lies.push(Lie {
        class: LieClass::CountsBelow,
        what: "counts below".into(),
        expect: Expect::Error(Some("response")),
        refusable: false,
    });
    let pass = Outputs {
        code: Some(0),
        stdout: "servicestage-gate: PASS for job x\n".into(),
        ..Outputs::default()
    };
    assert_eq!(
        broken(&case, &pass, &sent),
        [Invariant::ForgedPass, Invariant::Contract]
    );
}
