//! Recognising credentials in server text. A server may echo a credential whole, in part,
//! or encoded; text that holds one is refused or elided, never shown with the secret cut
//! out, since a cut-out secret still leaks through its partial or encoded copies.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::{PoisonError, RwLock};

use crate::encoding::percent_decode;

/// A run of this many bytes of a credential (or of one of its encodings) is recognised.
const GRAM: usize = 10;
/// Decoding rounds for nested encodings (a percent-encoded JSON escape, ...).
const ROUNDS: usize = 3;

#[derive(Clone, Default)]
pub struct Secrets {
    /// Every `GRAM`-byte run of every form of every credential, packed into an integer.
    grams: HashSet<u128>,
    /// Forms shorter than `GRAM`, recognised whole.
    short: Vec<Vec<u8>>,
}

impl Secrets {
    pub fn new<'s>(values: impl IntoIterator<Item = &'s str>) -> Secrets {
        let mut secrets = Secrets::default();
        for value in values {
            secrets.add(value);
        }
        secrets
    }

    /// Adds a credential: its secret part, in upper and lower case (a hex signature is the
    /// same credential in either), and its base64 forms in both alphabets.
    pub fn add(&mut self, value: &str) {
        let value = secret_part(value).as_bytes();
        if value.is_empty() {
            return;
        }
        let mut forms = vec![value.to_vec()];
        for folded in [value.to_ascii_uppercase(), value.to_ascii_lowercase()] {
            if !forms.contains(&folded) {
                forms.push(folded);
            }
        }
        forms.extend(base64_forms(value));
        for form in forms.into_iter().filter(|f| !f.is_empty()) {
            if form.len() < GRAM {
                self.short.push(form);
                continue;
            }
            self.grams.extend(form.windows(GRAM).map(pack));
        }
    }

    /// Whether `text` holds a credential, whole or a `GRAM`-byte run of one, as it is or
    /// after undoing JSON escapes, percent-encoding and HTML character references.
    pub fn found_in(&self, text: &[u8]) -> bool {
        if self.found_raw(text) {
            return true;
        }
        let mut decoded = Cow::Borrowed(text);
        for _ in 0..ROUNDS {
            // Without `\`, `%` or `&` (the common case) there is nothing to undo.
            if !decoded.iter().any(|b| matches!(b, b'\\' | b'%' | b'&')) {
                return false;
            }
            decoded = Cow::Owned(decode_once(&decoded));
            if self.found_raw(&decoded) {
                return true;
            }
        }
        false
    }

    fn found_raw(&self, text: &[u8]) -> bool {
        if self
            .short
            .iter()
            .any(|s| text.windows(s.len()).any(|w| w == s.as_slice()))
        {
            return true;
        }
        if text.len() < GRAM {
            return false;
        }
        let mask = (1u128 << (8 * GRAM)) - 1;
        let mut gram = pack(&text[..GRAM - 1]);
        text[GRAM - 1..].iter().any(|&b| {
            gram = ((gram << 8) | u128::from(b)) & mask;
            self.grams.contains(&gram)
        })
    }
}

/// What a response is checked against, read when it is examined.
pub enum Known<'k> {
    /// The run's secrets as they are at that moment (a token another thread obtained
    /// since the request was sent included), and a signed request's own signature.
    Run(&'k RwLock<Secrets>, Option<&'k str>),
    /// The run's secrets as a login holds them while it runs.
    Held(&'k Secrets),
}

impl Known<'_> {
    /// `examine` with every secret known now.
    pub fn examine<T>(&self, examine: impl FnOnce(&Secrets) -> T) -> T {
        match *self {
            Known::Held(secrets) => examine(secrets),
            Known::Run(run, signature) => {
                let run = run.read().unwrap_or_else(PoisonError::into_inner);
                match signature {
                    None => examine(&run),
                    Some(signature) => {
                        let mut with_signature = run.clone();
                        with_signature.add(signature);
                        examine(&with_signature)
                    }
                }
            }
        }
    }
}

/// The part of a credential that is secret. A JWT's header and claims are base64url JSON
/// that other tokens of its issuer share (GitHub's runner token and the ID token it
/// fetches begin alike, and name the same host): a JWT is recognised by its signature,
/// which nothing else holds, and which every copy of the whole token carries.
fn secret_part(value: &str) -> &str {
    match value.split('.').collect::<Vec<_>>()[..] {
        [header, _, signature] if header.starts_with("eyJ") && signature.len() >= GRAM => signature,
        _ => value,
    }
}

fn pack(bytes: &[u8]) -> u128 {
    bytes
        .iter()
        .fold(0u128, |packed, &b| (packed << 8) | u128::from(b))
}

/// The base64 characters that depend on `value` alone, wherever it starts in the encoded
/// data: one form per alignment, standard and URL-safe alphabets.
fn base64_forms(value: &[u8]) -> Vec<Vec<u8>> {
    const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut forms = Vec::new();
    for skip in 0..3.min(value.len()) {
        let rest = &value[skip..];
        let whole = &rest[..rest.len() / 3 * 3];
        let standard: Vec<u8> = whole
            .chunks(3)
            .flat_map(|c| {
                let n = u32::from(c[0]) << 16 | u32::from(c[1]) << 8 | u32::from(c[2]);
                [18, 12, 6, 0].map(|shift| STANDARD[(n >> shift) as usize & 63])
            })
            .collect();
        let url_safe = standard
            .iter()
            .map(|&c| match c {
                b'+' => b'-',
                b'/' => b'_',
                c => c,
            })
            .collect();
        forms.extend([standard, url_safe]);
    }
    forms
}

/// One round of undoing JSON escapes, then percent-encoding, then HTML references.
fn decode_once(text: &[u8]) -> Vec<u8> {
    decode_html(&percent_decode(&String::from_utf8_lossy(&decode_json(
        text,
    ))))
}

/// Undoes JSON string escapes (`\uXXXX`, surrogate pairs, `\/`, ...); anything else stays.
fn decode_json(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] != b'\\' || i + 1 >= text.len() {
            out.push(text[i]);
            i += 1;
            continue;
        }
        let (decoded, used) = match text[i + 1] {
            b'u' => unicode_escape(&text[i..]),
            b'n' => (Some('\n'), 2),
            b't' => (Some('\t'), 2),
            b'r' => (Some('\r'), 2),
            b'b' => (Some('\u{8}'), 2),
            b'f' => (Some('\u{c}'), 2),
            c @ (b'"' | b'\\' | b'/') => (Some(c as char), 2),
            _ => (None, 1),
        };
        match decoded {
            Some(c) => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
            None => out.extend_from_slice(&text[i..i + used]),
        }
        i += used;
    }
    out
}

/// `\uXXXX`, or a surrogate pair `\uD83D\uDE00`; the character and the bytes it took.
fn unicode_escape(text: &[u8]) -> (Option<char>, usize) {
    let hex = |at: usize| {
        let digits = std::str::from_utf8(text.get(at..at + 4)?).ok()?;
        u32::from_str_radix(digits, 16).ok()
    };
    let Some(first) = hex(2) else {
        return (None, 1);
    };
    if (0xD800..0xDC00).contains(&first)
        && text.get(6..8) == Some(b"\\u")
        && let Some(second @ 0xDC00..0xE000) = hex(8)
    {
        let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
        return (char::from_u32(code), 12);
    }
    match char::from_u32(first) {
        Some(c) => (Some(c), 6),
        None => (None, 1),
    }
}

/// Undoes numeric HTML character references (`&#43;`, `&#x2F;`) and `&amp;`.
fn decode_html(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'&'
            && let Some((c, used)) = html_reference(&text[i..])
        {
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            i += used;
            continue;
        }
        out.push(text[i]);
        i += 1;
    }
    out
}

fn html_reference(text: &[u8]) -> Option<(char, usize)> {
    if text.starts_with(b"&amp;") {
        return Some(('&', 5));
    }
    let end = text.iter().take(12).position(|&b| b == b';')?;
    let body = std::str::from_utf8(&text[2..end]).ok()?;
    let code = match text.get(1..3)? {
        [b'#', b'x' | b'X'] => u32::from_str_radix(&body[1..], 16).ok()?,
        [b'#', _] => body.parse().ok()?,
        _ => return None,
    };
    Some((char::from_u32(code)?, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "tok-SECRET-4f1d9a7c+/x=";

    #[test]
    fn recognises_copies_whole_partial_and_encoded() {
        let secrets = Secrets::new([TOKEN, "AKSHORT"]);
        let hidden = [
            TOKEN.to_string(),
            format!("id-{}", &TOKEN[5..15]),
            "tok-SECRET\\u002d4f1d".to_string(),
            "\\u0074\\u006f\\u006b\\u002dSE".to_string() + "CRET-4f",
            "tok%2DSECRET%2D4f".to_string(),
            "%5Cu0074ok-SECRET-".to_string(),
            "tok&#45;SECRET&#x2d;4f".to_string(),
            "dG9rLVNFQ1JFVC00ZjFkOWE3Yw".to_string(),
            "b2stU0VDUkVULTRmMWQ5YTdj".to_string(),
            "xx AKSHORT yy".to_string(),
            "xx akshort yy".to_string(),
            "TOK-SECRET-4F1D9A7C".to_string(),
            "id-secret-4f1d9a".to_string(),
        ];
        for text in hidden {
            assert!(secrets.found_in(text.as_bytes()), "{text}");
        }
        let innocent = [
            "tok-SECRE",
            "ECRET-4f1",
            r#"{"list":[{"build_id":"b1","build_state":"Successful"}]}"#,
            "100% &amp; \\n",
            "AKSHOR",
        ];
        for text in innocent {
            assert!(!secrets.found_in(text.as_bytes()), "{text}");
        }
    }

    /// GitHub's runner token and the ID token it fetches share their header and the host
    /// in their claims; only the signature tells them apart.
    #[test]
    fn a_jwt_is_recognised_by_its_signature() {
        const HEADER: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsIng1dCI6ImVCWl9jbjNzWFlBZDBjaDRU";
        const CLAIMS: &str =
            "eyJpc3MiOiJodHRwczovL3Rva2VuLmFjdGlvbnMuZ2l0aHVidXNlcmNvbnRlbnQuY29tIn0";
        let runner = format!("{HEADER}.{CLAIMS}.k3Jq9XwZp0Lr7TcVb2Nm5HsYd8Ue");
        let secrets = Secrets::new([runner.as_str()]);
        let other = format!("{HEADER}.{CLAIMS}.Zx7Wq2Ep9Rt4Yu1Io8Pa5Sd3Fg6H");
        assert!(
            !secrets.found_in(other.as_bytes()),
            "another token of the issuer"
        );
        for echoed in [runner.as_str(), "k3Jq9XwZp0Lr7Tc", "K3JQ9XWZP0LR7TC"] {
            assert!(secrets.found_in(echoed.as_bytes()), "{echoed}");
        }
        // a short signature (`alg: none`), a header that is no JSON or two parts: all of it
        for whole in [
            "eyJ.JWT.sig",
            "abcdefghij.klm.nopqrstuvwxyz",
            "eyJabcdefghij.klmnop",
        ] {
            let secrets = Secrets::new([whole]);
            let head = &whole[..whole.find('.').unwrap()];
            assert!(secrets.found_in(whole.as_bytes()), "{whole}");
            assert_eq!(
                secrets.found_in(format!("{head}.").as_bytes()),
                head.len() >= GRAM,
                "{whole}"
            );
        }
    }

    #[test]
    fn a_response_is_checked_against_the_secrets_known_when_it_is_examined() {
        let run = RwLock::new(Secrets::new(["first-token-0a1b"]));
        let known = Known::Run(&run, None);
        assert!(!known.examine(|s| s.found_in(b"renewed-token-9z8y")));
        run.write().unwrap().add("renewed-token-9z8y");
        assert!(known.examine(|s| s.found_in(b"renewed-token-9z8y")));
        // a request's signature counts for its own answer only
        let signed = Known::Run(&run, Some("0123456789abcdef"));
        assert!(signed.examine(|s| s.found_in(b"sig 0123456789ABCDEF")));
        assert!(signed.examine(|s| s.found_in(b"first-token-0a1b")));
        assert!(!known.examine(|s| s.found_in(b"0123456789abcdef")));
        let held = Secrets::new(["held-secret-77"]);
        assert!(Known::Held(&held).examine(|s| s.found_in(b"held-secret-77")));
    }

    #[test]
    fn no_credentials_recognise_nothing() {
        assert!(!Secrets::new([""]).found_in(b"anything at all"));
    }

    #[test]
    fn decoders_undo_each_encoding() {
        let json: [(&[u8], &str); 9] = [
            (br#"a\u00e9\/\ud83d\ude00\q\u12"#, "aé/😀\\q\\u12"),
            (br#"\n\t\r\b\f\"\\\/"#, "\n\t\r\u{8}\u{c}\"\\/"),
            // a lone or unpaired surrogate stays as it was written
            (br#"\ud83d!"#, "\\ud83d!"),
            (br#"\ud83d\u0041"#, "\\ud83dA"),
            (br#"\ud83d\ud83d"#, "\\ud83d\\ud83d"),
            (br#"\ude00"#, "\\ude00"),
            (br#"\uDBFF\uDFFF"#, "\u{10FFFF}"),
            (b"ends with \\", "ends with \\"),
            (br#"\u00zz \u00"#, "\\u00zz \\u00"),
        ];
        for (text, decoded) in json {
            assert_eq!(decode_json(text), decoded.as_bytes(), "{text:?}");
        }
        let html: [(&[u8], &[u8]); 5] = [
            (b"&#43;&#x2F;&#X2f;&amp;&lt;&#;", b"+//&&lt;&#;"),
            (b"&#1234567890123;", b"&#1234567890123;"),
            (b"&#x110000; &#xD800;", b"&#x110000; &#xD800;"),
            (b"&#65", b"&#65"),
            (b"a&b", b"a&b"),
        ];
        for (text, decoded) in html {
            assert_eq!(decode_html(text), decoded, "{text:?}");
        }
    }

    /// Standard base64 of `bytes`, padded: an encoder apart from the one under test.
    fn base64(bytes: &[u8]) -> String {
        const DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        bytes
            .chunks(3)
            .flat_map(|chunk| {
                let n = chunk
                    .iter()
                    .enumerate()
                    .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
                (0..4).map(move |i| match i <= chunk.len() {
                    true => DIGITS[(n >> (18 - 6 * i)) as usize & 63] as char,
                    false => '=',
                })
            })
            .collect()
    }

    /// Base64 of any text holding the credential is recognised, wherever the credential
    /// starts, in either alphabet; `+` and `/` come out of `>>>` and `???`.
    #[test]
    fn a_credential_inside_base64_data_is_recognised_at_every_alignment() {
        let secret = "key>>>???-4f1d9a7c";
        let secrets = Secrets::new([secret]);
        for prefix in ["", "a", "ab", "abc"] {
            let standard = base64(format!("{prefix}{secret}!").as_bytes());
            let url_safe = standard.replace('+', "-").replace('/', "_");
            assert!(
                standard.contains('+') && standard.contains('/'),
                "{standard}"
            );
            for encoded in [standard, url_safe] {
                assert!(
                    secrets.found_in(encoded.as_bytes()),
                    "{prefix:?}: {encoded}"
                );
            }
        }
        assert!(
            !secrets.found_in(base64(b"key>>>").as_bytes()),
            "too little of it"
        );
    }

    #[test]
    fn short_credentials_and_exactly_one_run_are_recognised() {
        // a credential of 1, 2 or 4 bytes has base64 forms of nothing at some alignments
        for short in ["k", "ab", "abcd"] {
            let secrets = Secrets::new([short]);
            assert!(secrets.found_in(format!("x{short}y").as_bytes()), "{short}");
        }
        let secrets = Secrets::new(["tok-SECRET-4f1d9a7c"]);
        assert!(secrets.found_in(b"tok-SECRET"), "a text of exactly one run");
        assert!(secrets.found_in(b"T-4F1D9A7C"), "the last run, folded");
        assert!(!secrets.found_in(b"tok-SECRE"));
    }
}
