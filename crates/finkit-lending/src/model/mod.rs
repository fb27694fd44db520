//! Rating models for decisions: a PD plus reason codes from an application's features.
//!
//! [`RatingModel`] is the lending-side trait (object-safe). [`BlendModel`] blends a scorecard
//! with Altman's Z″ and, where market data exists, the Merton model — both are
//! `finkit_credit::corporate`'s, so the workspace has one implementation of each;
//! [`DefaultRatingModel`] is the blend with the built-in [`ExpertScorecard`] (allocation-free).
//! [`ScorecardModel`] puts a fitted `finkit_credit` [`Scorecard`](finkit_credit::scorecard::Scorecard) behind the trait with its PD
//! and its reason codes, alone or as the blend's scorecard; [`PdModelAdapter`] does the same for
//! any other [`finkit_credit::PdModel`] (without reason codes), and [`BoostedRatingModel`] puts a
//! boosted model behind it with its TreeSHAP reason codes. The credit models see
//! [`features_record`]: the ratios under their field names plus the firm's age and size.

use std::borrow::Cow;

use finkit_schema::{Maturity, Probability, Rate};

use crate::LendingError;
use crate::features::Features;

mod blend;
mod boosted;
mod credit;
mod expert;

pub use blend::{
    BlendModel, BlendWeights, Components, DefaultRatingModel, altman_z_double_prime,
    default_z_calibration, merton_fit,
};
pub use boosted::BoostedRatingModel;
pub use credit::{PdModelAdapter, ScorecardModel, feature_entries, features_record};
pub use expert::{Characteristic, EXPERT_SCORECARD_ID, ExpertScorecard, FeatureKey};

/// Market data of a listed borrower, for the Merton component.
///
/// Built by [`MarketData::new`], which validates every field; deserialisation goes through the
/// same check, so a value of this type is always usable by the Merton solver.
///
/// ```
/// use finkit_lending::model::MarketData;
/// use finkit_lending::schema::{Maturity, Rate};
/// let md = MarketData::new(3.0e6, 0.8, Rate::new(0.05)?, Maturity::new(1.0)?)?;
/// assert_eq!(md.equity_volatility(), 0.8);
/// assert!(MarketData::new(3.0e6, f64::NAN, Rate::new(0.05)?, Maturity::new(1.0)?).is_err());
/// # Ok::<(), finkit_lending::LendingError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "RawMarketData"))]
pub struct MarketData {
    equity_value: f64,
    equity_volatility: f64,
    risk_free_rate: Rate,
    horizon: Maturity,
}

/// The serialised form of [`MarketData`], validated by [`MarketData::new`] on the way in.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawMarketData {
    equity_value: f64,
    equity_volatility: f64,
    risk_free_rate: Rate,
    horizon: Maturity,
}

#[cfg(feature = "serde")]
impl TryFrom<RawMarketData> for MarketData {
    type Error = LendingError;
    fn try_from(raw: RawMarketData) -> Result<Self, LendingError> {
        MarketData::new(raw.equity_value, raw.equity_volatility, raw.risk_free_rate, raw.horizon)
    }
}

impl MarketData {
    /// Validated market data.
    ///
    /// * `equity_value` — market value of equity, in single units of the application currency;
    /// * `equity_volatility` — annualised equity volatility (0.3 = 30 %);
    /// * `risk_free_rate` — continuously compounded risk-free rate;
    /// * `horizon` — horizon in years (1 for a one-year PD).
    ///
    /// # Errors
    ///
    /// [`LendingError::InvalidParameter`] when the equity value or volatility is not finite and
    /// positive.
    pub fn new(
        equity_value: f64,
        equity_volatility: f64,
        risk_free_rate: Rate,
        horizon: Maturity,
    ) -> Result<Self, LendingError> {
        for (name, v) in [("equity_value", equity_value), ("equity_volatility", equity_volatility)]
        {
            if !(v.is_finite() && v > 0.0) {
                return Err(LendingError::param(name, v, "must be finite and positive"));
            }
        }
        Ok(MarketData { equity_value, equity_volatility, risk_free_rate, horizon })
    }
    /// Market value of equity, in single units of the application currency.
    #[must_use]
    pub fn equity_value(&self) -> f64 {
        self.equity_value
    }
    /// Annualised equity volatility (0.3 = 30 %).
    #[must_use]
    pub fn equity_volatility(&self) -> f64 {
        self.equity_volatility
    }
    /// Continuously compounded risk-free rate.
    #[must_use]
    pub fn risk_free_rate(&self) -> Rate {
        self.risk_free_rate
    }
    /// Horizon in years.
    #[must_use]
    pub fn horizon(&self) -> Maturity {
        self.horizon
    }
}

/// One reason code: a characteristic that cost points, with how many.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ReasonCode {
    /// The characteristic (feature) name.
    pub characteristic: Cow<'static, str>,
    /// Points below the maximum attainable for the characteristic.
    pub points_below_max: f64,
    /// The applicant's value, when numeric.
    pub value: Option<f64>,
}

/// A model that turns an application's features into a PD and reason codes.
///
/// Object-safe, so engines hold a `Box<dyn RatingModel>`. Implementations should not allocate
/// in [`RatingModel::assess`] when `reasons` already has capacity (the built-in models don't).
pub trait RatingModel: Send + Sync + std::fmt::Debug {
    /// A stable id and version of the model, recorded in every audit record.
    fn model_id(&self) -> &str;

    /// The PD of the application; appends up to the model's number of reason codes to
    /// `reasons` (which the caller clears).
    ///
    /// # Errors
    ///
    /// When the features cannot be scored (a wrapped model's own failure).
    fn assess(
        &self,
        features: &Features,
        market: Option<&MarketData>,
        reasons: &mut Vec<ReasonCode>,
    ) -> Result<Probability, LendingError>;

    /// The PD alone, the same as [`RatingModel::assess`]'s, for callers that discard the reason
    /// codes ([`crate::Engine::decide_batch`]). Override it when reasons cost extra.
    ///
    /// # Errors
    ///
    /// As [`RatingModel::assess`].
    fn pd(
        &self,
        features: &Features,
        market: Option<&MarketData>,
    ) -> Result<Probability, LendingError> {
        self.assess(features, market, &mut Vec::new())
    }
}

impl<M: RatingModel + ?Sized> RatingModel for Box<M> {
    fn model_id(&self) -> &str {
        (**self).model_id()
    }
    fn assess(
        &self,
        features: &Features,
        market: Option<&MarketData>,
        reasons: &mut Vec<ReasonCode>,
    ) -> Result<Probability, LendingError> {
        (**self).assess(features, market, reasons)
    }
    fn pd(
        &self,
        features: &Features,
        market: Option<&MarketData>,
    ) -> Result<Probability, LendingError> {
        (**self).pd(features, market)
    }
}

#[cfg(test)]
pub(super) mod test_features {
    use finkit_schema::FinancialRatios;

    use crate::features::Features;

    /// A healthy firm's features.
    pub(crate) fn healthy() -> Features {
        Features {
            ratios: FinancialRatios {
                working_capital_to_assets: Some(0.2),
                retained_earnings_to_assets: Some(0.2),
                ebit_to_assets: Some(0.08),
                book_equity_to_liabilities: Some(1.0),
                leverage: Some(0.5),
                interest_coverage: Some(4.0),
                debt_to_ebitda: Some(2.5),
                net_income_to_assets: Some(0.05),
                current_ratio: Some(1.6),
                revenue_growth: Some(0.05),
                ..FinancialRatios::default()
            },
            years_in_business: 12,
            ..Features::default()
        }
    }
}

#[cfg(all(test, feature = "serde"))]
mod market_data_tests {
    use super::MarketData;

    #[test]
    fn hand_edited_market_data_is_rejected_at_load() {
        // The fields used to be public and unchecked: a negative volatility deserialised and
        // the Merton component silently dropped out later. Now it is a typed error at load.
        let good =
            r#"{"equity_value":3.0,"equity_volatility":0.8,"risk_free_rate":0.05,"horizon":1.0}"#;
        let md: MarketData = serde_json::from_str(good).unwrap();
        assert_eq!(serde_json::to_string(&md).unwrap(), good);
        for bad in [
            good.replace("0.8", "-0.8"),
            good.replace("3.0", "0.0"),
            good.replace("\"horizon\":1.0", "\"horizon\":0.0"),
            good.replace("0.05", "-2.0"),
        ] {
            assert!(serde_json::from_str::<MarketData>(&bad).is_err(), "{bad}");
        }
    }
}
