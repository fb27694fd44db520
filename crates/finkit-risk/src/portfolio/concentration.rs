//! Concentration: Herfindahl–Hirschman indices and the granularity adjustment.

use finkit_schema::Portfolio;
use statrs::distribution::{ContinuousCDF, Gamma};

use super::irb::{IrbOptions, irb_exposure};
use super::math::check_level;
use crate::RiskError;

/// Name and sector concentration of a portfolio, by EAD.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Concentration {
    /// Σ sᵢ² over obligors, sᵢ = EADᵢ / Σ EAD.
    pub hhi_name: f64,
    /// 1 / HHI by name.
    pub effective_number: f64,
    /// Σ S_k² over sectors, S_k = sector EAD share.
    pub hhi_sector: f64,
    /// The largest single-name share.
    pub largest_share: f64,
    /// (sector, EAD share), in order of first appearance.
    pub sector_shares: Vec<(String, f64)>,
}

/// HHI by name and by sector.
///
/// # Errors
///
/// [`RiskError::Empty`] for an empty portfolio; [`RiskError::InvalidParameter`] when the total
/// EAD is zero (shares are undefined).
pub fn concentration(portfolio: &Portfolio) -> Result<Concentration, RiskError> {
    if portfolio.is_empty() {
        return Err(RiskError::Empty("portfolio"));
    }
    let total = portfolio.total_ead();
    if total <= 0.0 {
        return Err(RiskError::InvalidParameter {
            name: "total ead",
            value: total.to_string(),
            reason: "must be positive",
        });
    }
    let ead = portfolio.ead();
    let shares: Vec<f64> = ead.iter().map(|e| e / total).collect();
    let hhi: f64 = shares.iter().map(|s| s * s).sum();
    let (names, codes) = portfolio.sector_codes();
    let mut sec = vec![0.0; names.len()];
    for (i, &c) in codes.iter().enumerate() {
        sec[c] += ead[i];
    }
    let sector_shares: Vec<(String, f64)> =
        names.into_iter().zip(sec.iter().map(|e| e / total)).collect();
    Ok(Concentration {
        hhi_name: hhi,
        effective_number: 1.0 / hhi,
        hhi_sector: sector_shares.iter().map(|(_, s)| s * s).sum(),
        largest_share: shares.iter().copied().fold(0.0, f64::max),
        sector_shares,
    })
}

/// Parameters of the granularity adjustment (defaults are the regulatory calibration of
/// Gordy and Lütkebohmert: ξ = 0.25, γ = 0.25, q = 99.9 %).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct GranularityParams {
    /// Precision ξ of the gamma systematic factor (mean 1, variance 1/ξ).
    pub xi: f64,
    /// LGD volatility parameter γ: VLGD² = γ·ELGD·(1 − ELGD).
    pub gamma: f64,
    /// Confidence level q.
    pub confidence: f64,
}

impl Default for GranularityParams {
    fn default() -> Self {
        GranularityParams { xi: 0.25, gamma: 0.25, confidence: 0.999 }
    }
}

/// The granularity adjustment and its inputs.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct GranularityAdjustment {
    /// δ = (q_α(X) − 1)(ξ + (1 − ξ)/q_α(X)) (4.83 for the defaults).
    pub delta: f64,
    /// K* = Σ sᵢ Kᵢ, the portfolio capital rate without MA.
    pub k_star: f64,
    /// GA as a rate of total EAD (add to K*).
    pub ga_rate: f64,
    /// GA in currency: `ga_rate · Σ EAD`.
    pub ga_amount: f64,
}

/// Gordy–Lütkebohmert granularity adjustment (simplified formula).
///
/// Reference: M. B. Gordy and E. Lütkebohmert (2013), "Granularity adjustment for regulatory
/// capital assessment", *International Journal of Central Banking* 9(3), 33–71 (the simplified
/// GA of their Section 4, CreditRisk+ single-factor basis with a gamma factor of precision ξ).
/// Kᵢ is the IRB unexpected-loss rate without maturity adjustment, Rᵢ the EL rate, at the
/// portfolio's own PDs (no floor) and Basel correlations with the SME adjustment.
///
/// # Formula
///
/// ```text
/// sᵢ = EADᵢ/Σ EAD,  Rᵢ = ELGDᵢ·PDᵢ,  Kᵢ = ELGDᵢ·(N((G(PDᵢ) + √Rᵢ G(q))/√(1−Rᵢ)) − PDᵢ)
/// VLGDᵢ² = γ ELGDᵢ (1 − ELGDᵢ),  Cᵢ = (ELGDᵢ² + VLGDᵢ²)/ELGDᵢ,  K* = Σ sᵢKᵢ
/// δ = (q_α(X) − 1)(ξ + (1 − ξ)/q_α(X)),  X ~ Gamma(shape ξ, scale 1/ξ)
/// GA = 1/(2K*) Σ sᵢ² [δ Cᵢ (Kᵢ+Rᵢ) + δ (Kᵢ+Rᵢ)² VLGDᵢ²/ELGDᵢ² − Kᵢ (Cᵢ + 2(Kᵢ+Rᵢ) VLGDᵢ²/ELGDᵢ²)]
/// ```
/// Obligors with zero LGD contribute nothing.
///
/// # Errors
///
/// [`RiskError::Empty`] for an empty portfolio; [`RiskError::InvalidParameter`] for ξ, γ not
/// positive, q ∉ (0, 1), zero total EAD or K* = 0.
pub fn granularity_adjustment(
    portfolio: &Portfolio,
    params: &GranularityParams,
) -> Result<GranularityAdjustment, RiskError> {
    check_level("confidence", params.confidence)?;
    for (name, v) in [("xi", params.xi), ("gamma", params.gamma)] {
        if !(v.is_finite() && v > 0.0) {
            return Err(RiskError::InvalidParameter {
                name,
                value: v.to_string(),
                reason: "must be positive and finite",
            });
        }
    }
    if portfolio.is_empty() {
        return Err(RiskError::Empty("portfolio"));
    }
    let total = portfolio.total_ead();
    if total <= 0.0 {
        return Err(RiskError::InvalidParameter {
            name: "total ead",
            value: total.to_string(),
            reason: "must be positive",
        });
    }
    let x = Gamma::new(params.xi, params.xi).map_err(|_| RiskError::InvalidParameter {
        name: "xi",
        value: params.xi.to_string(),
        reason: "invalid gamma shape",
    })?;
    let qa = x.inverse_cdf(params.confidence);
    let delta = (qa - 1.0) * (params.xi + (1.0 - params.xi) / qa);
    let opts = IrbOptions::params().confidence(params.confidence).build()?;
    let (pd, lgd, ead, sales) =
        (portfolio.pd(), portfolio.lgd(), portfolio.ead(), portfolio.annual_sales());
    let mut k_star = 0.0;
    let mut terms = Vec::with_capacity(portfolio.len());
    for i in 0..portfolio.len() {
        let s = ead[i] / total;
        let e = lgd[i];
        let x = irb_exposure(pd[i], e, 2.5, sales[i], &opts);
        let k = e * (x.conditional_pd - x.pd);
        let r = e * x.pd;
        k_star += s * k;
        if e > 0.0 {
            let v2 = params.gamma * e * (1.0 - e);
            let c = (e * e + v2) / e;
            let ratio = v2 / (e * e);
            terms.push(
                s * s
                    * (delta * c * (k + r) + delta * (k + r).powi(2) * ratio
                        - k * (c + 2.0 * (k + r) * ratio)),
            );
        }
    }
    if k_star <= 0.0 {
        return Err(RiskError::InvalidParameter {
            name: "k_star",
            value: k_star.to_string(),
            reason: "portfolio capital must be positive",
        });
    }
    let ga = terms.iter().sum::<f64>() / (2.0 * k_star);
    Ok(GranularityAdjustment { delta, k_star, ga_rate: ga, ga_amount: ga * total })
}

#[cfg(test)]
mod tests {
    use super::*;
    use finkit_schema::PortfolioColumns;

    fn homogeneous(n: usize) -> Portfolio {
        Portfolio::new(PortfolioColumns {
            ids: (0..n).map(|i| i.to_string()).collect(),
            sectors: vec!["A".into(); n],
            grades: vec![None; n],
            pd: vec![0.01; n],
            lgd: vec![0.45; n],
            ead: vec![1.0; n],
            maturity: vec![2.5; n],
            annual_sales: vec![None; n],
        })
        .unwrap()
    }

    #[test]
    fn delta_is_the_regulatory_4_83_and_ga_scales_as_one_over_n() {
        let g100 =
            granularity_adjustment(&homogeneous(100), &GranularityParams::default()).unwrap();
        assert!((g100.delta - 4.83).abs() < 0.005, "{}", g100.delta);
        let g1000 =
            granularity_adjustment(&homogeneous(1000), &GranularityParams::default()).unwrap();
        assert!((g100.ga_rate / g1000.ga_rate - 10.0).abs() < 1e-9);
        assert!(g100.ga_rate > 0.0);
        let c = concentration(&homogeneous(4)).unwrap();
        assert!((c.hhi_name - 0.25).abs() < 1e-15 && (c.hhi_sector - 1.0).abs() < 1e-15);
    }
}
