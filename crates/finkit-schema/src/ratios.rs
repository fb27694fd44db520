//! Financial ratios derived from a statement (and the prior period where one is needed).

use crate::FinancialStatement;

/// Ratios used by the corporate default models and the lending rules.
///
/// Every field is `None` when it cannot be computed: a zero denominator, a missing prior period,
/// or an input that is not finite. A ratio is therefore never infinite or NaN.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FinancialRatios {
    /// (current assets − current liabilities) / total assets — Altman X1.
    pub working_capital_to_assets: Option<f64>,
    /// Retained earnings / total assets — Altman X2.
    pub retained_earnings_to_assets: Option<f64>,
    /// EBIT / total assets — Altman X3.
    pub ebit_to_assets: Option<f64>,
    /// Book equity / total liabilities — Altman X4 in Z′ and Z″.
    pub book_equity_to_liabilities: Option<f64>,
    /// Revenue / total assets — Altman X5.
    pub sales_to_assets: Option<f64>,
    /// Leverage: total liabilities / total assets.
    pub leverage: Option<f64>,
    /// Interest-bearing debt / EBITDA.
    pub debt_to_ebitda: Option<f64>,
    /// Interest coverage: EBIT / interest expense.
    pub interest_coverage: Option<f64>,
    /// Current ratio: current assets / current liabilities.
    pub current_ratio: Option<f64>,
    /// Current liabilities / current assets (Ohlson's CLCA).
    pub current_liabilities_to_current_assets: Option<f64>,
    /// Net income / total assets (Ohlson's NITA).
    pub net_income_to_assets: Option<f64>,
    /// Operating cash flow / total liabilities (Ohlson's FUTL, with cash from operations as funds).
    pub operating_cash_flow_to_liabilities: Option<f64>,
    /// Debt-service coverage inputs: EBITDA / (interest expense + short-term debt).
    pub debt_service_coverage: Option<f64>,
    /// Research and development intensity: R&D expense / revenue.
    pub rd_intensity: Option<f64>,
    /// Revenue growth against the prior period: revenue / prior revenue − 1.
    pub revenue_growth: Option<f64>,
    /// Change in net income, Ohlson's CHIN: (NI_t − NI_{t−1}) / (|NI_t| + |NI_{t−1}|).
    pub net_income_change: Option<f64>,
}

/// `numerator / denominator`, or `None` if the result would not be a finite number.
fn ratio(numerator: f64, denominator: f64) -> Option<f64> {
    if denominator == 0.0 {
        return None;
    }
    let r = numerator / denominator;
    r.is_finite().then_some(r)
}

impl FinancialRatios {
    /// Computes the ratios of `current`; `prior` (the previous period of the same firm) feeds
    /// the growth and change ratios.
    ///
    /// ```
    /// # use finkit_schema::*;
    /// # fn statement() -> Result<FinancialStatement, SchemaError> { Ok(FinancialStatement {
    /// #   firm_id: FirmId::new("F1")?, period_end: chrono::NaiveDate::from_ymd_opt(2024,12,31).unwrap_or_default(),
    /// #   available_at: chrono::NaiveDate::from_ymd_opt(2025,3,31).unwrap_or_default(), currency: Currency::EUR, unit: Unit::One,
    /// #   cash: 10.0, current_assets: 40.0, total_assets: 100.0, current_liabilities: 20.0, total_liabilities: 60.0,
    /// #   short_term_debt: 10.0, long_term_debt: 30.0, retained_earnings: 15.0, book_equity: 40.0, revenue: 120.0,
    /// #   ebit: 8.0, ebitda: 12.0, interest_expense: 0.0, net_income: 5.0, rd_expense: 6.0,
    /// #   operating_cash_flow: 9.0, capex: 4.0 }) }
    /// let ratios = FinancialRatios::compute(&statement()?, None);
    /// assert_eq!(ratios.working_capital_to_assets, Some(0.2));
    /// assert_eq!(ratios.interest_coverage, None, "no interest expense: undefined, not infinite");
    /// assert_eq!(ratios.revenue_growth, None, "no prior period");
    /// # Ok::<(), SchemaError>(())
    /// ```
    #[must_use]
    pub fn compute(current: &FinancialStatement, prior: Option<&FinancialStatement>) -> Self {
        let s = current;
        let total_debt = s.short_term_debt + s.long_term_debt;
        FinancialRatios {
            working_capital_to_assets: ratio(
                s.current_assets - s.current_liabilities,
                s.total_assets,
            ),
            retained_earnings_to_assets: ratio(s.retained_earnings, s.total_assets),
            ebit_to_assets: ratio(s.ebit, s.total_assets),
            book_equity_to_liabilities: ratio(s.book_equity, s.total_liabilities),
            sales_to_assets: ratio(s.revenue, s.total_assets),
            leverage: ratio(s.total_liabilities, s.total_assets),
            debt_to_ebitda: ratio(total_debt, s.ebitda),
            interest_coverage: ratio(s.ebit, s.interest_expense),
            current_ratio: ratio(s.current_assets, s.current_liabilities),
            current_liabilities_to_current_assets: ratio(s.current_liabilities, s.current_assets),
            net_income_to_assets: ratio(s.net_income, s.total_assets),
            operating_cash_flow_to_liabilities: ratio(s.operating_cash_flow, s.total_liabilities),
            debt_service_coverage: ratio(s.ebitda, s.interest_expense + s.short_term_debt),
            rd_intensity: ratio(s.rd_expense, s.revenue),
            revenue_growth: prior.and_then(|p| ratio(s.revenue, p.revenue)).map(|g| g - 1.0),
            net_income_change: prior.and_then(|p| {
                ratio(s.net_income - p.net_income, s.net_income.abs() + p.net_income.abs())
            }),
        }
    }

    /// All ratios as `(name, value)` pairs, in declaration order.
    #[must_use]
    pub fn entries(&self) -> [(&'static str, Option<f64>); 16] {
        [
            ("working_capital_to_assets", self.working_capital_to_assets),
            ("retained_earnings_to_assets", self.retained_earnings_to_assets),
            ("ebit_to_assets", self.ebit_to_assets),
            ("book_equity_to_liabilities", self.book_equity_to_liabilities),
            ("sales_to_assets", self.sales_to_assets),
            ("leverage", self.leverage),
            ("debt_to_ebitda", self.debt_to_ebitda),
            ("interest_coverage", self.interest_coverage),
            ("current_ratio", self.current_ratio),
            ("current_liabilities_to_current_assets", self.current_liabilities_to_current_assets),
            ("net_income_to_assets", self.net_income_to_assets),
            ("operating_cash_flow_to_liabilities", self.operating_cash_flow_to_liabilities),
            ("debt_service_coverage", self.debt_service_coverage),
            ("rd_intensity", self.rd_intensity),
            ("revenue_growth", self.revenue_growth),
            ("net_income_change", self.net_income_change),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::ratio;

    #[test]
    fn ratio_never_returns_non_finite() {
        assert_eq!(ratio(1.0, 0.0), None);
        assert_eq!(ratio(f64::NAN, 1.0), None);
        assert_eq!(ratio(1.0, f64::INFINITY), Some(0.0));
        assert_eq!(ratio(f64::MAX, f64::MIN_POSITIVE), None);
        assert_eq!(ratio(3.0, 4.0), Some(0.75));
    }
}
