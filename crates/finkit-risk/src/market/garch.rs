//! GARCH(1,1) with a constant mean, normal or standardised Student-t innovations, fitted by
//! maximum likelihood with arch's backcast initialisation.
//!
//! The optimiser is a damped Newton method (Levenberg–Marquardt on the exact analytic Hessian,
//! computed by differentiating the variance recursion twice) on the series rescaled to unit
//! variance: deterministic, no tuning, and converged in a handful of likelihood passes.

use ndarray::{Array1, ArrayRef1};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal, StudentT};
use rayon::prelude::*;
use statrs::function::gamma::{digamma, ln_gamma};

use super::var::{
    EsEstimator, QuantileRule, VarEstimate, hs_es_sorted, hs_var_sorted, norm_quantile, phi,
    student_t_tail,
};
use super::{check_finite, check_level, contiguous, np_sum};
use crate::{RiskError, VolatilityModel, VolatilityPath};

/// Lower bound of the Student-t degrees of freedom during estimation (arch's bound).
pub const NU_MIN: f64 = 2.05;
/// Upper bound of the Student-t degrees of freedom during estimation (arch's bound).
pub const NU_MAX: f64 = 500.0;
/// Number of leading residuals in the backcast (arch: `min(75, n)`).
pub const BACKCAST_LENGTH: usize = 75;
/// Decay of the backcast weights (arch: `0.94^i`, normalised).
pub const BACKCAST_DECAY: f64 = 0.94;

/// The innovation distribution of the GARCH model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Innovation {
    /// Standard normal (the default).
    #[default]
    Normal,
    /// Student-t standardised to variance 1, with estimated degrees of freedom ν > 2.
    StudentT,
}

// The spellings are the CLI's `--dist` values (a contract).
finkit_schema::spelled_enum!(Innovation, "innovation distribution", [
    Innovation::Normal => "normal",
    Innovation::StudentT => "t",
]);

/// The units in which the model is estimated and its coefficients are reported.
///
/// Inputs are always decimal returns; `Percent` estimates on `100·r` as arch users do (and
/// as the reference fit does). The log-likelihoods differ by `n·ln 100`; both are reported.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum GarchUnits {
    /// `y = 100·r` (the default).
    #[default]
    Percent,
    /// `y = r`.
    Decimal,
}

impl GarchUnits {
    /// Multiplier from decimal returns to the model's units.
    #[must_use]
    pub fn scale(self) -> f64 {
        match self {
            GarchUnits::Percent => 100.0,
            GarchUnits::Decimal => 1.0,
        }
    }
}

/// Coefficients of a GARCH(1,1) with constant mean, in the model's units.
///
/// # Formula
/// ```text
/// y_t = μ + e_t,  e_t = σ_t z_t,  σ²_t = ω + α e²_{t−1} + β σ²_{t−1},
/// σ²_0 = ω + (α + β)·bc,   bc = Σ_{i<75} w_i (y_i − ȳ)²,  w_i ∝ 0.94^i  (arch's backcast)
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct GarchCoefficients {
    /// Constant mean μ.
    pub mu: f64,
    /// Variance intercept ω > 0.
    pub omega: f64,
    /// ARCH coefficient α ≥ 0.
    pub alpha: f64,
    /// GARCH coefficient β ≥ 0 (α + β ≤ 1).
    pub beta: f64,
    /// Degrees of freedom ν of the standardised Student-t; `None` for normal innovations.
    pub nu: Option<f64>,
}

impl GarchCoefficients {
    fn validate(&self, innovation: Innovation) -> Result<(), RiskError> {
        let bad = |name: &'static str, v: f64, reason: &'static str| {
            Err(RiskError::InvalidParameter { name, value: v.to_string(), reason })
        };
        if !self.mu.is_finite() {
            return bad("mu", self.mu, "must be finite");
        }
        if !(self.omega.is_finite() && self.omega > 0.0) {
            return bad("omega", self.omega, "must be finite and positive");
        }
        if !(self.alpha.is_finite() && self.alpha >= 0.0) {
            return bad("alpha", self.alpha, "must be finite and non-negative");
        }
        if !(self.beta.is_finite() && self.beta >= 0.0) {
            return bad("beta", self.beta, "must be finite and non-negative");
        }
        match (innovation, self.nu) {
            (Innovation::Normal, None) => Ok(()),
            (Innovation::StudentT, Some(nu)) if nu.is_finite() && nu > 2.0 => Ok(()),
            (Innovation::StudentT, Some(nu)) => bad("nu", nu, "must be finite and greater than 2"),
            (Innovation::StudentT, None) => bad("nu", f64::NAN, "student-t innovations need nu"),
            (Innovation::Normal, Some(nu)) => bad("nu", nu, "normal innovations take no nu"),
        }
    }

    fn theta(&self) -> [f64; 5] {
        [self.mu, self.omega, self.alpha, self.beta, self.nu.unwrap_or(f64::NAN)]
    }

    /// α + β.
    #[must_use]
    pub fn persistence(&self) -> f64 {
        self.alpha + self.beta
    }
}

/// Series shorter than this are fitted from every grid start under [`StartStrategy::Auto`].
pub const AUTO_MULTI_START_BELOW: usize = 1000;

/// Where the likelihood maximisation starts.
///
/// The grid is eight (α, β) pairs — (0.05, 0.90), (0.02, 0.97), (0.10, 0.85), (0.07, 0.92), (0.03, 0.95),
/// (0.15, 0.60), (0.20, 0.50), (0.10, 0.30) — at the sample mean with ω matching the sample
/// variance and ν = 8; they are ranked by their log-likelihood on the first
/// [`AUTO_MULTI_START_BELOW`] returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum StartStrategy {
    /// Every grid start for series shorter than [`AUTO_MULTI_START_BELOW`] (their likelihood
    /// is often multimodal), the best grid start otherwise (the default).
    #[default]
    Auto,
    /// The best grid start (or the caller's start); the other grid starts only when that
    /// optimum lies on the boundary α = 0, β = 0 or α + β = 1.
    BestGridPoint,
    /// The best grid start (or the caller's) and then every other grid start; the best
    /// optimum is kept.
    AllGridPoints,
}

/// Specification of a GARCH(1,1) estimation (validated builder).
///
/// ```
/// use finkit_risk::market::{GarchParams, Innovation};
/// use ndarray::Array1;
///
/// // a deterministic pseudo-random series
/// let mut s = 1u64;
/// let r = Array1::from_iter((0..1500).map(|_| {
///     s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
///     ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.04
/// }));
/// let fit = GarchParams::new().innovation(Innovation::Normal).fit(&r)?;
/// assert!(fit.coefficients.persistence() <= 1.0);
/// let next = fit.var_forecast(0.99)?;
/// assert!(next.var > 0.0);
/// # Ok::<(), finkit_risk::RiskError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct GarchParams {
    innovation: Innovation,
    units: GarchUnits,
    starts: StartStrategy,
    max_iterations: usize,
    tolerance: f64,
}

impl Default for GarchParams {
    fn default() -> Self {
        Self {
            innovation: Innovation::Normal,
            units: GarchUnits::Percent,
            starts: StartStrategy::Auto,
            max_iterations: 200,
            tolerance: 1e-10,
        }
    }
}

/// Minimum number of returns for a GARCH fit.
pub const GARCH_MIN_OBSERVATIONS: usize = 10;

/// Largest accepted Newton iteration cap of a GARCH fit (a converging fit needs a few dozen).
pub const GARCH_MAX_ITERATIONS: usize = 100_000;

impl GarchParams {
    /// Defaults: normal innovations, percent units, at most 200 Newton iterations, stop when
    /// the Newton decrement `gᵀ(−H)⁻¹g` falls below 1e-10.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the innovation distribution.
    #[must_use]
    pub fn innovation(mut self, innovation: Innovation) -> Self {
        self.innovation = innovation;
        self
    }

    /// Sets the estimation units.
    #[must_use]
    pub fn units(mut self, units: GarchUnits) -> Self {
        self.units = units;
        self
    }

    /// Sets the starting-value strategy.
    #[must_use]
    pub fn starts(mut self, starts: StartStrategy) -> Self {
        self.starts = starts;
        self
    }

    /// Sets the iteration cap, in `1..=`[`GARCH_MAX_ITERATIONS`]; checked by
    /// [`GarchParams::check`] (and so by every fit), never clamped.
    #[must_use]
    pub fn max_iterations(mut self, n: usize) -> Self {
        self.max_iterations = n;
        self
    }

    /// Sets the convergence tolerance on the Newton decrement (log-likelihood units), finite and
    /// positive; checked by [`GarchParams::check`] (and so by every fit).
    #[must_use]
    pub fn tolerance(mut self, tol: f64) -> Self {
        self.tolerance = tol;
        self
    }

    /// Validates the parameters on their own (data-dependent checks happen in the fit, which
    /// calls this first).
    ///
    /// ```
    /// use finkit_risk::market::GarchParams;
    /// assert!(GarchParams::new().max_iterations(0).check().is_err());
    /// assert!(GarchParams::new().tolerance(f64::NAN).check().is_err());
    /// assert!(GarchParams::new().max_iterations(500).check().is_ok());
    /// ```
    ///
    /// # Errors
    /// [`RiskError::InvalidParameter`] for an iteration cap outside `1..=`
    /// [`GARCH_MAX_ITERATIONS`] or a tolerance that is not finite and positive.
    pub fn check(&self) -> Result<(), RiskError> {
        if !(1..=GARCH_MAX_ITERATIONS).contains(&self.max_iterations) {
            return Err(RiskError::InvalidParameter {
                name: "max_iterations",
                value: self.max_iterations.to_string(),
                reason: "must be between 1 and GARCH_MAX_ITERATIONS (100000)",
            });
        }
        if !(self.tolerance.is_finite() && self.tolerance > 0.0) {
            return Err(RiskError::InvalidParameter {
                name: "tolerance",
                value: self.tolerance.to_string(),
                reason: "must be finite and positive",
            });
        }
        Ok(())
    }

    /// The innovation distribution.
    #[must_use]
    pub fn get_innovation(&self) -> Innovation {
        self.innovation
    }

    /// The estimation units.
    #[must_use]
    pub fn get_units(&self) -> GarchUnits {
        self.units
    }

    /// Log-likelihood of decimal `returns` at `coefficients` (given in this spec's units), with
    /// arch's backcast computed at the sample mean. In this spec's units; add `n·ln(scale)` for
    /// decimal units.
    ///
    /// # Errors
    /// Empty or non-finite returns, or invalid coefficients.
    pub fn loglikelihood(
        &self,
        returns: &ArrayRef1<f64>,
        coefficients: &GarchCoefficients,
    ) -> Result<f64, RiskError> {
        coefficients.validate(self.innovation)?;
        let y = self.scaled(returns)?;
        let bc = backcast(&y);
        Ok(Problem::new(&y, bc, self.innovation).loglik(&coefficients.theta()))
    }

    fn scaled(&self, returns: &ArrayRef1<f64>) -> Result<Vec<f64>, RiskError> {
        let r = contiguous(returns);
        check_finite("returns", &r)?;
        let c = self.units.scale();
        Ok(r.iter().map(|&x| c * x).collect())
    }

    /// Fits the model to decimal `returns` by maximum likelihood.
    ///
    /// # Errors
    /// [`RiskError::Empty`], [`RiskError::NonFinite`], [`RiskError::TooFewObservations`] (fewer
    /// than [`GARCH_MIN_OBSERVATIONS`]), [`RiskError::InvalidParameter`] for a constant series.
    #[cfg_attr(feature = "tracing", tracing::instrument(level = "info", skip_all, name = "garch.fit", fields(observations = returns.len())))]
    pub fn fit(&self, returns: &ArrayRef1<f64>) -> Result<GarchFit, RiskError> {
        self.fit_from(returns, None)
    }

    /// Fits starting from `start` (in this spec's units) instead of the built-in grid; useful
    /// for re-estimation on a rolling window.
    ///
    /// # Errors
    /// As [`GarchParams::fit`], plus invalid `start` coefficients.
    pub fn fit_from(
        &self,
        returns: &ArrayRef1<f64>,
        start: Option<&GarchCoefficients>,
    ) -> Result<GarchFit, RiskError> {
        if let Some(s) = start {
            s.validate(self.innovation)?;
        }
        let y = self.scaled(returns)?;
        self.fit_scaled(&y, start)
    }

    pub(crate) fn fit_scaled(
        &self,
        y: &[f64],
        start: Option<&GarchCoefficients>,
    ) -> Result<GarchFit, RiskError> {
        self.check()?;
        let n = y.len();
        if n < GARCH_MIN_OBSERVATIONS {
            return Err(RiskError::TooFewObservations {
                what: "garch fit",
                needed: GARCH_MIN_OBSERVATIONS,
                got: n,
            });
        }
        let mean = np_sum(y) / n as f64;
        let var = y.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
        if !(var > 0.0 && var.is_finite()) {
            return Err(RiskError::InvalidParameter {
                name: "returns",
                value: format!("variance {var}"),
                reason: "a garch model needs a series with positive finite variance",
            });
        }
        // Estimate on the series scaled to unit variance: the Newton step and its damping are
        // then scale-free whatever the units. Coefficients map back exactly afterwards.
        let c = var.sqrt();
        let z: Vec<f64> = y.iter().map(|v| v / c).collect();
        let bc_z = backcast(&z);
        let t = self.innovation == Innovation::StudentT;
        let prob = Problem::new(&z, bc_z, self.innovation);
        let theta0 = match start {
            Some(s) => {
                let mut th = s.theta();
                th[0] /= c;
                th[1] /= c * c;
                // a start on the boundary would stall the interior steps
                th[2] = th[2].max(1e-4);
                th[3] = th[3].max(1e-4);
                let p = th[2] + th[3];
                if p > 0.999 {
                    th[2] *= 0.999 / p;
                    th[3] *= 0.999 / p;
                }
                th[1] = th[1].max(1e-8);
                if t {
                    th[4] = th[4].clamp(NU_MIN + 0.1, NU_MAX - 1.0);
                }
                th
            }
            None => prob.grid_starts(mean / c)[0],
        };
        let (mut theta, mut iterations, mut converged) =
            prob.maximise(theta0, self.max_iterations, self.tolerance);
        // On short series the likelihood often has several local maxima (a high- and a
        // medium-persistence one; others on the faces α = 0 / β = 0 / α + β = 1 where β is not
        // identified at α = 0). Depending on the strategy, every grid start is tried, or only
        // when the first optimum lies on the boundary; the best optimum is kept.
        let on_boundary =
            theta[2] <= 0.0 || theta[3] <= 0.0 || theta[2] + theta[3] >= 1.0 - FACE_TOL;
        let all = match self.starts {
            StartStrategy::Auto => n < AUTO_MULTI_START_BELOW || on_boundary,
            StartStrategy::BestGridPoint => on_boundary,
            StartStrategy::AllGridPoints => true,
        };
        if all {
            let mut best = prob.loglik(&theta);
            for th0 in prob.grid_starts(mean / c) {
                if th0 == theta0 {
                    continue;
                }
                let (th, it, conv) = prob.maximise(th0, self.max_iterations, self.tolerance);
                iterations += it;
                let ll = prob.loglik(&th);
                if ll > best + 1e-9 {
                    best = ll;
                    theta = th;
                    converged = conv;
                }
            }
        }
        let coefficients = GarchCoefficients {
            mu: theta[0] * c,
            omega: theta[1] * c * c,
            alpha: theta[2],
            beta: theta[3],
            nu: t.then_some(theta[4]),
        };
        Ok(self.build_fit(y, coefficients, iterations, converged))
    }

    /// The fit object at given coefficients on scaled data `y`.
    fn build_fit(
        &self,
        y: &[f64],
        coefficients: GarchCoefficients,
        iterations: usize,
        converged: bool,
    ) -> GarchFit {
        let n = y.len();
        let bc = backcast(y);
        let prob_y = Problem::new(y, bc, self.innovation);
        let th_y = coefficients.theta();
        let loglik = prob_y.loglik(&th_y);
        let (variances, next) = prob_y.variances(&th_y);
        let ln_scale = n as f64 * self.units.scale().ln();
        GarchFit {
            coefficients,
            innovation: self.innovation,
            units: self.units,
            loglik,
            loglik_decimal: loglik + ln_scale,
            backcast: bc,
            n_obs: n,
            iterations,
            converged,
            conditional_variance: Array1::from(variances),
            next_variance: next,
        }
    }

    /// A [`GarchFit`] at given `coefficients` (in this spec's units) without estimation: the
    /// log-likelihood, conditional variances and forecasts of those coefficients on decimal
    /// `returns` (`iterations` = 0, `converged` = false).
    ///
    /// # Errors
    /// Empty or non-finite returns, or invalid coefficients.
    pub fn at_coefficients(
        &self,
        returns: &ArrayRef1<f64>,
        coefficients: &GarchCoefficients,
    ) -> Result<GarchFit, RiskError> {
        coefficients.validate(self.innovation)?;
        let y = self.scaled(returns)?;
        Ok(self.build_fit(&y, *coefficients, 0, false))
    }
}

/// arch's backcast of a GARCH(1,1): exponentially weighted mean of the first (up to 75)
/// squared residuals `(y − ȳ)²`, weights `0.94^i` normalised.
pub(crate) fn backcast(y: &[f64]) -> f64 {
    let n = y.len();
    let mean = np_sum(y) / n as f64;
    let tau = n.min(BACKCAST_LENGTH);
    let mut w = Vec::with_capacity(tau);
    let mut wi = 1.0;
    for _ in 0..tau {
        w.push(wi);
        wi *= BACKCAST_DECAY;
    }
    let sw = np_sum(&w);
    let terms: Vec<f64> = (0..tau)
        .map(|i| {
            let e = y[i] - mean;
            e * e * (w[i] / sw)
        })
        .collect();
    np_sum(&terms)
}

/// A fitted GARCH(1,1).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct GarchFit {
    /// The estimated coefficients, in `units`.
    pub coefficients: GarchCoefficients,
    /// The innovation distribution.
    pub innovation: Innovation,
    /// The units of the coefficients, variances and `loglik`.
    pub units: GarchUnits,
    /// Maximised log-likelihood in `units`.
    pub loglik: f64,
    /// The same log-likelihood for decimal returns (`loglik + n·ln(scale)`).
    pub loglik_decimal: f64,
    /// The backcast σ² (in `units`²) used to start the recursion.
    pub backcast: f64,
    /// Number of returns.
    pub n_obs: usize,
    /// Newton iterations taken.
    pub iterations: usize,
    /// Whether the Newton decrement fell below the tolerance (false: iteration cap reached or
    /// no further ascent possible, e.g. an optimum on the boundary α = 0 or α + β = 1).
    pub converged: bool,
    /// In-sample conditional variances σ²_t (in `units`²), one per return.
    pub conditional_variance: Array1<f64>,
    /// One-step-ahead forecast σ²_{n} (in `units`²) after the last return.
    pub next_variance: f64,
}

impl GarchFit {
    fn scale(&self) -> f64 {
        self.units.scale()
    }

    /// Conditional volatilities σ_t in decimal units.
    #[must_use]
    pub fn conditional_volatility_decimal(&self) -> Array1<f64> {
        let c = self.scale();
        self.conditional_variance.mapv(|v| v.sqrt() / c)
    }

    /// Variance forecasts (decimal units²) for horizons 1..=h after the last return.
    ///
    /// # Formula
    /// ```text
    /// σ²_{n+1} = ω + α e²_n + β σ²_n,   σ²_{n+k} = ω + (α+β) σ²_{n+k−1}
    /// ```
    #[must_use]
    pub fn forecast_variance(&self, horizon: usize) -> Array1<f64> {
        let c2 = self.scale() * self.scale();
        let k = &self.coefficients;
        let mut v = self.next_variance;
        let mut out = Vec::with_capacity(horizon);
        for _ in 0..horizon {
            out.push(v / c2);
            v = k.omega + (k.alpha + k.beta) * v;
        }
        Array1::from(out)
    }

    /// Next-day VaR and ES (decimal, positive losses) from the fitted conditional distribution.
    ///
    /// # Formula
    /// ```text
    /// normal: VaR = −(μ + σ z_p)/c,  ES = (−μ + σ φ(z_p)/p)/c
    /// t:      s = √((ν−2)/ν), VaR = −(μ + σ s t_ν⁻¹(p))/c,
    ///         ES = (−μ + σ s (ν+t²)/(ν−1) f_ν(t)/p)/c   (c = 100 in percent units)
    /// ```
    ///
    /// # Errors
    /// [`RiskError::InvalidParameter`] if `level` is not strictly between 0 and 1.
    pub fn var_forecast(&self, level: f64) -> Result<VarEstimate, RiskError> {
        check_level(level)?;
        Ok(conditional_var(&self.coefficients, self.next_variance, 1.0 - level, self.scale()))
    }

    /// Simulated `horizon`-day losses (decimal, `−Σ r`) from the fitted model, starting after
    /// the last return. Paths are drawn in blocks of 1024, each block from its own ChaCha8
    /// stream `(seed, block)`, so the result does not depend on the number of threads.
    ///
    /// # Errors
    /// [`RiskError::InvalidParameter`] for zero paths or a zero horizon.
    #[cfg_attr(
        feature = "tracing",
        tracing::instrument(
            level = "info",
            skip_all,
            name = "garch.simulate_losses",
            fields(horizon, n_paths, seed)
        )
    )]
    pub fn simulate_losses(
        &self,
        horizon: usize,
        n_paths: usize,
        seed: u64,
    ) -> Result<Array1<f64>, RiskError> {
        if n_paths == 0 || horizon == 0 {
            return Err(RiskError::InvalidParameter {
                name: if n_paths == 0 { "n_paths" } else { "horizon" },
                value: "0".into(),
                reason: "must be at least 1",
            });
        }
        const BLOCK: usize = 1024;
        let k = self.coefficients;
        let c = self.scale();
        let h0 = self.next_variance;
        let tdist = match k.nu {
            Some(nu) => Some((
                StudentT::new(nu).map_err(|_| RiskError::InvalidParameter {
                    name: "nu",
                    value: nu.to_string(),
                    reason: "invalid degrees of freedom",
                })?,
                ((nu - 2.0) / nu).sqrt(),
            )),
            None => None,
        };
        let mut out = vec![0.0; n_paths];
        out.par_chunks_mut(BLOCK).enumerate().for_each(|(block, chunk)| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(block as u64);
            for slot in chunk.iter_mut() {
                let mut h = h0;
                let mut total = 0.0;
                for _ in 0..horizon {
                    let z: f64 = match &tdist {
                        Some((d, s)) => d.sample(&mut rng) * s,
                        None => StandardNormal.sample(&mut rng),
                    };
                    let e = h.sqrt() * z;
                    total += k.mu + e;
                    h = k.omega + k.alpha * e * e + k.beta * h;
                }
                *slot = -total / c;
            }
        });
        Ok(Array1::from(out))
    }

    /// Monte Carlo VaR and ES (decimal, positive losses) of the `horizon`-day loss, from
    /// [`GarchFit::simulate_losses`], with type-1 VaR and Acerbi–Tasche ES of the simulated
    /// sample.
    ///
    /// # Errors
    /// As [`GarchFit::simulate_losses`], plus a `level` outside (0, 1).
    pub fn monte_carlo_var(
        &self,
        level: f64,
        horizon: usize,
        n_paths: usize,
        seed: u64,
    ) -> Result<VarEstimate, RiskError> {
        check_level(level)?;
        let losses = self.simulate_losses(horizon, n_paths, seed)?;
        let mut pnl: Vec<f64> = losses.iter().map(|l| -l).collect();
        pnl.sort_unstable_by(f64::total_cmp);
        let p = 1.0 - level;
        Ok(VarEstimate {
            var: hs_var_sorted(&pnl, p, QuantileRule::LowerOrderStatistic),
            es: Some(hs_es_sorted(
                &pnl,
                p,
                QuantileRule::LowerOrderStatistic,
                EsEstimator::AcerbiTasche,
            )),
        })
    }
}

/// VaR/ES (decimal) of `μ + √h · innovation` with the model's distribution.
pub(crate) fn conditional_var(k: &GarchCoefficients, h: f64, p: f64, scale: f64) -> VarEstimate {
    let sig = h.sqrt();
    match k.nu {
        None => {
            let z = norm_quantile(p);
            VarEstimate {
                var: -(k.mu + sig * z) / scale,
                es: Some((-k.mu + sig * phi(z) / p) / scale),
            }
        }
        Some(nu) => {
            let s = sig * ((nu - 2.0) / nu).sqrt();
            let (q, tail) = student_t_tail(nu, p);
            VarEstimate { var: -(k.mu + s * q) / scale, es: Some((-k.mu + s * tail) / scale) }
        }
    }
}

impl VolatilityModel for GarchFit {
    /// Applies the fitted coefficients to `returns` (decimal), with the backcast recomputed on
    /// that series (so the fitting series reproduces `conditional_variance`).
    fn filter(&self, returns: &ArrayRef1<f64>) -> Result<VolatilityPath, RiskError> {
        let r = contiguous(returns);
        check_finite("returns", &r)?;
        let c = self.scale();
        let y: Vec<f64> = r.iter().map(|&x| c * x).collect();
        let prob = Problem::new(&y, backcast(&y), self.innovation);
        let (v, next) = prob.variances(&self.coefficients.theta());
        let c2 = c * c;
        Ok(VolatilityPath {
            first_index: 0,
            variances: v.into_iter().map(|x| x / c2).collect(),
            next: next / c2,
        })
    }

    fn name(&self) -> String {
        match self.innovation {
            Innovation::Normal => "GARCH(1,1)-normal".into(),
            Innovation::StudentT => "GARCH(1,1)-t".into(),
        }
    }
}

/// The likelihood problem on one series (in whatever units `y` is).
pub(crate) struct Problem<'a> {
    y: &'a [f64],
    bc: f64,
    t: bool,
}

type Grad = [f64; 5];
type Hess = [[f64; 5]; 5];

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// Trigamma ψ′(x) for x > 0: recurrence to x ≥ 12, then the asymptotic series (error < 1e-13).
fn trigamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 12.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let r = 1.0 / x;
    let r2 = r * r;
    acc + r
        + r2 / 2.0
        + r * r2
            * (1.0 / 6.0
                - r2 * (1.0 / 30.0 - r2 * (1.0 / 42.0 - r2 * (1.0 / 30.0 - r2 * 5.0 / 66.0))))
}

impl<'a> Problem<'a> {
    pub(crate) fn new(y: &'a [f64], bc: f64, innovation: Innovation) -> Self {
        Self { y, bc, t: innovation == Innovation::StudentT }
    }

    fn dim(&self) -> usize {
        if self.t { 5 } else { 4 }
    }

    /// Constant of the standardised-t log density.
    fn t_const(nu: f64) -> f64 {
        ln_gamma((nu + 1.0) / 2.0)
            - ln_gamma(nu / 2.0)
            - 0.5 * (std::f64::consts::PI * (nu - 2.0)).ln()
    }

    /// Conditional variances for every return and the next-day forecast.
    pub(crate) fn variances(&self, th: &[f64; 5]) -> (Vec<f64>, f64) {
        let (mu, om, al, be) = (th[0], th[1], th[2], th[3]);
        let mut h = om + (al + be) * self.bc;
        let mut out = Vec::with_capacity(self.y.len());
        for &y in self.y {
            out.push(h);
            let e = y - mu;
            h = om + al * e * e + be * h;
        }
        (out, h)
    }

    /// Log-likelihood only.
    pub(crate) fn loglik(&self, th: &[f64; 5]) -> f64 {
        let (mu, om, al, be) = (th[0], th[1], th[2], th[3]);
        let mut h = om + (al + be) * self.bc;
        let mut ll = 0.0;
        if self.t {
            let nu = th[4];
            let s = nu - 2.0;
            let a = (nu + 1.0) / 2.0;
            for &y in self.y {
                let e = y - mu;
                let e2 = e * e;
                ll += -0.5 * h.ln() - a * (e2 / (h * s)).ln_1p();
                h = om + al * e2 + be * h;
            }
            ll += self.y.len() as f64 * Self::t_const(nu);
        } else {
            for &y in self.y {
                let e = y - mu;
                let e2 = e * e;
                ll += -0.5 * (LN_2PI + h.ln() + e2 / h);
                h = om + al * e2 + be * h;
            }
        }
        ll
    }

    /// Log-likelihood, gradient and Hessian (exact, by differentiating the recursion).
    #[allow(clippy::needless_range_loop)] // index form mirrors the matrix formulas
    fn derivs(&self, th: &[f64; 5]) -> (f64, Grad, Hess) {
        let (mu, om, al, be) = (th[0], th[1], th[2], th[3]);
        let bc = self.bc;
        let mut h = om + (al + be) * bc;
        // dh/d(mu, omega, alpha, beta)
        let mut dh = [0.0, 1.0, bc, bc];
        // non-zero second derivatives: mm, ma, mb, ob, ab, bb
        let (mut hmm, mut hma, mut hmb, mut hob, mut hab, mut hbb) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        let mut ll = 0.0;
        let mut g = [0.0; 5];
        let mut hs = [[0.0; 5]; 5];
        let (nu, s, a) =
            if self.t { (th[4], th[4] - 2.0, (th[4] + 1.0) / 2.0) } else { (f64::NAN, 1.0, 1.0) };
        let is = 1.0 / s;
        for &y in self.y {
            let e = y - mu;
            let e2 = e * e;
            // per-observation partials of l(e, h[, nu])
            let (l, le, lh, lee, leh, lhh, ln, len, lhn, lnn);
            if self.t {
                // two divisions per observation; everything else is products
                let ih = 1.0 / h;
                let c = e2 * is;
                let u = h + c;
                let iu = 1.0 / u;
                let iu2 = iu * iu;
                let l1q = (c * ih).ln_1p();
                let ac = a * c;
                l = -0.5 * h.ln() - a * l1q;
                le = -2.0 * a * e * is * iu;
                lh = -0.5 * ih + ac * ih * iu;
                lee = -2.0 * a * (h - c) * is * iu2;
                leh = 2.0 * a * e * is * iu2;
                let curv = ac * (2.0 * h + c) * iu2;
                lhh = ih * ih * (0.5 - curv);
                ln = -0.5 * l1q + ac * is * iu;
                len = e * is * iu * (2.0 * a * h * is * iu - 1.0);
                lhn = 0.5 * c * ih * iu - ac * is * iu2;
                lnn = c * is * iu - curv * is * is;
            } else {
                let ih = 1.0 / h;
                let q = e2 * ih;
                l = -0.5 * (LN_2PI + h.ln() + q);
                le = -e * ih;
                lh = 0.5 * ih * (q - 1.0);
                lee = -ih;
                leh = e * ih * ih;
                lhh = ih * ih * (0.5 - q);
                ln = 0.0;
                len = 0.0;
                lhn = 0.0;
                lnn = 0.0;
            }
            ll += l;
            g[0] += lh * dh[0] - le;
            g[1] += lh * dh[1];
            g[2] += lh * dh[2];
            g[3] += lh * dh[3];
            for i in 0..4 {
                let li = lhh * dh[i];
                for j in i..4 {
                    hs[i][j] += li * dh[j];
                }
            }
            hs[0][0] += lee - 2.0 * leh * dh[0] + lh * hmm;
            hs[0][1] -= leh * dh[1];
            hs[0][2] += -leh * dh[2] + lh * hma;
            hs[0][3] += -leh * dh[3] + lh * hmb;
            hs[1][3] += lh * hob;
            hs[2][3] += lh * hab;
            hs[3][3] += lh * hbb;
            if self.t {
                g[4] += ln;
                hs[0][4] += lhn * dh[0] - len;
                hs[1][4] += lhn * dh[1];
                hs[2][4] += lhn * dh[2];
                hs[3][4] += lhn * dh[3];
                hs[4][4] += lnn;
            }
            // advance the recursion (second derivatives first: they use the old dh and h)
            hmm = 2.0 * al + be * hmm;
            hma = -2.0 * e + be * hma;
            hmb = dh[0] + be * hmb;
            hob = dh[1] + be * hob;
            hab = dh[2] + be * hab;
            hbb = 2.0 * dh[3] + be * hbb;
            dh = [-2.0 * al * e + be * dh[0], 1.0 + be * dh[1], e2 + be * dh[2], h + be * dh[3]];
            h = om + al * e2 + be * h;
        }
        if self.t {
            let n = self.y.len() as f64;
            ll += n * Self::t_const(nu);
            let half = nu / 2.0;
            g[4] += n * (0.5 * digamma(a) - 0.5 * digamma(half) - 0.5 / s);
            hs[4][4] += n * (0.25 * trigamma(a) - 0.25 * trigamma(half) + 0.5 / (s * s));
        }
        for i in 0..5 {
            for j in 0..i {
                hs[i][j] = hs[j][i];
            }
        }
        (ll, g, hs)
    }

    fn feasible(&self, th: &[f64; 5]) -> bool {
        let ok = th[0].is_finite()
            && th[1] >= OMEGA_MIN
            && th[1].is_finite()
            && th[2] >= 0.0
            && th[3] >= 0.0
            && th[2] + th[3] <= 1.0 + FACE_TOL;
        ok && (!self.t || (NU_MIN..=NU_MAX).contains(&th[4]))
    }

    /// Starting values, best log-likelihood first: a small grid of (α, β) at the sample mean,
    /// with ω targeting the unit sample variance (the series is standardised).
    fn grid_starts(&self, mean: f64) -> Vec<[f64; 5]> {
        const GRID: [(f64, f64); 8] = [
            (0.05, 0.90),
            (0.02, 0.97),
            (0.10, 0.85),
            (0.07, 0.92),
            (0.03, 0.95),
            (0.15, 0.60),
            (0.20, 0.50),
            (0.10, 0.30),
        ];
        // ranking on a prefix keeps the grid cheap on long series
        let prefix = Problem {
            y: &self.y[..self.y.len().min(AUTO_MULTI_START_BELOW)],
            bc: self.bc,
            t: self.t,
        };
        let mut starts: Vec<([f64; 5], f64)> = GRID
            .iter()
            .map(|&(al, be)| {
                let th = [mean, 1.0 - al - be, al, be, 8.0];
                (th, prefix.loglik(&th))
            })
            .collect();
        starts.sort_by(|a, b| b.1.total_cmp(&a.1));
        starts.into_iter().map(|(th, _)| th).collect()
    }

    fn bound_applies(&self, b: Bound) -> bool {
        self.t || !matches!(b, Bound::NuLow | Bound::NuHigh)
    }

    /// Whether θ sits on bound `b` (within round-off for the persistence face).
    fn at_bound(th: &[f64; 5], b: Bound) -> bool {
        match b {
            Bound::OmegaLow => th[1] <= OMEGA_MIN,
            Bound::AlphaLow => th[2] <= 0.0,
            Bound::BetaLow => th[3] <= 0.0,
            Bound::Persistence => th[2] + th[3] >= 1.0 - FACE_TOL,
            Bound::NuLow => th[4] <= NU_MIN,
            Bound::NuHigh => th[4] >= NU_MAX,
        }
    }

    /// Whether the gradient points out of the feasible set through bound `b`.
    fn pushes_out(g: &Grad, b: Bound) -> bool {
        match b {
            Bound::OmegaLow => g[1] < 0.0,
            Bound::AlphaLow => g[2] < 0.0,
            Bound::BetaLow => g[3] < 0.0,
            Bound::Persistence => g[2] + g[3] > 0.0,
            Bound::NuLow => g[4] < 0.0,
            Bound::NuHigh => g[4] > 0.0,
        }
    }

    /// Basis of the directions that keep the active bounds (columns of length 5).
    fn basis(&self, active: &[Bound]) -> Vec<[f64; 5]> {
        let k = self.dim();
        let mut fixed = [false; 5];
        let persist = active.contains(&Bound::Persistence);
        for b in active {
            match b {
                Bound::OmegaLow => fixed[1] = true,
                Bound::AlphaLow => fixed[2] = true,
                Bound::BetaLow => fixed[3] = true,
                Bound::NuLow | Bound::NuHigh => fixed[4] = true,
                Bound::Persistence => {}
            }
        }
        let mut cols = Vec::with_capacity(k);
        for i in 0..k {
            if fixed[i] || (persist && (i == 2 || i == 3)) {
                continue;
            }
            let mut c = [0.0; 5];
            c[i] = 1.0;
            cols.push(c);
        }
        if persist && !fixed[2] && !fixed[3] {
            cols.push([0.0, 0.0, 1.0, -1.0, 0.0]);
        }
        cols
    }

    /// Reduced system `(Zᵀ(−H)Z, Zᵀg)`.
    fn reduce(z: &[[f64; 5]], g: &Grad, hs: &Hess) -> (Vec<Vec<f64>>, Vec<f64>) {
        let m = z.len();
        let gr = z.iter().map(|c| (0..5).map(|i| c[i] * g[i]).sum()).collect();
        let mut hr = vec![vec![0.0; m]; m];
        for (a, ca) in z.iter().enumerate() {
            for (b, cb) in z.iter().enumerate() {
                let mut acc = 0.0;
                for i in 0..5 {
                    if ca[i] == 0.0 {
                        continue;
                    }
                    for j in 0..5 {
                        acc -= ca[i] * hs[i][j] * cb[j];
                    }
                }
                hr[a][b] = acc;
            }
        }
        (hr, gr)
    }

    /// Damped Newton (Levenberg–Marquardt) ascent with an active set for the bounds α ≥ 0,
    /// β ≥ 0, α + β ≤ 1 and ν ∈ [NU_MIN, NU_MAX]: a bound the gradient pushes against is held
    /// and the step taken in the remaining directions, so optima on the boundary (common on
    /// short windows) are reached exactly. Returns (θ, iterations, converged).
    fn maximise(&self, mut th: [f64; 5], max_iter: usize, tol: f64) -> ([f64; 5], usize, bool) {
        let (mut f, mut g, mut hs) = self.derivs(&th);
        let mut lambda = 0.0_f64;
        for iter in 0..max_iter {
            let mut active: Vec<Bound> = Bound::ALL
                .into_iter()
                .filter(|&b| {
                    self.bound_applies(b) && Self::at_bound(&th, b) && Self::pushes_out(&g, b)
                })
                .collect();
            let mut z = self.basis(&active);
            let (mut hr, mut gr) = Self::reduce(&z, &g, &hs);
            // a bound the Newton (or gradient) step runs into at once is held too
            for _ in 0..Bound::ALL.len() {
                let y = chol_solve(&hr, &gr).unwrap_or_else(|| gr.clone());
                let mut d = [0.0; 5];
                for (c, yc) in z.iter().zip(&y) {
                    for i in 0..5 {
                        d[i] += c[i] * yc;
                    }
                }
                match self.limit_step(&th, &d) {
                    (tau, Some(b)) if tau <= 0.0 && !active.contains(&b) => {
                        active.push(b);
                        z = self.basis(&active);
                        (hr, gr) = Self::reduce(&z, &g, &hs);
                    }
                    _ => break,
                }
            }
            // the pure Newton decrement in the free directions decides convergence
            if let Some(y) = chol_solve(&hr, &gr) {
                let dec: f64 = y.iter().zip(&gr).map(|(a, b)| a * b).sum();
                if dec.is_finite() && dec < tol {
                    return (th, iter, true);
                }
            }
            let mut accepted = false;
            while lambda < 1e16 {
                let mut a = hr.clone();
                for (i, row) in a.iter_mut().enumerate() {
                    row[i] += lambda * hr[i][i].abs().max(1e-8);
                }
                let Some(y) = chol_solve(&a, &gr) else {
                    lambda = (lambda * 10.0).max(1e-6);
                    continue;
                };
                let mut d = [0.0; 5];
                for (c, yc) in z.iter().zip(&y) {
                    for i in 0..5 {
                        d[i] += c[i] * yc;
                    }
                }
                let (tau, blocker) = self.limit_step(&th, &d);
                if tau <= 0.0 {
                    // blocked at a bound the gradient does not push against: hold it too
                    match blocker {
                        Some(b) if !active.contains(&b) => {
                            active.push(b);
                            z = self.basis(&active);
                            (hr, gr) = Self::reduce(&z, &g, &hs);
                            continue;
                        }
                        _ => break,
                    }
                }
                let mut trial = th;
                for i in 0..5 {
                    trial[i] += tau * d[i];
                }
                if tau < 1.0 {
                    match blocker {
                        Some(Bound::OmegaLow) => trial[1] = OMEGA_MIN,
                        Some(Bound::AlphaLow) => trial[2] = 0.0,
                        Some(Bound::BetaLow) => trial[3] = 0.0,
                        Some(Bound::Persistence) => trial[3] = 1.0 - trial[2],
                        Some(Bound::NuLow) => trial[4] = NU_MIN,
                        Some(Bound::NuHigh) => trial[4] = NU_MAX,
                        None => {}
                    }
                }
                if active.contains(&Bound::Persistence) {
                    trial[3] = 1.0 - trial[2];
                }
                if trial == th {
                    break;
                }
                if self.feasible(&trial) {
                    let (ft, gt, ht) = self.derivs(&trial);
                    if ft.is_finite() && ft > f {
                        th = trial;
                        f = ft;
                        g = gt;
                        hs = ht;
                        lambda = if lambda < 1e-6 { 0.0 } else { lambda / 10.0 };
                        accepted = true;
                        break;
                    }
                }
                lambda = (lambda * 10.0).max(1e-6);
            }
            if !accepted {
                return (th, iter + 1, false);
            }
        }
        (th, max_iter, false)
    }

    /// The largest fraction τ ≤ 1 of `d` that keeps θ + τd feasible, and the bound that limits
    /// it (bounds are landed on exactly).
    fn limit_step(&self, th: &[f64; 5], d: &[f64; 5]) -> (f64, Option<Bound>) {
        let mut tau = 1.0_f64;
        let mut who = None;
        let mut cap = |room: f64, rate: f64, b: Option<Bound>| {
            if rate > 0.0 {
                let room = if room <= FACE_TOL { 0.0 } else { room };
                let t = room / rate;
                if t < tau {
                    tau = t;
                    who = b;
                }
            }
        };
        cap(th[1] - OMEGA_MIN, -d[1], Some(Bound::OmegaLow));
        cap(th[2], -d[2], Some(Bound::AlphaLow));
        cap(th[3], -d[3], Some(Bound::BetaLow));
        cap(1.0 - th[2] - th[3], d[2] + d[3], Some(Bound::Persistence));
        if self.t {
            cap(th[4] - NU_MIN, -d[4], Some(Bound::NuLow));
            cap(NU_MAX - th[4], d[4], Some(Bound::NuHigh));
        }
        (tau.max(0.0), who)
    }
}

/// Lower bound of ω during estimation, on the series scaled to unit variance (ω must stay
/// positive; an optimum at ω → 0 then lands on this bound instead of creeping towards it).
const OMEGA_MIN: f64 = 1e-12;

/// Round-off allowance on the persistence face α + β = 1.
const FACE_TOL: f64 = 1e-12;

/// The inequality constraints of the estimation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bound {
    OmegaLow,
    AlphaLow,
    BetaLow,
    Persistence,
    NuLow,
    NuHigh,
}

impl Bound {
    const ALL: [Bound; 6] = [
        Bound::OmegaLow,
        Bound::AlphaLow,
        Bound::BetaLow,
        Bound::Persistence,
        Bound::NuLow,
        Bound::NuHigh,
    ];
}

/// Solves `A x = b` for a small symmetric positive definite `A` by Cholesky (nalgebra); `None`
/// if `A` is not positive definite (a pivot that is not positive and finite).
fn chol_solve(a: &[Vec<f64>], b: &[f64]) -> Option<Vec<f64>> {
    let k = b.len();
    let chol = nalgebra::DMatrix::from_fn(k, k, |i, j| a[i][j]).cholesky()?;
    let l = chol.l_dirty();
    if (0..k).any(|i| l[(i, i)] <= 0.0 || !l[(i, i)].is_finite()) {
        return None;
    }
    Some(chol.solve(&nalgebra::DVector::from_column_slice(b)).iter().copied().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn innovation_spellings_round_trip() {
        finkit_schema::check_spellings::<Innovation>().unwrap();
        assert_eq!("t".parse::<Innovation>().unwrap(), Innovation::StudentT);
        assert!("student".parse::<Innovation>().is_err());
    }

    fn series(n: usize) -> Vec<f64> {
        // a GARCH-like deterministic series
        let mut s = 7u64;
        let mut h: f64 = 1.0;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let mut u = 0.0;
            for _ in 0..12 {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                u += (s >> 11) as f64 / (1u64 << 53) as f64;
            }
            let e = h.sqrt() * (u - 6.0);
            out.push(0.05 + e);
            h = 0.05 + 0.1 * e * e + 0.85 * h;
        }
        out
    }

    fn check_derivs(t: bool, th: [f64; 5]) {
        let y = series(400);
        let p = Problem::new(
            &y,
            backcast(&y),
            if t { Innovation::StudentT } else { Innovation::Normal },
        );
        let (f, g, hs) = p.derivs(&th);
        assert!((f - p.loglik(&th)).abs() < 1e-9 * f.abs());
        let k = p.dim();
        for i in 0..k {
            let step = 1e-5 * th[i].abs().max(1e-2);
            let mut a = th;
            let mut b = th;
            a[i] += step;
            b[i] -= step;
            let num = (p.loglik(&a) - p.loglik(&b)) / (2.0 * step);
            assert!((num - g[i]).abs() < 1e-5 * g[i].abs().max(1.0), "grad {i}: {num} vs {}", g[i]);
            let (_, ga, _) = p.derivs(&a);
            let (_, gb, _) = p.derivs(&b);
            for j in 0..k {
                let num = (ga[j] - gb[j]) / (2.0 * step);
                assert!(
                    (num - hs[i][j]).abs() < 1e-5 * hs[i][j].abs().max(1.0),
                    "hess {i},{j}: {num} vs {}",
                    hs[i][j]
                );
            }
        }
    }

    #[test]
    fn analytic_derivatives_match_finite_differences() {
        check_derivs(false, [0.04, 0.06, 0.12, 0.8, f64::NAN]);
        check_derivs(true, [0.04, 0.06, 0.12, 0.8, 6.5]);
    }

    #[test]
    fn trigamma_values() {
        // ψ'(1) = π²/6, ψ'(0.5) = π²/2
        let pi2 = std::f64::consts::PI.powi(2);
        assert!((trigamma(1.0) - pi2 / 6.0).abs() < 1e-13);
        assert!((trigamma(0.5) - pi2 / 2.0).abs() < 1e-13);
    }

    #[test]
    fn fit_recovers_simulated_parameters() {
        let y = series(3000);
        let r: Array1<f64> = y.iter().map(|v| v / 100.0).collect();
        let fit = GarchParams::new().fit(&r).unwrap();
        assert!(fit.converged);
        let k = fit.coefficients;
        assert!((k.alpha - 0.1).abs() < 0.05 && (k.beta - 0.85).abs() < 0.08, "{k:?}");
        let fit_dec = GarchParams::new().units(GarchUnits::Decimal).fit(&r).unwrap();
        assert!((fit_dec.loglik_decimal - fit.loglik_decimal).abs() < 1e-6);
        assert!((fit_dec.coefficients.alpha - k.alpha).abs() < 1e-6);
    }

    #[test]
    fn bad_inputs() {
        let short = Array1::from(vec![0.01; 5]);
        assert!(matches!(
            GarchParams::new().fit(&short),
            Err(RiskError::TooFewObservations { .. })
        ));
        let flat = Array1::from(vec![0.01; 50]);
        assert!(matches!(GarchParams::new().fit(&flat), Err(RiskError::InvalidParameter { .. })));
    }
}
