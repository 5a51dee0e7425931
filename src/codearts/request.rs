//! What the gate sends to CodeArts Build: the ids the user gives (checked before anything
//! is sent), and each request as a value.

use super::window::Window;
use crate::backend::PER_PAGE;
use crate::encoding::percent_encode;

/// A CodeArts job id or CodeArts project id: 32 lower-case letters and digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Id(String);

/// Which id, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Job,
    Project,
}

impl IdKind {
    fn what(self) -> &'static str {
        match self {
            IdKind::Job => "CodeArts Build job id",
            IdKind::Project => "CodeArts project id (not the IAM project id)",
        }
    }
}

/// Whether `raw` has the shape of every CodeArts job and project id.
pub(super) fn is_id(raw: &str) -> bool {
    raw.len() == 32
        && raw
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
}

impl Id {
    /// A value the user gave. Anything but 32 lower-case letters and digits is refused
    /// before sending; the error has no flag name: the config adds the flag or variable.
    pub fn parse(kind: IdKind, raw: &str) -> Result<Id, String> {
        if is_id(raw) {
            return Ok(Id(raw.to_string()));
        }
        // At most 40 characters of the value, escaped: it may be anything.
        let mut shown: String = format!("{:?}", raw.chars().take(40).collect::<String>());
        if raw.chars().count() > 40 {
            shown.push_str("...");
        }
        Err(format!(
            "{shown} is not a {} (32 lower-case letters and digits, as in the CodeArts \
             console URL)",
            kind.what()
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One GET below the endpoint: the path percent-encoded, the query unencoded (the
/// transport encodes and orders it as it signs it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Get {
    pub path: String,
    pub query: Vec<(&'static str, String)>,
}

impl Get {
    /// The query as the transport takes it.
    pub fn query_pairs(&self) -> Vec<(&str, &str)> {
        self.query.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }
}

/// An id as one path segment. Every id sent was checked by `Id::parse` or came from the
/// job list, which accepts only ids of that shape; encoding keeps it one segment anyway.
fn segment(id: &str) -> String {
    percent_encode(id.as_bytes())
}

/// Page `page_index` (from 0) of the project's jobs whose name contains `name` (the API's
/// search; the gate then matches the whole name itself).
pub fn job_list(project: &Id, name: &str, page_index: u32) -> Get {
    Get {
        path: format!("/v1/job/{}/list", segment(project.as_str())),
        query: vec![
            ("page_index", page_index.to_string()),
            ("page_size", PER_PAGE.to_string()),
            ("search", name.to_string()),
        ],
    }
}

/// Page `page_index` (from 0) of the job's builds that started within `window`.
pub fn builds(job: &str, window: &Window, page_index: u32) -> Get {
    Get {
        path: format!("/v1/record/{}/list", segment(job)),
        query: vec![
            ("start_time", window.start_time()),
            ("end_time", window.end_time()),
            ("page_index", page_index.to_string()),
            ("page_size", PER_PAGE.to_string()),
        ],
    }
}

/// The steps of build `number`, to name the one that failed it.
pub fn history_details(job: &str, number: &str) -> Get {
    Get {
        path: format!(
            "/v3/jobs/{}/{}/history-details",
            segment(job),
            segment(number)
        ),
        query: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::canonical_query;

    const JOB: &str = "0123456789abcdef0123456789abcdef";
    const PROJECT: &str = "fedcba9876543210fedcba9876543210";

    fn id(raw: &str) -> Id {
        Id::parse(IdKind::Job, raw).unwrap()
    }

    /// What goes on the wire below the endpoint.
    fn target(get: &Get) -> String {
        match canonical_query(&get.query_pairs()) {
            query if query.is_empty() => get.path.clone(),
            query => format!("{}?{query}", get.path),
        }
    }

    #[test]
    fn ids_are_32_lower_case_letters_and_digits() {
        let good = [JOB, PROJECT, &"0".repeat(32), &"z".repeat(32)];
        for raw in good {
            assert_eq!(id(raw).as_str(), raw);
        }
        let bad = [
            "",
            &JOB[..31],
            &format!("{JOB}0"),
            "0123456789ABCDEF0123456789abcdef",
            "0123456789abcdef-123456789abcdef",
            " 123456789abcdef0123456789abcdef",
            "0123456789abcdef0123456789abcde\n",
            "0123456789abcdef0123456789abcdé",
            "../../v1/job/0123456789abcdef012",
        ];
        for raw in bad {
            let message = Id::parse(IdKind::Job, raw).unwrap_err();
            assert!(
                message.contains(" is not a CodeArts Build job id (32 lower-case"),
                "{raw:?}: {message}"
            );
            assert!(!message.contains('\n'), "{message:?}");
        }
    }

    #[test]
    fn a_bad_id_is_shown_escaped_and_at_most_40_characters() {
        let err = Id::parse(IdKind::Project, &"x".repeat(500)).unwrap_err();
        assert_eq!(
            err,
            format!(
                "\"{}\"... is not a CodeArts project id (not the IAM project id) (32 \
                 lower-case letters and digits, as in the CodeArts console URL)",
                "x".repeat(40)
            )
        );
        let err = Id::parse(IdKind::Job, "a\u{202e}b").unwrap_err();
        assert!(err.starts_with(r#""a\u{202e}b" is not"#), "{err}");
    }

    #[test]
    fn requests_are_the_documented_paths_and_queries() {
        let window = Window {
            start: 1_700_000_000,
            end: 1_700_000_000 + 30 * 86_400,
        };
        let cases = [
            (
                job_list(&id(PROJECT), "web-api", 0),
                format!("/v1/job/{PROJECT}/list?page_index=0&page_size=100&search=web-api"),
            ),
            (
                job_list(&id(PROJECT), "my job/ä&x=1", 3),
                format!(
                    "/v1/job/{PROJECT}/list?page_index=3&page_size=100&search=my%20job%2F%C3%A4%26x%3D1"
                ),
            ),
            (
                builds(JOB, &window, 2),
                format!(
                    "/v1/record/{JOB}/list?end_time=2023-12-14%2022%3A13%3A20&page_index=2\
                     &page_size=100&start_time=2023-11-14%2022%3A13%3A20"
                ),
            ),
            (
                history_details(JOB, "42"),
                format!("/v3/jobs/{JOB}/42/history-details"),
            ),
        ];
        for (get, expected) in cases {
            assert_eq!(target(&get), expected);
        }
        let get = builds(JOB, &window, 0);
        assert_eq!(
            get.query_pairs(),
            [
                ("start_time", "2023-11-14 22:13:20"),
                ("end_time", "2023-12-14 22:13:20"),
                ("page_index", "0"),
                ("page_size", "100"),
            ]
        );
    }
}
