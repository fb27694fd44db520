//! Rolling one-day-ahead VaR/ES forecasts: the forecast for day `t` uses the `window` returns
//! `r[t − window .. t]` (day `t` itself excluded); the first forecast is for index `window`.

use ndarray::{Array1, ArrayRef1};

use super::ewma::Ewma;
use super::garch::{GarchCoefficients, GarchParams, Problem, backcast, conditional_var};
use super::var::{
    EsEstimator, Moments, QuantileRule, SdConvention, VarEstimate, VarMethod, check_dof,
    hs_es_sorted, hs_var_sorted, norm_quantile, parametric, phi,
};
use super::{check_finite, check_level, contiguous};
use crate::RiskError;

/// The default rolling window (one trading year).
pub const DEFAULT_WINDOW: usize = 250;

/// The forecasting method of a rolling VaR.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum RollingMethod {
    /// Historical simulation on the window (a sorted window updated by one removal and one
    /// insertion per day).
    Historical {
        /// Quantile rule.
        rule: QuantileRule,
        /// ES estimator.
        es: EsEstimator,
    },
    /// Normal with the window's mean and standard deviation.
    Normal {
        /// Which standard deviation.
        sd: SdConvention,
    },
    /// Standardised Student-t with fixed `dof` scaled to the window's standard deviation.
    StudentT {
        /// Degrees of freedom ν > 2.
        dof: f64,
        /// Which standard deviation.
        sd: SdConvention,
    },
    /// Cornish–Fisher on the window's moments (no ES).
    CornishFisher {
        /// Which standard deviation.
        sd: SdConvention,
    },
    /// EWMA volatility, zero mean: `VaR = −z_p σ_t`, `ES = σ_t φ(z_p)/p`. The recursion runs
    /// over the whole series with the model's seed rule (whose seed length must not exceed the
    /// window), so the default `Ewma` with window 250 is RiskMetrics seeded on the first year.
    Ewma(Ewma),
    /// GARCH(1,1) estimated on the trailing window every `refit_every` days (warm-started from
    /// the previous estimate) and filtered over the window with arch's backcast in between.
    Garch {
        /// The model specification.
        params: GarchParams,
        /// Re-estimate every this many forecasts (1 = every day).
        refit_every: usize,
    },
}

impl Default for RollingMethod {
    fn default() -> Self {
        RollingMethod::Historical { rule: QuantileRule::default(), es: EsEstimator::default() }
    }
}

impl From<VarMethod> for RollingMethod {
    fn from(m: VarMethod) -> Self {
        match m {
            VarMethod::Historical { rule, es } => RollingMethod::Historical { rule, es },
            VarMethod::Normal { sd } => RollingMethod::Normal { sd },
            VarMethod::StudentT { dof, sd } => RollingMethod::StudentT { dof, sd },
            VarMethod::CornishFisher { sd } => RollingMethod::CornishFisher { sd },
        }
    }
}

/// Rolling forecasts: `var[i]` (and `es[i]`, `volatility[i]`) forecast the return at index
/// `first_index + i`. Positive numbers are losses; decimal units.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct RollingForecast {
    /// Index of the return the first forecast is for (= the window length).
    pub first_index: usize,
    /// VaR forecasts.
    pub var: Array1<f64>,
    /// ES forecasts (`None` for Cornish–Fisher).
    pub es: Option<Array1<f64>>,
    /// Volatility forecasts (EWMA and GARCH only).
    pub volatility: Option<Array1<f64>>,
}

/// Validated parameters of a rolling forecast.
///
/// ```
/// use finkit_risk::market::{RollingMethod, RollingParams};
/// use ndarray::Array1;
///
/// let r = Array1::from_iter((0..300).map(|i| ((i * 7919) % 101) as f64 / 1000.0 - 0.05));
/// let f = RollingParams::new(0.99, RollingMethod::default())?.forecast(&r)?;
/// assert_eq!((f.first_index, f.var.len()), (250, 50));
/// # Ok::<(), finkit_risk::RiskError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RollingParams {
    window: usize,
    level: f64,
    method: RollingMethod,
}

impl RollingParams {
    /// Rolling forecasts at confidence `level` with the default window of 250.
    ///
    /// # Errors
    /// [`RiskError::InvalidParameter`] for a level outside (0, 1), a Student-t `dof` ≤ 2 or a
    /// GARCH `refit_every` of 0.
    pub fn new(level: f64, method: RollingMethod) -> Result<Self, RiskError> {
        check_level(level)?;
        match method {
            RollingMethod::StudentT { dof, .. } => check_dof(dof)?,
            RollingMethod::Garch { refit_every: 0, .. } => {
                return Err(RiskError::InvalidParameter {
                    name: "refit_every",
                    value: "0".into(),
                    reason: "must be at least 1",
                });
            }
            _ => {}
        }
        Ok(Self { window: DEFAULT_WINDOW, level, method })
    }

    /// The same parameters with another window length.
    ///
    /// # Errors
    /// [`RiskError::InvalidParameter`] for a window shorter than 2.
    pub fn with_window(mut self, window: usize) -> Result<Self, RiskError> {
        if window < 2 {
            return Err(RiskError::InvalidParameter {
                name: "window",
                value: window.to_string(),
                reason: "must be at least 2",
            });
        }
        self.window = window;
        Ok(self)
    }

    /// The window length.
    #[must_use]
    pub fn window(&self) -> usize {
        self.window
    }

    /// The confidence level.
    #[must_use]
    pub fn level(&self) -> f64 {
        self.level
    }

    /// The method.
    #[must_use]
    pub fn method(&self) -> RollingMethod {
        self.method
    }

    /// One-day-ahead forecasts for returns `window..n`.
    ///
    /// # Errors
    /// [`RiskError::Empty`], [`RiskError::NonFinite`], [`RiskError::TooFewObservations`] when
    /// the series is not longer than the window (or than an EWMA seed), and GARCH estimation
    /// errors.
    pub fn forecast(&self, returns: &ArrayRef1<f64>) -> Result<RollingForecast, RiskError> {
        let r = contiguous(returns);
        check_finite("returns", &r)?;
        let w = self.window;
        if r.len() <= w {
            return Err(RiskError::TooFewObservations {
                what: "rolling window",
                needed: w + 1,
                got: r.len(),
            });
        }
        let p = 1.0 - self.level;
        let out = match self.method {
            RollingMethod::Historical { rule, es } => rolling_hs(&r, w, p, rule, es),
            RollingMethod::Normal { sd } => rolling_parametric(&r, w, p, VarMethod::Normal { sd }),
            RollingMethod::StudentT { dof, sd } => {
                rolling_parametric(&r, w, p, VarMethod::StudentT { dof, sd })
            }
            RollingMethod::CornishFisher { sd } => {
                rolling_parametric(&r, w, p, VarMethod::CornishFisher { sd })
            }
            RollingMethod::Ewma(model) => rolling_ewma(&r, w, p, &model)?,
            RollingMethod::Garch { params, refit_every } => {
                rolling_garch(&r, w, p, &params, refit_every)?
            }
        };
        Ok(out)
    }
}

/// Historical simulation over a sorted window kept in order by one removal and one insertion
/// per day (a `copy_within` of the elements between the two positions).
fn rolling_hs(r: &[f64], w: usize, p: f64, rule: QuantileRule, es: EsEstimator) -> RollingForecast {
    let n = r.len();
    let mut sorted = r[..w].to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let mut var = Vec::with_capacity(n - w);
    let mut esv = Vec::with_capacity(n - w);
    for t in w..n {
        var.push(hs_var_sorted(&sorted, p, rule));
        esv.push(hs_es_sorted(&sorted, p, rule, es));
        if t + 1 < n {
            let old = r[t - w];
            let new = r[t];
            // `old` is in the window, so the partition point lands on one of its copies
            let i = sorted.partition_point(|x| x.total_cmp(&old).is_lt());
            let j = sorted.partition_point(|x| x.total_cmp(&new).is_lt());
            if j > i {
                // shift (i, j) left by one; `new` goes just before the old position j
                sorted.copy_within(i + 1..j, i);
                sorted[j - 1] = new;
            } else {
                sorted.copy_within(j..i, j + 1);
                sorted[j] = new;
            }
        }
    }
    RollingForecast {
        first_index: w,
        var: Array1::from(var),
        es: Some(Array1::from(esv)),
        volatility: None,
    }
}

fn rolling_parametric(r: &[f64], w: usize, p: f64, method: VarMethod) -> RollingForecast {
    let n = r.len();
    let mut var = Vec::with_capacity(n - w);
    let mut es = Vec::with_capacity(n - w);
    for t in w..n {
        let est = parametric(&Moments::of(&r[t - w..t]), p, method);
        var.push(est.var);
        if let Some(e) = est.es {
            es.push(e);
        }
    }
    RollingForecast {
        first_index: w,
        var: Array1::from(var),
        es: (!es.is_empty()).then(|| Array1::from(es)),
        volatility: None,
    }
}

fn rolling_ewma(r: &[f64], w: usize, p: f64, model: &Ewma) -> Result<RollingForecast, RiskError> {
    let path = model.filter_slice(r)?;
    if path.first_index > w {
        return Err(RiskError::InvalidParameter {
            name: "ewma seed window",
            value: path.first_index.to_string(),
            reason: "the ewma seed must not be longer than the rolling window",
        });
    }
    let z = norm_quantile(p);
    let tail = phi(z) / p;
    let vol: Vec<f64> =
        path.variances.iter().skip(w - path.first_index).map(|v| v.sqrt()).collect();
    Ok(RollingForecast {
        first_index: w,
        var: vol.iter().map(|s| -z * s).collect(),
        es: Some(vol.iter().map(|s| s * tail).collect()),
        volatility: Some(Array1::from(vol)),
    })
}

fn rolling_garch(
    r: &[f64],
    w: usize,
    p: f64,
    params: &GarchParams,
    refit_every: usize,
) -> Result<RollingForecast, RiskError> {
    let c = params.get_units().scale();
    let y: Vec<f64> = r.iter().map(|x| c * x).collect();
    let n = y.len();
    let mut coef: Option<GarchCoefficients> = None;
    let (mut var, mut es, mut vol) =
        (Vec::with_capacity(n - w), Vec::with_capacity(n - w), Vec::with_capacity(n - w));
    for t in w..n {
        let win = &y[t - w..t];
        let (k, h) = if (t - w).is_multiple_of(refit_every) {
            let fit = params.fit_scaled(win, coef.as_ref())?;
            (fit.coefficients, fit.next_variance)
        } else {
            // `coef` is set on the first iteration ((t − w) % k == 0 at t = w)
            let k = coef.unwrap_or(GarchCoefficients {
                mu: 0.0,
                omega: 1.0,
                alpha: 0.0,
                beta: 0.0,
                nu: None,
            });
            let th = [k.mu, k.omega, k.alpha, k.beta, k.nu.unwrap_or(f64::NAN)];
            let prob = Problem::new(win, backcast(win), params.get_innovation());
            (k, prob.variances(&th).1)
        };
        coef = Some(k);
        let VarEstimate { var: v, es: e } = conditional_var(&k, h, p, c);
        var.push(v);
        es.push(e.unwrap_or(f64::NAN));
        vol.push(h.sqrt() / c);
    }
    Ok(RollingForecast {
        first_index: w,
        var: Array1::from(var),
        es: Some(Array1::from(es)),
        volatility: Some(Array1::from(vol)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::VarParams;

    fn series(n: usize) -> Array1<f64> {
        let mut s = 3u64;
        Array1::from_iter((0..n).map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.04
        }))
    }

    #[test]
    fn sorted_window_matches_direct_sort() {
        let mut r = series(700).to_vec();
        // ties and repeated values exercise the removal search
        for i in (0..700).step_by(13) {
            r[i] = 0.01;
        }
        let rv = r.clone();
        let r = Array1::from(r);
        for rule in [QuantileRule::LowerOrderStatistic, QuantileRule::Linear] {
            for es in [EsEstimator::AcerbiTasche, EsEstimator::MeanBeyondVar] {
                let f = RollingParams::new(0.975, RollingMethod::Historical { rule, es })
                    .unwrap()
                    .with_window(100)
                    .unwrap()
                    .forecast(&r)
                    .unwrap();
                let direct = VarParams::new(0.975, VarMethod::Historical { rule, es }).unwrap();
                for (i, t) in (100..700).enumerate() {
                    let e = direct.estimate(&ndarray::ArrayView1::from(&rv[t - 100..t])).unwrap();
                    assert_eq!(f.var[i], e.var);
                    assert_eq!(f.es.as_ref().unwrap()[i], e.es.unwrap());
                }
            }
        }
    }

    #[test]
    fn window_too_long() {
        let r = series(100);
        assert!(matches!(
            RollingParams::new(0.99, RollingMethod::default()).unwrap().forecast(&r),
            Err(RiskError::TooFewObservations { .. })
        ));
        assert!(
            RollingParams::new(0.99, RollingMethod::default()).unwrap().with_window(1).is_err()
        );
    }

    #[test]
    fn garch_rolling_runs() {
        let r = series(400);
        let f = RollingParams::new(
            0.99,
            RollingMethod::Garch { params: GarchParams::new(), refit_every: 50 },
        )
        .unwrap()
        .forecast(&r)
        .unwrap();
        assert_eq!(f.var.len(), 150);
        assert!(f.var.iter().all(|v| v.is_finite() && *v > 0.0));
    }
}
