//! What one HTTP response means: a pure function of its status, the headers the gate
//! reads and the body, so every case is a table test without a server.

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::secrets::Secrets;
use crate::error::{Error, HttpFailure};
use crate::json::{self, Fields, Named, Slot};
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

/// The error codes Huawei's API gateway throttles with, on whatever status, and CodeArts
/// Build's own "requests too frequent" (HTTP 400).
const THROTTLING_CODES: [&str; 3] = ["APIG.0308", "APIGW.0308", "CB.00060211"];

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
            permissions for the service (ServiceStage, or CodeArts Build with --backend codearts)"
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
    ] = fields.0.map(|slot| slot.get().and_then(|scalar| scalar.0));
    (
        code.or(code_camel).or(code_short),
        message.or(message_camel).or(message_short),
    )
}

/// The six spellings, in `SPELLINGS` order.
#[derive(Default)]
struct ErrorFields([Slot<Scalar>; 6]);

const SPELLINGS: [&str; 6] = [
    "error_code",
    "errorCode",
    "code",
    "error_msg",
    "errorMsg",
    "message",
];

impl<'de> Fields<'de> for ErrorFields {
    const WHAT: &'static str = "an error object";
    fn read<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        let Some(index) = SPELLINGS.iter().position(|k| *k == key) else {
            return Ok(false);
        };
        json::value(&mut self.0[index], map, key)?;
        Ok(true)
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
mod tests;
