//! Shared helpers and tolerances of the integration tests.
#![allow(dead_code, reason = "each test binary uses a different subset")]

/// Pricing against `ifrs9_pricing_examples.json`: the issue asks for 1e-9 on the spreads.
pub(crate) const PRICING_ABS_TOL: f64 = 1e-9;
/// IRB K against the same file (a closed form: relative round-off only).
pub(crate) const K_REL_TOL: f64 = 1e-10;

pub(crate) mod build;
pub(crate) mod scorecard;
pub(crate) mod synthetic;
