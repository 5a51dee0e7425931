#![allow(clippy::disallowed_methods, reason = "a loopback server")]

use super::*;
use crate::secret::{GithubTokenUrl, IamLogin, IdTokenSource, ProjectScope};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

/// Answers `replies` in turn on one kept-alive connection; returns the URL and the
/// request heads and bodies it saw.
fn serve(replies: Vec<&'static str>) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut writer = stream;
        let mut seen = Vec::new();
        for reply in replies {
            seen.push(read_request(&mut reader));
            writer.write_all(reply.as_bytes()).unwrap();
        }
        seen
    });
    (url, seen)
}

/// One request's head and body.
fn read_request(reader: &mut impl BufRead) -> String {
    let mut head = String::new();
    while !head.ends_with("\r\n\r\n") {
        reader.read_line(&mut head).unwrap();
    }
    let length = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(str::to_string)
        })
        .map_or(0, |n| n.trim().parse().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    format!("{head}{}", String::from_utf8(body).unwrap())
}

/// Answers `replies` in turn, one request per connection, on as many connections as come.
fn serve_each(replies: Vec<&'static str>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for (reply, stream) in replies.into_iter().zip(listener.incoming()) {
            let mut stream = stream.unwrap();
            read_request(&mut BufReader::new(stream.try_clone().unwrap()));
            stream.write_all(reply.as_bytes()).unwrap();
        }
    });
    url
}

fn api(url: &str, retries: u32) -> Settings {
    Settings {
        endpoint: Endpoint::parse(url).unwrap(),
        project_id: None,
        credentials: Credentials::Token(Secret::header("tok-SECRET-4f1d9a7c").unwrap()),
        timeout: Duration::from_secs(5),
        retries,
        ca_certs: Vec::new(),
        region_hint: None,
    }
}

#[test]
fn send_posts_and_counts_every_request_retries_included() {
    let (url, seen) = serve(vec![
        "HTTP/1.1 503 Unavailable\r\nRetry-After: 0\r\nContent-Length: 2\r\n\r\n{}",
        "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n{\"a\":1}",
    ]);
    let api = api(&url, 1);
    let session = Session::new(&api.credentials, &|_| {});
    let deadline = Deadline::for_run(Duration::ZERO, api.timeout, api.retries, &SystemClock);
    let client = Client::new(&api, false, deadline, &session).unwrap();
    let request = Request {
        method: Method::POST,
        path: "/v3/auth/tokens",
        query: &[("nocatalog", "true")],
        body: b"{\"auth\":{}}",
    };
    let body = client.send(&request, &mut |_| {}).unwrap();
    assert_eq!((body.as_slice(), client.requests()), (&b"{\"a\":1}"[..], 2));
    let seen = seen.join().unwrap();
    assert!(
        seen[1].starts_with("POST /v3/auth/tokens?nocatalog=true HTTP/1.1"),
        "{}",
        seen[1]
    );
    assert!(seen[1].ends_with("{\"auth\":{}}"), "{}", seen[1]);
}

fn password_api(url: &str, iam: &str) -> Settings {
    let login = IamLogin {
        endpoint: Endpoint::parse(iam).unwrap(),
        scope: ProjectScope::Name("cn-north-4".into()),
    };
    Settings {
        credentials: Credentials::Password {
            user: "u".into(),
            domain: "d".into(),
            password: Secret::new("PASSWORD-1f2e3d".into()),
            login,
        },
        ..api(url, 0)
    }
}

const PAGE: &str = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"list\":[]}";
const ISSUED: &str =
    "HTTP/1.1 201 Created\r\nX-Subject-Token: IAM-T1\r\nContent-Length: 2\r\n\r\n{}";

#[test]
fn a_login_is_counted_masked_and_its_token_sent() {
    let (url, seen) = serve(vec![ISSUED, PAGE, PAGE]);
    let api = password_api(&url, &url);
    let masked = std::sync::Mutex::new(Vec::new());
    let mask = |s: &Token| masked.lock().unwrap().push(s.expose().to_string());
    let session = Session::new(&api.credentials, &mask);
    let deadline = Deadline::for_run(Duration::ZERO, api.timeout, api.retries, &SystemClock);
    let client = Client::new(&api, false, deadline, &session).unwrap();
    client
        .get("/builds", &[("page", "1")], &mut |_| {})
        .unwrap();
    client
        .get("/builds", &[("page", "2")], &mut |_| {})
        .unwrap();
    assert_eq!((client.requests(), session.requests()), (3, 1));
    assert_eq!(*masked.lock().unwrap(), ["IAM-T1"]);
    let seen = seen.join().unwrap();
    assert!(seen[0].starts_with("POST /v3/auth/tokens?nocatalog=true "));
    let sent_token = |s: &String| s.to_ascii_lowercase().contains("x-auth-token: iam-t1\r\n");
    assert!(seen[1..].iter().all(sent_token), "{seen:?}");
}

#[test]
fn clients_on_several_threads_share_one_login() {
    let (iam, logins) = serve(vec![ISSUED]);
    let servers = [serve(vec![PAGE]), serve(vec![PAGE])];
    let apis = servers.each_ref().map(|(url, _)| password_api(url, &iam));
    let session = Session::new(&apis[0].credentials, &|_| {});
    std::thread::scope(|scope| {
        for api in &apis {
            let session = &session;
            scope.spawn(move || {
                let deadline =
                    Deadline::for_run(Duration::ZERO, api.timeout, api.retries, &SystemClock);
                let client = Client::new(api, false, deadline, session).unwrap();
                client.get("/builds", &[], &mut |_| {}).unwrap();
            });
        }
    });
    assert_eq!(session.requests(), 1);
    assert_eq!(logins.join().unwrap().len(), 1);
    for (_, seen) in servers {
        let head = seen.join().unwrap()[0].to_ascii_lowercase();
        assert!(head.contains("x-auth-token: iam-t1\r\n"), "{head}");
    }
}

#[test]
fn nothing_is_sent_once_the_deadline_has_passed() {
    let api = api("http://127.0.0.1:9", 3);
    let clock = FakeClock::new();
    let deadline = Deadline::for_run(Duration::from_millis(1), api.timeout, api.retries, &clock);
    clock.advance(Duration::from_millis(1));
    let session = Session::new(&api.credentials, &|_| {});
    let client = Client::new(&api, false, deadline, &session).unwrap();
    let err = client.get("/builds", &[], &mut |_| {}).unwrap_err();
    assert_eq!((err.kind(), client.requests()), ("timeout", 0));
    assert!(
        err.message().contains("the --wait deadline of 1ms passed"),
        "{err}"
    );
}

#[test]
fn backoff_doubles_with_bounded_jitter() {
    for (attempt, base_ms) in [(0, 500), (1, 1000), (2, 2000), (10, 30_000)] {
        let d = backoff(attempt, Duration::ZERO, SystemClock.wall()).as_millis() as u64;
        assert!(
            d >= base_ms && d <= base_ms * 5 / 4,
            "attempt {attempt}: {d} ms"
        );
    }
}

#[test]
fn throttled_backoff_waits_at_least_two_seconds_with_jitter() {
    for (attempt, base_ms) in [(0, 2000), (1, 2000), (2, 2000), (3, 4000)] {
        let d = backoff(attempt, THROTTLED_BACKOFF_MIN, SystemClock.wall()).as_millis() as u64;
        assert!(
            d >= base_ms && d <= base_ms * 5 / 4,
            "attempt {attempt}: {d} ms"
        );
    }
}

#[test]
fn the_signature_is_found_in_the_authorization_header() {
    let headers = [(
        "Authorization".to_string(),
        "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=ab12".to_string(),
    )];
    assert_eq!(signature_of(&headers), Some("ab12"));
    assert_eq!(signature_of(&[]), None);
}

#[test]
fn retries_wait_on_the_run_clock_as_the_server_asks() {
    let (url, seen) = serve(vec![
        "HTTP/1.1 503 Unavailable\r\nRetry-After: 7\r\nContent-Length: 2\r\n\r\n{}",
        "HTTP/1.1 429 Too Many\r\nContent-Length: 2\r\n\r\n{}",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
    ]);
    let api = api(&url, 2);
    let clock = FakeClock::new();
    let deadline = Deadline::for_run(Duration::from_secs(60), api.timeout, api.retries, &clock);
    let session = Session::new(&api.credentials, &|_| {});
    let client = Client::new(&api, false, deadline, &session).unwrap();
    client.get("/builds", &[], &mut |_| {}).unwrap();
    let sleeps = clock.sleeps();
    assert_eq!(sleeps[0], Duration::from_secs(7), "Retry-After");
    // The second retry backs off 1 s plus up to 25% jitter.
    let ms = sleeps[1].as_millis();
    assert!((1000..=1250).contains(&ms), "{sleeps:?}");
    assert_eq!((sleeps.len(), client.requests()), (2, 3));
    assert_eq!(seen.join().unwrap().len(), 3);
}

#[test]
fn a_retry_that_would_pass_the_deadline_is_not_waited_for() {
    let (url, seen) = serve(vec![
        "HTTP/1.1 503 Unavailable\r\nRetry-After: 30\r\nContent-Length: 2\r\n\r\n{}",
    ]);
    let api = api(&url, 3);
    let clock = FakeClock::new();
    let deadline = Deadline::for_run(Duration::from_secs(10), api.timeout, api.retries, &clock);
    let session = Session::new(&api.credentials, &|_| {});
    let client = Client::new(&api, false, deadline, &session).unwrap();
    let err = client.get("/builds", &[], &mut |_| {}).unwrap_err();
    assert_eq!((err.kind(), client.requests()), ("http", 1));
    assert!(
        err.message()
            .ends_with("not retried again: waiting 30s would pass the --wait deadline of 10s"),
        "{err}"
    );
    assert!(clock.sleeps().is_empty());
    assert_eq!(seen.join().unwrap().len(), 1);
}

#[test]
fn the_gateway_throttling_backs_off_two_seconds_unless_told_on_the_run_clock() {
    let (url, seen) = serve(vec![
        "HTTP/1.1 400 Bad Request\r\nContent-Length: 26\r\n\r\n{\"error_code\":\"APIG.0308\"}",
        "HTTP/1.1 400 Bad Request\r\nRetry-After: 1\r\nContent-Length: 26\r\n\r\n\
         {\"error_code\":\"APIG.0308\"}",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
    ]);
    let api = api(&url, 3);
    let clock = FakeClock::new();
    let deadline = Deadline::for_run(Duration::from_secs(60), api.timeout, api.retries, &clock);
    let session = Session::new(&api.credentials, &|_| {});
    let client = Client::new(&api, false, deadline, &session).unwrap();
    client.get("/builds", &[], &mut |_| {}).unwrap();
    let sleeps = clock.sleeps();
    // No Retry-After: at least 2 s, plus up to 25% jitter; then the 1 s the server asked.
    assert!((2000..=2500).contains(&sleeps[0].as_millis()), "{sleeps:?}");
    assert_eq!(sleeps[1..], [Duration::from_secs(1)]);
    assert_eq!((client.requests(), seen.join().unwrap().len()), (3, 3));
}

#[test]
fn a_throttled_backoff_that_would_pass_the_deadline_is_not_waited_for() {
    let (url, seen) = serve(vec![
        "HTTP/1.1 403 Forbidden\r\nContent-Length: 27\r\n\r\n{\"error_code\":\"APIGW.0308\"}",
    ]);
    let api = api(&url, 3);
    let clock = FakeClock::new();
    let deadline = Deadline::for_run(Duration::from_secs(1), api.timeout, api.retries, &clock);
    let session = Session::new(&api.credentials, &|_| {});
    let client = Client::new(&api, false, deadline, &session).unwrap();
    let err = client.get("/builds", &[], &mut |_| {}).unwrap_err();
    assert_eq!((err.kind(), client.requests()), ("http", 1));
    assert!(
        err.message()
            .ends_with("not retried again: waiting 2s would pass the --wait deadline of 1s"),
        "{err}"
    );
    assert!(clock.sleeps().is_empty());
    assert_eq!(seen.join().unwrap().len(), 1);
}

#[test]
fn a_request_is_cut_at_the_deadline_not_at_the_timeout() {
    // Accepts (in the kernel's backlog) and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let api = api(&format!("http://{}", silent.local_addr().unwrap()), 0);
    let clock = FakeClock::new();
    let wait = Duration::from_millis(50);
    let deadline = Deadline::for_run(wait, api.timeout, api.retries, &clock);
    let session = Session::new(&api.credentials, &|_| {});
    let client = Client::new(&api, false, deadline, &session).unwrap();
    let err = client.get("/builds", &[], &mut |_| {}).unwrap_err();
    assert_eq!((err.kind(), client.requests()), ("timeout", 1));
    assert!(
        err.message()
            .contains("before the --wait deadline of 50ms passed"),
        "{err}"
    );
}

#[test]
fn a_token_file_is_read_once_and_checked_as_a_header_value() {
    let dir = std::env::temp_dir().join(format!("gate-token-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        ("tok-1\n", Ok("tok-1")),
        (" \n", Err("--token-file: ")),
        (
            "tok\nX-Injected: 1",
            Err("--token-file: contains a control character"),
        ),
        (
            "tok-é",
            Err("--token-file: contains a character outside printable ASCII"),
        ),
    ];
    for (index, (text, expected)) in cases.into_iter().enumerate() {
        let path = dir.join(index.to_string());
        std::fs::write(&path, text).unwrap();
        match (read_token_file(&Credentials::TokenFile(path)), expected) {
            (Ok(Credentials::Token(token)), Ok(value)) => assert_eq!(token.expose(), value),
            (Err(Error::Usage(message)), Err(start)) => {
                assert!(message.starts_with(start), "{text:?}: {message}")
            }
            (got, _) => panic!("{text:?}: {got:?}"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 19 item 6: client B's request, sent with the first token, is answered only after
/// client A renewed the token; the answer carries the renewed token, and B examines it
/// against the run's secrets as they are then.
#[test]
fn a_token_another_client_obtains_is_checked_in_answers_examined_after() {
    const EXPIRED: &str = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 29\r\n\r\n\
                           {\"error_msg\":\"token expires\"}";
    const RENEWED: &str =
        "HTTP/1.1 201 Created\r\nX-Subject-Token: RENEWED-9z8y7x\r\nContent-Length: 2\r\n\r\n{}";
    const ECHO: &str = "HTTP/1.1 200 OK\r\nContent-Length: 35\r\n\r\n\
                        {\"list\":[{\"build_id\":\"RENEWED-9z8y7x\"}]}";
    let iam = serve_each(vec![ISSUED, RENEWED]);
    let (a, _) = serve(vec![EXPIRED, PAGE]);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let b = format!("http://{}", listener.local_addr().unwrap());
    let (arrived, release) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let head = read_request(&mut BufReader::new(stream.try_clone().unwrap()));
        arrived.0.send(head).unwrap();
        release.1.recv().unwrap();
        stream.write_all(ECHO.as_bytes()).unwrap();
    });
    let apis = [password_api(&a, &iam), password_api(&b, &iam)];
    let session = Session::new(&apis[0].credentials, &|_| {});
    let client = |api| {
        let deadline = Deadline::for_run(Duration::ZERO, Duration::from_secs(5), 0, &SystemClock);
        Client::new(api, false, deadline, &session).unwrap()
    };
    std::thread::scope(|scope| {
        let second = scope.spawn(|| client(&apis[1]).get("/builds", &[], &mut |_| {}));
        let wait = Duration::from_secs(10);
        let sent = arrived
            .1
            .recv_timeout(wait)
            .expect("B sends")
            .to_ascii_lowercase();
        assert!(sent.contains("x-auth-token: iam-t1\r\n"), "{sent}");
        client(&apis[0]).get("/builds", &[], &mut |_| {}).unwrap();
        release.0.send(()).unwrap();
        let refused = second.join().unwrap().unwrap_err();
        assert_eq!(refused.kind(), "response", "{refused}");
        assert!(
            refused.message().contains("echoed a credential"),
            "{refused}"
        );
    });
    assert_eq!(session.requests(), 2, "one login, one renewal");
}

#[test]
fn a_host_that_does_not_resolve_repeats_the_region_hint() {
    let hint = "--region: xx-nowhere-1 is not a ServiceStage region the official SDKs list; \
                did you mean cn-north-1?";
    let origin = "https://servicestage.xx-nowhere-1.myhuaweicloud.com";
    for (region_hint, expected) in [
        (
            Some(hint.to_string()),
            format!(
                "could not resolve the host of {origin}: check --endpoint or --region ({hint})"
            ),
        ),
        (
            None,
            format!("could not resolve the host of {origin}: check --endpoint or --region"),
        ),
    ] {
        let api = Settings {
            region_hint,
            ..api("http://127.0.0.1:9", 0)
        };
        let session = Session::new(&api.credentials, &|_| {});
        let deadline = Deadline::for_run(Duration::ZERO, api.timeout, 0, &SystemClock);
        let client = Client::new(&api, false, deadline, &session).unwrap();
        let failure = client.transport_failure(
            ureq::Error::HostNotFound,
            false,
            &session.known(None),
            origin,
        );
        assert_eq!(failure.error, Error::Network(expected));
        assert_eq!(failure.retry, Retry::After(None));
    }
}

/// OIDC with GitHub's token service, IAM and the API all at `url`.
fn oidc_api(url: &str) -> Settings {
    let login = IamLogin {
        endpoint: Endpoint::parse(url).unwrap(),
        scope: ProjectScope::Name("cn-north-4".into()),
    };
    let id_token = IdTokenSource::Github {
        url: GithubTokenUrl::parse(&format!("{url}/gh?v=2")).unwrap(),
        request_token: Secret::header("RUNNER-token-5e6f").unwrap(),
        audience: "aud".into(),
    };
    Settings {
        credentials: Credentials::Oidc {
            idp_id: HeaderValue::parse("idp").unwrap(),
            id_token,
            login,
        },
        ..api(url, 0)
    }
}

const ID_TOKEN: &str = "HTTP/1.1 200 OK\r\nContent-Length: 24\r\n\r\n{\"value\":\"eyJ.id.token\"}";

/// What one request through a client of `api` gives, and every secret masked meanwhile.
fn masked_get(api: &Settings) -> (Result<Vec<u8>, Error>, Vec<String>) {
    let masked = std::sync::Mutex::new(Vec::new());
    let mask = |s: &Token| masked.lock().unwrap().push(s.expose().to_string());
    let session = Session::new(&api.credentials, &mask);
    let deadline = Deadline::for_run(Duration::ZERO, api.timeout, 0, &SystemClock);
    let client = Client::new(api, false, deadline, &session).unwrap();
    let got = client.get("/builds", &[], &mut |_| {});
    (got, masked.into_inner().unwrap())
}

#[test]
fn an_oidc_login_masks_the_id_token_then_the_iam_token_and_sends_each_on() {
    let (url, seen) = serve(vec![ID_TOKEN, ISSUED, PAGE]);
    let (got, masked) = masked_get(&oidc_api(&url));
    assert_eq!(got.unwrap(), b"{\"list\":[]}");
    assert_eq!(masked, ["eyJ.id.token", "IAM-T1"]);
    let seen = seen.join().unwrap();
    assert!(
        seen[0].starts_with("GET /gh?v=2&audience=aud "),
        "{}",
        seen[0]
    );
    assert!(seen[0].contains("Bearer RUNNER-token-5e6f"), "{}", seen[0]);
    assert!(
        seen[1].ends_with(
            r#""id_token":{"id":"eyJ.id.token"},"scope":{"project":{"name":"cn-north-4"}}}}"#
        ),
        "{}",
        seen[1]
    );
    assert!(
        seen[2]
            .to_ascii_lowercase()
            .contains("x-auth-token: iam-t1\r\n"),
        "{}",
        seen[2]
    );
}

/// Issue 19 item 7 at the transport: an answer holding a configured credential is an
/// `auth` error before anything is masked or sent on.
#[test]
fn login_answers_holding_a_configured_credential_are_auth_errors() {
    const RUNNER_ECHO: &str =
        "HTTP/1.1 200 OK\r\nContent-Length: 29\r\n\r\n{\"value\":\"RUNNER-token-5e6f\"}";
    const JWT_ECHO: &str =
        "HTTP/1.1 201 Created\r\nX-Subject-Token: eyJ.id.token\r\nContent-Length: 2\r\n\r\n{}";
    const PASSWORD_ECHO: &str = "HTTP/1.1 201 Created\r\nX-Subject-Token: x-PASSWORD-1f2e3d\r\n\
                                 Content-Length: 2\r\n\r\n{}";
    let cases = [
        (
            vec![RUNNER_ECHO],
            "the GitHub Actions ID token request answered with an answer",
            0,
        ),
        (
            vec![ID_TOKEN, JWT_ECHO],
            "the IAM exchange of the OIDC ID token answered with an X-Subject-Token",
            1,
        ),
    ];
    for (replies, expected, masks) in cases {
        let (url, seen) = serve(replies.clone());
        let (got, masked) = masked_get(&oidc_api(&url));
        let error = got.unwrap_err();
        assert_eq!(error.kind(), "auth", "{error}");
        assert!(error.message().starts_with(expected), "{error}");
        assert_eq!(masked, ["eyJ.id.token"][..masks]);
        assert_eq!(seen.join().unwrap().len(), replies.len(), "nothing sent on");
    }
    let (url, seen) = serve(vec![PASSWORD_ECHO]);
    let (got, masked) = masked_get(&password_api(&url, &url));
    let error = got.unwrap_err();
    assert!(
        error
            .message()
            .starts_with("the IAM password login answered with an X-Subject-Token"),
        "{error}"
    );
    assert!(masked.is_empty(), "{masked:?}");
    assert_eq!(seen.join().unwrap().len(), 1);
}

const REFUSED: &str = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\n\r\n{}";
const EXPIRED: &str =
    "HTTP/1.1 401 Unauthorized\r\nContent-Length: 29\r\n\r\n{\"error_msg\":\"token expires\"}";

/// Issue 19 item 8: a refused login is sent once per run, however many clients ask; each
/// gets its error, and a refused renewal likewise fails every later request unsent.
#[test]
fn a_refused_login_or_renewal_is_sent_once_and_fails_every_client() {
    for (iam_replies, expired, logins) in
        [(vec![REFUSED], false, 1), (vec![ISSUED, REFUSED], true, 2)]
    {
        let (iam, logins_seen) = serve(iam_replies);
        // The API: answered once, "token expires", only when the login succeeds.
        let (url, pages_seen) = match expired {
            true => serve(vec![EXPIRED]),
            false => (
                "http://127.0.0.1:9".to_string(),
                std::thread::spawn(Vec::new),
            ),
        };
        let api = password_api(&url, &iam);
        let session = Session::new(&api.credentials, &|_| {});
        let errors: Vec<(Error, u32)> = (0..3)
            .map(|_| {
                let deadline = Deadline::for_run(Duration::ZERO, api.timeout, 0, &SystemClock);
                let client = Client::new(&api, false, deadline, &session).unwrap();
                let error = client.get("/builds", &[], &mut |_| {}).unwrap_err();
                (error, client.requests())
            })
            .collect();
        assert_eq!(errors[0].0.kind(), "auth", "{}", errors[0].0);
        for (error, requests) in &errors[1..] {
            assert_eq!((error, *requests), (&errors[0].0, 0), "nothing sent again");
        }
        assert_eq!(session.requests(), logins);
        assert_eq!(logins_seen.join().unwrap().len(), logins as usize);
        assert_eq!(pages_seen.join().unwrap().len(), usize::from(expired));
    }
}
