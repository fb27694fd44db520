//! Features of an application: the statements known on the application date, their ratios,
//! and the firm's age, size and technology signals. No allocation.

use chrono::NaiveDate;
use finkit_schema::{FinancialRatios, FinancialStatement, Firm, LoanApplication};

use crate::LendingError;

/// The latest statement and the one before it, as known on `as_of`.
///
/// Among the firm's statements with `available_at ≤ as_of`, the current one has the latest
/// period end (ties: the latest `available_at`, i.e. the correction); the prior one is the latest
/// version of the latest earlier period. Statements of other firms are ignored.
#[must_use]
pub fn select_as_of<'a>(
    statements: &'a [FinancialStatement],
    firm: &Firm,
    as_of: NaiveDate,
) -> (Option<&'a FinancialStatement>, Option<&'a FinancialStatement>) {
    let key = |s: &FinancialStatement| (s.period_end, s.available_at);
    let known = || statements.iter().filter(|s| s.firm_id == firm.id && s.available_at <= as_of);
    let current = known().max_by_key(|s| key(s));
    let prior = current
        .and_then(|c| known().filter(|s| s.period_end < c.period_end).max_by_key(|s| key(s)));
    (current, prior)
}

/// The statement amounts the limit and plan read, in single units of the application currency.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Financials {
    /// Revenue.
    pub revenue: f64,
    /// EBITDA.
    pub ebitda: f64,
    /// Net income.
    pub net_income: f64,
    /// Capital expenditure.
    pub capex: f64,
    /// Operating cash flow.
    pub operating_cash_flow: f64,
    /// Cash.
    pub cash: f64,
    /// Total assets.
    pub total_assets: f64,
    /// Total liabilities.
    pub total_liabilities: f64,
    /// Book equity.
    pub book_equity: f64,
    /// Interest expense.
    pub interest_expense: f64,
    /// Short-term interest-bearing debt.
    pub short_term_debt: f64,
    /// Long-term interest-bearing debt.
    pub long_term_debt: f64,
    /// Research and development expense.
    pub rd_expense: f64,
}

impl Financials {
    fn from_statement(s: &FinancialStatement) -> Financials {
        let k = s.unit.factor();
        Financials {
            revenue: s.revenue * k,
            ebitda: s.ebitda * k,
            net_income: s.net_income * k,
            capex: s.capex * k,
            operating_cash_flow: s.operating_cash_flow * k,
            cash: s.cash * k,
            total_assets: s.total_assets * k,
            total_liabilities: s.total_liabilities * k,
            book_equity: s.book_equity * k,
            interest_expense: s.interest_expense * k,
            short_term_debt: s.short_term_debt * k,
            long_term_debt: s.long_term_debt * k,
            rd_expense: s.rd_expense * k,
        }
    }

    /// Annual cash burn (`−(OCF − capex)` when negative, else 0).
    #[must_use]
    pub fn annual_burn(&self) -> f64 {
        (-(self.operating_cash_flow - self.capex)).max(0.0)
    }
}

/// Everything the models, rules, limits and plans read about one application.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Features {
    /// Ratios of the current statement (growth against the prior one); all `None` without one.
    pub ratios: FinancialRatios,
    /// Amounts of the current statement; `None` without one.
    pub financials: Option<Financials>,
    /// Period end of the current statement.
    pub statement_period_end: Option<NaiveDate>,
    /// Availability date of the current statement.
    pub statement_available_at: Option<NaiveDate>,
    /// Days from the current statement's period end to the application date.
    pub statement_age_days: Option<i64>,
    /// Whole years in business on the application date.
    pub years_in_business: u32,
    /// Employees.
    pub employees: u32,
    /// Granted invention patents.
    pub invention_patents: u32,
    /// All granted patents plus software copyrights.
    pub ip_assets: u64,
    /// Whether the firm holds a high-tech certification.
    pub high_tech_certified: bool,
    /// Whether the firm is technology-innovative ([`finkit_schema::TechProfile::is_tech_innovative`]).
    pub tech_innovative: bool,
    /// Share of staff in R&D.
    pub rd_staff_share: f64,
    /// Venture funding raised to date.
    pub venture_funding: f64,
    /// Cash runway in months at the current burn; `None` when the firm does not burn cash.
    pub cash_runway_months: Option<f64>,
}

impl Features {
    /// Builds the features of `application` for `firm` from the statements known on the
    /// application date (see [`select_as_of`]).
    ///
    /// # Errors
    ///
    /// [`LendingError::FirmMismatch`] when the firm is not the applicant, and
    /// [`LendingError::CurrencyMismatch`] when the current statement's currency differs from
    /// the application's.
    pub fn build(
        application: &LoanApplication,
        firm: &Firm,
        statements: &[FinancialStatement],
    ) -> Result<Features, LendingError> {
        if firm.id != application.firm_id {
            return Err(LendingError::FirmMismatch {
                application: application.firm_id.to_string(),
                firm: firm.id.to_string(),
            });
        }
        let date = application.application_date;
        let (current, prior) = select_as_of(statements, firm, date);
        for s in current.iter().chain(prior.iter()) {
            if s.currency != application.currency {
                return Err(LendingError::CurrencyMismatch {
                    what: "financial statement",
                    expected: application.currency.to_string(),
                    found: s.currency.to_string(),
                });
            }
        }
        let ratios =
            current.map_or_else(FinancialRatios::default, |c| FinancialRatios::compute(c, prior));
        let financials = current.map(Financials::from_statement);
        let cash_runway_months = financials.and_then(|f| {
            let burn = f.annual_burn();
            (burn > 0.0).then(|| 12.0 * f.cash / burn)
        });
        let tech = &firm.tech;
        Ok(Features {
            ratios,
            financials,
            statement_period_end: current.map(|c| c.period_end),
            statement_available_at: current.map(|c| c.available_at),
            statement_age_days: current.map(|c| (date - c.period_end).num_days()),
            years_in_business: firm.years_in_business(date),
            employees: firm.employees,
            invention_patents: tech.patents.invention,
            ip_assets: tech.patents.total() + u64::from(tech.software_copyrights),
            high_tech_certified: tech.high_tech_certified,
            tech_innovative: tech.is_tech_innovative(),
            rd_staff_share: tech.rd_staff_share.get(),
            venture_funding: tech.venture_funding.get(),
            cash_runway_months,
        })
    }
}
