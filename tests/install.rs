//! scripts/install.sh, the action's install step, against loopback release servers: what it
//! downloads and refuses, when it builds from source, and its build cache.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;

use crate::common::{Reply, Server};
use crate::release::{
    GATE, ROOT, STUB, chmod, fake_cargo, gate_archive, mode, scratch, sha256_hex, tar_gz,
};

const ASSET: &str = "servicestage-gate-9.9.9-x86_64-unknown-linux-musl.tar.gz";
const OWN: &str = env!("CARGO_PKG_VERSION");
const LINUX: (&str, &str) = ("GATE_PLATFORM", "Linux/x86_64");

/// A copy of the action's install script, Cargo.toml, Cargo.lock and a small src/, with
/// `checksums` written as checksums/9.9.9.sha256 when given.
fn action_copy(name: &str, checksums: Option<&str>) -> PathBuf {
    let dir = scratch(name);
    for folder in ["scripts", "checksums", "src"] {
        fs::create_dir_all(dir.join(folder)).unwrap();
    }
    for file in ["scripts/install.sh", "Cargo.toml", "Cargo.lock"] {
        fs::copy(Path::new(ROOT).join(file), dir.join(file)).unwrap();
    }
    fs::write(dir.join("src/main.rs"), "fn main() {}\n").unwrap();
    if let Some(checksums) = checksums {
        fs::write(dir.join("checksums/9.9.9.sha256"), checksums).unwrap();
    }
    dir
}

/// The line sha256sum writes for `bytes` as the 9.9.9 Linux x86_64 archive.
fn checksum_line(bytes: &[u8]) -> String {
    format!("{}  {ASSET}\n", sha256_hex(bytes))
}

struct Install {
    code: i32,
    stdout: String,
    stderr: String,
    outputs: BTreeMap<String, String>,
    cargo_log: String,
}

impl Install {
    fn bin(&self) -> Option<&str> {
        self.outputs.get("bin").map(String::as_str)
    }

    /// Exit 1 with one `::error` line holding `message`, nothing installed or built.
    fn assert_refused(&self, message: &str) {
        assert_eq!(self.code, 1, "{}{}", self.stdout, self.stderr);
        let errors: Vec<&str> = self.stdout.lines().collect();
        assert_eq!(errors.len(), 1, "{}", self.stdout);
        assert!(
            errors[0].starts_with("::error title=servicestage-gate install::")
                && errors[0].contains(message),
            "{message:?} not in {}",
            self.stdout
        );
        assert_eq!(self.bin(), None);
        assert_eq!(self.cargo_log, "", "it built instead");
    }
}

/// Runs a copy of install.sh the way the action's install step does (`args` empty) or its
/// cache-key step (`--cache-key`), with a clean environment plus `env`.
fn run_install(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Install {
    let output_file = dir.join("github_output");
    let _ = fs::remove_file(&output_file);
    let _ = fs::remove_file(dir.join("cargo.log"));
    let path = format!(
        "{}:{}",
        fake_cargo(dir).display(),
        std::env::var("PATH").unwrap()
    );
    let mut command = Command::new("bash");
    command
        .arg(dir.join("scripts/install.sh"))
        .args(args)
        .env_clear()
        .env("PATH", path)
        .env("HOME", dir.join("home"))
        .env("RUNNER_TEMP", dir.join("runner-temp"))
        .env("GITHUB_OUTPUT", &output_file);
    for (name, value) in env {
        if value.is_empty() {
            command.env_remove(name);
        } else {
            command.env(name, value);
        }
    }
    let out = command.output().unwrap();
    let outputs = fs::read_to_string(&output_file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Install {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        outputs,
        cargo_log: fs::read_to_string(dir.join("cargo.log")).unwrap_or_default(),
    }
}

fn install(dir: &Path, env: &[(&str, &str)]) -> Install {
    run_install(dir, &[], env)
}

/// Installs `version` on Linux/x86_64 from a loopback release server that serves `bytes`.
fn install_served(action: &Path, version: &str, bytes: Vec<u8>) -> (Install, Server) {
    let server = Server::start(move |_, _| Reply::Bytes(bytes.clone()));
    let url = server.url();
    let env = [("GATE_VERSION", version), ("GATE_RELEASE_URL", &url), LINUX];
    (install(action, &env), server)
}

#[test]
fn a_good_archive_is_verified_and_only_its_binary_installed_without_setuid() {
    let bytes = gate_archive(&scratch("good-archive"), STUB);
    let action = action_copy("good", Some(&checksum_line(&bytes)));
    let (result, server) = install_served(&action, "v9.9.9", bytes);
    assert_eq!(result.code, 0, "{}{}", result.stdout, result.stderr);
    assert_eq!(server.requests()[0].target, format!("/v9.9.9/{ASSET}"));
    let bin = PathBuf::from(result.bin().expect("the bin output"));
    assert_eq!(mode(&bin), 0o755, "the archive's setuid bit survived");
    assert_eq!(fs::read(&bin).unwrap(), STUB);
    let installed: Vec<_> = fs::read_dir(bin.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(installed, ["servicestage-gate"], "more than the binary");
    let ran = Command::new(&bin).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&ran.stdout), "stub gate\n");
    assert_eq!(result.cargo_log, "", "nothing was built");
    assert!(result.stdout.is_empty(), "{}", result.stdout);
}

#[test]
fn a_tampered_archive_is_refused() {
    let mut bytes = gate_archive(&scratch("tampered-archive"), STUB);
    let action = action_copy("tampered", Some(&checksum_line(&bytes)));
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    let (result, _server) = install_served(&action, "9.9.9", bytes);
    result.assert_refused("checksum mismatch");
    assert!(
        !action
            .join("runner-temp/servicestage-gate-9.9.9/bin/servicestage-gate")
            .exists(),
        "a tampered binary was installed"
    );
}

/// Archives whose sha256 is the committed one but whose content is not one regular
/// `servicestage-gate` at the top level.
#[test]
fn an_archive_without_exactly_one_top_level_binary_is_refused() {
    let dir = scratch("odd-archives");
    let gate = STUB;
    let two = tar_gz(
        &dir,
        &[
            ("servicestage-gate", gate, 0o755),
            ("extra/servicestage-gate", b"#!/bin/sh\necho other\n", 0o755),
        ],
    );
    let nested = tar_gz(&dir, &[("bin/servicestage-gate", gate, 0o755)]);
    let none = tar_gz(&dir, &[("README", b"hello", 0o644)]);
    let cases = [
        ("two", two, "holds 2 files named servicestage-gate"),
        ("nested", nested, "only inside a folder"),
        ("none", none, "holds 0 files named servicestage-gate"),
        ("twice", appended_twice(&dir), "holds 2 files named"),
        ("symlink", symlinked(&dir), "is not a regular file"),
    ];
    for (name, bytes, message) in cases {
        let action = action_copy(&format!("odd-{name}"), Some(&checksum_line(&bytes)));
        let (result, _server) = install_served(&action, "9.9.9", bytes);
        result.assert_refused(message);
    }
}

/// Two top-level entries named `servicestage-gate`: tar keeps both, and the last one wins on
/// extraction.
fn appended_twice(dir: &Path) -> Vec<u8> {
    let staging = dir.join("twice");
    fs::create_dir_all(&staging).unwrap();
    let tar = |args: &[&str]| {
        let status = Command::new("tar")
            .args(args)
            .current_dir(&staging)
            .status()
            .unwrap();
        assert!(status.success());
    };
    fs::write(staging.join("servicestage-gate"), STUB).unwrap();
    tar(&["-cf", "a.tar", "servicestage-gate"]);
    fs::write(staging.join("servicestage-gate"), "#!/bin/sh\necho evil\n").unwrap();
    tar(&["-rf", "a.tar", "servicestage-gate"]);
    let status = Command::new("gzip")
        .arg(staging.join("a.tar"))
        .status()
        .unwrap();
    assert!(status.success());
    fs::read(staging.join("a.tar.gz")).unwrap()
}

fn symlinked(dir: &Path) -> Vec<u8> {
    let staging = dir.join("link");
    fs::create_dir_all(&staging).unwrap();
    symlink("/bin/sh", staging.join("servicestage-gate")).unwrap();
    let tarball = dir.join("link.tar.gz");
    let status = Command::new("tar")
        .arg("-czf")
        .arg(&tarball)
        .arg("-C")
        .arg(&staging)
        .arg("servicestage-gate")
        .status()
        .unwrap();
    assert!(status.success());
    fs::read(tarball).unwrap()
}

#[test]
fn a_version_that_is_not_major_minor_patch_or_source_is_refused() {
    let action = action_copy("bad-version", Some(&checksum_line(b"x")));
    for version in [
        "1.2",
        "../9.9.9",
        "9.9.9/../../x",
        "9.9.9\n::error::injected",
        "latest",
        "v9.9.9-rc.1",
        " 9.9.9",
        "V9.9.9",
    ] {
        let result = install(&action, &[("GATE_VERSION", version), LINUX]);
        result.assert_refused(
            "is not MAJOR.MINOR.PATCH (a leading v is fine, e.g. v0.1.0) or source",
        );
        assert!(
            !result.stdout.contains("\n::error::injected"),
            "{}",
            result.stdout
        );
        let key = run_install(
            &action,
            &["--cache-key"],
            &[("GATE_VERSION", version), LINUX],
        );
        key.assert_refused("is not MAJOR.MINOR.PATCH");
    }
}

/// A checksum file that sha256sum did not write is refused, never read loosely, and never
/// turned into a source build of another version.
#[test]
fn a_broken_checksum_file_is_refused_before_any_download() {
    let sum = sha256_hex(b"archive");
    let other = "servicestage-gate-9.9.9-aarch64-unknown-linux-musl.tar.gz";
    let cases = [
        ("empty", String::new(), "checksums/9.9.9.sha256 is empty"),
        (
            "crlf",
            format!("{sum}  {ASSET}\r\n"),
            "line 1 is not \"<sha256>  <archive>\" as sha256sum writes it (it ends with CR: Windows line endings)",
        ),
        (
            "bsd",
            format!("SHA256 ({ASSET}) = {sum}\n"),
            "line 1 is not \"<sha256>  <archive>\" as sha256sum writes it (that is the BSD format)",
        ),
        (
            "short",
            format!("{}  {ASSET}\n", &sum[..16]),
            "line 1 is not",
        ),
        ("blank", format!("{sum}  {other}\n\n"), "line 2 is not"),
        (
            "other",
            format!("{sum}  {other}\n"),
            "has no line for servicestage-gate-9.9.9-x86_64-unknown-linux-musl.tar.gz",
        ),
        (
            "twice",
            format!("{sum}  {ASSET}\n{sum} *{ASSET}\n"),
            "has two lines for",
        ),
    ];
    for (name, checksums, message) in cases {
        let action = action_copy(&format!("sums-{name}"), Some(&checksums));
        let (result, server) = install_served(&action, "9.9.9", b"archive".to_vec());
        result.assert_refused(message);
        assert!(server.requests().is_empty(), "{name}: it downloaded");
    }
}

#[test]
fn without_checksums_only_this_checkouts_own_version_is_built_with_a_warning() {
    let action = action_copy("no-sums", None);
    let other = install(&action, &[("GATE_VERSION", "9.9.9"), LINUX]);
    other.assert_refused(
        "this action has no checksums for version 9.9.9 (checksums/9.9.9.sha256): use servicestage-gate/servicestage-gate@v9.9.9",
    );

    for version in [OWN.to_string(), format!("v{OWN}"), String::new()] {
        let own = install(&action, &[("GATE_VERSION", &version), LINUX]);
        assert_eq!(own.code, 0, "{}", own.stderr);
        assert!(
            own.stdout.starts_with(&format!(
                "::warning title=servicestage-gate install::no release checksums for {OWN} in this checkout"
            )),
            "{}",
            own.stdout
        );
        assert!(own.cargo_log.starts_with(&format!(
            "install --locked --quiet --path {}",
            action.display()
        )));
        assert!(own.bin().unwrap().ends_with("/bin/servicestage-gate"));
    }

    let plan9 = [("GATE_PLATFORM", "Plan9/mips")];
    let foreign = install(&action, &[("GATE_VERSION", "9.9.9"), plan9[0]]);
    foreign.assert_refused("no prebuilt asset for Plan9/mips: use version: source");
    let own = install(&action, &[("GATE_VERSION", OWN), plan9[0]]);
    assert_eq!(own.code, 0, "{}", own.stderr);
    assert!(
        own.stdout.contains(
            "::warning title=servicestage-gate install::no prebuilt asset for Plan9/mips"
        ),
        "{}",
        own.stdout
    );

    let source = install(&action, &[("GATE_VERSION", "source"), LINUX]);
    assert_eq!(source.code, 0, "{}", source.stderr);
    assert_eq!(source.stdout, "", "source was asked for: no warning");
    assert!(source.stderr.contains("version: source was asked for"));
}

#[test]
fn without_runner_temp_each_install_gets_a_new_private_folder() {
    let bytes = gate_archive(&scratch("private-archive"), STUB);
    let action = action_copy("private", Some(&checksum_line(&bytes)));
    let tmp = action.join("tmp");
    // What another user of a shared /tmp could have made at the old, predictable path.
    let planted = tmp.join("servicestage-gate-9.9.9/bin");
    fs::create_dir_all(&planted).unwrap();
    fs::write(
        planted.join("servicestage-gate"),
        "#!/bin/sh\necho planted\n",
    )
    .unwrap();
    chmod(&planted.join("servicestage-gate"), 0o777);
    let server = Server::start(move |_, _| Reply::Bytes(bytes.clone()));
    let url = server.url();
    let tmpdir = tmp.display().to_string();
    let env = [
        ("GATE_VERSION", "9.9.9"),
        ("GATE_RELEASE_URL", url.as_str()),
        LINUX,
        ("RUNNER_TEMP", ""),
        ("TMPDIR", tmpdir.as_str()),
    ];
    let first = install(&action, &env);
    let second = install(&action, &env);
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    let (first, second) = (first.bin().unwrap(), second.bin().unwrap());
    assert_ne!(first, second);
    for bin in [first, second] {
        let folder = Path::new(bin).parent().unwrap().parent().unwrap();
        assert_eq!(folder.parent().unwrap(), tmp);
        assert!(
            folder
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("servicestage-gate."),
            "{bin}"
        );
        assert_eq!(mode(folder), 0o700, "{bin}");
        assert_eq!(fs::read(bin).unwrap(), STUB);
    }
    assert_eq!(
        fs::read_to_string(planted.join("servicestage-gate")).unwrap(),
        "#!/bin/sh\necho planted\n"
    );
}

/// A server that answers every request with a head, then `body` on the open connection.
fn raw_server(body: fn(&mut std::net::TcpStream)) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
                body(&mut stream);
            });
        }
    });
    url
}

/// Bytes until the client goes, with no length announced.
fn endless(stream: &mut std::net::TcpStream) {
    let chunk = vec![b'x'; 1 << 16];
    while stream.write_all(&chunk).is_ok() {}
}

/// Nothing, until the client goes.
fn stalled(stream: &mut std::net::TcpStream) {
    let _ = stream.read(&mut [0u8; 1]);
}

#[test]
fn downloads_are_capped_in_size_and_time() {
    let action = action_copy("caps", Some(&checksum_line(b"x")));
    let announced = Server::start(|_, _| {
        Reply::Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\nxx".to_vec())
    });
    let cases = [
        (
            "endless",
            raw_server(endless),
            "60",
            "is larger than 67108864 bytes: refusing it",
        ),
        (
            "announced",
            announced.url(),
            "60",
            "is larger than 67108864 bytes: refusing it",
        ),
        ("stalled", raw_server(stalled), "1", "took longer than 1 s"),
    ];
    for (name, url, max_time, message) in cases {
        let env = [
            ("GATE_VERSION", "9.9.9"),
            ("GATE_RELEASE_URL", url.as_str()),
            ("GATE_DOWNLOAD_MAX_TIME", max_time),
            LINUX,
        ];
        let result = install(&action, &env);
        result.assert_refused(message);
        let downloaded = action.join("runner-temp/servicestage-gate-9.9.9");
        assert!(!downloaded.exists(), "{name}");
    }
}

#[test]
fn only_https_or_plain_http_to_loopback_is_used() {
    let action = action_copy("urls", Some(&checksum_line(b"x")));
    let cases = [
        (
            "http://127.0.0.1:1@example.invalid",
            "must not hold a user name or password",
        ),
        (
            "http://127.0.0.1:1@example.invalid:80/releases",
            "must not hold a user name or password",
        ),
        (
            "https://user@example.invalid",
            "must not hold a user name or password",
        ),
        (
            "http://localhost:1\\@example.invalid",
            "holds spaces, backslashes or control characters",
        ),
        (
            "http://127.0.0.1 @example.invalid",
            "holds spaces, backslashes or control characters",
        ),
        (
            "http://example.invalid",
            "must be https (plain http only to 127.0.0.1 or localhost)",
        ),
        (
            "http://127.0.0.1.example.invalid:80",
            "must be https (plain http only",
        ),
        ("http://localhost.:8080", "must be https (plain http only"),
        ("ftp://127.0.0.1/", "must be an https:// URL"),
        ("HTTP://127.0.0.1/", "must be an https:// URL"),
    ];
    for (url, message) in cases {
        let env = [("GATE_VERSION", "9.9.9"), ("GATE_RELEASE_URL", url), LINUX];
        install(&action, &env).assert_refused(message);
    }
}

#[test]
fn the_users_curlrc_is_ignored() {
    let bytes = gate_archive(&scratch("curlrc-archive"), STUB);
    let action = action_copy("curlrc", Some(&checksum_line(&bytes)));
    fs::create_dir_all(action.join("home")).unwrap();
    fs::write(
        action.join("home/.curlrc"),
        "header = \"X-From-Curlrc: yes\"\n",
    )
    .unwrap();
    let (result, server) = install_served(&action, "9.9.9", bytes);
    assert_eq!(result.code, 0, "{}{}", result.stdout, result.stderr);
    assert_eq!(server.requests()[0].header("X-From-Curlrc"), None);
}

/// The cache-key step's outputs.
fn cache_key(dir: &Path, env: &[(&str, &str)]) -> BTreeMap<String, String> {
    let result = run_install(dir, &["--cache-key"], env);
    assert_eq!(result.code, 0, "{}{}", result.stdout, result.stderr);
    result.outputs
}

#[test]
fn the_cache_key_hashes_each_source_files_name_and_content_in_full() {
    let action = action_copy("key", None);
    let source = [("GATE_VERSION", "source"), LINUX];
    let key = |a: &str, b: &str| {
        let _ = fs::remove_dir_all(action.join("src"));
        fs::create_dir_all(action.join("src")).unwrap();
        fs::write(action.join("src/a.rs"), a).unwrap();
        fs::write(action.join("src/b.rs"), b).unwrap();
        cache_key(&action, &source)["key"].clone()
    };
    let before = key("one\ntwo\n", "three\n");
    let prefix = format!("servicestage-gate-{OWN}-Linux-x86_64-");
    let digest = before.strip_prefix(&prefix).expect("version and platform");
    assert!(
        digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()),
        "not a whole sha256: {before}"
    );
    assert_eq!(key("one\ntwo\n", "three\n"), before, "the key is stable");
    assert_ne!(
        key("one\n", "two\nthree\n"),
        before,
        "a line moved to the next file"
    );
    let _ = key("one\ntwo\n", "three\n");
    fs::rename(action.join("src/b.rs"), action.join("src/c.rs")).unwrap();
    assert_ne!(cache_key(&action, &source)["key"], before, "a file renamed");

    let sums = action_copy("key-download", Some(&checksum_line(b"x")));
    assert!(
        cache_key(&sums, &[("GATE_VERSION", "9.9.9"), LINUX]).is_empty(),
        "a download is not cached"
    );
}

#[test]
fn a_restored_build_runs_only_if_it_matches_the_sha256_recorded_when_it_was_built() {
    let action = action_copy("restore", None);
    let source = [("GATE_VERSION", "source"), LINUX];
    let path = PathBuf::from(&cache_key(&action, &source)["path"]);
    let bin = path.join("bin/servicestage-gate");
    let record = path.join("servicestage-gate.sha256");
    let hit = [source[0], source[1], ("GATE_CACHE_HIT", "true")];

    let built = install(&action, &source);
    assert_eq!(built.code, 0, "{}", built.stderr);
    assert_eq!(built.outputs["save"], "true", "a fresh build is saved");
    assert_eq!(
        fs::read_to_string(&record).unwrap(),
        format!(
            "{}  servicestage-gate\n",
            sha256_hex(&fs::read(&bin).unwrap())
        )
    );

    let reused = install(&action, &hit);
    assert_eq!(reused.code, 0, "{}", reused.stderr);
    assert!(
        reused
            .stderr
            .contains("reusing the build cached by an earlier run"),
        "{}",
        reused.stderr
    );
    assert_eq!(
        reused.cargo_log, "",
        "an intact cached build is not rebuilt"
    );
    assert_eq!(reused.bin(), bin.to_str());
    assert_eq!(reused.outputs.get("save"), None);

    for (name, tamper) in [
        (
            "replaced",
            (|bin: &Path, _: &Path| fs::write(bin, "#!/bin/sh\necho poisoned\n").unwrap())
                as fn(&Path, &Path),
        ),
        ("no record", |_, record| fs::remove_file(record).unwrap()),
        ("bad record", |_, record| {
            fs::write(record, "not a sha256\n").unwrap()
        }),
    ] {
        tamper(&bin, &record);
        let rebuilt = install(&action, &hit);
        assert_eq!(rebuilt.code, 0, "{name}: {}", rebuilt.stderr);
        assert!(
            rebuilt.stdout.starts_with("::warning title=servicestage-gate install::the cached build does not match the sha256 recorded when it was built"),
            "{name}: {}",
            rebuilt.stdout
        );
        assert!(
            rebuilt.cargo_log.starts_with("install --locked"),
            "{name}: not rebuilt"
        );
        assert_eq!(fs::read(&bin).unwrap(), fs::read(GATE).unwrap(), "{name}");
        assert_eq!(
            rebuilt.outputs["save"], "false",
            "{name}: the cache keeps its entry"
        );
    }
}
