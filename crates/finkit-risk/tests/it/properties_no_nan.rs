//! "No NaN leaves a public function" on the closed-form credit formulas: for any `f64` input
//! (NaN, infinities and out-of-range values included) the result is a finite, in-range number
//! or a typed error.

use finkit_risk::RiskError;
use finkit_risk::market::GarchParams;
use finkit_risk::portfolio::{
    IrbOptions, PdFloor, VasicekDistribution, asset_correlation, conditional_pd, irb_corporate,
};
use finkit_risk::schema::{Lgd, Maturity, Probability};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// Any `f64`, with the special values drawn often.
fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(0.0),
        Just(1.0),
        -2.0..3.0,
        any::<f64>(),
    ]
}

fn check_finite_or_error(r: Result<f64, RiskError>, what: &str) -> Result<(), TestCaseError> {
    if let Ok(v) = r {
        prop_assert!(v.is_finite(), "{what} returned {v}");
    }
    Ok(())
}

proptest! {
    #[test]
    fn asset_correlation_is_in_range_or_an_error(pd in 0.0..=1.0f64, sales in any_f64()) {
        let pd = Probability::new(pd).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for s in [None, Some(sales)] {
            match asset_correlation(pd, s) {
                // 0.12·e + 0.24·(1 − e) − 0.04 can round just below 0.08.
                Ok(r) => prop_assert!((0.08 - 1e-12..=0.24 + 1e-12).contains(&r), "R = {r}"),
                Err(e) => prop_assert!(matches!(e, RiskError::InvalidParameter { .. }), "{e}"),
            }
        }
    }

    #[test]
    fn conditional_pd_is_a_probability_or_an_error(
        pd in 0.0..=1.0f64, rho in any_f64(), g in any_f64()
    ) {
        let pd = Probability::new(pd).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let ok = rho.is_finite() && (0.0..1.0).contains(&rho) && g.is_finite();
        match conditional_pd(pd, rho, g) {
            Ok(p) => {
                prop_assert!(ok, "accepted rho {rho}, g {g}");
                prop_assert!((0.0..=1.0).contains(&p.get()));
            }
            Err(_) => prop_assert!(!ok, "rejected rho {rho}, g {g}"),
        }
    }

    #[test]
    fn irb_corporate_is_finite_or_an_error(
        pd in any_f64(), lgd in any_f64(), m in any_f64(), sales in any_f64(), floor in any_f64()
    ) {
        let options = IrbOptions::params().pd_floor(PdFloor::Custom(floor)).build();
        let options = match options {
            Ok(o) => o,
            Err(e) => {
                prop_assert!(!(0.0..=1.0).contains(&floor), "{e}");
                IrbOptions::default()
            }
        };
        let typed = (Probability::new(pd), Lgd::new(lgd), Maturity::new(m));
        let (Ok(pd), Ok(lgd), Ok(m)) = typed else { return Ok(()) };
        match irb_corporate(pd, lgd, m, Some(sales), &options) {
            Ok(x) => {
                for v in [x.pd, x.correlation, x.b, x.maturity_adjustment, x.conditional_pd, x.k,
                          x.risk_weight] {
                    prop_assert!(v.is_finite(), "{x:?}");
                }
            }
            Err(e) => prop_assert!(matches!(e, RiskError::InvalidParameter { .. }), "{e}"),
        }
    }

    #[test]
    fn vasicek_is_finite_or_an_error(pd in any_f64(), rho in any_f64(), q in any_f64(), x in any_f64()) {
        if let Ok(v) = VasicekDistribution::new(pd, rho) {
            check_finite_or_error(v.quantile(q), "quantile")?;
            match (v.cdf(x), v.pdf(x)) {
                (Ok(c), Ok(d)) => {
                    prop_assert!(!x.is_nan());
                    prop_assert!((0.0..=1.0).contains(&c), "cdf({x}) = {c}");
                    prop_assert!(d.is_finite() && d >= 0.0, "pdf({x}) = {d}");
                }
                (Err(e), Err(_)) => {
                    prop_assert!(x.is_nan(), "cdf({x}): {e}");
                    prop_assert!(matches!(e, RiskError::NonFinite { .. }), "{e}");
                }
                (c, d) => prop_assert!(false, "cdf and pdf disagree at {x}: {c:?} {d:?}"),
            }
        }
    }
}

#[test]
fn garch_iteration_cap_is_checked_not_clamped() {
    // The cap used to be clamped silently to 1; now 0 and an absurd cap are typed errors.
    for n in [0, usize::MAX] {
        let err = GarchParams::new().max_iterations(n).check().unwrap_err();
        assert!(matches!(err, RiskError::InvalidParameter { name: "max_iterations", .. }), "{err}");
    }
    let returns = finkit_risk::schema::ndarray::Array1::from_iter(
        (0..100).map(|i| 0.01 * ((f64::from(i) * 0.7).sin())),
    );
    let err = GarchParams::new().max_iterations(0).fit(&returns).unwrap_err();
    assert!(matches!(err, RiskError::InvalidParameter { name: "max_iterations", .. }), "{err}");
    let err = GarchParams::new().tolerance(-1.0).fit(&returns).unwrap_err();
    assert!(matches!(err, RiskError::InvalidParameter { name: "tolerance", .. }), "{err}");
}
