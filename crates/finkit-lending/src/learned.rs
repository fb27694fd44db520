//! Rating models learned from the pool's own history: fitted through `finkit_credit`'s
//! [`Fit`] on a point-in-time dataset ([`finkit_pool::dataset`]), calibrated out of sample,
//! graded on the master scale, versioned and saved in the pool with their training window and
//! validation figures.
//!
//! The expert scorecard of [`crate::model::DefaultRatingModel`] remains as the explicit
//! fallback for a pool without history ([`PoolRatingModel::ExpertFallback`]).
//!
//! # Development
//!
//! [`develop`] splits the dataset by firm (a firm's rows of every date stay together): a firm is
//! in the validation part when the FNV-1a hash of its id falls in the first
//! `validation_share` of the range. The model is fitted on the training part; a logistic
//! (Platt) recalibration `PD = σ(a + b·logit(PD_model))` is fitted on the validation part, so
//! the PDs meet the default rates of firms the model did not see; the validation figures
//! (AUC with its DeLong interval, Spiegelhalter, Hosmer–Lemeshow, Jeffreys and binomial tests
//! per master-scale grade, [`finkit_credit::monitoring::outcome_tests`]) are those of the
//! calibrated PDs on the validation part. Calibration does not change the ranking, so the AUC
//! there is out of sample; the calibration tests are in sample for the two calibration
//! parameters only.
//!
//! [`ScorecardFit`] is the credit crate's scorecard pipeline with lending defaults behind
//! [`Fit`]; any other `Fit` whose model is a [`PdModel`] (a boosted model) plugs into
//! [`develop`] the same way.

#[cfg(feature = "pool")]
use finkit_credit::monitoring::outcome_tests;
use finkit_credit::monitoring::{MonitoringParams, OutcomeMonitoring};
use finkit_credit::pipeline::{ScorecardParams, ScorecardPipeline};
use finkit_credit::scorecard::{OddsDirection, ScalingParams, Scorecard};
use finkit_credit::{CreditError, FeatureRecord, Fit, LogisticParams, PdModel};
#[cfg(feature = "pool")]
use finkit_pool::dataset::PointInTimeDataset;
use finkit_schema::{Dataset, Probability};
use ndarray::Array1;

use crate::LendingError;
use crate::features::Features;
use crate::model::{DefaultRatingModel, MarketData, RatingModel, ReasonCode, ScorecardModel};

/// The id under which the pool-fitted default rating model is stored.
pub const POOL_MODEL_ID: &str = "pool-scorecard";
/// The `kind` of a stored scorecard model.
pub const SCORECARD_KIND: &str = "calibrated-scorecard";

/// The straight-through policy for an engine on a learned, validated model
/// (`policy/straight_through.toml`; its header documents every difference from the default).
pub const STRAIGHT_THROUGH_POLICY_TOML: &str = include_str!("../policy/straight_through.toml");

/// The straight-through policy ([`STRAIGHT_THROUGH_POLICY_TOML`]).
///
/// # Errors
///
/// None in practice: the file is compiled in and tested.
pub fn straight_through_policy() -> Result<crate::LendingPolicy, LendingError> {
    crate::LendingPolicy::from_toml_str(
        STRAIGHT_THROUGH_POLICY_TOML,
        "policy/straight_through.toml",
    )
}

/// The pool's scorecard: [`finkit_credit::pipeline`]'s scorecard pipeline (optimal binning,
/// selection by information value, removal of near-collinear characteristics, sign checks,
/// logistic regression on the WoE, PDO scaling) with the lending defaults below — one pipeline
/// for the CLI's `fit-scorecard`, a notebook and the pool's rating model.
#[derive(Debug, Clone, PartialEq)]
pub struct ScorecardFit {
    /// Minimum information value of a kept feature (default 0.02).
    pub min_iv: f64,
    /// L2 penalty of the logistic regression (default 0: the pipeline drops one of each pair of
    /// near-collinear characteristics — the pool's ratios come in reciprocal pairs such as the
    /// current ratio and current liabilities / current assets — so the information matrix is
    /// regular without a penalty).
    pub l2: f64,
    /// Points to double the odds (default 20).
    pub pdo: f64,
    /// Score at the base odds (default 600).
    pub base_score: f64,
    /// Good:bad odds at the base score (default 50).
    pub base_odds: f64,
    /// The card's name.
    pub name: String,
}

impl Default for ScorecardFit {
    fn default() -> Self {
        ScorecardFit {
            min_iv: 0.02,
            l2: 0.0,
            pdo: 20.0,
            base_score: 600.0,
            base_odds: 50.0,
            name: POOL_MODEL_ID.to_owned(),
        }
    }
}

impl ScorecardFit {
    /// The validated pipeline these settings describe.
    ///
    /// # Errors
    ///
    /// [`CreditError::InvalidParameter`] for an out-of-range setting.
    pub fn pipeline(&self) -> Result<ScorecardPipeline, CreditError> {
        ScorecardParams::new()
            .min_iv(self.min_iv)
            .l2(self.l2)
            .scaling(ScalingParams::new(
                self.pdo,
                self.base_score,
                self.base_odds,
                OddsDirection::GoodToBad,
            ))
            .build()
    }
}

impl Fit for ScorecardFit {
    type Model = Scorecard;

    fn fit(&self, data: &Dataset) -> Result<Scorecard, CreditError> {
        let fitted = self.pipeline()?.fit(data)?;
        Ok(fitted.into_scorecard().with_name(self.name.clone()))
    }
}

/// A logistic recalibration of a model's PD: `PD = σ(intercept + slope·logit(PD_model))`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Calibration {
    /// a.
    pub intercept: f64,
    /// b (positive: the calibration keeps the model's ranking).
    pub slope: f64,
}

impl Calibration {
    /// The identity.
    pub const IDENTITY: Calibration = Calibration { intercept: 0.0, slope: 1.0 };

    /// Fits the recalibration by maximum likelihood on PDs and 0/1 outcomes.
    ///
    /// # Errors
    ///
    /// The logistic fit's errors, and [`LendingError::InvalidParameter`] when the slope is not
    /// positive (the model ranks the calibration sample backwards) or a PD is 0 or 1.
    pub fn fit(pd: &Array1<f64>, target: &Array1<f64>) -> Result<Calibration, LendingError> {
        let logit: Array1<f64> = pd.mapv(|p| (p / (1.0 - p)).ln());
        if let Some(row) = logit.iter().position(|v| !v.is_finite()) {
            return Err(LendingError::param(
                "pd",
                format!("{} at row {row}", pd[row]),
                "a PD of exactly 0 or 1 cannot be recalibrated",
            ));
        }
        let x = logit.insert_axis(ndarray::Axis(1));
        let m = LogisticParams::new().feature_names(["logit_pd"]).fit(&x, target)?;
        let c = Calibration { intercept: m.intercept(), slope: m.coefficients()[0] };
        c.check()?;
        Ok(c)
    }

    fn check(&self) -> Result<(), LendingError> {
        if !(self.intercept.is_finite() && self.slope.is_finite() && self.slope > 0.0) {
            return Err(LendingError::param(
                "calibration",
                format!("{self:?}"),
                "needs a finite intercept and a positive, finite slope",
            ));
        }
        Ok(())
    }

    /// The calibrated PD of a model PD.
    #[must_use]
    pub fn apply(&self, pd: f64) -> f64 {
        // logit is ±∞ at the ends and the slope is positive: an end stays where it is.
        if pd <= 0.0 {
            return 0.0;
        }
        if pd >= 1.0 {
            return 1.0;
        }
        let z = self.intercept + self.slope * (pd / (1.0 - pd)).ln();
        1.0 / (1.0 + (-z).exp())
    }
}

/// A model with its [`Calibration`] and a versioned id.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibrated<M> {
    inner: M,
    calibration: Calibration,
    id: String,
}

impl<M> Calibrated<M> {
    /// Wraps `inner` under `id` (e.g. `pool-scorecard/v3`).
    ///
    /// # Errors
    ///
    /// [`LendingError::InvalidParameter`] for a calibration without a positive finite slope.
    pub fn new(
        inner: M,
        calibration: Calibration,
        id: impl Into<String>,
    ) -> Result<Self, LendingError> {
        calibration.check()?;
        Ok(Calibrated { inner, calibration, id: id.into() })
    }
    /// The wrapped model.
    #[must_use]
    pub fn inner(&self) -> &M {
        &self.inner
    }
    /// The calibration.
    #[must_use]
    pub fn calibration(&self) -> Calibration {
        self.calibration
    }
}

impl<M: RatingModel> RatingModel for Calibrated<M> {
    fn model_id(&self) -> &str {
        &self.id
    }
    fn assess(
        &self,
        features: &Features,
        market: Option<&MarketData>,
        reasons: &mut Vec<ReasonCode>,
    ) -> Result<Probability, LendingError> {
        let p = self.inner.assess(features, market, reasons)?.get();
        Ok(Probability::new(self.calibration.apply(p))?)
    }
    fn pd(
        &self,
        features: &Features,
        market: Option<&MarketData>,
    ) -> Result<Probability, LendingError> {
        let p = self.inner.pd(features, market)?.get();
        Ok(Probability::new(self.calibration.apply(p))?)
    }
}

impl<M: PdModel> PdModel for Calibrated<M> {
    fn model_id(&self) -> String {
        self.id.clone()
    }
    fn pd(&self, record: &FeatureRecord) -> Result<Probability, CreditError> {
        let p = self.inner.pd(record)?.get();
        Ok(Probability::new(self.calibration.apply(p))?)
    }
    fn pd_batch(&self, data: &Dataset) -> Result<Array1<f64>, CreditError> {
        Ok(self.inner.pd_batch(data)?.mapv(|p| self.calibration.apply(p)))
    }
}

/// Options of [`develop`].
#[derive(Debug, Clone, PartialEq)]
pub struct DevelopmentParams {
    /// Share of firms held out for calibration and validation (default 0.3).
    pub validation_share: f64,
    /// The master scale and thresholds of the validation figures.
    pub monitoring: MonitoringParams,
}

impl DevelopmentParams {
    /// Checks the parameters (as [`develop`] does first), so a caller can refuse bad ones
    /// before reading any data.
    ///
    /// # Errors
    ///
    /// [`LendingError::InvalidParameter`] for a validation share outside (0, 1).
    pub fn check(&self) -> Result<(), LendingError> {
        let share = self.validation_share;
        if share > 0.0 && share < 1.0 {
            Ok(())
        } else {
            Err(LendingError::param("validation_share", share, "must lie in (0, 1)"))
        }
    }
}

impl Default for DevelopmentParams {
    fn default() -> Self {
        DevelopmentParams { validation_share: 0.3, monitoring: MonitoringParams::default() }
    }
}

/// What a development reports, saved with the model.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct DevelopmentReport {
    /// The model's id as fitted (e.g. the card's).
    pub fitted_model_id: String,
    /// First observation date of the data.
    pub train_from: chrono::NaiveDate,
    /// Last observation date of the data.
    pub train_to: chrono::NaiveDate,
    /// The outcome horizon in months.
    pub horizon_months: u32,
    /// Rows (firm-dates) the model was fitted on.
    pub train_rows: usize,
    /// Defaults among them.
    pub train_defaults: usize,
    /// Rows held out.
    pub validation_rows: usize,
    /// The recalibration fitted on the held-out rows.
    pub calibration: Calibration,
    /// AUC of the model on its training rows.
    pub train_auc: f64,
    /// Validation figures of the calibrated PDs on the held-out rows.
    pub validation: OutcomeMonitoring,
}

/// A fitted, calibrated model and its report.
#[derive(Debug, Clone)]
pub struct Development<M> {
    /// The fitted model (uncalibrated).
    pub model: M,
    /// Its recalibration.
    pub calibration: Calibration,
    /// The figures.
    pub report: DevelopmentReport,
}

/// Whether a firm id falls in the held-out share (FNV-1a of the id, modulo 1000).
#[must_use]
pub fn held_out(firm: &str, share: f64) -> bool {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in firm.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    ((h % 1000) as f64) < share * 1000.0
}

/// Fits `fitter` on a point-in-time dataset, recalibrates and validates out of sample (see the
/// module docs).
///
/// # Errors
///
/// [`LendingError::InvalidParameter`] for a validation share outside (0, 1) or a split that
/// leaves either part without both classes, and the fit's and metrics' errors.
#[cfg(feature = "pool")]
pub fn develop<F>(
    fitter: &F,
    set: &PointInTimeDataset,
    params: &DevelopmentParams,
) -> Result<Development<F::Model>, LendingError>
where
    F: Fit,
    F::Model: PdModel,
{
    params.check()?;
    let share = params.validation_share;
    let (valid, train): (Vec<usize>, Vec<usize>) =
        (0..set.data.n_rows()).partition(|&i| held_out(set.firm_ids[i].as_str(), share));
    let target = |d: &Dataset| -> Result<Array1<f64>, LendingError> {
        d.target().map(|t| t.to_owned()).ok_or(LendingError::Credit(CreditError::Empty("target")))
    };
    let train_set = set.data.select_rows(&train)?;
    let valid_set = set.data.select_rows(&valid)?;
    let (y_train, y_valid) = (target(&train_set)?, target(&valid_set)?);
    for (name, y) in [("training part", &y_train), ("validation part", &y_valid)] {
        let events = y.iter().filter(|&&v| v == 1.0).count();
        if events < 2 || events + 2 > y.len() {
            return Err(LendingError::param(
                "dataset",
                format!("{name}: {events} defaults in {} rows", y.len()),
                "each part needs at least 2 defaults and 2 non-defaults; use more dates or firms",
            ));
        }
    }
    let model = fitter.fit(&train_set)?;
    let pd_train = model.pd_batch(&train_set)?;
    let pd_valid = model.pd_batch(&valid_set)?;
    let calibration = Calibration::fit(&pd_valid, &y_valid)?;
    let calibrated = pd_valid.mapv(|p| calibration.apply(p));
    let validation = outcome_tests(&calibrated, &y_valid, None, &params.monitoring)?;
    let train_auc = finkit_credit::validation::auc(
        &pd_train,
        &y_train,
        finkit_credit::validation::RiskOrder::HigherIsRiskier,
    )?;
    let dates = set.params.dates();
    let report = DevelopmentReport {
        fitted_model_id: model.model_id(),
        train_from: dates[0],
        train_to: dates[dates.len() - 1],
        horizon_months: set.params.horizon_months(),
        train_rows: train.len(),
        train_defaults: y_train.iter().filter(|&&v| v == 1.0).count(),
        validation_rows: valid.len(),
        calibration,
        train_auc,
        validation,
    };
    Ok(Development { model, calibration, report })
}

/// The rating model an engine uses for a pool: the newest learned model stored in it, or the
/// expert scorecard blend when the pool has none.
#[derive(Debug)]
pub enum PoolRatingModel {
    /// A calibrated scorecard learned from the pool.
    Learned(Calibrated<ScorecardModel>),
    /// The hand-set expert blend, for a pool without history.
    ExpertFallback(DefaultRatingModel),
}

impl RatingModel for PoolRatingModel {
    fn model_id(&self) -> &str {
        match self {
            PoolRatingModel::Learned(m) => m.model_id(),
            PoolRatingModel::ExpertFallback(m) => m.model_id(),
        }
    }
    fn assess(
        &self,
        features: &Features,
        market: Option<&MarketData>,
        reasons: &mut Vec<ReasonCode>,
    ) -> Result<Probability, LendingError> {
        match self {
            PoolRatingModel::Learned(m) => m.assess(features, market, reasons),
            PoolRatingModel::ExpertFallback(m) => m.assess(features, market, reasons),
        }
    }
    fn pd(
        &self,
        features: &Features,
        market: Option<&MarketData>,
    ) -> Result<Probability, LendingError> {
        match self {
            PoolRatingModel::Learned(m) => m.pd(features, market),
            PoolRatingModel::ExpertFallback(m) => m.pd(features, market),
        }
    }
}

impl PoolRatingModel {
    /// Whether the model was learned from the pool (not the expert fallback).
    #[must_use]
    pub fn is_learned(&self) -> bool {
        matches!(self, PoolRatingModel::Learned(_))
    }

    /// `"learned"` or `"expert-fallback"`: where the model came from.
    #[must_use]
    pub fn source(&self) -> &'static str {
        match self {
            PoolRatingModel::Learned(_) => "learned",
            PoolRatingModel::ExpertFallback(_) => "expert-fallback",
        }
    }

    /// The policy that goes with the model when the caller names none: the straight-through
    /// policy for a learned, validated model (its PD carries the risk judgement), the default
    /// policy (more referrals to a credit officer) for the hand-set expert fallback.
    ///
    /// # Errors
    ///
    /// None in practice: both policies are compiled in and tested.
    pub fn default_policy(&self) -> Result<crate::LendingPolicy, LendingError> {
        match self {
            PoolRatingModel::Learned(_) => straight_through_policy(),
            PoolRatingModel::ExpertFallback(_) => crate::LendingPolicy::default_policy(),
        }
    }
}

#[cfg(all(feature = "serde", feature = "pool"))]
mod stored {
    use finkit_pool::models::{NewModel, StoredModel};
    use finkit_pool::{Principal, SqlitePool};

    use super::*;

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Body {
        card: Scorecard,
        calibration: Calibration,
    }

    fn json_error(e: serde_json::Error) -> LendingError {
        LendingError::param("stored model", e.to_string(), "is not a calibrated scorecard")
    }

    /// Saves a developed scorecard in the pool as a new version of `model_id`; returns the
    /// version.
    ///
    /// # Errors
    ///
    /// [`LendingError::Pool`] (access denied included) and serialisation failures.
    pub fn save_scorecard(
        pool: &SqlitePool,
        who: &Principal,
        model_id: &str,
        dev: &Development<Scorecard>,
    ) -> Result<u32, LendingError> {
        let body = Body { card: dev.model.clone(), calibration: dev.calibration };
        let new = NewModel {
            model_id: model_id.to_owned(),
            kind: SCORECARD_KIND.to_owned(),
            train_from: dev.report.train_from,
            train_to: dev.report.train_to,
            horizon_months: dev.report.horizon_months,
            model: serde_json::to_string(&body).map_err(json_error)?,
            validation: serde_json::to_string(&dev.report).map_err(json_error)?,
        };
        pool.save_model(who, &new).map_err(LendingError::pool)
    }

    /// A stored calibrated scorecard: the card (for datasets), and its validation report.
    #[derive(Debug, Clone)]
    pub struct LoadedScorecard {
        /// `<model_id>/v<version>`.
        pub id: String,
        /// The card.
        pub card: Scorecard,
        /// Its calibration.
        pub calibration: Calibration,
        /// The development report saved with it.
        pub report: DevelopmentReport,
        /// The stored row.
        pub stored: StoredModel,
    }

    impl LoadedScorecard {
        /// The model for decisions (reason codes from the card).
        ///
        /// # Errors
        ///
        /// [`LendingError::InvalidParameter`] when a card variable is not a lending feature.
        pub fn rating_model(&self) -> Result<Calibrated<ScorecardModel>, LendingError> {
            Calibrated::new(
                ScorecardModel::new(self.card.clone())?,
                self.calibration,
                self.id.clone(),
            )
        }
        /// The model for datasets ([`PdModel::pd_batch`]).
        ///
        /// # Errors
        ///
        /// As [`Calibrated::new`].
        pub fn pd_model(&self) -> Result<Calibrated<Scorecard>, LendingError> {
            Calibrated::new(self.card.clone(), self.calibration, self.id.clone())
        }
    }

    /// Reads one stored model row as a calibrated scorecard.
    ///
    /// # Errors
    ///
    /// [`LendingError::InvalidParameter`] for another kind or a body that does not parse.
    pub fn decode(stored: StoredModel) -> Result<LoadedScorecard, LendingError> {
        if stored.kind != SCORECARD_KIND {
            return Err(LendingError::param(
                "stored model kind",
                &stored.kind,
                "is not a calibrated scorecard",
            ));
        }
        let body: Body = serde_json::from_str(&stored.model).map_err(json_error)?;
        let report: DevelopmentReport =
            serde_json::from_str(&stored.validation).map_err(json_error)?;
        Ok(LoadedScorecard {
            id: format!("{}/v{}", stored.model_id, stored.version),
            card: body.card,
            calibration: body.calibration,
            report,
            stored,
        })
    }

    /// The newest stored version of `model_id`, `None` when the pool has none.
    ///
    /// # Errors
    ///
    /// [`LendingError::Pool`] and [`decode`]'s errors.
    pub fn load_latest(
        pool: &SqlitePool,
        who: &Principal,
        model_id: &str,
    ) -> Result<Option<LoadedScorecard>, LendingError> {
        pool.latest_model(who, model_id).map_err(LendingError::pool)?.map(decode).transpose()
    }

    /// The engine's model for a pool: the newest [`POOL_MODEL_ID`] model stored in it, or the
    /// expert blend when there is none (a pool without history).
    ///
    /// # Errors
    ///
    /// As [`load_latest`].
    pub fn rating_model_for_pool(
        pool: &SqlitePool,
        who: &Principal,
    ) -> Result<PoolRatingModel, LendingError> {
        Ok(match load_latest(pool, who, POOL_MODEL_ID)? {
            Some(m) => PoolRatingModel::Learned(m.rating_model()?),
            None => PoolRatingModel::ExpertFallback(DefaultRatingModel::default()),
        })
    }

    /// The decision engine for a pool: [`rating_model_for_pool`] with `policy`, or, when
    /// `policy` is `None`, the policy that goes with the model
    /// ([`PoolRatingModel::default_policy`]).
    ///
    /// # Errors
    ///
    /// As [`rating_model_for_pool`], and the engine's validation of the policy.
    pub fn engine_for_pool(
        pool: &SqlitePool,
        who: &Principal,
        policy: Option<crate::LendingPolicy>,
    ) -> Result<crate::Engine<PoolRatingModel>, LendingError> {
        let model = rating_model_for_pool(pool, who)?;
        let policy = match policy {
            Some(p) => p,
            None => model.default_policy()?,
        };
        crate::Engine::new(policy, model, crate::EngineConfig::new())
    }
}

#[cfg(all(feature = "serde", feature = "pool"))]
pub use stored::{
    LoadedScorecard, decode, engine_for_pool, load_latest, rating_model_for_pool, save_scorecard,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_keeps_ends_and_order() {
        let c = Calibration { intercept: -0.5, slope: 0.8 };
        assert_eq!(c.apply(0.0), 0.0);
        assert_eq!(c.apply(1.0), 1.0);
        assert!(c.apply(0.1) < c.apply(0.2));
        assert!((Calibration::IDENTITY.apply(0.3) - 0.3).abs() < 1e-15);
        assert!(Calibrated::new((), Calibration { intercept: 0.0, slope: -1.0 }, "x").is_err());
    }

    #[test]
    fn the_split_is_stable_and_near_the_share() {
        let held = (0..10_000).filter(|i| held_out(&format!("F{i}"), 0.3)).count();
        assert!((2_700..3_300).contains(&held), "{held}");
        assert_eq!(held_out("F17", 0.3), held_out("F17", 0.3));
    }

    #[cfg(feature = "pool")]
    #[test]
    fn pool_features_are_the_lending_features() {
        let lending: Vec<&str> =
            crate::model::feature_entries(&Features::default()).iter().map(|e| e.0).collect();
        assert_eq!(lending, finkit_pool::dataset::feature_names());
    }
}
