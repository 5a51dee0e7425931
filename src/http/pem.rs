//! The certificates of a PEM bundle (`--ca-cert`, `SSL_CERT_FILE`). A system bundle is
//! about 200 KB of base64 read on every run; rustls-pki-types' decoder took a third of a
//! TLS run's instructions on it, this one a few instructions per character. Certificates
//! are public, so nothing here needs to run in constant time.

/// The DER of each `CERTIFICATE` section, in order. Text outside sections (a bundle's
/// comments) and sections of other kinds are skipped; a section that does not end, or a
/// certificate that is not base64, is an error.
pub fn certificates(pem: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    let mut found = Vec::new();
    let mut rest = pem;
    while let Some(start) = find(rest, BEGIN) {
        let after = &rest[start + BEGIN.len()..];
        let label_end = find(after, b"-----").ok_or("a BEGIN line does not end")?;
        let label = &after[..label_end];
        let end = [b"-----END ", label, b"-----"].concat();
        let body = &after[label_end + 5..];
        // A certificate's base64 is decoded up to the first `-`; other sections are skipped.
        let body_end = if label == b"CERTIFICATE" {
            let (der, used) = decode_base64(body)
                .map_err(|why| format!("certificate {}: {why}", found.len() + 1))?;
            found.push(der);
            Some(used)
        } else {
            find(body, b"-----")
        };
        let body_end = body_end
            .filter(|&at| body[at..].starts_with(&end))
            .ok_or_else(|| {
                let label = String::from_utf8_lossy(label);
                format!("a {label} section does not end with its END line")
            })?;
        rest = &body[body_end + end.len()..];
    }
    Ok(found)
}

/// Where `needle` first starts in `haystack`: a scan for its first byte, then a compare.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = haystack[from..].iter().position(|&b| b == needle[0]) {
        if haystack[from + at..].starts_with(needle) {
            return Some(from + at);
        }
        from += at + 1;
    }
    None
}

/// Standard base64 with `=` padding, over lines (whitespace is skipped), up to the first
/// `-`: the bytes, and where the `-` is (the text's end if there is none).
fn decode_base64(text: &[u8]) -> Result<(Vec<u8>, usize), String> {
    // `text` runs to the end of the file; a certificate is rarely over 2 KB. (Sized from
    // the whole text, each certificate was an mmap and a munmap in musl.)
    let mut der = Vec::with_capacity(2048);
    let (mut bits, mut held, mut sextets, mut padding) = (0u32, 0u32, 0usize, 0usize);
    let mut end = text.len();
    for (at, &character) in text.iter().enumerate() {
        match SEXTETS[usize::from(character)] {
            six @ 0..64 if padding == 0 => {
                bits = bits << 6 | u32::from(six);
                held += 6;
                sextets += 1;
                if held >= 8 {
                    held -= 8;
                    der.push((bits >> held) as u8);
                }
            }
            WHITESPACE => {}
            PAD => padding += 1,
            DASH => {
                end = at;
                break;
            }
            _ => {
                return Err(format!("{:?} is not base64 here", char::from(character)));
            }
        }
    }
    if padding > 2 || !(sextets + padding).is_multiple_of(4) {
        return Err("its base64 has a wrong length or padding".to_string());
    }
    Ok((der, end))
}

const WHITESPACE: u8 = 0x40;
const PAD: u8 = 0x41;
const DASH: u8 = 0x42;

/// Each byte's base64 value, `WHITESPACE`, `PAD`, `DASH`, or 0xff for anything else.
const SEXTETS: [u8; 256] = {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut table = [0xff; 256];
    let mut value = 0;
    while value < 64 {
        table[alphabet[value] as usize] = value as u8;
        value += 1;
    }
    table[b' ' as usize] = WHITESPACE;
    table[b'\t' as usize] = WHITESPACE;
    table[b'\r' as usize] = WHITESPACE;
    table[b'\n' as usize] = WHITESPACE;
    table[b'=' as usize] = PAD;
    table[b'-' as usize] = DASH;
    table
};

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
    fn a_broken_bundle_is_refused() {
        let cases: [(&[u8], &str); 6] = [
            (
                b"-----BEGIN CERTIFICATE-----\nAAEC\n",
                "a CERTIFICATE section does not end with its END line",
            ),
            (
                b"-----BEGIN CERTIFICATE-----\nAA*C\n-----END CERTIFICATE-----\n",
                "certificate 1: '*' is not base64 here",
            ),
            (
                b"-----BEGIN CERTIFICATE-----\nAAE\n-----END CERTIFICATE-----\n",
                "wrong length or padding",
            ),
            (
                b"-----BEGIN CERTIFICATE-----\nA===\n-----END CERTIFICATE-----\n",
                "wrong length or padding",
            ),
            (
                b"-----BEGIN CERTIFICATE-----\nAA==AAAA\n-----END CERTIFICATE-----\n",
                "'A' is not base64 here",
            ),
            (
                b"-----BEGIN CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n",
                "does not end with its END line",
            ),
        ];
        for (pem, expected) in cases {
            let err = certificates(pem).unwrap_err();
            assert!(err.contains(expected), "{err} lacks {expected}");
        }
    }
}
