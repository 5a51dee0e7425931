//! The build list's time windows. Every request names a `start_time` and an `end_time`
//! (`yyyy-MM-dd HH:mm:ss`), a span over 31 days is refused (`CB.00031105`), and the
//! service reads both as its own local wall-clock time, which the gate cannot know. So the
//! windows are 30 days of UTC wall-clock time, and the newest ends one day after now: no
//! zone offset can then hide a build that just started.

const DAY: u64 = 86_400;
/// The span of one window, under the service's 31-day limit.
pub const WINDOW_SECONDS: u64 = 30 * DAY;
/// Most windows a run reads: a year of builds.
pub const MAX_WINDOWS: usize = 12;

/// Seconds since 1970-01-01 00:00 UTC, both ends included by the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: u64,
    pub end: u64,
}

impl Window {
    pub fn start_time(&self) -> String {
        wall_clock(self.start)
    }

    pub fn end_time(&self) -> String {
        wall_clock(self.end)
    }
}

/// The windows to read, newest first, for `now` in seconds since the epoch. Each ends
/// where the next newer one starts: a build started on that second is listed twice (and
/// kept once), never missed.
pub fn windows(now: u64) -> Vec<Window> {
    let mut windows = Vec::with_capacity(MAX_WINDOWS);
    let mut end = now.saturating_add(DAY);
    while windows.len() < MAX_WINDOWS && end > 0 {
        let start = end.saturating_sub(WINDOW_SECONDS);
        windows.push(Window { start, end });
        end = start;
    }
    windows
}

/// `yyyy-MM-dd HH:mm:ss` of the UTC wall clock at `epoch` seconds.
pub fn wall_clock(epoch: u64) -> String {
    let (year, month, day) = civil_date(epoch / DAY);
    let second = epoch % DAY;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        second / 3600,
        second / 60 % 60,
        second % 60
    )
}

fn is_leap(year: u64) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

/// The Gregorian date `days` days after 1970-01-01. The calendar repeats every 400 years
/// (146,097 days), so whole cycles are skipped and at most 400 years are counted.
fn civil_date(days: u64) -> (u64, u64, u64) {
    const CYCLE_DAYS: u64 = 146_097;
    let mut year = 1970 + 400 * (days / CYCLE_DAYS);
    let mut left = days % CYCLE_DAYS;
    loop {
        let length = if is_leap(year) { 366 } else { 365 };
        if left < length {
            break;
        }
        left -= length;
        year += 1;
    }
    let february = if is_leap(year) { 29 } else { 28 };
    let months = [31, february, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut month = 1;
    for length in months {
        if left < length {
            break;
        }
        left -= length;
        month += 1;
    }
    (year, month, left + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_clock_times_are_utc_and_zero_padded() {
        let cases = [
            (0, "1970-01-01 00:00:00"),
            (951_782_400, "2000-02-29 00:00:00"),
            (951_868_800, "2000-03-01 00:00:00"),
            (1_709_164_800, "2024-02-29 00:00:00"),
            (1_735_689_599, "2024-12-31 23:59:59"),
            (1_735_689_600, "2025-01-01 00:00:00"),
            (4_107_456_000, "2100-02-28 00:00:00"),
            (4_107_542_400, "2100-03-01 00:00:00"),
            (13_569_379_200, "2399-12-31 00:00:00"),
            (13_569_465_600, "2400-01-01 00:00:00"),
            (253_402_300_799, "9999-12-31 23:59:59"),
        ];
        for (epoch, expected) in cases {
            assert_eq!(wall_clock(epoch), expected, "{epoch}");
        }
    }

    /// The next calendar day, counted the slow way.
    fn next_day((year, month, day): (u64, u64, u64)) -> (u64, u64, u64) {
        let length = match month {
            2 if is_leap(year) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        match (day < length, month < 12) {
            (true, _) => (year, month, day + 1),
            (false, true) => (year, month + 1, 1),
            (false, false) => (year + 1, 1, 1),
        }
    }

    #[test]
    fn every_day_follows_the_one_before() {
        // 1999 to 2101 (three kinds of century year), and across the first 400-year cycle.
        for range in [10_500..47_900, 146_000..146_500] {
            let mut expected = civil_date(range.start);
            for days in range {
                assert_eq!(civil_date(days), expected, "day {days}");
                expected = next_day(expected);
            }
        }
    }

    #[test]
    fn windows_are_30_days_newest_first_and_end_a_day_after_now() {
        let now = 1_735_689_600; // 2025-01-01 00:00:00
        let windows = windows(now);
        assert_eq!(windows.len(), MAX_WINDOWS);
        assert_eq!(windows[0].end_time(), "2025-01-02 00:00:00");
        assert_eq!(windows[0].start_time(), "2024-12-03 00:00:00");
        assert_eq!(windows[1].end_time(), "2024-12-03 00:00:00");
        assert_eq!(windows[11].start_time(), "2024-01-08 00:00:00");
        for pair in windows.windows(2) {
            assert_eq!(pair[0].start, pair[1].end);
        }
        for window in &windows {
            assert_eq!(window.end - window.start, WINDOW_SECONDS);
        }
    }

    #[test]
    fn windows_stop_at_the_epoch() {
        let cases = [
            (0, vec![(0, DAY)]),
            (40 * DAY, vec![(11 * DAY, 41 * DAY), (0, 11 * DAY)]),
            (59 * DAY, vec![(30 * DAY, 60 * DAY), (0, 30 * DAY)]),
        ];
        for (now, expected) in cases {
            let got: Vec<(u64, u64)> = windows(now).iter().map(|w| (w.start, w.end)).collect();
            assert_eq!(got, expected, "{now}");
        }
        let far = windows(u64::MAX);
        assert_eq!(far.len(), MAX_WINDOWS);
        assert_eq!(far[0].end, u64::MAX);
    }
}
