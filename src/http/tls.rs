//! The roots a TLS connection trusts: the built-in ones and the `--ca-cert` and
//! `SSL_CERT_FILE` bundles.

use std::collections::HashMap;
use std::path::PathBuf;

use ureq::tls::{Certificate, RootCerts};

use super::{files, pem};
use crate::error::Error;

/// The built-in roots plus every certificate of the `--ca-cert` and `SSL_CERT_FILE` files.
/// ureq turns each certificate into a trust anchor on every run, so the built-in ones are
/// borrowed, not copied, and a file's copy of one of them (a system bundle holds most of
/// them) is not added twice.
pub(super) fn root_certs(ca_certs: &[PathBuf]) -> Result<RootCerts, Error> {
    let built_in = webpki_root_certs::TLS_SERVER_ROOT_CERTS;
    let mut certs: Vec<Certificate<'static>> = built_in
        .iter()
        .map(|der| Certificate::from_der(der.as_ref()))
        .collect();
    // Each built-in root by its last bytes (its signature), to find copies without
    // comparing every pair.
    let by_tail: HashMap<&[u8], &[u8]> = built_in
        .iter()
        .map(|der| (signature_tail(der), der.as_ref()))
        .collect();
    for path in ca_certs {
        // The config does not say which of the two named this file.
        let name = "--ca-cert or SSL_CERT_FILE";
        let usage = |why: String| Error::Usage(format!("{name}: {}: {why}", path.display()));
        let pem = files::read_capped(path, files::MAX_CA_FILE, name)?;
        let found = pem::certificates(&pem)
            .map_err(|why| usage(format!("not a PEM certificate bundle ({why})")))?;
        if found.is_empty() {
            return Err(usage("holds no PEM certificate".to_string()));
        }
        for der in found {
            if by_tail.get(signature_tail(&der)) != Some(&der.as_slice()) {
                certs.push(Certificate::from_der(&der).to_owned());
            }
        }
    }
    Ok(RootCerts::from(certs))
}

/// The last 32 bytes of a certificate (all of it if shorter): part of its signature.
fn signature_tail(der: &[u8]) -> &[u8] {
    &der[der.len().saturating_sub(32)..]
}

#[cfg(test)]
#[allow(clippy::disallowed_methods, reason = "test files")]
mod tests {
    use super::*;

    /// PEM for one certificate, the way a system bundle spells it.
    fn pem(der: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut text = String::new();
        for chunk in der.chunks(3) {
            let bytes = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let word = u32::from_be_bytes([0, bytes[0], bytes[1], bytes[2]]);
            for i in 0..4 {
                let shown = i <= chunk.len();
                let six = (word >> (18 - 6 * i)) & 63;
                text.push(if shown {
                    ALPHABET[six as usize] as char
                } else {
                    '='
                });
            }
        }
        let lines: Vec<&str> = text
            .as_bytes()
            .chunks(64)
            .map(|l| std::str::from_utf8(l).unwrap())
            .collect();
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        )
    }

    #[test]
    fn a_bundle_adds_its_own_roots_and_not_the_built_in_ones_again() {
        let built_in = webpki_root_certs::TLS_SERVER_ROOT_CERTS;
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ca.pem");
        let bundle = format!(
            "{}{}{}",
            pem(&built_in[0]),
            std::fs::read_to_string(fixture).unwrap(),
            pem(&built_in[1])
        );
        let path = std::env::temp_dir().join(format!("gate-bundle-{}.pem", std::process::id()));
        std::fs::write(&path, bundle).unwrap();
        let roots = root_certs(std::slice::from_ref(&path));
        let _ = std::fs::remove_file(&path);
        let RootCerts::Specific(certs) = roots.unwrap() else {
            panic!("expected specific roots");
        };
        assert_eq!(certs.len(), built_in.len() + 1);
    }

    #[test]
    fn the_pem_reader_reads_what_ureqs_reads() {
        let built_in = webpki_root_certs::TLS_SERVER_ROOT_CERTS;
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ca.pem");
        let mut bundle: String = built_in.iter().map(|der| pem(der)).collect();
        bundle.push_str(&std::fs::read_to_string(fixture).unwrap());
        let ours = pem::certificates(bundle.as_bytes()).unwrap();
        let ureqs: Vec<Vec<u8>> = ureq::tls::parse_pem(bundle.as_bytes())
            .map(|item| match item.unwrap() {
                ureq::tls::PemItem::Certificate(cert) => cert.der().to_vec(),
                _ => panic!("only certificates in this bundle"),
            })
            .collect();
        assert_eq!(ours.len(), built_in.len() + 1);
        assert!(ours == ureqs, "the two readers differ");
    }
}
