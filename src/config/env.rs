//! Reading settings: the flag, then its variable, then the options table's default. An empty
//! variable counts as unset; a variable that is not UTF-8 is a usage error naming it, never
//! "unset", so a mangled value cannot silently drop a rule or switch credentials.

use std::ffi::OsString;

use crate::cli::{Args, Fallback, Flag};
use crate::error::Error;

/// Reads one environment variable as the OS holds it; `None` when unset. `main` passes the
/// process environment, tests a map.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<OsString>;

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

/// Reads each flag through its handle in the options table: the parsed argument, else its
/// variable, else (where asked) the table's default.
pub(super) struct Lookup<'a> {
    pub args: &'a Args,
    pub env: Env<'a>,
}

impl Lookup<'_> {
    pub fn var(&self, name: &str) -> Result<Option<String>, Error> {
        var(self.env, name)
    }

    /// The flag, else its variable. An empty flag value is a usage error: `--job-id ""` is a
    /// mistake in a script, not a request for the default.
    pub fn get(&self, flag: Flag<Option<String>>) -> Result<Option<Setting>, Error> {
        let name = flag.row.name();
        if let Some(value) = (flag.value)(self.args) {
            if value.trim().is_empty() {
                return Err(Error::Usage(format!("--{name}: empty value")));
            }
            return Ok(Some(Setting {
                origin: format!("--{name}"),
                value: value.clone(),
            }));
        }
        let variable = flag.row.variable();
        Ok(self.var(&variable)?.map(|value| Setting {
            origin: variable,
            value,
        }))
    }

    /// The table's default value, as if it had been given.
    fn default<T>(&self, flag: Flag<T>) -> Option<Setting> {
        match flag.row.default {
            Fallback::Value(value) => Some(Setting {
                origin: format!("the default of --{}", flag.row.name()),
                value: value.to_string(),
            }),
            Fallback::None | Fallback::Required | Fallback::Described(_) => None,
        }
    }

    pub fn parsed<T>(
        &self,
        flag: Flag<Option<String>>,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, Error> {
        self.get(flag)?.map(|s| s.parse(parse)).transpose()
    }

    /// Flag, variable, or the table's default, parsed by the same parser.
    pub fn parsed_or_default<T>(
        &self,
        flag: Flag<Option<String>>,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, Error> {
        match self.get(flag)?.or_else(|| self.default(flag)) {
            Some(setting) => setting.parse(parse),
            None => Err(Error::Usage(format!(
                "--{} has no default",
                flag.row.name()
            ))),
        }
    }

    /// A repeatable option: every flag value, else its variable, else the table's default;
    /// each split at commas and trimmed; with the flag or variable it came from. An empty
    /// item (`a,,b`, a trailing comma, `--job ""`) is a usage error: dropping it silently
    /// would hide a script's mistake.
    pub fn list(&self, flag: Flag<Vec<String>>) -> Result<(String, Vec<String>), Error> {
        let given = (flag.value)(self.args);
        let variable = flag.row.variable();
        let (origin, values) = if !given.is_empty() {
            (format!("--{}", flag.row.name()), given.to_vec())
        } else if let Some(value) = self.var(&variable)? {
            (variable, vec![value])
        } else if let Some(default) = self.default(flag) {
            (default.origin, vec![default.value])
        } else {
            return Ok((variable, Vec::new()));
        };
        let mut items = Vec::new();
        for value in &values {
            if value.trim().is_empty() {
                return Err(Error::Usage(format!("{origin}: empty value")));
            }
            for item in value.split(',').map(str::trim) {
                if item.is_empty() {
                    return Err(Error::Usage(format!(
                        "{origin}: empty entry in {value:?} (a comma with nothing beside it)"
                    )));
                }
                items.push(item.to_string());
            }
        }
        Ok((origin, items))
    }

    pub fn switch(&self, flag: Flag<bool>) -> Result<bool, Error> {
        if *(flag.value)(self.args) {
            return Ok(true);
        }
        let variable = flag.row.variable();
        let setting = self.var(&variable)?.map(|value| Setting {
            origin: variable,
            value,
        });
        Ok(setting
            .map(|s| s.parse(super::values::parse_bool))
            .transpose()?
            .unwrap_or(false))
    }
}
