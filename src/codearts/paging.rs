//! One time window of the build list, read whole: page after page from `page_index` 0
//! until its `total_record` builds have arrived, the server says it sent the last page, or
//! a page brings nothing new (a server that ignores `page_index`). The API does not
//! document the order within a window, so its builds are sorted by `number` only once
//! all are in hand. Pages that stop before `total_record` cut the window short.

use std::cmp::Reverse;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::builds::{BuildsPage, Record};
use super::window::Window;
use crate::backend::MAX_PAGES;
use crate::error::Error;

/// A window as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowRead {
    /// Every build its `total_record` counts, each once, newest first by number.
    Whole(Vec<Record>),
    /// Its pages stopped after `listed` different builds of the `total_record` it counts
    /// (the largest any of its pages gave).
    CutShort { total_record: u64, listed: u64 },
}

/// Reads `window` through `get` (a `page_index` to its page). A page other than the one
/// asked for, a number listed twice with different fields, or more builds than
/// `total_record` are `response` errors.
pub fn read_window(
    window: &Window,
    mut get: impl FnMut(u32) -> Result<BuildsPage, Error>,
) -> Result<WindowRead, Error> {
    let problem = |what: String| {
        Error::Response(format!(
            "the build list from {} to {}: {what}",
            window.start_time(),
            window.end_time()
        ))
    };
    let mut seen = Listed::default();
    let mut total_record = 0;
    for page_index in 0..MAX_PAGES {
        let page = get(page_index)?;
        if page.page_index != u64::from(page_index) {
            return Err(problem(format!(
                "asked for page_index {page_index}, the answer is page_index {}",
                page.page_index
            )));
        }
        total_record = total_record.max(page.total_record);
        let before = seen.0.len();
        seen.add(page.records).map_err(|number| {
            problem(format!(
                "build {number} is listed twice with different fields"
            ))
        })?;
        let listed = seen.0.len() as u64;
        if listed > total_record {
            return Err(problem(format!(
                "total_record is {total_record} but {listed} different builds were listed"
            )));
        }
        let last_page = u64::from(page_index) + 1 >= page.total_page;
        if listed < total_record && seen.0.len() > before && !last_page {
            continue;
        }
        if listed < total_record {
            return Ok(WindowRead::CutShort {
                total_record,
                listed,
            });
        }
        let mut records = seen.0;
        records.sort_unstable_by_key(|record| Reverse(record.number));
        return Ok(WindowRead::Whole(records));
    }
    Err(problem(format!(
        "the API was still sending new builds after {MAX_PAGES} pages; gave up"
    )))
}

/// The builds of a window so far, each number once, in the order first listed.
#[derive(Default)]
struct Listed(Vec<Record>, HashMap<u64, usize>);

impl Listed {
    /// Adds `records`; a number listed again with other fields is an error naming it.
    fn add(&mut self, records: Vec<Record>) -> Result<(), u64> {
        for record in records {
            match self.1.entry(record.number) {
                Entry::Vacant(slot) => {
                    slot.insert(self.0.len());
                    self.0.push(record);
                }
                Entry::Occupied(first) if self.0[*first.get()] == record => {}
                Entry::Occupied(_) => return Err(record.number),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
