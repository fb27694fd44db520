//! Shared fixtures for the criterion benches in `benches/benches/`.
//!
//! Benches are timings for humans; speed targets and the measured ratios live in
//! `docs/PERFORMANCE.md`.

use std::path::PathBuf;

/// The repository's `data/` directory (bench inputs are files the repository ships).
#[must_use]
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("data")
}
