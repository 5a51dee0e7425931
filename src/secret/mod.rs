//! Credentials and where they may go: the types the configuration fills in and the
//! transport sends. `Secret` hides its value from `Debug`; `HeaderValue` is the one
//! policy for text sent in an HTTP header, checked once, when the value is made.

mod endpoint;

use std::fmt;
use std::ops::Deref;
use std::path::PathBuf;

pub use endpoint::{EU_SITE_REGIONS, Endpoint, Scheme, parse_endpoint, regional};

/// A credential that must never be printed: `Debug` hides it. `Secret<HeaderValue>` is one
/// that may be sent in a header.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T = String>(T);

impl Secret {
    /// A credential of any text (a password, a secret key).
    pub fn new(value: String) -> Secret {
        Secret(value)
    }
}

impl<T: AsRef<str>> Secret<T> {
    pub fn expose(&self) -> &str {
        self.0.as_ref()
    }
}

impl Secret<HeaderValue> {
    /// A credential for a header; why not, in words that follow its name.
    pub fn header(value: &str) -> Result<Token, String> {
        HeaderValue::parse(value).map(Secret)
    }

    /// A header value that is a credential.
    pub fn checked(value: HeaderValue) -> Token {
        Secret(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<hidden>)")
    }
}

/// A credential sent in a header (a token, a security token, a bearer token).
pub type Token = Secret<HeaderValue>;

/// Text that may be sent as an HTTP header value: printable ASCII (space to `~`), not
/// empty. A control character could not be sent or would split the header; other
/// characters are refused rather than sent in an encoding the server may not share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderValue(String);

impl HeaderValue {
    /// Checks `value`; the error follows the flag or variable name: `--project-id: ...`.
    pub fn parse(value: &str) -> Result<HeaderValue, String> {
        match value.chars().find(|c| !(' '..='~').contains(c)) {
            None if !value.is_empty() => Ok(HeaderValue(value.to_string())),
            None => Err("is empty, and an HTTP header cannot carry nothing".into()),
            Some(c) if c.is_control() => Err(
                "contains a control character (such as a line break), which no HTTP header \
                 can carry"
                    .into(),
            ),
            Some(_) => Err(
                "contains a character outside printable ASCII, which the gate does not send \
                 in an HTTP header"
                    .into(),
            ),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for HeaderValue {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for HeaderValue {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// One kind of credential, exactly one per run. Two kinds obtain an IAM token first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// An IAM token, sent as `X-Auth-Token`.
    Token(Token),
    /// An IAM token to read from this file when the client starts.
    TokenFile(PathBuf),
    /// An access key pair: requests are signed with SDK-HMAC-SHA256.
    AccessKey {
        ak: HeaderValue,
        sk: Secret,
        security_token: Option<Token>,
    },
    /// An OIDC ID token exchanged at IAM (`X-Idp-Id`) for a project-scoped IAM token.
    Oidc {
        idp_id: HeaderValue,
        id_token: IdTokenSource,
        login: IamLogin,
    },
    /// An IAM user's password login.
    Password {
        user: String,
        domain: String,
        password: Secret,
        login: IamLogin,
    },
}

/// Where the OIDC ID token comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdTokenSource {
    /// `HUAWEICLOUD_SDK_ID_TOKEN_FILE`, read at each login.
    File(PathBuf),
    /// Requested from GitHub Actions' token service.
    Github {
        url: GithubTokenUrl,
        request_token: Token,
        audience: String,
    },
}

/// Where to log in and what the token is scoped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamLogin {
    pub endpoint: Endpoint,
    pub scope: ProjectScope,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectScope {
    Id(String),
    /// Huawei Cloud names each region's default project after the region.
    Name(String),
}

impl ProjectScope {
    /// `--project-id` if given, else the project named like the region.
    pub fn new(project_id: Option<&str>, region: Option<&str>) -> Option<ProjectScope> {
        match (project_id, region) {
            (Some(id), _) => Some(ProjectScope::Id(id.to_string())),
            (None, Some(region)) => Some(ProjectScope::Name(region.to_string())),
            (None, None) => None,
        }
    }
}

/// `$ACTIONS_ID_TOKEN_REQUEST_URL`, split so the origin can be checked like an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubTokenUrl {
    pub endpoint: Endpoint,
    /// The path and query exactly as given (the query may be empty).
    pub path: String,
    pub query: String,
}

impl GithubTokenUrl {
    pub fn parse(url: &str) -> Result<GithubTokenUrl, String> {
        let (before_query, query) = url.split_once('?').unwrap_or((url, ""));
        if query.contains('#') || query.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("{url:?} has a fragment or spaces in its query"));
        }
        let endpoint = parse_endpoint(before_query)?;
        let after_scheme = &before_query[before_query.find("://").map_or(0, |i| i + 3)..];
        let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
        Ok(GithubTokenUrl {
            endpoint,
            path: path.to_string(),
            query: query.to_string(),
        })
    }
}

impl Credentials {
    /// Every credential value: what server text must never echo.
    pub fn values(&self) -> Vec<&str> {
        match self {
            Credentials::Token(token) => vec![token.expose()],
            Credentials::AccessKey {
                ak,
                sk,
                security_token,
            } => [Some(ak.as_str()), Some(sk.expose())]
                .into_iter()
                .chain([security_token.as_ref().map(Token::expose)])
                .flatten()
                .collect(),
            Credentials::Oidc {
                id_token: IdTokenSource::Github { request_token, .. },
                ..
            } => vec![request_token.expose()],
            Credentials::Password { password, .. } => vec![password.expose()],
            Credentials::TokenFile(_) | Credentials::Oidc { .. } => Vec::new(),
        }
    }

    /// The endpoints a login talks to.
    pub fn login_endpoints(&self) -> Vec<&Endpoint> {
        match self {
            Credentials::Oidc {
                id_token: IdTokenSource::Github { url, .. },
                login,
                ..
            } => vec![&login.endpoint, &url.endpoint],
            Credentials::Oidc { login, .. } | Credentials::Password { login, .. } => {
                vec![&login.endpoint]
            }
            Credentials::Token(_) | Credentials::TokenFile(_) | Credentials::AccessKey { .. } => {
                Vec::new()
            }
        }
    }

    /// Whether the credentials obtain an IAM token at a login first.
    pub fn log_in(&self) -> bool {
        matches!(
            self,
            Credentials::Oidc { .. } | Credentials::Password { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_are_printable_ascii() {
        for good in ["t0ken", "a b", "~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./"] {
            assert_eq!(HeaderValue::parse(good).unwrap().as_str(), good);
        }
        let cases = [
            ("", "is empty"),
            ("a\nb", "contains a control character"),
            ("a\r", "contains a control character"),
            ("a\u{0}", "contains a control character"),
            ("a\u{7f}", "contains a control character"),
            ("a\tb", "contains a control character"),
            ("é", "outside printable ASCII"),
            ("a\u{85}", "contains a control character"),
            ("a\u{200b}", "outside printable ASCII"),
        ];
        for (value, expected) in cases {
            let why = HeaderValue::parse(value).unwrap_err();
            assert!(why.contains(expected), "{value:?}: {why}");
        }
    }

    #[test]
    fn secrets_hide_their_value() {
        let secret = Secret::new("PASSWORD".to_string());
        let token = Secret::header("TOKEN").unwrap();
        let shown = format!("{secret:?} {token:?}");
        assert!(
            !shown.contains("PASSWORD") && !shown.contains("TOKEN"),
            "{shown}"
        );
        assert_eq!((secret.expose(), token.expose()), ("PASSWORD", "TOKEN"));
    }

    #[test]
    fn github_url_rules() {
        let cases = [
            ("https://x.example/a?b=1#f", "fragment"),
            ("https://x.example/a?b=1 2", "spaces"),
            ("http://x.example/a?b=1", "plain http://"),
            ("ftp://x.example/a", "not an http"),
        ];
        for (url, expected) in cases {
            let why = GithubTokenUrl::parse(url).unwrap_err();
            assert!(why.contains(expected), "{url}: {why}");
        }
        let url = GithubTokenUrl::parse("http://localhost:1").unwrap();
        assert_eq!((url.path.as_str(), url.query.as_str()), ("/", ""));
    }
}
