//! Limit sizing: the largest amount allowed by cash-flow capacity, a leverage cap and the
//! collateral after haircuts; the binding constraint is named.
//!
//! Cash-flow capacity amortises term products over their tenor and working-capital facilities
//! (revolving lines, trade finance) over `max(tenor, 5 y)` by default
//! ([`LimitParams::working_capital_amortisation_years`]): those lines are rolled over and repaid
//! from receivables and inventory, so sizing them as if repaid from one year's (or one
//! quarter's) EBITDA would refer almost every healthy applicant.

use finkit_schema::{Collateral, Guarantee, Product};

use crate::LendingError;
use crate::collateral::CollateralTable;
use crate::error::{check_range, check_tenor};

/// The cash flow that services debt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum CashFlowMeasure {
    /// EBITDA, as DSCR covenants commonly define it (default).
    #[default]
    Ebitda,
    /// EBITDA less capital expenditure (stricter for capital-intensive firms).
    EbitdaLessCapex,
    /// Operating cash flow plus interest expense (cash flow before debt service).
    OperatingCashFlow,
}

/// Validated limit-sizing parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LimitParams {
    /// Target debt-service coverage ratio over the tenor (cash flow / total debt service), > 0.
    pub target_dscr: f64,
    /// Maximum total interest-bearing debt / EBITDA after the new loan, > 0.
    pub max_debt_to_ebitda: f64,
    /// Which cash flow services debt.
    pub cash_flow: CashFlowMeasure,
    /// Share of existing short-term debt repaid from this year's cash flow, in [0, 1] (the rest
    /// is assumed to be rolled-over working-capital lines).
    pub short_term_debt_repaid: f64,
    /// Unsecured lending allowed beside collateral, as a share of annual revenue, in [0, 1].
    pub unsecured_share_of_revenue: f64,
    /// Notional amortisation period (years, in [0, 100]) of working-capital facilities (revolving
    /// lines and trade finance): they are rolled over and repaid from the conversion of
    /// receivables and inventory, not from one year's (or one quarter's) cash flow, so their
    /// cash-flow capacity is sized as if termed out over `max(tenor, this)` years; see
    /// [`LimitParams::sizing_tenor`]. 0 sizes them over their contractual tenor.
    pub working_capital_amortisation_years: f64,
    /// Collateral haircuts and guarantee recognition.
    pub collateral: CollateralTable,
}

impl Default for LimitParams {
    /// DSCR 1.25× and debt/EBITDA 4.0× (common covenant levels in leveraged and SME lending),
    /// EBITDA as cash flow, half the short-term debt repaid within the year, unsecured lending up
    /// to 10 % of revenue, working-capital facilities termed out over 5 years, the Basel III
    /// collateral table.
    fn default() -> Self {
        LimitParams {
            target_dscr: 1.25,
            max_debt_to_ebitda: 4.0,
            cash_flow: CashFlowMeasure::Ebitda,
            short_term_debt_repaid: 0.5,
            unsecured_share_of_revenue: 0.10,
            working_capital_amortisation_years: 5.0,
            collateral: CollateralTable::default(),
        }
    }
}

impl LimitParams {
    /// Checks the parameters.
    ///
    /// # Errors
    ///
    /// [`LendingError::InvalidParameter`] naming the first bad parameter.
    pub fn validate(&self) -> Result<(), LendingError> {
        check_range("target_dscr", self.target_dscr, 1e-6, 100.0, "must be in (0, 100]")?;
        check_range(
            "max_debt_to_ebitda",
            self.max_debt_to_ebitda,
            0.0,
            100.0,
            "must be in [0, 100]",
        )?;
        check_range(
            "unsecured_share_of_revenue",
            self.unsecured_share_of_revenue,
            0.0,
            1.0,
            "must be in [0, 1]",
        )?;
        check_range(
            "short_term_debt_repaid",
            self.short_term_debt_repaid,
            0.0,
            1.0,
            "must be in [0, 1]",
        )?;
        check_range(
            "working_capital_amortisation_years",
            self.working_capital_amortisation_years,
            0.0,
            100.0,
            "must be in [0, 100]",
        )?;
        self.collateral.validate()
    }

    /// The tenor over which [`size_limit`] amortises a facility: the contractual tenor for term
    /// products, `max(tenor, working_capital_amortisation_years)` for revolving lines and trade
    /// finance (a 1-year revolver or a 3-month letter of credit is not repaid from 1 year or
    /// 3 months of EBITDA; banks test whether cash flow could service it if termed out).
    #[must_use]
    pub fn sizing_tenor(&self, product: Product, tenor: f64) -> f64 {
        match product {
            Product::RevolvingLine | Product::TradeFinance => {
                tenor.max(self.working_capital_amortisation_years)
            }
            _ => tenor,
        }
    }
}

/// The borrower's finances that limit sizing reads, in single units of the loan's currency.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DebtCapacityInputs {
    /// Annual revenue.
    pub revenue: f64,
    /// Annual EBITDA (may be negative).
    pub ebitda: f64,
    /// Annual capital expenditure.
    pub capex: f64,
    /// Annual operating cash flow (may be negative).
    pub operating_cash_flow: f64,
    /// Annual interest expense on existing debt.
    pub interest_expense: f64,
    /// Existing interest-bearing debt due within a year (repaid from this year's cash flow).
    pub short_term_debt: f64,
    /// Existing interest-bearing debt due after a year.
    pub long_term_debt: f64,
}

/// A constraint on the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Constraint {
    /// Cash-flow capacity at the target DSCR.
    CashFlow,
    /// The leverage (debt / EBITDA) cap.
    Leverage,
    /// Collateral after haircuts, guarantees and the unsecured allowance.
    Collateral,
}

impl Constraint {
    /// A short readable name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Constraint::CashFlow => "cash-flow capacity",
            Constraint::Leverage => "leverage cap",
            Constraint::Collateral => "collateral after haircuts",
        }
    }
}

/// The sized limit and each constraint.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Limit {
    /// The limit: the smallest constraint.
    pub amount: f64,
    /// Which constraint binds.
    pub binding: Constraint,
    /// Cash-flow capacity.
    pub cash_flow: f64,
    /// Leverage cap.
    pub leverage: f64,
    /// Collateral constraint (`f64::INFINITY` when guarantees cover the whole loan).
    pub collateral: f64,
    /// Annual payment the loan may take at the target DSCR.
    pub annual_payment_capacity: f64,
}

/// Present value of 1 a year for `tenor` years at `rate` (annual payments).
///
/// # Formula
///
/// ```text
/// a(r, n) = (1 − (1 + r)^−n) / r,   a(0, n) = n
/// ```
#[must_use]
pub fn annuity_factor(rate: f64, tenor: f64) -> f64 {
    if rate.abs() < 1e-12 { tenor } else { (1.0 - (1.0 + rate).powf(-tenor)) / rate }
}

/// Sizes the limit of a loan.
///
/// # Formula
///
/// ```text
/// CF         = EBITDA | EBITDA − capex | OCF + interest            (CashFlowMeasure)
/// payment    = max(0, CF / DSCR_target − (interest + s · short-term debt))   s: share repaid
/// cash_flow  = payment · a(rate, tenor)
/// leverage   = max(0, maxDebt/EBITDA · EBITDA − existing debt)     (0 when EBITDA ≤ 0)
/// collateral = (Σ C_k (1 − HC_k) + u · revenue) / (1 − g)         (∞ when g = 1)
/// limit      = min(cash_flow, leverage, collateral)
/// ```
/// Ties name the earlier of cash flow, leverage, collateral. `tenor` is the amortisation
/// period: the engine passes [`LimitParams::sizing_tenor`] of the application's product.
///
/// # Errors
///
/// [`LendingError::InvalidTenor`], or [`LendingError::InvalidParameter`] for a rate that is
/// not finite or not above −1 or non-finite finances.
pub fn size_limit(
    params: &LimitParams,
    finances: &DebtCapacityInputs,
    collateral: &[Collateral],
    guarantees: &[Guarantee],
    rate: f64,
    tenor: f64,
) -> Result<Limit, LendingError> {
    check_tenor(tenor)?;
    if !rate.is_finite() || rate <= -1.0 {
        return Err(LendingError::param("rate", rate, "must be finite and above -1"));
    }
    let f = finances;
    for (name, v) in [
        ("revenue", f.revenue),
        ("ebitda", f.ebitda),
        ("capex", f.capex),
        ("operating_cash_flow", f.operating_cash_flow),
        ("interest_expense", f.interest_expense),
        ("short_term_debt", f.short_term_debt),
        ("long_term_debt", f.long_term_debt),
    ] {
        if !v.is_finite() {
            return Err(LendingError::param(name, v, "must be finite"));
        }
    }
    let cf = match params.cash_flow {
        CashFlowMeasure::Ebitda => f.ebitda,
        CashFlowMeasure::EbitdaLessCapex => f.ebitda - f.capex,
        CashFlowMeasure::OperatingCashFlow => f.operating_cash_flow + f.interest_expense,
    };
    let existing_service = f.interest_expense + params.short_term_debt_repaid * f.short_term_debt;
    let payment = (cf / params.target_dscr - existing_service).max(0.0);
    let cash_flow = payment * annuity_factor(rate, tenor);
    let existing_debt = f.short_term_debt + f.long_term_debt;
    let leverage = (params.max_debt_to_ebitda * f.ebitda.max(0.0) - existing_debt).max(0.0);
    let g = params.collateral.guarantee_coverage(guarantees);
    let base = params.collateral.lending_value(collateral)
        + params.unsecured_share_of_revenue * f.revenue.max(0.0);
    let collateral_cap = if g >= 1.0 { f64::INFINITY } else { base / (1.0 - g) };
    let mut amount = cash_flow;
    let mut binding = Constraint::CashFlow;
    if leverage < amount {
        amount = leverage;
        binding = Constraint::Leverage;
    }
    if collateral_cap < amount {
        amount = collateral_cap;
        binding = Constraint::Collateral;
    }
    Ok(Limit {
        amount,
        binding,
        cash_flow,
        leverage,
        collateral: collateral_cap,
        annual_payment_capacity: payment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use finkit_schema::{Amount, CollateralKind};

    fn firm() -> DebtCapacityInputs {
        DebtCapacityInputs {
            revenue: 20e6,
            ebitda: 3e6,
            capex: 1e6,
            operating_cash_flow: 2e6,
            interest_expense: 0.2e6,
            short_term_debt: 0.5e6,
            long_term_debt: 3e6,
        }
    }

    #[test]
    fn annuity_matches_closed_form() {
        // 5 years at 5 %: 4.329476670630819 (standard annuity table value 4.3295).
        assert!((annuity_factor(0.05, 5.0) - 4.329_476_670_630_819).abs() < 1e-12);
        assert_eq!(annuity_factor(0.0, 3.0), 3.0);
    }

    #[test]
    fn constraints_by_hand() {
        let p = LimitParams::default();
        let l = size_limit(&p, &firm(), &[], &[], 0.05, 5.0).unwrap();
        let payment = 3e6 / 1.25 - 0.45e6;
        assert!((l.cash_flow - payment * annuity_factor(0.05, 5.0)).abs() < 1e-6);
        assert!((l.leverage - (12e6 - 3.5e6)).abs() < 1e-6);
        assert!((l.collateral - 2e6).abs() < 1e-6);
        assert_eq!(l.binding, Constraint::Collateral);
        assert_eq!(l.amount, 2e6);
        let rich =
            [Collateral { kind: CollateralKind::RealEstate, value: Amount::new(50e6).unwrap() }];
        let l2 = size_limit(&p, &firm(), &rich, &[], 0.05, 5.0).unwrap();
        assert_eq!(l2.binding, Constraint::CashFlow);
    }

    #[test]
    fn working_capital_facilities_are_termed_out() {
        let p = LimitParams::default();
        assert_eq!(p.sizing_tenor(Product::RevolvingLine, 1.0), 5.0);
        assert_eq!(p.sizing_tenor(Product::TradeFinance, 0.25), 5.0);
        assert_eq!(p.sizing_tenor(Product::TermLoan, 2.0), 2.0);
        assert_eq!(p.sizing_tenor(Product::RevolvingLine, 7.0), 7.0);
        let off = LimitParams { working_capital_amortisation_years: 0.0, ..p };
        assert_eq!(off.sizing_tenor(Product::TradeFinance, 0.25), 0.25);
        let bad = LimitParams { working_capital_amortisation_years: -1.0, ..p };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn bad_tenor_and_rate() {
        let p = LimitParams::default();
        assert!(matches!(
            size_limit(&p, &firm(), &[], &[], 0.05, 0.0),
            Err(LendingError::InvalidTenor { .. })
        ));
        assert!(size_limit(&p, &firm(), &[], &[], f64::NAN, 1.0).is_err());
    }
}
