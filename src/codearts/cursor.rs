//! Paging through the time windows: every page of a window, then the previous window,
//! while the caller still needs builds, at most `MAX_WINDOWS`. The API does not document
//! the order within a window, so a window is read whole before anyone judges from it.
//! Builds are kept once by number; a window whose pages stop before its `total_record`
//! was listed is cut short (every rule inconclusive), and no older window is read.

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};

use super::builds::{BuildsPage, Record};
use super::shared::{Build, BuildDetails, Error};
use super::window::{Window, windows};

/// A server that keeps sending new builds cannot keep the gate paging for ever.
pub const MAX_PAGES: u32 = 200;

/// What to ask for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub window: Window,
    pub page_index: u32,
}

/// The builds received so far, and where paging stands.
#[derive(Debug)]
pub struct Cursor {
    /// Newest first.
    windows: Vec<Window>,
    /// Index into `windows` of the window being read.
    window: usize,
    page_index: u32,
    /// Numbers listed in the current window, and the largest counts its pages gave.
    in_window: HashSet<u64>,
    total_record: u64,
    total_page: u64,
    records: HashMap<u64, Record>,
    pages: u32,
    cut_short: Option<String>,
}

impl Cursor {
    /// For `now` in seconds since the epoch.
    pub fn new(now: u64) -> Cursor {
        Cursor {
            windows: windows(now),
            window: 0,
            page_index: 0,
            in_window: HashSet::new(),
            total_record: 0,
            total_page: 0,
            records: HashMap::new(),
            pages: 0,
            cut_short: None,
        }
    }

    /// The page to ask for next; `None` once every window was read or one was cut short.
    pub fn position(&self) -> Option<Position> {
        if self.cut_short.is_some() {
            return None;
        }
        let window = *self.windows.get(self.window)?;
        Some(Position {
            window,
            page_index: self.page_index,
        })
    }

    /// Adds the answer to `position()`'s request. `Ok(true)` when it completed a window:
    /// only then may the caller judge whether it needs more builds. A page other than the
    /// one asked for, a number listed again with other fields, or more builds in a window
    /// than its `total_record` are `response` errors.
    pub fn absorb(&mut self, page: BuildsPage) -> Result<bool, Error> {
        let Some(position) = self.position() else {
            return Err(Error::Response("the build list was read to its end".into()));
        };
        if page.page_index != u64::from(position.page_index) {
            return Err(Error::Response(format!(
                "asked for page_index {} of the build list, the answer is page_index {}",
                position.page_index, page.page_index
            )));
        }
        self.pages += 1;
        self.total_record = self.total_record.max(page.total_record);
        self.total_page = self.total_page.max(page.total_page);
        let before = self.in_window.len();
        let listed_any = !page.records.is_empty();
        for record in page.records {
            self.keep(record)?;
        }
        let listed = self.in_window.len() as u64;
        if listed > self.total_record {
            return Err(Error::Response(format!(
                "the build list's total_record from {} to {} is {} but {listed} different \
                 builds were listed in it",
                position.window.start_time(),
                position.window.end_time(),
                self.total_record
            )));
        }
        let brought_new = self.in_window.len() > before;
        let last_page = u64::from(position.page_index) + 1 >= self.total_page;
        if listed_any && brought_new && !last_page && listed < self.total_record {
            if self.pages >= MAX_PAGES {
                return Err(Error::Response(format!(
                    "the API was still sending new builds after {MAX_PAGES} pages; gave up"
                )));
            }
            self.page_index += 1;
            return Ok(false);
        }
        if listed < self.total_record {
            self.cut_short = Some(format!(
                "the build list from {} to {} says {} builds but its pages listed {listed}",
                position.window.start_time(),
                position.window.end_time(),
                self.total_record
            ));
        }
        self.next_window();
        Ok(true)
    }

    fn keep(&mut self, record: Record) -> Result<(), Error> {
        self.in_window.insert(record.number);
        match self.records.get(&record.number) {
            None => {
                self.records.insert(record.number, record);
                Ok(())
            }
            Some(known) if *known == record => Ok(()),
            Some(_) => Err(Error::Response(format!(
                "build {} is listed twice with different fields",
                record.number
            ))),
        }
    }

    fn next_window(&mut self) {
        self.window += 1;
        self.page_index = 0;
        self.in_window.clear();
        self.total_record = 0;
        self.total_page = 0;
    }

    /// Why the list is incomplete, when a window's pages stopped short of its total.
    pub fn cut_short(&self) -> Option<&str> {
        self.cut_short.as_deref()
    }

    /// Every build received, newest first by number, in the domain's terms.
    pub fn builds(&self) -> Vec<(Build, BuildDetails)> {
        let mut records: Vec<&Record> = self.records.values().collect();
        records.sort_unstable_by_key(|record| Reverse(record.number));
        records.into_iter().map(Record::to_domain).collect()
    }
}

#[cfg(test)]
mod tests;
