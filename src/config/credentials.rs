//! Credentials: which kind the environment holds (exactly one), read only from variables
//! or a token file, never from flags, and never printed.

use std::fmt;
use std::path::PathBuf;

use super::env::Lookup;
use super::values::parse_header_value;
use crate::cli::{self, Args};
use crate::error::Error;

/// A credential that must never be printed: `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<hidden>)")
    }
}

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
}

pub(super) fn resolve_credentials(args: &Args, lookup: &Lookup) -> Result<Credentials, Error> {
    let secret = |name: &str| header_var(lookup, &cli::option(name).variable());
    let token = secret("token")?;
    let token_file = lookup.get("token-file", &args.token_file)?;
    let ak = secret("access-key")?;
    let sk = secret("secret-key")?;
    let security_token = secret("security-token")?;
    let usage = |m: &str| Err(Error::Usage(m.to_string()));

    let token = match (token, token_file) {
        (Some(_), Some(file)) => {
            return usage(&format!(
                "both SERVICESTAGE_TOKEN and {} are set; keep one of them",
                file.origin
            ));
        }
        (Some(token), None) => Some(Credentials::Token(Secret::new(token.trim().to_string()))),
        (None, Some(file)) => Some(Credentials::TokenFile(PathBuf::from(file.value))),
        (None, None) => None,
    };
    let access_key = match (ak, sk) {
        (Some(ak), Some(sk)) => Some(Credentials::AccessKey {
            ak: ak.trim().to_string(),
            sk: Secret::new(sk.trim().to_string()),
            security_token: security_token.map(|t| Secret::new(t.trim().to_string())),
        }),
        (Some(_), None) => {
            return usage(
                "HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK is not; set both or neither",
            );
        }
        (None, Some(_)) => {
            return usage(
                "HUAWEICLOUD_SDK_SK is set but HUAWEICLOUD_SDK_AK is not; set both or neither",
            );
        }
        (None, None) if security_token.is_some() => {
            return usage(
                "HUAWEICLOUD_SDK_SECURITY_TOKEN is set without HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK; temporary credentials need all three",
            );
        }
        (None, None) => None,
    };
    match (token, access_key) {
        (Some(_), Some(_)) => usage(
            "both a token (SERVICESTAGE_TOKEN or --token-file) and an access key \
             (HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK) are set; keep one of them",
        ),
        (Some(credentials), None) | (None, Some(credentials)) => Ok(credentials),
        (None, None) => usage(
            "no credentials: set SERVICESTAGE_TOKEN (or --token-file), or HUAWEICLOUD_SDK_AK and \
             HUAWEICLOUD_SDK_SK",
        ),
    }
}

/// A variable whose value goes into a header: a control character is a usage error naming
/// the variable (and never quoting the value, which may be a secret).
fn header_var(lookup: &Lookup, name: &str) -> Result<Option<String>, Error> {
    let value = lookup.var(name)?;
    match value.as_deref().map(|v| parse_header_value(v.trim())) {
        Some(Err(why)) => Err(Error::Usage(format!("{name}: {why}"))),
        _ => Ok(value),
    }
}
