//! The run's IAM login: one per run, shared by every client of the run (jobs may be
//! gated in parallel, one client each). The token is obtained once, reused for every
//! request, and renewed at most once when the API says it expired. Login requests go
//! through the borrowing client, under the same transport rules as the API's.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::Client;
use super::classify::{self, Failure, RETRY_AFTER_MAX, Retry, WITHHELD};
use super::files;
use super::secrets::Secrets;
use super::wire::{Outgoing, Received, user_agent};
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
    requests: AtomicU32,
}

#[derive(Default)]
struct State {
    token: Option<Token>,
    renewed: bool,
    /// Every ID and IAM token obtained so far: what server text must never echo.
    obtained: Vec<Token>,
}

/// The current token and every secret obtained so far.
pub(super) struct Issued {
    pub token: Token,
    pub obtained: Vec<Token>,
}

impl<'s> Session<'s> {
    pub fn new(credentials: &'s Credentials, on_secret: &'s (dyn Fn(&Token) + Sync)) -> Self {
        Session {
            credentials,
            on_secret,
            state: Mutex::new(State::default()),
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

    fn logs_in(&self) -> bool {
        self.credentials.log_in()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current token, logging in through `client` first if there is none yet.
    pub(super) fn token(
        &self,
        client: &Client,
        log: &mut dyn FnMut(&str),
    ) -> Result<Issued, Error> {
        let mut state = self.lock();
        let token = match &state.token {
            Some(token) => token.clone(),
            None => self.log_in(&mut state, client, log)?,
        };
        Ok(Issued {
            token,
            obtained: state.obtained.clone(),
        })
    }

    /// A token to use instead of `stale`, which the API called expired: the one
    /// another client already obtained, else a new login, once per run. `None` once the
    /// renewal has been used up.
    pub(super) fn renew(
        &self,
        stale: &Token,
        client: &Client,
        log: &mut dyn FnMut(&str),
    ) -> Result<Option<Issued>, Error> {
        let mut state = self.lock();
        let token = match &state.token {
            Some(current) if current != stale => current.clone(),
            _ if state.renewed => return Ok(None),
            _ => {
                state.renewed = true;
                self.log_in(&mut state, client, log)?
            }
        };
        Ok(Some(Issued {
            token,
            obtained: state.obtained.clone(),
        }))
    }

    /// Obtains an IAM token. The `-v` lines of its requests follow the mask callbacks,
    /// so that the masks come first.
    fn log_in(
        &self,
        state: &mut State,
        client: &Client,
        log: &mut dyn FnMut(&str),
    ) -> Result<Token, Error> {
        let mut lines = Vec::new();
        let token = self.request_token(state, client, &mut |line: &str| {
            lines.push(line.to_string())
        });
        for line in lines {
            log(&line);
        }
        let token = token?;
        state.token = Some(token.clone());
        Ok(token)
    }

    fn request_token(
        &self,
        state: &mut State,
        client: &Client,
        log: &mut dyn FnMut(&str),
    ) -> Result<Token, Error> {
        let (step, request) = match self.credentials {
            Credentials::Oidc {
                idp_id,
                id_token,
                login,
            } => {
                let jwt = id_token_of(id_token, client, log)?;
                self.obtained(state, client, &jwt);
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
        let received = client.send_login(&request, step, log)?;
        let token = iam::subject_token(step, received.status, received.subject_token.as_deref())?;
        self.obtained(state, client, &token);
        Ok(token)
    }

    /// Masks a newly obtained secret and keeps it from every output.
    fn obtained(&self, state: &mut State, client: &Client, secret: &Token) {
        (self.on_secret)(secret);
        client.secrets.borrow_mut().add(secret.expose());
        state.obtained.push(secret.clone());
    }
}

/// The OIDC ID token: read from its file (again on each login), or requested from
/// GitHub Actions.
fn id_token_of(
    source: &IdTokenSource,
    client: &Client,
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
            let received = client.send_login(&request, Step::IdTokenRequest, log)?;
            if client.secrets.borrow().found_in(&received.body) {
                return Err(Error::Response(format!(
                    "{} answered with text that echoed a credential; it was refused",
                    Step::IdTokenRequest.what()
                )));
            }
            iam::parse_github_id_token(&received.body)
        }
    }
}

impl Client<'_> {
    /// The session's token when the credentials log in (logging in on first use).
    pub(super) fn login_token(&self, log: &mut dyn FnMut(&str)) -> Result<Option<Token>, Error> {
        if !self.session.logs_in() {
            return Ok(None);
        }
        let issued = self.session.token(self, log)?;
        Ok(Some(self.take(issued)))
    }

    /// A fresh token for one that expired; `None` once the run's renewal is used up.
    pub(super) fn renew(
        &self,
        stale: &Token,
        log: &mut dyn FnMut(&str),
    ) -> Result<Option<Token>, Error> {
        Ok(self
            .session
            .renew(stale, self, log)?
            .map(|issued| self.take(issued)))
    }

    /// Adds the secrets other clients obtained to this client's list.
    fn take(&self, issued: Issued) -> Token {
        let mut secrets = self.secrets.borrow_mut();
        for secret in issued.obtained.iter().skip(self.synced.get()) {
            secrets.add(secret.expose());
        }
        self.synced.set(issued.obtained.len());
        issued.token
    }

    /// Sends a login request with the API's retries and deadline; a 200 or 201 answer.
    fn send_login(
        &self,
        request: &iam::Request,
        step: Step,
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
            let secrets = self.secrets.borrow().clone();
            let received = self.exchange(&outgoing, &secrets, log)?;
            login_answer(received, step, &secrets, self.deadline.clock().wall())
        })
        .map_err(|failure| step_error(failure.error, step))
    }
}

/// A login answer: 200/201 is taken; 429 and 5xx may be retried; a redirect is never
/// followed; anything else is the step's `auth` failure.
fn login_answer(
    received: Received,
    step: Step,
    secrets: &Secrets,
    now: std::time::SystemTime,
) -> Result<Received, Failure> {
    let status = received.status;
    if matches!(status, 200 | 201) {
        return Ok(received);
    }
    if (300..400).contains(&status) {
        return Err(Error::Http(HttpFailure {
            status,
            code: None,
            message: format!(
                "{} answered with a redirect, which is not followed so that credentials stay \
                 with the endpoint's origin; point --iam-endpoint at IAM itself",
                step.what()
            ),
            request_id: None,
        })
        .into());
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
