//! Accuracy against high-precision references.
//!
//! `tests/data/normal_reference.txt` holds mpmath values at 50 digits, each stored as a
//! double-double `hi + lo`, made by `tests/data/make_reference.py` (see its docstring for the
//! provenance). Errors are measured against `hi + lo`, so below one unit in the last place.
//!
//! Stated tolerances (maximum relative error; ε = 2⁻⁵² ≈ 2.2e-16):
//!
//! | function | range | tolerance |
//! |---|---|---|
//! | `normal::cdf` | x in [−37.5, 8.3] | 1e-15 (measured 5.6e-16) |
//! | `normal::sf` | x in [−8.3, 37.5] | as `cdf` (it is `cdf(−x)`) |
//! | `normal::pdf` | x in [−37.5, 8.3] | 1e-15 (measured 3.4e-16) |
//! | `normal::quantile` | p in [1e-300, 1 − 2⁻⁵³] | 1e-15 (measured 5.4e-16) |
//! | `quadrature::gauss_legendre` | n ≤ 64 | nodes 1e-15 absolute (measured 9.9e-17), weights 2e-13 relative (measured 9.3e-14: the weight formula uses P_n' from the last Newton step) |

use finkit_numerics::{normal, quadrature};

const DATA: &str = include_str!("../data/normal_reference.txt");

struct Row {
    kind: &'static str,
    x: f64,
    hi: f64,
    lo: f64,
}

fn rows() -> Vec<Row> {
    let mut out = Vec::new();
    for line in DATA.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let kind = match f[0] {
            "cdf" => "cdf",
            "pdf" => "pdf",
            "quantile" => "quantile",
            _ => continue,
        };
        let num = |s: &str| s.parse::<f64>().unwrap();
        out.push(Row { kind, x: num(f[1]), hi: num(f[2]), lo: num(f[3]) });
    }
    out
}

/// Relative error of `got` against the double-double `hi + lo`.
fn rel(got: f64, hi: f64, lo: f64) -> f64 {
    if hi == 0.0 {
        return got.abs();
    }
    (((got - hi) - lo) / hi).abs()
}

fn max_error(kind: &str, f: impl Fn(f64) -> f64) -> (f64, f64, usize) {
    let mut worst = (0.0, f64::NAN, 0);
    for r in rows().iter().filter(|r| r.kind == kind) {
        let e = rel(f(r.x), r.hi, r.lo);
        assert!(e.is_finite(), "{kind}({}) = {}", r.x, f(r.x));
        worst.2 += 1;
        if e > worst.0 {
            worst = (e, r.x, worst.2);
        }
    }
    worst
}

#[test]
fn normal_cdf_against_mpmath() {
    let (e, at, n) = max_error("cdf", normal::cdf);
    println!("cdf: max relative error {e:.3e} at x = {at} over {n} points");
    assert!(n > 600);
    assert!(e < 1e-15, "{e} at {at}");
}

#[test]
fn normal_sf_against_mpmath() {
    // sf(−x) is exactly cdf(x); checked on the same references
    let (e, at, _) = max_error("cdf", |x| normal::sf(-x));
    println!("sf: max relative error {e:.3e} at x = {}", -at);
    assert!(e < 1e-15, "{e} at {at}");
}

#[test]
fn normal_pdf_against_mpmath() {
    let (e, at, n) = max_error("pdf", normal::pdf);
    println!("pdf: max relative error {e:.3e} at x = {at} over {n} points");
    assert!(e < 1e-15, "{e} at {at}");
}

#[test]
fn normal_quantile_against_mpmath() {
    let (e, at, n) = max_error("quantile", normal::quantile);
    println!("quantile: max relative error {e:.3e} at p = {at} over {n} points");
    assert!(n > 1000);
    assert!(e < 1e-15, "{e} at {at}");
}

#[test]
fn gauss_legendre_against_mpmath() {
    let mut rules: Vec<(usize, Vec<[f64; 4]>)> = Vec::new();
    for line in DATA.lines().filter(|l| l.starts_with("gl ")) {
        let f: Vec<f64> = line.split_whitespace().skip(1).map(|s| s.parse().unwrap()).collect();
        let n = f[0] as usize;
        if rules.last().is_none_or(|r| r.0 != n) {
            rules.push((n, Vec::new()));
        }
        rules.last_mut().unwrap().1.push([f[2], f[3], f[4], f[5]]);
    }
    assert!(rules.len() >= 5);
    let (mut en, mut ew) = (0.0_f64, 0.0_f64);
    for (n, want) in rules {
        let (x, w) = quadrature::gauss_legendre(n);
        assert_eq!(x.len(), want.len());
        for (i, r) in want.iter().enumerate() {
            en = en.max(((x[i] - r[0]) - r[1]).abs());
            ew = ew.max(rel(w[i], r[2], r[3]));
        }
    }
    println!(
        "gauss_legendre: max absolute node error {en:.3e}, max relative weight error {ew:.3e}"
    );
    assert!(en < 1e-15 && ew < 2e-13, "{en} {ew}");
}
