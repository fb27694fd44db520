//! Risk-adjusted return on capital (RAROC) and risk-based loan pricing.
//!
//! Every quantity is a rate per unit of exposure per year (0.01 = 1 % of EAD). The capital per
//! unit of exposure `K` is an input, normally the Basel IRB capital requirement of the loan
//! (computed with the crate's IRB functions by the caller), so any capital model can be used.
//!
//! # Formula
//!
//! ```text
//! EL            = PD · LGD
//! spread        = rate − funding cost                       (what the loan earns over funding)
//! RAROC(spread) = (spread − EL − opex + r_c · K) / K        (r_c: return earned on the capital)
//! hurdle spread = EL + opex + (hurdle − r_c) · K            (RAROC = hurdle, the break-even)
//! rate          = funding + opex + EL + hurdle · K − r_c · K + margin
//! ```
//!
//! With `r_c = 0` the capital charge is the plain `K × hurdle`. The reference examples use
//! `r_c` = 3 %, hurdle 12 %, opex 0.4 %.
//!
//! ```
//! use finkit_risk::raroc::{LoanRisk, Pricer, PricingParams};
//! let pricer = Pricer::new(PricingParams {
//!     funding_cost: 0.025,
//!     operating_cost: 0.004,
//!     hurdle_rate: 0.12,
//!     capital_return_rate: 0.03,
//!     margin: 0.0,
//! })?;
//! use finkit_risk::schema::{Lgd, Probability};
//! let (pd, lgd) = (Probability::new(0.01)?, Lgd::new(0.45)?);
//! let loan = LoanRisk::new(pd, lgd, 0.07385344111364114)?; // PD 1 %, LGD 45 %, IRB K
//! let spread = pricer.break_even_spread(&loan);
//! assert!((spread - 0.015146809700227703).abs() < 1e-15);
//! assert!((pricer.raroc_of_spread(&loan, spread)? - 0.12).abs() < 1e-14);
//! assert!((pricer.rate_components(&loan).total - (0.025 + spread)).abs() < 1e-15);
//! # Ok::<(), finkit_risk::RiskError>(())
//! ```

use finkit_schema::{Lgd, Maturity, Probability};

use crate::RiskError;

/// The risk of one loan as pricing sees it: PD, LGD and capital per unit of exposure.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "LoanRiskData"))]
pub struct LoanRisk {
    pd: f64,
    lgd: f64,
    capital: f64,
}

/// Serialised form of [`LoanRisk`]; deserialisation re-validates.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct LoanRiskData {
    pd: f64,
    lgd: f64,
    capital: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<LoanRiskData> for LoanRisk {
    type Error = RiskError;
    fn try_from(d: LoanRiskData) -> Result<Self, RiskError> {
        LoanRisk::new(Probability::new(d.pd)?, Lgd::new(d.lgd)?, d.capital)
    }
}

impl LoanRisk {
    /// A loan's risk from its PD, LGD and the capital `K` per unit of exposure in (0, 1].
    ///
    /// # Errors
    ///
    /// [`RiskError::InvalidParameter`] for `K` that is not finite or not in (0, 1] (RAROC
    /// divides by it).
    pub fn new(pd: Probability, lgd: Lgd, capital: f64) -> Result<LoanRisk, RiskError> {
        let (pd, lgd) = (pd.get(), lgd.get());
        if !(capital.is_finite() && capital > 0.0 && capital <= 1.0) {
            return Err(RiskError::InvalidParameter {
                name: "capital",
                value: capital.to_string(),
                reason: "capital per unit of exposure must be in (0, 1]",
            });
        }
        Ok(LoanRisk { pd, lgd, capital })
    }

    /// PD, LGD and `K` from the Basel IRB corporate formula
    /// ([`crate::portfolio::irb_corporate`]): `K` per unit of EAD, without the 1.06 factor (which
    /// scales risk weights, not `K`). The PD kept for the expected loss is the PD after the
    /// options' floor, so EL and capital use the same PD.
    ///
    /// # Errors
    ///
    /// As [`crate::portfolio::irb_corporate`]; [`RiskError::InvalidParameter`] when `K` is 0
    /// (PD 0 or 1), for which RAROC is undefined.
    pub fn from_irb(
        pd: Probability,
        lgd: Lgd,
        maturity: Maturity,
        sales_eur_m: Option<f64>,
        options: &crate::portfolio::IrbOptions,
    ) -> Result<LoanRisk, RiskError> {
        let irb = crate::portfolio::irb_corporate(pd, lgd, maturity, sales_eur_m, options)?;
        LoanRisk::new(Probability::new(irb.pd)?, lgd, irb.k)
    }

    /// Probability of default.
    #[must_use]
    pub fn pd(&self) -> f64 {
        self.pd
    }

    /// Loss given default.
    #[must_use]
    pub fn lgd(&self) -> f64 {
        self.lgd
    }

    /// Capital per unit of exposure (`K`).
    #[must_use]
    pub fn capital(&self) -> f64 {
        self.capital
    }

    /// Expected loss rate `PD · LGD`.
    #[must_use]
    pub fn expected_loss(&self) -> f64 {
        self.pd * self.lgd
    }
}

/// The bank's pricing parameters (annual rates as decimals); validated by [`Pricer::new`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PricingParams {
    /// Funding cost (transfer price of the money lent). Finite, above −1.
    pub funding_cost: f64,
    /// Operating cost. Finite, ≥ 0.
    pub operating_cost: f64,
    /// Hurdle rate, the target RAROC. Finite.
    pub hurdle_rate: f64,
    /// Return earned on the allocated capital (often the risk-free rate; 0 to charge the full
    /// `K × hurdle`). Finite, above −1.
    pub capital_return_rate: f64,
    /// Commercial margin added on top of the break-even rate. Finite (may be negative).
    pub margin: f64,
}

/// The components of a risk-based rate; `total` is their sum.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct RateComponents {
    /// Funding cost.
    pub funding_cost: f64,
    /// Operating cost.
    pub operating_cost: f64,
    /// Expected loss `PD · LGD`.
    pub expected_loss: f64,
    /// Capital charge `K × hurdle`.
    pub capital_charge: f64,
    /// Return on the allocated capital `−K × r_c` (a credit, ≤ 0 for r_c ≥ 0).
    pub capital_benefit: f64,
    /// Commercial margin.
    pub margin: f64,
    /// The risk-based rate.
    pub total: f64,
}

/// Risk-based pricing with validated parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "PricerData"))]
pub struct Pricer {
    params: PricingParams,
}

/// Serialised form of [`Pricer`]; deserialisation re-validates.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct PricerData {
    params: PricingParams,
}

#[cfg(feature = "serde")]
impl TryFrom<PricerData> for Pricer {
    type Error = RiskError;
    fn try_from(d: PricerData) -> Result<Self, RiskError> {
        Pricer::new(d.params)
    }
}

impl Pricer {
    /// Validates the parameters.
    ///
    /// # Errors
    ///
    /// [`RiskError::InvalidParameter`] naming the first parameter that is not finite or is out
    /// of range.
    pub fn new(params: PricingParams) -> Result<Pricer, RiskError> {
        let checks: [(&'static str, f64, bool, &'static str); 5] = [
            (
                "funding_cost",
                params.funding_cost,
                params.funding_cost > -1.0,
                "must be finite and above -1",
            ),
            (
                "operating_cost",
                params.operating_cost,
                params.operating_cost >= 0.0,
                "must be finite and >= 0",
            ),
            ("hurdle_rate", params.hurdle_rate, true, "must be finite"),
            (
                "capital_return_rate",
                params.capital_return_rate,
                params.capital_return_rate > -1.0,
                "must be finite and above -1",
            ),
            ("margin", params.margin, true, "must be finite"),
        ];
        for (name, value, ok, reason) in checks {
            if !value.is_finite() || !ok {
                return Err(RiskError::InvalidParameter { name, value: value.to_string(), reason });
            }
        }
        Ok(Pricer { params })
    }

    /// The validated parameters.
    #[must_use]
    pub fn params(&self) -> &PricingParams {
        &self.params
    }

    /// The spread over funding at which the RAROC equals `target`:
    /// `EL + opex + (target − r_c) · K`.
    ///
    /// # Errors
    ///
    /// [`RiskError::InvalidParameter`] for a non-finite target.
    pub fn spread_for_raroc(&self, loan: &LoanRisk, target: f64) -> Result<f64, RiskError> {
        if !target.is_finite() {
            return Err(RiskError::InvalidParameter {
                name: "target",
                value: target.to_string(),
                reason: "must be finite",
            });
        }
        Ok(self.spread_at(loan, target))
    }

    fn spread_at(&self, loan: &LoanRisk, target: f64) -> f64 {
        loan.expected_loss()
            + self.params.operating_cost
            + (target - self.params.capital_return_rate) * loan.capital
    }

    /// The break-even (hurdle) spread over funding: the spread at which RAROC equals the hurdle
    /// rate, `EL + opex + (hurdle − r_c) · K` (the reference's `required_spread`). Excludes the
    /// margin.
    #[must_use]
    pub fn break_even_spread(&self, loan: &LoanRisk) -> f64 {
        self.spread_at(loan, self.params.hurdle_rate)
    }

    /// RAROC of a loan earning `spread` over funding: `(spread − EL − opex + r_c · K) / K`.
    ///
    /// # Errors
    ///
    /// [`RiskError::InvalidParameter`] for a non-finite spread.
    pub fn raroc_of_spread(&self, loan: &LoanRisk, spread: f64) -> Result<f64, RiskError> {
        if !spread.is_finite() {
            return Err(RiskError::InvalidParameter {
                name: "spread",
                value: spread.to_string(),
                reason: "must be finite",
            });
        }
        let p = &self.params;
        Ok((spread - loan.expected_loss() - p.operating_cost
            + p.capital_return_rate * loan.capital)
            / loan.capital)
    }

    /// RAROC of a loan at the all-in customer `rate` (spread = rate − funding cost).
    ///
    /// # Errors
    ///
    /// [`RiskError::InvalidParameter`] for a rate that is not finite or not above −1.
    pub fn raroc_of_rate(&self, loan: &LoanRisk, rate: f64) -> Result<f64, RiskError> {
        if !rate.is_finite() || rate <= -1.0 {
            return Err(RiskError::InvalidParameter {
                name: "rate",
                value: rate.to_string(),
                reason: "must be finite and above -1",
            });
        }
        self.raroc_of_spread(loan, rate - self.params.funding_cost)
    }

    /// The risk-based rate and its components:
    /// `funding + opex + EL + K · hurdle − K · r_c + margin`.
    #[must_use]
    pub fn rate_components(&self, loan: &LoanRisk) -> RateComponents {
        let p = &self.params;
        let expected_loss = loan.expected_loss();
        let capital_charge = loan.capital * p.hurdle_rate;
        let capital_benefit = -loan.capital * p.capital_return_rate;
        // Summed as funding + break-even spread + margin so that `total − funding` is the
        // break-even spread plus margin to the last bit.
        let total = p.funding_cost + self.break_even_spread(loan) + p.margin;
        RateComponents {
            funding_cost: p.funding_cost,
            operating_cost: p.operating_cost,
            expected_loss,
            capital_charge,
            capital_benefit,
            margin: p.margin,
            total,
        }
    }

    /// The risk-based rate, [`RateComponents::total`].
    #[must_use]
    pub fn risk_based_rate(&self, loan: &LoanRisk) -> f64 {
        self.rate_components(loan).total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn risk(pd: f64, lgd: f64, k: f64) -> Result<LoanRisk, RiskError> {
        LoanRisk::new(Probability::new(pd)?, Lgd::new(lgd)?, k)
    }

    fn pricer() -> Pricer {
        Pricer::new(PricingParams {
            funding_cost: 0.02,
            operating_cost: 0.004,
            hurdle_rate: 0.12,
            capital_return_rate: 0.03,
            margin: 0.001,
        })
        .unwrap()
    }

    #[test]
    fn components_add_up_and_raroc_inverts() {
        let p = pricer();
        let loan = risk(0.02, 0.4, 0.08).unwrap();
        let c = p.rate_components(&loan);
        let sum = c.funding_cost
            + c.operating_cost
            + c.expected_loss
            + c.capital_charge
            + c.capital_benefit
            + c.margin;
        assert!((c.total - sum).abs() < 1e-15);
        let r = p.raroc_of_rate(&loan, c.total).unwrap();
        assert!((r - (0.12 + 0.001 / 0.08)).abs() < 1e-13);
        assert!(
            (p.raroc_of_spread(&loan, p.spread_for_raroc(&loan, 0.2).unwrap()).unwrap() - 0.2)
                .abs()
                < 1e-14
        );
    }

    #[cfg(feature = "serde")]
    #[test]
    fn deserialisation_revalidates() {
        let loan = risk(0.02, 0.4, 0.08).unwrap();
        let text = serde_json::to_string(&loan).unwrap();
        assert_eq!(serde_json::from_str::<LoanRisk>(&text).unwrap(), loan);
        assert!(
            serde_json::from_str::<LoanRisk>(r#"{"pd":0.02,"lgd":0.4,"capital":0.0}"#).is_err()
        );
        let p = serde_json::to_string(&pricer()).unwrap();
        assert_eq!(serde_json::from_str::<Pricer>(&p).unwrap(), pricer());
        assert!(serde_json::from_str::<Pricer>(&p.replace("0.004", "-0.004")).is_err());
    }

    #[test]
    fn rejects_bad_input() {
        assert!(risk(1.2, 0.4, 0.1).is_err());
        assert!(risk(0.1, f64::NAN, 0.1).is_err());
        assert!(matches!(
            risk(0.1, 0.4, 0.0),
            Err(RiskError::InvalidParameter { name: "capital", .. })
        ));
        let bad = PricingParams {
            funding_cost: 0.02,
            operating_cost: -0.001,
            hurdle_rate: 0.12,
            capital_return_rate: 0.03,
            margin: 0.0,
        };
        assert!(matches!(
            Pricer::new(bad),
            Err(RiskError::InvalidParameter { name: "operating_cost", .. })
        ));
        let loan = risk(0.02, 0.4, 0.08).unwrap();
        assert!(pricer().raroc_of_rate(&loan, f64::INFINITY).is_err());
        assert!(pricer().spread_for_raroc(&loan, f64::NAN).is_err());
    }
}
