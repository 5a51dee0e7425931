//! Which credential kind the flags and environment hold (exactly one), read like every
//! other setting: flags and the credential variables through the options table, the other
//! tools' variables (`HW_*`, `HUAWEI_CLOUD_*`, GitHub's, the SDK's IAM endpoint) by name.
//! Values sent in a header are checked here, once, as `HeaderValue`s.

use std::path::PathBuf;

use super::endpoint::parse_region;
use super::env::{Lookup, Setting};
use crate::cli::{Opt, opt};
use crate::error::Error;
use crate::secret::{
    Credentials, GithubTokenUrl, HeaderValue, IamLogin, IdTokenSource, ProjectScope, Secret,
    parse_endpoint, regional,
};

/// The credential kind, and the region and project to use with it: the ones given, or,
/// for the auth action's key pair, the auth action's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub credentials: Credentials,
    pub region: Option<String>,
    pub project_id: Option<HeaderValue>,
}

/// The region and project id as the configuration resolved them (flag, variable, SDK).
#[derive(Debug, Clone, Copy, Default)]
pub struct Place<'a> {
    pub region: Option<&'a str>,
    pub project_id: Option<&'a HeaderValue>,
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
pub(super) fn resolve(lookup: &Lookup, place: Place) -> Result<Resolved, Error> {
    let reader = Reader { lookup, place };
    let mut found = Vec::new();
    found.extend(reader.token_kind()?);
    found.extend(reader.access_key_kind()?);
    found.extend(reader.oidc_kind()?);
    found.extend(reader.password_kind()?);
    let resolved = |credentials| Resolved {
        credentials,
        region: place.region.map(str::to_string),
        project_id: place.project_id.cloned(),
    };
    match found.as_slice() {
        [first, second, ..] => Err(usage(format!(
            "both {} and {} are set; keep one of them",
            first.label, second.label
        ))),
        [_] => Ok(resolved(found.remove(0).credentials?)),
        [] => match reader.auth_action()? {
            Some(resolved) => Ok(resolved),
            None => Err(reader.no_credentials()?),
        },
    }
}

fn usage(message: String) -> Error {
    Error::Usage(message)
}

/// A variable other tools define, with its name as the origin.
fn named(name: &str, value: Option<String>) -> Option<Setting> {
    value.map(|value| Setting {
        origin: name.to_string(),
        value,
    })
}

/// A setting sent in a header: trimmed, then the one header policy.
fn header(setting: &Setting) -> Result<HeaderValue, Error> {
    setting.parse(HeaderValue::parse)
}

/// A name that goes into a JSON body or a query: trimmed, no control characters.
fn name_value(setting: &Setting) -> Result<String, Error> {
    setting.parse(plain_name)
}

fn plain_name(value: &str) -> Result<String, String> {
    match value.chars().any(char::is_control) {
        true => Err("must not contain control characters".into()),
        false => Ok(value.to_string()),
    }
}

/// Where the credential settings are read from.
struct Reader<'a> {
    lookup: &'a Lookup<'a>,
    place: Place<'a>,
}

impl Reader<'_> {
    /// A credential from the options table's secrets: its variable only, never a flag.
    fn secret(&self, row: Opt) -> Result<Option<Setting>, Error> {
        self.var(&row.variable())
    }

    /// A variable outside the options table (another tool's).
    fn var(&self, name: &str) -> Result<Option<Setting>, Error> {
        Ok(named(name, self.lookup.var(name)?))
    }

    fn token_kind(&self) -> Result<Option<Found>, Error> {
        let token = self.secret(opt::TOKEN)?;
        let file = self.lookup.get(opt::TOKEN_FILE)?;
        let credentials = match (token, file) {
            (Some(_), Some(file)) => {
                return Err(usage(format!(
                    "both SERVICESTAGE_TOKEN and {} are set; keep one of them",
                    file.origin
                )));
            }
            (Some(token), None) => Credentials::Token(Secret::checked(header(&token)?)),
            (None, Some(file)) => Credentials::TokenFile(PathBuf::from(file.value)),
            (None, None) => return Ok(None),
        };
        Ok(Some(Found {
            label: TOKEN_LABEL,
            credentials: Ok(credentials),
        }))
    }

    fn access_key_kind(&self) -> Result<Option<Found>, Error> {
        let security_token = self.secret(opt::SECURITY_TOKEN)?;
        let security_token = security_token.as_ref().map(header).transpose()?;
        let ak = self.secret(opt::ACCESS_KEY)?;
        let sk = self.secret(opt::SECRET_KEY)?;
        let credentials = match (ak, sk) {
            (Some(ak), Some(sk)) => Credentials::AccessKey {
                ak: header(&ak)?,
                sk: Secret::new(header(&sk)?.as_str().to_string()),
                security_token: security_token.map(Secret::checked),
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

    fn oidc_kind(&self) -> Result<Option<Found>, Error> {
        let file = self.secret(opt::ID_TOKEN_FILE)?;
        let Some(idp_id) = self.secret(opt::OIDC_IDP_ID)? else {
            return match file {
                Some(_) => Err(usage(
                    "HUAWEICLOUD_SDK_ID_TOKEN_FILE is set but HUAWEICLOUD_SDK_IDP_ID is not; the \
                     exchange at IAM needs the identity provider's id"
                        .into(),
                )),
                None => Ok(None),
            };
        };
        let idp_id = header(&idp_id)?;
        let id_token = match file {
            Some(file) => IdTokenSource::File(PathBuf::from(file.value.trim())),
            None => self.github_source()?,
        };
        let credentials = self.iam_login().map(|login| Credentials::Oidc {
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
    fn github_source(&self) -> Result<IdTokenSource, Error> {
        let url = self.var("ACTIONS_ID_TOKEN_REQUEST_URL")?;
        let request_token = self.var("ACTIONS_ID_TOKEN_REQUEST_TOKEN")?;
        let request_token = request_token.as_ref().map(header).transpose()?;
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
        let audience = (self.lookup).parsed_or_default(opt::OIDC_AUDIENCE, plain_name)?;
        Ok(IdTokenSource::Github {
            url: url.parse(GithubTokenUrl::parse)?,
            request_token: Secret::checked(request_token),
            audience,
        })
    }

    /// The IAM endpoint (`--iam-endpoint`, `SERVICESTAGE_IAM_ENDPOINT`,
    /// `HUAWEICLOUD_SDK_IAM_ENDPOINT`, else the region's) and the project scope.
    fn iam_login(&self) -> Result<IamLogin, Error> {
        let given = match self.lookup.get(opt::IAM_ENDPOINT)? {
            Some(given) => Some(given),
            // The SDKs take a bare host here and prepend https://; so does the gate.
            None => self.var("HUAWEICLOUD_SDK_IAM_ENDPOINT")?.map(|mut sdk| {
                if !sdk.value.contains("://") {
                    sdk.value = format!("https://{}", sdk.value.trim());
                }
                sdk
            }),
        };
        let endpoint = match (given, self.place.region) {
            (Some(given), _) => given.parse(parse_endpoint)?,
            (None, Some(region)) => regional("iam", region).map_err(Error::Usage)?,
            (None, None) => {
                return Err(usage(
                    "an IAM login needs the IAM endpoint: set --region (or SERVICESTAGE_REGION) \
                     or --iam-endpoint (or SERVICESTAGE_IAM_ENDPOINT)"
                        .into(),
                ));
            }
        };
        let project_id = self.place.project_id.map(HeaderValue::as_str);
        let scope = ProjectScope::new(project_id, self.place.region).ok_or_else(|| {
            usage(
                "an IAM login needs a project to scope the token to: set --project-id or \
                 --region"
                    .into(),
            )
        })?;
        Ok(IamLogin { endpoint, scope })
    }

    fn password_kind(&self) -> Result<Option<Found>, Error> {
        let ours = [
            self.lookup.get(opt::IAM_USER)?,
            self.lookup.get(opt::IAM_DOMAIN)?,
            self.secret(opt::IAM_PASSWORD)?,
        ];
        let (label, [user, domain, password]) = if ours.iter().any(Option::is_some) {
            let names = [
                "--iam-user (or SERVICESTAGE_IAM_USER)",
                "--iam-domain (or SERVICESTAGE_IAM_DOMAIN)",
                "SERVICESTAGE_IAM_PASSWORD",
            ];
            let [Some(user), Some(domain), Some(password)] = ours else {
                let missing = missing(&ours, &names).unwrap_or_default();
                return Err(usage(format!(
                    "an IAM password login needs a user, a domain and a password: {missing} not \
                     set"
                )));
            };
            (PASSWORD_LABEL, [user, domain, password])
        } else {
            // Terraform's names: a fallback, so a partial set is not an error by itself.
            let [Some(user), Some(domain), Some(password)] = self.hw_names()? else {
                return Ok(None);
            };
            (HW_PASSWORD_LABEL, [user, domain, password])
        };
        let credentials = (|| {
            Ok(Credentials::Password {
                user: name_value(&user)?,
                domain: name_value(&domain)?,
                password: Secret::new(password.value),
                login: self.iam_login()?,
            })
        })();
        Ok(Some(Found { label, credentials }))
    }

    /// `huaweicloud/auth-action`'s key pair, with its region and project as fallbacks.
    fn auth_action(&self) -> Result<Option<Resolved>, Error> {
        let ak = self.var("HUAWEI_CLOUD_ACCESS_KEY_ID")?;
        let sk = self.var("HUAWEI_CLOUD_SECRET_ACCESS_KEY")?;
        let (ak, sk) = match (ak, sk) {
            (Some(ak), Some(sk)) => (header(&ak)?, header(&sk)?),
            (None, None) => return Ok(None),
            (Some(_), None) | (None, Some(_)) => {
                return Err(usage(
                    "HUAWEI_CLOUD_ACCESS_KEY_ID and HUAWEI_CLOUD_SECRET_ACCESS_KEY (from \
                     huaweicloud/auth-action) must be set together"
                        .into(),
                ));
            }
        };
        let region = match self.place.region {
            Some(region) => Some(region.to_string()),
            None => self
                .var("HUAWEI_CLOUD_REGION")?
                .map(|region| region.parse(parse_region))
                .transpose()?,
        };
        let project_id = match self.place.project_id {
            Some(id) => Some(id.clone()),
            None => self
                .var("HUAWEI_CLOUD_PROJECT_ID")?
                .map(|id| header(&id))
                .transpose()?,
        };
        let credentials = Credentials::AccessKey {
            ak,
            sk: Secret::new(sk.as_str().to_string()),
            security_token: None,
        };
        Ok(Some(Resolved {
            credentials,
            region,
            project_id,
        }))
    }

    /// Terraform's three variables, each with its name.
    fn hw_names(&self) -> Result<[Option<Setting>; 3], Error> {
        let [user, domain, password] = HW_NAMES.map(|name| self.var(name));
        Ok([user?, domain?, password?])
    }

    fn no_credentials(&self) -> Result<Error, Error> {
        let hw = self.hw_names()?;
        let partial_hw = match missing(&hw, &HW_NAMES) {
            Some(missing) if hw.iter().any(Option::is_some) => format!(
                " (HW_USER_NAME, HW_DOMAIN_NAME and HW_PASSWORD are only partly set: {missing} \
                 not set)"
            ),
            _ => String::new(),
        };
        Ok(usage(format!(
            "no credentials: set SERVICESTAGE_TOKEN (or --token-file); or HUAWEICLOUD_SDK_AK and \
             HUAWEICLOUD_SDK_SK; or HUAWEICLOUD_SDK_IDP_ID with HUAWEICLOUD_SDK_ID_TOKEN_FILE (or \
             inside GitHub Actions with `permissions: id-token: write`); or SERVICESTAGE_IAM_USER, \
             SERVICESTAGE_IAM_DOMAIN and SERVICESTAGE_IAM_PASSWORD{partial_hw}"
        )))
    }
}

/// "X is" / "X and Y are" for the unset ones, if any.
fn missing(values: &[Option<Setting>], names: &[&str]) -> Option<String> {
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

#[cfg(test)]
mod tests;
