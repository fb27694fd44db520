//! Hand-built firms, statements and applications.

use chrono::NaiveDate;
use finkit_schema::{
    Amount, ApplicationId, Collateral, Currency, FinancialStatement, Firm, FirmId, IndustryCode,
    IndustryScheme, LoanApplication, Maturity, Patents, Probability, Product, TechProfile, Unit,
};

pub(crate) fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A firm founded in `founded`, in NACE `code`.
pub(crate) fn firm(id: &str, code: &str, founded: i32, tech: TechProfile) -> Firm {
    Firm {
        id: FirmId::new(id).unwrap(),
        name: format!("{id} GmbH"),
        registration_number: "HRB 1".into(),
        industry: IndustryCode { scheme: IndustryScheme::Nace, code: code.into() },
        region: "DE".into(),
        founded: date(founded, 1, 1),
        employees: 50,
        tech,
        contact_name: None,
        contact_email: None,
        contact_phone: None,
    }
}

pub(crate) fn tech(certified: bool, invention: u32, rd_staff: f64, venture: f64) -> TechProfile {
    TechProfile {
        high_tech_certified: certified,
        certification_date: certified.then(|| date(2022, 6, 1)),
        rd_expense: Amount::new(1e6).unwrap(),
        rd_staff_share: Probability::new(rd_staff).unwrap(),
        patents: Patents { invention, utility_model: 2, design: 0 },
        software_copyrights: 3,
        venture_funding: Amount::new(venture).unwrap(),
    }
}

/// A balanced statement: equity = assets − liabilities.
#[allow(clippy::too_many_arguments, reason = "a test builder with named positional amounts")]
pub(crate) fn statement(
    firm: &str,
    year: i32,
    revenue: f64,
    ebitda: f64,
    total_assets: f64,
    total_liabilities: f64,
    cash: f64,
    debt: f64,
    ocf: f64,
) -> FinancialStatement {
    let equity = total_assets - total_liabilities;
    FinancialStatement {
        firm_id: FirmId::new(firm).unwrap(),
        period_end: date(year, 12, 31),
        available_at: date(year + 1, 3, 31),
        currency: Currency::EUR,
        unit: Unit::One,
        cash,
        current_assets: (0.4 * total_assets).max(cash),
        total_assets,
        current_liabilities: 0.3 * total_liabilities,
        total_liabilities,
        short_term_debt: 0.2 * debt,
        long_term_debt: 0.8 * debt,
        retained_earnings: 0.5 * equity,
        book_equity: equity,
        revenue,
        ebit: ebitda - 0.03 * total_assets,
        ebitda,
        interest_expense: 0.05 * debt,
        net_income: 0.7 * (ebitda - 0.03 * total_assets - 0.05 * debt),
        rd_expense: 0.05 * revenue,
        operating_cash_flow: ocf,
        capex: 0.03 * total_assets,
    }
}

pub(crate) fn application(
    firm: &str,
    amount: f64,
    tenor: f64,
    collateral: Vec<Collateral>,
) -> LoanApplication {
    LoanApplication {
        id: ApplicationId::new(format!("APP-{firm}")).unwrap(),
        firm_id: FirmId::new(firm).unwrap(),
        application_date: date(2025, 5, 15),
        amount: Amount::new(amount).unwrap(),
        currency: Currency::EUR,
        tenor: Maturity::new(tenor).unwrap(),
        product: Product::TermLoan,
        purpose: "expansion".into(),
        collateral,
        guarantees: Vec::new(),
    }
}
