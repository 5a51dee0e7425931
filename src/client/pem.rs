//! The certificates of a PEM bundle (`--ca-cert`, `SSL_CERT_FILE`). A system bundle is
//! about 200 KB of base64 read on every run; rustls-pki-types' decoder took a third of a
//! TLS run's instructions on it, this one a few instructions per character. Certificates
//! are public, so nothing here needs to run in constant time.

/// The DER of each `CERTIFICATE` section, in order. Text outside sections (a bundle's
/// comments) and sections of other kinds are skipped; a section that does not end, or a
/// certificate that is not base64, is an error saying where.
pub fn certificates(pem: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut found = Vec::new();
    // The open section's label, and its base64 so far.
    let mut open: Option<(&[u8], Vec<u8>)> = None;
    for (index, raw) in pem.split(|&b| b == b'\n').enumerate() {
        let line = raw.trim_ascii();
        let number = index + 1;
        if let Some(label) = marker(line, b"-----BEGIN ") {
            if let Some((open_label, _)) = open {
                let open_label = String::from_utf8_lossy(open_label);
                return Err(format!(
                    "line {number}: a section starts inside {open_label}"
                ));
            }
            open = Some((label, Vec::new()));
        } else if let Some(label) = marker(line, b"-----END ") {
            match open.take() {
                Some((open_label, base64)) if open_label == label => {
                    if label == b"CERTIFICATE" {
                        let der = decode_base64(&base64).map_err(|why| {
                            format!("the certificate ending on line {number}: {why}")
                        })?;
                        found.push(der);
                    }
                }
                _ => return Err(format!("line {number}: an END with no matching BEGIN")),
            }
        } else if let Some((_, base64)) = open.as_mut() {
            base64.extend_from_slice(line);
        }
    }
    match open {
        Some((label, _)) => Err(format!(
            "a {} section does not end",
            String::from_utf8_lossy(label)
        )),
        None => Ok(found),
    }
}

/// The label of a `-----BEGIN LABEL-----` or `-----END LABEL-----` line.
fn marker<'a>(line: &'a [u8], start: &[u8]) -> Option<&'a [u8]> {
    line.strip_prefix(start)?.strip_suffix(b"-----")
}

/// Standard base64 with `=` padding; whitespace inside a line is not base64.
fn decode_base64(text: &[u8]) -> Result<Vec<u8>, String> {
    let unpadded = text
        .strip_suffix(b"==")
        .or_else(|| text.strip_suffix(b"="))
        .unwrap_or(text);
    if !text.len().is_multiple_of(4) {
        return Err("its base64 has a wrong length or padding".to_string());
    }
    let mut der = Vec::with_capacity(unpadded.len() / 4 * 3 + 2);
    for group in unpadded.chunks(4) {
        let mut word = 0u32;
        for &character in group {
            let six = sextet(character)
                .ok_or_else(|| format!("{:?} is not a base64 character", char::from(character)))?;
            word = word << 6 | u32::from(six);
        }
        // A short last group carries 1 or 2 bytes in its top bits.
        word <<= 6 * (4 - group.len() as u32);
        let bytes = word.to_be_bytes();
        der.extend_from_slice(&bytes[1..group.len()]);
    }
    Ok(der)
}

fn sextet(character: u8) -> Option<u8> {
    match character {
        b'A'..=b'Z' => Some(character - b'A'),
        b'a'..=b'z' => Some(character - b'a' + 26),
        b'0'..=b'9' => Some(character - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_certificates_and_skips_the_rest() {
        let pem = b"# Issuer: a comment\r\n-----BEGIN CERTIFICATE-----\r\nAAEC\r\nAw==\r\n\
            -----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----\n\
            -----BEGIN CERTIFICATE-----\nTWFu\nTQ==\n-----END CERTIFICATE-----\n";
        assert_eq!(
            certificates(pem).unwrap(),
            [vec![0, 1, 2, 3], b"ManM".to_vec()]
        );
        assert!(certificates(b"no PEM here").unwrap().is_empty());
    }

    #[test]
    fn a_broken_bundle_says_where() {
        let cases: [(&[u8], &str); 6] = [
            (
                b"-----BEGIN CERTIFICATE-----\nAAEC\n",
                "a CERTIFICATE section does not end",
            ),
            (
                b"-----BEGIN CERTIFICATE-----\nAA*C\n-----END CERTIFICATE-----\n",
                "the certificate ending on line 3: '*' is not a base64 character",
            ),
            (
                b"-----BEGIN CERTIFICATE-----\nAAE\n-----END CERTIFICATE-----\n",
                "wrong length or padding",
            ),
            (
                b"-----BEGIN CERTIFICATE-----\nA===\n-----END CERTIFICATE-----\n",
                "'=' is not a base64 character",
            ),
            (
                b"-----BEGIN CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n",
                "line 2: a section starts inside CERTIFICATE",
            ),
            (
                b"-----END CERTIFICATE-----\n",
                "line 1: an END with no matching BEGIN",
            ),
        ];
        for (pem, expected) in cases {
            let err = certificates(pem).unwrap_err();
            assert!(err.contains(expected), "{err} lacks {expected}");
        }
    }
}
