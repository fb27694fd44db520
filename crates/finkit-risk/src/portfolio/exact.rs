//! The exact one-factor Gaussian-copula loss distribution on a loss lattice.

use finkit_schema::Portfolio;
use rayon::prelude::*;

use super::distribution::LossDistribution;
use super::loss_model::{AssetCorrelation, LossModel};
use super::math::{KahanSum, gauss_legendre, norm_cdf, norm_inv, norm_pdf};
use crate::RiskError;

/// The loss lattice unit (same currency unit as EAD).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum LatticeUnit {
    /// The default: the finest unit that holds every LGD·EAD exactly ([`exact_lattice_unit`])
    /// when that lattice fits the point and work limits of the model; otherwise (too many
    /// points, too much work, or a value that is not a short decimal) the finest unit of the
    /// form {1, 2, 2.5, 5}·10ᵏ that fits them, with every LGD·EAD rounded to the nearest
    /// multiple (exposure banding, as in CreditRisk+). The unit and the error bound are
    /// reported in [`LatticeExposures`]. A banded lattice whose error bound would exceed
    /// [`AUTO_MAX_ERROR_SHARE`] of the total exposure, or that would have fewer than
    /// [`MIN_AUTO_POINTS`] points, is refused ([`RiskError::ResourceLimit`]): large granular
    /// books need Monte Carlo.
    #[default]
    Auto,
    /// The finest exact unit or an error ([`RiskError::NoExactLattice`],
    /// [`RiskError::LatticeTooLarge`]): no banding.
    Exact,
    /// A caller-given unit: each LGD·EAD is rounded to the nearest multiple (exposure banding);
    /// the largest rounding error is reported in [`LatticeExposures::max_rounding_error`].
    Given(f64),
}

/// Largest number of decimal places tried when searching for an exact lattice.
const MAX_DECIMALS: i32 = 12;

/// Finds the finest unit `u` such that every value is an integer multiple of `u`.
///
/// Each value is read as a decimal with at most 12 places (a value `v` has `d` places when
/// `|v·10ᵈ − round(v·10ᵈ)| ≤ max(1e-6, 1e-14·v·10ᵈ)`, which absorbs binary
/// representation error such as `0.65 × 26.8 = 17.420000000000002`); with `D` the largest
/// number of places, `u = gcd(round(vᵢ·10ᴰ)) / 10ᴰ`. Zero values are ignored.
///
/// # Errors
///
/// [`RiskError::NoExactLattice`] when a value needs more than 12 places (e.g. 1/3);
/// [`RiskError::InvalidParameter`] when every value is zero or a value is negative / non-finite.
pub fn exact_lattice_unit(values: &[f64]) -> Result<f64, RiskError> {
    let mut places = 0;
    for (index, &v) in values.iter().enumerate() {
        if !(v.is_finite() && v >= 0.0) {
            return Err(RiskError::InvalidParameter {
                name: "lgd*ead",
                value: v.to_string(),
                reason: "must be finite and non-negative",
            });
        }
        if v == 0.0 {
            continue;
        }
        let d = (0..=MAX_DECIMALS)
            .find(|&d| {
                let x = v * 10f64.powi(d);
                (x - x.round()).abs() <= 1e-6_f64.max(x.abs() * 1e-14) && x < 9.0e15
            })
            .ok_or(RiskError::NoExactLattice { index, value: v })?;
        places = places.max(d);
    }
    let scale = 10f64.powi(places);
    let mut g: u64 = 0;
    for (index, &v) in values.iter().enumerate() {
        if v == 0.0 {
            continue;
        }
        let x = (v * scale).round();
        if x >= 9.0e15 {
            return Err(RiskError::NoExactLattice { index, value: v });
        }
        g = gcd(g, x as u64);
    }
    if g == 0 {
        return Err(RiskError::InvalidParameter {
            name: "lgd*ead",
            value: "0".into(),
            reason: "every exposure is zero, so there is no loss lattice",
        });
    }
    Ok(g as f64 / scale)
}

/// An automatic lattice is never coarser than this many points over the total exposure.
pub const MIN_AUTO_POINTS: u64 = 1000;
/// An automatic (banded) lattice is refused when its loss error bound exceeds this share of the
/// total LGD·EAD (0.2 %, about 1 % of a typical 99.9 % VaR).
pub const AUTO_MAX_ERROR_SHARE: f64 = 0.002;
/// An automatic lattice has at most this many points (about 100 MB of working memory).
pub const AUTO_MAX_POINTS: u64 = 1_000_000;
/// Default limit on lattice points for any unit: the convolution holds about 24 buffers of
/// the lattice (8 bytes a point), so 2·10⁷ points is about 3.8 GB.
pub const DEFAULT_MAX_POINTS: u64 = 20_000_000;

enum UnitKind {
    Exact,
    Banded,
}

fn unit_kind(u: LatticeUnit) -> UnitKind {
    match u {
        LatticeUnit::Given(_) => UnitKind::Banded,
        LatticeUnit::Auto | LatticeUnit::Exact => UnitKind::Exact,
    }
}

/// The smallest number of the form {1, 2, 2.5, 5}·10ᵏ that is ≥ x (x > 0).
fn nice_at_least(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 1.0;
    }
    let mut p = 10f64.powf(x.log10().floor() - 1.0);
    loop {
        for m in [1.0, 2.0, 2.5, 5.0] {
            if m * p >= x {
                return m * p;
            }
        }
        p *= 10.0;
    }
}

/// Operations of the convolution over `nodes` quadrature nodes without trimming:
/// `nodes · Σⱼ (1 + Σ_{i ≤ j} uᵢ)`, obligors taken smallest first.
fn convolution_work(units: &[u64], nodes: usize) -> f64 {
    let mut u: Vec<u64> = units.iter().copied().filter(|&k| k > 0).collect();
    u.sort_unstable();
    let mut support = 1.0;
    let mut work = 0.0;
    for k in u {
        support += k as f64;
        work += support;
    }
    work * nodes as f64
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Exposures (LGD·EAD) expressed in lattice units.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LatticeExposures {
    /// The lattice unit.
    pub unit: f64,
    /// LGD·EAD of each obligor in units.
    pub units: Vec<u64>,
    /// The largest |LGD·EAD − units·unit| (0 up to round-off for an exact unit).
    pub max_rounding_error: f64,
    /// `Σᵢ |LGDᵢ·EADᵢ − unitsᵢ·unit|`: in every scenario the banded loss differs from the true
    /// loss by at most this, so every quantile (VaR) and every ES of the banded distribution
    /// lies within this bound of the unbanded model's (before the lattice's own rounding of
    /// the quantile to a lattice point, which adds at most one unit to VaR).
    pub loss_error_bound: f64,
    /// Whether the unit was coarsened (banded) rather than exact.
    pub banded: bool,
}

impl LatticeExposures {
    /// Puts the LGD·EAD of every obligor on a lattice, refusing more than `max_points` points.
    ///
    /// # Errors
    ///
    /// As [`exact_lattice_unit`]; [`RiskError::InvalidParameter`] for a bad given unit;
    /// [`RiskError::LatticeTooLarge`] when Σ units + 1 exceeds `max_points`.
    pub fn new(lgd_ead: &[f64], unit: LatticeUnit, max_points: u64) -> Result<Self, RiskError> {
        Self::with_budget(lgd_ead, unit, max_points, None)
    }

    /// As [`LatticeExposures::new`], and for [`LatticeUnit::Auto`] also within a convolution
    /// work budget: `nodes · Σⱼ (support after j obligors)` operations at most (obligors taken
    /// smallest exposure first, as [`ExactOneFactor`] does; `None`: no work limit).
    ///
    /// # Errors
    ///
    /// As [`LatticeExposures::new`]; [`RiskError::ResourceLimit`] when even a lattice of
    /// [`MIN_AUTO_POINTS`] points would exceed the work budget.
    pub fn with_budget(
        lgd_ead: &[f64],
        unit: LatticeUnit,
        max_points: u64,
        work: Option<(usize, f64)>,
    ) -> Result<Self, RiskError> {
        if let LatticeUnit::Auto = unit {
            return Self::auto(lgd_ead, max_points, work);
        }
        let banded = matches!(unit_kind(unit), UnitKind::Banded);
        let unit = match unit {
            LatticeUnit::Auto | LatticeUnit::Exact => exact_lattice_unit(lgd_ead)?,
            LatticeUnit::Given(u) => {
                if !(u.is_finite() && u > 0.0) {
                    return Err(RiskError::InvalidParameter {
                        name: "lattice unit",
                        value: u.to_string(),
                        reason: "must be positive and finite",
                    });
                }
                u
            }
        };
        Self::round_to(lgd_ead, unit, max_points, banded)
    }

    fn round_to(
        lgd_ead: &[f64],
        unit: f64,
        max_points: u64,
        banded: bool,
    ) -> Result<Self, RiskError> {
        let mut units = Vec::with_capacity(lgd_ead.len());
        let mut total: u64 = 0;
        let mut err: f64 = 0.0;
        let mut sum_err = KahanSum::default();
        for &v in lgd_ead {
            let k = (v / unit).round();
            if k > max_points as f64 {
                return Err(RiskError::LatticeTooLarge { points: k as u64, limit: max_points });
            }
            let k = k as u64;
            let e = (v - k as f64 * unit).abs();
            err = err.max(e);
            sum_err.add(e);
            total = total.saturating_add(k);
            units.push(k);
        }
        if total.saturating_add(1) > max_points {
            return Err(RiskError::LatticeTooLarge {
                points: total.saturating_add(1),
                limit: max_points,
            });
        }
        Ok(LatticeExposures {
            unit,
            units,
            max_rounding_error: err,
            loss_error_bound: if banded { sum_err.value() } else { 0.0 },
            banded,
        })
    }

    /// [`LatticeUnit::Auto`]: exact if affordable, else the finest affordable banded unit.
    fn auto(
        lgd_ead: &[f64],
        max_points: u64,
        work: Option<(usize, f64)>,
    ) -> Result<Self, RiskError> {
        let max_points = max_points.min(AUTO_MAX_POINTS);
        let affordable = |l: &LatticeExposures| match work {
            None => true,
            Some((nodes, limit)) => convolution_work(&l.units, nodes) <= limit,
        };
        match exact_lattice_unit(lgd_ead) {
            Ok(u) => {
                if let Ok(l) = Self::round_to(lgd_ead, u, max_points, false)
                    && affordable(&l)
                {
                    return Ok(l);
                }
            }
            // all zero (or a negative / non-finite value): nothing to band
            Err(e @ RiskError::InvalidParameter { .. }) => return Err(e),
            Err(_) => {}
        }
        let total: f64 = lgd_ead.iter().sum();
        // work(u) ≈ nodes·(count + Σⱼ Σ_{i≤j} vᵢ / u): start the search near the budget
        let (nodes, limit) = work.map_or((1.0, f64::INFINITY), |(n, l)| (n as f64, l));
        let mut v: Vec<f64> = lgd_ead.iter().copied().filter(|&x| x > 0.0).collect();
        v.sort_unstable_by(f64::total_cmp);
        let (mut run, mut nested) = (0.0, 0.0);
        for x in &v {
            run += x;
            nested += run;
        }
        let base = nodes * v.len() as f64;
        let too_costly = |unit: f64| RiskError::ResourceLimit {
            what: format!(
                "the exact loss distribution of {} obligors (lattice unit {unit})",
                lgd_ead.len()
            ),
            needed: (base + nodes * nested / unit) as u64,
            limit: limit as u64,
            unit: "operations",
            hint: "use Monte Carlo (importance sampling) for a book this size",
        };
        let coarsest = total / MIN_AUTO_POINTS as f64;
        if base >= limit {
            return Err(too_costly(coarsest));
        }
        let guess = if limit.is_finite() { nodes * nested / (limit - base) } else { 0.0 };
        let mut unit = nice_at_least((total / max_points.max(2) as f64).max(0.5 * guess));
        let max_error = AUTO_MAX_ERROR_SHARE * total;
        loop {
            if unit > coarsest {
                return Err(too_costly(unit));
            }
            match Self::round_to(lgd_ead, unit, max_points, true) {
                // a coarser unit only rounds more: the book needs a finer lattice than the
                // work budget allows
                Ok(l) if l.loss_error_bound > max_error => {
                    return Err(too_costly(unit * max_error / l.loss_error_bound));
                }
                Ok(l) if affordable(&l) => return Ok(l),
                Ok(_) | Err(RiskError::LatticeTooLarge { .. }) => {}
                Err(e) => return Err(e),
            }
            unit = nice_at_least(unit * 1.000_001);
        }
    }
    /// Σ units (the largest possible loss in units).
    #[must_use]
    pub fn total_units(&self) -> u64 {
        self.units.iter().sum()
    }
}

/// The exact one-factor Gaussian-copula model: obligor i defaults when
/// `√ρᵢ Z + √(1−ρᵢ) εᵢ < G(PDᵢ)`, loss `Σ LGDᵢ·EADᵢ·1{default}`.
///
/// The distribution is computed exactly on a loss lattice: conditional on Z the defaults are
/// independent, so the conditional pmf is a product of two-point laws (a convolution, done in
/// units); it is integrated over Z by Gauss–Legendre quadrature on `[−z_max, z_max]`.
///
/// # Formula
///
/// ```text
/// pᵢ(z)    = N((G(PDᵢ) − √ρᵢ z) / √(1 − ρᵢ))
/// P(L = k) = Σ_nodes w_j φ(z_j) · P(Σ uᵢ·Bernoulli(pᵢ(z_j)) = k)
/// ```
///
/// Defaults: 400 nodes, `z_max = 9`, lattice [`LatticeUnit::Auto`] (at most 10⁶ points and
/// 1.5·10⁹ convolution operations, see [`ExactOneFactor::with_max_work`]; any unit: at most
/// [`DEFAULT_MAX_POINTS`]), Basel correlations
/// with the SME adjustment, `trim = 1e-30`: during the convolution at node z_j, conditional
/// probabilities at the edges of the support whose weighted value `w_j φ(z_j)·p` is below
/// `trim` are dropped (each dropped entry changes the result by less than `trim`, so the total
/// is far below 1e-20 — below the quadrature error — and it keeps subnormal numbers and the
/// far tails of low-weight nodes out of the loop).
///
/// Nodes are processed in parallel in fixed chunks and summed in node order, so the result does
/// not depend on the number of threads.
///
/// # Errors
///
/// See [`ExactOneFactor::compute`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ExactOneFactor {
    nodes: usize,
    z_max: f64,
    unit: LatticeUnit,
    correlation: AssetCorrelation,
    trim: f64,
    max_points: u64,
    #[cfg_attr(feature = "serde", serde(default = "default_max_work"))]
    max_work: f64,
}

/// Default convolution work budget of [`LatticeUnit::Auto`] (well under a second on two cores in
/// a release build: trimming skips most of the bound).
pub const DEFAULT_EXACT_MAX_WORK: f64 = 1.5e9;

#[cfg(feature = "serde")]
fn default_max_work() -> f64 {
    DEFAULT_EXACT_MAX_WORK
}

impl Default for ExactOneFactor {
    fn default() -> Self {
        ExactOneFactor {
            nodes: 400,
            z_max: 9.0,
            unit: LatticeUnit::Auto,
            correlation: AssetCorrelation::default(),
            trim: 1e-30,
            max_points: DEFAULT_MAX_POINTS,
            max_work: DEFAULT_EXACT_MAX_WORK,
        }
    }
}

/// Nodes per parallel work item (fixed, so that the summation order never changes).
const NODE_CHUNK: usize = 8;
/// Chunks computed in parallel before they are added to the result (bounds memory).
const CHUNKS_PER_ROUND: usize = 8;

/// The result of [`ExactOneFactor::compute`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct ExactResult {
    /// The loss distribution on the lattice.
    pub distribution: LossDistribution,
    /// The lattice used.
    pub lattice: LatticeExposures,
    /// The asset correlations used.
    pub correlations: Vec<f64>,
}

impl ExactOneFactor {
    /// A validated model.
    ///
    /// * `nodes` — Gauss–Legendre nodes (≥ 8; 200–400 is ample);
    /// * `z_max` — the factor range `[−z_max, z_max]` (≥ 4);
    /// * `unit` — the lattice unit; `correlation` — how ρᵢ is chosen;
    /// * `trim` — edge truncation of conditional pmfs, in `[0, 1e-12]` (0 = none).
    ///
    /// # Errors
    ///
    /// [`RiskError::InvalidParameter`] for a value outside the ranges above.
    pub fn new(
        nodes: usize,
        z_max: f64,
        unit: LatticeUnit,
        correlation: AssetCorrelation,
        trim: f64,
    ) -> Result<Self, RiskError> {
        let bad = |name, value: String, reason| RiskError::InvalidParameter { name, value, reason };
        if !(8..=100_000).contains(&nodes) {
            return Err(bad("nodes", nodes.to_string(), "must lie in [8, 100000]"));
        }
        if !(z_max.is_finite() && z_max >= 4.0) {
            return Err(bad("z_max", z_max.to_string(), "must be finite and at least 4"));
        }
        if !(trim.is_finite() && (0.0..=1e-12).contains(&trim)) {
            return Err(bad("trim", trim.to_string(), "must lie in [0, 1e-12]"));
        }
        if let LatticeUnit::Given(u) = unit
            && !(u.is_finite() && u > 0.0)
        {
            return Err(bad("lattice unit", u.to_string(), "must be positive and finite"));
        }
        Ok(ExactOneFactor {
            nodes,
            z_max,
            unit,
            correlation,
            trim,
            max_points: DEFAULT_MAX_POINTS,
            max_work: DEFAULT_EXACT_MAX_WORK,
        })
    }

    /// The same model with another convolution work budget for [`LatticeUnit::Auto`]
    /// (default 1.5·10⁹ operations: `nodes · Σⱼ support`, an upper bound that ignores trimming).
    #[must_use]
    pub fn with_max_work(mut self, max_work: f64) -> Self {
        self.max_work = max_work;
        self
    }

    /// The same model with another limit on lattice points (default [`DEFAULT_MAX_POINTS`];
    /// [`LatticeUnit::Auto`] never exceeds [`AUTO_MAX_POINTS`]).
    #[must_use]
    pub fn with_max_points(mut self, max_points: u64) -> Self {
        self.max_points = max_points;
        self
    }

    /// Computes the distribution, with the lattice and correlations used.
    ///
    /// # Errors
    ///
    /// [`RiskError::Empty`] for an empty portfolio; the lattice errors of
    /// [`LatticeExposures::new`]; correlation errors of [`AssetCorrelation::resolve`].
    pub fn compute(&self, portfolio: &Portfolio) -> Result<ExactResult, RiskError> {
        if portfolio.is_empty() {
            return Err(RiskError::Empty("portfolio"));
        }
        let rho = self.correlation.resolve(portfolio)?;
        let (pd, lgd, ead) = (portfolio.pd(), portfolio.lgd(), portfolio.ead());
        let lgd_ead: Vec<f64> = (0..portfolio.len()).map(|i| lgd[i] * ead[i]).collect();
        let budget = Some((self.nodes, self.max_work));
        let lattice =
            match LatticeExposures::with_budget(&lgd_ead, self.unit, self.max_points, budget) {
                // an all-zero portfolio has no lattice but a trivial distribution
                Err(RiskError::InvalidParameter { name: "lgd*ead", .. })
                    if lgd_ead.iter().all(|&v| v == 0.0) =>
                {
                    LatticeExposures {
                        unit: 1.0,
                        units: vec![0; lgd_ead.len()],
                        max_rounding_error: 0.0,
                        loss_error_bound: 0.0,
                        banded: false,
                    }
                }
                other => other?,
            };
        // Obligors that cannot lose anything drop out of the convolution.
        let mut active: Vec<(u64, f64, f64, f64)> = (0..portfolio.len())
            .filter(|&i| lattice.units[i] > 0 && pd[i] > 0.0)
            .map(|i| (lattice.units[i], norm_inv(pd[i]), rho[i].sqrt(), (1.0 - rho[i]).sqrt()))
            .collect();
        // Small exposures first keeps the (trimmed) support short for most of the convolution.
        active.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.total_cmp(&y.1)).then(x.2.total_cmp(&y.2)));
        let len = lattice.total_units() as usize + 1;
        let (x, w) = gauss_legendre(self.nodes);
        let z: Vec<f64> = x.iter().map(|x| self.z_max * x).collect();
        let wz: Vec<f64> = w.iter().zip(&z).map(|(w, z)| self.z_max * w * norm_pdf(*z)).collect();
        let trim = self.trim;
        let n_chunks = self.nodes.div_ceil(NODE_CHUNK);
        let mut pmf = vec![0.0; len];
        // Rounds of CHUNKS_PER_ROUND chunks bound the memory to that many lattice buffers.
        for round in (0..n_chunks).step_by(CHUNKS_PER_ROUND) {
            let partial: Vec<Vec<f64>> = (round..(round + CHUNKS_PER_ROUND).min(n_chunks))
                .into_par_iter()
                .map(|c| {
                    let mut acc = vec![0.0; len];
                    let mut a = vec![0.0; len];
                    let mut b = vec![0.0; len];
                    for k in c * NODE_CHUNK..((c + 1) * NODE_CHUNK).min(z.len()) {
                        // trim by contribution to the result: entries whose weighted value is below `trim`
                        let node_trim = if wz[k] > 0.0 { (trim / wz[k]).min(1e-6) } else { 1e-6 };
                        let (lo, hi) = conditional_pmf(&active, z[k], node_trim, &mut a, &mut b);
                        for j in lo..=hi {
                            acc[j] += wz[k] * a[j];
                        }
                    }
                    acc
                })
                .collect();
            for c in &partial {
                for (p, v) in pmf.iter_mut().zip(c) {
                    *p += v;
                }
            }
        }
        Ok(ExactResult {
            distribution: LossDistribution::from_lattice(lattice.unit, pmf)?,
            lattice,
            correlations: rho,
        })
    }
}

/// Conditional pmf given Z = z, left in `a[lo..=hi]` (zeros elsewhere are not guaranteed).
fn conditional_pmf(
    active: &[(u64, f64, f64, f64)],
    z: f64,
    trim: f64,
    a: &mut Vec<f64>,
    b: &mut Vec<f64>,
) -> (usize, usize) {
    a[0] = 1.0;
    let (mut lo, mut hi) = (0usize, 0usize);
    for &(u, c, sr, si) in active {
        let u = u as usize;
        let p = norm_cdf((c - sr * z) / si);
        if p == 0.0 {
            continue;
        }
        let q = 1.0 - p;
        let new_hi = hi + u;
        // b[j] = q·a[j] (j ≤ hi) + p·a[j−u] (j−u ≥ lo), on [lo, hi+u]
        if lo + u <= hi {
            for j in lo..lo + u {
                b[j] = q * a[j];
            }
            let (src_hi, src_lo) = (&a[lo + u..=hi], &a[lo..=hi - u]);
            for ((d, &x), &y) in b[lo + u..=hi].iter_mut().zip(src_hi).zip(src_lo) {
                *d = q * x + p * y;
            }
            for (d, &y) in b[hi + 1..=new_hi].iter_mut().zip(&a[hi + 1 - u..=hi]) {
                *d = p * y;
            }
        } else {
            for j in lo..=hi {
                b[j] = q * a[j];
            }
            for d in &mut b[hi + 1..lo + u] {
                *d = 0.0;
            }
            for (d, &y) in b[lo + u..=new_hi].iter_mut().zip(&a[lo..=hi]) {
                *d = p * y;
            }
        }
        hi = new_hi;
        while hi > lo && b[hi] < trim {
            hi -= 1;
        }
        while lo < hi && b[lo] < trim {
            lo += 1;
        }
        std::mem::swap(a, b);
    }
    (lo, hi)
}

impl LossModel for ExactOneFactor {
    fn name(&self) -> &str {
        "exact one-factor Gaussian copula"
    }
    fn loss_distribution(&self, portfolio: &Portfolio) -> Result<LossDistribution, RiskError> {
        Ok(self.compute(portfolio)?.distribution)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lattice_unit_from_decimals() {
        let v = [0.65 * 26.8, 0.45 * 9.5, 0.35, 0.0];
        let u = exact_lattice_unit(&v).unwrap();
        assert!((u - 0.005).abs() < 1e-15, "{u}");
        assert!((exact_lattice_unit(&[3.0, 4.5]).unwrap() - 1.5).abs() < 1e-15);
        assert!(exact_lattice_unit(&[1.0 / 3.0]).is_err());
        assert!(exact_lattice_unit(&[0.0]).is_err());
        let l = LatticeExposures::new(&[1.04, 2.0], LatticeUnit::Given(0.5), 100).unwrap();
        assert_eq!(l.units, vec![2, 4]);
        assert!((l.max_rounding_error - 0.04).abs() < 1e-12);
        assert!(matches!(
            LatticeExposures::new(&[1000.0], LatticeUnit::Given(0.001), 100),
            Err(RiskError::LatticeTooLarge { .. })
        ));
    }

    #[test]
    fn independent_two_obligor_case_is_exact() {
        // rho = 0: P(L=0) = (1-p1)(1-p2), P(L=u1) = p1(1-p2), ...
        let active = vec![(2u64, norm_inv(0.1), 0.0, 1.0), (3u64, norm_inv(0.2), 0.0, 1.0)];
        let mut a = vec![0.0; 6];
        let mut b = vec![0.0; 6];
        let (lo, hi) = conditional_pmf(&active, 0.3, 0.0, &mut a, &mut b);
        assert_eq!((lo, hi), (0, 5));
        let want = [0.72, 0.0, 0.08, 0.18, 0.0, 0.02];
        for j in 0..6 {
            assert!((a[j] - want[j]).abs() < 1e-15, "{j} {}", a[j]);
        }
    }
}
