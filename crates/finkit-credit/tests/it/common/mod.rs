//! Shared helpers of the integration tests. Each test binary uses a subset.
#![allow(dead_code, unreachable_pub)]

pub mod tolerance;

use std::path::PathBuf;

/// Path of a file in `tests/data/` (copies of the shared reference files, see PROVENANCE.md).
pub fn data_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join("data").join(name)
}

/// Reads a JSON reference file.
pub fn read_json(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(data_path(name)).expect("reference file");
    serde_json::from_str(&text).expect("valid json")
}

/// |a − b| ≤ tol, with a message.
pub fn assert_abs(what: &str, got: f64, want: f64, tol: f64) {
    let d = (got - want).abs();
    assert!(d <= tol, "{what}: got {got}, reference {want}, |diff| {d:e} > {tol:e}");
}

/// |a − b| ≤ tol·|b|, with a message.
pub fn assert_rel(what: &str, got: f64, want: f64, tol: f64) {
    let d = (got - want).abs() / want.abs();
    assert!(d <= tol, "{what}: got {got}, reference {want}, relative diff {d:e} > {tol:e}");
}
