//! The run's IAM login: one per run, shared by every client of the run (jobs may be
//! gated in parallel, one client each). The token is obtained once, reused for every
//! request, and renewed at most once when the API says it expired; a login or renewal
//! that failed fails every later request with its error, without another try (a wrong
//! password tried once per job could lock the account). Login requests go through the
//! borrowing client, under the same transport rules as the API's. The session also holds
//! what no response may echo, read when each response is examined, and the files every
//! client needs (the token file, the CA bundles), read once.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError, RwLock, RwLockWriteGuard};

use super::classify::{self, Failure, RETRY_AFTER_MAX, Retry, WITHHELD};
use super::secrets::{Known, Secrets};
use super::wire::{Outgoing, Received, user_agent};
use super::{Client, files, read_token_file, tls};
use crate::error::{Error, HttpFailure};
use crate::iam::{self, Step};
use crate::secret::{Credentials, IdTokenSource, Token};

/// The one login of a run. `Sync`: clients on several threads borrow it.
pub struct Session<'s> {
    credentials: &'s Credentials,
    /// Told each token the run obtains (ID token, IAM token), before anything else is
    /// printed, so that GitHub Actions can mask it.
    on_secret: &'s (dyn Fn(&Token) + Sync),
    state: Mutex<State>,
    /// What no response may echo: the configured credentials and every token obtained.
    /// Read when a response is examined, so a token another thread obtained counts from
    /// then on; a login holds it for writing while it runs, so no response is examined
    /// while a token is being obtained.
    secrets: RwLock<Secrets>,
    /// The credentials with a token file read into its token, and the trusted roots with
    /// the CA bundles, each read once per run: a file that changes or goes later cannot
    /// fail a job (a usage error, exit 2) after others sent requests.
    read: OnceLock<Result<Credentials, Error>>,
    roots: OnceLock<Result<ureq::tls::RootCerts, Error>>,
    requests: AtomicU32,
}

/// The login's outcome and the renewal's, each tried at most once per run.
#[derive(Default)]
struct State {
    login: Option<Result<Token, Error>>,
    renewal: Option<Result<Token, Error>>,
}

/// What a client asking for a token gets.
#[derive(Debug, PartialEq)]
enum Next {
    Use(Token),
    Fail(Error),
    LogIn,
}

impl State {
    /// For a request: the renewed token, else the login's; the error of a failed renewal
    /// or login; a login when none was tried.
    fn current(&self) -> Next {
        match (&self.renewal, &self.login) {
            (Some(Ok(token)), _) | (None, Some(Ok(token))) => Next::Use(token.clone()),
            (Some(Err(error)), _) | (None, Some(Err(error))) => Next::Fail(error.clone()),
            (None, None) => Next::LogIn,
        }
    }

    /// Instead of `stale`, which the API called expired: the token another client's
    /// renewal obtained, or that renewal's error, else a renewal; `None` when the renewed
    /// token expired too.
    fn instead_of(&self, stale: &Token) -> Option<Next> {
        match &self.renewal {
            Some(Ok(token)) if token == stale => None,
            Some(Ok(token)) => Some(Next::Use(token.clone())),
            Some(Err(error)) => Some(Next::Fail(error.clone())),
            None => Some(Next::LogIn),
        }
    }
}

impl<'s> Session<'s> {
    pub fn new(credentials: &'s Credentials, on_secret: &'s (dyn Fn(&Token) + Sync)) -> Self {
        Session {
            credentials,
            on_secret,
            state: Mutex::new(State::default()),
            secrets: RwLock::new(Secrets::new(credentials.values())),
            read: OnceLock::new(),
            roots: OnceLock::new(),
            requests: AtomicU32::new(0),
        }
    }

    /// The IAM and GitHub requests sent for the login so far, retries included (each
    /// also counts in the `requests()` of the client that sent it).
    pub fn requests(&self) -> u32 {
        self.requests.load(Ordering::SeqCst)
    }

    pub(super) fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::SeqCst);
    }

    /// The credentials as sent: a token file read into its token (read by the first
    /// client; every later one gets the same token, or the same error).
    pub(super) fn credentials(&self) -> Result<Credentials, Error> {
        self.read
            .get_or_init(|| {
                let read = read_token_file(self.credentials);
                if let Ok(Credentials::Token(token)) = &read {
                    self.write_secrets().add(token.expose());
                }
                read
            })
            .clone()
    }

    /// The built-in roots and those of `ca_certs` (the run's `--ca-cert` bundles), read by
    /// the first client that needs them.
    pub(super) fn root_certs(&self, ca_certs: &[PathBuf]) -> Result<ureq::tls::RootCerts, Error> {
        self.roots.get_or_init(|| tls::root_certs(ca_certs)).clone()
    }

    /// What a response is checked against when it is examined: the run's secrets then,
    /// and the request's own signature.
    pub(super) fn known<'k>(&'k self, signature: Option<&'k str>) -> Known<'k> {
        Known::Run(&self.secrets, signature)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_secrets(&self) -> RwLockWriteGuard<'_, Secrets> {
        self.secrets.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current token, logging in through `client` first if no login was tried.
    fn token(&self, client: &Client, log: &mut dyn FnMut(&str)) -> Result<Token, Error> {
        let mut state = self.lock();
        match state.current() {
            Next::Use(token) => Ok(token),
            Next::Fail(error) => Err(error),
            Next::LogIn => {
                let outcome = self.log_in(client, log);
                state.login = Some(outcome.clone());
                outcome
            }
        }
    }

    /// A token to use instead of `stale`, which the API called expired: the one another
    /// client's renewal obtained, else a new login, once per run. `None` once the
    /// renewal has been used up.
    fn renew(
        &self,
        stale: &Token,
        client: &Client,
        log: &mut dyn FnMut(&str),
    ) -> Result<Option<Token>, Error> {
        let mut state = self.lock();
        match state.instead_of(stale) {
            None => Ok(None),
            Some(Next::Use(token)) => Ok(Some(token)),
            Some(Next::Fail(error)) => Err(error),
            Some(Next::LogIn) => {
                let outcome = self.log_in(client, log).map_err(renewal_failed);
                state.renewal = Some(outcome.clone());
                outcome.map(Some)
            }
        }
    }

    /// Obtains an IAM token, holding the run's secrets meanwhile. The `-v` lines of its
    /// requests follow the mask callbacks, so that the masks come first.
    fn log_in(&self, client: &Client, log: &mut dyn FnMut(&str)) -> Result<Token, Error> {
        let mut lines = Vec::new();
        let token = self.request_token(&mut self.write_secrets(), client, &mut |line: &str| {
            lines.push(line.to_string())
        });
        for line in lines {
            log(&line);
        }
        token
    }

    fn request_token(
        &self,
        secrets: &mut Secrets,
        client: &Client,
        log: &mut dyn FnMut(&str),
    ) -> Result<Token, Error> {
        // What IAM's token may not hold: the credentials the gate was given.
        let mut configured = Secrets::new(self.credentials.values());
        let (step, request) = match self.credentials {
            Credentials::Oidc {
                idp_id,
                id_token,
                login,
            } => {
                let jwt = id_token_of(id_token, client, secrets, log)?;
                configured.add(jwt.expose());
                self.obtained(secrets, &jwt);
                let exchange = iam::id_token_exchange(login, idp_id, &jwt);
                (Step::TokenExchange, exchange)
            }
            Credentials::Password {
                user,
                domain,
                password,
                login,
            } => (
                Step::PasswordLogin,
                iam::password_login(login, user, domain, password),
            ),
            Credentials::Token(_) | Credentials::TokenFile(_) | Credentials::AccessKey { .. } => {
                return Err(Error::Usage("these credentials need no login".to_string()));
            }
        };
        let received = client.send_login(&request, step, secrets, log)?;
        let token = iam::subject_token(
            step,
            received.status,
            received.subject_token.as_deref(),
            |text| configured.found_in(text.as_bytes()),
        )?;
        self.obtained(secrets, &token);
        Ok(token)
    }

    /// Masks a newly obtained secret and keeps it from every output.
    fn obtained(&self, secrets: &mut Secrets, secret: &Token) {
        (self.on_secret)(secret);
        secrets.add(secret.expose());
    }
}

/// A renewal comes after requests were sent, and a usage error means nothing was: a
/// credential file that fails then (an ID token file deleted or unreadable) is an `auth`
/// error, the expired token's.
fn renewal_failed(error: Error) -> Error {
    match error {
        Error::Usage(why) => Error::Auth(HttpFailure {
            status: 401,
            code: None,
            message: format!("the IAM token expired and could not be renewed: {why}"),
            request_id: None,
        }),
        other => other,
    }
}

/// The OIDC ID token: read from its file (again on each login), or requested from
/// GitHub Actions. GitHub's answer may not hold a secret the run knows.
fn id_token_of(
    source: &IdTokenSource,
    client: &Client,
    secrets: &Secrets,
    log: &mut dyn FnMut(&str),
) -> Result<Token, Error> {
    match source {
        IdTokenSource::File(path) => {
            let name = "HUAWEICLOUD_SDK_ID_TOKEN_FILE";
            let bytes = files::read_capped(path, files::MAX_TOKEN_FILE, name)?;
            iam::id_token_from_file(
                &String::from_utf8_lossy(&bytes),
                &path.display().to_string(),
            )
        }
        IdTokenSource::Github {
            url,
            request_token,
            audience,
        } => {
            let request = iam::github_id_token_request(url, request_token, audience);
            let step = Step::IdTokenRequest;
            let received = client.send_login(&request, step, secrets, log)?;
            if secrets.found_in(&received.body) {
                return Err(iam::echoed_credential(step, received.status));
            }
            iam::parse_github_id_token(&received.body)
        }
    }
}

impl Client<'_> {
    /// The session's token when the credentials log in (logging in on first use).
    pub(super) fn login_token(&self, log: &mut dyn FnMut(&str)) -> Result<Option<Token>, Error> {
        if !self.credentials.log_in() {
            return Ok(None);
        }
        self.session.token(self, log).map(Some)
    }

    /// A fresh token for one that expired; `None` once the run's renewal is used up.
    pub(super) fn renew(
        &self,
        stale: &Token,
        log: &mut dyn FnMut(&str),
    ) -> Result<Option<Token>, Error> {
        self.session.renew(stale, self, log)
    }

    /// Sends a login request with the API's retries and deadline, its answers checked
    /// against `secrets` (the run's, which the login holds); a 200 or 201 answer.
    fn send_login(
        &self,
        request: &iam::Request,
        step: Step,
        secrets: &Secrets,
        log: &mut dyn FnMut(&str),
    ) -> Result<Received, Error> {
        let mut headers = vec![
            ("Host".to_string(), request.endpoint.host_header()),
            user_agent(),
        ];
        headers.extend(
            request
                .headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.clone())),
        );
        let outgoing = Outgoing {
            method: request.method.parse().unwrap_or(ureq::http::Method::GET),
            url: request.url(),
            shown_url: request.log_url(),
            origin: request.endpoint.origin(),
            headers,
            body: request.body.as_deref().unwrap_or_default().as_bytes(),
            login: true,
        };
        self.with_retries(log, |_, log| {
            let received = self.exchange(&outgoing, &Known::Held(secrets), log)?;
            let now = self.deadline.clock().wall();
            login_answer(received, step, &outgoing.shown_url, secrets, now)
        })
        .map_err(|failure| step_error(failure.error, step))
    }
}

/// A login answer: 200/201 is taken; 429 and 5xx may be retried; a redirect from `url`
/// is never followed; anything else is the step's `auth` failure.
fn login_answer(
    received: Received,
    step: Step,
    url: &str,
    secrets: &Secrets,
    now: std::time::SystemTime,
) -> Result<Received, Failure> {
    let status = received.status;
    if matches!(status, 200 | 201) {
        return Ok(received);
    }
    if (300..400).contains(&status) {
        return Err(iam::redirected(step, status, url).into());
    }
    let (code, message) = classify::error_body(&received.body);
    let echoed = [code.as_deref(), message.as_deref()]
        .into_iter()
        .flatten()
        .any(|text| secrets.found_in(text.as_bytes()))
        || secrets.found_in(&received.body);
    let error = match echoed {
        true => iam::failure(step, status, None, Some(WITHHELD)),
        false => iam::failure(step, status, code.as_deref(), message.as_deref()),
    };
    let retry = match status {
        429 | 500..=599 => Retry::After(
            received
                .retry_after
                .as_deref()
                .and_then(|v| classify::parse_retry_after(v, now))
                .map(|d| d.min(RETRY_AFTER_MAX)),
        ),
        _ => Retry::Never,
    };
    Err(Failure { error, retry })
}

/// A transport error of a login step names the step; HTTP failures already do.
fn step_error(error: Error, step: Step) -> Error {
    let what = step.what();
    match error {
        Error::Network(m) => Error::Network(format!("{what}: {m}")),
        Error::Timeout(m) => Error::Timeout(format!("{what}: {m}")),
        Error::Response(m) if !m.starts_with(what) => Error::Response(format!("{what}: {m}")),
        other => other,
    }
}

#[cfg(test)]
mod tests;
