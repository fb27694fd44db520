//! Properties of the market-risk measures: ES ≥ VaR, VaR monotone in the level, a seeded
//! Monte Carlo VaR reproducible (and independent of the thread count).

use finkit_risk::market::{
    EsEstimator, GarchCoefficients, GarchParams, Innovation, QuantileRule, SdConvention, VarMethod,
    VarParams, min_historical_sample,
};
use finkit_risk::{ExpectedShortfall, RiskMeasure, ValueAtRisk};
use ndarray::Array1;
use proptest::prelude::*;

fn sample() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-0.2f64..0.2, 2..400)
}

fn methods() -> Vec<VarMethod> {
    let mut m = vec![];
    for rule in [QuantileRule::LowerOrderStatistic, QuantileRule::Linear] {
        for es in [EsEstimator::AcerbiTasche, EsEstimator::MeanBeyondVar] {
            m.push(VarMethod::Historical { rule, es });
        }
    }
    for sd in [SdConvention::Sample, SdConvention::Population] {
        m.push(VarMethod::Normal { sd });
        m.push(VarMethod::StudentT { dof: 5.0, sd });
    }
    m
}

/// Whether a historical method must refuse this sample (and check that it does, typed).
fn too_small(m: &VarMethod, n: usize, level: f64) -> bool {
    if matches!(m, VarMethod::Historical { .. }) && n < min_historical_sample(level) {
        let r = Array1::from(vec![0.01; n]);
        let err = VarParams::new(level, *m).unwrap().estimate(&r).unwrap_err();
        assert!(
            matches!(err, finkit_risk::RiskError::TooFewObservations { got, .. } if got == n),
            "{err}"
        );
        return true;
    }
    false
}

/// Round-off slack for comparisons of quantities that may be equal in exact arithmetic.
fn slack(x: f64) -> f64 {
    1e-12 * x.abs().max(1e-12)
}

proptest! {
    #[test]
    fn es_is_at_least_var(x in sample(), level in 0.5f64..0.999) {
        let r = Array1::from(x);
        for m in methods() {
            if too_small(&m, r.len(), level) {
                continue;
            }
            let est = VarParams::new(level, m).unwrap().estimate(&r).unwrap();
            let es = est.es.unwrap();
            prop_assert!(es >= est.var - slack(est.var), "{m:?}: es {es} < var {}", est.var);
        }
        let losses = r.mapv(|v| -v);
        let v = ValueAtRisk::new(level).unwrap().evaluate(&losses).unwrap();
        let e = ExpectedShortfall::new(level).unwrap().evaluate(&losses).unwrap();
        prop_assert!(e >= v - slack(v));
    }

    #[test]
    fn var_is_monotone_in_level(x in sample(), a in 0.5f64..0.999, b in 0.5f64..0.999) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let r = Array1::from(x);
        for m in methods() {
            if too_small(&m, r.len(), hi) {
                continue;
            }
            let vlo = VarParams::new(lo, m).unwrap().estimate(&r).unwrap().var;
            let vhi = VarParams::new(hi, m).unwrap().estimate(&r).unwrap().var;
            prop_assert!(vhi >= vlo - slack(vlo), "{m:?}: var({hi}) = {vhi} < var({lo}) = {vlo}");
        }
        let cf_lo = VarParams::new(lo, VarMethod::CornishFisher { sd: SdConvention::Sample });
        prop_assert!(cf_lo.is_ok());
    }
}

fn fitted() -> finkit_risk::market::GarchFit {
    let r: Array1<f64> = (0..300).map(|i| ((f64::from(i) * 0.731).sin()) * 0.012).collect();
    GarchParams::new()
        .innovation(Innovation::StudentT)
        .at_coefficients(
            &r,
            &GarchCoefficients { mu: 0.05, omega: 0.02, alpha: 0.1, beta: 0.88, nu: Some(6.0) },
        )
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn monte_carlo_var_is_reproducible(seed in any::<u64>(), horizon in 1usize..5) {
        let fit = fitted();
        let a = fit.monte_carlo_var(0.99, horizon, 5000, seed).unwrap();
        let b = fit.monte_carlo_var(0.99, horizon, 5000, seed).unwrap();
        prop_assert_eq!(a, b);
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let c = one.install(|| fit.monte_carlo_var(0.99, horizon, 5000, seed).unwrap());
        prop_assert_eq!(a, c);
        prop_assert!(a.es.unwrap() >= a.var);
    }
}

#[test]
fn monte_carlo_converges_to_the_closed_form() {
    let fit = fitted();
    let mc = fit.monte_carlo_var(0.99, 1, 400_000, 7).unwrap();
    let exact = fit.var_forecast(0.99).unwrap();
    assert!((mc.var / exact.var - 1.0).abs() < 0.02, "{mc:?} vs {exact:?}");
    assert!((mc.es.unwrap() / exact.es.unwrap() - 1.0).abs() < 0.03);
}
