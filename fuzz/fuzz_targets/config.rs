//! Arbitrary argv and environment through parsing and resolution: never a panic, and a
//! resolved config always holds the invariants the rules rely on.
#![no_main]

use libfuzzer_sys::fuzz_target;
use servicestage_gate::config::{self, Source};
use servicestage_gate::{cli, config::Scheme};
use std::collections::HashMap;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // argv words, then NAME=value environment lines, split at a lone "\u{0}\u{0}"
    let (argv, env) = text.split_once("\0\0").unwrap_or((text, ""));
    let args: Vec<&str> = argv.split('\0').filter(|a| !a.is_empty()).collect();
    let vars: HashMap<String, String> = env
        .split('\0')
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let lookup = |name: &str| vars.get(name).map(std::ffi::OsString::from);
    let _ = config::requested_format(&args, &lookup);
    let Ok(parsed) = cli::parse("servicestage-gate", &args) else { return };
    let Ok(resolved) = config::resolve(&parsed, &lookup) else { return };
    assert!(resolved.rules.window >= 1);
    assert!(resolved.rules.min_builds <= resolved.rules.window);
    assert!(!resolved.poll_interval.is_zero());
    if let Source::Api { api, .. } = &resolved.source {
        assert!(!api.timeout.is_zero());
        assert!(api.retries <= 10);
        assert!(api.endpoint.scheme == Scheme::Https || api.endpoint.is_loopback());
    }
});
