//! The integration tests, one binary (as ripgrep does): the helpers in `common` and
//! `release` build once and the binary links once. Each module is one area; run one with
//! `cargo test --test integration MODULE::` (e.g. `lookup::`), one test by its name.
//! A new test file joins by a `mod` line here.
#![allow(
    clippy::disallowed_methods,
    reason = "a test: files, sockets, sleeps and the clock"
)]

mod common;
#[cfg(unix)]
mod release;

mod action;
mod api;
mod ci_examples;
mod cli;
mod docs;
mod files;
mod hostile;
mod iam;
mod install;
mod jobs;
mod lookup;
mod network;
mod outcome;
mod properties;
mod redteam;
mod signed;
mod signing_vectors;
mod snapshots;
