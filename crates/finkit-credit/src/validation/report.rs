//! Whole-model summaries built from the metrics of [`super`]: the ROC curve, one report of
//! discrimination and calibration, and the deterministic hold-out split the command line and
//! the demo use.

use ndarray::ArrayRef1;

use super::{RiskOrder, check_finite, check_target, need_both_classes, tie_groups};
use crate::CreditError;

/// One point of a ROC curve.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RocPoint {
    /// False positive rate: the share of non-events at or above the cut-off.
    pub fpr: f64,
    /// True positive rate: the share of events at or above the cut-off.
    pub tpr: f64,
}

/// The ROC curve of `scores` against a 0/1 `target`: from (0, 0), one point per distinct score
/// taken riskiest first, to (1, 1).
///
/// A group of tied scores moves both rates at once, so the curve draws a diagonal segment
/// there and its trapezoid area is exactly [`super::auc`] (ties count ½).
///
/// ```
/// use finkit_credit::validation::{RiskOrder, auc, roc_curve};
/// use ndarray::array;
/// let pd = array![0.1, 0.4, 0.35, 0.8];
/// let bad = array![0.0, 0.0, 1.0, 1.0];
/// let roc = roc_curve(&pd, &bad, RiskOrder::HigherIsRiskier)?;
/// assert_eq!(roc.len(), 5);
/// let area: f64 = roc.windows(2).map(|w| (w[1].fpr - w[0].fpr) * (w[1].tpr + w[0].tpr) / 2.0).sum();
/// assert_eq!(area, auc(&pd, &bad, RiskOrder::HigherIsRiskier)?);
/// # Ok::<(), finkit_credit::CreditError>(())
/// ```
///
/// # Errors
///
/// As [`super::auc`]: empty or non-finite input, lengths that differ, or a target that is not
/// 0/1 with both classes.
pub fn roc_curve(
    scores: &ArrayRef1<f64>,
    target: &ArrayRef1<f64>,
    order: RiskOrder,
) -> Result<Vec<RocPoint>, CreditError> {
    check_finite("scores", scores)?;
    let (events, non_events) = check_target(target, scores.len())?;
    need_both_classes(events, non_events)?;
    let groups = tie_groups(scores, target);
    let riskiest_first: Box<dyn Iterator<Item = &(usize, usize)>> = match order {
        RiskOrder::HigherIsRiskier => Box::new(groups.iter().rev()),
        RiskOrder::HigherIsSafer => Box::new(groups.iter()),
    };
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut points = Vec::with_capacity(groups.len() + 1);
    points.push(RocPoint { fpr: 0.0, tpr: 0.0 });
    for &(b, g) in riskiest_first {
        tp += b;
        fp += g;
        points
            .push(RocPoint { fpr: fp as f64 / non_events as f64, tpr: tp as f64 / events as f64 });
    }
    Ok(points)
}

/// Discrimination and calibration of PDs against outcomes, in one report.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct PdMetrics {
    /// Number of observations.
    pub observations: usize,
    /// Number of events (target 1).
    pub events: usize,
    /// Area under the ROC curve ([`super::auc`], PDs rank higher-is-riskier).
    pub auc: f64,
    /// Gini = 2·AUC − 1.
    pub gini: f64,
    /// Kolmogorov–Smirnov distance between the PDs of events and non-events.
    pub ks: f64,
    /// Brier score.
    pub brier: f64,
    /// Mean log-loss.
    pub log_loss: f64,
    /// Hosmer–Lemeshow statistic over 10 groups.
    pub hosmer_lemeshow: f64,
    /// Its p-value.
    pub hosmer_lemeshow_p: f64,
}

/// The [`PdMetrics`] of `pd` against a 0/1 `target` (rank metrics need no score: a PD ranks
/// higher-is-riskier).
///
/// ```
/// use finkit_credit::validation::pd_metrics;
/// use ndarray::array;
/// let pd = array![0.05, 0.1, 0.2, 0.3, 0.5, 0.6, 0.02, 0.08, 0.4, 0.7, 0.15, 0.25];
/// let bad = array![0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0];
/// let m = pd_metrics(&pd, &bad)?;
/// assert_eq!((m.observations, m.events), (12, 4));
/// assert!((m.gini - (2.0 * m.auc - 1.0)).abs() < 1e-15);
/// # Ok::<(), finkit_credit::CreditError>(())
/// ```
///
/// # Errors
///
/// As the metrics it is made of: empty or non-finite input, PDs outside [0, 1] (log-loss and
/// Brier), lengths that differ, a target that is not 0/1 with both classes, or too few
/// observations for the Hosmer–Lemeshow groups.
pub fn pd_metrics(pd: &ArrayRef1<f64>, target: &ArrayRef1<f64>) -> Result<PdMetrics, CreditError> {
    let hl = super::hosmer_lemeshow(pd, target, 10)?;
    Ok(PdMetrics {
        observations: pd.len(),
        events: target.iter().filter(|&&t| t == 1.0).count(),
        auc: super::auc(pd, target, RiskOrder::HigherIsRiskier)?,
        gini: super::gini(pd, target, RiskOrder::HigherIsRiskier)?,
        ks: super::ks(pd, target)?,
        brier: super::brier(pd, target)?,
        log_loss: super::log_loss(pd, target)?,
        hosmer_lemeshow: hl.statistic,
        hosmer_lemeshow_p: hl.p_value,
    })
}

/// Splits row indices `0..n` into training and hold-out rows, deterministically and without a
/// seed: row `i` trains when `(i · 2654435761) mod 1000 < round(1000 · train_share)` (Knuth's
/// multiplicative hash), so the split is stable across runs, platforms and data order, and the
/// training share is `train_share` to within a few rows per thousand.
///
/// ```
/// use finkit_credit::validation::holdout_split;
/// let (train, test) = holdout_split(1000, 0.7)?;
/// assert_eq!(train.len() + test.len(), 1000);
/// assert!((train.len() as f64 / 1000.0 - 0.7).abs() < 0.01);
/// # Ok::<(), finkit_credit::CreditError>(())
/// ```
///
/// # Errors
///
/// [`CreditError::InvalidParameter`] unless `0 < train_share < 1`.
pub fn holdout_split(n: usize, train_share: f64) -> Result<(Vec<usize>, Vec<usize>), CreditError> {
    if !(train_share > 0.0 && train_share < 1.0) {
        return Err(CreditError::InvalidParameter {
            name: "train_share",
            value: train_share.to_string(),
            reason: "must be in (0, 1)",
        });
    }
    let cut = (train_share * 1000.0).round() as u64;
    Ok((0..n).partition(|&i| (i as u64).wrapping_mul(2_654_435_761) % 1000 < cut))
}

#[cfg(test)]
mod tests {
    use ndarray::Array1;
    use proptest::prelude::*;

    use super::*;
    use crate::validation::auc;

    fn area(points: &[RocPoint]) -> f64 {
        points.windows(2).map(|w| (w[1].fpr - w[0].fpr) * (w[1].tpr + w[0].tpr) / 2.0).sum()
    }

    #[test]
    fn curve_runs_from_origin_to_one_and_is_monotone() {
        let s = Array1::from(vec![0.3, 0.1, 0.3, 0.9, 0.5, 0.5, 0.2]);
        let y = Array1::from(vec![1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0]);
        let roc = roc_curve(&s, &y, RiskOrder::HigherIsRiskier).unwrap();
        assert_eq!(roc.first(), Some(&RocPoint { fpr: 0.0, tpr: 0.0 }));
        assert_eq!(roc.last(), Some(&RocPoint { fpr: 1.0, tpr: 1.0 }));
        // One point per distinct score (5) after the origin.
        assert_eq!(roc.len(), 6);
        assert!(roc.windows(2).all(|w| w[1].fpr >= w[0].fpr && w[1].tpr >= w[0].tpr));
    }

    #[test]
    fn bad_input_is_an_error() {
        let s = Array1::from(vec![0.3, f64::NAN]);
        let y = Array1::from(vec![1.0, 0.0]);
        assert!(roc_curve(&s, &y, RiskOrder::HigherIsRiskier).is_err());
        let s = Array1::from(vec![0.3, 0.4]);
        let one_class = Array1::from(vec![1.0, 1.0]);
        assert!(roc_curve(&s, &one_class, RiskOrder::HigherIsRiskier).is_err());
        for share in [0.0, 1.0, -0.1, f64::NAN, 1.5] {
            assert!(holdout_split(10, share).is_err(), "{share}");
        }
    }

    #[test]
    fn split_is_the_documented_hash_partition() {
        let (train, test) = holdout_split(10, 0.7).unwrap();
        // (i * 2654435761) mod 1000 for i = 0..10: 0, 761, 522, 283, 44, 805, 566, 327, 88, 849.
        assert_eq!(train, vec![0, 2, 3, 4, 6, 7, 8]);
        assert_eq!(test, vec![1, 5, 9]);
    }

    proptest! {
        /// The trapezoid area under the curve is the Mann–Whitney AUC, in both orders.
        #[test]
        fn area_is_the_auc(
            rows in proptest::collection::vec((0u8..12, proptest::bool::ANY), 2..200),
        ) {
            let s: Array1<f64> = rows.iter().map(|r| f64::from(r.0) / 4.0).collect();
            let y: Array1<f64> = rows.iter().map(|r| f64::from(u8::from(r.1))).collect();
            let events = rows.iter().filter(|r| r.1).count();
            prop_assume!(events > 0 && events < rows.len());
            for order in [RiskOrder::HigherIsRiskier, RiskOrder::HigherIsSafer] {
                let roc = roc_curve(&s, &y, order).unwrap();
                let expected = auc(&s, &y, order).unwrap();
                prop_assert!((area(&roc) - expected).abs() < 1e-12, "{} vs {}", area(&roc), expected);
            }
        }
    }
}
