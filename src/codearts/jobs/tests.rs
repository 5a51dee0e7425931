use super::*;
use crate::codearts::request::IdKind;

const A: &str = "0123456789abcdef0123456789abcdef";
const B: &str = "1123456789abcdef0123456789abcdef";
const C: &str = "2123456789abcdef0123456789abcdef";

fn job(id: &str, name: &str) -> Job {
    Job {
        id: id.into(),
        name: name.into(),
    }
}

fn parse(json: &str) -> Result<JobPage, String> {
    parse_job_page(json.as_bytes()).map_err(|e| e.to_string())
}

fn project() -> Id {
    Id::parse(IdKind::Project, "fedcba9876543210fedcba9876543210").unwrap()
}

#[test]
fn both_live_shapes_are_read() {
    let live = format!(
        r#"{{"result":{{"job_list":[{{"id":"{A}","job_name":"web-api","user_name":"x","is_finished":true}},
            {{"id":"{B}","job_name":"Web-Api"}}],"total":2}},"error":null,"status":"success"}}"#
    );
    let reference = format!(
        r#"{{"jobs":[{{"id":"{A}","job_name":"web-api","last_build_time":1}},
            {{"id":"{B}","job_name":"Web-Api"}}],"total":"2"}}"#
    );
    let expected = JobPage {
        total: Some(2),
        jobs: vec![job(A, "web-api"), job(B, "Web-Api")],
    };
    assert_eq!(parse(&live), Ok(expected.clone()));
    assert_eq!(parse(&reference), Ok(expected));
    let empty = [
        (r#"{"result":{"job_list":[],"total":0}}"#, Some(0)),
        (r#"{"result":{"job_list":null}}"#, None),
        (r#"{"jobs":null,"total":"0"}"#, Some(0)),
        (r#"{"jobs":[]}"#, None),
    ];
    for (json, total) in empty {
        assert_eq!(
            parse(json),
            Ok(JobPage {
                total,
                jobs: vec![]
            }),
            "{json}"
        );
    }
}

#[test]
fn any_other_shape_or_a_bad_job_is_a_response_error() {
    let cases = [
        ("[]", "is not what the API documents"),
        (
            r#"{"total":0}"#,
            "the job list: it has neither result.job_list nor jobs",
        ),
        (
            r#"{"result":null}"#,
            "it has neither result.job_list nor jobs",
        ),
        (
            r#"{"result":{"total":0}}"#,
            "the job list: result has no job_list",
        ),
        (
            r#"{"result":{"job_list":[]},"jobs":[]}"#,
            "it has both result and jobs",
        ),
        (
            r#"{"result":{"job_list":[]},"total":1}"#,
            "total is beside result",
        ),
        (
            r#"{"result":{"jobs":[],"total":0}}"#,
            "result has no job_list",
        ),
        (r#"{"result":[]}"#, "expected a job list result object"),
        (r#"{"jobs":{"id":"a"}}"#, "expected a JSON list"),
        (r#"{"jobs":[["a","b"]]}"#, "jobs[0]: invalid type: sequence"),
        (r#"{"jobs":[],"jobs":[]}"#, "duplicate field `jobs`"),
        (
            r#"{"result":{"job_list":[],"job_list":[]}}"#,
            "duplicate field `job_list`",
        ),
        (r#"{"jobs":[],"total":"2a"}"#, "total \"2a\" is not a count"),
        (r#"{"jobs":[],"total":"+2"}"#, "total \"+2\" is not a count"),
        (
            r#"{"result":{"job_list":[],"total":" 1"}}"#,
            "total \" 1\" is not a count",
        ),
        (
            r#"{"jobs":[],"total":-1}"#,
            "invalid type: integer `-1`, expected a count",
        ),
        (r#"{"jobs":[{"job_name":"a"}]}"#, "jobs[0] has no id"),
        (
            r#"{"jobs":[{"id":"x","job_name":"a"}]}"#,
            "jobs[0].id \"x\" is not a CodeArts job id",
        ),
        (
            r#"{"result":{"job_list":[{"id":"0123456789ABCDEF0123456789abcdef","job_name":"a"}]}}"#,
            "result.job_list[0].id \"0123456789ABCDEF0123456789abcdef\" is not a CodeArts job id",
        ),
        (
            r#"{"jobs":[{"id":7,"job_name":"a"}]}"#,
            "id: invalid type: integer `7`",
        ),
    ];
    for (json, expected) in cases {
        let err = parse(json).unwrap_err();
        assert!(err.starts_with("response: "), "{json}: {err}");
        assert!(err.contains(expected), "{json}: {err} lacks {expected}");
    }
    let named = |name: &str| format!(r#"{{"jobs":[{{"id":"{A}","job_name":"{name}"}}]}}"#);
    let cases = [
        (named(""), "jobs[0] has no job_name"),
        (
            named(r"web\u0007"),
            "jobs[0].job_name contains a control character",
        ),
        (
            named(r"web\u202e"),
            "jobs[0].job_name contains an invisible character (U+202E)",
        ),
        (
            named(&"w".repeat(257)),
            "jobs[0].job_name is 257 bytes long",
        ),
    ];
    for (json, expected) in cases {
        let err = parse(&json).unwrap_err();
        assert!(err.contains(expected), "{json}: {err} lacks {expected}");
    }
}

#[test]
fn a_total_below_the_jobs_on_the_page_is_a_response_error() {
    let json = format!(
        r#"{{"result":{{"job_list":[{{"id":"{A}","job_name":"a"}},{{"id":"{B}","job_name":"b"}}],"total":1}}}}"#
    );
    assert_eq!(
        parse(&json).unwrap_err(),
        "response: the job list: total is 1 but 2 jobs are listed"
    );
}

#[test]
fn an_answer_that_says_it_failed_is_an_error_even_with_jobs() {
    let cases = [
        (
            r#"{"result":null,"error":{"error_code":"CB.00000002","error_msg":"no such project"},"status":"fail"}"#,
            "http: HTTP 200 CB.00000002: the job list came with HTTP 200 but reports an error: no such project",
        ),
        (
            r#"{"result":{"job_list":[],"total":0},"status":"fail"}"#,
            "response: the job list has status \"fail\" and no error object (expected \"success\")",
        ),
        (
            r#"{"result":{"job_list":[]},"error":"boom","status":"success"}"#,
            "error: invalid type: string \"boom\", expected an API error object",
        ),
    ];
    for (json, expected) in cases {
        let err = parse(json).unwrap_err();
        assert!(err.contains(expected), "{json}: {err}");
    }
}

fn page(total: Option<u64>, jobs: &[(&str, &str)]) -> JobPage {
    JobPage {
        total,
        jobs: jobs.iter().map(|(id, name)| job(id, name)).collect(),
    }
}

#[test]
fn paging_goes_on_while_new_jobs_arrive_and_the_total_says_more() {
    // (pages, whether each asks for the next)
    let cases: [(Vec<JobPage>, Vec<bool>); 5] = [
        (vec![page(Some(1), &[(A, "a")])], vec![false]),
        (
            vec![
                page(Some(3), &[(A, "a")]),
                page(Some(3), &[(B, "b"), (C, "c")]),
            ],
            vec![true, false],
        ),
        // a server that ignores page_index: the same page again ends the paging
        (
            vec![page(Some(3), &[(A, "a")]), page(Some(3), &[(A, "a")])],
            vec![true, false],
        ),
        (vec![page(None, &[(A, "a")])], vec![false]),
        (vec![page(Some(0), &[])], vec![false]),
    ];
    for (pages, expected) in cases {
        let mut listing = JobListing::default();
        let got: Vec<bool> = pages
            .into_iter()
            .map(|p| listing.absorb(p).unwrap())
            .collect();
        assert_eq!(got, expected);
    }
    let mut listing = JobListing::default();
    assert_eq!(listing.next_page_index(), 0);
    listing.absorb(page(Some(2), &[(A, "a")])).unwrap();
    assert_eq!(listing.next_page_index(), 1);
}

#[test]
fn contradicting_pages_are_response_errors() {
    let mut listing = JobListing::default();
    assert_eq!(listing.absorb(page(Some(2), &[(A, "a")])), Ok(true));
    assert_eq!(
        listing
            .absorb(page(Some(2), &[(A, "b")]))
            .unwrap_err()
            .to_string(),
        format!("response: the job list names job {A} both \"a\" and \"b\"")
    );
    // The largest total any page gave is kept: three jobs under it is a contradiction.
    let mut listing = JobListing::default();
    assert_eq!(listing.absorb(page(Some(2), &[(A, "a")])), Ok(true));
    assert_eq!(listing.absorb(page(Some(1), &[(B, "b")])), Ok(false));
    assert_eq!(
        listing
            .absorb(page(Some(2), &[(C, "c")]))
            .unwrap_err()
            .to_string(),
        "response: the job list's total is 2 but 3 different jobs were listed"
    );
}

#[test]
fn a_server_that_never_stops_is_given_up_on() {
    let mut listing = JobListing::default();
    for n in 0..MAX_JOB_PAGES - 1 {
        let id = format!("{n:032}");
        assert_eq!(
            listing.absorb(page(Some(u64::MAX), &[(&id, "a")])),
            Ok(true)
        );
    }
    let err = listing
        .absorb(page(Some(u64::MAX), &[(A, "z")]))
        .unwrap_err();
    assert!(
        err.to_string().contains("after 100 pages; gave up"),
        "{err}"
    );
}

#[test]
fn the_match_is_on_the_whole_name_and_case_sensitive() {
    let jobs = [job(A, "web-api"), job(B, "Web-Api"), job(C, "web-api-2")];
    assert_eq!(
        match_job(&jobs, "web-api", &project()),
        Ok(job(A, "web-api"))
    );
    assert_eq!(
        match_job(&jobs, "Web-Api", &project()),
        Ok(job(B, "Web-Api"))
    );
    let cases = [
        (
            "WEB-API",
            "not-found: no build job in CodeArts project fedcba9876543210fedcba9876543210 is \
             named \"WEB-API\"; names are case-sensitive, and it has \"web-api\", \"Web-Api\"",
        ),
        (
            "web",
            "not-found: no build job in CodeArts project fedcba9876543210fedcba9876543210 is \
             named \"web\"; check the name and --codearts-project",
        ),
    ];
    for (name, expected) in cases {
        assert_eq!(
            match_job(&jobs, name, &project()).unwrap_err().to_string(),
            expected
        );
    }
    let twins = [job(A, "web"), job(B, "web")];
    assert_eq!(
        match_job(&twins, "web", &project())
            .unwrap_err()
            .to_string(),
        format!(
            "not-found: 2 build jobs are named \"web\" (ids {A}, {B}); pass the one to gate with --job-id"
        )
    );
}

#[test]
fn the_shipped_job_list_answers_read_alike() {
    let live = parse(include_str!(
        "../../../examples/codearts/job-list-live.json"
    ))
    .unwrap();
    let reference = parse(include_str!(
        "../../../examples/codearts/job-list-reference.json"
    ))
    .unwrap();
    assert_eq!(live, reference);
    assert_eq!(live.total, Some(2));
    assert_eq!(
        match_job(&live.jobs, "web-api", &project()).map(|j| j.id),
        Ok("8f2c1e0d4b6a49c7a1d3e5f7091b2c4d".to_string())
    );
}
