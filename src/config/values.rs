//! Parsers for option values: each takes the trimmed text and says why it is wrong in words
//! that follow the flag or variable name.

use std::time::Duration;

use crate::model::State;
use crate::rules::Percent;

pub(super) fn parse_bool(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(format!(
            "invalid switch value {s:?} (expected true or false)"
        )),
    }
}

/// The longest duration any option takes. Anything longer is a typo, and a deadline that far
/// out would overflow the clock (`--wait 300000000000y` used to panic).
pub const MAX_DURATION: Duration = Duration::from_secs(366 * 24 * 60 * 60);

pub(super) fn parse_duration(s: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(s)
        .map_err(|_| format!("invalid duration {s:?} (expected e.g. 90s, 15m, 1h 30m)"))?;
    if duration > MAX_DURATION {
        return Err(format!("{s:?} is longer than the limit of 366 days"));
    }
    Ok(duration)
}

pub(super) fn parse_positive_duration(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        Duration::ZERO => Err(format!("must be longer than zero, got {s:?}")),
        d => Ok(d),
    }
}

/// Polling faster than once a second only loads the API: 1ns once made 1,655 requests in 2s.
pub(super) fn parse_poll_interval(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        d if d < Duration::from_secs(1) => Err(format!("must be at least 1s, got {s:?}")),
        d => Ok(d),
    }
}

pub(super) fn parse_percent(s: &str) -> Result<Percent, String> {
    let number = s.strip_suffix('%').unwrap_or(s).trim();
    match number.parse::<f64>() {
        Ok(p) if p.is_finite() && (0.0..=100.0).contains(&p) && !number.starts_with('+') => {
            Ok(Percent(p))
        }
        _ => Err(format!(
            "invalid percentage {s:?} (expected a number from 0 to 100, e.g. 95, 95% or 99.5)"
        )),
    }
}

/// `--min-success-rate`: a percentage. A bare number strictly between 0 and 1 is a
/// fraction written where a percentage belongs (`0.9` would pass 66.7 %): refused, with the
/// percentage it most likely meant. `0.9%` says it and is taken as written.
pub(super) fn parse_success_rate(s: &str) -> Result<Percent, String> {
    let percent = parse_percent(s)?;
    if s.ends_with('%') || percent.0 <= 0.0 || percent.0 >= 1.0 {
        return Ok(percent);
    }
    // Rounded to drop binary noise: 0.9 * 100 is 90.00000000000001.
    let meant = (percent.0 * 100.0 * 1e9).round() / 1e9;
    Err(format!(
        "{s} is read as {s} %; did you mean {meant}? (write {s}% if {s} % is meant)"
    ))
}

/// A regression allowance may exceed 100% (twice the median is +100%).
pub(super) fn parse_regression_percent(s: &str) -> Result<Percent, String> {
    let number = s.strip_suffix('%').unwrap_or(s).trim();
    match number.parse::<f64>() {
        Ok(p) if p.is_finite() && p >= 0.0 && !number.starts_with('+') => Ok(Percent(p)),
        _ => Err(format!(
            "invalid percentage {s:?} (expected a number of 0 or more, e.g. 20 or 20%)"
        )),
    }
}

pub(super) fn parse_count(s: &str) -> Result<usize, String> {
    s.parse::<usize>()
        .map_err(|_| format!("invalid number {s:?} (expected a whole number of 0 or more)"))
}

/// Terminal states, each once; the list has no empty entries (`Lookup::list` refuses them).
pub(super) fn parse_states(names: &[String]) -> Result<Vec<State>, String> {
    let mut states = Vec::new();
    for name in names {
        let state = State::parse_terminal(name).ok_or_else(|| {
            format!("unknown state {name:?} (expected Successful, Failed, Timeout or Cancel)")
        })?;
        if !states.contains(&state) {
            states.push(state);
        }
    }
    if states.is_empty() {
        return Err("no state given (expected Successful, Failed, Timeout or Cancel)".into());
    }
    Ok(states)
}

pub(super) fn parse_choice<T: Copy>(s: &str, choices: &[(&str, T)]) -> Result<T, String> {
    choices
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(s))
        .map(|(_, value)| *value)
        .ok_or_else(|| {
            let names: Vec<_> = choices.iter().map(|(name, _)| *name).collect();
            format!("invalid value {s:?} (expected {})", names.join(", "))
        })
}
