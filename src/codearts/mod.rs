//! CodeArts Build (formerly CloudBuild), the second backend: its endpoint, requests, time
//! windows, and the parsing of its answers into the domain's builds, with the strictness
//! of ServiceStage's (JSON objects only, each key once, counts checked, contradictions and
//! hidden characters refused). Pure: the transport feeds bodies in, the paging cursor says
//! what to ask next.

pub mod builds;
pub mod cursor;
pub mod envelope;
pub mod jobs;
pub mod request;
mod shared;
pub mod steps;
pub mod window;

/// Longest id, state, name, commit, branch or phase name the gate repeats in a report.
const MAX_TEXT: usize = 256;

/// A string the gate may repeat: absent, null or blank is `None`; hidden characters or
/// more than `MAX_TEXT` bytes are refused, naming `place.field`.
fn checked_text(value: Option<String>, place: &str, field: &str) -> Result<Option<String>, String> {
    let Some(text) = value.filter(|t| !t.trim().is_empty()) else {
        return Ok(None);
    };
    if text.chars().any(shared::is_hidden) {
        return Err(format!("{place}.{field} contains a control character"));
    }
    if text.len() > MAX_TEXT {
        return Err(format!(
            "{place}.{field} is {} bytes long (at most {MAX_TEXT})",
            text.len()
        ));
    }
    Ok(Some(text))
}

/// As `checked_text`, and there.
fn required_text(value: Option<String>, place: &str, field: &str) -> Result<String, String> {
    checked_text(value, place, field)?.ok_or_else(|| format!("{place} has no {field}"))
}

#[cfg(test)]
mod tests {
    use super::*;

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
                Err("list[2].code_branch contains a control character"),
            ),
            (
                Some("a\u{2028}"),
                Err("list[2].code_branch contains a control character"),
            ),
            (
                Some("a\u{85}"),
                Err("list[2].code_branch contains a control character"),
            ),
        ];
        for (value, expected) in cases {
            let got = checked_text(value.map(String::from), "list[2]", "code_branch");
            let expected = expected.map(|t| t.map(String::from)).map_err(String::from);
            assert_eq!(got, expected, "{value:?}");
        }
        let long = checked_text(Some("b".repeat(MAX_TEXT + 1)), "list[0]", "code_branch");
        assert_eq!(
            long,
            Err("list[0].code_branch is 257 bytes long (at most 256)".to_string())
        );
        assert!(checked_text(Some("b".repeat(MAX_TEXT)), "list[0]", "x").is_ok());
        let missing = required_text(Some(" ".into()), "the build", "name");
        assert_eq!(missing, Err("the build has no name".to_string()));
    }
}
