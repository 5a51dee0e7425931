//! servicestage-gate: judges the recent builds of a Huawei Cloud ServiceStage build job.
//!
//! The library decides and renders; it never prints. `main` is the only place that writes
//! to stdout, stderr or files and picks the exit code.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod cli;
pub mod client;
pub mod config;
pub mod encoding;
pub mod error;
pub mod fetch;
pub mod gate;
pub mod iam;
pub mod lookup;
pub mod model;
pub mod outcome;
pub mod report;
pub mod rules;
pub mod select;
pub mod signing;
