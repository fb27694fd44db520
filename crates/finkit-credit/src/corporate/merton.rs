//! The Merton (1974) structural model solved for the unobserved asset value and asset
//! volatility, and the KMV-style default point.

use finkit_schema::{Maturity, Probability, Rate};

use super::{finite, positive};
use crate::{CreditError, FeatureRecord, PdModel};
use finkit_numerics::normal::{cdf as norm_cdf, pdf as norm_pdf};

/// Inputs of the Merton model, validated by [`MertonInputs::new`] / [`MertonInputs::kmv`];
/// deserialisation runs the same checks.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "RawMertonInputs"))]
pub struct MertonInputs {
    equity_value: f64,
    equity_volatility: f64,
    default_point: f64,
    rate: f64,
    horizon: f64,
}

/// The serialised form of [`MertonInputs`], validated when read.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawMertonInputs {
    equity_value: f64,
    equity_volatility: f64,
    default_point: f64,
    rate: f64,
    horizon: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<RawMertonInputs> for MertonInputs {
    type Error = CreditError;
    fn try_from(r: RawMertonInputs) -> Result<Self, CreditError> {
        MertonInputs::new(r.equity_value, r.equity_volatility, r.default_point, r.rate, r.horizon)
    }
}

impl MertonInputs {
    /// Market value of equity E (> 0).
    #[must_use]
    pub fn equity_value(&self) -> f64 {
        self.equity_value
    }
    /// Annualised equity volatility σ_E (> 0).
    #[must_use]
    pub fn equity_volatility(&self) -> f64 {
        self.equity_volatility
    }
    /// Default point D (> 0): the face value of debt due at the horizon, or the KMV point.
    #[must_use]
    pub fn default_point(&self) -> f64 {
        self.default_point
    }
    /// Continuously compounded risk-free rate r.
    #[must_use]
    pub fn rate(&self) -> f64 {
        self.rate
    }
    /// Horizon T in years (> 0).
    #[must_use]
    pub fn horizon(&self) -> f64 {
        self.horizon
    }

    /// Validated inputs, with the default point given directly.
    ///
    /// # Errors
    ///
    /// [`CreditError::NonFinite`] / [`CreditError::InvalidParameter`] for a non-finite input or
    /// a non-positive equity value, volatility, default point or horizon.
    pub fn new(
        equity_value: f64,
        equity_volatility: f64,
        default_point: f64,
        rate: f64,
        horizon: f64,
    ) -> Result<MertonInputs, CreditError> {
        Ok(MertonInputs {
            equity_value: positive("equity_value", equity_value)?,
            equity_volatility: positive("equity_volatility", equity_volatility)?,
            default_point: positive("default_point", default_point)?,
            rate: finite("rate", rate)?,
            horizon: positive("horizon", horizon)?,
        })
    }

    /// Validated inputs with the KMV default point, short-term debt + ½ long-term debt.
    ///
    /// # Errors
    ///
    /// As [`MertonInputs::new`] and [`kmv_default_point`].
    pub fn kmv(
        equity_value: f64,
        equity_volatility: f64,
        short_term_debt: f64,
        long_term_debt: f64,
        rate: f64,
        horizon: f64,
    ) -> Result<MertonInputs, CreditError> {
        let d = kmv_default_point(short_term_debt, long_term_debt)?;
        MertonInputs::new(equity_value, equity_volatility, d, rate, horizon)
    }
}

/// The KMV default point: short-term debt plus half the long-term debt.
///
/// # Errors
///
/// [`CreditError::NonFinite`] for a non-finite amount, [`CreditError::InvalidParameter`] for a
/// negative amount or a zero default point.
pub fn kmv_default_point(short_term_debt: f64, long_term_debt: f64) -> Result<f64, CreditError> {
    for (name, v) in [("short_term_debt", short_term_debt), ("long_term_debt", long_term_debt)] {
        finite(name, v)?;
        if v < 0.0 {
            return Err(CreditError::InvalidParameter {
                name,
                value: v.to_string(),
                reason: "must be >= 0",
            });
        }
    }
    positive("default_point", short_term_debt + 0.5 * long_term_debt)
}

/// The drift of the asset value in the distance to default.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Drift {
    /// The risk-free rate: DD = d2 and PD = N(−d2), the risk-neutral PD (Hull). Default.
    #[default]
    RiskNeutral,
    /// A physical (real-world) expected asset return μ: DD = (ln(V/D) + (μ − σ_V²/2)T)/(σ_V√T).
    Physical(f64),
}

/// The solver of the two Merton equations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum MertonMethod {
    /// 2-D Newton with an analytic Jacobian and step halving; falls back to
    /// [`MertonMethod::Bisection`] if it fails. Default.
    #[default]
    Newton,
    /// Nested bisection: V from the equity equation for a given σ_V, then σ_V from the
    /// volatility equation. Slower, but always brackets the root.
    Bisection,
}

/// Options of [`solve_merton`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MertonOptions {
    /// The drift used in the distance to default and PD.
    pub drift: Drift,
    /// The solver to try first.
    pub method: MertonMethod,
}

/// The solved Merton model.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct MertonFit {
    /// Asset value V.
    pub asset_value: f64,
    /// Asset volatility σ_V.
    pub asset_volatility: f64,
    /// d1 of the equity call.
    pub d1: f64,
    /// d2 = d1 − σ_V√T.
    pub d2: f64,
    /// Distance to default under the chosen [`Drift`] (= d2 when risk-neutral).
    pub distance_to_default: f64,
    /// PD = N(−DD).
    pub pd: f64,
    /// Market value of debt, V − E.
    pub market_value_debt: f64,
    /// The solver that produced the answer.
    pub method: MertonMethod,
    /// Iterations of that solver.
    pub iterations: usize,
}

/// Equity-call pricing terms at (V, σ_V).
fn d1_d2(inp: &MertonInputs, v: f64, s: f64) -> (f64, f64) {
    let sq = inp.horizon.sqrt();
    let d1 = ((v / inp.default_point).ln() + (inp.rate + 0.5 * s * s) * inp.horizon) / (s * sq);
    (d1, d1 - s * sq)
}

/// Scaled residuals of the two equations and their Jacobian.
fn system(inp: &MertonInputs, v: f64, s: f64) -> ([f64; 2], [[f64; 2]; 2]) {
    let (d1, d2) = d1_d2(inp, v, s);
    let disc = inp.default_point * (-inp.rate * inp.horizon).exp();
    let (n1, n2, p1) = (norm_cdf(d1), norm_cdf(d2), norm_pdf(d1));
    let sq = inp.horizon.sqrt();
    let (e, se) = (inp.equity_value, inp.equity_volatility);
    // Scaled by E and σ_E·E so both residuals are relative.
    let f1 = (v * n1 - disc * n2 - e) / e;
    let f2 = (n1 * s * v - se * e) / (se * e);
    let j = [
        [n1 / e, v * p1 * sq / e],
        [(n1 * s + p1 / sq) / (se * e), (n1 * v - v * p1 * d2) / (se * e)],
    ];
    ([f1, f2], j)
}

fn newton(inp: &MertonInputs) -> Option<(f64, f64, usize)> {
    let mut v = inp.equity_value + inp.default_point * (-inp.rate * inp.horizon).exp();
    let mut s = inp.equity_volatility * inp.equity_value / v;
    let (mut f, mut j) = system(inp, v, s);
    let mut norm = f[0].hypot(f[1]);
    for it in 1..=100 {
        let det = j[0][0] * j[1][1] - j[0][1] * j[1][0];
        if !(det.is_finite() && det != 0.0) {
            return None;
        }
        let dv = (-f[0] * j[1][1] + f[1] * j[0][1]) / det;
        let ds = (-f[1] * j[0][0] + f[0] * j[1][0]) / det;
        let mut t = 1.0;
        loop {
            let (nv, ns) = (v + t * dv, s + t * ds);
            if nv > 0.0 && ns > 0.0 {
                let (nf, nj) = system(inp, nv, ns);
                let nn = nf[0].hypot(nf[1]);
                if nn.is_finite() && (nn < norm || nn <= 1e-15) {
                    v = nv;
                    s = ns;
                    f = nf;
                    j = nj;
                    norm = nn;
                    break;
                }
            }
            t *= 0.5;
            if t < 1e-10 {
                // No decrease: at the root to rounding, or stuck.
                return (norm <= 1e-13).then_some((v, s, it));
            }
        }
        if norm <= 1e-15 || (t * dv / v).abs().max((t * ds / s).abs()) <= 1e-15 {
            return Some((v, s, it));
        }
    }
    None
}

/// Bisection of a function that is negative at `lo` and positive at `hi`.
fn bisect(mut lo: f64, mut hi: f64, f: impl Fn(f64) -> f64) -> (f64, usize) {
    for it in 1..=400 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            return (mid, it);
        }
        if f(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (0.5 * (lo + hi), 400)
}

fn nested_bisection(inp: &MertonInputs) -> Result<(f64, f64, usize), CreditError> {
    let disc = inp.default_point * (-inp.rate * inp.horizon).exp();
    let e = inp.equity_value;
    // For a given σ_V the equity (a call on V) is increasing in V, with E ≤ V ≤ E + D·e^{−rT}.
    let asset_value = |s: f64| {
        let call = |v: f64| {
            let (d1, d2) = d1_d2(inp, v, s);
            v * norm_cdf(d1) - disc * norm_cdf(d2) - e
        };
        bisect(e, e + disc, call).0
    };
    let h = |s: f64| {
        let v = asset_value(s);
        let (d1, _) = d1_d2(inp, v, s);
        norm_cdf(d1) * s * v - inp.equity_volatility * e
    };
    let lo = inp.equity_volatility * 1e-9;
    let mut hi = inp.equity_volatility;
    let mut doublings = 0;
    while h(hi) <= 0.0 {
        hi *= 2.0;
        doublings += 1;
        if doublings > 200 {
            return Err(CreditError::NotConverged {
                solver: "merton bisection (bracket)",
                iterations: doublings,
                last_change: hi,
            });
        }
    }
    if h(lo) >= 0.0 {
        return Err(CreditError::NotConverged {
            solver: "merton bisection (bracket)",
            iterations: 0,
            last_change: lo,
        });
    }
    let (s, it) = bisect(lo, hi, h);
    Ok((asset_value(s), s, it))
}

/// Solves the Merton model for asset value and volatility.
///
/// # Formula
///
/// ```text
/// E       = V·N(d1) − D·e^{−rT}·N(d2)
/// σ_E·E   = N(d1)·σ_V·V
/// d1 = (ln(V/D) + (r + σ_V²/2)T) / (σ_V√T),   d2 = d1 − σ_V√T
/// DD = d2 (risk-neutral) or (ln(V/D) + (μ − σ_V²/2)T)/(σ_V√T);   PD = N(−DD)
/// ```
///
/// Newton starts from V = E + D·e^{−rT}, σ_V = σ_E·E/V (as the reference's `fsolve`).
///
/// # Errors
///
/// [`CreditError::NonFinite`] for a non-finite physical drift, and
/// [`CreditError::NotConverged`] when neither solver finds the root.
pub fn solve_merton(
    inputs: &MertonInputs,
    options: &MertonOptions,
) -> Result<MertonFit, CreditError> {
    if let Drift::Physical(mu) = options.drift {
        finite("drift", mu)?;
    }
    let newton_result = match options.method {
        MertonMethod::Newton => newton(inputs),
        MertonMethod::Bisection => None,
    };
    let (v, s, iterations, method) = match newton_result {
        Some((v, s, it)) => (v, s, it, MertonMethod::Newton),
        None => {
            let (v, s, it) = nested_bisection(inputs)?;
            (v, s, it, MertonMethod::Bisection)
        }
    };
    let (d1, d2) = d1_d2(inputs, v, s);
    let distance_to_default = match options.drift {
        Drift::RiskNeutral => d2,
        Drift::Physical(mu) => {
            ((v / inputs.default_point).ln() + (mu - 0.5 * s * s) * inputs.horizon)
                / (s * inputs.horizon.sqrt())
        }
    };
    Ok(MertonFit {
        asset_value: v,
        asset_volatility: s,
        d1,
        d2,
        distance_to_default,
        pd: norm_cdf(-distance_to_default),
        market_value_debt: v - inputs.equity_value,
        method,
        iterations,
    })
}

/// The Merton model as a [`PdModel`].
///
/// It reads `equity_value` and `equity_volatility` from the [`FeatureRecord`], and the default point
/// from `debt` or, with [`MertonModel::kmv`], from `short_term_debt` and `long_term_debt`.
/// The rate and horizon are schema newtypes, so a model always holds valid parameters, whether
/// built in code or deserialised.
///
/// ```
/// use finkit_credit::corporate::MertonModel;
/// use finkit_schema::{Maturity, Rate};
/// let model = MertonModel::new(Rate::new(0.05)?, Maturity::new(1.0)?).kmv();
/// assert!(model.is_kmv());
/// assert_eq!(model.horizon().get(), 1.0);
/// # Ok::<(), finkit_schema::SchemaError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MertonModel {
    rate: Rate,
    horizon: Maturity,
    kmv: bool,
    options: MertonOptions,
}

impl MertonModel {
    /// The model with risk-free rate `rate` (continuously compounded) and horizon `horizon`,
    /// the default point read from `debt`, and the default solver options.
    #[must_use]
    pub fn new(rate: Rate, horizon: Maturity) -> Self {
        MertonModel { rate, horizon, kmv: false, options: MertonOptions::default() }
    }
    /// Uses the KMV default point (short-term debt + ½ long-term debt) instead of `debt`.
    #[must_use]
    pub fn kmv(mut self) -> Self {
        self.kmv = true;
        self
    }
    /// Sets the solver and drift options.
    #[must_use]
    pub fn with_options(mut self, options: MertonOptions) -> Self {
        self.options = options;
        self
    }
    /// The risk-free rate r.
    #[must_use]
    pub fn rate(&self) -> Rate {
        self.rate
    }
    /// The horizon T in years.
    #[must_use]
    pub fn horizon(&self) -> Maturity {
        self.horizon
    }
    /// Whether the KMV default point is used.
    #[must_use]
    pub fn is_kmv(&self) -> bool {
        self.kmv
    }
    /// The solver and drift options.
    #[must_use]
    pub fn options(&self) -> &MertonOptions {
        &self.options
    }
}

impl PdModel for MertonModel {
    fn model_id(&self) -> String {
        format!(
            "finkit-credit/merton{}/v1[r={},T={}]",
            if self.kmv { "-kmv" } else { "" },
            self.rate,
            self.horizon
        )
    }
    fn pd(&self, record: &FeatureRecord) -> Result<Probability, CreditError> {
        let e = record.number("equity_value")?;
        let se = record.number("equity_volatility")?;
        let inputs = if self.kmv {
            MertonInputs::kmv(
                e,
                se,
                record.number("short_term_debt")?,
                record.number("long_term_debt")?,
                self.rate.get(),
                self.horizon.get(),
            )?
        } else {
            MertonInputs::new(e, se, record.number("debt")?, self.rate.get(), self.horizon.get())?
        };
        Ok(Probability::new(solve_merton(&inputs, &self.options)?.pd)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newton_and_bisection_agree() {
        let inp = MertonInputs::new(3.0, 0.8, 10.0, 0.05, 1.0).unwrap();
        let a = solve_merton(&inp, &MertonOptions::default()).unwrap();
        let b = solve_merton(
            &inp,
            &MertonOptions { method: MertonMethod::Bisection, ..MertonOptions::default() },
        )
        .unwrap();
        assert_eq!(a.method, MertonMethod::Newton);
        assert_eq!(b.method, MertonMethod::Bisection);
        assert!((a.asset_value - b.asset_value).abs() < 1e-12 * a.asset_value);
        assert!((a.asset_volatility - b.asset_volatility).abs() < 1e-10 * a.asset_volatility);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn inputs_are_validated_when_read() {
        // The fields used to be public and deserialised unchecked (a zero default point
        // reached the solver); now a bad file is a typed error at load.
        let good = MertonInputs::new(3.0, 0.8, 10.0, 0.05, 1.0).unwrap();
        let json = serde_json::to_value(good).unwrap();
        assert_eq!(serde_json::from_value::<MertonInputs>(json.clone()).unwrap(), good);
        let mut bad = json;
        bad["default_point"] = serde_json::json!(0.0);
        assert!(serde_json::from_value::<MertonInputs>(bad).is_err());
        assert_eq!(good.default_point(), 10.0);
    }

    #[test]
    fn kmv_point_and_bad_inputs() {
        assert_eq!(kmv_default_point(4.0, 6.0).unwrap(), 7.0);
        assert!(kmv_default_point(-1.0, 6.0).is_err());
        assert!(kmv_default_point(0.0, 0.0).is_err());
        assert!(MertonInputs::new(0.0, 0.8, 10.0, 0.05, 1.0).is_err());
        assert!(MertonInputs::new(3.0, f64::NAN, 10.0, 0.05, 1.0).is_err());
    }

    #[test]
    fn extreme_inputs_still_solve() {
        // Tiny equity against large debt, very high volatility, long horizon.
        for (e, se, d, t) in
            [(0.01, 2.5, 100.0, 5.0), (100.0, 0.05, 1.0, 0.25), (1.0, 1.0, 1.0, 30.0)]
        {
            let inp = MertonInputs::new(e, se, d, 0.03, t).unwrap();
            let fit = solve_merton(&inp, &MertonOptions::default()).unwrap();
            assert!(fit.pd.is_finite() && (0.0..=1.0).contains(&fit.pd));
            assert!(fit.asset_value >= e);
        }
    }
}
