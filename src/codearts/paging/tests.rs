use super::*;
use crate::model::{Progress, State};

/// 2024-12-03 00:00:00 to 2025-01-02 00:00:00.
const WINDOW: Window = Window {
    start: 1_733_184_000,
    end: 1_735_776_000,
};

fn record(number: u64) -> Record {
    Record {
        number,
        progress: Progress::Finished {
            state: State::Successful,
            seconds: number,
        },
        start_ms: None,
        end_ms: None,
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

/// Serves `pages` in turn; returns what the read gave and the page indexes asked for.
fn read(pages: Vec<BuildsPage>) -> (Result<WindowRead, Error>, Vec<u32>) {
    let mut asked = Vec::new();
    let result = read_window(&WINDOW, |index| {
        asked.push(index);
        Ok(pages.get(index as usize).cloned().unwrap_or_default())
    });
    (result, asked)
}

fn numbers(read: &WindowRead) -> Vec<u64> {
    match read {
        WindowRead::Whole(records) => records.iter().map(|r| r.number).collect(),
        WindowRead::CutShort { .. } => panic!("cut short: {read:?}"),
    }
}

#[test]
fn a_window_is_read_whole_and_sorted_by_number() {
    // pages served, numbers read, page indexes asked for
    let cases: [(Vec<BuildsPage>, Vec<u64>, Vec<u32>); 5] = [
        (vec![page(0, 0, 0, &[])], vec![], vec![0]),
        (vec![page(0, 1, 2, &[9, 8])], vec![9, 8], vec![0]),
        (
            vec![page(0, 2, 3, &[9, 8]), page(1, 2, 3, &[7])],
            vec![9, 8, 7],
            vec![0, 1],
        ),
        // whatever order the pages come in
        (
            vec![page(0, 2, 4, &[3, 10]), page(1, 2, 4, &[1, 7])],
            vec![10, 7, 3, 1],
            vec![0, 1],
        ),
        // an identical repeat is kept once
        (vec![page(0, 1, 2, &[9, 9, 8])], vec![9, 8], vec![0]),
    ];
    for (pages, expected, asked_for) in cases {
        let (result, asked) = read(pages);
        assert_eq!((numbers(&result.unwrap()), asked), (expected, asked_for));
    }
}

#[test]
fn pages_that_stop_short_of_the_total_cut_the_window_short() {
    let cases = [
        // the last page by total_page, yet builds missing
        (vec![page(0, 2, 5, &[9, 8]), page(1, 2, 5, &[7])], 3, 2),
        // a server that ignores page_index: the same builds again
        (vec![page(0, 3, 5, &[9, 8]), page(1, 3, 5, &[9, 8])], 2, 2),
        // an empty page before the total
        (vec![page(0, 3, 5, &[9, 8]), page(1, 3, 5, &[])], 2, 2),
        // a total that grew while the window was read (a build started meanwhile)
        (vec![page(0, 2, 3, &[9, 8]), page(1, 2, 4, &[8, 7])], 3, 2),
    ];
    for (pages, listed, requests) in cases {
        let (result, asked) = read(pages.clone());
        let total_record = pages.iter().map(|p| p.total_record).max().unwrap();
        assert_eq!(
            result,
            Ok(WindowRead::CutShort {
                total_record,
                listed
            }),
            "{pages:?}"
        );
        assert_eq!(asked.len(), requests);
    }
}

#[test]
fn contradictions_are_response_errors_naming_the_window() {
    let mut changed = page(1, 2, 3, &[8, 7]);
    changed.records[0].branch = Some("other".into());
    let cases = [
        (
            vec![page(1, 2, 3, &[9])],
            "asked for page_index 0, the answer is page_index 1",
        ),
        (
            vec![page(0, 2, 3, &[9, 8]), page(1, 2, 3, &[7, 6])],
            "total_record is 3 but 4 different builds were listed",
        ),
        (
            vec![page(0, 1, 1, &[9, 8])],
            "total_record is 1 but 2 different builds were listed",
        ),
        (
            vec![page(0, 2, 3, &[9, 8]), changed],
            "build 8 is listed twice with different fields",
        ),
    ];
    for (pages, expected) in cases {
        let err = read(pages).0.unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "response: the build list from 2024-12-03 00:00:00 to 2025-01-02 00:00:00: \
                 {expected}"
            )
        );
    }
}

#[test]
fn a_server_that_never_stops_is_given_up_on() {
    let mut asked = 0;
    let err = read_window(&WINDOW, |index| {
        asked += 1;
        let n = u64::from(index);
        Ok(page(n, u64::MAX, u64::MAX, &[n]))
    })
    .unwrap_err();
    assert_eq!(asked, MAX_PAGES);
    assert!(
        err.to_string()
            .ends_with("the API was still sending new builds after 200 pages; gave up"),
        "{err}"
    );
}
