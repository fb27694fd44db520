//! Monitoring a deployed PD model on a later population: stability (PSI of the score, CSI of
//! every characteristic), per-grade default-rate tests (Jeffreys, as in the ECB's validation
//! instructions, and the binomial test), calibration over the book (Spiegelhalter and
//! Hosmer–Lemeshow), discrimination (AUC with a DeLong confidence interval), the paired DeLong
//! test of two models on one population, and a green / amber / red verdict per item.
//!
//! # DeLong
//!
//! For events (cases) `X` and non-events (controls) `Y`, with `ψ(x, y) = 1` when `x` ranks
//! riskier than `y`, `½` on a tie and 0 otherwise (DeLong, DeLong & Clarke-Pearson 1988):
//!
//! ```text
//! V10(x_i) = mean_j ψ(x_i, y_j)      V01(y_j) = mean_i ψ(x_i, y_j)      AUC = mean_i V10(x_i)
//! Var(AUC) = S10 / m + S01 / n        S = sample (co)variance with divisor (count − 1)
//! ```
//!
//! computed in O(N log N) from midranks (Sun & Xu 2014). The CI is `AUC ± z_{(1+level)/2}·√Var`
//! clipped to [0, 1] and the paired test is `z = (AUC_a − AUC_b) / √(Var_a + Var_b − 2 Cov_ab)`
//! with a two-sided normal p value: the conventions of R pROC's `ci.auc` and
//! `roc.test(method = "delong")`.
//!
//! ```
//! use finkit_credit::monitoring::{auc_delong, delong_test};
//! use finkit_credit::validation::RiskOrder;
//! use ndarray::array;
//! let y = array![0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0];
//! let a = array![0.1, 0.3, 0.7, 0.2, 0.6, 0.4, 0.5, 0.9];
//! let b = array![0.2, 0.1, 0.4, 0.6, 0.7, 0.3, 0.2, 0.8];
//! let one = auc_delong(&a, &y, RiskOrder::HigherIsRiskier, 0.95)?;
//! assert!(one.ci_lower <= one.auc && one.auc <= one.ci_upper);
//! let test = delong_test(&a, &b, &y, RiskOrder::HigherIsRiskier)?;
//! assert!((test.difference - (test.auc_a - test.auc_b)).abs() < 1e-15);
//! assert!(test.p_value > 0.0 && test.p_value <= 1.0);
//! # Ok::<(), finkit_credit::CreditError>(())
//! ```

use finkit_schema::Dataset;
use ndarray::{Array1, ArrayRef1};

use finkit_numerics::normal;

use crate::CreditError;
use crate::PdModel;
use crate::master_scale::MasterScale;
use crate::scorecard::Scorecard;
use crate::validation::{
    self, EmptyBinPolicy, HosmerLemeshow, PsiBinning, PsiParams, RiskOrder, StabilityIndex,
};

/// Splits scores into events and non-events after the usual checks, oriented so that higher
/// is riskier.
fn split_classes(
    scores: &ArrayRef1<f64>,
    target: &ArrayRef1<f64>,
    order: RiskOrder,
) -> Result<(Vec<f64>, Vec<f64>), CreditError> {
    if scores.is_empty() {
        return Err(CreditError::Empty("scores"));
    }
    if target.len() != scores.len() {
        return Err(CreditError::LengthMismatch {
            what: "target",
            expected: scores.len(),
            found: target.len(),
        });
    }
    let sign = match order {
        RiskOrder::HigherIsRiskier => 1.0,
        RiskOrder::HigherIsSafer => -1.0,
    };
    let (mut cases, mut controls) = (Vec::new(), Vec::new());
    for (row, (&s, &y)) in scores.iter().zip(target).enumerate() {
        if !s.is_finite() {
            return Err(CreditError::NonFinite { what: "scores", row, value: s });
        }
        if y == 1.0 {
            cases.push(sign * s);
        } else if y == 0.0 {
            controls.push(sign * s);
        } else {
            return Err(CreditError::InvalidTarget(format!(
                "value {y} at row {row} is not 0 or 1"
            )));
        }
    }
    if cases.len() < 2 || controls.len() < 2 {
        return Err(CreditError::InvalidTarget(format!(
            "the DeLong variance needs at least 2 events and 2 non-events, got {} and {}",
            cases.len(),
            controls.len()
        )));
    }
    Ok((cases, controls))
}

/// 1-based midranks (ties share the mean of their ranks).
fn midranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        // −0.0 and 0.0 compare equal and sit next to each other under total_cmp.
        while j < order.len() && values[order[j]] == values[order[i]] {
            j += 1;
        }
        let rank = 0.5 * (i + j - 1) as f64 + 1.0;
        for &k in &order[i..j] {
            ranks[k] = rank;
        }
        i = j;
    }
    ranks
}

/// DeLong placements: V10 per event, V01 per non-event, and the AUC.
fn placements(cases: &[f64], controls: &[f64]) -> (Vec<f64>, Vec<f64>, f64) {
    let (m, n) = (cases.len(), controls.len());
    let all: Vec<f64> = cases.iter().chain(controls).copied().collect();
    let rank_all = midranks(&all);
    let rank_cases = midranks(cases);
    let rank_controls = midranks(controls);
    let v10: Vec<f64> = (0..m).map(|i| (rank_all[i] - rank_cases[i]) / n as f64).collect();
    let v01: Vec<f64> =
        (0..n).map(|j| 1.0 - (rank_all[m + j] - rank_controls[j]) / m as f64).collect();
    let auc = v10.iter().sum::<f64>() / m as f64;
    (v10, v01, auc)
}

/// Sample covariance with divisor `len − 1`.
fn covariance(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum::<f64>() / (n - 1.0)
}

/// An AUC with its DeLong variance and confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct DeLongAuc {
    /// The AUC (ties count ½).
    pub auc: f64,
    /// DeLong's variance estimate.
    pub variance: f64,
    /// Lower bound of the confidence interval (clipped at 0).
    pub ci_lower: f64,
    /// Upper bound of the confidence interval (clipped at 1).
    pub ci_upper: f64,
    /// The confidence level of the interval.
    pub level: f64,
    /// Events.
    pub events: usize,
    /// Non-events.
    pub non_events: usize,
}

fn check_level(level: f64) -> Result<(), CreditError> {
    if level.is_finite() && level > 0.0 && level < 1.0 {
        Ok(())
    } else {
        Err(CreditError::InvalidParameter {
            name: "level",
            value: level.to_string(),
            reason: "the confidence level must lie in (0, 1)",
        })
    }
}

/// The AUC with DeLong's variance and a normal confidence interval at `level` (R pROC's
/// `ci.auc(method = "delong")`).
///
/// # Errors
///
/// [`CreditError::Empty`], [`CreditError::LengthMismatch`], [`CreditError::NonFinite`],
/// [`CreditError::InvalidTarget`] (not 0/1, or fewer than 2 events or non-events) and
/// [`CreditError::InvalidParameter`] for a level outside (0, 1).
pub fn auc_delong(
    scores: &ArrayRef1<f64>,
    target: &ArrayRef1<f64>,
    order: RiskOrder,
    level: f64,
) -> Result<DeLongAuc, CreditError> {
    check_level(level)?;
    let (cases, controls) = split_classes(scores, target, order)?;
    let (v10, v01, auc) = placements(&cases, &controls);
    let variance = covariance(&v10, &v10) / cases.len() as f64
        + covariance(&v01, &v01) / controls.len() as f64;
    let z = normal::quantile(0.5 + level / 2.0);
    let half = z * variance.max(0.0).sqrt();
    Ok(DeLongAuc {
        auc,
        variance,
        ci_lower: (auc - half).max(0.0),
        ci_upper: (auc + half).min(1.0),
        level,
        events: cases.len(),
        non_events: controls.len(),
    })
}

/// The paired DeLong test of two models' AUCs on one population.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct PairedDeLong {
    /// AUC of model a.
    pub auc_a: f64,
    /// AUC of model b.
    pub auc_b: f64,
    /// `auc_a − auc_b`.
    pub difference: f64,
    /// DeLong variance of a's AUC.
    pub variance_a: f64,
    /// DeLong variance of b's AUC.
    pub variance_b: f64,
    /// DeLong covariance of the two AUCs.
    pub covariance: f64,
    /// `difference / √(variance_a + variance_b − 2·covariance)`.
    pub z: f64,
    /// Two-sided p value, `2·Φ(−|z|)`.
    pub p_value: f64,
}

/// The paired DeLong test (R pROC's `roc.test(roc_a, roc_b, method = "delong", paired = TRUE)`):
/// both score vectors rank the same rows against one target.
///
/// # Errors
///
/// As [`auc_delong`], [`CreditError::LengthMismatch`] when the two score vectors differ in
/// length, and [`CreditError::InvalidParameter`] when the variance of the difference is not
/// positive (the two models rank every pair alike, so there is nothing to test).
pub fn delong_test(
    scores_a: &ArrayRef1<f64>,
    scores_b: &ArrayRef1<f64>,
    target: &ArrayRef1<f64>,
    order: RiskOrder,
) -> Result<PairedDeLong, CreditError> {
    if scores_b.len() != scores_a.len() {
        return Err(CreditError::LengthMismatch {
            what: "scores of model b",
            expected: scores_a.len(),
            found: scores_b.len(),
        });
    }
    let (ca, na) = split_classes(scores_a, target, order)?;
    let (cb, nb) = split_classes(scores_b, target, order)?;
    let (v10a, v01a, auc_a) = placements(&ca, &na);
    let (v10b, v01b, auc_b) = placements(&cb, &nb);
    let (m, n) = (ca.len() as f64, na.len() as f64);
    let variance_a = covariance(&v10a, &v10a) / m + covariance(&v01a, &v01a) / n;
    let variance_b = covariance(&v10b, &v10b) / m + covariance(&v01b, &v01b) / n;
    let cov = covariance(&v10a, &v10b) / m + covariance(&v01a, &v01b) / n;
    let var_diff = variance_a + variance_b - 2.0 * cov;
    // Identical rankings leave a variance of rounding size; treat it as zero.
    if var_diff.is_nan() || var_diff <= 1e-15 * (variance_a + variance_b).max(f64::MIN_POSITIVE) {
        return Err(CreditError::InvalidParameter {
            name: "scores",
            value: format!("variance of the AUC difference {var_diff:e}"),
            reason: "the two models rank every pair alike; the DeLong test is undefined",
        });
    }
    let difference = auc_a - auc_b;
    let z = difference / var_diff.sqrt();
    let p_value = 2.0 * normal::sf(z.abs());
    Ok(PairedDeLong {
        auc_a,
        auc_b,
        difference,
        variance_a,
        variance_b,
        covariance: cov,
        z,
        p_value,
    })
}

/// Two independent AUCs (e.g. a development and a monitoring sample) compared by DeLong's
/// variances (pROC's unpaired `roc.test(method = "delong")`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct UnpairedDeLong {
    /// `current − reference`.
    pub difference: f64,
    /// `difference / √(var_current + var_reference)`.
    pub z: f64,
    /// Two-sided p value.
    pub p_value: f64,
}

/// Compares two AUCs of independent samples.
///
/// # Errors
///
/// [`CreditError::InvalidParameter`] when both variances are zero.
pub fn compare_independent(
    reference: &DeLongAuc,
    current: &DeLongAuc,
) -> Result<UnpairedDeLong, CreditError> {
    let var = reference.variance + current.variance;
    if var.is_nan() || var <= 0.0 {
        return Err(CreditError::InvalidParameter {
            name: "variance",
            value: var.to_string(),
            reason: "both AUCs have zero variance; nothing to compare",
        });
    }
    let difference = current.auc - reference.auc;
    let z = difference / var.sqrt();
    Ok(UnpairedDeLong { difference, z, p_value: 2.0 * normal::sf(z.abs()) })
}

/// Spiegelhalter's calibration test over a book.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Spiegelhalter {
    /// The Brier score.
    pub brier: f64,
    /// Its expectation if the PDs are right, `Σ p(1 − p) / n`.
    pub expected_brier: f64,
    /// The z statistic.
    pub z: f64,
    /// Two-sided p value.
    pub p_value: f64,
}

/// Spiegelhalter's (1986) z test that the PDs are the true default probabilities.
///
/// # Formula
///
/// ```text
/// z = Σ (y_i − p_i)(1 − 2 p_i) / √( Σ (1 − 2 p_i)² p_i (1 − p_i) ),   p = 2 Φ(−|z|)
/// ```
///
/// # Errors
///
/// As [`validation::brier`], and [`CreditError::InvalidParameter`] when the variance is 0
/// (every PD is 0, ½ or 1).
pub fn spiegelhalter(
    pd: &ArrayRef1<f64>,
    target: &ArrayRef1<f64>,
) -> Result<Spiegelhalter, CreditError> {
    let brier = validation::brier(pd, target)?;
    let (mut num, mut var, mut expected) = (0.0, 0.0, 0.0);
    for (&p, &y) in pd.iter().zip(target) {
        let w = 1.0 - 2.0 * p;
        num += (y - p) * w;
        var += w * w * p * (1.0 - p);
        expected += p * (1.0 - p);
    }
    if var.is_nan() || var <= 0.0 {
        return Err(CreditError::InvalidParameter {
            name: "pd",
            value: format!("variance {var}"),
            reason: "Spiegelhalter's test needs PDs other than 0, 0.5 and 1",
        });
    }
    let z = num / var.sqrt();
    Ok(Spiegelhalter {
        brier,
        expected_brier: expected / pd.len() as f64,
        z,
        p_value: 2.0 * normal::sf(z.abs()),
    })
}

/// A traffic-light verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Verdict {
    /// No action.
    Green,
    /// Investigate.
    Amber,
    /// Act: recalibrate or redevelop.
    Red,
}

impl Verdict {
    /// `"green"`, `"amber"` or `"red"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Green => "green",
            Verdict::Amber => "amber",
            Verdict::Red => "red",
        }
    }
}

/// The thresholds of the verdicts (defaults in brackets).
///
/// - Stability (PSI, CSI): green below `psi_amber` (0.10), amber below `psi_red` (0.25), red
///   from there (the industry's 0.1 / 0.25 rule).
/// - Tests (Jeffreys and binomial per grade, Spiegelhalter, Hosmer–Lemeshow): green when the
///   p value is at least `p_amber` (0.05), amber from `p_red` (0.01), red below. A grade's verdict
///   follows its Jeffreys p value (the ECB's test); the binomial p value is reported beside it.
/// - Discrimination: red when the current AUC is below `auc_red` (0.60) or fell by more than
///   `auc_drop_red` (0.10) from the reference AUC; amber below `auc_amber` (0.70) or after a fall
///   of more than `auc_drop_amber` (0.05); green otherwise.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Thresholds {
    /// PSI / CSI from which the verdict is amber.
    pub psi_amber: f64,
    /// PSI / CSI from which the verdict is red.
    pub psi_red: f64,
    /// p value below which a test is amber.
    pub p_amber: f64,
    /// p value below which a test is red.
    pub p_red: f64,
    /// AUC below which discrimination is amber.
    pub auc_amber: f64,
    /// AUC below which discrimination is red.
    pub auc_red: f64,
    /// Fall of the AUC from the reference above which discrimination is amber.
    pub auc_drop_amber: f64,
    /// Fall of the AUC from the reference above which discrimination is red.
    pub auc_drop_red: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            psi_amber: 0.10,
            psi_red: 0.25,
            p_amber: 0.05,
            p_red: 0.01,
            auc_amber: 0.70,
            auc_red: 0.60,
            auc_drop_amber: 0.05,
            auc_drop_red: 0.10,
        }
    }
}

impl Thresholds {
    /// Verdict of a PSI or CSI.
    #[must_use]
    pub fn stability(&self, index: f64) -> Verdict {
        if index >= self.psi_red {
            Verdict::Red
        } else if index >= self.psi_amber {
            Verdict::Amber
        } else {
            Verdict::Green
        }
    }
    /// Verdict of a test's p value.
    #[must_use]
    pub fn test(&self, p_value: f64) -> Verdict {
        if p_value < self.p_red {
            Verdict::Red
        } else if p_value < self.p_amber {
            Verdict::Amber
        } else {
            Verdict::Green
        }
    }
    /// Verdict of a current AUC, against the reference AUC when there is one.
    #[must_use]
    pub fn discrimination(&self, auc: f64, reference: Option<f64>) -> Verdict {
        let drop = reference.map_or(0.0, |r| r - auc);
        if auc < self.auc_red || drop > self.auc_drop_red {
            Verdict::Red
        } else if auc < self.auc_amber || drop > self.auc_drop_amber {
            Verdict::Amber
        } else {
            Verdict::Green
        }
    }

    fn validate(&self) -> Result<(), CreditError> {
        let ok = |lo: f64, hi: f64| lo.is_finite() && hi.is_finite() && lo >= 0.0 && lo <= hi;
        if !(ok(self.psi_amber, self.psi_red)
            && ok(self.p_red, self.p_amber)
            && self.p_amber <= 1.0
            && ok(self.auc_red, self.auc_amber)
            && self.auc_amber <= 1.0
            && ok(self.auc_drop_amber, self.auc_drop_red))
        {
            return Err(CreditError::InvalidParameter {
                name: "thresholds",
                value: format!("{self:?}"),
                reason: "each pair must be finite, non-negative and ordered (amber before red)",
            });
        }
        Ok(())
    }
}

/// Options of [`monitor_scorecard`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MonitoringParams {
    /// The verdict thresholds.
    pub thresholds: Thresholds,
    /// Quantile bins of the reference score for the score PSI (default 10).
    pub psi_bins: usize,
    /// Share substituted for an empty bin in PSI and CSI (default 1e-4), so a bin that a
    /// population leaves empty counts as a large shift instead of an infinite one.
    pub empty_bin_share: f64,
    /// The confidence level of the AUC interval (default 0.95).
    pub level: f64,
    /// Hosmer–Lemeshow groups (default 10; fewer when the population is smaller).
    pub hl_groups: usize,
    /// The master scale the per-grade tests group by.
    pub scale: MasterScale,
}

impl Default for MonitoringParams {
    fn default() -> Self {
        MonitoringParams {
            thresholds: Thresholds::default(),
            psi_bins: 10,
            empty_bin_share: 1e-4,
            level: 0.95,
            hl_groups: 10,
            scale: MasterScale::default(),
        }
    }
}

/// One stability item: the score (PSI) or a characteristic (CSI).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct StabilityItem {
    /// `score` or the characteristic's name.
    pub name: String,
    /// The index.
    pub value: f64,
    /// Its verdict.
    pub verdict: Verdict,
    /// Bins, counts and terms.
    pub detail: StabilityIndex,
}

/// One grade of the per-grade tests.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct GradeItem {
    /// The grade's label on the master scale.
    pub grade: String,
    /// Obligors.
    pub n: usize,
    /// Observed defaults.
    pub defaults: usize,
    /// Mean PD (the PD tested).
    pub mean_pd: f64,
    /// Observed default rate.
    pub default_rate: f64,
    /// One-sided binomial p value.
    pub binomial_p: f64,
    /// Jeffreys p value (ECB).
    pub jeffreys_p: f64,
    /// Verdict of the Jeffreys p value.
    pub verdict: Verdict,
}

/// What the outcomes of the current population say.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct OutcomeMonitoring {
    /// Rows with an outcome.
    pub observations: usize,
    /// Defaults.
    pub defaults: usize,
    /// Observed default rate.
    pub default_rate: f64,
    /// Mean PD.
    pub mean_pd: f64,
    /// Per-grade tests, best grade first (grades without obligors are left out).
    pub grades: Vec<GradeItem>,
    /// The test of the whole book's default count at its mean PD (binomial p value).
    pub book_binomial_p: f64,
    /// Spiegelhalter's test.
    pub spiegelhalter: Spiegelhalter,
    /// Its verdict.
    pub spiegelhalter_verdict: Verdict,
    /// Hosmer–Lemeshow, when the population supports it (`None` with fewer than 3 rows or a
    /// group without expected events).
    pub hosmer_lemeshow: Option<HosmerLemeshow>,
    /// Its verdict.
    pub hosmer_lemeshow_verdict: Option<Verdict>,
    /// AUC with a DeLong confidence interval.
    pub auc: DeLongAuc,
    /// The reference population's AUC, when it has outcomes.
    pub reference_auc: Option<DeLongAuc>,
    /// Current against reference AUC (independent samples).
    pub auc_change: Option<UnpairedDeLong>,
    /// Verdict of the discrimination.
    pub auc_verdict: Verdict,
}

/// A monitoring report of a scorecard on a current population against its reference.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct MonitoringReport {
    /// The model's id.
    pub model_id: String,
    /// Rows of the reference population.
    pub reference_rows: usize,
    /// Rows of the current population.
    pub current_rows: usize,
    /// PSI of the score.
    pub score_psi: StabilityItem,
    /// CSI of every characteristic, in card order.
    pub characteristics: Vec<StabilityItem>,
    /// Outcome tests, when the current population has a target.
    pub outcomes: Option<OutcomeMonitoring>,
    /// The thresholds used.
    pub thresholds: Thresholds,
    /// The worst verdict of all items.
    pub overall: Verdict,
}

/// Checks that every variable the card reads is a column of `data`.
fn check_columns(card: &Scorecard, data: &Dataset, which: &str) -> Result<(), CreditError> {
    let missing: Vec<&str> = card
        .characteristics()
        .iter()
        .map(|c| c.binning().name())
        .filter(|n| data.column(n).is_err())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(CreditError::InvalidModel(format!(
        "the {which} population has no column {} that the model {:?} reads ({} of {} variables missing)",
        missing.iter().map(|m| format!("{m:?}")).collect::<Vec<_>>().join(", "),
        card.name(),
        missing.len(),
        card.characteristics().len()
    )))
}

/// Monitors a scorecard: PSI of its score and CSI of each characteristic between the reference
/// population (e.g. the development sample) and the current one, and — when the current
/// population has a target — per-grade Jeffreys and binomial tests, Spiegelhalter and
/// Hosmer–Lemeshow calibration tests and the AUC with its DeLong interval (compared with the
/// reference AUC when the reference has a target too). Every item gets a [`Verdict`] by the
/// [`Thresholds`].
///
/// # Errors
///
/// [`CreditError::Empty`] for an empty population, [`CreditError::InvalidModel`] naming the
/// card's variables a population lacks, [`CreditError::InvalidParameter`] for bad options, and
/// the card's scoring errors (an unbinnable value) or the metrics' (a target with one class).
pub fn monitor_scorecard(
    card: &Scorecard,
    reference: &Dataset,
    current: &Dataset,
    params: &MonitoringParams,
) -> Result<MonitoringReport, CreditError> {
    monitor_model(card, card, reference, current, params)
}

/// As [`monitor_scorecard`], with the PDs of the outcome tests taken from `model` (e.g. the
/// card behind a recalibration) while the card supplies the score and the characteristics.
///
/// # Errors
///
/// As [`monitor_scorecard`], and `model`'s scoring errors.
pub fn monitor_model(
    card: &Scorecard,
    model: &dyn PdModel,
    reference: &Dataset,
    current: &Dataset,
    params: &MonitoringParams,
) -> Result<MonitoringReport, CreditError> {
    params.thresholds.validate()?;
    check_level(params.level)?;
    if !(params.empty_bin_share > 0.0 && params.empty_bin_share < 1.0) {
        return Err(CreditError::InvalidParameter {
            name: "empty_bin_share",
            value: params.empty_bin_share.to_string(),
            reason: "must lie in (0, 1)",
        });
    }
    if reference.n_rows() == 0 {
        return Err(CreditError::Empty("reference population"));
    }
    if current.n_rows() == 0 {
        return Err(CreditError::Empty("current population"));
    }
    check_columns(card, reference, "reference")?;
    check_columns(card, current, "current")?;
    let th = params.thresholds;
    let floor = EmptyBinPolicy::Floor(params.empty_bin_share);
    let ref_scores = card.score_dataset(reference)?;
    let cur_scores = card.score_dataset(current)?;
    let psi = validation::psi(
        &ref_scores,
        &cur_scores,
        &PsiParams {
            binning: PsiBinning::ExpectedQuantiles { bins: params.psi_bins },
            empty_bin: floor,
        },
    )?;
    let score_psi = StabilityItem {
        name: "score".into(),
        value: psi.value,
        verdict: th.stability(psi.value),
        detail: psi,
    };
    let mut characteristics = Vec::with_capacity(card.characteristics().len());
    for c in card.characteristics() {
        let b = c.binning();
        let count = |data: &Dataset| -> Result<Vec<usize>, CreditError> {
            let mut counts = vec![0usize; b.bins().len()];
            for i in b.bin_indices(data.column(b.name())?)? {
                counts[i] += 1;
            }
            Ok(counts)
        };
        let index = validation::stability_from_counts(&count(reference)?, &count(current)?, floor)?;
        characteristics.push(StabilityItem {
            name: b.name().to_owned(),
            value: index.value,
            verdict: th.stability(index.value),
            detail: index,
        });
    }
    let outcomes = match current.target() {
        Some(y) => {
            let pd = model.pd_batch(current)?;
            let reference_auc = match reference.target() {
                Some(ry) => {
                    let rpd = model.pd_batch(reference)?;
                    Some(auc_delong(&rpd, &ry, RiskOrder::HigherIsRiskier, params.level)?)
                }
                None => None,
            };
            Some(outcome_tests(&pd, &y.to_owned(), reference_auc, params)?)
        }
        None => None,
    };
    let mut overall = score_psi.verdict;
    for c in &characteristics {
        overall = overall.max(c.verdict);
    }
    if let Some(o) = &outcomes {
        overall = overall.max(o.spiegelhalter_verdict).max(o.auc_verdict);
        overall = overall.max(o.hosmer_lemeshow_verdict.unwrap_or(Verdict::Green));
        for g in &o.grades {
            overall = overall.max(g.verdict);
        }
    }
    Ok(MonitoringReport {
        model_id: model.model_id(),
        reference_rows: reference.n_rows(),
        current_rows: current.n_rows(),
        score_psi,
        characteristics,
        outcomes,
        thresholds: th,
        overall,
    })
}

/// The outcome part of a monitoring report for any model's PDs: per-grade tests on the master
/// scale, calibration tests and the AUC with its DeLong interval (against `reference_auc`
/// when given).
///
/// # Errors
///
/// As [`validation::grade_tests`], [`spiegelhalter`] and [`auc_delong`].
pub fn outcome_tests(
    pd: &Array1<f64>,
    target: &Array1<f64>,
    reference_auc: Option<DeLongAuc>,
    params: &MonitoringParams,
) -> Result<OutcomeMonitoring, CreditError> {
    let th = params.thresholds;
    let n = pd.len();
    if n == 0 {
        return Err(CreditError::Empty("current population"));
    }
    let grades: Vec<usize> =
        pd.iter().map(|&p| params.scale.grade_index(p)).collect::<Result<_, _>>()?;
    let labels = params.scale.grades();
    let grade_items = validation::grade_tests(&grades, pd, target)?
        .into_iter()
        .map(|g| GradeItem {
            grade: labels[g.grade].label.clone(),
            n: g.n,
            defaults: g.defaults,
            mean_pd: g.mean_pd,
            default_rate: g.defaults as f64 / g.n as f64,
            binomial_p: g.binomial_p,
            jeffreys_p: g.jeffreys_p,
            verdict: th.test(g.jeffreys_p),
        })
        .collect();
    let defaults = target.iter().filter(|&&y| y == 1.0).count();
    let mean_pd = pd.sum() / n as f64;
    let sp = spiegelhalter(pd, target)?;
    let groups = params.hl_groups.min(n);
    let hl = if groups >= 3 { validation::hosmer_lemeshow(pd, target, groups).ok() } else { None };
    let auc = auc_delong(pd, target, RiskOrder::HigherIsRiskier, params.level)?;
    let auc_change = match &reference_auc {
        Some(r) => compare_independent(r, &auc).ok(),
        None => None,
    };
    Ok(OutcomeMonitoring {
        observations: n,
        defaults,
        default_rate: defaults as f64 / n as f64,
        mean_pd,
        grades: grade_items,
        book_binomial_p: validation::binomial_test(n, defaults, mean_pd)?,
        spiegelhalter_verdict: th.test(sp.p_value),
        spiegelhalter: sp,
        hosmer_lemeshow_verdict: hl.as_ref().map(|h| th.test(h.p_value)),
        hosmer_lemeshow: hl,
        auc_verdict: th.discrimination(auc.auc, reference_auc.map(|r| r.auc)),
        auc,
        reference_auc,
        auc_change,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn midranks_share_ties() {
        assert_eq!(midranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    }

    #[test]
    fn delong_auc_equals_the_mann_whitney_auc() {
        let s = array![0.1, 0.5, 0.5, 0.9, 0.3, 0.7];
        let y = array![0.0, 0.0, 1.0, 1.0, 0.0, 1.0];
        let d = auc_delong(&s, &y, RiskOrder::HigherIsRiskier, 0.95).unwrap();
        let a = validation::auc(&s, &y, RiskOrder::HigherIsRiskier).unwrap();
        assert!((d.auc - a).abs() < 1e-15);
        let flipped = auc_delong(&s, &y, RiskOrder::HigherIsSafer, 0.95).unwrap();
        assert!((flipped.auc - (1.0 - a)).abs() < 1e-15);
        assert!((flipped.variance - d.variance).abs() < 1e-15);
    }

    #[test]
    fn identical_models_are_refused_by_the_paired_test() {
        let s = array![0.1, 0.5, 0.2, 0.9, 0.3, 0.7];
        let y = array![0.0, 0.0, 1.0, 1.0, 0.0, 1.0];
        assert!(delong_test(&s, &s, &y, RiskOrder::HigherIsRiskier).is_err());
    }

    #[test]
    fn spiegelhalter_is_zero_for_perfect_expectation() {
        // Two rows at 0.2: one default in five at PD 0.2 → numerator 0.
        let pd = array![0.2, 0.2, 0.2, 0.2, 0.2];
        let y = array![1.0, 0.0, 0.0, 0.0, 0.0];
        let s = spiegelhalter(&pd, &y).unwrap();
        assert!(s.z.abs() < 1e-12);
        assert!((s.p_value - 1.0).abs() < 1e-12);
        assert!(spiegelhalter(&array![0.5, 0.5], &array![0.0, 1.0]).is_err());
    }

    #[test]
    fn verdicts_follow_the_thresholds() {
        let t = Thresholds::default();
        assert_eq!(t.stability(0.05), Verdict::Green);
        assert_eq!(t.stability(0.1), Verdict::Amber);
        assert_eq!(t.stability(0.3), Verdict::Red);
        assert_eq!(t.test(0.2), Verdict::Green);
        assert_eq!(t.test(0.02), Verdict::Amber);
        assert_eq!(t.test(0.001), Verdict::Red);
        assert_eq!(t.discrimination(0.8, Some(0.82)), Verdict::Green);
        assert_eq!(t.discrimination(0.75, Some(0.82)), Verdict::Amber);
        assert_eq!(t.discrimination(0.7, Some(0.82)), Verdict::Red);
        assert_eq!(t.discrimination(0.65, None), Verdict::Amber);
        assert!(Thresholds { psi_amber: 0.3, ..t }.validate().is_err());
    }
}
