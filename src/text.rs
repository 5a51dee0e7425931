//! The one policy for text a server controls. Ids, states, names, commits, branches and
//! phase names that hold a character of Unicode category Cc, Cf, Zl, Zp, Co or Cs are
//! refused by every parser (`refused`); free text (error messages) shows such characters
//! escaped, never raw (`one_line`). CI command markers (`::`, `##vso[`, `##[`) are not
//! this module's concern: every renderer escapes them for its audience.

use std::borrow::Cow;

/// Server text for a message is folded onto one line and cut to this many characters.
const MAX_CHARS: usize = 500;

/// The code points of categories Cf (format), Zl, Zp and Co (private use) as of Unicode
/// 16, and the whole tag block; Cc is `char::is_control`, Cs (surrogates) cannot occur in
/// a Rust string. Unassigned code points inside a range (U+2065, U+E0000) are refused too.
const HIDDEN: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x2028, 0x202E),
    (0x2060, 0x206F),
    (0xE000, 0xF8FF),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE007F),
    (0xF0000, 0xFFFFD),
    (0x100000, 0x10FFFD),
];

/// Whether `c` is of category Cc, Cf, Zl, Zp or Co: a character a reader cannot see, or
/// one that changes how the text around it reads (line breaks, bidi overrides).
pub fn is_hidden(c: char) -> bool {
    if c.is_control() {
        return true;
    }
    let code = c as u32;
    code >= 0xAD
        && HIDDEN
            .binary_search_by(|&(first, last)| {
                if last < code {
                    std::cmp::Ordering::Less
                } else if first > code {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .is_ok()
}

/// The first hidden character of `text`, if any. Printable ASCII, nearly every id and
/// state, takes one pass over the bytes.
pub fn refused(text: &str) -> Option<char> {
    if text.bytes().all(|b| (b' '..b'\x7f').contains(&b)) {
        return None;
    }
    text.chars().find(|&c| is_hidden(c))
}

/// As `refused`, for a string taken whole from JSON text (it had no escapes): JSON
/// refuses raw C0 controls, so printable ASCII needs only a scan for DEL. The parsers'
/// fast path on long build lists.
pub fn refused_unescaped(text: &str) -> Option<char> {
    match text.is_ascii() {
        true => text.as_bytes().contains(&0x7f).then_some('\x7f'),
        false => refused(text),
    }
}

/// Why text holding `c` may not be an id, state, name, commit, branch or phase name, in
/// words that follow the field's name: `list[0].build_id contains a control character`.
pub fn problem(c: char) -> String {
    match c.is_control() {
        true => "contains a control character".to_string(),
        false => format!("contains an invisible character (U+{:04X})", c as u32),
    }
}

/// Server text for a message: on one line (control characters become spaces, runs of
/// white space one space), other hidden characters shown escaped (`\u{200b}`), cut to a
/// readable length. Callers check it for credentials first, on the whole text.
pub fn one_line(text: &str) -> String {
    let mut cleaned = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            c if c.is_control() => cleaned.push(' '),
            c if is_hidden(c) => cleaned.extend(c.escape_unicode()),
            c => cleaned.push(c),
        }
    }
    let folded = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    match folded.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}...", &folded[..cut]),
        None => folded,
    }
}

/// Longest id, state, name, commit, branch, time or step name a backend accepts: ids go
/// into request paths and every report, and the services' own are far shorter.
pub const MAX_TEXT: usize = 256;

/// Why `text` (at `place`, e.g. `list[3].build_id`) may not be repeated: a hidden
/// character (the policy above), or more than `MAX_TEXT` bytes.
#[expect(
    clippy::ptr_arg,
    reason = "whether the text was borrowed from the JSON is the fast path"
)]
pub fn checked(text: &Cow<str>, place: impl Fn() -> String) -> Result<(), String> {
    let refused = match text {
        Cow::Borrowed(unescaped) => refused_unescaped(unescaped),
        Cow::Owned(unescaped) => refused(unescaped),
    };
    if let Some(c) = refused {
        return Err(format!("{} {}", place(), problem(c)));
    }
    if text.len() > MAX_TEXT {
        return Err(format!(
            "{} is {} bytes long (at most {MAX_TEXT})",
            place(),
            text.len()
        ));
    }
    Ok(())
}

/// A present, non-empty, checked string for `field` at `place` (`list[3]`, `details`).
pub fn required_text(value: Option<Cow<str>>, place: &str, field: &str) -> Result<String, String> {
    optional_text(value, place, field)?.ok_or_else(|| format!("{place} has no {field}"))
}

/// An absent, null or blank string is `None`; anything else must pass `checked`.
pub fn optional_text(
    value: Option<Cow<str>>,
    place: &str,
    field: &str,
) -> Result<Option<String>, String> {
    let Some(text) = value.filter(|t| !t.trim().is_empty()) else {
        return Ok(None);
    };
    checked(&text, || format!("{place}.{field}"))?;
    Ok(Some(text.into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_categories_are_hidden() {
        let hidden = [
            '\0',
            '\n',
            '\u{1b}',
            '\u{7f}',
            '\u{85}',
            '\u{9f}', // Cc
            '\u{ad}',
            '\u{600}',
            '\u{61c}',
            '\u{200b}',
            '\u{200d}',
            '\u{200f}', // Cf
            '\u{202a}',
            '\u{202e}',
            '\u{2060}',
            '\u{2064}',
            '\u{2066}',
            '\u{2069}',
            '\u{feff}',
            '\u{e0001}',
            '\u{e0041}',
            '\u{e007f}',
            '\u{1d173}', // tags, music format
            '\u{2028}',
            '\u{2029}', // Zl, Zp
            '\u{e000}',
            '\u{f8ff}',
            '\u{f0000}',
            '\u{10fffd}', // Co
        ];
        for c in hidden {
            assert!(is_hidden(c), "U+{:04X}", c as u32);
        }
        let shown = [
            'a',
            ' ',
            '~',
            '\u{a0}',
            '\u{ac}',
            '\u{ae}',
            'é',
            '构',
            '\u{2027}',
            '\u{202f}',
            '\u{2070}',
            '\u{f900}',
            '\u{fffc}',
            '\u{1f600}',
            '\u{e0080}',
        ];
        for c in shown {
            assert!(!is_hidden(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn the_ranges_are_sorted_and_apart() {
        for pair in HIDDEN.windows(2) {
            assert!(pair[0].0 <= pair[0].1 && pair[0].1 < pair[1].0, "{pair:?}");
        }
    }

    #[test]
    fn problems_name_the_kind_of_character() {
        let cases = [
            ("main", None),
            ("feature/x-1 ::##vso[", None),
            ("构建-é", None),
            ("a\nb", Some("contains a control character")),
            ("a\u{7f}", Some("contains a control character")),
            (
                "ma\u{202e}in",
                Some("contains an invisible character (U+202E)"),
            ),
            (
                "a\u{200b}b",
                Some("contains an invisible character (U+200B)"),
            ),
            (
                "x\u{e0041}",
                Some("contains an invisible character (U+E0041)"),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(refused(text).map(problem).as_deref(), expected, "{text:?}");
            // JSON text without escapes holds no C0 control: the fast path skips them.
            if !text.bytes().any(|b| b < b' ') {
                let unescaped = refused_unescaped(text).map(problem);
                assert_eq!(unescaped.as_deref(), expected, "{text:?}");
            }
        }
    }

    #[test]
    fn one_line_folds_escapes_and_cuts() {
        assert_eq!(one_line(" a\r\n\tb  c "), "a b c");
        assert_eq!(one_line("a\u{200b}b\u{202e}"), "a\\u{200b}b\\u{202e}");
        let long = "x".repeat(MAX_CHARS + 5);
        assert_eq!(one_line(&long), format!("{}...", "x".repeat(MAX_CHARS)));
    }

    #[test]
    fn text_is_checked_for_hidden_characters_and_length_only() {
        let cases = [
            ("main", Ok(Some("main"))),
            ("feature/x-1", Ok(Some("feature/x-1"))),
            (
                "2025-06-24 12:10:30 +0000 UTC",
                Ok(Some("2025-06-24 12:10:30 +0000 UTC")),
            ),
            // CI command markers are the renderers' to escape, as for every id
            (
                "::error::x ##vso[task.complete] ##[error]",
                Ok(Some("::error::x ##vso[task.complete] ##[error]")),
            ),
            (" ", Ok(None)),
            ("a\nb", Err("the build.branch contains a control character")),
            (
                "a\u{85}b",
                Err("the build.branch contains a control character"),
            ),
            (
                "ma\u{202e}in",
                Err("the build.branch contains an invisible character (U+202E)"),
            ),
            (
                "a\u{2028}b",
                Err("the build.branch contains an invisible character (U+2028)"),
            ),
        ];
        for (text, expected) in cases {
            // Escaped in the JSON: only then can a C0 control be in it.
            let got = optional_text(Some(Cow::Owned(text.into())), "the build", "branch");
            assert_eq!(
                got.as_ref().map(Option::as_deref).map_err(String::as_str),
                expected,
                "{text:?}"
            );
        }
        assert_eq!(optional_text(None, "the build", "branch"), Ok(None));
        let long = "b".repeat(MAX_TEXT + 1);
        let err = optional_text(Some(Cow::Owned(long)), "the build", "branch").unwrap_err();
        assert!(
            err.starts_with("the build.branch is 257 bytes long"),
            "{err}"
        );
        let err = required_text(Some(Cow::Borrowed("")), "list[2]", "job_id").unwrap_err();
        assert_eq!(err, "list[2] has no job_id");
    }

    #[test]
    fn server_text_is_refused_with_hidden_characters_or_too_long() {
        type Expected = Result<Option<&'static str>, &'static str>;
        let cases: [(Option<&str>, Expected); 9] = [
            (None, Ok(None)),
            (Some(""), Ok(None)),
            (Some("  "), Ok(None)),
            (Some("feature/x-1"), Ok(Some("feature/x-1"))),
            (Some("::error::x ##vso["), Ok(Some("::error::x ##vso["))),
            (
                Some("a\nb"),
                Err("list[2].code_branch contains a control character"),
            ),
            (
                Some("ma\u{202e}in"),
                Err("list[2].code_branch contains an invisible character (U+202E)"),
            ),
            (
                Some("a\u{2028}"),
                Err("list[2].code_branch contains an invisible character (U+2028)"),
            ),
            (
                Some("a\u{85}"),
                Err("list[2].code_branch contains a control character"),
            ),
        ];
        for (value, expected) in cases {
            // Escaped in the JSON: only then can a C0 control be in it.
            let got = optional_text(
                value.map(|v| v.to_string().into()),
                "list[2]",
                "code_branch",
            );
            let expected = expected.map(|t| t.map(String::from)).map_err(String::from);
            assert_eq!(got, expected, "{value:?}");
        }
        let long = optional_text(Some("b".repeat(MAX_TEXT + 1).into()), "list[0]", "x");
        assert_eq!(
            long,
            Err("list[0].x is 257 bytes long (at most 256)".to_string())
        );
        assert!(optional_text(Some("b".repeat(MAX_TEXT).into()), "list[0]", "x").is_ok());
        let missing = required_text(Some(" ".into()), "the build", "name");
        assert_eq!(missing, Err("the build has no name".to_string()));
    }
}
