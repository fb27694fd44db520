//! Copula Monte Carlo of portfolio credit losses: deterministic, parallel and shardable.

use finkit_schema::Portfolio;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{ChiSquared, Distribution, StandardNormal};

use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::distribution::{LossDistribution, sample_tail_count, sample_var_index};
use super::importance::{self, Book, ImportanceSampling, Plan};
use super::loss_model::{AssetCorrelation, LossModel};
use super::math::{Fnv64, KahanSum, check_level, norm_cdf, norm_inv};
use crate::RiskError;

/// Version tag mixed into run fingerprints; bump when the scenario generator changes.
const GENERATOR_VERSION: u64 = 3;

/// The dependence structure of the latent asset values.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Copula {
    /// Gaussian copula (default): default when `√ρ Z + √(1−ρ) ε < G(PD)`.
    #[default]
    Gaussian,
    /// Student-t copula with ν degrees of freedom: the Gaussian latent variable is divided by
    /// `√(W/ν)`, `W ~ χ²_ν` (one W per scenario), and the threshold is `t_ν⁻¹(PD)`.
    StudentT {
        /// Degrees of freedom ν > 0.
        nu: f64,
    },
}

/// The systematic factors.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum FactorModel {
    /// One common factor Z (default).
    #[default]
    OneFactor,
    /// One factor per sector (CreditMetrics style): obligor i loads √ρᵢ on the factor of its
    /// sector; sector factors are standard normal with the given correlation matrix.
    Sectors {
        /// Sector names, matched against [`Portfolio::sectors`].
        names: Vec<String>,
        /// Row-major K×K correlation matrix of the sector factors (symmetric, positive definite).
        correlation: Vec<Vec<f64>>,
    },
}

/// Parameters of a Monte Carlo run; [`MonteCarloParams::build`] validates them.
///
/// A run is fully described by the model, `seed`, `scenarios` and `block_size`: scenario `s`
/// lies in block `b = s / block_size`; block `b` owns the ChaCha8 stream `b` of the key derived
/// from `seed`, and scenario `j` of a block seeds its own Xoshiro256++ generator from 32 bytes at
/// word offset `8j` of that stream. Every scenario is therefore a pure function of
/// `(seed, block_size, s)`: results are identical for any number of threads, and any range of
/// blocks can be computed separately ([`MonteCarlo::run_shard`]) and merged.
///
/// Defaults: Gaussian one-factor copula, Basel correlations (SME-adjusted), 100 000 scenarios,
/// seed 0, blocks of 1024 scenarios.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MonteCarloParams {
    /// The copula.
    pub copula: Copula,
    /// The factor structure.
    pub factors: FactorModel,
    /// How the asset correlations are chosen.
    pub correlation: AssetCorrelation,
    /// Number of scenarios (> 0).
    pub scenarios: u64,
    /// The seed.
    pub seed: u64,
    /// Scenarios per block (> 0); part of the run's identity.
    pub block_size: u64,
    /// Importance sampling (Gaussian copula only); `None` (default) is plain Monte Carlo.
    #[cfg_attr(feature = "serde", serde(default))]
    pub importance: Option<ImportanceSampling>,
    /// Memory a run may take, in bytes (default 4 GiB): a run, shard or precision run whose
    /// losses (and likelihood ratios) would need more is refused before anything is allocated
    /// ([`RiskError::ResourceLimit`]); see [`MonteCarlo::memory_needed`].
    #[cfg_attr(feature = "serde", serde(default = "default_memory_limit"))]
    pub max_memory_bytes: u64,
}

/// Default of [`MonteCarloParams::max_memory_bytes`]: 4 GiB.
pub const DEFAULT_MC_MEMORY_LIMIT: u64 = 4 << 30;

#[cfg(feature = "serde")]
fn default_memory_limit() -> u64 {
    DEFAULT_MC_MEMORY_LIMIT
}

/// Bytes per scenario of a finished run: losses, the sorted copy of the distribution and the
/// merge buffer (plain); plus likelihood ratios, their sorted copy, the tail sums and the sort
/// permutation (importance sampling).
const BYTES_PER_SCENARIO_PLAIN: u64 = 24;
const BYTES_PER_SCENARIO_IS: u64 = 64;
/// Scenario indices are u32 in the contribution code.
const MAX_SCENARIOS: u64 = u32::MAX as u64;

impl Default for MonteCarloParams {
    fn default() -> Self {
        MonteCarloParams {
            copula: Copula::Gaussian,
            factors: FactorModel::OneFactor,
            correlation: AssetCorrelation::default(),
            scenarios: 100_000,
            seed: 0,
            block_size: 1024,
            importance: None,
            max_memory_bytes: DEFAULT_MC_MEMORY_LIMIT,
        }
    }
}

impl MonteCarloParams {
    /// Validates the parameters.
    ///
    /// # Errors
    ///
    /// [`RiskError::InvalidParameter`] for zero scenarios or block size, ν not positive and
    /// finite, or a sector correlation matrix that is not square, symmetric, unit-diagonal and
    /// positive definite; [`RiskError::LengthMismatch`] when names and matrix differ in size.
    #[allow(clippy::needless_range_loop)] // symmetric-matrix checks read best with indices
    pub fn build(self) -> Result<MonteCarlo, RiskError> {
        let bad = |name, value: String, reason| RiskError::InvalidParameter { name, value, reason };
        if self.scenarios == 0 {
            return Err(bad("scenarios", "0".into(), "must be positive"));
        }
        if self.block_size == 0 {
            return Err(bad("block_size", "0".into(), "must be positive"));
        }
        if let Some(is) = &self.importance {
            is.check()?;
            if self.copula != Copula::Gaussian {
                return Err(bad(
                    "importance sampling",
                    "t copula".into(),
                    "is implemented for the Gaussian copula only",
                ));
            }
        }
        if let Copula::StudentT { nu } = self.copula
            && !(nu.is_finite() && nu > 0.0)
        {
            return Err(bad(
                "nu",
                nu.to_string(),
                "degrees of freedom must be positive and finite",
            ));
        }
        let chol = match &self.factors {
            FactorModel::OneFactor => vec![1.0],
            FactorModel::Sectors { names, correlation } => {
                let k = names.len();
                if k == 0 {
                    return Err(RiskError::Empty("sector names"));
                }
                if correlation.len() != k {
                    return Err(RiskError::LengthMismatch {
                        what: "sector correlation rows",
                        expected: k,
                        found: correlation.len(),
                    });
                }
                for (i, n) in names.iter().enumerate() {
                    if names[..i].contains(n) {
                        return Err(bad("sector names", n.clone(), "must be unique"));
                    }
                }
                for row in correlation {
                    if row.len() != k {
                        return Err(RiskError::LengthMismatch {
                            what: "sector correlation columns",
                            expected: k,
                            found: row.len(),
                        });
                    }
                }
                for i in 0..k {
                    if (correlation[i][i] - 1.0).abs() > 1e-12 {
                        return Err(bad(
                            "sector correlation",
                            correlation[i][i].to_string(),
                            "diagonal must be 1",
                        ));
                    }
                    for j in 0..k {
                        let v = correlation[i][j];
                        if !v.is_finite() || (v - correlation[j][i]).abs() > 1e-12 || v.abs() > 1.0
                        {
                            return Err(bad(
                                "sector correlation",
                                v.to_string(),
                                "must be symmetric with entries in [-1, 1]",
                            ));
                        }
                    }
                }
                cholesky(correlation).ok_or_else(|| {
                    bad(
                        "sector correlation",
                        format!("{k}x{k} matrix"),
                        "must be positive definite",
                    )
                })?
            }
        };
        Ok(MonteCarlo { params: self, chol })
    }
}

/// Lower-triangular Cholesky factor (nalgebra), row-major, or `None` if not positive
/// definite: every pivot `L_ii²` must exceed 1e-14 (a numerically singular correlation is
/// refused, not factored into a huge inverse).
fn cholesky(a: &[Vec<f64>]) -> Option<Vec<f64>> {
    let k = a.len();
    let m = nalgebra::DMatrix::from_fn(k, k, |i, j| a[i][j]);
    let l = m.cholesky()?.unpack();
    let pivot = |i: usize| l[(i, i)] * l[(i, i)];
    if (0..k).any(|i| pivot(i).is_nan() || pivot(i) <= 1e-14) {
        return None;
    }
    Some((0..k * k).map(|x| if x % k <= x / k { l[(x / k, x % k)] } else { 0.0 }).collect())
}

/// A validated Monte Carlo model (see [`MonteCarloParams`]).
///
/// # Formula
///
/// ```text
/// Gaussian:  default_i  ⇔  √ρᵢ Z_{s(i)} + √(1−ρᵢ) εᵢ < G(PDᵢ)
/// t (ν):     default_i  ⇔  (√ρᵢ Z + √(1−ρᵢ) εᵢ) / √(W/ν) < t_ν⁻¹(PDᵢ),   W ~ χ²_ν
/// loss       = Σ LGDᵢ·EADᵢ·1{default_i}
/// ```
///
/// Numerics (all f64): thresholds are precomputed as `cᵢ = G(PDᵢ)/√(1−ρᵢ)` and
/// `aᵢ = √ρᵢ/√(1−ρᵢ)`, so obligor i defaults when `εᵢ < tᵢ = cᵢ·s − aᵢ·Z` (`s = √(W/ν)` for
/// the t copula, 1 otherwise), i.e. with conditional PD `pᵢ = Φ(tᵢ)`. Obligors are sorted by
/// factor and threshold and grouped in buckets of 64; per scenario each bucket gets a bound
/// `q ≥ pᵢ` of its members, read from a table (no Φ): `q` is a dyadic number `K/2^m` with
/// 4 significant bits above `Φ` at the next grid point (step 1/128) of the bucket's largest
/// threshold. The 64 candidate bits of a bucket are drawn at once as
/// independent Bernoulli(q) bits from `m` random 64-bit words (combining them with `|` and `&`
/// along the binary digits of `q`, lowest digit first), and each candidate is kept with
/// probability `pᵢ/q` (thinning) — exactly Bernoulli(pᵢ), independent across obligors given the
/// factors, i.e. the same model as comparing one normal per obligor, at a cost of about
/// `m ≈ log₂(1/q) + 4` words per bucket and one uniform per likely default. Buckets whose bound
/// would need more than 8 words (q below about 1/32) draw their candidates by geometric gaps
/// instead: one uniform decides whether the bucket has a candidate at all (probability
/// `1 − (1 − q)^64`, tabulated), and only then are gaps `⌊ln U / ln(1 − q)⌋` taken.
/// Comparisons `U < Φ(t)` use a table of Φ (step 1/64) that brackets `Φ(t)`; when `U` falls
/// inside the bracket (about φ(t)/(64q) of the candidates), the chord of the interval with a
/// bound on its distance to Φ decides, and Φ (Cody) is evaluated only when `U` falls inside
/// that hundredfold narrower band.
/// Uniforms are 53-bit from Xoshiro256++; factors (and W) are drawn with rand_distr's
/// `StandardNormal` / `ChiSquared`. Each scenario's loss is summed in f64 in a fixed order.
/// Obligors with PD = 0 or LGD·EAD = 0 never contribute and are skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct MonteCarlo {
    params: MonteCarloParams,
    chol: Vec<f64>,
}

/// Range and resolution of the table of Φ used to decide defaults from uniforms.
const PHI_T: f64 = 8.5;
const PHI_STEPS_PER_UNIT: f64 = 64.0;

/// `Φ(t_k)` on the grid `t_k = −PHI_T + k/64`, with, per interval, a bound on the distance
/// between Φ and its chord: the decision `u < Φ(t)` of [`below`].
#[derive(Debug)]
struct PhiTable {
    /// `Φ(t_k)`, k = 0 ..= 2·PHI_T·64.
    at: Vec<f64>,
    /// `band[k] ≥ |Φ(t) − chord_k(t)|` on `[t_k, t_{k+1}]`, including the rounding of the
    /// chord's evaluation and the computed Φ's own error.
    band: Vec<f64>,
}

impl PhiTable {
    fn new() -> PhiTable {
        let k = (2.0 * PHI_T * PHI_STEPS_PER_UNIT) as usize;
        let grid = |j: usize| -PHI_T + j as f64 / PHI_STEPS_PER_UNIT;
        let at: Vec<f64> = (0..=k).map(|j| norm_cdf(grid(j))).collect();
        // |Φ''(t)| = |t|·φ(t) rises on |t| < 1 and falls beyond: its maximum over an interval is
        // at an end point, or φ(1) when the interval holds ±1. Linear interpolation is then
        // within h²/8 · max|Φ''| of Φ (h = 1/64).
        let curvature =
            |t: f64| t.abs() * (-0.5 * t * t).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let h = 1.0 / PHI_STEPS_PER_UNIT;
        let band = (0..k)
            .map(|j| {
                let (a, b) = (grid(j), grid(j + 1));
                let mut m = curvature(a).max(curvature(b));
                if (a..=b).contains(&-1.0) || (a..=b).contains(&1.0) {
                    m = m.max(curvature(1.0));
                }
                // 5 % on the curvature bound; the position's rounding (x is exact to ~1e-13 of a
                // step) times the step's rise; 1e-13 relative for the evaluation of the chord
                // and of Φ itself (both are good to a few ulps)
                1.05 * h * h / 8.0 * m + 1e-12 * (at[j + 1] - at[j]) + 1e-13 * at[j + 1]
            })
            .collect();
        PhiTable { at, band }
    }
}

/// Resolution of the table of bucket bounds (grid `−PHI_T + k/128`).
const BOUND_STEPS_PER_UNIT: f64 = 128.0;
/// Significant bits of a bucket bound: the bound exceeds Φ at the grid point by less than
/// `2^−(BOUND_BITS−1)` relative (fewer bits: fewer random words per bucket, more candidates).
const BOUND_BITS: u32 = 4;
/// Bounds that need more random words than this use geometric gaps (for small q, a bucket
/// rarely holds a candidate, and one uniform usually settles that).
const MAX_WORDS: u32 = 8;

/// A bucket bound `q = num / 2^words` (`num` odd; `words = 0, num = 1` is q = 1).
#[derive(Debug, Clone, Copy, PartialEq)]
struct DyadicBound {
    num: u64,
    words: u32,
    /// `num / 2^words` as f64 (exact).
    q: f64,
}

impl DyadicBound {
    /// The smallest `K/2^m ≥ p` with `K < 2^BOUND_BITS` significant bits (p in (0, 1]).
    fn above(p: f64) -> DyadicBound {
        if p >= 1.0 {
            return DyadicBound { num: 1, words: 0, q: 1.0 };
        }
        let lo = f64::from(1u32 << (BOUND_BITS - 1));
        let mut m = BOUND_BITS;
        while p * 2f64.powi(m as i32) < lo {
            m += 1;
        }
        let mut num = (p * 2f64.powi(m as i32)).ceil() as u64;
        while num.is_multiple_of(2) && m > 0 {
            num /= 2;
            m -= 1;
        }
        DyadicBound { num, words: m, q: num as f64 / 2f64.powi(m as i32) }
    }

    /// 64 independent Bernoulli(q) bits: with `q = 0.b₁b₂…b_m` (binary), start from 0 and for
    /// `i = m, …, 1` combine a fresh random word `x` as `r | x` when `bᵢ = 1`, `r & x` when
    /// `bᵢ = 0`; by induction each bit is 1 with probability `0.bᵢ…b_m`.
    #[inline(always)]
    fn candidates(self, rng: &mut Xoshiro256PlusPlus) -> u64 {
        if self.words == 0 {
            return u64::MAX;
        }
        let mut num = self.num;
        let mut r = 0u64;
        for _ in 0..self.words {
            let x = rng.next_u64();
            // branch-free: the digits of q are as good as random to a branch predictor
            let or = (num & 1).wrapping_neg();
            r = ((r | x) & or) | (r & x & !or);
            num >>= 1;
        }
        r
    }
}

/// A small bucket bound for geometric gaps between candidates.
#[derive(Debug, Clone, Copy, PartialEq)]
struct GapBound {
    /// The bound q.
    q: f64,
    /// ln(1 − q)
    log_keep: f64,
    /// (1 − q)^64: the probability that a full bucket has no candidate.
    none: f64,
}

impl GapBound {
    fn new(q: f64) -> GapBound {
        let log_keep = (-q).ln_1p();
        GapBound { q, log_keep, none: (log_keep * BUCKET as f64).exp() }
    }
}

/// How the candidates of a bucket are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
enum BucketBound {
    /// All at once from random words.
    Bits(DyadicBound),
    /// By geometric gaps.
    Gaps(GapBound),
}

impl BucketBound {
    fn above(p: f64) -> BucketBound {
        let bits = DyadicBound::above(p);
        if bits.words <= MAX_WORDS {
            BucketBound::Bits(bits)
        } else {
            BucketBound::Gaps(GapBound::new(p))
        }
    }
}

/// Bucket bounds on the grid `t_k = −PHI_T + k/128`: entry k bounds Φ on `[t_k, t_{k+1})`
/// (it is built from `Φ(t_{k+1})`, raised by 1e-12 relative against round-off).
fn bound_table() -> Vec<BucketBound> {
    let k = (2.0 * PHI_T * BOUND_STEPS_PER_UNIT) as usize;
    (0..k)
        .map(|j| {
            let t = -PHI_T + (j + 1) as f64 / BOUND_STEPS_PER_UNIT;
            BucketBound::above((norm_cdf(t) * (1.0 + 1e-12)).min(1.0))
        })
        .collect()
}

/// Whether `Φ⁻¹(u) < t`, i.e. `u < Φ(t)`, for a uniform `u`: decided by the bracketing table
/// values `Φ(t_k) ≤ Φ(t) ≤ Φ(t_{k+1})` and, only when `u` falls between them (probability
/// ≈ φ(t)/64 relative), by the interval's chord ± its band, then by evaluating Φ(t) exactly.
/// The answer is always `u < norm_cdf(t)`; the tables only save the evaluation.
#[inline(always)]
fn below(u: f64, t: f64, phi: &PhiTable) -> bool {
    let x = (t + PHI_T) * PHI_STEPS_PER_UNIT;
    if x >= 0.0 && x < (phi.band.len()) as f64 {
        let k = x as usize;
        if let (Some(&lo), Some(&hi)) = (phi.at.get(k), phi.at.get(k + 1)) {
            // both compared without a branch on the (unpredictable) answer
            let (yes, no) = (u < lo, u >= hi);
            if yes | no {
                return yes;
            }
            return between(u, t, x - k as f64, lo, hi, phi.band[k]);
        }
    }
    u < norm_cdf(t)
}

/// The undecided case of [`below`]: `lo ≤ u < hi`, `frac` the position of t in its interval.
#[inline(never)]
fn between(u: f64, t: f64, frac: f64, lo: f64, hi: f64, band: f64) -> bool {
    let chord = lo + frac * (hi - lo);
    if u < chord - band {
        return true;
    }
    if u >= chord + band {
        return false;
    }
    u < norm_cdf(t)
}

/// A uniform in [0, 1) with 53 random bits (resolution 1.1e-16, so conditional PDs far below
/// any quantile of interest are still honoured).
#[inline(always)]
fn uniform53(rng: &mut Xoshiro256PlusPlus) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Everything the inner loop needs, precomputed from the portfolio.
#[derive(Debug)]
struct Prepared {
    /// Original obligor index of each active obligor.
    index: Vec<usize>,
    /// threshold / √(1−ρ)
    c: Vec<f64>,
    /// √ρ / √(1−ρ)
    load: Vec<f64>,
    /// LGD·EAD
    w: Vec<f64>,
    /// Factor of each active obligor.
    factor: Vec<usize>,
    /// Number of factors.
    k: usize,
    chi2: Option<(ChiSquared<f64>, f64)>,
    /// See [`PhiTable`].
    phi: PhiTable,
    /// See [`bound_table`].
    bounds: Vec<BucketBound>,
    /// Runs of obligors (sorted by factor and threshold) that share a default-probability bound.
    buckets: Vec<Bucket>,
    /// The importance-sampling plan, if any.
    plan: Option<Plan>,
    fingerprint: u64,
}

/// A run `start..end` of obligors on one factor, with the extremes that bound their
/// conditional thresholds: `c_j·s − a_j·f ≤ c_max·s − (f ≥ 0 ? a_min : a_max)·f`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    start: usize,
    end: usize,
    factor: usize,
    c_max: f64,
    a_min: f64,
    a_max: f64,
}

/// Obligors per bucket of the thinning sampler (the bits of one candidate word).
const BUCKET: usize = 64;

/// The per-scenario losses of a complete run, with its identity.
#[derive(Debug, Clone, PartialEq)]
pub struct McRun {
    fingerprint: u64,
    seed: u64,
    block_size: u64,
    losses: Vec<f64>,
    weights: Option<Vec<f64>>,
    distribution: LossDistribution,
}

impl McRun {
    /// Losses in scenario order.
    #[must_use]
    pub fn losses(&self) -> &[f64] {
        &self.losses
    }
    /// The sample loss distribution (type-1 VaR, mean-of-largest ES; importance-sampled runs:
    /// the weighted estimators; see [`LossDistribution`]).
    #[must_use]
    pub fn distribution(&self) -> &LossDistribution {
        &self.distribution
    }
    /// The run fingerprint (model, portfolio, seed, scenarios and block size).
    #[must_use]
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }
    /// The seed.
    #[must_use]
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// Number of scenarios.
    #[must_use]
    pub fn scenarios(&self) -> u64 {
        self.losses.len() as u64
    }
    /// Scenarios per block.
    #[must_use]
    pub fn block_size(&self) -> u64 {
        self.block_size
    }
    /// Likelihood ratios in scenario order (importance-sampled runs only).
    #[must_use]
    pub fn weights(&self) -> Option<&[f64]> {
        self.weights.as_deref()
    }
    /// How the run was simulated.
    #[must_use]
    pub fn method(&self) -> McMethod {
        if self.weights.is_some() { McMethod::Importance } else { McMethod::Plain }
    }

    /// VaR and ES at level q with their standard errors (see [`TailEstimate`]).
    ///
    /// # Errors
    ///
    /// [`RiskError::InvalidParameter`] for q ∉ (0, 1).
    pub fn tail(&self, q: f64) -> Result<TailEstimate, RiskError> {
        check_level("q", q)?;
        let d = &self.distribution;
        let (var, es) = (d.var(q)?, d.es(q)?);
        let n = self.losses.len();
        // ES: influence function Yₖ = wₖ (Lₖ − VaR)⁺, se = sd(Y) / (√n (1 − q))
        let (mut s1, mut s2) = (KahanSum::default(), KahanSum::default());
        for (k, &l) in self.losses.iter().enumerate() {
            if l > var {
                let y = self.weights.as_ref().map_or(1.0, |w| w[k]) * (l - var);
                s1.add(y);
                s2.add(y * y);
            }
        }
        let es_se = if n > 1 {
            let nf = n as f64;
            let m = s1.value() / nf;
            let v = ((s2.value() - nf * m * m) / (nf - 1.0)).max(0.0);
            (v / nf).sqrt() / (1.0 - q)
        } else {
            f64::INFINITY
        };
        // VaR: invert a confidence interval of the tail probability at the VaR (the
        // distribution-free order-statistic interval for plain runs)
        let sigma = match &self.weights {
            None => (q * (1.0 - q) / n as f64).sqrt(),
            Some(w) => {
                let (mut a, mut b) = (KahanSum::default(), KahanSum::default());
                for (k, &l) in self.losses.iter().enumerate() {
                    if l > var {
                        a.add(w[k]);
                        b.add(w[k] * w[k]);
                    }
                }
                let nf = n as f64;
                let m = a.value() / nf;
                if n > 1 {
                    (((b.value() - nf * m * m) / (nf - 1.0)).max(0.0) / nf).sqrt()
                } else {
                    f64::INFINITY
                }
            }
        };
        let at = |level: f64| -> Result<f64, RiskError> {
            if level >= 1.0 {
                Ok(self.losses.iter().copied().fold(f64::NEG_INFINITY, f64::max))
            } else if level <= 0.0 {
                Ok(self.losses.iter().copied().fold(f64::INFINITY, f64::min))
            } else {
                d.var(level)
            }
        };
        let var_se = (at(q + Z95 * sigma)? - at(q - Z95 * sigma)?) / (2.0 * Z95);
        Ok(TailEstimate { level: q, var, var_se, es, es_se })
    }
}

/// The 97.5 % normal quantile: VaR standard errors are read off a 95 % interval.
const Z95: f64 = 1.959_963_984_540_054;

/// How a run was simulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum McMethod {
    /// Plain Monte Carlo: equally weighted scenarios.
    Plain,
    /// Importance sampling: every scenario carries its likelihood ratio.
    Importance,
}

impl McMethod {
    /// "plain" or "importance".
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            McMethod::Plain => "plain",
            McMethod::Importance => "importance",
        }
    }
}

/// VaR and ES at one level with their standard errors, from [`McRun::tail`].
///
/// * `es_se`: the delta-method (influence-function) standard error of the ES estimator,
///   `sd(wₖ (Lₖ − VaR)⁺) / (√n (1 − q))` with `wₖ = 1` for plain runs (Hong 2009; the same
///   expression as the asymptotic variance of the mean of the largest `n(1 − q)` losses).
/// * `var_se`: from the 95 % confidence interval of the tail probability at the VaR, mapped
///   through the estimated quantile function: with `σ` the standard error of
///   `P̂(L > VaR)` (plain: `√(q(1 − q)/n)`, the distribution-free order-statistic interval;
///   importance sampling: `sd(wₖ·1{Lₖ > VaR}) / √n`),
///   `se = (VaR(q + 1.96σ) − VaR(q − 1.96σ)) / (2·1.96)` (levels beyond the sample use its
///   extremes). No density estimate is needed, and it stays meaningful for the lumpy loss
///   distributions of small books.
///
/// Both are large-sample approximations; a 95 % interval is `estimate ± 1.96·se`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct TailEstimate {
    /// The level q.
    pub level: f64,
    /// VaR at q.
    pub var: f64,
    /// Standard error of the VaR.
    pub var_se: f64,
    /// ES at q.
    pub es: f64,
    /// Standard error of the ES.
    pub es_se: f64,
}

/// One shard of a run: the losses of a contiguous range of blocks.
///
/// Shards serialise (serde) so they can be produced by separate processes or machines and
/// merged with [`McShard::merge`] into exactly the single-process [`McRun`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct McShard {
    /// The run fingerprint: model, portfolio, seed, scenarios and block size.
    pub fingerprint: u64,
    /// The seed.
    pub seed: u64,
    /// Total scenarios of the run.
    pub scenarios: u64,
    /// Scenarios per block.
    pub block_size: u64,
    /// This shard's index, `0 ≤ shard_index < shard_count`.
    pub shard_index: u64,
    /// Number of shards of the run.
    pub shard_count: u64,
    /// First scenario of this shard.
    pub first_scenario: u64,
    /// Losses of scenarios `first_scenario ..`, in order.
    pub losses: Vec<f64>,
    /// Likelihood ratios of the same scenarios (importance-sampled runs only).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub weights: Option<Vec<f64>>,
}

impl McShard {
    /// Merges the shards of one run (any order) into the full run.
    ///
    /// # Errors
    ///
    /// [`RiskError::Empty`] for no shards; [`RiskError::ShardMismatch`] when shards come from
    /// different runs (fingerprint, seed, sizes), an index is missing or repeated, or the
    /// scenario ranges are not contiguous and complete.
    pub fn merge(mut shards: Vec<McShard>) -> Result<McRun, RiskError> {
        let Some(first) = shards.first() else { return Err(RiskError::Empty("shards")) };
        let (fp, seed, n, bs, count) =
            (first.fingerprint, first.seed, first.scenarios, first.block_size, first.shard_count);
        for s in &shards {
            if (s.fingerprint, s.seed, s.scenarios, s.block_size, s.shard_count)
                != (fp, seed, n, bs, count)
            {
                return Err(RiskError::ShardMismatch(format!(
                    "shard {} is from another run (fingerprint {:016x} vs {:016x})",
                    s.shard_index, s.fingerprint, fp
                )));
            }
        }
        if shards.len() as u64 != count {
            return Err(RiskError::ShardMismatch(format!(
                "{} shards given, the run has {count}",
                shards.len()
            )));
        }
        shards.sort_by_key(|s| s.shard_index);
        let weighted = shards[0].weights.is_some();
        if let Some(s) = shards.iter().find(|s| {
            s.weights.is_some() != weighted
                || s.weights.as_ref().is_some_and(|w| w.len() != s.losses.len())
        }) {
            return Err(RiskError::ShardMismatch(format!(
                "shard {} has likelihood ratios that do not match its losses or the other shards",
                s.shard_index
            )));
        }
        let total: u64 = shards.iter().map(|s| s.losses.len() as u64).sum();
        if total != n {
            return Err(RiskError::ShardMismatch(format!("shards hold {total} of {n} scenarios")));
        }
        let mut next = 0u64;
        let mut losses = Vec::with_capacity(n as usize);
        let mut weights = weighted.then(|| Vec::with_capacity(n as usize));
        for (k, s) in shards.into_iter().enumerate() {
            if s.shard_index != k as u64 {
                return Err(RiskError::ShardMismatch(format!(
                    "shard index {} missing or repeated",
                    k
                )));
            }
            let (lo, hi) = shard_range(n, bs, k as u64, count);
            if s.first_scenario != next
                || s.first_scenario != lo
                || s.losses.len() as u64 != hi - lo
            {
                return Err(RiskError::ShardMismatch(format!(
                    "shard {k} covers scenarios {}..{}, expected {lo}..{hi}",
                    s.first_scenario,
                    s.first_scenario + s.losses.len() as u64
                )));
            }
            next = hi;
            losses.extend(s.losses);
            if let (Some(all), Some(w)) = (weights.as_mut(), s.weights) {
                all.extend(w);
            }
        }
        if next != n {
            return Err(RiskError::ShardMismatch(format!("shards cover {next} of {n} scenarios")));
        }
        McRun::new(fp, seed, bs, losses, weights)
    }
}

impl McRun {
    fn new(
        fingerprint: u64,
        seed: u64,
        block_size: u64,
        losses: Vec<f64>,
        weights: Option<Vec<f64>>,
    ) -> Result<McRun, RiskError> {
        let distribution = match &weights {
            None => LossDistribution::from_sample(losses.clone())?,
            Some(w) => LossDistribution::from_weighted_sample(losses.clone(), w.clone())?,
        };
        Ok(McRun { fingerprint, seed, block_size, losses, weights, distribution })
    }
}

/// Scenario range `[lo, hi)` of shard k of `count`: a contiguous range of whole blocks.
fn shard_range(n: u64, bs: u64, k: u64, count: u64) -> (u64, u64) {
    let blocks = n.div_ceil(bs);
    let b0 = (u128::from(blocks) * u128::from(k) / u128::from(count)) as u64;
    let b1 = (u128::from(blocks) * u128::from(k + 1) / u128::from(count)) as u64;
    ((b0 * bs).min(n), (b1 * bs).min(n))
}

/// Euler risk contributions of every obligor, estimated from the simulation.
///
/// ES contributions: the mean loss of obligor i over the `m = round(n(1−q))` largest-loss
/// scenarios (the scenarios the sample ES averages), so they add up to the ES exactly (up to
/// round-off). VaR contributions: the mean loss of obligor i over the scenarios ranked within
/// `±h` of the VaR order statistic (`h = max(1, round(window·m))`), rescaled to add up to VaR.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct RiskContributions {
    /// The level q.
    pub level: f64,
    /// Portfolio VaR.
    pub var: f64,
    /// Portfolio ES.
    pub es: f64,
    /// VaR contribution per obligor (portfolio order).
    pub var_contributions: Vec<f64>,
    /// ES contribution per obligor (portfolio order).
    pub es_contributions: Vec<f64>,
    /// Tail scenarios averaged for ES.
    pub tail_scenarios: usize,
    /// Scenarios averaged for VaR.
    pub var_window_scenarios: usize,
}

impl MonteCarlo {
    /// The parameters.
    #[must_use]
    pub fn params(&self) -> &MonteCarloParams {
        &self.params
    }

    fn prepare(&self, portfolio: &Portfolio) -> Result<Prepared, RiskError> {
        if portfolio.is_empty() {
            return Err(RiskError::Empty("portfolio"));
        }
        let rho = self.params.correlation.resolve(portfolio)?;
        let (pd, lgd, ead) = (portfolio.pd(), portfolio.lgd(), portfolio.ead());
        let sector_of: Vec<usize> = match &self.params.factors {
            FactorModel::OneFactor => vec![0; portfolio.len()],
            FactorModel::Sectors { names, .. } => portfolio
                .sectors()
                .iter()
                .map(|s| {
                    names
                        .iter()
                        .position(|n| n == s)
                        .ok_or_else(|| RiskError::UnknownSector(s.clone()))
                })
                .collect::<Result<_, _>>()?,
        };
        let (threshold, chi2): (Box<dyn Fn(f64) -> f64>, _) = match self.params.copula {
            Copula::Gaussian => (Box::new(norm_inv), None),
            Copula::StudentT { nu } => {
                let t = StudentsT::new(0.0, 1.0, nu).map_err(|_| RiskError::InvalidParameter {
                    name: "nu",
                    value: nu.to_string(),
                    reason: "invalid degrees of freedom",
                })?;
                let chi = ChiSquared::new(nu).map_err(|_| RiskError::InvalidParameter {
                    name: "nu",
                    value: nu.to_string(),
                    reason: "invalid degrees of freedom",
                })?;
                (
                    Box::new(move |p: f64| {
                        if p <= 0.0 {
                            f64::NEG_INFINITY
                        } else if p >= 1.0 {
                            f64::INFINITY
                        } else {
                            t.inverse_cdf(p)
                        }
                    }),
                    Some((chi, nu)),
                )
            }
        };
        let mut pr = Prepared {
            index: Vec::new(),
            c: Vec::new(),
            load: Vec::new(),
            w: Vec::new(),
            factor: Vec::new(),
            k: self.chol.len().isqrt(),
            chi2,
            phi: PhiTable::new(),
            bounds: bound_table(),
            buckets: Vec::new(),
            plan: None,
            fingerprint: 0,
        };
        let mut active: Vec<(usize, f64, f64, f64, usize)> = (0..portfolio.len())
            .filter(|&i| pd[i] > 0.0 && lgd[i] * ead[i] > 0.0)
            .map(|i| {
                let si = (1.0 - rho[i]).sqrt();
                (i, threshold(pd[i]) / si, rho[i].sqrt() / si, lgd[i] * ead[i], sector_of[i])
            })
            .collect();
        // Sorting by factor then threshold makes each bucket's bound tight.
        active.sort_by(|x, y| x.4.cmp(&y.4).then(x.1.total_cmp(&y.1)).then(x.0.cmp(&y.0)));
        for &(i, c, a, w, f) in &active {
            pr.index.push(i);
            pr.c.push(c);
            pr.load.push(a);
            pr.w.push(w);
            pr.factor.push(f);
        }
        let mut start = 0;
        while start < active.len() {
            let f = active[start].4;
            let mut end = start;
            while end < active.len() && end - start < BUCKET && active[end].4 == f {
                end += 1;
            }
            let seg = &active[start..end];
            pr.buckets.push(Bucket {
                start,
                end,
                factor: f,
                c_max: seg.iter().map(|x| x.1).fold(f64::NEG_INFINITY, f64::max),
                a_min: seg.iter().map(|x| x.2).fold(f64::INFINITY, f64::min),
                a_max: seg.iter().map(|x| x.2).fold(f64::NEG_INFINITY, f64::max),
            });
            start = end;
        }
        if let Some(is) = &self.params.importance {
            let book = Book {
                c: &pr.c,
                load: &pr.load,
                w: &pr.w,
                factor: &pr.factor,
                k: pr.k,
                chol: &self.chol,
            };
            pr.plan = Some(importance::plan(&book, is));
        }
        pr.fingerprint = self.fingerprint(&pr, portfolio.len(), self.params.scenarios);
        Ok(pr)
    }

    /// The run fingerprint for `scenarios` scenarios.
    fn fingerprint(&self, pr: &Prepared, obligors: usize, scenarios: u64) -> u64 {
        let mut h = Fnv64::new();
        h.u64(GENERATOR_VERSION).u64(self.params.seed).u64(scenarios).u64(self.params.block_size);
        h.u64(obligors as u64).u64(pr.k as u64);
        if let Some((_, nu)) = pr.chi2 {
            h.f64(nu);
        }
        self.chol.iter().for_each(|&x| {
            h.f64(x);
        });
        for j in 0..pr.c.len() {
            h.u64(pr.index[j] as u64)
                .f64(pr.c[j])
                .f64(pr.load[j])
                .f64(pr.w[j])
                .u64(pr.factor[j] as u64);
        }
        // plain runs hash exactly as before importance sampling existed
        if let Some(plan) = &pr.plan {
            h.u64(0x1A5);
            plan.mu.iter().for_each(|&m| {
                h.f64(m);
            });
            h.f64(plan.x).u64(u64::from(plan.twist));
        }
        h.finish()
    }

    /// Estimated peak memory of a run of `scenarios` scenarios, in bytes (losses, likelihood
    /// ratios, sorted copies; the per-obligor data are not counted).
    #[must_use]
    pub fn memory_needed(&self, scenarios: u64) -> u64 {
        let per = if self.params.importance.is_some() {
            BYTES_PER_SCENARIO_IS
        } else {
            BYTES_PER_SCENARIO_PLAIN
        };
        scenarios.saturating_mul(per)
    }

    /// Refuses `scenarios` when they exceed the memory limit or the index range.
    fn check_size(&self, what: &str, scenarios: u64) -> Result<(), RiskError> {
        let needed = self.memory_needed(scenarios);
        if needed > self.params.max_memory_bytes || scenarios > MAX_SCENARIOS {
            return Err(RiskError::ResourceLimit {
                what: format!("monte carlo {what} with {scenarios} scenarios"),
                needed,
                limit: self.params.max_memory_bytes.min(self.memory_needed(MAX_SCENARIOS)),
                unit: "bytes of memory",
                hint: "use fewer scenarios, importance sampling or a target precision, or shards",
            });
        }
        Ok(())
    }

    /// Simulates every scenario (in parallel over blocks).
    ///
    /// # Errors
    ///
    /// [`RiskError::Empty`] for an empty portfolio, [`RiskError::UnknownSector`] for a sector
    /// missing from a sector model, and correlation errors.
    pub fn run(&self, portfolio: &Portfolio) -> Result<McRun, RiskError> {
        self.check_size("run", self.params.scenarios)?;
        let shard = self.run_shard(portfolio, 0, 1)?;
        McShard::merge(vec![shard])
    }

    /// Simulates shard `shard_index` of `shard_count`: the blocks
    /// `[⌊B·k/count⌋, ⌊B·(k+1)/count⌋)` of the `B = ⌈scenarios / block_size⌉` blocks.
    ///
    /// # Errors
    ///
    /// [`RiskError::InvalidParameter`] when `shard_count` is 0 or `shard_index ≥ shard_count`;
    /// otherwise as [`MonteCarlo::run`].
    #[cfg_attr(feature = "tracing", tracing::instrument(level = "info", skip_all, name = "montecarlo.run_shard", fields(obligors = portfolio.len(), shard_index, shard_count)))]
    pub fn run_shard(
        &self,
        portfolio: &Portfolio,
        shard_index: u64,
        shard_count: u64,
    ) -> Result<McShard, RiskError> {
        if shard_count == 0 {
            return Err(RiskError::InvalidParameter {
                name: "shard_count",
                value: "0".into(),
                reason: "must be positive",
            });
        }
        if shard_index >= shard_count {
            return Err(RiskError::InvalidParameter {
                name: "shard_index",
                value: shard_index.to_string(),
                reason: "must be smaller than shard_count",
            });
        }
        let (n, bs) = (self.params.scenarios, self.params.block_size);
        let (lo, hi) = shard_range(n, bs, shard_index, shard_count);
        self.check_size("shard", hi - lo)?;
        let pr = self.prepare(portfolio)?;
        let (losses, weights) = self.simulate(&pr, lo, hi);
        Ok(McShard {
            fingerprint: pr.fingerprint,
            seed: self.params.seed,
            scenarios: n,
            block_size: bs,
            shard_index,
            shard_count,
            first_scenario: lo,
            losses,
            weights,
        })
    }

    /// Simulates scenarios `lo..hi` (`lo` on a block boundary), in parallel over blocks.
    fn simulate(&self, pr: &Prepared, lo: u64, hi: u64) -> (Vec<f64>, Option<Vec<f64>>) {
        let bs = self.params.block_size;
        let mut losses = vec![0.0; (hi - lo) as usize];
        let mut weights = pr.plan.as_ref().map(|_| vec![0.0; (hi - lo) as usize]);
        let first_block = lo / bs;
        let run_block = |b: usize, out: &mut [f64], wout: Option<&mut [f64]>| {
            let mut stream = self.block_stream(first_block + b as u64);
            let mut scratch = Scratch::new(pr.k);
            match wout {
                None => {
                    for slot in out.iter_mut() {
                        let mut rng = scenario_rng(&mut stream);
                        *slot = self.scenario(pr, &mut rng, &mut scratch, None).0;
                    }
                }
                Some(wout) => {
                    for (slot, wslot) in out.iter_mut().zip(wout.iter_mut()) {
                        let mut rng = scenario_rng(&mut stream);
                        (*slot, *wslot) = self.scenario(pr, &mut rng, &mut scratch, None);
                    }
                }
            }
        };
        match weights.as_mut() {
            None => losses
                .par_chunks_mut(bs as usize)
                .enumerate()
                .for_each(|(b, out)| run_block(b, out, None)),
            Some(w) => losses
                .par_chunks_mut(bs as usize)
                .zip(w.par_chunks_mut(bs as usize))
                .enumerate()
                .for_each(|(b, (out, wout))| run_block(b, out, Some(wout))),
        }
        (losses, weights)
    }

    /// Simulates until the relative standard error of the ES at `target.level` is below
    /// `target.rel_error`, in rounds of whole blocks: first `2·block_size` scenarios (at most
    /// `max_scenarios`); then, from the relative error `r` reached with `n` scenarios, the
    /// count predicted to meet the target with a 10 % margin, `1.1·n·(r / target)²`, rounded up
    /// to whole blocks and kept between one more block and `4n` (capped at `max_scenarios`).
    /// The rounds are a deterministic function of the seeded results.
    ///
    /// The result is exactly the run of a model with `scenarios` set to the final count (same
    /// losses, weights and fingerprint), so it is reproducible from the seed, independent of
    /// the thread count, and can be recomputed in shards ([`MonteCarlo::run_shard`] of that
    /// model) and merged. `self.params().scenarios` is not used.
    ///
    /// # Errors
    ///
    /// As [`MonteCarlo::run`]; [`RiskError::InvalidParameter`] for a level outside (0, 1), a
    /// tolerance that is not positive and finite, or `max_scenarios = 0`;
    /// [`RiskError::ResourceLimit`] when `max_scenarios` would not fit in memory (checked first).
    pub fn run_to_precision(
        &self,
        portfolio: &Portfolio,
        target: &PrecisionTarget,
    ) -> Result<PrecisionRun, RiskError> {
        check_level("level", target.level)?;
        if !(target.rel_error.is_finite() && target.rel_error > 0.0) {
            return Err(RiskError::InvalidParameter {
                name: "target relative error",
                value: target.rel_error.to_string(),
                reason: "must be positive and finite",
            });
        }
        if target.max_scenarios == 0 {
            return Err(RiskError::InvalidParameter {
                name: "max_scenarios",
                value: "0".into(),
                reason: "must be positive",
            });
        }
        self.check_size("precision run", target.max_scenarios)?;
        let pr = self.prepare(portfolio)?;
        let bs = self.params.block_size;
        let max = target.max_scenarios;
        let mut n = bs.saturating_mul(2).min(max);
        let (mut losses, mut weights) = self.simulate(&pr, 0, n);
        loop {
            let fp = self.fingerprint(&pr, portfolio.len(), n);
            let run = McRun::new(fp, self.params.seed, bs, losses, weights)?;
            let t = run.tail(target.level)?;
            let rel = if t.es > 0.0 { t.es_se / t.es } else { f64::INFINITY };
            if rel < target.rel_error || n >= max {
                return Ok(PrecisionRun { run, rel_error: rel, met: rel < target.rel_error });
            }
            // whole blocks, so that the next round starts on a block boundary
            let next = next_round(n, bs, rel / target.rel_error).min(max);
            let McRun { losses: l, weights: w, .. } = run;
            (losses, weights) = (l, w);
            let (more, more_w) = self.simulate(&pr, n, next);
            losses.extend(more);
            if let (Some(all), Some(extra)) = (weights.as_mut(), more_w) {
                all.extend(extra);
            }
            n = next;
        }
    }

    fn block_stream(&self, block: u64) -> ChaCha8Rng {
        let mut s = ChaCha8Rng::seed_from_u64(self.params.seed);
        s.set_stream(block);
        s
    }

    /// Loss and likelihood ratio of one scenario; when `defaults` is given, adds each defaulted
    /// obligor's loss to it.
    #[inline]
    fn scenario(
        &self,
        pr: &Prepared,
        rng: &mut Xoshiro256PlusPlus,
        sc: &mut Scratch,
        defaults: Option<&mut [f64]>,
    ) -> (f64, f64) {
        let scale = match &pr.chi2 {
            Some((chi, nu)) => (chi.sample(rng) / nu).sqrt(),
            None => 1.0,
        };
        for e in sc.eta.iter_mut() {
            *e = StandardNormal.sample(rng);
        }
        let mut log_lr = 0.0;
        if let Some(plan) = &pr.plan {
            // η ~ N(μ, I): likelihood ratio exp(−μ·η + |μ|²/2)
            for (e, m) in sc.eta.iter_mut().zip(&plan.mu) {
                *e += m;
                log_lr -= m * *e;
            }
            log_lr += plan.mu_sq_half;
        }
        let k = pr.k;
        for i in 0..k {
            sc.f[i] = (0..=i).map(|j| self.chol[i * k + j] * sc.eta[j]).sum();
        }
        let Some(plan) = pr.plan.as_ref().filter(|p| p.twist) else {
            let loss = self.thinning_loss(pr, rng, &sc.f, scale, defaults);
            return (loss, log_lr.exp());
        };
        if plan.no_twist_below.is_some_and(|b| sc.eta[0] <= b) {
            let loss = self.thinning_loss(pr, rng, &sc.f, scale, defaults);
            return (loss, log_lr.exp());
        }
        // exponential twisting: every conditional PD is needed for θ and ψ(θ)
        sc.p.clear();
        let mut mean = 0.0;
        for j in 0..pr.c.len() {
            let p = norm_cdf(pr.c[j] - pr.load[j] * sc.f[pr.factor[j]]);
            sc.p.push(p);
            mean += pr.w[j] * p;
        }
        let theta = if mean < plan.x { importance::solve_theta(&sc.p, &pr.w, plan.x) } else { 0.0 };
        let mut defaults = defaults;
        let (mut loss, mut psi) = (0.0, 0.0);
        for j in 0..pr.c.len() {
            let (pt, psi_j) = importance::twisted(sc.p[j], theta * pr.w[j]);
            psi += psi_j;
            if uniform53(rng) < pt {
                loss += pr.w[j];
                if let Some(d) = defaults.as_deref_mut() {
                    d[pr.index[j]] += pr.w[j];
                }
            }
        }
        log_lr += psi - theta * loss;
        (loss, log_lr.exp())
    }

    /// Loss given the factors, by the bucketed thinning sampler (see [`MonteCarlo`]); when
    /// `defaults` is given, adds each defaulted obligor's loss to it.
    #[inline]
    fn thinning_loss(
        &self,
        pr: &Prepared,
        rng: &mut Xoshiro256PlusPlus,
        f: &[f64],
        scale: f64,
        defaults: Option<&mut [f64]>,
    ) -> f64 {
        match defaults {
            None => thinning::<false>(pr, rng, f, scale, &mut []),
            Some(d) => thinning::<true>(pr, rng, f, scale, d),
        }
    }

    /// Re-simulates scenario `s` and adds each obligor's loss, times the scenario's likelihood
    /// ratio, into `acc`; returns the likelihood ratio.
    fn replay(&self, pr: &Prepared, s: u64, acc: &mut [f64], sc: &mut Scratch) -> f64 {
        let bs = self.params.block_size;
        let mut stream = self.block_stream(s / bs);
        stream.set_word_pos(u128::from(s % bs) * 8);
        let mut rng = scenario_rng(&mut stream);
        if pr.plan.is_none() {
            return self.scenario(pr, &mut rng, sc, Some(acc)).1;
        }
        let mut one = std::mem::take(&mut sc.one);
        one.clear();
        one.resize(acc.len(), 0.0);
        let (_, w) = self.scenario(pr, &mut rng, sc, Some(&mut one));
        for (a, o) in acc.iter_mut().zip(&one) {
            *a += w * o;
        }
        sc.one = one;
        w
    }

    /// Euler VaR and ES contributions per obligor at level q from a run of this model
    /// (`var_window` sets the VaR window as a fraction of the tail count; 0.1 is a good default).
    ///
    /// Only the tail and window scenarios are re-simulated (each scenario has its own
    /// generator), so this costs about `(1−q)` of a plain run. For an importance-sampled run
    /// the tail is every scenario with a loss ≥ VaR and each replayed scenario counts with its
    /// likelihood ratio: ES contributions are `ES · Σₖ wₖ Lᵢₖ / Σₖ wₖ Lₖ` over the tail, VaR
    /// contributions the likelihood-weighted window average rescaled to VaR.
    ///
    /// # Errors
    ///
    /// [`RiskError::ShardMismatch`] when the run was made by another model, portfolio or seed;
    /// [`RiskError::InvalidParameter`] for q ∉ (0, 1) or a window outside (0, 10].
    pub fn contributions(
        &self,
        portfolio: &Portfolio,
        run: &McRun,
        q: f64,
        var_window: f64,
    ) -> Result<RiskContributions, RiskError> {
        check_level("q", q)?;
        if !(var_window.is_finite() && var_window > 0.0 && var_window <= 10.0) {
            return Err(RiskError::InvalidParameter {
                name: "var_window",
                value: var_window.to_string(),
                reason: "must lie in (0, 10]",
            });
        }
        let pr = self.prepare(portfolio)?;
        // the scenario count comes from the run (a precision run chooses its own)
        let expected = self.fingerprint(&pr, portfolio.len(), run.scenarios());
        if expected != run.fingerprint {
            return Err(RiskError::ShardMismatch(format!(
                "run fingerprint {:016x} does not match this model and portfolio ({:016x})",
                run.fingerprint, expected
            )));
        }
        let n = run.losses.len();
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.par_sort_unstable_by(|&a, &b| {
            run.losses[a as usize].total_cmp(&run.losses[b as usize]).then(a.cmp(&b))
        });
        let var = run.distribution.var(q)?;
        let es = run.distribution.es(q)?;
        let (m, r) = match run.distribution.weighted_sample() {
            None => (sample_tail_count(n, q), sample_var_index(n, q)),
            // importance sampling: the tail is every scenario with a loss ≥ VaR
            Some((sorted, _)) => {
                let r = sorted.partition_point(|&x| x < var);
                (n - r, r)
            }
        };
        let h = ((var_window * m as f64).round() as usize).max(1);
        let (w0, w1) = (r.saturating_sub(h), (r + h).min(n - 1));
        let sum_over = |idx: &[u32]| -> Vec<f64> {
            let parts: Vec<Vec<f64>> = idx
                .par_chunks(256)
                .map(|ch| {
                    let mut acc = vec![0.0; portfolio.len()];
                    let mut sc = Scratch::new(pr.k);
                    for &s in ch {
                        self.replay(&pr, u64::from(s), &mut acc, &mut sc);
                    }
                    acc
                })
                .collect();
            let mut tot = vec![0.0; portfolio.len()];
            for p in parts {
                tot.iter_mut().zip(p).for_each(|(t, v)| *t += v);
            }
            tot
        };
        let tail = sum_over(&order[n - m..]);
        let es_contributions: Vec<f64> = if run.weights.is_none() {
            tail.iter().map(|x| x / m as f64).collect()
        } else {
            // E_w[Lᵢ | L ≥ VaR], rescaled to add up to the ES
            let t: f64 = tail.iter().sum();
            if t > 0.0 { tail.iter().map(|x| es * x / t).collect() } else { tail }
        };
        let window = sum_over(&order[w0..=w1]);
        let total: f64 = window.iter().sum();
        let var_contributions = if total > 0.0 {
            window.iter().map(|x| var * x / total).collect()
        } else {
            vec![0.0; portfolio.len()]
        };
        Ok(RiskContributions {
            level: q,
            var,
            es,
            var_contributions,
            es_contributions,
            tail_scenarios: m,
            var_window_scenarios: w1 - w0 + 1,
        })
    }
}

/// Per-thread buffers of the scenario loop.
#[derive(Debug)]
struct Scratch {
    eta: Vec<f64>,
    f: Vec<f64>,
    /// Conditional PDs (twisting).
    p: Vec<f64>,
    /// Per-obligor losses of one replayed scenario.
    one: Vec<f64>,
}

impl Scratch {
    fn new(k: usize) -> Self {
        Scratch { eta: vec![0.0; k], f: vec![0.0; k], p: Vec::new(), one: Vec::new() }
    }
}

/// Targets of [`MonteCarlo::run_to_precision`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PrecisionTarget {
    /// The level q of the ES whose relative standard error is controlled (e.g. 0.999).
    pub level: f64,
    /// Stop when `se(ES) / ES` is below this (e.g. 0.005).
    pub rel_error: f64,
    /// Never simulate more scenarios than this.
    pub max_scenarios: u64,
}

/// The result of [`MonteCarlo::run_to_precision`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PrecisionRun {
    /// The run (its scenario count is where the simulation stopped).
    pub run: McRun,
    /// The relative standard error of the ES at the target level reached.
    pub rel_error: f64,
    /// Whether the target was met (false when `max_scenarios` stopped the simulation first).
    pub met: bool,
}

/// The scenario count of the next round of a precision run after `n` scenarios reached `ratio`
/// times the target relative error: `1.1·n·ratio²` in whole blocks of `bs`, at least one block
/// more and at most `4n` (also when the ratio is infinite or NaN).
fn next_round(n: u64, bs: u64, ratio: f64) -> u64 {
    let most = n.saturating_mul(4);
    let want = 1.1 * n as f64 * ratio * ratio;
    let want = if want.is_finite() && want < most as f64 { want.ceil() as u64 } else { most };
    want.div_ceil(bs).saturating_mul(bs).clamp(n.saturating_add(bs), most.max(n.saturating_add(bs)))
}

/// The thinning sampler of [`MonteCarlo::thinning_loss`]; `RECORD` adds each defaulted
/// obligor's loss to `defaults` (indexed by original obligor), otherwise `defaults` is unused.
/// The loop decides each candidate without a branch on the answer (a miss adds exactly 0.0).
#[inline(always)]
fn thinning<const RECORD: bool>(
    pr: &Prepared,
    rng: &mut Xoshiro256PlusPlus,
    f: &[f64],
    scale: f64,
    defaults: &mut [f64],
) -> f64 {
    let phi = &pr.phi;
    let mut loss = 0.0;
    let last = pr.bounds.len() as f64;
    let mut hit = |j: usize, yes: bool, loss: &mut f64| {
        let add = if yes { pr.w[j] } else { 0.0 };
        *loss += add;
        if RECORD {
            defaults[pr.index[j]] += add;
        }
    };
    for b in &pr.buckets {
        let zf = f[b.factor];
        let bound = b.c_max * scale - if zf >= 0.0 { b.a_min } else { b.a_max } * zf;
        let x = (bound + PHI_T) * BOUND_STEPS_PER_UNIT;
        let entry = if x >= last {
            BucketBound::Bits(DyadicBound { num: 1, words: 0, q: 1.0 })
        } else if x >= 0.0 {
            pr.bounds[x as usize]
        } else {
            // far below the table (Φ < 1e-17; also NaN): the exact bound
            let q = norm_cdf(bound);
            if q.is_nan() || q <= 0.0 {
                continue;
            }
            BucketBound::Gaps(GapBound::new(q))
        };
        let len = b.end - b.start;
        // Thinning: candidates are Bernoulli(q), each kept with probability p_j/q, so
        // obligor j defaults with probability exactly p_j.
        match entry {
            BucketBound::Bits(q) => {
                let mut mask = q.candidates(rng);
                if len < BUCKET {
                    mask &= (1u64 << len) - 1;
                }
                while mask != 0 {
                    let j = b.start + mask.trailing_zeros() as usize;
                    mask &= mask - 1;
                    let yes = below(uniform53(rng) * q.q, pr.c[j] * scale - pr.load[j] * zf, phi);
                    hit(j, yes, &mut loss);
                }
            }
            BucketBound::Gaps(g) => {
                // the first gap reaches past the bucket with probability (1 − q)^len
                let none = if len == BUCKET { g.none } else { (g.log_keep * len as f64).exp() };
                let mut u = 1.0 - uniform53(rng);
                if u <= none {
                    continue;
                }
                let mut j = b.start;
                loop {
                    // the gap ⌊ln u / ln(1 − q)⌋ (≥ 0): it reaches past the bucket exactly when
                    // the unrounded ratio does, and `as usize` truncates it
                    let gap = u.ln() / g.log_keep;
                    if gap >= (b.end - j) as f64 {
                        break;
                    }
                    j += gap as usize;
                    let yes = below(uniform53(rng) * g.q, pr.c[j] * scale - pr.load[j] * zf, phi);
                    hit(j, yes, &mut loss);
                    j += 1;
                    if j >= b.end {
                        break;
                    }
                    u = 1.0 - uniform53(rng);
                }
            }
        }
    }
    loss
}

/// The generator of the next scenario of a block stream (32 bytes = 8 ChaCha words).
#[inline]
fn scenario_rng(stream: &mut ChaCha8Rng) -> Xoshiro256PlusPlus {
    let mut seed = [0u8; 32];
    stream.fill_bytes(&mut seed);
    Xoshiro256PlusPlus::from_seed(seed)
}

impl LossModel for MonteCarlo {
    fn name(&self) -> &str {
        match (&self.params.copula, &self.params.factors) {
            (Copula::Gaussian, FactorModel::OneFactor) => "Monte Carlo one-factor Gaussian copula",
            (Copula::Gaussian, _) => "Monte Carlo sector Gaussian copula",
            (_, FactorModel::OneFactor) => "Monte Carlo one-factor t copula",
            _ => "Monte Carlo sector t copula",
        }
    }
    fn loss_distribution(&self, portfolio: &Portfolio) -> Result<LossDistribution, RiskError> {
        Ok(self.run(portfolio)?.distribution)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_reproduces_the_stream() {
        let m = MonteCarloParams { block_size: 7, ..Default::default() }.build().unwrap();
        let mut s = m.block_stream(3);
        let _ = scenario_rng(&mut s);
        let mut a = scenario_rng(&mut s);
        let mut t = m.block_stream(3);
        t.set_word_pos(8);
        let mut b = scenario_rng(&mut t);
        assert_eq!(a.next_u64(), b.next_u64());
    }

    #[test]
    fn shard_ranges_tile_the_run() {
        for (n, bs, count) in [(10u64, 3u64, 4u64), (1000, 1024, 3), (5, 1, 5), (100, 7, 1)] {
            let mut next = 0;
            for k in 0..count {
                let (lo, hi) = shard_range(n, bs, k, count);
                assert_eq!(lo, next);
                assert!(lo % bs == 0 || lo == n);
                next = hi;
            }
            assert_eq!(next, n);
        }
    }

    #[test]
    fn table_decision_equals_exact_comparison() {
        let table = PhiTable::new();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        for j in 0..200_000 {
            let t = -10.0 + 20.0 * (j as f64) / 200_000.0;
            let u = if j % 2 == 0 {
                uniform53(&mut rng)
            } else {
                norm_cdf(t) * (1.0 + 1e-9 * (uniform53(&mut rng) - 0.5))
            };
            assert_eq!(below(u, t, &table), u < norm_cdf(t), "t {t} u {u}");
        }
        // u inside the bracket of t's interval: the chord-and-band step decides (or Φ does)
        let mut by_chord = 0;
        for j in 0..400_000 {
            let t = -9.0 + 18.0 * uniform53(&mut rng);
            let x = (t + PHI_T) * PHI_STEPS_PER_UNIT;
            if !(0.0..table.band.len() as f64).contains(&x) {
                continue;
            }
            let k = x as usize;
            let (lo, hi) = (table.at[k], table.at[k + 1]);
            let u = if j % 2 == 0 {
                lo + uniform53(&mut rng) * (hi - lo)
            } else {
                // right at Φ(t), where only the exact evaluation can decide
                norm_cdf(t) * (1.0 + 1e-13 * (uniform53(&mut rng) - 0.5))
            };
            let chord = lo + (x - k as f64) * (hi - lo);
            if (u - chord).abs() > table.band[k] {
                by_chord += 1;
            }
            assert_eq!(below(u, t, &table), u < norm_cdf(t), "t {t} u {u}");
        }
        // the band is narrow: most of the bracket is decided by the chord
        assert!(by_chord > 150_000, "{by_chord}");
    }

    #[test]
    fn chord_band_bounds_phi_with_margin() {
        // the band holds the computed Φ with room to spare on a fine grid of every interval
        let table = PhiTable::new();
        for (k, &band) in table.band.iter().enumerate() {
            let (lo, hi) = (table.at[k], table.at[k + 1]);
            for i in 0..=64 {
                let frac = f64::from(i) / 64.0;
                let t = -PHI_T + (k as f64 + frac) / PHI_STEPS_PER_UNIT;
                let chord = lo + frac * (hi - lo);
                assert!((norm_cdf(t) - chord).abs() <= band / 1.04, "interval {k} frac {frac}");
            }
            // and is far narrower than the bracket where the bracket is not negligible
            if hi - lo > 1e-10 {
                assert!(band < 0.02 * (hi - lo), "interval {k}: {band} vs {}", hi - lo);
            }
        }
    }

    #[test]
    fn dyadic_bounds_are_tight_upper_bounds() {
        for p in [1e-15, 3.7e-9, 1e-4, 0.0123, 0.25, 0.3, 0.5, 0.77, 0.999, 1.0] {
            let b = DyadicBound::above(p);
            assert!(b.q >= p && b.q <= 1.0, "{p}: {b:?}");
            assert!(b.q <= p * (1.0 + 0.5f64.powi(BOUND_BITS as i32 - 1)), "{p}: {b:?}");
            assert_eq!(b.q, b.num as f64 / 2f64.powi(b.words as i32));
            assert!(b.num % 2 == 1);
        }
        // every table entry bounds Φ over its whole interval
        let table = bound_table();
        for (k, e) in table.iter().enumerate() {
            let t = -PHI_T + (k as f64 + 0.999_999) / BOUND_STEPS_PER_UNIT;
            let q = match e {
                BucketBound::Bits(b) => b.q,
                BucketBound::Gaps(g) => g.q,
            };
            assert!(q >= norm_cdf(t), "entry {k}");
        }
    }

    #[test]
    fn candidate_bits_are_bernoulli_q() {
        // each of the 64 bits of a candidate word is 1 with probability q
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        for p in [0.011, 0.2, 0.3, 0.77] {
            let b = DyadicBound::above(p);
            let n = 20_000;
            let mut ones = [0u32; 64];
            for _ in 0..n {
                let m = b.candidates(&mut rng);
                for (i, o) in ones.iter_mut().enumerate() {
                    *o += ((m >> i) & 1) as u32;
                }
            }
            let sd = (b.q * (1.0 - b.q) / n as f64).sqrt();
            let total: f64 = ones.iter().map(|&o| f64::from(o)).sum::<f64>() / (64 * n) as f64;
            assert!((total - b.q).abs() < 5.0 * sd / 8.0, "{p}: {total} vs {}", b.q);
            for &o in &ones {
                assert!((f64::from(o) / n as f64 - b.q).abs() < 5.0 * sd, "{p}: {o}");
            }
        }
    }

    #[test]
    fn thinning_defaults_each_obligor_with_its_conditional_pd() {
        use finkit_schema::PortfolioColumns;
        // 100 obligors (two buckets, one short), PDs from 1e-4 to 0.5; factor values that send
        // the buckets through the random-word path, the gap path (from the table and below it)
        // and q = 1
        let n = 100;
        let pd: Vec<f64> = (0..n).map(|i| 1e-4 * (5000f64).powf(i as f64 / 99.0)).collect();
        let p = Portfolio::new(PortfolioColumns {
            ids: (0..n).map(|i| format!("O{i}")).collect(),
            sectors: vec!["A".into(); n],
            grades: vec![None; n],
            pd: pd.clone(),
            lgd: vec![0.5; n],
            ead: vec![1.0; n],
            maturity: vec![1.0; n],
            annual_sales: vec![None; n],
        })
        .unwrap();
        let m =
            MonteCarloParams { correlation: AssetCorrelation::Constant(0.2), ..Default::default() }
                .build()
                .unwrap();
        let pr = m.prepare(&p).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        for z in [14.0, 2.5, 0.0, -3.0, -9.0] {
            let draws = 40_000;
            let mut count = vec![0.0; n];
            for _ in 0..draws {
                m.thinning_loss(&pr, &mut rng, &[z], 1.0, Some(&mut count));
            }
            for (i, &c) in count.iter().enumerate() {
                let cp = norm_cdf((norm_inv(pd[i]) - 0.2f64.sqrt() * z) / 0.8f64.sqrt());
                // counts: within 5 sd of the binomial mean (plus 3 for the Poisson-like tiny ones)
                let (got, mean) = (c / 0.5, cp * draws as f64);
                let sd = (mean * (1.0 - cp)).sqrt();
                assert!((got - mean).abs() <= 5.0 * sd + 3.0, "z {z} obligor {i}: {got} vs {mean}");
            }
        }
    }

    #[test]
    fn precision_rounds_grow_by_whole_blocks() {
        assert_eq!(next_round(2048, 1024, 1.1), 3072); // 1.1·2048·1.21 = 2726 → 3 blocks
        assert_eq!(next_round(2048, 1024, 1.0), 3072);
        assert_eq!(next_round(2048, 1024, 0.5), 3072); // at least one block more
        assert_eq!(next_round(2048, 1024, 10.0), 8192); // at most 4n
        assert_eq!(next_round(2048, 1024, f64::INFINITY), 8192);
        assert_eq!(next_round(2048, 1024, f64::NAN), 8192);
        assert_eq!(next_round(1, 1, 3.0), 4);
        assert_eq!(next_round(u64::MAX - 1, 1024, 2.0), u64::MAX);
    }

    #[test]
    fn cholesky_rejects_indefinite() {
        assert!(cholesky(&[vec![1.0, 0.5], vec![0.5, 1.0]]).is_some());
        assert!(cholesky(&[vec![1.0, 1.0], vec![1.0, 1.0]]).is_none());
    }
}
