//! servicestage-gate: judges the recent builds of a Huawei Cloud ServiceStage build job.
//!
//! The library decides and renders; it never prints. `main` is the only place that writes
//! to stdout, stderr or files and picks the exit code. ARCHITECTURE.md draws the layers.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod backend;
pub mod cli;
pub mod codearts;
pub mod config;
pub mod encoding;
pub mod error;
pub mod fetch;
pub mod gate;
pub mod http;
pub mod iam;
pub mod json;
pub mod model;
pub mod outcome;
pub mod report;
pub mod rules;
pub mod secret;
pub mod select;
pub mod servicestage;
pub mod signing;
pub mod text;
