//! Rating models for decisions: a PD plus reason codes from an application's features.
//!
//! [`RatingModel`] is the lending-side trait (object-safe, allocation-free for the built-in
//! models). [`DefaultRatingModel`] blends an expert corporate scorecard with Altman's Z″ and,
//! where market data exists, the Merton model; [`PdModelAdapter`] puts any
//! [`finkit_credit::PdModel`] (a fitted scorecard, a logistic model, a corporate model) behind
//! the same trait, fed with [`Record::from_ratios`] plus the firm's age and size.

use std::borrow::Cow;

use finkit_credit::{PdModel, Record};
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
/// a bank replaces them with a scorecard fitted on its own defaults (or wraps a fitted
/// `finkit_credit` scorecard with [`PdModelAdapter`]).
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

/// A logistic calibration of Altman's Z″ to a PD.
///
/// # Formula
///
/// ```text
/// Z″ = 6.56 X1 + 3.26 X2 + 6.72 X3 + 1.05 X4          (Altman 1995, non-manufacturers)
/// PD = 1 / (1 + exp(−(a + b Z″)))
/// ```
/// Defaults `a`, `b` put PD = 10 % at the distress boundary Z″ = 1.10 and PD = 1 % at the safe
/// boundary Z″ = 2.60 (a documented assumption; a bank recalibrates on its own defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ZCalibration {
    /// Intercept `a`.
    pub intercept: f64,
    /// Slope `b` (negative: a higher Z″ is safer).
    pub slope: f64,
}

impl Default for ZCalibration {
    fn default() -> Self {
        let logit = |p: f64| (p / (1.0 - p)).ln();
        let slope = (logit(0.01) - logit(0.10)) / (2.60 - 1.10);
        ZCalibration { intercept: logit(0.10) - slope * 1.10, slope }
    }
}

/// Altman's Z″ of a set of features, `None` when a ratio is undefined.
#[must_use]
pub fn altman_z_double_prime(features: &Features) -> Option<f64> {
    let r = &features.ratios;
    Some(
        6.56 * r.working_capital_to_assets?
            + 3.26 * r.retained_earnings_to_assets?
            + 6.72 * r.ebit_to_assets?
            + 1.05 * r.book_equity_to_liabilities?,
    )
}

/// Merton distance-to-default PD of a listed borrower, `None` when inputs are unusable.
///
/// Asset value and volatility solve `E = V N(d1) − D e^{−rT} N(d2)` and
/// `σ_E E = N(d1) σ_V V` by Newton's method from `V = E + D`, `σ_V = σ_E E / V`; the default
/// point `D` is short-term debt plus half of long-term debt (KMV).
#[must_use]
pub fn merton_pd(features: &Features, market: &MarketData) -> Option<f64> {
    let fin = features.financials?;
    let d = fin.short_term_debt + 0.5 * fin.long_term_debt;
    let (e, se, r, t) =
        (market.equity_value, market.equity_volatility, market.risk_free_rate, market.horizon);
    if !(e > 0.0
        && se > 0.0
        && d > 0.0
        && t > 0.0
        && r.is_finite()
        && e.is_finite()
        && se.is_finite())
    {
        return None;
    }
    let (mut v, mut sv) = (e + d * (-r * t).exp(), se * e / (e + d));
    let st = t.sqrt();
    for _ in 0..100 {
        let d1 = ((v / d).ln() + (r + 0.5 * sv * sv) * t) / (sv * st);
        let d2 = d1 - sv * st;
        let f1 = v * norm_cdf(d1) - d * (-r * t).exp() * norm_cdf(d2) - e;
        let f2 = norm_cdf(d1) * sv * v - se * e;
        // Jacobian of (f1, f2) in (v, sv).
        let pdf1 = norm_pdf(d1);
        let dd1_dv = 1.0 / (v * sv * st);
        let dd1_ds = -((v / d).ln() + (r + 0.5 * sv * sv) * t) / (sv * sv * st) + st;
        let j11 = norm_cdf(d1);
        let j12 = v * pdf1 * st;
        let j21 = pdf1 * dd1_dv * sv * v + norm_cdf(d1) * sv;
        let j22 = pdf1 * dd1_ds * sv * v + norm_cdf(d1) * v;
        let det = j11 * j22 - j12 * j21;
        if det.abs() < 1e-300 || !det.is_finite() {
            return None;
        }
        let dv = (f1 * j22 - f2 * j12) / det;
        let ds = (j11 * f2 - j21 * f1) / det;
        v = (v - dv).max(e * 0.5);
        sv = (sv - ds).max(1e-6);
        if dv.abs() < 1e-10 * v && ds.abs() < 1e-12 {
            let d2 = ((v / d).ln() + (r - 0.5 * sv * sv) * t) / (sv * st);
            return Some(norm_cdf(-d2));
        }
    }
    None
}

fn norm_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Standard normal CDF through statrs' complementary error function (accurate in both tails).
fn norm_cdf(x: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(-x / std::f64::consts::SQRT_2)
}

/// Blend weights of the default model (log-odds averaging).
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

/// The default rating model: scorecard, Altman Z″ and (with market data) Merton, blended in
/// log-odds with weights renormalised over the components available, then floored.
///
/// # Formula
///
/// ```text
/// logit(PD) = Σ_i w_i logit(PD_i) / Σ_i w_i      over available components i
/// PD        = max(PD, floor)
/// ```
/// With the default weights: scorecard 0.5, Z″ 0.25, Merton 0.25; without market data this is
/// scorecard 2/3, Z″ 1/3; without Z″ (an undefined ratio) the scorecard alone.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DefaultRatingModel {
    /// The scorecard.
    pub scorecard: ExpertScorecard,
    /// Z″ → PD calibration.
    pub altman: ZCalibration,
    /// Blend weights.
    pub weights: BlendWeights,
    /// PD floor (default 0.03 %, Basel II ¶285).
    pub pd_floor: f64,
    id: String,
}

impl Default for DefaultRatingModel {
    fn default() -> Self {
        DefaultRatingModel {
            scorecard: ExpertScorecard::default(),
            altman: ZCalibration::default(),
            weights: BlendWeights::default(),
            pd_floor: 0.0003,
            id: "finkit-default-blend/1.0".into(),
        }
    }
}

impl DefaultRatingModel {
    /// Checks the parts and sets the model id (recorded in audit records).
    ///
    /// # Errors
    ///
    /// [`LendingError::InvalidParameter`] for a bad scorecard, weight or floor.
    pub fn new(
        scorecard: ExpertScorecard,
        altman: ZCalibration,
        weights: BlendWeights,
        pd_floor: f64,
        id: impl Into<String>,
    ) -> Result<Self, LendingError> {
        scorecard.validate()?;
        for (name, w) in [
            ("scorecard weight", weights.scorecard),
            ("altman weight", weights.altman),
            ("merton weight", weights.merton),
        ] {
            check_range(name, w, 0.0, 1e6, "must be finite and non-negative")?;
        }
        if weights.scorecard <= 0.0 {
            return Err(LendingError::param(
                "scorecard weight",
                weights.scorecard,
                "must be positive",
            ));
        }
        check_range("altman intercept", altman.intercept, -1e6, 1e6, "must be finite")?;
        check_range("altman slope", altman.slope, -1e6, 1e6, "must be finite")?;
        check_range("pd_floor", pd_floor, 0.0, 0.5, "must be in [0, 0.5]")?;
        Ok(DefaultRatingModel { scorecard, altman, weights, pd_floor, id: id.into() })
    }

    /// The component PDs: scorecard, Z″ (if defined) and Merton (if market data is usable).
    #[must_use]
    pub fn components(
        &self,
        features: &Features,
        market: Option<&MarketData>,
    ) -> (f64, Option<f64>, Option<f64>) {
        let sc = self.scorecard.pd_of_score(self.scorecard.score(features));
        let z = altman_z_double_prime(features)
            .map(|z| 1.0 / (1.0 + (-(self.altman.intercept + self.altman.slope * z)).exp()));
        let m = market.and_then(|m| merton_pd(features, m));
        (sc, z, m)
    }
}

fn logit(p: f64) -> f64 {
    // Clamped away from 0 and 1 only to keep the log finite; the floor is applied afterwards.
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    (p / (1.0 - p)).ln()
}

impl RatingModel for DefaultRatingModel {
    fn model_id(&self) -> &str {
        &self.id
    }

    fn assess(
        &self,
        features: &Features,
        market: Option<&MarketData>,
        reasons: &mut Vec<ReasonCode>,
    ) -> Result<Probability, LendingError> {
        let (sc, z, m) = self.components(features, market);
        let w = &self.weights;
        let mut num = w.scorecard * logit(sc);
        let mut den = w.scorecard;
        if let Some(z) = z {
            num += w.altman * logit(z);
            den += w.altman;
        }
        if let Some(m) = m {
            num += w.merton * logit(m);
            den += w.merton;
        }
        let pd = (1.0 / (1.0 + (-num / den).exp())).max(self.pd_floor);
        self.scorecard.reasons(features, reasons);
        Ok(Probability::new(pd)?)
    }
}

/// Puts any [`PdModel`] of `finkit-credit` behind [`RatingModel`].
///
/// The record holds every ratio of [`finkit_schema::FinancialRatios`] under its field name, plus
/// `years_in_business`, `employees`, `invention_patents` and `rd_staff_share`. It allocates a
/// record per call; no reason codes are reported.
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

    /// The record a model sees for these features.
    #[must_use]
    pub fn record(features: &Features) -> Record {
        Record::from_ratios(&features.ratios)
            .with_number("years_in_business", f64::from(features.years_in_business))
            .with_number("employees", f64::from(features.employees))
            .with_number("invention_patents", f64::from(features.invention_patents))
            .with_number("rd_staff_share", features.rd_staff_share)
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
        Ok(self.model.pd(&Self::record(features))?)
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
        let c = ZCalibration::default();
        let pd = |z: f64| 1.0 / (1.0 + (-(c.intercept + c.slope * z)).exp());
        assert!((pd(1.10) - 0.10).abs() < 1e-12);
        assert!((pd(2.60) - 0.01).abs() < 1e-12);
    }

    #[test]
    fn blend_is_between_components() {
        let m = DefaultRatingModel::default();
        let f = healthy();
        let (sc, z, _) = m.components(&f, None);
        let z = z.unwrap();
        let pd = m.assess(&f, None, &mut Vec::new()).unwrap().get();
        assert!(pd > sc.min(z) && pd < sc.max(z));
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
        let pd = merton_pd(&f, &md).unwrap();
        // The same example solved by scipy in the shared reference set
        // (reference/credit/corporate_models.json, `merton_hull_example.pd_risk_neutral`).
        let reference = 0.126_971_241_062_796_56;
        assert!((pd - reference).abs() <= 1e-9 * reference, "{pd}");
    }
}
