//! Text lies: an echoed credential, a hidden character or a would-be CI command, put in
//! one place of the session (a build id or state, details, a phase, the job list, an
//! error answer).

use super::encode::Encoding;
use super::generator::{Case, CredKind, Naming, uuid};
use super::lies::{Expect, Lie, LieClass, RESPONSE};
use super::oracle;
use super::rng::Rng;
use super::session::{Build, ErrorAnswer, Job, Route, SIGNATURE_MARKER, SignatureEcho, Terminal};
use super::structure::{change_build, change_served};

/// Where a text lie can go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    BuildId,
    BuildState,
    DetailsCommit,
    DetailsBranch,
    DetailsStartedAt,
    JobName,
    JobId,
    PhaseName,
    ErrorMessage,
    ErrorCode,
    RequestId,
    Suggestion,
}

impl Place {
    fn is_error_answer(self) -> bool {
        matches!(
            self,
            Place::ErrorMessage | Place::ErrorCode | Place::RequestId
        )
    }
}

/// The places `class` can use in this case.
fn places(case: &Case, class: LieClass) -> Vec<Place> {
    let mut places = vec![Place::BuildId, Place::ErrorMessage];
    if !case.wait {
        places.push(Place::BuildState);
    }
    places.push(Place::ErrorCode);
    // A header cannot carry a line break; and JSON escapes are a body's.
    if class.hidden().is_none() && class != LieClass::EchoJsonEscaped {
        places.push(Place::RequestId);
    }
    let target = oracle::target(&case.truth[0], &case.rules).map(|i| &case.truth[0][i]);
    if case.rules.commit.is_some() && target.is_some() {
        places.extend([Place::DetailsBranch, Place::DetailsStartedAt]);
        if class.hidden().is_some() {
            places.push(Place::DetailsCommit);
        }
    }
    if target.is_some_and(|t| t.terminal().is_some_and(|s| s.is_failure())) {
        places.push(Place::PhaseName);
    }
    if case.naming != Naming::IdAndName {
        places.extend([Place::JobName, Place::JobId]);
    }
    if case.naming == Naming::Lookup && class == LieClass::CiCommand {
        places.push(Place::Suggestion);
    }
    places
}

const COMMANDS: [&str; 14] = [
    "::error::hostile",
    "::warning title=x::hostile",
    "::add-mask::hostile",
    "::stop-commands::hostile",
    "  ::notice::hostile",
    "x%0A::error::hostile",
    "::set-output name=verdict::pass",
    "##vso[task.setvariable variable=verdict]pass",
    "##vso[task.complete result=Succeeded;]done",
    "##VSO[task.setvariable variable=x]y",
    "a ##vso[task.logissue type=error]hostile",
    "##[group]hostile",
    "##[error]hostile",
    "x ##[endgroup]",
];

/// Turns the old text at a place into the lie's text.
type Value = Box<dyn Fn(&str) -> String>;

pub fn text_lie(class: LieClass, case: &mut Case, rng: &mut Rng, secondary: bool) -> Option<Lie> {
    let place = match secondary {
        true => Place::BuildId,
        false => *rng.pick(&places(case, class)),
    };
    let (value, label) = value(class, place, case, rng);
    let into_truth = class == LieClass::CiCommand;
    let (where_, kind) = put(case, rng, place, &*value, into_truth, secondary);
    let expect = match (place, class) {
        (Place::Suggestion, _) => Expect::Error(None),
        (p, _) if p.is_error_answer() => Expect::Error(kind),
        (_, LieClass::CiCommand) => Expect::Truth,
        (Place::PhaseName, _) => Expect::NoBetterThanTruth,
        _ => RESPONSE,
    };
    Some(Lie {
        class,
        what: format!("{label} in {where_}"),
        expect,
        refusable: class == LieClass::CiCommand,
    })
}

/// What the lie writes at `place`, and how to name it.
fn value(class: LieClass, place: Place, case: &mut Case, rng: &mut Rng) -> (Value, String) {
    if let Some(encode) = class.echo() {
        let (label, value) = echo_value(case, rng, encode);
        let value: Value = Box::new(move |old: &str| match place {
            Place::JobName => format!("{old}-{value}"),
            _ => value.clone(),
        });
        return (value, label);
    }
    if let Some(chars) = class.hidden() {
        let c = *rng.pick(chars);
        let at = rng.below(1000) as usize;
        return (
            Box::new(move |old: &str| insert(old, at, c)),
            format!("{c:?}"),
        );
    }
    let payload = *rng.pick(&COMMANDS);
    let unique = rng.hex(4);
    let value: Value = Box::new(move |old: &str| match place {
        Place::BuildId => format!("{payload}-{unique}"),
        Place::JobName | Place::Suggestion => format!("{old}{payload}"),
        _ => payload.to_string(),
    });
    (value, format!("{payload:?}"))
}

/// The credential an echo repeats (a request's own signature under AK/SK) and the text
/// it puts in the session.
fn echo_value(
    case: &mut Case,
    rng: &mut Rng,
    encode: fn(&mut Rng, usize) -> Encoding,
) -> (String, String) {
    let mut names: Vec<(String, String)> = case
        .creds
        .values
        .iter()
        .map(|(name, value)| (name.to_string(), value.clone()))
        .collect();
    if let Some(token) = &case.served.iam_token {
        names.push(("the IAM token obtained".into(), token.clone()));
    }
    let signs = matches!(case.creds.kind, CredKind::AkSk | CredKind::AkSkSecurity);
    if signs && rng.chance(30) {
        let encoding = encode(rng, 64);
        let label = format!("the request's signature ({encoding:?})");
        case.served.signature_echo = Some(SignatureEcho { encoding });
        return (label, SIGNATURE_MARKER.into());
    }
    let (name, secret) = rng.pick(&names).clone();
    let encoding = encode(rng, secret.len());
    if encoding == Encoding::JsonEscaped {
        case.served.json_escaped.push(secret.clone());
    }
    (format!("{name} ({encoding:?})"), encoding.apply(&secret))
}

fn insert(text: &str, at: usize, c: char) -> String {
    let boundaries: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    let at = boundaries[at % boundaries.len()];
    format!("{}{c}{}", &text[..at], &text[at..])
}

/// Puts `value(old)` at `place`; returns where it went and, for an error answer, the
/// error kind it makes. `into_truth`: the text is what the build truly holds (a CI
/// command is just text), not a lie about it.
fn put(
    case: &mut Case,
    rng: &mut Rng,
    place: Place,
    value: &dyn Fn(&str) -> String,
    into_truth: bool,
    secondary: bool,
) -> (String, Option<&'static str>) {
    match place {
        Place::BuildId | Place::BuildState => {
            let build = build_to_change(case, rng, secondary);
            let (field, new) = match place {
                Place::BuildId => ("id", value(&build.id)),
                _ => ("state", value(&build.state)),
            };
            let set = |b: &mut Build| match place {
                Place::BuildId => b.id = new.clone(),
                _ => b.state = new.clone(),
            };
            change(case, &build.id, &set, into_truth);
            if into_truth && case.rules.build_id.as_deref() == Some(&build.id) && field == "id" {
                case.rules.build_id = Some(new.clone());
            }
            (
                format!("the {field} of build {} (now {new:?})", build.id),
                None,
            )
        }
        Place::DetailsCommit
        | Place::DetailsBranch
        | Place::DetailsStartedAt
        | Place::PhaseName => {
            let target = oracle::target(&case.truth[0], &case.rules).expect("a target");
            let id = case.truth[0][target].id.clone();
            let set = |b: &mut Build| match place {
                Place::DetailsCommit => b.commit = value(&b.commit),
                Place::DetailsBranch => b.branch = value(&b.branch),
                Place::DetailsStartedAt => b.started_at = value(&b.started_at),
                _ => {
                    let failing = b
                        .phases
                        .iter()
                        .position(|(_, s)| Terminal::parse(s).is_some_and(|t| t.is_failure()));
                    if let Some(phase) = b.phases.get_mut(failing.unwrap_or(0)) {
                        phase.0 = value(&phase.0);
                    }
                }
            };
            change(case, &id, &set, into_truth);
            (format!("{place:?} of the target {id}"), None)
        }
        Place::JobName | Place::JobId | Place::Suggestion => {
            (job_list_text(case, rng, place, value), None)
        }
        _ => error_answer(case, rng, place, value),
    }
}

/// The build a text lie changes: the first one for a secondary lie, else the target half
/// the time (its id and state reach every output), else any on page 1.
fn build_to_change(case: &Case, rng: &mut Rng, secondary: bool) -> Build {
    let target = oracle::target(&case.truth[0], &case.rules).map(|i| &case.truth[0][i]);
    let first = &case.served.builds[0].polls[0].builds;
    let on_page_1 = first.len().min(case.served.cap);
    let target_at = target.and_then(|t| first[..on_page_1].iter().position(|b| b.id == t.id));
    match (secondary, target_at) {
        (true, _) => first[0].clone(),
        (false, Some(at)) if rng.chance(50) => first[at].clone(),
        (false, _) => first[rng.index(on_page_1)].clone(),
    }
}

/// Changes build `id` of job 0 as served, and in the truth when the text is true.
fn change(case: &mut Case, id: &str, set: &dyn Fn(&mut Build), into_truth: bool) {
    match into_truth {
        true => change_build(case, id, set),
        false => {
            (0..case.served.builds[0].polls.len()).for_each(|p| change_served(case, p, id, &set))
        }
    }
}

fn job_list_text(
    case: &mut Case,
    rng: &mut Rng,
    place: Place,
    value: &dyn Fn(&str) -> String,
) -> String {
    let job = case.jobs[0].clone();
    let list = &mut case.served.job_list;
    match place {
        Place::JobName => {
            // Another job whose name holds this one's, so the filtered list returns it.
            let name = format!("{}{}", job.name, value("-decoy"));
            list.push(Job {
                id: uuid(rng),
                name: name.clone(),
            });
            format!("another job's name in the job list, {name:?}")
        }
        Place::JobId => {
            let new = value(&job.id);
            list.iter_mut()
                .find(|j| j.name == job.name)
                .expect("job 0 is listed")
                .id = new.clone();
            case.served.builds[0].id = new.clone();
            format!("the id of job {} in the job list, {new:?}", job.name)
        }
        _ => {
            list.retain(|j| j.name != job.name);
            let name = value(&job.name);
            case.served.unfiltered_extra.push(Job {
                id: uuid(rng),
                name: name.clone(),
            });
            format!(
                "a name only the unfiltered job list shows, {name:?}, and none named {}",
                job.name
            )
        }
    }
}

fn error_answer(
    case: &mut Case,
    rng: &mut Rng,
    place: Place,
    value: &dyn Fn(&str) -> String,
) -> (String, Option<&'static str>) {
    let route = match case.naming != Naming::IdAndName && rng.chance(30) {
        true => Route::JobList,
        false => Route::Builds,
    };
    let status = *rng.pick(&[400, 403, 404, 500]);
    let mut answer = ErrorAnswer {
        route,
        status,
        code: "SVCSTG.00100404".into(),
        message: "build job not found".into(),
        request_id: None,
    };
    match place {
        Place::ErrorMessage => answer.message = value(&answer.message),
        Place::ErrorCode => answer.code = value(&answer.code),
        _ => answer.request_id = Some(value("req")),
    }
    let kind = if status == 403 { "auth" } else { "http" };
    let what = format!("{place:?} of an HTTP {status} answer to {route:?}");
    case.served.error = Some(answer);
    (what, Some(kind))
}
