use super::*;

const TOKEN: &str = "tok-SECRET-4f1d9a7c";

fn context(secrets: &Secrets) -> Context<'_> {
    Context {
        signed: false,
        retries: 3,
        secrets,
        now: humantime::parse_rfc3339("2026-11-28T12:00:00Z").unwrap(),
    }
}

/// What a case must come out as: `None` for accepted, else the error's parts.
#[derive(Debug, PartialEq)]
struct Seen {
    kind: &'static str,
    status: Option<u16>,
    code: Option<String>,
    request_id: Option<String>,
    retry: Retry,
}

fn seen(response: &Response) -> (Option<Seen>, String) {
    let secrets = Secrets::new([TOKEN]);
    match classify(response, &context(&secrets)) {
        Ok(()) => (None, String::new()),
        Err(Failure { error, retry }) => {
            let failure = error.http_failure();
            let seen = Seen {
                kind: error.kind(),
                status: failure.map(|f| f.status),
                code: failure.and_then(|f| f.code.clone()),
                request_id: failure.and_then(|f| f.request_id.clone()),
                retry,
            };
            (Some(seen), error.message().to_string())
        }
    }
}

fn failed(
    kind: &'static str,
    status: Option<u16>,
    code: Option<&str>,
    retry: Retry,
) -> Option<Seen> {
    Some(Seen {
        kind,
        status,
        code: code.map(str::to_string),
        request_id: None,
        retry,
    })
}

#[test]
fn responses_classified() {
    let page = br#"{"list":[]}"#;
    let echoed = format!(r#"{{"list":[{{"build_id":"{TOKEN}"}}]}}"#);
    let html = b"<html><h1>502 Bad Gateway</h1></html>";
    let throttled =
        br#"{"error_code":"APIG.0308","error_msg":"The throttling threshold has been reached"}"#;
    // name, response, outcome, a part of the message
    type Case<'a> = (&'a str, Response<'a>, Option<Seen>, &'a str);
    let cases: Vec<Case> = vec![
        (
            "200 page",
            Response {
                status: 200,
                body: page,
                ..Response::default()
            },
            None,
            "",
        ),
        (
            "200 identity",
            Response {
                status: 200,
                content_encoding: Some("Identity"),
                body: page,
                ..Response::default()
            },
            None,
            "",
        ),
        (
            "200 gzip unasked",
            Response {
                status: 200,
                content_encoding: Some("gzip"),
                body: page,
                ..Response::default()
            },
            failed("response", None, None, Retry::Never),
            "Content-Encoding gzip",
        ),
        (
            "200 echoing the token",
            Response {
                status: 200,
                body: echoed.as_bytes(),
                ..Response::default()
            },
            failed("response", None, None, Retry::Never),
            "echoed a credential",
        ),
        (
            "206",
            Response {
                status: 206,
                body: page,
                ..Response::default()
            },
            failed("http", Some(206), None, Retry::Never),
            "only 200 carries",
        ),
        (
            "205",
            Response {
                status: 205,
                ..Response::default()
            },
            failed("http", Some(205), None, Retry::Never),
            "HTTP 205 is not a complete answer",
        ),
        (
            "204",
            Response {
                status: 204,
                ..Response::default()
            },
            failed("http", Some(204), None, Retry::Never),
            "only 200",
        ),
        (
            "401 error_code",
            Response {
                status: 401,
                body: br#"{"error_code":"APIGW.0301","error_msg":"bad token"}"#,
                ..Response::default()
            },
            failed("auth", Some(401), Some("APIGW.0301"), Retry::Never),
            "bad token (the token was refused",
        ),
        (
            "403 errorCode",
            Response {
                status: 403,
                body: br#"{"errorCode":"SVCSTG.00100403","errorMsg":"no permission"}"#,
                ..Response::default()
            },
            failed("auth", Some(403), Some("SVCSTG.00100403"), Retry::Never),
            "no permission (the credentials",
        ),
        (
            "404 code/message",
            Response {
                status: 404,
                body: br#"{"code":404,"message":"no job"}"#,
                ..Response::default()
            },
            failed("http", Some(404), Some("404"), Retry::Never),
            "no job (not found",
        ),
        (
            "502 html",
            Response {
                status: 502,
                body: html,
                ..Response::default()
            },
            failed("http", Some(502), None, Retry::After(None)),
            "the API failed, still after 3 retries",
        ),
        (
            "503 gzip body unread",
            Response {
                status: 503,
                content_encoding: Some("br"),
                ..Response::default()
            },
            failed("http", Some(503), None, Retry::After(None)),
            "the API failed",
        ),
        (
            "429 Retry-After seconds",
            Response {
                status: 429,
                retry_after: Some("7"),
                body: throttled,
                ..Response::default()
            },
            failed(
                "http",
                Some(429),
                Some("APIG.0308"),
                Retry::Throttled(Some(Duration::from_secs(7))),
            ),
            "throttled by the API gateway",
        ),
        (
            "429 Retry-After date",
            Response {
                status: 429,
                retry_after: Some("Sat, 28 Nov 2026 12:00:30 GMT"),
                ..Response::default()
            },
            failed(
                "http",
                Some(429),
                None,
                Retry::After(Some(Duration::from_secs(30))),
            ),
            "rate limited",
        ),
        (
            "503 Retry-After capped",
            Response {
                status: 503,
                retry_after: Some("3600"),
                ..Response::default()
            },
            failed("http", Some(503), None, Retry::After(Some(RETRY_AFTER_MAX))),
            "the API failed",
        ),
        (
            "429 Retry-After unreadable",
            Response {
                status: 429,
                retry_after: Some("soon"),
                ..Response::default()
            },
            failed("http", Some(429), None, Retry::After(None)),
            "rate limited",
        ),
        (
            "302 Location shown",
            Response {
                status: 302,
                location: Some("https://elsewhere.test/x"),
                ..Response::default()
            },
            failed("http", Some(302), None, Retry::Never),
            "redirect to https://elsewhere.test/x",
        ),
        (
            "400 APIG.0308 throttled",
            Response {
                status: 400,
                body: throttled,
                ..Response::default()
            },
            failed("http", Some(400), Some("APIG.0308"), Retry::Throttled(None)),
            "throttled by the API gateway, still after 3 retries",
        ),
        (
            "400 CB.00060211: CodeArts Build's throttling",
            Response {
                status: 400,
                body: br#"{"error_code":"CB.00060211","error_msg":"Requests are too frequent."}"#,
                ..Response::default()
            },
            failed(
                "http",
                Some(400),
                Some("CB.00060211"),
                Retry::Throttled(None),
            ),
            "Requests are too frequent. (throttled by the API gateway, still after 3 retries)",
        ),
        (
            "400 CB.00060212 is not throttling",
            Response {
                status: 400,
                body: br#"{"error_code":"CB.00060212","error_msg":"x"}"#,
                ..Response::default()
            },
            failed("http", Some(400), Some("CB.00060212"), Retry::Never),
            "unexpected HTTP status 400",
        ),
        (
            "403 APIGW.0308 with Retry-After",
            Response {
                status: 403,
                retry_after: Some("5"),
                body: br#"{"errorCode":"apigw.0308","errorMsg":"throttled"}"#,
                ..Response::default()
            },
            failed(
                "http",
                Some(403),
                Some("apigw.0308"),
                Retry::Throttled(Some(Duration::from_secs(5))),
            ),
            "throttled (throttled by the API gateway",
        ),
        (
            "200 APIG.0308 body",
            Response {
                status: 200,
                body: throttled,
                ..Response::default()
            },
            failed("http", Some(200), Some("APIG.0308"), Retry::Throttled(None)),
            "throttled by the API gateway",
        ),
        (
            "500 APIG.0309 is not throttling",
            Response {
                status: 500,
                body: br#"{"error_code":"APIG.0309","error_msg":"x"}"#,
                ..Response::default()
            },
            failed("http", Some(500), Some("APIG.0309"), Retry::After(None)),
            "the API failed",
        ),
        (
            "418",
            Response {
                status: 418,
                ..Response::default()
            },
            failed("http", Some(418), None, Retry::Never),
            "unexpected HTTP status 418",
        ),
    ];
    for (name, response, outcome, needle) in cases {
        let (got, message) = seen(&response);
        assert_eq!(got, outcome, "{name}");
        assert!(
            message.contains(needle),
            "{name}: {message:?} lacks {needle:?}"
        );
    }
}

#[test]
fn the_request_id_is_its_own_field_and_only_a_plain_token() {
    for (sent, kept) in [
        ("req-77", Some("req-77")),
        ("a b", None),
        ("::error::x", None),
        (TOKEN, None),
    ] {
        let response = Response {
            status: 500,
            request_id: Some(sent),
            ..Response::default()
        };
        let secrets = Secrets::new([TOKEN]);
        let error = classify(&response, &context(&secrets)).unwrap_err().error;
        let failure = error.http_failure().unwrap();
        assert_eq!(failure.request_id.as_deref(), kept, "{sent}");
        assert!(!failure.message.contains(sent), "{}", failure.message);
    }
}

#[test]
fn error_text_echoing_a_credential_is_withheld_whole() {
    let long = format!("{}{TOKEN}", "x".repeat(490));
    let split =
        serde_json::json!({"error_code": &TOKEN[..9], "error_msg": &TOKEN[9..]}).to_string();
    let escaped = r#"{"error_code":"APIGW.0301","error_msg":"token tok-SECRET\u002d4f1d9a7c"}"#;
    let location = format!("https://elsewhere.test/?t={TOKEN}");
    // every character escaped three times over inside the JSON string: the body check
    // undoes three rounds, the message's one more
    let deep: String = TOKEN
        .chars()
        .map(|c| format!("\\\\u005cu005cu{:04x}", c as u32))
        .collect();
    let bodies = [
        format!(r#"{{"error_code":"APIGW.0301","error_msg":"{deep}"}}"#),
        serde_json::json!({"error_code": "APIGW.0301", "error_msg": long}).to_string(),
        split,
        escaped.to_string(),
        serde_json::json!({"error_code": TOKEN, "error_msg": "bad"}).to_string(),
        serde_json::json!({"error_msg": "bad", "detail": TOKEN}).to_string(),
    ];
    let mut responses: Vec<Response> = bodies
        .iter()
        .map(|b| Response {
            status: 401,
            body: b.as_bytes(),
            ..Response::default()
        })
        .collect();
    responses.push(Response {
        status: 302,
        location: Some(&location),
        ..Response::default()
    });
    for response in responses {
        let (_, message) = seen(&response);
        assert!(message.contains(WITHHELD), "{message}");
        for part in ["SECRET", "4f1d9a7c"] {
            assert!(!message.contains(part), "{message}");
        }
        let secrets = Secrets::new([TOKEN]);
        let error = classify(&response, &context(&secrets)).unwrap_err().error;
        assert!(!format!("{error}").contains("SECRET"), "{error}");
    }
}

#[test]
fn server_text_is_one_line_without_control_characters_and_cut() {
    assert_eq!(
        one_line("a\n::add-mask::x\x1b[31m\0 b"),
        "a ::add-mask::x [31m b"
    );
    let cut = one_line(&"é".repeat(600));
    assert_eq!(cut.chars().count(), 500 + 3);
    assert!(cut.ends_with("..."));
}

#[test]
fn retry_after_takes_seconds_and_http_dates() {
    let now = humantime::parse_rfc3339("2026-11-28T12:00:00Z").unwrap();
    let cases = [
        ("1", Some(1)),
        (" 120 ", Some(120)),
        ("Sat, 28 Nov 2026 12:00:30 GMT", Some(30)),
        ("Sat, 28 Nov 2026 11:00:00 GMT", Some(0)),
        ("soon", None),
        ("-1", None),
    ];
    for (value, seconds) in cases {
        assert_eq!(
            parse_retry_after(value, now),
            seconds.map(Duration::from_secs),
            "{value}"
        );
    }
}

/// Each spelling of the code and message; a number is its text; any other value, or a
/// body that is no object, says nothing, and the other field still counts.
#[test]
fn error_bodies_are_read_in_every_spelling_and_value() {
    let cases: [(&str, Option<&str>, Option<&str>); 12] = [
        (
            r#"{"error_code":"A.1","error_msg":"m"}"#,
            Some("A.1"),
            Some("m"),
        ),
        (
            r#"{"errorCode":"A.2","errorMsg":"m"}"#,
            Some("A.2"),
            Some("m"),
        ),
        (r#"{"code":"A.3","message":"m"}"#, Some("A.3"), Some("m")),
        (r#"{"code":401,"message":"m"}"#, Some("401"), Some("m")),
        (r#"{"code":-1,"message":"m"}"#, Some("-1"), Some("m")),
        (r#"{"code":1.5,"message":"m"}"#, Some("1.5"), Some("m")),
        (r#"{"code":[1,[2]],"message":"m"}"#, None, Some("m")),
        (r#"{"code":{"a":{"b":1}},"message":"m"}"#, None, Some("m")),
        (r#"{"code":true,"message":null}"#, None, None),
        (r#"{"code":"","message":"m"}"#, None, Some("m")),
        (r#"{"code":"A","code":"B"}"#, None, None),
        ("<html>502</html>", None, None),
    ];
    for (body, code, message) in cases {
        assert_eq!(
            error_body(body.as_bytes()),
            (code.map(str::to_string), message.map(str::to_string)),
            "{body}"
        );
    }
}

#[test]
fn a_refused_signature_says_what_to_check() {
    let secrets = Secrets::new([TOKEN]);
    let response = Response {
        status: 401,
        ..Response::default()
    };
    let signed = Context {
        signed: true,
        ..context(&secrets)
    };
    let failure = classify(&response, &signed).unwrap_err();
    assert!(
        failure.error.message().starts_with(
            "the signature was refused: check that HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK"
        ),
        "{}",
        failure.error
    );
    let token = classify(&response, &context(&secrets)).unwrap_err();
    assert!(
        token.error.message().starts_with("the token was refused"),
        "{}",
        token.error
    );
}
