//! Shared tolerances and loaders of the credit-portfolio tests (one place for every tolerance).
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

use finkit_risk::schema::Portfolio;

/// Closed forms (IRB, Vasicek, EL, ASRF, per-obligor IRB): relative.
pub const CLOSED_FORM_REL: f64 = 1e-10;
/// Published BCBS risk weights: absolute, in percentage points.
pub const BCBS_PP: f64 = 0.01;
/// Exact one-factor ES: relative (VaR must sit on the same lattice point).
pub const EXACT_ES_REL: f64 = 1e-8;
/// CreditRisk+ mean and std: relative.
pub const CREDITRISKPLUS_REL: f64 = 1e-9;
/// Monte Carlo vs exact: |MC − exact| ≤ MC_SIGMAS · SE₁₀₆ · √(10⁶ / n).
pub const MC_SIGMAS: f64 = 4.0;
/// Sector / t copula vs the Python run: |MC − ref| ≤ 4·√2·SE_sectioned,₁₀₆ · √(10⁶ / n).
pub const MC_VARIANT_SIGMAS: f64 = 4.0 * std::f64::consts::SQRT_2;

pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

pub fn portfolio() -> Portfolio {
    finkit_risk::read_portfolio_csv(data("credit_portfolio.csv")).expect("reference portfolio")
}

pub fn results() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(data("credit_portfolio_results.json")).unwrap())
        .unwrap()
}

pub fn rel(a: f64, b: f64) -> f64 {
    if b == 0.0 { a.abs() } else { ((a - b) / b).abs() }
}

/// Rows of a CSV file as (header, records).
pub fn csv_rows(name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(data(name)).unwrap();
    let h = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r.records().map(|x| x.unwrap().iter().map(str::to_string).collect()).collect();
    (h, rows)
}

pub fn col(h: &[String], name: &str) -> usize {
    h.iter().position(|x| x == name).unwrap_or_else(|| panic!("no column {name}"))
}
pub mod synthetic;
