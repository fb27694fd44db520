//! The facade forwards every feature of every part, so `finkit` alone is enough.
//!
//! Reads the manifests of this repository's crates (the workspace's own files).

use std::collections::BTreeMap;
use std::path::Path;

fn features(crate_dir: &str) -> BTreeMap<String, Vec<String>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(crate_dir).join("Cargo.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let manifest: toml::Table = toml::from_str(&text).unwrap();
    let Some(table) = manifest.get("features").and_then(|f| f.as_table()) else {
        return BTreeMap::new();
    };
    table
        .iter()
        .map(|(k, v)| {
            let list = v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned());
            (k.clone(), list.collect())
        })
        .collect()
}

#[test]
fn every_feature_of_every_part_is_forwarded() {
    let facade = features("finkit");
    let parts = [
        ("finkit-schema", None),
        ("finkit-numerics", None),
        ("finkit-pool", Some("pool")),
        ("finkit-credit", Some("credit")),
        ("finkit-risk", Some("risk")),
        ("finkit-lending", Some("lending")),
    ];
    let mut missing = Vec::new();
    for (part, facade_feature) in parts {
        for feature in features(part).keys().filter(|f| *f != "default") {
            let forwarded = facade.values().flatten().any(|entry| {
                entry == &format!("{part}/{feature}") || entry == &format!("{part}?/{feature}")
            });
            if !forwarded {
                missing.push(format!("{part}/{feature}"));
            }
        }
        if let Some(f) = facade_feature {
            assert!(facade.contains_key(f), "the facade has no `{f}` feature for {part}");
        }
    }
    assert!(missing.is_empty(), "features not forwarded by the facade: {missing:?}");
}
