//! Snapshot tests: `--help` and the text report of each shipped example, pinned in
//! tests/snapshots/ so that any change to them shows up as a diff in review.
//! Regenerate after an intended change with
//! `UPDATE_SNAPSHOTS=1 cargo test --test integration snapshots::`.

use std::fs;
use std::path::Path;

use crate::common::{gate, run};

/// Every rule, so each example's snapshot shows every rule line.
const ALL_RULES: [&str; 8] = [
    "--max-duration",
    "25m",
    "--min-success-rate",
    "80",
    "--max-consecutive-failures",
    "1",
    "--max-duration-regression",
    "20",
];

/// Compares `actual` with the stored snapshot `name`, or stores it under UPDATE_SNAPSHOTS.
fn assert_snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        fs::write(&path, actual).unwrap();
        return;
    }
    let expected = fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with UPDATE_SNAPSHOTS=1 to create it",
            path.display()
        )
    });
    assert_eq!(
        actual,
        expected,
        "{} changed; if intended, run UPDATE_SNAPSHOTS=1 cargo test --test integration snapshots::",
        path.display()
    );
}

#[test]
fn help() {
    let out = run(gate().arg("--help"));
    assert_eq!(out.code, 0);
    assert_snapshot("help.txt", &out.stdout);
}

#[test]
fn text_report_of_each_example() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut names: Vec<String> = fs::read_dir(examples)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    assert!(names.len() >= 5, "{names:?}");
    for name in names {
        // A path relative to the checkout, so the snapshot does not depend on where it is.
        let input = format!("examples/{name}");
        let out = run(gate()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["--input", &input])
            .args(ALL_RULES));
        let snapshot = format!("exit {}\n{}", out.code, out.stdout);
        assert_snapshot(&name.replace(".json", ".txt"), &snapshot);
    }
}
