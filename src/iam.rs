//! The IAM protocol: the IAM and GitHub requests that turn an OIDC ID token or a user's
//! password into an IAM token, built as values, and their answers parsed. Pure: the
//! transport sends the requests and hands back what came back, every byte of it treated
//! as hostile. Which credential the environment holds is the configuration's to say.

use std::borrow::Cow;
use std::fmt;

use serde::de::MapAccess;

use crate::encoding::percent_encode;
use crate::error::{Error, HttpFailure};
use crate::json::{self, Fields, Named, Slot};
use crate::secret::{Endpoint, GithubTokenUrl, HeaderValue, IamLogin, ProjectScope, Secret, Token};
use crate::text::one_line;

/// IAM caps `X-Auth-Token` at 32768 characters; a longer "token" is not one.
const MAX_TOKEN_LEN: usize = 32768;
const CONTENT_TYPE: &str = "application/json;charset=utf8";

/// The token's scope in a login body.
fn scope(scope: &ProjectScope) -> serde_json::Value {
    match scope {
        ProjectScope::Id(id) => serde_json::json!({"project": {"id": id}}),
        ProjectScope::Name(name) => serde_json::json!({"project": {"name": name}}),
    }
}

/// One HTTP request to IAM or to GitHub's token service. `Debug` hides header values and
/// the body: they carry the ID token, the request token or the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    pub method: &'static str,
    pub endpoint: Endpoint,
    pub path_and_query: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<String>,
}

impl Request {
    pub fn url(&self) -> String {
        format!("{}{}", self.endpoint.origin(), self.path_and_query)
    }

    /// For `-v`: the URL without its query, which for GitHub is the runner's own.
    pub fn log_url(&self) -> String {
        let path = self.path_and_query.split('?').next().unwrap_or_default();
        format!("{}{path}", self.endpoint.origin())
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| *name).collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.log_url())
            .field("headers", &names)
            .field("body", &self.body.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

fn iam_path(login: &IamLogin, path: &str) -> String {
    format!("{}{path}", login.endpoint.base_path)
}

/// `CreateTokenWithIdToken`: `POST /v3.0/OS-AUTH/id-token/tokens` with `X-Idp-Id`.
pub fn id_token_exchange(login: &IamLogin, idp_id: &HeaderValue, id_token: &Token) -> Request {
    let body = serde_json::json!({"auth": {
        "id_token": {"id": id_token.expose()},
        "scope": scope(&login.scope),
    }});
    Request {
        method: "POST",
        endpoint: login.endpoint.clone(),
        path_and_query: iam_path(login, "/v3.0/OS-AUTH/id-token/tokens"),
        headers: vec![
            ("Content-Type", CONTENT_TYPE.to_string()),
            ("X-Idp-Id", idp_id.as_str().to_string()),
        ],
        body: Some(body.to_string()),
    }
}

/// "Obtaining a User Token Through Password Authentication"; `nocatalog` keeps the
/// response small, since only the `X-Subject-Token` header is used.
pub fn password_login(login: &IamLogin, user: &str, domain: &str, password: &Secret) -> Request {
    let body = serde_json::json!({"auth": {
        "identity": {
            "methods": ["password"],
            "password": {"user": {
                "name": user,
                "password": password.expose(),
                "domain": {"name": domain},
            }},
        },
        "scope": scope(&login.scope),
    }});
    Request {
        method: "POST",
        endpoint: login.endpoint.clone(),
        path_and_query: iam_path(login, "/v3/auth/tokens?nocatalog=true"),
        headers: vec![("Content-Type", CONTENT_TYPE.to_string())],
        body: Some(body.to_string()),
    }
}

/// GitHub Actions' ID token: `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=...` with the
/// runner's request token as a bearer token.
pub fn github_id_token_request(
    url: &GithubTokenUrl,
    request_token: &Token,
    audience: &str,
) -> Request {
    let separator = if url.query.is_empty() { "" } else { "&" };
    let audience = percent_encode(audience.as_bytes());
    Request {
        method: "GET",
        endpoint: url.endpoint.clone(),
        path_and_query: format!("{}?{}{separator}audience={audience}", url.path, url.query),
        headers: vec![
            ("Accept", "application/json".to_string()),
            ("Content-Type", CONTENT_TYPE.to_string()),
            (
                "Authorization",
                format!("Bearer {}", request_token.expose()),
            ),
        ],
        body: None,
    }
}

/// A token as it may go into a header and an `::add-mask::` line: base64, base64url and
/// JWT characters only (IAM and ID tokens use no others), not empty, not over IAM's cap.
/// No space or control character (header injection), no `%` (the runner decodes it, so
/// the mask would miss the token), no `:`, `#`, `[` (CI command markers).
fn token(text: &str) -> Option<Token> {
    let text = text.trim();
    let valid = text.len() <= MAX_TOKEN_LEN
        && text.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_' | b'.')
        });
    valid.then(|| Secret::header(text).ok()).flatten()
}

/// The IAM token of a successful login: the `X-Subject-Token` header of a 201 (the
/// documented status; 200 is taken too, as nothing else in the answer differs). A header
/// that `holds_credential` (one the gate was given) is refused before anything else.
pub fn subject_token(
    step: Step,
    status: u16,
    header: Option<&str>,
    holds_credential: impl Fn(&str) -> bool,
) -> Result<Token, Error> {
    if !matches!(status, 200 | 201) {
        return Err(Error::Response(format!(
            "{} answered HTTP {status}, not 201 Created",
            step.what()
        )));
    }
    let Some(header) = header else {
        return Err(Error::Response(format!(
            "{} answered {status} without an X-Subject-Token header",
            step.what()
        )));
    };
    if holds_credential(header) {
        return Err(echoed_credential(step, status));
    }
    token(header).ok_or_else(|| {
        Error::Response(format!(
            "{} answered with an X-Subject-Token header that is not a token",
            step.what()
        ))
    })
}

/// The `auth` error of a login answer that holds a credential the gate was given: IAM or
/// GitHub is hostile or broken, and the answer is used nowhere (not sent, masked or shown).
pub fn echoed_credential(step: Step, status: u16) -> Error {
    let what = match step {
        Step::IdTokenRequest => "an answer",
        Step::TokenExchange | Step::PasswordLogin => "an X-Subject-Token",
    };
    Error::Auth(HttpFailure {
        status,
        code: None,
        message: format!(
            "{} answered with {what} that holds a configured credential (a password, key or \
             token the gate was given); it was refused, and is neither sent nor shown",
            step.what()
        ),
        request_id: None,
    })
}

/// A login request answered with a redirect from `url` (shown without its query, which
/// may carry a token): never followed, so that credentials stay with that origin.
pub fn redirected(step: Step, status: u16, url: &str) -> Error {
    let fix = match step {
        Step::IdTokenRequest => {
            "ACTIONS_ID_TOKEN_REQUEST_URL must be GitHub's token service itself, as the runner \
             sets it"
        }
        Step::TokenExchange | Step::PasswordLogin => "point --iam-endpoint at IAM itself",
    };
    Error::Http(HttpFailure {
        status,
        code: None,
        message: format!(
            "{} answered with a redirect from {url}, which is not followed so that \
             credentials stay with that origin; {fix}",
            step.what()
        ),
        request_id: None,
    })
}

/// GitHub's answer `{"value": "<JWT>"}`.
pub fn parse_github_id_token(body: &[u8]) -> Result<Token, Error> {
    const ANSWER: Named = Named {
        name: "GitHub Actions ID token answer",
        expected: "an object",
    };
    let answer = json::parse(body, GithubAnswer::default(), ANSWER).ok();
    match answer.and_then(|answer| answer.value.value()) {
        Some(jwt) if jwt.trim() == jwt => token(&jwt).ok_or(()),
        _ => Err(()),
    }
    .map_err(|()| {
        Error::Response(
            "the GitHub Actions ID token service answered without a \"value\" string holding \
             a token"
                .into(),
        )
    })
}

#[derive(Default)]
struct GithubAnswer<'a> {
    value: Slot<Option<Cow<'a, str>>>,
}

impl<'de> Fields<'de> for GithubAnswer<'de> {
    const WHAT: &'static str = "an ID token object";
    fn read<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        if key != "value" {
            return Ok(false);
        }
        json::text(&mut self.value, map, key)?;
        Ok(true)
    }
}

/// The ID token from `HUAWEICLOUD_SDK_ID_TOKEN_FILE`'s text (trailing newline ignored).
pub fn id_token_from_file(text: &str, path: &str) -> Result<Token, Error> {
    token(text).ok_or_else(|| {
        Error::Usage(format!(
            "HUAWEICLOUD_SDK_ID_TOKEN_FILE: {path:?} does not hold an ID token (one line \
                 of base64 or JWT characters, e.g. a JWT)"
        ))
    })
}

/// Which request of a login failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    IdTokenRequest,
    TokenExchange,
    PasswordLogin,
}

impl Step {
    /// "the IAM password login": names the step in messages.
    pub fn what(self) -> &'static str {
        match self {
            Step::IdTokenRequest => "the GitHub Actions ID token request",
            Step::TokenExchange => "the IAM exchange of the OIDC ID token",
            Step::PasswordLogin => "the IAM password login",
        }
    }

    fn advice(self, status: u16) -> &'static str {
        match (self, status) {
            (Step::IdTokenRequest, 401 | 403 | 404) => {
                "check that the workflow or job has `permissions: id-token: write`"
            }
            (Step::TokenExchange, 404) => {
                "check HUAWEICLOUD_SDK_IDP_ID: no identity provider with that id (it is the \
                 provider's name in IAM), or --iam-endpoint points elsewhere"
            }
            (Step::TokenExchange, 400..=499) => {
                "check the identity provider (HUAWEICLOUD_SDK_IDP_ID): its client ID must \
                 equal the token's audience (--oidc-audience), its issuer the token's, and its \
                 mapping rule must match this repository and branch; and check the project \
                 scope (--project-id, or the project named like --region)"
            }
            (Step::PasswordLogin, 400..=499) => {
                "check the user name (--iam-user), the account (domain) name (--iam-domain) \
                 and the password, that the user may use programmatic access and is not \
                 locked, and the project scope (--project-id, or the project named like \
                 --region)"
            }
            _ => "the service failed or limited the rate; try again later",
        }
    }
}

/// The `auth` error of a failed login step: which step, what the API said, what to check.
pub fn failure(step: Step, status: u16, code: Option<&str>, api_message: Option<&str>) -> Error {
    let said = api_message
        .map(|m| format!(" ({})", one_line(m)))
        .unwrap_or_default();
    Error::Auth(HttpFailure {
        status,
        code: code.map(one_line),
        message: format!("{} was refused{said}: {}", step.what(), step.advice(status)),
        request_id: None,
    })
}

/// A 401 saying the token expired ("Incorrect IAM authentication information: token
/// expires, expires_at: ..." with `APIG.0301`/`APIGW.0301`): a token the gate obtained
/// itself is then obtained once more.
pub fn is_expired_token(status: u16, api_message: Option<&str>) -> bool {
    status == 401 && api_message.is_some_and(|m| m.to_ascii_lowercase().contains("expire"))
}

#[cfg(test)]
mod tests;
