//! Where results go: the stdout format, CI annotations, the CI's own files, which CI this
//! is, and the options every renderer takes.

use std::path::PathBuf;
use std::time::Duration;

use super::env::{Env, var};
use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Annotations {
    Github,
    Azure,
    None,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GithubFiles {
    pub step_summary: Option<PathBuf>,
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Ci {
    Github,
    Azure,
    Gitlab,
    Jenkins,
    #[default]
    Other,
}

/// Which characters the text report's history strip is drawn with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Symbols {
    Unicode,
    #[default]
    Ascii,
}

impl Symbols {
    /// ASCII when asked for (`--ascii` or `SERVICESTAGE_ASCII`, read by the config like
    /// every switch), or when the locale that decides the character set (the first
    /// non-empty of `LC_ALL`, `LC_CTYPE`, `LANG`) is unset or does not say UTF-8.
    pub fn choose(ascii_flag: bool, var: impl Fn(&str) -> Option<String>) -> Symbols {
        let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
            .into_iter()
            .filter_map(&var)
            .find(|v| !v.is_empty())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let utf8 = locale.contains("utf-8") || locale.contains("utf8");
        if ascii_flag || !utf8 {
            Symbols::Ascii
        } else {
            Symbols::Unicode
        }
    }
}

/// What every renderer takes besides the run: how the report is drawn, never what it
/// concludes (the run carries its verdict). The default is what a usage error is
/// reported with before there is a config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportOptions {
    /// The CI the report is read in: GitLab gets collapsible sections.
    pub ci: Ci,
    /// Unix seconds, stamping GitLab's sections. The config reads no clock: `main` sets it.
    pub now: u64,
    pub symbols: Symbols,
    /// `--max-duration`, drawn as a line in the step summary's chart.
    pub max_duration: Option<Duration>,
    /// `--input`: the saved response judged (its path, or `stdin`), named in the text
    /// report so that an inherited `SERVICESTAGE_INPUT` cannot pass for a live check.
    pub saved_input: Option<String>,
}

/// Detects the CI from its well-known variables.
/// A CI variable that is not UTF-8 is a usage error, like any other the gate reads.
pub fn detect_ci(env: Env) -> Result<Ci, Error> {
    let is = |name: &str, value: &str| -> Result<bool, Error> {
        Ok(var(env, name)?.is_some_and(|v| v.eq_ignore_ascii_case(value)))
    };
    Ok(if is("GITHUB_ACTIONS", "true")? {
        Ci::Github
    } else if is("TF_BUILD", "true")? {
        Ci::Azure
    } else if is("GITLAB_CI", "true")? {
        Ci::Gitlab
    } else if var(env, "JENKINS_URL")?.is_some() {
        Ci::Jenkins
    } else {
        Ci::Other
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_when_asked_or_when_the_locale_is_not_utf8() {
        type Env<'a> = &'a [(&'a str, &'a str)];
        let cases: [(bool, Env, Symbols); 7] = [
            (false, &[("LANG", "C.UTF-8")], Symbols::Unicode),
            (false, &[("LANG", "en_US.utf8")], Symbols::Unicode),
            (true, &[("LANG", "C.UTF-8")], Symbols::Ascii),
            (false, &[], Symbols::Ascii),
            (false, &[("LANG", "POSIX")], Symbols::Ascii),
            // LC_ALL overrides LC_CTYPE, which overrides LANG; empty ones do not count
            (
                false,
                &[("LC_ALL", "C"), ("LANG", "C.UTF-8")],
                Symbols::Ascii,
            ),
            (
                false,
                &[("LC_ALL", ""), ("LC_CTYPE", "de_DE.UTF-8"), ("LANG", "C")],
                Symbols::Unicode,
            ),
        ];
        for (flag, env, expected) in cases {
            let var = |name: &str| {
                env.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            };
            assert_eq!(Symbols::choose(flag, var), expected, "{flag} {env:?}");
        }
    }
}
