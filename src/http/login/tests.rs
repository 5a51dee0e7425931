#![allow(clippy::disallowed_methods, reason = "a token file")]

use super::*;
use crate::secret::Secret;

fn token(text: &str) -> Token {
    Secret::header(text).unwrap()
}

fn refused() -> Error {
    Error::Auth(HttpFailure {
        status: 401,
        code: None,
        message: "refused".into(),
        request_id: None,
    })
}

/// (login, renewal) -> what a request gets, what a client whose `T1` or `T2` expired gets.
#[test]
fn a_login_and_a_renewal_are_each_tried_once_and_their_outcome_kept() {
    use Next::*;
    let (t1, t2) = (token("T1"), token("T2"));
    type Case = (
        Option<Result<Token, Error>>,
        Option<Result<Token, Error>>,
        Next,
        Option<Next>,
        Option<Next>,
    );
    let cases: Vec<Case> = vec![
        (None, None, LogIn, Some(LogIn), Some(LogIn)),
        (
            Some(Err(refused())),
            None,
            Fail(refused()),
            Some(LogIn),
            Some(LogIn),
        ),
        (
            Some(Ok(t1.clone())),
            None,
            Use(t1.clone()),
            Some(LogIn),
            Some(LogIn),
        ),
        // another client renewed: its token, until that one expires too
        (
            Some(Ok(t1.clone())),
            Some(Ok(t2.clone())),
            Use(t2.clone()),
            Some(Use(t2.clone())),
            None,
        ),
        // the renewal failed: every later request fails with its error, none tries again
        (
            Some(Ok(t1.clone())),
            Some(Err(refused())),
            Fail(refused()),
            Some(Fail(refused())),
            Some(Fail(refused())),
        ),
    ];
    for (index, (login, renewal, current, instead_of_t1, instead_of_t2)) in
        cases.into_iter().enumerate()
    {
        let state = State { login, renewal };
        assert_eq!(state.current(), current, "case {index}");
        assert_eq!(state.instead_of(&t1), instead_of_t1, "case {index}");
        assert_eq!(state.instead_of(&t2), instead_of_t2, "case {index}");
    }
}

#[test]
fn a_renewal_that_cannot_read_its_file_is_an_auth_error() {
    let usage = Error::Usage("HUAWEICLOUD_SDK_ID_TOKEN_FILE: cannot read /t: gone".into());
    assert_eq!(
        renewal_failed(usage),
        Error::Auth(HttpFailure {
            status: 401,
            code: None,
            message: "the IAM token expired and could not be renewed: \
                      HUAWEICLOUD_SDK_ID_TOKEN_FILE: cannot read /t: gone"
                .into(),
            request_id: None,
        })
    );
    for other in [refused(), Error::Network("down".into())] {
        assert_eq!(renewal_failed(other.clone()), other);
    }
}

fn scratch(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("gate-login-{name}-{}", std::process::id()))
}

#[test]
fn a_token_file_is_read_once_per_run_and_its_token_kept_from_every_output() {
    let path = scratch("once");
    std::fs::write(&path, "tok-from-the-file-1\n").unwrap();
    let credentials = Credentials::TokenFile(path.clone());
    let session = Session::new(&credentials, &|_| {});
    let read = Ok(Credentials::Token(token("tok-from-the-file-1")));
    assert_eq!(session.credentials(), read);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(session.credentials(), read, "the first read serves the run");
    let echoed = b"{\"build_id\":\"tok-from-the-file-1\"}";
    assert!(session.known(None).examine(|s| s.found_in(echoed)));

    let missing = Credentials::TokenFile(scratch("missing"));
    let session = Session::new(&missing, &|_| {});
    let first = session.credentials().unwrap_err();
    assert!(
        first.message().starts_with("--token-file: cannot read"),
        "{first}"
    );
    assert_eq!(
        session.credentials(),
        Err(first),
        "every client gets the one error"
    );
}

#[test]
fn configured_credentials_are_known_from_the_start() {
    let credentials = Credentials::Token(token("static-token-value-1"));
    let session = Session::new(&credentials, &|_| {});
    assert!(
        session
            .known(None)
            .examine(|s| s.found_in(b"x static-token-value-1 y"))
    );
    assert!(!session.known(None).examine(|s| s.found_in(b"static-to")));
}

fn answer(status: u16, body: &str) -> Received {
    Received {
        status,
        encoding: None,
        retry_after: None,
        request_id: None,
        location: None,
        subject_token: None,
        body: body.as_bytes().to_vec(),
    }
}

const SECRET: &str = "PASSWORD-1f2e3d";

/// A login answer's status, body and `Retry-After`, to what the login does with it.
#[test]
fn login_answers_are_taken_refused_or_retried() {
    let now = humantime::parse_rfc3339("2026-11-28T12:00:00Z").unwrap();
    let secrets = Secrets::new([SECRET]);
    let url = "https://iam.example/v3/auth/tokens";
    let step = Step::PasswordLogin;
    for status in [200, 201] {
        let taken = login_answer(answer(status, "{}"), step, url, &secrets, now);
        assert_eq!(taken.map(|r| r.status).ok(), Some(status));
    }
    let refused = |received: Received| {
        let Err(failure) = login_answer(received, step, url, &secrets, now) else {
            panic!("taken");
        };
        (failure.error, failure.retry)
    };
    let body = r#"{"error_code":"IAM.0101","error_msg":"no such user"}"#;
    assert_eq!(
        refused(answer(401, body)),
        (
            iam::failure(step, 401, Some("IAM.0101"), Some("no such user")),
            Retry::Never
        )
    );
    assert_eq!(
        refused(answer(302, body)),
        (iam::redirected(step, 302, url), Retry::Never)
    );
    for (status, retry_after, retry) in [
        (429, None, Retry::After(None)),
        (
            500,
            Some("7"),
            Retry::After(Some(std::time::Duration::from_secs(7))),
        ),
        (599, Some("3600"), Retry::After(Some(RETRY_AFTER_MAX))),
        (503, Some("soon"), Retry::After(None)),
        (400, Some("7"), Retry::Never),
        (600, None, Retry::Never),
    ] {
        let received = Received {
            retry_after: retry_after.map(str::to_string),
            ..answer(status, "{}")
        };
        assert_eq!(refused(received).1, retry, "{status} {retry_after:?}");
    }
}

/// IAM's error text that holds a credential is withheld whole, the code too: echoed in a
/// field, beside the fields, or escaped more deeply than the body check undoes.
#[test]
fn login_error_text_echoing_a_credential_is_withheld() {
    let now = humantime::parse_rfc3339("2026-11-28T12:00:00Z").unwrap();
    let secrets = Secrets::new([SECRET]);
    let step = Step::TokenExchange;
    let withheld = iam::failure(step, 401, None, Some(WITHHELD));
    // the password with every character escaped three times over, inside a JSON string
    let deep: String = SECRET
        .chars()
        .map(|c| format!("\\\\u005cu005cu{:04x}", c as u32))
        .collect();
    for body in [
        format!(r#"{{"error_code":"IAM.0101","error_msg":"wrong {SECRET}"}}"#),
        format!(r#"{{"error_code":"IAM.0101","error_msg":"no","echo":"{SECRET}"}}"#),
        format!(r#"{{"error_code":"{SECRET}","error_msg":"no"}}"#),
        format!(r#"{{"error_code":"IAM.0101","error_msg":"{deep}"}}"#),
    ] {
        let Err(failure) = login_answer(answer(401, &body), step, "u", &secrets, now) else {
            panic!("taken: {body}");
        };
        assert_eq!(failure.error, withheld, "{body}");
    }
}

#[test]
fn a_transport_error_of_a_login_names_its_step() {
    let what = Step::PasswordLogin.what();
    let cases = [
        (
            Error::Network("down".into()),
            Error::Network(format!("{what}: down")),
        ),
        (
            Error::Timeout("slow".into()),
            Error::Timeout(format!("{what}: slow")),
        ),
        (
            Error::Response("cut short".into()),
            Error::Response(format!("{what}: cut short")),
        ),
        (
            Error::Response(format!("{what} answered oddly")),
            Error::Response(format!("{what} answered oddly")),
        ),
        (refused(), refused()),
    ];
    for (error, expected) in cases {
        assert_eq!(step_error(error, Step::PasswordLogin), expected);
    }
}

#[test]
fn the_ca_bundles_are_read_once_per_run() {
    let path = scratch("ca.pem");
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ca.pem");
    std::fs::copy(fixture, &path).unwrap();
    let credentials = Credentials::Token(token("t0ken-1234"));
    let session = Session::new(&credentials, &|_| {});
    let count = |roots| match roots {
        ureq::tls::RootCerts::Specific(certs) => certs.len(),
        _ => 0,
    };
    let first = count(session.root_certs(std::slice::from_ref(&path)).unwrap());
    assert_eq!(first, webpki_root_certs::TLS_SERVER_ROOT_CERTS.len() + 1);
    std::fs::remove_file(&path).unwrap();
    let again = session.root_certs(std::slice::from_ref(&path)).unwrap();
    assert_eq!(count(again), first, "the first read serves the run");

    let session = Session::new(&credentials, &|_| {});
    let missing = session.root_certs(std::slice::from_ref(&path)).unwrap_err();
    assert!(
        missing
            .message()
            .starts_with("--ca-cert or SSL_CERT_FILE: cannot read"),
        "{missing}"
    );
}
