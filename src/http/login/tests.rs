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
