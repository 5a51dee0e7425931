//! Lies about the structure of a session: paging, counts, polls under `--wait`, details
//! against the list, phases, jobs and a renewed login. Each changes what the server
//! serves (and, where the lie is about to be judged, the truth) and says what it did.

use super::generator::Case;
use super::lies::{Expect, LieClass};
use super::oracle;
use super::rng::Rng;
use super::session::{Build, Counts, RENEWAL_MARKER, Renewal, Terminal, View};

use LieClass::*;

/// Job 0's first answer says the token expired; job 1's first page, which the server holds
/// back until the renewal, lists the renewed token as its newest build's id.
pub fn renewed_token(case: &mut Case, rng: &mut Rng) -> Option<String> {
    let second = case.served.builds.get_mut(1)?;
    let echoed = second.polls[0].builds.first()?.id.clone();
    for view in &mut second.polls {
        view.builds
            .iter_mut()
            .filter(|b| b.id == echoed)
            .for_each(|b| b.id = RENEWAL_MARKER.into());
    }
    let token = format!("MII{}", rng.alnum(61));
    case.served.renewal = Some(Renewal {
        token: token.clone(),
        expired_job: case.served.builds[0].id.clone(),
    });
    Some(format!(
        "job {}'s first answer says the token expired; job {}'s first page, answered after \
         the renewal, lists the new token {token} as its newest build",
        case.jobs[0].name, case.jobs[1].name
    ))
}

/// Applies `change` to build `id` of job 0 in the truth and in every poll served.
pub fn change_build(case: &mut Case, id: &str, change: impl Fn(&mut Build)) {
    for build in case.truth[0].iter_mut().filter(|b| b.id == id) {
        change(build);
    }
    for poll in 0..case.served.builds[0].polls.len() {
        change_served(case, poll, id, &change);
    }
}

/// Applies `change` to build `id` of job 0 as poll `poll` serves it, and recounts.
pub fn change_served(case: &mut Case, poll: usize, id: &str, change: &impl Fn(&mut Build)) {
    let view = &mut case.served.builds[0].polls[poll];
    for build in view.builds.iter_mut().filter(|b| b.id == id) {
        change(build);
    }
    view.counts = Counts::of(&view.builds);
}

pub fn polls(case: &mut Case) -> &mut Vec<View> {
    &mut case.served.builds[0].polls
}

pub fn identical_repeat(case: &mut Case, rng: &mut Rng) -> Option<String> {
    let builds = &case.served.builds[0].polls[0].builds;
    let at = rng.index(builds.len());
    let copy = builds[at].clone();
    for view in polls(case) {
        view.builds.insert(at + 1, copy.clone());
    }
    Some(format!(
        "build #{at} {} is listed twice, identically",
        copy.id
    ))
}

/// A page leaves one build out; the pages after it are whole. A gate that reads that page
/// has a gap in what it judges: it may not judge better than the truth.
pub fn page_drops_build(case: &mut Case, rng: &mut Rng) -> (String, Expect) {
    let (n, cap) = (case.truth[0].len(), case.served.cap);
    let page = rng.range(1, n.div_ceil(cap) as u64) as usize;
    let at = rng.index(cap.min(n - (page - 1) * cap));
    case.served.drop = Some((page, at));
    let dropped = &case.truth[0][(page - 1) * cap + at];
    let read = page == 1 || oracle::needs_more(&case.truth[0][..(page - 1) * cap], &case.rules);
    let what = format!(
        "page {page} leaves out build {} ({}), {cap} a page; the gate {} that page",
        dropped.id,
        dropped.state,
        if read { "reads" } else { "does not need" }
    );
    (
        what,
        if read {
            Expect::NoBetterThanTruth
        } else {
            Expect::Truth
        },
    )
}

pub fn cut_short(case: &mut Case, rng: &mut Rng, first_page: bool) -> Option<(String, Expect)> {
    let n = case.truth[0].len();
    let top = match first_page {
        true => n.min(case.served.cap),
        false => n,
    };
    if top < 2 {
        return None;
    }
    let kept = rng.range(1, top as u64 - 1) as usize;
    for view in polls(case) {
        view.builds.truncate(kept);
    }
    let needed = oracle::needs_more(&case.truth[0][..kept], &case.rules);
    let what = format!(
        "the list ends after {kept} of {n} builds while the counts say {n} ({} a page); \
         the rules {} the rest",
        case.served.cap,
        if needed { "need" } else { "do not need" }
    );
    Some((
        what,
        if needed {
            Expect::Inconclusive
        } else {
            Expect::Truth
        },
    ))
}

pub fn counts_above(case: &mut Case, rng: &mut Rng, only_total: bool) -> (String, Expect) {
    let more = rng.range(1, 30);
    let successful_too = rng.chance(50);
    let add = |count: &mut Option<u64>| *count = count.map(|c| c + more);
    for view in polls(case) {
        add(&mut view.counts.total);
        if !only_total {
            add(&mut view.counts.finished);
            if successful_too {
                add(&mut view.counts.successful);
            }
        }
    }
    let needed = oracle::needs_more(&case.truth[0], &case.rules);
    let counts = match (only_total, successful_too) {
        (true, _) => "total",
        (false, false) => "total and finished",
        (false, true) => "total, finished and successful",
    };
    let what = format!(
        "{counts} say {more} more builds than the {} listed; the rules {} more",
        case.truth[0].len(),
        if needed { "need" } else { "do not need" }
    );
    (
        what,
        if needed {
            Expect::Inconclusive
        } else {
            Expect::Truth
        },
    )
}

pub fn counts_below(case: &mut Case, rng: &mut Rng) -> Option<String> {
    let cap = case.served.cap;
    let first: Vec<Build> = polls(case)[0].builds.iter().take(cap).cloned().collect();
    let got = Counts::of(&first);
    let fields = [
        ("total", got.total),
        ("finished", got.finished),
        ("successful", got.successful),
    ];
    let open: Vec<(&str, u64)> = fields
        .into_iter()
        .filter_map(|(name, count)| count.filter(|c| *c >= 1).map(|c| (name, c)))
        .collect();
    let (field, received) = *rng.pick(&open);
    let claimed = rng.range(0, received - 1);
    for view in polls(case) {
        let slot = match field {
            "total" => &mut view.counts.total,
            "finished" => &mut view.counts.finished,
            _ => &mut view.counts.successful,
        };
        *slot = Some(claimed);
    }
    Some(format!(
        "page 1 lists {received} builds counted as `{field}`, the counts say {claimed}"
    ))
}

pub fn conflicting_repeat(case: &mut Case, rng: &mut Rng) -> Option<String> {
    let cap = case.served.cap;
    let builds = &polls(case)[0].builds;
    let at = rng.index((cap - 1).min(builds.len()));
    let original = builds[at].clone();
    let mut copy = original.clone();
    let other_state = match original.terminal() {
        Some(t) => Terminal::ALL.into_iter().find(|o| *o != t).unwrap().name(),
        None if original.state == "Queuing" => "Building",
        None => "Queuing",
    };
    let what = match (rng.chance(50), original.duration) {
        (false, Some(seconds)) => {
            copy.duration = Some(seconds + rng.range(1, 100));
            format!("duration {seconds} and {:?}", copy.duration.unwrap())
        }
        _ => {
            copy.state = other_state.into();
            format!("state {} and {}", original.state, copy.state)
        }
    };
    let before = rng.chance(50);
    for view in polls(case) {
        view.builds.insert(at + !before as usize, copy.clone());
    }
    Some(format!(
        "build #{at} {} is listed twice in page 1, with {what}",
        original.id
    ))
}

/// `--wait` lies: the first poll is honest (the awaited build runs), the second lies.
pub fn poll_lie(class: LieClass, case: &mut Case, rng: &mut Rng) -> Option<String> {
    let target = oracle::target(&case.truth[0], &case.rules)?;
    let id = case.truth[0][target].id.clone();
    let twin = match older_twin(case, target) {
        Some(twin) => format!("; build {twin} is an older Successful build of its commit"),
        None => String::new(),
    };
    match class {
        PollNewestVanishes => {
            polls(case)[1].builds.retain(|b| b.id != id);
            change_served(case, 1, "", &|_| {});
            Some(format!(
                "poll 2 no longer lists the awaited build {id}{twin}"
            ))
        }
        PollStateChanges | PollUnfinishedAgain => older_changes(class, case, rng, target),
        _ => Some(format!("{}{twin}", awaited_changes(case, rng, &id))),
    }
}

/// The first finished build older than the target, Failed in poll 1, is something else in
/// poll 2.
pub fn older_changes(
    class: LieClass,
    case: &mut Case,
    rng: &mut Rng,
    target: usize,
) -> Option<String> {
    let older = case.truth[0][target + 1..]
        .iter()
        .find(|b| b.finished().is_some())?
        .id
        .clone();
    change_build(case, &older, |b| b.state = "Failed".into());
    let what = match (class, rng.chance(60)) {
        (PollUnfinishedAgain, _) => {
            change_served(case, 1, &older, &|b| *b = b.running());
            "is Building again"
        }
        (_, true) => {
            change_served(case, 1, &older, &|b| b.state = "Successful".into());
            "turns from Failed to Successful"
        }
        (_, false) => {
            change_served(case, 1, &older, &|b| {
                b.duration = b.duration.map(|d| d + 77)
            });
            "takes 77 s longer"
        }
    };
    let awaited = &case.truth[0][target].id;
    Some(format!(
        "in poll 2 the finished build {older} {what} (awaited: {awaited})"
    ))
}

/// The awaited build, Failed once it finished, names another commit, branch or start in
/// poll 2's details.
pub fn awaited_changes(case: &mut Case, rng: &mut Rng, id: &str) -> String {
    // In the truth and in poll 2; poll 1 shows it running.
    let fail = |b: &mut Build| b.state = "Failed".into();
    case.truth[0]
        .iter_mut()
        .filter(|b| b.id == id)
        .for_each(fail);
    change_served(case, 1, id, &fail);
    let (field, value) = match rng.below(3) {
        0 => ("commit", rng.hex(40)),
        1 => ("branch", "hotfix/other".to_string()),
        _ => ("started_at", "2025-07-01 01:02:03 +0000 UTC".to_string()),
    };
    let changed = value.clone();
    change_served(case, 1, id, &move |b| match field {
        "commit" => b.commit = changed.clone(),
        "branch" => b.branch = changed.clone(),
        _ => b.started_at = changed.clone(),
    });
    format!(
        "the awaited build {id} (Failed once finished) has {field} {value:?} in poll 2's details"
    )
}

/// With `--commit`: makes the first finished build older than `target` an older
/// Successful build of the same commit, which a gate that lost the target would judge.
pub fn older_twin(case: &mut Case, target: usize) -> Option<String> {
    case.rules.commit.as_ref()?;
    let commit = case.truth[0][target].commit.clone();
    let twin = case.truth[0][target + 1..]
        .iter()
        .find(|b| b.finished().is_some())?
        .id
        .clone();
    change_build(case, &twin, |b| {
        b.commit = commit.clone();
        b.state = "Successful".into();
    });
    Some(twin)
}

pub fn details_state(case: &mut Case, rng: &mut Rng) -> Option<String> {
    let target = oracle::target(&case.truth[0], &case.rules)?;
    let id = case.truth[0][target].id.clone();
    change_build(case, &id, |b| {
        b.state = "Successful".into();
        b.duration = b.duration.or(Some(600));
    });
    let detailed = *rng.pick(&[
        "Building", "Queuing", "Pushing", "Error", "Aborted", "Failed", "Timeout", "Cancel",
        "Unknown",
    ]);
    case.served
        .details_state
        .push((id.clone(), detailed.into()));
    Some(format!(
        "build {id} is Successful in the list, {detailed} in its details"
    ))
}

pub fn phases_contradict(case: &mut Case, rng: &mut Rng) -> Option<String> {
    let target = oracle::target(&case.truth[0], &case.rules)?;
    let build = &case.truth[0][target];
    let (id, state) = (build.id.clone(), build.state.clone());
    let (what, phases): (&str, Vec<(String, String)>) = match rng.below(3) {
        0 => (
            "every phase Successful",
            build
                .phases
                .iter()
                .map(|(n, _)| (n.clone(), "Successful".into()))
                .collect(),
        ),
        1 => (
            "the failing phase still Building",
            build
                .phases
                .iter()
                .map(
                    |(n, s)| match Terminal::parse(s).is_some_and(|t| t.is_failure()) {
                        true => (n.clone(), "Building".into()),
                        false => (n.clone(), s.clone()),
                    },
                )
                .collect(),
        ),
        _ => ("no phases at all", Vec::new()),
    };
    for poll in 0..polls(case).len() {
        change_served(case, poll, &id, &|b| b.phases = phases.clone());
    }
    Some(format!("build {id} is {state}, its phases say {what}"))
}

pub fn jobs_lie(class: LieClass, case: &mut Case, rng: &mut Rng) -> Option<String> {
    let first = case.jobs[0].clone();
    match class {
        JobsShareId => {
            let second = case.jobs[1].name.clone();
            let entry = case.served.job_list.iter_mut().find(|j| j.name == second)?;
            entry.id = first.id.clone();
            Some(format!(
                "the job list gives {} and {second} one id, {}",
                first.name, first.id
            ))
        }
        JobsShareBuild => {
            let shared = case.served.builds[0].polls[0].builds.first()?.clone();
            for view in &mut case.served.builds[1].polls {
                view.builds.insert(0, shared.clone());
                view.counts = Counts::of(&view.builds);
            }
            Some(format!(
                "build {} is listed in job {} and in job {}",
                shared.id, first.name, case.jobs[1].name
            ))
        }
        _ => {
            let bad = *rng.pick(&["..", ".", "a/b", "../x", "x/..", "/", ""]);
            case.served
                .job_list
                .iter_mut()
                .find(|j| j.name == first.name)?
                .id = bad.into();
            case.served.builds[0].id = bad.into();
            Some(format!(
                "the job list gives job {} the id {bad:?}",
                first.name
            ))
        }
    }
}
