//! The built-in expert scorecard: hand-set points on financial ratios and age.

use std::borrow::Cow;

use finkit_schema::Probability;

use super::{MarketData, RatingModel, ReasonCode};
use crate::LendingError;
use crate::error::check_range;
use crate::features::Features;

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
/// scorecard behind [`ScorecardModel`](crate::model::ScorecardModel).
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
        self.pd(features, None)
    }

    fn pd(
        &self,
        features: &Features,
        _market: Option<&MarketData>,
    ) -> Result<Probability, LendingError> {
        Ok(Probability::new(self.pd_of_score(self.score(features)))?)
    }
}

/// The model id of [`ExpertScorecard`] (its points are fixed in code, so one version).
pub const EXPERT_SCORECARD_ID: &str = "finkit-expert-scorecard/1.0";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_features::healthy;

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
}
