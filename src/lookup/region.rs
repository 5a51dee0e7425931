//! `--region` to endpoints. Huawei Cloud's European site serves its regions under
//! `myhuaweicloud.eu`; every other region is under `myhuaweicloud.com`.

/// Regions the official Huawei Cloud SDKs (go-v3, python-v3, java-v3, nodejs-v3, cpp-v3,
/// php-v3 region tables) address under `myhuaweicloud.eu`. `eu-west-0` (Paris) is not
/// one of them: it is on `myhuaweicloud.com`.
pub const EU_SITE_REGIONS: &[&str] = &["eu-west-101"];

/// The domain a region's endpoints live under.
pub fn domain(region: &str) -> &'static str {
    if EU_SITE_REGIONS.contains(&region) {
        "myhuaweicloud.eu"
    } else {
        "myhuaweicloud.com"
    }
}

/// `https://servicestage.{region}.{domain}`.
pub fn servicestage_endpoint(region: &str) -> String {
    format!("https://servicestage.{region}.{}", domain(region))
}

/// `https://iam.{region}.{domain}`, for password and OIDC logins.
pub fn iam_endpoint(region: &str) -> String {
    format!("https://iam.{region}.{}", domain(region))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn european_site_regions_use_the_eu_domain() {
        let cases = [
            (
                "eu-west-101",
                "https://servicestage.eu-west-101.myhuaweicloud.eu",
                "https://iam.eu-west-101.myhuaweicloud.eu",
            ),
            (
                "eu-west-0",
                "https://servicestage.eu-west-0.myhuaweicloud.com",
                "https://iam.eu-west-0.myhuaweicloud.com",
            ),
            (
                "cn-north-4",
                "https://servicestage.cn-north-4.myhuaweicloud.com",
                "https://iam.cn-north-4.myhuaweicloud.com",
            ),
            (
                "ap-southeast-1",
                "https://servicestage.ap-southeast-1.myhuaweicloud.com",
                "https://iam.ap-southeast-1.myhuaweicloud.com",
            ),
            // near misses are not the EU site
            (
                "eu-west-1010",
                "https://servicestage.eu-west-1010.myhuaweicloud.com",
                "https://iam.eu-west-1010.myhuaweicloud.com",
            ),
        ];
        for (region, servicestage, iam) in cases {
            assert_eq!(servicestage_endpoint(region), servicestage);
            assert_eq!(iam_endpoint(region), iam);
        }
    }
}
