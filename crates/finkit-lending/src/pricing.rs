//! Risk-based pricing: the rate that earns the hurdle RAROC on Basel IRB capital, the RAROC of a
//! proposed rate, and the break-even spread.
//!
//! This module only composes `finkit-risk`: the capital `K` comes from
//! [`finkit_risk::portfolio::irb_corporate`] and the rate arithmetic from
//! [`finkit_risk::raroc::Pricer`], so lending and the risk desk price with one formula.
//!
//! # Formula
//!
//! ```text
//! K      = IRB corporate capital per unit EAD (PD, LGD, M, sales)      (CRE31)
//! EL     = PD · LGD
//! spread = EL + opex + (hurdle − r_c) · K                            (break-even, RAROC = hurdle)
//! rate   = funding + spread + margin
//! RAROC  = (rate − funding − EL − opex + r_c · K) / K
//! ```
//! `r_c` is the return earned on the allocated capital; with `r_c = 0` the capital charge is the
//! plain `K × hurdle`. The reference (`ifrs9_pricing_examples.json`) uses `r_c` = 3 %.

use finkit_risk::portfolio::{IrbOptions, PdFloor};
use finkit_risk::raroc::{LoanRisk, Pricer, PricingParams, RateComponents};
use finkit_schema::{Lgd, Maturity, Probability};

use crate::LendingError;

/// Validated pricing configuration: the bank's rates and the IRB options.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PricingConfig {
    /// Funding cost, operating cost, hurdle rate, return on capital and margin.
    pub rates: PricingParams,
    /// IRB options; the default floors PD at 0.05 % (Basel III CRE32.13) and applies the SME
    /// correlation adjustment.
    pub irb: IrbOptions,
}

impl Default for PricingConfig {
    /// Funding 3 %, operating cost 0.4 %, hurdle 12 %, return on capital 3 % (the reference's
    /// values), margin 0.25 %; IRB with the Basel III 0.05 % PD floor, no 1.06 factor, 99.9 %,
    /// SME adjustment.
    fn default() -> Self {
        PricingConfig {
            rates: PricingParams {
                funding_cost: 0.03,
                operating_cost: 0.004,
                hurdle_rate: 0.12,
                capital_return_rate: 0.03,
                margin: 0.0025,
            },
            irb: IrbOptions::params().pd_floor(PdFloor::Basel3).build().unwrap_or_default(),
        }
    }
}

/// A risk-based price quote.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Quote {
    /// PD used (after the IRB floor).
    pub pd: f64,
    /// LGD used.
    pub lgd: f64,
    /// Effective maturity in years (the tenor, capped at 5 as in CRE32.47).
    pub maturity: f64,
    /// IRB capital per unit EAD.
    pub capital: f64,
    /// The rate and its components.
    pub components: RateComponents,
    /// The break-even spread over funding (RAROC = hurdle, no margin).
    pub break_even_spread: f64,
    /// RAROC at the quoted rate.
    pub raroc: f64,
}

impl Quote {
    /// The quoted annual rate.
    #[must_use]
    pub fn rate(&self) -> f64 {
        self.components.total
    }
}

/// Prices loans with validated parameters.
///
/// ```
/// use finkit_lending::pricing::{LoanPricer, PricingConfig};
/// let pricer = LoanPricer::new(PricingConfig::default())?;
/// use finkit_lending::schema::{Lgd, Maturity, Probability};
/// let (pd, lgd, tenor) = (Probability::new(0.01)?, Lgd::new(0.45)?, Maturity::new(2.5)?);
/// let q = pricer.quote(pd, lgd, tenor, None)?;
/// assert!(q.rate() > 0.03 + 0.0045);
/// assert!((q.raroc - (0.12 + 0.0025 / q.capital)).abs() < 1e-12);
/// # Ok::<(), finkit_lending::LendingError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoanPricer {
    pricer: Pricer,
    irb: IrbOptions,
}

impl LoanPricer {
    /// Validates the configuration.
    ///
    /// # Errors
    ///
    /// [`LendingError::Risk`] naming the first bad rate.
    pub fn new(config: PricingConfig) -> Result<LoanPricer, LendingError> {
        Ok(LoanPricer { pricer: Pricer::new(config.rates)?, irb: config.irb })
    }

    /// The rates in force.
    #[must_use]
    pub fn rates(&self) -> &PricingParams {
        self.pricer.params()
    }

    /// The IRB options in force.
    #[must_use]
    pub fn irb_options(&self) -> &IrbOptions {
        &self.irb
    }

    /// The loan's risk for pricing: PD (floored), LGD and IRB `K`.
    ///
    /// # Errors
    ///
    /// [`LendingError::Risk`] for negative or non-finite sales, or a loan with no capital
    /// (PD = 1).
    pub fn loan_risk(
        &self,
        pd: Probability,
        lgd: Lgd,
        maturity: Maturity,
        sales_eur_m: Option<f64>,
    ) -> Result<LoanRisk, LendingError> {
        Ok(LoanRisk::from_irb(pd, lgd, maturity, sales_eur_m, &self.irb)?)
    }

    /// The risk-based rate of a loan, with its components, break-even spread and RAROC.
    /// `maturity` is the tenor in years; the IRB effective maturity is capped at 5 years.
    ///
    /// # Errors
    ///
    /// As [`LoanPricer::loan_risk`].
    pub fn quote(
        &self,
        pd: Probability,
        lgd: Lgd,
        maturity: Maturity,
        sales_eur_m: Option<f64>,
    ) -> Result<Quote, LendingError> {
        let m = Maturity::new(maturity.get().min(5.0))?;
        let risk = self.loan_risk(pd, lgd, m, sales_eur_m)?;
        Ok(self.quote_risk(&risk, m.get()))
    }

    /// Quote for a loan whose risk is already known.
    #[must_use]
    pub fn quote_risk(&self, risk: &LoanRisk, maturity: f64) -> Quote {
        let components = self.pricer.rate_components(risk);
        let break_even_spread = self.pricer.break_even_spread(risk);
        let p = self.pricer.params();
        // Computed directly (not via raroc_of_rate) because total is finite by construction.
        let raroc = (components.total - p.funding_cost - risk.expected_loss() - p.operating_cost
            + p.capital_return_rate * risk.capital())
            / risk.capital();
        Quote {
            pd: risk.pd(),
            lgd: risk.lgd(),
            maturity,
            capital: risk.capital(),
            components,
            break_even_spread,
            raroc,
        }
    }

    /// The break-even spread over funding: the spread at which RAROC equals the hurdle.
    #[must_use]
    pub fn break_even_spread(&self, risk: &LoanRisk) -> f64 {
        self.pricer.break_even_spread(risk)
    }

    /// The RAROC of a proposed annual rate.
    ///
    /// # Errors
    ///
    /// [`LendingError::Risk`] for a rate that is not finite or not above −1.
    pub fn raroc_of_rate(&self, risk: &LoanRisk, rate: f64) -> Result<f64, LendingError> {
        Ok(self.pricer.raroc_of_rate(risk, rate)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quote(
        p: &LoanPricer,
        pd: f64,
        lgd: f64,
        m: f64,
        sales: Option<f64>,
    ) -> Result<Quote, LendingError> {
        p.quote(Probability::new(pd)?, Lgd::new(lgd)?, Maturity::new(m)?, sales)
    }

    #[test]
    fn higher_pd_costs_more() {
        let p = LoanPricer::new(PricingConfig::default()).unwrap();
        let a = quote(&p, 0.005, 0.4, 3.0, Some(20.0)).unwrap();
        let b = quote(&p, 0.02, 0.4, 3.0, Some(20.0)).unwrap();
        assert!(b.rate() > a.rate());
        assert!((a.raroc - (0.12 + 0.0025 / a.capital)).abs() < 1e-12);
    }

    #[test]
    fn bad_inputs_are_typed() {
        let p = LoanPricer::new(PricingConfig::default()).unwrap();
        assert!(matches!(quote(&p, 0.01, 0.4, 0.0, None), Err(LendingError::Schema(_))));
        assert!(matches!(quote(&p, 1.5, 0.4, 1.0, None), Err(LendingError::Schema(_))));
        assert!(matches!(quote(&p, 1.0, 0.4, 1.0, None), Err(LendingError::Risk(_))));
        assert!(matches!(quote(&p, 0.01, 0.4, 1.0, Some(-1.0)), Err(LendingError::Risk(_))));
    }
}
