//! The rating master scale: PD → grade, grade → central PD, and the calibration of a score to a
//! PD (logistic or isotonic) that feeds it.
//!
//! ```
//! use finkit_credit::master_scale::MasterScale;
//! let scale = MasterScale::default();
//! let g = scale.grade_index(0.015)?;
//! assert_eq!(scale.grades()[g].label, "7");
//! assert!((scale.grades()[g].central_pd - (0.01f64 * 0.02).sqrt()).abs() < 1e-15);
//! # Ok::<(), finkit_credit::CreditError>(())
//! ```

use ndarray::{Array1, ArrayRef1};

use crate::logistic::sigmoid;
use crate::validation::RiskOrder;
use crate::{CreditError, LogisticModel, LogisticParams};

/// Which end of a grade's PD interval belongs to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum BoundRule {
    /// Grade k holds `lower_k ≤ PD < upper_k` (the last grade also holds PD = 1). Default.
    #[default]
    LowerInclusive,
    /// Grade k holds `lower_k < PD ≤ upper_k` (the first grade also holds PD = 0).
    UpperInclusive,
}

/// One grade of a [`MasterScale`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Grade {
    /// The grade's label.
    pub label: String,
    /// Lower PD bound (for the first grade, PDs below it still map here).
    pub lower: f64,
    /// Upper PD bound.
    pub upper: f64,
    /// The grade's central PD: the geometric mean √(lower·upper) unless set explicitly.
    pub central_pd: f64,
}

/// A rating master scale: contiguous PD intervals from the best grade to the worst.
///
/// The default scale has 12 grades whose bounds roughly double:
///
/// ```text
/// grade   PD interval (lower-inclusive)   central PD (geometric mean)
///   1     [0.0001, 0.0003)  (and below)   0.000173
///   2     [0.0003, 0.0006)                0.000424
///   3     [0.0006, 0.0012)                0.000849
///   4     [0.0012, 0.0025)                0.001732
///   5     [0.0025, 0.005)                 0.003536
///   6     [0.005,  0.01)                  0.007071
///   7     [0.01,   0.02)                  0.014142
///   8     [0.02,   0.04)                  0.028284
///   9     [0.04,   0.08)                  0.056569
///  10     [0.08,   0.16)                  0.113137
///  11     [0.16,   0.32)                  0.226274
///  12     [0.32,   1]                     0.565685
/// ```
///
/// The 0.03 % bound of grade 2 is the Basel corporate PD floor.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MasterScale {
    grades: Vec<Grade>,
    rule: BoundRule,
}

impl Default for MasterScale {
    fn default() -> Self {
        let edges = [
            0.0001, 0.0003, 0.0006, 0.0012, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 1.0,
        ];
        let grades = edges
            .windows(2)
            .enumerate()
            .map(|(k, w)| Grade {
                label: (k + 1).to_string(),
                lower: w[0],
                upper: w[1],
                central_pd: (w[0] * w[1]).sqrt(),
            })
            .collect();
        MasterScale { grades, rule: BoundRule::LowerInclusive }
    }
}

impl MasterScale {
    /// A scale from `labels.len() + 1` increasing edges: grade k spans `edges[k]..edges[k+1]`.
    /// `edges[0] > 0` anchors the first grade's central PD; the last edge must be 1. Central PDs
    /// are geometric means of the bounds.
    ///
    /// # Errors
    ///
    /// [`CreditError::Empty`] for no grade, [`CreditError::LengthMismatch`] when the counts
    /// disagree, [`CreditError::InvalidParameter`] for edges that are not strictly increasing in
    /// (0, 1] ending at 1, or duplicate labels.
    pub fn new<S: Into<String>>(
        labels: Vec<S>,
        edges: &[f64],
        rule: BoundRule,
    ) -> Result<MasterScale, CreditError> {
        let labels: Vec<String> = labels.into_iter().map(Into::into).collect();
        if labels.is_empty() {
            return Err(CreditError::Empty("grades"));
        }
        if edges.len() != labels.len() + 1 {
            return Err(CreditError::LengthMismatch {
                what: "edges",
                expected: labels.len() + 1,
                found: edges.len(),
            });
        }
        if edges.iter().any(|e| !e.is_finite())
            || edges[0] <= 0.0
            || edges.windows(2).any(|w| w[0] >= w[1])
            || edges[edges.len() - 1] != 1.0
        {
            return Err(CreditError::InvalidParameter {
                name: "edges",
                value: format!("{edges:?}"),
                reason: "must be strictly increasing in (0, 1] and end at 1",
            });
        }
        let mut sorted: Vec<&String> = labels.iter().collect();
        sorted.sort();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(CreditError::InvalidParameter {
                name: "labels",
                value: w[0].clone(),
                reason: "grade labels must be unique",
            });
        }
        let grades = labels
            .into_iter()
            .zip(edges.windows(2))
            .map(|(label, w)| Grade {
                label,
                lower: w[0],
                upper: w[1],
                central_pd: (w[0] * w[1]).sqrt(),
            })
            .collect();
        Ok(MasterScale { grades, rule })
    }

    /// Replaces the central PDs (e.g. by long-run default rates per grade).
    ///
    /// # Errors
    ///
    /// [`CreditError::LengthMismatch`] for the wrong count, [`CreditError::InvalidParameter`] for
    /// a central PD outside its grade's bounds or not increasing.
    pub fn with_central_pds(mut self, central: &[f64]) -> Result<MasterScale, CreditError> {
        if central.len() != self.grades.len() {
            return Err(CreditError::LengthMismatch {
                what: "central pds",
                expected: self.grades.len(),
                found: central.len(),
            });
        }
        for (k, (g, &c)) in self.grades.iter().zip(central).enumerate() {
            let lower = if k == 0 { 0.0 } else { g.lower };
            if !(c >= lower && c <= g.upper) {
                return Err(CreditError::InvalidParameter {
                    name: "central pd",
                    value: c.to_string(),
                    reason: "must lie within its grade's bounds",
                });
            }
        }
        if central.windows(2).any(|w| w[0] >= w[1]) {
            return Err(CreditError::InvalidParameter {
                name: "central pd",
                value: format!("{central:?}"),
                reason: "must increase with the grade",
            });
        }
        for (g, &c) in self.grades.iter_mut().zip(central) {
            g.central_pd = c;
        }
        Ok(self)
    }

    /// The grades, best first.
    #[must_use]
    pub fn grades(&self) -> &[Grade] {
        &self.grades
    }

    /// The boundary rule.
    #[must_use]
    pub fn rule(&self) -> BoundRule {
        self.rule
    }

    /// The index of the grade of a PD (0 = best). Monotone non-decreasing in the PD.
    ///
    /// # Errors
    ///
    /// [`CreditError::NonFinite`] for NaN/inf and [`CreditError::InvalidParameter`] for a PD
    /// outside [0, 1].
    pub fn grade_index(&self, pd: f64) -> Result<usize, CreditError> {
        if !pd.is_finite() {
            return Err(CreditError::NonFinite { what: "pd", row: 0, value: pd });
        }
        if !(0.0..=1.0).contains(&pd) {
            return Err(CreditError::InvalidParameter {
                name: "pd",
                value: pd.to_string(),
                reason: "must lie in [0, 1]",
            });
        }
        let last = self.grades.len() - 1;
        // Upper bounds of all grades but the last are the inner edges.
        let inner = &self.grades[..last];
        let k = match self.rule {
            BoundRule::LowerInclusive => inner.partition_point(|g| g.upper <= pd),
            BoundRule::UpperInclusive => inner.partition_point(|g| g.upper < pd),
        };
        Ok(k)
    }

    /// The grade of a PD.
    ///
    /// # Errors
    ///
    /// As [`MasterScale::grade_index`].
    pub fn grade(&self, pd: f64) -> Result<&Grade, CreditError> {
        Ok(&self.grades[self.grade_index(pd)?])
    }

    /// The grade with a label.
    ///
    /// # Errors
    ///
    /// [`CreditError::InvalidParameter`] for an unknown label.
    pub fn by_label(&self, label: &str) -> Result<&Grade, CreditError> {
        self.grades.iter().find(|g| g.label == label).ok_or_else(|| CreditError::InvalidParameter {
            name: "grade",
            value: label.to_owned(),
            reason: "no grade with this label on the scale",
        })
    }
}

/// How a score is turned into a PD.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum CalibrationMethod {
    /// Logistic (Platt) calibration `PD = σ(a + b·score)`, fitted by [`LogisticParams`] with
    /// this L2 strength (0 = maximum likelihood). Smooth and strictly monotone.
    Logistic {
        /// L2 strength on the slope.
        l2: f64,
    },
    /// Isotonic regression (pool-adjacent-violators) of the outcome on the score, monotone in
    /// the direction of the [`RiskOrder`]; PDs are linearly interpolated between the distinct
    /// scores and held constant beyond them (as scikit-learn's `IsotonicRegression`). A block
    /// without events gets PD 0.
    Isotonic {
        /// Which end of the score is risky.
        order: RiskOrder,
    },
}

/// A fitted score → PD calibration.
///
/// ```
/// use finkit_credit::master_scale::{CalibrationMethod, ScoreCalibration};
/// use ndarray::array;
/// let score = array![300.0, 350.0, 400.0, 450.0, 500.0, 550.0, 600.0, 650.0];
/// let bad = array![1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0];
/// let cal = ScoreCalibration::fit(&score, &bad, CalibrationMethod::Logistic { l2: 0.0 })?;
/// assert!(cal.pd(320.0)? > cal.pd(620.0)?);
/// # Ok::<(), finkit_credit::CreditError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ScoreCalibration {
    /// `PD = σ(intercept + slope·score)`.
    Logistic {
        /// a.
        intercept: f64,
        /// b.
        slope: f64,
    },
    /// Knots (distinct scores, ascending) and their fitted PDs.
    Isotonic {
        /// Distinct scores, ascending.
        scores: Vec<f64>,
        /// Fitted PD at each score.
        pds: Vec<f64>,
    },
}

impl ScoreCalibration {
    /// Fits the calibration on scores and 0/1 outcomes.
    ///
    /// # Errors
    ///
    /// [`CreditError::Empty`], [`CreditError::LengthMismatch`], [`CreditError::NonFinite`],
    /// [`CreditError::InvalidTarget`]; for the logistic method also the errors of
    /// [`LogisticParams::fit`] (e.g. [`CreditError::Separation`] for a score that separates the
    /// classes: add L2).
    pub fn fit(
        scores: &ArrayRef1<f64>,
        target: &ArrayRef1<f64>,
        method: CalibrationMethod,
    ) -> Result<ScoreCalibration, CreditError> {
        let n = scores.len();
        if n == 0 {
            return Err(CreditError::Empty("scores"));
        }
        if target.len() != n {
            return Err(CreditError::LengthMismatch {
                what: "target",
                expected: n,
                found: target.len(),
            });
        }
        if let Some(row) = scores.iter().position(|v| !v.is_finite()) {
            return Err(CreditError::NonFinite { what: "scores", row, value: scores[row] });
        }
        match method {
            CalibrationMethod::Logistic { l2 } => {
                let x = scores.to_owned().insert_axis(ndarray::Axis(1));
                let model: LogisticModel =
                    LogisticParams::new().l2(l2).feature_names(["score"]).fit(&x, target)?;
                Ok(ScoreCalibration::Logistic {
                    intercept: model.intercept(),
                    slope: model.coefficients()[0],
                })
            }
            CalibrationMethod::Isotonic { order } => isotonic(scores, target, order),
        }
    }

    /// The PD of a score.
    ///
    /// # Errors
    ///
    /// [`CreditError::NonFinite`] for a NaN or infinite score, and [`CreditError::InvalidModel`]
    /// for an isotonic calibration without knots or with a different number of PDs.
    pub fn pd(&self, score: f64) -> Result<f64, CreditError> {
        if !score.is_finite() {
            return Err(CreditError::NonFinite { what: "score", row: 0, value: score });
        }
        Ok(match self {
            ScoreCalibration::Logistic { intercept, slope } => sigmoid(intercept + slope * score),
            ScoreCalibration::Isotonic { scores, pds } => {
                // The variant's fields are public (and deserialisable), so an empty or ragged
                // knot list is an error here rather than an index panic.
                if scores.is_empty() || scores.len() != pds.len() {
                    return Err(CreditError::InvalidModel(format!(
                        "isotonic calibration needs one PD per knot and at least one knot, got {} knots and {} PDs",
                        scores.len(),
                        pds.len()
                    )));
                }
                let k = scores.partition_point(|&s| s < score);
                if k == 0 {
                    pds[0]
                } else if k == scores.len() {
                    pds[k - 1]
                } else if scores[k] == score {
                    pds[k]
                } else {
                    let t = (score - scores[k - 1]) / (scores[k] - scores[k - 1]);
                    pds[k - 1] + t * (pds[k] - pds[k - 1])
                }
            }
        })
    }

    /// The PD of every score.
    ///
    /// # Errors
    ///
    /// As [`ScoreCalibration::pd`], for the first bad score (with its row).
    pub fn pd_batch(&self, scores: &ArrayRef1<f64>) -> Result<Array1<f64>, CreditError> {
        scores
            .iter()
            .enumerate()
            .map(|(row, &s)| {
                self.pd(s).map_err(|_| CreditError::NonFinite { what: "score", row, value: s })
            })
            .collect()
    }
}

fn isotonic(
    scores: &ArrayRef1<f64>,
    target: &ArrayRef1<f64>,
    order: RiskOrder,
) -> Result<ScoreCalibration, CreditError> {
    let mut rows: Vec<(f64, f64)> = Vec::with_capacity(scores.len());
    let (mut events, mut non_events) = (0usize, 0usize);
    for (row, (&s, &y)) in scores.iter().zip(target).enumerate() {
        if !y.is_finite() {
            return Err(CreditError::NonFinite { what: "target", row, value: y });
        }
        if y != 0.0 && y != 1.0 {
            return Err(CreditError::InvalidTarget(format!(
                "value {y} at row {row} is not 0 or 1"
            )));
        }
        if y == 1.0 {
            events += 1;
        } else {
            non_events += 1;
        }
        rows.push((s, y));
    }
    if events == 0 || non_events == 0 {
        return Err(CreditError::InvalidTarget(format!(
            "calibration needs both classes, got {events} events and {non_events} non-events"
        )));
    }
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Distinct scores with their event sums and counts.
    let mut knots: Vec<(f64, f64, f64)> = Vec::new();
    for (s, y) in rows {
        match knots.last_mut() {
            Some(k) if k.0 == s => {
                k.1 += y;
                k.2 += 1.0;
            }
            _ => knots.push((s, y, 1.0)),
        }
    }
    // PAV on an increasing fit; a decreasing fit is an increasing fit of the reversed sequence.
    let reversed = order == RiskOrder::HigherIsSafer;
    if reversed {
        knots.reverse();
    }
    // Blocks: (sum of y, weight, number of knots).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
    for &(_, sy, w) in &knots {
        blocks.push((sy, w, 1));
        while blocks.len() >= 2 {
            let b = blocks[blocks.len() - 1];
            let a = blocks[blocks.len() - 2];
            if a.0 / a.1 > b.0 / b.1 {
                blocks.pop();
                if let Some(last) = blocks.last_mut() {
                    *last = (a.0 + b.0, a.1 + b.1, a.2 + b.2);
                }
            } else {
                break;
            }
        }
    }
    let mut pds: Vec<f64> =
        blocks.iter().flat_map(|&(sy, w, m)| std::iter::repeat_n(sy / w, m)).collect();
    let mut xs: Vec<f64> = knots.iter().map(|k| k.0).collect();
    if reversed {
        pds.reverse();
        xs.reverse();
    }
    Ok(ScoreCalibration::Isotonic { scores: xs, pds })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn a_malformed_isotonic_calibration_is_an_error_not_a_panic() {
        let empty = ScoreCalibration::Isotonic { scores: vec![], pds: vec![] };
        assert!(matches!(empty.pd(1.0), Err(CreditError::InvalidModel(_))));
        let ragged = ScoreCalibration::Isotonic { scores: vec![1.0, 2.0], pds: vec![0.1] };
        assert!(matches!(ragged.pd(1.5), Err(CreditError::InvalidModel(_))));
    }

    #[test]
    fn default_scale_has_documented_bounds() {
        let s = MasterScale::default();
        assert_eq!(s.grades().len(), 12);
        assert_eq!(s.grade_index(0.0).unwrap(), 0);
        assert_eq!(s.grade_index(0.0003).unwrap(), 1);
        assert_eq!(s.grade_index(1.0).unwrap(), 11);
        assert!(s.grade_index(1.1).is_err());
        assert!(s.grade_index(f64::NAN).is_err());
        let upper =
            MasterScale::new(vec!["A", "B"], &[0.01, 0.1, 1.0], BoundRule::UpperInclusive).unwrap();
        assert_eq!(upper.grade_index(0.1).unwrap(), 0);
        let lower =
            MasterScale::new(vec!["A", "B"], &[0.01, 0.1, 1.0], BoundRule::LowerInclusive).unwrap();
        assert_eq!(lower.grade_index(0.1).unwrap(), 1);
        assert!(
            MasterScale::new(vec!["A", "A"], &[0.01, 0.1, 1.0], BoundRule::LowerInclusive).is_err()
        );
        assert!(
            MasterScale::new(vec!["A", "B"], &[0.01, 0.1, 0.9], BoundRule::LowerInclusive).is_err()
        );
        assert!(lower.clone().with_central_pds(&[0.05, 0.5]).is_ok());
        assert!(lower.with_central_pds(&[0.5, 0.05]).is_err());
    }

    #[test]
    fn isotonic_pools_violators() {
        let s = array![1.0, 2.0, 3.0, 4.0];
        let y = array![0.0, 1.0, 0.0, 1.0];
        let cal = ScoreCalibration::fit(
            &s,
            &y,
            CalibrationMethod::Isotonic { order: RiskOrder::HigherIsRiskier },
        )
        .unwrap();
        assert_eq!(cal.pd(1.0).unwrap(), 0.0);
        assert_eq!(cal.pd(2.0).unwrap(), 0.5);
        assert_eq!(cal.pd(3.0).unwrap(), 0.5);
        assert_eq!(cal.pd(4.0).unwrap(), 1.0);
        assert_eq!(cal.pd(3.5).unwrap(), 0.75);
        let safer = ScoreCalibration::fit(
            &s,
            &y,
            CalibrationMethod::Isotonic { order: RiskOrder::HigherIsSafer },
        )
        .unwrap();
        assert_eq!(safer.pd(1.0).unwrap(), 0.5);
        assert_eq!(safer.pd(4.0).unwrap(), 0.5);
    }
}
