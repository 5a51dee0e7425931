//! Reading settings: the flag, then its variable, then the options table's default. An empty
//! variable counts as unset; a variable that is not UTF-8 is a usage error naming it, never
//! "unset", so a mangled value cannot silently drop a rule or switch credentials.

use std::ffi::OsString;

use crate::cli::{self, Fallback};
use crate::error::Error;

/// Reads one environment variable as the OS holds it; `None` when unset. `main` passes the
/// process environment, tests a map.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<OsString>;

/// The environment variable that stands in for a flag: `--max-duration` -> `SERVICESTAGE_MAX_DURATION`.
pub fn env_name(flag: &str) -> String {
    format!(
        "SERVICESTAGE_{}",
        flag.to_ascii_uppercase().replace('-', "_")
    )
}

/// A variable's value: `None` when unset or blank, a usage error when it is not UTF-8.
pub fn var(env: Env, name: &str) -> Result<Option<String>, Error> {
    match env(name).map(OsString::into_string) {
        None => Ok(None),
        Some(Ok(value)) if value.trim().is_empty() => Ok(None),
        Some(Ok(value)) => Ok(Some(value)),
        Some(Err(_)) => Err(Error::Usage(format!(
            "{name} is not valid UTF-8; fix or unset it"
        ))),
    }
}

/// One value and where it came from, so an error can name the flag or variable.
pub(super) struct Setting {
    pub origin: String,
    pub value: String,
}

impl Setting {
    pub fn parse<T>(&self, parse: impl FnOnce(&str) -> Result<T, String>) -> Result<T, Error> {
        parse(self.value.trim()).map_err(|why| Error::Usage(format!("{}: {why}", self.origin)))
    }
}

/// Looks settings up by their name in the options table.
pub(super) struct Lookup<'a> {
    pub env: Env<'a>,
}

impl Lookup<'_> {
    pub fn var(&self, name: &str) -> Result<Option<String>, Error> {
        var(self.env, name)
    }

    /// The flag, else its variable. An empty flag value is a usage error: `--job-id ""` is a
    /// mistake in a script, not a request for the default.
    pub fn get(&self, name: &str, flag: &Option<String>) -> Result<Option<Setting>, Error> {
        let option = cli::option(name);
        if let Some(value) = flag {
            if value.trim().is_empty() {
                return Err(Error::Usage(format!("--{name}: empty value")));
            }
            return Ok(Some(Setting {
                origin: format!("--{name}"),
                value: value.clone(),
            }));
        }
        let variable = option.variable();
        Ok(self.var(&variable)?.map(|value| Setting {
            origin: variable,
            value,
        }))
    }

    /// As `get`, then the table's default value.
    pub fn get_or_default(
        &self,
        name: &str,
        flag: &Option<String>,
    ) -> Result<Option<Setting>, Error> {
        Ok(self
            .get(name, flag)?
            .or_else(|| match cli::option(name).default {
                Fallback::Value(value) => Some(Setting {
                    origin: format!("the default of --{name}"),
                    value: value.to_string(),
                }),
                Fallback::None | Fallback::Required | Fallback::Described(_) => None,
            }))
    }

    pub fn parsed<T>(
        &self,
        name: &str,
        flag: &Option<String>,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, Error> {
        self.get(name, flag)?.map(|s| s.parse(parse)).transpose()
    }

    /// Flag, variable, or the table's default, parsed by the same parser.
    pub fn parsed_or_default<T>(
        &self,
        name: &str,
        flag: &Option<String>,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, Error> {
        match self.get_or_default(name, flag)? {
            Some(setting) => setting.parse(parse),
            None => Err(Error::Usage(format!("--{name} has no default"))),
        }
    }

    /// A repeatable option: every flag value, else its variable, each split at commas,
    /// trimmed, empty items dropped; with the flag or variable it came from.
    pub fn list(&self, name: &str, flags: &[String]) -> Result<(String, Vec<String>), Error> {
        let (origin, values) = if flags.is_empty() {
            let variable = cli::option(name).variable();
            let value = self.var(&variable)?;
            (variable, value.into_iter().collect())
        } else {
            (format!("--{name}"), flags.to_vec())
        };
        let items = values
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_string)
            .collect();
        Ok((origin, items))
    }

    pub fn switch(&self, name: &str, flag: bool) -> Result<bool, Error> {
        if flag {
            return Ok(true);
        }
        Ok(self
            .parsed(name, &None, super::values::parse_bool)?
            .unwrap_or(false))
    }
}
