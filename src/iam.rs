//! Short-lived credentials: which credential kind the environment holds, and the IAM and
//! GitHub requests that turn an OIDC ID token or a user's password into an IAM token.
//! Pure: no I/O here; the client sends the requests this module builds and hands back
//! what came back, every byte of it treated as hostile.

use std::fmt;
use std::path::PathBuf;

use crate::cli::DEFAULT_OIDC_AUDIENCE;
use crate::client::one_line;
use crate::config::{
    Endpoint, Env, Secret, env_name, parse_endpoint, parse_header_value, parse_region,
};
use crate::encoding::percent_encode;
use crate::error::{Error, HttpFailure};
use crate::lookup::region;

/// IAM caps `X-Auth-Token` at 32768 characters; a longer "token" is not one.
const MAX_TOKEN_LEN: usize = 32768;
const CONTENT_TYPE: &str = "application/json;charset=utf8";

/// One kind of credential, exactly one per run (`config::Credentials` is this type). Two
/// kinds obtain an IAM token first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// An IAM token, sent as `X-Auth-Token`.
    Token(Secret),
    /// An IAM token to read from this file when the client starts.
    TokenFile(PathBuf),
    /// An access key pair: requests are signed with SDK-HMAC-SHA256.
    AccessKey {
        ak: String,
        sk: Secret,
        security_token: Option<Secret>,
    },
    /// An OIDC ID token exchanged at IAM (`X-Idp-Id`) for a project-scoped IAM token.
    Oidc {
        idp_id: String,
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
    /// `HUAWEICLOUD_SDK_ID_TOKEN_FILE`, read when the client starts.
    File(PathBuf),
    /// Requested from GitHub Actions' token service.
    Github {
        url: GithubTokenUrl,
        request_token: Secret,
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

    fn json(&self) -> serde_json::Value {
        match self {
            ProjectScope::Id(id) => serde_json::json!({"project": {"id": id}}),
            ProjectScope::Name(name) => serde_json::json!({"project": {"name": name}}),
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

/// The IAM endpoint of a region: `.myhuaweicloud.eu` where the official SDKs use it.
pub fn default_iam_endpoint(region: &str) -> Result<Endpoint, Error> {
    Endpoint::parse(&region::iam_endpoint(region)).map_err(Error::Usage)
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
pub fn id_token_exchange(login: &IamLogin, idp_id: &str, id_token: &Secret) -> Request {
    let body = serde_json::json!({"auth": {
        "id_token": {"id": id_token.expose()},
        "scope": login.scope.json(),
    }});
    Request {
        method: "POST",
        endpoint: login.endpoint.clone(),
        path_and_query: iam_path(login, "/v3.0/OS-AUTH/id-token/tokens"),
        headers: vec![
            ("Content-Type", CONTENT_TYPE.to_string()),
            ("X-Idp-Id", idp_id.to_string()),
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
        "scope": login.scope.json(),
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
    request_token: &Secret,
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
fn token_value(text: &str) -> Option<&str> {
    let text = text.trim();
    let valid = !text.is_empty()
        && text.len() <= MAX_TOKEN_LEN
        && text.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_' | b'.')
        });
    valid.then_some(text)
}

/// The IAM token of a successful login: the `X-Subject-Token` header of a 201 (the
/// documented status; 200 is taken too, as nothing else in the answer differs).
pub fn subject_token(step: Step, status: u16, header: Option<&str>) -> Result<Secret, Error> {
    if !matches!(status, 200 | 201) {
        return Err(Error::Response(format!(
            "{} answered HTTP {status}, not 201 Created",
            step.what()
        )));
    }
    match header.map(token_value) {
        Some(Some(token)) => Ok(Secret::new(token.to_string())),
        Some(None) => Err(Error::Response(format!(
            "{} answered with an X-Subject-Token header that is not a token",
            step.what()
        ))),
        None => Err(Error::Response(format!(
            "{} answered {status} without an X-Subject-Token header",
            step.what()
        ))),
    }
}

/// GitHub's answer `{"value": "<JWT>"}`.
pub fn parse_github_id_token(body: &[u8]) -> Result<Secret, Error> {
    let value = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) => map.get("value").cloned(),
        _ => None,
    };
    match value {
        Some(serde_json::Value::String(jwt)) if token_value(&jwt) == Some(jwt.as_str()) => {
            Ok(Secret::new(jwt))
        }
        _ => Err(Error::Response(
            "the GitHub Actions ID token service answered without a \"value\" string holding \
             a token"
                .into(),
        )),
    }
}

/// The ID token from `HUAWEICLOUD_SDK_ID_TOKEN_FILE`'s text (trailing newline ignored).
pub fn id_token_from_file(text: &str, path: &str) -> Result<Secret, Error> {
    token_value(text)
        .map(|token| Secret::new(token.to_string()))
        .ok_or_else(|| {
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

/// The credential flags; the others are read from the environment only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flags {
    pub token_file: Option<String>,
    pub iam_endpoint: Option<String>,
    pub iam_user: Option<String>,
    pub iam_domain: Option<String>,
    pub oidc_audience: Option<String>,
}

/// The credential kind, and the region and project to use with it: the ones given, or,
/// for the auth action's key pair, the auth action's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub credentials: Credentials,
    pub region: Option<String>,
    pub project_id: Option<String>,
}

/// The region and project id as the configuration resolved them (flag, variable, SDK).
#[derive(Debug, Clone, Copy, Default)]
pub struct Place<'a> {
    pub region: Option<&'a str>,
    pub project_id: Option<&'a str>,
}

/// A complete credential kind; building it may still fail (no IAM endpoint, no scope),
/// which is reported only when no other kind conflicts with it.
struct Found {
    label: &'static str,
    credentials: Result<Credentials, Error>,
}

const TOKEN_LABEL: &str = "a token (SERVICESTAGE_TOKEN or --token-file)";
const ACCESS_KEY_LABEL: &str = "an access key (HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK)";
const OIDC_LABEL: &str = "an OIDC identity provider (HUAWEICLOUD_SDK_IDP_ID)";
const PASSWORD_LABEL: &str = "an IAM password login (SERVICESTAGE_IAM_USER/SERVICESTAGE_IAM_DOMAIN/SERVICESTAGE_IAM_PASSWORD)";
const HW_PASSWORD_LABEL: &str = "an IAM password login (HW_USER_NAME/HW_DOMAIN_NAME/HW_PASSWORD)";
const HW_NAMES: [&str; 3] = ["HW_USER_NAME", "HW_DOMAIN_NAME", "HW_PASSWORD"];

/// Picks the one credential kind the flags and environment hold. Half a kind is a usage
/// error naming what is missing; two complete kinds is one naming both. The auth
/// action's variables count only when no other kind is set.
pub fn resolve(flags: &Flags, place: Place, env: Env) -> Result<Resolved, Error> {
    let mut found = Vec::new();
    found.extend(token_kind(flags, env)?);
    found.extend(access_key_kind(env)?);
    found.extend(oidc_kind(flags, place, env)?);
    found.extend(password_kind(flags, place, env)?);
    let resolved = |credentials| Resolved {
        credentials,
        region: place.region.map(str::to_string),
        project_id: place.project_id.map(str::to_string),
    };
    match found.as_slice() {
        [first, second, ..] => Err(usage(format!(
            "both {} and {} are set; keep one of them",
            first.label, second.label
        ))),
        [_] => Ok(resolved(found.remove(0).credentials?)),
        [] => match auth_action(place, env)? {
            Some(resolved) => Ok(resolved),
            None => Err(no_credentials(env)?),
        },
    }
}

fn usage(message: String) -> Error {
    Error::Usage(message)
}

/// The one place that reads a variable: unset and blank are the same; not UTF-8 is a
/// usage error naming it.
fn var(env: Env, name: &str) -> Result<Option<String>, Error> {
    crate::config::var(env, name)
}

/// A variable whose value goes into a header: a control character is a usage error naming
/// the variable (never quoting the value, which may be a secret).
fn header_var(env: Env, name: &str) -> Result<Option<String>, Error> {
    match var(env, name)? {
        Some(value) => match parse_header_value(value.trim()) {
            Ok(_) => Ok(Some(value)),
            Err(why) => Err(usage(format!("{name}: {why}"))),
        },
        None => Ok(None),
    }
}

/// A flag, else its `SERVICESTAGE_` variable: (where it came from, value). An empty flag
/// value is a usage error, as for every other flag.
fn setting(
    value: &Option<String>,
    flag: &str,
    env: Env,
) -> Result<Option<(String, String)>, Error> {
    if let Some(value) = value {
        if value.trim().is_empty() {
            return Err(usage(format!("--{flag}: empty value")));
        }
        return Ok(Some((format!("--{flag}"), value.clone())));
    }
    let name = env_name(flag);
    Ok(var(env, &name)?.map(|value| (name, value)))
}

/// A name that goes into a header or a JSON body: trimmed, no control characters.
fn name_value(origin: &str, value: &str) -> Result<String, Error> {
    let value = value.trim();
    if value.chars().any(char::is_control) {
        return Err(usage(format!(
            "{origin}: must not contain control characters"
        )));
    }
    Ok(value.to_string())
}

fn token_kind(flags: &Flags, env: Env) -> Result<Option<Found>, Error> {
    let credentials = match (
        header_var(env, "SERVICESTAGE_TOKEN")?,
        setting(&flags.token_file, "token-file", env)?,
    ) {
        (Some(_), Some((origin, _))) => {
            return Err(usage(format!(
                "both SERVICESTAGE_TOKEN and {origin} are set; keep one of them"
            )));
        }
        (Some(token), None) => Credentials::Token(Secret::new(token.trim().to_string())),
        (None, Some((_, path))) => Credentials::TokenFile(PathBuf::from(path)),
        (None, None) => return Ok(None),
    };
    Ok(Some(Found {
        label: TOKEN_LABEL,
        credentials: Ok(credentials),
    }))
}

fn access_key_kind(env: Env) -> Result<Option<Found>, Error> {
    let security_token = header_var(env, "HUAWEICLOUD_SDK_SECURITY_TOKEN")?;
    let credentials = match (
        header_var(env, "HUAWEICLOUD_SDK_AK")?,
        header_var(env, "HUAWEICLOUD_SDK_SK")?,
    ) {
        (Some(ak), Some(sk)) => Credentials::AccessKey {
            ak: ak.trim().to_string(),
            sk: Secret::new(sk.trim().to_string()),
            security_token: security_token.map(|t| Secret::new(t.trim().to_string())),
        },
        (Some(_), None) => {
            return Err(usage(
                "HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK is not; set both or neither"
                    .into(),
            ));
        }
        (None, Some(_)) => {
            return Err(usage(
                "HUAWEICLOUD_SDK_SK is set but HUAWEICLOUD_SDK_AK is not; set both or neither"
                    .into(),
            ));
        }
        (None, None) if security_token.is_some() => {
            return Err(usage(
                "HUAWEICLOUD_SDK_SECURITY_TOKEN is set without HUAWEICLOUD_SDK_AK and \
                 HUAWEICLOUD_SDK_SK; temporary credentials need all three"
                    .into(),
            ));
        }
        (None, None) => return Ok(None),
    };
    Ok(Some(Found {
        label: ACCESS_KEY_LABEL,
        credentials: Ok(credentials),
    }))
}

fn oidc_kind(flags: &Flags, place: Place, env: Env) -> Result<Option<Found>, Error> {
    let file = var(env, "HUAWEICLOUD_SDK_ID_TOKEN_FILE")?;
    let Some(idp_id) = header_var(env, "HUAWEICLOUD_SDK_IDP_ID")? else {
        return match file {
            Some(_) => Err(usage(
                "HUAWEICLOUD_SDK_ID_TOKEN_FILE is set but HUAWEICLOUD_SDK_IDP_ID is not; the \
                 exchange at IAM needs the identity provider's id"
                    .into(),
            )),
            None => Ok(None),
        };
    };
    let idp_id = name_value("HUAWEICLOUD_SDK_IDP_ID", &idp_id)?;
    let id_token = match file {
        Some(path) => IdTokenSource::File(PathBuf::from(path.trim())),
        None => github_source(flags, env)?,
    };
    let credentials = iam_login(flags, place, env).map(|login| Credentials::Oidc {
        idp_id,
        id_token,
        login,
    });
    Ok(Some(Found {
        label: OIDC_LABEL,
        credentials,
    }))
}

/// Inside GitHub Actions, with `permissions: id-token: write`, the job may ask for its
/// own ID token.
fn github_source(flags: &Flags, env: Env) -> Result<IdTokenSource, Error> {
    let url = var(env, "ACTIONS_ID_TOKEN_REQUEST_URL")?;
    let request_token = header_var(env, "ACTIONS_ID_TOKEN_REQUEST_TOKEN")?;
    let (url, request_token) = match (url, request_token) {
        (Some(url), Some(token)) => (url, token),
        (None, None) => {
            return Err(usage(
                "HUAWEICLOUD_SDK_IDP_ID is set but there is no ID token: set \
                 HUAWEICLOUD_SDK_ID_TOKEN_FILE, or run in GitHub Actions with `permissions: \
                 id-token: write` (which sets ACTIONS_ID_TOKEN_REQUEST_URL and \
                 ACTIONS_ID_TOKEN_REQUEST_TOKEN)"
                    .into(),
            ));
        }
        (Some(_), None) => {
            return Err(usage(
                "ACTIONS_ID_TOKEN_REQUEST_URL is set but ACTIONS_ID_TOKEN_REQUEST_TOKEN is not"
                    .into(),
            ));
        }
        (None, Some(_)) => {
            return Err(usage(
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN is set but ACTIONS_ID_TOKEN_REQUEST_URL is not"
                    .into(),
            ));
        }
    };
    let url = GithubTokenUrl::parse(url.trim())
        .map_err(|why| usage(format!("ACTIONS_ID_TOKEN_REQUEST_URL: {why}")))?;
    let audience = match setting(&flags.oidc_audience, "oidc-audience", env)? {
        Some((origin, audience)) => name_value(&origin, &audience)?,
        None => DEFAULT_OIDC_AUDIENCE.to_string(),
    };
    Ok(IdTokenSource::Github {
        url,
        request_token: Secret::new(request_token.trim().to_string()),
        audience,
    })
}

/// The IAM endpoint (`--iam-endpoint`, `SERVICESTAGE_IAM_ENDPOINT`,
/// `HUAWEICLOUD_SDK_IAM_ENDPOINT`, else the region's) and the project scope.
fn iam_login(flags: &Flags, place: Place, env: Env) -> Result<IamLogin, Error> {
    let sdk = "HUAWEICLOUD_SDK_IAM_ENDPOINT";
    let given = match setting(&flags.iam_endpoint, "iam-endpoint", env)? {
        Some(given) => Some(given),
        // The SDKs take a bare host here and prepend https://; so does the gate.
        None => var(env, sdk)?.map(|v| {
            let v = v.trim();
            let url = if v.contains("://") {
                v.to_string()
            } else {
                format!("https://{v}")
            };
            (sdk.to_string(), url)
        }),
    };
    let endpoint = match (given, place.region) {
        (Some((origin, url)), _) => {
            parse_endpoint(url.trim()).map_err(|why| usage(format!("{origin}: {why}")))?
        }
        (None, Some(region)) => default_iam_endpoint(region)?,
        (None, None) => {
            return Err(usage(
                "an IAM login needs the IAM endpoint: set --region (or SERVICESTAGE_REGION) or \
                 --iam-endpoint (or SERVICESTAGE_IAM_ENDPOINT)"
                    .into(),
            ));
        }
    };
    let scope = ProjectScope::new(place.project_id, place.region).ok_or_else(|| {
        usage(
            "an IAM login needs a project to scope the token to: set --project-id or --region"
                .into(),
        )
    })?;
    Ok(IamLogin { endpoint, scope })
}

fn password_kind(flags: &Flags, place: Place, env: Env) -> Result<Option<Found>, Error> {
    let ours = [
        setting(&flags.iam_user, "iam-user", env)?,
        setting(&flags.iam_domain, "iam-domain", env)?,
        var(env, "SERVICESTAGE_IAM_PASSWORD")?.map(|p| ("SERVICESTAGE_IAM_PASSWORD".into(), p)),
    ];
    let (label, [user, domain, password]) = if ours.iter().any(Option::is_some) {
        let names = [
            "--iam-user (or SERVICESTAGE_IAM_USER)",
            "--iam-domain (or SERVICESTAGE_IAM_DOMAIN)",
            "SERVICESTAGE_IAM_PASSWORD",
        ];
        if let Some(missing) = missing(&ours, &names) {
            return Err(usage(format!(
                "an IAM password login needs a user, a domain and a password: {missing} not set"
            )));
        }
        (PASSWORD_LABEL, ours.map(Option::unwrap))
    } else {
        // Terraform's names: a fallback, so a partial set is not an error by itself.
        let hw = hw_names(env)?;
        if hw.iter().any(Option::is_none) {
            return Ok(None);
        }
        (HW_PASSWORD_LABEL, hw.map(Option::unwrap))
    };
    let credentials = (|| {
        Ok(Credentials::Password {
            user: name_value(&user.0, &user.1)?,
            domain: name_value(&domain.0, &domain.1)?,
            password: Secret::new(password.1),
            login: iam_login(flags, place, env)?,
        })
    })();
    Ok(Some(Found { label, credentials }))
}

/// "X is" / "X and Y are" for the unset ones, if any.
fn missing(values: &[Option<(String, String)>], names: &[&str]) -> Option<String> {
    let unset: Vec<&str> = values
        .iter()
        .zip(names)
        .filter(|(value, _)| value.is_none())
        .map(|(_, name)| *name)
        .collect();
    match unset.as_slice() {
        [] => None,
        [one] => Some(format!("{one} is")),
        many => Some(format!("{} are", many.join(" and "))),
    }
}

/// `huaweicloud/auth-action`'s key pair, with its region and project as fallbacks.
fn auth_action(place: Place, env: Env) -> Result<Option<Resolved>, Error> {
    let ak = header_var(env, "HUAWEI_CLOUD_ACCESS_KEY_ID")?;
    let sk = header_var(env, "HUAWEI_CLOUD_SECRET_ACCESS_KEY")?;
    let (ak, sk) = match (ak, sk) {
        (Some(ak), Some(sk)) => (ak, sk),
        (None, None) => return Ok(None),
        (Some(_), None) | (None, Some(_)) => {
            return Err(usage(
                "HUAWEI_CLOUD_ACCESS_KEY_ID and HUAWEI_CLOUD_SECRET_ACCESS_KEY (from \
                 huaweicloud/auth-action) must be set together"
                    .into(),
            ));
        }
    };
    let region = match place.region {
        Some(region) => Some(region.to_string()),
        None => match var(env, "HUAWEI_CLOUD_REGION")? {
            Some(region) => Some(
                parse_region(region.trim())
                    .map_err(|why| usage(format!("HUAWEI_CLOUD_REGION: {why}")))?,
            ),
            None => None,
        },
    };
    let project_id = match place.project_id {
        Some(id) => Some(id.to_string()),
        None => header_var(env, "HUAWEI_CLOUD_PROJECT_ID")?.map(|p| p.trim().to_string()),
    };
    let credentials = Credentials::AccessKey {
        ak: ak.trim().to_string(),
        sk: Secret::new(sk.trim().to_string()),
        security_token: None,
    };
    Ok(Some(Resolved {
        credentials,
        region,
        project_id,
    }))
}

/// Terraform's three variables, each with its name.
fn hw_names(env: Env) -> Result<[Option<(String, String)>; 3], Error> {
    let [user, domain, password] = HW_NAMES.map(|name| var(env, name));
    let named = |name: &str, value: Option<String>| value.map(|v| (name.to_string(), v));
    Ok([
        named(HW_NAMES[0], user?),
        named(HW_NAMES[1], domain?),
        named(HW_NAMES[2], password?),
    ])
}

fn no_credentials(env: Env) -> Result<Error, Error> {
    let hw = hw_names(env)?;
    let partial_hw = match missing(&hw, &HW_NAMES) {
        Some(missing) if hw.iter().any(Option::is_some) => {
            format!(
                " (HW_USER_NAME, HW_DOMAIN_NAME and HW_PASSWORD are only partly set: {missing} not set)"
            )
        }
        _ => String::new(),
    };
    Ok(usage(format!(
        "no credentials: set SERVICESTAGE_TOKEN (or --token-file); or HUAWEICLOUD_SDK_AK and \
         HUAWEICLOUD_SDK_SK; or HUAWEICLOUD_SDK_IDP_ID with HUAWEICLOUD_SDK_ID_TOKEN_FILE (or \
         inside GitHub Actions with `permissions: id-token: write`); or SERVICESTAGE_IAM_USER, \
         SERVICESTAGE_IAM_DOMAIN and SERVICESTAGE_IAM_PASSWORD{partial_hw}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

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
        let jwt = Secret::new("eyJ.a\"b.c".into());
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
            let request = id_token_exchange(&login(scope), "github-idp", &jwt);
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
        let token = Secret::new("runner-token".into());
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
        let github = github_id_token_request(&url, &Secret::new("RUNNER".into()), "aud");
        let login = login(ProjectScope::Id("p".into()));
        let password = password_login(&login, "u", "d", &Secret::new("PASSWORD".into()));
        let exchange = id_token_exchange(&login, "idp", &Secret::new("JWT".into()));
        for request in [github, password, exchange] {
            let shown = format!("{request:?} {}", request.log_url());
            for secret in ["RUNNER", "PASSWORD", "JWT", "runner-query"] {
                assert!(!shown.contains(secret), "{shown}");
            }
        }
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
    }

    #[test]
    fn iam_endpoint_from_the_region() {
        let cases = [
            ("cn-north-4", "https://iam.cn-north-4.myhuaweicloud.com"),
            (
                "ap-southeast-1",
                "https://iam.ap-southeast-1.myhuaweicloud.com",
            ),
            ("eu-west-101", "https://iam.eu-west-101.myhuaweicloud.eu"),
        ];
        for (region, expected) in cases {
            assert_eq!(default_iam_endpoint(region).unwrap().origin(), expected);
        }
    }

    #[test]
    fn subject_token_from_the_header() {
        let step = Step::PasswordLogin;
        assert_eq!(
            subject_token(step, 201, Some(" MIIabc+/= ")).unwrap(),
            Secret::new("MIIabc+/=".into())
        );
        assert_eq!(
            subject_token(step, 200, Some("MII")).unwrap(),
            Secret::new("MII".into())
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
            match subject_token(step, status, header) {
                Err(Error::Response(m)) => assert!(m.contains(expected), "{m}"),
                other => panic!("{status} {header:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn github_id_token_body() {
        assert_eq!(
            parse_github_id_token(br#"{"value":"eyJ.x.y","count":1}"#).unwrap(),
            Secret::new("eyJ.x.y".into())
        );
        let bad: [&[u8]; 7] = [
            br#"["eyJ"]"#,
            br#"{"value":""}"#,
            br#"{"value":42}"#,
            br#"{"value":"eyJ\n.x"}"#,
            br#"{"Value":"eyJ"}"#,
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
            Secret::new("eyJ.x.y".into())
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
                "HUAWEICLOUD_SDK_IDP_ID",
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

    const GITHUB: [(&str, &str); 2] = [
        (
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            "https://gh.example/idtoken?api-version=2.0",
        ),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "runner"),
    ];
    const REGION: Place = Place {
        region: Some("cn-north-4"),
        project_id: None,
    };

    fn resolve_with(flags: &Flags, place: Place, vars: &[(&str, &str)]) -> Result<Resolved, Error> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        resolve(flags, place, &move |name: &str| {
            map.get(name).map(Into::into)
        })
    }

    fn credentials(flags: &Flags, place: Place, vars: &[(&str, &str)]) -> Credentials {
        resolve_with(flags, place, vars).unwrap().credentials
    }

    #[test]
    fn oidc_from_a_file_or_from_github() {
        let idp = ("HUAWEICLOUD_SDK_IDP_ID", " github ");
        let file = ("HUAWEICLOUD_SDK_ID_TOKEN_FILE", "/run/jwt");
        let by_name = login(ProjectScope::Name("cn-north-4".into()));
        let iam = Endpoint::parse("https://iam.cn-north-4.myhuaweicloud.com").unwrap();
        assert_eq!(
            credentials(
                &Flags::default(),
                REGION,
                &[idp, file, GITHUB[0], GITHUB[1]]
            ),
            Credentials::Oidc {
                idp_id: "github".into(),
                id_token: IdTokenSource::File("/run/jwt".into()),
                login: IamLogin {
                    endpoint: iam.clone(),
                    scope: by_name.scope.clone()
                },
            },
            "a token file wins over fetching one"
        );
        let flags = Flags {
            oidc_audience: Some("my-aud".into()),
            ..Flags::default()
        };
        let place = Place {
            project_id: Some("p1"),
            ..REGION
        };
        match credentials(&flags, place, &[idp, GITHUB[0], GITHUB[1]]) {
            Credentials::Oidc {
                id_token:
                    IdTokenSource::Github {
                        url,
                        request_token,
                        audience,
                    },
                login,
                ..
            } => {
                assert_eq!(url.endpoint.origin(), "https://gh.example");
                assert_eq!(
                    (url.path.as_str(), url.query.as_str()),
                    ("/idtoken", "api-version=2.0")
                );
                assert_eq!(request_token, Secret::new("runner".into()));
                assert_eq!(audience, "my-aud");
                assert_eq!(
                    login,
                    IamLogin {
                        endpoint: iam,
                        scope: ProjectScope::Id("p1".into())
                    }
                );
            }
            other => panic!("{other:?}"),
        }
        match credentials(&Flags::default(), REGION, &[idp, GITHUB[0], GITHUB[1]]) {
            Credentials::Oidc {
                id_token: IdTokenSource::Github { audience, .. },
                ..
            } => {
                assert_eq!(audience, DEFAULT_OIDC_AUDIENCE)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn iam_endpoint_precedence() {
        let idp = [
            ("HUAWEICLOUD_SDK_IDP_ID", "g"),
            ("HUAWEICLOUD_SDK_ID_TOKEN_FILE", "/t"),
        ];
        let sdk = ("HUAWEICLOUD_SDK_IAM_ENDPOINT", "iam.sdk.example");
        let ours = ("SERVICESTAGE_IAM_ENDPOINT", "https://iam.ours.example");
        let flag = Flags {
            iam_endpoint: Some("http://127.0.0.1:7".into()),
            ..Flags::default()
        };
        type Case<'a> = (&'a Flags, Vec<(&'a str, &'a str)>, &'a str);
        let cases: [Case; 4] = [
            (&flag, vec![ours, sdk], "http://127.0.0.1:7"),
            (
                &Flags::default(),
                vec![ours, sdk],
                "https://iam.ours.example",
            ),
            (&Flags::default(), vec![sdk], "https://iam.sdk.example"),
            (
                &Flags::default(),
                vec![],
                "https://iam.cn-north-4.myhuaweicloud.com",
            ),
        ];
        for (flags, extra, expected) in cases {
            let vars = [&idp[..], &extra].concat();
            match credentials(flags, REGION, &vars) {
                Credentials::Oidc { login, .. } => assert_eq!(login.endpoint.origin(), expected),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn password_logins_and_their_fallbacks() {
        let hw = [
            ("HW_USER_NAME", "tf-user"),
            ("HW_DOMAIN_NAME", "tf-domain"),
            ("HW_PASSWORD", "tf-pw"),
        ];
        let ours = [
            ("SERVICESTAGE_IAM_USER", "gate-user"),
            ("SERVICESTAGE_IAM_DOMAIN", "gate-domain"),
            ("SERVICESTAGE_IAM_PASSWORD", " pw with spaces "),
        ];
        let user = |c: Credentials| match c {
            Credentials::Password {
                user,
                domain,
                password,
                ..
            } => (user, domain, password.expose().to_string()),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            user(credentials(&Flags::default(), REGION, &hw)),
            ("tf-user".into(), "tf-domain".into(), "tf-pw".into())
        );
        assert_eq!(
            user(credentials(
                &Flags::default(),
                REGION,
                &[&hw[..], &ours].concat()
            )),
            (
                "gate-user".into(),
                "gate-domain".into(),
                " pw with spaces ".into()
            ),
            "ours win over Terraform's, as a whole"
        );
        assert!(
            resolve_with(&Flags::default(), REGION, &[&ours[..], &[hw[2]]].concat()).is_ok(),
            "a partial Terraform set is no error when ours is complete"
        );
        let flags = Flags {
            iam_user: Some("flag-user".into()),
            iam_domain: Some("flag-domain".into()),
            ..Flags::default()
        };
        assert_eq!(
            user(credentials(&flags, REGION, &[ours[2]])),
            (
                "flag-user".into(),
                "flag-domain".into(),
                " pw with spaces ".into()
            )
        );
    }

    #[test]
    fn the_auth_action_is_the_last_resort() {
        let action = [
            ("HUAWEI_CLOUD_ACCESS_KEY_ID", "AAK"),
            ("HUAWEI_CLOUD_SECRET_ACCESS_KEY", "ASK"),
            ("HUAWEI_CLOUD_REGION", "ap-southeast-1"),
            ("HUAWEI_CLOUD_PROJECT_ID", "aproject"),
        ];
        let resolved = resolve_with(&Flags::default(), Place::default(), &action).unwrap();
        assert_eq!(
            resolved,
            Resolved {
                credentials: Credentials::AccessKey {
                    ak: "AAK".into(),
                    sk: Secret::new("ASK".into()),
                    security_token: None
                },
                region: Some("ap-southeast-1".into()),
                project_id: Some("aproject".into()),
            }
        );
        let given = Place {
            region: Some("cn-north-4"),
            project_id: Some("mine"),
        };
        let resolved = resolve_with(&Flags::default(), given, &action).unwrap();
        assert_eq!(
            (resolved.region.as_deref(), resolved.project_id.as_deref()),
            (Some("cn-north-4"), Some("mine")),
            "the gate's own region and project win"
        );
        let token = ("SERVICESTAGE_TOKEN", "t0ken");
        let resolved = resolve_with(
            &Flags::default(),
            Place::default(),
            &[&action[..], &[token]].concat(),
        )
        .unwrap();
        assert_eq!(
            resolved,
            Resolved {
                credentials: Credentials::Token(Secret::new("t0ken".into())),
                region: None,
                project_id: None
            },
            "with another credential, the auth action's variables are not read"
        );
    }

    #[test]
    fn usage_errors_name_what_is_missing_or_doubled() {
        let token = ("SERVICESTAGE_TOKEN", "t");
        let ak = [("HUAWEICLOUD_SDK_AK", "a"), ("HUAWEICLOUD_SDK_SK", "s")];
        let idp = ("HUAWEICLOUD_SDK_IDP_ID", "g");
        let file = ("HUAWEICLOUD_SDK_ID_TOKEN_FILE", "/t");
        let pw = [
            ("SERVICESTAGE_IAM_USER", "u"),
            ("SERVICESTAGE_IAM_DOMAIN", "d"),
            ("SERVICESTAGE_IAM_PASSWORD", "p"),
        ];
        let hw = [
            ("HW_USER_NAME", "u"),
            ("HW_DOMAIN_NAME", "d"),
            ("HW_PASSWORD", "p"),
        ];
        let none = Place::default();
        type Case<'a> = (Place<'a>, Vec<(&'a str, &'a str)>, &'a str);
        let cases: Vec<Case> = vec![
            (
                REGION,
                vec![token, ak[0], ak[1]],
                "both a token (SERVICESTAGE_TOKEN or --token-file) and an access key (HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK) are set",
            ),
            (
                REGION,
                vec![token, idp, file],
                "both a token (SERVICESTAGE_TOKEN or --token-file) and an OIDC identity provider (HUAWEICLOUD_SDK_IDP_ID)",
            ),
            (
                none,
                vec![idp, file, pw[0], pw[1], pw[2]],
                "both an OIDC identity provider (HUAWEICLOUD_SDK_IDP_ID) and an IAM password login (SERVICESTAGE_IAM_USER",
            ),
            (
                REGION,
                vec![ak[0], ak[1], hw[0], hw[1], hw[2]],
                "and an IAM password login (HW_USER_NAME/HW_DOMAIN_NAME/HW_PASSWORD)",
            ),
            (
                REGION,
                vec![ak[0]],
                "HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK is not",
            ),
            (
                REGION,
                vec![file],
                "HUAWEICLOUD_SDK_ID_TOKEN_FILE is set but HUAWEICLOUD_SDK_IDP_ID is not",
            ),
            (REGION, vec![idp], "permissions: id-token: write"),
            (
                REGION,
                vec![idp, GITHUB[0]],
                "ACTIONS_ID_TOKEN_REQUEST_URL is set but ACTIONS_ID_TOKEN_REQUEST_TOKEN is not",
            ),
            (
                REGION,
                vec![
                    idp,
                    ("ACTIONS_ID_TOKEN_REQUEST_URL", "http://gh.example/t"),
                    GITHUB[1],
                ],
                "ACTIONS_ID_TOKEN_REQUEST_URL: \"http://gh.example/t\" uses plain http://",
            ),
            (
                REGION,
                vec![
                    idp,
                    file,
                    ("SERVICESTAGE_IAM_ENDPOINT", "http://iam.example"),
                ],
                "SERVICESTAGE_IAM_ENDPOINT: \"http://iam.example\" uses plain http://",
            ),
            (
                none,
                vec![idp, file],
                "needs the IAM endpoint: set --region",
            ),
            (
                REGION,
                vec![pw[0]],
                "--iam-domain (or SERVICESTAGE_IAM_DOMAIN) and SERVICESTAGE_IAM_PASSWORD are not set",
            ),
            (
                REGION,
                vec![pw[0], pw[1]],
                "SERVICESTAGE_IAM_PASSWORD is not set",
            ),
            (
                REGION,
                vec![("SERVICESTAGE_IAM_USER", "u\u{7}"), pw[1], pw[2]],
                "SERVICESTAGE_IAM_USER: must not contain control characters",
            ),
            (REGION, vec![hw[0], hw[1]], "HW_PASSWORD is not set"),
            (
                REGION,
                vec![("HUAWEI_CLOUD_ACCESS_KEY_ID", "a")],
                "must be set together",
            ),
            (
                none,
                vec![
                    ("HUAWEI_CLOUD_ACCESS_KEY_ID", "a"),
                    ("HUAWEI_CLOUD_SECRET_ACCESS_KEY", "s"),
                    ("HUAWEI_CLOUD_REGION", "CN North"),
                ],
                "HUAWEI_CLOUD_REGION: invalid region",
            ),
            (REGION, vec![], "no credentials: set SERVICESTAGE_TOKEN"),
        ];
        for (place, vars, expected) in cases {
            match resolve_with(&Flags::default(), place, &vars) {
                Err(Error::Usage(message)) => assert!(
                    message.contains(expected),
                    "{vars:?}: {message}\n  lacks {expected}"
                ),
                other => panic!("{vars:?}: expected a usage error, got {other:?}"),
            }
        }
        let flags = Flags {
            token_file: Some("/t".into()),
            ..Flags::default()
        };
        assert!(
            matches!(resolve_with(&flags, REGION, &[token]), Err(Error::Usage(m)) if m.contains("both SERVICESTAGE_TOKEN and --token-file"))
        );
    }

    #[test]
    fn resolved_credentials_hide_secrets() {
        let vars = [
            ("HUAWEICLOUD_SDK_IDP_ID", "g"),
            GITHUB[0],
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "RUNNER-SECRET"),
        ];
        let shown = format!(
            "{:?}",
            resolve_with(&Flags::default(), REGION, &vars).unwrap()
        );
        assert!(!shown.contains("RUNNER-SECRET"), "{shown}");
        let pw = [
            ("HW_USER_NAME", "u"),
            ("HW_DOMAIN_NAME", "d"),
            ("HW_PASSWORD", "PW-SECRET"),
        ];
        let shown = format!(
            "{:?}",
            resolve_with(&Flags::default(), REGION, &pw).unwrap()
        );
        assert!(!shown.contains("PW-SECRET"), "{shown}");
    }
}
