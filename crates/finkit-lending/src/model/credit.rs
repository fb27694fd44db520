//! Fitted `finkit_credit` models behind [`RatingModel`]: any `PdModel`, and a scorecard with its
//! reason codes.

use std::borrow::Cow;

use finkit_credit::scorecard::Scorecard;
use finkit_credit::{FeatureRecord, PdModel, Value};
use finkit_schema::Probability;

use super::{MarketData, RatingModel, ReasonCode};
use crate::LendingError;
use crate::features::Features;

/// Every feature a `finkit_credit` model can read, as `(name, value)`: the ratios of
/// [`finkit_schema::FinancialRatios`] under their field names (see
/// [`FinancialRatios::entries`](finkit_schema::FinancialRatios::entries); `None` when
/// undefined), then `years_in_business`, `employees`, `invention_patents` and `rd_staff_share`.
#[must_use]
pub fn feature_entries(features: &Features) -> [(&'static str, Option<f64>); 20] {
    let r = features.ratios.entries();
    let extra = [
        ("years_in_business", Some(f64::from(features.years_in_business))),
        ("employees", Some(f64::from(features.employees))),
        ("invention_patents", Some(f64::from(features.invention_patents))),
        ("rd_staff_share", Some(features.rd_staff_share)),
    ];
    std::array::from_fn(|i| if i < r.len() { r[i] } else { extra[i - r.len()] })
}

/// Index in [`feature_entries`] of each of a model's input names, in the model's order;
/// `what` names the input kind in the error.
///
/// # Errors
///
/// [`LendingError::InvalidParameter`] naming an input that is not a lending feature.
pub(crate) fn feature_inputs<'a>(
    names: impl IntoIterator<Item = &'a str>,
    what: &'static str,
) -> Result<Vec<usize>, LendingError> {
    let features = feature_entries(&Features::default()).map(|e| e.0);
    names
        .into_iter()
        .map(|name| {
            features.iter().position(|n| *n == name).ok_or_else(|| {
                LendingError::param(
                    what,
                    name,
                    "is not a lending feature (see model::feature_entries)",
                )
            })
        })
        .collect()
}

fn value_of(v: Option<f64>) -> Value {
    match v {
        Some(x) if !x.is_nan() => Value::Number(x),
        _ => Value::Missing,
    }
}

/// The record a `finkit_credit` model sees for a set of features: every
/// [`feature_entries`] entry, undefined ones missing.
#[must_use]
pub fn features_record(features: &Features) -> FeatureRecord {
    let mut record = FeatureRecord::new();
    for (name, v) in feature_entries(features) {
        record.insert(name, value_of(v));
    }
    record
}

/// Puts any [`PdModel`] of `finkit-credit` behind [`RatingModel`].
///
/// The model sees [`features_record`]. It allocates a record per call; no reason codes are
/// reported (use [`ScorecardModel`] for a scorecard's).
#[derive(Debug)]
pub struct PdModelAdapter<M> {
    model: M,
    id: String,
}

impl<M: PdModel> PdModelAdapter<M> {
    /// Wraps a model.
    pub fn new(model: M) -> Self {
        let id = model.model_id();
        PdModelAdapter { model, id }
    }

    /// The record a model sees for these features ([`features_record`]).
    #[must_use]
    pub fn record(features: &Features) -> FeatureRecord {
        features_record(features)
    }
}

impl<M: PdModel + Send + Sync + std::fmt::Debug> RatingModel for PdModelAdapter<M> {
    fn model_id(&self) -> &str {
        &self.id
    }
    fn assess(
        &self,
        features: &Features,
        _market: Option<&MarketData>,
        _reasons: &mut Vec<ReasonCode>,
    ) -> Result<Probability, LendingError> {
        Ok(self.model.pd(&features_record(features))?)
    }
}

/// A fitted `finkit_credit` [`Scorecard`] as a [`RatingModel`]: its PD and its top reason codes.
///
/// The card reads [`feature_entries`] by name, so its variables must be named as there (ratio
/// field names, `years_in_business`, …); [`ScorecardModel::new`] checks it. The PD is the one
/// implied by the card's rounded score ([`Scorecard::pd_of_score`], as its [`PdModel`] impl);
/// the reason codes are [`Scorecard::score_record`]'s — "points below maximum", the card's
/// configured number (default 4), largest shortfall first — with the applicant's value. A
/// missing ratio goes where the card's binning says (its `UnseenPolicy`; an error under the
/// default policy).
///
/// # Allocation
///
/// Each assessment builds a [`FeatureRecord`] of the card's variables and the card's
/// [`finkit_credit::scorecard::ScoredRecord`] (owned names and bin labels), about three small
/// allocations per characteristic: with the six-variable test card a decision takes ≈ 0.6 µs
/// more than with [`DefaultRatingModel`](crate::model::DefaultRatingModel) (see `docs/PERFORMANCE.md`).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "Scorecard", into = "Scorecard"))]
pub struct ScorecardModel {
    card: Scorecard,
    id: String,
    /// Index in [`feature_entries`] of each card variable, in card order.
    inputs: Vec<usize>,
}

impl ScorecardModel {
    /// Wraps a card; the model id is the card's ([`PdModel::model_id`]).
    ///
    /// # Errors
    ///
    /// [`LendingError::InvalidParameter`] naming a card variable that is not a feature.
    pub fn new(card: Scorecard) -> Result<Self, LendingError> {
        let inputs = feature_inputs(
            card.characteristics().iter().map(|c| c.binning().name()),
            "scorecard variable",
        )?;
        let id = card.model_id();
        Ok(ScorecardModel { card, id, inputs })
    }

    /// The card.
    #[must_use]
    pub fn card(&self) -> &Scorecard {
        &self.card
    }

    /// The record the card scores: its variables only.
    fn record(&self, features: &Features) -> FeatureRecord {
        let entries = feature_entries(features);
        let mut record = FeatureRecord::new();
        for &i in &self.inputs {
            let (name, v) = entries[i];
            record.insert(name, value_of(v));
        }
        record
    }
}

impl TryFrom<Scorecard> for ScorecardModel {
    type Error = LendingError;
    fn try_from(card: Scorecard) -> Result<Self, LendingError> {
        ScorecardModel::new(card)
    }
}

impl From<ScorecardModel> for Scorecard {
    fn from(model: ScorecardModel) -> Scorecard {
        model.card
    }
}

impl RatingModel for ScorecardModel {
    fn model_id(&self) -> &str {
        &self.id
    }

    fn assess(
        &self,
        features: &Features,
        _market: Option<&MarketData>,
        reasons: &mut Vec<ReasonCode>,
    ) -> Result<Probability, LendingError> {
        let record = self.record(features);
        let scored = self.card.score_record(&record)?;
        reasons.extend(scored.reasons.into_iter().map(|r| {
            let value = match record.get(&r.variable) {
                Some(Value::Number(v)) => Some(*v),
                _ => None,
            };
            ReasonCode {
                characteristic: Cow::Owned(r.variable),
                points_below_max: r.shortfall,
                value,
            }
        }));
        Ok(Probability::new(self.card.pd_of_score(scored.score))?)
    }

    /// The card's [`PdModel::pd`]: the same score and PD without the breakdown.
    fn pd(
        &self,
        features: &Features,
        _market: Option<&MarketData>,
    ) -> Result<Probability, LendingError> {
        Ok(self.card.pd(&self.record(features))?)
    }
}
