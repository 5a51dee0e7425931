use super::*;
use crate::codearts::shared::{Progress, State};

const NOW: u64 = 1_735_689_600; // 2025-01-01 00:00:00

fn record(number: u64) -> Record {
    Record {
        number,
        progress: Progress::Finished {
            state: State::Successful,
            seconds: number,
        },
        start_ms: None,
        commit: None,
        branch: None,
    }
}

fn page(page_index: u64, total_page: u64, total_record: u64, numbers: &[u64]) -> BuildsPage {
    BuildsPage {
        page_index,
        total_page,
        total_record,
        records: numbers.iter().copied().map(record).collect(),
    }
}

fn numbers(cursor: &Cursor) -> Vec<String> {
    cursor.builds().into_iter().map(|(b, _)| b.id).collect()
}

/// Feeds `pages` in order; returns what each `absorb` said, and the positions asked for.
fn feed(cursor: &mut Cursor, pages: Vec<BuildsPage>) -> (Vec<bool>, Vec<(usize, u32)>) {
    let windows = windows(NOW);
    let mut done = Vec::new();
    let mut asked = Vec::new();
    for page in pages {
        let at = cursor.position().expect("a position to ask for");
        let index = windows.iter().position(|w| *w == at.window).unwrap();
        asked.push((index, at.page_index));
        done.push(cursor.absorb(page).unwrap());
    }
    (done, asked)
}

#[test]
fn pages_a_window_whole_then_the_previous_one() {
    let mut cursor = Cursor::new(NOW);
    let (done, asked) = feed(
        &mut cursor,
        vec![
            page(0, 2, 3, &[9, 8]),
            page(1, 2, 3, &[7]),
            page(0, 0, 0, &[]),
            page(0, 1, 2, &[5, 6]),
        ],
    );
    assert_eq!(done, [false, true, true, true]);
    assert_eq!(asked, [(0, 0), (0, 1), (1, 0), (2, 0)]);
    assert_eq!(numbers(&cursor), ["9", "8", "7", "6", "5"]);
    assert_eq!(cursor.cut_short(), None);
    assert_eq!(cursor.position().map(|p| p.page_index), Some(0));
}

#[test]
fn twelve_windows_at_most() {
    let mut cursor = Cursor::new(NOW);
    for _ in 0..12 {
        assert_eq!(cursor.absorb(page(0, 0, 0, &[])), Ok(true));
    }
    assert_eq!(cursor.position(), None);
    let err = cursor.absorb(page(0, 0, 0, &[])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "response: the build list was read to its end"
    );
}

#[test]
fn a_window_whose_pages_stop_short_of_its_total_is_cut_short() {
    let cases = [
        // the last page by total_page, yet builds missing
        vec![page(0, 2, 5, &[9, 8]), page(1, 2, 5, &[7])],
        // a server that ignores page_index: the same builds again
        vec![page(0, 3, 5, &[9, 8]), page(1, 3, 5, &[9, 8])],
        // an empty page before the total
        vec![page(0, 3, 5, &[9, 8]), page(1, 3, 5, &[])],
    ];
    for (case, pages) in cases.into_iter().enumerate() {
        let mut cursor = Cursor::new(NOW);
        let (done, _) = feed(&mut cursor, pages);
        assert_eq!(done.last(), Some(&true), "case {case}");
        let why = cursor.cut_short().unwrap_or_else(|| panic!("case {case}"));
        assert!(
            why.starts_with(
                "the build list from 2024-12-03 00:00:00 to 2025-01-02 00:00:00 says 5 builds \
                 but its pages listed"
            ),
            "{why}"
        );
        assert_eq!(
            cursor.position(),
            None,
            "case {case}: no older window is read"
        );
    }
}

#[test]
fn contradictions_are_response_errors() {
    let mut cursor = Cursor::new(NOW);
    let err = cursor.absorb(page(1, 2, 3, &[9])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "response: asked for page_index 0 of the build list, the answer is page_index 1"
    );

    let mut cursor = Cursor::new(NOW);
    assert_eq!(cursor.absorb(page(0, 2, 3, &[9, 8])), Ok(false));
    let err = cursor.absorb(page(1, 2, 3, &[7, 6])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "response: the build list's total_record from 2024-12-03 00:00:00 to 2025-01-02 \
         00:00:00 is 3 but 4 different builds were listed in it"
    );

    let mut cursor = Cursor::new(NOW);
    assert_eq!(cursor.absorb(page(0, 2, 3, &[9, 8])), Ok(false));
    let mut changed = page(1, 2, 3, &[8, 7]);
    changed.records[0].branch = Some("other".into());
    let err = cursor.absorb(changed).unwrap_err();
    assert_eq!(
        err.to_string(),
        "response: build 8 is listed twice with different fields"
    );
}

#[test]
fn a_build_on_the_boundary_of_two_windows_is_kept_once_and_counted_in_both() {
    let mut cursor = Cursor::new(NOW);
    let (done, _) = feed(
        &mut cursor,
        vec![page(0, 1, 2, &[9, 8]), page(0, 1, 2, &[8, 7])],
    );
    assert_eq!(done, [true, true]);
    assert_eq!(numbers(&cursor), ["9", "8", "7"]);
    assert_eq!(cursor.cut_short(), None);
}

#[test]
fn builds_come_out_newest_first_whatever_the_order_received() {
    let mut cursor = Cursor::new(NOW);
    feed(
        &mut cursor,
        vec![page(0, 2, 4, &[3, 10]), page(1, 2, 4, &[1, 7])],
    );
    assert_eq!(numbers(&cursor), ["10", "7", "3", "1"]);
}

#[test]
fn a_server_that_never_stops_is_given_up_on() {
    let mut cursor = Cursor::new(NOW);
    for n in 0..u64::from(MAX_PAGES) - 1 {
        assert_eq!(cursor.absorb(page(n, u64::MAX, u64::MAX, &[n])), Ok(false));
    }
    let last = u64::from(MAX_PAGES) - 1;
    let err = cursor
        .absorb(page(last, u64::MAX, u64::MAX, &[last]))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "response: the API was still sending new builds after 200 pages; gave up"
    );
}
