//! Portfolio impact: what adding a loan does to the book's expected loss, IRB capital, RAROC
//! and sector concentration.
//!
//! IRB capital is additive (the ASRF model is portfolio-invariant), so the marginal capital of
//! a loan is its own `K · EAD` and its marginal RAROC is its stand-alone RAROC; the desk also
//! sees the book's totals before and after and the sector share.

use finkit_risk::portfolio::{irb_corporate, irb_portfolio};
use finkit_schema::{Lgd, Maturity, Portfolio, Probability};

use crate::LendingError;
use crate::error::check_amount;
use crate::pricing::LoanPricer;

/// The loan to add.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NewLoan {
    /// One-year PD.
    pub pd: Probability,
    /// LGD.
    pub lgd: Lgd,
    /// Exposure at default (positive).
    pub ead: f64,
    /// Effective maturity in years.
    pub maturity: Maturity,
    /// Annual sales in EUR millions (SME adjustment).
    pub sales_eur_m: Option<f64>,
    /// Sector (industry code).
    pub sector: String,
    /// The annual rate charged.
    pub rate: f64,
}

/// The effect of adding a loan to the book.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct PortfolioImpact {
    /// Book EL before.
    pub expected_loss_before: f64,
    /// Book EL after.
    pub expected_loss_after: f64,
    /// The loan's EL (`PD · LGD · EAD`).
    pub marginal_expected_loss: f64,
    /// Book IRB capital before (Σ K · EAD).
    pub capital_before: f64,
    /// Book IRB capital after.
    pub capital_after: f64,
    /// The loan's capital (`K · EAD`).
    pub marginal_capital: f64,
    /// The loan's RAROC at its rate on its marginal capital.
    pub marginal_raroc: f64,
    /// The sector's share of the book's EAD before.
    pub sector_share_before: f64,
    /// The sector's share after.
    pub sector_share_after: f64,
}

/// Computes the impact of `loan` on `book` with the pricer's IRB options and rates.
///
/// # Errors
///
/// [`LendingError::InvalidAmount`] for an EAD that is not positive, or [`LendingError::Risk`]
/// for a bad sales figure or rate.
pub fn portfolio_impact(
    book: &Portfolio,
    loan: &NewLoan,
    pricer: &LoanPricer,
) -> Result<PortfolioImpact, LendingError> {
    check_amount(loan.ead)?;
    let irb = pricer.irb_options();
    let before = irb_portfolio(book, irb)?;
    let (pd, lgd, m) = (loan.pd, loan.lgd, loan.maturity);
    let one = irb_corporate(pd, lgd, m, loan.sales_eur_m, irb)?;
    let risk = pricer.loan_risk(pd, lgd, m, loan.sales_eur_m)?;
    let marginal_raroc = pricer.raroc_of_rate(&risk, loan.rate)?;
    let marginal_expected_loss = pd.get() * lgd.get() * loan.ead;
    let marginal_capital = one.k * loan.ead;
    let pos = crate::plan::sector_position(book, &loan.sector);
    let share = |s: f64, t: f64| if t > 0.0 { s / t } else { 0.0 };
    Ok(PortfolioImpact {
        expected_loss_before: before.total_expected_loss,
        expected_loss_after: before.total_expected_loss + marginal_expected_loss,
        marginal_expected_loss,
        capital_before: before.total_capital,
        capital_after: before.total_capital + marginal_capital,
        marginal_capital,
        marginal_raroc,
        sector_share_before: share(pos.sector_ead, pos.total_ead),
        sector_share_after: share(pos.sector_ead + loan.ead, pos.total_ead + loan.ead),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::PricingConfig;
    use finkit_schema::PortfolioColumns;

    #[test]
    fn adding_a_loan_adds_its_el_and_capital() {
        let book = Portfolio::new(PortfolioColumns {
            ids: vec!["A".into(), "B".into()],
            sectors: vec!["C26".into(), "G46".into()],
            grades: vec![None, None],
            pd: vec![0.01, 0.02],
            lgd: vec![0.45, 0.45],
            ead: vec![100.0, 100.0],
            maturity: vec![2.5, 2.5],
            annual_sales: vec![None, None],
        })
        .unwrap();
        let pricer = LoanPricer::new(PricingConfig::default()).unwrap();
        let loan = NewLoan {
            pd: Probability::new(0.01).unwrap(),
            lgd: Lgd::new(0.45).unwrap(),
            ead: 100.0,
            maturity: Maturity::new(2.5).unwrap(),
            sales_eur_m: None,
            sector: "C26".into(),
            rate: 0.06,
        };
        let i = portfolio_impact(&book, &loan, &pricer).unwrap();
        assert!((i.marginal_expected_loss - 0.45).abs() < 1e-12);
        // The new loan equals obligor A, so it adds A's capital.
        let after = Portfolio::new(PortfolioColumns {
            ids: vec!["A".into(), "B".into(), "N".into()],
            sectors: vec!["C26".into(), "G46".into(), "C26".into()],
            grades: vec![None, None, None],
            pd: vec![0.01, 0.02, 0.01],
            lgd: vec![0.45, 0.45, 0.45],
            ead: vec![100.0, 100.0, 100.0],
            maturity: vec![2.5, 2.5, 2.5],
            annual_sales: vec![None, None, None],
        })
        .unwrap();
        let full = irb_portfolio(&after, pricer.irb_options()).unwrap();
        assert!((i.capital_after - full.total_capital).abs() < 1e-9);
        assert!((i.sector_share_after - 2.0 / 3.0).abs() < 1e-12);
        assert!(portfolio_impact(&book, &NewLoan { ead: -1.0, ..loan }, &pricer).is_err());
    }
}
