//! A `--region` the official SDKs do not list for ServiceStage is still used (new regions
//! appear before the SDKs list them), with one line naming the closest listed region: a
//! warning before any request, and part of the error when that region's host does not
//! resolve.

use crate::cli::edit_distance;

/// The ServiceStage regions of the official Huawei Cloud SDKs (go-v3
/// `services/servicestage/v2/region`, the longest of their lists).
pub const SDK_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "cn-east-2",
    "cn-east-3",
    "cn-north-1",
    "cn-north-4",
    "cn-south-1",
    "cn-southwest-2",
    "la-north-2",
    "la-south-2",
    "ru-moscow-1",
    "sa-brazil-1",
    "tr-west-1",
];

/// `None` for a region in `listed`; else the line naming the listed region closest to it
/// (the first of equally close ones). `origin` is the flag or variable it came from.
pub fn region_hint(origin: &str, region: &str, listed: &[&str]) -> Option<String> {
    if listed.contains(&region) {
        return None;
    }
    let closest = listed.iter().min_by_key(|l| edit_distance(region, l))?;
    Some(format!(
        "{origin}: {region} is not a ServiceStage region the official SDKs list; did you mean \
         {closest}?"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unlisted_region_names_the_closest_listed_one() {
        let listed = ["cn-north-1", "cn-north-4", "ap-southeast-1", "af-south-1"];
        let cases = [
            ("cn-north-4", None),
            ("cn-nrth-4", Some("cn-north-4")),
            ("cn-north-9", Some("cn-north-1")),
            ("ap-southeast-7", Some("ap-southeast-1")),
            ("af-south-2", Some("af-south-1")),
            ("mars-1", Some("cn-north-1")),
        ];
        for (region, closest) in cases {
            let expected = closest.map(|c| {
                format!(
                    "--region: {region} is not a ServiceStage region the official SDKs list; \
                     did you mean {c}?"
                )
            });
            assert_eq!(
                region_hint("--region", region, &listed),
                expected,
                "{region}"
            );
        }
        assert_eq!(region_hint("--region", "x", &[]), None, "nothing to name");
    }

    #[test]
    fn the_sdk_list_is_sorted_and_holds_the_common_regions() {
        assert!(SDK_REGIONS.is_sorted());
        for region in ["cn-north-4", "ap-southeast-1", "af-south-1"] {
            assert_eq!(region_hint("--region", region, SDK_REGIONS), None);
        }
    }
}
