//! The Vasicek asymptotic single-risk-factor (ASRF) loss-rate distribution.

use finkit_schema::{Portfolio, Probability};

use super::irb::basel_correlation;
use super::math::{check_correlation, check_level, norm_cdf, norm_inv, norm_pdf};
use crate::RiskError;

/// The limiting loss-rate distribution of an infinitely granular homogeneous portfolio
/// (Vasicek 2002): the fraction of defaults when each obligor defaults if
/// `√ρ Z + √(1−ρ) ε < G(PD)`.
///
/// `rho` is the **asset correlation** ρ (Basel's R), not its square root (Open Risk's
/// `portfolioAnalytics` calls √ρ `rho`).
///
/// # Formula
///
/// ```text
/// F(x)      = N((√(1−ρ) G(x) − G(PD)) / √ρ)
/// f(x)      = √((1−ρ)/ρ) · exp(½ G(x)² − ½ ((√(1−ρ) G(x) − G(PD)) / √ρ)²)
/// F⁻¹(q)    = N((G(PD) + √ρ G(q)) / √(1−ρ))
/// ```
///
/// ```
/// use finkit_risk::portfolio::VasicekDistribution;
/// let v = VasicekDistribution::new(0.01, 0.12)?;
/// let x = v.quantile(0.999)?;
/// assert!((v.cdf(x)? - 0.999).abs() < 1e-12);
/// assert!(v.cdf(f64::NAN).is_err());
/// # Ok::<(), finkit_risk::RiskError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct VasicekDistribution {
    pd: f64,
    rho: f64,
}

impl VasicekDistribution {
    /// A validated distribution.
    ///
    /// # Errors
    ///
    /// [`RiskError::InvalidParameter`] when PD is not in (0, 1) or ρ is not in (0, 1).
    pub fn new(pd: f64, rho: f64) -> Result<Self, RiskError> {
        check_level("pd", pd)?;
        check_correlation("rho", rho)?;
        if rho == 0.0 {
            return Err(RiskError::InvalidParameter {
                name: "rho",
                value: rho.to_string(),
                reason: "must be positive (the distribution degenerates to a point at pd)",
            });
        }
        Ok(VasicekDistribution { pd, rho })
    }
    /// The PD (mean loss rate).
    #[must_use]
    pub fn pd(&self) -> f64 {
        self.pd
    }
    /// The asset correlation ρ.
    #[must_use]
    pub fn rho(&self) -> f64 {
        self.rho
    }
    /// P(loss rate ≤ x); 0 below 0 and 1 at or above 1 (also for infinite `x`).
    ///
    /// # Errors
    ///
    /// [`RiskError::NonFinite`] when `x` is NaN.
    pub fn cdf(&self, x: f64) -> Result<f64, RiskError> {
        check_point(x)?;
        Ok(if x <= 0.0 {
            0.0
        } else if x >= 1.0 {
            1.0
        } else {
            norm_cdf(((1.0 - self.rho).sqrt() * norm_inv(x) - norm_inv(self.pd)) / self.rho.sqrt())
        })
    }
    /// Density of the loss rate (0 outside (0, 1)).
    ///
    /// # Errors
    ///
    /// [`RiskError::NonFinite`] when `x` is NaN.
    pub fn pdf(&self, x: f64) -> Result<f64, RiskError> {
        check_point(x)?;
        if x <= 0.0 || x >= 1.0 {
            return Ok(0.0);
        }
        let g = norm_inv(x);
        let y = ((1.0 - self.rho).sqrt() * g - norm_inv(self.pd)) / self.rho.sqrt();
        Ok(((1.0 - self.rho) / self.rho).sqrt() * norm_pdf(y) / norm_pdf(g))
    }
    /// The q-quantile of the loss rate.
    ///
    /// # Errors
    ///
    /// [`RiskError::InvalidParameter`] when q is not in (0, 1).
    pub fn quantile(&self, q: f64) -> Result<f64, RiskError> {
        check_level("q", q)?;
        Ok(cond_pd(self.pd, self.rho, norm_inv(q)))
    }
    /// Mean loss rate (= PD).
    #[must_use]
    pub fn mean(&self) -> f64 {
        self.pd
    }
}

/// A loss rate at which to evaluate the distribution: anything but NaN (±∞ are below 0 and above 1).
fn check_point(x: f64) -> Result<(), RiskError> {
    if x.is_nan() {
        return Err(RiskError::NonFinite { what: "loss rate", index: 0, value: x });
    }
    Ok(())
}

/// PD conditional on the systematic factor taking the *adverse* value `g` (`g = G(q)`):
/// `N((G(PD) + √ρ g) / √(1−ρ))`. With the factor `Z` of the copula (default when
/// `√ρ Z + √(1−ρ) ε < G(PD)`), this is the PD given `Z = −g`.
///
/// ```
/// use finkit_risk::portfolio::conditional_pd;
/// use finkit_risk::schema::Probability;
/// let pd = Probability::new(0.01)?;
/// let stressed = conditional_pd(pd, 0.12, 3.090_232_306_167_813)?;
/// assert!(stressed.get() > pd.get());
/// assert!(conditional_pd(pd, 1.5, 3.0).is_err());
/// # Ok::<(), finkit_risk::RiskError>(())
/// ```
///
/// # Errors
///
/// [`RiskError::InvalidParameter`] when ρ is not in `[0, 1)`, [`RiskError::NonFinite`] when `g`
/// is not finite.
pub fn conditional_pd(pd: Probability, rho: f64, g: f64) -> Result<Probability, RiskError> {
    check_correlation("rho", rho)?;
    if !g.is_finite() {
        return Err(RiskError::NonFinite { what: "factor value", index: 0, value: g });
    }
    Ok(Probability::new(cond_pd(pd.get(), rho, g))?)
}

/// [`conditional_pd`] on values already known to be valid (PD in `[0, 1]`, ρ in `[0, 1)`, `g`
/// finite), as they are inside this crate.
pub(crate) fn cond_pd(pd: f64, rho: f64, g: f64) -> f64 {
    if pd <= 0.0 {
        return 0.0;
    }
    if pd >= 1.0 {
        return 1.0;
    }
    norm_cdf((norm_inv(pd) + rho.sqrt() * g) / (1.0 - rho).sqrt())
}

/// Portfolio loss quantile in the ASRF model: `Σ LGDᵢ·EADᵢ·N((G(PDᵢ) + √Rᵢ G(q)) / √(1−Rᵢ))`
/// with Rᵢ the Basel corporate correlation (SME-adjusted when `sme_adjustment`), sales in EUR m.
///
/// # Errors
///
/// [`RiskError::Empty`] for an empty portfolio, [`RiskError::InvalidParameter`] for q ∉ (0, 1).
pub fn asrf_loss_quantile(
    portfolio: &Portfolio,
    q: f64,
    sme_adjustment: bool,
) -> Result<f64, RiskError> {
    check_level("q", q)?;
    if portfolio.is_empty() {
        return Err(RiskError::Empty("portfolio"));
    }
    let g = norm_inv(q);
    let (pd, lgd, ead) = (portfolio.pd(), portfolio.lgd(), portfolio.ead());
    let sales = portfolio.annual_sales();
    Ok((0..portfolio.len())
        .map(|i| {
            let r = basel_correlation(pd[i], if sme_adjustment { sales[i] } else { None });
            lgd[i] * ead[i] * cond_pd(pd[i], r, g)
        })
        .sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdf_inverts_quantile_and_pdf_integrates() {
        let v = VasicekDistribution::new(0.02, 0.15).unwrap();
        for q in [0.01, 0.5, 0.99, 0.999] {
            assert!((v.cdf(v.quantile(q).unwrap()).unwrap() - q).abs() < 1e-12);
        }
        // midpoint rule on a fine grid in the loss rate
        let n = 200_000;
        let s: f64 = (0..n).map(|k| v.pdf((k as f64 + 0.5) / n as f64).unwrap() / n as f64).sum();
        assert!((s - 1.0).abs() < 1e-4, "{s}");
        assert!(VasicekDistribution::new(0.0, 0.1).is_err());
        assert!(VasicekDistribution::new(0.1, 1.0).is_err());
        assert!(v.quantile(1.0).is_err());
    }
}
