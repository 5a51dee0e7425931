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
mod codearts;
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
mod record;
mod redteam;
mod signed;
mod signing_vectors;
mod snapshots;

/// With `autotests = false`, a test file without its `mod` line above would never be
/// compiled or run: every `tests/*.rs` must be one of this binary's modules.
#[test]
fn every_test_file_is_a_module_of_this_binary() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let declared = std::fs::read_to_string(root.join("tests.rs")).unwrap();
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let is_test_file = path.extension().is_some_and(|e| e == "rs") && name != "tests";
        let is_test_folder = path.join("mod.rs").is_file();
        if is_test_file || is_test_folder {
            assert!(
                declared.contains(&format!("mod {name};\n")),
                "tests/{name} is not declared in tests/tests.rs: add `mod {name};`"
            );
        }
    }
}
