//! The signing canonicalisation on arbitrary paths, queries and headers: never a panic,
//! and canonical forms are fixed points (canonicalising twice changes nothing).
#![no_main]

use libfuzzer_sys::fuzz_target;
use servicestage_gate::encoding::{percent_decode, percent_encode};
use servicestage_gate::signing::{self, Request};
use std::time::{Duration, UNIX_EPOCH};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut parts = text.splitn(4, '\n');
    let (path, query, header_text, rest) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let headers: Vec<(String, String)> = header_text
        .split('\t')
        .filter_map(|h| h.split_once(':'))
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();

    let uri = signing::canonical_uri(path);
    assert_eq!(signing::canonical_uri(&uri), uri);
    let query_form = signing::canonical_query(query);
    assert_eq!(signing::canonical_query(&query_form), query_form);
    assert_eq!(percent_decode(&percent_encode(rest.as_bytes())), rest.as_bytes());

    let request = Request { method: "GET", path, query, headers: &headers, body: rest.as_bytes() };
    let time = UNIX_EPOCH + Duration::from_secs(u64::from(data.len() as u32) * 86_400);
    let [date, authorization] = signing::sign(&request, "AK", "SK", time);
    assert_eq!(date.1.len(), 16);
    assert!(authorization.1.starts_with("SDK-HMAC-SHA256 Access=AK, SignedHeaders="));
});
