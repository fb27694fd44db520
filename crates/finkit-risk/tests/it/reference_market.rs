//! Market risk against the shared reference (numpy/scipy/arch/QuantLib): full-sample VaR/ES,
//! every row of the 4780 rolling forecasts, backtests and GARCH(1,1) fits on the S&P 500.

#[path = "common/tolerance_market.rs"]
mod tolerance;

use std::collections::HashMap;
use std::path::PathBuf;

use finkit_risk::market::{
    EsEstimator, Ewma, GarchCoefficients, GarchParams, GarchUnits, Innovation, QuantileRule,
    RollingForecast, RollingMethod, RollingParams, SdConvention, TrafficLightZone, VarMethod,
    VarParams, backtest, log_returns,
};
use finkit_risk::{RiskError, VolatilityModel};
use ndarray::Array1;
use serde_json::Value;
use tolerance::*;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn prices() -> Array1<f64> {
    let mut rd = csv::Reader::from_path(data("sp500.csv")).unwrap();
    rd.records().map(|r| r.unwrap()[1].parse::<f64>().unwrap()).collect()
}

fn returns() -> Array1<f64> {
    log_returns(&prices()).unwrap()
}

/// `a[from..to]` as an owned array (the `s!` macro is not usable under `forbid(unsafe_code)`).
fn part(a: &Array1<f64>, from: usize, to: usize) -> Array1<f64> {
    a.iter().skip(from).take(to - from).copied().collect()
}

fn json() -> Value {
    serde_json::from_str(&std::fs::read_to_string(data("market_risk.json")).unwrap()).unwrap()
}

fn num(v: &Value, path: &[&str]) -> f64 {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    cur.as_f64().unwrap_or_else(|| panic!("{path:?} is not a number"))
}

/// The rolling reference as columns by name.
fn rolling_reference() -> HashMap<String, Vec<f64>> {
    let mut rd = csv::Reader::from_path(data("sp500_rolling_risk.csv")).unwrap();
    let headers: Vec<String> = rd.headers().unwrap().iter().map(str::to_owned).collect();
    let mut cols: HashMap<String, Vec<f64>> = headers.iter().map(|h| (h.clone(), vec![])).collect();
    for rec in rd.records() {
        let rec = rec.unwrap();
        for (h, v) in headers.iter().zip(rec.iter()) {
            if h != "date" {
                cols.get_mut(h).unwrap().push(v.parse().unwrap());
            }
        }
    }
    cols
}

fn assert_rel(what: &str, got: f64, want: f64, tol: f64) {
    let e = rel_err(got, want);
    if !what.contains(" row ") {
        eprintln!("{what}: rel err {e:e}");
    }
    assert!(e <= tol, "{what}: got {got:e}, want {want:e}, rel err {e:e} > {tol:e}");
}

fn assert_abs(what: &str, got: f64, want: f64, tol: f64) {
    let e = (got - want).abs();
    assert!(e <= tol, "{what}: got {got:e}, want {want:e}, abs err {e:e} > {tol:e}");
}

fn hist(rule: QuantileRule) -> VarMethod {
    VarMethod::Historical { rule, es: EsEstimator::AcerbiTasche }
}

#[test]
fn full_sample_var_and_es() {
    let r = returns();
    let j = json();
    let fs = &j["full_sample"];
    assert_eq!(r.len(), 5030);
    assert_rel("sum of log returns", r.sum(), num(fs, &["sum_log_returns"]), SUMS_REL);
    for (lvl, key) in [(0.99, "99"), (0.975, "97.5")] {
        let t1 = VarParams::new(lvl, hist(QuantileRule::LowerOrderStatistic))
            .unwrap()
            .estimate(&r)
            .unwrap();
        assert_abs(
            &format!("hs var {key} type 1"),
            t1.var,
            num(fs, &[&format!("hs_var{key}_type1")]),
            ORDER_STATISTIC_ABS,
        );
        assert_rel(
            &format!("hs es {key} acerbi"),
            t1.es.unwrap(),
            num(fs, &[&format!("hs_es{key}_acerbi")]),
            SUMS_REL,
        );
        let lin = VarParams::new(lvl, hist(QuantileRule::Linear)).unwrap().estimate(&r).unwrap();
        assert_rel(
            &format!("hs var {key} linear"),
            lin.var,
            num(fs, &[&format!("hs_var{key}_numpy_linear")]),
            SUMS_REL,
        );
        for (sd, suffix) in [(SdConvention::Sample, ""), (SdConvention::Population, "_pop_sd")] {
            let n = VarParams::new(lvl, VarMethod::Normal { sd }).unwrap().estimate(&r).unwrap();
            assert_rel(
                &format!("normal var {key}{suffix}"),
                n.var,
                num(fs, &[&format!("normal_var{key}{suffix}")]),
                SUMS_REL,
            );
            if sd == SdConvention::Sample {
                assert_rel(
                    &format!("normal es {key}"),
                    n.es.unwrap(),
                    num(fs, &[&format!("normal_es{key}")]),
                    SUMS_REL,
                );
            }
            let cf =
                VarParams::new(lvl, VarMethod::CornishFisher { sd }).unwrap().estimate(&r).unwrap();
            assert_rel(
                &format!("cornish-fisher var {key}{suffix}"),
                cf.var,
                num(fs, &[&format!("cornish_fisher_var{key}{suffix}")]),
                SUMS_REL,
            );
            assert!(cf.es.is_none());
        }
    }
    // QuantLib's RiskStatistics: the same type-1 VaR, ES = mean strictly beyond it
    let ql = VarParams::new(
        0.99,
        VarMethod::Historical {
            rule: QuantileRule::LowerOrderStatistic,
            es: EsEstimator::MeanBeyondVar,
        },
    )
    .unwrap()
    .estimate(&r)
    .unwrap();
    let q = &fs["quantlib_RiskStatistics"];
    assert_abs("quantlib var", ql.var, num(q, &["valueAtRisk99"]), ORDER_STATISTIC_ABS);
    assert_rel("quantlib es", ql.es.unwrap(), num(q, &["expectedShortfall99"]), SUMS_REL);
}

fn rolling(level: f64, method: RollingMethod, r: &Array1<f64>) -> RollingForecast {
    RollingParams::new(level, method).unwrap().forecast(r).unwrap()
}

#[test]
fn every_rolling_row() {
    let r = returns();
    let refc = rolling_reference();
    let n = refc["logret"].len();
    assert_eq!(n, 4780);
    let realised = part(&r, 250, r.len());
    for (i, (&got, &want)) in realised.iter().zip(&refc["logret"]).enumerate() {
        assert_abs(&format!("logret row {i}"), got, want, ORDER_STATISTIC_ABS);
    }
    let check_rel = |name: &str, got: &Array1<f64>, tol: f64| {
        let want = &refc[name];
        assert_eq!(got.len(), want.len(), "{name}");
        let mut worst = 0.0_f64;
        for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
            assert_rel(&format!("{name} row {i}"), g, w, tol);
            worst = worst.max(rel_err(g, w));
        }
        eprintln!("{name}: max rel err {worst:e}");
    };
    let check_abs = |name: &str, got: &Array1<f64>, tol: f64| {
        let want = &refc[name];
        assert_eq!(got.len(), want.len(), "{name}");
        let mut worst = 0.0_f64;
        for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
            assert_abs(&format!("{name} row {i}"), g, w, tol);
            worst = worst.max((g - w).abs());
        }
        eprintln!("{name}: max abs err {worst:e}");
    };
    let r = returns();
    for (lvl, key) in [(0.99, "99"), (0.975, "975")] {
        let t1 = rolling(lvl, hist(QuantileRule::LowerOrderStatistic).into(), &r);
        assert_eq!(t1.first_index, 250);
        check_abs(&format!("hs_var{key}"), &t1.var, ORDER_STATISTIC_ABS);
        check_rel(&format!("hs_es{key}"), t1.es.as_ref().unwrap(), SUMS_REL);
        let lin = rolling(lvl, hist(QuantileRule::Linear).into(), &r);
        check_rel(&format!("hs_var{key}_linear"), &lin.var, SUMS_REL);
        let nm = rolling(lvl, RollingMethod::Normal { sd: SdConvention::Sample }, &r);
        check_rel(&format!("norm_var{key}"), &nm.var, SUMS_REL);
        check_rel(&format!("norm_es{key}"), nm.es.as_ref().unwrap(), SUMS_REL);
    }
    let cf = rolling(0.99, RollingMethod::CornishFisher { sd: SdConvention::Sample }, &r);
    check_rel("cf_var99", &cf.var, SUMS_REL);
    let ew = rolling(0.99, RollingMethod::Ewma(Ewma::default()), &r);
    check_rel("ewma_vol", ew.volatility.as_ref().unwrap(), SUMS_REL);
    check_rel("ewma_var99", &ew.var, SUMS_REL);
}

#[test]
fn backtests_match_exactly() {
    let r = returns();
    let j = json();
    let refc = rolling_reference();
    let realised = part(&r, 250, r.len());
    let models = [
        ("hit_hs99", rolling(0.99, RollingMethod::default(), &r)),
        ("hit_norm99", rolling(0.99, RollingMethod::Normal { sd: SdConvention::Sample }, &r)),
        ("hit_ewma99", rolling(0.99, RollingMethod::Ewma(Ewma::default()), &r)),
    ];
    for (name, fc) in models {
        let bt = backtest(&realised, &fc.var, 0.99).unwrap();
        let flags: Vec<bool> = refc[name].iter().map(|&h| h == 1.0).collect();
        assert_eq!(bt.hits, flags, "{name} hit flags");
        let b = &j["backtests"][name];
        let k = bt.kupiec;
        assert_eq!(k.observations as f64, num(b, &["T"]));
        assert_eq!(k.exceptions as f64, num(b, &["exceptions"]), "{name} exceptions");
        assert_rel(&format!("{name} rate"), k.rate, num(b, &["rate"]), LR_REL);
        assert_rel(&format!("{name} LR_pof"), k.lr, num(b, &["LR_pof"]), LR_REL);
        assert_rel(&format!("{name} p_pof"), k.p_value, num(b, &["p_value_pof"]), LR_REL);
        let c = bt.christoffersen;
        for (got, key) in [(c.n00, "n00"), (c.n01, "n01"), (c.n10, "n10"), (c.n11, "n11")] {
            assert_eq!(got as f64, num(b, &[key]), "{name} {key}");
        }
        for (got, key) in [
            (c.pi0, "pi0"),
            (c.pi1, "pi1"),
            (c.pi, "pi"),
            (c.lr_ind, "LR_ind"),
            (c.p_value_ind, "p_value_ind"),
            (c.lr_cc, "LR_cc"),
            (c.p_value_cc, "p_value_cc"),
        ] {
            assert_rel(&format!("{name} {key}"), got, num(b, &[key]), LR_REL);
        }
        let tl = bt.traffic_light.unwrap();
        assert_eq!(tl.exceptions as f64, num(b, &["last250_exceptions"]), "{name} last 250");
        let zone = match tl.zone {
            TrafficLightZone::Green => "green",
            TrafficLightZone::Yellow => "yellow",
            TrafficLightZone::Red => "red",
        };
        assert_eq!(zone, b["traffic_light_zone"].as_str().unwrap(), "{name} zone");
        assert_eq!(tl.plus_factor, num(b, &["plus_factor"]), "{name} plus factor");
        assert_eq!(tl.multiplier, num(b, &["multiplier"]), "{name} multiplier");
    }
    // the headline numbers of the issue
    let hs = backtest(&realised, &rolling(0.99, RollingMethod::default(), &r).var, 0.99).unwrap();
    assert_eq!(hs.kupiec.exceptions, 67);
    let tl = hs.traffic_light.unwrap();
    assert_eq!((tl.exceptions, tl.zone, tl.plus_factor), (5, TrafficLightZone::Yellow, 0.40));
}

#[test]
fn ewma_next_day_volatility() {
    let r = returns();
    let e = &json()["ewma"];
    let path = Ewma::default().filter(&r).unwrap();
    assert_rel(
        "ewma vol for last date",
        path.variances[path.variances.len() - 1].sqrt(),
        num(e, &["vol_for_last_date"]),
        SUMS_REL,
    );
    assert_rel(
        "ewma next-day vol",
        path.next.sqrt(),
        num(e, &["vol_next_day_after_last"]),
        SUMS_REL,
    );
}

fn reference_coefficients(g: &Value, t: bool) -> GarchCoefficients {
    let p = &g["params_percent_units"];
    GarchCoefficients {
        mu: num(p, &["mu"]),
        omega: num(p, &["omega"]),
        alpha: num(p, &["alpha[1]"]),
        beta: num(p, &["beta[1]"]),
        nu: t.then(|| num(p, &["nu"])),
    }
}

#[test]
fn garch_loglikelihood_at_reference_parameters() {
    let r = returns();
    let j = json();
    for (key, innov) in [("normal", Innovation::Normal), ("t", Innovation::StudentT)] {
        let g = &j["garch11"][key];
        let k = reference_coefficients(g, innov == Innovation::StudentT);
        let spec = GarchParams::new().innovation(innov);
        let at = spec.at_coefficients(&r, &k).unwrap();
        assert_rel(&format!("{key} backcast"), at.backcast, num(g, &["backcast_sigma2"]), SUMS_REL);
        assert_rel(
            &format!("{key} ll"),
            at.loglik,
            num(g, &["loglik_percent_units"]),
            GARCH_LL_REL,
        );
        assert_rel(
            &format!("{key} ll decimal"),
            at.loglik_decimal,
            num(g, &["loglik_decimal_units"]),
            GARCH_LL_REL,
        );
        let ll = spec.loglikelihood(&r, &k).unwrap();
        assert_eq!(ll, at.loglik);
        let last = at.conditional_variance[at.conditional_variance.len() - 1].sqrt();
        assert_rel(
            &format!("{key} last vol"),
            last,
            num(g, &["cond_vol_last_percent"]),
            GARCH_LL_REL,
        );
        assert_rel(
            &format!("{key} next-day variance"),
            at.next_variance,
            num(g, &["forecast_var_next_day_percent2"]),
            GARCH_LL_REL,
        );
        // the same coefficients in decimal units give the decimal log-likelihood directly
        let kd = GarchCoefficients { mu: k.mu / 100.0, omega: k.omega / 1e4, ..k };
        let dec = GarchParams::new().innovation(innov).units(GarchUnits::Decimal);
        assert_rel(
            &format!("{key} ll decimal units"),
            dec.loglikelihood(&r, &kd).unwrap(),
            num(g, &["loglik_decimal_units"]),
            GARCH_LL_REL,
        );
    }
}

#[test]
fn garch_fit_matches_arch() {
    let r = returns();
    let j = json();
    for (key, innov) in [("normal", Innovation::Normal), ("t", Innovation::StudentT)] {
        let g = &j["garch11"][key];
        let want = reference_coefficients(g, innov == Innovation::StudentT);
        let fit = GarchParams::new().innovation(innov).fit(&r).unwrap();
        let k = fit.coefficients;
        eprintln!(
            "{key}: fit {k:?} ll {} (arch {}) iterations {} converged {}",
            fit.loglik,
            num(g, &["loglik_percent_units"]),
            fit.iterations,
            fit.converged
        );
        assert!(fit.converged, "{key} did not converge");
        for (name, got, w) in [
            ("mu", k.mu, want.mu),
            ("omega", k.omega, want.omega),
            ("alpha", k.alpha, want.alpha),
            ("beta", k.beta, want.beta),
        ] {
            assert_abs(&format!("{key} {name}"), got, w, GARCH_PARAM_ABS);
        }
        if let (Some(nu), Some(w)) = (k.nu, want.nu) {
            assert_abs(&format!("{key} nu"), nu, w, GARCH_NU_ABS);
        }
        assert!(
            fit.loglik >= num(g, &["loglik_percent_units"]) - GARCH_LL_SLACK,
            "{key}: ll {} below arch's {}",
            fit.loglik,
            num(g, &["loglik_percent_units"])
        );
        // conditional volatility and VaR from the fitted model
        let vol = fit.conditional_volatility_decimal();
        assert_abs(
            &format!("{key} last cond vol"),
            vol[vol.len() - 1],
            num(g, &["cond_vol_last_decimal"]),
            1e-4,
        );
        let v = fit.var_forecast(0.99).unwrap();
        assert!(v.var > 0.0 && v.es.unwrap() > v.var);
        // fitting in decimal units reaches the same optimum
        let dec = GarchParams::new().innovation(innov).units(GarchUnits::Decimal).fit(&r).unwrap();
        assert_abs(
            &format!("{key} decimal-unit fit ll"),
            dec.loglik_decimal,
            fit.loglik_decimal,
            1e-6,
        );
    }
}

#[test]
fn bad_input_gets_typed_errors() {
    let empty = Array1::<f64>::zeros(0);
    let hs = VarParams::new(0.99, VarMethod::default()).unwrap();
    assert!(matches!(hs.estimate(&empty), Err(RiskError::Empty(_))));
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let x = Array1::from(vec![0.01, bad, -0.02]);
        assert!(matches!(hs.estimate(&x), Err(RiskError::NonFinite { index: 1, .. })), "{bad}");
        assert!(matches!(GarchParams::new().fit(&x), Err(RiskError::NonFinite { index: 1, .. })));
        assert!(matches!(
            RollingParams::new(0.99, RollingMethod::default()).unwrap().forecast(&x),
            Err(RiskError::NonFinite { .. })
        ));
        assert!(matches!(Ewma::default().filter(&x), Err(RiskError::NonFinite { .. })));
    }
    let short = part(&returns(), 0, 200);
    assert!(matches!(
        RollingParams::new(0.99, RollingMethod::default()).unwrap().forecast(&short),
        Err(RiskError::TooFewObservations { needed: 251, got: 200, .. })
    ));
    for level in [0.0, 1.0, -0.5, 1.5, f64::NAN] {
        assert!(matches!(
            VarParams::new(level, VarMethod::default()),
            Err(RiskError::InvalidParameter { name: "level", .. })
        ));
        assert!(RollingParams::new(level, RollingMethod::default()).is_err());
        assert!(finkit_risk::ValueAtRisk::new(level).is_err());
        assert!(finkit_risk::ExpectedShortfall::new(level).is_err());
    }
    let fit = GarchParams::new().fit(&part(&returns(), 0, 500)).unwrap();
    assert!(fit.var_forecast(1.0).is_err());
    assert!(fit.simulate_losses(1, 0, 1).is_err());
    let msg = VarParams::new(1.5, VarMethod::default()).unwrap_err().to_string();
    assert!(msg.contains("1.5"), "{msg}");
    // issue 12: a historical VaR needs at least one return in the tail (n·(1 − level) ≥ 1)
    let one = Array1::from(vec![-0.03]);
    assert!(matches!(
        hs.estimate(&one),
        Err(RiskError::TooFewObservations { needed: 100, got: 1, .. })
    ));
    let r = returns();
    assert!(hs.estimate(&part(&r, 0, 99)).is_err());
    assert!(hs.estimate(&part(&r, 0, 100)).is_ok());
    let normal = VarParams::new(0.99, VarMethod::Normal { sd: SdConvention::Sample }).unwrap();
    assert!(normal.estimate(&part(&r, 0, 2)).is_ok());
}

/// Short windows often put the optimum on the boundary (α = 0, α + β = 1, ω → 0): the fit
/// must still converge there, and no other start may find a higher likelihood.
#[test]
fn garch_fits_on_rolling_windows_converge() {
    let r = returns();
    for innov in [Innovation::Normal, Innovation::StudentT] {
        let spec = GarchParams::new().innovation(innov);
        for t in (250..r.len()).step_by(50) {
            let w = part(&r, t - 250, t);
            let fit = spec.fit(&w).unwrap();
            assert!(fit.converged, "{innov:?} window ending {t}: {fit:?}");
            let alt_start = GarchCoefficients {
                mu: 0.0,
                omega: 0.05,
                alpha: 0.15,
                beta: 0.6,
                nu: (innov == Innovation::StudentT).then_some(20.0),
            };
            let alt = spec.fit_from(&w, Some(&alt_start)).unwrap();
            assert!(
                fit.loglik >= alt.loglik - 1e-6,
                "{innov:?} window ending {t}: {} < {} from another start",
                fit.loglik,
                alt.loglik
            );
        }
    }
}
