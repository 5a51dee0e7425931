//! Paging: one look at the list, the pages the rules need, each build once. A page that
//! brings nothing new ends the paging (a server that ignores the page parameter repeats
//! itself), as do the API's own total, the backend's last page and the rules having enough.
//! Counts below what the pages brought are a `response` error; a list that ended while the
//! rules needed more, with counts that say more builds exist, was cut short.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

use crate::backend::{MAX_PAGES, PER_PAGE, Page, PageRef};
use crate::error::Error;
use crate::model::record::{self, Claimed, Source, Tally};
use crate::model::{Build, History};
use crate::rules::RuleConfig;
use crate::select;

/// Where each page's new builds go, with the answer they came in: the run's record (a
/// saved page has nothing to agree with, and goes nowhere).
pub type Recorder<'a> = dyn FnMut(&[Build], Source) -> Result<(), Error> + 'a;

/// Pages through the list from its first page until the rules have what they need, the
/// list ends, or a page brings nothing new. Builds are never counted twice. `record` gets
/// each page's new builds with their source (poll `poll`, the page's number).
pub fn collect(
    mut get_page: impl FnMut(PageRef) -> Result<Page, Error>,
    rules: &RuleConfig,
    poll: u32,
    record: &mut Recorder,
) -> Result<History, Error> {
    let mut history = History::default();
    let mut seen = Seen::default();
    let mut received = Tally::default();
    let mut at = Some(PageRef::default());
    for number in 1..=MAX_PAGES {
        let Some(here) = at else {
            break;
        };
        let page = get_page(here)?;
        at = page.next;
        let source = Source::List { poll, page: number };
        let claimed = claimed(&page);
        let before = history.builds.len();
        let brought_new = absorb(&mut history, &mut seen, page)?;
        let new = &history.builds[before..];
        record(new, source)?;
        received.add(new);
        if let Some(why) = record::counts_below(claimed, received) {
            return Err(Error::Response(format!("{source} {why}")));
        }
        if !select::needs_more(&history.builds, rules.targeting()) {
            return Ok(history);
        }
        if !brought_new || claimed.total.is_some_and(|t| received.total >= t) {
            at = None;
        }
    }
    if at.is_some() {
        return Err(Error::Response(format!(
            "the API was still sending new builds after {MAX_PAGES} pages of {PER_PAGE}; gave up"
        )));
    }
    // The list ended while the rules needed more: the counts say whether it was all.
    history.cut_short = record::cut_short(claimed_by(&history), received);
    Ok(history)
}

/// The builds of one saved page, each once: the whole list there is. Any page after it is
/// empty, and a page that brings nothing new ends the list.
pub fn one_page(page: Page, rules: &RuleConfig) -> Result<History, Error> {
    let mut page = Some(page);
    collect(
        |_| Ok(page.take().unwrap_or_default()),
        rules,
        1,
        &mut |_, _| Ok(()),
    )
}

fn claimed(page: &Page) -> Claimed {
    Claimed {
        total: page.total,
        finished: page.finished,
        successful: page.successful,
    }
}

/// The largest counts any page of the look claimed.
fn claimed_by(history: &History) -> Claimed {
    Claimed {
        total: history.total,
        finished: history.finished,
        successful: history.successful,
    }
}

/// Adds a page's builds not seen before, and the API's counts: the largest each page
/// gave, so that counts a later page sends still reveal a list cut short. Returns whether
/// the page brought anything new. An id listed again with other fields is a `response`
/// error: the gate cannot know which of the two is true.
fn absorb(history: &mut History, seen: &mut Seen, page: Page) -> Result<bool, Error> {
    for (count, sent) in [
        (&mut history.total, page.total),
        (&mut history.finished, page.finished),
        (&mut history.successful, page.successful),
    ] {
        *count = (*count).max(sent);
    }
    let before = history.builds.len();
    seen.indexes.reserve(page.builds.len());
    // The first page's list becomes the history's, uncopied; later pages are appended.
    if before == 0 {
        history.builds = page.builds;
    } else {
        history.builds.extend(page.builds);
    }
    // Each new build moves down to the end of the kept ones, or is dropped as a repeat.
    let builds = &mut history.builds;
    let mut kept = before;
    for index in 0..builds.len() - before {
        let at = before + index;
        match seen.find_or_record(&builds[..kept], &builds[at]) {
            None => {
                builds.swap(kept, at);
                kept += 1;
            }
            Some(first) if builds[first] == builds[at] => {}
            Some(_) => {
                return Err(Error::Response(format!(
                    "list[{index}]: build {} is listed twice with different fields",
                    builds[at].id
                )));
            }
        }
    }
    builds.truncate(kept);
    Ok(kept > before)
}

/// The build ids received so far, as a hash of each id and the index of its build, so
/// that no id is copied; equal hashes are settled by comparing the ids themselves.
///
/// Ids come from the server, so they can be made to collide in the fast hash: each
/// collision costs a scan of the builds. After `MAX_COLLISIONS` of them the set moves to
/// SipHash with a random key (what `HashMap` uses, and where collisions cannot be aimed),
/// so a hostile list costs at most that many scans of the at most 16 MiB it fits in.
#[derive(Default)]
struct Seen {
    indexes: HashMap<u64, usize, BuildHasherDefault<IdHasher>>,
    keyed: Option<RandomState>,
    collisions: u32,
}

const MAX_COLLISIONS: u32 = 64;

impl Seen {
    fn hash(&self, id: &str) -> u64 {
        match &self.keyed {
            None => BuildHasherDefault::<IdHasher>::default().hash_one(id),
            Some(keyed) => keyed.hash_one(id),
        }
    }

    /// The index in `builds` of a build with `build`'s id, if one was received; records
    /// `build` as at index `builds.len()` if not.
    fn find_or_record(&mut self, builds: &[Build], build: &Build) -> Option<usize> {
        let hash = self.hash(&build.id);
        match self.indexes.get(&hash) {
            None => {
                self.indexes.insert(hash, builds.len());
                None
            }
            Some(&first) if builds[first].id == build.id => Some(first),
            Some(_) if self.collisions < MAX_COLLISIONS || self.keyed.is_some() => {
                self.collisions += 1;
                builds.iter().position(|b| b.id == build.id)
            }
            Some(_) => {
                self.rehash_keyed(builds);
                self.find_or_record(builds, build)
            }
        }
    }

    /// Hashes every id received again, with SipHash and a random key.
    fn rehash_keyed(&mut self, builds: &[Build]) {
        let keyed = RandomState::new();
        self.indexes.clear();
        for (index, build) in builds.iter().enumerate() {
            self.indexes
                .entry(keyed.hash_one(&build.id))
                .or_insert(index);
        }
        self.keyed = Some(keyed);
    }
}

/// A multiply-rotate hash in the manner of rustc's FxHash: a few instructions per 8 bytes
/// where SipHash took 3.4% of a 10,000-build run. Not keyed: `Seen` guards against ids
/// made to collide.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0xf135_7aea_2e62_a9c5);
    }

    /// The multiplication leaves the best-mixed bits at the top; the map picks buckets
    /// from the bottom ones.
    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::State;

    /// One look, its pages recorded nowhere.
    fn collect(
        get_page: impl FnMut(PageRef) -> Result<Page, Error>,
        rules: &RuleConfig,
    ) -> Result<History, Error> {
        super::collect(get_page, rules, 1, &mut |_, _| Ok(()))
    }

    fn build(id: &str) -> Build {
        Build::finished(id, State::Successful, 60)
    }

    fn page(total: Option<u64>, ids: &[&str]) -> Page {
        Page {
            total,
            builds: ids.iter().map(|id| build(id)).collect(),
            ..Page::default()
        }
    }

    /// Each page with the next one after it, as ServiceStage pages.
    fn with_next(at: PageRef, page: Page) -> Page {
        let next = PageRef {
            index: at.index + 1,
            ..at
        };
        Page {
            next: Some(next),
            ..page
        }
    }

    /// Serves `pages` in turn (empty pages after them) and counts the requests.
    fn collect_from(pages: Vec<Page>, rules: &RuleConfig) -> (Result<History, Error>, u32) {
        let mut asked = 0;
        let result = collect(
            |at| {
                asked = at.index + 1;
                let page = pages.get(at.index as usize).cloned().unwrap_or_default();
                Ok(with_next(at, page))
            },
            rules,
        );
        (result, asked)
    }

    fn ids(history: &History) -> Vec<&str> {
        history.builds.iter().map(|b| b.id.as_str()).collect()
    }

    #[test]
    fn paging_stops_when_it_should() {
        let window = RuleConfig {
            window: 5,
            min_success_rate: Some(crate::rules::Percent(50.0)),
            ..RuleConfig::default()
        };
        let by_id = |id: &str| RuleConfig {
            build_id: Some(id.into()),
            ..RuleConfig::default()
        };
        // name, pages served, rules, builds collected, pages asked for
        type Case<'a> = (&'a str, Vec<Page>, RuleConfig, Vec<&'a str>, u32);
        let cases: Vec<Case> = vec![
            (
                "the target is on page 1",
                vec![page(None, &["a", "b"]), page(None, &["c"])],
                RuleConfig::default(),
                vec!["a", "b"],
                1,
            ),
            (
                "an empty page ends the list",
                vec![page(None, &["a"]), page(None, &[])],
                by_id("x"),
                vec!["a"],
                2,
            ),
            (
                "total ends the list",
                vec![page(Some(2), &["a", "b"])],
                by_id("x"),
                vec!["a", "b"],
                1,
            ),
            (
                "a repeated page ends it",
                vec![page(None, &["a", "b"]), page(None, &["a", "b"])],
                window.clone(),
                vec!["a", "b"],
                2,
            ),
            (
                "overlap is counted once",
                vec![
                    page(None, &["a", "b"]),
                    page(None, &["b", "c"]),
                    page(None, &[]),
                ],
                window.clone(),
                vec!["a", "b", "c"],
                3,
            ),
            (
                "the window spans pages",
                vec![
                    page(None, &["a", "b"]),
                    page(None, &["c", "d"]),
                    page(None, &["e", "f"]),
                    page(None, &["g"]),
                ],
                window,
                vec!["a", "b", "c", "d", "e", "f"],
                3,
            ),
            (
                "build id on page 3",
                vec![
                    page(None, &["a"]),
                    page(None, &["b"]),
                    page(None, &["c"]),
                    page(None, &["d"]),
                ],
                by_id("c"),
                vec!["a", "b", "c"],
                3,
            ),
        ];
        for (name, pages, rules, expected, requests) in cases {
            let (result, asked) = collect_from(pages, &rules);
            let history = result.unwrap();
            assert_eq!((ids(&history), asked), (expected, requests), "{name}");
        }
    }

    #[test]
    fn a_server_that_never_ends_hits_the_page_cap() {
        let mut asked = 0;
        let result = collect(
            |at| {
                asked = at.index + 1;
                Ok(with_next(at, page(None, &[&format!("b{}", at.index)])))
            },
            &RuleConfig {
                build_id: Some("never".into()),
                ..RuleConfig::default()
            },
        );
        assert_eq!(asked, MAX_PAGES);
        let err = result.unwrap_err();
        assert_eq!(err.kind(), "response");
        assert!(err.message().contains("after 200 pages"), "{err}");
    }

    #[test]
    fn the_first_page_gives_the_api_counts() {
        let first = Page {
            total: Some(40),
            finished: Some(39),
            successful: Some(30),
            builds: vec![build("a")],
            next: None,
        };
        let (result, _) = collect_from(vec![first], &RuleConfig::default());
        let history = result.unwrap();
        assert_eq!(
            (history.total, history.finished, history.successful),
            (Some(40), Some(39), Some(30))
        );
    }

    #[test]
    fn an_error_on_any_page_is_the_result() {
        let result = collect(
            |at| match at.index {
                0 => Ok(with_next(at, page(None, &["a"]))),
                _ => Err(Error::Network("reset".into())),
            },
            &RuleConfig {
                build_id: Some("z".into()),
                ..RuleConfig::default()
            },
        );
        assert_eq!(result.unwrap_err(), Error::Network("reset".into()));
    }

    #[test]
    fn an_id_listed_again_with_other_fields_is_a_response_error() {
        let failed = |id: &str| Build::finished(id, State::Failed, 60);
        let pages = |pages: Vec<Vec<Build>>| -> Vec<Page> {
            pages
                .into_iter()
                .map(|builds| Page {
                    builds,
                    ..Page::default()
                })
                .collect()
        };
        let window = RuleConfig {
            window: 5,
            max_consecutive_failures: Some(1),
            ..RuleConfig::default()
        };
        let conflicts = [
            (
                "in one page",
                pages(vec![vec![build("a"), failed("a")]]),
                "list[1]: build a",
            ),
            (
                "across pages",
                pages(vec![vec![build("a"), build("b")], vec![failed("b")]]),
                "list[0]: build b",
            ),
            (
                "another duration",
                pages(vec![vec![
                    build("a"),
                    Build::finished("a", State::Successful, 61),
                ]]),
                "list[1]: build a",
            ),
        ];
        for (name, served, which) in conflicts {
            let (result, _) = collect_from(served, &window);
            let err = result.unwrap_err();
            assert_eq!(err.kind(), "response", "{name}");
            assert_eq!(
                err.message(),
                format!("{which} is listed twice with different fields"),
                "{name}"
            );
        }
        let (identical, _) = collect_from(
            pages(vec![
                vec![build("a"), build("a")],
                vec![build("a"), build("b")],
            ]),
            &window,
        );
        assert_eq!(ids(&identical.unwrap()), ["a", "b"]);
    }

    #[test]
    fn ids_made_to_collide_move_the_set_to_a_keyed_hash() {
        let builds = [build("a")];
        let mut seen = Seen {
            collisions: MAX_COLLISIONS,
            ..Seen::default()
        };
        seen.indexes.insert(seen.hash("a"), 0);
        // "b" lands where "a" is, as a server's crafted id would.
        seen.indexes.insert(seen.hash("b"), 0);
        assert_eq!(seen.find_or_record(&builds, &build("b")), None);
        assert!(seen.keyed.is_some());
        assert_eq!(seen.find_or_record(&builds, &build("a")), Some(0));
        assert_eq!(
            seen.find_or_record(&[build("a"), build("b")], &build("b")),
            Some(1)
        );
    }

    #[test]
    fn a_repeat_is_found_without_a_collision_and_a_collision_by_a_scan() {
        let builds = [build("a"), build("b")];
        let mut seen = Seen::default();
        assert_eq!(seen.find_or_record(&builds[..0], &builds[0]), None);
        assert_eq!(seen.find_or_record(&builds[..1], &builds[1]), None);
        assert_eq!(seen.find_or_record(&builds, &build("a")), Some(0));
        assert_eq!(seen.find_or_record(&builds, &build("b")), Some(1));
        assert_eq!(seen.collisions, 0, "repeats are not collisions");
        // "b" and then "c" land where "a" is, as a server's crafted ids would.
        seen.indexes.insert(seen.hash("b"), 0);
        seen.indexes.insert(seen.hash("c"), 0);
        assert_eq!(seen.find_or_record(&builds, &build("b")), Some(1));
        assert_eq!(seen.find_or_record(&builds, &build("c")), None);
        assert_eq!(seen.collisions, 2);
        // Up to MAX_COLLISIONS of them are settled by scans; the next moves to SipHash.
        for _ in 2..MAX_COLLISIONS {
            assert_eq!(seen.find_or_record(&builds, &build("b")), Some(1));
        }
        assert_eq!(
            (seen.collisions, seen.keyed.is_some()),
            (MAX_COLLISIONS, false)
        );
        assert_eq!(seen.find_or_record(&builds, &build("b")), Some(1));
        assert!(seen.keyed.is_some());
        assert_eq!(seen.find_or_record(&builds, &build("a")), Some(0));
    }

    /// Ids as ServiceStage and CodeArts send them (`--generate`'s form, and 32 hex digits)
    /// never collide in the fast hash, and spread over the buckets the map takes from the
    /// hash's low bits.
    #[test]
    fn the_fast_hash_tells_api_ids_apart() {
        use std::collections::HashSet;
        let hash = |id: &str| BuildHasherDefault::<IdHasher>::default().hash_one(id);
        for form in [
            |n: u32| format!("{n:08x}-7d6e-4c5b-8a9f-000000000000"),
            |n: u32| format!("{:032x}", u128::from(n) << 64),
        ] {
            let ids: Vec<String> = (0..10_000).map(form).collect();
            let hashes: HashSet<u64> = ids.iter().map(|id| hash(id)).collect();
            let buckets: HashSet<u64> = hashes.iter().map(|h| h & 0x3fff).collect();
            assert_eq!(hashes.len(), ids.len(), "{}", ids[1]);
            // 10,000 ids in 16,384 buckets at random fill about 7,800 of them.
            assert!(
                buckets.len() > 7_000,
                "{}: {} buckets",
                ids[1],
                buckets.len()
            );
        }
    }

    #[test]
    fn the_backends_last_page_ends_the_paging() {
        let window = RuleConfig {
            window: 50,
            min_success_rate: Some(crate::rules::Percent(50.0)),
            ..RuleConfig::default()
        };
        let mut asked = Vec::new();
        let history = collect(
            |at| {
                asked.push(at);
                let next = (at.index < 2).then_some(PageRef {
                    window: 1,
                    index: at.index + 1,
                });
                Ok(Page {
                    next,
                    ..page(None, &[&format!("b{}", at.index)])
                })
            },
            &window,
        )
        .unwrap();
        assert_eq!(ids(&history), ["b0", "b1", "b2"]);
        let at = |window, index| PageRef { window, index };
        assert_eq!(asked, [at(0, 0), at(1, 1), at(1, 2)]);
    }

    #[test]
    fn each_pages_new_builds_go_to_the_record_with_their_source() {
        let pages = [
            page(None, &["a", "b"]),
            page(None, &["b", "c"]),
            page(None, &["c"]),
        ];
        let mut recorded = Vec::new();
        let history = super::collect(
            |at| {
                Ok(with_next(
                    at,
                    pages.get(at.index as usize).cloned().unwrap_or_default(),
                ))
            },
            &RuleConfig {
                build_id: Some("never".into()),
                ..RuleConfig::default()
            },
            2,
            &mut |builds, source| {
                let ids: Vec<String> = builds.iter().map(|b| b.id.clone()).collect();
                recorded.push((ids.join(" "), source.to_string()));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(ids(&history), ["a", "b", "c"]);
        let pages: Vec<(&str, &str)> = recorded
            .iter()
            .map(|(i, s)| (i.as_str(), s.as_str()))
            .collect();
        assert_eq!(
            pages,
            [
                ("a b", "the build list (poll 2, page 1)"),
                ("c", "the build list (poll 2, page 2)"),
                ("", "the build list (poll 2, page 3)"),
            ]
        );
        let refused = super::collect(
            |at| Ok(with_next(at, page(None, &["a"]))),
            &RuleConfig::default(),
            1,
            &mut |_, source| Err(Error::Response(format!("no, not {source}"))),
        );
        assert_eq!(
            refused.unwrap_err(),
            Error::Response("no, not the build list (page 1)".into())
        );
    }

    #[test]
    fn counts_below_the_pages_are_an_error_and_above_a_list_that_ended_cut_it_short() {
        let counted = |ids: &[&str], [total, finished, successful]: [Option<u64>; 3]| Page {
            finished,
            successful,
            ..page(total, ids)
        };
        let history_rules = RuleConfig {
            window: 10,
            min_success_rate: Some(crate::rules::Percent(50.0)),
            ..RuleConfig::default()
        };
        let newest = RuleConfig::default();
        let cut = |what: &str| {
            format!("the API counts 50 {what} but only 3 were received: the list was cut short")
        };
        // name, pages, rules, cut short or the error
        type Case<'a> = (
            &'a str,
            Vec<Page>,
            &'a RuleConfig,
            Result<Option<String>, &'a str>,
        );
        let cases: Vec<Case> = vec![
            (
                "the list ends, counts say more",
                vec![
                    counted(&["a", "b"], [Some(50), Some(50), None]),
                    counted(&["c"], [None; 3]),
                ],
                &history_rules,
                Ok(Some(cut("finished builds"))),
            ),
            (
                "only the total says more",
                vec![
                    counted(&["a", "b", "c"], [Some(50), Some(3), Some(3)]),
                    page(None, &[]),
                ],
                &history_rules,
                Ok(Some(cut("builds"))),
            ),
            (
                "counts only on the empty last page",
                vec![
                    page(None, &["a", "b", "c"]),
                    counted(&[], [Some(50), None, None]),
                ],
                &history_rules,
                Ok(Some(cut("builds"))),
            ),
            (
                "a repeated page ends it too",
                vec![counted(&["a", "b", "c"], [Some(50), None, None]); 2],
                &history_rules,
                Ok(Some(cut("builds"))),
            ),
            (
                "the rules had enough",
                vec![counted(&["a", "b"], [Some(50), Some(50), Some(50)])],
                &newest,
                Ok(None),
            ),
            (
                "the whole list",
                vec![counted(&["a", "b", "c"], [Some(3), Some(3), Some(3)])],
                &history_rules,
                Ok(None),
            ),
            (
                "page 2 counts fewer than pages 1 and 2 brought",
                vec![
                    page(None, &["a", "b"]),
                    counted(&["c"], [Some(2), None, None]),
                ],
                &history_rules,
                Err("the build list (page 2) counts 2 builds, but 3 were received"),
            ),
            (
                "Successful builds below the list",
                vec![counted(&["a"], [None, None, Some(0)])],
                &newest,
                Err("the build list (page 1) counts 0 Successful builds, but 1 were received"),
            ),
        ];
        for (name, pages, rules, expected) in cases {
            let (result, _) = collect_from(pages, rules);
            let got = result
                .map(|h| h.cut_short)
                .map_err(|e| e.message().to_string());
            assert_eq!(got, expected.map_err(str::to_string), "{name}");
        }
    }

    #[test]
    fn a_saved_page_with_a_conflict_is_refused() {
        let conflict = Page {
            builds: vec![build("a"), Build::finished("a", State::Failed, 60)],
            ..Page::default()
        };
        assert_eq!(
            one_page(conflict, &RuleConfig::default()).unwrap_err(),
            Error::Response("list[1]: build a is listed twice with different fields".into())
        );
    }
}
