//! The loss-model trait: a portfolio in, a loss distribution out.

use finkit_schema::Portfolio;

use super::distribution::LossDistribution;
use super::irb::basel_correlation;
use super::math::check_correlation;
use crate::RiskError;

/// A credit portfolio loss model: maps a [`Portfolio`] to its [`LossDistribution`].
///
/// Object-safe, so models can be mixed in a `Vec<Box<dyn LossModel>>`:
///
/// ```
/// use finkit_risk::portfolio::{CreditRiskPlus, ExactOneFactor, LossModel};
/// let models: Vec<Box<dyn LossModel>> = vec![
///     Box::new(ExactOneFactor::default()),
///     Box::new(CreditRiskPlus::new(1.0)?),
/// ];
/// assert_eq!(models.len(), 2);
/// # Ok::<(), finkit_risk::RiskError>(())
/// ```
pub trait LossModel: std::fmt::Debug + Send + Sync {
    /// A short name of the model (for reports).
    fn name(&self) -> &str;

    /// The loss distribution of the portfolio under this model.
    ///
    /// # Errors
    ///
    /// Model specific: an empty portfolio, parameters that do not fit the portfolio, …
    fn loss_distribution(&self, portfolio: &Portfolio) -> Result<LossDistribution, RiskError>;
}

/// How the asset correlation ρᵢ of each obligor is chosen in the copula models.
///
/// ρ is the **asset** correlation (the factor loading is √ρ). The default is the Basel
/// corporate correlation with the SME adjustment (sales in EUR m), as in the reference.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum AssetCorrelation {
    /// Basel corporate R(PD), with the SME adjustment when `sme_adjustment` is true (default).
    Basel {
        /// Apply the firm-size adjustment for sales below EUR 50 m.
        sme_adjustment: bool,
    },
    /// The same ρ for every obligor.
    Constant(f64),
    /// One ρ per obligor, in portfolio order.
    PerObligor(Vec<f64>),
}

impl Default for AssetCorrelation {
    fn default() -> Self {
        AssetCorrelation::Basel { sme_adjustment: true }
    }
}

impl AssetCorrelation {
    /// ρᵢ for every obligor of the portfolio.
    ///
    /// # Errors
    ///
    /// [`RiskError::InvalidParameter`] for ρ outside [0, 1), [`RiskError::LengthMismatch`] when a
    /// per-obligor vector has the wrong length.
    pub fn resolve(&self, portfolio: &Portfolio) -> Result<Vec<f64>, RiskError> {
        let pd = portfolio.pd();
        match self {
            AssetCorrelation::Basel { sme_adjustment } => Ok((0..portfolio.len())
                .map(|i| {
                    let s = if *sme_adjustment { portfolio.annual_sales()[i] } else { None };
                    basel_correlation(pd[i], s)
                })
                .collect()),
            AssetCorrelation::Constant(r) => {
                check_correlation("asset correlation", *r)?;
                Ok(vec![*r; portfolio.len()])
            }
            AssetCorrelation::PerObligor(v) => {
                if v.len() != portfolio.len() {
                    return Err(RiskError::LengthMismatch {
                        what: "asset correlations",
                        expected: portfolio.len(),
                        found: v.len(),
                    });
                }
                for &r in v {
                    check_correlation("asset correlation", r)?;
                }
                Ok(v.clone())
            }
        }
    }
}
