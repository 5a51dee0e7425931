//! A picture of the window: a Mermaid `xychart-beta` chart for the step summary and a
//! one-line state strip for the text report. Every character of the output is generated
//! here; no server text (build ids, raw states) ever reaches a chart or a strip.

use std::fmt::Write as _;

use crate::config::Symbols;
use crate::model::{Build, State};

/// The most builds one chart shows; older ones are left off.
pub const MAX_CHART_BUILDS: usize = 30;

/// What the chart and the strip show of a build's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateMark {
    Successful,
    Failed,
    Timeout,
    Cancel,
    Unfinished,
}

/// `None` is a build that has not finished.
impl From<Option<State>> for StateMark {
    fn from(state: Option<State>) -> StateMark {
        match state {
            Some(State::Successful) => StateMark::Successful,
            Some(State::Failed) => StateMark::Failed,
            Some(State::Timeout) => StateMark::Timeout,
            Some(State::Cancel) => StateMark::Cancel,
            None => StateMark::Unfinished,
        }
    }
}

impl StateMark {
    /// The mark in the given symbol set.
    pub fn symbol(self, symbols: Symbols) -> &'static str {
        let (unicode, ascii) = match self {
            StateMark::Successful => ("✓", "+"),
            StateMark::Failed => ("✗", "x"),
            // not ⏱: stock Chromium fonts lack it and terminals draw it two cells wide
            StateMark::Timeout => ("◷", "T"),
            StateMark::Cancel => ("⊘", "-"),
            StateMark::Unfinished => ("…", "."),
        };
        match symbols {
            Symbols::Unicode => unicode,
            Symbols::Ascii => ascii,
        }
    }
}

/// One bar of the chart: a build's state and its duration in seconds, if it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartBuild {
    pub state: StateMark,
    pub duration: Option<u64>,
}

impl From<&Build> for ChartBuild {
    fn from(build: &Build) -> ChartBuild {
        ChartBuild {
            state: StateMark::from(build.state()),
            duration: build.seconds(),
        }
    }
}

/// The median duration of the Successful builds that have one, rounded up to a second;
/// `None` when there are none.
pub fn median_of_successful(builds: &[ChartBuild]) -> Option<u64> {
    let mut durations: Vec<u64> = builds
        .iter()
        .filter(|b| b.state == StateMark::Successful)
        .filter_map(|b| b.duration)
        .collect();
    durations.sort_unstable();
    let middle = durations.len() / 2;
    match durations.len() {
        0 => None,
        n if n % 2 == 1 => Some(durations[middle]),
        // the mean of the two middle values without overflowing, rounded up
        _ => {
            let (low, high) = (durations[middle - 1], durations[middle]);
            Some(low + (high - low).div_ceil(2))
        }
    }
}

/// The horizontal lines drawn across the bars, in seconds; each only when given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChartLines {
    /// `--max-duration`.
    pub max_duration: Option<u64>,
    /// The median duration of the Successful builds in the window.
    pub median: Option<u64>,
}

/// `history: ✓✓✗◷✓`, the window's states oldest first, so the newest is last.
pub fn strip(builds: &[ChartBuild], symbols: Symbols) -> String {
    let marks: String = builds.iter().map(|b| b.state.symbol(symbols)).collect();
    format!("history: {marks}")
}

/// A fenced Mermaid `xychart-beta` block of the newest [`MAX_CHART_BUILDS`] of `builds`
/// (given oldest first) followed by a one-line legend, or `None` for an empty window.
///
/// The first `bar` series holds the durations in seconds, oldest first, one bar per build
/// (0 for a build without a duration); a `line` series follows for each of `lines` given.
/// The x-axis labels carry the state marks, numbered because Mermaid merges equal labels.
pub fn mermaid(builds: &[ChartBuild], lines: ChartLines) -> Option<String> {
    let shown = &builds[builds.len().saturating_sub(MAX_CHART_BUILDS)..];
    if shown.is_empty() {
        return None;
    }
    let durations: Vec<u64> = shown.iter().map(|b| b.duration.unwrap_or(0)).collect();
    let series: Vec<u64> = [lines.max_duration, lines.median]
        .into_iter()
        .flatten()
        // Mermaid draws nothing for a line of one point
        .filter(|_| shown.len() > 1)
        .collect();
    let top = durations
        .iter()
        .chain(&series)
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);

    // No front matter (`config:` for colours and width): GitHub's Mermaid may predate it,
    // and a block it cannot parse shows as an error box in every summary.
    let mut out = String::from("```mermaid\nxychart-beta\n");
    let _ = writeln!(out, "  title \"Build durations, oldest first\"");
    let _ = writeln!(out, "  x-axis [{}]", axis_labels(shown));
    let _ = writeln!(out, "  y-axis \"seconds\" 0 --> {}", nice_ceiling(top));
    let _ = writeln!(out, "  bar [{}]", numbers(&durations));
    for value in &series {
        let _ = writeln!(out, "  line [{}]", numbers(&vec![*value; shown.len()]));
    }
    out.push_str("```\n");
    let drawn = !series.is_empty();
    let _ = writeln!(out, "\n{}", legend(shown.len(), builds.len(), lines, drawn));
    Some(out)
}

/// `"1 ✓", "2 ✗", ...`: Mermaid's band scale merges equal labels, so each is numbered.
fn axis_labels(shown: &[ChartBuild]) -> String {
    let labels: Vec<String> = shown
        .iter()
        .enumerate()
        .map(|(i, b)| format!("\"{} {}\"", i + 1, b.state.symbol(Symbols::Unicode)))
        .collect();
    labels.join(", ")
}

fn numbers(values: &[u64]) -> String {
    let texts: Vec<String> = values.iter().map(u64::to_string).collect();
    texts.join(", ")
}

/// The y-axis top: `value` rounded up to 1, 2 or 5 times a power of ten, so the axis
/// ticks land on round numbers and the highest bar or line never touches the frame.
fn nice_ceiling(value: u64) -> u64 {
    let mut step = 1u64;
    loop {
        for factor in [1, 2, 5] {
            let candidate = step.saturating_mul(factor);
            if candidate >= value || candidate == u64::MAX {
                return candidate;
            }
        }
        step = step.saturating_mul(10);
    }
}

/// Says what the lines and marks mean: `xychart-beta` draws no legend of its own.
/// `drawn` is false when the lines are only named, as for a single build.
fn legend(shown: usize, window: usize, lines: ChartLines, drawn: bool) -> String {
    let mut text = format!("Bars: duration in seconds of the last {shown} build(s), oldest first");
    if window > shown {
        let _ = write!(text, " ({} older left off)", window - shown);
    }
    let line = if drawn { "line at " } else { "" };
    if let Some(limit) = lines.max_duration {
        let _ = write!(text, "; {line}`--max-duration` {limit} s");
    }
    if let Some(median) = lines.median {
        let _ = write!(text, "; {line}median of Successful builds {median} s");
    }
    text.push_str(". Marks: ✓ Successful, ✗ Failed, ◷ Timeout, ⊘ Cancel, … unfinished (no bar).");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(state: StateMark, duration: Option<u64>) -> ChartBuild {
        ChartBuild { state, duration }
    }

    /// The builds of a spec like `S40 F12 T900 C U`, oldest first.
    fn builds(spec: &str) -> Vec<ChartBuild> {
        spec.split_whitespace()
            .map(|word| {
                let state = match &word[..1] {
                    "S" => StateMark::Successful,
                    "F" => StateMark::Failed,
                    "T" => StateMark::Timeout,
                    "C" => StateMark::Cancel,
                    _ => StateMark::Unfinished,
                };
                build(state, word[1..].parse().ok())
            })
            .collect()
    }

    /// The Mermaid source between the fences, as a reader of the summary gets it.
    fn block(markdown: &str) -> &str {
        let start = markdown.find("```mermaid\n").expect("a mermaid fence") + 11;
        let end = start + markdown[start..].find("\n```\n").expect("a closing fence");
        &markdown[start..end]
    }

    /// The numbers of every `KIND [..]` series, in order.
    fn series(markdown: &str, kind: &str) -> Vec<Vec<u64>> {
        block(markdown)
            .lines()
            .filter_map(|l| l.trim().strip_prefix(kind)?.trim().strip_prefix('['))
            .map(|rest| {
                let values = rest.strip_suffix(']').expect("a closing bracket");
                values.split(", ").map(|v| v.parse().unwrap()).collect()
            })
            .collect()
    }

    fn axis(markdown: &str) -> String {
        let line = block(markdown)
            .lines()
            .find_map(|l| l.trim().strip_prefix("x-axis "))
            .expect("an x-axis");
        line.to_string()
    }

    #[test]
    fn first_bar_series_holds_the_durations_oldest_first() {
        let window = builds("S40 F12 T900 C3 S41");
        let chart = mermaid(&window, ChartLines::default()).unwrap();
        assert!(block(&chart).starts_with("xychart-beta\n"), "{chart}");
        assert_eq!(series(&chart, "bar"), [vec![40, 12, 900, 3, 41]]);
        assert!(series(&chart, "line").is_empty(), "{chart}");
    }

    #[test]
    fn builds_without_a_duration_keep_their_bar_at_zero() {
        let chart = mermaid(&builds("S40 F U"), ChartLines::default()).unwrap();
        assert_eq!(series(&chart, "bar"), [vec![40, 0, 0]]);
        assert_eq!(axis(&chart), r#"["1 ✓", "2 ✗", "3 …"]"#);
    }

    #[test]
    fn lines_appear_only_when_given() {
        let window = builds("S40 S50 S60");
        let cases = [
            (None, None, vec![]),
            (Some(600), None, vec![vec![600; 3]]),
            (None, Some(50), vec![vec![50; 3]]),
            (Some(600), Some(50), vec![vec![600; 3], vec![50; 3]]),
        ];
        for (max_duration, median, expected) in cases {
            let lines = ChartLines {
                max_duration,
                median,
            };
            let chart = mermaid(&window, lines).unwrap();
            assert_eq!(series(&chart, "line"), expected, "{chart}");
            let named = |what: &str| chart.contains(&format!("line at {what}"));
            assert_eq!(named("`--max-duration`"), max_duration.is_some());
            assert_eq!(named("median"), median.is_some());
            assert!(
                block(&chart).starts_with("xychart-beta\n"),
                "no front matter: {chart}"
            );
        }
    }

    #[test]
    fn a_single_build_names_the_lines_it_cannot_draw() {
        let lines = ChartLines {
            max_duration: Some(600),
            median: Some(42),
        };
        let chart = mermaid(&builds("S42"), lines).unwrap();
        assert_eq!(series(&chart, "bar"), [vec![42]]);
        assert!(series(&chart, "line").is_empty(), "{chart}");
        assert!(!chart.contains("line at"), "{chart}");
        assert!(
            chart.contains("; `--max-duration` 600 s; median of Successful builds 42 s."),
            "{chart}"
        );
    }

    #[test]
    fn x_axis_labels_carry_each_state_mark_numbered() {
        let chart = mermaid(&builds("S1 F2 T3 C4 U"), ChartLines::default()).unwrap();
        assert_eq!(axis(&chart), r#"["1 ✓", "2 ✗", "3 ◷", "4 ⊘", "5 …"]"#);
    }

    #[test]
    fn a_long_window_shows_its_newest_thirty_builds() {
        let window: Vec<ChartBuild> = (1..=35)
            .map(|d| build(StateMark::Successful, Some(d)))
            .collect();
        let chart = mermaid(&window, ChartLines::default()).unwrap();
        assert_eq!(series(&chart, "bar"), [(6..=35).collect::<Vec<u64>>()]);
        assert!(chart.contains("last 30 build(s), oldest first (5 older left off)"));
    }

    #[test]
    fn an_empty_window_has_no_chart() {
        assert_eq!(mermaid(&[], ChartLines::default()), None);
    }

    #[test]
    fn y_axis_starts_at_zero_and_clears_the_highest_series() {
        let top = |spec: &str, limit| {
            let lines = ChartLines {
                max_duration: limit,
                median: None,
            };
            let chart = mermaid(&builds(spec), lines).unwrap();
            block(&chart)
                .lines()
                .find_map(|l| l.trim().strip_prefix("y-axis \"seconds\" 0 --> "))
                .expect("a y-axis from 0")
                .to_string()
        };
        assert_eq!(top("S100 S120", None), "200");
        assert_eq!(top("S100 S120", Some(600)), "1000");
        assert_eq!(top("U", None), "1");
        assert_eq!(top("S5", None), "5");
        assert_eq!(top(&format!("S{}", u64::MAX), None), u64::MAX.to_string());
    }

    #[test]
    fn strip_shows_every_state_newest_last() {
        let window = builds("S1 S1 F1 S1 T1 C1 U");
        assert_eq!(strip(&window, Symbols::Unicode), "history: ✓✓✗✓◷⊘…");
        assert_eq!(strip(&window, Symbols::Ascii), "history: ++x+T-.");
        assert_eq!(strip(&[], Symbols::Ascii), "history: ");
    }

    #[test]
    fn median_of_the_successful_builds_only() {
        let median = |spec: &str| median_of_successful(&builds(spec));
        assert_eq!(median("S30 F1 S10 T900 S20"), Some(20));
        assert_eq!(median("S10 S20 S40 S100 F1"), Some(30));
        assert_eq!(
            median("S10 S15"),
            Some(13),
            "rounded up like the regression rule"
        );
        assert_eq!(median("S10 S U F5 C7"), Some(10), "no duration, no vote");
        assert_eq!(median("F5 C7 U"), None);
        let max = u64::MAX;
        assert_eq!(median(&format!("S{max} S{max}")), Some(max));
    }

    #[test]
    fn marks_follow_the_api_state() {
        let states = [
            (Some(State::Successful), StateMark::Successful),
            (Some(State::Failed), StateMark::Failed),
            (Some(State::Timeout), StateMark::Timeout),
            (Some(State::Cancel), StateMark::Cancel),
            (None, StateMark::Unfinished),
        ];
        for (state, mark) in states {
            assert_eq!(StateMark::from(state), mark);
        }
    }
}
