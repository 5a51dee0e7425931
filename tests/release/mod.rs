//! Test support for the install paths: scratch folders, release archives built with `tar`,
//! a `cargo` stand-in, and an HTTPS "release server" on 127.0.0.1.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread;

use sha2::{Digest, Sha256};

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");
pub const GATE: &str = env!("CARGO_BIN_EXE_servicestage-gate");

/// An empty folder of this test process.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "servicestage-gate-install-{name}-{}",
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

pub fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
}

/// A gzip tar archive of `entries` (path in the archive, content, mode), in that order.
pub fn tar_gz(dir: &Path, entries: &[(&str, &[u8], u32)]) -> Vec<u8> {
    let staging = dir.join("staging");
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir_all(&staging).unwrap();
    for (name, content, mode) in entries {
        let path = staging.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, content).unwrap();
        chmod(&path, *mode);
    }
    let tarball = dir.join("archive.tar.gz");
    let status = Command::new("tar")
        .arg("-czf")
        .arg(&tarball)
        .arg("-C")
        .arg(&staging)
        .args(entries.iter().map(|(name, _, _)| name))
        .status()
        .unwrap();
    assert!(status.success());
    fs::read(&tarball).unwrap()
}

/// A stand-in for the gate in archives: small, so packing it is quick.
pub const STUB: &[u8] = b"#!/bin/sh\necho stub gate\n";

/// A release archive as a hostile one might look: `gate` as `servicestage-gate`, setuid, and
/// a setuid `sudo` beside it.
pub fn gate_archive(dir: &Path, gate: &[u8]) -> Vec<u8> {
    tar_gz(
        dir,
        &[
            ("servicestage-gate", gate, 0o4755),
            ("sudo", b"#!/bin/sh\necho root\n", 0o4755),
        ],
    )
}

/// A `cargo` on PATH that records its arguments and "installs" the real gate binary.
pub fn fake_cargo(dir: &Path) -> PathBuf {
    let bin = dir.join("fakebin");
    fs::create_dir_all(&bin).unwrap();
    let script = format!(
        "#!/bin/sh\necho \"$@\" >> '{log}'\nroot=''\nwhile [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=\"$2\"; shift; done\nmkdir -p \"$root/bin\" && cp '{GATE}' \"$root/bin/servicestage-gate\"\n",
        log = dir.join("cargo.log").display(),
    );
    fs::write(bin.join("cargo"), script).unwrap();
    chmod(&bin.join("cargo"), 0o755);
    bin
}

/// An HTTPS server on 127.0.0.1 (certificate for 127.0.0.1 and localhost, signed by
/// tests/fixtures/ca.pem) serving `files` by path, 404 for anything else.
pub struct TlsFiles {
    pub port: u16,
    paths: Arc<Mutex<Vec<String>>>,
}

impl TlsFiles {
    pub fn start(files: Vec<(String, Vec<u8>)>) -> TlsFiles {
        let config = Arc::new(tls_config());
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let paths = Arc::new(Mutex::new(Vec::new()));
        let (seen, files) = (paths.clone(), Arc::new(files));
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (config, seen, files) = (config.clone(), seen.clone(), files.clone());
                thread::spawn(move || {
                    let connection = rustls::ServerConnection::new(config).unwrap();
                    let mut tls = rustls::StreamOwned::new(connection, stream);
                    let Some(path) = request_path(&mut tls) else {
                        return;
                    };
                    seen.lock().unwrap().push(path.clone());
                    let body = files.iter().find(|(p, _)| *p == path).map(|(_, b)| b);
                    let head = match body {
                        Some(body) => format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        ),
                        None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into(),
                    };
                    let _ = tls.write_all(head.as_bytes());
                    if let Some(body) = body {
                        let _ = tls.write_all(body);
                    }
                    tls.conn.send_close_notify();
                    let _ = tls.flush();
                });
            }
        });
        TlsFiles { port, paths }
    }

    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// The paths requested, in order.
    pub fn paths(&self) -> Vec<String> {
        self.paths.lock().unwrap().clone()
    }
}

/// The test CA's certificate, for `CURL_CA_BUNDLE`.
pub fn test_ca() -> PathBuf {
    Path::new(ROOT).join("tests/fixtures/ca.pem")
}

fn tls_config() -> rustls::ServerConfig {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let fixtures = Path::new(ROOT).join("tests/fixtures");
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(fixtures.join("server.pem"))
            .unwrap()
            .map(Result::unwrap)
            .collect();
    let key = PrivateKeyDer::from_pem_file(fixtures.join("server.key")).unwrap();
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap()
}

/// Reads a request head; its path, or None when the client left or refused the certificate.
fn request_path(stream: &mut impl Read) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
    }
    let line = String::from_utf8_lossy(&head).lines().next()?.to_string();
    line.split_whitespace().nth(1).map(String::from)
}
