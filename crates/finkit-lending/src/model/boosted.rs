//! A fitted (or imported) `finkit_credit` boosted model behind [`RatingModel`], with its
//! TreeSHAP reason codes.

use std::borrow::Cow;

use finkit_credit::PdModel;
use finkit_credit::boosting::BoostedModel;
use finkit_schema::Probability;

use super::credit::{feature_entries, feature_inputs};
use super::{MarketData, RatingModel, ReasonCode};
use crate::LendingError;
use crate::features::Features;

/// A [`BoostedModel`] as a [`RatingModel`]: its PD and its reason codes.
///
/// The model reads [`feature_entries`] by name, so its features must be named as there (ratio
/// field names, `years_in_business`, …); [`BoostedRatingModel::new`] checks it. An undefined
/// ratio is a missing value and follows each split's default direction. The reason codes are
/// the features with the largest positive exact TreeSHAP contributions (those that raise the
/// PD most), at most the model's [`BoostedModel::reason_codes`], largest first; a code's
/// `points_below_max` holds the contribution to the log-odds of default (the boosted model has
/// no points).
#[derive(Debug, Clone, PartialEq)]
pub struct BoostedRatingModel {
    model: BoostedModel,
    id: String,
    /// Index in [`feature_entries`] of each model feature, in model order.
    inputs: Vec<usize>,
}

impl BoostedRatingModel {
    /// Wraps a model; the model id is the model's ([`PdModel::model_id`]).
    ///
    /// # Errors
    ///
    /// [`LendingError::InvalidParameter`] naming a model feature that is not a lending feature.
    pub fn new(model: BoostedModel) -> Result<Self, LendingError> {
        let inputs =
            feature_inputs(model.features().iter().map(String::as_str), "boosted model feature")?;
        let id = model.model_id();
        Ok(BoostedRatingModel { model, id, inputs })
    }

    /// The model.
    #[must_use]
    pub fn model(&self) -> &BoostedModel {
        &self.model
    }

    fn row(&self, features: &Features) -> Vec<f64> {
        let entries = feature_entries(features);
        self.inputs.iter().map(|&i| entries[i].1.unwrap_or(f64::NAN)).collect()
    }
}

impl RatingModel for BoostedRatingModel {
    fn model_id(&self) -> &str {
        &self.id
    }

    fn assess(
        &self,
        features: &Features,
        _market: Option<&MarketData>,
        reasons: &mut Vec<ReasonCode>,
    ) -> Result<Probability, LendingError> {
        let row = self.row(features);
        let (_, pd, top) = self.model.explain(&row)?;
        reasons.extend(top.into_iter().map(|r| {
            let j = self.model.features().iter().position(|f| *f == r.variable);
            ReasonCode {
                value: j.map(|j| row[j]).filter(|v| !v.is_nan()),
                characteristic: Cow::Owned(r.variable),
                points_below_max: r.contribution,
            }
        }));
        Ok(Probability::new(pd)?)
    }

    fn pd(
        &self,
        features: &Features,
        _market: Option<&MarketData>,
    ) -> Result<Probability, LendingError> {
        let m = self.model.margin(&self.row(features))?;
        Ok(Probability::new(1.0 / (1.0 + (-m).exp()))?)
    }
}
