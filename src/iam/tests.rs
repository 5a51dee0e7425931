use super::*;

fn login(scope: ProjectScope) -> IamLogin {
    IamLogin {
        endpoint: Endpoint::parse("http://127.0.0.1:9/iam").unwrap(),
        scope,
    }
}

fn body(request: &Request) -> serde_json::Value {
    serde_json::from_str(request.body.as_deref().unwrap()).unwrap()
}

fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn id_token_exchange_request() {
    let jwt = Secret::header("eyJ.a\"b.c").unwrap();
    let cases = [
        (
            ProjectScope::Id("p1".into()),
            serde_json::json!({"project": {"id": "p1"}}),
        ),
        (
            ProjectScope::Name("cn-north-4".into()),
            serde_json::json!({"project": {"name": "cn-north-4"}}),
        ),
    ];
    for (scope, expected_scope) in cases {
        let idp = HeaderValue::parse("github-idp").unwrap();
        let request = id_token_exchange(&login(scope), &idp, &jwt);
        assert_eq!(request.method, "POST");
        assert_eq!(
            request.url(),
            "http://127.0.0.1:9/iam/v3.0/OS-AUTH/id-token/tokens"
        );
        assert_eq!(header(&request, "X-Idp-Id"), Some("github-idp"));
        assert_eq!(header(&request, "Content-Type"), Some(CONTENT_TYPE));
        assert_eq!(
            body(&request),
            serde_json::json!({"auth": {
                "id_token": {"id": "eyJ.a\"b.c"},
                "scope": expected_scope,
            }})
        );
    }
}

#[test]
fn password_login_request_escapes_the_password() {
    let password = Secret::new("p\"w\\d\n{}".into());
    let request = password_login(
        &login(ProjectScope::Name("eu-west-101".into())),
        "ci-bot",
        "acme",
        &password,
    );
    assert_eq!(
        (request.method, request.url().as_str()),
        (
            "POST",
            "http://127.0.0.1:9/iam/v3/auth/tokens?nocatalog=true"
        )
    );
    assert_eq!(
        body(&request),
        serde_json::json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": "ci-bot", "password": "p\"w\\d\n{}", "domain": {"name": "acme"},
            }}},
            "scope": {"project": {"name": "eu-west-101"}},
        }})
    );
}

#[test]
fn github_request_appends_the_audience() {
    let token = Secret::header("runner-token").unwrap();
    let cases = [
        (
            "https://pipelines.actions.githubusercontent.com/abc/idtoken?api-version=2.0",
            "iam.myhuaweicloud.com",
            "https://pipelines.actions.githubusercontent.com/abc/idtoken?api-version=2.0&audience=iam.myhuaweicloud.com",
        ),
        (
            "http://127.0.0.1:8080/token",
            "api://a b&c",
            "http://127.0.0.1:8080/token?audience=api%3A%2F%2Fa%20b%26c",
        ),
        (
            "http://localhost:1",
            "aud",
            "http://localhost:1/?audience=aud",
        ),
    ];
    for (url, audience, expected) in cases {
        let url = GithubTokenUrl::parse(url).unwrap();
        let request = github_id_token_request(&url, &token, audience);
        assert_eq!((request.method, request.url().as_str()), ("GET", expected));
        assert_eq!(
            header(&request, "Authorization"),
            Some("Bearer runner-token")
        );
        assert!(request.body.is_none());
    }
}

#[test]
fn requests_hide_their_secrets() {
    let url = GithubTokenUrl::parse("https://gh.example/t?sig=runner-query").unwrap();
    let github = github_id_token_request(&url, &Secret::header("RUNNER").unwrap(), "aud");
    let login = login(ProjectScope::Id("p".into()));
    let password = password_login(&login, "u", "d", &Secret::new("PASSWORD".into()));
    let idp = HeaderValue::parse("idp").unwrap();
    let exchange = id_token_exchange(&login, &idp, &Secret::header("JWT").unwrap());
    assert_eq!(
        format!("{exchange:?}"),
        "Request { method: \"POST\", url: \"http://127.0.0.1:9/iam/v3.0/OS-AUTH/id-token/tokens\", \
         headers: [\"Content-Type\", \"X-Idp-Id\"], body: Some(\"<hidden>\") }"
    );
    assert_eq!(github.log_url(), "https://gh.example/t");
    for request in [github, password, exchange] {
        let shown = format!("{request:?} {}", request.log_url());
        for secret in ["RUNNER", "PASSWORD", "JWT", "runner-query"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}

#[test]
fn subject_token_from_the_header() {
    let step = Step::PasswordLogin;
    assert_eq!(
        subject_token(step, 201, Some(" MIIabc+/= "), |_| false).unwrap(),
        Secret::header("MIIabc+/=").unwrap()
    );
    assert_eq!(
        subject_token(step, 200, Some("MII"), |_| false).unwrap(),
        Secret::header("MII").unwrap()
    );
    let longest = "M".repeat(MAX_TOKEN_LEN);
    assert_eq!(
        subject_token(step, 201, Some(&longest), |_| false).unwrap(),
        Secret::header(&longest).unwrap()
    );
    let long = "M".repeat(MAX_TOKEN_LEN + 1);
    let cases = [
        (201, None, "without an X-Subject-Token header"),
        (201, Some(""), "not a token"),
        (201, Some("MII\u{1b}[31m"), "not a token"),
        (201, Some("two words"), "not a token"),
        (201, Some("MII%0A::warning::x"), "not a token"),
        (201, Some("MII##vso[x]"), "not a token"),
        (201, Some(long.as_str()), "not a token"),
        (204, Some("MII"), "HTTP 204, not 201 Created"),
    ];
    for (status, header, expected) in cases {
        match subject_token(step, status, header, |_| false) {
            Err(Error::Response(m)) => assert!(m.contains(expected), "{m}"),
            other => panic!("{status} {header:?}: {other:?}"),
        }
    }
}

#[test]
fn github_id_token_body() {
    assert_eq!(
        parse_github_id_token(br#"{"value":"eyJ.x.y","count":1}"#).unwrap(),
        Secret::header("eyJ.x.y").unwrap()
    );
    let bad: [&[u8]; 8] = [
        br#"["eyJ"]"#,
        br#"{"value":""}"#,
        br#"{"value":42}"#,
        br#"{"value":"eyJ\n.x"}"#,
        br#"{"Value":"eyJ"}"#,
        br#"{"value":" eyJ.x.y"}"#,
        b"eyJ.x.y",
        b"\xff",
    ];
    for body in bad {
        assert!(
            matches!(parse_github_id_token(body), Err(Error::Response(_))),
            "{body:?}"
        );
    }
}

#[test]
fn id_token_file_text() {
    assert_eq!(
        id_token_from_file("eyJ.x.y\n", "/t").unwrap(),
        Secret::header("eyJ.x.y").unwrap()
    );
    for text in ["", "\n", "a b", "eyJ\u{0}"] {
        assert!(
            matches!(id_token_from_file(text, "/t"), Err(Error::Usage(m)) if m.starts_with("HUAWEICLOUD_SDK_ID_TOKEN_FILE")),
            "{text:?}"
        );
    }
}

#[test]
fn failures_say_which_step_and_what_to_check() {
    let cases = [
        (
            Step::IdTokenRequest,
            403,
            "GitHub Actions ID token request",
            "permissions: id-token: write",
        ),
        (
            Step::TokenExchange,
            404,
            "exchange of the OIDC ID token",
            "HUAWEICLOUD_SDK_IDP_ID: no identity provider with that id",
        ),
        (
            Step::TokenExchange,
            401,
            "exchange of the OIDC ID token",
            "mapping rule",
        ),
        (
            Step::TokenExchange,
            400,
            "exchange",
            "audience (--oidc-audience)",
        ),
        (Step::TokenExchange, 403, "exchange", "project scope"),
        (Step::PasswordLogin, 401, "password login", "--iam-domain"),
        (Step::PasswordLogin, 400, "password login", "project scope"),
        (
            Step::PasswordLogin,
            503,
            "password login",
            "try again later",
        ),
    ];
    for (step, status, which, check) in cases {
        let error = failure(step, status, Some("IAM.0101"), Some("The request\nis bad"));
        assert_eq!(error.kind(), "auth");
        let failure = error.http_failure().unwrap();
        assert_eq!(
            (failure.status, failure.code.as_deref()),
            (status, Some("IAM.0101"))
        );
        let message = &failure.message;
        assert!(message.contains(which), "{message}");
        assert!(message.contains(check), "{message}");
        assert!(message.contains("(The request is bad)"), "{message}");
    }
    let quiet = failure(Step::PasswordLogin, 401, None, None);
    assert!(
        quiet
            .message()
            .starts_with("the IAM password login was refused: check")
    );
}

#[test]
fn expired_token_answers() {
    let cases = [
        (
            401,
            Some(
                "Incorrect IAM authentication information: token expires, expires_at: 2026-11-28T20:00:00Z",
            ),
            true,
        ),
        (401, Some("The token has EXPIRED"), true),
        (
            401,
            Some("Incorrect IAM authentication information: decrypt token fail"),
            false,
        ),
        (401, None, false),
        (403, Some("token expires"), false),
    ];
    for (status, message, expected) in cases {
        assert_eq!(
            is_expired_token(status, message),
            expected,
            "{status} {message:?}"
        );
    }
}

#[test]
fn a_subject_token_holding_a_credential_is_an_auth_error_before_any_other_check() {
    let holds = |text: &str| text.contains("PASSWORD");
    for step in [Step::PasswordLogin, Step::TokenExchange] {
        // refused even where it would not be a token: the credential is never shown
        for header in ["PASSWORD", "MIIa-PASSWORD-b", "PASSWORD with spaces"] {
            let error = subject_token(step, 201, Some(header), holds).unwrap_err();
            assert_eq!(error.kind(), "auth", "{header}");
            assert_eq!(error.http_failure().unwrap().status, 201);
            let message = error.message();
            assert!(
                message.starts_with(&format!("{} answered with an X-Subject-Token", step.what())),
                "{message}"
            );
            assert!(
                message.contains("holds a configured credential"),
                "{message}"
            );
            assert!(!message.contains("PASSWORD"), "{message}");
        }
        assert_eq!(
            subject_token(step, 201, Some("MIIok"), holds).unwrap(),
            Secret::header("MIIok").unwrap()
        );
    }
    // the status and the header's presence come first: nothing to check without a token
    let never = |_: &str| panic!("no token to check");
    assert_eq!(
        subject_token(Step::PasswordLogin, 204, Some("x"), never)
            .unwrap_err()
            .kind(),
        "response"
    );
    assert_eq!(
        subject_token(Step::PasswordLogin, 201, None, never)
            .unwrap_err()
            .kind(),
        "response"
    );
}

#[test]
fn an_id_token_answer_holding_a_credential_says_so() {
    let error = echoed_credential(Step::IdTokenRequest, 200);
    assert_eq!(
        (error.kind(), error.http_failure().unwrap().status),
        ("auth", 200)
    );
    assert!(
        error
            .message()
            .starts_with("the GitHub Actions ID token request answered with an answer that holds"),
        "{error}"
    );
}

#[test]
fn a_redirect_names_the_url_and_what_to_fix_for_each_step() {
    let cases = [
        (
            Step::IdTokenRequest,
            "ACTIONS_ID_TOKEN_REQUEST_URL must be GitHub's token service itself, as the runner \
             sets it",
        ),
        (Step::TokenExchange, "point --iam-endpoint at IAM itself"),
        (Step::PasswordLogin, "point --iam-endpoint at IAM itself"),
    ];
    for (step, fix) in cases {
        let error = redirected(step, 302, "https://host.example/path");
        assert_eq!(error.kind(), "http");
        let failure = error.http_failure().unwrap();
        assert_eq!((failure.status, failure.code.as_deref()), (302, None));
        assert_eq!(
            failure.message,
            format!(
                "{} answered with a redirect from https://host.example/path, which is not \
                 followed so that credentials stay with that origin; {fix}",
                step.what()
            )
        );
    }
}
