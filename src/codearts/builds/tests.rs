use super::*;

const SHA: &str = "3f5e0c6a9b1d2e4f60718293a4b5c6d7e8f90a1b";

fn parse(json: &str) -> Result<BuildsPage, String> {
    parse_builds_page(json.as_bytes()).map_err(|e| e.to_string())
}

/// An answer holding `builds` (JSON objects), with counts that fit them.
fn answer(builds: &[&str]) -> String {
    format!(
        r#"{{"result":{{"page_index":"0","total_page":"1","total_record":"{}","job_build_states":[{}]}},"error":null,"status":"success"}}"#,
        builds.len(),
        builds.join(",")
    )
}

fn finished(number: u64, state: &str, extra: &str) -> String {
    format!(
        r#"{{"number":{number},"state":"{state}","job_running_status":"Finished","cost_time":100068{extra}}}"#
    )
}

#[test]
fn reads_a_page_newest_first_with_the_documented_mapping() {
    let page = parse(&format!(
        r#"{{"result":{{"page_index":"0","total_page":"2","total_record":"44","job_build_states":[
            {{"number":41,"state":"FAILURE","job_running_status":"Finished","start_time":1735689600000,
              "cost_time":61999,"build_time":5,"commit_id":"{}","code_branch":"main","executor":"x"}},
            {{"number":43,"state":"SUCCESS","job_running_status":"Running","start_time":null,"build_time":2000}},
            {{"number":42,"state":"timeout","job_running_status":"Finished","build_time":1000,
              "commit_info":{{"commit_id":"{SHA}","message":"m"}}}},
            {{"number":40,"state":"ABORTED","job_running_status":"Finished","cost_time":0,
              "commit_id":"","commit_info":null,"code_branch":null}}
        ],"extra":{{"a":[1]}}}},"error":null,"status":"success","trace":"t"}}"#,
        SHA.to_uppercase()
    ))
    .unwrap();
    assert_eq!(
        (page.page_index, page.total_page, page.total_record),
        (0, 2, 44)
    );
    let numbers: Vec<u64> = page.records.iter().map(|r| r.number).collect();
    assert_eq!(numbers, [41, 43, 42, 40], "as listed: the window sorts");
    let domain: Vec<(Build, BuildDetails)> = page
        .records
        .iter()
        .map(|r| (r.build(), r.details()))
        .collect();
    let progress: Vec<(&str, &str, Option<u64>)> = domain
        .iter()
        .map(|(b, _)| (b.id.as_str(), b.state_name(), b.seconds()))
        .collect();
    assert_eq!(
        progress,
        [
            ("41", "Failed", Some(61)),
            ("43", "Running", Some(2)),
            ("42", "Timeout", Some(1)),
            ("40", "Cancel", Some(0)),
        ]
    );
    assert!(!domain[1].0.is_finished());
    let details = &domain[0].1;
    assert_eq!(
        details,
        &BuildDetails {
            build_id: "41".into(),
            state: Some("Failed".into()),
            commit: Some(SHA.into()),
            branch: Some("main".into()),
            started_at: Some("2025-01-01 00:00:00 +0000 UTC".into()),
            ended_at: Some("2025-01-01 00:01:01 +0000 UTC".into()),
        }
    );
    assert_eq!(domain[2].1.commit.as_deref(), Some(SHA));
    // The details hold the list's own word for the state, unfinished included.
    assert_eq!(domain[1].1.state.as_deref(), Some("Running"));
    assert_eq!(
        domain[3].1,
        BuildDetails {
            build_id: "40".into(),
            state: Some("Cancel".into()),
            ..BuildDetails::default()
        }
    );
}

#[test]
fn the_running_status_decides_whether_a_build_finished() {
    let cases = [
        ("Finished", "SUCCESS", Some("Successful")),
        ("Finished", "success", Some("Successful")),
        ("Running", "SUCCESS", None),
        ("finished", "SUCCESS", None),
        ("Queued", "FAILURE", None),
        ("Running", "WHATEVER", None),
    ];
    for (running, state, expected) in cases {
        let json = answer(&[&format!(
            r#"{{"number":1,"state":"{state}","job_running_status":"{running}","cost_time":1000}}"#
        )]);
        let page = parse(&json).unwrap();
        let build = page.records[0].build();
        assert_eq!(
            build.state().map(|s| s.name()),
            expected,
            "{running} {state}"
        );
        if expected.is_none() {
            assert_eq!(build.state_name(), running);
        }
    }
}

#[test]
fn durations_are_milliseconds_reported_in_whole_seconds() {
    let cases = [
        (r#""cost_time":999"#, Ok(0)),
        (r#""cost_time":100068"#, Ok(100)),
        (r#""cost_time":100068,"build_time":5000"#, Ok(100)),
        (r#""cost_time":null,"build_time":5000"#, Ok(5)),
        (r#""build_time":315360000999"#, Ok(315_360_000)),
        (
            r#""build_time":315360001000"#,
            Err("cost_time 315360001000 ms is over ten years"),
        ),
        (
            r#""cost_time":-1"#,
            Err("cost_time: invalid value: integer `-1`"),
        ),
        (
            r#""cost_time":1.5"#,
            Err("cost_time: invalid type: floating point"),
        ),
        (
            r#""cost_time":"100""#,
            Err("cost_time: invalid type: string"),
        ),
        (
            "",
            Err("job_build_states[0] (build 7) is Failed but has no cost_time or build_time"),
        ),
    ];
    for (fields, expected) in cases {
        let comma = if fields.is_empty() { "" } else { "," };
        let json = answer(&[&format!(
            r#"{{"number":7,"state":"FAILURE","job_running_status":"Finished"{comma}{fields}}}"#
        )]);
        match (parse(&json), expected) {
            (Ok(page), Ok(seconds)) => {
                assert_eq!(page.records[0].build().seconds(), Some(seconds), "{fields}")
            }
            (Err(err), Err(expected)) => assert!(err.contains(expected), "{fields}: {err}"),
            (got, expected) => panic!("{fields}: {got:?}, expected {expected:?}"),
        }
    }
}

#[test]
fn builds_the_rules_cannot_trust_are_response_errors_naming_field_and_index() {
    let cases = [
        (
            r#"{"state":"SUCCESS","job_running_status":"Finished","cost_time":1}"#,
            "job_build_states[0] has no number",
        ),
        (
            r#"{"number":"7","job_running_status":"Finished"}"#,
            "number: invalid type: string \"7\"",
        ),
        (
            r#"{"number":-7,"job_running_status":"Finished"}"#,
            "number: invalid value: integer `-7`",
        ),
        (
            r#"{"number":7.5,"job_running_status":"Finished"}"#,
            "number: invalid type: floating point",
        ),
        (
            r#"{"number":7,"state":"SUCCESS","cost_time":1}"#,
            "job_build_states[0] (build 7) has no job_running_status",
        ),
        (
            r#"{"number":7,"job_running_status":"Finished","cost_time":1}"#,
            "(build 7) is Finished but has no state",
        ),
        (
            r#"{"number":7,"state":"UNSTABLE","job_running_status":"Finished","cost_time":1}"#,
            "(build 7) is Finished with state \"UNSTABLE\", which the gate does not know",
        ),
        (
            r#"{"number":7,"state":"SUCCESS ","job_running_status":"Finished","cost_time":1}"#,
            "with state \"SUCCESS \", which the gate does not know",
        ),
        (
            r#"{"number":7,"state":"SUCCESS","job_running_status":"Run\u202ening"}"#,
            "(build 7).job_running_status contains an invisible character (U+202E)",
        ),
        (
            r#"{"number":7,"state":"SUC\nCESS","job_running_status":"Running"}"#,
            "(build 7).state contains a control character",
        ),
        (
            r#"{"number":7,"state":"SUCCESS","job_running_status":"Finished","cost_time":1,"code_branch":"ma\u2028in"}"#,
            "(build 7).code_branch contains an invisible character (U+2028)",
        ),
        (
            r#"{"number":7,"state":"SUCCESS","job_running_status":"Finished","cost_time":1,"commit_id":"abc\u0000"}"#,
            "(build 7).commit_id contains a control character",
        ),
        (
            r#"{"number":7,"state":"SUCCESS","job_running_status":"Finished","cost_time":1,"commit_id":"xyz1234"}"#,
            "commit_id \"xyz1234\" is not a hex commit id",
        ),
        (
            r#"{"number":7,"state":"SUCCESS","job_running_status":"Finished","cost_time":1,"commit_id":"abc1234","commit_info":{"commit_id":"abc1235"}}"#,
            "(build 7): commit_id \"abc1234\" and commit_info.commit_id \"abc1235\" differ",
        ),
        (
            r#"{"number":7,"commit_info":"abc"}"#,
            "commit_info: invalid type: string \"abc\", expected a commit_info object",
        ),
        (
            r#"{"number":7,"start_time":"1735689600000"}"#,
            "start_time: invalid type: string",
        ),
        (r#"{"number":7,"number":8}"#, "duplicate field `number`"),
        (
            r#"{"number":7,"state":"SUCCESS","state":"FAILURE"}"#,
            "duplicate field `state`",
        ),
        (
            r#"["number",7]"#,
            "invalid type: sequence, expected a build object",
        ),
    ];
    for (build, expected) in cases {
        let err = parse(&answer(&[build])).unwrap_err();
        assert!(err.starts_with("response: "), "{build}: {err}");
        assert!(err.contains(expected), "{build}: {err} lacks {expected}");
    }
}

#[test]
fn commits_from_either_field_agree_in_any_case() {
    let cases = [
        (format!(r#","commit_id":"{SHA}""#), Some(SHA)),
        (
            format!(r#","commit_info":{{"commit_id":"{SHA}"}}"#),
            Some(SHA),
        ),
        (
            format!(
                r#","commit_id":"{SHA}","commit_info":{{"commit_id":"{}"}}"#,
                SHA.to_uppercase()
            ),
            Some(SHA),
        ),
        (
            r#","commit_id":" ","commit_info":{"commit_id":null}"#.to_string(),
            None,
        ),
        (
            format!(r#","commit_id":"{}""#, "a".repeat(64)),
            Some(&*"a".repeat(64)),
        ),
    ];
    for (fields, expected) in cases {
        let page = parse(&answer(&[&finished(1, "SUCCESS", &fields)])).unwrap();
        assert_eq!(page.records[0].commit.as_deref(), expected, "{fields}");
    }
    let err = parse(&answer(&[&finished(
        1,
        "SUCCESS",
        &format!(r#","commit_id":"{}""#, "a".repeat(65)),
    )]))
    .unwrap_err();
    assert!(err.contains("is not a hex commit id"), "{err}");
}

#[test]
fn counts_are_strings_of_digits() {
    let with = |page_index: &str, total_page: &str, total_record: &str| {
        format!(
            r#"{{"result":{{"page_index":{page_index},"total_page":{total_page},"total_record":{total_record},"job_build_states":[{}]}},"status":"success"}}"#,
            finished(1, "SUCCESS", "")
        )
    };
    assert!(parse(&with(r#""3""#, r#""4""#, r#""301""#)).is_ok());
    let cases = [
        (
            with("0", r#""1""#, r#""1""#),
            "page_index: invalid type: integer `0`, expected a string",
        ),
        (
            with(r#""0""#, "1", r#""1""#),
            "total_page: invalid type: integer `1`",
        ),
        (
            with(r#""0""#, r#""1""#, r#""1.0""#),
            "result.total_record \"1.0\" is not a string of digits",
        ),
        (
            with(r#""0""#, r#""1""#, r#""-1""#),
            "result.total_record \"-1\" is not a string of digits",
        ),
        (
            with(r#""0""#, r#""1""#, r#""+1""#),
            "result.total_record \"+1\" is not a string of digits",
        ),
        (
            with(r#""0""#, r#""1""#, r#""""#),
            "result.total_record \"\" is not a string of digits",
        ),
        (
            with(r#""0""#, r#""1""#, r#""99999999999999999999""#),
            "is not a string of digits",
        ),
        (
            with(r#""0""#, r#""1""#, "null"),
            "the build list: result has no total_record",
        ),
    ];
    for (json, expected) in cases {
        let err = parse(&json).unwrap_err();
        assert!(err.starts_with("response: "), "{json}: {err}");
        assert!(err.contains(expected), "{json}: {err} lacks {expected}");
    }
}

#[test]
fn an_answer_that_says_it_failed_or_has_no_result_is_an_error() {
    let cases = [
        (
            r#"{"result":null,"error":{"error_code":"CB.00031105","error_msg":"span over 31 days"},"status":"fail"}"#,
            "http: HTTP 200 CB.00031105: the build list came with HTTP 200 but reports an error: span over 31 days",
        ),
        (
            r#"{"result":{"page_index":"0","total_page":"0","total_record":"0","job_build_states":[]},"status":"fail"}"#,
            "response: the build list has status \"fail\" and no error object (expected \"success\")",
        ),
        (
            r#"{"result":{"page_index":"0","total_page":"0","total_record":"0"}}"#,
            "response: the build list has no status",
        ),
        (
            r#"{"error":null,"status":"success"}"#,
            "response: the build list has no result",
        ),
        (
            r#"{"result":[],"status":"success"}"#,
            "expected a build list result object",
        ),
        (
            r#"{"status":"success","status":"success"}"#,
            "duplicate field `status`",
        ),
        (
            r#"{"error_code":"CB.00060211","error_msg":"too frequent"}"#,
            "response: the build list has no status",
        ),
        ("<html>", "the build list is not valid JSON"),
        ("[]", "the build list is not what the API documents"),
    ];
    for (json, expected) in cases {
        let err = parse(json).unwrap_err();
        assert!(err.contains(expected), "{json}: {err}");
    }
}

#[test]
fn an_empty_window_has_no_builds() {
    for list in [
        r#","job_build_states":[]"#,
        r#","job_build_states":null"#,
        "",
    ] {
        let json = format!(
            r#"{{"result":{{"page_index":"0","total_page":"0","total_record":"0"{list}}},"error":null,"status":"success"}}"#
        );
        assert_eq!(parse(&json).unwrap().records, vec![], "{list}");
    }
}

/// A fixture of the fake server (`{"jobs", "list"}`) served as one page of builds.
fn fixture_page(fixture: &str) -> BuildsPage {
    let fixture: serde_json::Value = serde_json::from_str(fixture).unwrap();
    let list = &fixture["list"];
    let answer = serde_json::json!({
        "result": {
            "page_index": "0",
            "total_page": "1",
            "total_record": list.as_array().unwrap().len().to_string(),
            "job_build_states": list,
        },
        "error": null,
        "status": "success",
    });
    parse(&answer.to_string()).unwrap()
}

#[test]
fn the_shipped_fixtures_are_builds_the_gate_reads() {
    let cases = [
        (
            include_str!("../../../examples/codearts/passing.json"),
            12,
            "Successful",
        ),
        (
            include_str!("../../../examples/codearts/failing.json"),
            10,
            "Failed",
        ),
        (
            include_str!("../../../examples/codearts/unfinished.json"),
            9,
            "Running",
        ),
        (
            include_str!("../../../examples/codearts/windows.json"),
            13,
            "Successful",
        ),
    ];
    for (fixture, builds, newest) in cases {
        let page = fixture_page(fixture);
        assert_eq!(page.records.len(), builds);
        let newest_first = page.records.iter().max_by_key(|r| r.number).unwrap();
        let (build, details) = (newest_first.build(), newest_first.details());
        assert_eq!(build.state_name(), newest);
        assert!(
            details.commit.is_some() && details.branch.is_some() && details.started_at.is_some()
        );
    }
}
