//! Copula Monte Carlo of portfolio credit losses: deterministic, parallel and shardable.

use finkit_schema::Portfolio;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{ChiSquared, Distribution, StandardNormal};

use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::distribution::{LossDistribution, sample_tail_count, sample_var_index};
use super::loss_model::{AssetCorrelation, LossModel};
use super::math::{Fnv64, check_level, norm_cdf, norm_inv};
use crate::RiskError;

/// Version tag mixed into run fingerprints; bump when the scenario generator changes.
const GENERATOR_VERSION: u64 = 2;

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
}

impl Default for MonteCarloParams {
    fn default() -> Self {
        MonteCarloParams {
            copula: Copula::Gaussian,
            factors: FactorModel::OneFactor,
            correlation: AssetCorrelation::default(),
            scenarios: 100_000,
            seed: 0,
            block_size: 1024,
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

/// Lower-triangular Cholesky factor, row-major, or `None` if not positive definite.
fn cholesky(a: &[Vec<f64>]) -> Option<Vec<f64>> {
    let k = a.len();
    let mut l = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..=i {
            let mut s = a[i][j];
            for m in 0..j {
                s -= l[i * k + m] * l[j * k + m];
            }
            if i == j {
                if s <= 1e-14 {
                    return None;
                }
                l[i * k + i] = s.sqrt();
            } else {
                l[i * k + j] = s / l[j * k + j];
            }
        }
    }
    Some(l)
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
/// factor and threshold and grouped in buckets of 64; per scenario each bucket gets the bound
/// `q ≥ pᵢ` of its members (one Φ per bucket), candidates are drawn as Bernoulli(q) by geometric
/// gaps and each candidate is kept with probability `pᵢ/q` (thinning) — exactly Bernoulli(pᵢ),
/// independent across obligors given the factors, i.e. the same model as comparing one normal
/// per obligor, at a cost proportional to the number of likely defaults. Buckets with
/// `q > 0.25` are tested obligor by obligor (`Uᵢ < Φ(tᵢ)`). Comparisons `U < Φ(t)` use a table
/// of Φ (step 1/64) that brackets `Φ(t)` and evaluate Φ (Cody) only in the rare undecided case.
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

/// `Φ(t_k)` on `t_k = −PHI_T + k/64`: bracketing values for the default decision.
fn phi_table() -> Vec<f64> {
    let k = (2.0 * PHI_T * PHI_STEPS_PER_UNIT) as usize;
    (0..=k).map(|j| norm_cdf(-PHI_T + j as f64 / PHI_STEPS_PER_UNIT)).collect()
}

/// Whether `Φ⁻¹(u) < t`, i.e. `u < Φ(t)`, for a uniform `u`: decided by the bracketing table
/// values `Φ(t_k) ≤ Φ(t) ≤ Φ(t_{k+1})` and, only when `u` falls between them (probability
/// ≈ φ(t)/64), by evaluating Φ(t) exactly.
#[inline(always)]
fn below(u: f64, t: f64, table: &[f64]) -> bool {
    let x = (t + PHI_T) * PHI_STEPS_PER_UNIT;
    if x >= 0.0 && x < (table.len() - 1) as f64 {
        let k = x as usize;
        if u < table[k] {
            return true;
        }
        if u >= table[k + 1] {
            return false;
        }
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
    /// See [`phi_table`].
    table: Vec<f64>,
    /// Runs of obligors (sorted by factor and threshold) that share a default-probability bound.
    buckets: Vec<Bucket>,
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

/// Obligors per bucket of the thinning sampler.
const BUCKET: usize = 64;
/// Above this bucket bound, obligors are tested one by one instead of by geometric skips.
const DIRECT_ABOVE: f64 = 0.25;

/// The per-scenario losses of a complete run, with its identity.
#[derive(Debug, Clone, PartialEq)]
pub struct McRun {
    fingerprint: u64,
    seed: u64,
    block_size: u64,
    losses: Vec<f64>,
    distribution: LossDistribution,
}

impl McRun {
    /// Losses in scenario order.
    #[must_use]
    pub fn losses(&self) -> &[f64] {
        &self.losses
    }
    /// The sample loss distribution (type-1 VaR, mean-of-largest ES; see [`LossDistribution`]).
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
        let mut next = 0u64;
        let mut losses = Vec::with_capacity(n as usize);
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
        }
        if next != n {
            return Err(RiskError::ShardMismatch(format!("shards cover {next} of {n} scenarios")));
        }
        let distribution = LossDistribution::from_sample(losses.clone())?;
        Ok(McRun { fingerprint: fp, seed, block_size: bs, losses, distribution })
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
            table: phi_table(),
            buckets: Vec::new(),
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
        let mut h = Fnv64::new();
        h.u64(GENERATOR_VERSION)
            .u64(self.params.seed)
            .u64(self.params.scenarios)
            .u64(self.params.block_size);
        h.u64(portfolio.len() as u64).u64(pr.k as u64);
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
        pr.fingerprint = h.finish();
        Ok(pr)
    }

    /// Simulates every scenario (in parallel over blocks).
    ///
    /// # Errors
    ///
    /// [`RiskError::Empty`] for an empty portfolio, [`RiskError::UnknownSector`] for a sector
    /// missing from a sector model, and correlation errors.
    pub fn run(&self, portfolio: &Portfolio) -> Result<McRun, RiskError> {
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
        let pr = self.prepare(portfolio)?;
        let (n, bs) = (self.params.scenarios, self.params.block_size);
        let (lo, hi) = shard_range(n, bs, shard_index, shard_count);
        let mut losses = vec![0.0; (hi - lo) as usize];
        let first_block = lo / bs;
        losses.par_chunks_mut(bs as usize).enumerate().for_each(|(b, out)| {
            let block = first_block + b as u64;
            let mut stream = self.block_stream(block);
            let mut f = vec![0.0; pr.k];
            let mut eta = vec![0.0; pr.k];
            for slot in out.iter_mut() {
                let mut rng = scenario_rng(&mut stream);
                *slot = self.scenario_loss(&pr, &mut rng, &mut f, &mut eta, None);
            }
        });
        Ok(McShard {
            fingerprint: pr.fingerprint,
            seed: self.params.seed,
            scenarios: n,
            block_size: bs,
            shard_index,
            shard_count,
            first_scenario: lo,
            losses,
        })
    }

    fn block_stream(&self, block: u64) -> ChaCha8Rng {
        let mut s = ChaCha8Rng::seed_from_u64(self.params.seed);
        s.set_stream(block);
        s
    }

    /// Loss of one scenario; when `defaults` is given, adds each defaulted obligor's loss to it.
    #[inline]
    fn scenario_loss(
        &self,
        pr: &Prepared,
        rng: &mut Xoshiro256PlusPlus,
        f: &mut [f64],
        eta: &mut [f64],
        defaults: Option<&mut [f64]>,
    ) -> f64 {
        let scale = match &pr.chi2 {
            Some((chi, nu)) => (chi.sample(rng) / nu).sqrt(),
            None => 1.0,
        };
        for e in eta.iter_mut() {
            *e = StandardNormal.sample(rng);
        }
        let k = pr.k;
        for (i, fi) in f.iter_mut().enumerate() {
            *fi = (0..=i).map(|j| self.chol[i * k + j] * eta[j]).sum();
        }
        let table = &pr.table[..];
        let mut loss = 0.0;
        let mut defaults = defaults;
        for b in &pr.buckets {
            let zf = f[b.factor];
            let bound = b.c_max * scale - if zf >= 0.0 { b.a_min } else { b.a_max } * zf;
            let q = norm_cdf(bound);
            if q <= 0.0 {
                continue;
            }
            let mut hit = |j: usize, loss: &mut f64| {
                *loss += pr.w[j];
                if let Some(d) = defaults.as_deref_mut() {
                    d[pr.index[j]] += pr.w[j];
                }
            };
            if q > DIRECT_ABOVE {
                for j in b.start..b.end {
                    if below(uniform53(rng), pr.c[j] * scale - pr.load[j] * zf, table) {
                        hit(j, &mut loss);
                    }
                }
                continue;
            }
            // Thinning: candidates are Bernoulli(q) (geometric gaps), each kept with
            // probability p_j/q, so obligor j defaults with probability exactly p_j.
            let log_keep = (-q).ln_1p();
            let mut j = b.start;
            loop {
                let u = 1.0 - uniform53(rng);
                let gap = (u.ln() / log_keep).floor();
                if gap >= (b.end - j) as f64 {
                    break;
                }
                j += gap as usize;
                if below(uniform53(rng) * q, pr.c[j] * scale - pr.load[j] * zf, table) {
                    hit(j, &mut loss);
                }
                j += 1;
                if j >= b.end {
                    break;
                }
            }
        }
        loss
    }

    /// Re-simulates scenario `s` and adds each obligor's loss into `acc`.
    fn replay(&self, pr: &Prepared, s: u64, acc: &mut [f64]) -> f64 {
        let bs = self.params.block_size;
        let mut stream = self.block_stream(s / bs);
        stream.set_word_pos(u128::from(s % bs) * 8);
        let mut rng = scenario_rng(&mut stream);
        let mut f = vec![0.0; pr.k];
        let mut eta = vec![0.0; pr.k];
        self.scenario_loss(pr, &mut rng, &mut f, &mut eta, Some(acc))
    }

    /// Euler VaR and ES contributions per obligor at level q from a run of this model
    /// (`var_window` sets the VaR window as a fraction of the tail count; 0.1 is a good default).
    ///
    /// Only the tail and window scenarios are re-simulated (each scenario has its own
    /// generator), so this costs about `(1−q)` of the run.
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
        if pr.fingerprint != run.fingerprint {
            return Err(RiskError::ShardMismatch(format!(
                "run fingerprint {:016x} does not match this model and portfolio ({:016x})",
                run.fingerprint, pr.fingerprint
            )));
        }
        let n = run.losses.len();
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.par_sort_unstable_by(|&a, &b| {
            run.losses[a as usize].total_cmp(&run.losses[b as usize]).then(a.cmp(&b))
        });
        let m = sample_tail_count(n, q);
        let r = sample_var_index(n, q);
        let h = ((var_window * m as f64).round() as usize).max(1);
        let (w0, w1) = (r.saturating_sub(h), (r + h).min(n - 1));
        let sum_over = |idx: &[u32]| -> Vec<f64> {
            let parts: Vec<Vec<f64>> = idx
                .par_chunks(256)
                .map(|ch| {
                    let mut acc = vec![0.0; portfolio.len()];
                    for &s in ch {
                        self.replay(&pr, u64::from(s), &mut acc);
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
        let es_contributions: Vec<f64> = tail.iter().map(|x| x / m as f64).collect();
        let window = sum_over(&order[w0..=w1]);
        let var = run.distribution.var(q)?;
        let total: f64 = window.iter().sum();
        let var_contributions = if total > 0.0 {
            window.iter().map(|x| var * x / total).collect()
        } else {
            vec![0.0; portfolio.len()]
        };
        Ok(RiskContributions {
            level: q,
            var,
            es: run.distribution.es(q)?,
            var_contributions,
            es_contributions,
            tail_scenarios: m,
            var_window_scenarios: w1 - w0 + 1,
        })
    }
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
        let table = phi_table();
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
    }

    #[test]
    fn cholesky_rejects_indefinite() {
        assert!(cholesky(&[vec![1.0, 0.5], vec![0.5, 1.0]]).is_some());
        assert!(cholesky(&[vec![1.0, 1.0], vec![1.0, 1.0]]).is_none());
    }
}
