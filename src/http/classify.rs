//! What one HTTP response means: a pure function of its status, the headers the gate
//! reads and the body, so every case is a table test without a server.

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::secrets::Secrets;
use crate::error::{Error, HttpFailure};
use crate::json::{self, Fields, Named};
use crate::text::one_line;

/// A server's `Retry-After` is honoured up to this.
pub const RETRY_AFTER_MAX: Duration = Duration::from_secs(60);
/// What replaces server text that echoed a credential.
pub const WITHHELD: &str = "<redacted> (the API's text echoed a credential)";

/// A response as received: the status, the headers the gate reads, and the body read.
#[derive(Default)]
pub struct Response<'r> {
    pub status: u16,
    pub content_encoding: Option<&'r str>,
    pub retry_after: Option<&'r str>,
    pub request_id: Option<&'r str>,
    pub location: Option<&'r str>,
    pub body: &'r [u8],
}

/// What is known beyond the response: for advice, and for recognising credentials.
pub struct Context<'c> {
    pub signed: bool,
    /// Retries made before this answer: "still after N retries" when it is the last.
    pub retries: u32,
    pub secrets: &'c Secrets,
    pub now: SystemTime,
}

/// One request's failure, and whether trying again may help.
#[derive(Debug)]
pub struct Failure {
    pub error: Error,
    pub retry: Retry,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    Never,
    /// A token the gate obtained itself has expired: log in again, then repeat once.
    Renew,
    /// With backoff, or after the server's `Retry-After` when it sent one.
    After(Option<Duration>),
    /// The gateway's throttling code: as `After`, but the backoff is at least 2 s.
    Throttled(Option<Duration>),
}

/// The error codes Huawei's API gateway throttles with, on whatever status.
const THROTTLING_CODES: [&str; 2] = ["APIG.0308", "APIGW.0308"];

fn is_throttling(code: Option<&str>) -> bool {
    code.is_some_and(|c| {
        THROTTLING_CODES
            .iter()
            .any(|t| c.trim().eq_ignore_ascii_case(t))
    })
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure {
            error,
            retry: Retry::Never,
        }
    }
}

/// Whether the body is one the gate can read: none but identity was asked for.
pub fn identity_encoding(content_encoding: Option<&str>) -> bool {
    content_encoding.is_none_or(|e| e.trim().eq_ignore_ascii_case("identity"))
}

/// `Ok` when the body is a usable answer: status 200, no encoding, no credential in it.
pub fn classify(response: &Response, context: &Context) -> Result<(), Failure> {
    let status = response.status;
    // A throttling body on a 200 would otherwise read as an empty list: small bodies only,
    // a real answer is not re-parsed.
    let throttled_ok = || {
        response.body.len() as u64 <= 4096 && is_throttling(error_body(response.body).0.as_deref())
    };
    if status == 200 && !throttled_ok() {
        if !identity_encoding(response.content_encoding) {
            let encoding = shown(response.content_encoding.unwrap_or(""), context);
            return Err(Error::Response(format!(
                "the API sent its answer with Content-Encoding {encoding}, which the gate did \
                 not ask for and cannot read"
            ))
            .into());
        }
        if context.secrets.found_in(response.body) {
            return Err(Error::Response(
                "the API's answer echoed a credential (whole, in part or encoded); it was \
                 refused so that the credential cannot reach any output"
                    .to_string(),
            )
            .into());
        }
        return Ok(());
    }
    Err(http_failure(response, context))
}

fn http_failure(response: &Response, context: &Context) -> Failure {
    let status = response.status;
    let (code, api_message) = if identity_encoding(response.content_encoding) {
        error_body(response.body)
    } else {
        (None, None)
    };
    // Split across fields or echoed beside them: withhold both.
    let echoed = [code.as_deref(), api_message.as_deref()]
        .into_iter()
        .flatten()
        .any(|text| context.secrets.found_in(text.as_bytes()))
        || context.secrets.found_in(response.body);
    let throttled = is_throttling(code.as_deref());
    let advice = match throttled {
        true => format!(
            "throttled by the API gateway, still after {} retries",
            context.retries
        ),
        false => advice(status, response.location, context),
    };
    let message = match (api_message, echoed) {
        (_, true) => format!("{WITHHELD} ({advice})"),
        (Some(text), false) => format!("{} ({advice})", one_line(&text)),
        (None, false) => advice,
    };
    let failure = HttpFailure {
        status,
        code: code.filter(|_| !echoed).map(|c| one_line(&c)),
        message,
        request_id: response.request_id.and_then(|id| request_id(id, context)),
    };
    let retry_after = response
        .retry_after
        .and_then(|v| parse_retry_after(v, context.now))
        .map(|d| d.min(RETRY_AFTER_MAX));
    Failure {
        retry: match status {
            _ if throttled => Retry::Throttled(retry_after),
            429 | 500..=599 => Retry::After(retry_after),
            _ => Retry::Never,
        },
        error: match status {
            401 | 403 if !throttled => Error::Auth(failure),
            _ => Error::Http(failure),
        },
    }
}

/// A request id is kept only as a plain token: it is printed beside the message.
fn request_id(id: &str, context: &Context) -> Option<String> {
    let plain = !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    (plain && !context.secrets.found_in(id.as_bytes())).then(|| id.to_string())
}

/// Server text for a message: withheld when it echoes a credential, else on one line.
pub fn shown(text: &str, context: &Context) -> String {
    if context.secrets.found_in(text.as_bytes()) {
        WITHHELD.to_string()
    } else {
        one_line(text)
    }
}

/// What a user can do about an error status.
fn advice(status: u16, location: Option<&str>, context: &Context) -> String {
    match status {
        200..=299 => format!(
            "HTTP {status} is not a complete answer: only 200 carries the data the gate asked for"
        ),
        300..=399 => format!(
            "the API answered with a redirect to {}, which is not followed so that \
             credentials stay with the endpoint's origin; point --endpoint at the API itself",
            location.map_or("an unnamed location".to_string(), |l| shown(l, context))
        ),
        401 if context.signed => "the signature was refused: check that HUAWEICLOUD_SDK_AK and \
            HUAWEICLOUD_SDK_SK are one pair, that this machine's clock is within 15 minutes \
            of real time, and the project id"
            .to_string(),
        401 => "the token was refused: it has expired (IAM tokens last 24 hours) or is wrong; \
            get a new one"
            .to_string(),
        403 => "the credentials may not read this job: check the project id and the IAM \
            permissions for ServiceStage"
            .to_string(),
        404 => {
            "not found: check --job-id and --job-name, and that the endpoint is the job's region"
                .to_string()
        }
        429 => format!("rate limited, still after {} retries", context.retries),
        500..=599 => format!("the API failed, still after {} retries", context.retries),
        _ => format!("unexpected HTTP status {status}"),
    }
}

/// Huawei Cloud error bodies spell their fields three ways: (code, message). A body that
/// is no JSON object, or names a field twice, says nothing.
pub fn error_body(body: &[u8]) -> (Option<String>, Option<String>) {
    const ERROR: Named = Named {
        name: "error body",
        expected: "an object",
    };
    let Ok(fields) = json::parse(body, ErrorFields::default(), ERROR) else {
        return (None, None);
    };
    let [
        code,
        code_camel,
        code_short,
        message,
        message_camel,
        message_short,
    ] = fields.0;
    (
        code.or(code_camel).or(code_short),
        message.or(message_camel).or(message_short),
    )
}

/// The six spellings, in `KEYS` order.
#[derive(Default)]
struct ErrorFields([Option<String>; 6]);

impl<'de> Fields<'de> for ErrorFields {
    const WHAT: &'static str = "an error object";
    const KEYS: &'static [&'static str] = &[
        "error_code",
        "errorCode",
        "code",
        "error_msg",
        "errorMsg",
        "message",
    ];
    fn read<A: MapAccess<'de>>(&mut self, key: &'static str, map: &mut A) -> Result<(), A::Error> {
        let index = Self::KEYS.iter().position(|k| *k == key).unwrap_or(0);
        self.0[index] = map.next_value::<Scalar>()?.0;
        Ok(())
    }
}

/// A non-empty string, or a number as text; any other value is `None`.
struct Scalar(Option<String>);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor).map(Scalar)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok((!v.is_empty()).then(|| v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

/// `Retry-After` as seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = parse_http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// An IMF-fixdate such as `Sun, 06 Nov 1994 08:49:37 GMT`.
fn parse_http_date(value: &str) -> Option<SystemTime> {
    let (_, rest) = value.split_once(", ")?;
    let parts: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| m == month)? + 1;
    let rfc3339 = format!("{year}-{month:02}-{day:0>2}T{time}Z");
    humantime::parse_rfc3339(&rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "tok-SECRET-4f1d9a7c";

    fn context(secrets: &Secrets) -> Context<'_> {
        Context {
            signed: false,
            retries: 3,
            secrets,
            now: humantime::parse_rfc3339("2026-11-28T12:00:00Z").unwrap(),
        }
    }

    /// What a case must come out as: `None` for accepted, else the error's parts.
    #[derive(Debug, PartialEq)]
    struct Seen {
        kind: &'static str,
        status: Option<u16>,
        code: Option<String>,
        request_id: Option<String>,
        retry: Retry,
    }

    fn seen(response: &Response) -> (Option<Seen>, String) {
        let secrets = Secrets::new([TOKEN]);
        match classify(response, &context(&secrets)) {
            Ok(()) => (None, String::new()),
            Err(Failure { error, retry }) => {
                let failure = error.http_failure();
                let seen = Seen {
                    kind: error.kind(),
                    status: failure.map(|f| f.status),
                    code: failure.and_then(|f| f.code.clone()),
                    request_id: failure.and_then(|f| f.request_id.clone()),
                    retry,
                };
                (Some(seen), error.message().to_string())
            }
        }
    }

    fn failed(
        kind: &'static str,
        status: Option<u16>,
        code: Option<&str>,
        retry: Retry,
    ) -> Option<Seen> {
        Some(Seen {
            kind,
            status,
            code: code.map(str::to_string),
            request_id: None,
            retry,
        })
    }

    #[test]
    fn responses_classified() {
        let page = br#"{"list":[]}"#;
        let echoed = format!(r#"{{"list":[{{"build_id":"{TOKEN}"}}]}}"#);
        let html = b"<html><h1>502 Bad Gateway</h1></html>";
        let throttled = br#"{"error_code":"APIG.0308","error_msg":"The throttling threshold has been reached"}"#;
        // name, response, outcome, a part of the message
        type Case<'a> = (&'a str, Response<'a>, Option<Seen>, &'a str);
        let cases: Vec<Case> = vec![
            (
                "200 page",
                Response {
                    status: 200,
                    body: page,
                    ..Response::default()
                },
                None,
                "",
            ),
            (
                "200 identity",
                Response {
                    status: 200,
                    content_encoding: Some("Identity"),
                    body: page,
                    ..Response::default()
                },
                None,
                "",
            ),
            (
                "200 gzip unasked",
                Response {
                    status: 200,
                    content_encoding: Some("gzip"),
                    body: page,
                    ..Response::default()
                },
                failed("response", None, None, Retry::Never),
                "Content-Encoding gzip",
            ),
            (
                "200 echoing the token",
                Response {
                    status: 200,
                    body: echoed.as_bytes(),
                    ..Response::default()
                },
                failed("response", None, None, Retry::Never),
                "echoed a credential",
            ),
            (
                "206",
                Response {
                    status: 206,
                    body: page,
                    ..Response::default()
                },
                failed("http", Some(206), None, Retry::Never),
                "only 200 carries",
            ),
            (
                "205",
                Response {
                    status: 205,
                    ..Response::default()
                },
                failed("http", Some(205), None, Retry::Never),
                "HTTP 205 is not a complete answer",
            ),
            (
                "204",
                Response {
                    status: 204,
                    ..Response::default()
                },
                failed("http", Some(204), None, Retry::Never),
                "only 200",
            ),
            (
                "401 error_code",
                Response {
                    status: 401,
                    body: br#"{"error_code":"APIGW.0301","error_msg":"bad token"}"#,
                    ..Response::default()
                },
                failed("auth", Some(401), Some("APIGW.0301"), Retry::Never),
                "bad token (the token was refused",
            ),
            (
                "403 errorCode",
                Response {
                    status: 403,
                    body: br#"{"errorCode":"SVCSTG.00100403","errorMsg":"no permission"}"#,
                    ..Response::default()
                },
                failed("auth", Some(403), Some("SVCSTG.00100403"), Retry::Never),
                "no permission (the credentials",
            ),
            (
                "404 code/message",
                Response {
                    status: 404,
                    body: br#"{"code":404,"message":"no job"}"#,
                    ..Response::default()
                },
                failed("http", Some(404), Some("404"), Retry::Never),
                "no job (not found",
            ),
            (
                "502 html",
                Response {
                    status: 502,
                    body: html,
                    ..Response::default()
                },
                failed("http", Some(502), None, Retry::After(None)),
                "the API failed, still after 3 retries",
            ),
            (
                "503 gzip body unread",
                Response {
                    status: 503,
                    content_encoding: Some("br"),
                    ..Response::default()
                },
                failed("http", Some(503), None, Retry::After(None)),
                "the API failed",
            ),
            (
                "429 Retry-After seconds",
                Response {
                    status: 429,
                    retry_after: Some("7"),
                    body: throttled,
                    ..Response::default()
                },
                failed(
                    "http",
                    Some(429),
                    Some("APIG.0308"),
                    Retry::Throttled(Some(Duration::from_secs(7))),
                ),
                "throttled by the API gateway",
            ),
            (
                "429 Retry-After date",
                Response {
                    status: 429,
                    retry_after: Some("Sat, 28 Nov 2026 12:00:30 GMT"),
                    ..Response::default()
                },
                failed(
                    "http",
                    Some(429),
                    None,
                    Retry::After(Some(Duration::from_secs(30))),
                ),
                "rate limited",
            ),
            (
                "503 Retry-After capped",
                Response {
                    status: 503,
                    retry_after: Some("3600"),
                    ..Response::default()
                },
                failed("http", Some(503), None, Retry::After(Some(RETRY_AFTER_MAX))),
                "the API failed",
            ),
            (
                "429 Retry-After unreadable",
                Response {
                    status: 429,
                    retry_after: Some("soon"),
                    ..Response::default()
                },
                failed("http", Some(429), None, Retry::After(None)),
                "rate limited",
            ),
            (
                "302 Location shown",
                Response {
                    status: 302,
                    location: Some("https://elsewhere.test/x"),
                    ..Response::default()
                },
                failed("http", Some(302), None, Retry::Never),
                "redirect to https://elsewhere.test/x",
            ),
            (
                "400 APIG.0308 throttled",
                Response {
                    status: 400,
                    body: throttled,
                    ..Response::default()
                },
                failed("http", Some(400), Some("APIG.0308"), Retry::Throttled(None)),
                "throttled by the API gateway, still after 3 retries",
            ),
            (
                "403 APIGW.0308 with Retry-After",
                Response {
                    status: 403,
                    retry_after: Some("5"),
                    body: br#"{"errorCode":"apigw.0308","errorMsg":"throttled"}"#,
                    ..Response::default()
                },
                failed(
                    "http",
                    Some(403),
                    Some("apigw.0308"),
                    Retry::Throttled(Some(Duration::from_secs(5))),
                ),
                "throttled (throttled by the API gateway",
            ),
            (
                "200 APIG.0308 body",
                Response {
                    status: 200,
                    body: throttled,
                    ..Response::default()
                },
                failed("http", Some(200), Some("APIG.0308"), Retry::Throttled(None)),
                "throttled by the API gateway",
            ),
            (
                "500 APIG.0309 is not throttling",
                Response {
                    status: 500,
                    body: br#"{"error_code":"APIG.0309","error_msg":"x"}"#,
                    ..Response::default()
                },
                failed("http", Some(500), Some("APIG.0309"), Retry::After(None)),
                "the API failed",
            ),
            (
                "418",
                Response {
                    status: 418,
                    ..Response::default()
                },
                failed("http", Some(418), None, Retry::Never),
                "unexpected HTTP status 418",
            ),
        ];
        for (name, response, outcome, needle) in cases {
            let (got, message) = seen(&response);
            assert_eq!(got, outcome, "{name}");
            assert!(
                message.contains(needle),
                "{name}: {message:?} lacks {needle:?}"
            );
        }
    }

    #[test]
    fn the_request_id_is_its_own_field_and_only_a_plain_token() {
        for (sent, kept) in [
            ("req-77", Some("req-77")),
            ("a b", None),
            ("::error::x", None),
            (TOKEN, None),
        ] {
            let response = Response {
                status: 500,
                request_id: Some(sent),
                ..Response::default()
            };
            let secrets = Secrets::new([TOKEN]);
            let error = classify(&response, &context(&secrets)).unwrap_err().error;
            let failure = error.http_failure().unwrap();
            assert_eq!(failure.request_id.as_deref(), kept, "{sent}");
            assert!(!failure.message.contains(sent), "{}", failure.message);
        }
    }

    #[test]
    fn error_text_echoing_a_credential_is_withheld_whole() {
        let long = format!("{}{TOKEN}", "x".repeat(490));
        let split =
            serde_json::json!({"error_code": &TOKEN[..9], "error_msg": &TOKEN[9..]}).to_string();
        let escaped = r#"{"error_code":"APIGW.0301","error_msg":"token tok-SECRET\u002d4f1d9a7c"}"#;
        let location = format!("https://elsewhere.test/?t={TOKEN}");
        let bodies = [
            serde_json::json!({"error_code": "APIGW.0301", "error_msg": long}).to_string(),
            split,
            escaped.to_string(),
            serde_json::json!({"error_code": TOKEN, "error_msg": "bad"}).to_string(),
            serde_json::json!({"error_msg": "bad", "detail": TOKEN}).to_string(),
        ];
        let mut responses: Vec<Response> = bodies
            .iter()
            .map(|b| Response {
                status: 401,
                body: b.as_bytes(),
                ..Response::default()
            })
            .collect();
        responses.push(Response {
            status: 302,
            location: Some(&location),
            ..Response::default()
        });
        for response in responses {
            let (_, message) = seen(&response);
            assert!(message.contains(WITHHELD), "{message}");
            for part in ["SECRET", "4f1d9a7c"] {
                assert!(!message.contains(part), "{message}");
            }
            let secrets = Secrets::new([TOKEN]);
            let error = classify(&response, &context(&secrets)).unwrap_err().error;
            assert!(!format!("{error}").contains("SECRET"), "{error}");
        }
    }

    #[test]
    fn server_text_is_one_line_without_control_characters_and_cut() {
        assert_eq!(
            one_line("a\n::add-mask::x\x1b[31m\0 b"),
            "a ::add-mask::x [31m b"
        );
        let cut = one_line(&"é".repeat(600));
        assert_eq!(cut.chars().count(), 500 + 3);
        assert!(cut.ends_with("..."));
    }

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        let now = humantime::parse_rfc3339("2026-11-28T12:00:00Z").unwrap();
        let cases = [
            ("1", Some(1)),
            (" 120 ", Some(120)),
            ("Sat, 28 Nov 2026 12:00:30 GMT", Some(30)),
            ("Sat, 28 Nov 2026 11:00:00 GMT", Some(0)),
            ("soon", None),
            ("-1", None),
        ];
        for (value, seconds) in cases {
            assert_eq!(
                parse_retry_after(value, now),
                seconds.map(Duration::from_secs),
                "{value}"
            );
        }
    }
}
