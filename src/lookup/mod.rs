//! Pure parts of finding the job and the build (issue 14): the job list, job-name rules,
//! commit prefixes, build details, build phases and region endpoints. No I/O here: the
//! client feeds response bodies in, the fetch loop asks what to request next.

pub mod build;
pub mod jobs;
pub(crate) mod object;
pub mod region;

/// Why a server string may not reach any output: it must not carry a control character
/// (or any character the model refuses in ids: line separators, bidi overrides) or anything a CI runner reads as a command (`::`, `##vso[`, `##[`).
fn unsafe_text(text: &str) -> Option<&'static str> {
    if text.chars().any(crate::report::escape::is_hidden) {
        return Some("contains a control character");
    }
    let lower = text.to_ascii_lowercase();
    if lower.contains("##vso[") || lower.contains("##[") || lower.contains("::") {
        return Some("contains a CI command marker (::, ##vso[ or ##[)");
    }
    None
}

/// A present, non-empty, safe string for `field` at `place` (`list[3]`, `the build`).
fn required_text(value: Option<String>, place: &str, field: &str) -> Result<String, String> {
    match optional_text(value, place, field)? {
        Some(text) => Ok(text),
        None => Err(format!("{place} has no {field}")),
    }
}

/// An absent, null or empty string is `None`; anything else must be safe text.
fn optional_text(
    value: Option<String>,
    place: &str,
    field: &str,
) -> Result<Option<String>, String> {
    let Some(text) = value.filter(|t| !t.trim().is_empty()) else {
        return Ok(None);
    };
    if text.len() > MAX_TEXT {
        return Err(format!(
            "{place}.{field} is {} bytes long (at most {MAX_TEXT})",
            text.len()
        ));
    }
    match unsafe_text(&text) {
        Some(problem) => Err(format!("{place}.{field} {problem}")),
        None => Ok(Some(text)),
    }
}

/// Longest id, name, branch or time the gate repeats in a report.
const MAX_TEXT: usize = 256;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_that_could_become_a_ci_command_is_refused() {
        let cases = [
            ("main", None),
            ("feature/x-1", None),
            ("2025-06-24 12:10:30 +0000 UTC", None),
            ("a\nb", Some("control character")),
            ("a\u{7f}", Some("control character")),
            ("a\u{85}b", Some("control character")),
            ("ma\u{202e}in", Some("control character")),
            ("a\u{2028}b", Some("control character")),
            (
                "x ##vso[task.complete result=Succeeded]",
                Some("CI command marker"),
            ),
            ("##VSO[task.setvariable]", Some("CI command marker")),
            ("##[error]boom", Some("CI command marker")),
            ("::error::boom", Some("CI command marker")),
        ];
        for (text, problem) in cases {
            let found = unsafe_text(text);
            match problem {
                None => assert_eq!(found, None, "{text:?}"),
                Some(p) => assert!(found.is_some_and(|f| f.contains(p)), "{text:?}: {found:?}"),
            }
        }
    }

    #[test]
    fn optional_text_treats_blank_as_absent_and_caps_length() {
        assert_eq!(optional_text(None, "the build", "branch"), Ok(None));
        assert_eq!(
            optional_text(Some(" ".into()), "the build", "branch"),
            Ok(None)
        );
        assert_eq!(
            optional_text(Some("dev".into()), "the build", "branch"),
            Ok(Some("dev".into()))
        );
        let long = "b".repeat(MAX_TEXT + 1);
        let err = optional_text(Some(long), "the build", "branch").unwrap_err();
        assert!(
            err.starts_with("the build.branch is 257 bytes long"),
            "{err}"
        );
        let err = required_text(Some(String::new()), "list[2]", "job_id").unwrap_err();
        assert_eq!(err, "list[2] has no job_id");
    }
}
