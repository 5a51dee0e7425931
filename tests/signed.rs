//! AK/SK signing end to end: the test server checks every request's signature with its
//! own implementation of the SDK-HMAC-SHA256 recipe and answers 401 when it is wrong.

use std::process::Command;
use std::time::{Duration, SystemTime};

use crate::common::{
    Recorded, Reply, Server, borrowed, gate, gate_for, page_json, parse_sdk_date, run, successful,
};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

const AK: &str = "HPUAEXAMPLEAK1234567";
const SK: &str = "sk-SECRET-ExampleSecretKey0123456789";
const SECURITY_TOKEN: &str = "st-SECRET-gQpjbi1ub3J0aC00jEXAMPLE+/==";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// RFC 3986 unreserved stay, everything else `%XX`, written apart from the crate's.
fn encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn decode(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = s.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        let escaped = tail
            .get(..2)
            .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        if let (b'%', Some(v)) = (b, escaped) {
            out.push(v);
            rest = &tail[2..];
            continue;
        }
        out.push(b);
        rest = tail;
    }
    out
}

/// Checks a request as API Gateway would; `Err` says what is wrong.
fn verify(request: &Recorded, sk: &str) -> Result<(), String> {
    let authorization = request.header("Authorization").ok_or("no Authorization")?;
    let rest = authorization
        .strip_prefix("SDK-HMAC-SHA256 ")
        .ok_or("wrong algorithm")?;
    let mut fields = rest.split(", ");
    let access = fields
        .next()
        .and_then(|f| f.strip_prefix("Access="))
        .ok_or("no Access")?;
    let signed = fields
        .next()
        .and_then(|f| f.strip_prefix("SignedHeaders="))
        .ok_or("no SignedHeaders")?;
    let signature = fields
        .next()
        .and_then(|f| f.strip_prefix("Signature="))
        .ok_or("no Signature")?;
    if access != AK {
        return Err(format!("unknown access key {access}"));
    }
    let date = request.header("X-Sdk-Date").ok_or("no X-Sdk-Date")?;
    let names: Vec<&str> = signed.split(';').collect();
    for required in ["host", "x-sdk-date"] {
        if !names.contains(&required) {
            return Err(format!("{required} is not signed"));
        }
    }
    let sent = parse_sdk_date(date)?;
    let skew = SystemTime::now()
        .duration_since(sent)
        .unwrap_or_else(|e| e.duration());
    if skew > Duration::from_secs(15 * 60) {
        return Err(format!("X-Sdk-Date {date} is {skew:?} off"));
    }

    // The official signer decodes the whole path first, then splits it: `%2F` splits too.
    let mut uri: String = decode(request.path())
        .split(|&b| b == b'/')
        .map(encode)
        .collect::<Vec<_>>()
        .join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    let mut pairs: Vec<String> = request
        .target
        .split_once('?')
        .map_or("", |(_, q)| q)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            format!("{}={}", encode(&decode(k)), encode(&decode(v)))
        })
        .collect();
    pairs.sort();
    let mut headers = String::new();
    for name in &names {
        let value = request
            .header(name)
            .ok_or(format!("signed header {name} was not sent"))?;
        headers.push_str(&format!("{name}:{}\n", value.trim()));
    }
    let canonical = format!(
        "GET\n{uri}\n{}\n{headers}\n{signed}\n{}",
        pairs.join("&"),
        hex(&Sha256::digest(b""))
    );
    let to_sign = format!(
        "SDK-HMAC-SHA256\n{date}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(sk.as_bytes()).unwrap();
    mac.update(to_sign.as_bytes());
    if hex(&mac.finalize().into_bytes()) == signature {
        Ok(())
    } else {
        Err(format!("signature mismatch over:\n{canonical}"))
    }
}

/// A server that answers `body` to requests signed with `SK`, and 401 to anything else.
fn verifying(body: String) -> Server {
    Server::start(move |request, _| {
        match verify(request, SK) {
        Ok(()) => Reply::ok(body.clone()),
        Err(why) => Reply::json(
            401,
            serde_json::json!({"error_code": "APIGW.0301", "error_msg": format!("Incorrect IAM authentication information: {why}")}).to_string(),
        ),
    }
    })
}

fn signed(server: &Server, sk: &str) -> Command {
    let mut command = gate_for(&server.url());
    command
        .env_remove("SERVICESTAGE_TOKEN")
        .env("HUAWEICLOUD_SDK_AK", AK)
        .env("HUAWEICLOUD_SDK_SK", sk)
        .env(
            "HUAWEICLOUD_SDK_PROJECT_ID",
            "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        );
    command
}

#[test]
fn signed_requests_are_accepted() {
    let server = verifying(page_json(3, &borrowed(&successful(3))));
    let out = run(&mut signed(&server, SK));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let request = &server.requests()[0];
    assert_eq!(
        request.header("X-Project-Id"),
        Some("0a1b2c3d4e5f60718293a4b5c6d7e8f9")
    );
    assert_eq!(request.header("X-Auth-Token"), None);
    let authorization = request.header("Authorization").unwrap();
    assert!(
        authorization
            .contains("SignedHeaders=content-type;host;user-agent;x-project-id;x-sdk-date,"),
        "{authorization}"
    );
}

#[test]
fn a_wrong_secret_key_is_refused_with_advice() {
    let server = verifying(page_json(3, &borrowed(&successful(3))));
    let out = run(&mut signed(&server, "not-the-secret"));
    assert_eq!(out.code, 3);
    let error = out.json()["error"].clone();
    assert_eq!(
        (
            error["kind"].as_str(),
            error["status"].as_u64(),
            error["code"].as_str()
        ),
        (Some("auth"), Some(401), Some("APIGW.0301"))
    );
    let message = error["message"].as_str().unwrap();
    for advice in [
        "HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK are one pair",
        "within 15 minutes",
        "project id",
    ] {
        assert!(message.contains(advice), "{message} lacks {advice}");
    }
}

#[test]
fn reserved_and_non_ascii_ids_and_names_are_signed_as_sent() {
    let server = verifying(page_json(3, &borrowed(&successful(3))));
    let out = run(gate()
        .args([
            "--endpoint",
            &format!("{}/base", server.url()),
            "--format",
            "json",
        ])
        .args([
            "--job-id",
            "job id:1@x+y=é/2",
            "--job-name",
            "构建任务-测试 Ünïcode*+&=~._",
        ])
        .env("HUAWEICLOUD_SDK_AK", AK)
        .env("HUAWEICLOUD_SDK_SK", SK));
    assert_eq!(out.code, 0, "{}", out.stdout);
    let request = &server.requests()[0];
    assert_eq!(
        request.path(),
        "/base/assembling/v1/jobs/job%20id%3A1%40x%2By%3D%C3%A9%2F2/builds"
    );
    assert_eq!(
        request.query("name"),
        Some(
            "%E6%9E%84%E5%BB%BA%E4%BB%BB%E5%8A%A1-%E6%B5%8B%E8%AF%95%20%C3%9Cn%C3%AFcode%2A%2B%26%3D~._"
        )
    );
}

#[test]
fn every_page_is_signed_afresh() {
    let server = Server::start(|request, _| {
        if let Err(why) = verify(request, SK) {
            return Reply::json(401, serde_json::json!({"error_msg": why}).to_string());
        }
        let page: usize = request.query("page").unwrap().parse().unwrap();
        let builds = successful(9);
        let slice: Vec<_> = builds
            .iter()
            .skip((page - 1) * 3)
            .take(3)
            .cloned()
            .collect();
        Reply::ok(page_json(9, &borrowed(&slice)))
    });
    let out = run(signed(&server, SK).args(["--build-id", "s7"]));
    assert_eq!(out.code, 0, "{}", out.stdout);
    let signatures: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.header("Authorization").unwrap().to_string())
        .collect();
    assert_eq!(signatures.len(), 3);
    assert!(
        signatures[0] != signatures[1] && signatures[1] != signatures[2],
        "each page has its own signature"
    );
}

#[test]
fn a_security_token_is_sent_and_signed() {
    let server = verifying(page_json(3, &borrowed(&successful(3))));
    let out = run(signed(&server, SK).env("HUAWEICLOUD_SDK_SECURITY_TOKEN", SECURITY_TOKEN));
    assert_eq!(out.code, 0, "{}", out.stdout);
    let request = &server.requests()[0];
    assert_eq!(request.header("X-Security-Token"), Some(SECURITY_TOKEN));
    assert!(
        request
            .header("Authorization")
            .unwrap()
            .contains("x-sdk-date;x-security-token,")
    );
}

#[test]
fn secrets_never_reach_the_output() {
    let server = verifying(page_json(3, &borrowed(&successful(3))));
    for sk in [SK, "wrong-SECRET"] {
        let out = run(signed(&server, sk)
            .env("HUAWEICLOUD_SDK_SECURITY_TOKEN", SECURITY_TOKEN)
            .arg("-v"));
        out.assert_hides(&["SECRET"]);
        assert!(
            out.stderr.contains("GET http://127.0.0.1"),
            "verbose logs the request: {}",
            out.stderr
        );
    }
}

#[test]
fn a_slash_in_the_job_id_is_signed_as_the_sdk_signs_it() {
    let server = verifying(page_json(3, &borrowed(&successful(3))));
    let out = run(gate()
        .args(["--endpoint", &server.url(), "--format", "json"])
        .args(["--job-id", "a/b", "--job-name", "n"])
        .env("HUAWEICLOUD_SDK_AK", AK)
        .env("HUAWEICLOUD_SDK_SK", SK));
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(
        server.requests()[0].path(),
        "/assembling/v1/jobs/a%2Fb/builds",
        "sent encoded, signed as /assembling/v1/jobs/a/b/builds/"
    );
}

/// The access key, the signature and the security token, whole or in part, never reach
/// any output, whether the server echoes them in an error or in a page.
#[test]
fn a_server_echoing_the_signed_headers_cannot_make_the_gate_print_them() {
    let server = Server::start(|request, n| {
        let authorization = request.header("Authorization").unwrap_or("").to_string();
        let security = request.header("X-Security-Token").unwrap_or("").to_string();
        let echo = format!("{authorization} {security}");
        match n {
            0 => Reply::json(
                401,
                serde_json::json!({"error_code": "APIGW.0301", "error_msg": echo}).to_string(),
            ),
            1 => Reply::json(
                403,
                serde_json::json!({"error_msg": format!("key {}", &AK[4..])}).to_string(),
            ),
            _ => Reply::ok(page_json(
                1,
                &[(&format!("b-{}", &AK[2..14]), "Successful", 5)],
            )),
        }
    });
    for expected in ["auth", "auth", "response"] {
        let out = run(signed(&server, SK)
            .env("HUAWEICLOUD_SDK_SECURITY_TOKEN", SECURITY_TOKEN)
            .arg("-v"));
        assert_eq!(out.code, 3, "{}", out.stdout);
        assert_eq!(out.json()["error"]["kind"], expected, "{}", out.stdout);
        let sent = server
            .requests()
            .last()
            .unwrap()
            .header("Authorization")
            .unwrap()
            .to_string();
        let signature = sent.rsplit("Signature=").next().unwrap().to_string();
        out.assert_hides(&["SECRET", &AK[4..14], &signature[..12]]);
    }
}
