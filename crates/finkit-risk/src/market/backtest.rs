//! VaR backtests: exceptions, Kupiec's proportion-of-failures test, Christoffersen's
//! independence and conditional-coverage tests, and the Basel traffic light.

use ndarray::ArrayRef1;
use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::{check_finite, check_level, contiguous};
use crate::RiskError;

/// Exceptions (hits) of a VaR forecast: `r_t < −VaR_t` (strict).
///
/// # Errors
/// [`RiskError::Empty`], [`RiskError::NonFinite`] or [`RiskError::LengthMismatch`].
pub fn exceptions(returns: &ArrayRef1<f64>, var: &ArrayRef1<f64>) -> Result<Vec<bool>, RiskError> {
    let r = contiguous(returns);
    let v = contiguous(var);
    check_finite("returns", &r)?;
    if v.len() != r.len() {
        return Err(RiskError::LengthMismatch { what: "var", expected: r.len(), found: v.len() });
    }
    check_finite("var", &v)?;
    Ok(r.iter().zip(v.iter()).map(|(r, v)| *r < -*v).collect())
}

fn check_hits(hits: &[bool], needed: usize, what: &'static str) -> Result<(), RiskError> {
    if hits.is_empty() {
        return Err(RiskError::Empty("hits"));
    }
    if hits.len() < needed {
        return Err(RiskError::TooFewObservations { what, needed, got: hits.len() });
    }
    Ok(())
}

/// `k·ln q` with `0·ln 0 = 0`.
fn xlogy(k: usize, q: f64) -> f64 {
    if k == 0 { 0.0 } else { k as f64 * q.ln() }
}

fn chi2_sf(x: f64, dof: f64) -> f64 {
    match ChiSquared::new(dof) {
        Ok(d) => d.sf(x.max(0.0)),
        Err(_) => f64::NAN,
    }
}

/// Kupiec (1995) proportion-of-failures test.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Kupiec {
    /// Number of forecasts T.
    pub observations: usize,
    /// Number of exceptions x.
    pub exceptions: usize,
    /// x / T.
    pub rate: f64,
    /// Likelihood-ratio statistic, χ²(1) under the null.
    pub lr: f64,
    /// P-value (χ²(1) survival function).
    pub p_value: f64,
}

/// Kupiec's POF test of `hits` against the tail probability `1 − level`.
///
/// # Formula
/// ```text
/// LR_pof = −2 [ (T−x) ln(1−p) + x ln p − (T−x) ln(1−x/T) − x ln(x/T) ],  0·ln 0 = 0
/// ```
///
/// # Errors
/// [`RiskError::Empty`] for no hits, [`RiskError::InvalidParameter`] for a bad level.
pub fn kupiec_pof(hits: &[bool], level: f64) -> Result<Kupiec, RiskError> {
    check_level(level)?;
    check_hits(hits, 1, "kupiec test")?;
    let p = 1.0 - level;
    let t = hits.len();
    let x = hits.iter().filter(|&&h| h).count();
    let phat = x as f64 / t as f64;
    let ll0 = (t - x) as f64 * (1.0 - p).ln() + x as f64 * p.ln();
    let ll1 = xlogy(t - x, 1.0 - phat) + xlogy(x, phat);
    let lr = -2.0 * (ll0 - ll1);
    Ok(Kupiec { observations: t, exceptions: x, rate: phat, lr, p_value: chi2_sf(lr, 1.0) })
}

/// Christoffersen (1998) independence and conditional-coverage tests.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Christoffersen {
    /// Transitions no hit → no hit.
    pub n00: usize,
    /// Transitions no hit → hit.
    pub n01: usize,
    /// Transitions hit → no hit.
    pub n10: usize,
    /// Transitions hit → hit.
    pub n11: usize,
    /// P(hit | no hit yesterday).
    pub pi0: f64,
    /// P(hit | hit yesterday).
    pub pi1: f64,
    /// Unconditional hit rate over the T − 1 transitions.
    pub pi: f64,
    /// Independence LR statistic, χ²(1).
    pub lr_ind: f64,
    /// Its p-value.
    pub p_value_ind: f64,
    /// Conditional coverage `LR_cc = LR_pof + LR_ind`, χ²(2).
    pub lr_cc: f64,
    /// Its p-value.
    pub p_value_cc: f64,
}

/// Christoffersen's tests of `hits` (the T − 1 day-to-day transitions) at `level`.
///
/// # Formula
/// ```text
/// LR_ind = −2 [ (n00+n10) ln(1−π) + (n01+n11) ln π
///              − n00 ln(1−π0) − n01 ln π0 − n10 ln(1−π1) − n11 ln π1 ],  0·ln 0 = 0
/// LR_cc  = LR_pof + LR_ind  ~ χ²(2)
/// ```
///
/// # Errors
/// Fewer than 2 hits, or a bad level.
pub fn christoffersen(hits: &[bool], level: f64) -> Result<Christoffersen, RiskError> {
    check_level(level)?;
    check_hits(hits, 2, "christoffersen test")?;
    let (mut n00, mut n01, mut n10, mut n11) = (0, 0, 0, 0);
    for w in hits.windows(2) {
        match (w[0], w[1]) {
            (false, false) => n00 += 1,
            (false, true) => n01 += 1,
            (true, false) => n10 += 1,
            (true, true) => n11 += 1,
        }
    }
    let ratio = |a: usize, b: usize| {
        if a + b == 0 { 0.0 } else { a as f64 / (a + b) as f64 }
    };
    let pi0 = ratio(n01, n00);
    let pi1 = ratio(n11, n10);
    let pi = (n01 + n11) as f64 / (n00 + n01 + n10 + n11) as f64;
    let l0 = xlogy(n00 + n10, 1.0 - pi) + xlogy(n01 + n11, pi);
    let l1 = xlogy(n00, 1.0 - pi0) + xlogy(n01, pi0) + xlogy(n10, 1.0 - pi1) + xlogy(n11, pi1);
    let lr_ind = -2.0 * (l0 - l1);
    let lr_cc = kupiec_pof(hits, level)?.lr + lr_ind;
    Ok(Christoffersen {
        n00,
        n01,
        n10,
        n11,
        pi0,
        pi1,
        pi,
        lr_ind,
        p_value_ind: chi2_sf(lr_ind, 1.0),
        lr_cc,
        p_value_cc: chi2_sf(lr_cc, 2.0),
    })
}

/// Basel traffic-light zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum TrafficLightZone {
    /// 0–4 exceptions.
    Green,
    /// 5–9 exceptions.
    Yellow,
    /// 10 or more exceptions.
    Red,
}

/// The Basel traffic light of the last 250 forecasts of a 99 % VaR.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct TrafficLight {
    /// Exceptions in the last 250 forecasts.
    pub exceptions: usize,
    /// The zone.
    pub zone: TrafficLightZone,
    /// The plus factor added to the multiplier 3.
    pub plus_factor: f64,
    /// `3 + plus_factor`.
    pub multiplier: f64,
}

/// Number of forecasts the Basel traffic light looks at.
pub const TRAFFIC_LIGHT_WINDOW: usize = 250;

/// The Basel traffic light (BCBS 1996, Table 2) on the last 250 `hits` of a 99 % VaR:
/// green ≤ 4, yellow 5–9 with plus factors 0.40, 0.50, 0.65, 0.75, 0.85, red ≥ 10 (plus 1).
///
/// # Errors
/// [`RiskError::TooFewObservations`] with fewer than 250 hits.
pub fn traffic_light(hits: &[bool]) -> Result<TrafficLight, RiskError> {
    check_hits(hits, TRAFFIC_LIGHT_WINDOW, "basel traffic light")?;
    let x = hits[hits.len() - TRAFFIC_LIGHT_WINDOW..].iter().filter(|&&h| h).count();
    let (zone, plus_factor) = match x {
        0..=4 => (TrafficLightZone::Green, 0.0),
        5 => (TrafficLightZone::Yellow, 0.40),
        6 => (TrafficLightZone::Yellow, 0.50),
        7 => (TrafficLightZone::Yellow, 0.65),
        8 => (TrafficLightZone::Yellow, 0.75),
        9 => (TrafficLightZone::Yellow, 0.85),
        _ => (TrafficLightZone::Red, 1.0),
    };
    Ok(TrafficLight { exceptions: x, zone, plus_factor, multiplier: 3.0 + plus_factor })
}

/// All backtests of one VaR series.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Backtest {
    /// The exception flags.
    pub hits: Vec<bool>,
    /// Kupiec POF.
    pub kupiec: Kupiec,
    /// Christoffersen independence and conditional coverage.
    pub christoffersen: Christoffersen,
    /// The traffic light (only with at least 250 forecasts).
    pub traffic_light: Option<TrafficLight>,
}

/// Runs every backtest of a VaR forecast series against the realised returns.
///
/// ```
/// use finkit_risk::market::backtest;
/// use ndarray::Array1;
///
/// let r = Array1::from_iter((0..300).map(|i| if i % 50 == 0 { -0.05 } else { 0.001 }));
/// let var = Array1::from_elem(300, 0.03);
/// let bt = backtest(&r, &var, 0.99)?;
/// assert_eq!(bt.kupiec.exceptions, 6);
/// assert_eq!(bt.traffic_light.map(|t| t.exceptions), Some(5));
/// # Ok::<(), finkit_risk::RiskError>(())
/// ```
///
/// # Errors
/// As [`exceptions`] and [`christoffersen`].
pub fn backtest(
    returns: &ArrayRef1<f64>,
    var: &ArrayRef1<f64>,
    level: f64,
) -> Result<Backtest, RiskError> {
    let hits = exceptions(returns, var)?;
    let kupiec = kupiec_pof(&hits, level)?;
    let christoffersen = christoffersen(&hits, level)?;
    let traffic_light = traffic_light(&hits).ok();
    Ok(Backtest { hits, kupiec, christoffersen, traffic_light })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn kupiec_zero_and_all() {
        let k = kupiec_pof(&[false; 100], 0.99).unwrap();
        assert!((k.lr - (-2.0 * 100.0 * 0.99f64.ln())).abs() < 1e-12);
        let k = kupiec_pof(&[true; 10], 0.99).unwrap();
        assert!(k.lr.is_finite() && k.lr > 0.0);
        let c = christoffersen(&[true; 10], 0.99).unwrap();
        assert_eq!(c.n11, 9);
        assert!(c.lr_ind.abs() < 1e-12);
    }

    #[test]
    fn errors() {
        assert!(matches!(
            exceptions(&array![0.0, 1.0], &array![1.0]),
            Err(RiskError::LengthMismatch { .. })
        ));
        assert!(matches!(traffic_light(&[false; 10]), Err(RiskError::TooFewObservations { .. })));
        assert!(kupiec_pof(&[], 0.99).is_err());
        assert!(kupiec_pof(&[true], 1.0).is_err());
    }

    #[test]
    fn zones() {
        let mut h = vec![false; 250];
        for slot in h.iter_mut().take(9) {
            *slot = true;
        }
        let t = traffic_light(&h).unwrap();
        assert_eq!((t.zone, t.plus_factor), (TrafficLightZone::Yellow, 0.85));
        h[9] = true;
        assert_eq!(traffic_light(&h).unwrap().zone, TrafficLightZone::Red);
    }
}
