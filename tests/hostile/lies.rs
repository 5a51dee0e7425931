//! The lies a hostile server tells, each labelled with its class and with what the
//! contract says the gate must make of it (`Expect`).

use super::encode::Encoding;
use super::generator::{Case, Shape};
use super::rng::Rng;
use super::structure::*;
use super::text;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LieClass {
    // Paging the gate may tolerate.
    PageIgnored,
    PageRepeated,
    PageDropsBuild,
    PerPageCapped,
    IdenticalRepeat,
    // Counts that disagree with what was delivered.
    ListCutShort,
    ShortFirstPage,
    CountsAbove,
    OnlyTotalAbove,
    CountsBelow,
    // Contradictions within the list, across polls, between list and details or phases.
    ConflictingRepeat,
    PollNewestVanishes,
    PollStateChanges,
    PollUnfinishedAgain,
    PollCommitChanges,
    DetailsStateDiffers,
    PhasesContradict,
    // Jobs.
    JobsShareId,
    JobsShareBuild,
    JobIdNotSegment,
    // Echoes of a credential.
    EchoRaw,
    EchoJsonEscaped,
    EchoPercent,
    EchoBase64,
    EchoCaseChanged,
    EchoRun,
    /// A token renewed in one job's thread, echoed in an answer another job awaited.
    EchoRenewedToken,
    IamTokenIsCredential,
    // Hidden characters, by Unicode category.
    HiddenControl,
    HiddenFormat,
    HiddenSeparator,
    HiddenPrivateUse,
    // Text built to become a CI command.
    CiCommand,
}

use LieClass::*;

impl LieClass {
    pub const ALL: [LieClass; 33] = [
        PageIgnored,
        PageRepeated,
        PageDropsBuild,
        PerPageCapped,
        IdenticalRepeat,
        ListCutShort,
        ShortFirstPage,
        CountsAbove,
        OnlyTotalAbove,
        CountsBelow,
        ConflictingRepeat,
        PollNewestVanishes,
        PollStateChanges,
        PollUnfinishedAgain,
        PollCommitChanges,
        DetailsStateDiffers,
        PhasesContradict,
        JobsShareId,
        JobsShareBuild,
        JobIdNotSegment,
        EchoRaw,
        EchoJsonEscaped,
        EchoPercent,
        EchoBase64,
        EchoCaseChanged,
        EchoRun,
        EchoRenewedToken,
        IamTokenIsCredential,
        HiddenControl,
        HiddenFormat,
        HiddenSeparator,
        HiddenPrivateUse,
        CiCommand,
    ];

    fn is_poll(self) -> bool {
        matches!(
            self,
            PollNewestVanishes | PollStateChanges | PollUnfinishedAgain | PollCommitChanges
        )
    }

    /// An echo, a hidden character or a CI command: text placed somewhere in the session.
    pub fn is_text(self) -> bool {
        self.echo().is_some() || self.hidden().is_some() || self == CiCommand
    }

    /// How an echo of this class encodes a credential `len` bytes long.
    pub fn echo(self) -> Option<fn(&mut Rng, usize) -> Encoding> {
        Some(match self {
            EchoRaw => |_, _| Encoding::Raw,
            EchoJsonEscaped => |_, _| Encoding::JsonEscaped,
            EchoPercent => |_, _| Encoding::Percent,
            EchoBase64 => |rng, _| Encoding::Base64 {
                url_safe: rng.chance(50),
                offset: rng.index(3),
            },
            EchoCaseChanged => |_, _| Encoding::CaseChanged,
            EchoRun => |rng, len| {
                let run = rng.range(10, len as u64) as usize;
                let start = rng.index(len - run + 1);
                Encoding::Run { start, len: run }
            },
            _ => return None,
        })
    }

    /// The hidden characters of this class.
    pub fn hidden(self) -> Option<&'static [char]> {
        Some(match self {
            HiddenControl => &[
                '\u{1b}', '\u{7}', '\u{7f}', '\u{85}', '\u{9b}', '\n', '\r', '\t', '\0',
            ],
            HiddenFormat => &[
                '\u{61c}',
                '\u{200b}',
                '\u{200d}',
                '\u{202e}',
                '\u{2066}',
                '\u{feff}',
                '\u{e0041}',
                '\u{ad}',
                '\u{2060}',
                '\u{200e}',
                '\u{180e}',
                '\u{e0001}',
            ],
            HiddenSeparator => &['\u{2028}', '\u{2029}'],
            HiddenPrivateUse => &['\u{e000}', '\u{f8ff}', '\u{f0000}', '\u{10fffd}'],
            _ => return None,
        })
    }

    /// What the session must hold for this lie to be told.
    pub fn shape(self, mut s: Shape, rng: &mut Rng) -> Shape {
        let single = |mut s: Shape, least: usize| {
            s.single_job = true;
            s.min_builds = s.min_builds.max(least);
            s
        };
        match self {
            PageIgnored | PerPageCapped | PageRepeated | PageDropsBuild => {
                s = single(s, 0);
                s.small_cap = true;
                s.beyond_pages = s.beyond_pages.max(1 + (self == PageRepeated) as usize);
            }
            IdenticalRepeat | ConflictingRepeat | CountsBelow => s = single(s, 1),
            ListCutShort | ShortFirstPage => s = single(s, 2),
            CountsAbove | OnlyTotalAbove => s = single(s, 0),
            _ if self.is_poll() => {
                s = single(s, 3);
                s.wait = true;
                s.commit |= self == PollCommitChanges || rng.chance(50);
            }
            DetailsStateDiffers => {
                s = single(s, 1);
                s.commit = true;
            }
            PhasesContradict => {
                s = single(s, 1);
                s.failed_target = true;
            }
            JobsShareId | JobsShareBuild => {
                s.several = true;
                s.min_builds = s.min_builds.max(1);
            }
            JobIdNotSegment => s.lookup = true,
            IamTokenIsCredential => s.password = true,
            EchoRenewedToken => {
                s.password = true;
                s.several = true;
            }
            _ => {
                s.min_builds = s.min_builds.max(1);
                s.commit |= !s.wait && !s.failed_target && rng.chance(25);
                s.failed_target |= !s.wait && !s.commit && rng.chance(25);
                s.lookup |= rng.chance(30);
            }
        }
        s
    }
}

/// What the contract says the gate makes of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Consistent: judged as the truth says.
    Truth,
    /// A consistent view of less than the truth: the truth's verdict, or inconclusive,
    /// or an error; never better than the truth.
    NoBetterThanTruth,
    /// A list cut short that the rules needed: every rule inconclusive.
    Inconclusive,
    /// A contradiction or an answer refused: exit 3, with this error kind when known.
    Error(Option<&'static str>),
}

#[derive(Debug, Clone)]
pub struct Lie {
    pub class: LieClass,
    pub what: String,
    pub expect: Expect,
    /// Text the contract lets the gate refuse (a `response` error) instead of showing it.
    pub refusable: bool,
}

/// The classes a case lies with: none, one, or a structural lie plus a text lie in a
/// build id.
pub fn choose(rng: &mut Rng) -> Vec<LieClass> {
    if rng.chance(12) {
        return Vec::new();
    }
    let weight = |c: &LieClass| if c.is_poll() { 2 } else { 3 };
    let mut roll = rng.below(LieClass::ALL.iter().map(weight).sum());
    let primary = *LieClass::ALL
        .iter()
        .find(|c| {
            let hit = roll < weight(c);
            roll = roll.saturating_sub(weight(c));
            hit
        })
        .unwrap();
    let mut classes = vec![primary];
    let alone = [IamTokenIsCredential, EchoRenewedToken];
    if !primary.is_text() && !alone.contains(&primary) && rng.chance(20) {
        let text: Vec<LieClass> = LieClass::ALL.into_iter().filter(|c| c.is_text()).collect();
        classes.push(*rng.pick(&text));
    }
    classes
}

/// The expectation of several lies: an error wins, then a list cut short, then a view
/// of less than the truth. Refusable text may also make it a `response` error.
pub fn combine(lies: &[Lie]) -> (Expect, bool) {
    let refusable = lies.iter().any(|l| l.refusable);
    let kinds: Vec<Option<&'static str>> = lies
        .iter()
        .filter_map(|l| match l.expect {
            Expect::Error(kind) => Some(kind),
            _ => None,
        })
        .collect();
    if let Some(first) = kinds.first() {
        let kind = kinds.iter().all(|k| k == first).then_some(*first).flatten();
        return (Expect::Error(kind), refusable);
    }
    let has = |e: Expect| lies.iter().any(|l| l.expect == e);
    let expect = match (has(Expect::Inconclusive), has(Expect::NoBetterThanTruth)) {
        (true, _) => Expect::Inconclusive,
        (false, true) => Expect::NoBetterThanTruth,
        _ => Expect::Truth,
    };
    (expect, refusable)
}

pub const RESPONSE: Expect = Expect::Error(Some("response"));

/// Tells the lie in `case`; `None` when the session has nothing it could be told about.
/// A `secondary` text lie goes in the first listed build's id, which every run receives.
pub fn apply(class: LieClass, case: &mut Case, rng: &mut Rng, secondary: bool) -> Option<Lie> {
    let told = |what: String, expect: Expect| Lie {
        class,
        what,
        expect,
        refusable: false,
    };
    let cap = case.served.cap;
    match class {
        PageIgnored => {
            case.served.ignore_page = true;
            let what = format!("every page is page 1 ({cap} builds a page)");
            Some(told(what, Expect::NoBetterThanTruth))
        }
        PageRepeated => {
            let pages = case.truth[0].len().div_ceil(cap);
            let page = rng.range(2, pages as u64) as usize;
            case.served.repeat_page = Some(page);
            let what = format!("page {page} repeats page {} ({cap} a page)", page - 1);
            Some(told(what, Expect::NoBetterThanTruth))
        }
        PageDropsBuild => {
            let (what, expect) = page_drops_build(case, rng);
            Some(told(what, expect))
        }
        PerPageCapped => Some(told(format!("per_page capped at {cap}"), Expect::Truth)),
        IdenticalRepeat => identical_repeat(case, rng).map(|w| told(w, Expect::Truth)),
        ListCutShort | ShortFirstPage => {
            cut_short(case, rng, class == ShortFirstPage).map(|(what, expect)| told(what, expect))
        }
        CountsAbove | OnlyTotalAbove => {
            let (what, expect) = counts_above(case, rng, class == OnlyTotalAbove);
            Some(told(what, expect))
        }
        CountsBelow => counts_below(case, rng).map(|w| told(w, RESPONSE)),
        ConflictingRepeat => conflicting_repeat(case, rng).map(|w| told(w, RESPONSE)),
        _ if class.is_poll() => poll_lie(class, case, rng).map(|w| told(w, RESPONSE)),
        DetailsStateDiffers => details_state(case, rng).map(|w| told(w, RESPONSE)),
        PhasesContradict => {
            phases_contradict(case, rng).map(|w| told(w, Expect::NoBetterThanTruth))
        }
        JobsShareId | JobsShareBuild | JobIdNotSegment => {
            jobs_lie(class, case, rng).map(|w| told(w, RESPONSE))
        }
        EchoRenewedToken => renewed_token(case, rng).map(|w| told(w, RESPONSE)),
        IamTokenIsCredential => {
            let password = case.creds.values[0].1.clone();
            let token = match rng.below(3) {
                0 => password.clone(),
                1 => format!("{password}Q9x"),
                _ => format!("MII{password}"),
            };
            let what = format!("the IAM token {token:?} holds the password");
            case.served.iam_token = Some(token);
            Some(told(what, Expect::Error(Some("auth"))))
        }
        _ => text::text_lie(class, case, rng, secondary),
    }
}
