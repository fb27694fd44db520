//! Importance sampling for the Gaussian factor copula (Glasserman & Li 2005): a mean shift of
//! the systematic factors and exponential twisting of the conditional default probabilities.

use rayon::prelude::*;

use super::math::{norm_cdf, norm_inv, norm_pdf};
use crate::RiskError;

/// Obligors per chunk of the plan's parallel sums.
const CHUNK: usize = 2048;

/// `(Σ a(i), Σ b(i))` over `(a(i), b(i)) = f(i)`, `i < n`, summed within fixed chunks of
/// [`CHUNK`] and then over the chunks in order: the same value for any number of threads (and
/// the plain sequential sum up to one chunk).
fn chunked_sums(n: usize, f: impl Fn(usize) -> (f64, f64) + Sync) -> (f64, f64) {
    let chunk = |c: usize| {
        (c * CHUNK..((c + 1) * CHUNK).min(n))
            .map(&f)
            .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y))
    };
    if n <= CHUNK {
        return chunk(0);
    }
    let parts: Vec<(f64, f64)> = (0..n.div_ceil(CHUNK)).into_par_iter().map(chunk).collect();
    parts.iter().fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y))
}

/// Importance sampling of the Gaussian factor copula, after Glasserman & Li (2005),
/// "Importance sampling for portfolio credit risk", Management Science 51(11).
///
/// Two changes of measure, both undone by the likelihood ratio carried with every scenario
/// (so every estimate stays unbiased, whatever the shift):
///
/// 1. **Mean shift** of the independent standard normals `η` behind the factors (`f = C η`,
///    `C` the Cholesky factor of the factor correlation): `η ~ N(μ, I)`, likelihood ratio
///    `exp(−μ·η + |μ|²/2)`. The shift points at the loss level `x` of the [`level`] quantile:
///    `x = E[L | η = Φ⁻¹(1 − level)·d]` with `d` the direction in which the conditional
///    expected loss grows fastest (for one factor: the large-portfolio VaR), then
///    `μ = t·d*` where `d*` is the direction of the smallest `η` with `E[L | η] = x` (the most
///    likely factor point of the tail event; found by fixed-point iteration) and `t` maximises
///    Glasserman & Li's objective `F(η) = −θₓ(η)·x + ψ(θₓ(η), η) − |η|²/2` along that ray.
/// 2. **Exponential twisting** (when the portfolio has at most [`twist_max_obligors`] active
///    obligors): given the factors, if `E[L | f] < x` the conditional default probabilities
///    become `pᵢ,θ = pᵢ e^{θwᵢ} / (1 + pᵢ (e^{θwᵢ} − 1))` with θ solving `Σ wᵢ pᵢ,θ = x`
///    (`wᵢ = LGDᵢ·EADᵢ`), likelihood ratio `exp(−θL + ψ(θ))`,
///    `ψ(θ) = Σ ln(1 + pᵢ (e^{θwᵢ} − 1))`. Twisting costs O(n) per scenario (every `pᵢ` is
///    needed for ψ), while the default sampler otherwise costs O(expected defaults); for large,
///    granular portfolios the mean shift alone is asymptotically optimal (G&L §5), so twisting
///    is switched off above the obligor limit.
///
/// Only the Gaussian copula is supported. Defaults: `level = 0.999`,
/// `twist_max_obligors = 2000`.
///
/// [`level`]: ImportanceSampling::level
/// [`twist_max_obligors`]: ImportanceSampling::twist_max_obligors
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ImportanceSampling {
    /// The tail level the shift aims at, in (0, 1) (figures at other levels stay unbiased).
    pub level: f64,
    /// Twist the conditional default probabilities when the portfolio has at most this many
    /// obligors with a possible loss (0: never; `usize::MAX`: always).
    pub twist_max_obligors: usize,
}

impl Default for ImportanceSampling {
    fn default() -> Self {
        ImportanceSampling { level: 0.999, twist_max_obligors: 2000 }
    }
}

impl ImportanceSampling {
    pub(crate) fn check(&self) -> Result<(), RiskError> {
        if !(self.level.is_finite() && self.level > 0.0 && self.level < 1.0) {
            return Err(RiskError::InvalidParameter {
                name: "importance sampling level",
                value: self.level.to_string(),
                reason: "must lie in (0, 1)",
            });
        }
        Ok(())
    }
}

/// The obligor data the plan needs (active obligors only).
pub(crate) struct Book<'a> {
    /// threshold / √(1−ρ)
    pub(crate) c: &'a [f64],
    /// √ρ / √(1−ρ)
    pub(crate) load: &'a [f64],
    /// LGD·EAD
    pub(crate) w: &'a [f64],
    /// factor of each obligor
    pub(crate) factor: &'a [usize],
    /// number of factors
    pub(crate) k: usize,
    /// row-major lower-triangular Cholesky factor (k×k)
    pub(crate) chol: &'a [f64],
}

impl Book<'_> {
    fn factors(&self, eta: &[f64]) -> Vec<f64> {
        let k = self.k;
        (0..k).map(|i| (0..=i).map(|j| self.chol[i * k + j] * eta[j]).sum()).collect()
    }

    /// Conditional default probabilities given `η`.
    fn probabilities(&self, eta: &[f64]) -> Vec<f64> {
        let f = self.factors(eta);
        (0..self.c.len())
            .into_par_iter()
            .with_min_len(CHUNK)
            .map(|i| norm_cdf(self.c[i] - self.load[i] * f[self.factor[i]]))
            .collect()
    }

    /// E[L | η].
    fn expected_loss(&self, eta: &[f64]) -> f64 {
        self.probabilities(eta).iter().zip(self.w).map(|(p, w)| p * w).sum()
    }

    /// ∇_η E[L | η].
    fn gradient(&self, eta: &[f64]) -> Vec<f64> {
        let k = self.k;
        let f = self.factors(eta);
        let mut h = vec![0.0; k];
        for i in 0..self.c.len() {
            let s = self.factor[i];
            h[s] -= self.w[i] * self.load[i] * norm_pdf(self.c[i] - self.load[i] * f[s]);
        }
        // ∂E/∂η_j = Σ_s C[s][j] h_s
        (0..k).map(|j| (j..k).map(|s| self.chol[s * k + j] * h[s]).sum()).collect()
    }
}

fn unit(v: &[f64]) -> Option<Vec<f64>> {
    let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    (n.is_finite() && n > 0.0).then(|| v.iter().map(|x| x / n).collect())
}

/// The importance-sampling plan of one run.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// The mean shift μ of η.
    pub(crate) mu: Vec<f64>,
    /// |μ|²/2
    pub(crate) mu_sq_half: f64,
    /// The loss level x the twisting aims at.
    pub(crate) x: f64,
    /// Whether conditional default probabilities are twisted.
    pub(crate) twist: bool,
    /// One factor only: for `η ≤ this`, `E[L | η] ≥ x` is known, so θ = 0 without computing it.
    pub(crate) no_twist_below: Option<f64>,
}

/// Computes the plan (deterministic: a pure function of the book and the settings).
pub(crate) fn plan(book: &Book<'_>, is: &ImportanceSampling) -> Plan {
    let k = book.k;
    let total: f64 = book.w.iter().sum();
    let origin = vec![0.0; k];
    let none = Plan {
        mu: origin.clone(),
        mu_sq_half: 0.0,
        x: f64::INFINITY,
        twist: false,
        no_twist_below: None,
    };
    let Some(d0) = unit(&book.gradient(&origin)) else { return none };
    let zq = -norm_inv(1.0 - is.level); // > 0 for level > 0.5
    let along = |d: &[f64], t: f64| -> Vec<f64> { d.iter().map(|x| x * t).collect() };
    let x = book.expected_loss(&along(&d0, zq.max(0.0)));
    if !(x.is_finite() && x > book.expected_loss(&origin) && x < total) {
        return none;
    }
    // the smallest t with E[L | t·d] = x along a direction d (E grows along d near the
    // optimum): a bracket by doubling, then the Illinois variant of regula falsi, which keeps
    // the bracket (E[L | hi·d] ≥ x always holds for the returned hi)
    let reach = |d: &[f64]| -> Option<f64> {
        let g = |t: f64| book.expected_loss(&along(d, t)) - x;
        let (mut lo, mut hi) = (0.0, 1.0);
        let (mut glo, mut ghi) = (g(lo), g(hi));
        while ghi < 0.0 {
            (lo, glo) = (hi, ghi);
            hi *= 2.0;
            if hi > 64.0 {
                return None;
            }
            ghi = g(hi);
        }
        let mut side = 0;
        for _ in 0..100 {
            if hi - lo < 1e-13 {
                break;
            }
            let mut m = (lo * ghi - hi * glo) / (ghi - glo);
            if !(m > lo && m < hi) {
                m = 0.5 * (lo + hi);
            }
            let gm = g(m);
            if gm < 0.0 {
                (lo, glo) = (m, gm);
                if side < 0 {
                    ghi *= 0.5;
                }
                side = -1;
            } else {
                (hi, ghi) = (m, gm);
                if gm <= 1e-13 * x {
                    break; // on the target from above
                }
                if side > 0 {
                    glo *= 0.5;
                }
                side = 1;
            }
        }
        Some(hi)
    };
    // fixed point: at the most likely point η* of {E[L|η] ≥ x}, η* ∥ ∇E(η*)
    let mut d = d0;
    let Some(mut t) = reach(&d) else { return none };
    for _ in 0..50 {
        let Some(next) = unit(&book.gradient(&along(&d, t))) else { break };
        if next == d {
            break; // the same ray (always so with one factor): t is already known
        }
        let Some(tn) = reach(&next) else { break };
        let moved = next.iter().zip(&d).map(|(a, b)| (a * tn - b * t).abs()).fold(0.0, f64::max);
        (d, t) = (next, tn);
        if moved < 1e-10 {
            break;
        }
    }
    let twist = book.c.len() <= is.twist_max_obligors;
    // maximise F along the ray on [0, t] (golden section to 1e-2: F is flat at its maximum, and
    // any shift keeps the estimator unbiased); beyond t, θ = 0 and F = −s²/2
    let objective = |s: f64| -> f64 {
        let eta = along(&d, s);
        let p = book.probabilities(&eta);
        let theta = solve_theta(&p, book.w, x);
        let (psi, _) = chunked_sums(p.len(), |i| (twisted(p[i], theta * book.w[i]).1, 0.0));
        -theta * x + psi - 0.5 * s * s
    };
    let g = 0.5 * (5f64.sqrt() - 1.0);
    let (mut a, mut b) = (0.0, t);
    let (mut c1, mut c2) = (b - g * (b - a), a + g * (b - a));
    let (mut f1, mut f2) = (objective(c1), objective(c2));
    for _ in 0..40 {
        if f1 >= f2 {
            b = c2;
            (c2, f2) = (c1, f1);
            c1 = b - g * (b - a);
            f1 = objective(c1);
        } else {
            a = c1;
            (c1, f1) = (c2, f2);
            c2 = a + g * (b - a);
            f2 = objective(c2);
        }
        if b - a < 1e-2 {
            break;
        }
    }
    let s = 0.5 * (a + b);
    let mu = along(&d, s);
    let mu_sq_half = 0.5 * mu.iter().map(|m| m * m).sum::<f64>();
    // one factor: E[L | η] decreases in η (loads ≥ 0), and E[L | η] ≥ x for η ≤ −t (d = −1)
    let no_twist_below = (k == 1 && d[0] < 0.0).then_some(-t);
    Plan { mu, mu_sq_half, x, twist, no_twist_below }
}

/// Twisted default probability and the log-mgf term `ln(1 + p(e^τ − 1))` for `τ = θ·w ≥ 0`.
#[inline]
pub(crate) fn twisted(p: f64, tau: f64) -> (f64, f64) {
    if tau <= 0.0 {
        return (p, 0.0);
    }
    if tau <= 30.0 {
        let em1 = tau.exp_m1();
        (p * (1.0 + em1) / (1.0 + p * em1), (p * em1).ln_1p())
    } else {
        let e = (-tau).exp();
        let denom = p + (1.0 - p) * e;
        (p / denom, tau + denom.ln())
    }
}

/// The twisted default probability alone (see [`twisted`]).
#[inline]
fn twisted_p(p: f64, tau: f64) -> f64 {
    if tau <= 0.0 {
        p
    } else if tau <= 30.0 {
        let em1 = tau.exp_m1();
        p * (1.0 + em1) / (1.0 + p * em1)
    } else {
        p / (p + (1.0 - p) * (-tau).exp())
    }
}

/// θ ≥ 0 with `Σ wᵢ pᵢ,θ = x` (0 when `Σ wᵢ pᵢ ≥ x`); Newton steps safeguarded by bisection.
/// Any deterministic θ keeps the estimator unbiased; the iteration stops at a relative residual
/// of 1e-10 or after 100 steps.
pub(crate) fn solve_theta(p: &[f64], w: &[f64], x: f64) -> f64 {
    let h = |theta: f64| -> (f64, f64) {
        let (m, d) = chunked_sums(p.len().min(w.len()), |i| {
            let pt = twisted_p(p[i], theta * w[i]);
            (w[i] * pt, w[i] * w[i] * pt * (1.0 - pt))
        });
        (m - x, d)
    };
    let (h0, d0) = h(0.0);
    if h0 >= 0.0 {
        return 0.0;
    }
    let wmax = w.iter().copied().fold(0.0, f64::max);
    if wmax <= 0.0 {
        return 0.0;
    }
    // bracket [lo, hi] with h(lo) < 0 ≤ h(hi)
    let (mut lo, mut hi) = (0.0, 1.0 / wmax);
    let mut steps = 0;
    while h(hi).0 < 0.0 {
        lo = hi;
        hi *= 2.0;
        steps += 1;
        if steps > 60 {
            return hi; // x is out of reach of the twisted mean: the largest twist tried
        }
    }
    let mut theta = if d0 > 0.0 { (-h0 / d0).clamp(lo, hi) } else { 0.5 * (lo + hi) };
    for _ in 0..100 {
        let (v, d) = h(theta);
        if v.abs() <= 1e-10 * x {
            break;
        }
        if v < 0.0 {
            lo = theta;
        } else {
            hi = theta;
        }
        let newton = if d > 0.0 { theta - v / d } else { f64::NAN };
        theta = if newton > lo && newton < hi { newton } else { 0.5 * (lo + hi) };
        if hi - lo <= 1e-15 * hi {
            break;
        }
    }
    theta
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twisting_reaches_the_target_mean() {
        let p = [0.01, 0.02, 0.05, 0.001];
        let w = [1.0, 2.0, 0.5, 10.0];
        let x = 5.0;
        let theta = solve_theta(&p, &w, x);
        let m: f64 = p.iter().zip(&w).map(|(&p, &w)| w * twisted(p, theta * w).0).sum();
        assert!((m - x).abs() < 1e-9, "{m}");
        assert_eq!(solve_theta(&p, &w, 0.01), 0.0);
        // the two branches of `twisted` agree at the switch
        let (a, b) = (twisted(0.3, 30.0), twisted(0.3, 30.0 + 1e-12));
        assert!((a.0 - b.0).abs() < 1e-12 && (a.1 - b.1).abs() < 1e-9);
        for (p, tau) in [(0.3, 0.0), (0.01, 0.7), (0.2, 29.0), (0.2, 31.0)] {
            assert_eq!(twisted_p(p, tau), twisted(p, tau).0);
        }
        // ψ is the log of the Bernoulli mgf
        let (_, psi) = twisted(0.2, 0.7);
        assert!((psi - (1.0 + 0.2 * (0.7f64.exp() - 1.0)).ln()).abs() < 1e-15);
    }

    #[test]
    fn chunked_sums_do_not_depend_on_the_threads() {
        let n = 5 * CHUNK + 17;
        let f = |i: usize| ((i as f64).sin(), 1.0 / (1.0 + i as f64));
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let (a, b) = (one.install(|| chunked_sums(n, f)), two.install(|| chunked_sums(n, f)));
        assert_eq!(a.0.to_bits(), b.0.to_bits());
        assert_eq!(a.1.to_bits(), b.1.to_bits());
        let seq: f64 = (0..n).map(|i| f(i).0).sum();
        assert!((a.0 - seq).abs() < 1e-9);
        // up to one chunk: the sequential sum
        let small = chunked_sums(100, f);
        assert_eq!(small.0, (0..100).map(|i| f(i).0).fold(0.0, |s, x| s + x));
    }

    #[test]
    fn one_factor_shift_points_at_the_tail() {
        // 200 equal obligors, PD 1 %, ρ = 0.2: x is the large-portfolio VaR at 99.9 %
        let (pd, rho) = (0.01f64, 0.2f64);
        let si = (1.0 - rho).sqrt();
        let c = vec![norm_inv(pd) / si; 200];
        let load = vec![rho.sqrt() / si; 200];
        let w = vec![1.0; 200];
        let factor = vec![0; 200];
        let book = Book { c: &c, load: &load, w: &w, factor: &factor, k: 1, chol: &[1.0] };
        let plan = plan(&book, &ImportanceSampling::default());
        let asrf = 200.0 * norm_cdf((norm_inv(pd) + rho.sqrt() * norm_inv(0.999)) / si);
        assert!((plan.x - asrf).abs() < 1e-9 * asrf, "{} vs {asrf}", plan.x);
        // the shift is negative (bad states) and not beyond the tail point
        let z = plan.mu[0];
        assert!(z < -1.0 && z >= norm_inv(0.001) - 1e-9, "{z}");
        assert!(plan.twist);
        assert!((plan.no_twist_below.unwrap() - norm_inv(0.001)).abs() < 1e-9);
    }
}
