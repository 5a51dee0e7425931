//! `$GITHUB_STEP_SUMMARY` and `$GITHUB_OUTPUT` are appended only when they are regular
//! files: a FIFO (which would hang the gate), a symlink (which would be followed) or a
//! directory gets one warning line on stderr, and the verdict stands.
#![cfg(unix)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::judge;

/// Long enough for a loaded machine; a gate blocked on a FIFO never finishes at all.
const BOUND: Duration = Duration::from_secs(60);

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gate-files-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

struct Finished {
    code: i32,
    stderr: String,
}

/// Waits for the gate at most `BOUND`, killing it and failing the test when it hangs.
fn finish(mut child: Child) -> Finished {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > BOUND {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the gate hung instead of refusing the file");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    Finished {
        code: output.status.code().unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// The passing example under GitHub annotations, with both files at `summary`/`output`.
fn gate_with(summary: &Path, output: &Path) -> Finished {
    let child = judge("passing.json")
        .args(["--annotations", "github"])
        .env("GITHUB_STEP_SUMMARY", summary)
        .env("GITHUB_OUTPUT", output)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    finish(child)
}

fn warnings(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("servicestage-gate: warning: cannot append to $"))
        .collect()
}

#[test]
fn regular_files_are_appended() {
    let dir = scratch("regular");
    let (summary, output) = (dir.join("summary.md"), dir.join("output"));
    fs::write(&summary, "before\n").unwrap();
    let out = gate_with(&summary, &output);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(warnings(&out.stderr).is_empty(), "{}", out.stderr);
    let summary = fs::read_to_string(&summary).unwrap();
    assert!(summary.starts_with("before\n### "), "{summary}");
    assert!(
        fs::read_to_string(&output)
            .unwrap()
            .starts_with("verdict=pass\n")
    );
}

#[test]
fn a_fifo_is_refused_without_hanging() {
    let dir = scratch("fifo");
    let (summary, output) = (dir.join("summary"), dir.join("output"));
    for fifo in [&summary, &output] {
        let made = std::process::Command::new("mkfifo")
            .arg(fifo)
            .status()
            .unwrap();
        assert!(made.success());
    }
    let out = gate_with(&summary, &output);
    assert_eq!(out.code, 0, "the verdict stands: {}", out.stderr);
    let warnings = warnings(&out.stderr);
    assert_eq!(warnings.len(), 2, "{}", out.stderr);
    assert!(
        warnings[0]
            .starts_with("servicestage-gate: warning: cannot append to $GITHUB_STEP_SUMMARY"),
        "{warnings:?}"
    );
    assert!(
        warnings[0]
            .ends_with("it is not a regular file (a FIFO, directory or device); left as it is")
    );
}

#[test]
fn a_fifo_with_a_reader_is_still_refused() {
    let dir = scratch("fifo-read");
    let (summary, output) = (dir.join("summary"), dir.join("output.md"));
    let made = std::process::Command::new("mkfifo")
        .arg(&summary)
        .status()
        .unwrap();
    assert!(made.success());
    // A reader holds the FIFO open (opened non-blocking, so it is there before the gate
    // starts): opening it for writing succeeds, and only the type check refuses it.
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let mut reader = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&summary)
        .unwrap();
    let out = gate_with(&summary, &output);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(warnings(&out.stderr).len(), 1, "{}", out.stderr);
    let mut read = Vec::new();
    let _ = reader.read_to_end(&mut read);
    assert_eq!(read, b"", "nothing reached the FIFO");
    assert!(
        fs::read_to_string(&output)
            .unwrap()
            .starts_with("verdict=pass\n")
    );
}

#[test]
fn a_symlink_is_not_followed() {
    let dir = scratch("symlink");
    let target = dir.join("elsewhere");
    fs::write(&target, "untouched\n").unwrap();
    let (summary, output) = (dir.join("summary"), dir.join("output"));
    std::os::unix::fs::symlink(&target, &summary).unwrap();
    std::os::unix::fs::symlink(&target, &output).unwrap();
    let out = gate_with(&summary, &output);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let refused = warnings(&out.stderr);
    assert_eq!(refused.len(), 2, "{}", out.stderr);
    assert!(
        refused[1].starts_with("servicestage-gate: warning: cannot append to $GITHUB_OUTPUT"),
        "{refused:?}"
    );
    assert!(refused[1].ends_with("it is a symbolic link, which is not followed; left as it is"));
    assert_eq!(fs::read_to_string(&target).unwrap(), "untouched\n");
    // A dangling link is not followed either: nothing is created at its target.
    let dangling = dir.join("dangling");
    fs::remove_file(&summary).unwrap();
    std::os::unix::fs::symlink(dir.join("missing"), &summary).unwrap();
    let out = gate_with(&summary, &dangling);
    assert_eq!(warnings(&out.stderr).len(), 1, "{}", out.stderr);
    assert!(!dir.join("missing").exists());
}

#[test]
fn a_directory_is_refused() {
    let dir = scratch("directory");
    let (summary, output) = (dir.join("summary"), dir.join("output"));
    fs::create_dir(&summary).unwrap();
    fs::create_dir(&output).unwrap();
    let out = gate_with(&summary, &output);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let warnings = warnings(&out.stderr);
    assert_eq!(warnings.len(), 2, "{}", out.stderr);
    assert!(
        warnings[0]
            .ends_with("it is not a regular file (a FIFO, directory or device); left as it is")
    );
}
