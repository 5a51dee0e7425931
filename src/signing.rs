//! Huawei Cloud `SDK-HMAC-SHA256` request signing: a pure function of the request,
//! the key pair and the time.

use std::time::SystemTime;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::encoding::{self, percent_decode, percent_encode};

pub const ALGORITHM: &str = "SDK-HMAC-SHA256";

/// A request as it will be sent.
pub struct Request<'a> {
    pub method: &'a str,
    /// The path as sent, percent-encoded.
    pub path: &'a str,
    /// The query as sent, without `?`.
    pub query: &'a str,
    /// Every header that is sent, `Host` included, before `X-Sdk-Date` and `Authorization`.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

/// `YYYYMMDDTHHMMSSZ` in UTC.
pub fn sdk_date(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time)
        .to_string()
        .replace(['-', ':'], "")
}

/// Decodes the whole path, then splits it on `/` and encodes each segment again, adding
/// the trailing `/` the signer wants: an encoded `/` (`%2F`) in a job id splits it, as in
/// the official SDK.
pub fn canonical_uri(path: &str) -> String {
    let decoded = percent_decode(path);
    let segments: Vec<String> = decoded.split(|&b| b == b'/').map(percent_encode).collect();
    let mut uri = segments.join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// The query as sent, decoded and put in canonical form: sorted by key, then value.
pub fn canonical_query(query: &str) -> String {
    let pairs: Vec<(Vec<u8>, Vec<u8>)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect();
    encoding::canonical_query(&pairs)
}

/// Lower-cased, trimmed, sorted headers; names with `_` are not signed.
fn signed_headers(headers: &[(String, String)]) -> Vec<(String, String)> {
    let mut signed: Vec<(String, String)> = headers
        .iter()
        .filter(|(name, _)| !name.contains('_'))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    signed.sort();
    signed
}

fn hex_sha256(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The signed header names joined by `;`. `headers` must already hold `X-Sdk-Date`.
pub fn signed_header_names(headers: &[(String, String)]) -> String {
    signed_headers(headers)
        .iter()
        .map(|(name, _)| name.as_str())
        .collect::<Vec<_>>()
        .join(";")
}

/// The canonical request. `request.headers` must already hold `X-Sdk-Date`.
pub fn canonical_request(request: &Request) -> String {
    let headers = signed_headers(request.headers);
    let block: String = headers.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    format!(
        "{}\n{}\n{}\n{block}\n{}\n{}",
        request.method.to_ascii_uppercase(),
        canonical_uri(request.path),
        canonical_query(request.query),
        signed_header_names(request.headers),
        hex_sha256(request.body)
    )
}

pub fn string_to_sign(date: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{date}\n{}",
        hex_sha256(canonical_request.as_bytes())
    )
}

pub fn signature(sk: &str, string_to_sign: &str) -> String {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(sk.as_bytes()).expect("HMAC accepts any key");
    mac.update(string_to_sign.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// The headers to add to `request` so the API gateway accepts it: `X-Sdk-Date` and
/// `Authorization`.
pub fn sign(request: &Request, ak: &str, sk: &str, time: SystemTime) -> [(String, String); 2] {
    let date = sdk_date(time);
    let mut headers = request.headers.to_vec();
    headers.push(("X-Sdk-Date".to_string(), date.clone()));
    let dated = Request {
        headers: &headers,
        ..*request
    };
    let to_sign = string_to_sign(&date, &canonical_request(&dated));
    let authorization = format!(
        "{ALGORITHM} Access={ak}, SignedHeaders={}, Signature={}",
        signed_header_names(&headers),
        signature(sk, &to_sign)
    );
    [
        ("X-Sdk-Date".to_string(), date),
        ("Authorization".to_string(), authorization),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_canonical_uri_decodes_the_whole_path_before_splitting() {
        let cases = [
            ("/jobs/a%2Fb/builds", "/jobs/a/b/builds/"),
            ("/jobs/a%2fb/builds/", "/jobs/a/b/builds/"),
            ("/jobs/job%20id%3A1/builds", "/jobs/job%20id%3A1/builds/"),
            ("/jobs/a%252Fb", "/jobs/a%252Fb/"),
            ("", "/"),
        ];
        for (path, canonical) in cases {
            assert_eq!(canonical_uri(path), canonical, "{path}");
        }
    }
}
