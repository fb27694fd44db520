//! The blended rating model: a scorecard with Altman's Z″ and Merton, both `finkit_credit`'s.

use finkit_credit::corporate::{
    AltmanRatios, AltmanScore, AltmanVariant, MertonFit, MertonInputs, MertonOptions, solve_merton,
};
use finkit_credit::master_scale::ScoreCalibration;
use finkit_schema::Probability;

use super::{ExpertScorecard, MarketData, RatingModel, ReasonCode};
use crate::LendingError;
use crate::error::check_range;
use crate::features::Features;

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
        market.equity_value(),
        market.equity_volatility(),
        fin.short_term_debt,
        fin.long_term_debt,
        market.risk_free_rate().get(),
        market.horizon().get(),
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
/// `finkit_credit` scorecard in its place with [`BlendModel::new`]`(`[`ScorecardModel`](crate::model::ScorecardModel)`)`.
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
/// allocation-free (unusable market data costs one error message). With [`ScorecardModel`](crate::model::ScorecardModel) each
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

    /// The components beside a scorecard PD.
    fn components_with(
        &self,
        scorecard: f64,
        features: &Features,
        market: Option<&MarketData>,
    ) -> Components {
        let altman = altman_z_double_prime(features);
        // The calibration was validated when set and Z″ is finite, so `pd` cannot fail here;
        // a failure would only drop the component.
        let altman_pd = altman.and_then(|z| self.altman.pd(z.z).ok());
        let merton = market.and_then(|m| merton_fit(features, m, &self.merton));
        Components { scorecard, altman, altman_pd, merton }
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
        let scorecard = self.scorecard.pd(features, market)?.get();
        Ok(self.components_with(scorecard, features, market))
    }

    /// The blended, floored PD of the components.
    fn blend(&self, c: &Components) -> Result<Probability, LendingError> {
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
        Ok(Probability::new((1.0 / (1.0 + (-num / den).exp())).max(self.pd_floor))?)
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
        let scorecard = self.scorecard.assess(features, market, reasons)?.get();
        self.blend(&self.components_with(scorecard, features, market))
    }

    fn pd(
        &self,
        features: &Features,
        market: Option<&MarketData>,
    ) -> Result<Probability, LendingError> {
        self.blend(&self.components(features, market)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_features::healthy;

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
        let md = MarketData::new(
            3.0,
            0.8,
            finkit_schema::Rate::new(0.05).unwrap(),
            finkit_schema::Maturity::new(1.0).unwrap(),
        )
        .unwrap();
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
