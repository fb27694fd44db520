//! Value at risk and expected shortfall of a return sample: historical (order statistics),
//! parametric normal and Student-t, and Cornish–Fisher; plus the [`ValueAtRisk`] and
//! [`ExpectedShortfall`] risk measures on loss samples.
//!
//! Sign convention: inputs of the `VarParams` functions are **returns** (decimal, gains
//! positive); VaR and ES are reported as **positive losses** (VaR = −quantile of returns).

use finkit_numerics::tail::{self, RankRule, Tail, tail_count};
use ndarray::ArrayRef1;
use statrs::distribution::{Continuous, ContinuousCDF, StudentsT};

use super::{check_finite, check_level, contiguous};
use crate::{RiskError, RiskMeasure};

/// How a sample quantile is read off the order statistics.
///
/// With `n` observations sorted ascending `x₍₁₎ ≤ … ≤ x₍ₙ₎` and tail probability `p = 1 − level`:
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum QuantileRule {
    /// Hyndman–Fan type 1 (the default): the `k`-th smallest return with `k = ⌈n·p⌉`, the
    /// ceiling taken on `n·p` with its round-off removed (`finkit_numerics::tail::tail_count`)
    /// so that `1000 × (1 − 0.99)` = 10.000000000000009 gives `k = 10`. QuantLib's
    /// `RiskStatistics::valueAtRisk` and pandas' `quantile(p, interpolation="lower")` give the
    /// same number. (The portfolio loss distributions take the next order statistic inward
    /// when `n·p` is an integer; see `docs/ARCHITECTURE.md`.)
    #[default]
    LowerOrderStatistic,
    /// Hyndman–Fan type 7 (numpy's default, empyrical's `value_at_risk`): linear interpolation
    /// at the 0-based position `h = (n − 1)·p`.
    Linear,
}

/// Which estimator of expected shortfall a historical sample uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum EsEstimator {
    /// Acerbi & Tasche (2002), the default: the average of the worst `n·p` observations with the
    /// boundary observation weighted by the fractional part (a coherent estimator).
    ///
    /// ```text
    /// ES = −( Σ_{i ≤ ⌊np⌋} x₍ᵢ₎ + (np − ⌊np⌋)·x₍⌊np⌋+1₎ ) / (np)
    /// ```
    #[default]
    AcerbiTasche,
    /// The mean of the observations strictly beyond the VaR quantile (QuantLib's
    /// `RiskStatistics::expectedShortfall`). When no observation lies strictly beyond the
    /// quantile the ES equals the VaR.
    MeanBeyondVar,
}

/// Which standard deviation the parametric methods use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum SdConvention {
    /// Sample standard deviation, divisor `n − 1` (the default; numpy `ddof=1`).
    #[default]
    Sample,
    /// Population standard deviation, divisor `n` (PerformanceAnalytics `VaR.Gaussian`).
    Population,
}

/// The VaR/ES method applied to a sample of returns.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum VarMethod {
    /// Historical simulation: order statistics of the sample.
    Historical {
        /// Quantile rule for the VaR.
        rule: QuantileRule,
        /// ES estimator.
        es: EsEstimator,
    },
    /// Normal with the sample mean and standard deviation.
    Normal {
        /// Which standard deviation.
        sd: SdConvention,
    },
    /// Standardised Student-t (variance 1) with `dof` degrees of freedom, scaled to the sample
    /// standard deviation and shifted by the sample mean. `dof` must be > 2.
    StudentT {
        /// Degrees of freedom ν > 2.
        dof: f64,
        /// Which standard deviation.
        sd: SdConvention,
    },
    /// Cornish–Fisher expansion with the biased sample skewness and excess kurtosis (scipy's
    /// defaults); gives no ES.
    CornishFisher {
        /// Which standard deviation.
        sd: SdConvention,
    },
}

impl Default for VarMethod {
    fn default() -> Self {
        VarMethod::Historical { rule: QuantileRule::default(), es: EsEstimator::default() }
    }
}

/// A VaR and (where the method defines one) ES estimate, both as positive losses.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct VarEstimate {
    /// Value at risk (a positive number is a loss).
    pub var: f64,
    /// Expected shortfall; `None` for Cornish–Fisher.
    pub es: Option<f64>,
}

/// Validated parameters of a one-shot VaR/ES estimate: confidence level and method.
///
/// ```
/// use finkit_risk::market::{VarMethod, VarParams};
/// use ndarray::Array1;
///
/// let returns = Array1::from_iter((0..100).map(|i| (f64::from(i) - 50.0) / 1000.0));
/// let est = VarParams::new(0.99, VarMethod::default())?.estimate(&returns)?;
/// assert_eq!(est.var, 0.05); // the worst return, k = ⌈100 × 0.01⌉ = 1
/// # Ok::<(), finkit_risk::RiskError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct VarParams {
    level: f64,
    method: VarMethod,
}

impl VarParams {
    /// Parameters for confidence `level` (e.g. 0.99; the tail probability is `1 − level`).
    ///
    /// # Errors
    /// [`RiskError::InvalidParameter`] if `level` is not strictly between 0 and 1 or a
    /// Student-t `dof` is not a finite number > 2.
    pub fn new(level: f64, method: VarMethod) -> Result<Self, RiskError> {
        check_level(level)?;
        if let VarMethod::StudentT { dof, .. } = method {
            check_dof(dof)?;
        }
        Ok(Self { level, method })
    }

    /// The confidence level.
    #[must_use]
    pub fn level(&self) -> f64 {
        self.level
    }

    /// The method.
    #[must_use]
    pub fn method(&self) -> VarMethod {
        self.method
    }

    /// VaR and ES of a return sample.
    ///
    /// # Formula
    /// ```text
    /// p = 1 − level
    /// historical:  VaR = −x₍ₖ₎, k = ⌈round(n·p, 9)⌉            (type 1)
    ///              VaR = −(x₍ⱼ₎ + (h−j)(x₍ⱼ₊₁₎ − x₍ⱼ₎)), h = (n−1)p (type 7, 0-based)
    /// normal:      VaR = −(μ + σ z_p),   ES = −μ + σ φ(z_p)/p
    /// Student-t:   s = √((ν−2)/ν), VaR = −(μ + σ s t_ν⁻¹(p)),
    ///              ES = −μ + σ s (ν + t²)/(ν − 1) f_ν(t)/p,  t = t_ν⁻¹(p)
    /// Cornish–Fisher: z_cf = z + (z²−1)S/6 + (z³−3z)K/24 − (2z³−5z)S²/36,
    ///              VaR = −(μ + σ z_cf), S, K biased skewness and excess kurtosis
    /// ```
    ///
    /// # Errors
    /// [`RiskError::Empty`] for no returns, [`RiskError::NonFinite`] for NaN/±inf,
    /// [`RiskError::TooFewObservations`] for a parametric method with fewer than 2 returns, or a
    /// historical sample too small for the level (see [`min_historical_sample`]).
    pub fn estimate(&self, returns: &ArrayRef1<f64>) -> Result<VarEstimate, RiskError> {
        let x = contiguous(returns);
        check_finite("returns", &x)?;
        let p = 1.0 - self.level;
        match self.method {
            VarMethod::Historical { rule, es } => {
                let needed = min_historical_sample(self.level);
                if x.len() < needed {
                    return Err(RiskError::TooFewObservations {
                        what: "historical var at this level",
                        needed,
                        got: x.len(),
                    });
                }
                let mut s = x.into_owned();
                s.sort_unstable_by(f64::total_cmp);
                Ok(VarEstimate {
                    var: hs_var_sorted(&s, p, rule),
                    es: Some(hs_es_sorted(&s, p, rule, es)),
                })
            }
            _ => {
                if x.len() < 2 {
                    return Err(RiskError::TooFewObservations {
                        what: "parametric var",
                        needed: 2,
                        got: x.len(),
                    });
                }
                let m = Moments::of(&x);
                Ok(parametric(&m, p, self.method))
            }
        }
    }
}

pub(crate) fn check_dof(dof: f64) -> Result<(), RiskError> {
    if dof.is_finite() && dof > 2.0 {
        Ok(())
    } else {
        Err(RiskError::InvalidParameter {
            name: "dof",
            value: dof.to_string(),
            reason: "degrees of freedom must be finite and greater than 2",
        })
    }
}

/// The smallest sample a historical VaR/ES at `level` accepts: `⌈1 / (1 − level)⌉` returns,
/// so that at least one observation lies in the tail (`n·(1 − level) ≥ 1`, with the round-off
/// of `n·p` removed as [`QuantileRule::LowerOrderStatistic`] does). A smaller sample would report
/// its worst return as the quantile of a tail it never observed.
///
/// ```
/// use finkit_risk::market::min_historical_sample;
/// assert_eq!(min_historical_sample(0.99), 100);
/// assert_eq!(min_historical_sample(0.975), 40);
/// ```
#[must_use]
pub fn min_historical_sample(level: f64) -> usize {
    let p = 1.0 - level;
    if !(p.is_finite() && p > 0.0 && p < 1.0) {
        return usize::MAX;
    }
    let n = (1.0 / p).ceil();
    // `1/p` may land an ulp above an integer (1/0.01 = 100.00000000000001): accept the
    // smallest n whose tail count n·p (round-off removed) is at least 1
    let mut k = (n as usize).max(1);
    while tail_count(k, p) < 1.0 {
        k += 1;
    }
    while k > 1 && tail_count(k - 1, p) >= 1.0 {
        k -= 1;
    }
    k
}

impl QuantileRule {
    /// The shared order-statistic rule (finkit-numerics) this convention names.
    fn tail_rule(self) -> tail::VarRule {
        match self {
            QuantileRule::LowerOrderStatistic => tail::VarRule::OrderStatistic(RankRule::Ceiling),
            QuantileRule::Linear => tail::VarRule::Linear,
        }
    }
}

impl EsEstimator {
    fn tail_rule(self) -> tail::EsRule {
        match self {
            EsEstimator::AcerbiTasche => tail::EsRule::AcerbiTasche,
            EsEstimator::MeanBeyondVar => tail::EsRule::MeanBeyondVar,
        }
    }
}

/// VaR (positive loss) of returns sorted ascending; `sorted` is non-empty, `p` in (0, 1).
pub(crate) fn hs_var_sorted(sorted: &[f64], p: f64, rule: QuantileRule) -> f64 {
    -tail::var(&Tail::lower(sorted), p, rule.tail_rule())
}

/// ES (positive loss) of returns sorted ascending.
pub(crate) fn hs_es_sorted(sorted: &[f64], p: f64, rule: QuantileRule, est: EsEstimator) -> f64 {
    -tail::es(&Tail::lower(sorted), p, rule.tail_rule(), est.tail_rule())
}

/// Central moments of a sample (two-pass, as numpy/scipy compute them).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Moments {
    pub(crate) n: usize,
    pub(crate) mean: f64,
    pub(crate) m2: f64,
    pub(crate) m3: f64,
    pub(crate) m4: f64,
}

impl Moments {
    pub(crate) fn of(x: &[f64]) -> Self {
        let n = x.len();
        let mean = x.iter().sum::<f64>() / n as f64;
        let (mut s2, mut s3, mut s4) = (0.0, 0.0, 0.0);
        for &v in x {
            let d = v - mean;
            let d2 = d * d;
            s2 += d2;
            s3 += d2 * d;
            s4 += d2 * d2;
        }
        let nf = n as f64;
        Self { n, mean, m2: s2 / nf, m3: s3 / nf, m4: s4 / nf }
    }

    pub(crate) fn sd(&self, conv: SdConvention) -> f64 {
        let nf = self.n as f64;
        match conv {
            SdConvention::Sample => (self.m2 * nf / (nf - 1.0)).sqrt(),
            SdConvention::Population => self.m2.sqrt(),
        }
    }

    /// Biased skewness `m3 / m2^1.5`; 0 for a constant sample.
    pub(crate) fn skew(&self) -> f64 {
        if self.m2 > 0.0 { self.m3 / self.m2.powf(1.5) } else { 0.0 }
    }

    /// Biased excess kurtosis `m4 / m2² − 3`; 0 for a constant sample.
    pub(crate) fn excess_kurtosis(&self) -> f64 {
        if self.m2 > 0.0 { self.m4 / (self.m2 * self.m2) - 3.0 } else { 0.0 }
    }
}

/// Standard normal density and quantile (finkit-numerics).
pub(crate) use finkit_numerics::normal::{pdf as phi, quantile as norm_quantile};

/// The Cornish–Fisher adjusted quantile.
pub(crate) fn cornish_fisher_z(z: f64, s: f64, k: f64) -> f64 {
    let z3 = z * z * z;
    z + (z * z - 1.0) * s / 6.0 + (z3 - 3.0 * z) * k / 24.0 - (2.0 * z3 - 5.0 * z) * s * s / 36.0
}

/// Quantile `t` of the standard Student-t and the tail factor `(ν + t²)/(ν − 1) f(t)/p`.
///
/// statrs' inverse CDF loses accuracy for very large ν (its incomplete-beta inversion), so
/// above ν = 1e5 the Cornish–Fisher expansion of the t quantile around the normal one and the
/// asymptotic ratio of gamma functions are used (both exact to double precision there).
pub(crate) fn student_t_tail(dof: f64, p: f64) -> (f64, f64) {
    let (q, ln_pdf) = if dof > 1e5 {
        let z = norm_quantile(p);
        let (z2, nu) = (z * z, dof);
        let q = z
            + z * (z2 + 1.0) / (4.0 * nu)
            + z * (5.0 * z2 * z2 + 16.0 * z2 + 3.0) / (96.0 * nu * nu)
            + z * (3.0 * z2 * z2 * z2 + 19.0 * z2 * z2 + 17.0 * z2 - 15.0) / (384.0 * nu * nu * nu);
        let x = nu / 2.0;
        // ln Γ(x + ½) − ln Γ(x)
        let lg = 0.5 * x.ln() - 1.0 / (8.0 * x) + 1.0 / (192.0 * x * x * x);
        let lp =
            lg - 0.5 * (nu * std::f64::consts::PI).ln() - (nu + 1.0) / 2.0 * (q * q / nu).ln_1p();
        (q, lp)
    } else {
        // dof > 2 is validated by every caller; the fallback keeps this total.
        let Ok(t) = StudentsT::new(0.0, 1.0, dof) else {
            return (f64::NAN, f64::NAN);
        };
        let mut q = t.inverse_cdf(p);
        // one Newton step on the CDF polishes the incomplete-beta inversion
        let pdf = t.pdf(q);
        if pdf > 0.0 {
            q -= (t.cdf(q) - p) / pdf;
        }
        (q, t.ln_pdf(q))
    };
    let es = (dof + q * q) / (dof - 1.0) * ln_pdf.exp() / p;
    (q, es)
}

/// Parametric VaR/ES from the sample moments; `method` is not `Historical`.
pub(crate) fn parametric(m: &Moments, p: f64, method: VarMethod) -> VarEstimate {
    let z = norm_quantile(p);
    match method {
        VarMethod::Normal { sd } => {
            let s = m.sd(sd);
            VarEstimate { var: -(m.mean + s * z), es: Some(-m.mean + s * phi(z) / p) }
        }
        VarMethod::StudentT { dof, sd } => {
            let s = m.sd(sd) * ((dof - 2.0) / dof).sqrt();
            let (q, tail) = student_t_tail(dof, p);
            VarEstimate { var: -(m.mean + s * q), es: Some(-m.mean + s * tail) }
        }
        VarMethod::CornishFisher { sd } => {
            let zcf = cornish_fisher_z(z, m.skew(), m.excess_kurtosis());
            VarEstimate { var: -(m.mean + m.sd(sd) * zcf), es: None }
        }
        VarMethod::Historical { .. } => VarEstimate { var: f64::NAN, es: None },
    }
}

/// Negated, sorted copy of a loss sample (ascending P&L), after validation.
fn sorted_pnl(losses: &ArrayRef1<f64>) -> Result<Vec<f64>, RiskError> {
    let x = contiguous(losses);
    check_finite("losses", &x)?;
    let mut s: Vec<f64> = x.iter().map(|&l| -l).collect();
    s.sort_unstable_by(f64::total_cmp);
    Ok(s)
}

/// Historical value at risk of a loss sample as a [`RiskMeasure`].
///
/// With `n` losses and `p = 1 − level`, the type-1 VaR is the `k`-th largest loss,
/// `k = ⌈round(n·p, 9)⌉` (the same number as the `k`-th smallest return).
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ValueAtRisk {
    level: f64,
    rule: QuantileRule,
}

impl ValueAtRisk {
    /// VaR at confidence `level` with the default type-1 rule.
    ///
    /// # Errors
    /// [`RiskError::InvalidParameter`] if `level` is not strictly between 0 and 1.
    pub fn new(level: f64) -> Result<Self, RiskError> {
        check_level(level)?;
        Ok(Self { level, rule: QuantileRule::default() })
    }

    /// The same measure with another quantile rule.
    #[must_use]
    pub fn with_rule(mut self, rule: QuantileRule) -> Self {
        self.rule = rule;
        self
    }

    /// The confidence level.
    #[must_use]
    pub fn level(&self) -> f64 {
        self.level
    }

    /// The quantile rule.
    #[must_use]
    pub fn rule(&self) -> QuantileRule {
        self.rule
    }
}

impl RiskMeasure for ValueAtRisk {
    fn evaluate(&self, losses: &ArrayRef1<f64>) -> Result<f64, RiskError> {
        let s = sorted_pnl(losses)?;
        Ok(hs_var_sorted(&s, 1.0 - self.level, self.rule))
    }

    fn name(&self) -> String {
        let rule = match self.rule {
            QuantileRule::LowerOrderStatistic => "type 1",
            QuantileRule::Linear => "type 7",
        };
        format!("VaR {}% ({rule})", self.level * 100.0)
    }
}

/// Historical expected shortfall of a loss sample as a [`RiskMeasure`].
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ExpectedShortfall {
    level: f64,
    estimator: EsEstimator,
    rule: QuantileRule,
}

impl ExpectedShortfall {
    /// ES at confidence `level` with the default Acerbi–Tasche estimator.
    ///
    /// # Errors
    /// [`RiskError::InvalidParameter`] if `level` is not strictly between 0 and 1.
    pub fn new(level: f64) -> Result<Self, RiskError> {
        check_level(level)?;
        Ok(Self { level, estimator: EsEstimator::default(), rule: QuantileRule::default() })
    }

    /// The same measure with another estimator.
    #[must_use]
    pub fn with_estimator(mut self, estimator: EsEstimator) -> Self {
        self.estimator = estimator;
        self
    }

    /// The quantile rule that defines "beyond VaR" for [`EsEstimator::MeanBeyondVar`].
    #[must_use]
    pub fn with_rule(mut self, rule: QuantileRule) -> Self {
        self.rule = rule;
        self
    }

    /// The confidence level.
    #[must_use]
    pub fn level(&self) -> f64 {
        self.level
    }

    /// The estimator.
    #[must_use]
    pub fn estimator(&self) -> EsEstimator {
        self.estimator
    }
}

impl RiskMeasure for ExpectedShortfall {
    fn evaluate(&self, losses: &ArrayRef1<f64>) -> Result<f64, RiskError> {
        let s = sorted_pnl(losses)?;
        Ok(hs_es_sorted(&s, 1.0 - self.level, self.rule, self.estimator))
    }

    fn name(&self) -> String {
        let est = match self.estimator {
            EsEstimator::AcerbiTasche => "Acerbi-Tasche",
            EsEstimator::MeanBeyondVar => "mean beyond VaR",
        };
        format!("ES {}% ({est})", self.level * 100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, array};

    #[test]
    fn type1_rank_is_exact() {
        let rank = |n, p| tail::rank(n, p, RankRule::Ceiling);
        assert_eq!(rank(250, 1.0 - 0.99), 3);
        assert_eq!(rank(250, 0.025), 7);
        assert_eq!(rank(1000, 1.0 - 0.99), 10);
        assert_eq!(rank(5030, 0.01), 51);
        assert_eq!(rank(10, 1e-12), 1);
    }

    #[test]
    fn acerbi_on_known_sample() {
        let s: Vec<f64> = (1..=250).map(|i| f64::from(i) - 100.0).collect();
        // worst 2.5: -99, -98 and half of -97
        let es =
            hs_es_sorted(&s, 0.01, QuantileRule::LowerOrderStatistic, EsEstimator::AcerbiTasche);
        assert!((es - (99.0 + 98.0 + 0.5 * 97.0) / 2.5).abs() < 1e-12);
        let mb =
            hs_es_sorted(&s, 0.01, QuantileRule::LowerOrderStatistic, EsEstimator::MeanBeyondVar);
        assert!((mb - 98.5).abs() < 1e-12);
        assert_eq!(hs_var_sorted(&s, 0.01, QuantileRule::LowerOrderStatistic), 97.0);
    }

    #[test]
    fn linear_matches_numpy_small() {
        // np.quantile([1,2,3,4], 0.1) = 1.3
        let q = -hs_var_sorted(&[1.0, 2.0, 3.0, 4.0], 0.1, QuantileRule::Linear);
        assert!((q - 1.3).abs() < 1e-15);
    }

    #[test]
    fn measures_on_losses() {
        let losses = Array1::from_iter((1..=100).map(f64::from));
        let v = ValueAtRisk::new(0.95).unwrap().evaluate(&losses).unwrap();
        assert_eq!(v, 96.0);
        let e = ExpectedShortfall::new(0.95).unwrap().evaluate(&losses).unwrap();
        assert!((e - 98.0).abs() < 1e-12);
        assert!(ValueAtRisk::new(1.0).is_err());
        assert!(ValueAtRisk::new(f64::NAN).is_err());
        assert!(matches!(
            ValueAtRisk::new(0.9).unwrap().evaluate(&array![]),
            Err(RiskError::Empty(_))
        ));
    }

    #[test]
    fn student_t_tends_to_normal() {
        let x = Array1::from_iter((0..500).map(|i| ((f64::from(i) * 0.37).sin()) * 0.01));
        let n = VarParams::new(0.99, VarMethod::Normal { sd: SdConvention::Sample })
            .unwrap()
            .estimate(&x)
            .unwrap();
        let t = VarParams::new(0.99, VarMethod::StudentT { dof: 1e7, sd: SdConvention::Sample })
            .unwrap()
            .estimate(&x)
            .unwrap();
        assert!((n.var - t.var).abs() < 1e-7, "{n:?} {t:?}");
        assert!((n.es.unwrap() - t.es.unwrap()).abs() < 1e-7);
        assert!(
            VarParams::new(0.99, VarMethod::StudentT { dof: 2.0, sd: SdConvention::Sample })
                .is_err()
        );
    }
}
