//! The ways a hostile server echoes a credential, and the decodings the leak check
//! applies to every output before it looks for a credential's bytes.

/// How an echo writes a credential.
#[derive(Debug, Clone, PartialEq)]
pub enum Encoding {
    Raw,
    /// Every character as `\u00XX` in the JSON body; the parsed value is the raw text.
    JsonEscaped,
    /// Every byte as `%XX`.
    Percent,
    /// Base64 (URL-safe or not) after `offset` filler bytes, so any alignment occurs.
    Base64 {
        url_safe: bool,
        offset: usize,
    },
    /// Upper and lower case swapped.
    CaseChanged,
    /// Only `len` bytes of it, from `start`.
    Run {
        start: usize,
        len: usize,
    },
}

impl Encoding {
    pub fn apply(&self, secret: &str) -> String {
        match self {
            Encoding::Raw | Encoding::JsonEscaped => secret.to_string(),
            Encoding::Percent => secret.bytes().map(|b| format!("%{b:02X}")).collect(),
            Encoding::Base64 { url_safe, offset } => {
                let mut bytes = b"zq"[..*offset].to_vec();
                bytes.extend_from_slice(secret.as_bytes());
                base64(&bytes, *url_safe)
            }
            Encoding::CaseChanged => secret
                .chars()
                .map(|c| match c.is_ascii_uppercase() {
                    true => c.to_ascii_lowercase(),
                    false => c.to_ascii_uppercase(),
                })
                .collect(),
            Encoding::Run { start, len } => secret[*start..start + len].to_string(),
        }
    }
}

/// `text` with every character written as a JSON `\u` escape.
pub fn json_escape_all(text: &str) -> String {
    text.encode_utf16().map(|u| format!("\\u{u:04x}")).collect()
}

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn base64(bytes: &[u8], url_safe: bool) -> String {
    let alphabet: Vec<u8> = STANDARD
        .iter()
        .map(|&c| match (url_safe, c) {
            (true, b'+') => b'-',
            (true, b'/') => b'_',
            _ => c,
        })
        .collect();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(alphabet[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    while !url_safe && !out.len().is_multiple_of(4) {
        out.push('=');
    }
    out
}

/// The bytes of base64 text (either alphabet), ignoring what is not base64; the bits
/// left over at the end are dropped.
fn unbase64(text: &[u8]) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    };
    let (mut out, mut bits, mut count) = (Vec::new(), 0u32, 0);
    for six in text.iter().filter_map(|&c| value(c)) {
        bits = bits << 6 | six as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

fn percent_decode(text: &[u8]) -> Vec<u8> {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        match (
            text[i],
            text.get(i + 1).and_then(|&c| hex(c)),
            text.get(i + 2).and_then(|&c| hex(c)),
        ) {
            (b'%', Some(high), Some(low)) => {
                out.push(high << 4 | low);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Undoes `\uXXXX` and `\x` escapes (JSON), `&#NN;`, `&#xNN;` and the named XML entities.
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let (decoded, used) = escape_at(rest).unwrap_or((c, c.len_utf8()));
        out.push(decoded);
        rest = &rest[used..];
    }
    out
}

fn escape_at(text: &str) -> Option<(char, usize)> {
    if let Some(hex) = text.strip_prefix("\\u").and_then(|t| t.get(..4)) {
        return char::from_u32(u32::from_str_radix(hex, 16).ok()?).map(|c| (c, 6));
    }
    if let Some(c) = text.strip_prefix('\\').and_then(|t| t.chars().next()) {
        let decoded = match c {
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            other => other,
        };
        return Some((decoded, 1 + c.len_utf8()));
    }
    let entity = text.strip_prefix('&')?.split_once(';')?.0;
    let decoded = match entity {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let number = entity.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((decoded, entity.len() + 2))
}

/// The forms the leak check searches: the text itself, percent-decoded, unescaped
/// (JSON, XML), and every run of base64 characters decoded at each of its alignments.
/// All lower-cased, so a credential in another case is found too.
pub fn views(text: &str) -> Vec<Vec<u8>> {
    let mut views = vec![
        text.as_bytes().to_vec(),
        percent_decode(text.as_bytes()),
        unescape(text).into_bytes(),
        percent_decode(unescape(text).as_bytes()),
    ];
    let is_base64 = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_');
    for run in text
        .as_bytes()
        .split(|&c| !is_base64(c))
        .filter(|r| r.len() >= 12)
    {
        for skip in 0..4 {
            views.push(unbase64(&run[skip..]));
        }
    }
    for view in &mut views {
        view.make_ascii_lowercase();
    }
    views
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_echo_is_found_again_by_the_views() {
        let secret = "tkSecretValue0123456789";
        let encodings = [
            Encoding::Raw,
            Encoding::Percent,
            Encoding::Base64 {
                url_safe: false,
                offset: 0,
            },
            Encoding::Base64 {
                url_safe: true,
                offset: 1,
            },
            Encoding::Base64 {
                url_safe: false,
                offset: 2,
            },
            Encoding::CaseChanged,
            Encoding::Run { start: 3, len: 10 },
        ];
        let needle = secret[3..13].to_ascii_lowercase();
        for encoding in encodings {
            let echoed = format!("id {} end", encoding.apply(secret));
            let found = views(&echoed)
                .iter()
                .any(|v| v.windows(10).any(|w| w == needle.as_bytes()));
            assert!(found, "{encoding:?}: {echoed}");
        }
        let escaped = json_escape_all(secret);
        assert!(
            views(&escaped)
                .iter()
                .any(|v| v == &secret.to_ascii_lowercase().into_bytes())
        );
        assert_eq!(base64(b"hello", false), "aGVsbG8=");
        assert_eq!(unescape("a&#58;&#x3A;&amp;\\u0041"), "a::&A");
    }
}
