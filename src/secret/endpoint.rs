//! Where credentials may be sent: a URL parsed and checked once, so the client only ever
//! talks to a validated origin, and plain http:// only to loopback. Also the Huawei Cloud
//! rule for a service's endpoint in a region.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

/// A validated API base URL: http(s), a host, maybe a port and a path prefix; no query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub scheme: Scheme,
    /// As written in the URL: IPv6 addresses keep their brackets.
    pub host: String,
    pub port: Option<u16>,
    /// Without a trailing slash; empty for the root.
    pub base_path: String,
}

impl Endpoint {
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let (scheme, rest) = if let Some(rest) = strip_prefix_ignore_case(url, "https://") {
            (Scheme::Https, rest)
        } else if let Some(rest) = strip_prefix_ignore_case(url, "http://") {
            (Scheme::Http, rest)
        } else {
            return Err(format!("{url:?} is not an http:// or https:// URL"));
        };
        // Neither error repeats what may be a password or a token: user information is
        // not shown at all, and a query or fragment is cut off.
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        if rest[..authority_end].contains('@') {
            return Err(
                "the URL must not carry user information (user:password@); it is not \
                        shown here, as it may hold a password"
                    .to_string(),
            );
        }
        if let Some(cut) = rest.find(['?', '#']) {
            let shown = &url[..url.len() - rest.len() + cut];
            return Err(format!(
                "{shown:?} must not have a query or fragment (not shown here)"
            ));
        }
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let (host, port) = split_host_port(authority)
            .ok_or_else(|| format!("{url:?} has an invalid host or port"))?;
        if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("{url:?} has spaces in its path"));
        }
        Ok(Endpoint {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
            base_path: path.trim_end_matches('/').to_string(),
        })
    }

    fn default_port(&self) -> u16 {
        match self.scheme {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    /// The `Host` header: the host, with the port when it is not the scheme's default.
    pub fn host_header(&self) -> String {
        match self.port {
            Some(port) if port != self.default_port() => format!("{}:{port}", self.host),
            _ => self.host.clone(),
        }
    }

    /// `scheme://host[:port]`: the only origin credentials are sent to.
    pub fn origin(&self) -> String {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        format!("{scheme}://{}", self.host_header())
    }

    pub fn is_loopback(&self) -> bool {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        // Only names that cannot reach DNS: `*.localhost` would ask a resolver, which could
        // answer with any address and get the token in clear text.
        host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')?;
        let (host, rest) = authority.split_at(end + 1);
        host[1..end].parse::<std::net::Ipv6Addr>().ok()?;
        if !rest.is_empty() && !rest.starts_with(':') {
            return None; // `[::1]evil.com`: text after the address is not a port
        }
        (host, rest.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let valid_host = !host.is_empty()
        && (host.starts_with('[')
            || host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'));
    let port = match port {
        Some(port) => Some(port.parse::<u16>().ok().filter(|p| *p != 0)?),
        None => None,
    };
    valid_host.then_some((host, port))
}

/// An https URL, or plain http to a loopback host only: for `--endpoint`, the IAM
/// endpoint and GitHub's token URL alike.
pub fn parse_endpoint(s: &str) -> Result<Endpoint, String> {
    let endpoint = Endpoint::parse(s)?;
    if endpoint.scheme == Scheme::Http && !endpoint.is_loopback() {
        return Err(format!(
            "{s:?} uses plain http:// to a host that is not loopback; credentials would travel \
             unencrypted (use https://)"
        ));
    }
    Ok(endpoint)
}

/// Regions the official Huawei Cloud SDKs (go-v3, python-v3, java-v3, nodejs-v3, cpp-v3,
/// php-v3 region tables) address under `myhuaweicloud.eu`. `eu-west-0` (Paris) is not
/// one of them: it is on `myhuaweicloud.com`.
pub const EU_SITE_REGIONS: &[&str] = &["eu-west-101"];

/// `https://{service}.{region}.{domain}`: the European site's regions are served under
/// `myhuaweicloud.eu`, every other region under `myhuaweicloud.com`.
pub fn regional(service: &str, region: &str) -> Result<Endpoint, String> {
    let domain = match EU_SITE_REGIONS.contains(&region) {
        true => "myhuaweicloud.eu",
        false => "myhuaweicloud.com",
    };
    Endpoint::parse(&format!("https://{service}.{region}.{domain}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn european_site_regions_use_the_eu_domain() {
        let cases = [
            ("eu-west-101", "https://iam.eu-west-101.myhuaweicloud.eu"),
            ("eu-west-0", "https://iam.eu-west-0.myhuaweicloud.com"),
            ("cn-north-4", "https://iam.cn-north-4.myhuaweicloud.com"),
            (
                "ap-southeast-1",
                "https://iam.ap-southeast-1.myhuaweicloud.com",
            ),
            // near misses are not the EU site
            ("eu-west-1010", "https://iam.eu-west-1010.myhuaweicloud.com"),
        ];
        for (region, expected) in cases {
            assert_eq!(regional("iam", region).unwrap().origin(), expected);
        }
    }
}
