//! Time, injected: the deadline, backoff, polling and signatures read the time and sleep
//! only through a `Clock`, the system's in production and a fake in tests, so their logic
//! is tested without waiting.

#[cfg(test)]
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use super::classify::RETRY_AFTER_MAX;

/// Where a run reads the time and how it waits.
pub trait Clock: Sync {
    /// Monotonic time: deadlines and elapsed times.
    fn now(&self) -> Instant;
    /// Wall-clock time: signatures, HTTP dates, backoff jitter.
    fn wall(&self) -> SystemTime;
    fn sleep(&self, duration: Duration);
}

/// The machine's clock and `std::thread::sleep`.
pub struct SystemClock;

#[allow(clippy::disallowed_methods, reason = "the one real clock and sleeper")]
impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// A clock whose time moves only when something sleeps on it; it records each sleep.
/// Its wall clock starts at 2026-11-28T12:00:00Z.
#[cfg(test)]
pub struct FakeClock {
    start: Instant,
    elapsed: Mutex<Duration>,
    sleeps: Mutex<Vec<Duration>>,
}

#[cfg(test)]
impl Default for FakeClock {
    #[allow(
        clippy::disallowed_methods,
        reason = "a fixed origin for the fake time"
    )]
    fn default() -> FakeClock {
        FakeClock {
            start: Instant::now(),
            elapsed: Mutex::new(Duration::ZERO),
            sleeps: Mutex::new(Vec::new()),
        }
    }
}

#[cfg(test)]
impl FakeClock {
    pub fn new() -> FakeClock {
        FakeClock::default()
    }

    /// Every sleep so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.sleeps
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Moves the time on without a sleep (a request that took this long).
    pub fn advance(&self, by: Duration) {
        *self.elapsed.lock().unwrap_or_else(PoisonError::into_inner) += by;
    }
}

#[cfg(test)]
impl Clock for FakeClock {
    fn now(&self) -> Instant {
        self.start + *self.elapsed.lock().unwrap_or_else(PoisonError::into_inner)
    }
    fn wall(&self) -> SystemTime {
        let origin = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_867_200);
        origin + *self.elapsed.lock().unwrap_or_else(PoisonError::into_inner)
    }
    fn sleep(&self, duration: Duration) {
        self.advance(duration);
        let mut sleeps = self.sleeps.lock().unwrap_or_else(PoisonError::into_inner);
        sleeps.push(duration);
    }
}

/// A deadline further away than this is as good as none (and cannot overflow an Instant).
const FAR_FUTURE: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// The most a run without `--wait` may take: every try of one request at its full
/// `--timeout` with the longest `Retry-After` between them, plus one more `--timeout` for
/// the pages after it. It does not grow with the number of pages.
pub fn run_budget(timeout: Duration, retries: u32) -> Duration {
    timeout
        .saturating_mul(retries.saturating_add(2))
        .saturating_add(RETRY_AFTER_MAX.saturating_mul(retries))
}

/// When the whole run must be over: `--wait` when given, else the run budget. Cloned,
/// it is one deadline shared by several jobs' clients, on the run's one clock.
#[derive(Clone)]
pub struct Deadline<'c> {
    at: Instant,
    /// Names the limit in a timeout message.
    what: String,
    clock: &'c dyn Clock,
}

impl<'c> Deadline<'c> {
    pub fn for_run(
        wait: Duration,
        timeout: Duration,
        retries: u32,
        clock: &'c dyn Clock,
    ) -> Deadline<'c> {
        let text = |d: Duration| humantime::format_duration(d).to_string();
        let (budget, what) = if wait.is_zero() {
            let budget = run_budget(timeout, retries);
            let what = format!(
                "the run's time limit of {} ((--retries + 2) x --timeout + --retries x 60s)",
                text(budget)
            );
            (budget, what)
        } else {
            (wait, format!("the --wait deadline of {}", text(wait)))
        };
        Deadline {
            at: clock.now() + budget.min(FAR_FUTURE),
            what,
            clock,
        }
    }

    pub fn left(&self) -> Duration {
        self.at.saturating_duration_since(self.clock.now())
    }

    pub fn passed(&self) -> bool {
        self.left().is_zero()
    }

    /// "the --wait deadline of 10m": the limit, for messages.
    pub fn what(&self) -> &str {
        &self.what
    }

    /// The run's clock.
    pub fn clock(&self) -> &'c dyn Clock {
        self.clock
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_budget_grows_with_timeout_and_retries_only() {
        let s = Duration::from_secs;
        assert_eq!(run_budget(s(2), 0), s(4));
        assert_eq!(run_budget(s(30), 3), s(5 * 30 + 3 * 60));
        assert_eq!(run_budget(Duration::MAX, 10), Duration::MAX);
    }

    #[test]
    fn a_deadline_passes_when_its_clock_says_so() {
        let clock = FakeClock::new();
        let s = Duration::from_secs;
        let waiting = Deadline::for_run(s(60), s(30), 3, &clock);
        let budget = Deadline::for_run(Duration::ZERO, s(2), 1, &clock);
        assert_eq!((waiting.left(), budget.left()), (s(60), s(6 + 60)));
        assert_eq!(waiting.what(), "the --wait deadline of 1m");
        assert!(budget.what().starts_with("the run's time limit of 1m 6s"));
        clock.sleep(s(59));
        assert_eq!((waiting.left(), waiting.passed()), (s(1), false));
        clock.advance(s(1));
        assert!(waiting.passed() && !budget.passed());
        let far = Deadline::for_run(Duration::MAX, s(1), 0, &clock);
        assert_eq!(far.left(), FAR_FUTURE);
        assert_eq!(clock.sleeps(), [s(59)]);
    }
}
