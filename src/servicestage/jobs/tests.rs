use super::*;

fn job(id: &str, name: &str) -> Job {
    Job {
        id: id.into(),
        name: name.into(),
    }
}

fn page(total: Option<u64>, jobs: &[(&str, &str)]) -> JobPage {
    JobPage {
        total,
        jobs: jobs.iter().map(|(id, name)| job(id, name)).collect(),
        ..JobPage::default()
    }
}

fn parse(json: &str) -> Result<JobPage, String> {
    parse_job_page(json.as_bytes()).map_err(|e| e.to_string())
}

#[test]
fn reads_a_page_and_ignores_unknown_fields_of_any_type() {
    let page = parse(
        r#"{"total":3,"page":1,"per_page":2,"extra":[1,{"a":null}],
            "list":[{"job_id":"id-1","job_name":"web-api","creator":{"n":1},"index":4},
                    {"job_id":"id-2","job_name":"Web_Api2","index":"4"}]}"#,
    )
    .unwrap();
    assert_eq!(
        (page.total, page.page, page.per_page),
        (Some(3), Some(1), Some(2))
    );
    assert_eq!(
        page.jobs,
        vec![job("id-1", "web-api"), job("id-2", "Web_Api2")]
    );
    assert!(parse(r#"{"total":0,"list":null}"#).unwrap().jobs.is_empty());
    assert!(parse(r#"{}"#).unwrap().jobs.is_empty());
}

#[test]
fn hostile_pages_are_response_errors_naming_field_and_index() {
    let cases = [
        ("[]", "is not what the API documents"),
        (
            r#"{"list":[["id","name"]]}"#,
            "list[0]: invalid type: sequence, expected a job object",
        ),
        (
            r#"{"list":{"job_id":"a","job_name":"b"}}"#,
            "expected a JSON list",
        ),
        (
            r#"{"list":[{"job_id":"a","job_name":"ab"},{"job_name":"cd"}]}"#,
            "list[1] has no job_id",
        ),
        (r#"{"list":[{"job_id":"a"}]}"#, "list[0] has no job_name"),
        (
            r#"{"list":[{"job_id":"","job_name":"ab"}]}"#,
            "list[0] has no job_id",
        ),
        (
            r#"{"list":[{"job_id":7,"job_name":"ab"}]}"#,
            "list[0]: job_id: invalid type: integer `7`",
        ),
        (
            r#"{"list":[{"job_id":"a","job_name":"ab\u0007"}]}"#,
            "list[0].job_name contains a control character",
        ),
        (
            r#"{"list":[{"job_id":"a\nb","job_name":"ab"}]}"#,
            "list[0].job_id contains a control character",
        ),
        (
            r#"{"list":[{"job_id":"a","job_name":"ab\u200d"}]}"#,
            "list[0].job_name contains an invisible character (U+200D)",
        ),
        (
            r#"{"list":[{"job_id":"a","job_id":"b","job_name":"ab"}]}"#,
            "list[0]: duplicate field `job_id`",
        ),
        (r#"{"total":1e400,"list":[]}"#, "number out of range"),
        (
            r#"{"total":18446744073709551616,"list":[]}"#,
            "total: invalid type: floating point",
        ),
        (
            r#"{"total":-1,"list":[]}"#,
            "total: invalid value: integer `-1`",
        ),
        (r#"{"page":"1","list":[]}"#, "page: invalid type: string"),
        (
            r#"{"list":[{"job_id":"a","job_name":"ab"}"#,
            "list[1]: EOF while parsing",
        ),
        (r#"{"total":2"#, "the job list JSON ends early"),
    ];
    for (json, expected) in cases {
        let err = parse(json).unwrap_err();
        assert!(err.starts_with("response: the job list"), "{json}: {err}");
        assert!(err.contains(expected), "{json}: {err} lacks {expected}");
    }
}

#[test]
fn job_names_follow_the_documented_pattern() {
    let good = [
        "ab",
        "a1",
        "web-api_2",
        "A-b",
        &format!("a{}", "b".repeat(63)),
    ];
    for name in good {
        assert!(is_documented_job_name(name), "{name}");
    }
    let bad = [
        "",
        "a",
        "1ab",
        "-ab",
        "_ab",
        "ab-",
        "ab_",
        "a b",
        "a.b",
        "a/b",
        "ab\n",
        "ébc",
        "##vso[x]",
        "::error::",
        &format!("a{}", "b".repeat(64)),
    ];
    for name in bad {
        assert!(!is_documented_job_name(name), "{name:?}");
    }
}

#[test]
fn paging_ends_at_total_or_when_a_page_brings_nothing_new() {
    // (pages, whether more is needed after each one)
    let cases: [(Vec<JobPage>, Vec<bool>); 5] = [
        (vec![page(Some(1), &[("a", "ab")])], vec![false]),
        (
            vec![
                page(Some(3), &[("a", "ab"), ("b", "bc")]),
                page(Some(3), &[("c", "cd")]),
            ],
            vec![true, false],
        ),
        // a server that ignores `page` repeats page 1
        (
            vec![page(Some(9), &[("a", "ab")]), page(Some(9), &[("a", "ab")])],
            vec![true, false],
        ),
        // no total: go on until a page is empty
        (
            vec![page(None, &[("a", "ab")]), page(None, &[])],
            vec![true, false],
        ),
        // later pages' totals do not move the goal
        (
            vec![
                page(Some(2), &[("a", "ab")]),
                page(Some(50), &[("b", "bc")]),
            ],
            vec![true, false],
        ),
    ];
    for (pages, expected) in cases {
        let mut list = JobList::default();
        let more: Vec<bool> = pages.into_iter().map(|p| list.absorb(p).unwrap()).collect();
        assert_eq!(more, expected);
    }
}

#[test]
fn paging_keeps_each_job_once_and_refuses_conflicting_names() {
    let mut list = JobList::default();
    list.absorb(page(Some(4), &[("a", "ab"), ("b", "bc"), ("a", "ab")]))
        .unwrap();
    list.absorb(page(Some(4), &[("b", "bc"), ("c", "cd")]))
        .unwrap();
    assert_eq!(
        list.jobs,
        vec![job("a", "ab"), job("b", "bc"), job("c", "cd")]
    );
    let err = list.absorb(page(Some(4), &[("c", "CD")])).unwrap_err();
    assert_eq!(err.kind(), "response");
    assert_eq!(
        err.message(),
        r#"the job list names job c both "cd" and "CD""#
    );
    let err = JobList::default()
        .absorb(page(None, &[("x", "ab"), ("x", "ba")]))
        .unwrap_err();
    assert!(err.message().contains("names job x both"), "{err}");
}

#[test]
fn a_total_below_the_jobs_listed_is_a_response_error() {
    // (pages, the page whose total contradicts the jobs listed so far, if any)
    let cases: [(Vec<JobPage>, Option<&str>); 5] = [
        (
            vec![page(Some(1), &[("a", "ab"), ("b", "bc")])],
            Some("the job list counts 1 job(s) on page 1 but lists 2"),
        ),
        (
            vec![page(Some(0), &[("a", "ab")])],
            Some("the job list counts 0 job(s) on page 1 but lists 1"),
        ),
        (
            vec![
                page(Some(9), &[("a", "ab"), ("b", "bc")]),
                page(Some(2), &[("c", "cd")]),
            ],
            Some("the job list counts 2 job(s) on page 2 but lists 3"),
        ),
        // a repeat is one job, not two
        (vec![page(Some(1), &[("a", "ab"), ("a", "ab")])], None),
        (vec![page(Some(2), &[("a", "ab"), ("b", "bc")])], None),
    ];
    for (pages, expected) in cases {
        let mut list = JobList::default();
        let result = pages.into_iter().try_for_each(|p| list.absorb(p).map(drop));
        match (result, expected) {
            (Ok(()), None) => {}
            (Err(err), Some(message)) => {
                assert_eq!(err.kind(), "response");
                assert!(err.message().starts_with(message), "{err}");
            }
            (got, expected) => panic!("{got:?}, expected {expected:?}"),
        }
    }
}

#[test]
fn a_job_id_is_one_url_path_segment() {
    let cases = [
        (
            "..",
            Err(r#"list[0].job_id ".." is not one URL path segment"#),
        ),
        (
            ".",
            Err(r#"list[0].job_id "." is not one URL path segment"#),
        ),
        (
            "a/b",
            Err(r#"list[0].job_id "a/b" is not one URL path segment"#),
        ),
        (
            "/",
            Err(r#"list[0].job_id "/" is not one URL path segment"#),
        ),
        (
            "../x",
            Err(r#"list[0].job_id "../x" is not one URL path segment"#),
        ),
        ("", Err("list[0] has no job_id")),
        ("...", Ok("...")),
        ("a.b", Ok("a.b")),
        ("..a", Ok("..a")),
        ("a%2Fb", Ok("a%2Fb")),
    ];
    for (id, expected) in cases {
        let json = format!(r#"{{"list":[{{"job_id":"{id}","job_name":"ab"}}]}}"#);
        let got = parse(&json);
        match (&got, expected) {
            (Ok(page), Ok(kept)) => assert_eq!(page.jobs[0].id, kept),
            (Err(err), Err(message)) => {
                assert!(err.starts_with("response: "), "{id:?}: {err}");
                assert!(err.contains(message), "{id:?}: {err}");
            }
            _ => panic!("{id:?}: {got:?}, expected {expected:?}"),
        }
    }
}

#[test]
fn a_job_list_that_never_ends_is_given_up() {
    let mut list = JobList::default();
    for n in 1..MAX_JOB_PAGES {
        let id = format!("id{n}");
        assert_eq!(list.absorb(page(None, &[(&id, "ab")])), Ok(true));
    }
    let err = list.absorb(page(None, &[("last", "ab")])).unwrap_err();
    assert!(err.message().contains("after 100 pages"), "{err}");
}

#[test]
fn exactly_one_whole_name_match_case_insensitively() {
    let jobs = [job("1", "web-api"), job("2", "Web-API-v2"), job("3", "web")];
    let cases = [
        ("web-api", "1", "web-api"),
        ("WEB-API", "1", "web-api"),
        ("web-api-V2", "2", "Web-API-v2"),
        ("Web", "3", "web"),
    ];
    for (name, id, listed) in cases {
        assert_eq!(match_job(&jobs, name), Ok(job(id, listed)), "{name}");
    }
}

#[test]
fn no_match_suggests_up_to_five_closest_names() {
    let jobs: Vec<Job> = [
        "web-apx",
        "web-api-long-name",
        "Web-apz",
        "mobile",
        "web-ap",
        "api-web",
        "WEB-APIS",
        "web-apy",
        "##vso[task.complete]",
        "a\u{85}b",
    ]
    .iter()
    .enumerate()
    .map(|(i, name)| job(&i.to_string(), name))
    .collect();
    let err = match_job(&jobs, "web-api").unwrap_err();
    assert_eq!(err.kind(), "not-found");
    assert_eq!(
        err.message(),
        "no build job is named \"web-api\"; closest existing names: \
         web-ap, WEB-APIS, web-apx, web-apy, Web-apz"
    );
    let err = match_job(&[], "web-api").unwrap_err();
    assert_eq!(err.kind(), "not-found");
    assert!(err.message().contains("no names to suggest"), "{err}");
    // server text that is no job name is never suggested
    let err = match_job(&jobs[8..], "web-api").unwrap_err();
    assert!(err.message().contains("no names to suggest"), "{err}");
}

#[test]
fn several_matches_list_the_ids_and_ask_for_job_id() {
    let jobs = [job("id-1", "web"), job("id-2", "WEB"), job("id-3", "other")];
    let err = match_job(&jobs, "Web").unwrap_err();
    assert_eq!(err.kind(), "not-found");
    assert_eq!(
        err.message(),
        "2 build jobs are named \"Web\" (ids id-1, id-2); pass the one to gate with --job-id"
    );
    let many: Vec<Job> = (0..12).map(|i| job(&format!("i{i}"), "web")).collect();
    let err = match_job(&many, "web").unwrap_err();
    assert!(err.message().contains("i9 and 2 more)"), "{err}");
}

#[test]
fn edit_distance_is_levenshtein() {
    let cases = [
        ("", "", 0),
        ("abc", "", 3),
        ("", "ab", 2),
        ("kitten", "sitting", 3),
        ("web", "bew", 2),
        ("ab", "ab", 0),
    ];
    for (a, b, d) in cases {
        assert_eq!(edit_distance(a, b), d, "{a} {b}");
        assert_eq!(edit_distance(b, a), d, "{b} {a}");
    }
}

#[test]
fn find_pages_the_filtered_list_then_asks_the_whole_list_for_a_hint() {
    type Asked = Vec<(Option<String>, u32)>;
    let serve = |pages: Vec<JobPage>, whole: Result<JobPage, Error>| {
        let mut asked: Asked = Vec::new();
        let found = find("web-api", |filter, number| {
            asked.push((filter.map(str::to_string), number));
            match filter {
                Some(_) => Ok(pages.get(number as usize - 1).cloned().unwrap_or_default()),
                None => whole.clone(),
            }
        });
        (found, asked)
    };
    let filtered = |n: u32| (Some("web-api".to_string()), n);
    let (found, asked) = serve(
        vec![
            page(Some(2), &[("1", "web-api-v2")]),
            page(Some(2), &[("2", "Web-API")]),
        ],
        Ok(JobPage::default()),
    );
    assert_eq!(found, Ok(job("2", "Web-API")));
    assert_eq!(asked, [filtered(1), filtered(2)]);
    let (found, asked) = serve(
        vec![page(Some(1), &[("1", "other")])],
        Ok(page(None, &[("3", "web-apx")])),
    );
    assert!(
        found
            .unwrap_err()
            .message()
            .contains("closest existing names: web-apx")
    );
    assert_eq!(asked, [filtered(1), (None, 1)]);
    let (found, _) = serve(
        vec![page(Some(1), &[("1", "other")])],
        Err(Error::Network("reset".into())),
    );
    assert!(
        found
            .unwrap_err()
            .message()
            .contains("closest existing names: other")
    );
    let (found, _) = serve(
        vec![page(Some(1), &[("1", "other")])],
        Ok(page(None, &[("3", "web-api")])),
    );
    assert!(
        found
            .unwrap_err()
            .message()
            .contains("closest existing names: other"),
        "a match on one page of the whole list is never judged"
    );
}

#[test]
fn ci_command_markers_are_left_for_the_renderers_to_escape() {
    let page = parse(r###"{"list":[{"job_id":"::error::x","job_name":"##vso[x]"}]}"###).unwrap();
    assert_eq!(page.jobs, vec![job("::error::x", "##vso[x]")]);
}
