//! The region, and the endpoints it stands for. The URL rules themselves (https, plain
//! http to loopback only) are `secret::parse_endpoint`'s: they guard where credentials go.

/// `--region`'s rule, also for `HUAWEI_CLOUD_REGION`.
pub fn parse_region(s: &str) -> Result<String, String> {
    let valid = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    valid
        .then(|| s.to_string())
        .ok_or_else(|| format!("invalid region {s:?} (expected e.g. cn-north-4)"))
}
