//! Where results go: the stdout format, CI annotations, the CI's own files, and which CI
//! this is.

use std::path::PathBuf;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ci {
    Github,
    Azure,
    Gitlab,
    Jenkins,
    Other,
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
