//! The invariants every case is checked against, and faithful small parsers of the line
//! formats CI runners read commands from.
//!
//! GitHub (actions/runner, `ActionCommand`): a line whose text, after leading white space,
//! starts with `::` and has a second `::` is the command named by the text between them up
//! to the first space, if that name is registered (case-insensitively); properties are
//! `k=v` pairs split on `,`, the data follows the second `::`. Failing that, `##[` anywhere
//! in the line, a `]` after it, and a registered name between them is a command too.
//! Azure Pipelines reads `##vso[` anywhere in a line, and `##[` formatting commands.
//! Runners read lines as .NET's `ReadLine` splits them (LF, CR, CRLF). Their prefix
//! checks are culture-sensitive .NET string searches, which can skip zero-width
//! characters, so format characters are removed before parsing.

use std::collections::HashSet;

use serde_json::Value;

use super::encode::views;
use super::generator::{Annotations, Case, CredKind};
use super::lies::Expect;
use super::oracle::Verdict;
use super::run::Outputs;
use super::server::Sent;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Invariant {
    /// The gate exits 0, 1 or 3, with a verdict that matches its exit code, and never panics or hangs.
    Exit,
    /// Exit 0 only when the session was consistent and the rules pass on the truth.
    ForgedPass,
    /// The outcome the contract names for the lie (exit 3 `response`, every rule
    /// inconclusive, or the truth's verdict).
    Contract,
    /// No 10-byte run of a credential in any output or file, in any encoding.
    Leak,
    /// No line a runner reads as a command other than the gate's own annotations.
    Command,
    /// No hidden character (Cc, Cf, Zl, Zp, Co) raw in any output or file.
    Hidden,
    /// A token holding a configured credential is never sent.
    Sent,
}

#[derive(Debug, Clone)]
pub struct Failure {
    pub invariant: Invariant,
    pub detail: String,
}

/// How the run ended, as its outputs say.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Verdict(Verdict),
    /// Exit 3, with the error kinds the JSON report names (empty for text).
    Error(Vec<String>),
    Other(String),
}

pub fn check(case: &Case, out: &Outputs, sent: &Sent) -> Vec<Failure> {
    let outcome = outcome(case, out);
    let (expect, refusable) = case.expectation();
    let checks = [
        (Invariant::Exit, exit(case, out, &outcome)),
        (
            Invariant::ForgedPass,
            forged_pass(case, expect, out.code, &outcome),
        ),
        (
            Invariant::Contract,
            contract(case, expect, refusable, &outcome, out),
        ),
        (Invariant::Leak, leak(case, out, sent)),
        (Invariant::Command, foreign_command(case, out)),
        (Invariant::Hidden, hidden(out)),
        (Invariant::Sent, sent_credential(case, sent)),
    ];
    checks
        .into_iter()
        .filter_map(|(invariant, found)| found.map(|detail| Failure { invariant, detail }))
        .collect()
}

fn json(out: &Outputs) -> Option<Value> {
    serde_json::from_str(&out.stdout).ok()
}

pub fn outcome(case: &Case, out: &Outputs) -> Outcome {
    match out.code {
        Some(3) => {
            let kinds = json(out)
                .map(|json| {
                    let jobs = json["jobs"].as_array().cloned().unwrap_or_default();
                    std::iter::once(&json)
                        .chain(&jobs)
                        .filter_map(|o| o["error"]["kind"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            Outcome::Error(kinds)
        }
        Some(0 | 1) => {
            let word = match case.output.json {
                true => json(out).and_then(|j| j["verdict"].as_str().map(str::to_string)),
                // Several jobs end with `overall: ...`; one job starts `servicestage-gate: ...`.
                false => ["overall: ", "servicestage-gate: "]
                    .iter()
                    .find_map(|prefix| out.stdout.lines().find_map(|l| l.strip_prefix(prefix)))
                    .and_then(|rest| rest.split_whitespace().next())
                    .map(str::to_ascii_lowercase),
            };
            match word.as_deref() {
                Some("pass") => Outcome::Verdict(Verdict::Pass),
                Some("fail") => Outcome::Verdict(Verdict::Fail),
                Some("inconclusive") => Outcome::Verdict(Verdict::Inconclusive),
                other => Outcome::Other(format!("exit {:?} with verdict {other:?}", out.code)),
            }
        }
        code => Outcome::Other(format!("exit {code:?}")),
    }
}

fn exit(case: &Case, out: &Outputs, outcome: &Outcome) -> Option<String> {
    if out.stderr.contains("panicked at") {
        return Some("the gate panicked".into());
    }
    match outcome {
        Outcome::Other(what) => Some(format!(
            "{what} (exit 2 is a usage error: the case's flags)"
        )),
        Outcome::Verdict(v) if Some(case.rules.exit_code(&[*v])) != out.code => {
            Some(format!("verdict {} but exit {:?}", v.name(), out.code))
        }
        _ => None,
    }
}

fn forged_pass(
    case: &Case,
    expect: Expect,
    code: Option<i32>,
    outcome: &Outcome,
) -> Option<String> {
    if code != Some(0) {
        return None;
    }
    let truth = case.truth_verdict();
    let Outcome::Verdict(verdict) = outcome else {
        return Some(format!("exit 0 with {outcome:?}"));
    };
    match (expect, verdict) {
        (Expect::Error(_), v) => Some(format!(
            "exit 0 ({}) on a session the gate must refuse",
            v.name()
        )),
        (Expect::Inconclusive, Verdict::Pass) => Some("a pass on a list cut short".into()),
        (_, Verdict::Pass) if truth != Verdict::Pass => {
            Some(format!("a pass where the truth is {}", truth.name()))
        }
        (Expect::Truth, Verdict::Inconclusive) if truth == Verdict::Fail => {
            Some("exit 0 (inconclusive) where the truth fails".into())
        }
        _ => None,
    }
}

fn contract(
    case: &Case,
    expect: Expect,
    refusable: bool,
    outcome: &Outcome,
    out: &Outputs,
) -> Option<String> {
    let truth = case.truth_verdict();
    let json = case.output.json;
    let kind_ok = |kinds: &Vec<String>, kind: &str| !json || kinds.iter().any(|k| k == kind);
    let ok = match (expect, outcome) {
        (Expect::Error(None), Outcome::Error(_)) => true,
        (Expect::Error(Some(kind)), Outcome::Error(kinds)) => kind_ok(kinds, kind),
        (Expect::Error(_), _) => false,
        (_, Outcome::Error(kinds)) if refusable && kind_ok(kinds, "response") => true,
        (Expect::Truth, Outcome::Verdict(v)) => *v == truth,
        (Expect::NoBetterThanTruth, Outcome::Verdict(v)) => {
            *v == truth || *v == Verdict::Inconclusive
        }
        (Expect::NoBetterThanTruth, Outcome::Error(_)) => true,
        (Expect::Inconclusive, Outcome::Verdict(Verdict::Inconclusive)) => {
            return every_rule_inconclusive(case, out);
        }
        _ => false,
    };
    (!ok).then(|| {
        format!(
            "expected {expect:?} (the truth: {}), got {outcome:?}",
            truth.name()
        )
    })
}

/// A list cut short makes every rule inconclusive, `state` included.
fn every_rule_inconclusive(case: &Case, out: &Outputs) -> Option<String> {
    let decided: Vec<String> = rule_verdicts(case, out)
        .into_iter()
        .filter(|(_, verdict)| verdict != "inconclusive")
        .map(|(name, verdict)| format!("{name} {verdict}"))
        .collect();
    (!decided.is_empty()).then(|| {
        format!(
            "a list cut short, yet rules were decided: {}",
            decided.join(", ")
        )
    })
}

/// Each rule's name and verdict as the report shows them: JSON `rules`, or the text
/// report's `  PASS         state: ...` lines.
fn rule_verdicts(case: &Case, out: &Outputs) -> Vec<(String, String)> {
    if case.output.json {
        let rules = json(out)
            .and_then(|j| j["rules"].as_array().cloned())
            .unwrap_or_default();
        return rules
            .iter()
            .map(|r| {
                (
                    r["name"].as_str().unwrap_or("").to_string(),
                    r["verdict"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
    }
    out.stdout
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let verdict = words
                .next()
                .filter(|w| ["PASS", "FAIL", "INCONCLUSIVE"].contains(w))?;
            let name = words.next()?.strip_suffix(':')?;
            TITLES
                .contains(&name)
                .then(|| (name.to_string(), verdict.to_ascii_lowercase()))
        })
        .collect()
}

/// Every output and file the gate wrote, by name.
fn streams(out: &Outputs) -> Vec<(&str, &str)> {
    let mut streams = vec![
        ("stdout", out.stdout.as_str()),
        ("stderr", out.stderr.as_str()),
    ];
    streams.extend(out.files.iter().map(|(name, text)| (*name, text.as_str())));
    streams
}

/// The IAM tokens the gate may mask: obtained (at the login or a renewal), and holding no
/// configured credential; only under GitHub annotations.
fn maskable(case: &Case) -> Vec<&str> {
    let obtained = case
        .served
        .iam_token
        .iter()
        .chain(case.served.renewal.iter().map(|r| &r.token));
    let clean = |token: &&String| {
        let lower = token.to_ascii_lowercase();
        case.creds.values.iter().all(|(_, v)| {
            !runs(v)
                .iter()
                .any(|r| lower.as_bytes().windows(r.len()).any(|w| w == r.as_slice()))
        })
    };
    match case.output.annotations {
        Annotations::Github => obtained.filter(clean).map(String::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Every 10-byte run of `secret`, lower-cased (the whole of a shorter one).
fn runs(secret: &str) -> Vec<Vec<u8>> {
    let bytes = secret.to_ascii_lowercase().into_bytes();
    match bytes.len() {
        0..=10 => vec![bytes],
        _ => bytes.windows(10).map(<[u8]>::to_vec).collect(),
    }
}

fn leak(case: &Case, out: &Outputs, sent: &Sent) -> Option<String> {
    let mut secrets: Vec<(String, String)> = case
        .creds
        .values
        .iter()
        .map(|(name, value)| (name.to_string(), value.clone()))
        .collect();
    secrets.extend(
        case.served
            .iam_token
            .iter()
            .map(|t| ("the IAM token".to_string(), t.clone())),
    );
    secrets.extend(
        case.served
            .renewal
            .iter()
            .map(|r| ("the renewed IAM token".to_string(), r.token.clone())),
    );
    secrets.extend(
        sent.signatures
            .iter()
            .map(|s| ("a request signature".to_string(), s.clone())),
    );
    let needles: HashSet<Vec<u8>> = secrets.iter().flat_map(|(_, s)| runs(s)).collect();
    let masks: Vec<String> = maskable(case)
        .iter()
        .map(|token| format!("::add-mask::{token}"))
        .collect();
    for (name, text) in streams(out) {
        let kept: String = text
            .lines()
            .filter(|l| !masks.iter().any(|m| m == l))
            .collect::<Vec<_>>()
            .join("\n");
        for view in views(&kept) {
            let Some(run) = view.windows(10).find(|w| needles.contains(*w)) else {
                continue;
            };
            let owner = secrets
                .iter()
                .find(|(_, s)| runs(s).iter().any(|r| r == run))
                .map(|(n, _)| n.as_str());
            let line = kept.lines().find(|l| {
                l.to_ascii_lowercase()
                    .contains(&*String::from_utf8_lossy(run))
            });
            return Some(format!(
                "{name} holds {:?} of {} ({})",
                String::from_utf8_lossy(run),
                owner.unwrap_or("a credential"),
                line.map_or("decoded".to_string(), |l| format!("line {l:?}"))
            ));
        }
    }
    None
}

/// Unicode's Cf (format) characters, as of Unicode 15.1.
fn is_format(c: char) -> bool {
    matches!(c as u32,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x890..=0x891 | 0x8E2 | 0x180E
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF
        | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F | 0x1BCA0..=0x1BCA3
        | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F)
}

/// Cc, Cf, Zl, Zp or Co: a character no log may show raw.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || is_format(c)
        || matches!(c as u32, 0x2028 | 0x2029 | 0xE000..=0xF8FF | 0xF0000..=0xFFFFD | 0x100000..=0x10FFFD)
}

fn hidden(out: &Outputs) -> Option<String> {
    for (name, text) in streams(out) {
        for line in text.split('\n') {
            if let Some(c) = line.chars().find(|c| is_hidden(*c)) {
                return Some(format!("{name} shows {c:?} raw in {line:?}"));
            }
        }
    }
    None
}

/// A command as a runner parsed it from one line.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub system: &'static str,
    pub name: String,
    pub properties: Vec<(String, String)>,
    pub data: String,
    pub line: String,
}

const GITHUB_COMMANDS: [&str; 15] = [
    "stop-commands",
    "set-env",
    "set-output",
    "save-state",
    "add-mask",
    "add-path",
    "add-matcher",
    "remove-matcher",
    "debug",
    "warning",
    "error",
    "notice",
    "group",
    "endgroup",
    "echo",
];

fn runner_lines(text: &str) -> Vec<String> {
    let is_ignorable = |c: &char| {
        is_format(*c) || matches!(*c as u32, 0x34F | 0xFE00..=0xFE0F | 0xE0100..=0xE01EF)
    };
    text.split(['\n', '\r'])
        .map(|l| l.chars().filter(|c| !is_ignorable(c)).collect())
        .collect()
}

/// Undoes a runner's escapes, in the runner's order (`%25` last).
fn unescape(text: &str, mappings: &[(&str, &str)]) -> String {
    mappings.iter().fold(text.to_string(), |t, (escaped, raw)| {
        t.replace(escaped, raw)
    })
}

pub fn github_commands(text: &str) -> Vec<Parsed> {
    runner_lines(text)
        .into_iter()
        .filter_map(|line| github_v2(&line).or_else(|| github_v1(&line)))
        .collect()
}

fn registered(name: &str) -> bool {
    GITHUB_COMMANDS.iter().any(|c| c.eq_ignore_ascii_case(name))
}

fn github_v2(line: &str) -> Option<Parsed> {
    let message = line.trim_start().strip_prefix("::")?;
    let (info, data) = message.split_once("::")?;
    let (name, properties) = info.split_once(' ').unwrap_or((info, ""));
    registered(name).then_some(())?;
    let properties = properties
        .trim()
        .split(',')
        .filter_map(|p| p.split_once('='))
        .filter(|(k, v)| !k.is_empty() && !v.is_empty())
        .map(|(k, v)| {
            (
                k.to_string(),
                unescape(
                    v,
                    &[
                        ("%0D", "\r"),
                        ("%0A", "\n"),
                        ("%3A", ":"),
                        ("%2C", ","),
                        ("%25", "%"),
                    ],
                ),
            )
        })
        .collect();
    Some(Parsed {
        system: "github",
        name: name.to_string(),
        properties,
        data: unescape(data, &[("%0D", "\r"), ("%0A", "\n"), ("%25", "%")]),
        line: line.to_string(),
    })
}

fn github_v1(line: &str) -> Option<Parsed> {
    let start = line.find("##[")?;
    let (info, data) = line[start + 3..].split_once(']')?;
    let (name, properties) = info.split_once(' ').unwrap_or((info, ""));
    registered(name).then_some(())?;
    Some(Parsed {
        system: "github",
        name: name.to_string(),
        properties: split_properties(properties),
        data: data.to_string(),
        line: line.to_string(),
    })
}

fn split_properties(text: &str) -> Vec<(String, String)> {
    text.split(';')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .collect()
}

/// Every `##vso[` and every `##[` in every line, in any case.
pub fn azure_commands(text: &str) -> Vec<Parsed> {
    let mut found = Vec::new();
    for line in runner_lines(text) {
        let lower = line.to_ascii_lowercase();
        for (prefix, system) in [("##vso[", "azure"), ("##[", "azure formatting")] {
            for (start, _) in lower.match_indices(prefix) {
                let rest = &line[start + prefix.len()..];
                let (info, data) = rest.split_once(']').unwrap_or((rest, ""));
                let (name, properties) = info.split_once(' ').unwrap_or((info, ""));
                found.push(Parsed {
                    system,
                    name: name.to_string(),
                    properties: split_properties(properties),
                    data: data.to_string(),
                    line: line.clone(),
                });
            }
        }
    }
    found
}

const TITLES: [&str; 7] = [
    "state",
    "max-duration",
    "min-builds",
    "min-success-rate",
    "max-consecutive-failures",
    "max-duration-regression",
    "servicestage-gate",
];

fn own_github(case: &Case, command: &Parsed) -> bool {
    if case.output.annotations != Annotations::Github {
        return false;
    }
    let title_ok = |title: &str| {
        TITLES.contains(&title)
            || case.jobs.len() > 1
                && case.jobs.iter().any(|j| {
                    title
                        .strip_prefix(&format!("{}: ", j.name))
                        .is_some_and(|t| TITLES.contains(&t))
                })
    };
    match command.name.as_str() {
        "error" | "warning" | "notice" => match command.properties.as_slice() {
            [(key, title)] => key == "title" && title_ok(title),
            _ => false,
        },
        "add-mask" => {
            case.creds.kind == CredKind::Password && maskable(case).contains(&command.data.as_str())
        }
        _ => false,
    }
}

fn own_azure(case: &Case, command: &Parsed) -> bool {
    let lower = command.line.to_ascii_lowercase();
    let alone = lower.starts_with("##vso[")
        && lower.matches("##vso[").count() == 1
        && !lower.contains("##[");
    let property = |key: &str, value: &str| {
        command
            .properties
            .iter()
            .any(|(k, v)| k == key && v == value)
    };
    let known = match command.name.as_str() {
        "task.logissue" => property("type", "error") || property("type", "warning"),
        "task.setvariable" => property("variable", "verdict") && property("isoutput", "true"),
        "task.complete" => property("result", "SucceededWithIssues"),
        _ => false,
    };
    case.output.annotations == Annotations::Azure && command.system == "azure" && alone && known
}

fn foreign_command(case: &Case, out: &Outputs) -> Option<String> {
    for (name, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let github = github_commands(text)
            .into_iter()
            .filter(|c| !own_github(case, c));
        let azure = azure_commands(text)
            .into_iter()
            .filter(|c| !own_azure(case, c));
        if let Some(command) = github.chain(azure).next() {
            return Some(format!(
                "{name}: the {} runner reads the command {:?} from {:?}",
                command.system, command.name, command.line
            ));
        }
    }
    None
}

fn sent_credential(case: &Case, sent: &Sent) -> Option<String> {
    let token = sent.tokens.iter().find(|token| {
        let lower = token.to_ascii_lowercase();
        case.creds.values.iter().any(|(_, value)| {
            token.as_str() != value.as_str()
                && runs(value)
                    .iter()
                    .any(|r| lower.as_bytes().windows(r.len()).any(|w| w == r.as_slice()))
        })
    })?;
    Some(format!(
        "X-Auth-Token {token:?} holds a configured credential"
    ))
}
