//! Rating models for decisions: a PD plus reason codes from an application's features.
//!
//! [`RatingModel`] is the lending-side trait (object-safe). [`BlendModel`] blends a scorecard
//! with Altman's Z″ and, where market data exists, the Merton model — both are
//! `finkit_credit::corporate`'s, so the workspace has one implementation of each;
//! [`DefaultRatingModel`] is the blend with the built-in [`ExpertScorecard`] (allocation-free).
//! [`ScorecardModel`] puts a fitted `finkit_credit` [`Scorecard`] behind the trait with its PD
//! and its reason codes, alone or as the blend's scorecard; [`PdModelAdapter`] does the same for
//! any other [`finkit_credit::PdModel`] (without reason codes). The credit models see
//! [`features_record`]: the ratios under their field names plus the firm's age and size.

use std::borrow::Cow;

use finkit_credit::corporate::{
    AltmanRatios, AltmanScore, AltmanVariant, MertonFit, MertonInputs, MertonOptions, solve_merton,
};
use finkit_credit::master_scale::ScoreCalibration;
use finkit_credit::scorecard::Scorecard;
use finkit_credit::{PdModel, Record, Value};
use finkit_schema::Probability;

use crate::LendingError;
use crate::error::check_range;
use crate::features::Features;

/// Market data of a listed borrower, for the Merton component.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MarketData {
    /// Market value of equity, in single units of the application currency.
    pub equity_value: f64,
    /// Annualised equity volatility (0.3 = 30 %).
    pub equity_volatility: f64,
    /// Continuously compounded risk-free rate.
    pub risk_free_rate: f64,
    /// Horizon in years (1 for a one-year PD).
    pub horizon: f64,
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
}

/// The feature a scorecard characteristic reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum FeatureKey {
    /// Total liabilities / total assets.
    Leverage,
    /// EBIT / interest expense.
    InterestCoverage,
    /// Interest-bearing debt / EBITDA.
    DebtToEbitda,
    /// Net income / total assets.
    ReturnOnAssets,
    /// Current assets / current liabilities.
    CurrentRatio,
    /// Whole years in business.
    YearsInBusiness,
    /// Revenue growth against the prior period.
    RevenueGrowth,
}

impl FeatureKey {
    /// The feature's name (the ratio field names of [`finkit_schema::FinancialRatios`]).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            FeatureKey::Leverage => "leverage",
            FeatureKey::InterestCoverage => "interest_coverage",
            FeatureKey::DebtToEbitda => "debt_to_ebitda",
            FeatureKey::ReturnOnAssets => "net_income_to_assets",
            FeatureKey::CurrentRatio => "current_ratio",
            FeatureKey::YearsInBusiness => "years_in_business",
            FeatureKey::RevenueGrowth => "revenue_growth",
        }
    }

    fn value(self, f: &Features) -> Option<f64> {
        let r = &f.ratios;
        match self {
            FeatureKey::Leverage => r.leverage,
            FeatureKey::InterestCoverage => r.interest_coverage,
            FeatureKey::DebtToEbitda => r.debt_to_ebitda,
            FeatureKey::ReturnOnAssets => r.net_income_to_assets,
            FeatureKey::CurrentRatio => r.current_ratio,
            FeatureKey::YearsInBusiness => Some(f64::from(f.years_in_business)),
            FeatureKey::RevenueGrowth => r.revenue_growth,
        }
    }
}

/// One scorecard characteristic: bins by upper edge and the points of each bin.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Characteristic {
    /// The feature read.
    pub feature: FeatureKey,
    /// Increasing bin edges; bin `i` is `[edges[i−1], edges[i])`, open at both ends.
    pub edges: Vec<f64>,
    /// Points of each bin (`edges.len() + 1` entries).
    pub points: Vec<f64>,
    /// Points when the feature is missing.
    pub missing: f64,
}

impl Characteristic {
    fn points_of(&self, value: Option<f64>) -> f64 {
        match value {
            None => self.missing,
            Some(v) => {
                let bin = self.edges.partition_point(|&e| e <= v);
                self.points.get(bin).copied().unwrap_or(self.missing)
            }
        }
    }
    fn max_points(&self) -> f64 {
        self.points.iter().copied().fold(self.missing, f64::max)
    }
}

/// An expert-judgement corporate scorecard on financial ratios and age, scaled by PDO.
///
/// The default characteristics and points are an illustrative expert scorecard in the style of
/// SME rating models (leverage, coverage, debt/EBITDA, profitability, liquidity, age, growth);
/// a bank replaces them with a scorecard fitted on its own defaults: a fitted `finkit_credit`
/// scorecard behind [`ScorecardModel`].
///
/// # Formula
///
/// ```text
/// score = base + Σ points(characteristic)
/// odds  = exp((score − offset) / factor),  factor = PDO / ln 2,  offset = S₀ − factor · ln(O₀)
/// PD    = 1 / (1 + odds)
/// ```
/// Defaults: base 330, PDO 40, 600 points at odds 50:1 (good:bad).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ExpertScorecard {
    /// Base points.
    pub base: f64,
    /// Points to double the odds.
    pub pdo: f64,
    /// Reference score.
    pub reference_score: f64,
    /// Good:bad odds at the reference score.
    pub reference_odds: f64,
    /// The characteristics.
    pub characteristics: Vec<Characteristic>,
    /// How many reason codes to report (default 4).
    pub reason_codes: usize,
}

impl Default for ExpertScorecard {
    fn default() -> Self {
        let c = |feature, edges: &[f64], points: &[f64], missing| Characteristic {
            feature,
            edges: edges.to_vec(),
            points: points.to_vec(),
            missing,
        };
        ExpertScorecard {
            base: 330.0,
            pdo: 40.0,
            reference_score: 600.0,
            reference_odds: 50.0,
            characteristics: vec![
                c(
                    FeatureKey::Leverage,
                    &[0.4, 0.6, 0.75, 0.9, 1.0],
                    &[70.0, 55.0, 40.0, 20.0, 0.0, -20.0],
                    20.0,
                ),
                c(
                    FeatureKey::InterestCoverage,
                    &[0.0, 1.5, 3.0, 6.0],
                    &[-10.0, 15.0, 35.0, 50.0, 60.0],
                    40.0,
                ),
                // A negative ratio means negative EBITDA: the worst bin.
                c(
                    FeatureKey::DebtToEbitda,
                    &[0.0, 2.0, 3.5, 5.0],
                    &[-10.0, 50.0, 35.0, 20.0, 0.0],
                    0.0,
                ),
                c(
                    FeatureKey::ReturnOnAssets,
                    &[-0.05, 0.0, 0.03, 0.08],
                    &[-10.0, 10.0, 30.0, 45.0, 55.0],
                    10.0,
                ),
                c(
                    FeatureKey::CurrentRatio,
                    &[0.8, 1.0, 1.5, 2.0],
                    &[0.0, 15.0, 30.0, 40.0, 45.0],
                    15.0,
                ),
                c(FeatureKey::YearsInBusiness, &[2.0, 5.0, 10.0], &[0.0, 15.0, 30.0, 40.0], 0.0),
                c(
                    FeatureKey::RevenueGrowth,
                    &[-0.1, 0.0, 0.1, 0.3],
                    &[0.0, 15.0, 25.0, 35.0, 30.0],
                    20.0,
                ),
            ],
            reason_codes: 4,
        }
    }
}

impl ExpertScorecard {
    /// Checks the scorecard: bins and points consistent, edges increasing, scaling positive.
    ///
    /// # Errors
    ///
    /// [`LendingError::InvalidParameter`] naming the first problem.
    pub fn validate(&self) -> Result<(), LendingError> {
        check_range("pdo", self.pdo, 1e-9, 1e6, "must be positive")?;
        check_range("reference_odds", self.reference_odds, 1e-12, 1e12, "must be positive")?;
        check_range("base", self.base, -1e9, 1e9, "must be finite")?;
        check_range("reference_score", self.reference_score, -1e9, 1e9, "must be finite")?;
        for c in &self.characteristics {
            if c.points.len() != c.edges.len() + 1 {
                return Err(LendingError::param(
                    "characteristic points",
                    c.points.len(),
                    "must have one more entry than edges",
                ));
            }
            if c.edges.windows(2).any(|w| w[0] >= w[1]) || c.edges.iter().any(|e| !e.is_finite()) {
                return Err(LendingError::param(
                    c.feature.name(),
                    "edges",
                    "edges must be finite and increasing",
                ));
            }
            if c.points.iter().chain([&c.missing]).any(|p| !p.is_finite()) {
                return Err(LendingError::param(
                    c.feature.name(),
                    "points",
                    "points must be finite",
                ));
            }
        }
        Ok(())
    }

    /// The score of a set of features.
    #[must_use]
    pub fn score(&self, features: &Features) -> f64 {
        self.base
            + self
                .characteristics
                .iter()
                .map(|c| c.points_of(c.feature.value(features)))
                .sum::<f64>()
    }

    /// The PD of a score.
    #[must_use]
    pub fn pd_of_score(&self, score: f64) -> f64 {
        let factor = self.pdo / std::f64::consts::LN_2;
        let offset = self.reference_score - factor * self.reference_odds.ln();
        1.0 / (1.0 + ((score - offset) / factor).exp())
    }

    /// Appends the top reason codes: characteristics ranked by points below their maximum
    /// (largest first; ties keep the characteristic order), zero gaps left out.
    pub fn reasons(&self, features: &Features, out: &mut Vec<ReasonCode>) {
        let start = out.len();
        for c in &self.characteristics {
            let value = c.feature.value(features);
            let gap = c.max_points() - c.points_of(value);
            if gap <= 0.0 {
                continue;
            }
            // Insertion into the short ranked tail keeps this allocation-free.
            let mut pos = out.len();
            while pos > start && out[pos - 1].points_below_max < gap {
                pos -= 1;
            }
            if pos - start < self.reason_codes {
                let code = ReasonCode {
                    characteristic: Cow::Borrowed(c.feature.name()),
                    points_below_max: gap,
                    value,
                };
                if out.len() - start == self.reason_codes {
                    out.pop();
                }
                out.insert(pos, code);
            }
        }
    }
}

impl RatingModel for ExpertScorecard {
    fn model_id(&self) -> &str {
        EXPERT_SCORECARD_ID
    }

    fn assess(
        &self,
        features: &Features,
        _market: Option<&MarketData>,
        reasons: &mut Vec<ReasonCode>,
    ) -> Result<Probability, LendingError> {
        self.reasons(features, reasons);
        Ok(Probability::new(self.pd_of_score(self.score(features)))?)
    }
}

/// The model id of [`ExpertScorecard`] (its points are fixed in code, so one version).
pub const EXPERT_SCORECARD_ID: &str = "finkit-expert-scorecard/1.0";

/// The default calibration of Altman's Z″ to a PD: logistic, through two anchor points.
///
/// Z″ itself is `finkit_credit`'s ([`AltmanVariant::ZDoublePrime`]); Altman publishes zones, not
/// PDs, so this mapping is **an assumption of finkit**, not part of Altman's model: PD = 10 % at
/// the distress boundary Z″ = 1.10 and PD = 1 % at the safe boundary Z″ = 2.60, logistic in
/// between and beyond. A bank replaces it with a calibration fitted on its own defaults
/// ([`ScoreCalibration::fit`] on the Z″ values; see [`BlendModel::with_altman`]).
///
/// # Formula
///
/// ```text
/// Z″ = 6.56 X1 + 3.26 X2 + 6.72 X3 + 1.05 X4          (Altman 1995, non-manufacturers)
/// PD = 1 / (1 + exp(−(a + b Z″)))
/// b  = (logit 0.01 − logit 0.10) / (2.60 − 1.10) ≈ −1.5853,   a = logit 0.10 − 1.10 b ≈ −0.4532
/// ```
#[must_use]
pub fn default_z_calibration() -> ScoreCalibration {
    let logit = |p: f64| (p / (1.0 - p)).ln();
    let (distress, safe) = AltmanVariant::ZDoublePrime.cutoffs();
    let slope = (logit(0.01) - logit(0.10)) / (safe - distress);
    ScoreCalibration::Logistic { intercept: logit(0.10) - slope * distress, slope }
}

/// Altman's Z″ score and zone of a set of features ([`finkit_credit::corporate`]), `None` when
/// one of X1…X4 is undefined.
///
/// X1 = working capital, X2 = retained earnings, X3 = EBIT (each / total assets), X4 = book
/// equity / total liabilities; Z″ does not use X5 (sales / assets), so a firm without revenue
/// still has a Z″.
#[must_use]
pub fn altman_z_double_prime(features: &Features) -> Option<AltmanScore> {
    let r = &features.ratios;
    let ratios = AltmanRatios {
        x1: r.working_capital_to_assets?,
        x2: r.retained_earnings_to_assets?,
        x3: r.ebit_to_assets?,
        x4: r.book_equity_to_liabilities?,
        x5: 0.0,
    };
    ratios.score(AltmanVariant::ZDoublePrime).ok()
}

/// The Merton model of a listed borrower ([`finkit_credit::corporate::solve_merton`]) with the
/// KMV default point ([`kmv_default_point`](finkit_credit::corporate::kmv_default_point):
/// short-term debt + ½ long-term debt, in single units
/// of the application currency), `None` when the inputs are unusable (no statement, no debt,
/// a non-positive equity value or volatility, a solver failure).
///
/// The PD is `N(−DD)` under `options.drift` (default risk-neutral: `DD = d2`).
#[must_use]
pub fn merton_fit(
    features: &Features,
    market: &MarketData,
    options: &MertonOptions,
) -> Option<MertonFit> {
    let fin = features.financials?;
    let inputs = MertonInputs::kmv(
        market.equity_value,
        market.equity_volatility,
        fin.short_term_debt,
        fin.long_term_debt,
        market.risk_free_rate,
        market.horizon,
    )
    .ok()?;
    solve_merton(&inputs, options).ok()
}

/// Blend weights of a [`BlendModel`] (log-odds averaging).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BlendWeights {
    /// Scorecard weight.
    pub scorecard: f64,
    /// Altman Z″ weight.
    pub altman: f64,
    /// Merton weight (used only with market data).
    pub merton: f64,
}

impl Default for BlendWeights {
    /// Scorecard 0.5, Z″ 0.25, Merton 0.25 (renormalised over the components available:
    /// 2/3 and 1/3 without market data).
    fn default() -> Self {
        BlendWeights { scorecard: 0.5, altman: 0.25, merton: 0.25 }
    }
}

impl BlendWeights {
    fn validate(&self) -> Result<(), LendingError> {
        for (name, w) in [
            ("scorecard weight", self.scorecard),
            ("altman weight", self.altman),
            ("merton weight", self.merton),
        ] {
            check_range(name, w, 0.0, 1e6, "must be finite and non-negative")?;
        }
        if self.scorecard <= 0.0 {
            return Err(LendingError::param(
                "scorecard weight",
                self.scorecard,
                "must be positive",
            ));
        }
        Ok(())
    }
}

/// The component PDs of a [`BlendModel`] decision.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Components {
    /// The scorecard's PD.
    pub scorecard: f64,
    /// Z″ and its zone, when the ratios are defined.
    pub altman: Option<AltmanScore>,
    /// The PD of Z″ under the model's calibration.
    pub altman_pd: Option<f64>,
    /// The solved Merton model, with market data.
    pub merton: Option<MertonFit>,
}

/// The blended rating model: a scorecard `S` (any [`RatingModel`]; its reason codes are the
/// decision's), Altman's Z″ and, where market data exists, Merton — both from
/// `finkit_credit::corporate` — averaged in log-odds with weights renormalised over the
/// components available, then floored.
///
/// [`DefaultRatingModel`] is the blend with the built-in [`ExpertScorecard`]; put a fitted
/// `finkit_credit` scorecard in its place with [`BlendModel::new`]`(`[`ScorecardModel`]`)`.
///
/// # Formula
///
/// ```text
/// logit(PD) = Σ_i w_i logit(PD_i) / Σ_i w_i      over available components i
/// PD        = max(PD, floor)
/// PD_Z″     = calibration(Z″)                     (default: default_z_calibration, an assumption)
/// PD_Merton = N(−DD), KMV default point           (default drift: risk-neutral, DD = d2)
/// ```
/// Defaults: weights scorecard 0.5, Z″ 0.25, Merton 0.25 — without market data this is
/// scorecard 2/3, Z″ 1/3; without Z″ (an undefined ratio) the scorecard alone; PD floor 0.03 %
/// (Basel II ¶285). Each component PD is clamped to [1e-12, 1 − 1e-12] inside the logit only to
/// keep it finite.
///
/// # Allocation
///
/// The blend itself allocates nothing; with [`ExpertScorecard`] the whole assessment is
/// allocation-free (unusable market data costs one error message). With [`ScorecardModel`] each
/// assessment builds a record and a scored breakdown (a few hundred bytes, see its docs).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(
        try_from = "BlendParts<S>",
        bound(serialize = "S: serde::Serialize", deserialize = "S: serde::Deserialize<'de>")
    )
)]
pub struct BlendModel<S = ExpertScorecard> {
    scorecard: S,
    altman: ScoreCalibration,
    merton: MertonOptions,
    weights: BlendWeights,
    pd_floor: f64,
    id: String,
}

/// The default rating model: [`ExpertScorecard`] blended with Z″ and Merton.
pub type DefaultRatingModel = BlendModel<ExpertScorecard>;

/// The serialised form of a [`BlendModel`], validated when read.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct BlendParts<S> {
    scorecard: S,
    altman: ScoreCalibration,
    merton: MertonOptions,
    weights: BlendWeights,
    pd_floor: f64,
    id: String,
}

#[cfg(feature = "serde")]
impl<S> TryFrom<BlendParts<S>> for BlendModel<S> {
    type Error = LendingError;
    fn try_from(p: BlendParts<S>) -> Result<Self, LendingError> {
        check_calibration(&p.altman)?;
        p.weights.validate()?;
        check_range("pd_floor", p.pd_floor, 0.0, 0.5, "must be in [0, 0.5]")?;
        Ok(BlendModel {
            scorecard: p.scorecard,
            altman: p.altman,
            merton: p.merton,
            weights: p.weights,
            pd_floor: p.pd_floor,
            id: p.id,
        })
    }
}

impl Default for DefaultRatingModel {
    fn default() -> Self {
        BlendModel::new(ExpertScorecard::default())
    }
}

/// Version of the blend, part of every blend's model id.
const BLEND_VERSION: &str = "finkit-blend/1.1";

/// Checks a Z″ calibration: finite with a negative slope (a higher Z″ is safer), or isotonic
/// knots that are non-empty, strictly increasing, finite and paired with PDs in [0, 1].
fn check_calibration(cal: &ScoreCalibration) -> Result<(), LendingError> {
    match cal {
        ScoreCalibration::Logistic { intercept, slope } => {
            check_range("altman intercept", *intercept, -1e6, 1e6, "must be finite")?;
            check_range(
                "altman slope",
                *slope,
                -1e6,
                -1e-12,
                "must be negative: a higher z'' is safer",
            )?;
        }
        ScoreCalibration::Isotonic { scores, pds } => {
            if scores.is_empty() || scores.len() != pds.len() {
                return Err(LendingError::param(
                    "altman isotonic knots",
                    format!("{} scores, {} pds", scores.len(), pds.len()),
                    "need at least one knot and one pd per score",
                ));
            }
            if scores.iter().any(|s| !s.is_finite()) || scores.windows(2).any(|w| w[0] >= w[1]) {
                return Err(LendingError::param(
                    "altman isotonic scores",
                    format!("{scores:?}"),
                    "must be finite and strictly increasing",
                ));
            }
            for &p in pds {
                check_range("altman isotonic pd", p, 0.0, 1.0, "must be in [0, 1]")?;
            }
        }
    }
    Ok(())
}

impl<S: RatingModel> BlendModel<S> {
    /// The blend of `scorecard` with the default Z″ calibration ([`default_z_calibration`]),
    /// risk-neutral Merton, weights ([`BlendWeights::default`]) and the 0.03 % floor. The model
    /// id is `finkit-blend/1.1[<scorecard id>]`.
    pub fn new(scorecard: S) -> Self {
        let id = format!("{BLEND_VERSION}[{}]", scorecard.model_id());
        BlendModel {
            scorecard,
            altman: default_z_calibration(),
            merton: MertonOptions::default(),
            weights: BlendWeights::default(),
            pd_floor: 0.0003,
            id,
        }
    }

    /// Replaces the Z″ → PD calibration (e.g. one fitted with [`ScoreCalibration::fit`]).
    ///
    /// # Errors
    ///
    /// [`LendingError::InvalidParameter`] for a non-finite or non-negative logistic slope, or
    /// isotonic knots that are empty, unsorted, unpaired or outside [0, 1].
    pub fn with_altman(mut self, calibration: ScoreCalibration) -> Result<Self, LendingError> {
        check_calibration(&calibration)?;
        self.altman = calibration;
        Ok(self)
    }

    /// Replaces the Merton solver and drift options.
    #[must_use]
    pub fn with_merton(mut self, options: MertonOptions) -> Self {
        self.merton = options;
        self
    }

    /// Replaces the blend weights.
    ///
    /// # Errors
    ///
    /// [`LendingError::InvalidParameter`] for a negative or non-finite weight, or a scorecard
    /// weight that is not positive.
    pub fn with_weights(mut self, weights: BlendWeights) -> Result<Self, LendingError> {
        weights.validate()?;
        self.weights = weights;
        Ok(self)
    }

    /// Replaces the PD floor.
    ///
    /// # Errors
    ///
    /// [`LendingError::InvalidParameter`] outside [0, 0.5].
    pub fn with_pd_floor(mut self, pd_floor: f64) -> Result<Self, LendingError> {
        self.pd_floor = check_range("pd_floor", pd_floor, 0.0, 0.5, "must be in [0, 0.5]")?;
        Ok(self)
    }

    /// Replaces the model id recorded in audit records (give a new one whenever a parameter
    /// changes).
    #[must_use]
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// The scorecard component.
    #[must_use]
    pub fn scorecard(&self) -> &S {
        &self.scorecard
    }
    /// The Z″ → PD calibration.
    #[must_use]
    pub fn altman(&self) -> &ScoreCalibration {
        &self.altman
    }
    /// The Merton options.
    #[must_use]
    pub fn merton(&self) -> &MertonOptions {
        &self.merton
    }
    /// The blend weights.
    #[must_use]
    pub fn weights(&self) -> &BlendWeights {
        &self.weights
    }
    /// The PD floor.
    #[must_use]
    pub fn pd_floor(&self) -> f64 {
        self.pd_floor
    }

    /// The component PDs, appending the scorecard's reason codes to `reasons`.
    fn components_into(
        &self,
        features: &Features,
        market: Option<&MarketData>,
        reasons: &mut Vec<ReasonCode>,
    ) -> Result<Components, LendingError> {
        let scorecard = self.scorecard.assess(features, market, reasons)?.get();
        let altman = altman_z_double_prime(features);
        // The calibration was validated when set and Z″ is finite, so `pd` cannot fail here;
        // a failure would only drop the component.
        let altman_pd = altman.and_then(|z| self.altman.pd(z.z).ok());
        let merton = market.and_then(|m| merton_fit(features, m, &self.merton));
        Ok(Components { scorecard, altman, altman_pd, merton })
    }

    /// The component PDs: scorecard, Z″ (if defined) and Merton (if market data is usable).
    ///
    /// # Errors
    ///
    /// The scorecard's failure.
    pub fn components(
        &self,
        features: &Features,
        market: Option<&MarketData>,
    ) -> Result<Components, LendingError> {
        self.components_into(features, market, &mut Vec::new())
    }
}

fn logit(p: f64) -> f64 {
    // Clamped away from 0 and 1 only to keep the log finite; the floor is applied afterwards.
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    (p / (1.0 - p)).ln()
}

impl<S: RatingModel> RatingModel for BlendModel<S> {
    fn model_id(&self) -> &str {
        &self.id
    }

    fn assess(
        &self,
        features: &Features,
        market: Option<&MarketData>,
        reasons: &mut Vec<ReasonCode>,
    ) -> Result<Probability, LendingError> {
        let c = self.components_into(features, market, reasons)?;
        let w = &self.weights;
        let mut num = w.scorecard * logit(c.scorecard);
        let mut den = w.scorecard;
        if let Some(z) = c.altman_pd {
            num += w.altman * logit(z);
            den += w.altman;
        }
        if let Some(m) = c.merton {
            num += w.merton * logit(m.pd);
            den += w.merton;
        }
        let pd = (1.0 / (1.0 + (-num / den).exp())).max(self.pd_floor);
        Ok(Probability::new(pd)?)
    }
}

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

fn value_of(v: Option<f64>) -> Value {
    match v {
        Some(x) if !x.is_nan() => Value::Number(x),
        _ => Value::Missing,
    }
}

/// The record a `finkit_credit` model sees for a set of features: every
/// [`feature_entries`] entry, undefined ones missing.
#[must_use]
pub fn features_record(features: &Features) -> Record {
    let mut record = Record::new();
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
    pub fn record(features: &Features) -> Record {
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
/// Each assessment builds a [`Record`] of the card's variables and the card's
/// [`finkit_credit::scorecard::ScoredRecord`] (owned names and bin labels), about three small
/// allocations per characteristic: with the six-variable test card a decision takes ≈ 0.6 µs
/// more than with [`DefaultRatingModel`] (see `docs/PERFORMANCE.md`).
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
        let names = feature_entries(&Features::default()).map(|e| e.0);
        let inputs = card
            .characteristics()
            .iter()
            .map(|c| {
                let name = c.binning().name();
                names.iter().position(|n| *n == name).ok_or_else(|| {
                    LendingError::param(
                        "scorecard variable",
                        name,
                        "is not a lending feature (see model::feature_entries)",
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let id = card.model_id();
        Ok(ScorecardModel { card, id, inputs })
    }

    /// The card.
    #[must_use]
    pub fn card(&self) -> &Scorecard {
        &self.card
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
        let entries = feature_entries(features);
        let mut record = Record::new();
        for &i in &self.inputs {
            let (name, v) = entries[i];
            record.insert(name, value_of(v));
        }
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use finkit_schema::FinancialRatios;

    fn healthy() -> Features {
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

    #[test]
    fn scorecard_scaling_and_reasons() {
        let sc = ExpertScorecard::default();
        assert_eq!(sc.score(&healthy()), 620.0);
        // 600 points ↔ odds 50 → PD 1/51.
        assert!((sc.pd_of_score(600.0) - 1.0 / 51.0).abs() < 1e-15);
        assert!((sc.pd_of_score(640.0) - 1.0 / 101.0).abs() < 1e-15);
        let mut r = Vec::new();
        sc.reasons(&healthy(), &mut r);
        assert_eq!(r.len(), 4);
        assert!(r.windows(2).all(|w| w[0].points_below_max >= w[1].points_below_max));
        assert_eq!(r[0].characteristic, "leverage");
    }

    #[test]
    fn z_calibration_hits_anchors() {
        let c = default_z_calibration();
        assert!((c.pd(1.10).unwrap() - 0.10).abs() < 1e-12);
        assert!((c.pd(2.60).unwrap() - 0.01).abs() < 1e-12);
        let m = DefaultRatingModel::default();
        let flat = ScoreCalibration::Logistic { intercept: 0.0, slope: 0.0 };
        assert!(m.clone().with_altman(flat).is_err());
        let empty = ScoreCalibration::Isotonic { scores: vec![], pds: vec![] };
        assert!(m.clone().with_altman(empty).is_err());
        let knots = ScoreCalibration::Isotonic { scores: vec![1.0, 2.0], pds: vec![0.2, 0.01] };
        assert!(m.with_altman(knots).is_ok());
    }

    #[test]
    fn z_double_prime_is_the_credit_crates() {
        // X = (0.2, 0.2, 0.08, 1.0): 6.56·0.2 + 3.26·0.2 + 6.72·0.08 + 1.05·1.0 = 3.5516.
        let z = altman_z_double_prime(&healthy()).unwrap();
        assert!((z.z - 3.5516).abs() < 1e-12, "{}", z.z);
        assert_eq!(z.zone, finkit_credit::corporate::Zone::Safe);
        let mut f = healthy();
        f.ratios.ebit_to_assets = None;
        assert!(altman_z_double_prime(&f).is_none());
    }

    #[test]
    fn blend_is_between_components() {
        let m = DefaultRatingModel::default();
        let f = healthy();
        let c = m.components(&f, None).unwrap();
        let (sc, z) = (c.scorecard, c.altman_pd.unwrap());
        let pd = m.assess(&f, None, &mut Vec::new()).unwrap().get();
        assert!(pd > sc.min(z) && pd < sc.max(z));
        // Log-odds weights 2/3 and 1/3 without market data.
        let want = 1.0 / (1.0 + (-(2.0 * logit(sc) + logit(z)) / 3.0).exp());
        assert!((pd - want).abs() < 1e-15);
        assert_eq!(m.model_id(), "finkit-blend/1.1[finkit-expert-scorecard/1.0]");
        assert!(
            m.clone()
                .with_weights(BlendWeights { scorecard: 0.0, ..BlendWeights::default() })
                .is_err()
        );
        assert!(m.clone().with_pd_floor(0.6).is_err());
    }

    #[test]
    fn merton_matches_hull() {
        // Hull, Options, Futures and Other Derivatives, Example (E = 3, σ_E = 0.80, D = 10,
        // r = 5 %, T = 1): V = 12.40, σ_V = 0.2123, PD = N(−d2) = 12.7 %.
        let f = Features {
            financials: Some(crate::features::Financials {
                short_term_debt: 10.0,
                ..Default::default()
            }),
            ..Features::default()
        };
        let md = MarketData {
            equity_value: 3.0,
            equity_volatility: 0.8,
            risk_free_rate: 0.05,
            horizon: 1.0,
        };
        let fit = merton_fit(&f, &md, &MertonOptions::default()).unwrap();
        // The same example solved by scipy in the shared reference set
        // (reference/credit/corporate_models.json, `merton_hull_example.pd_risk_neutral`).
        let reference = 0.126_971_241_062_796_56;
        assert!((fit.pd - reference).abs() <= 1e-9 * reference, "{}", fit.pd);
        // No debt: no default point, no Merton component.
        let none = Features { financials: Some(Default::default()), ..Features::default() };
        assert!(merton_fit(&none, &md, &MertonOptions::default()).is_none());
    }

    #[cfg(feature = "serde")]
    #[test]
    fn blend_round_trips_and_is_validated_when_read() {
        let m = DefaultRatingModel::default();
        let json = serde_json::to_string(&m).unwrap();
        let back: DefaultRatingModel = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
        let bad = json.replace("\"pd_floor\":0.0003", "\"pd_floor\":0.7");
        assert_ne!(bad, json);
        let err = serde_json::from_str::<DefaultRatingModel>(&bad).unwrap_err();
        assert!(err.to_string().contains("pd_floor"), "{err}");
    }
}
