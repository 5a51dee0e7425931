//! Credentials: the secret type. Which kind the environment holds (exactly one) is
//! `iam::resolve`'s to say; `Credentials` is `iam::Credentials`.

use std::fmt;

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

pub use crate::iam::Credentials;
